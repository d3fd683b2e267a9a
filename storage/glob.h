#pragma once
// Glob matching exactly as Redis' KEYS / SCAN MATCH / HSCAN MATCH do it (stringmatchlen):
// `*` any run, `?` any one byte, `[abc]` `[^a]` `[a-z]` classes, `\x` a literal x. Quirks kept:
// bytes compare as signed chars in ranges, `[` without `]` ends the class at the pattern's end, a
// `]` right after `[` closes an empty class. No allocation; no I/O.

#include <string_view>

namespace respite::storage {

// True for the pattern "*". Redis' KEYS and SCAN family skip matching for it, so it matches
// everything, the empty key included (which "**" does not match).
inline bool GlobMatchesAll(std::string_view pattern) { return pattern == "*"; }

// True when `subject` matches `pattern` (GlobMatchesAll patterns included). Backtracking is
// bounded (a failed `*` that already ran to the end of the subject stops retrying; more than 1000
// nested `*` never match, as in Redis 7.0.15), so hostile patterns cannot take exponential time.
// `nocase` folds ASCII letters (CONFIG GET matches parameter names that way).
bool GlobMatch(std::string_view pattern, std::string_view subject, bool nocase = false);

// Redis' stringmatchlen itself, without the "*" shortcut: what PUBLISH and PUBSUB CHANNELS use,
// so no pattern but "" matches the empty channel there.
bool StringMatch(std::string_view pattern, std::string_view subject, bool nocase = false);

}  // namespace respite::storage
