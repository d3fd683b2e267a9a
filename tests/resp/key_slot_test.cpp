// Hash slots against values Redis itself gives (CLUSTER KEYSLOT on redis-server 7.0) and the
// CRC16 check value of the XMODEM variant.
#include "resp/key_slot.h"

#include <gtest/gtest.h>

#include <string>

namespace respite::resp {
namespace {

TEST(KeySlot, Crc16IsXmodem) {
  EXPECT_EQ(Crc16("123456789"), 0x31C3);  // the variant's published check value
  EXPECT_EQ(Crc16(""), 0);
}

TEST(KeySlot, MatchesRedis) {
  // redis-cli -c CLUSTER KEYSLOT <key> on Redis 7.0.15.
  EXPECT_EQ(KeySlot("foo"), 12182);
  EXPECT_EQ(KeySlot("bar"), 5061);
  EXPECT_EQ(KeySlot("hello"), 866);
  EXPECT_EQ(KeySlot(""), 0);
  EXPECT_EQ(KeySlot(std::string("\xff\x00\x80", 3)), Crc16(std::string("\xff\x00\x80", 3)) % 16384);
}

TEST(KeySlot, HashTags) {
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("user1000"));
  EXPECT_EQ(KeySlot("{user1000}.followers"), KeySlot("user1000"));
  // Only the first '{' and the first '}' after it count.
  EXPECT_EQ(KeySlot("foo{bar}{zap}"), KeySlot("bar"));
  EXPECT_EQ(KeySlot("foo{{bar}}zap"), KeySlot("{bar"));
  // An empty tag, or none closed, hashes the whole key.
  EXPECT_EQ(KeySlot("foo{}{bar}"), Crc16("foo{}{bar}") % 16384);
  EXPECT_EQ(KeySlot("foo{bar"), Crc16("foo{bar") % 16384);
  EXPECT_EQ(KeySlot("}foo{"), Crc16("}foo{") % 16384);
}

TEST(KeySlot, EverySlotHasAShortTag) {
  for (uint16_t slot = 0; slot < kClusterSlots; ++slot) {
    const std::string_view tag = SlotTag(slot);
    ASSERT_FALSE(tag.empty()) << slot;
    ASSERT_LE(tag.size(), 4u) << slot;
    ASSERT_EQ(KeySlot("respite:cursor:{" + std::string(tag) + "}:id"), slot) << tag;
  }
}

}  // namespace
}  // namespace respite::resp
