#pragma once
// Active health checks: on a thread and connection of its own, sends PING and ROLE every
// health.interval_ms and reports each result to the failover state machine. A check fails on no
// reply within health.timeout_ms, a refused connection, -LOADING, -MASTERDOWN, an auth error, or a
// replica role (writes would fail with -READONLY). After a failed check the next one runs at once,
// so a hung upstream is declared down after about timeout x unhealthy_after.
// Slow is not dead (DESIGN.md): any reply, -BUSY included, is a sign of life, and a check that
// times out while a long-running command of this respite's clients explains the silence
// (stall_board.h) counts neither way.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "config/config.h"

namespace respite::proxy {

class Failover;

class StallBoard;

class HealthMonitor {
 public:
  // `stalls` (may be null): forwarded requests waiting unanswered; stalled for timeout x
  // unhealthy_after, they switch respite to local as the checks would, but sooner.
  HealthMonitor(const config::Config& config, Failover& failover, StallBoard* stalls);
  ~HealthMonitor();
  void Start();
  void Stop();

  uint64_t checks_ok() const { return ok_.load(); }
  uint64_t checks_failed() const { return failed_.load(); }
  // Round trip of the last successful check, in microseconds.
  uint64_t last_latency_us() const { return latency_us_.load(); }
  // Whether the last check succeeded (false before the first).
  bool upstream_up() const { return up_.load(); }
  // Forwarded traffic found upstream unreachable: down until the next successful check.
  void MarkDown() { up_ = false; }

 private:
  enum class Verdict { kUp, kDown, kUnknown };
  void Loop();
  Verdict Check(class BlockingClient& client, std::string* reason);
  // Reads upstream's busy-reply-threshold on a new check connection and widens the grace long
  // commands get (stall_board.h) to it. False (with *reason) when the connection failed.
  bool LearnBusyThreshold(class BlockingClient& client, std::string* reason);
  void SetGrace(uint64_t busy_threshold_ms);
  // Second thread: reports upstream down when forwarded requests stall (see stall_board.h).
  void WatchStalls();

  const config::Config& config_;
  Failover& failover_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<uint64_t> ok_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> latency_us_{0};
  std::atomic<bool> up_{false};
  StallBoard* stalls_;
  std::thread stall_thread_;
};

}  // namespace respite::proxy
