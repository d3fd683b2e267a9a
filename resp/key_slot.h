#pragma once
// Redis Cluster's hash slot of a key: CRC16 (XMODEM: polynomial 0x1021, initial value 0) of the
// key, or of its hash tag, modulo 16384. A hash tag is what lies between the first '{' and the
// first '}' after it, when that is not empty, so that keys like "{user1}:a" and "{user1}:b"
// share a slot. No I/O.

#include <cstdint>
#include <string_view>

namespace respite::resp {

inline constexpr uint16_t kClusterSlots = 16384;

uint16_t Crc16(std::string_view bytes);
uint16_t KeySlot(std::string_view key);
// A short string (1 to 4 characters of [0-9a-z]) whose slot is `slot`: a key "{tag}..." then
// lives in that slot. The smallest such string in length-then-byte order; the table behind it is
// built on first use (about 100,000 CRCs, well under a millisecond of work per slot).
std::string_view SlotTag(uint16_t slot);

}  // namespace respite::resp
