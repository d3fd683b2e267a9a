#pragma once
// The state machine of DESIGN.md: FORWARD (everything goes upstream), LOCAL (the local store
// serves, every write journaled), DRAINING (upstream is back: the replayer sends the journal
// while clients are still served locally; a short pause then cuts over to FORWARD). Operators can
// pin the mode (auto, forward, local); `fallback.mode` says what LOCAL may serve (off, read-only,
// full). Health comes from the health monitor (active PINGs) and from forwarded traffic (passive:
// a refused or reset connection switches at once).
// Thread: the accessors are lock-free and safe from io threads; transitions take a mutex.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "config/config.h"

namespace respite::proxy {

class HealthMonitor;
class Replayer;
class ReplicaFollower;
class Server;
class ShardFailover;
class StoreExecutor;

class Failover {
 public:
  enum class State : uint8_t { kForward, kLocal, kDraining };
  enum class Mode : uint8_t { kAuto, kForward, kLocal };

  Failover(const config::Config& config, Server& server, StoreExecutor* store);
  ~Failover();

  // Starts the health monitor and the replayer. With entries left in the journal (a restart
  // during an outage), starts in LOCAL so that they are replayed before anything is forwarded.
  void Start(uint64_t journal_entries);
  void Stop();
  // At shutdown, after Stop() and once clients are gone: what the journal still holds goes
  // upstream if it answers within `budget_ms` (Replayer::DrainBeforeExit).
  void DrainBeforeExit(uint64_t budget_ms);

  State state() const { return state_.load(std::memory_order_acquire); }
  Mode mode() const { return mode_.load(std::memory_order_acquire); }
  // Whether clients are served by the local store right now.
  bool ServeLocally() const;
  // Whether the local store refuses writes (fallback.mode read-only).
  bool WritesRefused() const { return read_only_; }
  // True during the cutover pause, or while Sentinel promotes a new master: sessions hold new
  // commands until Wake.
  bool paused() const {
    return paused_.load(std::memory_order_acquire) || held_.load(std::memory_order_acquire);
  }
  // Sentinel mode: hold every client's new commands while Sentinel promotes a replica, so none
  // goes to the master being replaced (which would acknowledge it, then be demoted and lose it);
  // released once the new master is known (or the failover ends otherwise).
  void HoldForMasterSwitch();
  void ReleaseMasterSwitchHold();

  // Passive detection, from any thread: a forwarded request found upstream unreachable.
  void ReportUpstreamFailure(std::string_view reason);
  // The same for one master of a Redis Cluster (ShardFailover: only its slots go local).
  // `close_links`: fail what its links have in flight (not when it answers, -CLUSTERDOWN).
  void ReportNodeFailure(const config::Endpoint& node, std::string_view reason,
                         bool close_links = true);
  // Operator: pin or release the mode.
  void SetMode(Mode mode);

  // The health monitor's result for each check.
  void OnHealthCheck(bool ok, const std::string& reason);

  // Cutover: pause every client and wait until the store has run everything submitted before.
  void BeginPause();
  // Cutover done: the journal is empty; forward from now on.
  void FinishCutover(uint64_t replayed, uint64_t total_ms, uint64_t pause_ms);
  // The cutover pause of a cluster's slots ends (their mode does not change here).
  void EndPause() { Resume(); }
  // Replay failed: back to LOCAL, clients resume locally.
  void AbortDrain(const std::string& reason);

  // Operator: replay the journal now if upstream answers (skips the breaker's wait and the
  // healthy_after count). Returns what it did, for the operator.
  std::string RequestSync();

  static std::string_view Name(State state);
  static std::string_view Name(Mode mode);
  // The reason of the last transition (a copy: safe from any thread).
  std::string LastReason() const;
  // Wall-clock ms of the last transition (start-up counts as one).
  int64_t since_wall_ms() const { return since_wall_ms_.load(std::memory_order_relaxed); }
  uint64_t transitions() const { return transitions_.load(std::memory_order_relaxed); }
  // The last completed drain: entries, total ms, cutover pause ms.
  struct DrainStats {
    uint64_t entries = 0, total_ms = 0, pause_ms = 0;
  };
  DrainStats last_drain() const;
  // Null before Start() (and without a local store, for the replayer).
  const HealthMonitor* health() const { return health_.get(); }
  Replayer* replayer() { return replayer_.get(); }
  const Replayer* replayer() const { return replayer_.get(); }
  // Cluster mode only (null otherwise): health, local serving and replay per shard.
  ShardFailover* shards() { return shards_.get(); }
  const ShardFailover* shards() const { return shards_.get(); }
  // fallback.mode off, or no local store: nothing is ever served locally.
  bool fallback_off() const { return fallback_off_; }
  // fallback.warm: replica only.
  const ReplicaFollower* follower() const { return follower_.get(); }

 private:
  void Transition(State to, std::string_view reason);  // needs mu_
  void Resume();

  const config::Config& config_;
  Server& server_;
  StoreExecutor* store_;
  const bool fallback_off_;
  const bool read_only_;
  // A redis+cluster:// upstream: the state stays FORWARD and ShardFailover serves locally the
  // slots of masters that are down.
  const bool cluster_;
  std::atomic<State> state_{State::kForward};
  std::atomic<Mode> mode_{Mode::kAuto};
  std::atomic<bool> paused_{false};
  std::atomic<bool> held_{false};  // HoldForMasterSwitch
  mutable std::mutex mu_;
  std::atomic<int64_t> since_wall_ms_{0};
  std::atomic<uint64_t> transitions_{0};
  DrainStats last_drain_;  // under mu_
  uint32_t ok_run_ = 0;
  uint32_t fail_run_ = 0;
  std::string last_reason_;
  std::unique_ptr<HealthMonitor> health_;
  std::unique_ptr<Replayer> replayer_;
  std::unique_ptr<ReplicaFollower> follower_;
  std::unique_ptr<ShardFailover> shards_;
};

}  // namespace respite::proxy
