#pragma once
// Since when each upstream link has had forwarded requests without a reply, for the health
// monitor: a hung upstream (SIGSTOP) shows first as forwarded requests that stop being
// answered, before any health check could time out. Links write their own slot (io threads);
// the health monitor reads them all. Blocking commands do not count: they may wait forever.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace respite::proxy {

class StallBoard {
 public:
  static constexpr size_t kSlots = 1024;
  static constexpr size_t kNoSlot = kSlots;

  // A slot for a new link; kNoSlot once all are taken (that link is then not watched).
  size_t Claim() {
    const size_t slot = used_.fetch_add(1, std::memory_order_relaxed);
    return slot < kSlots ? slot : kNoSlot;
  }
  // `since_ms` (steady clock): the oldest unanswered request's wait began; 0: none waits.
  void Set(size_t slot, uint64_t since_ms) {
    if (slot < kSlots) slots_[slot].store(since_ms, std::memory_order_relaxed);
  }
  // The earliest "waiting since" over every link; 0 when nothing waits.
  uint64_t Oldest() const {
    uint64_t oldest = 0;
    const size_t used = std::min(used_.load(std::memory_order_relaxed), kSlots);
    for (size_t i = 0; i < used; ++i) {
      const uint64_t since = slots_[i].load(std::memory_order_relaxed);
      if (since != 0 && (oldest == 0 || since < oldest)) oldest = since;
    }
    return oldest;
  }

 private:
  std::array<std::atomic<uint64_t>, kSlots> slots_{};
  std::atomic<size_t> used_{0};
};

}  // namespace respite::proxy
