// The stream family without consumer groups: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID,
// XREAD (BLOCK included). Storage and trimming live in stream_model.h. Journaling follows what
// Redis propagates to its AOF: XADD with the ID it generated, a trim as the MINID it came to (an
// approximate trim made exact), XDEL and XSETID as themselves.

#include <string>
#include <string_view>
#include <vector>

#include "resp/ascii.h"
#include "storage/command_context.h"
#include "storage/keyspace.h"
#include "storage/local_config.h"
#include "storage/local_session.h"
#include "storage/numbers.h"
#include "storage/stream_model.h"

namespace respite::storage {
namespace {

using resp::EqualsIgnoreCase;

constexpr size_t kBlockedReadDefaultCount = 1000;  // XREAD BLOCK without COUNT, once woken

bool ParseIdOrReply(CommandContext& ctx, std::string_view text, uint64_t missing_seq, bool strict,
                    StreamId* id, bool* seq_given = nullptr) {
  if (ParseStreamId(text, missing_seq, strict, id, seq_given)) return true;
  ctx.out.Error(kInvalidStreamId);
  return false;
}

bool ParseInt64OrReply(CommandContext& ctx, std::string_view text, int64_t* out) {
  if (ParseInt64(text, out)) return true;
  ctx.NotInteger();
  return false;
}

// The options XADD and XTRIM share, from argv[2]. XADD: returns the index of the ID argument
// (or argv.size() when none was found); XTRIM: argv.size(). -1 after an error reply.
int64_t ParseTrimArgs(CommandContext& ctx, bool xadd, StreamTrim* trim, bool* nomkstream) {
  const auto& argv = ctx.argv;
  bool limit_given = false;
  size_t i = 2;
  for (; i < argv.size(); ++i) {
    const size_t more = argv.size() - 1 - i;
    const std::string_view opt = argv[i];
    if (xadd && opt == "*") break;
    const bool maxlen = EqualsIgnoreCase(opt, "maxlen");
    if ((maxlen || EqualsIgnoreCase(opt, "minid")) && more > 0) {
      if (trim->strategy != StreamTrim::Strategy::kNone) {
        ctx.out.Error(
            "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
        return -1;
      }
      trim->approx = false;
      if (more >= 2 && (argv[i + 1] == "~" || argv[i + 1] == "=")) {
        trim->approx = argv[i + 1] == "~";
        ++i;
      }
      if (maxlen) {
        if (!ParseInt64OrReply(ctx, argv[i + 1], &trim->maxlen)) return -1;
        if (trim->maxlen < 0) {
          ctx.out.Error("ERR The MAXLEN argument must be >= 0.");
          return -1;
        }
        trim->strategy = StreamTrim::Strategy::kMaxLen;
      } else {
        if (!ParseIdOrReply(ctx, argv[i + 1], 0, true, &trim->minid)) return -1;
        trim->strategy = StreamTrim::Strategy::kMinId;
      }
      ++i;
    } else if (EqualsIgnoreCase(opt, "limit") && more > 0) {
      if (!ParseInt64OrReply(ctx, argv[i + 1], &trim->limit)) return -1;
      if (trim->limit < 0) {
        ctx.out.Error("ERR The LIMIT argument must be >= 0.");
        return -1;
      }
      limit_given = true;
      ++i;
    } else if (xadd && EqualsIgnoreCase(opt, "nomkstream")) {
      *nomkstream = true;
    } else if (xadd) {
      // The ID: checked here, before the checks that follow the options (as in Redis).
      StreamId id;
      bool seq_given = true;
      if (!ParseIdOrReply(ctx, opt, 0, true, &id, &seq_given)) return -1;
      break;
    } else {
      ctx.SyntaxError();
      return -1;
    }
  }
  if (trim->limit != 0 && trim->strategy == StreamTrim::Strategy::kNone) {
    ctx.out.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    return -1;
  }
  if (!xadd && trim->strategy == StreamTrim::Strategy::kNone) {
    ctx.out.Error("ERR syntax error, XTRIM must be called with a trimming strategy");
    return -1;
  }
  if (limit_given) {
    if (!trim->approx) {
      ctx.out.Error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return -1;
    }
  } else if (trim->approx) {
    // At most 100 nodes' worth of work, as Redis bounds an approximate trim.
    int64_t limit = 100 * ctx.config->IntValue("stream-node-max-entries");
    if (limit <= 0) limit = 10000;
    trim->limit = std::min<int64_t>(limit, 1000000);
  } else {
    trim->limit = 0;
  }
  return static_cast<int64_t>(i);
}

// The journal entry of a trim: the MINID it came to (or MAXLEN 0 when nothing is left), exact,
// so a replay deletes what this trim deleted and no more.
Status JournalTrim(CommandContext& ctx, Stream& stream, std::vector<std::vector<std::string>>* j) {
  auto first = stream.Edge(/*first=*/true);
  if (!first.ok()) return first.status();
  const std::string key(ctx.argv[1]);
  if (first.value()) {
    j->push_back({"XTRIM", key, "MINID", "=", first.value()->ToString()});
  } else {
    j->push_back({"XTRIM", key, "MAXLEN", "=", "0"});
  }
  return Status::Ok();
}

void XAdd(CommandContext& ctx) {
  StreamTrim trim;
  bool nomkstream = false;
  const int64_t id_pos = ParseTrimArgs(ctx, /*xadd=*/true, &trim, &nomkstream);
  if (id_pos < 0) return;
  const auto pos = static_cast<size_t>(id_pos);
  const size_t field_pos = pos + 1;
  // The ID is checked as an option is, before the arity.
  StreamId id;
  const bool id_given = pos < ctx.argv.size() && ctx.argv[pos] != "*";
  bool seq_given = true;
  if (id_given && !ParseIdOrReply(ctx, ctx.argv[pos], 0, true, &id, &seq_given)) return;
  if (pos >= ctx.argv.size() || ctx.argv.size() - field_pos < 2 ||
      (ctx.argv.size() - field_pos) % 2 == 1) {
    ctx.out.Error("ERR wrong number of arguments for 'xadd' command");
    return;
  }
  if (id_given && seq_given && id == StreamId{}) {
    ctx.out.Error("ERR The ID specified in XADD must be greater than 0-0");
    return;
  }
  Stream stream(ctx, ctx.argv[1]);
  if (!stream.Load()) return;
  if (!stream.exists()) {
    if (nomkstream) {
      ctx.NoJournal();
      ctx.out.Null();
      return;
    }
    stream.Create();
  }
  const StreamId last = stream.info().last_id;
  if (last == StreamId::Max()) {
    ctx.out.Error("ERR The stream has exhausted the last possible ID, unable to add more items");
    return;
  }
  if (!id_given) {
    // The current time, or the next sequence of the last ID when the clock is behind it.
    const auto now = static_cast<uint64_t>(ctx.ks.NowMs());
    if (now > last.ms) {
      id = StreamId{now, 0};
    } else {
      id = last;
      id.Incr();
    }
  } else if (!seq_given) {
    if (id.ms == last.ms) {
      if (last.seq == UINT64_MAX) {
        ctx.out.Error(
            "ERR The ID specified in XADD is equal or smaller than the target stream top item");
        return;
      }
      id.seq = last.seq + 1;
    } else if (id.ms < last.ms) {
      ctx.out.Error(
          "ERR The ID specified in XADD is equal or smaller than the target stream top item");
      return;
    }
  } else if (!(id > last)) {
    ctx.out.Error(
        "ERR The ID specified in XADD is equal or smaller than the target stream top item");
    return;
  }
  stream.Append(id, ctx.argv.subspan(field_pos), ctx.config->IntValue("stream-node-max-entries"),
                ctx.config->IntValue("stream-node-max-bytes"));
  std::vector<std::vector<std::string>> journal;
  std::vector<std::string> add = {"XADD", std::string(ctx.argv[1]), id.ToString()};
  for (size_t i = field_pos; i < ctx.argv.size(); ++i) add.emplace_back(ctx.argv[i]);
  journal.push_back(std::move(add));
  auto trimmed = stream.Trim(trim);
  if (!trimmed.ok()) {
    ctx.Fail(trimmed.status());
    return;
  }
  if (trimmed.value() > 0) {
    if (Status s = JournalTrim(ctx, stream, &journal); !s.ok()) {
      ctx.Fail(s);
      return;
    }
    ctx.ks.NoteNamedEvent(ctx.db, ctx.argv[1], "xtrim");
  }
  stream.Save();
  for (auto& entry : journal) ctx.JournalAs(std::move(entry));
  ctx.out.Bulk(id.ToString());
}

void XLen(CommandContext& ctx) {
  Stream stream(ctx, ctx.argv[1]);
  if (!stream.Load()) return;
  ctx.out.Integer(static_cast<int64_t>(stream.length()));
}

void Range(CommandContext& ctx, bool reverse) {
  const std::string_view start_arg = reverse ? ctx.argv[3] : ctx.argv[2];
  const std::string_view end_arg = reverse ? ctx.argv[2] : ctx.argv[3];
  // An interval bound: "(id" excludes it (strict ID), anything else is an ID, "-" or "+".
  const auto bound = [&](std::string_view arg, uint64_t missing_seq, StreamId* id,
                         bool* exclusive) {
    *exclusive = arg.size() > 1 && arg[0] == '(';
    return ParseIdOrReply(ctx, *exclusive ? arg.substr(1) : arg, missing_seq, *exclusive, id);
  };
  StreamId start;
  StreamId end;
  bool start_ex = false;
  bool end_ex = false;
  if (!bound(start_arg, 0, &start, &start_ex)) return;
  if (start_ex && !start.Incr()) {
    ctx.out.Error("ERR invalid start ID for the interval");
    return;
  }
  if (!bound(end_arg, UINT64_MAX, &end, &end_ex)) return;
  if (end_ex && !end.Decr()) {
    ctx.out.Error("ERR invalid end ID for the interval");
    return;
  }
  int64_t count = -1;
  for (size_t i = 4; i < ctx.argv.size(); ++i) {
    if (EqualsIgnoreCase(ctx.argv[i], "count") && i + 1 < ctx.argv.size()) {
      if (!ParseInt64OrReply(ctx, ctx.argv[++i], &count)) return;
      if (count < 0) count = 0;
    } else {
      ctx.SyntaxError();
      return;
    }
  }
  Stream stream(ctx, ctx.argv[1]);
  if (!stream.Load()) return;
  if (!stream.exists()) {
    ctx.out.ArrayHeader(0);
    return;
  }
  if (count == 0) {
    ctx.out.NullArray();
    return;
  }
  std::vector<StreamEntry> entries;
  if (Status s =
          stream.Range(start, end, count < 0 ? 0 : static_cast<size_t>(count), reverse, &entries);
      !s.ok()) {
    ctx.Fail(s);
    return;
  }
  ReplyStreamEntries(ctx.out, entries);
}

void XRange(CommandContext& ctx) { Range(ctx, /*reverse=*/false); }
void XRevRange(CommandContext& ctx) { Range(ctx, /*reverse=*/true); }

void XDel(CommandContext& ctx) {
  // The key first (a missing one answers 0 whatever the IDs), then every ID before any delete.
  Stream stream(ctx, ctx.argv[1]);
  if (!stream.Load()) return;
  int64_t deleted = 0;
  if (stream.exists()) {
    std::vector<StreamId> ids(ctx.argv.size() - 2);
    for (size_t i = 2; i < ctx.argv.size(); ++i) {
      if (!ParseIdOrReply(ctx, ctx.argv[i], 0, true, &ids[i - 2])) return;
    }
    for (StreamId id : ids) {
      auto removed = stream.Delete(id);
      if (!removed.ok()) {
        ctx.Fail(removed.status());
        return;
      }
      if (removed.value()) ++deleted;
    }
  }
  if (deleted > 0) {
    stream.Save();
  } else {
    ctx.NoJournal();
  }
  ctx.out.Integer(deleted);
}

void XTrim(CommandContext& ctx) {
  StreamTrim trim;
  bool nomkstream = false;
  if (ParseTrimArgs(ctx, /*xadd=*/false, &trim, &nomkstream) < 0) return;
  Stream stream(ctx, ctx.argv[1]);
  if (!stream.Load()) return;
  if (!stream.exists()) {
    ctx.NoJournal();
    ctx.out.Integer(0);
    return;
  }
  auto deleted = stream.Trim(trim);
  if (!deleted.ok()) {
    ctx.Fail(deleted.status());
    return;
  }
  if (deleted.value() == 0) {
    ctx.NoJournal();
  } else {
    std::vector<std::vector<std::string>> journal;
    if (Status s = JournalTrim(ctx, stream, &journal); !s.ok()) {
      ctx.Fail(s);
      return;
    }
    stream.Save();
    ctx.JournalAs(std::move(journal.front()));
  }
  ctx.out.Integer(deleted.value());
}

void XSetId(CommandContext& ctx) {
  StreamId id;
  if (!ParseIdOrReply(ctx, ctx.argv[2], 0, true, &id)) return;
  int64_t entries_added = -1;
  StreamId max_deleted;
  for (size_t i = 3; i < ctx.argv.size(); i += 2) {
    const bool more = i + 1 < ctx.argv.size();
    if (EqualsIgnoreCase(ctx.argv[i], "entriesadded") && more) {
      if (!ParseInt64OrReply(ctx, ctx.argv[i + 1], &entries_added)) return;
      if (entries_added < 0) {
        ctx.out.Error("ERR entries_added must be positive");
        return;
      }
    } else if (EqualsIgnoreCase(ctx.argv[i], "maxdeletedid") && more) {
      if (!ParseIdOrReply(ctx, ctx.argv[i + 1], 0, true, &max_deleted)) return;
      if (id < max_deleted) {
        ctx.out.Error(
            "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
        return;
      }
    } else {
      ctx.SyntaxError();
      return;
    }
  }
  Stream stream(ctx, ctx.argv[1]);
  if (!stream.Load()) return;
  if (!stream.exists()) {
    ctx.out.Error("ERR no such key");
    return;
  }
  if (stream.length() > 0) {
    auto top = stream.Edge(/*first=*/false);
    if (!top.ok()) {
      ctx.Fail(top.status());
      return;
    }
    if (top.value() && id < *top.value()) {
      ctx.out.Error("ERR The ID specified in XSETID is smaller than the target stream top item");
      return;
    }
    if (entries_added != -1 && stream.length() > static_cast<uint64_t>(entries_added)) {
      ctx.out.Error(
          "ERR The entries_added specified in XSETID is smaller than the target stream length");
      return;
    }
  }
  stream.info().last_id = id;
  if (entries_added != -1) stream.info().entries_added = static_cast<uint64_t>(entries_added);
  if (max_deleted != StreamId{}) stream.info().max_deleted_id = max_deleted;
  stream.Save();
  ctx.out.Ok();
}

// XREAD [COUNT count] [BLOCK ms] STREAMS key... id...
void XRead(CommandContext& ctx) {
  const auto& argv = ctx.argv;
  int64_t timeout_ms = -1;
  int64_t count = 0;
  size_t streams_at = 0;
  size_t streams = 0;
  for (size_t i = 1; i < argv.size(); ++i) {
    const bool more = i + 1 < argv.size();
    if (EqualsIgnoreCase(argv[i], "block") && more) {
      if (ctx.in_script) {
        ctx.out.Error("ERR " + std::string(argv[0]) +
                      " command is not allowed with BLOCK option from scripts");
        return;
      }
      if (!ParseInt64(argv[++i], &timeout_ms)) {
        ctx.out.Error("ERR timeout is not an integer or out of range");
        return;
      }
      if (timeout_ms < 0) {
        ctx.out.Error("ERR timeout is negative");
        return;
      }
    } else if (EqualsIgnoreCase(argv[i], "count") && more) {
      if (!ParseInt64OrReply(ctx, argv[++i], &count)) return;
      if (count < 0) count = 0;
    } else if (EqualsIgnoreCase(argv[i], "streams") && more) {
      streams_at = i + 1;
      if ((argv.size() - streams_at) % 2 != 0) {
        ctx.out.Error(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.");
        return;
      }
      streams = (argv.size() - streams_at) / 2;
      break;
    } else if (EqualsIgnoreCase(argv[i], "group") && i + 2 < argv.size()) {
      ctx.out.Error(
          "ERR The GROUP option is only supported by XREADGROUP. You called XREAD "
          "instead.");
      return;
    } else if (EqualsIgnoreCase(argv[i], "noack")) {
      ctx.out.Error(
          "ERR The NOACK option is only supported by XREADGROUP. You called XREAD "
          "instead.");
      return;
    } else {
      ctx.SyntaxError();
      return;
    }
  }
  if (streams_at == 0) {
    ctx.SyntaxError();
    return;
  }
  // Resolve every ID first ("$": the stream's last ID now), checking each key's type.
  std::vector<StreamId> after(streams);
  std::vector<Stream> opened;
  opened.reserve(streams);
  for (size_t k = 0; k < streams; ++k) {
    opened.emplace_back(ctx, argv[streams_at + k]);
    // A parked reader woken by a write to a key that is no stream now keeps waiting (Redis).
    if (!opened.back().Load(/*other_type_is_missing=*/ctx.session.woken)) return;
    const std::string_view id_arg = argv[streams_at + streams + k];
    if (id_arg == "$") {
      after[k] = opened.back().exists() ? opened.back().info().last_id : StreamId{};
    } else if (id_arg == ">") {
      ctx.out.Error(
          "ERR The > ID can be specified only when calling XREADGROUP using the GROUP "
          "<group> <consumer> option.");
      return;
    } else if (!ParseIdOrReply(ctx, id_arg, 0, true, &after[k])) {
      return;
    }
  }
  const auto limit = static_cast<size_t>(count);
  std::vector<std::pair<size_t, std::vector<StreamEntry>>> served;
  for (size_t k = 0; k < streams; ++k) {
    Stream& stream = opened[k];
    if (!stream.exists() || stream.length() == 0) continue;
    StreamId start = after[k];
    if (!start.Incr()) continue;
    std::vector<StreamEntry> entries;
    if (Status s = stream.Range(start, StreamId::Max(), limit, false, &entries); !s.ok()) {
      ctx.Fail(s);
      return;
    }
    if (!entries.empty()) served.emplace_back(k, std::move(entries));
  }
  if (!served.empty()) {
    // RESP2: an array of [key, entries] pairs; RESP3: a map of key -> entries.
    const bool resp2 = ctx.out.protocol() == 2;
    if (resp2) {
      ctx.out.ArrayHeader(served.size());
    } else {
      ctx.out.MapHeader(served.size());
    }
    for (const auto& [k, entries] : served) {
      if (resp2) ctx.out.ArrayHeader(2);
      ctx.out.Bulk(argv[streams_at + k]);
      ReplyStreamEntries(ctx.out, entries);
    }
    return;
  }
  if (timeout_ms < 0) {
    ctx.out.NullArray();
    return;
  }
  // Nothing yet: block, and when woken read after the IDs resolved now ("$" no longer moves).
  ctx.would_block = true;
  ctx.block_timeout_ms = timeout_ms;
  ctx.block_argv.assign(argv.begin(), argv.end());
  for (size_t k = 0; k < streams; ++k) {
    ctx.block_argv[streams_at + streams + k] = after[k].ToString();
  }
  // Served once woken, a read without COUNT gets at most this many entries per stream (Redis).
  if (count == 0) {
    ctx.block_argv.insert(ctx.block_argv.begin() + 1,
                          {"COUNT", std::to_string(kBlockedReadDefaultCount)});
  }
}

}  // namespace

std::span<const LocalCommandDef> StreamCommands() {
  static const LocalCommandDef kRows[] = {
      {"xadd", &XAdd},   {"xdel", &XDel},           {"xlen", &XLen},     {"xrange", &XRange},
      {"xread", &XRead}, {"xrevrange", &XRevRange}, {"xsetid", &XSetId}, {"xtrim", &XTrim},
  };
  return kRows;
}

}  // namespace respite::storage
