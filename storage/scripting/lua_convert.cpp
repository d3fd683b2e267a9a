// RESP <-> Lua conversion, by Redis 7.0's rules ("Conversion between Lua and Redis data types"):
// replies of redis.call become Lua values, and a script's return value becomes the reply.

#include <charconv>
#include <cmath>
#include <cstring>

#include "storage/scripting/lua_internal.h"

namespace respite::storage::scripting {

namespace {

std::string_view TrimCrLf(std::string_view s) {
  while (!s.empty() && (s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// The line after a type byte at `pos` (without CRLF); *next is where the following element starts.
std::string_view Line(std::string_view reply, size_t pos, size_t* next) {
  const size_t end = reply.find("\r\n", pos);
  if (end == std::string_view::npos) {
    *next = reply.size();
    return reply.substr(pos);
  }
  *next = end + 2;
  return reply.substr(pos, end - pos);
}

int64_t ToInt(std::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

size_t PushAt(lua_State* lua, std::string_view reply, size_t pos);

// Pushes {name = {}} and leaves the inner table on top (the outer one below it).
void PushWrapped(lua_State* lua, const char* name) {
  lua_newtable(lua);
  lua_pushstring(lua, name);
  lua_newtable(lua);
}

size_t PushAggregate(lua_State* lua, std::string_view reply, size_t pos, char type, int64_t n) {
  if (type == '*' || type == '>') {
    lua_newtable(lua);
    for (int64_t i = 1; i <= n; ++i) {
      lua_checkstack(lua, 3);
      lua_pushnumber(lua, static_cast<lua_Number>(i));
      pos = PushAt(lua, reply, pos);
      lua_settable(lua, -3);
    }
    return pos;
  }
  if (type == '%') {
    PushWrapped(lua, "map");
    for (int64_t i = 0; i < n; ++i) {
      lua_checkstack(lua, 3);
      pos = PushAt(lua, reply, pos);
      pos = PushAt(lua, reply, pos);
      if (lua_isnil(lua, -2)) {
        lua_pop(lua, 2);  // a nil key cannot be stored
      } else {
        lua_settable(lua, -3);
      }
    }
  } else {  // '~'
    PushWrapped(lua, "set");
    for (int64_t i = 0; i < n; ++i) {
      lua_checkstack(lua, 3);
      pos = PushAt(lua, reply, pos);
      if (lua_isnil(lua, -1)) {
        lua_pop(lua, 1);
        continue;
      }
      lua_pushboolean(lua, 1);
      lua_settable(lua, -3);
    }
  }
  lua_settable(lua, -3);
  return pos;
}

size_t PushAt(lua_State* lua, std::string_view reply, size_t pos) {
  lua_checkstack(lua, 4);
  if (pos >= reply.size()) {
    lua_pushnil(lua);
    return pos;
  }
  const char type = reply[pos];
  size_t next = 0;
  const std::string_view line = Line(reply, pos + 1, &next);
  switch (type) {
    case '+':
      lua_newtable(lua);
      lua_pushstring(lua, "ok");
      lua_pushlstring(lua, line.data(), line.size());
      lua_settable(lua, -3);
      return next;
    case '-':
      PushErrorTable(lua, reply.substr(pos, next - 2 - pos));
      return next;
    case ':':
      lua_pushnumber(lua, static_cast<lua_Number>(ToInt(line)));
      return next;
    case '$':
    case '=': {
      const int64_t len = ToInt(line);
      if (len < 0) {
        lua_pushboolean(lua, 0);
        return next;
      }
      const std::string_view body = reply.substr(next, static_cast<size_t>(len));
      if (type == '$') {
        lua_pushlstring(lua, body.data(), body.size());
      } else {
        PushWrapped(lua, "verbatim_string");
        const std::string_view text = body.size() >= 4 ? body.substr(4) : std::string_view();
        lua_pushstring(lua, "string");
        lua_pushlstring(lua, text.data(), text.size());
        lua_settable(lua, -3);
        lua_pushstring(lua, "format");
        lua_pushlstring(lua, body.data(), std::min<size_t>(3, body.size()));
        lua_settable(lua, -3);
        lua_settable(lua, -3);
      }
      return next + static_cast<size_t>(len) + 2;
    }
    case '*':
    case '%':
    case '~':
    case '>': {
      const int64_t n = ToInt(line);
      if (n < 0) {
        lua_pushboolean(lua, 0);
        return next;
      }
      return PushAggregate(lua, reply, next, type, n);
    }
    case '|': {
      // Attributes are not shown to scripts: skip them, then convert the reply they annotate.
      const int64_t n = ToInt(line);
      for (int64_t i = 0; i < 2 * n; ++i) {
        next = PushAt(lua, reply, next);
        lua_pop(lua, 1);
      }
      return PushAt(lua, reply, next);
    }
    case '_':
      lua_pushnil(lua);
      return next;
    case '#':
      lua_pushboolean(lua, line == "t");
      return next;
    case ',': {
      lua_newtable(lua);
      lua_pushstring(lua, "double");
      lua_pushnumber(lua, std::strtod(std::string(line).c_str(), nullptr));
      lua_settable(lua, -3);
      return next;
    }
    case '(':
      lua_newtable(lua);
      lua_pushstring(lua, "big_number");
      lua_pushlstring(lua, line.data(), line.size());
      lua_settable(lua, -3);
      return next;
    default:
      lua_pushnil(lua);
      return reply.size();
  }
}

// (long long)d as x86 computes it: out of range and NaN give LLONG_MIN.
int64_t LuaNumberToInt(lua_Number d) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return INT64_MIN;
  return static_cast<int64_t>(d);
}

// Reads t[name] (raw) onto the stack and returns its type.
int RawField(lua_State* lua, int table, const char* name) {
  lua_pushstring(lua, name);
  lua_rawget(lua, table < 0 ? table - 1 : table);
  return lua_type(lua, -1);
}

std::string MapCrLf(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

}  // namespace

void PushErrorTable(lua_State* lua, std::string_view error) {
  std::string code = "ERR";
  std::string_view message = error;
  if (!error.empty() && error[0] == '-') {
    const size_t space = error.find(' ');
    if (space == std::string_view::npos) {
      message = error.substr(1);
    } else {
      code = std::string(error.substr(1, space - 1));
      message = error.substr(space + 1);
    }
  }
  const std::string text = code + " " + std::string(TrimCrLf(message));
  lua_newtable(lua);
  lua_pushstring(lua, "err");
  lua_pushlstring(lua, text.data(), text.size());
  lua_settable(lua, -3);
}

size_t PushReply(lua_State* lua, std::string_view reply) { return PushAt(lua, reply, 0); }

void WriteLuaValue(lua_State* lua, int script_protocol, resp::ReplyWriter& out) {
  if (!lua_checkstack(lua, 4)) {
    out.Error("ERR reached lua stack limit");
    lua_pop(lua, 1);
    return;
  }
  switch (lua_type(lua, -1)) {
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(lua, -1, &len);
      out.Bulk(std::string_view(s, len));
      break;
    }
    case LUA_TBOOLEAN:
      if (script_protocol == 2) {
        if (lua_toboolean(lua, -1)) {
          out.Integer(1);
        } else {
          out.Null();
        }
      } else {
        out.Boolean(lua_toboolean(lua, -1) != 0);
      }
      break;
    case LUA_TNUMBER:
      out.Integer(LuaNumberToInt(lua_tonumber(lua, -1)));
      break;
    case LUA_TTABLE: {
      if (RawField(lua, -1, "err") == LUA_TSTRING) {
        size_t len = 0;
        const char* s = lua_tolstring(lua, -1, &len);
        out.Error(std::string_view(s, len));
        lua_pop(lua, 2);
        return;
      }
      lua_pop(lua, 1);
      if (RawField(lua, -1, "ok") == LUA_TSTRING) {
        size_t len = 0;
        const char* s = lua_tolstring(lua, -1, &len);
        out.SimpleString(MapCrLf(std::string_view(s, len)));
        lua_pop(lua, 2);
        return;
      }
      lua_pop(lua, 1);
      if (RawField(lua, -1, "double") == LUA_TNUMBER) {
        out.Double(lua_tonumber(lua, -1));
        lua_pop(lua, 2);
        return;
      }
      lua_pop(lua, 1);
      if (RawField(lua, -1, "big_number") == LUA_TSTRING) {
        size_t len = 0;
        const char* s = lua_tolstring(lua, -1, &len);
        out.BigNumber(MapCrLf(std::string_view(s, len)));
        lua_pop(lua, 2);
        return;
      }
      lua_pop(lua, 1);
      if (RawField(lua, -1, "verbatim_string") == LUA_TTABLE) {
        if (RawField(lua, -1, "format") == LUA_TSTRING) {
          if (RawField(lua, -2, "string") == LUA_TSTRING) {
            size_t flen = 0;
            size_t len = 0;
            const char* f = lua_tolstring(lua, -2, &flen);
            const char* s = lua_tolstring(lua, -1, &len);
            out.Verbatim(std::string_view(f, flen), std::string_view(s, len));
            lua_pop(lua, 4);
            return;
          }
          lua_pop(lua, 1);
        }
        lua_pop(lua, 1);
      }
      lua_pop(lua, 1);
      const bool is_map = RawField(lua, -1, "map") == LUA_TTABLE;
      if (!is_map) lua_pop(lua, 1);
      const bool is_set = !is_map && RawField(lua, -1, "set") == LUA_TTABLE;
      if (!is_map && !is_set) lua_pop(lua, 1);
      if (is_map || is_set) {
        // Counted while written: the header goes in front of the elements.
        std::string body;
        resp::ReplyWriter inner(&body, out.protocol());
        size_t n = 0;
        lua_pushnil(lua);
        while (lua_next(lua, -2) != 0) {
          if (is_map) {
            lua_pushvalue(lua, -2);
            WriteLuaValue(lua, script_protocol, inner);  // key
            WriteLuaValue(lua, script_protocol, inner);  // value
          } else {
            lua_pop(lua, 1);
            lua_pushvalue(lua, -1);
            WriteLuaValue(lua, script_protocol, inner);
          }
          ++n;
        }
        if (is_map) {
          out.MapHeader(n);
        } else {
          out.SetHeader(n);
        }
        out.Raw(body);
        lua_pop(lua, 2);
        return;
      }
      std::string body;
      resp::ReplyWriter inner(&body, out.protocol());
      size_t n = 0;
      for (int j = 1;; ++j) {
        lua_pushnumber(lua, j);
        lua_rawget(lua, -2);
        if (lua_isnil(lua, -1)) {
          lua_pop(lua, 1);
          break;
        }
        WriteLuaValue(lua, script_protocol, inner);
        ++n;
      }
      out.ArrayHeader(n);
      out.Raw(body);
      break;
    }
    default:
      out.Null();
  }
  lua_pop(lua, 1);
}

}  // namespace respite::storage::scripting
