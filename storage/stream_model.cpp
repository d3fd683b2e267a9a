#include "storage/stream_model.h"

#include <algorithm>
#include <cctype>

#include "storage/keyspace.h"
#include "storage/numbers.h"
#include "storage/subkeys.h"

namespace respite::storage {

namespace {

constexpr char kEntryTag = 'e';
constexpr char kNodeTag = 'n';

// Redis' string2ull: a plain decimal first; failing that, what strtoull accepts whole (leading
// blanks and a '+' sign), never a negative number.
bool ParseU64(std::string_view s, uint64_t* out) {
  int64_t v = 0;
  if (ParseInt64(s, &v)) {
    if (v < 0) return false;
    *out = static_cast<uint64_t>(v);
    return true;
  }
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  if (i < s.size() && s[i] == '+') ++i;
  if (i == s.size()) return false;
  uint64_t value = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (value > (UINT64_MAX - digit) / 10) return false;
    value = value * 10 + digit;
  }
  *out = value;
  return true;
}

void PutId(std::string* out, StreamId id) {
  PutU64(out, id.ms);
  PutU64(out, id.seq);
}

StreamId GetId(std::string_view in) { return StreamId{GetU64(in), GetU64(in.substr(8))}; }

// What one entry adds to its node's listpack, roughly as Redis encodes it: flags, two ID deltas,
// the field count, each field and value with its header and back-length, the entry count.
uint64_t EntryBytes(std::span<const std::string_view> fields) {
  uint64_t bytes = 8;
  for (std::string_view f : fields) bytes += f.size() + (f.size() < 64 ? 2 : 4);
  return bytes;
}

// A new node's listpack: header, master entry (counts, master fields, terminator), end byte.
uint64_t NodeBaseBytes(std::span<const std::string_view> fields) {
  uint64_t bytes = 7 + 8;
  for (size_t i = 0; i < fields.size(); i += 2) {
    bytes += fields[i].size() + (fields[i].size() < 64 ? 2 : 4);
  }
  return bytes;
}

bool DecodeEntry(std::string_view value, uint64_t* node, std::vector<std::string>* fields) {
  if (value.size() < 12) return false;
  *node = GetU64(value);
  const uint32_t count = GetU32(value.substr(8));
  size_t at = 12;
  fields->clear();
  fields->reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    if (value.size() < at + 4) return false;
    const uint32_t len = GetU32(value.substr(at));
    at += 4;
    if (value.size() < at + len) return false;
    fields->emplace_back(value.substr(at, len));
    at += len;
  }
  return true;
}

}  // namespace

std::string StreamId::ToString() const { return std::to_string(ms) + "-" + std::to_string(seq); }

bool StreamId::Incr() {
  if (seq == UINT64_MAX) {
    if (ms == UINT64_MAX) return false;
    ++ms;
    seq = 0;
  } else {
    ++seq;
  }
  return true;
}

bool StreamId::Decr() {
  if (seq == 0) {
    if (ms == 0) return false;
    --ms;
    seq = UINT64_MAX;
  } else {
    --seq;
  }
  return true;
}

bool ParseStreamId(std::string_view text, uint64_t missing_seq, bool strict, StreamId* id,
                   bool* seq_given) {
  if (seq_given != nullptr) *seq_given = true;
  if (text.size() > 127) return false;
  if (text == "-" || text == "+") {
    if (strict) return false;
    *id = text == "-" ? StreamId{} : StreamId::Max();
    return true;
  }
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos) {
    id->seq = missing_seq;
    return ParseU64(text, &id->ms);
  }
  if (!ParseU64(text.substr(0, dash), &id->ms)) return false;
  const std::string_view seq = text.substr(dash + 1);
  if (seq_given != nullptr && seq == "*") {
    *seq_given = false;
    id->seq = 0;
    return true;
  }
  return ParseU64(seq, &id->seq);
}

std::string StreamMeta::Encode() const {
  std::string out;
  PutId(&out, last_id);
  PutId(&out, max_deleted_id);
  for (uint64_t v : {entries_added, next_node, tail_node, tail_total, tail_bytes, groups}) {
    PutU64(&out, v);
  }
  return out;
}

StreamMeta StreamMeta::Decode(std::string_view payload) {
  StreamMeta m;
  if (payload.size() < 80) return m;
  m.last_id = GetId(payload);
  m.max_deleted_id = GetId(payload.substr(16));
  uint64_t* fields[] = {&m.entries_added, &m.next_node,  &m.tail_node,
                        &m.tail_total,    &m.tail_bytes, &m.groups};
  for (size_t i = 0; i < std::size(fields); ++i) *fields[i] = GetU64(payload.substr(32 + i * 8));
  return m;
}

bool Stream::Load(bool other_type_is_missing) {
  if (other_type_is_missing) {
    if (Status s = ctx_.ks.Lookup(ctx_.db, key_, &meta_); !s.ok()) {
      ctx_.Fail(s);
      return false;
    }
    if (meta_.type != Type::kStream) meta_ = MetaValue{};
  } else if (!LookupOfType(ctx_, key_, Type::kStream, &meta_)) {
    return false;
  }
  if (exists()) info_ = StreamMeta::Decode(meta_.payload);
  return true;
}

void Stream::Create() {
  meta_ = NewCollection(ctx_, Type::kStream);
  info_ = StreamMeta{};
  created_ = true;
}

void Stream::Save() {
  meta_.payload = info_.Encode();
  ctx_.ks.PutMeta(ctx_.db, key_, meta_, created_);
  created_ = false;
}

std::string Stream::EntryField(StreamId id) const {
  std::string field(1, kEntryTag);
  PutId(&field, id);
  return field;
}

std::string Stream::NodeField(uint64_t node) const {
  std::string field(1, kNodeTag);
  PutU64(&field, node);
  return field;
}

Status Stream::ReadNode(uint64_t node, uint64_t* live, StreamId* last) {
  std::string value;
  bool found = false;
  if (Status s = FindSub(ctx_.ks, ctx_.db, key_, meta_, NodeField(node), &value, &found); !s.ok()) {
    return s;
  }
  if (!found || value.size() < 24) return Status::Corruption("a stream node is missing");
  *live = GetU64(value);
  *last = GetId(std::string_view(value).substr(8));
  return Status::Ok();
}

void Stream::WriteNode(uint64_t node, uint64_t live, StreamId last) {
  std::string value;
  PutU64(&value, live);
  PutId(&value, last);
  ctx_.ks.PutSub(ctx_.db, key_, meta_, NodeField(node), value);
}

Status Stream::DropFromNode(uint64_t node) {
  uint64_t live = 0;
  StreamId last;
  if (Status s = ReadNode(node, &live, &last); !s.ok()) return s;
  if (live <= 1) {
    ctx_.ks.DeleteSub(ctx_.db, key_, meta_, NodeField(node));
    if (node == info_.tail_node) info_.tail_node = 0;
  } else {
    WriteNode(node, live - 1, last);
  }
  return Status::Ok();
}

void Stream::Append(StreamId id, std::span<const std::string_view> fields, int64_t node_max_entries,
                    int64_t node_max_bytes) {
  uint64_t elements_bytes = 0;
  for (std::string_view f : fields) elements_bytes += f.size();
  // Redis opens a new node when the tail one would reach stream-node-max-bytes (at most 1 GB) or
  // holds stream-node-max-entries entries, deleted ones included.
  const uint64_t max_bytes = node_max_bytes <= 0 || node_max_bytes > (1ll << 30)
                                 ? uint64_t{1} << 30
                                 : static_cast<uint64_t>(node_max_bytes);
  bool new_node = info_.tail_node == 0 || info_.tail_bytes + elements_bytes >= max_bytes ||
                  (node_max_entries > 0 && info_.tail_total >= uint64_t(node_max_entries));
  uint64_t live = 0;
  StreamId last;
  if (!new_node && !ReadNode(info_.tail_node, &live, &last).ok()) new_node = true;
  if (new_node) {
    info_.tail_node = info_.next_node++;
    info_.tail_total = 0;
    info_.tail_bytes = NodeBaseBytes(fields);
    live = 0;
  }
  std::string value;
  PutU64(&value, info_.tail_node);
  PutU32(&value, static_cast<uint32_t>(fields.size()));
  for (std::string_view f : fields) {
    PutU32(&value, static_cast<uint32_t>(f.size()));
    value.append(f);
  }
  ctx_.ks.PutSub(ctx_.db, key_, meta_, EntryField(id), value);
  WriteNode(info_.tail_node, live + 1, id);
  ++info_.tail_total;
  info_.tail_bytes += EntryBytes(fields);
  ++meta_.size;
  ++info_.entries_added;
  info_.last_id = id;
}

Result<bool> Stream::Delete(StreamId id) {
  std::string value;
  bool found = false;
  const std::string field = EntryField(id);
  if (Status s = FindSub(ctx_.ks, ctx_.db, key_, meta_, field, &value, &found); !s.ok()) return s;
  if (!found) return false;
  uint64_t node = 0;
  std::vector<std::string> fields;
  if (!DecodeEntry(value, &node, &fields)) return Status::Corruption("unreadable stream entry");
  ctx_.ks.DeleteSub(ctx_.db, key_, meta_, field);
  if (Status s = DropFromNode(node); !s.ok()) return s;
  --meta_.size;
  if (id > info_.max_deleted_id) info_.max_deleted_id = id;
  return true;
}

Result<int64_t> Stream::Trim(const StreamTrim& trim) {
  if (trim.strategy == StreamTrim::Strategy::kNone) return int64_t{0};
  const auto maxlen = static_cast<uint64_t>(trim.maxlen);
  int64_t deleted = 0;
  // Nodes from the oldest: remove whole nodes while the rule allows; then, unless approximate,
  // delete entries of the first remaining node one by one (Redis stops there either way).
  while (meta_.size > 0) {
    if (trim.strategy == StreamTrim::Strategy::kMaxLen && meta_.size <= maxlen) break;
    auto it = ctx_.ks.IterateSubs(ctx_.db, key_, meta_);
    std::string first_entry(1, kEntryTag);
    it->Seek(SubPrefix(ctx_.db, key_, meta_.version) + first_entry);
    if (!it->Valid())
      return it->status().ok() ? Status::Corruption("stream entries missing") : it->status();
    uint64_t node = 0;
    std::vector<std::string> fields;
    if (!DecodeEntry(it->value(), &node, &fields)) return Status::Corruption("bad stream entry");
    it.reset();
    uint64_t live = 0;
    StreamId last;
    if (Status s = ReadNode(node, &live, &last); !s.ok()) return s;
    if (trim.limit != 0 && deleted + static_cast<int64_t>(live) > trim.limit) break;
    const bool remove_node = trim.strategy == StreamTrim::Strategy::kMaxLen
                                 ? meta_.size - live >= maxlen
                                 : last < trim.minid;
    if (!remove_node && trim.approx) break;
    // Delete this node's entries (all of them, or while the rule still asks).
    std::vector<StreamEntry> entries;
    if (Status s = Range(StreamId{}, StreamId::Max(), live, false, &entries); !s.ok()) return s;
    for (const StreamEntry& e : entries) {
      if (!remove_node) {
        const bool stop = trim.strategy == StreamTrim::Strategy::kMaxLen ? meta_.size <= maxlen
                                                                         : !(e.id < trim.minid);
        if (stop) break;
      }
      ctx_.ks.DeleteSub(ctx_.db, key_, meta_, EntryField(e.id));
      --meta_.size;
      --live;
      ++deleted;
    }
    if (live == 0) {
      ctx_.ks.DeleteSub(ctx_.db, key_, meta_, NodeField(node));
      if (node == info_.tail_node) info_.tail_node = 0;
    } else {
      WriteNode(node, live, last);
    }
    if (!remove_node) break;
  }
  return deleted;
}

Status Stream::Range(StreamId start, StreamId end, size_t count, bool reverse,
                     std::vector<StreamEntry>* out) {
  out->clear();
  if (!exists() || start > end) return Status::Ok();
  const std::string prefix = SubPrefix(ctx_.db, key_, meta_.version);
  auto it = ctx_.ks.IterateSubs(ctx_.db, key_, meta_);
  if (reverse) {
    it->SeekForPrev(prefix + EntryField(end));
  } else {
    it->Seek(prefix + EntryField(start));
  }
  for (; it->Valid(); reverse ? it->Prev() : it->Next()) {
    const std::string_view field = Keyspace::SubField(it->key(), key_);
    if (field.size() != 17 || field[0] != kEntryTag) break;
    StreamEntry entry;
    entry.id = GetId(field.substr(1));
    if (reverse ? entry.id < start : entry.id > end) break;
    uint64_t node = 0;
    if (!DecodeEntry(it->value(), &node, &entry.fields)) {
      return Status::Corruption("unreadable stream entry");
    }
    out->push_back(std::move(entry));
    if (count != 0 && out->size() >= count) break;
  }
  return it->status();
}

Result<uint64_t> Stream::NodeCount() {
  if (!exists()) return uint64_t{0};
  auto it = ctx_.ks.IterateSubs(ctx_.db, key_, meta_);
  uint64_t nodes = 0;
  for (it->Seek(SubPrefix(ctx_.db, key_, meta_.version) + std::string(1, kNodeTag));
       it->Valid() && Keyspace::SubField(it->key(), key_)[0] == kNodeTag; it->Next()) {
    ++nodes;
  }
  if (!it->status().ok()) return it->status();
  return nodes;
}

Result<std::optional<StreamId>> Stream::Edge(bool first) {
  std::vector<StreamEntry> one;
  if (Status s = Range(StreamId{}, StreamId::Max(), 1, !first, &one); !s.ok()) return s;
  if (one.empty()) return std::optional<StreamId>();
  return std::optional<StreamId>(one.front().id);
}

void ReplyStreamEntries(resp::ReplyWriter& out, const std::vector<StreamEntry>& entries) {
  out.ArrayHeader(entries.size());
  for (const StreamEntry& e : entries) {
    out.ArrayHeader(2);
    out.Bulk(e.id.ToString());
    out.ArrayHeader(e.fields.size());
    for (const std::string& f : e.fields) out.Bulk(f);
  }
}

}  // namespace respite::storage
