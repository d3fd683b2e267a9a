#pragma once
// A FIFO queue on a power-of-two ring that only grows: once warm, pushing and popping never touch
// the allocator and stay in the same few cache lines (a std::deque allocates a node every few
// elements and frees it again). For small, trivially copyable elements.

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

namespace respite::proxy {

template <typename T>
class RingQueue {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  explicit RingQueue(size_t initial = 64) : ring_(RoundUp(initial)) {}

  bool empty() const { return head_ == tail_; }
  size_t size() const { return static_cast<size_t>(tail_ - head_); }

  // The i-th element from the front.
  T& operator[](size_t i) { return ring_[(head_ + i) & Mask()]; }
  const T& operator[](size_t i) const { return ring_[(head_ + i) & Mask()]; }
  T& front() { return ring_[head_ & Mask()]; }
  const T& front() const { return ring_[head_ & Mask()]; }

  void push_back(const T& value) {
    if (size() == ring_.size()) Grow();
    ring_[tail_++ & Mask()] = value;
  }
  void push_front(const T& value) {
    if (size() == ring_.size()) Grow();
    ring_[--head_ & Mask()] = value;
  }
  void pop_front() { ++head_; }
  void clear() { head_ = tail_ = 0; }
  void swap(RingQueue& other) {
    ring_.swap(other.ring_);
    std::swap(head_, other.head_);
    std::swap(tail_, other.tail_);
  }

 private:
  static size_t RoundUp(size_t n) {
    size_t size = 1;
    while (size < n) size *= 2;
    return size;
  }
  size_t Mask() const { return ring_.size() - 1; }
  void Grow() {
    std::vector<T> bigger(ring_.size() * 2);
    for (size_t i = 0; i < size(); ++i) bigger[i] = (*this)[i];
    tail_ = size();
    head_ = 0;
    ring_.swap(bigger);
  }

  std::vector<T> ring_;
  // Positions count up forever (push_front counts down); only their low bits index the ring.
  uint64_t head_ = 0;
  uint64_t tail_ = 0;
};

}  // namespace respite::proxy
