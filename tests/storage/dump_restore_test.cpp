// DUMP and RESTORE through the real dispatcher, on RocksDB, with a fake clock: round trips of
// every type, Redis' errors, and the journal (what the differential family cannot see).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/rdb_value.h"
#include "tests/storage/store_harness.h"

namespace respite::storage {
namespace {

using Strings = std::vector<std::string>;

// The bulk string of a one-bulk reply.
std::string Bulk(const std::string& reply) {
  const size_t start = reply.find("\r\n") + 2;
  return reply.substr(start, reply.size() - start - 2);
}

TEST(DumpRestore, EveryTypeRoundTrips) {
  StoreHarness h;
  h.Run({"set", "s", "hello"});
  h.Run({"rpush", "l", "a", "1", "-5000", std::string(70, 'z')});
  h.Run({"sadd", "i", "5", "-3", "70000"});
  h.Run({"sadd", "t", "x", "y"});
  h.Run({"hset", "h", "f1", "v1", "f2", "2"});
  h.Run({"zadd", "z", "1.5", "a", "-2", "b", "0.1", "c"});
  h.Run({"xadd", "x", "1-1", "f", "v"});
  h.Run({"xadd", "x", "2-0", "f", "w", "g", "1"});
  h.Run({"xgroup", "create", "x", "grp", "0"});
  h.Run({"xreadgroup", "group", "grp", "alice", "count", "1", "streams", "x", ">"});
  const std::vector<std::pair<std::string, Strings>> reads = {
      {"s", {"get", "s"}},
      {"l", {"lrange", "l", "0", "-1"}},
      {"i", {"smembers", "i"}},
      {"t", {"smembers", "t"}},
      {"h", {"hgetall", "h"}},
      {"z", {"zrange", "z", "0", "-1", "withscores"}},
      {"x", {"xrange", "x", "-", "+"}},
  };
  for (const auto& [key, read] : reads) {
    const std::string payload = Bulk(h.Run({"dump", key}));
    const std::string before = h.Run(read);
    const std::string encoding = h.Run({"object", "encoding", key});
    EXPECT_EQ(h.Run({"restore", key, "0", payload}),
              "-BUSYKEY Target key name already exists.\r\n");
    EXPECT_EQ(h.Run({"restore", key, "0", payload, "replace"}), "+OK\r\n") << key;
    EXPECT_EQ(h.Run(read), before) << key;
    EXPECT_EQ(h.Run({"object", "encoding", key}), encoding) << key;
  }
  const std::string x = Bulk(h.Run({"dump", "x"}));
  h.Run({"del", "x"});
  EXPECT_EQ(h.Run({"restore", "x", "0", x}), "+OK\r\n");
  EXPECT_EQ(h.Run({"xpending", "x", "grp"}),
            "*4\r\n:1\r\n$3\r\n1-1\r\n$3\r\n1-1\r\n*1\r\n*2\r\n$5\r\nalice\r\n$1\r\n1\r\n");
}

TEST(DumpRestore, Errors) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"dump", "nope"}), "$-1\r\n");
  h.Run({"set", "s", "v"});
  const std::string payload = Bulk(h.Run({"dump", "s"}));
  EXPECT_EQ(h.Run({"restore", "n", "0", payload, "junk"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"restore", "n", "-1", payload}), "-ERR Invalid TTL value, must be >= 0\r\n");
  EXPECT_EQ(h.Run({"restore", "n", "x", payload}),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(h.Run({"restore", "n", "0", payload, "idletime", "-1"}),
            "-ERR Invalid IDLETIME value, must be >= 0\r\n");
  EXPECT_EQ(h.Run({"restore", "n", "0", payload, "freq", "256"}),
            "-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n");
  EXPECT_EQ(h.Run({"restore", "n", "0", payload, "idletime", "1", "freq", "1"}),
            "-ERR syntax error\r\n");
  std::string bad = payload;
  bad[1] ^= 1;
  EXPECT_EQ(h.Run({"restore", "n", "0", bad}),
            "-ERR DUMP payload version or checksum are wrong\r\n");
  EXPECT_EQ(h.Run({"restore", "n", "0", rdb::MakeDumpPayload(0, "\x81")}),
            "-ERR Bad data format\r\n");
  EXPECT_EQ(
      h.Run({"restore", "n", "0", rdb::MakeDumpPayload(rdb::kTypeList, std::string(1, '\0'))}),
      "-ERR Bad data format\r\n");
  EXPECT_EQ(h.Run({"exists", "n"}), ":0\r\n");
}

TEST(DumpRestore, JournaledWithAnAbsoluteTtl) {
  StoreHarness h;
  h.Run({"set", "s", "v"});
  const std::string payload = Bulk(h.Run({"dump", "s"}));
  const std::string at = std::to_string(h.clock.NowMs() + 5000);
  EXPECT_EQ(h.Run({"restore", "a", "5000", payload, "idletime", "3"}), "+OK\r\n");
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0],
            (Strings{"restore", "a", at, payload, "idletime", "3", "ABSTTL"}));
  EXPECT_EQ(h.Run({"pttl", "a"}), ":5000\r\n");
  EXPECT_EQ(h.Run({"restore", "b", at, payload, "absttl"}), "+OK\r\n");
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"restore", "b", at, payload, "absttl"}));
  EXPECT_EQ(h.Run({"pttl", "b"}), ":5000\r\n");
  // A time already past: the replaced key goes, propagated as DEL; nothing else is journaled.
  EXPECT_EQ(h.Run({"restore", "b", "1", payload, "absttl", "replace"}), "+OK\r\n");
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"DEL", "b"}));
  EXPECT_EQ(h.Run({"exists", "b"}), ":0\r\n");
  EXPECT_EQ(h.Run({"restore", "c", "1", payload, "absttl"}), "+OK\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
  EXPECT_EQ(h.Run({"exists", "c"}), ":0\r\n");
}

}  // namespace
}  // namespace respite::storage
