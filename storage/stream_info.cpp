// XINFO STREAM [FULL [COUNT n]], GROUPS, CONSUMERS and HELP on the local store. radix-tree-keys
// counts the stream's nodes as Redis would group the same entries; radix-tree-nodes (Redis'
// internal tree size) reports the same.

#include <string>
#include <string_view>
#include <vector>

#include "resp/ascii.h"
#include "storage/command_context.h"
#include "storage/numbers.h"
#include "storage/stream_groups.h"
#include "storage/stream_model.h"

namespace respite::storage {
namespace {

using resp::EqualsIgnoreCase;

void SubcommandSyntaxError(CommandContext& ctx) {
  ctx.out.Error("ERR unknown subcommand or wrong number of arguments for '" +
                std::string(ctx.argv[1].substr(0, 128)) + "'. Try XINFO HELP.");
}

// One entry as [id, [field, value, ...]].
void ReplyEntry(resp::ReplyWriter& out, const StreamEntry& e) {
  out.ArrayHeader(2);
  out.Bulk(e.id.ToString());
  out.ArrayHeader(e.fields.size());
  for (const std::string& f : e.fields) out.Bulk(f);
}

// A group's "entries-read" and "lag" fields (null when Redis would not know them).
void ReplyReadAndLag(CommandContext& ctx, StreamGroups& store, const StreamGroup& g,
                     std::optional<StreamId> first) {
  ctx.out.Bulk("entries-read");
  if (g.entries_read == -1) {
    ctx.out.Null();
  } else {
    ctx.out.Integer(g.entries_read);
  }
  ctx.out.Bulk("lag");
  if (const std::optional<int64_t> lag = store.Lag(g, first)) {
    ctx.out.Integer(*lag);
  } else {
    ctx.out.Null();
  }
}

// XINFO STREAM FULL's groups: each with its PEL and consumers (PELs cut at `count`, 0: all).
Status ReplyFullGroups(CommandContext& ctx, Stream& stream, size_t count,
                       std::optional<StreamId> first) {
  StreamGroups store(ctx, stream);
  auto groups = store.All();
  if (!groups.ok()) return groups.status();
  ctx.out.ArrayHeader(groups.value().size());
  for (const StreamGroup& g : groups.value()) {
    std::vector<PendingEntry> pel;
    if (Status s = store.Pending(g.name, StreamId{}, StreamId::Max(), 0, std::nullopt, &pel);
        !s.ok()) {
      return s;
    }
    auto consumers = store.Consumers(g.name);
    if (!consumers.ok()) return consumers.status();
    ctx.out.MapHeader(7);
    ctx.out.Bulk("name");
    ctx.out.Bulk(g.name);
    ctx.out.Bulk("last-delivered-id");
    ctx.out.Bulk(g.last_id.ToString());
    ReplyReadAndLag(ctx, store, g, first);
    ctx.out.Bulk("pel-count");
    ctx.out.Integer(static_cast<int64_t>(pel.size()));
    ctx.out.Bulk("pending");
    const size_t shown = count == 0 ? pel.size() : std::min(count, pel.size());
    ctx.out.ArrayHeader(shown);
    for (size_t i = 0; i < shown; ++i) {
      ctx.out.ArrayHeader(4);
      ctx.out.Bulk(pel[i].id.ToString());
      ctx.out.Bulk(pel[i].consumer);
      ctx.out.Integer(pel[i].delivered_ms);
      ctx.out.Integer(static_cast<int64_t>(pel[i].count));
    }
    ctx.out.Bulk("consumers");
    ctx.out.ArrayHeader(consumers.value().size());
    for (const StreamConsumer& c : consumers.value()) {
      std::vector<const PendingEntry*> own;
      for (const PendingEntry& p : pel) {
        if (p.consumer == c.name) own.push_back(&p);
      }
      ctx.out.MapHeader(4);
      ctx.out.Bulk("name");
      ctx.out.Bulk(c.name);
      ctx.out.Bulk("seen-time");
      ctx.out.Integer(c.seen_ms);
      ctx.out.Bulk("pel-count");
      ctx.out.Integer(static_cast<int64_t>(own.size()));
      ctx.out.Bulk("pending");
      const size_t n = count == 0 ? own.size() : std::min(count, own.size());
      ctx.out.ArrayHeader(n);
      for (size_t i = 0; i < n; ++i) {
        ctx.out.ArrayHeader(3);
        ctx.out.Bulk(own[i]->id.ToString());
        ctx.out.Integer(own[i]->delivered_ms);
        ctx.out.Integer(static_cast<int64_t>(own[i]->count));
      }
    }
  }
  return Status::Ok();
}

void XInfoStream(CommandContext& ctx) {
  bool full = false;
  int64_t count = 10;
  const size_t options = ctx.argv.size() - 3;
  if (options > 0) {
    if ((options != 1 && options != 3) || !EqualsIgnoreCase(ctx.argv[3], "full") ||
        (options == 3 && !EqualsIgnoreCase(ctx.argv[4], "count"))) {
      SubcommandSyntaxError(ctx);
      return;
    }
    full = true;
    if (options == 3) {
      if (!ParseInt64(ctx.argv[5], &count)) {
        ctx.NotInteger();
        return;
      }
      if (count < 0) count = 10;
    }
  }
  Stream stream(ctx, ctx.argv[2]);
  if (!stream.Load()) return;
  if (!stream.exists()) {
    ctx.out.Error("ERR no such key");
    return;
  }
  auto nodes = stream.NodeCount();
  auto first = stream.Edge(/*first=*/true);
  if (!nodes.ok() || !first.ok()) {
    ctx.Fail(!nodes.ok() ? nodes.status() : first.status());
    return;
  }
  const StreamMeta& info = stream.info();
  ctx.out.MapHeader(full ? 9 : 10);
  ctx.out.Bulk("length");
  ctx.out.Integer(static_cast<int64_t>(stream.length()));
  ctx.out.Bulk("radix-tree-keys");
  ctx.out.Integer(static_cast<int64_t>(nodes.value()));
  ctx.out.Bulk("radix-tree-nodes");
  ctx.out.Integer(static_cast<int64_t>(nodes.value()));
  ctx.out.Bulk("last-generated-id");
  ctx.out.Bulk(info.last_id.ToString());
  ctx.out.Bulk("max-deleted-entry-id");
  ctx.out.Bulk(info.max_deleted_id.ToString());
  ctx.out.Bulk("entries-added");
  ctx.out.Integer(static_cast<int64_t>(info.entries_added));
  ctx.out.Bulk("recorded-first-entry-id");
  ctx.out.Bulk(first.value().value_or(StreamId{}).ToString());
  if (!full) {
    ctx.out.Bulk("groups");
    ctx.out.Integer(static_cast<int64_t>(info.groups));
    for (const bool last : {false, true}) {
      ctx.out.Bulk(last ? "last-entry" : "first-entry");
      std::vector<StreamEntry> one;
      if (Status s = stream.Range(StreamId{}, StreamId::Max(), 1, last, &one); !s.ok()) {
        ctx.Fail(s);
        return;
      }
      if (one.empty()) {
        ctx.out.Null();
      } else {
        ReplyEntry(ctx.out, one.front());
      }
    }
    return;
  }
  ctx.out.Bulk("entries");
  std::vector<StreamEntry> entries;
  if (Status s =
          stream.Range(StreamId{}, StreamId::Max(), static_cast<size_t>(count), false, &entries);
      !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ReplyStreamEntries(ctx.out, entries);
  ctx.out.Bulk("groups");
  if (Status s = ReplyFullGroups(ctx, stream, static_cast<size_t>(count), first.value()); !s.ok()) {
    ctx.Fail(s);
  }
}

// The stream named by argv[2] for XINFO GROUPS and CONSUMERS; false after an error reply.
bool LoadExisting(CommandContext& ctx, Stream* stream) {
  if (!stream->Load()) return false;
  if (!stream->exists()) {
    ctx.out.Error("ERR no such key");
    return false;
  }
  return true;
}

void XInfoGroups(CommandContext& ctx) {
  Stream stream(ctx, ctx.argv[2]);
  if (!LoadExisting(ctx, &stream)) return;
  StreamGroups store(ctx, stream);
  auto groups = store.All();
  auto first = stream.Edge(/*first=*/true);
  if (!groups.ok() || !first.ok()) {
    ctx.Fail(!groups.ok() ? groups.status() : first.status());
    return;
  }
  ctx.out.ArrayHeader(groups.value().size());
  for (const StreamGroup& g : groups.value()) {
    auto consumers = store.Consumers(g.name);
    auto pending = store.PendingCount(g.name, std::nullopt);
    if (!consumers.ok() || !pending.ok()) {
      ctx.Fail(!consumers.ok() ? consumers.status() : pending.status());
      return;
    }
    ctx.out.MapHeader(6);
    ctx.out.Bulk("name");
    ctx.out.Bulk(g.name);
    ctx.out.Bulk("consumers");
    ctx.out.Integer(static_cast<int64_t>(consumers.value().size()));
    ctx.out.Bulk("pending");
    ctx.out.Integer(static_cast<int64_t>(pending.value()));
    ctx.out.Bulk("last-delivered-id");
    ctx.out.Bulk(g.last_id.ToString());
    ReplyReadAndLag(ctx, store, g, first.value());
  }
}

void XInfoConsumers(CommandContext& ctx) {
  Stream stream(ctx, ctx.argv[2]);
  if (!LoadExisting(ctx, &stream)) return;
  StreamGroups store(ctx, stream);
  auto group = store.Find(ctx.argv[3]);
  if (!group.ok()) {
    ctx.Fail(group.status());
    return;
  }
  if (!group.value()) {
    ctx.out.Error("NOGROUP No such consumer group '" + std::string(ctx.argv[3]) +
                  "' for key name '" + std::string(ctx.argv[2]) + "'");
    return;
  }
  auto consumers = store.Consumers(ctx.argv[3]);
  if (!consumers.ok()) {
    ctx.Fail(consumers.status());
    return;
  }
  const int64_t now = ctx.ks.NowMs();
  ctx.out.ArrayHeader(consumers.value().size());
  for (const StreamConsumer& c : consumers.value()) {
    auto pending = store.PendingCount(ctx.argv[3], c.name);
    if (!pending.ok()) {
      ctx.Fail(pending.status());
      return;
    }
    ctx.out.MapHeader(3);
    ctx.out.Bulk("name");
    ctx.out.Bulk(c.name);
    ctx.out.Bulk("pending");
    ctx.out.Integer(static_cast<int64_t>(pending.value()));
    ctx.out.Bulk("idle");
    ctx.out.Integer(std::max<int64_t>(0, now - c.seen_ms));
  }
}

void XInfoHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CONSUMERS <key> <groupname>",
      "    Show consumers of <groupname>.",
      "GROUPS <key>",
      "    Show the stream consumer groups.",
      "STREAM <key> [FULL [COUNT <count>]",
      "    Show information about the stream.",
      "HELP",
      "    Prints this help.",
  };
  ctx.out.ArrayHeader(std::size(kLines));
  for (std::string_view line : kLines) ctx.out.SimpleString(line);
}

}  // namespace

std::span<const LocalCommandDef> StreamInfoCommands() {
  static const LocalCommandDef kRows[] = {
      {"xinfo|consumers", &XInfoConsumers},
      {"xinfo|groups", &XInfoGroups},
      {"xinfo|help", &XInfoHelp},
      {"xinfo|stream", &XInfoStream},
  };
  return kRows;
}

}  // namespace respite::storage
