// End-to-end tests of the offline tools (`respite journal ...`, `respite backup`, `respite
// restore`): a real respite serves locally in front of a dead upstream and journals writes; it is
// SIGKILLed while a writer is mid-command; then the built respite binary runs the tools on its
// data dir as subprocesses. JSON output is parsed with Boost.JSON, independently of respite's own
// escaper.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/client.h"
#include "tests/support/process.h"
#include "tests/support/respite_process.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

// One journal entry as `respite journal dump --json` prints it.
struct Entry {
  uint64_t seq = 0;
  int db = 0;
  int64_t wall_ms = 0;
  uint64_t group = 0;
  bool group_end = false;
  std::vector<std::string> argv;
};

// The dump's strings carry one byte per code point (U+0000..U+00FF); Boost.JSON hands them back
// as UTF-8. Undo that to get the exact bytes.
std::string Bytes(json::string_view utf8) {
  std::string out;
  for (size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if ((c == 0xc2 || c == 0xc3) && i + 1 < utf8.size()) {
      out.push_back(static_cast<char>(((c & 0x1f) << 6) | (utf8[++i] & 0x3f)));
    } else {
      ADD_FAILURE() << "code point above U+00FF in a dump string";
    }
  }
  return out;
}

// Parses every line that starts with '{' (stderr shares the log; it is empty on success).
std::vector<json::object> JsonLines(const std::string& text) {
  std::vector<json::object> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] != '{') continue;
    json::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object()) {
      ADD_FAILURE() << "not a JSON object: " << line;
      continue;
    }
    out.push_back(v.as_object());
  }
  return out;
}

std::vector<Entry> Entries(const std::string& dump) {
  std::vector<Entry> out;
  for (const json::object& o : JsonLines(dump)) {
    Entry e;
    e.seq = o.at("seq").to_number<uint64_t>();
    e.db = o.at("db").to_number<int>();
    e.wall_ms = o.at("wall_ms").to_number<int64_t>();
    e.group = o.at("group").to_number<uint64_t>();
    e.group_end = o.at("group_end").as_bool();
    for (const json::value& a : o.at("argv").as_array()) e.argv.push_back(Bytes(a.as_string()));
    out.push_back(std::move(e));
  }
  return out;
}

struct ToolRun {
  int code = -1;  // -1: did not run to completion (see output)
  std::string output;
};

const std::string kBinary("a\r\n\0b\xff", 6);

class JournalToolsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure() && respite_) {
      std::cerr << "---- respite log (" << respite_->dir() << ") ----\n"
                << respite_->Log() << "\n----\n";
    }
  }

  // respite pinned to the local store on `data_dir`; nothing listens at its upstream.
  std::string StartRespite(const std::string& data_dir) {
    RespiteOptions options;
    options.upstream_url = "redis://127.0.0.1:" + std::to_string(dead_port_);
    options.log_level = "info";
    options.extra_args = {"--mode", "local", "--data-dir", data_dir};
    respite_ = std::make_unique<RespiteProcess>(std::move(options));
    return respite_->Start();
  }

  // Runs the built respite binary with `args` and --data-dir `data_dir`.
  ToolRun Tool(std::vector<std::string> args, const std::string& data_dir) {
    std::vector<std::string> argv = {RespiteBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--data-dir", data_dir});
    const std::string log = tmp_.File("tool-" + std::to_string(++runs_) + ".log");
    std::string error;
    ToolRun run;
    auto status = RunToCompletion(argv, log, 60s, &error);
    run.output = ReadFile(log) + error;
    if (status && status->exited) run.code = status->code;
    return run;
  }

  // SET, INCR, a binary value, and a MULTI/EXEC group in db 3; returns the journal it makes.
  std::vector<Entry> WriteSample(Client& c) {
    EXPECT_TRUE(c.Command({"SET", "k1", "v1"}).IsStatus("OK"));
    EXPECT_TRUE(c.Command({"INCR", "counter"}).IsInteger(1));
    EXPECT_TRUE(c.Command({"SET", "bin", kBinary}).IsStatus("OK"));
    EXPECT_TRUE(c.Command({"SELECT", "3"}).IsStatus("OK"));
    EXPECT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
    EXPECT_TRUE(c.Command({"SET", "g1", "x"}).IsStatus("QUEUED"));
    EXPECT_TRUE(c.Command({"INCR", "g2"}).IsStatus("QUEUED"));
    EXPECT_TRUE(c.Command({"EXEC"}).IsArray(2));
    EXPECT_TRUE(c.Command({"SELECT", "0"}).IsStatus("OK"));
    return {
        {0, 0, 0, 0, false, {"SET", "k1", "v1"}},
        {0, 0, 0, 0, false, {"INCRBY", "counter", "1"}},
        {0, 0, 0, 0, false, {"SET", "bin", kBinary}},
        {0, 3, 0, 1, false, {"SET", "g1", "x"}},  // group: 1 = grouped, resolved below
        {0, 3, 0, 1, true, {"INCRBY", "g2", "1"}},
    };
  }

  // Checks `got` against `want` (seqs increasing, groups tied to their first seq).
  static void ExpectEntries(const std::vector<Entry>& got, const std::vector<Entry>& want) {
    ASSERT_GE(got.size(), want.size());
    uint64_t group_start = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      SCOPED_TRACE("entry " + std::to_string(i));
      EXPECT_EQ(got[i].argv, want[i].argv);
      EXPECT_EQ(got[i].db, want[i].db);
      EXPECT_EQ(got[i].group_end, want[i].group_end);
      if (i > 0) {
        EXPECT_GT(got[i].seq, got[i - 1].seq);
      }
      if (want[i].group == 0) {
        EXPECT_EQ(got[i].group, 0u);
        group_start = 0;
      } else {
        if (group_start == 0) group_start = got[i].seq;
        EXPECT_EQ(got[i].group, group_start);
      }
    }
  }

  TempDir tmp_{"respite-jtools"};
  std::string data_dir_ = tmp_.File("data");
  uint16_t dead_port_ = FreePort();  // nothing listens here
  std::unique_ptr<RespiteProcess> respite_;
  int runs_ = 0;
};

TEST_F(JournalToolsTest, DumpListsEveryAcknowledgedWriteAfterSigkill) {
  const auto started_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  ASSERT_EQ(StartRespite(data_dir_), "");
  Client c(respite_->port(), 5s);
  ASSERT_TRUE(c.ok()) << c.error();
  const std::vector<Entry> sample = WriteSample(c);

  // A writer still writing when respite is killed: SET w:<i> <i> with a binary tail.
  std::atomic<int> acked{0};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    Client w(respite_->port(), 5s);
    for (int i = 0; w.ok() && !stop.load(); ++i) {
      Reply r = w.Command({"SET", "w:" + std::to_string(i), std::to_string(i) + kBinary});
      if (!r.IsStatus("OK")) break;
      acked = i + 1;
    }
  });
  std::this_thread::sleep_for(400ms);
  ASSERT_TRUE(respite_->process().Running()) << "respite died before the kill";
  respite_->process().Kill();  // SIGKILL mid-write
  stop = true;
  writer.join();
  ASSERT_GT(acked.load(), 0) << "the writer got nothing acknowledged";

  ToolRun verify = Tool({"journal", "verify"}, data_dir_);
  EXPECT_EQ(verify.code, 0) << verify.output;
  EXPECT_NE(verify.output.find(" 0 corrupt"), std::string::npos) << verify.output;

  ToolRun dump = Tool({"journal", "dump", "--json"}, data_dir_);
  ASSERT_EQ(dump.code, 0) << dump.output;
  const std::vector<Entry> entries = Entries(dump.output);
  ExpectEntries(entries, sample);
  // Then every acknowledged write in order, exact bytes, and at most the one in flight.
  const size_t written = entries.size() - sample.size();
  EXPECT_GE(written, static_cast<size_t>(acked.load()));
  EXPECT_LE(written, static_cast<size_t>(acked.load()) + 1);
  for (size_t i = 0; i < written; ++i) {
    const Entry& e = entries[sample.size() + i];
    const std::vector<std::string> want = {"SET", "w:" + std::to_string(i),
                                           std::to_string(i) + kBinary};
    ASSERT_EQ(e.argv, want) << "writer entry " << i;
    EXPECT_GT(e.seq, entries[sample.size() + i - 1].seq);
  }
  for (const Entry& e : entries) {
    EXPECT_GE(e.wall_ms, started_ms - 1000);
    EXPECT_LE(e.wall_ms, started_ms + 600'000);
  }

  ToolRun stat = Tool({"journal", "stat", "--json"}, data_dir_);
  ASSERT_EQ(stat.code, 0) << stat.output;
  const std::vector<json::object> stats = JsonLines(stat.output);
  ASSERT_EQ(stats.size(), 1u) << stat.output;
  const json::object& s = stats[0];
  EXPECT_EQ(s.at("pending_entries").to_number<uint64_t>(), entries.size());
  EXPECT_EQ(s.at("first_seq").to_number<uint64_t>(), entries.front().seq);
  EXPECT_EQ(s.at("last_seq").to_number<uint64_t>(), entries.back().seq);
  EXPECT_EQ(s.at("oldest_wall_ms").to_number<int64_t>(), entries.front().wall_ms);
  EXPECT_EQ(s.at("dead_letters").to_number<uint64_t>(), 0u);
  EXPECT_EQ(s.at("applied_through").to_number<uint64_t>(), 0u);
  EXPECT_EQ(s.at("journal_id").as_string().size(), 32u);
  EXPECT_GT(s.at("pending_bytes").to_number<uint64_t>(), 0u);

  // Text forms work too: one line per entry, arguments quoted like redis-cli.
  ToolRun text = Tool({"journal", "dump"}, data_dir_);
  ASSERT_EQ(text.code, 0) << text.output;
  EXPECT_NE(text.output.find(" db=0 \"SET\" \"bin\" \"a\\r\\n\\x00b\\xff\"\n"), std::string::npos)
      << text.output;
  EXPECT_EQ(static_cast<size_t>(std::count(text.output.begin(), text.output.end(), '\n')),
            entries.size());
  ToolRun stat_text = Tool({"journal", "stat"}, data_dir_);
  EXPECT_NE(stat_text.output.find("pending entries: " + std::to_string(entries.size()) + "\n"),
            std::string::npos)
      << stat_text.output;
  ToolRun dead = Tool({"journal", "deadletters"}, data_dir_);
  EXPECT_EQ(dead.code, 0) << dead.output;
  EXPECT_EQ(dead.output, "no dead letters\n");
}

TEST_F(JournalToolsTest, ToolsRefuseWhileRespiteRuns) {
  ASSERT_EQ(StartRespite(data_dir_), "");
  Client c(respite_->port(), 5s);
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.Command({"SET", "k", "v"}).IsStatus("OK"));
  const std::string backup = tmp_.File("backup");
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"journal", "stat"},
                                             {"journal", "dump", "--json"},
                                             {"journal", "verify"},
                                             {"journal", "compact"},
                                             {"journal", "deadletters"},
                                             {"journal", "reset", "--yes"},
                                             {"backup", backup}}) {
    ToolRun run = Tool(args, data_dir_);
    EXPECT_EQ(run.code, 1) << args[0] << " " << args[1] << ": " << run.output;
    EXPECT_NE(run.output.find("respite is running on this data dir"), std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("stop it first"), std::string::npos) << run.output;
  }
  EXPECT_FALSE(std::filesystem::exists(backup));
  ToolRun restore = Tool({"restore", tmp_.File("nothing")}, data_dir_);
  EXPECT_EQ(restore.code, 1) << restore.output;

  // respite noticed nothing; once it is stopped the tools work.
  EXPECT_TRUE(c.Command({"GET", "k"}).IsString("v"));
  auto status = respite_->process().Terminate(10s);
  ASSERT_TRUE(status && status->Success()) << (status ? status->ToString() : "still running");
  ToolRun stat = Tool({"journal", "stat"}, data_dir_);
  EXPECT_EQ(stat.code, 0) << stat.output;
  EXPECT_NE(stat.output.find("pending entries: 1\n"), std::string::npos) << stat.output;
}

TEST_F(JournalToolsTest, BackupAndRestoreRoundTrip) {
  ASSERT_EQ(StartRespite(data_dir_), "");
  {
    Client c(respite_->port(), 5s);
    ASSERT_TRUE(c.ok()) << c.error();
    WriteSample(c);
  }
  respite_->process().Kill();
  const std::string original = Tool({"journal", "dump", "--json"}, data_dir_).output;
  ASSERT_EQ(Entries(original).size(), 5u) << original;

  const std::string backup = tmp_.File("backup");
  ToolRun b = Tool({"backup", backup}, data_dir_);
  ASSERT_EQ(b.code, 0) << b.output;
  struct stat st;
  ASSERT_EQ(::stat((backup + "/store/journal.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ToolRun again = Tool({"backup", backup}, data_dir_);
  EXPECT_EQ(again.code, 1) << "a backup never overwrites: " << again.output;

  const std::string restored = tmp_.File("restored");
  ToolRun r = Tool({"restore", backup}, restored);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(Tool({"journal", "dump", "--json"}, restored).output, original);
  ToolRun over = Tool({"restore", backup}, restored);
  EXPECT_EQ(over.code, 1) << over.output;
  EXPECT_NE(over.output.find("already holds a store"), std::string::npos) << over.output;
  ToolRun over_original = Tool({"restore", backup}, data_dir_);
  EXPECT_EQ(over_original.code, 1) << over_original.output;

  // respite runs on the restored dir with the data and the journal.
  ASSERT_EQ(StartRespite(restored), "");
  Client c(respite_->port(), 5s);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c.Command({"GET", "k1"}).IsString("v1"));
  EXPECT_TRUE(c.Command({"GET", "bin"}).IsString(kBinary));
  EXPECT_TRUE(c.Command({"SELECT", "3"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"GET", "g1"}).IsString("x"));
}

// A backup with a symbolic link in it (made elsewhere, or tampered with) is refused: copying it
// would pull whatever the link names (any file respite's user can read) into the data dir.
TEST_F(JournalToolsTest, RestoreRefusesABackupWithASymbolicLink) {
  ASSERT_EQ(StartRespite(data_dir_), "");
  {
    Client c(respite_->port(), 5s);
    ASSERT_TRUE(c.ok()) << c.error();
    WriteSample(c);
  }
  respite_->process().Kill();
  const std::string backup = tmp_.File("backup");
  ASSERT_EQ(Tool({"backup", backup}, data_dir_).code, 0);
  const std::string secret = tmp_.File("not-yours");
  std::ofstream(secret) << "secret";
  ASSERT_EQ(::symlink(secret.c_str(), (backup + "/store/000999.sst").c_str()), 0);
  const std::string restored = tmp_.File("restored");
  ToolRun r = Tool({"restore", backup}, restored);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("symbolic link"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(restored + "/store")) << "a refused restore left a store";
  // Nested in a directory too.
  ::unlink((backup + "/store/000999.sst").c_str());
  std::filesystem::create_directory(backup + "/store/nested");
  ASSERT_EQ(::symlink(secret.c_str(), (backup + "/store/nested/x").c_str()), 0);
  r = Tool({"restore", backup}, tmp_.File("restored2"));
  EXPECT_EQ(r.code, 1) << r.output;
}

// The store is private (0700, every file 0600) whatever the umask; a data dir that existed keeps
// its own mode (a volume set up for respite), and a new one is 0700.
TEST_F(JournalToolsTest, TheStoreAndItsFilesAreOwnerOnly) {
  const std::string existing = tmp_.File("existing");
  std::filesystem::create_directory(existing);
  ::chmod(existing.c_str(), 0755);
  ASSERT_EQ(StartRespite(existing), "");
  {
    Client c(respite_->port(), 5s);
    ASSERT_TRUE(c.ok()) << c.error();
    WriteSample(c);
  }
  respite_->process().Kill();
  struct stat st {};
  ASSERT_EQ(::stat(existing.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u) << "respite changed the mode of a data dir it was given";
  ASSERT_EQ(::stat((existing + "/store").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(existing + "/store")) {
    ASSERT_EQ(::stat(entry.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 077, 0u) << entry.path() << " is readable by others";
    ++files;
  }
  EXPECT_GT(files, 3u);

  const std::string fresh = tmp_.File("fresh/data");
  ASSERT_EQ(StartRespite(fresh), "");
  respite_->process().Kill();
  ASSERT_EQ(::stat(fresh.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(JournalToolsTest, ResetNeedsYesThenEmptiesAndRespiteRestartsCleanly) {
  ASSERT_EQ(StartRespite(data_dir_), "");
  {
    Client c(respite_->port(), 5s);
    ASSERT_TRUE(c.ok()) << c.error();
    WriteSample(c);
  }
  respite_->process().Kill();
  const std::string before = Tool({"journal", "dump", "--json"}, data_dir_).output;
  const std::vector<Entry> entries = Entries(before);
  ASSERT_EQ(entries.size(), 5u) << before;

  ToolRun refused = Tool({"journal", "reset"}, data_dir_);
  EXPECT_NE(refused.code, 0);
  EXPECT_NE(refused.output.find("5 pending entries ("), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("--yes"), std::string::npos) << refused.output;
  EXPECT_EQ(Tool({"journal", "dump", "--json"}, data_dir_).output, before) << "changed nothing";

  ToolRun reset = Tool({"journal", "reset", "--yes"}, data_dir_);
  ASSERT_EQ(reset.code, 0) << reset.output;
  ToolRun stat = Tool({"journal", "stat", "--json"}, data_dir_);
  ASSERT_EQ(stat.code, 0) << stat.output;
  const std::vector<json::object> stats = JsonLines(stat.output);
  ASSERT_EQ(stats.size(), 1u) << stat.output;
  EXPECT_EQ(stats[0].at("pending_entries").to_number<uint64_t>(), 0u);
  EXPECT_EQ(stats[0].at("dead_letters").to_number<uint64_t>(), 0u);
  EXPECT_EQ(Tool({"journal", "dump", "--json"}, data_dir_).output, "");
  EXPECT_EQ(Tool({"journal", "verify"}, data_dir_).code, 0);

  // A restarted respite starts cleanly, and new entries never reuse the deleted sequences.
  ASSERT_EQ(StartRespite(data_dir_), "");
  {
    Client c(respite_->port(), 5s);
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_TRUE(c.Command({"SET", "after", "reset"}).IsStatus("OK"));
  }
  respite_->process().Kill();
  const std::vector<Entry> after = Entries(Tool({"journal", "dump", "--json"}, data_dir_).output);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].argv, (std::vector<std::string>{"SET", "after", "reset"}));
  EXPECT_GT(after[0].seq, entries.back().seq);
}

TEST_F(JournalToolsTest, BadUsageExits2) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"journal"}, {"journal", "nope"}, {"journal", "dump", "--bogus"}, {"backup"}}) {
    std::vector<std::string> argv = {RespiteBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string log = tmp_.File("usage-" + std::to_string(++runs_) + ".log");
    std::string error;
    auto status = RunToCompletion(argv, log, 30s, &error);
    ASSERT_TRUE(status) << error;
    EXPECT_TRUE(status->exited && status->code == 2) << args[0] << ": " << status->ToString();
    EXPECT_NE(ReadFile(log).find("usage: respite journal"), std::string::npos) << ReadFile(log);
  }
  EXPECT_FALSE(std::filesystem::exists(data_dir_)) << "bad usage touches no data dir";
}

}  // namespace
}  // namespace respite::test
