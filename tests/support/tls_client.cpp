#include "tests/support/tls_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "resp/reply_scanner.h"
#include "tests/support/client.h"

namespace respite::test {
namespace {

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown TLS error";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "TLS error " + std::to_string(code);
}

}  // namespace

TlsClient::TlsClient(uint16_t port, const TlsClientOptions& options) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr ||
      SSL_CTX_load_verify_locations(ctx_, options.ca_file.c_str(), nullptr) != 1) {
    error_ = "CA: " + OpenSslError();
    return;
  }
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  if (!options.cert_file.empty() &&
      (SSL_CTX_use_certificate_chain_file(ctx_, options.cert_file.c_str()) != 1 ||
       SSL_CTX_use_PrivateKey_file(ctx_, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1)) {
    error_ = "client certificate: " + OpenSslError();
    return;
  }
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (!options.from.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, options.from.c_str(), &local.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      error_ = std::string("bind: ") + std::strerror(errno);
      return;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    error_ = std::string("connect: ") + std::strerror(errno);
    return;
  }
  timeval tv{10, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (options.pause_before_handshake.count() > 0) {
    std::this_thread::sleep_for(options.pause_before_handshake);
  }
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  SSL_set_tlsext_host_name(ssl_, "localhost");
  SSL_set1_host(ssl_, "localhost");
  if (SSL_connect(ssl_) != 1) error_ = "handshake: " + OpenSslError();
}

TlsClient::~TlsClient() {
  if (ssl_ != nullptr) {
    if (error_.empty()) SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

bool TlsClient::Send(std::string_view bytes) {
  if (!ok()) return false;
  while (!bytes.empty()) {
    size_t n = 0;
    if (SSL_write_ex(ssl_, bytes.data(), bytes.size(), &n) != 1) {
      error_ = "write: " + OpenSslError();
      return false;
    }
    bytes.remove_prefix(n);
  }
  return true;
}

std::string TlsClient::ReadReply(std::chrono::milliseconds timeout) {
  if (!ok()) return "";
  resp::ReplyScanner scanner;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const resp::ScanStatus status = scanner.Scan(in_);
    if (status == resp::ScanStatus::kReply) {
      std::string reply = in_.substr(0, scanner.reply_len());
      in_.erase(0, scanner.reply_len());
      return reply;
    }
    if (status == resp::ScanStatus::kError) {
      error_ = "not RESP: " + scanner.error();
      return "";
    }
    if (SSL_pending(ssl_) == 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        error_ = "no reply in time";
        return "";
      }
    }
    char buf[65536];
    size_t n = 0;
    if (SSL_read_ex(ssl_, buf, sizeof buf, &n) != 1) {
      const int why = SSL_get_error(ssl_, 0);
      error_ = why == SSL_ERROR_ZERO_RETURN ? "closed by the server" : "read: " + OpenSslError();
      return "";
    }
    in_.append(buf, n);
  }
}

std::string TlsClient::Command(const std::vector<std::string>& argv) {
  if (!Send(EncodeCommand(argv))) return "";
  return ReadReply();
}

std::string TlsClient::Version() const { return ssl_ != nullptr ? SSL_get_version(ssl_) : ""; }

}  // namespace respite::test
