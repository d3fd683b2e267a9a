#pragma once
// A bounded cache of key metadata (MetaKey bytes -> MetaValue), so that reads and the lookup
// before a write skip RocksDB. An open-addressing table (linear probing, each slot the key's hash
// and its entry, the key's bytes in the entry's own block): a lookup costs two cache misses, where
// std::unordered_map's chains cost four (issue 17: a fifth of the store thread at SET -P 16).
// Eviction is CLOCK over the slots: a hit marks an entry used; to make room, a hand walks the
// slots, sparing (and unmarking) used entries and evicting the others.
// Pinned entries (the metadata written by the batches not yet committed, which RocksDB's batch
// indexes do not hold) are never evicted; UnpinAll() releases the pending batch's pins at once (an
// epoch counter), UnpinSealed() those of the batch in flight.
// Thread: not thread-safe (the store executor).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/encoding.h"

namespace respite::storage {

class MetaCache {
 public:
  explicit MetaCache(size_t budget_bytes) : budget_(budget_bytes) {}
  ~MetaCache() { Clear(); }
  MetaCache(const MetaCache&) = delete;
  MetaCache& operator=(const MetaCache&) = delete;

  // The cached meta of `key`, or nullptr. Valid until the next call that changes the cache.
  const MetaValue* Find(std::string_view key);
  // Caches `meta` for `key` (type kNone caches a missing key). A value too big to be worth the
  // space is not cached, and any older copy is forgotten.
  void Put(std::string_view key, const MetaValue& meta);
  // Caches `meta` and pins it until UnpinAll(). Returns false (and forgets any older copy) when
  // the value is too big to cache or pins already hold half the budget: the caller must keep it
  // findable some other way. (Half: eviction then always finds unpinned victims.) With
  // `expire_before`, also tells the expiry the key had in the cache before, or -1 when it was not
  // cached (or the new value is not): one lookup for both.
  bool PutPinned(std::string_view key, const MetaValue& meta, int64_t* expire_before = nullptr);
  bool IsPinned(std::string_view key) const;
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
  void Erase(std::string_view key);
  void Clear();

  size_t bytes() const { return bytes_; }
  size_t entries() const { return count_; }

 private:
  // One block per entry: this struct, then the key's bytes.
  struct Entry {
    MetaValue meta;
    bool used = false;       // accessed since the hand last passed
    uint64_t pin_epoch = 0;  // pinned while equal to epoch_ or sealed_epoch_
    size_t key_size = 0;
    std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_size}; }
  };
  struct Slot {
    uint64_t hash = 0;
    Entry* entry = nullptr;  // nullptr: empty
  };
  bool Pinned(const Entry& entry) const {
    return entry.pin_epoch == epoch_ || (sealed_epoch_ != 0 && entry.pin_epoch == sealed_epoch_);
  }
  static size_t Cost(std::string_view key, const MetaValue& meta) {
    // Key and payload bytes plus the entry, the payload's heap block and two slots (the table is
    // at most half full); with glibc malloc a 17-byte key with a 64-byte value takes about 250.
    return key.size() + meta.payload.size() + 160;
  }
  static Entry* NewEntry(std::string_view key, const MetaValue& meta, uint64_t pin_epoch);
  static void DeleteEntry(Entry* entry);
  static uint64_t Hash(std::string_view key);
  // The slot holding `key`, or the empty slot where it would go. The table must not be empty.
  size_t Probe(std::string_view key, uint64_t hash) const;
  // Empties slot `i`, moving later entries of its run back so that no probe stops early.
  void EraseAt(size_t i);
  // Doubles the table (or makes the first one) before it gets more than half full.
  void Reserve(size_t count);
  // Caches `meta`; pins it when `pin`. Returns false when it is too big to cache.
  bool Insert(std::string_view key, const MetaValue& meta, bool pin, int64_t* expire_before);
  // Evicts unused, unpinned entries until `incoming` more bytes fit the budget.
  void MakeRoom(size_t incoming);

  size_t budget_;
  size_t bytes_ = 0;
  size_t hand_ = 0;  // the next slot the eviction hand looks at
  uint64_t epoch_ = 1;
  size_t pinned_bytes_ = 0;    // put pinned since UnpinAll (a key pinned twice counts twice)
  uint64_t sealed_epoch_ = 0;  // the pins of the batch in flight (0: none)
  size_t sealed_bytes_ = 0;
  std::vector<Slot> slots_;  // a power of two in size, or empty
  size_t count_ = 0;
};

}  // namespace respite::storage
