#include "tests/support/redis_server.h"

#include <filesystem>
#include <thread>

namespace respite::test {

RedisServer::RedisServer(RedisOptions options) : options_(std::move(options)) {}

RedisServer::~RedisServer() { process_.Kill(); }

std::string RedisServer::Spawn() {
  std::vector<std::string> argv = {options_.binary,
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--daemonize",
                                   "no",
                                   "--dir",
                                   dir_.path(),
                                   "--logfile",
                                   ""};
  if (!options_.requirepass.empty()) {
    argv.insert(argv.end(), {"--requirepass", options_.requirepass});
  }
  if (!options_.acl_user.empty()) {
    argv.insert(argv.end(), {"--user", options_.acl_user, "on", ">" + options_.acl_password, "~*",
                             "&*", "+@all"});
  }
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  return process_.Start(argv, dir_.File("redis.log"));
}

std::string RedisServer::Start() {
  if (dir_.path().empty()) return "could not create a temp dir";
  std::string last_error;
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = FreePort();
    if (port_ == 0) return "no free port";
    std::string err = Spawn();
    if (!err.empty()) return err;
    err = WaitReady();
    if (err.empty()) return {};
    last_error = err;
    // Lost the port to another process: redis exits at once. Anything else is a real failure.
    if (process_.Running()) break;
  }
  process_.Kill();
  return last_error;
}

std::string RedisServer::RepairAof() {
  // Redis 7.0 (Debian's) with aof-load-truncated truncates a short AOF tail only to the last
  // whole command: a transaction cut by SIGKILL keeps its MULTI and queued commands, which then
  // join the next transaction appended after the restart and run with it at the next load
  // (fixed in valkey-io/valkey#4342). That breaks MULTI atomicity, on which exactly-once replay
  // rests; redis-check-aof --fix cuts the tail back to before the MULTI, as fixed servers do.
  const std::string manifest = dir_.File("appendonlydir/appendonly.aof.manifest");
  if (!std::filesystem::exists(manifest)) return {};
  std::string error;
  auto status = RunToCompletion({"sh", "-c", "echo y | redis-check-aof --fix " + manifest},
                                dir_.File("redis-check-aof.log"), std::chrono::seconds(60), &error);
  if (!status) return "redis-check-aof: " + error;
  if (!status->exited || status->code != 0) {
    return "redis-check-aof --fix failed (" + status->ToString() +
           "): " + ReadFile(dir_.File("redis-check-aof.log"));
  }
  return {};
}

std::string RedisServer::Restart() {
  process_.Kill();
  if (std::string err = RepairAof(); !err.empty()) return err;
  std::string last_error;
  // The old listening socket is gone once the process is reaped; retry briefly all the same.
  for (int attempt = 0; attempt < 20; ++attempt) {
    std::string err = Spawn();
    if (!err.empty()) return err;
    err = WaitReady();
    if (err.empty()) return {};
    last_error = err;
    if (process_.Running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return last_error;
}

std::string RedisServer::WaitReady(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_.Running()) {
      std::string status =
          process_.exit_status() ? process_.exit_status()->ToString() : std::string("gone");
      return "redis-server on port " + std::to_string(port_) + " exited (" + status + "); log:\n" +
             Log();
    }
    Client c = Connect(std::chrono::milliseconds(200));
    if (c.ok()) {
      Reply r = c.Command({"PING"});
      if (r.IsStatus("PONG")) return {};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "redis-server on port " + std::to_string(port_) + " did not answer PING within " +
         std::to_string(timeout.count()) + " ms; log:\n" + Log();
}

std::string RedisServer::Url() const {
  std::string auth;
  if (!options_.acl_user.empty()) {
    auth = options_.acl_user + ":" + options_.acl_password + "@";
  } else if (!options_.requirepass.empty()) {
    auth = ":" + options_.requirepass + "@";
  }
  return "redis://" + auth + "127.0.0.1:" + std::to_string(port_);
}

Client RedisServer::Connect(std::chrono::milliseconds timeout) const {
  Client c(port_, timeout);
  if (!c.ok()) return c;
  if (!options_.acl_user.empty()) {
    c.Command({"AUTH", options_.acl_user, options_.acl_password});
  } else if (!options_.requirepass.empty()) {
    c.Command({"AUTH", options_.requirepass});
  }
  return c;
}

}  // namespace respite::test
