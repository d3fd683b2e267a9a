#pragma once
// The TLS side of connections clients make to respite (tls.listen, and the admin endpoint with
// tls.admin): one OpenSSL server context built from the `tls` section at start and rebuilt from
// the same files on SIGHUP (a rotated certificate, key or client CA), while connections already
// open keep the one they started with. It holds the certificate respite serves, the checks on
// clients' certificates (tls.auth_clients), and the handshake counters. Thread-safe.

#include <cstdint>
#include <memory>
#include <string>

#include "config/config.h"
#include "tls/openssl_util.h"

struct ssl_st;
struct ssl_ctx_st;

namespace respite::tls {

class ServerContext {
 public:
  // Builds the context. Null, with *error naming the file or setting that is wrong and OpenSSL's
  // reason, when it cannot be built.
  static std::shared_ptr<ServerContext> Create(const config::TlsConfig& tls, std::string* error);
  ~ServerContext();
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  // A new server-side SSL on the connected, non-blocking socket `fd` (-1: no socket, for an Asio
  // ssl stream, which sets its own). Null, with *error, when OpenSSL refuses; the caller owns it
  // (SSL_free, or handed to the ssl stream, which frees it).
  ssl_st* NewConnection(int fd, std::string* error);

  // Why client handshakes failed: the client's certificate (missing where required, untrusted,
  // expired), not TLS at all (a plain-text client on the TLS port), no handshake in time, the
  // client hung up (health probes that only connect), anything else (versions, ciphers).
  enum Cause { kCertificate, kNotTls, kTimeout, kClosed, kHandshake, kCauses };
  static const char* CauseName(Cause cause);
  // After a failed handshake on `ssl` (`ssl_error` from SSL_get_error): the cause, counted, and
  // *reason in words a user can act on.
  Cause HandshakeFailed(ssl_st* ssl, int ssl_error, std::string* reason);
  void Count(Cause cause) { counts_->Failed(cause); }
  void Completed(ssl_st* ssl);
  // Counts in the same totals as the context this one replaces (SIGHUP).
  void ShareCounts(const ServerContext& old) { counts_ = old.counts_; }

  uint64_t failures(Cause cause) const { return counts_->failures(cause); }
  uint64_t full() const { return counts_->full(); }
  uint64_t resumed() const { return counts_->resumed(); }
  // The served certificate: its subject and when it expires (ISO 8601, UTC), for /status.
  const std::string& subject() const { return subject_; }
  const std::string& not_after() const { return not_after_; }
  int64_t not_after_unix() const { return not_after_unix_; }
  const std::string& auth_clients() const { return auth_clients_; }

 private:
  ServerContext() = default;

  ssl_ctx_st* ctx_ = nullptr;
  std::string subject_, not_after_, auth_clients_;
  int64_t not_after_unix_ = 0;
  std::shared_ptr<HandshakeCounts<kCauses>> counts_ = std::make_shared<HandshakeCounts<kCauses>>();
};

// The context new client connections use: null while there is no TLS listener and no HTTPS admin
// endpoint. Set at start, replaced on SIGHUP.
std::shared_ptr<ServerContext> ListenerContext();
void SetListenerContext(std::shared_ptr<ServerContext> context);

}  // namespace respite::tls
