#include "resp/request_parser.h"

#include <algorithm>
#include <climits>
#include <cstring>

namespace respite::resp {
namespace {

constexpr size_t kNpos = std::string_view::npos;
// Commands with more arguments go through the general path only, so a big command that is still
// arriving is not scanned twice for long.
constexpr size_t kWholeMaxArgs = 1024;
// Redis' limits before AUTH (networking.c: "ll > 10", "ll > 16384").
constexpr size_t kUnauthMaxArgs = 10;
constexpr size_t kUnauthMaxBulk = 16384;

// Redis' string2ll(): no sign but '-', no leading zeros, no spaces, at most 20 characters. Redis
// uses it for the `*` and `$` headers, so we accept exactly what it accepts.
bool String2ll(std::string_view s, long long* value) {
  if (s.empty() || s.size() >= 21) return false;
  if (s.size() == 1 && s[0] == '0') {
    *value = 0;
    return true;
  }
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    if (++i == s.size()) return false;
  }
  if (s[i] < '1' || s[i] > '9') return false;
  unsigned long long v = static_cast<unsigned long long>(s[i++] - '0');
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const unsigned digit = static_cast<unsigned>(s[i] - '0');
    if (v > ULLONG_MAX / 10) return false;
    v *= 10;
    if (v > ULLONG_MAX - digit) return false;
    v += digit;
  }
  if (negative) {
    if (v > static_cast<unsigned long long>(LLONG_MAX) + 1) return false;
    *value = static_cast<long long>(0ULL - v);
  } else {
    if (v > static_cast<unsigned long long>(LLONG_MAX)) return false;
    *value = static_cast<long long>(v);
  }
  return true;
}

// isspace() in the C locale, which is what sdssplitargs() uses between arguments.
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

}  // namespace

RequestParser::RequestParser(ParserLimits limits) : limits_(limits) {}

void RequestParser::Reset() {
  StartRequest();
  error_.clear();
  bytes_needed_ = 0;
}

void RequestParser::StartRequest() {
  state_ = State::kStart;
  pos_ = 0;
  scan_ = 0;
  line_blocked_ = false;
  args_left_ = 0;
  bulk_len_ = 0;
  arg_spans_.clear();
}

ParseStatus RequestParser::Fail(std::string_view what) {
  state_ = State::kError;
  error_.assign("ERR Protocol error: ");
  error_.append(what);
  return ParseStatus::kError;
}

ParseStatus RequestParser::NeedMore(size_t needed) {
  bytes_needed_ = needed;
  return ParseStatus::kNeedMore;
}

size_t RequestParser::FindLineEnd(std::string_view input, char term) {
  if (line_blocked_ || scan_ >= input.size()) return kNpos;
  // Header lines (`*3`, `$64`) are a few bytes: a plain loop that looks for both bytes at once
  // costs less than the two memchr() calls below, which pay off on long inline lines.
  const size_t quick_end = std::min(input.size(), scan_ + 24);
  for (; scan_ < quick_end; ++scan_) {
    if (input[scan_] == term) return scan_;
    // Redis looks for the terminator with strchr(), which gives up at a NUL byte: such a line
    // never ends, and the request fails once the line outgrows the inline limit.
    if (input[scan_] == '\0') {
      line_blocked_ = true;
      return kNpos;
    }
  }
  if (scan_ == input.size()) return kNpos;
  const char* from = input.data() + scan_;
  const size_t left = input.size() - scan_;
  const void* hit = std::memchr(from, term, left);
  const size_t searched = hit != nullptr ? static_cast<const char*>(hit) - from : left;
  if (std::memchr(from, '\0', searched) != nullptr) {
    line_blocked_ = true;
    return kNpos;
  }
  scan_ += searched;
  return hit != nullptr ? scan_ : kNpos;
}

ParseStatus RequestParser::Parse(std::string_view input, Command* out) {
  if (state_ == State::kError) return ParseStatus::kError;
  // The caller must pass at least the bytes it passed last time; otherwise wait for them.
  if (input.size() < pos_ || input.size() < scan_) {
    return NeedMore(std::max(pos_, scan_) + 1);
  }
  if (state_ == State::kStart && pos_ == 0 && !input.empty() && input[0] == '*' &&
      ParseWholeMultibulk(input, out)) {
    return ParseStatus::kCommand;
  }
  ParseStatus result = ParseStatus::kNeedMore;
  for (;;) {
    switch (state_) {
      case State::kStart:
        if (pos_ >= input.size()) return NeedMore(input.size() + 1);
        scan_ = pos_;
        line_blocked_ = false;
        state_ = input[pos_] == '*' ? State::kMultibulkCount : State::kInline;
        break;
      case State::kMultibulkCount:
        if (!StepMultibulkCount(input, &result)) return result;
        break;
      case State::kMultibulkArg:
        if (!StepMultibulkArg(input, &result)) return result;
        break;
      case State::kBulkPayload:
        if (!StepBulkPayload(input, out, &result)) return result;
        break;
      case State::kInline:
        if (!StepInline(input, out, &result)) return result;
        break;
      case State::kError:
        return ParseStatus::kError;
    }
  }
}

bool RequestParser::ParseWholeMultibulk(std::string_view input, Command* out) {
  // Header lines here are at most 21 bytes; a smaller configured limit needs the general path.
  if (limits_.max_inline_len < 32) return false;
  const char* p = input.data() + 1;  // past the '*'
  const char* const end = input.data() + input.size();
  // `<number>\r\n` at p, the number read as the general path reads it (String2ll), not negative.
  auto read_number = [&p, end](size_t* value) {
    const char* cr = p;
    while (cr < end && cr - p <= 20 && *cr != '\r') ++cr;
    long long v = 0;
    if (end - cr < 2 || cr[0] != '\r' || cr[1] != '\n' ||
        !String2ll(std::string_view(p, static_cast<size_t>(cr - p)), &v) || v < 0) {
      return false;
    }
    *value = static_cast<size_t>(v);
    p = cr + 2;
    return true;
  };
  size_t count = 0;
  if (!read_number(&count) || count == 0 || count > kWholeMaxArgs ||
      count > limits_.max_multibulk_len || (unauthenticated_ && count > kUnauthMaxArgs)) {
    return false;
  }
  out->argv.clear();
  for (size_t i = 0; i < count; ++i) {
    size_t len = 0;
    if (p == end || *p++ != '$' || !read_number(&len) || len > limits_.max_bulk_len ||
        (unauthenticated_ && len > kUnauthMaxBulk) || static_cast<size_t>(end - p) < len + 2) {
      return false;
    }
    out->argv.emplace_back(p, len);
    p += len + 2;  // like the general path, the two bytes after a payload are not checked
  }
  out->raw_len = static_cast<size_t>(p - input.data());
  out->is_inline = false;
  return true;
}

bool RequestParser::StepMultibulkCount(std::string_view input, ParseStatus* result) {
  const size_t cr = FindLineEnd(input, '\r');
  // Judged on the line length, not on how much happens to be buffered, so that the outcome does
  // not depend on how the bytes were split into reads.
  const size_t line_len = cr == kNpos ? input.size() - pos_ : cr - pos_;
  if (line_len > limits_.max_inline_len) {
    *result = Fail("too big mbulk count string");
    return false;
  }
  // Redis needs the byte after CR to be there but does not look at it.
  if (cr == kNpos || cr + 1 >= input.size()) {
    *result = NeedMore(input.size() + 1);
    return false;
  }
  long long count = 0;
  if (!String2ll(input.substr(pos_ + 1, cr - pos_ - 1), &count) || count > INT_MAX ||
      (count > 0 && static_cast<unsigned long long>(count) > limits_.max_multibulk_len)) {
    *result = Fail("invalid multibulk length");
    return false;
  }
  if (unauthenticated_ && count > static_cast<long long>(kUnauthMaxArgs)) {
    *result = Fail("unauthenticated multibulk length");
    return false;
  }
  pos_ = cr + 2;
  scan_ = pos_;
  if (count <= 0) {
    // `*0` and `*-1` are empty requests: skipped, their bytes go with the next command.
    state_ = State::kStart;
    return true;
  }
  args_left_ = count;
  arg_spans_.clear();
  state_ = State::kMultibulkArg;
  return true;
}

bool RequestParser::StepMultibulkArg(std::string_view input, ParseStatus* result) {
  const size_t cr = FindLineEnd(input, '\r');
  const size_t line_len = cr == kNpos ? input.size() - pos_ : cr - pos_;
  if (line_len > limits_.max_inline_len) {
    *result = Fail("too big bulk count string");
    return false;
  }
  if (cr == kNpos || cr + 1 >= input.size()) {
    *result = NeedMore(input.size() + 1);
    return false;
  }
  if (input[pos_] != '$') {
    // Redis formats the byte with %c and then turns CR and LF into spaces.
    char got = input[pos_];
    if (got == '\r' || got == '\n') got = ' ';
    std::string what = "expected '$', got '";
    what.push_back(got);
    what.push_back('\'');
    *result = Fail(what);
    return false;
  }
  long long len = 0;
  if (!String2ll(input.substr(pos_ + 1, cr - pos_ - 1), &len) || len < 0 ||
      static_cast<unsigned long long>(len) > limits_.max_bulk_len) {
    *result = Fail("invalid bulk length");
    return false;
  }
  if (unauthenticated_ && static_cast<size_t>(len) > kUnauthMaxBulk) {
    *result = Fail("unauthenticated bulk length");
    return false;
  }
  pos_ = cr + 2;
  bulk_len_ = static_cast<size_t>(len);
  state_ = State::kBulkPayload;
  return true;
}

bool RequestParser::StepBulkPayload(std::string_view input, Command* out, ParseStatus* result) {
  // The payload is not scanned: it is complete once enough bytes are there. Like Redis, the two
  // bytes after it are skipped without being checked.
  if (input.size() - pos_ < bulk_len_ + 2) {
    *result = NeedMore(pos_ + bulk_len_ + 2);
    return false;
  }
  arg_spans_.emplace_back(pos_, bulk_len_);
  pos_ += bulk_len_ + 2;
  scan_ = pos_;
  if (--args_left_ > 0) {
    state_ = State::kMultibulkArg;
    return true;
  }
  out->argv.clear();
  for (const auto& [offset, len] : arg_spans_) out->argv.emplace_back(input.data() + offset, len);
  out->raw_len = pos_;
  out->is_inline = false;
  StartRequest();
  *result = ParseStatus::kCommand;
  return false;
}

bool RequestParser::StepInline(std::string_view input, Command* out, ParseStatus* result) {
  const size_t lf = FindLineEnd(input, '\n');
  const size_t line_len = lf == kNpos ? input.size() - pos_ : lf - pos_;
  if (line_len > limits_.max_inline_len) {
    *result = Fail("too big inline request");
    return false;
  }
  if (lf == kNpos) {
    *result = NeedMore(input.size() + 1);
    return false;
  }
  size_t end = lf;
  if (end > pos_ && input[end - 1] == '\r') --end;
  inline_args_.clear();
  arg_spans_.clear();
  if (!SplitInline(input.substr(pos_, end - pos_))) {
    *result = Fail("unbalanced quotes in request");
    return false;
  }
  pos_ = lf + 1;
  scan_ = pos_;
  if (arg_spans_.empty()) {
    // A blank line: skipped, its bytes go with the next command.
    state_ = State::kStart;
    return true;
  }
  // inline_args_ is complete, so views into it stay put.
  out->argv.clear();
  for (const auto& [offset, len] : arg_spans_) {
    out->argv.emplace_back(inline_args_.data() + offset, len);
  }
  out->raw_len = pos_;
  out->is_inline = true;
  StartRequest();
  *result = ParseStatus::kCommand;
  return false;
}

bool RequestParser::SplitInline(std::string_view line) {
  // Mirrors sdssplitargs(), which reads a NUL-terminated string: past the end reads as '\0'. The
  // line holds no NUL byte (FindLineEnd() never ends such a line).
  const size_t n = line.size();
  auto at = [&](size_t k) { return k < n ? line[k] : '\0'; };
  size_t i = 0;
  for (;;) {
    while (i < n && IsSpace(line[i])) ++i;
    if (i >= n) return true;
    const size_t start = inline_args_.size();
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      const char c = at(i);
      if (in_double) {
        if (c == '\\' && at(i + 1) == 'x' && IsHexDigit(at(i + 2)) && IsHexDigit(at(i + 3))) {
          inline_args_.push_back(static_cast<char>(HexValue(at(i + 2)) * 16 + HexValue(at(i + 3))));
          i += 3;
        } else if (c == '\\' && at(i + 1) != '\0') {
          ++i;
          switch (line[i]) {
            case 'n':
              inline_args_.push_back('\n');
              break;
            case 'r':
              inline_args_.push_back('\r');
              break;
            case 't':
              inline_args_.push_back('\t');
              break;
            case 'b':
              inline_args_.push_back('\b');
              break;
            case 'a':
              inline_args_.push_back('\a');
              break;
            default:
              inline_args_.push_back(line[i]);
              break;
          }
        } else if (c == '"') {
          // A closing quote must be followed by a space or the end of the line.
          if (at(i + 1) != '\0' && !IsSpace(at(i + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;
        } else {
          inline_args_.push_back(c);
        }
      } else if (in_single) {
        if (c == '\\' && at(i + 1) == '\'') {
          ++i;
          inline_args_.push_back('\'');
        } else if (c == '\'') {
          if (at(i + 1) != '\0' && !IsSpace(at(i + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;
        } else {
          inline_args_.push_back(c);
        }
      } else {
        switch (c) {
          // Not isspace(): an unquoted argument runs on through '\v' and '\f', as in Redis.
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default:
            inline_args_.push_back(c);
            break;
        }
      }
      if (i < n) ++i;
    }
    arg_spans_.emplace_back(start, inline_args_.size() - start);
  }
}

}  // namespace respite::resp
