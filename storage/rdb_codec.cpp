// Whole RDB values of every non-stream type, decoded into RdbObject and encoded from it the way
// Redis 7.0's rdbSaveObject lays them out (the encoding picked by the OBJECT ENCODING thresholds).
#include "storage/rdb_codec.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <unordered_set>

#include "storage/rdb_value.h"

namespace respite::storage::rdb {
namespace {

// Redis refuses to load collections that repeat a member or field.
bool Unique(const std::vector<std::string>& keys) {
  std::unordered_set<std::string_view> seen;
  seen.reserve(keys.size());
  for (const std::string& k : keys) {
    if (!seen.insert(k).second) return false;
  }
  return true;
}

bool ParseScore(const std::string& text, double* score) {
  char* end = nullptr;
  *score = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size() && !std::isnan(*score);
}

// Pairs from a flat element list (hash field/value, zset member/score).
bool ToHash(std::vector<std::string> flat, RdbObject* out) {
  if (flat.size() % 2 != 0) return false;
  out->type = Type::kHash;
  std::vector<std::string> fields;
  for (size_t i = 0; i < flat.size(); i += 2) {
    fields.push_back(flat[i]);
    out->hash.emplace_back(std::move(flat[i]), std::move(flat[i + 1]));
  }
  return Unique(fields);
}

bool ToZSet(std::vector<std::string> flat, RdbObject* out) {
  if (flat.size() % 2 != 0) return false;
  out->type = Type::kZSet;
  std::vector<std::string> members;
  for (size_t i = 0; i < flat.size(); i += 2) {
    double score;
    if (!ParseScore(flat[i + 1], &score)) return false;
    members.push_back(flat[i]);
    out->zset.emplace_back(std::move(flat[i]), score);
  }
  return Unique(members);
}

bool ReadStrings(Reader& r, uint64_t n, std::vector<std::string>* out) {
  for (uint64_t i = 0; i < n; ++i) {
    std::string s;
    if (!r.ReadString(&s)) return false;
    out->push_back(std::move(s));
  }
  return true;
}

// Counts in a value can claim more elements than bytes remain; cap reservations by the input.
bool PlausibleCount(const Reader& r, uint64_t n) { return n <= r.rest().size(); }

bool DecodeBody(uint8_t type, Reader& r, RdbObject* out) {
  uint64_t n = 0;
  std::string blob;
  std::vector<std::string> flat;
  switch (type) {
    case kTypeString:
      out->type = Type::kString;
      return r.ReadString(&out->str);
    case kTypeList:
    case kTypeSet:
      if (!r.ReadLength(&n) || !PlausibleCount(r, n) || !ReadStrings(r, n, &out->items)) {
        return false;
      }
      out->type = type == kTypeList ? Type::kList : Type::kSet;
      return type == kTypeList || Unique(out->items);
    case kTypeHash:
      if (!r.ReadLength(&n) || !PlausibleCount(r, n) || !ReadStrings(r, n * 2, &flat)) {
        return false;
      }
      return ToHash(std::move(flat), out);
    case kTypeZSet:
    case kTypeZSet2: {
      if (!r.ReadLength(&n) || !PlausibleCount(r, n)) return false;
      out->type = Type::kZSet;
      std::vector<std::string> members;
      for (uint64_t i = 0; i < n; ++i) {
        std::string member;
        double score;
        if (!r.ReadString(&member)) return false;
        if (!(type == kTypeZSet ? r.ReadTextDouble(&score) : r.ReadBinaryDouble(&score))) {
          return false;
        }
        if (std::isnan(score)) return false;
        members.push_back(member);
        out->zset.emplace_back(std::move(member), score);
      }
      return Unique(members);
    }
    case kTypeHashZipmap:
      return r.ReadString(&blob) && ParseZipmap(blob, &flat) && ToHash(std::move(flat), out);
    case kTypeListZiplist:
      out->type = Type::kList;
      return r.ReadString(&blob) && ParseZiplist(blob, &out->items);
    case kTypeSetIntset:
      out->type = Type::kSet;
      return r.ReadString(&blob) && ParseIntset(blob, &out->items);
    case kTypeZSetZiplist:
      return r.ReadString(&blob) && ParseZiplist(blob, &flat) && ToZSet(std::move(flat), out);
    case kTypeHashZiplist:
      return r.ReadString(&blob) && ParseZiplist(blob, &flat) && ToHash(std::move(flat), out);
    case kTypeHashListpack:
      return r.ReadString(&blob) && ParseListpack(blob, &flat) && ToHash(std::move(flat), out);
    case kTypeZSetListpack:
      return r.ReadString(&blob) && ParseListpack(blob, &flat) && ToZSet(std::move(flat), out);
    case kTypeListQuicklist:
    case kTypeListQuicklist2:
      if (!r.ReadLength(&n) || !PlausibleCount(r, n)) return false;
      out->type = Type::kList;
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t container = 2;  // packed; quicklist 1 has only ziplists
        if (type == kTypeListQuicklist2 && !r.ReadLength(&container)) return false;
        if (!r.ReadString(&blob)) return false;
        if (container == 1) {  // a plain node: one element
          out->items.push_back(std::move(blob));
        } else if (container != 2) {
          return false;
        } else if (!(type == kTypeListQuicklist ? ParseZiplist(blob, &out->items)
                                                : ParseListpack(blob, &out->items))) {
          return false;
        }
      }
      return true;
    case kTypeStreamListpacks:
    case kTypeStreamListpacks2:
      out->type = Type::kStream;
      return DecodeStream(r, type == kTypeStreamListpacks2, &out->stream);
    default:
      return false;  // modules, unknown
  }
}

// Quicklist nodes as RPUSH fills them: a size limit (negative fill: 4 KB << (-fill - 1)) or an
// element count (positive fill) under the 8 KB safety limit; each estimate adds 8 bytes.
void EncodeList(const RdbObject& obj, const EncodeLimits& limits, std::string* bytes) {
  static constexpr size_t kLevels[] = {4096, 8192, 16384, 32768, 65536};
  constexpr size_t kSafety = 8192, kOverhead = 8;
  const int64_t fill = limits.list_max_listpack_size;
  std::vector<std::string> nodes;
  ListpackWriter node;
  for (const std::string& item : obj.items) {
    if (node.count() > 0) {
      const size_t new_size = node.bytes() + item.size() + kOverhead;
      bool fits;
      if (fill < 0) {
        const int64_t level = std::min<int64_t>(-fill - 1, 4);  // Redis clamps fill at -5
        fits = new_size <= kLevels[level];
      } else {
        fits = new_size <= kSafety && static_cast<int64_t>(node.count()) < fill;
      }
      if (!fits) {
        nodes.push_back(node.Finish());
        node = ListpackWriter();
      }
    }
    node.Append(item);
  }
  if (node.count() > 0) nodes.push_back(node.Finish());
  WriteLength(bytes, nodes.size());
  for (const std::string& lp : nodes) {
    WriteLength(bytes, 2);  // packed container
    WriteString(bytes, lp);
  }
}

}  // namespace

bool DecodeValue(uint8_t type, std::string_view bytes, RdbObject* out, size_t* consumed) {
  *out = RdbObject();
  Reader r(bytes);
  if (!DecodeBody(type, r, out)) return false;
  if (consumed != nullptr) {
    *consumed = r.offset();
  } else if (!r.AtEnd()) {
    return false;
  }
  // Redis treats an empty collection in a payload as bad data.
  switch (out->type) {
    case Type::kList:
    case Type::kSet:
      return !out->items.empty();
    case Type::kHash:
      return !out->hash.empty();
    case Type::kZSet:
      return !out->zset.empty();
    default:
      return true;
  }
}

void EncodeValue(const RdbObject& obj, const EncodeLimits& limits, uint8_t* type,
                 std::string* bytes) {
  bytes->clear();
  switch (obj.type) {
    case Type::kString:
      *type = kTypeString;
      WriteString(bytes, obj.str);
      return;
    case Type::kList:
      *type = kTypeListQuicklist2;
      EncodeList(obj, limits, bytes);
      return;
    case Type::kSet: {
      std::vector<int64_t> ints;
      bool intset = obj.items.size() <= limits.set_max_intset_entries;
      for (size_t i = 0; intset && i < obj.items.size(); ++i) {
        int64_t v = 0;
        intset = CanonicalInt(obj.items[i], &v);
        ints.push_back(v);
      }
      if (intset) {
        std::sort(ints.begin(), ints.end());
        *type = kTypeSetIntset;
        WriteString(bytes, MakeIntset(ints));
        return;
      }
      *type = kTypeSet;
      WriteLength(bytes, obj.items.size());
      for (const std::string& m : obj.items) WriteString(bytes, m);
      return;
    }
    case Type::kHash: {
      bool small = obj.hash.size() <= limits.hash_max_listpack_entries;
      for (size_t i = 0; small && i < obj.hash.size(); ++i) {
        small = obj.hash[i].first.size() <= limits.hash_max_listpack_value &&
                obj.hash[i].second.size() <= limits.hash_max_listpack_value;
      }
      if (small) {
        ListpackWriter lp;
        for (const auto& [f, v] : obj.hash) {
          lp.Append(f);
          lp.Append(v);
        }
        *type = kTypeHashListpack;
        WriteString(bytes, lp.Finish());
        return;
      }
      *type = kTypeHash;
      WriteLength(bytes, obj.hash.size());
      for (const auto& [f, v] : obj.hash) {
        WriteString(bytes, f);
        WriteString(bytes, v);
      }
      return;
    }
    case Type::kZSet: {
      bool small = obj.zset.size() <= limits.zset_max_listpack_entries;
      for (size_t i = 0; small && i < obj.zset.size(); ++i) {
        small = obj.zset[i].first.size() <= limits.zset_max_listpack_value;
      }
      if (small) {
        ListpackWriter lp;
        for (const auto& [m, score] : obj.zset) {
          lp.Append(m);
          lp.Append(ScoreText(score));
        }
        *type = kTypeZSetListpack;
        WriteString(bytes, lp.Finish());
        return;
      }
      // A skiplist is saved from the greatest element down.
      *type = kTypeZSet2;
      WriteLength(bytes, obj.zset.size());
      for (auto it = obj.zset.rbegin(); it != obj.zset.rend(); ++it) {
        WriteString(bytes, it->first);
        WriteBinaryDouble(bytes, it->second);
      }
      return;
    }
    case Type::kStream:
      *type = kTypeStreamListpacks2;
      EncodeStream(obj.stream, limits, bytes);
      return;
    default:
      return;
  }
}

}  // namespace respite::storage::rdb
