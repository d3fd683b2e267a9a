#pragma once
// Replays the journal to a Redis Cluster, exactly once and in order per slot (DESIGN.md
// "Exactly-once replay", "Beyond one Redis"). Redis Cluster runs a transaction only when all its
// keys share a slot, so entries go in per-slot batches:
//   MULTI, <entries of slot s>, SET respite:cursor:{tag of s}:<journal_id> <last seq>, EXEC
// The cursor key hashes to s, so it applies with the entries or not at all, and it moves with
// the slot if the slot migrates. Before a slot's first batch on a connection, the replayer reads
// its cursor there and drops the entries at or below it. Entries of slots whose master is down
// wait; the others are replayed. When what is left of the local slots whose master is back is
// less than a batch, clients are paused, the tail is replayed, and those slots are forwarded
// again (ShardFailover::ForwardAgain).
// Thread: one of its own; Wake() and the counters from any thread.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "proxy/wake_signal.h"

namespace respite::storage {
struct JournalEntry;
}

namespace respite::proxy {

class BlockingClient;
class CircuitBreaker;
class Failover;
class Server;
class ShardFailover;
class StoreExecutor;
struct ClusterMap;

// The slot of a journal group's keys: 0 for keyless entries (FUNCTION LOAD, ...), -1 when they
// span slots (Redis Cluster cannot apply them in one transaction).
int GroupSlot(const std::vector<storage::JournalEntry>& entries, size_t begin, size_t end);

class ClusterReplayer {
 public:
  ClusterReplayer(const config::Config& config, ShardFailover& shards, Failover& failover,
                  Server& server, StoreExecutor& store);
  ~ClusterReplayer();
  ClusterReplayer(const ClusterReplayer&) = delete;
  ClusterReplayer& operator=(const ClusterReplayer&) = delete;

  void Start();
  void Stop();
  void Wake();
  // The slots the journal holds entries of (read through the store; before Start).
  std::vector<uint16_t> PendingSlots();
  // At shutdown, after Stop() and once clients are gone: replays what it can (the entries whose
  // slot's master answers) within `budget_ms`, and logs what it leaves in the data dir.
  void DrainBeforeExit(uint64_t budget_ms);

  uint64_t replayed_total() const { return replayed_.load(); }
  uint64_t dead_lettered_total() const { return dead_lettered_.load(); }
  uint64_t cutovers_total() const { return cutovers_.load(); }

 private:
  struct Conn;
  // What a pass over the journal found.
  struct Pass {
    std::vector<bool> ready;   // local slots whose master is up: forwarded again once empty
    uint64_t left_ready = 0;   // their entries not replayed (a batch failed)
    uint64_t replayed = 0;     // entries applied upstream in this pass
    std::vector<bool> failed;  // slots whose batch (or cursor read) failed: they wait
  };

  void Loop();
  // Up to a batch of entries from `from` on (whole groups), through the store.
  std::vector<storage::JournalEntry> ReadFrom(uint64_t from);
  // Visits the journal group by group, in order: `entries` holds [begin, end) (whole groups;
  // the visitor may move them out) and `slot` is GroupSlot's. False when `visit` stopped it.
  bool ForEachGroup(const std::function<bool(std::vector<storage::JournalEntry>& entries,
                                             size_t begin, size_t end, int slot)>& visit);
  // Local slots whose master answers: drained, then forwarded again.
  std::vector<bool> ReadySlots(const ClusterMap& map) const;
  // Replays every entry whose slot's master is up (only `only`'s slots when given), in per-slot
  // batches. False when stopping.
  bool RunPass(const ClusterMap& map, const std::vector<bool>& ready, const std::vector<bool>* only,
               Pass* pass);
  // Sends one slot's batch and records the outcome; false on a failure (the slot waits).
  bool SendBatch(const config::Endpoint& node, uint16_t slot,
                 const std::vector<storage::JournalEntry>& batch, std::string* error);
  void DeadLetter(const std::vector<storage::JournalEntry>& entries, size_t begin, size_t end,
                  const std::string& why);
  // The connection to `node`, connected and fenced (CLIENT KILL of its previous replay
  // connection); null with *error when it cannot be used now (its breaker backs off).
  Conn* Connect(const config::Endpoint& node, std::string* error);
  void Failed(Conn& conn, const std::string& error);
  // Upstream's cursor of `slot` on `conn` (read once per connection); false on an error.
  bool Cursor(Conn& conn, uint16_t slot, uint64_t* cursor, std::string* error);
  // Clients paused: replays the tail of the ready slots, loads scripts on their masters and
  // forwards them again.
  void Cutover(const Pass& pass);
  // SCRIPT LOAD of every script the local store knows, so EVALSHA finds them after the switch.
  bool LoadScripts(const config::Endpoint& node, const std::vector<std::string>& bodies);
  // The local copies of forwarded slots' keys would go stale: dropped.
  void DropLocalKeys(const std::vector<uint16_t>& slots);
  std::string CursorKey(uint16_t slot) const;

  const config::Config& config_;
  ShardFailover& shards_;
  Failover& failover_;
  Server& server_;
  StoreExecutor& store_;
  std::string journal_id_;
  std::mt19937_64 rng_;
  std::map<std::string, std::unique_ptr<Conn>> conns_;  // by host:port; replayer thread only
  // Upstream's cursor per slot as read (or written) on a connection: valid while that
  // connection (node and generation) lasts.
  struct Known {
    uint64_t cursor = 0;
    uint64_t generation = 0;  // 0: not known
    const Conn* conn = nullptr;
  };
  std::vector<Known> cursors_;
  uint64_t generations_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  // DrainBeforeExit's end (steady ms; 0: none): a pass stops there.
  uint64_t deadline_ms_ = 0;
  WakeSignal wake_;
  std::atomic<uint64_t> replayed_{0};
  std::atomic<uint64_t> dead_lettered_{0};
  std::atomic<uint64_t> cutovers_{0};
};

}  // namespace respite::proxy
