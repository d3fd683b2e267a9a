#pragma once
// Key and value layouts of the local store. Integers are big-endian in keys so RocksDB's default
// bytewise comparator orders them; scores map to order-preserving u64. No RocksDB here.
//
//   meta   [db:1][user key]                                -> MetaValue
//   sub    [db:1][keylen:4][user key][version:8][field]     -> field value / member / list item
//   score  [db:1][keylen:4][user key][version:8][score:8][member] -> ""

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace respite::storage {

enum class Type : uint8_t {
  kNone = 0,
  kString = 1,
  kHash = 2,
  kList = 3,
  kSet = 4,
  kZSet = 5,
  kStream = 6,
};

// Redis' name of a type ("string", "hash", ...; "none" for kNone).
std::string_view TypeName(Type type);

inline void PutU64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (i * 8)) & 0xff));
}
inline void PutU32(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((v >> (i * 8)) & 0xff));
}
inline uint64_t GetU64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}
inline uint32_t GetU32(std::string_view in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

// Order-preserving map of a double onto u64 (negative scores first). EncodeScoreExact keeps -0
// (a member's own score: Redis replies "-0"); EncodeScore maps it to 0 (the score index orders -0
// and 0 as one score, then by member, as Redis does). DecodeScore reverses either.
inline uint64_t EncodeScoreExact(double d) {
  uint64_t bits = std::bit_cast<uint64_t>(d);
  return (bits & (1ull << 63)) ? ~bits : bits | (1ull << 63);
}
inline uint64_t EncodeScore(double d) {
  if (d == 0) d = 0;  // -0.0 -> +0.0
  return EncodeScoreExact(d);
}
inline double DecodeScore(uint64_t u) {
  uint64_t bits = (u & (1ull << 63)) ? u & ~(1ull << 63) : ~u;
  return std::bit_cast<double>(bits);
}

inline void MetaKeyTo(std::string* out, int db, std::string_view key) {
  out->clear();
  out->reserve(1 + key.size());
  out->push_back(static_cast<char>(db));
  out->append(key);
}
inline std::string MetaKey(int db, std::string_view key) {
  std::string out;
  MetaKeyTo(&out, db, key);
  return out;
}

// Expiry hints, in the default family: "expire:" | u64 expire_ms | MetaKey -> "". Written with each
// meta write that sets a new expiry, so the active expiry cycle finds due keys in expiry order
// without walking every key. A hint can be stale (the key was deleted or got another expiry
// since): the cycle checks the key itself and then drops the hint.
inline constexpr std::string_view kExpireHintPrefix = "expire:";
inline std::string ExpireHintKey(int64_t expire_ms, std::string_view meta_key) {
  std::string out;
  out.reserve(kExpireHintPrefix.size() + 8 + meta_key.size());
  out.append(kExpireHintPrefix);
  PutU64(&out, static_cast<uint64_t>(expire_ms));
  out.append(meta_key);
  return out;
}

// Prefix shared by all subkeys (and score-index entries) of one version of one key.
inline std::string SubPrefix(int db, std::string_view key, uint64_t version) {
  std::string out;
  out.reserve(13 + key.size());
  out.push_back(static_cast<char>(db));
  PutU32(&out, static_cast<uint32_t>(key.size()));
  out.append(key);
  PutU64(&out, version);
  return out;
}

// The first key after every key that starts with `prefix` (for iterator upper bounds).
std::string PrefixEnd(std::string_view prefix);

// List items are keyed by a u64 position; the first item of a new list sits in the middle so
// pushes on either side never run out.
inline constexpr uint64_t kListMiddle = 1ull << 63;

// What the meta family holds for each key.
struct MetaValue {
  Type type = Type::kNone;
  int64_t expire_ms = 0;  // absolute Unix ms; 0 = no expiry
  uint64_t version = 0;   // subkeys of this incarnation carry it; 0 for strings
  uint64_t size = 0;      // fields / members / items (collections)
  // Strings: the value. Lists: head (first item position) and tail (one past the last), u64 each.
  std::string payload;

  std::string Encode() const;
  // Encode into *out (replacing its contents), reusing its buffer.
  void EncodeTo(std::string* out) const;
  // Returns false on bytes that are not a MetaValue.
  static bool Decode(std::string_view bytes, MetaValue* out);
  // The encoding's bytes before the payload: Decode of only these gives all but the payload.
  static constexpr size_t kHeaderBytes = 26;

  uint64_t list_head() const { return GetU64(payload); }
  uint64_t list_tail() const { return GetU64(std::string_view(payload).substr(8)); }
  void set_list_bounds(uint64_t head, uint64_t tail) {
    payload.clear();
    PutU64(&payload, head);
    PutU64(&payload, tail);
  }
};

}  // namespace respite::storage
