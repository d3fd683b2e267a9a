#pragma once
// A growable read buffer: bytes land at the end, complete messages are consumed from the front.
// Offsets stay valid across reads until Consume(); the buffer may move when it grows. Its memory
// is not zero-filled: room made for a big bulk costs resident memory only as the bytes arrive.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace respite::proxy {

class IoBuffer {
 public:
  explicit IoBuffer(size_t initial = 16 * 1024)
      : data_(std::make_unique_for_overwrite<char[]>(initial)), capacity_(initial) {}

  // Unconsumed bytes.
  std::string_view Data() const { return {data_.get() + begin_, end_ - begin_}; }
  size_t size() const { return end_ - begin_; }

  // Space to read into: at least `min_free` bytes, compacting or growing as needed. Pass the total
  // unconsumed bytes a parser needs (its bytes_needed) as `want_total` to grow once for a big bulk.
  char* WritePtr(size_t min_free = 4096, size_t want_total = 0) {
    size_t want = std::max(size() + min_free, want_total);
    if (begin_ > 0 && (begin_ == end_ || capacity_ - end_ < min_free)) Compact();
    if (capacity_ < want) Reallocate(std::max(want, capacity_ * 2));
    return data_.get() + end_;
  }
  size_t WritableBytes() const { return capacity_ - end_; }
  void Commit(size_t n) { end_ += n; }

  void Consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }

  // Gives memory back after a large message so an idle connection stays small.
  void ShrinkIfIdle(size_t keep = 16 * 1024) {
    if (begin_ == end_ && capacity_ > 4 * keep) {
      begin_ = end_ = 0;
      Reallocate(keep);
    }
  }

 private:
  void Compact() {
    std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  // Moves the unconsumed bytes to the front of a new buffer of `capacity` bytes.
  void Reallocate(size_t capacity) {
    auto next = std::make_unique_for_overwrite<char[]>(capacity);
    if (end_ > begin_) std::memcpy(next.get(), data_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    data_ = std::move(next);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace respite::proxy
