// The geo family through the real dispatcher, on RocksDB: what the differential family cannot see
// (the journal of GEOADD and of the stores). Expected bytes are what redis-server 7.0.15 sent for
// the same commands.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/storage/store_harness.h"

namespace respite::storage {
namespace {

using Strings = std::vector<std::string>;

TEST(Geo, AddIsJournaledAsZaddOfTheScores) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"geoadd", "k", "13.361389", "38.115556", "Palermo", "180", "85.05112878", "e"}),
            ":2\r\n");
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0],
            (Strings{"ZADD", "k", "3479099956230698", "Palermo", "13510798882111488", "e"}));
  EXPECT_EQ(h.Run({"geoadd", "k", "xx", "CH", "13.361389", "38.115556", "Palermo"}), ":0\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
  EXPECT_EQ(h.Run({"geoadd", "k", "xx", "CH", "15.087269", "37.502669", "Palermo"}), ":1\r\n");
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0],
            (Strings{"ZADD", "k", "xx", "CH", "3479447370796909", "Palermo"}));
  EXPECT_EQ(h.Run({"geoadd", "k", "181", "10", "x"}),
            "-ERR invalid longitude,latitude pair 181.000000,10.000000\r\n");
}

TEST(Geo, PositionsAndDistances) {
  StoreHarness h;
  h.Run({"geoadd", "k", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania",
         "180", "85.05112878", "e"});
  EXPECT_EQ(h.Run({"geopos", "k", "Palermo", "nope", "e"}),
            "*3\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*-1\r\n"
            "*2\r\n$3\r\n180\r\n$19\r\n85.0511287799999991\r\n");
  EXPECT_EQ(h.Run({"geodist", "k", "Palermo", "Catania"}), "$11\r\n166274.1516\r\n");
  EXPECT_EQ(h.Run({"geohash", "k", "Palermo", "e"}),
            "*2\r\n$11\r\nsqc8b49rny0\r\n$11\r\nbp05b5048p0\r\n");
  EXPECT_EQ(h.Run({"geosearch", "k", "fromlonlat", "15", "37", "byradius", "200", "km", "withdist",
                   "withhash", "withcoord", "asc"}),
            "*2\r\n*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n*2\r\n$20\r\n"
            "15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n*4\r\n$7\r\nPalermo\r\n$8\r\n"
            "190.4424\r\n:3479099956230698\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n"
            "38.11555639549629859\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
}

TEST(Geo, StoreIsJournaledAsDelAndZadd) {
  StoreHarness h;
  h.Run({"geoadd", "k", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"});
  h.Run({"set", "d", "old"});
  EXPECT_EQ(h.Run({"geosearchstore", "d", "k", "fromlonlat", "15", "37", "byradius", "200", "km",
                   "asc", "storedist"}),
            ":2\r\n");
  ASSERT_EQ(h.store->last_journal().size(), 2u);
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"DEL", "d"}));
  EXPECT_EQ(h.store->last_journal()[1], (Strings{"ZADD", "d", "56.441257870158204", "Catania",
                                                 "190.44242984775784", "Palermo"}));
  EXPECT_EQ(h.Run({"georadius", "k", "15", "37", "200", "km", "store", "d2"}), ":2\r\n");
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0],
            (Strings{"ZADD", "d2", "3479099956230698", "Palermo", "3479447370796909", "Catania"}));
}

TEST(Geo, EmptyResultDeletesTheDestination) {
  StoreHarness h;
  h.Run({"geoadd", "k", "13.361389", "38.115556", "Palermo"});
  h.Run({"rpush", "d", "x"});
  EXPECT_EQ(h.Run({"georadius", "k", "0", "0", "1", "m", "store", "d"}), ":0\r\n");
  ASSERT_EQ(h.store->last_journal().size(), 1u);
  EXPECT_EQ(h.store->last_journal()[0], (Strings{"DEL", "d"}));
  EXPECT_EQ(h.Run({"exists", "d"}), ":0\r\n");
  EXPECT_EQ(h.Run({"geosearchstore", "d", "nokey", "frommember", "x", "byradius", "1", "m"}),
            ":0\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
}

}  // namespace
}  // namespace respite::storage
