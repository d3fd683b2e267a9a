// The store executor's pipelined commit, on a real store and executor thread with the store's
// writes held or failed from the test: no reply leaves before its batch's write returned (under
// every fsync policy), a chunk executing on top of a batch in flight reads its writes, and a failed
// write fails exactly the commands of its batch and of the batches executed on top of it.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proxy/store_executor.h"
#include "storage/clock.h"
#include "storage/local_session.h"
#include "storage/local_store.h"
#include "tests/storage/write_gate.h"

namespace respite::proxy {
namespace {

using namespace std::chrono_literals;

// Replies by request index, as the executor hands them out.
class Replies {
 public:
  explicit Replies(size_t n) : replies_(n), got_(n, false) {}
  StoreExecutor::ReplyFn For(size_t i) {
    return [this, i](std::string reply) {
      std::lock_guard lock(mu_);
      replies_[i] = std::move(reply);
      got_[i] = true;
      ++count_;
      cv_.notify_all();
    };
  }
  size_t count() {
    std::lock_guard lock(mu_);
    return count_;
  }
  bool WaitAll(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return count_ == replies_.size(); });
  }
  std::string operator[](size_t i) {
    std::lock_guard lock(mu_);
    return replies_[i];
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> replies_;
  std::vector<bool> got_;
  size_t count_ = 0;
};

class PipelineTest : public ::testing::TestWithParam<storage::Fsync> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/respite-pipeline-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    storage::EngineOptions options;
    options.dir = dir_ + "/store";
    options.fsync = GetParam();
    options.before_write = [this] { return gate_.BeforeWrite(); };
    auto store = storage::LocalStore::Open(options, &clock_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    executor_ = std::make_unique<StoreExecutor>(std::move(store).value(), &clock_,
                                                GetParam() == storage::Fsync::kEverySec);
  }
  void TearDown() override {
    gate_.Release();
    if (executor_) executor_->Stop();
    executor_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Submits every command in one batch (as one io thread's turn would); replies land in *out.
  void Submit(const std::vector<std::vector<std::string>>& commands, Replies* out) {
    std::vector<StoreExecutor::Request> batch(commands.size());
    for (size_t i = 0; i < commands.size(); ++i) {
      batch[i].session = session_;
      batch[i].argv = commands[i];
      batch[i].done = out->For(i);
    }
    executor_->SubmitBatch(batch);
  }

  std::string Run(std::vector<std::string> argv) {
    Replies r(1);
    Submit({std::move(argv)}, &r);
    EXPECT_TRUE(r.WaitAll(10s));
    return r[0];
  }

  static std::vector<std::vector<std::string>> Sets(size_t n) {
    std::vector<std::vector<std::string>> commands;
    for (size_t i = 0; i < n; ++i) {
      commands.push_back({"SET", "k" + std::to_string(i), "v" + std::to_string(i)});
    }
    return commands;
  }

  storage::SystemClock clock_;
  storage::WriteGate gate_;
  std::string dir_;
  std::shared_ptr<storage::LocalSession> session_ = std::make_shared<storage::LocalSession>();
  std::unique_ptr<StoreExecutor> executor_;
};

TEST_P(PipelineTest, NoReplyLeavesBeforeItsBatchIsWritten) {
  // Three chunks: the first is handed to the commit thread and held there while the second
  // executes, reading what the first wrote.
  const size_t n = 3 * StoreExecutor::kChunk;
  auto commands = Sets(n);
  commands[StoreExecutor::kChunk] = {"GET", "k0"};
  commands[StoreExecutor::kChunk + 1] = {"APPEND", "k1", "+"};
  Replies replies(n);
  const int writes_before = gate_.started();
  gate_.Hold();
  Submit(commands, &replies);
  gate_.WaitStarted(writes_before + 1);
  std::this_thread::sleep_for(200ms);  // the next chunk executes meanwhile, then waits
  EXPECT_EQ(replies.count(), 0u) << "a reply left before its batch was written";
  EXPECT_EQ(gate_.started(), writes_before + 1) << "one batch in flight at a time";
  gate_.Release();
  ASSERT_TRUE(replies.WaitAll(10s));
  EXPECT_EQ(replies[StoreExecutor::kChunk], "$2\r\nv0\r\n");
  EXPECT_EQ(replies[StoreExecutor::kChunk + 1], ":3\r\n");
  for (size_t i = 0; i < n; ++i) {
    if (i != StoreExecutor::kChunk && i != StoreExecutor::kChunk + 1) {
      ASSERT_EQ(replies[i], "+OK\r\n") << i;
    }
  }
  EXPECT_GE(gate_.started(), writes_before + 2) << "the group was written in more than one batch";
  EXPECT_EQ(Run({"GET", "k1"}), "$3\r\nv1+\r\n");
}

TEST_P(PipelineTest, AFailedWriteFailsExactlyItsBatchAndTheOnesOnTop) {
  // Three chunks; the second chunk's write fails. The first is stored; the second and the third
  // (executed on top of the second while it was in flight) are not, and say so.
  const size_t n = 3 * StoreExecutor::kChunk;
  auto commands = Sets(n);
  Replies replies(n);
  gate_.FailWrite(2);
  Submit(commands, &replies);
  ASSERT_TRUE(replies.WaitAll(10s));
  for (size_t i = 0; i < StoreExecutor::kChunk; ++i) ASSERT_EQ(replies[i], "+OK\r\n") << i;
  for (size_t i = StoreExecutor::kChunk; i < n; ++i) {
    ASSERT_EQ(replies[i].rfind("-ERR local store: ", 0), 0u) << i << ": " << replies[i];
  }
  EXPECT_NE(replies[StoreExecutor::kChunk].find("injected write failure"), std::string::npos)
      << replies[StoreExecutor::kChunk];
  EXPECT_NE(replies[n - 1].find("injected write failure"), std::string::npos) << replies[n - 1];

  // The store, its key cache and its journal agree with the replies.
  EXPECT_EQ(Run({"DBSIZE"}), ":" + std::to_string(StoreExecutor::kChunk) + "\r\n");
  EXPECT_EQ(Run({"GET", "k0"}), "$2\r\nv0\r\n");
  EXPECT_EQ(Run({"EXISTS", "k" + std::to_string(StoreExecutor::kChunk)}), ":0\r\n");
  EXPECT_EQ(Run({"EXISTS", "k" + std::to_string(n - 1)}), ":0\r\n");
  EXPECT_EQ(executor_->Call([](storage::LocalStore& s) { return s.journal().pending_entries(); }),
            StoreExecutor::kChunk);
}

INSTANTIATE_TEST_SUITE_P(Fsync, PipelineTest,
                         ::testing::Values(storage::Fsync::kAlways, storage::Fsync::kEverySec,
                                           storage::Fsync::kNo),
                         [](const ::testing::TestParamInfo<storage::Fsync>& info) {
                           switch (info.param) {
                             case storage::Fsync::kAlways:
                               return "always";
                             case storage::Fsync::kEverySec:
                               return "everysec";
                             case storage::Fsync::kNo:
                               return "no";
                           }
                           return "unknown";
                         });

}  // namespace
}  // namespace respite::proxy
