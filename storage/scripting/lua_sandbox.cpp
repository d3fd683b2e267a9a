// The Lua state scripts run in, sandboxed as Redis 7.0 does: the libraries Redis loads, no file
// or process access, read-only globals and library tables, an error for a missing global, and
// Redis' own deterministic math.random.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <new>

#include "storage/scripting/lua_internal.h"
#include "storage/scripting/lua_libs.h"

extern "C" {
#include <lua5.1/lua-bitop.h>
#include <lua5.1/lua-cjson.h>
}

namespace respite::storage::scripting {

namespace {

// Registry keys (their addresses).
char kRunContextKey;
char kHiddenGlobalsKey;
char kToStringKey;
char kRandomStateKey;
char kLoadGlobalsKey;

// Globals scripts may see; everything else the libraries define is removed (DESIGN: sandbox).
constexpr const char* kAllowedGlobals[] = {
    "string",         "cjson",        "bit",        "cmsgpack", "math",
    "table",          "struct",       "redis",      "xpcall",   "tostring",
    "setmetatable",   "next",         "assert",     "tonumber", "rawequal",
    "collectgarbage", "getmetatable", "rawset",     "pcall",    "coroutine",
    "type",           "_G",           "select",     "unpack",   "gcinfo",
    "pairs",          "rawget",       "loadstring", "ipairs",   "_VERSION",
    "load",           "error",
};
// Library tables scripts get read-only views of.
constexpr const char* kProtectedLibraries[] = {"string", "cjson",  "bit",   "cmsgpack", "math",
                                               "table",  "struct", "redis", "coroutine"};

int ReadonlyError(lua_State* lua) { return luaL_error(lua, "Attempt to modify a readonly table"); }

int MissingGlobalError(lua_State* lua) {
  if (lua_gettop(lua) != 2) {
    return luaL_error(lua, "Wrong number of arguments to luaProtectedTableError");
  }
  if (!lua_isstring(lua, -1) && !lua_isnumber(lua, -1)) {
    return luaL_error(lua, "Second argument to luaProtectedTableError must be a string or number");
  }
  return luaL_error(lua, "Script attempted to access nonexistent global variable '%s'",
                    lua_tostring(lua, -1));
}

// Redis' random: the rand48 generator (a 48-bit linear congruential one), so scripts that seed
// it get the numbers Redis gives them.
struct Rand48 {
  uint64_t x = 0x1234ABCD330Eull;
  int32_t Next() {
    x = (0x5DEECE66Dull * x + 0xB) & ((1ull << 48) - 1);
    return static_cast<int32_t>(x >> 17);
  }
  void Seed(int32_t seed) {
    const uint64_t s = static_cast<uint32_t>(seed);
    x = ((s >> 16) & 0xFFFF) << 32 | (s & 0xFFFF) << 16 | 0x330E;
  }
};

Rand48& RandomState(lua_State* lua) {
  lua_pushlightuserdata(lua, &kRandomStateKey);
  lua_rawget(lua, LUA_REGISTRYINDEX);
  auto* state = static_cast<Rand48*>(lua_touserdata(lua, -1));
  lua_pop(lua, 1);
  return *state;
}

int MathRandom(lua_State* lua) {
  constexpr int32_t kMax = INT32_MAX;
  const lua_Number r =
      static_cast<lua_Number>(RandomState(lua).Next() % kMax) / static_cast<lua_Number>(kMax);
  switch (lua_gettop(lua)) {
    case 0:
      lua_pushnumber(lua, r);
      break;
    case 1: {
      const int u = luaL_checkint(lua, 1);
      luaL_argcheck(lua, 1 <= u, 1, "interval is empty");
      lua_pushnumber(lua, std::floor(r * u) + 1);
      break;
    }
    case 2: {
      const int l = luaL_checkint(lua, 1);
      const int u = luaL_checkint(lua, 2);
      luaL_argcheck(lua, l <= u, 2, "interval is empty");
      lua_pushnumber(lua, std::floor(r * (u - l + 1)) + l);
      break;
    }
    default:
      return luaL_error(lua, "wrong number of arguments");
  }
  return 1;
}

int MathRandomSeed(lua_State* lua) {
  RandomState(lua).Seed(luaL_checkint(lua, 1));
  return 0;
}

// Redis' error handler: turns any error into {err=..., source=..., line=...}, where source and
// line are those of the Lua code that raised it (past a C function such as error or redis.call).
int ErrorHandler(lua_State* lua) {
  lua_Debug ar;
  bool where = lua_getstack(lua, 1, &ar) && lua_getinfo(lua, "nSl", &ar);
  if (where && std::strcmp(ar.what, "C") == 0) {
    where = lua_getstack(lua, 2, &ar) && lua_getinfo(lua, "nSl", &ar);
  }
  if (!lua_istable(lua, 1)) {
    lua_pushlightuserdata(lua, &kToStringKey);
    lua_rawget(lua, LUA_REGISTRYINDEX);
    lua_pushvalue(lua, 1);
    lua_call(lua, 1, 1);
    lua_pushstring(lua, "ERR ");
    lua_insert(lua, -2);
    lua_concat(lua, 2);
    lua_newtable(lua);
    lua_pushstring(lua, "err");
    lua_pushvalue(lua, -3);
    lua_settable(lua, -3);
    lua_replace(lua, 1);
    lua_settop(lua, 1);
  }
  if (where) {
    lua_pushstring(lua, "source");
    lua_pushstring(lua, ar.source);
    lua_settable(lua, 1);
    lua_pushstring(lua, "line");
    lua_pushinteger(lua, ar.currentline);
    lua_settable(lua, 1);
  }
  lua_settop(lua, 1);
  return 1;
}

// pcall as Redis 7.0 gives it: an error that is a table with an `err` string (what redis.call
// raises) is returned as that string, as older Redis versions did.
int RedisStylePcall(lua_State* lua) {
  const int argc = lua_gettop(lua);
  luaL_checkany(lua, 1);
  lua_pushboolean(lua, 1);
  lua_insert(lua, 1);
  if (lua_pcall(lua, argc - 1, LUA_MULTRET, 0) != 0) {
    lua_remove(lua, 1);
    if (lua_istable(lua, -1)) {
      lua_getfield(lua, -1, "err");
      if (lua_isstring(lua, -1)) {
        lua_replace(lua, -2);
      } else {
        lua_pop(lua, 1);
      }
    }
    lua_pushboolean(lua, 0);
    lua_insert(lua, 1);
  }
  return lua_gettop(lua);
}

void OpenLibrary(lua_State* lua, const char* name, lua_CFunction open) {
  lua_pushcfunction(lua, open);
  lua_pushstring(lua, name);
  lua_call(lua, 1, 1);
  if (name[0] != '\0') lua_setglobal(lua, name);
  lua_settop(lua, 0);
}

// Replaces the table on top of the stack by a read-only view of it.
void MakeReadonlyView(lua_State* lua) {
  PushReadonlyView(lua, -1);
  lua_replace(lua, -2);
}

// The globals FUNCTION LOAD's code sees: a redis table with register_function, log and the
// version fields only; any other name is a missing global.
void InstallLoadGlobals(lua_State* lua, lua_CFunction register_function) {
  lua_newtable(lua);  // the load-time redis table
  lua_pushcfunction(lua, register_function);
  lua_setfield(lua, -2, "register_function");
  lua_newtable(lua);
  RegisterRedisApi(lua);
  for (const char* name : {"log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING",
                           "REDIS_VERSION", "REDIS_VERSION_NUM"}) {
    lua_getfield(lua, -1, name);
    lua_setfield(lua, -3, name);
  }
  lua_pop(lua, 1);
  lua_newtable(lua);
  lua_pushcfunction(lua, MissingGlobalError);
  lua_setfield(lua, -2, "__index");
  lua_setmetatable(lua, -2);
  MakeReadonlyView(lua);

  lua_newtable(lua);  // the load-time globals
  lua_insert(lua, -2);
  lua_setfield(lua, -2, "redis");
  lua_newtable(lua);
  lua_pushcfunction(lua, MissingGlobalError);
  lua_setfield(lua, -2, "__index");
  lua_setmetatable(lua, -2);
  MarkProtected(lua, -1);
  lua_pushlightuserdata(lua, &kLoadGlobalsKey);
  lua_insert(lua, -2);
  lua_rawset(lua, LUA_REGISTRYINDEX);
}

}  // namespace

lua_State* NewSandbox(lua_CFunction register_function) {
  lua_State* lua = luaL_newstate();
  OpenLibrary(lua, "", luaopen_base);
  OpenLibrary(lua, LUA_TABLIBNAME, luaopen_table);
  OpenLibrary(lua, LUA_STRLIBNAME, luaopen_string);
  OpenLibrary(lua, LUA_MATHLIBNAME, luaopen_math);
  OpenLibrary(lua, "cjson", luaopen_cjson);
  OpenLibrary(lua, "bit", luaopen_bit);
  OpenLibrary(lua, "struct", OpenStruct);
  OpenLibrary(lua, "cmsgpack", OpenCmsgpack);

  lua_pushlightuserdata(lua, &kRandomStateKey);
  new (lua_newuserdata(lua, sizeof(Rand48))) Rand48();
  lua_rawset(lua, LUA_REGISTRYINDEX);
  lua_getglobal(lua, "math");
  lua_pushcfunction(lua, MathRandom);
  lua_setfield(lua, -2, "random");
  lua_pushcfunction(lua, MathRandomSeed);
  lua_setfield(lua, -2, "randomseed");
  lua_pop(lua, 1);

  lua_pushcfunction(lua, RedisStylePcall);
  lua_setglobal(lua, "pcall");
  InstallGuards(lua);

  lua_newtable(lua);
  RegisterRedisApi(lua);
  lua_setglobal(lua, "redis");

  lua_pushlightuserdata(lua, &kToStringKey);
  lua_getglobal(lua, "tostring");
  lua_rawset(lua, LUA_REGISTRYINDEX);

  // The hidden table holding what scripts may see; every other global is dropped.
  lua_newtable(lua);
  const int hidden = lua_gettop(lua);
  for (const char* name : kAllowedGlobals) {
    lua_getglobal(lua, name);
    bool is_library = false;
    for (const char* lib : kProtectedLibraries) is_library |= std::strcmp(lib, name) == 0;
    if (is_library) MakeReadonlyView(lua);
    lua_setfield(lua, hidden, name);
  }
  lua_newtable(lua);
  lua_pushcfunction(lua, MissingGlobalError);
  lua_setfield(lua, -2, "__index");
  MarkProtected(lua, -1);
  lua_setmetatable(lua, hidden);
  MarkProtected(lua, hidden);

  // Strings' methods come from the read-only view of the string library.
  lua_pushstring(lua, "");
  lua_getmetatable(lua, -1);
  lua_getfield(lua, hidden, "string");
  lua_setfield(lua, -2, "__index");
  MarkProtected(lua, -1);
  lua_pop(lua, 2);

  // The globals table scripts get: empty, reads go to the hidden table, writes are refused.
  lua_newtable(lua);
  const int globals = lua_gettop(lua);
  lua_newtable(lua);
  lua_pushvalue(lua, hidden);
  lua_setfield(lua, -2, "__index");
  lua_pushcfunction(lua, ReadonlyError);
  lua_setfield(lua, -2, "__newindex");
  MarkProtected(lua, -1);
  lua_setmetatable(lua, globals);
  MarkProtected(lua, globals);
  lua_pushvalue(lua, globals);
  lua_setfield(lua, hidden, "_G");

  lua_pushlightuserdata(lua, &kHiddenGlobalsKey);
  lua_pushvalue(lua, hidden);
  lua_rawset(lua, LUA_REGISTRYINDEX);
  lua_pushvalue(lua, globals);
  lua_replace(lua, LUA_GLOBALSINDEX);
  lua_settop(lua, 0);
  if (register_function != nullptr) InstallLoadGlobals(lua, register_function);
  return lua;
}

void SetLoadGlobals(lua_State* lua, bool loading) {
  lua_getmetatable(lua, LUA_GLOBALSINDEX);
  lua_pushlightuserdata(lua, loading ? &kLoadGlobalsKey : &kHiddenGlobalsKey);
  lua_rawget(lua, LUA_REGISTRYINDEX);
  lua_setfield(lua, -2, "__index");
  lua_pop(lua, 1);
}

void SetRunContext(lua_State* lua, RunContext* run) {
  lua_pushlightuserdata(lua, &kRunContextKey);
  if (run != nullptr) {
    lua_pushlightuserdata(lua, run);
  } else {
    lua_pushnil(lua);
  }
  lua_rawset(lua, LUA_REGISTRYINDEX);
}

RunContext* GetRunContext(lua_State* lua) {
  lua_pushlightuserdata(lua, &kRunContextKey);
  lua_rawget(lua, LUA_REGISTRYINDEX);
  auto* run = static_cast<RunContext*>(lua_touserdata(lua, -1));
  lua_pop(lua, 1);
  return run;
}

void SetProtectedGlobal(lua_State* lua, const char* name) {
  lua_pushlightuserdata(lua, &kHiddenGlobalsKey);
  lua_rawget(lua, LUA_REGISTRYINDEX);
  lua_pushstring(lua, name);
  lua_pushvalue(lua, -3);
  lua_rawset(lua, -3);
  lua_pop(lua, 2);
}

void PushErrorHandler(lua_State* lua) { lua_pushcfunction(lua, ErrorHandler); }

}  // namespace respite::storage::scripting
