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
  try {
    proxy::Server server(std::move(loaded.config));
    server.SetReloadSource(std::move(args), std::move(env));
    return server.Run();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
}
