#include "proxy/upstream/sentinel_watcher.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <vector>

#include "proxy/upstream/blocking_client.h"
#include "resp/command_encoder.h"
#include "resp/reply_scanner.h"

namespace respite::proxy {
namespace {

// The master every upstream connection goes to in Sentinel mode.
std::mutex g_master_mu;
std::string g_master_host;
uint16_t g_master_port = 0;

// Slices of the wait for +switch-master, so Stop() is not held up long.
constexpr uint32_t kListenSliceMs = 200;
constexpr auto kCheckInterval = std::chrono::seconds(1);

}  // namespace

config::UpstreamUrl CurrentUpstream(const config::UpstreamUrl& configured) {
  if (configured.sentinels.empty()) return configured;
  config::UpstreamUrl url = configured;
  std::lock_guard lock(g_master_mu);
  url.host = g_master_host;
  url.port = g_master_port;
  return url;
}

SentinelWatcher::SentinelWatcher(const config::Config& config,
                                 std::function<void(const std::string&)> moved)
    : config_(config), moved_(std::move(moved)) {}

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
  BlockingClient subscriber;
  size_t subscribed_to = SIZE_MAX;
  while (!stop_.load()) {
    size_t via = 0;
    const bool found = Discover(&via);
    if (found && (subscribed_to != via || !subscriber.connected())) {
      // Listen on the sentinel that answered: +switch-master says when to look again.
      subscriber.Close();
      messages_.clear();
      subscribed_to = SIZE_MAX;
      const config::Endpoint& at = config_.upstream.parsed.sentinels[via];
      config::UpstreamUrl url;
      url.host = at.host;
      url.port = at.port;
      url.user = config_.sentinel.user;
      url.password = config_.sentinel.password;
      std::string request, reply, error;
      resp::AppendCommand(&request, {"SUBSCRIBE", "+switch-master"});
      const uint32_t timeout = config_.upstream.connect_timeout_ms;
      if (subscriber.Connect(url, timeout, &error) &&
          subscriber.Call(request, timeout, &reply, &error)) {
        subscribed_to = via;
      } else {
        subscriber.Close();
      }
    }
    const auto until = std::chrono::steady_clock::now() + kCheckInterval;
    while (!stop_.load() && std::chrono::steady_clock::now() < until) {
      if (subscriber.connected()) {
        if (AwaitSwitch(subscriber, kListenSliceMs)) break;
      } else {
        std::unique_lock lock(mu_);
        wake_.wait_until(lock, until, [this] { return stop_.load(); });
      }
    }
  }
}

bool SentinelWatcher::AwaitSwitch(BlockingClient& subscriber, uint32_t ms) {
  // ReadSome, not Read: a quiet channel must not cost the subscription.
  std::string error;
  if (!subscriber.ReadSome(ms, &messages_, &error)) {
    subscriber.Close();
    messages_.clear();
    return false;
  }
  bool switched = false;
  const std::string& name = config_.upstream.parsed.master_name;
  for (;;) {
    resp::ReplyScanner scanner;
    const resp::ScanStatus status = scanner.Scan(messages_);
    if (status == resp::ScanStatus::kNeedMore) break;
    if (status == resp::ScanStatus::kError) {
      subscriber.Close();
      messages_.clear();
      break;
    }
    const std::string message = messages_.substr(0, scanner.reply_len());
    messages_.erase(0, scanner.reply_len());
    // ["message", "+switch-master", "<name> <old ip> <old port> <new ip> <new port>"]
    std::vector<std::string_view> parts;
    if (!SplitArray(message, &parts) || parts.size() != 3) continue;
    const std::string_view text = StringOf(parts[2]);
    if (!text.starts_with(name + " ")) continue;
    spdlog::info("sentinel: +switch-master {}", text);
    switched = true;
  }
  return switched;
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
    config::UpstreamUrl sentinel;
    sentinel.host = at.host;
    sentinel.port = at.port;
    sentinel.user = config_.sentinel.user;
    sentinel.password = config_.sentinel.password;
    BlockingClient client;
    std::string request, reply, error;
    resp::AppendCommand(&request, {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", configured.master_name});
    if (!client.Connect(sentinel, timeout, &error) ||
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
  if (!was.empty()) moved_("master moved to " + now);
}

}  // namespace respite::proxy
