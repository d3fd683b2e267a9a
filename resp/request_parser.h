#pragma once
// Incremental parser for client requests: RESP multibulk (`*<n>\r\n$<len>\r\n...`, the form RESP2
// and RESP3 clients both send) and inline commands (`SET k v\r\n`). No I/O, no allocation per
// command once warm, no exceptions. It can be fed one byte at a time.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace respite::resp {

// Limits as Redis has them (proto-max-bulk-len, the multibulk count cap, PROTO_INLINE_MAX_SIZE).
struct ParserLimits {
  // Longest bulk argument accepted. Default: 512 MB.
  size_t max_bulk_len = 512u * 1024 * 1024;
  // Most arguments in one multibulk command. Default: 1,048,576.
  size_t max_multibulk_len = 1024 * 1024;
  // Longest inline command line, and longest `*`/`$` header line. Default: 64 KB.
  size_t max_inline_len = 64 * 1024;
};

enum class ParseStatus {
  kNeedMore,  // no complete command yet; call again with more bytes
  kCommand,   // *out holds one complete command
  kError,     // protocol error; error() says what; the connection must be closed
};

// One parsed command. For a multibulk command, `argv` views point into the buffer passed to Parse()
// and stay valid until the caller discards or moves those bytes. For an inline command they point
// into the parser (arguments are unescaped) and stay valid until the next Parse() or Reset().
struct Command {
  std::vector<std::string_view> argv;
  // Bytes of input this command occupied, from the start of the input passed to Parse().
  size_t raw_len = 0;
  // True for an inline command: its raw bytes are not RESP, so a forwarder must re-encode argv.
  bool is_inline = false;
};

class RequestParser {
 public:
  explicit RequestParser(ParserLimits limits = {});

  // Parses the next command from `input`, the caller's unconsumed bytes. Contract between calls:
  // after kNeedMore, call again with the same bytes plus any that arrived since (the buffer may
  // have moved; the parser keeps offsets, not pointers). After kCommand the caller drops the first
  // out->raw_len bytes before the next call. Empty commands (`*0`, `*-1`, blank inline lines) are
  // skipped, as Redis does: they count in raw_len of the next command.
  ParseStatus Parse(std::string_view input, Command* out);

  // After kError: the text Redis sends, without the leading '-', e.g.
  // "ERR Protocol error: invalid bulk length".
  const std::string& error() const { return error_; }

  // After kNeedMore: how many bytes of input the parser needs before it can make progress (at least
  // input.size() + 1). Lets a reader size its buffer for a large bulk in one go.
  size_t bytes_needed() const { return bytes_needed_; }

  // Forgets a partial command (for a connection that is reset).
  void Reset();

  // Redis' limits for a client that has not authenticated yet (while a password is required): at
  // most 10 arguments and bulks of at most 16 KB, so nobody can make respite buffer a 512 MB
  // bulk before AUTH. Refused with Redis' "unauthenticated multibulk length" / "unauthenticated
  // bulk length" protocol errors.
  void set_unauthenticated(bool on) { unauthenticated_ = on; }

 private:
  // Where the parser stands inside the current request. Offsets are relative to the start of the
  // input, which is the start of the current request (or of the empty requests skipped before it).
  enum class State {
    kStart,           // pos_ is the first byte of a request
    kMultibulkCount,  // reading the `*<count>` line that starts at pos_
    kMultibulkArg,    // reading a `$<len>` line that starts at pos_
    kBulkPayload,     // waiting for bulk_len_ bytes plus CRLF at pos_
    kInline,          // reading an inline line that starts at pos_
    kError,           // a protocol error was reported; only Reset() leaves this state
  };

  // The common case in one pass: a complete multibulk command whose headers are plain
  // `*<n>\r\n` and `$<len>\r\n`. Anything else (a partial or empty command, a header the general
  // path must judge) returns false and leaves the parser as it was, for the state machine.
  bool ParseWholeMultibulk(std::string_view input, Command* out);
  ParseStatus Fail(std::string_view what);
  // Each returns true to go on with the next state, false when `*result` holds the answer.
  bool StepMultibulkCount(std::string_view input, ParseStatus* result);
  bool StepMultibulkArg(std::string_view input, ParseStatus* result);
  bool StepBulkPayload(std::string_view input, Command* out, ParseStatus* result);
  bool StepInline(std::string_view input, Command* out, ParseStatus* result);
  // Finds `term` in the line that starts at pos_, resuming where the last search stopped. Returns
  // its offset, or npos when it is not there yet (or never will be: Redis stops at a NUL byte).
  size_t FindLineEnd(std::string_view input, char term);
  // Splits an inline line as Redis' sdssplitargs does, unescaping into inline_args_ and recording
  // spans into it in arg_spans_. False on unbalanced quotes.
  bool SplitInline(std::string_view line);
  ParseStatus NeedMore(size_t needed);
  void StartRequest();

  ParserLimits limits_;
  bool unauthenticated_ = false;
  State state_ = State::kStart;
  size_t pos_ = 0;             // start of the line or payload being read
  size_t scan_ = 0;            // the current line holds no terminator before this offset
  bool line_blocked_ = false;  // the current line holds a NUL byte, so it never ends
  long long args_left_ = 0;    // multibulk arguments still to read
  size_t bulk_len_ = 0;        // length of the bulk being read
  std::vector<std::pair<size_t, size_t>> arg_spans_;  // (offset, length) of each argument so far
  std::string inline_args_;  // unescaped inline arguments (inline form only)
  std::string error_;
  size_t bytes_needed_ = 0;
};

}  // namespace respite::resp
