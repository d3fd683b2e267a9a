#pragma once
// One consistent-enough snapshot of everything an operator asks about (state, upstream, breaker,
// journal, replay, store, clients), and its three renderings: JSON for GET /status, Prometheus
// text for GET /metrics, and the "# respite" section of INFO / RESPITE STATUS. Collecting never
// waits for the store executor or the replayer: it reads their published atomics.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace respite::proxy {

class Server;

struct StatusSnapshot {
  int64_t now_ms = 0;  // wall clock
  std::string state;   // forward, local, draining
  std::string mode;    // auto, forward, local
  std::string fallback;
  int64_t state_since_ms = 0;
  std::string last_reason;
  uint64_t transitions = 0;
  bool paused = false;
  bool store_open = false;
  bool shutting_down = false;

  std::string upstream;  // password redacted
  bool upstream_up = false;
  uint64_t upstream_latency_us = 0;
  uint64_t health_ok = 0, health_failed = 0;
  std::string upstream_version;
  std::string upstream_address;  // what the host name resolved to at the last connect
  // rediss:// only (tls_server_name empty otherwise): handshakes, and failures by cause
  // (tls::ClientContext::Cause order).
  std::string tls_server_name;
  uint64_t tls_full = 0, tls_resumed = 0;
  uint64_t tls_failures[4] = {};
  // Sentinel mode (sentinel_master_name empty otherwise): the master now, the last error.
  std::string sentinel_master_name, sentinel_master, sentinel_error;
  bool sentinel_tls = false;
  // Cluster mode (cluster_nodes < 0 otherwise): masters in the slot map, the map in words,
  // unserved slots, the watcher's counts and last error.
  int64_t cluster_nodes = -1;
  uint64_t cluster_uncovered = 0, cluster_refreshes = 0, cluster_changes = 0, cluster_redirects = 0;
  std::string cluster_slots, cluster_error;
  std::vector<std::pair<std::string, size_t>> cluster_masters;  // address, slots served
  // Per-shard failover (shard_failover.h): each master's health and slots served locally.
  struct ClusterShard {
    std::string master, last_error;
    bool up = true;
    size_t slots = 0, slots_local = 0;
  };
  std::vector<ClusterShard> cluster_shards;
  uint64_t cluster_slots_local = 0, cluster_failovers = 0, cluster_replayed = 0,
           cluster_dead_lettered = 0, cluster_cutovers = 0;
  uint64_t sentinels = 0, sentinels_listening = 0, sentinel_switches = 0, sentinel_holds = 0,
           sentinel_held_ms = 0;
  // The TLS listener (client_tls_subject empty without one): the certificate served, handshakes,
  // and failures by cause (tls::ServerContext::Cause order).
  std::string client_tls_subject, client_tls_not_after, client_tls_auth;
  int64_t client_tls_not_after_unix = 0;
  uint64_t client_tls_full = 0, client_tls_resumed = 0;
  uint64_t client_tls_failures[5] = {};

  std::string breaker;  // closed, open, half-open
  uint64_t breaker_opened = 0;

  uint64_t journal_entries = 0, journal_bytes = 0;
  int64_t journal_oldest_ms = 0;  // wall clock of the oldest pending entry; 0 when empty
  uint64_t journal_max_bytes = 0;
  uint64_t dead_letters = 0;
  uint64_t applied_through = 0;

  uint64_t replayed_total = 0, dead_lettered_total = 0;
  uint64_t stream_ids_rewritten = 0, stream_id_references_rewritten = 0, guarded_xadds = 0;
  uint64_t last_drain_entries = 0, last_drain_ms = 0, last_drain_pause_ms = 0;
  bool cursor_alarm = false;

  // fallback.warm: replica (DESIGN: the follower of upstream's replication stream).
  std::string warm;  // none, writes, replica
  std::string replica_state, replica_error;
  uint64_t replica_offset = 0, replica_full_syncs = 0, replica_keys_loaded = 0;
  uint64_t replica_applied = 0, replica_apply_errors = 0;

  uint64_t store_bytes = 0;
  std::string store_write_error;  // non-empty while the local store refuses writes
  uint64_t clients = 0, connections_total = 0, parked_clients = 0, auth_failures_total = 0;
  uint64_t rejected_max_clients = 0, rejected_protected_mode = 0;
  uint64_t dedicated_in_use = 0, dedicated_refused = 0;
  uint64_t warm_mirrors_dropped = 0;
  uint32_t io_threads = 0;
  std::string config_summary;  // "key: value" lines, secrets redacted
};

StatusSnapshot CollectStatus(Server& server);

// Whether respite can serve clients in its configured mode; *why says why not.
bool Ready(const StatusSnapshot& s, std::string* why);

std::string RenderStatusJson(const StatusSnapshot& s);
std::string RenderPrometheus(const StatusSnapshot& s, Server& server);
// "key:value\r\n" lines as INFO prints them, headed by "# respite".
std::string RenderInfoSection(const StatusSnapshot& s);

}  // namespace respite::proxy
