// GetKeys' include_not_keys: the shard channels of SPUBLISH and SSUBSCRIBE, which cluster routing
// places by slot while COMMAND GETKEYS names none (its differential test covers the default).
#include "resp/key_specs.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace respite::resp {
namespace {

std::vector<size_t> Positions(std::vector<std::string_view> argv, bool include_not_keys,
                              GetKeysOutcome* outcome) {
  const CommandSpec* spec = CommandTable::Instance().Find(argv[0]);
  EXPECT_NE(spec, nullptr) << argv[0];
  std::vector<KeyRef> keys;
  *outcome = GetKeys(*spec, argv, &keys, include_not_keys);
  std::vector<size_t> positions;
  for (const KeyRef& k : keys) positions.push_back(k.pos);
  return positions;
}

TEST(GetKeys, ShardChannelsOnlyWhenNotKeysAreIncluded) {
  GetKeysOutcome outcome;
  EXPECT_TRUE(Positions({"spublish", "orders", "m"}, false, &outcome).empty());
  EXPECT_EQ(outcome, GetKeysOutcome::kNoKeys);
  EXPECT_EQ(Positions({"spublish", "orders", "m"}, true, &outcome), std::vector<size_t>{1});
  EXPECT_EQ(outcome, GetKeysOutcome::kKeys);
  EXPECT_EQ(Positions({"ssubscribe", "a", "b", "c"}, true, &outcome),
            (std::vector<size_t>{1, 2, 3}));
  EXPECT_EQ(Positions({"sunsubscribe", "a", "b"}, true, &outcome), (std::vector<size_t>{1, 2}));
  // Commands with keys are the same either way.
  EXPECT_EQ(Positions({"mset", "k1", "v", "k2", "v"}, true, &outcome), (std::vector<size_t>{1, 3}));
  EXPECT_EQ(Positions({"publish", "ch", "m"}, true, &outcome), std::vector<size_t>{});
}

}  // namespace
}  // namespace respite::resp
