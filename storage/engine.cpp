#include "storage/engine.h"

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/utilities/write_batch_with_index.h>
#include <rocksdb/write_buffer_manager.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "storage/encoding.h"

namespace respite::storage {

namespace {

const char* const kFamilyNames[] = {"default", "meta", "sub", "score", "journal", "deadletter"};
static_assert(std::size(kFamilyNames) == static_cast<size_t>(Family::kCount));

Status Convert(const rocksdb::Status& s) {
  if (s.ok()) return Status::Ok();
  if (s.IsNotFound()) return Status::NotFound();
  if (s.IsCorruption()) return Status::Corruption(s.ToString());
  if (s.IsNoSpace()) return Status::Full(s.ToString());  // an IOError too: asked first
  if (s.IsIOError()) return Status::IoError(s.ToString());
  return Status::Invalid(s.ToString());
}

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

// Drops subkeys and score-index entries whose key no longer has that version (the key was
// deleted, overwritten or flushed); expired keys are left to the expiry cycle. Runs on RocksDB's
// compaction threads; reads the meta family of the live DB.
class OrphanFilter final : public rocksdb::CompactionFilter {
 public:
  OrphanFilter(std::atomic<rocksdb::DB*>* db, std::atomic<rocksdb::ColumnFamilyHandle*>* meta)
      : db_(db), meta_(meta) {}

  bool Filter(int, const rocksdb::Slice& key, const rocksdb::Slice&, std::string*,
              bool*) const override {
    if (key.size() < 13) return false;
    const std::string_view k(key.data(), key.size());
    const uint32_t key_len = GetU32(k.substr(1));
    if (k.size() < 13 + key_len) return false;
    // A compaction meets a key's sub keys one after another: one meta lookup per key and
    // version (its prefix), not per field. One filter per compaction (OrphanFilterFactory), so
    // this memory needs no lock.
    const std::string_view owner = k.substr(0, 13 + key_len);
    if (has_last_ && owner == last_owner_) return last_orphan_;
    bool orphan = false;
    if (!Lookup(k, key_len, &orphan)) return false;  // keep data when unsure
    last_owner_.assign(owner);
    last_orphan_ = orphan;
    has_last_ = true;
    return orphan;
  }
  const char* Name() const override { return "respite.OrphanFilter"; }

 private:
  // Whether the sub key `k` belongs to no live key (its key is gone or has another version);
  // false when that cannot be told now.
  bool Lookup(std::string_view k, uint32_t key_len, bool* orphan) const {
    rocksdb::DB* db = db_->load();
    rocksdb::ColumnFamilyHandle* meta_cf = meta_->load();
    if (db == nullptr || meta_cf == nullptr) return false;
    const uint64_t version = GetU64(k.substr(5 + key_len));
    std::string meta_key;
    meta_key.push_back(k[0]);
    meta_key.append(k.substr(5, key_len));
    std::string bytes;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), meta_cf, meta_key, &bytes);
    if (s.IsNotFound()) {
      *orphan = true;
      return true;
    }
    if (!s.ok()) return false;
    MetaValue meta;
    if (!MetaValue::Decode(bytes, &meta)) return false;
    // Expired keys are reclaimed by the expiry cycle, which also fixes counts.
    *orphan = meta.version != version;
    return true;
  }

  std::atomic<rocksdb::DB*>* db_;
  std::atomic<rocksdb::ColumnFamilyHandle*>* meta_;
  mutable std::string last_owner_;
  mutable bool last_orphan_ = false;
  mutable bool has_last_ = false;
};

class OrphanFilterFactory final : public rocksdb::CompactionFilterFactory {
 public:
  OrphanFilterFactory(std::atomic<rocksdb::DB*>* db,
                      std::atomic<rocksdb::ColumnFamilyHandle*>* meta)
      : db_(db), meta_(meta) {}
  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context&) override {
    return std::make_unique<OrphanFilter>(db_, meta_);
  }
  const char* Name() const override { return "respite.OrphanFilterFactory"; }

 private:
  std::atomic<rocksdb::DB*>* db_;
  std::atomic<rocksdb::ColumnFamilyHandle*>* meta_;
};

class EngineIterator final : public Iterator {
 public:
  EngineIterator(std::unique_ptr<rocksdb::Iterator> it, std::string lower, std::string upper)
      : it_(std::move(it)), lower_(std::move(lower)), upper_(std::move(upper)) {}

  bool Valid() const override {
    if (!it_->Valid()) return false;
    const rocksdb::Slice k = it_->key();
    if (!upper_.empty() && k.compare(ToSlice(upper_)) >= 0) return false;
    return k.compare(ToSlice(lower_)) >= 0;
  }
  void Seek(std::string_view target) override {
    it_->Seek(ToSlice(target < lower_ ? std::string_view(lower_) : target));
  }
  void SeekToFirst() override { it_->Seek(ToSlice(lower_)); }
  void SeekToLast() override {
    if (upper_.empty()) {
      it_->SeekToLast();
    } else {
      it_->SeekForPrev(ToSlice(upper_));
      if (it_->Valid() && it_->key().compare(ToSlice(upper_)) >= 0) it_->Prev();
    }
  }
  void SeekForPrev(std::string_view target) override {
    if (!upper_.empty() && target >= upper_) {
      SeekToLast();
    } else {
      it_->SeekForPrev(ToSlice(target));
    }
  }
  void Next() override { it_->Next(); }
  void Prev() override { it_->Prev(); }
  std::string_view key() const override {
    const rocksdb::Slice k = it_->key();
    return {k.data(), k.size()};
  }
  std::string_view value() const override {
    const rocksdb::Slice v = it_->value();
    return {v.data(), v.size()};
  }
  Status status() const override { return Convert(it_->status()); }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;
  std::string lower_;
  std::string upper_;
};

// A key range of one family a batch deletes as a whole (FLUSHDB): reads through that batch see
// nothing of the layers under it there.
struct HiddenRange {
  rocksdb::ColumnFamilyHandle* cf;
  std::string begin;
  std::string end;
  bool Contains(const rocksdb::Slice& key) const {
    return key.compare(ToSlice(begin)) >= 0 && key.compare(ToSlice(end)) < 0;
  }
  bool Holds(rocksdb::ColumnFamilyHandle* family, const rocksdb::Slice& key) const {
    return family == cf && Contains(key);
  }
};

bool AnyHolds(const std::vector<HiddenRange>& ranges, rocksdb::ColumnFamilyHandle* cf,
              const rocksdb::Slice& key) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const HiddenRange& r) { return r.Holds(cf, key); });
}

// An iterator that skips the keys of some ranges of the one under it (the layers a batch with a
// range delete covers). Each skip is one seek past the range.
class HidingIterator final : public rocksdb::Iterator {
 public:
  HidingIterator(std::unique_ptr<rocksdb::Iterator> base, std::vector<HiddenRange> ranges)
      : base_(std::move(base)), ranges_(std::move(ranges)) {}
  bool Valid() const override { return base_->Valid(); }
  void SeekToFirst() override {
    base_->SeekToFirst();
    SkipForward();
  }
  void SeekToLast() override {
    base_->SeekToLast();
    SkipBackward();
  }
  void Seek(const rocksdb::Slice& target) override {
    base_->Seek(target);
    SkipForward();
  }
  void SeekForPrev(const rocksdb::Slice& target) override {
    base_->SeekForPrev(target);
    SkipBackward();
  }
  void Next() override {
    base_->Next();
    SkipForward();
  }
  void Prev() override {
    base_->Prev();
    SkipBackward();
  }
  rocksdb::Slice key() const override { return base_->key(); }
  rocksdb::Slice value() const override { return base_->value(); }
  rocksdb::Status status() const override { return base_->status(); }

 private:
  const HiddenRange* Hiding(const rocksdb::Slice& key) const {
    for (const HiddenRange& r : ranges_) {
      if (r.Contains(key)) return &r;
    }
    return nullptr;
  }
  void SkipForward() {
    while (base_->Valid()) {
      const HiddenRange* r = Hiding(base_->key());
      if (r == nullptr) return;
      base_->Seek(ToSlice(r->end));
    }
  }
  void SkipBackward() {
    while (base_->Valid()) {
      const HiddenRange* r = Hiding(base_->key());
      if (r == nullptr) return;
      base_->SeekForPrev(ToSlice(r->begin));
      if (base_->Valid() && base_->key() == ToSlice(r->begin)) base_->Prev();
    }
  }

  std::unique_ptr<rocksdb::Iterator> base_;
  std::vector<HiddenRange> ranges_;  // of this iterator's family
};

// Wraps `base` to hide the ranges of `cf` among `ranges`; `base` itself when there are none.
rocksdb::Iterator* Hide(rocksdb::Iterator* base, const std::vector<HiddenRange>& ranges,
                        rocksdb::ColumnFamilyHandle* cf) {
  std::vector<HiddenRange> mine;
  for (const HiddenRange& r : ranges) {
    if (r.cf == cf) mine.push_back(r);
  }
  if (mine.empty()) return base;
  return new HidingIterator(std::unique_ptr<rocksdb::Iterator>(base), std::move(mine));
}

// Whether a batch's own entry for a key (a put or a delete) answers a read; `answer` says how.
bool LookInBatch(rocksdb::WriteBatchWithIndex& batch, rocksdb::ColumnFamilyHandle* cf,
                 const rocksdb::Slice& key, std::string* value, Status* answer) {
  std::unique_ptr<rocksdb::WBWIIterator> it(batch.NewIterator(cf));
  it->Seek(key);
  if (!it->Valid()) return false;
  const rocksdb::WriteEntry entry = it->Entry();
  if (entry.key != key) return false;
  if (entry.type == rocksdb::kPutRecord) {
    value->assign(entry.value.data(), entry.value.size());
    *answer = Status::Ok();
    return true;
  }
  if (entry.type == rocksdb::kDeleteRecord || entry.type == rocksdb::kSingleDeleteRecord) {
    *answer = Status::NotFound();
    return true;
  }
  return false;
}

}  // namespace

std::unique_ptr<rocksdb::WriteBatchWithIndex> NewBatch() {
  return std::make_unique<rocksdb::WriteBatchWithIndex>(rocksdb::BytewiseComparator(), 0,
                                                        /*overwrite_key=*/true);
}

struct Engine::Impl {
  EngineOptions options;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  // The pending batch, and the one in flight (being written by the commit thread while
  // in_flight; otherwise an empty spare, swapped in by the next CommitAsync).
  std::unique_ptr<rocksdb::WriteBatchWithIndex> batch = NewBatch();
  std::unique_ptr<rocksdb::WriteBatchWithIndex> inflight = NewBatch();
  bool in_flight = false;
  // Ranges each batch deletes as a whole (DeleteRangeInBatch): reads through it skip the layers
  // under it there.
  std::vector<HiddenRange> hidden;
  std::vector<HiddenRange> inflight_hidden;
  void ClearPending() {
    batch->Clear();
    hidden.clear();
  }
  std::function<void(const Status&)> settle_hook;
  // The commit thread, started by the first CommitAsync. It only calls db->Write on `inflight`;
  // every other piece of state here belongs to the store thread.
  std::thread committer;
  std::mutex mu;
  std::condition_variable job_cv;
  std::condition_variable done_cv;
  bool job = false;       // under mu: `inflight` waits to be written
  bool finished = false;  // under mu: written; `result` says how
  bool stop = false;      // under mu
  rocksdb::Status result;
  rocksdb::WriteOptions write_options;

  void CommitterLoop() {
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    std::unique_lock lock(mu);
    for (;;) {
      job_cv.wait(lock, [this] { return job || stop; });
      if (!job) return;
      job = false;
      lock.unlock();
      rocksdb::Status s = Write(inflight.get());
      lock.lock();
      result = std::move(s);
      finished = true;
      done_cv.notify_one();
    }
  }
  rocksdb::Status Write(rocksdb::WriteBatchWithIndex* wbwi) {
    if (options.before_write) {
      if (Status injected = options.before_write(); !injected.ok()) {
        return rocksdb::Status::IOError("injected", injected.ToString());
      }
    }
    return db->Write(write_options, wbwi->GetWriteBatch());
  }
  void StopCommitter() {
    if (!committer.joinable()) return;
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    job_cv.notify_one();
    committer.join();
  }
  // A write failed: RocksDB refuses writes until Resume(). The counters handed out in the lost
  // batch are not reused (reloaded from disk), and the failed WAL writer is never synced.
  void OnWriteFailed(const rocksdb::Status& s) {
    counters.clear();
    write_error = s.ToString();
    wal_unsynced = false;
    next_resume = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  }
  Status Refused() {
    ClearPending();
    counters.clear();
    return Status::IoError(write_error +
                           "; writes are refused until the disk takes them again (reads are "
                           "served)");
  }
  std::unordered_map<std::string, uint64_t> counters;
  bool wal_unsynced = false;  // written since the last SyncWal()
  // Set when a write failed (a full disk, an I/O error): RocksDB then refuses writes until
  // Resume(), and its WAL writer must not be touched again (Debian's RocksDB asserts when a file
  // writer that failed is used). Cleared by a successful Resume(), tried at most once a second.
  std::string write_error;
  std::chrono::steady_clock::time_point next_resume;

  // Tries to leave the failed state. True when writes may go to RocksDB again.
  bool TryResume() {
    if (write_error.empty()) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now < next_resume) return false;
    next_resume = now + std::chrono::seconds(1);
    const rocksdb::Status s = db->Resume();
    if (!s.ok()) {
      if (s.ToString() != last_resume_error && options.log) {
        options.log(true, "writes still refused; resuming failed: " + s.ToString());
      }
      last_resume_error = s.ToString();
      return false;
    }
    if (options.log) options.log(false, "writes resumed after: " + write_error);
    write_error.clear();
    last_resume_error.clear();
    return true;
  }
  std::string last_resume_error;
  // The disk-space reserve (CheckSpace).
  std::string space_error;  // why writes are refused for space; empty when they are not
  std::chrono::steady_clock::time_point next_space_check;
  uint64_t bytes_since_space_check = 0;
  uint64_t free_at_space_check = UINT64_MAX;
  std::atomic<rocksdb::DB*> filter_db{nullptr};
  std::atomic<rocksdb::ColumnFamilyHandle*> filter_meta{nullptr};
  std::shared_ptr<OrphanFilterFactory> orphan_filters;

  rocksdb::ColumnFamilyHandle* cf(Family f) { return families[static_cast<size_t>(f)]; }

  ~Impl() {
    StopCommitter();  // after a batch in flight is written
    filter_db.store(nullptr);
    filter_meta.store(nullptr);
    if (db) {
      for (auto* h : families) db->DestroyColumnFamilyHandle(h);
      db->Close();
    }
  }
};

namespace {

// RocksDB's info log, handed to EngineOptions::log: warnings and errors only (its info lines are
// many and about its internals), no file of its own.
class ForwardingLogger final : public rocksdb::Logger {
 public:
  explicit ForwardingLogger(std::function<void(bool, std::string_view)> log)
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), log_(std::move(log)) {}
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel() || level == rocksdb::InfoLogLevel::HEADER_LEVEL || !log_) return;
    char line[1024];
    const int n = std::vsnprintf(line, sizeof line, format, ap);
    if (n < 0) return;
    log_(level >= rocksdb::InfoLogLevel::ERROR_LEVEL,
         std::string_view(line, std::min<size_t>(static_cast<size_t>(n), sizeof line - 1)));
  }

 private:
  std::function<void(bool, std::string_view)> log_;
};

}  // namespace

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

// Values at least this big are kept in blob files rather than in SST data blocks.
constexpr uint64_t kMinBlobBytes = 256u << 10;

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->orphan_filters =
      std::make_shared<OrphanFilterFactory>(&impl->filter_db, &impl->filter_meta);

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.info_log = std::make_shared<ForwardingLogger>(options.log);
  db_options.max_total_wal_size = 64ull << 20;
  if (options.env != nullptr) db_options.env = options.env;
  db_options.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(options.total_memtable_bytes);

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (size_t i = 0; i < static_cast<size_t>(Family::kCount); ++i) {
    rocksdb::ColumnFamilyOptions cf_options;
    cf_options.write_buffer_size = options.memtable_bytes;
    cf_options.max_write_buffer_number = 2;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache;
    table.cache_index_and_filter_blocks = true;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    // Index and filter in 4 KB partitions under a small top level (pinned): a point read loads
    // the partitions it needs. Whole per-file blocks outgrow the block cache's shards (16 MB in
    // 32 shards of 512 KB) once a family holds a million keys, and were then read from the file
    // and checksummed again on every Get (HSET at 20,000/s, most of it that).
    table.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
    table.partition_filters = true;
    table.metadata_block_size = 4096;
    table.pin_top_level_index_and_filter = true;
    cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    const auto family = static_cast<Family>(i);
    if (family != Family::kJournal) {
      // A bloom filter over each memtable's keys: a point read of a key the memtable lacks (a
      // new field, member or key: most of what HSET, SADD and ZADD ask) skips the skip-list
      // search, which in a memtable of a big collection's keys is a few dozen long compares.
      cf_options.memtable_prefix_bloom_size_ratio = 0.02;
      cf_options.memtable_whole_key_filtering = true;
    }
    if (family == Family::kSub || family == Family::kScore) {
      cf_options.compaction_filter_factory = impl->orphan_filters;
    }
    if (family == Family::kMeta || family == Family::kJournal) {
      // Big values (a string of tens of MB, inline in its meta, and its journal entry) go to blob
      // files: in a data block, every seek or walk that lands on the block (the active expiry
      // cycle, 10 times a second) would decompress all of it again, even after the key is
      // deleted, since such a block never fits the block cache.
      cf_options.enable_blob_files = true;
      cf_options.min_blob_size = kMinBlobBytes;
      cf_options.enable_blob_garbage_collection = true;
    }
    if (family == Family::kJournal) {
      // Journal keys are increasing sequence numbers (8 bytes, big-endian): with a hint per
      // 4-byte prefix, each insert starts where the last one ended instead of at the top of the
      // memtable's skip list.
      cf_options.memtable_insert_with_hint_prefix_extractor.reset(
          rocksdb::NewFixedPrefixTransform(4));
    }
    descriptors.emplace_back(kFamilyNames[i], cf_options);
  }

  if (options.create_if_missing) {
    // RocksDB would create it too, but first logs an error that it could not list it: a first
    // start would put "Error when reading ... dir NotFound" in respite's log.
    std::error_code ec;
    std::filesystem::create_directories(options.dir, ec);
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(db_options, options.dir, descriptors, &impl->families, &raw);
  // RocksDB reports a held LOCK file as an I/O error ("While lock file: ..." when another process
  // holds it, "lock hold by current process" within this one); callers need to tell "another
  // respite runs here" from a broken disk.
  if (s.IsIOError() && (s.ToString().find("While lock file") != std::string::npos ||
                        s.ToString().find("lock hold by current process") != std::string::npos)) {
    return Status::Busy(s.ToString());
  }
  if (!s.ok()) return Convert(s);
  impl->db.reset(raw);
  impl->filter_meta.store(impl->cf(Family::kMeta));
  impl->filter_db.store(raw);
  impl->write_options.sync = options.fsync == Fsync::kAlways;
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Status Engine::Get(Family family, std::string_view key, std::string* value) {
  Impl& m = *impl_;
  rocksdb::ColumnFamilyHandle* cf = m.cf(family);
  const rocksdb::Slice k = ToSlice(key);
  if (!m.in_flight && m.hidden.empty()) {
    return Convert(m.batch->GetFromBatchAndDB(m.db.get(), rocksdb::ReadOptions(), cf, k, value));
  }
  // Layer by layer from the top: the pending batch, the batch in flight, the database. A batch's
  // own entry for the key (a put or a delete) decides; a range it deletes hides what is under it.
  Status answer;
  if (LookInBatch(*m.batch, cf, k, value, &answer)) return answer;
  if (AnyHolds(m.hidden, cf, k)) return Status::NotFound();
  if (m.in_flight) {
    if (m.inflight_hidden.empty()) {
      return Convert(
          m.inflight->GetFromBatchAndDB(m.db.get(), rocksdb::ReadOptions(), cf, k, value));
    }
    if (LookInBatch(*m.inflight, cf, k, value, &answer)) return answer;
    if (AnyHolds(m.inflight_hidden, cf, k)) return Status::NotFound();
  }
  return Convert(m.db->Get(rocksdb::ReadOptions(), cf, k, value));
}

void Engine::Put(Family family, std::string_view key, std::string_view value) {
  // WriteBatchWithIndex only fails on a closed batch or absurd sizes.
  (void)impl_->batch->Put(impl_->cf(family), ToSlice(key), ToSlice(value));
}

void Engine::PutUnindexed(Family family, std::string_view key, std::string_view value) {
  // Appended to the batch's write batch directly: committed with it, invisible to batch reads.
  (void)impl_->batch->GetWriteBatch()->Put(impl_->cf(family), ToSlice(key), ToSlice(value));
}

void Engine::DeleteUnindexed(Family family, std::string_view key) {
  (void)impl_->batch->GetWriteBatch()->Delete(impl_->cf(family), ToSlice(key));
}

void Engine::PrepareThread() { rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable); }

void Engine::Delete(Family family, std::string_view key) {
  (void)impl_->batch->Delete(impl_->cf(family), ToSlice(key));
}

Status Engine::DeleteRangeInBatch(Family family, std::string_view begin, std::string_view end) {
  Impl& m = *impl_;
  if (m.in_flight) return Status::Invalid("a range delete waits for the batch in flight");
  rocksdb::ColumnFamilyHandle* cf = m.cf(family);
  // The batch's index still answers for keys it wrote before: a delete of each makes it say they
  // are gone (at commit the range delete has removed them already).
  std::vector<std::string> written;
  {
    std::unique_ptr<rocksdb::WBWIIterator> it(m.batch->NewIterator(cf));
    for (it->Seek(ToSlice(begin)); it->Valid() && it->Entry().key.compare(ToSlice(end)) < 0;
         it->Next()) {
      if (it->Entry().type == rocksdb::kPutRecord) written.push_back(it->Entry().key.ToString());
    }
  }
  // Unindexed (an indexed batch cannot hold range deletes); reads learn of it from `hidden`.
  (void)m.batch->GetWriteBatch()->DeleteRange(cf, ToSlice(begin), ToSlice(end));
  for (const std::string& k : written) (void)m.batch->Delete(cf, ToSlice(k));
  m.hidden.push_back(HiddenRange{cf, std::string(begin), std::string(end)});
  return Status::Ok();
}

Status Engine::DeleteRange(Family family, std::string_view begin, std::string_view end) {
  if (Status s = Commit(); !s.ok()) return s;
  impl_->wal_unsynced = true;
  return Convert(impl_->db->DeleteRange(impl_->write_options, impl_->cf(family), ToSlice(begin),
                                        ToSlice(end)));
}

std::unique_ptr<Iterator> Engine::NewIterator(Family family, std::string lower, std::string upper) {
  Impl& m = *impl_;
  // Each batch iterator owns the iterator under it: database, batch in flight, pending batch.
  rocksdb::ColumnFamilyHandle* cf = m.cf(family);
  rocksdb::Iterator* base = m.db->NewIterator(rocksdb::ReadOptions(), cf);
  if (m.in_flight) base = m.inflight->NewIteratorWithBase(cf, Hide(base, m.inflight_hidden, cf));
  base = Hide(base, m.hidden, cf);
  auto merged =
      std::unique_ptr<rocksdb::Iterator>(m.batch->NewIteratorWithBase(m.cf(family), base));
  return std::make_unique<EngineIterator>(std::move(merged), std::move(lower), std::move(upper));
}

bool Engine::HasPendingWrites() const { return impl_->batch->GetWriteBatch()->Count() > 0; }

Status Engine::Commit() {
  if (Status s = Settle(); !s.ok()) return s;
  Impl& m = *impl_;
  if (m.batch->GetWriteBatch()->Count() == 0) return Status::Ok();
  if (!m.TryResume()) return m.Refused();
  m.wal_unsynced = true;
  m.bytes_since_space_check += m.batch->GetWriteBatch()->GetDataSize();
  rocksdb::Status s = m.Write(m.batch.get());
  m.ClearPending();
  if (!s.ok()) m.OnWriteFailed(s);
  return Convert(s);
}

Status Engine::CommitAsync() {
  Impl& m = *impl_;
  if (m.in_flight) return Status::Invalid("a batch is already being committed");
  if (m.batch->GetWriteBatch()->Count() == 0) return Status::Ok();
  if (!m.TryResume()) return m.Refused();
  m.wal_unsynced = true;
  m.bytes_since_space_check += m.batch->GetWriteBatch()->GetDataSize();
  std::swap(m.batch, m.inflight);  // the empty spare becomes the pending batch
  m.inflight_hidden.swap(m.hidden);
  m.hidden.clear();
  m.in_flight = true;
  if (!m.committer.joinable()) m.committer = std::thread([&m] { m.CommitterLoop(); });
  {
    std::lock_guard lock(m.mu);
    m.job = true;
  }
  m.job_cv.notify_one();
  return Status::Ok();
}

bool Engine::commit_in_flight() const { return impl_->in_flight; }

Status Engine::Settle() {
  Impl& m = *impl_;
  if (!m.in_flight) return Status::Ok();
  rocksdb::Status result;
  {
    std::unique_lock lock(m.mu);
    m.done_cv.wait(lock, [&m] { return m.finished; });
    m.finished = false;
    result = std::move(m.result);
  }
  m.in_flight = false;
  m.inflight->Clear();
  m.inflight_hidden.clear();
  if (!result.ok()) {
    m.OnWriteFailed(result);
    m.ClearPending();  // everything pending was built on the lost batch
  }
  const Status s = Convert(result);
  if (m.settle_hook) m.settle_hook(s);
  return s;
}

void Engine::SetSettleHook(std::function<void(const Status&)> hook) {
  impl_->settle_hook = std::move(hook);
}

void Engine::Rollback() {
  impl_->ClearPending();
  impl_->counters.clear();
}

Status Engine::SyncWal() {
  // After a failed write the tick tries to recover instead (nothing acknowledged is unsynced).
  if (!impl_->TryResume()) return Status::Ok();
  if (!impl_->wal_unsynced) return Status::Ok();
  // A background flush that failed on a WAL leaves that file's writer failed, and Debian's RocksDB
  // asserts when it is synced again (A4 in bench/RESULTS.md). Resume() answers at once when
  // RocksDB holds no background error; otherwise writes are refused until it recovers.
  if (rocksdb::Status bg = impl_->db->Resume(); !bg.ok()) {
    impl_->OnWriteFailed(bg);
    return Convert(bg);
  }
  impl_->wal_unsynced = false;
  Status s = Convert(impl_->db->SyncWAL());
  if (!s.ok()) impl_->wal_unsynced = true;  // the next tick tries again
  return s;
}

const std::string& Engine::write_error() const {
  return impl_->write_error.empty() ? impl_->space_error : impl_->write_error;
}

Status Engine::CheckSpace() {
  Impl& m = *impl_;
  const uint64_t reserve = m.options.min_free_bytes;
  if (reserve == 0) return Status::Ok();
  const auto now = std::chrono::steady_clock::now();
  const bool refusing = !m.space_error.empty();
  const bool near = m.free_at_space_check < 2 * reserve;
  if (now < m.next_space_check && (refusing || (!near && m.bytes_since_space_check < (1u << 20)))) {
    return refusing ? Status::Full(m.space_error) : Status::Ok();
  }
  m.next_space_check =
      now + (refusing ? std::chrono::milliseconds(100) : std::chrono::milliseconds(10));
  m.bytes_since_space_check = 0;
  struct statvfs fs {};
  if (::statvfs(m.options.dir.c_str(), &fs) != 0) return Status::Ok();  // cannot tell: no refusal
  const uint64_t free = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  m.free_at_space_check = free;
  if (free >= reserve) {
    if (refusing && m.options.log) {
      m.options.log(false, "writes resumed: " + std::to_string(free >> 20) +
                               " MB free on the data dir's file system again");
    }
    m.space_error.clear();
    return Status::Ok();
  }
  if (!refusing && m.options.log) {
    m.options.log(true, "writes refused: the data dir's file system has " +
                            std::to_string(free >> 20) + " MB free, under the " +
                            std::to_string(reserve >> 20) + " MB the store keeps free");
  }
  m.space_error = "disk nearly full: " + std::to_string(free >> 20) +
                  " MB free on the data dir's file system, the store keeps " +
                  std::to_string(reserve >> 20) +
                  " MB free; writes are refused until the disk takes them again (reads are "
                  "served)";
  return Status::Full(m.space_error);
}

Status Engine::CompactAll() {
  if (Status s = Settle(); !s.ok()) return s;
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (auto* h : impl_->families) {
    if (rocksdb::Status s = impl_->db->CompactRange(options, h, nullptr, nullptr); !s.ok()) {
      return Convert(s);
    }
  }
  return Status::Ok();
}

uint64_t Engine::EstimateKeys(Family family) {
  uint64_t n = 0;
  impl_->db->GetIntProperty(impl_->cf(family), "rocksdb.estimate-num-keys", &n);
  return n;
}

uint64_t Engine::ApproximateSize() {
  uint64_t total = 0;
  for (auto* h : impl_->families) {
    uint64_t v = 0;
    if (impl_->db->GetIntProperty(h, "rocksdb.total-sst-files-size", &v)) total += v;
    if (impl_->db->GetIntProperty(h, "rocksdb.cur-size-all-mem-tables", &v)) total += v;
  }
  return total;
}

Status Engine::Checkpoint(const std::string& dir) {
  if (Status s = Commit(); !s.ok()) return s;
  rocksdb::Checkpoint* raw = nullptr;
  if (rocksdb::Status s = rocksdb::Checkpoint::Create(impl_->db.get(), &raw); !s.ok()) {
    return Convert(s);
  }
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush 0: memtables are flushed first, so the copy needs no WAL replay.
  return Convert(checkpoint->CreateCheckpoint(dir, 0));
}

uint64_t Engine::NextCounter(std::string_view name) {
  auto it = impl_->counters.find(std::string(name));
  if (it == impl_->counters.end()) {
    std::string key = "counter:" + std::string(name);
    std::string value;
    uint64_t current = 0;
    if (Get(Family::kDefault, key, &value).ok() && value.size() == 8) current = GetU64(value);
    it = impl_->counters.emplace(std::string(name), current).first;
  }
  const uint64_t next = ++it->second;
  std::string encoded;
  PutU64(&encoded, next);
  Put(Family::kDefault, "counter:" + std::string(name), encoded);
  return next;
}

}  // namespace respite::storage
