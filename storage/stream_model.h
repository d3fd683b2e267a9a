#pragma once
// How a stream lives in the store, and the operations every stream command shares: IDs, the
// stream's own metadata, entries, and the nodes Redis groups entries into (its radix-tree nodes,
// which decide what approximate trimming may remove). Layout, under the key's incarnation:
//
//   meta payload   StreamMeta (last ID, max deleted ID, entries added, the open tail node, ...)
//   'e' ms seq     -> node:8 count:4 (len:4 bytes)*   one entry: field, value, field, value, ...
//   'n' node       -> live:8 last_ms:8 last_seq:8      one node: live entries, last ID appended
//
// meta.size counts live entries. An empty stream is kept (Redis does not delete it).
// Thread: the store executor only.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/command_context.h"
#include "storage/encoding.h"
#include "storage/status.h"

namespace respite::storage {

struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;
  auto operator<=>(const StreamId&) const = default;
  std::string ToString() const;
  static constexpr StreamId Max() { return {UINT64_MAX, UINT64_MAX}; }
  // The next and previous IDs; false past the ends.
  bool Incr();
  bool Decr();
};

inline constexpr std::string_view kInvalidStreamId =
    "ERR Invalid stream ID specified as stream command argument";

// Parses an ID as Redis does: "ms-seq", "ms" (seq = missing_seq), "-" and "+" (unless strict),
// and with `seq_given` non-null also "ms-*" (*seq_given false then). False on anything else.
bool ParseStreamId(std::string_view text, uint64_t missing_seq, bool strict, StreamId* id,
                   bool* seq_given = nullptr);

// What the meta payload of a stream holds.
struct StreamMeta {
  StreamId last_id;
  StreamId max_deleted_id;
  uint64_t entries_added = 0;
  uint64_t next_node = 1;   // the id of the next node opened
  uint64_t tail_node = 0;   // the node new entries go to; 0: none open
  uint64_t tail_total = 0;  // entries appended to it, deleted ones included
  uint64_t tail_bytes = 0;  // its estimated size, as Redis' listpack would be
  uint64_t groups = 0;      // consumer groups

  std::string Encode() const;
  static StreamMeta Decode(std::string_view payload);
};

struct StreamEntry {
  StreamId id;
  std::vector<std::string> fields;  // field, value, field, value, ...
};

// XADD/XTRIM trimming arguments, parsed.
struct StreamTrim {
  enum class Strategy { kNone, kMaxLen, kMinId } strategy = Strategy::kNone;
  bool approx = false;
  int64_t maxlen = 0;
  StreamId minid;
  int64_t limit = 0;  // 0: unlimited
};

// One stream opened by a command. Writes go through it so the metadata stays in step; Save()
// writes the metadata once at the end.
class Stream {
 public:
  Stream(CommandContext& ctx, std::string_view key) : ctx_(ctx), key_(key) {}

  // Looks the key up: false after replying WRONGTYPE or a storage failure. With
  // `other_type_is_missing`, a key of another type reads as no stream (no reply).
  bool Load(bool other_type_is_missing = false);
  bool exists() const { return meta_.type == Type::kStream; }
  // Makes a new empty stream (the key must not exist).
  void Create();
  void Save();

  uint64_t length() const { return meta_.size; }
  // RESTORE: the expiry Save() writes.
  void set_expire_ms(int64_t ms) { meta_.expire_ms = ms; }
  StreamMeta& info() { return info_; }
  const MetaValue& meta() const { return meta_; }
  const StreamMeta& info() const { return info_; }
  std::string_view key() const { return key_; }

  // Appends an entry with `id` (greater than last_id); fields as field, value, ...
  void Append(StreamId id, std::span<const std::string_view> fields, int64_t node_max_entries,
              int64_t node_max_bytes);
  // Deletes one entry; false when it does not exist.
  Result<bool> Delete(StreamId id);
  // Trims as XADD/XTRIM do; returns how many entries it deleted.
  Result<int64_t> Trim(const StreamTrim& trim);

  // Entries with start <= id <= end, in order (reverse: from end down), at most `count`
  // (0: all).
  Status Range(StreamId start, StreamId end, size_t count, bool reverse,
               std::vector<StreamEntry>* out);
  // How many nodes hold the stream's entries.
  Result<uint64_t> NodeCount();
  // The first (or last) live entry's ID; nullopt when the stream is empty.
  Result<std::optional<StreamId>> Edge(bool first);

 private:
  std::string EntryField(StreamId id) const;
  std::string NodeField(uint64_t node) const;
  Status ReadNode(uint64_t node, uint64_t* live, StreamId* last);
  void WriteNode(uint64_t node, uint64_t live, StreamId last);
  // One fewer live entry in `node`; the node goes when it has none left (as in Redis).
  Status DropFromNode(uint64_t node);

  CommandContext& ctx_;
  std::string_view key_;
  MetaValue meta_;
  StreamMeta info_;
  bool created_ = false;
};

// Appends the reply for entries: [[id, [field, value, ...]], ...].
void ReplyStreamEntries(resp::ReplyWriter& out, const std::vector<StreamEntry>& entries);

}  // namespace respite::storage
