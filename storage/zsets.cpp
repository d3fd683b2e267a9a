// The sorted-set family, part one: the shared internals (zset_internal.h), members (ZADD, ZINCRBY,
// ZREM, ZSCORE, ZMSCORE, ZCARD, ZRANK), pops (ZPOPMIN/MAX, ZMPOP and their blocking forms),
// ZRANDMEMBER and ZSCAN. Ranges live in zset_ranges.cpp, set operations in zset_setops.cpp.
//
// Journal: pops are recorded as ZREM of what they returned; other writes as their argv when they
// changed something, nothing otherwise. Blocking pops run as their non-blocking attempt and set
// ctx.would_block (writing no reply) when every key is empty.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/blocking.h"
#include "storage/command_context.h"
#include "storage/glob.h"
#include "storage/local_session.h"
#include "storage/numbers.h"
#include "storage/subkeys.h"
#include "storage/zset_internal.h"

namespace respite::storage {

// Redis keeps a sorted set of at most this many members, each at most kCompactBytes, as a
// listpack; ZSCAN returns such a set whole, in score order.
constexpr uint64_t kCompactEntries = 128;
constexpr size_t kCompactBytes = 64;

namespace zset {
namespace {

// A sorted-set meta payload of "s": Redis would hold this set as a skiplist. It converts a listpack
// for good just before adding the member that would overflow it; store commands pick by their
// result. Only a skiplist keeps a -0 score; a listpack stores it as 0 (what ZSCORE then shows).
constexpr std::string_view kSkiplistMark = "s";

}  // namespace

bool Lookup(CommandContext& ctx, std::string_view key, MetaValue* meta) {
  return LookupOfType(ctx, key, Type::kZSet, meta);
}

Status GetScore(CommandContext& ctx, std::string_view key, const MetaValue& meta,
                std::string_view member, double* score, bool* found) {
  std::string value;
  if (Status s = FindSub(ctx.ks, ctx.db, key, meta, member, &value, found); !s.ok()) return s;
  if (!*found) return Status::Ok();
  if (value.size() != 8) return Status::Corruption("unreadable sorted-set score");
  *score = DecodeScore(GetU64(value));
  return Status::Ok();
}

void PutMember(CommandContext& ctx, std::string_view key, MetaValue* meta, std::string_view member,
               double score, bool existed, double old) {
  if (!existed && (meta->size + 1 > kCompactEntries || member.size() > kCompactBytes)) {
    meta->payload = kSkiplistMark;
  }
  if (score == 0 && meta->payload != kSkiplistMark) score = 0;  // -0 -> 0
  if (existed) {
    ctx.ks.DeleteScore(ctx.db, key, *meta, old, member);
  } else {
    ++meta->size;
  }
  std::string encoded;
  PutU64(&encoded, EncodeScoreExact(score));
  ctx.ks.PutSub(ctx.db, key, *meta, member, encoded);
  ctx.ks.PutScore(ctx.db, key, *meta, score, member);
  Changed(ctx);
}

void RemoveMember(CommandContext& ctx, std::string_view key, MetaValue* meta,
                  std::string_view member, double score) {
  ctx.ks.DeleteSub(ctx.db, key, *meta, member);
  ctx.ks.DeleteScore(ctx.db, key, *meta, score, member);
  --meta->size;
  Changed(ctx);
}

void FinishRemoval(CommandContext& ctx, std::string_view key, const MetaValue& meta) {
  if (meta.size == 0) {
    ctx.ks.DeleteKey(ctx.db, key);
  } else {
    ctx.ks.PutMeta(ctx.db, key, meta, /*created=*/false);
  }
}

void StoreEntries(CommandContext& ctx, std::string_view key, bool existed,
                  std::span<const Entry> entries) {
  if (existed) {
    ctx.ks.DeleteKey(ctx.db, key);
    Changed(ctx);
  }
  if (entries.empty()) return;
  MetaValue meta = NewCollection(ctx, Type::kZSet);
  if (entries.size() > kCompactEntries ||
      std::any_of(entries.begin(), entries.end(),
                  [](const Entry& e) { return e.member.size() > kCompactBytes; })) {
    meta.payload = kSkiplistMark;
  }
  for (const Entry& e : entries) PutMember(ctx, key, &meta, e.member, e.score, false, 0);
  ctx.ks.PutMeta(ctx.db, key, meta, /*created=*/true);
}

void ReplyEntries(CommandContext& ctx, std::span<const Entry> entries, bool with_scores) {
  const bool pairs = with_scores && ctx.out.protocol() >= 3;
  ctx.out.ArrayHeader(with_scores && !pairs ? entries.size() * 2 : entries.size());
  for (const Entry& e : entries) {
    if (pairs) ctx.out.ArrayHeader(2);
    ctx.out.Bulk(e.member);
    if (with_scores) ctx.out.Double(e.score);
  }
}

ScoreWalker::ScoreWalker(CommandContext& ctx, std::string_view key, const MetaValue& meta)
    : key_(key),
      prefix_(SubPrefix(ctx.db, key, meta.version)),
      size_(meta.size),
      it_(ctx.ks.IterateScores(ctx.db, key, meta)) {}

void ScoreWalker::Load() {
  if (it_->Valid()) Keyspace::SplitScoreKey(it_->key(), it_->value(), key_, &score_, &member_);
}

void ScoreWalker::First() {
  it_->SeekToFirst();
  Load();
}

void ScoreWalker::Last() {
  it_->SeekToLast();
  Load();
}

void ScoreWalker::SeekScore(double score) {
  std::string target = prefix_;
  PutU64(&target, EncodeScore(score));
  it_->Seek(target);
  Load();
}

void ScoreWalker::SeekScoreBack(double score) {
  const uint64_t encoded = EncodeScore(score);
  if (encoded == std::numeric_limits<uint64_t>::max()) {
    Last();
    return;
  }
  // The last key before the first one of the next encoded score.
  std::string target = prefix_;
  PutU64(&target, encoded + 1);
  it_->SeekForPrev(target);
  Load();
  if (Valid() && EncodeScore(score_) > encoded) Prev();
}

void ScoreWalker::SeekEntry(double score, std::string_view member) {
  std::string target = prefix_;
  PutU64(&target, EncodeScore(score));
  target.append(member);
  it_->Seek(target);
  Load();
}

void ScoreWalker::SeekRank(uint64_t rank) {
  if (rank <= size_ / 2) {
    First();
    for (uint64_t i = 0; i < rank && Valid(); ++i) Next();
  } else {
    Last();
    for (uint64_t i = size_ - 1; i > rank && Valid(); --i) Prev();
  }
}

void ScoreWalker::Next() {
  it_->Next();
  Load();
}

void ScoreWalker::Prev() {
  it_->Prev();
  Load();
}

}  // namespace zset

namespace {

using zset::Changed;
using zset::Entry;
using zset::EqualsIgnoreCase;
using zset::ScoreWalker;

constexpr std::string_view kNaNScore = "ERR resulting score is not a number (NaN)";

struct AddFlags {
  bool nx = false;
  bool xx = false;
  bool gt = false;
  bool lt = false;
  bool ch = false;
  bool incr = false;
};

enum class AddOutcome { kAdded, kUpdated, kUnchanged, kSkipped, kNaN };

// One member of ZADD/ZINCRBY under `flags`; *score becomes the member's resulting score.
Status AddOne(CommandContext& ctx, std::string_view key, MetaValue* meta, const AddFlags& flags,
              std::string_view member, double* score, AddOutcome* outcome) {
  double current = 0;
  bool found = false;
  if (Status s = zset::GetScore(ctx, key, *meta, member, &current, &found); !s.ok()) return s;
  if (!found) {
    if (flags.xx) {
      *outcome = AddOutcome::kSkipped;
      return Status::Ok();
    }
    zset::PutMember(ctx, key, meta, member, *score, false, 0);
    *outcome = AddOutcome::kAdded;
    return Status::Ok();
  }
  if (flags.nx) {
    *outcome = AddOutcome::kSkipped;
    return Status::Ok();
  }
  double updated = flags.incr ? current + *score : *score;
  if (std::isnan(updated)) {
    *outcome = AddOutcome::kNaN;
    return Status::Ok();
  }
  if ((flags.lt && updated >= current) || (flags.gt && updated <= current)) {
    *outcome = AddOutcome::kSkipped;
    return Status::Ok();
  }
  *score = updated;
  if (updated == current) {
    *outcome = AddOutcome::kUnchanged;
    return Status::Ok();
  }
  zset::PutMember(ctx, key, meta, member, updated, true, current);
  *outcome = AddOutcome::kUpdated;
  return Status::Ok();
}

// ZADD/ZINCRBY after parsing: `pairs` of (score, member) from argv[first].
void AddPairs(CommandContext& ctx, const AddFlags& flags, size_t first) {
  const std::string_view key = ctx.argv[1];
  const size_t pairs = (ctx.argv.size() - first) / 2;
  std::vector<double> scores(pairs);
  for (size_t i = 0; i < pairs; ++i) {
    if (!ParseDouble(ctx.argv[first + 2 * i], &scores[i])) {
      ctx.NotFloat();
      return;
    }
  }
  MetaValue meta;
  if (!zset::Lookup(ctx, key, &meta)) return;
  const bool created = meta.type == Type::kNone;
  int64_t added = 0;
  int64_t updated = 0;
  bool processed = false;
  double last_score = 0;
  if (!created || !flags.xx) {
    if (created) meta = NewCollection(ctx, Type::kZSet);
    const uint64_t size_before = created ? 0 : meta.size;
    for (size_t i = 0; i < pairs; ++i) {
      AddOutcome outcome = AddOutcome::kSkipped;
      if (Status s =
              AddOne(ctx, key, &meta, flags, ctx.argv[first + 2 * i + 1], &scores[i], &outcome);
          !s.ok()) {
        ctx.Fail(s);
        return;
      }
      if (outcome == AddOutcome::kNaN) {
        ctx.out.Error(kNaNScore);
        return;
      }
      added += outcome == AddOutcome::kAdded ? 1 : 0;
      updated += outcome == AddOutcome::kUpdated ? 1 : 0;
      if (outcome != AddOutcome::kSkipped) {
        processed = true;
        last_score = scores[i];
      }
    }
    if (meta.size != size_before) ctx.ks.PutMeta(ctx.db, key, meta, created);
  }
  if (!flags.incr) {
    ctx.out.Integer(flags.ch ? added + updated : added);
  } else if (processed) {
    ctx.out.Double(last_score);
  } else {
    ctx.out.Null();
  }
}

void ZAdd(CommandContext& ctx) {
  ctx.NoJournal();
  AddFlags flags;
  size_t i = 2;
  for (; i < ctx.argv.size(); ++i) {
    const std::string_view a = ctx.argv[i];
    bool* flag = EqualsIgnoreCase(a, "nx")     ? &flags.nx
                 : EqualsIgnoreCase(a, "xx")   ? &flags.xx
                 : EqualsIgnoreCase(a, "gt")   ? &flags.gt
                 : EqualsIgnoreCase(a, "lt")   ? &flags.lt
                 : EqualsIgnoreCase(a, "ch")   ? &flags.ch
                 : EqualsIgnoreCase(a, "incr") ? &flags.incr
                                               : nullptr;
    if (flag == nullptr) break;
    *flag = true;
  }
  const size_t elements = ctx.argv.size() - i;
  if (elements == 0 || elements % 2 != 0) {
    ctx.SyntaxError();
    return;
  }
  if (flags.xx && flags.nx) {
    ctx.out.Error("ERR XX and NX options at the same time are not compatible");
    return;
  }
  if ((flags.gt && flags.nx) || (flags.lt && flags.nx) || (flags.gt && flags.lt)) {
    ctx.out.Error("ERR GT, LT, and/or NX options at the same time are not compatible");
    return;
  }
  if (flags.incr && elements > 2) {
    ctx.out.Error("ERR INCR option supports a single increment-element pair");
    return;
  }
  AddPairs(ctx, flags, i);
}

void ZIncrBy(CommandContext& ctx) {
  ctx.NoJournal();
  AddFlags flags;
  flags.incr = true;
  AddPairs(ctx, flags, 2);
}

void ZRem(CommandContext& ctx) {
  ctx.NoJournal();
  const std::string_view key = ctx.argv[1];
  MetaValue meta;
  if (!zset::Lookup(ctx, key, &meta)) return;
  int64_t removed = 0;
  if (meta.type != Type::kNone) {
    for (size_t i = 2; i < ctx.argv.size() && meta.size > 0; ++i) {
      double score = 0;
      bool found = false;
      if (Status s = zset::GetScore(ctx, key, meta, ctx.argv[i], &score, &found); !s.ok()) {
        ctx.Fail(s);
        return;
      }
      if (!found) continue;
      zset::RemoveMember(ctx, key, &meta, ctx.argv[i], score);
      ++removed;
    }
    if (removed > 0) zset::FinishRemoval(ctx, key, meta);
  }
  ctx.out.Integer(removed);
}

void ZScore(CommandContext& ctx) {
  MetaValue meta;
  if (!zset::Lookup(ctx, ctx.argv[1], &meta)) return;
  double score = 0;
  bool found = false;
  if (Status s = zset::GetScore(ctx, ctx.argv[1], meta, ctx.argv[2], &score, &found); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  if (found) {
    ctx.out.Double(score);
  } else {
    ctx.out.Null();
  }
}

void ZMScore(CommandContext& ctx) {
  MetaValue meta;
  if (!zset::Lookup(ctx, ctx.argv[1], &meta)) return;
  std::vector<double> scores(ctx.argv.size() - 2);
  std::vector<bool> present(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) {
    bool found = false;
    if (Status s = zset::GetScore(ctx, ctx.argv[1], meta, ctx.argv[i + 2], &scores[i], &found);
        !s.ok()) {
      ctx.Fail(s);
      return;
    }
    present[i] = found;
  }
  ctx.out.ArrayHeader(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) {
    if (present[i]) {
      ctx.out.Double(scores[i]);
    } else {
      ctx.out.Null();
    }
  }
}

void ZCard(CommandContext& ctx) {
  MetaValue meta;
  if (!zset::Lookup(ctx, ctx.argv[1], &meta)) return;
  ctx.out.Integer(static_cast<int64_t>(meta.size));
}

// ZRANK/ZREVRANK: counts from both ends at once, so the cost is the distance to the nearer end.
void Rank(CommandContext& ctx, bool reverse) {
  MetaValue meta;
  if (!zset::Lookup(ctx, ctx.argv[1], &meta)) return;
  double score = 0;
  bool found = false;
  if (Status s = zset::GetScore(ctx, ctx.argv[1], meta, ctx.argv[2], &score, &found); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  if (!found) {
    ctx.out.Null();
    return;
  }
  ScoreWalker front(ctx, ctx.argv[1], meta);
  ScoreWalker back(ctx, ctx.argv[1], meta);
  front.First();
  back.Last();
  uint64_t rank = 0;
  for (uint64_t steps = 0; front.Valid() && back.Valid(); ++steps) {
    if (front.score() == score && front.member() == ctx.argv[2]) {
      rank = steps;
      break;
    }
    if (back.score() == score && back.member() == ctx.argv[2]) {
      rank = meta.size - 1 - steps;
      break;
    }
    front.Next();
    back.Prev();
  }
  if (Status s = front.status(); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ctx.out.Integer(static_cast<int64_t>(reverse ? meta.size - 1 - rank : rank));
}

void ZRank(CommandContext& ctx) { Rank(ctx, /*reverse=*/false); }
void ZRevRank(CommandContext& ctx) { Rank(ctx, /*reverse=*/true); }

// Pops up to `count` members with the lowest (or highest) scores from an existing set, journaled
// as one ZREM.
Status PopEntries(CommandContext& ctx, std::string_view key, MetaValue* meta, bool max,
                  uint64_t count, std::vector<Entry>* out) {
  out->clear();
  count = std::min(count, meta->size);
  if (count == 0) return Status::Ok();
  {
    ScoreWalker walker(ctx, key, *meta);
    if (max) {
      walker.Last();
    } else {
      walker.First();
    }
    for (; walker.Valid() && out->size() < count; max ? walker.Prev() : walker.Next()) {
      out->push_back(walker.entry());
    }
    if (Status s = walker.status(); !s.ok()) return s;
  }
  std::vector<std::string> journal = {"ZREM", std::string(key)};
  for (const Entry& e : *out) {
    zset::RemoveMember(ctx, key, meta, e.member, e.score);
    journal.push_back(e.member);
  }
  if (!out->empty()) ctx.JournalAs(std::move(journal));
  zset::FinishRemoval(ctx, key, *meta);
  return Status::Ok();
}

// ZPOPMIN/ZPOPMAX key [count].
void Pop(CommandContext& ctx, bool max) {
  ctx.NoJournal();
  if (ctx.argv.size() > 3) {
    ctx.SyntaxError();
    return;
  }
  const bool has_count = ctx.argv.size() == 3;
  int64_t count = 1;
  if (has_count && (!ParseInt64(ctx.argv[2], &count) || count < 0)) {
    ctx.out.Error("ERR value is out of range, must be positive");
    return;
  }
  MetaValue meta;
  if (!zset::Lookup(ctx, ctx.argv[1], &meta)) return;
  std::vector<Entry> popped;
  if (meta.type != Type::kNone) {
    if (Status s = PopEntries(ctx, ctx.argv[1], &meta, max, static_cast<uint64_t>(count), &popped);
        !s.ok()) {
      ctx.Fail(s);
      return;
    }
  }
  if (has_count || popped.empty()) {
    zset::ReplyEntries(ctx, popped, /*with_scores=*/true);
    return;
  }
  ctx.out.ArrayHeader(2);
  ctx.out.Bulk(popped.front().member);
  ctx.out.Double(popped.front().score);
}

void ZPopMin(CommandContext& ctx) { Pop(ctx, /*max=*/false); }
void ZPopMax(CommandContext& ctx) { Pop(ctx, /*max=*/true); }

// A key of a blocking pop: a parked client woken by a write that left some other type under the
// key keeps waiting, as in Redis (it serves only sorted sets then); WRONGTYPE otherwise.
bool LookupForBlockingPop(CommandContext& ctx, std::string_view key, MetaValue* meta) {
  if (!ctx.session.woken) return zset::Lookup(ctx, key, meta);
  if (Status s = ctx.ks.Lookup(ctx.db, key, meta); !s.ok()) {
    ctx.Fail(s);
    return false;
  }
  if (meta->type != Type::kZSet) meta->type = Type::kNone;
  return true;
}

// BZPOPMIN/BZPOPMAX key [key ...] timeout: [key, member, score] from the first non-empty set.
void BlockingPop(CommandContext& ctx, bool max) {
  ctx.NoJournal();
  int64_t ms = 0;
  std::string_view error;
  if (!ParseBlockTimeoutMs(ctx.argv.back(), &ms, &error)) {
    ctx.out.Error(error);
    return;
  }
  for (size_t i = 1; i + 1 < ctx.argv.size(); ++i) {
    MetaValue meta;
    if (!LookupForBlockingPop(ctx, ctx.argv[i], &meta)) return;
    if (meta.type == Type::kNone) continue;
    std::vector<Entry> popped;
    if (Status s = PopEntries(ctx, ctx.argv[i], &meta, max, 1, &popped); !s.ok()) {
      ctx.Fail(s);
      return;
    }
    ctx.out.ArrayHeader(3);
    ctx.out.Bulk(ctx.argv[i]);
    ctx.out.Bulk(popped.front().member);
    ctx.out.Double(popped.front().score);
    return;
  }
  ctx.would_block = true;
}

void BZPopMin(CommandContext& ctx) { BlockingPop(ctx, /*max=*/false); }
void BZPopMax(CommandContext& ctx) { BlockingPop(ctx, /*max=*/true); }

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]; BZMPOP has the timeout first.
void MultiPop(CommandContext& ctx, bool blocking) {
  ctx.NoJournal();
  const auto& argv = ctx.argv;
  const size_t numkeys_at = blocking ? 2 : 1;
  int64_t numkeys = 0;
  if (!ParseInt64(argv[numkeys_at], &numkeys) || numkeys <= 0) {
    ctx.out.Error("ERR numkeys should be greater than 0");
    return;
  }
  const size_t where_at = numkeys_at + 1 + static_cast<size_t>(numkeys);
  if (static_cast<uint64_t>(numkeys) >= argv.size() - numkeys_at - 1 ||
      !(EqualsIgnoreCase(argv[where_at], "min") || EqualsIgnoreCase(argv[where_at], "max"))) {
    ctx.SyntaxError();
    return;
  }
  const bool max = EqualsIgnoreCase(argv[where_at], "max");
  int64_t count = -1;
  for (size_t j = where_at + 1; j < argv.size(); ++j) {
    if (count == -1 && j + 1 < argv.size() && EqualsIgnoreCase(argv[j], "count")) {
      if (!ParseInt64(argv[++j], &count) || count <= 0) {
        ctx.out.Error("ERR count should be greater than 0");
        return;
      }
    } else {
      ctx.SyntaxError();
      return;
    }
  }
  if (count == -1) count = 1;
  if (blocking) {
    int64_t ms = 0;
    std::string_view error;
    if (!ParseBlockTimeoutMs(argv[1], &ms, &error)) {
      ctx.out.Error(error);
      return;
    }
  }
  for (size_t i = numkeys_at + 1; i < where_at; ++i) {
    MetaValue meta;
    if (!LookupForBlockingPop(ctx, argv[i], &meta)) return;
    if (meta.type == Type::kNone) continue;
    std::vector<Entry> popped;
    if (Status s = PopEntries(ctx, argv[i], &meta, max, static_cast<uint64_t>(count), &popped);
        !s.ok()) {
      ctx.Fail(s);
      return;
    }
    ctx.out.ArrayHeader(2);
    ctx.out.Bulk(argv[i]);
    ctx.out.ArrayHeader(popped.size());
    for (const Entry& e : popped) {
      ctx.out.ArrayHeader(2);
      ctx.out.Bulk(e.member);
      ctx.out.Double(e.score);
    }
    return;
  }
  if (blocking) {
    ctx.would_block = true;
  } else {
    ctx.out.NullArray();
  }
}

void ZMPop(CommandContext& ctx) { MultiPop(ctx, /*blocking=*/false); }
void BZMPop(CommandContext& ctx) { MultiPop(ctx, /*blocking=*/true); }

void ZRandMember(CommandContext& ctx) {
  const auto& argv = ctx.argv;
  int64_t count = 1;
  bool with_scores = false;
  if (argv.size() >= 3) {
    if (!ParseInt64(argv[2], &count)) {
      ctx.NotInteger();
      return;
    }
    if (count == std::numeric_limits<int64_t>::min()) {
      ctx.out.Error(
          "ERR value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
      return;
    }
    if (argv.size() > 4 || (argv.size() == 4 && !EqualsIgnoreCase(argv[3], "withscores"))) {
      ctx.SyntaxError();
      return;
    }
    with_scores = argv.size() == 4;
    constexpr int64_t kHalf = std::numeric_limits<int64_t>::max() / 2;
    if (with_scores && (count < -kHalf || count > kHalf)) {
      ctx.out.Error("ERR value is out of range");
      return;
    }
  }
  MetaValue meta;
  if (!zset::Lookup(ctx, argv[1], &meta)) return;
  std::vector<SubEntry> picked;
  if (meta.type != Type::kNone && count != 0) {
    if (Status s = RandomSubs(ctx.ks, ctx.db, argv[1], meta, count, &picked); !s.ok()) {
      ctx.Fail(s);
      return;
    }
  }
  if (argv.size() == 2) {
    if (picked.empty()) {
      ctx.out.Null();
    } else {
      ctx.out.Bulk(picked.front().field);
    }
    return;
  }
  std::vector<Entry> entries;
  entries.reserve(picked.size());
  for (SubEntry& sub : picked) {
    entries.push_back(Entry{std::move(sub.field), DecodeScore(GetU64(sub.value))});
  }
  zset::ReplyEntries(ctx, entries, with_scores);
}

void ZScan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseScanCursor(ctx.argv[2], &cursor)) {
    ctx.out.Error("ERR invalid cursor");
    return;
  }
  const std::string_view key = ctx.argv[1];
  MetaValue meta;
  if (!zset::Lookup(ctx, key, &meta)) return;
  if (meta.type == Type::kNone) {
    ReplyEmptyScan(ctx);
    return;
  }
  ScanOptions options;
  if (!ParseScanOptions(ctx, 3, &options)) return;
  auto matches = [&](std::string_view member) {
    return !options.use_pattern || GlobMatch(options.pattern, member);
  };
  std::vector<Entry> entries;
  bool compact = meta.size <= kCompactEntries;
  if (compact) {
    ScoreWalker walker(ctx, key, meta);
    for (walker.First(); walker.Valid() && compact; walker.Next()) {
      compact = walker.member().size() <= kCompactBytes;
      if (matches(walker.member())) entries.push_back(walker.entry());
    }
    if (Status s = walker.status(); !s.ok()) {
      ctx.Fail(s);
      return;
    }
  }
  uint64_t next = 0;
  if (!compact) {
    entries.clear();
    ScanPage page;
    if (Status s = ScanSubs(
            ctx, key, meta, cursor, options, 0, [](const SubEntry&) { return false; }, &page);
        !s.ok()) {
      ctx.Fail(s);
      return;
    }
    next = page.next_cursor;
    for (SubEntry& sub : page.entries) {
      entries.push_back(Entry{std::move(sub.field), DecodeScore(GetU64(sub.value))});
    }
  }
  ctx.out.ArrayHeader(2);
  ctx.out.Bulk(std::to_string(next));
  ctx.out.ArrayHeader(entries.size() * 2);
  for (const Entry& e : entries) {
    ctx.out.Bulk(e.member);
    ctx.out.Bulk(FormatScore(e.score));
  }
}

const LocalCommandDef kRows[] = {
    {"zadd", &ZAdd},       {"zincrby", &ZIncrBy},   {"zrem", &ZRem},
    {"zscore", &ZScore},   {"zmscore", &ZMScore},   {"zcard", &ZCard},
    {"zrank", &ZRank},     {"zrevrank", &ZRevRank}, {"zpopmin", &ZPopMin},
    {"zpopmax", &ZPopMax}, {"bzpopmin", &BZPopMin}, {"bzpopmax", &BZPopMax},
    {"zmpop", &ZMPop},     {"bzmpop", &BZMPop},     {"zrandmember", &ZRandMember},
    {"zscan", &ZScan},
};

}  // namespace

std::span<const LocalCommandDef> ZSetCommands() {
  static const std::vector<LocalCommandDef> rows = [] {
    std::vector<LocalCommandDef> all(std::begin(kRows), std::end(kRows));
    for (auto more : {zset::RangeCommands(), zset::SetOpCommands()}) {
      all.insert(all.end(), more.begin(), more.end());
    }
    return all;
  }();
  return rows;
}

}  // namespace respite::storage
