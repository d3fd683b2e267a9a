// The key-metadata cache: bounded by its budget, keeps entries in use, forgets what it is told.
#include "storage/meta_cache.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_map>

namespace respite::storage {
namespace {

MetaValue StringMeta(std::string value) {
  MetaValue m;
  m.type = Type::kString;
  m.payload = std::move(value);
  return m;
}

std::string Key(int i) { return std::string(1, '\0') + "key:" + std::to_string(i); }

TEST(MetaCache, FindsWhatWasPutAndForgetsErased) {
  MetaCache cache(1 << 20);
  EXPECT_EQ(cache.Find(Key(1)), nullptr);
  cache.Put(Key(1), StringMeta("v1"));
  cache.Put(Key(2), MetaValue{});  // a missing key is cached too
  ASSERT_NE(cache.Find(Key(1)), nullptr);
  EXPECT_EQ(cache.Find(Key(1))->payload, "v1");
  ASSERT_NE(cache.Find(Key(2)), nullptr);
  EXPECT_EQ(cache.Find(Key(2))->type, Type::kNone);
  cache.Put(Key(1), StringMeta("v2"));
  EXPECT_EQ(cache.Find(Key(1))->payload, "v2");
  EXPECT_EQ(cache.entries(), 2u);
  cache.Erase(Key(1));
  EXPECT_EQ(cache.Find(Key(1)), nullptr);
  cache.Clear();
  EXPECT_EQ(cache.entries(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(MetaCache, PutPinnedTellsTheExpiryTheKeyHadBefore) {
  MetaCache cache(1 << 20);
  int64_t before = 0;
  MetaValue m = StringMeta("v");
  m.expire_ms = 5000;
  EXPECT_TRUE(cache.PutPinned(Key(1), m, &before));
  EXPECT_EQ(before, -1);  // not cached
  m.expire_ms = 7000;
  EXPECT_TRUE(cache.PutPinned(Key(1), m, &before));
  EXPECT_EQ(before, 5000);
  cache.Put(Key(2), MetaValue{});
  EXPECT_TRUE(cache.PutPinned(Key(2), m, &before));
  EXPECT_EQ(before, 0);  // cached as missing: no expiry
  // Too big to cache: the previous expiry is not known, whatever was cached.
  EXPECT_FALSE(cache.PutPinned(Key(1), StringMeta(std::string(1 << 20, 'z')), &before));
  EXPECT_EQ(before, -1);
}

TEST(MetaCache, StaysWithinItsBudget) {
  const size_t budget = 64 * 1024;
  MetaCache cache(budget);
  for (int i = 0; i < 10000; ++i) {
    cache.Put(Key(i), StringMeta(std::string(64, 'x')));
    ASSERT_LE(cache.bytes(), budget) << "after " << i;
  }
  // About budget / 250 bytes per entry fit; far fewer than were put.
  EXPECT_GT(cache.entries(), 100u);
  EXPECT_LT(cache.entries(), 400u);
  // Replacing a value with a bigger one keeps the accounting right.
  cache.Put(Key(9999), StringMeta(std::string(1000, 'y')));
  EXPECT_LE(cache.bytes(), budget + 1000);
}

TEST(MetaCache, EntriesInUseSurviveEviction) {
  MetaCache cache(64 * 1024);
  for (int i = 0; i < 10; ++i) cache.Put(Key(i), StringMeta("hot"));
  for (int i = 10; i < 20000; ++i) {
    // The hot keys are read between every insert of a cold one.
    for (int h = 0; h < 10; ++h)
      ASSERT_NE(cache.Find(Key(h)), nullptr) << "hot " << h << " at " << i;
    cache.Put(Key(i), StringMeta(std::string(64, 'c')));
  }
}

TEST(MetaCache, BigValuesAreNotCachedAndReplaceOldCopies) {
  MetaCache cache(8 * 1024);
  cache.Put(Key(1), StringMeta("small"));
  ASSERT_NE(cache.Find(Key(1)), nullptr);
  cache.Put(Key(1), StringMeta(std::string(4096, 'b')));  // over budget / 8
  EXPECT_EQ(cache.Find(Key(1)), nullptr);                 // never the stale "small"
}

TEST(MetaCache, ZeroBudgetCachesNothing) {
  MetaCache cache(0);
  cache.Put(Key(1), StringMeta("v"));
  EXPECT_EQ(cache.Find(Key(1)), nullptr);
}

TEST(MetaCache, PinnedEntriesAreNeverEvictedUntilUnpinned) {
  const size_t budget = 64 * 1024;
  MetaCache cache(budget);
  // Pins take up to half the budget; beyond that they are refused (the caller indexes them).
  int pinned = 0;
  while (cache.PutPinned(Key(pinned), StringMeta("pinned"))) ++pinned;
  EXPECT_GT(pinned, 100);
  EXPECT_LE(cache.bytes(), budget / 2);
  EXPECT_TRUE(cache.IsPinned(Key(0)));
  EXPECT_FALSE(cache.IsPinned(Key(pinned)));
  EXPECT_EQ(cache.Find(Key(pinned)), nullptr);
  // Unpinned newcomers push each other out, never a pinned entry.
  for (int i = 1000; i < 5000; ++i) {
    cache.Put(Key(i), StringMeta(std::string(64, 'x')));
    ASSERT_LE(cache.bytes(), budget);
  }
  for (int i = 0; i < pinned; ++i) ASSERT_NE(cache.Find(Key(i)), nullptr) << i;
  cache.UnpinAll();
  EXPECT_FALSE(cache.IsPinned(Key(0)));
  EXPECT_TRUE(cache.PutPinned(Key(pinned), StringMeta("pinned")));
  for (int i = 5000; i < 9000; ++i) cache.Put(Key(i), StringMeta(std::string(64, 'x')));
  EXPECT_EQ(cache.Find(Key(1)), nullptr);  // unpinned now, and cold: evicted
  // Too big to cache: refused, and an older copy is forgotten.
  EXPECT_FALSE(cache.PutPinned(Key(8999), StringMeta(std::string(budget, 'z'))));
  EXPECT_EQ(cache.Find(Key(8999)), nullptr);
}

// The open-addressing table against a plain map: random puts, erases and finds (with a budget that
// never evicts), so every probe run and backward shift after an erase is checked.
TEST(MetaCache, MatchesAMapThroughRandomPutsAndErases) {
  MetaCache cache(1ull << 30);
  std::unordered_map<std::string, std::string> model;
  std::mt19937 rng(17);
  for (int step = 0; step < 200000; ++step) {
    const std::string key = Key(static_cast<int>(rng() % 5000));
    const unsigned op = rng() % 10;
    if (op < 5) {
      const std::string value = "v" + std::to_string(step);
      cache.Put(key, StringMeta(value));
      model[key] = value;
    } else if (op < 8) {
      cache.Erase(key);
      model.erase(key);
    } else {
      const MetaValue* found = cache.Find(key);
      auto it = model.find(key);
      ASSERT_EQ(found != nullptr, it != model.end()) << step;
      if (found != nullptr) {
        ASSERT_EQ(found->payload, it->second) << step;
      }
    }
    ASSERT_EQ(cache.entries(), model.size()) << step;
  }
  for (const auto& [key, value] : model) {
    const MetaValue* found = cache.Find(key);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->payload, value);
  }
  cache.Clear();
  EXPECT_EQ(cache.Find(Key(1)), nullptr);
  cache.Put(Key(1), StringMeta("after clear"));
  ASSERT_NE(cache.Find(Key(1)), nullptr);
  EXPECT_EQ(cache.Find(Key(1))->payload, "after clear");
}

}  // namespace
}  // namespace respite::storage
