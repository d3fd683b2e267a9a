#include "proxy/failover/stream_id_rewrite.h"

#include <algorithm>

#include "resp/ascii.h"
#include "storage/encoding.h"

namespace respite::proxy {

namespace {

using resp::EqualsIgnoreCase;
using storage::JournalEntry;

bool ParseFullId(std::string_view text, StreamId* id) {
  bool seq_given = true;
  return storage::ParseStreamId(text, 0, true, id, &seq_given) && seq_given;
}

bool IsClaimOption(std::string_view arg) {
  for (std::string_view option : {"IDLE", "TIME", "RETRYCOUNT", "FORCE", "JUSTID", "LASTID"}) {
    if (EqualsIgnoreCase(arg, option)) return true;
  }
  return false;
}

// The argument indexes of `argv` that hold stream ids (of the key argv[key_at], returned in
// *key_at) a rule may rename. Empty for commands that name none.
std::vector<size_t> IdArguments(const std::vector<std::string>& argv, size_t* key_at) {
  std::vector<size_t> at;
  const std::string_view cmd = argv[0];
  const size_t n = argv.size();
  *key_at = 1;
  if (EqualsIgnoreCase(cmd, "xack")) {
    for (size_t i = 3; i < n; ++i) at.push_back(i);
  } else if (EqualsIgnoreCase(cmd, "xdel")) {
    for (size_t i = 2; i < n; ++i) at.push_back(i);
  } else if (EqualsIgnoreCase(cmd, "xclaim")) {
    size_t i = 5;
    for (; i < n && !IsClaimOption(argv[i]); ++i) at.push_back(i);
    for (; i + 1 < n; ++i) {
      if (EqualsIgnoreCase(argv[i], "lastid")) at.push_back(++i);
    }
  } else if (EqualsIgnoreCase(cmd, "xautoclaim")) {
    if (n > 5) at.push_back(5);
  } else if (EqualsIgnoreCase(cmd, "xgroup")) {
    if (n > 4 && (EqualsIgnoreCase(argv[1], "setid") || EqualsIgnoreCase(argv[1], "create"))) {
      *key_at = 2;
      at.push_back(4);
    }
  } else if (EqualsIgnoreCase(cmd, "xsetid")) {
    if (n > 2) at.push_back(2);
    for (size_t i = 3; i + 1 < n; ++i) {
      if (EqualsIgnoreCase(argv[i], "maxdeletedid")) at.push_back(++i);
    }
  } else if (EqualsIgnoreCase(cmd, "xtrim") || EqualsIgnoreCase(cmd, "xadd")) {
    // MINID's threshold; an XADD's own id is the plan's business, not a rule's.
    const size_t end = EqualsIgnoreCase(cmd, "xadd") ? XAddIdIndex(argv) : n;
    for (size_t i = 2; i + 1 < end; ++i) {
      if (!EqualsIgnoreCase(argv[i], "minid")) continue;
      if (argv[i + 1] == "=" || argv[i + 1] == "~") ++i;
      if (i + 1 < end) at.push_back(i + 1);
      break;
    }
  }
  if (*key_at >= n) at.clear();
  return at;
}

}  // namespace

void StreamIdRewrites::Put(const StreamIdRule& rule) {
  Erase(rule.seq);
  by_seq_[rule.seq] = rule;
  by_id_[{rule.db, rule.key, rule.old_id}][rule.seq] = rule.new_id;
}

void StreamIdRewrites::Erase(uint64_t seq) {
  auto it = by_seq_.find(seq);
  if (it == by_seq_.end()) return;
  const StreamIdRule& rule = it->second;
  auto named = by_id_.find({rule.db, rule.key, rule.old_id});
  if (named != by_id_.end()) {
    named->second.erase(seq);
    if (named->second.empty()) by_id_.erase(named);
  }
  by_seq_.erase(it);
}

void StreamIdRewrites::Clear() {
  by_seq_.clear();
  by_id_.clear();
}

const StreamIdRule* StreamIdRewrites::Find(uint64_t seq) const {
  auto it = by_seq_.find(seq);
  return it == by_seq_.end() ? nullptr : &it->second;
}

std::optional<StreamId> StreamIdRewrites::Lookup(int db, const std::string& key, uint64_t seq,
                                                 StreamId old_id) const {
  auto named = by_id_.find({db, key, old_id});
  if (named == by_id_.end()) return std::nullopt;
  auto after = named->second.lower_bound(seq);  // first rule made at or after `seq`
  if (after == named->second.begin()) return std::nullopt;
  return std::prev(after)->second;
}

size_t StreamIdRewrites::Rewrite(int db, uint64_t seq, std::vector<std::string>* argv) const {
  if (by_seq_.empty() || argv->empty()) return 0;
  size_t key_at = 1;
  const std::vector<size_t> at = IdArguments(*argv, &key_at);
  size_t changed = 0;
  for (size_t i : at) {
    StreamId id;
    if (!ParseFullId((*argv)[i], &id)) continue;
    if (auto renamed = Lookup(db, (*argv)[key_at], seq, id)) {
      (*argv)[i] = renamed->ToString();
      ++changed;
    }
  }
  return changed;
}

size_t XAddIdIndex(const std::vector<std::string>& argv) {
  if (argv.size() < 3 || !EqualsIgnoreCase(argv[0], "xadd")) return 0;
  for (size_t i = 2; i < argv.size(); ++i) {
    const std::string_view arg = argv[i];
    if (EqualsIgnoreCase(arg, "nomkstream")) continue;
    if (EqualsIgnoreCase(arg, "maxlen") || EqualsIgnoreCase(arg, "minid") ||
        EqualsIgnoreCase(arg, "limit")) {
      if (i + 1 < argv.size() && (argv[i + 1] == "=" || argv[i + 1] == "~")) ++i;
      ++i;
      continue;
    }
    StreamId id;
    return ParseFullId(arg, &id) ? i : 0;
  }
  return 0;
}

std::optional<StreamId> NextAutoId(StreamId top, uint64_t now_ms) {
  if (now_ms > top.ms) return StreamId{now_ms, 0};
  if (!top.Incr()) return std::nullopt;
  return top;
}

std::vector<std::pair<int, std::string>> StreamsToCheck(const std::vector<JournalEntry>& batch) {
  std::vector<std::pair<int, std::string>> out;
  for (const JournalEntry& e : batch) {
    if (XAddIdIndex(e.argv) == 0) continue;
    std::pair<int, std::string> stream{e.db, e.argv[1]};
    if (std::find(out.begin(), out.end(), stream) == out.end()) out.push_back(std::move(stream));
  }
  return out;
}

BatchPlan PlanBatch(const std::vector<JournalEntry>& batch, StreamTops tops, uint64_t now_ms,
                    StreamIdRewrites* rewrites) {
  BatchPlan plan;
  plan.argv.resize(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const JournalEntry& e = batch[i];
    std::vector<std::string> argv = e.argv;
    const bool changed = rewrites->Rewrite(e.db, e.seq, &argv) > 0;
    const std::string_view cmd = argv[0];
    if (const size_t id_at = XAddIdIndex(argv); id_at != 0) {
      auto top = tops.find({e.db, argv[1]});
      StreamId id;
      ParseFullId(argv[id_at], &id);
      const bool nomkstream = std::find_if(argv.begin() + 2, argv.begin() + id_at, [](auto& a) {
                                return EqualsIgnoreCase(a, "nomkstream");
                              }) != argv.begin() + id_at;
      std::optional<StreamId> fresh;
      if (top != tops.end() && top->second.is_stream && !(nomkstream && !top->second.last_id)) {
        const StreamId last = top->second.last_id.value_or(StreamId{});
        if (id <= last) fresh = NextAutoId(last, now_ms);
        top->second.last_id = fresh.value_or(std::max(last, id));
      }
      if (fresh) {
        StreamIdRule rule{e.seq, e.db, argv[1], id, *fresh};
        argv[id_at] = fresh->ToString();
        rewrites->Put(rule);
        plan.readded.push_back(std::move(rule));
      } else if (rewrites->Find(e.seq) != nullptr) {
        // Made by an attempt that did not apply; upstream has room for the id now.
        rewrites->Erase(e.seq);
        plan.dropped.push_back(e.seq);
      }
      if (fresh || changed) plan.argv[i] = std::move(argv);
      continue;
    }
    // What else moves a top within the batch: the key deleted (XADD then starts from 0-0).
    if (EqualsIgnoreCase(cmd, "del") || EqualsIgnoreCase(cmd, "unlink")) {
      for (size_t k = 1; k < argv.size(); ++k) {
        auto top = tops.find({e.db, argv[k]});
        if (top != tops.end()) top->second = StreamTop{};
      }
    } else if (EqualsIgnoreCase(cmd, "flushdb") || EqualsIgnoreCase(cmd, "flushall")) {
      for (auto& [stream, top] : tops) {
        if (stream.first == e.db || EqualsIgnoreCase(cmd, "flushall")) top = StreamTop{};
      }
    }
    if (changed) {
      plan.rewritten.push_back(i);
      plan.argv[i] = std::move(argv);
    }
  }
  return plan;
}

std::string EncodeRule(const StreamIdRule& rule) {
  std::string out;
  storage::PutU32(&out, static_cast<uint32_t>(rule.db));
  storage::PutU64(&out, rule.old_id.ms);
  storage::PutU64(&out, rule.old_id.seq);
  storage::PutU64(&out, rule.new_id.ms);
  storage::PutU64(&out, rule.new_id.seq);
  out.append(rule.key);
  return out;
}

bool DecodeRule(uint64_t seq, std::string_view value, StreamIdRule* rule) {
  if (value.size() < 36) return false;
  rule->seq = seq;
  rule->db = static_cast<int>(storage::GetU32(value));
  rule->old_id = {storage::GetU64(value.substr(4)), storage::GetU64(value.substr(12))};
  rule->new_id = {storage::GetU64(value.substr(20)), storage::GetU64(value.substr(28))};
  rule->key.assign(value.substr(36));
  return true;
}

}  // namespace respite::proxy
