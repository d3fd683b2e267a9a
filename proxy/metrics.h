#pragma once
// Counters and latency histograms of the command path, rendered as Prometheus text by
// status_report.cpp. Each io thread owns one CommandMetrics and is its only writer: increments are
// a relaxed load and store, no locked instruction on the hot path. Scrapes read them from another
// thread with relaxed loads (a scrape may miss the increment in flight, never tear one).

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "proxy/time_util.h"

namespace respite::resp {
struct CommandSpec;
}

namespace respite::proxy {

// Where a command was answered.
enum class CommandPath : uint8_t { kForward, kLocal, kProxy };
constexpr size_t kCommandPaths = 3;
const char* PathName(CommandPath path);

// Upper bounds in seconds, shared by every latency histogram (100 us to 10 s).
constexpr std::array<double, 16> kLatencyBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                    0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                    1,      2.5,     5,      10};

// A histogram with one writer thread (SingleWriter) or many (Observe takes no lock either way; the
// many-writer form uses fetch_add).
class Histogram {
 public:
  void ObserveSingleWriter(uint64_t ns);
  void Observe(uint64_t ns);

  struct Snapshot {
    std::array<uint64_t, kLatencyBuckets.size()> buckets{};  // not cumulative
    uint64_t count = 0;                                      // includes +Inf
    double sum_seconds = 0;
    void Add(const Snapshot& other);
  };
  Snapshot Read() const;

 private:
  static size_t BucketOf(uint64_t ns);
  std::array<std::atomic<uint64_t>, kLatencyBuckets.size() + 1> buckets_{};
  std::atomic<uint64_t> sum_ns_{0};
};

// One io thread's commands by path and command name, and their latency by path.
class CommandMetrics {
 public:
  CommandMetrics();
  // `spec` may be null (a command respite does not know).
  void Count(CommandPath path, const resp::CommandSpec* spec);
  void Latency(CommandPath path, uint64_t ns) {
    latency_[static_cast<size_t>(path)].ObserveSingleWriter(ns);
  }

  // Adds this thread's counts to totals[path][slot] (slot: built-in command index, then "other").
  void AddCounts(std::vector<uint64_t> (&totals)[kCommandPaths]) const;
  Histogram::Snapshot ReadLatency(CommandPath path) const {
    return latency_[static_cast<size_t>(path)].Read();
  }
  // The number of counter slots: built-in commands plus one for learned or unknown commands.
  static size_t Slots();

 private:
  std::unique_ptr<std::atomic<uint64_t>[]> counts_[kCommandPaths];
  Histogram latency_[kCommandPaths];
};

// Process-wide registry: the io threads' CommandMetrics plus counters fed by other threads.
class Metrics {
 public:
  // Registration happens before serving starts; the list never changes afterwards.
  CommandMetrics* AddThread();
  const std::vector<std::unique_ptr<CommandMetrics>>& threads() const { return threads_; }

  void CountConnection() { connections_total_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t connections_total() const { return connections_total_.load(std::memory_order_relaxed); }
  // Logins refused: a wrong requirepass, or an ACL user's password refused upstream (or, while
  // upstream is down, not the one that logged in before).
  void CountAuthFailure() { auth_failures_total_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t auth_failures_total() const {
    return auth_failures_total_.load(std::memory_order_relaxed);
  }
  // Commands refused a dedicated upstream connection (upstream.max_dedicated reached).
  void CountDedicatedRefused() { dedicated_refused_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t dedicated_refused() const { return dedicated_refused_.load(std::memory_order_relaxed); }
  // Connections answered with an error and closed at accept.
  enum class Rejection { kMaxClients, kProtectedMode, kCount };
  void CountRejected(Rejection why) {
    rejected_[static_cast<size_t>(why)].fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t rejected(Rejection why) const {
    return rejected_[static_cast<size_t>(why)].load(std::memory_order_relaxed);
  }

 private:
  std::vector<std::unique_ptr<CommandMetrics>> threads_;
  std::atomic<uint64_t> connections_total_{0};
  std::atomic<uint64_t> auth_failures_total_{0};
  std::atomic<uint64_t> dedicated_refused_{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(Rejection::kCount)> rejected_{};
};

}  // namespace respite::proxy
