// SORT and SORT_RO on lists, sets and sorted sets, as Redis 7.0's sort.c behaves:
//   SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
//        [STORE destination]
// Patterns replace the first '*' with the element and read a string key ("w_*") or a hash field
// ("h_*->field"); "#" is the element itself. BY without '*' means "do not sort": lists and sorted
// sets keep their order (DESC reverses it, LIMIT takes a range of it); a set keeps its own order,
// except under STORE or from a script, where it is sorted ALPHA so the result is deterministic.
// Equal numeric weights fall back to comparing the elements; the sort is stable otherwise (as
// glibc's qsort is), so ties under ALPHA BY keep the elements' order.
//
// ALPHA compares bytes up to the first NUL, which is Redis' strcoll() under the C locale (a server
// started with another LC_COLLATE may order non-ASCII bytes differently); with STORE it compares
// whole strings bytewise, as Redis does.
//
// Journal: SORT ... STORE is journaled as its effect, DEL destination then RPUSH destination of
// the result (in chunks), one group; an empty result as DEL alone when the destination existed.
// Its weights and GET values come from keys that may differ upstream, so the command itself would
// not replay what the client saw.

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "resp/ascii.h"
#include "storage/command_context.h"
#include "storage/keyspace.h"
#include "storage/local_config.h"
#include "storage/numbers.h"
#include "storage/subkeys.h"

namespace respite::storage {
namespace {

using resp::EqualsIgnoreCase;

// RPUSH entries of a journaled SORT ... STORE hold at most this many elements each.
constexpr size_t kJournalChunk = 1000;

struct SortRequest {
  bool desc = false;
  bool alpha = false;
  bool dontsort = false;
  int64_t limit_start = 0;
  int64_t limit_count = -1;
  std::optional<std::string_view> by;
  std::optional<std::string_view> store;
  std::vector<std::string_view> gets;
};

struct Item {
  explicit Item(std::string e) : element(std::move(e)) {}
  std::string element;
  double score = 0;
  std::optional<std::string> cmp;  // ALPHA BY: the weight, missing when the key is
};

// Parses the options from argv[2] on; on an error replies and returns false.
bool ParseRequest(CommandContext& ctx, bool readonly, SortRequest* req) {
  const auto& argv = ctx.argv;
  for (size_t j = 2; j < argv.size(); ++j) {
    const size_t left = argv.size() - j - 1;
    const std::string_view a = argv[j];
    if (EqualsIgnoreCase(a, "asc")) {
      req->desc = false;
    } else if (EqualsIgnoreCase(a, "desc")) {
      req->desc = true;
    } else if (EqualsIgnoreCase(a, "alpha")) {
      req->alpha = true;
    } else if (EqualsIgnoreCase(a, "limit") && left >= 2) {
      if (!ParseInt64(argv[j + 1], &req->limit_start) ||
          !ParseInt64(argv[j + 2], &req->limit_count)) {
        ctx.NotInteger();
        return false;
      }
      j += 2;
    } else if (!readonly && EqualsIgnoreCase(a, "store") && left >= 1) {
      req->store = argv[++j];
    } else if (EqualsIgnoreCase(a, "by") && left >= 1) {
      req->by = argv[++j];
      // Redis looks for '*' with strchr: a NUL byte ends the pattern.
      const std::string_view pattern = req->by->substr(0, req->by->find('\0'));
      req->dontsort = pattern.find('*') == std::string_view::npos;
    } else if (EqualsIgnoreCase(a, "get") && left >= 1) {
      req->gets.push_back(argv[++j]);
    } else {
      ctx.SyntaxError();
      return false;
    }
  }
  return true;
}

// Redis' lookupKeyByPattern: the value `pattern` names for `element` (*found false when there is
// none: no '*', a missing key, or a key of the wrong type).
Status LookupByPattern(CommandContext& ctx, std::string_view pattern, std::string_view element,
                       std::string* value, bool* found) {
  *found = false;
  if (pattern == "#") {
    *value = std::string(element);
    *found = true;
    return Status::Ok();
  }
  // strchr/strstr in Redis: the search ends at a NUL byte; the lengths do not.
  const std::string_view c_pattern = pattern.substr(0, pattern.find('\0'));
  const size_t star = c_pattern.find('*');
  if (star == std::string_view::npos) return Status::Ok();
  size_t arrow = c_pattern.find("->", star + 1);
  const bool is_field = arrow != std::string_view::npos && arrow + 2 < c_pattern.size();
  if (!is_field) arrow = pattern.size();
  std::string key;
  key.reserve(pattern.size() + element.size());
  key.append(pattern.substr(0, star));
  key.append(element);
  key.append(pattern.substr(star + 1, arrow - star - 1));
  MetaValue meta;
  if (Status s = ctx.ks.Lookup(ctx.db, key, &meta); !s.ok()) return s;
  if (is_field) {
    if (meta.type != Type::kHash) return Status::Ok();
    return FindSub(ctx.ks, ctx.db, key, meta, pattern.substr(arrow + 2), value, found);
  }
  if (meta.type != Type::kString) return Status::Ok();
  *value = meta.payload;
  *found = true;
  return Status::Ok();
}

// Redis' strtod check for numeric weights: the C string must parse whole, in range, not NaN.
bool ParseWeight(const std::string& text, double* out) {
  char* end = nullptr;
  errno = 0;
  *out = std::strtod(text.c_str(), &end);
  return *end == '\0' && errno != ERANGE && !std::isnan(*out);
}

// strcoll() under the C locale: bytes up to the first NUL.
int Collate(std::string_view a, std::string_view b) {
  a = a.substr(0, a.find('\0'));
  b = b.substr(0, b.find('\0'));
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

int Binary(std::string_view a, std::string_view b) {
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// A set's own order when it is not sorted: Redis' intset order (numeric) for a set it keeps as an
// intset, byte order otherwise (Redis: hash-table order, which no client can rely on).
void SetOrder(CommandContext& ctx, std::vector<Item>* items) {
  const int64_t intset_max =
      ctx.config != nullptr ? ctx.config->IntValue("set-max-intset-entries") : 512;
  std::vector<int64_t> values(items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    if (!ParseInt64((*items)[i].element, &values[i])) return;
  }
  if (static_cast<int64_t>(items->size()) > intset_max) return;
  std::vector<size_t> order(items->size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<Item> sorted;
  sorted.reserve(items->size());
  for (size_t i : order) sorted.push_back(std::move((*items)[i]));
  *items = std::move(sorted);
}

// Every element of the collection, in its own order (lists: head to tail; sorted sets: by score
// then member; sets: see SetOrder).
Status LoadItems(CommandContext& ctx, std::string_view key, const MetaValue& meta,
                 std::vector<Item>* items) {
  items->reserve(meta.size);
  if (meta.type == Type::kZSet) {
    auto it = ctx.ks.IterateScores(ctx.db, key, meta);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      double score = 0;
      std::string_view member;
      Keyspace::SplitScoreKey(it->key(), it->value(), key, &score, &member);
      items->emplace_back(std::string(member));
    }
    return it->status();
  }
  auto it = ctx.ks.IterateSubs(ctx.db, key, meta);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    items->emplace_back(
        std::string(meta.type == Type::kList ? it->value() : Keyspace::SubField(it->key(), key)));
  }
  if (Status s = it->status(); !s.ok()) return s;
  if (meta.type == Type::kSet) SetOrder(ctx, items);
  return Status::Ok();
}

// Loads the weights and sorts; sets *bad_weight when a numeric weight is not a number.
Status SortItems(CommandContext& ctx, const SortRequest& req, std::vector<Item>* items,
                 bool* bad_weight) {
  for (Item& item : *items) {
    std::string weight;
    bool found = true;
    if (req.by) {
      if (Status s = LookupByPattern(ctx, *req.by, item.element, &weight, &found); !s.ok()) {
        return s;
      }
      if (!found) continue;
    }
    if (req.alpha) {
      if (req.by) item.cmp = std::move(weight);
    } else if (!ParseWeight(req.by ? weight : item.element, &item.score)) {
      *bad_weight = true;
    }
  }
  const bool store = req.store.has_value();
  const bool by = req.by.has_value();
  auto compare = [&](const Item& a, const Item& b) {
    int c = 0;
    if (!req.alpha) {
      c = a.score > b.score ? 1 : (a.score < b.score ? -1 : Binary(a.element, b.element));
    } else if (by) {
      if (!a.cmp || !b.cmp) {
        c = a.cmp.has_value() == b.cmp.has_value() ? 0 : (!a.cmp ? -1 : 1);
      } else {
        c = store ? Binary(*a.cmp, *b.cmp) : Collate(*a.cmp, *b.cmp);
      }
    } else {
      c = store ? Binary(a.element, b.element) : Collate(a.element, b.element);
    }
    return (req.desc ? -c : c) < 0;
  };
  std::stable_sort(items->begin(), items->end(), compare);
  return Status::Ok();
}

// Replaces `dst` with a list of `values` (or deletes it for none), journaled as its effect.
void StoreResult(CommandContext& ctx, std::string_view dst,
                 const std::vector<std::string>& values) {
  MetaValue old;
  if (Status s = ctx.ks.Lookup(ctx.db, dst, &old); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  const bool existed = old.type != Type::kNone;
  if (existed) {
    ctx.ks.DeleteKey(ctx.db, dst);
    ctx.JournalAs({"DEL", std::string(dst)});
  }
  if (values.empty()) {
    if (!existed) ctx.NoJournal();
    ctx.out.Integer(0);
    return;
  }
  MetaValue meta = NewCollection(ctx, Type::kList);
  uint64_t tail = kListMiddle;
  std::vector<std::string> entry;
  for (const std::string& v : values) {
    std::string field;
    PutU64(&field, tail++);
    ctx.ks.PutSub(ctx.db, dst, meta, field, v);
    if (entry.empty()) entry = {"RPUSH", std::string(dst)};
    entry.push_back(v);
    if (entry.size() - 2 == kJournalChunk) {
      ctx.JournalAs(std::move(entry));
      entry.clear();
    }
  }
  if (!entry.empty()) ctx.JournalAs(std::move(entry));
  meta.size = values.size();
  meta.set_list_bounds(kListMiddle, tail);
  ctx.ks.PutMeta(ctx.db, dst, meta, /*created=*/true);
  ctx.out.Integer(static_cast<int64_t>(values.size()));
}

void SortGeneric(CommandContext& ctx, bool readonly) {
  SortRequest req;
  if (!ParseRequest(ctx, readonly, &req)) return;
  const std::string_view key = ctx.argv[1];
  MetaValue meta;
  if (Status s = ctx.ks.Lookup(ctx.db, key, &meta); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  if (meta.type != Type::kNone && meta.type != Type::kList && meta.type != Type::kSet &&
      meta.type != Type::kZSet) {
    ctx.WrongType();
    return;
  }
  if (req.dontsort && meta.type == Type::kSet && (req.store || ctx.in_script)) {
    // Redis sorts such a set ALPHA so that replicas and scripts see one order.
    req.dontsort = false;
    req.alpha = true;
    req.by.reset();
  }
  std::vector<Item> items;
  if (meta.type != Type::kNone) {
    if (Status s = LoadItems(ctx, key, meta, &items); !s.ok()) {
      ctx.Fail(s);
      return;
    }
  }
  // Redis' LIMIT arithmetic, clamped to the collection's size.
  const auto n = static_cast<int64_t>(items.size());
  int64_t start = std::min(std::max<int64_t>(req.limit_start, 0), n);
  const int64_t count = std::min(std::max<int64_t>(req.limit_count, -1), n);
  int64_t end = count < 0 ? n - 1 : start + count - 1;
  if (start >= n) {
    start = n - 1;
    end = n - 2;
  }
  if (end >= n) end = n - 1;

  bool bad_weight = false;
  if (!req.dontsort) {
    if (Status s = SortItems(ctx, req, &items, &bad_weight); !s.ok()) {
      ctx.Fail(s);
      return;
    }
  } else if (req.desc && meta.type != Type::kSet) {
    std::reverse(items.begin(), items.end());
  }
  if (bad_weight) {
    ctx.NoJournal();
    ctx.out.Error("ERR One or more scores can't be converted into double");
    return;
  }
  const size_t first = static_cast<size_t>(std::max<int64_t>(start, 0));
  const size_t last = end >= start ? static_cast<size_t>(end) + 1 : first;
  if (!req.store) {
    ctx.NoJournal();  // a read (a key that expired on the way is not journaled either)
    const size_t per_item = req.gets.empty() ? 1 : req.gets.size();
    ctx.out.ArrayHeader((last - first) * per_item);
    for (size_t i = first; i < last; ++i) {
      if (req.gets.empty()) ctx.out.Bulk(items[i].element);
      for (std::string_view pattern : req.gets) {
        std::string value;
        bool found = false;
        if (Status s = LookupByPattern(ctx, pattern, items[i].element, &value, &found); !s.ok()) {
          ctx.Fail(s);
          return;
        }
        if (found) {
          ctx.out.Bulk(value);
        } else {
          ctx.out.Null();
        }
      }
    }
    return;
  }
  std::vector<std::string> values;
  for (size_t i = first; i < last; ++i) {
    if (req.gets.empty()) values.push_back(std::move(items[i].element));
    for (std::string_view pattern : req.gets) {
      std::string value;
      bool found = false;
      if (Status s = LookupByPattern(ctx, pattern, items[i].element, &value, &found); !s.ok()) {
        ctx.Fail(s);
        return;
      }
      values.push_back(std::move(value));  // a missing value is stored as ""
    }
  }
  StoreResult(ctx, *req.store, values);
}

void Sort(CommandContext& ctx) { SortGeneric(ctx, /*readonly=*/false); }
void SortRo(CommandContext& ctx) { SortGeneric(ctx, /*readonly=*/true); }

}  // namespace

std::span<const LocalCommandDef> SortCommands() {
  static const LocalCommandDef kRows[] = {
      {"sort", &Sort},
      {"sort_ro", &SortRo},
  };
  return kRows;
}

}  // namespace respite::storage
