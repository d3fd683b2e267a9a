// The offline tools run in-process (RunTool) on real stores in temp dirs: output, exit codes,
// corruption, the lock of an open store, backup and restore, reset. The end-to-end versions, with
// a real respite killed mid-write, are in tests/integration/journal_tools_test.cpp.

#include "cli/cli.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "storage/clock.h"
#include "storage/encoding.h"
#include "storage/local_store.h"
#include "tests/cli/run_tool.h"

namespace respite::cli {
namespace {

namespace fs = std::filesystem;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A data dir (DIR/store, as respite lays it out) with a few journaled writes.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/respite-cli-XXXXXX";
    root_ = mkdtemp(tmpl);
    data_ = root_ + "/data";
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(root_);
  }

  void OpenStore(const std::string& data_dir) {
    fs::create_directories(data_dir);
    storage::EngineOptions options;
    options.dir = data_dir + "/store";
    auto opened = storage::LocalStore::Open(options, &clock_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }
  void Exec(std::vector<std::string_view> argv) {
    std::string out;
    store_->Execute(session_, argv, &out);
    ASSERT_NE(out[0], '-') << out;
  }
  // SET, INCR, a binary value, a MULTI/EXEC group in db 2; the store is closed afterwards.
  void WriteSample() {
    OpenStore(data_);
    Exec({"SET", "k", "v"});
    Exec({"INCR", "n"});
    Exec({"SET", "bin", std::string_view("a\r\n\0b", 5)});
    Exec({"SELECT", "2"});
    Exec({"MULTI"});
    Exec({"SET", "x", "1"});
    Exec({"INCR", "y"});
    Exec({"EXEC"});
    store_.reset();
  }
  std::vector<std::string> Flags(std::vector<std::string> args) const {
    args.insert(args.end(), {"--data-dir", data_});
    return args;
  }

  std::string root_;
  std::string data_;
  storage::FakeClock clock_{1714564800123};
  storage::LocalSession session_;
  std::unique_ptr<storage::LocalStore> store_;
};

TEST_F(CliTest, NotAToolIsLeftToTheProxy) {
  EXPECT_EQ(Tool({}).code, -1);
  EXPECT_EQ(Tool({"--listen", "127.0.0.1:1"}).code, -1);
  EXPECT_EQ(Tool({"journals"}).code, -1);
}

TEST_F(CliTest, BadUsageExits2WithUsage) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"journal"},
           {"journal", "frobnicate"},
           {"journal", "dump", "--yes"},
           {"journal", "verify", "--json"},
           {"journal", "stat", "extra"},
           {"journal", "stat", "--data-dir"},
           {"backup"},
           {"restore", "a", "b"},
           {"backup", "x", "--bogus"},
       }) {
    Ran r = Tool(args);
    EXPECT_EQ(r.code, 2) << args[0] << " " << (args.size() > 1 ? args[1] : "");
    EXPECT_TRUE(Contains(r.err, "usage: respite journal")) << r.err;
    EXPECT_EQ(r.out, "");
  }
  Ran help = Tool({"journal", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_TRUE(Contains(help.out, "usage:"));
}

TEST_F(CliTest, MissingStoreFails) {
  Ran r = Tool(Flags({"journal", "stat"}));
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Contains(r.err, "no respite store in " + data_)) << r.err;
  EXPECT_FALSE(fs::exists(data_)) << "a tool must not create a data dir";
}

TEST_F(CliTest, DumpShowsEveryEntryInOrder) {
  WriteSample();
  Ran text = Tool(Flags({"journal", "dump"}));
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_EQ(text.out,
            "1 2024-05-01T12:00:00.123Z db=0 \"SET\" \"k\" \"v\"\n"
            "2 2024-05-01T12:00:00.123Z db=0 \"INCRBY\" \"n\" \"1\"\n"
            "3 2024-05-01T12:00:00.123Z db=0 \"SET\" \"bin\" \"a\\r\\n\\x00b\"\n"
            "4 2024-05-01T12:00:00.123Z db=2 group=4 \"SET\" \"x\" \"1\"\n"
            "5 2024-05-01T12:00:00.123Z db=2 group=4,end \"INCRBY\" \"y\" \"1\"\n");
  Ran json = Tool(Flags({"journal", "dump", "--json"}));
  ASSERT_EQ(json.code, 0) << json.err;
  const std::string time = "\"wall_ms\":1714564800123,\"time\":\"2024-05-01T12:00:00.123Z\"";
  EXPECT_EQ(json.out, "{\"seq\":1,\"db\":0," + time +
                          ",\"group\":0,\"group_end\":false,\"argv\":[\"SET\",\"k\",\"v\"]}\n"
                          "{\"seq\":2,\"db\":0," +
                          time +
                          ",\"group\":0,\"group_end\":false,\"argv\":[\"INCRBY\",\"n\",\"1\"]}\n"
                          "{\"seq\":3,\"db\":0," +
                          time +
                          ",\"group\":0,\"group_end\":false,\"argv\":[\"SET\",\"bin\","
                          "\"a\\r\\n\\u0000b\"]}\n"
                          "{\"seq\":4,\"db\":2," +
                          time +
                          ",\"group\":4,\"group_end\":false,\"argv\":[\"SET\",\"x\",\"1\"]}\n"
                          "{\"seq\":5,\"db\":2," +
                          time +
                          ",\"group\":4,\"group_end\":true,\"argv\":[\"INCRBY\",\"y\",\"1\"]}\n");
}

TEST_F(CliTest, StatCountsTheJournal) {
  WriteSample();
  Ran r = Tool(Flags({"journal", "stat"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "pending entries: 5\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "first seq: 1\nlast seq: 5\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "oldest entry: 2024-05-01T12:00:00.123Z (")) << r.out;
  EXPECT_TRUE(Contains(r.out, "dead letters: 0\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "journal id: ")) << r.out;
  Ran json = Tool(Flags({"journal", "stat", "--json"}));
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_TRUE(Contains(json.out, "\"pending_entries\":5,")) << json.out;
  EXPECT_TRUE(Contains(json.out, "\"first_seq\":1,\"last_seq\":5,")) << json.out;
  EXPECT_TRUE(Contains(json.out, "\"oldest_wall_ms\":1714564800123,")) << json.out;
}

TEST_F(CliTest, DataDirComesFromTheEnvironmentOrTheConfigFile) {
  WriteSample();
  Ran env = Tool({"journal", "stat"}, {"RESPITE_DATA_DIR=" + data_});
  ASSERT_EQ(env.code, 0) << env.err;
  EXPECT_TRUE(Contains(env.out, "data dir: " + data_ + "\n")) << env.out;
  const std::string config = root_ + "/respite.yaml";
  std::ofstream(config) << "data_dir: " << data_ << "\n";
  Ran file = Tool({"journal", "stat", "--config", config});
  ASSERT_EQ(file.code, 0) << file.err;
  EXPECT_TRUE(Contains(file.out, "pending entries: 5\n")) << file.out;
  // The flag wins over both.
  Ran flag =
      Tool({"journal", "stat", "--data-dir", root_ + "/nothing"}, {"RESPITE_DATA_DIR=" + data_});
  EXPECT_EQ(flag.code, 1);
}

TEST_F(CliTest, CorruptEntryFailsVerifyAndIsShownByDump) {
  WriteSample();
  OpenStore(data_);
  std::string key;
  storage::PutU64(&key, 2);
  std::string value;
  ASSERT_TRUE(store_->engine().Get(storage::Family::kJournal, key, &value).ok());
  value[value.size() - 40] ^= 1;  // inside the argv, under the same HMAC
  store_->engine().Put(storage::Family::kJournal, key, value);
  ASSERT_TRUE(store_->engine().Commit().ok());
  store_.reset();

  Ran verify = Tool(Flags({"journal", "verify"}));
  EXPECT_EQ(verify.code, 1);
  EXPECT_TRUE(Contains(verify.out, "seq 2: failed its integrity check")) << verify.out;
  EXPECT_TRUE(Contains(verify.out, "checked 5 entries: 4 ok, 1 corrupt")) << verify.out;
  Ran dump = Tool(Flags({"journal", "dump", "--json"}));
  EXPECT_EQ(dump.code, 1);
  EXPECT_TRUE(Contains(dump.out, "{\"seq\":2,\"corrupt\":true,")) << dump.out;
  EXPECT_TRUE(Contains(dump.out, "{\"seq\":3,")) << "the entries after it are still listed";
  // The tools only look: the entry is still in the journal, not moved to the dead letters.
  Ran again = Tool(Flags({"journal", "verify"}));
  EXPECT_EQ(again.code, 1);
  EXPECT_TRUE(Contains(again.out, "0 dead letters")) << again.out;
}

TEST_F(CliTest, VerifyPassesACleanJournal) {
  WriteSample();
  Ran r = Tool(Flags({"journal", "verify"}));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "checked 5 entries: 5 ok, 0 corrupt; 0 dead letters\n");
}

TEST_F(CliTest, DeadLettersAreListedWithTheirError) {
  WriteSample();
  OpenStore(data_);
  storage::JournalEntry e;
  e.seq = 1;
  e.wall_ms = 1714564800123;
  e.argv = {"SET", "k", "v"};
  store_->journal().DeadLetterEntry(e, "WRONGTYPE Operation against a key", 1714564801000);
  ASSERT_TRUE(store_->engine().Commit().ok());
  store_.reset();
  Ran text = Tool(Flags({"journal", "deadletters"}));
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_EQ(text.out,
            "1 failed=2024-05-01T12:00:01.000Z error=\"WRONGTYPE Operation against a key\" "
            "entry: 2024-05-01T12:00:00.123Z db=0 \"SET\" \"k\" \"v\"\n");
  Ran json = Tool(Flags({"journal", "deadletters", "--json"}));
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_EQ(json.out,
            "{\"seq\":1,\"failed_ms\":1714564801000,\"error\":\"WRONGTYPE Operation against a "
            "key\",\"readable\":true,\"db\":0,\"wall_ms\":1714564800123,\"time\":\"2024-05-01T12:"
            "00:00.123Z\",\"group\":0,\"group_end\":false,\"argv\":[\"SET\",\"k\",\"v\"]}\n");
}

TEST_F(CliTest, AnOpenStoreIsRefusedWithTheLockMessage) {
  WriteSample();
  OpenStore(data_);  // holds RocksDB's lock, as a running respite does
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"journal", "stat"},
                                             {"journal", "reset", "--yes"},
                                             {"journal", "compact"},
                                             {"backup", root_ + "/backup"}}) {
    Ran r = Tool(Flags(args));
    EXPECT_EQ(r.code, 1) << args[1];
    EXPECT_TRUE(Contains(r.err, "respite is running on this data dir")) << r.err;
    EXPECT_TRUE(Contains(r.err, "stop it first")) << r.err;
  }
  EXPECT_FALSE(fs::exists(root_ + "/backup"));
}

TEST_F(CliTest, ResetNeedsYes) {
  WriteSample();
  Ran no = Tool(Flags({"journal", "reset"}));
  EXPECT_EQ(no.code, 1);
  EXPECT_TRUE(Contains(no.err, "5 pending entries (")) << no.err;
  EXPECT_TRUE(Contains(no.err, "--yes")) << no.err;
  EXPECT_TRUE(Contains(Tool(Flags({"journal", "stat"})).out, "pending entries: 5\n"));
  Ran yes = Tool(Flags({"journal", "reset", "--yes"}));
  EXPECT_EQ(yes.code, 0) << yes.err;
  EXPECT_TRUE(Contains(yes.out, "deleted 5 pending entries")) << yes.out;
  Ran stat = Tool(Flags({"journal", "stat"}));
  EXPECT_TRUE(Contains(stat.out, "pending entries: 0\n")) << stat.out;
  EXPECT_EQ(Tool(Flags({"journal", "dump"})).out, "");
}

TEST_F(CliTest, CompactPrintsSizes) {
  WriteSample();
  Ran r = Tool(Flags({"journal", "compact"}));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "before: ")) << r.out;
  EXPECT_TRUE(Contains(r.out, "after: ")) << r.out;
}

TEST_F(CliTest, BackupAndRestoreRoundTrip) {
  WriteSample();
  const std::string backup = root_ + "/backup";
  Ran b = Tool(Flags({"backup", backup}));
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_TRUE(Contains(b.out, "5 pending journal entries")) << b.out;
  struct stat st;
  ASSERT_EQ(::stat((backup + "/store/journal.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(backup.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  Ran again = Tool(Flags({"backup", backup}));
  EXPECT_EQ(again.code, 1);
  EXPECT_TRUE(Contains(again.err, "already exists")) << again.err;

  const std::string restored = root_ + "/restored";
  Ran r = Tool({"restore", backup, "--data-dir", restored});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(fs::exists(restored + "/store.restoring"));
  const std::string original = Tool(Flags({"journal", "dump", "--json"})).out;
  EXPECT_EQ(Tool({"journal", "dump", "--json", "--data-dir", restored}).out, original);
  ASSERT_EQ(::stat((restored + "/store/journal.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // The data came along too.
  OpenStore(restored);
  std::string out;
  std::vector<std::string_view> get = {"GET", "k"};
  storage::LocalSession db0;
  store_->Execute(db0, get, &out);
  EXPECT_EQ(out, "$1\r\nv\r\n");
  store_.reset();

  Ran over = Tool({"restore", backup, "--data-dir", restored});
  EXPECT_EQ(over.code, 1);
  EXPECT_TRUE(Contains(over.err, "already holds a store")) << over.err;
  Ran not_backup = Tool({"restore", root_ + "/nothing", "--data-dir", root_ + "/fresh"});
  EXPECT_EQ(not_backup.code, 1);
  EXPECT_TRUE(Contains(not_backup.err, "is not a respite backup")) << not_backup.err;
  EXPECT_FALSE(fs::exists(root_ + "/fresh"));
}

}  // namespace
}  // namespace respite::cli
