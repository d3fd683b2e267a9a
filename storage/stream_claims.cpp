// XCLAIM and XAUTOCLAIM on the local store: pending entries change owner. Journaled as Redis
// propagates them: one "XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID LASTID
// id" per entry claimed or dropped from the PEL (its entry was deleted), or "XGROUP SETID" when
// only LASTID moved the group.

#include <string>
#include <string_view>
#include <vector>

#include "resp/ascii.h"
#include "storage/command_context.h"
#include "storage/keyspace.h"
#include "storage/numbers.h"
#include "storage/stream_groups.h"

namespace respite::storage {
namespace {

using resp::EqualsIgnoreCase;

// Claims `p` for `consumer` at `when`; counts a delivery unless `justid` (or sets `retrycount`).
Status Claim(StreamGroups& store, const StreamGroup& group, PendingEntry* p,
             std::string_view consumer, int64_t when, int64_t retrycount, bool justid) {
  p->consumer = std::string(consumer);
  p->delivered_ms = when;
  if (retrycount >= 0) {
    p->count = static_cast<uint64_t>(retrycount);
  } else if (!justid) {
    ++p->count;
  }
  return store.PutPending(group.name, *p);
}

void ReplyClaimed(resp::ReplyWriter& w, const StreamEntry& e, bool justid) {
  if (justid) {
    w.Bulk(e.id.ToString());
    return;
  }
  w.ArrayHeader(2);
  w.Bulk(e.id.ToString());
  w.ArrayHeader(e.fields.size());
  for (const std::string& f : e.fields) w.Bulk(f);
}

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE]
//        [JUSTID] [LASTID id]
void XClaim(CommandContext& ctx) {
  Stream stream(ctx, ctx.argv[1]);
  std::optional<StreamGroup> group;
  if (!LoadStreamGroup(ctx, &stream, &group, true)) return;
  int64_t min_idle = 0;
  if (!ParseInt64(ctx.argv[4], &min_idle)) {
    ctx.out.Error("ERR Invalid min-idle-time argument for XCLAIM");
    return;
  }
  if (min_idle < 0) min_idle = 0;
  std::vector<StreamId> ids;
  size_t j = 5;
  for (; j < ctx.argv.size(); ++j) {
    StreamId id;
    if (!ParseStreamId(ctx.argv[j], 0, true, &id)) break;
    ids.push_back(id);
  }
  const int64_t now = ctx.ks.NowMs();
  int64_t delivery = -1;
  int64_t retrycount = -1;
  bool force = false;
  bool justid = false;
  StreamId last_id;
  for (; j < ctx.argv.size(); ++j) {
    const std::string_view opt = ctx.argv[j];
    const bool more = j + 1 < ctx.argv.size();
    const auto number = [&](std::string_view what, int64_t* out) {
      if (ParseInt64(ctx.argv[++j], out)) return true;
      ctx.out.Error("ERR Invalid " + std::string(what) + " option argument for XCLAIM");
      return false;
    };
    if (EqualsIgnoreCase(opt, "force")) {
      force = true;
    } else if (EqualsIgnoreCase(opt, "justid")) {
      justid = true;
    } else if (EqualsIgnoreCase(opt, "idle") && more) {
      if (!number("IDLE", &delivery)) return;
      delivery = now - delivery;
    } else if (EqualsIgnoreCase(opt, "time") && more) {
      if (!number("TIME", &delivery)) return;
    } else if (EqualsIgnoreCase(opt, "retrycount") && more) {
      if (!number("RETRYCOUNT", &retrycount)) return;
    } else if (EqualsIgnoreCase(opt, "lastid") && more) {
      if (!ParseStreamId(ctx.argv[++j], 0, true, &last_id)) {
        ctx.out.Error(kInvalidStreamId);
        return;
      }
    } else {
      ctx.out.Error("ERR Unrecognized XCLAIM option '" + std::string(opt) + "'");
      return;
    }
  }
  bool group_moved = false;
  if (group->last_id < last_id) {
    group->last_id = last_id;
    group_moved = true;
  }
  if (delivery == -1 || delivery < 0 || delivery > now) delivery = now;
  StreamGroups store(ctx, stream);
  if (group_moved) store.Put(*group);
  std::vector<std::vector<std::string>> journal;
  std::string reply;
  resp::ReplyWriter w(&reply, ctx.out.protocol());
  size_t claimed = 0;
  bool consumer_seen = false;
  for (StreamId id : ids) {
    auto pending = store.FindPending(group->name, id);
    std::vector<StreamEntry> entry;
    Status s = pending.ok() ? stream.Range(id, id, 1, false, &entry) : pending.status();
    if (!s.ok()) {
      ctx.Fail(s);
      return;
    }
    std::optional<PendingEntry> p = std::move(pending.value());
    if (entry.empty()) {
      // The entry is gone: its PEL entry goes too.
      if (p) {
        journal.push_back(XClaimJournalEntry(ctx.argv[1], *group, *p));
        store.DeletePending(group->name, *p);
      }
      continue;
    }
    const bool created = !p && force;
    if (created) p = PendingEntry{id, {}, now, 0};
    if (!p) continue;
    if (!created && min_idle > 0 && now - p->delivered_ms < min_idle) continue;
    if (!consumer_seen) {
      if (Status c = store.PutConsumer(group->name, StreamConsumer{std::string(ctx.argv[3]), now});
          !c.ok()) {
        ctx.Fail(c);
        return;
      }
      consumer_seen = true;
    }
    if (Status c = Claim(store, *group, &*p, ctx.argv[3], delivery, retrycount, justid); !c.ok()) {
      ctx.Fail(c);
      return;
    }
    ReplyClaimed(w, entry.front(), justid);
    ++claimed;
    journal.push_back(XClaimJournalEntry(ctx.argv[1], *group, *p));
  }
  if (group_moved && journal.empty()) {
    journal.push_back({"XGROUP", "SETID", std::string(ctx.argv[1]), group->name,
                       group->last_id.ToString(), "ENTRIESREAD",
                       std::to_string(group->entries_read)});
  }
  if (journal.empty()) ctx.NoJournal();
  for (auto& e : journal) ctx.JournalAs(std::move(e));
  ctx.out.ArrayHeader(claimed);
  ctx.out.Raw(reply);
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
void XAutoClaim(CommandContext& ctx) {
  int64_t min_idle = 0;
  if (!ParseInt64(ctx.argv[4], &min_idle)) {
    ctx.out.Error("ERR Invalid min-idle-time argument for XAUTOCLAIM");
    return;
  }
  if (min_idle < 0) min_idle = 0;
  StreamId start;
  const std::string_view start_arg = ctx.argv[5];
  const bool start_ex = start_arg.size() > 1 && start_arg[0] == '(';
  if (!ParseStreamId(start_ex ? start_arg.substr(1) : start_arg, 0, start_ex, &start)) {
    ctx.out.Error(kInvalidStreamId);
    return;
  }
  if (start_ex && !start.Incr()) {
    ctx.out.Error("ERR invalid start ID for the interval");
    return;
  }
  int64_t count = 100;
  bool justid = false;
  for (size_t j = 6; j < ctx.argv.size(); ++j) {
    if (EqualsIgnoreCase(ctx.argv[j], "count") && j + 1 < ctx.argv.size()) {
      if (!ParseInt64(ctx.argv[++j], &count) || count < 1 || count > INT64_MAX / 16) {
        ctx.out.Error("ERR COUNT must be > 0");
        return;
      }
    } else if (EqualsIgnoreCase(ctx.argv[j], "justid")) {
      justid = true;
    } else {
      ctx.SyntaxError();
      return;
    }
  }
  Stream stream(ctx, ctx.argv[1]);
  std::optional<StreamGroup> group;
  if (!LoadStreamGroup(ctx, &stream, &group, true)) return;
  StreamGroups store(ctx, stream);
  const int64_t now = ctx.ks.NowMs();
  // At most count * 10 PEL entries are looked at, as in Redis.
  int64_t attempts = count * 10;
  std::vector<PendingEntry> pending;
  if (Status s = store.Pending(group->name, start, StreamId::Max(),
                               static_cast<size_t>(attempts) + 1, std::nullopt, &pending);
      !s.ok()) {
    ctx.Fail(s);
    return;
  }
  std::vector<std::vector<std::string>> journal;
  std::vector<StreamId> deleted;
  std::string reply;
  resp::ReplyWriter w(&reply, ctx.out.protocol());
  size_t claimed = 0;
  size_t next = 0;
  bool consumer_seen = false;
  for (; next < pending.size() && attempts > 0 && count > 0; ++next, --attempts) {
    PendingEntry& p = pending[next];
    std::vector<StreamEntry> entry;
    if (Status s = stream.Range(p.id, p.id, 1, false, &entry); !s.ok()) {
      ctx.Fail(s);
      return;
    }
    if (entry.empty()) {
      journal.push_back(XClaimJournalEntry(ctx.argv[1], *group, p));
      store.DeletePending(group->name, p);
      deleted.push_back(p.id);
      --count;
      continue;
    }
    if (min_idle > 0 && now - p.delivered_ms < min_idle) continue;
    if (!consumer_seen) {
      if (Status c = store.PutConsumer(group->name, StreamConsumer{std::string(ctx.argv[3]), now});
          !c.ok()) {
        ctx.Fail(c);
        return;
      }
      consumer_seen = true;
    }
    if (Status c = Claim(store, *group, &p, ctx.argv[3], now, -1, justid); !c.ok()) {
      ctx.Fail(c);
      return;
    }
    ReplyClaimed(w, entry.front(), justid);
    ++claimed;
    --count;
    journal.push_back(XClaimJournalEntry(ctx.argv[1], *group, p));
  }
  if (journal.empty()) ctx.NoJournal();
  for (auto& e : journal) ctx.JournalAs(std::move(e));
  ctx.out.ArrayHeader(3);
  ctx.out.Bulk(next < pending.size() ? pending[next].id.ToString() : "0-0");
  ctx.out.ArrayHeader(claimed);
  ctx.out.Raw(reply);
  ctx.out.ArrayHeader(deleted.size());
  for (StreamId id : deleted) ctx.out.Bulk(id.ToString());
}

}  // namespace

std::span<const LocalCommandDef> StreamClaimCommands() {
  static const LocalCommandDef kRows[] = {
      {"xautoclaim", &XAutoClaim},
      {"xclaim", &XClaim},
  };
  return kRows;
}

}  // namespace respite::storage
