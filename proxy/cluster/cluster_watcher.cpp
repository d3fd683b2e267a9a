#include "proxy/cluster/cluster_watcher.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <vector>

#include "proxy/cluster/cluster_map.h"
#include "proxy/upstream/blocking_client.h"
#include "resp/command_encoder.h"

namespace respite::proxy {
namespace {

constexpr auto kRefreshInterval = std::chrono::seconds(1);
std::atomic<uint64_t> g_redirects{0};

}  // namespace

ClusterWatcher::ClusterWatcher(const config::Config& config) : config_(config) {}

ClusterWatcher::~ClusterWatcher() { Stop(); }

void ClusterWatcher::Start() {
  // The first map is waited for, so that the first commands have somewhere to go.
  if (!Refresh()) {
    spdlog::warn("cluster: no slot map yet: {}", stats().last_error);
  }
  thread_ = std::thread([this] { Run(); });
}

void ClusterWatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_.store(true);
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ClusterWatcher::RequestRefresh() {
  {
    std::lock_guard lock(mu_);
    refresh_requested_ = true;
  }
  wake_.notify_all();
}

void ClusterWatcher::CountRedirect() { g_redirects.fetch_add(1, std::memory_order_relaxed); }

ClusterWatcher::Stats ClusterWatcher::stats() const {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.redirects = g_redirects.load(std::memory_order_relaxed);
  return s;
}

void ClusterWatcher::SetError(const std::string& error) {
  std::lock_guard lock(mu_);
  stats_.last_error = error;
}

void ClusterWatcher::Run() {
  while (!stop_.load()) {
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, kRefreshInterval, [this] { return stop_.load() || refresh_requested_; });
      refresh_requested_ = false;
    }
    if (!stop_.load()) Refresh();
  }
}

bool ClusterWatcher::Refresh() {
  // The current map's masters first (they know the latest), then the URL's seeds.
  std::vector<config::Endpoint> candidates;
  if (std::shared_ptr<const ClusterMap> map = CurrentClusterMap()) candidates = map->nodes;
  const size_t from_map = candidates.size();
  for (const config::Endpoint& seed : config_.upstream.parsed.cluster_nodes) {
    candidates.push_back(seed);
  }
  const uint32_t timeout = config_.upstream.connect_timeout_ms;
  std::string errors, request;
  resp::AppendCommand(&request, {"CLUSTER", "SLOTS"});
  for (size_t k = 0; k < candidates.size() && !stop_.load(); ++k) {
    // Rotate among the map's nodes so that one slow node does not always answer first.
    const size_t i = k < from_map ? (next_ + k) % from_map : k;
    const config::Endpoint& at = candidates[i];
    config::UpstreamUrl url = config_.upstream.parsed;
    url.cluster_nodes.clear();
    url.host = at.host;
    url.port = at.port;
    BlockingClient client;
    std::string reply, error;
    ClusterMap map;
    if (!client.Connect(url, timeout, &error) || !client.Call(request, timeout, &reply, &error) ||
        !ParseClusterSlots(reply, at, &map, &error)) {
      errors += (errors.empty() ? "" : "; ") + at.ToString() + ": " + error;
      continue;
    }
    if (from_map > 0) next_ = (next_ + 1) % from_map;
    const bool changed = stats().refreshes == 0 || !map.SameSlotsAs(last_fetched_);
    std::shared_ptr<const ClusterMap> published = CurrentClusterMap();
    const bool publish = published == nullptr || !map.SameSlotsAs(*published);
    {
      std::lock_guard lock(mu_);
      ++stats_.refreshes;
      if (changed) ++stats_.changes;
      stats_.last_error = map.uncovered() == 0
                              ? ""
                              : std::to_string(map.uncovered()) + " slots are served by no node (" +
                                    at.ToString() + " says)";
    }
    if (changed) spdlog::info("cluster: slot map from {}: {}", at.ToString(), map.Describe());
    last_fetched_ = map;
    if (publish) PublishClusterMap(std::move(map));
    return true;
  }
  SetError(errors.empty() ? "no node to ask" : errors);
  return false;
}

}  // namespace respite::proxy
