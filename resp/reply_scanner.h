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
  enum class State {
    kType,   // pos_ is where the next value's type byte will be
    kLine,   // reading the header or simple line of the value whose type byte is at pos_
    kBlob,   // skipping a blob payload that starts at pos_ and ends (CRLF included) at blob_end_
    kError,  // an error was reported; only Reset() leaves this state
  };
  // An open aggregate. Attributes (`|`) annotate the value after them and are not elements of
  // their parent.
  struct Frame {
    int64_t left;  // elements still expected (2 per map or attribute entry)
    bool attribute;
  };

  ScanStatus Fail(std::string_view what);
  // Called when a value (not an attribute) is complete at pos_. True when that ends the reply.
  bool FinishValue();
  // Handles a complete line; `content` is between the type byte and CRLF, `next` follows the LF.
  // Returns true to go on scanning, false when `*result` holds the answer.
  bool OnLine(std::string_view content, size_t next, ScanStatus* result);
  ScanStatus Done();

  size_t max_bulk_len_;
  State state_ = State::kType;
  size_t pos_ = 0;
  size_t scan_ = 0;  // the current line holds no CR before this offset
  size_t blob_end_ = 0;
  char type_ = 0;             // type byte of the value being read
  std::vector<Frame> stack_;  // open aggregates, innermost last
  size_t reply_len_ = 0;
  char reply_type_ = 0;
  std::string error_;
};

}  // namespace respite::resp
