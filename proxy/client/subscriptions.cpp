#include "proxy/client/subscriptions.h"

#include <strings.h>

#include <algorithm>
#include <vector>

#include "resp/command_encoder.h"

namespace respite::proxy {

namespace {

bool Is(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

void Update(std::set<std::string>* set, std::span<const std::string_view> argv, bool add) {
  if (!add && argv.size() == 1) {
    set->clear();  // UNSUBSCRIBE with no argument: from every one
    return;
  }
  for (size_t i = 1; i < argv.size(); ++i) {
    if (add) {
      set->emplace(argv[i]);
    } else {
      set->erase(std::string(argv[i]));
    }
  }
}

template <typename Names>
void AppendSubscribe(std::string* out, std::string_view command, const Names& names) {
  if (names.empty()) return;
  std::vector<std::string_view> argv;
  argv.reserve(names.size() + 1);
  argv.push_back(command);
  for (const std::string& name : names) argv.push_back(name);
  resp::AppendCommandRange(out, argv);
}

}  // namespace

bool Subscriptions::Add(SubscriptionKind kind, std::string_view name) {
  if (!Set(kind).emplace(name).second) return false;
  if (kind == SubscriptionKind::kPattern) pattern_order_.emplace_back(name);
  return true;
}

bool Subscriptions::Remove(SubscriptionKind kind, std::string_view name) {
  if (Set(kind).erase(std::string(name)) == 0) return false;
  if (kind == SubscriptionKind::kPattern) {
    pattern_order_.erase(std::find(pattern_order_.begin(), pattern_order_.end(), name));
  }
  return true;
}

std::vector<std::string> Subscriptions::UnsubscribeOrder(SubscriptionKind kind) const {
  if (kind == SubscriptionKind::kPattern) return pattern_order_;
  return {Names(kind).begin(), Names(kind).end()};
}

void Subscriptions::Track(std::span<const std::string_view> argv) {
  if (argv.empty()) return;
  const std::string_view name = argv[0];
  if (Is(name, "psubscribe") || Is(name, "punsubscribe")) {
    const bool add = Is(name, "psubscribe");
    if (!add && argv.size() == 1) {
      patterns_.clear();
      pattern_order_.clear();
    }
    for (size_t i = 1; i < argv.size(); ++i) {
      if (add) {
        Add(SubscriptionKind::kPattern, argv[i]);
      } else {
        Remove(SubscriptionKind::kPattern, argv[i]);
      }
    }
    return;
  }
  if (Is(name, "subscribe")) {
    Update(&channels_, argv, true);
  } else if (Is(name, "unsubscribe")) {
    Update(&channels_, argv, false);
  } else if (Is(name, "ssubscribe")) {
    Update(&shard_, argv, true);
  } else if (Is(name, "sunsubscribe")) {
    Update(&shard_, argv, false);
  } else if (Is(name, "monitor") ||
             (Is(name, "client") && argv.size() > 1 && Is(argv[1], "tracking"))) {
    unrebuildable_ = true;
  }
}

size_t Subscriptions::AppendResubscribe(std::string* out) const {
  AppendSubscribe(out, "SUBSCRIBE", channels_);
  AppendSubscribe(out, "PSUBSCRIBE", pattern_order_);  // upstream keeps them in that order
  AppendSubscribe(out, "SSUBSCRIBE", shard_);
  return count();
}

bool Subscriptions::IsConfirmation(std::string_view reply) {
  if (reply.empty() || (reply[0] != '*' && reply[0] != '>')) return false;
  const size_t header = reply.find("\r\n");
  if (header == std::string_view::npos) return false;
  const std::string_view rest = reply.substr(header + 2);
  for (std::string_view kind :
       {"$9\r\nsubscribe\r\n", "$10\r\npsubscribe\r\n", "$10\r\nssubscribe\r\n"}) {
    if (rest.substr(0, kind.size()) == kind) return true;
  }
  return false;
}

}  // namespace respite::proxy
