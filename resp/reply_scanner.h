#pragma once
// Finds reply boundaries in a stream of RESP2/RESP3 bytes from upstream, without decoding or
// copying. The proxy relays replies as bytes; it only needs to know where each one ends. No I/O.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace respite::resp {

enum class ScanStatus {
  kNeedMore,  // the reply is not complete yet; call again with more bytes
  kReply,     // one complete top-level reply
  kError,     // the bytes are not RESP; error() says why; the connection must be dropped
};

class ReplyScanner {
 public:
  // `max_bulk_len` guards against a corrupt length header. Default: 512 MB plus slack.
  explicit ReplyScanner(size_t max_bulk_len = 1024u * 1024 * 1024);

  // Scans the next reply at the start of `input`. Contract as RequestParser::Parse: after kNeedMore
  // pass the same bytes plus more (progress is kept as offsets, so a 64 MB reply or a big array is
  // not rescanned); after kReply drop reply_len() bytes before the next call.
  ScanStatus Scan(std::string_view input);

  // After kReply: its length in bytes (an attribute `|` that precedes a reply is part of it).
  size_t reply_len() const { return reply_len_; }
  // After kReply: the type byte of the top-level value ('+', '-', ':', '$', '*', '%', '>', ...),
  // after any attribute. '>' is a RESP3 push message (pub/sub, client-side caching invalidation).
  char reply_type() const { return reply_type_; }

  const std::string& error() const { return error_; }
  void Reset();

 private:
  ScanStatus Fail(std::string_view what);

  size_t max_bulk_len_;
  size_t pos_ = 0;
  // Elements still expected by each open aggregate, innermost last.
  std::vector<int64_t> pending_;
  bool in_attribute_prefix_ = false;
  size_t bulk_left_ = 0;  // payload bytes (plus CRLF) still to skip for the current blob
  bool in_blob_ = false;
  char top_type_ = 0;
  size_t reply_len_ = 0;
  char reply_type_ = 0;
  std::string error_;
};

}  // namespace respite::resp
