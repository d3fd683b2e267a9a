#pragma once
// The "geo" differential family: GEOADD (NX/XX/CH, invalid pairs, the latitude limits
// +-85.05112878 and the antimeridian), GEODIST, GEOHASH, GEOPOS, GEOSEARCH and GEOSEARCHSTORE
// with every option, GEORADIUS and GEORADIUSBYMEMBER with their _RO forms and STORE/STOREDIST,
// in every unit, on geo sets, a missing key, a string and a list (WRONGTYPE).
//
// Members t0..t5 share the positions of p0 and p1, so results hold members at exactly equal
// distances: their order under ASC/DESC (a stable sort, or Redis' partial quicksort when COUNT
// cuts the result short) is compared too.

#include <cctype>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace respite::storage::diff {

class GeoSteps {
 public:
  explicit GeoSteps(std::mt19937_64& rng) : rng_(rng) {}

  std::vector<std::string> Next() {
    const uint64_t r = U(100);
    if (r < 25) return Add();
    if (r < 33) return Read();
    if (r < 80) return Search();
    if (r < 92) return Radius();
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

  // Positions: members p0..p9 near Palermo and Catania; e0..e5 at the edges (the latitude limits,
  // the antimeridian on both sides, longitude +-180).
  struct Pos {
    const char* lon;
    const char* lat;
  };
  static constexpr const char* kMembers[] = {"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7",
                                             "p8", "p9", "e0", "e1", "e2", "e3", "e4", "e5"};
  static constexpr Pos kPositions[][2] = {
      {{"13.361389", "38.115556"}, {"13.3827", "38.1031"}},
      {{"15.087269", "37.502669"}, {"15.0713", "37.5194"}},
      {{"13.5833", "37.3167"}, {"14.0137", "37.7319"}},
      {{"12.758489", "38.788135"}, {"12.9061", "38.4488"}},
      {{"14.2497", "40.8518"}, {"16.2546", "39.2983"}},
      {{"13.1712", "38.0141"}, {"12.5377", "37.8063"}},
      {{"15.5527", "38.1938"}, {"14.6021", "37.6717"}},
      {{"13.00771", "38.12493"}, {"13.47112", "38.21178"}},
      {{"2.3522", "48.8566"}, {"-0.1276", "51.5072"}},
      {{"-73.9857", "40.7484"}, {"139.6917", "35.6895"}},
      {{"179.9987", "0.4532"}, {"179.5311", "-0.2297"}},
      {{"-179.9931", "0.5187"}, {"-179.4413", "-0.3109"}},
      {{"12.3456", "85.05112878"}, {"-33.217", "85.05112"}},
      {{"-45.6789", "-85.05112878"}, {"71.123", "-85.0511"}},
      {{"180", "85.05112878"}, {"-180", "-85.05112878"}},
      {{"180", "12.3211"}, {"-180", "-7.6543"}},
  };
  static constexpr size_t kMemberCount = sizeof(kMembers) / sizeof(kMembers[0]);

  std::string Key() {
    static constexpr const char* kKeys[] = {"g0", "g0", "g0", "g0", "g1", "g1", "g1", "nokey"};
    if (P(8)) return P(50) ? "str" : "lst";
    return Pick(kKeys);
  }
  std::string Dest() {
    static constexpr const char* kDests[] = {"d0", "d1", "g1", "str", "g0"};
    return Pick(kDests);
  }
  std::string Member() {
    if (P(5)) return P(50) ? "missing" : "";
    if (P(8)) return "t" + std::to_string(U(6));
    return kMembers[U(P(70) ? 10 : kMemberCount)];
  }
  std::string Unit() {
    static constexpr const char* kUnits[] = {"m", "km", "ft", "mi", "M", "KM", "Ft", "mI"};
    if (P(3)) return P(50) ? "yd" : "";
    return Pick(kUnits);
  }
  std::string Distance() {
    static constexpr const char* kNear[] = {"50",    "100", "150",  "200", "300",
                                            "12.75", "500", "1000", "0"};
    static constexpr const char* kFar[] = {"2000000", "7000000", "20000000", "40000000", "1e300"};
    static constexpr const char* kBad[] = {"-1", "abc", "", "nan", "inf", " 5"};
    const uint64_t r = U(100);
    if (r < 3) return Pick(kBad);
    if (r < 10) return Pick(kFar);
    return Pick(kNear);
  }
  // Irregular search centers (no two positions at the same distance), some invalid.
  void LonLat(Argv* argv) {
    static constexpr Pos kCenters[] = {
        {"13.5911", "37.8732"}, {"14.3173", "38.0219"},   {"15.0011", "37.2291"},
        {"12.9137", "38.3393"}, {"179.9713", "0.2291"},   {"-179.9377", "0.1117"},
        {"0.0713", "84.9987"},  {"-0.0419", "-84.9911"},  {"179.9999", "85.0511"},
        {"2.4137", "48.7711"},  {"-73.3911", "40.1173"},  {"100.1737", "-20.3311"},
        {"13.3613", "38.1155"}, {"-179.9999", "-85.0511"}};
    static constexpr Pos kInvalid[] = {{"181", "10"},   {"10", "86"},  {"-180.5", "0"},
                                       {"0", "-85.06"}, {"abc", "10"}, {"10", ""},
                                       {"inf", "0"},    {"0", "-inf"}, {"1e400", "0"}};
    const Pos p = P(6) ? kInvalid[U(sizeof(kInvalid) / sizeof(kInvalid[0]))]
                       : kCenters[U(sizeof(kCenters) / sizeof(kCenters[0]))];
    argv->insert(argv->end(), {p.lon, p.lat});
  }

  Argv Add() {
    Argv argv = {Word("GEOADD"), P(90) ? (P(75) ? "g0" : "g1") : Key()};
    if (P(25)) {
      static constexpr const char* kOptions[] = {"NX", "XX", "CH"};
      for (uint64_t i = 0, n = 1 + U(3); i < n; ++i) argv.push_back(Word(Pick(kOptions)));
    }
    for (uint64_t i = 0, n = 1 + U(4); i < n; ++i) {
      const size_t m = U(P(70) ? 10 : kMemberCount);
      if (P(12)) {
        const size_t t = U(6);
        const Pos& pos = kPositions[t % 2][0];
        argv.insert(argv.end(), {pos.lon, pos.lat, "t" + std::to_string(t)});
      } else if (P(3)) {
        LonLat(&argv);  // mostly a valid center; one member only, so no two share a position
        argv.push_back("c0");
      } else {
        const Pos& pos = kPositions[m][P(80) ? 0 : 1];
        argv.insert(argv.end(), {pos.lon, pos.lat, kMembers[m]});
      }
    }
    if (P(2)) argv.pop_back();
    return argv;
  }

  Argv Read() {
    Argv argv;
    switch (U(4)) {
      case 0:
        argv = {Word("GEODIST"), Key(), Member(), Member()};
        if (P(70)) argv.push_back(Unit());
        if (P(2)) argv.push_back("km");
        return argv;
      case 1:
      case 2:
        argv = {Word(P(50) ? "GEOPOS" : "GEOHASH"), Key()};
        for (uint64_t i = 0, n = U(5); i < n; ++i) argv.push_back(Member());
        return argv;
      default:
        return {Word("ZRANGE"), Key(), "0", "-1", "WITHSCORES"};
    }
  }

  // The options every search takes, in random order. `storing`: the command stores its result
  // (WITH* options are then an error, so they are rare).
  void Options(Argv* argv, bool store_ok, bool storing) {
    std::vector<Argv> opts;
    if (store_ok && P(30)) {
      opts.push_back({Word(P(50) ? "STORE" : "STOREDIST"), Dest()});
      storing = true;
    }
    const int with = storing ? 3 : 100;
    if (P(40 * with / 100)) opts.push_back({Word("WITHDIST")});
    if (P(25 * with / 100)) opts.push_back({Word("WITHHASH")});
    if (P(30 * with / 100)) opts.push_back({Word("WITHCOORD")});
    if (P(45)) opts.push_back({Word(P(50) ? "ASC" : "DESC")});
    if (P(35)) {
      static constexpr const char* kCounts[] = {"1", "2", "3", "5", "100", "4", "7"};
      static constexpr const char* kBadCounts[] = {"0", "-1", "x", ""};
      opts.push_back({Word("COUNT"), P(95) ? Pick(kCounts) : Pick(kBadCounts)});
      if (P(35)) opts.push_back({Word("ANY")});
    } else if (P(2)) {
      opts.push_back({Word("ANY")});
    }
    if (P(2)) opts.push_back({Word("STOREDIST")});
    for (uint64_t i = opts.size(); i > 1; --i) std::swap(opts[i - 1], opts[U(i)]);
    for (const Argv& o : opts) argv->insert(argv->end(), o.begin(), o.end());
  }

  void From(Argv* argv) {
    if (P(50)) {
      argv->insert(argv->end(), {Word("FROMMEMBER"), Member()});
    } else {
      argv->push_back(Word("FROMLONLAT"));
      LonLat(argv);
    }
  }
  void By(Argv* argv) {
    if (P(50)) {
      argv->insert(argv->end(), {Word("BYRADIUS"), Distance(), Unit()});
    } else {
      argv->insert(argv->end(), {Word("BYBOX"), Distance(), Distance(), Unit()});
    }
  }

  Argv Search() {
    const bool store = P(30);
    Argv argv = {Word(store ? "GEOSEARCHSTORE" : "GEOSEARCH")};
    if (store) argv.push_back(Dest());
    argv.push_back(Key());
    const uint64_t shape = U(100);
    if (shape < 94) {  // both parts, in either order
      if (P(80)) {
        From(&argv);
        By(&argv);
      } else {
        By(&argv);
        From(&argv);
      }
    } else if (shape < 96) {
      From(&argv);
    } else if (shape < 98) {
      By(&argv);
    } else {  // both FROM or both BY
      From(&argv);
      if (P(50)) From(&argv);
      By(&argv);
      if (P(50)) By(&argv);
    }
    Options(&argv, false, store);
    if (store && P(40)) argv.push_back(Word("STOREDIST"));
    if (!store && P(2)) argv.insert(argv.end(), {Word("STORE"), "d0"});
    return argv;
  }

  Argv Radius() {
    const bool by_member = P(50);
    const bool ro = P(30);
    std::string name = by_member ? "GEORADIUSBYMEMBER" : "GEORADIUS";
    if (ro) name += "_RO";
    Argv argv = {Word(name), Key()};
    if (by_member) {
      argv.push_back(Member());
    } else {
      LonLat(&argv);
    }
    argv.insert(argv.end(), {Distance(), Unit()});
    Options(&argv, !ro || P(10), false);
    return argv;
  }

  Argv Misc() {
    switch (U(9)) {
      case 0:
        return {"SET", "str", "v"};
      case 1:
        return {"RPUSH", "lst", "a"};
      case 2:
        return {"DEL", P(50) ? "d0" : "d1"};
      case 3:
        return {"DEL", P(80) ? "g1" : "g0"};
      case 4:
        return {"ZRANGE", Dest(), "0", "-1", "WITHSCORES"};
      case 5:
        return {"ZREM", P(50) ? "g0" : "g1", Member()};
      case 6:
        // A sorted-set score that is no geohash: decoded the way Redis decodes it.
        return {"ZADD", "g1", P(50) ? "1" : "17.5", "z0"};
      case 7:
        return {"EXPIRE", Dest(), "1000"};
      default:
        return {"TYPE", Dest()};
    }
  }

  std::mt19937_64& rng_;
};

}  // namespace respite::storage::diff
