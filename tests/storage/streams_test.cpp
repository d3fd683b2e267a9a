// The stream family on the local store: what each write journals (Redis' AOF form: generated IDs
// made explicit, approximate trims made exact MINIDs), IDs from a controlled clock, blocking
// XREAD's parked form, and a stream that outlives a restart. Replies in general are checked
// against Redis by streams_diff_test.cpp.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/storage/store_harness.h"

namespace respite::storage {
namespace {

using Strings = std::vector<std::string>;

TEST(Streams, GeneratedIdsAreJournaledExplicitly) {
  StoreHarness h;
  h.clock.Set(1000);
  EXPECT_EQ(h.Run({"XADD", "s", "*", "f", "v"}), "$6\r\n1000-0\r\n");
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"XADD", "s", "1000-0", "f", "v"}));
  // Same millisecond: the next sequence; clock behind the last ID: still after it.
  EXPECT_EQ(h.Run({"XADD", "s", "*", "f", "v"}), "$6\r\n1000-1\r\n");
  h.clock.Set(900);
  EXPECT_EQ(h.Run({"XADD", "s", "*", "f", "v"}), "$6\r\n1000-2\r\n");
  EXPECT_EQ(h.Run({"XADD", "s", "2000-*", "f", "v"}), "$6\r\n2000-0\r\n");
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"XADD", "s", "2000-0", "f", "v"}));
  // NOMKSTREAM on a missing key, a refused ID: nothing journaled.
  EXPECT_EQ(h.Run({"XADD", "none", "NOMKSTREAM", "*", "f", "v"}), "$-1\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
  EXPECT_EQ(
      h.Run({"XADD", "s", "5-0", "f", "v"}),
      "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
}

TEST(Streams, TrimsAreJournaledAsTheExactMinIdTheyReached) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"CONFIG", "SET", "stream-node-max-entries", "2"}), "+OK\r\n");
  for (int i = 1; i <= 5; ++i) h.Run({"XADD", "s", std::to_string(i) + "-0", "f", "v"});
  // Nodes of two: "~ 2" may only drop whole nodes, so 1-0 and 2-0 go and 3-0 stays.
  EXPECT_EQ(h.Run({"XTRIM", "s", "MAXLEN", "~", "2"}), ":2\r\n");
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"XTRIM", "s", "MINID", "=", "3-0"}));
  EXPECT_EQ(h.Run({"XADD", "s", "MAXLEN", "1", "6-0", "f", "v"}), "$3\r\n6-0\r\n");
  ASSERT_EQ(h.store->last_journal().size(), 2u);
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"XADD", "s", "6-0", "f", "v"}));
  EXPECT_EQ(h.store->last_journal()[1], (Strings{"XTRIM", "s", "MINID", "=", "6-0"}));
  EXPECT_EQ(h.Run({"XTRIM", "s", "MAXLEN", "0"}), ":1\r\n");
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"XTRIM", "s", "MAXLEN", "=", "0"}));
  // An empty stream stays (Redis does not delete it) and remembers its last ID.
  EXPECT_EQ(h.Run({"EXISTS", "s"}), ":1\r\n");
  EXPECT_EQ(h.Run({"XTRIM", "s", "MAXLEN", "0"}), ":0\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
  EXPECT_EQ(
      h.Run({"XADD", "s", "6-0", "f", "v"}),
      "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n");
}

TEST(Streams, DeletesAndSetIdAreJournaledAsThemselves) {
  StoreHarness h;
  h.Run({"XADD", "s", "1-0", "f", "v"});
  h.Run({"XADD", "s", "2-0", "f", "v"});
  EXPECT_EQ(h.Run({"XDEL", "s", "1-0", "9-9"}), ":1\r\n");
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"XDEL", "s", "1-0", "9-9"}));
  EXPECT_EQ(h.Run({"XDEL", "s", "1-0"}), ":0\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
  EXPECT_EQ(h.Run({"XSETID", "s", "10-0", "ENTRIESADDED", "7"}), "+OK\r\n");
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"XSETID", "s", "10-0", "ENTRIESADDED", "7"}));
}

TEST(Streams, BlockingReadParksWithTheLastIdResolved) {
  StoreHarness h;
  h.Run({"XADD", "s", "5-0", "f", "v"});
  EXPECT_EQ(h.Run({"XREAD", "BLOCK", "250", "STREAMS", "s", "$"}), "");
  EXPECT_TRUE(h.store->last_would_block());
  EXPECT_EQ(h.store->last_block_timeout_ms(), 250);
  EXPECT_EQ(h.store->last_block_argv(),
            (Strings{"XREAD", "COUNT", "1000", "BLOCK", "250", "STREAMS", "s", "5-0"}));
  // Inside MULTI it does not block: a null reply, as Redis answers.
  h.Run({"MULTI"});
  h.Run({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  EXPECT_EQ(h.Run({"EXEC"}), "*1\r\n*-1\r\n");
  // From a script, BLOCK is refused.
  EXPECT_EQ(h.Run({"EVAL", "return redis.call('XREAD', 'BLOCK', 0, 'STREAMS', 's', '$')", "0"})
                .substr(0, 66),
            "-ERR XREAD command is not allowed with BLOCK option from scripts s");
}

// A group read is journaled as the XCLAIMs that reproduce its deliveries (Redis' AOF form), a
// NOACK read as the XGROUP SETID it came to; XACK as itself.
TEST(Streams, ConsumerGroupReadsAreJournaledAsRedisPropagatesThem) {
  StoreHarness h;
  h.clock.Set(5000);
  h.Run({"XADD", "s", "1-0", "f", "v"});
  h.Run({"XADD", "s", "2-0", "f", "v"});
  EXPECT_EQ(h.Run({"XGROUP", "CREATE", "s", "g", "$"}), "+OK\r\n");
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"XGROUP", "CREATE", "s", "g", "2-0"}));
  h.Run({"XGROUP", "SETID", "s", "g", "0"});
  h.Run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"});
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0],
            (Strings{"XCLAIM", "s", "g", "alice", "0", "1-0", "TIME", "5000", "RETRYCOUNT", "1",
                     "FORCE", "JUSTID", "LASTID", "1-0"}));
  h.Run({"XREADGROUP", "GROUP", "g", "bob", "NOACK", "STREAMS", "s", ">"});
  EXPECT_EQ(h.store->last_journal()[0],
            (Strings{"XGROUP", "SETID", "s", "g", "2-0", "ENTRIESREAD", "2"}));
  EXPECT_EQ(h.Run({"XACK", "s", "g", "1-0", "2-0"}), ":1\r\n");
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"XACK", "s", "g", "1-0", "2-0"}));
  // Nothing left to read: no journal, and a blocking read parks without writing.
  h.Run({"XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", ">"});
  EXPECT_TRUE(h.store->last_journal().empty());
  h.Run({"XREADGROUP", "GROUP", "g", "carol", "BLOCK", "100", "STREAMS", "s", ">"});
  EXPECT_TRUE(h.store->last_would_block());
  EXPECT_TRUE(h.store->last_journal().empty());
  EXPECT_EQ(h.Run({"XINFO", "CONSUMERS", "s", "g"}).find("carol"), std::string::npos);
}

TEST(Streams, SurviveARestart) {
  StoreHarness h;
  h.Run({"XADD", "s", "1-0", "a", "1"});
  h.Run({"XADD", "s", "2-0", "b", "2"});
  h.Run({"XDEL", "s", "2-0"});
  h.Reopen();
  EXPECT_EQ(h.Run({"XLEN", "s"}), ":1\r\n");
  EXPECT_EQ(h.Run({"XRANGE", "s", "-", "+"}),
            "*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"TYPE", "s"}), "+stream\r\n");
  EXPECT_EQ(
      h.Run({"XADD", "s", "2-0", "c", "3"}),
      "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n");
}

}  // namespace
}  // namespace respite::storage
