#include "proxy/upstream/stall_board.h"

#include <gtest/gtest.h>

namespace respite::proxy {
namespace {

TEST(StallBoard, LongCommandsExplainSilenceOnlyWithinTheGrace) {
  StallBoard board;
  board.SetGraceMs(1000);
  const size_t a = board.Claim();
  const size_t b = board.Claim();
  EXPECT_FALSE(board.SilenceExplained(5000));  // nothing long in flight

  board.SetLong(a, 4000);
  EXPECT_TRUE(board.SilenceExplained(4000));
  EXPECT_TRUE(board.SilenceExplained(4999));
  EXPECT_FALSE(board.SilenceExplained(5000));  // the grace ran out
  EXPECT_TRUE(board.SilenceExplained(3990));   // a clock read just before the stamp

  // The oldest long command decides: a newer one does not extend an old one's grace.
  board.SetLong(b, 4800);
  EXPECT_EQ(board.OldestLong(), 4000u);
  EXPECT_FALSE(board.SilenceExplained(5100));
  board.SetLong(a, 0);
  EXPECT_EQ(board.OldestLong(), 4800u);
  EXPECT_TRUE(board.SilenceExplained(5100));
  board.SetLong(b, 0);
  EXPECT_FALSE(board.SilenceExplained(5100));
}

TEST(StallBoard, StallsAndLongCommandsAreTrackedApart) {
  StallBoard board;
  board.SetGraceMs(1000);
  const size_t a = board.Claim();
  board.Set(a, 100);
  EXPECT_EQ(board.Oldest(), 100u);
  EXPECT_EQ(board.OldestLong(), 0u);
  EXPECT_FALSE(board.SilenceExplained(150));
  board.SetLong(a, 120);
  EXPECT_EQ(board.Oldest(), 100u);
  EXPECT_TRUE(board.SilenceExplained(150));
}

TEST(StallBoard, LinksPastTheLastSlotAreNotWatched) {
  StallBoard board;
  for (size_t i = 0; i < StallBoard::kSlots; ++i) ASSERT_LT(board.Claim(), StallBoard::kSlots);
  const size_t extra = board.Claim();
  EXPECT_EQ(extra, StallBoard::kNoSlot);
  board.SetLong(extra, 10);  // ignored, never out of bounds
  EXPECT_EQ(board.OldestLong(), 0u);
}

}  // namespace
}  // namespace respite::proxy
