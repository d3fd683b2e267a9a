#include "storage/stream_groups.h"

#include "storage/keyspace.h"
#include "storage/subkeys.h"

namespace respite::storage {

namespace {

constexpr uint64_t kUnknownEntriesRead = UINT64_MAX;

void PutId(std::string* out, StreamId id) {
  PutU64(out, id.ms);
  PutU64(out, id.seq);
}

StreamId GetId(std::string_view in) { return StreamId{GetU64(in), GetU64(in.substr(8))}; }

void PutName(std::string* out, std::string_view name) {
  PutU32(out, static_cast<uint32_t>(name.size()));
  out->append(name);
}

}  // namespace

std::vector<std::string> XClaimJournalEntry(std::string_view key, const StreamGroup& group,
                                            const PendingEntry& p) {
  return {"XCLAIM",     std::string(key),        group.name, p.consumer,
          "0",          p.id.ToString(),         "TIME",     std::to_string(p.delivered_ms),
          "RETRYCOUNT", std::to_string(p.count), "FORCE",    "JUSTID",
          "LASTID",     group.last_id.ToString()};
}

bool LoadStreamGroup(CommandContext& ctx, Stream* stream, std::optional<StreamGroup>* group,
                     bool missing_is_error) {
  if (!stream->Load()) return false;
  if (stream->exists()) {
    auto found = StreamGroups(ctx, *stream).Find(ctx.argv[2]);
    if (!found.ok()) {
      ctx.Fail(found.status());
      return false;
    }
    *group = std::move(found.value());
  }
  if (!*group && missing_is_error) {
    ctx.out.Error("NOGROUP No such key '" + std::string(ctx.argv[1]) + "' or consumer group '" +
                  std::string(ctx.argv[2]) + "'");
    return false;
  }
  return true;
}

StreamGroups::StreamGroups(CommandContext& ctx, Stream& stream) : ctx_(ctx), stream_(stream) {}

std::string StreamGroups::GroupField(std::string_view name) const {
  std::string field(1, 'g');
  field.append(name);
  return field;
}

std::string StreamGroups::GroupPrefix(char tag, std::string_view group) const {
  std::string field(1, tag);
  PutName(&field, group);
  return field;
}

std::string StreamGroups::ConsumerIndexPrefix(std::string_view group,
                                              std::string_view consumer) const {
  std::string field = GroupPrefix('q', group);
  PutName(&field, consumer);
  return field;
}

template <typename Visit>
Status StreamGroups::Scan(const std::string& prefix, const std::string& from, Visit visit) {
  const MetaValue& meta = stream_.meta();
  auto it = ctx_.ks.IterateSubs(ctx_.db, stream_.key(), meta);
  for (it->Seek(SubPrefix(ctx_.db, stream_.key(), meta.version) + from); it->Valid(); it->Next()) {
    const std::string_view field = Keyspace::SubField(it->key(), stream_.key());
    if (field.substr(0, prefix.size()) != prefix) break;
    if (!visit(field.substr(prefix.size()), it->value())) break;
  }
  return it->status();
}

Result<std::optional<StreamGroup>> StreamGroups::Find(std::string_view name) {
  std::string value;
  bool found = false;
  if (Status s = FindSub(ctx_.ks, ctx_.db, stream_.key(), stream_.meta(), GroupField(name), &value,
                         &found);
      !s.ok()) {
    return s;
  }
  if (!found || value.size() < 24) return std::optional<StreamGroup>();
  StreamGroup group{std::string(name), GetId(value), -1};
  const uint64_t read = GetU64(std::string_view(value).substr(16));
  if (read != kUnknownEntriesRead) group.entries_read = static_cast<int64_t>(read);
  return std::optional<StreamGroup>(std::move(group));
}

void StreamGroups::Put(const StreamGroup& group) {
  std::string value;
  PutId(&value, group.last_id);
  PutU64(&value,
         group.entries_read < 0 ? kUnknownEntriesRead : static_cast<uint64_t>(group.entries_read));
  ctx_.ks.PutSub(ctx_.db, stream_.key(), stream_.meta(), GroupField(group.name), value);
}

Result<std::vector<StreamGroup>> StreamGroups::All() {
  std::vector<std::string> names;
  Status s = Scan("g", "g", [&](std::string_view name, std::string_view) {
    names.emplace_back(name);
    return true;
  });
  if (!s.ok()) return s;
  std::vector<StreamGroup> groups;
  for (const std::string& name : names) {
    auto group = Find(name);
    if (!group.ok()) return group.status();
    if (group.value()) groups.push_back(std::move(*group.value()));
  }
  return groups;
}

Status StreamGroups::Destroy(std::string_view name) {
  for (char tag : {'c', 'p', 'q'}) {
    const std::string prefix = GroupPrefix(tag, name);
    std::vector<std::string> fields;
    Status s = Scan(prefix, prefix, [&](std::string_view rest, std::string_view) {
      fields.push_back(prefix + std::string(rest));
      return true;
    });
    if (!s.ok()) return s;
    for (const std::string& f : fields)
      ctx_.ks.DeleteSub(ctx_.db, stream_.key(), stream_.meta(), f);
  }
  ctx_.ks.DeleteSub(ctx_.db, stream_.key(), stream_.meta(), GroupField(name));
  return Status::Ok();
}

Result<std::optional<StreamConsumer>> StreamGroups::FindConsumer(std::string_view group,
                                                                 std::string_view consumer) {
  std::string value;
  bool found = false;
  if (Status s = FindSub(ctx_.ks, ctx_.db, stream_.key(), stream_.meta(),
                         GroupPrefix('c', group) + std::string(consumer), &value, &found);
      !s.ok()) {
    return s;
  }
  if (!found || value.size() < 8) return std::optional<StreamConsumer>();
  return std::optional<StreamConsumer>(
      StreamConsumer{std::string(consumer), static_cast<int64_t>(GetU64(value))});
}

Status StreamGroups::PutConsumer(std::string_view group, const StreamConsumer& consumer) {
  if (ctx_.ks.key_events_enabled()) {
    auto found = FindConsumer(group, consumer.name);
    if (!found.ok()) return found.status();
    if (!found.value()) ctx_.ks.NoteNamedEvent(ctx_.db, stream_.key(), "xgroup-createconsumer");
  }
  std::string value;
  PutU64(&value, static_cast<uint64_t>(consumer.seen_ms));
  ctx_.ks.PutSub(ctx_.db, stream_.key(), stream_.meta(), GroupPrefix('c', group) + consumer.name,
                 value);
  return Status::Ok();
}

Result<std::vector<StreamConsumer>> StreamGroups::Consumers(std::string_view group) {
  std::vector<StreamConsumer> out;
  const std::string prefix = GroupPrefix('c', group);
  Status s = Scan(prefix, prefix, [&](std::string_view name, std::string_view value) {
    out.push_back(StreamConsumer{std::string(name), static_cast<int64_t>(GetU64(value))});
    return true;
  });
  if (!s.ok()) return s;
  return out;
}

Result<int64_t> StreamGroups::DeleteConsumer(std::string_view group, std::string_view consumer) {
  std::vector<PendingEntry> pending;
  if (Status s = Pending(group, StreamId{}, StreamId::Max(), 0, consumer, &pending); !s.ok()) {
    return s;
  }
  for (const PendingEntry& e : pending) DeletePending(group, e);
  ctx_.ks.DeleteSub(ctx_.db, stream_.key(), stream_.meta(),
                    GroupPrefix('c', group) + std::string(consumer));
  return static_cast<int64_t>(pending.size());
}

Result<std::optional<PendingEntry>> StreamGroups::FindPending(std::string_view group, StreamId id) {
  std::string field = GroupPrefix('p', group);
  PutId(&field, id);
  std::string value;
  bool found = false;
  if (Status s = FindSub(ctx_.ks, ctx_.db, stream_.key(), stream_.meta(), field, &value, &found);
      !s.ok()) {
    return s;
  }
  if (!found || value.size() < 16) return std::optional<PendingEntry>();
  return std::optional<PendingEntry>(PendingEntry{id, value.substr(16),
                                                  static_cast<int64_t>(GetU64(value)),
                                                  GetU64(std::string_view(value).substr(8))});
}

Status StreamGroups::PutPending(std::string_view group, const PendingEntry& entry) {
  auto old = FindPending(group, entry.id);
  if (!old.ok()) return old.status();
  if (old.value() && old.value()->consumer != entry.consumer) {
    std::string index = ConsumerIndexPrefix(group, old.value()->consumer);
    PutId(&index, entry.id);
    ctx_.ks.DeleteSub(ctx_.db, stream_.key(), stream_.meta(), index);
  }
  std::string field = GroupPrefix('p', group);
  PutId(&field, entry.id);
  std::string value;
  PutU64(&value, static_cast<uint64_t>(entry.delivered_ms));
  PutU64(&value, entry.count);
  value.append(entry.consumer);
  ctx_.ks.PutSub(ctx_.db, stream_.key(), stream_.meta(), field, value);
  std::string index = ConsumerIndexPrefix(group, entry.consumer);
  PutId(&index, entry.id);
  ctx_.ks.PutSub(ctx_.db, stream_.key(), stream_.meta(), index, {});
  return Status::Ok();
}

void StreamGroups::DeletePending(std::string_view group, const PendingEntry& entry) {
  std::string field = GroupPrefix('p', group);
  PutId(&field, entry.id);
  ctx_.ks.DeleteSub(ctx_.db, stream_.key(), stream_.meta(), field);
  std::string index = ConsumerIndexPrefix(group, entry.consumer);
  PutId(&index, entry.id);
  ctx_.ks.DeleteSub(ctx_.db, stream_.key(), stream_.meta(), index);
}

Status StreamGroups::Pending(std::string_view group, StreamId start, StreamId end, size_t count,
                             std::optional<std::string_view> consumer,
                             std::vector<PendingEntry>* out) {
  out->clear();
  if (end < start) return Status::Ok();
  std::vector<StreamId> ids;
  const std::string prefix =
      consumer ? ConsumerIndexPrefix(group, *consumer) : GroupPrefix('p', group);
  std::string from = prefix;
  PutId(&from, start);
  Status s = Scan(prefix, from, [&](std::string_view rest, std::string_view) {
    if (rest.size() != 16) return true;
    const StreamId id = GetId(rest);
    if (end < id) return false;
    ids.push_back(id);
    return count == 0 || ids.size() < count;
  });
  if (!s.ok()) return s;
  for (StreamId id : ids) {
    auto entry = FindPending(group, id);
    if (!entry.ok()) return entry.status();
    if (entry.value()) out->push_back(std::move(*entry.value()));
  }
  return Status::Ok();
}

Result<uint64_t> StreamGroups::PendingCount(std::string_view group,
                                            std::optional<std::string_view> consumer) {
  const std::string prefix =
      consumer ? ConsumerIndexPrefix(group, *consumer) : GroupPrefix('p', group);
  uint64_t n = 0;
  Status s = Scan(prefix, prefix, [&](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  if (!s.ok()) return s;
  return n;
}

bool StreamGroups::RangeHasTombstones(StreamId start, std::optional<StreamId> first_id) const {
  const StreamMeta& info = stream_.info();
  if (stream_.length() == 0 || info.max_deleted_id == StreamId{}) return false;
  if (first_id.value_or(StreamId{}) > info.max_deleted_id) return false;
  return !(info.max_deleted_id < start);
}

int64_t StreamGroups::DistanceFromFirstEverEntry(StreamId id,
                                                 std::optional<StreamId> first_id) const {
  const StreamMeta& info = stream_.info();
  const auto added = static_cast<int64_t>(info.entries_added);
  if (added == 0) return 0;
  if (stream_.length() == 0 && !(info.last_id < id)) return added;
  if (id == info.last_id) return added;
  if (info.last_id < id) return -1;
  const StreamId first = first_id.value_or(StreamId{});
  if (info.max_deleted_id == StreamId{} || info.max_deleted_id < first) {
    const auto length = static_cast<int64_t>(stream_.length());
    if (id < first) return added - length;
    if (id == first) return added - length + 1;
  }
  return -1;
}

void StreamGroups::Advance(StreamGroup* group, StreamId id, std::optional<StreamId> first_id) {
  if (group->entries_read != -1 && !RangeHasTombstones(id, first_id)) {
    ++group->entries_read;
  } else if (stream_.info().entries_added != 0) {
    group->entries_read = DistanceFromFirstEverEntry(id, first_id);
  }
  group->last_id = id;
}

std::optional<int64_t> StreamGroups::Lag(const StreamGroup& group,
                                         std::optional<StreamId> first_id) {
  const auto added = static_cast<int64_t>(stream_.info().entries_added);
  if (added == 0) return 0;
  if (group.entries_read != -1 && !RangeHasTombstones(group.last_id, first_id)) {
    return added - group.entries_read;
  }
  const int64_t read = DistanceFromFirstEverEntry(group.last_id, first_id);
  if (read == -1) return std::nullopt;
  return added - read;
}

}  // namespace respite::storage
