// `respite probe [live|ready]`: asks a running respite's admin endpoint whether it is alive
// (GET /healthz) or ready to serve (GET /readyz) and exits 0 or 1 by the answer. For container
// health checks (the image's HEALTHCHECK, compose, exec probes) where no curl is installed.

#include <chrono>
#include <cstdlib>
#include <string>

#include "cli/http_get.h"
#include "cli/tool.h"

namespace respite::cli {

namespace {

constexpr std::string_view kDefaultAdmin = "127.0.0.1:9121";
constexpr long kDefaultTimeoutMs = 2000;

std::string ProbeUsage() {
  return "usage: respite probe [live|ready] [--admin HOST:PORT] [--timeout MS]\n"
         "Exit 0 when respite's admin endpoint (default " +
         std::string(kDefaultAdmin) +
         ", or RESPITE_ADMIN) answers 200 to GET /healthz (live, the default) or GET /readyz\n"
         "(ready), 1 otherwise (with the reason on stderr), 2 on bad usage. --timeout: the whole\n"
         "request, in milliseconds (default 2000).\n";
}

}  // namespace

int RunProbe(std::span<const std::string> args, const std::vector<std::string>& environ,
             std::FILE* out, std::FILE* err) {
  std::string admin(kDefaultAdmin);
  for (const std::string& e : environ) {
    if (e.rfind("RESPITE_ADMIN=", 0) == 0) admin = e.substr(14);
  }
  std::string target = "/healthz";
  long timeout_ms = kDefaultTimeoutMs;
  auto usage_error = [&](const std::string& what) {
    Print(err, "respite: " + what + "\n" + ProbeUsage());
    return kExitUsage;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      Print(out, ProbeUsage());
      return kExitOk;
    } else if (a == "live" && i == 0) {
      target = "/healthz";
    } else if (a == "ready" && i == 0) {
      target = "/readyz";
    } else if (a == "--admin" || a == "--timeout") {
      if (i + 1 >= args.size() || args[i + 1].empty()) return usage_error(a + " needs a value");
      const std::string& value = args[++i];
      if (a == "--admin") {
        admin = value;
        continue;
      }
      char* end = nullptr;
      timeout_ms = std::strtol(value.c_str(), &end, 10);
      if (*end != '\0' || timeout_ms < 1 || timeout_ms > 600000) {
        return usage_error("--timeout " + value + ": expected milliseconds, 1..600000");
      }
    } else {
      return usage_error((a.rfind("-", 0) == 0 ? "unknown option " : "unexpected argument ") + a);
    }
  }
  std::string host;
  uint16_t port = 0;
  if (std::string error = SplitAdmin(admin, &host, &port); !error.empty()) {
    return usage_error(error);
  }
  const HttpGetResult r =
      HttpGet(host, port, target, /*bearer_token=*/{}, std::chrono::milliseconds(timeout_ms));
  if (!r.ok()) {
    Print(err, "respite: probe " + admin + target + ": " + r.error + "\n");
    return kExitFailure;
  }
  if (r.status != 200) {
    Print(err, "respite: probe " + admin + target + ": " + std::to_string(r.status) + " " + r.body +
                   (r.body.ends_with('\n') ? "" : "\n"));
    return kExitFailure;
  }
  Print(out, r.body.ends_with('\n') ? r.body : r.body + "\n");
  return kExitOk;
}

}  // namespace respite::cli
