#include "proxy/upstream/blocking_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <vector>

#include "resp/command_encoder.h"
#include "tls/client_context.h"

namespace respite::proxy {

namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

bool WaitFor(int fd, short events, Clock::time_point deadline, std::string* error) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, RemainingMs(deadline));
    if (n > 0) return true;
    if (n == 0) {
      *error = kTimedOutError;
      return false;
    }
    if (errno != EINTR) {
      *error = std::strerror(errno);
      return false;
    }
  }
}

}  // namespace

bool BlockingClient::Connect(const config::UpstreamUrl& url, uint32_t timeout_ms,
                             std::string* error, std::shared_ptr<tls::ClientContext> tls) {
  Close();
  if (url.host.empty()) {  // Sentinel mode before the sentinels named a master
    *error = "no master known: the sentinels have named none yet";
    return false;
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url.port);
  if (int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    *error = std::string("cannot resolve ") + url.host + ": " + ::gai_strerror(rc);
    return false;
  }
  *error = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      *error = std::strerror(errno);
      ::close(fd);
      continue;
    }
    if (!WaitFor(fd, POLLOUT, deadline, error)) {
      ::close(fd);
      continue;
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      *error = std::strerror(err);
      ::close(fd);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fd_ = fd;
    break;
  }
  ::freeaddrinfo(found);
  if (fd_ < 0) return false;
  in_.clear();
  scanner_.Reset();
  if (url.tls) tls_ = tls != nullptr ? std::move(tls) : tls::UpstreamContext();
  if (url.tls && !Handshake(url.host, deadline, error)) {
    Close();
    return false;
  }
  if (!url.password.empty()) {
    std::string auth;
    if (url.user.empty()) {
      resp::AppendCommand(&auth, {"AUTH", url.password});
    } else {
      resp::AppendCommand(&auth, {"AUTH", url.user, url.password});
    }
    std::string reply;
    if (!Call(auth, static_cast<uint32_t>(RemainingMs(deadline)) + 1, &reply, error)) return false;
    if (!reply.empty() && reply[0] == '-') {
      *error = "AUTH failed: " + reply.substr(1, reply.size() - 3);
      Close();
      return false;
    }
  }
  return true;
}

bool BlockingClient::Handshake(const std::string& host, Clock::time_point deadline,
                               std::string* error) {
  if (tls_ == nullptr) {
    *error = "no TLS context for a rediss:// upstream";
    return false;
  }
  ssl_ = tls_->NewConnection(host, error);
  if (ssl_ == nullptr) return false;
  SSL_set_mode(ssl_, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_set_fd(ssl_, fd_) != 1) {
    *error = "TLS: " + TlsErrorText(SSL_ERROR_SSL);
    return false;
  }
  for (;;) {
    ERR_clear_error();
    errno = 0;
    const int rc = SSL_connect(ssl_);
    if (rc == 1) break;
    const int why = SSL_get_error(ssl_, rc);
    if (why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE) {
      if (!WaitFor(fd_, why == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, error)) {
        if (*error == kTimedOutError) {
          tls_->HandshakeTimedOut();
          *error = "TLS handshake timed out (does upstream serve TLS on this port?)";
        } else {
          *error = "TLS handshake: " + *error;
        }
        return false;
      }
      continue;
    }
    *error = "TLS handshake failed: " + tls_->HandshakeFailed(ssl_, host, TlsErrorText(why));
    return false;
  }
  tls_->Completed(ssl_);
  return true;
}

void BlockingClient::Close() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  ssl_ = nullptr;
  tls_.reset();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  in_.clear();
  scanner_.Reset();
}

bool BlockingClient::Send(std::string_view request, uint32_t timeout_ms, std::string* error) {
  if (fd_ < 0) {
    *error = "not connected";
    return false;
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!request.empty()) {
    short wait = 0;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      errno = 0;
      const int n = SSL_write(ssl_, request.data(),
                              static_cast<int>(std::min<size_t>(request.size(), 1u << 30)));
      if (n > 0) {
        request.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      const int why = SSL_get_error(ssl_, n);
      if (why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE) {
        wait = why == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
      } else {
        *error = TlsErrorText(why);
        Close();
        return false;
      }
    } else {
      const ssize_t n = ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL);
      if (n > 0) {
        request.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        *error = std::strerror(errno);
        Close();
        return false;
      }
      wait = POLLOUT;
    }
    if (!WaitFor(fd_, wait, deadline, error)) {
      Close();
      return false;
    }
  }
  return true;
}

BlockingClient::Received BlockingClient::Receive(Clock::time_point deadline, std::string* error) {
  char buf[64 * 1024];
  for (;;) {
    short wait = POLLIN;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      errno = 0;
      const int n = SSL_read(ssl_, buf, sizeof buf);
      if (n > 0) {
        in_.append(buf, static_cast<size_t>(n));
        return Received::kData;
      }
      const int why = SSL_get_error(ssl_, n);
      if (why == SSL_ERROR_ZERO_RETURN) {
        *error = "connection closed by upstream";
        Close();
        return Received::kClosed;
      }
      if (why != SSL_ERROR_WANT_READ && why != SSL_ERROR_WANT_WRITE) {
        *error = TlsErrorText(why);
        Close();
        return Received::kClosed;
      }
      wait = why == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
    } else {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        in_.append(buf, static_cast<size_t>(n));
        return Received::kData;
      }
      if (n == 0) {
        *error = "connection closed by upstream";
        Close();
        return Received::kClosed;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        *error = std::strerror(errno);
        Close();
        return Received::kClosed;
      }
    }
    if (!WaitFor(fd_, wait, deadline, error)) {
      if (*error == kTimedOutError) return Received::kTimedOut;
      Close();
      return Received::kClosed;
    }
  }
}

std::string BlockingClient::TlsErrorText(int why) const {
  if (why == SSL_ERROR_SYSCALL) {
    const unsigned long code = ERR_peek_error();
    if (code == 0) return errno != 0 ? std::strerror(errno) : "connection closed by upstream";
  }
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "TLS error " + std::to_string(why);
  // OpenSSL 3 reports a peer that closed without a close_notify as an error; say it as links do.
  if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    return "connection closed by upstream";
  }
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "TLS error " + std::to_string(code);
}

bool BlockingClient::Read(uint32_t timeout_ms, std::string* reply, std::string* error) {
  if (fd_ < 0) {
    *error = "not connected";
    return false;
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const resp::ScanStatus status = scanner_.Scan(in_);
    if (status == resp::ScanStatus::kReply) {
      const size_t len = scanner_.reply_len();
      reply->assign(in_, 0, len);
      in_.erase(0, len);
      return true;
    }
    if (status == resp::ScanStatus::kError) {
      *error = "protocol error from upstream: " + scanner_.error();
      Close();
      return false;
    }
    if (Receive(deadline, error) != Received::kData) {
      if (fd_ >= 0) Close();  // a timeout mid-reply leaves the stream unusable
      return false;
    }
  }
}

bool BlockingClient::ReadSome(uint32_t timeout_ms, std::string* out, std::string* error) {
  if (fd_ < 0) {
    *error = "not connected";
    return false;
  }
  if (in_.empty()) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    const Received got = Receive(deadline, error);
    if (got == Received::kTimedOut) return true;
    if (got == Received::kClosed) return false;
  }
  out->append(in_);
  in_.clear();
  return true;
}

bool BlockingClient::Call(std::string_view request, uint32_t timeout_ms, std::string* reply,
                          std::string* error) {
  return Send(request, timeout_ms, error) && Read(timeout_ms, reply, error);
}

std::string ErrorText(std::string_view reply) {
  return std::string(reply.substr(1, reply.size() >= 3 ? reply.size() - 3 : 0));
}

std::string_view StringOf(std::string_view reply) {
  if (reply.size() < 3) return {};
  const size_t crlf = reply.find("\r\n");
  if (reply[0] == '+') return reply.substr(1, crlf - 1);
  if (reply[0] != '$' || reply[1] == '-') return {};
  size_t len = 0;
  std::from_chars(reply.data() + 1, reply.data() + crlf, len);
  return reply.substr(crlf + 2, len);
}

bool SplitArray(std::string_view reply, std::vector<std::string_view>* elements) {
  elements->clear();
  if (reply.size() < 4 || reply[0] != '*' || reply[1] == '-') return false;
  const size_t crlf = reply.find("\r\n");
  if (crlf == std::string_view::npos) return false;
  size_t count = 0;
  for (size_t i = 1; i < crlf; ++i) count = count * 10 + static_cast<size_t>(reply[i] - '0');
  std::string_view rest = reply.substr(crlf + 2);
  resp::ReplyScanner scanner;
  for (size_t i = 0; i < count; ++i) {
    if (scanner.Scan(rest) != resp::ScanStatus::kReply) return false;
    elements->push_back(rest.substr(0, scanner.reply_len()));
    rest.remove_prefix(scanner.reply_len());
  }
  return true;
}

}  // namespace respite::proxy
