#include "proxy/ring_queue.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>

namespace respite::proxy {
namespace {

TEST(RingQueue, KeepsOrderAcrossGrowthAndWrapAround) {
  RingQueue<int> ring(2);
  std::deque<int> model;
  std::mt19937 rng(7);
  int next = 0;
  for (int step = 0; step < 20000; ++step) {
    const unsigned op = rng() % 10;
    if (op < 5) {
      ring.push_back(next);
      model.push_back(next++);
    } else if (op < 6) {
      ring.push_front(next);
      model.push_front(next++);
    } else if (!model.empty()) {
      ASSERT_EQ(ring.front(), model.front());
      ring.pop_front();
      model.pop_front();
    }
    ASSERT_EQ(ring.size(), model.size());
    ASSERT_EQ(ring.empty(), model.empty());
    if (step % 997 == 0) {
      for (size_t i = 0; i < model.size(); ++i) ASSERT_EQ(ring[i], model[i]) << "at " << i;
    }
  }
}

TEST(RingQueue, PushFrontOnEmptyAndSwap) {
  RingQueue<int> a;
  a.push_front(2);
  a.push_front(1);
  a.push_back(3);
  RingQueue<int> b;
  b.swap(a);
  EXPECT_TRUE(a.empty());
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0], 1);
  EXPECT_EQ(b[1], 2);
  EXPECT_EQ(b[2], 3);
  b.clear();
  EXPECT_TRUE(b.empty());
  b.push_back(4);
  EXPECT_EQ(b.front(), 4);
}

}  // namespace
}  // namespace respite::proxy
