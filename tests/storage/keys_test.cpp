// The generic key family through the real dispatcher, on RocksDB, with a fake clock. The Step
// tables are the exact bytes redis-server 7.0.15 sent for the same commands (recorded on a fresh
// server, TTL reads right after the write). KEYS and SCAN list keys in byte order here and in hash
// order in Redis, so their results are compared as sets; SCAN cursors are opaque (see keys.cpp).

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/storage/reply_tree.h"
#include "tests/storage/script_steps.h"
#include "tests/storage/store_harness.h"

namespace respite::storage {
namespace {

using namespace std::string_view_literals;
using Journal = std::vector<std::vector<std::string>>;
using KeySet = std::set<std::string>;

// Observed on redis-server 7.0.15.
const Step kExpireOptions[] = {
    {{"expire", "k", "10"}, ":0\r\n"sv},
    {{"set", "k", "v"}, "+OK\r\n"sv},
    {{"expire", "k", "10", "nx", "xx"},
     "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"sv},
    {{"expire", "k", "10", "gt", "lt"},
     "-ERR GT and LT options at the same time are not compatible\r\n"sv},
    {{"expire", "k", "10", "nx", "gt"},
     "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"sv},
    {{"expire", "k", "10", "nx", "lt"},
     "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"sv},
    {{"expire", "k", "10", "xx", "gt"}, ":0\r\n"sv},
    {{"expire", "k", "10", "foo"}, "-ERR Unsupported option foo\r\n"sv},
    {{"expire", "k", "abc"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"expire", "k", "abc", "foo"}, "-ERR Unsupported option foo\r\n"sv},
    {{"expire", "nokey", "abc"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"expire", "nokey", "10", "foo"}, "-ERR Unsupported option foo\r\n"sv},
    {{"expire", "k", "abc", "nx", "xx"},
     "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"sv},
    {{"expire", "k", "abc", "gt", "lt"},
     "-ERR GT and LT options at the same time are not compatible\r\n"sv},
    {{"expire", "k", "10", "nx", "foo"}, "-ERR Unsupported option foo\r\n"sv},
    {{"expire", "k", "10", "foo", "nx", "xx"}, "-ERR Unsupported option foo\r\n"sv},
    {{"expire", "k", "10", "nx", "nx"}, ":1\r\n"sv},
    {{"expire", "k", "10", "NX"}, ":0\r\n"sv},
    {{"expire", "k", "20", "nx"}, ":0\r\n"sv},
    {{"expire", "k", "5", "gt"}, ":0\r\n"sv},
    {{"expire", "k", "20", "gt"}, ":1\r\n"sv},
    {{"ttl", "k"}, ":20\r\n"sv},
    {{"expire", "k", "30", "lt"}, ":0\r\n"sv},
    {{"expire", "k", "5", "lt"}, ":1\r\n"sv},
    {{"ttl", "k"}, ":5\r\n"sv},
    {{"persist", "k"}, ":1\r\n"sv},
    {{"persist", "k"}, ":0\r\n"sv},
    {{"expire", "k", "5", "gt"}, ":0\r\n"sv},
    {{"expire", "k", "5", "lt"}, ":1\r\n"sv},
    {{"ttl", "k"}, ":5\r\n"sv},
    {{"persist", "k"}, ":1\r\n"sv},
    {{"expire", "k", "5", "xx"}, ":0\r\n"sv},
    {{"ttl", "k"}, ":-1\r\n"sv},
    {{"expire", "k", "9223372036854775807"}, "-ERR invalid expire time in 'expire' command\r\n"sv},
    {{"pexpire", "k", "9223372036854775807"},
     "-ERR invalid expire time in 'pexpire' command\r\n"sv},
    {{"expireat", "k", "9223372036854775807"},
     "-ERR invalid expire time in 'expireat' command\r\n"sv},
    {{"pexpireat", "k", "9223372036854775807"}, ":1\r\n"sv},
    {{"expiretime", "k"}, ":9223372036854776\r\n"sv},
    {{"pexpiretime", "k"}, ":9223372036854775807\r\n"sv},
    {{"expire", "k", "9223372036854775"}, "-ERR invalid expire time in 'expire' command\r\n"sv},
    {{"expireat", "k", "9223372036854775"}, ":1\r\n"sv},
    {{"expiretime", "k"}, ":9223372036854775\r\n"sv},
    {{"pexpire", "k", "9223372036854775"}, ":1\r\n"sv},
    {{"pexpireat", "k", "9223372036854775"}, ":1\r\n"sv},
    {{"expiretime", "k"}, ":9223372036855\r\n"sv},
    {{"expire", "k", "-9223372036854775808"}, "-ERR invalid expire time in 'expire' command\r\n"sv},
    {{"expireat", "k", "-9223372036854775808"},
     "-ERR invalid expire time in 'expireat' command\r\n"sv},
    {{"exists", "k"}, ":1\r\n"sv},
    {{"pexpire", "k", "-9223372036854775808"}, ":1\r\n"sv},
    {{"exists", "k"}, ":0\r\n"sv},
    {{"set", "k", "v"}, "+OK\r\n"sv},
    {{"pexpireat", "k", "1", "gt"}, ":0\r\n"sv},
    {{"exists", "k"}, ":1\r\n"sv},
    {{"pexpireat", "k", "1", "lt"}, ":1\r\n"sv},
    {{"exists", "k"}, ":0\r\n"sv},
    {{"set", "k", "v"}, "+OK\r\n"sv},
    {{"expire", "k", "100"}, ":1\r\n"sv},
    {{"expire", "k", "100", "nx"}, ":0\r\n"sv},
    {{"expire", "k", "-1", "xx"}, ":1\r\n"sv},
    {{"exists", "k"}, ":0\r\n"sv},
    {{"set", "k", "v"}, "+OK\r\n"sv},
    {{"pexpireat", "k", "90000000000499"}, ":1\r\n"sv},
    {{"expiretime", "k"}, ":90000000000\r\n"sv},
    {{"pexpireat", "k", "90000000000500"}, ":1\r\n"sv},
    {{"expiretime", "k"}, ":90000000001\r\n"sv},
    {{"pexpireat", "k", "9223372036854775500"}, ":1\r\n"sv},
    {{"expiretime", "k"}, ":9223372036854776\r\n"sv},
    {{"pexpiretime", "k"}, ":9223372036854775500\r\n"sv},
    {{"ttl", "nokey"}, ":-2\r\n"sv},
    {{"pttl", "nokey"}, ":-2\r\n"sv},
    {{"expiretime", "nokey"}, ":-2\r\n"sv},
    {{"pexpiretime", "nokey"}, ":-2\r\n"sv},
    {{"persist", "nokey"}, ":0\r\n"sv},
    {{"set", "p", "v"}, "+OK\r\n"sv},
    {{"ttl", "p"}, ":-1\r\n"sv},
    {{"pttl", "p"}, ":-1\r\n"sv},
    {{"expiretime", "p"}, ":-1\r\n"sv},
    {{"pexpiretime", "p"}, ":-1\r\n"sv},
    {{"persist", "p"}, ":0\r\n"sv},
    {{"expire", "p", "0"}, ":1\r\n"sv},
    {{"exists", "p"}, ":0\r\n"sv},
    {{"set", "p", "v"}, "+OK\r\n"sv},
    {{"expireat", "p", "0"}, ":1\r\n"sv},
    {{"exists", "p"}, ":0\r\n"sv},
    {{"lpush", "l", "a"}, ":1\r\n"sv},
    {{"expire", "l", "100"}, ":1\r\n"sv},
    {{"ttl", "l"}, ":100\r\n"sv},
    {{"pexpire", "l", "-1"}, ":1\r\n"sv},
    {{"exists", "l"}, ":0\r\n"sv},
    {{"hello", "3"}, kSwitchProtocol},
    {{"ttl", "nokey"}, ":-2\r\n"sv},
    {{"expire", "nokey", "10"}, ":0\r\n"sv},
};

// Observed on redis-server 7.0.15.
const Step kRenameCopy[] = {
    {{"rename", "a", "b"}, "-ERR no such key\r\n"sv},
    {{"renamenx", "a", "b"}, "-ERR no such key\r\n"sv},
    {{"set", "a", "1"}, "+OK\r\n"sv},
    {{"rename", "a", "a"}, "+OK\r\n"sv},
    {{"renamenx", "a", "a"}, ":0\r\n"sv},
    {{"rename", "nokey", "nokey"}, "-ERR no such key\r\n"sv},
    {{"set", "b", "2"}, "+OK\r\n"sv},
    {{"renamenx", "a", "b"}, ":0\r\n"sv},
    {{"expire", "a", "100"}, ":1\r\n"sv},
    {{"rename", "a", "c"}, "+OK\r\n"sv},
    {{"ttl", "c"}, ":100\r\n"sv},
    {{"exists", "a"}, ":0\r\n"sv},
    {{"set", "d", "4"}, "+OK\r\n"sv},
    {{"expire", "d", "100"}, ":1\r\n"sv},
    {{"rename", "c", "d"}, "+OK\r\n"sv},
    {{"ttl", "d"}, ":100\r\n"sv},
    {{"get", "d"}, "$1\r\n1\r\n"sv},
    {{"copy", "d", "e"}, ":1\r\n"sv},
    {{"ttl", "e"}, ":100\r\n"sv},
    {{"copy", "d", "e"}, ":0\r\n"sv},
    {{"copy", "d", "e", "replace"}, ":1\r\n"sv},
    {{"copy", "d", "e", "db", "1"}, ":1\r\n"sv},
    {{"copy", "d", "e", "db", "16"}, "-ERR DB index is out of range\r\n"sv},
    {{"copy", "d", "e", "db", "-1"}, "-ERR DB index is out of range\r\n"sv},
    {{"copy", "d", "e", "db", "abc"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"copy", "d", "e", "foo"}, "-ERR syntax error\r\n"sv},
    {{"copy", "d", "e", "db"}, "-ERR syntax error\r\n"sv},
    {{"copy", "d", "d"}, "-ERR source and destination objects are the same\r\n"sv},
    {{"copy", "d", "d", "db", "0"}, "-ERR source and destination objects are the same\r\n"sv},
    {{"copy", "d", "d", "db", "1"}, ":1\r\n"sv},
    {{"copy", "nokey", "e"}, ":0\r\n"sv},
    {{"copy", "d", "e", "replace", "replace"}, ":1\r\n"sv},
    {{"copy", "d", "e", "db", "1", "db", "2"}, ":1\r\n"sv},
    {{"copy", "nokey", "e", "db", "99"}, "-ERR DB index is out of range\r\n"sv},
    {{"copy", "k", "k2", "db", "99999999999"},
     "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"sv},
    {{"copy", "k", "k2", "db", "1.5"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"copy", "k", "k2", "db", "16", "foo"}, "-ERR DB index is out of range\r\n"sv},
    {{"copy", "k", "k2", "foo", "db", "16"}, "-ERR syntax error\r\n"sv},
    {{"copy", "k", "k", "db", "abc"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"copy", "nokey", "nokey"}, "-ERR source and destination objects are the same\r\n"sv},
    {{"copy", "a", "b", "db", "0", "replace", "foo"}, "-ERR syntax error\r\n"sv},
    {{"select", "2"}, "+OK\r\n"sv},
    {{"get", "e"}, "$1\r\n1\r\n"sv},
    {{"select", "0"}, "+OK\r\n"sv},
    {{"lpush", "l", "a", "b", "c"}, ":3\r\n"sv},
    {{"rpush", "l", "d"}, ":4\r\n"sv},
    {{"hset", "h", "f", "v", "g", "w"}, ":2\r\n"sv},
    {{"sadd", "s", "x"}, ":1\r\n"sv},
    {{"zadd", "z", "1", "a", "2", "b"}, ":2\r\n"sv},
    {{"rename", "l", "l2"}, "+OK\r\n"sv},
    {{"lrange", "l2", "0", "-1"}, "*4\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n"sv},
    {{"exists", "l"}, ":0\r\n"sv},
    {{"copy", "l2", "l3"}, ":1\r\n"sv},
    {{"lpush", "l3", "z"}, ":5\r\n"sv},
    {{"lrange", "l2", "0", "-1"}, "*4\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n"sv},
    {{"lrange", "l3", "0", "-1"},
     "*5\r\n$1\r\nz\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n"sv},
    {{"rename", "h", "h2"}, "+OK\r\n"sv},
    {{"hget", "h2", "g"}, "$1\r\nw\r\n"sv},
    {{"copy", "h2", "h3", "db", "3"}, ":1\r\n"sv},
    {{"select", "3"}, "+OK\r\n"sv},
    {{"hgetall", "h3"}, "*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\ng\r\n$1\r\nw\r\n"sv},
    {{"hset", "h3", "q", "r"}, ":1\r\n"sv},
    {{"select", "0"}, "+OK\r\n"sv},
    {{"hgetall", "h2"}, "*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\ng\r\n$1\r\nw\r\n"sv},
    {{"copy", "s", "s2"}, ":1\r\n"sv},
    {{"srem", "s2", "x"}, ":1\r\n"sv},
    {{"smembers", "s"}, "*1\r\n$1\r\nx\r\n"sv},
    {{"smembers", "s2"}, "*0\r\n"sv},
    {{"exists", "s2"}, ":0\r\n"sv},
    {{"rename", "z", "z2"}, "+OK\r\n"sv},
    {{"zrange", "z2", "0", "-1", "withscores"},
     "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"sv},
    {{"copy", "z2", "z3"}, ":1\r\n"sv},
    {{"zadd", "z3", "5", "a"}, ":0\r\n"sv},
    {{"zrange", "z2", "0", "-1", "withscores"},
     "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"sv},
    {{"zrangebyscore", "z3", "-inf", "+inf", "withscores"},
     "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n5\r\n"sv},
    {{"set", "str", "v"}, "+OK\r\n"sv},
    {{"rename", "s", "str"}, "+OK\r\n"sv},
    {{"type", "str"}, "+set\r\n"sv},
    {{"smembers", "str"}, "*1\r\n$1\r\nx\r\n"sv},
    {{"renamenx", "l2", "str"}, ":0\r\n"sv},
    {{"renamenx", "l2", "newl"}, ":1\r\n"sv},
    {{"lrange", "newl", "0", "-1"}, "*4\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n"sv},
    {{"copy", "str", "newl"}, ":0\r\n"sv},
    {{"copy", "str", "newl", "replace"}, ":1\r\n"sv},
    {{"type", "newl"}, "+set\r\n"sv},
    {{"smembers", "newl"}, "*1\r\n$1\r\nx\r\n"sv},
    {{"dbsize"}, ":9\r\n"sv},
};

// Observed on redis-server 7.0.15.
const Step kDelExistsType[] = {
    {{"mset", "a", "1", "b", "2", "c", "3"}, "+OK\r\n"sv},
    {{"exists", "a", "a", "nokey", "b"}, ":3\r\n"sv},
    {{"del", "a", "a", "nokey"}, ":1\r\n"sv},
    {{"del", "a"}, ":0\r\n"sv},
    {{"unlink", "b", "b"}, ":1\r\n"sv},
    {{"unlink", "b"}, ":0\r\n"sv},
    {{"touch", "c", "c", "nokey"}, ":2\r\n"sv},
    {{"touch"}, "-ERR wrong number of arguments for 'touch' command\r\n"sv},
    {{"exists"}, "-ERR wrong number of arguments for 'exists' command\r\n"sv},
    {{"del"}, "-ERR wrong number of arguments for 'del' command\r\n"sv},
    {{"type", "c"}, "+string\r\n"sv},
    {{"type", "nokey"}, "+none\r\n"sv},
    {{"lpush", "l", "a"}, ":1\r\n"sv},
    {{"type", "l"}, "+list\r\n"sv},
    {{"hset", "h", "f", "v"}, ":1\r\n"sv},
    {{"type", "h"}, "+hash\r\n"sv},
    {{"sadd", "s", "m"}, ":1\r\n"sv},
    {{"type", "s"}, "+set\r\n"sv},
    {{"zadd", "z", "1", "m"}, ":1\r\n"sv},
    {{"type", "z"}, "+zset\r\n"sv},
    {{"hello", "3"}, kSwitchProtocol},
    {{"type", "nokey"}, "+none\r\n"sv},
    {{"del", "nokey"}, ":0\r\n"sv},
};

// Observed on redis-server 7.0.15.
const Step kScanErrors[] = {
    {{"scan", "abc"}, "-ERR invalid cursor\r\n"sv},
    {{"scan", "-1"}, "*2\r\n$1\r\n0\r\n*0\r\n"sv},
    {{"scan", " 0"}, "-ERR invalid cursor\r\n"sv},
    {{"scan", "18446744073709551616"}, "-ERR invalid cursor\r\n"sv},
    {{"scan", "18446744073709551615"}, "*2\r\n$1\r\n0\r\n*0\r\n"sv},
    {{"scan", "0", "count", "0"}, "-ERR syntax error\r\n"sv},
    {{"scan", "0", "count", "-1"}, "-ERR syntax error\r\n"sv},
    {{"scan", "0", "count", "abc"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"scan", "0", "count"}, "-ERR syntax error\r\n"sv},
    {{"scan", "0", "match"}, "-ERR syntax error\r\n"sv},
    {{"scan", "0", "foo"}, "-ERR syntax error\r\n"sv},
    {{"scan", "0", "type", "foo"}, "*2\r\n$1\r\n0\r\n*0\r\n"sv},
    {{"scan", "0", "type", "foo", "count", "1", "match"}, "-ERR syntax error\r\n"sv},
    {{"scan", "0", "count", "10", "match", "x", "foo"}, "-ERR syntax error\r\n"sv},
    {{"scan", "0"}, "*2\r\n$1\r\n0\r\n*0\r\n"sv},
    {{"hello", "3"}, kSwitchProtocol},
    {{"scan", "0"}, "*2\r\n$1\r\n0\r\n*0\r\n"sv},
};

// Observed on redis-server 7.0.15.
const Step kFlush[] = {
    {{"set", "a", "1"}, "+OK\r\n"sv},
    {{"select", "1"}, "+OK\r\n"sv},
    {{"set", "b", "1"}, "+OK\r\n"sv},
    {{"dbsize"}, ":1\r\n"sv},
    {{"flushdb", "async"}, "+OK\r\n"sv},
    {{"flushdb", "sync"}, "+OK\r\n"sv},
    {{"flushdb", "foo"}, "-ERR syntax error\r\n"sv},
    {{"flushdb", "sync", "async"}, "-ERR syntax error\r\n"sv},
    {{"dbsize"}, ":0\r\n"sv},
    {{"select", "0"}, "+OK\r\n"sv},
    {{"dbsize"}, ":1\r\n"sv},
    {{"select", "1"}, "+OK\r\n"sv},
    {{"set", "b", "1"}, "+OK\r\n"sv},
    {{"flushall", "foo"}, "-ERR syntax error\r\n"sv},
    {{"flushall", "ASYNC"}, "+OK\r\n"sv},
    {{"dbsize"}, ":0\r\n"sv},
    {{"select", "0"}, "+OK\r\n"sv},
    {{"dbsize"}, ":0\r\n"sv},
    {{"set", "c", "1"}, "+OK\r\n"sv},
    {{"flushall", "sync"}, "+OK\r\n"sv},
    {{"flushall"}, "+OK\r\n"sv},
    {{"dbsize"}, ":0\r\n"sv},
    {{"randomkey"}, "$-1\r\n"sv},
    {{"keys", "*"}, "*0\r\n"sv},
    {{"hello", "3"}, kSwitchProtocol},
    {{"randomkey"}, "_\r\n"sv},
    {{"keys", "*"}, "*0\r\n"sv},
};

TEST(Keys, ExpireOptionsAndErrors) {
  StoreHarness h;
  RunSteps(h, kExpireOptions);
}

TEST(Keys, RenameAndCopy) {
  StoreHarness h;
  RunSteps(h, kRenameCopy);
}

TEST(Keys, DelExistsTouchType) {
  StoreHarness h;
  RunSteps(h, kDelExistsType);
}

TEST(Keys, ScanErrors) {
  StoreHarness h;
  RunSteps(h, kScanErrors);
}

TEST(Keys, FlushDbFlushAllDbSize) {
  StoreHarness h;
  RunSteps(h, kFlush);
}

TEST(Keys, TtlRoundingFollowsTheClock) {
  StoreHarness h;
  const int64_t now = h.clock.NowMs();
  EXPECT_EQ(h.Run({"set", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"pexpire", "k", "1500"}), ":1\r\n");
  EXPECT_EQ(h.Run({"ttl", "k"}), ":2\r\n");  // rounded half up
  EXPECT_EQ(h.Run({"pexpire", "k", "1499"}), ":1\r\n");
  EXPECT_EQ(h.Run({"ttl", "k"}), ":1\r\n");
  EXPECT_EQ(h.Run({"pttl", "k"}), ":1499\r\n");
  EXPECT_EQ(h.Run({"pexpiretime", "k"}), ":" + std::to_string(now + 1499) + "\r\n");
  EXPECT_EQ(h.Run({"expiretime", "k"}), ":" + std::to_string((now + 1499 + 500) / 1000) + "\r\n");
  h.clock.Advance(1000);
  EXPECT_EQ(h.Run({"pttl", "k"}), ":499\r\n");
  EXPECT_EQ(h.Run({"ttl", "k"}), ":0\r\n");
  h.clock.Advance(498);
  EXPECT_EQ(h.Run({"pttl", "k"}), ":1\r\n");
  h.clock.Advance(1);
  EXPECT_EQ(h.Run({"pttl", "k"}), ":-2\r\n");
  EXPECT_EQ(h.Run({"exists", "k"}), ":0\r\n");

  EXPECT_EQ(h.Run({"set", "k", "v"}), "+OK\r\n");
  const std::string at = std::to_string(h.clock.NowMs() / 1000 + 10);
  EXPECT_EQ(h.Run({"expireat", "k", at}), ":1\r\n");
  EXPECT_EQ(h.Run({"expiretime", "k"}), ":" + at + "\r\n");
  EXPECT_EQ(h.Run({"ttl", "k"}), ":10\r\n");
}

TEST(Keys, ExpiryInThePastDeletesAtOnce) {
  StoreHarness h;
  for (const std::vector<std::string>& expire : {std::vector<std::string>{"expire", "k", "0"},
                                                 {"expire", "k", "-5"},
                                                 {"pexpire", "k", "0"},
                                                 {"expireat", "k", "1"},
                                                 {"pexpireat", "k", "0"},
                                                 {"expire", "k", "-1", "lt"},
                                                 {"expire", "k", "-1", "nx"}}) {
    EXPECT_EQ(h.Run({"set", "k", "v"}), "+OK\r\n");
    EXPECT_EQ(h.Run(expire), ":1\r\n") << JoinArgs(expire);
    EXPECT_EQ(h.Run({"dbsize"}), ":0\r\n") << JoinArgs(expire);
    EXPECT_EQ(h.store->last_journal().size(), 0u);  // DBSIZE is a read
  }
  // GT with no TTL (an infinite one) and XX without a TTL leave the key alone.
  EXPECT_EQ(h.Run({"set", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"expire", "k", "-1", "gt"}), ":0\r\n");
  EXPECT_EQ(h.Run({"expire", "k", "-1", "xx"}), ":0\r\n");
  EXPECT_EQ(h.Run({"dbsize"}), ":1\r\n");
}

TEST(Keys, GtLtCompareAbsoluteTimes) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"set", "k", "v", "px", "10000"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"pexpire", "k", "10000", "gt"}), ":0\r\n");  // equal: not greater
  EXPECT_EQ(h.Run({"pexpire", "k", "10000", "lt"}), ":0\r\n");
  h.clock.Advance(1);
  EXPECT_EQ(h.Run({"pexpire", "k", "10000", "gt"}), ":1\r\n");
  EXPECT_EQ(h.Run({"pexpire", "k", "9999", "lt"}), ":1\r\n");
  EXPECT_EQ(h.Run({"pttl", "k"}), ":9999\r\n");
  EXPECT_EQ(h.Run({"pexpire", "k", "5", "xx", "lt"}), ":1\r\n");
  EXPECT_EQ(h.Run({"pexpire", "k", "50", "nx"}), ":0\r\n");
  EXPECT_EQ(h.Run({"pttl", "k"}), ":5\r\n");
}

TEST(Keys, ExpireJournal) {
  StoreHarness h;
  const int64_t now = h.clock.NowMs();
  auto journal_of = [&](std::vector<std::string> argv) {
    h.Run(argv);
    return h.store->last_journal();
  };
  EXPECT_EQ(journal_of({"set", "k", "v"}), (Journal{{"SET", "k", "v"}}));
  EXPECT_EQ(journal_of({"expire", "k", "10", "nx"}),
            (Journal{{"PEXPIREAT", "k", std::to_string(now + 10000)}}));
  EXPECT_EQ(journal_of({"expire", "k", "10", "nx"}), Journal{});
  EXPECT_EQ(journal_of({"pexpire", "k", "20000", "gt"}),
            (Journal{{"PEXPIREAT", "k", std::to_string(now + 20000)}}));
  EXPECT_EQ(journal_of({"expireat", "k", std::to_string(now / 1000 + 30)}),
            (Journal{{"PEXPIREAT", "k", std::to_string((now / 1000 + 30) * 1000)}}));
  EXPECT_EQ(journal_of({"pexpireat", "k", std::to_string(now + 40000)}),
            (Journal{{"PEXPIREAT", "k", std::to_string(now + 40000)}}));
  EXPECT_EQ(journal_of({"expire", "nokey", "10"}), Journal{});
  EXPECT_EQ(journal_of({"expire", "k", "abc"}), Journal{});
  EXPECT_EQ(journal_of({"persist", "k"}), (Journal{{"persist", "k"}}));
  EXPECT_EQ(journal_of({"persist", "k"}), Journal{});
  EXPECT_EQ(journal_of({"expire", "k", "-1"}), (Journal{{"DEL", "k"}}));
  EXPECT_EQ(journal_of({"del", "k", "nokey"}), Journal{});
  EXPECT_EQ(journal_of({"set", "a", "1"}).size(), 1u);
  EXPECT_EQ(journal_of({"del", "a", "nokey"}), (Journal{{"del", "a", "nokey"}}));
  EXPECT_EQ(journal_of({"set", "a", "1"}).size(), 1u);
  EXPECT_EQ(journal_of({"renamenx", "a", "a"}), Journal{});
  EXPECT_EQ(journal_of({"rename", "a", "a"}), Journal{});
  EXPECT_EQ(journal_of({"rename", "a", "b"}), (Journal{{"rename", "a", "b"}}));
  EXPECT_EQ(journal_of({"copy", "b", "c", "db", "2"}), (Journal{{"copy", "b", "c", "db", "2"}}));
  EXPECT_EQ(journal_of({"copy", "b", "c", "db", "2"}), Journal{});
  EXPECT_EQ(journal_of({"copy", "nokey", "c"}), Journal{});
  EXPECT_EQ(journal_of({"exists", "b"}), Journal{});
  EXPECT_EQ(journal_of({"flushdb"}), (Journal{{"flushdb"}}));
}

TEST(Keys, ExpiredKeysAreInvisible) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"mset", "a", "1", "b", "2", "c", "3"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"pexpire", "b", "10"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hset", "h", "f", "v"}), ":1\r\n");
  EXPECT_EQ(h.Run({"pexpire", "h", "10"}), ":1\r\n");
  h.clock.Advance(10);
  EXPECT_EQ(ParseReply(h.Run({"keys", "*"})).SortedTexts(), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(ParseReply(h.Run({"scan", "0", "count", "100"})).elements.at(1).SortedTexts(),
            (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(h.Run({"exists", "a", "b", "c", "h"}), ":2\r\n");
  EXPECT_EQ(h.Run({"type", "h"}), "+none\r\n");
  EXPECT_EQ(h.Run({"rename", "b", "x"}), "-ERR no such key\r\n");
  EXPECT_EQ(h.Run({"copy", "h", "x"}), ":0\r\n");
  EXPECT_EQ(h.Run({"dbsize"}), ":2\r\n");
  for (int i = 0; i < 20; ++i) {
    const std::string key = ParseReply(h.Run({"randomkey"})).text;
    EXPECT_TRUE(key == "a" || key == "c") << key;
  }
}

TEST(Keys, RenameMovesCollectionsAndTtl) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"rpush", "l", "a", "b", "c"}), ":3\r\n");
  EXPECT_EQ(h.Run({"pexpire", "l", "5000"}), ":1\r\n");
  EXPECT_EQ(h.Run({"zadd", "z", "1", "x", "2", "y"}), ":2\r\n");
  EXPECT_EQ(h.Run({"zadd", "dst", "9", "old"}), ":1\r\n");
  EXPECT_EQ(h.Run({"rename", "l", "dst"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"pttl", "dst"}), ":5000\r\n");
  EXPECT_EQ(h.Run({"type", "dst"}), "+list\r\n");
  EXPECT_EQ(h.Run({"lrange", "dst", "0", "-1"}), "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
  EXPECT_EQ(h.Run({"lpop", "dst"}), "$1\r\na\r\n");
  EXPECT_EQ(h.Run({"llen", "dst"}), ":2\r\n");
  EXPECT_EQ(h.Run({"rename", "z", "z2"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"zrangebyscore", "z2", "2", "2"}), "*1\r\n$1\r\ny\r\n");
  EXPECT_EQ(h.Run({"zscore", "z2", "x"}), "$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"dbsize"}), ":2\r\n");
  // The source name is free again: a new collection there starts empty.
  EXPECT_EQ(h.Run({"rpush", "l", "n"}), ":1\r\n");
  EXPECT_EQ(h.Run({"zadd", "z", "5", "m"}), ":1\r\n");
  EXPECT_EQ(h.Run({"zrange", "z", "0", "-1"}), "*1\r\n$1\r\nm\r\n");
  h.Reopen();
  EXPECT_EQ(h.Run({"dbsize"}), ":4\r\n");
  EXPECT_EQ(h.Run({"lrange", "dst", "0", "-1"}), "*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
}

TEST(Keys, CopyOfABigCollectionIsIndependent) {
  StoreHarness h;
  std::vector<std::string> sadd = {"sadd", "s"};
  for (int i = 0; i < 3000; ++i) sadd.push_back("m" + std::to_string(i));
  EXPECT_EQ(h.Run(sadd), ":3000\r\n");
  std::vector<std::string> zadd = {"zadd", "z"};
  for (int i = 0; i < 2500; ++i) {
    zadd.push_back(std::to_string(i));
    zadd.push_back("m" + std::to_string(i));
  }
  EXPECT_EQ(h.Run(zadd), ":2500\r\n");
  EXPECT_EQ(h.Run({"copy", "s", "s2", "db", "5"}), ":1\r\n");
  EXPECT_EQ(h.Run({"copy", "z", "z2"}), ":1\r\n");
  EXPECT_EQ(h.Run({"srem", "s", "m0", "m2999"}), ":2\r\n");
  EXPECT_EQ(h.Run({"zrem", "z2", "m0"}), ":1\r\n");
  EXPECT_EQ(h.Run({"scard", "s"}), ":2998\r\n");
  EXPECT_EQ(h.Run({"zcard", "z"}), ":2500\r\n");
  EXPECT_EQ(h.Run({"zcard", "z2"}), ":2499\r\n");
  EXPECT_EQ(h.Run({"zrange", "z2", "-1", "-1", "withscores"}),
            "*2\r\n$5\r\nm2499\r\n$4\r\n2499\r\n");
  EXPECT_EQ(h.Run({"zcount", "z2", "1000", "1999"}), ":1000\r\n");
  h.session.db = 5;
  EXPECT_EQ(h.Run({"scard", "s2"}), ":3000\r\n");
  EXPECT_EQ(h.Run({"sismember", "s2", "m2999"}), ":1\r\n");
  EXPECT_EQ(h.Run({"dbsize"}), ":1\r\n");
}

KeySet Keys(StoreHarness& h, std::string_view pattern) {
  const std::vector<std::string> texts = ParseReply(h.Run({"keys", pattern})).Texts();
  return KeySet(texts.begin(), texts.end());
}

TEST(Keys, KeysPatterns) {
  StoreHarness h;
  for (const char* key : {"hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h?llo", "",
                          "a[b", "x\\y", "foo:1", "foo:22", "Hello"}) {
    EXPECT_EQ(h.Run({"set", key, "v"}), "+OK\r\n");
  }
  EXPECT_EQ(Keys(h, "*").size(), 13u);
  EXPECT_EQ(Keys(h, "**").size(), 12u);  // "**" is matched, and misses the empty key
  EXPECT_EQ(Keys(h, "h?llo"), (KeySet{"hello", "hallo", "hxllo", "h*llo", "h?llo"}));
  EXPECT_EQ(Keys(h, "h*llo"),
            (KeySet{"hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h?llo"}));
  EXPECT_EQ(Keys(h, "h[ae]llo"), (KeySet{"hello", "hallo"}));
  EXPECT_EQ(Keys(h, "h[^e]llo"), (KeySet{"hallo", "hxllo", "h*llo", "h?llo"}));
  EXPECT_EQ(Keys(h, "h[a-b]llo"), (KeySet{"hallo"}));
  EXPECT_EQ(Keys(h, "h[b-a]llo"), (KeySet{"hallo"}));  // reversed range
  EXPECT_EQ(Keys(h, "h\\*llo"), (KeySet{"h*llo"}));
  EXPECT_EQ(Keys(h, "h[\\?]llo"), (KeySet{"h?llo"}));
  EXPECT_EQ(Keys(h, "a[[]b"), (KeySet{"a[b"}));
  EXPECT_EQ(Keys(h, "x\\\\y"), (KeySet{"x\\y"}));
  EXPECT_EQ(Keys(h, "foo:?"), (KeySet{"foo:1"}));
  EXPECT_EQ(Keys(h, "foo:*"), (KeySet{"foo:1", "foo:22"}));
  EXPECT_EQ(Keys(h, "hello"), (KeySet{"hello"}));
  EXPECT_EQ(Keys(h, "HELLO"), (KeySet{}));  // case-sensitive
  EXPECT_EQ(Keys(h, "nomatch*"), (KeySet{}));
  h.session.protocol = 3;
  EXPECT_EQ(h.Run({"keys", "foo:?"}), "*1\r\n$5\r\nfoo:1\r\n");
}

// Runs SCAN to completion; returns every key returned (with repeats) and checks the cursor shape.
std::multiset<std::string> ScanAll(StoreHarness& h, std::vector<std::string> extra,
                                   int* rounds = nullptr) {
  std::multiset<std::string> out;
  std::string cursor = "0";
  for (int round = 1; round < 100000; ++round) {
    std::vector<std::string> argv = {"scan", cursor};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const ReplyTree reply = ParseReply(h.Run(argv));
    if (reply.type != '*' || reply.elements.size() != 2) {
      ADD_FAILURE() << "bad SCAN reply";
      return out;
    }
    cursor = reply.elements[0].text;
    for (const std::string& key : reply.elements[1].Texts()) out.insert(key);
    if (cursor == "0") {
      if (rounds) *rounds = round;
      return out;
    }
  }
  ADD_FAILURE() << "SCAN did not terminate";
  return out;
}

TEST(Keys, ScanVisitsEveryKeyOnce) {
  StoreHarness h;
  std::vector<std::string> mset = {"mset"};
  std::multiset<std::string> all;
  for (int i = 0; i < 250; ++i) {
    // A long shared prefix: cursors must not depend on the first bytes being distinct.
    const std::string key = "session:user:" + std::to_string(i);
    mset.push_back(key);
    mset.push_back("v");
    all.insert(key);
  }
  EXPECT_EQ(h.Run(mset), "+OK\r\n");
  int rounds = 0;
  EXPECT_EQ(ScanAll(h, {}, &rounds), all);
  EXPECT_EQ(rounds, 25);  // COUNT 10 by default
  for (const char* count : {"1", "7", "249", "250", "1000"}) {
    EXPECT_EQ(ScanAll(h, {"count", count}), all) << count;
  }
  EXPECT_EQ(ScanAll(h, {"count", "1000"}, &rounds).size(), 250u);
  EXPECT_EQ(rounds, 1);
  EXPECT_EQ(ScanAll(h, {"match", "session:user:1?", "count", "3"}),
            (std::multiset<std::string>{"session:user:10", "session:user:11", "session:user:12",
                                        "session:user:13", "session:user:14", "session:user:15",
                                        "session:user:16", "session:user:17", "session:user:18",
                                        "session:user:19"}));
}

TEST(Keys, ScanTypeFilter) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"set", "s", "v"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"rpush", "l", "v"}), ":1\r\n");
  EXPECT_EQ(h.Run({"hset", "h", "f", "v"}), ":1\r\n");
  EXPECT_EQ(h.Run({"sadd", "st", "v"}), ":1\r\n");
  EXPECT_EQ(h.Run({"zadd", "z", "1", "v"}), ":1\r\n");
  EXPECT_EQ(ScanAll(h, {"type", "string"}), (std::multiset<std::string>{"s"}));
  EXPECT_EQ(ScanAll(h, {"type", "LIST"}), (std::multiset<std::string>{"l"}));
  EXPECT_EQ(ScanAll(h, {"type", "hash"}), (std::multiset<std::string>{"h"}));
  EXPECT_EQ(ScanAll(h, {"type", "set"}), (std::multiset<std::string>{"st"}));
  EXPECT_EQ(ScanAll(h, {"type", "zset", "count", "1"}), (std::multiset<std::string>{"z"}));
  EXPECT_EQ(ScanAll(h, {"type", "stream"}), (std::multiset<std::string>{}));
  EXPECT_EQ(ScanAll(h, {"type", "set", "match", "s*"}), (std::multiset<std::string>{"st"}));
}

TEST(Keys, ScanKeepsItsGuaranteeUnderChanges) {
  // Keys present for the whole scan are returned; keys added or removed meanwhile may or may not.
  StoreHarness h;
  for (int i = 0; i < 100; ++i) h.Run({"set", "k" + std::to_string(1000 + i), "v"});
  std::set<std::string> seen;
  std::string cursor = "0";
  int round = 0;
  do {
    const ReplyTree reply = ParseReply(h.Run({"scan", cursor, "count", "7"}));
    cursor = reply.elements.at(0).text;
    for (const std::string& key : reply.elements.at(1).Texts()) seen.insert(key);
    // Churn: delete a key from the front half, add keys on both sides of the cursor.
    h.Run({"del", "k" + std::to_string(1000 + round)});
    h.Run({"set", "a" + std::to_string(round), "v"});
    h.Run({"set", "z" + std::to_string(round), "v"});
    ++round;
  } while (cursor != "0" && round < 1000);
  EXPECT_EQ(cursor, "0");
  for (int i = 0; i < 100; ++i) {
    const std::string key = "k" + std::to_string(1000 + i);
    if (i >= round) {
      EXPECT_TRUE(seen.count(key)) << key;
    }
  }
}

TEST(Keys, ScanWithAForgottenCursorRepeatsButNeverSkips) {
  StoreHarness h;
  for (int i = 0; i < 50; ++i) h.Run({"set", "key:" + std::to_string(100 + i), "v"});
  const ReplyTree first = ParseReply(h.Run({"scan", "0", "count", "20"}));
  ASSERT_EQ(first.elements.at(1).elements.size(), 20u);
  // A cursor the table never issued with the same key bytes: resumes at its key prefix ("key:1"),
  // so everything from the start of that prefix is returned again.
  const uint64_t issued = std::stoull(first.elements.at(0).text);
  const uint64_t forged = (issued & ~uint64_t{0xffffff}) | 0xfffffe;
  const std::set<std::string> rest = [&] {
    std::set<std::string> out;
    std::string cursor = std::to_string(forged);
    do {
      const ReplyTree r = ParseReply(h.Run({"scan", cursor, "count", "20"}));
      cursor = r.elements.at(0).text;
      for (const std::string& key : r.elements.at(1).Texts()) out.insert(key);
    } while (cursor != "0");
    return out;
  }();
  for (int i = 20; i < 50; ++i) EXPECT_TRUE(rest.count("key:" + std::to_string(100 + i))) << i;
  // A Redis-style small cursor starts over from the beginning.
  EXPECT_EQ(ParseReply(h.Run({"scan", "17", "count", "1000"})).elements.at(1).elements.size(), 50u);
}

TEST(Keys, RandomKeyReachesEveryKey) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"randomkey"}), "$-1\r\n");
  std::map<std::string, int> hits;
  for (int i = 0; i < 30; ++i) {
    const std::string key = "common:prefix:" + std::to_string(i * 7);
    h.Run({"set", key, "v"});
    hits[key] = 0;
  }
  for (int i = 0; i < 3000; ++i) {
    const ReplyTree reply = ParseReply(h.Run({"randomkey"}));
    ASSERT_EQ(reply.type, '$');
    ASSERT_TRUE(hits.count(reply.text)) << reply.text;
    ++hits[reply.text];
  }
  for (const auto& [key, n] : hits) EXPECT_GT(n, 0) << key;
  // Only expired keys left: nil.
  for (const auto& [key, n] : hits) h.Run({"pexpire", key, "1"});
  h.clock.Advance(1);
  EXPECT_EQ(h.Run({"randomkey"}), "$-1\r\n");
  h.session.protocol = 3;
  EXPECT_EQ(h.Run({"randomkey"}), "_\r\n");
}

TEST(Keys, DbSizeCountsPerDb) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"mset", "a", "1", "b", "2"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"copy", "a", "a", "db", "7"}), ":1\r\n");
  EXPECT_EQ(h.Run({"dbsize"}), ":2\r\n");
  h.session.db = 7;
  EXPECT_EQ(h.Run({"dbsize"}), ":1\r\n");
  EXPECT_EQ(h.Run({"get", "a"}), "$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"flushdb"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"dbsize"}), ":0\r\n");
  h.session.db = 0;
  EXPECT_EQ(h.Run({"dbsize"}), ":2\r\n");
  EXPECT_EQ(h.Run({"del", "a", "b", "a"}), ":2\r\n");
  EXPECT_EQ(h.Run({"dbsize"}), ":0\r\n");
}

}  // namespace
}  // namespace respite::storage
