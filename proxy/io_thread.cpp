#include "proxy/io_thread.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <system_error>

#include "proxy/client/client_session.h"
#include "proxy/cluster/cluster_map.h"
#include "proxy/errors.h"
#include "proxy/loopback.h"
#include "proxy/metrics.h"
#include "proxy/server.h"
#include "proxy/upstream/upstream_link.h"
#include "resp/command_encoder.h"
#include "storage/local_store.h"
#include "tls/server_context.h"

namespace respite::proxy {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto kTickInterval = std::chrono::milliseconds(100);
}  // namespace

IoThread::IoThread(Server& server, const config::Config& config, int index)
    : server_(server),
      config_(config),
      index_(index),
      // One thread runs this context; only posts come from other threads, so the reactor's
      // per-socket locking can go.
      context_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO),
      acceptor_(context_),
      tls_acceptor_(context_),
      ticker_(context_),
      metrics_(server.metrics().AddThread()) {}

IoThread::~IoThread() = default;

uint64_t IoThread::NowMs() const {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

uint64_t IoThread::CoarseNowMs() {
  if (coarse_now_ms_ == 0) coarse_now_ms_ = NowMs();
  return coarse_now_ms_;
}

void IoThread::Listen(const tcp::endpoint& endpoint, bool tls) {
  tcp::acceptor& acceptor = tls ? tls_acceptor_ : acceptor_;
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  // Every io thread listens on the same port; the kernel spreads new connections over them.
  int one = 1;
  if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    throw std::system_error(errno, std::generic_category(), "setsockopt(SO_REUSEPORT)");
  }
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
}

void IoThread::Run() {
  if (acceptor_.is_open()) Accept(acceptor_, false);
  if (tls_acceptor_.is_open()) Accept(tls_acceptor_, true);
  Tick();
  context_.run();
}

bool IoThread::MayLogTlsFailure() {
  const uint64_t now = CoarseNowMs();
  if (tls_failure_logged_ms_ != 0 && now - tls_failure_logged_ms_ < 1000) return false;
  tls_failure_logged_ms_ = now;
  return true;
}

void IoThread::Accept(tcp::acceptor& acceptor, bool tls) {
  asio::co_spawn(
      context_,
      [this, &acceptor, tls]() -> asio::awaitable<void> {
        asio::steady_timer pause(context_);
        for (;;) {
          auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
          if (shutting_down_ || ec == asio::error::operation_aborted) co_return;
          if (ec) {
            // Out of file descriptors and the like: say so, and do not spin.
            spdlog::warn("accept failed: {}", ec.message());
            pause.expires_after(std::chrono::milliseconds(50));
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
          }
          if (Refused(socket, tls)) continue;
          server_.metrics().CountConnection();
          std::shared_ptr<tls::ServerContext> context;
          if (tls) context = tls::ListenerContext();  // the newest (SIGHUP replaces it)
          ClientSession::Start(*this, std::move(socket), server_.NextClientId(),
                               std::move(context));
        }
      },
      asio::detached);
}

bool IoThread::Refused(tcp::socket& socket, bool tls) {
  std::string_view why;
  const auto from_outside = [&socket] {
    boost::system::error_code ec;
    const tcp::endpoint peer = socket.remote_endpoint(ec);
    return ec || !IsLoopbackPeer(peer);
  };
  // A client certificate that respite checks is a login: protected mode guards the listeners
  // where anyone may connect unchallenged.
  const bool certified = tls && config_.tls.auth_clients == "yes";
  if (config_.protected_mode && config_.requirepass.empty() && !certified && from_outside()) {
    why = errors::kProtectedMode;
    server_.metrics().CountRejected(Metrics::Rejection::kProtectedMode);
  } else if (!server_.TryAddClient()) {
    why = errors::kMaxClients;
    server_.metrics().CountRejected(Metrics::Rejection::kMaxClients);
  } else {
    return false;
  }
  const std::string reply = "-" + std::string(why) + "\r\n";
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);
  if (!tls) socket.write_some(asio::buffer(reply), ignored);
  socket.close(ignored);
  return true;
}

void IoThread::Tick() {
  ticker_.expires_after(kTickInterval);
  ticker_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    const uint64_t now = NowMs();
    coarse_now_ms_ = now;
    ForEachLink([now](UpstreamLink& link) { link.CheckTimeout(now); });
    // Copy: a check may close a session, which removes itself from the list.
    std::vector<ClientSession*> sessions = sessions_;
    for (ClientSession* s : sessions) s->CheckIdle(now);
    if (shutting_down_) {
      if (now >= shutdown_deadline_ms_ && !sessions_.empty()) {
        spdlog::warn("shutdown timeout: closing {} connections with replies still in flight",
                     sessions_.size());
        sessions = sessions_;
        for (ClientSession* s : sessions) s->ForceClose();
      }
      if (sessions_.empty()) {
        ForEachLink([](UpstreamLink& link) { link.Close("shutting down"); });
        return;  // no more ticks: the loop ends once the closes have run
      }
    }
    Tick();
  });
}

void IoThread::PostShutdown() {
  asio::post(context_, [this] { Shutdown(); });
}

void IoThread::Shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  shutdown_deadline_ms_ = NowMs() + config_.shutdown_timeout_ms;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  tls_acceptor_.close(ignored);
  std::vector<ClientSession*> sessions = sessions_;
  for (ClientSession* s : sessions) s->BeginShutdown();
}

void IoThread::ForEachLink(const std::function<void(UpstreamLink&)>& f) {
  for (auto& by_db : shared_) {
    for (auto& link : by_db) {
      if (link) f(*link);
    }
  }
  for (auto& link : user_shared_) f(*link);
  for (auto& link : node_shared_) f(*link);
  for (auto& link : dedicated_) f(*link);
}

UpstreamLink& IoThread::SharedLink(int db, int protocol, uint32_t user) {
  if (user != 0) {
    // ACL users are few: a list is enough.
    for (auto& link : user_shared_) {
      if (link->user() == user && link->db() == db && link->protocol() == protocol) return *link;
    }
    user_shared_.push_back(
        std::make_unique<UpstreamLink>(*this, UpstreamLink::Kind::kShared, db, protocol, user));
    return *user_shared_.back();
  }
  auto& slot = shared_[static_cast<size_t>(db)][protocol == 3 ? 1 : 0];
  if (!slot)
    slot = std::make_unique<UpstreamLink>(*this, UpstreamLink::Kind::kShared, db, protocol);
  return *slot;
}

const ClusterMap* IoThread::ClusterMapNow() {
  if (const uint64_t version = ClusterMapVersion(); version != cluster_map_version_) {
    cluster_map_ = CurrentClusterMap();
    cluster_map_version_ = cluster_map_ != nullptr ? cluster_map_->version : 0;
  }
  return cluster_map_.get();
}

UpstreamLink& IoThread::NodeLink(const config::Endpoint& node, int protocol, uint32_t user) {
  // Nodes are few (a link per node, protocol and user): a list is enough.
  for (auto& link : node_shared_) {
    const config::Endpoint* at = link->node();
    if (at->port == node.port && at->host == node.host && link->protocol() == protocol &&
        link->user() == user) {
      return *link;
    }
  }
  node_shared_.push_back(
      std::make_unique<UpstreamLink>(*this, UpstreamLink::Kind::kShared, 0, protocol, user, &node));
  return *node_shared_.back();
}

UpstreamLink* IoThread::AcquireDedicated(ReplySink* owner, const UpstreamLink::ConnState& wanted,
                                         const config::Endpoint* node) {
  if (!server_.TryTakeDedicated()) {
    server_.metrics().CountDedicatedRefused();
    return nullptr;
  }
  const auto same_node = [node](const UpstreamLink* l) {
    return node == nullptr ||
           (l->node() != nullptr && l->node()->port == node->port && l->node()->host == node->host);
  };
  UpstreamLink* link;
  auto it = std::find_if(idle_dedicated_.rbegin(), idle_dedicated_.rend(), [&](UpstreamLink* l) {
    return l->conn_state() == wanted && same_node(l);
  });
  if (it == idle_dedicated_.rend()) {
    it = std::find_if(idle_dedicated_.rbegin(), idle_dedicated_.rend(), same_node);
  }
  // Cluster mode: another node's idle link is moved over (SetNode reconnects it) rather than
  // leaving it idle and making one more.
  if (it == idle_dedicated_.rend() && node != nullptr) it = idle_dedicated_.rbegin();
  if (it != idle_dedicated_.rend()) {
    auto chosen = std::next(it).base();
    link = *chosen;
    idle_dedicated_.erase(chosen);
    if (node != nullptr) link->SetNode(*node);
  } else {
    dedicated_.push_back(
        std::make_unique<UpstreamLink>(*this, UpstreamLink::Kind::kDedicated, 0, 2, 0, node));
    link = dedicated_.back().get();
  }
  link->SetOwner(owner);
  return link;
}

void IoThread::ResetLink(UpstreamLink* link) {
  // RESET drops MULTI, WATCH, db, name and protocol; it also logs the connection out, so
  // authenticate again.
  std::string request;
  resp::AppendCommand(&request, {"RESET"});
  const auto& url = config_.upstream.parsed;
  if (!url.password.empty()) {
    if (url.user.empty()) {
      resp::AppendCommand(&request, {"AUTH", url.password});
    } else {
      resp::AppendCommand(&request, {"AUTH", url.user, url.password});
    }
  }
  link->SendInternalBatch(request, url.password.empty() ? 1 : 2);
  link->conn_state() = UpstreamLink::ConnState{};
  link->SetDirty(false);
}

void IoThread::ReleaseDedicated(UpstreamLink* link) {
  server_.ReturnDedicated();
  link->SetOwner(nullptr);
  // A link still blocked upstream (BLPOP) or subscribed can only be freed by closing it.
  const bool reusable = link->connected() && link->pending() == 0 && !link->relay() &&
                        !shutting_down_ && idle_dedicated_.size() < config_.upstream.pool_idle;
  if (!reusable) {
    link->Close("released");
  } else if (link->dirty()) {
    ResetLink(link);
  }
  link->SetRelay(false);
  idle_dedicated_.push_back(link);
}

void IoThread::ScheduleClientFlush(ClientSession* session) {
  dirty_.push_back(session);
  if (direct_flush_ || dirty_posted_) return;
  dirty_posted_ = true;
  asio::post(context_, [this] {
    dirty_posted_ = false;
    FlushDirtyClients(&flushing_);
  });
}

void IoThread::FlushDirtyClients(std::vector<ClientSession*>* scratch) {
  scratch->swap(dirty_);
  for (ClientSession* s : *scratch) {
    s->FlushNow();
    s->Release();
  }
  scratch->clear();
}

void IoThread::PostCloseUpstreamLinks(std::string reason) {
  asio::post(context_, [this, reason = std::move(reason)] {
    ForEachLink([&reason](UpstreamLink& link) { link.Close(reason); });
  });
}

void IoThread::PostCloseNodeLinks(config::Endpoint node, std::string reason) {
  asio::post(context_, [this, node = std::move(node), reason = std::move(reason)] {
    ForEachLink([&](UpstreamLink& link) {
      const config::Endpoint* at = link.node();
      if (at != nullptr && at->port == node.port && at->host == node.host) link.Close(reason);
    });
  });
}

void IoThread::SubmitToStore(StoreExecutor::Request request) {
  store_outbox_.push_back(std::move(request));
  if (direct_flush_ || store_flush_posted_) return;
  store_flush_posted_ = true;
  asio::post(context_, [this] { FlushStoreOutbox(); });
}

void IoThread::RememberScript(std::string_view body, bool library) {
  constexpr size_t kMaxRemembered = 4096;
  if (!remembered_scripts_.insert(std::hash<std::string_view>()(body) + library).second) return;
  if (remembered_scripts_.size() > kMaxRemembered) remembered_scripts_.clear();
  StoreExecutor::Request request;
  request.task = [body = std::string(body), library](storage::LocalStore& store) {
    store.BeginGroup();
    if (library) {
      store.scripts().RememberLibrary(body);
    } else {
      store.scripts().Remember(body);
    }
    if (storage::Status s = store.EndGroup(); !s.ok()) {
      spdlog::warn("local store: remembering a script failed: {}", s.ToString());
    }
  };
  SubmitToStore(std::move(request));
}

void IoThread::FlushStoreOutbox() {
  store_flush_posted_ = false;
  if (store_outbox_.empty()) return;
  if (StoreExecutor* store = server_.store()) store->SubmitBatch(store_outbox_);
  store_outbox_.clear();
}

IoThread::DirectFlushScope::DirectFlushScope(IoThread& io)
    : io_(io), active_(!io.direct_flush_ && io.sessions_.size() == 1) {
  if (active_) io_.direct_flush_ = true;
}

IoThread::DirectFlushScope::~DirectFlushScope() {
  if (active_) io_.EndDirectFlush();
}

void IoThread::DeferLinkFlush(UpstreamLink* link, uint64_t gen) {
  deferred_links_.emplace_back(link, gen);
}

void IoThread::EndDirectFlush() {
  direct_flush_ = false;
  // Links are never destroyed while the thread runs, so the pointers are still good.
  for (auto [link, gen] : deferred_links_) link->FlushScheduled(gen);
  deferred_links_.clear();
  if (!store_outbox_.empty()) FlushStoreOutbox();
  FlushDirtyClients(&direct_flushing_);
}

std::future<void> IoThread::PostAndSignal() {
  auto promise = std::make_shared<std::promise<void>>();
  std::future<void> done = promise->get_future();
  asio::post(context_, [this, promise] {
    // Whoever waits on this (the cutover pause) counts on every decided command being queued.
    FlushStoreOutbox();
    promise->set_value();
  });
  return done;
}

void IoThread::PostWakeAllSessions() {
  asio::post(context_, [this] {
    std::vector<ClientSession*> sessions = sessions_;
    for (ClientSession* s : sessions) s->ResumeAfterPause();
  });
}

void IoThread::AddSession(ClientSession* session) { sessions_.push_back(session); }

void IoThread::RemoveSession(ClientSession* session) {
  auto it = std::find(sessions_.begin(), sessions_.end(), session);
  if (it != sessions_.end()) {
    *it = sessions_.back();
    sessions_.pop_back();
    server_.RemoveClient();
  }
}

}  // namespace respite::proxy
