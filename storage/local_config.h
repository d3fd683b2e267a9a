#pragma once
// CONFIG GET and CONFIG SET while serving locally: the parameters apps and Redis' own test suite
// read and set, with Redis 7.0's defaults, value checks and error texts. Values are remembered
// for CONFIG GET; busy-reply-threshold (lua-time-limit) also bounds local scripts. The others do
// not change how the local store behaves (README, "Limits"). Not persisted, not journaled: a
// CONFIG SET done locally is not replayed upstream. Thread: the store executor only.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "storage/command_context.h"

namespace respite::storage {

class LocalConfig {
 public:
  LocalConfig();

  void Get(CommandContext& ctx) const;
  // Sets every name/value pair or none (Redis' CONFIG SET is atomic); applies
  // busy-reply-threshold to the script engine.
  void Set(CommandContext& ctx);

  int64_t busy_reply_threshold_ms() const;
  // A parameter's current value by canonical name ("" for a name it does not know); IntValue
  // reads a numeric one (0 when unknown).
  std::string_view Value(std::string_view name) const;
  int64_t IntValue(std::string_view name) const;
  // notify-keyspace-events in Redis' canonical form ("" when off).
  const std::string& notify_keyspace_events() const { return values_.at("notify-keyspace-events"); }

 private:
  std::map<std::string, std::string> values_;  // by canonical name
};

}  // namespace respite::storage
