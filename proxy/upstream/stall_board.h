#pragma once
// Since when each upstream link has had forwarded requests without a reply, for the health
// monitor: a hung upstream (SIGSTOP) shows first as forwarded requests that stop being
// answered, before any health check could time out. Links write their own slot (io threads);
// the health monitor reads them all. Blocking commands do not count: they may wait forever.
//
// Slow is not dead (DESIGN.md): a command of this respite's clients that may keep upstream from
// answering anyone (a script, DEBUG, KEYS, FLUSHALL: resp::kCmdMayRunLong) explains upstream's
// silence while it is in flight, for at most grace_ms() from when it was sent. Links publish since
// when they have had one in flight; the health monitor and the links' request timeouts ask
// SilenceExplained before they call a silent upstream dead.

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
  uint64_t Oldest() const { return OldestOf(slots_); }

  // `since_ms` (steady clock): since when the link has had a long-running command in flight;
  // 0: none.
  void SetLong(size_t slot, uint64_t since_ms) {
    if (slot < kSlots) long_slots_[slot].store(since_ms, std::memory_order_relaxed);
  }
  // The earliest long-running command still in flight over every link; 0 when none is.
  uint64_t OldestLong() const { return OldestOf(long_slots_); }

  // How long a long-running command may explain upstream's silence (set by the health monitor:
  // the configured grace, or upstream's busy-reply-threshold if that is longer).
  void SetGraceMs(uint64_t grace_ms) { grace_ms_.store(grace_ms, std::memory_order_relaxed); }
  uint64_t grace_ms() const { return grace_ms_.load(std::memory_order_relaxed); }
  // Whether a long-running command in flight since less than the grace explains a silent upstream
  // at `now_ms` (steady clock).
  bool SilenceExplained(uint64_t now_ms) const {
    const uint64_t since = OldestLong();
    return since != 0 && (now_ms < since || now_ms - since < grace_ms());
  }

 private:
  using Slots = std::array<std::atomic<uint64_t>, kSlots>;
  uint64_t OldestOf(const Slots& slots) const {
    uint64_t oldest = 0;
    const size_t used = std::min(used_.load(std::memory_order_relaxed), kSlots);
    for (size_t i = 0; i < used; ++i) {
      const uint64_t since = slots[i].load(std::memory_order_relaxed);
      if (since != 0 && (oldest == 0 || since < oldest)) oldest = since;
    }
    return oldest;
  }

  Slots slots_{};
  Slots long_slots_{};
  std::atomic<uint64_t> grace_ms_{0};
  std::atomic<size_t> used_{0};
};

}  // namespace respite::proxy
