#include "proxy/failover/failover.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "proxy/cluster/shard_failover.h"
#include "proxy/failover/replayer.h"
#include "proxy/failover/replica_follower.h"
#include "proxy/server.h"
#include "proxy/store_executor.h"
#include "proxy/time_util.h"
#include "proxy/upstream/health_monitor.h"

namespace respite::proxy {

namespace {
Failover::Mode ParseMode(const std::string& mode) {
  if (mode == "local") return Failover::Mode::kLocal;
  if (mode == "forward") return Failover::Mode::kForward;
  return Failover::Mode::kAuto;
}
}  // namespace

Failover::Failover(const config::Config& config, Server& server, StoreExecutor* store)
    : config_(config),
      server_(server),
      store_(store),
      fallback_off_(config.fallback.mode == "off" || store == nullptr),
      read_only_(config.fallback.mode == "read-only"),
      cluster_(!config.upstream.parsed.cluster_nodes.empty()) {
  mode_ = ParseMode(config.mode);
  since_wall_ms_ = WallMs();
}

Failover::~Failover() { Stop(); }

void Failover::Start(uint64_t journal_entries) {
  if (cluster_) {
    // Per shard (shard_failover.h); the health monitor still checks slot 0's master for status.
    shards_ = std::make_unique<ShardFailover>(config_, *this, server_, store_);
    shards_->Start();
    health_ = std::make_unique<HealthMonitor>(config_, *this, nullptr);
    health_->Start();
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (mode() == Mode::kLocal) {
      state_ = State::kLocal;
      last_reason_ = "mode pinned to local";
    } else if (journal_entries > 0 && store_ != nullptr) {
      // Writes from before the restart wait upstream: nothing may overtake them.
      state_ = mode() == Mode::kForward ? State::kDraining : State::kLocal;
      last_reason_ = "journal has entries from before the restart";
      spdlog::info("{} journal entries from before the restart; serving locally until replayed",
                   journal_entries);
    }
  }
  if (store_ != nullptr) {
    // Set under mu_: transitions (from the health monitor or io threads) wake the replayer.
    auto replayer = std::make_unique<Replayer>(config_, *this, *store_);
    std::lock_guard lock(mu_);
    replayer_ = std::move(replayer);
    if (config_.fallback.warm == "replica") {
      follower_ = std::make_unique<ReplicaFollower>(config_, *this, *store_);
    }
  }
  health_ = std::make_unique<HealthMonitor>(config_, *this, &server_.stall_board());
  health_->Start();
  if (replayer_) replayer_->Start();
  if (follower_) follower_->Start();
}

void Failover::Stop() {
  if (shards_) shards_->Stop();
  if (follower_) follower_->Stop();
  if (replayer_) replayer_->Stop();
  if (health_) health_->Stop();
  Resume();
}

void Failover::DrainBeforeExit(uint64_t budget_ms) {
  if (shards_) shards_->DrainBeforeExit(budget_ms);
  if (replayer_) replayer_->DrainBeforeExit(budget_ms, mode() == Mode::kLocal);
}

bool Failover::ServeLocally() const {
  switch (mode()) {
    case Mode::kLocal:
      return true;
    case Mode::kForward:
    case Mode::kAuto:
      break;
  }
  return state() != State::kForward;
}

void Failover::ReportUpstreamFailure(std::string_view reason) {
  if (health_) health_->MarkDown();
  if (cluster_) return;  // the cluster's node links report per node
  if (mode() != Mode::kAuto || fallback_off_) return;
  std::lock_guard lock(mu_);
  ok_run_ = 0;
  if (state() == State::kForward) Transition(State::kLocal, reason);
}

void Failover::ReportNodeFailure(const config::Endpoint& node, std::string_view reason,
                                 bool close_links) {
  if (shards_) shards_->ReportNodeFailure(node, reason, close_links);
}

void Failover::OnHealthCheck(bool ok, const std::string& reason) {
  if (cluster_) return;  // ShardFailover checks every master
  std::lock_guard lock(mu_);
  if (ok) {
    fail_run_ = 0;
    ++ok_run_;
    if (state() == State::kLocal && mode() == Mode::kAuto &&
        ok_run_ >= config_.health.healthy_after) {
      Transition(State::kDraining, "upstream healthy again");
    }
    return;
  }
  ok_run_ = 0;
  ++fail_run_;
  if (fail_run_ < config_.health.unhealthy_after || mode() != Mode::kAuto || fallback_off_) return;
  if (state() == State::kForward || state() == State::kDraining) {
    Transition(State::kLocal, reason);
  }
}

void Failover::SetMode(Mode mode) {
  std::lock_guard lock(mu_);
  mode_ = mode;
  spdlog::info("mode set to {}", Name(mode));
  if (cluster_) return;  // ShardFailover reads the mode at each verdict
  if (mode == Mode::kLocal && state() == State::kForward) {
    Transition(State::kLocal, "mode pinned to local");
  } else if (mode == Mode::kForward && state() != State::kForward) {
    Transition(State::kDraining, "mode pinned to forward: replaying the journal first");
  } else if (mode == Mode::kAuto && state() == State::kLocal && ok_run_ > 0) {
    Transition(State::kDraining, "mode auto and upstream healthy");
  }
}

void Failover::BeginPause() {
  paused_.store(true, std::memory_order_release);
  // Every io thread finishes what it is doing (so none is between checking the pause and
  // submitting a command), then the store runs everything submitted before.
  server_.QuiesceIoThreads();
  store_->Call([](storage::LocalStore&) {});
}

void Failover::FinishCutover(uint64_t replayed, uint64_t total_ms, uint64_t pause_ms) {
  {
    std::lock_guard lock(mu_);
    last_drain_ = DrainStats{replayed, total_ms, pause_ms};
    Transition(State::kForward, "replay done: " + std::to_string(replayed) + " entries in " +
                                    std::to_string(total_ms) + " ms, cutover pause " +
                                    std::to_string(pause_ms) + " ms");
  }
  Resume();
}

void Failover::AbortDrain(const std::string& reason) {
  {
    std::lock_guard lock(mu_);
    if (state() == State::kDraining && mode() == Mode::kAuto) {
      Transition(State::kLocal, "replay interrupted (" + reason + ")");
    }
  }
  Resume();
}

std::string Failover::RequestSync() {
  if (shards_) {
    if (store_ == nullptr) return "no local store: nothing to replay";
    shards_->WakeReplayer();
    return "replaying the journal of each shard whose master answers";
  }
  std::lock_guard lock(mu_);
  if (state() == State::kForward) {
    // Entries can wait while forwarding only when put back from the dead letters.
    const uint64_t pending = store_ != nullptr ? store_->stats().journal_entries.load() : 0;
    if (pending == 0 || replayer_ == nullptr) return "nothing to replay: forwarding";
    replayer_->RequestForwardDrain();
    return "replaying " + std::to_string(pending) + " entries while forwarding";
  }
  if (mode() == Mode::kLocal) return "mode is pinned to local: set mode auto or forward first";
  if (replayer_ == nullptr) return "no local store: nothing to replay";
  replayer_->RetryNow();
  if (state() == State::kDraining) return "replay in progress";
  if (health_ == nullptr || !health_->upstream_up()) {
    return "upstream is not answering health checks; replay starts when it does";
  }
  Transition(State::kDraining, "sync requested by an operator");
  return "replay started";
}

std::string Failover::LastReason() const {
  std::lock_guard lock(mu_);
  return last_reason_;
}

Failover::DrainStats Failover::last_drain() const {
  std::lock_guard lock(mu_);
  return last_drain_;
}

void Failover::Resume() {
  if (paused_.exchange(false) && !held_.load()) server_.WakeAllSessions();
}

void Failover::HoldForMasterSwitch() { held_.store(true, std::memory_order_release); }

void Failover::ReleaseMasterSwitchHold() {
  if (held_.exchange(false) && !paused_.load()) server_.WakeAllSessions();
}

void Failover::Transition(State to, std::string_view reason) {
  const State from = state();
  if (from == to) return;
  // Before any client can see the new state: the warm copy's last stream bytes go to the store
  // ahead of every local command.
  if (from == State::kForward && follower_) follower_->Seal(transitions());
  last_reason_ = std::string(reason);
  since_wall_ms_.store(WallMs(), std::memory_order_relaxed);
  transitions_.fetch_add(1, std::memory_order_relaxed);
  state_.store(to, std::memory_order_release);
  if (replayer_) replayer_->Wake();
  if (follower_) follower_->Wake();
  if (from == State::kForward && to == State::kLocal) {
    spdlog::warn("upstream down ({}), serving locally", reason);
    server_.OnUpstreamDown();
  } else if (to == State::kDraining) {
    spdlog::info("{}; replaying the journal, then forwarding", reason);
  } else if (to == State::kForward) {
    spdlog::info("{}; forwarding", reason);
  } else {
    spdlog::warn("{}; serving locally", reason);
  }
}

std::string_view Failover::Name(State state) {
  switch (state) {
    case State::kForward:
      return "forward";
    case State::kLocal:
      return "local";
    case State::kDraining:
      return "draining";
  }
  return "?";
}

std::string_view Failover::Name(Mode mode) {
  switch (mode) {
    case Mode::kAuto:
      return "auto";
    case Mode::kForward:
      return "forward";
    case Mode::kLocal:
      return "local";
  }
  return "?";
}

}  // namespace respite::proxy
