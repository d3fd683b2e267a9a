// The HyperLogLog family through the real dispatcher, on RocksDB: bytes Redis 7.0.15 holds for
// known inputs, and what each command journals (replies and bytes at large are checked against
// redis-server by differential_test.cpp, family hyperloglog).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/hll_encoding.h"
#include "tests/storage/store_harness.h"

namespace respite::storage {
namespace {

using Journal = std::vector<std::vector<std::string>>;

std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

// What redis-server 7.0.15 holds after PFADD h a b c (sparse, cache invalid), and after PFCOUNT h.
const std::string kHeader("HYLL\x01\x00\x00\x00", 8);
const std::string kOpcodes(
    "`\xf3\x80P\xb1\x84K\xfb\x80"
    "BZ",
    11);
const std::string kAbc = kHeader + std::string("\0\0\0\0\0\0\0\x80", 8) + kOpcodes;
const std::string kAbcCounted = kHeader + std::string("\x03\0\0\0\0\0\0\0", 8) + kOpcodes;

TEST(HyperLogLog, BytesAsRedis) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"pfadd", "h", "a", "b", "c"}), ":1\r\n");
  EXPECT_EQ(h.Run({"get", "h"}), Bulk(kAbc));
  EXPECT_EQ(h.Run({"pfdebug", "decode", "h"}),
            Bulk("Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603"));
  EXPECT_EQ(h.Run({"pfcount", "h"}), ":3\r\n");
  EXPECT_EQ(h.Run({"get", "h"}), Bulk(kAbcCounted));
  EXPECT_EQ(h.Run({"pfadd", "h", "a"}), ":0\r\n");
  EXPECT_EQ(h.Run({"get", "h"}), Bulk(kAbcCounted));  // the cache stays valid
  EXPECT_EQ(h.Run({"pfadd", "e"}), ":1\r\n");         // a new HLL's cache is invalid, as in Redis
  EXPECT_EQ(h.Run({"get", "e"}),
            Bulk(std::string("HYLL\x01", 5) + std::string(10, '\0') + "\x80\x7f\xff"));
}

TEST(HyperLogLog, Errors) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"set", "s", "not an hll"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"pfadd", "s", "x"}),
            "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n");
  EXPECT_EQ(h.Run({"pfcount", "s"}), "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n");
  EXPECT_EQ(h.Run({"sadd", "set", "x"}), ":1\r\n");
  EXPECT_EQ(h.Run({"pfmerge", "d", "set"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  EXPECT_EQ(h.Run({"pfadd", "h", "a", "b", "c"}), ":1\r\n");
  EXPECT_EQ(h.Run({"append", "h", "hello"}), ":32\r\n");
  EXPECT_EQ(h.Run({"pfcount", "h"}), "-INVALIDOBJ Corrupted HLL object detected\r\n");
  EXPECT_EQ(h.Run({"pfcount", "h", "h"}), "-INVALIDOBJ Corrupted HLL object detected\r\n");
  EXPECT_EQ(h.Run({"pfdebug", "getreg", "h"}), "-INVALIDOBJ Corrupted HLL object detected\r\n");
  EXPECT_EQ(h.Run({"pfdebug", "encoding", "nokey"}), "-ERR The specified key does not exist\r\n");
  EXPECT_EQ(h.Run({"pfdebug", "what", "h"}), "-ERR Unknown PFDEBUG subcommand 'what'\r\n");
}

TEST(HyperLogLog, PromotesToDense) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"config", "set", "hll-sparse-max-bytes", "30"}), "+OK\r\n");
  std::vector<std::string> add = {"pfadd", "h"};
  for (int i = 0; i < 20; ++i) add.push_back("e" + std::to_string(i));
  EXPECT_EQ(h.Run(add), ":1\r\n");
  EXPECT_EQ(h.Run({"pfdebug", "encoding", "h"}), "+dense\r\n");
  EXPECT_EQ(h.Run({"strlen", "h"}), ":" + std::to_string(hll::kDenseSize) + "\r\n");
  EXPECT_EQ(h.Run({"pfcount", "h"}), ":20\r\n");
  EXPECT_EQ(h.Run({"pfadd", "s", "e1"}), ":1\r\n");
  EXPECT_EQ(h.Run({"pfdebug", "encoding", "s"}), "+sparse\r\n");
  EXPECT_EQ(h.Run({"pfmerge", "s", "h"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"pfdebug", "encoding", "s"}), "+dense\r\n");
  EXPECT_EQ(h.Run({"pfcount", "s", "h", "missing"}), ":20\r\n");
}

TEST(HyperLogLog, Journal) {
  StoreHarness h;
  auto journal_of = [&](std::vector<std::string> argv) {
    h.Run(argv);
    return h.store->last_journal();
  };
  // PFADD: as itself when it created the key or changed a register.
  EXPECT_EQ(journal_of({"pfadd", "h"}), (Journal{{"pfadd", "h"}}));
  EXPECT_EQ(journal_of({"pfadd", "h"}), Journal{});
  EXPECT_EQ(journal_of({"pfadd", "h", "a", "b"}), (Journal{{"pfadd", "h", "a", "b"}}));
  EXPECT_EQ(journal_of({"pfadd", "h", "a", "b"}), Journal{});
  // PFCOUNT writes the cached cardinality, and journals nothing.
  EXPECT_EQ(journal_of({"pfcount", "h"}), Journal{});
  EXPECT_EQ(journal_of({"pfcount", "h", "x"}), Journal{});
  // PFMERGE: as itself, always (upstream merges its own registers in).
  EXPECT_EQ(journal_of({"pfmerge", "d", "h"}), (Journal{{"pfmerge", "d", "h"}}));
  EXPECT_EQ(journal_of({"pfmerge", "d", "h"}), (Journal{{"pfmerge", "d", "h"}}));
  // PFDEBUG changes the encoding only: nothing.
  EXPECT_EQ(journal_of({"pfdebug", "todense", "d"}), Journal{});
  EXPECT_EQ(journal_of({"pfdebug", "encoding", "d"}), Journal{});
  // Errors: nothing.
  EXPECT_EQ(journal_of({"set", "s", "x"}), (Journal{{"SET", "s", "x"}}));
  EXPECT_EQ(journal_of({"pfadd", "s", "a"}), Journal{});
  EXPECT_EQ(journal_of({"pfmerge", "d", "s"}), Journal{});
}

TEST(HyperLogLog, SurvivesRestartWithTtl) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"pfadd", "h", "a", "b", "c"}), ":1\r\n");
  EXPECT_EQ(h.Run({"pexpire", "h", "100000"}), ":1\r\n");
  EXPECT_EQ(h.Run({"pfmerge", "h", "x"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"pfcount", "h"}), ":3\r\n");
  h.Reopen();
  EXPECT_EQ(h.Run({"get", "h"}), Bulk(kAbcCounted));
  EXPECT_EQ(h.Run({"pttl", "h"}), ":100000\r\n");
}

TEST(HyperLogLog, SelfTest) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"pfselftest"}), "+OK\r\n");
}

}  // namespace
}  // namespace respite::storage
