// The redis library scripts call: redis.call and redis.pcall into the store's command handlers,
// and the helpers Redis 7.0 gives (error_reply, status_reply, sha1hex, log, setresp, set_repl,
// replicate_commands, ...), with Redis' argument checks and error texts.

#include <openssl/evp.h>

#include <climits>
#include <cstdio>
#include <string>
#include <vector>

#include "storage/scripting/lua_internal.h"

namespace respite::storage::scripting {

namespace {

constexpr int kLogDebug = 0;
constexpr int kLogVerbose = 1;
constexpr int kLogNotice = 2;
constexpr int kLogWarning = 3;
constexpr int kReplNone = 0;
constexpr int kReplAof = 1;
constexpr int kReplReplica = 2;
constexpr int kReplAll = 3;

// (int)d as Redis' x86 build computes it: NaN and values out of range give INT_MIN.
int NumberToInt(lua_Number d) {
  if (!(d > -2147483649.0 && d < 2147483648.0)) return INT_MIN;
  return static_cast<int>(d);
}

// Pushes Redis' error table for `text` and raises it.
int RaiseError(lua_State* lua, std::string_view text) {
  PushErrorTable(lua, text);
  return lua_error(lua);
}

// redis.call (raise = true) and redis.pcall (errors returned as tables).
int Call(lua_State* lua, bool raise) {
  RunContext* run = GetRunContext(lua);
  if (run == nullptr) {
    return RaiseError(lua, "redis.call/pcall can only be called inside a script invocation");
  }
  const int argc = lua_gettop(lua);
  if (argc == 0) {
    return RaiseError(lua, "Please specify at least one argument for this redis lib call");
  }
  std::vector<std::string> args;
  args.reserve(static_cast<size_t>(argc));
  for (int i = 1; i <= argc; ++i) {
    if (lua_type(lua, i) == LUA_TNUMBER) {
      // Redis formats numbers with %.17g, not Lua's %.14g.
      char buf[64];
      const int n = std::snprintf(buf, sizeof(buf), "%.17g", lua_tonumber(lua, i));
      args.emplace_back(buf, static_cast<size_t>(n));
    } else if (lua_type(lua, i) == LUA_TSTRING) {
      size_t len = 0;
      const char* s = lua_tolstring(lua, i, &len);
      args.emplace_back(s, len);
    } else {
      return RaiseError(lua, "Lua redis lib command arguments must be strings or integers");
    }
  }
  std::vector<std::string_view> argv(args.begin(), args.end());
  run->reply.clear();
  bool wrote = false;
  const bool ok =
      run->caller->CallFromScript(run->session, argv, run->read_only, &wrote, &run->reply);
  if (wrote && !run->wrote) {
    run->wrote = true;
    run->control->wrote.store(true, std::memory_order_relaxed);
  }
  if (!ok) {
    // The store rolled back: nothing of this script happened. Stop it, whatever pcall says.
    run->store_failed = true;
    return RaiseError(lua, run->reply);
  }
  lua_settop(lua, 0);
  PushReply(lua, run->reply);
  if (raise && !run->reply.empty() && run->reply[0] == '-') return lua_error(lua);
  return 1;
}

int RedisCall(lua_State* lua) { return Call(lua, true); }
int RedisPCall(lua_State* lua) { return Call(lua, false); }

int Sha1HexFn(lua_State* lua) {
  if (lua_gettop(lua) != 1) return RaiseError(lua, "wrong number of arguments");
  size_t len = 0;
  const char* s = lua_tolstring(lua, 1, &len);
  const std::string hex = Sha1Hex(s == nullptr ? std::string_view() : std::string_view(s, len));
  lua_pushlstring(lua, hex.data(), hex.size());
  return 1;
}

int ErrorReply(lua_State* lua) {
  if (lua_gettop(lua) != 1 || lua_type(lua, -1) != LUA_TSTRING) {
    PushErrorTable(lua, "wrong number or type of arguments");
    return 1;
  }
  size_t len = 0;
  const char* s = lua_tolstring(lua, -1, &len);
  const std::string_view text(s, len);
  PushErrorTable(lua, text.starts_with('-') ? std::string(text) : "-" + std::string(text));
  return 1;
}

int StatusReply(lua_State* lua) {
  if (lua_gettop(lua) != 1 || lua_type(lua, -1) != LUA_TSTRING) {
    PushErrorTable(lua, "wrong number or type of arguments");
    return 1;
  }
  lua_newtable(lua);
  lua_pushstring(lua, "ok");
  lua_pushvalue(lua, -3);
  lua_settable(lua, -3);
  return 1;
}

int Log(lua_State* lua) {
  const int argc = lua_gettop(lua);
  if (argc < 2) return RaiseError(lua, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(lua, 1)) return RaiseError(lua, "First argument must be a number (log level).");
  const int level = NumberToInt(lua_tonumber(lua, 1));
  if (level < kLogDebug || level > kLogWarning) return RaiseError(lua, "Invalid debug level.");
  std::string message;
  for (int i = 2; i <= argc; ++i) {
    size_t len = 0;
    const char* s = lua_tolstring(lua, i, &len);
    if (s == nullptr) continue;
    if (!message.empty()) message += ' ';
    message.append(s, len);
  }
  RunContext* run = GetRunContext(lua);
  if (run != nullptr) run->caller->ScriptLog(level, message);
  return 0;
}

int SetResp(lua_State* lua) {
  RunContext* run = GetRunContext(lua);
  if (run == nullptr) {
    return RaiseError(lua, "redis.setresp can only be called inside a script invocation");
  }
  if (lua_gettop(lua) != 1) return RaiseError(lua, "redis.setresp() requires one argument.");
  const int resp = NumberToInt(lua_tonumber(lua, -1));
  if (resp != 2 && resp != 3) return RaiseError(lua, "RESP version must be 2 or 3.");
  run->session.protocol = resp;
  return 0;
}

// Accepted for compatibility: a script's writes are always journaled as its effects (what Redis
// 7 propagates to its AOF).
int SetRepl(lua_State* lua) {
  if (GetRunContext(lua) == nullptr) {
    return RaiseError(lua, "redis.set_repl can only be called inside a script invocation");
  }
  if (lua_gettop(lua) != 1) return RaiseError(lua, "redis.set_repl() requires two arguments.");
  const int flags = NumberToInt(lua_tonumber(lua, -1));
  if ((flags & ~kReplAll) != 0) {
    return RaiseError(lua,
                      "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or "
                      "REPL_NONE.");
  }
  return 0;
}

int ReplicateCommands(lua_State* lua) {
  lua_pushboolean(lua, 1);
  return 1;
}

int Breakpoint(lua_State* lua) {
  lua_pushboolean(lua, 0);
  return 1;
}

int Debug(lua_State*) { return 0; }

// The local store has no ACL of its own (users log in upstream): every known command is allowed.
int AclCheckCmd(lua_State* lua) {
  if (GetRunContext(lua) == nullptr) {
    return RaiseError(lua, "redis.acl_check_cmd can only be called inside a script invocation");
  }
  if (lua_gettop(lua) == 0 || lua_type(lua, 1) != LUA_TSTRING) {
    return RaiseError(lua, "Please specify at least one argument for this redis lib call");
  }
  size_t len = 0;
  const char* name = lua_tolstring(lua, 1, &len);
  RunContext* run = GetRunContext(lua);
  if (!run->caller->KnowsCommand(std::string_view(name, len))) {
    return RaiseError(lua, "Invalid command passed to redis.acl_check_cmd()");
  }
  lua_pushboolean(lua, 1);
  return 1;
}

void SetFunction(lua_State* lua, const char* name, lua_CFunction f) {
  lua_pushcfunction(lua, f);
  lua_setfield(lua, -2, name);
}

void SetNumber(lua_State* lua, const char* name, int value) {
  lua_pushnumber(lua, value);
  lua_setfield(lua, -2, name);
}

}  // namespace

std::string Sha1Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

void RegisterRedisApi(lua_State* lua) {
  SetFunction(lua, "call", RedisCall);
  SetFunction(lua, "pcall", RedisPCall);
  SetFunction(lua, "log", Log);
  SetFunction(lua, "sha1hex", Sha1HexFn);
  SetFunction(lua, "error_reply", ErrorReply);
  SetFunction(lua, "status_reply", StatusReply);
  SetFunction(lua, "set_repl", SetRepl);
  SetFunction(lua, "replicate_commands", ReplicateCommands);
  SetFunction(lua, "setresp", SetResp);
  SetFunction(lua, "breakpoint", Breakpoint);
  SetFunction(lua, "debug", Debug);
  SetFunction(lua, "acl_check_cmd", AclCheckCmd);
  SetNumber(lua, "LOG_DEBUG", kLogDebug);
  SetNumber(lua, "LOG_VERBOSE", kLogVerbose);
  SetNumber(lua, "LOG_NOTICE", kLogNotice);
  SetNumber(lua, "LOG_WARNING", kLogWarning);
  SetNumber(lua, "REPL_NONE", kReplNone);
  SetNumber(lua, "REPL_AOF", kReplAof);
  SetNumber(lua, "REPL_SLAVE", kReplReplica);
  SetNumber(lua, "REPL_REPLICA", kReplReplica);
  SetNumber(lua, "REPL_ALL", kReplAll);
  lua_pushstring(lua, "7.0.15");
  lua_setfield(lua, -2, "REDIS_VERSION");
  SetNumber(lua, "REDIS_VERSION_NUM", 0x07000f);
}

}  // namespace respite::storage::scripting
