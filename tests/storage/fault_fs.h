#pragma once
// A RocksDB file system that fails its own file operations on demand (tests only): by kind (append,
// flush, sync, close, create, rename, read, directory fsync) and file class (WAL, SST, blob,
// MANIFEST, other), with a seeded probability or for the next N, counting what it fired. Passed to
// the local store as EngineOptions::env (rocksdb::NewCompositeEnv).

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

namespace respite::storage::fault_fs {

using rocksdb::FileOptions;
using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

enum Fault { kAppend, kFlush, kSync, kClose, kCreate, kRename, kRead, kDirSync, kFaultKinds };
constexpr const char* kFaultNames[kFaultKinds] = {"append", "flush",  "sync", "close",
                                                  "create", "rename", "read", "dirsync"};

// File classes, by name, that a rule applies to.
enum Files : unsigned { kWal = 1, kSst = 2, kBlob = 4, kManifest = 8, kOther = 16, kAll = 31 };

inline unsigned ClassOf(std::string_view path) {
  const std::string_view name = path.substr(path.rfind('/') + 1);
  if (name.ends_with(".log")) return kWal;
  if (name.ends_with(".sst")) return kSst;
  if (name.ends_with(".blob")) return kBlob;
  if (name.starts_with("MANIFEST")) return kManifest;
  return kOther;  // CURRENT, OPTIONS, IDENTITY, temp files, directories
}

// Decides which operations fail. Called from RocksDB's foreground and background threads.
class Injector {
 public:
  struct Rule {
    unsigned files = 0;      // which files (0: none)
    double probability = 0;  // each matching operation fails with this probability
    int next = 0;            // ...and the next `next` ones fail for sure
    bool no_space = false;   // NoSpace (a full disk) instead of a plain IOError
    int skip = 0;            // after `skip` that pass
  };
  void Arm(Fault f, unsigned files, double probability, int next = 0, bool no_space = false,
           int skip = 0) {
    std::lock_guard lock(mu_);
    rules_[f] = {files, probability, next, no_space, skip};
  }
  void Disarm() { SetRules({}); }
  std::array<Rule, kFaultKinds> rules() {
    std::lock_guard lock(mu_);
    return rules_;
  }
  void SetRules(const std::array<Rule, kFaultKinds>& rules) {
    std::lock_guard lock(mu_);
    rules_ = rules;
  }
  void Seed(uint32_t seed) {
    std::lock_guard lock(mu_);
    rng_.seed(seed);
  }
  uint64_t fired(Fault f) const { return fired_[f].load(); }
  uint64_t total() const {
    uint64_t n = 0;
    for (const auto& c : fired_) n += c.load();
    return n;
  }
  // Faults that may fail a write after its WAL record was handed to the file (a WAL's flush,
  // sync or close, a directory sync): the record may come back when the WAL is replayed, so
  // the write is ambiguous.
  uint64_t wal_after_write() const { return wal_after_write_.load(); }
  std::string Counters() const {
    std::string out;
    for (int f = 0; f < kFaultKinds; ++f) {
      out += std::string(out.empty() ? "" : " ") + kFaultNames[f] + "=" +
             std::to_string(fired_[f].load());
    }
    return out;
  }

  IOStatus Check(Fault f, const std::string& name) {
    std::lock_guard lock(mu_);
    Rule& r = rules_[f];
    if ((r.files & ClassOf(name)) == 0 || (r.skip > 0 && r.skip-- > 0)) return IOStatus::OK();
    bool fail = r.next > 0;
    if (fail) {
      --r.next;
    } else if (r.probability > 0) {
      fail = std::uniform_real_distribution<double>(0, 1)(rng_) < r.probability;
    }
    if (!fail) return IOStatus::OK();
    ++fired_[f];
    if ((ClassOf(name) == kWal && (f == kFlush || f == kSync || f == kClose)) || f == kDirSync) {
      ++wal_after_write_;
    }
    const std::string what = std::string("injected ") + kFaultNames[f] + " fault";
    return r.no_space ? IOStatus::NoSpace(what, name) : IOStatus::IOError(what, name);
  }

 private:
  std::mutex mu_;
  std::array<Rule, kFaultKinds> rules_{};
  std::mt19937 rng_{1};
  std::array<std::atomic<uint64_t>, kFaultKinds> fired_{};
  std::atomic<uint64_t> wal_after_write_{0};
};

template <typename Op>
inline IOStatus Guarded(Injector* in, Fault f, const std::string& name, Op op) {
  IOStatus s = in->Check(f, name);
  return s.ok() ? op() : s;
}

class FaultWritableFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultWritableFile(std::unique_ptr<rocksdb::FSWritableFile> f, std::string name, Injector* in)
      : FSWritableFileOwnerWrapper(std::move(f)), name_(std::move(name)), in_(in) {}
  IOStatus Append(const Slice& d, const IOOptions& o, IODebugContext* g) override {
    return Guarded(in_, kAppend, name_, [&] { return target()->Append(d, o, g); });
  }
  IOStatus Append(const Slice& d, const IOOptions& o, const rocksdb::DataVerificationInfo& v,
                  IODebugContext* g) override {
    return Guarded(in_, kAppend, name_, [&] { return target()->Append(d, o, v, g); });
  }
  IOStatus PositionedAppend(const Slice& d, uint64_t at, const IOOptions& o,
                            IODebugContext* g) override {
    return Guarded(in_, kAppend, name_, [&] { return target()->PositionedAppend(d, at, o, g); });
  }
  IOStatus PositionedAppend(const Slice& d, uint64_t at, const IOOptions& o,
                            const rocksdb::DataVerificationInfo& v, IODebugContext* g) override {
    return Guarded(in_, kAppend, name_, [&] { return target()->PositionedAppend(d, at, o, v, g); });
  }
  IOStatus Flush(const IOOptions& o, IODebugContext* g) override {
    return Guarded(in_, kFlush, name_, [&] { return target()->Flush(o, g); });
  }
  IOStatus Sync(const IOOptions& o, IODebugContext* g) override {
    return Guarded(in_, kSync, name_, [&] { return target()->Sync(o, g); });
  }
  IOStatus Fsync(const IOOptions& o, IODebugContext* g) override {
    return Guarded(in_, kSync, name_, [&] { return target()->Fsync(o, g); });
  }
  IOStatus RangeSync(uint64_t at, uint64_t n, const IOOptions& o, IODebugContext* g) override {
    return Guarded(in_, kSync, name_, [&] { return target()->RangeSync(at, n, o, g); });
  }
  IOStatus Close(const IOOptions& o, IODebugContext* g) override {
    // The descriptor is released either way, as close(2) does when it reports an error.
    IOStatus closed = target()->Close(o, g);
    IOStatus s = in_->Check(kClose, name_);
    return s.ok() ? closed : s;
  }

 private:
  std::string name_;
  Injector* in_;
};

class FaultRandomFile final : public rocksdb::FSRandomAccessFileOwnerWrapper {
 public:
  FaultRandomFile(std::unique_ptr<rocksdb::FSRandomAccessFile> f, std::string name, Injector* in)
      : FSRandomAccessFileOwnerWrapper(std::move(f)), name_(std::move(name)), in_(in) {}
  IOStatus Read(uint64_t at, size_t n, const IOOptions& o, Slice* r, char* scratch,
                IODebugContext* g) const override {
    return Guarded(in_, kRead, name_, [&] { return target()->Read(at, n, o, r, scratch, g); });
  }
  IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t n, const IOOptions& o,
                     IODebugContext* g) override {
    IOStatus s = in_->Check(kRead, name_);
    if (s.ok()) return target()->MultiRead(reqs, n, o, g);
    for (size_t i = 0; i < n; ++i) reqs[i].status = s;
    return s;
  }

 private:
  std::string name_;
  Injector* in_;
};

class FaultSequentialFile final : public rocksdb::FSSequentialFileOwnerWrapper {
 public:
  FaultSequentialFile(std::unique_ptr<rocksdb::FSSequentialFile> f, std::string name, Injector* in)
      : FSSequentialFileOwnerWrapper(std::move(f)), name_(std::move(name)), in_(in) {}
  IOStatus Read(size_t n, const IOOptions& o, Slice* r, char* scratch, IODebugContext* g) override {
    return Guarded(in_, kRead, name_, [&] { return target()->Read(n, o, r, scratch, g); });
  }
  IOStatus PositionedRead(uint64_t at, size_t n, const IOOptions& o, Slice* r, char* scratch,
                          IODebugContext* g) override {
    return Guarded(in_, kRead, name_,
                   [&] { return target()->PositionedRead(at, n, o, r, scratch, g); });
  }

 private:
  std::string name_;
  Injector* in_;
};

class FaultDirectory final : public rocksdb::FSDirectoryWrapper {
 public:
  FaultDirectory(std::unique_ptr<rocksdb::FSDirectory> d, std::string name, Injector* in)
      : FSDirectoryWrapper(std::move(d)), name_(std::move(name)), in_(in) {}
  IOStatus Fsync(const IOOptions& o, IODebugContext* g) override {
    return Guarded(in_, kDirSync, name_, [&] { return FSDirectoryWrapper::Fsync(o, g); });
  }
  IOStatus FsyncWithDirOptions(const IOOptions& o, IODebugContext* g,
                               const rocksdb::DirFsyncOptions& d) override {
    return Guarded(in_, kDirSync, name_,
                   [&] { return FSDirectoryWrapper::FsyncWithDirOptions(o, g, d); });
  }

 private:
  std::string name_;
  Injector* in_;
};

class FaultFs final : public rocksdb::FileSystemWrapper, public Injector {
 public:
  FaultFs() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "RespiteFaultFs"; }

  IOStatus NewSequentialFile(const std::string& f, const FileOptions& o,
                             std::unique_ptr<rocksdb::FSSequentialFile>* r,
                             IODebugContext* g) override {
    IOStatus s = target()->NewSequentialFile(f, o, r, g);
    if (s.ok()) *r = std::make_unique<FaultSequentialFile>(std::move(*r), f, this);
    return s;
  }
  IOStatus NewRandomAccessFile(const std::string& f, const FileOptions& o,
                               std::unique_ptr<rocksdb::FSRandomAccessFile>* r,
                               IODebugContext* g) override {
    IOStatus s = target()->NewRandomAccessFile(f, o, r, g);
    if (s.ok()) *r = std::make_unique<FaultRandomFile>(std::move(*r), f, this);
    return s;
  }
  IOStatus NewWritableFile(const std::string& f, const FileOptions& o,
                           std::unique_ptr<rocksdb::FSWritableFile>* r,
                           IODebugContext* g) override {
    return Wrap(f, r,
                Guarded(this, kCreate, f, [&] { return target()->NewWritableFile(f, o, r, g); }));
  }
  IOStatus ReopenWritableFile(const std::string& f, const FileOptions& o,
                              std::unique_ptr<rocksdb::FSWritableFile>* r,
                              IODebugContext* g) override {
    return Wrap(
        f, r, Guarded(this, kCreate, f, [&] { return target()->ReopenWritableFile(f, o, r, g); }));
  }
  IOStatus NewDirectory(const std::string& d, const IOOptions& o,
                        std::unique_ptr<rocksdb::FSDirectory>* r, IODebugContext* g) override {
    IOStatus s = Guarded(this, kDirSync, d, [&] { return target()->NewDirectory(d, o, r, g); });
    if (s.ok()) *r = std::make_unique<FaultDirectory>(std::move(*r), d, this);
    return s;
  }
  IOStatus RenameFile(const std::string& from, const std::string& to, const IOOptions& o,
                      IODebugContext* g) override {
    return Guarded(this, kRename, to, [&] { return target()->RenameFile(from, to, o, g); });
  }
  // Checkpoints hard-link SST and blob files: a link is a file creation.
  IOStatus LinkFile(const std::string& from, const std::string& to, const IOOptions& o,
                    IODebugContext* g) override {
    return Guarded(this, kCreate, from, [&] { return target()->LinkFile(from, to, o, g); });
  }

 private:
  IOStatus Wrap(const std::string& f, std::unique_ptr<rocksdb::FSWritableFile>* r, IOStatus s) {
    if (s.ok()) *r = std::make_unique<FaultWritableFile>(std::move(*r), f, this);
    return s;
  }
};

}  // namespace respite::storage::fault_fs
