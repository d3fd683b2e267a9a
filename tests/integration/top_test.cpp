// `respite top` against a real respite serving locally in front of a dead upstream (so it
// journals). The live view runs under a real pseudo-terminal (util-linux `script`): the test
// types 'q' into it, or SIGTERMs it, and checks what was drawn, that the terminal mode is what it
// was before, and the exit code. --once and an unreachable endpoint run as plain subprocesses.

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/client.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/respite_process.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr std::string_view kClearHome = "\x1b[H\x1b[2J";
constexpr std::string_view kHideCursor = "\x1b[?25l";
constexpr std::string_view kShowCursor = "\x1b[?25h";

// The lines of `text` with any '\r' (the pty's ONLCR) removed.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  for (char c : text) {
    if (c == '\r') continue;
    if (c == '\n') {
      lines.push_back(line);
      line.clear();
    } else {
      line.push_back(c);
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

// The first line of `text` that starts with `prefix`, or "".
std::string LineStartingWith(const std::string& text, const std::string& prefix) {
  for (const std::string& line : Lines(text)) {
    if (line.rfind(prefix, 0) == 0) return line;
  }
  return "";
}

// The screens drawn by the live view: what follows each clear-and-home.
std::vector<std::string> Frames(const std::string& output) {
  std::vector<std::string> frames;
  size_t at = output.find(kClearHome);
  while (at != std::string::npos) {
    const size_t start = at + kClearHome.size();
    const size_t next = output.find(kClearHome, start);
    frames.push_back(output.substr(start, next == std::string::npos ? next : next - start));
    at = next;
  }
  return frames;
}

// Single-quotes `s` for sh.
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

bool HaveScript() { return std::system("command -v script >/dev/null 2>&1") == 0; }

class TopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RespiteOptions options;
    options.upstream_url = "redis://127.0.0.1:" + std::to_string(dead_port_);
    options.log_level = "info";
    options.wait_for_pong = false;
    options.env = {"RESPITE_HEALTH_INTERVAL_MS=100", "RESPITE_HEALTH_TIMEOUT_MS=100"};
    respite_ = std::make_unique<RespiteProcess>(std::move(options));
    ASSERT_EQ(respite_->Start(), "");
    admin_ = "127.0.0.1:" + std::to_string(respite_->admin_port());

    Client c = respite_->Connect();
    ASSERT_TRUE(c.ok()) << c.error();
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(c.Command({"SET", "k" + std::to_string(i), "v"}).IsStatus("OK")) << i;
    }
    ASSERT_TRUE(WaitFor(
        [&] {
          try {
            const json::object s = Status().as_object();
            return s.at("state").as_string() == "local" &&
                   s.at("journal").as_object().at("entries").to_number<int64_t>() == 50;
          } catch (const std::exception&) {  // not (yet) the JSON expected
            return false;
          }
        },
        10s))
        << HttpRequest(respite_->admin_port(), "GET", "/status").body;
  }

  void TearDown() override {
    if (HasFailure() && respite_) {
      std::cerr << "---- respite log ----\n" << respite_->Log() << "\n----\n";
    }
  }

  json::value Status() {
    const HttpResponse r = HttpRequest(respite_->admin_port(), "GET", "/status");
    json::error_code ec;
    json::value v = json::parse(r.body, ec);
    return ec ? json::value() : v;
  }

  // Writes a shell script that prints the tty mode, runs `top_command`, prints its exit code and
  // the tty mode again; returns the command that runs it under a pseudo-terminal.
  std::string UnderPty(const std::string& top_command) {
    const std::string path = tmp_.File("drive-" + std::to_string(++runs_) + ".sh");
    std::ofstream(path) << "echo \"tty-before: $(stty -g)\"\n"
                        << top_command << "\n"
                        << "echo \"top-exit: $?\"\n"
                        << "echo \"tty-after: $(stty -g)\"\n";
    return "script -qfec " + ShellQuote("sh " + path) + " /dev/null";
  }

  std::string TopCommand(const std::string& admin) {
    return ShellQuote(RespiteBinary()) + " top --admin " + admin + " --interval 200";
  }

  struct Ran {
    std::optional<ExitStatus> status;
    std::string output;
  };
  Ran Run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 30s) {
    Ran ran;
    const std::string log = tmp_.File("run-" + std::to_string(++runs_) + ".log");
    std::string error;
    ran.status = RunToCompletion(argv, log, timeout, &error);
    ran.output = ReadFile(log) + error;
    return ran;
  }

  // Checks what the pty printed around top: the tty mode before and after, top's exit code.
  static void ExpectTerminalRestored(const std::string& output) {
    const std::string before = LineStartingWith(output, "tty-before: ");
    const std::string after = LineStartingWith(output, "tty-after: ");
    ASSERT_NE(before, "") << output;
    EXPECT_GT(before.size(), std::string("tty-before: ").size()) << "stty -g printed nothing";
    EXPECT_EQ(after.substr(after.find(':')), before.substr(before.find(':')))
        << "respite top left the terminal in another mode";
    // The shell's line follows the cursor-show sequence on the same line.
    EXPECT_NE(output.find(std::string(kShowCursor) + "top-exit: 0\r\n"), std::string::npos)
        << output;
    const size_t shown = output.rfind(kShowCursor);
    ASSERT_NE(shown, std::string::npos) << "the cursor was not shown again";
    EXPECT_GT(shown, output.rfind(kClearHome)) << "the cursor was shown before the last frame";
  }

  TempDir tmp_{"respite-top"};
  uint16_t dead_port_ = FreePort();  // nothing listens here
  std::unique_ptr<RespiteProcess> respite_;
  std::string admin_;
  int runs_ = 0;
};

TEST_F(TopTest, LiveViewRefreshesUntilQIsTypedAndRestoresTheTerminal) {
  ASSERT_TRUE(HaveScript()) << "util-linux script (bsdutils) is needed: deploy/install-deps.sh";
  // Reads while top watches: the local ops/s are above zero, and nothing more is journaled.
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    Client c = respite_->Connect();
    while (c.ok() && !stop.load()) {
      c.Command({"GET", "k1"});
      std::this_thread::sleep_for(2ms);
    }
  });
  // 'q' after about 1.5 s of drawing (stdin of script is the typing).
  const Ran ran = Run({"sh", "-c", "(sleep 1.5; printf q) | " + UnderPty(TopCommand(admin_))});
  stop = true;
  reader.join();
  ASSERT_TRUE(ran.status.has_value()) << ran.output;
  EXPECT_TRUE(ran.status->Success()) << ran.status->ToString() << "\n" << ran.output;

  const std::vector<std::string> frames = Frames(ran.output);
  ASSERT_GE(frames.size(), 3u) << "expected a redraw every 200 ms:\n" << ran.output;
  EXPECT_NE(ran.output.find(kHideCursor), std::string::npos);
  const std::string& last = frames.back();
  EXPECT_EQ(LineStartingWith(last, "respite top - admin "), "respite top - admin " + admin_);
  EXPECT_EQ(LineStartingWith(last, "state").rfind("state        local for ", 0), 0u) << last;
  EXPECT_EQ(LineStartingWith(last, "journal").rfind("journal      50 entries  ", 0), 0u) << last;
  EXPECT_NE(LineStartingWith(last, "upstream").find("DOWN"), std::string::npos) << last;
  EXPECT_NE(LineStartingWith(last, "q to quit"), "") << last;
  // The first frame has no rate yet; a later one shows the reads as local ops/s.
  EXPECT_EQ(LineStartingWith(frames.front(), "ops/s"), "ops/s        forward -  local -  proxy -");
  const std::string ops = LineStartingWith(last, "ops/s");
  const size_t local = ops.find("local ");
  ASSERT_NE(local, std::string::npos) << last;
  const double local_rate = std::atof(ops.c_str() + local + 6);
  EXPECT_GT(local_rate, 0) << ops;
  EXPECT_NE(ops.find("forward 0"), std::string::npos) << ops;

  ExpectTerminalRestored(ran.output);
}

TEST_F(TopTest, SigtermEndsTheLiveViewOfAnUnreachableEndpointAndRestoresTheTerminal) {
  ASSERT_TRUE(HaveScript()) << "util-linux script (bsdutils) is needed: deploy/install-deps.sh";
  const std::string dead_admin = "127.0.0.1:" + std::to_string(dead_port_);
  // The inner shell becomes top (exec), so $$ is top's pid; SIGTERM after about 1 s.
  const std::string top = "sh -c '(sleep 1; kill -TERM $$) & exec \"$0\" \"$@\"' " +
                          ShellQuote(RespiteBinary()) + " top --admin " + dead_admin +
                          " --interval 200";
  const Ran ran = Run({"sh", "-c", UnderPty(top)});
  ASSERT_TRUE(ran.status.has_value()) << ran.output;
  EXPECT_TRUE(ran.status->Success()) << ran.status->ToString() << "\n" << ran.output;

  const std::vector<std::string> frames = Frames(ran.output);
  ASSERT_GE(frames.size(), 2u) << "it must keep retrying:\n" << ran.output;
  EXPECT_EQ(LineStartingWith(frames.back(), "cannot reach"),
            "cannot reach respite admin at " + dead_admin + ": connect: Connection refused");
  ExpectTerminalRestored(ran.output);
}

TEST_F(TopTest, OncePrintsOneFrameWithoutScreenControl) {
  const Ran ran = Run({RespiteBinary(), "top", "--admin", admin_, "--once"});
  ASSERT_TRUE(ran.status.has_value()) << ran.output;
  EXPECT_TRUE(ran.status->Success()) << ran.status->ToString() << "\n" << ran.output;
  EXPECT_EQ(ran.output.find('\x1b'), std::string::npos) << ran.output;
  EXPECT_EQ(LineStartingWith(ran.output, "state").rfind("state        local for ", 0), 0u)
      << ran.output;
  EXPECT_EQ(LineStartingWith(ran.output, "journal").rfind("journal      50 entries  ", 0), 0u)
      << ran.output;
  EXPECT_EQ(LineStartingWith(ran.output, "ops/s"), "ops/s        forward -  local -  proxy -");
  EXPECT_EQ(LineStartingWith(ran.output, "dead letters"), "dead letters 0");
  EXPECT_EQ(LineStartingWith(ran.output, "q to quit"), "");

  // RESPITE_ADMIN names the endpoint when --admin does not.
  Process p;
  const std::string log = tmp_.File("env.log");
  ASSERT_EQ(p.Start({RespiteBinary(), "top", "--once"}, log, {"RESPITE_ADMIN=" + admin_}), "");
  const std::optional<ExitStatus> status = p.Wait(30s);
  ASSERT_TRUE(status.has_value()) << ReadFile(log);
  EXPECT_TRUE(status->Success()) << ReadFile(log);
  EXPECT_EQ(LineStartingWith(ReadFile(log), "respite top - admin "),
            "respite top - admin " + admin_);
}

TEST_F(TopTest, OnceAgainstAnUnreachableEndpointSaysSoAndExits1) {
  const std::string dead_admin = "127.0.0.1:" + std::to_string(dead_port_);
  const Ran ran = Run({RespiteBinary(), "top", "--admin", dead_admin, "--once"});
  ASSERT_TRUE(ran.status.has_value()) << ran.output;
  EXPECT_TRUE(ran.status->exited);
  EXPECT_EQ(ran.status->code, 1) << ran.output;
  EXPECT_EQ(ran.output, "respite: cannot reach respite admin at " + dead_admin +
                            ": connect: Connection refused\n");
  // The client port answers RESP, not HTTP: that is said too.
  const Ran wrong = Run({RespiteBinary(), "top", "--once", "--admin",
                         "127.0.0.1:" + std::to_string(respite_->port())});
  ASSERT_TRUE(wrong.status.has_value()) << wrong.output;
  EXPECT_EQ(wrong.status->code, 1) << wrong.output;
  EXPECT_NE(wrong.output.find("cannot reach respite admin at 127.0.0.1:"), std::string::npos)
      << wrong.output;
}

}  // namespace
}  // namespace respite::test
