#pragma once
// The timeout argument of Redis' blocking commands (BLPOP, BLMOVE, BZPOPMIN, BLMPOP, ...), parsed
// exactly as Redis 7.0 does. The store's handlers use it to reject bad timeouts before they try;
// the proxy can use it to compute the deadline of a parked client. No I/O.

#include <cmath>
#include <cstdint>
#include <string_view>

#include "storage/numbers.h"

namespace respite::storage {

// Parses a timeout in seconds (a float: "0.5", "1e3", "0x10"; no spaces, not nan) into
// milliseconds, rounded up (0.0001 -> 1 ms; 0 = wait forever). On failure returns false with
// *error set to Redis' error text (without "-").
inline bool ParseBlockTimeoutMs(std::string_view arg, int64_t* ms, std::string_view* error) {
  long double seconds = 0;
  if (!ParseLongDouble(arg, &seconds)) {
    *error = "ERR timeout is not a float or out of range";
    return false;
  }
  // Redis converts ceil(seconds * 1000) to long long; values out of that range (inf included)
  // come out as LLONG_MIN on x86 and so read as negative.
  const long double scaled = std::ceil(seconds * 1000.0L);
  if (!(scaled >= -9223372036854775808.0L && scaled < 9223372036854775808.0L) || scaled < 0) {
    *error = "ERR timeout is negative";
    return false;
  }
  *ms = static_cast<int64_t>(scaled);
  return true;
}

}  // namespace respite::storage
