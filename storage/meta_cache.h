#pragma once
// A bounded cache of key metadata (MetaKey bytes -> MetaValue), so that reads and the lookup
// before a write skip RocksDB. Eviction is CLOCK over the hash table's buckets: a hit marks an
// entry used; to make room, a hand walks the buckets, sparing (and unmarking) used entries and
// evicting the others. One map, one lookup per access, and close to LRU's hit rate.
// Thread: not thread-safe (the store executor).

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/encoding.h"

namespace respite::storage {

class MetaCache {
 public:
  explicit MetaCache(size_t budget_bytes) : budget_(budget_bytes) {}

  // The cached meta of `key`, or nullptr. Valid until the next call that changes the cache.
  const MetaValue* Find(const std::string& key);
  // Caches `meta` for `key` (type kNone caches a missing key). A value too big to be worth the
  // space is not cached, and any older copy is forgotten.
  void Put(std::string key, const MetaValue& meta);
  void Erase(const std::string& key);
  void Clear();

  size_t bytes() const { return bytes_; }
  size_t entries() const { return map_.size(); }

 private:
  struct Entry {
    MetaValue meta;
    bool used = false;  // accessed since the hand last passed
  };
  static size_t Cost(const std::string& key, const MetaValue& meta) {
    // Key and payload bytes plus the node, the strings' heap blocks and the bucket; measured with
    // glibc malloc: a 17-byte key with a 64-byte value takes about 250 bytes.
    return key.size() + meta.payload.size() + 160;
  }
  // Evicts unused entries until `incoming` more bytes fit the budget.
  void MakeRoom(size_t incoming);

  size_t budget_;
  size_t bytes_ = 0;
  size_t hand_ = 0;  // the next bucket the eviction hand looks at
  std::unordered_map<std::string, Entry> map_;
  std::vector<std::string> victims_;
};

}  // namespace respite::storage
