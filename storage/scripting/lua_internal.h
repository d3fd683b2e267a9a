#pragma once
// Shared by the scripting engine's files (not part of the public header): the Lua headers, the
// state of the script that is running, and the conversions between RESP and Lua values.
// Lua is Debian's liblua5.1-c++: lua_error throws a C++ exception, so destructors run on errors.
// Thread: the store executor only.

extern "C" {
#include <lua5.1/lauxlib.h>
#include <lua5.1/lua.h>
#include <lua5.1/lualib.h>
}

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resp/reply_writer.h"
#include "storage/command_context.h"
#include "storage/local_session.h"
#include "storage/scripting/script_runner.h"

namespace respite::storage::scripting {

// The script that is running (reachable from Lua's C functions through the registry).
struct RunContext {
  ScriptCaller* caller = nullptr;
  ScriptControl* control = nullptr;
  LocalSession session;    // the script's db and protocol (redis.setresp)
  bool read_only = false;  // EVAL_RO, or a no-writes shebang flag: writes are refused
  bool wrote = false;
  bool store_failed = false;  // the store rolled back: the script stops
  int64_t started_ms = 0;     // steady clock
  std::string reply;          // redis.call's reply buffer, reused
};

// A sandboxed state as Redis 7.0 gives scripts: base (without dofile, loadfile, print, setfenv,
// getfenv, newproxy), table, string, math (Redis' random), cjson, bit, struct, cmsgpack and the
// redis library; globals read-only, and reading a missing global is an error. With
// `register_function`, also the globals FUNCTION LOAD's code runs with (see SetLoadGlobals).
lua_State* NewSandbox(lua_CFunction register_function = nullptr);
// Switches the globals between what FUNCTION LOAD's code sees (only redis.register_function,
// redis.log and the version fields) and what scripts see.
void SetLoadGlobals(lua_State* lua, bool loading);
void SetRunContext(lua_State* lua, RunContext* run);
RunContext* GetRunContext(lua_State* lua);
// Sets a global (KEYS, ARGV) past the read-only protection. Pops the value.
void SetProtectedGlobal(lua_State* lua, const char* name);
// Guards Redis builds into its Lua (lua_guards.cpp): text-only loading, safe unpack and
// bit.tohex, and setmetatable/getmetatable/rawset that respect read-only tables. Call after the
// libraries are open, before the globals are assembled.
void InstallGuards(lua_State* lua);
// luaL_loadbuffer for text only: bytecode fails to parse, as in Redis.
int LoadText(lua_State* lua, std::string_view code, const char* chunk_name);
// Pushes a read-only view of the table at `index` (reads go through, writes fail); the view, its
// metatable and the table are marked protected.
void PushReadonlyView(lua_State* lua, int index);
// Marks the table at `index` as one scripts may not setmetatable or rawset.
void MarkProtected(lua_State* lua, int index);
// Pushes the error handler scripts run under (adds source and line, as Redis' does).
void PushErrorHandler(lua_State* lua);
// Registers the redis library into the table on top of the stack (lua_redis_api.cpp).
void RegisterRedisApi(lua_State* lua);

// Pushes Redis' error table {err = "CODE message"} for an error text with or without its "-",
// as Redis' luaPushErrorBuff does (no code: "ERR"; CR/LF trimmed at both ends).
void PushErrorTable(lua_State* lua, std::string_view error);
// Converts one RESP reply (complete, as the store wrote it) into a Lua value on the stack.
// Returns the bytes consumed.
size_t PushReply(lua_State* lua, std::string_view reply);
// Writes the Lua value on top of the stack as a reply (and pops it). `script_protocol` is the
// script's redis.setresp: with 2, booleans are :1 and null.
void WriteLuaValue(lua_State* lua, int script_protocol, resp::ReplyWriter& out);

std::string Sha1Hex(std::string_view data);

// Splits a shebang line into words as Redis' sdssplitargs does (quotes and escapes). False on
// unbalanced quotes, or a closing quote not followed by a blank.
bool SplitArgs(std::string_view line, std::vector<std::string>* words);

// Reads EVAL's and FCALL's numkeys (argv[2]) and checks it against the arguments after it; on
// failure writes Redis' error (`not_integer` for a non-number) and returns false.
bool ParseNumKeys(CommandContext& ctx, std::string_view not_integer, int64_t* numkeys);
// Pushes a Lua array of strings (KEYS, ARGV, a function's keys and args).
void PushStringTable(lua_State* lua, std::span<const std::string_view> items);
// Runs the function on the stack (pushed right after the error handler, `nargs` arguments above
// it) as one script: SCRIPT KILL and busy checks every 100,000 instructions, the clock frozen.
// Writes its result, or Redis' error reply naming `name`, to ctx.out; clears the stack.
void RunScript(lua_State* lua, int nargs, RunContext& run, std::string_view name,
               CommandContext& ctx);

}  // namespace respite::storage::scripting
