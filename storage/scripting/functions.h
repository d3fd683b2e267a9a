#pragma once
// Internal to the scripting engine: the function libraries (FUNCTION LOAD ... FCALL), in a Lua
// state of their own as Redis 7.0 keeps them. Thread: the store executor only.

#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/scripting/lua_internal.h"
#include "storage/scripting/script_runner.h"

namespace respite::storage {

struct ScriptRunner::Functions {
  struct Function {
    std::string name;
    bool has_description = false;
    std::string description;
    uint32_t flags = 0;   // kFlag* bits
    int ref = LUA_NOREF;  // the callback, in the registry
  };
  struct Library {
    std::string name;
    std::string code;  // as loaded, shebang included
    std::vector<Function> functions;
  };

  Functions(ScriptCaller& caller, Engine& engine);
  ~Functions();

  // Compiles and registers a library. Returns its name, or "" with *error set (Redis' text).
  std::string Load(std::string_view code, bool replace, std::string* error);
  void Delete(const std::string& name);
  void Flush();
  Status LoadPersisted();

  ScriptCaller& caller;
  Engine& engine;
  bool persist = true;  // false: a scratch set (FUNCTION RESTORE checks a payload in one)
  lua_State* lua = nullptr;
  std::map<std::string, Library> libraries;  // by name (case-sensitive, as Redis)
  // Lower-cased function name -> its library (FCALL finds names case-insensitively).
  std::unordered_map<std::string, std::string> function_library;
};

// The CRC-64 (Jones) that ends a FUNCTION DUMP payload, as Redis computes it.
uint64_t DumpCrc64(std::string_view data);

}  // namespace respite::storage
