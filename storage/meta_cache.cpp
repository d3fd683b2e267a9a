#include "storage/meta_cache.h"

#include <algorithm>

namespace respite::storage {

const MetaValue* MetaCache::Find(const std::string& key) {
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  it->second.used = true;
  return &it->second.meta;
}

void MetaCache::Put(const std::string& key, const MetaValue& meta) {
  (void)Insert(key, meta, /*pin=*/false, nullptr);
}

bool MetaCache::PutPinned(const std::string& key, const MetaValue& meta, int64_t* expire_before) {
  return Insert(key, meta, /*pin=*/true, expire_before);
}

bool MetaCache::IsPinned(const std::string& key) const {
  auto it = map_.find(key);
  return it != map_.end() && Pinned(it->second);
}

bool MetaCache::Insert(const std::string& key, const MetaValue& meta, bool pin,
                       int64_t* expire_before) {
  if (expire_before != nullptr) *expire_before = -1;
  if (budget_ == 0) return false;
  const size_t cost = Cost(key, meta);
  if (cost > budget_ / 8 || (pin && sealed_bytes_ + pinned_bytes_ + cost > budget_ / 2)) {
    Erase(key);
    return false;
  }
  if (pin) pinned_bytes_ += cost;
  if (auto it = map_.find(key); it != map_.end()) {
    if (expire_before != nullptr) *expire_before = it->second.meta.expire_ms;
    bytes_ -= std::min(bytes_, Cost(it->first, it->second.meta));
    it->second.meta = meta;
    it->second.used = true;
    if (pin) it->second.pin_epoch = epoch_;
    bytes_ += cost;
    return true;
  }
  MakeRoom(cost);
  map_.emplace(key, Entry{meta, false, pin ? epoch_ : 0});
  bytes_ += cost;
  return true;
}

void MetaCache::Erase(const std::string& key) {
  if (auto it = map_.find(key); it != map_.end()) {
    bytes_ -= std::min(bytes_, Cost(it->first, it->second.meta));
    map_.erase(it);
  }
}

void MetaCache::Clear() {
  map_.clear();
  bytes_ = 0;
}

void MetaCache::MakeRoom(size_t incoming) {
  // Each full turn of the hand unmarks every entry, so the second turn finds every unpinned entry
  // a victim. Pins hold at most half the budget, so there are some; two fruitless turns in a row
  // would mean there are none, and the loop stops rather than spin.
  size_t fruitless_turns = 0;
  while (bytes_ + incoming > budget_ && !map_.empty() && fruitless_turns < 2) {
    const size_t buckets = map_.bucket_count();
    victims_.clear();
    for (size_t scanned = 0; victims_.empty() && scanned < buckets; ++scanned) {
      hand_ = (hand_ + 1) % buckets;
      for (auto it = map_.begin(hand_); it != map_.end(hand_); ++it) {
        Entry& entry = it->second;
        if (Pinned(entry)) continue;
        if (entry.used) {
          entry.used = false;
        } else {
          victims_.push_back(it->first);
        }
      }
    }
    fruitless_turns = victims_.empty() ? fruitless_turns + 1 : 0;
    for (const std::string& key : victims_) Erase(key);
  }
}

}  // namespace respite::storage
