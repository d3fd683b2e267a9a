#pragma once
// Drains the journal upstream, exactly once and in order (DESIGN.md "Exactly-once replay"). On a
// thread and connection of its own, it sends batches as
//   MULTI, <entries> (SELECT as needed), SET respite:cursor:<journal_id> <last seq>, EXEC
// so the entries and the cursor apply together or not at all. After every (re)connect it reads
// the cursor back and drops the entries at or below it. Runtime errors of single entries (e.g.
// WRONGTYPE) go to the dead letters and the cursor still advances; connection errors, timeouts and
// transient errors feed the circuit breaker. When less than a batch is left, it asks the failover
// state machine to pause clients, replays the tail and cuts over to forwarding.

#include <atomic>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "config/config.h"
#include "proxy/failover/circuit_breaker.h"
#include "proxy/failover/stream_id_rewrite.h"
#include "proxy/metrics.h"
#include "proxy/wake_signal.h"

namespace respite::storage {
struct JournalEntry;
}

namespace respite::proxy {

class BlockingClient;
class Failover;
class StoreExecutor;

class Replayer {
 public:
  Replayer(const config::Config& config, Failover& failover, StoreExecutor& store);
  ~Replayer();
  void Start();
  void Stop();

  uint64_t replayed_total() const { return replayed_.load(); }
  uint64_t dead_lettered_total() const { return dead_lettered_.load(); }
  // Journaled XADDs re-added with a new id because upstream had moved past theirs, and later
  // entries whose stream ids were rewritten to such a new id (see stream_id_rewrite.h).
  uint64_t stream_ids_rewritten_total() const { return stream_ids_rewritten_.load(); }
  uint64_t stream_id_references_rewritten_total() const { return stream_id_refs_rewritten_.load(); }
  // XADDs replayed one at a time in a script because another writer kept aborting the WATCHed
  // batches (see ReplayGuardedXadd).
  uint64_t guarded_xadds_total() const { return guarded_xadds_.load(); }
  // Set when the cursor vanished upstream while entries had been applied (FLUSHALL, eviction).
  bool cursor_alarm() const { return cursor_alarm_.load(); }
  CircuitBreaker::State breaker_state() const { return breaker_state_.load(); }
  uint64_t breaker_opened_total() const { return breaker_opened_.load(); }
  // Operator's sync: the next attempt goes ahead without waiting for the breaker's backoff.
  void RetryNow() {
    retry_now_ = true;
    Wake();
  }
  // Entries put back in the journal while forwarding (RESPITE JOURNAL RETRY): replay them in the
  // background; clients stay on upstream, so no pause and no cutover.
  void RequestForwardDrain() {
    forward_drain_ = true;
    Wake();
  }
  // Ends the replayer's current sleep: the failover state changed, or an operator asked.
  void Wake();
  // At shutdown, after Stop() and once clients are gone: replays what the journal still holds if
  // upstream answers, within `budget_ms` (not when `pinned_local`: an operator pinned respite to
  // its local store), and logs exactly what it leaves in the data dir otherwise.
  void DrainBeforeExit(uint64_t budget_ms, bool pinned_local);
  // Round trip of each replayed batch (MULTI ... EXEC).
  const Histogram& batch_duration() const { return batch_duration_; }

 private:
  enum class Outcome { kDrained, kFailed, kStopped };

  void Loop();
  // One connection's worth of draining. kDrained: the cutover is done.
  Outcome Drain(BlockingClient& client, std::string* error);
  // Connects, fences the previous replay connection, reads upstream's cursor and drops what it
  // already has. False (with *error) when upstream cannot be used.
  bool Prepare(BlockingClient& client, std::string* error);
  // Loads every script the local store knows upstream (SCRIPT LOAD, pipelined), so that an app's
  // EVALSHA after the cutover does not meet NOSCRIPT. Upstream's error replies are ignored.
  bool LoadScripts(BlockingClient& client, std::string* error);
  // Replays what the journal holds while forwarding (see RequestForwardDrain).
  bool DrainWhileForwarding(BlockingClient& client, std::string* error);
  // Replays the journal batch by batch (guarded XADDs when contended) while `keep_going` holds
  // and entries are left; adds what it replayed to *replayed. False on a failure (*error).
  bool DrainInBatches(BlockingClient& client, const std::function<bool()>& keep_going,
                      std::string* error, uint64_t* replayed);
  // Sends one batch; returns false on a failure that the breaker must hear about.
  // A batch sent and not yet answered: what each queued command is (an entry's index, or -1 for
  // respite's own), and when it went.
  struct InFlight {
    std::vector<int> queued;
    uint64_t started_ns = 0;
    bool watched = false;     // streams WATCHed: a nil EXEC means another writer came in between
    bool multi_open = false;  // MULTI was sent (and accepted) with the WATCH
    BatchPlan plan;
  };
  // Reads the tops of the streams the batch XADDs to (under WATCH), plans the stream ids the
  // batch sends and persists the rules the plan made, before anything of the batch is sent.
  bool PlanStreamIds(BlockingClient& client, const std::vector<storage::JournalEntry>& batch,
                     InFlight* in_flight, std::string* error);
  bool SendBatch(BlockingClient& client, const std::vector<storage::JournalEntry>& batch,
                 InFlight* in_flight, std::string* error);
  // Reads the batch's replies; dead-letters entries upstream refused; trims the journal.
  // *applied: false when upstream ran none of it (refused entries at queue time).
  bool FinishBatch(BlockingClient& client, const std::vector<storage::JournalEntry>& batch,
                   const InFlight& in_flight, std::string* error, bool* applied);
  // Counts and logs the stream ids an applied batch re-added or rewrote (not the failed entries).
  void NoteStreamIds(const std::vector<storage::JournalEntry>& batch, const BatchPlan& plan,
                     const std::vector<std::pair<size_t, std::string>>& failed);
  // The applied batch's bookkeeping: dead letters for `failed` (index, error), the journal
  // trimmed through its last entry, rules dropped once all is replayed, counters.
  bool RecordApplied(const std::vector<storage::JournalEntry>& batch, const BatchPlan& plan,
                     const std::vector<std::pair<size_t, std::string>>& failed, std::string* error);
  // Persists the rules `plan` made or dropped, before anything of its batch is sent.
  bool StorePlan(const BatchPlan& plan, std::string* error);

  // Contended streams (another writer keeps aborting the WATCHed batches): the entries of
  // `entries` to send as one batch, up to the first XADD with an explicit id; 0 when that XADD
  // comes first and goes alone through ReplayGuardedXadd.
  size_t ContendedCut(const std::vector<storage::JournalEntry>& entries) const;
  // Replays one XADD and the cursor in a script, without WATCH: the XADD with its planned id
  // either applies with the cursor or, when upstream's top passed that id meanwhile, not at all
  // (*applied false; the next plan leaves more headroom). Other errors dead-letter the entry.
  bool ReplayGuardedXadd(BlockingClient& client, const storage::JournalEntry& entry,
                         std::string* error, bool* applied);

  const config::Config& config_;
  Failover& failover_;
  StoreExecutor& store_;
  std::string cursor_key_;
  // Upstream's id of the previous replay connection: killed before the cursor is read again, so
  // a batch still buffered on it can no longer apply after the cursor was read.
  uint64_t previous_client_id_ = 0;
  std::mt19937_64 rng_;
  CircuitBreaker breaker_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  WakeSignal wake_;
  std::atomic<uint64_t> replayed_{0};
  std::atomic<uint64_t> dead_lettered_{0};
  std::atomic<bool> cursor_alarm_{false};
  std::atomic<bool> retry_now_{false};
  std::atomic<bool> forward_drain_{false};
  std::atomic<uint64_t> breaker_opened_{0};
  std::atomic<uint64_t> stream_ids_rewritten_{0};
  std::atomic<uint64_t> stream_id_refs_rewritten_{0};
  std::atomic<uint64_t> guarded_xadds_{0};
  StreamIdRewrites stream_ids_;  // persisted in the journal's replay records
  static constexpr std::string_view kMulti = "*1\r\n$5\r\nMULTI\r\n";
  // WATCHed batches aborted in a row before the drain's XADDs go guarded, one at a time.
  static constexpr uint64_t kWatchAttempts = 3;
  static constexpr size_t kGuardMaxArgs = 7000;  // Lua 5.1's unpack stops near 8,000
  static constexpr uint64_t kMaxHeadroomMs = 1000;
  uint64_t watch_aborts_ = 0;  // consecutive nil EXECs
  bool contended_ = false;     // set after kWatchAttempts aborts, for the rest of the drain
  uint64_t headroom_ms_ = 0;   // how far past upstream's clock a guarded XADD's new id is put
  uint64_t guard_misses_ = 0;  // guarded XADDs in a row whose planned id upstream passed
  Histogram batch_duration_;
  std::atomic<CircuitBreaker::State> breaker_state_{CircuitBreaker::State::kClosed};
};

}  // namespace respite::proxy
