#include "tls/server_connection.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>

#include "tls/openssl_util.h"

namespace respite::tls {

std::unique_ptr<ServerConnection> ServerConnection::Create(std::shared_ptr<ServerContext> context,
                                                           int fd, std::string* error) {
  ssl_st* ssl = context->NewConnection(fd, error);
  if (ssl == nullptr) return nullptr;
  return std::unique_ptr<ServerConnection>(new ServerConnection(std::move(context), ssl));
}

ServerConnection::~ServerConnection() { SSL_free(ssl_); }

ServerConnection::Io ServerConnection::Handshake() {
  ERR_clear_error();
  errno = 0;
  const int rc = SSL_accept(ssl_);
  if (rc == 1) {
    established_ = true;
    context_->Completed(ssl_);
    return Io::kDone;
  }
  const int why = SSL_get_error(ssl_, rc);
  if (why == SSL_ERROR_WANT_READ) return Io::kWantRead;
  if (why == SSL_ERROR_WANT_WRITE) return Io::kWantWrite;
  broken_ = true;
  cause_ = context_->HandshakeFailed(ssl_, why, &reason_);
  return Io::kFailed;
}

ServerConnection::Io ServerConnection::Broken(int ssl_error) {
  if (ssl_error == SSL_ERROR_ZERO_RETURN) {
    reason_ = "closed by the client";
    return Io::kClosed;
  }
  broken_ = true;
  if (ssl_error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
    reason_ = errno != 0 ? std::strerror(errno) : "closed by the client";
    return Io::kClosed;
  }
  reason_ = TakeOpenSslError();
  return Io::kFailed;
}

ServerConnection::Io ServerConnection::Read(char* p, size_t room, size_t* n) {
  *n = 0;
  while (*n < room) {
    ERR_clear_error();
    errno = 0;
    size_t got = 0;
    if (SSL_read_ex(ssl_, p + *n, room - *n, &got) == 1) {
      *n += got;
      // OpenSSL read all the socket gave it (read-ahead) and holds nothing more: call the socket
      // drained rather than spend a read on EAGAIN. A wait re-arms the descriptor, which reports
      // bytes that came meanwhile, so nothing waits on a readiness edge already consumed.
      if (SSL_has_pending(ssl_) == 0) return Io::kWantRead;
      continue;
    }
    const int why = SSL_get_error(ssl_, 0);
    if (why == SSL_ERROR_WANT_READ) return Io::kWantRead;
    if (why == SSL_ERROR_WANT_WRITE) return Io::kWantWrite;
    return Broken(why);
  }
  return Io::kDone;
}

ServerConnection::Io ServerConnection::Write(const char* p, size_t len, size_t* n) {
  *n = 0;
  while (*n < len) {
    ERR_clear_error();
    errno = 0;
    size_t put = 0;
    if (SSL_write_ex(ssl_, p + *n, len - *n, &put) == 1) {
      *n += put;
      continue;
    }
    const int why = SSL_get_error(ssl_, 0);
    if (why == SSL_ERROR_WANT_WRITE) return Io::kWantWrite;
    if (why == SSL_ERROR_WANT_READ) return Io::kWantRead;
    return Broken(why);
  }
  return Io::kDone;
}

void ServerConnection::Close() {
  if (!established_ || broken_ || (SSL_get_shutdown(ssl_) & SSL_SENT_SHUTDOWN) != 0) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);  // one try: whatever the socket takes now
  ERR_clear_error();
}

std::string ServerConnection::Describe() const {
  if (!established_) return "";
  return std::string(SSL_get_version(ssl_)) + " " + SSL_get_cipher_name(ssl_);
}

}  // namespace respite::tls
