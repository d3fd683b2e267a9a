// `respite backup DIR` and `respite restore DIR`. A backup has a data dir's layout (DIR/store:
// a RocksDB checkpoint plus journal.key), so the journal tools read it with --data-dir DIR.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "cli/tool.h"
#include "storage/private_dir.h"

namespace respite::cli {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kKeyFile = "journal.key";

// Copies the journal key with mode 0600 (it authenticates every journal entry). Returns an empty
// string or what went wrong.
std::string CopyKey(const std::string& from, const std::string& to) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return "cannot read " + from + ": " + std::strerror(errno);
  char buf[256];
  const ssize_t n = ::read(in, buf, sizeof buf);
  ::close(in);
  if (n <= 0) return "cannot read " + from;
  int fd = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot create " + to + ": " + std::strerror(errno);
  const bool ok = ::write(fd, buf, static_cast<size_t>(n)) == n && ::fsync(fd) == 0;
  ::close(fd);
  return ok ? "" : "cannot write " + to;
}

// Whether a process holds RocksDB's lock on a store (RocksDB takes an fcntl write lock on LOCK).
bool LockHeld(const std::string& lock_path) {
  int fd = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  const bool held = ::fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

std::string Counts(storage::Journal& journal) {
  return std::to_string(journal.pending_entries()) + " pending journal entries (" +
         std::to_string(journal.pending_bytes()) + " bytes), " +
         std::to_string(journal.dead_letters()) + " dead letters, journal id " + journal.id();
}

}  // namespace

int RunBackup(std::span<const std::string> args, const std::vector<std::string>& environ,
              std::FILE* out, std::FILE* err) {
  ToolArgs parsed;
  parsed.out = out;
  parsed.err = err;
  if (int code = ParseToolArgs(args, 0, 1, environ, &parsed); code >= 0) return code;
  const std::string target = parsed.positional[0];
  std::error_code ec;
  if (fs::exists(target, ec)) {
    return Fail(parsed, "backup dir " + target + " already exists; a backup needs a new directory");
  }
  if (ec) return Fail(parsed, "cannot check " + target + ": " + ec.message());
  OpenedStore store;
  if (int code = OpenStore(parsed, &store); code != kExitOk) return code;
  // Whoever can read a backup can read the data and forge journal entries: owner only.
  if (std::string error = storage::MakePrivateDir(target); !error.empty()) {
    return Fail(parsed, error);
  }
  const std::string target_store = target + "/store";
  std::string error;
  if (storage::Status s = store.engine->Checkpoint(target_store); !s.ok()) {
    error =
        "checkpoint of " + store.store_dir + " into " + target_store + " failed: " + s.ToString();
  } else {
    error = CopyKey(store.store_dir + "/" + std::string(kKeyFile),
                    target_store + "/" + std::string(kKeyFile));
  }
  if (!error.empty()) {
    fs::remove_all(target, ec);  // created above: leave no half backup behind
    return Fail(parsed, error);
  }
  Print(out, "backup of " + parsed.data_dir + " written to " + target + ": " +
                 Counts(*store.journal) + "\n");
  return kExitOk;
}

int RunRestore(std::span<const std::string> args, const std::vector<std::string>& environ,
               std::FILE* out, std::FILE* err) {
  ToolArgs parsed;
  parsed.out = out;
  parsed.err = err;
  if (int code = ParseToolArgs(args, 0, 1, environ, &parsed); code >= 0) return code;
  const std::string source = parsed.positional[0] + "/store";
  const std::string& data_dir = parsed.data_dir;
  std::error_code ec;
  if (!fs::exists(source + "/CURRENT", ec)) {
    return Fail(parsed,
                parsed.positional[0] + " is not a respite backup (no " + source + "/CURRENT)");
  }
  if (!fs::exists(source + "/" + std::string(kKeyFile), ec)) {
    return Fail(parsed, "the backup has no journal key (" + source + "/" + std::string(kKeyFile) +
                            "): its journal entries could never be checked");
  }
  if (LockHeld(source + "/LOCK")) {
    return Fail(parsed, "respite is running on " + parsed.positional[0] +
                            " (it holds the lock); restore copies a backup or a stopped store");
  }
  // A backup is plain files: a symbolic link in one (from wherever it came) would pull what it
  // points at (any file respite's user can read) into the data dir.
  for (auto it = fs::recursive_directory_iterator(source, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_symlink(ec)) {
      return Fail(parsed, "the backup holds a symbolic link (" + it->path().string() +
                              "); restore copies only regular files");
    }
  }
  if (ec) return Fail(parsed, "cannot read " + source + ": " + ec.message());
  const bool existed = fs::exists(data_dir, ec);
  if (existed) {
    if (fs::exists(data_dir + "/store", ec)) {
      return Fail(parsed, data_dir + " already holds a store; restore never overwrites one (move " +
                              data_dir + " away or restore into a new data dir)");
    }
    if (!fs::is_directory(data_dir, ec) || !fs::is_empty(data_dir, ec)) {
      return Fail(parsed, data_dir +
                              " is not an empty directory; restore needs an empty or new "
                              "data dir");
    }
  }
  // A data dir that existed keeps its mode (the store inside is what is private).
  if (!existed) {
    if (std::string error = storage::MakePrivateDir(data_dir); !error.empty()) {
      return Fail(parsed, error);
    }
  }

  // Copied beside the final place and renamed once it opens, so a failed restore leaves no store
  // that looks complete.
  const std::string staging = data_dir + "/store.restoring";
  auto fail = [&](const std::string& message) {
    fs::remove_all(existed ? staging : data_dir, ec);
    return Fail(parsed, message);
  };
  if (std::string error = storage::MakePrivateDir(staging); !error.empty()) return fail(error);
  for (const fs::directory_entry& entry : fs::directory_iterator(source, ec)) {
    const std::string name = entry.path().filename().string();
    if (name == "LOCK") continue;  // RocksDB makes its own
    fs::copy(entry.path(), staging + "/" + name, fs::copy_options::recursive, ec);
    if (ec) return fail("cannot copy " + entry.path().string() + ": " + ec.message());
  }
  if (ec) return fail("cannot read " + source + ": " + ec.message());
  fs::permissions(staging + "/" + std::string(kKeyFile),
                  fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace, ec);

  std::string counts;
  {
    OpenedStore store;
    store.store_dir = staging;
    storage::EngineOptions options;
    options.dir = staging;
    options.create_if_missing = false;
    options.fsync = storage::Fsync::kAlways;
    options.block_cache_bytes = 8ull << 20;
    auto engine = storage::Engine::Open(options);
    if (!engine.ok())
      return fail("the restored store does not open: " + engine.status().ToString());
    store.engine = std::move(engine).value();
    auto journal = storage::Journal::Open(*store.engine, staging + "/" + std::string(kKeyFile),
                                          storage::JournalLimits{});
    if (!journal.ok()) {
      return fail("the restored journal does not open: " + journal.status().ToString());
    }
    store.journal = std::move(journal).value();
    counts = Counts(*store.journal);
  }
  fs::rename(staging, data_dir + "/store", ec);
  if (ec) return fail("cannot move " + staging + " into place: " + ec.message());
  Print(out, "restored " + parsed.positional[0] + " into " + data_dir + ": " + counts + "\n");
  return kExitOk;
}

}  // namespace respite::cli
