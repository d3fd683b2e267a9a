#pragma once
// Seeded random command generator for the differential test. Each family draws commands over a
// small key space with edge values: empty and binary-safe strings, integer and float boundaries,
// out-of-range indexes, wrong arity, bad and unknown options. Commands whose effect would depend
// on timing are avoided: every positive relative TTL is at least 1000 s (nothing expires during a
// run), timestamps are far in the past or far in the future, and blocking commands wait 10 ms at
// most.

#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/storage/differential/geo_gen.h"
#include "tests/storage/differential/sort_generator.h"

namespace respite::storage::diff {

using Argv = std::vector<std::string>;

enum class Family {
  kStrings,
  kKeys,
  kHashes,
  kLists,
  kSets,
  kZSets,
  kMixed,
  kArity,
  kBitmaps,
  kSort,
  kGeo,
  kHyperLogLog,
  kDumpRestore,
};

inline const char* FamilyName(Family f) {
  switch (f) {
    case Family::kStrings:
      return "strings";
    case Family::kKeys:
      return "keys";
    case Family::kHashes:
      return "hashes";
    case Family::kLists:
      return "lists";
    case Family::kSets:
      return "sets";
    case Family::kZSets:
      return "zsets";
    case Family::kMixed:
      return "mixed";
    case Family::kArity:
      return "arity";
    case Family::kBitmaps:
      return "bitmaps";
    case Family::kSort:
      return "sort";
    case Family::kGeo:
      return "geo";
    case Family::kHyperLogLog:
      return "hyperloglog";
    case Family::kDumpRestore:
      return "dump";
  }
  return "?";
}

class Generator {
 public:
  // Every key any family can name (the arity family uses "x" and "k").
  static std::vector<std::string> AllKeys() {
    return {"k0", "k1", "k2", "k3", "k4",  "",  std::string("k\0\r\n\xff", 5),
            "m0", "m1", "m2", "m3", "lex", "x", "k"};
  }

  Generator(uint64_t seed, Family family)
      : rng_(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(family)),
        family_(family),
        arity_step_(static_cast<size_t>(seed % 1000) * 1500) {}

  // The next command. Inside MULTI (mixed family) only commands with deterministic replies are
  // queued; `deterministic(argv)` says which those are.
  template <typename IsDeterministic>
  Argv Next(IsDeterministic deterministic) {
    if (family_ == Family::kMixed) return NextMixed(deterministic);
    if (family_ == Family::kArity) return NextArity();
    if (family_ == Family::kSort) {
      Argv argv = SortSteps(rng_).Next();
      // s0 must hold integers only (see sort_generator.h): no junk argument may join it.
      if (argv.size() < 2 || argv[1] != "s0" || (argv[0] != "SADD" && argv[0] != "sadd"))
        Mutate(&argv);
      return argv;
    }
    if (family_ == Family::kGeo) {
      Argv argv = GeoSteps(rng_).Next();
      Mutate(&argv);
      return argv;
    }
    if (family_ == Family::kDumpRestore) return DumpRestore();
    if (U(300) == 0) return Fill(family_);
    Argv argv = FromFamily(family_);
    Mutate(&argv);
    return argv;
  }

 private:
  // ---- randomness ----
  uint64_t U(uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  bool P(int percent) { return static_cast<int>(U(100)) < percent; }
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(U(static_cast<uint64_t>(hi - lo + 1)));
  }
  template <size_t N>
  std::string Pick(const char* const (&options)[N]) {
    return options[U(N)];
  }
  std::string Pick(const std::vector<std::string>& options) { return options[U(options.size())]; }

  // Command names and keywords in random letter case (Redis ignores case).
  std::string Word(std::string_view w) {
    std::string out(w);
    const uint64_t mode = U(8);
    for (char& c : out) {
      if (mode == 0) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      } else if (mode == 1 && P(50)) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
    }
    return out;
  }

  // ---- value pools ----
  static std::string Bin(std::string_view s) { return std::string(s); }

  std::string Key() {
    if (family_ == Family::kMixed) {
      static const char* const kMixedKeys[] = {"m0", "m1", "m2", "m3"};
      return Pick(kMixedKeys);
    }
    if (P(3)) return P(50) ? std::string() : std::string("k\0\r\n\xff", 5);
    static const char* const kKeys[] = {"k0", "k1", "k2", "k3", "k4"};
    return Pick(kKeys);
  }

  // Lex-range commands mostly read a sorted set whose scores are all 0 (ZADD only gives it 0).
  std::string LexKey() { return P(70) ? "lex" : Key(); }

  std::string IntText() {
    static const char* const kInts[] = {"0",
                                        "1",
                                        "-1",
                                        "2",
                                        "3",
                                        "5",
                                        "10",
                                        "100",
                                        "-100",
                                        "007",
                                        "+1",
                                        " 1",
                                        "1 ",
                                        "1e3",
                                        "1.0",
                                        "",
                                        "abc",
                                        "-0",
                                        "9223372036854775807",
                                        "9223372036854775806",
                                        "-9223372036854775808",
                                        "-9223372036854775807",
                                        "9223372036854775808",
                                        "-9223372036854775809",
                                        "18446744073709551615",
                                        "4611686018427387904",
                                        "0x10"};
    if (P(40)) return std::to_string(Range(-20, 20));
    return Pick(kInts);
  }

  std::string FloatText() {
    static const char* const kFloats[] = {"0",
                                          "1",
                                          "1.5",
                                          "-1.5",
                                          "0.1",
                                          "-0",
                                          ".5",
                                          "5.",
                                          "1e3",
                                          "1e308",
                                          "-1e308",
                                          "1e309",
                                          "1e-300",
                                          "inf",
                                          "-inf",
                                          "+inf",
                                          "nan",
                                          "-nan",
                                          "abc",
                                          "",
                                          " 1",
                                          "1 ",
                                          "0x10",
                                          "3.0000000000000001",
                                          "1e",
                                          "17.25",
                                          "-2.5e10",
                                          "100",
                                          "1.7976931348623157e308",
                                          "4.9e-324",
                                          "12345678901234567890"};
    if (P(30)) return std::to_string(Range(-50, 50));
    return Pick(kFloats);
  }

  // Strings, including number-like, binary and long ones.
  std::string Value() {
    static const char* const kValues[] = {"",    "a",   "hello", "007", "+1",  " 1",  "1e3",
                                          "1.5", "-0",  "0",     "1",   "-1",  "10",  "abc",
                                          "inf", "nan", "*",     "?",   "[a]", "x y", "3.14"};
    switch (U(10)) {
      case 0:
        return Bin(std::string_view("\0", 1));
      case 1:
        return P(50) ? Bin("a\r\nb") : Bin("\xff\xfe\x80");
      case 2:
        return std::string(static_cast<size_t>(Range(60, 80)), static_cast<char>('a' + U(3)));
      case 3:
        return IntText();
      default:
        return Pick(kValues);
    }
  }

  // Members of sets / fields of hashes: small pools so operations overlap; half integers (intset).
  std::string Member() {
    static const char* const kStrs[] = {"a", "b", "c", "d", "e", "", "x y", "007", "1.5", "aa"};
    static const char* const kNums[] = {
        "1", "2", "3", "10", "-5", "0", "-1", "9223372036854775807", "-9223372036854775808", "100"};
    if (P(4)) return P(50) ? Bin(std::string_view("m\0", 2)) : Bin("\xff\r\n");
    if (P(2)) return std::string(70, 'z');
    return P(50) ? Pick(kStrs) : Pick(kNums);
  }

  std::string ListValue() {
    static const char* const kItems[] = {"a", "b", "c", "1", "2", "", "x\r\ny", "-1"};
    if (P(3)) return Bin(std::string_view("\0z", 2));
    if (P(2)) return std::string(70, 'q');
    return Pick(kItems);
  }

  std::string ZMember() {
    static const char* const kMembers[] = {"a", "b", "c", "d", "e", "f", "", "aa", "ab", "b\x01"};
    if (P(3)) return Bin("\xff");
    return Pick(kMembers);
  }

  std::string Score() {
    static const char* const kScores[] = {"0",
                                          "1",
                                          "-1",
                                          "1.5",
                                          "2",
                                          "2.5",
                                          "-0",
                                          "1e308",
                                          "-1e308",
                                          "inf",
                                          "-inf",
                                          "+inf",
                                          "nan",
                                          "abc",
                                          "10",
                                          "3",
                                          "0.1",
                                          "1e-300",
                                          "007",
                                          " 1",
                                          "",
                                          "2.0",
                                          "1e309",
                                          "-2.5",
                                          "5",
                                          "100",
                                          "1e2",
                                          "0x10",
                                          "1.7976931348623157e308"};
    if (P(30)) return std::to_string(Range(-5, 5));
    return Pick(kScores);
  }

  std::string ScoreBound() {
    static const char* const kBounds[] = {"-inf",  "+inf", "inf", "(1",  "(1.5",  "(-inf",
                                          "(+inf", "(",    "abc", "nan", "1e308", "(0",
                                          "-0",    "[1",   "2.5", "((1", "(nan",  "-1e308"};
    if (P(40)) return (P(30) ? "(" : "") + std::to_string(Range(-3, 6));
    return Pick(kBounds);
  }

  std::string LexBound() {
    static const char* const kBounds[] = {"-",  "+",  "[a", "(a",    "[b", "(c", "[aa",
                                          "(",  "[",  "a",  "[\xff", "(e", "[f", "(b\x01",
                                          "+a", "-a", "[z", "(d",    "[",  "(ab"};
    return Pick(kBounds);
  }

  std::string Index() {
    static const char* const kIdx[] = {"9223372036854775807",
                                       "-9223372036854775808",
                                       "abc",
                                       "",
                                       "1.5",
                                       "007",
                                       "+2",
                                       " 1",
                                       "100",
                                       "-100"};
    if (P(85)) return std::to_string(Range(-8, 8));
    return Pick(kIdx);
  }

  std::string Count() {
    static const char* const kCounts[] = {
        "0",   "-1",  "abc", "",  "9223372036854775807", "-9223372036854775808",
        "100", "1.5", "007", "-5"};
    if (P(75)) return std::to_string(Range(1, 6));
    return Pick(kCounts);
  }

  // Counts for SRANDMEMBER/HRANDFIELD/ZRANDMEMBER: negative ones repeat members, so they stay
  // small (a huge negative count makes Redis build a huge reply).
  std::string SampleCount() {
    static const char* const kCounts[] = {
        "0", "abc", "", "9223372036854775807", "-9223372036854775808", "100", "1.5", "-20"};
    if (P(80)) return std::to_string(Range(-6, 8));
    return Pick(kCounts);
  }

  // Relative TTLs in seconds (or ms): never a small positive one, so nothing expires mid-run.
  std::string Ttl(bool ms) {
    static const char* const kOdd[] = {"0",
                                       "-1",
                                       "-100",
                                       "abc",
                                       "",
                                       "1.5",
                                       "9223372036854775807",
                                       "-9223372036854775808",
                                       "9223372036854775",
                                       "9223372036854776",
                                       "+100000",
                                       "100000000000000"};
    if (P(70)) {
      const int64_t s = Range(1000, 10'000'000);
      return std::to_string(ms ? s * 1000 + Range(0, 999) : s);
    }
    return Pick(kOdd);
  }

  // Absolute unix times (seconds or ms): far past or far future.
  std::string Timestamp(bool ms) {
    static const char* const kSec[] = {"1",  "1000000000", "4102444800",          "4102444801", "0",
                                       "-1", "abc",        "9223372036854775807", "32503680000"};
    static const char* const kMs[] = {
        "1",  "1000000000000", "4102444800000",       "4102444800123", "0",
        "-5", "abc",           "9223372036854775807", "32503680000000"};
    return ms ? Pick(kMs) : Pick(kSec);
  }

  std::string Timeout() {
    static const char* const kOdd[] = {"-1", "abc", "", "-0.5"};
    if (P(85)) return P(50) ? "0.01" : "0.005";
    return Pick(kOdd);
  }

  std::string Pattern() {
    static const char* const kPatterns[] = {"*",      "k*", "k?",     "k[0-2]", "k[^0]", "\\*",
                                            "*\xff*", "",   "[",      "k[",     "*0",    "[a-z]*",
                                            "k\\1",   "m*", "*[0-9]", "?",      "*a*",   "[!a]*"};
    return Pick(kPatterns);
  }

  // Appends `n` to `argv`, sometimes wrong on purpose.
  void AddKeys(Argv* argv, int n) {
    for (int i = 0; i < n; ++i) argv->push_back(Key());
  }

  // ---- mutations: wrong arity, junk arguments ----
  void Mutate(Argv* argv) {
    const uint64_t r = U(100);
    if (r == 0 && argv->size() > 1) {
      argv->pop_back();
    } else if (r == 1) {
      static const char* const kJunk[] = {"junk", "NX", "COUNT", "1", "WITHSCORES", ""};
      argv->push_back(Pick(kJunk));
    } else if (r == 2 && argv->size() > 2) {
      argv->resize(1 + U(argv->size() - 1));
    }
  }

  template <typename IsDeterministic>
  Argv NextMixed(IsDeterministic deterministic) {
    if (multi_left_ > 0) {
      --multi_left_;
      if (multi_left_ == 0) return {Word(P(80) ? "EXEC" : "DISCARD")};
      for (int tries = 0; tries < 50; ++tries) {
        Argv argv = FromFamily(static_cast<Family>(U(6)));
        if (P(1)) argv.pop_back();
        if (!argv.empty() && deterministic(argv)) return argv;
      }
      return {Word("GET"), Key()};
    }
    switch (U(200)) {
      case 0:
        multi_left_ = 1 + static_cast<int>(U(6));
        return {Word("MULTI")};
      case 1:
        return {Word("EXEC")};
      case 2:
        return {Word("DISCARD")};
      case 3: {
        Argv argv = {Word("WATCH")};
        AddKeys(&argv, 1 + static_cast<int>(U(2)));
        return argv;
      }
      case 4:
        return {Word("UNWATCH")};
      case 5:
        return {P(50) ? "NOSUCHCOMMAND" : "getx", Key(), Value()};
      case 6: {
        static const char* const kDbs[] = {"0", "1", "0", "16", "-1", "abc"};
        return {Word("SELECT"), Pick(kDbs)};
      }
      case 7:
        multi_left_ = 1 + static_cast<int>(U(4));
        return {Word("MULTI")};
      case 8: {
        Argv argv = {Word("WATCH")};
        AddKeys(&argv, 1 + static_cast<int>(U(2)));
        return argv;
      }
      case 9:
        return Fill(static_cast<Family>(U(6)));
      default: {
        Argv argv = FromFamily(static_cast<Family>(U(6)));
        Mutate(&argv);
        return argv;
      }
    }
  }

  // Every command the store serves with 0 to 6 arguments: all "x", or a key "k" and then all
  // "100000", all "-1" or all "". Blocking commands never get "100000" (it would be their
  // timeout), SCANs only "x" and "" (a numeric cursor pages differently). The seed picks where the
  // walk over (command, pattern, count) starts.
  Argv NextArity() {
    static const std::vector<std::string> kNames = [] {
      std::vector<std::string> names;
      std::istringstream in(
          "append decr decrby get getdel getex getrange getset incr incrby incrbyfloat mget "
          "mset msetnx psetex set setex setnx setrange strlen copy dbsize del exists expire "
          "expireat expiretime keys persist pexpire pexpireat pexpiretime pttl randomkey "
          "rename renamenx scan touch ttl type unlink hset hsetnx hget hmget hmset hdel "
          "hexists hlen hstrlen hgetall hkeys hvals hincrby hincrbyfloat hscan hrandfield "
          "lpush rpush lpushx rpushx lpop rpop llen lrange lindex lset lrem ltrim linsert lpos "
          "lmove rpoplpush lmpop blpop brpop blmove brpoplpush blmpop sadd srem smembers "
          "sismember smismember scard spop srandmember smove sinter sunion sdiff sinterstore "
          "sunionstore sdiffstore sintercard sscan zadd zincrby zrem zscore zmscore zcard "
          "zrank zrevrank zpopmin zpopmax bzpopmin bzpopmax zmpop bzmpop zrandmember zscan "
          "zunionstore zinterstore zdiffstore zunion zinter zdiff zintercard zrange "
          "zrangestore zrevrange zrangebyscore zrevrangebyscore zrangebylex zrevrangebylex "
          "zcount zlexcount zremrangebyrank zremrangebyscore zremrangebylex echo ping select "
          "flushdb flushall multi exec discard watch unwatch setbit getbit bitcount bitpos bitop "
          "bitfield bitfield_ro sort sort_ro lcs object wait");
      for (std::string name; in >> name;) names.push_back(name);
      return names;
    }();
    const size_t i = arity_step_++;
    const std::string& name = kNames[(i / 28) % kNames.size()];
    const size_t args = i % 7;
    static const char* const kFill[] = {"x", "100000", "-1", ""};
    size_t pattern = (i / 7) % 4;
    const bool blocking = name[0] == 'b';
    const bool scan = name.find("scan") != std::string::npos;
    if ((blocking && pattern == 1) || (scan && (pattern == 1 || pattern == 2))) pattern = 0;
    Argv argv = {Word(name)};
    for (size_t a = 0; a < args; ++a) argv.push_back(pattern != 0 && a == 0 ? "k" : kFill[pattern]);
    return argv;
  }

  // A big collection (beyond Redis' listpack/intset limits, so its encoding converts).
  Argv Fill(Family f) {
    const int n = 100 + static_cast<int>(U(500));
    Argv argv;
    switch (f) {
      case Family::kHashes:
        argv = {"HSET", Key()};
        for (int i = 0; i < n; ++i) argv.insert(argv.end(), {"f" + std::to_string(i), Value()});
        return argv;
      case Family::kLists:
        argv = {P(50) ? "RPUSH" : "LPUSH", Key()};
        for (int i = 0; i < n; ++i) argv.push_back(P(50) ? ListValue() : std::to_string(i));
        return argv;
      case Family::kSets: {
        argv = {"SADD", Key()};
        const bool ints = P(50);
        for (int i = 0; i < n; ++i) argv.push_back((ints ? "" : "s") + std::to_string(i));
        return argv;
      }
      case Family::kZSets: {
        const bool lex = P(30);
        argv = {"ZADD", lex ? "lex" : Key()};
        for (int i = 0; i < n; ++i) {
          argv.insert(argv.end(), {lex ? "0" : std::to_string(i % 7), "z" + std::to_string(i)});
        }
        return argv;
      }
      default:
        return FromFamily(f);
    }
  }

  Argv FromFamily(Family f) {
    switch (f) {
      case Family::kStrings:
        return Strings();
      case Family::kKeys:
        return Keys();
      case Family::kHashes:
        return Hashes();
      case Family::kLists:
        return Lists();
      case Family::kSets:
        return Sets();
      case Family::kZSets:
        return ZSets();
      case Family::kBitmaps:
        return Bitmaps();
      case Family::kHyperLogLog:
        return HyperLogLog();
      case Family::kMixed:
      case Family::kArity:
      case Family::kSort:
      case Family::kGeo:
      case Family::kDumpRestore:
        break;
    }
    return Strings();
  }

  // SET options: a random selection, sometimes contradictory or malformed.
  void SetOptions(Argv* argv) {
    const int n = static_cast<int>(U(4));
    for (int i = 0; i < n; ++i) {
      switch (U(14)) {
        case 0:
          argv->push_back(Word("NX"));
          break;
        case 1:
          argv->push_back(Word("XX"));
          break;
        case 2:
        case 3:
          argv->push_back(Word("GET"));
          break;
        case 4:
          argv->insert(argv->end(), {Word("EX"), Ttl(false)});
          break;
        case 5:
          argv->insert(argv->end(), {Word("PX"), Ttl(true)});
          break;
        case 6:
          argv->insert(argv->end(), {Word("EXAT"), Timestamp(false)});
          break;
        case 7:
          argv->insert(argv->end(), {Word("PXAT"), Timestamp(true)});
          break;
        case 8:
          argv->push_back(Word("KEEPTTL"));
          break;
        case 9:
          argv->push_back(Word("EX"));  // missing value
          break;
        case 10:
          argv->push_back(Word(P(50) ? "PERSIST" : "FOO"));
          break;
        default:
          break;
      }
    }
  }

  void ExpiryOptions(Argv* argv) {
    switch (U(12)) {
      case 0:
        argv->insert(argv->end(), {Word("EX"), Ttl(false)});
        break;
      case 1:
        argv->insert(argv->end(), {Word("PX"), Ttl(true)});
        break;
      case 2:
        argv->insert(argv->end(), {Word("EXAT"), Timestamp(false)});
        break;
      case 3:
        argv->insert(argv->end(), {Word("PXAT"), Timestamp(true)});
        break;
      case 4:
        argv->push_back(Word("PERSIST"));
        break;
      case 5:
        argv->push_back(Word(P(50) ? "KEEPTTL" : "EX"));
        break;
      case 6:
        argv->insert(argv->end(), {Word("EX"), Ttl(false), Word("PERSIST")});
        break;
      default:
        break;
    }
  }

  Argv Strings() {
    switch (U(33)) {
      case 0:
      case 1:
      case 2: {
        Argv argv = {Word("SET"), Key(), Value()};
        SetOptions(&argv);
        return argv;
      }
      case 3:
      case 4:
        return {Word("GET"), Key()};
      case 5:
        return {Word("GETDEL"), Key()};
      case 6: {
        Argv argv = {Word("GETEX"), Key()};
        ExpiryOptions(&argv);
        return argv;
      }
      case 7:
        return {Word("GETSET"), Key(), Value()};
      case 8:
        return {Word("GETRANGE"), Key(), Index(), Index()};
      case 9: {
        static const char* const kOffsets[] = {"-1", "abc", "536870912", "536870911", "100", ""};
        std::string offset = P(80) ? std::to_string(Range(0, 12)) : Pick(kOffsets);
        std::string value = Value();
        if (offset == "536870911" || offset == "100") value.clear();  // no huge allocation
        return {Word("SETRANGE"), Key(), offset, value};
      }
      case 10:
      case 11:
        return {Word("APPEND"), Key(), Value()};
      case 12:
        return {Word("STRLEN"), Key()};
      case 13:
        return {Word(P(50) ? "INCR" : "DECR"), Key()};
      case 14:
      case 15:
        return {Word(P(50) ? "INCRBY" : "DECRBY"), Key(), IntText()};
      case 16:
      case 17:
        return {Word("INCRBYFLOAT"), Key(), FloatText()};
      case 18: {
        Argv argv = {Word("MGET")};
        AddKeys(&argv, 1 + static_cast<int>(U(4)));
        return argv;
      }
      case 19:
      case 20: {
        Argv argv = {Word(P(70) ? "MSET" : "MSETNX")};
        const int n = 1 + static_cast<int>(U(3));
        for (int i = 0; i < n; ++i) argv.insert(argv.end(), {Key(), Value()});
        if (P(10)) argv.push_back(Key());  // odd count
        return argv;
      }
      case 21:
        return {Word("SETNX"), Key(), Value()};
      case 22:
        return {Word("SETEX"), Key(), Ttl(false), Value()};
      case 23:
        return {Word("PSETEX"), Key(), Ttl(true), Value()};
      case 24:
        return {Word("DEL"), Key()};
      case 25:
        return {Word(P(50) ? "TTL" : "PTTL"), Key()};
      case 26: {
        static const char* const kNums[] = {"9223372036854775806",
                                            "-9223372036854775807",
                                            "1.5",
                                            "1e308",
                                            "-1e308",
                                            "17.5",
                                            "10",
                                            "0",
                                            "-9223372036854775808",
                                            "9223372036854775807"};
        return {Word("SET"), Key(), Pick(kNums)};
      }
      case 27:
        return {Word("EXPIRETIME"), Key()};
      case 28:
        return {Word("TYPE"), Key()};
      case 29:
      case 30:
      case 31:
        return {Word("SET"), Key(), std::to_string(Range(-100, 100))};
      default:
        return {Word("EXISTS"), Key()};
    }
  }

  void ExpireFlags(Argv* argv) {
    static const char* const kFlags[] = {"NX", "XX", "GT", "LT", "FOO"};
    const int n = P(60) ? 0 : static_cast<int>(1 + U(2));
    for (int i = 0; i < n; ++i) argv->push_back(Word(Pick(kFlags)));
  }

  Argv Keys() {
    switch (U(36)) {
      case 0:
      case 1: {
        Argv argv = {Word("SET"), Key(), Value()};
        if (P(30)) argv.insert(argv.end(), {Word("EX"), Ttl(false)});
        return argv;
      }
      case 2:
        return {Word("RPUSH"), Key(), ListValue(), ListValue()};
      case 3:
        return {Word("SADD"), Key(), Member(), Member()};
      case 4:
        return {Word("HSET"), Key(), Member(), Value()};
      case 5:
        return {Word("ZADD"), Key(), std::to_string(Range(-3, 3)), ZMember()};
      case 6:
      case 7: {
        Argv argv = {Word(P(70) ? "DEL" : "UNLINK")};
        AddKeys(&argv, 1 + static_cast<int>(U(3)));
        return argv;
      }
      case 8:
      case 9: {
        Argv argv = {Word("EXISTS")};
        AddKeys(&argv, 1 + static_cast<int>(U(4)));
        return argv;
      }
      case 10:
        return {Word("TYPE"), Key()};
      case 11:
      case 12:
        return {Word(P(50) ? "TTL" : "PTTL"), Key()};
      case 13:
      case 14: {
        const bool ms = P(40);
        Argv argv = {Word(ms ? "PEXPIRE" : "EXPIRE"), Key(), Ttl(ms)};
        ExpireFlags(&argv);
        return argv;
      }
      case 15:
      case 16: {
        const bool ms = P(40);
        Argv argv = {Word(ms ? "PEXPIREAT" : "EXPIREAT"), Key(), Timestamp(ms)};
        ExpireFlags(&argv);
        return argv;
      }
      case 17:
        return {Word(P(50) ? "EXPIRETIME" : "PEXPIRETIME"), Key()};
      case 18:
        return {Word("PERSIST"), Key()};
      case 19:
      case 20:
        return {Word(P(60) ? "RENAME" : "RENAMENX"), Key(), Key()};
      case 21:
      case 22: {
        Argv argv = {Word("COPY"), Key(), Key()};
        static const char* const kDbs[] = {"0", "1", "16", "-1", "abc"};
        if (P(25)) argv.insert(argv.end(), {Word("DB"), Pick(kDbs)});
        if (P(40)) argv.push_back(Word("REPLACE"));
        if (P(5)) argv.push_back(Word("FOO"));
        return argv;
      }
      case 23:
      case 24:
        return {Word("KEYS"), Pattern()};
      case 25:
      case 26:
        return Scan({Word("SCAN"), "0"}, true);
      case 27:
        return {Word("RANDOMKEY")};
      case 28:
        return {Word("DBSIZE")};
      case 29: {
        Argv argv = {Word("TOUCH")};
        AddKeys(&argv, 1 + static_cast<int>(U(3)));
        return argv;
      }
      case 30:
        if (P(20)) {
          static const char* const kModes[] = {"", "ASYNC", "SYNC", "FOO"};
          Argv argv = {Word(P(50) ? "FLUSHDB" : "FLUSHALL")};
          std::string mode = Pick(kModes);
          if (!mode.empty()) argv.push_back(Word(mode));
          return argv;
        }
        return {Word("DBSIZE")};
      case 31:
        return {Word("GET"), Key()};
      case 32:
        return {Word("LPUSH"), Key(), ListValue()};
      case 33: {
        static const char* const kDbs[] = {"1", "1", "2", "0", "16", "-1", "abc", "4294967296"};
        return {Word("MOVE"), Key(), Pick(kDbs)};
      }
      case 34:
        if (P(30)) {
          static const char* const kDbs[] = {"0", "1", "1", "2", "16", "-1", "x", "4294967296"};
          return {Word("SWAPDB"), Pick(kDbs), Pick(kDbs)};
        }
        return {Word("EXISTS"), Key(), Key()};
      default:
        return {Word("EXISTS"), Key(), Key()};
    }
  }

  // SCAN-family options after the cursor.
  Argv Scan(Argv argv, bool keyspace) {
    static const char* const kCursors[] = {"abc", "", " 0", "1.5", "99999999999999999999", "+0"};
    if (P(5)) argv.back() = Pick(kCursors);
    const int n = static_cast<int>(U(3));
    for (int i = 0; i < n; ++i) {
      switch (U(7)) {
        case 0:
        case 1:
          argv.insert(argv.end(), {Word("MATCH"), Pattern()});
          break;
        case 2:
        case 3: {
          static const char* const kCounts[] = {"1", "2", "3", "10", "1000", "0", "-1", "abc"};
          argv.insert(argv.end(), {Word("COUNT"), P(75) ? Pick(kCounts) : Pick(kCounts) + "0"});
          break;
        }
        case 4:
          if (keyspace) {
            static const char* const kTypes[] = {"string", "list", "set",   "zset",
                                                 "hash",   "foo",  "STRING"};
            argv.insert(argv.end(), {Word("TYPE"), Pick(kTypes)});
          } else {
            argv.push_back(Word("NOVALUES"));
          }
          break;
        case 5:
          if (P(30)) argv.push_back(Word("MATCH"));
          break;
        default:
          if (P(30)) argv.push_back(Word("FOO"));
          break;
      }
    }
    return argv;
  }

  Argv Hashes() {
    switch (U(28)) {
      case 0:
      case 1:
      case 2:
      case 3: {
        Argv argv = {Word("HSET"), Key()};
        const int n = 1 + static_cast<int>(U(3));
        for (int i = 0; i < n; ++i) argv.insert(argv.end(), {Member(), Value()});
        if (P(5)) argv.push_back(Member());
        return argv;
      }
      case 4:
        return {Word("HSETNX"), Key(), Member(), Value()};
      case 5:
      case 6:
        return {Word("HGET"), Key(), Member()};
      case 7: {
        Argv argv = {Word("HMGET"), Key()};
        const int n = 1 + static_cast<int>(U(4));
        for (int i = 0; i < n; ++i) argv.push_back(Member());
        return argv;
      }
      case 8: {
        Argv argv = {Word("HMSET"), Key()};
        const int n = 1 + static_cast<int>(U(2));
        for (int i = 0; i < n; ++i) argv.insert(argv.end(), {Member(), Value()});
        return argv;
      }
      case 9:
      case 10: {
        Argv argv = {Word("HDEL"), Key()};
        const int n = 1 + static_cast<int>(U(3));
        for (int i = 0; i < n; ++i) argv.push_back(Member());
        return argv;
      }
      case 11:
        return {Word("HEXISTS"), Key(), Member()};
      case 12:
        return {Word("HLEN"), Key()};
      case 13:
        return {Word("HSTRLEN"), Key(), Member()};
      case 14:
        return {Word("HGETALL"), Key()};
      case 15:
        return {Word("HKEYS"), Key()};
      case 16:
        return {Word("HVALS"), Key()};
      case 17:
      case 18:
        return {Word("HINCRBY"), Key(), Member(), IntText()};
      case 19:
      case 20:
        return {Word("HINCRBYFLOAT"), Key(), Member(), FloatText()};
      case 21:
        return Scan({Word("HSCAN"), Key(), "0"}, false);
      case 22:
      case 23: {
        Argv argv = {Word("HRANDFIELD"), Key()};
        if (P(70)) {
          argv.push_back(SampleCount());
          if (P(50)) argv.push_back(Word(P(90) ? "WITHVALUES" : "FOO"));
        }
        return argv;
      }
      case 24:
        return {Word("DEL"), Key()};
      case 25:
        return {Word("HSET"), Key(), Member(), IntText()};
      case 26:
        return {Word("HSET"), Key(), Member(), FloatText()};
      default:
        return {Word("TYPE"), Key()};
    }
  }

  std::string Side() {
    static const char* const kSides[] = {"LEFT", "RIGHT", "LEFT", "RIGHT", "MIDDLE"};
    return Word(Pick(kSides));
  }

  Argv Lists() {
    switch (U(36)) {
      case 0:
      case 1:
      case 2:
      case 3: {
        Argv argv = {Word(P(50) ? "LPUSH" : "RPUSH"), Key()};
        const int n = 1 + static_cast<int>(U(3));
        for (int i = 0; i < n; ++i) argv.push_back(ListValue());
        return argv;
      }
      case 4:
        return {Word(P(50) ? "LPUSHX" : "RPUSHX"), Key(), ListValue()};
      case 5:
      case 6: {
        Argv argv = {Word(P(50) ? "LPOP" : "RPOP"), Key()};
        if (P(40)) argv.push_back(Count());
        return argv;
      }
      case 7:
        return {Word("LLEN"), Key()};
      case 8:
      case 9:
        return {Word("LRANGE"), Key(), Index(), Index()};
      case 10:
        return {Word("LINDEX"), Key(), Index()};
      case 11:
        return {Word("LSET"), Key(), Index(), ListValue()};
      case 12:
        return {Word("LREM"), Key(), P(80) ? std::to_string(Range(-3, 3)) : Index(), ListValue()};
      case 13:
        return {Word("LTRIM"), Key(), Index(), Index()};
      case 14: {
        static const char* const kWhere[] = {"BEFORE", "AFTER", "BEFORE", "AFTER", "AROUND"};
        return {Word("LINSERT"), Key(), Word(Pick(kWhere)), ListValue(), ListValue()};
      }
      case 15:
      case 16: {
        Argv argv = {Word("LPOS"), Key(), ListValue()};
        const int n = static_cast<int>(U(4));
        for (int i = 0; i < n; ++i) {
          switch (U(5)) {
            case 0: {
              static const char* const kRanks[] = {
                  "1", "-1", "2", "-2", "0", "9223372036854775807", "-9223372036854775808", "abc"};
              argv.insert(argv.end(), {Word("RANK"), Pick(kRanks)});
              break;
            }
            case 1: {
              static const char* const kCounts[] = {"0", "1", "2", "-1", "abc", "100"};
              argv.insert(argv.end(), {Word("COUNT"), Pick(kCounts)});
              break;
            }
            case 2: {
              static const char* const kLens[] = {"0", "1", "2", "5", "-1", "abc"};
              argv.insert(argv.end(), {Word("MAXLEN"), Pick(kLens)});
              break;
            }
            case 3:
              argv.push_back(Word("RANK"));
              break;
            default:
              argv.push_back(Word("FOO"));
              break;
          }
        }
        return argv;
      }
      case 17:
      case 18:
        return {Word("LMOVE"), Key(), Key(), Side(), Side()};
      case 19:
        return {Word("RPOPLPUSH"), Key(), Key()};
      case 20:
      case 21: {
        static const char* const kNumKeys[] = {"0", "-1", "abc", "5"};
        const int n = 1 + static_cast<int>(U(3));
        Argv argv = {Word("LMPOP"), P(92) ? std::to_string(n) : Pick(kNumKeys)};
        AddKeys(&argv, n);
        argv.push_back(Side());
        if (P(50)) argv.insert(argv.end(), {Word("COUNT"), Count()});
        if (P(3)) argv.push_back(Word("COUNT"));
        return argv;
      }
      case 22:
        if (P(35)) return Blocking();
        return {Word("LLEN"), Key()};
      case 23:
        return {Word("DEL"), Key()};
      case 24:
        return {Word("TYPE"), Key()};
      default:
        return {Word("RPUSH"), Key(), ListValue()};
    }
  }

  // Blocking pops with a short timeout (only sometimes: each empty one costs Redis 10 ms).
  Argv Blocking() {
    switch (U(5)) {
      case 0: {
        Argv argv = {Word(P(50) ? "BLPOP" : "BRPOP")};
        AddKeys(&argv, 1 + static_cast<int>(U(2)));
        argv.push_back(Timeout());
        return argv;
      }
      case 1:
        return {Word("BLMOVE"), Key(), Key(), Side(), Side(), Timeout()};
      case 2:
        return {Word("BRPOPLPUSH"), Key(), Key(), Timeout()};
      default: {
        const int n = 1 + static_cast<int>(U(2));
        Argv argv = {Word("BLMPOP"), Timeout(), std::to_string(n)};
        AddKeys(&argv, n);
        argv.push_back(Side());
        if (P(50)) argv.insert(argv.end(), {Word("COUNT"), Count()});
        return argv;
      }
    }
  }

  Argv Sets() {
    switch (U(30)) {
      case 0:
      case 1:
      case 2:
      case 3: {
        Argv argv = {Word("SADD"), Key()};
        const int n = 1 + static_cast<int>(U(4));
        for (int i = 0; i < n; ++i) argv.push_back(Member());
        return argv;
      }
      case 4:
      case 5: {
        Argv argv = {Word("SREM"), Key()};
        const int n = 1 + static_cast<int>(U(3));
        for (int i = 0; i < n; ++i) argv.push_back(Member());
        return argv;
      }
      case 6:
        return {Word("SMEMBERS"), Key()};
      case 7:
        return {Word("SISMEMBER"), Key(), Member()};
      case 8: {
        Argv argv = {Word("SMISMEMBER"), Key()};
        const int n = 1 + static_cast<int>(U(4));
        for (int i = 0; i < n; ++i) argv.push_back(Member());
        return argv;
      }
      case 9:
        return {Word("SCARD"), Key()};
      case 10: {
        Argv argv = {Word("SPOP"), Key()};
        if (P(50)) argv.push_back(Count());
        return argv;
      }
      case 11:
      case 12: {
        Argv argv = {Word("SRANDMEMBER"), Key()};
        if (P(70)) argv.push_back(SampleCount());
        return argv;
      }
      case 13:
        return {Word("SMOVE"), Key(), Key(), Member()};
      case 14:
      case 15: {
        static const char* const kOps[] = {"SINTER", "SUNION", "SDIFF"};
        Argv argv = {Word(Pick(kOps))};
        AddKeys(&argv, 1 + static_cast<int>(U(3)));
        return argv;
      }
      case 16:
      case 17: {
        static const char* const kOps[] = {"SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"};
        Argv argv = {Word(Pick(kOps)), Key()};
        AddKeys(&argv, 1 + static_cast<int>(U(3)));
        return argv;
      }
      case 18: {
        static const char* const kNumKeys[] = {"0", "-1", "abc", "5"};
        const int n = 1 + static_cast<int>(U(3));
        Argv argv = {Word("SINTERCARD"), P(90) ? std::to_string(n) : Pick(kNumKeys)};
        AddKeys(&argv, n);
        if (P(40)) {
          static const char* const kLimits[] = {"0", "1", "2", "-1", "abc", "100"};
          argv.insert(argv.end(), {Word("LIMIT"), Pick(kLimits)});
        }
        return argv;
      }
      case 19:
        return Scan({Word("SSCAN"), Key(), "0"}, false);
      case 20:
        return {Word("DEL"), Key()};
      case 21:
        return {Word("TYPE"), Key()};
      default: {
        Argv argv = {Word("SADD"), Key(), Member()};
        return argv;
      }
    }
  }

  // ZRANGE-style trailing options.
  void RangeOptions(Argv* argv, bool allow_withscores) {
    const int n = static_cast<int>(U(3));
    for (int i = 0; i < n; ++i) {
      switch (U(7)) {
        case 0:
          argv->push_back(Word("BYSCORE"));
          break;
        case 1:
          argv->push_back(Word("BYLEX"));
          break;
        case 2:
          argv->push_back(Word("REV"));
          break;
        case 3:
          argv->insert(argv->end(), {Word("LIMIT"), Index(), Index()});
          break;
        case 4:
          if (allow_withscores) argv->push_back(Word("WITHSCORES"));
          break;
        case 5:
          argv->push_back(Word("LIMIT"));
          break;
        default:
          if (P(30)) argv->push_back(Word("FOO"));
          break;
      }
    }
  }

  // numkeys and keys, then WEIGHTS/AGGREGATE/WITHSCORES options for ZUNION and friends.
  void SetOpArgs(Argv* argv, bool weights, bool withscores) {
    static const char* const kNumKeys[] = {"0", "-1", "abc", "5"};
    const int n = 1 + static_cast<int>(U(3));
    argv->push_back(P(92) ? std::to_string(n) : Pick(kNumKeys));
    AddKeys(argv, n);
    const int opts = static_cast<int>(U(3));
    for (int i = 0; i < opts; ++i) {
      switch (U(5)) {
        case 0:
          if (weights) {
            argv->push_back(Word("WEIGHTS"));
            const int w = P(90) ? n : n + 1;
            for (int j = 0; j < w; ++j)
              argv->push_back(P(85) ? std::to_string(Range(-2, 3)) : Score());
          }
          break;
        case 1:
          if (weights) {
            static const char* const kAgg[] = {"SUM", "MIN", "MAX", "AVG"};
            argv->insert(argv->end(), {Word("AGGREGATE"), Word(Pick(kAgg))});
          }
          break;
        case 2:
        case 3:
          if (withscores) argv->push_back(Word("WITHSCORES"));
          break;
        default:
          if (P(30)) argv->push_back(Word("FOO"));
          break;
      }
    }
  }

  Argv ZSets() {
    switch (U(48)) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 4: {
        Argv argv = {Word("ZADD"), Key()};
        if (P(30)) {
          static const char* const kFlags[] = {"NX", "XX", "GT", "LT", "CH", "INCR", "CH"};
          const int f = 1 + static_cast<int>(U(2));
          for (int i = 0; i < f; ++i) argv.push_back(Word(Pick(kFlags)));
        }
        const int n = 1 + static_cast<int>(U(3));
        for (int i = 0; i < n; ++i) {
          argv.push_back(P(70) ? std::to_string(Range(-3, 5)) : Score());
          argv.push_back(ZMember());
        }
        if (P(3)) argv.push_back(Score());
        return argv;
      }
      case 5:
      case 6:
        return {Word("ZINCRBY"), Key(), P(60) ? std::to_string(Range(-2, 3)) : Score(), ZMember()};
      case 7: {
        Argv argv = {Word("ZREM"), Key()};
        const int n = 1 + static_cast<int>(U(3));
        for (int i = 0; i < n; ++i) argv.push_back(ZMember());
        return argv;
      }
      case 8:
        return {Word("ZSCORE"), Key(), ZMember()};
      case 9: {
        Argv argv = {Word("ZMSCORE"), Key()};
        const int n = 1 + static_cast<int>(U(3));
        for (int i = 0; i < n; ++i) argv.push_back(ZMember());
        return argv;
      }
      case 10:
        return {Word("ZCARD"), Key()};
      case 11:
        return {Word(P(50) ? "ZRANK" : "ZREVRANK"), Key(), ZMember()};
      case 12:
      case 13: {
        Argv argv = {Word(P(50) ? "ZPOPMIN" : "ZPOPMAX"), Key()};
        if (P(50)) argv.push_back(Count());
        return argv;
      }
      case 14: {
        if (P(60)) return {Word("ZCARD"), Key()};
        if (P(50)) {
          Argv argv = {Word(P(50) ? "BZPOPMIN" : "BZPOPMAX")};
          AddKeys(&argv, 1 + static_cast<int>(U(2)));
          argv.push_back(Timeout());
          return argv;
        }
        const int n = 1 + static_cast<int>(U(2));
        Argv argv = {Word("BZMPOP"), Timeout(), std::to_string(n)};
        AddKeys(&argv, n);
        argv.push_back(Word(P(50) ? "MIN" : "MAX"));
        if (P(50)) argv.insert(argv.end(), {Word("COUNT"), Count()});
        return argv;
      }
      case 15:
      case 16: {
        static const char* const kNumKeys[] = {"0", "-1", "abc", "5"};
        const int n = 1 + static_cast<int>(U(3));
        Argv argv = {Word("ZMPOP"), P(92) ? std::to_string(n) : Pick(kNumKeys)};
        AddKeys(&argv, n);
        static const char* const kWhere[] = {"MIN", "MAX", "MIN", "MAX", "MIDDLE"};
        argv.push_back(Word(Pick(kWhere)));
        if (P(50)) argv.insert(argv.end(), {Word("COUNT"), Count()});
        return argv;
      }
      case 17:
      case 18: {
        Argv argv = {Word("ZRANDMEMBER"), Key()};
        if (P(70)) {
          argv.push_back(SampleCount());
          if (P(50)) argv.push_back(Word(P(90) ? "WITHSCORES" : "FOO"));
        }
        return argv;
      }
      case 19:
        return Scan({Word("ZSCAN"), Key(), "0"}, false);
      case 20:
      case 21: {
        Argv argv = {Word(P(50) ? "ZUNIONSTORE" : "ZINTERSTORE"), Key()};
        SetOpArgs(&argv, true, false);
        return argv;
      }
      case 22: {
        Argv argv = {Word("ZDIFFSTORE"), Key()};
        SetOpArgs(&argv, false, false);
        return argv;
      }
      case 23:
      case 24: {
        Argv argv = {Word(P(50) ? "ZUNION" : "ZINTER")};
        SetOpArgs(&argv, true, true);
        return argv;
      }
      case 25: {
        Argv argv = {Word("ZDIFF")};
        SetOpArgs(&argv, false, true);
        return argv;
      }
      case 26: {
        static const char* const kNumKeys[] = {"0", "-1", "abc", "5"};
        const int n = 1 + static_cast<int>(U(3));
        Argv argv = {Word("ZINTERCARD"), P(90) ? std::to_string(n) : Pick(kNumKeys)};
        AddKeys(&argv, n);
        if (P(40)) {
          static const char* const kLimits[] = {"0", "1", "2", "-1", "abc"};
          argv.insert(argv.end(), {Word("LIMIT"), Pick(kLimits)});
        }
        return argv;
      }
      case 27:
      case 28:
      case 29: {
        const uint64_t mode = U(3);
        Argv argv = {Word("ZRANGE"), mode == 2 ? LexKey() : Key()};
        switch (mode) {
          case 0:
            argv.insert(argv.end(), {Index(), Index()});
            break;
          case 1:
            argv.insert(argv.end(), {ScoreBound(), ScoreBound()});
            if (P(80)) argv.push_back(Word("BYSCORE"));
            break;
          default:
            argv.insert(argv.end(), {LexBound(), LexBound()});
            if (P(80)) argv.push_back(Word("BYLEX"));
            break;
        }
        RangeOptions(&argv, true);
        return argv;
      }
      case 30: {
        const uint64_t mode = U(3);
        Argv argv = {Word("ZRANGESTORE"), Key(), mode == 2 ? LexKey() : Key()};
        switch (mode) {
          case 0:
            argv.insert(argv.end(), {Index(), Index()});
            break;
          case 1:
            argv.insert(argv.end(), {ScoreBound(), ScoreBound(), Word("BYSCORE")});
            break;
          default:
            argv.insert(argv.end(), {LexBound(), LexBound(), Word("BYLEX")});
            break;
        }
        RangeOptions(&argv, P(10));
        return argv;
      }
      case 31: {
        Argv argv = {Word("ZREVRANGE"), Key(), Index(), Index()};
        if (P(50)) argv.push_back(Word("WITHSCORES"));
        return argv;
      }
      case 32:
      case 33: {
        const bool rev = P(50);
        Argv argv = {Word(rev ? "ZREVRANGEBYSCORE" : "ZRANGEBYSCORE"), Key(), ScoreBound(),
                     ScoreBound()};
        if (P(40)) argv.push_back(Word("WITHSCORES"));
        if (P(30)) argv.insert(argv.end(), {Word("LIMIT"), Index(), Index()});
        if (P(5)) argv.push_back(Word("FOO"));
        return argv;
      }
      case 34:
      case 35: {
        Argv argv = {Word(P(50) ? "ZRANGEBYLEX" : "ZREVRANGEBYLEX"), LexKey(), LexBound(),
                     LexBound()};
        if (P(30)) argv.insert(argv.end(), {Word("LIMIT"), Index(), Index()});
        if (P(5)) argv.push_back(Word("WITHSCORES"));
        return argv;
      }
      case 36:
        return {Word("ZCOUNT"), Key(), ScoreBound(), ScoreBound()};
      case 37:
        return {Word("ZLEXCOUNT"), LexKey(), LexBound(), LexBound()};
      case 38:
        return {Word("ZREMRANGEBYRANK"), Key(), Index(), Index()};
      case 39:
        return {Word("ZREMRANGEBYSCORE"), Key(), ScoreBound(), ScoreBound()};
      case 40:
        return {Word("ZREMRANGEBYLEX"), LexKey(), LexBound(), LexBound()};
      case 41:
        return {Word("DEL"), Key()};
      case 43:
      case 44: {
        Argv argv = {Word("ZADD"), "lex"};
        const int n = 1 + static_cast<int>(U(4));
        for (int i = 0; i < n; ++i) argv.insert(argv.end(), {"0", ZMember()});
        return argv;
      }
      case 42:
        return {Word("TYPE"), Key()};
      default: {
        Argv argv = {Word("ZADD"), Key(), std::to_string(Range(-3, 5)), ZMember()};
        return argv;
      }
    }
  }

  // SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO (bitmaps_gen.h).
  Argv Bitmaps();
  std::string BitOffset();
  void AddBitfieldOps(Argv* argv, bool read_only);

  // PFADD PFCOUNT PFMERGE PFDEBUG and damaged HLL values (hll_gen.h).
  Argv HyperLogLog();
  std::string HllElement();
  std::string HllCrafted();

  // DUMP RESTORE and the payloads it restores (dump_gen.h).
  Argv DumpRestore();
  std::string RestorePayload();

  std::mt19937_64 rng_;
  Family family_;
  int multi_left_ = 0;
  size_t arity_step_;
};

}  // namespace respite::storage::diff

#include "tests/storage/differential/bitmaps_gen.h"  // IWYU pragma: export
#include "tests/storage/differential/dump_gen.h"     // IWYU pragma: export
#include "tests/storage/differential/hll_gen.h"      // IWYU pragma: export
