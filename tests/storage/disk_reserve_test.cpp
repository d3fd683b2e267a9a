// The disk-space reserve (EngineOptions::min_free_bytes, storage.min_free_disk): while the data
// dir's file system has less free, commands that add data are refused before they run, as Redis
// refuses them at maxmemory; reads, deletes and FLUSHDB go on, and nothing refused is stored or
// journaled.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/statvfs.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "storage/clock.h"
#include "storage/local_store.h"
#include "tests/storage/store_harness.h"

namespace respite::storage {
namespace {

class DiskReserveTest : public ::testing::Test {
 protected:
  DiskReserveTest() {
    char tmpl[] = "/tmp/respite-reserve-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~DiskReserveTest() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open(uint64_t min_free_bytes) {
    store_.reset();
    EngineOptions options;
    options.dir = dir_;
    options.min_free_bytes = min_free_bytes;
    auto opened = LocalStore::Open(options, &clock_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }
  uint64_t FreeBytes() {
    struct statvfs fs {};
    EXPECT_EQ(::statvfs(dir_.c_str(), &fs), 0);
    return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  }
  std::string Run(const std::vector<std::string>& argv) { return RunOn(*store_, session_, argv); }

  std::string dir_;
  FakeClock clock_;
  LocalSession session_;
  std::unique_ptr<LocalStore> store_;
};

TEST_F(DiskReserveTest, BelowTheReserveWritesAreRefusedAndDeletesGoOn) {
  Open(0);
  ASSERT_EQ(Run({"SET", "a", "1"}), "+OK\r\n");
  ASSERT_EQ(Run({"SET", "b", "1"}), "+OK\r\n");
  ASSERT_EQ(Run({"RPUSH", "l", "x"}), ":1\r\n");
  const uint64_t free = FreeBytes();
  Open(free + (1ull << 40));  // a reserve this file system cannot have free

  const std::string refused = Run({"SET", "c", "1"});
  EXPECT_EQ(refused.rfind("-ERR local store: disk nearly full: ", 0), 0u) << refused;
  EXPECT_NE(refused.find("writes are refused until the disk takes them again (reads are served)"),
            std::string::npos)
      << refused;
  EXPECT_EQ(store_->engine().write_error().rfind("disk nearly full", 0), 0u);
  EXPECT_EQ(Run({"RPUSH", "l", "y"}).substr(0, 24), "-ERR local store: disk n");
  EXPECT_EQ(Run({"INCR", "a"}).substr(0, 24), "-ERR local store: disk n");
  // A script's write is refused inside it, as redis.call meets Redis' OOM refusal.
  const std::string script = Run({"EVAL", "return redis.call('SET', KEYS[1], 'v')", "1", "s"});
  EXPECT_EQ(script.rfind("-ERR local store: disk nearly full", 0), 0u) << script;
  // A transaction that adds data is refused whole, as Redis refuses its EXEC at maxmemory.
  EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(Run({"DEL", "a"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"SET", "t", "1"}), "+QUEUED\r\n");
  const std::string exec = Run({"EXEC"});
  EXPECT_EQ(exec.rfind("-EXECABORT Transaction discarded because of: ERR local store: disk nearly "
                       "full",
                       0),
            0u)
      << exec;
  EXPECT_EQ(Run({"EXEC"}), "-ERR EXEC without MULTI\r\n");
  EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(Run({"DEL", "nothing"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"EXEC"}), "*1\r\n:0\r\n");
  // Reads, deletes and a flush are served: they make room.
  EXPECT_EQ(Run({"GET", "a"}), "$1\r\n1\r\n");
  EXPECT_EQ(Run({"DEL", "b"}), ":1\r\n");
  EXPECT_EQ(Run({"LPOP", "l"}), "$1\r\nx\r\n");
  EXPECT_EQ(Run({"DBSIZE"}), ":1\r\n");

  std::vector<std::string> journaled;
  for (const JournalEntry& e : JournalOf(*store_)) journaled.push_back(e.argv[0]);
  // (LPOP is journaled as the LREM that removes what it popped.)
  EXPECT_EQ(journaled, (std::vector<std::string>{"SET", "SET", "RPUSH", "DEL", "LREM"}));

  Open(1 << 20);  // room again
  EXPECT_EQ(Run({"SET", "c", "1"}), "+OK\r\n");
  EXPECT_EQ(store_->engine().write_error(), "");
  EXPECT_EQ(Run({"MGET", "a", "b", "c", "s"}), "*4\r\n$1\r\n1\r\n$-1\r\n$1\r\n1\r\n$-1\r\n");
}

}  // namespace
}  // namespace respite::storage
