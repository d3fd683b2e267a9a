// The local store's pipelined commit (DESIGN.md "Local store: pipelined commit"), on a real
// RocksDB store with its writes held or failed from the test (WriteGate): the group executed while
// a batch is in flight reads that batch's writes; a failed write loses that batch and the one
// built on it, and leaves store, key cache, key counts and journal as the disk has them.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "storage/clock.h"
#include "storage/journal.h"
#include "storage/local_store.h"
#include "tests/storage/store_harness.h"
#include "tests/storage/write_gate.h"

namespace respite::storage {
namespace {

using namespace std::chrono_literals;

std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

class PipelinedCommitTest : public ::testing::Test {
 protected:
  PipelinedCommitTest() {
    char tmpl[] = "/tmp/respite-pipeline-XXXXXX";
    dir_ = mkdtemp(tmpl);
    Open();
  }
  ~PipelinedCommitTest() override {
    gate_.Release();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Open() {
    store_.reset();
    EngineOptions options;
    options.dir = dir_;
    options.fsync = Fsync::kNo;
    // A small key cache: a value of a few kB then goes through the batch's index instead of the
    // cache, so both ways a write stays readable are tested.
    options.key_cache_bytes = 64 << 10;
    options.before_write = [this] { return gate_.BeforeWrite(); };
    auto opened = LocalStore::Open(options, &clock_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }

  std::string Run(const std::vector<std::string>& argv) { return RunOn(*store_, session_, argv); }

  // Journal entries on disk, as the replayer would read them.
  std::vector<JournalEntry> Journaled() { return JournalOf(*store_); }

  std::string dir_;
  FakeClock clock_;
  WriteGate gate_;
  LocalSession session_;
  std::unique_ptr<LocalStore> store_;
};

TEST_F(PipelinedCommitTest, TheNextGroupReadsTheWritesOfTheBatchInFlight) {
  const std::string big(20000, 'b');  // too big for the small key cache: indexed
  const int writes_before = gate_.started();
  gate_.Hold();
  store_->BeginGroup();
  EXPECT_EQ(Run({"SET", "a", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"HSET", "h", "f", "v"}), ":1\r\n");
  EXPECT_EQ(Run({"RPUSH", "l", "x", "y"}), ":2\r\n");
  EXPECT_EQ(Run({"SET", "big", big}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "gone", "1"}), "+OK\r\n");
  ASSERT_TRUE(store_->EndGroupAsync().ok());
  gate_.WaitStarted(writes_before + 1);  // in flight, and held there

  store_->BeginGroup();
  EXPECT_EQ(Run({"GET", "a"}), Bulk("1"));
  EXPECT_EQ(Run({"HGET", "h", "f"}), Bulk("v"));
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "*2\r\n" + Bulk("x") + Bulk("y"));
  EXPECT_EQ(Run({"GET", "big"}), Bulk(big));
  EXPECT_EQ(Run({"DBSIZE"}), ":5\r\n");
  EXPECT_EQ(Run({"DEL", "gone"}), ":1\r\n");
  EXPECT_EQ(Run({"EXISTS", "gone"}), ":0\r\n");
  EXPECT_EQ(Run({"INCR", "a"}), ":2\r\n");
  EXPECT_EQ(Run({"DBSIZE"}), ":4\r\n");
  EXPECT_EQ(gate_.started(), writes_before + 1) << "nothing else was written meanwhile";
  gate_.Release();
  ASSERT_TRUE(store_->WaitCommitted().ok());
  ASSERT_TRUE(store_->EndGroup().ok());

  EXPECT_EQ(Run({"GET", "a"}), Bulk("2"));
  EXPECT_EQ(Run({"DBSIZE"}), ":4\r\n");
  // One journal entry per write, in the order they ran, with consecutive sequences.
  std::vector<JournalEntry> entries = Journaled();
  ASSERT_EQ(entries.size(), 7u);
  for (size_t i = 0; i < entries.size(); ++i) EXPECT_EQ(entries[i].seq, entries[0].seq + i);
  EXPECT_EQ(entries[5].argv, (std::vector<std::string>{"DEL", "gone"}));
  EXPECT_EQ(entries[6].argv, (std::vector<std::string>{"INCRBY", "a", "1"}));

  Open();  // what reached the disk
  EXPECT_EQ(Run({"GET", "a"}), Bulk("2"));
  EXPECT_EQ(Run({"GET", "big"}), Bulk(big));
  EXPECT_EQ(Run({"EXISTS", "gone"}), ":0\r\n");
  EXPECT_EQ(Run({"DBSIZE"}), ":4\r\n");
  EXPECT_EQ(store_->journal().pending_entries(), 7u);
}

TEST_F(PipelinedCommitTest, AFailedWriteLosesItsBatchAndTheGroupBuiltOnIt) {
  ASSERT_EQ(Run({"SET", "kept", "1"}), "+OK\r\n");  // on disk before
  gate_.Hold();
  gate_.FailWrite(1);
  store_->BeginGroup();
  EXPECT_EQ(Run({"SET", "a", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"RPUSH", "l", "x"}), ":1\r\n");
  EXPECT_EQ(Run({"DEL", "kept"}), ":1\r\n");
  ASSERT_TRUE(store_->EndGroupAsync().ok());

  store_->BeginGroup();
  EXPECT_EQ(Run({"GET", "a"}), Bulk("1"));
  EXPECT_EQ(Run({"SET", "b", "2"}), "+OK\r\n");
  EXPECT_EQ(Run({"INCR", "a"}), ":2\r\n");
  gate_.Release();
  const Status s = store_->WaitCommitted();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("injected write failure"), std::string::npos) << s.ToString();
  store_->DropPending();
  ASSERT_TRUE(store_->EndGroup().ok());  // nothing left to write

  // As on disk: none of either group happened, in the store, the key cache or the key counts.
  EXPECT_EQ(Run({"GET", "a"}), "$-1\r\n");
  EXPECT_EQ(Run({"GET", "b"}), "$-1\r\n");
  EXPECT_EQ(Run({"LLEN", "l"}), ":0\r\n");
  EXPECT_EQ(Run({"GET", "kept"}), Bulk("1"));
  EXPECT_EQ(Run({"DBSIZE"}), ":1\r\n");
  EXPECT_EQ(store_->journal().pending_entries(), 1u);
  EXPECT_EQ(Journaled().size(), 1u);

  // Writes are refused until RocksDB resumes (tried once a second), then go on from there.
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(Run({"SET", "c", "3"}), "+OK\r\n");
  Open();
  EXPECT_EQ(Run({"GET", "a"}), "$-1\r\n");
  EXPECT_EQ(Run({"GET", "c"}), Bulk("3"));
  EXPECT_EQ(Run({"DBSIZE"}), ":2\r\n");
  std::vector<JournalEntry> entries = Journaled();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].argv, (std::vector<std::string>{"SET", "kept", "1"}));
  EXPECT_EQ(entries[1].argv, (std::vector<std::string>{"SET", "c", "3"}));
  EXPECT_EQ(entries[1].seq, entries[0].seq + 1);
}

TEST_F(PipelinedCommitTest, WalkingTheKeysWaitsForTheBatchInFlight) {
  // KEYS, SCAN and FLUSHDB need every key on disk or in the pending batch's index: they wait for
  // the batch in flight, whose status WaitCommitted() still reports.
  const int writes_before = gate_.started();
  gate_.Hold();
  store_->BeginGroup();
  EXPECT_EQ(Run({"SET", "a", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "b", "1"}), "+OK\r\n");
  ASSERT_TRUE(store_->EndGroupAsync().ok());
  gate_.WaitStarted(writes_before + 1);
  std::thread release([this] {
    std::this_thread::sleep_for(100ms);
    gate_.Release();
  });
  store_->BeginGroup();
  EXPECT_EQ(Run({"SET", "c", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"KEYS", "*"}).substr(0, 4), "*3\r\n");
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "100"}).substr(0, 15), "*2\r\n$1\r\n0\r\n*3\r\n");
  release.join();
  EXPECT_TRUE(store_->WaitCommitted().ok());
  ASSERT_TRUE(store_->EndGroup().ok());

  // The same with a write that fails: the walk sees what is on disk.
  gate_.FailWrite(1);
  gate_.Hold();
  store_->BeginGroup();
  EXPECT_EQ(Run({"SET", "d", "1"}), "+OK\r\n");
  ASSERT_TRUE(store_->EndGroupAsync().ok());
  std::thread release_again([this] {
    std::this_thread::sleep_for(100ms);
    gate_.Release();
  });
  store_->BeginGroup();
  EXPECT_EQ(Run({"KEYS", "*"}).substr(0, 4), "*3\r\n");
  release_again.join();
  EXPECT_FALSE(store_->WaitCommitted().ok());
  store_->DropPending();
  ASSERT_TRUE(store_->EndGroup().ok());
  EXPECT_EQ(Run({"EXISTS", "d"}), ":0\r\n");
  EXPECT_EQ(Run({"DBSIZE"}), ":3\r\n");
}

// FLUSHDB and FLUSHALL delete their ranges in the batch they run in: the writes before them, the
// flush, its journal entry and the writes after it are one write to disk.
std::vector<std::string> Names(const std::vector<JournalEntry>& entries) {
  std::vector<std::string> names;
  for (const JournalEntry& e : entries) names.push_back(e.argv[0] + "@" + std::to_string(e.db));
  return names;
}

TEST_F(PipelinedCommitTest, FlushdbJoinsTheBatchOfTheWritesAroundIt) {
  const std::string big(20000, 'b');  // too big for the small key cache: indexed
  ASSERT_EQ(Run({"SET", "old", "1"}), "+OK\r\n");
  ASSERT_EQ(Run({"RPUSH", "l", "x"}), ":1\r\n");
  const int writes_before = gate_.started();
  store_->BeginGroup();
  EXPECT_EQ(Run({"SET", "a", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "big", big}), "+OK\r\n");
  EXPECT_EQ(Run({"HSET", "h", "f", "v"}), ":1\r\n");
  EXPECT_EQ(Run({"SELECT", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "other", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "other-big", big}), "+OK\r\n");
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK\r\n");
  EXPECT_EQ(Run({"FLUSHDB"}), "+OK\r\n");
  // Nothing of db 0 from before: not on disk, not earlier in the batch, cached or indexed.
  EXPECT_EQ(Run({"MGET", "old", "a", "big"}), "*3\r\n$-1\r\n$-1\r\n$-1\r\n");
  EXPECT_EQ(Run({"EXISTS", "h", "l"}), ":0\r\n");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "*0\r\n");
  EXPECT_EQ(Run({"DBSIZE"}), ":0\r\n");
  EXPECT_EQ(Run({"SET", "b", "2"}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "big", "new"}), "+OK\r\n");
  EXPECT_EQ(Run({"RPUSH", "l", "y"}), ":1\r\n");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "*1\r\n" + Bulk("y"));
  EXPECT_EQ(Run({"MGET", "b", "big"}), "*2\r\n" + Bulk("2") + Bulk("new"));
  EXPECT_EQ(Run({"DBSIZE"}), ":3\r\n");
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "100"}).substr(0, 15), "*2\r\n$1\r\n0\r\n*3\r\n");
  // db 1 keeps what the batch wrote there before the flush.
  EXPECT_EQ(Run({"SELECT", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"MGET", "other", "other-big"}), "*2\r\n" + Bulk("1") + Bulk(big));
  EXPECT_EQ(Run({"DBSIZE"}), ":2\r\n");
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK\r\n");
  ASSERT_TRUE(store_->EndGroup().ok());
  EXPECT_EQ(gate_.started(), writes_before + 1) << "the group is one write";

  const std::vector<std::string> expected = {"SET@0",  "RPUSH@0", "SET@0",  "SET@0",
                                             "HSET@0", "SET@1",   "SET@1",  "FLUSHDB@0",
                                             "SET@0",  "SET@0",   "RPUSH@0"};
  EXPECT_EQ(Names(Journaled()), expected);
  Open();  // what reached the disk
  EXPECT_EQ(Run({"MGET", "old", "a", "b", "big"}),
            "*4\r\n$-1\r\n$-1\r\n" + Bulk("2") + Bulk("new"));
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "*1\r\n" + Bulk("y"));
  EXPECT_EQ(Run({"DBSIZE"}), ":3\r\n");
  EXPECT_EQ(Run({"SELECT", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"MGET", "other", "other-big"}), "*2\r\n" + Bulk("1") + Bulk(big));
  EXPECT_EQ(Run({"DBSIZE"}), ":2\r\n");
}

TEST_F(PipelinedCommitTest, TheNextGroupReadsAFlushInFlight) {
  ASSERT_EQ(Run({"SET", "old", "1"}), "+OK\r\n");
  ASSERT_EQ(Run({"HSET", "h", "f", "v"}), ":1\r\n");
  ASSERT_EQ(Run({"SELECT", "3"}), "+OK\r\n");
  ASSERT_EQ(Run({"SADD", "s", "m"}), ":1\r\n");
  ASSERT_EQ(Run({"SELECT", "0"}), "+OK\r\n");
  const int writes_before = gate_.started();
  gate_.Hold();
  store_->BeginGroup();
  EXPECT_EQ(Run({"SET", "a", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"FLUSHALL"}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "b", "2"}), "+OK\r\n");
  ASSERT_TRUE(store_->EndGroupAsync().ok());
  gate_.WaitStarted(writes_before + 1);  // in flight, and held there

  store_->BeginGroup();
  EXPECT_EQ(Run({"MGET", "old", "a", "b"}), "*3\r\n$-1\r\n$-1\r\n" + Bulk("2"));
  EXPECT_EQ(Run({"HGETALL", "h"}), "*0\r\n");
  EXPECT_EQ(gate_.started(), writes_before + 1) << "nothing waited for the batch in flight";
  std::thread release([this] {
    std::this_thread::sleep_for(100ms);
    gate_.Release();
  });
  EXPECT_EQ(Run({"KEYS", "*"}), "*1\r\n" + Bulk("b"));  // waits for the batch in flight
  release.join();
  EXPECT_EQ(Run({"SELECT", "3"}), "+OK\r\n");
  EXPECT_EQ(Run({"SMEMBERS", "s"}), "*0\r\n");
  EXPECT_EQ(Run({"DBSIZE"}), ":0\r\n");
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK\r\n");
  EXPECT_TRUE(store_->WaitCommitted().ok());
  ASSERT_TRUE(store_->EndGroup().ok());
  Open();
  EXPECT_EQ(Run({"KEYS", "*"}), "*1\r\n" + Bulk("b"));
}

TEST_F(PipelinedCommitTest, TheBatchInFlightHidesWhatItsFlushDeleted) {
  // Point reads go through the batch in flight without waiting for it: they must not find what
  // its range deletes remove from the layers under it.
  ASSERT_EQ(Run({"SET", "old", "1"}), "+OK\r\n");
  ASSERT_EQ(Run({"RPUSH", "l", "x"}), ":1\r\n");
  const int writes_before = gate_.started();
  gate_.Hold();
  store_->BeginGroup();
  EXPECT_EQ(Run({"SET", "a", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"FLUSHDB"}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "b", "2"}), "+OK\r\n");
  ASSERT_TRUE(store_->EndGroupAsync().ok());
  gate_.WaitStarted(writes_before + 1);
  store_->BeginGroup();
  EXPECT_EQ(Run({"MGET", "old", "a", "b"}), "*3\r\n$-1\r\n$-1\r\n" + Bulk("2"));
  EXPECT_EQ(Run({"LLEN", "l"}), ":0\r\n");
  EXPECT_EQ(Run({"RPUSH", "l", "y"}), ":1\r\n");
  EXPECT_EQ(Run({"DBSIZE"}), ":2\r\n");
  EXPECT_EQ(gate_.started(), writes_before + 1) << "nothing waited for the batch in flight";
  gate_.Release();
  EXPECT_TRUE(store_->WaitCommitted().ok());
  ASSERT_TRUE(store_->EndGroup().ok());
  Open();
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "*1\r\n" + Bulk("y"));
  EXPECT_EQ(Run({"DBSIZE"}), ":2\r\n");
}

TEST_F(PipelinedCommitTest, AFailedFlushLeavesEveryKeyAndJournalsNothing) {
  ASSERT_EQ(Run({"SET", "a", "1"}), "+OK\r\n");
  ASSERT_EQ(Run({"HSET", "h", "f", "v"}), ":1\r\n");
  gate_.FailWrite(1);
  const std::string r = Run({"FLUSHDB"});
  EXPECT_EQ(r.rfind("-ERR local store", 0), 0u) << r;
  EXPECT_EQ(Run({"EXISTS", "a", "h"}), ":2\r\n");
  EXPECT_EQ(Run({"DBSIZE"}), ":2\r\n");
  EXPECT_EQ(Names(Journaled()), (std::vector<std::string>{"SET@0", "HSET@0"}));

  // In a group, with writes around it: none of them stands either.
  std::this_thread::sleep_for(1100ms);  // writes resume
  gate_.FailWrite(1);
  store_->BeginGroup();
  EXPECT_EQ(Run({"SET", "x", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"FLUSHALL"}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "y", "1"}), "+OK\r\n");
  EXPECT_FALSE(store_->EndGroup().ok());
  EXPECT_EQ(Run({"EXISTS", "a", "h", "x", "y"}), ":2\r\n");
  EXPECT_EQ(Run({"DBSIZE"}), ":2\r\n");
  EXPECT_EQ(Names(Journaled()), (std::vector<std::string>{"SET@0", "HSET@0"}));

  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(Run({"FLUSHDB"}), "+OK\r\n");
  Open();
  EXPECT_EQ(Run({"DBSIZE"}), ":0\r\n");
  EXPECT_EQ(Names(Journaled()), (std::vector<std::string>{"SET@0", "HSET@0", "FLUSHDB@0"}));
}

}  // namespace
}  // namespace respite::storage
