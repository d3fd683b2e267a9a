#include "proxy/metrics.h"

#include <chrono>

#include "resp/command_table.h"

namespace respite::proxy {

const char* PathName(CommandPath path) {
  switch (path) {
    case CommandPath::kForward:
      return "forward";
    case CommandPath::kLocal:
      return "local";
    case CommandPath::kProxy:
      return "proxy";
  }
  return "proxy";
}

namespace {
// The bucket bounds in nanoseconds: integer compares on the hot path.
const std::array<uint64_t, kLatencyBuckets.size()> kBoundsNs = [] {
  std::array<uint64_t, kLatencyBuckets.size()> bounds{};
  for (size_t i = 0; i < bounds.size(); ++i) {
    bounds[i] = static_cast<uint64_t>(kLatencyBuckets[i] * 1e9 + 0.5);
  }
  return bounds;
}();
}  // namespace

size_t Histogram::BucketOf(uint64_t ns) {
  for (size_t i = 0; i < kBoundsNs.size(); ++i) {
    if (ns <= kBoundsNs[i]) return i;
  }
  return kBoundsNs.size();  // +Inf only
}

void Histogram::ObserveSingleWriter(uint64_t ns) {
  auto& bucket = buckets_[BucketOf(ns)];
  bucket.store(bucket.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  sum_ns_.store(sum_ns_.load(std::memory_order_relaxed) + ns, std::memory_order_relaxed);
}

void Histogram::Observe(uint64_t ns) {
  buckets_[BucketOf(ns)].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(ns, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    s.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
    s.count += s.buckets[i];
  }
  s.count += buckets_[kLatencyBuckets.size()].load(std::memory_order_relaxed);
  s.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return s;
}

void Histogram::Snapshot::Add(const Snapshot& other) {
  for (size_t i = 0; i < buckets.size(); ++i) buckets[i] += other.buckets[i];
  count += other.count;
  sum_seconds += other.sum_seconds;
}

size_t CommandMetrics::Slots() { return resp::CommandTable::Instance().builtin_size() + 1; }

CommandMetrics::CommandMetrics() {
  for (auto& counts : counts_) {
    counts = std::make_unique<std::atomic<uint64_t>[]>(Slots());
    for (size_t i = 0; i < Slots(); ++i) counts[i].store(0, std::memory_order_relaxed);
  }
}

void CommandMetrics::Count(CommandPath path, const resp::CommandSpec* spec) {
  const auto& builtin = resp::CommandTable::Instance().builtin();
  size_t slot = Slots() - 1;
  if (spec != nullptr && spec >= builtin.data() && spec < builtin.data() + builtin.size()) {
    slot = static_cast<size_t>(spec - builtin.data());
  }
  auto& c = counts_[static_cast<size_t>(path)][slot];
  c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

void CommandMetrics::AddCounts(std::vector<uint64_t> (&totals)[kCommandPaths]) const {
  for (size_t p = 0; p < kCommandPaths; ++p) {
    totals[p].resize(Slots());
    for (size_t i = 0; i < Slots(); ++i) {
      totals[p][i] += counts_[p][i].load(std::memory_order_relaxed);
    }
  }
}

CommandMetrics* Metrics::AddThread() {
  threads_.push_back(std::make_unique<CommandMetrics>());
  return threads_.back().get();
}

}  // namespace respite::proxy
