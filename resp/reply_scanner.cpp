#include "resp/reply_scanner.h"

#include <charconv>
#include <cstring>

namespace respite::resp {
namespace {

// Longest line accepted after a numeric type byte (`:`, `$`, `*`, ...): an int64 takes 20.
constexpr size_t kMaxNumberLine = 32;
// Counts above this are corrupt, and doubling them for maps must not overflow.
constexpr int64_t kMaxAggregateLen = int64_t{1} << 40;

// Numbers as Redis writes them: optional '-', no leading zeros, no "-0", no '+', no spaces.
bool ParseInt64(std::string_view s, int64_t* v) {
  if (s.empty()) return false;
  const size_t first_digit = s[0] == '-' ? 1 : 0;
  if (first_digit == s.size() || (s[first_digit] == '0' && s.size() > 1)) return false;
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, *v);
  return ec == std::errc() && ptr == end;
}

bool IsBigNumber(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Lines whose content is text rather than a number; they may be long.
bool IsTextLine(char type) { return type == '+' || type == '-' || type == ',' || type == '('; }

bool IsTypeByte(char c) {
  switch (c) {
    case '+':
    case '-':
    case ':':
    case '$':
    case '*':  // RESP2
    case '_':
    case ',':
    case '#':
    case '(':
    case '!':
    case '=':
    case '%':
    case '~':
    case '>':
    case '|':  // RESP3
      return true;
    default:
      return false;
  }
}

std::string Printable(char c) {
  if (c >= 0x20 && c < 0x7f) return std::string(1, c);
  static constexpr char kHex[] = "0123456789abcdef";
  const auto u = static_cast<unsigned char>(c);
  return std::string{'\\', 'x', kHex[u >> 4], kHex[u & 15]};
}

}  // namespace

ReplyScanner::ReplyScanner(size_t max_bulk_len) : max_bulk_len_(max_bulk_len) {}

void ReplyScanner::Reset() {
  state_ = State::kType;
  pos_ = 0;
  scan_ = 0;
  blob_end_ = 0;
  type_ = 0;
  stack_.clear();
  reply_len_ = 0;
  reply_type_ = 0;
  error_.clear();
}

ScanStatus ReplyScanner::Fail(std::string_view what) {
  state_ = State::kError;
  error_.assign(what);
  return ScanStatus::kError;
}

ScanStatus ReplyScanner::Done() {
  reply_len_ = pos_;
  state_ = State::kType;
  pos_ = 0;
  scan_ = 0;
  return ScanStatus::kReply;
}

bool ReplyScanner::FinishValue() {
  while (!stack_.empty()) {
    Frame& frame = stack_.back();
    if (--frame.left > 0) return false;
    const bool attribute = frame.attribute;
    stack_.pop_back();
    // A finished attribute is not a value: the value it annotates comes next.
    if (attribute) return false;
  }
  return true;
}

ScanStatus ReplyScanner::Scan(std::string_view input) {
  if (state_ == State::kError) return ScanStatus::kError;
  // The caller must pass at least the bytes it passed last time; otherwise wait for them.
  if (input.size() < pos_ || input.size() < scan_) return ScanStatus::kNeedMore;
  ScanStatus result = ScanStatus::kNeedMore;
  for (;;) {
    if (state_ == State::kBlob) {
      // The payload is never looked at, only its end: a big blob costs O(1) per call.
      if (input.size() < blob_end_) return ScanStatus::kNeedMore;
      if (input[blob_end_ - 2] != '\r' || input[blob_end_ - 1] != '\n') {
        return Fail("blob string not terminated by CRLF");
      }
      if (type_ == '=' && input[pos_ + 3] != ':') {
        return Fail("verbatim string without a format prefix");
      }
      pos_ = blob_end_;
      scan_ = pos_;
      state_ = State::kType;
      if (FinishValue()) return Done();
      continue;
    }
    if (state_ == State::kType) {
      if (pos_ >= input.size()) return ScanStatus::kNeedMore;
      type_ = input[pos_];
      if (!IsTypeByte(type_)) return Fail("invalid reply type byte '" + Printable(type_) + "'");
      if (stack_.empty() && type_ != '|') reply_type_ = type_;
      scan_ = pos_ + 1;
      state_ = State::kLine;
    }
    // kLine: find CR, resuming where the last search stopped.
    size_t cr = std::string_view::npos;
    if (scan_ < input.size()) {
      const void* hit = std::memchr(input.data() + scan_, '\r', input.size() - scan_);
      scan_ = hit != nullptr ? static_cast<size_t>(static_cast<const char*>(hit) - input.data())
                             : input.size();
      if (hit != nullptr) cr = scan_;
    }
    // Judged on the line length, not on what is buffered, so that the outcome does not depend on
    // how the bytes were split.
    const size_t line_len = scan_ - pos_ - 1;
    if (line_len > (IsTextLine(type_) ? max_bulk_len_ : kMaxNumberLine)) {
      return Fail("reply line too long");
    }
    if (cr == std::string_view::npos || cr + 1 >= input.size()) return ScanStatus::kNeedMore;
    if (input[cr + 1] != '\n') return Fail("reply line not terminated by CRLF");
    if (!OnLine(input.substr(pos_ + 1, line_len), cr + 2, &result)) return result;
  }
}

bool ReplyScanner::OnLine(std::string_view content, size_t next, ScanStatus* result) {
  auto value_done = [&] {
    pos_ = next;
    scan_ = next;
    state_ = State::kType;
    if (!FinishValue()) return true;
    *result = Done();
    return false;
  };
  auto fail = [&](std::string_view what) {
    *result = Fail(what);
    return false;
  };
  int64_t n = 0;
  switch (type_) {
    case '+':
    case '-':
      return value_done();
    case ',':
      return content.empty() ? fail("invalid double reply") : value_done();
    case ':':
      return ParseInt64(content, &n) ? value_done() : fail("invalid integer reply");
    case '(':
      return IsBigNumber(content) ? value_done() : fail("invalid big number reply");
    case '#':
      return content == "t" || content == "f" ? value_done() : fail("invalid boolean reply");
    case '_':
      return content.empty() ? value_done() : fail("invalid null reply");
    case '$':
    case '!':
    case '=':
      if (content == "?") return fail("streamed strings are not supported");
      if (!ParseInt64(content, &n)) return fail("invalid blob length");
      if (n == -1 && type_ == '$') return value_done();  // RESP2 null bulk
      if (n < 0 || static_cast<uint64_t>(n) > max_bulk_len_) return fail("invalid blob length");
      if (type_ == '=' && n < 4) return fail("verbatim string without a format prefix");
      pos_ = next;
      scan_ = next;
      blob_end_ = next + static_cast<size_t>(n) + 2;
      state_ = State::kBlob;
      return true;
    default:  // '*', '%', '~', '>', '|'
      if (content == "?") return fail("streamed aggregates are not supported");
      if (!ParseInt64(content, &n)) return fail("invalid aggregate length");
      if (n == -1 && type_ == '*') return value_done();  // RESP2 null array
      if (n < 0 || n > kMaxAggregateLen) return fail("invalid aggregate length");
      if (n == 0) {
        if (type_ != '|') return value_done();
        pos_ = next;  // an empty attribute annotates the value after it
        scan_ = next;
        state_ = State::kType;
        return true;
      }
      stack_.push_back({type_ == '%' || type_ == '|' ? 2 * n : n, type_ == '|'});
      pos_ = next;
      scan_ = next;
      state_ = State::kType;
      return true;
  }
}

}  // namespace respite::resp
