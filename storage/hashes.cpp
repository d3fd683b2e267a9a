// The hash family: fields are subkeys of the key's incarnation, meta.size counts them, and a hash
// that loses its last field is deleted. Replies list fields in byte order (Redis: insertion order
// for small hashes, table order for big ones; clients must not rely on either).

#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/command_context.h"
#include "storage/keyspace.h"
#include "storage/numbers.h"
#include "storage/subkeys.h"

namespace respite::storage {
namespace {

// Redis keeps a hash of at most this many fields, each field and value at most kCompactBytes, as
// a listpack, and HSCAN returns such a hash whole.
constexpr size_t kCompactEntries = 128;
constexpr size_t kCompactBytes = 64;

bool LookupHash(CommandContext& ctx, MetaValue* meta) {
  return LookupOfType(ctx, ctx.argv[1], Type::kHash, meta);
}

// Writes field = value, counting a new field into meta->size.
Status SetField(CommandContext& ctx, MetaValue* meta, std::string_view field,
                std::string_view value, bool* added) {
  std::string old;
  bool found = false;
  if (Status s = FindSub(ctx.ks, ctx.db, ctx.argv[1], *meta, field, &old, &found); !s.ok()) {
    return s;
  }
  *added = !found;
  if (!found) ++meta->size;
  ctx.ks.PutSub(ctx.db, ctx.argv[1], *meta, field, value);
  return Status::Ok();
}

// HSET key field value [field value ...] and HMSET (same, replies +OK).
void SetFields(CommandContext& ctx, bool reply_ok) {
  if (ctx.argv.size() % 2 != 0) {
    ctx.out.Error(reply_ok ? "ERR wrong number of arguments for 'hmset' command"
                           : "ERR wrong number of arguments for 'hset' command");
    return;
  }
  MetaValue meta;
  if (!LookupHash(ctx, &meta)) return;
  const bool created = meta.type == Type::kNone;
  if (created) meta = NewCollection(ctx, Type::kHash);
  int64_t added = 0;
  for (size_t i = 2; i < ctx.argv.size(); i += 2) {
    bool is_new = false;
    if (Status s = SetField(ctx, &meta, ctx.argv[i], ctx.argv[i + 1], &is_new); !s.ok()) {
      ctx.Fail(s);
      return;
    }
    added += is_new ? 1 : 0;
  }
  if (added > 0) ctx.ks.PutMeta(ctx.db, ctx.argv[1], meta, created);
  if (reply_ok) {
    ctx.out.Ok();
  } else {
    ctx.out.Integer(added);
  }
}

void HSet(CommandContext& ctx) { SetFields(ctx, /*reply_ok=*/false); }
void HMSet(CommandContext& ctx) { SetFields(ctx, /*reply_ok=*/true); }

void HSetNx(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupHash(ctx, &meta)) return;
  std::string value;
  bool found = false;
  if (Status s = FindSub(ctx.ks, ctx.db, ctx.argv[1], meta, ctx.argv[2], &value, &found); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  if (found) {
    ctx.NoJournal();
    ctx.out.Integer(0);
    return;
  }
  const bool created = meta.type == Type::kNone;
  if (created) meta = NewCollection(ctx, Type::kHash);
  ++meta.size;
  ctx.ks.PutSub(ctx.db, ctx.argv[1], meta, ctx.argv[2], ctx.argv[3]);
  ctx.ks.PutMeta(ctx.db, ctx.argv[1], meta, created);
  ctx.out.Integer(1);
}

void HGet(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupHash(ctx, &meta)) return;
  std::string value;
  bool found = false;
  if (Status s = FindSub(ctx.ks, ctx.db, ctx.argv[1], meta, ctx.argv[2], &value, &found); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  if (found) {
    ctx.out.Bulk(value);
  } else {
    ctx.out.Null();
  }
}

void HMGet(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupHash(ctx, &meta)) return;
  std::vector<std::string> values(ctx.argv.size() - 2);
  std::vector<bool> present(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    bool found = false;
    if (Status s = FindSub(ctx.ks, ctx.db, ctx.argv[1], meta, ctx.argv[i + 2], &values[i], &found);
        !s.ok()) {
      ctx.Fail(s);
      return;
    }
    present[i] = found;
  }
  ctx.out.ArrayHeader(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (present[i]) {
      ctx.out.Bulk(values[i]);
    } else {
      ctx.out.Null();
    }
  }
}

void HDel(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupHash(ctx, &meta)) return;
  int64_t deleted = 0;
  if (meta.type != Type::kNone) {
    for (size_t i = 2; i < ctx.argv.size(); ++i) {
      std::string value;
      bool found = false;
      if (Status s = FindSub(ctx.ks, ctx.db, ctx.argv[1], meta, ctx.argv[i], &value, &found);
          !s.ok()) {
        ctx.Fail(s);
        return;
      }
      if (!found) continue;
      ctx.ks.DeleteSub(ctx.db, ctx.argv[1], meta, ctx.argv[i]);
      ++deleted;
      if (--meta.size == 0) break;
    }
  }
  if (deleted == 0) {
    ctx.NoJournal();
  } else if (meta.size == 0) {
    ctx.ks.DeleteKey(ctx.db, ctx.argv[1]);
  } else {
    ctx.ks.PutMeta(ctx.db, ctx.argv[1], meta, /*created=*/false);
  }
  ctx.out.Integer(deleted);
}

void HExists(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupHash(ctx, &meta)) return;
  std::string value;
  bool found = false;
  if (Status s = FindSub(ctx.ks, ctx.db, ctx.argv[1], meta, ctx.argv[2], &value, &found); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ctx.out.Integer(found ? 1 : 0);
}

void HLen(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupHash(ctx, &meta)) return;
  ctx.out.Integer(static_cast<int64_t>(meta.size));
}

void HStrLen(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupHash(ctx, &meta)) return;
  std::string value;
  bool found = false;
  if (Status s = FindSub(ctx.ks, ctx.db, ctx.argv[1], meta, ctx.argv[2], &value, &found); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ctx.out.Integer(static_cast<int64_t>(value.size()));
}

// HGETALL (fields and values, a map in RESP3), HKEYS, HVALS.
void ReplyAll(CommandContext& ctx, bool fields, bool values) {
  MetaValue meta;
  if (!LookupHash(ctx, &meta)) return;
  std::vector<SubEntry> entries;
  if (meta.type != Type::kNone) {
    if (Status s = ReadAllSubs(ctx.ks, ctx.db, ctx.argv[1], meta, &entries); !s.ok()) {
      ctx.Fail(s);
      return;
    }
  }
  if (fields && values) {
    ctx.out.MapHeader(entries.size());
  } else {
    ctx.out.ArrayHeader(entries.size());
  }
  for (const SubEntry& entry : entries) {
    if (fields) ctx.out.Bulk(entry.field);
    if (values) ctx.out.Bulk(entry.value);
  }
}

void HGetAll(CommandContext& ctx) { ReplyAll(ctx, true, true); }
void HKeys(CommandContext& ctx) { ReplyAll(ctx, true, false); }
void HVals(CommandContext& ctx) { ReplyAll(ctx, false, true); }

void HIncrBy(CommandContext& ctx) {
  int64_t incr = 0;
  if (!ParseInt64(ctx.argv[3], &incr)) {
    ctx.NotInteger();
    return;
  }
  MetaValue meta;
  if (!LookupHash(ctx, &meta)) return;
  std::string old;
  bool found = false;
  if (Status s = FindSub(ctx.ks, ctx.db, ctx.argv[1], meta, ctx.argv[2], &old, &found); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  int64_t value = 0;
  if (found && !ParseInt64(old, &value)) {
    ctx.out.Error("ERR hash value is not an integer");
    return;
  }
  if ((incr < 0 && value < 0 && incr < std::numeric_limits<int64_t>::min() - value) ||
      (incr > 0 && value > 0 && incr > std::numeric_limits<int64_t>::max() - value)) {
    ctx.out.Error("ERR increment or decrement would overflow");
    return;
  }
  value += incr;
  const bool created = meta.type == Type::kNone;
  if (created) meta = NewCollection(ctx, Type::kHash);
  if (!found) ++meta.size;
  ctx.ks.PutSub(ctx.db, ctx.argv[1], meta, ctx.argv[2], std::to_string(value));
  if (!found) ctx.ks.PutMeta(ctx.db, ctx.argv[1], meta, created);
  ctx.out.Integer(value);
}

// Journaled as its argv: replay adds the same increment, as INCRBYFLOAT does.
void HIncrByFloat(CommandContext& ctx) {
  long double incr = 0;
  if (!ParseLongDouble(ctx.argv[3], &incr)) {
    ctx.NotFloat();
    return;
  }
  if (std::isnan(incr) || std::isinf(incr)) {
    ctx.out.Error("ERR value is NaN or Infinity");
    return;
  }
  MetaValue meta;
  if (!LookupHash(ctx, &meta)) return;
  std::string old;
  bool found = false;
  if (Status s = FindSub(ctx.ks, ctx.db, ctx.argv[1], meta, ctx.argv[2], &old, &found); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  long double value = 0;
  if (found && !ParseLongDouble(old, &value)) {
    ctx.out.Error("ERR hash value is not a float");
    return;
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.out.Error("ERR increment would produce NaN or Infinity");
    return;
  }
  const std::string text = FormatLongDouble(value);
  const bool created = meta.type == Type::kNone;
  if (created) meta = NewCollection(ctx, Type::kHash);
  if (!found) ++meta.size;
  ctx.ks.PutSub(ctx.db, ctx.argv[1], meta, ctx.argv[2], text);
  if (!found) ctx.ks.PutMeta(ctx.db, ctx.argv[1], meta, created);
  ctx.out.Bulk(text);
}

bool IsCompactEntry(const SubEntry& entry) {
  return entry.field.size() <= kCompactBytes && entry.value.size() <= kCompactBytes;
}

void HScan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseScanCursor(ctx.argv[2], &cursor)) {
    ctx.out.Error("ERR invalid cursor");
    return;
  }
  MetaValue meta;
  if (!LookupHash(ctx, &meta)) return;
  if (meta.type == Type::kNone) {
    ReplyEmptyScan(ctx);
    return;
  }
  ScanOptions options;
  if (!ParseScanOptions(ctx, 3, &options)) return;
  ScanPage page;
  if (Status s = ScanSubs(ctx, ctx.argv[1], meta, cursor, options, kCompactEntries, &IsCompactEntry,
                          &page);
      !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ctx.out.ArrayHeader(2);
  ctx.out.Bulk(std::to_string(page.next_cursor));
  ctx.out.ArrayHeader(page.entries.size() * 2);
  for (const SubEntry& entry : page.entries) {
    ctx.out.Bulk(entry.field);
    ctx.out.Bulk(entry.value);
  }
}

// HRANDFIELD key [count [WITHVALUES]]
void HRandField(CommandContext& ctx) {
  if (ctx.argv.size() == 2) {
    MetaValue meta;
    if (!LookupHash(ctx, &meta)) return;
    std::vector<SubEntry> picked;
    if (meta.type != Type::kNone) {
      if (Status s = RandomSubs(ctx.ks, ctx.db, ctx.argv[1], meta, 1, &picked); !s.ok()) {
        ctx.Fail(s);
        return;
      }
    }
    if (picked.empty()) {
      ctx.out.Null();
    } else {
      ctx.out.Bulk(picked.front().field);
    }
    return;
  }
  int64_t count = 0;
  if (!ParseInt64(ctx.argv[2], &count)) {
    ctx.NotInteger();
    return;
  }
  if (count == std::numeric_limits<int64_t>::min()) {
    ctx.out.Error(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
    return;
  }
  if (ctx.argv.size() > 4 || (ctx.argv.size() == 4 && !IsOption(ctx.argv[3], "withvalues"))) {
    ctx.SyntaxError();
    return;
  }
  const bool with_values = ctx.argv.size() == 4;
  constexpr int64_t kHalf = std::numeric_limits<int64_t>::max() / 2;
  if (with_values && (count < -kHalf || count > kHalf)) {
    ctx.out.Error("ERR value is out of range");
    return;
  }
  MetaValue meta;
  if (!LookupHash(ctx, &meta)) return;
  std::vector<SubEntry> picked;
  if (meta.type != Type::kNone && count != 0) {
    if (Status s = RandomSubs(ctx.ks, ctx.db, ctx.argv[1], meta, count, &picked); !s.ok()) {
      ctx.Fail(s);
      return;
    }
  }
  const bool pairs = with_values && ctx.out.protocol() >= 3;
  ctx.out.ArrayHeader(with_values && !pairs ? picked.size() * 2 : picked.size());
  for (const SubEntry& entry : picked) {
    if (pairs) ctx.out.ArrayHeader(2);
    ctx.out.Bulk(entry.field);
    if (with_values) ctx.out.Bulk(entry.value);
  }
}

}  // namespace

std::span<const LocalCommandDef> HashCommands() {
  static const LocalCommandDef kRows[] = {
      {"hset", &HSet},       {"hsetnx", &HSetNx},
      {"hget", &HGet},       {"hmget", &HMGet},
      {"hmset", &HMSet},     {"hdel", &HDel},
      {"hexists", &HExists}, {"hlen", &HLen},
      {"hstrlen", &HStrLen}, {"hgetall", &HGetAll},
      {"hkeys", &HKeys},     {"hvals", &HVals},
      {"hincrby", &HIncrBy}, {"hincrbyfloat", &HIncrByFloat},
      {"hscan", &HScan},     {"hrandfield", &HRandField},
  };
  return kRows;
}

}  // namespace respite::storage
