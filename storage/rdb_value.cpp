// Redis 7.0 RDB primitives, written from the RDB format description (rdb.h's length and string
// encodings, DUMP's version + CRC64 footer).
#include "storage/rdb_value.h"

#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#include <limits>

namespace respite::storage::rdb {
namespace {

constexpr uint8_t kLen6 = 0, kLen14 = 1, kLenEncoded = 3;
constexpr uint8_t kLen32 = 0x80, kLen64 = 0x81;

// Table for the reflected Jones polynomial (0xad93d23594c935a9 bit-reversed).
constexpr std::array<uint64_t, 256> MakeCrcTable() {
  std::array<uint64_t, 256> table{};
  constexpr uint64_t kPoly = 0x95ac9329ac4bc9b5ull;
  for (uint64_t i = 0; i < 256; ++i) {
    uint64_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ kPoly : crc >> 1;
    table[i] = crc;
  }
  return table;
}
constexpr std::array<uint64_t, 256> kCrcTable = MakeCrcTable();

}  // namespace

bool IsKnownType(uint8_t type) {
  return type <= kTypeZSet2 || (type >= kTypeHashZipmap && type <= kTypeStreamListpacks2);
}

bool Reader::ReadByte(uint8_t* out) {
  if (pos_ >= data_.size()) return false;
  *out = static_cast<uint8_t>(data_[pos_++]);
  return true;
}

bool Reader::ReadFixed(void* out, size_t n) {
  if (data_.size() - pos_ < n) return false;
  if (n > 0) std::memcpy(out, data_.data() + pos_, n);
  pos_ += n;
  return true;
}

bool Reader::ReadLength(uint64_t* len, bool* is_encoded) {
  uint8_t first;
  if (!ReadByte(&first)) return false;
  if (is_encoded != nullptr) *is_encoded = false;
  switch (first >> 6) {
    case kLen6:
      *len = first & 0x3f;
      return true;
    case kLen14: {
      uint8_t second;
      if (!ReadByte(&second)) return false;
      *len = (static_cast<uint64_t>(first & 0x3f) << 8) | second;
      return true;
    }
    case kLenEncoded:
      if (is_encoded == nullptr) return false;
      *is_encoded = true;
      *len = first & 0x3f;
      return true;
    default:
      break;
  }
  int width = first == kLen32 ? 4 : first == kLen64 ? 8 : 0;
  if (width == 0) return false;
  uint8_t bytes[8];
  if (!ReadFixed(bytes, width)) return false;
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) v = (v << 8) | bytes[i];
  *len = v;
  return true;
}

bool Reader::ReadString(std::string* out) {
  uint64_t len;
  bool encoded;
  if (!ReadLength(&len, &encoded)) return false;
  if (!encoded) {
    if (len > data_.size() - pos_) return false;
    out->assign(data_.substr(pos_, len));
    pos_ += len;
    return true;
  }
  int64_t v;
  switch (len) {
    case kEncInt8: {
      int8_t x;
      if (!ReadFixed(&x, 1)) return false;
      v = x;
      break;
    }
    case kEncInt16: {
      uint8_t b[2];
      if (!ReadFixed(b, 2)) return false;
      v = static_cast<int16_t>(b[0] | (b[1] << 8));
      break;
    }
    case kEncInt32: {
      uint8_t b[4];
      if (!ReadFixed(b, 4)) return false;
      v = static_cast<int32_t>(b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t{b[3]} << 24));
      break;
    }
    case kEncLzf: {
      uint64_t clen, ulen;
      if (!ReadLength(&clen) || !ReadLength(&ulen)) return false;
      if (clen > data_.size() - pos_) return false;
      // An LZF block expands at most ~3x per byte pair; larger claims are malformed.
      if (ulen > clen * 132 + 1024) return false;
      if (!LzfDecompress(data_.substr(pos_, clen), ulen, out)) return false;
      pos_ += clen;
      return true;
    }
    default:
      return false;
  }
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->assign(buf, end);
  return true;
}

bool Reader::SkipString() {
  uint64_t len;
  bool encoded;
  if (!ReadLength(&len, &encoded)) return false;
  if (encoded) {
    switch (len) {
      case kEncInt8:
        len = 1;
        break;
      case kEncInt16:
        len = 2;
        break;
      case kEncInt32:
        len = 4;
        break;
      case kEncLzf: {
        uint64_t ulen;
        if (!ReadLength(&len) || !ReadLength(&ulen)) return false;
        break;
      }
      default:
        return false;
    }
  }
  if (len > data_.size() - pos_) return false;
  pos_ += len;
  return true;
}

bool Reader::ReadBinaryDouble(double* out) {
  uint8_t b[8];
  if (!ReadFixed(b, 8)) return false;
  uint64_t bits = 0;
  for (int i = 7; i >= 0; --i) bits = (bits << 8) | b[i];
  *out = std::bit_cast<double>(bits);
  return true;
}

bool Reader::ReadTextDouble(double* out) {
  uint8_t len;
  if (!ReadByte(&len)) return false;
  if (len == 253) *out = std::numeric_limits<double>::quiet_NaN();
  if (len == 254) *out = std::numeric_limits<double>::infinity();
  if (len == 255) *out = -std::numeric_limits<double>::infinity();
  if (len >= 253) return true;
  char buf[256];
  if (!ReadFixed(buf, len)) return false;
  buf[len] = '\0';
  char* end = nullptr;
  *out = std::strtod(buf, &end);
  return end == buf + len;
}

bool Reader::SkipValue(uint8_t type) {
  uint64_t n;
  switch (type) {
    case kTypeString:
    case kTypeHashZipmap:
    case kTypeListZiplist:
    case kTypeSetIntset:
    case kTypeZSetZiplist:
    case kTypeHashZiplist:
    case kTypeHashListpack:
    case kTypeZSetListpack:
      return SkipString();
    case kTypeList:
    case kTypeSet:
    case kTypeListQuicklist:
      if (!ReadLength(&n)) return false;
      for (uint64_t i = 0; i < n; ++i) {
        if (!SkipString()) return false;
      }
      return true;
    case kTypeHash:
      if (!ReadLength(&n)) return false;
      for (uint64_t i = 0; i < n; ++i) {
        if (!SkipString() || !SkipString()) return false;
      }
      return true;
    case kTypeZSet:
    case kTypeZSet2:
      if (!ReadLength(&n)) return false;
      for (uint64_t i = 0; i < n; ++i) {
        double score;
        if (!SkipString()) return false;
        if (!(type == kTypeZSet ? ReadTextDouble(&score) : ReadBinaryDouble(&score))) return false;
      }
      return true;
    case kTypeListQuicklist2:
      if (!ReadLength(&n)) return false;
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t container;
        if (!ReadLength(&container) || !SkipString()) return false;
      }
      return true;
    case kTypeStreamListpacks:
    case kTypeStreamListpacks2: {
      bool v2 = type == kTypeStreamListpacks2;
      if (!ReadLength(&n)) return false;
      for (uint64_t i = 0; i < n; ++i) {
        if (!SkipString() || !SkipString()) return false;
      }
      uint64_t x;
      // length, last id (ms, seq); v2 adds first id, max deleted id, entries added.
      for (int i = 0; i < (v2 ? 8 : 3); ++i) {
        if (!ReadLength(&x)) return false;
      }
      uint64_t groups;
      if (!ReadLength(&groups)) return false;
      for (uint64_t g = 0; g < groups; ++g) {
        if (!SkipString()) return false;
        for (int i = 0; i < (v2 ? 3 : 2); ++i) {
          if (!ReadLength(&x)) return false;
        }
        uint64_t pel;
        if (!ReadLength(&pel)) return false;
        for (uint64_t p = 0; p < pel; ++p) {
          char raw[24];  // id (16) + delivery time (8)
          if (!ReadFixed(raw, 24) || !ReadLength(&x)) return false;
        }
        uint64_t consumers;
        if (!ReadLength(&consumers)) return false;
        for (uint64_t c = 0; c < consumers; ++c) {
          char seen[8];
          if (!SkipString() || !ReadFixed(seen, 8) || !ReadLength(&pel)) return false;
          for (uint64_t p = 0; p < pel; ++p) {
            char id[16];
            if (!ReadFixed(id, 16)) return false;
          }
        }
      }
      return true;
    }
    default:
      return false;
  }
}

void WriteLength(std::string* out, uint64_t len) {
  if (len < (1u << 6)) {
    out->push_back(static_cast<char>(len));
  } else if (len < (1u << 14)) {
    out->push_back(static_cast<char>((kLen14 << 6) | (len >> 8)));
    out->push_back(static_cast<char>(len & 0xff));
  } else if (len <= UINT32_MAX) {
    out->push_back(static_cast<char>(kLen32));
    for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((len >> (i * 8)) & 0xff));
  } else {
    out->push_back(static_cast<char>(kLen64));
    for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((len >> (i * 8)) & 0xff));
  }
}

void WriteString(std::string* out, std::string_view s) {
  // Redis tries the int encoding for short canonical integers ("12", not "012" or "+1").
  if (!s.empty() && s.size() <= 11) {
    int64_t v;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    char buf[24];
    if (ec == std::errc() && end == s.data() + s.size()) {
      auto [cend, cec] = std::to_chars(buf, buf + sizeof buf, v);
      if (std::string_view(buf, cend - buf) == s) {
        uint8_t marker = kLenEncoded << 6;
        if (v >= INT8_MIN && v <= INT8_MAX) {
          out->push_back(static_cast<char>(marker | kEncInt8));
          out->push_back(static_cast<char>(v & 0xff));
          return;
        }
        if (v >= INT16_MIN && v <= INT16_MAX) {
          out->push_back(static_cast<char>(marker | kEncInt16));
          for (int i = 0; i < 2; ++i) out->push_back(static_cast<char>((v >> (i * 8)) & 0xff));
          return;
        }
        if (v >= INT32_MIN && v <= INT32_MAX) {
          out->push_back(static_cast<char>(marker | kEncInt32));
          for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (i * 8)) & 0xff));
          return;
        }
      }
    }
  }
  WriteLength(out, s.size());
  out->append(s);
}

void WriteBinaryDouble(std::string* out, double d) {
  uint64_t bits = std::bit_cast<uint64_t>(d);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((bits >> (i * 8)) & 0xff));
}

bool LzfDecompress(std::string_view in, size_t expected_len, std::string* out) {
  out->clear();
  out->reserve(expected_len);
  size_t ip = 0;
  while (ip < in.size()) {
    unsigned ctrl = static_cast<uint8_t>(in[ip++]);
    if (ctrl < 32) {  // literal run of ctrl + 1 bytes
      size_t run = ctrl + 1;
      if (run > in.size() - ip || out->size() + run > expected_len) return false;
      out->append(in.substr(ip, run));
      ip += run;
      continue;
    }
    // back reference: length in the top 3 bits (7 = one more length byte), offset in 13 bits
    size_t len = ctrl >> 5;
    if (len == 7) {
      if (ip >= in.size()) return false;
      len += static_cast<uint8_t>(in[ip++]);
    }
    if (ip >= in.size()) return false;
    size_t back = ((ctrl & 0x1f) << 8) + static_cast<uint8_t>(in[ip++]) + 1;
    len += 2;
    if (back > out->size() || out->size() + len > expected_len) return false;
    size_t from = out->size() - back;
    for (size_t i = 0; i < len; ++i) out->push_back((*out)[from + i]);  // may overlap
  }
  return out->size() == expected_len;
}

uint64_t Crc64(uint64_t crc, std::string_view data) {
  for (unsigned char c : data) crc = kCrcTable[(crc ^ c) & 0xff] ^ (crc >> 8);
  return crc;
}

std::string MakeDumpPayload(uint8_t type, std::string_view value_bytes) {
  std::string out;
  out.reserve(1 + value_bytes.size() + 10);
  out.push_back(static_cast<char>(type));
  out.append(value_bytes);
  out.push_back(static_cast<char>(kRdbVersion & 0xff));
  out.push_back(static_cast<char>(kRdbVersion >> 8));
  uint64_t crc = Crc64(0, out);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((crc >> (i * 8)) & 0xff));
  return out;
}

bool SplitDumpPayload(std::string_view payload, uint8_t* type, std::string_view* value_bytes) {
  if (payload.size() < 11) return false;  // type + footer
  size_t n = payload.size();
  uint16_t version = static_cast<uint8_t>(payload[n - 10]) |
                     (static_cast<uint16_t>(static_cast<uint8_t>(payload[n - 9])) << 8);
  if (version > kRdbVersion) return false;
  uint64_t crc = 0;
  for (int i = 7; i >= 0; --i) crc = (crc << 8) | static_cast<uint8_t>(payload[n - 8 + i]);
  if (Crc64(0, payload.substr(0, n - 8)) != crc) return false;
  *type = static_cast<uint8_t>(payload[0]);
  *value_bytes = payload.substr(1, n - 11);
  return true;
}

}  // namespace respite::storage::rdb
