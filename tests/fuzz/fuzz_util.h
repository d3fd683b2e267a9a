#pragma once
// Small helpers shared by the libFuzzer targets.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string_view>
#include <vector>

namespace respite::fuzz {

// A property that must hold; on failure, says which and aborts so libFuzzer keeps the input.
#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

inline uint64_t Hash(std::string_view s) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

// Cumulative read ends that split `n` bytes at random, derived from the input so that a crash
// reproduces. Reads are mostly tiny, sometimes large.
inline std::vector<size_t> RandomReads(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<size_t> ends;
  size_t at = 0;
  while (at < n) {
    at = std::min(n, at + (rng() % 8 == 0 ? 1 + rng() % 512 : 1 + rng() % 8));
    ends.push_back(at);
  }
  if (ends.empty()) ends.push_back(0);
  return ends;
}

inline std::vector<size_t> ByteReads(size_t n) {
  std::vector<size_t> ends;
  for (size_t i = 1; i <= n; ++i) ends.push_back(i);
  if (ends.empty()) ends.push_back(0);
  return ends;
}

}  // namespace respite::fuzz
