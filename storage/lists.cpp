// The list family. Items are subkeys keyed by an 8-byte big-endian position; the meta payload holds
// the head (first item) and tail (one past the last) positions and meta.size is tail - head, so the
// positions are always contiguous and item i sits at head + i (LINDEX, LSET and LRANGE seek
// directly). Pushes extend either end; removals in the middle (LREM, LINSERT) shift the shorter
// side. A list that loses its last item is deleted.
//
// Journal: pops are recorded as the removal of what they returned (LREM k 1 x from the head,
// LREM k -1 x from the tail), LMOVE/RPOPLPUSH as that LREM plus the push on the destination; a
// write that changed nothing records nothing. Blocking commands run as their non-blocking attempt
// and set ctx.would_block (writing no reply) when every key is empty.

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resp/ascii.h"
#include "storage/blocking.h"
#include "storage/command_context.h"
#include "storage/keyspace.h"
#include "storage/local_session.h"
#include "storage/numbers.h"
#include "storage/subkeys.h"

namespace respite::storage {
namespace {

using resp::EqualsIgnoreCase;

std::string PosField(uint64_t pos) {
  std::string field;
  PutU64(&field, pos);
  return field;
}

// The command changed data: journal it (write handlers start with ctx.NoJournal()).
void Changed(CommandContext& ctx) { ctx.journal_none = false; }

bool LookupList(CommandContext& ctx, std::string_view key, MetaValue* meta) {
  return LookupOfType(ctx, key, Type::kList, meta);
}

// The list a blocking command pops from. Run again after a wait, a key that now holds another
// type counts as missing: Redis serves a parked client only from a key of the type it waits for.
bool LookupSource(CommandContext& ctx, std::string_view key, MetaValue* meta) {
  if (!ctx.session.woken) return LookupList(ctx, key, meta);
  if (Status s = ctx.ks.Lookup(ctx.db, key, meta); !s.ok()) {
    ctx.Fail(s);
    return false;
  }
  if (meta->type != Type::kList) *meta = MetaValue{};
  return true;
}

// LEFT or RIGHT (any case); false for anything else.
bool ParseEnd(std::string_view s, bool* left) {
  if (EqualsIgnoreCase(s, "left")) {
    *left = true;
  } else if (EqualsIgnoreCase(s, "right")) {
    *left = false;
  } else {
    return false;
  }
  return true;
}

// Replies with the blocking timeout's error and returns false when `arg` is not a valid timeout.
bool CheckTimeout(CommandContext& ctx, std::string_view arg) {
  int64_t ms = 0;
  std::string_view error;
  if (ParseBlockTimeoutMs(arg, &ms, &error)) return true;
  ctx.out.Error(error);
  return false;
}

// Walks the items of one list by index, forward or backward, within the list's bounds. A gap in
// the positions (which the layout never leaves) reads as corruption.
class ItemWalker {
 public:
  ItemWalker(CommandContext& ctx, std::string_view key, const MetaValue& meta)
      : key_(key),
        prefix_(SubPrefix(ctx.db, key, meta.version)),
        head_(meta.list_head()),
        size_(meta.size),
        it_(ctx.ks.IterateSubs(ctx.db, key, meta)) {}

  // Starts at item `index` (< size) and moves toward the tail (forward) or the head.
  void Seek(uint64_t index, bool forward) {
    forward_ = forward;
    index_ = index;
    if (forward) {
      it_->Seek(prefix_ + PosField(head_ + index));
    } else {
      it_->SeekForPrev(prefix_ + PosField(head_ + index));
    }
    Check();
  }
  bool Valid() const { return valid_; }
  uint64_t index() const { return index_; }
  std::string_view value() const { return it_->value(); }
  void Next() {
    if (forward_) {
      it_->Next();
      ++index_;
    } else {
      it_->Prev();
      --index_;  // wraps past 0, which Check() reads as the end
    }
    Check();
  }
  Status status() const {
    if (!it_->status().ok()) return it_->status();
    return corrupt_ ? Status::Corruption("list item missing") : Status::Ok();
  }

 private:
  void Check() {
    valid_ = false;
    if (index_ >= size_) return;
    if (!it_->Valid()) {
      corrupt_ = true;
      return;
    }
    const std::string_view field = Keyspace::SubField(it_->key(), key_);
    if (field.size() != 8 || GetU64(field) != head_ + index_) {
      corrupt_ = true;
      return;
    }
    valid_ = true;
  }

  std::string_view key_;
  std::string prefix_;
  uint64_t head_;
  uint64_t size_;
  std::unique_ptr<Iterator> it_;
  bool forward_ = true;
  uint64_t index_ = 0;
  bool valid_ = false;
  bool corrupt_ = false;
};

// Pops of up to this many items read them one by one instead of with an iterator.
constexpr uint64_t kPointReadPops = 4;

// Reads the item at position `pos` (which the list's bounds say exists) with a point read.
Status ReadItemAt(CommandContext& ctx, std::string_view key, const MetaValue& meta, uint64_t pos,
                  std::string* value) {
  Status s = ctx.ks.GetSub(ctx.db, key, meta, PosField(pos), value);
  return s.not_found() ? Status::Corruption("list item missing") : s;
}

// Reads items [first, first + count) of a list, head to tail.
Status ReadItems(CommandContext& ctx, std::string_view key, const MetaValue& meta, uint64_t first,
                 uint64_t count, std::vector<std::string>* out) {
  out->clear();
  if (count == 0) return Status::Ok();
  ItemWalker walker(ctx, key, meta);
  for (walker.Seek(first, true); walker.Valid() && out->size() < count; walker.Next()) {
    out->emplace_back(walker.value());
  }
  if (Status s = walker.status(); !s.ok()) return s;
  return out->size() == count ? Status::Ok() : Status::Corruption("list item missing");
}

// Appends `values` at one end, one by one (LPUSH a b leaves b first), and writes the meta.
void PushItems(CommandContext& ctx, std::string_view key, MetaValue* meta, bool created, bool left,
               std::span<const std::string_view> values) {
  uint64_t head = created ? kListMiddle : meta->list_head();
  uint64_t tail = created ? kListMiddle : meta->list_tail();
  for (std::string_view v : values) {
    if (left) {
      ctx.ks.PutSub(ctx.db, key, *meta, PosField(--head), v);
    } else {
      ctx.ks.PutSub(ctx.db, key, *meta, PosField(tail++), v);
    }
  }
  meta->size += values.size();
  meta->set_list_bounds(head, tail);
  ctx.ks.PutMeta(ctx.db, key, *meta, created);
  Changed(ctx);
}

// Removes up to `count` items from one end of an existing list into *out (in pop order), deleting
// their subkeys and journaling each as LREM. Adjusts *meta in memory only; FinishPop writes it.
Status PopItems(CommandContext& ctx, std::string_view key, MetaValue* meta, bool left,
                uint64_t count, std::vector<std::string>* out) {
  out->clear();
  count = std::min(count, meta->size);
  if (count == 0) return Status::Ok();
  if (count <= kPointReadPops) {
    // A few items: point reads (bloom filters skip most files) cost less than an iterator, which
    // opens every level and seeks each.
    const uint64_t first = left ? meta->list_head() : meta->list_tail() - 1;
    for (uint64_t i = 0; i < count; ++i) {
      std::string value;
      if (Status s = ReadItemAt(ctx, key, *meta, left ? first + i : first - i, &value); !s.ok()) {
        return s;
      }
      out->push_back(std::move(value));
    }
  } else {
    ItemWalker walker(ctx, key, *meta);
    for (walker.Seek(left ? 0 : meta->size - 1, left); walker.Valid() && out->size() < count;
         walker.Next()) {
      out->emplace_back(walker.value());
    }
    if (Status s = walker.status(); !s.ok()) return s;
    if (out->size() != count) return Status::Corruption("list item missing");
  }
  uint64_t head = meta->list_head();
  uint64_t tail = meta->list_tail();
  for (const std::string& v : *out) {
    ctx.ks.DeleteSub(ctx.db, key, *meta, PosField(left ? head++ : --tail));
    ctx.JournalAs({"LREM", key, left ? "1" : "-1", v});
  }
  meta->size -= count;
  meta->set_list_bounds(head, tail);
  Changed(ctx);
  return Status::Ok();
}

// Writes a list's meta after pops, deleting the key when it became empty.
void FinishPop(CommandContext& ctx, std::string_view key, const MetaValue& meta) {
  if (meta.size == 0) {
    ctx.ks.DeleteKey(ctx.db, key);
  } else {
    ctx.ks.PutMeta(ctx.db, key, meta, /*created=*/false);
  }
}

void Push(CommandContext& ctx, bool left, bool only_existing) {
  ctx.NoJournal();
  const std::string_view key = ctx.argv[1];
  MetaValue meta;
  if (!LookupList(ctx, key, &meta)) return;
  const bool created = meta.type == Type::kNone;
  if (created && only_existing) {
    ctx.out.Integer(0);
    return;
  }
  if (created) meta = NewCollection(ctx, Type::kList);
  PushItems(ctx, key, &meta, created, left, ctx.argv.subspan(2));
  ctx.out.Integer(static_cast<int64_t>(meta.size));
}

void LPush(CommandContext& ctx) { Push(ctx, /*left=*/true, /*only_existing=*/false); }
void RPush(CommandContext& ctx) { Push(ctx, /*left=*/false, /*only_existing=*/false); }
void LPushX(CommandContext& ctx) { Push(ctx, /*left=*/true, /*only_existing=*/true); }
void RPushX(CommandContext& ctx) { Push(ctx, /*left=*/false, /*only_existing=*/true); }

// LPOP/RPOP key [count].
void Pop(CommandContext& ctx, bool left) {
  ctx.NoJournal();
  if (ctx.argv.size() > 3) {
    ctx.out.Error(left ? "ERR wrong number of arguments for 'lpop' command"
                       : "ERR wrong number of arguments for 'rpop' command");
    return;
  }
  const bool has_count = ctx.argv.size() == 3;
  int64_t count = 1;
  if (has_count && (!ParseInt64(ctx.argv[2], &count) || count < 0)) {
    ctx.out.Error("ERR value is out of range, must be positive");
    return;
  }
  const std::string_view key = ctx.argv[1];
  MetaValue meta;
  if (!LookupList(ctx, key, &meta)) return;
  if (meta.type == Type::kNone) {
    if (has_count) {
      ctx.out.NullArray();
    } else {
      ctx.out.Null();
    }
    return;
  }
  if (count == 0) {  // nothing popped: nothing written (no event, WATCH untouched)
    ctx.out.ArrayHeader(0);
    return;
  }
  std::vector<std::string> items;
  if (Status s = PopItems(ctx, key, &meta, left, static_cast<uint64_t>(count), &items); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  FinishPop(ctx, key, meta);
  if (!has_count) {
    ctx.out.Bulk(items.front());
    return;
  }
  ctx.out.ArrayHeader(items.size());
  for (const std::string& v : items) ctx.out.Bulk(v);
}

void LPop(CommandContext& ctx) { Pop(ctx, /*left=*/true); }
void RPop(CommandContext& ctx) { Pop(ctx, /*left=*/false); }

void LLen(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupList(ctx, ctx.argv[1], &meta)) return;
  ctx.out.Integer(static_cast<int64_t>(meta.size));
}

void LRange(CommandContext& ctx) {
  int64_t start = 0;
  int64_t end = 0;
  if (!ParseInt64(ctx.argv[2], &start) || !ParseInt64(ctx.argv[3], &end)) {
    ctx.NotInteger();
    return;
  }
  MetaValue meta;
  if (!LookupList(ctx, ctx.argv[1], &meta)) return;
  const auto len = static_cast<int64_t>(meta.size);
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (meta.type == Type::kNone || start > end || start >= len) {
    ctx.out.ArrayHeader(0);
    return;
  }
  if (end >= len) end = len - 1;
  std::vector<std::string> items;
  if (Status s = ReadItems(ctx, ctx.argv[1], meta, static_cast<uint64_t>(start),
                           static_cast<uint64_t>(end - start + 1), &items);
      !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ctx.out.ArrayHeader(items.size());
  for (const std::string& v : items) ctx.out.Bulk(v);
}

// Converts a Redis list index (negative from the tail) into a position; false when out of range.
bool IndexToPos(const MetaValue& meta, int64_t index, uint64_t* pos) {
  const auto len = static_cast<int64_t>(meta.size);
  if (index < 0) index += len;
  if (index < 0 || index >= len) return false;
  *pos = meta.list_head() + static_cast<uint64_t>(index);
  return true;
}

void LIndex(CommandContext& ctx) {
  MetaValue meta;
  if (!LookupList(ctx, ctx.argv[1], &meta)) return;
  if (meta.type == Type::kNone) {
    ctx.out.Null();
    return;
  }
  int64_t index = 0;
  if (!ParseInt64(ctx.argv[2], &index)) {
    ctx.NotInteger();
    return;
  }
  uint64_t pos = 0;
  if (!IndexToPos(meta, index, &pos)) {
    ctx.out.Null();
    return;
  }
  std::string value;
  if (Status s = ReadItemAt(ctx, ctx.argv[1], meta, pos, &value); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ctx.out.Bulk(value);
}

void LSet(CommandContext& ctx) {
  ctx.NoJournal();
  MetaValue meta;
  if (!LookupList(ctx, ctx.argv[1], &meta)) return;
  if (meta.type == Type::kNone) {
    ctx.out.Error("ERR no such key");
    return;
  }
  int64_t index = 0;
  if (!ParseInt64(ctx.argv[2], &index)) {
    ctx.NotInteger();
    return;
  }
  uint64_t pos = 0;
  if (!IndexToPos(meta, index, &pos)) {
    ctx.out.Error("ERR index out of range");
    return;
  }
  ctx.ks.PutSub(ctx.db, ctx.argv[1], meta, PosField(pos), ctx.argv[3]);
  Changed(ctx);
  ctx.out.Ok();
}

// Rewrites a list without the items at the (ascending) indexes `removed`, shifting whichever side
// moves fewer items, and writes the meta (or deletes the key when nothing is left).
Status RemoveIndexes(CommandContext& ctx, std::string_view key, MetaValue* meta,
                     const std::vector<uint64_t>& removed) {
  const uint64_t size = meta->size;
  const uint64_t head = meta->list_head();
  const uint64_t tail = meta->list_tail();
  const uint64_t first = removed.front();
  const uint64_t last = removed.back();
  Changed(ctx);
  if (removed.size() == size) {
    for (uint64_t i = 0; i < size; ++i) ctx.ks.DeleteSub(ctx.db, key, *meta, PosField(head + i));
    ctx.ks.DeleteKey(ctx.db, key);
    return Status::Ok();
  }
  // Either the items after `first` move toward the head, or the items before `last` move toward
  // the tail.
  const bool keep_head = size - first <= last + 1;
  std::vector<std::string> items;
  const uint64_t from = keep_head ? first : 0;
  const uint64_t count = keep_head ? size - first : last + 1;
  if (Status s = ReadItems(ctx, key, *meta, from, count, &items); !s.ok()) return s;
  size_t r = 0;
  if (keep_head) {
    uint64_t w = first;
    for (uint64_t i = first; i < size; ++i) {
      if (r < removed.size() && removed[r] == i) {
        ++r;
        continue;
      }
      if (w != i) ctx.ks.PutSub(ctx.db, key, *meta, PosField(head + w), items[i - from]);
      ++w;
    }
    for (uint64_t i = w; i < size; ++i) ctx.ks.DeleteSub(ctx.db, key, *meta, PosField(head + i));
    meta->set_list_bounds(head, head + w);
  } else {
    r = removed.size();
    uint64_t w = last + 1;  // one past the next slot to fill, walking toward the head
    for (uint64_t i = last + 1; i-- > 0;) {
      if (r > 0 && removed[r - 1] == i) {
        --r;
        continue;
      }
      --w;
      if (w != i) ctx.ks.PutSub(ctx.db, key, *meta, PosField(head + w), items[i]);
    }
    for (uint64_t i = 0; i < w; ++i) ctx.ks.DeleteSub(ctx.db, key, *meta, PosField(head + i));
    meta->set_list_bounds(head + w, tail);
  }
  meta->size = size - removed.size();
  ctx.ks.PutMeta(ctx.db, key, *meta, /*created=*/false);
  return Status::Ok();
}

void LRem(CommandContext& ctx) {
  ctx.NoJournal();
  int64_t count = 0;
  if (!ParseInt64(ctx.argv[2], &count)) {
    ctx.NotInteger();
    return;
  }
  const std::string_view key = ctx.argv[1];
  MetaValue meta;
  if (!LookupList(ctx, key, &meta)) return;
  if (meta.type == Type::kNone) {
    ctx.out.Integer(0);
    return;
  }
  const bool forward = count >= 0;
  const uint64_t limit = count == 0  ? meta.size
                         : count > 0 ? static_cast<uint64_t>(count)
                         : count == std::numeric_limits<int64_t>::min()
                             ? meta.size
                             : static_cast<uint64_t>(-count);
  std::vector<uint64_t> removed;
  {
    ItemWalker walker(ctx, key, meta);
    for (walker.Seek(forward ? 0 : meta.size - 1, forward);
         walker.Valid() && removed.size() < limit; walker.Next()) {
      if (walker.value() == ctx.argv[3]) removed.push_back(walker.index());
    }
    if (Status s = walker.status(); !s.ok()) {
      ctx.Fail(s);
      return;
    }
  }
  if (removed.empty()) {
    ctx.out.Integer(0);
    return;
  }
  if (!forward) std::reverse(removed.begin(), removed.end());
  if (Status s = RemoveIndexes(ctx, key, &meta, removed); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ctx.out.Integer(static_cast<int64_t>(removed.size()));
}

void LTrim(CommandContext& ctx) {
  ctx.NoJournal();
  int64_t start = 0;
  int64_t end = 0;
  if (!ParseInt64(ctx.argv[2], &start) || !ParseInt64(ctx.argv[3], &end)) {
    ctx.NotInteger();
    return;
  }
  const std::string_view key = ctx.argv[1];
  MetaValue meta;
  if (!LookupList(ctx, key, &meta)) return;
  if (meta.type == Type::kNone) {
    ctx.out.Ok();
    return;
  }
  const auto len = static_cast<int64_t>(meta.size);
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  int64_t ltrim = 0;
  int64_t rtrim = 0;
  if (start > end || start >= len) {
    ltrim = len;
  } else {
    if (end >= len) end = len - 1;
    ltrim = start;
    rtrim = len - end - 1;
  }
  if (ltrim > 0 || rtrim > 0) {
    const uint64_t head = meta.list_head();
    const uint64_t tail = meta.list_tail();
    for (int64_t i = 0; i < ltrim; ++i) {
      ctx.ks.DeleteSub(ctx.db, key, meta, PosField(head + static_cast<uint64_t>(i)));
    }
    for (int64_t i = 1; i <= rtrim; ++i) {
      ctx.ks.DeleteSub(ctx.db, key, meta, PosField(tail - static_cast<uint64_t>(i)));
    }
    meta.size -= static_cast<uint64_t>(ltrim + rtrim);
    meta.set_list_bounds(head + static_cast<uint64_t>(ltrim), tail - static_cast<uint64_t>(rtrim));
    FinishPop(ctx, key, meta);
    Changed(ctx);
  } else {
    ctx.ks.NoteTouched(ctx.db, key);  // Redis signals LTRIM as a change even when it trims nothing
  }
  ctx.out.Ok();
}

void LInsert(CommandContext& ctx) {
  ctx.NoJournal();
  bool before = false;
  if (EqualsIgnoreCase(ctx.argv[2], "before")) {
    before = true;
  } else if (!EqualsIgnoreCase(ctx.argv[2], "after")) {
    ctx.SyntaxError();
    return;
  }
  const std::string_view key = ctx.argv[1];
  MetaValue meta;
  if (!LookupList(ctx, key, &meta)) return;
  if (meta.type == Type::kNone) {
    ctx.out.Integer(0);
    return;
  }
  // Items up to the pivot (and past it when the tail side is the one that moves).
  std::vector<std::string> items;
  uint64_t at = 0;  // index the new item takes
  bool found = false;
  {
    ItemWalker walker(ctx, key, meta);
    for (walker.Seek(0, true); walker.Valid(); walker.Next()) {
      items.emplace_back(walker.value());
      if (!found && walker.value() == ctx.argv[3]) {
        found = true;
        at = before ? walker.index() : walker.index() + 1;
        if (at <= meta.size - at) break;  // the head side moves: nothing more to read
      }
    }
    if (Status s = walker.status(); !s.ok()) {
      ctx.Fail(s);
      return;
    }
  }
  if (!found) {
    ctx.out.Integer(-1);
    return;
  }
  uint64_t head = meta.list_head();
  uint64_t tail = meta.list_tail();
  if (at <= meta.size - at) {
    for (uint64_t i = 0; i < at; ++i)
      ctx.ks.PutSub(ctx.db, key, meta, PosField(head + i - 1), items[i]);
    ctx.ks.PutSub(ctx.db, key, meta, PosField(head + at - 1), ctx.argv[4]);
    --head;
  } else {
    for (uint64_t i = at; i < meta.size; ++i) {
      ctx.ks.PutSub(ctx.db, key, meta, PosField(head + i + 1), items[i]);
    }
    ctx.ks.PutSub(ctx.db, key, meta, PosField(head + at), ctx.argv[4]);
    ++tail;
  }
  ++meta.size;
  meta.set_list_bounds(head, tail);
  ctx.ks.PutMeta(ctx.db, key, meta, /*created=*/false);
  Changed(ctx);
  ctx.out.Integer(static_cast<int64_t>(meta.size));
}

void LPos(CommandContext& ctx) {
  int64_t rank = 1;
  int64_t count = -1;  // -1: no COUNT, a single reply
  int64_t maxlen = 0;
  for (size_t j = 3; j < ctx.argv.size(); ++j) {
    const bool more = j + 1 < ctx.argv.size();
    if (more && EqualsIgnoreCase(ctx.argv[j], "rank")) {
      if (!ParseInt64(ctx.argv[++j], &rank)) {
        ctx.NotInteger();
        return;
      }
      if (rank == 0) {
        ctx.out.Error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
        return;
      }
    } else if (more && EqualsIgnoreCase(ctx.argv[j], "count")) {
      if (!ParseInt64(ctx.argv[++j], &count) || count < 0) {
        ctx.out.Error("ERR COUNT can't be negative");
        return;
      }
    } else if (more && EqualsIgnoreCase(ctx.argv[j], "maxlen")) {
      if (!ParseInt64(ctx.argv[++j], &maxlen) || maxlen < 0) {
        ctx.out.Error("ERR MAXLEN can't be negative");
        return;
      }
    } else {
      ctx.SyntaxError();
      return;
    }
  }
  MetaValue meta;
  if (!LookupList(ctx, ctx.argv[1], &meta)) return;
  const bool many = count != -1;
  if (meta.type == Type::kNone) {
    if (many) {
      ctx.out.ArrayHeader(0);
    } else {
      ctx.out.Null();
    }
    return;
  }
  // As Redis: a negative rank walks from the tail. Its arithmetic is kept as is (in unsigned
  // form, no overflow), so the extreme rank -2^63 behaves exactly as it does in Redis.
  const bool forward = rank > 0;
  if (rank < 0) rank = static_cast<int64_t>(0 - static_cast<uint64_t>(rank));
  std::vector<int64_t> found;
  {
    ItemWalker walker(ctx, ctx.argv[1], meta);
    int64_t matches = 0;
    int64_t index = 0;
    for (walker.Seek(forward ? 0 : meta.size - 1, forward);
         walker.Valid() && (maxlen == 0 || index < maxlen); walker.Next(), ++index) {
      if (walker.value() != ctx.argv[2]) continue;
      ++matches;
      if (matches < rank) continue;
      found.push_back(forward ? index : static_cast<int64_t>(meta.size) - 1 - index);
      if (!many) break;
      const auto taken =
          static_cast<int64_t>(static_cast<uint64_t>(matches) - static_cast<uint64_t>(rank) + 1);
      if (count != 0 && taken >= count) break;
    }
    if (Status s = walker.status(); !s.ok()) {
      ctx.Fail(s);
      return;
    }
  }
  if (many) {
    ctx.out.ArrayHeader(found.size());
    for (int64_t i : found) ctx.out.Integer(i);
  } else if (found.empty()) {
    ctx.out.Null();
  } else {
    ctx.out.Integer(found.front());
  }
}

// LMOVE and friends: pops one item from `src` and pushes it on `dst`. Replies the item, or nil
// (blocking: nothing, and would_block) when `src` is missing.
void Move(CommandContext& ctx, std::string_view src, std::string_view dst, bool from_left,
          bool to_left, bool blocking) {
  MetaValue src_meta;
  if (!(blocking ? LookupSource(ctx, src, &src_meta) : LookupList(ctx, src, &src_meta))) return;
  if (src_meta.type == Type::kNone) {
    if (blocking) {
      ctx.would_block = true;
    } else {
      ctx.out.Null();
    }
    return;
  }
  const bool same = src == dst;
  MetaValue dst_meta;
  if (!same && !LookupList(ctx, dst, &dst_meta)) return;
  std::vector<std::string> items;
  if (Status s = PopItems(ctx, src, &src_meta, from_left, 1, &items); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  const std::string_view value = items.front();
  if (same) {
    PushItems(ctx, src, &src_meta, /*created=*/false, to_left, std::span(&value, 1));
  } else {
    FinishPop(ctx, src, src_meta);
    const bool created = dst_meta.type == Type::kNone;
    if (created) dst_meta = NewCollection(ctx, Type::kList);
    PushItems(ctx, dst, &dst_meta, created, to_left, std::span(&value, 1));
  }
  ctx.JournalAs({to_left ? "LPUSH" : "RPUSH", std::string(dst), items.front()});
  ctx.out.Bulk(value);
}

// LMOVE src dst LEFT|RIGHT LEFT|RIGHT, and BLMOVE with the timeout last.
void MoveCommand(CommandContext& ctx, bool blocking) {
  ctx.NoJournal();
  bool from_left = false;
  bool to_left = false;
  if (!ParseEnd(ctx.argv[3], &from_left) || !ParseEnd(ctx.argv[4], &to_left)) {
    ctx.SyntaxError();
    return;
  }
  if (blocking && !CheckTimeout(ctx, ctx.argv[5])) return;
  Move(ctx, ctx.argv[1], ctx.argv[2], from_left, to_left, blocking);
}

// RPOPLPUSH src dst, and BRPOPLPUSH with the timeout last.
void RPopLPushCommand(CommandContext& ctx, bool blocking) {
  ctx.NoJournal();
  if (blocking && !CheckTimeout(ctx, ctx.argv[3])) return;
  Move(ctx, ctx.argv[1], ctx.argv[2], /*from_left=*/false, /*to_left=*/true, blocking);
}

void LMove(CommandContext& ctx) { MoveCommand(ctx, /*blocking=*/false); }
void BLMove(CommandContext& ctx) { MoveCommand(ctx, /*blocking=*/true); }
void RPopLPush(CommandContext& ctx) { RPopLPushCommand(ctx, /*blocking=*/false); }
void BRPopLPush(CommandContext& ctx) { RPopLPushCommand(ctx, /*blocking=*/true); }

// BLPOP/BRPOP key [key ...] timeout: the first non-empty list in argument order.
void BlockingPop(CommandContext& ctx, bool left) {
  ctx.NoJournal();
  if (!CheckTimeout(ctx, ctx.argv.back())) return;
  for (size_t i = 1; i + 1 < ctx.argv.size(); ++i) {
    const std::string_view key = ctx.argv[i];
    MetaValue meta;
    if (!LookupSource(ctx, key, &meta)) return;
    if (meta.type == Type::kNone) continue;
    std::vector<std::string> items;
    if (Status s = PopItems(ctx, key, &meta, left, 1, &items); !s.ok()) {
      ctx.Fail(s);
      return;
    }
    FinishPop(ctx, key, meta);
    ctx.out.ArrayHeader(2);
    ctx.out.Bulk(key);
    ctx.out.Bulk(items.front());
    return;
  }
  ctx.would_block = true;
}

void BLPop(CommandContext& ctx) { BlockingPop(ctx, /*left=*/true); }
void BRPop(CommandContext& ctx) { BlockingPop(ctx, /*left=*/false); }

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]; BLMPOP has the timeout first.
void MultiPop(CommandContext& ctx, bool blocking) {
  ctx.NoJournal();
  const size_t numkeys_at = blocking ? 2 : 1;
  const auto& argv = ctx.argv;
  int64_t numkeys = 0;
  if (!ParseInt64(argv[numkeys_at], &numkeys) || numkeys <= 0) {
    ctx.out.Error("ERR numkeys should be greater than 0");
    return;
  }
  const size_t keys_left = argv.size() - numkeys_at - 1;
  bool left = false;
  if (static_cast<uint64_t>(numkeys) >= keys_left ||
      !ParseEnd(argv[numkeys_at + 1 + static_cast<size_t>(numkeys)], &left)) {
    ctx.SyntaxError();
    return;
  }
  int64_t count = -1;
  for (size_t j = numkeys_at + 2 + static_cast<size_t>(numkeys); j < argv.size(); ++j) {
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
  if (blocking && !CheckTimeout(ctx, argv[1])) return;
  for (size_t i = 0; i < static_cast<size_t>(numkeys); ++i) {
    const std::string_view key = argv[numkeys_at + 1 + i];
    MetaValue meta;
    if (!(blocking ? LookupSource(ctx, key, &meta) : LookupList(ctx, key, &meta))) return;
    if (meta.type == Type::kNone) continue;
    std::vector<std::string> items;
    if (Status s = PopItems(ctx, key, &meta, left, static_cast<uint64_t>(count), &items); !s.ok()) {
      ctx.Fail(s);
      return;
    }
    FinishPop(ctx, key, meta);
    ctx.out.ArrayHeader(2);
    ctx.out.Bulk(key);
    ctx.out.ArrayHeader(items.size());
    for (const std::string& v : items) ctx.out.Bulk(v);
    return;
  }
  if (blocking) {
    ctx.would_block = true;
  } else {
    ctx.out.NullArray();
  }
}

void LMPop(CommandContext& ctx) { MultiPop(ctx, /*blocking=*/false); }
void BLMPop(CommandContext& ctx) { MultiPop(ctx, /*blocking=*/true); }

}  // namespace

std::span<const LocalCommandDef> ListCommands() {
  static const LocalCommandDef kRows[] = {
      {"lpush", &LPush},         {"rpush", &RPush},   {"lpushx", &LPushX},
      {"rpushx", &RPushX},       {"lpop", &LPop},     {"rpop", &RPop},
      {"llen", &LLen},           {"lrange", &LRange}, {"lindex", &LIndex},
      {"lset", &LSet},           {"lrem", &LRem},     {"ltrim", &LTrim},
      {"linsert", &LInsert},     {"lpos", &LPos},     {"lmove", &LMove},
      {"rpoplpush", &RPopLPush}, {"lmpop", &LMPop},   {"blpop", &BLPop},
      {"brpop", &BRPop},         {"blmove", &BLMove}, {"brpoplpush", &BRPopLPush},
      {"blmpop", &BLMPop},
  };
  return kRows;
}

}  // namespace respite::storage
