// DUMP and RESTORE on the local store, in Redis 7.0's DUMP format (RDB version 10 values, the
// version + CRC64 footer). DUMP encodes what a key holds now the way Redis 7.0 would save it,
// choosing encodings by the OBJECT ENCODING thresholds in CONFIG; strings are never LZF
// compressed (what Redis writes with `rdbcompression no`; README, "Limits"). RESTORE reads every
// value type Redis 7.0 loads except modules; streams come with their groups, PELs and consumers.
// RESTORE is journaled as Redis propagates it: a relative TTL becomes absolute with ABSTTL
// appended; a TTL already past deletes the key (REPLACE) and is journaled as DEL.

#include <string>
#include <string_view>
#include <vector>

#include "resp/ascii.h"
#include "storage/command_context.h"
#include "storage/keyspace.h"
#include "storage/local_config.h"
#include "storage/numbers.h"
#include "storage/rdb_codec.h"
#include "storage/rdb_value.h"
#include "storage/stream_groups.h"
#include "storage/stream_model.h"

namespace respite::storage {
namespace {

using resp::EqualsIgnoreCase;

int64_t ConfigInt(CommandContext& ctx, std::string_view name, int64_t fallback) {
  return ctx.config != nullptr ? ctx.config->IntValue(name) : fallback;
}

rdb::EncodeLimits Limits(CommandContext& ctx) {
  rdb::EncodeLimits l;
  auto u = [&](std::string_view name, uint64_t fallback) {
    return static_cast<uint64_t>(ConfigInt(ctx, name, static_cast<int64_t>(fallback)));
  };
  l.set_max_intset_entries = u("set-max-intset-entries", l.set_max_intset_entries);
  l.hash_max_listpack_entries = u("hash-max-listpack-entries", l.hash_max_listpack_entries);
  l.hash_max_listpack_value = u("hash-max-listpack-value", l.hash_max_listpack_value);
  l.zset_max_listpack_entries = u("zset-max-listpack-entries", l.zset_max_listpack_entries);
  l.zset_max_listpack_value = u("zset-max-listpack-value", l.zset_max_listpack_value);
  l.list_max_listpack_size = ConfigInt(ctx, "list-max-listpack-size", l.list_max_listpack_size);
  l.stream_node_max_bytes = u("stream-node-max-bytes", l.stream_node_max_bytes);
  l.stream_node_max_entries = u("stream-node-max-entries", l.stream_node_max_entries);
  return l;
}

std::string PosField(uint64_t pos) {
  std::string out;
  PutU64(&out, pos);
  return out;
}

rdb::RdbStreamId ToRdb(StreamId id) { return {id.ms, id.seq}; }
StreamId FromRdb(rdb::RdbStreamId id) { return {id.ms, id.seq}; }

// A stream with its groups, PELs and consumers.
Status ReadStream(CommandContext& ctx, std::string_view key, rdb::RdbStream* out) {
  Stream stream(ctx, key);
  if (!stream.Load()) return Status::Ok();  // replied (cannot happen: the type was checked)
  std::vector<StreamEntry> entries;
  if (Status s = stream.Range(StreamId{}, StreamId::Max(), 0, false, &entries); !s.ok()) return s;
  for (StreamEntry& e : entries) out->entries.push_back({ToRdb(e.id), std::move(e.fields)});
  const StreamMeta& info = stream.info();
  out->last_id = ToRdb(info.last_id);
  out->max_deleted_id = ToRdb(info.max_deleted_id);
  out->entries_added = info.entries_added;
  if (!out->entries.empty()) out->first_id = out->entries.front().id;
  StreamGroups groups(ctx, stream);
  auto all = groups.All();
  if (!all.ok()) return all.status();
  for (const StreamGroup& g : all.value()) {
    rdb::RdbGroup group{g.name, ToRdb(g.last_id), g.entries_read, {}, {}};
    std::vector<PendingEntry> pel;
    if (Status s = groups.Pending(g.name, StreamId{}, StreamId::Max(), 0, std::nullopt, &pel);
        !s.ok()) {
      return s;
    }
    for (const PendingEntry& p : pel) {
      group.pel.push_back({ToRdb(p.id), p.delivered_ms, p.count, p.consumer});
    }
    auto consumers = groups.Consumers(g.name);
    if (!consumers.ok()) return consumers.status();
    for (const StreamConsumer& c : consumers.value())
      group.consumers.push_back({c.name, c.seen_ms});
    out->groups.push_back(std::move(group));
  }
  return Status::Ok();
}

Status WriteStream(CommandContext& ctx, std::string_view key, const rdb::RdbStream& in,
                   int64_t expire_ms) {
  Stream stream(ctx, key);
  stream.Create();
  const int64_t node_entries = ConfigInt(ctx, "stream-node-max-entries", 100);
  const int64_t node_bytes = ConfigInt(ctx, "stream-node-max-bytes", 4096);
  for (const rdb::RdbStreamEntry& e : in.entries) {
    std::vector<std::string_view> fields(e.fields.begin(), e.fields.end());
    stream.Append(FromRdb(e.id), fields, node_entries, node_bytes);
  }
  StreamMeta& info = stream.info();
  info.last_id = FromRdb(in.last_id);
  info.max_deleted_id = FromRdb(in.max_deleted_id);
  info.entries_added = in.entries_added;
  StreamGroups groups(ctx, stream);
  for (const rdb::RdbGroup& g : in.groups) {
    groups.Put(StreamGroup{g.name, FromRdb(g.last_id), g.entries_read});
    ++info.groups;
    for (const rdb::RdbConsumer& c : g.consumers) {
      if (Status s = groups.PutConsumer(g.name, StreamConsumer{c.name, c.seen_ms}); !s.ok()) {
        return s;
      }
    }
    for (const rdb::RdbPending& p : g.pel) {
      PendingEntry entry{FromRdb(p.id), p.consumer, p.delivery_ms, p.delivery_count};
      if (Status s = groups.PutPending(g.name, entry); !s.ok()) return s;
    }
  }
  stream.set_expire_ms(expire_ms);
  stream.Save();
  return Status::Ok();
}

// Reads a whole value into `obj` (lists in order, sorted sets by score then member).
Status ReadObject(CommandContext& ctx, std::string_view key, const MetaValue& meta,
                  rdb::RdbObject* obj) {
  obj->type = meta.type;
  if (meta.type == Type::kStream) return ReadStream(ctx, key, &obj->stream);
  if (meta.type == Type::kString) {
    obj->str = meta.payload;
    return Status::Ok();
  }
  if (meta.type == Type::kZSet) {
    auto it = ctx.ks.IterateScores(ctx.db, key, meta);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      double score = 0;
      std::string_view member;
      Keyspace::SplitScoreKey(it->key(), it->value(), key, &score, &member);
      obj->zset.emplace_back(std::string(member), score);
    }
    return it->status();
  }
  auto it = ctx.ks.IterateSubs(ctx.db, key, meta);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view field = Keyspace::SubField(it->key(), key);
    if (meta.type == Type::kHash) {
      obj->hash.emplace_back(std::string(field), std::string(it->value()));
    } else if (meta.type == Type::kList) {
      obj->items.emplace_back(it->value());
    } else {
      obj->items.emplace_back(field);
    }
  }
  return it->status();
}

// Writes `obj` as a new incarnation of `key` (the key does not exist now).
Status WriteObject(CommandContext& ctx, std::string_view key, const rdb::RdbObject& obj,
                   int64_t expire_ms) {
  if (obj.type == Type::kStream) return WriteStream(ctx, key, obj.stream, expire_ms);
  MetaValue meta;
  meta.type = obj.type;
  meta.expire_ms = expire_ms;
  if (obj.type == Type::kString) {
    meta.payload = obj.str;
    ctx.ks.PutMeta(ctx.db, key, meta, /*created=*/true);
    return Status::Ok();
  }
  meta.version = ctx.ks.NewVersion();
  switch (obj.type) {
    case Type::kList: {
      uint64_t tail = kListMiddle;
      for (const std::string& item : obj.items)
        ctx.ks.PutSub(ctx.db, key, meta, PosField(tail++), item);
      meta.set_list_bounds(kListMiddle, tail);
      meta.size = obj.items.size();
      break;
    }
    case Type::kSet:
      for (const std::string& m : obj.items) ctx.ks.PutSub(ctx.db, key, meta, m, {});
      meta.size = obj.items.size();
      break;
    case Type::kHash:
      for (const auto& [f, v] : obj.hash) ctx.ks.PutSub(ctx.db, key, meta, f, v);
      meta.size = obj.hash.size();
      break;
    case Type::kZSet: {
      // Redis loads a sorted set over the listpack limits as a skiplist; only that keeps -0.
      bool skiplist =
          obj.zset.size() > static_cast<uint64_t>(ConfigInt(ctx, "zset-max-listpack-entries", 128));
      const auto max_value = static_cast<uint64_t>(ConfigInt(ctx, "zset-max-listpack-value", 64));
      for (const auto& [m, score] : obj.zset) skiplist = skiplist || m.size() > max_value;
      if (skiplist) meta.payload = "s";
      for (const auto& [m, score] : obj.zset) {
        const double s = (score == 0 && !skiplist) ? 0 : score;
        std::string encoded;
        PutU64(&encoded, EncodeScoreExact(s));
        ctx.ks.PutSub(ctx.db, key, meta, m, encoded);
        ctx.ks.PutScore(ctx.db, key, meta, s, m);
      }
      meta.size = obj.zset.size();
      break;
    }
    default:
      break;
  }
  ctx.ks.PutMeta(ctx.db, key, meta, /*created=*/true);
  return Status::Ok();
}

// DUMP key
void Dump(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  MetaValue meta;
  if (Status s = ctx.ks.Lookup(ctx.db, key, &meta); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  if (meta.type == Type::kNone) {
    ctx.out.Null();
    return;
  }
  rdb::RdbObject obj;
  if (Status s = ReadObject(ctx, key, meta, &obj); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  uint8_t type = 0;
  std::string bytes;
  rdb::EncodeValue(obj, Limits(ctx), &type, &bytes);
  ctx.out.Bulk(rdb::MakeDumpPayload(type, bytes));
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
void Restore(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  bool replace = false, absttl = false;
  int64_t idle = -1, freq = -1;
  for (size_t j = 4; j < ctx.argv.size(); ++j) {
    const bool has_value = j + 1 < ctx.argv.size();
    if (EqualsIgnoreCase(ctx.argv[j], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(ctx.argv[j], "absttl")) {
      absttl = true;
    } else if (EqualsIgnoreCase(ctx.argv[j], "idletime") && has_value && freq == -1) {
      if (!ParseInt64(ctx.argv[++j], &idle)) return ctx.NotInteger();
      if (idle < 0) return ctx.out.Error("ERR Invalid IDLETIME value, must be >= 0");
    } else if (EqualsIgnoreCase(ctx.argv[j], "freq") && has_value && idle == -1) {
      if (!ParseInt64(ctx.argv[++j], &freq)) return ctx.NotInteger();
      if (freq < 0 || freq > 255) {
        return ctx.out.Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
      }
    } else {
      return ctx.SyntaxError();
    }
  }
  MetaValue existing;
  if (Status s = ctx.ks.Lookup(ctx.db, key, &existing); !s.ok()) return ctx.Fail(s);
  const bool exists = existing.type != Type::kNone;
  if (!replace && exists) return ctx.out.Error("BUSYKEY Target key name already exists.");
  int64_t ttl = 0;
  if (!ParseInt64(ctx.argv[2], &ttl)) return ctx.NotInteger();
  if (ttl < 0) return ctx.out.Error("ERR Invalid TTL value, must be >= 0");

  uint8_t type = 0;
  std::string_view value;
  if (!rdb::SplitDumpPayload(ctx.argv[3], &type, &value)) {
    return ctx.out.Error("ERR DUMP payload version or checksum are wrong");
  }
  // Redis loads from the whole payload: a value may end before the footer (the rest is ignored).
  rdb::RdbObject obj;
  size_t consumed = 0;
  if (!rdb::DecodeValue(type, ctx.argv[3].substr(1), &obj, &consumed)) {
    return ctx.out.Error("ERR Bad data format");
  }
  if (replace && exists) ctx.ks.DeleteKey(ctx.db, key);
  if (ttl != 0 && !absttl) ttl += ctx.ks.NowMs();
  if (ttl != 0 && ttl <= ctx.ks.NowMs()) {
    // Already expired: nothing is created; a replaced key is gone, propagated as DEL.
    if (replace && exists) {
      ctx.JournalAs({"DEL", std::string(key)});
    } else {
      ctx.NoJournal();
    }
    return ctx.out.SimpleString("OK");
  }
  if (Status s = WriteObject(ctx, key, obj, ttl); !s.ok()) return ctx.Fail(s);
  if (ttl != 0 && !absttl) {
    std::vector<std::string> journal(ctx.argv.begin(), ctx.argv.end());
    journal[2] = std::to_string(ttl);
    journal.emplace_back("ABSTTL");
    ctx.JournalAs(std::move(journal));
  }
  ctx.out.SimpleString("OK");
}

constexpr LocalCommandDef kCommands[] = {
    {"dump", &Dump},
    {"restore", &Restore},
};

}  // namespace

std::span<const LocalCommandDef> DumpRestoreCommands() { return kCommands; }

}  // namespace respite::storage
