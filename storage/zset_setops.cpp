// The sorted-set family, part three: the set operations ZUNION, ZINTER, ZDIFF, their STORE forms
// and ZINTERCARD. Inputs may be sorted sets or sets (every member of a set scores 1), as in Redis.
// The STORE forms are journaled as their argv when they changed the destination.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/command_context.h"
#include "storage/numbers.h"
#include "storage/zset_internal.h"

namespace respite::storage::zset {
namespace {

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

void AggregateInto(double* target, double value, Aggregate aggregate) {
  switch (aggregate) {
    case Aggregate::kSum:
      *target += value;
      if (std::isnan(*target)) *target = 0;
      break;
    case Aggregate::kMin:
      *target = value < *target ? value : *target;
      break;
    case Aggregate::kMax:
      *target = value > *target ? value : *target;
      break;
  }
}

// One input of a set operation: a sorted set, or a set (every member scores 1).
struct Source {
  std::unordered_map<std::string, double> members;
  double weight = 1;
};

Status ReadSource(CommandContext& ctx, std::string_view key, const MetaValue& meta, Source* out) {
  if (meta.type == Type::kNone) return Status::Ok();
  auto it = ctx.ks.IterateSubs(ctx.db, key, meta);
  out->members.reserve(meta.size);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const double score = meta.type == Type::kSet ? 1.0 : DecodeScore(GetU64(it->value()));
    out->members.emplace(Keyspace::SubField(it->key(), key), score);
  }
  return it->status();
}

// ZUNION/ZINTER/ZDIFF [numkeys key ...] and their STORE forms (the destination first), and
// ZINTERCARD (`card_only`).
void SetOperation(CommandContext& ctx, std::string_view name, SetOp op, bool store,
                  bool card_only) {
  ctx.NoJournal();
  const auto& argv = ctx.argv;
  const size_t numkeys_at = store ? 2 : 1;
  int64_t numkeys = 0;
  if (!ParseInt64(argv[numkeys_at], &numkeys)) {
    ctx.NotInteger();
    return;
  }
  if (numkeys < 1) {
    ctx.out.Error("ERR at least 1 input key is needed for '" + std::string(name) + "' command");
    return;
  }
  if (static_cast<uint64_t>(numkeys) > argv.size() - numkeys_at - 1) {
    ctx.SyntaxError();
    return;
  }
  const auto n = static_cast<size_t>(numkeys);
  std::vector<MetaValue> metas(n);
  for (size_t i = 0; i < n; ++i) {
    if (Status s = ctx.ks.Lookup(ctx.db, argv[numkeys_at + 1 + i], &metas[i]); !s.ok()) {
      ctx.Fail(s);
      return;
    }
    const Type t = metas[i].type;
    if (t != Type::kNone && t != Type::kZSet && t != Type::kSet) {
      ctx.WrongType();
      return;
    }
  }
  std::vector<Source> sources(n);
  Aggregate aggregate = Aggregate::kSum;
  bool with_scores = false;
  int64_t limit = 0;
  for (size_t j = numkeys_at + 1 + n; j < argv.size();) {
    const size_t remaining = argv.size() - j;
    if (op != SetOp::kDiff && !card_only && remaining >= n + 1 &&
        EqualsIgnoreCase(argv[j], "weights")) {
      for (size_t i = 0; i < n; ++i) {
        if (!ParseDouble(argv[j + 1 + i], &sources[i].weight)) {
          ctx.out.Error("ERR weight value is not a float");
          return;
        }
      }
      j += n + 1;
    } else if (op != SetOp::kDiff && !card_only && remaining >= 2 &&
               EqualsIgnoreCase(argv[j], "aggregate")) {
      const std::string_view a = argv[j + 1];
      if (EqualsIgnoreCase(a, "sum")) {
        aggregate = Aggregate::kSum;
      } else if (EqualsIgnoreCase(a, "min")) {
        aggregate = Aggregate::kMin;
      } else if (EqualsIgnoreCase(a, "max")) {
        aggregate = Aggregate::kMax;
      } else {
        ctx.SyntaxError();
        return;
      }
      j += 2;
    } else if (!store && !card_only && EqualsIgnoreCase(argv[j], "withscores")) {
      with_scores = true;
      j += 1;
    } else if (card_only && remaining >= 2 && EqualsIgnoreCase(argv[j], "limit")) {
      if (!ParseInt64(argv[j + 1], &limit) || limit < 0) {
        ctx.out.Error("ERR LIMIT can't be negative");
        return;
      }
      j += 2;
    } else {
      ctx.SyntaxError();
      return;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (Status s = ReadSource(ctx, argv[numkeys_at + 1 + i], metas[i], &sources[i]); !s.ok()) {
      ctx.Fail(s);
      return;
    }
  }
  // As Redis: smallest inputs first (for DIFF, the first input stays first), which also fixes the
  // order in which floating-point sums are taken.
  std::vector<Source*> order;
  for (Source& s : sources) order.push_back(&s);
  auto by_size = [](const Source* a, const Source* b) {
    return a->members.size() < b->members.size();
  };
  if (op != SetOp::kDiff) std::stable_sort(order.begin(), order.end(), by_size);

  std::unordered_map<std::string, double> result;
  auto weighted = [](const Source* s, double score) {
    const double v = s->weight * score;
    return std::isnan(v) ? 0.0 : v;
  };
  if (op == SetOp::kUnion) {
    for (const Source* src : order) {
      for (const auto& [member, score] : src->members) {
        const double v = weighted(src, score);
        auto [it, inserted] = result.emplace(member, v);
        if (!inserted) AggregateInto(&it->second, v, aggregate);
      }
    }
  } else if (op == SetOp::kInter) {
    for (const auto& [member, score] : order[0]->members) {
      double v = weighted(order[0], score);
      bool everywhere = true;
      for (size_t i = 1; i < n && everywhere; ++i) {
        auto found = order[i]->members.find(member);
        everywhere = found != order[i]->members.end();
        if (everywhere) AggregateInto(&v, weighted(order[i], found->second), aggregate);
      }
      if (!everywhere) continue;
      result.emplace(member, v);
      if (card_only && limit > 0 && result.size() >= static_cast<uint64_t>(limit)) break;
    }
  } else {
    for (const auto& [member, score] : order[0]->members) {
      bool elsewhere = false;
      for (size_t i = 1; i < n && !elsewhere; ++i) elsewhere = order[i]->members.count(member) > 0;
      if (!elsewhere) result.emplace(member, score);
    }
  }
  if (card_only) {
    ctx.out.Integer(static_cast<int64_t>(result.size()));
    return;
  }
  std::vector<Entry> entries;
  entries.reserve(result.size());
  for (auto& [member, score] : result) entries.push_back(Entry{member, score});
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.score < b.score || (a.score == b.score && a.member < b.member);
  });
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

void ZUnionStore(CommandContext& ctx) {
  SetOperation(ctx, "zunionstore", SetOp::kUnion, /*store=*/true, /*card_only=*/false);
}
void ZInterStore(CommandContext& ctx) {
  SetOperation(ctx, "zinterstore", SetOp::kInter, /*store=*/true, /*card_only=*/false);
}
void ZDiffStore(CommandContext& ctx) {
  SetOperation(ctx, "zdiffstore", SetOp::kDiff, /*store=*/true, /*card_only=*/false);
}
void ZUnion(CommandContext& ctx) {
  SetOperation(ctx, "zunion", SetOp::kUnion, /*store=*/false, /*card_only=*/false);
}
void ZInter(CommandContext& ctx) {
  SetOperation(ctx, "zinter", SetOp::kInter, /*store=*/false, /*card_only=*/false);
}
void ZDiff(CommandContext& ctx) {
  SetOperation(ctx, "zdiff", SetOp::kDiff, /*store=*/false, /*card_only=*/false);
}
void ZInterCard(CommandContext& ctx) {
  SetOperation(ctx, "zintercard", SetOp::kInter, /*store=*/false, /*card_only=*/true);
}

}  // namespace

std::span<const LocalCommandDef> SetOpCommands() {
  static const LocalCommandDef kRows[] = {
      {"zunionstore", &ZUnionStore}, {"zinterstore", &ZInterStore}, {"zdiffstore", &ZDiffStore},
      {"zunion", &ZUnion},           {"zinter", &ZInter},           {"zdiff", &ZDiff},
      {"zintercard", &ZInterCard},
  };
  return kRows;
}

}  // namespace respite::storage::zset
