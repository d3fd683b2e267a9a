// A client connected to the TLS listener: the handshake, and reads and writes through OpenSSL on
// the session's own non-blocking socket, so the session's I/O model (synchronous reads and writes
// first, readiness waits only when the socket is drained or full) stays the same over TLS.

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/client/client_session.h"
#include "proxy/io_thread.h"
#include "tls/server_connection.h"

namespace respite::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Io = tls::ServerConnection::Io;

asio::awaitable<bool> ClientSession::HandshakeTls() {
  for (;;) {
    const Io io = tls_->Handshake();
    if (io == Io::kDone) {
      SPDLOG_DEBUG("client {} ({}): {}", id_, addr_, tls_->Describe());
      co_return true;
    }
    if (io == Io::kFailed) {
      // Probes that connect and hang up are counted, not logged; the rest say why at info
      // level, at most once a second per io thread so a scan cannot flood the log.
      if (tls_->cause() != tls::ServerContext::kClosed && io_.MayLogTlsFailure()) {
        spdlog::info("client {} ({}): TLS handshake failed: {}", id_, addr_, tls_->reason());
      }
      co_return false;
    }
    // The deadline (CheckIdle) or a shutdown closes the socket, which ends this wait.
    auto [ec] = co_await socket_.async_wait(
        io == Io::kWantRead ? tcp::socket::wait_read : tcp::socket::wait_write,
        asio::as_tuple(asio::use_awaitable));
    if (closed_ || stopping_) co_return false;
    if (ec) {
      tls_->Count(tls::ServerContext::kClosed);
      co_return false;
    }
  }
}

size_t ClientSession::ReadTls(char* p, size_t room, boost::system::error_code& ec) {
  size_t n = 0;
  const Io io = tls_->Read(p, room, &n);
  maybe_readable_ = io == Io::kDone;
  switch (io) {
    case Io::kDone:
      break;
    case Io::kWantRead:
    case Io::kWantWrite:
      tls_read_wait_ = io == Io::kWantRead ? tcp::socket::wait_read : tcp::socket::wait_write;
      // Bytes read before the socket ran dry are served now; the wait comes on the next read.
      if (n == 0) ec = asio::error::would_block;
      break;
    case Io::kClosed:
      ec = asio::error::eof;
      break;
    case Io::kFailed:
      SPDLOG_DEBUG("client {} ({}): TLS: {}", id_, addr_, tls_->reason());
      ec = asio::error::connection_aborted;
      break;
  }
  return n;
}

size_t ClientSession::WriteTls(const char* p, size_t len, boost::system::error_code& ec) {
  size_t n = 0;
  const Io io = tls_->Write(p, len, &n);
  if (io == Io::kWantRead || io == Io::kWantWrite) {
    tls_write_wait_ = io == Io::kWantRead ? tcp::socket::wait_read : tcp::socket::wait_write;
    ec = asio::error::would_block;
  } else if (io != Io::kDone) {
    ec = asio::error::connection_aborted;
  }
  return n;
}

void ClientSession::ContinueTlsWrite() {
  // writing_ holds what the first try left (that try's n bytes are already out: Flush cut them).
  socket_.async_wait(tls_write_wait_, [this](boost::system::error_code ec) {
    if (ec || closed_) {
      WriteDone(true);
      return;
    }
    boost::system::error_code write_ec;
    tls_written_ +=
        WriteTls(writing_.data() + tls_written_, writing_.size() - tls_written_, write_ec);
    if (write_ec == asio::error::would_block) {
      ContinueTlsWrite();
      return;
    }
    WriteDone(!!write_ec);
  });
}

}  // namespace respite::proxy
