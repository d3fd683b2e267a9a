#pragma once
// Small text helpers the client session's files share (client_session.cpp, client_upstream.cpp,
// client_commands.cpp, client_login.cpp): argument matching and parsing, and the error replies
// Redis words them with.

#include <openssl/crypto.h>

#include <cctype>
#include <charconv>
#include <string>
#include <string_view>

#include "resp/ascii.h"
#include "resp/reply_writer.h"

namespace respite::proxy::session_text {

using resp::EqualsIgnoreCase;
inline bool IEquals(std::string_view a, std::string_view b) { return EqualsIgnoreCase(a, b); }
inline std::string Lower(std::string_view s) { return resp::AsciiLower(s); }

// A whole decimal integer, as Redis reads one.
inline bool ParseInt(std::string_view s, long long* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// Compares a secret in constant time.
inline bool SecretEquals(std::string_view a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

inline std::string ErrorReply(std::string_view message) {
  std::string out;
  resp::ReplyWriter(&out).Error(message);
  return out;
}

inline std::string ArityError(std::string_view command) {
  return "ERR wrong number of arguments for '" + Lower(command) + "' command";
}

inline bool ValidClientName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;  // Redis refuses spaces, newlines, control bytes
  }
  return true;
}

}  // namespace respite::proxy::session_text
