#pragma once
// Polls a condition until it holds or a deadline passes (every wait in the tests is bounded).

#include <chrono>
#include <functional>
#include <thread>

namespace respite::test {

inline bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

}  // namespace respite::test
