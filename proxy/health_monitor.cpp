#include "proxy/health_monitor.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "proxy/blocking_client.h"
#include "proxy/failover.h"

namespace respite::proxy {

namespace {
constexpr std::string_view kProbe = "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nROLE\r\n";

std::string ErrorText(std::string_view reply) {
  return std::string(reply.substr(1, reply.size() >= 3 ? reply.size() - 3 : 0));
}
}  // namespace

HealthMonitor::HealthMonitor(const config::Config& config, Failover& failover)
    : config_(config), failover_(failover) {}

HealthMonitor::~HealthMonitor() { Stop(); }

void HealthMonitor::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void HealthMonitor::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
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
