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

// RESPITE JOURNAL RETRY moves dead letters back only while the journal stays under
// journal.max_bytes: the rest stay dead letters (counted in *left), nothing is dropped.
TEST(JournalAdmin, RetryStopsAtTheJournalsLimit) {
  StoreHarness h;
  h.limits.max_bytes = 3000;
  h.Reopen();
  const std::string value(200, 'v');
  for (int i = 0; i < 10; ++i) h.Run({"set", "k" + std::to_string(i), value});
  Journal& journal = h.store->journal();
  std::vector<JournalEntry> entries;
  size_t corrupt = 0;
  ASSERT_TRUE(journal.Read(0, 100, SIZE_MAX, &entries, &corrupt).ok());
  ASSERT_EQ(entries.size(), 10u);
  for (const JournalEntry& e : entries) ASSERT_TRUE(journal.RejectEntry(e, "ERR test", 1).ok());
  ASSERT_EQ(journal.pending_entries(), 0u);
  ASSERT_EQ(journal.dead_letters(), 10u);
  for (int i = 0; i < 8; ++i) h.Run({"set", "n" + std::to_string(i), value});
  const uint64_t before = journal.pending_bytes();
  ASSERT_LT(before, 3000u);

  uint64_t moved = 0, left = 0;
  ASSERT_TRUE(journal.RetryDeadLetters(5, &moved, &left).ok());
  EXPECT_GT(moved, 0u);
  EXPECT_LT(moved, 10u);
  EXPECT_EQ(left, 10u - moved);
  EXPECT_EQ(journal.dead_letters(), left);
  EXPECT_EQ(journal.pending_entries(), 8u + moved);
  EXPECT_LE(journal.pending_bytes(), 3000u + 300u);  // at most one entry past the limit
  std::vector<DeadLetter> letters;
  ASSERT_TRUE(journal.ReadDeadLetters(100, &letters).ok());
  EXPECT_EQ(letters.size(), left);
  // Listing is bounded in bytes too: at least one, then stop once past the bound.
  ASSERT_TRUE(journal.ReadDeadLetters(100, &letters, 1).ok());
  EXPECT_EQ(letters.size(), 1u);
}

}  // namespace
}  // namespace respite::storage
