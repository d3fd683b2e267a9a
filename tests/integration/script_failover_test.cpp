// Fault test of Lua scripts across an upstream outage (DESIGN.md "Scripting", "Journal = what
// Redis itself writes to its AOF", "Commands in flight when upstream fails"): real redis-server
// (appendonly, appendfsync always, so a SIGKILL keeps every acknowledged write) and respite; four
// clients call scripts through respite while upstream is SIGKILLed and restarted, twice. Redis
// does not persist its script cache, so each restarted upstream knows no script: an EVALSHA that
// works after the cutover works because respite loaded the script there first.
//
// What is checked, read directly from redis at the end:
// - no client ever gets NOSCRIPT: before the outage (upstream), during it (the local store must
//   have remembered the scripts it forwarded: SCRIPT LOAD and EVAL bodies), after it (respite
//   loads its cached scripts upstream before clients switch back);
// - every acknowledged script's effects are upstream exactly once (a journaled script is its
//   effects, replayed once in one MULTI): counters, hash fields, moved list items;
// - TTLs set by a script are absolute (PEXPIRE run locally is replayed as the expiry the client
//   saw, not a fresh lifetime);
// - an item a script popped never reappears in its source list, and none is lost or doubled.
//
// Acknowledged, unknown: a reply with the shape of success is acknowledged: its effects must be
// upstream exactly once. A script call whose reply is -TRYAGAIN (sent upstream before the kill,
// reply lost: respite runs neither it nor anything in its place) or that got no reply at all (an
// I/O error) has an unknown outcome: upstream may have run it before it died. Each unknown call
// widens what is allowed by its own effect, no more; any other error is a failure.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/client.h"
#include "tests/support/process.h"
#include "tests/support/reconnecting_client.h"
#include "tests/support/redis_server.h"
#include "tests/support/respite_process.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A token bucket: take ARGV[1] tokens, keep the bucket ARGV[2] ms.
constexpr char kTokenBucket[] =
    "local n = redis.call('INCRBY', KEYS[1], ARGV[1])\n"
    "redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
    "return n";
// A lock release: delete the lock only if it still holds this owner's token.
constexpr char kLockRelease[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
    "  return redis.call('DEL', KEYS[1])\n"
    "end\n"
    "return 0";
// A queue move: pop the head of KEYS[1], push it on KEYS[2], return it (nil when empty).
constexpr char kMove[] =
    "local v = redis.call('LPOP', KEYS[1])\n"
    "if v then redis.call('RPUSH', KEYS[2], v) end\n"
    "return v";
// Run by EVAL only, every time.
constexpr char kHashEval[] = "return redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])";
// Seen by respite only as an EVAL body (while forwarding), then called by EVALSHA.
constexpr char kHashSha[] = "return redis.call('HINCRBY', KEYS[1], 'by_sha', 1)";

constexpr int kOutages = 2;
constexpr long long kTokens = 3;  // INCRBY amount of each token-bucket call
constexpr long long kBucketTtlMs = 600000;
constexpr long long kBucketSliceMs = 100;  // the bucket key changes every 100 ms
constexpr int kQueueItems = 1000;          // pre-filled upstream
// Wall-clock slack: Redis and the local store round to whole milliseconds.
constexpr long long kClockSlackMs = 5;

RedisOptions Persistent() {
  RedisOptions options;
  options.extra_args = {"--appendonly", "yes", "--appendfsync", "always"};
  return options;
}

// A SIGKILLed redis is found at once (a reset connection), whatever the timeouts. healthy_after 5:
// half a second between a restarted redis answering and the cutover, so the test can see the
// restarted redis' script cache empty before respite loads it. Timeouts are not tight: redis
// fsyncs every write, and a replay or a forwarded script on a busy machine must not be taken for
// a failure.
RespiteOptions FastFailover(const std::string& upstream_url) {
  RespiteOptions options;
  options.upstream_url = upstream_url;
  options.log_level = "info";
  options.env = {"RESPITE_HEALTH_INTERVAL_MS=100",          "RESPITE_HEALTH_TIMEOUT_MS=500",
                 "RESPITE_HEALTH_UNHEALTHY_AFTER=2",        "RESPITE_HEALTH_HEALTHY_AFTER=5",
                 "RESPITE_BREAKER_BACKOFF_BASE_MS=50",      "RESPITE_BREAKER_BACKOFF_MAX_MS=500",
                 "RESPITE_UPSTREAM_REQUEST_TIMEOUT_MS=2000"};
  return options;
}

std::string FullLog(RespiteProcess& respite) { return ReadFile(respite.process().log_path()); }

size_t CountOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

long long WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

long long IntegerOf(const Reply& r) {
  if (!r) return -1;
  if (r->type == REDIS_REPLY_INTEGER) return r->integer;
  if (r->type == REDIS_REPLY_STRING) return std::stoll(std::string(r->str, r->len));
  return -1;
}

std::string StringOf(const Reply& r) {
  return r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : std::string();
}

// The first few of `items`, for failure messages.
std::string Some(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < 10; ++i) out += (i == 0 ? "" : ", ") + items[i];
  return items.size() > 10 ? out + ", ..." : out;
}

std::vector<std::string> ListOf(const Reply& r) {
  std::vector<std::string> out;
  if (!r || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i < r->elements; ++i) {
    out.emplace_back(r->element[i]->str, r->element[i]->len);
  }
  return out;
}

// Polls until respite says it forwards (RESPITE STATUS): past the cutover, so every command sent
// from then on goes to the restarted redis. (A probe written through respite and read back from
// redis is not enough: while DRAINING, the replay carries it upstream within milliseconds.)
bool WaitForwarding(RespiteProcess& respite, std::chrono::milliseconds timeout = 30s) {
  return WaitFor(
      [&] {
        Client c = respite.Connect(1s);
        Reply r = c.Command({"RESPITE", "STATUS"});
        return r && r->type == REDIS_REPLY_STRING &&
               std::string(r->str, r->len).find("respite_state:forward") != std::string::npos;
      },
      timeout);
}

using Writer = ReconnectingClient;

// Phases, set by the test's main thread: 0 before the first kill; 2k+1 from the k-th kill until
// respite's cutover (served locally, DRAINING included); 2k+2 forwarding after the k-th cutover.
std::string PhaseName(int phase) {
  if (phase == 0) return "before the outages";
  const int outage = (phase + 1) / 2;
  return (phase % 2 == 1 ? "during outage " : "after outage ") + std::to_string(outage);
}

enum class Outcome { kAcked, kUnknown, kNoScript, kUnexpected };

// How one client's replies went: its own, read after join.
struct Tally {
  long long unknown = 0;
  std::map<int, long long> acked_by_phase;
  std::vector<std::string> noscript;    // every NOSCRIPT, with the command and phase
  std::vector<std::string> unexpected;  // every other error

  // Sorts one reply; `acked` says whether it has the shape of success for its command.
  Outcome Note(const std::string& what, int phase, const Reply& r, bool acked) {
    if (acked) {
      ++acked_by_phase[phase];
      return Outcome::kAcked;
    }
    if (!r || r.IsErrorPrefix("TRYAGAIN")) {
      ++unknown;
      return Outcome::kUnknown;
    }
    const std::string line = what + " " + PhaseName(phase) + ": " + r.Describe();
    if (r.IsErrorPrefix("NOSCRIPT")) {
      noscript.push_back(line);
      return Outcome::kNoScript;  // ran nowhere
    }
    unexpected.push_back(line);
    return Outcome::kUnexpected;  // counted as unknown below, and a failure
  }
};

class ScriptFailoverTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure() && respite_) {
      std::cerr << "---- respite log (" << respite_->dir() << ") ----\n"
                << respite_->process().Log(32768) << "\n----\n";
    }
  }

  Client Direct() {
    Client c = redis_->Connect();
    EXPECT_TRUE(c.ok()) << c.error();
    return c;
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<RespiteProcess> respite_;
};

TEST_F(ScriptFailoverTest, EvalshaClientsApplyEachAcknowledgedScriptOnceAndNeverSeeNoscript) {
  redis_ = std::make_unique<RedisServer>(Persistent());
  ASSERT_EQ(redis_->Start(), "");
  respite_ = std::make_unique<RespiteProcess>(FastFailover(redis_->Url()));
  ASSERT_EQ(respite_->Start(), "");

  // Scripts become known to respite only by passing through it while it forwards.
  Client setup = respite_->Connect();
  ASSERT_TRUE(setup.ok()) << setup.error();
  const std::string bucket_sha = StringOf(setup.Command({"SCRIPT", "LOAD", kTokenBucket}));
  const std::string release_sha = StringOf(setup.Command({"SCRIPT", "LOAD", kLockRelease}));
  const std::string move_sha = StringOf(setup.Command({"SCRIPT", "LOAD", kMove}));
  ASSERT_EQ(bucket_sha.size(), 40u);
  ASSERT_EQ(release_sha.size(), 40u);
  ASSERT_EQ(move_sha.size(), 40u);
  // kHashSha's SHA1 from redis itself, without loading kHashSha anywhere.
  Client direct = Direct();
  ASSERT_TRUE(direct.ok());
  const std::string hash_sha =
      StringOf(direct.Command({"EVAL", "return redis.sha1hex(ARGV[1])", "0", kHashSha}));
  ASSERT_EQ(hash_sha.size(), 40u);
  ASSERT_TRUE(setup.Command({"EVAL", kHashSha, "1", "sf:hash"}).IsInteger(1));
  const std::vector<std::string> shas = {bucket_sha, release_sha, move_sha, hash_sha};

  std::vector<std::string> queue_items;
  std::map<std::string, long long> push_order;  // item -> its place in the order of pushes
  for (int i = 0; i < kQueueItems; ++i) {
    queue_items.push_back("p" + std::to_string(i));
    push_order[queue_items.back()] = i;
  }
  {
    std::vector<std::string> rpush = {"RPUSH", "sf:src"};
    rpush.insert(rpush.end(), queue_items.begin(), queue_items.end());
    ASSERT_TRUE(direct.Command(rpush).IsInteger(kQueueItems));
  }

  std::atomic<int> phase{0};
  std::atomic<bool> stop{false};
  Tally tallies[4];
  const auto started = Clock::now();

  // Client 1: the token bucket, on a new key every kBucketSliceMs (so some keys see only calls
  // served locally, whose expiry upstream comes from the replay alone).
  struct Bucket {
    long long acked_tokens = 0;
    long long unknown_calls = 0;
    long long last_acked_sent_ms = 0;  // wall clock: the expiry is at least this + TTL
    long long last_reply_ms = 0;       // wall clock: the expiry is at most this + TTL
  };
  std::map<std::string, Bucket> buckets;
  // Client 2: lock acquire (SET NX PX) and release (compare-and-delete script), alternating.
  long long acquire_refused = 0, release_found_other = 0;
  Reply last_release;
  // Client 3: RPUSH a new item on the source, then move the head to the destination.
  std::vector<std::string> pushed_acked, moved_acked;
  long long move_unknown = 0, moved_while_down = 0;
  // Client 4: EVAL of one script, EVALSHA of another known to respite only from an EVAL (the
  // setup's EVAL above is its first acknowledged call).
  long long by_eval_acked = 0, by_eval_unknown = 0, by_sha_acked = 1, by_sha_unknown = 0;

  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    Writer w(*respite_);
    Tally& t = tallies[0];
    while (!stop.load()) {
      const int at = phase.load();
      const long long slice =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count() /
          kBucketSliceMs;
      const std::string key = "sf:bucket:" + std::to_string(slice);
      const long long sent_ms = WallMs();
      Reply r = w.Command(
          {"EVALSHA", bucket_sha, "1", key, std::to_string(kTokens), std::to_string(kBucketTtlMs)});
      const long long reply_ms = WallMs();
      Bucket& b = buckets[key];
      switch (t.Note("EVALSHA token-bucket", at, r, r && r->type == REDIS_REPLY_INTEGER)) {
        case Outcome::kAcked:
          b.acked_tokens += kTokens;
          b.last_acked_sent_ms = sent_ms;
          b.last_reply_ms = reply_ms;
          break;
        case Outcome::kUnknown:
        case Outcome::kUnexpected:
          ++b.unknown_calls;
          b.last_reply_ms = reply_ms;
          break;
        case Outcome::kNoScript:
          break;
      }
    }
  });
  threads.emplace_back([&] {
    Writer w(*respite_);
    Tally& t = tallies[1];
    for (long long i = 0; !stop.load(); ++i) {
      const int at = phase.load();
      const std::string token = "owner-" + std::to_string(i);
      Reply acquire = w.Command({"SET", "sf:lock", token, "NX", "PX", "60000"});
      if (acquire.IsNil()) {
        ++acquire_refused;
      } else {
        t.Note("SET NX", at, acquire, acquire.IsStatus("OK"));
      }
      Reply release = w.Command({"EVALSHA", release_sha, "1", "sf:lock", token});
      if (t.Note("EVALSHA lock-release", at, release,
                 release && release->type == REDIS_REPLY_INTEGER) == Outcome::kAcked &&
          release->integer == 0) {
        ++release_found_other;
      }
      last_release = std::move(release);
    }
  });
  threads.emplace_back([&] {
    Writer w(*respite_);
    Tally& t = tallies[2];
    for (long long i = 0; !stop.load(); ++i) {
      const int at = phase.load();
      const std::string item = "c" + std::to_string(i);
      push_order[item] = kQueueItems + i;  // only this thread writes it until join
      Reply push = w.Command({"RPUSH", "sf:src", item});
      if (t.Note("RPUSH", at, push, push && push->type == REDIS_REPLY_INTEGER) == Outcome::kAcked) {
        pushed_acked.push_back(item);
      }
      Reply move = w.Command({"EVALSHA", move_sha, "2", "sf:src", "sf:dst"});
      const bool acked = move && (move->type == REDIS_REPLY_STRING || move.IsNil());
      switch (t.Note("EVALSHA move", at, move, acked)) {
        case Outcome::kAcked:
          if (move->type == REDIS_REPLY_STRING) {
            moved_acked.push_back(StringOf(move));
            if (at % 2 == 1) ++moved_while_down;
          }
          break;
        case Outcome::kUnknown:
        case Outcome::kUnexpected:
          ++move_unknown;
          break;
        case Outcome::kNoScript:
          break;
      }
    }
  });
  threads.emplace_back([&] {
    Writer w(*respite_);
    Tally& t = tallies[3];
    while (!stop.load()) {
      const int at = phase.load();
      Reply eval = w.Command({"EVAL", kHashEval, "1", "sf:hash", "by_eval", "1"});
      if (t.Note("EVAL", at, eval, eval && eval->type == REDIS_REPLY_INTEGER) == Outcome::kAcked) {
        ++by_eval_acked;
      } else {
        ++by_eval_unknown;
      }
      Reply sha = w.Command({"EVALSHA", hash_sha, "1", "sf:hash"});
      if (t.Note("EVALSHA remembered-from-EVAL", at, sha,
                 sha && sha->type == REDIS_REPLY_INTEGER) == Outcome::kAcked) {
        ++by_sha_acked;
      } else {
        ++by_sha_unknown;
      }
    }
  });

  std::vector<std::string> cache_after_restart;
  bool forwarding = true;
  for (int outage = 0; outage < kOutages && forwarding; ++outage) {
    std::this_thread::sleep_for(400ms);
    redis_->Kill();
    phase.store(2 * outage + 1);
    std::this_thread::sleep_for(1500ms);
    if (std::string err = redis_->Restart(); !err.empty()) {
      ADD_FAILURE() << "restarting redis: " << err;
      break;
    }
    // Before respite's cutover (healthy_after 5): the restarted redis knows no script.
    Client fresh = Direct();
    std::vector<std::string> exists = {"SCRIPT", "EXISTS"};
    exists.insert(exists.end(), shas.begin(), shas.end());
    cache_after_restart.push_back(fresh.Command(exists).Describe());
    forwarding = WaitForwarding(*respite_);
    phase.store(2 * outage + 2);
  }
  std::this_thread::sleep_for(400ms);  // scripts forwarded to the restarted redis
  stop.store(true);
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(forwarding) << "respite did not forward again within 30 s";

  // The log is flushed lazily: wait for the last cutover's lines.
  EXPECT_TRUE(WaitFor(
      [&] {
        return CountOf(FullLog(*respite_), "scripts upstream before the cutover") >=
               static_cast<size_t>(kOutages);
      },
      5s))
      << "respite did not log loading its scripts upstream at each cutover";
  // More when a replay is cut short (a health check timing out while the restarted redis fsyncs
  // the replay): served locally again, then replayed again.
  const size_t switches_to_local = CountOf(FullLog(*respite_), "serving locally");
  EXPECT_GE(switches_to_local, static_cast<size_t>(kOutages));
  direct = Direct();  // the connection from before the outages went with the first redis
  ASSERT_TRUE(direct.ok());
  for (const std::string& cache : cache_after_restart) {
    EXPECT_EQ(cache, "[(integer) 0,(integer) 0,(integer) 0,(integer) 0]")
        << "the restarted redis already knew a script: the test proves nothing";
  }

  // ---- NOSCRIPT, other errors, and that every phase was exercised ----
  const char* kClients[] = {"token bucket", "lock", "queue move", "EVAL/EVALSHA hash"};
  for (int c = 0; c < 4; ++c) {
    const Tally& t = tallies[c];
    EXPECT_TRUE(t.noscript.empty())
        << kClients[c] << ": " << t.noscript.size() << " NOSCRIPT, first " << t.noscript.front();
    EXPECT_TRUE(t.unexpected.empty()) << kClients[c] << ": " << t.unexpected.size()
                                      << " unexpected errors, first " << t.unexpected.front();
    // At most the command in flight when respite turned to its local store has an unknown
    // outcome (once per kill, more only if respite failed over for another reason too).
    EXPECT_LE(t.unknown, static_cast<long long>(switches_to_local)) << kClients[c];
    std::cerr << kClients[c] << ": acknowledged";
    for (int p = 0; p <= 2 * kOutages; ++p) {
      const auto it = t.acked_by_phase.find(p);
      const long long n = it == t.acked_by_phase.end() ? 0 : it->second;
      std::cerr << " " << n << " " << PhaseName(p) << ",";
      EXPECT_GT(n, 0) << kClients[c] << ": nothing acknowledged " << PhaseName(p);
    }
    std::cerr << " unknown " << t.unknown << "\n";
  }

  // ---- client 1: tokens exactly once, absolute expiry ----
  long long acked_tokens = 0, upstream_tokens = 0;
  size_t buckets_checked = 0;
  for (const auto& [key, b] : buckets) {
    const long long value = IntegerOf(direct.Command({"GET", key}));
    const long long expiry = IntegerOf(direct.Command({"PEXPIRETIME", key}));
    acked_tokens += b.acked_tokens;
    upstream_tokens += std::max(value, 0LL);
    if (b.acked_tokens == 0 && b.unknown_calls == 0) continue;  // only NOSCRIPT (reported above)
    ++buckets_checked;
    if (b.acked_tokens == 0) {
      // Unknown calls only: absent, or some of them applied.
      EXPECT_TRUE(value == -1 || (value % kTokens == 0 && value / kTokens <= b.unknown_calls))
          << key << " = " << value << " from " << b.unknown_calls << " unknown calls only";
      continue;
    }
    // Each unknown call may have added kTokens; nothing else may differ.
    const long long extra = value - b.acked_tokens;
    EXPECT_TRUE(extra >= 0 && extra % kTokens == 0 && extra / kTokens <= b.unknown_calls)
        << key << ": upstream " << value << ", acknowledged " << b.acked_tokens << " tokens, "
        << b.unknown_calls << " calls of unknown outcome";
    // The last call that ran set the expiry to its own time + TTL: at least the last
    // acknowledged call's send time, at most the last reply's time. A replay that gave the key
    // a fresh lifetime puts it later.
    EXPECT_GE(expiry, b.last_acked_sent_ms + kBucketTtlMs - kClockSlackMs) << key;
    EXPECT_LE(expiry, b.last_reply_ms + kBucketTtlMs + kClockSlackMs)
        << key << ": expiry " << expiry - b.last_reply_ms - kBucketTtlMs
        << " ms later than the last call could set it (replayed with a fresh lifetime?)";
  }
  EXPECT_GT(buckets_checked, 20u);
  long long unknown_bucket_calls = 0;
  for (const auto& [key, b] : buckets) unknown_bucket_calls += b.unknown_calls;
  EXPECT_GE(upstream_tokens, acked_tokens);
  EXPECT_LE(upstream_tokens, acked_tokens + kTokens * unknown_bucket_calls);
  std::cerr << "token bucket: " << buckets.size() << " keys, " << acked_tokens
            << " tokens acknowledged, " << upstream_tokens << " upstream\n";

  // ---- client 2: the lock ----
  // The last release came after the last outage, through the restarted redis.
  ASSERT_TRUE(last_release && last_release->type == REDIS_REPLY_INTEGER) << last_release.Describe();
  EXPECT_EQ(last_release->integer, 1) << "the last release did not find the lock it had taken";
  EXPECT_TRUE(direct.Command({"EXISTS", "sf:lock"}).IsInteger(0))
      << "a lock is left upstream: " << direct.Command({"GET", "sf:lock"}).Describe();
  EXPECT_EQ(acquire_refused, 0) << "a lock was left behind by a release that was acknowledged";
  // With fallback.warm none, a lock taken upstream just before a kill is not in the local store:
  // its release served locally finds nothing (once per switch to local). Nothing else may miss.
  EXPECT_LE(release_found_other, static_cast<long long>(switches_to_local));

  // ---- client 3: the queue ----
  const std::vector<std::string> src = ListOf(direct.Command({"LRANGE", "sf:src", "0", "-1"}));
  const std::vector<std::string> dst = ListOf(direct.Command({"LRANGE", "sf:dst", "0", "-1"}));
  std::map<std::string, int> seen;
  for (const std::string& item : src) ++seen[item];
  for (const std::string& item : dst) ++seen[item];
  std::vector<std::string> doubled, unknown_items, lost, back_in_src;
  for (const auto& [item, n] : seen) {
    if (n != 1) doubled.push_back(item);
    if (push_order.count(item) == 0) unknown_items.push_back(item);
  }
  for (const std::string& item : queue_items) {
    if (seen.count(item) == 0) lost.push_back(item);
  }
  for (const std::string& item : pushed_acked) {
    if (seen.count(item) == 0) lost.push_back(item);
  }
  const std::set<std::string> in_src(src.begin(), src.end());
  for (const std::string& item : moved_acked) {
    if (in_src.count(item) != 0) back_in_src.push_back(item);
  }
  EXPECT_TRUE(doubled.empty()) << doubled.size() << " items upstream twice: " << Some(doubled);
  EXPECT_TRUE(unknown_items.empty()) << "never pushed: " << Some(unknown_items);
  EXPECT_TRUE(lost.empty()) << lost.size() << " items lost: " << Some(lost);
  EXPECT_TRUE(back_in_src.empty())
      << back_in_src.size() << " moved items back in the source: " << Some(back_in_src);
  const std::set<std::string> acked_set(moved_acked.begin(), moved_acked.end());
  EXPECT_EQ(acked_set.size(), moved_acked.size()) << "one item was moved twice";
  // The destination holds the acknowledged moves in the order they were acknowledged, plus at
  // most one item per move of unknown outcome.
  std::vector<std::string> dst_acked;
  for (const std::string& item : dst) {
    if (acked_set.count(item) != 0) dst_acked.push_back(item);
  }
  EXPECT_TRUE(dst_acked == moved_acked)
      << "acknowledged moves missing or out of order upstream: " << dst_acked.size() << " of "
      << moved_acked.size() << " in the destination";
  EXPECT_LE(static_cast<long long>(dst.size() - dst_acked.size()), move_unknown);
  // What is left in the source is in the order it was pushed.
  const auto disorder = std::adjacent_find(
      src.begin(), src.end(),
      [&](const auto& a, const auto& b) { return push_order[a] >= push_order[b]; });
  EXPECT_TRUE(disorder == src.end()) << "source out of order at " << disorder - src.begin();
  EXPECT_GT(moved_while_down, 0) << "no item was moved while upstream was down";
  std::cerr << "queue: " << moved_acked.size() << " moves acknowledged (" << moved_while_down
            << " while down), " << pushed_acked.size() << " pushes, " << src.size()
            << " left in the source, " << dst.size() << " in the destination\n";

  // ---- client 4: the hash ----
  const long long by_eval = IntegerOf(direct.Command({"HGET", "sf:hash", "by_eval"}));
  const long long by_sha = IntegerOf(direct.Command({"HGET", "sf:hash", "by_sha"}));
  EXPECT_GE(by_eval, by_eval_acked);
  EXPECT_LE(by_eval, by_eval_acked + by_eval_unknown);
  EXPECT_GE(by_sha, by_sha_acked);
  EXPECT_LE(by_sha, by_sha_acked + by_sha_unknown);
  std::cerr << "hash: by_eval " << by_eval << " (" << by_eval_acked << " acknowledged), by_sha "
            << by_sha << " (" << by_sha_acked << " acknowledged)\n";
}

}  // namespace
}  // namespace respite::test
