#include "proxy/cluster/shard_failover.h"

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>

#include "proxy/cluster/cluster_map.h"
#include "proxy/cluster/cluster_replayer.h"
#include "proxy/failover/failover.h"
#include "proxy/server.h"
#include "proxy/upstream/blocking_client.h"
#include "resp/command_encoder.h"
#include "resp/key_slot.h"

namespace respite::proxy {

namespace {

std::array<std::atomic<bool>, resp::kClusterSlots> g_local{};
std::atomic<uint32_t> g_local_count{0};

// Returns whether it changed.
bool SetLocal(uint16_t slot, bool local) {
  if (g_local[slot].exchange(local, std::memory_order_acq_rel) == local) return false;
  if (local) {
    g_local_count.fetch_add(1, std::memory_order_acq_rel);
  } else {
    g_local_count.fetch_sub(1, std::memory_order_acq_rel);
  }
  return true;
}

// Replies that mean the master cannot serve (DESIGN.md "Health and failure detection"); any
// other reply, -BUSY included, is a sign of life.
bool ReplyMeansDown(std::string_view reply) {
  for (std::string_view down : {"-LOADING", "-MASTERDOWN", "-NOAUTH", "-WRONGPASS", "-NOPERM"}) {
    if (reply.starts_with(down)) return true;
  }
  return false;
}

}  // namespace

bool SlotServedLocally(uint16_t slot) {
  return g_local[slot & (resp::kClusterSlots - 1)].load(std::memory_order_acquire);
}

uint32_t SlotsServedLocally() { return g_local_count.load(std::memory_order_acquire); }

ShardFailover::ShardFailover(const config::Config& config, Failover& failover, Server& server,
                             StoreExecutor* store)
    : config_(config), failover_(failover), server_(server), store_(store) {
  // One process, one cluster: a previous instance (tests) leaves nothing behind.
  for (uint16_t slot = 0; slot < resp::kClusterSlots; ++slot) SetLocal(slot, false);
  if (store_ != nullptr) {
    replayer_ = std::make_unique<ClusterReplayer>(config_, *this, failover_, server_, *store_);
  }
}

ShardFailover::~ShardFailover() { Stop(); }

bool ShardFailover::FailsOver() const {
  return store_ != nullptr && failover_.mode() == Failover::Mode::kAuto &&
         !failover_.fallback_off();
}

void ShardFailover::Start() {
  if (replayer_) {
    // Entries left by a restart during an outage go upstream before their slots are forwarded:
    // nothing may overtake them.
    const std::vector<uint16_t> pending = replayer_->PendingSlots();
    for (const uint16_t slot : pending) SetLocal(slot, true);
    if (!pending.empty()) {
      spdlog::info(
          "cluster: journal entries from before the restart in {} slots; serving those slots "
          "locally until replayed",
          pending.size());
    }
    replayer_->Start();
  }
  health_thread_ = std::thread([this] { HealthLoop(); });
}

void ShardFailover::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (health_thread_.joinable()) health_thread_.join();
  if (replayer_) replayer_->Stop();
}

void ShardFailover::DrainBeforeExit(uint64_t budget_ms) {
  if (replayer_) replayer_->DrainBeforeExit(budget_ms);
}

void ShardFailover::WakeReplayer() {
  if (replayer_) replayer_->Wake();
}

void ShardFailover::HealthLoop() {
  std::map<std::string, BlockingClient> clients;  // one connection per master
  const auto interval = std::chrono::milliseconds(config_.health.interval_ms);
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, interval, [this] { return stopping_; });
      if (stopping_) return;
    }
    const std::shared_ptr<const ClusterMap> map = CurrentClusterMap();
    if (map == nullptr) continue;
    const std::vector<size_t> counts = map->SlotCounts();
    // PING, then the node's own view: a master that is back answers PING a little before it
    // serves its slots again (cluster_state:fail, -CLUSTERDOWN to commands).
    std::string ping;
    resp::AppendCommand(&ping, {"PING"});
    resp::AppendCommand(&ping, {"CLUSTER", "INFO"});
    for (size_t i = 0; i < map->nodes.size(); ++i) {
      if (counts[i] == 0) continue;  // a master without slots serves nothing
      const config::Endpoint& node = map->nodes[i];
      BlockingClient& client = clients[node.ToString()];
      std::string reply, error;
      bool ok = client.connected();
      bool refused = false;
      if (!ok) {
        config::UpstreamUrl url = config_.upstream.parsed;
        url.cluster_nodes.clear();
        url.host = node.host;
        url.port = node.port;
        ok = client.Connect(url, config_.upstream.connect_timeout_ms, &error);
        // A refused connection is evidence of death at once, as for a forwarded request.
        refused = !ok && error.find("refused") != std::string::npos;
      }
      std::string info;
      if (ok && client.Send(ping, config_.health.timeout_ms, &error) &&
          client.Read(config_.health.timeout_ms, &reply, &error) &&
          client.Read(config_.health.timeout_ms, &info, &error)) {
        if (ReplyMeansDown(reply)) {
          ok = false;
          error = ErrorText(reply);
        } else if (info.find("cluster_state:fail") != std::string::npos) {
          ok = false;
          error = "cluster_state:fail (the node serves no slot)";
        }
      } else {
        ok = false;
      }
      if (!ok) client.Close();
      Record(node, ok, refused, error);
    }
    // A map that changed may name a master that is down (the latest map: the checks took time).
    const std::shared_ptr<const ClusterMap> latest = CurrentClusterMap();
    std::lock_guard lock(mu_);
    MarkDownSlots(*latest);
  }
}

void ShardFailover::ReportNodeFailure(const config::Endpoint& node, std::string_view reason,
                                      bool close_links) {
  Record(node, false, /*at_once=*/true, std::string(reason), close_links);
}

void ShardFailover::Record(const config::Endpoint& node, bool ok, bool at_once,
                           const std::string& reason, bool close_links) {
  const std::shared_ptr<const ClusterMap> map = CurrentClusterMap();
  bool wake_replayer = false;
  {
    std::lock_guard lock(mu_);
    Node& n = nodes_[node.ToString()];
    if (ok) {
      n.fail_run = 0;
      ++n.ok_run;
      if (!n.up && n.ok_run >= config_.health.healthy_after) {
        n.up = true;
        n.last_error.clear();
        wake_replayer = true;
        spdlog::info("cluster: master {} answers again; replaying its slots' journal entries",
                     node.ToString());
      }
    } else {
      RecordFailure(n, node, at_once, reason, map.get(), close_links);
    }
  }
  if (wake_replayer) WakeReplayer();
}

void ShardFailover::RecordFailure(Node& n, const config::Endpoint& node, bool at_once,
                                  const std::string& reason, const ClusterMap* map,
                                  bool close_links) {
  {
    n.ok_run = 0;
    ++n.fail_run;
    n.last_error = reason;
    if (n.up && (at_once || n.fail_run >= config_.health.unhealthy_after)) {
      n.up = false;
      ++failovers_;
      size_t owned = 0;
      if (map != nullptr) {
        for (uint16_t slot = 0; slot < resp::kClusterSlots; ++slot) {
          const config::Endpoint* owner = map->NodeOf(slot);
          owned += owner != nullptr && owner->port == node.port && owner->host == node.host;
        }
      }
      if (FailsOver()) {
        spdlog::warn("cluster: master {} down ({}); serving its {} slots locally", node.ToString(),
                     reason, owned);
      } else {
        spdlog::warn("cluster: master {} down ({}); its {} slots fail until it is back",
                     node.ToString(), reason, owned);
      }
      // Requests waiting on a master that stopped answering run locally now (or fail).
      if (close_links) server_.CloseNodeLinks(node, "master marked down");
    }
    if (map != nullptr) MarkDownSlots(*map);
  }
}

void ShardFailover::MarkDownSlots(const ClusterMap& map) {
  if (!FailsOver()) return;
  std::vector<bool> down(map.nodes.size(), false);
  bool any = false;
  for (size_t i = 0; i < map.nodes.size(); ++i) {
    const auto it = nodes_.find(map.nodes[i].ToString());
    down[i] = it != nodes_.end() && !it->second.up;
    any = any || down[i];
  }
  if (!any) return;
  for (uint16_t slot = 0; slot < resp::kClusterSlots; ++slot) {
    const int16_t owner = map.owner[slot];
    if (owner >= 0 && down[static_cast<size_t>(owner)]) SetLocal(slot, true);
  }
}

bool ShardFailover::NodeUp(const config::Endpoint& node) const {
  std::lock_guard lock(mu_);
  const auto it = nodes_.find(node.ToString());
  return it == nodes_.end() || it->second.up;  // a new master (a promoted replica) is tried
}

std::vector<uint16_t> ShardFailover::ForwardAgain(const std::vector<uint16_t>& slots) {
  const std::shared_ptr<const ClusterMap> map = CurrentClusterMap();
  std::vector<uint16_t> forwarded;
  if (map == nullptr) return forwarded;
  std::lock_guard lock(mu_);
  for (const uint16_t slot : slots) {
    const config::Endpoint* owner = map->NodeOf(slot);
    if (owner == nullptr) continue;
    const auto it = nodes_.find(owner->ToString());
    if (it != nodes_.end() && !it->second.up) continue;
    SetLocal(slot, false);
    forwarded.push_back(slot);
  }
  return forwarded;
}

ShardFailover::Stats ShardFailover::stats() const {
  Stats s;
  if (replayer_) {
    s.replayed = replayer_->replayed_total();
    s.dead_lettered = replayer_->dead_lettered_total();
    s.cutovers = replayer_->cutovers_total();
  }
  const std::shared_ptr<const ClusterMap> map = CurrentClusterMap();
  std::lock_guard lock(mu_);
  s.failovers = failovers_;
  if (map == nullptr) return s;
  const std::vector<size_t> counts = map->SlotCounts();
  std::vector<size_t> local(map->nodes.size(), 0);
  for (uint16_t slot = 0; slot < resp::kClusterSlots; ++slot) {
    if (map->owner[slot] >= 0 && SlotServedLocally(slot)) {
      ++local[static_cast<size_t>(map->owner[slot])];
    }
  }
  for (size_t i = 0; i < map->nodes.size(); ++i) {
    if (counts[i] == 0) continue;
    Shard shard;
    shard.master = map->nodes[i].ToString();
    const auto it = nodes_.find(shard.master);
    shard.up = it == nodes_.end() || it->second.up;
    if (it != nodes_.end()) shard.last_error = it->second.last_error;
    shard.slots = counts[i];
    shard.slots_local = local[i];
    s.shards.push_back(std::move(shard));
  }
  return s;
}

}  // namespace respite::proxy
