#pragma once
// `respite top`: a live view of a running respite through its admin endpoint (GET /status and
// GET /metrics). The rendering is pure (text in, frame out) so it can be tested without a
// terminal or a server; top_tool.cpp does the HTTP, the terminal and the timing.

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace respite::cli {

// What one frame measured, kept for the next frame's rates.
struct TopSample {
  bool valid = false;   // false: no earlier frame (rates show "-")
  double at_s = 0;      // monotonic time of the fetch, seconds
  double forward = 0;   // sum of respite_commands_total{path="forward",...}
  double local = 0;     // ... path="local"
  double proxy = 0;     // ... path="proxy"
  double replayed = 0;  // /status replay.entries_total
};

// Per-path sums of respite_commands_total in Prometheus text. Unknown paths are ignored.
struct CommandTotals {
  double forward = 0, local = 0, proxy = 0;
};
CommandTotals SumCommandTotals(std::string_view metrics_text);

struct TopFrame {
  std::string text;   // lines ending in '\n'; no terminal control sequences
  TopSample sample;   // for the next frame (invalid when error is set)
  std::string error;  // the input could not be read (not JSON, ...): text is empty
};

struct TopFrameInput {
  std::string_view admin;         // "HOST:PORT", shown in the header and error lines
  std::string_view status_json;   // body of GET /status
  std::string_view metrics_text;  // body of GET /metrics
  double now_s = 0;               // monotonic time of this fetch, seconds
  bool live = true;               // adds the "q to quit" footer
};

// One frame from /status and /metrics, with rates against `previous` (ops/s by path; replay
// entries per second while draining).
TopFrame RenderTopFrame(const TopFrameInput& input, const TopSample& previous);

// The frame shown while the endpoint cannot be reached (or answers something unreadable):
// "cannot reach respite admin at HOST:PORT: <error>".
std::string RenderUnreachableFrame(std::string_view admin, std::string_view error, bool live);

// Human forms used by the frame: "0 B", "512 B", "4.1 KiB", "12.0 MiB"; "0.4 s", "12 s",
// "3m 05s", "2h 03m", "1d 04h"; rates "-" / "0" / "3.5" / "120".
std::string HumanBytes(double bytes);
std::string HumanSeconds(double seconds);
std::string HumanRate(double per_second);

// `respite top [--admin HOST:PORT] [--interval MS] [--token T] [--once]`. Exit codes: 0 (quit
// with q, SIGINT, SIGTERM or SIGHUP; --once drew a frame), 1 (--once could not reach the
// endpoint; stdout closed), 2 (usage). The live view retries an unreachable endpoint forever.
int RunTop(std::span<const std::string> args, const std::vector<std::string>& environ,
           std::FILE* out, std::FILE* err);

}  // namespace respite::cli
