// The HyperLogLog family: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST. An HLL is a string
// (strings.cpp: the value inline in the MetaValue) in Redis 7.0's own format (hll_encoding.h),
// so GET, SETRANGE and APPEND see exactly the bytes Redis would hold, corruptions included.
//
// Journal: PFADD as itself when it changed a register or created the key (reply 1); PFMERGE as
// itself, so counts gathered during an outage merge into upstream's HLLs at replay instead of
// replacing them (DESIGN.md, "Stage 2 decisions"). PFCOUNT of one key writes the cached
// cardinality into the value, as Redis does, so a later GET matches; that is not journaled
// (PFCOUNT is a read, and upstream caches its own estimate). PFDEBUG GETREG/TODENSE turn a
// sparse value dense locally and journal nothing: the registers, hence every estimate, stay the
// same, and a debugging command has no business in upstream's data.

#include <span>
#include <string>
#include <string_view>

#include "resp/ascii.h"
#include "storage/command_context.h"
#include "storage/hll_encoding.h"
#include "storage/keyspace.h"
#include "storage/local_config.h"

namespace respite::storage {
namespace {

constexpr std::string_view kNotHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";
constexpr std::string_view kCorrupt = "INVALIDOBJ Corrupted HLL object detected";

int64_t SparseMaxBytes(const CommandContext& ctx) {
  return ctx.config != nullptr ? ctx.config->IntValue("hll-sparse-max-bytes") : 3000;
}

// Looks `key` up for an HLL command: true with *meta (type kNone when missing, else a string
// with a valid HLL header); false after replying WRONGTYPE (either text) or a storage failure.
bool LookupHll(CommandContext& ctx, std::string_view key, MetaValue* meta) {
  if (Status s = ctx.ks.Lookup(ctx.db, key, meta); !s.ok()) {
    ctx.Fail(s);
    return false;
  }
  if (meta->type == Type::kNone) return true;
  if (meta->type != Type::kString) {
    ctx.WrongType();
    return false;
  }
  if (!hll::IsValid(meta->payload)) {
    ctx.out.Error(kNotHll);
    return false;
  }
  return true;
}

// PFADD key [element ...]: 1 when a register changed or the key was created, else 0.
void PfAdd(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  MetaValue meta;
  if (!LookupHll(ctx, key, &meta)) return;
  const bool created = meta.type == Type::kNone;
  int updated = 0;
  if (created) {
    meta.type = Type::kString;
    meta.expire_ms = 0;
    meta.payload = hll::Create();
    updated = 1;
  }
  const int64_t sparse_max = SparseMaxBytes(ctx);
  for (size_t j = 2; j < ctx.argv.size(); ++j) {
    const int r = hll::Add(meta.payload, ctx.argv[j], sparse_max);
    if (r == 1) ++updated;
    if (r == -1) {
      // Redis keeps the registers it set before meeting the corruption, but announces and
      // propagates nothing.
      if (updated > 0) ctx.ks.PutMeta(ctx.db, key, meta, /*created=*/false);
      ctx.NoJournal();
      ctx.out.Error(kCorrupt);
      return;
    }
  }
  if (updated > 0) {
    hll::InvalidateCache(meta.payload);
    ctx.ks.PutMeta(ctx.db, key, meta, created);
  } else {
    ctx.NoJournal();
  }
  ctx.out.Integer(updated > 0 ? 1 : 0);
}

// PFCOUNT key [key ...]: one key's estimate (cached in the value), or the estimate of the union.
void PfCount(CommandContext& ctx) {
  if (ctx.argv.size() > 2) {
    hll::Registers max{};
    for (size_t j = 1; j < ctx.argv.size(); ++j) {
      MetaValue meta;
      if (!LookupHll(ctx, ctx.argv[j], &meta)) return;
      if (meta.type == Type::kNone) continue;
      if (!hll::MergeInto(meta.payload, max)) {
        ctx.out.Error(kCorrupt);
        return;
      }
    }
    ctx.out.Integer(static_cast<int64_t>(hll::Count(max)));
    return;
  }
  const std::string_view key = ctx.argv[1];
  MetaValue meta;
  if (!LookupHll(ctx, key, &meta)) return;
  if (meta.type == Type::kNone) {
    ctx.out.Integer(0);
    return;
  }
  uint64_t card = 0;
  if (!hll::CachedCount(meta.payload, &card)) {
    bool invalid = false;
    card = hll::Count(meta.payload, &invalid);
    if (invalid) {
      ctx.out.Error(kCorrupt);
      return;
    }
    hll::SetCachedCount(meta.payload, card);
    ctx.ks.PutMeta(ctx.db, key, meta, /*created=*/false);
  }
  ctx.out.Integer(static_cast<int64_t>(card));
}

// PFMERGE destkey [sourcekey ...]: destkey (itself one of the sources) gets the registers' maxima.
void PfMerge(CommandContext& ctx) {
  hll::Registers max{};
  bool use_dense = false;
  MetaValue dest;
  for (size_t j = 1; j < ctx.argv.size(); ++j) {
    MetaValue meta;
    if (!LookupHll(ctx, ctx.argv[j], &meta)) return;
    if (meta.type == Type::kNone) continue;
    if (hll::Encoding(meta.payload) == hll::kDense) use_dense = true;
    if (!hll::MergeInto(meta.payload, max)) {
      ctx.out.Error(kCorrupt);
      return;
    }
    if (j == 1) dest = std::move(meta);
  }
  const bool created = dest.type == Type::kNone;
  if (created) {
    dest.type = Type::kString;
    dest.expire_ms = 0;
    dest.payload = hll::Create();
  }
  if (use_dense && !hll::ToDense(dest.payload)) {
    ctx.out.Error(kCorrupt);
    return;
  }
  const int64_t sparse_max = SparseMaxBytes(ctx);
  for (int i = 0; i < hll::kRegisters; ++i) {
    if (max[i] != 0) (void)hll::Set(dest.payload, i, max[i], sparse_max);
  }
  hll::InvalidateCache(dest.payload);
  ctx.ks.PutMeta(ctx.db, ctx.argv[1], dest, created);
  ctx.out.Ok();
}

// Redis compares subcommands with strcasecmp: a NUL byte ends the argument.
std::string_view UpToNul(std::string_view arg) { return arg.substr(0, arg.find('\0')); }

// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key
void PfDebug(CommandContext& ctx) {
  ctx.NoJournal();
  const std::string_view sub = UpToNul(ctx.argv[1]);
  const std::string_view key = ctx.argv[2];
  MetaValue meta;
  if (!LookupHll(ctx, key, &meta)) return;
  if (meta.type == Type::kNone) {
    ctx.out.Error("ERR The specified key does not exist");
    return;
  }
  const bool sparse = hll::Encoding(meta.payload) == hll::kSparse;
  const auto to_dense = [&]() {
    if (!hll::ToDense(meta.payload)) {
      ctx.out.Error(kCorrupt);
      return false;
    }
    ctx.ks.PutMeta(ctx.db, key, meta, /*created=*/false);
    return true;
  };
  if (resp::EqualsIgnoreCase(sub, "getreg")) {
    if (sparse && !to_dense()) return;
    ctx.out.ArrayHeader(hll::kRegisters);
    for (int i = 0; i < hll::kRegisters; ++i) {
      ctx.out.Integer(hll::DenseRegister(meta.payload, i));
    }
  } else if (resp::EqualsIgnoreCase(sub, "decode")) {
    if (!sparse) {
      ctx.out.Error("ERR HLL encoding is not sparse");
      return;
    }
    ctx.out.Bulk(hll::DecodeSparse(meta.payload));
  } else if (resp::EqualsIgnoreCase(sub, "encoding")) {
    ctx.out.SimpleString(sparse ? "sparse" : "dense");
  } else if (resp::EqualsIgnoreCase(sub, "todense")) {
    if (sparse && !to_dense()) return;
    ctx.out.Integer(sparse ? 1 : 0);
  } else {
    ctx.out.Error("ERR Unknown PFDEBUG subcommand '" + std::string(sub) + "'");
  }
}

void PfSelfTest(CommandContext& ctx) {
  const std::string error = hll::SelfTest(SparseMaxBytes(ctx));
  if (error.empty()) {
    ctx.out.Ok();
  } else {
    ctx.out.Error(error);
  }
}

}  // namespace

std::span<const LocalCommandDef> HyperLogLogCommands() {
  static const LocalCommandDef kRows[] = {
      {"pfadd", &PfAdd},     {"pfcount", &PfCount},       {"pfdebug", &PfDebug},
      {"pfmerge", &PfMerge}, {"pfselftest", &PfSelfTest},
  };
  return kRows;
}

}  // namespace respite::storage
