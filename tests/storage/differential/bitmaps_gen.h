#pragma once
// The bitmap family of the differential generator (included by generator.h): bitmap commands on
// the usual keys, with the strings, deletions and collections that give them something to read
// or a WRONGTYPE; offsets small and large, every BITFIELD type and overflow mode, bad arguments.
// Offsets stay below ~40 KB of string (no command allocates anywhere near 512 MB).

#include <string>

#include "tests/storage/differential/generator.h"

namespace respite::storage::diff {

inline std::string Generator::BitOffset() {
  static const char* const kOdd[] = {
      "-1", "abc", "",   "4294967296",          "1.5",       "+1", "007",
      "#1", " 1",  "-0", "9223372036854775807", "4294967295"};  // the largest valid offset: GET
                                                                // only
  if (P(70)) return std::to_string(Range(0, 40));
  if (P(60)) return std::to_string(Range(41, 300000));
  return Pick(kOdd);
}

// Appends GET / SET / INCRBY / OVERFLOW subcommands (BITFIELD_RO: mostly GETs).
inline void Generator::AddBitfieldOps(Argv* argv, bool read_only) {
  static const char* const kOddTypes[] = {"u64", "i65", "i0",  "u0",  "x8",   "",
                                          "i",   "U8",  "u-1", "i8 ", "u1.5", "u08"};
  static const char* const kOddOffsets[] = {"#0", "#3", "#-1", "#",           "-1",        "abc",
                                            "",   "#x", "#17", "#1000000000", "4294967295"};
  static const char* const kModes[] = {"WRAP", "SAT", "FAIL", "wrap", "Sat", "fail", "bogus"};
  const int n = 1 + static_cast<int>(U(4));
  for (int i = 0; i < n; ++i) {
    if (P(20)) {
      argv->insert(argv->end(), {Word("OVERFLOW"), P(95) ? Word(Pick(kModes)) : ""});
      continue;
    }
    std::string type;
    if (P(96)) {
      const bool is_signed = P(50);
      type = (is_signed ? "i" : "u") + std::to_string(Range(1, is_signed ? 64 : 63));
      if (P(30)) type = P(50) ? "i8" : "u8";
    } else {
      type = Pick(kOddTypes);
    }
    std::string offset = P(92) ? std::to_string(Range(0, 100)) : Pick(kOddOffsets);
    if (offset == "4294967295" || offset == "#1000000000") {
      argv->insert(argv->end(), {Word("GET"), type, offset});  // never written (512 MB)
      continue;
    }
    const uint64_t op = read_only ? (P(90) ? 0 : 1 + U(2)) : U(3);
    if (op == 0) {
      argv->insert(argv->end(), {Word("GET"), type, offset});
      continue;
    }
    std::string value = P(50) ? std::to_string(Range(-300, 300)) : IntText();
    argv->insert(argv->end(), {Word(op == 1 ? "SET" : "INCRBY"), type, offset, value});
  }
  if (P(3)) argv->push_back(Word(P(50) ? "GET" : "FOO"));  // a subcommand short of arguments
}

inline Argv Generator::Bitmaps() {
  static const char* const kUnits[] = {"BYTE", "BIT", "bit", "Byte", "bits", ""};
  switch (U(30)) {
    case 0:
    case 1:
    case 2:
    case 3: {
      std::string offset = BitOffset();
      if (offset == "4294967295") offset = "0";
      static const char* const kBits[] = {"0", "1", "2", "-1", "", "abc", "01", "1.0"};
      return {Word("SETBIT"), Key(), offset, P(90) ? std::to_string(U(2)) : Pick(kBits)};
    }
    case 4:
    case 5:
      return {Word("GETBIT"), Key(), BitOffset()};
    case 6:
    case 7:
    case 8: {
      Argv argv = {Word("BITCOUNT"), Key()};
      if (P(70)) argv.insert(argv.end(), {Index(), Index()});
      if (P(40)) argv.push_back(P(90) ? Word(Pick(kUnits)) : "junk");
      if (P(3)) argv.push_back(Index());
      return argv;
    }
    case 9:
    case 10:
    case 11: {
      static const char* const kBits[] = {"0", "1", "2", "-1", "", "abc"};
      Argv argv = {Word("BITPOS"), Key(), P(90) ? std::to_string(U(2)) : Pick(kBits)};
      if (P(70)) argv.push_back(Index());
      if (argv.size() == 4 && P(70)) argv.push_back(Index());
      if (argv.size() == 5 && P(50)) argv.push_back(P(90) ? Word(Pick(kUnits)) : "junk");
      if (P(3)) argv.push_back(Index());
      return argv;
    }
    case 12:
    case 13:
    case 14: {
      static const char* const kOps[] = {"AND", "OR", "XOR", "NOT", "and", "Xor", "nand", ""};
      Argv argv = {Word("BITOP"), Pick(kOps), Key()};
      AddKeys(&argv, argv[1] == "NOT" && P(80) ? 1 : 1 + static_cast<int>(U(3)));
      return argv;
    }
    case 15:
    case 16:
    case 17:
    case 18: {
      Argv argv = {Word("BITFIELD"), Key()};
      AddBitfieldOps(&argv, false);
      return argv;
    }
    case 19:
    case 20: {
      Argv argv = {Word("BITFIELD_RO"), Key()};
      AddBitfieldOps(&argv, true);
      return argv;
    }
    case 21:
    case 22:
      return {Word("SET"), Key(), Value()};
    case 23:
      return {Word("APPEND"), Key(), Value()};
    case 24:
      return {Word("DEL"), Key()};
    case 25:
      return {Word(P(50) ? "SADD" : "RPUSH"), Key(), Member()};
    case 26:
      return {Word("GET"), Key()};
    case 27:
      return {Word("EXPIRE"), Key(), Ttl(false)};
    case 28:
      return {Word("STRLEN"), Key()};
    default:
      return {Word("SET"), Key(), std::to_string(Range(-100, 100000))};
  }
}

}  // namespace respite::storage::diff
