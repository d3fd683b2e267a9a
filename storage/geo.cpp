// The geo family on sorted sets, as Redis 7.0's geo.c behaves: GEOADD, GEODIST, GEOHASH, GEOPOS,
// GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and their _RO forms. A member's score is
// its 52-bit geohash (geohash.h); searches scan the same nine cells Redis scans, in the same order,
// each in score order, so unsorted replies come in Redis' order too. ASC/DESC sort stably by
// distance (as glibc's qsort does), or with COUNT below the number of matches by Redis' partial
// quicksort, so members at exactly equal distances come in Redis' order as well.
//
// Journal: GEOADD as the ZADD Redis turns it into (the computed scores, so replay does not
// recompute), and only when it changed something. GEOSEARCHSTORE and GEORADIUS ... STORE|STOREDIST
// as their effect: DEL destination then ZADD destination of the stored scores (in chunks), one
// group; an empty result as DEL alone when the destination existed.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "resp/ascii.h"
#include "storage/command_context.h"
#include "storage/geohash.h"
#include "storage/numbers.h"
#include "storage/zset_internal.h"

namespace respite::storage {
namespace {

using resp::EqualsIgnoreCase;

// ZADD entries of a journaled store hold at most this many members each.
constexpr size_t kJournalChunk = 1000;

// Parses a longitude and latitude; false after replying the error.
bool ParseLonLat(CommandContext& ctx, std::string_view lon_text, std::string_view lat_text,
                 double* lon, double* lat) {
  if (!ParseDouble(lon_text, lon) || !ParseDouble(lat_text, lat)) {
    ctx.NotFloat();
    return false;
  }
  if (!geo::ValidLonLat(*lon, *lat)) {
    char buf[700];
    std::snprintf(buf, sizeof(buf), "ERR invalid longitude,latitude pair %f,%f", *lon, *lat);
    ctx.out.Error(buf);
    return false;
  }
  return true;
}

// The unit's size in meters; false after replying the error.
bool ParseUnit(CommandContext& ctx, std::string_view unit, double* to_meters) {
  if (EqualsIgnoreCase(unit, "m")) {
    *to_meters = 1;
  } else if (EqualsIgnoreCase(unit, "km")) {
    *to_meters = 1000;
  } else if (EqualsIgnoreCase(unit, "ft")) {
    *to_meters = 0.3048;
  } else if (EqualsIgnoreCase(unit, "mi")) {
    *to_meters = 1609.34;
  } else {
    ctx.out.Error("ERR unsupported unit provided. please use M, KM, FT, MI");
    return false;
  }
  return true;
}

// <radius> <unit>.
bool ParseRadius(CommandContext& ctx, std::string_view radius, std::string_view unit,
                 geo::Shape* shape) {
  if (!ParseDouble(radius, &shape->radius)) {
    ctx.out.Error("ERR need numeric radius");
    return false;
  }
  if (shape->radius < 0) {
    ctx.out.Error("ERR radius cannot be negative");
    return false;
  }
  shape->box = false;
  return ParseUnit(ctx, unit, &shape->to_meters);
}

// <width> <height> <unit>.
bool ParseBox(CommandContext& ctx, std::string_view width, std::string_view height,
              std::string_view unit, geo::Shape* shape) {
  if (!ParseDouble(width, &shape->width)) {
    ctx.out.Error("ERR need numeric width");
    return false;
  }
  if (!ParseDouble(height, &shape->height)) {
    ctx.out.Error("ERR need numeric height");
    return false;
  }
  if (shape->height < 0 || shape->width < 0) {
    ctx.out.Error("ERR height or width cannot be negative");
    return false;
  }
  shape->box = true;
  return ParseUnit(ctx, unit, &shape->to_meters);
}

// A coordinate as Redis replies it: %.17Lf without trailing zeros; a RESP3 double.
void ReplyCoordinate(CommandContext& ctx, double v) {
  const std::string text = FormatLongDouble(v);
  if (ctx.out.protocol() >= 3) {
    ctx.out.Raw("," + text + "\r\n");
  } else {
    ctx.out.Bulk(text);
  }
}

// The position of `member`; *found false when the set (or the member) is missing.
bool MemberPosition(CommandContext& ctx, std::string_view key, const MetaValue& meta,
                    std::string_view member, double* score, bool* found) {
  *found = false;
  if (meta.type == Type::kNone) return true;
  if (Status s = zset::GetScore(ctx, key, meta, member, score, found); !s.ok()) {
    ctx.Fail(s);
    return false;
  }
  return true;
}

// GEOADD key [NX|XX] [CH] longitude latitude member [...]: the ZADD of the computed scores.
void GeoAdd(CommandContext& ctx) {
  ctx.NoJournal();
  const auto& argv = ctx.argv;
  bool nx = false;
  bool xx = false;
  size_t first = 2;
  for (; first < argv.size(); ++first) {
    if (EqualsIgnoreCase(argv[first], "nx")) {
      nx = true;
    } else if (EqualsIgnoreCase(argv[first], "xx")) {
      xx = true;
    } else if (!EqualsIgnoreCase(argv[first], "ch")) {
      break;
    }
  }
  if ((argv.size() - first) % 3 != 0 || (xx && nx)) {
    ctx.SyntaxError();
    return;
  }
  std::vector<std::string> zadd(argv.begin(), argv.begin() + static_cast<ptrdiff_t>(first));
  zadd[0] = "ZADD";
  for (size_t i = first; i < argv.size(); i += 3) {
    double lon = 0;
    double lat = 0;
    if (!ParseLonLat(ctx, argv[i], argv[i + 1], &lon, &lat)) return;
    zadd.push_back(std::to_string(geo::ScoreOf(lon, lat)));
    zadd.emplace_back(argv[i + 2]);
  }
  static const LocalHandler zadd_handler = [] {
    for (const LocalCommandDef& row : ZSetCommands()) {
      if (row.name == "zadd") return row.handler;
    }
    return LocalHandler{nullptr};
  }();
  const std::vector<std::string_view> views(zadd.begin(), zadd.end());
  CommandContext inner(views, ctx.out, ctx.ks, ctx.session, ctx.db);
  inner.in_script = ctx.in_script;
  zadd_handler(inner);
  if (inner.failed) {
    ctx.failed = true;
    return;
  }
  if (!inner.journal_none) {
    ctx.journal_none = false;
    ctx.JournalAs(std::move(zadd));
  }
}

// GEODIST key member1 member2 [unit].
void GeoDist(CommandContext& ctx) {
  double to_meters = 1;
  if (ctx.argv.size() == 5) {
    if (!ParseUnit(ctx, ctx.argv[4], &to_meters)) return;
  } else if (ctx.argv.size() > 5) {
    ctx.SyntaxError();
    return;
  }
  MetaValue meta;
  if (!zset::Lookup(ctx, ctx.argv[1], &meta)) return;
  double a = 0;
  double b = 0;
  bool found_a = false;
  bool found_b = false;
  if (!MemberPosition(ctx, ctx.argv[1], meta, ctx.argv[2], &a, &found_a)) return;
  if (found_a && !MemberPosition(ctx, ctx.argv[1], meta, ctx.argv[3], &b, &found_b)) return;
  if (!found_a || !found_b) {
    ctx.out.Null();
    return;
  }
  double lon1 = 0;
  double lat1 = 0;
  double lon2 = 0;
  double lat2 = 0;
  geo::DecodeScore(a, &lon1, &lat1);
  geo::DecodeScore(b, &lon2, &lat2);
  ctx.out.Bulk(geo::FormatDistance(geo::Distance(lon1, lat1, lon2, lat2) / to_meters));
}

// GEOHASH key member [...] and GEOPOS key member [...].
void HashOrPos(CommandContext& ctx, bool pos) {
  MetaValue meta;
  if (!zset::Lookup(ctx, ctx.argv[1], &meta)) return;
  std::vector<double> scores(ctx.argv.size() - 2);
  std::vector<bool> present(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) {
    bool found = false;
    if (!MemberPosition(ctx, ctx.argv[1], meta, ctx.argv[i + 2], &scores[i], &found)) return;
    present[i] = found;
  }
  ctx.out.ArrayHeader(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) {
    if (!present[i]) {
      pos ? ctx.out.NullArray() : ctx.out.Null();
    } else if (!pos) {
      ctx.out.Bulk(geo::HashString(scores[i]));
    } else {
      double lon = 0;
      double lat = 0;
      geo::DecodeScore(scores[i], &lon, &lat);
      ctx.out.ArrayHeader(2);
      ReplyCoordinate(ctx, lon);
      ReplyCoordinate(ctx, lat);
    }
  }
}

void GeoHash(CommandContext& ctx) { HashOrPos(ctx, /*pos=*/false); }
void GeoPos(CommandContext& ctx) { HashOrPos(ctx, /*pos=*/true); }

// Which search command runs (Redis' georadiusGeneric flags).
enum class Search { kRadius, kRadiusByMember, kSearch, kSearchStore };

enum class Order { kNone, kAsc, kDesc };

struct SearchRequest {
  geo::Shape shape;
  bool read_only = false;  // the _RO forms: no STORE
  bool with_dist = false;
  bool with_hash = false;
  bool with_coord = false;
  bool any = false;
  bool store_dist = false;
  bool from_member = false;
  bool from_lonlat = false;
  bool by_radius = false;
  bool by_box = false;
  Order order = Order::kNone;
  int64_t count = 0;  // 0: unlimited
  std::string_view store_key;
  bool store = false;
};

struct Point {
  std::string member;
  double score = 0;
  double lon = 0;
  double lat = 0;
  double dist = 0;
};

// Parses the options from argv[first] in order, raising each argument's error as Redis meets it;
// then the checks of combinations. False after replying an error.
bool ParseSearchOptions(CommandContext& ctx, Search kind, size_t first, const MetaValue& meta,
                        std::string_view key, SearchRequest* req) {
  const auto& argv = ctx.argv;
  const bool search = kind == Search::kSearch || kind == Search::kSearchStore;
  for (size_t i = first; i < argv.size(); ++i) {
    const std::string_view arg = argv[i];
    const size_t left = argv.size() - i - 1;  // arguments after this one
    if (EqualsIgnoreCase(arg, "withdist")) {
      req->with_dist = true;
    } else if (EqualsIgnoreCase(arg, "withhash")) {
      req->with_hash = true;
    } else if (EqualsIgnoreCase(arg, "withcoord")) {
      req->with_coord = true;
    } else if (EqualsIgnoreCase(arg, "any")) {
      req->any = true;
    } else if (EqualsIgnoreCase(arg, "asc")) {
      req->order = Order::kAsc;
    } else if (EqualsIgnoreCase(arg, "desc")) {
      req->order = Order::kDesc;
    } else if (EqualsIgnoreCase(arg, "count") && left >= 1) {
      if (!ParseInt64(argv[i + 1], &req->count)) {
        ctx.NotInteger();
        return false;
      }
      if (req->count <= 0) {
        ctx.out.Error("ERR COUNT must be > 0");
        return false;
      }
      ++i;
    } else if ((EqualsIgnoreCase(arg, "store") || EqualsIgnoreCase(arg, "storedist")) &&
               left >= 1 && !req->read_only && !search) {
      req->store = true;
      req->store_key = argv[i + 1];
      req->store_dist = EqualsIgnoreCase(arg, "storedist");
      ++i;
    } else if (EqualsIgnoreCase(arg, "storedist") && kind == Search::kSearchStore) {
      req->store_dist = true;
    } else if (EqualsIgnoreCase(arg, "frommember") && left >= 1 && search && !req->from_lonlat) {
      if (meta.type != Type::kNone) {
        double score = 0;
        bool found = false;
        if (!MemberPosition(ctx, key, meta, argv[i + 1], &score, &found)) return false;
        if (!found) {
          ctx.out.Error("ERR could not decode requested zset member");
          return false;
        }
        geo::DecodeScore(score, &req->shape.lon, &req->shape.lat);
      }
      req->from_member = true;
      ++i;
    } else if (EqualsIgnoreCase(arg, "fromlonlat") && left >= 2 && search && !req->from_member) {
      if (!ParseLonLat(ctx, argv[i + 1], argv[i + 2], &req->shape.lon, &req->shape.lat)) {
        return false;
      }
      req->from_lonlat = true;
      i += 2;
    } else if (EqualsIgnoreCase(arg, "byradius") && left >= 2 && search && !req->by_box) {
      if (!ParseRadius(ctx, argv[i + 1], argv[i + 2], &req->shape)) return false;
      req->by_radius = true;
      i += 2;
    } else if (EqualsIgnoreCase(arg, "bybox") && left >= 3 && search && !req->by_radius) {
      if (!ParseBox(ctx, argv[i + 1], argv[i + 2], argv[i + 3], &req->shape)) return false;
      req->by_box = true;
      i += 3;
    } else {
      ctx.SyntaxError();
      return false;
    }
  }
  if (req->store && (req->with_dist || req->with_hash || req->with_coord)) {
    ctx.out.Error(kind == Search::kSearchStore
                      ? "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and "
                        "WITHCOORD options"
                      : "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH "
                        "and WITHCOORD options");
    return false;
  }
  if (search && !(req->from_member || req->from_lonlat)) {
    ctx.out.Error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " +
                  std::string(argv[0]));
    return false;
  }
  if (search && !(req->by_radius || req->by_box)) {
    ctx.out.Error("ERR exactly one of BYRADIUS and BYBOX can be specified for " +
                  std::string(argv[0]));
    return false;
  }
  if (req->any && req->count == 0) {
    ctx.out.Error("ERR the ANY argument requires COUNT argument");
    return false;
  }
  return true;
}

// The members within the shape, cell by cell as Redis visits them; stops at `limit` matches
// (0: no limit).
Status Collect(CommandContext& ctx, std::string_view key, const MetaValue& meta,
               const geo::Shape& shape, uint64_t limit, std::vector<Point>* out) {
  const std::array<geo::Cell, 9> cells = geo::SearchCells(shape);
  const auto full = [&] { return limit != 0 && out->size() >= limit; };
  zset::ScoreWalker walker(ctx, key, meta);
  // Redis skips a cell equal to the last one it scanned, though never to the center's (a huge
  // radius makes neighbours coincide).
  size_t last = 0;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].none()) continue;
    if (last != 0 && cells[i].bits == cells[last].bits && cells[i].step == cells[last].step) {
      continue;
    }
    if (full()) break;
    const auto min = static_cast<double>(geo::Align52(cells[i]));
    const auto max = static_cast<double>(geo::Align52(geo::Cell{cells[i].bits + 1, cells[i].step}));
    for (walker.SeekScore(min); walker.Valid() && walker.score() < max; walker.Next()) {
      Point p;
      if (geo::WithinShape(shape, walker.score(), &p.lon, &p.lat, &p.dist)) {
        p.member = walker.member();
        p.score = walker.score();
        out->push_back(std::move(p));
      }
      if (full()) break;
    }
    if (Status s = walker.status(); !s.ok()) return s;
    last = i;
  }
  return Status::Ok();
}

// Replaces `dst` with the sorted set of `points` (or deletes it for none), journaled as its effect.
void StorePoints(CommandContext& ctx, std::string_view dst, const std::vector<Point>& points,
                 bool store_dist, double to_meters) {
  MetaValue old;
  if (Status s = ctx.ks.Lookup(ctx.db, dst, &old); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  const bool existed = old.type != Type::kNone;
  std::vector<zset::Entry> entries;
  entries.reserve(points.size());
  for (const Point& p : points) {
    entries.push_back(zset::Entry{p.member, store_dist ? p.dist / to_meters : p.score});
  }
  zset::StoreEntries(ctx, dst, existed, entries);
  if (existed) ctx.JournalAs({"DEL", std::string(dst)});
  std::vector<std::string> entry;
  for (const zset::Entry& e : entries) {
    if (entry.empty()) entry = {"ZADD", std::string(dst)};
    entry.push_back(FormatScore(e.score));
    entry.push_back(e.member);
    if ((entry.size() - 2) / 2 == kJournalChunk) {
      ctx.JournalAs(std::move(entry));
      entry.clear();
    }
  }
  if (!entry.empty()) ctx.JournalAs(std::move(entry));
  if (ctx.journal->empty()) ctx.NoJournal();
  ctx.out.Integer(static_cast<int64_t>(points.size()));
}

void ReplyPoints(CommandContext& ctx, const SearchRequest& req, std::vector<Point>& points) {
  const size_t options =
      (req.with_dist ? 1 : 0) + (req.with_hash ? 1 : 0) + (req.with_coord ? 1 : 0);
  ctx.out.ArrayHeader(points.size());
  for (const Point& p : points) {
    if (options > 0) ctx.out.ArrayHeader(options + 1);
    ctx.out.Bulk(p.member);
    if (req.with_dist) ctx.out.Bulk(geo::FormatDistance(p.dist / req.shape.to_meters));
    if (req.with_hash) ctx.out.Integer(static_cast<int64_t>(p.score));
    if (req.with_coord) {
      ctx.out.ArrayHeader(2);
      ReplyCoordinate(ctx, p.lon);
      ReplyCoordinate(ctx, p.lat);
    }
  }
}

// Sorts v so that at least positions [keep_lo, keep_hi] hold what a full sort puts there, as
// Redis' pqsort does it (a Bentley-McIlroy quicksort with three-way partitioning that skips the
// parts outside the kept range), so that members at equal distances come in Redis' order.
// `cmp` returns <0, 0 or >0.
template <typename Compare>
void PartialSort(std::vector<Point>& v, const Compare& cmp, size_t keep_lo, size_t keep_hi) {
  const auto less = [&](size_t i, size_t j) { return cmp(v[i], v[j]); };
  const auto swap = [&](size_t i, size_t j) { std::swap(v[i], v[j]); };
  const auto swap_run = [&](size_t i, size_t j, size_t n) {
    for (size_t k = 0; k < n; ++k) swap(i + k, j + k);
  };
  const auto median = [&](size_t a, size_t b, size_t c) {
    return less(a, b) < 0 ? (less(b, c) < 0 ? b : (less(a, c) < 0 ? c : a))
                          : (less(b, c) > 0 ? b : (less(a, c) < 0 ? a : c));
  };
  const auto overlaps = [&](size_t lo, size_t n) {
    const size_t hi = lo + n - 1;
    return !((keep_lo < lo && keep_hi < lo) || (keep_lo > hi && keep_hi > hi));
  };
  // Explicit stack instead of recursion; the left part first, as Redis recurses into it first.
  std::vector<std::pair<size_t, size_t>> todo = {{0, v.size()}};
  while (!todo.empty()) {
    auto [a, n] = todo.back();
    todo.pop_back();
    while (true) {
      if (n < 7) {
        for (size_t m = a + 1; m < a + n; ++m) {
          for (size_t l = m; l > a && less(l - 1, l) > 0; --l) swap(l, l - 1);
        }
        break;
      }
      size_t pm = a + n / 2;
      if (n > 7) {
        size_t pl = a;
        size_t pn = a + n - 1;
        if (n > 40) {
          const size_t d = n / 8;
          pl = median(pl, pl + d, pl + 2 * d);
          pm = median(pm - d, pm, pm + d);
          pn = median(pn - 2 * d, pn - d, pn);
        }
        pm = median(pl, pm, pn);
      }
      swap(a, pm);
      size_t pa = a + 1;
      size_t pb = a + 1;
      size_t pc = a + n - 1;
      size_t pd = a + n - 1;
      while (true) {
        int c = 0;
        while (pb <= pc && (c = less(pb, a)) <= 0) {
          if (c == 0) swap(pa++, pb);
          ++pb;
        }
        while (pb <= pc && (c = less(pc, a)) >= 0) {
          if (c == 0) swap(pc, pd--);
          --pc;
        }
        if (pb > pc) break;
        swap(pb++, pc--);
      }
      const size_t end = a + n;
      size_t r = std::min(pa - a, pb - pa);
      swap_run(a, pb - r, r);
      r = std::min(pd - pc, end - pd - 1);
      swap_run(pb, end - r, r);
      const size_t left = pb - pa;
      const size_t right = pd - pc;
      const bool do_left = left > 1 && overlaps(a, left);
      const bool do_right = right > 1 && overlaps(end - right, right);
      if (do_right && do_left) todo.emplace_back(end - right, right);
      if (do_left) {
        n = left;
      } else if (do_right) {
        a = end - right;
        n = right;
      } else {
        break;
      }
    }
  }
}

void SearchGeneric(CommandContext& ctx, Search kind, bool read_only) {
  ctx.NoJournal();
  const auto& argv = ctx.argv;
  const size_t src = kind == Search::kSearchStore ? 2 : 1;
  const std::string_view key = argv[src];
  MetaValue meta;
  if (!zset::Lookup(ctx, key, &meta)) return;
  SearchRequest req;
  req.read_only = read_only;
  size_t first = 0;
  switch (kind) {
    case Search::kRadius:
      first = 6;
      if (!ParseLonLat(ctx, argv[2], argv[3], &req.shape.lon, &req.shape.lat)) return;
      if (!ParseRadius(ctx, argv[4], argv[5], &req.shape)) return;
      break;
    case Search::kRadiusByMember:
      first = 5;
      // A missing key: nothing to search, so neither the member nor the radius is read.
      if (meta.type != Type::kNone) {
        double score = 0;
        bool found = false;
        if (!MemberPosition(ctx, key, meta, argv[2], &score, &found)) return;
        if (!found) {
          ctx.out.Error("ERR could not decode requested zset member");
          return;
        }
        geo::DecodeScore(score, &req.shape.lon, &req.shape.lat);
        if (!ParseRadius(ctx, argv[3], argv[4], &req.shape)) return;
      }
      break;
    case Search::kSearch:
      first = 2;
      break;
    case Search::kSearchStore:
      first = 3;
      req.store = true;
      req.store_key = argv[1];
      break;
  }
  if (!ParseSearchOptions(ctx, kind, first, meta, key, &req)) return;

  std::vector<Point> points;
  if (meta.type != Type::kNone) {
    if (req.count != 0 && req.order == Order::kNone && !req.any) req.order = Order::kAsc;
    const uint64_t limit = req.any ? static_cast<uint64_t>(req.count) : 0;
    if (Status s = Collect(ctx, key, meta, req.shape, limit, &points); !s.ok()) {
      ctx.Fail(s);
      return;
    }
    if (req.order != Order::kNone) {
      const int sign = req.order == Order::kAsc ? 1 : -1;
      const auto cmp = [sign](const Point& a, const Point& b) {
        return sign * (a.dist > b.dist ? 1 : a.dist == b.dist ? 0 : -1);
      };
      if (req.count == 0 || points.size() <= static_cast<uint64_t>(req.count)) {
        // glibc's qsort, which Redis uses for a full sort, is a stable merge sort.
        std::stable_sort(points.begin(), points.end(),
                         [&](const Point& a, const Point& b) { return cmp(a, b) < 0; });
      } else {
        PartialSort(points, cmp, 0, static_cast<size_t>(req.count) - 1);
      }
    }
    if (req.count != 0 && points.size() > static_cast<uint64_t>(req.count)) {
      points.resize(static_cast<size_t>(req.count));
    }
  }
  if (req.store) {
    StorePoints(ctx, req.store_key, points, req.store_dist, req.shape.to_meters);
  } else {
    ReplyPoints(ctx, req, points);
  }
}

void GeoRadius(CommandContext& ctx) { SearchGeneric(ctx, Search::kRadius, false); }
void GeoRadiusRo(CommandContext& ctx) { SearchGeneric(ctx, Search::kRadius, true); }
void GeoRadiusByMember(CommandContext& ctx) { SearchGeneric(ctx, Search::kRadiusByMember, false); }
void GeoRadiusByMemberRo(CommandContext& ctx) { SearchGeneric(ctx, Search::kRadiusByMember, true); }
void GeoSearch(CommandContext& ctx) { SearchGeneric(ctx, Search::kSearch, false); }
void GeoSearchStore(CommandContext& ctx) { SearchGeneric(ctx, Search::kSearchStore, false); }

}  // namespace

std::span<const LocalCommandDef> GeoCommands() {
  static const LocalCommandDef kRows[] = {
      {"geoadd", &GeoAdd},
      {"geodist", &GeoDist},
      {"geohash", &GeoHash},
      {"geopos", &GeoPos},
      {"georadius", &GeoRadius},
      {"georadius_ro", &GeoRadiusRo},
      {"georadiusbymember", &GeoRadiusByMember},
      {"georadiusbymember_ro", &GeoRadiusByMemberRo},
      {"geosearch", &GeoSearch},
      {"geosearchstore", &GeoSearchStore},
  };
  return kRows;
}

}  // namespace respite::storage
