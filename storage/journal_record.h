#pragma once
// The journal entries one command (or transaction) produced, in order, each with the db it ran in.
// Reused from command to command: a cleared record keeps its entries' vectors and strings, so
// recording a write allocates nothing once warm (the store records one for every local write).
// Thread: the store executor only.

#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace respite::storage {

class JournalRecord {
 public:
  void Clear() { size_ = 0; }
  // Keeps the first n entries.
  void Truncate(size_t n) {
    if (n < size_) size_ = n;
  }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Appends an entry: argv (strings or string views) run in `db`.
  template <typename Strings>
  void Add(const Strings& argv, int db) {
    std::vector<std::string>& entry = Next(db);
    entry.resize(std::size(argv));
    size_t i = 0;
    for (const auto& arg : argv) entry[i++].assign(std::string_view(arg));
  }
  void Add(std::initializer_list<std::string_view> argv, int db) {
    Add<std::initializer_list<std::string_view>>(argv, db);
  }
  // Appends every entry of `other`, in the db given (-1: each entry's own).
  void AddAll(const JournalRecord& other, int db = -1) {
    for (size_t i = 0; i < other.size_; ++i) {
      Add(other.entries_[i], db < 0 ? other.dbs_[i] : db);
    }
  }

  std::span<const std::vector<std::string>> entries() const { return {entries_.data(), size_}; }
  std::span<const int> dbs() const { return {dbs_.data(), size_}; }
  // A copy of the entries (tests).
  std::vector<std::vector<std::string>> Copy() const {
    return {entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(size_)};
  }

 private:
  std::vector<std::string>& Next(int db) {
    if (size_ == entries_.size()) {
      entries_.emplace_back();
      dbs_.push_back(0);
    }
    dbs_[size_] = db;
    return entries_[size_++];
  }

  std::vector<std::vector<std::string>> entries_;
  std::vector<int> dbs_;
  size_t size_ = 0;
};

}  // namespace respite::storage
