#include "proxy/admin_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <thread>

#include "proxy/admin_routes.h"

namespace respite::proxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {
// A client that sends nothing for this long is dropped: probes and scrapes are quick.
constexpr auto kIdle = std::chrono::seconds(30);
// Admin requests carry no body worth more than this.
constexpr size_t kMaxRequest = 16 * 1024;
}  // namespace

struct AdminServer::Impl {
  explicit Impl(Server& s) : server(s), acceptor(context) {}

  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;  // EMFILE and the like: keep accepting
      }
      asio::co_spawn(context, Serve(beast::tcp_stream(std::move(socket))), asio::detached);
    }
  }

  asio::awaitable<void> Serve(beast::tcp_stream stream) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(kMaxRequest);
      parser.body_limit(kMaxRequest);
      stream.expires_after(kIdle);
      auto [ec, n] =
          co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
      (void)n;
      if (ec) co_return;  // closed, timed out, or not HTTP: nothing to answer
      const http::request<http::string_body>& request = parser.get();
      const AdminResponse answer = HandleAdminRequest(
          server, std::string_view(request.method_string()), std::string_view(request.target()),
          std::string_view(request[http::field::authorization]));
      http::response<http::string_body> response(static_cast<http::status>(answer.status),
                                                 request.version());
      response.set(http::field::server, "respite");
      response.set(http::field::content_type, answer.content_type);
      response.set(http::field::cache_control, "no-store");
      if (!answer.allow.empty()) response.set(http::field::allow, answer.allow);
      if (answer.status == 401) response.set(http::field::www_authenticate, "Bearer");
      response.keep_alive(request.keep_alive());
      if (request.method() != http::verb::head) response.body() = answer.body;
      response.prepare_payload();
      if (request.method() == http::verb::head) response.content_length(answer.body.size());
      auto [wec, written] =
          co_await http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
      (void)written;
      if (wec || !response.keep_alive()) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  Server& server;
  asio::io_context context{1};
  tcp::acceptor acceptor;
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
  spdlog::info("admin endpoint on http://{}/ (healthz, readyz, status, metrics)", at.ToString());
  return {};
}

void AdminServer::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->context.stop();
  impl_->thread.join();
}

}  // namespace respite::proxy
