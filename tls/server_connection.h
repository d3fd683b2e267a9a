#pragma once
// One client's TLS connection to respite, driven by the caller's event loop: OpenSSL works on the
// non-blocking socket directly, and each call says whether it finished or which readiness to wait
// for before it is called again. Thread: one at a time (the session's io thread).

#include <cstddef>
#include <memory>
#include <string>

#include "tls/server_context.h"

namespace respite::tls {

class ServerConnection {
 public:
  // The outcome of a call: done; wait until the socket is readable (or writable), then call again
  // with the same arguments; the client closed the connection; a TLS error (see reason()).
  enum class Io { kDone, kWantRead, kWantWrite, kClosed, kFailed };

  // A connection on `fd` (connected, non-blocking). Null, with *error, when OpenSSL refuses.
  static std::unique_ptr<ServerConnection> Create(std::shared_ptr<ServerContext> context, int fd,
                                                  std::string* error);
  ~ServerConnection();
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  // The server side of the handshake. kDone: established (counted); kFailed: counted by cause,
  // reason() and cause() say why.
  Io Handshake();
  // A handshake the caller ended (its deadline passed, the socket failed): counted.
  void Count(ServerContext::Cause cause) { context_->Count(cause); }
  // Decrypted bytes into [p, p + room), as many as have arrived: *n of them. kDone: room is
  // full, more may wait; kWantRead: wait for the socket to be readable before calling again (it
  // was drained, or OpenSSL used up what it read; *n may still be > 0); kWantWrite:
  // OpenSSL must write first (a key update); kClosed: the client closed (after *n bytes).
  Io Read(char* p, size_t room, size_t* n);
  // Encrypts and sends [p, p + len): *n bytes went. kDone: all of them; kWantWrite / kWantRead:
  // call again with the rest once the socket is ready (OpenSSL may hold a record of it: the rest
  // must start with the same bytes).
  Io Write(const char* p, size_t len, size_t* n);
  // Sends close_notify if the connection is still sound; never waits.
  void Close();

  bool established() const { return established_; }
  const std::string& reason() const { return reason_; }
  ServerContext::Cause cause() const { return cause_; }
  // "TLSv1.3 TLS_AES_256_GCM_SHA384", once established.
  std::string Describe() const;

 private:
  ServerConnection(std::shared_ptr<ServerContext> context, ssl_st* ssl)
      : context_(std::move(context)), ssl_(ssl) {}
  // A read or write that failed with `ssl_error`: closed, or failed with a reason.
  Io Broken(int ssl_error);

  std::shared_ptr<ServerContext> context_;
  ssl_st* ssl_;
  bool established_ = false;
  bool broken_ = false;  // a fatal error: no close_notify may follow
  std::string reason_;
  ServerContext::Cause cause_ = ServerContext::kHandshake;
};

}  // namespace respite::tls
