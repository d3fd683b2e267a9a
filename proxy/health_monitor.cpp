#include "proxy/health_monitor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "proxy/blocking_client.h"
#include "proxy/failover.h"
#include "proxy/stall_board.h"

namespace respite::proxy {

namespace {
constexpr std::string_view kProbe = "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nROLE\r\n";

std::string ErrorText(std::string_view reply) {
  return std::string(reply.substr(1, reply.size() >= 3 ? reply.size() - 3 : 0));
}

uint64_t SteadyMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}
}  // namespace

HealthMonitor::HealthMonitor(const config::Config& config, Failover& failover,
                             const StallBoard* stalls)
    : config_(config), failover_(failover), stalls_(stalls) {}

HealthMonitor::~HealthMonitor() { Stop(); }

void HealthMonitor::Start() {
  thread_ = std::thread([this] { Loop(); });
  if (stalls_ != nullptr) stall_thread_ = std::thread([this] { WatchStalls(); });
}

void HealthMonitor::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (stall_thread_.joinable()) stall_thread_.join();
}

bool HealthMonitor::Check(BlockingClient& client, std::string* reason) {
  const uint32_t timeout = config_.health.timeout_ms;
  if (!client.connected() && !client.Connect(config_.upstream.parsed, timeout, reason)) {
    return false;
  }
  std::string pong, role;
  if (!client.Call(kProbe, timeout, &pong, reason) || !client.Read(timeout, &role, reason)) {
    client.Close();
    return false;
  }
  if (pong.empty() || pong[0] == '-') {
    *reason = "PING answered " + ErrorText(pong);  // -LOADING, -MASTERDOWN, -NOAUTH, ...
    return false;
  }
  std::vector<std::string_view> fields;
  if (!SplitArray(role, &fields) || fields.empty()) {
    *reason = "unexpected ROLE reply";
    return false;
  }
  if (fields[0].find("master") == std::string_view::npos) {
    *reason = "upstream is a replica (writes would fail with READONLY)";
    return false;
  }
  return true;
}

void HealthMonitor::WatchStalls() {
  // Forwarded requests unanswered for as long as the checks need to declare upstream down
  // (timeout x unhealthy_after) are the same evidence, found without waiting for the check
  // interval to come round: a hung upstream under load is detected in about that time.
  const uint64_t limit_ms =
      uint64_t{config_.health.timeout_ms} * std::max<uint32_t>(1, config_.health.unhealthy_after);
  // While nothing waits, look now and then: a wait that begins is seen long before it could
  // count as a stall. Once something waits, sleep until it would become one, then look again
  // (replies since then move its start on). An idle sidecar wakes a few times a second, not 200.
  const uint64_t idle_poll_ms = std::clamp<uint64_t>(limit_ms / 4, 1, 50);
  uint64_t reported = 0;  // the stall already reported: once per stall, however long it lasts
  uint64_t wait_ms = idle_poll_ms;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(wait_ms));
    wait_ms = idle_poll_ms;
    const uint64_t since = stalls_->Oldest();
    if (since == 0 || since == reported) continue;
    const uint64_t now = SteadyMs();
    if (now < since) continue;
    if (now - since < limit_ms) {
      wait_ms = limit_ms - (now - since);
      continue;
    }
    reported = since;
    lock.unlock();
    failover_.ReportUpstreamFailure("forwarded requests unanswered for " +
                                    std::to_string(now - since) + " ms");
    lock.lock();
  }
}

void HealthMonitor::Loop() {
  BlockingClient client;
  bool last_ok = true;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      // A failed check is retried at once: a hung upstream is found in timeout x threshold.
      if (last_ok) {
        cv_.wait_for(lock, std::chrono::milliseconds(config_.health.interval_ms),
                     [this] { return stopping_; });
      }
      if (stopping_) return;
    }
    std::string reason;
    const auto start = std::chrono::steady_clock::now();
    last_ok = Check(client, &reason);
    up_ = last_ok;
    if (last_ok) {
      ++ok_;
      latency_us_ = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                              std::chrono::steady_clock::now() - start)
                                              .count());
    } else {
      ++failed_;
      SPDLOG_DEBUG("health check failed: {}", reason);
      // Pace checks against a refused port, which fail in microseconds.
      const auto spent = std::chrono::steady_clock::now() - start;
      const auto floor = std::chrono::milliseconds(config_.health.timeout_ms);
      if (spent < floor) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, floor - spent, [this] { return stopping_; });
        if (stopping_) return;
      }
    }
    failover_.OnHealthCheck(last_ok, reason);
  }
}

}  // namespace respite::proxy
