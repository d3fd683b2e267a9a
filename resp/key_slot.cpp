#include "resp/key_slot.h"

#include <array>
#include <string>
#include <vector>

namespace respite::resp {
namespace {

// The CRC of every byte value, most significant bit first.
constexpr std::array<uint16_t, 256> MakeTable() {
  std::array<uint16_t, 256> table{};
  for (int byte = 0; byte < 256; ++byte) {
    uint16_t crc = static_cast<uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = static_cast<uint16_t>((crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    table[byte] = crc;
  }
  return table;
}

constexpr std::array<uint16_t, 256> kTable = MakeTable();

}  // namespace

uint16_t Crc16(std::string_view bytes) {
  uint16_t crc = 0;
  for (const char c : bytes) {
    const auto index = static_cast<uint8_t>((crc >> 8) ^ static_cast<uint8_t>(c));
    crc = static_cast<uint16_t>((crc << 8) ^ kTable[index]);
  }
  return crc;
}

uint16_t KeySlot(std::string_view key) {
  if (const size_t open = key.find('{'); open != std::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    // "{}" hashes the whole key: an empty tag would put every such key in one slot.
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return Crc16(key) & (kClusterSlots - 1);
}

std::string_view SlotTag(uint16_t slot) {
  static const std::vector<std::string> tags = [] {
    static constexpr std::string_view kDigits = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::vector<std::string> out(kClusterSlots);
    size_t found = 0;
    std::string tag;
    for (size_t len = 1; len <= 4 && found < kClusterSlots; ++len) {
      tag.assign(len, kDigits[0]);
      for (;;) {
        std::string& place = out[KeySlot(tag)];
        if (place.empty()) {
          place = tag;
          ++found;
        }
        // The next string of this length, like counting in base 36.
        size_t i = len;
        while (i > 0 && tag[i - 1] == kDigits.back()) tag[--i] = kDigits[0];
        if (i == 0) break;
        tag[i - 1] = kDigits[kDigits.find(tag[i - 1]) + 1];
      }
    }
    return out;
  }();
  return tags[slot & (kClusterSlots - 1)];
}

}  // namespace respite::resp
