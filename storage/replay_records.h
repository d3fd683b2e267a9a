#pragma once
// Side records the replayer keeps beside the journal (its stream id rules:
// proxy/failover/stream_id_rewrite.h), keyed by the seq of the journal entry that made each.
// Written and deleted in one commit, read back after a restart, cleared once the journal is
// drained. Values are opaque here. Thread: the store executor only.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/engine.h"
#include "storage/status.h"

namespace respite::storage {

// Puts and erases records in one commit (with the engine's pending batch).
Status UpdateReplayRecords(Engine& engine, const std::vector<std::pair<uint64_t, std::string>>& put,
                           const std::vector<uint64_t>& erase);
// Visits every record in seq order.
Status ForEachReplayRecord(Engine& engine,
                           const std::function<void(uint64_t seq, std::string_view value)>& visit);
Status ClearReplayRecords(Engine& engine);

}  // namespace respite::storage
