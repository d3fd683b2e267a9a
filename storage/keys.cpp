// The generic key family: DEL, EXISTS, TYPE, the EXPIRE/TTL commands, RENAME, COPY, KEYS, SCAN,
// RANDOMKEY, DBSIZE, TOUCH, MOVE, SWAPDB and FLUSHDB/FLUSHALL. Works on any type through MetaValue;
// copying a collection (RENAME, COPY) copies its subkeys into a fresh incarnation.
//
// SCAN cursors are opaque (Redis' are hash-table positions, which a RocksDB keyspace has no
// equivalent of): replies list keys in byte order, so tests compare SCAN results as sets. A cursor
// is [first 5 bytes of the next key][24-bit tag]; the tag finds the exact next key in a bounded
// in-memory table, and a cursor the table no longer knows (evicted, or from before a restart)
// resumes at the key prefix it carries: keys may repeat then, but a key present for the whole
// scan is never skipped, as Redis guarantees.

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "resp/ascii.h"
#include "storage/command_context.h"
#include "storage/glob.h"
#include "storage/keyspace.h"
#include "storage/numbers.h"
#include "storage/subkeys.h"

namespace respite::storage {
namespace {

// Subkeys copied per iterator pass (the iterator is closed before the batch is written to).
constexpr size_t kCopyChunk = 1024;
// SCAN cursors remembered; the oldest are forgotten first.
constexpr size_t kCursorCapacity = 4096;
// Key bytes a SCAN cursor carries (the rest of the u64 is the tag).
constexpr int kCursorKeyBytes = 5;
// RANDOMKEY gives up (nil) after this many expired picks in a row.
constexpr int kRandomTries = 100;
// Steps walked forward after a random seek, so keys after small gaps can be picked too.
constexpr uint64_t kRandomWalk = 16;

using resp::EqualsIgnoreCase;

bool Lookup(CommandContext& ctx, int db, std::string_view key, MetaValue* meta) {
  if (Status s = ctx.ks.Lookup(db, key, meta); !s.ok()) {
    ctx.Fail(s);
    return false;
  }
  return true;
}

std::mt19937_64& Rng() {
  static std::mt19937_64 rng(std::random_device{}());
  return rng;
}

uint64_t Uniform(uint64_t lo, uint64_t hi) {
  return std::uniform_int_distribution<uint64_t>(lo, hi)(Rng());
}

// Up to 8 bytes of `s` from `pos` as a big-endian integer, zero padded.
uint64_t BytesAt(std::string_view s, size_t pos, int n = 8) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) {
    const size_t at = pos + static_cast<size_t>(i);
    v = (v << 8) | (at < s.size() ? static_cast<unsigned char>(s[at]) : 0u);
  }
  return v;
}

// Reads a db index argument as Redis' getIntFromObjectOrReply does: `error` when it is not an
// int (empty: Redis' generic texts); out of range says so. False when it replied.
bool ParseDbIndex(CommandContext& ctx, std::string_view arg, std::string_view error, int* db,
                  bool check_range = true) {
  int64_t v = 0;
  if (!ParseInt64(arg, &v)) {
    if (error.empty()) {
      ctx.NotInteger();
    } else {
      ctx.out.Error(error);
    }
    return false;
  }
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    ctx.out.Error(error.empty()
                      ? "ERR value is out of range, value must between -2147483648 and 2147483647"
                      : error);
    return false;
  }
  if (check_range && (v < 0 || v >= kDatabases)) {
    ctx.out.Error("ERR DB index is out of range");
    return false;
  }
  *db = static_cast<int>(v);
  return true;
}

// ---- copying values (RENAME, COPY) ----

// Copies the subkeys (and for sorted sets the score index) of src's incarnation `from` to dst's
// incarnation `to`, in chunks so no iterator stays open while the batch grows.
Status CopySubkeys(Keyspace& ks, int src_db, std::string_view src, const MetaValue& from,
                   int dst_db, std::string_view dst, const MetaValue& to, bool scores) {
  std::string resume;  // the last field copied; the next pass starts after it
  bool started = false;
  for (;;) {
    std::vector<std::pair<std::string, std::string>> chunk;
    {
      auto it = scores ? ks.IterateScores(src_db, src, from) : ks.IterateSubs(src_db, src, from);
      if (started) {
        it->Seek(resume);
        if (it->Valid() && it->key() == resume) it->Next();
      } else {
        it->SeekToFirst();
      }
      for (; it->Valid() && chunk.size() < kCopyChunk; it->Next()) {
        chunk.emplace_back(std::string(it->key()), std::string(it->value()));
      }
      if (Status s = it->status(); !s.ok()) return s;
    }
    if (chunk.empty()) return Status::Ok();
    for (const auto& [sub_key, value] : chunk) {
      if (scores) {
        double score = 0;
        std::string_view member;
        Keyspace::SplitScoreKey(sub_key, value, src, &score, &member);
        ks.PutScore(dst_db, dst, to, score, member);
      } else {
        ks.PutSub(dst_db, dst, to, Keyspace::SubField(sub_key, src), value);
      }
    }
    resume = std::move(chunk.back().first);
    started = true;
    if (chunk.size() < kCopyChunk) return Status::Ok();
  }
}

// Writes a copy of the value `meta` of src (any type, expiry kept) as dst in dst_db. `dst_exists`:
// dst is live now (it is replaced).
Status CopyValue(Keyspace& ks, int src_db, std::string_view src, const MetaValue& meta, int dst_db,
                 std::string_view dst, bool dst_exists) {
  MetaValue copy = meta;
  if (meta.type != Type::kString) {
    copy.version = ks.NewVersion();
    if (Status s = CopySubkeys(ks, src_db, src, meta, dst_db, dst, copy, false); !s.ok()) {
      return s;
    }
    if (meta.type == Type::kZSet) {
      if (Status s = CopySubkeys(ks, src_db, src, meta, dst_db, dst, copy, true); !s.ok()) {
        return s;
      }
    }
  }
  ks.PutMeta(dst_db, dst, copy, /*created=*/!dst_exists);
  return Status::Ok();
}

// ---- DEL, EXISTS, TYPE, TOUCH ----

// DEL and UNLINK: the number of keys removed (a repeated key counts once).
void Del(CommandContext& ctx) {
  int64_t removed = 0;
  for (size_t i = 1; i < ctx.argv.size(); ++i) {
    MetaValue meta;
    if (!Lookup(ctx, ctx.db, ctx.argv[i], &meta)) return;
    if (meta.type == Type::kNone) continue;
    ctx.ks.DeleteKey(ctx.db, ctx.argv[i]);
    ++removed;
  }
  if (removed == 0) ctx.NoJournal();
  ctx.out.Integer(removed);
}

// EXISTS and TOUCH: the number of arguments that name a live key (repeats count again).
void Exists(CommandContext& ctx) {
  int64_t found = 0;
  for (size_t i = 1; i < ctx.argv.size(); ++i) {
    MetaValue meta;
    if (!Lookup(ctx, ctx.db, ctx.argv[i], &meta)) return;
    if (meta.type != Type::kNone) ++found;
  }
  ctx.out.Integer(found);
}

void TypeCommand(CommandContext& ctx) {
  MetaValue meta;
  if (!Lookup(ctx, ctx.db, ctx.argv[1], &meta)) return;
  ctx.out.SimpleString(TypeName(meta.type));
}

// ---- EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT ----

enum class Unit { kSeconds, kMillis };

// EXPIRE key n [NX | XX | GT | LT] and friends. Journaled as PEXPIREAT key <absolute ms> (or DEL
// when the time is already past) once the condition held; nothing when the reply is 0.
void ExpireGeneric(CommandContext& ctx, Unit unit, bool relative, std::string_view command) {
  const std::string_view key = ctx.argv[1];
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t i = 3; i < ctx.argv.size(); ++i) {
    const std::string_view opt = ctx.argv[i];
    if (EqualsIgnoreCase(opt, "nx")) {
      nx = true;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      xx = true;
    } else if (EqualsIgnoreCase(opt, "gt")) {
      gt = true;
    } else if (EqualsIgnoreCase(opt, "lt")) {
      lt = true;
    } else {
      ctx.out.Error("ERR Unsupported option " + std::string(opt));
      return;
    }
  }
  if (nx && (xx || gt || lt)) {
    ctx.out.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return;
  }
  if (gt && lt) {
    ctx.out.Error("ERR GT and LT options at the same time are not compatible");
    return;
  }
  int64_t when = 0;
  if (!ParseInt64(ctx.argv[2], &when)) {
    ctx.NotInteger();
    return;
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  const int64_t now = ctx.ks.NowMs();
  bool invalid = false;
  if (unit == Unit::kSeconds) {
    invalid = when > kMax / 1000 || when < kMin / 1000;
    if (!invalid) when *= 1000;
  }
  if (!invalid && relative) {
    invalid = when > kMax - now;
    if (!invalid) when += now;
  }
  if (invalid) {
    ctx.out.Error("ERR invalid expire time in '" + std::string(command) + "' command");
    return;
  }

  MetaValue meta;
  if (!Lookup(ctx, ctx.db, key, &meta)) return;
  const bool has_ttl = meta.expire_ms != 0;
  bool skip = meta.type == Type::kNone;
  // A key without a TTL counts as an infinite one for GT and LT.
  if (nx && has_ttl) skip = true;
  if (xx && !has_ttl) skip = true;
  if (gt && (!has_ttl || when <= meta.expire_ms)) skip = true;
  if (lt && has_ttl && when >= meta.expire_ms) skip = true;
  if (skip) {
    ctx.NoJournal();
    ctx.out.Integer(0);
    return;
  }
  if (when <= now) {
    ctx.ks.DeleteKey(ctx.db, key);
    ctx.JournalAs({"DEL", std::string(key)});
  } else {
    meta.expire_ms = when;
    ctx.ks.PutMeta(ctx.db, key, meta, /*created=*/false);
    ctx.JournalAs({"PEXPIREAT", std::string(key), std::to_string(when)});
  }
  ctx.out.Integer(1);
}

void Expire(CommandContext& ctx) { ExpireGeneric(ctx, Unit::kSeconds, true, "expire"); }
void PExpire(CommandContext& ctx) { ExpireGeneric(ctx, Unit::kMillis, true, "pexpire"); }
void ExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, Unit::kSeconds, false, "expireat"); }
void PExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, Unit::kMillis, false, "pexpireat"); }

// ---- TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST ----

enum class TtlKind { kTtl, kPTtl, kExpireTime, kPExpireTime };

// -2 for a missing key, -1 without a TTL; seconds are rounded half up, as Redis does.
void TtlGeneric(CommandContext& ctx, TtlKind kind) {
  MetaValue meta;
  if (!Lookup(ctx, ctx.db, ctx.argv[1], &meta)) return;
  if (meta.type == Type::kNone) {
    ctx.out.Integer(-2);
    return;
  }
  if (meta.expire_ms == 0) {
    ctx.out.Integer(-1);
    return;
  }
  const int64_t left = std::max<int64_t>(meta.expire_ms - ctx.ks.NowMs(), 0);
  switch (kind) {
    case TtlKind::kTtl:
      ctx.out.Integer((left + 500) / 1000);
      break;
    case TtlKind::kPTtl:
      ctx.out.Integer(left);
      break;
    case TtlKind::kExpireTime:
      // Unsigned, so times near the int64 limit round up instead of overflowing.
      ctx.out.Integer(static_cast<int64_t>((static_cast<uint64_t>(meta.expire_ms) + 500) / 1000));
      break;
    case TtlKind::kPExpireTime:
      ctx.out.Integer(meta.expire_ms);
      break;
  }
}

void Ttl(CommandContext& ctx) { TtlGeneric(ctx, TtlKind::kTtl); }
void PTtl(CommandContext& ctx) { TtlGeneric(ctx, TtlKind::kPTtl); }
void ExpireTime(CommandContext& ctx) { TtlGeneric(ctx, TtlKind::kExpireTime); }
void PExpireTime(CommandContext& ctx) { TtlGeneric(ctx, TtlKind::kPExpireTime); }

void Persist(CommandContext& ctx) {
  MetaValue meta;
  if (!Lookup(ctx, ctx.db, ctx.argv[1], &meta)) return;
  if (meta.type == Type::kNone || meta.expire_ms == 0) {
    ctx.NoJournal();
    ctx.out.Integer(0);
    return;
  }
  meta.expire_ms = 0;
  ctx.ks.PutMeta(ctx.db, ctx.argv[1], meta, /*created=*/false);
  ctx.out.Integer(1);
}

// ---- RENAME, RENAMENX, COPY ----

// RENAME src dst (nx = false) / RENAMENX src dst. The value keeps its TTL.
void RenameGeneric(CommandContext& ctx, bool nx) {
  const std::string_view src = ctx.argv[1];
  const std::string_view dst = ctx.argv[2];
  MetaValue meta;
  if (!Lookup(ctx, ctx.db, src, &meta)) return;
  if (meta.type == Type::kNone) {
    ctx.out.Error("ERR no such key");
    return;
  }
  auto reply = [&](bool renamed) {
    if (nx) {
      ctx.out.Integer(renamed ? 1 : 0);
    } else {
      ctx.out.Ok();
    }
  };
  if (src == dst) {
    ctx.NoJournal();
    reply(false);
    return;
  }
  MetaValue target;
  if (!Lookup(ctx, ctx.db, dst, &target)) return;
  const bool dst_exists = target.type != Type::kNone;
  if (nx && dst_exists) {
    ctx.NoJournal();
    reply(false);
    return;
  }
  if (Status s = CopyValue(ctx.ks, ctx.db, src, meta, ctx.db, dst, dst_exists); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ctx.ks.DeleteKey(ctx.db, src);
  reply(true);
}

void Rename(CommandContext& ctx) { RenameGeneric(ctx, false); }
void RenameNx(CommandContext& ctx) { RenameGeneric(ctx, true); }

// COPY source destination [DB destination-db] [REPLACE]
void Copy(CommandContext& ctx) {
  const std::string_view src = ctx.argv[1];
  const std::string_view dst = ctx.argv[2];
  int dst_db = ctx.db;
  bool replace = false;
  for (size_t i = 3; i < ctx.argv.size(); ++i) {
    if (EqualsIgnoreCase(ctx.argv[i], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(ctx.argv[i], "db") && i + 1 < ctx.argv.size()) {
      if (!ParseDbIndex(ctx, ctx.argv[++i], {}, &dst_db)) return;
    } else {
      ctx.SyntaxError();
      return;
    }
  }
  if (dst_db == ctx.db && src == dst) {
    ctx.out.Error("ERR source and destination objects are the same");
    return;
  }
  MetaValue meta;
  if (!Lookup(ctx, ctx.db, src, &meta)) return;
  MetaValue target;
  if (meta.type != Type::kNone && !Lookup(ctx, dst_db, dst, &target)) return;
  const bool dst_exists = target.type != Type::kNone;
  if (meta.type == Type::kNone || (dst_exists && !replace)) {
    ctx.NoJournal();
    ctx.out.Integer(0);
    return;
  }
  if (Status s = CopyValue(ctx.ks, ctx.db, src, meta, dst_db, dst, dst_exists); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ctx.out.Integer(1);
}

// MOVE key db: 1 when moved (TTL kept), 0 when the key is missing or the target db has it.
void Move(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  int dst_db = 0;
  if (!ParseDbIndex(ctx, ctx.argv[2], {}, &dst_db)) return;
  if (dst_db == ctx.db) {
    ctx.out.Error("ERR source and destination objects are the same");
    return;
  }
  MetaValue meta;
  if (!Lookup(ctx, ctx.db, key, &meta)) return;
  MetaValue target;
  if (meta.type != Type::kNone && !Lookup(ctx, dst_db, key, &target)) return;
  if (meta.type == Type::kNone || target.type != Type::kNone) {
    ctx.NoJournal();
    ctx.out.Integer(0);
    return;
  }
  if (Status s = CopyValue(ctx.ks, ctx.db, key, meta, dst_db, key, false); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ctx.ks.DeleteKey(ctx.db, key);
  ctx.out.Integer(1);
}

// ---- KEYS, SCAN, RANDOMKEY ----

void Keys(CommandContext& ctx) {
  const std::string_view pattern = ctx.argv[1];
  const bool all = GlobMatchesAll(pattern);
  std::vector<std::string> keys;
  auto it = ctx.ks.IterateKeys(ctx.db);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key = it->key().substr(1);
    if (!all && !GlobMatch(pattern, key)) continue;
    MetaValue meta;
    if (!MetaValue::Decode(it->value(), &meta) || ctx.ks.IsExpired(meta)) continue;
    keys.emplace_back(key);
  }
  if (Status s = it->status(); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ctx.out.ArrayHeader(keys.size());
  for (const std::string& key : keys) ctx.out.Bulk(key);
}

// The SCAN positions handed out as cursors (see the file comment). Store executor only.
class KeyCursors {
 public:
  // A cursor that resumes at `next` (a user key).
  uint64_t Issue(std::string_view next) {
    if (++tag_ >= (1u << 24)) tag_ = 1;  // never 0, so no cursor is 0
    const uint64_t cursor = (BytesAt(next, 0, kCursorKeyBytes) << 24) | tag_;
    if (entries_.size() >= kCursorCapacity && !order_.empty()) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
    if (entries_.insert_or_assign(cursor, std::string(next)).second) order_.push_back(cursor);
    return cursor;
  }

  // The user key a scan from `cursor` starts at (inclusive).
  std::string Resume(uint64_t cursor) const {
    if (auto it = entries_.find(cursor); it != entries_.end()) return it->second;
    // Unknown: the key prefix the cursor carries, trailing zero bytes dropped, so every key at or
    // after the remembered one is still ahead.
    std::string from;
    for (int i = kCursorKeyBytes - 1; i >= 0; --i) {
      from.push_back(static_cast<char>((cursor >> (24 + i * 8)) & 0xff));
    }
    while (!from.empty() && from.back() == '\0') from.pop_back();
    return from;
  }

 private:
  uint32_t tag_ = 0;
  std::unordered_map<uint64_t, std::string> entries_;
  std::deque<uint64_t> order_;
};

KeyCursors& Cursors() {
  static KeyCursors cursors;
  return cursors;
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. COUNT bounds the keys visited per call.
void Scan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseScanCursor(ctx.argv[1], &cursor)) {
    ctx.out.Error("ERR invalid cursor");
    return;
  }
  std::string_view pattern;
  bool use_pattern = false;
  std::string_view type_filter;
  bool use_type = false;
  int64_t count = 10;
  for (size_t i = 2; i < ctx.argv.size(); i += 2) {
    const std::string_view opt = ctx.argv[i];
    const bool has_value = i + 1 < ctx.argv.size();
    if (has_value && EqualsIgnoreCase(opt, "count")) {
      if (!ParseInt64(ctx.argv[i + 1], &count)) {
        ctx.NotInteger();
        return;
      }
      if (count < 1) {
        ctx.SyntaxError();
        return;
      }
    } else if (has_value && EqualsIgnoreCase(opt, "match")) {
      pattern = ctx.argv[i + 1];
      use_pattern = !GlobMatchesAll(pattern);
    } else if (has_value && EqualsIgnoreCase(opt, "type")) {
      type_filter = ctx.argv[i + 1];
      use_type = true;
    } else {
      ctx.SyntaxError();
      return;
    }
  }

  std::vector<std::string> keys;
  uint64_t next_cursor = 0;
  auto it = ctx.ks.IterateKeys(ctx.db);
  if (cursor == 0) {
    it->SeekToFirst();
  } else {
    it->Seek(MetaKey(ctx.db, Cursors().Resume(cursor)));
  }
  for (int64_t visited = 0; it->Valid(); it->Next(), ++visited) {
    const std::string_view key = it->key().substr(1);
    if (visited == count) {
      next_cursor = Cursors().Issue(key);
      break;
    }
    MetaValue meta;
    if (!MetaValue::Decode(it->value(), &meta) || ctx.ks.IsExpired(meta)) continue;
    if (use_pattern && !GlobMatch(pattern, key)) continue;
    if (use_type && !EqualsIgnoreCase(type_filter, TypeName(meta.type))) continue;
    keys.emplace_back(key);
  }
  if (Status s = it->status(); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ctx.out.ArrayHeader(2);
  ctx.out.Bulk(std::to_string(next_cursor));
  ctx.out.ArrayHeader(keys.size());
  for (const std::string& key : keys) ctx.out.Bulk(key);
}

// A live key picked at random: a seek to a random point between the db's first and last keys
// (past their common prefix, so keys sharing a long prefix still spread), then a short random
// walk. Not exactly uniform, like Redis' own pick from a random bucket.
void RandomKey(CommandContext& ctx) {
  auto it = ctx.ks.IterateKeys(ctx.db);
  it->SeekToFirst();
  if (!it->Valid()) {
    if (Status s = it->status(); !s.ok()) {
      ctx.Fail(s);
      return;
    }
    ctx.out.Null();
    return;
  }
  const std::string first(it->key());
  it->SeekToLast();
  const std::string last(it->key());
  size_t common = 0;
  while (common < first.size() && common < last.size() && first[common] == last[common]) {
    ++common;
  }
  const uint64_t lo = BytesAt(first, common);
  const uint64_t hi = BytesAt(last, common);
  for (int attempt = 0; attempt < kRandomTries; ++attempt) {
    std::string target = first.substr(0, common);
    const uint64_t point = Uniform(lo, hi);
    for (int i = 7; i >= 0; --i) target.push_back(static_cast<char>((point >> (i * 8)) & 0xff));
    it->Seek(target);
    if (!it->Valid()) it->SeekToFirst();
    for (uint64_t steps = Uniform(0, kRandomWalk - 1); steps > 0; --steps) {
      it->Next();
      if (!it->Valid()) it->SeekToFirst();
    }
    if (!it->Valid()) break;
    MetaValue meta;
    if (MetaValue::Decode(it->value(), &meta) && !ctx.ks.IsExpired(meta)) {
      ctx.out.Bulk(it->key().substr(1));
      return;
    }
  }
  if (Status s = it->status(); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ctx.out.Null();  // only expired keys found
}

// ---- DBSIZE, FLUSHDB, FLUSHALL ----

void DbSize(CommandContext& ctx) { ctx.out.Integer(static_cast<int64_t>(ctx.ks.KeyCount(ctx.db))); }

// FLUSHDB [ASYNC | SYNC] / FLUSHALL [ASYNC | SYNC]: both modes flush at once.
void FlushGeneric(CommandContext& ctx, int db) {
  if (ctx.argv.size() > 2 || (ctx.argv.size() == 2 && !EqualsIgnoreCase(ctx.argv[1], "async") &&
                              !EqualsIgnoreCase(ctx.argv[1], "sync"))) {
    ctx.SyntaxError();
    return;
  }
  if (Status s = ctx.ks.Flush(db); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ctx.out.Ok();
}

void FlushDb(CommandContext& ctx) { FlushGeneric(ctx, ctx.db); }
void FlushAll(CommandContext& ctx) { FlushGeneric(ctx, -1); }

// SWAPDB index1 index2 (the store touches watched keys and wakes blocked clients after it).
void SwapDb(CommandContext& ctx) {
  int a = 0;
  int b = 0;
  // Redis reads both indexes before it checks their range.
  if (!ParseDbIndex(ctx, ctx.argv[1], "ERR invalid first DB index", &a, false) ||
      !ParseDbIndex(ctx, ctx.argv[2], "ERR invalid second DB index", &b, false)) {
    return;
  }
  if (a < 0 || a >= kDatabases || b < 0 || b >= kDatabases) {
    ctx.out.Error("ERR DB index is out of range");
    return;
  }
  if (Status s = ctx.ks.SwapDbs(a, b); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  // Redis propagates it even when both indexes are the same.
  ctx.JournalAs({std::string(ctx.argv[0]), std::string(ctx.argv[1]), std::string(ctx.argv[2])});
  ctx.out.Ok();
}

}  // namespace

std::span<const LocalCommandDef> KeyCommands() {
  static const LocalCommandDef kRows[] = {
      {"copy", &Copy},
      {"dbsize", &DbSize},
      {"del", &Del},
      {"exists", &Exists},
      {"expire", &Expire},
      {"expireat", &ExpireAt},
      {"expiretime", &ExpireTime},
      {"flushall", &FlushAll},
      {"flushdb", &FlushDb},
      {"keys", &Keys},
      {"move", &Move},
      {"persist", &Persist},
      {"pexpire", &PExpire},
      {"pexpireat", &PExpireAt},
      {"pexpiretime", &PExpireTime},
      {"pttl", &PTtl},
      {"randomkey", &RandomKey},
      {"rename", &Rename},
      {"renamenx", &RenameNx},
      {"scan", &Scan},
      {"swapdb", &SwapDb},
      {"touch", &Exists},
      {"ttl", &Ttl},
      {"type", &TypeCommand},
      {"unlink", &Del},
  };
  return kRows;
}

}  // namespace respite::storage
