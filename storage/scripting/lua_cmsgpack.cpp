// The cmsgpack library scripts get in Redis 7.0 (lua-cmsgpack 0.4.0 there), written for respite:
// the same encodings (smallest integer type, float32 when exact, arrays only for 1..n keys),
// the same nesting cut-off, the same stack use (so "stack overflow" hits at the same depth) and
// the same error texts, quirks included. Only Redis' 'cmsgpack_safe' variant is left out (Redis
// never loads it).
//
// Lua errors longjmp (or throw, with the C++ build of Lua): no frame here owns an object with a
// destructor, and the encoder's growing output lives in Lua userdata the collector reclaims.

#include <cfloat>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

extern "C" {
#include <lua5.1/lauxlib.h>
#include <lua5.1/lua.h>
}

#include "storage/scripting/lua_libs.h"

namespace respite::storage::scripting {
namespace {

// Tables nested deeper than this encode as nil, so self-referencing tables still encode.
constexpr int kMaxNesting = 16;

// Stack-check texts name the functions of Redis' C implementation; kept so errors read the same.
constexpr const char kCheckPackArg[] = "in function mp_check";
constexpr const char kCheckIsArray[] = "in function table_is_an_array";
constexpr const char kCheckArray[] = "in function mp_encode_lua_table_as_array";
constexpr const char kCheckMap[] = "in function mp_encode_lua_table_as_map";
constexpr const char kCheckDecodeArray[] = "in function mp_decode_to_lua_array";
constexpr const char kCheckUnpack[] = "in function mp_unpack_full";
constexpr const char kCheckDecode[] =
    "too many return values at once; use unpack_one or unpack_limit instead.";

// MessagePack type bytes used here.
constexpr unsigned char kNil = 0xc0;
constexpr unsigned char kFalse = 0xc2;
constexpr unsigned char kTrue = 0xc3;
constexpr unsigned char kFloat32 = 0xca;
constexpr unsigned char kFloat64 = 0xcb;
constexpr unsigned char kUint8 = 0xcc;    // 0xcc..0xcf: uint 8/16/32/64
constexpr unsigned char kInt8 = 0xd0;     // 0xd0..0xd3: int 8/16/32/64
constexpr unsigned char kStr8 = 0xd9;     // 0xd9..0xdb: str 8/16/32
constexpr unsigned char kArray16 = 0xdc;  // then array 32
constexpr unsigned char kMap16 = 0xde;    // then map 32
constexpr unsigned char kFixArray = 0x90;
constexpr unsigned char kFixMap = 0x80;
constexpr unsigned char kFixStr = 0xa0;

// ---------------------------------------------------------------------------------------------
// Encoding

// The packed bytes of one pack() argument. Small outputs stay in the inline array; larger ones
// move to a userdata kept in pack's upvalue 1, which holds no stack slot (Redis' stack use is
// kept) and is reset to nil when pack returns. Growing needs one free slot for a moment: only at
// Lua's 8000-slot limit (pack called with thousands of arguments) can that fail, with an error
// where Redis would go on. Trivially destructible on purpose.
class Output {
 public:
  explicit Output(lua_State* lua) : lua_(lua), data_(inline_) {}
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  const char* data() const { return reinterpret_cast<const char*>(data_); }
  size_t size() const { return size_; }
  void Clear() { size_ = 0; }

  void Add(const void* bytes, size_t n) {
    if (n > capacity_ - size_) Grow(n);
    if (n > 0) std::memcpy(data_ + size_, bytes, n);
    size_ += n;
  }
  void AddByte(unsigned char b) { Add(&b, 1); }
  // A type byte, then the low `width` bytes of `value`, most significant first.
  void AddTyped(unsigned char type, uint64_t value, int width) {
    unsigned char bytes[9];
    bytes[0] = type;
    for (int i = 0; i < width; ++i) bytes[width - i] = static_cast<unsigned char>(value >> (8 * i));
    Add(bytes, static_cast<size_t>(width) + 1);
  }

 private:
  void Grow(size_t n) {
    size_t capacity = capacity_ * 2;
    if (capacity - size_ < n) capacity = size_ + n;
    if (capacity < size_ || capacity >= SIZE_MAX / 2) {
      luaL_error(lua_, "MessagePack output too large");
    }
    if (!lua_checkstack(lua_, 1)) luaL_error(lua_, "stack overflow (%s)", kCheckPackArg);
    // Whatever a script may have put in the upvalue (debug.setupvalue) is never written to.
    auto* bigger = static_cast<unsigned char*>(lua_newuserdata(lua_, capacity));
    std::memcpy(bigger, data_, size_);
    lua_replace(lua_, lua_upvalueindex(1));  // keeps it alive; the old one becomes garbage
    data_ = bigger;
    capacity_ = capacity;
  }

  lua_State* lua_;
  unsigned char* data_;
  size_t size_ = 0;
  size_t capacity_ = sizeof(inline_);
  unsigned char inline_[512];
};

void EncodeInteger(Output& out, int64_t n) {
  if (n >= 0) {
    if (n <= 0x7f) {
      out.AddByte(static_cast<unsigned char>(n));  // positive fixint
    } else if (n <= 0xff) {
      out.AddTyped(kUint8, n, 1);
    } else if (n <= 0xffff) {
      out.AddTyped(kUint8 + 1, n, 2);
    } else if (n <= 0xffffffffLL) {
      out.AddTyped(kUint8 + 2, n, 4);
    } else {
      out.AddTyped(kUint8 + 3, n, 8);
    }
    return;
  }
  const auto bits = static_cast<uint64_t>(n);
  if (n >= -32) {
    out.AddByte(static_cast<unsigned char>(bits));  // negative fixint
  } else if (n >= INT8_MIN) {
    out.AddTyped(kInt8, bits, 1);
  } else if (n >= INT16_MIN) {
    out.AddTyped(kInt8 + 1, bits, 2);
  } else if (n >= INT32_MIN) {
    out.AddTyped(kInt8 + 2, bits, 4);
  } else {
    out.AddTyped(kInt8 + 3, bits, 8);
  }
}

// Lua 5.1 numbers are doubles: integral values inside int64 go out as integers; the rest as
// float32 when that is exact (infinities too), else float64 (NaN always).
void EncodeNumber(Output& out, double d) {
  if (d >= -0x1p63 && d < 0x1p63 && std::trunc(d) == d) {
    EncodeInteger(out, static_cast<int64_t>(d));
    return;
  }
  const bool fits_float = !std::isnan(d) && (std::isinf(d) || std::fabs(d) <= FLT_MAX);
  if (fits_float && static_cast<double>(static_cast<float>(d)) == d) {
    uint32_t bits;
    const float f = static_cast<float>(d);
    std::memcpy(&bits, &f, sizeof(bits));
    out.AddTyped(kFloat32, bits, 4);
  } else {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof(bits));
    out.AddTyped(kFloat64, bits, 8);
  }
}

void EncodeString(Output& out, const char* s, size_t len) {
  if (len < 32) {
    out.AddByte(static_cast<unsigned char>(kFixStr | len));
  } else if (len <= 0xff) {
    out.AddTyped(kStr8, len, 1);
  } else if (len <= 0xffff) {
    out.AddTyped(kStr8 + 1, len, 2);
  } else {
    out.AddTyped(kStr8 + 2, len, 4);
  }
  out.Add(s, len);
}

// Header of an array or map of `n` entries: fix form up to 15, then the 16 and 32 bit forms.
void EncodeContainer(Output& out, unsigned char fix, unsigned char type16, uint64_t n) {
  if (n <= 15) {
    out.AddByte(static_cast<unsigned char>(fix | n));
  } else if (n <= 0xffff) {
    out.AddTyped(type16, n, 2);
  } else {
    out.AddTyped(type16 + 1, n, 4);
  }
}

// Number of entries when the table on top has exactly the keys 1..n (n >= 0), else -1. A key
// counts as an index only when it is an integral number in 1..INT_MAX.
int SequenceLength(lua_State* lua) {
  const int top = lua_gettop(lua);
  luaL_checkstack(lua, 2, kCheckIsArray);
  int count = 0;
  int highest = 0;
  lua_pushnil(lua);
  while (lua_next(lua, -2) != 0) {
    lua_pop(lua, 1);
    const double key = lua_type(lua, -1) == LUA_TNUMBER ? lua_tonumber(lua, -1) : 0;
    if (!(key > 0 && key <= INT_MAX && std::trunc(key) == key)) {
      lua_settop(lua, top);
      return -1;
    }
    if (key > highest) highest = static_cast<int>(key);
    ++count;
  }
  // Keys are distinct and none exceeds `count`, so they are exactly 1..count.
  return highest == count ? count : -1;
}

void EncodeTop(lua_State* lua, Output& out, int level);

void EncodeTable(lua_State* lua, Output& out, int level) {
  const int length = SequenceLength(lua);
  if (length >= 0) {
    EncodeContainer(out, kFixArray, kArray16, static_cast<uint64_t>(length));
    luaL_checkstack(lua, 1, kCheckArray);
    for (int i = 1; i <= length; ++i) {
      lua_rawgeti(lua, -1, i);
      EncodeTop(lua, out, level + 1);
    }
    return;
  }
  luaL_checkstack(lua, 3, kCheckMap);
  uint64_t pairs = 0;
  lua_pushnil(lua);
  while (lua_next(lua, -2) != 0) {
    lua_pop(lua, 1);
    ++pairs;
  }
  EncodeContainer(out, kFixMap, kMap16, pairs);
  lua_pushnil(lua);
  while (lua_next(lua, -2) != 0) {
    lua_pushvalue(lua, -2);
    EncodeTop(lua, out, level + 1);  // the key copy
    EncodeTop(lua, out, level + 1);  // the value; the key stays for lua_next
  }
}

// Appends the value on top of the stack and pops it. Functions, userdata, threads and nil all
// become nil.
void EncodeTop(lua_State* lua, Output& out, int level) {
  switch (lua_type(lua, -1)) {
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(lua, -1, &len);
      EncodeString(out, s, len);
      break;
    }
    case LUA_TBOOLEAN:
      out.AddByte(lua_toboolean(lua, -1) ? kTrue : kFalse);
      break;
    case LUA_TNUMBER:
      EncodeNumber(out, lua_tonumber(lua, -1));
      break;
    case LUA_TTABLE:
      if (level < kMaxNesting) {
        EncodeTable(lua, out, level);
        break;
      }
      out.AddByte(kNil);
      break;
    default:
      out.AddByte(kNil);
      break;
  }
  lua_pop(lua, 1);
}

// cmsgpack.pack(v1, ...): the encodings of all arguments, concatenated.
int Pack(lua_State* lua) {
  const int nargs = lua_gettop(lua);
  if (nargs == 0) return luaL_argerror(lua, 0, "MessagePack pack needs input.");
  if (!lua_checkstack(lua, nargs)) {
    return luaL_argerror(lua, 0, "Too many arguments for MessagePack pack.");
  }
  Output out(lua);
  // One string per argument, joined at the end: the stack grows as Redis' does.
  for (int i = 1; i <= nargs; ++i) {
    luaL_checkstack(lua, 1, kCheckPackArg);
    lua_pushvalue(lua, i);
    out.Clear();
    EncodeTop(lua, out, 0);
    lua_pushlstring(lua, out.data(), out.size());
  }
  lua_concat(lua, nargs);
  lua_pushnil(lua);
  lua_replace(lua, lua_upvalueindex(1));  // drop a large output buffer, if any
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Decoding

enum class DecodeError { kNone, kTruncated, kBadFormat };

struct Input {
  const unsigned char* p;
  size_t left;
  DecodeError error;

  bool Need(size_t n) {
    if (left >= n) return true;
    error = DecodeError::kTruncated;
    return false;
  }
  void Skip(size_t n) {
    p += n;
    left -= n;
  }
  // The `width` bytes after the type byte, most significant first.
  uint64_t Field(int width) const {
    uint64_t v = 0;
    for (int i = 1; i <= width; ++i) v = (v << 8) | p[i];
    return v;
  }
};

void DecodeOne(lua_State* lua, Input& in);

void DecodeArray(lua_State* lua, Input& in, uint64_t n) {
  lua_newtable(lua);
  luaL_checkstack(lua, 1, kCheckDecodeArray);
  for (uint64_t i = 1; i <= n; ++i) {
    lua_pushnumber(lua, static_cast<lua_Number>(i));
    DecodeOne(lua, in);
    if (in.error != DecodeError::kNone) return;
    lua_settable(lua, -3);
  }
}

// A nil or NaN key raises Lua's own "table index is nil/NaN", as in Redis.
void DecodeMap(lua_State* lua, Input& in, uint64_t n) {
  lua_newtable(lua);
  for (uint64_t i = 0; i < n; ++i) {
    DecodeOne(lua, in);
    if (in.error != DecodeError::kNone) return;
    DecodeOne(lua, in);
    if (in.error != DecodeError::kNone) return;
    lua_settable(lua, -3);
  }
}

// A string whose length takes `width` bytes after the type byte (0: length in the type byte).
void DecodeString(lua_State* lua, Input& in, int width, size_t len) {
  if (width > 0) {
    if (!in.Need(1 + static_cast<size_t>(width))) return;
    len = in.Field(width);
  }
  const size_t header = 1 + static_cast<size_t>(width);
  if (!in.Need(header + len)) return;
  lua_pushlstring(lua, reinterpret_cast<const char*>(in.p + header), len);
  in.Skip(header + len);
}

// Pushes the next value (on success).
void DecodeOne(lua_State* lua, Input& in) {
  if (!in.Need(1)) return;
  // Each value may add a result: ask for the slot so a long stream fails cleanly.
  luaL_checkstack(lua, 1, kCheckDecode);
  const unsigned char tag = in.p[0];
  if (tag < 0x80) {  // positive fixint
    lua_pushnumber(lua, tag);
    in.Skip(1);
  } else if (tag >= 0xe0) {  // negative fixint
    lua_pushnumber(lua, static_cast<signed char>(tag));
    in.Skip(1);
  } else if ((tag & 0xe0) == kFixStr) {
    DecodeString(lua, in, 0, tag & 0x1f);
  } else if ((tag & 0xf0) == kFixArray) {
    in.Skip(1);
    DecodeArray(lua, in, tag & 0x0f);
  } else if ((tag & 0xf0) == kFixMap) {
    in.Skip(1);
    DecodeMap(lua, in, tag & 0x0f);
  } else if (tag >= kUint8 && tag <= kInt8 + 3) {
    const bool is_signed = tag >= kInt8;
    const int width = 1 << (tag - (is_signed ? kInt8 : kUint8));
    if (!in.Need(1 + static_cast<size_t>(width))) return;
    const uint64_t raw = in.Field(width);
    int64_t value = static_cast<int64_t>(raw);  // uint 64 above INT64_MAX wraps, as in Redis
    if (is_signed && width < 8) {
      const int shift = 64 - 8 * width;
      value = static_cast<int64_t>(raw << shift) >> shift;
    }
    lua_pushnumber(lua, static_cast<lua_Number>(value));
    in.Skip(1 + static_cast<size_t>(width));
  } else if (tag >= kStr8 && tag <= kStr8 + 2) {
    DecodeString(lua, in, 1 << (tag - kStr8), 0);
  } else if (tag == kArray16 || tag == kArray16 + 1 || tag == kMap16 || tag == kMap16 + 1) {
    const int width = (tag == kArray16 || tag == kMap16) ? 2 : 4;
    if (!in.Need(1 + static_cast<size_t>(width))) return;
    const uint64_t n = in.Field(width);
    in.Skip(1 + static_cast<size_t>(width));
    if (tag < kMap16) {
      DecodeArray(lua, in, n);
    } else {
      DecodeMap(lua, in, n);
    }
  } else if (tag == kFloat32) {
    if (!in.Need(5)) return;
    const auto bits = static_cast<uint32_t>(in.Field(4));
    float f;
    std::memcpy(&f, &bits, sizeof(f));
    lua_pushnumber(lua, f);
    in.Skip(5);
  } else if (tag == kFloat64) {
    if (!in.Need(9)) return;
    const uint64_t bits = in.Field(8);
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    lua_pushnumber(lua, d);
    in.Skip(9);
  } else if (tag == kNil || tag == kTrue || tag == kFalse) {
    if (tag == kNil) {
      lua_pushnil(lua);
    } else {
      lua_pushboolean(lua, tag == kTrue);
    }
    in.Skip(1);
  } else {  // bin, ext, fixext and the never-used 0xc1
    in.error = DecodeError::kBadFormat;
  }
}

// Decodes up to `limit` values from byte `offset` of argument 1. limit == offset == 0 means all
// values and no offset result (so unpack_limit(s, 0) behaves as unpack(s), as in Redis).
// Otherwise the next offset (-1 at the end) comes first, then the values.
int UnpackFrom(lua_State* lua, lua_Integer limit, lua_Integer offset) {
  size_t len = 0;
  const char* s = luaL_checklstring(lua, 1, &len);
  const bool everything = limit == 0 && offset == 0;
  if (offset < 0 || limit < 0) {
    // Redis prints the input length where it means the limit.
    return luaL_error(lua, "Invalid request to unpack with offset of %d and limit of %d.",
                      static_cast<int>(offset), static_cast<int>(len));
  }
  if (static_cast<size_t>(offset) > len) {
    return luaL_error(lua, "Start offset %d greater than input length %d.",
                      static_cast<int>(offset), static_cast<int>(len));
  }
  if (everything) limit = INT_MAX;
  Input in{reinterpret_cast<const unsigned char*>(s) + offset, len - static_cast<size_t>(offset),
           DecodeError::kNone};
  int count = 0;
  for (; in.left > 0 && count < limit; ++count) {
    DecodeOne(lua, in);
    if (in.error == DecodeError::kTruncated) return luaL_error(lua, "Missing bytes in input.");
    if (in.error == DecodeError::kBadFormat) return luaL_error(lua, "Bad data format in input.");
  }
  if (everything) return count;
  luaL_checkstack(lua, 1, kCheckUnpack);
  lua_pushinteger(lua, in.left == 0 ? -1 : static_cast<lua_Integer>(len - in.left));
  lua_insert(lua, 2);  // right after the input string: the first result
  return count + 1;
}

// Keeps only argument 1 (when there is one), so results start at index 2.
void KeepFirstArgument(lua_State* lua) {
  if (lua_gettop(lua) > 1) lua_settop(lua, 1);
}

int Unpack(lua_State* lua) { return UnpackFrom(lua, 0, 0); }

int UnpackOne(lua_State* lua) {
  const lua_Integer offset = luaL_optinteger(lua, 2, 0);
  KeepFirstArgument(lua);
  return UnpackFrom(lua, 1, offset);
}

int UnpackLimit(lua_State* lua) {
  const lua_Integer limit = luaL_checkinteger(lua, 2);
  const lua_Integer offset = luaL_optinteger(lua, 3, 0);
  KeepFirstArgument(lua);
  return UnpackFrom(lua, limit, offset);
}

void SetStringField(lua_State* lua, const char* name, const char* value) {
  lua_pushstring(lua, value);
  lua_setfield(lua, -2, name);
}

}  // namespace

int OpenCmsgpack(lua_State* lua) {
  lua_newtable(lua);
  lua_pushnil(lua);  // pack's output buffer, set only while a large pack runs
  lua_pushcclosure(lua, Pack, 1);
  lua_setfield(lua, -2, "pack");
  lua_pushcfunction(lua, Unpack);
  lua_setfield(lua, -2, "unpack");
  lua_pushcfunction(lua, UnpackOne);
  lua_setfield(lua, -2, "unpack_one");
  lua_pushcfunction(lua, UnpackLimit);
  lua_setfield(lua, -2, "unpack_limit");
  SetStringField(lua, "_NAME", "cmsgpack");
  SetStringField(lua, "_VERSION", "lua-cmsgpack 0.4.0");
  SetStringField(lua, "_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo");
  SetStringField(lua, "_DESCRIPTION", "MessagePack C implementation for Lua");
  return 1;
}

}  // namespace respite::storage::scripting
