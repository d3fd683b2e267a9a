// CONFIG RESETSTAT, INFO commandstats, errorstats and total_error_replies, differential: one
// fixed script of commands (errors of every kind: wrong arity, unknown command, WRONGTYPE, errors
// raised in scripts, redis.pcall, error_reply, refused script calls, MULTI/EXEC) to a real
// redis-server and to LocalStore::Execute, then the sections compared (commandstats without the
// timings, whose order Redis does not fix either).

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "tests/storage/differential/normalize.h"
#include "tests/storage/differential/sides.h"
#include "tests/support/redis_server.h"

namespace respite::storage::diff {
namespace {

using Argv = std::vector<std::string>;

// The "name:value" lines of an INFO reply, usec fields dropped, sorted.
std::vector<std::string> StatLines(const std::string& reply, std::string_view prefix) {
  std::vector<std::string> out;
  std::istringstream in(reply);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind(prefix, 0) != 0) continue;
    // cmdstat_x:calls=1,usec=5,usec_per_call=5.00,rejected_calls=0,failed_calls=0
    for (std::string_view field : {",usec=", ",usec_per_call="}) {
      const size_t at = line.find(field);
      if (at != std::string::npos) line.erase(at, line.find(',', at + 1) - at);
    }
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(CommandStatsTest, SameAsRedis) {
  test::RedisServer server;
  ASSERT_EQ(server.Start(), "");
  RedisSide redis(server.port());
  ASSERT_TRUE(redis.ok());
  LocalSide local;
  ASSERT_EQ(local.Open(), "");
  const std::vector<Argv> script = {
      {"CONFIG", "RESETSTAT"},
      {"SET", "s", "v"},
      {"GET", "s"},
      {"GET"},
      {"NOSUCHCOMMAND", "a"},
      {"LPUSH", "s", "x"},
      {"SELECT", "99"},
      {"CONFIG", "GET", "maxmemory"},
      {"EVAL", "return redis.call('select', 99)", "0"},
      {"EVAL", "local t = redis.pcall('select', 99); return 1", "0"},
      {"EVAL", "return redis.pcall('lpush', 's', 'x')", "0"},
      {"EVAL", "return redis.error_reply('MY_ERR_CODE custom msg')", "0"},
      {"EVAL", "return redis.error_reply('')", "0"},
      {"EVAL", "return redis.status_reply('MY_OK fine')", "0"},
      {"EVAL_RO", "return redis.call('set', 'x', 'y')", "1", "x"},
      {"EVAL_RO", "local t = redis.pcall('set', 'x', 'y'); return 2", "1", "x"},
      {"EVAL", "return redis.call('get')", "0"},
      {"MULTI"},
      {"SET", "a", "1"},
      {"LPUSH", "a", "x"},
      {"EXEC"},
      {"MULTI"},
      {"GET"},
      {"EXEC"},
      {"HSET", "h", "f"},
      {"INCR", "s"},
  };
  for (const Argv& argv : script) {
    ASSERT_FALSE(redis.Run(argv).empty()) << redis.error() << " after " << EscapeArgv(argv);
    local.Run(argv);
  }
  for (const char* section : {"errorstats", "commandstats", "stats"}) {
    const std::string expected = redis.Run({"INFO", section});
    const std::string got = local.Run({"INFO", section});
    const char* prefix = std::string_view(section) == "stats"        ? "total_error_replies:"
                         : std::string_view(section) == "errorstats" ? "errorstat_"
                                                                     : "cmdstat_";
    auto redis_lines = StatLines(expected, prefix);
    auto local_lines = StatLines(got, prefix);
    // INFO itself: Redis counts the call in progress, the store after it.
    const auto drop_info = [](std::vector<std::string>& lines) {
      lines.erase(
          std::remove_if(lines.begin(), lines.end(),
                         [](const std::string& l) { return l.rfind("cmdstat_info:", 0) == 0; }),
          lines.end());
    };
    drop_info(redis_lines);
    drop_info(local_lines);
    EXPECT_EQ(local_lines, redis_lines) << section;
  }
}

}  // namespace
}  // namespace respite::storage::diff
