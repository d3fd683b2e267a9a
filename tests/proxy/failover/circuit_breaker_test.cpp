#include "proxy/failover/circuit_breaker.h"

#include <gtest/gtest.h>

namespace respite::proxy {
namespace {

CircuitBreaker::Options Opts() {
  return {.failures = 3, .successes = 2, .backoff_base_ms = 100, .backoff_max_ms = 1000};
}

// Full jitter with the top of the range, so tests see the ceiling.
uint64_t Max(uint64_t bound) { return bound; }

TEST(CircuitBreaker, OpensAfterConsecutiveFailuresOnly) {
  CircuitBreaker b(Opts(), Max);
  b.OnFailure(0);
  b.OnFailure(0);
  b.OnSuccess();  // resets the count
  b.OnFailure(0);
  b.OnFailure(0);
  EXPECT_EQ(b.state(), CircuitBreaker::State::kClosed);
  b.OnFailure(0);
  EXPECT_EQ(b.state(), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(b.Allow(50));
}

TEST(CircuitBreaker, HalfOpensByItselfAndClosesAfterSuccesses) {
  CircuitBreaker b(Opts(), Max);
  for (int i = 0; i < 3; ++i) b.OnFailure(1000);
  EXPECT_EQ(b.retry_at_ms(), 1100u);
  EXPECT_FALSE(b.Allow(1099));
  EXPECT_TRUE(b.Allow(1100));
  EXPECT_EQ(b.state(), CircuitBreaker::State::kHalfOpen);
  b.OnSuccess();
  EXPECT_EQ(b.state(), CircuitBreaker::State::kHalfOpen);
  b.OnSuccess();
  EXPECT_EQ(b.state(), CircuitBreaker::State::kClosed);
}

TEST(CircuitBreaker, FailedProbeReopensWithALongerBackoffUpToTheCap) {
  CircuitBreaker b(Opts(), Max);
  for (int i = 0; i < 3; ++i) b.OnFailure(0);
  uint64_t now = 0;
  std::vector<uint64_t> waits;
  for (int round = 0; round < 6; ++round) {
    waits.push_back(b.retry_at_ms() - now);
    now = b.retry_at_ms();
    ASSERT_TRUE(b.Allow(now));
    b.OnFailure(now);  // one failure in half-open reopens at once
    ASSERT_EQ(b.state(), CircuitBreaker::State::kOpen);
  }
  EXPECT_EQ(waits, (std::vector<uint64_t>{100, 200, 400, 800, 1000, 1000}));
  EXPECT_EQ(b.opened_total(), 7u);
}

TEST(CircuitBreaker, JitterStaysWithinTheCeiling) {
  uint64_t seen_bound = 0;
  CircuitBreaker b(Opts(), [&](uint64_t bound) {
    seen_bound = bound;
    return bound / 3;
  });
  for (int i = 0; i < 3; ++i) b.OnFailure(0);
  EXPECT_EQ(seen_bound, 100u);
  EXPECT_EQ(b.retry_at_ms(), 33u);
}

TEST(CircuitBreaker, ClosingResetsTheBackoff) {
  CircuitBreaker b(Opts(), Max);
  for (int i = 0; i < 3; ++i) b.OnFailure(0);
  ASSERT_TRUE(b.Allow(100));
  b.OnFailure(100);  // 200 ms next
  ASSERT_TRUE(b.Allow(300));
  b.OnSuccess();
  b.OnSuccess();
  ASSERT_EQ(b.state(), CircuitBreaker::State::kClosed);
  for (int i = 0; i < 3; ++i) b.OnFailure(1000);
  EXPECT_EQ(b.retry_at_ms(), 1100u);  // back to the base
}

}  // namespace
}  // namespace respite::proxy
