#pragma once
// Per-shard failover for a redis+cluster:// upstream (DESIGN.md "Beyond one Redis"). Health is
// tracked per master: PING on a connection of its own every health.interval_ms, and forwarded
// traffic that finds a master unreachable (passive, at once). The slots of a master that is down
// are served by the local store and their writes journaled, while the other masters' slots keep
// being forwarded. Once their master answers again (the same node restarted, or a replica the
// cluster promoted), ClusterReplayer sends their journal entries there, slot by slot, and they
// are forwarded again after a short cutover pause. A restart with journal entries left serves
// their slots locally until they are replayed.
// Thread: SlotServedLocally is lock-free for io threads; the rest takes a mutex.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "config/config.h"

namespace respite::proxy {

class ClusterReplayer;
class Failover;
class Server;
class StoreExecutor;
struct ClusterMap;

// Whether the local store serves `slot` now (any thread, lock-free).
bool SlotServedLocally(uint16_t slot);
// How many slots it serves (any thread).
uint32_t SlotsServedLocally();

class ShardFailover {
 public:
  // `store` may be null (no local store: nothing is served locally). Slots are served locally
  // only in mode auto with a fallback (health is tracked and shown in every mode).
  ShardFailover(const config::Config& config, Failover& failover, Server& server,
                StoreExecutor* store);
  ~ShardFailover();
  ShardFailover(const ShardFailover&) = delete;
  ShardFailover& operator=(const ShardFailover&) = delete;

  // Serves locally the slots that still have journal entries (a restart during an outage), then
  // starts the health checks and the replayer.
  void Start();
  void Stop();
  // At shutdown, after Stop(): ClusterReplayer::DrainBeforeExit.
  void DrainBeforeExit(uint64_t budget_ms);

  // Passive detection, from any thread: a forwarded request found `node` unreachable, or
  // answering -CLUSTERDOWN (`close_links` false: its links are alive).
  void ReportNodeFailure(const config::Endpoint& node, std::string_view reason,
                         bool close_links = true);
  // The replayer looks at the journal now (a master is back, an operator asked).
  void WakeReplayer();
  // Whether `node` answers its health checks (as of the last check or failure).
  bool NodeUp(const config::Endpoint& node) const;
  // The replayer, during the cutover pause: `slots` have nothing left to replay and their master
  // is up; they are forwarded again. Returns those that were (a slot whose master went down
  // meanwhile stays local).
  std::vector<uint16_t> ForwardAgain(const std::vector<uint16_t>& slots);

  struct Shard {
    std::string master;  // host:port
    bool up = false;
    size_t slots = 0;        // owned in the current map
    size_t slots_local = 0;  // of those, served locally
    std::string last_error;  // of the last failed check; cleared once it is back
  };
  struct Stats {
    std::vector<Shard> shards;
    uint64_t failovers = 0;  // masters declared down
    uint64_t replayed = 0;   // journal entries replayed to the cluster
    uint64_t dead_lettered = 0;
    uint64_t cutovers = 0;  // slot sets switched back to forwarding
  };
  Stats stats() const;

 private:
  struct Node {
    bool up = true;  // until shown otherwise: a master in the map is assumed to serve
    uint32_t ok_run = 0, fail_run = 0;
    std::string last_error;
  };
  bool FailsOver() const;
  // Checks every master of the current map each health.interval_ms.
  void HealthLoop();
  // A check's or a forwarded request's verdict on `node`; `at_once`: down without waiting for
  // health.unhealthy_after failed checks (a refused or reset connection).
  // `close_links`: a master marked down has its links closed (their requests fail or run
  // locally).
  void Record(const config::Endpoint& node, bool ok, bool at_once, const std::string& reason,
              bool close_links = true);
  void RecordFailure(Node& n, const config::Endpoint& node, bool at_once, const std::string& reason,
                     const ClusterMap* map, bool close_links);  // needs mu_
  // Needs mu_: serves locally every slot whose master is down.
  void MarkDownSlots(const ClusterMap& map);

  const config::Config& config_;
  Failover& failover_;
  Server& server_;
  StoreExecutor* store_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<std::string, Node> nodes_;  // by host:port
  uint64_t failovers_ = 0;
  std::unique_ptr<ClusterReplayer> replayer_;
  std::thread health_thread_;
};

}  // namespace respite::proxy
