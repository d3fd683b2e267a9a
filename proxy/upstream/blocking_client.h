#pragma once
// A small blocking Redis client with deadlines, for the two background jobs that talk to upstream
// on threads of their own: the health monitor and the replayer. Requests are RESP bytes; replies
// come back whole (framed by resp::ReplyScanner). Not thread-safe; one owner thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "resp/reply_scanner.h"

namespace respite::proxy {

// The error text of an operation that ran past its deadline (silence, not a refusal).
inline constexpr std::string_view kTimedOutError = "timed out";

class BlockingClient {
 public:
  BlockingClient() = default;
  ~BlockingClient() { Close(); }
  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;

  // Connects and authenticates (AUTH from the URL) within `timeout_ms`. On failure returns false
  // and sets *error (e.g. "connection refused").
  bool Connect(const config::UpstreamUrl& url, uint32_t timeout_ms, std::string* error);
  bool connected() const { return fd_ >= 0; }
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
  int fd_ = -1;
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
