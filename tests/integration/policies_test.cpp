// Paths a user meets rarely, each on real processes: fallback.mode read-only, what a client may
// send before AUTH (compared with a real Redis byte for byte), RESET logging a client out,
// MONITOR through respite, a full journal as clients see it, and a SIGTERM that has to close
// connections whose replies never came.

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/stack_test.h"
#include "tests/support/client.h"
#include "tests/support/http_client.h"
#include "tests/support/redis_server.h"
#include "tests/support/respite_process.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;

using PoliciesTest = StackTest;

TEST_F(PoliciesTest, ReadOnlyFallbackServesReadsAndRefusesWrites) {
  RespiteOptions options;
  options.env = {"RESPITE_FALLBACK_MODE=read-only", "RESPITE_FALLBACK_WARM=writes",
                 "RESPITE_HEALTH_INTERVAL_MS=100", "RESPITE_HEALTH_TIMEOUT_MS=100",
                 "RESPITE_HEALTH_UNHEALTHY_AFTER=2"};
  Start(options);
  Client c = respite_->Connect();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Command({"SET", "kept", "v"}).IsStatus("OK"));  // mirrored to the local copy
  ASSERT_TRUE(WaitFor([&] { return c.Command({"RESPITE", "JOURNAL", "LEN"}).IsInteger(0); }, 2s));
  // The mirror is queued to the store thread ahead of anything served locally after the outage.
  redis_->process().Kill();
  ASSERT_TRUE(WaitFor(
      [&] {
        Reply r = c.Command({"SET", "during", "x"});
        return r.IsErrorPrefix("READONLY upstream Redis is unreachable");
      },
      10s))
      << respite_->Log();
  EXPECT_TRUE(c.Command({"GET", "kept"}).IsString("v")) << "reads are served locally";
  EXPECT_TRUE(c.Command({"INCR", "n"}).IsErrorPrefix("READONLY"));
  EXPECT_TRUE(c.Command({"GET", "during"}).IsNil()) << "a refused write was applied";
  EXPECT_TRUE(c.Command({"RESPITE", "JOURNAL", "LEN"}).IsInteger(0)) << "nothing journaled";
}

// Before AUTH a client gets what Redis gives it, for every kind of command (same bytes). Not
// DEBUG: Redis refuses it first when enable-debug-command is off, a setting respite cannot see
// before it forwards (README, "Limits").
TEST_F(PoliciesTest, CommandsBeforeAuthGetRedisAnswers) {
  RedisOptions redis_options;
  redis_options.requirepass = "pw-policies";
  RespiteOptions options;
  options.requirepass = "pw-policies";
  redis_ = std::make_unique<RedisServer>(redis_options);
  ASSERT_EQ(redis_->Start(), "");
  // respite's own upstream login uses the password; its clients must give theirs.
  options.upstream_url = redis_->Url();
  respite_ = std::make_unique<RespiteProcess>(std::move(options));
  ASSERT_EQ(respite_->Start(), "");
  const std::vector<std::vector<std::string>> commands = {{"GET", "k"},
                                                          {"SET", "k", "v"},
                                                          {"PING"},
                                                          {"ECHO", "x"},
                                                          {"SELECT", "1"},
                                                          {"MULTI"},
                                                          {"EXEC"},
                                                          {"SUBSCRIBE", "ch"},
                                                          {"EVAL", "return 1", "0"},
                                                          {"INFO"},
                                                          {"CLIENT", "LIST"},
                                                          {"CLIENT", "SETNAME", "n"},
                                                          {"HELLO", "3"},
                                                          {"AUTH", "wrong"},
                                                          {"AUTH", "default", "wrong"},
                                                          {"COMMAND", "COUNT"},
                                                          {"BLPOP", "q", "0.1"},
                                                          {"RESPITE", "STATUS"},
                                                          {"WATCH", "k"},
                                                          {"FLUSHALL"}};
  for (const auto& cmd : commands) {
    RawConnection to_redis(redis_->port());
    RawConnection to_respite(respite_->port());
    auto expected = to_redis.Command(cmd);
    auto got = to_respite.Command(cmd);
    ASSERT_TRUE(expected && got) << cmd[0];
    if (cmd[0] == "RESPITE") {
      EXPECT_EQ(got->str, "NOAUTH Authentication required.") << got->Describe();
      continue;
    }
    EXPECT_EQ(got->Describe(), expected->Describe())
        << cmd[0] << " " << (cmd.size() > 1 ? cmd[1] : "");
  }
}

TEST_F(PoliciesTest, ResetLogsTheClientOut) {
  RespiteOptions options;
  options.requirepass = "pw-reset";
  Start(options);
  RawConnection c(respite_->port());
  EXPECT_EQ(c.Command({"AUTH", "pw-reset"})->str, "OK");
  EXPECT_EQ(c.Command({"SET", "k", "v"})->str, "OK");
  EXPECT_EQ(c.Command({"RESET"})->str, "RESET");
  EXPECT_EQ(c.Command({"GET", "k"})->str, "NOAUTH Authentication required.");
  EXPECT_EQ(c.Command({"AUTH", "pw-reset"})->str, "OK");
  EXPECT_EQ(c.Command({"GET", "k"})->str, "v");
}

TEST_F(PoliciesTest, MonitorSeesCommandsSentThroughRespite) {
  Start();
  RawConnection monitor(respite_->port());
  EXPECT_EQ(monitor.Command({"MONITOR"})->str, "OK");
  Client c = respite_->Connect();
  ASSERT_TRUE(c.Command({"SET", "watched-key", "watched-value"}).IsStatus("OK"));
  EXPECT_TRUE(monitor.ReadUntil("\"SET\" \"watched-key\" \"watched-value\"", 3000ms))
      << monitor.buffer();
}

// A full journal refuses writes with a clear error, keeps serving reads, and loses nothing it
// acknowledged.
TEST_F(PoliciesTest, AFullJournalRefusesWritesThroughTheProxy) {
  RespiteOptions options;
  options.env = {"RESPITE_JOURNAL_MAX_BYTES=64kb"};
  options.extra_args = {"--mode", "local"};
  StartLocal(options);
  Client c = respite_->Connect();
  ASSERT_TRUE(c.ok());
  const std::string value(1000, 'j');
  int acked = 0;
  Reply refused;
  for (int i = 0; i < 200; ++i) {
    Reply r = c.Command({"SET", "j" + std::to_string(i), value});
    if (!r.IsStatus("OK")) {
      refused = std::move(r);
      break;
    }
    ++acked;
  }
  ASSERT_GT(acked, 10);
  ASSERT_LT(acked, 200) << "the journal never filled";
  EXPECT_TRUE(refused.IsErrorPrefix("ERR respite's journal is full (journal.max_bytes)"))
      << refused.Describe();
  EXPECT_TRUE(c.Command({"GET", "j0"}).IsString(value)) << "reads are served";
  EXPECT_TRUE(c.Command({"SET", "again", "x"}).IsErrorPrefix("ERR respite's journal is full"));
  EXPECT_TRUE(c.Command({"RESPITE", "JOURNAL", "LEN"}).IsInteger(acked));
}

// SIGTERM waits shutdown_timeout_ms for replies in flight, then closes what is left (a BLPOP that
// nothing will answer) and exits 0.
TEST_F(PoliciesTest, ShutdownClosesConnectionsWhoseRepliesNeverCame) {
  RespiteOptions options;
  options.log_level = "info";
  options.env = {"RESPITE_SHUTDOWN_TIMEOUT_MS=500"};
  options.extra_args = {"--mode", "local"};
  StartLocal(options);
  RawConnection blocked(respite_->port());
  ASSERT_TRUE(blocked.SendCommand({"BLPOP", "never", "0"}));
  ASSERT_TRUE(WaitFor(
      [&] {
        return HttpRequest(respite_->admin_port(), "GET", "/status")
                   .body.find("\"parked_clients\":1") != std::string::npos;
      },
      5s));
  const auto start = std::chrono::steady_clock::now();
  auto status = respite_->process().Terminate(5000ms);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(status) << "respite did not exit";
  EXPECT_TRUE(status->Success()) << status->ToString();
  EXPECT_LT(took, 3000ms);
  EXPECT_TRUE(blocked.ReadUntilClosed(1000ms));
  EXPECT_NE(respite_->Log().find("shutdown timeout: closing 1 connections"), std::string::npos)
      << respite_->Log();
}

}  // namespace
}  // namespace respite::test
