// Lua scripting on the local store. Differential: fixed cases (scripting_cases.h), the library
// cases (scripting_lib_cases.h: cmsgpack, struct, cjson, bit), CONFIG GET/SET (which scripts'
// busy-reply-threshold goes through) and seeded random scripts run against
// a real redis-server and LocalStore, replies compared byte for byte in RESP2 and RESP3. Then what
// only the store has: journaling a script as its effects (one group), the script cache persisted
// across a restart and remembered from forwarded traffic, frozen time, and SCRIPT KILL.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "storage/scripting/script_runner.h"
#include "tests/storage/differential/sides.h"
#include "tests/storage/scripting_cases.h"
#include "tests/storage/scripting_lib_cases.h"
#include "tests/storage/store_harness.h"
#include "tests/support/redis_server.h"

namespace respite::storage {
namespace {

using Strings = std::vector<std::string>;

std::string Printable(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Describe(const Strings& argv) {
  std::string out;
  for (const std::string& a : argv) out += "'" + Printable(a) + "' ";
  return out;
}

class ScriptingDiffTest : public ::testing::TestWithParam<int> {
 protected:
  static void SetUpTestSuite() {
    redis_ = new test::RedisServer();
    start_error_ = redis_->Start();
  }
  static void TearDownTestSuite() {
    delete redis_;
    redis_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(start_error_, "");
    redis_side_ = std::make_unique<diff::RedisSide>(redis_->port());
    ASSERT_TRUE(redis_side_->ok());
    if (GetParam() == 3) {
      ASSERT_NE(redis_side_->Run({"HELLO", "3"}), "");
    }
    ASSERT_EQ(local_.Open(), "");
    local_.session.protocol = GetParam();
    Both({"FLUSHALL"});
    Both({"SCRIPT", "FLUSH"});
    Both({"FUNCTION", "FLUSH"});
  }

  // Runs argv on both sides; records a failure when the replies differ.
  bool Both(const Strings& argv) {
    const std::string want = redis_side_->Run(argv);
    const std::string got = local_.Run(argv);
    EXPECT_EQ(Printable(got), Printable(want)) << "RESP" << GetParam() << ": " << Describe(argv);
    return got == want;
  }

  static test::RedisServer* redis_;
  static std::string start_error_;
  std::unique_ptr<diff::RedisSide> redis_side_;
  diff::LocalSide local_;
};

test::RedisServer* ScriptingDiffTest::redis_ = nullptr;
std::string ScriptingDiffTest::start_error_;

TEST_P(ScriptingDiffTest, FixedCasesMatchRedis) {
  for (const Strings& argv : testing::ScriptingCases()) Both(argv);
}

TEST_P(ScriptingDiffTest, FunctionCasesMatchRedis) {
  for (const Strings& argv : testing::FunctionCases()) Both(argv);
}

// CONFIG GET/SET of the parameters the store remembers (scripts need busy-reply-threshold;
// apps and Redis' suite set the others). Each case is followed by a GET, and defaults are put
// back at the end.
TEST_P(ScriptingDiffTest, ConfigCasesMatchRedis) {
  const std::vector<Strings> cases = {
      {"CONFIG", "SET", "busy-reply-threshold", "100"},
      {"CONFIG", "GET", "busy-reply-threshold"},
      {"CONFIG", "GET", "lua-time-limit"},
      {"CONFIG", "SET", "lua-time-limit", "5000"},
      {"CONFIG", "GET", "busy-reply-threshold"},
      {"CONFIG", "SET", "busy-reply-threshold", "x"},
      {"CONFIG", "SET", "busy-reply-threshold", "-1"},
      {"CONFIG", "SET", "hash-max-ziplist-entries", "16"},
      {"CONFIG", "GET", "hash-max-listpack-entries"},
      {"CONFIG", "SET", "hash-max-listpack-value", "1kb"},
      {"CONFIG", "GET", "hash-max-listpack-value"},
      {"CONFIG", "SET", "hash-max-listpack-value", "1k"},
      {"CONFIG", "GET", "hash-max-listpack-value"},
      {"CONFIG", "SET", "hash-max-listpack-value", "1x"},
      {"CONFIG", "SET", "list-max-listpack-size", "-3"},
      {"CONFIG", "GET", "list-max-ziplist-size"},
      {"CONFIG", "SET", "maxmemory-policy", "ALLKEYS-LRU"},
      {"CONFIG", "GET", "maxmemory-policy"},
      {"CONFIG", "SET", "maxmemory-policy", "bogus"},
      {"CONFIG", "SET", "appendonly", "maybe"},
      {"CONFIG", "SET", "notify-keyspace-events", "KEA"},
      {"CONFIG", "GET", "notify-keyspace-events"},
      {"CONFIG", "SET", "notify-keyspace-events", "Elg$shzxetd"},
      {"CONFIG", "GET", "notify-keyspace-events"},
      {"CONFIG", "SET", "notify-keyspace-events", "Kx"},
      {"CONFIG", "GET", "notify-keyspace-events"},
      {"CONFIG", "SET", "notify-keyspace-events", "Q"},
      {"CONFIG", "SET", "save", "900 1 300"},
      {"CONFIG", "SET", "databases", "4"},
      {"CONFIG", "SET", "nosuch", "1"},
      {"CONFIG", "SET", "maxmemory", "1mb", "maxmemory", "2mb"},
      {"CONFIG", "SET", "maxmemory", "1mb", "timeout"},
      {"CONFIG", "SET", "timeout", "5", "maxmemory-policy", "bad"},
      {"CONFIG", "GET", "timeout"},
      {"CONFIG", "SET", "maxmemory", "10mb", "timeout", "7"},
      {"CONFIG", "GET", "maxmemory"},
      {"CONFIG", "GET", "timeout"},
      {"CONFIG", "SET", "proto-max-bulk-len", "100"},
      {"CONFIG", "GET", "set-max-intset-entries"},
      {"CONFIG", "GET", "nosuch*"},
      {"CONFIG", "SET", "busy-reply-threshold", "5000", "hash-max-listpack-entries", "512",
       "hash-max-listpack-value", "64", "list-max-listpack-size", "-2", "maxmemory-policy",
       "noeviction", "notify-keyspace-events", "", "maxmemory", "0", "timeout", "0"},
  };
  for (const Strings& argv : cases) Both(argv);
}

// The bulk string of a "$len\r\n...\r\n" reply.
std::string BulkOf(const std::string& reply) {
  const size_t start = reply.find("\r\n") + 2;
  return reply.substr(start, reply.size() - start - 2);
}

// FUNCTION DUMP payloads move both ways: Redis' (its code LZF-compressed) restores here, and ours
// restores in Redis; RESTORE's policies and errors match.
TEST_P(ScriptingDiffTest, FunctionDumpAndRestoreMatchRedis) {
  const std::string long_lib = "#!lua name=big\n" + std::string(200, '-') +
                               "\nredis.register_function('big', function() return 'big' end)\n" +
                               std::string(100, '-');
  Both({"FUNCTION", "LOAD", long_lib});
  Both({"FUNCTION", "LOAD",
        "#!lua name=small\nredis.register_function('s', function() return 1 end)"});
  const std::string from_redis = BulkOf(redis_side_->Run({"FUNCTION", "DUMP"}));
  const std::string from_local = BulkOf(local_.Run({"FUNCTION", "DUMP"}));
  for (const std::string& payload : {from_redis, from_local}) {
    Both({"FUNCTION", "DELETE", "small"});
    Both({"FUNCTION", "RESTORE", payload});  // APPEND: library big exists
    Both({"FUNCTION", "RESTORE", payload, "REPLACE"});
    Both({"FUNCTION", "FLUSH"});
    Both({"FUNCTION", "RESTORE", payload});
    Both({"FCALL", "big", "0"});
    Both({"FCALL", "s", "0"});
    Both({"FUNCTION", "LIST", "LIBRARYNAME", "big", "WITHCODE"});
    Both({"FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('s', function() end)"});
    Both({"FUNCTION", "DELETE", "small"});
    Both({"FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('s', function() end)"});
    Both({"FUNCTION", "RESTORE", payload, "REPLACE"});  // function s collides with library other
    Both({"FUNCTION", "RESTORE", payload, "FLUSH"});
    Both({"FUNCTION", "STATS"});
  }
  std::string corrupt = from_redis;
  corrupt[corrupt.size() / 2] ^= 1;
  Both({"FUNCTION", "RESTORE", corrupt});
  Both({"FUNCTION", "RESTORE", "short"});
  Both({"FUNCTION", "RESTORE", from_redis, "BOGUS"});
  Both({"FUNCTION", "RESTORE", from_redis, "FLUSH", "x"});
  Both({"FUNCTION", "FLUSH"});
  Both({"FUNCTION", "RESTORE", BulkOf(redis_side_->Run({"FUNCTION", "DUMP"}))});
  Both({"FUNCTION", "DUMP"});
}

TEST_P(ScriptingDiffTest, LibraryCasesMatchRedis) {
  for (std::string_view body : testing::kLibScriptCases) {
    Both({"EVAL", std::string(body), "0"});
  }
}

// Seeded random scripts: reads, writes, pcall errors and type conversions on three shared keys.
class ScriptGenerator {
 public:
  explicit ScriptGenerator(uint64_t seed) : rng_(seed) {}

  std::string Next() {
    std::string body;
    if (Pick(4) == 0) body += "redis.setresp(3)\n";
    body += "local r = {}\n";
    const int statements = 1 + Pick(6);
    for (int i = 0; i < statements; ++i) body += Statement();
    body += Return();
    return body;
  }

 private:
  int Pick(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }
  std::string Key() { return "KEYS[" + std::to_string(1 + Pick(3)) + "]"; }
  std::string Arg() {
    switch (Pick(4)) {
      case 0:
        return "ARGV[" + std::to_string(1 + Pick(3)) + "]";
      case 1:
        return std::to_string(Pick(200) - 100);
      case 2:
        return "'" + std::string(1, static_cast<char>('a' + Pick(5))) + "'";
      default:
        return std::to_string(Pick(1000) / 7.0);
    }
  }
  std::string Call(const std::string& args) {
    return std::string(Pick(5) == 0 ? "redis.call(" : "redis.pcall(") + args + ")";
  }

  std::string Statement() {
    const std::string k = Key();
    std::string call;
    switch (Pick(16)) {
      case 0:
        call = Call("'set', " + k + ", " + Arg());
        break;
      case 1:
        call = Call("'get', " + k);
        break;
      case 2:
        call = Call("'incr', " + k);
        break;
      case 3:
        call = Call("'incrbyfloat', " + k + ", " + Arg());
        break;
      case 4:
        call = Call("'rpush', " + k + ", " + Arg() + ", " + Arg());
        break;
      case 5:
        call = Call("'lpop', " + k);
        break;
      case 6:
        call = Call("'lrange', " + k + ", 0, -1");
        break;
      case 7:
        call = Call("'hset', " + k + ", " + Arg() + ", " + Arg());
        break;
      case 8:
        call = Call("'hgetall', " + k);
        break;
      case 9:
        call = Call("'sadd', " + k + ", " + Arg());
        break;
      case 10:
        call = Call("'zadd', " + k + ", " + std::to_string(Pick(10)) + ", " + Arg());
        break;
      case 11:
        call = Call("'zrange', " + k + ", 0, -1, 'withscores'");
        break;
      case 12:
        call = Call("'del', " + k);
        break;
      case 13:
        call = Call("'type', " + k);
        break;
      case 14:
        call = Call("'exists', " + k + ", " + Key());
        break;
      default:
        call = Call("'zscore', " + k + ", " + Arg());
        break;
    }
    return "r[#r + 1] = " + call + "\n";
  }

  std::string Return() {
    switch (Pick(10)) {
      case 0:
        return "return r[1]\n";
      case 1:
        return "return #r\n";
      case 2:
        return "return {" + Arg() + ", true, false, " + Arg() + "}\n";
      case 3:
        return "return cjson.encode({n = #r, first = type(r[1])})\n";
      case 4:
        return "return cmsgpack.unpack(cmsgpack.pack(#r, 'x', 1.5))\n";
      case 5:
        return "return redis.status_reply(type(r[#r]))\n";
      case 6:
        return "return " + Arg() + "\n";
      default:
        return "return r\n";
    }
  }

  std::mt19937_64 rng_;
};

TEST_P(ScriptingDiffTest, RandomScriptsMatchRedis) {
  const Strings keys = {"k1", "k2", "k3"};
  for (uint64_t seed : {1, 2, 3}) {
    ScriptGenerator gen(seed);
    for (int i = 0; i < 300; ++i) {
      const std::string body = gen.Next();
      if (!Both({"EVAL", body, "3", "k1", "k2", "k3", "7", "x y", "2.5"})) {
        ADD_FAILURE() << "seed " << seed << " script " << i << ":\n" << body;
        return;
      }
    }
    for (const std::string& k : keys) {
      Both({"TYPE", k});
      Both({"EVAL",
            "local t = redis.call('type', KEYS[1])['ok']\n"
            "if t == 'string' then return redis.call('get', KEYS[1]) end\n"
            "if t == 'list' then return redis.call('lrange', KEYS[1], 0, -1) end\n"
            "if t == 'hash' then return redis.call('hlen', KEYS[1]) end\n"
            "if t == 'set' then return redis.call('scard', KEYS[1]) end\n"
            "if t == 'zset' then return redis.call('zrange', KEYS[1], 0, -1, 'withscores') end\n"
            "return t",
            "1", k});
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Protocols, ScriptingDiffTest, ::testing::Values(2, 3),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "resp" + std::to_string(info.param);
                         });

TEST(ScriptingStoreTest, ScriptIsJournaledAsItsEffectsInOneGroup) {
  StoreHarness h;
  const int64_t now = h.clock.NowMs();
  EXPECT_EQ(h.Run({"RPUSH", "q", "a", "b"}), ":2\r\n");
  EXPECT_EQ(h.Run({"EVAL",
                   "redis.call('set', KEYS[1], 'v', 'EX', 10)\n"
                   "redis.call('incr', KEYS[2])\n"
                   "redis.call('get', KEYS[1])\n"
                   "return redis.call('lpop', KEYS[3])",
                   "3", "s", "n", "q"}),
            "$1\r\na\r\n");
  const auto& journal = h.store->last_journal();
  ASSERT_EQ(journal.size(), 3u);
  EXPECT_EQ(journal[0], (Strings{"SET", "s", "v", "PXAT", std::to_string(now + 10000)}));
  EXPECT_EQ(journal[1], (Strings{"INCRBY", "n", "1"}));
  EXPECT_EQ(journal[2][0], "LREM");

  // One group: read back from the journal, the three share the group of the first.
  std::vector<JournalEntry> entries;
  size_t corrupt = 0;
  ASSERT_TRUE(h.store->journal().Read(0, 100, 1 << 20, &entries, &corrupt).ok());
  ASSERT_EQ(entries.size(), 4u);  // RPUSH, then the script's three
  EXPECT_EQ(entries[1].group, entries[1].seq);
  EXPECT_EQ(entries[3].group, entries[1].seq);
  EXPECT_TRUE(entries[3].group_end);

  // A script that only reads, or whose writes changed nothing, journals nothing.
  EXPECT_EQ(h.Run({"EVAL", "return redis.call('get', KEYS[1])", "1", "s"}), "$1\r\nv\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
  EXPECT_EQ(h.Run({"EVAL", "return redis.call('set', KEYS[1], 'w', 'NX')", "1", "s"}), "$-1\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
  // Never as EVAL.
  EXPECT_EQ(h.Run({"EVAL", "redis.call('del', KEYS[1])", "1", "s"}), "$-1\r\n");
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"del", "s"}));
}

TEST(ScriptingStoreTest, ErrorKeepsTheWritesBeforeIt) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"SET", "s", "x"}), "+OK\r\n");
  const std::string reply =
      h.Run({"EVAL", "redis.call('set', KEYS[1], 1)\nredis.call('incr', KEYS[2])", "2", "a", "s"});
  EXPECT_EQ(reply.rfind("-ERR value is not an integer or out of range script: ", 0), 0u) << reply;
  EXPECT_EQ(h.Run({"GET", "a"}), "$1\r\n1\r\n");  // as in Redis: no rollback
  ASSERT_EQ(h.store->last_journal().size(), 0u);
}

TEST(ScriptingStoreTest, ScriptCacheSurvivesRestart) {
  StoreHarness h;
  const std::string sha = "b534286061d4b9e4026607613b95c06c06015ae8";
  EXPECT_EQ(h.Run({"SCRIPT", "LOAD", "return 'loaded'"}), "$40\r\n" + sha + "\r\n");
  h.Reopen();
  EXPECT_EQ(h.Run({"EVALSHA", sha, "0"}), "$6\r\nloaded\r\n");
  EXPECT_EQ(h.Run({"SCRIPT", "EXISTS", sha}), "*1\r\n:1\r\n");
  EXPECT_EQ(h.Run({"SCRIPT", "FLUSH"}), "+OK\r\n");
  h.Reopen();
  EXPECT_EQ(h.Run({"EVALSHA", sha, "0"}), "-NOSCRIPT No matching script. Please use EVAL.\r\n");
}

TEST(ScriptingStoreTest, ScriptsSeenWhileForwardingAreRemembered) {
  StoreHarness h;
  const std::string sha = h.store->scripts().Remember("return ARGV[1]");
  // Remember queues its write in the store's batch; the executor commits it (a group here).
  h.store->BeginGroup();
  ASSERT_TRUE(h.store->EndGroup().ok());
  h.Reopen();
  EXPECT_EQ(h.Run({"EVALSHA", sha, "0", "hi"}), "$2\r\nhi\r\n");
  EXPECT_EQ(h.store->scripts().Bodies(), (Strings{"return ARGV[1]"}));
  // A body that does not compile is NOSCRIPT by sha, as upstream, which refused it, says.
  const std::string bad = h.store->scripts().Remember("return +");
  EXPECT_EQ(h.Run({"EVALSHA", bad, "0"}), "-NOSCRIPT No matching script. Please use EVAL.\r\n");
}

TEST(ScriptingStoreTest, TimeStandsStillDuringAScript) {
  // The fake clock cannot move inside a script; the wall-clock store shows the freeze: a key
  // set with PX 1 still exists after a busy loop of a few milliseconds.
  diff::LocalSide local;
  ASSERT_EQ(local.Open(), "");
  EXPECT_EQ(local.Run({"EVAL",
                       "redis.call('set', KEYS[1], 'v', 'PX', 1)\n"
                       "local t = 0\nfor i = 1, 3000000 do t = t + i end\n"
                       "return redis.call('exists', KEYS[1])",
                       "1", "k"}),
            ":1\r\n");
}

TEST(ScriptingStoreTest, ScriptKillStopsAScriptThatHasNotWritten) {
  StoreHarness h;
  ScriptControl& control = h.store->scripts().control();
  control.busy_threshold_ms = 20;
  std::thread killer([&] {
    while (!control.busy.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    control.kill = true;
  });
  const std::string reply = h.Run({"EVAL", "while true do pcall(function() end) end", "0"});
  killer.join();
  EXPECT_EQ(reply.rfind("-ERR Script killed by user with SCRIPT KILL... script: ", 0), 0u) << reply;
  EXPECT_FALSE(control.running.load());
  EXPECT_FALSE(control.busy.load());

  // A script that wrote cannot be killed: it runs to its end.
  std::atomic<bool> asked{false};
  std::thread late_killer([&] {
    while (!control.busy.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    control.kill = true;
    asked = true;
  });
  EXPECT_EQ(h.Run({"EVAL",
                   "redis.call('set', KEYS[1], 1)\n"
                   "local t = 0\nfor i = 1, 60000000 do t = t + 1 end\n"
                   "return redis.call('incr', KEYS[1])",
                   "1", "w"}),
            ":2\r\n");
  late_killer.join();
  EXPECT_TRUE(asked.load());
}

TEST(ScriptingStoreTest, FunctionsArePersistedAndJournaledAsThemselves) {
  StoreHarness h;
  const std::string code =
      "#!lua name=lib\nredis.register_function('bump', function(keys, args) return "
      "redis.call('incrby', keys[1], args[1]) end)";
  EXPECT_EQ(h.Run({"FUNCTION", "LOAD", code}), "$3\r\nlib\r\n");
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"FUNCTION", "LOAD", "REPLACE", code}));
  EXPECT_EQ(h.Run({"FCALL", "bump", "1", "n", "3"}), ":3\r\n");
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"INCRBY", "n", "3"}));
  h.Reopen();
  EXPECT_EQ(h.Run({"FCALL", "bump", "1", "n", "4"}), ":7\r\n");
  EXPECT_EQ(h.Run({"FUNCTION", "DELETE", "lib"}), "+OK\r\n");
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"FUNCTION", "DELETE", "lib"}));
  h.Reopen();
  EXPECT_EQ(h.Run({"FCALL", "bump", "1", "n", "4"}), "-ERR Function not found\r\n");
  EXPECT_EQ(h.Run({"FUNCTION", "FLUSH"}), "+OK\r\n");
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"FUNCTION", "FLUSH"}));
  // A library seen while forwarding is kept (not journaled: upstream has it).
  h.store->BeginGroup();
  h.store->scripts().RememberLibrary(code);
  ASSERT_TRUE(h.store->EndGroup().ok());
  h.Reopen();
  EXPECT_EQ(h.Run({"FCALL", "bump", "1", "n", "1"}), ":8\r\n");
}

TEST(ScriptingStoreTest, ScriptKillWithoutAScript) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"SCRIPT", "KILL"}), "-NOTBUSY No scripts in execution right now.\r\n");
}

}  // namespace
}  // namespace respite::storage
