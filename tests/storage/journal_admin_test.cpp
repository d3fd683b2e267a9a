// What the offline journal tools rely on, on real RocksDB: ForEach shows every stored entry (a
// corrupt one too, without moving it), Reset empties the journal and dead letters while sequences
// go on, a checkpoint opens as a full copy, and a held lock reads as Busy.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "storage/encoding.h"
#include "storage/engine.h"
#include "storage/journal.h"
#include "tests/storage/store_harness.h"

namespace respite::storage {
namespace {

std::vector<uint64_t> Seqs(Journal& journal) {
  std::vector<uint64_t> seqs;
  EXPECT_TRUE(journal
                  .ForEach([&](uint64_t seq, std::string_view) {
                    seqs.push_back(seq);
                    return true;
                  })
                  .ok());
  return seqs;
}

TEST(JournalAdmin, ForEachShowsEveryEntryAndMovesNothing) {
  StoreHarness h;
  h.Run({"set", "a", "1"});
  h.Run({"set", "b", "2"});
  Journal& journal = h.store->journal();
  const std::vector<uint64_t> seqs = Seqs(journal);
  ASSERT_EQ(seqs.size(), 2u);
  EXPECT_EQ(seqs[0], journal.first_seq());
  // Corrupt the second entry: ForEach still shows it, Decode refuses it, nothing moves.
  std::string key;
  PutU64(&key, seqs[1]);
  std::string value;
  ASSERT_TRUE(h.store->engine().Get(Family::kJournal, key, &value).ok());
  value[value.size() - 40] ^= 1;
  h.store->engine().Put(Family::kJournal, key, value);
  ASSERT_TRUE(h.store->engine().Commit().ok());
  int bad = 0;
  ASSERT_TRUE(journal
                  .ForEach([&](uint64_t seq, std::string_view v) {
                    JournalEntry e;
                    if (!journal.Decode(seq, v, &e)) ++bad;
                    return true;
                  })
                  .ok());
  EXPECT_EQ(bad, 1);
  EXPECT_EQ(Seqs(journal), seqs);
  EXPECT_EQ(journal.dead_letters(), 0u);
}

TEST(JournalAdmin, ResetEmptiesJournalAndDeadLettersAndSequencesGoOn) {
  StoreHarness h;
  h.Run({"set", "a", "1"});
  h.Run({"set", "b", "2"});
  Journal& journal = h.store->journal();
  const std::vector<uint64_t> before = Seqs(journal);
  ASSERT_EQ(before.size(), 2u);
  JournalEntry e;
  e.seq = before[0];
  e.argv = {"SET", "a", "1"};
  journal.DeadLetterEntry(e, "WRONGTYPE x", 5);
  ASSERT_TRUE(h.store->engine().Commit().ok());
  ASSERT_EQ(journal.dead_letters(), 1u);

  ASSERT_TRUE(journal.Reset().ok());
  EXPECT_EQ(journal.pending_entries(), 0u);
  EXPECT_EQ(journal.pending_bytes(), 0u);
  EXPECT_EQ(journal.first_seq(), 0u);
  EXPECT_EQ(journal.dead_letters(), 0u);
  EXPECT_TRUE(Seqs(journal).empty());

  // After a reopen nothing comes back, and a new entry never reuses a deleted entry's seq (an
  // upstream cursor may already cover it).
  h.Reopen();
  Journal& reopened = h.store->journal();
  EXPECT_EQ(reopened.pending_entries(), 0u);
  EXPECT_EQ(reopened.dead_letters(), 0u);
  std::vector<DeadLetter> dead;
  ASSERT_TRUE(reopened.ReadDeadLetters(10, &dead).ok());
  EXPECT_TRUE(dead.empty());
  h.Run({"set", "c", "3"});
  const std::vector<uint64_t> after = Seqs(reopened);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_GT(after[0], before[1]);
}

TEST(JournalAdmin, CheckpointOpensAsAFullCopy) {
  StoreHarness h;
  h.Run({"set", "a", "1"});
  h.Run({"rpush", "l", "x", "y"});
  const std::string copy = h.dir() + "-checkpoint";
  ASSERT_TRUE(h.store->engine().Checkpoint(copy).ok());
  EXPECT_FALSE(h.store->engine().Checkpoint(copy).ok()) << "an existing dir is never reused";
  std::filesystem::copy_file(h.dir() + "/journal.key", copy + "/journal.key");
  const uint64_t entries = h.store->journal().pending_entries();
  h.store.reset();

  EngineOptions options;
  options.dir = copy;
  options.create_if_missing = false;
  FakeClock clock;
  {
    auto opened = LocalStore::Open(options, &clock);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(opened.value()->journal().pending_entries(), entries);
    LocalSession session;
    std::string out;
    std::vector<std::string_view> get = {"get", "a"};
    opened.value()->Execute(session, get, &out);
    EXPECT_EQ(out, "$1\r\n1\r\n");
  }
  std::filesystem::remove_all(copy);
}

TEST(JournalAdmin, AHeldLockReadsAsBusy) {
  StoreHarness h;
  EngineOptions options;
  options.dir = h.dir();
  options.create_if_missing = false;
  auto second = Engine::Open(options);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.status().busy()) << second.status().ToString();
}

}  // namespace
}  // namespace respite::storage
