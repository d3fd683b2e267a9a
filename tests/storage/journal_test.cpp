// The journal on real RocksDB: entries round-trip with their HMAC, a tampered entry is moved to
// the dead letters and never returned, groups are never split, limits refuse instead of dropping,
// and the id, key and sequence survive a reopen.

#include "storage/journal.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "storage/encoding.h"
#include "storage/engine.h"
#include "tests/storage/store_harness.h"

namespace respite::storage {
namespace {

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open(JournalLimits limits = {}) {
    journal_.reset();
    auto j = Journal::Open(engine(), h_.dir() + "/journal.key", limits);
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    journal_ = std::move(j).value();
  }
  Engine& engine() { return h_.store->engine(); }
  // One command's effects: (db, argv) pairs.
  struct Record {
    int db = 0;
    std::vector<std::string> argv;
  };
  void Append(const std::vector<Record>& records, int64_t wall_ms) {
    std::vector<std::vector<std::string>> argvs;
    std::vector<int> dbs;
    for (const Record& r : records) {
      argvs.push_back(r.argv);
      dbs.push_back(r.db);
    }
    journal_->Append(argvs, dbs, wall_ms);
  }
  void AppendAndCommit(const std::vector<Record>& records) {
    Append(records, 1234);
    ASSERT_TRUE(engine().Commit().ok());
    journal_->OnCommit();
  }
  std::vector<JournalEntry> ReadAll(size_t* corrupt = nullptr) {
    std::vector<JournalEntry> out;
    size_t c = 0;
    EXPECT_TRUE(journal_->Read(0, 1000, 1 << 20, &out, &c).ok());
    if (corrupt) *corrupt = c;
    return out;
  }

  StoreHarness h_;
  std::unique_ptr<Journal> journal_;
};

TEST_F(JournalTest, EntriesRoundTripInOrder) {
  AppendAndCommit({{0, {"SET", "k", "v"}}});
  AppendAndCommit({{3, {"INCRBY", "n", "5"}}});
  auto entries = ReadAll();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].argv, (std::vector<std::string>{"SET", "k", "v"}));
  EXPECT_EQ(entries[0].db, 0);
  EXPECT_EQ(entries[0].wall_ms, 1234);
  EXPECT_EQ(entries[1].db, 3);
  EXPECT_LT(entries[0].seq, entries[1].seq);
  EXPECT_EQ(journal_->pending_entries(), 2u);
  EXPECT_EQ(journal_->first_seq(), entries[0].seq);
}

TEST_F(JournalTest, TheMacIsStandardHmacSha256OverSeqAndBody) {
  // Journals written before the MAC was computed from pre-keyed SHA-256 states must still pass:
  // the MAC is HMAC-SHA256 (OpenSSL's one-shot HMAC here) under the key file, over the entry's
  // big-endian seq and its body.
  JournalEntry entry;
  entry.seq = 0x0102030405060708ull;
  entry.wall_ms = 99;
  entry.db = 2;
  entry.argv = {"SET", "key", std::string(300, 'v')};  // a body of several SHA-256 blocks
  const std::string encoded = journal_->Encode(entry);
  ASSERT_GT(encoded.size(), 32u);
  const std::string body = encoded.substr(0, encoded.size() - 32);
  std::string key(64, '\0');
  {
    std::FILE* f = std::fopen((h_.dir() + "/journal.key").c_str(), "rb");
    ASSERT_NE(f, nullptr);
    key.resize(std::fread(key.data(), 1, key.size(), f));
    std::fclose(f);
  }
  ASSERT_EQ(key.size(), 32u);
  std::string message;
  PutU64(&message, entry.seq);
  message += body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ASSERT_NE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                 reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len),
            nullptr);
  ASSERT_EQ(len, 32u);
  EXPECT_EQ(encoded.substr(body.size()), std::string(reinterpret_cast<char*>(mac), len));
  JournalEntry decoded;
  EXPECT_TRUE(journal_->Decode(entry.seq, encoded, &decoded));
  EXPECT_EQ(decoded.argv, entry.argv);
}

TEST_F(JournalTest, BinaryArgumentsSurvive) {
  std::string binary("a\0b\r\n\xff", 6);
  AppendAndCommit({{0, {"SET", binary, ""}}});
  auto entries = ReadAll();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].argv[1], binary);
  EXPECT_EQ(entries[0].argv[2], "");
}

TEST_F(JournalTest, TamperedEntryIsDeadLetteredNotReplayed) {
  AppendAndCommit({{0, {"SET", "a", "1"}}});
  AppendAndCommit({{0, {"SET", "b", "2"}}});
  auto entries = ReadAll();
  ASSERT_EQ(entries.size(), 2u);
  // Flip one byte of the second entry's argument, keeping its HMAC.
  std::string key;
  PutU64(&key, entries[1].seq);
  std::string value;
  ASSERT_TRUE(engine().Get(Family::kJournal, key, &value).ok());
  value[value.size() - 40] ^= 1;
  engine().Put(Family::kJournal, key, value);
  ASSERT_TRUE(engine().Commit().ok());

  size_t corrupt = 0;
  entries = ReadAll(&corrupt);
  EXPECT_EQ(corrupt, 1u);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].argv[1], "a");
  EXPECT_EQ(journal_->dead_letters(), 1u);
  std::vector<DeadLetter> dead;
  ASSERT_TRUE(journal_->ReadDeadLetters(10, &dead).ok());
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_NE(dead[0].error.find("integrity"), std::string::npos);
}

TEST_F(JournalTest, EntriesUnderAnotherKeyFailTheirCheck) {
  AppendAndCommit({{0, {"SET", "a", "1"}}});
  std::filesystem::remove(h_.dir() + "/journal.key");
  Open();  // a fresh key: the old entry can no longer be trusted
  size_t corrupt = 0;
  EXPECT_TRUE(ReadAll(&corrupt).empty());
  EXPECT_EQ(corrupt, 1u);
}

TEST_F(JournalTest, GroupsAreReadWhole) {
  AppendAndCommit({{0, {"SET", "x", "1"}}});
  AppendAndCommit({{0, {"LREM", "src", "1", "v"}}, {0, {"LPUSH", "dst", "v"}}, {0, {"INCR", "n"}}});
  std::vector<JournalEntry> out;
  size_t corrupt;
  // A limit of 2 entries never cuts the 3-entry group: the read runs on to the group's end.
  ASSERT_TRUE(journal_->Read(0, 2, 1 << 20, &out, &corrupt).ok());
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[1].group, out[1].seq);
  EXPECT_EQ(out[3].group, out[1].seq);
  EXPECT_TRUE(out[3].group_end);
  EXPECT_FALSE(out[2].group_end);
}

TEST_F(JournalTest, RemoveThroughDeletesAppliedEntries) {
  for (int i = 0; i < 10; ++i) AppendAndCommit({{0, {"SET", "k", std::to_string(i)}}});
  auto entries = ReadAll();
  ASSERT_TRUE(journal_->RemoveThrough(entries[5].seq).ok());
  EXPECT_EQ(journal_->pending_entries(), 4u);
  auto rest = ReadAll();
  ASSERT_EQ(rest.size(), 4u);
  EXPECT_EQ(rest[0].seq, entries[6].seq);
  EXPECT_EQ(journal_->first_seq(), entries[6].seq);
  ASSERT_TRUE(journal_->RemoveThrough(entries[9].seq).ok());
  EXPECT_EQ(journal_->pending_entries(), 0u);
  EXPECT_EQ(journal_->pending_bytes(), 0u);
}

// A cluster replays each slot on its own: the entries it applied are scattered.
TEST_F(JournalTest, RemoveEntriesDeletesScatteredEntries) {
  for (int i = 0; i < 6; ++i) AppendAndCommit({{0, {"SET", "k", std::to_string(i)}}});
  auto entries = ReadAll();
  const uint64_t bytes = journal_->pending_bytes();
  const std::vector<uint64_t> middle = {entries[2].seq, entries[4].seq, entries[4].seq + 1000};
  ASSERT_TRUE(journal_->RemoveEntries(middle).ok());  // a seq not there is skipped
  EXPECT_EQ(journal_->pending_entries(), 4u);
  EXPECT_LT(journal_->pending_bytes(), bytes);
  EXPECT_EQ(journal_->first_seq(), entries[0].seq);
  auto rest = ReadAll();
  ASSERT_EQ(rest.size(), 4u);
  EXPECT_EQ(rest[2].argv[2], "3");
  // Removing the first entries moves first_seq() past the gap to the next one left.
  const std::vector<uint64_t> front = {entries[0].seq, entries[1].seq, entries[3].seq};
  ASSERT_TRUE(journal_->RemoveEntries(front).ok());
  EXPECT_EQ(journal_->first_seq(), entries[5].seq);
  EXPECT_EQ(journal_->applied_through(), 0u);  // per-slot cursors say what upstream has
  const std::vector<uint64_t> last = {entries[5].seq};
  ASSERT_TRUE(journal_->RemoveEntries(last).ok());
  EXPECT_EQ(journal_->pending_entries(), 0u);
  EXPECT_EQ(journal_->pending_bytes(), 0u);
  EXPECT_EQ(journal_->first_seq(), 0u);
}

// A cluster's slot cursors upstream cover the seqs removed: after a reopen, new entries must come
// after them, even when the highest were removed and lower ones are left.
TEST_F(JournalTest, SeqsRemovedScatteredAreNeverHandedOutAgain) {
  for (int i = 0; i < 4; ++i) AppendAndCommit({{0, {"SET", "k", std::to_string(i)}}});
  const auto entries = ReadAll();
  const std::vector<uint64_t> last_two = {entries[2].seq, entries[3].seq};
  ASSERT_TRUE(journal_->RemoveEntries(last_two).ok());
  journal_.reset();
  h_.Reopen();
  Open();
  AppendAndCommit({{0, {"SET", "k", "new"}}});
  auto after = ReadAll();
  ASSERT_EQ(after.size(), 3u);
  EXPECT_GT(after[2].seq, entries[3].seq);
  // And with everything removed.
  std::vector<uint64_t> all;
  for (const auto& e : after) all.push_back(e.seq);
  ASSERT_TRUE(journal_->RemoveEntries(all).ok());
  journal_.reset();
  h_.Reopen();
  Open();
  AppendAndCommit({{0, {"SET", "k", "newer"}}});
  after = ReadAll();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_GT(after[0].seq, all.back());
}

TEST_F(JournalTest, FullJournalAdmitsNoMoreAndKeepsWhatItHas) {
  Open(JournalLimits{.max_bytes = 200, .max_entry_bytes = 1 << 20});
  std::vector<std::string_view> small = {"SET", "k2", "v"};
  EXPECT_TRUE(journal_->Admits(small));
  AppendAndCommit({{0, {"SET", "k", std::string(150, 'x')}}});
  EXPECT_TRUE(journal_->full());
  EXPECT_FALSE(journal_->Admits(small));
  EXPECT_EQ(ReadAll().size(), 1u);
}

TEST_F(JournalTest, OversizedEntryIsNotAdmitted) {
  Open(JournalLimits{.max_bytes = 1 << 20, .max_entry_bytes = 100});
  const std::string big(200, 'x');
  std::vector<std::string_view> argv = {"SET", "k", big};
  EXPECT_FALSE(journal_->Admits(argv));
}

TEST_F(JournalTest, IdKeyAndSequenceSurviveAReopen) {
  AppendAndCommit({{0, {"SET", "k", "v"}}});
  const std::string id = journal_->id();
  EXPECT_EQ(id.size(), 32u);
  auto entries = ReadAll();
  ASSERT_TRUE(journal_->RemoveThrough(entries[0].seq).ok());
  journal_.reset();
  h_.Reopen();
  Open();
  EXPECT_EQ(journal_->id(), id);
  AppendAndCommit({{0, {"SET", "k", "w"}}});
  auto after = ReadAll();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_GT(after[0].seq, entries[0].seq);  // sequences never go back, even once drained

  struct stat st;
  ASSERT_EQ(::stat((h_.dir() + "/journal.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(JournalTest, RolledBackAppendLeavesNoTrace) {
  Append({{0, {"SET", "k", "v"}}}, 1);
  engine().Rollback();
  journal_->OnRollback();
  EXPECT_EQ(journal_->pending_entries(), 0u);
  EXPECT_TRUE(ReadAll().empty());
}

}  // namespace
}  // namespace respite::storage

namespace respite::storage {
namespace {

std::vector<JournalEntry> Pending(LocalStore& store) {
  std::vector<JournalEntry> out;
  size_t corrupt = 0;
  EXPECT_TRUE(store.journal().Read(0, 1000, 1 << 20, &out, &corrupt).ok());
  return out;
}

TEST(StoreJournal, WritesServedLocallyAreJournaledWithTheirDb) {
  StoreHarness h;
  h.Run({"set", "k", "v"});
  h.Run({"get", "k"});
  h.Run({"select", "4"});
  h.Run({"incr", "n"});
  auto entries = Pending(*h.store);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].db, 0);
  EXPECT_EQ(entries[1].db, 4);
  EXPECT_EQ(entries[0].argv.size(), 3u);
  EXPECT_EQ(entries[0].group, 0u);
}

TEST(StoreJournal, ATransactionIsOneGroup) {
  StoreHarness h;
  h.Run({"multi"});
  h.Run({"set", "a", "1"});
  h.Run({"set", "b", "2"});
  h.Run({"exec"});
  auto entries = Pending(*h.store);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].group, entries[0].seq);
  EXPECT_EQ(entries[1].group, entries[0].seq);
  EXPECT_TRUE(entries[1].group_end);
}

TEST(StoreJournal, UnjournaledExecutionLeavesNoEntry) {
  StoreHarness h;
  std::string out;
  std::vector<std::string_view> argv = {"set", "mirrored", "v"};
  h.store->Execute(h.session, argv, &out, /*journal=*/false);
  EXPECT_EQ(out, "+OK\r\n");
  EXPECT_TRUE(Pending(*h.store).empty());
}

TEST(StoreJournal, FullJournalRefusesWritesAndChangesNothing) {
  char tmpl[] = "/tmp/respite-journal-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  FakeClock clock;
  EngineOptions options;
  options.dir = dir;
  auto opened = LocalStore::Open(options, &clock, JournalLimits{.max_bytes = 250});
  ASSERT_TRUE(opened.ok());
  auto store = std::move(opened).value();
  LocalSession session;
  auto run = [&](std::vector<std::string_view> argv) {
    std::string out;
    store->Execute(session, argv, &out);
    return out;
  };
  EXPECT_EQ(run({"set", "a", std::string(200, 'x')}), "+OK\r\n");
  EXPECT_EQ(run({"set", "b", "1"}).substr(0, 30), "-ERR respite's journal is full");
  EXPECT_EQ(run({"get", "b"}), "$-1\r\n");
  EXPECT_EQ(run({"get", "a"}).size(), 208u);  // reads still work
  store.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace respite::storage
