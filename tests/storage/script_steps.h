#pragma once
// Test helper: a command and the exact reply bytes redis-server 7.0.15 sent for it, run in order
// through a StoreHarness. Tables of steps are recorded from a real server (one fresh db per table)
// and replayed against the local store.

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tests/storage/store_harness.h"

namespace respite::storage {

struct Step {
  std::vector<std::string> argv;
  // The reply (a string_view literal, so NUL bytes are kept), or kSwitchProtocol: argv is
  // {"hello", "2" | "3"} and only switches the session's protocol (HELLO's own reply is not the
  // subject of these tables).
  std::string_view reply;
};

inline constexpr std::string_view kSwitchProtocol{};

inline std::string JoinArgs(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

inline void RunSteps(StoreHarness& h, std::span<const Step> steps) {
  for (const Step& step : steps) {
    if (step.reply.data() == nullptr) {
      h.session.protocol = std::stoi(step.argv.at(1));
      continue;
    }
    EXPECT_EQ(h.Run(step.argv), step.reply) << JoinArgs(step.argv);
  }
}

}  // namespace respite::storage
