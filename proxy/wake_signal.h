#pragma once
// A background thread's sleep that another thread can cut short: the replayers sleep between
// attempts and are woken when the failover state changes or an operator asks. Thread-safe.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace respite::proxy {

class WakeSignal {
 public:
  // Ends the current sleep, or the next one at once.
  void Wake() {
    {
      std::lock_guard lock(mu_);
      woken_ = true;
    }
    cv_.notify_all();
  }
  // Sleeps up to `ms`, or until Wake() or `stop` (set before a Wake()). True when woken.
  bool Sleep(uint64_t ms, const std::atomic<bool>& stop) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return woken_ || stop.load(); });
    const bool woken = woken_;
    woken_ = false;
    return woken;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;  // under mu_
};

}  // namespace respite::proxy
