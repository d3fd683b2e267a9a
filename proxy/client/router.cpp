#include "proxy/client/router.h"

#include <algorithm>
#include <cstring>
#include <iterator>

#include "resp/ascii.h"

namespace respite::proxy {

namespace {

using resp::CommandSpec;
using resp::CommandTable;

bool IEquals(std::string_view a, std::string_view b) { return resp::EqualsIgnoreCase(a, b); }

// The built-in commands routing cares about, looked up once so that classification compares
// pointers instead of names.
struct Specs {
  const CommandSpec* auth;
  const CommandSpec* hello;
  const CommandSpec* select;
  const CommandSpec* quit;
  const CommandSpec* reset;
  const CommandSpec* client;
  const CommandSpec* acl;
  const CommandSpec* multi;
  const CommandSpec* exec;
  const CommandSpec* discard;
  const CommandSpec* watch;
  const CommandSpec* unwatch;
  const CommandSpec* subscribe;
  const CommandSpec* psubscribe;
  const CommandSpec* ssubscribe;
  const CommandSpec* unsubscribe;
  const CommandSpec* punsubscribe;
  const CommandSpec* sunsubscribe;
  const CommandSpec* monitor;
  const CommandSpec* wait;
  const CommandSpec* waitaof;
  const CommandSpec* info;

  static const Specs& Get() {
    static const Specs specs = [] {
      const CommandTable& t = CommandTable::Instance();
      Specs s{};
      s.auth = t.Find("auth");
      s.hello = t.Find("hello");
      s.select = t.Find("select");
      s.quit = t.Find("quit");
      s.reset = t.Find("reset");
      s.info = t.Find("info");
      s.client = t.Find("client");
      s.acl = t.Find("acl");
      s.multi = t.Find("multi");
      s.exec = t.Find("exec");
      s.discard = t.Find("discard");
      s.watch = t.Find("watch");
      s.unwatch = t.Find("unwatch");
      s.subscribe = t.Find("subscribe");
      s.psubscribe = t.Find("psubscribe");
      s.ssubscribe = t.Find("ssubscribe");
      s.unsubscribe = t.Find("unsubscribe");
      s.punsubscribe = t.Find("punsubscribe");
      s.sunsubscribe = t.Find("sunsubscribe");
      s.monitor = t.Find("monitor");
      s.wait = t.Find("wait");
      s.waitaof = t.Find("waitaof");  // absent before Redis 7.2
      return s;
    }();
    return specs;
  }
};

Route ClassifyClient(const SessionView& session, std::span<const std::string_view> argv,
                     Route route) {
  if (argv.size() < 2) return route;  // arity error: upstream says so
  const std::string_view sub = argv[1];
  // Subcommands respite answers itself: (name, argument counts allowed or 0 for any, command).
  // Other arities are upstream's to refuse, in Redis' words.
  struct Answered {
    std::string_view name;
    size_t min_args, max_args;
    LocalCommand local;
  };
  static constexpr Answered kAnswered[] = {
      {"setname", 0, 0, LocalCommand::kClientSetName},
      {"getname", 0, 0, LocalCommand::kClientGetName},
      {"id", 0, 0, LocalCommand::kClientId},
      {"reply", 0, 0, LocalCommand::kClientReply},
      {"list", 0, 0, LocalCommand::kClientList},
      {"info", 0, 0, LocalCommand::kClientInfo},
      {"kill", 3, 0, LocalCommand::kClientKill},
      {"unblock", 3, 4, LocalCommand::kClientUnblock},
  };
  for (const Answered& a : kAnswered) {
    if (!IEquals(sub, a.name)) continue;
    if (argv.size() < a.min_args || (a.max_args != 0 && argv.size() > a.max_args)) return route;
    route.kind = RouteKind::kLocal;
    route.local = a.local;
    return route;
  }
  if (IEquals(sub, "tracking")) {
    // Invalidation messages arrive on the tracking connection itself (RESP3 push).
    route.kind = RouteKind::kRelay;
    route.sticky = true;
  } else if (IEquals(sub, "no-evict") || IEquals(sub, "no-touch") || IEquals(sub, "caching")) {
    // Connection flags: they only mean something on the client's own connection.
    route.kind = session.relay ? RouteKind::kRelay : RouteKind::kDedicated;
    route.sticky = true;
  }
  return route;
}

// Writes whose second application changes nothing.
bool IdempotentWrite(std::string_view name, std::span<const std::string_view> argv) {
  static constexpr std::string_view kIdempotent[] = {
      "del",    "expireat", "hdel", "hmset", "hset", "mset",   "persist", "pexpireat",
      "psetex", "sadd",     "set",  "setex", "srem", "unlink", "zadd",    "zrem"};
  if (std::find(std::begin(kIdempotent), std::end(kIdempotent), name) == std::end(kIdempotent)) {
    return false;
  }
  if (name == "zadd") {  // ZADD ... INCR adds again
    for (std::string_view a : argv) {
      if (IEquals(a, "incr")) return false;
    }
  }
  return true;
}

}  // namespace

bool Router::SafeToRunAgain(std::span<const std::string_view> argv) {
  const CommandSpec* spec = CommandTable::Instance().Find(argv[0]);
  if (spec == nullptr) return false;
  if (spec->Has(resp::kCmdBlocking)) return true;
  if (!spec->Has(resp::kCmdWrite)) return spec->Has(resp::kCmdReadOnly);
  return IdempotentWrite(spec->name, argv);
}

const resp::CommandSpec* Router::FindSpec(std::string_view name) {
  if (name.size() == cached_len_ && std::memcmp(name.data(), cached_name_, name.size()) == 0) {
    return cached_spec_;
  }
  const CommandSpec* spec = CommandTable::Instance().Find(name);
  if (spec != nullptr && !name.empty() && name.size() <= kCachedNameLen) {
    std::memcpy(cached_name_, name.data(), name.size());
    cached_len_ = name.size();
    cached_spec_ = spec;
  }
  return spec;
}

Route Router::Classify(const SessionView& session, std::span<const std::string_view> argv) {
  const Specs& s = Specs::Get();
  Route route;
  route.spec = FindSpec(argv[0]);
  const CommandSpec* spec = route.spec;

  // Respite owns authentication of its clients.
  if (spec == s.auth) {
    route.kind = RouteKind::kLocal;
    route.local = LocalCommand::kAuth;
    return route;
  }
  if (spec == s.quit) {
    route.kind = RouteKind::kLocal;
    route.local = LocalCommand::kQuit;
    return route;
  }
  if (spec == s.reset) {
    route.kind = RouteKind::kLocal;
    route.local = LocalCommand::kReset;
    return route;
  }
  if (spec == s.hello && !session.in_multi) {
    route.kind = RouteKind::kLocal;
    route.local = LocalCommand::kHello;
    return route;
  }
  if (!session.authenticated) {
    route.kind = RouteKind::kLocal;  // answered with NOAUTH
    return route;
  }
  if (spec == nullptr && !session.in_multi && IEquals(argv[0], "respite")) {
    route.kind = RouteKind::kLocal;
    route.local = LocalCommand::kRespite;
    return route;
  }
  const bool subscribing = spec == s.subscribe || spec == s.psubscribe || spec == s.ssubscribe;
  const bool unsubscribing =
      spec == s.unsubscribe || spec == s.punsubscribe || spec == s.sunsubscribe;
  if (session.serve_locally && !session.in_multi && (subscribing || unsubscribing)) {
    route.kind = RouteKind::kLocal;
    route.local = LocalCommand::kPubSub;
    return route;
  }
  if (!session.relay && !session.in_multi && unsubscribing) {
    route.kind = RouteKind::kLocal;
    route.local = LocalCommand::kUnsubscribeNothing;
    return route;
  }
  if (spec == s.info) {
    // Only the sections respite adds to: the default set, all of them, or its own.
    route.info = argv.size() == 1;
    for (size_t i = 1; i < argv.size(); ++i) {
      if (IEquals(argv[i], "all") || IEquals(argv[i], "everything") ||
          IEquals(argv[i], "default") || IEquals(argv[i], "respite")) {
        route.info = true;
      }
    }
  }

  if (session.serve_locally) {
    if (spec == s.select && !session.in_multi) {
      route.kind = RouteKind::kLocal;
      route.local = LocalCommand::kSelect;
      return route;
    }
    if (spec == s.client) {
      Route c = ClassifyClient(session, argv, route);
      if (c.kind == RouteKind::kLocal) return c;
    }
    if (spec == s.acl && argv.size() == 2 && IEquals(argv[1], "whoami")) {
      route.kind = RouteKind::kLocal;
      route.local = LocalCommand::kAclWhoami;
      return route;
    }
    if (session.refuse_writes && spec != nullptr && spec->Has(resp::kCmdWrite)) {
      route.kind = RouteKind::kLocal;
      route.local = LocalCommand::kRefuseWrite;
      return route;
    }
    route.kind = RouteKind::kStore;
    route.begins_multi = spec == s.multi;
    route.ends_multi = spec == s.exec || spec == s.discard;
    if (spec == s.select) route.local = LocalCommand::kSelect;
    return route;
  }

  // A relaying session sends everything on its relay link: upstream enforces what a subscribed
  // connection may run, with Redis' own error texts.
  if (session.relay) {
    route.kind = RouteKind::kRelay;
    if (spec == s.select) route.local = LocalCommand::kSelect;  // tracked, and forwarded
    return route;
  }

  if (spec == nullptr) {
    route.kind = session.has_dedicated ? RouteKind::kDedicated : RouteKind::kShared;
    return route;
  }

  if (session.in_multi) {
    // Inside a transaction everything is queued upstream, SELECT included (it applies at EXEC).
    route.kind = RouteKind::kDedicated;
    route.ends_multi = spec == s.exec || spec == s.discard;
    if (spec == s.select) route.local = LocalCommand::kSelect;
    if (spec == s.client) {
      Route c = ClassifyClient(session, argv, route);
      route.sticky = c.sticky;
    }
    return route;
  }

  if (spec == s.select) {
    route.kind = RouteKind::kLocal;
    route.local = LocalCommand::kSelect;
    return route;
  }
  if (spec == s.client) {
    route.kind = session.has_dedicated ? RouteKind::kDedicated : RouteKind::kShared;
    return ClassifyClient(session, argv, route);
  }
  if (spec == s.multi) {
    route.kind = RouteKind::kDedicated;
    route.begins_multi = true;
    return route;
  }
  if (spec == s.watch) {
    route.kind = RouteKind::kDedicated;
    route.begins_watch = true;
    return route;
  }
  if (spec == s.exec || spec == s.discard) {
    route.kind = session.has_dedicated ? RouteKind::kDedicated : RouteKind::kShared;
    route.ends_multi = true;
    return route;
  }
  if (spec == s.unwatch) {
    route.kind = session.has_dedicated ? RouteKind::kDedicated : RouteKind::kShared;
    route.ends_watch = true;
    return route;
  }
  if (spec == s.subscribe || spec == s.psubscribe || spec == s.ssubscribe || spec == s.monitor) {
    route.kind = RouteKind::kRelay;
    route.sticky = true;
    return route;
  }
  if (spec->Has(resp::kCmdBlocking) || spec == s.wait || (s.waitaof && spec == s.waitaof)) {
    route.kind = RouteKind::kDedicated;
    route.blocking = true;
    return route;
  }
  route.long_running = spec->Has(resp::kCmdMayRunLong);
  if (spec->Has(resp::kCmdRunsScript)) {
    // While a script runs past busy-reply-threshold, upstream answers every other connection
    // -BUSY and takes SCRIPT KILL: the other clients of a shared link must not wait behind it.
    route.kind = RouteKind::kDedicated;
    return route;
  }
  route.kind = session.has_dedicated ? RouteKind::kDedicated : RouteKind::kShared;
  return route;
}

}  // namespace respite::proxy
