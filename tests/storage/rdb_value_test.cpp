#include "storage/rdb_value.h"

#include <gtest/gtest.h>

#include <string>

namespace respite::storage::rdb {
namespace {

using namespace std::string_literals;

// DUMP replies of redis-server 7.0.15 (rdbcompression yes).
const std::string kDumpHello =
    "\x00\x05hello\n\x00"
    "cr\xdfve4 \n"s;
const std::string kDumpInt =
    "\x00\xc1"
    "90\n\x00\x9d\x94\xea'\x93\xfc\b\xb9"s;
const std::string kDumpLzf =
    "\x00\xc3\t2\x01"
    "aa\xe0%\x00\x01"
    "aa\n\x00\t\xacH\xb9\xab\x15\xfb\xc9"s;
const std::string kDumpList =
    "\x12\x01\x02\x0f\x0f\x00\x00\x00\x03\x00\x81"
    "a\x02\x81"
    "b\x02\x01\x01\xff\n\x00"
    "\xe0\x1b\xabJG\xceY\""s;

TEST(RdbValue, Crc64CheckValue) { EXPECT_EQ(Crc64(0, "123456789"), 0xe9c6d914c4b8d9caull); }

TEST(RdbValue, MakeDumpPayloadMatchesRedis) {
  EXPECT_EQ(MakeDumpPayload(kTypeString, "\x05hello"), kDumpHello);
  EXPECT_EQ(MakeDumpPayload(kTypeString,
                            "\xc1"
                            "90"s),
            kDumpInt);
}

TEST(RdbValue, SplitAndReadStrings) {
  uint8_t type;
  std::string_view value;
  std::string s;
  ASSERT_TRUE(SplitDumpPayload(kDumpHello, &type, &value));
  EXPECT_EQ(type, kTypeString);
  ASSERT_TRUE(Reader(value).ReadString(&s));
  EXPECT_EQ(s, "hello");
  ASSERT_TRUE(SplitDumpPayload(kDumpInt, &type, &value));
  ASSERT_TRUE(Reader(value).ReadString(&s));
  EXPECT_EQ(s, "12345");
  ASSERT_TRUE(SplitDumpPayload(kDumpLzf, &type, &value));
  ASSERT_TRUE(Reader(value).ReadString(&s));
  EXPECT_EQ(s, std::string(50, 'a'));
}

TEST(RdbValue, RejectsBadFooter) {
  uint8_t type;
  std::string_view value;
  std::string bad = kDumpHello;
  bad[3] ^= 1;
  EXPECT_FALSE(SplitDumpPayload(bad, &type, &value));
  bad = kDumpHello;
  bad[bad.size() - 10] = 11;  // RDB version from the future
  EXPECT_FALSE(SplitDumpPayload(bad, &type, &value));
  EXPECT_FALSE(SplitDumpPayload("short", &type, &value));
}

TEST(RdbValue, LengthsRoundTrip) {
  for (uint64_t n : {0ull, 63ull, 64ull, 16383ull, 16384ull, 0xffffffffull, 0x100000000ull}) {
    std::string out;
    WriteLength(&out, n);
    Reader r(out);
    uint64_t back;
    ASSERT_TRUE(r.ReadLength(&back));
    EXPECT_EQ(back, n);
    EXPECT_TRUE(r.AtEnd());
  }
}

TEST(RdbValue, StringsRoundTripWithIntEncoding) {
  for (std::string s : {"", "0", "-128", "127", "128", "-32769", "2147483647", "2147483648", "012",
                        "+1", "abc", "12345678901"}) {
    std::string out;
    WriteString(&out, s);
    Reader r(out);
    std::string back;
    ASSERT_TRUE(r.ReadString(&back)) << s;
    EXPECT_EQ(back, s);
    EXPECT_TRUE(r.AtEnd());
  }
  std::string out;
  WriteString(&out, "12345");
  EXPECT_EQ(out,
            "\xc1"
            "90"s);
}

TEST(RdbValue, SkipValueTakesExactlyOneValue) {
  uint8_t type;
  std::string_view value;
  ASSERT_TRUE(SplitDumpPayload(kDumpList, &type, &value));
  EXPECT_EQ(type, kTypeListQuicklist2);
  std::string with_tail(value);
  with_tail += "tail";
  Reader r(with_tail);
  ASSERT_TRUE(r.SkipValue(type));
  EXPECT_EQ(r.rest(), "tail");
  EXPECT_EQ(MakeDumpPayload(type, value), kDumpList);
}

TEST(RdbValue, ShortInputNeverCrashes) {
  for (uint8_t type = 0; type < 32; ++type) {
    for (size_t cut = 0; cut < kDumpList.size(); ++cut) {
      Reader r(std::string_view(kDumpList).substr(1, cut));
      (void)r.SkipValue(type);
      std::string s;
      Reader r2(std::string_view(kDumpLzf).substr(1, cut));
      (void)r2.ReadString(&s);
    }
  }
}

}  // namespace
}  // namespace respite::storage::rdb
