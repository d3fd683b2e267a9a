#include "tests/support/respite_process.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <thread>

namespace respite::test {

std::string RespiteBinary() {
  if (const char* env = std::getenv("RESPITE_BIN"); env != nullptr && *env != '\0') return env;
#ifdef RESPITE_BIN
  return RESPITE_BIN;
#else
  return {};
#endif
}

RespiteProcess::RespiteProcess(RespiteOptions options) : options_(std::move(options)) {
  data_dir_ = dir_.File("data");
}

RespiteProcess::~RespiteProcess() { process_.Kill(); }

std::string RespiteProcess::Start() {
  std::string binary = RespiteBinary();
  if (binary.empty()) return "no respite binary: set RESPITE_BIN or build the respite target";
  if (!std::filesystem::exists(binary)) return "respite binary " + binary + " does not exist";
  if (dir_.path().empty()) return "could not create a temp dir";
  std::string last_error;
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = FreePort();
    if (port_ == 0) return "no free port";
    std::vector<std::string> argv = {binary,
                                     "--listen",
                                     "127.0.0.1:" + std::to_string(port_),
                                     "--upstream",
                                     options_.upstream_url,
                                     "--data-dir",
                                     data_dir_,
                                     "--io-threads",
                                     std::to_string(options_.io_threads)};
    if (!options_.log_level.empty()) argv.insert(argv.end(), {"--log-level", options_.log_level});
    if (!options_.requirepass.empty()) {
      argv.insert(argv.end(), {"--requirepass", options_.requirepass});
    }
    if (!options_.config_file.empty()) argv.insert(argv.end(), {"--config", options_.config_file});
    // Every respite gets its own admin port: tests run beside each other and beside a real one.
    const bool own_admin = std::find(options_.extra_args.begin(), options_.extra_args.end(),
                                     "--admin") != options_.extra_args.end();
    admin_port_ = own_admin ? 0 : FreePort();
    if (!own_admin)
      argv.insert(argv.end(), {"--admin", "127.0.0.1:" + std::to_string(admin_port_)});
    argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
    std::string err = process_.Start(argv, dir_.File("respite.log"), options_.env);
    if (!err.empty()) return err;
    err = WaitReady();
    if (err.empty()) return {};
    last_error = err;
    // A lost port race (another process took the free port first) makes respite exit at once
    // saying so; retry only then, so a start-up crash or refusal fails the test.
    if (process_.Running() || Log().find("Address already in use") == std::string::npos) break;
  }
  process_.Kill();
  return last_error;
}

std::string RespiteProcess::WaitReady(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_.Running()) {
      std::string status =
          process_.exit_status() ? process_.exit_status()->ToString() : std::string("gone");
      return "respite on port " + std::to_string(port_) + " exited (" + status + "); log:\n" +
             Log();
    }
    Client c = Connect(std::chrono::milliseconds(500));
    if (c.ok()) {
      Reply r = c.Command({"PING"});
      if (r.IsStatus("PONG") || (r && !options_.wait_for_pong)) return {};
      last = r ? r.Describe() : c.error();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "respite on port " + std::to_string(port_) + " not ready within " +
         std::to_string(timeout.count()) + " ms (last PING: " + last + "); log:\n" + Log();
}

Client RespiteProcess::Connect(std::chrono::milliseconds timeout) const {
  Client c(port_, timeout);
  if (c.ok() && !options_.requirepass.empty()) c.Command({"AUTH", options_.requirepass});
  return c;
}

bool RespiteProcess::ServedLocally() const {
  Client c = Connect();
  const Reply r = c.Command({"RESPITE", "STATUS"});
  return r && std::string(r->str, r->len).find("respite_state:local") != std::string::npos;
}

bool RespiteProcess::LogSays(const std::string& text, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (Log().find(text) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace respite::test
