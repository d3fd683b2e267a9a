#include "proxy/server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <functional>
#include <future>
#include <thread>

#include "config/loader.h"
#include "proxy/admin/admin_server.h"
#include "proxy/client/pubsub_hub.h"
#include "proxy/cluster/cluster_watcher.h"
#include "proxy/cpu_budget.h"
#include "proxy/failover/failover.h"
#include "proxy/io_thread.h"
#include "proxy/logging.h"
#include "proxy/metrics.h"
#include "proxy/store_executor.h"
#include "proxy/upstream/sentinel_watcher.h"
#include "storage/local_store.h"
#include "storage/private_dir.h"
#include "tls/client_context.h"
#include "tls/server_context.h"

namespace respite::proxy {

namespace asio = boost::asio;
using asio::ip::tcp;

Server::Server(config::Config config)
    : config_(std::move(config)), pubsub_(std::make_unique<PubSubHub>()) {}

Server::~Server() = default;

namespace {
// Adds one to `count` unless it has reached `max` (several io threads race for the last slot).
bool TakeSlot(std::atomic<uint32_t>& count, uint32_t max) {
  uint32_t n = count.load(std::memory_order_relaxed);
  do {
    if (n >= max) return false;
  } while (!count.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
  return true;
}
}  // namespace

bool Server::TryAddClient() { return TakeSlot(clients_, config_.limits.max_clients); }

void Server::RemoveClient() { clients_.fetch_sub(1, std::memory_order_relaxed); }

bool Server::TryTakeDedicated() {
  return TakeSlot(dedicated_in_use_, config_.upstream.max_dedicated);
}

std::string Server::UpstreamVersion() const {
  std::lock_guard lock(version_mu_);
  return upstream_version_;
}

void Server::SetUpstreamVersion(std::string version) {
  std::lock_guard lock(version_mu_);
  upstream_version_ = std::move(version);
}

std::string Server::UpstreamAddress() const {
  std::lock_guard lock(version_mu_);
  return upstream_address_;
}

void Server::SetUpstreamAddress(std::string address) {
  std::lock_guard lock(version_mu_);
  if (address != upstream_address_ && !upstream_address_.empty()) {
    const auto& url = config_.upstream.parsed;
    spdlog::info("upstream {} now at {} (was {})",
                 url.sentinels.empty() ? url.host : url.master_name, address, upstream_address_);
  }
  upstream_address_ = std::move(address);
}

bool Server::ClaimCommandLearning() {
  bool expected = false;
  return learning_claimed_.compare_exchange_strong(expected, true);
}

bool Server::serve_locally() const { return failover_->ServeLocally(); }

void Server::OnUpstreamDown() {
  for (auto& t : threads_) t->PostCloseUpstreamLinks("upstream marked down");
}

void Server::CloseNodeLinks(const config::Endpoint& node, const std::string& reason) {
  for (auto& t : threads_) t->PostCloseNodeLinks(node, reason);
}

void Server::QuiesceIoThreads() {
  std::vector<std::future<void>> done;
  for (auto& t : threads_) done.push_back(t->PostAndSignal());
  for (auto& f : done) f.wait_for(std::chrono::seconds(2));
}

void Server::WakeAllSessions() {
  for (auto& t : threads_) t->PostWakeAllSessions();
}

void Server::RequestShutdown() {
  if (!shutting_down_) shutdown_started_ = std::chrono::steady_clock::now();
  shutting_down_ = true;
  for (auto& t : threads_) t->PostShutdown();
}

void Server::SetReloadSource(std::vector<std::string> args, std::vector<std::string> env) {
  reload_args_ = std::move(args);
  reload_env_ = std::move(env);
}

std::string Server::Reload() {
  config::LoadResult loaded = config::Load(reload_args_, reload_env_);
  if (!loaded.error.empty()) {
    spdlog::error("SIGHUP: config not reloaded: {}", loaded.error);
    return "config not reloaded: " + loaded.error;
  }
  const config::Config& next = loaded.config;
  if (std::string error = SetupLogging(next.log); !error.empty()) {
    spdlog::error("SIGHUP: log settings not applied: {}", error);
    return "log settings not applied: " + error;
  }
  // Everything else is read by running threads without locks: it takes a restart.
  const std::string before = config::SettingsSummary(config_);
  const std::string after = config::SettingsSummary(next);
  std::vector<std::string> pending;
  size_t a = 0, b = 0;
  while (a < before.size() && b < after.size()) {
    const size_t ea = before.find('\n', a), eb = after.find('\n', b);
    const std::string old_line = before.substr(a, ea - a), new_line = after.substr(b, eb - b);
    a = ea + 1;
    b = eb + 1;
    if (old_line == new_line || old_line.rfind("log.", 0) == 0) continue;
    pending.push_back(old_line.substr(0, old_line.find(':')));
  }
  std::string result = "log level " + next.log.level + ", format " + next.log.format;
  if (std::string tls = ReloadUpstreamTls(); !tls.empty()) result += "; " + tls;
  if (sentinel_) {
    if (std::string tls = sentinel_->ReloadTls(); !tls.empty()) result += "; " + tls;
  }
  if (std::string tls = ReloadClientTls(); !tls.empty()) result += "; " + tls;
  spdlog::info("SIGHUP: config reloaded: {}", result);
  if (!pending.empty()) {
    std::string names;
    for (const std::string& n : pending) names += (names.empty() ? "" : ", ") + n;
    spdlog::warn("SIGHUP: changed settings that take a restart to apply: {}", names);
    result += "; restart to apply: " + names;
  }
  return result;
}

void Server::SetUpUpstreamTls() {
  const config::TlsConfig& tls = config_.tls;
  const config::UpstreamUrl& url = config_.upstream.parsed;
  if (!url.tls) {
    // The sentinels' TLS (sentinel.tls: yes) uses these settings too.
    if (!url.sentinels.empty() && config_.sentinel.UsesTls(false)) return;
    const config::TlsConfig defaults;
    if (tls.ca_file != defaults.ca_file || tls.ca_dir != defaults.ca_dir ||
        tls.client_cert_file != defaults.client_cert_file ||
        tls.server_name != defaults.server_name || tls.verify != defaults.verify) {
      spdlog::warn(
          "the upstream tls settings apply to a rediss:// upstream; upstream {} is plain TCP",
          config_.upstream.parsed.Redacted());
    }
    return;
  }
  std::string error;
  auto context = tls::ClientContext::Create(tls, tls.server_name, &error);
  if (context == nullptr) throw std::runtime_error("upstream TLS: " + error);
  if (!tls.verify) {
    spdlog::warn(
        "tls.verify is off: upstream's certificate and name are not checked, so anyone on the "
        "path can pose as Redis and read every command; for tests only");
  }
  const std::string checked = !tls.server_name.empty()     ? "'" + tls.server_name + "'"
                              : !url.sentinels.empty()     ? "the master's address"
                              : !url.cluster_nodes.empty() ? "each node's address"
                                                           : "'" + url.host + "'";
  spdlog::info("upstream over TLS (min {}), certificate checked against {}{}{}", tls.min_version,
               checked, tls.verify ? "" : " (not checked: tls.verify off)",
               tls.client_cert_file.empty() ? "" : ", with respite's client certificate");
  tls::SetUpstreamContext(std::move(context));
}

std::string Server::ReloadUpstreamTls() {
  std::shared_ptr<tls::ClientContext> old = tls::UpstreamContext();
  if (old == nullptr) return "";
  // The files the running settings name, read again (a rotated certificate, CA or key); settings
  // that changed still take a restart, like every other one.
  std::string error;
  auto context = tls::ClientContext::Create(config_.tls, config_.tls.server_name, &error);
  if (context == nullptr) {
    spdlog::error("SIGHUP: upstream TLS files not reloaded, the loaded ones stay in use: {}",
                  error);
    return "upstream TLS files not reloaded: " + error;
  }
  context->ShareCounts(*old);
  tls::SetUpstreamContext(std::move(context));
  return "upstream TLS files reloaded (for new connections)";
}

void Server::WarnProtectedMode() const {
  if (!config_.protected_mode || !config_.requirepass.empty()) return;
  const auto warn = [](const config::Endpoint& at, const char* where, const char* others) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(at.host, ec);
    if (at.port == 0 || (!ec && address.is_loopback())) return;
    spdlog::warn(
        "protected mode: no requirepass is set, so only clients connecting from 127.0.0.1 or ::1 "
        "are served{}; others {} (set requirepass, or protected_mode: no where only trusted peers "
        "can reach {})",
        where, others, at.ToString());
  };
  warn(config_.listen, "", "get -DENIED");
  // A TLS listener that requires client certificates lets every certified client in.
  if (config_.tls.auth_clients != "yes") {
    warn(config_.tls.listen, " on the TLS listener", "are disconnected");
  }
}

void Server::WarnIfExpired(const tls::ServerContext& context) const {
  if (context.not_after_unix() != 0 && context.not_after_unix() < std::time(nullptr)) {
    spdlog::warn("tls.cert_file: the certificate expired at {}; clients that check it refuse it",
                 context.not_after());
  }
}

void Server::SetUpClientTls() {
  const config::TlsConfig& tls = config_.tls;
  if (tls.listen.port == 0 && !tls.admin) return;
  std::string error;
  auto context = tls::ServerContext::Create(tls, &error);
  if (context == nullptr) throw std::runtime_error("client TLS: " + error);
  spdlog::info("client TLS with certificate {} (expires {}); client certificates: {}",
               context->subject(), context->not_after(),
               tls.auth_clients == "yes"        ? "required"
               : tls.auth_clients == "optional" ? "checked when sent"
                                                : "not asked for");
  WarnIfExpired(*context);
  tls::SetListenerContext(std::move(context));
}

std::string Server::ReloadClientTls() {
  std::shared_ptr<tls::ServerContext> old = tls::ListenerContext();
  if (old == nullptr) return "";
  std::string error;
  auto context = tls::ServerContext::Create(config_.tls, &error);
  if (context == nullptr) {
    spdlog::error("SIGHUP: client TLS files not reloaded, the loaded ones stay in use: {}", error);
    return "client TLS files not reloaded: " + error;
  }
  context->ShareCounts(*old);
  WarnIfExpired(*context);
  const std::string subject = context->subject(), not_after = context->not_after();
  tls::SetListenerContext(std::move(context));
  return "client TLS files reloaded (certificate " + subject + ", expires " + not_after +
         "; for new connections)";
}

bool Server::OpenStore() {
  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec) {
    spdlog::error("cannot create data dir {}: {}", config_.data_dir, ec.message());
    return false;
  }
  // The journal and its key live in DIR/store, which is respite's own and private (a data dir that
  // existed keeps its mode: it may be a volume set up for respite). Never run with a journal
  // others can read.
  if (std::string error = storage::MakePrivateDir(config_.data_dir + "/store"); !error.empty()) {
    throw std::runtime_error("data dir: " + error +
                             "; respite keeps the journal only where no other user can read it");
  }
  storage::EngineOptions options;
  options.dir = config_.data_dir + "/store";
  options.fsync = config_.storage.fsync == "always" ? storage::Fsync::kAlways
                  : config_.storage.fsync == "no"   ? storage::Fsync::kNo
                                                    : storage::Fsync::kEverySec;
  options.block_cache_bytes = config_.storage.block_cache;
  options.log = [](bool error, std::string_view line) {
    if (error) {
      spdlog::error("rocksdb: {}", line);
    } else {
      spdlog::warn("rocksdb: {}", line);
    }
  };
  options.total_memtable_bytes = config_.storage.memtables;
  options.key_cache_bytes = config_.storage.key_cache;
  options.min_free_bytes = config_.storage.min_free_disk;
  storage::JournalLimits limits;
  limits.max_bytes = config_.journal.max_bytes;
  limits.max_entry_bytes = config_.journal.max_entry_bytes;
  auto opened = storage::LocalStore::Open(options, &clock_, limits);
  if (!opened.ok()) {
    spdlog::error("cannot open the local store in {}: {}", options.dir, opened.status().ToString());
    return false;
  }
  // redis.log from scripts, at Redis' levels (debug, verbose, notice, warning).
  opened.value()->SetScriptLog([](int level, std::string_view message) {
    static constexpr spdlog::level::level_enum kLevels[] = {
        spdlog::level::debug, spdlog::level::debug, spdlog::level::info, spdlog::level::warn};
    spdlog::log(kLevels[level], "script: {}", message);
  });
  opened.value()->SetPubSubBroker(pubsub_.get());
  store_ = std::make_unique<StoreExecutor>(std::move(opened).value(), &clock_,
                                           options.fsync == storage::Fsync::kEverySec);
  // The store publishes on its own thread: messages travel with its replies (PostInOrder).
  pubsub_->SetPoster([store = store_.get()](IoThread* io, std::function<void()> fn, bool after) {
    store->PostInOrder(io, std::move(fn), after);
  });
  store_->Call([this](storage::LocalStore& s) {
    s.SetClientCounts(
        [this] { return std::pair<uint64_t, uint64_t>(clients(), store_->parked_count()); });
    return 0;
  });
  spdlog::info("local store open in {} (fsync {})", options.dir, config_.storage.fsync);
  return true;
}

int Server::Run() {
  std::signal(SIGPIPE, SIG_IGN);
  SetUpUpstreamTls();
  SetUpClientTls();
  if (!OpenStore() && config_.mode == "local") {
    throw std::runtime_error("mode local needs the local store, which could not be opened");
  }
  failover_ = std::make_unique<Failover>(config_, *this, store_.get());
  metrics_ = std::make_unique<Metrics>();
  asio::io_context main_context(1);
  tcp::resolver resolver(main_context);
  const auto resolve = [&resolver](const config::Endpoint& at) {
    return resolver.resolve(at.host, std::to_string(at.port)).begin()->endpoint();
  };

  const bool plain = config_.listen.port != 0, secure = config_.tls.listen.port != 0;
  const tcp::endpoint plain_at = plain ? resolve(config_.listen) : tcp::endpoint();
  const tcp::endpoint secure_at = secure ? resolve(config_.tls.listen) : tcp::endpoint();
  // SO_REUSEPORT would let both bind one port: plain clients could land on the TLS socket.
  if (plain && secure && plain_at.port() == secure_at.port() &&
      (plain_at.address() == secure_at.address() || plain_at.address().is_unspecified() ||
       secure_at.address().is_unspecified())) {
    throw std::runtime_error("tls.listen " + config_.tls.listen.ToString() + " overlaps listen " +
                             config_.listen.ToString() + ": give the TLS listener its own port");
  }

  unsigned n = config_.io_threads;
  if (n == 0) n = DefaultIoThreads();
  for (unsigned i = 0; i < n; ++i) {
    threads_.push_back(std::make_unique<IoThread>(*this, config_, static_cast<int>(i)));
    if (plain) threads_.back()->Listen(plain_at);
    if (secure) threads_.back()->Listen(secure_at, true);
  }
  std::string where = config_.listen.port != 0 ? config_.listen.ToString() : "";
  if (config_.tls.listen.port != 0) {
    where += (where.empty() ? "" : " and ") + config_.tls.listen.ToString() + " (TLS)";
  }
  spdlog::info("listening on {} with {} io threads; upstream {}", where, n,
               config_.upstream.parsed.Redacted());
  WarnProtectedMode();
  const uint64_t pending =
      store_ ? store_->Call([](storage::LocalStore& s) { return s.journal().pending_entries(); })
             : 0;
  if (!config_.upstream.parsed.sentinels.empty()) {
    sentinel_ = std::make_unique<SentinelWatcher>(
        config_,
        [this](const std::string& why) {
          for (auto& t : threads_) t->PostCloseUpstreamLinks(why);
        },
        [this](bool on) {
          if (on) {
            failover_->HoldForMasterSwitch();
          } else {
            failover_->ReleaseMasterSwitchHold();
          }
        });
    sentinel_->Start();
  }
  if (!config_.upstream.parsed.cluster_nodes.empty()) {
    cluster_ = std::make_unique<ClusterWatcher>(config_);
    cluster_->Start();
  }
  failover_->Start(pending);
  if (config_.admin.port != 0) {
    // Off the client path: a failure to bind is logged and respite serves on without it.
    admin_ = std::make_unique<AdminServer>(*this);
    if (std::string error = admin_->Start(config_.admin); !error.empty()) {
      spdlog::error("admin endpoint not started: {}", error);
      admin_.reset();
    }
  }

  std::atomic<unsigned> running{n};
  std::vector<std::thread> workers;
  for (auto& t : threads_) {
    workers.emplace_back([&running, io = t.get()] {
      io->Run();
      running.fetch_sub(1);
    });
  }

  // SIGHUP reloads; the handler re-arms itself until shutdown.
  asio::signal_set hangup(main_context, SIGHUP);
  std::function<void(boost::system::error_code, int)> on_hangup = [&](boost::system::error_code ec,
                                                                      int) {
    if (ec) return;
    Reload();
    hangup.async_wait(on_hangup);
  };
  hangup.async_wait(on_hangup);
  asio::signal_set signals(main_context, SIGINT, SIGTERM);
  signals.async_wait([this, &hangup](boost::system::error_code ec, int sig) {
    if (ec) return;
    hangup.cancel();
    spdlog::info("received {}; draining clients (up to {} ms)",
                 sig == SIGTERM ? "SIGTERM" : "SIGINT", config_.shutdown_timeout_ms);
    RequestShutdown();
  });
  main_context.run();
  // Shutting down: the master stays where it is now (the watcher would post to io threads that
  // are ending).
  if (sentinel_) sentinel_->Stop();
  if (cluster_) cluster_->Stop();

  // Each io thread ends by itself once its clients are done (bounded by the shutdown timeout).
  // Past that and a grace period, stop the loops outright.
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(config_.shutdown_timeout_ms) +
                        std::chrono::seconds(2);
  while (running.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const bool forced = running.load() > 0;
  if (forced) {
    spdlog::warn("io threads did not finish in time; stopping them");
    for (auto& t : threads_) t->context().stop();
  }
  for (auto& w : workers) w.join();
  if (forced) {
    // Handlers still queued may refer to sessions; let process exit reclaim the memory.
    for (auto& t : threads_) (void)t.release();
  }
  if (admin_) admin_->Stop();
  failover_->Stop();
  // The clients are gone: what the journal holds goes upstream now if it answers, in what is
  // left of shutdown_timeout_ms, so a pod deleted during an outage keeps as little as it can.
  const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - shutdown_started_)
                         .count();
  if (store_ && shutting_down()) {
    failover_->DrainBeforeExit(static_cast<uint64_t>(
        std::max<int64_t>(0, static_cast<int64_t>(config_.shutdown_timeout_ms) - spent)));
  }
  if (store_) store_->Stop();
  spdlog::info("shut down");
  return 0;
}

}  // namespace respite::proxy
