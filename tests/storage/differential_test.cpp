// Differential tests: the same seeded random command stream goes to a real redis-server and to
// LocalStore::Execute (wall clock on both sides); the replies must be byte-identical, after
// canonical sorting where Redis leaves the order unspecified (normalize.h says how each command is
// compared). One test per family (strings, keys, hashes, lists, sets, zsets, bitmaps, hyperloglog,
// mixed: every type on four shared keys with MULTI/WATCH/SELECT, arity: every command with 0-6
// arguments) and
// protocol (RESP2, RESP3); each runs a few seeds, then compares a full dump (DBSIZE, and per key
// TYPE, value, PTTL) before and after a crash-free restart of the store.
//
// Reproduce a failure with the line it prints, e.g.
//   RESPITE_DIFF_FAMILY=sets RESPITE_DIFF_SEED=2 RESPITE_DIFF_PROTO=3 storage_tests
//     --gtest_filter='Differential*'
// Other knobs: RESPITE_DIFF_SEED=1,2,5 (several), RESPITE_DIFF_STEPS (commands per run),
// RESPITE_DIFF_VERBOSE=1 (print every command), RESPITE_DIFF_STATS=1 (reply types per command).

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/storage/differential/generator.h"
#include "tests/storage/differential/normalize.h"
#include "tests/storage/differential/sides.h"
#include "tests/support/redis_server.h"

namespace respite::storage::diff {
namespace {

constexpr uint64_t kDefaultSeeds[] = {1, 2, 3};
constexpr int kDefaultSteps = 3000;

struct Settings {
  std::vector<uint64_t> seeds;
  int steps = kDefaultSteps;
  std::string family;  // empty: all
  int protocol = 0;    // 0: both
  bool verbose = false;
  bool stats = false;  // RESPITE_DIFF_STATS=1: per-command counts of Redis reply types
};

const Settings& GetSettings() {
  static const Settings settings = [] {
    Settings s;
    if (const char* v = std::getenv("RESPITE_DIFF_SEED"); v != nullptr && *v != '\0') {
      std::stringstream in(v);
      std::string item;
      while (std::getline(in, item, ',')) s.seeds.push_back(std::stoull(item));
    } else {
      s.seeds.assign(std::begin(kDefaultSeeds), std::end(kDefaultSeeds));
    }
    if (const char* v = std::getenv("RESPITE_DIFF_STEPS"); v != nullptr && *v != '\0') {
      s.steps = std::stoi(v);
    }
    if (const char* v = std::getenv("RESPITE_DIFF_FAMILY"); v != nullptr) s.family = v;
    if (const char* v = std::getenv("RESPITE_DIFF_PROTO"); v != nullptr && *v != '\0') {
      s.protocol = std::stoi(v);
    }
    if (const char* v = std::getenv("RESPITE_DIFF_VERBOSE"); v != nullptr && *v == '1') {
      s.verbose = true;
    }
    if (const char* v = std::getenv("RESPITE_DIFF_STATS"); v != nullptr && *v == '1') {
      s.stats = true;
    }
    return s;
  }();
  return settings;
}

// Commands whose reply is deterministic: the only ones queued inside MULTI.
bool Deterministic(const Argv& argv) {
  const Kind kind = Classify(argv);
  return kind == Kind::kExact || kind == Kind::kBlocking;
}

bool IsScanPage(const ReplyTree& t) {
  return t.type == '*' && !t.null && t.elements.size() == 2 && t.elements[0].type == '$' &&
         !t.elements[0].null && t.elements[1].type == '*' && !t.elements[1].null;
}

// Runs one seeded command stream against both sides and records the first mismatch.
class Runner {
 public:
  Runner(RedisSide& redis, LocalSide& local, uint64_t seed, Family family, int protocol)
      : redis_(redis), local_(local), seed_(seed), family_(family), protocol_(protocol) {}

  // False (with failure() set) at the first mismatch or broken connection.
  bool RunStream(int steps) {
    Generator gen(seed_, family_);
    for (step_ = 0; step_ < steps; ++step_) {
      Argv argv = gen.Next(Deterministic);
      if (!Check(argv)) return false;
    }
    // Leave no transaction or watch open for the dump.
    phase_ = "cleanup";
    if (in_multi_ && !Check({"DISCARD"})) return false;
    return Check({"UNWATCH"});
  }

  // Compares DBSIZE and every key (type, value, TTL) in dbs 0 and 1, then selects db 0.
  // Each key's DUMP from Redis and from the store, each restored on both sides (as "r:" and
  // "l:" + key): the store must load Redis' payloads and Redis the store's.
  bool CrossRestore() {
    phase_ = "cross restore";
    if (!Check({"KEYS", "k*"})) return false;
    ReplyTree keys;
    if (!Parse(last_redis_, &keys)) return Fail({"KEYS", "k*"}, "unparsable KEYS reply");
    for (const ReplyTree& key : keys.elements) {
      const std::string& k = key.text;
      if (!Check({"DUMP", k})) return false;
      ReplyTree from_redis, from_local;
      if (!Parse(last_redis_, &from_redis) || !Parse(last_local_, &from_local) ||
          from_redis.type != '$' || from_local.type != '$') {
        continue;  // expired in between, or a type DUMP does not serve locally
      }
      if (!Check({"RESTORE", "r:" + k, "0", from_redis.text, "REPLACE"}) ||
          !Check({"RESTORE", "l:" + k, "0", from_local.text, "REPLACE"})) {
        return false;
      }
      if (!Check({"DUMP", "r:" + k}) || !Check({"DUMP", "l:" + k}) ||
          !Check({"OBJECT", "ENCODING", "l:" + k})) {
        return false;
      }
    }
    return true;
  }

  bool CompareDump(const std::string& phase) {
    phase_ = phase;
    for (const char* db : {"0", "1"}) {
      if (!Check({"SELECT", db}) || !Check({"DBSIZE"}) || !Check({"KEYS", "*"})) return false;
      ReplyTree keys;
      if (!Parse(last_redis_, &keys)) return Fail({"KEYS", "*"}, "unparsable KEYS reply");
      for (const ReplyTree& key : keys.elements) {
        const std::string& k = key.text;
        if (!Check({"TYPE", k})) return false;
        ReplyTree type;
        if (!Parse(last_redis_, &type)) return Fail({"TYPE", k}, "unparsable TYPE reply");
        Argv read;
        if (type.text == "string") {
          read = {"GET", k};
        } else if (type.text == "hash") {
          read = {"HGETALL", k};
        } else if (type.text == "list") {
          read = {"LRANGE", k, "0", "-1"};
        } else if (type.text == "set") {
          read = {"SMEMBERS", k};
        } else if (type.text == "zset") {
          read = {"ZRANGE", k, "0", "-1", "WITHSCORES"};
        } else {
          return Fail({"TYPE", k}, "unexpected type " + type.text);
        }
        if (!Check(read) || !Check({"PTTL", k})) return false;
      }
    }
    return Check({"SELECT", "0"});
  }

  // Sends argv to both sides and compares the replies as Classify() says.
  bool Check(const Argv& argv) {
    ++compared_;
    history_.push_back(argv);
    if (history_.size() > 25) history_.pop_front();
    if (GetSettings().verbose) {
      std::fprintf(stderr, "[%s seed=%llu proto=%d step=%d] %s\n", FamilyName(family_),
                   static_cast<unsigned long long>(seed_), protocol_, step_,
                   EscapeArgv(argv).c_str());
    }
    const Kind kind = in_multi_ ? Kind::kExact : Classify(argv);
    bool ok = true;
    switch (kind) {
      case Kind::kExact:
      case Kind::kBlocking:
        ok = RunBoth(argv) && CompareLast(argv);
        break;
      case Kind::kDbsize: {
        // Looking every key up drops the expired ones on both sides.
        Argv exists = {"EXISTS"};
        for (std::string& k : Generator::AllKeys()) exists.push_back(std::move(k));
        ok = Check(exists) && RunBoth(argv) && CompareLast(argv);
        break;
      }
      case Kind::kLex:
        if (!UniformScores(argv)) {
          if (!failure_.empty()) return false;
          ++skipped_;  // sent to neither side
          return true;
        }
        ok = RunBoth(argv) && CompareLast(argv);
        break;
      case Kind::kSet:
      case Kind::kPairs: {
        const bool pairs = kind == Kind::kPairs;
        ok = RunBoth(argv) && (Canonical(last_redis_, pairs) == Canonical(last_local_, pairs) ||
                               Fail(argv, "compared after sorting"));
        break;
      }
      case Kind::kTtl:
        ok = RunBoth(argv) && (TtlClose(argv, last_redis_, last_local_) ||
                               Fail(argv, "TTL-like replies differ beyond the tolerance"));
        break;
      case Kind::kScan:
        ok = CheckScan(argv);
        break;
      case Kind::kDump:
        ok = RunBoth(argv) && (DumpContent(last_redis_) == DumpContent(last_local_) ||
                               Fail(argv, "DUMP payloads hold different values"));
        break;
      case Kind::kSample:
        ok = CheckSample(argv);
        break;
      case Kind::kRandomKey:
        ok = CheckRandomKey(argv);
        break;
      case Kind::kSpop:
        ok = CheckSpop(argv);
        break;
    }
    if (ok) TrackMulti(argv);
    if (GetSettings().stats && !last_redis_.empty()) {
      const char type = last_redis_[0];
      stats_[Lower(argv[0])][type == '-' ? last_redis_.substr(0, last_redis_.find_first_of(" \r"))
                                         : std::string(1, type)]++;
    }
    return ok;
  }

  // Per command: how often Redis answered with each reply type (errors by their code).
  void PrintStats() const {
    for (const auto& [name, counts] : stats_) {
      std::string line = name + ":";
      for (const auto& [type, n] : counts) line += " " + type + "=" + std::to_string(n);
      std::printf("  %s\n", line.c_str());
    }
  }

  const std::string& failure() const { return failure_; }
  size_t compared() const { return compared_; }
  size_t skipped() const { return skipped_; }

 private:
  void TrackMulti(const Argv& argv) {
    const std::string name = Lower(argv[0]);
    if (name == "multi" && last_redis_ == "+OK\r\n") in_multi_ = true;
    if (name == "exec" || name == "discard") in_multi_ = false;
  }

  bool RunRedis(const Argv& argv, std::string* reply) {
    *reply = redis_.Run(argv);
    if (reply->empty()) {
      failure_ = Header(argv) + "  redis: " + redis_.error() + "\n";
      return false;
    }
    return true;
  }

  bool RunBoth(const Argv& argv) {
    if (!RunRedis(argv, &last_redis_)) return false;
    last_local_ = local_.Run(argv);
    return true;
  }

  std::string Header(const Argv& argv) const {
    std::ostringstream out;
    out << "DIFFERENTIAL MISMATCH family=" << FamilyName(family_) << " seed=" << seed_
        << " protocol=" << protocol_ << " step=" << step_ << " phase=" << phase_ << "\n"
        << "  command: " << EscapeArgv(argv) << "\n";
    return out.str();
  }

  // Records the mismatch of the last replies; always returns false.
  bool Fail(const Argv& argv, const std::string& note) {
    std::ostringstream out;
    out << Header(argv) << "  redis:   \"" << Escape(last_redis_) << "\"\n"
        << "  local:   \"" << Escape(last_local_) << "\"\n";
    if (!note.empty()) out << "  note:    " << note << "\n";
    if (last_redis_.size() > 400 || last_local_.size() > 400) {
      size_t at = 0;
      while (at < last_redis_.size() && at < last_local_.size() &&
             last_redis_[at] == last_local_[at]) {
        ++at;
      }
      const size_t from = at > 80 ? at - 80 : 0;
      out << "  first difference at byte " << at << ":\n"
          << "    redis: ...\"" << Escape(std::string_view(last_redis_).substr(from, 200)) << "\"\n"
          << "    local: ...\"" << Escape(std::string_view(last_local_).substr(from, 200))
          << "\"\n";
    }
    out << "  last commands (oldest first):\n";
    for (const Argv& h : history_) out << "    " << EscapeArgv(h) << "\n";
    out << "  reproduce: RESPITE_DIFF_FAMILY=" << FamilyName(family_)
        << " RESPITE_DIFF_SEED=" << seed_ << " RESPITE_DIFF_PROTO=" << protocol_
        << " build/tests/storage/storage_tests --gtest_filter='Differential*'\n";
    failure_ = out.str();
    return false;
  }

  // SCAN family: the first pages must agree in shape; then each side is iterated to the end on
  // its own (cursors differ) and the unions of what they returned must be equal.
  bool CheckScan(const Argv& argv) {
    if (!RunBoth(argv)) return false;
    ReplyTree r;
    ReplyTree l;
    const bool r_page = Parse(last_redis_, &r) && IsScanPage(r);
    const bool l_page = Parse(last_local_, &l) && IsScanPage(l);
    if (!r_page || !l_page) return CompareLast(argv);
    const std::string name = Lower(argv[0]);
    const size_t cursor_at = name == "scan" ? 1 : 2;
    const bool pairs = name == "hscan" || name == "zscan";
    std::set<std::string> r_items;
    std::set<std::string> l_items;
    const std::string first_redis = last_redis_;
    const std::string first_local = last_local_;
    for (int side = 0; side < 2; ++side) {
      ReplyTree page = side == 0 ? r : l;
      std::set<std::string>& items = side == 0 ? r_items : l_items;
      for (int pages = 0;; ++pages) {
        for (std::string& item : Items(page.elements[1], pairs)) items.insert(std::move(item));
        if (page.elements[0].text == "0") break;
        if (pages > 100000) return Fail(argv, "scan did not finish");
        Argv next = argv;
        next[cursor_at] = page.elements[0].text;
        std::string reply;
        if (side == 0) {
          if (!RunRedis(next, &reply)) return false;
        } else {
          reply = local_.Run(next);
        }
        ++compared_;
        if (!Parse(reply, &page) || !IsScanPage(page)) {
          last_redis_ = side == 0 ? reply : first_redis;
          last_local_ = side == 1 ? reply : first_local;
          return Fail(next, "scan continuation did not return a page");
        }
      }
    }
    last_redis_ = first_redis;
    last_local_ = first_local;
    if (r_items != l_items) {
      std::string note = "scan unions differ; redis-only:";
      for (const std::string& i : r_items) {
        if (!l_items.count(i)) note += " \"" + Escape(i) + "\"";
      }
      note += "; local-only:";
      for (const std::string& i : l_items) {
        if (!r_items.count(i)) note += " \"" + Escape(i) + "\"";
      }
      return Fail(argv, note);
    }
    return true;
  }

  // Members of `key` as Redis holds them (for random replies), or pairs member\0value.
  std::set<std::string> Universe(const Argv& read, bool pairs) {
    std::string reply;
    std::set<std::string> out;
    if (!RunRedis(read, &reply)) return out;
    ReplyTree t;
    if (Parse(reply, &t)) {
      for (std::string& i : Items(t, pairs)) out.insert(std::move(i));
    }
    return out;
  }

  // Same shape, every element a member, no repeats for a positive count.
  bool CheckMembers(const Argv& argv, const std::set<std::string>& universe, bool pairs,
                    bool distinct, std::vector<std::string>* r_out,
                    std::vector<std::string>* l_out) {
    ReplyTree r;
    ReplyTree l;
    if (!Parse(last_redis_, &r) || !Parse(last_local_, &l) || r.type == '-' || l.type == '-') {
      return CompareLast(argv);
    }
    if (Shape(r) != Shape(l)) return Fail(argv, "random reply: shapes differ");
    for (int side = 0; side < 2; ++side) {
      std::vector<std::string> items = Items(side == 0 ? r : l, pairs);
      std::set<std::string> seen;
      for (const std::string& item : items) {
        if (!universe.count(item)) {
          return Fail(argv, std::string(side == 0 ? "redis" : "local") +
                                " returned a non-member: \"" + Escape(item) + "\"");
        }
        if (distinct && !seen.insert(item).second) {
          return Fail(argv, std::string(side == 0 ? "redis" : "local") + " repeated a member: \"" +
                                Escape(item) + "\"");
        }
      }
      (side == 0 ? *r_out : *l_out) = std::move(items);
    }
    return true;
  }

  bool CheckSample(const Argv& argv) {
    if (!RunBoth(argv)) return false;
    if (argv.size() < 2) return CompareLast(argv);  // wrong arity
    const std::string name = Lower(argv[0]);
    const bool pairs =
        argv.size() >= 4 && (Lower(argv[3]) == "withvalues" || Lower(argv[3]) == "withscores");
    int64_t count = 1;
    if (argv.size() >= 3) {
      char* end = nullptr;
      count = std::strtoll(argv[2].c_str(), &end, 10);
    }
    Argv read;
    if (name == "srandmember") {
      read = {"SMEMBERS", argv[1]};
    } else if (name == "hrandfield") {
      read = pairs ? Argv{"HGETALL", argv[1]} : Argv{"HKEYS", argv[1]};
    } else {
      read = {"ZRANGE", argv[1], "0", "-1"};
      if (pairs) read.push_back("WITHSCORES");
    }
    const std::string r_saved = last_redis_;
    const std::set<std::string> universe = Universe(read, pairs);
    last_redis_ = r_saved;
    std::vector<std::string> r_items;
    std::vector<std::string> l_items;
    return CheckMembers(argv, universe, pairs, count > 0, &r_items, &l_items);
  }

  bool CheckRandomKey(const Argv& argv) {
    if (!RunBoth(argv)) return false;
    const std::string r_saved = last_redis_;
    const std::set<std::string> universe = Universe({"KEYS", "*"}, false);
    last_redis_ = r_saved;
    std::vector<std::string> r_items;
    std::vector<std::string> l_items;
    return CheckMembers(argv, universe, false, true, &r_items, &l_items);
  }

  // SPOP: both sides may pop different members. After checking both replies, Redis is made to
  // hold what the store holds: it gets back what it popped and loses what the store popped.
  bool CheckSpop(const Argv& argv) {
    if (argv.size() != 2 && argv.size() != 3) return RunBoth(argv) && CompareLast(argv);
    const std::set<std::string> universe = Universe({"SMEMBERS", argv[1]}, false);
    if (!failure_.empty()) return false;
    if (!RunBoth(argv)) return false;
    std::vector<std::string> r_items;
    std::vector<std::string> l_items;
    if (!CheckMembers(argv, universe, false, true, &r_items, &l_items)) return false;
    std::multiset<std::string> r_set(r_items.begin(), r_items.end());
    std::multiset<std::string> l_set(l_items.begin(), l_items.end());
    if (r_set == l_set || r_items.empty()) return true;
    Argv add = {"SADD", argv[1]};
    add.insert(add.end(), r_items.begin(), r_items.end());
    Argv rem = {"SREM", argv[1]};
    rem.insert(rem.end(), l_items.begin(), l_items.end());
    std::string ignored;
    return RunRedis(add, &ignored) && RunRedis(rem, &ignored);
  }

  // Whether the sorted set a lex-range command reads has a single score (or is missing, or is
  // not a sorted set, or the command is malformed): then Redis' reply is specified.
  bool UniformScores(const Argv& argv) {
    const bool store = Lower(argv[0]) == "zrangestore";
    if (argv.size() < (store ? 3u : 2u)) return true;
    const std::string& key = argv[store ? 2 : 1];
    std::string first;
    std::string last;
    if (!RunRedis({"ZRANGE", key, "0", "0", "WITHSCORES"}, &first) ||
        !RunRedis({"ZRANGE", key, "-1", "-1", "WITHSCORES"}, &last)) {
      return false;
    }
    ReplyTree f;
    ReplyTree l;
    if (!Parse(first, &f) || !Parse(last, &l) || !IsAggregate(f) || !IsAggregate(l)) return true;
    const std::vector<std::string> fi = Items(f, true);
    const std::vector<std::string> li = Items(l, true);
    if (fi.size() != 1 || li.size() != 1) return true;
    return fi[0].substr(fi[0].find('\0')) == li[0].substr(li[0].find('\0'));
  }

  bool CompareLast(const Argv& argv) { return last_redis_ == last_local_ || Fail(argv, ""); }

  RedisSide& redis_;
  LocalSide& local_;
  uint64_t seed_;
  Family family_;
  int protocol_;
  int step_ = 0;
  std::string phase_ = "stream";
  bool in_multi_ = false;
  std::string last_redis_;
  std::string last_local_;
  std::string failure_;
  std::deque<Argv> history_;
  size_t compared_ = 0;
  size_t skipped_ = 0;
  std::map<std::string, std::map<std::string, int>> stats_;
};

struct Param {
  Family family;
  int protocol;
};

class DifferentialTest : public ::testing::TestWithParam<Param> {
 protected:
  static void SetUpTestSuite() {
    redis_ = new test::RedisServer();
    start_error_ = redis_->Start();
  }
  static void TearDownTestSuite() {
    delete redis_;
    redis_ = nullptr;
  }

  static test::RedisServer* redis_;
  static std::string start_error_;
};

test::RedisServer* DifferentialTest::redis_ = nullptr;
std::string DifferentialTest::start_error_;

TEST_P(DifferentialTest, MatchesRedis) {
  const Param p = GetParam();
  const Settings& settings = GetSettings();
  if (!settings.family.empty() && settings.family != FamilyName(p.family)) {
    GTEST_SKIP() << "RESPITE_DIFF_FAMILY=" << settings.family;
  }
  if (settings.protocol != 0 && settings.protocol != p.protocol) {
    GTEST_SKIP() << "RESPITE_DIFF_PROTO=" << settings.protocol;
  }
  ASSERT_EQ(start_error_, "");

  RedisSide redis(redis_->port());
  ASSERT_TRUE(redis.ok()) << "cannot connect to redis-server on port " << redis_->port();
  if (p.protocol == 3) {
    ASSERT_NE(redis.Run({"HELLO", "3"}), "");
  }
  LocalSide local;
  ASSERT_EQ(local.Open(), "");
  local.session.protocol = p.protocol;

  const auto start = std::chrono::steady_clock::now();
  size_t compared = 0;
  size_t skipped = 0;
  for (uint64_t seed : settings.seeds) {
    Runner runner(redis, local, seed, p.family, p.protocol);
    // A clean slate on both sides (FLUSHALL itself is compared), and the default HLL promotion
    // point (the hyperloglog family moves it; redis-server is shared by every family).
    ASSERT_TRUE(runner.Check({"SELECT", "0"}) && runner.Check({"FLUSHALL"}) &&
                runner.Check({"CONFIG", "SET", "hll-sparse-max-bytes", "3000"}) &&
                // The store validates every RESTORE payload whole: compare with Redis doing the
                // same (with "no", its default, Redis loads some damaged payloads as they are).
                runner.Check({"CONFIG", "SET", "sanitize-dump-payload",
                              p.family == Family::kDumpRestore ? "yes" : "no"}))
        << runner.failure();
    bool ok = runner.RunStream(settings.steps) &&
              (p.family != Family::kDumpRestore || runner.CrossRestore()) &&
              runner.CompareDump("dump before restart");
    if (ok) {
      const std::string reopen = local.Open();
      ASSERT_EQ(reopen, "") << "reopening the store failed (seed " << seed << ")";
      ok = runner.CompareDump("dump after restart");
    }
    compared += runner.compared();
    skipped += runner.skipped();
    if (settings.stats) runner.PrintStats();
    if (!ok) {
      ADD_FAILURE() << runner.failure();
      // Replay later seeds from a clean state on a fresh Redis connection state.
      local.session = LocalSession{};
      local.session.protocol = p.protocol;
      if (local.Open() != "") return;
      redis.Run({"DISCARD"});
      redis.Run({"UNWATCH"});
    }
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  std::printf(
      "[ differential ] %s RESP%d: %zu seeds x %d commands, %zu replies compared (%zu lex "
      "ranges on mixed scores skipped), %lld ms\n",
      FamilyName(p.family), p.protocol, settings.seeds.size(), settings.steps, compared, skipped,
      static_cast<long long>(ms));
}

std::vector<Param> AllParams() {
  std::vector<Param> out;
  for (Family f : {Family::kStrings, Family::kKeys, Family::kHashes, Family::kLists, Family::kSets,
                   Family::kZSets, Family::kMixed, Family::kArity, Family::kBitmaps, Family::kSort,
                   Family::kGeo, Family::kHyperLogLog, Family::kDumpRestore}) {
    for (int proto : {2, 3}) out.push_back({f, proto});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Differential, DifferentialTest, ::testing::ValuesIn(AllParams()),
                         [](const ::testing::TestParamInfo<Param>& info) {
                           return std::string(FamilyName(info.param.family)) + "_resp" +
                                  std::to_string(info.param.protocol);
                         });

}  // namespace
}  // namespace respite::storage::diff
