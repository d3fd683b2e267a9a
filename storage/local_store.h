#pragma once
// The local store: Redis commands executed on RocksDB, one at a time, with replies byte-identical
// to Redis 7.0. Owns the engine and keyspace, dispatches through the command table (arity checks,
// unknown and unavailable commands), and runs MULTI/EXEC/DISCARD/WATCH/UNWATCH atomically.
// Thread: not thread-safe; one store executor calls it (every command is atomic, as in Redis).

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/clock.h"
#include "storage/engine.h"
#include "storage/journal.h"
#include "storage/journal_record.h"
#include "storage/local_session.h"
#include "storage/scripting/script_runner.h"
#include "storage/status.h"

namespace respite::storage {

class Keyspace;
class CommandStats;
class KeyspaceNotifier;
class LocalConfig;
class PubSubBroker;
struct CommandContext;

class LocalStore final : private ScriptCaller {
 public:
  // Opens (or creates) the store in options.dir, with its journal (HMAC key in
  // options.dir/journal.key). `clock` must outlive the store.
  static Result<std::unique_ptr<LocalStore>> Open(const EngineOptions& options, const Clock* clock,
                                                  JournalLimits journal_limits = {});
  ~LocalStore();

  // Executes one command for `session` and appends its reply (RESP2 or RESP3 per
  // session.protocol) to *out. Commits its writes unless a group is open. With `journal`, every
  // write that changed data is journaled in the same batch (writes are refused while the journal
  // is full); without, nothing is journaled (mirroring upstream's own writes).
  void Execute(LocalSession& session, std::span<const std::string_view> argv, std::string* out,
               bool journal = true);

  // Group commit: commands executed between BeginGroup() and EndGroup() share one write batch and
  // one sync (fsync always). The caller sends their replies only after EndGroup() returns ok. A
  // command that fails on the store (a read error) drops the group's batch, so EndGroup() then
  // fails the whole group: the earlier commands' replies must not claim writes that are gone.
  void BeginGroup();
  Status EndGroup();
  // Pipelined commit (DESIGN.md "Local store: pipelined commit"): ends the group by handing its
  // batch to the engine's commit thread and returns at once; the next group executes on top of
  // it, its reads seeing its writes. The caller holds the group's replies until
  // WaitCommitted() says the batch is on disk (synced, with fsync always). An error means the
  // batch was refused before it was handed (nothing stored), as EndGroup's.
  Status EndGroupAsync();
  // The status of the batch EndGroupAsync() handed over, waiting for it if it is still being
  // written. After an error nothing of that batch, nor of the group executed since, is stored:
  // call DropPending() once that group is done and fail every reply of both.
  Status WaitCommitted();
  // Drops what the commands since the last commit queued (the replies that claimed it must not be
  // sent).
  void DropPending();

  // A client is gone: drop its watches.
  void ForgetSession(LocalSession& session);

  // Keys (MetaKey bytes) modified by the commands since the last call, for waking clients blocked
  // on them. Tracked only while EnableModifiedTracking(true).
  void EnableModifiedTracking(bool on);
  void TakeModified(std::vector<std::string>* out);

  // Journal entries recorded by the last Execute (argv lists), empty for reads (tests).
  std::vector<std::vector<std::string>> last_journal() const { return last_journal_.Copy(); }

  // True when the last Execute was a blocking command that found nothing and wrote no reply: the
  // caller parks the client and runs it again later.
  bool last_would_block() const { return last_would_block_; }
  // With last_would_block(): the timeout the command asked for in ms (-1: read it from argv), and
  // the command to park instead of the one sent (empty: the same).
  int64_t last_block_timeout_ms() const { return last_block_timeout_ms_; }
  std::vector<std::string>& last_block_argv() { return last_block_argv_; }
  // The reply of a blocking command that timed out: a null array for every command (BLMOVE and
  // BRPOPLPUSH too, although inside MULTI they answer a null bulk).
  static void WriteBlockTimeout(std::string_view command, int protocol, std::string* out);

  // Active expiry: checks up to `hint_budget` keys whose expiry is due and walks up to
  // `walk_budget` others (Keyspace::ExpireSome); deletes the expired ones, returns how many.
  size_t ExpireCycle(size_t hint_budget, size_t walk_budget);
  Status SyncWal();

  // The Lua engine (scripts seen while forwarding are remembered through it).
  ScriptRunner& scripts() { return *scripts_; }
  // Where redis.log goes (level 0 debug .. 3 warning). Default: nowhere.
  void SetScriptLog(std::function<void(int, std::string_view)> log) {
    script_log_ = std::move(log);
  }

  // Where PUBLISH and PUBSUB reach subscribers (must outlive the store). Default: none (PUBLISH
  // answers 0).
  void SetPubSubBroker(PubSubBroker* broker);
  // What INFO reports as connected_clients and blocked_clients (called on the store thread).
  void SetClientCounts(std::function<std::pair<uint64_t, uint64_t>()> counts) {
    client_counts_ = std::move(counts);
  }

  Journal& journal() { return *journal_; }
  Keyspace& keyspace() { return *keyspace_; }
  Engine& engine() { return *engine_; }

 private:
  LocalStore(std::unique_ptr<Engine> engine, const Clock* clock, size_t key_cache_bytes);
  // Returns false when a storage failure rolled the pending batch back. Counts the command in
  // stats_ (RunUncounted says how).
  bool Run(LocalSession& session, std::span<const std::string_view> argv, std::string* out,
           bool in_exec);
  // What RunUncounted did with a command, for the stats.
  struct StatNote {
    enum Kind { kNothing, kRejected, kCalled, kBlocked } kind = kNothing;
    std::string_view command;  // the command table's name ("config|get"); empty when unknown
  };
  bool RunUncounted(LocalSession& session, std::span<const std::string_view> argv, std::string* out,
                    bool in_exec, StatNote* note);
  void Exec(LocalSession& session, std::string* out);
  void Watch(LocalSession& session, std::span<const std::string_view> argv, std::string* out);
  void Unwatch(LocalSession& session);
  static LocalSession::WatchedKey* FindWatched(LocalSession& session, std::string_view key);
  // A key (MetaKey bytes) as stored: absent, present but expired, or live.
  enum class KeyState { kMissing, kStale, kLive };
  KeyState StateOf(std::string_view meta_key);
  // EXEC: a watched key expired since it was watched.
  bool WatchedKeyExpired(LocalSession& session);
  // What FLUSHDB/FLUSHALL/SWAPDB do to watched keys, decided from the dbs before the command and
  // applied once it succeeded.
  struct WatchTouch {
    enum Action { kDirty, kClearExpired, kSetExpired };
    LocalSession* session;
    std::string key;
    Action action;
  };
  std::vector<WatchTouch> PlanDbTouches(std::string_view name,
                                        std::span<const std::string_view> argv, int db);
  void PlanDbTouch(int emptied, int replaced_with, std::vector<WatchTouch>* touches);
  static void ApplyTouches(const std::vector<WatchTouch>& touches);
  void NoteModified();
  // Keyspace notifications for what the last command (or the expiry cycle: empty name) did.
  // `own_reply`: false inside EXEC or a script (see KeyspaceNotifier::Notify).
  void NotifyKeyEvents(std::string_view command, std::span<const std::string_view> argv,
                       bool changed = true, bool own_reply = true);
  // notify-keyspace-events changed (or the broker did): record key events only when needed.
  void ConfigureNotifications();
  // ScriptCaller: what redis.call reaches.
  bool CallFromScript(LocalSession& session, std::span<const std::string_view> argv, bool read_only,
                      bool* wrote, std::string* out) override;
  void FreezeClock(bool frozen) override;
  void ScriptLog(int level, std::string_view message) override;
  bool KnowsCommand(std::string_view name) const override;

  // The clock keys expire by: the real one, except that it stands still while a script runs.
  class ScriptClock final : public Clock {
   public:
    explicit ScriptClock(const Clock* base) : base_(base) {}
    int64_t NowMs() const override { return frozen_ ? frozen_ms_ : base_->NowMs(); }
    void Freeze(bool on) {
      frozen_ms_ = base_->NowMs();
      frozen_ = on;
    }

   private:
    const Clock* base_;
    bool frozen_ = false;
    int64_t frozen_ms_ = 0;
  };

  std::unique_ptr<Engine> engine_;
  const Clock* clock_;
  ScriptClock script_clock_;
  std::unique_ptr<Keyspace> keyspace_;
  bool grouping_ = false;
  Status group_failure_;  // the first store failure of the group, which dropped its batch
  // EndGroup's and EndGroupAsync's answer for a group a failure dropped (true), after dropping
  // what the group's later commands wrote.
  bool FailGroup(Status* s);
  // How the last batch handed over by EndGroupAsync() went, recorded by the engine's settle hook
  // (which may run inside a later command that needs it on disk) until WaitCommitted() takes it.
  Status settled_;
  void OnSettled(const Status& s);
  bool external_tracking_ = false;
  // Watched key (MetaKey bytes) -> the sessions watching it.
  std::unordered_map<std::string, std::vector<LocalSession*>> watchers_;
  std::vector<std::string> modified_scratch_;
  std::vector<std::string> modified_for_caller_;
  JournalRecord last_journal_;  // what the running command or transaction journals
  // Each running command's own entries (JournalAs), by nesting depth (a script's redis.call runs
  // inside its EVAL): reused, so journaling a write allocates nothing once warm.
  std::vector<std::unique_ptr<JournalRecord>> command_journals_;
  size_t depth_ = 0;
  bool last_would_block_ = false;
  int64_t last_block_timeout_ms_ = -1;
  std::vector<std::string> last_block_argv_;
  bool in_script_ = false;  // redis.call is running a command
  bool journaling_ = true;  // of the command running now
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<ScriptRunner> scripts_;
  std::unique_ptr<LocalConfig> config_;
  std::function<void(int, std::string_view)> script_log_;
  PubSubBroker* pubsub_ = nullptr;
  std::function<std::pair<uint64_t, uint64_t>()> client_counts_;
  std::unique_ptr<KeyspaceNotifier> notifier_;
  std::unique_ptr<CommandStats> stats_;
  // Codes of the errors redis.call met in the running script: the script's own error reply with
  // one of them is the same error, counted once (as Redis does).
  std::vector<std::string> script_error_codes_;
  int64_t opened_unix_;  // LASTSAVE
};

}  // namespace respite::storage
