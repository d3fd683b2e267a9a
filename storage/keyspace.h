#pragma once
// The key layer every command family uses: lookup with lazy expiry, type metadata, subkeys, the
// sorted-set score index, key counts per db, and modification tracking (WATCH, blocked clients).
// Thread: the store executor only.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "storage/clock.h"
#include "storage/encoding.h"
#include "storage/engine.h"
#include "storage/meta_cache.h"
#include "storage/reused_strings.h"
#include "storage/status.h"

namespace respite::storage {

inline constexpr int kDatabases = 16;

// What happened to a key, recorded in order while keyspace notifications are on
// (keyspace_events.h turns them into Redis' events).
// kNamed: an event a handler announces itself (XREADGROUP's "xgroup-createconsumer", XADD's
// "xtrim"), published after the command's own event.
enum class KeyEventKind : uint8_t { kWritten, kCreated, kDeleted, kExpired, kNamed };
struct KeyEvent {
  int db;
  std::string key;
  KeyEventKind kind;
  std::string_view event = {};  // kNamed: a static event name
};

class Keyspace {
 public:
  // `cache_bytes` bounds the cache of key metadata (strings carry their value inline), which
  // lets reads and the lookup before a write skip RocksDB.
  Keyspace(Engine& engine, const Clock& clock, size_t cache_bytes = 32u << 20);

  // Counts keys per db (call once after opening).
  Status Load();

  // The live meta of `key`. A missing key has type kNone. An expired key is deleted on the way
  // (lazy expiry) and reported missing.
  Status Lookup(int db, std::string_view key, MetaValue* meta);
  // The meta of `key` as stored, an expired key included and left in place (WATCH tells a key
  // that is present but stale from one that is gone).
  Status Peek(int db, std::string_view key, MetaValue* meta);

  // Writes the meta of a key; `created` says the key did not exist before (key counts).
  void PutMeta(int db, std::string_view key, const MetaValue& meta, bool created);
  // Deletes a key. Its subkeys (older version) become orphans that compaction reclaims, so
  // deleting a big collection is O(1).
  void DeleteKey(int db, std::string_view key);
  // A fresh version for a new collection (persisted counter).
  uint64_t NewVersion();

  // Subkeys of a collection (meta.version selects the incarnation).
  Status GetSub(int db, std::string_view key, const MetaValue& meta, std::string_view field,
                std::string* value);
  void PutSub(int db, std::string_view key, const MetaValue& meta, std::string_view field,
              std::string_view value);
  void DeleteSub(int db, std::string_view key, const MetaValue& meta, std::string_view field);
  // Iterates the subkeys of a collection in field order; SubField() strips the prefix.
  std::unique_ptr<Iterator> IterateSubs(int db, std::string_view key, const MetaValue& meta);
  static std::string_view SubField(std::string_view sub_key, std::string_view key) {
    return sub_key.substr(13 + key.size());
  }

  // The sorted-set score index: entries ordered by (score, member); a -0 score is indexed as 0
  // and marked in the entry's value.
  void PutScore(int db, std::string_view key, const MetaValue& meta, double score,
                std::string_view member);
  void DeleteScore(int db, std::string_view key, const MetaValue& meta, double score,
                   std::string_view member);
  std::unique_ptr<Iterator> IterateScores(int db, std::string_view key, const MetaValue& meta);
  // Splits a score-index entry (key and value, from IterateScores) into score and member.
  static void SplitScoreKey(std::string_view score_key, std::string_view score_value,
                            std::string_view key, double* score, std::string_view* member);
  // The score-index key for (score, member) of this incarnation (for Seek).
  static std::string ScoreKey(int db, std::string_view key, const MetaValue& meta, double score,
                              std::string_view member);

  // Iterates the keys of one db in byte order: key() is MetaKey (strip 1 byte), value() the
  // encoded MetaValue. Expired keys are included; callers check IsExpired.
  std::unique_ptr<Iterator> IterateKeys(int db);

  bool IsExpired(const MetaValue& meta) const {
    return meta.expire_ms != 0 && meta.expire_ms <= clock_.NowMs();
  }
  int64_t NowMs() const { return clock_.NowMs(); }
  // Includes the pending batch: DBSIZE inside EXEC or a commit group sees the keys queued before.
  uint64_t KeyCount(int db) const {
    return static_cast<uint64_t>(static_cast<int64_t>(key_counts_[db]) + sealed_counts_[db] +
                                 pending_counts_[db]);
  }

  // Removes every key of one db (or of all dbs with db = -1), in the pending batch.
  Status Flush(int db);
  // SWAPDB: the keys of db a become those of db b and the reverse, in the pending batch. Rewrites
  // every entry of both dbs (their db byte), so it costs O(keys + items) and holds both dbs'
  // entries in memory and in the batch.
  Status SwapDbs(int a, int b);

  // Active expiry: checks up to `hint_budget` keys whose expiry hint is due (in expiry order),
  // then walks up to `walk_budget` keys across dbs for expired ones (this also finds keys written
  // before hints existed); deletes the expired keys it finds and returns how many.
  size_t ExpireSome(size_t hint_budget, size_t walk_budget);

  // Modified keys since the last TakeModified(), as MetaKey bytes; tracked only while enabled (a
  // client watches keys or waits on a blocking command).
  void EnableModifiedTracking(bool on) { track_modified_ = on; }
  void TakeModified(std::vector<std::string>* out);
  void MarkModified(int db, std::string_view key);
  // A command Redis counts as a change to `key` although nothing was written (LTRIM that trims
  // nothing): WATCH sees it, and it gets its keyspace event.
  void NoteTouched(int db, std::string_view key) {
    MarkModified(db, key);
    if (record_key_events_) RecordKeyEvent(db, key, KeyEventKind::kWritten);
  }

  // Announces `event` (a string literal) on `key`, for an effect the key events alone do not
  // show; recorded only while key events are enabled.
  void NoteNamedEvent(int db, std::string_view key, std::string_view event) {
    if (record_key_events_)
      key_events_.push_back(KeyEvent{db, std::string(key), KeyEventKind::kNamed, event});
  }

  // Key events since the last TakeKeyEvents(), recorded only while enabled.
  void EnableKeyEvents(bool on) { record_key_events_ = on; }
  bool key_events_enabled() const { return record_key_events_; }
  std::vector<KeyEvent>& key_events() { return key_events_; }

  Engine& engine() { return engine_; }

  // Key-count changes wait for the batch: applied on commit, dropped on rollback. Dropping the
  // pending batch while one is in flight waits for that one first (the key cache may hold the
  // only readable copy of what it wrote).
  void ApplyPending();
  void DropPending();
  // Pipelined commit: the pending batch's changes become the sealed batch's (handed to the commit
  // thread); ApplySealed once it is on disk, DropSealed when its write failed, which drops the
  // pending batch built on it too. One sealed batch at a time.
  void SealPending();
  void ApplySealed();
  void DropSealed();
  // Number of writes queued so far (to tell whether a command changed anything).
  uint64_t write_count() const { return write_count_; }

 private:
  Engine& engine_;
  const Clock& clock_;
  uint64_t key_counts_[kDatabases] = {};
  int64_t pending_counts_[kDatabases] = {};
  uint64_t write_count_ = 0;
  bool track_modified_ = false;
  std::unordered_set<std::string> modified_;
  bool record_key_events_ = false;
  std::vector<KeyEvent> key_events_;
  void RecordKeyEvent(int db, std::string_view key, KeyEventKind kind);
  void DeleteKeyAs(int db, std::string_view key, KeyEventKind kind);
  // Metadata cache (type kNone caches a missing key). Write-through: every meta write updates it;
  // keys written since the last commit are dropped from it on rollback. A meta write the cache
  // takes (pinned until the commit) skips the batch's index: reads find it in the cache, and
  // IndexPendingMeta() adds it to the index before anything iterates over keys (after waiting for
  // a batch in flight, whose index lacks them too).
  MetaCache cache_;
  ReusedStrings written_since_commit_;
  // The same for the batch in flight.
  ReusedStrings sealed_written_;
  int64_t sealed_counts_[kDatabases] = {};
  bool sealed_cache_cleared_ = false;
  bool unindexed_meta_ = false;  // some pending meta write is not in the batch's index
  // SWAPDB or FLUSHDB in the pending batch: a rollback clears the cache.
  bool cache_cleared_since_commit_ = false;
  std::string encoded_;     // PutMeta's encoding buffer, reused
  std::string lookup_key_;  // Lookup's and Peek's meta key, reused
  std::string read_bytes_;  // Lookup's and Peek's read of a meta, reused
  void IndexPendingMeta();
  // Deletes the expired keys among up to `budget` due expiry hints, and those hints.
  size_t ExpireDueHints(size_t budget);
  size_t expire_cursor_db_ = 0;
  std::string expire_cursor_key_;
};

}  // namespace respite::storage
