// COMMAND GETKEYS and GETKEYSANDFLAGS, differential: for every command and subcommand of the
// table, argument lists of every length up to eight drawn from words that steer key specs
// (numbers for numkeys, STORE, STREAMS, KEYS, an empty string), to a real redis-server and to
// LocalStore::Execute; every reply must be byte-identical, in RESP2 and RESP3.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "resp/command_table.h"
#include "tests/storage/differential/normalize.h"
#include "tests/storage/differential/sides.h"
#include "tests/support/redis_server.h"

namespace respite::storage::diff {
namespace {

using Argv = std::vector<std::string>;

// The command's name words: "xgroup|create" -> {"XGROUP", "CREATE"}.
Argv NameWords(std::string_view name) {
  Argv out;
  const size_t bar = name.find('|');
  out.emplace_back(name.substr(0, bar));
  if (bar != std::string_view::npos) out.emplace_back(name.substr(bar + 1));
  return out;
}

TEST(CommandGetKeysTest, SameAsRedis) {
  test::RedisServer server;
  ASSERT_EQ(server.Start(), "");
  static const char* const kWords[] = {"k1", "2", "k2",  "STORE", "k3", "1",  "STREAMS", "KEYS",
                                       "",   "0", "GET", "k4",    "-1", "BY", "LIMIT",   "k5"};
  constexpr size_t kWordCount = sizeof(kWords) / sizeof(kWords[0]);
  for (int protocol : {2, 3}) {
    RedisSide redis(server.port());
    ASSERT_TRUE(redis.ok());
    LocalSide local;
    ASSERT_EQ(local.Open(), "");
    if (protocol == 3) {
      ASSERT_FALSE(redis.Run({"HELLO", "3"}).empty());
      local.session.protocol = 3;
    }
    size_t compared = 0;
    std::vector<Argv> cases = {
        {"NOSUCHCOMMAND", "x"},
        {"SORT", "abc", "STORE", "invalid", "STORE", "stillbad", "STORE", "def"},
        {"SORT", "abc", "LIMIT", "0", "1", "GET", "#", "BY", "w*", "STORE", "dst"},
        {"MIGRATE", "h", "1", "", "0", "5", "COPY", "AUTH2", "u", "p", "KEYS", "a", "b"},
        {"MIGRATE", "h", "1", "key", "0", "5", "KEYS", "a"},
        {"SET", "k", "v", "GET"},
        {"BITFIELD", "k", "GET", "u8", "0", "OVERFLOW", "SAT"},
        {"EVAL", "return 1", "abc"},
        {"FCALL", "f", "2", "a", "b", "c"},
        {"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s1", "s2", ">", ">"},
    };
    for (const resp::CommandSpec& spec : resp::CommandTable::Instance().builtin()) {
      for (size_t n = 0; n <= 8; ++n) {
        for (size_t offset : {size_t{0}, size_t{1}, size_t{5}}) {
          Argv argv = NameWords(spec.name);
          for (size_t i = 0; i < n; ++i) argv.emplace_back(kWords[(offset + i) % kWordCount]);
          cases.push_back(std::move(argv));
        }
      }
    }
    for (const Argv& target : cases) {
      for (const char* sub : {"GETKEYS", "GETKEYSANDFLAGS"}) {
        Argv argv = {"COMMAND", sub};
        argv.insert(argv.end(), target.begin(), target.end());
        const std::string expected = redis.Run(argv);
        ASSERT_FALSE(expected.empty()) << redis.error() << " after " << EscapeArgv(argv);
        EXPECT_EQ(local.Run(argv), expected) << "RESP" << protocol << ": " << EscapeArgv(argv);
        ++compared;
      }
    }
    EXPECT_GT(compared, 1000u);
  }
}

}  // namespace
}  // namespace respite::storage::diff
