#include "cli/cli.h"

#include <exception>
#include <filesystem>

#include "cli/tool.h"
#include "cli/top.h"
#include "config/loader.h"

namespace respite::cli {

namespace {

// Reads the value of `--name VALUE` or `--name=VALUE` at args[*i]. Returns false when args[*i]
// is not that flag; sets *missing when the value is absent.
bool TakeValue(std::span<const std::string> args, size_t* i, std::string_view name,
               std::string* value, bool* missing) {
  const std::string& a = args[*i];
  if (a == name) {
    if (*i + 1 >= args.size()) {
      *missing = true;
    } else {
      *value = args[++*i];
    }
    return true;
  }
  if (a.size() > name.size() && a.compare(0, name.size(), name) == 0 && a[name.size()] == '=') {
    *value = a.substr(name.size() + 1);
    return true;
  }
  return false;
}

int UsageError(const ToolArgs& args, const std::string& what) {
  Print(args.err, "respite: " + what + "\n" + Usage());
  return kExitUsage;
}

}  // namespace

void Print(std::FILE* f, std::string_view text) { std::fwrite(text.data(), 1, text.size(), f); }

int Fail(const ToolArgs& args, std::string_view message) {
  Print(args.err, "respite: " + std::string(message) + "\n");
  return kExitFailure;
}

std::string Usage() {
  return "usage: respite journal stat [--json] [--data-dir DIR]\n"
         "       respite journal dump [--json] [--data-dir DIR]\n"
         "       respite journal verify [--data-dir DIR]\n"
         "       respite journal compact [--data-dir DIR]\n"
         "       respite journal deadletters [--json] [--data-dir DIR]\n"
         "       respite journal reset --yes [--data-dir DIR]\n"
         "       respite backup BACKUP_DIR [--data-dir DIR]\n"
         "       respite restore BACKUP_DIR [--data-dir DIR]\n"
         "       respite top [--admin HOST:PORT] [--interval MS] [--token T] [--once]\n"
         "       respite probe [live|ready] [--admin HOST:PORT] [--timeout MS]\n"
         "Offline tools over respite's data dir; they refuse to run while respite runs on it.\n"
         "The data dir is --data-dir, else RESPITE_DATA_DIR, else data_dir in --config FILE (or\n"
         "RESPITE_CONFIG), else ./respite-data. Exit codes: 0 ok, 1 failure, 2 usage.\n"
         "`respite top` is a live view of a running respite through its admin endpoint;\n"
         "`respite probe` exits 0 when its /healthz (live) or /readyz (ready) answers 200.\n";
}

int ParseToolArgs(std::span<const std::string> args, unsigned accepted_flags,
                  size_t positional_count, const std::vector<std::string>& environ,
                  ToolArgs* parsed) {
  std::string data_dir;
  std::string config_file;
  bool have_data_dir = false;
  bool have_config = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool missing = false;
    if (TakeValue(args, &i, "--data-dir", &data_dir, &missing)) {
      if (missing || data_dir.empty()) return UsageError(*parsed, "--data-dir needs a directory");
      have_data_dir = true;
    } else if (TakeValue(args, &i, "--config", &config_file, &missing)) {
      if (missing || config_file.empty()) return UsageError(*parsed, "--config needs a file");
      have_config = true;
    } else if (a == "-h" || a == "--help") {
      Print(parsed->out, Usage());
      return kExitOk;
    } else if (a == "--json" && (accepted_flags & kFlagJson) != 0) {
      parsed->json = true;
    } else if (a == "--yes" && (accepted_flags & kFlagYes) != 0) {
      parsed->yes = true;
    } else if (a.size() > 1 && a[0] == '-') {
      return UsageError(*parsed, "unknown option " + a);
    } else {
      parsed->positional.push_back(a);
    }
  }
  if (parsed->positional.size() != positional_count) {
    return UsageError(*parsed, positional_count == 0
                                   ? "unexpected argument " + parsed->positional.front()
                                   : "expected one directory argument");
  }
  if (have_data_dir) {
    parsed->data_dir = data_dir;
    return -1;
  }
  // The data dir respite itself would use: config file, then RESPITE_DATA_DIR.
  std::vector<std::string> config_args;
  if (have_config) config_args = {"--config", config_file};
  config::LoadResult loaded = config::Load(config_args, environ);
  if (!loaded.error.empty()) {
    Print(parsed->err, "respite: " + loaded.error + "\n");
    return kExitUsage;
  }
  parsed->data_dir = loaded.config.data_dir;
  return -1;
}

int OpenStore(const ToolArgs& args, OpenedStore* store) {
  namespace fs = std::filesystem;
  store->store_dir = args.data_dir + "/store";
  std::error_code ec;
  const bool has_store = fs::exists(store->store_dir + "/CURRENT", ec);
  if (ec) return Fail(args, "cannot read " + store->store_dir + ": " + ec.message());
  if (!has_store) {
    return Fail(args,
                "no respite store in " + args.data_dir + " (no " + store->store_dir + "/CURRENT)");
  }
  const std::string key_path = store->store_dir + "/journal.key";
  if (!fs::exists(key_path, ec)) {
    return Fail(args, "the journal key " + key_path +
                          " is missing: journal entries cannot be checked without it");
  }
  storage::EngineOptions options;
  options.dir = store->store_dir;
  options.create_if_missing = false;
  // A tool writes rarely (reset, compaction) and must have it on disk when it says done.
  options.fsync = storage::Fsync::kAlways;
  options.block_cache_bytes = 8ull << 20;
  auto engine = storage::Engine::Open(options);
  if (!engine.ok()) {
    if (engine.status().busy()) {
      return Fail(args, "respite is running on this data dir (" + args.data_dir +
                            "; it holds the lock " + store->store_dir + "/LOCK); stop it first");
    }
    return Fail(args,
                "cannot open the store in " + store->store_dir + ": " + engine.status().ToString());
  }
  store->engine = std::move(engine).value();
  auto journal = storage::Journal::Open(*store->engine, key_path, storage::JournalLimits{});
  if (!journal.ok()) {
    return Fail(args, "cannot open the journal in " + store->store_dir + ": " +
                          journal.status().ToString());
  }
  store->journal = std::move(journal).value();
  return kExitOk;
}

int RunTool(std::span<const std::string> args, const std::vector<std::string>& environ,
            std::FILE* out, std::FILE* err) {
  if (args.empty()) return -1;
  const std::string& tool = args[0];
  int (*run)(std::span<const std::string>, const std::vector<std::string>&, std::FILE*,
             std::FILE*) = nullptr;
  if (tool == "journal") run = &RunJournalTool;
  if (tool == "backup") run = &RunBackup;
  if (tool == "restore") run = &RunRestore;
  if (tool == "top") run = &RunTop;
  if (tool == "probe") run = &RunProbe;
  if (run == nullptr) return -1;
  try {
    return run(args.subspan(1), environ, out, err);
  } catch (const std::exception& e) {  // std::filesystem and allocation failures
    Print(err, "respite: " + std::string(e.what()) + "\n");
    return kExitFailure;
  }
}

}  // namespace respite::cli
