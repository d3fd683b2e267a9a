#include "storage/meta_cache.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <new>

namespace respite::storage {

MetaCache::Entry* MetaCache::NewEntry(std::string_view key, const MetaValue& meta,
                                      uint64_t pin_epoch) {
  void* block = ::operator new(sizeof(Entry) + key.size());
  Entry* entry = new (block) Entry{meta, false, pin_epoch, key.size()};
  if (!key.empty()) std::memcpy(static_cast<char*>(block) + sizeof(Entry), key.data(), key.size());
  return entry;
}

void MetaCache::DeleteEntry(Entry* entry) {
  entry->~Entry();
  ::operator delete(entry);
}

uint64_t MetaCache::Hash(std::string_view key) { return std::hash<std::string_view>()(key); }

size_t MetaCache::Probe(std::string_view key, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.entry == nullptr || (slot.hash == hash && slot.entry->key() == key)) return i;
  }
}

const MetaValue* MetaCache::Find(std::string_view key) {
  if (count_ == 0) return nullptr;
  Entry* entry = slots_[Probe(key, Hash(key))].entry;
  if (entry == nullptr) return nullptr;
  entry->used = true;
  return &entry->meta;
}

void MetaCache::Put(std::string_view key, const MetaValue& meta) {
  (void)Insert(key, meta, /*pin=*/false, nullptr);
}

bool MetaCache::PutPinned(std::string_view key, const MetaValue& meta, int64_t* expire_before) {
  return Insert(key, meta, /*pin=*/true, expire_before);
}

bool MetaCache::IsPinned(std::string_view key) const {
  if (count_ == 0) return false;
  const Entry* entry = slots_[Probe(key, Hash(key))].entry;
  return entry != nullptr && Pinned(*entry);
}

bool MetaCache::Insert(std::string_view key, const MetaValue& meta, bool pin,
                       int64_t* expire_before) {
  if (expire_before != nullptr) *expire_before = -1;
  if (budget_ == 0) return false;
  const size_t cost = Cost(key, meta);
  if (cost > budget_ / 8 || (pin && sealed_bytes_ + pinned_bytes_ + cost > budget_ / 2)) {
    Erase(key);
    return false;
  }
  if (pin) pinned_bytes_ += cost;
  const uint64_t hash = Hash(key);
  if (count_ > 0) {
    if (Entry* entry = slots_[Probe(key, hash)].entry; entry != nullptr) {
      if (expire_before != nullptr) *expire_before = entry->meta.expire_ms;
      bytes_ -= std::min(bytes_, Cost(key, entry->meta));
      entry->meta = meta;
      entry->used = true;
      if (pin) entry->pin_epoch = epoch_;
      bytes_ += cost;
      return true;
    }
  }
  MakeRoom(cost);
  Reserve(count_ + 1);
  slots_[Probe(key, hash)] = Slot{hash, NewEntry(key, meta, pin ? epoch_ : 0)};
  ++count_;
  bytes_ += cost;
  return true;
}

void MetaCache::Erase(std::string_view key) {
  if (count_ == 0) return;
  const size_t i = Probe(key, Hash(key));
  if (slots_[i].entry != nullptr) EraseAt(i);
}

void MetaCache::EraseAt(size_t i) {
  Entry* entry = slots_[i].entry;
  bytes_ -= std::min(bytes_, Cost(entry->key(), entry->meta));
  DeleteEntry(entry);
  slots_[i] = Slot{};
  --count_;
  // Backward shift: an entry further along the run moves into the hole unless its home slot lies
  // (cyclically) after the hole, where a probe for it starts past the hole anyway.
  const size_t mask = slots_.size() - 1;
  for (size_t j = (i + 1) & mask; slots_[j].entry != nullptr; j = (j + 1) & mask) {
    const size_t home = slots_[j].hash & mask;
    const bool reachable_without_hole = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (reachable_without_hole) continue;
    slots_[i] = slots_[j];
    slots_[j] = Slot{};
    i = j;
  }
}

void MetaCache::Reserve(size_t count) {
  if (count * 2 <= slots_.size()) return;
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.resize(std::max<size_t>(1024, old.size() * 2));
  const size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.entry == nullptr) continue;
    size_t i = slot.hash & mask;
    while (slots_[i].entry != nullptr) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

void MetaCache::Clear() {
  for (Slot& slot : slots_) {
    if (slot.entry != nullptr) DeleteEntry(slot.entry);
  }
  std::vector<Slot>().swap(slots_);
  count_ = 0;
  bytes_ = 0;
  hand_ = 0;
}

void MetaCache::MakeRoom(size_t incoming) {
  // A full turn of the hand unmarks every entry, so the second turn finds every unpinned entry a
  // victim. Pins hold at most half the budget, so there are some; two turns without a victim would
  // mean there are none, and the loop stops rather than spin.
  size_t without_victim = 0;
  while (bytes_ + incoming > budget_ && count_ > 0 && without_victim < 2 * slots_.size()) {
    hand_ &= slots_.size() - 1;
    Entry* entry = slots_[hand_].entry;
    if (entry == nullptr || Pinned(*entry)) {
      ++hand_;
      ++without_victim;
    } else if (entry->used) {
      entry->used = false;
      ++hand_;
      ++without_victim;
    } else {
      EraseAt(hand_);  // the slot now holds the next entry of its run, if any: looked at next
      without_victim = 0;
    }
  }
}

}  // namespace respite::storage
