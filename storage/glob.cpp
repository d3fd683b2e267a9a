#include "storage/glob.h"

#include <cstddef>
#include <utility>

namespace respite::storage {
namespace {

// Redis gives up (no match) beyond this many nested `*`.
constexpr int kMaxNesting = 1000;

// Folds only when matching case-insensitively; bytes outside A-Z are left alone.
int Fold(int c, bool nocase) { return nocase && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }
bool Same(char a, char b, bool nocase) { return Fold(a, nocase) == Fold(b, nocase); }

// One class such as [abc], [^a-z] or [\]]. `p` points just past the '['; on return it points at
// the class' last byte (the ']' or the pattern's last byte when unterminated). Returns whether
// the class accepts `c`.
bool MatchClass(const char*& p, size_t& plen, char c, bool nocase) {
  bool negate = plen > 0 && p[0] == '^';
  if (negate) {
    ++p;
    --plen;
  }
  bool hit = false;
  for (;;) {
    if (plen >= 2 && p[0] == '\\') {
      ++p;
      --plen;
      hit = hit || Same(p[0], c, nocase);
    } else if (plen > 0 && p[0] == ']') {
      break;
    } else if (plen == 0) {
      // No closing bracket: the class ends with the pattern.
      --p;
      ++plen;
      break;
    } else if (plen >= 3 && p[1] == '-') {
      // Bytes compare as (signed) char, as in Redis; folding happens after the swap.
      int lo = static_cast<signed char>(p[0]);
      int hi = static_cast<signed char>(p[2]);
      if (lo > hi) std::swap(lo, hi);
      lo = Fold(lo, nocase);
      hi = Fold(hi, nocase);
      const int x = Fold(static_cast<signed char>(c), nocase);
      hit = hit || (x >= lo && x <= hi);
      p += 2;
      plen -= 2;
    } else {
      hit = hit || Same(p[0], c, nocase);
    }
    ++p;
    --plen;
  }
  return negate ? !hit : hit;
}

// `exhausted` is set when a `*` tried every remaining suffix of the subject and failed: an outer
// `*` that would retry with a later start can only fail too.
bool Match(const char* p, size_t plen, const char* s, size_t slen, bool nocase, bool* exhausted,
           int nesting) {
  if (nesting > kMaxNesting) return false;
  while (plen > 0 && slen > 0) {
    switch (p[0]) {
      case '*':
        while (plen > 1 && p[1] == '*') {
          ++p;
          --plen;
        }
        if (plen == 1) return true;
        for (; slen > 0; ++s, --slen) {
          if (Match(p + 1, plen - 1, s, slen, nocase, exhausted, nesting + 1)) return true;
          if (*exhausted) return false;
        }
        *exhausted = true;
        return false;
      case '?':
        ++s;
        --slen;
        break;
      case '[':
        ++p;
        --plen;
        if (!MatchClass(p, plen, s[0], nocase)) return false;
        ++s;
        --slen;
        break;
      case '\\':
        if (plen >= 2) {
          ++p;
          --plen;
        }
        [[fallthrough]];
      default:
        if (!Same(p[0], s[0], nocase)) return false;
        ++s;
        --slen;
        break;
    }
    ++p;
    --plen;
    if (slen == 0) {
      while (plen > 0 && p[0] == '*') {
        ++p;
        --plen;
      }
      break;
    }
  }
  return plen == 0 && slen == 0;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view subject, bool nocase) {
  return GlobMatchesAll(pattern) || StringMatch(pattern, subject, nocase);
}

bool StringMatch(std::string_view pattern, std::string_view subject, bool nocase) {
  bool exhausted = false;
  return Match(pattern.data(), pattern.size(), subject.data(), subject.size(), nocase, &exhausted,
               0);
}

}  // namespace respite::storage
