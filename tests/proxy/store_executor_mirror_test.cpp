// fallback.warm: writes queues mirrored writes to the store thread within a byte bound: past it a
// mirror is dropped and counted, and what a mirror reserved comes back once the store thread has
// taken it off the queue. A real store and executor thread.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <future>
#include <memory>
#include <string>

#include "proxy/store_executor.h"
#include "storage/clock.h"
#include "storage/local_session.h"
#include "storage/local_store.h"

namespace respite::proxy {
namespace {

class MirrorBoundTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/respite-mirror-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    storage::EngineOptions options;
    options.dir = dir_ + "/store";
    auto store = storage::LocalStore::Open(options, &clock_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    executor_ = std::make_unique<StoreExecutor>(std::move(store).value(), &clock_, false);
  }
  void TearDown() override {
    if (executor_) executor_->Stop();
    executor_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Runs a command as a client would and waits for its reply.
  std::string Run(std::vector<std::string> argv) {
    std::promise<std::string> reply;
    std::vector<StoreExecutor::Request> batch(1);
    batch[0].session = session_;
    batch[0].argv = std::move(argv);
    batch[0].done = [&reply](std::string r) { reply.set_value(std::move(r)); };
    executor_->SubmitBatch(batch);
    return reply.get_future().get();
  }

  storage::SystemClock clock_;
  std::string dir_;
  std::shared_ptr<storage::LocalSession> session_ = std::make_shared<storage::LocalSession>();
  std::unique_ptr<StoreExecutor> executor_;
};

TEST_F(MirrorBoundTest, PastTheBoundMirrorsAreDroppedAndTheRoomComesBackOnceTheyRan) {
  ASSERT_TRUE(executor_->ReserveMirror(StoreExecutor::kMaxMirrorBytes));
  EXPECT_FALSE(executor_->ReserveMirror(1));
  EXPECT_EQ(executor_->mirrors_dropped(), 1u);

  std::vector<StoreExecutor::Request> batch(1);
  batch[0].session = std::make_shared<storage::LocalSession>();
  batch[0].argv = {"SET", "mirrored", "v"};
  batch[0].mirror = true;
  batch[0].mirror_bytes = StoreExecutor::kMaxMirrorBytes;
  executor_->SubmitBatch(batch);
  // Queued after the mirror: once it is answered, the mirror has run.
  EXPECT_EQ(Run({"GET", "mirrored"}), "$1\r\nv\r\n");
  EXPECT_TRUE(executor_->ReserveMirror(StoreExecutor::kMaxMirrorBytes));
  EXPECT_EQ(executor_->mirrors_dropped(), 1u);
}

}  // namespace
}  // namespace respite::proxy
