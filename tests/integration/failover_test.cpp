// Fault tests of automatic failover (DESIGN.md "The state machine", "Exactly-once replay"): real
// redis-server and respite processes; upstream is SIGKILLed, SIGSTOPped, absent at start-up or
// flapping, respite itself is SIGKILLed while LOCAL and while DRAINING, and every test checks the
// exact final state upstream, read directly from redis.
//
// Health settings are short (interval 100 ms, timeout 100 ms, 2 failures down, 2 successes up) so
// that each test takes seconds; every wait is bounded. Where upstream data must survive a restart,
// redis runs with `appendonly yes, appendfsync always`; elsewhere a restarted redis comes back
// EMPTY, and the assertions only cover writes whose outcome upstream is then exactly known.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/certificates.h"
#include "tests/support/client.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/reconnecting_client.h"
#include "tests/support/redis_server.h"
#include "tests/support/respite_process.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

RedisOptions Persistent() {
  RedisOptions options;
  options.extra_args = {"--appendonly", "yes", "--appendfsync", "always"};
  return options;
}

RespiteOptions FastFailover(const std::string& upstream_url, int healthy_after = 2) {
  RespiteOptions options;
  options.upstream_url = upstream_url;
  options.log_level = "info";
  options.env = {"RESPITE_HEALTH_INTERVAL_MS=100",
                 "RESPITE_HEALTH_TIMEOUT_MS=100",
                 "RESPITE_HEALTH_UNHEALTHY_AFTER=2",
                 "RESPITE_HEALTH_HEALTHY_AFTER=" + std::to_string(healthy_after),
                 "RESPITE_BREAKER_BACKOFF_BASE_MS=50",
                 "RESPITE_BREAKER_BACKOFF_MAX_MS=500",
                 "RESPITE_UPSTREAM_REQUEST_TIMEOUT_MS=300"};
  return options;
}

// respite's whole log (Process::Log keeps only the tail).
std::string FullLog(RespiteProcess& respite) { return ReadFile(respite.process().log_path()); }

size_t CountOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Polls until respite forwards again: a SET through respite is visible on redis right away (a
// local write only shows up there after a replay, and the probe is read back at once).
bool WaitForwarding(RespiteProcess& respite, RedisServer& redis,
                    std::chrono::milliseconds timeout = 30s) {
  int probe = 0;
  return WaitFor(
      [&] {
        Client c = respite.Connect(1s);
        Client direct = redis.Connect(1s);
        if (!c.ok() || !direct.ok()) return false;
        const std::string key = "probe:" + std::to_string(probe++);
        if (!c.Command({"SET", key, "1"}).IsStatus("OK")) return false;
        return direct.Command({"GET", key}).IsString("1");
      },
      timeout);
}

long long IntegerOf(const Reply& r) {
  if (!r) return -1;
  if (r->type == REDIS_REPLY_INTEGER) return r->integer;
  if (r->type == REDIS_REPLY_STRING) return std::stoll(std::string(r->str, r->len));
  return -1;
}

using Writer = ReconnectingClient;

// Counts replies of one writer thread: its own, read after join.
struct Tally {
  long long sent = 0;
  long long errors = 0;  // error replies and I/O failures
  std::map<std::string, std::string> first_error;
  void Error(const std::string& cmd, const Reply& r) {
    ++errors;
    first_error.emplace(cmd, r ? r.Describe() : std::string("(I/O error)"));
  }
};

class FailoverTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure() && respite_) {
      std::cerr << "---- respite log (" << respite_->dir() << ") ----\n"
                << respite_->process().Log(32768) << "\n----\n";
    }
  }

  void StartStack(RedisOptions redis_options, int healthy_after = 2) {
    redis_ = std::make_unique<RedisServer>(std::move(redis_options));
    ASSERT_EQ(redis_->Start(), "");
    respite_ = std::make_unique<RespiteProcess>(FastFailover(redis_->Url(), healthy_after));
    ASSERT_EQ(respite_->Start(), "");
  }

  // Whether respite says it serves from its local store (RESPITE STATUS).
  bool ServedLocally() {
    Client admin = respite_->Connect();
    Reply r = admin.Command({"RESPITE", "STATUS"});
    return r && std::string(r->str, r->len).find("respite_state:local") != std::string::npos;
  }

  Client Direct() {
    Client c = redis_->Connect();
    EXPECT_TRUE(c.ok()) << c.error();
    return c;
  }

  // The same stack with a rediss:// upstream: Redis serves TLS on a second port (its plain port
  // stays for the test's direct reads), with certificates made for this test.
  void StartTlsStack() {
    certs_ = std::make_unique<Certificates>();
    ASSERT_TRUE(certs_->ok()) << "openssl could not make the certificates";
    const std::string tls_port = std::to_string(FreePort());
    RedisOptions options;
    options.extra_args = {"--tls-port",         tls_port,
                          "--tls-cert-file",    certs_->File("server.crt"),
                          "--tls-key-file",     certs_->File("server.key"),
                          "--tls-ca-cert-file", certs_->File("ca.crt"),
                          "--tls-auth-clients", "no"};
    redis_ = std::make_unique<RedisServer>(std::move(options));
    ASSERT_EQ(redis_->Start(), "");
    RespiteOptions respite = FastFailover("rediss://localhost:" + tls_port);
    respite.env.push_back("RESPITE_TLS_CA_FILE=" + certs_->File("ca.crt"));
    respite_ = std::make_unique<RespiteProcess>(std::move(respite));
    ASSERT_EQ(respite_->Start(), "");
  }

  // Four writers through respite while upstream is SIGKILLed and restarted empty (below).
  void KillUpstreamUnderLoad();

  std::unique_ptr<Certificates> certs_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<RespiteProcess> respite_;
};

// ---- upstream SIGKILL under load; redis comes back empty ----

// Upstream restarts EMPTY (no persistence): everything acknowledged before the kill is lost with
// it, by construction. What is exactly checkable is what the client saw after the kill: a command
// sent after Kill() returned cannot have been answered by the dead redis, so its acknowledgement
// came from the local store (journaled) or from the new redis. Hence:
// - INCR (one thread, one key): the replies to commands sent after the kill count 1, 2, 3, ...
//   with no gap or repeat (the local store starts empty, the replay adds exactly those increments
//   to the empty new redis, forwarding continues from there), and the last one is the final
//   value upstream. Same for HINCRBY.
// - SET k EX 100 acknowledged after the kill: the key is upstream and its PTTL is no more than
//   what remained when respite acknowledged it (absolute expiry, no fresh lifetime on replay).
// - RPUSH items acknowledged after the kill: each is upstream exactly once unless the LPOP
//   consumer took it; no item the consumer took is upstream; no item is there twice.
TEST_F(FailoverTest, UpstreamSigkillUnderLoadLosesNoAcknowledgedWrite) {
  ASSERT_NO_FATAL_FAILURE(StartStack({}));
  KillUpstreamUnderLoad();
}

// The same over TLS: every link, health check and the replayer reconnect with handshakes.
TEST_F(FailoverTest, UpstreamSigkillUnderLoadOverTlsLosesNoAcknowledgedWrite) {
  ASSERT_NO_FATAL_FAILURE(StartTlsStack());
  KillUpstreamUnderLoad();
  EXPECT_NE(FullLog(*respite_).find("upstream over TLS"), std::string::npos);
}

void FailoverTest::KillUpstreamUnderLoad() {
  std::atomic<bool> killed{false};
  std::atomic<bool> stop{false};

  // Every INCR / HINCRBY reply in order, and how many came before the first command sent after the
  // kill.
  std::vector<long long> incrs, hincrs;
  size_t incrs_before = 0, hincrs_before = 0;
  struct TtlKey {
    std::string key;
    Clock::time_point acked;
  };
  std::vector<TtlKey> ttl_keys;      // SET EX acknowledged, sent after the kill
  std::vector<std::string> pushed;   // RPUSH acknowledged, sent after the kill
  std::set<std::string> pushed_any;  // every RPUSH item ever sent
  std::set<std::string> consumed;    // every item LPOP returned
  Tally tallies[4];

  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    Writer w(*respite_);
    while (!stop.load()) {
      const bool after = killed.load();
      Reply r = w.Command({"INCR", "fo:counter"});
      ++tallies[0].sent;
      if (r && r->type == REDIS_REPLY_INTEGER) {
        if (!after) incrs_before = incrs.size() + 1;
        incrs.push_back(r->integer);
      } else {
        tallies[0].Error("INCR", r);
      }
    }
  });
  threads.emplace_back([&] {
    Writer w(*respite_);
    for (int i = 0; !stop.load(); ++i) {
      const bool after = killed.load();
      const std::string key = "fo:ttl:" + std::to_string(i);
      Reply r = w.Command({"SET", key, "v", "EX", "100"});
      ++tallies[1].sent;
      if (r.IsStatus("OK")) {
        if (after) ttl_keys.push_back({key, Clock::now()});
      } else {
        tallies[1].Error("SET", r);
      }
      Reply h = w.Command({"HINCRBY", "fo:hash", "f", "1"});
      ++tallies[1].sent;
      if (h && h->type == REDIS_REPLY_INTEGER) {
        if (!after) hincrs_before = hincrs.size() + 1;
        hincrs.push_back(h->integer);
      } else {
        tallies[1].Error("HINCRBY", h);
      }
    }
  });
  threads.emplace_back([&] {
    Writer w(*respite_);
    for (int i = 0; !stop.load(); ++i) {
      const bool after = killed.load();
      const std::string item = "x" + std::to_string(i);
      pushed_any.insert(item);
      Reply r = w.Command({"RPUSH", "fo:list", item});
      ++tallies[2].sent;
      if (r && r->type == REDIS_REPLY_INTEGER) {
        if (after) pushed.push_back(item);
      } else {
        tallies[2].Error("RPUSH", r);
      }
    }
  });
  threads.emplace_back([&] {
    Writer w(*respite_);
    while (!stop.load()) {
      Reply r = w.Command({"LPOP", "fo:list"});
      ++tallies[3].sent;
      if (r && r->type == REDIS_REPLY_STRING) {
        consumed.insert(std::string(r->str, r->len));
      } else if (!r || r->type != REDIS_REPLY_NIL) {
        tallies[3].Error("LPOP", r);
      }
      std::this_thread::sleep_for(3ms);  // slower than the producer: the list keeps items
    }
  });

  std::this_thread::sleep_for(300ms);
  redis_->Kill();
  killed.store(true);
  std::this_thread::sleep_for(2s);
  ASSERT_EQ(redis_->Restart(), "");
  const bool forwarding = WaitForwarding(*respite_, *redis_);
  std::this_thread::sleep_for(300ms);  // some writes forwarded to the new redis too
  stop.store(true);
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(forwarding) << "respite did not forward again within 30 s";

  const std::string log = FullLog(*respite_);
  EXPECT_NE(log.find("serving locally"), std::string::npos);
  EXPECT_NE(log.find("replay done"), std::string::npos);

  Client direct = Direct();
  ASSERT_TRUE(direct.ok());

  // Replies: 1..M from the redis that died, then (after a TRYAGAIN or two) 1..N: the local store
  // starts empty, the replay puts exactly its count into the empty new redis, and forwarding goes
  // on from there. The run that ends the sequence must start at 1 and cover every reply to a
  // command sent after the kill (respite may switch before Kill() returns, so it can start a
  // little earlier), and its last value is what upstream holds.
  auto check_sequence = [&](const std::vector<long long>& values, size_t before, long long upstream,
                            const char* what) {
    ASSERT_GT(values.size(), before) << what << ": nothing acknowledged after the kill";
    size_t start = values.size() - 1;
    while (start > 0 && values[start - 1] + 1 == values[start]) --start;
    EXPECT_EQ(values[start], 1) << what << ": the last run of replies starts at reply " << start;
    EXPECT_LE(start, before) << what << ": a gap or repeat after the kill, at reply " << start - 1
                             << " (" << values[start - 1] << " then " << values[start] << ")";
    EXPECT_EQ(upstream, values.back()) << what << ": upstream differs from the last reply";
  };
  check_sequence(incrs, incrs_before, IntegerOf(direct.Command({"GET", "fo:counter"})), "INCR");
  check_sequence(hincrs, hincrs_before, IntegerOf(direct.Command({"HGET", "fo:hash", "f"})),
                 "HINCRBY");

  const auto now = Clock::now();
  ASSERT_FALSE(ttl_keys.empty());
  for (const TtlKey& k : ttl_keys) {
    Reply pttl = direct.Command({"PTTL", k.key});
    const long long remained =
        100000 - std::chrono::duration_cast<std::chrono::milliseconds>(now - k.acked).count();
    ASSERT_GT(IntegerOf(pttl), 0) << k.key << " is missing or has no TTL upstream";
    // +5: wall and steady clocks round differently.
    ASSERT_LE(IntegerOf(pttl), remained + 5) << k.key << ": replayed with a fresh lifetime?";
  }

  Reply list = direct.Command({"LRANGE", "fo:list", "0", "-1"});
  ASSERT_TRUE(list && list->type == REDIS_REPLY_ARRAY) << list.Describe();
  std::map<std::string, int> upstream_items;
  for (size_t i = 0; i < list->elements; ++i) {
    ++upstream_items[std::string(list->element[i]->str, list->element[i]->len)];
  }
  for (const auto& [item, n] : upstream_items) {
    EXPECT_EQ(n, 1) << item << " is upstream " << n << " times";
    EXPECT_EQ(consumed.count(item), 0u) << item << " was consumed by LPOP yet is upstream";
    EXPECT_EQ(pushed_any.count(item), 1u) << item << " was never pushed";
  }
  ASSERT_FALSE(pushed.empty());
  for (const std::string& item : pushed) {
    if (consumed.count(item) != 0) continue;
    EXPECT_EQ(upstream_items.count(item), 1u) << item << " (acknowledged) is missing upstream";
  }

  long long sent = 0, errors = 0;
  for (const Tally& t : tallies) {
    sent += t.sent;
    errors += t.errors;
    for (const auto& [cmd, text] : t.first_error) std::cerr << cmd << ": " << text << "\n";
  }
  std::cerr << "availability: " << sent - errors << " of " << sent << " commands succeeded\n";
  EXPECT_GT(static_cast<double>(sent - errors), 0.99 * static_cast<double>(sent))
      << errors << " errors in " << sent << " commands";
}

// ---- upstream SIGSTOP ----

TEST_F(FailoverTest, UpstreamSigstopLongerThanHealthTimeoutKeepsWritesFlowing) {
  ASSERT_NO_FATAL_FAILURE(StartStack({}));
  std::atomic<bool> stop{false};
  long long acked_incrs = 0, unknown_incrs = 0;
  std::vector<std::string> acked_keys;
  Tally tally;
  std::thread writer([&] {
    Writer w(*respite_);
    for (int i = 0; !stop.load(); ++i) {
      const std::string key = "st:" + std::to_string(i);
      Reply r = w.Command({"SET", key, "v" + std::to_string(i)});
      ++tally.sent;
      if (r.IsStatus("OK")) {
        acked_keys.push_back(key);
      } else {
        tally.Error("SET", r);
      }
      Reply n = w.Command({"INCR", "st:counter"});
      ++tally.sent;
      if (n && n->type == REDIS_REPLY_INTEGER) {
        ++acked_incrs;
      } else {
        ++unknown_incrs;
        tally.Error("INCR", n);
      }
    }
  });
  std::this_thread::sleep_for(300ms);
  redis_->Pause();
  std::this_thread::sleep_for(1500ms);
  redis_->Resume();
  const bool forwarding = WaitForwarding(*respite_, *redis_);
  std::this_thread::sleep_for(200ms);
  stop.store(true);
  writer.join();
  ASSERT_TRUE(forwarding) << "respite did not forward again within 30 s";
  EXPECT_NE(FullLog(*respite_).find("serving locally"), std::string::npos);

  for (const auto& [cmd, text] : tally.first_error) std::cerr << cmd << ": " << text << "\n";
  EXPECT_LE(tally.errors, 10) << "of " << tally.sent << " commands";
  Client direct = Direct();
  for (const std::string& key : acked_keys) {
    ASSERT_TRUE(direct.Command({"EXISTS", key}).IsInteger(1)) << key << " is missing upstream";
  }
  // An INCR answered TRYAGAIN may still have run upstream (it was sent before the stop).
  const long long counter = IntegerOf(direct.Command({"GET", "st:counter"}));
  EXPECT_GE(counter, acked_incrs);
  EXPECT_LE(counter, acked_incrs + unknown_incrs);
}

// Forwarded requests that stall for timeout x unhealthy_after switch respite to local as the
// checks would; shorter stalls (an upstream busy for 50 ms) and blocking commands waiting as
// long as asked are no failure.
TEST_F(FailoverTest, ShortStallsAndLongBlockingCommandsDoNotFailOver) {
  RedisOptions options;
  options.extra_args = {"--enable-debug-command", "yes"};
  ASSERT_NO_FATAL_FAILURE(StartStack(options));
  std::atomic<bool> stop{false};
  long long errors = 0, ok = 0;
  std::thread writer([&] {
    Client c = respite_->Connect(5s);
    while (!stop.load()) {
      if (c.Command({"INCR", "slow:n"}).IsError()) {
        ++errors;
      } else {
        ++ok;
      }
    }
  });
  std::this_thread::sleep_for(200ms);
  Client direct = Direct();
  // A quarter of the 200 ms stall threshold: a loaded machine's scheduling delays stay inside it.
  EXPECT_TRUE(direct.Command({"DEBUG", "SLEEP", "0.05"}).IsStatus("OK"));
  Client blocked = respite_->Connect(5s);
  EXPECT_TRUE(blocked.Command({"BLPOP", "slow:nothing", "1"}).IsNil());
  stop.store(true);
  writer.join();
  EXPECT_EQ(errors, 0);
  EXPECT_GT(ok, 0);
  EXPECT_EQ(CountOf(FullLog(*respite_), "serving locally"), 0u) << FullLog(*respite_);
  Reply status = blocked.Command({"RESPITE", "STATUS"});
  ASSERT_TRUE(status);
  EXPECT_NE(std::string(status->str, status->len).find("respite_state:forward"), std::string::npos);
}

// ---- blocked clients at failure: re-issued locally with what is left of their timeout ----

TEST_F(FailoverTest, BlockedPopsAreReissuedLocallyWithTheRemainingTimeout) {
  ASSERT_NO_FATAL_FAILURE(StartStack({}));
  Reply timed_out, woken;
  Clock::duration timed_out_after{};
  std::thread waiter([&] {
    Client c = respite_->Connect(10s);
    const auto start = Clock::now();
    timed_out = c.Command({"BLPOP", "bl:empty", "3"});
    timed_out_after = Clock::now() - start;
  });
  std::thread sleeper([&] {
    Client c = respite_->Connect(10s);
    woken = c.Command({"BLPOP", "bl:work", "0"});
  });
  std::this_thread::sleep_for(1500ms);
  redis_->Kill();
  // Once local, a push there wakes the client blocked forever.
  ASSERT_TRUE(WaitFor(
      [&] {
        Client c = respite_->Connect(1s);
        return c.ok() && c.Command({"RPUSH", "bl:work", "job"}).IsInteger(1);
      },
      5s));
  sleeper.join();
  waiter.join();
  EXPECT_EQ(woken.Describe(), R"(["bl:work","job"])");
  EXPECT_TRUE(timed_out.IsNil()) << timed_out.Describe();
  // Upstream waited ~1.5 s, locally the remaining ~1.5 s: ~3 s in all, not 1.5 + 3.
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timed_out_after).count();
  EXPECT_GE(ms, 2800);
  EXPECT_LT(ms, 4200) << "the local re-issue waited the full timeout again";
}

// A client blocked on the local store when the cutover comes waits on upstream from then on,
// where the replayed writes are, with what is left of its timeout.
TEST_F(FailoverTest, ClientsBlockedLocallyAtCutoverAreReissuedUpstream) {
  ASSERT_NO_FATAL_FAILURE(StartStack({}));
  redis_->Kill();
  ASSERT_TRUE(WaitFor([&] { return ServedLocally(); }, 10s));
  Reply woken, timed_out;
  Clock::duration timed_out_after{};
  std::thread waiter([&] {
    Client c = respite_->Connect(20s);
    woken = c.Command({"BLPOP", "cut:work", "15"});
  });
  std::thread short_waiter([&] {
    Client c = respite_->Connect(20s);
    const auto start = Clock::now();
    timed_out = c.Command({"BLPOP", "cut:none", "4"});
    timed_out_after = Clock::now() - start;
  });
  ASSERT_TRUE(WaitFor(
      [&] {
        return HttpRequest(respite_->admin_port(), "GET", "/status")
                   .body.find("\"parked_clients\":2") != std::string::npos;
      },
      5s))
      << "both parked locally";
  ASSERT_EQ(redis_->Restart(), "");
  ASSERT_TRUE(WaitForwarding(*respite_, *redis_)) << "respite did not forward within 30 s";
  // Pushed on upstream itself: only a client waiting there can get it.
  Client direct = Direct();
  ASSERT_TRUE(direct.Command({"RPUSH", "cut:work", "job"}).IsInteger(1));
  waiter.join();
  short_waiter.join();
  EXPECT_EQ(woken.Describe(), R"(["cut:work","job"])");
  EXPECT_TRUE(direct.Command({"LLEN", "cut:work"}).IsInteger(0));
  EXPECT_TRUE(timed_out.IsNil()) << timed_out.Describe();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timed_out_after).count();
  EXPECT_GE(ms, 3800);
  EXPECT_LT(ms, 6000) << "the upstream re-issue waited the full timeout again";
}

// ---- fallback.warm: writes ----

// Forwarded writes are mirrored on the local store, so reads during an outage see them; the
// mirror is kept (not cleared) after the replay, for the next outage.
TEST_F(FailoverTest, WarmWritesMirrorForwardedWritesForReadsDuringAnOutage) {
  redis_ = std::make_unique<RedisServer>();
  ASSERT_EQ(redis_->Start(), "");
  RespiteOptions options = FastFailover(redis_->Url());
  options.env.push_back("RESPITE_FALLBACK_WARM=writes");
  respite_ = std::make_unique<RespiteProcess>(options);
  ASSERT_EQ(respite_->Start(), "");
  Client c = respite_->Connect();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Command({"SET", "w:a", "1"}).IsStatus("OK"));
  ASSERT_TRUE(c.Command({"HSET", "w:h", "f", "v"}).IsInteger(1));
  ASSERT_TRUE(c.Command({"RPUSH", "w:l", "x", "y"}).IsInteger(2));
  ASSERT_TRUE(c.Command({"SET", "w:gone", "1"}).IsStatus("OK"));
  ASSERT_TRUE(c.Command({"DEL", "w:gone"}).IsInteger(1));
  ASSERT_TRUE(c.Command({"HINCRBY", "w:a", "f", "1"}).IsErrorPrefix("WRONGTYPE"));  // not mirrored
  ASSERT_TRUE(Direct().Command({"GET", "w:a"}).IsString("1"));                      // forwarded

  redis_->Kill();
  ASSERT_TRUE(WaitFor([&] { return ServedLocally(); }, 10s));
  Client local = respite_->Connect();
  EXPECT_TRUE(local.Command({"GET", "w:a"}).IsString("1"));
  EXPECT_TRUE(local.Command({"HGET", "w:h", "f"}).IsString("v"));
  EXPECT_EQ(local.Command({"LRANGE", "w:l", "0", "-1"}).Describe(), R"(["x","y"])");
  EXPECT_TRUE(local.Command({"EXISTS", "w:gone"}).IsInteger(0));
  ASSERT_TRUE(local.Command({"SET", "w:b", "2"}).IsStatus("OK"));  // journaled

  ASSERT_EQ(redis_->Restart(), "");  // comes back empty: only the journal reaches it
  ASSERT_TRUE(WaitForwarding(*respite_, *redis_)) << "respite did not forward within 30 s";
  EXPECT_TRUE(Direct().Command({"GET", "w:b"}).IsString("2"));
  redis_->Kill();
  ASSERT_TRUE(WaitFor([&] { return ServedLocally(); }, 10s));
  Client again = respite_->Connect();
  EXPECT_TRUE(again.Command({"GET", "w:a"}).IsString("1")) << "the mirror was cleared at cutover";
  EXPECT_TRUE(again.Command({"GET", "w:b"}).IsString("2"));
}

// ---- subscribers: kept through an outage and subscribed again on recovery ----

TEST_F(FailoverTest, SubscribersAreKeptAndResubscribedAfterAnOutage) {
  ASSERT_NO_FATAL_FAILURE(StartStack({}));
  Client sub = respite_->Connect();
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub.Command({"SUBSCRIBE", "news", "sport"}).Describe(),
            R"(["subscribe","news",(integer) 1])");
  EXPECT_EQ(sub.GetReply().Describe(), R"(["subscribe","sport",(integer) 2])");
  EXPECT_EQ(sub.Command({"PSUBSCRIBE", "alert.*"}).Describe(),
            R"(["psubscribe","alert.*",(integer) 3])");

  redis_->Kill();
  ASSERT_TRUE(WaitFor([&] { return ServedLocally(); }, 10s));
  ASSERT_EQ(redis_->Restart(), "");
  ASSERT_TRUE(WaitForwarding(*respite_, *redis_)) << "respite did not forward within 30 s";

  // Subscribed again on the new upstream: a publish reaches exactly this one subscriber, and
  // the first thing it reads is that message (the resubscribe's confirmations are not passed on).
  Client direct = Direct();
  ASSERT_TRUE(WaitFor(
      [&] {
        return direct.Command({"PUBLISH", "news", "back"}).IsInteger(1);
      },
      10s))
      << "the subscriber was not subscribed again";
  EXPECT_EQ(sub.GetReply().Describe(), R"(["message","news","back"])");
  EXPECT_TRUE(direct.Command({"PUBLISH", "alert.fire", "hot"}).IsInteger(1));
  EXPECT_EQ(sub.GetReply().Describe(), R"(["pmessage","alert.*","alert.fire","hot"])");
  EXPECT_EQ(sub.Command({"UNSUBSCRIBE", "sport"}).Describe(),
            R"(["unsubscribe","sport",(integer) 2])");
  EXPECT_TRUE(direct.Command({"PUBLISH", "sport", "x"}).IsInteger(0));
}

// ---- upstream absent at start-up ----

TEST_F(FailoverTest, UpstreamDownAtStartServesLocallyThenReplays) {
  redis_ = std::make_unique<RedisServer>();
  ASSERT_EQ(redis_->Start(), "");
  redis_->Kill();  // its port stays reserved for Restart()
  RespiteOptions options = FastFailover(redis_->Url());
  options.wait_for_pong = false;
  respite_ = std::make_unique<RespiteProcess>(options);
  ASSERT_EQ(respite_->Start(), "");

  Client c = respite_->Connect();
  ASSERT_TRUE(c.ok()) << c.error();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(c.Command({"SET", "up:" + std::to_string(i), std::to_string(i)}).IsStatus("OK"))
        << i;
    Reply n = c.Command({"INCR", "up:counter"});
    ASSERT_TRUE(n.IsInteger(i + 1)) << n.Describe();
  }
  ASSERT_TRUE(c.Command({"GET", "up:7"}).IsString("7"));

  ASSERT_EQ(redis_->Restart(), "");
  ASSERT_TRUE(WaitForwarding(*respite_, *redis_)) << "respite did not forward within 30 s";
  Client direct = Direct();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(direct.Command({"GET", "up:" + std::to_string(i)}).IsString(std::to_string(i)));
  }
  EXPECT_TRUE(direct.Command({"GET", "up:counter"}).IsString("100"));
}

// ---- flapping upstream (persistent, so every acknowledged write must survive) ----

TEST_F(FailoverTest, FlappingUpstreamAppliesEveryAcknowledgedIncrExactlyOnce) {
  ASSERT_NO_FATAL_FAILURE(StartStack(Persistent()));
  std::atomic<bool> stop{false};
  long long acked = 0, unknown = 0;
  Tally tally;
  std::thread writer([&] {
    Writer w(*respite_);
    while (!stop.load()) {
      Reply r = w.Command({"INCR", "fl:counter"});
      ++tally.sent;
      if (r && r->type == REDIS_REPLY_INTEGER) {
        ++acked;
      } else {
        // TRYAGAIN or a lost connection: the outcome is unknown. Other errors (a full journal,
        // a refusal) would be definite, but count them here too; they are reported below.
        ++unknown;
        tally.Error("INCR", r);
      }
    }
  });
  const auto until = Clock::now() + 5s;
  int restarts = 0;
  while (Clock::now() < until) {
    std::this_thread::sleep_for(200ms);
    redis_->Kill();
    std::this_thread::sleep_for(200ms);
    ASSERT_EQ(redis_->Restart(), "");
    ++restarts;
  }
  // Redis stays up from here. The writer stops first: a writer that outpaces the replay (redis
  // fsyncs every write) would keep respite draining for long on a busy machine.
  std::this_thread::sleep_for(200ms);
  stop.store(true);
  writer.join();
  ASSERT_TRUE(WaitForwarding(*respite_, *redis_, 120s))
      << "respite did not settle on forwarding within 120 s";

  for (const auto& [cmd, text] : tally.first_error) std::cerr << cmd << ": " << text << "\n";
  std::cerr << restarts << " restarts, " << acked << " INCRs acknowledged, " << unknown
            << " unknown\n";
  Client direct = Direct();
  const long long counter = IntegerOf(direct.Command({"GET", "fl:counter"}));
  EXPECT_GE(counter, acked);
  EXPECT_LE(counter, acked + unknown);
  EXPECT_GT(acked, 0);
}

// ---- respite SIGKILL while LOCAL and while DRAINING ----

TEST_F(FailoverTest, RespiteKilledWhileLocalReplaysItsJournalAfterRestart) {
  ASSERT_NO_FATAL_FAILURE(StartStack({}));
  redis_->Kill();
  {
    Client c = respite_->Connect();
    ASSERT_TRUE(c.ok());
    for (int i = 0; i < 500; ++i) {
      Reply n = c.Command({"INCR", "kl:counter"});
      ASSERT_TRUE(n.IsInteger(i + 1)) << i << ": " << n.Describe();
      ASSERT_TRUE(c.Command({"SADD", "kl:set", std::to_string(i)}).IsInteger(1));
    }
  }
  respite_->process().Kill();
  ASSERT_EQ(redis_->Restart(), "");
  ASSERT_EQ(respite_->Start(), "");  // same data dir
  ASSERT_TRUE(WaitForwarding(*respite_, *redis_)) << "respite did not forward within 30 s";
  Client direct = Direct();
  EXPECT_TRUE(direct.Command({"GET", "kl:counter"}).IsString("500"));
  EXPECT_TRUE(direct.Command({"SCARD", "kl:set"}).IsInteger(500));
}

TEST_F(FailoverTest, RespiteKilledWhileDrainingAppliesEachEntryExactlyOnce) {
  ASSERT_NO_FATAL_FAILURE(StartStack(Persistent()));
  redis_->Kill();
  constexpr int kEntries = 100000;
  {
    Client c = respite_->Connect(30s);
    ASSERT_TRUE(c.ok());
    for (int done = 0; done < kEntries;) {
      const int n = std::min(1000, kEntries - done);
      for (int i = 0; i < n; ++i) c.Append({"INCR", "dr:counter"});
      for (int i = 0; i < n; ++i) {
        Reply r = c.GetReply();
        ASSERT_TRUE(r.IsInteger(done + i + 1)) << done + i << ": " << r.Describe();
      }
      done += n;
    }
  }
  ASSERT_EQ(redis_->Restart(), "");
  // Kill respite as soon as the replay has visibly started.
  Client direct = Direct();
  long long at_kill = 0;
  WaitFor(
      [&] {
        at_kill = IntegerOf(direct.Command({"GET", "dr:counter"}));
        return at_kill > 0;
      },
      30s);
  respite_->process().Kill();
  at_kill = IntegerOf(direct.Command({"GET", "dr:counter"}));
  std::cerr << "respite killed with " << at_kill << " of " << kEntries << " entries applied\n";
  ASSERT_GT(at_kill, 0) << "the replay never started";
  if (at_kill >= kEntries) std::cerr << "(the replay finished before the kill)\n";

  ASSERT_EQ(respite_->Start(), "");
  ASSERT_TRUE(WaitForwarding(*respite_, *redis_, 120s)) << "respite did not forward within 120 s";
  EXPECT_TRUE(direct.Command({"GET", "dr:counter"}).IsString(std::to_string(kEntries)));
}

// ---- upstream lost its data (the replay cursor with it) ----

TEST_F(FailoverTest, CursorLostByEmptyRestartRaisesAlarmAndKeepsServing) {
  ASSERT_NO_FATAL_FAILURE(StartStack({}));
  Client c = respite_->Connect();
  ASSERT_TRUE(c.ok());
  for (int outage = 0; outage < 2; ++outage) {
    redis_->Kill();
    for (int i = 0; i < 50; ++i) {
      const std::string key = "cl:" + std::to_string(outage) + ":" + std::to_string(i);
      Reply r = c.Command({"SET", key, "v"});
      if (!r) c = respite_->Connect();
      if (!r || r.IsErrorPrefix("TRYAGAIN")) r = c.Command({"SET", key, "v"});
      ASSERT_TRUE(r.IsStatus("OK")) << key << ": " << r.Describe();
    }
    ASSERT_EQ(redis_->Restart(), "");  // empty: the cursor of the first replay is gone
    ASSERT_TRUE(WaitForwarding(*respite_, *redis_)) << "outage " << outage;
  }
  EXPECT_TRUE(WaitFor(
      [&] { return FullLog(*respite_).find("behind what was applied") != std::string::npos; }, 5s))
      << "no alarm about the lost cursor";
  Client direct = Direct();
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(direct.Command({"EXISTS", "cl:1:" + std::to_string(i)}).IsInteger(1)) << i;
  }
  c = respite_->Connect();
  EXPECT_TRUE(c.Command({"SET", "cl:after", "v"}).IsStatus("OK"));
  EXPECT_TRUE(direct.Command({"GET", "cl:after"}).IsString("v"));
}

// ---- an entry upstream rejects during replay ----

TEST_F(FailoverTest, WrongtypeDuringReplayGoesToDeadLettersAndTheRestApplies) {
  // healthy_after 10: about a second between redis answering and the replay, for the direct write.
  ASSERT_NO_FATAL_FAILURE(StartStack(Persistent(), /*healthy_after=*/10));
  redis_->Kill();
  Client c = respite_->Connect();
  ASSERT_TRUE(c.ok());
  Reply first = c.Command({"SET", "wt:before", "1"});
  if (!first) c = respite_->Connect();
  ASSERT_TRUE(c.Command({"SET", "wt:before", "1"}).IsStatus("OK"));
  ASSERT_TRUE(c.Command({"RPUSH", "wt:k", "item"}).IsInteger(1));
  ASSERT_TRUE(c.Command({"INCRBY", "wt:n", "7"}).IsInteger(7));
  ASSERT_TRUE(c.Command({"SET", "wt:after", "2"}).IsStatus("OK"));

  ASSERT_EQ(redis_->Restart(), "");
  Client direct = Direct();
  ASSERT_TRUE(direct.Command({"SET", "wt:k", "str"}).IsStatus("OK"));
  ASSERT_TRUE(WaitForwarding(*respite_, *redis_)) << "respite did not forward within 30 s";

  const std::string log = FullLog(*respite_);
  EXPECT_NE(log.find("failed upstream: WRONGTYPE"), std::string::npos) << log;
  EXPECT_NE(log.find("kept in dead letters"), std::string::npos);
  EXPECT_TRUE(direct.Command({"GET", "wt:k"}).IsString("str"));
  EXPECT_TRUE(direct.Command({"GET", "wt:before"}).IsString("1"));
  EXPECT_TRUE(direct.Command({"GET", "wt:n"}).IsString("7"));
  EXPECT_TRUE(direct.Command({"GET", "wt:after"}).IsString("2"));
  EXPECT_EQ(CountOf(log, "failed upstream"), 1u);
}

}  // namespace
}  // namespace respite::test
