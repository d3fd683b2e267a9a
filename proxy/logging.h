#pragma once
// Sets up spdlog for the process: stderr, text or JSON lines, the configured level.

#include <string>

#include "config/config.h"

namespace respite::proxy {

// Returns an empty string, or why the level or format is invalid.
std::string SetupLogging(const config::LogConfig& log);

}  // namespace respite::proxy
