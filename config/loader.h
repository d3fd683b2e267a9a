#pragma once
// Builds a Config from defaults, an optional YAML file, RESPITE_* environment variables and
// command-line flags (later wins), and validates it. Errors name the source (file:line, variable,
// flag) and the expected form.

#include <string>
#include <vector>

#include "config/config.h"

namespace respite::config {

enum class Action {
  kRun,          // start the proxy with the config
  kCheckConfig,  // --check-config: config is valid; print a summary and exit 0
  kExit,         // --help or --version was printed; exit with exit_code
};

struct LoadResult {
  Action action = Action::kRun;
  int exit_code = 0;
  Config config;
  std::string output;  // text to print on stdout (help, version, check-config summary)
  std::string error;   // non-empty: invalid config or flags; print to stderr and exit 2
};

// `args` is argv without the program name; `environ` is "NAME=value" strings (pass the process
// environment). Never throws.
LoadResult Load(const std::vector<std::string>& args, const std::vector<std::string>& environ);

// Parses YAML text into `config` (over its current values). `source` names the file in errors.
// Returns an empty string on success, otherwise "FILE:LINE: what is wrong (expected ...)".
std::string ApplyYaml(const std::string& yaml_text, const std::string& source, Config* config);

// Applies RESPITE_* variables. Returns an empty string or the first error.
std::string ApplyEnv(const std::vector<std::string>& environ, Config* config);

// Every setting as "path: value" lines, secrets redacted (for status pages).
std::string SettingsSummary(const Config& config);

// Reads a secret from a file (RESPITE_*_FILE): the whole file, at most 64 KB, without one
// trailing newline. Returns "" or what is wrong (unreadable, empty, too big).
std::string ReadSecretFile(const std::string& path, std::string* out);

// Cross-field checks (ports, sizes, levels). Returns an empty string or the first error.
std::string Validate(const Config& config);

}  // namespace respite::config
