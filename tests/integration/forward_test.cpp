// End-to-end forwarding tests: every test starts its own redis-server and respite (real processes
// on free loopback ports) and talks to respite as an ordinary client would.
//
// RESPITE_TEST_DIRECT=1 runs the same tests against redis-server alone (the baseline the proxy
// must match); tests that are about respite itself are skipped then.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/client.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"
#include "tests/support/respite_process.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool DirectMode() {
  const char* v = std::getenv("RESPITE_TEST_DIRECT");
  return v != nullptr && *v != '\0' && std::string(v) != "0";
}

// For tests about respite itself (GTEST_SKIP must run in the test body to end it).
#define SKIP_IF_DIRECT()                                                \
  if (DirectMode()) {                                                   \
    GTEST_SKIP() << "about respite itself; RESPITE_TEST_DIRECT is set"; \
  }

long long ElapsedMs(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

// Polls `condition` every 10 ms until it holds or `timeout` passes.
// The value of `field` in an INFO reply ("field:value" lines), or "".
std::string InfoField(Client& c, const std::string& section, const std::string& field) {
  Reply r = c.Command({"INFO", section});
  if (!r || r->type != REDIS_REPLY_STRING) return {};
  std::string text(r->str, r->len);
  std::string key = field + ":";
  size_t pos = text.find("\r\n" + key);
  if (pos == std::string::npos) return {};
  pos += 2 + key.size();
  return text.substr(pos, text.find("\r\n", pos) - pos);
}

// A redis-server and, unless in direct mode, a respite in front of it.
class ForwardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RaiseFdLimit(8192);  // before respite starts: it inherits the limit (1,000-client test)
    StartStack({}, {});
  }

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

  void StartStack(RedisOptions redis_options, RespiteOptions respite_options) {
    redis_ = std::make_unique<RedisServer>(std::move(redis_options));
    ASSERT_EQ(redis_->Start(), "");
    if (DirectMode()) return;
    respite_options.upstream_url = redis_->Url();
    respite_ = std::make_unique<RespiteProcess>(std::move(respite_options));
    ASSERT_EQ(respite_->Start(), "");
  }

  // The port clients use: respite's, or redis' own in direct mode.
  uint16_t port() const { return respite_ ? respite_->port() : redis_->port(); }

  Client Connect(std::chrono::milliseconds timeout = 5s) {
    Client c(port(), timeout);
    EXPECT_TRUE(c.ok()) << "connect to 127.0.0.1:" << port() << ": " << c.error();
    return c;
  }

  // Straight to redis, bypassing respite, to check what really happened upstream.
  Client Direct() {
    Client c = redis_->Connect();
    EXPECT_TRUE(c.ok()) << c.error();
    return c;
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<RespiteProcess> respite_;
};

// ---- pipelining and large values ----

struct Expected {
  enum Kind { kStatus, kString, kNil, kInteger } kind;
  std::string text;
  long long integer = 0;
};

::testing::AssertionResult ReplyMatches(const Reply& r, const Expected& e) {
  bool ok = false;
  std::string want;
  switch (e.kind) {
    case Expected::kStatus:
      ok = r.IsStatus(e.text);
      want = "+" + e.text;
      break;
    case Expected::kString:
      ok = r.IsString(e.text);
      want = "\"" + e.text + "\"";
      break;
    case Expected::kNil:
      ok = r.IsNil();
      want = "(nil)";
      break;
    case Expected::kInteger:
      ok = r.IsInteger(e.integer);
      want = "(integer) " + std::to_string(e.integer);
      break;
  }
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected " << want << ", got " << r.Describe();
}

TEST_F(ForwardTest, PipelineOf10000MixedCommandsRepliesInOrder) {
  Client c = Connect(30s);
  ASSERT_TRUE(c.ok());
  std::vector<Expected> expected;
  long long counter = 0;
  std::deque<std::string> list;  // model of "pl:list": LPUSH at front, RPOP from back
  for (int i = 0; i < 10000; ++i) {
    std::string n = std::to_string(i);
    switch (i % 8) {
      case 0:
        c.Append({"SET", "pl:k" + n, "value-" + n});
        expected.push_back({Expected::kStatus, "OK"});
        break;
      case 1:
        c.Append({"GET", "pl:k" + std::to_string(i - 1)});
        expected.push_back({Expected::kString, "value-" + std::to_string(i - 1)});
        break;
      case 2:
        c.Append({"INCR", "pl:counter"});
        expected.push_back({Expected::kInteger, "", ++counter});
        break;
      case 3:
        c.Append({"LPUSH", "pl:list", n});
        list.push_front(n);
        expected.push_back({Expected::kInteger, "", static_cast<long long>(list.size())});
        break;
      case 4:
        c.Append({"GET", "pl:missing" + n});
        expected.push_back({Expected::kNil, ""});
        break;
      case 5:
        c.Append({"HSET", "pl:hash", "f" + n, n});
        expected.push_back({Expected::kInteger, "", 1});
        break;
      case 6:
        c.Append({"INCRBY", "pl:counter", "10"});
        counter += 10;
        expected.push_back({Expected::kInteger, "", counter});
        break;
      case 7:
        if (i % 16 == 7) {
          c.Append({"RPOP", "pl:list"});
          expected.push_back({Expected::kString, list.back()});
          list.pop_back();
        } else {
          c.Append({"ECHO", "echo-" + n});
          expected.push_back({Expected::kString, "echo-" + n});
        }
        break;
    }
  }
  ASSERT_TRUE(c.Flush()) << c.error();
  for (size_t i = 0; i < expected.size(); ++i) {
    Reply r = c.GetReply();
    ASSERT_TRUE(r) << "reply " << i << ": " << c.error();
    ASSERT_TRUE(ReplyMatches(r, expected[i])) << "reply " << i << " of " << expected.size();
  }
  Client d = Direct();
  EXPECT_TRUE(d.Command({"GET", "pl:counter"}).IsString(std::to_string(counter)));
  EXPECT_TRUE(d.Command({"LLEN", "pl:list"}).IsInteger(static_cast<long long>(list.size())));
  EXPECT_TRUE(d.Command({"HLEN", "pl:hash"}).IsInteger(1250));
}

TEST_F(ForwardTest, SixtyFourMegabyteValueRoundTrips) {
  constexpr size_t kSize = 64 * 1024 * 1024;
  std::string value(kSize, '\0');
  for (size_t i = 0; i < kSize; ++i) value[i] = static_cast<char>((i * 131) ^ (i >> 12));
  Client c = Connect(60s);
  ASSERT_TRUE(c.ok());
  Reply set = c.Command({"SET", "big", value});
  ASSERT_TRUE(set.IsStatus("OK")) << set.Describe() << " " << c.error();
  EXPECT_TRUE(c.Command({"STRLEN", "big"}).IsInteger(static_cast<long long>(kSize)));
  Reply get = c.Command({"GET", "big"});
  ASSERT_TRUE(get) << c.error();
  ASSERT_EQ(get->type, REDIS_REPLY_STRING);
  ASSERT_EQ(get->len, kSize);
  EXPECT_TRUE(std::equal(value.begin(), value.end(), get->str)) << "64 MB value differs";
  // The connection is still in sync afterwards.
  EXPECT_TRUE(c.Command({"PING"}).IsStatus("PONG"));
}

// ---- transactions ----

TEST_F(ForwardTest, MultiExecRunsQueuedCommands) {
  Client c = Connect();
  ASSERT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"SET", "tx:a", "1"}).IsStatus("QUEUED"));
  EXPECT_TRUE(c.Command({"INCR", "tx:a"}).IsStatus("QUEUED"));
  EXPECT_TRUE(c.Command({"GET", "tx:a"}).IsStatus("QUEUED"));
  Reply exec = c.Command({"EXEC"});
  ASSERT_TRUE(exec.IsArray(3)) << exec.Describe();
  EXPECT_EQ(DescribeReply(exec.get()), "[+OK,(integer) 2,\"2\"]");
  Reply again = c.Command({"EXEC"});
  EXPECT_TRUE(again.IsErrorPrefix("ERR EXEC without MULTI")) << again.Describe();
}

TEST_F(ForwardTest, WatchedKeyModifiedByAnotherClientAbortsExec) {
  Client c = Connect();
  Client other = Connect();
  ASSERT_TRUE(c.Command({"SET", "w:k", "before"}).IsStatus("OK"));
  ASSERT_TRUE(c.Command({"WATCH", "w:k"}).IsStatus("OK"));
  ASSERT_TRUE(other.Command({"SET", "w:k", "other"}).IsStatus("OK"));
  ASSERT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"SET", "w:k", "mine"}).IsStatus("QUEUED"));
  Reply exec = c.Command({"EXEC"});
  EXPECT_TRUE(exec.IsNil()) << "EXEC after a touched WATCH: " << exec.Describe();
  EXPECT_TRUE(c.Command({"GET", "w:k"}).IsString("other"));
}

TEST_F(ForwardTest, WatchedKeyUntouchedExecRuns) {
  Client c = Connect();
  Client other = Connect();
  ASSERT_TRUE(c.Command({"SET", "w:k", "before"}).IsStatus("OK"));
  ASSERT_TRUE(c.Command({"WATCH", "w:k"}).IsStatus("OK"));
  ASSERT_TRUE(other.Command({"SET", "w:unrelated", "x"}).IsStatus("OK"));
  ASSERT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"SET", "w:k", "mine"}).IsStatus("QUEUED"));
  Reply exec = c.Command({"EXEC"});
  ASSERT_TRUE(exec.IsArray(1)) << exec.Describe();
  EXPECT_EQ(DescribeReply(exec.get()), "[+OK]");
  EXPECT_TRUE(other.Command({"GET", "w:k"}).IsString("mine"));
}

TEST_F(ForwardTest, DiscardDropsQueuedCommands) {
  Client c = Connect();
  ASSERT_TRUE(c.Command({"SET", "d:k", "kept"}).IsStatus("OK"));
  ASSERT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"SET", "d:k", "discarded"}).IsStatus("QUEUED"));
  EXPECT_TRUE(c.Command({"DISCARD"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"GET", "d:k"}).IsString("kept"));
  Reply r = c.Command({"DISCARD"});
  EXPECT_TRUE(r.IsErrorPrefix("ERR DISCARD without MULTI")) << r.Describe();
}

// ---- blocking commands ----

TEST_F(ForwardTest, BlpopIsWokenByLpushFromAnotherClientWhileOthersAreServed) {
  Client direct = Direct();
  std::vector<Client> blocked;
  for (int i = 0; i < 3; ++i) {
    blocked.push_back(Connect(10s));
    blocked.back().Append({"BLPOP", "bq:" + std::to_string(i), "10"});
    ASSERT_TRUE(blocked.back().Flush());
  }
  ASSERT_TRUE(WaitFor([&] { return InfoField(direct, "clients", "blocked_clients") == "3"; }, 5s))
      << "blocked_clients=" << InfoField(direct, "clients", "blocked_clients");

  // Everyone else is still served, promptly.
  Client other = Connect();
  auto start = Clock::now();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(other.Command({"SET", "bq:other", std::to_string(i)}).IsStatus("OK"));
    ASSERT_TRUE(other.Command({"GET", "bq:other"}).IsString(std::to_string(i)));
  }
  EXPECT_LT(ElapsedMs(start), 2000) << "200 commands while 3 clients are blocked";

  Client pusher = Connect();
  for (int i = 0; i < 3; ++i) {
    std::string key = "bq:" + std::to_string(i);
    EXPECT_TRUE(pusher.Command({"LPUSH", key, "job" + std::to_string(i)}).IsInteger(1));
    Reply r = blocked[static_cast<size_t>(i)].GetReply();
    ASSERT_TRUE(r.IsArray(2)) << r.Describe();
    EXPECT_EQ(DescribeReply(r.get()), "[\"" + key + "\",\"job" + std::to_string(i) + "\"]");
    // The woken client is usable again.
    EXPECT_TRUE(blocked[static_cast<size_t>(i)].Command({"PING"}).IsStatus("PONG"));
  }
  EXPECT_TRUE(direct.Command({"EXISTS", "bq:0", "bq:1", "bq:2"}).IsInteger(0));
}

TEST_F(ForwardTest, BlpopTimeoutReturnsNil) {
  Client c = Connect();
  auto start = Clock::now();
  Reply r = c.Command({"BLPOP", "bq:empty", "0.3"});
  long long ms = ElapsedMs(start);
  EXPECT_TRUE(r.IsNil()) << r.Describe() << " " << c.error();
  EXPECT_GE(ms, 250);
  EXPECT_LT(ms, 3000);
  EXPECT_TRUE(c.Command({"PING"}).IsStatus("PONG"));
}

// ---- pub/sub (RESP2) ----

TEST_F(ForwardTest, SubscribePsubscribeUnsubscribe) {
  Client sub = Connect();
  Client pub = Connect();
  Reply r = sub.Command({"SUBSCRIBE", "news"});
  ASSERT_EQ(r.Describe(), "[\"subscribe\",\"news\",(integer) 1]");
  r = pub.Command({"PUBLISH", "news", "hello"});
  EXPECT_TRUE(r.IsInteger(1)) << "receivers: " << r.Describe();
  EXPECT_EQ(sub.GetReply().Describe(), "[\"message\",\"news\",\"hello\"]");

  EXPECT_EQ(sub.Command({"PSUBSCRIBE", "sport.*"}).Describe(),
            "[\"psubscribe\",\"sport.*\",(integer) 2]");
  EXPECT_TRUE(pub.Command({"PUBLISH", "sport.tennis", "ace"}).IsInteger(1));
  EXPECT_EQ(sub.GetReply().Describe(), "[\"pmessage\",\"sport.*\",\"sport.tennis\",\"ace\"]");
  // PING in RESP2 subscribed mode answers as a message.
  EXPECT_EQ(sub.Command({"PING"}).Describe(), "[\"pong\",\"\"]");

  EXPECT_EQ(sub.Command({"UNSUBSCRIBE", "news"}).Describe(),
            "[\"unsubscribe\",\"news\",(integer) 1]");
  EXPECT_TRUE(pub.Command({"PUBLISH", "news", "nobody"}).IsInteger(0));
  // The next thing the subscriber sees is its PUNSUBSCRIBE reply, not a stray message.
  EXPECT_EQ(sub.Command({"PUNSUBSCRIBE", "sport.*"}).Describe(),
            "[\"punsubscribe\",\"sport.*\",(integer) 0]");
  // Out of subscribed mode: ordinary commands again.
  EXPECT_TRUE(sub.Command({"PING"}).IsStatus("PONG"));
  EXPECT_TRUE(sub.Command({"SET", "ps:k", "v"}).IsStatus("OK"));
}

// ---- RESP3 (raw socket: hiredis 0.14 has no RESP3) ----

TEST_F(ForwardTest, Hello3RepliesWithMap) {
  RawConnection c(port());
  ASSERT_TRUE(c.ok()) << c.error();
  auto r = c.Command({"HELLO", "3"});
  ASSERT_TRUE(r) << "buffer: " << c.buffer();
  EXPECT_EQ(r->type, '%') << r->Describe();
  const Resp3* proto = r->Find("proto");
  ASSERT_NE(proto, nullptr) << r->Describe();
  EXPECT_EQ(proto->type, ':');
  EXPECT_EQ(proto->integer, 3);
  EXPECT_NE(r->Find("version"), nullptr) << r->Describe();
  // RESP3 types from then on: a missing key is `_`, not `$-1`.
  auto missing = c.Command({"GET", "r3:missing"});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->type, '_') << missing->Describe();
}

TEST_F(ForwardTest, ClientTrackingDeliversInvalidationPush) {
  Client writer = Connect();
  ASSERT_TRUE(writer.Command({"SET", "tr:k", "v1"}).IsStatus("OK"));
  RawConnection c(port());
  ASSERT_TRUE(c.ok()) << c.error();
  auto hello = c.Command({"HELLO", "3"});
  ASSERT_TRUE(hello && hello->type == '%') << c.buffer();
  auto on = c.Command({"CLIENT", "TRACKING", "ON"});
  ASSERT_TRUE(on && on->type == '+' && on->str == "OK") << (on ? on->Describe() : c.buffer());
  auto get = c.Command({"GET", "tr:k"});
  ASSERT_TRUE(get && get->type == '$' && get->str == "v1") << (get ? get->Describe() : c.buffer());

  ASSERT_TRUE(writer.Command({"SET", "tr:k", "v2"}).IsStatus("OK"));
  ASSERT_TRUE(c.ReadUntil("invalidate", 3s)) << "no invalidation push; got: " << c.buffer();
  EXPECT_EQ(c.buffer().front(), '>') << c.buffer();
  auto push = c.ReadResp3(1s);
  ASSERT_TRUE(push) << c.buffer();
  ASSERT_EQ(push->type, '>') << push->Describe();
  ASSERT_EQ(push->elems.size(), 2u) << push->Describe();
  EXPECT_EQ(push->elems[0].str, "invalidate");
  ASSERT_EQ(push->elems[1].elems.size(), 1u) << push->Describe();
  EXPECT_EQ(push->elems[1].elems[0].str, "tr:k");
  // Still an ordinary connection.
  auto ping = c.Command({"PING"});
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->Describe(), "+PONG");
}

TEST_F(ForwardTest, SubscribeUnderResp3DeliversPushMessages) {
  Client pub = Connect();
  RawConnection c(port());
  ASSERT_TRUE(c.ok()) << c.error();
  auto hello = c.Command({"HELLO", "3"});
  ASSERT_TRUE(hello && hello->type == '%') << c.buffer();
  auto sub = c.Command({"SUBSCRIBE", "r3ch"});
  ASSERT_TRUE(sub) << c.buffer();
  EXPECT_EQ(sub->Describe(), ">[\"subscribe\", \"r3ch\", (integer) 1]");
  EXPECT_TRUE(pub.Command({"PUBLISH", "r3ch", "hi"}).IsInteger(1));
  auto msg = c.ReadResp3(3s);
  ASSERT_TRUE(msg) << c.buffer();
  EXPECT_EQ(msg->Describe(), ">[\"message\", \"r3ch\", \"hi\"]");
  // RESP3 allows ordinary commands while subscribed.
  auto get = c.Command({"GET", "r3:missing"});
  ASSERT_TRUE(get) << c.buffer();
  EXPECT_EQ(get->type, '_') << get->Describe();
  auto unsub = c.Command({"UNSUBSCRIBE", "r3ch"});
  ASSERT_TRUE(unsub) << c.buffer();
  EXPECT_EQ(unsub->Describe(), ">[\"unsubscribe\", \"r3ch\", (integer) 0]");
}

// ---- databases and connection/server commands ----

TEST_F(ForwardTest, SelectIsolatesDatabases) {
  Client c = Connect();
  Client other = Connect();
  ASSERT_TRUE(c.Command({"SELECT", "3"}).IsStatus("OK"));
  ASSERT_TRUE(c.Command({"SET", "db:k", "in-db3"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"GET", "db:k"}).IsString("in-db3"));
  EXPECT_TRUE(other.Command({"GET", "db:k"}).IsNil()) << "db 0 sees db 3's key";
  ASSERT_TRUE(other.Command({"SET", "db:k", "in-db0"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"GET", "db:k"}).IsString("in-db3"));
  // Pipelined, interleaved with the other client, the selected db sticks.
  for (int i = 0; i < 50; ++i) {
    c.Append({"GET", "db:k"});
    other.Append({"GET", "db:k"});
  }
  ASSERT_TRUE(c.Flush());
  ASSERT_TRUE(other.Flush());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(c.GetReply().IsString("in-db3")) << i;
    ASSERT_TRUE(other.GetReply().IsString("in-db0")) << i;
  }

  Client d = Direct();
  ASSERT_TRUE(d.Command({"SELECT", "3"}).IsStatus("OK"));
  EXPECT_TRUE(d.Command({"GET", "db:k"}).IsString("in-db3"));
  EXPECT_TRUE(d.Command({"DBSIZE"}).IsInteger(1));
  ASSERT_TRUE(d.Command({"SELECT", "0"}).IsStatus("OK"));
  EXPECT_TRUE(d.Command({"GET", "db:k"}).IsString("in-db0"));
}

TEST_F(ForwardTest, ClientSetnameGetnameIsPerConnection) {
  Client c = Connect();
  Client other = Connect();
  EXPECT_TRUE(c.Command({"CLIENT", "SETNAME", "worker-1"}).IsStatus("OK"));
  Reply name = c.Command({"CLIENT", "GETNAME"});
  EXPECT_TRUE(name.IsString("worker-1")) << name.Describe();
  Reply other_name = other.Command({"CLIENT", "GETNAME"});
  EXPECT_TRUE(other_name.IsNil()) << "another connection's name leaked: " << other_name.Describe();
}

TEST_F(ForwardTest, EvalRunsScripts) {
  Client c = Connect();
  const std::string incr = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
  EXPECT_TRUE(c.Command({"EVAL", incr, "1", "ev:n", "5"}).IsInteger(5));
  EXPECT_TRUE(c.Command({"EVAL", incr, "1", "ev:n", "5"}).IsInteger(10));
  Reply nested = c.Command({"EVAL", "return {1, 'two', {3}}", "0"});
  EXPECT_EQ(nested.Describe(), "[(integer) 1,\"two\",[(integer) 3]]");
  Reply sha = c.Command({"SCRIPT", "LOAD", incr});
  ASSERT_TRUE(sha && sha->type == REDIS_REPLY_STRING) << sha.Describe();
  EXPECT_TRUE(
      c.Command({"EVALSHA", std::string(sha->str, sha->len), "1", "ev:n", "1"}).IsInteger(11));
  Reply err = c.Command({"EVAL", "return redis.call('NOSUCHCMD')", "0"});
  EXPECT_TRUE(err.IsError()) << err.Describe();
}

TEST_F(ForwardTest, ConfigGetMaxmemory) {
  Client c = Connect();
  Reply r = c.Command({"CONFIG", "GET", "maxmemory"});
  EXPECT_EQ(r.Describe(), "[\"maxmemory\",\"0\"]");
}

TEST_F(ForwardTest, CommandCount) {
  Client c = Connect();
  Client d = Direct();
  Reply r = c.Command({"COMMAND", "COUNT"});
  Reply direct = d.Command({"COMMAND", "COUNT"});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_INTEGER) << r.Describe();
  ASSERT_TRUE(direct && direct->type == REDIS_REPLY_INTEGER);
  EXPECT_GE(r->integer, direct->integer);
  EXPECT_GT(r->integer, 150);
}

TEST_F(ForwardTest, InfoServer) {
  Client c = Connect();
  Reply r = c.Command({"INFO", "server"});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_STRING) << r.Describe();
  std::string text(r->str, r->len);
  EXPECT_NE(text.find("# Server"), std::string::npos) << text;
  EXPECT_NE(text.find("redis_version:"), std::string::npos) << text;
}

TEST_F(ForwardTest, Dbsize) {
  Client c = Connect();
  EXPECT_TRUE(c.Command({"DBSIZE"}).IsInteger(0));
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.Command({"SET", "ds:" + std::to_string(i), "x"}).IsStatus("OK"));
  }
  EXPECT_TRUE(c.Command({"DBSIZE"}).IsInteger(5));
  EXPECT_TRUE(Direct().Command({"DBSIZE"}).IsInteger(5));
}

// ---- many clients, rude clients, bad input ----

TEST_F(ForwardTest, ThousandConcurrentClients) {
  constexpr int kClients = 1000;
  ASSERT_GE(RaiseFdLimit(8192), 2 * kClients + 100u) << "RLIMIT_NOFILE too low";
  std::vector<Client> clients;
  clients.reserve(kClients);
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back(port(), 20s);
    ASSERT_TRUE(clients.back().ok()) << "client " << i << ": " << clients.back().error();
  }
  // Every connection has its commands in flight at once before any reply is read.
  for (int i = 0; i < kClients; ++i) {
    Client& c = clients[static_cast<size_t>(i)];
    std::string n = std::to_string(i);
    c.Append({"SET", "many:" + n, n});
    c.Append({"INCR", "many:counter"});
    c.Append({"GET", "many:" + n});
    c.Append({"SADD", "many:set", n});
    ASSERT_TRUE(c.Flush()) << "client " << i << ": " << c.error();
  }
  std::set<long long> counters;
  for (int i = 0; i < kClients; ++i) {
    Client& c = clients[static_cast<size_t>(i)];
    std::string n = std::to_string(i);
    Reply set = c.GetReply();
    ASSERT_TRUE(set.IsStatus("OK")) << "client " << i << ": " << set.Describe() << c.error();
    Reply incr = c.GetReply();
    ASSERT_TRUE(incr && incr->type == REDIS_REPLY_INTEGER) << "client " << i << incr.Describe();
    counters.insert(incr->integer);
    Reply get = c.GetReply();
    ASSERT_TRUE(get.IsString(n)) << "client " << i << ": " << get.Describe();
    ASSERT_TRUE(c.GetReply().IsInteger(1)) << "client " << i;
  }
  EXPECT_EQ(counters.size(), static_cast<size_t>(kClients));
  EXPECT_EQ(*counters.begin(), 1);
  EXPECT_EQ(*counters.rbegin(), kClients);
  Client d = Direct();
  EXPECT_TRUE(d.Command({"SCARD", "many:set"}).IsInteger(kClients));
  EXPECT_TRUE(d.Command({"GET", "many:counter"}).IsString(std::to_string(kClients)));
}

TEST_F(ForwardTest, ClientDisconnectingMidPipelineDoesNotDisturbOthers) {
  Client steady = Connect();
  std::string pipeline;
  for (int i = 0; i < 2000; ++i) {
    pipeline += EncodeCommand({"SET", "mid:" + std::to_string(i), std::string(100, 'x')});
    pipeline += EncodeCommand({"GET", "mid:" + std::to_string(i)});
  }
  const std::string half_command = "*3\r\n$3\r\nSET\r\n$5\r\nmid:h\r\n$100\r\nxxxx";
  for (int round = 0; round < 20; ++round) {
    RawConnection rude(port());
    ASSERT_TRUE(rude.ok()) << rude.error();
    // Half a pipeline: whole commands, then a command cut off in its last argument.
    size_t cut = pipeline.size() / 2 + static_cast<size_t>(round) * 97;
    ASSERT_TRUE(rude.Send(std::string_view(pipeline).substr(0, cut)));
    if (round % 3 == 0) {
      ASSERT_TRUE(rude.Send(half_command));
    }
    if (round % 4 == 1) rude.ReadSome(1ms);  // sometimes read a little first
    rude.Close(/*reset=*/round % 2 == 1);
    ASSERT_TRUE(steady.Command({"SET", "mid:steady", std::to_string(round)}).IsStatus("OK"))
        << "round " << round << ": " << steady.error();
    ASSERT_TRUE(steady.Command({"GET", "mid:steady"}).IsString(std::to_string(round)));
  }
  Client fresh = Connect();
  EXPECT_TRUE(fresh.Command({"PING"}).IsStatus("PONG"));
  EXPECT_TRUE(fresh.Command({"INCR", "mid:after"}).IsInteger(1));
  if (respite_) {
    EXPECT_TRUE(respite_->process().Running()) << respite_->Log();
  }
}

struct MalformedCase {
  const char* name;
  std::string request;
  std::string reply;  // everything sent back before the connection is closed
};

class MalformedInputTest : public ForwardTest,
                           public ::testing::WithParamInterface<MalformedCase> {};

TEST_P(MalformedInputTest, ProtocolErrorClosesOnlyThatConnection) {
  Client other = Connect();
  ASSERT_TRUE(other.Command({"SET", "mal:guard", "1"}).IsStatus("OK"));
  RawConnection bad(port());
  ASSERT_TRUE(bad.ok()) << bad.error();
  ASSERT_TRUE(bad.Send(GetParam().request));
  EXPECT_TRUE(bad.ReadUntilClosed(3s)) << "connection not closed; got: " << bad.buffer();
  EXPECT_EQ(bad.buffer(), GetParam().reply);
  // Other connections, old and new, are unaffected.
  EXPECT_TRUE(other.Command({"GET", "mal:guard"}).IsString("1")) << other.error();
  Client fresh = Connect();
  EXPECT_TRUE(fresh.Command({"PING"}).IsStatus("PONG"));
}

INSTANTIATE_TEST_SUITE_P(
    Forward, MalformedInputTest,
    ::testing::Values(MalformedCase{"BadMultibulkLength", "*abc\r\n",
                                    "-ERR Protocol error: invalid multibulk length\r\n"},
                      MalformedCase{"HugeBulkLength", "*1\r\n$1000000000000\r\n",
                                    "-ERR Protocol error: invalid bulk length\r\n"},
                      MalformedCase{"BulkJustOver512MB", "*1\r\n$536870913\r\n",
                                    "-ERR Protocol error: invalid bulk length\r\n"},
                      MalformedCase{"UnbalancedQuotesInline", "SET \"foo bar\r\n",
                                    "-ERR Protocol error: unbalanced quotes in request\r\n"},
                      MalformedCase{"ErrorAfterValidCommand", "PING\r\n*abc\r\n",
                                    "+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n"}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) { return info.param.name; });

// ---- redis-benchmark ----

TEST_F(ForwardTest, RedisBenchmarkRunsToCompletion) {
  TempDir dir("respite-bench");
  std::string log = dir.File("redis-benchmark.log");
  std::string error;
  auto status =
      RunToCompletion({"redis-benchmark", "-h", "127.0.0.1", "-p", std::to_string(port()), "-n",
                       "20000", "-c", "20", "-q", "-t", "set,get,incr,lpush,lpop,mset"},
                      log, 240s, &error);
  std::string output = ReadFile(log);
  ASSERT_TRUE(status) << error << "\noutput:\n" << output;
  EXPECT_TRUE(status->Success()) << status->ToString() << "\noutput:\n" << output;
  for (const char* test : {"SET", "GET", "INCR", "LPUSH", "LPOP", "MSET (10 keys)"}) {
    std::string name = std::regex_replace(test, std::regex(R"([()])"), R"(\$&)");
    std::regex line("(^|[\r\n])" + name + R"(: [0-9]+(\.[0-9]+)? requests per second)");
    EXPECT_TRUE(std::regex_search(output, line)) << "no result line for " << test << " in:\n"
                                                 << output;
  }
}

// ---- shutdown ----

TEST_F(ForwardTest, SigtermDeliversInFlightRepliesAndExitsZero) {
  SKIP_IF_DIRECT();
  RawConnection c(port());
  ASSERT_TRUE(c.ok()) << c.error();
  // A script that keeps redis busy for 400 ms, so its reply is in flight when SIGTERM arrives.
  const std::string busy =
      "local t = redis.call('TIME') local start = t[1] * 1000000 + t[2] "
      "while true do local n = redis.call('TIME') "
      "if n[1] * 1000000 + n[2] - start > 400000 then break end end return 'slept'";
  std::string pipeline = EncodeCommand({"SET", "term:k", "1"}) +
                         EncodeCommand({"EVAL", busy, "0"}) + EncodeCommand({"GET", "term:k"});
  ASSERT_TRUE(c.Send(pipeline + "*2\r\n$3\r\nGET\r\n$6\r\nter"));  // and half a command
  std::this_thread::sleep_for(100ms);

  auto start = Clock::now();
  auto status = respite_->process().Terminate(10s);
  long long ms = ElapsedMs(start);
  ASSERT_TRUE(status) << "respite still running 10 s after SIGTERM; log:\n" << respite_->Log();
  EXPECT_TRUE(status->Success()) << status->ToString() << "\nlog:\n" << respite_->Log();
  EXPECT_LT(ms, 5000 + 1000) << "exit took longer than the default shutdown timeout (5 s)";

  auto set = c.ReadResp3(2s);
  ASSERT_TRUE(set) << "SET reply lost; got: " << c.buffer();
  EXPECT_EQ(set->Describe(), "+OK");
  auto eval = c.ReadResp3(2s);
  ASSERT_TRUE(eval) << "EVAL reply lost; got: " << c.buffer();
  EXPECT_EQ(eval->Describe(), "\"slept\"");
  auto get = c.ReadResp3(2s);
  ASSERT_TRUE(get) << "GET reply lost; got: " << c.buffer();
  EXPECT_EQ(get->Describe(), "\"1\"");
  EXPECT_TRUE(c.ReadUntilClosed(2s)) << "connection left open after exit";
  EXPECT_EQ(c.buffer(), "") << "unexpected bytes after the in-flight replies";
  EXPECT_TRUE(Direct().Command({"GET", "term:k"}).IsString("1"));
}

// ---- upstream failure and upstream authentication ----

TEST(UpstreamUnreachableTest, CommandGetsErrorAtOnce) {
  SKIP_IF_DIRECT();
  uint16_t dead_port = FreePort();  // nothing listens here
  RespiteOptions options;
  options.upstream_url = "redis://127.0.0.1:" + std::to_string(dead_port);
  options.wait_for_pong = false;
  options.env = {"RESPITE_FALLBACK_MODE=off"};  // forward-only: no local store to fall back on
  RespiteProcess respite(options);
  ASSERT_EQ(respite.Start(), "");
  Client c = respite.Connect(5s);
  ASSERT_TRUE(c.ok()) << c.error();
  for (const std::vector<std::string>& cmd :
       std::vector<std::vector<std::string>>{{"GET", "k"}, {"SET", "k", "v"}, {"INCR", "n"}}) {
    auto start = Clock::now();
    Reply r = c.Command(cmd);
    long long ms = ElapsedMs(start);
    ASSERT_TRUE(r) << cmd[0] << ": no reply (" << c.error() << ")\nlog:\n" << respite.Log();
    EXPECT_TRUE(r.IsErrorPrefix("ERR")) << cmd[0] << ": " << r.Describe();
    EXPECT_GT(r->len, 4u) << "error text should say what is wrong: " << r.Describe();
    EXPECT_LT(ms, 500) << cmd[0] << " took " << ms << " ms";
  }
  EXPECT_TRUE(respite.process().Running()) << respite.Log();
}

class UpstreamAuthTest : public ForwardTest {
 protected:
  void SetUp() override {}  // each test starts its own stack
};

TEST_F(UpstreamAuthTest, RequirepassFromUrlClientNeedsNoPassword) {
  SKIP_IF_DIRECT();
  RedisOptions ro;
  ro.requirepass = "s3cret-pw";
  // The most talkative level: a line that would leak the password must be written to be seen.
  RespiteOptions options;
  options.log_level = "trace";
  StartStack(ro, options);
  if (HasFatalFailure()) return;
  EXPECT_TRUE(Client(redis_->port()).Command({"GET", "k"}).IsErrorPrefix("NOAUTH"))
      << "redis should demand a password";
  Client c = Connect();
  EXPECT_TRUE(c.Command({"SET", "auth:k", "v"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"GET", "auth:k"}).IsString("v"));
  // Session-pinned commands (dedicated upstream connections) are authenticated too.
  EXPECT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"INCR", "auth:n"}).IsStatus("QUEUED"));
  EXPECT_EQ(c.Command({"EXEC"}).Describe(), "[(integer) 1]");
  EXPECT_TRUE(c.Command({"BLPOP", "auth:q", "0.1"}).IsNil());
  // Upstream down and back: connection errors and reconnects are logged, the password never.
  ASSERT_EQ(redis_->Restart(), "");
  EXPECT_TRUE(WaitFor(
      [&] {
        return respite_->Log().find("serving locally") != std::string::npos &&
               HttpRequest(respite_->admin_port(), "GET", "/status")
                       .body.find("\"state\":\"forward\"") != std::string::npos;
      },
      15s))
      << respite_->Log();
  const std::string log = respite_->Log();
  EXPECT_NE(log.find("upstream"), std::string::npos) << "nothing was logged: " << log;
  EXPECT_EQ(log.find("s3cret-pw"), std::string::npos) << "password in the log";
  // Nor in what the admin endpoint and RESPITE STATUS show (the URL holds it).
  for (const std::string path : {"/status", "/metrics"}) {
    const HttpResponse r = HttpRequest(respite_->admin_port(), "GET", path);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body.find("s3cret-pw"), std::string::npos) << path << ": " << r.body;
  }
  EXPECT_NE(HttpRequest(respite_->admin_port(), "GET", "/status").body.find(":***@"),
            std::string::npos);
  Reply info = c.Command({"RESPITE", "STATUS"});
  EXPECT_EQ(info.Describe().find("s3cret-pw"), std::string::npos) << info.Describe();
}

TEST_F(UpstreamAuthTest, AclUserFromUrlClientNeedsNoPassword) {
  SKIP_IF_DIRECT();
  RedisOptions ro;
  ro.requirepass = "default-pw";
  ro.acl_user = "app";
  ro.acl_password = "app-pw";
  StartStack(ro, {});
  if (HasFatalFailure()) return;
  Client c = Connect();
  EXPECT_TRUE(c.Command({"SET", "acl:k", "v"}).IsStatus("OK"));
  Client d = redis_->Connect();
  EXPECT_TRUE(d.Command({"GET", "acl:k"}).IsString("v"));
  // respite's upstream connections are logged in as "app" (the test's own is too).
  Reply list = d.Command({"CLIENT", "LIST"});
  ASSERT_TRUE(list && list->type == REDIS_REPLY_STRING) << list.Describe();
  std::string text(list->str, list->len);
  size_t app_connections = 0;
  for (size_t pos = 0; (pos = text.find(" user=app ", pos)) != std::string::npos; ++pos) {
    ++app_connections;
  }
  EXPECT_GE(app_connections, 2u) << text;
}

}  // namespace
}  // namespace respite::test
