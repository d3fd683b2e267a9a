#pragma once
// RDB value codecs: the encodings inside RDB values (listpack, ziplist, intset, zipmap,
// quicklist) and whole values of every non-stream type, to and from a plain in-memory form.
// Bytes only: no RocksDB. DUMP/RESTORE (dump_restore.cpp) move RdbObject to and from the store.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/encoding.h"

namespace respite::storage::rdb {

class Reader;

// A stream as its RDB value holds it (IDs as ms, seq).
struct RdbStreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;
  auto operator<=>(const RdbStreamId&) const = default;
};
struct RdbStreamEntry {
  RdbStreamId id;
  std::vector<std::string> fields;  // field, value, ...
};
struct RdbPending {
  RdbStreamId id;
  int64_t delivery_ms = 0;
  uint64_t delivery_count = 0;
  std::string consumer;  // the consumer whose PEL holds it
};
struct RdbConsumer {
  std::string name;
  int64_t seen_ms = 0;
};
struct RdbGroup {
  std::string name;
  RdbStreamId last_id;
  int64_t entries_read = -1;    // -1: unknown
  std::vector<RdbPending> pel;  // in ID order
  std::vector<RdbConsumer> consumers;
};
struct RdbStream {
  std::vector<RdbStreamEntry> entries;  // live entries in ID order
  RdbStreamId last_id;
  RdbStreamId first_id;
  RdbStreamId max_deleted_id;
  uint64_t entries_added = 0;
  std::vector<RdbGroup> groups;
};

// One decoded value. Only the members of its type are used.
struct RdbObject {
  Type type = Type::kNone;
  std::string str;                                        // kString
  std::vector<std::string> items;                         // kList (in order), kSet
  std::vector<std::pair<std::string, std::string>> hash;  // kHash: field, value
  std::vector<std::pair<std::string, double>> zset;       // kZSet: member, score
  RdbStream stream;                                       // kStream
};

// The thresholds Redis 7.0 chooses encodings by (CONFIG names in comments).
struct EncodeLimits {
  uint64_t set_max_intset_entries = 512;     // set-max-intset-entries
  uint64_t hash_max_listpack_entries = 512;  // hash-max-listpack-entries
  uint64_t hash_max_listpack_value = 64;     // hash-max-listpack-value
  uint64_t zset_max_listpack_entries = 128;  // zset-max-listpack-entries
  uint64_t zset_max_listpack_value = 64;     // zset-max-listpack-value
  int64_t list_max_listpack_size = -2;       // list-max-listpack-size
  uint64_t stream_node_max_bytes = 4096;     // stream-node-max-bytes
  uint64_t stream_node_max_entries = 100;    // stream-node-max-entries
};

// Decodes one value of `type` from the start of `bytes`. With `consumed` null the value must span
// all of `bytes`; otherwise *consumed says where it ended. False on malformed input, on an empty
// collection, on duplicates a set/hash/zset must not have, and on types it does not read
// (modules).
bool DecodeValue(uint8_t type, std::string_view bytes, RdbObject* out, size_t* consumed = nullptr);

// Encodes `obj` as Redis 7.0 would save it with these limits: the type byte and the value bytes.
// Collections keep the order given (sets and hashes over the limits in any order; a sorted set's
// entries must be ordered by score, then member).
void EncodeValue(const RdbObject& obj, const EncodeLimits& limits, uint8_t* type,
                 std::string* bytes);

// ---- streams (rdb_stream.cpp) ----

// The value after a stream type byte (v2: RDB_TYPE_STREAM_LISTPACKS_2's extra IDs and counters).
bool DecodeStream(Reader& r, bool v2, RdbStream* out);
// As RDB_TYPE_STREAM_LISTPACKS_2, live entries packed into nodes by the stream-node limits.
void EncodeStream(const RdbStream& stream, const EncodeLimits& limits, std::string* bytes);

// ---- the encodings inside values (rdb_listpack.cpp) ----

// Each parser appends the elements as strings (integers as decimal text) and fails on
// malformed blobs.
bool ParseListpack(std::string_view blob, std::vector<std::string>* out);
// A canonical decimal integer ("12", not "012", "+1" or "-0"), as listpacks and intsets store.
bool CanonicalInt(std::string_view s, int64_t* v);
bool ParseZiplist(std::string_view blob, std::vector<std::string>* out);
bool ParseIntset(std::string_view blob, std::vector<std::string>* out);
bool ParseZipmap(std::string_view blob, std::vector<std::string>* out);

// Builds a listpack as Redis' lpAppend does (canonical integers in the smallest int encoding).
class ListpackWriter {
 public:
  ListpackWriter();
  void Append(std::string_view element);
  size_t count() const { return count_; }
  size_t bytes() const { return buf_.size() + 1; }  // with the end byte
  // The finished listpack; the writer is spent.
  std::string Finish();

 private:
  std::string buf_;
  size_t count_ = 0;
};

// The bytes one element adds to a listpack (encoding, data and back length).
size_t ListpackEntrySize(std::string_view element);

// An intset of these values (sorted and unique) in the narrowest width that holds them all.
std::string MakeIntset(const std::vector<int64_t>& sorted);

// A score as Redis 7.0 writes it into a listpack ("%.17g", integers plainly, "inf", "-0").
std::string ScoreText(double score);

}  // namespace respite::storage::rdb
