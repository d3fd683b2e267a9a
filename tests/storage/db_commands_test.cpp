// Commands across dbs on the local store: MOVE, SWAPDB, COPY ... DB, and what FLUSHDB, FLUSHALL,
// SWAPDB and MOVE do to WATCHed keys (Redis 7.0: a key is touched when it exists on either side,
// stale keys counting as absent), with their journal entries.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "tests/storage/store_harness.h"

namespace respite::storage {
namespace {

using Journal = std::vector<std::vector<std::string>>;

// Runs argv for `session` (another client than the harness's).
std::string RunAs(StoreHarness& h, LocalSession& session, std::vector<std::string_view> argv) {
  std::string out;
  h.store->Execute(session, argv, &out);
  return out;
}

std::string ExecPing(StoreHarness& h) {
  h.Run({"multi"});
  h.Run({"ping"});
  return h.Run({"exec"});
}

constexpr std::string_view kAborted = "*-1\r\n";
constexpr std::string_view kPong = "*1\r\n+PONG\r\n";

TEST(DbCommands, MoveKeepsValueAndTtl) {
  StoreHarness h;
  h.Run({"rpush", "l", "a", "b"});
  h.Run({"pexpire", "l", "5000"});
  EXPECT_EQ(h.Run({"move", "l", "3"}), ":1\r\n");
  EXPECT_EQ(h.store->last_journal(), (Journal{{"move", "l", "3"}}));
  EXPECT_EQ(h.Run({"exists", "l"}), ":0\r\n");
  h.Run({"select", "3"});
  EXPECT_EQ(h.Run({"lrange", "l", "0", "-1"}), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(h.Run({"pttl", "l"}), ":5000\r\n");
  EXPECT_EQ(h.Run({"dbsize"}), ":1\r\n");
}

TEST(DbCommands, MoveRefusals) {
  StoreHarness h;
  h.Run({"set", "k", "v"});
  EXPECT_EQ(h.Run({"move", "k", "0"}), "-ERR source and destination objects are the same\r\n");
  EXPECT_EQ(h.Run({"move", "k", "16"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(h.Run({"move", "k", "x"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(h.Run({"move", "k", "4294967296"}),
            "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n");
  EXPECT_EQ(h.Run({"move", "missing", "1"}), ":0\r\n");
  h.Run({"select", "1"});
  h.Run({"set", "k", "there"});
  h.Run({"select", "0"});
  EXPECT_EQ(h.Run({"move", "k", "1"}), ":0\r\n");  // the target db has it
  EXPECT_TRUE(h.store->last_journal().empty());
  EXPECT_EQ(h.Run({"get", "k"}), "$1\r\nv\r\n");
}

TEST(DbCommands, SwapDbSwapsEveryType) {
  StoreHarness h;
  h.Run({"set", "s", "zero"});
  h.Run({"zadd", "z", "1", "a", "2", "b"});
  h.Run({"select", "1"});
  h.Run({"hset", "h", "f", "v"});
  h.Run({"set", "t", "x", "px", "7000"});
  EXPECT_EQ(h.Run({"swapdb", "0", "1"}), "+OK\r\n");
  EXPECT_EQ(h.store->last_journal(), (Journal{{"swapdb", "0", "1"}}));
  EXPECT_EQ(h.Run({"get", "s"}), "$4\r\nzero\r\n");
  EXPECT_EQ(h.Run({"zrange", "z", "0", "-1", "withscores"}),
            "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
  EXPECT_EQ(h.Run({"dbsize"}), ":2\r\n");
  h.Run({"select", "0"});
  EXPECT_EQ(h.Run({"hget", "h", "f"}), "$1\r\nv\r\n");
  EXPECT_EQ(h.Run({"pttl", "t"}), ":7000\r\n");
  EXPECT_EQ(h.Run({"dbsize"}), ":2\r\n");
  // It survives a restart, and the moved TTL still expires.
  h.Reopen();
  h.clock.Advance(7001);
  EXPECT_EQ(h.Run({"exists", "t", "h"}), ":1\r\n");
  EXPECT_EQ(h.Run({"swapdb", "1", "1"}), "+OK\r\n");  // Redis propagates it too
  EXPECT_EQ(h.store->last_journal(), (Journal{{"swapdb", "1", "1"}}));
}

TEST(DbCommands, SwapDbErrors) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"swapdb", "a", "1"}), "-ERR invalid first DB index\r\n");
  EXPECT_EQ(h.Run({"swapdb", "0", "b"}), "-ERR invalid second DB index\r\n");
  EXPECT_EQ(h.Run({"swapdb", "0", "16"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(h.Run({"swapdb", "4294967296", "1"}), "-ERR invalid first DB index\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
}

TEST(DbCommands, SwapDbInsideExecIsOneTransaction) {
  StoreHarness h;
  h.Run({"set", "k", "0"});
  h.Run({"multi"});
  h.Run({"set", "k", "1"});
  h.Run({"swapdb", "0", "2"});
  h.Run({"set", "k", "2"});
  EXPECT_EQ(h.Run({"exec"}), "*3\r\n+OK\r\n+OK\r\n+OK\r\n");
  EXPECT_EQ(h.Run({"get", "k"}), "$1\r\n2\r\n");
  h.Run({"select", "2"});
  EXPECT_EQ(h.Run({"get", "k"}), "$1\r\n1\r\n");
}

TEST(DbCommands, FlushTouchesOnlyExistingWatchedKeys) {
  for (std::string_view flush : {"flushdb", "flushall"}) {
    StoreHarness h;
    LocalSession other;
    h.Run({"watch", "missing"});
    RunAs(h, other, {flush});
    EXPECT_EQ(ExecPing(h), kPong) << flush;
    h.Run({"set", "k", "1"});
    h.Run({"watch", "k"});
    RunAs(h, other, {flush});
    EXPECT_EQ(ExecPing(h), kAborted) << flush;
  }
}

TEST(DbCommands, FlushOfStaleWatchedKeyIsNoChange) {
  StoreHarness h;
  LocalSession other;
  h.Run({"set", "x", "foo", "px", "1"});
  h.clock.Advance(2);
  h.Run({"watch", "x"});
  RunAs(h, other, {"flushdb"});
  EXPECT_EQ(ExecPing(h), kPong);
}

TEST(DbCommands, SwapDbTouchesWatchedKeysOnEitherSide) {
  StoreHarness h;
  LocalSession other;
  h.Run({"set", "x", "30"});
  h.Run({"watch", "x"});  // exists, and SWAPDB takes it away
  RunAs(h, other, {"swapdb", "0", "1"});
  EXPECT_EQ(ExecPing(h), kAborted);
  h.Run({"watch", "x"});  // missing, and SWAPDB brings it back
  RunAs(h, other, {"swapdb", "0", "1"});
  EXPECT_EQ(ExecPing(h), kAborted);
  h.Run({"watch", "y"});  // missing on both sides
  RunAs(h, other, {"swapdb", "0", "1"});
  EXPECT_EQ(ExecPing(h), kPong);
}

TEST(DbCommands, SwapDbStaleKeysAreNoChange) {
  StoreHarness h;
  LocalSession other;
  // Stale key replaced by no key.
  h.Run({"set", "x", "foo", "px", "1"});
  h.clock.Advance(2);
  h.Run({"watch", "x"});
  RunAs(h, other, {"swapdb", "0", "1"});
  EXPECT_EQ(ExecPing(h), kPong);
  // No key replaced by a stale one (x is stale in db 1 now).
  h.Run({"watch", "x"});
  RunAs(h, other, {"swapdb", "0", "1"});
  EXPECT_EQ(ExecPing(h), kPong);
}

TEST(DbCommands, WatchRemembersItsDb) {
  StoreHarness h;
  LocalSession other;
  h.Run({"select", "5"});
  h.Run({"set", "x", "30"});
  h.Run({"watch", "x"});
  RunAs(h, other, {"select", "1"});
  RunAs(h, other, {"set", "x", "10"});
  EXPECT_EQ(ExecPing(h), kPong);
  // MOVE touches the key in both dbs.
  h.Run({"watch", "x"});
  RunAs(h, other, {"select", "5"});
  RunAs(h, other, {"move", "x", "2"});
  EXPECT_EQ(ExecPing(h), kAborted);
}

TEST(DbCommands, StaleWatchedKeyDeletedOrExpiredSinceWatch) {
  StoreHarness h;
  // Stale when watched, then deleted by a lookup: no change.
  h.Run({"set", "x", "foo", "px", "1"});
  h.clock.Advance(2);
  h.Run({"watch", "x"});
  EXPECT_EQ(h.Run({"exists", "x"}), ":0\r\n");
  EXPECT_EQ(ExecPing(h), kPong);
  // Live when watched, expired by EXEC: aborted although nothing deleted it yet.
  h.Run({"set", "x", "foo", "px", "100"});
  h.Run({"watch", "x"});
  h.clock.Advance(101);
  h.Run({"multi"});
  h.Run({"incr", "x"});
  EXPECT_EQ(h.Run({"exec"}), kAborted);
}

TEST(DbCommands, CopyToAnotherDb) {
  StoreHarness h;
  h.Run({"sadd", "s", "a"});
  EXPECT_EQ(h.Run({"copy", "s", "s", "db", "4"}), ":1\r\n");
  EXPECT_EQ(h.Run({"copy", "s", "s", "db", "4"}), ":0\r\n");
  EXPECT_EQ(h.Run({"copy", "s", "s", "db", "16"}), "-ERR DB index is out of range\r\n");
  h.Run({"select", "4"});
  EXPECT_EQ(h.Run({"smembers", "s"}), "*1\r\n$1\r\na\r\n");
}

}  // namespace
}  // namespace respite::storage
