#pragma once
// The two clocks the proxy reads outside the local store (which has storage::Clock).

#include <chrono>
#include <cstdint>

namespace respite::proxy {

// Unix time in milliseconds: for timestamps shown to people and stored in the journal.
inline int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Nanoseconds of a monotonic clock: for durations.
inline uint64_t MonotonicNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace respite::proxy
