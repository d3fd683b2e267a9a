// Faults injected inside RocksDB's own file I/O (WAL, SST, blob, MANIFEST, CURRENT, directories)
// under the real local store. Debian's librocksdb keeps its assertions (no NDEBUG): an error path
// that trips one aborts respite. These tests drive every error path respite reaches and check
// that none aborts, that commands answer "-ERR local store: ...", that the store recovers, and
// that no acknowledged write (nor its journal entry) is lost.

#include <gtest/gtest.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "storage/clock.h"
#include "storage/journal.h"
#include "storage/local_store.h"
#include "tests/storage/fault_fs.h"
#include "tests/storage/reply_tree.h"
#include "tests/storage/store_harness.h"

namespace respite::storage {
namespace {

using namespace std::chrono_literals;
using namespace fault_fs;

// ---- The store under test ----

bool StoreError(std::string_view reply) { return reply.starts_with("-ERR local store: "); }

std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

// A value whose first bytes name it: "<token>|xxxx..." of `size` bytes.
std::string Value(const std::string& token, size_t size) {
  std::string v = token + "|";
  v.resize(std::max(size, v.size()), 'x');
  return v;
}
// What the model keeps of a value: its token and size.
std::string Digest(std::string_view v) {
  return std::string(v.substr(0, v.find('|'))) + "|" + std::to_string(v.size());
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

std::string Signature(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) out += Digest(a) + " ";
  return out;
}

class RocksDbFaults : public ::testing::Test {
 protected:
  RocksDbFaults() {
    char tmpl[] = "/tmp/respite-faults-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~RocksDbFaults() override {
    fs_->Disarm();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override {
    std::printf("[ faults   ] %s\n", fs_->Counters().c_str());
    RecordProperty("faults", fs_->Counters());
  }

  // Opens the store on the faulty file system (faulty) or on RocksDB's default one.
  Status Open(Fsync fsync, bool faulty = true) {
    store_.reset();
    fsync_ = fsync;
    EngineOptions o;
    o.dir = dir_;
    o.fsync = fsync;
    o.env = faulty ? env_.get() : nullptr;
    // Small memtables and caches: flushes, compactions and file reads happen at test sizes.
    o.memtable_bytes = 256 << 10;
    o.total_memtable_bytes = 4 << 20;
    o.block_cache_bytes = block_cache_bytes_;
    o.log = [](bool, std::string_view) {};  // RocksDB's warnings are expected here
    auto opened = LocalStore::Open(o, &clock_);
    if (!opened.ok()) return opened.status();
    store_ = std::move(opened).value();
    return Status::Ok();
  }
  void Reopen(bool faulty = true) {
    const Status s = Open(fsync_, faulty);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::string Run(const std::vector<std::string>& argv) { return RunOn(*store_, session_, argv); }

  std::vector<JournalEntry> Journaled() { return JournalOf(*store_); }

  // Waits (real time: the engine calls Resume() at most once a second; after a full disk
  // RocksDB's own recovery may hold it for 5 s more) until a write goes through again.
  bool WritesResume(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    do {
      std::this_thread::sleep_for(200ms);
      if (Run({"SET", "probe", "1"}) == "+OK\r\n") return true;
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
  }

  // ---- f. The randomized soak (defined below) ----
  // A key's state (see Probe) as last acknowledged, and those that writes which failed
  // ambiguously (their WAL record may be in the file) may have left instead.
  struct KeyModel {
    std::string acked;
    std::vector<std::string> maybe;
  };
  using Changes = std::map<std::string, std::string>;  // key -> state after the write
  void SoakOnce(uint32_t seed, Fsync fsync, std::chrono::milliseconds length);
  void RandomWrite(std::mt19937& rng, Changes* changes, std::vector<std::string>* argv);
  bool RunUnit(std::mt19937& rng);
  void RunPipelinedPair(std::mt19937& rng);
  void Settle(const Changes& changes, bool acked, bool ambiguous,
              const std::vector<std::vector<std::string>>& journaled, size_t commands);
  void Recover(std::mt19937& rng);
  void Resync();
  void ArmRandom(std::mt19937& rng, double max_probability);
  std::string Probe(const std::string& key);
  void VerifySoak();

  std::map<std::string, KeyModel> model_;
  std::vector<std::string> expected_journal_;  // signatures of acknowledged entries, in order
  std::map<std::string, int> maybe_journal_;   // key -> entries ambiguous failures may have left
  uint64_t ops_ = 0;
  bool refused_ = false;  // the last write failed
  std::map<std::string, int> stats_;

  std::shared_ptr<FaultFs> fs_ = std::make_shared<FaultFs>();
  std::unique_ptr<rocksdb::Env> env_ = rocksdb::NewCompositeEnv(fs_);
  std::string dir_;
  Fsync fsync_ = Fsync::kAlways;
  uint64_t block_cache_bytes_ = 1 << 20;
  FakeClock clock_;
  LocalSession session_;
  std::unique_ptr<LocalStore> store_;  // after env_: closed before it
};

// a. A WAL write that fails on a full disk fails the commands of its batch (a plain command,
// MULTI/EXEC, a script); writes are then refused with a clear error, reads are served, and once
// the disk takes writes again they go through without a restart.
TEST_F(RocksDbFaults, WalWriteFaultFailsItsBatchAndWritesResume) {
  for (Fsync fsync : {Fsync::kAlways, Fsync::kEverySec}) {
    SCOPED_TRACE(fsync == Fsync::kAlways ? "fsync always" : "fsync everysec");
    ASSERT_TRUE(Open(fsync).ok());
    const std::string p = fsync == Fsync::kAlways ? "a:" : "e:";
    ASSERT_EQ(Run({"SET", p + "kept", "1"}), "+OK\r\n");
    const uint64_t before = fs_->fired(kAppend);
    fs_->Arm(kAppend, kWal, 0, 1, /*no_space=*/true);
    std::string r = Run({"HSET", p + "h", "f", Value("lost", 100000)});
    EXPECT_TRUE(StoreError(r)) << r;
    EXPECT_NE(r.find("No space"), std::string::npos) << r;
    EXPECT_EQ(fs_->fired(kAppend), before + 1);
    r = Run({"SET", p + "refused", "1"});
    EXPECT_TRUE(StoreError(r) && r.find("writes are refused") != std::string::npos) << r;
    EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
    EXPECT_EQ(Run({"INCR", p + "c"}), "+QUEUED\r\n");
    r = Run({"EXEC"});
    EXPECT_TRUE(StoreError(r)) << r;
    r = Run({"EVAL", "return redis.call('SET', KEYS[1], 'x')", "1", p + "script"});
    EXPECT_TRUE(StoreError(r)) << r;
    EXPECT_EQ(Run({"GET", p + "kept"}), Bulk("1"));
    fs_->Disarm();
    ASSERT_TRUE(WritesResume(8s)) << "writes still refused after the disk recovered";
    EXPECT_EQ(Run({"LPUSH", p + "l", "v"}), ":1\r\n");
    EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
    EXPECT_EQ(Run({"INCR", p + "c"}), "+QUEUED\r\n");
    EXPECT_EQ(Run({"EXEC"}), "*1\r\n:1\r\n");
    EXPECT_EQ(Run({"EVAL", "return redis.call('SET', KEYS[1], 'x')", "1", p + "script"}),
              "+OK\r\n");
  }
  Reopen(/*faulty=*/false);
  for (const std::string p : {"a:", "e:"}) {
    EXPECT_EQ(Run({"GET", p + "kept"}), Bulk("1"));
    EXPECT_EQ(Run({"EXISTS", p + "h", p + "refused"}), ":0\r\n");
    EXPECT_EQ(Run({"GET", p + "c"}), Bulk("1"));
    EXPECT_EQ(Run({"LLEN", p + "l"}), ":1\r\n");
  }
  // Exactly the acknowledged writes are journaled.
  for (const JournalEntry& e : Journaled()) {
    ASSERT_GE(e.argv.size(), 2u);
    EXPECT_TRUE(e.argv[1].ends_with("kept") || e.argv[1] == "probe" || e.argv[1].ends_with(":l") ||
                e.argv[1].ends_with(":c") || e.argv[1].ends_with(":script"))
        << Signature(e.argv);
  }
}

// a. A failed fsync of the WAL (EIO) fails its write. RocksDB counts a plain I/O error on the WAL
// as fatal: Resume() refuses, and writes stay refused until the store is reopened. The record
// whose sync failed was in the file: after the reopen it may be there (as after any failed
// fsync), and everything acknowledged before is.
TEST_F(RocksDbFaults, WalSyncFaultRefusesWritesUntilReopened) {
  ASSERT_TRUE(Open(Fsync::kAlways).ok());
  ASSERT_EQ(Run({"SET", "kept", "1"}), "+OK\r\n");
  fs_->Arm(kSync, kWal, 0, 1);
  std::string r = Run({"SET", "unsure", "1"});
  EXPECT_TRUE(StoreError(r)) << r;
  EXPECT_EQ(fs_->fired(kSync), 1u);
  fs_->Disarm();
  const bool resumed = WritesResume(1500ms);
  std::printf("[ faults   ] after an fsync EIO on the WAL, writes %s without a reopen\n",
              resumed ? "resumed" : "stay refused");
  Reopen();
  EXPECT_EQ(Run({"GET", "kept"}), Bulk("1"));
  r = Run({"GET", "unsure"});
  EXPECT_TRUE(r == "$-1\r\n" || r == Bulk("1")) << r;
  std::printf("[ faults   ] the write whose fsync failed is %s after the reopen\n",
              r == "$-1\r\n" ? "absent" : "present");
  EXPECT_EQ(Run({"SET", "after", "1"}), "+OK\r\n");

  // everysec: the timer's SyncWal() fails; writes acknowledged before it survive a reopen.
  ASSERT_TRUE(Open(Fsync::kEverySec).ok());
  ASSERT_EQ(Run({"SET", "unsynced", "1"}), "+OK\r\n");
  fs_->Arm(kSync, kWal, 0, 1);
  EXPECT_FALSE(store_->SyncWal().ok());
  EXPECT_EQ(fs_->fired(kSync), 2u);
  fs_->Disarm();
  r = Run({"SET", "next", "1"});
  EXPECT_TRUE(StoreError(r)) << r;
  EXPECT_TRUE(store_->SyncWal().ok());  // refused writes: the tick only tries to resume
  Reopen(/*faulty=*/false);
  EXPECT_EQ(Run({"MGET", "kept", "after", "unsynced", "next"}),
            "*4\r\n" + Bulk("1") + Bulk("1") + Bulk("1") + "$-1\r\n");
}

// With fsync everysec a background flush syncs the WAL files it closed (SyncClosedLogs). When that
// sync fails, the store's next timer tick must not sync the same failed WAL writer again (Debian's
// RocksDB asserts in WritableFileWriter::SyncWithoutFlush, writable_file_writer.h:312, and aborts
// the process: A4 in bench/RESULTS.md): the engine asks RocksDB to resume first, and refuses
// writes while it cannot.
TEST_F(RocksDbFaults, WalSyncFaultInABackgroundFlushThenTimerSync) {
  ASSERT_TRUE(Open(Fsync::kEverySec).ok());
  ASSERT_EQ(Run({"SET", "kept", "1"}), "+OK\r\n");
  fs_->Arm(kSync, kWal, 1.0);
  // The big value fills two memtables; the next write switches them to a new WAL.
  EXPECT_EQ(Run({"SET", "big", Value("v", 300000)}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "small", "1"}), "+OK\r\n");
  std::this_thread::sleep_for(200ms);  // the background flush syncs the closed WAL, and fails
  fs_->Disarm();
  EXPECT_GT(fs_->fired(kSync), 0u);
  EXPECT_FALSE(store_->SyncWal().ok());  // the background error, instead of an abort
  EXPECT_TRUE(StoreError(Run({"SET", "refused", "1"})));
  Reopen(/*faulty=*/false);
  EXPECT_EQ(Run({"GET", "kept"}), Bulk("1"));
  EXPECT_EQ(Run({"GET", "refused"}), "$-1\r\n");
}

// b. Background work failing: memtable flushes and compactions whose SST, blob or MANIFEST
// writes fail. RocksDB enters its background-error state; respite answers errors (never aborts),
// recovers once the disk does (after a full disk: without a restart), and loses nothing.
TEST_F(RocksDbFaults, FlushAndCompactionFaultsStopWritesUntilRecovered) {
  struct Case {
    Fault fault;
    unsigned files;
    bool no_space;
  };
  const Case cases[] = {{kAppend, kSst, true},  {kAppend, kBlob, false}, {kSync, kSst, false},
                        {kClose, kSst, false},  {kCreate, kBlob, false}, {kAppend, kManifest, true},
                        {kDirSync, kAll, false}};
  ASSERT_TRUE(Open(Fsync::kAlways).ok());
  std::map<std::string, std::string> acked;
  int n = 0, fields = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(kFaultNames[c.fault]) + " files " + std::to_string(c.files));
    const uint64_t before = fs_->fired(c.fault);
    fs_->Arm(c.fault, c.files, 1.0, 0, c.no_space);
    // Into memtables (a big value, flushed at once, goes to a blob file) while the flushes fail;
    // writes go on until RocksDB stops them, and a compaction (its flush first) fails.
    for (int i = 0; i < 4; ++i, ++n) {
      const std::string key = "k" + std::to_string(n);
      const std::string v = Value(key, i == 0 ? 300000 : 100 + 1000 * i);
      if (Run({"SET", key, v}) == "+OK\r\n") acked[key] = v;
      if (Run({"HSET", "h", key, "v"}) == ":1\r\n") ++fields;
    }
    const Status compacted = store_->engine().CompactAll();
    const std::string r = Run({"SET", "during", "1"});
    EXPECT_GT(fs_->fired(c.fault), before);
    EXPECT_FALSE(compacted.ok());
    EXPECT_TRUE(StoreError(r)) << r;
    fs_->Disarm();
    const bool resumed = WritesResume(c.no_space ? 8000ms : 1200ms);
    std::printf("[ faults   ] %s: compaction %s; writes %s\n", kFaultNames[c.fault],
                compacted.ToString().c_str(), resumed ? "resumed" : "refused until reopened");
    EXPECT_TRUE(resumed || !c.no_space) << "a full disk that recovers needs no restart";
    if (!resumed) Reopen();
    EXPECT_TRUE(store_->engine().CompactAll().ok());
  }
  Reopen(/*faulty=*/false);
  for (const auto& [key, v] : acked) EXPECT_EQ(Run({"GET", key}), Bulk(v)) << key;
  EXPECT_EQ(Run({"HLEN", "h"}), ":" + std::to_string(fields) + "\r\n");
  EXPECT_EQ(Run({"EXISTS", "during"}), ":0\r\n");
}

// c. Reads of SST and blob files failing (cold caches: data read from files) answer an error,
// never a wrong or missing value, and leave writes working; once the disk reads, all is there.
TEST_F(RocksDbFaults, ReadFaultsAnswerErrorsNeverWrongData) {
  block_cache_bytes_ = 0;
  ASSERT_TRUE(Open(Fsync::kAlways).ok());
  for (int i = 0; i < 20; ++i) {
    const std::string k = std::to_string(i);
    ASSERT_EQ(Run({"SET", "s" + k, Value(k, i < 2 ? 300000 : 10 + 500 * i)}), "+OK\r\n");
    ASSERT_EQ(Run({"HSET", "h", "f" + k, Value(k, 2000)}), ":1\r\n");
    ASSERT_EQ(Run({"RPUSH", "l", Value(k, 3000)}), ":" + std::to_string(i + 1) + "\r\n");
    ASSERT_EQ(Run({"ZADD", "z", k, k}), ":1\r\n");
  }
  ASSERT_TRUE(store_->engine().CompactAll().ok());
  std::vector<std::vector<std::string>> queries = {
      {"HGETALL", "h"}, {"LRANGE", "l", "0", "-1"}, {"SCAN", "0", "COUNT", "1000"},
      {"KEYS", "*"},    {"ZRANGE", "z", "0", "-1"}, {"DBSIZE"}};
  for (int i = 0; i < 20; ++i) queries.push_back({"GET", "s" + std::to_string(i)});
  Reopen();
  std::vector<std::string> expected;
  for (const auto& q : queries) expected.push_back(Run(q));
  Reopen();  // cold again: the key cache was filled by the reads above
  fs_->Arm(kRead, kSst | kBlob, 1.0);
  int errors = 0;
  for (size_t i = 0; i < queries.size(); ++i) {
    const std::string r = Run(queries[i]);
    if (StoreError(r)) {
      ++errors;
    } else {
      EXPECT_EQ(r, expected[i]) << queries[i][0] << " " << queries[i].back();
    }
  }
  EXPECT_GT(errors, 0);
  EXPECT_GT(fs_->fired(kRead), 0u);
  fs_->Disarm();
  EXPECT_EQ(Run({"SET", "after", "1"}), "+OK\r\n");  // a failed read stops no write
  for (size_t i = 0; i < queries.size(); ++i) {
    if (queries[i][0] == "SCAN" || queries[i][0] == "KEYS" || queries[i][0] == "DBSIZE") continue;
    EXPECT_EQ(Run(queries[i]), expected[i]) << queries[i][0] << " " << queries[i].back();
  }
}

// c. A read failing inside a group (the proxy runs up to 128 commands in one batch) drops the
// group's batch, so the whole group fails, as when its write fails: no reply may claim a write
// that is gone. A script or EXEC failing that way leaves nothing behind, not even a journal entry.
TEST_F(RocksDbFaults, ReadFaultInAGroupFailsTheGroupAndLeavesNothing) {
  block_cache_bytes_ = 0;
  ASSERT_TRUE(Open(Fsync::kAlways).ok());
  ASSERT_EQ(Run({"SET", "cold", "v"}), "+OK\r\n");
  ASSERT_EQ(Run({"SET", "cold2", "v"}), "+OK\r\n");  // first read by the script below
  ASSERT_EQ(Run({"SET", "cold3", "v"}), "+OK\r\n");  // first read inside EXEC below
  ASSERT_TRUE(store_->engine().CompactAll().ok());
  Reopen();
  store_->BeginGroup();
  EXPECT_EQ(Run({"SET", "a", "1"}), "+OK\r\n");
  fs_->Arm(kRead, kSst, 1.0);
  std::string r = Run({"GET", "cold"});
  EXPECT_TRUE(StoreError(r)) << r;
  EXPECT_GT(fs_->fired(kRead), 0u);
  fs_->Disarm();
  EXPECT_EQ(Run({"SET", "b", "2"}), "+OK\r\n");
  const Status group = store_->EndGroup();
  EXPECT_FALSE(group.ok()) << "SET a was answered +OK, and its write is gone";
  EXPECT_EQ(store_->journal().pending_entries(), Journaled().size());
  EXPECT_EQ(Run({"MGET", "a", "b", "cold"}), "*3\r\n$-1\r\n$-1\r\n" + Bulk("v"));
  Reopen();
  EXPECT_EQ(Run({"MGET", "a", "b", "cold"}), "*3\r\n$-1\r\n$-1\r\n" + Bulk("v"));
  EXPECT_EQ(Journaled().size(), 3u);

  ASSERT_EQ(Run({"SET", "s", "old"}), "+OK\r\n");  // cached: the script's SET reads nothing
  fs_->Arm(kRead, kSst, 1.0);
  r = Run({"EVAL", "redis.call('SET', KEYS[1], 'new') return redis.call('GET', KEYS[2])", "2", "s",
           "cold2"});
  fs_->Disarm();
  EXPECT_TRUE(StoreError(r)) << r;

  // The same inside EXEC: its reply is that one error (the whole one: the data dir's path has
  // a '-'), and nothing of the transaction happened.
  ASSERT_EQ(Run({"SET", "m", "old"}), "+OK\r\n");
  fs_->Arm(kRead, kSst, 1.0);
  EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "m", "new"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"GET", "cold3"}), "+QUEUED\r\n");
  r = Run({"EXEC"});
  fs_->Disarm();
  EXPECT_TRUE(r.starts_with("-ERR local store: ") && r.find(dir_) != std::string::npos) << r;
  Reopen(/*faulty=*/false);
  EXPECT_EQ(Run({"MGET", "s", "m"}), "*2\r\n" + Bulk("old") + Bulk("old"));
  for (const JournalEntry& e : Journaled()) {
    EXPECT_TRUE(e.argv[2] != "new") << "rolled back, journaled: " << e.argv[0] << " " << e.argv[1];
  }
  EXPECT_EQ(Journaled().size(), 5u);  // cold, cold2, cold3, s, m
}

// c. FLUSHALL deletes three families' ranges. Whichever WAL write fails (its own, or a later
// one), the reply tells what happened: an error and every key still there, locally and (nothing
// journaled) upstream too, or OK and none left, journaled.
TEST_F(RocksDbFaults, FlushallWhoseWriteFailsLeavesEveryKey) {
  for (int skip = 0; skip < 3; ++skip) {
    SCOPED_TRACE("WAL writes let through before the fault: " + std::to_string(skip));
    ASSERT_TRUE(Open(Fsync::kAlways).ok());
    ASSERT_EQ(Run({"SET", "a", "1"}), "+OK\r\n");
    ASSERT_EQ(Run({"HSET", "h", "f", "v"}), ":1\r\n");
    const size_t journaled_before = Journaled().size();
    fs_->Arm(kAppend, kWal, 0, /*next=*/1, /*no_space=*/false, skip);
    const std::string r = Run({"FLUSHALL"});
    fs_->Disarm();
    Reopen(/*faulty=*/false);
    const std::vector<JournalEntry> journaled = Journaled();
    if (StoreError(r)) {
      EXPECT_EQ(Run({"EXISTS", "a", "h"}), ":2\r\n") << "FLUSHALL answered " << r;
      EXPECT_EQ(Run({"HGET", "h", "f"}), Bulk("v"));
      EXPECT_EQ(journaled.size(), journaled_before);
    } else {
      EXPECT_EQ(r, "+OK\r\n");
      EXPECT_EQ(Run({"DBSIZE"}), ":0\r\n");
      ASSERT_EQ(journaled.size(), journaled_before + 1);
      EXPECT_EQ(journaled.back().argv[0], "FLUSHALL");
    }
    ASSERT_EQ(Run({"FLUSHALL"}), "+OK\r\n");
  }
}

// d. Backups (Checkpoint) and the replayer's journal reads and trims under faults: an error
// status, no abort, nothing moved to the dead letters, and all works once the disk does.
TEST_F(RocksDbFaults, CheckpointAndJournalFailCleanly) {
  block_cache_bytes_ = 0;
  ASSERT_TRUE(Open(Fsync::kAlways).ok());
  for (int i = 0; i < 30; ++i) {
    const std::string k = "k" + std::to_string(i);
    ASSERT_EQ(Run({"SET", k, Value(k, i % 10 == 0 ? 300000 : 200)}), "+OK\r\n");
  }
  char tmpl[] = "/tmp/respite-faults-cp-XXXXXX";
  const std::string backups = mkdtemp(tmpl);
  const Fault kinds[] = {kCreate, kAppend, kSync, kRename, kDirSync};
  int n = 0;
  for (Fault f : kinds) {
    SCOPED_TRACE(kFaultNames[f]);
    ASSERT_EQ(Run({"SET", "m" + std::to_string(n), "1"}), "+OK\r\n");  // something to flush
    const uint64_t before = fs_->fired(f);
    fs_->Arm(f, kAll, 1.0);
    const Status s = store_->engine().Checkpoint(backups + "/cp" + std::to_string(n++));
    fs_->Disarm();
    EXPECT_GT(fs_->fired(f), before);
    EXPECT_FALSE(s.ok());
    std::printf("[ faults   ] checkpoint, %s fault: %s\n", kFaultNames[f], s.ToString().c_str());
    if (!WritesResume(1200ms)) Reopen();
  }
  const std::string good = backups + "/good";
  ASSERT_TRUE(store_->engine().Checkpoint(good).ok());
  {
    EngineOptions o;
    o.dir = good;
    auto copy = LocalStore::Open(o, &clock_);
    ASSERT_TRUE(copy.ok()) << copy.status().ToString();
    std::string out;
    std::vector<std::string_view> get = {"GET", "k10"};
    copy.value()->Execute(session_, get, &out);
    EXPECT_EQ(out, Bulk(Value("k10", 300000)));
  }
  std::filesystem::remove_all(backups);

  ASSERT_TRUE(store_->engine().CompactAll().ok());
  Reopen();  // the journal is read from SST and blob files
  const uint64_t pending = store_->journal().pending_entries();
  std::vector<JournalEntry> entries;
  size_t corrupt = 0;
  fs_->Arm(kRead, kSst | kBlob, 1.0);
  Status s = store_->journal().Read(0, 1000, SIZE_MAX, &entries, &corrupt);
  fs_->Disarm();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(corrupt, 0u);
  EXPECT_EQ(store_->journal().dead_letters(), 0u);
  entries = Journaled();
  ASSERT_EQ(entries.size(), pending);
  fs_->Arm(kAppend, kWal, 0, 1);
  EXPECT_FALSE(store_->journal().RemoveThrough(entries[9].seq).ok());
  fs_->Disarm();
  EXPECT_EQ(store_->journal().pending_entries(), pending);
  if (!WritesResume(1200ms)) Reopen();
  ASSERT_TRUE(store_->journal().RemoveThrough(entries[9].seq).ok());
  Reopen(/*faulty=*/false);
  EXPECT_EQ(store_->journal().first_seq(), entries[10].seq);
  EXPECT_EQ(store_->journal().dead_letters(), 0u);
}

// e. Opening the store (RocksDB's recovery: CURRENT, MANIFEST, OPTIONS and WAL replay, SST and
// blob files, new WAL and MANIFEST) while reads or writes fail: Open returns an error (no abort,
// never a store missing data), and a later Open on a healthy disk finds everything.
TEST_F(RocksDbFaults, OpenUnderFaultsFailsCleanlyAndLaterOpensIntact) {
  ASSERT_TRUE(Open(Fsync::kAlways).ok());
  std::map<std::string, std::string> acked;
  const auto write = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      const std::string k = "k" + std::to_string(i);
      acked[k] = Value(k, i % 7 == 0 ? 300000 : 300);
      ASSERT_EQ(Run({"SET", k, acked[k]}), "+OK\r\n");
    }
  };
  write(0, 20);
  ASSERT_TRUE(store_->engine().CompactAll().ok());  // in SST and blob files
  const struct {
    Fault fault;
    unsigned files;
  } cases[] = {{kRead, kManifest}, {kRead, kWal},   {kRead, kOther}, {kRead, kSst},
               {kRead, kBlob},     {kCreate, kAll}, {kAppend, kSst}, {kAppend, kManifest},
               {kAppend, kOther},  {kSync, kAll},   {kClose, kAll},  {kRename, kAll},
               {kDirSync, kAll},   {kFlush, kAll}};
  int next = 20;
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(kFaultNames[c.fault]) + " files " + std::to_string(c.files));
    write(next, next + 5);  // in the WAL only: replayed by the next Open
    next += 5;
    store_.reset();
    const uint64_t before = fs_->fired(c.fault);
    fs_->Arm(c.fault, c.files, 1.0);
    const Status s = Open(Fsync::kAlways);
    fs_->Disarm();
    std::printf("[ faults   ] open, %s fault on %u: %s (%llu faults)\n", kFaultNames[c.fault],
                c.files, s.ToString().c_str(),
                static_cast<unsigned long long>(fs_->fired(c.fault) - before));
    if (s.ok()) {
      // Opened regardless (the file was not needed, or the fault was survivable): nothing lost.
      for (const auto& [key, v] : acked) ASSERT_EQ(Run({"GET", key}), Bulk(v)) << key;
    } else {
      EXPECT_GT(fs_->fired(c.fault), before);
      EXPECT_FALSE(s.busy());
      Reopen();
    }
  }
  Reopen(/*faulty=*/false);
  for (const auto& [key, v] : acked) EXPECT_EQ(Run({"GET", key}), Bulk(v)) << key;
  EXPECT_EQ(Run({"DBSIZE"}), ":" + std::to_string(acked.size()) + "\r\n");
}

// f. A random command stream (strings up to 300 kB, counters, hashes, lists, sets, sorted sets,
// DEL, EXPIRE, MULTI/EXEC, EVAL, pipelined groups, compactions, WAL syncs, checkpoints) with every
// fault kind armed at a low rate, now and then disarmed; after each failed write the store either
// resumes or is restarted (sometimes under faults). At the end, on a healthy disk: every key holds
// its last acknowledged state (or the state of a later write that failed ambiguously), and the
// journal holds exactly the acknowledged writes, in order. TEMPORARY until the aborts found here
// are fixed: no WAL create/flush/sync faults (ArmRandom), no resume (kSoakResumes).
TEST_F(RocksDbFaults, RandomizedSoakLosesNoAcknowledgedWrite) {
  // RESPITE_FAULT_SOAK_MS and _SEEDS: each seed's length and how many, for longer runs by hand.
  const char* env_ms = std::getenv("RESPITE_FAULT_SOAK_MS");
  const char* env_seeds = std::getenv("RESPITE_FAULT_SOAK_SEEDS");
  const std::chrono::milliseconds length(env_ms != nullptr ? std::atoi(env_ms) : 2500);
  const auto seeds = static_cast<uint32_t>(env_seeds != nullptr ? std::atoi(env_seeds) : 5);
  for (uint32_t seed = 1; seed <= seeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    store_.reset();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    model_.clear();
    expected_journal_.clear();
    maybe_journal_.clear();
    stats_.clear();
    const uint64_t before = fs_->total();
    SoakOnce(seed, seed % 2 == 1 ? Fsync::kAlways : Fsync::kEverySec, length);
    EXPECT_GT(fs_->total(), before);
    std::string line;
    for (const auto& [name, n] : stats_) line += " " + name + "=" + std::to_string(n);
    std::printf("[ faults   ] seed %u:%s; faults so far: %s\n", seed, line.c_str(),
                fs_->Counters().c_str());
    if (HasFatalFailure()) return;
  }
}

void RocksDbFaults::SoakOnce(uint32_t seed, Fsync fsync, std::chrono::milliseconds length) {
  std::mt19937 rng(seed);
  fs_->Seed(seed);
  fs_->Disarm();
  ASSERT_TRUE(Open(fsync).ok()) << "seed " << seed;
  char tmpl[] = "/tmp/respite-faults-cp-XXXXXX";
  const std::string backups = mkdtemp(tmpl);
  const auto end = std::chrono::steady_clock::now() + length;
  for (int step = 0; std::chrono::steady_clock::now() < end; ++step) {
    if (step % 40 == 0) {
      if (rng() % 4 == 0) {
        fs_->Disarm();
      } else {
        ArmRandom(rng, 0.03);
      }
    }
    const unsigned what = rng() % 100;
    if (what < 15) {
      RunPipelinedPair(rng);
    } else if (what < 22) {
      // Reads: the right answer or a storage error, nothing else.
      const std::string key = std::string(1, "shlzt"[rng() % 5]) + std::to_string(rng() % 6);
      const std::string r = key[0] == 's'   ? Run({"GET", key})
                            : key[0] == 'h' ? Run({"HGETALL", key})
                            : key[0] == 't' ? Run({"SCAN", "0", "COUNT", "100"})
                                            : Run({"LRANGE", key, "0", "-1"});
      EXPECT_TRUE(r[0] != '-' || StoreError(r) || r.starts_with("-WRONGTYPE")) << r;
      ++stats_[StoreError(r) ? "read_errors" : "reads"];
    } else if (what < 24) {
      ++stats_[store_->engine().CompactAll().ok() ? "compactions" : "compactions_failed"];
    } else if (what < 27 && fsync == Fsync::kEverySec) {
      ++stats_[store_->SyncWal().ok() ? "wal_syncs" : "wal_syncs_failed"];
    } else if (what < 28) {
      const std::string cp = backups + "/cp" + std::to_string(step);
      ++stats_[store_->engine().Checkpoint(cp).ok() ? "checkpoints" : "checkpoints_failed"];
      std::filesystem::remove_all(cp);
    } else {
      RunUnit(rng);
    }
    if (refused_) Recover(rng);
    if (HasFatalFailure()) break;
  }
  std::filesystem::remove_all(backups);
  fs_->Disarm();
  VerifySoak();
}

void RocksDbFaults::ArmRandom(std::mt19937& rng, double max_probability) {
  for (int f = 0; f < kFaultKinds; ++f) {
    const double p = std::uniform_real_distribution<double>(0.002, max_probability)(rng);
    // TEMPORARY: no faults creating, flushing or syncing a WAL file: they can abort the process
    // (A1-A3 in bench/RESULTS.md; their tests are on branch wip/rocksdb-faults).
    const bool aborts = f == kCreate || f == kFlush || f == kSync;
    fs_->Arm(static_cast<Fault>(f), aborts ? kAll & ~kWal : kAll, p, 0,
             f != kRead && rng() % 2 == 0);
  }
}

// Adds `item` to a sorted comma-separated list.
std::string AddSorted(const std::string& list, const std::string& item) {
  std::vector<std::string> items{item};
  for (size_t at = 0; !list.empty() && at <= list.size();) {
    const size_t comma = std::min(list.find(',', at), list.size());
    items.push_back(list.substr(at, comma - at));
    at = comma + 1;
  }
  std::sort(items.begin(), items.end());
  return Join(items);
}

void RocksDbFaults::RandomWrite(std::mt19937& rng, Changes* changes,
                                std::vector<std::string>* argv) {
  // Each key has one type, from its first letter; strings are picked twice as often.
  const char kind = "sschltz"[rng() % 7];
  const std::string key = std::string(1, kind) + std::to_string(rng() % 6);
  const std::string tok = "t" + std::to_string(++ops_);
  auto it = changes->find(key);
  std::string state = it != changes->end() ? it->second : model_[key].acked;
  switch (kind) {
    case 's': {
      const unsigned pick = rng() % 100;
      if (pick < 5) {
        *argv = {"DEL", key};
        state.clear();
      } else if (pick < 10) {
        *argv = {"EXPIRE", key, "100000"};
        if (!state.empty() && !state.ends_with("~ttl")) state += "~ttl";
      } else {
        // Mostly small; some of 64-100 kB; a few past 256 kB, which go to blob files.
        const size_t size = pick < 13   ? 270000 + rng() % 30000
                            : pick < 20 ? 64000 + rng() % 36000
                            : pick < 40 ? 1000 + rng() % 9000
                                        : 10 + rng() % 90;
        const std::string v = Value(tok, size);
        *argv = {"SET", key, v};
        state = Digest(v);
      }
      break;
    }
    case 'c':
      *argv = {"INCR", key};
      state = std::to_string((state.empty() ? 0 : std::stoll(state)) + 1);
      break;
    case 'h': {
      const std::string v = Value(tok, 10 + rng() % 3000);
      *argv = {"HSET", key, "f" + tok, v};
      state = AddSorted(state, "f" + tok + "=" + Digest(v));
      break;
    }
    case 'l':
      *argv = {"LPUSH", key, tok};
      state = state.empty() ? tok : tok + "," + state;
      break;
    case 't':
      *argv = {"SADD", key, tok};
      state = AddSorted(state, tok);
      break;
    default:  // 'z': scores increase, so the order is the order of writes
      *argv = {"ZADD", key, std::to_string(ops_), tok};
      state = state.empty() ? tok : state + "," + tok;
      break;
  }
  (*changes)[key] = state;
}

// One command, a MULTI/EXEC of a few, or a script: acknowledged or not, as a whole.
bool RocksDbFaults::RunUnit(std::mt19937& rng) {
  Changes changes;
  std::vector<std::vector<std::string>> commands;
  const unsigned shape = rng() % 10;
  for (unsigned i = 0, n = shape == 0 ? 2 + rng() % 2 : 1; i < n; ++i) {
    commands.emplace_back();
    RandomWrite(rng, &changes, &commands.back());
  }
  const uint64_t ambiguous_before = fs_->wal_after_write();
  std::string reply;
  bool acked = false;
  if (commands.size() > 1) {
    EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
    for (const auto& c : commands) EXPECT_EQ(Run(c), "+QUEUED\r\n");
    reply = Run({"EXEC"});
    acked = reply[0] == '*';
    ++stats_["multi"];
  } else if (shape == 1 && commands[0][0] == "SET") {
    reply = Run({"EVAL", "return redis.call('SET', KEYS[1], ARGV[1])", "1", commands[0][1],
                 commands[0][2]});
    acked = reply == "+OK\r\n";
    ++stats_["eval"];
  } else {
    reply = Run(commands[0]);
    acked = reply[0] != '-';
  }
  EXPECT_TRUE(acked || reply.find("local store") != std::string::npos) << reply;
  Settle(changes, acked, fs_->wal_after_write() != ambiguous_before,
         acked ? store_->last_journal() : std::vector<std::vector<std::string>>{}, commands.size());
  return acked;
}

// Two groups as the store executor runs them: the first handed to the commit thread while the
// second executes on top of it; a failure of the first fails both.
void RocksDbFaults::RunPipelinedPair(std::mt19937& rng) {
  // No read faults here: a read failing inside a group drops the group's earlier writes (a known
  // bug, bench/RESULTS.md; its test is on branch wip/rocksdb-faults).
  const auto rules = fs_->rules();
  auto no_reads = rules;
  no_reads[kRead] = {};
  fs_->SetRules(no_reads);
  const uint64_t ambiguous_before = fs_->wal_after_write();
  const auto run_group = [&](unsigned n, Changes* changes,
                             std::vector<std::vector<std::string>>* journaled) {
    for (unsigned i = 0; i < n; ++i) {
      std::vector<std::string> argv;
      RandomWrite(rng, changes, &argv);
      const std::string r = Run(argv);
      EXPECT_NE(r[0], '-') << r;  // nothing is written before the group ends
      for (auto& e : store_->last_journal()) journaled->push_back(std::move(e));
    }
  };
  Changes first, both;
  std::vector<std::vector<std::string>> first_journal, second_journal;
  const unsigned first_n = 2 + rng() % 4, second_n = 1 + rng() % 4;
  store_->BeginGroup();
  run_group(first_n, &first, &first_journal);
  bool first_ok = false, second_ok = false;
  if (store_->EndGroupAsync().ok()) {
    both = first;  // the second group builds on the first
    store_->BeginGroup();
    run_group(second_n, &both, &second_journal);
    if (store_->WaitCommitted().ok()) {
      first_ok = true;
      second_ok = store_->EndGroup().ok();
    } else {
      store_->DropPending();
      EXPECT_TRUE(store_->EndGroup().ok());  // nothing left to write
    }
  }
  fs_->SetRules(rules);
  const bool ambiguous = fs_->wal_after_write() != ambiguous_before;
  Settle(first, first_ok, ambiguous, first_journal, first_n);
  if (first_ok) Settle(both, second_ok, ambiguous, second_journal, second_n);
  ++stats_["pipelined_pairs"];
}

void RocksDbFaults::Settle(const Changes& changes, bool acked, bool ambiguous,
                           const std::vector<std::vector<std::string>>& journaled,
                           size_t commands) {
  ++stats_[acked ? "acked" : ambiguous ? "failed_ambiguous" : "failed"];
  for (const auto& [key, state] : changes) {
    KeyModel& m = model_[key];
    if (acked) {
      m.acked = state;
      m.maybe.clear();
    } else if (ambiguous) {
      m.maybe.push_back(state);
      maybe_journal_[key] += static_cast<int>(commands);
    }
  }
  if (acked) {
    for (const auto& argv : journaled) expected_journal_.push_back(Signature(argv));
  } else {
    refused_ = true;
  }
}

// TEMPORARY, until the engine stops resuming RocksDB after a WAL write error: a resume can
// abort the process (A1 in bench/RESULTS.md), so the soak restarts instead.
constexpr bool kSoakResumes = false;

// After a failed write: wait for RocksDB to resume (as a running respite does; the first
// Resume() meets the faults still armed), or restart: close (sometimes with faults armed), open
// (sometimes under faults).
void RocksDbFaults::Recover(std::mt19937& rng) {
  refused_ = false;
  const unsigned how = rng() % 6;
  if (how == 0 && kSoakResumes) {
    for (int i = 0; i < 12; ++i) {
      if (i == 5) fs_->Disarm();
      if (RunUnit(rng)) {
        ++stats_["resumed"];
        fs_->Disarm();
        return;
      }
      refused_ = false;
      std::this_thread::sleep_for(300ms);
    }
  }
  if (how != 1) fs_->Disarm();
  store_.reset();
  fs_->Disarm();
  if (rng() % 3 == 0) {
    ArmRandom(rng, 0.05);
    const Status s = Open(fsync_);
    fs_->Disarm();
    ++stats_[s.ok() ? "faulty_opens" : "faulty_opens_failed"];
  }
  if (!store_) Reopen();
  ++stats_["reopened"];
  Resync();
}

// After a restart, an ambiguous write is settled one way or the other: later writes build on it.
void RocksDbFaults::Resync() {
  for (auto& [key, m] : model_) {
    if (m.maybe.empty()) continue;
    const std::string actual = Probe(key);
    EXPECT_TRUE(actual == m.acked || std::count(m.maybe.begin(), m.maybe.end(), actual) > 0)
        << key << " holds " << actual << ", last acknowledged " << m.acked;
    m.acked = actual;
    m.maybe.clear();
  }
}

// A key's state as the model writes it.
std::string RocksDbFaults::Probe(const std::string& key) {
  ReplyTree r;
  switch (key[0]) {
    case 's': {
      r = ParseReply(Run({"GET", key}));
      if (r.null) return "";
      return Digest(r.text) + (Run({"TTL", key}) == ":-1\r\n" ? "" : "~ttl");
    }
    case 'c':
      r = ParseReply(Run({"GET", key}));
      return r.text;
    case 'h': {
      r = ParseReply(Run({"HGETALL", key}));
      std::vector<std::string> fields;
      for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
        fields.push_back(r.elements[i].text + "=" + Digest(r.elements[i + 1].text));
      }
      std::sort(fields.begin(), fields.end());
      return Join(fields);
    }
    case 't':
      return Join(ParseReply(Run({"SMEMBERS", key})).SortedTexts());
    case 'l':
      return Join(ParseReply(Run({"LRANGE", key, "0", "-1"})).Texts());
    default:
      return Join(ParseReply(Run({"ZRANGE", key, "0", "-1"})).Texts());
  }
}

void RocksDbFaults::VerifySoak() {
  Reopen(/*faulty=*/false);
  for (const auto& [key, m] : model_) {
    const std::string actual = Probe(key);
    EXPECT_TRUE(actual == m.acked || std::count(m.maybe.begin(), m.maybe.end(), actual) > 0)
        << key << " holds " << actual << ", last acknowledged " << m.acked;
  }
  size_t next = 0;
  for (const JournalEntry& e : Journaled()) {
    const std::string sig = Signature(e.argv);
    if (next < expected_journal_.size() && sig == expected_journal_[next]) {
      ++next;
      continue;
    }
    ASSERT_GE(e.argv.size(), 2u);
    EXPECT_GT(maybe_journal_[e.argv[1]]--, 0)
        << "journaled, but its write was answered with an error: " << sig;
  }
  EXPECT_EQ(next, expected_journal_.size())
      << "acknowledged but not journaled: "
      << (next < expected_journal_.size() ? expected_journal_[next] : "");
}

}  // namespace
}  // namespace respite::storage
