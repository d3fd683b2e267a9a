#pragma once
// Sentinel mode (a redis+sentinel:// upstream): finds the master through the sentinels and follows
// it. On its own thread it asks the sentinels, in turn, for the master's address
// (SENTINEL GET-MASTER-ADDR-BY-NAME), checks that the node there says it is a master (ROLE: a
// sentinel that has not seen a failover yet may name the old one), and publishes the address
// every upstream connection then uses (CurrentUpstream). Between checks it listens on a sentinel
// for +switch-master, so a failover is followed at once; a check every second catches a missed
// message. When the master moves, every open upstream link is closed so that none keeps writing
// to the old master (a replica now). While no master is known, connections fail, upstream counts
// as down, and respite serves locally and journals as in any outage; the replay goes to the new
// master.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "config/config.h"

namespace respite::proxy {

class BlockingClient;

// The upstream to connect to now: `configured` itself, or in Sentinel mode the same credentials,
// db and TLS at the master the sentinels named last (host empty while none is known yet).
config::UpstreamUrl CurrentUpstream(const config::UpstreamUrl& configured);

class SentinelWatcher {
 public:
  // `moved` runs (on the watcher's thread) after the master changed: close the links.
  SentinelWatcher(const config::Config& config, std::function<void(const std::string&)> moved);
  ~SentinelWatcher();
  SentinelWatcher(const SentinelWatcher&) = delete;
  SentinelWatcher& operator=(const SentinelWatcher&) = delete;

  void Start();
  void Stop();
  // The master now ("host:port", empty while none is known) and the last sentinel error.
  std::string master() const;
  std::string last_error() const;

 private:
  void Run();
  // Asks each sentinel in turn; true when a master was found and checked. `via`: the sentinel
  // that named it.
  bool Discover(size_t* via);
  // Waits up to `ms` for +switch-master on the subscribed sentinel; true when one came for this
  // master.
  bool AwaitSwitch(BlockingClient& subscriber, uint32_t ms);
  void Publish(const std::string& host, uint16_t port);
  void SetError(const std::string& error);

  const config::Config& config_;
  std::function<void(const std::string&)> moved_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::string last_error_;  // guarded by mu_
  size_t preferred_ = 0;    // the sentinel that answered last (watcher thread only)
  std::string messages_;    // what the subscription delivered, not yet framed (watcher thread)
};

}  // namespace respite::proxy
