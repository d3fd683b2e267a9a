// A full disk under the local store, for real: respite serves locally on a data dir that is a
// tmpfs, clients write 20 KB values until it is full. respite must stay up, refuse writes with a
// clear error, keep serving reads, say why on /readyz, /status and /metrics, take writes again by
// itself once the file system grows, and after a restart hold every write it acknowledged. With
// the default reserve (storage.min_free_disk) respite refuses before the disk is full, and RocksDB
// never meets a full disk; without one, RocksDB's own full-disk errors are what refuses. Needs root
// (mount); elsewhere the tests are skipped and say so.

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/client.h"
#include "tests/support/http_client.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/respite_process.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;

const std::string kValue(20000, 'x');

class DiskFullTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (respite_) respite_->process().Kill();
    if (mounted_) ::umount2(respite_->data_dir().c_str(), MNT_DETACH);
  }

  // The data dir becomes a tmpfs of `size` ("16m"); false when mounting is not allowed here.
  bool Mount(const char* options, unsigned long flags = 0) {
    return ::mount("tmpfs", respite_->data_dir().c_str(), "tmpfs", flags, options) == 0;
  }

  double Metric(const std::string& name) {
    HttpResponse r = HttpRequest(respite_->admin_port(), "GET", "/metrics");
    return ParsePrometheusText(r.body).Value(name);
  }

  std::unique_ptr<RespiteProcess> respite_;
  bool mounted_ = false;
};

// Clients write 20 KB values until refused (50 refusals each); every acknowledged key is returned.
std::set<std::string> WriteUntilRefused(RespiteProcess& respite, std::vector<std::string>* errors) {
  std::mutex mu;
  std::set<std::string> acked;
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      Client c = respite.Connect();
      int refused = 0;
      for (int i = 0; refused < 50 && i < 5000; ++i) {
        const std::string key = "full:" + std::to_string(w) + ":" + std::to_string(i);
        const Reply r = c.Command({"SET", key, kValue});
        std::lock_guard lock(mu);
        if (r.IsStatus("OK")) {
          acked.insert(key);
        } else {
          ++refused;
          errors->push_back(r.Describe());
        }
      }
    });
  }
  for (std::thread& t : writers) t.join();
  return acked;
}

// Every acknowledged key is there after a clean restart.
void ExpectAllAfterRestart(RespiteProcess& respite, const std::set<std::string>& acked) {
  auto exit = respite.process().Terminate(10s);
  ASSERT_TRUE(exit && exit->Success()) << (exit ? exit->ToString() : "still running");
  ASSERT_EQ(respite.Start(), "");
  Client again = respite.Connect();
  size_t missing = 0;
  for (const std::string& key : acked)
    missing += again.Command({"EXISTS", key}).IsInteger(1) ? 0 : 1;
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged writes";
}

// Writes `path` until the file system holding `dir` has about `free_bytes` left.
bool FillTo(const std::string& dir, const std::string& path, uint64_t free_bytes) {
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0) return false;
  const uint64_t free = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (free <= free_bytes) return true;
  std::ofstream out(path, std::ios::binary);
  const std::string chunk(1 << 16, 'b');
  for (uint64_t left = free - free_bytes; left > 0 && out;) {
    const uint64_t n = std::min<uint64_t>(left, chunk.size());
    out.write(chunk.data(), static_cast<std::streamsize>(n));
    left -= n;
  }
  out.close();
  return static_cast<bool>(out);
}

RespiteOptions LocalOptions() {
  RespiteOptions options;
  options.upstream_url = "redis://127.0.0.1:1";  // nothing there: local from the start
  options.wait_for_pong = false;
  options.log_level = "info";
  options.extra_args = {"--mode", "local"};
  return options;
}

TEST_F(DiskFullTest, TheReserveRefusesWritesBeforeTheDiskIsFull) {
  respite_ = std::make_unique<RespiteProcess>(LocalOptions());  // the default 64 MB reserve
  std::filesystem::create_directories(respite_->data_dir());
  if (!Mount("size=96m")) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
  }
  mounted_ = true;
  ASSERT_EQ(respite_->Start(), "");
  std::vector<std::string> errors;
  std::set<std::string> acked = WriteUntilRefused(*respite_, &errors);
  ASSERT_FALSE(errors.empty()) << "never refused (" << acked.size() << " writes)";
  ASSERT_GT(acked.size(), 100u);
  for (const std::string& e : errors) {
    ASSERT_NE(e.find("ERR local store: disk nearly full: "), std::string::npos) << e;
    ASSERT_NE(e.find("the store keeps 64 MB free; writes are refused until the disk takes them"),
              std::string::npos)
        << e;
  }

  // The store's own background work can give space back right after the refusals (a flush
  // compresses the WAL it deletes), and respite then rightly takes writes again. A ballast file
  // next to the store keeps the disk well under the reserve while the refusal is looked at.
  const std::string ballast = respite_->data_dir() + "/ballast";
  ASSERT_TRUE(FillTo(respite_->data_dir(), ballast, 32 << 20));

  // Reads and deletes are served meanwhile, and it says why it refuses.
  Client c = respite_->Connect();
  EXPECT_TRUE(c.Command({"GET", *acked.begin()}).IsString(kValue));
  EXPECT_TRUE(c.Command({"DEL", *acked.begin()}).IsInteger(1));
  acked.erase(acked.begin());
  EXPECT_NE(c.Command({"SET", "full:refused", kValue}).Describe().find("disk nearly full"),
            std::string::npos);
  HttpResponse ready = HttpRequest(respite_->admin_port(), "GET", "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("the local store refuses writes: disk nearly full"), std::string::npos)
      << ready.body;
  EXPECT_TRUE(WaitFor([&] { return Metric("respite_store_writes_refused") == 1; }, 5s));

  // Room again: taken back within a tick, without a write asking first.
  ASSERT_TRUE(Mount("size=192m", MS_REMOUNT)) << std::strerror(errno);
  EXPECT_TRUE(WaitFor([&] { return Metric("respite_store_writes_refused") == 0; }, 5s));
  EXPECT_TRUE(c.Command({"SET", "full:after", "v"}).IsStatus("OK"));
  acked.insert("full:after");
  EXPECT_EQ(HttpRequest(respite_->admin_port(), "GET", "/readyz").status, 200);
  EXPECT_EQ(respite_->Log().find("No space left on device"), std::string::npos)
      << "RocksDB met the full disk:\n"
      << respite_->Log();
  ExpectAllAfterRestart(*respite_, acked);
  std::cerr << "reserve: " << acked.size() << " writes acknowledged, " << errors.size()
            << " refused before the disk filled, all there after a restart\n";
}

TEST_F(DiskFullTest, WithoutAReserveWritesAreRefusedReadsServedAndWritesComeBackWithSpace) {
  RespiteOptions options = LocalOptions();
  options.env = {"RESPITE_STORAGE_MIN_FREE_DISK=0"};
  respite_ = std::make_unique<RespiteProcess>(options);
  std::filesystem::create_directories(respite_->data_dir());
  if (!Mount("size=16m")) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
  }
  mounted_ = true;
  ASSERT_EQ(respite_->Start(), "");

  // Two writers until the disk is full; every acknowledged key is remembered.
  std::vector<std::string> errors;
  std::set<std::string> acked = WriteUntilRefused(*respite_, &errors);
  ASSERT_FALSE(errors.empty()) << "the disk never filled (" << acked.size() << " writes)";
  ASSERT_GT(acked.size(), 100u);
  EXPECT_NE(errors.back().find("No space left on device"), std::string::npos) << errors.back();
  EXPECT_NE(errors.back().find("writes are refused until the disk takes them again"),
            std::string::npos)
      << errors.back();

  // Up, reads served, and it says why.
  Client c = respite_->Connect();
  ASSERT_TRUE(c.Command({"PING"}).IsStatus("PONG")) << respite_->Log();
  EXPECT_TRUE(c.Command({"GET", *acked.begin()}).IsString(kValue));
  EXPECT_TRUE(c.Command({"STRLEN", *acked.rbegin()}).IsInteger(20000));
  HttpResponse ready = HttpRequest(respite_->admin_port(), "GET", "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("the local store refuses writes: IO error: No space left on device"),
            std::string::npos)
      << ready.body;
  EXPECT_TRUE(WaitFor([&] { return Metric("respite_store_writes_refused") == 1; }, 5s));
  HttpResponse status = HttpRequest(respite_->admin_port(), "GET", "/status");
  EXPECT_NE(status.body.find("\"writes_refused\":true"), std::string::npos) << status.body;

  // Room again: writes succeed without a restart.
  ASSERT_TRUE(Mount("size=64m", MS_REMOUNT)) << std::strerror(errno);
  std::string last;
  ASSERT_TRUE(WaitFor(
      [&] {
        const Reply r = c.Command({"SET", "full:after", "v"});
        last = r.Describe();
        return r.IsStatus("OK");
      },
      30s))
      << "writes still refused 30 s after space came back: " << last << "\n"
      << respite_->Log();
  acked.insert("full:after");
  EXPECT_TRUE(WaitFor([&] { return Metric("respite_store_writes_refused") == 0; }, 5s));
  EXPECT_EQ(HttpRequest(respite_->admin_port(), "GET", "/readyz").status, 200);

  // Every acknowledged write is there after a restart.
  ExpectAllAfterRestart(*respite_, acked);
  std::cerr << "disk full: " << acked.size() << " writes acknowledged, " << errors.size()
            << " refused, writes back after the remount, all there after a restart\n";
}

// A store directory that cannot be made private (here on a file system mounted read-only, so
// chmod fails) stops respite at start with the reason: it never keeps a journal others can read.
TEST_F(DiskFullTest, AStoreThatCannotBeMadePrivateIsRefused) {
  RespiteOptions options;
  options.upstream_url = "redis://127.0.0.1:1";
  options.wait_for_pong = false;
  respite_ = std::make_unique<RespiteProcess>(options);
  std::filesystem::create_directories(respite_->data_dir());
  if (!Mount("size=1m")) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
  }
  mounted_ = true;
  const std::string store = respite_->data_dir() + "/store";
  ASSERT_EQ(::mkdir(store.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(store.c_str(), 0755), 0);
  ASSERT_EQ(
      ::mount("tmpfs", respite_->data_dir().c_str(), nullptr, MS_REMOUNT | MS_RDONLY, "size=1m"), 0)
      << std::strerror(errno);
  const std::string error = respite_->Start();
  EXPECT_NE(error, "") << "respite started on a store others can read";
  EXPECT_NE(respite_->Log().find("cannot make " + store + " private"), std::string::npos)
      << respite_->Log();
  EXPECT_TRUE(WaitFor([&] { return !respite_->process().Running(); }, 5s))
      << "respite is still running";
}

}  // namespace
}  // namespace respite::test
