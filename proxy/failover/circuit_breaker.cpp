#include "proxy/failover/circuit_breaker.h"

#include <algorithm>

namespace respite::proxy {

bool CircuitBreaker::Allow(uint64_t now_ms) {
  if (state_ == State::kOpen && now_ms >= retry_at_ms_) {
    state_ = State::kHalfOpen;
    successes_ = 0;
  }
  return state_ != State::kOpen;
}

void CircuitBreaker::OnSuccess() {
  failures_ = 0;
  if (state_ == State::kHalfOpen && ++successes_ >= options_.successes) {
    state_ = State::kClosed;
    opens_in_a_row_ = 0;
  }
}

void CircuitBreaker::OnFailure(uint64_t now_ms) {
  ++failures_;
  if (state_ == State::kHalfOpen || failures_ >= options_.failures) Open(now_ms);
}

void CircuitBreaker::Open(uint64_t now_ms) {
  const uint32_t n = std::min<uint32_t>(opens_in_a_row_, 40);
  const uint64_t ceiling = std::min<uint64_t>(
      options_.backoff_max_ms, n >= 40 ? options_.backoff_max_ms : options_.backoff_base_ms << n);
  state_ = State::kOpen;
  retry_at_ms_ = now_ms + random_(ceiling);
  ++opens_in_a_row_;
  ++opened_total_;
  failures_ = 0;
  successes_ = 0;
}

std::string_view CircuitBreaker::Name(State state) {
  switch (state) {
    case State::kClosed:
      return "closed";
    case State::kOpen:
      return "open";
    case State::kHalfOpen:
      return "half-open";
  }
  return "?";
}

}  // namespace respite::proxy
