#include "storage/rdb_codec.h"

#include <gtest/gtest.h>

#include <string>

#include "storage/rdb_value.h"

namespace respite::storage::rdb {
namespace {

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// DUMP replies of redis-server 7.0.15 with `rdbcompression no`.
struct Vector {
  const char* name;
  const char* hex;
};
const Vector kVectors[] = {
    {"string", "000568656c6c6f0a006372df766534200a"},
    {"int", "00c139300a009d94ea2793fc08b9"},
    // RPUSH list a b 1 -5000 70000 123456789012 z*70
    {"list",
     "120102406b6b00000007008161028162020101f178ec03f270110104f4141a99be1c00000009e0467a7a7a7a7a7a7"
     "a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a"
     "7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a48ff0a00e27ca373b2daf37c"},
    // SADD intset 5 -3 70000 1
    {"intset", "0b180400000004000000fdffffff0100000005000000701101000a00cc8a5d00cebbe257"},
    // HSET hash f1 v1 f2 2
    {"hash", "10151500000004008266310382763103826632030201ff0a005c5ea813feec1ff5"},
    // ZADD zset 1.5 a -2 b 3 c 0.1 d
    {"zset",
     "1132320000000800816202dffe0281640293302e31303030303030303030303030303030311481610283312e3504"
     "8163020301ff0a0090ebd9fe58eb090d"},
};

TEST(RdbCodec, RedisDumpsDecodeAndEncodeBackByteForByte) {
  for (const Vector& v : kVectors) {
    const std::string payload = FromHex(v.hex);
    uint8_t type;
    std::string_view value;
    ASSERT_TRUE(SplitDumpPayload(payload, &type, &value)) << v.name;
    RdbObject obj;
    ASSERT_TRUE(DecodeValue(type, value, &obj)) << v.name;
    uint8_t type2;
    std::string bytes;
    EncodeValue(obj, EncodeLimits(), &type2, &bytes);
    EXPECT_EQ(type2, type) << v.name;
    EXPECT_EQ(MakeDumpPayload(type2, bytes), payload) << v.name;
  }
}

TEST(RdbCodec, DecodedContents) {
  RdbObject obj;
  uint8_t type;
  std::string_view value;
  const std::string zset = FromHex(kVectors[5].hex);
  ASSERT_TRUE(SplitDumpPayload(zset, &type, &value));
  ASSERT_TRUE(DecodeValue(type, value, &obj));
  ASSERT_EQ(obj.zset.size(), 4u);
  EXPECT_EQ(obj.zset[0].first, "b");
  EXPECT_EQ(obj.zset[0].second, -2);
  EXPECT_EQ(obj.zset[1].second, 0.1);
  const std::string list = FromHex(kVectors[2].hex);
  ASSERT_TRUE(SplitDumpPayload(list, &type, &value));
  ASSERT_TRUE(DecodeValue(type, value, &obj));
  EXPECT_EQ(obj.items, (std::vector<std::string>{"a", "b", "1", "-5000", "70000", "123456789012",
                                                 std::string(70, 'z')}));
}

TEST(RdbCodec, BigCollectionsUseTheirHashtableAndSkiplistForms) {
  RdbObject zset;
  zset.type = Type::kZSet;
  for (int i = 0; i < 200; ++i) zset.zset.emplace_back("m" + std::to_string(i), i * 0.5);
  uint8_t type;
  std::string bytes;
  EncodeValue(zset, EncodeLimits(), &type, &bytes);
  EXPECT_EQ(type, kTypeZSet2);
  RdbObject back;
  ASSERT_TRUE(DecodeValue(type, bytes, &back));
  ASSERT_EQ(back.zset.size(), 200u);
  EXPECT_EQ(back.zset[0].first, "m199");  // saved from the greatest down

  RdbObject set;
  set.type = Type::kSet;
  set.items = {"1", "x", "2"};
  EncodeValue(set, EncodeLimits(), &type, &bytes);
  EXPECT_EQ(type, kTypeSet);

  RdbObject list;
  list.type = Type::kList;
  for (int i = 0; i < 3000; ++i) list.items.push_back("item" + std::to_string(i));
  EncodeValue(list, EncodeLimits(), &type, &bytes);
  ASSERT_TRUE(DecodeValue(type, bytes, &back));
  EXPECT_EQ(back.items, list.items);
  Reader r(bytes);
  uint64_t nodes = 0;
  ASSERT_TRUE(r.ReadLength(&nodes));
  EXPECT_GT(nodes, 1u);  // 8 KB nodes
}

TEST(RdbCodec, RejectsDuplicatesAndEmptyCollections) {
  std::string bytes;
  WriteLength(&bytes, 2);
  WriteString(&bytes, "a");
  WriteString(&bytes, "a");
  RdbObject obj;
  EXPECT_FALSE(DecodeValue(kTypeSet, bytes, &obj));
  EXPECT_TRUE(DecodeValue(kTypeList, bytes, &obj));
  bytes.clear();
  WriteLength(&bytes, 0);
  EXPECT_FALSE(DecodeValue(kTypeList, bytes, &obj));
  EXPECT_FALSE(DecodeValue(kTypeStreamListpacks2, bytes, &obj));
}

TEST(RdbCodec, OldEncodingsDecode) {
  // A ziplist of "ab", 7 (immediate), 300 (int16): prevlen, encoding, data.
  std::string zl = std::string("\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00", 10);
  zl += std::string(
      "\x00\x02"
      "ab",
      4);
  zl += std::string("\x04\xf8", 2);
  zl += std::string("\x02\xc0\x2c\x01", 4);
  zl += '\xff';
  zl[0] = static_cast<char>(zl.size());
  std::vector<std::string> items;
  ASSERT_TRUE(ParseZiplist(zl, &items));
  EXPECT_EQ(items, (std::vector<std::string>{"ab", "7", "300"}));
  // A zipmap {k: vv} with one free byte.
  const std::string zm("\x01\x01k\x02\x01vvX\xff", 9);
  items.clear();
  ASSERT_TRUE(ParseZipmap(zm, &items));
  EXPECT_EQ(items, (std::vector<std::string>{"k", "vv"}));
}

TEST(RdbCodec, ListpackIntegerWidthsRoundTrip) {
  ListpackWriter w;
  const std::vector<std::string> values = {"0",
                                           "127",
                                           "128",
                                           "-1",
                                           "-4096",
                                           "4095",
                                           "4096",
                                           "-32768",
                                           "32768",
                                           "-8388608",
                                           "8388608",
                                           "2147483648",
                                           "-9223372036854775808",
                                           "007",
                                           "-0",
                                           std::string(5000, 'q')};
  for (const std::string& v : values) w.Append(v);
  std::vector<std::string> back;
  ASSERT_TRUE(ParseListpack(w.Finish(), &back));
  EXPECT_EQ(back, values);
}

}  // namespace
}  // namespace respite::storage::rdb
