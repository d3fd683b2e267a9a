// The hash family through the real dispatcher, on RocksDB. Expected bytes are what redis-server
// 7.0.15 sent for the same commands, except element order: Redis lists a small hash in insertion
// order, the local store in field byte order, so multi-element replies are compared unordered
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

using Strings = std::vector<std::string>;

// Gives `key` an absolute expiry, as EXPIRE would (the keys family owns that command).
void SetExpiry(StoreHarness& h, std::string_view key, int64_t at_ms) {
  MetaValue meta;
  ASSERT_TRUE(h.store->keyspace().Lookup(0, key, &meta).ok());
  ASSERT_NE(meta.type, Type::kNone);
  meta.expire_ms = at_ms;
  h.store->keyspace().PutMeta(0, key, meta, /*created=*/false);
  ASSERT_TRUE(h.store->engine().Commit().ok());
}

// Runs HSCAN to completion and returns field -> value (each field checked to appear with the
// same value every time it is returned).
std::vector<std::pair<std::string, std::string>> ScanAll(StoreHarness& h, std::string_view key,
                                                         std::vector<std::string> extra = {}) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string cursor = "0";
  for (int round = 0; round < 10000; ++round) {
    std::vector<std::string> argv = {"hscan", std::string(key), cursor};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ReplyTree reply = ParseReply(h.Run(argv));
    EXPECT_EQ(reply.type, '*');
    if (reply.elements.size() != 2) return out;
    cursor = reply.elements[0].text;
    const auto& items = reply.elements[1].elements;
    EXPECT_EQ(items.size() % 2, 0u);
    for (size_t i = 0; i + 1 < items.size(); i += 2)
      out.emplace_back(items[i].text, items[i + 1].text);
    if (cursor == "0") return out;
  }
  ADD_FAILURE() << "HSCAN did not terminate";
  return out;
}

TEST(Hashes, HSetCountsOnlyNewFields) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"hset", "h", "a", "1", "b", "2"}), ":2\r\n");
  EXPECT_EQ(h.Run({"hset", "h", "a", "3", "c", "4"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hset", "h", "d", "5", "d", "6"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hget", "h", "a"}), "$1\r\n3\r\n");
  EXPECT_EQ(h.Run({"hget", "h", "d"}), "$1\r\n6\r\n");
  EXPECT_EQ(h.Run({"hlen", "h"}), ":4\r\n");
  EXPECT_EQ(h.store->keyspace().KeyCount(0), 1u);
}

TEST(Hashes, HSetAndHMSetNeedFieldValuePairs) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"hset", "h"}), "-ERR wrong number of arguments for 'hset' command\r\n");
  EXPECT_EQ(h.Run({"hset", "h", "a"}), "-ERR wrong number of arguments for 'hset' command\r\n");
  EXPECT_EQ(h.Run({"hset", "h", "a", "b", "c"}),
            "-ERR wrong number of arguments for 'hset' command\r\n");
  EXPECT_EQ(h.Run({"hmset", "h", "a", "1", "b"}),
            "-ERR wrong number of arguments for 'hmset' command\r\n");
  EXPECT_EQ(h.Run({"hlen", "h"}), ":0\r\n");
  // The pair check comes before the type check.
  EXPECT_EQ(h.Run({"sadd", "s", "x"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hset", "s", "a", "b", "c"}),
            "-ERR wrong number of arguments for 'hset' command\r\n");
}

TEST(Hashes, HMSetRepliesOk) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"hmset", "h", "a", "1"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"hmset", "h", "a", "2", "b", "3"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"hmget", "h", "a", "b"}), "*2\r\n$1\r\n2\r\n$1\r\n3\r\n");
}

TEST(Hashes, HSetNxSetsOnlyMissingFields) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"hsetnx", "h", "a", "1"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hsetnx", "h", "a", "2"}), ":0\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
  EXPECT_EQ(h.Run({"hsetnx", "h", "b", "2"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hget", "h", "a"}), "$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"hlen", "h"}), ":2\r\n");
}

TEST(Hashes, MissingFieldsAndKeysAreNull) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"hget", "nokey", "a"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"hset", "h", "a", "1", "b", "2"}), ":2\r\n");
  EXPECT_EQ(h.Run({"hget", "h", "zz"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"hmget", "h", "a", "zz", "b"}), "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n");
  EXPECT_EQ(h.Run({"hmget", "nokey", "a", "b"}), "*2\r\n$-1\r\n$-1\r\n");
  h.session.protocol = 3;
  EXPECT_EQ(h.Run({"hget", "h", "zz"}), "_\r\n");
  EXPECT_EQ(h.Run({"hmget", "nokey", "a"}), "*1\r\n_\r\n");
  EXPECT_EQ(h.Run({"hmget", "h", "a", "zz"}), "*2\r\n$1\r\n1\r\n_\r\n");
}

TEST(Hashes, HDelCountsAndDeletesTheEmptyHash) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"hdel", "nokey", "a"}), ":0\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
  EXPECT_EQ(h.Run({"hset", "h", "a", "1", "b", "2", "c", "3"}), ":3\r\n");
  EXPECT_EQ(h.Run({"hdel", "h", "a", "zz", "a"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hlen", "h"}), ":2\r\n");
  EXPECT_EQ(h.Run({"hdel", "h", "zz"}), ":0\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
  EXPECT_EQ(h.Run({"hdel", "h", "b", "c", "d"}), ":2\r\n");
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"hdel", "h", "b", "c", "d"}));
  EXPECT_EQ(h.store->keyspace().KeyCount(0), 0u);
  EXPECT_EQ(h.Run({"hlen", "h"}), ":0\r\n");
  // The key is gone, so another type can take it.
  EXPECT_EQ(h.Run({"sadd", "h", "x"}), ":1\r\n");
}

TEST(Hashes, HExistsHLenHStrLen) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"hset", "h", "a", "hello", "e", ""}), ":2\r\n");
  EXPECT_EQ(h.Run({"hexists", "h", "a"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hexists", "h", "e"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hexists", "h", "zz"}), ":0\r\n");
  EXPECT_EQ(h.Run({"hexists", "nokey", "a"}), ":0\r\n");
  EXPECT_EQ(h.Run({"hstrlen", "h", "a"}), ":5\r\n");
  EXPECT_EQ(h.Run({"hstrlen", "h", "e"}), ":0\r\n");
  EXPECT_EQ(h.Run({"hstrlen", "h", "zz"}), ":0\r\n");
  EXPECT_EQ(h.Run({"hstrlen", "nokey", "a"}), ":0\r\n");
  EXPECT_EQ(h.Run({"hlen", "h"}), ":2\r\n");
  EXPECT_EQ(h.Run({"hlen", "nokey"}), ":0\r\n");
}

TEST(Hashes, HGetAllIsAFlatArrayInResp2AndAMapInResp3) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"hset", "h", "b", "2", "a", "1"}), ":2\r\n");
  // Field byte order (Redis: insertion order for a small hash).
  EXPECT_EQ(h.Run({"hgetall", "h"}), "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
  EXPECT_EQ(h.Run({"hkeys", "h"}), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(h.Run({"hvals", "h"}), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
  EXPECT_EQ(h.Run({"hgetall", "nokey"}), "*0\r\n");
  EXPECT_EQ(h.Run({"hkeys", "nokey"}), "*0\r\n");
  EXPECT_EQ(h.Run({"hvals", "nokey"}), "*0\r\n");
  h.session.protocol = 3;
  EXPECT_EQ(h.Run({"hgetall", "h"}), "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
  EXPECT_EQ(h.Run({"hkeys", "h"}), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(h.Run({"hgetall", "nokey"}), "%0\r\n");
  EXPECT_EQ(h.Run({"hkeys", "nokey"}), "*0\r\n");
  EXPECT_EQ(h.Run({"hvals", "nokey"}), "*0\r\n");
}

TEST(Hashes, BinaryFieldsAndValues) {
  StoreHarness h;
  const std::string field("f\0\xff\r\n", 5);
  const std::string value("\0v\r\n", 4);
  EXPECT_EQ(h.Run(std::vector<std::string>{"hset", "h", field, value}), ":1\r\n");
  EXPECT_EQ(h.Run(std::vector<std::string>{"hget", "h", field}), "$4\r\n" + value + "\r\n");
  EXPECT_EQ(h.Run({"hgetall", "h"}), "*2\r\n$5\r\n" + field + "\r\n$4\r\n" + value + "\r\n");
}

TEST(Hashes, WrongTypeFromEveryCommand) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"sadd", "s", "x"}), ":1\r\n");
  for (const std::vector<std::string>& argv : std::vector<std::vector<std::string>>{
           {"hset", "s", "a", "1"},
           {"hmset", "s", "a", "1"},
           {"hsetnx", "s", "a", "1"},
           {"hget", "s", "a"},
           {"hmget", "s", "a"},
           {"hdel", "s", "a"},
           {"hexists", "s", "a"},
           {"hlen", "s"},
           {"hstrlen", "s", "a"},
           {"hgetall", "s"},
           {"hkeys", "s"},
           {"hvals", "s"},
           {"hincrby", "s", "a", "1"},
           {"hincrbyfloat", "s", "a", "1"},
           {"hscan", "s", "0"},
           {"hscan", "s", "0", "count", "0"},
           {"hrandfield", "s"},
           {"hrandfield", "s", "0"},
           {"hrandfield", "s", "-3", "withvalues"},
       }) {
    EXPECT_EQ(h.Run(argv), kWrongType) << argv[0];
  }
  // Argument errors come first.
  EXPECT_EQ(h.Run({"hincrby", "s", "a", "x"}), kNotInteger);
  EXPECT_EQ(h.Run({"hincrbyfloat", "s", "a", "x"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(h.Run({"hincrbyfloat", "s", "a", "inf"}), "-ERR value is NaN or Infinity\r\n");
  EXPECT_EQ(h.Run({"hscan", "s", "x"}), "-ERR invalid cursor\r\n");
  EXPECT_EQ(h.Run({"hrandfield", "s", "x"}), kNotInteger);
  EXPECT_EQ(h.Run({"hrandfield", "s", "1", "x"}), kSyntax);
  EXPECT_EQ(h.Run({"scard", "s"}), ":1\r\n");
}

TEST(Hashes, HIncrBy) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"hincrby", "h", "f", "5"}), ":5\r\n");
  EXPECT_EQ(h.Run({"hincrby", "h", "f", "-7"}), ":-2\r\n");
  EXPECT_EQ(h.Run({"hget", "h", "f"}), "$2\r\n-2\r\n");
  EXPECT_EQ(h.Run({"hincrby", "h", "f", "x"}), kNotInteger);
  EXPECT_EQ(h.Run({"hincrby", "h", "f", "1.5"}), kNotInteger);
  EXPECT_EQ(h.Run({"hincrby", "h", "f2", "9223372036854775808"}), kNotInteger);
  EXPECT_EQ(h.Run({"hset", "h", "m", "9223372036854775807"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hincrby", "h", "m", "1"}), "-ERR increment or decrement would overflow\r\n");
  EXPECT_EQ(h.Run({"hincrby", "h", "f", "-9223372036854775808"}),
            "-ERR increment or decrement would overflow\r\n");
  EXPECT_EQ(h.Run({"hincrby", "h", "m", "-9223372036854775807"}), ":0\r\n");
  EXPECT_EQ(h.Run({"hincrby", "n", "f", "9223372036854775807"}), ":9223372036854775807\r\n");
  EXPECT_EQ(h.Run({"hincrby", "n", "g", "-9223372036854775808"}), ":-9223372036854775808\r\n");
  EXPECT_EQ(h.Run({"hlen", "n"}), ":2\r\n");
}

TEST(Hashes, HIncrByRejectsNonIntegerValues) {
  StoreHarness h;
  for (const char* bad : {"abc", " 1", "", "01", "1e20", "-0", "1.0", "+1"}) {
    h.Run({"hset", "h", "g", bad});
    EXPECT_EQ(h.Run({"hincrby", "h", "g", "1"}), "-ERR hash value is not an integer\r\n") << bad;
  }
}

TEST(Hashes, HIncrByFloat) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"hincrbyfloat", "h", "f", "1.5"}), "$3\r\n1.5\r\n");
  EXPECT_EQ(h.Run({"hincrbyfloat", "h", "f", "1e3"}), "$6\r\n1001.5\r\n");
  EXPECT_EQ(h.Run({"hget", "h", "f"}), "$6\r\n1001.5\r\n");
  EXPECT_EQ(h.Run({"hincrbyfloat", "h", "f", "abc"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(h.Run({"hincrbyfloat", "h", "f", "nan"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(h.Run({"hincrbyfloat", "h", "f", " 1"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(h.Run({"hincrbyfloat", "h", "f", "inf"}), "-ERR value is NaN or Infinity\r\n");
  EXPECT_EQ(h.Run({"hset", "h", "i", "10"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hincrbyfloat", "h", "i", "0.1"}), "$4\r\n10.1\r\n");
  EXPECT_EQ(h.Run({"hincrbyfloat", "h", "i", "-0.1"}), "$2\r\n10\r\n");
  EXPECT_EQ(h.Run({"hincrbyfloat", "h", "z", "3.0"}), "$1\r\n3\r\n");
  EXPECT_EQ(h.Run({"hincrbyfloat", "h", "z2", "-0"}), "$1\r\n0\r\n");
  EXPECT_EQ(h.Run({"hset", "h", "hx", "0x10"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hincrbyfloat", "h", "hx", "1"}), "$2\r\n17\r\n");
  EXPECT_EQ(h.Run({"hset", "h", "lz", "01"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hincrbyfloat", "h", "lz", "1"}), "$1\r\n2\r\n");
  EXPECT_EQ(h.Run({"hset", "h", "g", "abc", "n", "nan", "in", "inf"}), ":3\r\n");
  EXPECT_EQ(h.Run({"hincrbyfloat", "h", "g", "1"}), "-ERR hash value is not a float\r\n");
  EXPECT_EQ(h.Run({"hincrbyfloat", "h", "n", "1"}), "-ERR hash value is not a float\r\n");
  EXPECT_EQ(h.Run({"hincrbyfloat", "h", "in", "1"}),
            "-ERR increment would produce NaN or Infinity\r\n");
  EXPECT_EQ(h.Run({"hset", "h", "big", "1e20"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hincrbyfloat", "h", "big", "1"}), "$21\r\n100000000000000000000\r\n");
  // Long double range, as Redis computes it.
  EXPECT_EQ(h.Run({"hset", "h", "huge", "1e308"}), ":1\r\n");
  EXPECT_EQ(
      h.Run({"hincrbyfloat", "h", "huge", "1e308"}),
      "$309\r\n1999999999999999999933717593116912913211201996948311344155940959898434697376761237"
      "44200253843777078640893494450108026446304269499187921167194841628860392837535918200039206"
      "38155732621920901421333587830679157787782912108712612253672980323726043417317850688976324"
      "7582601711514636284849020905456510092687857156096\r\n");
}

TEST(Hashes, WithStringsAndKeyCommands) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"set", "str", "x"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"hget", "str", "a"}), kWrongType);
  EXPECT_EQ(h.Run({"hset", "str", "a", "1"}), kWrongType);
  EXPECT_EQ(h.Run({"hincrby", "str", "a", "1"}), kWrongType);
  EXPECT_EQ(h.Run({"hset", "h", "a", "1"}), ":1\r\n");
  EXPECT_EQ(h.Run({"type", "h"}), "+hash\r\n");
  EXPECT_EQ(h.Run({"expire", "h", "100"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hset", "h", "b", "2"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hdel", "h", "a"}), ":1\r\n");
  EXPECT_EQ(h.Run({"ttl", "h"}), ":100\r\n");
  EXPECT_EQ(h.Run({"hdel", "h", "b"}), ":1\r\n");
  EXPECT_EQ(h.Run({"exists", "h"}), ":0\r\n");
  EXPECT_EQ(h.Run({"get", "h"}), "$-1\r\n");
}

TEST(Hashes, ExpiredHashIsMissing) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"hset", "h", "a", "1"}), ":1\r\n");
  SetExpiry(h, "h", h.clock.NowMs() + 1000);
  EXPECT_EQ(h.Run({"hset", "h", "b", "2"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hlen", "h"}), ":2\r\n");  // writes keep the TTL
  h.clock.Advance(1000);
  EXPECT_EQ(h.Run({"hget", "h", "a"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"hlen", "h"}), ":0\r\n");
  EXPECT_EQ(h.Run({"hset", "h", "c", "3"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hgetall", "h"}), "*2\r\n$1\r\nc\r\n$1\r\n3\r\n");
}

TEST(Hashes, SurvivesReopen) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"hset", "h", "a", "1", "b", "2"}), ":2\r\n");
  h.Reopen();
  EXPECT_EQ(h.Run({"hgetall", "h"}), "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
  EXPECT_EQ(h.Run({"hlen", "h"}), ":2\r\n");
}

TEST(HScan, MissingKeyAndArgumentErrors) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"hscan", "nokey", "0"}), kEmptyScan);
  // Redis parses the options only for an existing key.
  EXPECT_EQ(h.Run({"hscan", "nokey", "0", "count", "0"}), kEmptyScan);
  EXPECT_EQ(h.Run({"hscan", "nokey", "0", "foo"}), kEmptyScan);
  // strtoul rules for the cursor.
  EXPECT_EQ(h.Run({"hscan", "nokey", "-1"}), kEmptyScan);
  EXPECT_EQ(h.Run({"hscan", "nokey", "+1"}), kEmptyScan);
  EXPECT_EQ(h.Run({"hscan", "nokey", ""}), kEmptyScan);
  EXPECT_EQ(h.Run({"hscan", "nokey", "18446744073709551615"}), kEmptyScan);
  for (const char* bad : {"x", " 1", "18446744073709551616", "-", "+", "1x", "0x10", "--1"}) {
    EXPECT_EQ(h.Run({"hscan", "nokey", bad}), "-ERR invalid cursor\r\n") << bad;
  }
  EXPECT_EQ(h.Run({"hset", "h", "a", "1"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hscan", "h", "0", "count", "0"}), kSyntax);
  EXPECT_EQ(h.Run({"hscan", "h", "0", "count", "-1"}), kSyntax);
  EXPECT_EQ(h.Run({"hscan", "h", "0", "count", "x"}), kNotInteger);
  EXPECT_EQ(h.Run({"hscan", "h", "0", "count"}), kSyntax);
  EXPECT_EQ(h.Run({"hscan", "h", "0", "match"}), kSyntax);
  EXPECT_EQ(h.Run({"hscan", "h", "0", "type", "string"}), kSyntax);
  EXPECT_EQ(h.Run({"hscan", "h", "0", "novalues"}), kSyntax);  // Redis 7.4, not 7.0
  EXPECT_EQ(h.Run({"hscan", "h", "x", "count", "0"}), "-ERR invalid cursor\r\n");
}

TEST(HScan, SmallHashComesWholeWithCursorZero) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"hset", "h", "a", "1", "b", "2", "c", "3"}), ":3\r\n");
  const std::string all =
      "*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n";
  EXPECT_EQ(h.Run({"hscan", "h", "0"}), all);
  EXPECT_EQ(h.Run({"hscan", "h", "5"}), all);  // a listpack ignores the cursor
  EXPECT_EQ(h.Run({"hscan", "h", "0", "COUNT", "1"}), all);
  EXPECT_EQ(h.Run({"hscan", "h", "0", "match", "a"}),
            "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
  // The last MATCH wins.
  EXPECT_EQ(h.Run({"hscan", "h", "0", "MATCH", "a", "COUNT", "1", "match", "b"}),
            "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
  EXPECT_EQ(h.Run({"hscan", "h", "0", "match", "*"}), all);
  h.session.protocol = 3;
  EXPECT_EQ(h.Run({"hscan", "h", "0"}), all);
  EXPECT_EQ(h.Run({"hscan", "nokey", "0"}), kEmptyScan);
}

TEST(HScan, BigHashPagesAndReturnsEveryField) {
  StoreHarness h;
  std::vector<std::string> argv = {"hset", "h"};
  for (int i = 0; i < 300; ++i) {
    argv.push_back("field:" + std::to_string(i));
    argv.push_back("v" + std::to_string(i));
  }
  EXPECT_EQ(h.Run(argv), ":300\r\n");
  ReplyTree first = ParseReply(h.Run({"hscan", "h", "0"}));
  ASSERT_EQ(first.elements.size(), 2u);
  EXPECT_NE(first.elements[0].text, "0");
  EXPECT_EQ(first.elements[1].elements.size(), 20u);  // COUNT 10 by default

  for (const std::vector<std::string>& extra :
       std::vector<std::vector<std::string>>{{}, {"count", "7"}, {"count", "1000"}}) {
    std::set<std::string> seen;
    for (const auto& [field, value] : ScanAll(h, "h", extra)) {
      EXPECT_EQ("v" + field.substr(6), value);
      seen.insert(field);
    }
    EXPECT_EQ(seen.size(), 300u);
  }
  std::set<std::string> matched;
  for (const auto& [field, value] : ScanAll(h, "h", {"match", "field:1?"})) matched.insert(field);
  EXPECT_EQ(matched.size(), 10u);
  EXPECT_TRUE(matched.count("field:10") && matched.count("field:19"));
}

TEST(HScan, ALongValueMakesASmallHashPage) {
  StoreHarness h;
  std::vector<std::string> argv = {"hset", "h"};
  for (int i = 0; i < 30; ++i) {
    argv.push_back("f" + std::to_string(i));
    argv.push_back(i == 0 ? std::string(65, 'x') : "v");
  }
  EXPECT_EQ(h.Run(argv), ":30\r\n");
  ReplyTree first = ParseReply(h.Run({"hscan", "h", "0"}));
  EXPECT_NE(first.elements[0].text, "0");
  EXPECT_EQ(ScanAll(h, "h").size(), 30u);
}

TEST(HScan, FieldsPresentThroughoutAreFoundDespiteDeletes) {
  StoreHarness h;
  for (int round = 0; round < 5; ++round) {
    const std::string key = "h" + std::to_string(round);
    std::vector<std::string> argv = {"hset", key};
    std::vector<std::string> doomed = {"hdel", key};
    for (int i = 0; i < 400; ++i) {
      argv.push_back(std::to_string(i));
      argv.push_back("x");
      if (i >= 100) doomed.push_back(std::to_string(i));
    }
    h.Run(argv);
    std::set<std::string> seen;
    std::string cursor = "0";
    int iteration = 0;
    do {
      ReplyTree reply = ParseReply(h.Run({"hscan", key, cursor}));
      ASSERT_EQ(reply.elements.size(), 2u);
      cursor = reply.elements[0].text;
      const auto& items = reply.elements[1].elements;
      for (size_t i = 0; i < items.size(); i += 2) seen.insert(items[i].text);
      if (++iteration == round + 1) h.Run(doomed);
    } while (cursor != "0" && iteration < 1000);
    for (int i = 0; i < 100; ++i) EXPECT_TRUE(seen.count(std::to_string(i))) << i;
  }
}

TEST(HScan, UnknownCursorNeverSkipsAndTerminates) {
  StoreHarness h;
  std::vector<std::string> argv = {"hset", "h"};
  for (int i = 0; i < 200; ++i) {
    argv.push_back("k" + std::to_string(1000 + i));
    argv.push_back("v");
  }
  h.Run(argv);
  // A cursor this store never issued resumes at the field prefix it carries ("k11" here: bits
  // 62..16 hold the first 47 bits of the field, the low 16 bits a tag).
  const uint64_t prefix48 = (uint64_t{'k'} << 40) | (uint64_t{'1'} << 32) | (uint64_t{'1'} << 24);
  const uint64_t cursor = ((prefix48 >> 1) << 16) | 7;
  ReplyTree reply = ParseReply(h.Run({"hscan", "h", std::to_string(cursor), "count", "5"}));
  ASSERT_EQ(reply.elements.size(), 2u);
  ASSERT_EQ(reply.elements[1].elements.size(), 10u);
  EXPECT_EQ(reply.elements[1].elements[0].text, "k1100");
  // An all-ones cursor is past every field.
  EXPECT_EQ(h.Run({"hscan", "h", "-1"}), kEmptyScan);
  // Cursors handed out stay below 2^63 even for fields starting with a high byte.
  std::vector<std::string> high = {"hset", "high"};
  for (int i = 0; i < 200; ++i) {
    high.push_back("\xff\xff" + std::to_string(i));
    high.push_back("v");
  }
  h.Run(high);
  ReplyTree page = ParseReply(h.Run({"hscan", "high", "0"}));
  ASSERT_EQ(page.elements.size(), 2u);
  EXPECT_LT(std::stoull(page.elements[0].text), uint64_t{1} << 63);
}

TEST(HRandField, MissingKeyAndArgumentErrors) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"hrandfield", "nokey"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"hrandfield", "nokey", "5"}), "*0\r\n");
  EXPECT_EQ(h.Run({"hrandfield", "nokey", "0"}), "*0\r\n");
  EXPECT_EQ(h.Run({"hrandfield", "nokey", "-5", "WITHVALUES"}), "*0\r\n");
  EXPECT_EQ(h.Run({"hrandfield", "nokey", "x"}), kNotInteger);
  EXPECT_EQ(h.Run({"hrandfield", "nokey", "x", "withvalues"}), kNotInteger);
  EXPECT_EQ(h.Run({"hrandfield", "nokey", "5", "withvalue"}), kSyntax);
  EXPECT_EQ(h.Run({"hrandfield", "nokey", "5", "withvalues", "x"}), kSyntax);
  EXPECT_EQ(h.Run({"hrandfield", "nokey", "-9223372036854775808"}),
            "-ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807\r\n");
  EXPECT_EQ(h.Run({"hrandfield", "nokey", "-9223372036854775807"}), "*0\r\n");
  EXPECT_EQ(h.Run({"hrandfield", "nokey", "4611686018427387903", "withvalues"}), "*0\r\n");
  EXPECT_EQ(h.Run({"hrandfield", "nokey", "4611686018427387904", "withvalues"}),
            "-ERR value is out of range\r\n");
  EXPECT_EQ(h.Run({"hrandfield", "nokey", "-4611686018427387904", "withvalues"}),
            "-ERR value is out of range\r\n");
  h.session.protocol = 3;
  EXPECT_EQ(h.Run({"hrandfield", "nokey"}), "_\r\n");
  EXPECT_EQ(h.Run({"hrandfield", "nokey", "5"}), "*0\r\n");
}

TEST(HRandField, ShapesInBothProtocols) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"hset", "h", "a", "1"}), ":1\r\n");
  for (int protocol : {2, 3}) {
    h.session.protocol = protocol;
    EXPECT_EQ(h.Run({"hrandfield", "h"}), "$1\r\na\r\n");
    EXPECT_EQ(h.Run({"hrandfield", "h", "0"}), "*0\r\n");
    EXPECT_EQ(h.Run({"hrandfield", "h", "0", "withvalues"}), "*0\r\n");
    EXPECT_EQ(h.Run({"hrandfield", "h", "2"}), "*1\r\n$1\r\na\r\n");
    EXPECT_EQ(h.Run({"hrandfield", "h", "-2"}), "*2\r\n$1\r\na\r\n$1\r\na\r\n");
  }
  h.session.protocol = 2;
  EXPECT_EQ(h.Run({"hrandfield", "h", "-2", "withvalues"}),
            "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"hrandfield", "h", "1", "WithValues"}), "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
  h.session.protocol = 3;
  EXPECT_EQ(h.Run({"hrandfield", "h", "-2", "withvalues"}),
            "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"hrandfield", "h", "1", "withvalues"}), "*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
}

TEST(HRandField, CountsAndMembership) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"hset", "h", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5"}), ":5\r\n");
  const std::vector<std::string> fields = {"a", "b", "c", "d", "e"};
  std::set<std::string> singles;
  for (int i = 0; i < 500; ++i) singles.insert(ParseReply(h.Run({"hrandfield", "h"})).text);
  EXPECT_EQ(std::vector<std::string>(singles.begin(), singles.end()), fields);

  ReplyTree three = ParseReply(h.Run({"hrandfield", "h", "3"}));
  std::vector<std::string> got = three.SortedTexts();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(std::adjacent_find(got.begin(), got.end()) == got.end());  // distinct
  for (const std::string& f : got) EXPECT_TRUE(singles.count(f));

  EXPECT_EQ(ParseReply(h.Run({"hrandfield", "h", "5"})).SortedTexts(), fields);
  EXPECT_EQ(ParseReply(h.Run({"hrandfield", "h", "100"})).SortedTexts(), fields);

  ReplyTree repeated = ParseReply(h.Run({"hrandfield", "h", "-20", "withvalues"}));
  ASSERT_EQ(repeated.elements.size(), 40u);
  for (size_t i = 0; i < 40; i += 2) {
    const std::string& f = repeated.elements[i].text;
    EXPECT_EQ(repeated.elements[i + 1].text, std::string(1, static_cast<char>('1' + (f[0] - 'a'))));
  }
}

TEST(HRandField, LargeHashSamplesStayValid) {
  StoreHarness h;
  std::vector<std::string> argv = {"hset", "big"};
  for (int i = 0; i < 6000; ++i) {
    argv.push_back("user:" + std::to_string(i));
    argv.push_back(std::to_string(i));
  }
  EXPECT_EQ(h.Run(argv), ":6000\r\n");
  std::set<std::string> singles;
  for (int i = 0; i < 300; ++i) {
    const std::string f = ParseReply(h.Run({"hrandfield", "big"})).text;
    ASSERT_EQ(f.rfind("user:", 0), 0u) << f;
    singles.insert(f);
  }
  EXPECT_GT(singles.size(), 150u);  // spread, not stuck on a few fields
  ReplyTree distinct = ParseReply(h.Run({"hrandfield", "big", "50", "withvalues"}));
  ASSERT_EQ(distinct.elements.size(), 100u);
  std::set<std::string> seen;
  for (size_t i = 0; i < 100; i += 2) {
    EXPECT_EQ("user:" + distinct.elements[i + 1].text, distinct.elements[i].text);
    seen.insert(distinct.elements[i].text);
  }
  EXPECT_EQ(seen.size(), 50u);
  EXPECT_EQ(ParseReply(h.Run({"hrandfield", "big", "-30"})).elements.size(), 30u);
  EXPECT_EQ(ParseReply(h.Run({"hrandfield", "big", "5000"})).elements.size(), 5000u);
}

TEST(Hashes, JournalsWritesAsTheirArgv) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"hset", "h", "a", "1"}), ":1\r\n");
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"hset", "h", "a", "1"}));
  EXPECT_EQ(h.Run({"hincrbyfloat", "h", "f", "1.5"}), "$3\r\n1.5\r\n");
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"hincrbyfloat", "h", "f", "1.5"}));
  EXPECT_EQ(h.Run({"hincrby", "h", "a", "x"}), kNotInteger);
  EXPECT_TRUE(h.store->last_journal().empty());
  EXPECT_EQ(h.Run({"hget", "h", "a"}), "$1\r\n1\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
}

}  // namespace
}  // namespace respite::storage
