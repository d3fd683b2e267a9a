#pragma once
// Text forms for the tools' output. Pure functions, no I/O.

#include <cstdint>
#include <string>
#include <string_view>

namespace respite::cli {

// A JSON string literal (quotes included) that keeps every byte: printable ASCII as is (with `"`
// and `\` escaped), every other byte as one \u00XX escape (or \n, \r, \t, \b, \f). Decoding the
// string and taking each code point as one byte (Latin-1) gives the exact bytes back, NULs and
// invalid UTF-8 included.
std::string JsonString(std::string_view bytes);

// redis-cli's quoting (sdscatrepr): "..." with \\ \" \n \r \t \a \b escaped, other printable
// ASCII as is, every other byte as \xHH.
std::string RedisQuote(std::string_view bytes);

// UTC ISO 8601 with milliseconds: "2024-05-01T12:00:00.123Z".
std::string FormatTime(int64_t unix_ms);

}  // namespace respite::cli
