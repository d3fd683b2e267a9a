#pragma once
// Ways to cut an input into reads, shared by the parser and scanner tests: every case is checked
// whole, one byte at a time and in random splits, and all must agree.

#include <algorithm>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

namespace respite::resp::testing {

struct ChunkPlan {
  std::string name;
  std::vector<size_t> ends;  // cumulative end offset of each read; the last is the input size
};

// Whole, byte by byte (if `n` <= max_bytewise) and `random_plans` random splits. Random reads are
// 1 to 16 bytes or, one time in four, up to 4 KB, so both tiny and large reads cross boundaries.
inline std::vector<ChunkPlan> ChunkPlans(size_t n, unsigned seed = 1, size_t max_bytewise = 1 << 22,
                                         int random_plans = 4) {
  std::vector<ChunkPlan> plans;
  plans.push_back({"whole", {n}});
  if (n <= max_bytewise) {
    ChunkPlan bytewise{"byte by byte", {}};
    for (size_t i = 1; i <= n; ++i) bytewise.ends.push_back(i);
    plans.push_back(std::move(bytewise));
  }
  std::mt19937 rng(seed);
  for (int p = 0; p < random_plans; ++p) {
    ChunkPlan plan{"random split " + std::to_string(p), {}};
    size_t at = 0;
    while (at < n) {
      const size_t step = rng() % 4 == 0 ? 1 + rng() % 4096 : 1 + rng() % 16;
      at = std::min(n, at + step);
      plan.ends.push_back(at);
    }
    if (plan.ends.empty()) plan.ends.push_back(0);
    plans.push_back(std::move(plan));
  }
  return plans;
}

}  // namespace respite::resp::testing
