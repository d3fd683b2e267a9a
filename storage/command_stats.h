#pragma once
// What INFO commandstats, errorstats and stats report for the local store, counted as Redis 7.0
// counts them: calls and time per command (subcommands as "config|get"), calls rejected before
// they ran (wrong arity, refused in a script, not served locally), calls that replied an error,
// and error replies by their code (the first word, "ERR" when there is none). CONFIG RESETSTAT
// clears them. Thread: the store executor only.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace respite::storage {

class CommandStats {
 public:
  // A command that ran (a blocked one counts once, when it is served).
  void Called(std::string_view command, int64_t usec, bool failed);
  // A command refused before it ran.
  void Rejected(std::string_view command);
  // One error reply sent (or raised in a script); `reply` is its RESP bytes or its text.
  void Error(std::string_view reply);
  void Reset();

  // The code Redis files an error under: "-WRONGTYPE Operation ..." -> "WRONGTYPE".
  static std::string ErrorCode(std::string_view reply);

  uint64_t total_error_replies() const { return total_error_replies_; }
  uint64_t total_calls() const { return total_calls_; }
  // INFO's section bodies ("cmdstat_get:calls=...\r\n", "errorstat_ERR:count=1\r\n").
  std::string CommandStatsText() const;
  std::string ErrorStatsText() const;

 private:
  struct Counters {
    uint64_t calls = 0;
    int64_t usec = 0;
    uint64_t rejected = 0;
    uint64_t failed = 0;
  };
  std::map<std::string, Counters, std::less<>> commands_;
  std::map<std::string, uint64_t, std::less<>> errors_;
  uint64_t total_error_replies_ = 0;
  uint64_t total_calls_ = 0;
  Counters& Of(std::string_view command);
};

}  // namespace respite::storage
