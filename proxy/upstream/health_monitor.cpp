#include "proxy/upstream/health_monitor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>

#include "proxy/failover/failover.h"
#include "proxy/upstream/blocking_client.h"
#include "proxy/upstream/sentinel_watcher.h"
#include "proxy/upstream/stall_board.h"
#include "resp/command_encoder.h"

namespace respite::proxy {

namespace {
constexpr std::string_view kProbe = "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nROLE\r\n";
// Redis 7 calls it busy-reply-threshold; lua-time-limit is the older name (Redis 6 knows only it).
constexpr std::string_view kBusyThresholdNames[] = {"busy-reply-threshold", "lua-time-limit"};
// Upstream's threshold when it cannot be read (CONFIG renamed or denied): Redis' default.
constexpr uint64_t kDefaultBusyThresholdMs = 5000;

bool IsBusy(std::string_view reply) { return reply.starts_with("-BUSY"); }

uint64_t SteadyMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}
}  // namespace

HealthMonitor::HealthMonitor(const config::Config& config, Failover& failover, StallBoard* stalls)
    : config_(config), failover_(failover), stalls_(stalls) {
  if (stalls_ != nullptr) {
    SetGrace(kDefaultBusyThresholdMs);
  }
}

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

HealthMonitor::Verdict HealthMonitor::Check(BlockingClient& client, std::string* reason) {
  const uint32_t timeout = config_.health.timeout_ms;
  // Silence while one of this respite's clients runs a long command upstream is explained.
  const auto silent = [&] {
    return *reason == kTimedOutError && stalls_ != nullptr && stalls_->SilenceExplained(SteadyMs())
               ? Verdict::kUnknown
               : Verdict::kDown;
  };
  if (!client.connected()) {
    if (!client.Connect(CurrentUpstream(config_.upstream.parsed), timeout, reason) ||
        !LearnBusyThreshold(client, reason)) {
      return silent();
    }
  }
  std::string pong, role;
  if (!client.Call(kProbe, timeout, &pong, reason) || !client.Read(timeout, &role, reason)) {
    client.Close();
    return silent();
  }
  // A script past busy-reply-threshold: upstream is alive and answers; it just cannot run
  // PING or ROLE until the script ends or is killed.
  if (IsBusy(pong)) return Verdict::kUp;
  if (pong.empty() || pong[0] == '-') {
    *reason = "PING answered " + ErrorText(pong);  // -LOADING, -MASTERDOWN, -NOAUTH, ...
    return Verdict::kDown;
  }
  if (IsBusy(role)) return Verdict::kUp;
  std::vector<std::string_view> fields;
  if (!SplitArray(role, &fields) || fields.empty()) {
    *reason = "unexpected ROLE reply";
    return Verdict::kDown;
  }
  if (fields[0].find("master") == std::string_view::npos) {
    *reason = "upstream is a replica (writes would fail with READONLY)";
    // Connect afresh next time: in Sentinel mode the master may be elsewhere now.
    client.Close();
    return Verdict::kDown;
  }
  return Verdict::kUp;
}

void HealthMonitor::SetGrace(uint64_t busy_threshold_ms) {
  // Past the threshold upstream answers -BUSY (a sign of life), but only from its next event loop
  // turn: allow the silence a check needs on top.
  const uint64_t grace =
      std::max<uint64_t>(config_.health.long_command_grace_ms, busy_threshold_ms) +
      uint64_t{config_.health.timeout_ms} * std::max<uint32_t>(1, config_.health.unhealthy_after);
  if (grace == stalls_->grace_ms()) return;
  if (stalls_->grace_ms() != 0) {
    spdlog::info(
        "upstream busy-reply-threshold {} ms: a long command in flight explains up to {} ms "
        "of upstream silence",
        busy_threshold_ms, grace);
  }
  stalls_->SetGraceMs(grace);
}

bool HealthMonitor::LearnBusyThreshold(BlockingClient& client, std::string* reason) {
  if (stalls_ == nullptr) return true;
  for (std::string_view name : kBusyThresholdNames) {
    std::string request;
    resp::AppendCommand(&request, {"CONFIG", "GET", name});
    std::string reply;
    if (!client.Call(request, config_.health.timeout_ms, &reply, reason)) {
      client.Close();  // a late reply must not be read as the PING's
      return false;
    }
    // A two-element array (this connection speaks RESP2): the name, then the value in ms. An error
    // (CONFIG renamed or denied, upstream busy) or an empty one (an unknown name) leaves the grace
    // as is.
    std::vector<std::string_view> fields;
    if (!SplitArray(reply, &fields) || fields.size() != 2) continue;
    std::string_view value = fields[1];  // $<len>\r\n<ms>\r\n
    const size_t start = value.find("\r\n");
    uint64_t ms = 0;
    if (value.empty() || value[0] != '$' || start == std::string_view::npos ||
        start + 4 > value.size()) {
      return true;  // a null or malformed value: keep the grace
    }
    const char* digits = value.data() + start + 2;
    const char* end = value.data() + value.size() - 2;
    if (auto [p, ec] = std::from_chars(digits, end, ms); ec != std::errc() || p != end) return true;
    SetGrace(ms);
    return true;
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
    if (stalls_->SilenceExplained(now)) {
      // A script, DEBUG, KEYS ... of this respite's clients keeps upstream busy: look again when
      // the grace for it has run out.
      const uint64_t grace_end = stalls_->OldestLong() + stalls_->grace_ms();
      wait_ms = std::clamp<uint64_t>(grace_end > now ? grace_end - now : 1, 1, limit_ms);
      continue;
    }
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
    const Verdict verdict = Check(client, &reason);
    if (verdict == Verdict::kUnknown) {
      // Neither way: try again after the usual interval, which a long command may outlast.
      SPDLOG_DEBUG("health check unanswered while a long command runs upstream: {}", reason);
      last_ok = true;
      continue;
    }
    last_ok = verdict == Verdict::kUp;
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
