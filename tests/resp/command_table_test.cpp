#include "resp/command_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace respite::resp {
namespace {

const CommandTable& Table() { return CommandTable::Instance(); }

std::string ReadFixture() {
  const std::string path = std::string(RESPITE_TEST_DATA_DIR) + "/command_reply.resp";
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Expects `spec` to exist with these fields; `flags` must all be set (others may be too).
void ExpectSpec(const CommandSpec* spec, int arity, uint32_t flags, int first, int last, int step) {
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->arity, arity) << spec->name;
  EXPECT_EQ(spec->flags & flags, flags) << spec->name;
  EXPECT_EQ(spec->first_key, first) << spec->name;
  EXPECT_EQ(spec->last_key, last) << spec->name;
  EXPECT_EQ(spec->key_step, step) << spec->name;
}

TEST(CommandTable, BuiltinTableIsLargeSortedAndUnique) {
  EXPECT_GT(Table().builtin_size(), 200u);
  EXPECT_EQ(Table().builtin_size(), kBuiltinCommandCount);
  const auto& rows = Table().builtin();
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_LT(rows[i - 1].name, rows[i].name) << "rows must be sorted and unique";
  }
  for (const CommandSpec& spec : rows) {
    EXPECT_EQ(Table().Find(spec.name), &spec) << spec.name;
    EXPECT_FALSE(spec.Has(kCmdLearned)) << spec.name;
  }
}

TEST(CommandTable, KnownRows) {
  const CommandSpec* get = Table().Find("get");
  ExpectSpec(get, 2, kCmdReadOnly | kCmdFast, 1, 1, 1);
  EXPECT_FALSE(get->Has(kCmdWrite));
  EXPECT_TRUE(get->ArityOk(2));
  EXPECT_FALSE(get->ArityOk(3));

  const CommandSpec* set = Table().Find("set");
  ExpectSpec(set, -3, kCmdWrite | kCmdDenyOom, 1, 1, 1);
  EXPECT_FALSE(set->Has(kCmdReadOnly));
  EXPECT_FALSE(set->ArityOk(2));
  EXPECT_TRUE(set->ArityOk(3));
  EXPECT_TRUE(set->ArityOk(7));

  ExpectSpec(Table().Find("blpop"), -3, kCmdWrite | kCmdBlocking, 1, -2, 1);
  ExpectSpec(Table().Find("mset"), -3, kCmdWrite | kCmdDenyOom, 1, -1, 2);
  ExpectSpec(Table().Find("subscribe"), -2, kCmdPubSub, 0, 0, 0);
  ExpectSpec(Table().Find("multi"), 1, kCmdNoScript | kCmdFast, 0, 0, 0);
  ExpectSpec(Table().Find("exec"), 1, kCmdNoScript, 0, 0, 0);
  ExpectSpec(Table().Find("eval"), -3, kCmdNoScript | kCmdMovableKeys, 0, 0, 0);
  ExpectSpec(Table().Find("flushall"), -1, kCmdWrite, 0, 0, 0);
  ExpectSpec(Table().Find("auth"), -2, kCmdNoAuth | kCmdFast, 0, 0, 0);
}

TEST(CommandTable, Subcommands) {
  const CommandSpec* client = Table().Find("client");
  ASSERT_NE(client, nullptr);
  EXPECT_TRUE(client->Has(kCmdContainer));
  const CommandSpec* config = Table().Find("config");
  ASSERT_NE(config, nullptr);
  EXPECT_TRUE(config->Has(kCmdContainer));
  EXPECT_FALSE(Table().Find("get")->Has(kCmdContainer));

  const CommandSpec* setname = Table().Find("client", "setname");
  ExpectSpec(setname, 3, kCmdNoScript | kCmdLoading | kCmdStale, 0, 0, 0);
  EXPECT_EQ(setname->name, "client|setname");
  EXPECT_EQ(Table().Find("CLIENT", "SetName"), setname);
  EXPECT_EQ(Table().Find("client|setname"), setname);

  const CommandSpec* config_get = Table().Find("config", "get");
  ExpectSpec(config_get, -3, kCmdAdmin | kCmdNoScript, 0, 0, 0);
  EXPECT_EQ(config_get->name, "config|get");
  ExpectSpec(Table().Find("object", "freq"), 3, kCmdReadOnly, 2, 2, 1);

  EXPECT_EQ(Table().Find("client", "nosuchsub"), nullptr);
  EXPECT_EQ(Table().Find("get", "x"), nullptr);
  EXPECT_EQ(Table().Find("client", std::string(100, 'x')), nullptr);
}

TEST(CommandTable, FindIsCaseInsensitive) {
  const CommandSpec* get = Table().Find("get");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(Table().Find("GeT"), get);
  EXPECT_EQ(Table().Find("GET"), get);
  EXPECT_EQ(Table().Find("ZRANGEBYSCORE"), Table().Find("zrangebyscore"));
  EXPECT_NE(Table().Find("ZRANGEBYSCORE"), nullptr);
}

TEST(CommandTable, UnknownIsNull) {
  EXPECT_EQ(Table().Find("nosuchcommand"), nullptr);
  EXPECT_EQ(Table().Find(""), nullptr);
  EXPECT_EQ(Table().Find("ge"), nullptr);
  EXPECT_EQ(Table().Find("gett"), nullptr);
  EXPECT_EQ(Table().Find(std::string(64, 'g')), nullptr);
  EXPECT_EQ(Table().Find(std::string(1000, 'g')), nullptr);
  EXPECT_EQ(Table().Find(std::string_view("get\0", 4)), nullptr);
}

TEST(CommandTable, LearnAddsModuleCommand) {
  // The table is process-wide: each test learns names of its own.
  CommandSpec spec{"MyMod.Query", -2, kCmdReadOnly, 1, 1, 1};
  EXPECT_EQ(Table().Find("mymod.query"), nullptr);
  EXPECT_TRUE(CommandTable::Instance().Learn(spec));

  const CommandSpec* learned = Table().Find("MYMOD.QUERY");
  ASSERT_NE(learned, nullptr);
  EXPECT_EQ(learned->name, "mymod.query");
  EXPECT_NE(learned->name.data(), spec.name.data()) << "Learn must copy the name";
  EXPECT_EQ(learned->arity, -2);
  EXPECT_TRUE(learned->Has(kCmdReadOnly));
  EXPECT_TRUE(learned->Has(kCmdLearned));
  EXPECT_EQ(learned->first_key, 1);
  EXPECT_EQ(Table().Find("mymod.query"), learned);

  EXPECT_FALSE(CommandTable::Instance().Learn(spec));
  EXPECT_FALSE(CommandTable::Instance().Learn({"mymod.QUERY", 3, 0, 0, 0, 0}));
  EXPECT_EQ(Table().Find("mymod.query")->arity, -2) << "the first definition wins";
}

TEST(CommandTable, LearnDoesNotReplaceBuiltins) {
  const CommandSpec* get = Table().Find("get");
  EXPECT_FALSE(CommandTable::Instance().Learn({"get", -1, kCmdWrite, 0, 0, 0}));
  EXPECT_FALSE(CommandTable::Instance().Learn({"GET", -1, kCmdWrite, 0, 0, 0}));
  EXPECT_FALSE(CommandTable::Instance().Learn({"client|setname", 2, 0, 0, 0, 0}));
  EXPECT_FALSE(CommandTable::Instance().Learn({"", 2, 0, 0, 0, 0}));
  EXPECT_EQ(Table().Find("get"), get);
  EXPECT_EQ(get->arity, 2);
}

TEST(CommandTable, LearnSubcommandAndLongName) {
  EXPECT_TRUE(CommandTable::Instance().Learn({"client|newthing", -2, kCmdAdmin, 0, 0, 0}));
  ASSERT_NE(Table().Find("Client", "NewThing"), nullptr);
  EXPECT_TRUE(Table().Find("client", "newthing")->Has(kCmdLearned));

  const std::string long_name = "Module." + std::string(100, 'X');
  EXPECT_EQ(Table().Find(long_name), nullptr);
  EXPECT_TRUE(CommandTable::Instance().Learn({long_name, 1, 0, 0, 0, 0}));
  const CommandSpec* found = Table().Find(long_name);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->name, "module." + std::string(100, 'x'));
}

TEST(CommandTable, ConcurrentFindAndLearn) {
  std::atomic<bool> stop{false};
  std::atomic<int> misses{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        if (Table().Find("GET") == nullptr) misses.fetch_add(1);
        (void)Table().Find("conc.cmd7");
      }
    });
  }
  std::vector<std::string> names;
  for (int i = 0; i < 50; ++i) names.push_back("conc.cmd" + std::to_string(i));
  for (const std::string& n : names) {
    EXPECT_TRUE(CommandTable::Instance().Learn({n, 1, 0, 0, 0, 0}));
  }
  stop.store(true);
  for (auto& t : readers) t.join();
  EXPECT_EQ(misses.load(), 0);
  for (const std::string& n : names) EXPECT_NE(Table().Find(n), nullptr) << n;
}

TEST(ParseCommandReply, FixtureYieldsBuiltinTable) {
  const std::string reply = ReadFixture();
  ASSERT_FALSE(reply.empty());
  std::vector<CommandSpec> specs;
  std::vector<std::unique_ptr<std::string>> names;
  ASSERT_TRUE(ParseCommandReply(reply, &specs, &names));
  EXPECT_EQ(names.size(), specs.size());
  std::sort(specs.begin(), specs.end(),
            [](const CommandSpec& a, const CommandSpec& b) { return a.name < b.name; });

  const auto& builtin = Table().builtin();
  ASSERT_EQ(specs.size(), builtin.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    const CommandSpec& got = specs[i];
    const CommandSpec& want = builtin[i];
    ASSERT_EQ(got.name, want.name);
    EXPECT_EQ(got.arity, want.arity) << want.name;
    // respite's own flags are not in Redis' reply (tools/gen_command_table.py adds them).
    EXPECT_EQ(got.flags, want.flags & ~(kCmdRunsScript | kCmdMayRunLong)) << want.name;
    EXPECT_EQ(got.first_key, want.first_key) << want.name;
    EXPECT_EQ(got.last_key, want.last_key) << want.name;
    EXPECT_EQ(got.key_step, want.key_step) << want.name;
  }
}

TEST(ParseCommandReply, AppendsAndOwnsNames) {
  std::vector<CommandSpec> specs;
  std::vector<std::unique_ptr<std::string>> names;
  // COMMAND INFO nosuch MyCmd, in the Redis 6 shape (seven fields), with a null for "nosuch".
  const std::string info =
      "*2\r\n$-1\r\n"
      "*7\r\n$5\r\nMyCmd\r\n:-3\r\n*3\r\n+write\r\n+module\r\n+denyoom\r\n:1\r\n:-1\r\n:2\r\n"
      "*1\r\n+@write\r\n";
  ASSERT_TRUE(ParseCommandReply(info, &specs, &names));
  ASSERT_TRUE(
      ParseCommandReply("*1\r\n*6\r\n+other\r\n:1\r\n*0\r\n:0\r\n:0\r\n:0\r\n", &specs, &names));
  ASSERT_EQ(specs.size(), 2u);
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(specs[0].name, "mycmd");
  EXPECT_EQ(specs[0].name.data(), names[0]->data());
  EXPECT_EQ(specs[0].arity, -3);
  EXPECT_EQ(specs[0].flags, kCmdWrite | kCmdDenyOom);
  EXPECT_EQ(specs[0].first_key, 1);
  EXPECT_EQ(specs[0].last_key, -1);
  EXPECT_EQ(specs[0].key_step, 2);
  EXPECT_EQ(specs[1].name, "other");
  EXPECT_EQ(specs[1].flags, 0u);

  // Subcommands given without the "parent|" prefix get it; an empty subcommand list is no
  // container.
  specs.clear();
  names.clear();
  const std::string nested =
      "*2\r\n"
      "*10\r\n$3\r\nBox\r\n:-2\r\n*0\r\n:0\r\n:0\r\n:0\r\n*0\r\n*0\r\n*0\r\n"
      "*2\r\n"
      "*10\r\n$4\r\nOpen\r\n:3\r\n*1\r\n+fast\r\n:2\r\n:2\r\n:1\r\n*0\r\n*0\r\n*0\r\n*0\r\n"
      "*10\r\n$9\r\nbox|close\r\n:2\r\n*0\r\n:0\r\n:0\r\n:0\r\n*0\r\n*0\r\n*0\r\n*0\r\n"
      "*10\r\n$4\r\nlone\r\n:1\r\n*0\r\n:0\r\n:0\r\n:0\r\n%1\r\n+a\r\n:1\r\n_\r\n*0\r\n*0\r\n";
  ASSERT_TRUE(ParseCommandReply(nested, &specs, &names));
  ASSERT_EQ(specs.size(), 4u);
  EXPECT_EQ(specs[0].name, "box");
  EXPECT_TRUE(specs[0].Has(kCmdContainer));
  EXPECT_EQ(specs[1].name, "box|open");
  EXPECT_EQ(specs[1].flags, kCmdFast);
  EXPECT_EQ(specs[1].first_key, 2);
  EXPECT_EQ(specs[2].name, "box|close");
  EXPECT_EQ(specs[3].name, "lone");
  EXPECT_FALSE(specs[3].Has(kCmdContainer));
}

TEST(ParseCommandReply, RejectsGarbage) {
  const std::vector<std::string> bad = {
      "",
      "hello",
      "\r\n",
      "+OK\r\n",
      "-ERR unknown command 'COMMAND'\r\n",
      ":5\r\n",
      "*-1\r\n",
      "*-2\r\n",
      "*1\r\n:5\r\n",
      "*1\r\n*5\r\n+get\r\n:2\r\n*0\r\n:1\r\n:1\r\n",                  // too few fields
      "*1\r\n*6\r\n:1\r\n:2\r\n*0\r\n:1\r\n:1\r\n:1\r\n",              // name is not a string
      "*1\r\n*6\r\n+get\r\n+2\r\n*0\r\n:1\r\n:1\r\n:1\r\n",            // arity is not an integer
      "*1\r\n*6\r\n+get\r\n:2\r\n+x\r\n:1\r\n:1\r\n:1\r\n",            // flags is not an array
      "*1\r\n*6\r\n+get\r\n:99999999999\r\n*0\r\n:1\r\n:1\r\n:1\r\n",  // arity out of range
      "*1\r\n*6\r\n$0\r\n\r\n:2\r\n*0\r\n:1\r\n:1\r\n:1\r\n",          // empty name
      "*1\r\n*6\r\n$3\r\ngetX\r\n:2\r\n*0\r\n:1\r\n:1\r\n:1\r\n",      // bulk length mismatch
      "*1\r\n*6\r\n+get\r\n:2\r\n*0\r\n:1\r\n:1\r\n:1\r\n+extra\r\n",  // trailing bytes
      "*1\r\n*7\r\n+get\r\n:2\r\n*0\r\n:1\r\n:1\r\n:1\r\n?x\r\n",      // unknown type byte
      "*1\r\n*7\r\n+get\r\n:2\r\n*0\r\n:1\r\n:1\r\n:1\r\n$-2\r\n",     // bad length
      "*2\r\n*6\r\n+get\r\n:2\r\n*0\r\n:1\r\n:1\r\n:1\r\n",            // one entry missing
      "*9223372036854775807\r\n",
      "*99999999999999999999999\r\n",
      "*1\r\n*6\r\n+get\r\n:2\r\n*9223372036854775807\r\n",
      "*1\r\n*7\r\n+get\r\n:2\r\n*0\r\n:1\r\n:1\r\n:1\r\n%4611686018427387904\r\n",
      "*1\r\n*-9223372036854775808\r\n",
      "*1\r\n*6\r\n+get\r\n:-\r\n*0\r\n:1\r\n:1\r\n:1\r\n",
      "*1\r\n*6\r\n+get\r\n:\r\n*0\r\n:1\r\n:1\r\n:1\r\n",
  };
  for (const std::string& b : bad) {
    std::vector<CommandSpec> specs;
    std::vector<std::unique_ptr<std::string>> names;
    EXPECT_FALSE(ParseCommandReply(b, &specs, &names)) << b;
    EXPECT_TRUE(specs.empty()) << b;
    EXPECT_TRUE(names.empty()) << b;
  }
  std::vector<CommandSpec> specs;
  EXPECT_FALSE(ParseCommandReply("*0\r\n", &specs, nullptr));
  std::vector<std::unique_ptr<std::string>> names;
  EXPECT_TRUE(ParseCommandReply("*0\r\n", &specs, &names));
}

TEST(ParseCommandReply, RejectsDeepNesting) {
  std::string deep = "*1\r\n*7\r\n+get\r\n:2\r\n*0\r\n:1\r\n:1\r\n:1\r\n";
  for (int i = 0; i < 100000; ++i) deep += "*1\r\n";
  deep += ":1\r\n";
  std::vector<CommandSpec> specs;
  std::vector<std::unique_ptr<std::string>> names;
  EXPECT_FALSE(ParseCommandReply(deep, &specs, &names));

  // Subcommands nested inside subcommands, far deeper than any real reply.
  std::string nest;
  const std::string entry = "*10\r\n+a\r\n:1\r\n*0\r\n:0\r\n:0\r\n:0\r\n*0\r\n*0\r\n*0\r\n*1\r\n";
  nest = "*1\r\n";
  for (int i = 0; i < 10000; ++i) nest += entry;
  EXPECT_FALSE(ParseCommandReply(nest, &specs, &names));
  EXPECT_TRUE(specs.empty());
}

TEST(ParseCommandReply, RejectsTruncatedFixture) {
  const std::string reply = ReadFixture();
  ASSERT_GT(reply.size(), 1000u);
  std::vector<CommandSpec> specs;
  std::vector<std::unique_ptr<std::string>> names;
  // Every prefix of the first kilobyte, then a stride through the rest.
  for (size_t len = 0; len < reply.size(); len += (len < 1024 ? 1 : 61)) {
    ASSERT_FALSE(ParseCommandReply(std::string_view(reply).substr(0, len), &specs, &names)) << len;
  }
  for (size_t cut = 1; cut <= 3; ++cut) {
    EXPECT_FALSE(
        ParseCommandReply(std::string_view(reply).substr(0, reply.size() - cut), &specs, &names));
  }
  EXPECT_TRUE(specs.empty());
  EXPECT_TRUE(names.empty());
}

TEST(ParseCommandReply, SurvivesCorruptedFixture) {
  const std::string reply = ReadFixture();
  std::mt19937 rng(20240601);
  const char alphabet[] = "*$:+-_%~\r\n0123456789-x";
  int accepted = 0;
  for (int round = 0; round < 500; ++round) {
    std::string mutated = reply;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      mutated[rng() % mutated.size()] = alphabet[rng() % (sizeof(alphabet) - 1)];
    }
    std::vector<CommandSpec> specs;
    std::vector<std::unique_ptr<std::string>> names;
    // Either outcome is fine; it must not crash, and on success every name must be owned.
    if (ParseCommandReply(mutated, &specs, &names)) {
      ++accepted;
      ASSERT_EQ(specs.size(), names.size());
    }
  }
  SUCCEED() << accepted << " corrupted replies still parsed";
}

}  // namespace
}  // namespace respite::resp
