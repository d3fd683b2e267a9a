#pragma once
// Process helpers for tests that run real programs (redis-server, respite, redis-benchmark): free
// loopback ports, temporary directories and child processes. No mocks. Everything here is used
// from the test's main thread; none of it is thread-safe.

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace respite::test {

// A loopback TCP port that was free a moment ago: binds 127.0.0.1:0, reads the port, closes.
// Another process may take it before the caller binds it; callers that start servers retry on a
// bind failure. Returns 0 if no socket could be bound.
uint16_t FreePort();

// Raises RLIMIT_NOFILE's soft limit to at least `wanted` (capped by the hard limit). Returns the
// soft limit in effect afterwards.
uint64_t RaiseFdLimit(uint64_t wanted);

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction unless
// RESPITE_KEEP_TMP is set in the environment (for post-mortems).
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "respite-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string File(const std::string& name) const;

 private:
  std::string path_;
};

// How a child ended.
struct ExitStatus {
  bool exited = false;  // true: exit(code); false: killed by `signal`
  int code = 0;
  int signal = 0;
  bool Success() const { return exited && code == 0; }
  std::string ToString() const;  // "exit 0", "signal 9 (Killed)"
};

// One child process. stdout and stderr go to a log file. The child gets PR_SET_PDEATHSIG=SIGKILL,
// so it dies with the test even if the test crashes; the destructor SIGKILLs and reaps it.
class Process {
 public:
  Process() = default;
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;

  // Starts argv[0] (looked up in PATH when it has no '/') with `argv`, output appended to
  // `log_path`. `env` entries ("NAME=value") are added to (or replace in) the test's environment.
  // Returns an empty string on success, otherwise what went wrong (including exec failures).
  std::string Start(const std::vector<std::string>& argv, const std::string& log_path,
                    const std::vector<std::string>& env = {});

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  // True while the child has not been reaped and has not exited (a stopped child is running).
  bool Running();

  // Signals. Kill() also reaps the child; the others do not wait.
  void Kill();  // SIGKILL + reap
  bool Signal(int signo);
  void Stop() { Signal(SIGSTOP); }
  void Cont() { Signal(SIGCONT); }

  // Sends SIGTERM, then waits up to `timeout` for the child to exit. nullopt: it is still running
  // (the caller decides whether to Kill()).
  std::optional<ExitStatus> Terminate(std::chrono::milliseconds timeout);
  // Waits up to `timeout` for the child to exit on its own.
  std::optional<ExitStatus> Wait(std::chrono::milliseconds timeout);
  // The status of a child that has been reaped.
  std::optional<ExitStatus> exit_status() const { return status_; }

  // Everything the child wrote so far (the last `max_bytes` of it), for failure messages.
  std::string Log(size_t max_bytes = 8192) const;

 private:
  bool Reap(bool block);

  pid_t pid_ = -1;
  std::string log_path_;
  std::optional<ExitStatus> status_;
};

// Runs argv to completion (bounded by `timeout`; killed after it). Output goes to `log_path`.
// Returns the exit status, or nullopt on a start failure or timeout; *error says which.
std::optional<ExitStatus> RunToCompletion(const std::vector<std::string>& argv,
                                          const std::string& log_path,
                                          std::chrono::milliseconds timeout, std::string* error);

// Reads a whole file; empty when it cannot be read.
std::string ReadFile(const std::string& path);

}  // namespace respite::test
