// The admin surface under a real failover (DESIGN.md "Admin and observability"): a real
// redis-server is killed and restarted while a real HTTP client reads /readyz, /status and
// /metrics, and a RESP client uses RESPITE ... and INFO. /metrics is checked with a strict parser
// of the Prometheus text format at every step, not by eye.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/client.h"
#include "tests/support/http_client.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/redis_server.h"
#include "tests/support/respite_process.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kToken = "s3cret-token";

RespiteOptions AdminOptions(const std::string& upstream_url) {
  RespiteOptions options;
  options.upstream_url = upstream_url;
  options.log_level = "info";
  options.env = {
      "RESPITE_HEALTH_INTERVAL_MS=100",     "RESPITE_HEALTH_TIMEOUT_MS=100",
      "RESPITE_HEALTH_UNHEALTHY_AFTER=2",   "RESPITE_HEALTH_HEALTHY_AFTER=2",
      "RESPITE_BREAKER_FAILURES=2",         "RESPITE_BREAKER_BACKOFF_BASE_MS=200",
      "RESPITE_BREAKER_BACKOFF_MAX_MS=400", std::string("RESPITE_ADMIN_TOKEN=") + kToken};
  return options;
}

// The value of "key": <number or string> in the flat or nested JSON of /status (first match).
std::string JsonField(const std::string& json, const std::string& key) {
  const std::string needle = "\"" + key + "\":";
  const size_t at = json.find(needle);
  if (at == std::string::npos) return "";
  size_t start = at + needle.size();
  if (json[start] == '"') {
    const size_t end = json.find('"', start + 1);
    return json.substr(start + 1, end - start - 1);
  }
  size_t end = start;
  while (end < json.size() && json[end] != ',' && json[end] != '}') ++end;
  return json.substr(start, end - start);
}

class AdminTest : public ::testing::Test {
 protected:
  void StartStack(RedisOptions redis_options = {}) {
    redis_ = std::make_unique<RedisServer>(std::move(redis_options));
    ASSERT_EQ(redis_->Start(), "");
    respite_ = std::make_unique<RespiteProcess>(AdminOptions(redis_->Url()));
    ASSERT_EQ(respite_->Start(), "");
  }

  HttpResponse Get(const std::string& path) {
    return HttpRequest(respite_->admin_port(), "GET", path);
  }
  HttpResponse Post(const std::string& path, bool with_token = true) {
    return HttpRequest(respite_->admin_port(), "POST", path,
                       with_token ? std::string("Bearer ") + kToken : "");
  }
  std::string Status(const std::string& key) { return JsonField(Get("/status").body, key); }

  // /metrics parsed; fails the test when the text is not valid exposition format.
  PrometheusText Metrics() {
    HttpResponse r = Get("/metrics");
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_NE(r.headers["content-type"].find("text/plain; version=0.0.4"), std::string::npos);
    PrometheusText parsed = ParsePrometheusText(r.body);
    EXPECT_EQ(parsed.error, "") << r.body;
    return parsed;
  }

  bool WaitState(const std::string& state, std::chrono::milliseconds timeout = 20s) {
    return WaitFor([&] { return Status("state") == state; }, timeout);
  }

  void TearDown() override {
    if (HasFailure() && respite_) {
      std::cerr << "---- respite log ----\n" << ReadFile(respite_->process().log_path());
    }
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<RespiteProcess> respite_;
};

TEST_F(AdminTest, ProbesStatusAndMetricsTellTheTruthThroughAFailover) {
  ASSERT_NO_FATAL_FAILURE(StartStack());
  EXPECT_EQ(Get("/healthz").status, 200);
  EXPECT_EQ(Get("/readyz").status, 200);
  ASSERT_TRUE(WaitFor([&] { return Status("up") == "true"; }, 10s)) << Get("/status").body;
  EXPECT_EQ(Status("state"), "forward");
  Client c = respite_->Connect();
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(c.Command({"SET", "f" + std::to_string(i), "v"}));
  PrometheusText m = Metrics();
  EXPECT_EQ(m.Value("respite_state{state=\"forward\"}"), 1);
  EXPECT_EQ(m.Value("respite_upstream_up"), 1);
  EXPECT_GE(m.Value("respite_commands_total{path=\"forward\",cmd=\"set\"}"), 50);
  EXPECT_GE(m.Value("respite_command_duration_seconds_count{path=\"forward\"}"), 50);
  EXPECT_EQ(m.types["respite_command_duration_seconds"], "histogram");
  EXPECT_EQ(m.Value("respite_journal_entries"), 0);

  // Upstream dies: local, writes journaled; every surface says so.
  redis_->Kill();
  ASSERT_TRUE(WaitState("local")) << Get("/status").body;
  EXPECT_EQ(Get("/readyz").status, 200);  // fallback.mode full: still serving
  Client local = respite_->Connect();
  ASSERT_TRUE(local.ok());
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(local.Command({"SET", "k" + std::to_string(i), "v"}).IsStatus("OK")) << i;
  }
  ASSERT_TRUE(WaitFor([&] { return Status("entries") == "200"; }, 5s)) << Get("/status").body;
  const std::string status = Get("/status").body;
  EXPECT_EQ(JsonField(status, "up"), "false");
  EXPECT_NE(JsonField(status, "last_reason"), "");
  EXPECT_EQ(JsonField(status, "url"), redis_->Url());
  EXPECT_NE(status.find("\"admin_token\":\"(set)\""), std::string::npos) << status;
  EXPECT_EQ(status.find(kToken), std::string::npos) << "the admin token leaked into /status";
  m = Metrics();
  EXPECT_EQ(m.Value("respite_state{state=\"local\"}"), 1);
  EXPECT_EQ(m.Value("respite_upstream_up"), 0);
  EXPECT_EQ(m.Value("respite_journal_entries"), 200);
  EXPECT_GT(m.Value("respite_journal_bytes"), 200 * 10);
  EXPECT_GE(m.Value("respite_commands_total{path=\"local\",cmd=\"set\"}"), 200);
  EXPECT_TRUE(WaitFor(
      [&] { return Metrics().Value("respite_health_checks_total{result=\"fail\"}") >= 2; }, 5s));

  // RESP: RESPITE and INFO say the same.
  EXPECT_TRUE(local.Command({"RESPITE", "JOURNAL", "LEN"}).IsInteger(200));
  Reply peek = local.Command({"RESPITE", "JOURNAL", "PEEK", "2"});
  ASSERT_TRUE(peek.IsArray(2)) << peek.Describe();
  EXPECT_EQ(DescribeReply(peek->element[0]->element[3]), R"(["SET","k0","v"])");
  EXPECT_EQ(DescribeReply(peek->element[1]->element[3]), R"(["SET","k1","v"])");
  Reply info = local.Command({"INFO"});
  ASSERT_TRUE(info && info->type == REDIS_REPLY_STRING) << info.Describe();
  const std::string info_text(info->str, info->len);
  EXPECT_NE(info_text.find("# respite\r\nrespite_state:local\r\n"), std::string::npos) << info_text;
  EXPECT_NE(info_text.find("respite_journal_entries:200\r\n"), std::string::npos) << info_text;
  Reply status_reply = local.Command({"RESPITE", "STATUS"});
  ASSERT_TRUE(status_reply) << status_reply.Describe();
  EXPECT_NE(std::string(status_reply->str, status_reply->len).find("respite_state:local"),
            std::string::npos);
  EXPECT_TRUE(local.Command({"RESPITE", "NOPE"}).IsErrorPrefix("ERR usage: RESPITE"));

  // Upstream back: the journal drains to 0, replay counters move, forwarding again.
  ASSERT_EQ(redis_->Restart(), "");
  ASSERT_TRUE(WaitState("forward")) << Get("/status").body;
  ASSERT_TRUE(WaitFor([&] { return Status("entries") == "0"; }, 5s)) << Get("/status").body;
  EXPECT_EQ(Status("last_entries"), "200");
  m = Metrics();
  EXPECT_EQ(m.Value("respite_state{state=\"forward\"}"), 1);
  EXPECT_EQ(m.Value("respite_journal_entries"), 0);
  EXPECT_GE(m.Value("respite_replay_entries_total"), 200);
  EXPECT_GE(m.Value("respite_replay_duration_seconds_count"), 1);
  EXPECT_GE(m.Value("respite_state_transitions_total"), 3);
  Client direct = redis_->Connect();
  EXPECT_TRUE(direct.Command({"GET", "k199"}).IsString("v"));
}

TEST_F(AdminTest, ModeAndSyncNeedTheTokenAndWork) {
  ASSERT_NO_FATAL_FAILURE(StartStack());
  ASSERT_TRUE(WaitFor([&] { return Status("up") == "true"; }, 10s));
  EXPECT_EQ(Post("/mode/local", /*with_token=*/false).status, 401);
  EXPECT_EQ(HttpRequest(respite_->admin_port(), "POST", "/mode/local", "Bearer wrong").status, 401);
  EXPECT_EQ(Status("state"), "forward");
  EXPECT_EQ(Get("/mode/local").status, 405);
  EXPECT_EQ(Post("/mode/sideways").status, 400);
  EXPECT_EQ(Get("/nowhere").status, 404);

  HttpResponse pinned = Post("/mode/local");
  EXPECT_EQ(pinned.status, 200) << pinned.body;
  EXPECT_EQ(JsonField(pinned.body, "state"), "local");
  Client c = respite_->Connect();
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c.Command({"SET", "pinned", "1"}).IsStatus("OK"));
  Client direct = redis_->Connect();
  EXPECT_TRUE(direct.Command({"GET", "pinned"}).IsNil()) << "a pinned-local write went upstream";
  EXPECT_EQ(JsonField(Post("/sync").body, "result"),
            "mode is pinned to local: set mode auto or forward first");

  // Back to auto over RESP: the same token, given once per connection (reading needs none).
  EXPECT_TRUE(c.Command({"RESPITE", "MODE"}).IsString("local"));
  Reply refused = c.Command({"RESPITE", "MODE", "auto"});
  EXPECT_TRUE(
      refused.IsErrorPrefix("NOPERM RESPITE MODE changes respite's state: the admin token "
                            "is needed (RESPITE TOKEN <token>)"))
      << refused.Describe();
  EXPECT_TRUE(c.Command({"RESPITE", "SYNC"}).IsErrorPrefix("NOPERM"));
  EXPECT_TRUE(c.Command({"RESPITE", "TOKEN", "wrong"}).IsErrorPrefix("WRONGPASS"));
  EXPECT_EQ(Status("state"), "local");
  EXPECT_TRUE(c.Command({"RESPITE", "TOKEN", kToken}).IsStatus("OK"));
  // The journal replays and respite forwards.
  EXPECT_TRUE(c.Command({"RESPITE", "MODE", "auto"}).IsStatus("OK"));
  ASSERT_TRUE(WaitState("forward")) << Get("/status").body;
  EXPECT_TRUE(direct.Command({"GET", "pinned"}).IsString("1"));
  EXPECT_EQ(JsonField(Post("/sync").body, "result"), "nothing to replay: forwarding");
  EXPECT_TRUE(c.Command({"RESPITE", "SYNC"}).IsStatus("nothing to replay: forwarding"));
}

// Replay that keeps failing (upstream refuses MULTI) opens the breaker: /status and /metrics show
// it, entries are still pending, and respite keeps serving locally.
TEST_F(AdminTest, BreakerOpensWhenReplayKeepsFailing) {
  RedisOptions no_multi;
  no_multi.extra_args = {"--rename-command", "MULTI", ""};
  ASSERT_NO_FATAL_FAILURE(StartStack(no_multi));
  ASSERT_EQ(Post("/mode/local").status, 200);
  Client c = respite_->Connect();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c.Command({"INCR", "n"}).IsInteger(i + 1));
  ASSERT_EQ(Post("/mode/auto").status, 200);
  ASSERT_TRUE(WaitFor(
      [&] {
        return Get("/status").body.find("\"breaker\":{\"state\":\"open\"") != std::string::npos;
      },
      20s))
      << Get("/status").body;
  PrometheusText m = Metrics();
  EXPECT_EQ(m.Value("respite_breaker_state"), 1);
  EXPECT_GE(m.Value("respite_breaker_opened_total"), 1);
  EXPECT_EQ(m.Value("respite_journal_entries"), 10);
  EXPECT_EQ(m.Value("respite_state{state=\"forward\"}"), 0);
  EXPECT_TRUE(c.Command({"INCR", "n"}).IsInteger(11));  // still served locally
}

// An entry upstream refuses at replay (WRONGTYPE) is listed by RESPITE JOURNAL DEADLETTERS and
// counted in /metrics; once the operator fixed the key, RETRY plus SYNC applies it while respite
// keeps forwarding.
TEST_F(AdminTest, DeadLettersAreListedAndRetried) {
  ASSERT_NO_FATAL_FAILURE(StartStack());
  Client direct = redis_->Connect();
  ASSERT_TRUE(direct.Command({"SET", "dl", "a string"}).IsStatus("OK"));
  ASSERT_EQ(Post("/mode/local").status, 200);
  Client c = respite_->Connect();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Command({"RPUSH", "dl", "x"}).IsInteger(1));  // the local store has no "dl"
  ASSERT_TRUE(c.Command({"SET", "after", "1"}).IsStatus("OK"));
  ASSERT_EQ(Post("/mode/auto").status, 200);
  ASSERT_TRUE(WaitState("forward")) << Get("/status").body;
  EXPECT_TRUE(direct.Command({"GET", "after"}).IsString("1"));  // the rest of the batch applied
  ASSERT_TRUE(WaitFor([&] { return Metrics().Value("respite_deadletter_entries") == 1; }, 5s));
  Reply letters = c.Command({"RESPITE", "JOURNAL", "DEADLETTERS"});
  ASSERT_TRUE(letters.IsArray(1)) << letters.Describe();
  EXPECT_EQ(std::string(letters->element[0]->element[0]->str).rfind("WRONGTYPE", 0), 0u)
      << letters.Describe();
  EXPECT_EQ(DescribeReply(letters->element[0]->element[2]->element[3]), R"(["RPUSH","dl","x"])");

  ASSERT_TRUE(direct.Command({"DEL", "dl"}).IsInteger(1));
  EXPECT_TRUE(c.Command({"RESPITE", "JOURNAL", "RETRY"}).IsErrorPrefix("NOPERM"));
  ASSERT_TRUE(c.Command({"RESPITE", "TOKEN", kToken}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"RESPITE", "JOURNAL", "RETRY"}).IsInteger(1));
  EXPECT_TRUE(c.Command({"RESPITE", "JOURNAL", "DEADLETTERS"}).IsArray(0));
  ASSERT_TRUE(WaitFor([&] { return c.Command({"RESPITE", "JOURNAL", "LEN"}).IsInteger(1); }, 5s));
  ASSERT_TRUE(WaitFor([&] { return Status("entries") == "1"; }, 5s)) << Get("/status").body;
  EXPECT_EQ(JsonField(Post("/sync").body, "result"), "replaying 1 entries while forwarding");
  ASSERT_TRUE(WaitFor([&] { return Status("entries") == "0"; }, 5s)) << Get("/status").body;
  Reply list = direct.Command({"LRANGE", "dl", "0", "-1"});
  EXPECT_EQ(list.Describe(), R"(["x"])");
  EXPECT_EQ(Status("state"), "forward");
  EXPECT_EQ(Metrics().Value("respite_deadletter_entries"), 0);
}

// An entry upstream refuses to even queue (here HSET, renamed away) aborts its whole batch
// (EXECABORT): it goes to the dead letters and the rest of the batch is sent again and applies.
TEST_F(AdminTest, EntryRefusedAtQueueTimeIsDeadLetteredAndTheRestReplays) {
  RedisOptions renamed;
  renamed.extra_args = {"--rename-command", "HSET", ""};
  ASSERT_NO_FATAL_FAILURE(StartStack(renamed));
  ASSERT_EQ(Post("/mode/local").status, 200);
  Client c = respite_->Connect();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Command({"SET", "q:before", "1"}).IsStatus("OK"));
  ASSERT_TRUE(c.Command({"HSET", "q:h", "f", "v"}).IsInteger(1));
  ASSERT_TRUE(c.Command({"SET", "q:after", "2"}).IsStatus("OK"));
  ASSERT_EQ(Post("/mode/auto").status, 200);
  ASSERT_TRUE(WaitState("forward")) << Get("/status").body;
  Client direct = redis_->Connect();
  EXPECT_TRUE(direct.Command({"GET", "q:before"}).IsString("1"));
  EXPECT_TRUE(direct.Command({"GET", "q:after"}).IsString("2"));
  Reply letters = c.Command({"RESPITE", "JOURNAL", "DEADLETTERS"});
  ASSERT_TRUE(letters.IsArray(1)) << letters.Describe();
  EXPECT_NE(std::string(letters->element[0]->element[0]->str).find("unknown command"),
            std::string::npos)
      << letters.Describe();
  EXPECT_EQ(Status("entries"), "0");
}

// fallback.mode off: nothing serves while upstream is down, and /readyz says so.
TEST_F(AdminTest, ReadyzIs503WhenNothingCanServe) {
  redis_ = std::make_unique<RedisServer>();
  ASSERT_EQ(redis_->Start(), "");
  RespiteOptions options = AdminOptions(redis_->Url());
  options.env.push_back("RESPITE_FALLBACK_MODE=off");
  respite_ = std::make_unique<RespiteProcess>(options);
  ASSERT_EQ(respite_->Start(), "");
  ASSERT_TRUE(WaitFor([&] { return Get("/readyz").status == 200; }, 10s));
  redis_->Kill();
  ASSERT_TRUE(WaitFor([&] { return Get("/readyz").status == 503; }, 10s)) << Get("/status").body;
  EXPECT_NE(Get("/readyz").body.find("fallback.mode is off"), std::string::npos);
  EXPECT_EQ(Get("/healthz").status, 200);
  PrometheusText m = Metrics();
  EXPECT_EQ(m.Value("respite_ready"), 0);
}

// SIGHUP re-reads the config file: the log level changes at once, other changes are named as
// needing a restart, and respite keeps serving throughout.
TEST_F(AdminTest, SighupReloadsTheLogLevelAndNamesWhatNeedsARestart) {
  redis_ = std::make_unique<RedisServer>();
  ASSERT_EQ(redis_->Start(), "");
  TempDir dir("respite-reload");
  const std::string path = dir.File("respite.yaml");
  auto write = [&](const std::string& text) { std::ofstream(path, std::ios::trunc) << text; };
  write("log:\n  level: warn\nlimits:\n  max_clients: 100\n");
  RespiteOptions options = AdminOptions(redis_->Url());
  options.log_level = "";  // the file decides
  options.config_file = path;
  respite_ = std::make_unique<RespiteProcess>(options);
  ASSERT_EQ(respite_->Start(), "");
  write("log:\n  level: debug\n  format: json\nlimits:\n  max_clients: 200\n");
  ASSERT_TRUE(respite_->process().Signal(SIGHUP));
  auto log = [&] { return ReadFile(respite_->process().log_path()); };
  ASSERT_TRUE(WaitFor([&] { return log().find("config reloaded") != std::string::npos; }, 5s))
      << log();
  EXPECT_NE(log().find(R"("msg":"SIGHUP: config reloaded: log level debug, format json")"),
            std::string::npos)
      << log();
  EXPECT_NE(log().find("take a restart to apply: limits.max_clients"), std::string::npos) << log();
  // A bad file changes nothing and says why.
  write("log:\n  level: loud\n");
  ASSERT_TRUE(respite_->process().Signal(SIGHUP));
  EXPECT_TRUE(WaitFor([&] { return log().find("config not reloaded") != std::string::npos; }, 5s))
      << log();
  Client c = respite_->Connect();
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c.Command({"PING"}).IsStatus("PONG"));
}

// The shipped Grafana dashboard and alert rules parse, and use only metrics respite exports.
TEST_F(AdminTest, DashboardAndAlertsUseOnlyExportedMetrics) {
  ASSERT_NO_FATAL_FAILURE(StartStack());
  ASSERT_TRUE(WaitFor([&] { return Status("up") == "true"; }, 10s));
  Client c = respite_->Connect();
  ASSERT_TRUE(c.Command({"SET", "a", "1"}));
  PrometheusText m = Metrics();
  const std::string dashboard =
      ReadFile(std::string(RESPITE_SOURCE_DIR) + "/deploy/grafana-dashboard.json");
  const std::string alerts =
      ReadFile(std::string(RESPITE_SOURCE_DIR) + "/deploy/prometheus-alerts.yaml");
  ASSERT_FALSE(dashboard.empty());
  ASSERT_FALSE(alerts.empty());
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(dashboard, ec);
  ASSERT_FALSE(ec) << "grafana-dashboard.json: " << ec.message();
  EXPECT_GE(parsed.at("panels").as_array().size(), 10u);
  YAML::Node rules = YAML::Load(alerts);
  ASSERT_TRUE(rules["groups"][0]["rules"].IsSequence());
  EXPECT_GE(rules["groups"][0]["rules"].size(), 6u);
  size_t checked = 0;
  for (const std::string& text : {dashboard, alerts}) {
    const std::regex name("respite_[a-z_]+");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), name);
         it != std::sregex_iterator(); ++it) {
      std::string family = it->str();
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        const std::string s(suffix);
        if (family.size() > s.size() && family.ends_with(s) &&
            m.types.count(family.substr(0, family.size() - s.size()))) {
          family.resize(family.size() - s.size());
        }
      }
      EXPECT_TRUE(m.types.count(family)) << it->str() << " is not exported";
      ++checked;
    }
  }
  EXPECT_GT(checked, 20u);
}

TEST(PrometheusTextParser, RejectsWhatPrometheusWouldReject) {
  const std::string ok =
      "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 3\n"
      "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"0.1\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
      "h_sum 0.3\nh_count 2\n";
  EXPECT_EQ(ParsePrometheusText(ok).error, "");
  EXPECT_EQ(ParsePrometheusText(ok).Value("a_total{x=\"1\"}"), 3);
  // No TYPE; duplicate series; bad value; bad label; non-cumulative and +Inf != count.
  EXPECT_NE(ParsePrometheusText("# HELP b B.\nb 1\n").error, "");
  EXPECT_NE(ParsePrometheusText("# HELP b B.\n# TYPE b gauge\nb 1\nb 2\n").error, "");
  EXPECT_NE(ParsePrometheusText("# HELP b B.\n# TYPE b gauge\nb one\n").error, "");
  EXPECT_NE(ParsePrometheusText("# HELP b B.\n# TYPE b gauge\nb{x=1} 1\n").error, "");
  EXPECT_NE(ParsePrometheusText("# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                                "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n")
                .error,
            "");
  EXPECT_NE(ParsePrometheusText("# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\n"
                                "h_sum 1\nh_count 3\n")
                .error,
            "");
  EXPECT_NE(ParsePrometheusText("# HELP b B.\n# TYPE b gauge\nb 1").error, "");  // no newline
}

}  // namespace
}  // namespace respite::test
