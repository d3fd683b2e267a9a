#pragma once
// A growable read buffer: bytes land at the end, complete messages are consumed from the front.
// Offsets stay valid across reads until Consume(); the buffer may move when it grows.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string_view>
#include <vector>

namespace respite::proxy {

class IoBuffer {
 public:
  explicit IoBuffer(size_t initial = 16 * 1024) : data_(initial) {}

  // Unconsumed bytes.
  std::string_view Data() const { return {data_.data() + begin_, end_ - begin_}; }
  size_t size() const { return end_ - begin_; }

  // Space to read into: at least `min_free` bytes, compacting or growing as needed. Pass the total
  // unconsumed bytes a parser needs (its bytes_needed) as `want_total` to grow once for a big bulk.
  char* WritePtr(size_t min_free = 4096, size_t want_total = 0) {
    size_t want = std::max(size() + min_free, want_total);
    if (begin_ > 0 && (begin_ == end_ || data_.size() - end_ < min_free)) Compact();
    if (data_.size() < want) data_.resize(std::max(want, data_.size() * 2));
    return data_.data() + end_;
  }
  size_t WritableBytes() const { return data_.size() - end_; }
  void Commit(size_t n) { end_ += n; }

  void Consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }

  // Gives memory back after a large message so an idle connection stays small.
  void ShrinkIfIdle(size_t keep = 16 * 1024) {
    if (begin_ == end_ && data_.size() > 4 * keep) {
      std::vector<char>(keep).swap(data_);
      begin_ = end_ = 0;
    }
  }

 private:
  void Compact() {
    std::memmove(data_.data(), data_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }

  std::vector<char> data_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace respite::proxy
