// Fault test of stream ids across an upstream outage (DESIGN.md "Stage 2 decisions": an id
// upstream has moved past is re-added with a new id and later entries naming the old id follow).
// Real redis-server (appendonly, appendfsync always: a SIGKILL keeps every acknowledged write) and
// respite. One stream, two producers: one through respite, one straight to redis. A consumer
// group is read through respite (XREADGROUP, XACK) while upstream is down. The direct producer
// writes to the restarted redis before respite replays, so the ids respite's producer got while
// local are at or below the stream's top upstream when they are replayed.
//
// Deterministic: respite is pinned to LOCAL (RESPITE MODE LOCAL) once it has failed over, so the
// direct producer's writes to the restarted redis come before the replay, whatever the health
// checks see; every wait is a poll of a count or of respite's state.
//
// A second run SIGKILLs respite mid-replay (upstream SIGSTOPped right after the first re-added id
// was counted, so a batch may sit unanswered in its buffers) and starts it again on the same data
// dir: the rules it stored before each batch must carry the rest of the replay.
//
// Checked at the end, read directly from redis:
// - every acknowledged XADD of both producers is in the stream exactly once (by its fields), one
//   of unknown outcome at most once, nothing else;
// - no entry whose XACK was acknowledged is pending, and no entry is delivered to the group twice
//   (the group's last id followed the re-added entries);
// - respite counted the re-added ids and the rewritten entries, and dead-lettered nothing.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/client.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/reconnecting_client.h"
#include "tests/support/redis_server.h"
#include "tests/support/respite_process.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;

constexpr char kStream[] = "xf:stream";
constexpr char kGroup[] = "xf:group";
constexpr long long kEach = 40;  // what each wait asks of a producer or the consumer

RedisOptions Persistent() {
  RedisOptions options;
  options.extra_args = {"--appendonly", "yes", "--appendfsync", "always"};
  return options;
}

RespiteOptions FastFailover(const std::string& upstream_url, bool small_batches) {
  RespiteOptions options;
  options.upstream_url = upstream_url;
  options.log_level = "info";
  options.env = {"RESPITE_HEALTH_INTERVAL_MS=100",          "RESPITE_HEALTH_TIMEOUT_MS=500",
                 "RESPITE_HEALTH_UNHEALTHY_AFTER=2",        "RESPITE_HEALTH_HEALTHY_AFTER=2",
                 "RESPITE_BREAKER_BACKOFF_BASE_MS=50",      "RESPITE_BREAKER_BACKOFF_MAX_MS=500",
                 "RESPITE_UPSTREAM_REQUEST_TIMEOUT_MS=2000"};
  // Small batches: the replay takes long enough to be caught in the middle.
  if (small_batches) options.env.push_back("RESPITE_JOURNAL_BATCH_ENTRIES=4");
  return options;
}

std::string StringOf(const redisReply* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
             ? std::string(r->str, r->len)
             : std::string();
}

// An entry's identity: its fields ("src", "n"), e.g. "r:17" or "d:3".
std::string ContentOf(const redisReply* fields) {
  std::string src, n;
  if (fields == nullptr || fields->type != REDIS_REPLY_ARRAY) return "?";
  for (size_t i = 0; i + 1 < fields->elements; i += 2) {
    const std::string name = StringOf(fields->element[i]);
    if (name == "src") src = StringOf(fields->element[i + 1]);
    if (name == "n") n = StringOf(fields->element[i + 1]);
  }
  return src + ":" + n;
}

// Phases set by the main thread.
enum Phase : int { kBefore = 0, kDown = 1, kRestarted = 2, kAfter = 3 };

// One producer's replies: the n of each acknowledged XADD by phase, and those of unknown outcome.
struct Produced {
  std::mutex mu;
  std::map<int, long long> acked_by_phase;
  std::set<std::string> acked, unknown;
  std::vector<std::string> errors;
  void Note(int phase, const std::string& content, const Reply& r) {
    std::lock_guard lock(mu);
    if (r.IsErrorPrefix("LOADING")) return;  // the restarted redis refused it: it never ran
    if (r && r->type == REDIS_REPLY_STRING) {
      acked.insert(content);
      ++acked_by_phase[phase];
    } else if (!r || r.IsErrorPrefix("TRYAGAIN")) {
      unknown.insert(content);  // reply lost at the kill: upstream may have it
    } else {
      errors.push_back(content + ": " + r.Describe());
      unknown.insert(content);
    }
  }
  long long In(int phase) {
    std::lock_guard lock(mu);
    return acked_by_phase[phase];
  }
};

class StreamFailoverTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure() && respite_) {
      // The whole log, for a look after the temp dir is gone.
      std::error_code ignored;
      std::filesystem::copy_file(respite_->process().log_path(), "/tmp/stream_failover_test.log",
                                 std::filesystem::copy_options::overwrite_existing, ignored);
      std::cerr << "---- respite log (" << respite_->dir() << ") ----\n"
                << respite_->process().Log(32768) << "\n----\n";
    }
  }

  bool InState(const std::string& state) {
    Client c = respite_->Connect(1s);
    Reply r = c.Command({"RESPITE", "STATUS"});
    return r && r->type == REDIS_REPLY_STRING &&
           std::string(r->str, r->len).find("respite_state:" + state) != std::string::npos;
  }

  PrometheusText Metrics() {
    HttpResponse r = HttpRequest(respite_->admin_port(), "GET", "/metrics");
    EXPECT_EQ(r.status, 200) << r.error;
    PrometheusText m = ParsePrometheusText(r.body);
    EXPECT_EQ(m.error, "");
    return m;
  }

  void Run(bool crash_mid_replay);

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<RespiteProcess> respite_;
};

TEST_F(StreamFailoverTest, ReplayedXaddsBelowTheTopAreReaddedAndAcksFollowTheNewIds) {
  Run(/*crash_mid_replay=*/false);
}

TEST_F(StreamFailoverTest, RespiteKilledMidReplayKeepsTheRewrites) {
  Run(/*crash_mid_replay=*/true);
}

void StreamFailoverTest::Run(bool crash_mid_replay) {
  redis_ = std::make_unique<RedisServer>(Persistent());
  ASSERT_EQ(redis_->Start(), "");
  respite_ = std::make_unique<RespiteProcess>(FastFailover(redis_->Url(), crash_mid_replay));
  ASSERT_EQ(respite_->Start(), "");

  std::atomic<int> phase{kBefore};
  std::atomic<bool> stop{false}, consume{false};
  // While `hold` is set the threads that talk to respite park (and count themselves in
  // `parked`): during the replay, and while respite is killed and started again on another port.
  std::atomic<bool> hold{false};
  // Set while the journal drains: the direct producer writes as fast as it can, so WATCHed replay
  // batches keep being aborted and the drain must finish through its guarded XADDs.
  std::atomic<bool> flood_direct{false};
  std::atomic<int> parked{0};
  auto park = [&] {
    if (!hold.load()) return;
    ++parked;
    while (hold.load()) std::this_thread::sleep_for(1ms);
    --parked;
  };
  Produced through_respite, direct;

  std::mutex consumer_mu;
  std::map<int, long long> acked_reads;    // by phase
  std::set<std::string> ack_acknowledged;  // contents whose XACK was acknowledged
  std::vector<std::string> delivered_twice, consumer_errors;
  std::set<std::string> delivered;
  std::vector<std::thread> threads;
  // Joins the threads however the test ends (a failed ASSERT returns early).
  struct Joiner {
    std::vector<std::thread>& threads;
    std::atomic<bool>& stop;
    std::atomic<bool>& hold;
    ~Joiner() {
      stop.store(true);
      hold.store(false);
      for (std::thread& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } joiner{threads, stop, hold};
  threads.emplace_back([&] {
    ReconnectingClient w(*respite_);
    for (long long i = 0; !stop.load(); ++i) {
      park();
      const int at = phase.load();
      const std::string n = std::to_string(i);
      through_respite.Note(at, "r:" + n, w.Command({"XADD", kStream, "*", "src", "r", "n", n}));
      std::this_thread::sleep_for(1ms);  // a steady producer, not a flood
    }
  });
  threads.emplace_back([&] {
    std::unique_ptr<Client> c;
    for (long long i = 0; !stop.load();) {
      const int at = phase.load();
      if (!c || !c->ok()) {
        c = std::make_unique<Client>(redis_->Connect(1s));
        if (!c->ok()) {
          std::this_thread::sleep_for(5ms);  // redis is down: try again
          continue;
        }
      }
      const std::string n = std::to_string(i++);
      Reply r = c->Command({"XADD", kStream, "*", "src", "d", "n", n});
      if (!r) c.reset();
      direct.Note(at, "d:" + n, r);
      if (!flood_direct.load()) std::this_thread::sleep_for(1ms);
    }
  });

  // The consumer, through respite, from the outage on: the group is made then (with the stream's
  // entries respite has locally), read and acknowledged while local and after the cutover.
  threads.emplace_back([&] {
    while (!consume.load() && !stop.load()) std::this_thread::sleep_for(1ms);
    ReconnectingClient c(*respite_);
    Reply made = c.Command({"XGROUP", "CREATE", kStream, kGroup, "0", "MKSTREAM"});
    if (!made.IsStatus("OK")) {
      std::lock_guard lock(consumer_mu);
      consumer_errors.push_back("XGROUP CREATE: " + made.Describe());
      return;
    }
    while (!stop.load()) {
      park();
      const int at = phase.load();
      Reply r =
          c.Command({"XREADGROUP", "GROUP", kGroup, "c1", "COUNT", "10", "STREAMS", kStream, ">"});
      std::vector<std::string> ids, contents;
      if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
        const redisReply* entries = r->element[0]->element[1];
        for (size_t i = 0; i < entries->elements; ++i) {
          ids.push_back(StringOf(entries->element[i]->element[0]));
          contents.push_back(ContentOf(entries->element[i]->element[1]));
        }
      } else if (!r) {
        continue;  // respite was killed: reconnect
      } else if (!r.IsNil()) {
        std::lock_guard lock(consumer_mu);
        consumer_errors.push_back("XREADGROUP: " + r.Describe());
        continue;
      }
      if (ids.empty()) {
        std::this_thread::sleep_for(2ms);
        continue;
      }
      std::vector<std::string> ack = {"XACK", kStream, kGroup};
      ack.insert(ack.end(), ids.begin(), ids.end());
      Reply acked = c.Command(ack);
      std::lock_guard lock(consumer_mu);
      for (const std::string& content : contents) {
        if (!delivered.insert(content).second) delivered_twice.push_back(content);
      }
      if (acked && acked->type == REDIS_REPLY_INTEGER) {
        ack_acknowledged.insert(contents.begin(), contents.end());
        acked_reads[at] += static_cast<long long>(contents.size());
      } else if (acked) {  // no reply (respite killed): the XACK's outcome is unknown
        consumer_errors.push_back("XACK: " + acked.Describe());
      }
    }
  });
  auto acked_reads_in = [&](int at) {
    std::lock_guard lock(consumer_mu);
    return acked_reads[at];
  };

  ASSERT_TRUE(WaitFor(
      [&] { return through_respite.In(kBefore) >= kEach && direct.In(kBefore) >= kEach; }, 20s));

  // The outage: respite serves locally, pinned there until the direct producer has written to
  // the restarted redis.
  redis_->Kill();
  phase.store(kDown);
  ASSERT_TRUE(WaitFor([&] { return InState("local"); }, 10s));
  {
    Client admin = respite_->Connect();
    ASSERT_TRUE(admin.Command({"RESPITE", "MODE", "local"}).IsStatus("OK"));
  }
  consume.store(true);
  ASSERT_TRUE(WaitFor(
      [&] { return through_respite.In(kDown) >= kEach && acked_reads_in(kDown) >= kEach; }, 20s));

  ASSERT_EQ(redis_->Restart(), "");
  phase.store(kRestarted);
  ASSERT_TRUE(WaitFor([&] { return direct.In(kRestarted) >= kEach; }, 20s));
  // Writes respite serves locally now come after the direct ones on the clock: they replay as
  // they are; those from before the restart are below the top and get new ids.
  ASSERT_TRUE(WaitFor([&] { return acked_reads_in(kRestarted) >= 1; }, 20s));
  // The replay runs in batches of a few entries here (to cross many batch boundaries); clients
  // writing locally meanwhile could keep it from ever catching up, so the clients of respite wait
  // for the cutover in both runs. The direct producer floods the stream (see flood_direct).
  hold.store(true);
  flood_direct.store(true);
  ASSERT_TRUE(WaitFor([&] { return parked.load() == 2; }, 10s));
  {
    Client admin = respite_->Connect();
    ASSERT_TRUE(admin.Command({"RESPITE", "MODE", "auto"}).IsStatus("OK"));
  }
  if (crash_mid_replay) {
    // Stop upstream as soon as a re-added id is counted, then kill respite: a batch may sit
    // unanswered in upstream's buffers (applied after SIGCONT, or not).
    ASSERT_TRUE(WaitFor(
        [&] { return Metrics().Value("respite_replay_stream_ids_rewritten_total") > 0; }, 30s));
    redis_->Pause();
    Client admin = respite_->Connect();
    const Reply left = admin.Command({"RESPITE", "JOURNAL", "LEN"});
    respite_->process().Kill();
    redis_->Resume();
    ASSERT_TRUE(left && left->type == REDIS_REPLY_INTEGER) << left.Describe();
    EXPECT_GT(left->integer, 0) << "the replay was over before the kill: the test proves less";
    ASSERT_EQ(respite_->Start(), "");
    // Back with the rules of the replay cut short (the log is flushed lazily).
    EXPECT_TRUE(WaitFor(
        [&] {
          return ReadFile(respite_->process().log_path()).find("still apply to the journal") !=
                 std::string::npos;
        },
        10s));
  }
  // A few WATCHed batches are aborted by the flood, then the XADDs go one at a time, guarded.
  ASSERT_TRUE(WaitFor([&] { return InState("forward"); }, 60s)) << "no cutover within 60 s";
  const double guarded = Metrics().Value("respite_replay_guarded_xadds_total");
  hold.store(false);
  flood_direct.store(false);
  phase.store(kAfter);
  ASSERT_TRUE(WaitFor(
      [&] {
        return through_respite.In(kAfter) >= kEach && direct.In(kAfter) >= kEach &&
               acked_reads_in(kAfter) >= kEach;
      },
      20s));
  stop.store(true);
  for (std::thread& t : threads) t.join();
  threads.clear();

  EXPECT_TRUE(through_respite.errors.empty()) << through_respite.errors.front();
  EXPECT_TRUE(direct.errors.empty()) << direct.errors.front();
  EXPECT_TRUE(consumer_errors.empty()) << consumer_errors.front();

  // ---- every entry exactly once ----
  Client redis = redis_->Connect();
  ASSERT_TRUE(redis.ok());
  Reply all = redis.Command({"XRANGE", kStream, "-", "+"});
  ASSERT_TRUE(all && all->type == REDIS_REPLY_ARRAY) << all.Describe();
  std::map<std::string, int> copies;
  std::map<std::string, std::string> content_of;  // id -> content
  for (size_t i = 0; i < all->elements; ++i) {
    const std::string content = ContentOf(all->element[i]->element[1]);
    ++copies[content];
    content_of[StringOf(all->element[i]->element[0])] = content;
  }
  std::vector<std::string> doubled, lost, stray;
  for (const auto& [content, n] : copies) {
    if (n > 1) doubled.push_back(content);
    const bool known = through_respite.acked.count(content) ||
                       through_respite.unknown.count(content) || direct.acked.count(content) ||
                       direct.unknown.count(content);
    if (!known) stray.push_back(content);
  }
  for (const Produced* p : {&through_respite, &direct}) {
    for (const std::string& content : p->acked) {
      if (copies.count(content) == 0) lost.push_back(content);
    }
  }
  EXPECT_TRUE(doubled.empty()) << doubled.size() << " entries twice, first " << doubled.front();
  EXPECT_TRUE(lost.empty()) << lost.size() << " acknowledged entries lost, first " << lost.front();
  EXPECT_TRUE(stray.empty()) << stray.size() << " entries never sent, first " << stray.front();

  // ---- every acknowledged XACK applied, no delivery twice ----
  Reply pending = redis.Command({"XPENDING", kStream, kGroup, "-", "+", "1000000"});
  ASSERT_TRUE(pending && pending->type == REDIS_REPLY_ARRAY) << pending.Describe();
  std::vector<std::string> acked_but_pending;
  for (size_t i = 0; i < pending->elements; ++i) {
    const std::string id = StringOf(pending->element[i]->element[0]);
    const std::string content = content_of.count(id) ? content_of[id] : "(deleted) " + id;
    if (ack_acknowledged.count(content)) acked_but_pending.push_back(content);
  }
  EXPECT_TRUE(acked_but_pending.empty())
      << acked_but_pending.size() << " acknowledged XACKs not applied, first "
      << acked_but_pending.front();
  EXPECT_TRUE(delivered_twice.empty())
      << delivered_twice.size() << " entries delivered to the group twice, first "
      << delivered_twice.front();

  // ---- counted, logged, nothing dead-lettered ----
  PrometheusText m = Metrics();
  const double readded = m.Value("respite_replay_stream_ids_rewritten_total");
  const double rewritten = m.Value("respite_replay_stream_id_references_rewritten_total");
  if (!crash_mid_replay) {
    EXPECT_GT(readded, 0);  // after a restart, what the second respite did
    EXPECT_GT(rewritten, 0);
    EXPECT_GT(guarded, 0) << "the flood aborted too few WATCHed batches: the test proves less";
  } else {
    EXPECT_GT(readded + rewritten, 0);
  }
  EXPECT_EQ(m.Value("respite_deadletter_entries"), 0);
  EXPECT_NE(ReadFile(respite_->process().log_path()).find("re-added as"), std::string::npos);

  std::cerr << "stream: " << all->elements << " entries; through respite "
            << through_respite.acked.size() << " acknowledged (" << through_respite.In(kDown)
            << " while down, " << through_respite.In(kRestarted) << " after the restart), "
            << through_respite.unknown.size() << " unknown; direct " << direct.acked.size()
            << " acknowledged, " << direct.unknown.size() << " unknown; consumer acked "
            << ack_acknowledged.size() << " (" << acked_reads_in(kDown) + acked_reads_in(kRestarted)
            << " while local), " << pending->elements << " pending; re-added " << readded
            << ", rewritten entries " << rewritten << ", guarded XADDs " << guarded << "\n";
}

}  // namespace
}  // namespace respite::test
