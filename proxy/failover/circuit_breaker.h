#pragma once
// The circuit breaker that guards replay and the switch back to forwarding (DESIGN.md "Circuit
// breaker"): CLOSED lets everything through; `failures` consecutive failures OPEN it; while open
// it waits random(0, min(max, base * 2^n)) (full jitter; n = times it opened in a row), then goes
// HALF_OPEN by itself and lets probes through; `successes` good results in a row CLOSE it, one
// failure opens it again. Pure logic: time and randomness come from the caller. Not thread-safe.

#include <cstdint>
#include <functional>
#include <string_view>

namespace respite::proxy {

class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };

  struct Options {
    uint32_t failures = 5;
    uint32_t successes = 2;
    uint64_t backoff_base_ms = 1000;
    uint64_t backoff_max_ms = 30000;
  };

  // `random` returns a uniform value in [0, bound] for a bound it is given.
  CircuitBreaker(Options options, std::function<uint64_t(uint64_t bound)> random)
      : options_(options), random_(std::move(random)) {}

  // Whether a request may go now; moves OPEN to HALF_OPEN once the backoff has passed.
  bool Allow(uint64_t now_ms);
  void OnSuccess();
  void OnFailure(uint64_t now_ms);

  State state() const { return state_; }
  // While open: when it will let a probe through.
  uint64_t retry_at_ms() const { return retry_at_ms_; }
  uint32_t consecutive_failures() const { return failures_; }
  uint64_t opened_total() const { return opened_total_; }

  static std::string_view Name(State state);

 private:
  void Open(uint64_t now_ms);

  Options options_;
  std::function<uint64_t(uint64_t)> random_;
  State state_ = State::kClosed;
  uint32_t failures_ = 0;
  uint32_t successes_ = 0;
  uint32_t opens_in_a_row_ = 0;
  uint64_t retry_at_ms_ = 0;
  uint64_t opened_total_ = 0;
};

}  // namespace respite::proxy
