// Connection and server commands the local store answers itself, so that clients that (re)connect
// during an outage still handshake: PING ECHO SELECT TIME INFO CONFIG GET COMMAND (GETKEYS and
// GETKEYSANDFLAGS from Redis' key specs, resp/key_specs.h).

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "resp/ascii.h"
#include "resp/command_table.h"
#include "resp/key_specs.h"
#include "storage/command_context.h"
#include "storage/command_stats.h"
#include "storage/glob.h"
#include "storage/local_config.h"
#include "storage/local_session.h"
#include "storage/numbers.h"
#include "storage/scripting/script_runner.h"

namespace respite::storage {

namespace {

using resp::EqualsIgnoreCase;

// The Redis version whose behaviour the local store reproduces.
constexpr std::string_view kCompatibleVersion = "7.0.15";

void Ping(CommandContext& ctx) {
  if (ctx.argv.size() > 2) {
    ctx.out.Error("ERR wrong number of arguments for 'ping' command");
  } else if (ctx.argv.size() == 1) {
    ctx.out.SimpleString("PONG");
  } else {
    ctx.out.Bulk(ctx.argv[1]);
  }
}

void Echo(CommandContext& ctx) { ctx.out.Bulk(ctx.argv[1]); }

void Select(CommandContext& ctx) {
  int64_t db;
  if (!ParseInt64(ctx.argv[1], &db)) {
    ctx.NotInteger();
  } else if (db < 0 || db >= kDatabases) {
    ctx.out.Error("ERR DB index is out of range");
  } else {
    ctx.session.db = static_cast<int>(db);
    ctx.out.Ok();
  }
}

void Time(CommandContext& ctx) {
  const int64_t now = ctx.ks.NowMs();
  ctx.out.ArrayHeader(2);
  ctx.out.Bulk(std::to_string(now / 1000));
  ctx.out.Bulk(std::to_string((now % 1000) * 1000));
}

// INFO [section ...]: the sections the local store can fill, as Redis names and formats them.
// No argument, "default", "all" and "everything" give them all; names are case-insensitive.
void Info(CommandContext& ctx) {
  std::vector<std::pair<std::string_view, std::string>> sections;
  sections.emplace_back("server", "redis_version:" + std::string(kCompatibleVersion) +
                                      "\r\nredis_mode:standalone\r\nrespite_local_store:1\r\n");
  if (ctx.client_counts != nullptr) {
    const auto [connected, blocked] = (*ctx.client_counts)();
    sections.emplace_back("clients", "connected_clients:" + std::to_string(connected) +
                                         "\r\ncluster_connections:0\r\nblocked_clients:" +
                                         std::to_string(blocked) + "\r\ntracking_clients:0\r\n");
  }
  sections.emplace_back("memory", "number_of_cached_scripts:" +
                                      std::to_string(ctx.scripts->cached_scripts()) + "\r\n");
  if (ctx.stats != nullptr) {
    sections.emplace_back(
        "stats", "total_commands_processed:" + std::to_string(ctx.stats->total_calls()) +
                     "\r\ntotal_error_replies:" + std::to_string(ctx.stats->total_error_replies()) +
                     "\r\n");
    sections.emplace_back("commandstats", ctx.stats->CommandStatsText());
    sections.emplace_back("errorstats", ctx.stats->ErrorStatsText());
  }
  std::string keyspace;
  for (int db = 0; db < kDatabases; ++db) {
    const uint64_t n = ctx.ks.KeyCount(db);
    if (n > 0) {
      keyspace +=
          "db" + std::to_string(db) + ":keys=" + std::to_string(n) + ",expires=0,avg_ttl=0\r\n";
    }
  }
  sections.emplace_back("keyspace", std::move(keyspace));
  // No argument and "default" give every section but commandstats, as in Redis.
  bool all = false;
  bool defaults = ctx.argv.size() == 1;
  for (size_t i = 1; i < ctx.argv.size(); ++i) {
    for (std::string_view word : {"all", "everything"}) all |= EqualsIgnoreCase(ctx.argv[i], word);
    defaults |= EqualsIgnoreCase(ctx.argv[i], "default");
  }
  std::string text;
  for (const auto& [name, body] : sections) {
    bool wanted = all || (defaults && name != "commandstats");
    for (size_t i = 1; i < ctx.argv.size() && !wanted; ++i) {
      wanted = EqualsIgnoreCase(ctx.argv[i], name);
    }
    if (!wanted) continue;
    if (!text.empty()) text += "\r\n";
    text += "# ";
    text += static_cast<char>(name[0] - 'a' + 'A');
    text += name.substr(1);  // "Commandstats", "Errorstats": Redis' own capitals
    text += "\r\n" + body;
  }
  ctx.out.Verbatim("txt", text);
}

void ConfigGet(CommandContext& ctx) { ctx.config->Get(ctx); }
void ConfigResetStat(CommandContext& ctx) {
  if (ctx.stats != nullptr) ctx.stats->Reset();
  ctx.out.Ok();
}
void ConfigSet(CommandContext& ctx) { ctx.config->Set(ctx); }

void WriteCommandInfo(resp::ReplyWriter& out, const resp::CommandSpec& spec) {
  static const std::pair<uint32_t, std::string_view> kFlagNames[] = {
      {resp::kCmdWrite, "write"},
      {resp::kCmdReadOnly, "readonly"},
      {resp::kCmdDenyOom, "denyoom"},
      {resp::kCmdAdmin, "admin"},
      {resp::kCmdPubSub, "pubsub"},
      {resp::kCmdNoScript, "noscript"},
      {resp::kCmdBlocking, "blocking"},
      {resp::kCmdLoading, "loading"},
      {resp::kCmdStale, "stale"},
      {resp::kCmdSkipMonitor, "skip_monitor"},
      {resp::kCmdFast, "fast"},
      {resp::kCmdNoAuth, "no_auth"},
      {resp::kCmdMovableKeys, "movablekeys"},
      {resp::kCmdNoMulti, "no_multi"},
      {resp::kCmdAllowBusy, "allow_busy"},
  };
  size_t flags = 0;
  for (const auto& [bit, name] : kFlagNames) flags += spec.Has(bit) ? 1 : 0;
  out.ArrayHeader(10);
  out.Bulk(spec.name);
  out.Integer(spec.arity);
  out.SetHeader(flags);
  for (const auto& [bit, name] : kFlagNames) {
    if (spec.Has(bit)) out.SimpleString(name);
  }
  out.Integer(spec.first_key);
  out.Integer(spec.last_key);
  out.Integer(spec.key_step);
  out.SetHeader(0);    // ACL categories
  out.SetHeader(0);    // tips
  out.ArrayHeader(0);  // key specs
  out.ArrayHeader(0);  // subcommands
}

bool IsTopLevel(const resp::CommandSpec& spec) {
  return spec.name.find('|') == std::string_view::npos;
}

void Command(CommandContext& ctx) {
  const auto& rows = resp::CommandTable::Instance().builtin();
  size_t n = 0;
  for (const auto& spec : rows) n += IsTopLevel(spec) ? 1 : 0;
  ctx.out.ArrayHeader(n);
  for (const auto& spec : rows) {
    if (IsTopLevel(spec)) WriteCommandInfo(ctx.out, spec);
  }
}

void CommandCount(CommandContext& ctx) {
  int64_t n = 0;
  for (const auto& spec : resp::CommandTable::Instance().builtin()) n += IsTopLevel(spec) ? 1 : 0;
  ctx.out.Integer(n);
}

void CommandInfo(CommandContext& ctx) {
  ctx.out.ArrayHeader(ctx.argv.size() - 2);
  for (size_t i = 2; i < ctx.argv.size(); ++i) {
    const resp::CommandSpec* spec = resp::CommandTable::Instance().Find(ctx.argv[i]);
    if (spec == nullptr) {
      ctx.out.NullArray();
    } else {
      WriteCommandInfo(ctx.out, *spec);
    }
  }
}

void CommandList(CommandContext& ctx) {
  const auto& rows = resp::CommandTable::Instance().builtin();
  size_t n = 0;
  for (const auto& spec : rows) n += IsTopLevel(spec) ? 1 : 0;
  ctx.out.ArrayHeader(n);
  for (const auto& spec : rows) {
    if (IsTopLevel(spec)) ctx.out.Bulk(spec.name);
  }
}

// COMMAND GETKEYS|GETKEYSANDFLAGS command [arg ...]: the keys Redis would find in the command.
void GetKeys(CommandContext& ctx, bool with_flags) {
  const std::span<const std::string_view> target = ctx.argv.subspan(2);
  const resp::CommandTable& table = resp::CommandTable::Instance();
  const resp::CommandSpec* spec = table.Find(target[0]);
  if (spec != nullptr && spec->Has(resp::kCmdContainer) && target.size() >= 2) {
    spec = table.Find(target[0], target[1]);
  }
  if (spec == nullptr) {
    ctx.out.Error("ERR Invalid command specified");
    return;
  }
  std::vector<resp::KeyRef> keys;
  switch (resp::GetKeys(*spec, target, &keys)) {
    case resp::GetKeysOutcome::kNoKeys:
      ctx.out.Error("ERR The command has no key arguments");
      return;
    case resp::GetKeysOutcome::kBadArity:
      ctx.out.Error("ERR Invalid number of arguments specified for command");
      return;
    case resp::GetKeysOutcome::kInvalidArgs:
      ctx.out.Error("ERR Invalid arguments specified for command");
      return;
    case resp::GetKeysOutcome::kKeys:
      break;
  }
  ctx.out.ArrayHeader(keys.size());
  for (const resp::KeyRef& key : keys) {
    if (!with_flags) {
      ctx.out.Bulk(target[key.pos]);
      continue;
    }
    ctx.out.ArrayHeader(2);
    ctx.out.Bulk(target[key.pos]);
    const std::vector<std::string_view> names = resp::KeyFlagNames(key.flags);
    ctx.out.SetHeader(names.size());
    for (std::string_view name : names) ctx.out.SimpleString(name);
  }
}
void CommandGetKeys(CommandContext& ctx) { GetKeys(ctx, /*with_flags=*/false); }
void CommandGetKeysAndFlags(CommandContext& ctx) { GetKeys(ctx, /*with_flags=*/true); }

// Documentation is not kept locally; clients use COMMAND DOCS only for hints.
void CommandDocs(CommandContext& ctx) { ctx.out.MapHeader(0); }

}  // namespace

std::span<const LocalCommandDef> ServerCommands() {
  static const LocalCommandDef kRows[] = {
      {"command", &Command},
      {"command|count", &CommandCount},
      {"command|docs", &CommandDocs},
      {"command|getkeys", &CommandGetKeys},
      {"command|getkeysandflags", &CommandGetKeysAndFlags},
      {"command|info", &CommandInfo},
      {"command|list", &CommandList},
      {"config|get", &ConfigGet},
      {"config|resetstat", &ConfigResetStat},
      {"config|set", &ConfigSet},
      {"echo", &Echo},
      {"info", &Info},
      {"ping", &Ping},
      {"select", &Select},
      {"time", &Time},
  };
  return kRows;
}

}  // namespace respite::storage
