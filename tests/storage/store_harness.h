#pragma once
// Runs commands through the real LocalStore dispatcher on RocksDB in a fresh temp dir, with a
// fake clock, and returns raw RESP reply bytes.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/clock.h"
#include "storage/journal.h"
#include "storage/local_store.h"

namespace respite::storage {

// One command through a store, its raw reply.
inline std::string RunOn(LocalStore& store, LocalSession& session,
                         const std::vector<std::string>& argv) {
  std::vector<std::string_view> views(argv.begin(), argv.end());
  std::string out;
  store.Execute(session, views, &out);
  return out;
}

// Every journal entry on disk, as the replayer reads them; none may be corrupt.
inline std::vector<JournalEntry> JournalOf(LocalStore& store) {
  std::vector<JournalEntry> entries;
  size_t corrupt = 0;
  const Status s = store.journal().Read(0, SIZE_MAX, SIZE_MAX, &entries, &corrupt);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(corrupt, 0u);
  return entries;
}

class StoreHarness {
 public:
  explicit StoreHarness(Fsync fsync = Fsync::kNo) {
    char tmpl[] = "/tmp/respite-store-XXXXXX";
    dir_ = mkdtemp(tmpl);
    Reopen(fsync);
  }
  ~StoreHarness() {
    store.reset();
    std::filesystem::remove_all(dir_);
  }

  // Closes and reopens the store on the same data dir (crash-free restart).
  void Reopen(Fsync fsync = Fsync::kNo) {
    store.reset();
    EngineOptions options;
    options.dir = dir_;
    options.fsync = fsync;
    auto opened = LocalStore::Open(options, &clock, limits);
    if (!opened.ok()) {
      ADD_FAILURE() << "open failed: " << opened.status().ToString();
      return;
    }
    store = std::move(opened).value();
  }

  std::string Run(std::initializer_list<std::string_view> argv) {
    return Run(std::vector<std::string_view>(argv));
  }
  std::string Run(const std::vector<std::string_view>& argv) {
    std::string out;
    store->Execute(session, argv, &out);
    return out;
  }
  std::string Run(const std::vector<std::string>& argv) {
    return Run(std::vector<std::string_view>(argv.begin(), argv.end()));
  }

  const std::string& dir() const { return dir_; }

  FakeClock clock;
  JournalLimits limits;  // used by the next Reopen()
  LocalSession session;
  std::unique_ptr<LocalStore> store;

 private:
  std::string dir_;
};

}  // namespace respite::storage
