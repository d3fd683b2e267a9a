#pragma once
// Cluster mode (a redis+cluster:// upstream): learns the cluster's slot map and keeps it current.
// On its own thread it asks a node (one of the map's masters, else a seed from the URL) for
// CLUSTER SLOTS: synchronously at start, then every second, and at once when a -MOVED reply
// says the map is stale (RequestRefresh). A map that changed is published (cluster_map.h) and
// logged; a failed refresh keeps the last map and says why in last_error.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "config/config.h"
#include "proxy/cluster/cluster_map.h"

namespace respite::proxy {

class ClusterWatcher {
 public:
  explicit ClusterWatcher(const config::Config& config);
  ~ClusterWatcher();
  ClusterWatcher(const ClusterWatcher&) = delete;
  ClusterWatcher& operator=(const ClusterWatcher&) = delete;

  void Start();
  void Stop();
  // From any thread: refresh now (a -MOVED came back).
  void RequestRefresh();

  struct Stats {
    std::string last_error;
    uint64_t refreshes = 0;  // maps fetched
    uint64_t changes = 0;    // maps that differed from the one before
    uint64_t redirects = 0;  // -MOVED and -ASK replies followed (counted by sessions)
  };
  Stats stats() const;
  // Counts one redirect followed (any thread).
  static void CountRedirect();

 private:
  void Run();
  // Asks the map's nodes, then the seeds, in turn; true when a map was read (and published if
  // it changed).
  bool Refresh();
  void SetError(const std::string& error);

  const config::Config& config_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool refresh_requested_ = false;  // guarded by mu_
  Stats stats_;                     // guarded by mu_ (redirects: g_redirects)
  size_t next_ = 0;                 // the node to ask first (watcher thread only)
  // The last map a node gave (watcher thread only): changes are logged against it, not against
  // the published map, which -MOVED replies may have patched since.
  ClusterMap last_fetched_;
};

}  // namespace respite::proxy
