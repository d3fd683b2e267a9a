#pragma once
// The TLS side of every connection respite makes to upstream (a rediss:// URL): one OpenSSL
// client context built from the `tls` config section at start, shared by the io threads' links
// (through Asio's ssl stream, made from an SSL of this context) and the blocking clients (health
// checks, replayer, warm replica). The Sentinel watcher has one of its own for the sentinels. It
// sets each connection's SNI and name check, and resumes the last session, so that a burst of
// reconnects after an outage costs abbreviated handshakes. Thread-safe.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "config/config.h"
#include "tls/openssl_util.h"

struct ssl_st;
struct ssl_ctx_st;
struct ssl_session_st;

namespace respite::tls {

class ClientContext {
 public:
  // Builds the context: CA (file, directory or the system store), respite's certificate and key
  // when set, protocol floor, ciphers. `server_name` is checked against every server's
  // certificate; empty: the host each connection goes to (NewConnection). Null, with *error
  // saying which file or setting is wrong, when it cannot be built. `peer` names the servers in
  // failure texts ("upstream", "a sentinel").
  static std::shared_ptr<ClientContext> Create(const config::TlsConfig& tls,
                                               const std::string& server_name, std::string* error,
                                               std::string peer = "upstream");
  ~ClientContext();
  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;

  // A new connection's SSL to `host`, set up: SNI (for a host name), the name check
  // (NameFor(host)), the session to resume. Null, with *error, when OpenSSL refuses; the caller
  // owns it (SSL_free, or handed to an Asio ssl stream, which frees it).
  ssl_st* NewConnection(const std::string& host, std::string* error);
  // The name a connection to `host` checks: the configured server name, or `host`.
  const std::string& NameFor(const std::string& host) const {
    return server_name_.empty() ? host : server_name_;
  }
  // After a failed handshake on `ssl`: counts it by cause and says why, in words a user can act
  // on ("certificate verify failed: certificate has expired", "... hostname mismatch").
  // `fallback` is the transport's own message, used when OpenSSL recorded nothing more precise.
  std::string HandshakeFailed(ssl_st* ssl, const std::string& host, const std::string& fallback);
  // A handshake that ran past the connect timeout (counted; the caller says so).
  void HandshakeTimedOut() { counts_->Failed(kTimeout); }
  // A handshake completed on `ssl`: counted, resumed or full. (With TLS 1.3 a server that refuses
  // respite's certificate says so after the handshake: the link then closes on its first read.)
  void Completed(ssl_st* ssl);
  // Counts in the same totals as the context this one replaces (SIGHUP).
  void ShareCounts(const ClientContext& old) { counts_ = old.counts_; }

  // Why handshakes failed: upstream's certificate (untrusted, expired, ...), its name, no answer
  // in time, anything else (a plain-TCP port, a protocol or cipher mismatch, a refused client
  // certificate).
  enum Cause { kCertificate, kName, kTimeout, kHandshake, kCauses };
  static const char* CauseName(Cause cause);
  uint64_t failures(Cause cause) const { return counts_->failures(cause); }

  // The configured server name (empty: each connection's host).
  const std::string& server_name() const { return server_name_; }
  bool verify() const { return verify_; }
  // Completed handshakes: full ones, and ones that resumed a session.
  uint64_t full() const { return counts_->full(); }
  uint64_t resumed() const { return counts_->resumed(); }

 private:
  ClientContext();
  static int OnNewSession(ssl_st* ssl, ssl_session_st* session);

  ssl_ctx_st* ctx_ = nullptr;
  std::string server_name_;
  std::string peer_;
  bool verify_ = true;
  std::mutex mu_;
  ssl_session_st* session_ = nullptr;  // the newest session upstream gave (guarded by mu_)
  std::shared_ptr<HandshakeCounts<kCauses>> counts_ = std::make_shared<HandshakeCounts<kCauses>>();
};

// The context every upstream connection uses: null while upstream is plain redis://. Set once
// at start, before any connection is made.
std::shared_ptr<ClientContext> UpstreamContext();
void SetUpstreamContext(std::shared_ptr<ClientContext> context);

}  // namespace respite::tls
