// Pub/sub while respite serves locally (DESIGN.md "Stage 2 decisions": messages are not
// journaled and reach this respite's own subscribers): SUBSCRIBE, PSUBSCRIBE and SSUBSCRIBE with
// their UN- forms, PUBLISH and SPUBLISH (also inside MULTI and from scripts), PUBSUB, RESP2's
// subscribed context and RESP3 pushes, keyspace notifications for local writes; then, with a real
// redis-server that is SIGKILLed and restarted, subscribers that keep their subscriptions across
// both transitions. Real processes on free loopback ports.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/client.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"
#include "tests/support/respite_process.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;

// respite pinned to the local store; its upstream URL names a port nothing listens on.
class LocalPubSubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RespiteOptions options;
    options.upstream_url = "redis://127.0.0.1:" + std::to_string(dead_port_);
    options.io_threads = 3;  // subscribers and publishers land on different io threads
    options.extra_args = {"--mode", "local"};
    respite_ = std::make_unique<RespiteProcess>(std::move(options));
    ASSERT_EQ(respite_->Start(), "");
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << "---- respite log ----\n" << respite_->Log() << "\n----\n";
  }

  Client Connect() {
    Client c = respite_->Connect();
    EXPECT_TRUE(c.ok()) << c.error();
    return c;
  }

  uint16_t dead_port_ = FreePort();
  std::unique_ptr<RespiteProcess> respite_;
};

TEST_F(LocalPubSubTest, ChannelsPatternsAndShardChannels) {
  Client a = Connect();
  Client b = Connect();
  Client pub = Connect();
  EXPECT_EQ(a.Command({"SUBSCRIBE", "news", "sport"}).Describe(),
            R"(["subscribe","news",(integer) 1])");
  EXPECT_EQ(a.GetReply().Describe(), R"(["subscribe","sport",(integer) 2])");
  EXPECT_EQ(a.Command({"PSUBSCRIBE", "alert.*"}).Describe(),
            R"(["psubscribe","alert.*",(integer) 3])");
  EXPECT_EQ(a.Command({"SSUBSCRIBE", "orders"}).Describe(),
            R"(["ssubscribe","orders",(integer) 1])");
  EXPECT_EQ(b.Command({"SUBSCRIBE", "news"}).Describe(), R"(["subscribe","news",(integer) 1])");

  EXPECT_TRUE(pub.Command({"PUBLISH", "news", "hello"}).IsInteger(2));
  EXPECT_EQ(a.GetReply().Describe(), R"(["message","news","hello"])");
  EXPECT_EQ(b.GetReply().Describe(), R"(["message","news","hello"])");
  EXPECT_TRUE(pub.Command({"PUBLISH", "alert.fire", "hot"}).IsInteger(1));
  EXPECT_EQ(a.GetReply().Describe(), R"(["pmessage","alert.*","alert.fire","hot"])");
  // Shard channels are apart: PUBLISH does not reach SSUBSCRIBE, SPUBLISH does.
  EXPECT_TRUE(pub.Command({"PUBLISH", "orders", "x"}).IsInteger(0));
  EXPECT_TRUE(pub.Command({"SPUBLISH", "orders", "o1"}).IsInteger(1));
  EXPECT_EQ(a.GetReply().Describe(), R"(["smessage","orders","o1"])");

  EXPECT_EQ(pub.Command({"PUBSUB", "NUMSUB", "news", "sport", "none"}).Describe(),
            R"(["news",(integer) 2,"sport",(integer) 1,"none",(integer) 0])");
  EXPECT_TRUE(pub.Command({"PUBSUB", "NUMPAT"}).IsInteger(1));
  EXPECT_EQ(pub.Command({"PUBSUB", "CHANNELS", "n*"}).Describe(), R"(["news"])");
  EXPECT_EQ(pub.Command({"PUBSUB", "SHARDCHANNELS"}).Describe(), R"(["orders"])");
  EXPECT_EQ(pub.Command({"PUBSUB", "SHARDNUMSUB", "orders"}).Describe(),
            R"(["orders",(integer) 1])");

  // UNSUBSCRIBE without names leaves every channel (patterns stay); b's connection closes.
  a.Append({"UNSUBSCRIBE"});
  ASSERT_TRUE(a.Flush());
  std::vector<std::string> left = {a.GetReply().Describe(), a.GetReply().Describe()};
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left[0], R"(["unsubscribe","news",(integer) 2])");
  EXPECT_EQ(left[1], R"(["unsubscribe","sport",(integer) 1])");
  b = Client(respite_->port());
  EXPECT_TRUE(WaitFor(
      [&] {
        return pub.Command({"PUBLISH", "news", "x"}).IsInteger(0);
      },
      5s))
      << "a closed subscriber still receives";
  EXPECT_EQ(a.Command({"PUNSUBSCRIBE"}).Describe(), R"(["punsubscribe","alert.*",(integer) 0])");
  EXPECT_EQ(a.Command({"PUNSUBSCRIBE"}).Describe(), R"(["punsubscribe",(nil),(integer) 0])");
  EXPECT_TRUE(pub.Command({"PUBLISH", "alert.fire", "x"}).IsInteger(0));
}

TEST_F(LocalPubSubTest, Resp2SubscriberMayOnlyRunPubSubCommands) {
  Client sub = Connect();
  EXPECT_EQ(sub.Command({"SUBSCRIBE", "c"}).Describe(), R"(["subscribe","c",(integer) 1])");
  EXPECT_EQ(sub.Command({"GET", "k"}).Describe(),
            "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
            "RESET are allowed in this context");
  EXPECT_EQ(sub.Command({"CLIENT", "LIST"}).Describe(),
            "-ERR Can't execute 'client|list': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
            "QUIT / RESET are allowed in this context");
  // EXEC is refused as an aborted transaction, as Redis does.
  EXPECT_EQ(
      sub.Command({"EXEC"}).Describe(),
      "-EXECABORT Transaction discarded because of: Can't execute 'exec': only (P|S)SUBSCRIBE "
      "/ (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
  EXPECT_EQ(sub.Command({"PING"}).Describe(), R"(["pong",""])");
  EXPECT_EQ(sub.Command({"PING", "hi"}).Describe(), R"(["pong","hi"])");
  EXPECT_TRUE(sub.Command({"RESET"}).IsStatus("RESET"));
  // RESET left every subscription: a plain client again.
  EXPECT_TRUE(sub.Command({"PING"}).IsStatus("PONG"));
  EXPECT_TRUE(sub.Command({"SET", "k", "v"}).IsStatus("OK"));
  Client pub = Connect();
  EXPECT_TRUE(pub.Command({"PUBLISH", "c", "m"}).IsInteger(0));
}

TEST_F(LocalPubSubTest, Resp3SubscriberGetsPushesAndRunsCommands) {
  RawConnection sub(respite_->port());
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(sub.Command({"HELLO", "3"}).has_value());
  auto confirm = sub.Command({"SUBSCRIBE", "c"});
  ASSERT_TRUE(confirm.has_value());
  EXPECT_EQ(confirm->type, '>');
  ASSERT_EQ(confirm->elems.size(), 3u);
  EXPECT_EQ(confirm->elems[0].str, "subscribe");
  EXPECT_EQ(confirm->elems[2].integer, 1);
  // RESP3 lets a subscribed client run anything.
  auto set = sub.Command({"SET", "k", "v"});
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ(set->str, "OK");
  // Pushes arrive even with CLIENT REPLY OFF.
  ASSERT_TRUE(sub.SendCommand({"CLIENT", "REPLY", "OFF"}));
  Client pub = Connect();
  EXPECT_TRUE(pub.Command({"PUBLISH", "c", "m1"}).IsInteger(1));
  auto message = sub.ReadResp3(5s);
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->type, '>');
  ASSERT_EQ(message->elems.size(), 3u);
  EXPECT_EQ(message->elems[0].str, "message");
  EXPECT_EQ(message->elems[2].str, "m1");
}

// As in Redis 7.0, whose PUBLISH and PUBSUB CHANNELS match without KEYS' "*" shortcut, no pattern
// but "" hears the empty channel (found by pubsub_diff_test.cpp).
TEST_F(LocalPubSubTest, StarPatternDoesNotMatchTheEmptyChannel) {
  Client sub = Connect();
  Client pub = Connect();
  EXPECT_EQ(sub.Command({"PSUBSCRIBE", "*"}).Describe(), R"(["psubscribe","*",(integer) 1])");
  EXPECT_TRUE(pub.Command({"PUBLISH", "", "m"}).IsInteger(0));
  EXPECT_TRUE(pub.Command({"PUBLISH", "a", "m"}).IsInteger(1));
  EXPECT_EQ(sub.GetReply().Describe(), R"(["pmessage","*","a","m"])");
  Client empty = Connect();
  EXPECT_EQ(empty.Command({"SUBSCRIBE", ""}).Describe(), R"(["subscribe","",(integer) 1])");
  EXPECT_TRUE(pub.Command({"PUBSUB", "CHANNELS", "*"}).IsArray(0));
  EXPECT_TRUE(pub.Command({"PUBSUB", "CHANNELS"}).IsArray(1));
}

// PUNSUBSCRIBE without arguments leaves the patterns in subscription order, as Redis 7.0 (a list
// there; found by pubsub_diff_test.cpp: respite went in sorted order).
TEST_F(LocalPubSubTest, PunsubscribeAllGoesInSubscriptionOrder) {
  Client c = Connect();
  c.Append({"PSUBSCRIBE", "z*", "a*", "m*"});
  c.Append({"PUNSUBSCRIBE", "a*"});
  c.Append({"PSUBSCRIBE", "b*", "a*"});
  c.Append({"PUNSUBSCRIBE"});
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(c.GetReply());
  for (const char* expected :
       {R"(["punsubscribe","z*",(integer) 3])", R"(["punsubscribe","m*",(integer) 2])",
        R"(["punsubscribe","b*",(integer) 1])", R"(["punsubscribe","a*",(integer) 0])"}) {
    EXPECT_EQ(c.GetReply().Describe(), expected);
  }
}

// A RESP3 client hearing its own PUBLISH (or its own write's keyspace event) gets the message
// before the command's reply, as from Redis, and before the replies of commands it pipelined
// after it (found by pubsub_diff_test.cpp: the message came after them).
TEST_F(LocalPubSubTest, Resp3OwnMessageComesBeforeThePublishReply) {
  RawConnection c(respite_->port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Command({"HELLO", "3"}).has_value());
  ASSERT_TRUE(c.Command({"CONFIG", "SET", "notify-keyspace-events", "E$"}).has_value());
  ASSERT_TRUE(c.Command({"SUBSCRIBE", "c", "__keyevent@0__:set"}).has_value());
  ASSERT_TRUE(c.ReadResp3(5s).has_value());  // the second confirmation
  ASSERT_TRUE(c.Send(EncodeCommand({"PUBLISH", "c", "m"}) + EncodeCommand({"SET", "k", "v"}) +
                     EncodeCommand({"PING", "end"})));
  const std::string expected =
      ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n:1\r\n"
      ">3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\nk\r\n+OK\r\n$3\r\nend\r\n";
  ASSERT_TRUE(c.ReadUntil("$3\r\nend\r\n", 5s)) << c.buffer();
  EXPECT_EQ(c.buffer(), expected);
}

// Celery stores a task result as SETEX + PUBLISH in one MULTI; scripts publish too. Every message
// reaches the subscriber, in publish order.
TEST_F(LocalPubSubTest, PublishInsideMultiAndScriptsInOrder) {
  Client sub = Connect();
  EXPECT_EQ(sub.Command({"SUBSCRIBE", "results"}).Describe(),
            R"(["subscribe","results",(integer) 1])");
  Client app = Connect();
  EXPECT_TRUE(app.Command({"MULTI"}).IsStatus("OK"));
  EXPECT_TRUE(app.Command({"SETEX", "task:1", "100", "done"}).IsStatus("QUEUED"));
  EXPECT_TRUE(app.Command({"PUBLISH", "results", "task:1"}).IsStatus("QUEUED"));
  EXPECT_EQ(app.Command({"EXEC"}).Describe(), R"([+OK,(integer) 1])");
  EXPECT_EQ(sub.GetReply().Describe(), R"(["message","results","task:1"])");
  EXPECT_TRUE(app.Command({"EVAL", "return redis.call('PUBLISH', KEYS[1], ARGV[1])", "1", "results",
                           "from-lua"})
                  .IsInteger(1));
  EXPECT_EQ(sub.GetReply().Describe(), R"(["message","results","from-lua"])");
  constexpr int kMessages = 500;
  for (int i = 0; i < kMessages; ++i) app.Append({"PUBLISH", "results", std::to_string(i)});
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(app.GetReply().IsInteger(1));
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_EQ(sub.GetReply().Describe(), R"(["message","results",")" + std::to_string(i) + R"("])");
  }
}

TEST_F(LocalPubSubTest, KeyspaceNotificationsForLocalWrites) {
  Client app = Connect();
  ASSERT_TRUE(app.Command({"CONFIG", "SET", "notify-keyspace-events", "KEA"}).IsStatus("OK"));
  Client sub = Connect();
  EXPECT_EQ(sub.Command({"PSUBSCRIBE", "__key*__:*"}).Describe(),
            R"(["psubscribe","__key*__:*",(integer) 1])");
  EXPECT_TRUE(app.Command({"SET", "k", "v", "EX", "100"}).IsStatus("OK"));
  EXPECT_EQ(sub.GetReply().Describe(), R"(["pmessage","__key*__:*","__keyspace@0__:k","set"])");
  EXPECT_EQ(sub.GetReply().Describe(), R"(["pmessage","__key*__:*","__keyevent@0__:set","k"])");
  EXPECT_EQ(sub.GetReply().Describe(), R"(["pmessage","__key*__:*","__keyspace@0__:k","expire"])");
  EXPECT_EQ(sub.GetReply().Describe(), R"(["pmessage","__key*__:*","__keyevent@0__:expire","k"])");
  EXPECT_TRUE(app.Command({"LPUSH", "l", "a"}).IsInteger(1));
  EXPECT_TRUE(app.Command({"RPOP", "l"}).IsString("a"));
  for (const char* expected : {R"(["pmessage","__key*__:*","__keyspace@0__:l","lpush"])",
                               R"(["pmessage","__key*__:*","__keyevent@0__:lpush","l"])",
                               R"(["pmessage","__key*__:*","__keyspace@0__:l","rpop"])",
                               R"(["pmessage","__key*__:*","__keyevent@0__:rpop","l"])",
                               R"(["pmessage","__key*__:*","__keyspace@0__:l","del"])",
                               R"(["pmessage","__key*__:*","__keyevent@0__:del","l"])"}) {
    EXPECT_EQ(sub.GetReply().Describe(), expected);
  }
  // A key that expires in the background publishes "expired".
  ASSERT_TRUE(app.Command({"PSETEX", "short", "50", "v"}).IsStatus("OK"));
  for (int i = 0; i < 4; ++i) sub.GetReply();  // its set and expire
  EXPECT_EQ(sub.GetReply().Describe(),
            R"(["pmessage","__key*__:*","__keyspace@0__:short","expired"])");
}

// ---- with a real upstream: subscribers across both transitions ----

class PubSubFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(redis_.Start(), "");
    RespiteOptions options;
    options.upstream_url = redis_.Url();
    options.log_level = "info";
    options.env = {"RESPITE_HEALTH_INTERVAL_MS=100",     "RESPITE_HEALTH_TIMEOUT_MS=300",
                   "RESPITE_HEALTH_UNHEALTHY_AFTER=2",   "RESPITE_HEALTH_HEALTHY_AFTER=2",
                   "RESPITE_BREAKER_BACKOFF_BASE_MS=50", "RESPITE_BREAKER_BACKOFF_MAX_MS=500"};
    respite_ = std::make_unique<RespiteProcess>(std::move(options));
    ASSERT_EQ(respite_->Start(), "");
  }
  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "---- respite log ----\n" << respite_->process().Log(32768) << "\n----\n";
    }
  }

  // RESPITE STATUS names the state ("forward", "local", "draining").
  bool InState(const std::string& state) {
    Client admin = respite_->Connect(1s);
    Reply r = admin.Command({"RESPITE", "STATUS"});
    return r && r->type == REDIS_REPLY_STRING &&
           std::string(r->str, r->len).find("respite_state:" + state) != std::string::npos;
  }

  RedisServer redis_;
  std::unique_ptr<RespiteProcess> respite_;
};

// A subscriber of upstream keeps its channels through an outage: while respite serves locally it
// hears respite's own publishers (a Celery-like MULTI of SETEX + PUBLISH included), it and new
// subscribers may subscribe meanwhile, and once respite forwards again all of them are subscribed
// upstream, where a publisher straight to Redis reaches them.
TEST_F(PubSubFailoverTest, SubscribersFollowBothTransitions) {
  Client listener = respite_->Connect();
  EXPECT_EQ(listener.Command({"SUBSCRIBE", "news"}).Describe(),
            R"(["subscribe","news",(integer) 1])");
  EXPECT_EQ(listener.Command({"PSUBSCRIBE", "alert.*"}).Describe(),
            R"(["psubscribe","alert.*",(integer) 2])");
  Client direct = redis_.Connect();
  EXPECT_TRUE(direct.Command({"PUBLISH", "news", "before"}).IsInteger(1));
  EXPECT_EQ(listener.GetReply().Describe(), R"(["message","news","before"])");

  redis_.Kill();
  ASSERT_TRUE(WaitFor([&] { return InState("local"); }, 10s));
  Client app = respite_->Connect();
  ASSERT_TRUE(WaitFor(
      [&] {
        return app.Command({"PUBLISH", "news", "local"}).IsInteger(1);
      },
      5s))
      << "the subscriber of upstream does not hear local publishers";
  EXPECT_EQ(listener.GetReply().Describe(), R"(["message","news","local"])");
  EXPECT_TRUE(app.Command({"PUBLISH", "alert.fire", "hot"}).IsInteger(1));
  EXPECT_EQ(listener.GetReply().Describe(), R"(["pmessage","alert.*","alert.fire","hot"])");
  // Subscribing during the outage, on the kept connection and on a new one.
  EXPECT_EQ(listener.Command({"SUBSCRIBE", "extra"}).Describe(),
            R"(["subscribe","extra",(integer) 3])");
  Client worker = respite_->Connect();
  EXPECT_EQ(worker.Command({"SUBSCRIBE", "results"}).Describe(),
            R"(["subscribe","results",(integer) 1])");
  EXPECT_TRUE(app.Command({"MULTI"}).IsStatus("OK"));
  EXPECT_TRUE(app.Command({"SETEX", "task:7", "100", "done"}).IsStatus("QUEUED"));
  EXPECT_TRUE(app.Command({"PUBLISH", "results", "task:7"}).IsStatus("QUEUED"));
  EXPECT_EQ(app.Command({"EXEC"}).Describe(), R"([+OK,(integer) 1])");
  EXPECT_EQ(worker.GetReply().Describe(), R"(["message","results","task:7"])");

  ASSERT_EQ(redis_.Restart(), "");
  ASSERT_TRUE(WaitFor([&] { return InState("forward"); }, 30s)) << "respite did not forward";
  Client again = redis_.Connect();
  ASSERT_TRUE(WaitFor(
      [&] {
        return again.Command({"PUBLISH", "news", "back"}).IsInteger(1);
      },
      10s))
      << "the subscriber was not subscribed upstream again";
  EXPECT_EQ(listener.GetReply().Describe(), R"(["message","news","back"])");
  EXPECT_TRUE(again.Command({"PUBLISH", "extra", "e"}).IsInteger(1));
  EXPECT_EQ(listener.GetReply().Describe(), R"(["message","extra","e"])");
  ASSERT_TRUE(WaitFor(
      [&] {
        return again.Command({"PUBLISH", "results", "r"}).IsInteger(1);
      },
      10s))
      << "the subscriber from the outage was not subscribed upstream";
  EXPECT_EQ(worker.GetReply().Describe(), R"(["message","results","r"])");
  // The write in the MULTI was replayed; the message was not (pub/sub is not journaled).
  EXPECT_TRUE(again.Command({"GET", "task:7"}).IsString("done"));
  EXPECT_EQ(listener.Command({"UNSUBSCRIBE", "extra"}).Describe(),
            R"(["unsubscribe","extra",(integer) 2])");
  EXPECT_TRUE(again.Command({"PUBLISH", "extra", "x"}).IsInteger(0));
}

}  // namespace
}  // namespace respite::test
