// The tools' text forms: JSON strings that keep every byte, redis-cli quoting, UTC times.

#include "cli/format.h"

#include <gtest/gtest.h>

#include <string>

namespace respite::cli {
namespace {

TEST(JsonString, PrintableAsciiIsKeptAndQuotesAndBackslashesAreEscaped) {
  EXPECT_EQ(JsonString(""), "\"\"");
  EXPECT_EQ(JsonString("SET k v"), "\"SET k v\"");
  EXPECT_EQ(JsonString("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
}

TEST(JsonString, ControlBytesUseShortOrUnicodeEscapes) {
  EXPECT_EQ(JsonString("\r\n\t\b\f"), "\"\\r\\n\\t\\b\\f\"");
  EXPECT_EQ(JsonString(std::string("a\0b", 3)), "\"a\\u0000b\"");
  EXPECT_EQ(JsonString("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"");
}

TEST(JsonString, BytesAbove0x7fAreOneEscapeEach) {
  // Invalid UTF-8 and valid UTF-8 alike: one code point per byte, so Latin-1 decoding gives the
  // bytes back.
  EXPECT_EQ(JsonString("\xff\x80"), "\"\\u00ff\\u0080\"");
  EXPECT_EQ(JsonString("\xc3\xa9"), "\"\\u00c3\\u00a9\"");
}

TEST(JsonString, EveryByteRoundTrips) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const std::string json = JsonString(all);
  // A minimal decoder for exactly what JsonString emits.
  std::string back;
  for (size_t i = 1; i + 1 < json.size(); ++i) {
    if (json[i] != '\\') {
      back.push_back(json[i]);
      continue;
    }
    const char e = json[++i];
    if (e == 'u') {
      back.push_back(static_cast<char>(std::stoi(json.substr(i + 1, 4), nullptr, 16)));
      i += 4;
    } else {
      const std::string from = "\"\\/bfnrt";
      const std::string to = "\"\\/\b\f\n\r\t";
      ASSERT_NE(from.find(e), std::string::npos) << e;
      back.push_back(to[from.find(e)]);
    }
  }
  EXPECT_EQ(back, all);
}

TEST(RedisQuote, MatchesRedisCli) {
  EXPECT_EQ(RedisQuote("SET"), "\"SET\"");
  EXPECT_EQ(RedisQuote(""), "\"\"");
  EXPECT_EQ(RedisQuote(std::string("a\r\n\0\xff\"\\\t\a\b", 10)),
            "\"a\\r\\n\\x00\\xff\\\"\\\\\\t\\a\\b\"");
  EXPECT_EQ(RedisQuote("hello world"), "\"hello world\"");
}

TEST(FormatTime, UtcWithMilliseconds) {
  EXPECT_EQ(FormatTime(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatTime(1714564800123), "2024-05-01T12:00:00.123Z");
  EXPECT_EQ(FormatTime(1700000000005), "2023-11-14T22:13:20.005Z");
}

}  // namespace
}  // namespace respite::cli
