// Per-shard failover for real: three persistent masters (appendfsync always, so a SIGKILLed one
// comes back with every write it acknowledged), no replicas (its slots stay without a server until
// it returns) and cluster-require-full-coverage no (the other two keep serving meanwhile); respite
// in front in mode auto, and four writers INCRing 300 counters spread over all three masters for
// the whole test. One master is SIGKILLed, then restarted from its AOF and nodes.conf. It proves:
// - only the dead master's slots are served from respite's local store, and said so in /status
//   and /metrics; the other masters' slots are still forwarded (their counters grow on the nodes
//   themselves);
// - once the master is back, the writes respite took for its slots are replayed to it exactly once
//   and its slots forwarded again: every counter, read on its own node, is at least the INCRs
//   acknowledged for it and at most those plus the ones answered "-TRYAGAIN ... the outcome is
//   unknown" (in flight on the dead master's link when it died);
// - clients see nothing else: no other error, no dropped connection, > 99% of INCRs acknowledged.

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/client.h"
#include "tests/support/cluster_group.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/reconnecting_client.h"
#include "tests/support/respite_process.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace json = boost::json;

constexpr int kCounters = 300;
constexpr int kWriters = 4;

std::string CounterKey(int n) { return "ctr:" + std::to_string(n); }

// A counter's value from GET: 0 for nil, -1 for anything that is not a count.
long long CountOf(const Reply& r) {
  if (r.IsNil()) return 0;
  if (!r || r->type != REDIS_REPLY_STRING) return -1;
  const std::string text(r->str, r->len);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoll(text);
}

// One entry of upstream.cluster.shards in /status.
struct ShardView {
  std::string master;  // "127.0.0.1:P"
  bool up = false;
  long long slots = -1;
  long long slots_local = -1;
};

// upstream.cluster of /status, the parts this test reads; -1 for a number that is missing.
struct ClusterView {
  long long slots_local = -1;
  long long replayed = -1;
  std::vector<ShardView> shards;

  const ShardView* Shard(uint16_t port) const {
    const std::string master = "127.0.0.1:" + std::to_string(port);
    for (const ShardView& shard : shards) {
      if (shard.master == master) return &shard;
    }
    return nullptr;
  }
};

long long NumberAt(const json::object& object, std::string_view name) {
  const json::value* v = object.if_contains(name);
  if (v == nullptr || !v->is_number()) return -1;
  json::error_code ec;
  const double number = v->to_number<double>(ec);
  return ec ? -1 : static_cast<long long>(number);
}

// Anything missing or malformed leaves the defaults (which no wait below accepts).
ClusterView ParseClusterView(const std::string& status) {
  ClusterView view;
  json::error_code ec;
  const json::value parsed = json::parse(status, ec);
  if (ec || !parsed.is_object()) return view;
  const json::value* upstream = parsed.as_object().if_contains("upstream");
  if (upstream == nullptr || !upstream->is_object()) return view;
  const json::value* cluster = upstream->as_object().if_contains("cluster");
  if (cluster == nullptr || !cluster->is_object()) return view;
  const json::object& c = cluster->as_object();
  view.slots_local = NumberAt(c, "slots_local");
  view.replayed = NumberAt(c, "replayed");
  const json::value* shards = c.if_contains("shards");
  if (shards == nullptr || !shards->is_array()) return view;
  for (const json::value& entry : shards->as_array()) {
    if (!entry.is_object()) continue;
    const json::object& s = entry.as_object();
    ShardView shard;
    if (const json::value* master = s.if_contains("master"); master && master->is_string()) {
      shard.master = std::string(master->as_string());
    }
    if (const json::value* up = s.if_contains("up"); up && up->is_bool()) shard.up = up->as_bool();
    shard.slots = NumberAt(s, "slots");
    shard.slots_local = NumberAt(s, "slots_local");
    view.shards.push_back(std::move(shard));
  }
  return view;
}

// What one writer saw, per counter. Written by its thread only; read after the join.
struct WriterTally {
  std::vector<long long> acked = std::vector<long long>(kCounters, 0);
  std::vector<long long> unknown = std::vector<long long>(kCounters, 0);  // "outcome is unknown"
  std::vector<long long> lost = std::vector<long long>(kCounters, 0);     // no reply at all
  long long attempts = 0;
  long long other_errors = 0;  // error replies of any other kind, and lost connections
  std::vector<std::string> first_errors;
};

// kWriters threads INCRing random counters through respite, each on its own connection
// (reconnecting after an I/O failure, as an app's client library would), until Stop(). Stopped
// and joined on destruction too, so a failed ASSERT cannot leave a thread running.
class Writers {
 public:
  explicit Writers(RespiteProcess& respite) : tallies_(kWriters) {
    for (int w = 0; w < kWriters; ++w) {
      threads_.emplace_back([this, &respite, w] { Run(respite, tallies_[w], w); });
    }
  }
  ~Writers() { Stop(); }
  Writers(const Writers&) = delete;
  Writers& operator=(const Writers&) = delete;

  void Stop() {
    stop_.store(true);
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  // Only after Stop().
  const std::vector<WriterTally>& tallies() const { return tallies_; }

 private:
  void Run(RespiteProcess& respite, WriterTally& tally, int seed) {
    ReconnectingClient client(respite);
    std::mt19937 random(seed + 1);
    std::uniform_int_distribution<int> pick(0, kCounters - 1);
    while (!stop_.load()) {
      const int n = pick(random);
      Reply r = client.Command({"INCR", CounterKey(n)});
      ++tally.attempts;
      if (r && r->type == REDIS_REPLY_INTEGER) {
        ++tally.acked[n];
        continue;
      }
      // The README's text for a write whose reply was lost with the upstream connection.
      if (r.IsError() &&
          std::string(r->str, r->len).find("the outcome is unknown") != std::string::npos) {
        ++tally.unknown[n];
        continue;
      }
      // A lost connection leaves the INCR's outcome unknown as well, but respite should have said
      // so in a reply; either way it is an error the test reports.
      if (!r) ++tally.lost[n];
      ++tally.other_errors;
      if (tally.first_errors.size() < 5) {
        tally.first_errors.push_back(CounterKey(n) + ": " +
                                     (r ? r.Describe() : std::string("(connection lost)")));
      }
    }
  }

  std::atomic<bool> stop_{false};
  std::vector<WriterTally> tallies_;
  std::vector<std::thread> threads_;
};

class ClusterShardFailoverTest : public ::testing::Test {
 protected:
  // cluster-require-full-coverage: no (the default here) keeps the other masters serving.
  virtual bool FullCoverage() const { return false; }

  void SetUp() override {
    ClusterNodeOptions nodes;
    nodes.require_full_coverage = FullCoverage();
    nodes.persistent = true;
    cluster_ = std::make_unique<ClusterGroup>(3, 0, nullptr, nodes);
    ASSERT_EQ(cluster_->Start(), "");
  }
  void TearDown() override {
    if (HasFailure() && respite_) {
      std::cerr << "---- respite log ----\n"
                << respite_->process().Log(32768) << "\n---- status ----\n"
                << Status() << "\n---- cluster nodes ----\n"
                << cluster_->Logs() << "\n";
    }
  }

  // A SIGKILLed master refuses connections, which respite notices at once; the timeouts are not
  // tight because every node fsyncs every write, and a slow INCR on a busy machine must not be
  // taken for a dead master. healthy_after 2: the restarted master is trusted again quickly.
  void StartRespite() {
    RespiteOptions options;
    options.upstream_url = "redis+cluster://" + cluster_->SeedAddresses();
    options.log_level = "info";
    options.extra_args = {"--mode", "auto", "--data-dir", data_.path()};
    options.env = {"RESPITE_HEALTH_INTERVAL_MS=100",          "RESPITE_HEALTH_TIMEOUT_MS=500",
                   "RESPITE_HEALTH_UNHEALTHY_AFTER=2",        "RESPITE_HEALTH_HEALTHY_AFTER=2",
                   "RESPITE_BREAKER_BACKOFF_BASE_MS=50",      "RESPITE_BREAKER_BACKOFF_MAX_MS=500",
                   "RESPITE_UPSTREAM_REQUEST_TIMEOUT_MS=2000"};
    respite_ = std::make_unique<RespiteProcess>(options);
    ASSERT_EQ(respite_->Start(), "");
  }

  std::string Status() { return HttpRequest(respite_->admin_port(), "GET", "/status").body; }

  double Metric(const std::string& name) {
    return ParsePrometheusText(HttpRequest(respite_->admin_port(), "GET", "/metrics").body)
        .Value(name);
  }

  // Searches respite's whole log: Process::Log() keeps only its tail, which the writers' traffic
  // can push a line out of.
  bool LogSays(const std::string& text, std::chrono::milliseconds timeout = 5s) {
    return WaitFor(
        [&] { return ReadFile(respite_->process().log_path()).find(text) != std::string::npos; },
        timeout);
  }

  // The sum of `keys` read directly on the node at `port` (one pipeline); -1 when it does not
  // answer with a number (or nil) for each.
  static long long SumOn(uint16_t port, const std::vector<std::string>& keys) {
    Client c(port, 2s);
    if (!c.ok()) return -1;
    for (const std::string& key : keys) c.Append({"GET", key});
    if (!c.Flush()) return -1;
    long long sum = 0;
    for (size_t i = 0; i < keys.size(); ++i) {
      const long long count = CountOf(c.GetReply());
      if (count < 0) return -1;
      sum += count;
    }
    return sum;
  }

  struct Totals {
    long long attempts = 0, acked = 0, unknown = 0;
  };
  // Exactly once, read on each counter's own node: at least the INCRs acknowledged for it, at
  // most those plus the ones whose outcome respite said it could not know. Also: > 99% of all
  // INCRs acknowledged, and no other error.
  Totals CheckCounters(const Writers& writers) {
    Totals totals;
    long long other_errors = 0;
    std::vector<std::string> first_errors;
    for (const WriterTally& t : writers.tallies()) {
      totals.attempts += t.attempts;
      other_errors += t.other_errors;
      first_errors.insert(first_errors.end(), t.first_errors.begin(), t.first_errors.end());
    }
    for (int n = 0; n < kCounters; ++n) {
      long long key_acked = 0, key_unknown = 0, key_lost = 0;
      for (const WriterTally& t : writers.tallies()) {
        key_acked += t.acked[n];
        key_unknown += t.unknown[n];
        key_lost += t.lost[n];
      }
      totals.acked += key_acked;
      totals.unknown += key_unknown;
      const std::string key = CounterKey(n);
      Client owner = cluster_->ConnectToKeyOwner(key);
      Reply r = owner.Command({"GET", key});
      const long long value = CountOf(r);
      EXPECT_GE(value, 0) << key << ": " << (r ? r.Describe() : owner.error());
      EXPECT_GE(value, key_acked) << key << ": acknowledged INCRs lost";
      EXPECT_LE(value, key_acked + key_unknown + key_lost)
          << key << ": INCRs applied twice (" << key_acked << " acknowledged, " << key_unknown
          << " outcome unknown, " << key_lost << " lost connections)";
    }
    EXPECT_GT(totals.acked * 100, totals.attempts * 99)
        << "fewer than 99% of the INCRs acknowledged";
    EXPECT_EQ(other_errors, 0) << [&] {
      std::string texts;
      for (const std::string& text : first_errors) texts += "\n  " + text;
      return "first other errors:" + texts;
    }();
    return totals;
  }

  TempDir data_{"respite-shard-failover"};  // kept across a restart of respite
  std::unique_ptr<ClusterGroup> cluster_;
  std::unique_ptr<RespiteProcess> respite_;
};

TEST_F(ClusterShardFailoverTest, AKilledMastersSlotsAreServedLocallyAndReplayedExactlyOnce) {
  ASSERT_NO_FATAL_FAILURE(StartRespite());
  // ctr:0's master is the one to die; every master must own some counters, so that the live ones
  // are seen forwarding and the dead one's are seen replayed.
  const int doomed = cluster_->NodeForKey(CounterKey(0));
  ASSERT_GE(doomed, 0);
  const int live = (doomed + 1) % 3;
  const uint16_t doomed_port = cluster_->port(doomed);
  std::vector<std::vector<std::string>> keys_of(3);
  for (int n = 0; n < kCounters; ++n) {
    const int owner = cluster_->NodeForKey(CounterKey(n));
    ASSERT_GE(owner, 0) << CounterKey(n);
    keys_of[owner].push_back(CounterKey(n));
  }
  for (int node = 0; node < 3; ++node) {
    ASSERT_FALSE(keys_of[node].empty()) << "no counter on master " << node;
  }
  const int doomed_slots = cluster_->SlotCount(doomed);
  ASSERT_GT(doomed_slots, 0);

  // Every master up and forwarded before anything happens.
  ClusterView view;
  ASSERT_TRUE(WaitFor(
      [&] {
        view = ParseClusterView(Status());
        if (view.slots_local != 0 || view.shards.size() != 3) return false;
        for (int node = 0; node < 3; ++node) {
          const ShardView* shard = view.Shard(cluster_->port(node));
          if (shard == nullptr || !shard->up || shard->slots_local != 0) return false;
        }
        return true;
      },
      10s))
      << "not every master up and forwarded: " << Status();
  EXPECT_EQ(view.Shard(doomed_port)->slots, doomed_slots);

  Writers writers(*respite_);
  std::this_thread::sleep_for(1s);
  cluster_->node(doomed).Kill();

  // Only the dead master's slots go local.
  ASSERT_TRUE(WaitFor(
      [&] {
        view = ParseClusterView(Status());
        const ShardView* shard = view.Shard(doomed_port);
        return view.slots_local == doomed_slots && shard != nullptr && !shard->up &&
               shard->slots_local == doomed_slots;
      },
      10s))
      << "the killed master (" << doomed_slots << " slots) was not served locally: " << Status();
  const auto outage_start = Clock::now();
  for (int node = 0; node < 3; ++node) {
    if (node == doomed) continue;
    const ShardView* shard = view.Shard(cluster_->port(node));
    ASSERT_NE(shard, nullptr) << node;
    EXPECT_TRUE(shard->up) << node;
    EXPECT_EQ(shard->slots_local, 0) << node;
  }
  EXPECT_TRUE(LogSays("cluster: master 127.0.0.1:" + std::to_string(doomed_port) + " down"));

  // (a) The dead master's keys are answered from the local store: a counter the writers keep
  // INCRing has a value, and a key only ever written now counts up from nothing. The hash tag puts
  // it in ctr:0's slot.
  Client c = respite_->Connect();
  std::string last;
  EXPECT_TRUE(WaitFor(
      [&] {
        Reply r = c.Command({"GET", CounterKey(0)});
        last = r.Describe();
        return !r.IsNil() && CountOf(r) > 0;
      },
      2s))
      << "GET " << CounterKey(0) << " through respite: " << last;
  const std::string outage_key = "outage:{" + CounterKey(0) + "}";
  constexpr int kOutageIncrs = 10;
  for (int i = 1; i <= kOutageIncrs; ++i) {
    Reply r = c.Command({"INCR", outage_key});
    ASSERT_TRUE(r.IsInteger(i)) << outage_key << ": " << r.Describe();
  }
  // (b) The live masters' slots are still forwarded: their counters grow on the nodes themselves.
  const long long before = SumOn(cluster_->port(live), keys_of[live]);
  std::this_thread::sleep_for(1s);
  const long long after = SumOn(cluster_->port(live), keys_of[live]);
  EXPECT_GE(before, 0);
  EXPECT_GT(after, before) << "master " << live << "'s counters did not grow while master "
                           << doomed << " was down";
  // (c) Said in /metrics too.
  EXPECT_EQ(Metric("respite_cluster_slots_local"), doomed_slots);
  std::this_thread::sleep_until(outage_start + 3s);

  // Back from its AOF and nodes.conf, owning its slots: the journal is replayed to it, then its
  // slots are forwarded again.
  ASSERT_EQ(cluster_->node(doomed).Restart(), "");
  ASSERT_TRUE(WaitFor(
      [&] {
        view = ParseClusterView(Status());
        const ShardView* shard = view.Shard(doomed_port);
        return view.slots_local == 0 && shard != nullptr && shard->up && shard->slots_local == 0 &&
               LogSays("cluster: replayed", 0ms);
      },
      30s))
      << "the restarted master's slots were not replayed and forwarded within 30 s: " << Status();
  std::this_thread::sleep_for(1s);
  writers.Stop();

  // Exactly once, read on each counter's own node.
  ASSERT_TRUE(cluster_->WaitForOk(10s));
  ASSERT_EQ(cluster_->NodeForKey(CounterKey(0)), doomed);
  const Totals totals = CheckCounters(writers);
  EXPECT_TRUE(
      Client(doomed_port).Command({"GET", outage_key}).IsString(std::to_string(kOutageIncrs)));
  // Each slot's replay ends with its cursor, in the same MULTI: that is what makes it exactly once.
  Reply cursors = Client(doomed_port).Command({"KEYS", "respite:cursor:*"});
  EXPECT_TRUE(cursors && cursors->type == REDIS_REPLY_ARRAY && cursors->elements > 0)
      << "no replay cursor on the restarted master: " << cursors.Describe();

  view = ParseClusterView(Status());
  std::cerr << "cluster shard failover: " << totals.attempts << " INCRs, " << totals.acked
            << " acknowledged, " << totals.unknown << " outcome unknown; " << keys_of[doomed].size()
            << " of " << kCounters << " counters (" << doomed_slots
            << " slots) on the killed master; " << view.replayed << " journal entries replayed\n";
  EXPECT_GT(view.replayed, 0);
}

// respite stopped (SIGTERM) while it serves a dead master's slots, which it cannot replay
// before it exits, and that master restarted before respite is: the new respite finds the journal
// entries, serves their slots locally until they are replayed (it must not forward a slot while its
// entries wait), and replays them once.
TEST_F(ClusterShardFailoverTest, ARestartDuringAnOutageReplaysTheJournalBeforeForwardingItsSlots) {
  ASSERT_NO_FATAL_FAILURE(StartRespite());
  const int doomed = cluster_->NodeForKey(CounterKey(0));
  ASSERT_GE(doomed, 0);
  const uint16_t doomed_port = cluster_->port(doomed);
  std::string live_key;
  for (int n = 1; live_key.empty(); ++n) {
    if (cluster_->NodeForKey(CounterKey(n)) != doomed) live_key = CounterKey(n);
  }
  const std::string counter = "count:{" + CounterKey(0) + "}";
  const std::string list = "list:{" + CounterKey(0) + "}";
  {
    Client c = respite_->Connect();
    ASSERT_TRUE(c.Command({"SET", counter, "100"}).IsStatus("OK"));  // on the master, persisted
  }
  cluster_->node(doomed).Kill();
  ASSERT_TRUE(WaitFor([&] { return ParseClusterView(Status()).slots_local > 0; }, 10s)) << Status();
  {
    Client c = respite_->Connect();
    for (int i = 1; i <= 5; ++i) {
      Reply r = c.Command({"INCRBY", counter, "2"});
      ASSERT_TRUE(r.IsInteger(2 * i)) << r.Describe();  // the local store starts empty
    }
    ASSERT_TRUE(c.Command({"RPUSH", list, "a", "b", "c"}).IsInteger(3));
    ASSERT_TRUE(c.Command({"SET", live_key, "forwarded"}).IsStatus("OK"));
  }
  EXPECT_TRUE(Client(cluster_->port(cluster_->NodeForKey(live_key)))
                  .Command({"GET", live_key})
                  .IsString("forwarded"));
  // Stopped while the master is down: what it cannot replay stays in the data dir, said so.
  ASSERT_TRUE(respite_->process().Terminate(10s).has_value());
  EXPECT_TRUE(LogSays("shutdown: 6 journal entries left in " + data_.path()));
  ASSERT_EQ(cluster_->node(doomed).Restart(), "");
  ASSERT_TRUE(cluster_->WaitForOk(20s));

  ASSERT_NO_FATAL_FAILURE(StartRespite());
  EXPECT_TRUE(LogSays("journal entries from before the restart in "));
  ASSERT_TRUE(WaitFor(
      [&] {
        const ClusterView view = ParseClusterView(Status());
        return view.slots_local == 0 && view.replayed >= 6 && LogSays("cluster: replayed", 0ms);
      },
      20s))
      << Status();
  Client master(doomed_port);
  EXPECT_TRUE(master.Command({"GET", counter}).IsString("110"));  // 100 + 5 x 2, once
  Reply items = master.Command({"LRANGE", list, "0", "-1"});
  ASSERT_TRUE(items && items->type == REDIS_REPLY_ARRAY && items->elements == 3)
      << items.Describe();
  EXPECT_EQ(std::string(items->element[2]->str, items->element[2]->len), "c");
  // Forwarded again: a write through respite lands on the master.
  Client c = respite_->Connect();
  EXPECT_TRUE(c.Command({"INCRBY", counter, "1"}).IsInteger(111));
  EXPECT_TRUE(master.Command({"GET", counter}).IsString("111"));
}

// What a client does besides single-key commands while the master of slot 0 is down: keyless
// commands and pub/sub (which live on slot 0's master) are served by respite itself; a
// transaction on the dead master's slots runs in the local store, refused across slots as Redis
// Cluster refuses it; commands over several slots, and over every master, take the local slots'
// part from the store and the rest from the live masters (FLUSHALL is refused). Once the master
// is back the writes are on it, and the subscriber hears messages published on the nodes again.
TEST_F(ClusterShardFailoverTest, TransactionsPubSubAndMultiSlotCommandsWhileAMasterIsDown) {
  ASSERT_NO_FATAL_FAILURE(StartRespite());
  const int doomed = cluster_->NodeForSlot(0);
  ASSERT_GE(doomed, 0);
  const uint16_t doomed_port = cluster_->port(doomed);
  // "{3560}" hashes to slot 0 (CLUSTER KEYSLOT), so these keys are on the master that dies.
  ASSERT_EQ(cluster_->SlotOf("{3560}"), 0);
  const std::string local_a = "{3560}:a", local_b = "{3560}:b";
  std::string other_local, live_key;
  for (int n = 0; other_local.empty() || live_key.empty(); ++n) {
    const std::string key = "k:" + std::to_string(n);
    const int owner = cluster_->NodeForKey(key);
    if (owner == doomed && cluster_->SlotOf(key) != 0 && other_local.empty()) other_local = key;
    if (owner != doomed && live_key.empty()) live_key = key;
  }
  Client sub = respite_->Connect();
  ASSERT_TRUE(sub.Command({"SUBSCRIBE", "news"}).IsArray(3));

  cluster_->node(doomed).Kill();
  ASSERT_TRUE(WaitFor(
      [&] {
        const ClusterView view = ParseClusterView(Status());
        const ShardView* shard = view.Shard(doomed_port);
        return shard != nullptr && !shard->up && shard->slots_local == shard->slots;
      },
      10s))
      << Status();
  Client c = respite_->Connect();
  EXPECT_TRUE(c.Command({"PING"}).IsStatus("PONG"));
  // The subscriber moved to this respite's hub: a PUBLISH through respite reaches it.
  ASSERT_TRUE(WaitFor([&] { return c.Command({"PUBLISH", "news", "local"}).IsInteger(1); }, 5s));
  Reply message = sub.GetReply();
  ASSERT_TRUE(message.IsArray(3)) << message.Describe();
  EXPECT_EQ(std::string(message->element[2]->str), "local");

  // A transaction on the dead master's slot, in the local store.
  ASSERT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"INCR", local_a}).IsStatus("QUEUED"));
  EXPECT_TRUE(c.Command({"RPUSH", local_b, "x", "y"}).IsStatus("QUEUED"));
  Reply exec = c.Command({"EXEC"});
  ASSERT_TRUE(exec.IsArray(2)) << exec.Describe();
  EXPECT_EQ(exec->element[0]->integer, 1);
  EXPECT_EQ(exec->element[1]->integer, 2);
  // Across slots inside it: refused, and EXEC aborts, as Redis Cluster does.
  ASSERT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"INCR", local_a}).IsStatus("QUEUED"));
  EXPECT_TRUE(c.Command({"INCR", other_local}).IsErrorPrefix("CROSSSLOT"));
  EXPECT_TRUE(c.Command({"EXEC"}).IsErrorPrefix("EXECABORT"));
  EXPECT_TRUE(c.Command({"GET", local_a}).IsString("1"));
  // Opened by a command without keys, the local transaction takes the slot of its first key.
  ASSERT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"PING"}).IsStatus("QUEUED"));
  EXPECT_TRUE(c.Command({"INCR", other_local}).IsStatus("QUEUED"));
  Reply pinged = c.Command({"EXEC"});
  ASSERT_TRUE(pinged.IsArray(2)) << pinged.Describe();
  EXPECT_EQ(pinged->element[1]->integer, 1);
  // RESET leaves no transaction behind in the store.
  ASSERT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"INCR", local_a}).IsStatus("QUEUED"));
  EXPECT_TRUE(c.Command({"RESET"}).IsStatus("RESET"));
  EXPECT_TRUE(c.Command({"GET", local_a}).IsString("1"));
  // A transaction on a live master still goes there.
  ASSERT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"SET", live_key, "tx"}).IsStatus("QUEUED"));
  EXPECT_TRUE(c.Command({"EXEC"}).IsArray(1));
  EXPECT_TRUE(cluster_->ConnectToKeyOwner(live_key).Command({"GET", live_key}).IsString("tx"));
  // ... but a key served locally cannot join it there (it would overtake that slot's journal):
  // refused, and the transaction aborts. The same after WATCH on a live master.
  ASSERT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"SET", live_key, "never"}).IsStatus("QUEUED"));
  EXPECT_TRUE(c.Command({"SET", local_a, "never"}).IsErrorPrefix("TRYAGAIN slot 0 is served"));
  EXPECT_TRUE(c.Command({"EXEC"}).IsErrorPrefix("EXECABORT"));
  EXPECT_TRUE(cluster_->ConnectToKeyOwner(live_key).Command({"GET", live_key}).IsString("tx"));
  ASSERT_TRUE(c.Command({"WATCH", live_key}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"GET", local_a}).IsErrorPrefix("TRYAGAIN slot 0 is served"));
  EXPECT_TRUE(c.Command({"UNWATCH"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"GET", local_a}).IsString("1"));
  // Over several slots, local and forwarded: each part where its slot is served, one reply.
  Reply values = c.Command({"MGET", local_a, live_key, local_b + "x"});
  ASSERT_TRUE(values.IsArray(3)) << values.Describe();
  EXPECT_EQ(std::string(values->element[0]->str), "1");
  EXPECT_EQ(std::string(values->element[1]->str), "tx");
  EXPECT_EQ(values->element[2]->type, REDIS_REPLY_NIL);
  const std::string local_c = "{3560}:c", live_c = "{" + live_key + "}:c";
  EXPECT_TRUE(c.Command({"MSET", local_c, "lc", live_c, "fc"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"EXISTS", local_a, live_key, local_c, live_c}).IsInteger(4));
  // Over every master: the live ones, and the local store for the one that is down.
  Reply keys = c.Command({"KEYS", "*"});
  ASSERT_TRUE(keys && keys->type == REDIS_REPLY_ARRAY) << keys.Describe();
  // a, b, c and other_local here; two on live masters.
  EXPECT_EQ(keys->elements, 6u) << keys.Describe();
  EXPECT_TRUE(c.Command({"DBSIZE"}).IsInteger(6));
  size_t scanned = 0;
  std::string cursor = "0";
  do {
    Reply page = c.Command({"SCAN", cursor, "COUNT", "100"});
    ASSERT_TRUE(page.IsArray(2)) << page.Describe();
    cursor = std::string(page->element[0]->str, page->element[0]->len);
    scanned += page->element[1]->elements;
  } while (cursor != "0");
  EXPECT_EQ(scanned, 6u);
  // A flush of one master cannot be journaled: refused while one is down.
  EXPECT_TRUE(c.Command({"FLUSHALL"}).IsErrorPrefix("CLUSTERDOWN"));

  ASSERT_EQ(cluster_->node(doomed).Restart(), "");
  ASSERT_TRUE(WaitFor([&] { return ParseClusterView(Status()).slots_local == 0; }, 30s))
      << Status();
  Client master(doomed_port);
  EXPECT_TRUE(master.Command({"GET", local_a}).IsString("1"));
  EXPECT_TRUE(master.Command({"LLEN", local_b}).IsInteger(2));
  EXPECT_TRUE(master.Command({"GET", local_c}).IsString("lc"));
  // The subscriber is subscribed on the node again: a message published there reaches it.
  ASSERT_TRUE(WaitFor(
      [&] {
        return master.Command({"PUBLISH", "news", "upstream"}).IsInteger(1);
      },
      10s));
  message = sub.GetReply();
  ASSERT_TRUE(message.IsArray(3)) << message.Describe();
  EXPECT_EQ(std::string(message->element[2]->str), "upstream");
  // The six keys above and the replay cursors of the two slots written locally.
  EXPECT_TRUE(c.Command({"DBSIZE"}).IsInteger(8));
}

class ClusterFullCoverageFailoverTest : public ClusterShardFailoverTest {
 protected:
  bool FullCoverage() const override { return true; }
};

// With cluster-require-full-coverage yes (Redis' default), once the cluster marks the SIGKILLed
// master failed every node answers -CLUSTERDOWN: respite takes that as the node's failure at once
// (nothing ran), serves every slot locally, and replays each master's slots once the cluster is
// whole again. Clients see no error but the few "outcome unknown" at the kill.
TEST_F(ClusterFullCoverageFailoverTest, EveryMastersSlotsAreServedLocallyWhileTheClusterIsDown) {
  ASSERT_NO_FATAL_FAILURE(StartRespite());
  const int doomed = cluster_->NodeForKey(CounterKey(0));
  ASSERT_GE(doomed, 0);
  Writers writers(*respite_);
  std::this_thread::sleep_for(1s);
  cluster_->node(doomed).Kill();
  // Node timeout 2 s: then the other masters say CLUSTERDOWN, and every slot goes local.
  ASSERT_TRUE(WaitFor([&] { return ParseClusterView(Status()).slots_local == 16384; }, 10s))
      << Status();
  const double failovers = Metric("respite_cluster_shard_failovers_total");
  EXPECT_EQ(failovers, 3);
  std::this_thread::sleep_for(1s);
  ASSERT_EQ(cluster_->node(doomed).Restart(), "");
  ASSERT_TRUE(WaitFor([&] { return ParseClusterView(Status()).slots_local == 0; }, 30s))
      << Status();
  std::this_thread::sleep_for(500ms);
  writers.Stop();
  ASSERT_TRUE(cluster_->WaitForOk(10s));
  const Totals totals = CheckCounters(writers);
  std::cerr << "cluster full-coverage failover: " << totals.attempts << " INCRs, " << totals.acked
            << " acknowledged, " << totals.unknown << " outcome unknown; "
            << ParseClusterView(Status()).replayed << " journal entries replayed\n";
}

}  // namespace
}  // namespace respite::test
