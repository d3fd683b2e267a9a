// `respite top`'s frame, rendered from fixed /status JSON and /metrics text: each line, the rates
// between two frames, counter resets, unreadable input, and the human units. The live terminal
// and a real respite are in tests/integration/top_test.cpp.

#include "cli/top.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "tests/cli/run_tool.h"

namespace respite::cli {
namespace {

// /status as respite renders it (proxy/admin/status_report.cpp), with placeholders for what tests
// vary.
std::string StatusJson(const std::string& state = "local", double replayed = 0,
                       const std::string& extra_replay = "") {
  return R"({"state":")" + state +
         R"(","state_since_ms":1714560000000,"state_seconds":75.25,)"
         R"("last_reason":"upstream down: connect: Connection refused","transitions":1,)"
         R"("mode":"auto","fallback":"full","ready":true,"paused":false,)"
         R"("upstream":{"url":"redis://127.0.0.1:6379","up":false,"latency_seconds":0,)"
         R"("health_checks_ok":3,"health_checks_failed":12,"version":""},)"
         R"("breaker":{"state":"closed","opened_total":0},)"
         R"("journal":{"entries":50,"bytes":4200,"max_bytes":1073741824,)"
         R"("oldest_age_seconds":12.5,"dead_letters":2,"applied_through":0},)"
         R"("replay":{"entries_total":)" +
         std::to_string(static_cast<long long>(replayed)) +
         R"(,"dead_lettered_total":0,"last_entries":200,"last_duration_ms":35,)"
         R"("last_pause_ms":1,"last_rate_per_second":5714.28571)" +
         extra_replay +
         R"(,"cursor_alarm":false},)"
         R"("store":{"open":true,"bytes":123456,"parked_clients":0},)"
         R"("clients":{"connected":3,"connections_total":17},)"
         R"("config":{"listen":"127.0.0.1:6380"}})"
         "\n";
}

std::string Metrics(int forward, int local_set, int local_get, int proxy) {
  return "# HELP respite_state 1 for the state.\n# TYPE respite_state gauge\n"
         "respite_state{state=\"local\"} 1\n"
         "# HELP respite_commands_total Commands.\n# TYPE respite_commands_total counter\n"
         "respite_commands_total{path=\"forward\",cmd=\"set\"} " +
         std::to_string(forward) +
         "\n"
         "respite_commands_total{path=\"local\",cmd=\"set\"} " +
         std::to_string(local_set) +
         "\n"
         "respite_commands_total{path=\"local\",cmd=\"get\"} " +
         std::to_string(local_get) +
         "\n"
         "respite_commands_total{path=\"proxy\",cmd=\"ping\"} " +
         std::to_string(proxy) +
         "\n"
         "# HELP respite_command_duration_seconds Time.\n"
         "# TYPE respite_command_duration_seconds histogram\n"
         "respite_command_duration_seconds_count{path=\"local\"} 99999\n";
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return lines;
}

// The line that starts with `label` (padded to the label column), or "" when there is none.
std::string LineOf(const std::string& text, const std::string& label) {
  for (const std::string& line : Lines(text)) {
    if (line.rfind(label + " ", 0) == 0) return line;
  }
  return "";
}

TopFrame Render(const std::string& status, const std::string& metrics, double now_s,
                const TopSample& previous = {}, bool live = true) {
  TopFrameInput input;
  input.admin = "127.0.0.1:9121";
  input.status_json = status;
  input.metrics_text = metrics;
  input.now_s = now_s;
  input.live = live;
  return RenderTopFrame(input, previous);
}

TEST(TopFrame, FirstFrameShowsEveryLineAndNoRatesYet) {
  const TopFrame frame = Render(StatusJson(), Metrics(10, 40, 5, 2), 100);
  ASSERT_EQ(frame.error, "");
  const std::vector<std::string> lines = Lines(frame.text);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.front(), "respite top - admin 127.0.0.1:9121");
  EXPECT_EQ(LineOf(frame.text, "state"),
            "state        local for 1m 15s  (mode auto, fallback full, ready)");
  EXPECT_EQ(LineOf(frame.text, "reason"),
            "reason       upstream down: connect: Connection refused");
  EXPECT_EQ(LineOf(frame.text, "upstream"),
            "upstream     redis://127.0.0.1:6379  DOWN  latency -  (checks 3 ok, 12 failed)");
  EXPECT_EQ(LineOf(frame.text, "breaker"), "breaker      closed  (opened 0 times)");
  EXPECT_EQ(LineOf(frame.text, "journal"),
            "journal      50 entries  4.1 KiB  oldest 12 s  (limit 1.0 GiB)");
  EXPECT_EQ(LineOf(frame.text, "replay"),
            "replay       0 replayed  rate -/s  last 200 entries in 35 ms");
  EXPECT_EQ(LineOf(frame.text, "dead letters"), "dead letters 2");
  EXPECT_EQ(LineOf(frame.text, "ops/s"), "ops/s        forward -  local -  proxy -");
  EXPECT_EQ(LineOf(frame.text, "clients"), "clients      3 connected  (17 since start)");
  EXPECT_EQ(lines.back(), "q to quit");
  EXPECT_EQ(frame.text.find('\x1b'), std::string::npos) << "the frame has no terminal control";

  EXPECT_TRUE(frame.sample.valid);
  EXPECT_EQ(frame.sample.at_s, 100);
  EXPECT_EQ(frame.sample.forward, 10);
  EXPECT_EQ(frame.sample.local, 45);
  EXPECT_EQ(frame.sample.proxy, 2);
}

TEST(TopFrame, OnceHasNoFooter) {
  const TopFrame frame = Render(StatusJson(), Metrics(0, 0, 0, 0), 1, {}, /*live=*/false);
  ASSERT_EQ(frame.error, "");
  EXPECT_EQ(frame.text.find("q to quit"), std::string::npos);
  EXPECT_EQ(Lines(frame.text).back().rfind("clients", 0), 0u);
}

TEST(TopFrame, OpsPerSecondIsTheDeltaOverTheElapsedTime) {
  const TopFrame first = Render(StatusJson(), Metrics(10, 40, 5, 2), 100);
  // 2 s later: forward +0, local +300 (set and get together), proxy +3.
  const TopFrame second = Render(StatusJson(), Metrics(10, 240, 105, 5), 102, first.sample);
  ASSERT_EQ(second.error, "");
  EXPECT_EQ(LineOf(second.text, "ops/s"), "ops/s        forward 0  local 150  proxy 1.5");
}

TEST(TopFrame, ACounterThatWentBackwardsShowsNoRate) {
  // respite restarted between frames: its counters began again.
  const TopFrame first = Render(StatusJson(), Metrics(1000, 1000, 0, 10), 100);
  const TopFrame second = Render(StatusJson(), Metrics(5, 20, 0, 12), 101, first.sample);
  EXPECT_EQ(LineOf(second.text, "ops/s"), "ops/s        forward -  local -  proxy 2.0");
}

TEST(TopFrame, ReplayRateIsShownWhileDraining) {
  const TopFrame first = Render(StatusJson("draining", 100), Metrics(0, 0, 0, 0), 10);
  EXPECT_EQ(LineOf(first.text, "replay"),
            "replay       100 replayed  rate -/s  last 200 entries in 35 ms");
  const TopFrame second =
      Render(StatusJson("draining", 1100), Metrics(0, 0, 0, 0), 10.5, first.sample);
  EXPECT_EQ(LineOf(second.text, "replay"),
            "replay       1100 replayed  rate 2000/s  last 200 entries in 35 ms");
  EXPECT_EQ(LineOf(second.text, "state").rfind("state        draining for", 0), 0u);
  // Forwarding again: no rate, the totals stay.
  const TopFrame third =
      Render(StatusJson("forward", 1100), Metrics(0, 0, 0, 0), 11, second.sample);
  EXPECT_EQ(LineOf(third.text, "replay"),
            "replay       1100 replayed  rate -/s  last 200 entries in 35 ms");
}

TEST(TopFrame, UpstreamUpShowsLatencyAndVersion) {
  std::string status = StatusJson("forward");
  const std::string down =
      R"("up":false,"latency_seconds":0,"health_checks_ok":3,"health_checks_failed":12,"version":"")";
  const std::string up =
      R"("up":true,"latency_seconds":0.00042,"health_checks_ok":30,"health_checks_failed":0,"version":"7.0.15")";
  status.replace(status.find(down), down.size(), up);
  const TopFrame frame = Render(status, "", 1);
  ASSERT_EQ(frame.error, "");
  EXPECT_EQ(LineOf(frame.text, "upstream"),
            "upstream     redis://127.0.0.1:6379  up  latency 0.42 ms  redis 7.0.15  "
            "(checks 30 ok, 0 failed)");
  EXPECT_EQ(LineOf(frame.text, "ops/s"), "ops/s        forward -  local -  proxy -");
}

TEST(TopFrame, SentinelLineOnlyInSentinelMode) {
  std::string status = StatusJson("forward");
  EXPECT_EQ(LineOf(Render(status, "", 1).text, "sentinel"), "");
  const std::string anchor = R"("version":"")";
  status.insert(
      status.find(anchor) + anchor.size(),
      R"(,"sentinel":{"master_name":"mymaster","master":"10.0.0.7:6379","last_error":"",)"
      R"("tls":true,"sentinels":3,"listening":2,"master_switches":1,"holds":1,"held_seconds":1.2})");
  const TopFrame frame = Render(status, "", 1);
  ASSERT_EQ(frame.error, "");
  EXPECT_EQ(LineOf(frame.text, "sentinel"),
            "sentinel     master 'mymaster' at 10.0.0.7:6379  listening 2/3  switches 1  held "
            "1200 ms");
}

TEST(TopFrame, ClusterLineOnlyInClusterMode) {
  std::string status = StatusJson("forward");
  EXPECT_EQ(LineOf(Render(status, "", 1).text, "cluster"), "");
  const std::string anchor = R"("version":"")";
  status.insert(status.find(anchor) + anchor.size(),
                R"(,"cluster":{"nodes":3,"slots":"...","slots_unserved":0,"map_refreshes":9,)"
                R"("map_changes":2,"redirects":41,"last_error":""})");
  const TopFrame frame = Render(status, "", 1);
  ASSERT_EQ(frame.error, "");
  EXPECT_EQ(LineOf(frame.text, "cluster"),
            "cluster      3 masters  0 slots unserved  redirects 41  map changes 2");
  // With per-shard failover: the slots served locally and the masters down.
  status.insert(status.find(R"("map_refreshes":9)"),
                R"("slots_local":5461,"shards":[{"master":"10.0.0.1:7000","up":true},)"
                R"({"master":"10.0.0.2:7000","up":false}],"replayed":120,)");
  const TopFrame failed_over = Render(status, "", 1);
  ASSERT_EQ(failed_over.error, "");
  EXPECT_EQ(LineOf(failed_over.text, "cluster"),
            "cluster      3 masters  0 slots unserved  redirects 41  map changes 2  local slots "
            "5461 (down: 10.0.0.2:7000)  replayed 120");
}

TEST(TopFrame, AlarmsAndEmptyJournalAndMissingFields) {
  std::string status = StatusJson();
  status.replace(status.find(R"("cursor_alarm":false)"), 20, R"("cursor_alarm":true)");
  status.replace(status.find(R"("ready":true,"paused":false)"), 27,
                 R"("ready":false,"paused":true)");
  status.replace(status.find(R"("entries":50)"), 12, R"("entries":0)");
  const TopFrame frame = Render(status, "", 1);
  ASSERT_EQ(frame.error, "");
  EXPECT_NE(LineOf(frame.text, "replay").find("ALARM: upstream lost replayed entries"),
            std::string::npos);
  EXPECT_NE(LineOf(frame.text, "state").find("NOT READY, paused)"), std::string::npos);
  EXPECT_NE(LineOf(frame.text, "journal").find("0 entries  4.1 KiB  oldest -"), std::string::npos);

  // An older or newer respite may lack fields: they show as ? or 0, never a crash.
  const TopFrame sparse = Render(R"({"state":"forward"})", "", 1);
  ASSERT_EQ(sparse.error, "");
  EXPECT_EQ(LineOf(sparse.text, "state"),
            "state        forward for 0.0 s  (mode ?, fallback ?, NOT READY)");
  EXPECT_EQ(LineOf(sparse.text, "reason"), "reason       -");
  EXPECT_EQ(LineOf(sparse.text, "journal"), "journal      0 entries  0 B  oldest -");
}

TEST(TopFrame, UnreadableStatusIsAnError) {
  EXPECT_NE(Render("not json", "", 1).error, "");
  EXPECT_NE(Render("[1,2]", "", 1).error, "");
  EXPECT_EQ(Render("not json", "", 1).text, "");
  EXPECT_FALSE(Render("{", "", 1).sample.valid);
}

TEST(TopFrame, UnreachableFrameNamesTheEndpointAndTheError) {
  const std::string live =
      RenderUnreachableFrame("127.0.0.1:9", "connect: Connection refused", true);
  EXPECT_NE(live.find("cannot reach respite admin at 127.0.0.1:9: connect: Connection refused\n"),
            std::string::npos);
  EXPECT_NE(live.find("q to quit"), std::string::npos);
  EXPECT_EQ(RenderUnreachableFrame("h:1", "x", false).find("q to quit"), std::string::npos);
}

TEST(SumCommandTotals, SumsEveryCommandByPathAndNothingElse) {
  const CommandTotals t = SumCommandTotals(
      "# HELP respite_commands_total x\n# TYPE respite_commands_total counter\n"
      "respite_commands_total{path=\"forward\",cmd=\"get\"} 7\n"
      "respite_commands_total{path=\"forward\",cmd=\"set\"} 3\n"
      "respite_commands_total{cmd=\"hset\",path=\"local\"} 2.5e3\n"
      "respite_commands_total{path=\"proxy\",cmd=\"hello\"} 1 1714560000000\n"
      "respite_commands_total{path=\"elsewhere\",cmd=\"get\"} 100\n"
      "respite_commands_total{subpath=\"local\",cmd=\"get\"} 100\n"
      "respite_commands_totals{path=\"local\",cmd=\"get\"} 100\n"
      "respite_command_duration_seconds_count{path=\"local\"} 100\n"
      "respite_commands_total{path=\"local\",cmd=\"bad\"} nope\n"
      "respite_commands_total{path=\"local\",cmd=\"last\"} 1");
  EXPECT_EQ(t.forward, 10);
  EXPECT_EQ(t.local, 2501);
  EXPECT_EQ(t.proxy, 1);
  const CommandTotals none = SumCommandTotals("");
  EXPECT_EQ(none.forward + none.local + none.proxy, 0);
}

TEST(HumanUnits, BytesSecondsAndRates) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(1023), "1023 B");
  EXPECT_EQ(HumanBytes(1024), "1.0 KiB");
  EXPECT_EQ(HumanBytes(4200), "4.1 KiB");
  EXPECT_EQ(HumanBytes(12.5 * 1024 * 1024), "12.5 MiB");
  EXPECT_EQ(HumanBytes(1073741824), "1.0 GiB");
  EXPECT_EQ(HumanBytes(1073741824 - 1000), "1.0 GiB");
  EXPECT_EQ(HumanBytes(1023.9 * 1024), "1023.9 KiB");
  EXPECT_EQ(HumanBytes(3.0 * (1ull << 40)), "3.0 TiB");

  EXPECT_EQ(HumanSeconds(-1), "-");
  EXPECT_EQ(HumanSeconds(0), "0.0 s");
  EXPECT_EQ(HumanSeconds(0.42), "0.4 s");
  EXPECT_EQ(HumanSeconds(12.5), "12 s");
  EXPECT_EQ(HumanSeconds(185), "3m 05s");
  EXPECT_EQ(HumanSeconds(2 * 3600 + 3 * 60 + 59), "2h 03m");
  EXPECT_EQ(HumanSeconds(86400 + 4 * 3600 + 1), "1d 04h");

  EXPECT_EQ(HumanRate(-1), "-");
  EXPECT_EQ(HumanRate(0), "0");
  EXPECT_EQ(HumanRate(3.54), "3.5");
  EXPECT_EQ(HumanRate(120.4), "120");
}

Ran Top(std::vector<std::string> args, const std::vector<std::string>& environ = {}) {
  args.insert(args.begin(), "top");
  return Tool(args, environ);
}

// A loopback port nothing listens on (bound a moment ago, then closed).
uint16_t ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(TopTool, BadUsageExits2AndHelpExits0) {
  Ran r = Top({"--interval", "5"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--interval 5: expected milliseconds"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("usage: respite top"), std::string::npos) << r.err;
  EXPECT_EQ(Top({"--interval"}).code, 2);
  EXPECT_EQ(Top({"--interval=1s"}).code, 2);
  EXPECT_EQ(Top({"--admin", "no-port"}).code, 2);
  EXPECT_EQ(Top({"--admin", "127.0.0.1:70000"}).code, 2);
  EXPECT_EQ(Top({"--bogus"}).code, 2);
  EXPECT_EQ(Top({"extra"}).code, 2);
  r = Top({"--once"}, {"RESPITE_ADMIN=off"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("the admin endpoint is off"), std::string::npos) << r.err;

  r = Top({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("usage: respite top [--admin HOST:PORT]", 0), 0u) << r.out;
}

TEST(TopTool, OnceAgainstNothingExits1WithTheEndpointAndTheError) {
  const std::string admin = "127.0.0.1:" + std::to_string(ClosedPort());
  Ran r = Top({"--once", "--admin=" + admin, "--interval=250", "--token", "t"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "respite: cannot reach respite admin at " + admin + ": connect: Connection refused\n");
  // RESPITE_ADMIN when --admin is absent; --admin wins over it.
  r = Top({"--once"}, {"RESPITE_ADMIN=" + admin});
  EXPECT_NE(r.err.find("at " + admin + ":"), std::string::npos) << r.err;
  r = Top({"--once", "--admin", "[::1]:" + std::to_string(ClosedPort())},
          {"RESPITE_ADMIN=" + admin});
  EXPECT_NE(r.err.find("at [::1]:"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace respite::cli
