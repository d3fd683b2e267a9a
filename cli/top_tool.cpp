// `respite top`: one screen that refreshes from a running respite's admin endpoint. The frame is
// rendered by pure functions (RenderTopFrame); RunTop fetches, draws and reads the keyboard.

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>

#include "cli/http_get.h"
#include "cli/tool.h"
#include "cli/top.h"
#include "config/loader.h"

namespace respite::cli {

namespace {

namespace json = boost::json;

constexpr std::string_view kDefaultAdmin = "127.0.0.1:9121";
constexpr int kDefaultIntervalMs = 1000;
constexpr int kMinIntervalMs = 100;
constexpr int kMaxIntervalMs = 3600 * 1000;
// Each GET is bounded by this; a hung respite (SIGSTOP) shows as "timed out" after it.
constexpr std::chrono::milliseconds kFetchTimeout{2000};
constexpr int kLabelWidth = 13;

// ANSI: clear the screen and home the cursor; hide and show the cursor.
constexpr std::string_view kClearHome = "\x1b[H\x1b[2J";
constexpr std::string_view kHideCursor = "\x1b[?25l";
constexpr std::string_view kShowCursor = "\x1b[?25h";

std::string Format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// The member at `path` under `root`, or nullptr.
const json::value* Find(const json::value& root, std::initializer_list<std::string_view> path) {
  const json::value* v = &root;
  for (std::string_view key : path) {
    const json::object* o = v->if_object();
    if (o == nullptr) return nullptr;
    v = o->if_contains(key);
    if (v == nullptr) return nullptr;
  }
  return v;
}

double Num(const json::value& root, std::initializer_list<std::string_view> path) {
  const json::value* v = Find(root, path);
  if (v == nullptr) return 0;
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  if (v->is_double()) return v->get_double();
  return 0;
}

std::string Str(const json::value& root, std::initializer_list<std::string_view> path) {
  const json::value* v = Find(root, path);
  if (v == nullptr || !v->is_string()) return "?";
  return std::string(v->get_string());
}

bool Bool(const json::value& root, std::initializer_list<std::string_view> path) {
  const json::value* v = Find(root, path);
  return v != nullptr && v->is_bool() && v->get_bool();
}

std::string Line(std::string_view label, std::string_view text) {
  std::string out(label);
  out.resize(kLabelWidth, ' ');
  out.append(text);
  out.push_back('\n');
  return out;
}

std::string Count(double v) { return Format("%.0f", v); }

// Milliseconds as "0.35 ms", "4.2 ms", "120 ms".
std::string Millis(double ms) {
  if (ms < 1) return Format("%.2f ms", ms);
  if (ms < 10) return Format("%.1f ms", ms);
  return Format("%.0f ms", ms);
}

// (current - previous) / elapsed, or -1 (shown "-") without a usable earlier sample.
double Rate(double current, double previous, double elapsed_s, bool valid) {
  if (!valid || elapsed_s <= 0 || current < previous) return -1;
  return (current - previous) / elapsed_s;
}

}  // namespace

std::string HumanBytes(double bytes) {
  if (bytes < 1024) return Format("%.0f B", bytes < 0 ? 0 : bytes);
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = bytes / 1024;
  size_t unit = 0;
  // 1023.96 would print as "1024.0": that is the next unit already.
  while (v >= 1023.95 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  return Format("%.1f ", v) + kUnits[unit];
}

std::string HumanSeconds(double seconds) {
  if (seconds < 0) return "-";
  if (seconds < 10) return Format("%.1f s", seconds);
  if (seconds < 60) return Format("%.0f s", seconds);
  const auto s = static_cast<long long>(seconds);
  char buf[64];
  if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm %02llds", s / 60, s % 60);
  } else if (s < 86400) {
    std::snprintf(buf, sizeof buf, "%lldh %02lldm", s / 3600, s % 3600 / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lldd %02lldh", s / 86400, s % 86400 / 3600);
  }
  return buf;
}

std::string HumanRate(double per_second) {
  if (per_second < 0) return "-";
  if (per_second == 0) return "0";
  if (per_second < 10) return Format("%.1f", per_second);
  return Format("%.0f", per_second);
}

CommandTotals SumCommandTotals(std::string_view metrics_text) {
  constexpr std::string_view kFamily = "respite_commands_total{";
  constexpr std::string_view kPath = "path=\"";
  CommandTotals totals;
  size_t pos = 0;
  while (pos < metrics_text.size()) {
    size_t end = metrics_text.find('\n', pos);
    if (end == std::string_view::npos) end = metrics_text.size();
    const std::string_view line = metrics_text.substr(pos, end - pos);
    pos = end + 1;
    if (line.substr(0, kFamily.size()) != kFamily) continue;
    const size_t close = line.find('}');
    if (close == std::string_view::npos) continue;
    const std::string_view labels = line.substr(kFamily.size(), close - kFamily.size());
    size_t at = labels.find(kPath);
    // Only a label named exactly "path" (not e.g. "subpath").
    while (at != std::string_view::npos && at != 0 && labels[at - 1] != ',') {
      at = labels.find(kPath, at + 1);
    }
    if (at == std::string_view::npos) continue;
    const size_t value_start = at + kPath.size();
    const size_t value_end = labels.find('"', value_start);
    if (value_end == std::string_view::npos) continue;
    const std::string_view path = labels.substr(value_start, value_end - value_start);
    // "name{labels} value [timestamp]"
    const std::string number(line.substr(close + 1));
    char* parsed_end = nullptr;
    const double value = std::strtod(number.c_str(), &parsed_end);
    if (parsed_end == number.c_str()) continue;
    if (path == "forward") totals.forward += value;
    if (path == "local") totals.local += value;
    if (path == "proxy") totals.proxy += value;
  }
  return totals;
}

std::string RenderUnreachableFrame(std::string_view admin, std::string_view error, bool live) {
  std::string out = "respite top - admin " + std::string(admin) + "\n\n";
  out += "cannot reach respite admin at " + std::string(admin) + ": " + std::string(error) + "\n";
  if (live) out += "\nretrying; q to quit\n";
  return out;
}

TopFrame RenderTopFrame(const TopFrameInput& input, const TopSample& previous) {
  TopFrame frame;
  json::error_code ec;
  const json::value status = json::parse(input.status_json, ec);
  if (ec || !status.is_object()) {
    frame.error = "GET /status: not a JSON object (" +
                  (ec ? ec.message() : std::string("another JSON value")) + ")";
    return frame;
  }
  const CommandTotals totals = SumCommandTotals(input.metrics_text);
  TopSample& now = frame.sample;
  now.valid = true;
  now.at_s = input.now_s;
  now.forward = totals.forward;
  now.local = totals.local;
  now.proxy = totals.proxy;
  now.replayed = Num(status, {"replay", "entries_total"});
  const double elapsed = input.now_s - previous.at_s;
  const bool have_previous = previous.valid;

  std::string& out = frame.text;
  out += "respite top - admin " + std::string(input.admin) + "\n\n";

  const std::string state = Str(status, {"state"});
  std::string state_text = state + " for " + HumanSeconds(Num(status, {"state_seconds"})) +
                           "  (mode " + Str(status, {"mode"}) + ", fallback " +
                           Str(status, {"fallback"}) + ", " +
                           (Bool(status, {"ready"}) ? "ready" : "NOT READY");
  if (Bool(status, {"paused"})) state_text += ", paused";
  out += Line("state", state_text + ")");
  const std::string reason = Str(status, {"last_reason"});
  out += Line("reason", reason.empty() || reason == "?" ? "-" : reason);

  const bool up = Bool(status, {"upstream", "up"});
  std::string upstream = Str(status, {"upstream", "url"}) + "  " + (up ? "up" : "DOWN");
  upstream +=
      "  latency " + (up ? Millis(Num(status, {"upstream", "latency_seconds"}) * 1000) : "-");
  const std::string version = Str(status, {"upstream", "version"});
  if (!version.empty() && version != "?" && version != "unknown") upstream += "  redis " + version;
  upstream += "  (checks " + Count(Num(status, {"upstream", "health_checks_ok"})) + " ok, " +
              Count(Num(status, {"upstream", "health_checks_failed"})) + " failed)";
  out += Line("upstream", upstream);
  // Sentinel mode only: the master the sentinels named, and the failovers followed.
  if (Find(status, {"upstream", "sentinel"}) != nullptr) {
    const std::string master = Str(status, {"upstream", "sentinel", "master"});
    std::string sentinel =
        "master '" + Str(status, {"upstream", "sentinel", "master_name"}) + "' at " +
        (master.empty() ? "(none known)" : master) + "  listening " +
        Count(Num(status, {"upstream", "sentinel", "listening"})) + "/" +
        Count(Num(status, {"upstream", "sentinel", "sentinels"})) + "  switches " +
        Count(Num(status, {"upstream", "sentinel", "master_switches"})) + "  held " +
        Millis(Num(status, {"upstream", "sentinel", "held_seconds"}) * 1000);
    const std::string error = Str(status, {"upstream", "sentinel", "last_error"});
    if (!error.empty() && error != "?") sentinel += "  (" + error + ")";
    out += Line("sentinel", sentinel);
  }
  // Cluster mode only: the slot map and the redirects followed.
  if (Find(status, {"upstream", "cluster"}) != nullptr) {
    std::string cluster =
        Count(Num(status, {"upstream", "cluster", "nodes"})) + " masters  " +
        Count(Num(status, {"upstream", "cluster", "slots_unserved"})) +
        " slots unserved  redirects " + Count(Num(status, {"upstream", "cluster", "redirects"})) +
        "  map changes " + Count(Num(status, {"upstream", "cluster", "map_changes"}));
    // Per-shard failover: the slots served locally, the masters down, what was replayed.
    if (Find(status, {"upstream", "cluster", "slots_local"}) != nullptr) {
      cluster += "  local slots " + Count(Num(status, {"upstream", "cluster", "slots_local"}));
      std::string down;
      if (const json::value* shards = Find(status, {"upstream", "cluster", "shards"});
          shards != nullptr && shards->is_array()) {
        for (const json::value& shard : shards->as_array()) {
          const json::value* up = shard.is_object() ? shard.as_object().if_contains("up") : nullptr;
          if (up == nullptr || !up->is_bool() || up->as_bool()) continue;
          down += (down.empty() ? "" : ",") + Str(shard, {"master"});
        }
      }
      if (!down.empty()) cluster += " (down: " + down + ")";
      cluster += "  replayed " + Count(Num(status, {"upstream", "cluster", "replayed"}));
    }
    const std::string error = Str(status, {"upstream", "cluster", "last_error"});
    if (!error.empty() && error != "?") cluster += "  (" + error + ")";
    out += Line("cluster", cluster);
  }
  out += Line("breaker", Str(status, {"breaker", "state"}) + "  (opened " +
                             Count(Num(status, {"breaker", "opened_total"})) + " times)");

  const double entries = Num(status, {"journal", "entries"});
  std::string journal =
      Count(entries) + " entries  " + HumanBytes(Num(status, {"journal", "bytes"}));
  journal +=
      "  oldest " + (entries > 0 ? HumanSeconds(Num(status, {"journal", "oldest_age_seconds"}))
                                 : std::string("-"));
  if (const double max = Num(status, {"journal", "max_bytes"}); max > 0) {
    journal += "  (limit " + HumanBytes(max) + ")";
  }
  out += Line("journal", journal);

  // Replay rate: entries per second between the two frames, while draining.
  const double replay_rate =
      state == "draining" ? Rate(now.replayed, previous.replayed, elapsed, have_previous) : -1;
  std::string replay = Count(now.replayed) + " replayed  rate " + HumanRate(replay_rate) + "/s";
  const double last_entries = Num(status, {"replay", "last_entries"});
  if (last_entries > 0 || Num(status, {"replay", "last_duration_ms"}) > 0) {
    replay += "  last " + Count(last_entries) + " entries in " +
              Millis(Num(status, {"replay", "last_duration_ms"}));
  } else {
    replay += "  last -";
  }
  if (Bool(status, {"replay", "cursor_alarm"})) {
    replay += "  ALARM: upstream lost replayed entries";
  }
  out += Line("replay", replay);
  out += Line("dead letters", Count(Num(status, {"journal", "dead_letters"})));

  const std::string ops =
      "forward " + HumanRate(Rate(now.forward, previous.forward, elapsed, have_previous)) +
      "  local " + HumanRate(Rate(now.local, previous.local, elapsed, have_previous)) + "  proxy " +
      HumanRate(Rate(now.proxy, previous.proxy, elapsed, have_previous));
  out += Line("ops/s", ops);
  out +=
      Line("clients", Count(Num(status, {"clients", "connected"})) + " connected  (" +
                          Count(Num(status, {"clients", "connections_total"})) + " since start)");
  if (input.live) out += "\nq to quit\n";
  return frame;
}

namespace {

// SIGINT/SIGTERM/SIGHUP set this and wake the loop through the self-pipe.
volatile std::sig_atomic_t g_stop_signal = 0;
int g_wake_fd = -1;

extern "C" void OnStopSignal(int signo) {
  g_stop_signal = signo;
  if (g_wake_fd >= 0) {
    const int saved = errno;
    [[maybe_unused]] ssize_t n = ::write(g_wake_fd, "x", 1);
    errno = saved;
  }
}

constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};

// While alive: stop signals are caught, stdin (when a terminal) is in non-canonical no-echo
// mode, and the cursor is hidden. Everything is put back on destruction, on every way out.
class LiveTerminal {
 public:
  explicit LiveTerminal(std::FILE* out) : out_(out) {
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) == 0) g_wake_fd = wake_[1];
    g_stop_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = OnStopSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: poll() returns at once
    for (size_t i = 0; i < std::size(kStopSignals); ++i) {
      ::sigaction(kStopSignals[i], &sa, &old_actions_[i]);
    }
    // A closed stdout (`respite top | head`) must end the loop as an error, not kill the process
    // with the terminal still in non-canonical mode.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, &old_sigpipe_);
    if (::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios raw = saved_;
      raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
      raw.c_cc[VMIN] = 1;
      raw.c_cc[VTIME] = 0;
      restore_tty_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
    Print(out_, kHideCursor);
    std::fflush(out_);
  }

  ~LiveTerminal() {
    Print(out_, kShowCursor);
    std::fflush(out_);
    if (restore_tty_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    for (size_t i = 0; i < std::size(kStopSignals); ++i) {
      ::sigaction(kStopSignals[i], &old_actions_[i], nullptr);
    }
    ::sigaction(SIGPIPE, &old_sigpipe_, nullptr);
    g_wake_fd = -1;
    for (int fd : wake_) {
      if (fd >= 0) ::close(fd);
    }
  }

  LiveTerminal(const LiveTerminal&) = delete;
  LiveTerminal& operator=(const LiveTerminal&) = delete;

  int wake_fd() const { return wake_[0]; }

 private:
  std::FILE* out_;
  int wake_[2] = {-1, -1};
  struct sigaction old_actions_[std::size(kStopSignals)]{};
  struct sigaction old_sigpipe_ {};
  termios saved_{};
  bool restore_tty_ = false;
};

struct TopOptions {
  std::string admin = std::string(kDefaultAdmin);
  std::string host;
  uint16_t port = 0;
  int interval_ms = kDefaultIntervalMs;
  std::string token;
  bool once = false;
};

std::string TopUsage() {
  return "usage: respite top [--admin HOST:PORT] [--interval MS] [--token T] [--once]\n"
         "A live view of a running respite through its admin endpoint (default " +
         std::string(kDefaultAdmin) +
         ", or RESPITE_ADMIN). --interval: refresh every MS milliseconds (default 1000).\n"
         "--token (or RESPITE_ADMIN_TOKEN, or RESPITE_ADMIN_TOKEN_FILE naming a file that holds\n"
         "it: a flag shows in /proc/PID/cmdline): bearer token sent with each request. --once: "
         "print\n"
         "one frame without screen control and exit (1 when the endpoint cannot be reached).\n"
         "Keys: q quits.\n";
}

// Returns -1 to run, else the exit code after printing usage or the error.
int ParseTopArgs(std::span<const std::string> args, const std::vector<std::string>& env,
                 std::FILE* out, std::FILE* err, TopOptions* options) {
  auto usage_error = [&](const std::string& what) {
    Print(err, "respite: " + what + "\n" + TopUsage());
    return kExitUsage;
  };
  for (const std::string& e : env) {
    if (e.rfind("RESPITE_ADMIN=", 0) == 0) options->admin = e.substr(14);
    if (e.rfind("RESPITE_ADMIN_TOKEN=", 0) == 0) options->token = e.substr(20);
  }
  for (const std::string& e : env) {  // a file wins over nothing, never over the variable
    if (e.rfind("RESPITE_ADMIN_TOKEN_FILE=", 0) == 0 && options->token.empty()) {
      if (std::string error = config::ReadSecretFile(e.substr(25), &options->token);
          !error.empty()) {
        return usage_error("RESPITE_ADMIN_TOKEN_FILE: " + error);
      }
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string name = a;
    std::string value;
    bool has_value = false;
    if (const size_t eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_value = true;
    }
    auto take = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= args.size()) return false;
      value = args[++i];
      return true;
    };
    if (name == "-h" || name == "--help") {
      Print(out, TopUsage());
      return kExitOk;
    } else if (name == "--once" && !has_value) {
      options->once = true;
    } else if (name == "--admin") {
      if (!take() || value.empty()) return usage_error("--admin needs HOST:PORT");
      options->admin = value;
    } else if (name == "--token") {
      if (!take()) return usage_error("--token needs a value");
      options->token = value;
    } else if (name == "--interval") {
      if (!take() || value.empty()) return usage_error("--interval needs milliseconds");
      char* end = nullptr;
      const long ms = std::strtol(value.c_str(), &end, 10);
      if (*end != '\0' || ms < kMinIntervalMs || ms > kMaxIntervalMs) {
        return usage_error("--interval " + value + ": expected milliseconds, " +
                           std::to_string(kMinIntervalMs) + ".." + std::to_string(kMaxIntervalMs));
      }
      options->interval_ms = static_cast<int>(ms);
    } else {
      return usage_error((a.rfind("-", 0) == 0 ? "unknown option " : "unexpected argument ") + a);
    }
  }
  if (std::string error = SplitAdmin(options->admin, &options->host, &options->port);
      !error.empty()) {
    return usage_error(error);
  }
  return -1;
}

double MonotonicSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// GETs `target`. True with *body on a 200; false with *error otherwise.
bool Fetch(const TopOptions& options, std::string_view target, std::string* body,
           std::string* error) {
  HttpGetResult r = HttpGet(options.host, options.port, target, options.token, kFetchTimeout);
  if (!r.ok()) {
    *error = r.error;
    return false;
  }
  if (r.status != 200) {
    std::string first_line = r.body.substr(0, r.body.find('\n'));
    if (first_line.size() > 100) first_line.resize(100);
    *error = "GET " + std::string(target) + " answered " + std::to_string(r.status) +
             (first_line.empty() ? "" : ": " + first_line);
    return false;
  }
  *body = std::move(r.body);
  return true;
}

// Fetches /status and /metrics and renders them. On failure *error is set and the text empty.
TopFrame FetchFrame(const TopOptions& options, const TopSample& previous, bool live) {
  TopFrame frame;
  std::string status;
  std::string metrics;
  const double now = MonotonicSeconds();
  if (!Fetch(options, "/status", &status, &frame.error) ||
      !Fetch(options, "/metrics", &metrics, &frame.error)) {
    return frame;
  }
  TopFrameInput input;
  input.admin = options.admin;
  input.status_json = status;
  input.metrics_text = metrics;
  input.now_s = now;
  input.live = live;
  return RenderTopFrame(input, previous);
}

// Waits until `deadline` for a key or a stop signal. Returns true when the view should end.
bool WaitForKeyOrSignal(const LiveTerminal& terminal, bool* watch_stdin,
                        std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    if (g_stop_signal != 0) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) return false;
    pollfd fds[2] = {{terminal.wake_fd(), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    const nfds_t count = *watch_stdin ? 2 : 1;
    const int n = ::poll(fds, count, static_cast<int>(left));
    if (n < 0 && errno != EINTR) return false;
    if (n <= 0) continue;
    if (fds[0].revents != 0) return true;
    if (count == 2 && fds[1].revents != 0) {
      char keys[64];
      const ssize_t got = ::read(STDIN_FILENO, keys, sizeof keys);
      if (got <= 0) {
        // EOF (or an unreadable stdin): only signals end the view now.
        if (got == 0 || (errno != EINTR && errno != EAGAIN)) *watch_stdin = false;
        continue;
      }
      for (ssize_t i = 0; i < got; ++i) {
        if (keys[i] == 'q' || keys[i] == 'Q') return true;
      }
    }
  }
}

}  // namespace

int RunTop(std::span<const std::string> args, const std::vector<std::string>& env, std::FILE* out,
           std::FILE* err) {
  TopOptions options;
  if (int code = ParseTopArgs(args, env, out, err, &options); code >= 0) return code;

  if (options.once) {
    const TopFrame frame = FetchFrame(options, TopSample{}, /*live=*/false);
    if (!frame.error.empty()) {
      Print(err,
            "respite: cannot reach respite admin at " + options.admin + ": " + frame.error + "\n");
      return kExitFailure;
    }
    Print(out, frame.text);
    std::fflush(out);
    return kExitOk;
  }

  LiveTerminal terminal(out);
  bool watch_stdin = true;
  TopSample previous;
  const auto interval = std::chrono::milliseconds(options.interval_ms);
  while (g_stop_signal == 0) {
    const auto started = std::chrono::steady_clock::now();
    TopFrame frame = FetchFrame(options, previous, /*live=*/true);
    if (g_stop_signal != 0) break;
    std::string screen(kClearHome);
    if (frame.error.empty()) {
      screen += frame.text;
      previous = frame.sample;
    } else {
      screen += RenderUnreachableFrame(options.admin, frame.error, /*live=*/true);
      previous = TopSample{};
    }
    Print(out, screen);
    if (std::fflush(out) != 0 || std::ferror(out)) return kExitFailure;  // stdout closed
    if (WaitForKeyOrSignal(terminal, &watch_stdin, started + interval)) break;
  }
  return kExitOk;
}

}  // namespace respite::cli
