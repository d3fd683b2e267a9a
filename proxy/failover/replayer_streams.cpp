// The replayer's stream ids (stream_id_rewrite.h): reading upstream's stream tops for a batch
// (under WATCH) and storing the plan's rules before the batch is sent; and, when another writer
// keeps aborting those WATCHed batches, replaying the XADDs one at a time in a script that
// applies the XADD and the cursor together or neither, so the drain cannot starve.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "proxy/failover/replayer.h"
#include "proxy/store_executor.h"
#include "proxy/time_util.h"
#include "proxy/upstream/blocking_client.h"
#include "resp/command_encoder.h"
#include "storage/journal.h"
#include "storage/local_store.h"
#include "storage/replay_records.h"

namespace respite::proxy {

namespace {

using storage::JournalEntry;
using storage::LocalStore;

// Upstream's answer to XINFO STREAM: the stream's last generated id.
StreamTop TopOf(std::string_view reply) {
  StreamTop top;
  if (reply[0] == '-') {
    top.is_stream = !reply.starts_with("-WRONGTYPE");
    return top;  // ERR no such key: XADD makes the stream
  }
  std::vector<std::string_view> fields;
  if (!SplitArray(reply, &fields)) return top;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    if (StringOf(fields[i]) != "last-generated-id") continue;
    StreamId id;
    if (storage::ParseStreamId(StringOf(fields[i + 1]), 0, true, &id)) top.last_id = id;
  }
  return top;
}

// Upstream's answer to TIME, in milliseconds (0 if unreadable).
uint64_t TimeMs(std::string_view reply) {
  std::vector<std::string_view> time;
  if (!SplitArray(reply, &time) || time.size() != 2) return 0;
  uint64_t seconds = 0, micros = 0;
  const std::string_view sec = StringOf(time[0]), usec = StringOf(time[1]);
  std::from_chars(sec.data(), sec.data() + sec.size(), seconds);
  std::from_chars(usec.data(), usec.data() + usec.size(), micros);
  return seconds * 1000 + micros / 1000;
}

}  // namespace

bool Replayer::PlanStreamIds(BlockingClient& client, const std::vector<JournalEntry>& batch,
                             InFlight* in_flight, std::string* error) {
  in_flight->watched = false;
  in_flight->multi_open = false;
  in_flight->plan = {};
  const std::vector<std::pair<int, std::string>> streams = StreamsToCheck(batch);
  if (streams.empty() && stream_ids_.empty()) return true;
  StreamTops tops;
  uint64_t now_ms = 0;
  if (!streams.empty()) {
    // WATCH makes the tops read here hold until EXEC, or EXEC runs nothing.
    const int home = config_.upstream.parsed.db;
    std::string request;
    std::vector<int> xinfo_of;  // per reply: the stream whose XINFO it is, or -1
    int db = home;
    for (size_t i = 0; i < streams.size(); ++i) {
      if (streams[i].first != db) {
        db = streams[i].first;
        resp::AppendCommand(&request, {"SELECT", std::to_string(db)});
        xinfo_of.push_back(-1);
      }
      resp::AppendCommand(&request, {"WATCH", streams[i].second});
      resp::AppendCommand(&request, {"XINFO", "STREAM", streams[i].second});
      xinfo_of.insert(xinfo_of.end(), {-1, static_cast<int>(i)});
    }
    if (db != home) {
      resp::AppendCommand(&request, {"SELECT", std::to_string(home)});
      xinfo_of.push_back(-1);
    }
    resp::AppendCommand(&request, {"TIME"});
    // MULTI in the same write: the time between the WATCH and EXEC (when another writer's XADD
    // aborts the batch) is one round trip shorter.
    request.append(kMulti);
    const uint32_t timeout = config_.upstream.request_timeout_ms;
    if (!client.Send(request, timeout, error)) return false;
    in_flight->watched = true;
    std::string reply;
    for (int of : xinfo_of) {
      if (!client.Read(timeout, &reply, error)) return false;
      if (of >= 0) {
        StreamTop top = TopOf(reply);
        if (reply[0] == '-' && top.is_stream && !reply.starts_with("-ERR no such key")) {
          // Not readable (an ACL, say): leave its XADDs as journaled.
          spdlog::warn("XINFO STREAM {} refused during replay: {}", streams[of].second,
                       ErrorText(reply));
          continue;
        }
        tops[streams[of]] = std::move(top);
      } else if (reply[0] == '-') {
        *error = "upstream refused respite's own command before a batch: " + ErrorText(reply);
        return false;
      }
    }
    if (!client.Read(timeout, &reply, error)) return false;
    now_ms = TimeMs(reply);
    if (!client.Read(timeout, &reply, error)) return false;
    if (reply[0] == '-') {
      *error = "MULTI refused: " + ErrorText(reply);
      return false;
    }
    in_flight->multi_open = true;
  }
  in_flight->plan = PlanBatch(batch, std::move(tops), now_ms, &stream_ids_);
  return StorePlan(in_flight->plan, error);
}

bool Replayer::StorePlan(const BatchPlan& plan, std::string* error) {
  if (plan.readded.empty() && plan.dropped.empty()) return true;
  // Stored before the batch can apply: once upstream has it, the rules are here too.
  std::vector<std::pair<uint64_t, std::string>> put;
  for (const StreamIdRule& rule : plan.readded) put.emplace_back(rule.seq, EncodeRule(rule));
  storage::Status s = store_.Call(
      [&](LocalStore& st) { return storage::UpdateReplayRecords(st.engine(), put, plan.dropped); });
  if (!s.ok()) {
    *error = "storing the replay's stream id rules: " + s.ToString();
    return false;
  }
  return true;
}

void Replayer::NoteStreamIds(const std::vector<JournalEntry>& batch, const BatchPlan& plan,
                             const std::vector<std::pair<size_t, std::string>>& failed) {
  auto failed_at = [&](size_t index) {
    return std::any_of(failed.begin(), failed.end(), [&](auto& f) { return f.first == index; });
  };
  for (const StreamIdRule& rule : plan.readded) {
    const auto entry = std::find_if(batch.begin(), batch.end(),
                                    [&](const JournalEntry& e) { return e.seq == rule.seq; });
    if (entry != batch.end() && failed_at(static_cast<size_t>(entry - batch.begin()))) continue;
    ++stream_ids_rewritten_;
    spdlog::warn(
        "journal entry {} (XADD {}): id {} is at or below the stream's last id upstream (another "
        "writer added entries during the outage); re-added as {}, later entries follow",
        rule.seq, rule.key, rule.old_id.ToString(), rule.new_id.ToString());
  }
  for (size_t index : plan.rewritten) {
    if (failed_at(index)) continue;
    ++stream_id_refs_rewritten_;
    const JournalEntry& e = batch[index];
    spdlog::info("journal entry {} ({} {}): stream ids rewritten to the re-added ones", e.seq,
                 e.argv[0], e.argv.size() > 1 ? e.argv[1] : "");
  }
}

size_t Replayer::ContendedCut(const std::vector<JournalEntry>& entries) const {
  for (size_t i = 0; i < entries.size(); ++i) {
    if (XAddIdIndex(entries[i].argv) == 0) continue;
    // Past what Lua's unpack takes: such an XADD stays in a WATCHed batch of its own.
    if (i == 0 && entries[i].argv.size() > kGuardMaxArgs) return 1;
    return i;
  }
  return entries.size();
}

bool Replayer::ReplayGuardedXadd(BlockingClient& client, const JournalEntry& entry,
                                 std::string* error, bool* applied) {
  *applied = false;
  const uint32_t timeout = config_.upstream.request_timeout_ms;
  const int home = config_.upstream.parsed.db;
  const std::string& key = entry.argv[1];
  // The stream's top and upstream's clock, unwatched: the script below checks them again.
  std::string request;
  if (entry.db != home) resp::AppendCommand(&request, {"SELECT", std::to_string(entry.db)});
  resp::AppendCommand(&request, {"XINFO", "STREAM", key});
  if (entry.db != home) resp::AppendCommand(&request, {"SELECT", std::to_string(home)});
  resp::AppendCommand(&request, {"TIME"});
  if (!client.Send(request, timeout, error)) return false;
  std::string reply, xinfo;
  const int replies = entry.db != home ? 4 : 2;
  uint64_t now_ms = 0;
  for (int i = 0; i < replies; ++i) {
    if (!client.Read(timeout, &reply, error)) return false;
    const bool is_xinfo = i == (entry.db != home ? 1 : 0);
    if (is_xinfo) {
      xinfo = reply;
    } else if (i == replies - 1) {
      now_ms = TimeMs(reply);
    } else if (reply[0] == '-') {
      *error = "upstream refused SELECT before a guarded XADD: " + ErrorText(reply);
      return false;
    }
  }
  StreamTops tops;
  const StreamTop top = TopOf(xinfo);
  // Not readable (an ACL, say): the XADD goes as journaled.
  const bool tops_read = xinfo[0] != '-' || !top.is_stream || xinfo.starts_with("-ERR no such key");
  if (tops_read) tops[{entry.db, key}] = top;
  // Headroom: put the new id past the ids other writers' `*` will take until the script runs.
  uint64_t plan_ms = now_ms;
  if (headroom_ms_ > 0)
    plan_ms = std::max(now_ms, top.last_id ? top.last_id->ms : 0) + headroom_ms_;
  const std::vector<JournalEntry> one = {entry};
  const BatchPlan plan = PlanBatch(one, std::move(tops), plan_ms, &stream_ids_);
  if (!StorePlan(plan, error)) return false;
  const std::vector<std::string>& argv = plan.argv[0] ? *plan.argv[0] : entry.argv;

  // KEYS: the stream, the cursor. ARGV: the stream's db, the cursor's db, the cursor value, then
  // the XADD's arguments after the key. A planned id at or below the top fails the XADD before it
  // writes anything, and then the cursor stays too.
  static constexpr std::string_view kScript =
      "redis.call('SELECT', ARGV[1])\n"
      "local added = redis.pcall('XADD', KEYS[1], unpack(ARGV, 4))\n"
      "if type(added) == 'table' and added.err and\n"
      "    string.find(added.err, 'equal or smaller than the target stream top', 1, true) then\n"
      "  return {0, added.err}\n"
      "end\n"
      "redis.call('SELECT', ARGV[2])\n"
      "redis.call('SET', KEYS[2], ARGV[3])\n"
      "return {1, added}\n";
  std::vector<std::string> eval = {"EVAL",
                                   std::string(kScript),
                                   "2",
                                   key,
                                   cursor_key_,
                                   std::to_string(entry.db),
                                   std::to_string(home),
                                   std::to_string(entry.seq)};
  eval.insert(eval.end(), argv.begin() + 2, argv.end());
  std::string call;
  resp::AppendCommandRange(&call, eval);
  const uint64_t started = MonotonicNs();
  if (!client.Call(call, timeout, &reply, error)) return false;
  batch_duration_.Observe(MonotonicNs() - started);
  std::vector<std::string_view> parts;
  if (reply[0] == '-' || !SplitArray(reply, &parts) || parts.size() != 2) {
    *error = "guarded XADD (EVAL) refused: " +
             (reply[0] == '-' ? ErrorText(reply) : std::string("unexpected reply"));
    return false;
  }
  if (parts[0].starts_with(":0")) {
    if (!tops_read) {
      *error = "XINFO STREAM " + key + " refused, and upstream's top is past the XADD's id";
      return false;
    }
    // Another writer passed the planned id between our read and the script: nothing ran.
    headroom_ms_ = std::min<uint64_t>(kMaxHeadroomMs, std::max<uint64_t>(1, headroom_ms_ * 2));
    if (++guard_misses_ % 100 == 0) {
      spdlog::info("{} guarded XADDs in a row met a stream top past their id ({})", guard_misses_,
                   ErrorText(parts[1]));
    }
    return true;
  }
  guard_misses_ = 0;
  *applied = true;
  ++guarded_xadds_;
  std::vector<std::pair<size_t, std::string>> failed;
  if (parts[1][0] == '-') failed.emplace_back(0, ErrorText(parts[1]));
  return RecordApplied(one, plan, failed, error);
}

}  // namespace respite::proxy
