// Bounded resources (issue 16): what a client can make respite hold, checked on a real process
// with its resident memory read from /proc.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/stack_test.h"
#include "tests/support/client.h"
#include "tests/support/http_client.h"
#include "tests/support/redis_server.h"
#include "tests/support/respite_process.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;

// Resident memory of a process, in MB.
double RssMb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

class BoundsTest : public StackTest {
 protected:
  pid_t pid() { return respite_->process().pid(); }
};

// Before AUTH, Redis' limits: at most 10 arguments, bulks of at most 16 KB. A declared 512 MB bulk
// is refused at its header, so it costs nothing.
TEST_F(BoundsTest, UnauthenticatedClientsCannotMakeRespiteBufferBigRequests) {
  RespiteOptions options;
  options.requirepass = "bounds-pw";
  Start(options);
  const double before = RssMb(pid());
  std::vector<std::unique_ptr<RawConnection>> clients;
  for (int i = 0; i < 4; ++i) {
    auto c = std::make_unique<RawConnection>(respite_->port());
    ASSERT_TRUE(c->ok());
    c->Send("*1\r\n$536870912\r\n");
    c->Send(std::string(1 << 20, 'x'));  // a megabyte of the "bulk"
    ASSERT_TRUE(c->ReadUntilClosed(3000ms));
    EXPECT_EQ(c->buffer(), "-ERR Protocol error: unauthenticated bulk length\r\n");
    clients.push_back(std::move(c));
  }
  RawConnection many(respite_->port());
  many.Send("*11\r\n");
  ASSERT_TRUE(many.ReadUntilClosed(3000ms));
  EXPECT_EQ(many.buffer(), "-ERR Protocol error: unauthenticated multibulk length\r\n");
  const double grew = RssMb(pid()) - before;
  EXPECT_LT(grew, 16) << "respite grew " << grew << " MB for refused unauthenticated requests";

  // Within the limits, an unauthenticated request gets NOAUTH; after AUTH the limits are gone.
  RawConnection c(respite_->port());
  auto reply = c.Command({"SET", "k", std::string(16384, 'v')});
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->str, "NOAUTH Authentication required.");
  reply = c.Command({"AUTH", "bounds-pw"});
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->str, "OK");
  reply = c.Command({"SET", "k", std::string(100000, 'v')});
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->str, "OK");
  reply = c.Command({"MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6"});
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->str, "OK");
  // RESET forgets the login: the limits are back.
  reply = c.Command({"RESET"});
  ASSERT_TRUE(reply);
  c.Send("*1\r\n$20000\r\n");
  ASSERT_TRUE(c.ReadUntilClosed(3000ms));
  EXPECT_NE(c.buffer().find("unauthenticated bulk length"), std::string::npos) << c.buffer();
}

// A declared bulk costs memory only as its bytes arrive, and limits.max_query_buffer closes a
// client whose requests outgrow it (as Redis' client-query-buffer-limit), without a reply.
TEST_F(BoundsTest, QueryBufferIsBoundedAndCostsOnlyWhatArrived) {
  RespiteOptions options;
  options.env = {"RESPITE_LIMITS_MAX_QUERY_BUFFER=8mb"};
  options.log_level = "info";
  Start(options);
  const double before = RssMb(pid());
  RawConnection slow(respite_->port());
  slow.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\n");
  slow.Send(std::string(1 << 20, 'x'));
  std::this_thread::sleep_for(300ms);
  const double grew = RssMb(pid()) - before;
  EXPECT_LT(grew, 32) << "1 MB of a declared 512 MB bulk cost " << grew << " MB";

  // Past 8 MB buffered: closed, the others are still served.
  for (int i = 0; i < 8 && !slow.closed(); ++i) {
    slow.Send(std::string(1 << 20, 'x'));
    slow.ReadSome(50ms);
  }
  EXPECT_TRUE(slow.ReadUntilClosed(3000ms)) << "still open past limits.max_query_buffer";
  EXPECT_EQ(slow.buffer(), "");
  EXPECT_NE(respite_->Log().find("over limits.max_query_buffer"), std::string::npos)
      << respite_->Log();
  Client other = respite_->Connect();
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other.Command({"SET", "still", "served"}).IsStatus("OK"));
  // A big value under the limit is fine.
  EXPECT_TRUE(other.Command({"SET", "big", std::string(6 << 20, 'b')}).IsStatus("OK"));
}

// Timeouts of blocking commands on the local store are read with one parser, Redis' ("+1" is one
// second: it used to park the client forever), and a timeout near the largest one cannot overflow
// the deadline (UBSan in CI would stop on it).
TEST_F(BoundsTest, LocalBlockingTimeoutsFollowRedisRules) {
  RespiteOptions options;
  options.extra_args = {"--mode", "local"};
  Start(options);
  Client c = respite_->Connect(5000ms);
  ASSERT_TRUE(c.ok());
  for (const std::string timeout : {"+1", "0x1", "1e0", "1.0"}) {
    const auto start = std::chrono::steady_clock::now();
    Reply r = c.Command({"BLPOP", "nothing-here", timeout});
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(r.IsNil()) << timeout << ": " << r.Describe() << " " << c.error();
    EXPECT_GE(took, 900ms) << timeout;
    EXPECT_LT(took, 3000ms) << timeout;
  }
  EXPECT_TRUE(c.Command({"BLPOP", "q", "-1"}).IsErrorPrefix("ERR timeout is negative"));
  EXPECT_TRUE(c.Command({"BLPOP", "q", "1x"}).IsErrorPrefix("ERR timeout is not a float"));

  // 9.2e15 s is about INT64_MAX ms: parked (for good), and a push still wakes it.
  Client waiter = respite_->Connect(5000ms);
  waiter.Append({"BLPOP", "huge", "9223372036854775"});
  ASSERT_TRUE(waiter.Flush());
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(c.Command({"RPUSH", "huge", "v"}).IsInteger(1));
  Reply woke = waiter.GetReply();
  EXPECT_EQ(woke.Describe(), R"(["huge","v"])");
}

// Each blocked client holds an upstream connection of its own: upstream.max_dedicated caps them
// below upstream's maxclients, so 20 idle BLPOPs against a Redis with maxclients 16 get respite's
// clear error past 10 instead of upstream's refusals, and respite never takes that for an outage.
TEST_F(BoundsTest, DedicatedConnectionsAreCappedBelowUpstreamsMaxclients) {
  RespiteOptions options;
  options.env = {"RESPITE_UPSTREAM_MAX_DEDICATED=10", "RESPITE_HEALTH_INTERVAL_MS=100"};
  RedisOptions redis_options;
  redis_options.extra_args = {"--maxclients", "16"};
  Start(options, redis_options);
  std::vector<std::unique_ptr<RawConnection>> waiters;  // the blocked ones
  std::vector<std::unique_ptr<RawConnection>> turned_away;
  int blocked = 0, refused = 0;
  for (int i = 0; i < 20; ++i) {
    auto c = std::make_unique<RawConnection>(respite_->port());
    ASSERT_TRUE(c->ok());
    c->SendCommand({"BLPOP", "jobs", "0"});
    auto reply = c->ReadResp3(300ms);
    if (!reply) {
      ++blocked;  // still waiting, as it should
      waiters.push_back(std::move(c));
    } else {
      EXPECT_EQ(reply->str.rfind("ERR max number of dedicated upstream connections reached", 0), 0u)
          << reply->Describe();
      ++refused;
      turned_away.push_back(std::move(c));
    }
  }
  EXPECT_EQ(blocked, 10);
  EXPECT_EQ(refused, 10);
  // Ordinary commands still go upstream, and respite did not fail over.
  Client other = respite_->Connect();
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other.Command({"SET", "still", "forwarded"}).IsStatus("OK"));
  Client direct = redis_->Connect();
  EXPECT_TRUE(direct.Command({"GET", "still"}).IsString("forwarded"));
  const std::string status = HttpRequest(respite_->admin_port(), "GET", "/status").body;
  EXPECT_NE(status.find("\"state\":\"forward\""), std::string::npos) << status;
  EXPECT_NE(status.find("\"transitions\":0"), std::string::npos) << status;
  EXPECT_NE(status.find("\"dedicated_upstream_connections\":10"), std::string::npos) << status;
  EXPECT_EQ(respite_->Log().find("max number of clients reached"), std::string::npos)
      << respite_->Log();

  // The blocked ones get their jobs; their connections go back, and BLPOP works again.
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(direct.Command({"RPUSH", "jobs", "j" + std::to_string(i)}).IsInteger(1));
  }
  int served = 0;
  for (auto& c : waiters) {
    auto reply = c->ReadResp3(3000ms);
    if (reply && reply->type == '*' && reply->elems.size() == 2) ++served;
  }
  EXPECT_EQ(served, 10);
  waiters.clear();
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string s = HttpRequest(respite_->admin_port(), "GET", "/status").body;
        return s.find("\"dedicated_upstream_connections\":0") != std::string::npos;
      },
      5s));
  EXPECT_TRUE(other.Command({"BLPOP", "jobs", "0.1"}).IsNil());
  EXPECT_TRUE(direct.Command({"GET", "still"}).IsString("forwarded"));
}

}  // namespace
}  // namespace respite::test
