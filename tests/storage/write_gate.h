#pragma once
// Holds or fails the local store's writes from a test (EngineOptions::before_write): a batch handed
// to the commit thread can be kept in flight while the test looks at what the store does
// meanwhile, and a write can fail as a full disk would make it.

#include <condition_variable>
#include <mutex>

#include "storage/status.h"

namespace respite::storage {

class WriteGate {
 public:
  // The hook: counts the write, waits while held, then fails it when a failure is due.
  Status BeforeWrite() {
    std::unique_lock lock(mu_);
    const int index = ++started_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return !held_; });
    if (index == fail_write_) return Status::IoError("injected write failure");
    return Status::Ok();
  }

  void Hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }
  // The n-th write from now on (1 = the next) fails.
  void FailWrite(int n) {
    std::lock_guard lock(mu_);
    fail_write_ = started_ + n;
  }
  // Waits until `n` writes have started in all.
  void WaitStarted(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return started_ >= n; });
  }
  int started() {
    std::lock_guard lock(mu_);
    return started_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  int started_ = 0;
  int fail_write_ = 0;
};

}  // namespace respite::storage
