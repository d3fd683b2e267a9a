// The bitmap family: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO. Bitmaps are
// strings (strings.cpp: the value inline in the MetaValue); bit 0 is the most significant bit of
// the first byte, and reads past the end see zeros, as in Redis 7.0 (bitops.c).
//
// Journal: SETBIT and BITFIELD as themselves, and only when Redis counts a change (a SETBIT that
// leaves the bit and the length as they were, a BITFIELD of GETs or whose writes all failed
// under OVERFLOW FAIL: nothing). BITOP as the value it left at the destination (SET dest <bytes>,
// or DEL dest when the result was empty and the destination existed), so a replay gives upstream
// what the client saw whatever upstream holds in the sources.

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resp/ascii.h"
#include "storage/command_context.h"
#include "storage/keyspace.h"
#include "storage/numbers.h"

namespace respite::storage {
namespace {

// Redis' proto-max-bulk-len default: a bit offset must address a byte below it.
constexpr uint64_t kMaxStringBytes = 512ull << 20;

constexpr std::string_view kBadOffset = "ERR bit offset is not an integer or out of range";

// Redis compares keywords with strcasecmp: a NUL byte ends the argument.
bool Is(std::string_view arg, std::string_view word) {
  return resp::EqualsIgnoreCase(arg.substr(0, arg.find('\0')), word);
}

// Looks `key` up for a bitmap command: true with *meta (type kNone when missing); false after
// replying WRONGTYPE or a storage failure.
bool LookupString(CommandContext& ctx, std::string_view key, MetaValue* meta) {
  if (Status s = ctx.ks.Lookup(ctx.db, key, meta); !s.ok()) {
    ctx.Fail(s);
    return false;
  }
  if (meta->type != Type::kNone && meta->type != Type::kString) {
    ctx.WrongType();
    return false;
  }
  return true;
}

// Redis' getBitOffsetFromArgument: a bit offset whose byte is below the string limit. With
// `bits` > 0, "#n" means n * bits (BITFIELD). False after replying the error.
bool ParseBitOffset(CommandContext& ctx, std::string_view arg, int bits, uint64_t* offset) {
  const bool multiply = bits > 0 && !arg.empty() && arg[0] == '#';
  int64_t v = 0;
  bool ok = ParseInt64(multiply ? arg.substr(1) : arg, &v) && v >= 0;
  if (ok && multiply) {
    ok = v <= std::numeric_limits<int64_t>::max() / bits;
    if (ok) v *= bits;
  }
  if (!ok || static_cast<uint64_t>(v >> 3) >= kMaxStringBytes) {
    ctx.out.Error(kBadOffset);
    return false;
  }
  *offset = static_cast<uint64_t>(v);
  return true;
}

bool GetBit(std::string_view s, uint64_t bit) {
  const uint64_t byte = bit >> 3;
  return byte < s.size() && (static_cast<uint8_t>(s[byte]) & (0x80u >> (bit & 7))) != 0;
}

void PutBit(std::string& s, uint64_t bit, bool on) {
  auto& byte = reinterpret_cast<uint8_t&>(s[bit >> 3]);
  const auto mask = static_cast<uint8_t>(0x80u >> (bit & 7));
  byte = static_cast<uint8_t>(on ? (byte | mask) : (byte & ~mask));
}

// Grows `meta` (a string, or type kNone for a missing key) with zero bytes so that bit `max_bit`
// exists, as Redis' lookupStringForBitCommand does. Returns whether that created or grew it.
bool MakeRoom(MetaValue* meta, uint64_t max_bit) {
  const uint64_t size = (max_bit >> 3) + 1;
  if (meta->type == Type::kNone) {
    meta->type = Type::kString;
    meta->expire_ms = 0;
    meta->payload.assign(size, '\0');
    return true;
  }
  if (meta->payload.size() >= size) return false;
  meta->payload.resize(size, '\0');
  return true;
}

// SETBIT key offset 0|1: replies the bit's previous value.
void SetBit(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  uint64_t offset = 0;
  if (!ParseBitOffset(ctx, ctx.argv[2], 0, &offset)) return;
  int64_t on = 0;
  if (!ParseInt64(ctx.argv[3], &on) || (on & ~int64_t{1}) != 0) {
    ctx.out.Error("ERR bit is not an integer or out of range");
    return;
  }
  MetaValue meta;
  if (!LookupString(ctx, key, &meta)) return;
  const bool existed = meta.type != Type::kNone;
  const bool grown = MakeRoom(&meta, offset);
  const bool old = GetBit(meta.payload, offset);
  if (grown || old != (on == 1)) {
    PutBit(meta.payload, offset, on == 1);
    ctx.ks.PutMeta(ctx.db, key, meta, /*created=*/!existed);
  } else {
    ctx.NoJournal();
  }
  ctx.out.Integer(old ? 1 : 0);
}

void GetBitCommand(CommandContext& ctx) {
  uint64_t offset = 0;
  if (!ParseBitOffset(ctx, ctx.argv[2], 0, &offset)) return;
  MetaValue meta;
  if (!LookupString(ctx, ctx.argv[1], &meta)) return;
  ctx.out.Integer(GetBit(meta.payload, offset) ? 1 : 0);
}

// Parses the BYTE|BIT unit word; false after replying a syntax error.
bool ParseUnit(CommandContext& ctx, std::string_view arg, bool* bits) {
  if (Is(arg, "bit")) {
    *bits = true;
  } else if (Is(arg, "byte")) {
    *bits = false;
  } else {
    ctx.SyntaxError();
    return false;
  }
  return true;
}

// Turns a start..end range (negative from the end) over `total` units into indexes clamped to
// the value; an empty range comes back with start > end.
void ClampRange(int64_t total, int64_t* start, int64_t* end) {
  if (*start < 0) *start = std::max<int64_t>(total + *start, 0);
  if (*end < 0) *end = std::max<int64_t>(total + *end, 0);
  if (*end >= total) *end = total - 1;
}

// Set bits among bits first..last (inclusive) of `s`, all inside it.
int64_t CountBits(std::string_view s, uint64_t first, uint64_t last) {
  int64_t count = 0;
  uint64_t bit = first;
  for (; bit <= last && (bit & 7) != 0; ++bit) count += GetBit(s, bit) ? 1 : 0;
  for (; bit + 7 <= last; bit += 8) count += std::popcount(static_cast<uint8_t>(s[bit >> 3]));
  for (; bit <= last; ++bit) count += GetBit(s, bit) ? 1 : 0;
  return count;
}

// BITCOUNT key [start end [BYTE|BIT]]
void BitCount(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupString(ctx, ctx.argv[1], &meta)) return;
  if (meta.type == Type::kNone) {
    ctx.out.Integer(0);
    return;
  }
  const std::string& s = meta.payload;
  const size_t argc = ctx.argv.size();
  int64_t start = 0;
  int64_t end = static_cast<int64_t>(s.size()) * 8 - 1;
  if (argc == 4 || argc == 5) {
    if (!ParseInt64(ctx.argv[2], &start) || !ParseInt64(ctx.argv[3], &end)) {
      ctx.NotInteger();
      return;
    }
    if (start < 0 && end < 0 && start > end) {
      ctx.out.Integer(0);
      return;
    }
    bool bits = false;
    if (argc == 5 && !ParseUnit(ctx, ctx.argv[4], &bits)) return;
    ClampRange(static_cast<int64_t>(s.size()) * (bits ? 8 : 1), &start, &end);
    if (!bits && start <= end) {
      start *= 8;
      end = end * 8 + 7;
    }
  } else if (argc != 2) {
    ctx.SyntaxError();
    return;
  }
  ctx.out.Integer(
      start > end ? 0 : CountBits(s, static_cast<uint64_t>(start), static_cast<uint64_t>(end)));
}

// The first bit equal to `bit` among bits first..last of `s` (all inside it), or -1.
int64_t FindBit(std::string_view s, bool bit, uint64_t first, uint64_t last) {
  const uint8_t skip = bit ? 0x00 : 0xff;
  for (uint64_t i = first; i <= last;) {
    if ((i & 7) == 0 && i + 7 <= last && static_cast<uint8_t>(s[i >> 3]) == skip) {
      i += 8;
      continue;
    }
    if (GetBit(s, i) == bit) return static_cast<int64_t>(i);
    ++i;
  }
  return -1;
}

// BITPOS key bit [start [end [BYTE|BIT]]]
void BitPos(CommandContext& ctx) {
  int64_t bit = 0;
  if (!ParseInt64(ctx.argv[2], &bit)) {
    ctx.NotInteger();
    return;
  }
  if (bit != 0 && bit != 1) {
    ctx.out.Error("ERR The bit argument must be 1 or 0.");
    return;
  }
  MetaValue meta;
  if (!LookupString(ctx, ctx.argv[1], &meta)) return;
  if (meta.type == Type::kNone) {
    // A missing key is an endless run of zeros.
    ctx.out.Integer(bit == 1 ? -1 : 0);
    return;
  }
  const std::string& s = meta.payload;
  const size_t argc = ctx.argv.size();
  const auto len = static_cast<int64_t>(s.size());
  int64_t start = 0;
  int64_t end = len - 1;
  bool bits = false;
  bool end_given = false;
  if (argc >= 4 && argc <= 6) {
    if (!ParseInt64(ctx.argv[3], &start)) {
      ctx.NotInteger();
      return;
    }
    if (argc == 6 && !ParseUnit(ctx, ctx.argv[5], &bits)) return;
    if (argc >= 5) {
      if (!ParseInt64(ctx.argv[4], &end)) {
        ctx.NotInteger();
        return;
      }
      end_given = true;
    }
    ClampRange(bits ? len * 8 : len, &start, &end);
  } else if (argc != 3) {
    ctx.SyntaxError();
    return;
  }
  if (start > end) {
    ctx.out.Integer(-1);
    return;
  }
  if (!bits) {
    start *= 8;
    end = end * 8 + 7;
  }
  int64_t pos = FindBit(s, bit == 1, static_cast<uint64_t>(start), static_cast<uint64_t>(end));
  // Looking for a clear bit without an explicit end: the string goes on with zeros.
  if (pos == -1 && bit == 0 && !end_given) pos = end + 1;
  ctx.out.Integer(pos);
}

// BITOP AND|OR|XOR|NOT destkey key [key ...]: replies the length of the result, stored at destkey
// (whatever it held, its TTL dropped), or destkey deleted when every source is empty.
void BitOp(CommandContext& ctx) {
  enum class Op { kAnd, kOr, kXor, kNot };
  const std::string_view name = ctx.argv[1];
  Op op;
  if (Is(name, "and")) {
    op = Op::kAnd;
  } else if (Is(name, "or")) {
    op = Op::kOr;
  } else if (Is(name, "xor")) {
    op = Op::kXor;
  } else if (Is(name, "not")) {
    op = Op::kNot;
  } else {
    ctx.SyntaxError();
    return;
  }
  if (op == Op::kNot && ctx.argv.size() != 4) {
    ctx.out.Error("ERR BITOP NOT must be called with a single source key.");
    return;
  }
  std::vector<MetaValue> sources(ctx.argv.size() - 3);
  size_t max_len = 0;
  for (size_t i = 0; i < sources.size(); ++i) {
    if (!LookupString(ctx, ctx.argv[i + 3], &sources[i])) return;
    max_len = std::max(max_len, sources[i].payload.size());
  }
  const std::string_view dst = ctx.argv[2];
  MetaValue dst_meta;
  if (Status s = ctx.ks.Lookup(ctx.db, dst, &dst_meta); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  const bool existed = dst_meta.type != Type::kNone;
  if (max_len == 0) {
    if (existed) {
      ctx.ks.DeleteKey(ctx.db, dst);
      ctx.JournalAs({"DEL", std::string(dst)});
    } else {
      ctx.NoJournal();
    }
    ctx.out.Integer(0);
    return;
  }
  const auto byte_at = [&](size_t src, size_t j) -> uint8_t {
    const std::string& p = sources[src].payload;
    return j < p.size() ? static_cast<uint8_t>(p[j]) : 0;
  };
  MetaValue result;
  result.type = Type::kString;
  result.payload.resize(max_len);
  for (size_t j = 0; j < max_len; ++j) {
    uint8_t out = byte_at(0, j);
    if (op == Op::kNot) out = static_cast<uint8_t>(~out);
    for (size_t i = 1; i < sources.size(); ++i) {
      const uint8_t b = byte_at(i, j);
      if (op == Op::kAnd) out &= b;
      if (op == Op::kOr) out |= b;
      if (op == Op::kXor) out ^= b;
    }
    result.payload[j] = static_cast<char>(out);
  }
  ctx.ks.PutMeta(ctx.db, dst, result, /*created=*/!existed);
  ctx.JournalAs({"SET", std::string(dst), result.payload});
  ctx.out.Integer(static_cast<int64_t>(max_len));
}

// ---- BITFIELD ----

enum class Overflow { kWrap, kSat, kFail };

struct FieldOp {
  enum class Kind { kGet, kSet, kIncrBy } kind;
  bool is_signed;
  int bits;
  uint64_t offset;
  int64_t value;  // SET's value, INCRBY's increment
  Overflow overflow;
};

// Redis' getBitfieldTypeFromArgument: i1..i64 or u1..u63 (a NUL byte ends the width).
bool ParseFieldType(CommandContext& ctx, std::string_view arg, bool* is_signed, int* bits) {
  int64_t width = 0;
  std::string_view width_text = arg.substr(std::min<size_t>(1, arg.size()));
  width_text = width_text.substr(0, width_text.find('\0'));
  const bool ok = !arg.empty() && (arg[0] == 'i' || arg[0] == 'u') &&
                  ParseInt64(width_text, &width) && width >= 1 &&
                  width <= (arg[0] == 'i' ? 64 : 63);
  if (!ok) {
    ctx.out.Error(
        "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
        "i64 is.");
    return false;
  }
  *is_signed = arg[0] == 'i';
  *bits = static_cast<int>(width);
  return true;
}

uint64_t GetField(std::string_view s, uint64_t offset, int bits) {
  uint64_t v = 0;
  for (int i = 0; i < bits; ++i) v = (v << 1) | (GetBit(s, offset + i) ? 1 : 0);
  return v;
}

void PutField(std::string& s, uint64_t offset, int bits, uint64_t v) {
  for (int i = 0; i < bits; ++i) PutBit(s, offset + i, ((v >> (bits - 1 - i)) & 1) != 0);
}

int64_t SignExtend(uint64_t v, int bits) {
  if (bits < 64 && (v & (uint64_t{1} << (bits - 1))) != 0) v |= ~uint64_t{0} << bits;
  return static_cast<int64_t>(v);
}

// `value` (signed fields: sign-extended) + `incr` in a field of `bits`: false (no overflow) with
// *result the sum, or true with *result what the overflow mode makes of it (unused under FAIL).
bool AddInField(bool is_signed, int bits, uint64_t value, int64_t incr, Overflow mode,
                uint64_t* result) {
  __int128 max;
  __int128 min;
  __int128 v;
  if (is_signed) {
    max = (static_cast<__int128>(1) << (bits - 1)) - 1;
    min = -max - 1;
    v = static_cast<int64_t>(value);
  } else {
    max = (static_cast<__int128>(1) << bits) - 1;
    min = 0;
    v = value;
  }
  const __int128 sum = v + incr;
  const bool up = v > max || sum > max;
  const bool down = !up && (v < min || sum < min);
  if (!up && !down) {
    *result = static_cast<uint64_t>(static_cast<int64_t>(sum));
    return false;
  }
  if (mode == Overflow::kSat) {
    *result = static_cast<uint64_t>(static_cast<int64_t>(up ? max : min));
  } else {
    const uint64_t wrapped = value + static_cast<uint64_t>(incr);
    *result = is_signed ? static_cast<uint64_t>(SignExtend(wrapped, bits))
                        : wrapped & ~(~uint64_t{0} << bits);
  }
  return true;
}

// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment]
// [OVERFLOW WRAP|SAT|FAIL]...; BITFIELD_RO only takes GET.
void BitFieldGeneric(CommandContext& ctx, bool read_only_command) {
  using Kind = FieldOp::Kind;
  const auto& argv = ctx.argv;
  std::vector<FieldOp> ops;
  Overflow overflow = Overflow::kWrap;
  bool writes = false;
  uint64_t highest_bit = 0;
  for (size_t j = 2; j < argv.size(); ++j) {
    const size_t left = argv.size() - j - 1;
    Kind kind;
    if (Is(argv[j], "get") && left >= 2) {
      kind = Kind::kGet;
    } else if (Is(argv[j], "set") && left >= 3) {
      kind = Kind::kSet;
    } else if (Is(argv[j], "incrby") && left >= 3) {
      kind = Kind::kIncrBy;
    } else if (Is(argv[j], "overflow") && left >= 1) {
      const std::string_view mode = argv[++j];
      if (Is(mode, "wrap")) {
        overflow = Overflow::kWrap;
      } else if (Is(mode, "sat")) {
        overflow = Overflow::kSat;
      } else if (Is(mode, "fail")) {
        overflow = Overflow::kFail;
      } else {
        ctx.out.Error("ERR Invalid OVERFLOW type specified");
        return;
      }
      continue;
    } else {
      ctx.SyntaxError();
      return;
    }
    FieldOp op{kind, false, 0, 0, 0, overflow};
    if (!ParseFieldType(ctx, argv[j + 1], &op.is_signed, &op.bits) ||
        !ParseBitOffset(ctx, argv[j + 2], op.bits, &op.offset)) {
      return;
    }
    if (kind != Kind::kGet) {
      writes = true;
      highest_bit = std::max(highest_bit, op.offset + static_cast<uint64_t>(op.bits) - 1);
      if (!ParseInt64(argv[j + 3], &op.value)) {
        ctx.NotInteger();
        return;
      }
    }
    ops.push_back(op);
    j += kind == Kind::kGet ? 2 : 3;
  }

  const std::string_view key = argv[1];
  MetaValue meta;
  if (writes && read_only_command) {
    ctx.out.Error("ERR BITFIELD_RO only supports the GET subcommand");
    return;
  }
  if (!LookupString(ctx, key, &meta)) return;
  const bool existed = meta.type != Type::kNone;
  const bool grown = writes && MakeRoom(&meta, highest_bit);
  std::string& s = meta.payload;
  int changes = 0;
  ctx.out.ArrayHeader(ops.size());
  for (const FieldOp& op : ops) {
    const uint64_t old = GetField(s, op.offset, op.bits);
    const auto reply = [&](uint64_t v) {
      ctx.out.Integer(op.is_signed ? SignExtend(v, op.bits) : static_cast<int64_t>(v));
    };
    if (op.kind == Kind::kGet) {
      reply(old);
      continue;
    }
    uint64_t updated = 0;
    bool overflowed;
    if (op.kind == Kind::kIncrBy) {
      const uint64_t current = op.is_signed ? static_cast<uint64_t>(SignExtend(old, op.bits)) : old;
      overflowed = AddInField(op.is_signed, op.bits, current, op.value, op.overflow, &updated);
    } else {
      // SET: the value itself must fit the field (checked as value + 0).
      overflowed = AddInField(op.is_signed, op.bits, static_cast<uint64_t>(op.value), 0,
                              op.overflow, &updated);
    }
    if (overflowed && op.overflow == Overflow::kFail) {
      ctx.out.Null();
      continue;
    }
    const uint64_t mask = op.bits == 64 ? ~uint64_t{0} : ~(~uint64_t{0} << op.bits);
    updated &= mask;
    reply(op.kind == Kind::kIncrBy ? updated : old);
    PutField(s, op.offset, op.bits, updated);
    if (grown || old != updated) ++changes;
  }
  if (changes > 0 || grown) {
    ctx.ks.PutMeta(ctx.db, key, meta, /*created=*/!existed);
  }
  // Redis counts (and propagates, and notifies) only the writes that changed something; a key
  // it created or grown for writes that all failed stays as it is, unannounced but "new".
  if (changes == 0) ctx.NoJournal();
}

void BitField(CommandContext& ctx) { BitFieldGeneric(ctx, /*read_only_command=*/false); }
void BitFieldRo(CommandContext& ctx) { BitFieldGeneric(ctx, /*read_only_command=*/true); }

}  // namespace

std::span<const LocalCommandDef> BitmapCommands() {
  static const LocalCommandDef kRows[] = {
      {"bitcount", &BitCount}, {"bitfield", &BitField}, {"bitfield_ro", &BitFieldRo},
      {"bitop", &BitOp},       {"bitpos", &BitPos},     {"getbit", &GetBitCommand},
      {"setbit", &SetBit},
  };
  return kRows;
}

}  // namespace respite::storage
