#pragma once
// Puts one client's replies back in request order. Each request reserves a tag; replies may
// complete out of order (a local reply while a forwarded one is in flight, two upstream links),
// and are written out only once every earlier one is. No allocation per reply once warm: slots are
// a power-of-two ring whose strings keep their capacity.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace respite::proxy {

// What the session needs to know of a request when its reply comes: for metrics and INFO.
struct ReplyMeta {
  uint64_t start_ns = 0;  // when the command was read (0: not measured)
  uint8_t path = 0;       // CommandPath
  bool info = false;      // an INFO whose reply gains respite's section
};

class ReplyQueue {
 public:
  ReplyQueue() : ring_(64) {}

  // Reserves the next tag. A discarded reply (CLIENT REPLY OFF/SKIP) is dropped when it completes.
  uint64_t Reserve(bool discard = false, ReplyMeta meta = {}) {
    if (next_ - head_ == ring_.size()) Grow();
    Slot& s = ring_[next_ & (ring_.size() - 1)];
    s.discard = discard;
    s.ready = false;
    s.meta = meta;
    return next_++;
  }

  // The meta of a reserved, not yet completed tag.
  const ReplyMeta& meta(uint64_t tag) const { return ring_[tag & (ring_.size() - 1)].meta; }

  // Completes `tag` with `reply` and appends to *out every reply that is now in order.
  void Complete(uint64_t tag, std::string_view reply, std::string* out) {
    const size_t mask = ring_.size() - 1;
    if (tag != head_) {
      Slot& s = ring_[tag & mask];
      s.data.assign(reply);
      s.ready = true;
      return;
    }
    if (!ring_[head_ & mask].discard) out->append(reply);
    ++head_;
    while (head_ != next_ && ring_[head_ & mask].ready) {
      Slot& s = ring_[head_ & mask];
      if (!s.discard) out->append(s.data);
      s.ready = false;
      if (s.data.capacity() > kKeepCapacity) std::string().swap(s.data);
      s.data.clear();
      ++head_;
    }
  }

  // Replies reserved and not yet written out.
  uint64_t outstanding() const { return next_ - head_; }

 private:
  static constexpr size_t kKeepCapacity = 64 * 1024;
  struct Slot {
    std::string data;
    bool ready = false;
    bool discard = false;
    ReplyMeta meta;
  };

  void Grow() {
    std::vector<Slot> bigger(ring_.size() * 2);
    for (uint64_t t = head_; t != next_; ++t) {
      bigger[t & (bigger.size() - 1)] = std::move(ring_[t & (ring_.size() - 1)]);
    }
    ring_.swap(bigger);
  }

  std::vector<Slot> ring_;
  uint64_t head_ = 0;
  uint64_t next_ = 0;
};

}  // namespace respite::proxy
