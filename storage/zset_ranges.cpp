// The sorted-set family, part two: ranges by rank, score and lex (ZRANGE with its options, the
// legacy ZRANGEBYSCORE/ZREVRANGE/... forms, ZRANGESTORE), ZCOUNT, ZLEXCOUNT and ZREMRANGEBY*.
//
// Lex ranges are only meaningful when every member has the same score (as in Redis). For sets
// with mixed scores the walk follows Redis' compact (listpack) encoding: the first member in
// score order that is >= min starts the range and the walk stops at the first member > max.

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/command_context.h"
#include "storage/numbers.h"
#include "storage/zset_internal.h"

namespace respite::storage::zset {
namespace {

constexpr std::string_view kBadScoreRange = "ERR min or max is not a float";
constexpr std::string_view kBadLexRange = "ERR min or max not valid string range item";

struct ScoreRange {
  double min = 0;
  double max = 0;
  bool minex = false;
  bool maxex = false;

  bool GteMin(double v) const { return minex ? v > min : v >= min; }
  bool LteMax(double v) const { return maxex ? v < max : v <= max; }
  bool Empty() const { return min > max || (min == max && (minex || maxex)); }
};

// One bound of a score range as Redis' zslParseRange reads it: strtod on the bytes (after an
// optional '(' for exclusive), which must be consumed up to the end (or an embedded NUL); not nan.
bool ParseScoreBound(std::string_view s, double* v, bool* ex) {
  *ex = !s.empty() && s[0] == '(';
  const std::string copy(s.substr(*ex ? 1 : 0));
  char* end = nullptr;
  *v = std::strtod(copy.c_str(), &end);
  return *end == '\0' && !std::isnan(*v);
}

bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* r) {
  return ParseScoreBound(min, &r->min, &r->minex) && ParseScoreBound(max, &r->max, &r->maxex);
}

struct LexBound {
  enum class Kind { kMinusInf, kPlusInf, kValue };
  Kind kind = Kind::kValue;
  std::string value;
  bool ex = false;
};

// "-", "+", "(value" or "[value".
bool ParseLexBound(std::string_view s, LexBound* b) {
  if (s == "-" || s == "+") {
    b->kind = s == "-" ? LexBound::Kind::kMinusInf : LexBound::Kind::kPlusInf;
    b->ex = true;
    return true;
  }
  if (s.empty() || (s[0] != '(' && s[0] != '[')) return false;
  b->kind = LexBound::Kind::kValue;
  b->ex = s[0] == '(';
  b->value.assign(s.substr(1));
  return true;
}

// Orders two bounds as Redis' sdscmplex: -inf below everything, +inf above.
int CompareBounds(const LexBound& a, const LexBound& b) {
  using Kind = LexBound::Kind;
  if (a.kind == b.kind && a.kind != Kind::kValue) return 0;
  if (a.kind == Kind::kMinusInf || b.kind == Kind::kPlusInf) return -1;
  if (a.kind == Kind::kPlusInf || b.kind == Kind::kMinusInf) return 1;
  return a.value.compare(b.value);
}

struct LexRange {
  LexBound min;
  LexBound max;

  bool GteMin(std::string_view m) const {
    if (min.kind != LexBound::Kind::kValue) return min.kind == LexBound::Kind::kMinusInf;
    const int c = m.compare(min.value);
    return min.ex ? c > 0 : c >= 0;
  }
  bool LteMax(std::string_view m) const {
    if (max.kind != LexBound::Kind::kValue) return max.kind == LexBound::Kind::kPlusInf;
    const int c = m.compare(max.value);
    return max.ex ? c < 0 : c <= 0;
  }
  bool Empty() const {
    const int c = CompareBounds(min, max);
    return c > 0 || (c == 0 && (min.ex || max.ex));
  }
};

bool ParseLexRange(std::string_view min, std::string_view max, LexRange* r) {
  return ParseLexBound(min, &r->min) && ParseLexBound(max, &r->max);
}

enum class By { kAuto, kRank, kScore, kLex };

// What to walk: for ranks, [start, end] are normalized forward ranks (end >= start).
struct Query {
  By by = By::kRank;
  bool reverse = false;
  uint64_t start = 0;
  uint64_t end = 0;
  ScoreRange score;
  LexRange lex;
  int64_t offset = 0;
  int64_t limit = -1;  // negative: no limit
};

// Normalizes a Redis rank range against `size`; false when it selects nothing.
bool NormalizeRanks(int64_t start, int64_t end, uint64_t size, Query* q) {
  const auto len = static_cast<int64_t>(size);
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) return false;
  if (end >= len) end = len - 1;
  q->start = static_cast<uint64_t>(start);
  q->end = static_cast<uint64_t>(end);
  return true;
}

// Calls emit(walker) for every entry the query selects, in reply order.
template <typename Emit>
Status Walk(CommandContext& ctx, std::string_view key, const MetaValue& meta, const Query& q,
            Emit&& emit) {
  ScoreWalker w(ctx, key, meta);
  auto step = [&] { q.reverse ? w.Prev() : w.Next(); };
  if (q.by == By::kRank) {
    w.SeekRank(q.reverse ? meta.size - 1 - q.start : q.start);
    for (uint64_t n = q.end - q.start + 1; n > 0 && w.Valid(); --n, step()) emit(w);
    return w.status();
  }
  if (q.offset < 0) return Status::Ok();
  // Position on the first entry of the range (in walk order), or invalidate.
  if (q.by == By::kScore) {
    if (q.score.Empty()) return Status::Ok();
    if (!q.reverse) {
      w.SeekScore(q.score.min);
      while (w.Valid() && !q.score.GteMin(w.score())) w.Next();
      if (w.Valid() && !q.score.LteMax(w.score())) return w.status();
    } else {
      w.SeekScoreBack(q.score.max);
      while (w.Valid() && !q.score.LteMax(w.score())) w.Prev();
      if (w.Valid() && !q.score.GteMin(w.score())) return w.status();
    }
  } else {
    if (q.lex.Empty()) return Status::Ok();
    // Redis' compact-encoding checks: the last member must reach min, the first must reach max.
    w.Last();
    if (!w.Valid() || !q.lex.GteMin(w.member())) return w.status();
    const double last_score = w.score();
    w.First();
    if (!w.Valid() || !q.lex.LteMax(w.member())) return w.status();
    const bool uniform = w.score() == last_score;  // then the index is in member order
    if (!q.reverse) {
      if (uniform && q.lex.min.kind == LexBound::Kind::kValue) {
        w.SeekEntry(last_score, q.lex.min.value);
      }
      while (w.Valid() && !q.lex.GteMin(w.member())) w.Next();
      if (w.Valid() && !q.lex.LteMax(w.member())) return w.status();
    } else {
      w.Last();
      if (uniform && q.lex.max.kind == LexBound::Kind::kValue) {
        w.SeekEntry(last_score, q.lex.max.value);
        if (!w.Valid()) w.Last();
      }
      while (w.Valid() && !q.lex.LteMax(w.member())) w.Prev();
      if (w.Valid() && !q.lex.GteMin(w.member())) return w.status();
    }
  }
  for (int64_t skip = q.offset; skip > 0 && w.Valid(); --skip) step();
  for (int64_t left = q.limit; left != 0 && w.Valid(); --left, step()) {
    const bool inside = q.by == By::kScore
                            ? (q.reverse ? q.score.GteMin(w.score()) : q.score.LteMax(w.score()))
                            : (q.reverse ? q.lex.GteMin(w.member()) : q.lex.LteMax(w.member()));
    if (!inside) break;
    emit(w);
  }
  return w.status();
}

// ZRANGE and its legacy forms; `store`: ZRANGESTORE (argv[1] is the destination).
void Range(CommandContext& ctx, By by, int direction, bool store) {
  if (store) ctx.NoJournal();
  const auto& argv = ctx.argv;
  const size_t key_at = store ? 2 : 1;
  bool with_scores = false;
  bool limited = false;
  Query q;
  for (size_t j = key_at + 3; j < argv.size(); ++j) {
    const size_t left = argv.size() - j - 1;
    if (!store && EqualsIgnoreCase(argv[j], "withscores")) {
      with_scores = true;
    } else if (EqualsIgnoreCase(argv[j], "limit") && left >= 2) {
      if (!ParseInt64(argv[j + 1], &q.offset) || !ParseInt64(argv[j + 2], &q.limit)) {
        ctx.NotInteger();
        return;
      }
      limited = q.limit != -1;
      j += 2;
    } else if (direction == 0 && EqualsIgnoreCase(argv[j], "rev")) {
      direction = -1;
    } else if (by == By::kAuto && EqualsIgnoreCase(argv[j], "bylex")) {
      by = By::kLex;
    } else if (by == By::kAuto && EqualsIgnoreCase(argv[j], "byscore")) {
      by = By::kScore;
    } else {
      ctx.SyntaxError();
      return;
    }
  }
  if (by == By::kAuto) by = By::kRank;
  q.by = by;
  q.reverse = direction < 0;
  if (limited && by == By::kRank) {
    ctx.out.Error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return;
  }
  if (with_scores && by == By::kLex) {
    ctx.out.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return;
  }
  std::string_view min = argv[key_at + 1];
  std::string_view max = argv[key_at + 2];
  if (q.reverse && by != By::kRank) std::swap(min, max);
  int64_t start = 0;
  int64_t end = 0;
  if (by == By::kRank) {
    if (!ParseInt64(min, &start) || !ParseInt64(max, &end)) {
      ctx.NotInteger();
      return;
    }
  } else if (by == By::kScore) {
    if (!ParseScoreRange(min, max, &q.score)) {
      ctx.out.Error(kBadScoreRange);
      return;
    }
  } else if (!ParseLexRange(min, max, &q.lex)) {
    ctx.out.Error(kBadLexRange);
    return;
  }
  const std::string_view key = argv[key_at];
  MetaValue meta;
  if (!Lookup(ctx, key, &meta)) return;
  std::vector<Entry> entries;
  if (meta.type != Type::kNone && (by != By::kRank || NormalizeRanks(start, end, meta.size, &q))) {
    if (Status s =
            Walk(ctx, key, meta, q, [&](const ScoreWalker& w) { entries.push_back(w.entry()); });
        !s.ok()) {
      ctx.Fail(s);
      return;
    }
  }
  if (!store) {
    ReplyEntries(ctx, entries, with_scores);
    return;
  }
  MetaValue dst;
  if (Status s = ctx.ks.Lookup(ctx.db, argv[1], &dst); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  StoreEntries(ctx, argv[1], dst.type != Type::kNone, entries);
  ctx.out.Integer(static_cast<int64_t>(entries.size()));
}

void ZRange(CommandContext& ctx) { Range(ctx, By::kAuto, 0, /*store=*/false); }
void ZRangeStore(CommandContext& ctx) { Range(ctx, By::kAuto, 0, /*store=*/true); }
void ZRevRange(CommandContext& ctx) { Range(ctx, By::kRank, -1, /*store=*/false); }
void ZRangeByScore(CommandContext& ctx) { Range(ctx, By::kScore, 1, /*store=*/false); }
void ZRevRangeByScore(CommandContext& ctx) { Range(ctx, By::kScore, -1, /*store=*/false); }
void ZRangeByLex(CommandContext& ctx) { Range(ctx, By::kLex, 1, /*store=*/false); }
void ZRevRangeByLex(CommandContext& ctx) { Range(ctx, By::kLex, -1, /*store=*/false); }

// Parses argv[2..3] as a range of `by` into *q, replying the error on failure.
bool ParseQuery(CommandContext& ctx, By by, Query* q, int64_t* start, int64_t* end) {
  q->by = by;
  if (by == By::kRank) {
    if (ParseInt64(ctx.argv[2], start) && ParseInt64(ctx.argv[3], end)) return true;
    ctx.NotInteger();
    return false;
  }
  if (by == By::kScore) {
    if (ParseScoreRange(ctx.argv[2], ctx.argv[3], &q->score)) return true;
    ctx.out.Error(kBadScoreRange);
    return false;
  }
  if (ParseLexRange(ctx.argv[2], ctx.argv[3], &q->lex)) return true;
  ctx.out.Error(kBadLexRange);
  return false;
}

// ZCOUNT and ZLEXCOUNT.
void Count(CommandContext& ctx, By by) {
  Query q;
  int64_t start = 0;
  int64_t end = 0;
  if (!ParseQuery(ctx, by, &q, &start, &end)) return;
  MetaValue meta;
  if (!Lookup(ctx, ctx.argv[1], &meta)) return;
  int64_t count = 0;
  if (meta.type != Type::kNone) {
    if (Status s = Walk(ctx, ctx.argv[1], meta, q, [&](const ScoreWalker&) { ++count; }); !s.ok()) {
      ctx.Fail(s);
      return;
    }
  }
  ctx.out.Integer(count);
}

void ZCount(CommandContext& ctx) { Count(ctx, By::kScore); }
void ZLexCount(CommandContext& ctx) { Count(ctx, By::kLex); }

// ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX.
void RemoveRange(CommandContext& ctx, By by) {
  ctx.NoJournal();
  Query q;
  int64_t start = 0;
  int64_t end = 0;
  if (!ParseQuery(ctx, by, &q, &start, &end)) return;
  const std::string_view key = ctx.argv[1];
  MetaValue meta;
  if (!Lookup(ctx, key, &meta)) return;
  std::vector<Entry> entries;
  if (meta.type != Type::kNone && (by != By::kRank || NormalizeRanks(start, end, meta.size, &q))) {
    if (Status s =
            Walk(ctx, key, meta, q, [&](const ScoreWalker& w) { entries.push_back(w.entry()); });
        !s.ok()) {
      ctx.Fail(s);
      return;
    }
  }
  for (const Entry& e : entries) RemoveMember(ctx, key, &meta, e.member, e.score);
  if (!entries.empty()) FinishRemoval(ctx, key, meta);
  ctx.out.Integer(static_cast<int64_t>(entries.size()));
}

void ZRemRangeByRank(CommandContext& ctx) { RemoveRange(ctx, By::kRank); }
void ZRemRangeByScore(CommandContext& ctx) { RemoveRange(ctx, By::kScore); }
void ZRemRangeByLex(CommandContext& ctx) { RemoveRange(ctx, By::kLex); }

}  // namespace

std::span<const LocalCommandDef> RangeCommands() {
  static const LocalCommandDef kRows[] = {
      {"zrange", &ZRange},
      {"zrangestore", &ZRangeStore},
      {"zrevrange", &ZRevRange},
      {"zrangebyscore", &ZRangeByScore},
      {"zrevrangebyscore", &ZRevRangeByScore},
      {"zrangebylex", &ZRangeByLex},
      {"zrevrangebylex", &ZRevRangeByLex},
      {"zcount", &ZCount},
      {"zlexcount", &ZLexCount},
      {"zremrangebyrank", &ZRemRangeByRank},
      {"zremrangebyscore", &ZRemRangeByScore},
      {"zremrangebylex", &ZRemRangeByLex},
  };
  return kRows;
}

}  // namespace respite::storage::zset
