#pragma once
// How a differential test compares two replies to the same command: byte for byte by default;
// after canonical sorting where Redis leaves the order unspecified; by shape and membership where
// the reply is random; with a tolerance for TTLs (both sides run on the wall clock).

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "storage/rdb_codec.h"
#include "storage/rdb_value.h"
#include "tests/storage/reply_tree.h"

namespace respite::storage::diff {

enum class Kind {
  kExact,      // byte-identical replies
  kSet,        // an aggregate whose element order is unspecified (SMEMBERS, KEYS, HKEYS, ...)
  kPairs,      // field/value pairs in unspecified order (HGETALL)
  kTtl,        // TTL/PTTL/EXPIRETIME/PEXPIRETIME: equal, or both positive and close
  kScan,       // SCAN/SSCAN/HSCAN/ZSCAN: iterate to the end on both sides, compare the union
  kSample,     // SRANDMEMBER/HRANDFIELD/ZRANDMEMBER: same shape, members of the collection
  kRandomKey,  // RANDOMKEY: same shape, an existing key
  kSpop,       // SPOP: same shape, members; then both sides are made to hold the same set
  kBlocking,   // blocking pops: exact, with the timeout reply when the store would block
  kLex,        // lex ranges: exact, but only on sorted sets whose scores are all equal (Redis
               // leaves the result unspecified otherwise)
  kDbsize,     // DBSIZE: exact, after both sides dropped their expired keys (Redis' active
               // expiry removes them at its own pace)
  kDump,       // DUMP: the payloads decoded and compared by content (DumpContent)
};

inline std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

inline Kind Classify(const std::vector<std::string>& argv) {
  const std::string name = Lower(argv[0]);
  for (const char* n : {"smembers", "sinter", "sunion", "sdiff", "hkeys", "hvals", "keys"}) {
    if (name == n) return Kind::kSet;
  }
  if (name == "hgetall") return Kind::kPairs;
  for (const char* n : {"ttl", "pttl", "expiretime", "pexpiretime"}) {
    if (name == n) return Kind::kTtl;
  }
  for (const char* n : {"scan", "sscan", "hscan", "zscan"}) {
    if (name == n) return Kind::kScan;
  }
  for (const char* n : {"srandmember", "hrandfield", "zrandmember"}) {
    if (name == n) return Kind::kSample;
  }
  if (name == "randomkey") return Kind::kRandomKey;
  if (name == "dump") return Kind::kDump;
  if (name == "dbsize") return Kind::kDbsize;
  for (const char* n : {"zrangebylex", "zrevrangebylex", "zlexcount", "zremrangebylex"}) {
    if (name == n) return Kind::kLex;
  }
  if (name == "zrange" || name == "zrangestore") {
    for (const std::string& a : argv) {
      if (Lower(a) == "bylex") return Kind::kLex;
    }
  }
  if (name == "spop") return Kind::kSpop;
  for (const char* n :
       {"blpop", "brpop", "blmove", "brpoplpush", "blmpop", "bzpopmin", "bzpopmax", "bzmpop"}) {
    if (name == n) return Kind::kBlocking;
  }
  return Kind::kExact;
}

// Printable form of binary bytes: \r \n \0 \\ and \xNN, cut after `max` bytes.
inline std::string Escape(std::string_view s, size_t max = 3000) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

inline std::string EscapeArgv(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) out += ' ';
    out += '"' + Escape(a, 200) + '"';
  }
  return out;
}

inline bool Parse(std::string_view bytes, ReplyTree* tree) {
  size_t pos = 0;
  return ParseReplyAt(bytes, &pos, tree) && pos == bytes.size();
}

inline bool IsAggregate(const ReplyTree& t) {
  return !t.null && (t.type == '*' || t.type == '~' || t.type == '%' || t.type == '>');
}

// Re-encodes a parsed reply (the inverse of ParseReplyAt).
inline std::string Serialize(const ReplyTree& t) {
  std::string out(1, t.type);
  switch (t.type) {
    case '_':
      return "_\r\n";
    case '$':
    case '=':
      if (t.null) return "$-1\r\n";
      return out + std::to_string(t.text.size()) + "\r\n" + t.text + "\r\n";
    case '*':
    case '~':
    case '>':
    case '%': {
      if (t.null) return out + "-1\r\n";
      const size_t n = t.type == '%' ? t.elements.size() / 2 : t.elements.size();
      out += std::to_string(n) + "\r\n";
      for (const ReplyTree& e : t.elements) out += Serialize(e);
      return out;
    }
    default:
      return out + t.text + "\r\n";
  }
}

// The reply with its elements (or element pairs) sorted; the raw bytes when it is not an
// aggregate (errors, nil).
inline std::string Canonical(std::string_view bytes, bool pairs) {
  ReplyTree t;
  if (!Parse(bytes, &t) || !IsAggregate(t)) return std::string(bytes);
  std::vector<std::string> items;
  const size_t step = (pairs || t.type == '%') ? 2 : 1;
  if (t.elements.size() % step != 0) return std::string(bytes);
  for (size_t i = 0; i < t.elements.size(); i += step) {
    std::string item;
    for (size_t j = 0; j < step; ++j) item += Serialize(t.elements[i + j]);
    items.push_back(std::move(item));
  }
  std::sort(items.begin(), items.end());
  std::string out(1, t.type);
  out += std::to_string(t.type == '%' ? items.size() : t.elements.size()) + "\r\n";
  for (const std::string& item : items) out += item;
  return out;
}

// Type bytes and counts, leaves reduced to their type (and nil-ness).
inline std::string Shape(const ReplyTree& t) {
  std::string out(1, t.type);
  if (t.null) return out + "nil";
  if (IsAggregate(t)) {
    out += std::to_string(t.elements.size()) + "[";
    for (const ReplyTree& e : t.elements) out += Shape(e);
    out += "]";
  }
  return out;
}

// The members (or "member\0value" pairs) of a flat array, a map, or an array of 2-element
// arrays (RESP3 WITHSCORES / WITHVALUES).
inline std::vector<std::string> Items(const ReplyTree& t, bool pairs) {
  std::vector<std::string> out;
  if (!IsAggregate(t)) {
    if (!t.null) out.push_back(t.text);
    return out;
  }
  if (!pairs) {
    for (const ReplyTree& e : t.elements) out.push_back(e.text);
    return out;
  }
  if (!t.elements.empty() && IsAggregate(t.elements[0])) {
    for (const ReplyTree& e : t.elements) {
      if (e.elements.size() == 2) {
        out.push_back(e.elements[0].text + std::string(1, '\0') + e.elements[1].text);
      }
    }
    return out;
  }
  for (size_t i = 0; i + 1 < t.elements.size(); i += 2) {
    out.push_back(t.elements[i].text + std::string(1, '\0') + t.elements[i + 1].text);
  }
  return out;
}

// TTL-like replies: equal, or both positive and within the time the two executions can be apart
// (plus rounding to seconds).
inline bool TtlClose(const std::vector<std::string>& argv, std::string_view a, std::string_view b) {
  if (a == b) return true;
  ReplyTree ta;
  ReplyTree tb;
  if (!Parse(a, &ta) || !Parse(b, &tb) || ta.type != ':' || tb.type != ':') return false;
  const int64_t x = std::stoll(ta.text);
  const int64_t y = std::stoll(tb.text);
  if (x <= 0 || y <= 0) return false;
  const std::string name = Lower(argv[0]);
  const int64_t tolerance = (name == "pttl" || name == "pexpiretime") ? 1500 : 2;
  return x - y <= tolerance && y - x <= tolerance;
}

}  // namespace respite::storage::diff

namespace respite::storage::diff {

// A DUMP reply as what it holds: the type, then the elements (a set's and a hash's sorted, a
// sorted set's by score then member). Redis and the store may choose other node boundaries,
// orders or LZF, so payloads are not compared byte for byte. Not a payload: the raw reply.
inline std::string DumpContent(std::string_view reply) {
  ReplyTree t;
  if (!Parse(reply, &t) || t.type != '$' || t.null) {
    return std::string(reply);
  }
  uint8_t type = 0;
  std::string_view value;
  rdb::RdbObject obj;
  if (!rdb::SplitDumpPayload(t.text, &type, &value) || !rdb::DecodeValue(type, value, &obj)) {
    return "undecodable payload " + std::string(reply);
  }
  std::vector<std::string> parts;
  for (const std::string& item : obj.items) parts.push_back(item);
  if (obj.type == Type::kSet) std::sort(parts.begin(), parts.end());
  for (const auto& [f, v] : obj.hash) parts.push_back(f + '\0' + v);
  if (obj.type == Type::kHash) std::sort(parts.begin(), parts.end());
  auto zset = obj.zset;
  std::sort(zset.begin(), zset.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second < b.second : a.first < b.first;
  });
  for (const auto& [m, score] : zset) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g%s", score, std::signbit(score) && score == 0 ? "-" : "");
    parts.push_back(m + '\0' + buf);
  }
  std::string out = std::string(TypeName(obj.type)) + ":" + obj.str;
  for (const std::string& p : parts) out += "|" + p;
  return out;
}

}  // namespace respite::storage::diff
