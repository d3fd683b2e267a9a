#include "proxy/client/pubsub_hub.h"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "proxy/client/client_session.h"
#include "proxy/io_thread.h"
#include "storage/glob.h"

namespace respite::proxy {

namespace {

// One receiver of a message: a channel's subscriber, or a matching pattern's.
struct Receiver {
  std::shared_ptr<LocalSubscriber> to;
  std::string pattern;
  bool from_pattern = false;
};

}  // namespace

PubSubHub::Table& PubSubHub::TableFor(SubscriptionKind kind) {
  return kind == SubscriptionKind::kChannel   ? channels_
         : kind == SubscriptionKind::kPattern ? patterns_
                                              : shard_;
}

void PubSubHub::Subscribe(const std::shared_ptr<LocalSubscriber>& subscriber, SubscriptionKind kind,
                          std::string_view name) {
  std::lock_guard lock(mu_);
  Table& table = TableFor(kind);
  auto it = table.find(name);
  if (it == table.end()) it = table.emplace(std::string(name), Subscribers{}).first;
  Subscribers& list = it->second;
  if (std::find(list.begin(), list.end(), subscriber) == list.end()) list.push_back(subscriber);
}

void PubSubHub::Unsubscribe(const std::shared_ptr<LocalSubscriber>& subscriber,
                            SubscriptionKind kind, std::string_view name) {
  std::lock_guard lock(mu_);
  Table& table = TableFor(kind);
  auto it = table.find(name);
  if (it == table.end()) return;
  Subscribers& list = it->second;
  list.erase(std::remove(list.begin(), list.end(), subscriber), list.end());
  if (list.empty()) table.erase(it);
}

int64_t PubSubHub::Publish(std::string_view channel, std::string_view message, bool shard,
                           bool after_reply) {
  // Receivers are collected under the lock (channel subscribers first, then each matching
  // pattern's, as Redis orders them) and posted after it.
  std::vector<Receiver> receivers;
  {
    std::lock_guard lock(mu_);
    const Table& table = shard ? shard_ : channels_;
    if (auto it = table.find(channel); it != table.end()) {
      for (const auto& s : it->second) receivers.push_back(Receiver{s, {}, false});
    }
    if (!shard) {
      for (const auto& [pattern, list] : patterns_) {
        if (!storage::StringMatch(pattern, channel)) continue;
        for (const auto& s : list) receivers.push_back(Receiver{s, pattern, true});
      }
    }
  }
  for (Receiver& r : receivers) {
    IoThread* io = r.to->io;
    std::function<void()> deliver = [to = r.to, from_pattern = r.from_pattern,
                                     pattern = std::move(r.pattern), channel = std::string(channel),
                                     message = std::string(message), shard] {
      if (to->session == nullptr) return;  // it left meanwhile
      to->session->OnLocalMessage(from_pattern ? "pmessage"
                                  : shard      ? "smessage"
                                               : "message",
                                  from_pattern ? std::string_view(pattern) : std::string_view(),
                                  channel, message);
    };
    if (poster_) {
      poster_(io, std::move(deliver), after_reply);
    } else {
      boost::asio::post(io->context(), std::move(deliver));
    }
  }
  return static_cast<int64_t>(receivers.size());
}

std::vector<std::string> PubSubHub::Channels(std::optional<std::string_view> pattern,
                                             bool shard) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, list] : shard ? shard_ : channels_) {
    if (!pattern || storage::StringMatch(*pattern, name)) names.push_back(name);
  }
  return names;
}

int64_t PubSubHub::NumSub(std::string_view channel, bool shard) const {
  std::lock_guard lock(mu_);
  const Table& table = shard ? shard_ : channels_;
  auto it = table.find(channel);
  return it == table.end() ? 0 : static_cast<int64_t>(it->second.size());
}

int64_t PubSubHub::NumPat() const {
  std::lock_guard lock(mu_);
  return static_cast<int64_t>(patterns_.size());
}

}  // namespace respite::proxy
