#include "storage/command_stats.h"

#include <cstdio>

namespace respite::storage {

CommandStats::Counters& CommandStats::Of(std::string_view command) {
  auto it = commands_.find(command);
  if (it == commands_.end()) it = commands_.emplace(std::string(command), Counters{}).first;
  return it->second;
}

void CommandStats::Called(std::string_view command, int64_t usec, bool failed) {
  Counters& c = Of(command);
  ++c.calls;
  c.usec += usec;
  if (failed) ++c.failed;
  ++total_calls_;
}

void CommandStats::Rejected(std::string_view command) { ++Of(command).rejected; }

std::string CommandStats::ErrorCode(std::string_view reply) {
  if (!reply.empty() && (reply[0] == '-' || reply[0] == '!')) reply.remove_prefix(1);
  // Redis looks for the space in the first 32 bytes only.
  const size_t space = reply.substr(0, 31).find(' ');
  if (space == std::string_view::npos || space == 0) return "ERR";
  return std::string(reply.substr(0, space));
}

void CommandStats::Error(std::string_view reply) {
  ++total_error_replies_;
  const std::string code = ErrorCode(reply);
  auto it = errors_.find(code);
  if (it == errors_.end()) {
    // Redis stops filing new codes after 128 (a flood of distinct codes is a client bug).
    if (errors_.size() >= 128) return;
    it = errors_.emplace(code, 0).first;
  }
  ++it->second;
}

void CommandStats::Reset() {
  commands_.clear();
  errors_.clear();
  total_error_replies_ = 0;
  total_calls_ = 0;
}

std::string CommandStats::CommandStatsText() const {
  std::string out;
  char per_call[64];
  for (const auto& [name, c] : commands_) {
    if (c.calls == 0 && c.rejected == 0 && c.failed == 0) continue;
    std::snprintf(per_call, sizeof(per_call), "%.2f",
                  c.calls == 0 ? 0.0 : static_cast<double>(c.usec) / static_cast<double>(c.calls));
    out += "cmdstat_" + name + ":calls=" + std::to_string(c.calls) +
           ",usec=" + std::to_string(c.usec) + ",usec_per_call=" + per_call +
           ",rejected_calls=" + std::to_string(c.rejected) +
           ",failed_calls=" + std::to_string(c.failed) + "\r\n";
  }
  return out;
}

std::string CommandStats::ErrorStatsText() const {
  std::string out;
  for (const auto& [code, count] : errors_) {
    out += "errorstat_" + code + ":count=" + std::to_string(count) + "\r\n";
  }
  return out;
}

}  // namespace respite::storage
