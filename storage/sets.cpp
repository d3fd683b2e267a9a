// The set family: members are subkeys (empty values) of the key's incarnation, meta.size counts
// them, and a set that loses its last member is deleted. Replies list members in byte order
// (Redis: intset order or table order; clients must not rely on either).

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <set>
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

// Redis keeps a set of at most this many integer members as an intset, and SSCAN returns such a
// set whole.
constexpr size_t kIntsetEntries = 512;

bool LookupSet(CommandContext& ctx, std::string_view key, MetaValue* meta) {
  return LookupOfType(ctx, key, Type::kSet, meta);
}

Status IsMember(CommandContext& ctx, std::string_view key, const MetaValue& meta,
                std::string_view member, bool* found) {
  std::string unused;
  return FindSub(ctx.ks, ctx.db, key, meta, member, &unused, found);
}

// Removes members known to be in the set; deletes the set when it becomes empty. Journals the
// removal as SREM (SPOP's replay).
void RemovePicked(CommandContext& ctx, MetaValue* meta, const std::vector<SubEntry>& picked) {
  std::string_view key = ctx.argv[1];
  std::vector<std::string> journal = {"SREM", std::string(key)};
  for (const SubEntry& entry : picked) {
    ctx.ks.DeleteSub(ctx.db, key, *meta, entry.field);
    journal.push_back(entry.field);
  }
  meta->size = meta->size > picked.size() ? meta->size - picked.size() : 0;
  if (meta->size == 0) {
    ctx.ks.DeleteKey(ctx.db, key);
  } else {
    ctx.ks.PutMeta(ctx.db, key, *meta, /*created=*/false);
  }
  ctx.JournalAs(std::move(journal));
}

void SAdd(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  MetaValue meta;
  if (!LookupSet(ctx, key, &meta)) return;
  const bool created = meta.type == Type::kNone;
  if (created) meta = NewCollection(ctx, Type::kSet);
  int64_t added = 0;
  for (size_t i = 2; i < ctx.argv.size(); ++i) {
    bool found = false;
    if (Status s = IsMember(ctx, key, meta, ctx.argv[i], &found); !s.ok()) {
      ctx.Fail(s);
      return;
    }
    if (found) continue;
    ctx.ks.PutSub(ctx.db, key, meta, ctx.argv[i], {});
    ++meta.size;
    ++added;
  }
  if (added > 0) {
    ctx.ks.PutMeta(ctx.db, key, meta, created);
  } else {
    ctx.NoJournal();
  }
  ctx.out.Integer(added);
}

void SRem(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  MetaValue meta;
  if (!LookupSet(ctx, key, &meta)) return;
  int64_t removed = 0;
  if (meta.type != Type::kNone) {
    for (size_t i = 2; i < ctx.argv.size(); ++i) {
      bool found = false;
      if (Status s = IsMember(ctx, key, meta, ctx.argv[i], &found); !s.ok()) {
        ctx.Fail(s);
        return;
      }
      if (!found) continue;
      ctx.ks.DeleteSub(ctx.db, key, meta, ctx.argv[i]);
      ++removed;
      if (--meta.size == 0) break;
    }
  }
  if (removed == 0) {
    ctx.NoJournal();
  } else if (meta.size == 0) {
    ctx.ks.DeleteKey(ctx.db, key);
  } else {
    ctx.ks.PutMeta(ctx.db, key, meta, /*created=*/false);
  }
  ctx.out.Integer(removed);
}

void SMembers(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupSet(ctx, ctx.argv[1], &meta)) return;
  std::vector<SubEntry> members;
  if (meta.type != Type::kNone) {
    if (Status s = ReadAllSubs(ctx.ks, ctx.db, ctx.argv[1], meta, &members); !s.ok()) {
      ctx.Fail(s);
      return;
    }
  }
  ctx.out.SetHeader(members.size());
  for (const SubEntry& m : members) ctx.out.Bulk(m.field);
}

void SIsMember(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupSet(ctx, ctx.argv[1], &meta)) return;
  bool found = false;
  if (Status s = IsMember(ctx, ctx.argv[1], meta, ctx.argv[2], &found); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ctx.out.Integer(found ? 1 : 0);
}

void SMIsMember(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupSet(ctx, ctx.argv[1], &meta)) return;
  std::vector<bool> found(ctx.argv.size() - 2);
  for (size_t i = 0; i < found.size(); ++i) {
    bool f = false;
    if (Status s = IsMember(ctx, ctx.argv[1], meta, ctx.argv[i + 2], &f); !s.ok()) {
      ctx.Fail(s);
      return;
    }
    found[i] = f;
  }
  ctx.out.ArrayHeader(found.size());
  for (bool f : found) ctx.out.Integer(f ? 1 : 0);
}

void SCard(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupSet(ctx, ctx.argv[1], &meta)) return;
  ctx.out.Integer(static_cast<int64_t>(meta.size));
}

// SPOP key [count]
void SPop(CommandContext& ctx) {
  if (ctx.argv.size() > 3) {
    ctx.SyntaxError();
    return;
  }
  const bool with_count = ctx.argv.size() == 3;
  int64_t count = 1;
  if (with_count && (!ParseInt64(ctx.argv[2], &count) || count < 0)) {
    ctx.out.Error("ERR value is out of range, must be positive");
    return;
  }
  MetaValue meta;
  if (!LookupSet(ctx, ctx.argv[1], &meta)) return;
  std::vector<SubEntry> picked;
  if (meta.type != Type::kNone && count > 0) {
    if (Status s = RandomSubs(ctx.ks, ctx.db, ctx.argv[1], meta, count, &picked); !s.ok()) {
      ctx.Fail(s);
      return;
    }
  }
  if (picked.empty()) {
    ctx.NoJournal();
  } else {
    RemovePicked(ctx, &meta, picked);
  }
  if (!with_count) {
    if (picked.empty()) {
      ctx.out.Null();
    } else {
      ctx.out.Bulk(picked.front().field);
    }
    return;
  }
  ctx.out.SetHeader(picked.size());
  for (const SubEntry& m : picked) ctx.out.Bulk(m.field);
}

// SRANDMEMBER key [count]
void SRandMember(CommandContext& ctx) {
  if (ctx.argv.size() > 3) {
    ctx.SyntaxError();
    return;
  }
  const bool with_count = ctx.argv.size() == 3;
  int64_t count = 1;
  if (with_count) {
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
  }
  MetaValue meta;
  if (!LookupSet(ctx, ctx.argv[1], &meta)) return;
  std::vector<SubEntry> picked;
  if (meta.type != Type::kNone && count != 0) {
    if (Status s = RandomSubs(ctx.ks, ctx.db, ctx.argv[1], meta, count, &picked); !s.ok()) {
      ctx.Fail(s);
      return;
    }
  }
  if (!with_count) {
    if (picked.empty()) {
      ctx.out.Null();
    } else {
      ctx.out.Bulk(picked.front().field);
    }
    return;
  }
  ctx.out.ArrayHeader(picked.size());
  for (const SubEntry& m : picked) ctx.out.Bulk(m.field);
}

// SMOVE source destination member
void SMove(CommandContext& ctx) {
  std::string_view src = ctx.argv[1];
  std::string_view dst = ctx.argv[2];
  std::string_view member = ctx.argv[3];
  MetaValue src_meta;
  MetaValue dst_meta;
  if (Status s = ctx.ks.Lookup(ctx.db, src, &src_meta); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  if (Status s = ctx.ks.Lookup(ctx.db, dst, &dst_meta); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  // Redis answers 0 for a missing source before it looks at either type.
  if (src_meta.type == Type::kNone) {
    ctx.NoJournal();
    ctx.out.Integer(0);
    return;
  }
  if (src_meta.type != Type::kSet ||
      (dst_meta.type != Type::kNone && dst_meta.type != Type::kSet)) {
    ctx.WrongType();
    return;
  }
  bool found = false;
  if (Status s = IsMember(ctx, src, src_meta, member, &found); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  if (src == dst || !found) {
    ctx.NoJournal();
    ctx.out.Integer(found ? 1 : 0);
    return;
  }
  ctx.ks.DeleteSub(ctx.db, src, src_meta, member);
  if (--src_meta.size == 0) {
    ctx.ks.DeleteKey(ctx.db, src);
  } else {
    ctx.ks.PutMeta(ctx.db, src, src_meta, /*created=*/false);
  }
  const bool created = dst_meta.type == Type::kNone;
  if (created) dst_meta = NewCollection(ctx, Type::kSet);
  bool in_dst = false;
  if (Status s = IsMember(ctx, dst, dst_meta, member, &in_dst); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  if (!in_dst) {
    ctx.ks.PutSub(ctx.db, dst, dst_meta, member, {});
    ++dst_meta.size;
    ctx.ks.PutMeta(ctx.db, dst, dst_meta, created);
  }
  ctx.out.Integer(1);
}

// --- Set algebra: SINTER SUNION SDIFF, their STORE forms, SINTERCARD ---

enum class SetOp { kInter, kUnion, kDiff };

struct SourceSet {
  std::string_view key;
  MetaValue meta;  // type kNone: missing, an empty set
};

// Looks up every source; any key of another type answers WRONGTYPE (Redis checks them all, even
// after a missing one).
bool LookupSources(CommandContext& ctx, std::span<const std::string_view> keys,
                   std::vector<SourceSet>* out) {
  out->clear();
  for (std::string_view key : keys) {
    SourceSet source{key, {}};
    if (!LookupSet(ctx, key, &source.meta)) return false;
    out->push_back(std::move(source));
  }
  return true;
}

// Members of the smallest set that are in every other one, in byte order; stops at `limit` (0 =
// no limit).
Status Intersect(CommandContext& ctx, std::vector<SourceSet> sets, uint64_t limit,
                 std::vector<std::string>* out) {
  out->clear();
  for (const SourceSet& s : sets) {
    if (s.meta.type == Type::kNone) return Status::Ok();
  }
  std::stable_sort(sets.begin(), sets.end(), [](const SourceSet& a, const SourceSet& b) {
    return a.meta.size < b.meta.size;
  });
  auto it = ctx.ks.IterateSubs(ctx.db, sets[0].key, sets[0].meta);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view member = Keyspace::SubField(it->key(), sets[0].key);
    bool everywhere = true;
    for (size_t i = 1; i < sets.size() && everywhere; ++i) {
      if (Status s = IsMember(ctx, sets[i].key, sets[i].meta, member, &everywhere); !s.ok()) {
        return s;
      }
    }
    if (!everywhere) continue;
    out->emplace_back(member);
    if (limit != 0 && out->size() >= limit) break;
  }
  return it->status();
}

Status Unite(CommandContext& ctx, const std::vector<SourceSet>& sets,
             std::vector<std::string>* out) {
  std::set<std::string> all;
  for (const SourceSet& source : sets) {
    if (source.meta.type == Type::kNone) continue;
    auto it = ctx.ks.IterateSubs(ctx.db, source.key, source.meta);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      all.emplace(Keyspace::SubField(it->key(), source.key));
    }
    if (Status s = it->status(); !s.ok()) return s;
  }
  out->assign(all.begin(), all.end());
  return Status::Ok();
}

// Members of the first set in none of the others.
Status Subtract(CommandContext& ctx, const std::vector<SourceSet>& sets,
                std::vector<std::string>* out) {
  out->clear();
  const SourceSet& first = sets[0];
  if (first.meta.type == Type::kNone) return Status::Ok();
  auto it = ctx.ks.IterateSubs(ctx.db, first.key, first.meta);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view member = Keyspace::SubField(it->key(), first.key);
    bool elsewhere = false;
    for (size_t i = 1; i < sets.size() && !elsewhere; ++i) {
      if (Status s = IsMember(ctx, sets[i].key, sets[i].meta, member, &elsewhere); !s.ok()) {
        return s;
      }
    }
    if (!elsewhere) out->emplace_back(member);
  }
  return it->status();
}

Status Combine(CommandContext& ctx, SetOp op, const std::vector<SourceSet>& sets,
               std::vector<std::string>* out) {
  switch (op) {
    case SetOp::kInter:
      return Intersect(ctx, sets, 0, out);
    case SetOp::kUnion:
      return Unite(ctx, sets, out);
    case SetOp::kDiff:
      return Subtract(ctx, sets, out);
  }
  return Status::Ok();
}

// SINTER/SUNION/SDIFF key [key ...]: a set reply.
void ReplyCombined(CommandContext& ctx, SetOp op) {
  std::vector<SourceSet> sets;
  if (!LookupSources(ctx, ctx.argv.subspan(1), &sets)) return;
  std::vector<std::string> members;
  if (Status s = Combine(ctx, op, sets, &members); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ctx.out.SetHeader(members.size());
  for (const std::string& m : members) ctx.out.Bulk(m);
}

// S*STORE destination key [key ...]: replaces the destination, whatever its type (and TTL); an
// empty result deletes it.
void StoreCombined(CommandContext& ctx, SetOp op) {
  std::vector<SourceSet> sets;
  if (!LookupSources(ctx, ctx.argv.subspan(2), &sets)) return;
  std::vector<std::string> members;
  if (Status s = Combine(ctx, op, sets, &members); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  std::string_view dst = ctx.argv[1];
  MetaValue dst_meta;
  if (Status s = ctx.ks.Lookup(ctx.db, dst, &dst_meta); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  const bool existed = dst_meta.type != Type::kNone;
  if (members.empty()) {
    if (existed) {
      ctx.ks.DeleteKey(ctx.db, dst);
    } else {
      ctx.NoJournal();
    }
    ctx.out.Integer(0);
    return;
  }
  MetaValue meta = NewCollection(ctx, Type::kSet);
  for (const std::string& m : members) ctx.ks.PutSub(ctx.db, dst, meta, m, {});
  meta.size = members.size();
  ctx.ks.PutMeta(ctx.db, dst, meta, /*created=*/!existed);
  ctx.out.Integer(static_cast<int64_t>(members.size()));
}

void SInter(CommandContext& ctx) { ReplyCombined(ctx, SetOp::kInter); }
void SUnion(CommandContext& ctx) { ReplyCombined(ctx, SetOp::kUnion); }
void SDiff(CommandContext& ctx) { ReplyCombined(ctx, SetOp::kDiff); }
void SInterStore(CommandContext& ctx) { StoreCombined(ctx, SetOp::kInter); }
void SUnionStore(CommandContext& ctx) { StoreCombined(ctx, SetOp::kUnion); }
void SDiffStore(CommandContext& ctx) { StoreCombined(ctx, SetOp::kDiff); }

// SINTERCARD numkeys key [key ...] [LIMIT limit]
void SInterCard(CommandContext& ctx) {
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.argv[1], &numkeys) || numkeys < 1) {
    ctx.out.Error("ERR numkeys should be greater than 0");
    return;
  }
  if (static_cast<uint64_t>(numkeys) > ctx.argv.size() - 2) {
    ctx.out.Error("ERR Number of keys can't be greater than number of args");
    return;
  }
  int64_t limit = 0;
  for (size_t i = 2 + static_cast<size_t>(numkeys); i < ctx.argv.size(); ++i) {
    if (IsOption(ctx.argv[i], "limit") && i + 1 < ctx.argv.size()) {
      if (!ParseInt64(ctx.argv[i + 1], &limit) || limit < 0) {
        ctx.out.Error("ERR LIMIT can't be negative");
        return;
      }
      ++i;
    } else {
      ctx.SyntaxError();
      return;
    }
  }
  std::vector<SourceSet> sets;
  if (!LookupSources(ctx, ctx.argv.subspan(2, static_cast<size_t>(numkeys)), &sets)) return;
  std::vector<std::string> members;
  if (Status s = Intersect(ctx, sets, static_cast<uint64_t>(limit), &members); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ctx.out.Integer(static_cast<int64_t>(members.size()));
}

bool IsIntsetMember(const SubEntry& entry) {
  int64_t unused = 0;
  return ParseInt64(entry.field, &unused);
}

void SScan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseScanCursor(ctx.argv[2], &cursor)) {
    ctx.out.Error("ERR invalid cursor");
    return;
  }
  MetaValue meta;
  if (!LookupSet(ctx, ctx.argv[1], &meta)) return;
  if (meta.type == Type::kNone) {
    ReplyEmptyScan(ctx);
    return;
  }
  ScanOptions options;
  if (!ParseScanOptions(ctx, 3, &options)) return;
  ScanPage page;
  if (Status s =
          ScanSubs(ctx, ctx.argv[1], meta, cursor, options, kIntsetEntries, &IsIntsetMember, &page);
      !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ctx.out.ArrayHeader(2);
  ctx.out.Bulk(std::to_string(page.next_cursor));
  ctx.out.ArrayHeader(page.entries.size());
  for (const SubEntry& m : page.entries) ctx.out.Bulk(m.field);
}

}  // namespace

std::span<const LocalCommandDef> SetCommands() {
  static const LocalCommandDef kRows[] = {
      {"sadd", &SAdd},
      {"srem", &SRem},
      {"smembers", &SMembers},
      {"sismember", &SIsMember},
      {"smismember", &SMIsMember},
      {"scard", &SCard},
      {"spop", &SPop},
      {"srandmember", &SRandMember},
      {"smove", &SMove},
      {"sinter", &SInter},
      {"sunion", &SUnion},
      {"sdiff", &SDiff},
      {"sinterstore", &SInterStore},
      {"sunionstore", &SUnionStore},
      {"sdiffstore", &SDiffStore},
      {"sintercard", &SInterCard},
      {"sscan", &SScan},
  };
  return kRows;
}

}  // namespace respite::storage
