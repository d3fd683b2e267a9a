#include "proxy/admin/status_report.h"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <vector>

#include "config/loader.h"
#include "proxy/cluster/cluster_map.h"
#include "proxy/cluster/cluster_watcher.h"
#include "proxy/cluster/shard_failover.h"
#include "proxy/failover/circuit_breaker.h"
#include "proxy/failover/failover.h"
#include "proxy/failover/replayer.h"
#include "proxy/failover/replica_follower.h"
#include "proxy/json.h"
#include "proxy/metrics.h"
#include "proxy/server.h"
#include "proxy/store_executor.h"
#include "proxy/time_util.h"
#include "proxy/upstream/health_monitor.h"
#include "proxy/upstream/sentinel_watcher.h"
#include "resp/command_table.h"
#include "tls/client_context.h"
#include "tls/server_context.h"

namespace respite::proxy {

namespace {

double AgeSeconds(int64_t now_ms, int64_t then_ms) {
  return then_ms == 0 || now_ms < then_ms ? 0.0 : static_cast<double>(now_ms - then_ms) / 1000.0;
}

// Integers print whole (counters and byte counts must not lose digits); fractions to 9 digits.
std::string Number(double v) {
  char buf[64];
  if (v == static_cast<double>(static_cast<int64_t>(v)) && v < 9e15 && v > -9e15) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  } else {
    std::snprintf(buf, sizeof buf, "%.9g", v);
  }
  return buf;
}

}  // namespace

StatusSnapshot CollectStatus(Server& server) {
  const config::Config& config = server.config();
  Failover& failover = server.failover();
  StatusSnapshot s;
  s.now_ms = WallMs();
  s.state = std::string(Failover::Name(failover.state()));
  s.mode = std::string(Failover::Name(failover.mode()));
  s.fallback = config.fallback.mode;
  s.state_since_ms = failover.since_wall_ms();
  s.last_reason = failover.LastReason();
  s.transitions = failover.transitions();
  s.paused = failover.paused();
  s.shutting_down = server.shutting_down();
  s.upstream = config.upstream.parsed.Redacted();
  s.upstream_version = server.UpstreamVersion();
  s.upstream_address = server.UpstreamAddress();
  if (std::shared_ptr<tls::ClientContext> context = tls::UpstreamContext()) {
    // Sentinel mode: the master's address is checked, whichever it is now.
    const std::string host = CurrentUpstream(config.upstream.parsed).host;
    s.tls_server_name = context->NameFor(host.empty() ? "(the master's address)" : host);
    s.tls_full = context->full();
    s.tls_resumed = context->resumed();
    for (int c = 0; c < tls::ClientContext::kCauses; ++c) {
      s.tls_failures[c] = context->failures(static_cast<tls::ClientContext::Cause>(c));
    }
  }
  if (const SentinelWatcher* sentinel = server.sentinel()) {
    s.sentinel_master_name = config.upstream.parsed.master_name;
    s.sentinel_master = sentinel->master();
    s.sentinel_error = sentinel->last_error();
    const SentinelWatcher::Stats stats = sentinel->stats();
    s.sentinel_tls = stats.tls;
    s.sentinels = stats.sentinels;
    s.sentinels_listening = stats.listening;
    s.sentinel_switches = stats.switches;
    s.sentinel_holds = stats.holds;
    s.sentinel_held_ms = stats.held_ms;
  }
  if (ClusterWatcher* cluster = server.cluster()) {
    const ClusterWatcher::Stats stats = cluster->stats();
    s.cluster_error = stats.last_error;
    s.cluster_refreshes = stats.refreshes;
    s.cluster_changes = stats.changes;
    s.cluster_redirects = stats.redirects;
    s.cluster_nodes = 0;
    if (std::shared_ptr<const ClusterMap> map = CurrentClusterMap()) {
      s.cluster_nodes = static_cast<int64_t>(map->nodes.size());
      s.cluster_uncovered = map->uncovered();
      s.cluster_slots = map->Describe();
      const std::vector<size_t> counts = map->SlotCounts();
      for (size_t i = 0; i < map->nodes.size(); ++i) {
        s.cluster_masters.emplace_back(map->nodes[i].ToString(), counts[i]);
      }
    }
    if (const ShardFailover* shards = server.failover().shards()) {
      const ShardFailover::Stats stats = shards->stats();
      for (const ShardFailover::Shard& shard : stats.shards) {
        s.cluster_shards.push_back(StatusSnapshot::ClusterShard{
            shard.master, shard.last_error, shard.up, shard.slots, shard.slots_local});
      }
      s.cluster_slots_local = SlotsServedLocally();
      s.cluster_failovers = stats.failovers;
      s.cluster_replayed = stats.replayed;
      s.cluster_dead_lettered = stats.dead_lettered;
      s.cluster_cutovers = stats.cutovers;
    }
  }
  if (std::shared_ptr<tls::ServerContext> context = tls::ListenerContext()) {
    s.client_tls_subject = context->subject();
    s.client_tls_not_after = context->not_after();
    s.client_tls_not_after_unix = context->not_after_unix();
    s.client_tls_auth = context->auth_clients();
    s.client_tls_full = context->full();
    s.client_tls_resumed = context->resumed();
    for (int c = 0; c < tls::ServerContext::kCauses; ++c) {
      s.client_tls_failures[c] = context->failures(static_cast<tls::ServerContext::Cause>(c));
    }
  }
  if (const HealthMonitor* health = failover.health()) {
    s.upstream_up = health->upstream_up();
    s.upstream_latency_us = health->last_latency_us();
    s.health_ok = health->checks_ok();
    s.health_failed = health->checks_failed();
  }
  s.breaker = "closed";
  if (const Replayer* replayer = failover.replayer()) {
    s.breaker = std::string(CircuitBreaker::Name(replayer->breaker_state()));
    s.breaker_opened = replayer->breaker_opened_total();
    s.replayed_total = replayer->replayed_total();
    s.dead_lettered_total = replayer->dead_lettered_total();
    s.stream_ids_rewritten = replayer->stream_ids_rewritten_total();
    s.stream_id_references_rewritten = replayer->stream_id_references_rewritten_total();
    s.guarded_xadds = replayer->guarded_xadds_total();
    s.cursor_alarm = replayer->cursor_alarm();
  }
  s.warm = config.fallback.warm;
  if (const ReplicaFollower* follower = failover.follower()) {
    const ReplicaFollower::Snapshot f = follower->Read();
    s.replica_state = f.state;
    s.replica_error = f.last_error;
    s.replica_offset = f.offset;
    s.replica_full_syncs = f.full_syncs;
    s.replica_keys_loaded = f.keys_loaded;
    s.replica_applied = f.commands_applied;
    s.replica_apply_errors = f.apply_errors;
  }
  const Failover::DrainStats drain = failover.last_drain();
  s.last_drain_entries = drain.entries;
  s.last_drain_ms = drain.total_ms;
  s.last_drain_pause_ms = drain.pause_ms;
  s.journal_max_bytes = config.journal.max_bytes;
  if (StoreExecutor* store = server.store()) {
    const StoreExecutor::Stats& st = store->stats();
    constexpr auto kRelaxed = std::memory_order_relaxed;
    s.store_open = true;
    s.journal_entries = st.journal_entries.load(kRelaxed);
    s.journal_bytes = st.journal_bytes.load(kRelaxed);
    s.journal_oldest_ms = st.oldest_entry_wall_ms.load(kRelaxed);
    s.dead_letters = st.dead_letters.load(kRelaxed);
    s.applied_through = st.applied_through.load(kRelaxed);
    s.store_bytes = st.store_bytes.load(kRelaxed);
    s.parked_clients = st.parked_clients.load(kRelaxed);
    if (st.writes_refused.load(kRelaxed)) {
      std::lock_guard lock(st.write_error_mu);
      s.store_write_error = st.write_error;
    }
  }
  s.clients = server.clients();
  s.connections_total = server.metrics().connections_total();
  s.auth_failures_total = server.metrics().auth_failures_total();
  s.rejected_max_clients = server.metrics().rejected(Metrics::Rejection::kMaxClients);
  s.dedicated_in_use = server.dedicated_in_use();
  s.dedicated_refused = server.metrics().dedicated_refused();
  s.warm_mirrors_dropped = server.store() != nullptr ? server.store()->mirrors_dropped() : 0;
  s.rejected_protected_mode = server.metrics().rejected(Metrics::Rejection::kProtectedMode);
  s.io_threads = server.io_thread_count();
  s.config_summary = config::SettingsSummary(config);
  return s;
}

bool Ready(const StatusSnapshot& s, std::string* why) {
  if (s.shutting_down) {
    *why = "shutting down";
    return false;
  }
  if (s.mode == "local" || s.state != "forward") {
    if (!s.store_open) {
      *why = "the local store is not open";
      return false;
    }
    if (!s.store_write_error.empty()) {
      *why = "the local store refuses writes: " + s.store_write_error;
      return false;
    }
    return true;
  }
  // Forwarding: with no fallback, only a reachable upstream serves (unknown before the first
  // health check, so a starting respite is not ready for that moment).
  if (s.fallback == "off" && !s.upstream_up) {
    *why = "upstream is down and fallback.mode is off";
    return false;
  }
  return true;
}

std::string RenderStatusJson(const StatusSnapshot& s) {
  std::string j = "{";
  auto key = [&](const char* k) {
    if (j.size() > 1 && j.back() != '{') j += ',';
    AppendJsonString(&j, k);
    j += ':';
  };
  auto str = [&](const char* k, const std::string& v) {
    key(k);
    AppendJsonString(&j, v);
  };
  auto num = [&](const char* k, double v) {
    key(k);
    j += Number(v);
  };
  auto boolean = [&](const char* k, bool v) {
    key(k);
    j += v ? "true" : "false";
  };
  auto open = [&](const char* k) {
    key(k);
    j += '{';
  };
  str("state", s.state);
  num("state_since_ms", static_cast<double>(s.state_since_ms));
  num("state_seconds", AgeSeconds(s.now_ms, s.state_since_ms));
  str("last_reason", s.last_reason);
  num("transitions", static_cast<double>(s.transitions));
  str("mode", s.mode);
  str("fallback", s.fallback);
  boolean("ready", [&] {
    std::string why;
    return Ready(s, &why);
  }());
  boolean("paused", s.paused);
  open("upstream");
  str("url", s.upstream);
  str("address", s.upstream_address);
  boolean("up", s.upstream_up);
  num("latency_seconds", static_cast<double>(s.upstream_latency_us) / 1e6);
  num("health_checks_ok", static_cast<double>(s.health_ok));
  num("health_checks_failed", static_cast<double>(s.health_failed));
  str("version", s.upstream_version);
  if (!s.sentinel_master_name.empty()) {
    open("sentinel");
    str("master_name", s.sentinel_master_name);
    str("master", s.sentinel_master);
    str("last_error", s.sentinel_error);
    boolean("tls", s.sentinel_tls);
    num("sentinels", static_cast<double>(s.sentinels));
    num("listening", static_cast<double>(s.sentinels_listening));
    num("master_switches", static_cast<double>(s.sentinel_switches));
    num("holds", static_cast<double>(s.sentinel_holds));
    num("held_seconds", static_cast<double>(s.sentinel_held_ms) / 1e3);
    j += '}';
  }
  if (s.cluster_nodes >= 0) {
    open("cluster");
    num("nodes", static_cast<double>(s.cluster_nodes));
    str("slots", s.cluster_slots);
    key("masters");
    j += '[';
    for (const auto& [address, slots] : s.cluster_masters) {
      if (j.back() != '[') j += ',';
      j += "{\"address\":";
      AppendJsonString(&j, address);
      j += ",\"slots\":" + std::to_string(slots) + "}";
    }
    j += ']';
    num("slots_unserved", static_cast<double>(s.cluster_uncovered));
    num("slots_local", static_cast<double>(s.cluster_slots_local));
    key("shards");
    j += '[';
    for (const StatusSnapshot::ClusterShard& shard : s.cluster_shards) {
      if (j.back() != '[') j += ',';
      j += "{\"master\":";
      AppendJsonString(&j, shard.master);
      j += std::string(",\"up\":") + (shard.up ? "true" : "false");
      j += ",\"slots\":" + std::to_string(shard.slots);
      j += ",\"slots_local\":" + std::to_string(shard.slots_local) + ",\"last_error\":";
      AppendJsonString(&j, shard.last_error);
      j += '}';
    }
    j += ']';
    num("shard_failovers", static_cast<double>(s.cluster_failovers));
    num("replayed", static_cast<double>(s.cluster_replayed));
    num("dead_lettered", static_cast<double>(s.cluster_dead_lettered));
    num("cutovers", static_cast<double>(s.cluster_cutovers));
    num("map_refreshes", static_cast<double>(s.cluster_refreshes));
    num("map_changes", static_cast<double>(s.cluster_changes));
    num("redirects", static_cast<double>(s.cluster_redirects));
    str("last_error", s.cluster_error);
    j += '}';
  }
  if (!s.tls_server_name.empty()) {
    open("tls");
    str("server_name", s.tls_server_name);
    num("full_handshakes", static_cast<double>(s.tls_full));
    num("resumed", static_cast<double>(s.tls_resumed));
    open("failures");
    for (int c = 0; c < tls::ClientContext::kCauses; ++c) {
      num(tls::ClientContext::CauseName(static_cast<tls::ClientContext::Cause>(c)),
          static_cast<double>(s.tls_failures[c]));
    }
    j += "}}";
  }
  j += '}';
  open("breaker");
  str("state", s.breaker);
  num("opened_total", static_cast<double>(s.breaker_opened));
  j += '}';
  open("journal");
  num("entries", static_cast<double>(s.journal_entries));
  num("bytes", static_cast<double>(s.journal_bytes));
  num("max_bytes", static_cast<double>(s.journal_max_bytes));
  num("oldest_age_seconds", AgeSeconds(s.now_ms, s.journal_oldest_ms));
  num("dead_letters", static_cast<double>(s.dead_letters));
  num("applied_through", static_cast<double>(s.applied_through));
  j += '}';
  open("replay");
  num("entries_total", static_cast<double>(s.replayed_total));
  num("dead_lettered_total", static_cast<double>(s.dead_lettered_total));
  num("stream_ids_rewritten_total", static_cast<double>(s.stream_ids_rewritten));
  num("stream_id_references_rewritten_total",
      static_cast<double>(s.stream_id_references_rewritten));
  num("guarded_xadds_total", static_cast<double>(s.guarded_xadds));
  num("last_entries", static_cast<double>(s.last_drain_entries));
  num("last_duration_ms", static_cast<double>(s.last_drain_ms));
  num("last_pause_ms", static_cast<double>(s.last_drain_pause_ms));
  num("last_rate_per_second", s.last_drain_ms == 0
                                  ? 0.0
                                  : static_cast<double>(s.last_drain_entries) * 1000.0 /
                                        static_cast<double>(s.last_drain_ms));
  boolean("cursor_alarm", s.cursor_alarm);
  j += '}';
  open("warm");
  str("mode", s.warm);
  if (s.warm == "replica") {
    str("state", s.replica_state);
    num("offset", static_cast<double>(s.replica_offset));
    num("full_syncs", static_cast<double>(s.replica_full_syncs));
    num("keys_loaded", static_cast<double>(s.replica_keys_loaded));
    num("commands_applied", static_cast<double>(s.replica_applied));
    num("apply_errors", static_cast<double>(s.replica_apply_errors));
    str("last_error", s.replica_error);
  }
  j += '}';
  open("store");
  boolean("open", s.store_open);
  num("bytes", static_cast<double>(s.store_bytes));
  num("parked_clients", static_cast<double>(s.parked_clients));
  boolean("writes_refused", !s.store_write_error.empty());
  str("write_error", s.store_write_error);
  j += '}';
  open("clients");
  num("connected", static_cast<double>(s.clients));
  num("connections_total", static_cast<double>(s.connections_total));
  num("auth_failures_total", static_cast<double>(s.auth_failures_total));
  num("rejected_connections_max_clients", static_cast<double>(s.rejected_max_clients));
  num("rejected_connections_protected_mode", static_cast<double>(s.rejected_protected_mode));
  num("dedicated_upstream_connections", static_cast<double>(s.dedicated_in_use));
  num("dedicated_refused_total", static_cast<double>(s.dedicated_refused));
  if (!s.client_tls_subject.empty()) {
    open("tls");
    str("certificate", s.client_tls_subject);
    str("expires", s.client_tls_not_after);
    str("auth_clients", s.client_tls_auth);
    num("full_handshakes", static_cast<double>(s.client_tls_full));
    num("resumed", static_cast<double>(s.client_tls_resumed));
    open("failures");
    for (int c = 0; c < tls::ServerContext::kCauses; ++c) {
      num(tls::ServerContext::CauseName(static_cast<tls::ServerContext::Cause>(c)),
          static_cast<double>(s.client_tls_failures[c]));
    }
    j += "}}";
  }
  j += '}';
  open("config");
  size_t start = 0;
  while (start < s.config_summary.size()) {
    size_t end = s.config_summary.find('\n', start);
    if (end == std::string::npos) end = s.config_summary.size();
    const std::string line = s.config_summary.substr(start, end - start);
    start = end + 1;
    const size_t colon = line.find(": ");
    if (colon == std::string::npos) continue;
    str(line.substr(0, colon).c_str(), line.substr(colon + 2));
  }
  j += '}';
  j += "}\n";
  return j;
}

std::string RenderPrometheus(const StatusSnapshot& s, Server& server) {
  std::string out;
  auto help = [&](const char* name, const char* type, const char* text) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += text;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
  };
  auto sample = [&](const std::string& name, double v) {
    out += name;
    out += ' ';
    out += Number(v);
    out += '\n';
  };

  help("respite_state", "gauge", "1 for the state respite is in (forward, local, draining).");
  for (const char* st : {"forward", "local", "draining"}) {
    sample(std::string("respite_state{state=\"") + st + "\"}", s.state == st ? 1 : 0);
  }
  help("respite_state_transitions_total", "counter", "State changes since start.");
  sample("respite_state_transitions_total", static_cast<double>(s.transitions));
  help("respite_ready", "gauge", "1 while respite can serve in its configured mode.");
  std::string why;
  sample("respite_ready", Ready(s, &why) ? 1 : 0);
  help("respite_upstream_up", "gauge", "1 when the last health check of upstream succeeded.");
  sample("respite_upstream_up", s.upstream_up ? 1 : 0);
  help("respite_upstream_latency_seconds", "gauge", "Round trip of the last health check.");
  sample("respite_upstream_latency_seconds", static_cast<double>(s.upstream_latency_us) / 1e6);
  help("respite_health_checks_total", "counter", "Health checks of upstream by result.");
  sample("respite_health_checks_total{result=\"ok\"}", static_cast<double>(s.health_ok));
  sample("respite_health_checks_total{result=\"fail\"}", static_cast<double>(s.health_failed));
  if (s.cluster_nodes >= 0) {
    help("respite_cluster_nodes", "gauge", "Masters in the cluster's slot map.");
    sample("respite_cluster_nodes", static_cast<double>(s.cluster_nodes));
    help("respite_cluster_master_slots", "gauge", "Hash slots each master serves in the map.");
    for (const auto& [address, slots] : s.cluster_masters) {
      sample("respite_cluster_master_slots{master=\"" + address + "\"}",
             static_cast<double>(slots));
    }
    help("respite_cluster_slots_unserved", "gauge", "Hash slots no master serves in the map.");
    sample("respite_cluster_slots_unserved", static_cast<double>(s.cluster_uncovered));
    help("respite_cluster_slots_local", "gauge",
         "Hash slots served by the local store because their master is down (or their journal "
         "entries are still being replayed).");
    sample("respite_cluster_slots_local", static_cast<double>(s.cluster_slots_local));
    help("respite_cluster_shard_up", "gauge", "1 while a master answers its health checks.");
    for (const StatusSnapshot::ClusterShard& shard : s.cluster_shards) {
      sample("respite_cluster_shard_up{master=\"" + shard.master + "\"}", shard.up ? 1 : 0);
    }
    help("respite_cluster_shard_failovers_total", "counter",
         "Masters marked down, their slots then served locally.");
    sample("respite_cluster_shard_failovers_total", static_cast<double>(s.cluster_failovers));
    help("respite_cluster_replayed_total", "counter",
         "Journal entries replayed to the cluster's masters.");
    sample("respite_cluster_replayed_total", static_cast<double>(s.cluster_replayed));
    help("respite_cluster_map_changes_total", "counter",
         "Slot maps read from the cluster that differed from the one before.");
    sample("respite_cluster_map_changes_total", static_cast<double>(s.cluster_changes));
    help("respite_cluster_redirects_total", "counter",
         "-MOVED and -ASK replies respite followed instead of passing them on.");
    sample("respite_cluster_redirects_total", static_cast<double>(s.cluster_redirects));
  }
  if (!s.sentinel_master_name.empty()) {
    help("respite_sentinel_master_known", "gauge",
         "1 while the sentinels have named a master that says it is one.");
    sample("respite_sentinel_master_known", s.sentinel_master.empty() ? 0 : 1);
    help("respite_sentinel_listening", "gauge",
         "Sentinels whose failover announcements respite receives now.");
    sample("respite_sentinel_listening", static_cast<double>(s.sentinels_listening));
    help("respite_sentinel_master_switches_total", "counter",
         "Times the master moved and respite moved its connections to the new one.");
    sample("respite_sentinel_master_switches_total", static_cast<double>(s.sentinel_switches));
    help("respite_sentinel_holds_total", "counter",
         "Promotions during which clients' commands were held.");
    sample("respite_sentinel_holds_total", static_cast<double>(s.sentinel_holds));
    help("respite_sentinel_held_seconds_total", "counter",
         "Time clients' commands were held for promotions, all together.");
    sample("respite_sentinel_held_seconds_total", static_cast<double>(s.sentinel_held_ms) / 1e3);
  }
  if (!s.tls_server_name.empty()) {
    help("respite_upstream_tls_handshakes_total", "counter",
         "Completed TLS handshakes with upstream, full or resuming a session.");
    sample("respite_upstream_tls_handshakes_total{session=\"new\"}",
           static_cast<double>(s.tls_full));
    sample("respite_upstream_tls_handshakes_total{session=\"resumed\"}",
           static_cast<double>(s.tls_resumed));
    help("respite_upstream_tls_failures_total", "counter",
         "Failed TLS handshakes with upstream by cause (certificate, name, timeout, handshake).");
    for (int c = 0; c < tls::ClientContext::kCauses; ++c) {
      const auto cause = static_cast<tls::ClientContext::Cause>(c);
      sample(std::string("respite_upstream_tls_failures_total{cause=\"") +
                 tls::ClientContext::CauseName(cause) + "\"}",
             static_cast<double>(s.tls_failures[c]));
    }
  }
  if (!s.client_tls_subject.empty()) {
    help("respite_client_tls_handshakes_total", "counter",
         "Completed TLS handshakes of clients, full or resuming a session.");
    sample("respite_client_tls_handshakes_total{session=\"new\"}",
           static_cast<double>(s.client_tls_full));
    sample("respite_client_tls_handshakes_total{session=\"resumed\"}",
           static_cast<double>(s.client_tls_resumed));
    help("respite_client_tls_failures_total", "counter",
         "Failed TLS handshakes of clients by cause (certificate, not_tls, timeout, closed, "
         "handshake).");
    for (int c = 0; c < tls::ServerContext::kCauses; ++c) {
      const auto cause = static_cast<tls::ServerContext::Cause>(c);
      sample(std::string("respite_client_tls_failures_total{cause=\"") +
                 tls::ServerContext::CauseName(cause) + "\"}",
             static_cast<double>(s.client_tls_failures[c]));
    }
    help("respite_client_tls_certificate_expiry_seconds", "gauge",
         "When the certificate the TLS listener serves expires (Unix time).");
    sample("respite_client_tls_certificate_expiry_seconds",
           static_cast<double>(s.client_tls_not_after_unix));
  }
  help("respite_breaker_state", "gauge", "Replay circuit breaker: 0 closed, 1 open, 2 half-open.");
  sample("respite_breaker_state", s.breaker == "open" ? 1 : s.breaker == "half-open" ? 2 : 0);
  help("respite_breaker_opened_total", "counter", "Times the replay breaker opened.");
  sample("respite_breaker_opened_total", static_cast<double>(s.breaker_opened));
  help("respite_journal_entries", "gauge", "Journal entries waiting to be replayed.");
  sample("respite_journal_entries", static_cast<double>(s.journal_entries));
  help("respite_journal_bytes", "gauge", "Bytes of journal entries waiting to be replayed.");
  sample("respite_journal_bytes", static_cast<double>(s.journal_bytes));
  help("respite_journal_max_bytes", "gauge", "journal.max_bytes: writes are refused past it.");
  sample("respite_journal_max_bytes", static_cast<double>(s.journal_max_bytes));
  help("respite_journal_oldest_age_seconds", "gauge",
       "Age of the oldest journal entry waiting to be replayed (0 when empty).");
  sample("respite_journal_oldest_age_seconds", AgeSeconds(s.now_ms, s.journal_oldest_ms));
  help("respite_deadletter_entries", "gauge", "Journal entries upstream refused, kept aside.");
  sample("respite_deadletter_entries", static_cast<double>(s.dead_letters));
  help("respite_replay_entries_total", "counter", "Journal entries replayed upstream.");
  sample("respite_replay_entries_total", static_cast<double>(s.replayed_total));
  help("respite_replay_stream_ids_rewritten_total", "counter",
       "Journaled XADDs re-added with a new id: upstream had moved past theirs.");
  sample("respite_replay_stream_ids_rewritten_total", static_cast<double>(s.stream_ids_rewritten));
  help("respite_replay_stream_id_references_rewritten_total", "counter",
       "Replayed entries whose stream ids were rewritten to a re-added entry's new id.");
  sample("respite_replay_stream_id_references_rewritten_total",
         static_cast<double>(s.stream_id_references_rewritten));
  help("respite_replay_guarded_xadds_total", "counter",
       "XADDs replayed one at a time in a script: another writer kept aborting WATCHed batches.");
  sample("respite_replay_guarded_xadds_total", static_cast<double>(s.guarded_xadds));
  help("respite_replay_cursor_alarm", "gauge",
       "1 when upstream lost entries it had applied (FLUSHALL, restart without persistence).");
  sample("respite_replay_cursor_alarm", s.cursor_alarm ? 1 : 0);
  if (s.warm == "replica") {
    help("respite_warm_replica_streaming", "gauge",
         "1 while the local copy follows upstream's replication stream (fallback.warm replica).");
    sample("respite_warm_replica_streaming", s.replica_state == "streaming" ? 1 : 0);
    help("respite_warm_replica_full_syncs_total", "counter", "Full resyncs loaded from upstream.");
    sample("respite_warm_replica_full_syncs_total", static_cast<double>(s.replica_full_syncs));
    help("respite_warm_replica_commands_total", "counter",
         "Commands of upstream's replication stream applied to the local copy.");
    sample("respite_warm_replica_commands_total", static_cast<double>(s.replica_applied));
    help("respite_warm_replica_apply_errors_total", "counter",
         "Commands of upstream's replication stream the local store refused (the copy may lag).");
    sample("respite_warm_replica_apply_errors_total", static_cast<double>(s.replica_apply_errors));
  }
  help("respite_store_bytes", "gauge", "Approximate size of the local store on disk.");
  sample("respite_store_bytes", static_cast<double>(s.store_bytes));
  help("respite_store_writes_refused", "gauge",
       "1 while the local store refuses writes after its disk failed one (full, I/O error).");
  sample("respite_store_writes_refused", s.store_write_error.empty() ? 0 : 1);
  help("respite_clients", "gauge", "Client connections open now.");
  sample("respite_clients", static_cast<double>(s.clients));
  help("respite_connections_total", "counter", "Client connections accepted since start.");
  sample("respite_connections_total", static_cast<double>(s.connections_total));
  help("respite_auth_failures_total", "counter",
       "Logins refused (requirepass, or an ACL user's password refused upstream).");
  sample("respite_auth_failures_total", static_cast<double>(s.auth_failures_total));
  help("respite_warm_mirrors_dropped_total", "counter",
       "Forwarded writes not mirrored to the local copy (fallback.warm: writes): the store thread "
       "had 64 MB of mirrors waiting.");
  sample("respite_warm_mirrors_dropped_total", static_cast<double>(s.warm_mirrors_dropped));
  help("respite_dedicated_upstream_connections", "gauge",
       "Dedicated upstream connections in use (blocked, subscribed, in-MULTI, ACL-user clients).");
  sample("respite_dedicated_upstream_connections", static_cast<double>(s.dedicated_in_use));
  help("respite_dedicated_refused_total", "counter",
       "Commands refused a dedicated upstream connection: upstream.max_dedicated in use.");
  sample("respite_dedicated_refused_total", static_cast<double>(s.dedicated_refused));
  help("respite_connections_rejected_total", "counter",
       "Connections answered with an error and closed at accept: max_clients reached, or a "
       "non-loopback client in protected mode (no requirepass).");
  sample("respite_connections_rejected_total{reason=\"max_clients\"}",
         static_cast<double>(s.rejected_max_clients));
  sample("respite_connections_rejected_total{reason=\"protected_mode\"}",
         static_cast<double>(s.rejected_protected_mode));

  auto histogram = [&](const std::string& name, const std::string& labels,
                       const Histogram::Snapshot& h) {
    uint64_t cumulative = 0;
    const std::string sep = labels.empty() ? "" : ",";
    for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      cumulative += h.buckets[i];
      sample(name + "_bucket{" + labels + sep + "le=\"" + Number(kLatencyBuckets[i]) + "\"}",
             static_cast<double>(cumulative));
    }
    sample(name + "_bucket{" + labels + sep + "le=\"+Inf\"}", static_cast<double>(h.count));
    const std::string braces = labels.empty() ? "" : "{" + labels + "}";
    sample(name + "_sum" + braces, h.sum_seconds);
    sample(name + "_count" + braces, static_cast<double>(h.count));
  };
  help("respite_replay_duration_seconds", "histogram", "Round trip of each replayed batch.");
  Histogram::Snapshot replay;
  if (const Replayer* replayer = server.failover().replayer()) {
    replay = replayer->batch_duration().Read();
  }
  histogram("respite_replay_duration_seconds", "", replay);

  // Commands by path and name; latency by path.
  std::vector<uint64_t> totals[kCommandPaths];
  Histogram::Snapshot latency[kCommandPaths];
  for (const auto& t : server.metrics().threads()) {
    t->AddCounts(totals);
    for (size_t p = 0; p < kCommandPaths; ++p) {
      latency[p].Add(t->ReadLatency(static_cast<CommandPath>(p)));
    }
  }
  help("respite_commands_total", "counter",
       "Commands by where they were answered (forward: upstream, local: the local store, "
       "proxy: respite itself) and command name.");
  const auto& builtin = resp::CommandTable::Instance().builtin();
  for (size_t p = 0; p < kCommandPaths; ++p) {
    for (size_t i = 0; i < totals[p].size(); ++i) {
      if (totals[p][i] == 0) continue;
      const std::string cmd = i < builtin.size() ? std::string(builtin[i].name) : "other";
      sample(std::string("respite_commands_total{path=\"") + PathName(static_cast<CommandPath>(p)) +
                 "\",cmd=\"" + cmd + "\"}",
             static_cast<double>(totals[p][i]));
    }
  }
  help("respite_command_duration_seconds", "histogram",
       "Time from reading a command to its reply being ready, by path.");
  for (size_t p = 0; p < kCommandPaths; ++p) {
    histogram("respite_command_duration_seconds",
              std::string("path=\"") + PathName(static_cast<CommandPath>(p)) + "\"", latency[p]);
  }
  return out;
}

std::string RenderInfoSection(const StatusSnapshot& s) {
  std::string out = "# respite\r\n";
  auto line = [&](const char* k, const std::string& v) {
    out += k;
    out += ':';
    out += v;
    out += "\r\n";
  };
  auto integer = [&](const char* k, uint64_t v) { line(k, std::to_string(v)); };
  line("respite_state", s.state);
  integer("respite_state_seconds", static_cast<uint64_t>(AgeSeconds(s.now_ms, s.state_since_ms)));
  line("respite_last_reason", s.last_reason);
  line("respite_mode", s.mode);
  line("respite_fallback", s.fallback);
  integer("respite_upstream_up", s.upstream_up ? 1 : 0);
  integer("respite_upstream_latency_us", s.upstream_latency_us);
  line("respite_breaker", s.breaker);
  integer("respite_journal_entries", s.journal_entries);
  integer("respite_journal_bytes", s.journal_bytes);
  integer("respite_journal_oldest_age_seconds",
          static_cast<uint64_t>(AgeSeconds(s.now_ms, s.journal_oldest_ms)));
  integer("respite_dead_letters", s.dead_letters);
  integer("respite_replayed_total", s.replayed_total);
  integer("respite_replay_stream_ids_rewritten", s.stream_ids_rewritten);
  integer("respite_last_replay_entries", s.last_drain_entries);
  integer("respite_last_replay_ms", s.last_drain_ms);
  if (s.warm == "replica") {
    line("respite_warm_replica_state", s.replica_state);
    integer("respite_warm_replica_offset", s.replica_offset);
    integer("respite_warm_replica_full_syncs", s.replica_full_syncs);
    integer("respite_warm_replica_apply_errors", s.replica_apply_errors);
  }
  integer("respite_store_bytes", s.store_bytes);
  integer("respite_store_writes_refused", s.store_write_error.empty() ? 0 : 1);
  integer("respite_clients", s.clients);
  return out;
}

}  // namespace respite::proxy
