// The key layer on real RocksDB: lazy and active expiry, O(1) delete with orphans reclaimed by
// compaction, key counts that follow commits and rollbacks, and data that survives a reopen.

#include "storage/keyspace.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "storage/engine.h"
#include "tests/storage/store_harness.h"

namespace respite::storage {
namespace {

MetaValue Hash(Keyspace& ks, uint64_t size) {
  MetaValue m;
  m.type = Type::kHash;
  m.version = ks.NewVersion();
  m.size = size;
  return m;
}

class KeyspaceTest : public ::testing::Test {
 protected:
  Keyspace& ks() { return h_.store->keyspace(); }
  Engine& engine() { return h_.store->engine(); }
  void Commit() {
    ASSERT_TRUE(engine().Commit().ok());
    ks().ApplyPending();
  }
  StoreHarness h_;
};

TEST_F(KeyspaceTest, MissingKeyHasTypeNone) {
  MetaValue m;
  ASSERT_TRUE(ks().Lookup(0, "nope", &m).ok());
  EXPECT_EQ(m.type, Type::kNone);
}

TEST_F(KeyspaceTest, ExpiredKeyIsDeletedOnAccess) {
  MetaValue m;
  m.type = Type::kString;
  m.payload = "v";
  m.expire_ms = h_.clock.NowMs() + 1000;
  ks().PutMeta(0, "k", m, /*created=*/true);
  Commit();
  EXPECT_EQ(ks().KeyCount(0), 1u);
  h_.clock.Advance(999);
  ASSERT_TRUE(ks().Lookup(0, "k", &m).ok());
  EXPECT_EQ(m.type, Type::kString);
  h_.clock.Advance(1);
  ASSERT_TRUE(ks().Lookup(0, "k", &m).ok());
  EXPECT_EQ(m.type, Type::kNone);
  Commit();
  EXPECT_EQ(ks().KeyCount(0), 0u);
}

TEST_F(KeyspaceTest, ActiveExpiryReclaimsKeysNobodyReads) {
  for (int i = 0; i < 500; ++i) {
    MetaValue m;
    m.type = Type::kString;
    m.payload = "v";
    m.expire_ms = i % 2 == 0 ? h_.clock.NowMs() + 10 : 0;
    ks().PutMeta(i % 3, "key" + std::to_string(i), m, /*created=*/true);
  }
  Commit();
  h_.clock.Advance(10);
  size_t deleted = 0;
  for (int round = 0; round < 50; ++round) deleted += h_.store->ExpireCycle(100, 100);
  EXPECT_EQ(deleted, 250u);
  EXPECT_EQ(ks().KeyCount(0) + ks().KeyCount(1) + ks().KeyCount(2), 250u);
}

MetaValue StringWithExpiry(int64_t expire_ms) {
  MetaValue m;
  m.type = Type::kString;
  m.payload = "v";
  m.expire_ms = expire_ms;
  return m;
}

TEST_F(KeyspaceTest, ActiveExpiryFindsDueKeysWithoutWalkingTheKeyspace) {
  const int64_t now = h_.clock.NowMs();
  for (int i = 0; i < 3000; ++i) {
    ks().PutMeta(0, "plain" + std::to_string(i), StringWithExpiry(0), /*created=*/true);
  }
  for (int i = 0; i < 20; ++i) {
    // Later keys expire sooner: the due ones are found in expiry order, not key order.
    ks().PutMeta(i % 2, "ttl" + std::to_string(i), StringWithExpiry(now + 100 - i), true);
  }
  Commit();
  h_.clock.Advance(90);  // ttl10 .. ttl19 are due
  EXPECT_EQ(h_.store->ExpireCycle(100, /*walk_budget=*/0), 10u);
  EXPECT_EQ(ks().KeyCount(0) + ks().KeyCount(1), 3010u);
  h_.clock.Advance(10);
  EXPECT_EQ(h_.store->ExpireCycle(100, 0), 10u);
  EXPECT_EQ(ks().KeyCount(0) + ks().KeyCount(1), 3000u);
  // Each hint is dropped once handled.
  auto it = engine().NewIterator(Family::kDefault, std::string(kExpireHintPrefix),
                                 PrefixEnd(kExpireHintPrefix));
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
}

TEST_F(KeyspaceTest, StaleExpiryHintsExpireNothingEarly) {
  const int64_t now = h_.clock.NowMs();
  for (const char* key : {"persisted", "extended", "recreated"}) {
    ks().PutMeta(0, key, StringWithExpiry(now + 10), /*created=*/true);
  }
  Commit();
  ks().PutMeta(0, "persisted", StringWithExpiry(0), false);
  ks().PutMeta(0, "extended", StringWithExpiry(now + 1000), false);
  ks().DeleteKey(0, "recreated");
  ks().PutMeta(0, "recreated", StringWithExpiry(0), true);
  Commit();
  h_.clock.Advance(10);
  EXPECT_EQ(h_.store->ExpireCycle(100, 0), 0u);
  EXPECT_EQ(ks().KeyCount(0), 3u);
  h_.clock.Advance(990);
  EXPECT_EQ(h_.store->ExpireCycle(100, 0), 1u);
  MetaValue m;
  ASSERT_TRUE(ks().Lookup(0, "extended", &m).ok());
  EXPECT_EQ(m.type, Type::kNone);
  ASSERT_TRUE(ks().Lookup(0, "persisted", &m).ok());
  EXPECT_EQ(m.type, Type::kString);
}

TEST_F(KeyspaceTest, DeletingABigCollectionIsOneWriteAndCompactionReclaimsItsFields) {
  MetaValue m = Hash(ks(), 5000);
  ks().PutMeta(0, "big", m, /*created=*/true);
  for (int i = 0; i < 5000; ++i) ks().PutSub(0, "big", m, "f" + std::to_string(i), "value");
  Commit();
  ASSERT_TRUE(engine().CompactAll().ok());
  EXPECT_GE(engine().EstimateKeys(Family::kSub), 4000u);

  const uint64_t writes_before = ks().write_count();
  ks().DeleteKey(0, "big");
  EXPECT_EQ(ks().write_count() - writes_before, 1u);
  Commit();
  ASSERT_TRUE(engine().CompactAll().ok());
  EXPECT_EQ(engine().EstimateKeys(Family::kSub), 0u);
}

// The compaction filter looks a key up once for a run of its fields: the run of a deleted key,
// of a key's old version and of its new version, side by side, each get their own verdict.
TEST_F(KeyspaceTest, CompactionDropsExactlyTheFieldsOfDeletedAndOldVersions) {
  MetaValue a = Hash(ks(), 300), b = Hash(ks(), 300), c_old = Hash(ks(), 300);
  ks().PutMeta(0, "a", a, true);
  ks().PutMeta(0, "b", b, true);
  ks().PutMeta(0, "c", c_old, true);
  for (int i = 0; i < 300; ++i) {
    const std::string f = "f" + std::to_string(i);
    ks().PutSub(0, "a", a, f, "a");
    ks().PutSub(0, "b", b, f, "b");
    ks().PutSub(0, "c", c_old, f, "old");
  }
  Commit();
  ASSERT_TRUE(engine().CompactAll().ok());
  ks().DeleteKey(0, "b");
  ks().DeleteKey(0, "c");
  MetaValue c_new = Hash(ks(), 7);
  ks().PutMeta(0, "c", c_new, true);
  for (int i = 0; i < 7; ++i) ks().PutSub(0, "c", c_new, "f" + std::to_string(i), "new");
  Commit();
  ASSERT_TRUE(engine().CompactAll().ok());

  size_t left = 0;
  auto it = engine().NewIterator(Family::kSub, "", "");
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++left;
  EXPECT_EQ(left, 307u) << "a's 300 fields and c's 7 new ones stay, nothing else";
  std::string value;
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(ks().GetSub(0, "a", a, "f" + std::to_string(i), &value).ok());
    EXPECT_EQ(value, "a");
  }
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(ks().GetSub(0, "c", c_new, "f" + std::to_string(i), &value).ok());
    EXPECT_EQ(value, "new");
  }
}

TEST_F(KeyspaceTest, RecreatedKeyDoesNotSeeTheOldFields) {
  MetaValue old_meta = Hash(ks(), 1);
  ks().PutMeta(0, "h", old_meta, true);
  ks().PutSub(0, "h", old_meta, "f", "old");
  Commit();
  ks().DeleteKey(0, "h");
  MetaValue fresh = Hash(ks(), 0);
  ks().PutMeta(0, "h", fresh, true);
  Commit();
  std::string value;
  EXPECT_TRUE(ks().GetSub(0, "h", fresh, "f", &value).not_found());
  EXPECT_NE(fresh.version, old_meta.version);
}

TEST_F(KeyspaceTest, RolledBackWritesLeaveCountsAndDataAlone) {
  MetaValue m;
  m.type = Type::kString;
  m.payload = "v";
  ks().PutMeta(0, "k", m, /*created=*/true);
  engine().Rollback();
  ks().DropPending();
  EXPECT_EQ(ks().KeyCount(0), 0u);
  ASSERT_TRUE(ks().Lookup(0, "k", &m).ok());
  EXPECT_EQ(m.type, Type::kNone);
}

TEST_F(KeyspaceTest, ScoresIterateInScoreThenMemberOrder) {
  MetaValue z;
  z.type = Type::kZSet;
  z.version = ks().NewVersion();
  ks().PutScore(0, "z", z, 2.5, "b");
  ks().PutScore(0, "z", z, -1, "z");
  ks().PutScore(0, "z", z, 2.5, "a");
  ks().PutScore(0, "z", z, 10, "c");
  ks().PutScore(0, "z", z, -0.0, "n");  // indexed as 0, read back as -0
  std::string order;
  auto it = ks().IterateScores(0, "z", z);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    double score;
    std::string_view member;
    Keyspace::SplitScoreKey(it->key(), it->value(), "z", &score, &member);
    order += std::string(member);
    if (member == "n") {
      EXPECT_TRUE(score == 0 && std::signbit(score));
    }
  }
  EXPECT_EQ(order, "znabc");
}

TEST_F(KeyspaceTest, CountsAndVersionsSurviveAReopen) {
  MetaValue m = Hash(ks(), 1);
  ks().PutMeta(3, "h", m, true);
  ks().PutSub(3, "h", m, "f", "v");
  Commit();
  h_.Reopen();
  EXPECT_EQ(ks().KeyCount(3), 1u);
  EXPECT_GT(ks().NewVersion(), m.version);  // the counter is persisted, not reused
  std::string value;
  ASSERT_TRUE(ks().GetSub(3, "h", m, "f", &value).ok());
  EXPECT_EQ(value, "v");
}

TEST_F(KeyspaceTest, FlushDbRemovesOneDbOnly) {
  MetaValue m;
  m.type = Type::kString;
  ks().PutMeta(0, "a", m, true);
  ks().PutMeta(1, "b", m, true);
  Commit();
  ASSERT_TRUE(ks().Flush(0).ok());
  EXPECT_EQ(ks().KeyCount(0), 0u);
  EXPECT_EQ(ks().KeyCount(1), 1u);
  ASSERT_TRUE(ks().Lookup(1, "b", &m).ok());
  EXPECT_EQ(m.type, Type::kString);
}

// Metadata writes the key cache takes skip the batch's index; key iteration must still see
// them before the commit, with the latest value of a key written twice, and without deleted keys.
// With a cache too small for the values, the same writes go through the index instead.
void ExpectPendingWritesVisibleToIteration(Keyspace& ks, Engine& engine) {
  MetaValue m;
  m.type = Type::kString;
  for (int i = 0; i < 50; ++i) {
    m.payload = std::string(100, 'a') + std::to_string(i);
    ks.PutMeta(0, "k" + std::to_string(i), m, /*created=*/true);
  }
  m.payload = std::string(100, 'b');
  ks.PutMeta(0, "k7", m, /*created=*/false);
  ks.DeleteKey(0, "k8");
  size_t n = 0;
  auto it = ks.IterateKeys(0);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++n;
    EXPECT_NE(it->key().substr(1), "k8");
    if (it->key().substr(1) == "k7") {
      MetaValue seen;
      ASSERT_TRUE(MetaValue::Decode(it->value(), &seen));
      EXPECT_EQ(seen.payload, std::string(100, 'b'));
    }
  }
  EXPECT_EQ(n, 49u);
  it.reset();
  // Written after the iteration: seen by the next one, and everything reaches the disk.
  m.payload = "late";
  ks.PutMeta(0, "k8", m, /*created=*/true);
  ASSERT_TRUE(engine.Commit().ok());
  ks.ApplyPending();
  n = 0;
  it = ks.IterateKeys(0);
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  EXPECT_EQ(n, 50u);
  ASSERT_TRUE(ks.Lookup(0, "k7", &m).ok());
  EXPECT_EQ(m.payload, std::string(100, 'b'));
}

TEST_F(KeyspaceTest, KeyIterationSeesPendingWritesTheCacheHolds) {
  ExpectPendingWritesVisibleToIteration(ks(), engine());
}

TEST_F(KeyspaceTest, KeyIterationSeesPendingWritesTooBigForTheCache) {
  Keyspace small(engine(), h_.clock, /*cache_bytes=*/512);  // values over 64 bytes are not cached
  ExpectPendingWritesVisibleToIteration(small, engine());
}

TEST_F(KeyspaceTest, PendingWritesStayFindableWhenTheyOutgrowTheCache) {
  // 2,000 pinned entries in a cache with room for about 40: none may be evicted before the
  // commit, since the batch's index does not hold them; after it, the cache shrinks back.
  Keyspace small(engine(), h_.clock, /*cache_bytes=*/10000);
  MetaValue m;
  m.type = Type::kString;
  for (int i = 0; i < 2000; ++i) {
    m.payload = "v" + std::to_string(i);
    small.PutMeta(0, "k" + std::to_string(i), m, /*created=*/true);
  }
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(small.Lookup(0, "k" + std::to_string(i), &m).ok());
    ASSERT_EQ(m.payload, "v" + std::to_string(i));
  }
  // Rolled back: the pinned copies go too.
  engine().Rollback();
  small.DropPending();
  ASSERT_TRUE(small.Lookup(0, "k5", &m).ok());
  EXPECT_EQ(m.type, Type::kNone);
}

}  // namespace
}  // namespace respite::storage
