// The dispatcher: command resolution and the errors Redis sends for unknown commands, wrong
// arity and unknown subcommands; commands the store cannot run; MULTI/EXEC/DISCARD/WATCH; the
// journal hook. Expected bytes were taken from a real redis-server 7.0.15.

#include "storage/local_store.h"

#include <gtest/gtest.h>

#include "tests/storage/store_harness.h"

namespace respite::storage {
namespace {

TEST(LocalStore, UnknownCommandNamesItsArguments) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"foo", "a", "b"}),
            "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n");
  EXPECT_EQ(h.Run({"foo"}), "-ERR unknown command 'foo', with args beginning with: \r\n");
}

TEST(LocalStore, WrongArityUsesTheLowerCaseName) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"GET"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(h.Run({"ping", "a", "b"}), "-ERR wrong number of arguments for 'ping' command\r\n");
  EXPECT_EQ(h.Run({"config"}), "-ERR wrong number of arguments for 'config' command\r\n");
  EXPECT_EQ(h.Run({"config", "get"}),
            "-ERR wrong number of arguments for 'config|get' command\r\n");
}

TEST(LocalStore, UnknownSubcommand) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"config", "Nope"}), "-ERR unknown subcommand 'Nope'. Try CONFIG HELP.\r\n");
}

TEST(LocalStore, CommandsTheStoreCannotRunSaySo) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"SAVE"}), "-ERR save is not available while upstream Redis is unreachable\r\n");
  EXPECT_EQ(h.Run({"config", "rewrite"}),
            "-ERR config rewrite is not available while upstream Redis is unreachable\r\n");
}

// Without a broker (no proxy) nobody subscribes: PUBLISH reaches no one, PUBSUB sees no channel.
TEST(LocalStore, PubSubWithoutSubscribers) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"PUBLISH", "c", "m"}), ":0\r\n");
  EXPECT_EQ(h.Run({"SPUBLISH", "c", "m"}), ":0\r\n");
  EXPECT_EQ(h.Run({"PUBSUB", "CHANNELS"}), "*0\r\n");
  EXPECT_EQ(h.Run({"PUBSUB", "NUMSUB", "a", "b"}), "*4\r\n$1\r\na\r\n:0\r\n$1\r\nb\r\n:0\r\n");
  EXPECT_EQ(h.Run({"PUBSUB", "NUMPAT"}), ":0\r\n");
  EXPECT_EQ(h.Run({"PUBSUB", "CHANNELS", "a", "b"}),
            "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB "
            "HELP.\r\n");
  EXPECT_EQ(h.Run({"multi"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"publish", "c", "m"}), "+QUEUED\r\n");
  EXPECT_EQ(h.Run({"exec"}), "*1\r\n:0\r\n");
}

TEST(LocalStore, ServerCommands) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"PING"}), "+PONG\r\n");
  EXPECT_EQ(h.Run({"ping", "hi"}), "$2\r\nhi\r\n");
  EXPECT_EQ(h.Run({"echo", ""}), "$0\r\n\r\n");
  EXPECT_EQ(h.Run({"select", "16"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(h.Run({"select", "x"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(h.Run({"select", "2"}), "+OK\r\n");
  EXPECT_EQ(h.session.db, 2);
  EXPECT_EQ(h.Run({"config", "get", "maxmemory"}), "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
  h.session.protocol = 3;
  EXPECT_EQ(h.Run({"config", "get", "maxmemory"}), "%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
}

TEST(LocalStore, MultiExecRunsQueuedCommandsAtomically) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"multi"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"set", "k", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(h.Run({"ping"}), "+QUEUED\r\n");
  EXPECT_EQ(h.Run({"multi"}), "-ERR MULTI calls can not be nested\r\n");
  EXPECT_EQ(h.Run({"exec"}), "*2\r\n+OK\r\n+PONG\r\n");
  EXPECT_EQ(h.Run({"get", "k"}), "$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"exec"}), "-ERR EXEC without MULTI\r\n");
  EXPECT_EQ(h.Run({"discard"}), "-ERR DISCARD without MULTI\r\n");
}

TEST(LocalStore, QueuingErrorAbortsTheTransaction) {
  StoreHarness h;
  h.Run({"multi"});
  EXPECT_EQ(h.Run({"set", "k"}), "-ERR wrong number of arguments for 'set' command\r\n");
  EXPECT_EQ(h.Run({"set", "k", "v"}), "+QUEUED\r\n");
  EXPECT_EQ(h.Run({"exec"}), "-EXECABORT Transaction discarded because of previous errors.\r\n");
  EXPECT_EQ(h.Run({"get", "k"}), "$-1\r\n");
}

TEST(LocalStore, DiscardDropsTheQueue) {
  StoreHarness h;
  h.Run({"multi"});
  h.Run({"set", "k", "v"});
  EXPECT_EQ(h.Run({"discard"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"get", "k"}), "$-1\r\n");
}

TEST(LocalStore, WatchedKeyModifiedByAnotherClientFailsExec) {
  StoreHarness h;
  LocalSession other;
  EXPECT_EQ(h.Run({"watch", "k"}), "+OK\r\n");
  std::string out;
  std::vector<std::string_view> set = {"set", "k", "other"};
  h.store->Execute(other, set, &out);
  h.Run({"multi"});
  h.Run({"set", "k", "mine"});
  EXPECT_EQ(h.Run({"exec"}), "*-1\r\n");
  EXPECT_EQ(h.Run({"get", "k"}), "$5\r\nother\r\n");
  // The watch is gone after EXEC: the next transaction runs.
  h.Run({"multi"});
  h.Run({"set", "k", "mine"});
  EXPECT_EQ(h.Run({"exec"}), "*1\r\n+OK\r\n");
}

TEST(LocalStore, UntouchedWatchLetsExecRun) {
  StoreHarness h;
  h.Run({"watch", "k"});
  h.Run({"set", "unrelated", "1"});
  h.Run({"multi"});
  h.Run({"set", "k", "v"});
  EXPECT_EQ(h.Run({"exec"}), "*1\r\n+OK\r\n");
  h.Run({"watch", "k"});
  EXPECT_EQ(h.Run({"multi"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"watch", "k"}), "-ERR WATCH inside MULTI is not allowed\r\n");
}

TEST(LocalStore, FlushDbTouchesWatchedKeys) {
  StoreHarness h;
  h.Run({"set", "k", "1"});
  h.Run({"watch", "k"});
  LocalSession other;
  std::string out;
  std::vector<std::string_view> flush = {"flushdb"};
  h.store->Execute(other, flush, &out);
  h.Run({"multi"});
  h.Run({"ping"});
  EXPECT_EQ(h.Run({"exec"}), "*-1\r\n");
}

TEST(LocalStore, JournalRecordsWritesThatChangedSomething) {
  StoreHarness h;
  h.Run({"set", "k", "v"});
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0].size(), 3u);
  h.Run({"get", "k"});
  EXPECT_TRUE(h.store->last_journal().empty());
  h.Run({"del", "nothing"});
  EXPECT_TRUE(h.store->last_journal().empty());
  h.Run({"multi"});
  h.Run({"set", "a", "1"});
  h.Run({"set", "b", "2"});
  h.Run({"exec"});
  EXPECT_EQ(h.store->last_journal().size(), 2u);
}

TEST(LocalStore, DataSurvivesAReopen) {
  StoreHarness h;
  h.Run({"set", "k", "v"});
  h.Run({"select", "5"});
  h.Run({"set", "k5", "v5"});
  h.Reopen();
  h.session = LocalSession{};
  EXPECT_EQ(h.Run({"get", "k"}), "$1\r\nv\r\n");
  h.Run({"select", "5"});
  EXPECT_EQ(h.Run({"get", "k5"}), "$2\r\nv5\r\n");
}

TEST(LocalStore, DbsizeInsideExecCountsKeysQueuedBeforeIt) {
  StoreHarness h;
  h.Run({"set", "a", "1"});
  h.Run({"multi"});
  h.Run({"set", "b", "2"});
  h.Run({"del", "a"});
  h.Run({"set", "c", "3"});
  h.Run({"dbsize"});
  EXPECT_EQ(h.Run({"exec"}), "*4\r\n+OK\r\n:1\r\n+OK\r\n:2\r\n");
  EXPECT_EQ(h.Run({"dbsize"}), ":2\r\n");
}

TEST(LocalStore, BlockTimeoutIsANullArrayForEveryCommand) {
  // Redis 7.0.15: a timed-out BLMOVE/BRPOPLPUSH gets *-1 too (a null bulk only inside MULTI).
  for (const char* command : {"blpop", "blmove", "brpoplpush", "bzmpop"}) {
    std::string out;
    LocalStore::WriteBlockTimeout(command, 2, &out);
    EXPECT_EQ(out, "*-1\r\n") << command;
    out.clear();
    LocalStore::WriteBlockTimeout(command, 3, &out);
    EXPECT_EQ(out, "_\r\n") << command;
  }
}

TEST(LocalStore, ArityIsCheckedFirstInsideMulti) {
  StoreHarness h;
  h.Run({"multi"});
  EXPECT_EQ(h.Run({"multi", "x"}), "-ERR wrong number of arguments for 'multi' command\r\n");
  EXPECT_EQ(h.Run({"unwatch"}), "+QUEUED\r\n");
  EXPECT_EQ(h.Run({"exec"}), "-EXECABORT Transaction discarded because of previous errors.\r\n");
  h.Run({"multi"});
  EXPECT_EQ(h.Run({"exec", "x"}),
            "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' "
            "command\r\n");
  EXPECT_EQ(h.Run({"exec"}), "-ERR EXEC without MULTI\r\n");
  // Outside MULTI too (Redis 7.0.15).
  EXPECT_EQ(h.Run({"exec", "x"}),
            "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' "
            "command\r\n");
  h.Run({"multi"});
  EXPECT_EQ(h.Run({"unwatch"}), "+QUEUED\r\n");
  EXPECT_EQ(h.Run({"exec"}), "*1\r\n+OK\r\n");
}

}  // namespace
}  // namespace respite::storage
