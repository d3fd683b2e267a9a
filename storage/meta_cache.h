#pragma once
// A bounded cache of key metadata (MetaKey bytes -> MetaValue), so that reads and the lookup
// before a write skip RocksDB. Eviction is CLOCK over the hash table's buckets: a hit marks an
// entry used; to make room, a hand walks the buckets, sparing (and unmarking) used entries and
// evicting the others. One map, one lookup per access, and close to LRU's hit rate.
// Pinned entries (the metadata written by the batches not yet committed, which RocksDB's batch
// indexes do not hold) are never evicted; UnpinAll() releases the pending batch's pins at once (an
// epoch counter), UnpinSealed() those of the batch in flight.
// Thread: not thread-safe (the store executor).

#include <cstddef>
#include <cstdint>
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
  void Put(const std::string& key, const MetaValue& meta);
  // Caches `meta` and pins it until UnpinAll(). Returns false (and forgets any older copy) when
  // the value is too big to cache or pins already hold half the budget: the caller must keep it
  // findable some other way. (Half: eviction then always finds unpinned victims.) With
  // `expire_before`, also tells the expiry the key had in the cache before, or -1 when it was not
  // cached (or the new value is not): one lookup for both.
  bool PutPinned(const std::string& key, const MetaValue& meta, int64_t* expire_before = nullptr);
  bool IsPinned(const std::string& key) const;
  // Releases the pins of the pending batch (not those of a sealed one).
  void UnpinAll() {
    ++epoch_;
    pinned_bytes_ = 0;
  }
  // Pipelined commit: the pins so far belong to the batch handed to the commit thread and stay
  // until UnpinSealed(); new pins belong to the next batch. One sealed batch at a time.
  void SealPins() {
    sealed_epoch_ = epoch_++;
    sealed_bytes_ = pinned_bytes_;
    pinned_bytes_ = 0;
  }
  void UnpinSealed() {
    sealed_epoch_ = 0;
    sealed_bytes_ = 0;
  }
  void Erase(const std::string& key);
  void Clear();

  size_t bytes() const { return bytes_; }
  size_t entries() const { return map_.size(); }

 private:
  struct Entry {
    MetaValue meta;
    bool used = false;       // accessed since the hand last passed
    uint64_t pin_epoch = 0;  // pinned while equal to epoch_ or sealed_epoch_
  };
  bool Pinned(const Entry& entry) const {
    return entry.pin_epoch == epoch_ || (sealed_epoch_ != 0 && entry.pin_epoch == sealed_epoch_);
  }
  static size_t Cost(const std::string& key, const MetaValue& meta) {
    // Key and payload bytes plus the node, the strings' heap blocks and the bucket; measured with
    // glibc malloc: a 17-byte key with a 64-byte value takes about 250 bytes.
    return key.size() + meta.payload.size() + 160;
  }
  // Caches `meta`; pins it when `pin`. Returns false when it is too big to cache. The key is
  // copied only for a new entry: most writes update a cached key.
  bool Insert(const std::string& key, const MetaValue& meta, bool pin, int64_t* expire_before);
  // Evicts unused, unpinned entries until `incoming` more bytes fit the budget.
  void MakeRoom(size_t incoming);

  size_t budget_;
  size_t bytes_ = 0;
  size_t hand_ = 0;  // the next bucket the eviction hand looks at
  uint64_t epoch_ = 1;
  size_t pinned_bytes_ = 0;    // put pinned since UnpinAll (a key pinned twice counts twice)
  uint64_t sealed_epoch_ = 0;  // the pins of the batch in flight (0: none)
  size_t sealed_bytes_ = 0;
  std::unordered_map<std::string, Entry> map_;
  std::vector<std::string> victims_;
};

}  // namespace respite::storage
