#pragma once
// A stream's consumer groups in the store: each group, its consumers and its pending entries list
// (PEL), as subkeys of the stream's incarnation beside its entries (stream_model.h):
//
//   'g' group                          -> last_ms:8 last_seq:8 entries_read:8 (all ones: unknown)
//   'c' glen:4 group consumer          -> seen_ms:8
//   'p' glen:4 group ms:8 seq:8        -> delivered_ms:8 count:8 consumer       (the group's PEL)
//   'q' glen:4 group clen:4 consumer ms:8 seq:8 -> ""                           (per consumer)
//
// Thread: the store executor only.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/stream_model.h"

namespace respite::storage {

struct StreamGroup {
  std::string name;
  StreamId last_id;
  int64_t entries_read = -1;  // -1: unknown (Redis' SCG_INVALID_ENTRIES_READ)
};

struct PendingEntry {
  StreamId id;
  std::string consumer;
  int64_t delivered_ms = 0;
  uint64_t count = 0;
};

struct StreamConsumer {
  std::string name;
  int64_t seen_ms = 0;
};

// The journal entry Redis propagates for a PEL entry's state: XCLAIM key group consumer 0 id
// TIME ms RETRYCOUNT n FORCE JUSTID LASTID <group's last ID>.
std::vector<std::string> XClaimJournalEntry(std::string_view key, const StreamGroup& group,
                                            const PendingEntry& p);

// Loads the stream argv[1] and its group argv[2]; false after an error reply (WRONGTYPE, or
// NOGROUP when `missing_is_error`; otherwise *group stays empty).
bool LoadStreamGroup(CommandContext& ctx, Stream* stream, std::optional<StreamGroup>* group,
                     bool missing_is_error);

class StreamGroups {
 public:
  StreamGroups(CommandContext& ctx, Stream& stream);

  Result<std::optional<StreamGroup>> Find(std::string_view name);
  // Creates or updates (the caller counts new groups in the stream's metadata).
  void Put(const StreamGroup& group);
  Result<std::vector<StreamGroup>> All();
  // Removes the group with its consumers and PEL.
  Status Destroy(std::string_view name);

  Result<std::optional<StreamConsumer>> FindConsumer(std::string_view group,
                                                     std::string_view consumer);
  // Creates the consumer if needed (announcing "xgroup-createconsumer", as Redis does wherever
  // it creates one); sets its seen time.
  Status PutConsumer(std::string_view group, const StreamConsumer& consumer);
  Result<std::vector<StreamConsumer>> Consumers(std::string_view group);
  // Removes the consumer and its pending entries; returns how many it had.
  Result<int64_t> DeleteConsumer(std::string_view group, std::string_view consumer);

  Result<std::optional<PendingEntry>> FindPending(std::string_view group, StreamId id);
  // Adds or replaces a PEL entry (moving it between consumers' lists as needed).
  Status PutPending(std::string_view group, const PendingEntry& entry);
  void DeletePending(std::string_view group, const PendingEntry& entry);
  // PEL entries start <= id <= end in ID order, at most `count` (0: all), of one consumer when
  // `consumer` is set.
  Status Pending(std::string_view group, StreamId start, StreamId end, size_t count,
                 std::optional<std::string_view> consumer, std::vector<PendingEntry>* out);
  Result<uint64_t> PendingCount(std::string_view group, std::optional<std::string_view> consumer);

  // Redis' entries_read bookkeeping as an entry `id` is delivered past the group's last ID.
  void Advance(StreamGroup* group, StreamId id, std::optional<StreamId> first_id);
  // XINFO GROUPS' lag: nullopt when Redis cannot tell (answers null).
  std::optional<int64_t> Lag(const StreamGroup& group, std::optional<StreamId> first_id);

 private:
  std::string GroupField(std::string_view name) const;
  std::string GroupPrefix(char tag, std::string_view group) const;
  std::string ConsumerIndexPrefix(std::string_view group, std::string_view consumer) const;
  // Every subkey field that starts with `prefix`, in order (visit returns false to stop).
  template <typename Visit>
  Status Scan(const std::string& prefix, const std::string& from, Visit visit);
  int64_t DistanceFromFirstEverEntry(StreamId id, std::optional<StreamId> first_id) const;
  bool RangeHasTombstones(StreamId start, std::optional<StreamId> first_id) const;

  CommandContext& ctx_;
  Stream& stream_;
};

}  // namespace respite::storage
