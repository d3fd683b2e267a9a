// Streams, differential: a seeded stream of XADD (explicit, "ms" and "ms-*" IDs, NOMKSTREAM,
// MAXLEN/MINID with = and ~, LIMIT), XLEN, XRANGE/XREVRANGE (incomplete and exclusive bounds,
// COUNT), XDEL, XTRIM, XSETID, non-blocking XREAD and the errors of each, with small
// stream-node-max-entries values so approximate trimming cuts at node boundaries, goes to a real
// redis-server and to LocalStore::Execute; every reply must be byte-identical, in RESP2 and RESP3.
// Generated IDs ("*") are time-based and left out; so is XINFO's radix-tree size; nodes split by
// entry count only (stream-node-max-bytes 0).
//
// Reproduce a failure with the line it prints:
//   RESPITE_DIFF_SEED=2 RESPITE_DIFF_PROTO=3 storage_tests --gtest_filter='StreamsDiff*'

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "tests/storage/differential/normalize.h"
#include "tests/storage/differential/sides.h"
#include "tests/support/redis_server.h"

namespace respite::storage::diff {
namespace {

using Argv = std::vector<std::string>;

class StreamGenerator {
 public:
  explicit StreamGenerator(uint64_t seed) : rng_(seed * 0x9E3779B97F4A7C15ull + 77) {}

  Argv Next() {
    switch (U(20)) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 4:
        return XAdd();
      case 5:
        return {"XLEN", Key()};
      case 6:
      case 7:
        return Range("XRANGE");
      case 8:
        return Range("XREVRANGE");
      case 9: {
        Argv argv = {"XDEL", Key()};
        for (uint64_t n = 1 + U(3); n > 0; --n) argv.push_back(Id(true));
        return argv;
      }
      case 10:
        return XTrim();
      case 11:
        return XSetId();
      case 12:
      case 13:
        return XRead();
      case 14:
        return {"CONFIG", "SET", "stream-node-max-entries", Pick({"0", "1", "2", "3", "5", "100"})};
      case 15:
        return U(4) == 0 ? Argv{"DEL", Key()} : Argv{"EXISTS", Key()};
      case 16:
        return {"TYPE", Key()};
      case 17:
        return U(3) == 0 ? Argv{"SET", "str", "v"} : XAdd();
      default:
        return XAdd();
    }
  }

 private:
  uint64_t U(uint64_t n) { return rng_() % n; }
  std::string Pick(std::initializer_list<const char*> options) {
    return *(options.begin() + U(options.size()));
  }
  std::string Key() { return Pick({"s0", "s0", "s1", "s2", "str"}); }
  std::string Num(uint64_t max) { return std::to_string(U(max)); }

  // A strict ID mostly; sometimes a bad one.
  std::string Id(bool strict) {
    switch (U(16)) {
      case 0:
        return Pick({"abc", "1-x", "-1", "1-2-3", ""});
      case 1:
        return strict ? "0-0" : Pick({"-", "+"});
      case 2:
        return Num(40);
      case 3:
        return "18446744073709551615-18446744073709551615";
      default:
        return Num(40) + "-" + Num(4);
    }
  }

  Argv Fields() {
    Argv out;
    for (uint64_t n = 1 + U(3); n > 0; --n) {
      out.push_back(Pick({"f", "g", "name", ""}));
      out.push_back(Pick({"1", "v", "value-longer-than-a-few-bytes", ""}));
    }
    if (U(25) == 0) out.pop_back();  // an odd count: arity error
    return out;
  }

  void Trim(Argv* argv) {
    const bool maxlen = U(2) == 0;
    argv->push_back(maxlen ? Pick({"MAXLEN", "maxlen"}) : Pick({"MINID", "minid"}));
    const uint64_t mode = U(3);
    if (mode == 1) argv->push_back("~");
    if (mode == 2) argv->push_back("=");
    argv->push_back(maxlen ? (U(15) == 0 ? "-1" : Num(12)) : Id(true));
    if (U(4) == 0) {
      argv->push_back("LIMIT");
      argv->push_back(U(10) == 0 ? "-1" : Num(6));
    }
  }

  Argv XAdd() {
    Argv argv = {"XADD", Key()};
    if (U(8) == 0) argv.push_back("NOMKSTREAM");
    if (U(3) == 0) Trim(&argv);
    switch (U(6)) {
      case 0:
        argv.push_back(Num(40) + "-*");
        break;
      case 1:
        argv.push_back(Num(40));
        break;
      default:
        argv.push_back(Id(true));
    }
    for (std::string& f : Fields()) argv.push_back(std::move(f));
    return argv;
  }

  std::string Bound() {
    const uint64_t kind = U(6);
    if (kind == 0) return "(" + Id(true);
    return Id(false);
  }

  Argv Range(const char* name) {
    Argv argv = {name, Key(), Bound(), Bound()};
    if (U(3) == 0) {
      argv.push_back(U(10) == 0 ? "LIMIT" : "COUNT");
      argv.push_back(Pick({"0", "1", "2", "5", "-3", "x"}));
    }
    return argv;
  }

  Argv XTrim() {
    Argv argv = {"XTRIM", Key()};
    if (U(12) != 0) Trim(&argv);
    return argv;
  }

  // IDs past every generated entry: Redis lets XSETID go back below entries it deleted, and then
  // files later entries under an older node, so its XRANGE returns them out of order (the store
  // keeps ID order).
  Argv XSetId() {
    Argv argv = {"XSETID", Key(),
                 U(10) == 0 ? Pick({"abc", "18446744073709551615-18446744073709551615"})
                            : std::to_string(40 + U(5)) + "-" + Num(3)};
    if (U(3) == 0) {
      argv.push_back("ENTRIESADDED");
      argv.push_back(Pick({"0", "3", "100", "-1"}));
    }
    if (U(3) == 0) {
      argv.push_back("MAXDELETEDID");
      argv.push_back(Id(true));
    }
    return argv;
  }

  Argv XRead() {
    Argv argv = {"XREAD"};
    if (U(2) == 0) {
      argv.push_back("COUNT");
      argv.push_back(Pick({"0", "1", "3", "-1"}));
    }
    argv.push_back("STREAMS");
    const uint64_t n = 1 + U(2);
    for (uint64_t i = 0; i < n; ++i) argv.push_back(Key());
    for (uint64_t i = 0; i < n; ++i) argv.push_back(U(4) == 0 ? "$" : Id(true));
    if (U(30) == 0) argv.pop_back();  // unbalanced
    return argv;
  }

  std::mt19937_64 rng_;
};

class StreamsDiffTest : public ::testing::TestWithParam<int> {
 protected:
  static void SetUpTestSuite() {
    redis_ = new test::RedisServer();
    start_error_ = redis_->Start();
  }
  static void TearDownTestSuite() {
    delete redis_;
    redis_ = nullptr;
  }
  static test::RedisServer* redis_;
  static std::string start_error_;
};
test::RedisServer* StreamsDiffTest::redis_ = nullptr;
std::string StreamsDiffTest::start_error_;

TEST_P(StreamsDiffTest, MatchesRedis) {
  const int protocol = GetParam();
  if (const char* p = std::getenv("RESPITE_DIFF_PROTO"); p && *p && std::atoi(p) != protocol) {
    GTEST_SKIP();
  }
  ASSERT_EQ(start_error_, "");
  std::vector<uint64_t> seeds = {1, 2, 3};
  if (const char* v = std::getenv("RESPITE_DIFF_SEED"); v != nullptr && *v != '\0') {
    seeds = {std::stoull(v)};
  }
  const int steps =
      std::getenv("RESPITE_DIFF_STEPS") ? std::atoi(std::getenv("RESPITE_DIFF_STEPS")) : 3000;
  for (uint64_t seed : seeds) {
    RedisSide redis(redis_->port());
    ASSERT_TRUE(redis.ok());
    if (protocol == 3) {
      ASSERT_NE(redis.Run({"HELLO", "3"}), "");
    }
    LocalSide local;
    ASSERT_EQ(local.Open(), "");
    local.session.protocol = protocol;
    ASSERT_FALSE(redis.Run({"FLUSHALL"}).empty());
    // Nodes split by entry count only: by bytes, the store estimates Redis' listpack sizes (README,
    // Limits), which would make approximate trims differ.
    const Argv no_byte_limit = {"CONFIG", "SET", "stream-node-max-bytes", "0"};
    ASSERT_EQ(redis.Run(no_byte_limit), local.Run(no_byte_limit));
    StreamGenerator gen(seed);
    std::deque<std::string> history;
    for (int step = 0; step < steps; ++step) {
      // Every few steps the whole of each stream is compared too, so a divergence shows where it
      // starts.
      Argv argv = gen.Next();
      if (step % 5 == 4) argv = {"XRANGE", "s" + std::to_string(step / 5 % 3), "-", "+"};
      if (std::getenv("RESPITE_DIFF_VERBOSE") != nullptr) {
        std::fprintf(stderr, "%d %s\n", step, EscapeArgv(argv).c_str());
      }
      history.push_back(EscapeArgv(argv));
      if (history.size() > 20) history.pop_front();
      const std::string expected = redis.Run(argv);
      ASSERT_FALSE(expected.empty()) << redis.error();
      const std::string actual = local.Run(argv);
      if (expected != actual) {
        std::string recent;
        for (const std::string& h : history) recent += "    " + h + "\n";
        FAIL() << "STREAMS MISMATCH seed=" << seed << " protocol=" << protocol << " step=" << step
               << "\n  command: " << EscapeArgv(argv) << "\n  redis: \"" << Escape(expected)
               << "\"\n  local: \"" << Escape(actual) << "\"\n  last commands:\n"
               << recent;
      }
    }
    redis.Run({"CONFIG", "SET", "stream-node-max-entries", "100"});
    redis.Run({"CONFIG", "SET", "stream-node-max-bytes", "4096"});
  }
}

INSTANTIATE_TEST_SUITE_P(Protocols, StreamsDiffTest, ::testing::Values(2, 3),
                         [](const auto& info) { return "resp" + std::to_string(info.param); });

}  // namespace
}  // namespace respite::storage::diff
