// End-to-end tests of the local store: respite runs with `--mode local` in front of an upstream
// port where nothing listens, so every command is answered from its own RocksDB store. Real
// processes on free loopback ports; each test gets its own data directory.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/client.h"
#include "tests/support/process.h"
#include "tests/support/respite_process.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

long long ElapsedMs(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

// Polls `condition` every 10 ms until it holds or `timeout` passes.
// The elements of an array reply of bulk strings; empty for anything else.
std::vector<std::string> Strings(const Reply& r) {
  std::vector<std::string> out;
  if (!r || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* e = r->element[i];
    if (e->type == REDIS_REPLY_STRING) out.emplace_back(e->str, e->len);
  }
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// A flat field/value array (HGETALL) as a map, so the test does not depend on field order.
std::map<std::string, std::string> FieldMap(const Reply& r) {
  std::vector<std::string> flat = Strings(r);
  std::map<std::string, std::string> out;
  for (size_t i = 0; i + 1 < flat.size(); i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

// respite pinned to the local store; its upstream URL names a port nothing listens on.
class LocalModeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(StartRespite(), ""); }

  void TearDown() override {
    if (respite_ && respite_->process().pid() > 0) {
      EXPECT_TRUE(respite_->process().Running())
          << "respite died during the test: "
          << (respite_->process().exit_status() ? respite_->process().exit_status()->ToString()
                                                : "")
          << "\nlog:\n"
          << respite_->Log();
    }
    if (HasFailure() && respite_) {
      std::cerr << "---- respite log (" << respite_->dir() << ") ----\n"
                << respite_->Log() << "\n----\n";
    }
  }

  // Starts a fresh respite process on data_ (the same directory every time, so a restart sees
  // what the previous process stored).
  std::string StartRespite() {
    RespiteOptions options;
    options.upstream_url = "redis://127.0.0.1:" + std::to_string(dead_port_);
    options.log_level = "info";
    // Later flags win: this --data-dir replaces the per-process one RespiteProcess passes.
    options.extra_args = {"--mode", "local", "--data-dir", data_.path()};
    respite_ = std::make_unique<RespiteProcess>(std::move(options));
    return respite_->Start();
  }

  Client Connect(std::chrono::milliseconds timeout = 5s) {
    Client c(respite_->port(), timeout);
    EXPECT_TRUE(c.ok()) << "connect to 127.0.0.1:" << respite_->port() << ": " << c.error();
    return c;
  }

  TempDir data_{"respite-local"};
  uint16_t dead_port_ = FreePort();  // nothing listens here
  std::unique_ptr<RespiteProcess> respite_;
};

// ---- one test per data type ----

TEST_F(LocalModeTest, Strings) {
  Client c = Connect();
  EXPECT_EQ(c.Command({"SET", "s:k", "hello"}).Describe(), "+OK");
  EXPECT_EQ(c.Command({"GET", "s:k"}).Describe(), "\"hello\"");
  EXPECT_EQ(c.Command({"GET", "s:missing"}).Describe(), "(nil)");
  EXPECT_EQ(c.Command({"INCR", "s:n"}).Describe(), "(integer) 1");
  EXPECT_EQ(c.Command({"INCR", "s:n"}).Describe(), "(integer) 2");
  EXPECT_EQ(c.Command({"GET", "s:n"}).Describe(), "\"2\"");
  EXPECT_EQ(c.Command({"INCR", "s:k"}).Describe(), "-ERR value is not an integer or out of range");
}

TEST_F(LocalModeTest, Hashes) {
  Client c = Connect();
  EXPECT_EQ(c.Command({"HSET", "h:k", "f1", "v1", "f2", "v2"}).Describe(), "(integer) 2");
  EXPECT_EQ(c.Command({"HSET", "h:k", "f2", "v2b", "f3", "v3"}).Describe(), "(integer) 1");
  Reply all = c.Command({"HGETALL", "h:k"});
  ASSERT_TRUE(all.IsArray(6)) << all.Describe();
  EXPECT_EQ(FieldMap(all),
            (std::map<std::string, std::string>{{"f1", "v1"}, {"f2", "v2b"}, {"f3", "v3"}}));
  EXPECT_EQ(c.Command({"HGETALL", "h:missing"}).Describe(), "[]");
}

TEST_F(LocalModeTest, Lists) {
  Client c = Connect();
  EXPECT_EQ(c.Command({"LPUSH", "l:k", "a", "b", "c"}).Describe(), "(integer) 3");
  EXPECT_EQ(c.Command({"RPUSH", "l:k", "z"}).Describe(), "(integer) 4");
  EXPECT_EQ(c.Command({"LRANGE", "l:k", "0", "-1"}).Describe(), "[\"c\",\"b\",\"a\",\"z\"]");
  EXPECT_EQ(c.Command({"LRANGE", "l:k", "1", "2"}).Describe(), "[\"b\",\"a\"]");
  EXPECT_EQ(c.Command({"LRANGE", "l:missing", "0", "-1"}).Describe(), "[]");
}

TEST_F(LocalModeTest, Sets) {
  Client c = Connect();
  EXPECT_EQ(c.Command({"SADD", "set:k", "x", "y", "z", "x"}).Describe(), "(integer) 3");
  EXPECT_EQ(c.Command({"SADD", "set:k", "y"}).Describe(), "(integer) 0");
  Reply members = c.Command({"SMEMBERS", "set:k"});
  ASSERT_TRUE(members.IsArray(3)) << members.Describe();
  EXPECT_EQ(Sorted(Strings(members)), (std::vector<std::string>{"x", "y", "z"}));
}

TEST_F(LocalModeTest, SortedSets) {
  Client c = Connect();
  EXPECT_EQ(c.Command({"ZADD", "z:k", "2", "b", "1", "a", "3.5", "c"}).Describe(), "(integer) 3");
  EXPECT_EQ(c.Command({"ZADD", "z:k", "-1", "c"}).Describe(), "(integer) 0");
  EXPECT_EQ(c.Command({"ZRANGE", "z:k", "0", "-1", "WITHSCORES"}).Describe(),
            "[\"c\",\"-1\",\"a\",\"1\",\"b\",\"2\"]");
  EXPECT_EQ(c.Command({"ZRANGE", "z:k", "0", "-1"}).Describe(), "[\"c\",\"a\",\"b\"]");
}

TEST_F(LocalModeTest, WrongTypeIsReported) {
  Client c = Connect();
  ASSERT_EQ(c.Command({"SET", "wt:k", "v"}).Describe(), "+OK");
  EXPECT_EQ(c.Command({"SADD", "wt:k", "m"}).Describe(),
            "-WRONGTYPE Operation against a key holding the wrong kind of value");
}

// ---- transactions ----

TEST_F(LocalModeTest, MultiExecRunsQueuedCommands) {
  Client c = Connect();
  ASSERT_EQ(c.Command({"MULTI"}).Describe(), "+OK");
  EXPECT_EQ(c.Command({"SET", "tx:a", "1"}).Describe(), "+QUEUED");
  EXPECT_EQ(c.Command({"INCR", "tx:a"}).Describe(), "+QUEUED");
  EXPECT_EQ(c.Command({"SADD", "tx:s", "m"}).Describe(), "+QUEUED");
  EXPECT_EQ(c.Command({"GET", "tx:a"}).Describe(), "+QUEUED");
  EXPECT_EQ(c.Command({"EXEC"}).Describe(), "[+OK,(integer) 2,(integer) 1,\"2\"]");
  EXPECT_EQ(c.Command({"EXEC"}).Describe(), "-ERR EXEC without MULTI");
}

// Another client never observes a transaction half done: one client increments two counters in
// each MULTI/EXEC while another reads both with MGET; every read must see them equal.
TEST_F(LocalModeTest, MultiExecIsAtomicForOtherClients) {
  constexpr int kTransactions = 300;
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::string torn;  // written by the reader thread only, read after join
  std::thread reader([&] {
    Client r(respite_->port());
    if (!r.ok()) {
      torn = "reader could not connect: " + r.error();
      return;
    }
    while (!done.load()) {
      Reply got = r.Command({"MGET", "atom:a", "atom:b"});
      if (!got.IsArray(2)) {
        torn = "MGET: " + got.Describe() + " " + r.error();
        return;
      }
      std::string a = DescribeReply(got->element[0]);
      std::string b = DescribeReply(got->element[1]);
      if (a != b) {
        torn = "a=" + a + " b=" + b;
        return;
      }
      reads.fetch_add(1);
    }
  });
  Client w = Connect();
  for (int i = 0; i < kTransactions; ++i) {
    w.Append({"MULTI"});
    w.Append({"INCR", "atom:a"});
    w.Append({"INCR", "atom:b"});
    w.Append({"EXEC"});
    for (int j = 0; j < 3; ++j) w.GetReply();
    Reply exec = w.GetReply();
    ASSERT_TRUE(exec.IsArray(2)) << "transaction " << i << ": " << exec.Describe();
  }
  done = true;
  reader.join();
  EXPECT_EQ(torn, "") << "a reader saw a transaction half applied";
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(
      w.Command({"MGET", "atom:a", "atom:b"}).Describe(),
      "[\"" + std::to_string(kTransactions) + "\",\"" + std::to_string(kTransactions) + "\"]");
}

TEST_F(LocalModeTest, WatchedKeyModifiedByAnotherClientAbortsExec) {
  Client c = Connect();
  Client other = Connect();
  ASSERT_EQ(c.Command({"SET", "w:k", "before"}).Describe(), "+OK");
  ASSERT_EQ(c.Command({"WATCH", "w:k"}).Describe(), "+OK");
  ASSERT_EQ(other.Command({"SET", "w:k", "other"}).Describe(), "+OK");
  ASSERT_EQ(c.Command({"MULTI"}).Describe(), "+OK");
  EXPECT_EQ(c.Command({"SET", "w:k", "mine"}).Describe(), "+QUEUED");
  Reply exec = c.Command({"EXEC"});
  EXPECT_TRUE(exec.IsNil()) << "EXEC after a touched WATCH: " << exec.Describe();
  EXPECT_EQ(c.Command({"GET", "w:k"}).Describe(), "\"other\"");
}

TEST_F(LocalModeTest, WatchedKeyUntouchedExecRuns) {
  Client c = Connect();
  Client other = Connect();
  ASSERT_EQ(c.Command({"SET", "w:k", "before"}).Describe(), "+OK");
  ASSERT_EQ(c.Command({"WATCH", "w:k"}).Describe(), "+OK");
  ASSERT_EQ(other.Command({"SET", "w:unrelated", "x"}).Describe(), "+OK");
  ASSERT_EQ(c.Command({"MULTI"}).Describe(), "+OK");
  EXPECT_EQ(c.Command({"SET", "w:k", "mine"}).Describe(), "+QUEUED");
  EXPECT_EQ(c.Command({"EXEC"}).Describe(), "[+OK]");
  EXPECT_EQ(other.Command({"GET", "w:k"}).Describe(), "\"mine\"");
}

// A client that sends WATCH and hangs up at once: its watch must be gone before anyone touches
// the key (the store once registered a late WATCH for a session it had already forgotten; the
// sanitizer build of this test catches a write to the freed session).
TEST_F(LocalModeTest, WatchFromAClientThatHangsUpIsForgotten) {
  for (int i = 0; i < 200; ++i) {
    RawConnection c(respite_->port());
    ASSERT_TRUE(c.Send("*2\r\n$5\r\nWATCH\r\n$6\r\nhang:k\r\nPING\r\n"));
  }
  Client other = Connect();
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(other.Command({"SET", "hang:k", std::to_string(i)}).Describe(), "+OK");
  }
  EXPECT_EQ(other.Command({"GET", "hang:k"}).Describe(), "\"99\"");
}

// ---- blocking commands ----

TEST_F(LocalModeTest, BlpopIsWokenByRpushFromAnotherClient) {
  Client blocked = Connect(10s);
  blocked.Append({"BLPOP", "bq:k", "5"});
  ASSERT_TRUE(blocked.Flush());
  // Give the BLPOP time to reach the store and park before the push.
  std::this_thread::sleep_for(300ms);

  // Others are served while it waits.
  Client other = Connect();
  EXPECT_EQ(other.Command({"SET", "bq:other", "1"}).Describe(), "+OK");

  auto start = Clock::now();
  EXPECT_EQ(other.Command({"RPUSH", "bq:k", "job"}).Describe(), "(integer) 1");
  Reply r = blocked.GetReply();
  long long ms = ElapsedMs(start);
  EXPECT_EQ(r.Describe(), "[\"bq:k\",\"job\"]") << blocked.error();
  EXPECT_LT(ms, 1000) << "BLPOP woke " << ms << " ms after the RPUSH";
  EXPECT_EQ(blocked.Command({"PING"}).Describe(), "+PONG");
  // The woken client took the item.
  EXPECT_EQ(other.Command({"EXISTS", "bq:k"}).Describe(), "(integer) 0");
}

TEST_F(LocalModeTest, BlpopTimeoutReturnsNil) {
  Client c = Connect();
  auto start = Clock::now();
  Reply r = c.Command({"BLPOP", "bq:empty", "0.5"});
  long long ms = ElapsedMs(start);
  EXPECT_TRUE(r.IsNil()) << r.Describe() << " " << c.error();
  EXPECT_GE(ms, 450);
  EXPECT_LT(ms, 2000);
  EXPECT_EQ(c.Command({"PING"}).Describe(), "+PONG");
}

// ---- expiry (real time) ----

TEST_F(LocalModeTest, ExpiredKeyDisappears) {
  Client c = Connect();
  ASSERT_EQ(c.Command({"SET", "ttl:k", "v"}).Describe(), "+OK");
  ASSERT_EQ(c.Command({"SET", "ttl:kept", "v"}).Describe(), "+OK");
  auto start = Clock::now();
  EXPECT_EQ(c.Command({"EXPIRE", "ttl:k", "1"}).Describe(), "(integer) 1");
  Reply ttl = c.Command({"PTTL", "ttl:k"});
  ASSERT_TRUE(ttl && ttl->type == REDIS_REPLY_INTEGER) << ttl.Describe();
  EXPECT_GT(ttl->integer, 500);
  EXPECT_LE(ttl->integer, 1000);
  EXPECT_EQ(c.Command({"GET", "ttl:k"}).Describe(), "\"v\"");

  ASSERT_TRUE(WaitFor(
      [&] {
        return c.Command({"GET", "ttl:k"}).IsNil();
      },
      3s))
      << "ttl:k still there " << ElapsedMs(start) << " ms after EXPIRE 1";
  EXPECT_GE(ElapsedMs(start), 900) << "the key expired early";
  EXPECT_EQ(c.Command({"EXISTS", "ttl:k"}).Describe(), "(integer) 0");
  EXPECT_EQ(c.Command({"TTL", "ttl:k"}).Describe(), "(integer) -2");
  EXPECT_EQ(c.Command({"TTL", "ttl:kept"}).Describe(), "(integer) -1");
}

TEST_F(LocalModeTest, ActiveExpiryRemovesKeysNobodyReads) {
  Client c = Connect();
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(c.Command({"SET", "ae:" + std::to_string(i), "v", "PX", "200"}).Describe(), "+OK");
  }
  ASSERT_EQ(c.Command({"SET", "ae:kept", "v"}).Describe(), "+OK");
  EXPECT_TRUE(WaitFor([&] { return c.Command({"DBSIZE"}).IsInteger(1); }, 5s))
      << "DBSIZE " << c.Command({"DBSIZE"}).Describe() << " 5 s after 20 keys expired";
}

TEST_F(LocalModeTest, ActiveExpiryFindsDueKeysAmongManyWithoutATtl) {
  // Walking 30,000 keys at the cycle's 2,000 a second would take 15 s; the expiry hints lead the
  // cycle straight to the due keys.
  Client c = Connect();
  for (int batch = 0; batch < 30; ++batch) {
    std::vector<std::string> mset = {"MSET"};
    for (int i = 0; i < 1000; ++i) {
      mset.push_back("plain:" + std::to_string(batch * 1000 + i));
      mset.push_back("v");
    }
    ASSERT_EQ(c.Command(mset).Describe(), "+OK");
  }
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(c.Command({"SET", "zz:" + std::to_string(i), "v", "PX", "200"}).Describe(), "+OK");
  }
  EXPECT_TRUE(WaitFor([&] { return c.Command({"DBSIZE"}).IsInteger(30000); }, 3s))
      << "DBSIZE " << c.Command({"DBSIZE"}).Describe() << " 3 s after 20 keys expired";
}

// ---- connection state ----

TEST_F(LocalModeTest, SelectIsolatesDatabases) {
  Client c = Connect();
  Client other = Connect();
  ASSERT_EQ(c.Command({"SET", "sel:k", "db0"}).Describe(), "+OK");
  ASSERT_EQ(c.Command({"SELECT", "1"}).Describe(), "+OK");
  EXPECT_EQ(c.Command({"GET", "sel:k"}).Describe(), "(nil)");
  ASSERT_EQ(c.Command({"SET", "sel:k", "db1"}).Describe(), "+OK");
  EXPECT_EQ(c.Command({"SADD", "sel:s", "m"}).Describe(), "(integer) 1");
  EXPECT_EQ(c.Command({"DBSIZE"}).Describe(), "(integer) 2");
  // Another connection is still on db 0.
  EXPECT_EQ(other.Command({"GET", "sel:k"}).Describe(), "\"db0\"");
  EXPECT_EQ(other.Command({"DBSIZE"}).Describe(), "(integer) 1");
  EXPECT_EQ(other.Command({"SELECT", "1"}).Describe(), "+OK");
  EXPECT_EQ(other.Command({"GET", "sel:k"}).Describe(), "\"db1\"");
  ASSERT_EQ(c.Command({"SELECT", "0"}).Describe(), "+OK");
  EXPECT_EQ(c.Command({"GET", "sel:k"}).Describe(), "\"db0\"");
  EXPECT_EQ(c.Command({"SELECT", "16"}).Describe(), "-ERR DB index is out of range");
}

TEST_F(LocalModeTest, Hello3SwitchesRepliesToResp3) {
  RawConnection c(respite_->port());
  ASSERT_TRUE(c.ok()) << c.error();
  auto hello = c.Command({"HELLO", "3"});
  ASSERT_TRUE(hello) << "buffer: " << c.buffer();
  ASSERT_EQ(hello->type, '%') << hello->Describe();
  const Resp3* proto = hello->Find("proto");
  ASSERT_NE(proto, nullptr) << hello->Describe();
  EXPECT_EQ(proto->Describe(), "(integer) 3");

  auto describe = [&](const std::vector<std::string>& argv) {
    auto r = c.Command(argv);
    return r ? r->Describe() : "(no reply; buffer: " + c.buffer() + ")";
  };
  auto type_of = [&](const std::vector<std::string>& argv) {
    auto r = c.Command(argv);
    return r ? std::string(1, r->type) : "(no reply; buffer: " + c.buffer() + ")";
  };
  EXPECT_EQ(type_of({"GET", "r3:missing"}), "_");
  EXPECT_EQ(describe({"SET", "r3:k", "v"}), "+OK");
  EXPECT_EQ(describe({"ZADD", "r3:z", "1.5", "a", "2", "b"}), "(integer) 2");
  EXPECT_EQ(describe({"ZSCORE", "r3:z", "a"}), "1.5");
  EXPECT_EQ(type_of({"ZSCORE", "r3:z", "a"}), ",");
  EXPECT_EQ(describe({"ZRANGE", "r3:z", "0", "-1", "WITHSCORES"}), "*[*[\"a\", 1.5], *[\"b\", 2]]");
  EXPECT_EQ(describe({"SADD", "r3:s", "m"}), "(integer) 1");
  EXPECT_EQ(describe({"SMEMBERS", "r3:s"}), "~[\"m\"]");
  EXPECT_EQ(describe({"HSET", "r3:h", "f", "v"}), "(integer) 1");
  EXPECT_EQ(describe({"HGETALL", "r3:h"}), "%[\"f\": \"v\"]");

  // And back to RESP2.
  auto hello2 = c.Command({"HELLO", "2"});
  ASSERT_TRUE(hello2) << "buffer: " << c.buffer();
  EXPECT_EQ(hello2->type, '*') << hello2->Describe();
  EXPECT_EQ(type_of({"GET", "r3:missing"}), "$");
  EXPECT_EQ(describe({"ZSCORE", "r3:z", "a"}), "\"1.5\"");
}

// ---- scripts ----

TEST_F(LocalModeTest, ScriptsRunOnTheLocalStore) {
  Client c = Connect();
  EXPECT_EQ(c.Command({"EVAL", "return redis.call('incrby', KEYS[1], ARGV[1])", "1", "ev:n", "5"})
                .Describe(),
            "(integer) 5");
  Reply loaded = c.Command({"SCRIPT", "LOAD", "return redis.call('get', KEYS[1])"});
  ASSERT_TRUE(loaded && loaded->type == REDIS_REPLY_STRING) << loaded.Describe();
  const std::string sha(loaded->str, loaded->len);
  EXPECT_EQ(c.Command({"EVALSHA", sha, "1", "ev:n"}).Describe(), "\"5\"");
  // A command the store cannot run yet fails the script with the store's error.
  EXPECT_TRUE(c.Command({"EVAL", "return redis.call('memory', 'doctor')", "0"})
                  .IsErrorPrefix("ERR memory doctor is not available while upstream Redis is "
                                 "unreachable script: "));
}

TEST_F(LocalModeTest, LongScriptAnswersBusyAndScriptKillStopsIt) {
  Client setup = Connect();
  ASSERT_TRUE(setup.Command({"CONFIG", "SET", "busy-reply-threshold", "100"}).IsStatus("OK"));
  Client runner = Connect(20s);
  runner.Append({"EVAL", "local i = 0 while true do i = i + 1 end", "0"});
  ASSERT_TRUE(runner.Flush());
  Client other = Connect();
  // Past the threshold, other clients get Redis' -BUSY at once instead of waiting behind it.
  Reply busy;
  const auto deadline = Clock::now() + 10s;
  do {
    std::this_thread::sleep_for(20ms);
    busy = other.Command({"GET", "k"});
  } while (!busy.IsErrorPrefix("BUSY") && Clock::now() < deadline);
  EXPECT_EQ(busy.Describe(),
            "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN "
            "NOSAVE.");
  EXPECT_EQ(other.Command({"FUNCTION", "KILL"}).Describe(),
            "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN "
            "NOSAVE.");
  EXPECT_TRUE(other.Command({"SCRIPT", "KILL"}).IsStatus("OK"));
  Reply killed = runner.GetReply();
  EXPECT_TRUE(killed.IsErrorPrefix("ERR Script killed by user with SCRIPT KILL... script: "))
      << killed.Describe();
  EXPECT_TRUE(other.Command({"SET", "k", "v"}).IsStatus("OK"));

  // One that wrote cannot be killed; it runs to its end.
  runner.Append({"EVAL",
                 "redis.call('set', KEYS[1], 'x') local i = 0 while i < 150000000 do i = i + 1 "
                 "end return redis.call('get', KEYS[1])",
                 "1", "w"});
  ASSERT_TRUE(runner.Flush());
  Reply unkillable;
  const auto deadline2 = Clock::now() + 10s;
  do {
    std::this_thread::sleep_for(20ms);
    unkillable = other.Command({"SCRIPT", "KILL"});
  } while (unkillable.IsErrorPrefix("NOTBUSY") && Clock::now() < deadline2);
  EXPECT_TRUE(
      unkillable.IsErrorPrefix("UNKILLABLE Sorry the script already executed write "
                               "commands against the dataset."))
      << unkillable.Describe();
  EXPECT_TRUE(runner.GetReply().IsString("x"));
  EXPECT_TRUE(setup.Command({"CONFIG", "SET", "busy-reply-threshold", "5000"}).IsStatus("OK"));
}

// ---- what the store cannot do ----

TEST_F(LocalModeTest, UnservedCommandIsRefusedWithTheUnavailableError) {
  Client c = Connect();
  EXPECT_EQ(c.Command({"MEMORY", "DOCTOR"}).Describe(),
            "-ERR memory doctor is not available while upstream Redis is unreachable");
  // The connection stays usable.
  EXPECT_EQ(c.Command({"PING"}).Describe(), "+PONG");
}

// ---- persistence ----

TEST_F(LocalModeTest, DataSurvivesCleanRestart) {
  {
    Client c = Connect();
    ASSERT_EQ(c.Command({"SET", "p:str", "v"}).Describe(), "+OK");
    ASSERT_EQ(c.Command({"INCR", "p:n"}).Describe(), "(integer) 1");
    ASSERT_EQ(c.Command({"SET", "p:ttl", "v", "EX", "1000"}).Describe(), "+OK");
    EXPECT_EQ(c.Command({"HSET", "p:h", "f", "v"}).Describe(), "(integer) 1");
    EXPECT_EQ(c.Command({"RPUSH", "p:l", "a", "b"}).Describe(), "(integer) 2");
    EXPECT_EQ(c.Command({"SADD", "p:s", "m"}).Describe(), "(integer) 1");
    EXPECT_EQ(c.Command({"ZADD", "p:z", "7", "m"}).Describe(), "(integer) 1");
    ASSERT_EQ(c.Command({"SELECT", "3"}).Describe(), "+OK");
    ASSERT_EQ(c.Command({"SET", "p:db3", "x"}).Describe(), "+OK");
  }
  auto status = respite_->process().Terminate(10s);
  ASSERT_TRUE(status) << "respite still running 10 s after SIGTERM; log:\n" << respite_->Log();
  EXPECT_TRUE(status->Success()) << status->ToString() << "\nlog:\n" << respite_->Log();

  ASSERT_EQ(StartRespite(), "");
  Client c = Connect();
  EXPECT_EQ(c.Command({"GET", "p:str"}).Describe(), "\"v\"");
  EXPECT_EQ(c.Command({"INCR", "p:n"}).Describe(), "(integer) 2");
  Reply ttl = c.Command({"TTL", "p:ttl"});
  EXPECT_TRUE(ttl && ttl->type == REDIS_REPLY_INTEGER && ttl->integer > 900 && ttl->integer <= 1000)
      << ttl.Describe();
  EXPECT_EQ(c.Command({"HGETALL", "p:h"}).Describe(), "[\"f\",\"v\"]");
  EXPECT_EQ(c.Command({"LRANGE", "p:l", "0", "-1"}).Describe(), "[\"a\",\"b\"]");
  EXPECT_EQ(c.Command({"SMEMBERS", "p:s"}).Describe(), "[\"m\"]");
  EXPECT_EQ(c.Command({"ZRANGE", "p:z", "0", "-1", "WITHSCORES"}).Describe(), "[\"m\",\"7\"]");
  EXPECT_EQ(c.Command({"GET", "p:db3"}).Describe(), "(nil)");
  ASSERT_EQ(c.Command({"SELECT", "3"}).Describe(), "+OK");
  EXPECT_EQ(c.Command({"GET", "p:db3"}).Describe(), "\"x\"");
}

}  // namespace
}  // namespace respite::test
