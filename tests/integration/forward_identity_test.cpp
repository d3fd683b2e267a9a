// Forwarding indistinguishable from Redis where a proxy is easy to tell apart: what a client
// subscribed to nothing gets from UNSUBSCRIBE, client identity (CLIENT ID, LIST, INFO, KILL,
// UNBLOCK with respite's own ids) and ACL users defined upstream. Real redis-server and respite
// processes; where Redis' answer is the measure, the same bytes are read from Redis directly.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/client.h"
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

}  // namespace
}  // namespace respite::test
