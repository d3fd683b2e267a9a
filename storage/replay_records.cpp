#include "storage/replay_records.h"

#include "storage/encoding.h"

namespace respite::storage {

namespace {

// In the default family, beside the journal's own keys: prefix + big-endian seq.
constexpr std::string_view kPrefix = "journal:replay:";

std::string RecordKey(uint64_t seq) {
  std::string k(kPrefix);
  PutU64(&k, seq);
  return k;
}

// [kPrefix, the prefix's successor): every record and nothing else.
std::pair<std::string, std::string> Bounds() {
  std::string upper(kPrefix);
  upper.back() = static_cast<char>(upper.back() + 1);
  return {std::string(kPrefix), std::move(upper)};
}

}  // namespace

Status UpdateReplayRecords(Engine& engine, const std::vector<std::pair<uint64_t, std::string>>& put,
                           const std::vector<uint64_t>& erase) {
  for (uint64_t seq : erase) engine.Delete(Family::kDefault, RecordKey(seq));
  for (const auto& [seq, value] : put) engine.Put(Family::kDefault, RecordKey(seq), value);
  return engine.Commit();
}

Status ForEachReplayRecord(Engine& engine,
                           const std::function<void(uint64_t seq, std::string_view value)>& visit) {
  auto [lower, upper] = Bounds();
  auto it = engine.NewIterator(Family::kDefault, lower, upper);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != kPrefix.size() + 8) continue;
    visit(GetU64(it->key().substr(kPrefix.size())), it->value());
  }
  return it->status();
}

Status ClearReplayRecords(Engine& engine) {
  auto [lower, upper] = Bounds();
  return engine.DeleteRange(Family::kDefault, lower, upper);
}

}  // namespace respite::storage
