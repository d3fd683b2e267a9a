#pragma once
// The DUMP/RESTORE family of the differential generator (included by generator.h): values of
// every type built by the other families' writes, DUMP of them (compared by decoded content,
// normalize.h), RESTORE of payloads the generator encodes itself with rdb_codec.h (both forms of
// each type: the limits are random, so small values come as hashtables too), damaged payloads
// (a flipped byte without a fixed CRC, cut values, a future RDB version, empty and
// duplicate collections), and RESTORE's options (TTL, ABSTTL, REPLACE, IDLETIME, FREQ, junk).
// After each seed the test also restores each side's DUMP on both sides (differential_test.cpp).

#include <cmath>
#include <limits>
#include <set>
#include <string>

#include "storage/rdb_codec.h"
#include "storage/rdb_value.h"
#include "tests/storage/differential/generator.h"

namespace respite::storage::diff {

inline std::string Generator::RestorePayload() {
  rdb::RdbObject obj;
  const int n = static_cast<int>(P(15) ? Range(100, 700) : Range(1, 12));
  switch (U(5)) {
    case 0:
      obj.type = Type::kString;
      obj.str = P(30) ? IntText() : Value();
      break;
    case 1:
      obj.type = Type::kList;
      for (int i = 0; i < n; ++i) obj.items.push_back(P(70) ? ListValue() : IntText());
      break;
    case 2: {
      obj.type = Type::kSet;
      std::set<std::string> members;
      const bool ints = P(50);
      for (int i = 0; i < n; ++i) members.insert(ints ? IntText() : Member());
      obj.items.assign(members.begin(), members.end());
      break;
    }
    case 3: {
      obj.type = Type::kHash;
      std::set<std::string> fields;
      for (int i = 0; i < n; ++i) {
        std::string f = P(80) ? "f" + std::to_string(i) : Member();
        if (fields.insert(f).second) obj.hash.emplace_back(std::move(f), Value());
      }
      break;
    }
    default: {
      obj.type = Type::kZSet;
      std::set<std::pair<double, std::string>> entries;
      std::set<std::string> members;
      static const double kScores[] = {
          0, 0.25, 1, -1, 1.5, 0.1, 1e308, -2.5, 3, std::numeric_limits<double>::infinity()};
      // No -0: a small sorted set keeps it in Redis, the store's model has one zero (README).
      for (int i = 0; i < n; ++i) {
        std::string m = n > 20 ? "z" + std::to_string(i) : ZMember();
        if (!members.insert(m).second) continue;
        entries.emplace(P(70) ? kScores[U(10)] : static_cast<double>(Range(-100, 100)) / 8, m);
      }
      for (const auto& [score, m] : entries) obj.zset.emplace_back(m, score);
      break;
    }
  }
  rdb::EncodeLimits limits;
  if (P(30)) {  // the other form for small values
    limits.set_max_intset_entries = 0;
    limits.hash_max_listpack_entries = 0;
    limits.zset_max_listpack_entries = 0;
  }
  if (P(20)) limits.list_max_listpack_size = P(50) ? 2 : -1;
  uint8_t type = 0;
  std::string bytes;
  rdb::EncodeValue(obj, limits, &type, &bytes);
  switch (U(14)) {
    case 0:
      // Not a flipped byte under a fixed CRC: whether a damaged listpack gets past Redis' own
      // validation depends on its internals byte by byte (README, Limits); fuzz_rdb_restore
      // covers such input for crashes.
      break;
    case 1:  // cut short
      bytes.resize(U(bytes.size() + 1));
      break;
    case 2: {  // an empty collection or duplicates
      bytes.clear();
      const uint8_t types[] = {rdb::kTypeList, rdb::kTypeSet, rdb::kTypeHash, rdb::kTypeZSet2};
      type = types[U(4)];
      rdb::WriteLength(&bytes, P(50) ? 0 : 2);
      for (int i = 0; i < 2; ++i) {
        rdb::WriteString(&bytes, "dup");
        if (type == rdb::kTypeHash) rdb::WriteString(&bytes, "v");
        if (type == rdb::kTypeZSet2) rdb::WriteBinaryDouble(&bytes, 1);
      }
      break;
    }
    case 3:  // an unknown or stream type byte
      type = static_cast<uint8_t>(P(50) ? 19 : U(256));
      break;
    default:
      break;
  }
  std::string payload = rdb::MakeDumpPayload(type, bytes);
  switch (U(20)) {
    case 0:  // a flipped byte, CRC not fixed
      payload[U(payload.size())] ^= static_cast<char>(1 + U(255));
      break;
    case 1:  // RDB version 11
      payload[payload.size() - 10] = 11;
      break;
    case 2:
      payload.resize(U(11));
      break;
    default:
      break;
  }
  return payload;
}

inline Argv Generator::DumpRestore() {
  const uint64_t pick = U(100);
  if (pick < 30) {
    Argv argv = FromFamily(static_cast<Family>(U(6)));
    Mutate(&argv);
    return argv;
  }
  if (pick < 33) return Fill(static_cast<Family>(2 + U(4)));
  if (pick < 50) return {Word("DUMP"), Key()};
  // Not OBJECT ENCODING: a restored value reports the encoding the store derives from what it
  // holds, where Redis keeps the payload's (an integer-like string restored as "embstr").
  if (pick < 55) return {Word("EXISTS"), Key()};
  if (pick < 60) return {Word("TYPE"), Key()};
  if (pick < 62) return {Word("DEL"), Key()};
  Argv argv = {Word("RESTORE"), Key()};
  bool abs = false;
  switch (U(8)) {
    case 0:
      // At least 100 s: a key that expires between two commands would make the run depend on
      // timing (Redis and the store each read their own clock).
      argv.push_back(std::to_string(Range(100000, 10000000)));
      break;
    case 1:
      abs = true;
      argv.push_back(std::to_string(P(50) ? 1 : 4102444800000));  // 1970 or 2100
      break;
    case 2: {  // refused TTLs (a random value could be a tiny valid one: timing again)
      static const char* const kBad[] = {"-1", "-5", "abc", "1.5", " 1", ""};
      argv.push_back(Pick(kBad));
    } break;
    default:
      argv.push_back("0");
      break;
  }
  argv.push_back(RestorePayload());
  if (P(60)) argv.push_back(Word("REPLACE"));
  if (abs || P(5)) argv.push_back(Word("ABSTTL"));
  if (P(8)) argv.insert(argv.end(), {Word(P(50) ? "IDLETIME" : "FREQ"), P(80) ? "10" : Value()});
  static const char* const kJunk[] = {"junk", "REPLACE", "IDLETIME"};
  if (P(4)) argv.push_back(Pick(kJunk));
  if (P(50) && argv.size() > 4) std::swap(argv[4], argv.back());
  return argv;
}

}  // namespace respite::storage::diff
