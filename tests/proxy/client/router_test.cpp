#include "proxy/client/router.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace respite::proxy {
namespace {

Route Classify(std::vector<std::string_view> argv, SessionView session = {}) {
  return Router().Classify(session, argv);
}

TEST(Router, ASessionsRouterAnswersAsAFreshOneWhateverCameBefore) {
  // One router per session remembers the last name it looked up; the answers must not depend on
  // it.
  Router router;
  const std::vector<std::string_view> names = {
      "GET",       "get", "GET",   "SET",   "GETDEL", "GET",   "nosuchcmd",
      "nosuchcmd", "GET", "BLPOP", "blpop", "multi",  "MULTI", "subscribe",
      "GETX",      "GE",  "",      "GET",   "client"};
  for (std::string_view name : names) {
    const Route cached = router.Classify({}, std::vector<std::string_view>{name, "x"});
    const Route fresh = Classify({name, "x"});
    EXPECT_EQ(cached.spec, fresh.spec) << name;
    EXPECT_EQ(cached.kind, fresh.kind) << name;
    EXPECT_EQ(cached.blocking, fresh.blocking) << name;
  }
}

TEST(Router, StatelessCommandsShareTheUpstreamLink) {
  for (auto name : {"GET", "set", "Incr", "publish", "ping", "config", "nosuchcmd"}) {
    EXPECT_EQ(Classify({name, "x"}).kind, RouteKind::kShared) << name;
    EXPECT_FALSE(Classify({name, "x"}).long_running) << name;
  }
}

TEST(Router, ScriptsRunOnALinkOfTheirOwnAndMayRunLong) {
  // While a script runs past busy-reply-threshold, Redis answers every other connection -BUSY:
  // other clients must not queue behind it on a shared link.
  for (auto name : {"EVAL", "evalsha", "EVAL_RO", "evalsha_ro", "fcall", "FCALL_RO"}) {
    const Route route = Classify({name, "x", "0"});
    EXPECT_EQ(route.kind, RouteKind::kDedicated) << name;
    EXPECT_TRUE(route.long_running) << name;
    EXPECT_FALSE(route.blocking) << name;
  }
  // SCRIPT KILL and FUNCTION KILL must not wait for a dedicated link: they stay shared.
  EXPECT_EQ(Classify({"SCRIPT", "KILL"}).kind, RouteKind::kShared);
  EXPECT_EQ(Classify({"FUNCTION", "KILL"}).kind, RouteKind::kShared);
}

TEST(Router, AclWhoamiIsAnsweredByRespiteOnlyWhileServingLocally) {
  EXPECT_EQ(Classify({"ACL", "WHOAMI"}).kind, RouteKind::kShared);  // upstream knows the user
  SessionView local;
  local.serve_locally = true;
  EXPECT_EQ(Classify({"acl", "whoami"}, local).local, LocalCommand::kAclWhoami);
  EXPECT_EQ(Classify({"acl", "users"}, local).kind, RouteKind::kStore);
}

TEST(Router, UnsubscribeFromAClientSubscribedToNothingIsAnsweredByRespite) {
  // Its several confirmations could not be matched back on a shared link.
  for (auto name : {"UNSUBSCRIBE", "punsubscribe", "SUnsubscribe"}) {
    EXPECT_EQ(Classify({name, "a", "b"}).local, LocalCommand::kUnsubscribeNothing) << name;
    EXPECT_EQ(Classify({name}).local, LocalCommand::kUnsubscribeNothing) << name;
    SessionView relay;
    relay.relay = true;
    EXPECT_EQ(Classify({name, "a"}, relay).kind, RouteKind::kRelay) << name;
    SessionView multi;
    multi.in_multi = true;
    EXPECT_EQ(Classify({name, "a"}, multi).kind, RouteKind::kDedicated) << name;
  }
}

TEST(Router, CommandsThatCanKeepUpstreamBusyAreMarkedLongButStayShared) {
  for (auto name : {"DEBUG", "keys", "FLUSHALL", "flushdb", "SAVE", "migrate"}) {
    const Route route = Classify({name, "x"});
    EXPECT_TRUE(route.long_running) << name;
    EXPECT_EQ(route.kind, RouteKind::kShared) << name;
  }
}

TEST(Router, ConnectionStateCommandsAreAnsweredLocally) {
  EXPECT_EQ(Classify({"AUTH", "pw"}).local, LocalCommand::kAuth);
  EXPECT_EQ(Classify({"hello", "3"}).local, LocalCommand::kHello);
  EXPECT_EQ(Classify({"select", "2"}).local, LocalCommand::kSelect);
  EXPECT_EQ(Classify({"quit"}).local, LocalCommand::kQuit);
  EXPECT_EQ(Classify({"reset"}).local, LocalCommand::kReset);
  EXPECT_EQ(Classify({"client", "setname", "x"}).local, LocalCommand::kClientSetName);
  EXPECT_EQ(Classify({"CLIENT", "GETNAME"}).local, LocalCommand::kClientGetName);
  EXPECT_EQ(Classify({"client", "id"}).local, LocalCommand::kClientId);
  EXPECT_EQ(Classify({"client", "reply", "off"}).local, LocalCommand::kClientReply);
  // About respite's own clients, with respite's ids.
  EXPECT_EQ(Classify({"client", "list"}).local, LocalCommand::kClientList);
  EXPECT_EQ(Classify({"CLIENT", "INFO"}).local, LocalCommand::kClientInfo);
  EXPECT_EQ(Classify({"client", "kill", "id", "3"}).local, LocalCommand::kClientKill);
  EXPECT_EQ(Classify({"client", "unblock", "3"}).local, LocalCommand::kClientUnblock);
  EXPECT_EQ(Classify({"client", "unblock", "3", "error"}).local, LocalCommand::kClientUnblock);
  // Wrong arity is upstream's to answer, in Redis' words.
  EXPECT_EQ(Classify({"client", "kill"}).kind, RouteKind::kShared);
  EXPECT_EQ(Classify({"client", "unblock", "1", "2", "3"}).kind, RouteKind::kShared);
  EXPECT_EQ(Classify({"client", "pause", "10"}).kind, RouteKind::kShared);
}

TEST(Router, TransactionsAndBlockingCommandsGetADedicatedLink) {
  Route multi = Classify({"multi"});
  EXPECT_EQ(multi.kind, RouteKind::kDedicated);
  EXPECT_TRUE(multi.begins_multi);
  Route watch = Classify({"watch", "k"});
  EXPECT_EQ(watch.kind, RouteKind::kDedicated);
  EXPECT_TRUE(watch.begins_watch);
  for (auto name : {"blpop", "BRPOP", "blmove", "bzpopmin", "xread", "wait"}) {
    Route r = Classify({name, "k", "0"});
    EXPECT_EQ(r.kind, RouteKind::kDedicated) << name;
    EXPECT_TRUE(r.blocking) << name;
  }
}

TEST(Router, InsideMultiEverythingIsQueuedOnTheDedicatedLink) {
  SessionView in_multi{.authenticated = true, .has_dedicated = true, .in_multi = true};
  EXPECT_EQ(Classify({"get", "k"}, in_multi).kind, RouteKind::kDedicated);
  Route select = Classify({"select", "1"}, in_multi);
  EXPECT_EQ(select.kind, RouteKind::kDedicated);  // applies at EXEC, so upstream must see it
  EXPECT_TRUE(Classify({"exec"}, in_multi).ends_multi);
  EXPECT_TRUE(Classify({"discard"}, in_multi).ends_multi);
}

TEST(Router, PubSubMonitorAndTrackingRelay) {
  for (auto argv : std::vector<std::vector<std::string_view>>{{"subscribe", "c"},
                                                              {"psubscribe", "c*"},
                                                              {"ssubscribe", "c"},
                                                              {"monitor"},
                                                              {"client", "tracking", "on"}}) {
    Route r = Classify(argv);
    EXPECT_EQ(r.kind, RouteKind::kRelay) << argv[0];
    EXPECT_TRUE(r.sticky) << argv[0];
  }
  SessionView relaying{.authenticated = true, .has_dedicated = true, .relay = true};
  EXPECT_EQ(Classify({"get", "k"}, relaying).kind, RouteKind::kRelay);
  EXPECT_EQ(Classify({"quit"}, relaying).local, LocalCommand::kQuit);
}

TEST(Router, UnauthenticatedClientsMayOnlyAuthenticate) {
  SessionView anon{.authenticated = false};
  Route get = Classify({"get", "k"}, anon);
  EXPECT_EQ(get.kind, RouteKind::kLocal);
  EXPECT_EQ(get.local, LocalCommand::kNone);  // answered NOAUTH
  EXPECT_EQ(Classify({"auth", "pw"}, anon).local, LocalCommand::kAuth);
  EXPECT_EQ(Classify({"hello", "3", "auth", "default", "pw"}, anon).local, LocalCommand::kHello);
}

TEST(Router, OnlyReadsIdempotentAndBlockingCommandsRunAgainAfterALostReply) {
  auto again = [](std::vector<std::string_view> argv) { return Router::SafeToRunAgain(argv); };
  EXPECT_TRUE(again({"GET", "k"}));
  EXPECT_TRUE(again({"hgetall", "h"}));
  EXPECT_TRUE(again({"SET", "k", "v", "EX", "10"}));
  EXPECT_TRUE(again({"del", "a", "b"}));
  EXPECT_TRUE(again({"zadd", "z", "1", "m"}));
  EXPECT_TRUE(again({"blpop", "q", "0"}));  // re-issued locally
  EXPECT_FALSE(again({"INCR", "n"}));
  EXPECT_FALSE(again({"rpush", "l", "x"}));
  EXPECT_FALSE(again({"lpop", "l"}));
  EXPECT_FALSE(again({"zadd", "z", "INCR", "1", "m"}));
  EXPECT_FALSE(again({"eval", "return 1", "0"}));
  EXPECT_FALSE(again({"multi"}));
  EXPECT_FALSE(again({"nosuchcommand"}));
}

}  // namespace
}  // namespace respite::proxy
