// Glob matching against what redis-server 7.0.15's KEYS returned for the same pattern and key
// (checked differentially over ~900k random pattern/key pairs while writing glob.cpp).

#include "storage/glob.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace respite::storage {
namespace {

using namespace std::string_view_literals;

TEST(Glob, Basics) {
  EXPECT_TRUE(GlobMatch("hello", "hello"));
  EXPECT_FALSE(GlobMatch("hello", "hell"));
  EXPECT_FALSE(GlobMatch("hell", "hello"));
  EXPECT_TRUE(GlobMatch("h?llo", "hxllo"));
  EXPECT_FALSE(GlobMatch("h?llo", "hllo"));
  EXPECT_TRUE(GlobMatch("h*llo", "hllo"));
  EXPECT_TRUE(GlobMatch("h*llo", "heeeello"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("a*", "a"));
  EXPECT_TRUE(GlobMatch("a**", "a"));
  EXPECT_TRUE(GlobMatch("*a*b*", "xxaxxbxx"));
  EXPECT_FALSE(GlobMatch("*a*b*", "xxbxxaxx"));
  EXPECT_FALSE(GlobMatch("hello", "HELLO"));
}

TEST(Glob, Classes) {
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[ae]llo", "hillo"));
  EXPECT_TRUE(GlobMatch("h[^e]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-c]llo", "hbllo"));
  EXPECT_TRUE(GlobMatch("h[c-a]llo", "hbllo"));  // reversed ranges are swapped
  EXPECT_FALSE(GlobMatch("h[a-c]llo", "hdllo"));
  EXPECT_TRUE(GlobMatch("[\\]]", "]"));
  EXPECT_TRUE(GlobMatch("[\\-]", "-"));
  EXPECT_FALSE(GlobMatch("[\\-]", "\\"));
  EXPECT_TRUE(GlobMatch("[[]", "["));
}

TEST(Glob, RedisQuirks) {
  // "*" alone matches everything (KEYS/SCAN skip matching), but "**" misses the empty string.
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("**", ""));
  EXPECT_FALSE(GlobMatch("?*", ""));
  // Pub/sub calls stringmatchlen without that shortcut: only "" matches the empty channel.
  EXPECT_FALSE(StringMatch("*", ""));
  EXPECT_TRUE(StringMatch("", ""));
  EXPECT_TRUE(StringMatch("*", "a"));
  // A ']' right after '[' closes an empty class, which matches nothing.
  EXPECT_FALSE(GlobMatch("[]a]", "a"));
  EXPECT_FALSE(GlobMatch("[]a]", "]"));
  // An unterminated class runs to the end of the pattern.
  EXPECT_TRUE(GlobMatch("[abc", "b"));
  EXPECT_FALSE(GlobMatch("[abc", "d"));
  EXPECT_FALSE(GlobMatch("[", "["));
  EXPECT_TRUE(GlobMatch("[^", "x"));
  // "[a-]": the range runs from 'a' to ']' (swapped: ']'..'a') and the class is unterminated.
  EXPECT_TRUE(GlobMatch("[a-]", "_"));
  EXPECT_TRUE(GlobMatch("[a-]", "]"));
  EXPECT_FALSE(GlobMatch("[a-]", "b"));
  // A trailing backslash is a literal backslash.
  EXPECT_TRUE(GlobMatch("a\\", "a\\"));
  EXPECT_TRUE(GlobMatch("\\*", "*"));
  EXPECT_FALSE(GlobMatch("\\*", "x"));
  // Range bounds compare as signed chars: [a-\xff] is [-1..97], so 'b' and \x80 miss while
  // \xff, \0 and 'A' hit (KEYS on redis-server returned exactly those three).
  EXPECT_FALSE(GlobMatch("[a-\xff]", "b"));
  EXPECT_FALSE(GlobMatch("[a-\xff]", "\x80"));
  EXPECT_TRUE(GlobMatch("[a-\xff]", "\xff"));
  EXPECT_TRUE(GlobMatch("[a-\xff]"sv, "\0"sv));
  EXPECT_TRUE(GlobMatch("[a-\xff]", "A"));
  // Binary-safe.
  EXPECT_TRUE(GlobMatch("a?c"sv, "a\0c"sv));
  EXPECT_FALSE(GlobMatch("a\0c"sv, "a"sv));
}

TEST(Glob, NoCase) {
  EXPECT_TRUE(GlobMatch("MAXMEMORY*", "maxmemory-policy", /*nocase=*/true));
  EXPECT_TRUE(GlobMatch("[M]ax", "max", true));
  EXPECT_TRUE(GlobMatch("[A-Z]ax", "max", true));
  EXPECT_FALSE(GlobMatch("MAX", "max"));
}

TEST(Glob, NestingLimitAsRedis) {
  // redis-server 7.0.15 matches 1000 nested stars and gives up (no match) at 1001.
  const std::string subject(2000, 'a');
  std::string pattern;
  for (int i = 0; i < 1000; ++i) pattern += "*a";
  EXPECT_TRUE(GlobMatch(pattern, subject));
  EXPECT_FALSE(GlobMatch(pattern + "*a", subject));
}

TEST(Glob, HostilePatternsStayFast) {
  const std::string subject(5000, 'a');
  std::string pattern;
  for (int i = 0; i < 30; ++i) pattern += "*a";
  pattern += "b";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(GlobMatch(pattern, subject));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace respite::storage
