// Sentinel mode for real: a master, a replica and three redis-sentinels from Debian's packages on
// loopback ports (tests/support/sentinel_group.h), respite in front with a redis+sentinel:// URL.
// Four clients write through respite while Sentinel fails the master over, by SENTINEL FAILOVER
// and by a SIGKILLed master. Each writer pushes unique items to its own list, so the new master's
// lists say exactly which acknowledged writes arrived, which twice, and which were lost. The same
// over TLS (rediss+sentinel://: TLS to the sentinels and to the master), and a sentinel whose
// certificate does not match, named in /status.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/certificates.h"
#include "tests/support/client.h"
#include "tests/support/http_client.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/reconnecting_client.h"
#include "tests/support/redis_server.h"
#include "tests/support/respite_process.h"
#include "tests/support/sentinel_group.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// One writer's pushes: each item with whether it was acknowledged and when it was sent.
struct Push {
  std::string item;
  bool acked = false;
  Clock::time_point sent;
};

class SentinelTest : public ::testing::Test {
 protected:
  // TLS mode (SentinelTlsTest): every process serves TLS too, and respite uses it.
  virtual bool Tls() const { return false; }

  void SetUp() override {
    if (Tls()) {
      certs_ = std::make_unique<Certificates>();
      ASSERT_TRUE(certs_->ok()) << "openssl could not make the certificates";
    }
    group_ = std::make_unique<SentinelGroup>("mymaster", RedisOptions{}, certs_.get());
    ASSERT_EQ(group_->Start(), "");
  }
  void TearDown() override {
    if (HasFailure() && respite_) {
      std::cerr << "---- respite log ----\n" << respite_->process().Log(32768) << "\n";
    }
  }

  void StartRespite(std::vector<std::string> env = {}) {
    RespiteOptions options;
    options.upstream_url = std::string(Tls() ? "rediss" : "redis") + "+sentinel://" +
                           group_->SentinelAddresses() + "/" + group_->master_name();
    options.log_level = "info";
    options.env = {"RESPITE_HEALTH_INTERVAL_MS=100",          "RESPITE_HEALTH_TIMEOUT_MS=200",
                   "RESPITE_HEALTH_UNHEALTHY_AFTER=2",        "RESPITE_HEALTH_HEALTHY_AFTER=2",
                   "RESPITE_BREAKER_BACKOFF_BASE_MS=50",      "RESPITE_BREAKER_BACKOFF_MAX_MS=500",
                   "RESPITE_UPSTREAM_REQUEST_TIMEOUT_MS=1000"};
    if (Tls()) options.env.push_back("RESPITE_TLS_CA_FILE=" + certs_->File("ca.crt"));
    options.env.insert(options.env.end(), env.begin(), env.end());
    respite_ = std::make_unique<RespiteProcess>(options);
    ASSERT_EQ(respite_->Start(), "");
  }

  // A write through respite is on data node `node` at once: respite forwards there.
  bool ForwardsTo(int node) {
    Client c = respite_->Connect(1s);
    Client direct = group_->node(node).Connect(1s);
    if (!c.ok() || !direct.ok()) return false;
    const std::string key = "probe:" + std::to_string(probe_++);
    return c.Command({"SET", key, "1"}).IsStatus("OK") &&
           direct.Command({"GET", key}).IsString("1");
  }

  std::string Status() { return HttpRequest(respite_->admin_port(), "GET", "/status").body; }

  double Metric(const std::string& name) {
    return ParsePrometheusText(HttpRequest(respite_->admin_port(), "GET", "/metrics").body)
        .Value(name);
  }

  // SENTINEL FAILOVER while four clients write: every push lands once on the new master, and
  // respite says what it did (log, /status, metrics).
  void FailOverWhileClientsWrite() {
    ASSERT_NO_FATAL_FAILURE(StartRespite());
    const uint16_t first = group_->announced_port(0), second = group_->announced_port(1);
    ASSERT_TRUE(ForwardsTo(0));
    EXPECT_NE(Status().find("\"master\":\"127.0.0.1:" + std::to_string(first) + "\""),
              std::string::npos)
        << Status();
    // Subscribed to every sentinel's announcements.
    EXPECT_TRUE(WaitFor([&] { return Metric("respite_sentinel_listening") == 3; }, 5s)) << Status();

    StartWriters();
    std::this_thread::sleep_for(500ms);
    const Clock::time_point failover_began = Clock::now();
    ASSERT_EQ(group_->Failover(), "");
    ASSERT_TRUE(group_->WaitForMaster(second, 30s));
    EXPECT_TRUE(WaitFor([&] { return ForwardsTo(1); }, 15s));
    const Clock::time_point switched = Clock::now();
    std::this_thread::sleep_for(500ms);
    StopWriters();

    EXPECT_TRUE(respite_->LogSays("sentinel: holding clients' commands (Sentinel is promoting"))
        << respite_->Log();
    EXPECT_TRUE(respite_->LogSays("sentinel: releasing clients' commands (the master is known)"));
    EXPECT_TRUE(
        respite_->LogSays("sentinel: master 'mymaster' at 127.0.0.1:" + std::to_string(second) +
                          " (was 127.0.0.1:" + std::to_string(first) + ")"));
    const std::string status = Status();
    EXPECT_NE(status.find("\"master\":\"127.0.0.1:" + std::to_string(second) + "\""),
              std::string::npos)
        << status;
    EXPECT_NE(
        status.find(std::string("\"tls\":") + (Tls() ? "true" : "false") + ",\"sentinels\":3,"),
        std::string::npos)
        << status;
    EXPECT_EQ(Metric("respite_sentinel_master_switches_total"), 1);
    EXPECT_EQ(Metric("respite_sentinel_holds_total"), 1);
    EXPECT_GT(Metric("respite_sentinel_held_seconds_total"), 0);
    EXPECT_EQ(Metric("respite_sentinel_master_known"), 1);
    if (Tls()) {
      EXPECT_TRUE(respite_->LogSays(
          "upstream over TLS (min 1.2), certificate checked against the master's address"));
      EXPECT_TRUE(
          respite_->LogSays("sentinels over TLS, certificates checked against each "
                            "sentinel's host"));
      EXPECT_GT(Metric("respite_upstream_tls_handshakes_total{session=\"new\"}") +
                    Metric("respite_upstream_tls_handshakes_total{session=\"resumed\"}"),
                0);
    }
    Client master = group_->node(1).Connect();
    // Everything sent before SENTINEL FAILOVER, or once respite forwarded to the new master, is
    // there exactly once.
    CheckLists(master, failover_began, switched);
  }

  // Four writers, each RPUSHing unique items to its own list until `stop`.
  void StartWriters() {
    pushes_.resize(kWriters);
    for (int w = 0; w < kWriters; ++w) {
      writers_.emplace_back([this, w] {
        ReconnectingClient c(*respite_);
        for (int i = 0; !stop_.load(); ++i) {
          Push push{"w" + std::to_string(w) + ":" + std::to_string(i), false, Clock::now()};
          const Reply r = c.Command({"RPUSH", "sentinel:list:" + std::to_string(w), push.item});
          push.acked = r && r->type == REDIS_REPLY_INTEGER;
          pushes_[w].push_back(std::move(push));
          if (!r) std::this_thread::sleep_for(10ms);  // reconnecting: do not spin
        }
      });
    }
  }

  void StopWriters() {
    stop_.store(true);
    for (std::thread& t : writers_) t.join();
    writers_.clear();
  }

  // Checks the new master's lists against what the writers saw. An acknowledged push sent
  // inside [lossy_from, lossy_to) may be missing: the old master acknowledged it and its replica
  // never got it (Redis' asynchronous replication: for a SIGKILL, the last moments before the
  // kill; for SENTINEL FAILOVER, a command in flight when respite began holding commands for the
  // promotion). Those are counted and must stay under 1%. Every other acknowledged push is there
  // exactly once, no push is there twice, and none is there that was never sent.
  void CheckLists(Client& master, Clock::time_point lossy_from, Clock::time_point lossy_to) {
    size_t sent = 0, acked = 0, lost_async = 0;
    for (int w = 0; w < kWriters; ++w) {
      const Reply list =
          master.Command({"LRANGE", "sentinel:list:" + std::to_string(w), "0", "-1"});
      ASSERT_TRUE(list && list->type == REDIS_REPLY_ARRAY) << list.Describe();
      std::map<std::string, int> there;
      for (size_t i = 0; i < list->elements; ++i) {
        ++there[std::string(list->element[i]->str, list->element[i]->len)];
      }
      std::map<std::string, const Push*> by_item;
      for (const Push& p : pushes_[w]) by_item[p.item] = &p;
      for (const auto& [item, n] : there) {
        EXPECT_EQ(n, 1) << item << " is on the master " << n << " times";
        EXPECT_EQ(by_item.count(item), 1u) << item << " was never sent";
      }
      for (const Push& p : pushes_[w]) {
        ++sent;
        if (!p.acked) continue;
        ++acked;
        if (there.count(p.item) != 0) continue;
        if (p.sent >= lossy_from && p.sent < lossy_to) {
          ++lost_async;
        } else {
          ADD_FAILURE() << p.item << " (acknowledged outside the failover window) is missing";
        }
      }
    }
    std::cerr
        << "sentinel failover: " << acked << " of " << sent << " pushes acknowledged; "
        << lost_async << " acknowledged by the old master in the "
        << std::chrono::duration_cast<std::chrono::milliseconds>(lossy_to - lossy_from).count()
        << " ms window and lost with it\n";
    EXPECT_GT(static_cast<double>(acked), 0.99 * static_cast<double>(sent));
    // A small fraction: a few in flight when the old master died or Sentinel began promoting.
    EXPECT_LT(static_cast<double>(lost_async), 0.01 * static_cast<double>(acked));
  }

  static constexpr int kWriters = 4;
  std::unique_ptr<Certificates> certs_;
  std::unique_ptr<SentinelGroup> group_;
  std::unique_ptr<RespiteProcess> respite_;
  std::vector<std::thread> writers_;
  std::vector<std::vector<Push>> pushes_;
  std::atomic<bool> stop_{false};
  int probe_ = 0;
};

TEST_F(SentinelTest, FollowsASentinelFailoverWhileClientsWrite) { FailOverWhileClientsWrite(); }

TEST_F(SentinelTest, ServesLocallyWhileTheMasterIsDeadAndReplaysToTheNewOne) {
  ASSERT_NO_FATAL_FAILURE(StartRespite());
  const uint16_t second = group_->announced_port(1);
  StartWriters();
  std::this_thread::sleep_for(500ms);
  group_->node(0).Kill();
  const Clock::time_point killed = Clock::now();
  // Sentinel needs down-after-milliseconds (1 s) and an election; respite serves meanwhile.
  EXPECT_TRUE(WaitFor([&] { return respite_->ServedLocally(); }, 10s));
  ASSERT_TRUE(group_->WaitForMaster(second, 30s));
  EXPECT_TRUE(WaitFor([&] { return ForwardsTo(1); }, 20s));
  std::this_thread::sleep_for(500ms);
  StopWriters();
  EXPECT_TRUE(respite_->LogSays("replay done"));
  Client master = group_->node(1).Connect();
  // Every push sent after the kill was acknowledged by respite's local store (journaled, then
  // replayed) or by the new master: each must be there exactly once. Only the old master's last
  // acknowledgements before the kill may be lost.
  CheckLists(master, killed - 1s, killed);
}

class SentinelTlsTest : public SentinelTest {
 protected:
  bool Tls() const override { return true; }
};

TEST_F(SentinelTlsTest, FollowsASentinelFailoverOverTls) { FailOverWhileClientsWrite(); }

// A sentinel's certificate that does not match the name respite checks: no master is found,
// /status says why (naming the sentinel's certificate, not upstream's), and respite serves
// locally meanwhile.
TEST_F(SentinelTlsTest, ASentinelCertificateForAnotherNameIsRefusedAndNamed) {
  ASSERT_NO_FATAL_FAILURE(StartRespite({"RESPITE_SENTINEL_TLS_SERVER_NAME=sentinel.example"}));
  EXPECT_TRUE(WaitFor(
      [&] {
        return Status().find(
                   "hostname mismatch (a sentinel's certificate is not for "
                   "'sentinel.example')") != std::string::npos;
      },
      5s))
      << Status();
  EXPECT_EQ(Metric("respite_sentinel_master_known"), 0);
  Client c = respite_->Connect();
  EXPECT_TRUE(c.Command({"SET", "k", "v"}).IsStatus("OK"));
  EXPECT_TRUE(respite_->ServedLocally());
}

}  // namespace
}  // namespace respite::test
