#pragma once
// A subscriber's channels, patterns and shard channels, kept from the commands it sends so that
// respite can subscribe it again on a new upstream connection after an outage (DESIGN.md
// "Commands in flight": subscribers are kept and resubscribed on recovery). Messages published
// while upstream was down are not replayed: pub/sub delivers at most once.

#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace respite::proxy {

enum class SubscriptionKind { kChannel, kPattern, kShard };

class Subscriptions {
 public:
  // Follows one command sent on the relay link (SUBSCRIBE, UNSUBSCRIBE and their P and S forms;
  // MONITOR and CLIENT TRACKING make the connection one respite cannot rebuild).
  void Track(std::span<const std::string_view> argv);

  // One subscription added or removed; false when it was already there (or not there).
  bool Add(SubscriptionKind kind, std::string_view name);
  bool Remove(SubscriptionKind kind, std::string_view name);
  const std::set<std::string>& Names(SubscriptionKind kind) const {
    return kind == SubscriptionKind::kChannel   ? channels_
           : kind == SubscriptionKind::kPattern ? patterns_
                                                : shard_;
  }
  // The names in the order (P|S)UNSUBSCRIBE without arguments leaves them in Redis 7.0: patterns
  // in subscription order (a list there), channels in any (a dict).
  std::vector<std::string> UnsubscribeOrder(SubscriptionKind kind) const;

  // Whether the session can be kept across an upstream outage (no MONITOR or tracking).
  bool rebuildable() const { return !unrebuildable_; }
  bool resubscribable() const { return !unrebuildable_ && count() > 0; }
  size_t count() const { return channels_.size() + patterns_.size() + shard_.size(); }
  size_t channels() const { return channels_.size(); }
  size_t patterns() const { return patterns_.size(); }
  size_t shard_channels() const { return shard_.size(); }

  // Appends the commands that restore every subscription; returns how many confirmation
  // messages upstream will send back for them.
  size_t AppendResubscribe(std::string* out) const;

  // Whether `reply` (RESP2 array or RESP3 push) confirms a SUBSCRIBE, PSUBSCRIBE or SSUBSCRIBE.
  static bool IsConfirmation(std::string_view reply);

 private:
  std::set<std::string>& Set(SubscriptionKind kind) {
    return kind == SubscriptionKind::kChannel   ? channels_
           : kind == SubscriptionKind::kPattern ? patterns_
                                                : shard_;
  }

  std::set<std::string> channels_, patterns_, shard_;
  std::vector<std::string> pattern_order_;  // patterns_ in subscription order
  bool unrebuildable_ = false;
};

}  // namespace respite::proxy
