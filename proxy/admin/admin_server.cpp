#include "proxy/admin/admin_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <thread>

#include "proxy/admin/admin_routes.h"
#include "proxy/loopback.h"
#include "proxy/server.h"
#include "tls/server_context.h"

namespace respite::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
// A request must arrive whole within this long (and a kept-alive connection gets its next one
// within it): probes and scrapes are quick, and a client that drips bytes cannot hold a slot.
constexpr auto kRequestTime = std::chrono::seconds(10);
// Connections served at once; more are closed at accept, so nobody can exhaust respite's file
// descriptors through this port.
constexpr int kMaxConnections = 32;
}  // namespace

struct AdminServer::Impl {
  explicit Impl(Server& s) : server(s), acceptor(context) {}

  asio::awaitable<void> Accept() {
    asio::steady_timer pause(context);
    bool failing = false;  // said once per run of failures, not 20 times a second
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        // Out of file descriptors and the like: do not spin (the client listener does the same).
        if (!failing) spdlog::warn("admin endpoint: accept failed: {}", ec.message());
        failing = true;
        pause.expires_after(std::chrono::milliseconds(50));
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      failing = false;
      if (connections >= kMaxConnections) {
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
      ++connections;
      asio::co_spawn(context, Serve(std::move(socket)),
                     [this](std::exception_ptr) { --connections; });
    }
  }

  asio::awaitable<void> Serve(tcp::socket socket) {
    boost::system::error_code ec;
    const tcp::endpoint peer = socket.remote_endpoint(ec);
    const bool loopback = !ec && IsLoopbackPeer(peer);
    if (!server.config().tls.admin) {
      co_await ServeHttp(socket, loopback);
      socket.shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }
    // HTTPS: the TLS listener's certificate, and its checks on client certificates.
    std::shared_ptr<tls::ServerContext> tls = tls::ListenerContext();
    std::string error;
    ssl_st* ssl = tls != nullptr ? tls->NewConnection(-1, &error) : nullptr;
    if (ssl == nullptr) {
      spdlog::warn("admin endpoint: {}", error);
      co_return;
    }
    asio::ssl::stream<tcp::socket> stream(std::move(socket), ssl);
    asio::steady_timer deadline(context);
    deadline.expires_after(kRequestTime);
    using namespace asio::experimental::awaitable_operators;
    auto result = co_await (stream.async_handshake(asio::ssl::stream_base::server,
                                                   asio::as_tuple(asio::use_awaitable)) ||
                            deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (result.index() == 1) co_return;  // too slow
    if (auto [hec] = std::get<0>(result); hec) {
      SPDLOG_DEBUG("admin endpoint: TLS handshake with {} failed: {}", peer.address().to_string(),
                   hec.message());
      co_return;
    }
    co_await ServeHttp(stream, loopback);
    stream.lowest_layer().shutdown(tcp::socket::shutdown_send, ec);
  }

  // Requests and responses on `stream` (a socket, or an ssl stream over one) until the client
  // closes, is too slow, or asks to close.
  template <typename Stream>
  asio::awaitable<void> ServeHttp(Stream& socket, bool loopback) {
    asio::steady_timer deadline(context);
    std::string buffer;
    char chunk[4096];
    for (;;) {
      AdminRequest request;
      long used = 0;
      deadline.expires_after(kRequestTime);
      while ((used = ParseAdminRequest(buffer, &request)) == 0) {
        if (buffer.size() > 2 * kMaxAdminRequest) co_return;  // a header without an end
        using namespace asio::experimental::awaitable_operators;
        auto result = co_await (
            socket.async_read_some(asio::buffer(chunk), asio::as_tuple(asio::use_awaitable)) ||
            deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
        if (result.index() == 1) co_return;  // too slow
        auto [rec, n] = std::get<0>(result);
        if (rec) co_return;  // closed
        buffer.append(chunk, n);
      }
      if (used < 0) {  // not HTTP, or over the limits: say so once and close
        request.keep_alive = false;
        AdminResponse bad;
        bad.status = 400;
        bad.body = "bad request\n";
        co_await asio::async_write(socket, asio::buffer(RenderAdminResponse(request, bad)),
                                   asio::as_tuple(asio::use_awaitable));
        co_return;
      }
      buffer.erase(0, static_cast<size_t>(used));
      request.peer_loopback = loopback;
      const std::string response =
          RenderAdminResponse(request, HandleAdminRequest(server, request));
      auto [wec, written] = co_await asio::async_write(socket, asio::buffer(response),
                                                       asio::as_tuple(asio::use_awaitable));
      (void)written;
      if (wec || !request.keep_alive) break;
    }
  }

  Server& server;
  asio::io_context context{1};
  tcp::acceptor acceptor;
  int connections = 0;  // on the admin thread only
  std::thread thread;
};

AdminServer::AdminServer(Server& server) : impl_(std::make_unique<Impl>(server)) {}

AdminServer::~AdminServer() { Stop(); }

std::string AdminServer::Start(const config::Endpoint& at) {
  boost::system::error_code ec;
  tcp::resolver resolver(impl_->context);
  auto found = resolver.resolve(at.host, std::to_string(at.port), ec);
  if (ec || found.empty()) return "cannot resolve " + at.ToString() + ": " + ec.message();
  const tcp::endpoint endpoint = found.begin()->endpoint();
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return "cannot listen on " + at.ToString() + ": " + ec.message();
  asio::co_spawn(impl_->context, impl_->Accept(), asio::detached);
  impl_->thread = std::thread([this] { impl_->context.run(); });
  spdlog::info("admin endpoint on {}://{}/ (healthz, readyz, status, metrics)",
               impl_->server.config().tls.admin ? "https" : "http", at.ToString());
  return {};
}

void AdminServer::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->context.stop();
  impl_->thread.join();
}

}  // namespace respite::proxy
