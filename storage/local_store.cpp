#include "storage/local_store.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "resp/command_table.h"
#include "resp/reply_writer.h"
#include "storage/command_context.h"
#include "storage/command_stats.h"
#include "storage/keyspace.h"
#include "storage/keyspace_events.h"
#include "storage/local_config.h"
#include "storage/numbers.h"

namespace respite::storage {

namespace {

using resp::CommandSpec;
using resp::CommandTable;

// Every family's handlers by command name ("config|get" for subcommands).
class Registry {
 public:
  static const Registry& Get() {
    static const Registry registry;
    return registry;
  }
  LocalHandler Find(std::string_view name) const {
    auto it = handlers_.find(name);
    return it == handlers_.end() ? nullptr : it->second;
  }

 private:
  Registry() {
    for (auto rows :
         {StringCommands(),      KeyCommands(),    HashCommands(),        ListCommands(),
          SetCommands(),         ZSetCommands(),   ServerCommands(),      ScriptCommands(),
          PubSubCommands(),      StreamCommands(), StreamInfoCommands(),  StreamGroupCommands(),
          StreamClaimCommands(), BitmapCommands(), SortCommands(),        LcsCommands(),
          ObjectCommands(),      GeoCommands(),    HyperLogLogCommands(), DumpRestoreCommands()}) {
      for (const LocalCommandDef& row : rows) handlers_.emplace(row.name, row.handler);
    }
  }
  std::unordered_map<std::string_view, LocalHandler> handlers_;
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Redis formats names with %s: a NUL byte ends them.
std::string_view UntilNul(std::string_view s) { return s.substr(0, s.find('\0')); }

// Redis: "unknown command 'x', with args beginning with: 'a' 'b' " (args capped near 128 bytes).
std::string UnknownCommand(std::span<const std::string_view> argv) {
  std::string args;
  for (size_t i = 1; i < argv.size() && args.size() < 128; ++i) {
    const size_t room = 128 - args.size();
    args += "'";
    args.append(UntilNul(argv[i].substr(0, room)));
    args += "' ";
  }
  return "ERR unknown command '" + std::string(UntilNul(argv[0].substr(0, 128))) +
         "', with args beginning with: " + args;
}

std::string ArityError(const CommandSpec& spec) {
  return "ERR wrong number of arguments for '" + std::string(spec.name) + "' command";
}

// Resolves argv to a command spec, or writes the error Redis would and returns nullptr.
const CommandSpec* Resolve(std::span<const std::string_view> argv, resp::ReplyWriter& w) {
  const CommandTable& table = CommandTable::Instance();
  const CommandSpec* spec = table.Find(argv[0]);
  if (spec == nullptr) {
    w.Error(UnknownCommand(argv));
    return nullptr;
  }
  if (spec->Has(resp::kCmdContainer)) {
    if (!spec->ArityOk(argv.size())) {
      w.Error(ArityError(*spec));
      return nullptr;
    }
    if (argv.size() == 1) return spec;  // COMMAND alone
    const CommandSpec* sub = table.Find(argv[0], argv[1]);
    if (sub == nullptr) {
      w.Error("ERR unknown subcommand '" + std::string(UntilNul(argv[1].substr(0, 128))) +
              "'. Try " + Upper(argv[0]) + " HELP.");
      return nullptr;
    }
    spec = sub;
  }
  if (!spec->ArityOk(argv.size())) {
    w.Error(ArityError(*spec));
    return nullptr;
  }
  return spec;
}

constexpr std::string_view kJournalFull =
    "ERR respite's journal is full (journal.max_bytes): write refused until upstream Redis is "
    "back and the journal drains";
constexpr std::string_view kEntryTooLarge =
    "ERR write refused: its journal entry would exceed journal.max_entry_bytes";

std::string Unavailable(const CommandSpec& spec) {
  std::string name(spec.name);
  std::replace(name.begin(), name.end(), '|', ' ');
  return "ERR " + name + " is not available while upstream Redis is unreachable";
}

}  // namespace

Result<std::unique_ptr<LocalStore>> LocalStore::Open(const EngineOptions& options,
                                                     const Clock* clock,
                                                     JournalLimits journal_limits) {
  auto engine = Engine::Open(options);
  if (!engine.ok()) return engine.status();
  std::unique_ptr<LocalStore> store(
      new LocalStore(std::move(engine).value(), clock, options.key_cache_bytes));
  LocalStore* raw = store.get();
  store->engine_->SetSettleHook([raw](const Status& s) { raw->OnSettled(s); });
  if (Status s = store->keyspace_->Load(); !s.ok()) return s;
  auto journal = Journal::Open(*store->engine_, options.dir + "/journal.key", journal_limits);
  if (!journal.ok()) return journal.status();
  store->journal_ = std::move(journal).value();
  store->scripts_ =
      std::make_unique<ScriptRunner>(static_cast<ScriptCaller&>(*store), *store->engine_);
  if (Status s = store->scripts_->Load(); !s.ok()) return s;
  return store;
}

LocalStore::LocalStore(std::unique_ptr<Engine> engine, const Clock* clock, size_t key_cache_bytes)
    : engine_(std::move(engine)),
      clock_(clock),
      script_clock_(clock),
      keyspace_(std::make_unique<Keyspace>(*engine_, script_clock_, key_cache_bytes)),
      config_(std::make_unique<LocalConfig>()),
      notifier_(std::make_unique<KeyspaceNotifier>()),
      stats_(std::make_unique<CommandStats>()),
      opened_unix_(clock->NowMs() / 1000) {}

LocalStore::~LocalStore() = default;

void LocalStore::Execute(LocalSession& session, std::span<const std::string_view> argv,
                         std::string* out, bool journal) {
  last_journal_.Clear();
  last_would_block_ = false;
  last_block_timeout_ms_ = -1;
  last_block_argv_.clear();
  journaling_ = journal;
  const size_t mark = out->size();
  // A failed command's writes were rolled back, the nested ones of a script included.
  if (!Run(session, argv, out, /*in_exec=*/false)) last_journal_.Clear();
  if (journaling_ && !last_journal_.empty()) {
    journal_->Append(last_journal_.entries(), last_journal_.dbs(), clock_->NowMs());
  }
  if (!grouping_ && engine_->HasPendingWrites()) {
    if (Status s = engine_->Commit(); !s.ok()) {
      // The reply claimed success; nothing was stored. Say so instead.
      keyspace_->DropPending();
      journal_->OnRollback();
      last_journal_.Clear();
      out->resize(mark);
      resp::ReplyWriter(out, session.protocol).Error("ERR local store: " + s.ToString());
      return;
    }
  }
  if (!grouping_) {
    keyspace_->ApplyPending();
    journal_->OnCommit();
  }
  NoteModified();
}

bool LocalStore::Run(LocalSession& session, std::span<const std::string_view> argv,
                     std::string* out, bool in_exec) {
  const size_t mark = out->size();
  const auto start = std::chrono::steady_clock::now();
  StatNote note;
  const bool ok = RunUncounted(session, argv, out, in_exec, &note);
  const std::string_view reply = std::string_view(*out).substr(mark);
  const bool error = !reply.empty() && reply[0] == '-';
  switch (note.kind) {
    case StatNote::kBlocked:
      return ok;  // counted once served
    case StatNote::kRejected:
      if (!note.command.empty()) stats_->Rejected(note.command);
      break;
    case StatNote::kCalled: {
      const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
      stats_->Called(note.command, usec, error);
      const CommandSpec* spec = CommandTable::Instance().Find(note.command);
      if (error && spec != nullptr && spec->Has(resp::kCmdRunsScript)) {
        // The script's error is one redis.call already counted: not counted twice.
        const std::string code = CommandStats::ErrorCode(reply);
        const bool seen = std::find(script_error_codes_.begin(), script_error_codes_.end(), code) !=
                          script_error_codes_.end();
        script_error_codes_.clear();
        if (seen) return ok;
      }
      break;
    }
    case StatNote::kNothing:
      break;
  }
  if (error) {
    stats_->Error(reply);
    if (in_script_) script_error_codes_.push_back(CommandStats::ErrorCode(reply));
  }
  return ok;
}

bool LocalStore::RunUncounted(LocalSession& session, std::span<const std::string_view> argv,
                              std::string* out, bool in_exec, StatNote* note) {
  resp::ReplyWriter w(out, session.protocol);
  if (argv.empty()) return true;

  // Unknown commands and wrong arity are rejected first (MULTI/EXEC/WATCH included) and flag an
  // open transaction; a rejected EXEC discards the transaction, open or not, as Redis does.
  std::string rejected;
  resp::ReplyWriter rejected_writer(&rejected, session.protocol);
  const CommandSpec* spec = Resolve(argv, rejected_writer);
  if (spec == nullptr) {
    // A known command with the wrong arity counts as rejected.
    note->kind = StatNote::kRejected;
    if (const CommandSpec* known = CommandTable::Instance().Find(argv[0]); known != nullptr) {
      const CommandSpec* sub = known->Has(resp::kCmdContainer) && argv.size() >= 2
                                   ? CommandTable::Instance().Find(argv[0], argv[1])
                                   : known;
      if (sub != nullptr) note->command = sub->name;
    }
    if (Lower(argv[0]) == "exec") {
      session.in_multi = false;
      session.multi_error = false;
      session.queued.clear();
      Unwatch(session);
      // "-ERR wrong number of ...\r\n" -> "EXECABORT ... because of: wrong number of ..."
      const size_t text = rejected.find(' ') + 1;
      w.Error("EXECABORT Transaction discarded because of: " +
              rejected.substr(text, rejected.size() - text - 2));
    } else {
      out->append(rejected);
      if (session.in_multi && !in_exec) session.multi_error = true;
    }
    return true;
  }

  note->command = spec->name;
  note->kind = StatNote::kCalled;
  if (session.in_multi && !in_exec) {
    const std::string name = Lower(argv[0]);
    if (name == "exec") {
      Exec(session, out);
      return true;
    }
    if (name == "discard") {
      session.in_multi = false;
      session.multi_error = false;
      session.queued.clear();
      Unwatch(session);
      w.Ok();
      return true;
    }
    if (name == "multi") {
      w.Error("ERR MULTI calls can not be nested");
      return true;
    }
    if (name == "watch") {
      w.Error("ERR WATCH inside MULTI is not allowed");
      return true;
    }
    if (spec->Has(resp::kCmdNoMulti)) {
      w.Error("ERR Command not allowed inside a transaction");
      session.multi_error = true;
      return true;
    }
    if (name != "unwatch" && Registry::Get().Find(spec->name) == nullptr) {
      note->kind = StatNote::kRejected;
      w.Error(Unavailable(*spec));
      session.multi_error = true;
      return true;
    }
    note->kind = StatNote::kNothing;  // counted when EXEC runs it
    session.queued.emplace_back(argv.begin(), argv.end());
    w.SimpleString("QUEUED");
    return true;
  }

  const std::string_view name = spec->name;
  if (name == "multi") {
    session.in_multi = true;
    session.multi_error = false;
    session.queued.clear();
    w.Ok();
    return true;
  }
  if (name == "exec" || name == "discard") {
    w.Error(name == "exec" ? "ERR EXEC without MULTI" : "ERR DISCARD without MULTI");
    return true;
  }
  if (name == "watch") {
    Watch(session, argv, out);
    return true;
  }
  if (name == "unwatch") {
    Unwatch(session);
    w.Ok();
    return true;
  }
  const LocalHandler handler = Registry::Get().Find(name);
  if (handler == nullptr) {
    note->kind = StatNote::kRejected;
    w.Error(Unavailable(*spec));
    return true;
  }

  if (journaling_ && spec->Has(resp::kCmdWrite) && !journal_->Admits(argv)) {
    note->kind = StatNote::kRejected;
    w.Error(journal_->full() ? kJournalFull : kEntryTooLarge);
    return true;
  }
  // Like Redis at maxmemory: what adds data is refused while the disk is below the reserve;
  // deletes go on, they make room.
  if (spec->Has(resp::kCmdDenyOom) && !engine_->CheckSpace().ok()) {
    note->kind = StatNote::kRejected;
    w.Error("ERR local store: " + engine_->write_error());
    return true;
  }
  const uint64_t writes_before = keyspace_->write_count();
  // FLUSHDB, FLUSHALL and SWAPDB touch watched keys by what the dbs held before they ran.
  std::vector<WatchTouch> touches;
  if (!watchers_.empty()) touches = PlanDbTouches(name, argv, session.db);
  CommandContext ctx{argv, w, *keyspace_, session, session.db};
  ctx.scripts = scripts_.get();
  ctx.config = config_.get();
  ctx.pubsub = pubsub_;
  ctx.in_script = in_script_;
  if (client_counts_) ctx.client_counts = &client_counts_;
  ctx.last_save_unix = opened_unix_;
  ctx.stats = stats_.get();
  if (spec->Has(resp::kCmdRunsScript)) script_error_codes_.clear();
  if (command_journals_.size() == depth_) {
    command_journals_.push_back(std::make_unique<JournalRecord>());
  }
  JournalRecord& own_journal = *command_journals_[depth_];
  own_journal.Clear();
  ctx.journal = &own_journal;
  ++depth_;
  handler(ctx);
  --depth_;
  if (ctx.would_block) {
    if (in_exec) {
      // No blocking inside a transaction: the empty reply of the non-blocking form.
      if (name == "blmove" || name == "brpoplpush") {
        w.Null();
      } else {
        w.NullArray();
      }
    } else {
      note->kind = StatNote::kBlocked;
      last_would_block_ = true;
      last_block_timeout_ms_ = ctx.block_timeout_ms;
      last_block_argv_ = std::move(ctx.block_argv);
    }
  }
  if (ctx.failed) {
    engine_->Rollback();
    keyspace_->DropPending();
    keyspace_->key_events().clear();
    if (grouping_ && group_failure_.ok()) group_failure_ = ctx.failure;
    return false;
  }
  if (keyspace_->key_events_enabled()) NotifyKeyEvents(name, argv, !ctx.journal_none, !in_exec);
  if (name == "config|set") ConfigureNotifications();
  if ((name == "flushdb" || name == "flushall" || name == "swapdb") &&
      keyspace_->write_count() != writes_before) {
    // Parked clients look again (a blocked XREADGROUP learns its stream is gone, a BLPOP finds
    // the list SWAPDB brought).
    if (external_tracking_) modified_for_caller_.emplace_back();
    ApplyTouches(touches);
  }
  if (spec->Has(resp::kCmdWrite) && !ctx.journal_none) {
    if (!own_journal.empty()) {
      last_journal_.AddAll(own_journal, ctx.db);
    } else if (keyspace_->write_count() != writes_before) {
      last_journal_.Add(argv, ctx.db);
    }
  }
  return true;
}

void LocalStore::Exec(LocalSession& session, std::string* out) {
  resp::ReplyWriter w(out, session.protocol);
  session.in_multi = false;
  std::vector<std::vector<std::string>> queued;
  queued.swap(session.queued);
  if (session.multi_error) {
    session.multi_error = false;
    Unwatch(session);
    w.Error("EXECABORT Transaction discarded because of previous errors.");
    return;
  }
  // As Redis at maxmemory: a transaction that adds data is refused whole below the disk reserve.
  const CommandTable& table = CommandTable::Instance();
  const bool adds_data = std::any_of(queued.begin(), queued.end(), [&](const auto& command) {
    const CommandSpec* spec = table.Find(command[0]);
    return spec != nullptr && spec->Has(resp::kCmdDenyOom);
  });
  if (adds_data && !engine_->CheckSpace().ok()) {
    Unwatch(session);
    w.Error("EXECABORT Transaction discarded because of: ERR local store: " +
            engine_->write_error());
    return;
  }
  if (session.watch_dirty || WatchedKeyExpired(session)) {
    Unwatch(session);
    w.NullArray();
    return;
  }
  Unwatch(session);
  const size_t mark = out->size();
  w.ArrayHeader(queued.size());
  // Each command adds its entries to last_journal_: the transaction's, in order.
  for (const auto& command : queued) {
    std::vector<std::string_view> argv(command.begin(), command.end());
    const size_t reply_start = out->size();
    if (!Run(session, argv, out, /*in_exec=*/true)) {
      // A storage failure rolled back everything the transaction queued: none of it happened. The
      // failed command's reply is its error alone (commands read before they reply), which may
      // itself hold a '-' (a file path in RocksDB's message).
      last_journal_.Clear();
      std::string error = out->substr(reply_start);
      out->resize(mark);
      out->append(error);
      return;
    }
  }
}

void LocalStore::Watch(LocalSession& session, std::span<const std::string_view> argv,
                       std::string* out) {
  for (size_t i = 1; i < argv.size(); ++i) {
    std::string key = MetaKey(session.db, argv[i]);
    if (FindWatched(session, key) != nullptr) continue;
    MetaValue meta;
    const bool stale = keyspace_->Peek(session.db, argv[i], &meta).ok() &&
                       meta.type != Type::kNone && keyspace_->IsExpired(meta);
    watchers_[key].push_back(&session);
    session.watched.push_back({std::move(key), stale});
  }
  keyspace_->EnableModifiedTracking(!watchers_.empty() || external_tracking_);
  resp::ReplyWriter(out, session.protocol).Ok();
}

void LocalStore::Unwatch(LocalSession& session) {
  for (const LocalSession::WatchedKey& watched : session.watched) {
    auto it = watchers_.find(watched.key);
    if (it == watchers_.end()) continue;
    auto& list = it->second;
    list.erase(std::remove(list.begin(), list.end(), &session), list.end());
    if (list.empty()) watchers_.erase(it);
  }
  session.watched.clear();
  session.watch_dirty = false;
  keyspace_->EnableModifiedTracking(!watchers_.empty() || external_tracking_);
}

LocalSession::WatchedKey* LocalStore::FindWatched(LocalSession& session, std::string_view key) {
  for (LocalSession::WatchedKey& watched : session.watched) {
    if (watched.key == key) return &watched;
  }
  return nullptr;
}

LocalStore::KeyState LocalStore::StateOf(std::string_view meta_key) {
  MetaValue meta;
  const int db = static_cast<unsigned char>(meta_key[0]);
  if (!keyspace_->Peek(db, meta_key.substr(1), &meta).ok() || meta.type == Type::kNone) {
    return KeyState::kMissing;
  }
  return keyspace_->IsExpired(meta) ? KeyState::kStale : KeyState::kLive;
}

bool LocalStore::WatchedKeyExpired(LocalSession& session) {
  // A key that expired since WATCH counts as modified; one already stale then does not.
  for (const LocalSession::WatchedKey& watched : session.watched) {
    if (!watched.expired && StateOf(watched.key) == KeyState::kStale) return true;
  }
  return false;
}

std::vector<LocalStore::WatchTouch> LocalStore::PlanDbTouches(
    std::string_view name, std::span<const std::string_view> argv, int db) {
  std::vector<WatchTouch> touches;
  if (name == "flushall") {
    for (int d = 0; d < kDatabases; ++d) PlanDbTouch(d, -1, &touches);
  } else if (name == "flushdb") {
    PlanDbTouch(db, -1, &touches);
  } else if (name == "swapdb") {
    int64_t a = 0;
    int64_t b = 0;
    if (ParseInt64(argv[1], &a) && ParseInt64(argv[2], &b) && a >= 0 && a < kDatabases && b >= 0 &&
        b < kDatabases && a != b) {
      PlanDbTouch(static_cast<int>(a), static_cast<int>(b), &touches);
      PlanDbTouch(static_cast<int>(b), static_cast<int>(a), &touches);
    }
  }
  return touches;
}

void LocalStore::PlanDbTouch(int emptied, int replaced_with, std::vector<WatchTouch>* touches) {
  // Redis 7.0: a watched key of the emptied db is touched when it exists there or in the db
  // replacing it, except that stale keys count as absent on both sides.
  for (auto& [key, sessions] : watchers_) {
    if (static_cast<unsigned char>(key[0]) != emptied) continue;
    const KeyState before = StateOf(key);
    KeyState after = KeyState::kMissing;
    if (replaced_with >= 0) {
      std::string other = key;
      other[0] = static_cast<char>(replaced_with);
      after = StateOf(other);
    }
    if (before == KeyState::kMissing && after == KeyState::kMissing) continue;
    for (LocalSession* s : sessions) {
      const LocalSession::WatchedKey* watched = FindWatched(*s, key);
      if (watched == nullptr) continue;
      WatchTouch::Action action = WatchTouch::kDirty;
      if (watched->expired) {
        if (after == KeyState::kMissing) {
          action = WatchTouch::kClearExpired;  // the stale key is gone: no logical change
        } else if (after == KeyState::kStale) {
          continue;  // stale before, stale after
        }
      } else if (before == KeyState::kMissing && after == KeyState::kStale) {
        action = WatchTouch::kSetExpired;  // nothing replaced by a stale key: no change
      }
      touches->push_back({s, key, action});
    }
  }
}

void LocalStore::ApplyTouches(const std::vector<WatchTouch>& touches) {
  for (const WatchTouch& t : touches) {
    LocalSession::WatchedKey* watched = FindWatched(*t.session, t.key);
    if (watched == nullptr) continue;
    switch (t.action) {
      case WatchTouch::kDirty:
        t.session->watch_dirty = true;
        break;
      case WatchTouch::kClearExpired:
        watched->expired = false;
        break;
      case WatchTouch::kSetExpired:
        watched->expired = true;
        break;
    }
  }
}

void LocalStore::ForgetSession(LocalSession& session) {
  Unwatch(session);
  session.in_multi = false;
  session.queued.clear();
}

void LocalStore::NoteModified() {
  modified_scratch_.clear();
  keyspace_->TakeModified(&modified_scratch_);
  for (const std::string& key : modified_scratch_) {
    auto it = watchers_.find(key);
    if (it != watchers_.end()) {
      for (LocalSession* s : it->second) {
        LocalSession::WatchedKey* watched = FindWatched(*s, key);
        if (watched != nullptr && watched->expired) {
          // Watched when already stale: its deletion is no logical change. Redis 7.0 stops
          // looking at the key's other watchers when it is still there.
          if (StateOf(key) != KeyState::kMissing) break;
          watched->expired = false;
          continue;
        }
        s->watch_dirty = true;
      }
    }
    if (external_tracking_) modified_for_caller_.push_back(key);
  }
}

void LocalStore::EnableModifiedTracking(bool on) {
  external_tracking_ = on;
  keyspace_->EnableModifiedTracking(!watchers_.empty() || external_tracking_);
}

void LocalStore::TakeModified(std::vector<std::string>* out) {
  for (auto& k : modified_for_caller_) out->push_back(std::move(k));
  modified_for_caller_.clear();
}

void LocalStore::BeginGroup() {
  grouping_ = true;
  group_failure_ = Status::Ok();
}

bool LocalStore::FailGroup(Status* s) {
  if (group_failure_.ok()) return false;
  DropPending();
  *s = std::move(group_failure_);
  group_failure_ = Status::Ok();
  return true;
}

Status LocalStore::EndGroup() {
  grouping_ = false;
  if (Status failed; FailGroup(&failed)) return failed;
  Status s = engine_->Commit();
  if (s.ok()) {
    keyspace_->ApplyPending();
    journal_->OnCommit();
  } else {
    keyspace_->DropPending();
    journal_->OnRollback();
  }
  return s;
}

Status LocalStore::EndGroupAsync() {
  grouping_ = false;
  if (Status failed; FailGroup(&failed)) return failed;
  Status s = engine_->CommitAsync();
  if (!s.ok()) {
    keyspace_->DropPending();
    journal_->OnRollback();
    return s;
  }
  if (engine_->commit_in_flight()) {
    keyspace_->SealPending();
    journal_->SealPending();
  } else {
    keyspace_->ApplyPending();  // nothing was written (reads only): nothing to wait for
    journal_->OnCommit();
  }
  return Status::Ok();
}

Status LocalStore::WaitCommitted() {
  (void)engine_->Settle();  // records settled_ through the hook, if a batch was in flight
  Status s = std::move(settled_);
  settled_ = Status::Ok();
  return s;
}

void LocalStore::OnSettled(const Status& s) {
  if (s.ok()) {
    keyspace_->ApplySealed();
    journal_->OnSealedCommit();
  } else {
    keyspace_->DropSealed();
    journal_->OnSealedRollback();
  }
  settled_ = s;
}

void LocalStore::DropPending() {
  engine_->Rollback();
  keyspace_->DropPending();
  journal_->OnRollback();
}

size_t LocalStore::ExpireCycle(size_t hint_budget, size_t walk_budget) {
  const size_t n = keyspace_->ExpireSome(hint_budget, walk_budget);
  if (keyspace_->key_events_enabled()) NotifyKeyEvents({}, {});
  // Stale expiry hints are dropped even when no key expired.
  if (!grouping_ && engine_->HasPendingWrites()) {
    if (engine_->Commit().ok()) {
      keyspace_->ApplyPending();
    } else {
      keyspace_->DropPending();
    }
    NoteModified();
  }
  return n;
}

void LocalStore::WriteBlockTimeout(std::string_view /*command*/, int protocol, std::string* out) {
  // Redis 7.0 answers every timed-out blocked client with a null array, BLMOVE included.
  resp::ReplyWriter(out, protocol).NullArray();
}

Status LocalStore::SyncWal() { return engine_->SyncWal(); }

void LocalStore::SetPubSubBroker(PubSubBroker* broker) {
  pubsub_ = broker;
  ConfigureNotifications();
}

void LocalStore::ConfigureNotifications() {
  notifier_->Configure(config_->notify_keyspace_events());
  const bool on = notifier_->enabled() && pubsub_ != nullptr;
  keyspace_->EnableKeyEvents(on);
  if (!on) keyspace_->key_events().clear();
}

void LocalStore::NotifyKeyEvents(std::string_view command, std::span<const std::string_view> argv,
                                 bool changed, bool own_reply) {
  notifier_->Notify(command, argv, &keyspace_->key_events(), *pubsub_, changed, own_reply);
}

bool LocalStore::CallFromScript(LocalSession& session, std::span<const std::string_view> argv,
                                bool read_only, bool* wrote, std::string* out) {
  resp::ReplyWriter w(out, session.protocol);
  const CommandTable& table = CommandTable::Instance();
  const CommandSpec* spec = table.Find(argv[0]);
  if (spec != nullptr && spec->Has(resp::kCmdContainer) && argv.size() >= 2) {
    spec = table.Find(argv[0], argv[1]);
  }
  if (spec == nullptr) {
    w.Error("ERR Unknown Redis command called from script");
    return true;
  }
  // Refused here: rejected calls of the command, and errors counted as Redis counts them.
  const auto refuse = [&](std::string_view error) {
    stats_->Rejected(spec->name);
    stats_->Error(error);
    script_error_codes_.push_back(CommandStats::ErrorCode(error));
    w.Error(error);
    return true;
  };
  if (!spec->ArityOk(argv.size())) {
    return refuse("ERR Wrong number of args calling Redis command from script");
  }
  if (spec->Has(resp::kCmdNoScript)) {
    return refuse("ERR This Redis command is not allowed from script");
  }
  if (spec->Has(resp::kCmdWrite)) {
    if (read_only) return refuse("ERR Write commands are not allowed from read-only scripts.");
    *wrote = true;  // from now on SCRIPT KILL cannot stop it, as in Redis
  }
  // As inside EXEC: blocking commands do not block.
  in_script_ = true;
  const bool ran = Run(session, argv, out, /*in_exec=*/true);
  in_script_ = false;
  return ran;
}

void LocalStore::FreezeClock(bool frozen) { script_clock_.Freeze(frozen); }

void LocalStore::ScriptLog(int level, std::string_view message) {
  if (script_log_) script_log_(level, message);
}

bool LocalStore::KnowsCommand(std::string_view name) const {
  return CommandTable::Instance().Find(name) != nullptr;
}

}  // namespace respite::storage
