// The string family. A string's value lives inline in its MetaValue (type kString, version 0,
// no subkeys); integers are kept as their decimal text, as Redis shows them.

#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resp/ascii.h"
#include "storage/command_context.h"
#include "storage/keyspace.h"
#include "storage/numbers.h"

namespace respite::storage {
namespace {

// Redis' proto-max-bulk-len default: no string may grow beyond it.
constexpr uint64_t kMaxStringBytes = 512ull << 20;

using resp::EqualsIgnoreCase;

// Looks `key` up for a string command: true with *meta (type kNone when missing); false after
// replying WRONGTYPE or a storage failure.
bool LookupString(CommandContext& ctx, std::string_view key, MetaValue* meta) {
  if (Status s = ctx.ks.Lookup(ctx.db, key, meta); !s.ok()) {
    ctx.Fail(s);
    return false;
  }
  if (meta->type != Type::kNone && meta->type != Type::kString) {
    ctx.WrongType();
    return false;
  }
  return true;
}

// Looks `key` up whatever its type: true with *meta; false after replying a storage failure.
bool LookupAny(CommandContext& ctx, std::string_view key, MetaValue* meta) {
  if (Status s = ctx.ks.Lookup(ctx.db, key, meta); !s.ok()) {
    ctx.Fail(s);
    return false;
  }
  return true;
}

// Stores `value` as the string at `key`, replacing whatever was there (`existed`: the key was
// live before, for the key counts). expire_ms is absolute; 0 = none.
void PutString(CommandContext& ctx, std::string_view key, std::string_view value, int64_t expire_ms,
               bool existed) {
  MetaValue meta;
  meta.type = Type::kString;
  meta.expire_ms = expire_ms;
  meta.payload.assign(value);
  ctx.ks.PutMeta(ctx.db, key, meta, /*created=*/!existed);
}

// Redis' checkStringLength: would a string of `size` bytes plus `append` exceed the limit?
bool TooLong(CommandContext& ctx, uint64_t size, uint64_t append) {
  if (size > kMaxStringBytes || append > kMaxStringBytes || size + append > kMaxStringBytes) {
    ctx.out.Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    return true;
  }
  return false;
}

enum class Unit { kSeconds, kMillis };

// Redis' getExpireMillisecondsOrReply for SET/SETEX/PSETEX/GETEX: `arg` is a positive count of
// seconds or milliseconds, relative to now or absolute. Writes the absolute Unix ms, or replies
// the error and returns false. `command` names the command in the error text.
bool ParseExpire(CommandContext& ctx, std::string_view arg, Unit unit, bool relative,
                 std::string_view command, int64_t* at_ms) {
  int64_t v = 0;
  if (!ParseInt64(arg, &v)) {
    ctx.NotInteger();
    return false;
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  bool invalid = v <= 0 || (unit == Unit::kSeconds && v > kMax / 1000);
  if (!invalid) {
    if (unit == Unit::kSeconds) v *= 1000;
    const int64_t now = ctx.ks.NowMs();
    if (relative) {
      invalid = v > kMax - now;
      if (!invalid) v += now;
    }
  }
  if (invalid) {
    ctx.out.Error("ERR invalid expire time in '" + std::string(command) + "' command");
    return false;
  }
  *at_ms = v;
  return true;
}

// The options of SET (NX XX GET KEEPTTL EX PX EXAT PXAT) and GETEX (EX PX EXAT PXAT PERSIST),
// accepted in any order and repeated as Redis accepts them.
struct StringOptions {
  enum class Expire { kNone, kEx, kPx, kExAt, kPxAt };
  bool nx = false;
  bool xx = false;
  bool get = false;
  bool keep_ttl = false;
  bool persist = false;
  Expire expire = Expire::kNone;
  std::string_view expire_arg;
};

// Parses argv[first..]; replies "ERR syntax error" and returns false on a bad or conflicting
// option. `getex` selects GETEX's option set.
bool ParseStringOptions(CommandContext& ctx, size_t first, bool getex, StringOptions* o) {
  using Expire = StringOptions::Expire;
  const auto& argv = ctx.argv;
  for (size_t i = first; i < argv.size(); ++i) {
    const std::string_view opt = argv[i];
    const bool has_next = i + 1 < argv.size();
    auto expire_option = [&](Expire kind) {
      if (o->keep_ttl || o->persist || (o->expire != Expire::kNone && o->expire != kind) ||
          !has_next) {
        return false;
      }
      o->expire = kind;
      o->expire_arg = argv[++i];
      return true;
    };
    bool ok = false;
    if (EqualsIgnoreCase(opt, "nx")) {
      ok = !getex && !o->xx;
      o->nx = true;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      ok = !getex && !o->nx;
      o->xx = true;
    } else if (EqualsIgnoreCase(opt, "get")) {
      ok = !getex;
      o->get = true;
    } else if (EqualsIgnoreCase(opt, "keepttl")) {
      ok = !getex && !o->persist && o->expire == Expire::kNone;
      o->keep_ttl = true;
    } else if (EqualsIgnoreCase(opt, "persist")) {
      ok = getex && !o->keep_ttl && o->expire == Expire::kNone;
      o->persist = true;
    } else if (EqualsIgnoreCase(opt, "ex")) {
      ok = expire_option(Expire::kEx);
    } else if (EqualsIgnoreCase(opt, "px")) {
      ok = expire_option(Expire::kPx);
    } else if (EqualsIgnoreCase(opt, "exat")) {
      ok = expire_option(Expire::kExAt);
    } else if (EqualsIgnoreCase(opt, "pxat")) {
      ok = expire_option(Expire::kPxAt);
    }
    if (!ok) {
      ctx.SyntaxError();
      return false;
    }
  }
  return true;
}

// The absolute expiry the options ask for (false after replying an invalid value).
bool OptionsExpireAt(CommandContext& ctx, const StringOptions& o, std::string_view command,
                     int64_t* at_ms) {
  using Expire = StringOptions::Expire;
  const Unit unit =
      (o.expire == Expire::kEx || o.expire == Expire::kExAt) ? Unit::kSeconds : Unit::kMillis;
  const bool relative = o.expire == Expire::kEx || o.expire == Expire::kPx;
  return ParseExpire(ctx, o.expire_arg, unit, relative, command, at_ms);
}

void Get(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupString(ctx, ctx.argv[1], &meta)) return;
  if (meta.type == Type::kNone) {
    ctx.out.Null();
  } else {
    ctx.out.Bulk(meta.payload);
  }
}

// SET key value [NX | XX] [GET] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL]
void Set(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  const std::string_view value = ctx.argv[2];
  StringOptions o;
  if (!ParseStringOptions(ctx, 3, /*getex=*/false, &o)) return;
  int64_t at_ms = 0;
  const bool has_expire = o.expire != StringOptions::Expire::kNone;
  if (has_expire && !OptionsExpireAt(ctx, o, "set", &at_ms)) return;

  MetaValue old;
  if (o.get) {
    if (!LookupString(ctx, key, &old)) return;
  } else if (!LookupAny(ctx, key, &old)) {
    return;
  }
  const bool found = old.type != Type::kNone;
  auto reply_old = [&] {
    if (old.type == Type::kNone) {
      ctx.out.Null();
    } else {
      ctx.out.Bulk(old.payload);
    }
  };
  if ((o.nx && found) || (o.xx && !found)) {
    if (o.get) {
      reply_old();
    } else {
      ctx.out.Null();
    }
    ctx.NoJournal();
    return;
  }

  if (has_expire) {
    // A time already past is stored too: like Redis, the key counts in DBSIZE until an access or
    // the expiry cycle deletes it.
    ctx.JournalAs({"SET", key, value, "PXAT", std::to_string(at_ms)});
    PutString(ctx, key, value, at_ms, found);
  } else if (o.keep_ttl) {
    ctx.JournalAs({"SET", key, value, "KEEPTTL"});
    PutString(ctx, key, value, old.expire_ms, found);
  } else {
    ctx.JournalAs({"SET", key, value});
    PutString(ctx, key, value, 0, found);
  }
  if (o.get) {
    reply_old();
  } else {
    ctx.out.Ok();
  }
}

void SetNx(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupAny(ctx, ctx.argv[1], &meta)) return;
  if (meta.type != Type::kNone) {
    ctx.NoJournal();
    ctx.out.Integer(0);
    return;
  }
  PutString(ctx, ctx.argv[1], ctx.argv[2], 0, /*existed=*/false);
  ctx.out.Integer(1);
}

// SETEX key seconds value / PSETEX key milliseconds value.
void SetWithExpire(CommandContext& ctx, Unit unit, std::string_view command) {
  const std::string_view key = ctx.argv[1];
  int64_t at_ms = 0;
  if (!ParseExpire(ctx, ctx.argv[2], unit, /*relative=*/true, command, &at_ms)) return;
  MetaValue meta;
  if (!LookupAny(ctx, key, &meta)) return;
  PutString(ctx, key, ctx.argv[3], at_ms, meta.type != Type::kNone);
  ctx.JournalAs({"SET", std::string(key), std::string(ctx.argv[3]), "PXAT", std::to_string(at_ms)});
  ctx.out.Ok();
}

void SetEx(CommandContext& ctx) { SetWithExpire(ctx, Unit::kSeconds, "setex"); }
void PSetEx(CommandContext& ctx) { SetWithExpire(ctx, Unit::kMillis, "psetex"); }

void MGet(CommandContext& ctx) {
  // Everything is read before the reply starts, so a storage failure can still reply one error.
  std::vector<MetaValue> metas(ctx.argv.size() - 1);
  for (size_t i = 1; i < ctx.argv.size(); ++i) {
    if (!LookupAny(ctx, ctx.argv[i], &metas[i - 1])) return;
  }
  ctx.out.ArrayHeader(metas.size());
  for (const MetaValue& meta : metas) {
    if (meta.type == Type::kString) {
      ctx.out.Bulk(meta.payload);
    } else {
      ctx.out.Null();
    }
  }
}

// MSET / MSETNX: key value pairs, all written or (MSETNX with a live key) none.
void MultiSet(CommandContext& ctx, bool nx) {
  if (ctx.argv.size() % 2 == 0) {
    ctx.out.Error(nx ? "ERR wrong number of arguments for 'msetnx' command"
                     : "ERR wrong number of arguments for 'mset' command");
    return;
  }
  if (nx) {
    for (size_t i = 1; i < ctx.argv.size(); i += 2) {
      MetaValue meta;
      if (!LookupAny(ctx, ctx.argv[i], &meta)) return;
      if (meta.type != Type::kNone) {
        ctx.NoJournal();
        ctx.out.Integer(0);
        return;
      }
    }
  }
  for (size_t i = 1; i < ctx.argv.size(); i += 2) {
    MetaValue meta;  // a key repeated in argv finds its earlier pair's pending write
    if (!LookupAny(ctx, ctx.argv[i], &meta)) return;
    PutString(ctx, ctx.argv[i], ctx.argv[i + 1], 0, meta.type != Type::kNone);
  }
  if (nx) {
    ctx.out.Integer(1);
  } else {
    ctx.out.Ok();
  }
}

void MSet(CommandContext& ctx) { MultiSet(ctx, /*nx=*/false); }
void MSetNx(CommandContext& ctx) { MultiSet(ctx, /*nx=*/true); }

// INCR, DECR, INCRBY, DECRBY: add `delta` to the integer at argv[1] (missing = 0), keeping its TTL.
void IncrBy(CommandContext& ctx, int64_t delta) {
  const std::string_view key = ctx.argv[1];
  MetaValue meta;
  if (!LookupString(ctx, key, &meta)) return;
  int64_t value = 0;
  if (meta.type == Type::kString && !ParseInt64(meta.payload, &value)) {
    ctx.NotInteger();
    return;
  }
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if ((delta < 0 && value < 0 && delta < kMin - value) ||
      (delta > 0 && value > 0 && delta > kMax - value)) {
    ctx.out.Error("ERR increment or decrement would overflow");
    return;
  }
  value += delta;
  const std::string text = std::to_string(value);
  PutString(ctx, key, text, meta.expire_ms, meta.type != Type::kNone);
  ctx.JournalAs({"INCRBY", key, std::to_string(delta)});
  ctx.out.Integer(value);
}

void Incr(CommandContext& ctx) { IncrBy(ctx, 1); }
void Decr(CommandContext& ctx) { IncrBy(ctx, -1); }

void IncrByCommand(CommandContext& ctx) {
  int64_t delta = 0;
  if (!ParseInt64(ctx.argv[2], &delta)) {
    ctx.NotInteger();
    return;
  }
  IncrBy(ctx, delta);
}

void DecrBy(CommandContext& ctx) {
  int64_t delta = 0;
  if (!ParseInt64(ctx.argv[2], &delta)) {
    ctx.NotInteger();
    return;
  }
  if (delta == std::numeric_limits<int64_t>::min()) {
    ctx.out.Error("ERR decrement would overflow");
    return;
  }
  IncrBy(ctx, -delta);
}

// INCRBYFLOAT key increment: long double arithmetic, stored and replied in Redis' human format.
// Journaled as itself (an operation on whatever value upstream holds).
void IncrByFloat(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  MetaValue meta;
  if (!LookupString(ctx, key, &meta)) return;
  long double value = 0;
  long double incr = 0;
  if ((meta.type == Type::kString && !ParseLongDouble(meta.payload, &value)) ||
      !ParseLongDouble(ctx.argv[2], &incr)) {
    ctx.NotFloat();
    return;
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.out.Error("ERR increment would produce NaN or Infinity");
    return;
  }
  const std::string text = FormatLongDouble(value);
  PutString(ctx, key, text, meta.expire_ms, meta.type != Type::kNone);
  ctx.out.Bulk(text);
}

void Append(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  const std::string_view tail = ctx.argv[2];
  MetaValue meta;
  if (!LookupString(ctx, key, &meta)) return;
  if (meta.type == Type::kNone) {
    PutString(ctx, key, tail, 0, /*existed=*/false);
    ctx.out.Integer(static_cast<int64_t>(tail.size()));
    return;
  }
  if (TooLong(ctx, meta.payload.size(), tail.size())) return;
  meta.payload.append(tail);
  ctx.ks.PutMeta(ctx.db, key, meta, /*created=*/false);
  ctx.out.Integer(static_cast<int64_t>(meta.payload.size()));
}

void StrLen(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupString(ctx, ctx.argv[1], &meta)) return;
  ctx.out.Integer(static_cast<int64_t>(meta.payload.size()));
}

// GETRANGE key start end (inclusive, negative from the end, clamped as Redis clamps).
void GetRange(CommandContext& ctx) {
  int64_t start = 0;
  int64_t end = 0;
  if (!ParseInt64(ctx.argv[2], &start) || !ParseInt64(ctx.argv[3], &end)) {
    ctx.NotInteger();
    return;
  }
  MetaValue meta;
  if (!LookupString(ctx, ctx.argv[1], &meta)) return;
  const auto len = static_cast<int64_t>(meta.payload.size());
  if (meta.type == Type::kNone || len == 0 || (start < 0 && end < 0 && start > end)) {
    ctx.out.Bulk("");
    return;
  }
  if (start < 0) start = std::max<int64_t>(len + start, 0);
  if (end < 0) end = std::max<int64_t>(len + end, 0);
  if (end >= len) end = len - 1;
  if (start > end) {
    ctx.out.Bulk("");
    return;
  }
  ctx.out.Bulk(std::string_view(meta.payload)
                   .substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
}

// SETRANGE key offset value: overwrite from `offset`, zero-padding a shorter string.
void SetRange(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  const std::string_view value = ctx.argv[3];
  int64_t offset = 0;
  if (!ParseInt64(ctx.argv[2], &offset)) {
    ctx.NotInteger();
    return;
  }
  if (offset < 0) {
    ctx.out.Error("ERR offset is out of range");
    return;
  }
  MetaValue meta;
  if (!LookupString(ctx, key, &meta)) return;
  const bool existed = meta.type != Type::kNone;
  if (value.empty()) {
    // Nothing to write: not even a missing key is created.
    ctx.NoJournal();
    ctx.out.Integer(static_cast<int64_t>(meta.payload.size()));
    return;
  }
  if (TooLong(ctx, static_cast<uint64_t>(offset), value.size())) return;
  const auto at = static_cast<size_t>(offset);
  if (meta.payload.size() < at + value.size()) meta.payload.resize(at + value.size(), '\0');
  meta.payload.replace(at, value.size(), value);
  if (!existed) {
    meta.type = Type::kString;
    meta.expire_ms = 0;
  }
  ctx.ks.PutMeta(ctx.db, key, meta, /*created=*/!existed);
  ctx.out.Integer(static_cast<int64_t>(meta.payload.size()));
}

void GetSet(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  MetaValue meta;
  if (!LookupString(ctx, key, &meta)) return;
  const bool existed = meta.type != Type::kNone;
  PutString(ctx, key, ctx.argv[2], 0, existed);
  ctx.JournalAs({"SET", std::string(key), std::string(ctx.argv[2])});
  if (existed) {
    ctx.out.Bulk(meta.payload);
  } else {
    ctx.out.Null();
  }
}

void GetDel(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  MetaValue meta;
  if (!LookupString(ctx, key, &meta)) return;
  if (meta.type == Type::kNone) {
    ctx.NoJournal();
    ctx.out.Null();
    return;
  }
  ctx.ks.DeleteKey(ctx.db, key);
  ctx.JournalAs({"DEL", std::string(key)});
  ctx.out.Bulk(meta.payload);
}

// GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST]
void GetEx(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  StringOptions o;
  if (!ParseStringOptions(ctx, 2, /*getex=*/true, &o)) return;
  MetaValue meta;
  if (!LookupString(ctx, key, &meta)) return;
  if (meta.type == Type::kNone) {
    ctx.NoJournal();
    ctx.out.Null();
    return;
  }
  int64_t at_ms = 0;
  const bool has_expire = o.expire != StringOptions::Expire::kNone;
  if (has_expire && !OptionsExpireAt(ctx, o, "getex", &at_ms)) return;
  ctx.out.Bulk(meta.payload);
  if (has_expire) {
    if (at_ms <= ctx.ks.NowMs()) {
      ctx.ks.DeleteKey(ctx.db, key);
      ctx.JournalAs({"DEL", std::string(key)});
    } else {
      meta.expire_ms = at_ms;
      ctx.ks.PutMeta(ctx.db, key, meta, /*created=*/false);
      ctx.JournalAs({"PEXPIREAT", std::string(key), std::to_string(at_ms)});
    }
  } else if (o.persist && meta.expire_ms != 0) {
    meta.expire_ms = 0;
    ctx.ks.PutMeta(ctx.db, key, meta, /*created=*/false);
    ctx.JournalAs({"PERSIST", std::string(key)});
  } else {
    ctx.NoJournal();
  }
}

}  // namespace

std::span<const LocalCommandDef> StringCommands() {
  static const LocalCommandDef kRows[] = {
      {"append", &Append},
      {"decr", &Decr},
      {"decrby", &DecrBy},
      {"get", &Get},
      {"getdel", &GetDel},
      {"getex", &GetEx},
      {"getrange", &GetRange},
      {"getset", &GetSet},
      {"incr", &Incr},
      {"incrby", &IncrByCommand},
      {"incrbyfloat", &IncrByFloat},
      {"mget", &MGet},
      {"mset", &MSet},
      {"msetnx", &MSetNx},
      {"psetex", &PSetEx},
      {"set", &Set},
      {"setex", &SetEx},
      {"setnx", &SetNx},
      {"setrange", &SetRange},
      {"strlen", &StrLen},
  };
  return kRows;
}

}  // namespace respite::storage
