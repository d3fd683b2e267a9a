#pragma once
// The "sort" differential family: SORT and SORT_RO with every option on lists, sets and sorted
// sets (weights in string keys w_* and hash fields h_*->f), LCS on short strings, and OBJECT
// ENCODING / REFCOUNT / FREQ / HELP on collections built around Redis' encoding thresholds.
//
// Only replies Redis fully specifies are generated: a set sorted with BY <constant> (no sort) is
// s0, whose members are integers (an intset, returned in numeric order); ALPHA with BY (ties keep
// the collection's own order) is used on lists only; elements are ASCII so ALPHA's strcoll is a
// byte compare. z0 gets no OBJECT ENCODING: Redis converts a sorted set SORT reads to a skiplist
// (README, "Limits"). Encoding keys (e_*) only grow, or are deleted whole, so Redis never holds one
// in a bigger encoding than its contents need.

#include <cctype>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace respite::storage::diff {

class SortSteps {
 public:
  explicit SortSteps(std::mt19937_64& rng) : rng_(rng) {}

  std::vector<std::string> Next() {
    const uint64_t r = U(100);
    if (r < 22) return Build();
    if (r < 34) return Weight();
    if (r < 70) return Sort();
    if (r < 80) return Lcs();
    if (r < 95) return Encoding();
    return Misc();
  }

 private:
  using Argv = std::vector<std::string>;
  uint64_t U(uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  bool P(int percent) { return static_cast<int>(U(100)) < percent; }
  template <size_t N>
  std::string Pick(const char* const (&options)[N]) {
    return options[U(N)];
  }
  std::string Word(std::string w) {
    if (P(30)) {
      for (char& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return w;
  }

  static constexpr const char* kInts[] = {"1", "2", "3", "10", "-5", "100", "0", "42", "-7", "9"};
  static constexpr const char* kMixed[] = {"a",   "b",   "c",  "10",  "2",    "x1", "3.5", "abc",
                                           "1e2", "007", " 4", "inf", "-inf", "",   "0x1A"};
  static constexpr const char* kMembers[] = {"a", "b", "c", "d", "e", "f", "g", "h"};

  std::string Element() { return P(50) ? Pick(kInts) : P(70) ? Pick(kMixed) : Pick(kMembers); }

  std::string Source() {
    static constexpr const char* kSources[] = {"l0", "l1", "s0",    "s1",  "z0",
                                               "z1", "d0", "nokey", "w_1", "h_a"};
    return Pick(kSources);
  }

  Argv Build() {
    Argv argv;
    switch (U(7)) {
      case 0:
      case 1:
        argv = {Word(P(50) ? "RPUSH" : "LPUSH"), P(50) ? "l0" : "l1"};
        for (uint64_t i = 0, n = 1 + U(6); i < n; ++i) argv.push_back(Element());
        return argv;
      case 2:
        argv = {"SADD", "s0"};
        for (uint64_t i = 0, n = 1 + U(5); i < n; ++i) argv.push_back(Pick(kInts));
        return argv;
      case 3:
        argv = {"SADD", "s1"};
        for (uint64_t i = 0, n = 1 + U(5); i < n; ++i) argv.push_back(Element());
        return argv;
      case 4:
      case 5: {
        static constexpr const char* kScores[] = {"1", "2", "5", "-1", "0", "3.5", "inf", "-inf"};
        argv = {"ZADD", P(50) ? "z0" : "z1"};
        for (uint64_t i = 0, n = 1 + U(4); i < n; ++i) {
          argv.push_back(Pick(kScores));
          argv.push_back(P(70) ? Pick(kMembers) : Pick(kInts));
        }
        return argv;
      }
      default: {
        static constexpr const char* kDel[] = {"l0", "l1", "s0", "s1", "z0", "z1", "d0", "d1"};
        return {"DEL", Pick(kDel)};
      }
    }
  }

  Argv Weight() {
    static constexpr const char* kValues[] = {"1",    "2",   "3",   "10", "-4", "0.5",  "1e3",
                                              "abc",  "",    "7",   "8",  "9",  "-inf", "100",
                                              "3.25", "nan", " 12", "11", "12", "5"};
    const std::string element = Element();
    if (P(55)) return {"SET", "w_" + element, Pick(kValues)};
    if (P(85)) return {"HSET", "h_" + element, "f", Pick(kValues)};
    return {"DEL", P(50) ? "w_" + element : "h_" + element};
  }

  std::string Pattern(bool get) {
    static constexpr const char* kBy[] = {"w_*",  "h_*->f", "h_*->g", "nosort",
                                          "w_*x", "h_*->",  "*",      "w_*->f"};
    static constexpr const char* kGet[] = {"#",     "w_*",    "h_*->f", "nokey",
                                           "h_*->", "h_*->g", "*",      "w_*->f"};
    return get ? Pick(kGet) : Pick(kBy);
  }

  Argv Sort() {
    const bool ro = P(25);
    std::string key = Source();
    Argv argv = {Word(ro ? "SORT_RO" : "SORT"), key};
    const bool is_list = key[0] == 'l' || key == "d0";
    bool alpha = P(35);
    bool by_constant = false;
    if (P(50)) {
      std::string pattern = Pattern(false);
      by_constant = pattern.find('*') == std::string::npos;
      // A set other than s0 has no order of its own; ALPHA BY keeps the order of ties.
      if (by_constant && key == "s1") pattern = "w_*";
      by_constant = pattern.find('*') == std::string::npos;
      if (!by_constant && !is_list) alpha = false;
      argv.insert(argv.end(), {Word("BY"), pattern});
    }
    // Redis sorts a LIMIT range with BY by an unstable partial sort: no ties under ALPHA BY.
    const bool alpha_by = alpha && argv.size() > 2 && !by_constant;
    if (P(30) && !alpha_by) {
      static constexpr const char* kOffsets[] = {"0", "1", "2", "-1", "5", "100", "x"};
      static constexpr const char* kCounts[] = {"0", "1", "2", "3", "-1", "-5", "100"};
      argv.insert(argv.end(), {Word("LIMIT"), Pick(kOffsets), Pick(kCounts)});
    }
    for (uint64_t i = 0, n = P(40) ? 1 + U(3) : 0; i < n; ++i) {
      argv.insert(argv.end(), {Word("GET"), Pattern(true)});
    }
    if (P(30)) argv.push_back(Word(P(50) ? "DESC" : "ASC"));
    if (alpha) argv.push_back(Word("ALPHA"));
    if (P(ro ? 5 : 35)) argv.insert(argv.end(), {Word("STORE"), P(70) ? "d0" : "d1"});
    if (P(3)) argv.push_back(Pick(kJunk));
    return argv;
  }
  static constexpr const char* kJunk[] = {"junk", "LIMIT", "BY", "GET", "STORE"};

  Argv Lcs() {
    if (P(30)) {
      static constexpr const char* kAlphabet[] = {"a", "b", "c", "ab", "ba", "abc"};
      std::string v;
      for (uint64_t i = 0, n = U(12); i < n; ++i) v += Pick(kAlphabet);
      return {"SET", P(50) ? "c0" : "c1", v};
    }
    static constexpr const char* kKeys[] = {"c0", "c1", "c0", "c1", "nokey", "l0"};
    Argv argv = {Word("LCS"), Pick(kKeys), Pick(kKeys)};
    switch (U(6)) {
      case 0:
        argv.push_back(Word("LEN"));
        break;
      case 1:
      case 2:
        argv.push_back(Word("IDX"));
        if (P(50))
          argv.insert(argv.end(), {Word("MINMATCHLEN"), P(80) ? std::to_string(U(4)) : "x"});
        if (P(50)) argv.push_back(Word("WITHMATCHLEN"));
        break;
      case 3:
        argv.push_back(Pick(kJunk));
        break;
      case 4:
        argv.insert(argv.end(), {Word("LEN"), Word("IDX")});
        break;
      default:
        break;
    }
    return argv;
  }

  // Collections near Redis' thresholds (set-max-intset-entries 512, zset 128 entries / 64 bytes,
  // hash 512 entries / 64 bytes) and strings near the int / embstr (44 bytes) limits.
  Argv Encoding() {
    const uint64_t r = U(10);
    if (r < 4) return {Word("OBJECT"), Word("ENCODING"), EncodingKey()};
    if (r == 4) {
      static constexpr const char* kSub[] = {"REFCOUNT", "FREQ", "HELP"};
      const std::string sub = Pick(kSub);
      if (sub == "HELP") return {"OBJECT", Word(sub)};
      return {"OBJECT", Word(sub), EncodingKey()};
    }
    if (r == 5) return {"DEL", EncodingKey()};
    return Fill();
  }

  std::string EncodingKey() {
    static constexpr const char* kKeys[] = {"e_set", "e_zset", "e_hash", "e_list",
                                            "e_str", "l0",     "s0",     "nokey"};
    return Pick(kKeys);
  }

  std::string Around(uint64_t threshold) { return std::to_string(threshold - 2 + U(5)); }

  Argv Fill() {
    Argv argv;
    switch (U(5)) {
      case 0: {
        const uint64_t n = std::stoull(P(50) ? Around(512) : std::to_string(1 + U(20)));
        const bool ints = P(80);
        argv = {"SADD", "e_set"};
        for (uint64_t i = 0; i < n; ++i) argv.push_back((ints ? "" : "m") + std::to_string(i));
        return argv;
      }
      case 1: {
        const uint64_t n = std::stoull(P(50) ? Around(128) : std::to_string(1 + U(20)));
        argv = {"ZADD", "e_zset"};
        const bool long_members = P(15);
        for (uint64_t i = 0; i < n; ++i) {
          argv.push_back(std::to_string(i % 5));
          argv.push_back(long_members ? std::string(62 + U(5), 'z') + std::to_string(i)
                                      : "m" + std::to_string(i));
        }
        return argv;
      }
      case 2: {
        const uint64_t n = std::stoull(P(50) ? Around(512) : std::to_string(1 + U(20)));
        argv = {"HSET", "e_hash"};
        const bool long_values = P(15);
        for (uint64_t i = 0; i < n; ++i) {
          // A field's value length never changes, so no field shrinks back under the limit.
          if (long_values) {
            const uint64_t len = 62 + i % 5;
            argv.insert(argv.end(), {"L" + std::to_string(len) + "_" + std::to_string(i),
                                     std::string(len, 'v')});
          } else {
            argv.insert(argv.end(), {"f" + std::to_string(i), "v"});
          }
        }
        return argv;
      }
      case 3:
        argv = {"RPUSH", "e_list"};
        for (uint64_t i = 0, n = 1 + U(200); i < n; ++i) argv.push_back(std::to_string(i));
        return argv;
      default: {
        static constexpr const char* kStrings[] = {"0",   "1",   "9999", "10000",
                                                   "-1",  "007", "+1",   "9223372036854775807",
                                                   "1.5", "abc", "",     "12345678901234567890"};
        std::string v = P(60) ? Pick(kStrings) : std::string(42 + U(5), 's');
        return {"SET", "e_str", v};
      }
    }
  }

  Argv Misc() {
    switch (U(3)) {
      case 0: {
        static constexpr const char* kReplicas[] = {"0", "-1", "x"};
        static constexpr const char* kTimeouts[] = {"0", "10", "-1", "x", "1.5"};
        return {Word("WAIT"), Pick(kReplicas), Pick(kTimeouts)};
      }
      case 1:
        return {"LRANGE", P(50) ? "d0" : "d1", "0", "-1"};
      default:
        return {"TYPE", P(50) ? "d0" : "d1"};
    }
  }

  std::mt19937_64& rng_;
};

}  // namespace respite::storage::diff
