// Cluster mode for real: three masters made with `redis-server --cluster-enabled yes` and
// `redis-cli --cluster create` (tests/support/cluster_group.h), respite in front with a
// redis+cluster:// URL, and clients that think they talk to one Redis. Every write is checked on
// the node that owns its slot; slots moved by hand (-ASK, then -MOVED) and by
// `redis-cli --cluster reshard` under four writers must never show the clients an error.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/certificates.h"
#include "tests/support/client.h"
#include "tests/support/cluster_group.h"
#include "tests/support/http_client.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/respite_process.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;

class ClusterTest : public ::testing::Test {
 protected:
  // TLS mode (ClusterTlsTest): every node serves TLS too, and respite uses it.
  virtual bool Tls() const { return false; }
  virtual int ReplicasPerMaster() const { return 0; }
  // auto: a master that is down has its slots served locally (per-shard failover).
  virtual std::string Mode() const { return "forward"; }

  void SetUp() override {
    if (Tls()) {
      certs_ = std::make_unique<Certificates>();
      ASSERT_TRUE(certs_->ok()) << "openssl could not make the certificates";
    }
    cluster_ = std::make_unique<ClusterGroup>(3, ReplicasPerMaster(), certs_.get());
    ASSERT_EQ(cluster_->Start(), "");
  }
  void TearDown() override {
    if (HasFailure() && respite_) {
      std::cerr << "---- respite log ----\n" << respite_->process().Log(32768) << "\n";
    }
  }

  void StartRespite() {
    RespiteOptions options;
    options.upstream_url =
        std::string(Tls() ? "rediss" : "redis") + "+cluster://" + cluster_->SeedAddresses();
    if (Tls()) options.env.push_back("RESPITE_TLS_CA_FILE=" + certs_->File("ca.crt"));
    options.log_level = "info";
    options.extra_args = {"--mode", Mode()};
    if (Mode() == "auto") {
      options.env.insert(options.env.end(),
                         {"RESPITE_HEALTH_INTERVAL_MS=100", "RESPITE_HEALTH_UNHEALTHY_AFTER=2",
                          "RESPITE_HEALTH_HEALTHY_AFTER=2", "RESPITE_BREAKER_BACKOFF_BASE_MS=50",
                          "RESPITE_BREAKER_BACKOFF_MAX_MS=500"});
    }
    respite_ = std::make_unique<RespiteProcess>(options);
    ASSERT_EQ(respite_->Start(), "");
  }

  std::string Status() { return HttpRequest(respite_->admin_port(), "GET", "/status").body; }

  double Metric(const std::string& name) {
    return ParsePrometheusText(HttpRequest(respite_->admin_port(), "GET", "/metrics").body)
        .Value(name);
  }

  void RoutesToSlotMasters();

  std::unique_ptr<Certificates> certs_;
  std::unique_ptr<ClusterGroup> cluster_;
  std::unique_ptr<RespiteProcess> respite_;
};

// The routing checks below, then the same over TLS (ClusterTlsTest).
void ClusterTest::RoutesToSlotMasters() {
  ASSERT_NO_FATAL_FAILURE(StartRespite());
  Client c = respite_->Connect();
  // Writes land on the master of their slot, all three masters get some.
  std::map<int, int> per_node;
  for (int i = 0; i < 200; ++i) {
    const std::string key = "key:" + std::to_string(i);
    ASSERT_TRUE(c.Command({"SET", key, "v" + std::to_string(i)}).IsStatus("OK"));
    Client owner = cluster_->ConnectToKeyOwner(key);
    EXPECT_TRUE(owner.Command({"GET", key}).IsString("v" + std::to_string(i))) << key;
    ++per_node[cluster_->NodeForKey(key)];
  }
  EXPECT_EQ(per_node.size(), 3u);

  // A pipeline across every node: replies in request order.
  for (int i = 0; i < 1000; ++i) {
    c.Append({"INCRBY", "counter:" + std::to_string(i % 50), "1"});
    c.Append({"GET", "key:" + std::to_string(i % 200)});
  }
  ASSERT_TRUE(c.Flush());
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(c.GetReply().IsInteger(i / 50 + 1)) << i;
    EXPECT_TRUE(c.GetReply().IsString("v" + std::to_string(i % 200))) << i;
  }

  // What Redis Cluster answers, and what needs every node (not served yet, said so).
  EXPECT_TRUE(c.Command({"MSETNX", "key:1", "x", "key:2", "y"}).IsErrorPrefix("CROSSSLOT"));
  ASSERT_TRUE(c.Command({"MSET", "{u}a", "1", "{u}b", "2"}).IsStatus("OK"));
  Reply both = c.Command({"MGET", "{u}a", "{u}b"});
  ASSERT_TRUE(both.IsArray(2)) << both.Describe();
  EXPECT_EQ(std::string(both->element[1]->str), "2");
  EXPECT_TRUE(
      c.Command({"SELECT", "1"}).IsErrorPrefix("ERR SELECT is not allowed in cluster mode"));
  EXPECT_TRUE(c.Command({"SELECT", "0"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"PING"}).IsStatus("PONG"));
  // A script with keys runs on their node.
  EXPECT_TRUE(c.Command({"EVAL", "return redis.call('incr', KEYS[1])", "1", "{u}a"}).IsInteger(2));
  // SCRIPT LOAD reaches every master: EVALSHA works whichever node its key is on, and FUNCTION
  // LOAD's library is callable on each too.
  Reply sha = c.Command({"SCRIPT", "LOAD", "return redis.call('incrby', KEYS[1], ARGV[1])"});
  ASSERT_EQ(sha->type, REDIS_REPLY_STRING) << sha.Describe();
  ASSERT_TRUE(c.Command({"FUNCTION", "LOAD",
                         "#!lua name=clib\nredis.register_function('cget', function(keys) "
                         "return redis.call('get', keys[1]) end)"})
                  .IsString("clib"));
  for (int node = 0; node < 3; ++node) {
    std::string key;
    for (int n = 0; key.empty(); ++n) {
      const std::string k = "sha:" + std::to_string(n);
      if (cluster_->NodeForKey(k) == node) key = k;
    }
    Reply r = c.Command({"EVALSHA", std::string(sha->str, sha->len), "1", key, "5"});
    EXPECT_TRUE(r.IsInteger(5)) << node << ": " << r.Describe();
    EXPECT_TRUE(c.Command({"FCALL", "cget", "1", key}).IsString("5")) << node;
  }
  EXPECT_TRUE(c.Command({"FUNCTION", "DELETE", "clib"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"FCALL", "cget", "1", "sha:0"}).IsError());

  const std::string status = Status();
  EXPECT_NE(status.find("\"cluster\":{\"nodes\":3,"), std::string::npos) << status;
  EXPECT_NE(status.find("\"slots_unserved\":0,"), std::string::npos) << status;
  EXPECT_EQ(Metric("respite_cluster_nodes"), 3);
  EXPECT_NE(status.find("\"masters\":[{\"address\":\"127.0.0.1:"), std::string::npos) << status;
  // Each master's share of the slots, as redis-cli --cluster create split them.
  double served = 0;
  int masters = 0;
  for (const auto& [series, value] :
       ParsePrometheusText(HttpRequest(respite_->admin_port(), "GET", "/metrics").body).samples) {
    if (series.rfind("respite_cluster_master_slots{master=\"127.0.0.1:", 0) != 0) continue;
    served += value;
    ++masters;
    EXPECT_GT(value, 5000) << series;
  }
  EXPECT_EQ(masters, 3);
  EXPECT_EQ(served, 16384);
  if (Tls()) {
    EXPECT_TRUE(respite_->LogSays(
        "upstream over TLS (min 1.2), certificate checked against each node's address"));
    EXPECT_GE(Metric("respite_upstream_tls_handshakes_total{session=\"new\"}") +
                  Metric("respite_upstream_tls_handshakes_total{session=\"resumed\"}"),
              3);  // a link to each master, the watcher's and the health checks'
  }
}

TEST_F(ClusterTest, EachCommandGoesToItsSlotsMasterAndAnswersAsOneRedis) { RoutesToSlotMasters(); }

class ClusterTlsTest : public ClusterTest {
 protected:
  bool Tls() const override { return true; }
};

// rediss+cluster://: the slot map read over TLS names the nodes' TLS ports, and every link uses
// them.
TEST_F(ClusterTlsTest, EachCommandGoesToItsSlotsMasterOverTls) { RoutesToSlotMasters(); }

// MGET, MSET, DEL, UNLINK, EXISTS and TOUCH over keys of every node: split by slot, one reply.
TEST_F(ClusterTest, MultiKeyCommandsAcrossSlotsAreSplitAndMerged) {
  ASSERT_NO_FATAL_FAILURE(StartRespite());
  Client c = respite_->Connect();
  std::vector<std::string> mset = {"MSET"}, mget = {"MGET"};
  std::map<int, int> per_node;
  for (int i = 0; i < 30; ++i) {
    const std::string key = "multi:" + std::to_string(i);
    mset.insert(mset.end(), {key, "v" + std::to_string(i)});
    if (i % 3 != 2) mget.push_back(key);
    if (i % 3 == 2) mget.push_back("missing:" + std::to_string(i));
    ++per_node[cluster_->NodeForKey(key)];
  }
  ASSERT_EQ(per_node.size(), 3u);
  EXPECT_TRUE(c.Command(mset).IsStatus("OK"));
  for (int i = 0; i < 30; ++i) {
    const std::string key = "multi:" + std::to_string(i);
    EXPECT_TRUE(
        cluster_->ConnectToKeyOwner(key).Command({"GET", key}).IsString("v" + std::to_string(i)));
  }
  // Values in the order of the keys, nil for the missing ones.
  Reply values = c.Command(mget);
  ASSERT_TRUE(values.IsArray(30)) << values.Describe();
  for (int i = 0; i < 30; ++i) {
    const redisReply* v = values->element[i];
    if (i % 3 == 2) {
      EXPECT_EQ(v->type, REDIS_REPLY_NIL) << i;
    } else {
      ASSERT_EQ(v->type, REDIS_REPLY_STRING) << i;
      EXPECT_EQ(std::string(v->str, v->len), "v" + std::to_string(i));
    }
  }
  // Counts added up; a key named twice counts twice, as in Redis.
  EXPECT_TRUE(
      c.Command({"EXISTS", "multi:0", "multi:1", "multi:2", "multi:0", "missing:1"}).IsInteger(4));
  EXPECT_TRUE(c.Command({"TOUCH", "multi:3", "multi:4", "missing:2"}).IsInteger(2));
  EXPECT_TRUE(c.Command({"DEL", "multi:0", "multi:1", "multi:2", "missing:3"}).IsInteger(3));
  EXPECT_TRUE(c.Command({"UNLINK", "multi:3", "multi:4", "multi:5"}).IsInteger(3));
  EXPECT_TRUE(c.Command({"EXISTS", "multi:0", "multi:5", "multi:6"}).IsInteger(1));
  // Pipelined with single-key commands: every reply in its place.
  c.Append({"SET", "multi:p", "1"});
  c.Append({"MGET", "multi:6", "multi:p", "multi:7"});
  c.Append({"INCR", "multi:p"});
  c.Append({"DEL", "multi:6", "multi:7"});
  ASSERT_TRUE(c.Flush());
  EXPECT_TRUE(c.GetReply().IsStatus("OK"));
  Reply piped = c.GetReply();
  ASSERT_TRUE(piped.IsArray(3)) << piped.Describe();
  EXPECT_EQ(std::string(piped->element[1]->str), "1");
  EXPECT_TRUE(c.GetReply().IsInteger(2));
  EXPECT_TRUE(c.GetReply().IsInteger(2));
  // Inside a transaction a split is not possible: Redis Cluster's answer.
  ASSERT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"MGET", "multi:8", "multi:9"}).IsErrorPrefix("CROSSSLOT"));
  EXPECT_TRUE(c.Command({"DISCARD"}).IsStatus("OK"));
}

// KEYS, DBSIZE, SCAN, RANDOMKEY and FLUSHALL answer for the whole keyspace, asked of every master.
TEST_F(ClusterTest, KeyspaceCommandsAskEveryMaster) {
  ASSERT_NO_FATAL_FAILURE(StartRespite());
  Client c = respite_->Connect();
  std::set<std::string> written;
  for (int i = 0; i < 300; ++i) {
    const std::string key = "space:" + std::to_string(i);
    ASSERT_TRUE(c.Command({"SET", key, "1"}).IsStatus("OK"));
    written.insert(key);
  }
  ASSERT_TRUE(c.Command({"SET", "other", "1"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"DBSIZE"}).IsInteger(301));
  Reply keys = c.Command({"KEYS", "space:*"});
  ASSERT_TRUE(keys.IsArray(300)) << keys.Describe();
  std::set<std::string> listed;
  for (size_t i = 0; i < keys->elements; ++i) listed.insert(keys->element[i]->str);
  EXPECT_EQ(listed, written);
  // SCAN walks the masters one after another; every key comes back.
  std::set<std::string> scanned;
  std::string cursor = "0";
  int calls = 0;
  do {
    Reply page = c.Command({"SCAN", cursor, "MATCH", "space:*", "COUNT", "50"});
    ASSERT_TRUE(page.IsArray(2)) << page.Describe();
    cursor = page->element[0]->str;
    for (size_t i = 0; i < page->element[1]->elements; ++i) {
      scanned.insert(page->element[1]->element[i]->str);
    }
    ASSERT_LT(++calls, 1000);
  } while (cursor != "0");
  EXPECT_EQ(scanned, written);
  EXPECT_GT(calls, 3);  // more than one page per master
  EXPECT_TRUE(c.Command({"SCAN", "17"}).IsErrorPrefix("ERR invalid cursor"));  // master 17
  EXPECT_TRUE(c.Command({"SCAN", "x"}).IsErrorPrefix("ERR invalid cursor"));
  Reply random = c.Command({"RANDOMKEY"});
  ASSERT_EQ(random->type, REDIS_REPLY_STRING) << random.Describe();
  EXPECT_TRUE(written.count(random->str) == 1 || std::string(random->str) == "other");
  EXPECT_TRUE(c.Command({"SWAPDB", "0", "1"}).IsErrorPrefix("ERR SWAPDB is not allowed"));
  ASSERT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
  ASSERT_TRUE(c.Command({"SET", "{t}z", "1"}).IsStatus("QUEUED"));
  EXPECT_TRUE(c.Command({"KEYS", "*"}).IsErrorPrefix("ERR KEYS needs every node"));
  EXPECT_TRUE(c.Command({"DISCARD"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"FLUSHALL"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"DBSIZE"}).IsInteger(0));
  EXPECT_TRUE(c.Command({"RANDOMKEY"}).IsNil());
  for (int node = 0; node < 3; ++node) {
    EXPECT_TRUE(Client(cluster_->port(node)).Command({"DBSIZE"}).IsInteger(0)) << node;
  }
}

TEST_F(ClusterTest, TransactionsBlockingCommandsAndPubSubWork) {
  ASSERT_NO_FATAL_FAILURE(StartRespite());
  Client c = respite_->Connect();
  // The transaction goes to the node of its first key, MULTI with it.
  ASSERT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
  ASSERT_TRUE(c.Command({"INCR", "{t}x"}).IsStatus("QUEUED"));
  ASSERT_TRUE(c.Command({"INCR", "{t}x"}).IsStatus("QUEUED"));
  Reply exec = c.Command({"EXEC"});
  ASSERT_TRUE(exec.IsArray(2)) << exec.Describe();
  EXPECT_EQ(exec->element[1]->integer, 2);
  EXPECT_TRUE(cluster_->ConnectToKeyOwner("{t}x").Command({"GET", "{t}x"}).IsString("2"));
  // Nothing queued: answered here.
  ASSERT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"EXEC"}).IsArray(0));
  ASSERT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"DISCARD"}).IsStatus("OK"));
  // WATCH, then a transaction on the same node: a write by another client aborts it.
  ASSERT_TRUE(c.Command({"WATCH", "{w}k"}).IsStatus("OK"));
  Client other = respite_->Connect();
  ASSERT_TRUE(other.Command({"SET", "{w}k", "theirs"}).IsStatus("OK"));
  ASSERT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
  ASSERT_TRUE(c.Command({"SET", "{w}k", "mine"}).IsStatus("QUEUED"));
  EXPECT_TRUE(c.Command({"EXEC"}).IsNil());
  EXPECT_TRUE(c.Command({"GET", "{w}k"}).IsString("theirs"));
  // Keys of another node inside a transaction: refused, and EXEC aborts as in Redis Cluster.
  ASSERT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
  ASSERT_TRUE(c.Command({"SET", "{t}y", "1"}).IsStatus("QUEUED"));
  int away = 0;
  while (cluster_->NodeForKey("away:" + std::to_string(away)) == cluster_->NodeForKey("{t}y")) {
    ++away;
  }
  Reply moved = c.Command({"SET", "away:" + std::to_string(away), "1"});
  EXPECT_TRUE(moved.IsErrorPrefix("TRYAGAIN slot ")) << moved.Describe();
  EXPECT_TRUE(c.Command({"EXEC"}).IsErrorPrefix("EXECABORT"));
  EXPECT_TRUE(c.Command({"GET", "{t}y"}).IsNil());

  // A blocked pop on its key's node, woken by a push from another client.
  std::thread pusher([&] {
    std::this_thread::sleep_for(300ms);
    Client p = respite_->Connect();
    p.Command({"RPUSH", "queue:1", "job"});
  });
  Reply popped = c.Command({"BLPOP", "queue:1", "5"});
  pusher.join();
  ASSERT_TRUE(popped.IsArray(2)) << popped.Describe();
  EXPECT_EQ(std::string(popped->element[1]->str), "job");
  EXPECT_TRUE(c.Command({"BLPOP", "queue:2", "0.2"}).IsNil());
  // Blocking commands on each node in turn: the dedicated connection moves to each key's node.
  for (int round = 0; round < 2; ++round) {
    for (int node = 0; node < 3; ++node) {
      std::string key;
      for (int n = 0; key.empty(); ++n) {
        const std::string k = "jobs:" + std::to_string(n);
        if (cluster_->NodeForKey(k) == node) key = k;
      }
      ASSERT_TRUE(c.Command({"RPUSH", key, "j" + std::to_string(round)}).IsInteger(1));
      Reply job = c.Command({"BLPOP", key, "1"});
      ASSERT_TRUE(job.IsArray(2)) << node << ": " << job.Describe();
      EXPECT_EQ(std::string(job->element[1]->str), "j" + std::to_string(round));
    }
  }
  // A plain command afterwards goes to its own node again.
  EXPECT_TRUE(c.Command({"SET", "after:blpop", "1"}).IsStatus("OK"));
  EXPECT_TRUE(
      cluster_->ConnectToKeyOwner("after:blpop").Command({"GET", "after:blpop"}).IsString("1"));

  // Pub/sub: a message published on any node reaches a subscriber of respite.
  Client sub = respite_->Connect();
  Reply confirm = sub.Command({"SUBSCRIBE", "news"});
  ASSERT_TRUE(confirm.IsArray(3)) << confirm.Describe();
  for (int node = 0; node < 3; ++node) {
    Client direct(cluster_->port(node));
    // Counts the subscribers on that node only; Redis Cluster passes the message on to all.
    EXPECT_EQ(direct.Command({"PUBLISH", "news", "from " + std::to_string(node)})->type,
              REDIS_REPLY_INTEGER);
    Reply message = sub.GetReply();
    ASSERT_TRUE(message.IsArray(3)) << message.Describe();
    EXPECT_EQ(std::string(message->element[2]->str), "from " + std::to_string(node));
  }
  // Sharded pub/sub: subscribed on the channel's node (one that is not slot 0's).
  std::string channel = "orders";
  for (int n = 0; cluster_->NodeForKey(channel) == cluster_->NodeForSlot(0); ++n) {
    channel = "orders:" + std::to_string(n);
  }
  Client ssub = respite_->Connect();
  Reply sconfirm = ssub.Command({"SSUBSCRIBE", channel});
  ASSERT_TRUE(sconfirm.IsArray(3)) << sconfirm.Describe();
  EXPECT_TRUE(c.Command({"SPUBLISH", channel, "o1"}).IsInteger(1));
  Reply smessage = ssub.GetReply();
  ASSERT_TRUE(smessage.IsArray(3)) << smessage.Describe();
  EXPECT_EQ(std::string(smessage->element[2]->str), "o1");
  EXPECT_TRUE(c.Command({"SPUBLISH", channel, "o2", "extra"}).IsError());
}

TEST_F(ClusterTest, AskAndMovedRedirectsAreFollowedNotShown) {
  ASSERT_NO_FATAL_FAILURE(StartRespite());
  Client c = respite_->Connect();
  const uint16_t slot = cluster_->SlotOf("{mig}");
  const int source = cluster_->NodeForSlot(slot), target = (source + 1) % 3;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(c.Command({"SET", "{mig}:" + std::to_string(i), std::to_string(i)}).IsStatus("OK"));
  }
  // Mid-migration: the keys moved so far answer -ASK at the source, new keys too.
  ASSERT_EQ(cluster_->BeginMoveSlot(slot, target), "");
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(c.Command({"GET", "{mig}:" + std::to_string(i)}).IsString(std::to_string(i))) << i;
  }
  EXPECT_TRUE(c.Command({"SET", "{mig}:new", "n"}).IsStatus("OK"));
  Client target_node(cluster_->port(target));
  ASSERT_TRUE(target_node.Command({"ASKING"}).IsStatus("OK"));
  EXPECT_TRUE(target_node.Command({"GET", "{mig}:new"}).IsString("n"));
  ASSERT_EQ(cluster_->FinishMoveSlot(slot, target), "");
  // After the move respite's map is stale until -MOVED (or the next refresh) says otherwise.
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(c.Command({"INCR", "{mig}:" + std::to_string(i)}).IsInteger(i + 1)) << i;
  }
  EXPECT_TRUE(Client(cluster_->port(target)).Command({"GET", "{mig}:7"}).IsString("8"));
  EXPECT_GT(Metric("respite_cluster_redirects_total"), 0);
  EXPECT_TRUE(WaitFor([&] { return respite_->LogSays("cluster: slot map from"); }, 5s));
}

// Four writers INCR counters spread over every slot while redis-cli moves 1000 slots between
// masters, and a reader MGETs counters of every node: no client sees an error, and every counter
// ends at the number of INCRs acknowledged for it (none lost, none applied twice).
TEST_F(ClusterTest, AReshardUnderTrafficShowsClientsNoError) {
  ASSERT_NO_FATAL_FAILURE(StartRespite());
  constexpr int kWriters = 4, kCounters = 200;
  std::atomic<bool> stop{false};
  std::vector<std::vector<long long>> acked(kWriters, std::vector<long long>(kCounters, 0));
  std::vector<std::vector<std::string>> errors(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      Client c = respite_->Connect();
      for (int i = 0; !stop.load(); ++i) {
        const int n = (i * 7 + w) % kCounters;
        Reply r = c.Command({"INCR", "counter:" + std::to_string(w) + ":" + std::to_string(n)});
        if (r && r->type == REDIS_REPLY_INTEGER) {
          ++acked[w][n];
        } else if (errors[w].size() < 5) {
          errors[w].push_back(r.Describe());
        }
      }
    });
  }
  // A reader of counters on every node at once: its MGETs are split, and their parts redirected.
  std::vector<std::string> reader_errors;
  long long reads = 0;
  writers.emplace_back([&] {
    Client c = respite_->Connect();
    std::vector<std::string> mget = {"MGET"};
    for (int n = 0; n < 40; ++n) mget.push_back("counter:0:" + std::to_string(n));
    while (!stop.load()) {
      Reply r = c.Command(mget);
      if (r.IsArray(40)) {
        ++reads;
      } else if (reader_errors.size() < 5) {
        reader_errors.push_back(r.Describe());
      }
    }
  });
  std::this_thread::sleep_for(300ms);
  const std::string resharded = cluster_->Reshard(0, 1, 1000);
  std::this_thread::sleep_for(300ms);
  stop.store(true);
  for (std::thread& t : writers) t.join();
  EXPECT_TRUE(reader_errors.empty()) << reader_errors[0];
  EXPECT_GT(reads, 0);
  ASSERT_EQ(resharded, "");
  long long total = 0;
  Client c = respite_->Connect();
  for (int w = 0; w < kWriters; ++w) {
    EXPECT_TRUE(errors[w].empty()) << "writer " << w << ": " << errors[w][0];
    for (int n = 0; n < kCounters; ++n) {
      const std::string key = "counter:" + std::to_string(w) + ":" + std::to_string(n);
      Reply r = c.Command({"GET", key});
      const long long there = r->type == REDIS_REPLY_STRING ? std::stoll(r->str) : 0;
      EXPECT_EQ(there, acked[w][n]) << key;
      total += acked[w][n];
    }
  }
  std::cerr << "cluster reshard: " << total << " INCRs acknowledged, " << reads
            << " MGETs over every node, " << Metric("respite_cluster_redirects_total")
            << " redirects followed\n";
  EXPECT_GT(total, 0);
}

class ClusterFailoverTest : public ClusterTest {
 protected:
  int ReplicasPerMaster() const override { return 1; }
  std::string Mode() const override { return "auto"; }
};

// A master SIGKILLed (3 masters, a replica each): its slots are served locally at once (its
// connections are refused), the cluster promotes its replica, and what respite took for those
// slots meanwhile is replayed to the promoted replica, their new owner, before they are forwarded
// there. The other masters' keys are forwarded throughout.
TEST_F(ClusterFailoverTest, AKilledMastersSlotsAreServedLocallyThenReplayedToItsPromotedReplica) {
  ASSERT_NO_FATAL_FAILURE(StartRespite());
  Client c = respite_->Connect();
  std::string doomed_key, other_key;
  for (int n = 0; doomed_key.empty() || other_key.empty(); ++n) {
    const std::string key = "fo:" + std::to_string(n);
    (cluster_->NodeForKey(key) == 0 ? doomed_key : other_key) = key;
  }
  ASSERT_TRUE(c.Command({"SET", doomed_key, "before"}).IsStatus("OK"));
  // On the replica before the kill, so the promoted replica has it (WAIT right after the
  // cluster's creation is not enough: it can count a replica still in its first sync).
  ASSERT_TRUE(WaitFor(
      [&] {
        for (int i = 3; i < cluster_->size(); ++i) {
          Client replica(cluster_->port(i));
          replica.Command({"READONLY"});
          if (replica.Command({"GET", doomed_key}).IsString("before")) return true;
        }
        return false;
      },
      10s));
  const uint16_t doomed_port = cluster_->port(0);
  cluster_->node(0).Kill();
  EXPECT_TRUE(c.Command({"SET", other_key, "during"}).IsStatus("OK"));
  // Served locally while the cluster has not promoted the replica yet.
  Reply during = c.Command({"SET", doomed_key, "during"});
  ASSERT_TRUE(during.IsStatus("OK")) << during.Describe() << "\n" << Status();
  EXPECT_TRUE(c.Command({"GET", doomed_key}).IsString("during"));
  EXPECT_TRUE(c.Command({"APPEND", doomed_key, "+more"}).IsInteger(11));
  EXPECT_TRUE(
      respite_->LogSays("cluster: master 127.0.0.1:" + std::to_string(doomed_port) + " down"));
  std::string last;
  ASSERT_TRUE(WaitFor(
      [&] {
        const int owner = cluster_->NodeForKey(doomed_key);
        if (owner <= 2) return false;
        Reply r = Client(cluster_->port(owner)).Command({"GET", doomed_key});
        last = r.Describe();
        return r.IsString("during+more") &&
               Status().find("\"slots_local\":0,") != std::string::npos;
      },
      20s))
      << last << "\n"
      << Status();
  EXPECT_TRUE(respite_->LogSays("cluster: replayed"));
  EXPECT_TRUE(c.Command({"SET", doomed_key, "after"}).IsStatus("OK"));
  const int owner = cluster_->NodeForKey(doomed_key);
  ASSERT_GT(owner, 2);  // a replica, promoted
  EXPECT_TRUE(Client(cluster_->port(owner)).Command({"GET", doomed_key}).IsString("after"));
  EXPECT_TRUE(respite_->LogSays("cluster: slot map from"));
  // With cluster-require-full-coverage yes every master says cluster_state:fail until the
  // replica is promoted, so the other masters may have been served locally for a while too.
  std::cerr << "cluster failover: " << Metric("respite_cluster_shard_failovers_total")
            << " masters marked down, " << Metric("respite_cluster_replayed_total")
            << " entries replayed\n";
}

}  // namespace
}  // namespace respite::test
