// The cost of the writes a local SET cannot avoid, measured without respite around them: the key's
// metadata (type, expiry, inline value) and its journal entry, written through the local store's
// own Engine and Journal (same RocksDB options as respite) in batches, as the store executor
// commits a pipelined burst. No parsing, no key lookup, no networking, no replies.
//
// Usage: build/bench/store_write_floor [SETS=2000000] [BATCH=800] [KEYS=100000] [VALUE=64]
//                                      [JOURNAL=1]
// JOURNAL 0 leaves the journal entry out (what the metadata write alone costs). BATCH 800 is 50
// clients x 16-deep pipelines (redis-benchmark -c 50 -P 16). Prints CPU microseconds per SET on the
// writing thread and in the whole process (RocksDB's flush and compaction threads included), and
// the req/s that one thread doing nothing else could reach.

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "storage/encoding.h"
#include "storage/engine.h"
#include "storage/journal.h"

namespace {

using respite::storage::Engine;
using respite::storage::EngineOptions;
using respite::storage::Family;
using respite::storage::Journal;
using respite::storage::MetaValue;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

long Arg(int argc, char** argv, int i, long fallback) {
  return argc > i ? std::strtol(argv[i], nullptr, 10) : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const long sets = Arg(argc, argv, 1, 2'000'000);
  const long batch = Arg(argc, argv, 2, 800);
  const long keys = Arg(argc, argv, 3, 100'000);
  const long value_len = Arg(argc, argv, 4, 64);
  const bool journaled = Arg(argc, argv, 5, 1) != 0;
  if (sets <= 0 || batch <= 0 || keys <= 0 || value_len < 0) {
    std::fprintf(stderr, "usage: store_write_floor [SETS] [BATCH] [KEYS] [VALUE] [JOURNAL]\n");
    return 2;
  }

  const std::string dir =
      std::filesystem::temp_directory_path() / ("respite-write-floor-" + std::to_string(getpid()));
  EngineOptions options;
  options.dir = dir;
  auto opened = Engine::Open(options);
  if (!opened.ok()) {
    std::fprintf(stderr, "store_write_floor: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<Engine> engine = std::move(opened).value();
  Engine::PrepareThread();
  auto journal_opened = Journal::Open(*engine, dir + "/journal.key", {});
  if (!journal_opened.ok()) {
    std::fprintf(stderr, "store_write_floor: %s\n", journal_opened.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<Journal> journal = std::move(journal_opened).value();

  std::mt19937 rng(1);
  MetaValue meta;
  meta.type = respite::storage::Type::kString;
  meta.payload.assign(static_cast<size_t>(value_len), 'x');
  std::string encoded;
  std::vector<std::vector<std::string>> argvs(1);
  const int dbs[1] = {0};
  char key[32];

  const auto wall_start = std::chrono::steady_clock::now();
  const double thread_start = ThreadCpuSeconds();
  const double process_start = ProcessCpuSeconds();
  auto last_sync = wall_start;
  for (long done = 0; done < sets;) {
    for (long i = 0; i < batch && done < sets; ++i, ++done) {
      std::snprintf(key, sizeof key, "key:%012ld", static_cast<long>(rng() % keys));
      meta.EncodeTo(&encoded);
      engine->PutUnindexed(Family::kMeta, respite::storage::MetaKey(0, key), encoded);
      if (journaled) {
        argvs[0] = {"SET", key, meta.payload};
        journal->Append(argvs, dbs, 0);
      }
    }
    if (!engine->Commit().ok()) {
      std::fprintf(stderr, "store_write_floor: commit failed\n");
      return 1;
    }
    journal->OnCommit();
    // fsync everysec, as the store's timer does it.
    const auto now = std::chrono::steady_clock::now();
    if (now - last_sync >= std::chrono::seconds(1)) {
      (void)engine->SyncWal();
      last_sync = now;
    }
  }
  const double thread_cpu = ThreadCpuSeconds() - thread_start;
  const double process_cpu = ProcessCpuSeconds() - process_start;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  journal.reset();
  engine.reset();
  std::filesystem::remove_all(dir);

  const double per_set_thread_us = thread_cpu * 1e6 / static_cast<double>(sets);
  const double per_set_process_us = process_cpu * 1e6 / static_cast<double>(sets);
  std::printf("%ld SETs%s, batches of %ld, %ld keys, %ld-byte values: %.1f s\n", sets,
              journaled ? " with journal entries" : " without journal entries", batch, keys,
              value_len, wall);
  std::printf("writing thread: %.2f us CPU per SET (at most %.0f SET/s on one thread)\n",
              per_set_thread_us, 1e6 / per_set_thread_us);
  std::printf("whole process:  %.2f us CPU per SET (RocksDB's background threads included)\n",
              per_set_process_us);
  return 0;
}
