// XINFO STREAM [FULL [COUNT n]] and XINFO HELP on the local store. Groups are reported empty
// until consumer groups are served locally. radix-tree-keys counts the stream's nodes as Redis
// would group the same entries; radix-tree-nodes (Redis' internal tree size) reports the same.

#include <string>
#include <string_view>
#include <vector>

#include "resp/ascii.h"
#include "storage/command_context.h"
#include "storage/numbers.h"
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
  ctx.out.ArrayHeader(0);
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
      {"xinfo|help", &XInfoHelp},
      {"xinfo|stream", &XInfoStream},
  };
  return kRows;
}

}  // namespace respite::storage
