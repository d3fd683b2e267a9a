#include "cli/format.h"

#include <ctime>

namespace respite::cli {

namespace {

// "..." with backslash escapes: a byte found in `escaped` becomes a backslash and the letter at
// the same place in `letters`; other printable ASCII stays; every other byte becomes `hex_prefix`
// and two hex digits.
std::string Quote(std::string_view bytes, std::string_view escaped, std::string_view letters,
                  std::string_view hex_prefix) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() + 2);
  out.push_back('"');
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (const size_t at = escaped.find(ch); at != std::string_view::npos) {
      out.push_back('\\');
      out.push_back(letters[at]);
    } else if (c >= 0x20 && c < 0x7f) {
      out.push_back(ch);
    } else {
      out.append(hex_prefix);
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace

std::string JsonString(std::string_view bytes) {
  // Bytes >= 0x80 are escaped too: emitting them raw would make invalid UTF-8 (invalid JSON).
  return Quote(bytes, "\"\\\n\r\t\b\f", "\"\\nrtbf", "\\u00");
}

std::string RedisQuote(std::string_view bytes) {
  return Quote(bytes, "\\\"\n\r\t\a\b", "\\\"nrtab", "\\x");
}

std::string FormatTime(int64_t unix_ms) {
  int64_t ms = unix_ms % 1000;
  int64_t secs = unix_ms / 1000;
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  const auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  out.push_back('.');
  out.push_back(static_cast<char>('0' + ms / 100));
  out.push_back(static_cast<char>('0' + ms / 10 % 10));
  out.push_back(static_cast<char>('0' + ms % 10));
  out.push_back('Z');
  return out;
}

}  // namespace respite::cli
