#include "storage/meta_cache.h"

#include <algorithm>

namespace respite::storage {

const MetaValue* MetaCache::Find(const std::string& key) {
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  it->second.used = true;
  return &it->second.meta;
}

void MetaCache::Put(std::string key, const MetaValue& meta) {
  if (budget_ == 0) return;
  const size_t cost = Cost(key, meta);
  if (cost > budget_ / 8) {
    Erase(key);
    return;
  }
  if (auto it = map_.find(key); it != map_.end()) {
    bytes_ -= std::min(bytes_, Cost(it->first, it->second.meta));
    it->second.meta = meta;
    it->second.used = true;
    bytes_ += cost;
    return;
  }
  MakeRoom(cost);
  map_.emplace(std::move(key), Entry{meta, false});
  bytes_ += cost;
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
  // Each full turn of the hand unmarks every entry, so the second turn always finds victims.
  while (bytes_ + incoming > budget_ && !map_.empty()) {
    const size_t buckets = map_.bucket_count();
    victims_.clear();
    for (size_t scanned = 0; victims_.empty() && scanned < buckets; ++scanned) {
      hand_ = (hand_ + 1) % buckets;
      for (auto it = map_.begin(hand_); it != map_.end(hand_); ++it) {
        Entry& entry = it->second;
        if (entry.used) {
          entry.used = false;
        } else {
          victims_.push_back(it->first);
        }
      }
    }
    for (const std::string& key : victims_) Erase(key);
  }
}

}  // namespace respite::storage
