#include "storage/encoding.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace respite::storage {
namespace {

TEST(Encoding, ScoresKeepTheirOrderAsBytes) {
  std::vector<double> scores = {-std::numeric_limits<double>::infinity(),
                                -1e300,
                                -2.5,
                                -1,
                                -std::numeric_limits<double>::denorm_min(),
                                0,
                                std::numeric_limits<double>::denorm_min(),
                                1,
                                2.5,
                                1e300,
                                std::numeric_limits<double>::infinity()};
  std::string previous;
  for (double d : scores) {
    std::string encoded;
    PutU64(&encoded, EncodeScore(d));
    EXPECT_LT(previous, encoded) << d;
    EXPECT_EQ(DecodeScore(EncodeScore(d)), d);
    previous = encoded;
  }
  EXPECT_EQ(EncodeScore(-0.0), EncodeScore(0.0));
}

TEST(Encoding, RandomScoresSortLikeDoubles) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> dist(-1e6, 1e6);
  for (int i = 0; i < 10000; ++i) {
    const double a = dist(rng), b = dist(rng);
    EXPECT_EQ(a < b, EncodeScore(a) < EncodeScore(b));
  }
}

TEST(Encoding, MetaValueRoundTrips) {
  MetaValue m;
  m.type = Type::kList;
  m.expire_ms = 1'700'000'123'456;
  m.version = 77;
  m.size = 3;
  m.set_list_bounds(kListMiddle - 1, kListMiddle + 2);
  MetaValue back;
  ASSERT_TRUE(MetaValue::Decode(m.Encode(), &back));
  EXPECT_EQ(back.type, Type::kList);
  EXPECT_EQ(back.expire_ms, m.expire_ms);
  EXPECT_EQ(back.version, 77u);
  EXPECT_EQ(back.size, 3u);
  EXPECT_EQ(back.list_head(), kListMiddle - 1);
  EXPECT_EQ(back.list_tail(), kListMiddle + 2);
  EXPECT_FALSE(MetaValue::Decode("junk", &back));
  std::string bad = m.Encode();
  bad[1] = 9;  // no such type
  EXPECT_FALSE(MetaValue::Decode(bad, &back));
}

TEST(Encoding, SubkeysOfOneKeyVersionShareAPrefixAndSortWithin) {
  const std::string p1 = SubPrefix(0, "k", 1);
  const std::string p2 = SubPrefix(0, "k", 2);
  const std::string other = SubPrefix(0, "k2", 1);
  EXPECT_LT(p1 + "zzz", PrefixEnd(p1));
  EXPECT_LE(PrefixEnd(p1), p2);
  EXPECT_NE(p1.substr(0, other.size()), other);  // length prefix keeps "k" apart from "k2"
  EXPECT_EQ(PrefixEnd("a\xff\xff"), "b");
  EXPECT_EQ(PrefixEnd("\xff"), "");
}

}  // namespace
}  // namespace respite::storage
