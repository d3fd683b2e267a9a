// Stream consumer groups on the local store: XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|
// DELCONSUMER|HELP, XREADGROUP (BLOCK, NOACK, history), XACK, XPENDING, XCLAIM, XAUTOCLAIM,
// XINFO GROUPS|CONSUMERS. Journaled as Redis propagates them to its AOF: a delivery as the
// "XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID LASTID id" that reproduces
// it, a NOACK read as "XGROUP SETID ... ENTRIESREAD n", XGROUP CREATE with "$" made explicit.

#include <string>
#include <string_view>
#include <vector>

#include "resp/ascii.h"
#include "storage/command_context.h"
#include "storage/keyspace.h"
#include "storage/local_session.h"
#include "storage/numbers.h"
#include "storage/stream_groups.h"

namespace respite::storage {
namespace {

using resp::EqualsIgnoreCase;
using Journal = std::vector<std::vector<std::string>>;

constexpr size_t kBlockedReadDefaultCount = 1000;

bool ParseInt64OrReply(CommandContext& ctx, std::string_view text, int64_t* out,
                       std::string_view error = "ERR value is not an integer or out of range") {
  if (ParseInt64(text, out)) return true;
  ctx.out.Error(error);
  return false;
}

bool ParseStrictIdOrReply(CommandContext& ctx, std::string_view text, StreamId* id) {
  if (ParseStreamId(text, 0, true, id)) return true;
  ctx.out.Error(kInvalidStreamId);
  return false;
}

std::vector<std::string> SetIdEntry(std::string_view key, const StreamGroup& group) {
  return {"XGROUP",
          "SETID",
          std::string(key),
          group.name,
          group.last_id.ToString(),
          "ENTRIESREAD",
          std::to_string(group.entries_read)};
}

void Commit(CommandContext& ctx, Journal* journal) {
  if (journal->empty()) {
    ctx.NoJournal();
    return;
  }
  for (auto& entry : *journal) ctx.JournalAs(std::move(entry));
}

// ---- XGROUP ----

// Options after XGROUP CREATE|SETID key group id: MKSTREAM (CREATE) and ENTRIESREAD n.
bool ParseGroupOptions(CommandContext& ctx, bool create, bool* mkstream, int64_t* entries_read) {
  for (size_t i = 5; i < ctx.argv.size(); ++i) {
    if (create && EqualsIgnoreCase(ctx.argv[i], "mkstream")) {
      *mkstream = true;
    } else if (EqualsIgnoreCase(ctx.argv[i], "entriesread") && i + 1 < ctx.argv.size()) {
      if (!ParseInt64OrReply(ctx, ctx.argv[++i], entries_read)) return false;
      if (*entries_read < -1) {
        ctx.out.Error("ERR value for ENTRIESREAD must be positive or -1");
        return false;
      }
    } else {
      ctx.out.Error("ERR unknown subcommand or wrong number of arguments for '" +
                    std::string(ctx.argv[1].substr(0, 128)) + "'. Try XGROUP HELP.");
      return false;
    }
  }
  return true;
}

// The stream and, for every subcommand but CREATE, the group; false after an error reply.
bool LoadForXGroup(CommandContext& ctx, Stream* stream, bool mkstream, bool need_group,
                   std::optional<StreamGroup>* group) {
  if (!stream->Load()) return false;
  if (!mkstream && !stream->exists()) {
    ctx.out.Error(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want "
        "to use the MKSTREAM option to create an empty stream automatically.");
    return false;
  }
  if (!stream->exists()) return true;
  StreamGroups groups(ctx, *stream);
  auto found = groups.Find(ctx.argv[3]);
  if (!found.ok()) {
    ctx.Fail(found.status());
    return false;
  }
  *group = std::move(found.value());
  if (need_group && !*group) {
    ctx.out.Error("NOGROUP No such consumer group '" + std::string(ctx.argv[3]) +
                  "' for key name '" + std::string(ctx.argv[2]) + "'");
    return false;
  }
  return true;
}

void XGroupCreate(CommandContext& ctx) {
  bool mkstream = false;
  int64_t entries_read = -1;
  if (!ParseGroupOptions(ctx, true, &mkstream, &entries_read)) return;
  Stream stream(ctx, ctx.argv[2]);
  std::optional<StreamGroup> existing;
  if (!LoadForXGroup(ctx, &stream, mkstream, false, &existing)) return;
  StreamId id;
  if (ctx.argv[4] == "$") {
    id = stream.exists() ? stream.info().last_id : StreamId{};
  } else if (!ParseStrictIdOrReply(ctx, ctx.argv[4], &id)) {
    return;
  }
  if (existing) {
    ctx.out.Error("BUSYGROUP Consumer Group name already exists");
    return;
  }
  if (!stream.exists()) stream.Create();
  StreamGroups groups(ctx, stream);
  groups.Put(StreamGroup{std::string(ctx.argv[3]), id, entries_read});
  ++stream.info().groups;
  stream.Save();
  std::vector<std::string> entry(ctx.argv.begin(), ctx.argv.end());
  entry[4] = id.ToString();
  ctx.JournalAs(std::move(entry));
  ctx.out.Ok();
}

void XGroupSetId(CommandContext& ctx) {
  bool mkstream = false;
  int64_t entries_read = -1;
  if (ctx.argv.size() != 5 && ctx.argv.size() != 7) {
    ctx.out.Error("ERR unknown subcommand or wrong number of arguments for '" +
                  std::string(ctx.argv[1].substr(0, 128)) + "'. Try XGROUP HELP.");
    return;
  }
  if (!ParseGroupOptions(ctx, false, &mkstream, &entries_read)) return;
  Stream stream(ctx, ctx.argv[2]);
  std::optional<StreamGroup> group;
  if (!LoadForXGroup(ctx, &stream, false, true, &group)) return;
  StreamId id;
  if (ctx.argv[4] == "$") {
    id = stream.info().last_id;
  } else if (!ParseStreamId(ctx.argv[4], 0, false, &id)) {
    ctx.out.Error(kInvalidStreamId);
    return;
  }
  group->last_id = id;
  group->entries_read = entries_read;
  StreamGroups(ctx, stream).Put(*group);
  std::vector<std::string> entry(ctx.argv.begin(), ctx.argv.end());
  entry[4] = id.ToString();
  ctx.JournalAs(std::move(entry));
  ctx.out.Ok();
}

void XGroupDestroy(CommandContext& ctx) {
  Stream stream(ctx, ctx.argv[2]);
  std::optional<StreamGroup> group;
  if (!LoadForXGroup(ctx, &stream, false, false, &group)) return;
  if (!group) {
    ctx.NoJournal();
    ctx.out.Integer(0);
    return;
  }
  if (Status s = StreamGroups(ctx, stream).Destroy(group->name); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  --stream.info().groups;
  stream.Save();
  ctx.out.Integer(1);
}

// XGROUP CREATECONSUMER (1 when it made one) and DELCONSUMER (the pending entries it dropped);
// 0, journaling nothing, when there was nothing to do.
void ConsumerSubcommand(CommandContext& ctx, bool create) {
  Stream stream(ctx, ctx.argv[2]);
  std::optional<StreamGroup> group;
  if (!LoadForXGroup(ctx, &stream, false, true, &group)) return;
  StreamGroups groups(ctx, stream);
  auto found = groups.FindConsumer(group->name, ctx.argv[4]);
  if (!found.ok()) {
    ctx.Fail(found.status());
    return;
  }
  if (found.value().has_value() == create) {
    ctx.NoJournal();
    ctx.out.Integer(0);
    return;
  }
  if (create) {
    if (Status s = groups.PutConsumer(group->name,
                                      StreamConsumer{std::string(ctx.argv[4]), ctx.ks.NowMs()});
        !s.ok()) {
      ctx.Fail(s);
      return;
    }
    ctx.out.Integer(1);
    return;
  }
  auto pending = groups.DeleteConsumer(group->name, ctx.argv[4]);
  if (!pending.ok()) {
    ctx.Fail(pending.status());
    return;
  }
  ctx.out.Integer(pending.value());
}
void XGroupCreateConsumer(CommandContext& ctx) { ConsumerSubcommand(ctx, /*create=*/true); }
void XGroupDelConsumer(CommandContext& ctx) { ConsumerSubcommand(ctx, /*create=*/false); }

void XGroupHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CREATE <key> <groupname> <id|$> [option]",
      "    Create a new consumer group. Options are:",
      "    * MKSTREAM",
      "      Create the empty stream if it does not exist.",
      "    * ENTRIESREAD entries_read",
      "      Set the group's entries_read counter (internal use).",
      "CREATECONSUMER <key> <groupname> <consumer>",
      "    Create a new consumer in the specified group.",
      "DELCONSUMER <key> <groupname> <consumer>",
      "    Remove the specified consumer.",
      "DESTROY <key> <groupname>",
      "    Remove the specified group.",
      "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
      "    Set the current group ID and entries_read counter.",
      "HELP",
      "    Prints this help.",
  };
  ctx.out.ArrayHeader(std::size(kLines));
  for (std::string_view line : kLines) ctx.out.SimpleString(line);
}

// ---- XREADGROUP ----

void XReadGroup(CommandContext& ctx) {
  const auto& argv = ctx.argv;
  int64_t timeout_ms = -1;
  int64_t count = 0;
  bool noack = false;
  std::string_view group_name;
  std::string_view consumer_name;
  size_t streams_at = 0;
  size_t streams = 0;
  for (size_t i = 1; i < argv.size(); ++i) {
    const size_t more = argv.size() - i - 1;
    if (EqualsIgnoreCase(argv[i], "block") && more > 0) {
      if (ctx.in_script) {
        ctx.out.Error("ERR " + std::string(argv[0]) +
                      " command is not allowed with BLOCK option from scripts");
        return;
      }
      if (!ParseInt64OrReply(ctx, argv[++i], &timeout_ms,
                             "ERR timeout is not an integer or out of range")) {
        return;
      }
      if (timeout_ms < 0) {
        ctx.out.Error("ERR timeout is negative");
        return;
      }
    } else if (EqualsIgnoreCase(argv[i], "count") && more > 0) {
      if (!ParseInt64OrReply(ctx, argv[++i], &count)) return;
      if (count < 0) count = 0;
    } else if (EqualsIgnoreCase(argv[i], "streams") && more > 0) {
      streams_at = i + 1;
      if ((argv.size() - streams_at) % 2 != 0) {
        ctx.out.Error(
            "ERR Unbalanced XREADGROUP list of streams: for each stream key an ID or '$' must be "
            "specified.");
        return;
      }
      streams = (argv.size() - streams_at) / 2;
      break;
    } else if (EqualsIgnoreCase(argv[i], "group") && more >= 2) {
      group_name = argv[i + 1];
      consumer_name = argv[i + 2];
      i += 2;
    } else if (EqualsIgnoreCase(argv[i], "noack")) {
      noack = true;
    } else {
      ctx.SyntaxError();
      return;
    }
  }
  if (streams_at == 0) {
    ctx.SyntaxError();
    return;
  }
  if (group_name.data() == nullptr) {
    ctx.out.Error("ERR Missing GROUP option for XREADGROUP");
    return;
  }
  // Every key and group first, then every ID (">": new entries), as Redis checks them.
  std::vector<Stream> opened;
  opened.reserve(streams);
  std::vector<StreamGroup> groups;
  std::vector<std::optional<StreamId>> history;  // nullopt: ">"
  for (size_t k = 0; k < streams; ++k) {
    const std::string_view key = argv[streams_at + k];
    opened.emplace_back(ctx, key);
    if (!opened.back().Load(/*other_type_is_missing=*/ctx.session.woken)) return;
    std::optional<StreamGroup> group;
    if (opened.back().exists()) {
      auto found = StreamGroups(ctx, opened.back()).Find(group_name);
      if (!found.ok()) {
        ctx.Fail(found.status());
        return;
      }
      group = std::move(found.value());
    }
    if (!group && ctx.session.woken) {
      // A parked reader whose stream or group went away is told so (Redis unblocks it).
      ctx.out.Error(opened.back().exists()
                        ? "NOGROUP the consumer group this client was blocked on no longer exists"
                        : "UNBLOCKED the stream key no longer exists");
      return;
    }
    if (!group) {
      ctx.out.Error("NOGROUP No such key '" + std::string(key) + "' or consumer group '" +
                    std::string(group_name) + "' in XREADGROUP with GROUP option");
      return;
    }
    groups.push_back(std::move(*group));
    const std::string_view id_arg = argv[streams_at + streams + k];
    if (id_arg == "$") {
      ctx.out.Error(
          "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
          "history of this consumer by specifying a proper ID, or use the > ID to get new "
          "messages. The $ ID would just return an empty result set.");
      return;
    }
    if (id_arg == ">") {
      history.emplace_back();
      continue;
    }
    StreamId id;
    if (!ParseStrictIdOrReply(ctx, id_arg, &id)) return;
    history.emplace_back(id);
  }
  const auto limit = static_cast<size_t>(count);
  const int64_t now = ctx.ks.NowMs();
  Journal journal;
  std::string reply;
  resp::ReplyWriter w(&reply, ctx.out.protocol());
  size_t served = 0;
  for (size_t k = 0; k < streams; ++k) {
    Stream& stream = opened[k];
    StreamGroup& group = groups[k];
    StreamGroups store(ctx, stream);
    const std::string_view key = argv[streams_at + k];
    // The consumer is created (or its seen time refreshed) by a read that serves this stream;
    // one that blocks writes nothing (a parked read runs again on every write).
    const auto touch_consumer = [&] {
      Status s = store.PutConsumer(group.name, StreamConsumer{std::string(consumer_name), now});
      if (!s.ok()) ctx.Fail(s);
      return s.ok();
    };
    std::vector<StreamEntry> entries;
    std::vector<bool> deleted;
    if (history[k]) {
      if (!touch_consumer()) return;
      StreamId start = *history[k];
      start.Incr();
      std::vector<PendingEntry> pending;
      if (Status s =
              store.Pending(group.name, start, StreamId::Max(), limit, consumer_name, &pending);
          !s.ok()) {
        ctx.Fail(s);
        return;
      }
      for (PendingEntry& p : pending) {
        std::vector<StreamEntry> one;
        if (Status s = stream.Range(p.id, p.id, 1, false, &one); !s.ok()) {
          ctx.Fail(s);
          return;
        }
        deleted.push_back(one.empty());
        entries.push_back(one.empty() ? StreamEntry{p.id, {}} : std::move(one.front()));
        if (!one.empty()) {
          p.delivered_ms = now;
          ++p.count;
          if (Status s = store.PutPending(group.name, p); !s.ok()) {
            ctx.Fail(s);
            return;
          }
        }
      }
    } else {
      StreamId start = group.last_id;
      if (stream.length() == 0 || !start.Incr()) continue;
      if (Status s = stream.Range(start, StreamId::Max(), limit, false, &entries); !s.ok()) {
        ctx.Fail(s);
        return;
      }
      if (entries.empty()) continue;
      if (!touch_consumer()) return;
      auto first = stream.Edge(/*first=*/true);
      if (!first.ok()) {
        ctx.Fail(first.status());
        return;
      }
      for (const StreamEntry& e : entries) {
        store.Advance(&group, e.id, first.value());
        deleted.push_back(false);
        if (noack) continue;
        PendingEntry p{e.id, std::string(consumer_name), now, 1};
        if (Status s = store.PutPending(group.name, p); !s.ok()) {
          ctx.Fail(s);
          return;
        }
        journal.push_back(XClaimJournalEntry(key, group, p));
      }
      if (noack) journal.push_back(SetIdEntry(key, group));
      store.Put(group);
    }
    if (entries.empty() && !history[k]) continue;
    ++served;
    if (ctx.out.protocol() == 2) w.ArrayHeader(2);
    w.Bulk(key);
    w.ArrayHeader(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      w.ArrayHeader(2);
      w.Bulk(entries[i].id.ToString());
      if (deleted[i]) {
        w.NullArray();
        continue;
      }
      w.ArrayHeader(entries[i].fields.size());
      for (const std::string& f : entries[i].fields) w.Bulk(f);
    }
  }
  if (served > 0) {
    if (ctx.out.protocol() == 2) {
      ctx.out.ArrayHeader(served);
    } else {
      ctx.out.MapHeader(served);
    }
    ctx.out.Raw(reply);
    Commit(ctx, &journal);
    return;
  }
  Commit(ctx, &journal);
  if (timeout_ms < 0) {
    ctx.out.NullArray();
    return;
  }
  ctx.would_block = true;
  ctx.block_timeout_ms = timeout_ms;
  ctx.block_argv.assign(argv.begin(), argv.end());
  if (count == 0) {
    ctx.block_argv.insert(ctx.block_argv.begin() + 1,
                          {"COUNT", std::to_string(kBlockedReadDefaultCount)});
  }
}

// ---- XACK, XPENDING ----

void XAck(CommandContext& ctx) {
  Stream stream(ctx, ctx.argv[1]);
  std::optional<StreamGroup> group;
  if (!LoadStreamGroup(ctx, &stream, &group, false)) return;
  // The IDs are checked even when there is no group (Redis answers their error first).
  std::vector<StreamId> ids(ctx.argv.size() - 3);
  for (size_t i = 3; i < ctx.argv.size(); ++i) {
    if (!ParseStrictIdOrReply(ctx, ctx.argv[i], &ids[i - 3])) return;
  }
  if (!group) {
    ctx.NoJournal();
    ctx.out.Integer(0);
    return;
  }
  StreamGroups store(ctx, stream);
  int64_t acked = 0;
  for (StreamId id : ids) {
    auto p = store.FindPending(group->name, id);
    if (!p.ok()) {
      ctx.Fail(p.status());
      return;
    }
    if (!p.value()) continue;
    store.DeletePending(group->name, *p.value());
    ++acked;
  }
  if (acked == 0) ctx.NoJournal();
  ctx.out.Integer(acked);
}

void XPending(CommandContext& ctx) {
  const auto& argv = ctx.argv;
  if (argv.size() != 3 && (argv.size() < 6 || argv.size() > 9)) {
    ctx.SyntaxError();
    return;
  }
  int64_t count = 0;
  int64_t min_idle = 0;
  StreamId start;
  StreamId end;
  std::optional<std::string_view> consumer;
  if (argv.size() >= 6) {
    size_t at = 3;
    if (EqualsIgnoreCase(argv[3], "idle")) {
      if (!ParseInt64OrReply(ctx, argv[4], &min_idle)) return;
      if (argv.size() < 8) {
        ctx.SyntaxError();
        return;
      }
      at += 2;
    }
    if (!ParseInt64OrReply(ctx, argv[at + 2], &count)) return;
    if (count < 0) count = 0;
    const bool start_ex = argv[at].size() > 1 && argv[at][0] == '(';
    if (!ParseStreamId(start_ex ? argv[at].substr(1) : argv[at], 0, start_ex, &start)) {
      ctx.out.Error(kInvalidStreamId);
      return;
    }
    if (start_ex && !start.Incr()) {
      ctx.out.Error("ERR invalid start ID for the interval");
      return;
    }
    const std::string_view end_arg = argv[at + 1];
    const bool end_ex = end_arg.size() > 1 && end_arg[0] == '(';
    if (!ParseStreamId(end_ex ? end_arg.substr(1) : end_arg, UINT64_MAX, end_ex, &end)) {
      ctx.out.Error(kInvalidStreamId);
      return;
    }
    if (end_ex && !end.Decr()) {
      ctx.out.Error("ERR invalid end ID for the interval");
      return;
    }
    if (at + 3 < argv.size()) consumer = argv[at + 3];
  }
  Stream stream(ctx, argv[1]);
  std::optional<StreamGroup> group;
  if (!LoadStreamGroup(ctx, &stream, &group, true)) return;
  StreamGroups store(ctx, stream);
  if (argv.size() == 3) {
    std::vector<PendingEntry> all;
    if (Status s = store.Pending(group->name, StreamId{}, StreamId::Max(), 0, std::nullopt, &all);
        !s.ok()) {
      ctx.Fail(s);
      return;
    }
    ctx.out.ArrayHeader(4);
    ctx.out.Integer(static_cast<int64_t>(all.size()));
    if (all.empty()) {
      ctx.out.Null();
      ctx.out.Null();
      ctx.out.NullArray();
      return;
    }
    ctx.out.Bulk(all.front().id.ToString());
    ctx.out.Bulk(all.back().id.ToString());
    std::vector<std::pair<std::string, int64_t>> per_consumer;
    auto consumers = store.Consumers(group->name);
    if (!consumers.ok()) {
      ctx.Fail(consumers.status());
      return;
    }
    for (const StreamConsumer& c : consumers.value()) {
      int64_t n = 0;
      for (const PendingEntry& p : all) n += p.consumer == c.name ? 1 : 0;
      if (n > 0) per_consumer.emplace_back(c.name, n);
    }
    ctx.out.ArrayHeader(per_consumer.size());
    for (const auto& [name, n] : per_consumer) {
      ctx.out.ArrayHeader(2);
      ctx.out.Bulk(name);
      ctx.out.Bulk(std::to_string(n));
    }
    return;
  }
  std::vector<PendingEntry> entries;
  if (Status s = store.Pending(group->name, start, end, 0, consumer, &entries); !s.ok()) {
    ctx.Fail(s);
    return;
  }
  const int64_t now = ctx.ks.NowMs();
  std::vector<const PendingEntry*> shown;
  for (const PendingEntry& p : entries) {
    if (static_cast<int64_t>(shown.size()) >= count) break;
    if (min_idle > 0 && now - p.delivered_ms < min_idle) continue;
    shown.push_back(&p);
  }
  ctx.out.ArrayHeader(shown.size());
  for (const PendingEntry* p : shown) {
    ctx.out.ArrayHeader(4);
    ctx.out.Bulk(p->id.ToString());
    ctx.out.Bulk(p->consumer);
    ctx.out.Integer(std::max<int64_t>(0, now - p->delivered_ms));
    ctx.out.Integer(static_cast<int64_t>(p->count));
  }
}

}  // namespace

std::span<const LocalCommandDef> StreamGroupCommands() {
  static const LocalCommandDef kRows[] = {
      {"xack", &XAck},
      {"xgroup|create", &XGroupCreate},
      {"xgroup|createconsumer", &XGroupCreateConsumer},
      {"xgroup|delconsumer", &XGroupDelConsumer},
      {"xgroup|destroy", &XGroupDestroy},
      {"xgroup|help", &XGroupHelp},
      {"xgroup|setid", &XGroupSetId},
      {"xpending", &XPending},
      {"xreadgroup", &XReadGroup},
  };
  return kRows;
}

}  // namespace respite::storage
