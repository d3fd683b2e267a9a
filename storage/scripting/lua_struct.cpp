// The struct library scripts get in Redis 7.0 (Roberto Ierusalimschy's struct.c 1.7 there),
// written for respite. Format options:
//   '>' big endian, '<' little endian (default: the machine's), ' ' ignored
//   '!n' align items to at most n bytes ('!' alone: the platform's maximum; default: packed)
//   b/B char, h/H short, l/L long, T size_t, i/In int of n bytes (at most 32): lower case signed
//   f float, d double, x one zero byte, s zero-terminated string
//   cn n raw bytes; c0 takes the whole string when packing, and the previous number read as the
//      length when unpacking
// '=' is not an option (Redis' copy rejects it). Results, error texts and the conversions of
// out-of-range numbers are those of Redis' x86-64 build, quirks included.
//
// Lua errors longjmp (or throw, with the C++ build of Lua): no frame here owns an object with a
// destructor; packing writes into a luaL_Buffer.

#include <algorithm>
#include <bit>
#include <climits>
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

constexpr int kMaxIntSize = 32;  // bytes, for i/I
constexpr int kMaxAlign = static_cast<int>(std::max(alignof(double), sizeof(int)));
constexpr bool kNativeLittle = std::endian::native == std::endian::little;

// Where a format is and the options in force there.
struct Format {
  const char* next;  // rest of the format; stops at the first NUL, as in Redis
  bool little = kNativeLittle;
  size_t align = 1;  // packed until '!' says otherwise
};

bool IsDigit(int c) { return c >= '0' && c <= '9'; }
bool IsLower(int c) { return c >= 'a' && c <= 'z'; }
bool IsAlnum(int c) { return IsDigit(c) || IsLower(c) || (c >= 'A' && c <= 'Z'); }

// The decimal count following an option, or `fallback` when there is none.
int ReadCount(lua_State* lua, Format& f, int fallback) {
  if (!IsDigit(*f.next)) return fallback;
  int count = 0;
  while (IsDigit(*f.next)) {
    const int digit = *f.next - '0';
    if (count > INT_MAX / 10 || count * 10 > INT_MAX - digit) {
      luaL_error(lua, "integral size overflow");
    }
    count = count * 10 + digit;
    ++f.next;
  }
  return count;
}

// Bytes an option occupies (0 for options that are not data or whose size varies), consuming
// its count.
size_t ItemSize(lua_State* lua, Format& f, int opt) {
  switch (opt) {
    case 'b':
    case 'B':
    case 'x':
      return 1;
    case 'h':
    case 'H':
      return sizeof(short);
    case 'l':
    case 'L':
      return sizeof(long);
    case 'T':
      return sizeof(size_t);
    case 'f':
      return sizeof(float);
    case 'd':
      return sizeof(double);
    case 'c':
      return static_cast<size_t>(ReadCount(lua, f, 1));
    case 'i':
    case 'I': {
      const int size = ReadCount(lua, f, sizeof(int));
      if (size > kMaxIntSize) {
        luaL_error(lua, "integral size %d is larger than limit of %d", size, kMaxIntSize);
      }
      return static_cast<size_t>(size);
    }
    default:
      return 0;
  }
}

// Zero bytes to insert at `pos` before an item of `size` bytes. Same arithmetic as Redis even
// for sizes that are not powers of two (i3, i12...).
size_t PaddingAt(size_t pos, const Format& f, int opt, size_t size) {
  if (size == 0 || opt == 'c') return 0;
  const size_t unit = std::min(size, f.align);
  return (unit - (pos & (unit - 1))) & (unit - 1);
}

// Byte order, alignment and spaces; anything else is an invalid option (argument 1).
void ApplyControl(lua_State* lua, Format& f, int opt) {
  switch (opt) {
    case ' ':
      return;
    case '>':
      f.little = false;
      return;
    case '<':
      f.little = true;
      return;
    case '!': {
      const int align = ReadCount(lua, f, kMaxAlign);
      if (align <= 0 || (align & (align - 1)) != 0) {
        luaL_error(lua, "alignment %d is not a power of 2", align);
      }
      f.align = static_cast<size_t>(align);
      return;
    }
    default:
      luaL_argerror(lua, 1, lua_pushfstring(lua, "invalid format option '%c'", opt));
  }
}

// Out-of-range conversions as Redis' gcc x86-64 build does them (cvttsd2si answers INT64_MIN;
// unsigned ones go through the signed instruction), reproduced without undefined behaviour.
int64_t TruncToInt64(double d) {
  if (d >= -0x1p63 && d < 0x1p63) return static_cast<int64_t>(d);
  return INT64_MIN;  // NaN too
}
uint64_t TruncToUint64(double d) {
  if (d >= 0x1p63) return static_cast<uint64_t>(TruncToInt64(d - 0x1p63)) ^ (uint64_t{1} << 63);
  return static_cast<uint64_t>(TruncToInt64(d));
}

// Copies `size` bytes to `out`, reversed when the wanted order is not the machine's.
void CopyOrdered(char* out, const void* in, size_t size, bool little) {
  std::memcpy(out, in, size);
  if (little != kNativeLittle) std::reverse(out, out + size);
}

// ---------------------------------------------------------------------------------------------

void PackInteger(lua_State* lua, luaL_Buffer* b, int arg, bool little, size_t size) {
  const double n = luaL_checknumber(lua, arg);
  uint64_t value = n < 0 ? static_cast<uint64_t>(TruncToInt64(n)) : TruncToUint64(n);
  char bytes[kMaxIntSize];
  // Beyond 8 bytes the value has run out: zeros, even for negative numbers (as in Redis).
  for (size_t i = 0; i < size; ++i) {
    bytes[little ? i : size - 1 - i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  luaL_addlstring(b, bytes, size);
}

// struct.pack(format, ...): the arguments laid out as the format says.
int Pack(lua_State* lua) {
  Format f{luaL_checkstring(lua, 1)};
  int arg = 2;
  size_t pos = 0;
  // A nil right above the arguments, as Redis has: a missing argument reads "got nil".
  lua_pushnil(lua);
  luaL_Buffer b;
  luaL_buffinit(lua, &b);
  while (*f.next != '\0') {
    const int opt = *f.next++;
    size_t size = ItemSize(lua, f, opt);
    const size_t padding = PaddingAt(pos, f, opt, size);
    for (size_t i = 0; i < padding; ++i) luaL_addchar(&b, '\0');
    pos += padding;
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        PackInteger(lua, &b, arg++, f.little, size);
        break;
      case 'x':
        luaL_addchar(&b, '\0');
        break;
      case 'f': {
        const auto value = static_cast<float>(luaL_checknumber(lua, arg++));
        char bytes[sizeof(value)];
        CopyOrdered(bytes, &value, sizeof(value), f.little);
        luaL_addlstring(&b, bytes, sizeof(bytes));
        break;
      }
      case 'd': {
        const double value = luaL_checknumber(lua, arg++);
        char bytes[sizeof(value)];
        CopyOrdered(bytes, &value, sizeof(value), f.little);
        luaL_addlstring(&b, bytes, sizeof(bytes));
        break;
      }
      case 'c':
      case 's': {
        size_t len = 0;
        const char* s = luaL_checklstring(lua, arg++, &len);
        if (size == 0) size = len;
        // Redis names the argument after the string (its index was already advanced).
        luaL_argcheck(lua, len >= size, arg, "string too short");
        luaL_addlstring(&b, s, size);
        if (opt == 's') {
          luaL_addchar(&b, '\0');
          ++size;
        }
        break;
      }
      default:
        ApplyControl(lua, f, opt);
        break;
    }
    pos += size;
  }
  luaL_pushresult(&b);
  return 1;
}

double UnpackInteger(const char* p, bool little, bool is_signed, size_t size) {
  uint64_t value = 0;  // past 8 bytes only the low 8 survive
  for (size_t i = 0; i < size; ++i) {
    value = (value << 8) | static_cast<unsigned char>(p[little ? size - 1 - i : i]);
  }
  if (!is_signed) return static_cast<double>(value);
  // Sign bit at size*8-1, modulo 64 as x86 shifts count (Redis' result for sizes over 8).
  const uint64_t sign_and_up = ~uint64_t{0} << ((size * 8 - 1) & 63);
  if (value & sign_and_up) value |= sign_and_up;
  return static_cast<double>(static_cast<int64_t>(value));
}

// struct.unpack(format, data[, init]): the values, then the position after them (1-based).
int Unpack(lua_State* lua) {
  Format f{luaL_checkstring(lua, 1)};
  size_t len = 0;
  const char* data = luaL_checklstring(lua, 2, &len);
  // Negative starts wrap to huge positions (and fail the length check), as in Redis.
  size_t pos = static_cast<size_t>(luaL_optinteger(lua, 3, 1));
  luaL_argcheck(lua, pos > 0, 3, "offset must be 1 or greater");
  --pos;
  int results = 0;
  while (*f.next != '\0') {
    const int opt = *f.next++;
    size_t size = ItemSize(lua, f, opt);
    pos += PaddingAt(pos, f, opt, size);
    luaL_argcheck(lua, size <= len && pos <= len - size, 2, "data string too short");
    luaL_checkstack(lua, 2, "too many results");  // this item and the final position
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        lua_pushnumber(lua, UnpackInteger(data + pos, f.little, IsLower(opt), size));
        ++results;
        break;
      case 'x':
        break;
      case 'f': {
        float value;
        char bytes[sizeof(value)];
        CopyOrdered(bytes, data + pos, sizeof(value), f.little);
        std::memcpy(&value, bytes, sizeof(value));
        lua_pushnumber(lua, value);
        ++results;
        break;
      }
      case 'd': {
        double value;
        char bytes[sizeof(value)];
        CopyOrdered(bytes, data + pos, sizeof(value), f.little);
        std::memcpy(&value, bytes, sizeof(value));
        lua_pushnumber(lua, value);
        ++results;
        break;
      }
      case 'c':
        if (size == 0) {
          // The length is the previous result (a number, or a string that reads as one).
          if (results == 0 || !lua_isnumber(lua, -1)) {
            luaL_error(lua, "format 'c0' needs a previous size");
          }
          size = static_cast<size_t>(TruncToUint64(lua_tonumber(lua, -1)));
          lua_pop(lua, 1);
          --results;
          luaL_argcheck(lua, size <= len && pos <= len - size, 2, "data string too short");
        }
        lua_pushlstring(lua, data + pos, size);
        ++results;
        break;
      case 's': {
        const void* end = std::memchr(data + pos, '\0', len - pos);
        if (end == nullptr) luaL_error(lua, "unfinished string in data");
        size = static_cast<size_t>(static_cast<const char*>(end) - (data + pos));
        lua_pushlstring(lua, data + pos, size);
        ++results;
        ++size;  // the terminator
        break;
      }
      default:
        ApplyControl(lua, f, opt);
        break;
    }
    pos += size;
  }
  lua_pushinteger(lua, static_cast<lua_Integer>(pos + 1));
  return results + 1;
}

// struct.size(format): bytes struct.pack would produce. Unknown letters and digits count as
// size 0 here (Redis only validates the other characters).
int Size(lua_State* lua) {
  Format f{luaL_checkstring(lua, 1)};
  size_t pos = 0;
  while (*f.next != '\0') {
    const int opt = *f.next++;
    const size_t size = ItemSize(lua, f, opt);
    pos += PaddingAt(pos, f, opt, size);
    if (opt == 's') {
      luaL_argerror(lua, 1, "option 's' has no fixed size");
    } else if (opt == 'c' && size == 0) {
      luaL_argerror(lua, 1, "option 'c0' has no fixed size");
    }
    if (!IsAlnum(opt)) ApplyControl(lua, f, opt);
    pos += size;
  }
  lua_pushinteger(lua, static_cast<lua_Integer>(pos));
  return 1;
}

}  // namespace

int OpenStruct(lua_State* lua) {
  lua_newtable(lua);
  lua_pushcfunction(lua, Pack);
  lua_setfield(lua, -2, "pack");
  lua_pushcfunction(lua, Unpack);
  lua_setfield(lua, -2, "unpack");
  lua_pushcfunction(lua, Size);
  lua_setfield(lua, -2, "size");
  return 1;
}

}  // namespace respite::storage::scripting
