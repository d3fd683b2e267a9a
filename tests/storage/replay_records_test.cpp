// The replayer's side records on real RocksDB: put and erased in one commit, back after a
// reopen, kept apart from the journal's entries and gone with a clear.

#include "storage/replay_records.h"

#include <gtest/gtest.h>

#include <map>

#include "tests/storage/store_harness.h"

namespace respite::storage {
namespace {

std::map<uint64_t, std::string> ReadAll(Engine& engine) {
  std::map<uint64_t, std::string> out;
  EXPECT_TRUE(ForEachReplayRecord(engine, [&](uint64_t seq, std::string_view value) {
                out[seq] = std::string(value);
              }).ok());
  return out;
}

TEST(ReplayRecords, SurviveAReopenAndGoWithAClear) {
  StoreHarness h;
  ASSERT_TRUE(
      UpdateReplayRecords(h.store->engine(), {{7, "seven"}, {300, "three hundred"}}, {}).ok());
  ASSERT_TRUE(UpdateReplayRecords(h.store->engine(), {{9, "nine"}}, {300}).ok());
  h.Reopen();
  EXPECT_EQ(ReadAll(h.store->engine()),
            (std::map<uint64_t, std::string>{{7, "seven"}, {9, "nine"}}));
  // The journal does not see them, nor they the journal.
  EXPECT_EQ(h.store->journal().pending_entries(), 0u);
  ASSERT_TRUE(ClearReplayRecords(h.store->engine()).ok());
  EXPECT_TRUE(ReadAll(h.store->engine()).empty());
  h.Reopen();
  EXPECT_TRUE(ReadAll(h.store->engine()).empty());
}

}  // namespace
}  // namespace respite::storage
