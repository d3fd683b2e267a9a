// Streams in RDB values (RDB_TYPE_STREAM_LISTPACKS and _2), from the documented layout:
//   nodes: count, then per node a 16-byte big-endian master ID and a listpack holding
//     the master entry: count, deleted, #fields, field..., 0
//     entries: flags, ms-diff, seq-diff, (values... if SAMEFIELDS | #fields, field, value...),
//              lp-count (elements of this entry, for walking backwards)
//   length, last ID; (v2) first ID, max deleted ID, entries added
//   groups: name, last ID, (v2) entries read, PEL (raw ID, delivery time LE, count),
//           consumers (name, seen time LE, their PEL IDs raw)
#include <charconv>
#include <map>

#include "storage/rdb_codec.h"
#include "storage/rdb_value.h"

namespace respite::storage::rdb {
namespace {

constexpr int64_t kFlagDeleted = 1, kFlagSameFields = 2;

bool ToInt(const std::string& s, int64_t* v) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && end == s.data() + s.size();
}

uint64_t LoadBe(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

void StoreBe(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (i * 8)) & 0xff));
}

bool ReadRawId(Reader& r, RdbStreamId* id) {
  char raw[16];
  if (!r.ReadFixed(raw, 16)) return false;
  id->ms = LoadBe(raw);
  id->seq = LoadBe(raw + 8);
  return true;
}

void WriteRawId(std::string* out, RdbStreamId id) {
  StoreBe(out, id.ms);
  StoreBe(out, id.seq);
}

bool ReadId(Reader& r, RdbStreamId* id) { return r.ReadLength(&id->ms) && r.ReadLength(&id->seq); }

void WriteId(std::string* out, RdbStreamId id) {
  WriteLength(out, id.ms);
  WriteLength(out, id.seq);
}

bool ReadMs(Reader& r, int64_t* ms) {
  uint8_t b[8];
  if (!r.ReadFixed(b, 8)) return false;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
  *ms = static_cast<int64_t>(v);
  return true;
}

void WriteMs(std::string* out, int64_t ms) {
  for (int i = 0; i < 8; ++i) {
    out->push_back(static_cast<char>((static_cast<uint64_t>(ms) >> (i * 8)) & 0xff));
  }
}

// The live entries of one node.
bool ParseNode(RdbStreamId master, const std::vector<std::string>& lp,
               std::vector<RdbStreamEntry>* out) {
  size_t i = 0;
  auto next_int = [&](int64_t* v) { return i < lp.size() && ToInt(lp[i++], v); };
  int64_t count, deleted, master_fields;
  if (!next_int(&count) || !next_int(&deleted) || !next_int(&master_fields) || master_fields < 0 ||
      static_cast<uint64_t>(master_fields) > lp.size() - i) {
    return false;
  }
  const std::vector<std::string> fields(lp.begin() + i, lp.begin() + i + master_fields);
  i += master_fields;
  int64_t terminator;
  if (!next_int(&terminator) || terminator != 0) return false;
  int64_t live = 0, dead = 0;
  while (i < lp.size()) {
    int64_t flags, ms_diff, seq_diff, lp_count;
    if (!next_int(&flags) || !next_int(&ms_diff) || !next_int(&seq_diff)) return false;
    RdbStreamEntry e;
    e.id = {master.ms + static_cast<uint64_t>(ms_diff),
            master.seq + static_cast<uint64_t>(seq_diff)};
    if (flags & kFlagSameFields) {
      if (lp.size() - i < fields.size()) return false;
      for (const std::string& f : fields) {
        e.fields.push_back(f);
        e.fields.push_back(lp[i++]);
      }
    } else {
      int64_t n;
      if (!next_int(&n) || n < 0 || static_cast<uint64_t>(n) > (lp.size() - i) / 2) return false;
      e.fields.assign(lp.begin() + i, lp.begin() + i + 2 * n);
      i += 2 * n;
    }
    if (!next_int(&lp_count)) return false;
    if (flags & kFlagDeleted) {
      ++dead;
      continue;
    }
    if (e.fields.empty()) return false;
    ++live;
    out->push_back(std::move(e));
  }
  return live == count && dead == deleted;
}

// What Redis 7.0 gives a group loaded from a v1 stream as its entries-read: the count of entries
// up to `id` when no deleted entry can lie before it, otherwise unknown (-1).
int64_t EstimateEntriesRead(const RdbStream& s, RdbStreamId id) {
  const uint64_t length = s.entries.size();
  if (s.entries_added == 0) return 0;
  if (length == 0 && !(s.last_id < id)) return static_cast<int64_t>(s.entries_added);
  if (id == s.last_id) return static_cast<int64_t>(s.entries_added);
  if (s.last_id < id) return -1;
  if (s.max_deleted_id == RdbStreamId{} || s.max_deleted_id < s.first_id) {
    if (id < s.first_id) return static_cast<int64_t>(s.entries_added - length);
    if (id == s.first_id) return static_cast<int64_t>(s.entries_added - length + 1);
  }
  return -1;
}

}  // namespace

bool DecodeStream(Reader& r, bool v2, RdbStream* out) {
  uint64_t nodes;
  if (!r.ReadLength(&nodes)) return false;
  for (uint64_t n = 0; n < nodes; ++n) {
    std::string key, blob;
    if (!r.ReadString(&key) || key.size() != 16 || !r.ReadString(&blob)) return false;
    std::vector<std::string> lp;
    if (!ParseListpack(blob, &lp) || lp.empty()) return false;
    const RdbStreamId master{LoadBe(key.data()), LoadBe(key.data() + 8)};
    if (!ParseNode(master, lp, &out->entries)) return false;
  }
  for (size_t i = 1; i < out->entries.size(); ++i) {
    if (!(out->entries[i - 1].id < out->entries[i].id)) return false;
  }
  uint64_t length;
  if (!r.ReadLength(&length) || length != out->entries.size() || !ReadId(r, &out->last_id)) {
    return false;
  }
  if (!out->entries.empty() && out->last_id < out->entries.back().id) return false;
  if (v2) {
    if (!ReadId(r, &out->first_id) || !ReadId(r, &out->max_deleted_id) ||
        !r.ReadLength(&out->entries_added)) {
      return false;
    }
  } else {
    out->entries_added = length;
    if (!out->entries.empty()) out->first_id = out->entries.front().id;
  }
  uint64_t groups;
  if (!r.ReadLength(&groups)) return false;
  for (uint64_t g = 0; g < groups; ++g) {
    RdbGroup group;
    if (!r.ReadString(&group.name) || !ReadId(r, &group.last_id)) return false;
    if (v2) {
      uint64_t read;
      if (!r.ReadLength(&read)) return false;
      group.entries_read = static_cast<int64_t>(read);
    } else {
      group.entries_read = EstimateEntriesRead(*out, group.last_id);
    }
    for (const RdbGroup& other : out->groups) {
      if (other.name == group.name) return false;
    }
    uint64_t pel;
    if (!r.ReadLength(&pel)) return false;
    std::map<RdbStreamId, size_t> by_id;
    for (uint64_t p = 0; p < pel; ++p) {
      RdbPending pending;
      if (!ReadRawId(r, &pending.id) || !ReadMs(r, &pending.delivery_ms) ||
          !r.ReadLength(&pending.delivery_count)) {
        return false;
      }
      if (!by_id.emplace(pending.id, group.pel.size()).second) return false;
      group.pel.push_back(pending);
    }
    uint64_t consumers;
    if (!r.ReadLength(&consumers)) return false;
    for (uint64_t c = 0; c < consumers; ++c) {
      RdbConsumer consumer;
      uint64_t owned;
      if (!r.ReadString(&consumer.name) || !ReadMs(r, &consumer.seen_ms) || !r.ReadLength(&owned)) {
        return false;
      }
      for (const RdbConsumer& other : group.consumers) {
        if (other.name == consumer.name) return false;
      }
      for (uint64_t p = 0; p < owned; ++p) {
        RdbStreamId id;
        if (!ReadRawId(r, &id)) return false;
        auto it = by_id.find(id);
        // Each group PEL entry belongs to exactly one consumer.
        if (it == by_id.end() || !group.pel[it->second].consumer.empty()) return false;
        group.pel[it->second].consumer = consumer.name;
      }
      group.consumers.push_back(std::move(consumer));
    }
    for (const RdbPending& p : group.pel) {
      if (p.consumer.empty()) return false;
    }
    out->groups.push_back(std::move(group));
  }
  return true;
}

void EncodeStream(const RdbStream& stream, const EncodeLimits& limits, std::string* bytes) {
  struct Node {
    RdbStreamId master;
    std::vector<std::string> fields;  // the master entry's fields
    std::vector<const RdbStreamEntry*> entries;
    size_t bytes = 0;  // estimated listpack size, as the append check sees it
  };
  std::vector<Node> nodes;
  const size_t max_bytes =
      limits.stream_node_max_bytes == 0 || limits.stream_node_max_bytes > (1u << 30)
          ? (1u << 30)
          : limits.stream_node_max_bytes;
  for (const RdbStreamEntry& e : stream.entries) {
    size_t total = 0;
    for (const std::string& f : e.fields) total += f.size();
    bool open_new = nodes.empty();
    if (!open_new) {
      const Node& n = nodes.back();
      open_new =
          n.bytes + total >= max_bytes || (limits.stream_node_max_entries != 0 &&
                                           n.entries.size() >= limits.stream_node_max_entries);
    }
    if (open_new) {
      Node n;
      n.master = e.id;
      for (size_t i = 0; i < e.fields.size(); i += 2) n.fields.push_back(e.fields[i]);
      n.bytes = 7 + ListpackEntrySize("1") * 3 + ListpackEntrySize("0");
      for (const std::string& f : n.fields) n.bytes += ListpackEntrySize(f);
      nodes.push_back(std::move(n));
    }
    Node& n = nodes.back();
    bool same = e.fields.size() == n.fields.size() * 2;
    for (size_t i = 0; same && i < n.fields.size(); ++i) same = e.fields[2 * i] == n.fields[i];
    // Differences are signed: a later ms may come with a smaller seq.
    const auto ms_diff = static_cast<int64_t>(e.id.ms - n.master.ms);
    const auto seq_diff = static_cast<int64_t>(e.id.seq - n.master.seq);
    size_t added = ListpackEntrySize(same ? "2" : "0") +
                   ListpackEntrySize(std::to_string(ms_diff)) +
                   ListpackEntrySize(std::to_string(seq_diff)) + ListpackEntrySize("10");
    for (size_t i = 0; i < e.fields.size(); ++i) {
      if (!same || i % 2 == 1) added += ListpackEntrySize(e.fields[i]);
    }
    if (!same) added += ListpackEntrySize(std::to_string(e.fields.size() / 2));
    n.bytes += added;
    n.entries.push_back(&e);
  }
  WriteLength(bytes, nodes.size());
  for (const Node& n : nodes) {
    std::string key;
    WriteRawId(&key, n.master);
    WriteString(bytes, key);
    ListpackWriter lp;
    lp.Append(std::to_string(n.entries.size()));
    lp.Append("0");
    lp.Append(std::to_string(n.fields.size()));
    for (const std::string& f : n.fields) lp.Append(f);
    lp.Append("0");
    for (const RdbStreamEntry* e : n.entries) {
      bool same = e->fields.size() == n.fields.size() * 2;
      for (size_t i = 0; same && i < n.fields.size(); ++i) same = e->fields[2 * i] == n.fields[i];
      lp.Append(same ? "2" : "0");
      lp.Append(std::to_string(static_cast<int64_t>(e->id.ms - n.master.ms)));
      lp.Append(std::to_string(static_cast<int64_t>(e->id.seq - n.master.seq)));
      if (same) {
        for (size_t i = 1; i < e->fields.size(); i += 2) lp.Append(e->fields[i]);
        lp.Append(std::to_string(n.fields.size() + 3));
      } else {
        lp.Append(std::to_string(e->fields.size() / 2));
        for (const std::string& f : e->fields) lp.Append(f);
        lp.Append(std::to_string(e->fields.size() + 4));
      }
    }
    WriteString(bytes, lp.Finish());
  }
  WriteLength(bytes, stream.entries.size());
  WriteId(bytes, stream.last_id);
  WriteId(bytes, stream.first_id);
  WriteId(bytes, stream.max_deleted_id);
  WriteLength(bytes, stream.entries_added);
  WriteLength(bytes, stream.groups.size());
  for (const RdbGroup& g : stream.groups) {
    WriteString(bytes, g.name);
    WriteId(bytes, g.last_id);
    WriteLength(bytes, static_cast<uint64_t>(g.entries_read));
    WriteLength(bytes, g.pel.size());
    for (const RdbPending& p : g.pel) {
      WriteRawId(bytes, p.id);
      WriteMs(bytes, p.delivery_ms);
      WriteLength(bytes, p.delivery_count);
    }
    WriteLength(bytes, g.consumers.size());
    for (const RdbConsumer& c : g.consumers) {
      WriteString(bytes, c.name);
      WriteMs(bytes, c.seen_ms);
      size_t owned = 0;
      for (const RdbPending& p : g.pel) owned += p.consumer == c.name;
      WriteLength(bytes, owned);
      for (const RdbPending& p : g.pel) {
        if (p.consumer == c.name) WriteRawId(bytes, p.id);
      }
    }
  }
}

}  // namespace respite::storage::rdb
