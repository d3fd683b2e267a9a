#pragma once
// A command's arguments in one heap block (the arguments' end offsets, then their bytes), for
// requests handed to the store thread: one allocation per command instead of one per argument
// plus the vector's, made on an io thread and freed on the store thread (issue 17: these were
// most of the io thread's malloc time at local SET -P 16).
// Thread: a value type.

#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace respite::proxy {

class PackedArgv {
 public:
  PackedArgv() = default;
  PackedArgv(std::initializer_list<std::string_view> args) { assign(args.begin(), args.end()); }
  // Implicit: tests and callers holding strings assign them directly.
  PackedArgv(const std::vector<std::string>& args) { assign(args.begin(), args.end()); }

  template <typename It>
  void assign(It first, It last) {
    size_t count = 0;
    size_t bytes = 0;
    for (It it = first; it != last; ++it, ++count) bytes += std::string_view(*it).size();
    count_ = count;
    buf_.resize(count * sizeof(size_t) + bytes);
    char* out = buf_.data() + count * sizeof(size_t);
    size_t end = 0;
    size_t i = 0;
    for (It it = first; it != last; ++it, ++i) {
      const std::string_view arg(*it);
      if (!arg.empty()) std::memcpy(out + end, arg.data(), arg.size());
      end += arg.size();
      std::memcpy(buf_.data() + i * sizeof(size_t), &end, sizeof end);
    }
  }

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  std::string_view operator[](size_t i) const {
    const size_t begin = i == 0 ? 0 : End(i - 1);
    return {buf_.data() + count_ * sizeof(size_t) + begin, End(i) - begin};
  }
  std::string_view back() const { return (*this)[count_ - 1]; }
  std::vector<std::string> ToStrings() const {
    std::vector<std::string> out;
    out.reserve(count_);
    for (size_t i = 0; i < count_; ++i) out.emplace_back((*this)[i]);
    return out;
  }

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = std::string_view;

    const_iterator() = default;
    const_iterator(const PackedArgv* argv, size_t i) : argv_(argv), i_(i) {}
    std::string_view operator*() const { return (*argv_)[i_]; }
    const_iterator& operator++() {
      ++i_;
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator before = *this;
      ++i_;
      return before;
    }
    bool operator==(const const_iterator& other) const { return i_ == other.i_; }

   private:
    const PackedArgv* argv_ = nullptr;
    size_t i_ = 0;
  };
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, count_}; }

 private:
  size_t End(size_t i) const {
    size_t end;
    std::memcpy(&end, buf_.data() + i * sizeof(size_t), sizeof end);
    return end;
  }

  std::string buf_;
  size_t count_ = 0;
};

}  // namespace respite::proxy
