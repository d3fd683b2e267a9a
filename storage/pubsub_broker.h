#pragma once
// What PUBLISH, SPUBLISH and PUBSUB reach while the local store serves: the proxy's registry of
// this respite's own subscribers (proxy/client/pubsub_hub.h). Messages are not journaled
// (DESIGN.md, "Stage 2 decisions"): published while local, they reach this respite's subscribers
// only. Thread: called on the store executor; implementations are thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace respite::storage {

class PubSubBroker {
 public:
  virtual ~PubSubBroker() = default;
  // Delivers `message` to the subscribers of `channel` (shard: SSUBSCRIBE's, no patterns) and
  // returns how many received it (each matching pattern subscription counts once, as in Redis).
  // `after_reply`: it reaches each subscriber after the reply of the command publishing it (Redis
  // publishes some keyspace events after it replied: keyspace_events.cpp), not before.
  virtual int64_t Publish(std::string_view channel, std::string_view message, bool shard,
                          bool after_reply) = 0;
  // Channels with at least one subscriber, matching `pattern` when given.
  virtual std::vector<std::string> Channels(std::optional<std::string_view> pattern,
                                            bool shard) const = 0;
  // Subscribers of `channel` (pattern subscriptions excluded).
  virtual int64_t NumSub(std::string_view channel, bool shard) const = 0;
  // Distinct patterns subscribed to.
  virtual int64_t NumPat() const = 0;
};

}  // namespace respite::storage
