#pragma once
// Sentinel mode (a redis+sentinel:// upstream): finds the master through the sentinels and follows
// it. On its own thread it asks the sentinels, in turn, for the master's address
// (SENTINEL GET-MASTER-ADDR-BY-NAME), checks that the node there says it is a master (ROLE: a
// sentinel that has not seen a failover yet may name the old one), and publishes the address
// every upstream connection then uses (CurrentUpstream). Between checks it listens on every
// sentinel (only the one leading a failover announces its steps):
// - +failover-state-send-slaveof-noone: a replica is about to be promoted. Clients' new commands
//   are held from now on, so none reaches the old master, which would acknowledge it and then be
//   demoted and lose it;
// - +switch-master: the new master is known. Every open upstream link is closed (none keeps
//   writing to the old master), and the held commands go to the new one;
// - the failover's end without a switch (aborted, timed out), or kMaxHold: the hold ends.
// A check every second catches a missed message. While no master is known, connections fail,
// upstream counts as down, and respite serves locally and journals as in any outage; the replay
// goes to the new master. Over TLS (sentinel.tls), the sentinels get a TLS context of their own
// (their certificates name the sentinels, not the master).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"

namespace respite::tls {
class ClientContext;
}

namespace respite::proxy {

class BlockingClient;

// The upstream to connect to now: `configured` itself, or in Sentinel mode the same credentials,
// db and TLS at the master the sentinels named last (host empty while none is known yet); in
// cluster mode slot 0's master.
config::UpstreamUrl CurrentUpstream(const config::UpstreamUrl& configured);

class SentinelWatcher {
 public:
  // `moved` runs (on the watcher's thread) after the master changed: close the links. `hold`
  // starts (true) and ends (false) holding clients' commands. Throws when the sentinels' TLS
  // context cannot be built (a file or setting, named).
  SentinelWatcher(const config::Config& config, std::function<void(const std::string&)> moved,
                  std::function<void(bool)> hold);
  ~SentinelWatcher();
  SentinelWatcher(const SentinelWatcher&) = delete;
  SentinelWatcher& operator=(const SentinelWatcher&) = delete;

  void Start();
  void Stop();
  // The master now ("host:port", empty while none is known) and the last sentinel error.
  std::string master() const;
  std::string last_error() const;
  // SIGHUP: the sentinels' TLS files read again, for new connections. What to add to the
  // reload's summary; "" without TLS to the sentinels.
  std::string ReloadTls();

  // For status and metrics.
  struct Stats {
    bool tls = false;
    size_t sentinels = 0;
    size_t listening = 0;   // sentinels whose failover messages respite receives now
    uint64_t switches = 0;  // master changes followed
    uint64_t holds = 0;     // promotions during which clients' commands were held
    uint64_t held_ms = 0;   // how long, all together
  };
  Stats stats() const;

 private:
  void Run();
  // Asks each sentinel in turn; true when a master was found and checked. `via`: the sentinel
  // that named it.
  bool Discover(size_t* via);
  // Subscribes to the failover's channels on every sentinel not subscribed yet.
  void Subscribe();
  // Publishes how many subscriptions are up.
  void CountListening();
  // Waits up to `ms` for the sentinels' messages about this master; true when the master should
  // be looked up now (switched, or the failover ended).
  bool Listen(uint32_t ms);
  // Handles one sentinel's buffered messages; true as Listen.
  bool HandleMessages(size_t sentinel);
  void Hold(bool on, const std::string& why);
  void Publish(const std::string& host, uint16_t port);
  void SetError(const std::string& error);
  // A sentinel's URL (address, the sentinels' credentials and TLS) and TLS context.
  config::UpstreamUrl SentinelUrl(size_t i) const;
  std::shared_ptr<tls::ClientContext> tls() const;

  const config::Config& config_;
  std::function<void(const std::string&)> moved_;
  std::function<void(bool)> hold_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::string last_error_;                   // guarded by mu_
  std::shared_ptr<tls::ClientContext> tls_;  // guarded by mu_; null without TLS
  Stats stats_;                              // guarded by mu_
  size_t preferred_ = 0;  // the sentinel that answered last (watcher thread only)
  // Per sentinel (watcher thread only): its subscription, and what it delivered, not yet framed.
  std::vector<std::unique_ptr<BlockingClient>> subscribers_;
  std::vector<std::string> messages_;
  bool holding_ = false;
  std::string held_master_;     // the master when the hold began
  bool failover_over_ = false;  // the failover ended without a switch (aborted, timed out)
  std::chrono::steady_clock::time_point hold_since_;
};

}  // namespace respite::proxy
