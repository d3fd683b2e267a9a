#pragma once
// What a local command handler gets: its arguments, a reply writer, the keyspace, the client's
// session, and the journal hook. Handlers write exactly one reply (via `out`) and never hand-write
// RESP. Thread: the store executor only.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resp/reply_writer.h"
#include "storage/journal_record.h"
#include "storage/keyspace.h"
#include "storage/status.h"

namespace respite::storage {

struct LocalSession;
class ScriptRunner;
class LocalConfig;
class CommandStats;
class PubSubBroker;

struct CommandContext {
  CommandContext(std::span<const std::string_view> argv_in, resp::ReplyWriter& out_in,
                 Keyspace& ks_in, LocalSession& session_in, int db_in)
      : argv(argv_in), out(out_in), ks(ks_in), session(session_in), db(db_in) {}

  std::span<const std::string_view> argv;
  resp::ReplyWriter& out;
  Keyspace& ks;
  LocalSession& session;
  int db;                           // the session's selected db when the command runs
  ScriptRunner* scripts = nullptr;  // EVAL, SCRIPT: the store's Lua engine
  LocalConfig* config = nullptr;    // CONFIG GET/SET
  CommandStats* stats = nullptr;    // INFO commandstats/errorstats, CONFIG RESETSTAT
  PubSubBroker* pubsub = nullptr;   // PUBLISH, PUBSUB: this respite's subscribers (may be null)
  // INFO's Clients section: connected and blocked clients, as the proxy counts them (may be null).
  const std::function<std::pair<uint64_t, uint64_t>()>* client_counts = nullptr;
  int64_t last_save_unix = 0;  // LASTSAVE: when the store opened (Unix seconds)

  // Journal hook (failover stage). A write command that changed data records the command that
  // reproduces the effect the client observed: relative TTLs made absolute (PEXPIREAT, SET ..
  // PXAT), pops as the removal of what was returned (LREM), INCR as INCRBY, and so on (DESIGN.md,
  // "Journal semantics"). A write that records nothing is journaled as its argv when it changed
  // data; a command that changed nothing (SET NX on an existing key) calls NoJournal().
  void JournalAs(std::initializer_list<std::string_view> command) { journal->Add(command, db); }
  void JournalAs(const std::vector<std::string>& command) { journal->Add(command, db); }
  void NoJournal() { journal_none = true; }
  JournalRecord* journal = nullptr;  // this command's own (the store reuses it)
  bool journal_none = false;

  // A storage failure: replies "-ERR local store: ..." and rolls the command back.
  void Fail(const Status& status) {
    failed = true;
    failure = status;
    out.Error("ERR local store: " + status.ToString());
  }
  bool failed = false;
  Status failure;  // with `failed`: why

  // Blocking commands (BLPOP, BLMOVE, BZPOPMIN, ...) run as their non-blocking attempt. When
  // nothing is available the handler writes no reply and sets this; the caller parks the client
  // and runs the command again when one of its keys is modified (or replies nil on timeout).
  bool would_block = false;
  // With would_block: the timeout in ms when the handler knows it (XREAD BLOCK; -1: the proxy
  // reads it from argv), and the command to run again instead of argv (XREAD with "$" resolved).
  int64_t block_timeout_ms = -1;
  std::vector<std::string> block_argv;
  // Called by a script (redis.call): XREAD refuses BLOCK there, as Redis does.
  bool in_script = false;

  // Helpers for the common replies.
  void WrongType() {
    out.Error("WRONGTYPE Operation against a key holding the wrong kind of value");
  }
  void SyntaxError() { out.Error("ERR syntax error"); }
  void NotInteger() { out.Error("ERR value is not an integer or out of range"); }
  void NotFloat() { out.Error("ERR value is not a valid float"); }
};

using LocalHandler = void (*)(CommandContext& ctx);

// One row of a family's registration table (at the end of each family file).
struct LocalCommandDef {
  std::string_view name;  // lower case, as in resp/command_table (subcommands "config|get")
  LocalHandler handler;
};

// Each family exports its rows.
std::span<const LocalCommandDef> StringCommands();
std::span<const LocalCommandDef> KeyCommands();
std::span<const LocalCommandDef> HashCommands();
std::span<const LocalCommandDef> ListCommands();
std::span<const LocalCommandDef> SetCommands();
std::span<const LocalCommandDef> ZSetCommands();
std::span<const LocalCommandDef> ServerCommands();
std::span<const LocalCommandDef> ScriptCommands();
std::span<const LocalCommandDef> PubSubCommands();
std::span<const LocalCommandDef> StreamCommands();
std::span<const LocalCommandDef> StreamInfoCommands();
std::span<const LocalCommandDef> StreamGroupCommands();
std::span<const LocalCommandDef> StreamClaimCommands();
std::span<const LocalCommandDef> BitmapCommands();
std::span<const LocalCommandDef> HyperLogLogCommands();
std::span<const LocalCommandDef> SortCommands();
std::span<const LocalCommandDef> LcsCommands();
std::span<const LocalCommandDef> ObjectCommands();
std::span<const LocalCommandDef> GeoCommands();
std::span<const LocalCommandDef> DumpRestoreCommands();

}  // namespace respite::storage
