#pragma once
// Lua libraries Redis gives scripts that Debian does not package: cmsgpack and struct.
struct lua_State;
namespace respite::storage::scripting {
// Each pushes its library table (like luaopen_*) and returns 1.
int OpenCmsgpack(lua_State* lua);
int OpenStruct(lua_State* lua);
}  // namespace respite::storage::scripting
