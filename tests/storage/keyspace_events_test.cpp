// Keyspace notifications, differential: the seeded command streams of differential_test.cpp go to
// a real redis-server with a subscriber on every keyspace and keyevent channel, and to a
// LocalStore whose broker records what it publishes; after every command the two lists of
// (channel, message) must be identical, in order. notify-keyspace-events is "KEg$lshzn" on both
// (every class but expired and evicted: Redis' active expiry publishes "expired" at its own pace).
// SPOP and lex ranges are left out (their effects are unspecified, the sides would diverge).
//
// Reproduce a failure with the line it prints, e.g.
//   RESPITE_DIFF_FAMILY=lists RESPITE_DIFF_SEED=2 storage_tests --gtest_filter='KeyspaceEvents*'

#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/storage/differential/generator.h"
#include "tests/storage/differential/normalize.h"
#include "tests/storage/differential/sides.h"
#include "tests/support/redis_server.h"

namespace respite::storage::diff {
namespace {

using Message = std::pair<std::string, std::string>;  // channel, message

// Records what the local store publishes; nobody subscribes.
class RecordingBroker final : public PubSubBroker {
 public:
  int64_t Publish(std::string_view channel, std::string_view message, bool, bool) override {
    published.emplace_back(std::string(channel), std::string(message));
    return 0;
  }
  std::vector<std::string> Channels(std::optional<std::string_view>, bool) const override {
    return {};
  }
  int64_t NumSub(std::string_view, bool) const override { return 0; }
  int64_t NumPat() const override { return 0; }
  std::vector<Message> published;
};

constexpr char kMarker[] = "__keymarker__";

// A redis connection subscribed to every notification channel and to the marker.
class Subscriber {
 public:
  explicit Subscriber(uint16_t port) : conn_(port) {}
  bool Start() {
    auto r = conn_.Command({"PSUBSCRIBE", "__key*"});
    return r && r->type == '*';
  }
  // Messages up to the marker numbered `n` (published right after the command).
  std::optional<std::vector<Message>> Until(long long n) {
    std::vector<Message> got;
    while (true) {
      auto m = conn_.ReadResp3(std::chrono::seconds(5));
      if (!m || m->elems.size() != 4) return std::nullopt;
      if (m->elems[2].str == kMarker) {
        if (m->elems[3].str == std::to_string(n)) return got;
        continue;
      }
      got.emplace_back(m->elems[2].str, m->elems[3].str);
    }
  }

 private:
  test::RawConnection conn_;
};

std::string Describe(const std::vector<Message>& messages) {
  std::string out;
  for (const auto& [channel, message] : messages) {
    out += "    " + Escape(channel) + " " + Escape(message) + "\n";
  }
  return out.empty() ? "    (none)\n" : out;
}

class KeyspaceEventsTest : public ::testing::TestWithParam<Family> {
 protected:
  static void SetUpTestSuite() {
    redis_ = new test::RedisServer();
    const std::string error = redis_->Start();
    if (!error.empty()) {
      delete redis_;
      redis_ = nullptr;
      FAIL() << "redis-server did not start: " << error;
    }
  }
  static void TearDownTestSuite() {
    delete redis_;
    redis_ = nullptr;
  }
  static test::RedisServer* redis_;
};
test::RedisServer* KeyspaceEventsTest::redis_ = nullptr;

TEST_P(KeyspaceEventsTest, SameEventsAsRedis) {
  ASSERT_NE(redis_, nullptr);
  const Family family = GetParam();
  const char* only = std::getenv("RESPITE_DIFF_FAMILY");
  if (only != nullptr && *only != '\0' && std::string(only) != FamilyName(family)) GTEST_SKIP();
  std::vector<uint64_t> seeds = {1, 2};
  if (const char* v = std::getenv("RESPITE_DIFF_SEED"); v != nullptr && *v != '\0') {
    seeds = {std::stoull(v)};
  }
  const int steps =
      std::getenv("RESPITE_DIFF_STEPS") ? std::atoi(std::getenv("RESPITE_DIFF_STEPS")) : 1500;
  for (uint64_t seed : seeds) {
    RedisSide redis(redis_->port());
    ASSERT_TRUE(redis.ok());
    // The marker goes on a second connection: the first may be inside MULTI.
    RedisSide marker(redis_->port());
    ASSERT_TRUE(marker.ok());
    Subscriber subscriber(redis_->port());
    ASSERT_TRUE(subscriber.Start());
    LocalSide local;
    ASSERT_EQ(local.Open(), "");
    RecordingBroker broker;
    local.SetPubSubBroker(&broker);
    // Every db: MOVE and SWAPDB reach past the two the generator SELECTs (a key another family
    // left in db 2 would make redis' MOVE refuse where the fresh local store moves).
    redis.Run({"FLUSHALL"});
    redis.Run({"SELECT", "0"});
    const std::vector<std::string> config = {"CONFIG", "SET", "notify-keyspace-events",
                                             "KEg$lshzn"};
    ASSERT_EQ(redis.Run(config), "+OK\r\n");
    ASSERT_EQ(local.Run(config), "+OK\r\n");

    Generator gen(seed, family);
    std::deque<std::string> history;
    size_t events = 0;
    const auto deterministic = [](const Argv& argv) {
      const Kind kind = Classify(argv);
      return kind == Kind::kExact || kind == Kind::kBlocking;
    };
    for (int step = 0; step < steps; ++step) {
      const Argv argv = gen.Next(deterministic);
      const Kind kind = Classify(argv);
      if (kind == Kind::kSpop || kind == Kind::kLex) continue;
      history.push_back(EscapeArgv(argv));
      if (history.size() > 15) history.pop_front();
      const std::string redis_reply = redis.Run(argv);
      ASSERT_FALSE(redis_reply.empty()) << redis.error();
      ASSERT_FALSE(marker.Run({"PUBLISH", kMarker, std::to_string(step)}).empty());
      auto expected = subscriber.Until(step);
      ASSERT_TRUE(expected.has_value()) << "the redis subscriber read no marker";
      broker.published.clear();
      local.Run(argv);
      events += expected->size();
      if (broker.published != *expected) {
        std::string recent;
        for (const std::string& h : history) recent += "    " + h + "\n";
        FAIL() << "KEYSPACE EVENTS MISMATCH family=" << FamilyName(family) << " seed=" << seed
               << " step=" << step << "\n  command: " << EscapeArgv(argv) << "\n  redis:\n"
               << Describe(*expected) << "  local:\n"
               << Describe(broker.published) << "  last commands:\n"
               << recent;
      }
    }
    EXPECT_GT(events, 0u) << "the stream caused no notification at all";
    redis.Run({"CONFIG", "SET", "notify-keyspace-events", ""});
  }
}

// Streams: events that are not the command's own (XADD's trim, consumers created by reads and
// claims), from a fixed script, since the generator makes no stream commands.
TEST_F(KeyspaceEventsTest, StreamEventsAsRedis) {
  ASSERT_NE(redis_, nullptr);
  RedisSide redis(redis_->port());
  ASSERT_TRUE(redis.ok());
  RedisSide marker(redis_->port());
  ASSERT_TRUE(marker.ok());
  Subscriber subscriber(redis_->port());
  ASSERT_TRUE(subscriber.Start());
  LocalSide local;
  ASSERT_EQ(local.Open(), "");
  RecordingBroker broker;
  local.SetPubSubBroker(&broker);
  redis.Run({"FLUSHDB"});
  const std::vector<Argv> script = {
      {"CONFIG", "SET", "notify-keyspace-events", "KEtg"},
      {"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"},
      {"XGROUP", "CREATECONSUMER", "s", "g", "bob"},
      {"XGROUP", "CREATECONSUMER", "s", "g", "bob"},
      {"XADD", "s", "1-1", "f", "a"},
      {"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"},
      {"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"},
      {"XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", ">"},
      {"XCLAIM", "s", "g", "mike", "0", "1-1", "FORCE"},
      {"XCLAIM", "s", "g", "nobody", "0", "9-9"},
      {"XAUTOCLAIM", "s", "g", "bob", "0", "1-1"},
      {"XAUTOCLAIM", "s", "g", "dave", "0", "0-0"},
      {"XGROUP", "DELCONSUMER", "s", "g", "lee"},
      {"XGROUP", "DELCONSUMER", "s", "g", "bob"},
      {"XADD", "s", "MAXLEN", "1", "2-1", "f", "b"},
      {"XADD", "s", "MAXLEN", "5", "3-1", "f", "c"},
      {"XADD", "s", "MINID", "3-1", "4-1", "f", "d"},
      {"XTRIM", "s", "MAXLEN", "0"},
      {"XTRIM", "s", "MAXLEN", "0"},
  };
  for (size_t step = 0; step < script.size(); ++step) {
    const Argv& argv = script[step];
    const std::string redis_reply = redis.Run(argv);
    ASSERT_FALSE(redis_reply.empty()) << redis.error();
    ASSERT_FALSE(marker.Run({"PUBLISH", kMarker, std::to_string(step)}).empty());
    auto expected = subscriber.Until(static_cast<long long>(step));
    ASSERT_TRUE(expected.has_value()) << "the redis subscriber read no marker";
    broker.published.clear();
    local.Run(argv);
    EXPECT_EQ(broker.published, *expected) << "command: " << EscapeArgv(argv) << "\n  redis:\n"
                                           << Describe(*expected) << "  local:\n"
                                           << Describe(broker.published);
  }
  redis.Run({"CONFIG", "SET", "notify-keyspace-events", ""});
}

INSTANTIATE_TEST_SUITE_P(Families, KeyspaceEventsTest,
                         ::testing::Values(Family::kStrings, Family::kKeys, Family::kHashes,
                                           Family::kLists, Family::kSets, Family::kZSets,
                                           Family::kMixed, Family::kBitmaps, Family::kGeo,
                                           Family::kHyperLogLog),
                         [](const auto& info) { return std::string(FamilyName(info.param)); });

}  // namespace
}  // namespace respite::storage::diff
