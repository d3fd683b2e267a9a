// Pub/sub differential test: the same seeded stream of operations (pubsub_diff/generator.h) goes
// to a real redis-server and to respite serving locally (the real binary, --mode local, upstream
// unreachable, three io threads), each over six TCP connections per side: SUBSCRIBE and its P, S
// and UN- forms, PUBLISH and SPUBLISH, PUBSUB, PING, HELLO, MULTI, RESET, commands refused in
// RESP2's subscribed context, and writes that fire keyspace notifications under a random
// notify-keyspace-events. After each operation every connection on each side answers a
// "PING sync:<step>" barrier, and what each received up to it (replies and pushes, in order) must
// be the same on both sides, byte for byte after pubsub_diff/streams.h's normalization.
//
// Why the barrier orders everything: Redis writes every subscriber's messages in the event loop
// iteration of the PUBLISH, before it reads the barriers sent after the publisher's answer; respite
// posts each message to its subscriber's io thread before the publisher's answer leaves.
//
// Reproduce a failure with the line it prints, e.g.
//   RESPITE_DIFF_SEED=7 RESPITE_DIFF_PROTO=3 integration_tests --gtest_filter='*PubSubDiff*'
// Longer runs: RESPITE_DIFF_SEEDS=50 (seeds 1..50), RESPITE_DIFF_STEPS (operations per seed),
// RESPITE_DIFF_SEED=3,9 (those seeds), RESPITE_DIFF_VERBOSE=1 (print every operation).

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/pubsub_diff/generator.h"
#include "tests/integration/pubsub_diff/streams.h"
#include "tests/storage/differential/normalize.h"
#include "tests/support/client.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"
#include "tests/support/respite_process.h"

namespace respite::test::pubsub_diff {
namespace {

using namespace std::chrono_literals;
using storage::diff::Escape;
using storage::diff::EscapeArgv;

struct Settings {
  std::vector<uint64_t> seeds = {1, 2};
  int steps = 1500;
  int protocol = 0;  // 0: both
  bool verbose = false;
};

const Settings& GetSettings() {
  static const Settings settings = [] {
    Settings s;
    if (const char* v = std::getenv("RESPITE_DIFF_SEEDS"); v != nullptr && *v != '\0') {
      s.seeds.clear();
      for (uint64_t i = 1; i <= std::stoull(v); ++i) s.seeds.push_back(i);
    }
    if (const char* v = std::getenv("RESPITE_DIFF_SEED"); v != nullptr && *v != '\0') {
      s.seeds.clear();
      std::stringstream in(v);
      std::string item;
      while (std::getline(in, item, ',')) s.seeds.push_back(std::stoull(item));
    }
    if (const char* v = std::getenv("RESPITE_DIFF_STEPS"); v != nullptr && *v != '\0') {
      s.steps = std::stoi(v);
    }
    if (const char* v = std::getenv("RESPITE_DIFF_PROTO"); v != nullptr && *v != '\0') {
      s.protocol = std::atoi(v);
    }
    s.verbose = std::getenv("RESPITE_DIFF_VERBOSE") != nullptr;
    return s;
  }();
  return settings;
}

// One server's connections. Frames are taken from each socket as they complete; bytes past a
// barrier stay pending for the next step (a late push then shows up as a mismatch there).
class Side {
 public:
  Side(std::string name, uint16_t port) : name_(std::move(name)), port_(port) {}
  const std::string& name() const { return name_; }

  // Opens the connections, each switched to `protocol`. Empty on success.
  std::string Open(int protocol) {
    conns_.clear();
    pending_.assign(Generator::kConnections, "");
    for (size_t i = 0; i < Generator::kConnections; ++i) {
      conns_.push_back(std::make_unique<RawConnection>(port_));
      if (!conns_.back()->ok()) return name_ + ": connect: " + conns_.back()->error();
      if (protocol == 3 && !conns_.back()->Command({"HELLO", "3"})) return name_ + ": HELLO 3";
    }
    return {};
  }

  // Runs `op`, then the barrier on every connection; (*frames)[i] is what connection i received.
  // Empty on success, else what went wrong.
  std::string Step(const Op& op, int step, std::vector<std::vector<std::string>>* frames) {
    frames->assign(conns_.size(), {});
    const std::string marker = "sync:" + std::to_string(step);
    std::string request;
    for (const Argv& argv : op.commands) request += EncodeCommand(argv);
    request += EncodeCommand({"PING", marker});
    if (!conns_[op.conn]->Send(request)) return name_ + ": send failed";
    // The issuer first: other connections' barriers go out only once its commands are done.
    if (std::string e = Await(op.conn, marker, &(*frames)[op.conn]); !e.empty()) return e;
    for (size_t i = 0; i < conns_.size(); ++i) {
      if (i != op.conn && !conns_[i]->SendCommand({"PING", marker})) return name_ + ": send";
    }
    for (size_t i = 0; i < conns_.size(); ++i) {
      if (i == op.conn) continue;
      if (std::string e = Await(i, marker, &(*frames)[i]); !e.empty()) return e;
    }
    return {};
  }

  // Leaves every subscription (RESET) and closes the connections.
  void Close() {
    for (auto& c : conns_) {
      if (c->SendCommand({"RESET"})) c->ReadUntil("+RESET\r\n", 5s);
    }
    conns_.clear();
  }

  // Runs one command on a fresh RESP2 connection; its reply's raw bytes.
  std::string Admin(const Argv& argv) {
    RawConnection c(port_);
    if (!c.SendCommand(argv) || !c.ReadUntil("\r\n", 5s)) return {};
    return c.buffer();
  }

 private:
  std::string Await(size_t i, const std::string& marker, std::vector<std::string>* frames) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (true) {
      pending_[i] += conns_[i]->buffer();
      conns_[i]->ClearBuffer();
      const size_t before = frames->size();
      TakeFrames(&pending_[i], frames);
      for (size_t f = before; f < frames->size(); ++f) {
        if (!IsBarrier((*frames)[f], marker)) continue;
        // Anything after the barrier belongs to the next step.
        for (size_t g = frames->size(); g > f + 1; --g) {
          pending_[i].insert(0, (*frames)[g - 1]);
        }
        frames->resize(f + 1);
        return {};
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline || conns_[i]->closed()) {
        std::string got;
        for (const std::string& f : *frames) got += f;
        return name_ + ": connection " + std::to_string(i) + " gave no barrier reply" +
               (conns_[i]->closed() ? " (closed)" : "") + "; got \"" + Escape(got + pending_[i]) +
               "\"";
      }
      conns_[i]->ReadSome(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
    }
  }

  std::string name_;
  uint16_t port_;
  std::vector<std::unique_ptr<RawConnection>> conns_;
  std::vector<std::string> pending_;
};

std::string Joined(const std::vector<std::string>& frames) {
  std::string out;
  for (const std::string& f : frames) out += f;
  return out;
}

std::string Describe(const Op& op) {
  std::string out = "c" + std::to_string(op.conn) + ":";
  for (const Argv& argv : op.commands) out += " [" + EscapeArgv(argv) + "]";
  return out;
}

class PubSubDiffTest : public ::testing::TestWithParam<int> {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisServer();
    if (std::string e = redis_->Start(); !e.empty()) {
      TearDownTestSuite();
      FAIL() << "redis-server did not start: " << e;
    }
    RespiteOptions options;
    options.upstream_url = "redis://127.0.0.1:" + std::to_string(FreePort());
    options.io_threads = 3;  // connections land on different io threads
    options.extra_args = {"--mode", "local"};
    respite_ = new RespiteProcess(std::move(options));
    if (std::string e = respite_->Start(); !e.empty()) {
      TearDownTestSuite();
      FAIL() << "respite did not start: " << e;
    }
  }
  static void TearDownTestSuite() {
    delete respite_;
    respite_ = nullptr;
    delete redis_;
    redis_ = nullptr;
  }

  // Runs one seed; false after the first mismatch (printed).
  bool RunSeed(uint64_t seed, int protocol, int steps, int* ran) {
    Side redis("redis", redis_->port());
    Side respite("respite", respite_->port());
    for (Side* side : {&redis, &respite}) {
      for (const Argv& argv :
           {Argv{"CONFIG", "SET", "notify-keyspace-events", ""}, Argv{"FLUSHALL"}}) {
        EXPECT_EQ(side->Admin(argv), "+OK\r\n") << side->name() << " " << EscapeArgv(argv);
      }
      const std::string e = side->Open(protocol);
      EXPECT_EQ(e, "");
      if (!e.empty()) return false;
    }
    Generator gen(seed);
    std::vector<ConnModel> model(Generator::kConnections, ConnModel{protocol, 0, 0});
    std::deque<std::string> history;
    std::vector<std::vector<std::string>> want, got;
    bool ok = true;
    for (int step = 0; step < steps && ok; ++step) {
      const Op op = gen.Next(model);
      history.push_back(Describe(op));
      if (history.size() > 20) history.pop_front();
      if (GetSettings().verbose) std::cout << "step " << step << " " << history.back() << "\n";
      const std::string redis_error = redis.Step(op, step, &want);
      EXPECT_EQ(redis_error, "");
      if (!redis_error.empty()) return false;
      const std::string respite_error = respite.Step(op, step, &got);
      for (size_t i = 0; i < Generator::kConnections && ok; ++i) {
        const std::string a = Normalize(want[i], op, i == op.conn);
        const std::string b = respite_error.empty() ? Normalize(got[i], op, i == op.conn) : "";
        if (a == b) continue;
        ok = false;
        std::string trail;
        for (const std::string& h : history) trail += "    " + h + "\n";
        ADD_FAILURE() << "mismatch: seed " << seed << " protocol " << protocol << " step " << step
                      << " connection " << i << "\n  operation " << history.back()
                      << "\n  redis:   \"" << Escape(Joined(want[i])) << "\"\n  respite: \""
                      << (respite_error.empty() ? Escape(Joined(got[i])) : respite_error)
                      << "\"\n  last operations:\n"
                      << trail << "  reproduce: RESPITE_DIFF_SEED=" << seed
                      << " RESPITE_DIFF_PROTO=" << protocol
                      << " integration_tests --gtest_filter='*PubSubDiff*'";
      }
      for (size_t i = 0; i < Generator::kConnections; ++i) {
        Track(want[i], i == op.conn, &model[i]);
      }
      ++*ran;
    }
    redis.Close();
    respite.Close();
    return ok;
  }

  static RedisServer* redis_;
  static RespiteProcess* respite_;
};
RedisServer* PubSubDiffTest::redis_ = nullptr;
RespiteProcess* PubSubDiffTest::respite_ = nullptr;

TEST_P(PubSubDiffTest, SameBytesAsRedis) {
  ASSERT_NE(redis_, nullptr);
  ASSERT_NE(respite_, nullptr);
  const Settings& settings = GetSettings();
  const int protocol = GetParam();
  if (settings.protocol != 0 && settings.protocol != protocol) GTEST_SKIP();
  int ran = 0;
  int failed = 0;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t seed : settings.seeds) {
    if (!RunSeed(seed, protocol, settings.steps, &ran)) ++failed;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  std::cout << "pubsub diff, RESP" << protocol << ": " << settings.seeds.size() << " seeds, " << ran
            << " operations, " << failed << " seeds with a mismatch, " << ms << " ms\n";
  EXPECT_EQ(failed, 0);
}

INSTANTIATE_TEST_SUITE_P(Protocols, PubSubDiffTest, ::testing::Values(2, 3),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "Resp" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace respite::test::pubsub_diff
