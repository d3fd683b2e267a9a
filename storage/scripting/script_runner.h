#pragma once
// Lua scripting on the local store, as Redis 7.0 runs it: EVAL, EVALSHA, their _RO forms and
// SCRIPT. A script runs on the store thread as one unit; its redis.call enters the same command
// handlers a client's command does (through ScriptCaller), so its writes are journaled as the
// commands it ran, as one group. Scripts are cached by SHA1 and persisted in the store, so an
// EVALSHA works after a restart and for scripts first seen while forwarding.
// This header does not include Lua (pimpl). Thread: the store executor only, except
// ScriptControl, which other threads read and signal.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/status.h"

namespace respite::storage {

class Engine;
struct CommandContext;
struct LocalSession;

// What redis.call reaches: the store's dispatcher.
class ScriptCaller {
 public:
  virtual ~ScriptCaller() = default;
  // Runs one command for a script in `session` (the script's db and protocol) and appends its
  // reply to *out: Redis' error replies for commands a script may not run (unknown, wrong arity,
  // not allowed from scripts, a write from a read-only script). Returns false when the store
  // failed and rolled back the pending batch: the script must stop.
  virtual bool CallFromScript(LocalSession& session, std::span<const std::string_view> argv,
                              bool read_only, bool* wrote, std::string* out) = 0;
  // Time stands still for the script's duration, as in Redis (keys do not expire mid-script).
  virtual void FreezeClock(bool frozen) = 0;
  // redis.log (levels 0 debug .. 3 warning).
  virtual void ScriptLog(int level, std::string_view message) = 0;
  // Whether `name` is a command (redis.acl_check_cmd).
  virtual bool KnowsCommand(std::string_view name) const = 0;
};

// A script in progress, as the io threads see it: they answer -BUSY past the threshold and take
// SCRIPT KILL without queueing behind the script.
struct ScriptControl {
  std::atomic<bool> running{false};
  std::atomic<bool> busy{false};      // running longer than busy_threshold_ms
  std::atomic<bool> wrote{false};     // the running script has written (it cannot be killed)
  std::atomic<bool> kill{false};      // SCRIPT KILL (or FUNCTION KILL) asked for
  std::atomic<bool> function{false};  // the running script is a function (FCALL), not an EVAL
  std::atomic<int64_t> busy_threshold_ms{5000};
  // FUNCTION STATS while a function is busy: what runs (under mu) and the library counts.
  std::mutex mu;
  std::string name;
  std::vector<std::string> command;
  int64_t started_ms = 0;  // steady clock
  std::atomic<int64_t> libraries{0};
  std::atomic<int64_t> functions{0};
  // Called on the store thread, inside the script, about every millisecond once it is busy: the
  // executor answers the commands queued behind it -BUSY there, as Redis does. Set once at
  // start-up.
  std::function<void()> while_busy;
};

struct ScriptLimits {
  // Bytes of script bodies remembered from forwarded traffic (scripts run or loaded locally are
  // always kept, as Redis keeps them). Default: 16 MB.
  uint64_t remembered_bytes = 16ull << 20;
};

class ScriptRunner {
 public:
  ScriptRunner(ScriptCaller& caller, Engine& engine, ScriptLimits limits = {});
  ~ScriptRunner();
  ScriptRunner(const ScriptRunner&) = delete;
  ScriptRunner& operator=(const ScriptRunner&) = delete;

  // Reads the cached script bodies and function libraries back from the store (once, after
  // opening).
  Status Load();

  // Command handlers (arity already checked).
  void Eval(CommandContext& ctx, bool by_sha, bool read_only);
  void ScriptLoad(CommandContext& ctx);
  void ScriptExists(CommandContext& ctx);
  void ScriptFlush(CommandContext& ctx);
  void ScriptKill(CommandContext& ctx);
  // Functions (functions.cpp): FUNCTION LOAD/LIST/DELETE/FLUSH/STATS/KILL/DUMP/RESTORE, FCALL,
  // FCALL_RO.
  // Libraries are persisted in the store; LOAD, DELETE and FLUSH done here are journaled as
  // themselves (LOAD as LOAD REPLACE, so replaying it over a library upstream kept converges).
  void FunctionLoad(CommandContext& ctx);
  void FunctionList(CommandContext& ctx);
  void FunctionDelete(CommandContext& ctx);
  void FunctionFlush(CommandContext& ctx);
  void FunctionStats(CommandContext& ctx);
  void FunctionKill(CommandContext& ctx);
  void FunctionDump(CommandContext& ctx);     // functions_dump.cpp
  void FunctionRestore(CommandContext& ctx);  // journaled as itself
  void Fcall(CommandContext& ctx, bool read_only);
  // A library loaded upstream while forwarding (FUNCTION LOAD seen there): kept, not journaled.
  void RememberLibrary(std::string_view code);

  // A script seen while forwarding (an EVAL body, SCRIPT LOAD): cached and persisted (within
  // ScriptLimits::remembered_bytes) so EVALSHA of it works during an outage. Returns its SHA1.
  std::string Remember(std::string_view body);
  // Scripts in the cache (INFO's number_of_cached_scripts).
  size_t cached_scripts() const;
  // Every cached body, for loading upstream before clients are switched back to it.
  std::vector<std::string> Bodies() const;

  ScriptControl& control() { return control_; }

  struct Functions;  // functions.h (internal to the scripting engine)

 private:
  void CountFunctions();  // into control_ (FUNCTION STATS while busy)

  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<Functions> functions_;
  ScriptControl control_;
};

}  // namespace respite::storage
