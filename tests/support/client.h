#pragma once
// Test clients for a RESP server (Redis or respite) on 127.0.0.1:
// - Client: RAII over a blocking hiredis 0.14 context (RESP2 only), for ordinary commands,
//   pipelines and raw request bytes whose replies hiredis parses.
// - RawConnection: a plain socket for protocol tests and RESP3 (hiredis 0.14 cannot parse RESP3),
//   with a small RESP3 reader.
// Not thread-safe: one thread per connection.

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace respite::test {

using std::chrono::milliseconds;

// An owned hiredis reply (freeReplyObject on destruction). Empty when the command failed at the
// I/O level (see Client::error()).
class Reply {
 public:
  Reply() = default;
  explicit Reply(redisReply* r) : reply_(r) {}

  explicit operator bool() const { return reply_ != nullptr; }
  const redisReply* get() const { return reply_.get(); }
  const redisReply* operator->() const { return reply_.get(); }

  // Type checks; all false on an empty Reply.
  bool IsStatus(std::string_view text) const;  // +text
  bool IsError() const;                        // -anything
  bool IsErrorPrefix(std::string_view) const;  // -prefix...
  bool IsNil() const;                          // $-1 or *-1
  bool IsString(std::string_view text) const;  // $text
  bool IsInteger(long long value) const;       // :value
  bool IsArray(size_t size) const;             // *size

  // A readable rendering for failure messages, e.g. `["message","ch",(integer) 1]`.
  std::string Describe() const;

 private:
  struct Free {
    void operator()(redisReply* r) const { freeReplyObject(r); }
  };
  std::unique_ptr<redisReply, Free> reply_;
};

// Renders any hiredis reply (or a nested element) as Reply::Describe() does.
std::string DescribeReply(const redisReply* r);

class Client {
 public:
  // Connects to 127.0.0.1:port within `timeout`; the same timeout then applies to every read and
  // write. Check ok() afterwards.
  explicit Client(uint16_t port, milliseconds timeout = milliseconds(5000));
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  bool ok() const { return ctx_ != nullptr && ctx_->err == 0; }
  // The last connection-level error ("Connection refused", "Resource temporarily unavailable"
  // for a read timeout, "Server closed the connection").
  std::string error() const;
  int fd() const { return ctx_ ? ctx_->fd : -1; }
  void SetTimeout(milliseconds timeout);

  // Sends one command and waits for its reply.
  Reply Command(const std::vector<std::string>& argv);
  // Pipelining: Append() queues commands, Flush() writes everything queued, GetReply() (which
  // flushes first) reads the next reply in order.
  void Append(const std::vector<std::string>& argv);
  bool Flush();
  Reply GetReply();
  // Queues raw request bytes (anything, valid RESP or not) to be written by the next Flush() or
  // GetReply(); the replies are parsed by hiredis as usual.
  void AppendRaw(std::string_view bytes);

  // Reads raw bytes from the socket, bypassing hiredis (only meaningful when no reply is buffered
  // in hiredis). Returns what arrived within `timeout` (may be empty); *closed set on EOF/reset.
  std::string RecvRaw(milliseconds timeout, bool* closed = nullptr);

 private:
  redisContext* ctx_ = nullptr;
};

// A value read by RawConnection::ReadResp3(): any RESP2 or RESP3 type.
struct Resp3 {
  char type = 0;    // '+', '-', ':', '$', '*', '%', '~', '>', '_', ',', '#', '(', '=', '|', '!'
  std::string str;  // simple/bulk/verbatim/error text, double and big number text
  long long integer = 0;     // ':' value, '#' as 0/1
  bool null = false;         // '_', '$-1', '*-1'
  std::vector<Resp3> elems;  // '*', '~', '>', and '%'/'|' as key, value, key, value...

  // The value for `key` in a map ('%'), or nullptr.
  const Resp3* Find(std::string_view key) const;
  std::string Describe() const;
};

// Parses one complete value from the front of `data`. Returns bytes consumed, 0 when `data` holds
// only part of a value, or -1 when it is not valid RESP.
long ParseResp3(std::string_view data, Resp3* out);

class RawConnection {
 public:
  // Connects to 127.0.0.1:port (blocking, bounded by `timeout`). Check ok().
  explicit RawConnection(uint16_t port, milliseconds timeout = milliseconds(2000));
  // The same from the local address `source` (e.g. "127.0.0.2": a client that is not 127.0.0.1).
  RawConnection(uint16_t port, const std::string& source, milliseconds timeout);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool ok() const { return fd_ >= 0 && error_.empty(); }
  const std::string& error() const { return error_; }
  int fd() const { return fd_; }

  // Writes all of `bytes`. False on error (peer gone).
  bool Send(std::string_view bytes);
  // Sends a command encoded as a RESP array of bulk strings.
  bool SendCommand(const std::vector<std::string>& argv);
  // Reads whatever arrives within `timeout` into the buffer. Returns bytes read (0 on timeout,
  // EOF or error; see closed()).
  size_t ReadSome(milliseconds timeout);
  // Reads until the buffer contains `needle`, EOF, or the deadline. True when found.
  bool ReadUntil(std::string_view needle, milliseconds timeout);
  // Reads until the peer closes the connection or the deadline. True when closed.
  bool ReadUntilClosed(milliseconds timeout);
  // Reads and removes one complete RESP value from the buffer. nullopt on timeout/close/garbage.
  std::optional<Resp3> ReadResp3(milliseconds timeout);
  // Sends a command and reads one reply.
  std::optional<Resp3> Command(const std::vector<std::string>& argv,
                               milliseconds timeout = milliseconds(5000));

  // Bytes received and not yet consumed by ReadResp3.
  const std::string& buffer() const { return buffer_; }
  void ClearBuffer() { buffer_.clear(); }
  bool closed() const { return closed_; }
  // Closes the socket now (with RST when `reset`, i.e. SO_LINGER 0).
  void Close(bool reset = false);

 private:
  int fd_ = -1;
  bool closed_ = false;
  std::string error_;
  std::string buffer_;
};

// Encodes argv as a RESP array of bulk strings.
std::string EncodeCommand(const std::vector<std::string>& argv);

}  // namespace respite::test
