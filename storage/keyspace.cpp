#include "storage/keyspace.h"

#include <cmath>

namespace respite::storage {
namespace {

// The value of a score-index entry whose score is -0 (indexed as 0).
constexpr std::string_view kNegativeZeroMark = "-";

}  // namespace

Keyspace::Keyspace(Engine& engine, const Clock& clock, size_t cache_bytes)
    : engine_(engine), clock_(clock), cache_(cache_bytes) {}

Status Keyspace::Load() {
  for (int db = 0; db < kDatabases; ++db) {
    uint64_t n = 0;
    auto it = IterateKeys(db);
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    if (Status s = it->status(); !s.ok()) return s;
    key_counts_[db] = n;
  }
  return Status::Ok();
}

Status Keyspace::Lookup(int db, std::string_view key, MetaValue* meta) {
  MetaKeyTo(&lookup_key_, db, key);
  if (const MetaValue* cached = cache_.Find(lookup_key_)) {
    *meta = *cached;
  } else {
    Status s = engine_.Get(Family::kMeta, lookup_key_, &read_bytes_);
    if (s.not_found()) {
      *meta = MetaValue{};
    } else if (!s.ok()) {
      return s;
    } else if (!MetaValue::Decode(read_bytes_, meta)) {
      return Status::Corruption("unreadable metadata of a key");
    }
    cache_.Put(lookup_key_, *meta);
  }
  if (meta->type == Type::kNone) return Status::Ok();
  if (IsExpired(*meta)) {
    DeleteKeyAs(db, key, KeyEventKind::kExpired);
    *meta = MetaValue{};
  }
  return Status::Ok();
}

Status Keyspace::Peek(int db, std::string_view key, MetaValue* meta) {
  MetaKeyTo(&lookup_key_, db, key);
  if (const MetaValue* cached = cache_.Find(lookup_key_)) {
    *meta = *cached;
    return Status::Ok();
  }
  Status s = engine_.Get(Family::kMeta, lookup_key_, &read_bytes_);
  if (s.not_found()) {
    *meta = MetaValue{};
    return Status::Ok();
  }
  if (!s.ok()) return s;
  if (!MetaValue::Decode(read_bytes_, meta)) {
    return Status::Corruption("unreadable metadata of a key");
  }
  return Status::Ok();
}

void Keyspace::PutMeta(int db, std::string_view key, const MetaValue& meta, bool created) {
  std::string& meta_key = written_since_commit_.Add();
  MetaKeyTo(&meta_key, db, key);
  meta.EncodeTo(&encoded_);
  int64_t expire_before = -1;
  if (cache_.PutPinned(meta_key, meta, &expire_before)) {
    engine_.PutUnindexed(Family::kMeta, meta_key, encoded_);
    unindexed_meta_ = true;
  } else {
    engine_.Put(Family::kMeta, meta_key, encoded_);
  }
  // Most writes to a key with a TTL keep it (HSET, SET KEEPTTL): a hint is written only when
  // the expiry is new to the cache. Unindexed: no read of this batch looks at hints.
  if (meta.expire_ms > 0 && meta.expire_ms != expire_before) {
    engine_.PutUnindexed(Family::kDefault, ExpireHintKey(meta.expire_ms, meta_key), {});
  }
  if (created) ++pending_counts_[db];
  ++write_count_;
  MarkModified(db, key);
  if (record_key_events_) {
    RecordKeyEvent(db, key, created ? KeyEventKind::kCreated : KeyEventKind::kWritten);
  }
}

void Keyspace::DeleteKey(int db, std::string_view key) {
  DeleteKeyAs(db, key, KeyEventKind::kDeleted);
}

void Keyspace::RecordKeyEvent(int db, std::string_view key, KeyEventKind kind) {
  // A command writing many fields of one key records it once.
  if (!key_events_.empty()) {
    const KeyEvent& last = key_events_.back();
    if (last.kind == kind && last.db == db && last.key == key) return;
  }
  key_events_.push_back(KeyEvent{db, std::string(key), kind});
}

void Keyspace::DeleteKeyAs(int db, std::string_view key, KeyEventKind kind) {
  if (record_key_events_) RecordKeyEvent(db, key, kind);
  std::string& meta_key = written_since_commit_.Add();
  MetaKeyTo(&meta_key, db, key);
  if (cache_.PutPinned(meta_key, MetaValue{})) {
    engine_.DeleteUnindexed(Family::kMeta, meta_key);
    unindexed_meta_ = true;
  } else {
    engine_.Delete(Family::kMeta, meta_key);
  }
  --pending_counts_[db];
  ++write_count_;
  MarkModified(db, key);
}

void Keyspace::IndexPendingMeta() {
  // Rare (KEYS, SCAN, SWAPDB): waiting for the batch in flight is simpler than indexing its writes.
  if (engine_.commit_in_flight()) (void)engine_.Settle();
  if (!unindexed_meta_) return;
  unindexed_meta_ = false;
  // Written again, indexed, with the latest value (the pinned copy): the batch then holds the
  // write twice, and the later one wins at commit as it does in reads.
  for (const std::string& meta_key : written_since_commit_) {
    if (!cache_.IsPinned(meta_key)) continue;  // its latest write went through the index
    const MetaValue* meta = cache_.Find(meta_key);
    if (meta->type == Type::kNone) {
      engine_.Delete(Family::kMeta, meta_key);
    } else {
      engine_.Put(Family::kMeta, meta_key, meta->Encode());
    }
  }
}

uint64_t Keyspace::NewVersion() { return engine_.NextCounter("version"); }

Status Keyspace::GetSub(int db, std::string_view key, const MetaValue& meta, std::string_view field,
                        std::string* value) {
  std::string k = SubPrefix(db, key, meta.version);
  k.append(field);
  return engine_.Get(Family::kSub, k, value);
}

void Keyspace::PutSub(int db, std::string_view key, const MetaValue& meta, std::string_view field,
                      std::string_view value) {
  std::string k = SubPrefix(db, key, meta.version);
  k.append(field);
  engine_.Put(Family::kSub, k, value);
  ++write_count_;
  MarkModified(db, key);
  if (record_key_events_) RecordKeyEvent(db, key, KeyEventKind::kWritten);
}

void Keyspace::DeleteSub(int db, std::string_view key, const MetaValue& meta,
                         std::string_view field) {
  std::string k = SubPrefix(db, key, meta.version);
  k.append(field);
  engine_.Delete(Family::kSub, k);
  ++write_count_;
  MarkModified(db, key);
  if (record_key_events_) RecordKeyEvent(db, key, KeyEventKind::kWritten);
}

std::unique_ptr<Iterator> Keyspace::IterateSubs(int db, std::string_view key,
                                                const MetaValue& meta) {
  std::string prefix = SubPrefix(db, key, meta.version);
  std::string end = PrefixEnd(prefix);
  return engine_.NewIterator(Family::kSub, std::move(prefix), std::move(end));
}

std::string Keyspace::ScoreKey(int db, std::string_view key, const MetaValue& meta, double score,
                               std::string_view member) {
  std::string k = SubPrefix(db, key, meta.version);
  PutU64(&k, EncodeScore(score));
  k.append(member);
  return k;
}

void Keyspace::PutScore(int db, std::string_view key, const MetaValue& meta, double score,
                        std::string_view member) {
  const bool negative_zero = score == 0 && std::signbit(score);
  engine_.Put(Family::kScore, ScoreKey(db, key, meta, score, member),
              negative_zero ? kNegativeZeroMark : std::string_view());
  ++write_count_;
  MarkModified(db, key);
  if (record_key_events_) RecordKeyEvent(db, key, KeyEventKind::kWritten);
}

void Keyspace::DeleteScore(int db, std::string_view key, const MetaValue& meta, double score,
                           std::string_view member) {
  engine_.Delete(Family::kScore, ScoreKey(db, key, meta, score, member));
  ++write_count_;
  MarkModified(db, key);
  if (record_key_events_) RecordKeyEvent(db, key, KeyEventKind::kWritten);
}

std::unique_ptr<Iterator> Keyspace::IterateScores(int db, std::string_view key,
                                                  const MetaValue& meta) {
  std::string prefix = SubPrefix(db, key, meta.version);
  std::string end = PrefixEnd(prefix);
  return engine_.NewIterator(Family::kScore, std::move(prefix), std::move(end));
}

void Keyspace::SplitScoreKey(std::string_view score_key, std::string_view score_value,
                             std::string_view key, double* score, std::string_view* member) {
  std::string_view rest = score_key.substr(13 + key.size());
  *score = score_value == kNegativeZeroMark ? -0.0 : DecodeScore(GetU64(rest));
  *member = rest.substr(8);
}

std::unique_ptr<Iterator> Keyspace::IterateKeys(int db) {
  IndexPendingMeta();
  return engine_.NewIterator(Family::kMeta, std::string(1, static_cast<char>(db)),
                             std::string(1, static_cast<char>(db + 1)));
}

Status Keyspace::Flush(int db) {
  // The range deletes join the pending batch, so the flush, the writes around it and its journal
  // entry commit as one write. They need nothing in flight under them, and every pending write
  // of the dbs kept readable through the batch's index, since the cache is cleared below.
  if (engine_.commit_in_flight()) {
    if (Status s = engine_.Settle(); !s.ok()) return s;
  }
  IndexPendingMeta();
  const std::string begin(1, static_cast<char>(db < 0 ? 0 : db));
  const std::string end(1, static_cast<char>(db < 0 ? kDatabases : db + 1));
  for (Family f : {Family::kMeta, Family::kSub, Family::kScore}) {
    if (Status s = engine_.DeleteRangeInBatch(f, begin, end); !s.ok()) return s;
  }
  // As deltas, so a rollback of the batch restores the counts.
  for (int d = 0; d < kDatabases; ++d) {
    if (db < 0 || d == db) pending_counts_[d] -= static_cast<int64_t>(KeyCount(d));
  }
  cache_.Clear();
  cache_cleared_since_commit_ = true;
  ++write_count_;
  return Status::Ok();
}

Status Keyspace::SwapDbs(int a, int b) {
  if (a == b) return Status::Ok();
  IndexPendingMeta();  // the iterators below must see this batch's meta writes
  const std::string prefix_a(1, static_cast<char>(a));
  const std::string prefix_b(1, static_cast<char>(b));
  for (Family f : {Family::kMeta, Family::kSub, Family::kScore}) {
    std::vector<std::pair<std::string, std::string>> entries;
    for (const std::string& prefix : {prefix_a, prefix_b}) {
      auto it = engine_.NewIterator(f, prefix, PrefixEnd(prefix));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        entries.emplace_back(std::string(it->key()), std::string(it->value()));
      }
      if (Status s = it->status(); !s.ok()) return s;
    }
    // Every old entry goes first, so a moved entry is not deleted by the other db's delete.
    for (const auto& entry : entries) engine_.Delete(f, entry.first);
    for (auto& [key, value] : entries) {
      key[0] = static_cast<char>(key[0] == prefix_a[0] ? b : a);
      engine_.Put(f, key, value);
      MetaValue meta;
      if (f == Family::kMeta && MetaValue::Decode(value, &meta) && meta.expire_ms > 0) {
        // The old db's hints go stale (the expiry cycle drops them); the key's new place needs
        // its own.
        engine_.PutUnindexed(Family::kDefault, ExpireHintKey(meta.expire_ms, key), {});
      }
    }
  }
  // As deltas, so a rollback of the batch restores the counts.
  const int64_t count_a = static_cast<int64_t>(KeyCount(a));
  const int64_t count_b = static_cast<int64_t>(KeyCount(b));
  pending_counts_[a] += count_b - count_a;
  pending_counts_[b] += count_a - count_b;
  cache_.Clear();
  cache_cleared_since_commit_ = true;
  ++write_count_;
  return Status::Ok();
}

size_t Keyspace::ExpireDueHints(size_t budget) {
  if (budget == 0) return 0;
  // Hints sort by expiry: those due now are the ones before "expire:" | now + 1.
  std::string upper(kExpireHintPrefix);
  PutU64(&upper, static_cast<uint64_t>(clock_.NowMs()) + 1);
  std::vector<std::string> due;
  {
    auto it = engine_.NewIterator(Family::kDefault, std::string(kExpireHintPrefix), upper);
    for (it->SeekToFirst(); it->Valid() && due.size() < budget; it->Next()) {
      due.emplace_back(it->key());
    }
  }
  size_t deleted = 0;
  const size_t meta_at = kExpireHintPrefix.size() + 8;
  for (const std::string& hint : due) {
    engine_.DeleteUnindexed(Family::kDefault, hint);
    if (hint.size() <= meta_at) continue;
    const int db = static_cast<unsigned char>(hint[meta_at]);
    if (db >= kDatabases) continue;
    // Lookup deletes the key if its own metadata says it expired (a stale hint's key lives on).
    const uint64_t writes_before = write_count_;
    MetaValue meta;
    if (Lookup(db, std::string_view(hint).substr(meta_at + 1), &meta).ok() &&
        write_count_ != writes_before) {
      ++deleted;
    }
  }
  return deleted;
}

size_t Keyspace::ExpireSome(size_t hint_budget, size_t walk_budget) {
  size_t deleted = ExpireDueHints(hint_budget);
  size_t scanned = 0;
  for (int pass = 0; pass < kDatabases && scanned < walk_budget; ++pass) {
    const int db = static_cast<int>(expire_cursor_db_);
    // An empty db needs no iterator (an idle store ticks 10 times a second).
    if (KeyCount(db) == 0) {
      expire_cursor_db_ = (expire_cursor_db_ + 1) % kDatabases;
      expire_cursor_key_.clear();
      continue;
    }
    auto it = IterateKeys(db);
    if (expire_cursor_key_.empty()) {
      it->SeekToFirst();
    } else {
      it->Seek(expire_cursor_key_);
    }
    std::vector<std::string> expired;
    for (; it->Valid() && scanned < walk_budget; it->Next(), ++scanned) {
      // The header alone: the walk must not copy a big string's value ten times a second.
      MetaValue meta;
      if (MetaValue::Decode(it->value().substr(0, MetaValue::kHeaderBytes), &meta) &&
          IsExpired(meta)) {
        expired.emplace_back(it->key().substr(1));
      }
    }
    const bool db_done = !it->Valid();
    if (!db_done) expire_cursor_key_.assign(it->key());
    it.reset();
    for (const std::string& key : expired) {
      DeleteKeyAs(db, key, KeyEventKind::kExpired);
      ++deleted;
    }
    if (db_done) {
      expire_cursor_db_ = (expire_cursor_db_ + 1) % kDatabases;
      expire_cursor_key_.clear();
    }
  }
  return deleted;
}

void Keyspace::TakeModified(std::vector<std::string>* out) {
  for (auto& k : modified_) out->push_back(k);
  modified_.clear();
}

void Keyspace::MarkModified(int db, std::string_view key) {
  if (track_modified_) modified_.insert(MetaKey(db, key));
}

void Keyspace::ApplyPending() {
  written_since_commit_.clear();
  cache_.UnpinAll();
  unindexed_meta_ = false;
  cache_cleared_since_commit_ = false;
  for (int d = 0; d < kDatabases; ++d) {
    key_counts_[d] =
        static_cast<uint64_t>(static_cast<int64_t>(key_counts_[d]) + pending_counts_[d]);
    pending_counts_[d] = 0;
  }
}

void Keyspace::DropPending() {
  if (engine_.commit_in_flight()) (void)engine_.Settle();  // its settle hook applies or drops it
  // The cache holds what the dropped batch wrote: forget those keys.
  for (const std::string& k : written_since_commit_) cache_.Erase(k);
  // After a SWAPDB every key the cache read since may hold what the dropped batch swapped in.
  if (cache_cleared_since_commit_) cache_.Clear();
  cache_cleared_since_commit_ = false;
  written_since_commit_.clear();
  cache_.UnpinAll();
  unindexed_meta_ = false;
  for (auto& c : pending_counts_) c = 0;
  modified_.clear();
}

void Keyspace::SealPending() {
  sealed_written_.swap(written_since_commit_);
  written_since_commit_.clear();
  for (int d = 0; d < kDatabases; ++d) {
    sealed_counts_[d] = pending_counts_[d];
    pending_counts_[d] = 0;
  }
  sealed_cache_cleared_ = cache_cleared_since_commit_;
  cache_cleared_since_commit_ = false;
  unindexed_meta_ = false;
  cache_.SealPins();
}

void Keyspace::ApplySealed() {
  for (int d = 0; d < kDatabases; ++d) {
    key_counts_[d] =
        static_cast<uint64_t>(static_cast<int64_t>(key_counts_[d]) + sealed_counts_[d]);
    sealed_counts_[d] = 0;
  }
  sealed_written_.clear();
  sealed_cache_cleared_ = false;
  cache_.UnpinSealed();
}

void Keyspace::DropSealed() {
  // The cache may hold what either lost batch wrote, or values read through them.
  for (const std::string& k : sealed_written_) cache_.Erase(k);
  if (sealed_cache_cleared_) cache_.Clear();
  sealed_written_.clear();
  sealed_cache_cleared_ = false;
  for (auto& c : sealed_counts_) c = 0;
  cache_.UnpinSealed();
  DropPending();  // nothing is in flight any more: drops only the pending batch
}

}  // namespace respite::storage
