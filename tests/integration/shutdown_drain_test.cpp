// SIGTERM with journal entries pending: respite replays them upstream before it exits when
// upstream answers (a pod deleted after an outage keeps nothing behind), and says exactly what it
// leaves in the data dir when upstream does not (or the mode is pinned to local). Real processes:
// respite serving locally because its Redis is down, health checks too rare to notice Redis come
// back, so only the shutdown drain can move the entries.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "tests/support/client.h"
#include "tests/support/redis_server.h"
#include "tests/support/respite_process.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;

constexpr int kWrites = 300;

class ShutdownDrainTest : public ::testing::Test {
 protected:
  // Starts Redis (to learn its port), kills it, and starts respite in front of that port: respite
  // serves locally and journals `kWrites` SETs.
  void StartLocal(std::vector<std::string> extra_args = {}) {
    redis_ = std::make_unique<RedisServer>();
    ASSERT_EQ(redis_->Start(), "");
    redis_->Kill();
    RespiteOptions options;
    options.upstream_url = redis_->Url();
    options.log_level = "info";
    options.wait_for_pong = false;
    // One health check a minute: Redis coming back goes unnoticed until the shutdown.
    options.env = {"RESPITE_HEALTH_INTERVAL_MS=60000"};
    options.extra_args = std::move(extra_args);
    respite_ = std::make_unique<RespiteProcess>(options);
    ASSERT_EQ(respite_->Start(), "");
    Client c = respite_->Connect();
    ASSERT_TRUE(c.ok());
    for (int i = 0; i < kWrites; ++i) {
      const Reply r = c.Command({"SET", "sd:" + std::to_string(i), "v" + std::to_string(i)});
      ASSERT_TRUE(r.IsStatus("OK")) << "SET " << i << ": " << r.Describe();
    }
    const Reply len = c.Command({"RESPITE", "JOURNAL", "LEN"});
    ASSERT_TRUE(len && len->type == REDIS_REPLY_INTEGER) << len.Describe();
    ASSERT_EQ(len->integer, kWrites);
  }

  // SIGTERM; respite must exit 0 within the shutdown timeout (5 s) and a margin.
  void Terminate() {
    const auto start = std::chrono::steady_clock::now();
    auto status = respite_->process().Terminate(10s);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    ASSERT_TRUE(status) << "respite still running 10 s after SIGTERM; log:\n" << respite_->Log();
    EXPECT_TRUE(status->Success()) << status->ToString() << "\nlog:\n" << respite_->Log();
    EXPECT_LT(ms, 5000 + 2000) << "exit took longer than the shutdown timeout";
  }

  int InRedis() {
    Client direct = redis_->Connect();
    int found = 0;
    for (int i = 0; i < kWrites; ++i) {
      found += direct.Command({"GET", "sd:" + std::to_string(i)}).IsString("v" + std::to_string(i));
    }
    return found;
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<RespiteProcess> respite_;
};

TEST_F(ShutdownDrainTest, PendingEntriesGoUpstreamBeforeExitWhenItAnswers) {
  StartLocal();
  ASSERT_EQ(redis_->Restart(), "");  // back, empty; respite has not noticed
  Terminate();
  EXPECT_EQ(InRedis(), kWrites) << respite_->Log();
  const std::string log = respite_->Log();
  EXPECT_NE(log.find("shutdown: 300 journal entries pending; replaying them upstream"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("shutdown: replayed all 300 journal entries upstream"), std::string::npos)
      << log;
}

TEST_F(ShutdownDrainTest, WhatIsLeftIsLoggedWhenUpstreamIsDown) {
  StartLocal();
  Terminate();
  const std::string log = respite_->Log();
  EXPECT_NE(log.find("shutdown: 300 journal entries ("), std::string::npos) << log;
  EXPECT_NE(log.find("they replay when respite starts again on this data dir"), std::string::npos)
      << log;
}

TEST_F(ShutdownDrainTest, PinnedLocalModeKeepsTheJournal) {
  StartLocal();
  {
    Client admin = respite_->Connect();
    ASSERT_TRUE(admin.Command({"RESPITE", "MODE", "local"}).IsStatus("OK"));
  }
  ASSERT_EQ(redis_->Restart(), "");
  Terminate();
  EXPECT_EQ(InRedis(), 0);
  const std::string log = respite_->Log();
  EXPECT_NE(log.find("(mode is pinned to local; 0 replayed)"), std::string::npos) << log;
}

}  // namespace
}  // namespace respite::test
