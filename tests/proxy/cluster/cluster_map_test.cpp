// The slot map: CLUSTER SLOTS replies as Redis 7.0 writes them, redirect replies, and -MOVED
// patching the published map.
#include "proxy/cluster/cluster_map.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace respite::proxy {
namespace {

// One range of a CLUSTER SLOTS reply: [start, end, [host, port, id], replica...].
std::string Range(int start, int end, const std::string& host, int port, bool replica = false) {
  std::string out = "*" + std::to_string(replica ? 4 : 3) + "\r\n:" + std::to_string(start) +
                    "\r\n:" + std::to_string(end) + "\r\n*3\r\n$" + std::to_string(host.size()) +
                    "\r\n" + host + "\r\n:" + std::to_string(port) + "\r\n$4\r\nid-m\r\n";
  if (replica) out += "*3\r\n$9\r\n127.0.0.9\r\n:7100\r\n$4\r\nid-r\r\n";
  return out;
}

TEST(ClusterMap, ParsesClusterSlots) {
  const std::string reply = "*3\r\n" + Range(0, 5460, "127.0.0.1", 7000, true) +
                            Range(5461, 10922, "127.0.0.1", 7001) +
                            Range(10923, 16383, "", 7002);  // a node that does not know its IP
  ClusterMap map;
  std::string error;
  ASSERT_TRUE(ParseClusterSlots(reply, config::Endpoint{"10.0.0.5", 7002}, &map, &error)) << error;
  ASSERT_EQ(map.nodes.size(), 3u);  // masters only
  EXPECT_EQ(map.NodeOf(0)->ToString(), "127.0.0.1:7000");
  EXPECT_EQ(map.NodeOf(5460)->ToString(), "127.0.0.1:7000");
  EXPECT_EQ(map.NodeOf(5461)->ToString(), "127.0.0.1:7001");
  EXPECT_EQ(map.NodeOf(16383)->ToString(), "10.0.0.5:7002");  // the address asked
  EXPECT_EQ(map.uncovered(), 0u);
  EXPECT_EQ(map.SlotCounts(), (std::vector<size_t>{5461, 5462, 5461}));
  EXPECT_EQ(map.Describe(),
            "127.0.0.1:7000 0-5460, 127.0.0.1:7001 5461-10922, 10.0.0.5:7002 10923-16383");
}

TEST(ClusterMap, UnservedSlotsAndBadReplies) {
  ClusterMap map;
  std::string error;
  ASSERT_TRUE(ParseClusterSlots("*1\r\n" + Range(100, 100, "h", 1), {}, &map, &error));
  EXPECT_EQ(map.uncovered(), 16383u);
  EXPECT_EQ(map.NodeOf(99), nullptr);
  EXPECT_EQ(map.Describe(), "h:1 100");
  EXPECT_FALSE(
      ParseClusterSlots("-ERR This instance has cluster support disabled\r\n", {}, &map, &error));
  EXPECT_EQ(error, "ERR This instance has cluster support disabled");
  EXPECT_FALSE(ParseClusterSlots("*1\r\n" + Range(5, 16384, "h", 1), {}, &map, &error));
  EXPECT_FALSE(ParseClusterSlots("*1\r\n" + Range(9, 5, "h", 1), {}, &map, &error));
  EXPECT_FALSE(ParseClusterSlots("*1\r\n:1\r\n", {}, &map, &error));
  EXPECT_FALSE(ParseClusterSlots("+OK\r\n", {}, &map, &error));
}

TEST(ClusterMap, ParsesRedirects) {
  bool ask = true;
  uint16_t slot = 0;
  config::Endpoint to;
  ASSERT_TRUE(ParseRedirect("-MOVED 3999 127.0.0.1:6381\r\n", &ask, &slot, &to));
  EXPECT_FALSE(ask);
  EXPECT_EQ(slot, 3999);
  EXPECT_EQ(to.ToString(), "127.0.0.1:6381");
  ASSERT_TRUE(ParseRedirect("-ASK 16383 [::1]:7000\r\n", &ask, &slot, &to));
  EXPECT_TRUE(ask);
  EXPECT_EQ(slot, 16383);
  EXPECT_EQ(to.host, "::1");
  ASSERT_TRUE(ParseRedirect("-MOVED 1 redis-0.example:6379\r\n", &ask, &slot, &to));
  EXPECT_EQ(to.host, "redis-0.example");
  EXPECT_FALSE(ParseRedirect("-MOVED 16384 h:1\r\n", &ask, &slot, &to));
  EXPECT_FALSE(ParseRedirect("-MOVED x h:1\r\n", &ask, &slot, &to));
  EXPECT_FALSE(ParseRedirect("-MOVED 1 h\r\n", &ask, &slot, &to));
  EXPECT_FALSE(ParseRedirect("-MOVED 1 h:0\r\n", &ask, &slot, &to));
  EXPECT_FALSE(ParseRedirect("-ERR MOVED 1 h:1\r\n", &ask, &slot, &to));
  EXPECT_FALSE(ParseRedirect("+MOVED\r\n", &ask, &slot, &to));
}

TEST(ClusterMap, MovedPatchesThePublishedMap) {
  ClusterMap map;
  map.owner.fill(map.AddNode({"127.0.0.1", 7000}));
  const uint64_t version = PublishClusterMap(map);
  EXPECT_EQ(ClusterMapVersion(), version);
  EXPECT_FALSE(NoteMoved(42, {"127.0.0.1", 7000}));  // says what the map says already
  EXPECT_EQ(ClusterMapVersion(), version);
  EXPECT_TRUE(NoteMoved(42, {"127.0.0.1", 7001}));
  EXPECT_GT(ClusterMapVersion(), version);
  const auto now = CurrentClusterMap();
  EXPECT_EQ(now->NodeOf(42)->ToString(), "127.0.0.1:7001");
  EXPECT_EQ(now->NodeOf(41)->ToString(), "127.0.0.1:7000");
  EXPECT_EQ(now->nodes.size(), 2u);
}

}  // namespace
}  // namespace respite::proxy
