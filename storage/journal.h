#pragma once
// The journal: for every write served locally, the command that reproduces the effect the client
// saw, written in the same RocksDB batch as the data change (so store and journal never disagree
// after a crash). Entries are keyed by a big-endian u64 sequence and carry an HMAC-SHA256 under a
// key made when the data dir was created (file mode 0600), so a damaged or tampered entry is
// detected when read, reported and moved aside, never replayed. Entries upstream rejects go to the
// dead-letter family with the error. Thread: the store executor only.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/engine.h"
#include "storage/status.h"

namespace respite::storage {

// One command to replay. `group` ties the entries of one client transaction (or one command that
// journals several entries, like LMOVE): they are replayed inside one upstream MULTI/EXEC.
struct JournalEntry {
  uint64_t seq = 0;
  uint64_t group = 0;  // seq of the group's first entry; 0 = not grouped
  bool group_end = false;
  int64_t wall_ms = 0;  // when it was served locally
  int db = 0;
  std::vector<std::string> argv;
};

struct DeadLetter {
  JournalEntry entry;
  std::string error;  // upstream's error reply, or why the entry could not be read
  int64_t failed_ms = 0;
};

struct JournalLimits {
  // Journal bytes after which writes are refused (nothing already journaled is dropped).
  // Default: 1 GB.
  uint64_t max_bytes = 1ull << 30;
  // Largest single entry. Default: 64 MB.
  uint64_t max_entry_bytes = 64ull << 20;
};

class Journal {
 public:
  ~Journal();

  // Loads the journal in `engine`: its id and next sequence, and the HMAC key from `key_path`
  // (created with mode 0600 when missing, with 32 random bytes).
  static Result<std::unique_ptr<Journal>> Open(Engine& engine, const std::string& key_path,
                                               JournalLimits limits);

  // Whether a write with these arguments may run: false while the journal is full or when its
  // entry would be larger than max_entry_bytes. Checked before the write runs, so a refused write
  // changes nothing.
  bool Admits(std::span<const std::string_view> argv) const;
  // Queues the effects of one client command (or transaction) into the engine's pending batch:
  // argvs[i] ran in dbs[i]; several form one group. Never refuses (Admits() did).
  void Append(std::span<const std::vector<std::string>> argvs, std::span<const int> dbs,
              int64_t wall_ms);
  // The pending batch was committed or dropped: settle the in-memory counters.
  void OnCommit();
  void OnRollback();
  // Pipelined commit: the pending entries are in the batch now in flight; then that batch was
  // committed, or failed (which drops the pending batch built on it too).
  void SealPending();
  void OnSealedCommit();
  void OnSealedRollback();

  // True when no more writes may be journaled.
  bool full() const { return bytes_ >= limits_.max_bytes; }

  // Reads up to `max_entries` (and about `max_bytes`) entries with seq >= `from`, whole groups
  // only. Entries that fail their HMAC or do not decode are moved to the dead letters (with the
  // reason) and skipped; *corrupt counts them.
  Status Read(uint64_t from, size_t max_entries, size_t max_bytes, std::vector<JournalEntry>* out,
              size_t* corrupt);
  // Removes every entry with seq <= `last` (one range delete; commits the pending batch first).
  Status RemoveThrough(uint64_t last);
  // Removes the entries with these seqs, wherever they are (point deletes; commits). A cluster
  // replays each slot on its own, so what it applied is not always a prefix of the journal.
  // applied_through() does not move: per-slot cursors say what upstream has.
  Status RemoveEntries(std::span<const uint64_t> seqs);
  // Moves one entry to the dead letters with upstream's error (into the pending batch).
  void DeadLetterEntry(const JournalEntry& entry, std::string_view error, int64_t now_ms);
  // Dead-letters an entry upstream refused to queue (unknown command, arity) and removes it from
  // the journal, so replay moves on without it. Commits.
  Status RejectEntry(const JournalEntry& entry, std::string_view error, int64_t now_ms);
  // The highest seq known applied upstream (persisted by RemoveThrough); 0 before any replay.
  uint64_t applied_through() const { return applied_through_; }
  // Lists up to `max` dead letters, oldest first.
  // At most `max` letters, stopping once about `max_bytes` of them are read (one at least).
  Status ReadDeadLetters(size_t max, std::vector<DeadLetter>* out, size_t max_bytes = SIZE_MAX);
  // Moves every readable dead letter back to the end of the journal (new seqs, in their old
  // order) to be replayed again; unreadable ones stay. Commits. *moved counts them.
  // Moves dead letters back, oldest first, while the journal stays under journal.max_bytes;
  // *left counts those that stay (the journal is full).
  Status RetryDeadLetters(int64_t wall_ms, uint64_t* moved, uint64_t* left = nullptr);

  // For the offline journal tools. Visits every pending entry in seq order with its stored value,
  // unchecked (Decode() checks it); nothing is moved aside. `visit` returns false to stop.
  Status ForEach(const std::function<bool(uint64_t seq, std::string_view value)>& visit);
  // Deletes every pending entry and dead letter (an operator's `journal reset`). Sequences go on
  // from where they were, so an upstream cursor never covers an entry made after the reset.
  Status Reset();

  const std::string& id() const { return id_; }  // 32 hex digits, made once per data dir
  uint64_t pending_entries() const { return entries_; }
  uint64_t pending_bytes() const { return bytes_; }
  uint64_t first_seq() const { return first_seq_; }  // 0 when empty
  uint64_t dead_letters() const { return dead_letters_; }
  // Wall-clock ms at which the oldest pending entry was written; 0 when empty. Reads that entry
  // once per change of first_seq().
  int64_t OldestWallMs();

  // Encoding, exposed for tests and the journal tools.
  std::string Encode(const JournalEntry& entry) const;
  bool Decode(uint64_t seq, std::string_view value, JournalEntry* out) const;

 private:
  class Mac;
  // Encode's body, into *out (its buffer reused): Append encodes without building a JournalEntry.
  void EncodeTo(std::string* out, uint64_t seq, uint64_t group, bool group_end, int64_t wall_ms,
                int db, const std::vector<std::string>& argv) const;
  Journal(Engine& engine, std::string key, JournalLimits limits);
  Status Load();

  Engine& engine_;
  std::unique_ptr<Mac> mac_;
  JournalLimits limits_;
  std::string id_;
  uint64_t next_seq_ = 1;
  uint64_t first_seq_ = 0;
  uint64_t entries_ = 0;
  uint64_t bytes_ = 0;
  uint64_t dead_letters_ = 0;
  uint64_t applied_through_ = 0;
  uint64_t seq_floor_ = 0;       // persisted: no seq below it is handed out again
  uint64_t oldest_for_seq_ = 0;  // the first_seq_ that oldest_wall_ms_ belongs to
  int64_t oldest_wall_ms_ = 0;
  // Appended but not yet committed: in the pending batch, and in the batch in flight.
  struct Uncommitted {
    uint64_t next_seq = 0;  // 0: nothing appended
    uint64_t entries = 0;
    uint64_t bytes = 0;
  };
  Uncommitted pending_;
  Uncommitted sealed_;
  void Apply(const Uncommitted& u);
  std::string encoded_;  // Append's encoding buffer, reused
};

}  // namespace respite::storage
