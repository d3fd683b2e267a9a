#include "proxy/failover/replayer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>

#include "proxy/failover/failover.h"
#include "proxy/store_executor.h"
#include "proxy/time_util.h"
#include "proxy/upstream/blocking_client.h"
#include "proxy/upstream/sentinel_watcher.h"
#include "resp/command_encoder.h"
#include "storage/journal.h"
#include "storage/keyspace.h"
#include "storage/local_store.h"
#include "storage/replay_records.h"

namespace respite::proxy {

namespace {

using storage::JournalEntry;
using storage::LocalStore;

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// Replay starts with small batches and doubles them after each success, so that many sidecars
// coming back at once do not stampede a Redis that has just restarted.
constexpr size_t kFirstBatch = 10;

struct Slice {
  std::vector<JournalEntry> entries;
  uint64_t pending = 0;
};

}  // namespace

Replayer::Replayer(const config::Config& config, Failover& failover, StoreExecutor& store)
    : config_(config),
      failover_(failover),
      store_(store),
      rng_(std::random_device{}()),
      breaker_(
          CircuitBreaker::Options{config.breaker.failures, config.breaker.successes,
                                  config.breaker.backoff_base_ms, config.breaker.backoff_max_ms},
          [this](uint64_t bound) {
            return std::uniform_int_distribution<uint64_t>(0, bound)(rng_);
          }) {
  const std::string id = store_.Call([](LocalStore& s) { return s.journal().id(); });
  cursor_key_ = "respite:cursor:" + id;
  // Rules of a replay cut short by a restart: later entries still name the old ids.
  storage::Status loaded = store_.Call([this](LocalStore& s) {
    return storage::ForEachReplayRecord(s.engine(), [this](uint64_t seq, std::string_view value) {
      StreamIdRule rule;
      if (DecodeRule(seq, value, &rule)) stream_ids_.Put(rule);
    });
  });
  if (!loaded.ok()) spdlog::error("reading the replay's stream id rules: {}", loaded.ToString());
  if (!stream_ids_.empty()) {
    spdlog::info("{} stream ids re-added by an earlier replay still apply to the journal",
                 stream_ids_.size());
  }
}

Replayer::~Replayer() { Stop(); }

void Replayer::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Replayer::Stop() {
  stopping_ = true;
  Wake();
  if (thread_.joinable()) thread_.join();
}

void Replayer::Wake() { wake_.Wake(); }

void Replayer::Loop() {
  BlockingClient client;
  while (!stopping_) {
    if (failover_.state() == Failover::State::kForward && forward_drain_.exchange(false)) {
      std::string error;
      if (!DrainWhileForwarding(client, &error)) {
        client.Close();
        spdlog::warn("replaying retried entries failed: {}; they stay in the journal", error);
      }
      continue;
    }
    if (failover_.state() != Failover::State::kDraining) {
      // Failover wakes the replayer on every transition; the timeout is only a backstop.
      wake_.Sleep(1000, stopping_);
      continue;
    }
    const uint64_t now = NowMs();
    if (retry_now_.exchange(false)) breaker_.OnSuccess();  // an operator asked: try at once
    if (!breaker_.Allow(now)) {
      breaker_state_ = breaker_.state();
      wake_.Sleep(std::min<uint64_t>(breaker_.retry_at_ms() - now, 100), stopping_);
      continue;
    }
    breaker_state_ = breaker_.state();
    std::string error;
    const Outcome outcome = Drain(client, &error);
    if (outcome == Outcome::kStopped) break;
    if (outcome == Outcome::kDrained) {
      breaker_.OnSuccess();
      breaker_state_ = breaker_.state();
      continue;
    }
    client.Close();
    breaker_.OnFailure(NowMs());
    breaker_state_ = breaker_.state();
    breaker_opened_ = breaker_.opened_total();
    spdlog::warn("replay failed: {} (breaker {})", error, CircuitBreaker::Name(breaker_.state()));
    failover_.AbortDrain(error);
  }
}

bool Replayer::Prepare(BlockingClient& client, std::string* error) {
  const auto& url = config_.upstream.parsed;
  const uint32_t timeout = config_.upstream.request_timeout_ms;
  // A connection kept from before an outage may point at a dead server: start afresh.
  client.Close();
  // Contention is judged anew each drain.
  watch_aborts_ = 0;
  contended_ = false;
  headroom_ms_ = 0;
  {
    if (!client.Connect(CurrentUpstream(url), config_.upstream.connect_timeout_ms, error)) {
      return false;
    }
    if (url.db != 0) {
      std::string select, reply;
      resp::AppendCommand(&select, {"SELECT", std::to_string(url.db)});
      if (!client.Call(select, timeout, &reply, error)) return false;
    }
  }

  // Fence the previous replay connection: a batch it sent may still sit in upstream's buffers
  // (we gave up waiting, upstream did not). Once it is killed, that batch either applied (and the
  // cursor says so) or never will.
  std::string request, reply;
  if (previous_client_id_ != 0) {
    resp::AppendCommand(&request, {"CLIENT", "KILL", "ID", std::to_string(previous_client_id_)});
    if (!client.Call(request, timeout, &reply, error)) return false;
    request.clear();
  }
  resp::AppendCommand(&request, {"CLIENT", "ID"});
  if (!client.Call(request, timeout, &reply, error)) return false;
  if (reply[0] == ':') {
    std::from_chars(reply.data() + 1, reply.data() + reply.size() - 2, previous_client_id_);
  }
  request.clear();

  // What upstream has applied: its cursor. Entries at or below it are done.
  resp::AppendCommand(&request, {"GET", cursor_key_});
  if (!client.Call(request, timeout, &reply, error)) return false;
  if (reply[0] == '-') {
    *error = "reading the replay cursor: " + ErrorText(reply);
    return false;
  }
  uint64_t cursor = 0;
  if (reply[0] == '$' && reply[1] != '-') {
    const size_t start = reply.find("\r\n") + 2;
    std::from_chars(reply.data() + start, reply.data() + reply.size() - 2, cursor);
  }
  const uint64_t applied = store_.Call([](LocalStore& s) { return s.journal().applied_through(); });
  if (cursor < applied) {
    // Upstream lost what it had applied (FLUSHALL, eviction, a restart without persistence).
    // Entries up to `applied` are gone locally; replay the rest rather than guess.
    if (!cursor_alarm_.exchange(true)) {
      spdlog::error(
          "replay cursor {} upstream is behind what was applied ({} < {}): upstream lost data "
          "(FLUSHALL, eviction or a restart without persistence); replaying the remaining entries",
          cursor_key_, cursor, applied);
    }
  }
  if (cursor > 0) {
    storage::Status s =
        store_.Call([cursor](LocalStore& st) { return st.journal().RemoveThrough(cursor); });
    if (!s.ok()) {
      *error = "trimming the journal: " + s.ToString();
      return false;
    }
  }

  return true;
}

bool Replayer::LoadScripts(BlockingClient& client, std::string* error) {
  const std::vector<std::string> bodies =
      store_.Call([](LocalStore& s) { return s.scripts().Bodies(); });
  const uint32_t timeout = config_.upstream.request_timeout_ms;
  constexpr size_t kPipeline = 64;
  std::string request, reply;
  for (size_t begin = 0; begin < bodies.size(); begin += kPipeline) {
    const size_t end = std::min(bodies.size(), begin + kPipeline);
    request.clear();
    for (size_t i = begin; i < end; ++i)
      resp::AppendCommand(&request, {"SCRIPT", "LOAD", bodies[i]});
    if (!client.Send(request, timeout, error)) return false;
    for (size_t i = begin; i < end; ++i) {
      if (!client.Read(timeout, &reply, error)) return false;
    }
  }
  if (!bodies.empty()) spdlog::info("loaded {} scripts upstream before the cutover", bodies.size());
  return true;
}

Replayer::Outcome Replayer::Drain(BlockingClient& client, std::string* error) {
  if (!Prepare(client, error)) return Outcome::kFailed;
  const auto started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point pause_started;
  bool paused = false;
  uint64_t replayed = 0;
  size_t batch = std::min<size_t>(kFirstBatch, config_.journal.batch_entries);
  auto read = [&](uint64_t from, size_t max_entries) {
    return store_.Call([&](LocalStore& s) {
      Slice out;
      size_t corrupt = 0;
      storage::Status st =
          s.journal().Read(from, max_entries, config_.journal.batch_bytes, &out.entries, &corrupt);
      if (!st.ok()) spdlog::error("reading the journal: {}", st.ToString());
      if (corrupt > 0) {
        spdlog::error("{} journal entries failed their integrity check; moved to dead letters",
                      corrupt);
      }
      out.pending = s.journal().pending_entries();
      return out;
    });
  };
  uint64_t next_from = 0;  // past the last entry sent
  Slice slice = read(next_from, batch);
  for (;;) {
    if (stopping_) return Outcome::kStopped;
    if (failover_.state() != Failover::State::kDraining) {
      *error = "upstream marked down during replay";
      return Outcome::kFailed;
    }
    if (!paused && slice.pending < config_.journal.batch_entries) {
      // Less than a batch left: pause clients, then replay the tail (read again after the pause
      // so the last commands served locally are included).
      failover_.BeginPause();
      paused = true;
      pause_started = std::chrono::steady_clock::now();
      slice = read(next_from, batch);
      continue;
    }
    if (slice.entries.empty()) break;
    if (contended_) {
      const size_t cut = ContendedCut(slice.entries);
      if (cut == 0) {
        bool applied = false;
        if (!ReplayGuardedXadd(client, slice.entries.front(), error, &applied)) {
          return Outcome::kFailed;
        }
        if (applied) {
          ++replayed;
          next_from = slice.entries.front().seq + 1;
        }
        slice = read(next_from, batch);
        continue;
      }
      slice.entries.resize(cut);
    }
    InFlight in_flight;
    if (!SendBatch(client, slice.entries, &in_flight, error)) return Outcome::kFailed;
    next_from = slice.entries.back().seq + 1;
    batch = std::min<size_t>(batch * 2, config_.journal.batch_entries);
    // Read the next batch while upstream runs this one. Its pending count still includes the
    // batch in flight, so the cutover pause comes one batch later than it would otherwise.
    Slice ahead = read(next_from, batch);
    bool applied = false;
    if (!FinishBatch(client, slice.entries, in_flight, error, &applied)) return Outcome::kFailed;
    if (!applied) {
      // Upstream refused to queue some entries and ran none: those went to the dead letters,
      // the rest of the batch is read (and sent) again.
      next_from = 0;
      slice = read(next_from, batch);
      continue;
    }
    replayed += slice.entries.size();
    slice = std::move(ahead);
  }

  // Clients are paused: scripts loaded during the outage go upstream before they switch back.
  if (!LoadScripts(client, error)) return Outcome::kFailed;

  const auto now = std::chrono::steady_clock::now();
  const auto total_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - started).count();
  const auto pause_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - pause_started).count();
  // Upstream now has everything. With fallback.warm none local data would only go stale; with
  // writes it is the mirror, kept warm for the next outage; with replica the follower's full
  // resync replaces it.
  if (config_.fallback.warm == "none") {
    storage::Status cleared = store_.Call([](LocalStore& s) { return s.keyspace().Flush(-1); });
    if (!cleared.ok()) spdlog::warn("clearing local data after replay: {}", cleared.ToString());
  }
  store_.ReleaseParkedClients();
  failover_.FinishCutover(replayed, static_cast<uint64_t>(total_ms),
                          static_cast<uint64_t>(pause_ms));
  return Outcome::kDrained;
}

bool Replayer::DrainWhileForwarding(BlockingClient& client, std::string* error) {
  if (!Prepare(client, error)) return false;
  uint64_t replayed = 0;
  const bool ok = DrainInBatches(
      client, [&] { return !stopping_ && failover_.state() == Failover::State::kForward; }, error,
      &replayed);
  spdlog::info("replayed {} retried entries while forwarding", replayed);
  return ok;
}

bool Replayer::DrainInBatches(BlockingClient& client, const std::function<bool()>& keep_going,
                              std::string* error, uint64_t* replayed) {
  while (keep_going()) {
    std::vector<JournalEntry> entries = store_.Call([&](LocalStore& s) {
      std::vector<JournalEntry> out;
      size_t corrupt = 0;
      storage::Status st = s.journal().Read(0, config_.journal.batch_entries,
                                            config_.journal.batch_bytes, &out, &corrupt);
      if (!st.ok()) spdlog::error("reading the journal: {}", st.ToString());
      return out;
    });
    if (entries.empty()) break;
    bool applied = false;
    const size_t cut = contended_ ? ContendedCut(entries) : entries.size();
    if (cut == 0) {
      if (!ReplayGuardedXadd(client, entries.front(), error, &applied)) return false;
      *replayed += applied ? 1 : 0;
      continue;
    }
    entries.resize(cut);
    InFlight in_flight;
    if (!SendBatch(client, entries, &in_flight, error) ||
        !FinishBatch(client, entries, in_flight, error, &applied)) {
      return false;
    }
    *replayed += applied ? entries.size() : 0;
  }
  return true;
}

void Replayer::DrainBeforeExit(uint64_t budget_ms, bool pinned_local) {
  struct Left {
    uint64_t entries = 0, first_seq = 0, bytes = 0;
  };
  const auto left = [&] {
    return store_.Call([](LocalStore& s) {
      return Left{s.journal().pending_entries(), s.journal().first_seq(),
                  s.journal().pending_bytes()};
    });
  };
  const Left before = left();
  if (before.entries == 0) return;
  std::string why;
  uint64_t replayed = 0;
  if (pinned_local) {
    why = "mode is pinned to local";
  } else if (budget_ms == 0) {
    why = "no time left of shutdown_timeout_ms";
  } else {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(budget_ms);
    spdlog::info("shutdown: {} journal entries pending; replaying them upstream (up to {} ms)",
                 before.entries, budget_ms);
    BlockingClient client;
    if (Prepare(client, &why) &&
        DrainInBatches(
            client, [&] { return std::chrono::steady_clock::now() < deadline; }, &why, &replayed) &&
        why.empty()) {
      why = "shutdown_timeout_ms ran out";
    }
  }
  const Left after = left();
  if (after.entries == 0) {
    spdlog::info("shutdown: replayed all {} journal entries upstream", replayed);
    return;
  }
  spdlog::warn(
      "shutdown: {} journal entries ({} bytes, seq {} on) left in {} ({}; {} replayed); they "
      "replay when respite starts again on this data dir and upstream answers",
      after.entries, after.bytes, after.first_seq, config_.data_dir, why, replayed);
}

bool Replayer::SendBatch(BlockingClient& client, const std::vector<JournalEntry>& batch,
                         InFlight* in_flight, std::string* error) {
  const auto& url = config_.upstream.parsed;
  if (!PlanStreamIds(client, batch, in_flight, error)) return false;
  const auto& planned = in_flight->plan.argv;
  // What each queued command is: an entry (its index) or respite's own (SELECT, cursor SET).
  std::vector<int>& queued = in_flight->queued;
  queued.clear();
  std::string request;
  int db = url.db;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].db != db) {
      db = batch[i].db;
      resp::AppendCommand(&request, {"SELECT", std::to_string(db)});
      queued.push_back(-1);
    }
    resp::AppendCommandRange(&request,
                             i < planned.size() && planned[i] ? *planned[i] : batch[i].argv);
    queued.push_back(static_cast<int>(i));
  }
  if (db != url.db) {
    resp::AppendCommand(&request, {"SELECT", std::to_string(url.db)});
    queued.push_back(-1);
  }
  resp::AppendCommand(&request, {"SET", cursor_key_, std::to_string(batch.back().seq)});
  queued.push_back(-1);
  resp::AppendCommand(&request, {"EXEC"});

  const uint32_t timeout = config_.upstream.request_timeout_ms;
  in_flight->started_ns = MonotonicNs();
  // MULTI alone first: were it refused (renamed, denied by an ACL) the entries behind it in a
  // pipeline would run one by one, outside any transaction, and the cursor could miss them.
  // After a WATCH, MULTI went with the reads of the stream tops.
  std::string multi;
  if (!in_flight->multi_open && !client.Call(kMulti, timeout, &multi, error)) return false;
  if (!in_flight->multi_open && multi[0] == '-') {
    *error = "MULTI refused: " + ErrorText(multi);
    return false;
  }
  if (!client.Send(request, timeout, error)) return false;
  return true;
}

bool Replayer::FinishBatch(BlockingClient& client, const std::vector<JournalEntry>& batch,
                           const InFlight& in_flight, std::string* error, bool* applied) {
  *applied = false;
  const std::vector<int>& queued = in_flight.queued;
  const uint32_t timeout = config_.upstream.request_timeout_ms;
  std::string exec;
  std::vector<std::pair<size_t, std::string>> rejected;  // queue-time rejections of entries
  bool own_rejected = false;
  for (size_t i = 0; i < queued.size(); ++i) {
    std::string reply;
    if (!client.Read(timeout, &reply, error)) return false;
    if (reply[0] != '-') continue;
    if (queued[i] >= 0) {
      rejected.emplace_back(static_cast<size_t>(queued[i]), ErrorText(reply));
    } else {
      own_rejected = true;
      *error = "upstream refused respite's own command in the batch: " + ErrorText(reply);
    }
  }
  if (!client.Read(timeout, &exec, error)) return false;
  batch_duration_.Observe(MonotonicNs() - in_flight.started_ns);
  if (exec.starts_with("*-1") && in_flight.watched && !own_rejected && rejected.empty()) {
    // Another writer touched a stream between our read of its top and EXEC: nothing ran. The
    // batch is read, planned and sent again; after a few aborts in a row the stream writes go
    // one at a time in a script that cannot be aborted (ReplayGuardedXadd).
    if (++watch_aborts_ == kWatchAttempts && !contended_) {
      contended_ = true;
      spdlog::info(
          "{} replay batches in a row aborted: streams they write change upstream; their XADDs "
          "now replay one at a time, guarded",
          watch_aborts_);
    }
    return true;
  }
  watch_aborts_ = 0;
  if (exec[0] == '-') {
    if (own_rejected || rejected.empty()) {
      if (!own_rejected) *error = "EXEC refused: " + ErrorText(exec);
      return false;
    }
    // Upstream refused to queue some entries (unknown command, wrong arity): nothing ran. Those
    // entries can never apply; dead-letter them and go on without them.
    const int64_t now = WallMs();
    for (const auto& [index, text] : rejected) {
      const JournalEntry& entry = batch[index];
      storage::Status s =
          store_.Call([&](LocalStore& st) { return st.journal().RejectEntry(entry, text, now); });
      if (!s.ok()) {
        *error = "dead-lettering an entry: " + s.ToString();
        return false;
      }
      ++dead_lettered_;
      spdlog::warn("journal entry {} ({}) refused by upstream: {}; moved to dead letters",
                   entry.seq, entry.argv[0], text);
    }
    return true;
  }
  std::vector<std::string_view> results;
  if (!SplitArray(exec, &results) || results.size() != queued.size()) {
    *error = "unexpected EXEC reply";
    return false;
  }
  // Runtime errors of single entries (WRONGTYPE because another writer changed the key): the
  // batch is applied, the cursor moved; keep those entries with their error.
  std::vector<std::pair<size_t, std::string>> failed;
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i][0] != '-') continue;
    if (queued[i] < 0) {
      *error =
          "upstream failed respite's own command in an applied batch: " + ErrorText(results[i]);
      return false;
    }
    failed.emplace_back(static_cast<size_t>(queued[i]), ErrorText(results[i]));
  }
  *applied = true;
  return RecordApplied(batch, in_flight.plan, failed, error);
}

bool Replayer::RecordApplied(const std::vector<JournalEntry>& batch, const BatchPlan& plan,
                             const std::vector<std::pair<size_t, std::string>>& failed,
                             std::string* error) {
  NoteStreamIds(batch, plan, failed);
  const uint64_t last = batch.back().seq;
  const int64_t now = WallMs();
  // Rules go once the journal is empty and no client can add to it before the switch to
  // upstream (clients paused for the cutover, or forwarding): while clients are still served
  // locally, one may yet acknowledge an entry by the id it got during the outage.
  const bool had_rules = !stream_ids_.empty() &&
                         (failover_.paused() || failover_.state() == Failover::State::kForward);
  bool rules_cleared = false;
  storage::Status s = store_.Call([&](LocalStore& st) {
    for (const auto& [index, text] : failed) st.journal().DeadLetterEntry(batch[index], text, now);
    storage::Status removed = st.journal().RemoveThrough(last);
    if (removed.ok() && had_rules && st.journal().pending_entries() == 0) {
      removed = storage::ClearReplayRecords(st.engine());
      rules_cleared = removed.ok();
    }
    return removed;
  });
  if (rules_cleared) stream_ids_.Clear();
  for (const auto& [index, text] : failed) {
    spdlog::warn("journal entry {} ({}) failed upstream: {}; kept in dead letters",
                 batch[index].seq, batch[index].argv[0], text);
  }
  dead_lettered_ += failed.size();
  replayed_ += batch.size();
  breaker_.OnSuccess();
  breaker_state_ = breaker_.state();
  if (!s.ok()) {
    // Upstream has the batch (its cursor says so); the next connect trims the journal again.
    *error = "trimming the journal: " + s.ToString();
    return false;
  }
  return true;
}

}  // namespace respite::proxy
