#include "storage/subkeys.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "storage/glob.h"
#include "storage/numbers.h"

namespace respite::storage {
namespace {

// Up to this many entries, random picks are exactly uniform (the whole collection is read).
constexpr uint64_t kExactRandomLimit = 4096;
// Forward steps taken after a random seek, so members after small gaps are picked too.
constexpr uint64_t kSampleWalk = 64;
// Scan cursors remembered (one per page handed out; the oldest are forgotten first).
constexpr size_t kCursorCapacity = 4096;

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng;
}

uint64_t Uniform(uint64_t lo, uint64_t hi) {
  return std::uniform_int_distribution<uint64_t>(lo, hi)(Rng());
}

SubEntry EntryAt(const Iterator& it, std::string_view key) {
  return SubEntry{std::string(Keyspace::SubField(it.key(), key)), std::string(it.value())};
}

// Up to 8 bytes of `s` from `pos` as a big-endian integer, zero padded.
uint64_t BytesAt(std::string_view s, size_t pos) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) {
    const size_t at = pos + i;
    v = (v << 8) | (at < s.size() ? static_cast<unsigned char>(s[at]) : 0u);
  }
  return v;
}

// Picks entries of a large collection at random positions: a seek to a random point between
// the first and the last field, then a short random walk forward (wrapping to the first field).
class Sampler {
 public:
  Sampler(Keyspace& ks, int db, std::string_view key, const MetaValue& meta)
      : key_(key), prefix_(SubPrefix(db, key, meta.version)), it_(ks.IterateSubs(db, key, meta)) {}

  Status Init() {
    it_->SeekToFirst();
    if (!it_->Valid()) return it_->status().ok() ? Status::NotFound() : it_->status();
    first_.assign(Keyspace::SubField(it_->key(), key_));
    it_->SeekToLast();
    if (!it_->Valid()) return it_->status().ok() ? Status::NotFound() : it_->status();
    const std::string_view last = Keyspace::SubField(it_->key(), key_);
    while (common_ < first_.size() && common_ < last.size() && first_[common_] == last[common_]) {
      ++common_;
    }
    lo_ = BytesAt(first_, common_);
    hi_ = BytesAt(last, common_);
    return Status::Ok();
  }

  Status Pick(SubEntry* out) {
    const uint64_t point = Uniform(lo_, hi_);
    std::string target = prefix_;
    target.append(first_, 0, common_);
    for (int i = 7; i >= 0; --i) target.push_back(static_cast<char>((point >> (i * 8)) & 0xff));
    it_->Seek(target);
    if (!it_->Valid()) it_->SeekToFirst();
    for (uint64_t steps = Uniform(0, kSampleWalk - 1); steps > 0; --steps) {
      it_->Next();
      if (!it_->Valid()) it_->SeekToFirst();
    }
    if (!it_->Valid()) return it_->status().ok() ? Status::NotFound() : it_->status();
    *out = EntryAt(*it_, key_);
    return Status::Ok();
  }

 private:
  std::string_view key_;
  std::string prefix_;
  std::unique_ptr<Iterator> it_;
  std::string first_;
  size_t common_ = 0;
  uint64_t lo_ = 0;
  uint64_t hi_ = 0;
};

// Scan positions handed out as cursors. A cursor is [0][first 47 bits of the next field][16-bit
// tag]: never 0, and below 2^63 for clients that read cursors as signed integers. The table maps
// it to the exact next field of the collection it was issued for.
class CursorTable {
 public:
  uint64_t Issue(std::string owner, std::string_view next) {
    std::lock_guard<std::mutex> lock(mu_);
    if (++tag_ == 0) tag_ = 1;
    const uint64_t prefix47 = BytesAt(next, 0) >> 17;
    const uint64_t cursor = (prefix47 << 16) | tag_;
    if (entries_.size() >= kCursorCapacity && !order_.empty()) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
    const bool added =
        entries_.insert_or_assign(cursor, Entry{std::move(owner), std::string(next)}).second;
    if (added) order_.push_back(cursor);
    return cursor;
  }

  // The field a scan with `cursor` resumes at.
  std::string Resume(uint64_t cursor, std::string_view owner) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = entries_.find(cursor);
      if (it != entries_.end() && it->second.owner == owner) return it->second.next;
    }
    // Unknown cursor: the field prefix it carries, trailing zero bytes dropped so the resume
    // point is never past the field it was taken from.
    const uint64_t prefix = (cursor >> 16) << 17;
    std::string from;
    for (int i = 7; i >= 2; --i) from.push_back(static_cast<char>((prefix >> (i * 8)) & 0xff));
    while (!from.empty() && from.back() == '\0') from.pop_back();
    return from;
  }

 private:
  struct Entry {
    std::string owner;
    std::string next;
  };
  std::mutex mu_;
  std::unordered_map<uint64_t, Entry> entries_;
  std::deque<uint64_t> order_;
  uint16_t tag_ = 0;
};

CursorTable& Cursors() {
  static CursorTable table;
  return table;
}

// Which incarnation of which collection (of which store) a cursor belongs to.
std::string CursorOwner(const CommandContext& ctx, std::string_view key, const MetaValue& meta) {
  std::string owner = SubPrefix(ctx.db, key, meta.version);
  const auto store = reinterpret_cast<uintptr_t>(&ctx.ks);
  owner.append(reinterpret_cast<const char*>(&store), sizeof(store));
  return owner;
}

}  // namespace

bool IsOption(std::string_view arg, std::string_view name) {
  return arg.size() == name.size() &&
         std::equal(arg.begin(), arg.end(), name.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool LookupOfType(CommandContext& ctx, std::string_view key, Type type, MetaValue* meta) {
  if (Status s = ctx.ks.Lookup(ctx.db, key, meta); !s.ok()) {
    ctx.Fail(s);
    return false;
  }
  if (meta->type != Type::kNone && meta->type != type) {
    ctx.WrongType();
    return false;
  }
  return true;
}

MetaValue NewCollection(CommandContext& ctx, Type type) {
  MetaValue meta;
  meta.type = type;
  meta.version = ctx.ks.NewVersion();
  return meta;
}

Status FindSub(Keyspace& ks, int db, std::string_view key, const MetaValue& meta,
               std::string_view field, std::string* value, bool* found) {
  *found = false;
  if (meta.type == Type::kNone) return Status::Ok();
  Status s = ks.GetSub(db, key, meta, field, value);
  if (s.not_found()) return Status::Ok();
  if (!s.ok()) return s;
  *found = true;
  return Status::Ok();
}

Status ReadAllSubs(Keyspace& ks, int db, std::string_view key, const MetaValue& meta,
                   std::vector<SubEntry>* out) {
  out->clear();
  out->reserve(meta.size);
  auto it = ks.IterateSubs(db, key, meta);
  for (it->SeekToFirst(); it->Valid(); it->Next()) out->push_back(EntryAt(*it, key));
  return it->status();
}

Status RandomSubs(Keyspace& ks, int db, std::string_view key, const MetaValue& meta, int64_t count,
                  std::vector<SubEntry>* out) {
  out->clear();
  if (count == 0 || meta.size == 0) return Status::Ok();
  const bool distinct = count > 0;
  const uint64_t want = distinct ? static_cast<uint64_t>(count) : 0 - static_cast<uint64_t>(count);
  const uint64_t size = meta.size;
  if (distinct && want >= size) return ReadAllSubs(ks, db, key, meta, out);
  // Redis would try to send 2^62 picks and hang; refuse clearly instead of exhausting memory.
  constexpr uint64_t kMaxRepeatedPicks = 10'000'000;
  if (!distinct && want > kMaxRepeatedPicks) {
    return Status::Invalid("a negative count asks for more than 10000000 random picks");
  }

  if (size > kExactRandomLimit && (distinct ? want * 3 <= size : want < size / 4)) {
    Sampler sampler(ks, db, key, meta);
    if (Status s = sampler.Init(); !s.ok()) return s.not_found() ? Status::Ok() : s;
    SubEntry entry;
    if (!distinct) {
      out->reserve(want);
      for (uint64_t i = 0; i < want; ++i) {
        if (Status s = sampler.Pick(&entry); !s.ok()) return s;
        out->push_back(entry);
      }
      return Status::Ok();
    }
    std::unordered_set<std::string> seen;
    for (uint64_t attempts = want * 20; out->size() < want && attempts > 0; --attempts) {
      if (Status s = sampler.Pick(&entry); !s.ok()) return s;
      if (seen.insert(entry.field).second) out->push_back(entry);
    }
    if (out->size() == want) return Status::Ok();
    out->clear();  // unlucky sampling: fall back to the exact way
  }

  std::vector<SubEntry> all;
  if (Status s = ReadAllSubs(ks, db, key, meta, &all); !s.ok()) return s;
  if (all.empty()) return Status::Ok();
  const uint64_t n = all.size();
  if (distinct) {
    const uint64_t take = std::min(want, n);
    for (uint64_t i = 0; i < take; ++i) std::swap(all[i], all[Uniform(i, n - 1)]);
    all.resize(take);
    *out = std::move(all);
  } else {
    out->reserve(want);
    for (uint64_t i = 0; i < want; ++i) out->push_back(all[Uniform(0, n - 1)]);
  }
  return Status::Ok();
}

bool ParseScanCursor(std::string_view s, uint64_t* out) {
  size_t i = 0;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    i = 1;
    if (s.size() == 1) return false;  // a sign alone: strtoul stops before it
  }
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;  // ERANGE
    v = v * 10 + digit;
  }
  *out = negative ? 0 - v : v;  // strtoul negates in unsigned arithmetic
  return true;
}

bool ParseScanOptions(CommandContext& ctx, size_t first, ScanOptions* out) {
  const auto& argv = ctx.argv;
  for (size_t i = first; i < argv.size();) {
    const bool has_value = argv.size() - i >= 2;
    if (has_value && IsOption(argv[i], "count")) {
      int64_t count = 0;
      if (!ParseInt64(argv[i + 1], &count)) {
        ctx.NotInteger();
        return false;
      }
      if (count < 1) {
        ctx.SyntaxError();
        return false;
      }
      out->count = count;
      i += 2;
    } else if (has_value && IsOption(argv[i], "match")) {
      out->pattern = argv[i + 1];
      out->use_pattern = !GlobMatchesAll(out->pattern);
      i += 2;
    } else {
      ctx.SyntaxError();
      return false;
    }
  }
  return true;
}

void ReplyEmptyScan(CommandContext& ctx) {
  ctx.out.ArrayHeader(2);
  ctx.out.Bulk("0");
  ctx.out.ArrayHeader(0);
}

Status ScanSubs(CommandContext& ctx, std::string_view key, const MetaValue& meta, uint64_t cursor,
                const ScanOptions& options, size_t compact_max, bool (*is_compact)(const SubEntry&),
                ScanPage* page) {
  page->entries.clear();
  page->next_cursor = 0;
  auto keep = [&](SubEntry&& entry) {
    if (!options.use_pattern || GlobMatch(options.pattern, entry.field)) {
      page->entries.push_back(std::move(entry));
    }
  };

  if (meta.size <= compact_max) {
    std::vector<SubEntry> all;
    if (Status s = ReadAllSubs(ctx.ks, ctx.db, key, meta, &all); !s.ok()) return s;
    if (all.size() <= compact_max && std::all_of(all.begin(), all.end(), is_compact)) {
      for (SubEntry& entry : all) keep(std::move(entry));
      return Status::Ok();
    }
  }

  std::string owner = CursorOwner(ctx, key, meta);
  std::string target = SubPrefix(ctx.db, key, meta.version);
  if (cursor != 0) target += Cursors().Resume(cursor, owner);
  auto it = ctx.ks.IterateSubs(ctx.db, key, meta);
  it->Seek(target);
  for (int64_t n = 0; it->Valid() && n < options.count; it->Next(), ++n) {
    keep(EntryAt(*it, key));
  }
  if (Status s = it->status(); !s.ok()) return s;
  if (it->Valid()) {
    page->next_cursor = Cursors().Issue(std::move(owner), Keyspace::SubField(it->key(), key));
  }
  return Status::Ok();
}

}  // namespace respite::storage
