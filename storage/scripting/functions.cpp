// Redis 7.0 functions on the local store: FUNCTION LOAD/LIST/DELETE/FLUSH/STATS/KILL, FCALL and
// FCALL_RO, with Redis' argument handling and error texts. Libraries live in their own Lua state
// (as in Redis) and are persisted in the store (kDefault "function:<library>" -> code).

#include "storage/scripting/functions.h"

#include <chrono>
#include <cstring>

#include "resp/ascii.h"
#include "storage/command_context.h"
#include "storage/engine.h"
#include "storage/glob.h"

namespace respite::storage {

namespace {

constexpr std::string_view kLibraryPrefix = "function:";
constexpr std::string_view kLibraryPrefixEnd = "function;";
constexpr std::string_view kBadName =
    "Library names can only contain letters, numbers, or underscores(_) and must be at least one "
    "character long";
// FUNCTION LOAD's code only registers functions: it gets 500 ms, as in Redis.
constexpr int64_t kLoadTimeoutMs = 500;

struct FlagName {
  uint32_t bit;
  const char* name;
};
constexpr uint32_t kFlagNoWrites = 1;
// In the order FUNCTION LIST shows them.
constexpr FlagName kFlags[] = {{kFlagNoWrites, "no-writes"},
                               {2, "allow-oom"},
                               {4, "allow-stale"},
                               {8, "no-cluster"},
                               {16, "allow-cross-slot-keys"}};

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The library FUNCTION LOAD is building, reachable from redis.register_function.
char kLoadContextKey;
struct LoadContext {
  ScriptRunner::Functions::Library* library;
  int64_t started_ms;
};

LoadContext* GetLoadContext(lua_State* lua) {
  lua_pushlightuserdata(lua, &kLoadContextKey);
  lua_rawget(lua, LUA_REGISTRYINDEX);
  auto* load = static_cast<LoadContext*>(lua_touserdata(lua, -1));
  lua_pop(lua, 1);
  return load;
}

void SetLoadContext(lua_State* lua, LoadContext* load) {
  lua_pushlightuserdata(lua, &kLoadContextKey);
  if (load != nullptr) {
    lua_pushlightuserdata(lua, load);
  } else {
    lua_pushnil(lua);
  }
  lua_rawset(lua, LUA_REGISTRYINDEX);
}

int RaiseError(lua_State* lua, std::string_view text) {
  scripting::PushErrorTable(lua, text);
  return lua_error(lua);
}

std::string StringAt(lua_State* lua, int index) {
  size_t len = 0;
  const char* s = lua_tolstring(lua, index, &len);
  return std::string(s, len);
}

// redis.register_function(name, callback) or redis.register_function{function_name=...,
// callback=..., flags={...}, description=...}.
int RegisterFunction(lua_State* lua) {
  LoadContext* load = GetLoadContext(lua);
  if (load == nullptr) {
    return RaiseError(lua, "redis.register_function can only be called on FUNCTION LOAD command");
  }
  const int argc = lua_gettop(lua);
  if (argc < 1 || argc > 2) {
    return RaiseError(lua, "wrong number of arguments to redis.register_function");
  }
  ScriptRunner::Functions::Function f;
  bool have_name = false;
  bool have_callback = false;
  if (argc == 2) {
    if (!lua_isstring(lua, 1)) {
      return RaiseError(lua, "first argument to redis.register_function must be a string");
    }
    if (!lua_isfunction(lua, 2)) {
      return RaiseError(lua, "second argument to redis.register_function must be a function");
    }
    f.name = StringAt(lua, 1);
    have_name = have_callback = true;
    f.ref = luaL_ref(lua, LUA_REGISTRYINDEX);
  } else {
    if (!lua_istable(lua, 1)) {
      return RaiseError(lua,
                        "calling redis.register_function with a single argument is only "
                        "applicable to Lua table (representing named arguments).");
    }
    lua_pushnil(lua);
    while (lua_next(lua, 1) != 0) {
      if (!lua_isstring(lua, -2)) {
        if (have_callback) luaL_unref(lua, LUA_REGISTRYINDEX, f.ref);
        return RaiseError(lua,
                          "named argument key given to redis.register_function is not a "
                          "string");
      }
      const std::string key = resp::AsciiLower(StringAt(lua, -2));
      const char* error = nullptr;
      if (key == "function_name") {
        if (lua_isstring(lua, -1)) {
          f.name = StringAt(lua, -1);
          have_name = true;
        } else {
          error = "function_name argument given to redis.register_function must be a string";
        }
      } else if (key == "description") {
        if (lua_isstring(lua, -1)) {
          f.description = StringAt(lua, -1);
          f.has_description = true;
        } else {
          error = "description argument given to redis.register_function must be a string";
        }
      } else if (key == "callback") {
        if (lua_isfunction(lua, -1)) {
          if (have_callback) luaL_unref(lua, LUA_REGISTRYINDEX, f.ref);
          lua_pushvalue(lua, -1);
          f.ref = luaL_ref(lua, LUA_REGISTRYINDEX);
          have_callback = true;
        } else {
          error = "callback argument given to redis.register_function must be a function";
        }
      } else if (key == "flags") {
        if (!lua_istable(lua, -1)) {
          error =
              "flags argument to redis.register_function must be a table representing function "
              "flags";
        } else {
          for (int j = 1;; ++j) {
            lua_rawgeti(lua, -1, j);
            if (lua_isnil(lua, -1)) {
              lua_pop(lua, 1);
              break;
            }
            bool found = false;
            if (lua_isstring(lua, -1)) {
              const std::string flag = resp::AsciiLower(StringAt(lua, -1));
              for (const FlagName& known : kFlags) {
                if (flag == known.name) {
                  f.flags |= known.bit;
                  found = true;
                }
              }
            }
            lua_pop(lua, 1);
            if (!found) {
              error = "unknown flag given";
              break;
            }
          }
        }
      } else {
        error = "unknown argument given to redis.register_function";
      }
      if (error != nullptr) {
        if (have_callback) luaL_unref(lua, LUA_REGISTRYINDEX, f.ref);
        return RaiseError(lua, error);
      }
      lua_pop(lua, 1);
    }
    const char* missing = !have_name       ? "redis.register_function must get a function name "
                                             "argument"
                          : !have_callback ? "redis.register_function must get a callback argument"
                                           : nullptr;
    if (missing != nullptr) {
      if (have_callback) luaL_unref(lua, LUA_REGISTRYINDEX, f.ref);
      return RaiseError(lua, missing);
    }
  }
  const char* error = nullptr;
  if (!ValidName(f.name)) error = kBadName.data();
  for (const auto& other : load->library->functions) {
    if (other.name == f.name) error = "Function already exists in the library";
  }
  if (error != nullptr) {
    luaL_unref(lua, LUA_REGISTRYINDEX, f.ref);
    return RaiseError(lua, error);
  }
  load->library->functions.push_back(std::move(f));
  return 0;
}

void LoadHook(lua_State* lua, lua_Debug*) {
  LoadContext* load = GetLoadContext(lua);
  if (load != nullptr && SteadyMs() - load->started_ms > kLoadTimeoutMs) {
    lua_sethook(lua, LoadHook, LUA_MASKLINE, 0);
    RaiseError(lua, "FUNCTION LOAD timeout");
  }
}

// Redis' luaExtractErrorInformation: a string error reads "ERR <it>", a table its err field.
std::string ErrorMessage(lua_State* lua) {
  std::string msg;
  if (lua_isstring(lua, -1)) msg = "ERR " + StringAt(lua, -1);
  if (lua_istable(lua, -1)) {
    lua_getfield(lua, -1, "err");
    if (lua_isstring(lua, -1)) msg = StringAt(lua, -1);
    lua_pop(lua, 1);
  }
  return msg;
}

}  // namespace

ScriptRunner::Functions::Functions(ScriptCaller& c, Engine& e)
    : caller(c), engine(e), lua(scripting::NewSandbox(RegisterFunction)) {}

ScriptRunner::Functions::~Functions() { lua_close(lua); }

std::string ScriptRunner::Functions::Load(std::string_view code, bool replace, std::string* error) {
  // "#!<engine> name=<library>" and the code after that line.
  if (!code.starts_with("#!")) {
    *error = "ERR Missing library metadata";
    return {};
  }
  const size_t line_end = code.find('\n');
  if (line_end == std::string_view::npos) {
    *error = "ERR Invalid library metadata";
    return {};
  }
  std::vector<std::string> parts;
  if (!scripting::SplitArgs(code.substr(0, line_end), &parts) || parts.empty()) {
    *error = "ERR Invalid library metadata";
    return {};
  }
  const std::string engine_name = parts[0].substr(2);
  std::string name;
  bool have_name = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].size() >= 5 &&
        resp::AsciiLower(std::string_view(parts[i]).substr(0, 5)) == "name=") {
      if (have_name) {
        *error = "ERR Invalid metadata value, name argument was given multiple times";
        return {};
      }
      name = parts[i].substr(5);
      have_name = true;
      continue;
    }
    *error = "ERR Invalid metadata value given: " + parts[i];
    return {};
  }
  if (!have_name) {
    *error = "ERR Library name was not given";
    return {};
  }
  if (!ValidName(name)) {
    *error = "ERR " + std::string(kBadName);
    return {};
  }
  if (resp::AsciiLower(engine_name) != "lua") {
    *error = "ERR Engine '" + engine_name + "' not found";
    return {};
  }
  if (libraries.count(name) != 0 && !replace) {
    *error = "ERR Library '" + name + "' already exists";
    return {};
  }

  Library library;
  library.name = name;
  library.code = std::string(code);
  const std::string_view body = code.substr(line_end);
  if (scripting::LoadText(lua, body, "@user_function") != 0) {
    *error = "ERR Error compiling function: " + StringAt(lua, -1);
    lua_settop(lua, 0);
    return {};
  }
  LoadContext load{&library, SteadyMs()};
  SetLoadContext(lua, &load);
  scripting::SetLoadGlobals(lua, true);
  lua_sethook(lua, LoadHook, LUA_MASKCOUNT, 100000);
  const int status = lua_pcall(lua, 0, 0, 0);
  lua_sethook(lua, nullptr, 0, 0);
  scripting::SetLoadGlobals(lua, false);
  SetLoadContext(lua, nullptr);
  const auto drop = [&] {
    for (const Function& f : library.functions) luaL_unref(lua, LUA_REGISTRYINDEX, f.ref);
  };
  if (status != 0) {
    *error = "ERR Error registering functions: " + ErrorMessage(lua);
    lua_settop(lua, 0);
    drop();
    return {};
  }
  lua_settop(lua, 0);
  if (library.functions.empty()) {
    *error = "ERR No functions registered";
    return {};
  }
  for (const Function& f : library.functions) {
    auto it = function_library.find(resp::AsciiLower(f.name));
    if (it != function_library.end() && it->second != name) {
      *error = "ERR Function " + f.name + " already exists";
      drop();
      return {};
    }
  }
  Delete(name);
  for (const Function& f : library.functions) function_library[resp::AsciiLower(f.name)] = name;
  if (persist) engine.Put(Family::kDefault, std::string(kLibraryPrefix) + name, code);
  libraries.emplace(name, std::move(library));
  return name;
}

void ScriptRunner::Functions::Delete(const std::string& name) {
  auto it = libraries.find(name);
  if (it == libraries.end()) return;
  for (const Function& f : it->second.functions) {
    luaL_unref(lua, LUA_REGISTRYINDEX, f.ref);
    function_library.erase(resp::AsciiLower(f.name));
  }
  if (persist) engine.Delete(Family::kDefault, std::string(kLibraryPrefix) + name);
  libraries.erase(it);
}

void ScriptRunner::Functions::Flush() {
  while (!libraries.empty()) Delete(libraries.begin()->first);
  lua_close(lua);
  lua = scripting::NewSandbox(RegisterFunction);
}

Status ScriptRunner::Functions::LoadPersisted() {
  std::vector<std::string> codes;
  auto it = engine.NewIterator(Family::kDefault, std::string(kLibraryPrefix),
                               std::string(kLibraryPrefixEnd));
  for (it->Seek(kLibraryPrefix); it->Valid(); it->Next()) codes.emplace_back(it->value());
  if (Status s = it->status(); !s.ok()) return s;
  for (const std::string& code : codes) {
    std::string error;
    if (Load(code, /*replace=*/true, &error).empty()) caller.ScriptLog(3, "library: " + error);
  }
  // Loading queued the same rows again: nothing changed on disk.
  return Status::Ok();
}

void ScriptRunner::CountFunctions() {
  int64_t count = 0;
  for (const auto& [name, library] : functions_->libraries) {
    count += static_cast<int64_t>(library.functions.size());
  }
  control_.libraries.store(static_cast<int64_t>(functions_->libraries.size()));
  control_.functions.store(count);
}

void ScriptRunner::FunctionLoad(CommandContext& ctx) {
  bool replace = false;
  size_t pos = 2;
  for (; pos + 1 < ctx.argv.size(); ++pos) {
    if (resp::AsciiLower(ctx.argv[pos]) != "replace") {
      ctx.out.Error("ERR Unknown option given: " + std::string(ctx.argv[pos]));
      return;
    }
    replace = true;
  }
  if (pos >= ctx.argv.size()) {
    ctx.out.Error("ERR Function code is missing");
    return;
  }
  std::string error;
  const std::string name = functions_->Load(ctx.argv[pos], replace, &error);
  if (name.empty()) {
    ctx.out.Error(error);
    return;
  }
  CountFunctions();
  ctx.JournalAs({"FUNCTION", "LOAD", "REPLACE", std::string(ctx.argv[pos])});
  ctx.out.Bulk(name);
}

void ScriptRunner::FunctionList(CommandContext& ctx) {
  bool with_code = false;
  bool have_pattern = false;
  std::string_view pattern;
  for (size_t i = 2; i < ctx.argv.size(); ++i) {
    const std::string arg = resp::AsciiLower(ctx.argv[i]);
    if (!with_code && arg == "withcode") {
      with_code = true;
      continue;
    }
    if (!have_pattern && arg == "libraryname") {
      if (i + 1 >= ctx.argv.size()) {
        ctx.out.Error("ERR library name argument was not given");
        return;
      }
      pattern = ctx.argv[++i];
      have_pattern = true;
      continue;
    }
    ctx.out.Error("ERR Unknown argument " + std::string(ctx.argv[i]));
    return;
  }
  std::vector<const Functions::Library*> shown;
  for (const auto& [name, library] : functions_->libraries) {
    if (!have_pattern || GlobMatch(pattern, name, /*nocase=*/true)) shown.push_back(&library);
  }
  resp::ReplyWriter& w = ctx.out;
  w.ArrayHeader(shown.size());
  for (const Functions::Library* library : shown) {
    w.MapHeader(with_code ? 4 : 3);
    w.Bulk("library_name");
    w.Bulk(library->name);
    w.Bulk("engine");
    w.Bulk("LUA");
    w.Bulk("functions");
    w.ArrayHeader(library->functions.size());
    for (const Functions::Function& f : library->functions) {
      w.MapHeader(3);
      w.Bulk("name");
      w.Bulk(f.name);
      w.Bulk("description");
      if (f.has_description) {
        w.Bulk(f.description);
      } else {
        w.Null();
      }
      w.Bulk("flags");
      size_t n = 0;
      for (const FlagName& flag : kFlags) n += (f.flags & flag.bit) != 0;
      w.SetHeader(n);
      for (const FlagName& flag : kFlags) {
        if ((f.flags & flag.bit) != 0) w.SimpleString(flag.name);
      }
    }
    if (with_code) {
      w.Bulk("library_code");
      w.Bulk(library->code);
    }
  }
}

void ScriptRunner::FunctionDelete(CommandContext& ctx) {
  const std::string name(ctx.argv[2]);
  if (functions_->libraries.count(name) == 0) {
    ctx.out.Error("ERR Library not found");
    return;
  }
  functions_->Delete(name);
  CountFunctions();
  ctx.JournalAs({"FUNCTION", "DELETE", name});
  ctx.out.Ok();
}

void ScriptRunner::FunctionFlush(CommandContext& ctx) {
  if (ctx.argv.size() > 3) {
    ctx.out.Error("ERR unknown subcommand or wrong number of arguments for '" +
                  std::string(ctx.argv[1]) + "'. Try FUNCTION HELP.");
    return;
  }
  if (ctx.argv.size() == 3 && resp::AsciiLower(ctx.argv[2]) != "sync" &&
      resp::AsciiLower(ctx.argv[2]) != "async") {
    ctx.out.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    return;
  }
  functions_->Flush();
  CountFunctions();
  ctx.JournalAs({"FUNCTION", "FLUSH"});
  ctx.out.Ok();
}

void ScriptRunner::FunctionStats(CommandContext& ctx) {
  // Queued behind any running function: none runs now (a busy one is answered by the io threads).
  size_t function_count = 0;
  for (const auto& [name, library] : functions_->libraries) {
    function_count += library.functions.size();
  }
  resp::ReplyWriter& w = ctx.out;
  w.MapHeader(2);
  w.Bulk("running_script");
  w.Null();
  w.Bulk("engines");
  w.MapHeader(1);
  w.Bulk("LUA");
  w.MapHeader(2);
  w.Bulk("libraries_count");
  w.Integer(static_cast<int64_t>(functions_->libraries.size()));
  w.Bulk("functions_count");
  w.Integer(static_cast<int64_t>(function_count));
}

void ScriptRunner::FunctionKill(CommandContext& ctx) {
  ctx.out.Error("NOTBUSY No scripts in execution right now.");
}

void ScriptRunner::Fcall(CommandContext& ctx, bool read_only) {
  auto it = functions_->function_library.find(resp::AsciiLower(ctx.argv[1]));
  if (it == functions_->function_library.end()) {
    ctx.out.Error("ERR Function not found");
    return;
  }
  const Functions::Library& library = functions_->libraries.at(it->second);
  const Functions::Function* function = nullptr;
  for (const Functions::Function& f : library.functions) {
    if (resp::AsciiLower(f.name) == it->first) function = &f;
  }
  int64_t numkeys = 0;
  if (!scripting::ParseNumKeys(ctx, "ERR Bad number of keys provided", &numkeys)) return;
  const bool no_writes = (function->flags & kFlagNoWrites) != 0;
  if (read_only && !no_writes) {
    ctx.out.Error("ERR Can not execute a script with write flag using *_ro command.");
    return;
  }
  lua_State* lua = functions_->lua;
  scripting::PushErrorHandler(lua);
  lua_rawgeti(lua, LUA_REGISTRYINDEX, function->ref);
  const size_t nkeys = static_cast<size_t>(numkeys);
  scripting::PushStringTable(lua, ctx.argv.subspan(3, nkeys));
  scripting::PushStringTable(lua, ctx.argv.subspan(3 + nkeys));
  scripting::RunContext run;
  run.caller = &functions_->caller;
  run.control = &control_;
  run.read_only = no_writes;
  control_.function.store(true);
  {
    std::lock_guard lock(control_.mu);
    control_.name = function->name;
    control_.command.assign(ctx.argv.begin(), ctx.argv.end());
    control_.started_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now().time_since_epoch())
                              .count();
  }
  scripting::RunScript(lua, 2, run, function->name, ctx);
  control_.function.store(false);
}

void ScriptRunner::RememberLibrary(std::string_view code) {
  std::string error;
  functions_->Load(code, /*replace=*/true, &error);
  CountFunctions();
}

}  // namespace respite::storage
