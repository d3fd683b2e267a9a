// respite: a Redis sidecar proxy. Parses the config, sets up logging, serves until a signal.

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "config/loader.h"
#include "proxy/logging.h"
#include "proxy/server.h"

extern char** environ;

namespace {

// Secrets given as flags are readable by every local user in /proc/PID/cmdline: say so, and what
// to use instead.
void WarnAboutSecretsInFlags(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool inline_value = a.find('=') != std::string::npos;
    const std::string flag = a.substr(0, a.find('='));
    const std::string value = inline_value          ? a.substr(a.find('=') + 1)
                              : i + 1 < args.size() ? args[i + 1]
                                                    : "";
    if (flag == "--requirepass") {
      spdlog::warn(
          "--requirepass on the command line is visible to every local user in /proc/PID/cmdline; "
          "use RESPITE_REQUIREPASS_FILE (a file holding it) or the config file instead");
    }
    respite::config::UpstreamUrl url;
    std::string error;
    if (flag == "--upstream" && respite::config::ParseUpstreamUrl(value, &url, &error) &&
        !url.password.empty()) {
      spdlog::warn(
          "--upstream with a password is visible to every local user in /proc/PID/cmdline; use "
          "RESPITE_UPSTREAM_FILE (a file holding the URL) or the config file instead");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace respite;
  // Every file respite or its tools create (the store, the journal, backups) is its user's only.
  ::umask(077);
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  // `respite journal|backup|restore ...`: offline tools over the data dir, not the proxy.
  if (int code = cli::RunTool(args, env); code >= 0) return code;

  config::LoadResult loaded = config::Load(args, env);
  if (!loaded.error.empty()) {
    std::fprintf(stderr, "respite: %s\n", loaded.error.c_str());
    return 2;
  }
  if (loaded.action != config::Action::kRun) {
    std::fputs(loaded.output.c_str(), stdout);
    return loaded.exit_code;
  }
  if (std::string error = proxy::SetupLogging(loaded.config.log); !error.empty()) {
    std::fprintf(stderr, "respite: %s\n", error.c_str());
    return 2;
  }
  WarnAboutSecretsInFlags(args);
  try {
    proxy::Server server(std::move(loaded.config));
    server.SetReloadSource(std::move(args), std::move(env));
    return server.Run();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
}
