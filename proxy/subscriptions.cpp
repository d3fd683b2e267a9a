#include "proxy/subscriptions.h"

#include <strings.h>

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

void AppendSubscribe(std::string* out, std::string_view command, const std::set<std::string>& set) {
  if (set.empty()) return;
  std::vector<std::string_view> argv;
  argv.reserve(set.size() + 1);
  argv.push_back(command);
  for (const std::string& name : set) argv.push_back(name);
  resp::AppendCommandRange(out, argv);
}

}  // namespace

void Subscriptions::Track(std::span<const std::string_view> argv) {
  if (argv.empty()) return;
  const std::string_view name = argv[0];
  if (Is(name, "subscribe")) {
    Update(&channels_, argv, true);
  } else if (Is(name, "unsubscribe")) {
    Update(&channels_, argv, false);
  } else if (Is(name, "psubscribe")) {
    Update(&patterns_, argv, true);
  } else if (Is(name, "punsubscribe")) {
    Update(&patterns_, argv, false);
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
  AppendSubscribe(out, "PSUBSCRIBE", patterns_);
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
