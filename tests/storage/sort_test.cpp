// SORT, SORT_RO, LCS and OBJECT through the real dispatcher, on RocksDB: what the differential
// family cannot see (the journal of SORT ... STORE, replies only scripts get). Expected bytes are
// what redis-server 7.0.15 sent for the same commands.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/storage/store_harness.h"

namespace respite::storage {
namespace {

using Strings = std::vector<std::string>;

TEST(Sort, StoreIsJournaledAsDelAndRpush) {
  StoreHarness h;
  h.Run({"rpush", "l", "3", "1", "2"});
  h.Run({"set", "d", "old"});
  EXPECT_EQ(h.Run({"sort", "l", "store", "d"}), ":3\r\n");
  ASSERT_EQ(h.store->last_journal().size(), 2u);
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"DEL", "d"}));
  EXPECT_EQ(h.store->last_journal()[1], (Strings{"RPUSH", "d", "1", "2", "3"}));
  EXPECT_EQ(h.Run({"lrange", "d", "0", "-1"}), "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
}

TEST(Sort, EmptyResultDeletesTheDestination) {
  StoreHarness h;
  h.Run({"rpush", "d", "x"});
  EXPECT_EQ(h.Run({"sort", "nokey", "store", "d"}), ":0\r\n");
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"DEL", "d"}));
  EXPECT_EQ(h.Run({"exists", "d"}), ":0\r\n");
  EXPECT_EQ(h.Run({"sort", "nokey", "store", "d"}), ":0\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
}

TEST(Sort, ReadsJournalNothing) {
  StoreHarness h;
  h.Run({"rpush", "l", "b", "a"});
  EXPECT_EQ(h.Run({"sort", "l", "alpha"}), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
  EXPECT_EQ(h.Run({"sort", "l"}), "-ERR One or more scores can't be converted into double\r\n");
}

TEST(Sort, SetByConstantIsSortedAlphaUnderStore) {
  StoreHarness h;
  h.Run({"sadd", "s", "b", "c", "a", "10"});
  EXPECT_EQ(h.Run({"sort", "s", "by", "nosort", "store", "d"}), ":4\r\n");
  EXPECT_EQ(h.Run({"lrange", "d", "0", "-1"}),
            "*4\r\n$2\r\n10\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
}

TEST(Lcs, IdxReply) {
  StoreHarness h;
  h.Run({"set", "a", "ohmytext"});
  h.Run({"set", "b", "mynewtext"});
  EXPECT_EQ(h.Run({"lcs", "a", "b"}), "$6\r\nmytext\r\n");
  EXPECT_EQ(
      h.Run({"lcs", "a", "b", "idx", "minmatchlen", "4", "withmatchlen"}),
      "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n"
      ":6\r\n");
}

TEST(Object, EncodingFollowsTheConfig) {
  StoreHarness h;
  h.Run({"sadd", "s", "1", "2", "3"});
  EXPECT_EQ(h.Run({"object", "encoding", "s"}), "$6\r\nintset\r\n");
  h.Run({"config", "set", "set-max-intset-entries", "2"});
  EXPECT_EQ(h.Run({"object", "encoding", "s"}), "$9\r\nhashtable\r\n");
  EXPECT_EQ(h.Run({"object", "encoding", "nokey"}), "$-1\r\n");
  h.Run({"set", "n", "12"});
  EXPECT_EQ(h.Run({"object", "refcount", "n"}), ":2147483647\r\n");
}

}  // namespace
}  // namespace respite::storage
