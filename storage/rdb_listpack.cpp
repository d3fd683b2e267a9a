// The compact encodings inside RDB values, written from their documented layouts:
//   listpack  total:u32le count:u16le entry* 0xff; entry = encoding, data, back length
//   ziplist   total:u32le tail:u32le count:u16le entry* 0xff; entry = prevlen, encoding, data
//   intset    width:u32le count:u32le value* (little-endian, sorted)
//   zipmap    count:u8 (len key len free value pad)* 0xff
#include <charconv>
#include <cmath>
#include <cstdio>

#include "storage/rdb_codec.h"

namespace respite::storage::rdb {
namespace {

uint64_t LoadLe(std::string_view s, size_t pos, int width) {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[pos + i]);
  return v;
}

void StoreLe(std::string* out, uint64_t v, int width) {
  for (int i = 0; i < width; ++i) out->push_back(static_cast<char>((v >> (i * 8)) & 0xff));
}

// Sign-extends the low `bits` of v.
int64_t SignExtend(uint64_t v, int bits) {
  const uint64_t sign = 1ull << (bits - 1);
  v &= (sign << 1) - 1;
  // In unsigned arithmetic (wraps; the conversion is modular in C++20): at 64 bits the signed
  // subtraction of INT64_MIN would overflow.
  return static_cast<int64_t>((v ^ sign) - sign);
}

void AppendInt(std::vector<std::string>* out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->emplace_back(buf, end);
}

size_t BacklenSize(size_t len) {
  return len < 128 ? 1 : len < 16383 ? 2 : len < 2097151 ? 3 : len < 268435455 ? 4 : 5;
}

// The encoding and data of one listpack element.
void EncodeElement(std::string_view s, std::string* out) {
  int64_t v;
  if (CanonicalInt(s, &v)) {
    if (v >= 0 && v <= 127) {
      out->push_back(static_cast<char>(v));
    } else if (v >= -4096 && v <= 4095) {
      const uint64_t u = static_cast<uint64_t>(v) & 0x1fff;
      out->push_back(static_cast<char>(0xc0 | (u >> 8)));
      out->push_back(static_cast<char>(u & 0xff));
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
      out->push_back(static_cast<char>(0xf1));
      StoreLe(out, static_cast<uint64_t>(v), 2);
    } else if (v >= -(1 << 23) && v < (1 << 23)) {
      out->push_back(static_cast<char>(0xf2));
      StoreLe(out, static_cast<uint64_t>(v), 3);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      out->push_back(static_cast<char>(0xf3));
      StoreLe(out, static_cast<uint64_t>(v), 4);
    } else {
      out->push_back(static_cast<char>(0xf4));
      StoreLe(out, static_cast<uint64_t>(v), 8);
    }
    return;
  }
  if (s.size() < 64) {
    out->push_back(static_cast<char>(0x80 | s.size()));
  } else if (s.size() < 4096) {
    out->push_back(static_cast<char>(0xe0 | (s.size() >> 8)));
    out->push_back(static_cast<char>(s.size() & 0xff));
  } else {
    out->push_back(static_cast<char>(0xf0));
    StoreLe(out, s.size(), 4);
  }
  out->append(s);
}

// Back length: the entry's length in 7-bit groups, most significant first; every byte but the
// first has its top bit set, so it can be read from the end.
void EncodeBacklen(size_t len, std::string* out) {
  const size_t n = BacklenSize(len);
  for (size_t i = 0; i < n; ++i) {
    uint8_t group = static_cast<uint8_t>((len >> (7 * (n - 1 - i))) & 127);
    out->push_back(static_cast<char>(i == 0 ? group : group | 128));
  }
}

}  // namespace

// A canonical decimal integer ("12", not "012", "+1" or "-0"), as lpAppend and intsets take.
bool CanonicalInt(std::string_view s, int64_t* v) {
  if (s.empty() || s.size() > 20) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  if (ec != std::errc() || end != s.data() + s.size()) return false;
  char buf[24];
  auto [cend, cec] = std::to_chars(buf, buf + sizeof buf, *v);
  return std::string_view(buf, cend - buf) == s;
}

bool ParseListpack(std::string_view blob, std::vector<std::string>* out) {
  if (blob.size() < 7 || LoadLe(blob, 0, 4) != blob.size()) return false;
  const uint64_t declared = LoadLe(blob, 4, 2);
  size_t pos = 6;
  uint64_t count = 0;
  const size_t end = blob.size() - 1;  // the 0xff terminator
  if (static_cast<uint8_t>(blob[end]) != 0xff) return false;
  while (pos < end) {
    const size_t start = pos;
    const uint8_t b = static_cast<uint8_t>(blob[pos]);
    auto need = [&](size_t n) { return end - pos >= n; };
    size_t str_len = 0;
    size_t header = 0;
    if (b < 0x80) {
      AppendInt(out, b);
      pos += 1;
    } else if ((b & 0xc0) == 0x80) {
      str_len = b & 0x3f;
      header = 1;
    } else if ((b & 0xe0) == 0xc0) {
      if (!need(2)) return false;
      AppendInt(out, SignExtend((uint64_t{b} << 8) | static_cast<uint8_t>(blob[pos + 1]), 13));
      pos += 2;
    } else if ((b & 0xf0) == 0xe0) {
      if (!need(2)) return false;
      str_len = ((b & 0x0f) << 8) | static_cast<uint8_t>(blob[pos + 1]);
      header = 2;
    } else if (b == 0xf0) {
      if (!need(5)) return false;
      str_len = LoadLe(blob, pos + 1, 4);
      header = 5;
    } else if (b >= 0xf1 && b <= 0xf4) {
      static constexpr int kWidths[] = {2, 3, 4, 8};
      const int width = kWidths[b - 0xf1];
      if (!need(1 + width)) return false;
      AppendInt(out, SignExtend(LoadLe(blob, pos + 1, width), width * 8));
      pos += 1 + width;
    } else {
      return false;
    }
    if (header != 0) {
      if (!need(header) || end - pos - header < str_len) return false;
      out->emplace_back(blob.substr(pos + header, str_len));
      pos += header + str_len;
    }
    const size_t entry_len = pos - start;
    const size_t backlen = BacklenSize(entry_len);
    if (end - pos < backlen) return false;
    pos += backlen;
    ++count;
  }
  return declared == 65535 || declared == count;
}

bool ParseZiplist(std::string_view blob, std::vector<std::string>* out) {
  if (blob.size() < 11 || LoadLe(blob, 0, 4) != blob.size()) return false;
  const size_t end = blob.size() - 1;
  if (static_cast<uint8_t>(blob[end]) != 0xff) return false;
  size_t pos = 10;
  while (pos < end) {
    // prevlen: one byte, or 0xfe and four more
    pos += static_cast<uint8_t>(blob[pos]) == 0xfe ? 5 : 1;
    if (pos >= end) return false;
    const uint8_t b = static_cast<uint8_t>(blob[pos]);
    auto need = [&](size_t n) { return end - pos >= n; };
    size_t header = 0, str_len = 0;
    int width = 0;
    switch (b >> 6) {
      case 0:
        header = 1;
        str_len = b & 0x3f;
        break;
      case 1:
        if (!need(2)) return false;
        header = 2;
        str_len = ((b & 0x3f) << 8) | static_cast<uint8_t>(blob[pos + 1]);
        break;
      case 2:
        if (b != 0x80 || !need(5)) return false;
        header = 5;
        for (int i = 1; i <= 4; ++i) str_len = (str_len << 8) | static_cast<uint8_t>(blob[pos + i]);
        break;
      default:
        width = b == 0xc0 ? 2 : b == 0xd0 ? 4 : b == 0xe0 ? 8 : b == 0xf0 ? 3 : b == 0xfe ? 1 : 0;
        if (width == 0) {
          if (b < 0xf1 || b > 0xfd) return false;
          AppendInt(out, (b & 0x0f) - 1);  // immediate 0..12
          pos += 1;
          continue;
        }
        if (!need(1 + width)) return false;
        AppendInt(out, SignExtend(LoadLe(blob, pos + 1, width), width * 8));
        pos += 1 + width;
        continue;
    }
    if (!need(header) || end - pos - header < str_len) return false;
    out->emplace_back(blob.substr(pos + header, str_len));
    pos += header + str_len;
  }
  return true;
}

bool ParseIntset(std::string_view blob, std::vector<std::string>* out) {
  if (blob.size() < 8) return false;
  const uint64_t width = LoadLe(blob, 0, 4);
  const uint64_t count = LoadLe(blob, 4, 4);
  if ((width != 2 && width != 4 && width != 8) || (blob.size() - 8) != width * count) return false;
  int64_t previous = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const int64_t v = SignExtend(LoadLe(blob, 8 + i * width, static_cast<int>(width)),
                                 static_cast<int>(width * 8));
    if (i > 0 && v <= previous) return false;  // sorted and unique, or a set would lose members
    previous = v;
    AppendInt(out, v);
  }
  return true;
}

bool ParseZipmap(std::string_view blob, std::vector<std::string>* out) {
  if (blob.empty()) return false;
  size_t pos = 1;
  auto read_len = [&](size_t* len) {
    if (pos >= blob.size()) return false;
    const uint8_t b = static_cast<uint8_t>(blob[pos]);
    if (b < 254) {
      *len = b;
      pos += 1;
      return true;
    }
    if (b != 254 || blob.size() - pos < 5) return false;
    *len = LoadLe(blob, pos + 1, 4);
    pos += 5;
    return true;
  };
  for (;;) {
    if (pos >= blob.size()) return false;
    if (static_cast<uint8_t>(blob[pos]) == 0xff) return pos + 1 == blob.size();
    size_t key_len, value_len;
    if (!read_len(&key_len) || blob.size() - pos < key_len) return false;
    out->emplace_back(blob.substr(pos, key_len));
    pos += key_len;
    if (!read_len(&value_len) || pos >= blob.size()) return false;
    const size_t free = static_cast<uint8_t>(blob[pos++]);
    if (blob.size() - pos < value_len || blob.size() - pos - value_len < free) return false;
    out->emplace_back(blob.substr(pos, value_len));
    pos += value_len + free;
  }
}

ListpackWriter::ListpackWriter() : buf_(6, '\0') {}

void ListpackWriter::Append(std::string_view element) {
  const size_t start = buf_.size();
  EncodeElement(element, &buf_);
  EncodeBacklen(buf_.size() - start, &buf_);
  ++count_;
}

std::string ListpackWriter::Finish() {
  buf_.push_back(static_cast<char>(0xff));
  std::string head;
  StoreLe(&head, buf_.size(), 4);
  StoreLe(&head, count_ < 65535 ? count_ : 65535, 2);
  buf_.replace(0, 6, head);
  return std::move(buf_);
}

size_t ListpackEntrySize(std::string_view element) {
  std::string tmp;
  EncodeElement(element, &tmp);
  return tmp.size() + BacklenSize(tmp.size());
}

std::string MakeIntset(const std::vector<int64_t>& sorted) {
  int width = 2;
  for (int64_t v : sorted) {
    if (v < INT32_MIN || v > INT32_MAX) {
      width = 8;
    } else if ((v < INT16_MIN || v > INT16_MAX) && width < 4) {
      width = 4;
    }
  }
  std::string out;
  StoreLe(&out, width, 4);
  StoreLe(&out, sorted.size(), 4);
  for (int64_t v : sorted) StoreLe(&out, static_cast<uint64_t>(v), width);
  return out;
}

std::string ScoreText(double score) {
  if (std::isnan(score)) return "nan";
  if (std::isinf(score)) return score > 0 ? "inf" : "-inf";
  if (score == 0) return std::signbit(score) ? "-0" : "0";
  // Integral scores within the double's exact range print as integers.
  constexpr double kExact = 4503599627370496.0;  // 2^52
  if (score > -kExact && score < kExact && score == std::trunc(score)) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(score));
    return std::string(buf, end);
  }
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%.17g", score);
  return std::string(buf, n);
}

}  // namespace respite::storage::rdb
