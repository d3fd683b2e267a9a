#pragma once
// The respite binary under test, started as a real process on a free loopback port in front of an
// upstream (normally a RedisServer). Killed and reaped on destruction.
//
// Binary: $RESPITE_BIN if set, else the path CMake compiled in (RESPITE_BIN =
// $<TARGET_FILE:respite>), else Start() fails with a message saying so.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/client.h"
#include "tests/support/process.h"

namespace respite::test {

struct RespiteOptions {
  std::string upstream_url;        // --upstream; required
  int io_threads = 2;              // --io-threads
  std::string log_level = "warn";  // empty: no --log-level (the config decides)
  std::string requirepass;         // --requirepass (clients must AUTH)
  std::string config_file;         // --config
  std::vector<std::string> extra_args;
  std::vector<std::string> env;  // "NAME=value" added to the environment
  // Start() waits for a +PONG when true; when false (upstream deliberately absent) any reply to
  // PING will do.
  bool wait_for_pong = true;
};

// The binary to run, or an empty string when none is known.
std::string RespiteBinary();

class RespiteProcess {
 public:
  explicit RespiteProcess(RespiteOptions options);
  ~RespiteProcess();
  RespiteProcess(const RespiteProcess&) = delete;
  RespiteProcess& operator=(const RespiteProcess&) = delete;

  // Starts respite with --listen 127.0.0.1:<free port> and waits (10 s at most) until it accepts
  // connections and answers PING. Returns an empty string or the error with respite's log.
  std::string Start();
  std::string WaitReady(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  uint16_t port() const { return port_; }
  // The admin HTTP port (0 when the test passed its own --admin).
  uint16_t admin_port() const { return admin_port_; }
  Process& process() { return process_; }
  std::string Log() const { return process_.Log(); }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& dir() const { return dir_.path(); }
  // A client of respite (authenticated when requirepass is set). Check ok().
  Client Connect(std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
  // Whether respite says it serves from its local store (RESPITE STATUS).
  bool ServedLocally() const;
  // Whether respite's log says `text` within `timeout`.
  bool LogSays(const std::string& text,
               std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

 private:
  RespiteOptions options_;
  TempDir dir_{"respite-proxy"};
  std::string data_dir_;
  uint16_t port_ = 0;
  uint16_t admin_port_ = 0;
  Process process_;
};

}  // namespace respite::test
