// fallback.warm: replica, with real processes: respite follows a real redis-server as a replica
// (PSYNC: RDB, then the replication stream) while it forwards, so the local copy it serves from
// when redis dies is redis' own state, not a re-run of the writes it saw. What is checked:
// - after a full resync every type redis writes to an RDB (strings, int and LZF-compressed ones,
//   lists, hashes, sets, sorted sets, small and large encodings, streams with a consumer group and
//   its pending entries, function libraries, absolute expiries) reads back locally as on redis;
// - concurrent state-dependent scripts from several connections, through respite and straight to
//   redis, and XADD * leave the local copy equal to redis' (redis' execution order, redis' ids):
//   compared key by key right after redis is SIGKILLed;
// - the outage's local writes are replayed on top, exactly once (a queue drained by a script has
//   every item once), and after the cutover respite resyncs and is equal to redis again.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/client.h"
#include "tests/support/redis_server.h"
#include "tests/support/respite_process.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;

// Takes the head of the queue and records it with the next sequence number: the result depends
// on the order scripts ran in, which is what a re-run of forwarded scripts could not reproduce.
constexpr char kTake[] =
    "local v = redis.call('LPOP', KEYS[1])\n"
    "if not v then return false end\n"
    "local n = redis.call('INCR', KEYS[3])\n"
    "redis.call('RPUSH', KEYS[2], v .. ':' .. n)\n"
    "redis.call('XADD', KEYS[4], '*', 'item', v, 'n', n)\n"
    "return n";
constexpr char kLibrary[] =
    "#!lua name=warmlib\n"
    "redis.register_function('warm_incr', function(keys, args)\n"
    "  return redis.call('INCRBY', keys[1], args[1])\n"
    "end)";
constexpr int kJobs = 3000;

std::string StringOf(const Reply& r) {
  return r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : std::string();
}

// `field:value` from RESPITE STATUS or INFO.
std::string Field(Client& c, const std::vector<std::string>& cmd, const std::string& name) {
  const std::string text = StringOf(c.Command(cmd));
  const std::string needle = name + ":";
  const size_t at = text.find(needle);
  if (at == std::string::npos) return {};
  const size_t end = text.find("\r\n", at);
  return text.substr(at + needle.size(), end - at - needle.size());
}

std::vector<std::string> Sorted(const Reply& r) {
  std::vector<std::string> out;
  if (!r || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i < r->elements; ++i) out.push_back(DescribeReply(r->element[i]));
  std::sort(out.begin(), out.end());
  return out;
}

// Everything in db 0, key by key, in a form that compares equal when the data is equal.
std::string Fingerprint(Client& c) {
  std::string out;
  Reply keys = c.Command({"KEYS", "*"});
  for (const std::string& quoted : Sorted(keys)) {
    const std::string key = quoted.substr(1, quoted.size() - 2);  // Describe quotes strings
    const std::string type = [&] {
      Reply t = c.Command({"TYPE", key});
      return t && t->type == REDIS_REPLY_STATUS ? std::string(t->str, t->len) : std::string("?");
    }();
    out += key + " " + type + " expire=" + c.Command({"PEXPIRETIME", key}).Describe() + " ";
    if (type == "string") {
      out += c.Command({"GET", key}).Describe();
    } else if (type == "list") {
      out += c.Command({"LRANGE", key, "0", "-1"}).Describe();
    } else if (type == "hash") {
      for (const auto& f : Sorted(c.Command({"HGETALL", key}))) out += f + ",";
    } else if (type == "set") {
      for (const auto& m : Sorted(c.Command({"SMEMBERS", key}))) out += m + ",";
    } else if (type == "zset") {
      out += c.Command({"ZRANGE", key, "0", "-1", "WITHSCORES"}).Describe();
    } else if (type == "stream") {
      out += c.Command({"XRANGE", key, "-", "+"}).Describe();
      // radix-tree-nodes counts Redis' rax nodes, which the local store does not have (README).
      out += std::regex_replace(c.Command({"XINFO", "STREAM", key}).Describe(),
                                std::regex(R"("radix-tree-nodes",\(integer\) \d+)"),
                                R"("radix-tree-nodes",?)");
      // The summary form: the extended one reports idle times, which move between two reads.
      out += c.Command({"XPENDING", key, "g"}).Describe();
      out += c.Command({"XINFO", "GROUPS", key}).Describe();
    }
    out += "\n";
  }
  out += "functions " + c.Command({"FUNCTION", "LIST", "WITHCODE"}).Describe() + "\n";
  return out;
}

// The first line where two fingerprints differ, for a readable failure.
std::string FirstDifference(const std::string& a, const std::string& b) {
  size_t pos = 0;
  while (pos < a.size() && pos < b.size()) {
    const size_t ea = a.find('\n', pos), eb = b.find('\n', pos);
    const std::string la = a.substr(pos, ea - pos), lb = b.substr(pos, eb - pos);
    if (la != lb) {
      size_t at = 0;
      while (at < la.size() && at < lb.size() && la[at] == lb[at]) ++at;
      const size_t from = at > 300 ? at - 300 : 0;
      return la.substr(0, la.find(' ')) + " differs at byte " + std::to_string(at) +
             "\nredis:   ..." + la.substr(from, 600) + "\nrespite: ..." + lb.substr(from, 600);
    }
    if (ea == std::string::npos) break;
    pos = ea + 1;
  }
  return "(sizes differ: " + std::to_string(a.size()) + " vs " + std::to_string(b.size()) + ")";
}

class WarmReplicaTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure() && respite_) {
      std::cerr << "---- respite log ----\n" << respite_->process().Log(32768) << "\n----\n";
    }
  }

  // respite in front of redis_ with fallback.warm replica, failing over and back quickly.
  RespiteOptions WarmOptions() const {
    RespiteOptions options;
    options.upstream_url = redis_->Url();
    options.log_level = "info";
    options.env = {"RESPITE_FALLBACK_WARM=replica",      "RESPITE_HEALTH_INTERVAL_MS=100",
                   "RESPITE_HEALTH_UNHEALTHY_AFTER=2",   "RESPITE_HEALTH_HEALTHY_AFTER=2",
                   "RESPITE_BREAKER_BACKOFF_BASE_MS=50", "RESPITE_BREAKER_BACKOFF_MAX_MS=500"};
    return options;
  }
  bool WaitStreaming(const std::string& full_syncs) {
    return WaitFor(
        [&] {
          Client c = respite_->Connect(1s);
          return Field(c, {"RESPITE", "STATUS"}, "respite_warm_replica_state") == "streaming" &&
                 Field(c, {"RESPITE", "STATUS"}, "respite_warm_replica_full_syncs") == full_syncs;
        },
        30s);
  }
  // Until respite has applied everything redis has sent to its replicas.
  bool WaitCaughtUp() {
    return WaitFor(
        [&] {
          Client r = redis_->Connect();
          Client c = respite_->Connect(1s);
          const std::string master = Field(r, {"INFO", "replication"}, "master_repl_offset");
          return !master.empty() &&
                 Field(c, {"RESPITE", "STATUS"}, "respite_warm_replica_offset") == master;
        },
        30s);
  }
  bool WaitState(const std::string& state) {
    return WaitFor(
        [&] {
          Client c = respite_->Connect(1s);
          return Field(c, {"RESPITE", "STATUS"}, "respite_state") == state;
        },
        30s);
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<RespiteProcess> respite_;
};

TEST_F(WarmReplicaTest, LocalCopyIsRedisOwnStateThroughAnOutage) {
  RedisOptions persistent;
  persistent.extra_args = {"--appendonly", "yes", "--appendfsync", "always"};
  redis_ = std::make_unique<RedisServer>(persistent);
  ASSERT_EQ(redis_->Start(), "");
  Client direct = redis_->Connect();
  ASSERT_TRUE(direct.ok());

  // Before respite starts: this reaches it only through the RDB of its first full resync.
  ASSERT_TRUE(direct.Command({"SET", "str", "plain"}).IsStatus("OK"));
  ASSERT_TRUE(direct.Command({"SET", "int", "12345"}).IsStatus("OK"));
  ASSERT_TRUE(direct.Command({"SET", "long", std::string(300, 'x') + "tail"}).IsStatus("OK"));
  ASSERT_TRUE(direct.Command({"SET", "ttl", "v", "EX", "100000"}).IsStatus("OK"));
  ASSERT_TRUE(direct.Command({"HSET", "h-small", "a", "1", "b", "2"}).IsInteger(2));
  ASSERT_TRUE(direct.Command({"SADD", "s-int", "1", "2", "3"}).IsInteger(3));
  ASSERT_TRUE(direct.Command({"SADD", "s-str", "x", "y"}).IsInteger(2));
  ASSERT_TRUE(direct.Command({"ZADD", "z-small", "1.5", "a", "2", "b"}).IsInteger(2));
  std::vector<std::string> big_hash = {"HSET", "h-big"}, big_zset = {"ZADD", "z-big"},
                           big_set = {"SADD", "s-big"}, jobs = {"RPUSH", "jobs"};
  for (int i = 0; i < 300; ++i) {
    big_hash.insert(big_hash.end(), {"f" + std::to_string(i), std::string(i % 70, 'v')});
    big_zset.insert(big_zset.end(), {std::to_string(i * 0.25), "m" + std::to_string(i)});
    big_set.push_back("member-" + std::to_string(i));
  }
  for (int i = 0; i < kJobs; ++i) jobs.push_back("job" + std::to_string(i));
  ASSERT_TRUE(direct.Command(big_hash).IsInteger(300));
  ASSERT_TRUE(direct.Command(big_zset).IsInteger(300));
  ASSERT_TRUE(direct.Command(big_set).IsInteger(300));
  ASSERT_TRUE(direct.Command(jobs).IsInteger(kJobs));
  for (int i = 0; i < 5; ++i) {
    ASSERT_FALSE(direct.Command({"XADD", "events", "*", "n", std::to_string(i)}).IsError());
  }
  ASSERT_TRUE(direct.Command({"XGROUP", "CREATE", "events", "g", "0"}).IsStatus("OK"));
  ASSERT_FALSE(
      direct.Command({"XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", "events", ">"})
          .IsError());
  ASSERT_FALSE(direct.Command({"FUNCTION", "LOAD", kLibrary}).IsError());

  RespiteOptions options = WarmOptions();
  respite_ = std::make_unique<RespiteProcess>(options);
  ASSERT_EQ(respite_->Start(), "");
  ASSERT_TRUE(WaitStreaming("1")) << respite_->Log();
  Client via = respite_->Connect();
  const std::string take_sha = StringOf(via.Command({"SCRIPT", "LOAD", kTake}));
  ASSERT_EQ(take_sha.size(), 40u);
  ASSERT_FALSE(direct.Command({"SCRIPT", "LOAD", kTake}).IsError());

  // Four connections race on the queue: two through respite, two straight to redis.
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      Client c = w < 2 ? respite_->Connect() : redis_->Connect();
      for (int i = 0; !stop && i < 400; ++i) {
        c.Command({"EVALSHA", take_sha, "4", "jobs", "done", "seq", "events"});
        c.Command({"FCALL", "warm_incr", "1", "fcount", "2"});
        c.Command({"SET", "w" + std::to_string(w), std::to_string(i), "PX", "500000"});
        c.Command({"HINCRBY", "h-big", "f" + std::to_string(i % 300), "1"});
      }
    });
  }
  for (auto& t : writers) t.join();
  ASSERT_TRUE(WaitCaughtUp()) << Field(via, {"RESPITE", "STATUS"}, "respite_warm_replica_offset");

  // The local copy must be redis' own: compare right after redis dies.
  const std::string upstream_state = Fingerprint(direct);
  redis_->Kill();
  ASSERT_TRUE(WaitState("local"));
  Client local = respite_->Connect();
  const std::string local_state = Fingerprint(local);
  EXPECT_EQ(upstream_state, local_state) << FirstDifference(upstream_state, local_state);
  Client status = respite_->Connect();
  EXPECT_EQ(Field(status, {"RESPITE", "STATUS"}, "respite_warm_replica_apply_errors"), "0");

  // The outage: the app goes on locally (scripts, functions, XADD * after redis' last id).
  int taken_locally = 0;
  for (int i = 0; i < 200; ++i) {
    Reply r = local.Command({"EVALSHA", take_sha, "4", "jobs", "done", "seq", "events"});
    ASSERT_FALSE(r.IsError()) << r.Describe();
    if (r && r->type == REDIS_REPLY_INTEGER) ++taken_locally;
    ASSERT_FALSE(local.Command({"FCALL", "warm_incr", "1", "fcount", "2"}).IsError());
  }
  ASSERT_GT(taken_locally, 0);

  ASSERT_EQ(redis_->Restart(), "");
  ASSERT_TRUE(WaitState("forward"));
  Client after = redis_->Connect();
  // Every job once: taken (with a unique sequence number) or still queued.
  Reply done = after.Command({"LRANGE", "done", "0", "-1"});
  ASSERT_TRUE(done && done->type == REDIS_REPLY_ARRAY);
  std::set<std::string> items, numbers;
  for (size_t i = 0; i < done->elements; ++i) {
    const std::string entry(done->element[i]->str, done->element[i]->len);
    const size_t colon = entry.find(':');
    EXPECT_TRUE(items.insert(entry.substr(0, colon)).second) << "taken twice: " << entry;
    EXPECT_TRUE(numbers.insert(entry.substr(colon + 1)).second) << "number reused: " << entry;
  }
  Reply queued = after.Command({"LLEN", "jobs"});
  ASSERT_TRUE(queued && queued->type == REDIS_REPLY_INTEGER);
  EXPECT_EQ(static_cast<long long>(items.size()) + queued->integer, kJobs);
  EXPECT_TRUE(after.Command({"GET", "seq"}).IsString(std::to_string(done->elements)));
  Reply xlen = after.Command({"XLEN", "events"});
  EXPECT_TRUE(xlen && xlen->type == REDIS_REPLY_INTEGER &&
              xlen->integer == static_cast<long long>(5 + done->elements));

  // Back to forwarding: a fresh full resync makes the copy redis' own again.
  ASSERT_TRUE(WaitStreaming("2")) << respite_->Log();
  ASSERT_TRUE(WaitCaughtUp());
  const std::string resynced_upstream = Fingerprint(after);
  ASSERT_TRUE(via.Command({"RESPITE", "MODE", "LOCAL"}).IsStatus("OK"));
  Client pinned = respite_->Connect();
  const std::string resynced_local = Fingerprint(pinned);
  EXPECT_EQ(resynced_upstream, resynced_local)
      << FirstDifference(resynced_upstream, resynced_local);
  ASSERT_TRUE(via.Command({"RESPITE", "MODE", "AUTO"}).IsStatus("OK"));
}

// A write redis acknowledged just before it was SIGKILLed was also on its way to respite's
// replication link: the outage's first local command must see it. Each writer INCRs its own
// counter through respite while redis dies; its replies must never go back (a lost replicated
// write shows as a local reply no greater than one redis gave before).
TEST_F(WarmReplicaTest, AWriteRedisAcknowledgedJustBeforeItDiedIsServedLocally) {
  redis_ = std::make_unique<RedisServer>();
  ASSERT_EQ(redis_->Start(), "");
  RespiteOptions options = WarmOptions();
  // One io thread: the writers share one upstream connection. With two, redis may write one's
  // reply before the replication link's bytes that hold its write (it sends to the clients that
  // became writable last first) and die in between: a loss of redis' asynchronous replication
  // that any replica has, not respite's.
  options.io_threads = 1;
  respite_ = std::make_unique<RespiteProcess>(options);
  ASSERT_EQ(respite_->Start(), "");
  constexpr int kRounds = 4, kWriters = 4;
  for (int round = 1; round <= kRounds; ++round) {
    ASSERT_TRUE(WaitStreaming(std::to_string(round))) << respite_->Log();
    std::atomic<bool> stop{false};
    std::atomic<long long> acked{0};
    std::mutex mu;
    std::vector<std::string> problems;
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        // Redis restarts empty: a key per round, so every round counts from 0.
        const std::string key = "n" + std::to_string(round) + ":" + std::to_string(w);
        Client c = respite_->Connect();
        long long last = 0;
        while (!stop) {
          Reply r = c.Command({"INCR", key});
          if (!r || r->type != REDIS_REPLY_INTEGER) continue;  // the failover's moment
          if (r->integer <= last) {
            std::lock_guard lock(mu);
            problems.push_back(key + ": INCR answered " + std::to_string(r->integer) + " after " +
                               std::to_string(last));
          }
          last = r->integer;
          ++acked;
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + 100 * round));
    redis_->Kill();
    const bool local = WaitState("local");
    std::this_thread::sleep_for(300ms);  // the writers go on locally
    stop = true;
    for (auto& t : writers) t.join();
    ASSERT_TRUE(local) << respite_->Log();
    EXPECT_GT(acked.load(), 0);
    EXPECT_TRUE(problems.empty()) << "round " << round << ": " << problems.front() << " ("
                                  << problems.size() << " such replies)";
    ASSERT_EQ(redis_->Restart(), "");
    ASSERT_TRUE(WaitState("forward")) << respite_->Log();
  }
}

}  // namespace
}  // namespace respite::test
