// The sorted-set family through the real dispatcher, on RocksDB. The ZSetsRedis tests replay
// command sequences whose expected bytes are what redis-server 7.0.15 sent for them (RESP2 and
// RESP3); the ZSets tests cover what a single Redis session cannot show or what is random:
// would-block, the journal, expiry, restarts, ZRANDMEMBER shapes and ZSCAN of big sets.

#include <gtest/gtest.h>

#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "storage/keyspace.h"
#include "tests/storage/reply_tree.h"
#include "tests/storage/store_harness.h"

namespace respite::storage {
namespace {

using Journal = std::vector<std::vector<std::string>>;

struct Step {
  std::vector<std::string_view> argv;
  std::string reply;
};

// Runs the steps in order; {"#3"} switches the session to RESP3.
void Seq(StoreHarness& h, std::initializer_list<Step> steps) {
  for (const Step& step : steps) {
    if (step.argv.size() == 1 && step.argv[0] == "#3") {
      h.session.protocol = 3;
      continue;
    }
    std::string line;
    for (std::string_view a : step.argv) line.append(a).append(" ");
    EXPECT_EQ(h.Run(step.argv), step.reply) << line;
  }
}

void SetExpiry(StoreHarness& h, std::string_view key, int64_t at_ms) {
  MetaValue meta;
  ASSERT_TRUE(h.store->keyspace().Lookup(0, key, &meta).ok());
  ASSERT_NE(meta.type, Type::kNone);
  meta.expire_ms = at_ms;
  h.store->keyspace().PutMeta(0, key, meta, /*created=*/false);
  ASSERT_TRUE(h.store->engine().Commit().ok());
}

TEST(ZSets, BlockingPopsWithNothingToPopWriteNothingAndAskToBlock) {
  StoreHarness h;
  for (std::vector<std::string_view> argv : std::vector<std::vector<std::string_view>>{
           {"bzpopmin", "a", "b", "0"},
           {"bzpopmax", "a", "0.25"},
           {"bzmpop", "0", "2", "a", "b", "min", "count", "2"},
       }) {
    EXPECT_EQ(h.Run(argv), "") << argv[0];
    EXPECT_TRUE(h.store->last_would_block()) << argv[0];
    EXPECT_TRUE(h.store->last_journal().empty()) << argv[0];
  }
  EXPECT_EQ(h.Run({"zadd", "b", "1", "x", "2", "y"}), ":2\r\n");
  EXPECT_EQ(h.Run({"bzpopmax", "a", "b", "0"}), "*3\r\n$1\r\nb\r\n$1\r\ny\r\n$1\r\n2\r\n");
  EXPECT_FALSE(h.store->last_would_block());
  EXPECT_EQ(h.store->last_journal(), (Journal{{"ZREM", "b", "y"}}));
  h.session.protocol = 3;
  EXPECT_EQ(h.Run({"bzpopmin", "a", "b", "0"}), "*3\r\n$1\r\nb\r\n$1\r\nx\r\n,1\r\n");
  EXPECT_EQ(h.Run({"bzpopmin", "a", "b", "0"}), "");
  EXPECT_TRUE(h.store->last_would_block());
}

TEST(ZSets, PopsAreJournaledAsZRemAndNoOpWritesRecordNothing) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d"}), ":4\r\n");
  EXPECT_EQ(h.Run({"zpopmin", "z", "2"}), "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
  EXPECT_EQ(h.store->last_journal(), (Journal{{"ZREM", "z", "a", "b"}}));
  EXPECT_EQ(h.Run({"zmpop", "1", "z", "max"}),
            "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nd\r\n$1\r\n4\r\n");
  EXPECT_EQ(h.store->last_journal(), (Journal{{"ZREM", "z", "d"}}));
  for (std::vector<std::string_view> argv : std::vector<std::vector<std::string_view>>{
           {"zadd", "z", "3", "c"},
           {"zadd", "z", "nx", "9", "c"},
           {"zadd", "z", "xx", "1", "nope"},
           {"zadd", "z", "gt", "1", "c"},
           {"zincrby", "z", "0", "c"},
           {"zrem", "z", "nope"},
           {"zpopmin", "nokey"},
           {"zremrangebyscore", "z", "10", "20"},
           {"zunionstore", "d", "1", "nokey"},
       }) {
    h.Run(argv);
    EXPECT_TRUE(h.store->last_journal().empty()) << argv[0] << " " << argv[2];
  }
  EXPECT_EQ(h.Run({"zadd", "z", "incr", "1", "c"}), "$1\r\n4\r\n");
  EXPECT_EQ(h.store->last_journal(), (Journal{{"zadd", "z", "incr", "1", "c"}}));
}

TEST(ZSets, ExpiredSetIsGone) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"zadd", "z", "1", "a"}), ":1\r\n");
  SetExpiry(h, "z", h.clock.NowMs() + 10);
  h.clock.Advance(10);
  EXPECT_EQ(h.Run({"zscore", "z", "a"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"zcard", "z"}), ":0\r\n");
  EXPECT_EQ(h.Run({"zadd", "z", "xx", "2", "a"}), ":0\r\n");
  EXPECT_EQ(h.Run({"zadd", "z", "2", "b"}), ":1\r\n");
  EXPECT_EQ(h.Run({"zrange", "z", "0", "-1", "withscores"}), "*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
}

TEST(ZSets, ScoreOrderSurvivesReopen) {
  StoreHarness h;
  EXPECT_EQ(
      h.Run({"zadd", "z", "-inf", "n", "-1.5", "m", "0", "z", "0", "a", "2e10", "x", "inf", "p"}),
      ":6\r\n");
  h.Reopen();
  EXPECT_EQ(h.Run({"zrange", "z", "0", "-1", "withscores"}),
            "*12\r\n$1\r\nn\r\n$4\r\n-inf\r\n$1\r\nm\r\n$4\r\n-1.5\r\n$1\r\na\r\n$1\r\n0\r\n"
            "$1\r\nz\r\n$1\r\n0\r\n$1\r\nx\r\n$11\r\n20000000000\r\n$1\r\np\r\n$3\r\ninf\r\n");
  EXPECT_EQ(h.Run({"zrank", "z", "x"}), ":4\r\n");
  EXPECT_EQ(h.Run({"zrevrank", "z", "n"}), ":5\r\n");
  EXPECT_EQ(h.Run({"zcount", "z", "(-inf", "(inf"}), ":4\r\n");
}

TEST(ZSets, RandMemberShapes) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"zadd", "z", "1", "a", "2", "b", "3", "c"}), ":3\r\n");
  const std::map<std::string, std::string> scores = {{"a", "1"}, {"b", "2"}, {"c", "3"}};
  for (int i = 0; i < 20; ++i) {
    const std::string one = h.Run({"zrandmember", "z"});
    EXPECT_TRUE(one == "$1\r\na\r\n" || one == "$1\r\nb\r\n" || one == "$1\r\nc\r\n") << one;
    // Distinct members for a positive count, at most the whole set.
    ReplyTree two = ParseReply(h.Run({"zrandmember", "z", "2"}));
    ASSERT_EQ(two.elements.size(), 2u);
    EXPECT_NE(two.elements[0].text, two.elements[1].text);
    ReplyTree all = ParseReply(h.Run({"zrandmember", "z", "10", "withscores"}));
    ASSERT_EQ(all.elements.size(), 6u);
    std::set<std::string> seen;
    for (size_t j = 0; j < 6; j += 2) {
      seen.insert(all.elements[j].text);
      EXPECT_EQ(scores.at(all.elements[j].text), all.elements[j + 1].text);
    }
    EXPECT_EQ(seen.size(), 3u);
    // Repeats allowed for a negative count, exactly -count of them.
    ReplyTree many = ParseReply(h.Run({"zrandmember", "z", "-7"}));
    EXPECT_EQ(many.elements.size(), 7u);
  }
  h.session.protocol = 3;
  ReplyTree pairs = ParseReply(h.Run({"zrandmember", "z", "-2", "withscores"}));
  ASSERT_EQ(pairs.elements.size(), 2u);
  for (const ReplyTree& pair : pairs.elements) {
    ASSERT_EQ(pair.elements.size(), 2u);
    EXPECT_EQ(pair.elements[1].type, ',');
    EXPECT_EQ(scores.at(pair.elements[0].text), pair.elements[1].text);
  }
}

TEST(ZSets, ScanOfASmallSetIsOnePageInScoreOrder) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"zadd", "z", "3", "a", "1", "b", "2.5", "c"}), ":3\r\n");
  EXPECT_EQ(h.Run({"zscan", "z", "0"}),
            "*2\r\n$1\r\n0\r\n*6\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\nc\r\n$3\r\n2.5\r\n$1\r\na\r\n$"
            "1\r\n3\r\n");
  h.session.protocol = 3;  // scores stay bulk strings in ZSCAN, as in Redis
  EXPECT_EQ(h.Run({"zscan", "z", "0", "match", "[ab]"}),
            "*2\r\n$1\r\n0\r\n*4\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n3\r\n");
}

TEST(ZSets, ScanOfABigSetPagesThroughEveryMember) {
  StoreHarness h;
  std::vector<std::string> argv = {"zadd", "big"};
  for (int i = 0; i < 500; ++i) {
    argv.push_back(std::to_string(i % 7));
    argv.push_back("m" + std::to_string(i));
  }
  EXPECT_EQ(h.Run(argv), ":500\r\n");
  std::map<std::string, std::string> seen;
  std::string cursor = "0";
  int pages = 0;
  do {
    ReplyTree page = ParseReply(h.Run({"zscan", "big", cursor, "count", "50"}));
    ASSERT_EQ(page.elements.size(), 2u);
    cursor = page.elements[0].text;
    const auto& items = page.elements[1].elements;
    for (size_t j = 0; j + 1 < items.size(); j += 2) seen[items[j].text] = items[j + 1].text;
    ++pages;
  } while (cursor != "0" && pages < 1000);
  EXPECT_GT(pages, 1);
  ASSERT_EQ(seen.size(), 500u);
  EXPECT_EQ(seen["m10"], "3");
}

TEST(ZSets, LexRangesOnABigSetSeekByMember) {
  StoreHarness h;
  std::vector<std::string> argv = {"zadd", "lex"};
  for (int i = 0; i < 300; ++i) {
    argv.push_back("0");
    argv.push_back("m" + std::to_string(1000 + i));
  }
  EXPECT_EQ(h.Run(argv), ":300\r\n");
  EXPECT_EQ(h.Run({"zrangebylex", "lex", "(m1100", "[m1102"}),
            "*2\r\n$5\r\nm1101\r\n$5\r\nm1102\r\n");
  EXPECT_EQ(h.Run({"zrevrangebylex", "lex", "(m1102", "[m1100", "limit", "1", "5"}),
            "*1\r\n$5\r\nm1100\r\n");
  EXPECT_EQ(h.Run({"zlexcount", "lex", "[m1250", "+"}), ":50\r\n");
  EXPECT_EQ(h.Run({"zremrangebylex", "lex", "-", "(m1200"}), ":200\r\n");
  EXPECT_EQ(h.Run({"zcard", "lex"}), ":100\r\n");
  EXPECT_EQ(h.Run({"zrank", "lex", "m1299"}), ":99\r\n");
}

TEST(ZSetsRedis, AddScoreFormatting) {
  StoreHarness h;
  Seq(h,
      {
          {{"zadd", "z", "1.1", "a", "-0", "b", "1e300", "c", "inf", "d", "-inf", "e"}, ":5\r\n"},
          {{"zscore", "z", "a"}, "$18\r\n1.1000000000000001\r\n"},
          {{"zscore", "z", "b"}, "$1\r\n0\r\n"},
          {{"zscore", "z", "c"}, "$23\r\n1.0000000000000001e+300\r\n"},
          {{"zscore", "z", "e"}, "$4\r\n-inf\r\n"},
          {{"zrange", "z", "0", "-1", "withscores"},
           "*10\r\n$1\r\ne\r\n$4\r\n-inf\r\n$1\r\nb\r\n$1\r\n0\r\n$1\r\na\r\n$18\r\n1."
           "1000000000000001\r\n$1\r\nc\r\n$23\r\n1.0000000000000001e+300\r\n$1\r\nd\r\n$"
           "3\r\ninf\r\n"},
          {{"zadd", "z", "0x10", "a"}, ":0\r\n"},
          {{"zadd", "z", "+inf", "a"}, ":0\r\n"},
          {{"zscore", "z", "a"}, "$3\r\ninf\r\n"},
          {{"zadd", "z", "1e400", "a"}, "-ERR value is not a valid float\r\n"},
          {{"zadd", "z", "1e-400", "a"}, "-ERR value is not a valid float\r\n"},
          {{"zadd", "z", " 1", "a"}, "-ERR value is not a valid float\r\n"},
          {{"zadd", "z", "1 ", "a"}, "-ERR value is not a valid float\r\n"},
          {{"zadd", "z", "nan", "x"}, "-ERR value is not a valid float\r\n"},
          {{"zadd", "z", "x", "a"}, "-ERR value is not a valid float\r\n"},
          {{"zcard", "z"}, ":5\r\n"},
      });
}

TEST(ZSetsRedis, AddOptionErrors) {
  StoreHarness h;
  Seq(h, {
             {{"zadd", "z", "xx", "nx", "1", "a"},
              "-ERR XX and NX options at the same time are not compatible\r\n"},
             {{"zadd", "z", "gt", "lt", "1", "a"},
              "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"},
             {{"zadd", "z", "nx", "gt", "1", "a"},
              "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"},
             {{"zadd", "z", "nx", "lt", "1", "a"},
              "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"},
             {{"zadd", "z", "incr", "1", "a", "2", "b"},
              "-ERR INCR option supports a single increment-element pair\r\n"},
             {{"zadd", "z", "1", "a", "2"}, "-ERR syntax error\r\n"},
             {{"zadd", "z", "xx", "nx", "1", "a", "2"}, "-ERR syntax error\r\n"},
             {{"zadd", "z", "incr", "1", "a", "2"}, "-ERR syntax error\r\n"},
             {{"zadd", "z", "incr", "x", "a"}, "-ERR value is not a valid float\r\n"},
             {{"zadd", "z", "gt", "lt", "x", "a"},
              "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"},
             {{"zadd", "z", "foo", "1", "a"}, "-ERR syntax error\r\n"},
             {{"zadd", "z", "1", "a", "foo"}, "-ERR syntax error\r\n"},
             {{"zadd", "z"}, "-ERR wrong number of arguments for 'zadd' command\r\n"},
             {{"zadd", "z", "ch", "ch", "1", "a"}, ":1\r\n"},
             {{"set", "s", "1"}, "+OK\r\n"},
             {{"zadd", "s", "1", "a"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"zadd", "s", "x", "a"}, "-ERR value is not a valid float\r\n"},
         });
}

TEST(ZSetsRedis, AddOptions) {
  StoreHarness h;
  Seq(h, {
             {{"zadd", "no", "xx", "1", "a"}, ":0\r\n"},
             {{"zadd", "no", "xx", "incr", "1", "a"}, "$-1\r\n"},
             {{"exists", "no"}, ":0\r\n"},
             {{"zadd", "z", "1", "a", "2", "b"}, ":2\r\n"},
             {{"zadd", "z", "nx", "5", "a", "3", "c"}, ":1\r\n"},
             {{"zadd", "z", "xx", "5", "a", "4", "d"}, ":0\r\n"},
             {{"zadd", "z", "xx", "ch", "5", "a", "6", "b"}, ":1\r\n"},
             {{"zadd", "z", "gt", "ch", "0", "a", "7", "b", "8", "e"}, ":2\r\n"},
             {{"zadd", "z", "lt", "ch", "0", "a", "9", "b", "9", "f"}, ":2\r\n"},
             {{"zadd", "z", "1", "dup", "2", "dup"}, ":1\r\n"},
             {{"zadd", "z", "ch", "1", "dup2", "2", "dup2"}, ":2\r\n"},
             {{"zrange", "z", "0", "-1", "withscores"},
              "*14\r\n$1\r\na\r\n$1\r\n0\r\n$3\r\ndup\r\n$1\r\n2\r\n$4\r\ndup2\r\n$1\r\n2\r\n$"
              "1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n7\r\n$1\r\ne\r\n$1\r\n8\r\n$1\r\nf\r\n$"
              "1\r\n9\r\n"},
             {{"zadd", "z", "incr", "2.5", "a"}, "$3\r\n2.5\r\n"},
             {{"zadd", "z", "NX", "INCR", "5", "a"}, "$-1\r\n"},
             {{"zadd", "z", "XX", "INCR", "5", "newx"}, "$-1\r\n"},
             {{"zadd", "z", "LT", "INCR", "5", "a"}, "$-1\r\n"},
             {{"zadd", "z", "GT", "INCR", "5", "a"}, "$3\r\n7.5\r\n"},
             {{"zadd", "z", "INCR", "0", "a"}, "$3\r\n7.5\r\n"},
             {{"zadd", "z", "incr", "inf", "a"}, "$3\r\ninf\r\n"},
             {{"zadd", "z", "incr", "-inf", "a"}, "-ERR resulting score is not a number (NaN)\r\n"},
             {{"zincrby", "z", "-inf", "a"}, "-ERR resulting score is not a number (NaN)\r\n"},
             {{"zincrby", "z", "x", "a"}, "-ERR value is not a valid float\r\n"},
             {{"zincrby", "no", "1", "m"}, "$1\r\n1\r\n"},
             {{"zincrby", "no", "1.5", "m"}, "$3\r\n2.5\r\n"},
             {{"zscore", "no", "m"}, "$3\r\n2.5\r\n"},
         });
}

TEST(ZSetsRedis, AddResp3) {
  StoreHarness h;
  Seq(h,
      {
          {{"#3"}, ""},
          {{"zadd", "z", "1", "a"}, ":1\r\n"},
          {{"zadd", "z", "incr", "1.5", "a"}, ",2.5\r\n"},
          {{"zadd", "z", "nx", "incr", "1", "a"}, "_\r\n"},
          {{"zincrby", "z", "2", "a"}, ",4.5\r\n"},
          {{"zscore", "z", "a"}, ",4.5\r\n"},
          {{"zscore", "z", "nope"}, "_\r\n"},
          {{"zmscore", "z", "a", "nope"}, "*2\r\n,4.5\r\n_\r\n"},
          {{"zmscore", "nokey", "a", "b"}, "*2\r\n_\r\n_\r\n"},
          {{"zrange", "z", "0", "-1", "withscores"}, "*1\r\n*2\r\n$1\r\na\r\n,4.5\r\n"},
          {{"zrangebyscore", "z", "-inf", "+inf", "withscores"}, "*1\r\n*2\r\n$1\r\na\r\n,4.5\r\n"},
          {{"zrevrange", "z", "0", "0", "withscores"}, "*1\r\n*2\r\n$1\r\na\r\n,4.5\r\n"},
          {{"zrange", "z", "0", "-1"}, "*1\r\n$1\r\na\r\n"},
      });
}

TEST(ZSetsRedis, RemScoreCardRank) {
  StoreHarness h;
  Seq(h, {
             {{"zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d"}, ":4\r\n"},
             {{"zrem", "z", "a", "nope", "b"}, ":2\r\n"},
             {{"zrem", "no", "a"}, ":0\r\n"},
             {{"zcard", "z"}, ":2\r\n"},
             {{"zcard", "no"}, ":0\r\n"},
             {{"zmscore", "z", "c", "nope", "d"}, "*3\r\n$1\r\n3\r\n$-1\r\n$1\r\n4\r\n"},
             {{"zmscore", "no", "a"}, "*1\r\n$-1\r\n"},
             {{"zscore", "no", "a"}, "$-1\r\n"},
             {{"zrank", "z", "c"}, ":0\r\n"},
             {{"zrank", "z", "d"}, ":1\r\n"},
             {{"zrevrank", "z", "c"}, ":1\r\n"},
             {{"zrevrank", "z", "d"}, ":0\r\n"},
             {{"zrank", "z", "nope"}, "$-1\r\n"},
             {{"zrank", "no", "a"}, "$-1\r\n"},
             {{"zrank", "z", "a", "foo"}, "-ERR wrong number of arguments for 'zrank' command\r\n"},
             {{"zrem", "z", "c", "d"}, ":2\r\n"},
             {{"exists", "z"}, ":0\r\n"},
         });
}

TEST(ZSetsRedis, Pops) {
  StoreHarness h;
  Seq(h, {
             {{"zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d"}, ":4\r\n"},
             {{"zpopmin", "z", "0"}, "*0\r\n"},
             {{"zpopmin", "z", "-1"}, "-ERR value is out of range, must be positive\r\n"},
             {{"zpopmin", "z", "x"}, "-ERR value is out of range, must be positive\r\n"},
             {{"zpopmin", "no", "0"}, "*0\r\n"},
             {{"zpopmin", "no"}, "*0\r\n"},
             {{"zpopmin", "z", "1", "2"}, "-ERR syntax error\r\n"},
             {{"zpopmin", "z", "x", "2"}, "-ERR syntax error\r\n"},
             {{"zpopmax", "z", "2"}, "*4\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\nc\r\n$1\r\n3\r\n"},
             {{"zpopmin", "z"}, "*2\r\n$1\r\na\r\n$1\r\n1\r\n"},
             {{"zpopmax", "z", "5"}, "*2\r\n$1\r\nb\r\n$1\r\n2\r\n"},
             {{"exists", "z"}, ":0\r\n"},
             {{"zadd", "z", "1", "a", "2", "b", "3", "c"}, ":3\r\n"},
             {{"zmpop", "1", "z", "min", "count", "2"},
              "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"},
             {{"zmpop", "1", "z", "max"}, "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
             {{"zmpop", "1", "z", "max"}, "*-1\r\n"},
             {{"zmpop", "0", "z", "min"}, "-ERR numkeys should be greater than 0\r\n"},
             {{"zmpop", "x", "z", "min"}, "-ERR numkeys should be greater than 0\r\n"},
             {{"zmpop", "1", "z", "mid"}, "-ERR syntax error\r\n"},
             {{"zmpop", "1", "z", "min", "count", "0"}, "-ERR count should be greater than 0\r\n"},
             {{"zmpop", "1", "z", "min", "count", "x"}, "-ERR count should be greater than 0\r\n"},
             {{"zmpop", "1", "z", "min", "count", "1", "count", "1"}, "-ERR syntax error\r\n"},
             {{"zmpop", "2", "z"}, "-ERR wrong number of arguments for 'zmpop' command\r\n"},
         });
}

TEST(ZSetsRedis, PopsResp3) {
  StoreHarness h;
  Seq(h, {
             {{"#3"}, ""},
             {{"zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d"}, ":4\r\n"},
             {{"zpopmin", "z"}, "*2\r\n$1\r\na\r\n,1\r\n"},
             {{"zpopmin", "z", "1"}, "*1\r\n*2\r\n$1\r\nb\r\n,2\r\n"},
             {{"zpopmax", "z", "5"}, "*2\r\n*2\r\n$1\r\nd\r\n,4\r\n*2\r\n$1\r\nc\r\n,3\r\n"},
             {{"zpopmin", "no"}, "*0\r\n"},
             {{"zpopmin", "no", "2"}, "*0\r\n"},
             {{"zadd", "z", "1", "a", "2", "b", "3", "c"}, ":3\r\n"},
             {{"bzpopmin", "z", "0"}, "*3\r\n$1\r\nz\r\n$1\r\na\r\n,1\r\n"},
             {{"bzpopmax", "z", "0"}, "*3\r\n$1\r\nz\r\n$1\r\nc\r\n,3\r\n"},
             {{"zadd", "z", "1", "a", "2", "b", "3", "c"}, ":2\r\n"},
             {{"zmpop", "1", "z", "min", "count", "2"},
              "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n"},
             {{"bzmpop", "0", "1", "z", "max", "count", "4"},
              "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nc\r\n,3\r\n"},
             {{"zmpop", "1", "z", "min"}, "_\r\n"},
         });
}

TEST(ZSetsRedis, BlockingPops) {
  StoreHarness h;
  Seq(h, {
             {{"zadd", "z", "1", "a", "2", "b", "3", "c"}, ":3\r\n"},
             {{"bzpopmin", "no", "z", "0"}, "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n"},
             {{"bzpopmax", "no", "z", "0.5"}, "*3\r\n$1\r\nz\r\n$1\r\nc\r\n$1\r\n3\r\n"},
             {{"bzmpop", "0", "2", "no", "z", "max", "count", "2"},
              "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"},
             {{"set", "s", "1"}, "+OK\r\n"},
             {{"bzpopmin", "s", "z", "0"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"bzpopmin", "z", "x"}, "-ERR timeout is not a float or out of range\r\n"},
             {{"bzpopmin", "z", "-1"}, "-ERR timeout is negative\r\n"},
             {{"bzmpop", "x", "0", "z", "min"}, "-ERR numkeys should be greater than 0\r\n"},
             {{"bzmpop", "x", "1", "a", "mid"}, "-ERR syntax error\r\n"},
             {{"bzmpop", "x", "1", "a", "min", "count", "0"},
              "-ERR count should be greater than 0\r\n"},
             {{"bzmpop", "x", "1", "z", "min"}, "-ERR timeout is not a float or out of range\r\n"},
             {{"multi"}, "+OK\r\n"},
             {{"bzpopmin", "no", "0"}, "+QUEUED\r\n"},
             {{"bzpopmax", "no", "0"}, "+QUEUED\r\n"},
             {{"bzmpop", "0", "1", "no", "min"}, "+QUEUED\r\n"},
             {{"exec"}, "*3\r\n*-1\r\n*-1\r\n*-1\r\n"},
         });
}

TEST(ZSetsRedis, Ranges) {
  StoreHarness h;
  Seq(h,
      {
          {{"zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d"}, ":4\r\n"},
          {{"zrange", "z", "0", "-1", "limit", "0", "1"},
           "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
           "BYLEX\r\n"},
          {{"zrange", "z", "0", "-1", "limit", "0", "-1"},
           "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"},
          {{"zrange", "z", "0", "-1", "limit", "1", "-1"},
           "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"},
          {{"zrange", "z", "0", "-1", "bylex", "withscores"},
           "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"},
          {{"zrange", "z", "0", "-1", "byscore", "bylex"}, "-ERR syntax error\r\n"},
          {{"zrange", "z", "0", "-1", "rev", "rev"}, "-ERR syntax error\r\n"},
          {{"zrange", "z", "(1", "3", "byscore"}, "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"},
          {{"zrange", "z", "3", "(1", "byscore", "rev"}, "*2\r\n$1\r\nc\r\n$1\r\nb\r\n"},
          {{"zrange", "z", "x", "3", "byscore"}, "-ERR min or max is not a float\r\n"},
          {{"zrange", "z", "x", "3"}, "-ERR value is not an integer or out of range\r\n"},
          {{"zrange", "z", "[a", "(c", "bylex"}, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
          {{"zrange", "z", "a", "c", "bylex"}, "-ERR min or max not valid string range item\r\n"},
          {{"zrange", "z", "0", "-1", "withscores", "limit", "1"}, "-ERR syntax error\r\n"},
          {{"zrange", "z", "0", "-1", "limit", "x", "1"},
           "-ERR value is not an integer or out of range\r\n"},
          {{"zrange", "z", "0", "10", "byscore", "limit", "x", "1"},
           "-ERR value is not an integer or out of range\r\n"},
          {{"zrange", "z", "0", "10", "byscore", "limit", "-1", "2"}, "*0\r\n"},
          {{"zrange", "z", "0", "10", "byscore", "limit", "1", "-1"},
           "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"},
          {{"zrange", "z", "0", "10", "byscore", "limit", "1", "0"}, "*0\r\n"},
          {{"zrange", "z", "0", "10", "byscore", "limit", "1", "2", "withscores"},
           "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
          {{"zrange", "z", "10", "0", "byscore", "rev", "limit", "1", "2", "withscores"},
           "*4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n"},
          {{"zrangebyscore", "z", "0", "10", "rev"}, "-ERR syntax error\r\n"},
          {{"zrangebyscore", "z", "0", "10", "byscore"}, "-ERR syntax error\r\n"},
          {{"zrevrange", "z", "0", "-1", "limit", "0", "1"},
           "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
           "BYLEX\r\n"},
          {{"zrevrange", "z", "0", "-1", "byscore"}, "-ERR syntax error\r\n"},
          {{"zrangebylex", "z", "-", "+", "withscores"},
           "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"},
          {{"zrangebyscore", "z", "0", "10", "limit", "1", "1", "withscores"},
           "*2\r\n$1\r\nb\r\n$1\r\n2\r\n"},
          {{"zrevrangebyscore", "z", "10", "0", "limit", "1", "2", "withscores"},
           "*4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n"},
          {{"zrevrangebylex", "z", "+", "-", "limit", "1", "2"}, "*2\r\n$1\r\nc\r\n$1\r\nb\r\n"},
          {{"zrange", "z", "2", "1"}, "*0\r\n"},
          {{"zrange", "z", "-100", "100"}, "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"},
          {{"zrange", "z", "1", "1", "rev"}, "*1\r\n$1\r\nc\r\n"},
          {{"zrange", "z", "-2", "-1", "rev", "withscores"},
           "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n"},
          {{"zrevrange", "z", "0", "1", "withscores"},
           "*4\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\nc\r\n$1\r\n3\r\n"},
          {{"zrange", "z", " 1", "2", "byscore"}, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
          {{"zrange", "z", "", "2", "byscore"}, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
          {{"zrange", "z", "-inf", "1e400", "byscore"},
           "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"},
          {{"zrange", "z", "(3", "(1", "byscore", "rev", "limit", "0", "5"}, "*1\r\n$1\r\nb\r\n"},
          {{"zrange", "z", "0", "-1", "withscores", "withscores"},
           "*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$"
           "1\r\n4\r\n"},
          {{"zrange", "no", "0", "-1"}, "*0\r\n"},
          {{"zrange", "no", "x", "1"}, "-ERR value is not an integer or out of range\r\n"},
          {{"set", "s", "1"}, "+OK\r\n"},
          {{"zrange", "s", "0", "1"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"zrange", "s", "x", "1"}, "-ERR value is not an integer or out of range\r\n"},
      });
}

TEST(ZSetsRedis, LexRanges) {
  StoreHarness h;
  Seq(h,
      {
          {{"zadd", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"}, ":5\r\n"},
          {{"zrangebylex", "l", "(a", "[c"}, "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"},
          {{"zrangebylex", "l", "[c", "(a"}, "*0\r\n"},
          {{"zrangebylex", "l", "-", "+"},
           "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"},
          {{"zrangebylex", "l", "+", "-"}, "*0\r\n"},
          {{"zrangebylex", "l", "[a", "+a"}, "-ERR min or max not valid string range item\r\n"},
          {{"zrangebylex", "l", "-a", "+"}, "-ERR min or max not valid string range item\r\n"},
          {{"zrangebylex", "l", "", "+"}, "-ERR min or max not valid string range item\r\n"},
          {{"zrangebylex", "l", "[", "+"},
           "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"},
          {{"zrangebylex", "l", "-", "("}, "*0\r\n"},
          {{"zrangebylex", "l", "[bb", "[dd"}, "*2\r\n$1\r\nc\r\n$1\r\nd\r\n"},
          {{"zrevrangebylex", "l", "[dd", "[bb"}, "*2\r\n$1\r\nd\r\n$1\r\nc\r\n"},
          {{"zrevrangebylex", "l", "(d", "(b"}, "*1\r\n$1\r\nc\r\n"},
          {{"zrevrangebylex", "l", "+", "-", "limit", "0", "2"}, "*2\r\n$1\r\ne\r\n$1\r\nd\r\n"},
          {{"zrangebylex", "l", "[b", "+", "limit", "1", "2"}, "*2\r\n$1\r\nc\r\n$1\r\nd\r\n"},
          {{"zrangebylex", "l", "[b", "+", "limit", "5", "2"}, "*0\r\n"},
          {{"zlexcount", "l", "(a", "(a"}, ":0\r\n"},
          {{"zlexcount", "l", "[a", "[a"}, ":1\r\n"},
          {{"zlexcount", "l", "-", "-"}, ":0\r\n"},
          {{"zlexcount", "l", "+", "+"}, ":0\r\n"},
          {{"zlexcount", "l", "[b", "+"}, ":4\r\n"},
          {{"zlexcount", "l", "a", "b"}, "-ERR min or max not valid string range item\r\n"},
          {{"zlexcount", "no", "-", "+"}, ":0\r\n"},
          {{"zadd", "m", "1", "d", "2", "a", "3", "c", "4", "b", "5", "e"}, ":5\r\n"},
          {{"zrangebylex", "m", "[b", "[d"}, "*4\r\n$1\r\nd\r\n$1\r\na\r\n$1\r\nc\r\n$1\r\nb\r\n"},
          {{"zrangebylex", "m", "-", "[c"}, "*0\r\n"},
          {{"zrevrangebylex", "m", "[d", "[b"}, "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"},
          {{"zlexcount", "m", "[b", "[d"}, ":4\r\n"},
      });
}

TEST(ZSetsRedis, CountAndRemoveRanges) {
  StoreHarness h;
  Seq(h,
      {
          {{"zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"}, ":5\r\n"},
          {{"zcount", "z", "(", "("}, ":0\r\n"},
          {{"zcount", "z", "(", "3"}, ":3\r\n"},
          {{"zcount", "z", "(1", "[3"}, "-ERR min or max is not a float\r\n"},
          {{"zcount", "z", "-inf", "+inf"}, ":5\r\n"},
          {{"zcount", "z", "(1", "(4"}, ":2\r\n"},
          {{"zcount", "z", "2", "2"}, ":1\r\n"},
          {{"zcount", "z", "(2", "2"}, ":0\r\n"},
          {{"zcount", "no", "0", "1"}, ":0\r\n"},
          {{"zremrangebyrank", "z", "x", "1"}, "-ERR value is not an integer or out of range\r\n"},
          {{"zremrangebyrank", "no", "0", "1"}, ":0\r\n"},
          {{"zremrangebyscore", "z", "a", "b"}, "-ERR min or max is not a float\r\n"},
          {{"zremrangebylex", "z", "a", "b"}, "-ERR min or max not valid string range item\r\n"},
          {{"zremrangebylex", "no", "a", "b"}, "-ERR min or max not valid string range item\r\n"},
          {{"zremrangebyrank", "z", "1", "2"}, ":2\r\n"},
          {{"zrange", "z", "0", "-1", "withscores"},
           "*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\ne\r\n$1\r\n5\r\n"},
          {{"zremrangebyrank", "z", "-1", "-1"}, ":1\r\n"},
          {{"zremrangebyrank", "z", "5", "6"}, ":0\r\n"},
          {{"zremrangebyscore", "z", "(1", "+inf"}, ":1\r\n"},
          {{"zrange", "z", "0", "-1"}, "*1\r\n$1\r\na\r\n"},
          {{"zremrangebyscore", "z", "-inf", "1"}, ":1\r\n"},
          {{"exists", "z"}, ":0\r\n"},
          {{"zadd", "l", "0", "a", "0", "b", "0", "c", "0", "d"}, ":4\r\n"},
          {{"zremrangebylex", "l", "-", "(c"}, ":2\r\n"},
          {{"zrange", "l", "0", "-1"}, "*2\r\n$1\r\nc\r\n$1\r\nd\r\n"},
          {{"zremrangebylex", "l", "-", "+"}, ":2\r\n"},
          {{"exists", "l"}, ":0\r\n"},
          {{"set", "s", "1"}, "+OK\r\n"},
          {{"zremrangebyrank", "s", "0", "1"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"zremrangebyscore", "s", "0", "1"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"zremrangebylex", "s", "-", "+"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"zremrangebyrank", "s", "x", "1"}, "-ERR value is not an integer or out of range\r\n"},
          {{"zcount", "s", "0", "1"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"zlexcount", "s", "-", "+"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
      });
}

TEST(ZSetsRedis, RangeStore) {
  StoreHarness h;
  Seq(h, {
             {{"zadd", "z", "1", "a", "2", "b", "3", "c"}, ":3\r\n"},
             {{"zrangestore", "d", "z", "0", "-1", "withscores"}, "-ERR syntax error\r\n"},
             {{"zrangestore", "d", "no", "0", "-1"}, ":0\r\n"},
             {{"zrangestore", "d", "z", "0", "-1", "rev"}, ":3\r\n"},
             {{"zrange", "d", "0", "-1", "withscores"},
              "*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
             {{"zrangestore", "d", "z", "1", "2", "byscore", "limit", "1", "1"}, ":1\r\n"},
             {{"zrange", "d", "0", "-1", "withscores"}, "*2\r\n$1\r\nb\r\n$1\r\n2\r\n"},
             {{"zrangestore", "d", "z", "[b", "+", "bylex"}, ":2\r\n"},
             {{"zrange", "d", "0", "-1", "withscores"},
              "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
             {{"set", "s", "1"}, "+OK\r\n"},
             {{"zrangestore", "d", "s", "0", "-1"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"zrangestore", "s", "z", "0", "0"}, ":1\r\n"},
             {{"type", "s"}, "+zset\r\n"},
             {{"zrangestore", "s", "z", "5", "6"}, ":0\r\n"},
             {{"exists", "s"}, ":0\r\n"},
         });
}

TEST(ZSetsRedis, SetOperations) {
  StoreHarness h;
  Seq(h,
      {
          {{"zadd", "z", "1", "a", "2", "b", "3", "c"}, ":3\r\n"},
          {{"sadd", "st", "a", "x"}, ":2\r\n"},
          {{"zunionstore", "d", "0", "z"},
           "-ERR at least 1 input key is needed for 'zunionstore' command\r\n"},
          {{"zunionstore", "d", "x", "z"}, "-ERR value is not an integer or out of range\r\n"},
          {{"zunionstore", "d", "-1", "z"},
           "-ERR at least 1 input key is needed for 'zunionstore' command\r\n"},
          {{"zunionstore", "d", "3", "z"}, "-ERR syntax error\r\n"},
          {{"zunionstore", "d", "2", "z", "st", "weights", "2"}, "-ERR syntax error\r\n"},
          {{"zunionstore", "d", "2", "z", "st", "weights", "2", "x"},
           "-ERR weight value is not a float\r\n"},
          {{"zunionstore", "d", "2", "z", "st", "weights", "2", "3"}, ":4\r\n"},
          {{"zrange", "d", "0", "-1", "withscores"},
           "*8\r\n$1\r\nx\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n4\r\n$1\r\na\r\n$1\r\n5\r\n$1\r\nc\r\n$"
           "1\r\n6\r\n"},
          {{"zinterstore", "d", "2", "z", "st", "aggregate", "max", "weights", "1", "5"}, ":1\r\n"},
          {{"zrange", "d", "0", "-1", "withscores"}, "*2\r\n$1\r\na\r\n$1\r\n5\r\n"},
          {{"zinterstore", "d", "2", "z", "st", "aggregate", "foo"}, "-ERR syntax error\r\n"},
          {{"zinterstore", "d", "2", "z", "st", "aggregate"}, "-ERR syntax error\r\n"},
          {{"zinterstore", "d", "2", "z", "st", "withscores"}, "-ERR syntax error\r\n"},
          {{"zdiffstore", "d", "2", "z", "st"}, ":2\r\n"},
          {{"zrange", "d", "0", "-1", "withscores"},
           "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
          {{"zdiffstore", "d", "2", "z", "st", "weights", "1", "1"}, "-ERR syntax error\r\n"},
          {{"zdiffstore", "d", "2", "z", "st", "aggregate", "sum"}, "-ERR syntax error\r\n"},
          {{"zdiffstore", "d", "0", "z"},
           "-ERR at least 1 input key is needed for 'zdiffstore' command\r\n"},
          {{"zinter", "0", "z"}, "-ERR at least 1 input key is needed for 'zinter' command\r\n"},
          {{"zunion", "2", "z", "st", "withscores"},
           "*8\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$"
           "1\r\n3\r\n"},
          {{"zinter", "2", "z", "st", "withscores"}, "*2\r\n$1\r\na\r\n$1\r\n2\r\n"},
          {{"zdiff", "2", "z", "st", "withscores"},
           "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
          {{"zinterstore", "d", "2", "z", "nokey"}, ":0\r\n"},
          {{"exists", "d"}, ":0\r\n"},
          {{"set", "s", "1"}, "+OK\r\n"},
          {{"zunionstore", "d", "2", "z", "s"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"zunionstore", "d", "2", "z", "s", "weights", "x"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"zunionstore", "d", "2", "z", "st", "weights", "x"}, "-ERR syntax error\r\n"},
          {{"zunionstore", "d", "1", "z", "weights", "1", "2"}, "-ERR syntax error\r\n"},
          {{"zunionstore", "d", "99999999999999999999", "z"},
           "-ERR value is not an integer or out of range\r\n"},
          {{"zunionstore", "s", "1", "z"}, ":3\r\n"},
          {{"type", "s"}, "+zset\r\n"},
          {{"zunionstore", "d", "1", "z", "weights", "inf"}, ":3\r\n"},
          {{"zrange", "d", "0", "-1", "withscores"},
           "*6\r\n$1\r\na\r\n$3\r\ninf\r\n$1\r\nb\r\n$3\r\ninf\r\n$1\r\nc\r\n$3\r\ninf\r\n"},
          {{"zunionstore", "d", "2", "d", "d", "weights", "1", "-1"}, ":3\r\n"},
          {{"zrange", "d", "0", "-1", "withscores"},
           "*6\r\n$1\r\na\r\n$1\r\n0\r\n$1\r\nb\r\n$1\r\n0\r\n$1\r\nc\r\n$1\r\n0\r\n"},
          {{"zunionstore", "d", "2", "z", "st", "aggregate", "MIN", "WEIGHTS", "1", "-1"},
           ":4\r\n"},
          {{"zrange", "d", "0", "-1", "withscores"},
           "*8\r\n$1\r\na\r\n$2\r\n-1\r\n$1\r\nx\r\n$2\r\n-1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$"
           "1\r\n3\r\n"},
          {{"zunionstore", "d", "2", "z", "z", "aggregate", "min", "aggregate", "max"}, ":3\r\n"},
          {{"zrange", "d", "0", "-1", "withscores"},
           "*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
          {{"zunion", "1", "z", "weights", "nan"}, "-ERR weight value is not a float\r\n"},
          {{"zunion", "1", "z", "withscores", "weights", "1.5"},
           "*6\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nb\r\n$1\r\n3\r\n$1\r\nc\r\n$3\r\n4.5\r\n"},
          {{"zintercard", "0", "z"},
           "-ERR at least 1 input key is needed for 'zintercard' command\r\n"},
          {{"zintercard", "1", "z", "limit", "-1"}, "-ERR LIMIT can't be negative\r\n"},
          {{"zintercard", "1", "z", "limit", "x"}, "-ERR LIMIT can't be negative\r\n"},
          {{"zintercard", "2", "z", "st", "limit", "0"}, ":1\r\n"},
          {{"zintercard", "1", "z", "limit", "2"}, ":2\r\n"},
          {{"zintercard", "1", "z", "withscores"}, "-ERR syntax error\r\n"},
          {{"zintercard", "2", "z", "nokey"}, ":0\r\n"},
          {{"zinterstore", "z", "2", "z", "st"}, ":1\r\n"},
          {{"zrange", "z", "0", "-1", "withscores"}, "*2\r\n$1\r\na\r\n$1\r\n2\r\n"},
      });
}

TEST(ZSetsRedis, SetOperationsResp3) {
  StoreHarness h;
  Seq(h, {
             {{"#3"}, ""},
             {{"zadd", "z", "1", "a", "2", "b"}, ":2\r\n"},
             {{"sadd", "st", "a"}, ":1\r\n"},
             {{"zunion", "2", "z", "st", "withscores"},
              "*2\r\n*2\r\n$1\r\na\r\n,2\r\n*2\r\n$1\r\nb\r\n,2\r\n"},
             {{"zinter", "2", "z", "st", "withscores"}, "*1\r\n*2\r\n$1\r\na\r\n,2\r\n"},
             {{"zdiff", "2", "z", "st", "withscores"}, "*1\r\n*2\r\n$1\r\nb\r\n,2\r\n"},
             {{"zdiff", "2", "z", "st"}, "*1\r\n$1\r\nb\r\n"},
         });
}

TEST(ZSetsRedis, RandMemberAndScanArguments) {
  StoreHarness h;
  Seq(h,
      {
          {{"zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d"}, ":4\r\n"},
          {{"zrandmember", "z", "x"}, "-ERR value is not an integer or out of range\r\n"},
          {{"zrandmember", "z", "1", "foo"}, "-ERR syntax error\r\n"},
          {{"zrandmember", "z", "1", "withscores", "x"}, "-ERR syntax error\r\n"},
          {{"zrandmember", "z", "x", "foo"}, "-ERR value is not an integer or out of range\r\n"},
          {{"zrandmember", "z", "-9223372036854775808"},
           "-ERR value is out of range, value must between -9223372036854775807 and "
           "9223372036854775807\r\n"},
          {{"zrandmember", "z", "-9223372036854775807", "withscores"},
           "-ERR value is out of range\r\n"},
          {{"zrandmember", "z", "-4611686018427387904", "withscores"},
           "-ERR value is out of range\r\n"},
          {{"zrandmember", "z", "4611686018427387904", "withscores"},
           "-ERR value is out of range\r\n"},
          {{"zrandmember", "z", "0"}, "*0\r\n"},
          {{"zrandmember", "z", "0", "withscores"}, "*0\r\n"},
          {{"zrandmember", "no", "5"}, "*0\r\n"},
          {{"zrandmember", "no"}, "$-1\r\n"},
          {{"zrandmember", "no", "1", "foo"}, "-ERR syntax error\r\n"},
          {{"zrandmember", "no", "x"}, "-ERR value is not an integer or out of range\r\n"},
          {{"zscan", "z", "x"}, "-ERR invalid cursor\r\n"},
          {{"zscan", "no", "0"}, "*2\r\n$1\r\n0\r\n*0\r\n"},
          {{"zscan", "z", "0", "count", "0"}, "-ERR syntax error\r\n"},
          {{"zscan", "z", "0", "count", "x"}, "-ERR value is not an integer or out of range\r\n"},
          {{"zscan", "z", "0", "match"}, "-ERR syntax error\r\n"},
          {{"zscan", "z", "0", "type", "string"}, "-ERR syntax error\r\n"},
          {{"zscan", "z", "0", "match", "c*", "count", "10"},
           "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
          {{"zscan", "z", "18446744073709551615"},
           "*2\r\n$1\r\n0\r\n*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$"
           "1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n"},
          {{"zscan", "z", "18446744073709551616"}, "-ERR invalid cursor\r\n"},
          {{"zscan", "z", "-1"},
           "*2\r\n$1\r\n0\r\n*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$"
           "1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n"},
          {{"zscan", "no", "0", "count", "0"}, "*2\r\n$1\r\n0\r\n*0\r\n"},
          {{"zscan", "no", "x"}, "-ERR invalid cursor\r\n"},
          {{"zscan", "z", "0", "novalues"}, "-ERR syntax error\r\n"},
          {{"zscan", "z", "0", "count", "1", "count", "2"},
           "*2\r\n$1\r\n0\r\n*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$"
           "1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n"},
          {{"set", "s", "1"}, "+OK\r\n"},
          {{"zrandmember", "s"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"zrandmember", "s", "x"}, "-ERR value is not an integer or out of range\r\n"},
          {{"zscan", "s", "0"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"zscan", "s", "x"}, "-ERR invalid cursor\r\n"},
      });
}

TEST(ZSetsRedis, WrongType) {
  StoreHarness h;
  Seq(h, {
             {{"set", "s", "1"}, "+OK\r\n"},
             {{"zadd", "s", "1", "a"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"zincrby", "s", "1", "a"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"zrem", "s", "a"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"zscore", "s", "a"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"zmscore", "s", "a"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"zcard", "s"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"zrank", "s", "a"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"zrevrank", "s", "a"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"zpopmin", "s"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"zpopmin", "s", "0"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"zpopmax", "s", "x"}, "-ERR value is out of range, must be positive\r\n"},
             {{"zmpop", "1", "s", "min"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"zrange", "s", "0", "1"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"zrangebyscore", "s", "0", "1"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"zrangebylex", "s", "-", "+"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"zrevrange", "s", "0", "1"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
         });
}

// A -0 score survives only where Redis would hold a skiplist (past 128 members); a listpack
// stores it as 0. ZINCRBY still replies the -0 it computed. Bytes from redis-server 7.0.15.
TEST(ZSetsRedis, NegativeZeroScore) {
  StoreHarness h;
  Seq(h, {{{"zadd", "a", "-0", "m"}, ":1\r\n"},
          {{"zscore", "a", "m"}, "$1\r\n0\r\n"},
          {{"zincrby", "b", "-0", "m"}, "$2\r\n-0\r\n"},
          {{"zscore", "b", "m"}, "$1\r\n0\r\n"},
          {{"zunion", "1", "a", "weights", "-1", "withscores"}, "*2\r\n$1\r\nm\r\n$2\r\n-0\r\n"}});
  std::vector<std::string> big = {"zadd", "c", "-0", "m"};
  for (int i = 0; i < 128; ++i) {
    big.push_back(std::to_string(i));
    big.push_back("x" + std::to_string(i));
  }
  EXPECT_EQ(h.Run(big), ":129\r\n");
  Seq(h, {{{"zscore", "c", "m"}, "$1\r\n0\r\n"},  // added while c was still a listpack
          {{"zadd", "c", "-0", "n", "-0", "x5"}, ":1\r\n"},
          {{"zscore", "c", "n"}, "$2\r\n-0\r\n"},
          {{"zscore", "c", "x5"}, "$2\r\n-0\r\n"},
          {{"zrange", "c", "0", "2", "withscores"},
           "*6\r\n$1\r\nm\r\n$1\r\n0\r\n$1\r\nn\r\n$2\r\n-0\r\n$2\r\nx0\r\n$1\r\n0\r\n"},
          {{"zrangestore", "d", "c", "0", "3"}, ":4\r\n"},
          {{"zscore", "d", "n"}, "$1\r\n0\r\n"},
          {{"zunionstore", "e", "1", "c"}, ":130\r\n"},
          {{"zscore", "e", "n"}, "$2\r\n-0\r\n"},
          {{"zremrangebyrank", "c", "5", "-1"}, ":125\r\n"},
          {{"zadd", "c", "-0", "q"}, ":1\r\n"},  // still a skiplist
          {{"zscore", "c", "q"}, "$2\r\n-0\r\n"},
          {{"copy", "c", "f"}, ":1\r\n"},
          {{"zscore", "f", "q"}, "$2\r\n-0\r\n"}});
}

}  // namespace
}  // namespace respite::storage
