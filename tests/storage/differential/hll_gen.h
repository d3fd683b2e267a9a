#pragma once
// The HyperLogLog family of the differential generator (included by generator.h): PFADD in small
// and large batches (enough to turn the sparse encoding dense), PFCOUNT of one to three keys (the
// cached cardinality is written into the value), PFMERGE, PFDEBUG, GET of the raw bytes, and the
// ways a value stops being a valid HLL: plain strings, hand-made headers and opcodes, SETRANGE and
// APPEND on HLLs, other types. CONFIG SET hll-sparse-max-bytes moves the promotion point (each
// seed starts from 3000, see differential_test.cpp).

#include <string>

#include "tests/storage/differential/generator.h"

namespace respite::storage::diff {

inline std::string Generator::HllElement() {
  if (P(3)) return P(50) ? std::string() : Bin(std::string_view("e\0\xff", 3));
  if (P(2)) return std::string(static_cast<size_t>(Range(1, 40)), 'x');
  return "e" + std::to_string(Range(0, 20000));
}

// A hand-made HLL value: a valid or damaged header, then sparse opcodes or dense bytes.
inline std::string Generator::HllCrafted() {
  static const char* const kOddMagic[] = {"HYLM", "hyll", "YLL\x01", "\0\0\0\0"};
  std::string v = P(90) ? std::string("HYLL") : std::string(kOddMagic[U(4)], 4);
  const uint64_t kind = U(10);
  v.push_back(static_cast<char>(kind < 7 ? 1 : kind < 9 ? 0 : 2));  // sparse, dense, unknown
  v.append(3, '\0');
  for (int i = 0; i < 8; ++i) v.push_back(P(80) ? '\0' : static_cast<char>(U(256)));
  if (kind >= 7 && kind < 9) {
    // Dense: the right size (random registers) or one byte off.
    const size_t size = 12288 + (P(80) ? 0 : 1) - (P(10) ? 2 : 0);
    for (size_t i = 0; i < size; ++i) v.push_back(P(90) ? '\0' : static_cast<char>(U(256)));
    return v;
  }
  // Sparse: runs that add up to 16384 registers, sometimes fewer, more, or a cut XZERO.
  int left = 16384;
  while (left > 0 && v.size() < 200) {
    const uint64_t op = U(3);
    if (op == 0) {
      const int len = static_cast<int>(Range(1, std::min(left, 64)));
      v.push_back(static_cast<char>(len - 1));
      left -= len;
    } else if (op == 1) {
      const int len = static_cast<int>(Range(1, std::min(left, 3000)));
      v.push_back(static_cast<char>(0x40 | ((len - 1) >> 8)));
      v.push_back(static_cast<char>((len - 1) & 0xff));
      left -= len;
    } else {
      const int len = static_cast<int>(Range(1, std::min(left, 4)));
      v.push_back(static_cast<char>(0x80 | (U(32) << 2) | (len - 1)));
      left -= len;
    }
  }
  if (left > 0 && P(70)) {
    v.push_back(static_cast<char>(0x40 | ((left - 1) >> 8)));
    v.push_back(static_cast<char>((left - 1) & 0xff));
  }
  if (P(10)) v.push_back(static_cast<char>(U(256)));
  if (P(5)) v.pop_back();
  return v;
}

inline Argv Generator::HyperLogLog() {
  static const char* const kSparseMax[] = {"0",   "1",   "17",   "20",   "30",   "60",
                                           "100", "300", "1000", "3000", "3000", "5000"};
  switch (U(46)) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 7: {
      Argv argv = {Word("PFADD"), Key()};
      const int n = P(5) ? 0 : static_cast<int>(Range(1, 8));
      for (int i = 0; i < n; ++i) argv.push_back(HllElement());
      return argv;
    }
    case 8:
    case 9: {
      Argv argv = {Word("PFADD"), Key()};
      const int n = static_cast<int>(Range(50, P(30) ? 3000 : 400));
      for (int i = 0; i < n; ++i) argv.push_back(HllElement());
      return argv;
    }
    case 10:
    case 11:
    case 12:
    case 13:
    case 14: {
      Argv argv = {Word("PFCOUNT"), Key()};
      if (P(40)) AddKeys(&argv, 1 + static_cast<int>(U(2)));
      return argv;
    }
    case 15:
    case 16:
    case 17: {
      Argv argv = {Word("PFMERGE"), Key()};
      AddKeys(&argv, static_cast<int>(U(4)));
      return argv;
    }
    case 18:
    case 19:
    case 20:
    case 21:
    case 22:
      return {Word("GET"), Key()};
    case 23: {
      static const char* const kSubs[] = {"ENCODING", "DECODE", "TODENSE", "encoding",
                                          "GETREG",   "bogus",  "Decode"};
      return {Word("PFDEBUG"), Pick(kSubs), Key()};
    }
    case 24:
    case 25:
      return {Word("SET"), Key(), HllCrafted()};
    case 26:
      if (P(50)) return {Word("DEL"), Key()};
      return {Word("SET"), Key(), Value()};
    case 27:
    case 28: {
      // Damage an HLL: a header byte, the cached cardinality, or an opcode.
      const int64_t at = P(50) ? Range(0, 20) : Range(16, 12400);
      return {Word("SETRANGE"), Key(), std::to_string(at),
              P(50) ? std::string(1, static_cast<char>(U(256))) : Value()};
    }
    case 29:
      return {Word("APPEND"), Key(), P(50) ? "hello" : std::string(1, static_cast<char>(U(256)))};
    case 30:
    case 31:
      return {Word("CONFIG"), Word("SET"), "hll-sparse-max-bytes", Pick(kSparseMax)};
    case 32:
    case 38:
    case 39:
    case 40:
    case 41:
      // Mostly a fresh start for a key that stopped being an HLL.
      return {Word("DEL"), Key()};
    case 33:
      if (P(60)) return {Word("DEL"), Key()};
      return {Word(P(50) ? "SADD" : "RPUSH"), Key(), Member()};
    case 34:
      return {Word("EXPIRE"), Key(), Ttl(false)};
    case 35:
      return {Word("STRLEN"), Key()};
    case 36:
      return {Word("GETRANGE"), Key(), "0", "17"};
    case 37:
      return {Word("TYPE"), Key()};
    default: {
      Argv argv = {Word("PFADD"), Key()};
      for (int i = 0; i < 20; ++i) argv.push_back("e" + std::to_string(Range(0, 300)));
      return argv;
    }
  }
}

}  // namespace respite::storage::diff
