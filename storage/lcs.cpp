// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common subsequence of
// two strings, as Redis 7.0 computes it (the same dynamic-programming table and the same walk back
// from the end, so ties pick the same subsequence and IDX lists the same ranges, last first).
// A missing key reads as "". A read: nothing is journaled.

#include <algorithm>
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

// One matching range: positions in a and in b (inclusive), walked back from the end.
struct Match {
  uint32_t a_start, a_end, b_start, b_end;
};

void Lcs(CommandContext& ctx) {
  std::string values[2];
  for (int i = 0; i < 2; ++i) {
    MetaValue meta;
    if (Status s = ctx.ks.Lookup(ctx.db, ctx.argv[1 + i], &meta); !s.ok()) {
      ctx.Fail(s);
      return;
    }
    if (meta.type != Type::kNone && meta.type != Type::kString) {
      ctx.out.Error("ERR The specified keys must contain string values");
      return;
    }
    values[i] = std::move(meta.payload);
  }
  bool get_len = false, get_idx = false, with_match_len = false;
  int64_t min_match_len = 0;
  for (size_t j = 3; j < ctx.argv.size(); ++j) {
    const std::string_view opt = ctx.argv[j];
    const bool more = j + 1 < ctx.argv.size();
    if (EqualsIgnoreCase(opt, "idx")) {
      get_idx = true;
    } else if (EqualsIgnoreCase(opt, "len")) {
      get_len = true;
    } else if (EqualsIgnoreCase(opt, "withmatchlen")) {
      with_match_len = true;
    } else if (EqualsIgnoreCase(opt, "minmatchlen") && more) {
      if (!ParseInt64(ctx.argv[j + 1], &min_match_len)) {
        ctx.NotInteger();
        return;
      }
      if (min_match_len < 0) min_match_len = 0;
      ++j;
    } else {
      ctx.SyntaxError();
      return;
    }
  }
  if (get_len && get_idx) {
    ctx.out.Error("ERR If you want both the length and indexes, please just use IDX.");
    return;
  }
  const std::string& a = values[0];
  const std::string& b = values[1];
  if (a.size() >= UINT32_MAX - 1 || b.size() >= UINT32_MAX - 1) {
    ctx.out.Error("ERR String too long for LCS");
    return;
  }
  const auto alen = static_cast<uint32_t>(a.size());
  const auto blen = static_cast<uint32_t>(b.size());
  const uint64_t cells = (uint64_t{alen} + 1) * (uint64_t{blen} + 1);
  const int64_t max_bulk =
      ctx.config != nullptr ? ctx.config->IntValue("proto-max-bulk-len") : 512ll << 20;
  if (cells * sizeof(uint32_t) > static_cast<uint64_t>(max_bulk)) {
    ctx.out.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return;
  }
  std::vector<uint32_t> table(cells, 0);
  auto at = [&](uint32_t i, uint32_t j) -> uint32_t& {
    return table[j + i * (uint64_t{blen} + 1)];
  };
  for (uint32_t i = 1; i <= alen; ++i) {
    for (uint32_t j = 1; j <= blen; ++j) {
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }
  const uint32_t total = at(alen, blen);
  const bool compute = get_idx || !get_len;
  std::string result(compute ? total : 0, '\0');
  std::vector<Match> matches;
  uint32_t idx = total;
  uint32_t a_start = alen, a_end = 0, b_start = 0, b_end = 0;  // a_start == alen: no range open
  for (uint32_t i = alen, j = blen; compute && i > 0 && j > 0;) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (a_start == alen) {
        a_start = a_end = i - 1;
        b_start = b_end = j - 1;
      } else if (a_start == i && b_start == j) {
        --a_start;
        --b_start;
      } else {
        emit = true;
      }
      if (a_start == 0 || b_start == 0) emit = true;
      --idx;
      --i;
      --j;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (a_start != alen) emit = true;
    }
    if (emit) {
      const uint32_t len = a_end - a_start + 1;
      if (min_match_len == 0 || len >= min_match_len) {
        matches.push_back(Match{a_start, a_end, b_start, b_end});
      }
      a_start = alen;
    }
  }
  if (get_idx) {
    ctx.out.MapHeader(2);
    ctx.out.Bulk("matches");
    ctx.out.ArrayHeader(matches.size());
    for (const Match& m : matches) {
      ctx.out.ArrayHeader(with_match_len ? 3 : 2);
      ctx.out.ArrayHeader(2);
      ctx.out.Integer(m.a_start);
      ctx.out.Integer(m.a_end);
      ctx.out.ArrayHeader(2);
      ctx.out.Integer(m.b_start);
      ctx.out.Integer(m.b_end);
      if (with_match_len) ctx.out.Integer(m.a_end - m.a_start + 1);
    }
    ctx.out.Bulk("len");
    ctx.out.Integer(total);
  } else if (get_len) {
    ctx.out.Integer(total);
  } else {
    ctx.out.Bulk(result);
  }
}

}  // namespace

std::span<const LocalCommandDef> LcsCommands() {
  static const LocalCommandDef kRows[] = {
      {"lcs", &Lcs},
  };
  return kRows;
}

}  // namespace respite::storage
