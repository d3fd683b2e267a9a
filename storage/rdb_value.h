#pragma once
// Redis 7.0 RDB primitives (RDB version 10): type bytes, length and string encodings, the DUMP
// payload envelope and Redis' CRC64. Bytes only: no RocksDB, no store types. The value codecs
// that turn RDB values into local-store values and back live in rdb_codec.h.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace respite::storage::rdb {

// Type bytes as Redis 7.0 writes them, and the older ones it (and we) still read.
inline constexpr uint8_t kTypeString = 0;
inline constexpr uint8_t kTypeList = 1;
inline constexpr uint8_t kTypeSet = 2;
inline constexpr uint8_t kTypeZSet = 3;
inline constexpr uint8_t kTypeHash = 4;
inline constexpr uint8_t kTypeZSet2 = 5;
inline constexpr uint8_t kTypeHashZipmap = 9;
inline constexpr uint8_t kTypeListZiplist = 10;
inline constexpr uint8_t kTypeSetIntset = 11;
inline constexpr uint8_t kTypeZSetZiplist = 12;
inline constexpr uint8_t kTypeHashZiplist = 13;
inline constexpr uint8_t kTypeListQuicklist = 14;
inline constexpr uint8_t kTypeStreamListpacks = 15;
inline constexpr uint8_t kTypeHashListpack = 16;
inline constexpr uint8_t kTypeZSetListpack = 17;
inline constexpr uint8_t kTypeListQuicklist2 = 18;
inline constexpr uint8_t kTypeStreamListpacks2 = 19;

// File opcodes (whole RDB files, not DUMP payloads).
inline constexpr uint8_t kOpFunction2 = 0xF5;
inline constexpr uint8_t kOpModuleAux = 0xF7;
inline constexpr uint8_t kOpIdle = 0xF8;
inline constexpr uint8_t kOpFreq = 0xF9;
inline constexpr uint8_t kOpAux = 0xFA;
inline constexpr uint8_t kOpResizeDb = 0xFB;
inline constexpr uint8_t kOpExpireTimeMs = 0xFC;
inline constexpr uint8_t kOpExpireTime = 0xFD;
inline constexpr uint8_t kOpSelectDb = 0xFE;
inline constexpr uint8_t kOpEof = 0xFF;

inline constexpr uint16_t kRdbVersion = 10;

// Special string encodings behind the 0xC0 length marker.
inline constexpr uint64_t kEncInt8 = 0;
inline constexpr uint64_t kEncInt16 = 1;
inline constexpr uint64_t kEncInt32 = 2;
inline constexpr uint64_t kEncLzf = 3;

// True for the type bytes SkipValue and the value codecs understand.
bool IsKnownType(uint8_t type);

// A cursor over bytes it does not own (the caller keeps `data` alive). Every method returns
// false on malformed or short input and never reads past the end; after a false the cursor
// position is unspecified.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool ReadByte(uint8_t* out);
  // RDB length: 6-bit, 14-bit, 32-bit BE, 64-bit BE; with 0xC0 sets *is_encoded and returns the
  // 6-bit encoding id (kEncInt8...). Without is_encoded an encoded length is an error.
  bool ReadLength(uint64_t* len, bool* is_encoded = nullptr);
  // An RDB string: plain, int8/16/32 (as decimal text) or LZF compressed.
  bool ReadString(std::string* out);
  bool ReadFixed(void* out, size_t n);
  // A little-endian double as RDB_TYPE_ZSET_2 stores scores.
  bool ReadBinaryDouble(double* out);
  // The old textual double of RDB_TYPE_ZSET (length byte; 253 nan, 254 +inf, 255 -inf).
  bool ReadTextDouble(double* out);
  // Advances past one value of this type; checks lengths, not the inner blobs.
  bool SkipValue(uint8_t type);

  size_t offset() const { return pos_; }
  std::string_view rest() const { return data_.substr(pos_); }
  bool AtEnd() const { return pos_ == data_.size(); }

 private:
  bool SkipString();
  std::string_view data_;
  size_t pos_ = 0;
};

// Writers for the same primitives (append to *out).
void WriteLength(std::string* out, uint64_t len);
// Plain string, or the int encoding when `s` is a canonical integer that fits 32 bits, as Redis
// writes it. Never LZF: our DUMP is what Redis writes with `rdbcompression no` (see README).
void WriteString(std::string* out, std::string_view s);
void WriteBinaryDouble(std::string* out, double d);

// LZF (liblzf's format). Fails unless exactly `expected_len` bytes come out.
bool LzfDecompress(std::string_view in, size_t expected_len, std::string* out);

// Redis' crc64 (Jones polynomial, reflected, no final xor), as DUMP and RDB files use.
uint64_t Crc64(uint64_t crc, std::string_view data);

// type byte + value bytes -> a DUMP payload: appends RDB version 10 (2 bytes LE) and the CRC64
// of everything before it (8 bytes LE).
std::string MakeDumpPayload(uint8_t type, std::string_view value_bytes);

// Checks a DUMP payload's footer (RDB version <= 10, CRC64) and yields its type byte and value
// bytes (views into `payload`).
bool SplitDumpPayload(std::string_view payload, uint8_t* type, std::string_view* value_bytes);

}  // namespace respite::storage::rdb
