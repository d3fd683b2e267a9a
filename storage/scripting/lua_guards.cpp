// Fixes Redis carries in its own copy of Lua, applied here around Debian's liblua5.1 and
// lua-bitop: no bytecode (a crafted chunk can break the VM), unpack and bit.tohex without their
// integer-overflow crashes, and tables that really stay read-only (setmetatable, getmetatable and
// rawset cannot reach past the read-only views).

#include <climits>
#include <string>

#include "storage/scripting/lua_internal.h"

namespace respite::storage::scripting {

namespace {

char kProtectedKey;  // registry: weak-keyed set of the tables scripts may not change
char kViewsKey;      // registry: weak-keyed cache of read-only views of protected metatables

int ReadonlyError(lua_State* lua) { return luaL_error(lua, "Attempt to modify a readonly table"); }

// Raised from inside a library function (setmetatable, rawset), Redis' error carries no position.
int ReadonlyErrorHere(lua_State* lua) {
  lua_pushstring(lua, "Attempt to modify a readonly table");
  return lua_error(lua);
}

bool IsProtected(lua_State* lua, int index) {
  if (!lua_istable(lua, index)) return false;
  index = index < 0 ? lua_gettop(lua) + index + 1 : index;
  lua_pushlightuserdata(lua, &kProtectedKey);
  lua_rawget(lua, LUA_REGISTRYINDEX);
  lua_pushvalue(lua, index);
  lua_rawget(lua, -2);
  const bool yes = lua_toboolean(lua, -1) != 0;
  lua_pop(lua, 2);
  return yes;
}

// unpack with Redis' overflow check (Lua 5.1.5's computes the count in int and crashes).
int SafeUnpack(lua_State* lua) {
  luaL_checktype(lua, 1, LUA_TTABLE);
  const int i = luaL_optint(lua, 2, 1);
  const int e = luaL_opt(lua, luaL_checkint, 3, static_cast<int>(lua_objlen(lua, 1)));
  if (i > e) return 0;
  unsigned int n = static_cast<unsigned int>(e) - static_cast<unsigned int>(i);
  if (n >= static_cast<unsigned int>(INT_MAX) || !lua_checkstack(lua, static_cast<int>(++n))) {
    return luaL_error(lua, "too many results to unpack");
  }
  lua_rawgeti(lua, 1, i);
  for (int k = i; k < e;) {
    lua_rawgeti(lua, 1, ++k);
  }
  return static_cast<int>(n);
}

// Calls the function a guard wraps (its upvalue) with the guard's arguments.
int CallWrapped(lua_State* lua) {
  lua_pushvalue(lua, lua_upvalueindex(1));
  lua_insert(lua, 1);
  lua_call(lua, lua_gettop(lua) - 1, LUA_MULTRET);
  return lua_gettop(lua);
}

// bit.tohex(x, INT32_MIN) overflows negating n in lua-bitop 1.0.2; Redis clamps it.
int SafeToHex(lua_State* lua) {
  if (lua_gettop(lua) >= 2 && lua_isnumber(lua, 2) && lua_tonumber(lua, 2) == INT_MIN) {
    lua_pushnumber(lua, INT_MIN + 1);
    lua_replace(lua, 2);
  }
  return CallWrapped(lua);
}

// loadstring and load, text only.
int LoadStringGuarded(lua_State* lua) {
  size_t len = 0;
  const char* s = luaL_checklstring(lua, 1, &len);
  const char* name = luaL_optstring(lua, 2, s);
  if (LoadText(lua, std::string_view(s, len), name) == 0) return 1;
  lua_pushnil(lua);
  lua_insert(lua, -2);
  return 2;
}

int LoadGuarded(lua_State* lua) {
  luaL_checktype(lua, 1, LUA_TFUNCTION);
  const char* name = luaL_optstring(lua, 2, "=(load)");
  luaL_Buffer b;
  luaL_buffinit(lua, &b);
  for (;;) {
    lua_pushvalue(lua, 1);
    lua_call(lua, 0, 1);
    if (lua_isnil(lua, -1)) {
      lua_pop(lua, 1);
      break;
    }
    if (!lua_isstring(lua, -1)) return luaL_error(lua, "reader function must return a string");
    if (lua_objlen(lua, -1) == 0) {
      lua_pop(lua, 1);
      break;
    }
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  size_t len = 0;
  const char* s = lua_tolstring(lua, -1, &len);
  if (LoadText(lua, std::string_view(s, len), name) == 0) return 1;
  lua_pushnil(lua);
  lua_insert(lua, -2);
  return 2;
}

// setmetatable and rawset: refused on a protected table.
int ChangeGuarded(lua_State* lua) {
  if (IsProtected(lua, 1)) return ReadonlyErrorHere(lua);
  return CallWrapped(lua);
}

void PushDeepView(lua_State* lua, int index);
int DeepIndex(lua_State* lua);

// Pushes a view of the table at absolute `index`: reads go through (with `deep`, DeepIndex hands
// protected tables out as views too), writes fail; the view and its metatable are protected.
void PushView(lua_State* lua, int index, bool deep) {
  lua_newtable(lua);  // the view
  lua_newtable(lua);  // its metatable
  lua_pushvalue(lua, index);
  if (deep) lua_pushcclosure(lua, DeepIndex, 1);
  lua_setfield(lua, -2, "__index");
  lua_pushcfunction(lua, ReadonlyError);
  lua_setfield(lua, -2, "__newindex");
  MarkProtected(lua, -1);
  lua_setmetatable(lua, -2);
  MarkProtected(lua, -1);
}

// The __index of a deep view: what it reads is handed out read-only too when protected.
int DeepIndex(lua_State* lua) {
  lua_pushvalue(lua, 2);
  lua_rawget(lua, lua_upvalueindex(1));
  if (IsProtected(lua, -1)) PushDeepView(lua, -1);
  return 1;
}

// A view whose reads of protected tables are views as well (what getmetatable hands out, so
// getmetatable('').__index cannot reach the string library itself). Cached per table.
void PushDeepView(lua_State* lua, int index) {
  index = index < 0 ? lua_gettop(lua) + index + 1 : index;
  lua_pushlightuserdata(lua, &kViewsKey);
  lua_rawget(lua, LUA_REGISTRYINDEX);
  lua_pushvalue(lua, index);
  lua_rawget(lua, -2);
  if (!lua_isnil(lua, -1)) {
    lua_remove(lua, -2);
    return;
  }
  lua_pop(lua, 1);
  PushView(lua, index, /*deep=*/true);
  lua_pushvalue(lua, index);
  lua_pushvalue(lua, -2);
  lua_rawset(lua, -4);  // cache
  lua_remove(lua, -2);
}

// getmetatable: a protected metatable comes back as a read-only view of it.
int GetMetatableGuarded(lua_State* lua) {
  luaL_checkany(lua, 1);
  lua_pushvalue(lua, lua_upvalueindex(1));
  lua_pushvalue(lua, 1);
  lua_call(lua, 1, 1);
  if (IsProtected(lua, -1)) PushDeepView(lua, -1);
  return 1;
}

void NewWeakKeyedTable(lua_State* lua, char* key) {
  lua_pushlightuserdata(lua, key);
  lua_newtable(lua);
  lua_newtable(lua);
  lua_pushstring(lua, "k");
  lua_setfield(lua, -2, "__mode");
  lua_setmetatable(lua, -2);
  lua_rawset(lua, LUA_REGISTRYINDEX);
}

// Replaces global `name` by `f` with the original as its upvalue.
void Wrap(lua_State* lua, const char* name, lua_CFunction f) {
  lua_getglobal(lua, name);
  lua_pushcclosure(lua, f, 1);
  lua_setglobal(lua, name);
}

}  // namespace

int LoadText(lua_State* lua, std::string_view code, const char* chunk_name) {
  if (!code.empty() && code[0] == LUA_SIGNATURE[0]) {
    // As Redis' Lua, which parses every chunk as text: a leading space gives the same syntax
    // error the text parser reports for the signature byte.
    const std::string text = " " + std::string(code);
    return luaL_loadbuffer(lua, text.data(), text.size(), chunk_name);
  }
  return luaL_loadbuffer(lua, code.data(), code.size(), chunk_name);
}

void MarkProtected(lua_State* lua, int index) {
  index = index < 0 ? lua_gettop(lua) + index + 1 : index;
  lua_pushlightuserdata(lua, &kProtectedKey);
  lua_rawget(lua, LUA_REGISTRYINDEX);
  lua_pushvalue(lua, index);
  lua_pushboolean(lua, 1);
  lua_rawset(lua, -3);
  lua_pop(lua, 1);
}

void PushReadonlyView(lua_State* lua, int index) {
  index = index < 0 ? lua_gettop(lua) + index + 1 : index;
  PushView(lua, index, /*deep=*/false);
  MarkProtected(lua, index);
}

void InstallGuards(lua_State* lua) {
  NewWeakKeyedTable(lua, &kProtectedKey);
  NewWeakKeyedTable(lua, &kViewsKey);
  lua_pushcfunction(lua, SafeUnpack);
  lua_setglobal(lua, "unpack");
  lua_pushcfunction(lua, LoadStringGuarded);
  lua_setglobal(lua, "loadstring");
  lua_pushcfunction(lua, LoadGuarded);
  lua_setglobal(lua, "load");
  Wrap(lua, "setmetatable", ChangeGuarded);
  Wrap(lua, "getmetatable", GetMetatableGuarded);
  Wrap(lua, "rawset", ChangeGuarded);
  lua_getglobal(lua, "bit");
  lua_getfield(lua, -1, "tohex");
  lua_pushcclosure(lua, SafeToHex, 1);
  lua_setfield(lua, -2, "tohex");
  lua_pop(lua, 1);
}

}  // namespace respite::storage::scripting
