// The set family through the real dispatcher, on RocksDB. Expected bytes are what redis-server
// 7.0.15 sent for the same commands, except element order: Redis lists members in intset or
// table order, the local store in byte order, so multi-member replies are compared unordered
// unless the test states our order.

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "storage/keyspace.h"
#include "tests/storage/reply_tree.h"
#include "tests/storage/store_harness.h"

namespace respite::storage {
namespace {

constexpr const char* kWrongType =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
constexpr const char* kNotInteger = "-ERR value is not an integer or out of range\r\n";
constexpr const char* kSyntax = "-ERR syntax error\r\n";
constexpr const char* kEmptyScan = "*2\r\n$1\r\n0\r\n*0\r\n";
constexpr const char* kNotPositive = "-ERR value is out of range, must be positive\r\n";

using Strings = std::vector<std::string>;

MetaValue Meta(StoreHarness& h, std::string_view key) {
  MetaValue meta;
  EXPECT_TRUE(h.store->keyspace().Lookup(0, key, &meta).ok());
  return meta;
}

// Gives `key` an absolute expiry, as EXPIRE would (the keys family owns that command).
void SetExpiry(StoreHarness& h, std::string_view key, int64_t at_ms) {
  MetaValue meta = Meta(h, key);
  ASSERT_NE(meta.type, Type::kNone);
  meta.expire_ms = at_ms;
  h.store->keyspace().PutMeta(0, key, meta, /*created=*/false);
  ASSERT_TRUE(h.store->engine().Commit().ok());
}

Strings Members(StoreHarness& h, std::string_view key) {
  return ParseReply(h.Run({"smembers", key})).SortedTexts();
}

TEST(Sets, SAddAndSRemCountChanges) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"sadd", "s", "a", "b", "c", "a"}), ":3\r\n");
  EXPECT_EQ(h.Run({"sadd", "s", "a"}), ":0\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
  EXPECT_EQ(h.Run({"scard", "s"}), ":3\r\n");
  EXPECT_EQ(h.Run({"srem", "s", "a", "z", "a"}), ":1\r\n");
  EXPECT_EQ(h.Run({"srem", "s", "z"}), ":0\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
  EXPECT_EQ(h.Run({"srem", "nokey", "a"}), ":0\r\n");
  EXPECT_EQ(h.Run({"scard", "s"}), ":2\r\n");
  EXPECT_EQ(h.Run({"srem", "s", "b", "c"}), ":2\r\n");
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"srem", "s", "b", "c"}));
  EXPECT_EQ(h.store->keyspace().KeyCount(0), 0u);
  EXPECT_EQ(h.Run({"scard", "s"}), ":0\r\n");
  EXPECT_EQ(h.Run({"hset", "s", "f", "v"}), ":1\r\n");  // the key is gone
}

TEST(Sets, SMembersIsASetInResp3) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"sadd", "s", "b", "c", "a"}), ":3\r\n");
  // Byte order (Redis: table order).
  EXPECT_EQ(h.Run({"smembers", "s"}), "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
  EXPECT_EQ(h.Run({"smembers", "nokey"}), "*0\r\n");
  h.session.protocol = 3;
  EXPECT_EQ(h.Run({"smembers", "s"}), "~3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
  EXPECT_EQ(h.Run({"smembers", "nokey"}), "~0\r\n");
}

TEST(Sets, Membership) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"sadd", "s", "a", "b", ""}), ":3\r\n");
  EXPECT_EQ(h.Run({"sismember", "s", "a"}), ":1\r\n");
  EXPECT_EQ(h.Run({"sismember", "s", ""}), ":1\r\n");
  EXPECT_EQ(h.Run({"sismember", "s", "z"}), ":0\r\n");
  EXPECT_EQ(h.Run({"sismember", "nokey", "a"}), ":0\r\n");
  EXPECT_EQ(h.Run({"smismember", "s", "a", "z", "b"}), "*3\r\n:1\r\n:0\r\n:1\r\n");
  EXPECT_EQ(h.Run({"smismember", "nokey", "a"}), "*1\r\n:0\r\n");
  h.session.protocol = 3;
  EXPECT_EQ(h.Run({"smismember", "nokey", "a", "b"}), "*2\r\n:0\r\n:0\r\n");
  EXPECT_EQ(h.Run({"scard", "s"}), ":3\r\n");
  EXPECT_EQ(h.Run({"scard", "nokey"}), ":0\r\n");
}

TEST(Sets, WrongTypeFromEveryCommand) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"hset", "h", "f", "v"}), ":1\r\n");
  EXPECT_EQ(h.Run({"sadd", "s", "a"}), ":1\r\n");
  for (const std::vector<std::string>& argv : std::vector<std::vector<std::string>>{
           {"sadd", "h", "a"},
           {"srem", "h", "a"},
           {"smembers", "h"},
           {"sismember", "h", "a"},
           {"smismember", "h", "a"},
           {"scard", "h"},
           {"spop", "h"},
           {"spop", "h", "0"},
           {"srandmember", "h"},
           {"srandmember", "h", "0"},
           {"smove", "h", "s", "a"},
           {"smove", "s", "h", "zz"},
           {"sinter", "s", "h"},
           {"sinter", "nokey", "h"},
           {"sinter", "h", "nokey"},
           {"sunion", "s", "h"},
           {"sdiff", "s", "h"},
           {"sdiff", "nokey", "h"},
           {"sinterstore", "d", "s", "h"},
           {"sunionstore", "d", "nokey", "h"},
           {"sdiffstore", "d", "nokey", "h"},
           {"sintercard", "2", "nokey", "h"},
           {"sintercard", "1", "h"},
           {"sscan", "h", "0"},
           {"sscan", "h", "0", "count", "0"},
       }) {
    EXPECT_EQ(h.Run(argv), kWrongType) << argv[0];
  }
  // Argument errors come first; a missing SMOVE source answers 0 before any type check.
  EXPECT_EQ(h.Run({"spop", "h", "-1"}), kNotPositive);
  EXPECT_EQ(h.Run({"srandmember", "h", "x"}), kNotInteger);
  EXPECT_EQ(h.Run({"sscan", "h", "x"}), "-ERR invalid cursor\r\n");
  EXPECT_EQ(h.Run({"sintercard", "2", "nokey", "h", "limit", "-1"}),
            "-ERR LIMIT can't be negative\r\n");
  EXPECT_EQ(h.Run({"smove", "nokey", "h", "a"}), ":0\r\n");
  EXPECT_EQ(h.Run({"hlen", "h"}), ":1\r\n");
  EXPECT_EQ(h.Run({"scard", "s"}), ":1\r\n");
}

TEST(SPop, SingleAndCount) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"spop", "nokey"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"spop", "nokey", "0"}), "*0\r\n");
  EXPECT_EQ(h.Run({"spop", "nokey", "3"}), "*0\r\n");
  EXPECT_EQ(h.Run({"spop", "nokey", "-1"}), kNotPositive);
  EXPECT_EQ(h.Run({"spop", "nokey", "x"}), kNotPositive);
  EXPECT_EQ(h.Run({"spop", "nokey", "1", "2"}), kSyntax);

  EXPECT_EQ(h.Run({"sadd", "s", "a", "b", "c"}), ":3\r\n");
  EXPECT_EQ(h.Run({"spop", "s", "0"}), "*0\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
  const std::string one = ParseReply(h.Run({"spop", "s"})).text;
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"SREM", "s", one}));
  EXPECT_EQ(h.Run({"scard", "s"}), ":2\r\n");
  EXPECT_EQ(h.Run(std::vector<std::string>{"sismember", "s", one}), ":0\r\n");

  ReplyTree rest = ParseReply(h.Run({"spop", "s", "5"}));
  EXPECT_EQ(rest.type, '*');
  ASSERT_EQ(rest.elements.size(), 2u);
  Strings journal = {"SREM", "s"};
  for (const auto& e : rest.elements) journal.push_back(e.text);
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0], journal);
  std::set<std::string> all = {one, rest.elements[0].text, rest.elements[1].text};
  EXPECT_EQ(all, (std::set<std::string>{"a", "b", "c"}));
  EXPECT_EQ(h.store->keyspace().KeyCount(0), 0u);
  EXPECT_EQ(h.Run({"spop", "s"}), "$-1\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
}

TEST(SPop, Resp3RepliesASet) {
  StoreHarness h;
  h.session.protocol = 3;
  EXPECT_EQ(h.Run({"spop", "nokey"}), "_\r\n");
  EXPECT_EQ(h.Run({"spop", "nokey", "0"}), "~0\r\n");
  EXPECT_EQ(h.Run({"sadd", "s", "a"}), ":1\r\n");
  EXPECT_EQ(h.Run({"spop", "s", "0"}), "~0\r\n");
  EXPECT_EQ(h.Run({"spop", "s", "5"}), "~1\r\n$1\r\na\r\n");
  EXPECT_EQ(h.Run({"sadd", "s", "a", "b"}), ":2\r\n");
  ReplyTree one = ParseReply(h.Run({"spop", "s", "1"}));
  EXPECT_EQ(one.type, '~');
  ASSERT_EQ(one.elements.size(), 1u);
  EXPECT_EQ(h.Run({"scard", "s"}), ":1\r\n");
}

TEST(SPop, DrainsALargeSetWithoutRepeats) {
  StoreHarness h;
  std::vector<std::string> argv = {"sadd", "big"};
  for (int i = 0; i < 5000; ++i) argv.push_back("m" + std::to_string(i));
  EXPECT_EQ(h.Run(argv), ":5000\r\n");
  std::set<std::string> popped;
  for (int i = 0; i < 200; ++i) {
    const std::string m = ParseReply(h.Run({"spop", "big"})).text;
    EXPECT_TRUE(popped.insert(m).second) << m;
  }
  ReplyTree many = ParseReply(h.Run({"spop", "big", "100"}));
  ASSERT_EQ(many.elements.size(), 100u);
  for (const auto& e : many.elements) EXPECT_TRUE(popped.insert(e.text).second) << e.text;
  EXPECT_EQ(h.Run({"scard", "big"}), ":4700\r\n");
  ReplyTree rest = ParseReply(h.Run({"spop", "big", "10000"}));
  ASSERT_EQ(rest.elements.size(), 4700u);
  for (const auto& e : rest.elements) EXPECT_TRUE(popped.insert(e.text).second);
  EXPECT_EQ(popped.size(), 5000u);
  EXPECT_EQ(h.store->keyspace().KeyCount(0), 0u);
}

TEST(SRandMember, CountsAndShapes) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"srandmember", "nokey"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"srandmember", "nokey", "0"}), "*0\r\n");
  EXPECT_EQ(h.Run({"srandmember", "nokey", "3"}), "*0\r\n");
  EXPECT_EQ(h.Run({"srandmember", "nokey", "-3"}), "*0\r\n");
  EXPECT_EQ(h.Run({"srandmember", "nokey", "x"}), kNotInteger);
  EXPECT_EQ(h.Run({"srandmember", "nokey", "1", "2"}), kSyntax);
  EXPECT_EQ(h.Run({"srandmember", "nokey", "-9223372036854775808"}),
            "-ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807\r\n");
  EXPECT_EQ(h.Run({"sadd", "s", "a"}), ":1\r\n");
  for (int protocol : {2, 3}) {
    h.session.protocol = protocol;
    EXPECT_EQ(h.Run({"srandmember", "s"}), "$1\r\na\r\n");
    EXPECT_EQ(h.Run({"srandmember", "s", "0"}), "*0\r\n");
    EXPECT_EQ(h.Run({"srandmember", "s", "3"}), "*1\r\n$1\r\na\r\n");
    EXPECT_EQ(h.Run({"srandmember", "s", "-3"}), "*3\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n");
  }
  EXPECT_EQ(h.Run({"srandmember", "nokey"}), "_\r\n");
  EXPECT_EQ(h.Run({"scard", "s"}), ":1\r\n");
}

TEST(SRandMember, EveryMemberComesUp) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"sadd", "s", "1", "5", "10", "50", "125", "50000", "33959417"}), ":7\r\n");
  const Strings all = Members(h, "s");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(ParseReply(h.Run({"srandmember", "s"})).text);
  EXPECT_EQ(Strings(seen.begin(), seen.end()), all);
  Strings four = ParseReply(h.Run({"srandmember", "s", "4"})).SortedTexts();
  ASSERT_EQ(four.size(), 4u);
  EXPECT_TRUE(std::adjacent_find(four.begin(), four.end()) == four.end());
  ReplyTree repeated = ParseReply(h.Run({"srandmember", "s", "-100"}));
  ASSERT_EQ(repeated.elements.size(), 100u);
  for (const auto& e : repeated.elements) EXPECT_TRUE(seen.count(e.text));
  EXPECT_EQ(ParseReply(h.Run({"srandmember", "s", "7"})).SortedTexts(), all);
}

TEST(SMove, MovesBetweenSets) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"sadd", "src", "a", "b"}), ":2\r\n");
  EXPECT_EQ(h.Run({"smove", "src", "dst", "zz"}), ":0\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
  EXPECT_EQ(h.Run({"smove", "src", "src", "a"}), ":1\r\n");
  EXPECT_EQ(h.Run({"smove", "src", "src", "zz"}), ":0\r\n");
  EXPECT_EQ(h.Run({"smove", "src", "dst", "a"}), ":1\r\n");
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"smove", "src", "dst", "a"}));
  EXPECT_EQ(Members(h, "src"), (Strings{"b"}));
  EXPECT_EQ(Members(h, "dst"), (Strings{"a"}));
  EXPECT_EQ(h.Run({"sadd", "dst", "b"}), ":1\r\n");
  // Already in the destination: still 1, and the source loses it (and is deleted, empty).
  EXPECT_EQ(h.Run({"smove", "src", "dst", "b"}), ":1\r\n");
  EXPECT_EQ(h.Run({"scard", "src"}), ":0\r\n");
  EXPECT_EQ(Members(h, "dst"), (Strings{"a", "b"}));
  EXPECT_EQ(h.store->keyspace().KeyCount(0), 1u);
}

TEST(SetAlgebra, InterUnionDiff) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"sadd", "a", "1", "2", "3", "x"}), ":4\r\n");
  EXPECT_EQ(h.Run({"sadd", "b", "2", "3", "4", "x"}), ":4\r\n");
  EXPECT_EQ(h.Run({"sinter", "a", "b"}), "*3\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\nx\r\n");
  EXPECT_EQ(h.Run({"sinter", "a"}), "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\nx\r\n");
  EXPECT_EQ(h.Run({"sinter", "a", "nokey"}), "*0\r\n");
  EXPECT_EQ(h.Run({"sinter", "nokey", "a"}), "*0\r\n");
  EXPECT_EQ(ParseReply(h.Run({"sunion", "a", "b", "nokey"})).SortedTexts(),
            (Strings{"1", "2", "3", "4", "x"}));
  EXPECT_EQ(h.Run({"sunion", "nokey", "nokey2"}), "*0\r\n");
  EXPECT_EQ(h.Run({"sdiff", "a", "b"}), "*1\r\n$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"sdiff", "nokey", "a"}), "*0\r\n");
  EXPECT_EQ(ParseReply(h.Run({"sdiff", "a", "nokey"})).SortedTexts(),
            (Strings{"1", "2", "3", "x"}));
  EXPECT_EQ(h.Run({"sdiff", "a", "a"}), "*0\r\n");
  h.session.protocol = 3;
  EXPECT_EQ(h.Run({"sinter", "a", "b"}), "~3\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\nx\r\n");
  EXPECT_EQ(h.Run({"sinter", "a", "nokey"}), "~0\r\n");
  EXPECT_EQ(h.Run({"sunion", "nokey"}), "~0\r\n");
  EXPECT_EQ(h.Run({"sdiff", "a", "b"}), "~1\r\n$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"sdiff", "nokey"}), "~0\r\n");
}

TEST(SetAlgebra, StoreReplacesTheDestination) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"sadd", "a", "1", "2", "3", "x"}), ":4\r\n");
  EXPECT_EQ(h.Run({"sadd", "b", "2", "3", "4", "x"}), ":4\r\n");
  EXPECT_EQ(h.Run({"sinterstore", "d", "a", "b"}), ":3\r\n");
  EXPECT_EQ(Members(h, "d"), (Strings{"2", "3", "x"}));
  EXPECT_EQ(h.Run({"sunionstore", "d", "a", "b"}), ":5\r\n");
  EXPECT_EQ(Members(h, "d"), (Strings{"1", "2", "3", "4", "x"}));
  EXPECT_EQ(h.Run({"sdiffstore", "d", "a", "b"}), ":1\r\n");
  EXPECT_EQ(Members(h, "d"), (Strings{"1"}));
  EXPECT_EQ(h.Run({"scard", "d"}), ":1\r\n");

  // Any type, and its TTL, is replaced.
  EXPECT_EQ(h.Run({"hset", "hash", "f", "v"}), ":1\r\n");
  SetExpiry(h, "hash", h.clock.NowMs() + 1000);
  EXPECT_EQ(h.Run({"sinterstore", "hash", "a", "b"}), ":3\r\n");
  EXPECT_EQ(h.Run({"hget", "hash", "f"}), kWrongType);
  EXPECT_EQ(Meta(h, "hash").expire_ms, 0);
  EXPECT_EQ(Members(h, "hash"), (Strings{"2", "3", "x"}));

  // An empty result deletes the destination.
  const uint64_t keys = h.store->keyspace().KeyCount(0);
  EXPECT_EQ(h.Run({"sinterstore", "d", "a", "nokey"}), ":0\r\n");
  EXPECT_EQ(h.store->keyspace().KeyCount(0), keys - 1);
  EXPECT_EQ(h.Run({"sdiffstore", "d2", "a", "a"}), ":0\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
  EXPECT_EQ(h.Run({"sunionstore", "d2", "nokey"}), ":0\r\n");
  EXPECT_EQ(h.store->keyspace().KeyCount(0), keys - 1);

  // A source may be the destination.
  EXPECT_EQ(h.Run({"sinterstore", "a", "a", "b"}), ":3\r\n");
  EXPECT_EQ(Members(h, "a"), (Strings{"2", "3", "x"}));
  EXPECT_EQ(h.Run({"sunionstore", "a", "a", "b"}), ":4\r\n");
  EXPECT_EQ(Members(h, "a"), (Strings{"2", "3", "4", "x"}));
  h.session.protocol = 3;
  EXPECT_EQ(h.Run({"sdiffstore", "d", "a", "b"}), ":0\r\n");
}

TEST(SInterCard, ArgumentsAndLimit) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"sadd", "a", "1", "2", "3", "x"}), ":4\r\n");
  EXPECT_EQ(h.Run({"sadd", "b", "2", "3", "4", "x"}), ":4\r\n");
  EXPECT_EQ(h.Run({"sintercard", "2", "a", "b"}), ":3\r\n");
  EXPECT_EQ(h.Run({"sintercard", "1", "a"}), ":4\r\n");
  EXPECT_EQ(h.Run({"sintercard", "2", "a", "nokey"}), ":0\r\n");
  EXPECT_EQ(h.Run({"sintercard", "2", "a", "b", "limit", "1"}), ":1\r\n");
  EXPECT_EQ(h.Run({"sintercard", "2", "a", "b", "LIMIT", "0"}), ":3\r\n");
  EXPECT_EQ(h.Run({"sintercard", "2", "a", "b", "limit", "1", "limit", "2"}), ":2\r\n");
  EXPECT_EQ(h.Run({"sintercard", "1", "a", "limit", "9223372036854775807"}), ":4\r\n");
  const std::string numkeys = "-ERR numkeys should be greater than 0\r\n";
  EXPECT_EQ(h.Run({"sintercard", "0", "a"}), numkeys);
  EXPECT_EQ(h.Run({"sintercard", "-1", "a"}), numkeys);
  EXPECT_EQ(h.Run({"sintercard", "x", "a"}), numkeys);
  EXPECT_EQ(h.Run({"sintercard", "9223372036854775808", "a"}), numkeys);
  const std::string too_many = "-ERR Number of keys can't be greater than number of args\r\n";
  EXPECT_EQ(h.Run({"sintercard", "3", "a", "b"}), too_many);
  EXPECT_EQ(h.Run({"sintercard", "2147483648", "a"}), too_many);
  EXPECT_EQ(h.Run({"sintercard", "2", "a", "b", "limit"}), kSyntax);
  EXPECT_EQ(h.Run({"sintercard", "2", "a", "b", "foo", "1"}), kSyntax);
  EXPECT_EQ(h.Run({"sintercard", "2", "a", "b", "limit", "2", "extra"}), kSyntax);
  EXPECT_EQ(h.Run({"sintercard", "1", "a", "b"}), kSyntax);
  EXPECT_EQ(h.Run({"sintercard", "3", "a", "b", "limit", "1"}), kSyntax);
  const std::string negative = "-ERR LIMIT can't be negative\r\n";
  EXPECT_EQ(h.Run({"sintercard", "2", "a", "b", "limit", "-1"}), negative);
  EXPECT_EQ(h.Run({"sintercard", "2", "a", "b", "limit", "x"}), negative);
  h.session.protocol = 3;
  EXPECT_EQ(h.Run({"sintercard", "2", "a", "b"}), ":3\r\n");
}

TEST(SScan, MissingKeyErrorsAndIntsets) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"sscan", "nokey", "0"}), kEmptyScan);
  EXPECT_EQ(h.Run({"sscan", "nokey", "0", "count", "0"}), kEmptyScan);
  EXPECT_EQ(h.Run({"sscan", "nokey", "x"}), "-ERR invalid cursor\r\n");
  EXPECT_EQ(h.Run({"sadd", "s", "1", "2", "3"}), ":3\r\n");
  EXPECT_EQ(h.Run({"sscan", "s", "0"}), "*2\r\n$1\r\n0\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
  EXPECT_EQ(h.Run({"sscan", "s", "0", "count", "1"}),
            "*2\r\n$1\r\n0\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
  EXPECT_EQ(h.Run({"sscan", "s", "0", "match", "2"}), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\n2\r\n");
  EXPECT_EQ(h.Run({"sscan", "s", "0", "count", "0"}), kSyntax);
  EXPECT_EQ(h.Run({"sscan", "s", "0", "count", "x"}), kNotInteger);
  EXPECT_EQ(h.Run({"sscan", "s", "0", "match"}), kSyntax);
  EXPECT_EQ(h.Run({"sscan", "s", "0", "type", "set"}), kSyntax);
  h.session.protocol = 3;
  EXPECT_EQ(h.Run({"sscan", "s", "0", "match", "3"}), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\n3\r\n");
}

// Runs SSCAN to completion, returning every member reported (with repeats).
Strings ScanAll(StoreHarness& h, std::string_view key, const Strings& extra = {}) {
  Strings out;
  std::string cursor = "0";
  for (int round = 0; round < 10000; ++round) {
    Strings argv = {"sscan", std::string(key), cursor};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ReplyTree reply = ParseReply(h.Run(argv));
    if (reply.elements.size() != 2) {
      ADD_FAILURE() << "bad SSCAN reply";
      return out;
    }
    cursor = reply.elements[0].text;
    for (const auto& e : reply.elements[1].elements) out.push_back(e.text);
    if (cursor == "0") return out;
  }
  ADD_FAILURE() << "SSCAN did not terminate";
  return out;
}

TEST(SScan, PagesThroughBigAndStringSets) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"sadd", "s", "a", "b", "c"}), ":3\r\n");
  // Strings: not an intset, so COUNT pages (Redis: a hashtable).
  ReplyTree page = ParseReply(h.Run({"sscan", "s", "0", "count", "1"}));
  EXPECT_NE(page.elements[0].text, "0");
  EXPECT_EQ(page.elements[1].elements.size(), 1u);
  std::set<std::string> seen;
  for (const std::string& m : ScanAll(h, "s", {"count", "1"})) seen.insert(m);
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b", "c"}));

  Strings argv = {"sadd", "ints"};
  for (int i = 0; i < 600; ++i) argv.push_back(std::to_string(i));
  EXPECT_EQ(h.Run(argv), ":600\r\n");  // over 512: no longer an intset
  EXPECT_NE(ParseReply(h.Run({"sscan", "ints", "0"})).elements[0].text, "0");
  seen.clear();
  for (const std::string& m : ScanAll(h, "ints", {"count", "13"})) seen.insert(m);
  EXPECT_EQ(seen.size(), 600u);
  Strings matched = ScanAll(h, "ints", {"match", "5?"});
  std::sort(matched.begin(), matched.end());
  EXPECT_EQ(matched, (Strings{"50", "51", "52", "53", "54", "55", "56", "57", "58", "59"}));
}

TEST(SScan, MembersPresentThroughoutAreFoundDespiteDeletes) {
  StoreHarness h;
  for (int round = 0; round < 8; ++round) {
    const std::string key = "set" + std::to_string(round);
    Strings argv = {"sadd", key, "x"};
    Strings doomed = {"srem", key};
    for (int i = 0; i < 101 + round * 97; ++i) {
      argv.push_back(std::to_string(i));
      if (i >= 100) doomed.push_back(std::to_string(i));
    }
    h.Run(argv);
    std::set<std::string> seen;
    std::string cursor = "0";
    int iteration = 0;
    do {
      ReplyTree reply = ParseReply(h.Run({"sscan", key, cursor}));
      ASSERT_EQ(reply.elements.size(), 2u);
      cursor = reply.elements[0].text;
      for (const auto& e : reply.elements[1].elements) seen.insert(e.text);
      if (++iteration == round + 1) h.Run(doomed);
    } while (cursor != "0" && iteration < 1000);
    for (int i = 0; i < 100; ++i) EXPECT_TRUE(seen.count(std::to_string(i))) << round << " " << i;
  }
}

TEST(Sets, WithStringsAndKeyCommands) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"set", "str", "x"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"sadd", "str", "a"}), kWrongType);
  EXPECT_EQ(h.Run({"sinterstore", "d", "str"}), kWrongType);
  EXPECT_EQ(h.Run({"sadd", "a", "1", "2"}), ":2\r\n");
  EXPECT_EQ(h.Run({"set", "dst", "x"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"expire", "dst", "100"}), ":1\r\n");
  EXPECT_EQ(h.Run({"sunionstore", "dst", "a"}), ":2\r\n");
  EXPECT_EQ(h.Run({"type", "dst"}), "+set\r\n");
  EXPECT_EQ(h.Run({"ttl", "dst"}), ":-1\r\n");
  EXPECT_EQ(h.Run({"sadd", "t", "a", "b"}), ":2\r\n");
  EXPECT_EQ(h.Run({"expire", "t", "50"}), ":1\r\n");
  EXPECT_EQ(h.Run({"srem", "t", "a"}), ":1\r\n");
  EXPECT_EQ(h.Run({"ttl", "t"}), ":50\r\n");
  EXPECT_EQ(h.Run({"spop", "t"}), "$1\r\nb\r\n");
  EXPECT_EQ(h.Run({"exists", "t"}), ":0\r\n");
  EXPECT_EQ(h.Run({"dbsize"}), ":3\r\n");
}

TEST(Sets, ExpiredSetIsMissing) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"sadd", "s", "a"}), ":1\r\n");
  SetExpiry(h, "s", h.clock.NowMs() + 10);
  EXPECT_EQ(h.Run({"sadd", "s", "b"}), ":1\r\n");
  EXPECT_NE(Meta(h, "s").expire_ms, 0);  // writes keep the TTL
  h.clock.Advance(10);
  EXPECT_EQ(h.Run({"scard", "s"}), ":0\r\n");
  EXPECT_EQ(h.Run({"sismember", "s", "a"}), ":0\r\n");
  EXPECT_EQ(h.Run({"sadd", "s", "c"}), ":1\r\n");
  EXPECT_EQ(h.Run({"smembers", "s"}), "*1\r\n$1\r\nc\r\n");
}

}  // namespace
}  // namespace respite::storage
