#pragma once
// The RocksDB engine under the local store: column families, one pending write batch per command
// (or MULTI), reads that see that batch, and durability per `fsync`. A batch may also be handed to
// a commit thread (CommitAsync) while the next one fills: reads then see both (DESIGN.md "Local
// store: pipelined commit"). This header does not include RocksDB (pimpl); engine.cpp is the only
// file that does.
// Thread: not thread-safe. The store executor is its only user (the commit thread is internal).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "storage/status.h"

namespace rocksdb {
class Env;
}

namespace respite::storage {

// One column family per concern (DESIGN.md "Local store").
enum class Family : uint8_t {
  kDefault = 0,  // counters (version counter)
  kMeta,         // db|key -> type, expiry, version, size, inline value
  kSub,          // db|key|version|field -> hash field value, set member, list item, zset score
  kScore,        // db|key|version|score|member -> "" (sorted-set order)
  kJournal,      // seq -> journal entry (writes served locally, waiting for replay)
  kDeadLetter,   // seq -> journal entry upstream rejected, with the error
  kCount,
};

enum class Fsync { kAlways, kEverySec, kNo };

struct EngineOptions {
  std::string dir;
  // Durability, named as Redis names it. Default: everysec.
  Fsync fsync = Fsync::kEverySec;
  // RocksDB block cache. Default: 16 MB.
  uint64_t block_cache_bytes = 16ull << 20;
  // Memtable size per column family. Default: 8 MB.
  uint64_t memtable_bytes = 8ull << 20;
  // All memtables together. Default: 48 MB.
  uint64_t total_memtable_bytes = 48ull << 20;
  // The local store's cache of decoded key metadata (not RocksDB's). Default: 32 MB.
  uint64_t key_cache_bytes = 32ull << 20;
  // Commands that add data are refused while the data dir's file system has less than this free
  // (for an unprivileged user), so a filling disk meets respite's refusal rather than RocksDB's
  // failing WAL writes (which Debian's RocksDB cannot always survive). Deletes, the journal's
  // trims and the expiry cycle are not held back: they make room. 0 = no reserve. Default: 0 (the
  // config's storage.min_free_disk sets it for respite).
  uint64_t min_free_bytes = 0;
  // Create the data dir when missing. Default: true.
  bool create_if_missing = true;
  // Fault injection for tests: called on the writing thread just before each batch is written; a
  // status other than ok fails that write as a disk error would, and nothing of it is stored.
  std::function<Status()> before_write;
  // Fault injection for tests: the Env (and through it the file system) RocksDB uses instead of
  // the default one; not owned, must outlive the engine.
  rocksdb::Env* env = nullptr;
  // Where RocksDB's own warnings and errors go (`error`: true for errors), instead of a LOG file
  // in the data dir. Unset: dropped. (A LOG file that meets a full disk makes Debian's RocksDB,
  // built with assertions on, abort at its next line.)
  std::function<void(bool error, std::string_view line)> log;
};

// Ordered iteration over one family within [lower, upper). Sees the pending batch.
class Iterator {
 public:
  virtual ~Iterator() = default;
  virtual bool Valid() const = 0;
  virtual void Seek(std::string_view target) = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  virtual void SeekForPrev(std::string_view target) = 0;
  virtual void Next() = 0;
  virtual void Prev() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual Status status() const = 0;
};

class Engine {
 public:
  // Busy when another process (a running respite) holds the store's lock.
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options);
  // Call once on the thread that will use the engine: turns off RocksDB's per-thread perf
  // counters, which cost a thread-local access on every read and write.
  static void PrepareThread();
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Reads the value of `key`, seeing writes pending in the current batch. NotFound when absent.
  Status Get(Family family, std::string_view key, std::string* value);
  // Queue writes into the current batch.
  void Put(Family family, std::string_view key, std::string_view value);
  void Delete(Family family, std::string_view key);
  // Queue writes that no read of the same batch will look at (journal entries, metadata the key
  // cache holds pinned): they skip the batch's index, which costs a search per write.
  void PutUnindexed(Family family, std::string_view key, std::string_view value);
  void DeleteUnindexed(Family family, std::string_view key);
  // Deletes every key in [begin, end) of a family. Commits the pending batch first, then deletes
  // the range in a write of its own.
  Status DeleteRange(Family family, std::string_view begin, std::string_view end);
  // Queues deleting every key in [begin, end) of a family into the pending batch, committed with
  // it atomically (FLUSHDB and its journal entry). Reads and iterators of the batch see nothing of
  // the range from then on but what the batch writes after this call. Settle a batch in flight
  // first (Invalid otherwise).
  Status DeleteRangeInBatch(Family family, std::string_view begin, std::string_view end);
  // Iterates over [lower, upper) (empty upper = to the end), pending writes included.
  std::unique_ptr<Iterator> NewIterator(Family family, std::string lower, std::string upper);

  bool HasPendingWrites() const;
  // Writes the pending batch atomically. With fsync always, returns once it is on disk. Settles a
  // batch in flight first; when that one failed, drops the pending batch too and returns why.
  Status Commit();
  // Drops the pending batch.
  void Rollback();

  // Pipelined commit. Hands the pending batch to the commit thread and starts an empty one; reads
  // and iterators see the handed batch under the new one until it is settled. One batch at most
  // is in flight: settle it before handing the next. An error (writes refused) drops the batch
  // and hands nothing.
  Status CommitAsync();
  bool commit_in_flight() const;
  // Waits for the batch in flight, if any, and returns how its write went. A failed write also
  // drops the pending batch (it was built on top of the lost one). Calls the settle hook.
  Status Settle();
  // Called on the calling thread each time a batch in flight is settled, wherever that happens
  // (Settle, or a Commit, DeleteRange or Checkpoint that needs it on disk first), with its status.
  void SetSettleHook(std::function<void(const Status&)> hook);
  // Syncs the WAL (the everysec timer calls this). Does nothing when nothing was written since
  // the last sync, so an idle store does not touch the disk.
  Status SyncWal();
  // Why writes are refused since a write failed (a full disk, an I/O error), until RocksDB
  // resumes (tried at most once a second, by Commit and SyncWal), or while the disk is below the
  // reserve (CheckSpace); empty while writes go through.
  const std::string& write_error() const;
  // The disk-space reserve (EngineOptions::min_free_bytes): Full while the file system has less
  // free, with the numbers. The local store asks before running a command that adds data (and
  // before an EXEC holding one); the tick asks while refusing. Looks at the file
  // system at most every 10 ms and 1 MB written, at every call near the reserve, and every 100 ms
  // while below it.
  Status CheckSpace();

  // Compacts every family now (tests, and the journal tools): orphaned subkeys are dropped.
  // Settles a batch in flight first.
  Status CompactAll();
  // Number of keys RocksDB estimates for a family (after compaction, close to exact).
  uint64_t EstimateKeys(Family family);

  // Approximate on-disk size in bytes (SST files and WAL), for status.
  uint64_t ApproximateSize();

  // Commits the pending batch, then writes a consistent copy of the store into `dir` (which must
  // not exist): hard links where the file system allows, copies otherwise. For backups.
  Status Checkpoint(const std::string& dir);

  // Reads and writes a counter in the default family (persisted with the pending batch).
  uint64_t NextCounter(std::string_view name);

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace respite::storage
