// Number parsing and formatting against what redis-server 7.0.15 was observed to accept and print
// (INCRBY / INCRBYFLOAT / ZADD / ZSCORE replies).

#include "storage/numbers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace respite::storage {
namespace {

using namespace std::string_view_literals;

bool Int(std::string_view s, int64_t* v = nullptr) {
  int64_t tmp = 12345;
  bool ok = ParseInt64(s, &tmp);
  if (v) *v = tmp;
  return ok;
}

TEST(ParseInt64, AcceptsCanonicalDecimal) {
  int64_t v;
  ASSERT_TRUE(Int("0", &v));
  EXPECT_EQ(v, 0);
  ASSERT_TRUE(Int("123", &v));
  EXPECT_EQ(v, 123);
  ASSERT_TRUE(Int("-7", &v));
  EXPECT_EQ(v, -7);
  ASSERT_TRUE(Int("9223372036854775807", &v));
  EXPECT_EQ(v, std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(Int("-9223372036854775808", &v));
  EXPECT_EQ(v, std::numeric_limits<int64_t>::min());
}

TEST(ParseInt64, RejectsWhatRedisRejects) {
  EXPECT_FALSE(Int(""));
  EXPECT_FALSE(Int("-"));
  EXPECT_FALSE(Int("-0"));  // INCRBY k -0 -> not an integer
  EXPECT_FALSE(Int("007"));
  EXPECT_FALSE(Int("00"));
  EXPECT_FALSE(Int("+1"));
  EXPECT_FALSE(Int(" 1"));
  EXPECT_FALSE(Int("1 "));
  EXPECT_FALSE(Int("1a"));
  EXPECT_FALSE(Int("1.0"));
  EXPECT_FALSE(Int("1e3"));
  EXPECT_FALSE(Int("9223372036854775808"));
  EXPECT_FALSE(Int("-9223372036854775809"));
  EXPECT_FALSE(Int("18446744073709551616"));
  EXPECT_FALSE(Int("99999999999999999999999"));
  EXPECT_FALSE(Int("1\0"sv));
}

bool LD(std::string_view s, long double* v = nullptr) {
  long double tmp = 0;
  bool ok = ParseLongDouble(s, &tmp);
  if (v) *v = tmp;
  return ok;
}

TEST(ParseLongDouble, AcceptsStrtoldForms) {
  long double v;
  ASSERT_TRUE(LD("1.5", &v));
  EXPECT_EQ(v, 1.5L);
  ASSERT_TRUE(LD("0x10", &v));  // INCRBYFLOAT z 0x10 -> 16
  EXPECT_EQ(v, 16.0L);
  ASSERT_TRUE(LD(".5", &v));
  EXPECT_EQ(v, 0.5L);
  ASSERT_TRUE(LD("1.", &v));
  EXPECT_EQ(v, 1.0L);
  ASSERT_TRUE(LD("+3", &v));
  EXPECT_EQ(v, 3.0L);
  ASSERT_TRUE(LD("inf", &v));  // parses; INCRBYFLOAT then rejects the infinite result
  EXPECT_TRUE(std::isinf(v));
  ASSERT_TRUE(LD("-infinity", &v));
  EXPECT_TRUE(std::isinf(v) && v < 0);
  ASSERT_TRUE(LD("5e-4940", &v));  // a long double denormal: accepted
  EXPECT_GT(v, 0);
  ASSERT_TRUE(LD("1e400", &v));  // in range for an 80-bit long double
}

TEST(ParseLongDouble, RejectsWhatRedisRejects) {
  EXPECT_FALSE(LD(""));
  EXPECT_FALSE(LD(" 1"));
  EXPECT_FALSE(LD("1 "));
  EXPECT_FALSE(LD("abc"));
  EXPECT_FALSE(LD("1e"));
  EXPECT_FALSE(LD("nan"));
  EXPECT_FALSE(LD("1e-5000"));    // underflows to zero
  EXPECT_FALSE(LD("2\0junk"sv));  // Redis 7.0: "value is not a valid float"
  EXPECT_FALSE(LD("1\0"sv));
  EXPECT_FALSE(LD("1e5000"));  // overflows
  EXPECT_FALSE(LD(std::string(5 * 1024, '1')));
}

bool D(std::string_view s, double* v = nullptr) {
  double tmp = 0;
  bool ok = ParseDouble(s, &tmp);
  if (v) *v = tmp;
  return ok;
}

TEST(ParseDouble, ScoreRules) {
  double v;
  ASSERT_TRUE(D("0.1", &v));
  EXPECT_EQ(v, 0.1);
  ASSERT_TRUE(D("inf", &v));
  EXPECT_TRUE(std::isinf(v) && v > 0);
  ASSERT_TRUE(D("+inf", &v));
  EXPECT_TRUE(std::isinf(v) && v > 0);
  ASSERT_TRUE(D("-inf", &v));
  EXPECT_TRUE(std::isinf(v) && v < 0);
  ASSERT_TRUE(D("0x10", &v));
  EXPECT_EQ(v, 16);
  ASSERT_TRUE(D("1e-320", &v));  // denormal accepted
  EXPECT_GT(v, 0);
  ASSERT_TRUE(D("-0", &v));
  EXPECT_EQ(v, 0);

  EXPECT_FALSE(D(""));
  EXPECT_FALSE(D("nan"));
  EXPECT_FALSE(D(" 1"));
  EXPECT_FALSE(D("1 "));
  EXPECT_FALSE(D("1e400"));  // ZADD zz 1e400 g -> not a valid float
  EXPECT_FALSE(D("1e-400"));
  EXPECT_FALSE(D("1\0"sv));  // unlike string2ld, the whole length must be consumed
  EXPECT_FALSE(D("abc"));
}

TEST(FormatLongDouble, HumanMode) {
  long double v;
  auto fmt = [&](std::string_view s) {
    EXPECT_TRUE(ParseLongDouble(s, &v)) << s;
    return FormatLongDouble(v);
  };
  EXPECT_EQ(FormatLongDouble(11.5L), "11.5");
  EXPECT_EQ(FormatLongDouble(3.0L), "3");
  EXPECT_EQ(FormatLongDouble(-0.5L), "-0.5");
  EXPECT_EQ(FormatLongDouble(0.1L + 0.2L), "0.3");
  EXPECT_EQ(FormatLongDouble(1e10L), "10000000000");
  EXPECT_EQ(FormatLongDouble(3 + 1e20L), "100000000000000000000");
  EXPECT_EQ(fmt("1.23456789012345678901"), "1.23456789012345679");
  EXPECT_EQ(fmt("0.00000000000000001"), "0.00000000000000001");
  EXPECT_EQ(FormatLongDouble(1.0L + 1e-17L), "1.00000000000000001");
  // Negative values that round to zero print as "0", not "-0".
  EXPECT_EQ(fmt("-0.000000000000000001"), "0");
  EXPECT_EQ(FormatLongDouble(-0.0L), "0");
  EXPECT_EQ(FormatLongDouble(std::numeric_limits<long double>::infinity()), "inf");
  EXPECT_EQ(FormatLongDouble(-std::numeric_limits<long double>::infinity()), "-inf");
  // Big values print every integer digit (observed on redis-server).
  EXPECT_EQ(fmt("1.7976931348623157e308"),
            "179769313486231569995921046774104434048386446944329178485314420765176628523124396354"
            "701868608387085564428793419425520689308708363451136055357897278026477617073498977686"
            "288394835618163294045594434929537447290627480669417384648879122776218333598953852832"
            "103282504751611691208117720159985926376802466863339536384");
  std::string big = fmt("1e400");
  EXPECT_EQ(big.size(), 401u);
  EXPECT_EQ(big.substr(0, 20), "10000000000000000000");
}

TEST(FormatScore, PercentSeventeenG) {
  EXPECT_EQ(FormatScore(0.1), "0.10000000000000001");
  EXPECT_EQ(FormatScore(16), "16");
  EXPECT_EQ(FormatScore(1e300), "1.0000000000000001e+300");
  EXPECT_EQ(FormatScore(1e-320), "9.9998886718268301e-321");
  EXPECT_EQ(FormatScore(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(FormatScore(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(FormatScore(-2.5), "-2.5");
}

}  // namespace
}  // namespace respite::storage
