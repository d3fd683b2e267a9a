#pragma once
// A small blocking Redis client with deadlines, for the two background jobs that talk to upstream
// on threads of their own: the health monitor and the replayer. Requests are RESP bytes; replies
// come back whole (framed by resp::ReplyScanner). Not thread-safe; one owner thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "resp/reply_scanner.h"

struct ssl_st;
namespace respite::tls {
class ClientContext;
}  // namespace respite::tls

namespace respite::proxy {

// The error text of an operation that ran past its deadline (silence, not a refusal).
inline constexpr std::string_view kTimedOutError = "timed out";

class BlockingClient {
 public:
  BlockingClient() = default;
  ~BlockingClient() { Close(); }
  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;

  // Connects (with TLS for a rediss:// URL: `tls`, or tls::UpstreamContext() when null) and
  // authenticates (AUTH from the URL) within `timeout_ms`. On failure returns false
  // and sets *error (e.g. "connection refused").
  bool Connect(const config::UpstreamUrl& url, uint32_t timeout_ms, std::string* error,
               std::shared_ptr<tls::ClientContext> tls = nullptr);
  bool connected() const { return fd_ >= 0; }
  // The socket, to wait on several clients at once (poll); -1 when not connected.
  int fd() const { return fd_; }
  void Close();

  // Writes all of `request` within `timeout_ms`.
  bool Send(std::string_view request, uint32_t timeout_ms, std::string* error);
  // Reads one complete reply within `timeout_ms` into *reply (RESP bytes).
  bool Read(uint32_t timeout_ms, std::string* reply, std::string* error);
  // Raw bytes for a stream that is not framed as replies (replication: the RDB payload and the
  // command stream). Appends what is buffered or arrives within `timeout_ms` to *out; a timeout
  // appends nothing and keeps the connection. False (closed) on EOF or a socket error.
  bool ReadSome(uint32_t timeout_ms, std::string* out, std::string* error);
  // Send, then Read.
  bool Call(std::string_view request, uint32_t timeout_ms, std::string* reply, std::string* error);

 private:
  using Clock = std::chrono::steady_clock;
  enum class Received { kData, kTimedOut, kClosed };
  bool Handshake(const std::string& host, Clock::time_point deadline, std::string* error);
  // Appends what arrives by `deadline` to in_; kClosed (connection closed, *error) on EOF or an
  // error, kTimedOut (still connected) when nothing came.
  Received Receive(Clock::time_point deadline, std::string* error);
  // OpenSSL's reason for a failed SSL_read/SSL_write/SSL_connect (`why`: SSL_get_error).
  std::string TlsErrorText(int why) const;

  int fd_ = -1;
  ssl_st* ssl_ = nullptr;  // set on a TLS connection
  std::shared_ptr<tls::ClientContext> tls_;
  std::string in_;
  resp::ReplyScanner scanner_;
};

// Splits a RESP array reply (e.g. EXEC's) into its elements' bytes. Returns false if `reply` is
// not an array (a null array gives false too).
bool SplitArray(std::string_view reply, std::vector<std::string_view>* elements);
// The text of an error reply, without its '-' and CRLF.
std::string ErrorText(std::string_view reply);
// The text of a bulk or simple string reply (or array element); empty for anything else.
std::string_view StringOf(std::string_view reply);

}  // namespace respite::proxy
