#pragma once
// Helpers shared by the collections whose elements are plain subkeys (hashes: field -> value,
// sets: member -> ""): whole-collection reads, random picks (HRANDFIELD, SRANDMEMBER, SPOP) and
// the SCAN-family cursor (HSCAN, SSCAN). Thread: the store executor only.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/command_context.h"
#include "storage/encoding.h"
#include "storage/keyspace.h"
#include "storage/status.h"

namespace respite::storage {

// One subkey of a collection: the field (or member) and its value ("" for set members).
struct SubEntry {
  std::string field;
  std::string value;
};

// ASCII case-insensitive match of an option name ("withvalues", "limit", ...).
bool IsOption(std::string_view arg, std::string_view name);

// Looks `key` up for a command on `type`: true with *meta (type kNone when the key is missing);
// false after replying WRONGTYPE or a storage failure.
bool LookupOfType(CommandContext& ctx, std::string_view key, Type type, MetaValue* meta);

// A collection that does not exist yet: a fresh incarnation of `type` with no elements.
MetaValue NewCollection(CommandContext& ctx, Type type);

// Reads one subkey; *found says whether it exists (value set only then).
Status FindSub(Keyspace& ks, int db, std::string_view key, const MetaValue& meta,
               std::string_view field, std::string* value, bool* found);

// Reads every subkey of a collection, in field byte order.
Status ReadAllSubs(Keyspace& ks, int db, std::string_view key, const MetaValue& meta,
                   std::vector<SubEntry>* out);

// Random subkeys of a non-empty collection, as Redis' *RANDFIELD / *RANDMEMBER count rules:
// count > 0 gives min(count, size) distinct entries, count < 0 gives -count entries that may
// repeat. Uniform for collections up to a few thousand entries; larger ones are sampled from
// random positions in field order (fair-ish, as Redis' own sampling), so no pick is O(size).
Status RandomSubs(Keyspace& ks, int db, std::string_view key, const MetaValue& meta, int64_t count,
                  std::vector<SubEntry>* out);

// [MATCH pattern] [COUNT n] of HSCAN and SSCAN.
struct ScanOptions {
  std::string_view pattern;
  bool use_pattern = false;  // false for no MATCH and for MATCH *
  int64_t count = 10;
};

// Redis' cursor syntax (strtoul, base 10: optional sign, no leading space, fits u64; "" is 0).
bool ParseScanCursor(std::string_view s, uint64_t* out);

// Parses the options from argv[first] on; on a bad option writes Redis' error and returns false.
bool ParseScanOptions(CommandContext& ctx, size_t first, ScanOptions* out);

// The reply to a scan of a missing key: cursor 0, no elements.
void ReplyEmptyScan(CommandContext& ctx);

// One page of a scan over a collection's subkeys.
//
// Cursors are opaque u64s (decimal on the wire, 0 = start/done). A page resumes at the exact field
// the previous page stopped at (kept in a bounded in-memory table); a cursor the table no longer
// knows (evicted, or issued before a restart) resumes from the field prefix the cursor carries,
// which may repeat elements but never skips one. Elements present for the whole scan are returned
// at least once, as Redis guarantees.
//
// `compact_max`/`is_compact`: a collection of at most compact_max entries whose entries all pass
// is_compact (Redis' listpack/intset encodings) is returned whole in one page with cursor 0,
// whatever the cursor, exactly as Redis does for those encodings.
struct ScanPage {
  uint64_t next_cursor = 0;
  std::vector<SubEntry> entries;  // MATCH already applied
};
Status ScanSubs(CommandContext& ctx, std::string_view key, const MetaValue& meta, uint64_t cursor,
                const ScanOptions& options, size_t compact_max, bool (*is_compact)(const SubEntry&),
                ScanPage* page);

}  // namespace respite::storage
