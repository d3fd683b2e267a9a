// GroupSlot: the slot a journal group replays in (cluster_replayer.h). Redis Cluster runs a
// transaction only when its keys share a slot, so a group over several slots cannot replay.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/cluster/cluster_replayer.h"
#include "resp/key_slot.h"
#include "storage/journal.h"

namespace respite::proxy {
namespace {

using storage::JournalEntry;

JournalEntry Entry(std::vector<std::string> argv) {
  JournalEntry e;
  e.argv = std::move(argv);
  return e;
}

TEST(GroupSlot, KeysOfOneSlotGiveThatSlot) {
  const std::vector<JournalEntry> one = {Entry({"SET", "foo", "1"})};
  EXPECT_EQ(GroupSlot(one, 0, 1), resp::KeySlot("foo"));
  // A transaction over hash-tagged keys, and a keyless entry in it, stays in the tag's slot.
  const std::vector<JournalEntry> tx = {Entry({"INCRBY", "{user1}:a", "2"}),
                                        Entry({"FUNCTION", "FLUSH"}),
                                        Entry({"LREM", "{user1}:list", "1", "x"})};
  EXPECT_EQ(GroupSlot(tx, 0, 3), resp::KeySlot("user1"));
  // Subcommands find their keys too.
  const std::vector<JournalEntry> xgroup = {Entry({"XGROUP", "CREATE", "{s}stream", "g", "0"})};
  EXPECT_EQ(GroupSlot(xgroup, 0, 1), resp::KeySlot("s"));
}

TEST(GroupSlot, KeylessGroupsReplayInSlotZeroAndMixedSlotsCannot) {
  const std::vector<JournalEntry> keyless = {Entry({"FUNCTION", "FLUSH"})};
  EXPECT_EQ(GroupSlot(keyless, 0, 1), 0);
  const std::vector<JournalEntry> mixed = {Entry({"SET", "foo", "1"}), Entry({"SET", "bar", "1"})};
  ASSERT_NE(resp::KeySlot("foo"), resp::KeySlot("bar"));
  EXPECT_EQ(GroupSlot(mixed, 0, 2), -1);
  EXPECT_EQ(GroupSlot(mixed, 1, 2), resp::KeySlot("bar"));  // a range of the entries
  const std::vector<JournalEntry> cross = {Entry({"MSET", "foo", "1", "bar", "2"})};
  EXPECT_EQ(GroupSlot(cross, 0, 1), -1);
}

}  // namespace
}  // namespace respite::proxy
