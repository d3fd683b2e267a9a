// Forwarding indistinguishable from Redis where a proxy is easy to tell apart: what a client
// subscribed to nothing gets from UNSUBSCRIBE, client identity (CLIENT ID, LIST, INFO, KILL,
// UNBLOCK with respite's own ids) and ACL users defined upstream. Real redis-server and respite
// processes; where Redis' answer is the measure, the same bytes are read from Redis directly.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/client.h"
#include "tests/support/http_client.h"
#include "tests/support/redis_server.h"
#include "tests/support/respite_process.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;

class ForwardIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = std::make_unique<RedisServer>(RedisOptions{});
    ASSERT_EQ(redis_->Start(), "");
    RespiteOptions options;
    options.upstream_url = redis_->Url();
    respite_ = std::make_unique<RespiteProcess>(options);
    ASSERT_EQ(respite_->Start(), "");
  }
  void TearDown() override {
    if (HasFailure() && respite_) {
      std::cerr << "---- respite log ----\n" << respite_->Log() << "\n----\n";
    }
  }

  // Sends `bytes` on a fresh connection to `port` and reads until `replies` values arrived.
  static std::string Exchange(uint16_t port, std::string_view bytes, size_t replies) {
    RawConnection c(port);
    EXPECT_TRUE(c.ok()) << c.error();
    EXPECT_TRUE(c.Send(bytes));
    std::string all;
    for (size_t i = 0; i < replies; ++i) {
      auto value = c.ReadResp3(2s);
      if (!value) return all + "(timed out)";
      all += value->Describe() + "\n";
    }
    return all;
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<RespiteProcess> respite_;
};

// A client subscribed to nothing gets one confirmation per name, as from Redis, and the replies
// of whatever it pipelines behind stay its own; another client's replies are untouched.
TEST_F(ForwardIdentityTest, UnsubscribeWithoutSubscriptionsAnswersLikeRedis) {
  const std::string pipeline =
      "*4\r\n$11\r\nUNSUBSCRIBE\r\n$3\r\nfoo\r\n$3\r\nbar\r\n$4\r\nquux\r\n"
      "*1\r\n$12\r\nPUNSUBSCRIBE\r\n"
      "*2\r\n$12\r\nSUNSUBSCRIBE\r\n$1\r\nx\r\n"
      "*2\r\n$4\r\nECHO\r\n$4\r\nmine\r\n";
  const std::string direct = Exchange(redis_->port(), pipeline, 6);
  EXPECT_EQ(Exchange(respite_->port(), pipeline, 6), direct);
  EXPECT_NE(direct.find("mine"), std::string::npos) << direct;

  // RESP3: the confirmations are push messages.
  const std::string resp3 = "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n" + pipeline;
  const std::string direct3 = Exchange(redis_->port(), resp3, 7);
  const std::string through3 = Exchange(respite_->port(), resp3, 7);
  // HELLO's map names the server's id and version: compare what follows it.
  EXPECT_EQ(through3.substr(through3.find('\n')), direct3.substr(direct3.find('\n')));

  // Concurrent: one client unsubscribing in a loop never shifts another client's replies.
  std::atomic<bool> stop{false};
  std::thread noisy([&] {
    RawConnection c(respite_->port());
    while (!stop.load()) {
      if (!c.SendCommand({"UNSUBSCRIBE", "x", "y", "z"})) return;
      for (int i = 0; i < 3; ++i) c.ReadResp3(2s);
    }
  });
  Client other = respite_->Connect();
  int wrong = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string text = "b" + std::to_string(i);
    if (!other.Command({"ECHO", text}).IsString(text)) ++wrong;
  }
  stop.store(true);
  noisy.join();
  EXPECT_EQ(wrong, 0);
}

// The keys of a CLIENT LIST line ("id addr laddr ..."), in order.
std::string KeysOf(const std::string& line) {
  std::string keys;
  size_t at = 0;
  while (at < line.size()) {
    const size_t eq = line.find('=', at);
    if (eq == std::string::npos) break;
    keys += line.substr(at, eq - at) + " ";
    const size_t space = line.find(' ', eq);
    if (space == std::string::npos) break;
    at = space + 1;
  }
  return keys;
}

std::string Text(const Reply& r) { return r && r->str ? std::string(r->str, r->len) : ""; }

long long IdOf(Client& c) {
  Reply r = c.Command({"CLIENT", "ID"});
  return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
}

// CLIENT LIST and INFO describe respite's clients, with the ids CLIENT ID gave, in Redis' format.
TEST_F(ForwardIdentityTest, ClientListAndInfoDescribeRespitesOwnClients) {
  Client a = respite_->Connect();
  Client b = respite_->Connect();
  ASSERT_TRUE(b.Command({"CLIENT", "SETNAME", "worker-b"}).IsStatus("OK"));
  ASSERT_TRUE(b.Command({"SELECT", "3"}).IsStatus("OK"));
  const long long id_a = IdOf(a), id_b = IdOf(b);
  ASSERT_GT(id_a, 0);
  ASSERT_NE(id_a, id_b);

  const std::string list = Text(a.Command({"CLIENT", "LIST"}));
  EXPECT_NE(list.find("id=" + std::to_string(id_a) + " "), std::string::npos) << list;
  EXPECT_NE(list.find("id=" + std::to_string(id_b) + " "), std::string::npos) << list;
  EXPECT_NE(list.find(" name=worker-b "), std::string::npos) << list;
  EXPECT_NE(list.find(" db=3 "), std::string::npos) << list;
  EXPECT_NE(list.find(" cmd=client|list "), std::string::npos) << list;
  EXPECT_NE(list.find(" laddr=127.0.0.1:" + std::to_string(respite_->port()) + " "),
            std::string::npos)
      << list;

  // Same fields in the same order as Redis' own.
  Client direct = redis_->Connect();
  const std::string redis_line = Text(direct.Command({"CLIENT", "INFO"}));
  const std::string info = Text(a.Command({"CLIENT", "INFO"}));
  EXPECT_EQ(KeysOf(info), KeysOf(redis_line)) << info << "\n" << redis_line;
  EXPECT_EQ(info.rfind("id=" + std::to_string(id_a) + " ", 0), 0u) << info;
  EXPECT_EQ(info.back(), '\n');

  const std::string only_b = Text(a.Command({"CLIENT", "LIST", "ID", std::to_string(id_b)}));
  EXPECT_EQ(only_b.rfind("id=" + std::to_string(id_b) + " ", 0), 0u) << only_b;
  EXPECT_EQ(std::count(only_b.begin(), only_b.end(), '\n'), 1);
  EXPECT_TRUE(a.Command({"CLIENT", "LIST", "TYPE", "pubsub"}).IsString(""));
  EXPECT_TRUE(a.Command({"CLIENT", "LIST", "TYPE", "bogus"})
                  .IsErrorPrefix("ERR Unknown client type 'bogus'"));
  EXPECT_TRUE(a.Command({"CLIENT", "LIST", "ID", "x"}).IsErrorPrefix("ERR Invalid client ID"));
}

// CLIENT KILL closes respite's clients by respite's id or address, with Redis' replies.
TEST_F(ForwardIdentityTest, ClientKillClosesRespitesClients) {
  Client a = respite_->Connect();
  Client b = respite_->Connect();
  Client c = respite_->Connect();
  const long long id_b = IdOf(b);
  EXPECT_TRUE(a.Command({"CLIENT", "KILL", "ID", std::to_string(id_b)}).IsInteger(1));
  EXPECT_FALSE(b.Command({"PING"})) << "the killed client still answers";
  EXPECT_TRUE(a.Command({"CLIENT", "KILL", "ID", std::to_string(id_b)}).IsInteger(0));

  // The old form, by the address CLIENT LIST shows.
  const std::string info_c = Text(c.Command({"CLIENT", "INFO"}));
  const size_t at = info_c.find(" addr=") + 6;
  const std::string addr_c = info_c.substr(at, info_c.find(' ', at) - at);
  EXPECT_TRUE(a.Command({"CLIENT", "KILL", addr_c}).IsStatus("OK"));
  EXPECT_FALSE(c.Command({"PING"}));
  EXPECT_TRUE(a.Command({"CLIENT", "KILL", addr_c}).IsErrorPrefix("ERR No such client"));

  // SKIPME: by default the asking client is spared; with SKIPME no it is answered, then closed.
  const long long id_a = IdOf(a);
  EXPECT_TRUE(a.Command({"CLIENT", "KILL", "ID", std::to_string(id_a)}).IsInteger(0));
  EXPECT_TRUE(a.Command({"CLIENT", "KILL", "ID", "abc"})
                  .IsErrorPrefix("ERR client-id should be greater than 0"));
  EXPECT_TRUE(a.Command({"CLIENT", "KILL", "ID", "1", "bogus", "x"}).IsErrorPrefix("ERR syntax"));
  EXPECT_TRUE(
      a.Command({"CLIENT", "KILL", "ID", std::to_string(id_a), "SKIPME", "no"}).IsInteger(1));
  EXPECT_FALSE(a.Command({"PING"}));
}

// CLIENT UNBLOCK with respite's id ends a BLPOP waiting upstream (as a timeout, or with
// -UNBLOCKED) and one waiting on the local store; a client that waits for nothing gives 0.
TEST_F(ForwardIdentityTest, ClientUnblockEndsTheWaitUpstreamAndLocally) {
  Client admin = respite_->Connect();
  for (const bool local : {false, true}) {
    if (local) {
      ASSERT_TRUE(admin.Command({"RESPITE", "MODE", "LOCAL"}).IsStatus("OK"));
    }
    for (const char* mode : {"TIMEOUT", "ERROR"}) {
      Client waiter = respite_->Connect(10s);
      const long long id = IdOf(waiter);
      EXPECT_TRUE(admin.Command({"CLIENT", "UNBLOCK", std::to_string(id)}).IsInteger(0));
      waiter.Append({"BLPOP", "nothing", "0"});
      ASSERT_TRUE(waiter.Flush());
      // Until it waits (upstream: its dedicated link is blocked; locally: parked).
      Reply unblocked;
      ASSERT_TRUE(WaitFor(
          [&] {
            unblocked = admin.Command({"CLIENT", "UNBLOCK", std::to_string(id), mode});
            return unblocked.IsInteger(1);
          },
          5s))
          << (local ? "local " : "upstream ") << mode << ": " << unblocked.Describe();
      Reply popped = waiter.GetReply();
      if (std::string(mode) == "TIMEOUT") {
        EXPECT_TRUE(popped.IsNil()) << popped.Describe();
      } else {
        EXPECT_TRUE(popped.IsErrorPrefix("UNBLOCKED client unblocked via CLIENT UNBLOCK"))
            << popped.Describe();
      }
      EXPECT_TRUE(waiter.Command({"PING"}).IsStatus("PONG"));
    }
  }
  EXPECT_TRUE(admin.Command({"CLIENT", "UNBLOCK", "x"})
                  .IsErrorPrefix("ERR value is not an integer or out of range"));
  EXPECT_TRUE(admin.Command({"CLIENT", "UNBLOCK", "1", "later"})
                  .IsErrorPrefix("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"));
}

// An ACL user created upstream logs in through respite: upstream checks the password, the user's
// commands (shared, dedicated and scripts) run upstream as that user with Redis' own refusals,
// and while upstream is down a user who logged in before may log in again.
TEST_F(ForwardIdentityTest, AclUserLogsInThroughRespiteAndRunsAsThatUser) {
  Client direct = redis_->Connect();
  ASSERT_TRUE(
      direct.Command({"ACL", "SETUSER", "app", "on", ">pw", "~app:*", "+@all"}).IsStatus("OK"));
  Client as_app_direct = redis_->Connect();
  ASSERT_TRUE(as_app_direct.Command({"AUTH", "app", "pw"}).IsStatus("OK"));

  Client c = respite_->Connect();
  Reply wrong = c.Command({"AUTH", "app", "nope"});
  EXPECT_EQ(wrong.Describe(), direct.Command({"AUTH", "app", "nope"}).Describe());
  EXPECT_TRUE(wrong.IsErrorPrefix("WRONGPASS")) << wrong.Describe();
  // A refused login counts.
  EXPECT_NE(HttpRequest(respite_->admin_port(), "GET", "/metrics")
                .body.find("\nrespite_auth_failures_total 1\n"),
            std::string::npos);
  ASSERT_TRUE(c.Command({"AUTH", "app", "pw"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"ACL", "WHOAMI"}).IsString("app"));
  // The upstream connection the login ran on goes back to the pool as the user's: a default
  // client's script taking a pooled connection next still runs as default.
  Client other_default = respite_->Connect();
  EXPECT_TRUE(other_default.Command({"EVAL", "return redis.call('set', KEYS[1], 'z')", "1", "o2"})
                  .IsStatus("OK"));
  EXPECT_TRUE(c.Command({"SET", "app:1", "x"}).IsStatus("OK"));
  // Refused by upstream, in Redis' words: on the shared link, in a script, and blocking.
  const std::vector<std::vector<std::string>> refused = {
      {"SET", "other", "x"},
      {"EVAL", "return redis.call('get', KEYS[1])", "1", "other"},
      {"BLPOP", "other", "1"}};
  for (const auto& argv : refused) {
    Reply through = c.Command(argv);
    EXPECT_TRUE(through.IsErrorPrefix("NOPERM")) << argv[0] << ": " << through.Describe();
    EXPECT_EQ(through.Describe(), as_app_direct.Command(argv).Describe()) << argv[0];
  }
  EXPECT_TRUE(c.Command({"EVAL", "return redis.call('get', KEYS[1])", "1", "app:1"}).IsString("x"));
  EXPECT_TRUE(direct.Command({"EXISTS", "other"}).IsInteger(0));

  // HELLO 3 AUTH on another client; CLIENT LIST names the user; other clients stay default.
  RawConnection hello(respite_->port());
  auto map = hello.Command({"HELLO", "3", "AUTH", "app", "pw", "SETNAME", "h"});
  ASSERT_TRUE(map);
  ASSERT_NE(map->Find("proto"), nullptr) << map->Describe();
  EXPECT_EQ(map->Find("proto")->Describe(), "(integer) 3");
  auto whoami = hello.Command({"ACL", "WHOAMI"});
  ASSERT_TRUE(whoami);
  EXPECT_EQ(whoami->Describe(), "\"app\"");
  Client plain = respite_->Connect();
  EXPECT_TRUE(plain.Command({"ACL", "WHOAMI"}).IsString("default"));
  EXPECT_TRUE(plain.Command({"SET", "other", "y"}).IsStatus("OK"));
  const std::string list = Text(plain.Command({"CLIENT", "LIST"}));
  EXPECT_NE(list.find(" name=h "), std::string::npos) << list;
  EXPECT_NE(list.find(" user=app "), std::string::npos) << list;
  // AUTH back to default.
  EXPECT_TRUE(c.Command({"AUTH", "default", "anything"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"ACL", "WHOAMI"}).IsString("default"));

  // Upstream down (mode pinned local): a user who logged in before logs in again, others not.
  ASSERT_TRUE(plain.Command({"RESPITE", "MODE", "LOCAL"}).IsStatus("OK"));
  Client later = respite_->Connect();
  EXPECT_TRUE(later.Command({"AUTH", "app", "nope"}).IsErrorPrefix("WRONGPASS"));
  EXPECT_TRUE(later.Command({"AUTH", "ghost", "pw"}).IsErrorPrefix("WRONGPASS"));
  EXPECT_TRUE(later.Command({"AUTH", "app", "pw"}).IsStatus("OK"));
  EXPECT_TRUE(later.Command({"ACL", "WHOAMI"}).IsString("app"));
  EXPECT_TRUE(plain.Command({"ACL", "WHOAMI"}).IsString("default"));
}

}  // namespace
}  // namespace respite::test
