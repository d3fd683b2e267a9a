#pragma once
// This respite's own subscribers while the local store serves (DESIGN.md, "Stage 2 decisions":
// pub/sub messages are not journaled and reach this respite's subscribers only). Sessions on any
// io thread register their channels, patterns and shard channels here; PUBLISH on the store
// thread finds the receivers and posts each message to its subscriber's io thread, in publish
// order. Thread-safe (one mutex; delivery happens outside it).

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/client/subscriptions.h"
#include "storage/pubsub_broker.h"

namespace respite::proxy {

class ClientSession;
class IoThread;

// A session's entry in the hub. `session` is read and cleared only on `io`'s thread, so a message
// posted before the session left finds nullptr instead of a freed session.
struct LocalSubscriber {
  IoThread* io = nullptr;
  ClientSession* session = nullptr;
};

class PubSubHub final : public storage::PubSubBroker {
 public:
  // How Publish hands a delivery to a subscriber's io thread. The server sets the store
  // executor's PostInOrder, so a message lands among its subscriber's replies where Redis puts it;
  // unset, it is posted at once. Set before anything publishes.
  // `after_reply`: see storage::PubSubBroker::Publish.
  using Poster = std::function<void(IoThread*, std::function<void()>, bool after_reply)>;
  void SetPoster(Poster poster) { poster_ = std::move(poster); }

  // Adds or removes one subscription of `subscriber` (idempotent).
  void Subscribe(const std::shared_ptr<LocalSubscriber>& subscriber, SubscriptionKind kind,
                 std::string_view name);
  void Unsubscribe(const std::shared_ptr<LocalSubscriber>& subscriber, SubscriptionKind kind,
                   std::string_view name);

  // storage::PubSubBroker.
  int64_t Publish(std::string_view channel, std::string_view message, bool shard,
                  bool after_reply) override;
  std::vector<std::string> Channels(std::optional<std::string_view> pattern,
                                    bool shard) const override;
  int64_t NumSub(std::string_view channel, bool shard) const override;
  int64_t NumPat() const override;

 private:
  using Subscribers = std::vector<std::shared_ptr<LocalSubscriber>>;
  using Table = std::map<std::string, Subscribers, std::less<>>;
  Table& TableFor(SubscriptionKind kind);

  Poster poster_;
  mutable std::mutex mu_;
  Table channels_, patterns_, shard_;
};

}  // namespace respite::proxy
