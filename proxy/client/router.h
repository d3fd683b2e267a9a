#pragma once
// Decides where each client command goes: the shared upstream link, a dedicated link (connection
// state), a relay link (pub/sub, MONITOR, tracking), or respite itself (connection commands that
// respite answers because it owns the client's connection state). Later stages add the local store
// here. Its answer is a function of the command and the session's state (it only remembers the
// last name it looked up, to skip the table lookup); no I/O.

#include <cstddef>
#include <span>
#include <string_view>

#include "resp/command_table.h"

namespace respite::proxy {

// What respite answers itself.
enum class LocalCommand {
  kNone,
  kAuth,
  kHello,
  kSelect,
  kQuit,
  kReset,
  kClientSetName,
  kClientGetName,
  kClientId,
  kClientReply,
  kClientList,  // CLIENT LIST, CLIENT INFO, CLIENT KILL, CLIENT UNBLOCK: about respite's own
  kClientInfo,  // clients, with respite's ids (client_commands.cpp)
  kClientKill,
  kClientUnblock,
  kAclWhoami,    // while serving locally: the user this client logged in as
  kRefuseWrite,  // a write while serving locally read-only
  kRespite,      // RESPITE STATUS|MODE|SYNC|JOURNAL ... (admin_commands.h)
  // UNSUBSCRIBE, PUNSUBSCRIBE or SUNSUBSCRIBE from a client subscribed to nothing: one
  // confirmation per argument (Redis' own answer), which a shared link could not match back.
  kUnsubscribeNothing,
  // (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE while serving locally: this respite's own subscribers
  // (client_pubsub.cpp).
  kPubSub,
};

enum class RouteKind {
  kShared,     // the io thread's shared, pipelined link for the session's db and protocol
  kDedicated,  // the session's own link, leased while it holds connection state
  kRelay,      // the session's own link, relaying every message (sticky until RESET or close)
  kLocal,      // answered by respite
  kStore,      // executed by the local store (serving locally)
};

struct Route {
  RouteKind kind = RouteKind::kShared;
  LocalCommand local = LocalCommand::kNone;
  const resp::CommandSpec* spec = nullptr;  // nullptr: unknown to respite (forwarded as is)
  bool blocking = false;                    // may block upstream: exempt from the request timeout
  bool long_running = false;  // may keep upstream busy (resp::kCmdMayRunLong; patience.h)
  bool sticky = false;        // keeps the dedicated link for the rest of the session
  bool begins_multi = false;
  bool ends_multi = false;  // EXEC or DISCARD (also ends WATCH)
  bool begins_watch = false;
  bool ends_watch = false;  // UNWATCH
  bool info = false;        // INFO: its reply gains the "# respite" section
};

// What the router needs to know of a session.
struct SessionView {
  bool authenticated = true;
  bool has_dedicated = false;
  bool relay = false;
  bool in_multi = false;
  bool serve_locally = false;  // the local store answers instead of upstream
  bool refuse_writes = false;  // ... and it serves reads only
};

class Router {
 public:
  Route Classify(const SessionView& session, std::span<const std::string_view> argv);

  // Whether a command whose upstream outcome is unknown (its reply was lost with the connection)
  // may run on the local store too: reads, idempotent writes (DESIGN.md "Commands in flight"),
  // and blocking commands (re-issued locally). Others get -TRYAGAIN.
  static bool SafeToRunAgain(std::span<const std::string_view> argv);

 private:
  // The command table entry of the name last classified, as the client spelled it: clients
  // mostly repeat a few commands, and comparing a few bytes costs less than a hash lookup.
  // Only found entries are kept (a missing one may be learned from upstream later).
  const resp::CommandSpec* FindSpec(std::string_view name);
  static constexpr size_t kCachedNameLen = 16;
  char cached_name_[kCachedNameLen] = {};
  size_t cached_len_ = 0;  // 0: nothing cached
  const resp::CommandSpec* cached_spec_ = nullptr;
};

}  // namespace respite::proxy
