#pragma once
// The offline tools over a data dir: `respite journal stat|dump|verify|compact|deadletters|reset`,
// `respite backup DIR`, `respite restore DIR`. They open the store themselves, so they run only
// while respite is stopped: RocksDB's LOCK file makes them refuse while a respite holds the dir.
// Beside them, `respite top` (cli/top.h) watches a running respite through its admin endpoint.
// Exit codes: 0 ok, 1 failure, 2 usage.

#include <cstdio>
#include <span>
#include <string>
#include <vector>

namespace respite::cli {

// Runs the tool named by args[0] ("journal", "backup", "restore" or "top"); `args` is argv without
// the program name, `environ` the "NAME=value" environment (RESPITE_DATA_DIR, RESPITE_CONFIG,
// RESPITE_ADMIN).
// Returns the exit code, or -1 when args[0] names no tool (the caller starts the proxy).
int RunTool(std::span<const std::string> args, const std::vector<std::string>& environ,
            std::FILE* out = stdout, std::FILE* err = stderr);

}  // namespace respite::cli
