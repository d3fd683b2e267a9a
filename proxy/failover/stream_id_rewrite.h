#pragma once
// Stream ids at replay (DESIGN.md "Stage 2 decisions"): a journaled `XADD key <id>` whose id
// upstream has moved past (another writer added entries during the outage) is re-added with a
// new id, and every later journal entry that names the old id on that key is rewritten to the new
// one. Pure logic, no I/O: the replayer reads upstream's stream tops (under WATCH), plans a batch
// here, persists the rules the plan made, and only then sends the batch.
//
// The new id is chosen here, not by upstream's `*`: it is what `*` would give at upstream's time
// (the top's successor when the clock is behind it), and knowing it before the batch runs is what
// lets the rule be stored before the batch can apply, so a crash at any point keeps it.
// Thread: the replayer's.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "storage/journal.h"
#include "storage/stream_model.h"

namespace respite::proxy {

using storage::StreamId;

// The journal entry at `seq` (an XADD in `db` on `key`) was re-added as `new_id`: entries after
// `seq` naming `old_id` on that key name `new_id` instead.
struct StreamIdRule {
  uint64_t seq = 0;
  int db = 0;
  std::string key;
  StreamId old_id;
  StreamId new_id;
  bool operator==(const StreamIdRule&) const = default;
};

class StreamIdRewrites {
 public:
  void Put(const StreamIdRule& rule);
  // Drops the rule made by the entry at `seq`, if any.
  void Erase(uint64_t seq);
  void Clear();
  bool empty() const { return by_seq_.empty(); }
  size_t size() const { return by_seq_.size(); }
  const StreamIdRule* Find(uint64_t seq) const;

  // Rewrites the stream ids of `argv` (an entry at `seq` in `db`) that rules made before `seq`
  // name: XACK, XDEL, XCLAIM (ids and LASTID), XAUTOCLAIM's start, XGROUP CREATE|SETID, XSETID
  // (and MAXDELETEDID), XTRIM's and XADD's MINID. Returns how many arguments changed.
  size_t Rewrite(int db, uint64_t seq, std::vector<std::string>* argv) const;

 private:
  std::optional<StreamId> Lookup(int db, const std::string& key, uint64_t seq,
                                 StreamId old_id) const;

  std::map<uint64_t, StreamIdRule> by_seq_;
  // (db, key, old id) -> seq of each rule naming it -> new id. The same old id can come back on a
  // key deleted and made again: an entry takes the latest rule made before it.
  std::map<std::tuple<int, std::string, StreamId>, std::map<uint64_t, StreamId>> by_id_;
};

// The index of an XADD's id argument (past NOMKSTREAM, MAXLEN/MINID [=|~] n, LIMIT n), or 0 when
// `argv` is no XADD with an explicit full id ("ms-seq" or "ms").
size_t XAddIdIndex(const std::vector<std::string>& argv);

// What `*` gives on a stream whose last id is `top` at upstream time `now_ms`. nullopt when the
// stream has used up every id.
std::optional<StreamId> NextAutoId(StreamId top, uint64_t now_ms);

// Upstream's last generated id of each stream an XADD of a batch names, read under WATCH.
struct StreamTop {
  bool is_stream = true;  // false: the key holds another type (the XADD will fail WRONGTYPE)
  std::optional<StreamId> last_id;  // nullopt: no such key
};
using StreamTops = std::map<std::pair<int, std::string>, StreamTop>;

// The (db, key) of every XADD with an explicit id in `batch`: the streams to WATCH and read.
std::vector<std::pair<int, std::string>> StreamsToCheck(
    const std::vector<storage::JournalEntry>& batch);

struct BatchPlan {
  // Per entry: the argv to send when it differs from the journaled one.
  std::vector<std::optional<std::vector<std::string>>> argv;
  std::vector<StreamIdRule> readded;  // rules made by this batch's XADDs, in order
  std::vector<uint64_t> dropped;      // seqs of XADDs whose earlier rule no longer holds
  std::vector<size_t> rewritten;      // indexes of other entries whose ids were rewritten
};

// Plans `batch` against `tops` (updated as the batch's own commands would move them): XADDs at
// or below their stream's top get a new id, later entries are rewritten. `rewrites` gains and
// loses the plan's rules (they must be persisted before the batch is sent).
BatchPlan PlanBatch(const std::vector<storage::JournalEntry>& batch, StreamTops tops,
                    uint64_t now_ms, StreamIdRewrites* rewrites);

// Rules in the journal's persisted form and back.
std::string EncodeRule(const StreamIdRule& rule);
bool DecodeRule(uint64_t seq, std::string_view value, StreamIdRule* rule);

}  // namespace respite::proxy
