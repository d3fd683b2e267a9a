#pragma once
// The whole proxy: one IoThread per core, the process-wide counters they share, and orderly
// shutdown. Thread: Run() on the main thread; the counters are safe from any thread.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "proxy/client/user_registry.h"
#include "proxy/upstream/stall_board.h"
#include "storage/clock.h"

namespace respite::tls {
class ServerContext;
}

namespace respite::proxy {

class AdminServer;
class Failover;
class IoThread;
class Metrics;
class PubSubHub;
class SentinelWatcher;
class ClusterWatcher;
class StoreExecutor;

class Server {
 public:
  explicit Server(config::Config config);
  ~Server();

  // Binds, serves until SIGTERM or SIGINT, drains, and returns the process exit code. Throws
  // std::system_error when the listen address cannot be bound (start-up edge).
  int Run();
  // Thread-safe; what a signal does.
  void RequestShutdown();
  // Where SIGHUP re-reads the config from: the process' arguments and environment.
  void SetReloadSource(std::vector<std::string> args, std::vector<std::string> env);
  // SIGHUP: re-reads the config and applies what can change while running (log level and
  // format); every other changed setting is logged as needing a restart. Returns what it did.
  std::string Reload();

  const config::Config& config() const { return config_; }

  // The local store's executor; nullptr when the data dir could not be opened.
  StoreExecutor* store() { return store_.get(); }
  Failover& failover() { return *failover_; }
  // Sentinel mode only (null otherwise).
  const SentinelWatcher* sentinel() const { return sentinel_.get(); }
  // Cluster mode only (null otherwise).
  ClusterWatcher* cluster() const { return cluster_.get(); }
  // This respite's own subscribers while serving locally (pubsub_hub.h).
  PubSubHub& pubsub() { return *pubsub_; }
  // Whether clients are served from the local store instead of upstream.
  bool serve_locally() const;

  // For the failover state machine (any thread): close every upstream link (upstream is down);
  // wait until every io thread has finished the handler it is running; wake every session.
  void OnUpstreamDown();
  // Cluster mode: one master was marked down; its links fail what they have in flight.
  void CloseNodeLinks(const config::Endpoint& node, const std::string& reason);
  void QuiesceIoThreads();
  void WakeAllSessions();

  Metrics& metrics() { return *metrics_; }
  StallBoard& stall_board() { return stall_board_; }
  UserRegistry& users() { return users_; }
  uint32_t clients() const { return clients_.load(std::memory_order_relaxed); }
  uint32_t io_thread_count() const { return static_cast<uint32_t>(threads_.size()); }
  IoThread& io_thread(size_t i) { return *threads_[i]; }
  bool shutting_down() const { return shutting_down_.load(std::memory_order_relaxed); }

  // Admission control for max_clients. Thread-safe.
  bool TryAddClient();
  void RemoveClient();
  // Dedicated upstream connections in use, bounded by upstream.max_dedicated.
  bool TryTakeDedicated();
  void ReturnDedicated() { dedicated_in_use_.fetch_sub(1, std::memory_order_relaxed); }
  uint32_t dedicated_in_use() const { return dedicated_in_use_.load(std::memory_order_relaxed); }
  uint64_t NextClientId() { return next_client_id_.fetch_add(1, std::memory_order_relaxed); }

  // Redis version upstream reported in its HELLO reply ("unknown" before the first connect).
  std::string UpstreamVersion() const;
  void SetUpstreamVersion(std::string version);
  // The address the last upstream link connected to ("" before the first): the upstream host
  // name is resolved again at every connect, so this follows a name that moved.
  std::string UpstreamAddress() const;
  void SetUpstreamAddress(std::string address);

  // The first upstream link to connect learns commands missing from the built-in table; true for
  // exactly one caller until ReleaseCommandLearning().
  bool ClaimCommandLearning();
  void ReleaseCommandLearning() { learning_claimed_.store(false); }

 private:
  // rediss://: builds the TLS context every upstream connection uses, or throws with the reason.
  void SetUpUpstreamTls();
  // SIGHUP: reads the upstream TLS files again into a new context for new connections (open
  // ones keep theirs). What to add to the reload's summary; "" for a plain upstream.
  std::string ReloadUpstreamTls();
  // The same for the TLS listener and HTTPS admin endpoint (tls.listen, tls.admin).
  void SetUpClientTls();
  void WarnProtectedMode() const;
  void WarnIfExpired(const tls::ServerContext& context) const;
  std::string ReloadClientTls();
  // Opens the local store in the data dir. Returns false (and logs why) when it cannot.
  bool OpenStore();

  config::Config config_;
  storage::SystemClock clock_;
  std::unique_ptr<PubSubHub> pubsub_;  // before store_: the store publishes into it
  std::unique_ptr<StoreExecutor> store_;
  std::unique_ptr<Metrics> metrics_;
  StallBoard stall_board_;
  UserRegistry users_;
  std::unique_ptr<SentinelWatcher> sentinel_;  // a redis+sentinel:// upstream only
  std::unique_ptr<ClusterWatcher> cluster_;    // a redis+cluster:// upstream only
  std::unique_ptr<Failover> failover_;
  std::unique_ptr<AdminServer> admin_;
  std::atomic<bool> shutting_down_{false};
  std::chrono::steady_clock::time_point shutdown_started_;  // main thread, at RequestShutdown
  std::vector<std::string> reload_args_, reload_env_;
  std::vector<std::unique_ptr<IoThread>> threads_;
  std::atomic<uint32_t> clients_{0};
  std::atomic<uint32_t> dedicated_in_use_{0};
  std::atomic<uint64_t> next_client_id_{1};
  std::atomic<bool> learning_claimed_{false};
  mutable std::mutex version_mu_;
  std::string upstream_version_ = "unknown";
  std::string upstream_address_;
};

}  // namespace respite::proxy
