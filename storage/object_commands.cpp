// Small generic commands about keys and the server: OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT|HELP,
// MEMORY USAGE, LASTSAVE and WAIT. The store keeps no Redis objects, so some answers are derived
// (README, "Limits"):
// - OBJECT ENCODING follows Redis 7.0's rules from what a key holds now and the thresholds in
//   CONFIG (int/embstr/raw; quicklist for every list; intset/hashtable; listpack/hashtable;
//   listpack/skiplist). Redis keeps a collection's big encoding after it shrinks back under a
//   threshold and makes strings raw after APPEND or SETRANGE; the store does not see either
//   (except that a sorted set remembers that it became a skiplist).
// - OBJECT IDLETIME answers 0 (access times are not tracked), OBJECT FREQ 5 (Redis' count for a
//   fresh key), each only under the maxmemory-policy Redis allows it under.
// - MEMORY USAGE is an estimate from Redis' allocation sizes, sampled as Redis samples.
// - LASTSAVE is when the store opened; WAIT answers 0 at once (the store has no replicas).
// All are reads: nothing is journaled.

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resp/ascii.h"
#include "storage/command_context.h"
#include "storage/keyspace.h"
#include "storage/local_config.h"
#include "storage/numbers.h"

namespace respite::storage {
namespace {

using resp::EqualsIgnoreCase;

int64_t ConfigInt(CommandContext& ctx, std::string_view name, int64_t fallback) {
  return ctx.config != nullptr ? ctx.config->IntValue(name) : fallback;
}

bool LfuPolicy(CommandContext& ctx) {
  const std::string_view policy =
      ctx.config != nullptr ? ctx.config->Value("maxmemory-policy") : std::string_view();
  return policy.ends_with("-lfu");
}

// Looks the key up for OBJECT and MEMORY: false after replying (null for a missing key).
bool LookupOrNull(CommandContext& ctx, std::string_view key, MetaValue* meta) {
  if (Status s = ctx.ks.Lookup(ctx.db, key, meta); !s.ok()) {
    ctx.Fail(s);
    return false;
  }
  if (meta->type == Type::kNone) {
    ctx.out.Null();
    return false;
  }
  return true;
}

bool IsIntEncoded(std::string_view value, int64_t* v) {
  return value.size() <= 20 && ParseInt64(value, v);
}

// Reads up to `limit` subkeys (field and value) of a collection.
Status ReadSome(CommandContext& ctx, std::string_view key, const MetaValue& meta, uint64_t limit,
                std::vector<std::pair<std::string, std::string>>* out) {
  auto it = ctx.ks.IterateSubs(ctx.db, key, meta);
  for (it->SeekToFirst(); it->Valid() && out->size() < limit; it->Next()) {
    out->emplace_back(std::string(Keyspace::SubField(it->key(), key)), std::string(it->value()));
  }
  return it->status();
}

// Redis 7.0's encoding of what `meta` holds now.
Status Encoding(CommandContext& ctx, std::string_view key, const MetaValue& meta,
                std::string_view* out) {
  std::vector<std::pair<std::string, std::string>> subs;
  switch (meta.type) {
    case Type::kString: {
      int64_t v = 0;
      *out = IsIntEncoded(meta.payload, &v) ? "int" : meta.payload.size() <= 44 ? "embstr" : "raw";
      return Status::Ok();
    }
    case Type::kList:
      *out = "quicklist";
      return Status::Ok();
    case Type::kSet: {
      *out = "hashtable";
      if (meta.size > static_cast<uint64_t>(ConfigInt(ctx, "set-max-intset-entries", 512))) {
        return Status::Ok();
      }
      if (Status s = ReadSome(ctx, key, meta, meta.size, &subs); !s.ok()) return s;
      int64_t v = 0;
      if (std::all_of(subs.begin(), subs.end(),
                      [&](const auto& e) { return ParseInt64(e.first, &v); })) {
        *out = "intset";
      }
      return Status::Ok();
    }
    case Type::kHash:
    case Type::kZSet: {
      const bool hash = meta.type == Type::kHash;
      *out = hash ? "hashtable" : "skiplist";
      const auto entries = static_cast<uint64_t>(ConfigInt(
          ctx, hash ? "hash-max-listpack-entries" : "zset-max-listpack-entries", hash ? 512 : 128));
      const auto bytes = static_cast<uint64_t>(
          ConfigInt(ctx, hash ? "hash-max-listpack-value" : "zset-max-listpack-value", 64));
      if (meta.size > entries || (!hash && meta.payload == "s")) return Status::Ok();
      if (Status s = ReadSome(ctx, key, meta, meta.size, &subs); !s.ok()) return s;
      // A sorted set's subkey value is its score, not a listpack string.
      if (std::all_of(subs.begin(), subs.end(), [&](const auto& e) {
            return e.first.size() <= bytes && (!hash || e.second.size() <= bytes);
          })) {
        *out = "listpack";
      }
      return Status::Ok();
    }
    case Type::kStream:
      *out = "stream";
      return Status::Ok();
    case Type::kNone:
      break;
  }
  *out = "none";
  return Status::Ok();
}

void ObjectEncoding(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupOrNull(ctx, ctx.argv[2], &meta)) return;
  std::string_view encoding;
  if (Status s = Encoding(ctx, ctx.argv[2], meta, &encoding); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ctx.out.Bulk(encoding);
}

void ObjectRefcount(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupOrNull(ctx, ctx.argv[2], &meta)) return;
  // Redis shares the objects of the integers 0..9999 unless maxmemory evicts by LRU or LFU.
  const std::string_view policy =
      ctx.config != nullptr ? ctx.config->Value("maxmemory-policy") : std::string_view();
  const bool sharing = ConfigInt(ctx, "maxmemory", 0) == 0 ||
                       !(policy.ends_with("-lru") || policy.ends_with("-lfu"));
  int64_t v = 0;
  const bool shared = meta.type == Type::kString && IsIntEncoded(meta.payload, &v) && v >= 0 &&
                      v < 10000 && sharing;
  ctx.out.Integer(shared ? INT_MAX : 1);
}

void ObjectIdletime(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupOrNull(ctx, ctx.argv[2], &meta)) return;
  if (LfuPolicy(ctx)) {
    ctx.out.Error(
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
        "switching between policies at runtime LRU and LFU data will take some time to adjust.");
    return;
  }
  ctx.out.Integer(0);
}

void ObjectFreq(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupOrNull(ctx, ctx.argv[2], &meta)) return;
  if (!LfuPolicy(ctx)) {
    ctx.out.Error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
        "that when switching between policies at runtime LRU and LFU data will take some time to "
        "adjust.");
    return;
  }
  ctx.out.Integer(5);  // LFU_INIT_VAL: what Redis reports for a key written and not read since
}

void ReplyHelp(CommandContext& ctx, std::string_view command,
               std::span<const std::string_view> lines) {
  ctx.out.ArrayHeader(lines.size() + 3);
  ctx.out.SimpleString(std::string(command) +
                       " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (std::string_view line : lines) ctx.out.SimpleString(line);
  ctx.out.SimpleString("HELP");
  ctx.out.SimpleString("    Prints this help.");
}

void ObjectHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
  };
  ReplyHelp(ctx, "OBJECT", kLines);
}

// jemalloc's size class for an allocation of n bytes (Redis' zmalloc_size).
uint64_t SizeClass(uint64_t n) {
  if (n <= 8) return 8;
  if (n <= 16) return 16;
  uint64_t group = 16;  // classes step by group/4 within [group, 2*group)
  while (n > group * 2) group *= 2;
  const uint64_t step = std::max<uint64_t>(group / 4, 16);
  return (n + step - 1) / step * step;
}

// An sds string of `len` bytes: header, bytes, NUL.
uint64_t SdsSize(uint64_t len) {
  const uint64_t header = len < 256 ? 3 : len < 65536 ? 5 : len < (1ull << 32) ? 9 : 17;
  return SizeClass(header + len + 1);
}

constexpr uint64_t kRobj = 16;
constexpr uint64_t kDictEntry = 24;

void MemoryUsage(CommandContext& ctx) {
  int64_t samples = 5;
  for (size_t j = 3; j < ctx.argv.size(); ++j) {
    if (EqualsIgnoreCase(ctx.argv[j], "samples") && j + 1 < ctx.argv.size()) {
      if (!ParseInt64(ctx.argv[j + 1], &samples)) {
        ctx.NotInteger();
        return;
      }
      if (samples < 0) {
        ctx.SyntaxError();
        return;
      }
      if (samples == 0) samples = INT64_MAX;
      ++j;
    } else {
      ctx.SyntaxError();
      return;
    }
  }
  const std::string_view key = ctx.argv[2];
  MetaValue meta;
  if (!LookupOrNull(ctx, key, &meta)) return;
  uint64_t usage = SdsSize(key.size()) + kDictEntry;
  if (meta.type == Type::kString) {
    int64_t v = 0;
    const uint64_t len = meta.payload.size();
    usage += IsIntEncoded(meta.payload, &v) ? kRobj
             : len <= 44                    ? SizeClass(kRobj + 3 + len + 1)
                                            : kRobj + SdsSize(len);
    ctx.out.Integer(static_cast<int64_t>(usage));
    return;
  }
  std::string_view encoding;
  if (Status s = Encoding(ctx, key, meta, &encoding); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  std::vector<std::pair<std::string, std::string>> sampled;
  if (Status s = ReadSome(ctx, key, meta, static_cast<uint64_t>(samples), &sampled); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  const bool compact = encoding == "listpack" || encoding == "intset";
  uint64_t sampled_bytes = 0;
  for (const auto& [field, value] : sampled) {
    // List subkeys are positions: the item is the value. Set members have no value; a sorted
    // set's value is its 8-byte score.
    const uint64_t element = meta.type == Type::kList ? value.size() : field.size();
    const uint64_t extra = meta.type == Type::kHash ? value.size() : 0;
    if (compact || meta.type == Type::kList) {
      sampled_bytes += element + extra + (meta.type == Type::kHash ? 4 : 2) +
                       (meta.type == Type::kZSet ? 10 : 0);
    } else {
      sampled_bytes += kDictEntry + SdsSize(element) +
                       (meta.type == Type::kHash ? SdsSize(extra) : 0) +
                       (meta.type == Type::kZSet ? 48 : 0);
    }
  }
  if (!sampled.empty()) sampled_bytes = sampled_bytes * meta.size / sampled.size();
  if (compact || meta.type == Type::kList) sampled_bytes = SizeClass(sampled_bytes + 7);
  const uint64_t header = meta.type == Type::kList ? 40 + 32 : compact ? 0 : 96;
  usage += kRobj + header + sampled_bytes;
  ctx.out.Integer(static_cast<int64_t>(usage));
}

void MemoryHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "DOCTOR",
      "    Return memory problems reports.",
      "MALLOC-STATS",
      "    Return internal statistics report from the memory allocator.",
      "PURGE",
      "    Attempt to purge dirty pages for reclamation by the allocator.",
      "STATS",
      "    Return information about the memory usage of the server.",
      "USAGE <key> [SAMPLES <count>]",
      "    Return memory in bytes used by <key> and its value. Nested values are",
      "    sampled up to <count> times (default: 5, 0 means sample all).",
  };
  ReplyHelp(ctx, "MEMORY", kLines);
}

void LastSave(CommandContext& ctx) { ctx.out.Integer(ctx.last_save_unix); }

void Wait(CommandContext& ctx) {
  int64_t replicas = 0, timeout = 0;
  if (!ParseInt64(ctx.argv[1], &replicas)) {
    ctx.NotInteger();
    return;
  }
  if (!ParseInt64(ctx.argv[2], &timeout)) {
    ctx.out.Error("ERR timeout is not an integer or out of range");
    return;
  }
  if (timeout < 0) {
    ctx.out.Error("ERR timeout is negative");
    return;
  }
  ctx.out.Integer(0);
}

}  // namespace

std::span<const LocalCommandDef> ObjectCommands() {
  static const LocalCommandDef kRows[] = {
      {"object|encoding", &ObjectEncoding},
      {"object|refcount", &ObjectRefcount},
      {"object|idletime", &ObjectIdletime},
      {"object|freq", &ObjectFreq},
      {"object|help", &ObjectHelp},
      {"memory|usage", &MemoryUsage},
      {"memory|help", &MemoryHelp},
      {"lastsave", &LastSave},
      {"wait", &Wait},
  };
  return kRows;
}

}  // namespace respite::storage
