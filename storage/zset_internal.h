#pragma once
// Internals shared by the sorted-set family's files (zsets.cpp: members, pops, random picks and
// scans; zset_ranges.cpp: ranges by rank, score and lex; zset_setops.cpp: unions, intersections
// and differences), and the geo family (geo.cpp: geo keys are sorted sets). Not for other
// families. Thread: the store executor only.
//
// Layout: each member is a subkey whose value is its 8-byte order-preserving score (EncodeScore),
// and the score index holds (score, member) in Redis' order (score, then member bytes).

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resp/ascii.h"
#include "storage/command_context.h"
#include "storage/encoding.h"
#include "storage/keyspace.h"
#include "storage/status.h"

namespace respite::storage::zset {

struct Entry {
  std::string member;
  double score = 0;
};

using resp::EqualsIgnoreCase;

// The command changed data: journal it (write handlers start with ctx.NoJournal()).
inline void Changed(CommandContext& ctx) { ctx.journal_none = false; }

// Looks up a sorted set; false after replying WRONGTYPE or a storage failure.
bool Lookup(CommandContext& ctx, std::string_view key, MetaValue* meta);

// The score of `member`; *found false when it is not in the set (or the set is missing).
Status GetScore(CommandContext& ctx, std::string_view key, const MetaValue& meta,
                std::string_view member, double* score, bool* found);

// Writes a member's score (both the subkey and the index), replacing `old` when `existed`;
// counts a new member into meta->size. The caller writes the meta.
void PutMember(CommandContext& ctx, std::string_view key, MetaValue* meta, std::string_view member,
               double score, bool existed, double old);
// Removes a member present with `score`; the caller writes the meta.
void RemoveMember(CommandContext& ctx, std::string_view key, MetaValue* meta,
                  std::string_view member, double score);
// Writes the meta after removals: deletes the key when it became empty.
void FinishRemoval(CommandContext& ctx, std::string_view key, const MetaValue& meta);
// Replaces `key` (whatever it held) with a new sorted set of `entries` (distinct members), or
// deletes it when `entries` is empty. `existed`: the key exists now (any type).
void StoreEntries(CommandContext& ctx, std::string_view key, bool existed,
                  std::span<const Entry> entries);

// Replies members, with scores when asked: RESP2 flat [m, s, ...]; RESP3 [[m, s], ...].
void ReplyEntries(CommandContext& ctx, std::span<const Entry> entries, bool with_scores);

// Walks the score index of one sorted set in (score, member) order.
class ScoreWalker {
 public:
  ScoreWalker(CommandContext& ctx, std::string_view key, const MetaValue& meta);

  void First();
  void Last();
  // The first entry with score >= `score` (forward walks).
  void SeekScore(double score);
  // The last entry with score <= `score` (backward walks).
  void SeekScoreBack(double score);
  // The first entry >= (score, member).
  void SeekEntry(double score, std::string_view member);
  // The entry at rank `rank` (< size), reached from the nearer end.
  void SeekRank(uint64_t rank);

  bool Valid() const { return it_->Valid(); }
  void Next();
  void Prev();
  double score() const { return score_; }
  std::string_view member() const { return member_; }
  Entry entry() const { return Entry{std::string(member_), score_}; }
  Status status() const { return it_->status(); }

 private:
  void Load();

  std::string key_;
  std::string prefix_;
  uint64_t size_;
  std::unique_ptr<Iterator> it_;
  double score_ = 0;
  std::string_view member_;
};

// The commands of zset_ranges.cpp and zset_setops.cpp, merged into ZSetCommands().
std::span<const LocalCommandDef> RangeCommands();
std::span<const LocalCommandDef> SetOpCommands();

}  // namespace respite::storage::zset
