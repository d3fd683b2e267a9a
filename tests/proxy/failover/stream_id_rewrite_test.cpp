// The replay's stream id plan (proxy/failover/stream_id_rewrite.h): which XADDs are re-added, with
// which id, and how later entries that name an old id are rewritten, within a batch and across
// batches.

#include "proxy/failover/stream_id_rewrite.h"

#include <gtest/gtest.h>

namespace respite::proxy {
namespace {

using storage::JournalEntry;
using Argv = std::vector<std::string>;

JournalEntry Entry(uint64_t seq, Argv argv, int db = 0) {
  JournalEntry e;
  e.seq = seq;
  e.db = db;
  e.argv = std::move(argv);
  return e;
}

// The argv the plan sends for entry i.
Argv Sent(const std::vector<JournalEntry>& batch, const BatchPlan& plan, size_t i) {
  return plan.argv[i] ? *plan.argv[i] : batch[i].argv;
}

StreamTops Top(const std::string& key, StreamId last, int db = 0) {
  StreamTops tops;
  tops[{db, key}] = StreamTop{true, last};
  return tops;
}

TEST(StreamIdRewrite, FindsTheXaddIdPastItsOptions) {
  EXPECT_EQ(XAddIdIndex({"XADD", "s", "5-1", "f", "v"}), 2u);
  EXPECT_EQ(XAddIdIndex({"xadd", "s", "NOMKSTREAM", "MAXLEN", "~", "10", "5-1", "f", "v"}), 6u);
  EXPECT_EQ(XAddIdIndex({"XADD", "s", "MINID", "3-0", "LIMIT", "5", "7", "f", "v"}), 6u);
  EXPECT_EQ(XAddIdIndex({"XADD", "s", "*", "f", "v"}), 0u);
  EXPECT_EQ(XAddIdIndex({"XADD", "s", "5-*", "f", "v"}), 0u);
  EXPECT_EQ(XAddIdIndex({"XACK", "s", "g", "5-1"}), 0u);
}

TEST(StreamIdRewrite, NextIdIsWhatStarWouldGive) {
  EXPECT_EQ(NextAutoId({100, 7}, 200), (StreamId{200, 0}));
  EXPECT_EQ(NextAutoId({100, 7}, 100), (StreamId{100, 8}));
  EXPECT_EQ(NextAutoId({100, 7}, 50), (StreamId{100, 8}));  // upstream's clock behind its top
  EXPECT_EQ(NextAutoId({100, UINT64_MAX}, 50), (StreamId{101, 0}));
  EXPECT_FALSE(NextAutoId(StreamId::Max(), 50));
}

TEST(StreamIdRewrite, AnXaddAboveTheTopIsSentAsJournaled) {
  StreamIdRewrites rules;
  const std::vector<JournalEntry> batch = {Entry(1, {"XADD", "s", "10-0", "f", "v"}),
                                           Entry(2, {"XACK", "s", "g", "10-0"})};
  const BatchPlan plan = PlanBatch(batch, Top("s", {9, 5}), 1000, &rules);
  EXPECT_TRUE(plan.readded.empty());
  EXPECT_TRUE(plan.rewritten.empty());
  EXPECT_FALSE(plan.argv[0]);
  EXPECT_FALSE(plan.argv[1]);
  EXPECT_TRUE(rules.empty());
}

TEST(StreamIdRewrite, AnXaddAtOrBelowTheTopIsReaddedAndLaterEntriesFollowInTheBatch) {
  StreamIdRewrites rules;
  const std::vector<JournalEntry> batch = {
      Entry(1, {"XADD", "s", "10-0", "f", "a"}),
      Entry(2, {"XCLAIM", "s", "g", "c", "0", "10-0", "TIME", "5", "RETRYCOUNT", "1", "FORCE",
                "JUSTID", "LASTID", "10-0"}),
      Entry(3, {"XADD", "s", "11-0", "f", "b"}),
      Entry(4, {"XACK", "s", "g", "10-0", "11-0", "9-0"}),
      Entry(5, {"XDEL", "s", "11-0"}),
      Entry(6, {"XACK", "other", "g", "10-0"}),  // another key: untouched
      Entry(7, {"XTRIM", "s", "MINID", "=", "11-0"}),
      Entry(8, {"XGROUP", "SETID", "s", "g", "10-0", "ENTRIESREAD", "3"}),
      Entry(9, {"XSETID", "s", "11-0", "MAXDELETEDID", "10-0"}),
      Entry(10, {"XAUTOCLAIM", "s", "g", "c", "0", "10-0", "COUNT", "5"}),
  };
  // Another writer reached 50-3 upstream; upstream's clock says 40 (behind its top).
  const BatchPlan plan = PlanBatch(batch, Top("s", {50, 3}), 40, &rules);
  ASSERT_EQ(plan.readded.size(), 2u);
  EXPECT_EQ(plan.readded[0], (StreamIdRule{1, 0, "s", {10, 0}, {50, 4}}));
  EXPECT_EQ(plan.readded[1], (StreamIdRule{3, 0, "s", {11, 0}, {50, 5}}));
  EXPECT_EQ(Sent(batch, plan, 0), (Argv{"XADD", "s", "50-4", "f", "a"}));
  EXPECT_EQ(Sent(batch, plan, 1), (Argv{"XCLAIM", "s", "g", "c", "0", "50-4", "TIME", "5",
                                        "RETRYCOUNT", "1", "FORCE", "JUSTID", "LASTID", "50-4"}));
  EXPECT_EQ(Sent(batch, plan, 2), (Argv{"XADD", "s", "50-5", "f", "b"}));
  EXPECT_EQ(Sent(batch, plan, 3), (Argv{"XACK", "s", "g", "50-4", "50-5", "9-0"}));
  EXPECT_EQ(Sent(batch, plan, 4), (Argv{"XDEL", "s", "50-5"}));
  EXPECT_EQ(Sent(batch, plan, 5), batch[5].argv);
  EXPECT_EQ(Sent(batch, plan, 6), (Argv{"XTRIM", "s", "MINID", "=", "50-5"}));
  EXPECT_EQ(Sent(batch, plan, 7), (Argv{"XGROUP", "SETID", "s", "g", "50-4", "ENTRIESREAD", "3"}));
  EXPECT_EQ(Sent(batch, plan, 8), (Argv{"XSETID", "s", "50-5", "MAXDELETEDID", "50-4"}));
  EXPECT_EQ(Sent(batch, plan, 9), (Argv{"XAUTOCLAIM", "s", "g", "c", "0", "50-4", "COUNT", "5"}));
  EXPECT_EQ(plan.rewritten, (std::vector<size_t>{1, 3, 4, 6, 7, 8, 9}));
}

TEST(StreamIdRewrite, XaddOptionsAndFieldsAreKeptAndOnlyTheIdChanges) {
  StreamIdRewrites rules;
  const std::vector<JournalEntry> batch = {
      Entry(1, {"XADD", "s", "NOMKSTREAM", "MAXLEN", "=", "5", "10-0", "f", "10-0"}),
      Entry(2, {"XADD", "s", "MINID", "10-0", "12-0", "g", "v"})};
  const BatchPlan plan = PlanBatch(batch, Top("s", {20, 0}), 30, &rules);
  EXPECT_EQ(Sent(batch, plan, 0),
            (Argv{"XADD", "s", "NOMKSTREAM", "MAXLEN", "=", "5", "30-0", "f", "10-0"}));
  // The second XADD's MINID names the first one's old id; its own id is re-added too.
  EXPECT_EQ(Sent(batch, plan, 1), (Argv{"XADD", "s", "MINID", "30-0", "30-1", "g", "v"}));
}

TEST(StreamIdRewrite, NomkstreamOnAMissingStreamAndOtherTypesAreLeftAlone) {
  StreamIdRewrites rules;
  StreamTops tops;
  tops[{0, "gone"}] = StreamTop{true, std::nullopt};
  tops[{0, "str"}] = StreamTop{false, std::nullopt};
  const std::vector<JournalEntry> batch = {
      Entry(1, {"XADD", "gone", "NOMKSTREAM", "1-0", "f", "v"}),
      Entry(2, {"XADD", "str", "1-0", "f", "v"}), Entry(3, {"XADD", "gone", "2-0", "f", "v"})};
  const BatchPlan plan = PlanBatch(batch, tops, 30, &rules);
  EXPECT_TRUE(plan.readded.empty());
}

TEST(StreamIdRewrite, ADeletedStreamStartsAgainFromZero) {
  StreamIdRewrites rules;
  const std::vector<JournalEntry> batch = {Entry(1, {"DEL", "s"}),
                                           Entry(2, {"XADD", "s", "10-0", "f", "v"})};
  const BatchPlan plan = PlanBatch(batch, Top("s", {50, 0}), 60, &rules);
  EXPECT_TRUE(plan.readded.empty());
}

TEST(StreamIdRewrite, DatabasesAreKeptApart) {
  StreamIdRewrites rules;
  const std::vector<JournalEntry> batch = {Entry(1, {"XADD", "s", "10-0", "f", "v"}, 1),
                                           Entry(2, {"XACK", "s", "g", "10-0"}, 0),
                                           Entry(3, {"XACK", "s", "g", "10-0"}, 1)};
  const BatchPlan plan = PlanBatch(batch, Top("s", {50, 0}, 1), 60, &rules);
  ASSERT_EQ(plan.readded.size(), 1u);
  EXPECT_FALSE(plan.argv[1]);
  EXPECT_EQ(Sent(batch, plan, 2), (Argv{"XACK", "s", "g", "60-0"}));
}

TEST(StreamIdRewrite, RulesCarryIntoLaterBatchesAndAfterARestart) {
  StreamIdRewrites rules;
  const std::vector<JournalEntry> first = {Entry(1, {"XADD", "s", "10-0", "f", "v"})};
  const BatchPlan plan = PlanBatch(first, Top("s", {50, 0}), 60, &rules);
  ASSERT_EQ(plan.readded.size(), 1u);
  // What the journal persists, read back by a restarted respite.
  StreamIdRule decoded;
  ASSERT_TRUE(DecodeRule(1, EncodeRule(plan.readded[0]), &decoded));
  EXPECT_EQ(decoded, plan.readded[0]);
  StreamIdRewrites restarted;
  restarted.Put(decoded);
  // A later batch with no XADD: no tops are read, the rules still apply.
  const std::vector<JournalEntry> second = {Entry(2, {"XACK", "s", "g", "10-0"})};
  const BatchPlan later = PlanBatch(second, {}, 0, &restarted);
  EXPECT_EQ(Sent(second, later, 0), (Argv{"XACK", "s", "g", "60-0"}));
  EXPECT_EQ(later.rewritten, (std::vector<size_t>{0}));
}

TEST(StreamIdRewrite, AnEntryBeforeTheXaddIsNotRewritten) {
  StreamIdRewrites rules;
  rules.Put({5, 0, "s", {10, 0}, {60, 0}});
  std::vector<std::string> before = {"XACK", "s", "g", "10-0"};
  EXPECT_EQ(rules.Rewrite(0, 4, &before), 0u);
  EXPECT_EQ(rules.Rewrite(0, 5, &before), 0u);
  EXPECT_EQ(rules.Rewrite(0, 6, &before), 1u);
  EXPECT_EQ(before[3], "60-0");
}

TEST(StreamIdRewrite, TheSameOldIdAgainTakesTheLatestRuleBeforeEachEntry) {
  // XADD s 10-0, DEL s, XADD s 10-0 again: both re-added, each later entry takes its own.
  StreamIdRewrites rules;
  rules.Put({1, 0, "s", {10, 0}, {60, 0}});
  rules.Put({3, 0, "s", {10, 0}, {70, 0}});
  std::vector<std::string> between = {"XACK", "s", "g", "10-0"};
  std::vector<std::string> after = between;
  rules.Rewrite(0, 2, &between);
  rules.Rewrite(0, 4, &after);
  EXPECT_EQ(between[3], "60-0");
  EXPECT_EQ(after[3], "70-0");
}

TEST(StreamIdRewrite, ARetriedBatchReplansAndDropsARuleNoLongerNeeded) {
  // An attempt made a rule and did not apply (EXEC aborted under WATCH): planned again, the
  // XADD's own id is never rewritten by its own rule, and a rule that no longer holds goes.
  StreamIdRewrites rules;
  const std::vector<JournalEntry> batch = {Entry(1, {"XADD", "s", "10-0", "f", "v"}),
                                           Entry(2, {"XACK", "s", "g", "10-0"})};
  BatchPlan plan = PlanBatch(batch, Top("s", {50, 0}), 60, &rules);
  ASSERT_EQ(plan.readded.size(), 1u);
  plan = PlanBatch(batch, Top("s", {55, 0}), 61, &rules);
  ASSERT_EQ(plan.readded.size(), 1u);
  EXPECT_EQ(plan.readded[0].new_id, (StreamId{61, 0}));
  EXPECT_EQ(Sent(batch, plan, 1), (Argv{"XACK", "s", "g", "61-0"}));
  plan = PlanBatch(batch, StreamTops{{{0, "s"}, StreamTop{true, std::nullopt}}}, 62, &rules);
  EXPECT_TRUE(plan.readded.empty());
  EXPECT_EQ(plan.dropped, (std::vector<uint64_t>{1}));
  EXPECT_FALSE(plan.argv[1]);
  EXPECT_TRUE(rules.empty());
}

TEST(StreamIdRewrite, EntriesOfAGroupAreRewrittenLikeAnyOther) {
  // A script's effects: one MULTI group; the rewrite is per entry, the group stays whole.
  StreamIdRewrites rules;
  std::vector<JournalEntry> batch = {Entry(1, {"XADD", "s", "10-0", "f", "v"}),
                                     Entry(2, {"XADD", "s", "10-1", "f", "w"}),
                                     Entry(3, {"XDEL", "s", "10-0"})};
  batch[1].group = 2;
  batch[2].group = 2;
  batch[2].group_end = true;
  const BatchPlan plan = PlanBatch(batch, Top("s", {50, 0}), 40, &rules);
  EXPECT_EQ(plan.argv.size(), 3u);
  EXPECT_EQ(Sent(batch, plan, 1), (Argv{"XADD", "s", "50-2", "f", "w"}));
  EXPECT_EQ(Sent(batch, plan, 2), (Argv{"XDEL", "s", "50-1"}));
}

}  // namespace
}  // namespace respite::proxy
