// Crash tests of the local store: respite serves locally (`--mode local`) while client threads
// write; respite is SIGKILLed mid-write and started again on the same data directory; every write
// it acknowledged must be there. Real processes, real SIGKILL (no power loss is simulated: with
// fsync everysec or no the OS still holds the WAL, so a crash of respite alone loses nothing
// either). With pipelines, SIGKILL also meets the pipelined commit mid-way: store and journal must
// still agree key for key.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/client.h"
#include "tests/support/process.h"
#include "tests/support/respite_process.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;

constexpr int kWriters = 4;

// What one writer thread saw. Only that thread writes it until it is joined.
struct WriterLog {
  int acked_sets = 0;   // SET k<w>_<i> v<w>_<i> acknowledged for i < acked_sets
  int acked_items = 0;  // RPUSH crash:list x<w>_<i> acknowledged for i < acked_items
  int acked_incrs = 0;
  int in_flight_incrs = 0;                         // INCRs sent whose reply never came (0 or 1)
  std::map<std::string, std::string> first_error;  // command -> first error reply
  std::string io_error;                            // why the thread stopped
};

std::string Key(int writer, int i) {
  return "k" + std::to_string(writer) + "_" + std::to_string(i);
}
std::string Value(int writer, int i) {
  return "v" + std::to_string(writer) + "_" + std::to_string(i);
}
std::string Item(int writer, int i) {
  return "x" + std::to_string(writer) + "_" + std::to_string(i);
}

// Writes until the connection fails (respite killed) or `stop` is set. A command counts as
// acknowledged only when its success reply arrived. Error replies are recorded and the loop goes
// on (a command the store lacks must not hide the others).
void Write(uint16_t port, int writer, const std::atomic<bool>& stop, WriterLog* log) {
  Client c(port, 5s);
  if (!c.ok()) {
    log->io_error = "connect: " + c.error();
    return;
  }
  auto note_error = [&](const std::string& cmd, const Reply& r) {
    log->first_error.emplace(cmd, r.Describe());
  };
  int next_set = 0;
  int next_item = 0;
  while (!stop.load()) {
    Reply set = c.Command({"SET", Key(writer, next_set), Value(writer, next_set)});
    if (!set) break;
    if (set.IsStatus("OK")) {
      ++next_set;
    } else {
      note_error("SET", set);
    }
    log->acked_sets = next_set;

    Reply push = c.Command({"RPUSH", "crash:list", Item(writer, next_item)});
    if (!push) break;
    if (push->type == REDIS_REPLY_INTEGER) {
      ++next_item;
    } else {
      note_error("RPUSH", push);
    }
    log->acked_items = next_item;

    log->in_flight_incrs = 1;
    Reply incr = c.Command({"INCR", "crash:counter"});
    if (!incr) break;
    log->in_flight_incrs = 0;
    if (incr->type == REDIS_REPLY_INTEGER) {
      ++log->acked_incrs;
    } else {
      note_error("INCR", incr);
    }
  }
  log->io_error = c.error();
}

class CrashTest : public ::testing::TestWithParam<std::string> {
 protected:
  void TearDown() override {
    if (HasFailure() && respite_) {
      std::cerr << "---- respite log (" << respite_->dir() << ") ----\n"
                << respite_->Log() << "\n----\n";
    }
  }

  // A fresh respite process on data_ with fsync GetParam(), via the environment variable.
  std::string StartRespite() {
    RespiteOptions options;
    options.upstream_url = "redis://127.0.0.1:" + std::to_string(dead_port_);
    options.log_level = "info";
    options.extra_args = {"--mode", "local", "--data-dir", data_.path()};
    options.env = {"RESPITE_STORAGE_FSYNC=" + GetParam()};
    respite_ = std::make_unique<RespiteProcess>(std::move(options));
    return respite_->Start();
  }

  TempDir data_{"respite-crash"};
  uint16_t dead_port_ = FreePort();  // nothing listens here
  std::unique_ptr<RespiteProcess> respite_;
};

TEST_P(CrashTest, SigkillMidWriteLosesNoAcknowledgedWrite) {
  ASSERT_EQ(StartRespite(), "");
  EXPECT_NE(respite_->Log().find("(fsync " + GetParam() + ")"), std::string::npos)
      << "respite did not report fsync " << GetParam() << "; log:\n"
      << respite_->Log();

  std::atomic<bool> stop{false};
  std::vector<WriterLog> logs(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back(Write, respite_->port(), w, std::cref(stop),
                         &logs[static_cast<size_t>(w)]);
  }
  std::this_thread::sleep_for(1500ms);
  ASSERT_TRUE(respite_->process().Running()) << "respite died before the kill";
  respite_->process().Kill();  // SIGKILL while the writers are mid-command
  stop = true;                 // in case a writer is between commands
  for (std::thread& t : writers) t.join();

  int total_sets = 0;
  int total_items = 0;
  int acked_incrs = 0;
  int in_flight_incrs = 0;
  for (int w = 0; w < kWriters; ++w) {
    const WriterLog& log = logs[static_cast<size_t>(w)];
    for (const auto& [cmd, error] : log.first_error) {
      ADD_FAILURE() << "writer " << w << ": " << cmd << " failed before the kill: " << error;
    }
    total_sets += log.acked_sets;
    total_items += log.acked_items;
    acked_incrs += log.acked_incrs;
    in_flight_incrs += log.in_flight_incrs;
  }
  std::cerr << "[ info ] fsync " << GetParam() << ": acknowledged before SIGKILL: " << total_sets
            << " SET, " << total_items << " RPUSH, " << acked_incrs << " INCR\n";
  EXPECT_GT(total_sets, 0) << "no SET acknowledged: nothing was tested";

  ASSERT_EQ(StartRespite(), "") << "restart on the same data dir after SIGKILL";
  Client c(respite_->port(), 10s);
  ASSERT_TRUE(c.ok()) << c.error();

  // Every acknowledged SET, pipelined per writer.
  for (int w = 0; w < kWriters; ++w) {
    const WriterLog& log = logs[static_cast<size_t>(w)];
    for (int i = 0; i < log.acked_sets; ++i) c.Append({"GET", Key(w, i)});
    int missing = 0;
    std::string first_missing;
    for (int i = 0; i < log.acked_sets; ++i) {
      Reply r = c.GetReply();
      ASSERT_TRUE(r) << "GET " << Key(w, i) << ": " << c.error();
      if (!r.IsString(Value(w, i))) {
        if (missing++ == 0) first_missing = Key(w, i) + " = " + r.Describe();
      }
    }
    EXPECT_EQ(missing, 0) << "writer " << w << ": " << missing << " of " << log.acked_sets
                          << " acknowledged SETs lost; first: " << first_missing;
  }

  // The list holds every acknowledged item once, each writer's in the order it pushed them, and
  // at most one unacknowledged item per writer (the one in flight at the kill).
  Reply list = c.Command({"LRANGE", "crash:list", "0", "-1"});
  ASSERT_TRUE(list && list->type == REDIS_REPLY_ARRAY) << list.Describe();
  std::vector<int> next(kWriters, 0);
  std::vector<int> extra(kWriters, 0);
  std::string list_error;
  for (size_t j = 0; j < list->elements && list_error.empty(); ++j) {
    std::string item(list->element[j]->str, list->element[j]->len);
    bool matched = false;
    for (int w = 0; w < kWriters && !matched; ++w) {
      auto& n = next[static_cast<size_t>(w)];
      if (item == Item(w, n)) {
        matched = true;
        if (n >= logs[static_cast<size_t>(w)].acked_items) ++extra[static_cast<size_t>(w)];
        ++n;
      }
    }
    if (!matched) list_error = "unexpected item " + item + " at index " + std::to_string(j);
  }
  EXPECT_EQ(list_error, "") << "duplicate, reordered or unknown list item";
  for (int w = 0; w < kWriters; ++w) {
    const WriterLog& log = logs[static_cast<size_t>(w)];
    EXPECT_GE(next[static_cast<size_t>(w)], log.acked_items)
        << "writer " << w << ": acknowledged RPUSHes lost";
    EXPECT_LE(extra[static_cast<size_t>(w)], 1) << "writer " << w;
  }

  Reply counter = c.Command({"GET", "crash:counter"});
  long long value = 0;
  if (counter.IsNil()) {
    value = 0;
  } else {
    ASSERT_TRUE(counter && counter->type == REDIS_REPLY_STRING) << counter.Describe();
    value = std::stoll(std::string(counter->str, counter->len));
  }
  EXPECT_GE(value, acked_incrs) << "acknowledged INCRs lost";
  EXPECT_LE(value, acked_incrs + in_flight_incrs) << "more INCRs than were sent";

  // The restarted store takes writes.
  EXPECT_TRUE(c.Command({"SET", "after:crash", "ok"}).IsStatus("OK"));
}

// One writer of SET pipelines, each `depth` deep, until the connection fails or `stop` is set.
// *sent: SETs sent; *acked: replies +OK read, in order (pk<w>_<i> for i < *acked).
void WritePipelines(uint16_t port, int writer, int depth, const std::atomic<bool>& stop,
                    std::atomic<int>* sent, std::atomic<int>* acked, std::string* error) {
  Client c(port, 5s);
  if (!c.ok()) {
    *error = "connect: " + c.error();
    return;
  }
  while (!stop.load()) {
    const int first = sent->load();
    for (int i = first; i < first + depth; ++i) {
      c.Append({"SET", "p" + Key(writer, i), Value(writer, i)});
    }
    sent->store(first + depth);
    for (int i = first; i < first + depth; ++i) {
      Reply r = c.GetReply();
      if (!r) return;  // killed
      if (!r.IsStatus("OK")) {
        *error = "SET " + Key(writer, i) + ": " + r.Describe();
        return;
      }
      acked->store(i + 1);
    }
  }
}

// The SET keys the journal holds (`respite journal dump --json`, offline).
std::set<std::string> JournaledSetKeys(const std::string& data_dir, std::string* error) {
  TempDir out{"respite-crash-dump"};
  const std::string log = out.path() + "/dump.json";
  const auto status = RunToCompletion(
      {RespiteBinary(), "journal", "dump", "--json", "--data-dir", data_dir}, log, 60s, error);
  std::set<std::string> keys;
  if (!status || !error->empty()) return keys;
  const std::string dump = ReadFile(log);
  constexpr std::string_view kSet = "\"argv\":[\"SET\",\"";
  for (size_t at = dump.find(kSet); at != std::string::npos; at = dump.find(kSet, at)) {
    at += kSet.size();
    keys.insert(dump.substr(at, dump.find('"', at) - at));
  }
  return keys;
}

TEST_P(CrashTest, SigkillMidPipelineLeavesStoreAndJournalInAgreement) {
  // Pipelines deep enough that the store executes one chunk while the last one is written (the
  // pipelined commit): SIGKILL then finds a batch in flight and one executed on top of it.
  constexpr int kDepth = 200;
  ASSERT_EQ(StartRespite(), "");
  std::atomic<bool> stop{false};
  std::vector<std::atomic<int>> sent(kWriters);
  std::vector<std::atomic<int>> acked(kWriters);
  std::vector<std::string> errors(kWriters);
  std::vector<std::thread> writers;
  for (size_t w = 0; w < kWriters; ++w) {
    writers.emplace_back(WritePipelines, respite_->port(), static_cast<int>(w), kDepth,
                         std::cref(stop), &sent[w], &acked[w], &errors[w]);
  }
  std::this_thread::sleep_for(1500ms);
  ASSERT_TRUE(respite_->process().Running()) << "respite died before the kill";
  respite_->process().Kill();
  stop = true;
  for (std::thread& t : writers) t.join();
  int total = 0;
  for (size_t w = 0; w < kWriters; ++w) {
    EXPECT_EQ(errors[w], "") << "writer " << w;
    total += acked[w].load();
  }
  std::cerr << "[ info ] fsync " << GetParam() << ": " << total
            << " pipelined SETs acknowledged before SIGKILL\n";
  EXPECT_GT(total, 4 * kDepth) << "too few pipelines ran to test anything";

  std::string dump_error;
  const std::set<std::string> journaled = JournaledSetKeys(data_.path(), &dump_error);
  ASSERT_EQ(dump_error, "");

  ASSERT_EQ(StartRespite(), "") << "restart on the same data dir after SIGKILL";
  Client c(respite_->port(), 10s);
  ASSERT_TRUE(c.ok()) << c.error();
  for (size_t w = 0; w < kWriters; ++w) {
    const int n = sent[w].load();
    for (int i = 0; i < n; ++i) c.Append({"GET", "p" + Key(static_cast<int>(w), i)});
    int stored = 0;      // a prefix of what was sent: batches reach the disk in order, whole
    std::string broken;  // the first key that breaks that, or disagrees with the journal
    for (int i = 0; i < n; ++i) {
      const std::string key = "p" + Key(static_cast<int>(w), i);
      Reply r = c.GetReply();
      ASSERT_TRUE(r) << c.error();
      const bool present = r.IsString(Value(static_cast<int>(w), i));
      if (present && stored == i) ++stored;
      if (broken.empty() && present && stored != i + 1) broken = key + " stored after a gap";
      if (broken.empty() && present != (journaled.count(key) == 1)) {
        broken = key + (present ? " stored but not journaled" : " journaled but not stored");
      }
    }
    EXPECT_EQ(broken, "") << "writer " << w;
    EXPECT_GE(stored, acked[w].load()) << "writer " << w << ": acknowledged SETs lost";
  }
}

INSTANTIATE_TEST_SUITE_P(Fsync, CrashTest, ::testing::Values("always", "everysec", "no"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace respite::test
