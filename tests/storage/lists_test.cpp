// The list family through the real dispatcher, on RocksDB. The ListsRedis tests replay command
// sequences whose expected bytes are what redis-server 7.0.15 sent for them (RESP2 and RESP3);
// the Lists tests cover what a single Redis session cannot show: would-block, the journal, expiry,
// restarts and the position layout under long edit sequences.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <deque>
#include <initializer_list>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/keyspace.h"
#include "tests/storage/store_harness.h"

namespace respite::storage {
namespace {

using Journal = std::vector<std::vector<std::string>>;

struct Step {
  std::vector<std::string_view> argv;
  std::string reply;
};

// Runs the steps in order; {"#3"} switches the session to RESP3.
void Seq(StoreHarness& h, std::initializer_list<Step> steps) {
  for (const Step& step : steps) {
    if (step.argv.size() == 1 && step.argv[0] == "#3") {
      h.session.protocol = 3;
      continue;
    }
    std::string line;
    for (std::string_view a : step.argv) line.append(a).append(" ");
    EXPECT_EQ(h.Run(step.argv), step.reply) << line;
  }
}

// Gives `key` an absolute expiry, as PEXPIREAT would (the keys family owns that command).
void SetExpiry(StoreHarness& h, std::string_view key, int64_t at_ms) {
  MetaValue meta;
  ASSERT_TRUE(h.store->keyspace().Lookup(0, key, &meta).ok());
  ASSERT_NE(meta.type, Type::kNone);
  meta.expire_ms = at_ms;
  h.store->keyspace().PutMeta(0, key, meta, /*created=*/false);
  ASSERT_TRUE(h.store->engine().Commit().ok());
}

std::string Bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

std::string Array(const std::vector<std::string>& items) {
  std::string out = "*" + std::to_string(items.size()) + "\r\n";
  for (const std::string& s : items) out += "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
  return out;
}

TEST(Lists, BlockingCommandsWithNothingToPopWriteNothingAndAskToBlock) {
  StoreHarness h;
  for (std::vector<std::string_view> argv : std::vector<std::vector<std::string_view>>{
           {"blpop", "a", "b", "0"},
           {"brpop", "a", "1.5"},
           {"blmove", "a", "b", "left", "right", "0"},
           {"brpoplpush", "a", "b", "0"},
           {"blmpop", "0", "2", "a", "b", "left", "count", "3"},
           {"blpop", "a", "-0.0009"},  // rounds to 0: wait forever, as Redis
       }) {
    EXPECT_EQ(h.Run(argv), "") << argv[0];
    EXPECT_TRUE(h.store->last_would_block()) << argv[0];
    EXPECT_TRUE(h.store->last_journal().empty()) << argv[0];
  }
  // A destination of the wrong type does not matter while the source is missing (as Redis).
  EXPECT_EQ(h.Run({"set", "s", "v"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"blmove", "a", "s", "left", "left", "0"}), "");
  EXPECT_TRUE(h.store->last_would_block());
  // Once data arrives the same command answers as Redis' blocking form does.
  EXPECT_EQ(h.Run({"rpush", "b", "x", "y"}), ":2\r\n");
  EXPECT_FALSE(h.store->last_would_block());
  EXPECT_EQ(h.Run({"blpop", "a", "b", "0"}), "*2\r\n$1\r\nb\r\n$1\r\nx\r\n");
  EXPECT_FALSE(h.store->last_would_block());
  EXPECT_EQ(h.store->last_journal(), (Journal{{"LREM", "b", "1", "x"}}));
  h.session.protocol = 3;
  EXPECT_EQ(h.Run({"brpop", "b", "0"}), "*2\r\n$1\r\nb\r\n$1\r\ny\r\n");
  EXPECT_EQ(h.Run({"brpop", "b", "0"}), "");
  EXPECT_TRUE(h.store->last_would_block());
}

// A parked client run again finds its key holding another type: it keeps waiting (Redis serves a
// blocked client only from a list), while a first attempt answers WRONGTYPE.
TEST(Lists, WokenBlockingPopSkipsKeysOfAnotherType) {
  StoreHarness h;
  h.Run({"set", "s", "v"});
  const std::string wrongtype =
      "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
  EXPECT_EQ(h.Run({"blpop", "s", "0"}), wrongtype);
  h.session.woken = true;
  for (std::vector<std::string_view> argv : std::vector<std::vector<std::string_view>>{
           {"blpop", "s", "0"},
           {"blmpop", "0", "1", "s", "left"},
           {"brpoplpush", "s", "d", "0"},
       }) {
    EXPECT_EQ(h.Run(argv), "") << argv[0];
    EXPECT_TRUE(h.store->last_would_block()) << argv[0];
  }
  h.Run({"rpush", "l", "x"});
  EXPECT_EQ(h.Run({"blpop", "s", "l", "0"}), "*2\r\n$1\r\nl\r\n$1\r\nx\r\n");
  // The destination of the wrong type still fails the move, as in Redis.
  h.Run({"rpush", "l", "x"});
  EXPECT_EQ(h.Run({"brpoplpush", "l", "s", "0"}), wrongtype);
}

// Pops of a few items read them one by one, bigger ones with an iterator: both paths, both ends,
// across a commit (items in RocksDB) and within one batch (items still pending).
TEST(Lists, PopsOfAnyCountReturnItemsInOrderFromEitherEnd) {
  StoreHarness h;
  std::vector<std::string_view> push{"rpush", "l"};
  std::vector<std::string> items;
  for (int i = 1; i <= 20; ++i) items.push_back(std::to_string(i));
  for (const std::string& item : items) push.push_back(item);
  EXPECT_EQ(h.Run(push), ":20\r\n");
  EXPECT_EQ(h.Run({"lpop", "l", "4"}), Array({"1", "2", "3", "4"}));
  EXPECT_EQ(h.Run({"rpop", "l", "5"}), Array({"20", "19", "18", "17", "16"}));
  EXPECT_EQ(h.Run({"lpop", "l"}), "$1\r\n5\r\n");
  h.store->BeginGroup();
  EXPECT_EQ(h.Run({"lpush", "l", "x"}), ":11\r\n");
  EXPECT_EQ(h.Run({"rpop", "l", "3"}), Array({"15", "14", "13"}));
  EXPECT_EQ(h.Run({"lpop", "l", "2"}), Array({"x", "6"}));
  ASSERT_TRUE(h.store->EndGroup().ok());
  EXPECT_EQ(h.Run({"lpop", "l", "10"}), Array({"7", "8", "9", "10", "11", "12"}));
  EXPECT_EQ(h.Run({"exists", "l"}), ":0\r\n");
}

TEST(Lists, PopsAreJournaledAsRemovalOfWhatTheyReturned) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"rpush", "l", "a", "b", "c", "d", "e"}), ":5\r\n");
  EXPECT_EQ(h.store->last_journal(), (Journal{{"rpush", "l", "a", "b", "c", "d", "e"}}));
  EXPECT_EQ(h.Run({"lpop", "l"}), "$1\r\na\r\n");
  EXPECT_EQ(h.store->last_journal(), (Journal{{"LREM", "l", "1", "a"}}));
  EXPECT_EQ(h.Run({"rpop", "l", "2"}), Array({"e", "d"}));
  EXPECT_EQ(h.store->last_journal(), (Journal{{"LREM", "l", "-1", "e"}, {"LREM", "l", "-1", "d"}}));
  EXPECT_EQ(h.Run({"lmove", "l", "m", "left", "right"}), "$1\r\nb\r\n");
  EXPECT_EQ(h.store->last_journal(), (Journal{{"LREM", "l", "1", "b"}, {"RPUSH", "m", "b"}}));
  EXPECT_EQ(h.Run({"rpoplpush", "l", "m"}), "$1\r\nc\r\n");
  EXPECT_EQ(h.store->last_journal(), (Journal{{"LREM", "l", "-1", "c"}, {"LPUSH", "m", "c"}}));
  EXPECT_EQ(h.Run({"lmpop", "1", "m", "right", "count", "5"}),
            "*2\r\n$1\r\nm\r\n" + Array({"b", "c"}));
  EXPECT_EQ(h.store->last_journal(), (Journal{{"LREM", "m", "-1", "b"}, {"LREM", "m", "-1", "c"}}));
  // Writes that change nothing record nothing.
  for (std::vector<std::string_view> argv : std::vector<std::vector<std::string_view>>{
           {"lpop", "l"},
           {"lpop", "m", "0"},
           {"lpushx", "l", "a"},
           {"lrem", "l", "0", "a"},
           {"ltrim", "l", "0", "-1"},
           {"linsert", "l", "before", "a", "b"},
           {"lmove", "l", "m", "left", "left"},
           {"lset", "l", "0", "x"},
       }) {
    h.Run(argv);
    EXPECT_TRUE(h.store->last_journal().empty()) << argv[0];
  }
  EXPECT_EQ(h.Run({"rpush", "l", "a", "b", "a"}), ":3\r\n");
  EXPECT_EQ(h.Run({"lrem", "l", "0", "a"}), ":2\r\n");
  EXPECT_EQ(h.store->last_journal(), (Journal{{"lrem", "l", "0", "a"}}));
  EXPECT_EQ(h.Run({"lrem", "l", "0", "a"}), ":0\r\n");
  EXPECT_TRUE(h.store->last_journal().empty());
}

TEST(Lists, ExpiredListIsGoneAndPushesStartAFreshOne) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"rpush", "l", "a", "b", "c"}), ":3\r\n");
  SetExpiry(h, "l", h.clock.NowMs() + 1000);
  EXPECT_EQ(h.Run({"llen", "l"}), ":3\r\n");
  h.clock.Advance(1000);
  EXPECT_EQ(h.Run({"llen", "l"}), ":0\r\n");
  EXPECT_EQ(h.Run({"lpop", "l"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"lpushx", "l", "x"}), ":0\r\n");
  EXPECT_EQ(h.Run({"rpush", "l", "x"}), ":1\r\n");
  EXPECT_EQ(h.Run({"lrange", "l", "0", "-1"}), Array({"x"}));
  EXPECT_EQ(h.Run({"ttl", "l"}), ":-1\r\n");
}

TEST(Lists, SurvivesReopen) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"rpush", "l", "a", "b", "c", "d"}), ":4\r\n");
  EXPECT_EQ(h.Run({"linsert", "l", "after", "a", "x"}), ":5\r\n");
  EXPECT_EQ(h.Run({"linsert", "l", "before", "d", "y"}), ":6\r\n");
  EXPECT_EQ(h.Run({"lrem", "l", "1", "b"}), ":1\r\n");
  h.Reopen();
  EXPECT_EQ(h.Run({"lrange", "l", "0", "-1"}), Array({"a", "x", "c", "y", "d"}));
  EXPECT_EQ(h.Run({"lindex", "l", "3"}), "$1\r\ny\r\n");
  EXPECT_EQ(h.Run({"llen", "l"}), ":5\r\n");
}

// Long random edit sequences against a std::deque model: positions stay contiguous whichever side
// LINSERT and LREM shift, and every read agrees with the model.
TEST(Lists, RandomEditsMatchAModel) {
  StoreHarness h;
  std::mt19937 rng(7);
  std::deque<std::string> model;
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::string values[] = {"a", "b", "c", "d"};
  for (int step = 0; step < 1500; ++step) {
    const std::string v = values[pick(4)];
    switch (pick(8)) {
      case 0:
      case 1: {
        const bool left = pick(2) == 0;
        h.Run({left ? "lpush" : "rpush", "l", v});
        if (left) {
          model.push_front(v);
        } else {
          model.push_back(v);
        }
        break;
      }
      case 2: {
        const bool before = pick(2) == 0;
        const std::string added = "n" + std::to_string(step);
        const std::string reply = h.Run({"linsert", "l", before ? "before" : "after", v, added});
        auto it = std::find(model.begin(), model.end(), v);
        if (model.empty()) {
          ASSERT_EQ(reply, ":0\r\n");
        } else if (it == model.end()) {
          ASSERT_EQ(reply, ":-1\r\n");
        } else {
          model.insert(before ? it : it + 1, added);
          ASSERT_EQ(reply, ":" + std::to_string(model.size()) + "\r\n");
        }
        break;
      }
      case 3: {
        const int count = pick(5) - 2;
        int removed = 0;
        if (count >= 0) {
          for (auto it = model.begin(); it != model.end() && (count == 0 || removed < count);) {
            if (*it == v) {
              it = model.erase(it);
              ++removed;
            } else {
              ++it;
            }
          }
        } else {
          for (size_t i = model.size(); i-- > 0 && removed < -count;) {
            if (model[i] == v) {
              model.erase(model.begin() + static_cast<std::ptrdiff_t>(i));
              ++removed;
            }
          }
        }
        ASSERT_EQ(h.Run({"lrem", "l", std::to_string(count), v}),
                  ":" + std::to_string(removed) + "\r\n");
        break;
      }
      case 4:
        if (!model.empty()) {
          const bool left = pick(2) == 0;
          ASSERT_EQ(h.Run({left ? "lpop" : "rpop", "l"}),
                    Bulk(left ? model.front() : model.back()));
          if (left) {
            model.pop_front();
          } else {
            model.pop_back();
          }
        }
        break;
      case 5:
        if (!model.empty()) {
          const size_t i = static_cast<size_t>(pick(static_cast<int>(model.size())));
          ASSERT_EQ(h.Run({"lindex", "l", std::to_string(i)}),
                    "$" + std::to_string(model[i].size()) + "\r\n" + model[i] + "\r\n");
        }
        break;
      default: {
        std::vector<std::string> all(model.begin(), model.end());
        ASSERT_EQ(h.Run({"lrange", "l", "0", "-1"}), Array(all)) << "step " << step;
        break;
      }
    }
  }
}

TEST(ListsRedis, PushPopLenRange) {
  StoreHarness h;
  Seq(h, {
             {{"lpush", "l", "a", "b"}, ":2\r\n"},
             {{"rpush", "l", "c", "d"}, ":4\r\n"},
             {{"lrange", "l", "0", "-1"}, "*4\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nc\r\n$1\r\nd\r\n"},
             {{"llen", "l"}, ":4\r\n"},
             {{"lpushx", "l", "x"}, ":5\r\n"},
             {{"rpushx", "l", "y", "z"}, ":7\r\n"},
             {{"lpushx", "nokey", "a"}, ":0\r\n"},
             {{"rpushx", "nokey", "a", "b"}, ":0\r\n"},
             {{"exists", "nokey"}, ":0\r\n"},
             {{"lpop", "l"}, "$1\r\nx\r\n"},
             {{"rpop", "l"}, "$1\r\nz\r\n"},
             {{"lrange", "l", "0", "-1"},
              "*5\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ny\r\n"},
             {{"lrange", "l", "-2", "-1"}, "*2\r\n$1\r\nd\r\n$1\r\ny\r\n"},
             {{"lrange", "l", "-100", "100"},
              "*5\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ny\r\n"},
             {{"lrange", "l", "2", "1"}, "*0\r\n"},
             {{"lrange", "l", "10", "20"}, "*0\r\n"},
             {{"lrange", "l", "x", "1"}, "-ERR value is not an integer or out of range\r\n"},
             {{"lrange", "l", "0", "y"}, "-ERR value is not an integer or out of range\r\n"},
             {{"lrange", "nokey", "0", "-1"}, "*0\r\n"},
             {{"llen", "nokey"}, ":0\r\n"},
         });
}

TEST(ListsRedis, PopWithCount) {
  StoreHarness h;
  Seq(h, {
             {{"rpush", "l", "a", "b", "c", "d", "e"}, ":5\r\n"},
             {{"lpop", "l", "0"}, "*0\r\n"},
             {{"lpop", "l", "2"}, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
             {{"rpop", "l", "2"}, "*2\r\n$1\r\ne\r\n$1\r\nd\r\n"},
             {{"lpop", "l", "5"}, "*1\r\n$1\r\nc\r\n"},
             {{"exists", "l"}, ":0\r\n"},
             {{"lpop", "l"}, "$-1\r\n"},
             {{"lpop", "l", "1"}, "*-1\r\n"},
             {{"lpop", "l", "0"}, "*-1\r\n"},
             {{"rpush", "l", "a"}, ":1\r\n"},
             {{"lpop", "l", "-1"}, "-ERR value is out of range, must be positive\r\n"},
             {{"lpop", "l", "x"}, "-ERR value is out of range, must be positive\r\n"},
             {{"lpop", "l", "99999999999999999999"},
              "-ERR value is out of range, must be positive\r\n"},
             {{"rpop", "l", "-0"}, "-ERR value is out of range, must be positive\r\n"},
             {{"lpop", "l", "1", "2"}, "-ERR wrong number of arguments for 'lpop' command\r\n"},
             {{"rpop", "l", "1", "2"}, "-ERR wrong number of arguments for 'rpop' command\r\n"},
         });
}

TEST(ListsRedis, PopWithCountResp3) {
  StoreHarness h;
  Seq(h, {
             {{"#3"}, ""},
             {{"rpush", "l", "a", "b", "c"}, ":3\r\n"},
             {{"lpop", "l", "0"}, "*0\r\n"},
             {{"lpop", "l", "2"}, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
             {{"rpop", "l"}, "$1\r\nc\r\n"},
             {{"lpop", "nokey", "2"}, "_\r\n"},
             {{"lpop", "nokey"}, "_\r\n"},
             {{"lpop", "l"}, "_\r\n"},
             {{"exists", "l"}, ":0\r\n"},
         });
}

TEST(ListsRedis, IndexAndSet) {
  StoreHarness h;
  Seq(h, {
             {{"rpush", "l", "a", "b", "c"}, ":3\r\n"},
             {{"lindex", "l", "0"}, "$1\r\na\r\n"},
             {{"lindex", "l", "-1"}, "$1\r\nc\r\n"},
             {{"lindex", "l", "3"}, "$-1\r\n"},
             {{"lindex", "l", "-4"}, "$-1\r\n"},
             {{"lindex", "l", "x"}, "-ERR value is not an integer or out of range\r\n"},
             {{"lindex", "nokey", "x"}, "$-1\r\n"},
             {{"lindex", "nokey", "0"}, "$-1\r\n"},
             {{"lset", "l", "1", "B"}, "+OK\r\n"},
             {{"lset", "l", "-1", "C"}, "+OK\r\n"},
             {{"lset", "l", "3", "v"}, "-ERR index out of range\r\n"},
             {{"lset", "l", "-4", "v"}, "-ERR index out of range\r\n"},
             {{"lset", "l", "x", "v"}, "-ERR value is not an integer or out of range\r\n"},
             {{"lset", "nokey", "0", "v"}, "-ERR no such key\r\n"},
             {{"lset", "nokey", "x", "v"}, "-ERR no such key\r\n"},
             {{"lrange", "l", "0", "-1"}, "*3\r\n$1\r\na\r\n$1\r\nB\r\n$1\r\nC\r\n"},
         });
}

TEST(ListsRedis, InsertShiftsEitherSide) {
  StoreHarness h;
  Seq(h, {
             {{"rpush", "l", "a", "b", "c", "d", "e", "f", "g", "h"}, ":8\r\n"},
             {{"linsert", "l", "before", "b", "X"}, ":9\r\n"},
             {{"linsert", "l", "after", "g", "Y"}, ":10\r\n"},
             {{"linsert", "l", "BEFORE", "a", "first"}, ":11\r\n"},
             {{"linsert", "l", "AFTER", "h", "last"}, ":12\r\n"},
             {{"linsert", "l", "after", "d", "mid"}, ":13\r\n"},
             {{"lrange", "l", "0", "-1"},
              "*13\r\n$5\r\nfirst\r\n$1\r\na\r\n$1\r\nX\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$"
              "3\r\nmid\r\n$1\r\ne\r\n$1\r\nf\r\n$1\r\ng\r\n$1\r\nY\r\n$1\r\nh\r\n$4\r\nlast\r\n"},
             {{"lindex", "l", "0"}, "$5\r\nfirst\r\n"},
             {{"lindex", "l", "5"}, "$1\r\nd\r\n"},
             {{"lindex", "l", "-1"}, "$4\r\nlast\r\n"},
             {{"llen", "l"}, ":13\r\n"},
             {{"linsert", "l", "before", "nope", "v"}, ":-1\r\n"},
             {{"linsert", "nokey", "before", "a", "v"}, ":0\r\n"},
             {{"linsert", "l", "middle", "a", "v"}, "-ERR syntax error\r\n"},
             {{"linsert", "nokey", "middle", "a", "v"}, "-ERR syntax error\r\n"},
         });
}

TEST(ListsRedis, RemFromBothEnds) {
  StoreHarness h;
  Seq(h,
      {
          {{"rpush", "l", "a", "b", "a", "c", "a", "d", "a", "e", "a"}, ":9\r\n"},
          {{"lrem", "l", "2", "a"}, ":2\r\n"},
          {{"lrange", "l", "0", "-1"},
           "*7\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nd\r\n$1\r\na\r\n$1\r\ne\r\n$1\r\na\r\n"},
          {{"lrem", "l", "-1", "a"}, ":1\r\n"},
          {{"lrange", "l", "0", "-1"},
           "*6\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nd\r\n$1\r\na\r\n$1\r\ne\r\n"},
          {{"lrem", "l", "0", "a"}, ":2\r\n"},
          {{"lrange", "l", "0", "-1"}, "*4\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"},
          {{"lrem", "l", "0", "nope"}, ":0\r\n"},
          {{"lrem", "l", "x", "a"}, "-ERR value is not an integer or out of range\r\n"},
          {{"lrem", "nokey", "1", "a"}, ":0\r\n"},
          {{"lrem", "nokey", "x", "a"}, "-ERR value is not an integer or out of range\r\n"},
          {{"rpush", "r", "x", "y", "y", "y", "y", "y", "y", "y", "y", "z"}, ":10\r\n"},
          {{"lrem", "r", "1", "y"}, ":1\r\n"},
          {{"lrem", "r", "-1", "y"}, ":1\r\n"},
          {{"lrange", "r", "0", "-1"},
           "*8\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\ny\r\n$1\r\ny\r\n$1\r\ny\r\n$1\r\ny\r\n$1\r\ny\r\n$"
           "1\r\nz\r\n"},
          {{"lindex", "r", "1"}, "$1\r\ny\r\n"},
          {{"lindex", "r", "-2"}, "$1\r\ny\r\n"},
          {{"rpush", "r", "x"}, ":9\r\n"},
          {{"lrem", "r", "0", "x"}, ":2\r\n"},
          {{"lrange", "r", "0", "-1"},
           "*7\r\n$1\r\ny\r\n$1\r\ny\r\n$1\r\ny\r\n$1\r\ny\r\n$1\r\ny\r\n$1\r\ny\r\n$1\r\nz\r\n"},
          {{"lrem", "r", "0", "y"}, ":6\r\n"},
          {{"lrem", "r", "0", "z"}, ":1\r\n"},
          {{"exists", "r"}, ":0\r\n"},
      });
}

TEST(ListsRedis, Trim) {
  StoreHarness h;
  Seq(h, {
             {{"rpush", "l", "1", "2", "3", "4", "5", "6"}, ":6\r\n"},
             {{"ltrim", "l", "1", "-2"}, "+OK\r\n"},
             {{"lrange", "l", "0", "-1"}, "*4\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n"},
             {{"ltrim", "l", "-100", "100"}, "+OK\r\n"},
             {{"lrange", "l", "0", "-1"}, "*4\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n"},
             {{"ltrim", "l", "0", "0"}, "+OK\r\n"},
             {{"lrange", "l", "0", "-1"}, "*1\r\n$1\r\n2\r\n"},
             {{"ltrim", "l", "1", "0"}, "+OK\r\n"},
             {{"exists", "l"}, ":0\r\n"},
             {{"ltrim", "nokey", "0", "1"}, "+OK\r\n"},
             {{"ltrim", "l", "x", "1"}, "-ERR value is not an integer or out of range\r\n"},
             {{"ltrim", "l", "0", "y"}, "-ERR value is not an integer or out of range\r\n"},
             {{"rpush", "t", "a", "b", "c"}, ":3\r\n"},
             {{"ltrim", "t", "5", "10"}, "+OK\r\n"},
             {{"exists", "t"}, ":0\r\n"},
             {{"rpush", "t", "a", "b", "c"}, ":3\r\n"},
             {{"ltrim", "t", "-1", "-1"}, "+OK\r\n"},
             {{"lrange", "t", "0", "-1"}, "*1\r\n$1\r\nc\r\n"},
         });
}

TEST(ListsRedis, Lpos) {
  StoreHarness h;
  Seq(h, {
             {{"rpush", "l", "a", "b", "c", "a", "b", "c", "a"}, ":7\r\n"},
             {{"lpos", "l", "a"}, ":0\r\n"},
             {{"lpos", "l", "a", "rank", "2"}, ":3\r\n"},
             {{"lpos", "l", "a", "rank", "-1"}, ":6\r\n"},
             {{"lpos", "l", "a", "rank", "-2", "count", "0"}, "*2\r\n:3\r\n:0\r\n"},
             {{"lpos", "l", "a", "count", "2", "rank", "2"}, "*2\r\n:3\r\n:6\r\n"},
             {{"lpos", "l", "a", "count", "-1"}, "-ERR COUNT can't be negative\r\n"},
             {{"lpos", "l", "a", "maxlen", "-1"}, "-ERR MAXLEN can't be negative\r\n"},
             {{"lpos", "l", "a", "rank", "-9223372036854775808"}, ":6\r\n"},
             {{"lpos", "l", "a", "rank", "-9223372036854775808", "count", "2"},
              "*3\r\n:6\r\n:3\r\n:0\r\n"},
             {{"lpos", "l", "a", "rank", "x"}, "-ERR value is not an integer or out of range\r\n"},
             {{"lpos", "l", "a", "count", "x"}, "-ERR COUNT can't be negative\r\n"},
             {{"lpos", "l", "a", "maxlen", "x"}, "-ERR MAXLEN can't be negative\r\n"},
             {{"lpos", "l", "a", "foo"}, "-ERR syntax error\r\n"},
             {{"lpos", "l", "a", "rank"}, "-ERR syntax error\r\n"},
             {{"lpos", "l", "a", "rank", "0"},
              "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
              "or use negative to start from the end of the list\r\n"},
             {{"lpos", "l", "a", "count", "0", "maxlen", "4"}, "*2\r\n:0\r\n:3\r\n"},
             {{"lpos", "l", "a", "rank", "-1", "maxlen", "1"}, ":6\r\n"},
             {{"lpos", "l", "z", "count", "3"}, "*0\r\n"},
             {{"lpos", "l", "z"}, "$-1\r\n"},
             {{"lpos", "l", "a", "count", "0", "count", "1"}, "*1\r\n:0\r\n"},
             {{"lpos", "l", "a", "RANK", "1", "rank", "-3"}, ":0\r\n"},
             {{"lpos", "l", "a", "rank", "9"}, "$-1\r\n"},
             {{"lpos", "l", "a", "rank", "9", "count", "1"}, "*0\r\n"},
             {{"lpos", "l", "a", "maxlen", "0", "count", "0"}, "*3\r\n:0\r\n:3\r\n:6\r\n"},
             {{"lpos", "nokey", "a", "count", "0"}, "*0\r\n"},
             {{"lpos", "nokey", "a"}, "$-1\r\n"},
             {{"lpos", "nokey", "a", "rank", "0"},
              "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
              "or use negative to start from the end of the list\r\n"},
         });
}

TEST(ListsRedis, Move) {
  StoreHarness h;
  Seq(h, {
             {{"rpush", "l", "a", "b", "c"}, ":3\r\n"},
             {{"lmove", "l", "l", "left", "right"}, "$1\r\na\r\n"},
             {{"lrange", "l", "0", "-1"}, "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n"},
             {{"lmove", "l", "d", "right", "left"}, "$1\r\na\r\n"},
             {{"lmove", "l", "d", "LEFT", "RIGHT"}, "$1\r\nb\r\n"},
             {{"lrange", "l", "0", "-1"}, "*1\r\n$1\r\nc\r\n"},
             {{"lrange", "d", "0", "-1"}, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
             {{"rpoplpush", "l", "d"}, "$1\r\nc\r\n"},
             {{"exists", "l"}, ":0\r\n"},
             {{"lrange", "d", "0", "-1"}, "*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n"},
             {{"lmove", "l", "d", "up", "right"}, "-ERR syntax error\r\n"},
             {{"lmove", "nokey", "d", "left", "left"}, "$-1\r\n"},
             {{"rpoplpush", "nokey", "d"}, "$-1\r\n"},
             {{"set", "s", "v"}, "+OK\r\n"},
             {{"lmove", "s", "d", "left", "left"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"lmove", "d", "s", "left", "left"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"rpoplpush", "d", "s"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"lmove", "nokey", "s", "left", "left"}, "$-1\r\n"},
             {{"lmove", "d", "d", "RIGHT", "LEFT"}, "$1\r\nb\r\n"},
             {{"lrange", "d", "0", "-1"}, "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n"},
         });
}

TEST(ListsRedis, MultiPop) {
  StoreHarness h;
  Seq(h, {
             {{"lmpop", "0", "a", "left"}, "-ERR numkeys should be greater than 0\r\n"},
             {{"lmpop", "x", "a", "left"}, "-ERR numkeys should be greater than 0\r\n"},
             {{"lmpop", "-1", "a", "left"}, "-ERR numkeys should be greater than 0\r\n"},
             {{"lmpop", "2", "a", "left"}, "-ERR syntax error\r\n"},
             {{"lmpop", "1", "a", "middle"}, "-ERR syntax error\r\n"},
             {{"lmpop", "1", "a", "left", "count", "0"}, "-ERR count should be greater than 0\r\n"},
             {{"lmpop", "1", "a", "left", "count", "x"}, "-ERR count should be greater than 0\r\n"},
             {{"lmpop", "1", "a", "left", "count"}, "-ERR syntax error\r\n"},
             {{"lmpop", "1", "a", "left", "foo", "1"}, "-ERR syntax error\r\n"},
             {{"lmpop", "1", "a", "left", "count", "1", "count", "2"}, "-ERR syntax error\r\n"},
             {{"lmpop", "1", "a"}, "-ERR wrong number of arguments for 'lmpop' command\r\n"},
             {{"lmpop", "9999999999", "a", "left"}, "-ERR syntax error\r\n"},
             {{"rpush", "b", "1", "2", "3"}, ":3\r\n"},
             {{"lmpop", "2", "a", "b", "left"}, "*2\r\n$1\r\nb\r\n*1\r\n$1\r\n1\r\n"},
             {{"lmpop", "2", "a", "b", "right", "count", "5"},
              "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"},
             {{"exists", "b"}, ":0\r\n"},
             {{"lmpop", "2", "a", "b", "left"}, "*-1\r\n"},
             {{"set", "s", "v"}, "+OK\r\n"},
             {{"lmpop", "2", "s", "b", "left"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"rpush", "c", "1"}, ":1\r\n"},
             {{"lmpop", "2", "c", "s", "left"}, "*2\r\n$1\r\nc\r\n*1\r\n$1\r\n1\r\n"},
         });
}

TEST(ListsRedis, MultiPopResp3) {
  StoreHarness h;
  Seq(h, {
             {{"#3"}, ""},
             {{"rpush", "l", "a", "b", "c"}, ":3\r\n"},
             {{"lmpop", "1", "l", "right", "count", "2"},
              "*2\r\n$1\r\nl\r\n*2\r\n$1\r\nc\r\n$1\r\nb\r\n"},
             {{"lmpop", "1", "nokey", "left"}, "_\r\n"},
             {{"blmpop", "0", "1", "l", "left"}, "*2\r\n$1\r\nl\r\n*1\r\n$1\r\na\r\n"},
         });
}

TEST(ListsRedis, BlockingWithData) {
  StoreHarness h;
  Seq(h, {
             {{"rpush", "a", "1", "2", "3"}, ":3\r\n"},
             {{"blpop", "nokey", "a", "0"}, "*2\r\n$1\r\na\r\n$1\r\n1\r\n"},
             {{"brpop", "nokey", "a", "0.5"}, "*2\r\n$1\r\na\r\n$1\r\n3\r\n"},
             {{"rpush", "b", "x"}, ":1\r\n"},
             {{"blmove", "a", "b", "left", "right", "0"}, "$1\r\n2\r\n"},
             {{"brpoplpush", "b", "a", "1"}, "$1\r\n2\r\n"},
             {{"lrange", "a", "0", "-1"}, "*1\r\n$1\r\n2\r\n"},
             {{"lrange", "b", "0", "-1"}, "*1\r\n$1\r\nx\r\n"},
             {{"rpush", "c", "1", "2", "3"}, ":3\r\n"},
             {{"blmpop", "0", "2", "nokey", "c", "right", "count", "2"},
              "*2\r\n$1\r\nc\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"},
             {{"set", "s", "v"}, "+OK\r\n"},
             {{"blpop", "s", "a", "0"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"blpop", "a", "s", "0"}, "*2\r\n$1\r\na\r\n$1\r\n2\r\n"},
             {{"brpoplpush", "s", "a", "0"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"rpush", "a", "9"}, ":1\r\n"},
             {{"blmove", "a", "s", "left", "left", "0"},
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
             {{"lrange", "a", "0", "-1"}, "*1\r\n$1\r\n9\r\n"},
         });
}

TEST(ListsRedis, BlockingArgumentErrors) {
  StoreHarness h;
  Seq(h, {
             {{"blpop", "a", "x"}, "-ERR timeout is not a float or out of range\r\n"},
             {{"blpop", "a", "-1"}, "-ERR timeout is negative\r\n"},
             {{"blpop", "a", "1e30"}, "-ERR timeout is negative\r\n"},
             {{"blpop", "a", "inf"}, "-ERR timeout is negative\r\n"},
             {{"blpop", "a", "nan"}, "-ERR timeout is not a float or out of range\r\n"},
             {{"blpop", "a", " 1"}, "-ERR timeout is not a float or out of range\r\n"},
             {{"blpop", "a", ""}, "-ERR timeout is not a float or out of range\r\n"},
             {{"blpop", "a", "-inf"}, "-ERR timeout is negative\r\n"},
             {{"blpop", "a", "9223372036854776"}, "-ERR timeout is negative\r\n"},
             {{"brpop", "a", "x"}, "-ERR timeout is not a float or out of range\r\n"},
             {{"blmove", "a", "b", "up", "left", "x"}, "-ERR syntax error\r\n"},
             {{"blmove", "a", "b", "left", "left", "x"},
              "-ERR timeout is not a float or out of range\r\n"},
             {{"brpoplpush", "a", "b", "x"}, "-ERR timeout is not a float or out of range\r\n"},
             {{"blmpop", "0", "0", "a", "left"}, "-ERR numkeys should be greater than 0\r\n"},
             {{"blmpop", "x", "1", "a", "left"}, "-ERR timeout is not a float or out of range\r\n"},
             {{"blmpop", "-1", "1", "a", "left"}, "-ERR timeout is negative\r\n"},
             {{"blmpop", "0", "1", "a", "middle"}, "-ERR syntax error\r\n"},
             {{"blmpop", "x", "0", "a", "left"}, "-ERR numkeys should be greater than 0\r\n"},
             {{"blmpop", "x", "1", "a", "middle"}, "-ERR syntax error\r\n"},
             {{"blmpop", "x", "1", "a", "left", "count", "0"},
              "-ERR count should be greater than 0\r\n"},
         });
}

TEST(ListsRedis, BlockingInsideMulti) {
  StoreHarness h;
  Seq(h,
      {
          {{"multi"}, "+OK\r\n"},
          {{"blpop", "nokey", "0"}, "+QUEUED\r\n"},
          {{"brpop", "nokey", "0"}, "+QUEUED\r\n"},
          {{"blmove", "nokey", "l", "left", "left", "0"}, "+QUEUED\r\n"},
          {{"brpoplpush", "nokey", "l", "0"}, "+QUEUED\r\n"},
          {{"blmpop", "0", "1", "nokey", "left"}, "+QUEUED\r\n"},
          {{"rpush", "q", "x"}, "+QUEUED\r\n"},
          {{"blpop", "q", "0"}, "+QUEUED\r\n"},
          {{"exec"}, "*7\r\n*-1\r\n*-1\r\n$-1\r\n$-1\r\n*-1\r\n:1\r\n*2\r\n$1\r\nq\r\n$1\r\nx\r\n"},
      });
}

TEST(ListsRedis, BlockingInsideMultiResp3) {
  StoreHarness h;
  Seq(h, {
             {{"#3"}, ""},
             {{"multi"}, "+OK\r\n"},
             {{"blpop", "nokey", "0"}, "+QUEUED\r\n"},
             {{"blmove", "nokey", "l", "left", "left", "0"}, "+QUEUED\r\n"},
             {{"exec"}, "*2\r\n_\r\n_\r\n"},
         });
}

TEST(ListsRedis, WrongType) {
  StoreHarness h;
  Seq(h,
      {
          {{"set", "s", "v"}, "+OK\r\n"},
          {{"lpush", "s", "a"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"rpush", "s", "a"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"lpushx", "s", "a"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"rpushx", "s", "a"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"lpop", "s"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"rpop", "s", "0"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"lpop", "s", "x"}, "-ERR value is out of range, must be positive\r\n"},
          {{"llen", "s"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"lrange", "s", "0", "1"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"lrange", "s", "x", "1"}, "-ERR value is not an integer or out of range\r\n"},
          {{"lindex", "s", "0"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"lindex", "s", "x"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"lset", "s", "0", "v"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"lset", "s", "x", "v"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"lrem", "s", "1", "a"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"lrem", "s", "x", "a"}, "-ERR value is not an integer or out of range\r\n"},
          {{"ltrim", "s", "0", "1"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"ltrim", "s", "x", "1"}, "-ERR value is not an integer or out of range\r\n"},
          {{"linsert", "s", "before", "a", "b"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"linsert", "s", "middle", "a", "b"}, "-ERR syntax error\r\n"},
          {{"lpos", "s", "a"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
          {{"lpos", "s", "a", "rank", "0"},
           "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or "
           "use negative to start from the end of the list\r\n"},
          {{"lmpop", "1", "s", "left"},
           "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
      });
}

}  // namespace
}  // namespace respite::storage
