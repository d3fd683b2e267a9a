#include "proxy/client/script_busy.h"

#include <chrono>
#include <mutex>

#include "proxy/errors.h"
#include "resp/ascii.h"
#include "resp/command_table.h"
#include "resp/reply_writer.h"
#include "storage/scripting/script_runner.h"

namespace respite::proxy {

namespace {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void WriteFunctionStats(storage::ScriptControl& script, resp::ReplyWriter& w) {
  std::lock_guard lock(script.mu);
  w.MapHeader(2);
  w.Bulk("running_script");
  w.MapHeader(3);
  w.Bulk("name");
  w.Bulk(script.name);
  w.Bulk("command");
  w.ArrayHeader(script.command.size());
  for (const std::string& arg : script.command) w.Bulk(arg);
  w.Bulk("duration_ms");
  w.Integer(SteadyMs() - script.started_ms);
  w.Bulk("engines");
  w.MapHeader(1);
  w.Bulk("LUA");
  w.MapHeader(2);
  w.Bulk("libraries_count");
  w.Integer(script.libraries.load());
  w.Bulk("functions_count");
  w.Integer(script.functions.load());
}

}  // namespace

bool BusyScriptReply(storage::ScriptControl& script, std::span<const std::string_view> argv,
                     int protocol, std::string* reply) {
  if (argv.empty() || !script.busy.load(std::memory_order_relaxed)) return false;
  const resp::CommandTable& table = resp::CommandTable::Instance();
  const resp::CommandSpec* spec = table.Find(argv[0]);
  if (spec != nullptr && spec->Has(resp::kCmdContainer) && argv.size() > 1) {
    spec = table.Find(argv[0], argv[1]);
  }
  resp::ReplyWriter w(reply, protocol);
  const bool function = script.function.load();
  const std::string_view busy = function ? errors::kBusyFunction : errors::kBusyScript;
  const std::string_view name = spec != nullptr ? spec->name : std::string_view();
  if (name == "script|kill" || name == "function|kill") {
    // SCRIPT KILL stops an EVAL, FUNCTION KILL a function; the other one gets -BUSY.
    if ((name == "function|kill") != function) {
      w.Error(busy);
    } else if (script.wrote.load()) {
      w.Error(
          "UNKILLABLE Sorry the script already executed write commands against the dataset. You "
          "can either wait the script termination or kill the server in a hard way using the "
          "SHUTDOWN NOSAVE command.");
    } else {
      script.kill.store(true);
      w.Ok();
    }
    return true;
  }
  if (name == "function|stats") {
    if (function) {
      WriteFunctionStats(script, w);
    } else {
      w.Error(busy);
    }
    return true;
  }
  if (spec != nullptr && spec->Has(resp::kCmdAllowBusy)) return false;
  w.Error(busy);
  return true;
}

}  // namespace respite::proxy
