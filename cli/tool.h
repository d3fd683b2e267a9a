#pragma once
// What the tools share: their parsed arguments, output streams, and opening the store of a data
// dir with messages an operator can act on. Internal to cli/.

#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/engine.h"
#include "storage/journal.h"

namespace respite::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Flags a tool accepts besides --data-dir and --config.
enum ToolFlag : unsigned { kFlagJson = 1, kFlagYes = 2 };

struct ToolArgs {
  std::FILE* out = stdout;
  std::FILE* err = stderr;
  std::string data_dir;  // resolved: --data-dir, else RESPITE_DATA_DIR, else the config's
  bool json = false;
  bool yes = false;
  std::vector<std::string> positional;
};

// Parses `args` (the words after the tool's name) into *parsed and resolves the data dir the way
// respite does (reusing config::Load). Returns -1 when the tool should run, otherwise the exit
// code after printing usage or an error (a help request exits 0).
int ParseToolArgs(std::span<const std::string> args, unsigned accepted_flags,
                  size_t positional_count, const std::vector<std::string>& environ,
                  ToolArgs* parsed);

// Writes `text` to the stream as is (binary-safe).
void Print(std::FILE* f, std::string_view text);
// Prints "respite: <message>\n" to the error stream and returns kExitFailure.
int Fail(const ToolArgs& args, std::string_view message);

// The usage of every tool, for bad usage (stderr) and --help (stdout).
std::string Usage();

// The store of a data dir, opened for a tool. The journal is destroyed before the engine.
struct OpenedStore {
  std::string store_dir;  // data_dir/store
  std::unique_ptr<storage::Engine> engine;
  std::unique_ptr<storage::Journal> journal;
};

// Opens data_dir/store without creating anything, and its journal with the existing key.
// Returns kExitOk, or kExitFailure after printing why (no store there, key missing, a running
// respite holds the lock, RocksDB errors).
int OpenStore(const ToolArgs& args, OpenedStore* store);

int RunJournalTool(std::span<const std::string> args, const std::vector<std::string>& environ,
                   std::FILE* out, std::FILE* err);
int RunBackup(std::span<const std::string> args, const std::vector<std::string>& environ,
              std::FILE* out, std::FILE* err);
int RunRestore(std::span<const std::string> args, const std::vector<std::string>& environ,
               std::FILE* out, std::FILE* err);
// `respite probe [live|ready]` (probe_tool.cpp): 0 when the admin endpoint answers 200.
int RunProbe(std::span<const std::string> args, const std::vector<std::string>& environ,
             std::FILE* out, std::FILE* err);

}  // namespace respite::cli
