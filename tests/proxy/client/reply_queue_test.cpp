#include "proxy/client/reply_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace respite::proxy {
namespace {

TEST(ReplyQueue, InOrderRepliesGoStraightOut) {
  ReplyQueue q;
  std::string out;
  const uint64_t a = q.Reserve();
  const uint64_t b = q.Reserve();
  q.Complete(a, "+a\r\n", &out);
  EXPECT_EQ(out, "+a\r\n");
  q.Complete(b, "+b\r\n", &out);
  EXPECT_EQ(out, "+a\r\n+b\r\n");
  EXPECT_EQ(q.outstanding(), 0u);
}

TEST(ReplyQueue, LaterReplyWaitsForEarlierOne) {
  ReplyQueue q;
  std::string out;
  const uint64_t a = q.Reserve();
  const uint64_t b = q.Reserve();
  const uint64_t c = q.Reserve();
  q.Complete(c, "+c\r\n", &out);
  q.Complete(b, "+b\r\n", &out);
  EXPECT_EQ(out, "");
  EXPECT_EQ(q.outstanding(), 3u);
  q.Complete(a, "+a\r\n", &out);
  EXPECT_EQ(out, "+a\r\n+b\r\n+c\r\n");
  EXPECT_EQ(q.outstanding(), 0u);
}

TEST(ReplyQueue, DiscardedRepliesAreDropped) {
  ReplyQueue q;
  std::string out;
  const uint64_t a = q.Reserve(/*discard=*/true);
  const uint64_t b = q.Reserve();
  const uint64_t c = q.Reserve(/*discard=*/true);
  q.Complete(b, "+b\r\n", &out);
  q.Complete(c, "+c\r\n", &out);
  q.Complete(a, "+a\r\n", &out);
  EXPECT_EQ(out, "+b\r\n");
}

TEST(ReplyQueue, GrowsPastItsRingAndKeepsOrderUnderRandomCompletion) {
  ReplyQueue q;
  std::mt19937 rng(7);
  std::vector<uint64_t> tags;
  for (int i = 0; i < 5000; ++i) tags.push_back(q.Reserve());
  std::vector<uint64_t> order = tags;
  std::shuffle(order.begin(), order.end(), rng);
  std::string out;
  for (uint64_t t : order) q.Complete(t, ":" + std::to_string(t) + "\r\n", &out);
  std::string expected;
  for (uint64_t t : tags) expected += ":" + std::to_string(t) + "\r\n";
  EXPECT_EQ(out, expected);
  EXPECT_EQ(q.outstanding(), 0u);
}

}  // namespace
}  // namespace respite::proxy
