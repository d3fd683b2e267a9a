#include "proxy/upstream/sentinel_watcher.h"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <vector>

#include "proxy/cluster/cluster_map.h"
#include "proxy/upstream/blocking_client.h"
#include "resp/command_encoder.h"
#include "resp/reply_scanner.h"
#include "tls/client_context.h"

namespace respite::proxy {
namespace {

// The master every upstream connection goes to in Sentinel mode.
std::mutex g_master_mu;
std::string g_master_host;
uint16_t g_master_port = 0;

// Slices of the wait for +switch-master, so Stop() is not held up long.
constexpr uint32_t kListenSliceMs = 200;
constexpr auto kCheckInterval = std::chrono::seconds(1);
// Longest hold of clients' commands while Sentinel promotes a replica (a promotion takes about a
// second; past this the failover is taken as stuck, and commands flow again).
constexpr auto kMaxHold = std::chrono::milliseconds(5000);

}  // namespace

config::UpstreamUrl CurrentUpstream(const config::UpstreamUrl& configured) {
  if (!configured.cluster_nodes.empty()) {
    // Cluster mode: links name their nodes; what asks for "upstream" (the health monitor) gets
    // slot 0's master, or the first seed before the slot map is known.
    config::UpstreamUrl url = configured;
    const std::shared_ptr<const ClusterMap> map = CurrentClusterMap();
    const config::Endpoint* node = map != nullptr ? map->NodeOf(0) : nullptr;
    const config::Endpoint& at = node != nullptr ? *node : configured.cluster_nodes.front();
    url.host = at.host;
    url.port = at.port;
    return url;
  }
  if (configured.sentinels.empty()) return configured;
  config::UpstreamUrl url = configured;
  std::lock_guard lock(g_master_mu);
  url.host = g_master_host;
  url.port = g_master_port;
  return url;
}

SentinelWatcher::SentinelWatcher(const config::Config& config,
                                 std::function<void(const std::string&)> moved,
                                 std::function<void(bool)> hold)
    : config_(config), moved_(std::move(moved)), hold_(std::move(hold)) {
  stats_.sentinels = config.upstream.parsed.sentinels.size();
  stats_.tls = config.sentinel.UsesTls(config.upstream.parsed.tls);
  if (!stats_.tls) return;
  std::string error;
  tls_ =
      tls::ClientContext::Create(config.tls, config.sentinel.tls_server_name, &error, "a sentinel");
  if (tls_ == nullptr) throw std::runtime_error("sentinel TLS: " + error);
  spdlog::info("sentinels over TLS, certificates checked against {}",
               config.sentinel.tls_server_name.empty()
                   ? "each sentinel's host"
                   : "'" + config.sentinel.tls_server_name + "'");
}

std::string SentinelWatcher::ReloadTls() {
  std::shared_ptr<tls::ClientContext> old = tls();
  if (old == nullptr) return "";
  std::string error;
  auto context = tls::ClientContext::Create(config_.tls, config_.sentinel.tls_server_name, &error,
                                            "a sentinel");
  if (context == nullptr) {
    spdlog::error("SIGHUP: sentinel TLS files not reloaded, the loaded ones stay in use: {}",
                  error);
    return "sentinel TLS files not reloaded: " + error;
  }
  context->ShareCounts(*old);
  std::lock_guard lock(mu_);
  tls_ = std::move(context);
  return "sentinel TLS files reloaded";
}

std::shared_ptr<tls::ClientContext> SentinelWatcher::tls() const {
  std::lock_guard lock(mu_);
  return tls_;
}

SentinelWatcher::Stats SentinelWatcher::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

config::UpstreamUrl SentinelWatcher::SentinelUrl(size_t i) const {
  config::UpstreamUrl url;
  url.host = config_.upstream.parsed.sentinels[i].host;
  url.port = config_.upstream.parsed.sentinels[i].port;
  url.user = config_.sentinel.user;
  url.password = config_.sentinel.password;
  url.tls = stats_.tls;  // set once, in the constructor
  return url;
}

SentinelWatcher::~SentinelWatcher() { Stop(); }

void SentinelWatcher::Start() {
  // The first answer is waited for, so respite starts forwarding instead of serving locally until
  // the first check; if no sentinel answers, the thread keeps asking.
  size_t via = 0;
  if (!Discover(&via)) {
    spdlog::warn("sentinel: no master for '{}' yet: {}", config_.upstream.parsed.master_name,
                 last_error());
  }
  thread_ = std::thread([this] { Run(); });
}

void SentinelWatcher::Stop() {
  stop_.store(true);
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string SentinelWatcher::master() const {
  std::lock_guard lock(g_master_mu);
  return g_master_host.empty() ? "" : config::Endpoint{g_master_host, g_master_port}.ToString();
}

std::string SentinelWatcher::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void SentinelWatcher::SetError(const std::string& error) {
  std::lock_guard lock(mu_);
  last_error_ = error;
}

void SentinelWatcher::Run() {
  const size_t n = config_.upstream.parsed.sentinels.size();
  subscribers_.clear();
  for (size_t i = 0; i < n; ++i) subscribers_.push_back(std::make_unique<BlockingClient>());
  messages_.assign(n, "");
  while (!stop_.load()) {
    size_t via = 0;
    Discover(&via);
    // The new master is published (links closed) or the failover ended: let the held go.
    if (holding_ && (master() != held_master_ || failover_over_)) {
      Hold(false, failover_over_ ? "the failover ended without a switch" : "the master is known");
    }
    Subscribe();
    const auto until = std::chrono::steady_clock::now() + kCheckInterval;
    while (!stop_.load() && std::chrono::steady_clock::now() < until) {
      if (Listen(kListenSliceMs)) break;
      if (holding_ && std::chrono::steady_clock::now() - hold_since_ > kMaxHold) {
        Hold(false, "no new master within " + std::to_string(kMaxHold.count()) + " ms");
      }
    }
  }
  if (holding_) Hold(false, "stopping");
}

void SentinelWatcher::Hold(bool on, const std::string& why) {
  {
    std::lock_guard lock(mu_);
    if (on) {
      ++stats_.holds;
    } else {
      stats_.held_ms += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  std::chrono::steady_clock::now() - hold_since_)
                                                  .count());
    }
  }
  holding_ = on;
  held_master_ = master();
  failover_over_ = false;
  hold_since_ = std::chrono::steady_clock::now();
  spdlog::info("sentinel: {} clients' commands ({})", on ? "holding" : "releasing", why);
  hold_(on);
}

void SentinelWatcher::Subscribe() {
  const uint32_t timeout = config_.upstream.connect_timeout_ms;
  for (size_t i = 0; i < subscribers_.size() && !stop_.load(); ++i) {
    BlockingClient& subscriber = *subscribers_[i];
    if (subscriber.connected()) continue;
    messages_[i].clear();
    std::string request, reply, error;
    resp::AppendCommand(&request,
                        {"SUBSCRIBE", "+switch-master", "+failover-state-send-slaveof-noone",
                         "-failover-abort-not-elected", "-failover-abort-no-good-slave",
                         "-failover-abort-slave-timeout", "+failover-end-for-timeout"});
    // The first confirmation is read here; the others arrive as messages and are skipped.
    if (!subscriber.Connect(SentinelUrl(i), timeout, &error, tls()) ||
        !subscriber.Call(request, timeout, &reply, &error)) {
      subscriber.Close();
    }
  }
  CountListening();
}

void SentinelWatcher::CountListening() {
  size_t listening = 0;
  for (const auto& subscriber : subscribers_) listening += subscriber->connected() ? 1 : 0;
  std::lock_guard lock(mu_);
  stats_.listening = listening;
}

bool SentinelWatcher::Listen(uint32_t ms) {
  std::vector<pollfd> fds;
  std::vector<size_t> which;
  for (size_t i = 0; i < subscribers_.size(); ++i) {
    if (!subscribers_[i]->connected()) continue;
    fds.push_back(pollfd{subscribers_[i]->fd(), POLLIN, 0});
    which.push_back(i);
  }
  if (fds.empty()) {
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_.load(); });
    return false;
  }
  if (::poll(fds.data(), fds.size(), static_cast<int>(ms)) <= 0) return false;
  bool look = false;
  for (size_t k = 0; k < fds.size(); ++k) {
    if (fds[k].revents == 0) continue;
    const size_t i = which[k];
    std::string error;
    // ReadSome, not Read: a quiet channel must not cost the subscription.
    if (!subscribers_[i]->ReadSome(0, &messages_[i], &error)) {
      subscribers_[i]->Close();
      messages_[i].clear();
      CountListening();
      continue;
    }
    look = HandleMessages(i) || look;
  }
  return look;
}

bool SentinelWatcher::HandleMessages(size_t sentinel) {
  std::string& buffered = messages_[sentinel];
  const std::string& name = config_.upstream.parsed.master_name;
  bool look = false;
  for (;;) {
    resp::ReplyScanner scanner;
    const resp::ScanStatus status = scanner.Scan(buffered);
    if (status == resp::ScanStatus::kNeedMore) break;
    if (status == resp::ScanStatus::kError) {
      subscribers_[sentinel]->Close();
      buffered.clear();
      break;
    }
    const std::string message = buffered.substr(0, scanner.reply_len());
    buffered.erase(0, scanner.reply_len());
    // ["message", channel, payload]; subscription confirmations are skipped.
    std::vector<std::string_view> parts;
    if (!SplitArray(message, &parts) || parts.size() != 3 || StringOf(parts[0]) != "message") {
      continue;
    }
    const std::string_view channel = StringOf(parts[1]), text = StringOf(parts[2]);
    if (channel == "+switch-master") {
      // "<name> <old ip> <old port> <new ip> <new port>"
      if (!text.starts_with(name + " ")) continue;
      spdlog::info("sentinel: +switch-master {}", text);
      look = true;
    } else if (text.starts_with("master " + name + " ") ||
               text.find(" @ " + name + " ") != std::string_view::npos) {
      // A step of this master's failover: "master <name> <ip> <port>", or about the replica
      // being promoted, "slave <ip:port> <ip> <port> @ <name> <master ip> <master port>".
      if (channel == "+failover-state-send-slaveof-noone") {
        if (!holding_) Hold(true, "Sentinel is promoting a replica of '" + name + "'");
      } else {
        spdlog::info("sentinel: {} {}", channel, text);
        failover_over_ = true;
        look = true;
      }
    }
  }
  return look;
}

bool SentinelWatcher::Discover(size_t* via) {
  const config::UpstreamUrl& configured = config_.upstream.parsed;
  const size_t n = configured.sentinels.size();
  const uint32_t timeout = config_.upstream.connect_timeout_ms;
  std::string errors;
  for (size_t k = 0; k < n && !stop_.load(); ++k) {
    const size_t i = (preferred_ + k) % n;
    const config::Endpoint& at = configured.sentinels[i];
    const auto failed = [&](const std::string& why) {
      errors += (errors.empty() ? "" : "; ") + ("sentinel " + at.ToString() + ": " + why);
    };
    BlockingClient client;
    std::string request, reply, error;
    resp::AppendCommand(&request, {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", configured.master_name});
    if (!client.Connect(SentinelUrl(i), timeout, &error, tls()) ||
        !client.Call(request, timeout, &reply, &error)) {
      failed(error);
      continue;
    }
    std::vector<std::string_view> parts;
    if (!SplitArray(reply, &parts) || parts.size() != 2) {
      failed(reply.starts_with("-") ? ErrorText(reply)
                                    : "knows no master named '" + configured.master_name + "'");
      continue;
    }
    const std::string host(StringOf(parts[0]));
    const std::string_view port_text = StringOf(parts[1]);
    uint16_t port = 0;
    std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    // A sentinel that has not seen a failover yet names the old master: ask it what it is.
    config::UpstreamUrl master = configured;
    master.sentinels.clear();
    master.host = host;
    master.port = port;
    const std::string where = config::Endpoint{host, port}.ToString();
    BlockingClient node;
    request.clear();
    resp::AppendCommand(&request, {"ROLE"});
    if (!node.Connect(master, timeout, &error) || !node.Call(request, timeout, &reply, &error)) {
      failed("names " + where + ", which does not answer: " + error);
      continue;
    }
    if (!SplitArray(reply, &parts) || parts.empty() || StringOf(parts[0]) != "master") {
      failed("names " + where + ", which is not a master (ROLE: " +
             std::string(parts.empty() ? std::string_view(reply) : StringOf(parts[0])) + ")");
      continue;
    }
    preferred_ = i;
    *via = i;
    SetError("");
    Publish(host, port);
    return true;
  }
  SetError(errors);
  return false;
}

void SentinelWatcher::Publish(const std::string& host, uint16_t port) {
  std::string was;
  {
    std::lock_guard lock(g_master_mu);
    if (host == g_master_host && port == g_master_port) return;
    if (!g_master_host.empty()) was = config::Endpoint{g_master_host, g_master_port}.ToString();
    g_master_host = host;
    g_master_port = port;
  }
  const std::string now = config::Endpoint{host, port}.ToString();
  spdlog::info("sentinel: master '{}' at {}{}", config_.upstream.parsed.master_name, now,
               was.empty() ? "" : " (was " + was + ")");
  // No link may keep writing to the old master: it is a replica now, or gone.
  if (!was.empty()) {
    {
      std::lock_guard lock(mu_);
      ++stats_.switches;
    }
    moved_("master moved to " + now);
  }
}

}  // namespace respite::proxy
