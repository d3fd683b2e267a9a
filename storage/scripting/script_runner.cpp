#include "storage/scripting/script_runner.h"

#include <chrono>
#include <unordered_map>

#include "resp/ascii.h"
#include "storage/command_context.h"
#include "storage/engine.h"
#include "storage/numbers.h"
#include "storage/scripting/functions.h"
#include "storage/scripting/lua_internal.h"

namespace respite::storage {

namespace {

// Persisted bodies: kDefault "script:<sha>" -> body.
constexpr std::string_view kScriptPrefix = "script:";
constexpr std::string_view kScriptPrefixEnd = "script;";

constexpr std::string_view kNoScript = "NOSCRIPT No matching script. Please use EVAL.";
// Instructions between two looks at the clock and at SCRIPT KILL (Redis uses the same count).
constexpr int kHookInstructions = 100000;
// A garbage-collection step every this many scripts, as Redis does.
constexpr int kGcPeriod = 50;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Shebang flags (EVAL scripts that start with "#!lua").
struct ScriptFlags {
  bool shebang = false;  // without one a script runs in Redis' compatibility mode
  bool no_writes = false;
};

// Parses the "#!lua flags=..." line as Redis 7.0 does. On success *body_offset is where the code
// to compile starts (the line's newline is kept, so line numbers do not move).
bool ParseShebang(std::string_view body, ScriptFlags* flags, size_t* body_offset,
                  std::string* error) {
  *flags = {};
  *body_offset = 0;
  if (!body.starts_with("#!")) return true;
  const size_t end = body.find('\n');
  if (end == std::string_view::npos) {
    *error = "ERR Invalid script shebang";
    return false;
  }
  flags->shebang = true;
  *body_offset = end;
  std::vector<std::string> parts;
  if (!scripting::SplitArgs(body.substr(0, end), &parts) || parts.empty()) {
    *error = "ERR Invalid engine in script shebang";
    return false;
  }
  if (parts[0] != "#!lua") {
    *error = "ERR Unexpected engine in script shebang: " + parts[0];
    return false;
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    if (!part.starts_with("flags=")) {
      *error = "ERR Unknown lua shebang option: " + part;
      return false;
    }
    std::string_view list = std::string_view(part).substr(6);
    while (!list.empty()) {
      const size_t comma = list.find(',');
      const std::string_view flag = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      if (flag == "no-writes") {
        flags->no_writes = true;
      } else if (flag != "allow-oom" && flag != "allow-stale" && flag != "no-cluster" &&
                 flag != "allow-cross-slot-keys") {
        *error = "ERR Unexpected flag in script shebang: " + std::string(flag);
        return false;
      }
    }
  }
  return true;
}

}  // namespace

namespace scripting {

namespace {

void Hook(lua_State* lua, lua_Debug*) {
  RunContext* run = GetRunContext(lua);
  if (run == nullptr) return;
  ScriptControl& control = *run->control;
  if (!control.busy.load(std::memory_order_relaxed) &&
      SteadyMs() - run->started_ms >= control.busy_threshold_ms.load(std::memory_order_relaxed)) {
    control.busy.store(true);
    run->caller->ScriptLog(3, "Slow script detected: still in execution after " +
                                  std::to_string(SteadyMs() - run->started_ms) +
                                  " milliseconds. You can try killing the script using the SCRIPT "
                                  "KILL command.");
  }
  if (control.busy.load(std::memory_order_relaxed) && control.while_busy) control.while_busy();
  if (control.kill.load(std::memory_order_relaxed) && !run->wrote) {
    // Raised again at every line, so a script cannot pcall its way past it.
    lua_sethook(lua, Hook, LUA_MASKLINE, 0);
    PushErrorTable(lua, "Script killed by user with SCRIPT KILL...");
    lua_error(lua);
  }
}

}  // namespace

bool ParseNumKeys(CommandContext& ctx, std::string_view not_integer, int64_t* numkeys) {
  if (!ParseInt64(ctx.argv[2], numkeys)) {
    ctx.out.Error(not_integer);
    return false;
  }
  if (*numkeys > static_cast<int64_t>(ctx.argv.size()) - 3) {
    ctx.out.Error("ERR Number of keys can't be greater than number of args");
    return false;
  }
  if (*numkeys < 0) {
    ctx.out.Error("ERR Number of keys can't be negative");
    return false;
  }
  return true;
}

void PushStringTable(lua_State* lua, std::span<const std::string_view> items) {
  lua_createtable(lua, static_cast<int>(items.size()), 0);
  for (size_t i = 0; i < items.size(); ++i) {
    lua_pushlstring(lua, items[i].data(), items[i].size());
    lua_rawseti(lua, -2, static_cast<int>(i + 1));
  }
}

void RunScript(lua_State* lua, int nargs, RunContext& run, std::string_view name,
               CommandContext& ctx) {
  ScriptControl& control = *run.control;
  run.session.db = ctx.db;
  run.session.protocol = 2;
  run.started_ms = SteadyMs();
  SetRunContext(lua, &run);
  control.kill.store(false);
  control.wrote.store(false);
  control.busy.store(false);
  control.running.store(true);
  lua_sethook(lua, Hook, LUA_MASKCOUNT, kHookInstructions);
  run.caller->FreezeClock(true);

  const int status = lua_pcall(lua, nargs, 1, -2 - nargs);

  run.caller->FreezeClock(false);
  lua_sethook(lua, nullptr, 0, 0);
  control.running.store(false);
  control.busy.store(false);
  control.kill.store(false);
  SetRunContext(lua, nullptr);

  if (run.store_failed) {
    ctx.failed = true;
    std::string_view text = run.reply;
    while (!text.empty() && (text.back() == '\r' || text.back() == '\n')) text.remove_suffix(1);
    if (text.starts_with('-')) text.remove_prefix(1);
    ctx.out.Error(text);
  } else if (status == 0) {
    WriteLuaValue(lua, run.session.protocol, ctx.out);
  } else if (lua_istable(lua, -1)) {
    // "-<err>" plus where it happened, when the error handler could tell.
    lua_getfield(lua, -1, "err");
    size_t len = 0;
    const char* err = lua_tolstring(lua, -1, &len);
    std::string message = err == nullptr ? "ERR unknown error" : std::string(err, len);
    lua_getfield(lua, -2, "source");
    lua_getfield(lua, -3, "line");
    const char* source = lua_tostring(lua, -2);
    const char* line = lua_tostring(lua, -1);
    if (source != nullptr && line != nullptr) {
      message += " script: " + std::string(name) + ", on " + source + ":" + line + ".";
    }
    ctx.out.Error(message);
  } else {
    const char* msg = lua_tostring(lua, -1);
    std::string text = msg == nullptr ? "execution failure" : std::string(msg);
    if (text.size() > 100) text.resize(100);
    ctx.out.Error("ERR Error running script " + std::string(name) + ", " + text);
  }
  lua_settop(lua, 0);
}

}  // namespace scripting

struct ScriptRunner::Impl {
  struct Script {
    std::string body;
    ScriptFlags flags;
    bool compiled = false;  // its function is in the state's registry table of scripts
  };

  Impl(ScriptCaller& c, Engine& e, ScriptLimits l) : caller(c), engine(e), limits(l) { Reset(); }
  ~Impl() {
    if (lua != nullptr) lua_close(lua);
  }

  void Reset() {
    if (lua != nullptr) lua_close(lua);
    lua = scripting::NewSandbox();
    for (auto& [sha, script] : scripts) script.compiled = false;
  }

  // Adds a script to the cache (compiling it first when `compile`), persisting it. Returns null
  // with *error set when it does not compile.
  Script* Add(std::string_view body, const std::string& sha, std::string* error) {
    auto it = scripts.find(sha);
    if (it != scripts.end()) return &it->second;
    Script script;
    script.body = std::string(body);
    size_t offset = 0;
    if (!ParseShebang(body, &script.flags, &offset, error)) return nullptr;
    if (!Compile(sha, body.substr(offset), error)) return nullptr;
    script.compiled = true;
    engine.Put(Family::kDefault, std::string(kScriptPrefix) + sha, body);
    bytes += body.size();
    return &scripts.emplace(sha, std::move(script)).first->second;
  }

  // Compiles `code` into the registry table of scripts under `sha`.
  bool Compile(const std::string& sha, std::string_view code, std::string* error) {
    if (scripting::LoadText(lua, code, "@user_script") != 0) {
      size_t len = 0;
      const char* msg = lua_tolstring(lua, -1, &len);
      *error = "ERR Error compiling script (new function): " +
               std::string(msg == nullptr ? "" : std::string_view(msg, len));
      lua_pop(lua, 1);
      return false;
    }
    lua_setfield(lua, LUA_REGISTRYINDEX, ("f_" + sha).c_str());
    return true;
  }

  bool EnsureCompiled(const std::string& sha, Script& script, std::string* error) {
    if (script.compiled) return true;
    size_t offset = 0;
    ScriptFlags flags;
    if (!ParseShebang(script.body, &flags, &offset, error)) return false;
    if (!Compile(sha, std::string_view(script.body).substr(offset), error)) return false;
    script.flags = flags;
    script.compiled = true;
    return true;
  }

  void Run(CommandContext& ctx, const std::string& sha, bool read_only, int64_t numkeys,
           ScriptControl& control);

  ScriptCaller& caller;
  Engine& engine;
  ScriptLimits limits;
  lua_State* lua = nullptr;
  std::unordered_map<std::string, Script> scripts;
  uint64_t bytes = 0;
  int runs = 0;
};

void ScriptRunner::Impl::Run(CommandContext& ctx, const std::string& sha, bool read_only,
                             int64_t numkeys, ScriptControl& control) {
  // KEYS and ARGV.
  const size_t nkeys = static_cast<size_t>(numkeys);
  scripting::PushStringTable(lua, ctx.argv.subspan(3, nkeys));
  scripting::SetProtectedGlobal(lua, "KEYS");
  scripting::PushStringTable(lua, ctx.argv.subspan(3 + nkeys));
  scripting::SetProtectedGlobal(lua, "ARGV");

  scripting::PushErrorHandler(lua);
  lua_getfield(lua, LUA_REGISTRYINDEX, ("f_" + sha).c_str());
  scripting::RunContext run;
  run.caller = &caller;
  run.control = &control;
  run.read_only = read_only;
  scripting::RunScript(lua, 0, run, sha, ctx);
  if (++runs % kGcPeriod == 0) lua_gc(lua, LUA_GCSTEP, 1);
}

ScriptRunner::ScriptRunner(ScriptCaller& caller, Engine& engine, ScriptLimits limits)
    : impl_(std::make_unique<Impl>(caller, engine, limits)),
      functions_(std::make_unique<Functions>(caller, engine)) {}

ScriptRunner::~ScriptRunner() = default;

Status ScriptRunner::Load() {
  auto it = impl_->engine.NewIterator(Family::kDefault, std::string(kScriptPrefix),
                                      std::string(kScriptPrefixEnd));
  for (it->Seek(kScriptPrefix); it->Valid(); it->Next()) {
    const std::string sha(it->key().substr(kScriptPrefix.size()));
    Impl::Script script;
    script.body = std::string(it->value());
    impl_->bytes += script.body.size();
    impl_->scripts.emplace(sha, std::move(script));
  }
  if (Status s = it->status(); !s.ok()) return s;
  Status loaded = functions_->LoadPersisted();
  CountFunctions();
  return loaded;
}

void ScriptRunner::Eval(CommandContext& ctx, bool by_sha, bool read_only) {
  int64_t numkeys = 0;
  if (!scripting::ParseNumKeys(ctx, "ERR value is not an integer or out of range", &numkeys)) {
    return;
  }
  std::string sha;
  Impl::Script* script = nullptr;
  std::string error;
  if (by_sha) {
    if (ctx.argv[1].size() != 40) {
      ctx.out.Error(kNoScript);
      return;
    }
    sha = resp::AsciiLower(ctx.argv[1]);
    auto it = impl_->scripts.find(sha);
    if (it == impl_->scripts.end()) {
      ctx.out.Error(kNoScript);
      return;
    }
    script = &it->second;
    if (!impl_->EnsureCompiled(sha, *script, &error)) {
      // Remembered from forwarded traffic, where upstream refused it too.
      ctx.out.Error(kNoScript);
      return;
    }
  } else {
    sha = scripting::Sha1Hex(ctx.argv[1]);
    auto it = impl_->scripts.find(sha);
    script = it != impl_->scripts.end() ? &it->second : impl_->Add(ctx.argv[1], sha, &error);
    if (script == nullptr || !impl_->EnsureCompiled(sha, *script, &error)) {
      ctx.out.Error(error);
      return;
    }
  }
  if (read_only && script->flags.shebang && !script->flags.no_writes) {
    ctx.out.Error("ERR Can not execute a script with write flag using *_ro command.");
    return;
  }
  impl_->Run(ctx, sha, read_only || script->flags.no_writes, numkeys, control_);
}

void ScriptRunner::ScriptLoad(CommandContext& ctx) {
  const std::string sha = scripting::Sha1Hex(ctx.argv[2]);
  std::string error;
  Impl::Script* script = impl_->Add(ctx.argv[2], sha, &error);
  if (script == nullptr || !impl_->EnsureCompiled(sha, *script, &error)) {
    ctx.out.Error(error);
    return;
  }
  ctx.out.Bulk(sha);
}

void ScriptRunner::ScriptExists(CommandContext& ctx) {
  ctx.out.ArrayHeader(ctx.argv.size() - 2);
  for (size_t i = 2; i < ctx.argv.size(); ++i) {
    ctx.out.Integer(impl_->scripts.count(resp::AsciiLower(ctx.argv[i])) != 0 ? 1 : 0);
  }
}

void ScriptRunner::ScriptFlush(CommandContext& ctx) {
  if (ctx.argv.size() > 3 || (ctx.argv.size() == 3 && resp::AsciiLower(ctx.argv[2]) != "sync" &&
                              resp::AsciiLower(ctx.argv[2]) != "async")) {
    ctx.out.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    return;
  }
  for (const auto& [sha, script] : impl_->scripts) {
    impl_->engine.Delete(Family::kDefault, std::string(kScriptPrefix) + sha);
  }
  impl_->scripts.clear();
  impl_->bytes = 0;
  impl_->Reset();
  ctx.out.Ok();
}

void ScriptRunner::ScriptKill(CommandContext& ctx) {
  // A script past busy-reply-threshold is killed from the io threads (control().kill); here,
  // queued behind any script, there is none running.
  ctx.out.Error("NOTBUSY No scripts in execution right now.");
}

std::string ScriptRunner::Remember(std::string_view body) {
  const std::string sha = scripting::Sha1Hex(body);
  if (impl_->scripts.count(sha) != 0) return sha;
  if (impl_->bytes + body.size() > impl_->limits.remembered_bytes) return sha;
  Impl::Script script;
  script.body = std::string(body);
  impl_->engine.Put(Family::kDefault, std::string(kScriptPrefix) + sha, body);
  impl_->bytes += body.size();
  impl_->scripts.emplace(sha, std::move(script));
  return sha;
}

size_t ScriptRunner::cached_scripts() const { return impl_->scripts.size(); }

std::vector<std::string> ScriptRunner::Bodies() const {
  std::vector<std::string> out;
  out.reserve(impl_->scripts.size());
  for (const auto& [sha, script] : impl_->scripts) out.push_back(script.body);
  return out;
}

}  // namespace respite::storage
