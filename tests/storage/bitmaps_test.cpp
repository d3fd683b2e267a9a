// The bitmap family through the real dispatcher, on RocksDB: what each command journals (the
// replies themselves are checked against redis-server by differential_test.cpp, family bitmaps).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/storage/store_harness.h"

namespace respite::storage {
namespace {

using Journal = std::vector<std::vector<std::string>>;

TEST(Bitmaps, Replies) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"setbit", "k", "7", "1"}), ":0\r\n");
  EXPECT_EQ(h.Run({"setbit", "k", "7", "1"}), ":1\r\n");
  EXPECT_EQ(h.Run({"get", "k"}), "$1\r\n\x01\r\n");
  EXPECT_EQ(h.Run({"setbit", "k", "-1", "1"}),
            "-ERR bit offset is not an integer or out of range\r\n");
  EXPECT_EQ(h.Run({"setbit", "k", "4294967296", "1"}),
            "-ERR bit offset is not an integer or out of range\r\n");
  EXPECT_EQ(h.Run({"setbit", "k", "1", "2"}), "-ERR bit is not an integer or out of range\r\n");
  EXPECT_EQ(h.Run({"bitcount", "k"}), ":1\r\n");
  EXPECT_EQ(h.Run({"bitpos", "k", "1"}), ":7\r\n");
  EXPECT_EQ(h.Run({"bitpos", "k", "0", "0", "-1", "bit"}), ":0\r\n");
  EXPECT_EQ(h.Run({"bitop", "not", "d", "k", "k"}),
            "-ERR BITOP NOT must be called with a single source key.\r\n");
  EXPECT_EQ(h.Run({"bitfield", "k", "get", "u64", "0"}),
            "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not "
            "supported but i64 is.\r\n");
  EXPECT_EQ(h.Run({"bitfield", "k", "overflow", "fail", "incrby", "u2", "0", "9"}),
            "*1\r\n$-1\r\n");
  EXPECT_EQ(h.Run({"bitfield_ro", "k", "set", "u8", "0", "1"}),
            "-ERR BITFIELD_RO only supports the GET subcommand\r\n");
  EXPECT_EQ(h.Run({"sadd", "s", "a"}), ":1\r\n");
  EXPECT_EQ(h.Run({"getbit", "s", "0"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
}

TEST(Bitmaps, Journal) {
  StoreHarness h;
  auto journal_of = [&](std::vector<std::string> argv) {
    h.Run(argv);
    return h.store->last_journal();
  };
  // SETBIT: as itself when the bit or the length changed (a new key always does).
  EXPECT_EQ(journal_of({"setbit", "k", "0", "0"}), (Journal{{"setbit", "k", "0", "0"}}));
  EXPECT_EQ(journal_of({"setbit", "k", "0", "0"}), Journal{});
  EXPECT_EQ(journal_of({"setbit", "k", "0", "1"}), (Journal{{"setbit", "k", "0", "1"}}));
  EXPECT_EQ(journal_of({"setbit", "k", "20", "0"}), (Journal{{"setbit", "k", "20", "0"}}));
  EXPECT_EQ(journal_of({"getbit", "k", "0"}), Journal{});

  // BITFIELD: as itself when a write changed something.
  EXPECT_EQ(journal_of({"bitfield", "b", "set", "i5", "0", "0"}),
            (Journal{{"bitfield", "b", "set", "i5", "0", "0"}}));
  EXPECT_EQ(journal_of({"bitfield", "b", "set", "i5", "0", "0"}), Journal{});
  EXPECT_EQ(journal_of({"bitfield", "b", "get", "u8", "0"}), Journal{});
  EXPECT_EQ(journal_of({"bitfield", "b", "incrby", "u2", "0", "1"}),
            (Journal{{"bitfield", "b", "incrby", "u2", "0", "1"}}));
  // Writes that all fail write nothing Redis counts, even when they create the key.
  EXPECT_EQ(journal_of({"bitfield", "f", "overflow", "fail", "set", "u2", "0", "7"}), Journal{});
  EXPECT_EQ(h.Run({"get", "f"}), std::string("$1\r\n\0\r\n", 7));

  // BITOP: as the value it left at the destination.
  h.Run({"set", "a", "\xff\x0f"});
  h.Run({"set", "c", "\x0f"});
  EXPECT_EQ(journal_of({"bitop", "and", "d", "a", "c"}),
            (Journal{{"SET", "d", std::string("\x0f\0", 2)}}));
  EXPECT_EQ(journal_of({"bitop", "or", "d", "missing", "nothing"}), (Journal{{"DEL", "d"}}));
  EXPECT_EQ(journal_of({"bitop", "or", "d", "missing", "nothing"}), Journal{});
}

}  // namespace
}  // namespace respite::storage
