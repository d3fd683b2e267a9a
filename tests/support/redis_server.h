#pragma once
// A real redis-server (the Debian package) for tests: free loopback port, no persistence, its own
// temp dir and log. Killed and reaped on destruction.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/client.h"
#include "tests/support/process.h"

namespace respite::test {

struct RedisOptions {
  std::string requirepass;  // --requirepass (the default user's password)
  std::string acl_user;     // with acl_password: an extra ACL user with every permission
  std::string acl_password;
  std::vector<std::string> extra_args;  // e.g. {"--maxmemory", "100mb"}
  std::string binary = "redis-server";
};

class RedisServer {
 public:
  explicit RedisServer(RedisOptions options = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts on a free port (retrying with another port if the bind loses a race) and waits until
  // it answers PING. Returns an empty string on success, otherwise the error and the server log.
  std::string Start();
  // PINGs (with AUTH when a password is set) until redis answers, at most `timeout`.
  std::string WaitReady(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  void Kill() { process_.Kill(); }    // SIGKILL + reap
  void Pause() { process_.Stop(); }   // SIGSTOP: connections stay open, nothing answers
  void Resume() { process_.Cont(); }  // SIGCONT
  // Kills it (if running) and starts it again on the same port: empty, or from its AOF when
  // started with appendonly (the AOF's tail repaired first; see RepairAof).
  std::string Restart();

  uint16_t port() const { return port_; }
  // redis://[user:password@]127.0.0.1:port, with the ACL user if there is one, else the
  // requirepass password.
  std::string Url() const;
  // A client connected directly (authenticated when a password is set). Check ok().
  Client Connect(std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
  Process& process() { return process_; }
  std::string Log() const { return process_.Log(); }
  const std::string& dir() const { return dir_.path(); }

 private:
  std::string Spawn();
  std::string RepairAof();

  RedisOptions options_;
  TempDir dir_{"respite-redis"};
  uint16_t port_ = 0;
  Process process_;
};

}  // namespace respite::test
