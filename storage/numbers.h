#pragma once
// Number parsing and formatting exactly as Redis does it, so replies and errors match byte for
// byte. No I/O.

#include <cstdint>
#include <string>
#include <string_view>

namespace respite::storage {

// Redis' string2ll: optional '-', digits, no '+', no spaces, no leading zeros, fits int64.
bool ParseInt64(std::string_view s, int64_t* out);
// Redis' string2ld/strtold rules for INCRBYFLOAT and HINCRBYFLOAT values (no spaces, not nan).
bool ParseLongDouble(std::string_view s, long double* out);
// Redis' getDoubleFromObject / zset score rules ("inf", "-inf", "+inf" allowed; not nan).
bool ParseDouble(std::string_view s, double* out);

// Formats as Redis' ld2string in LD_STR_HUMAN mode (INCRBYFLOAT replies): %.17Lf, trailing zeros
// and a trailing point removed.
std::string FormatLongDouble(long double v);
// Formats a score as Redis does in RESP2 replies (%.17g; "inf", "-inf").
std::string FormatScore(double v);

}  // namespace respite::storage
