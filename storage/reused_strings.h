#pragma once
// A list of strings whose buffers outlive clear(): the meta keys a batch wrote are listed one per
// write and dropped per batch, and reusing their buffers keeps a write from allocating for it.
// Thread: not thread-safe (the store executor).

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace respite::storage {

class ReusedStrings {
 public:
  // A new last element, empty, with the buffer it had before the last clear().
  std::string& Add() {
    if (size_ == items_.size()) items_.emplace_back();
    std::string& item = items_[size_++];
    item.clear();
    return item;
  }
  void clear() {
    // A huge batch (a MULTI or script writing millions of keys) does not pin its peak for good.
    if (items_.size() > kKept) items_.resize(kKept);
    size_ = 0;
  }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const std::string* begin() const { return items_.data(); }
  const std::string* end() const { return items_.data() + size_; }
  void swap(ReusedStrings& other) {
    items_.swap(other.items_);
    std::swap(size_, other.size_);
  }

 private:
  static constexpr size_t kKept = 4096;
  std::vector<std::string> items_;
  size_t size_ = 0;
};

}  // namespace respite::storage
