#pragma once
// Counts heap allocations made through operator new while counting is on, so tests can check that
// a hot path does not allocate. The replacement operators live in alloc_counter.cpp, a file of
// their own so that no caller sees (and inlines) them.

#include <atomic>

namespace respite::resp::testing {

extern std::atomic<bool> g_count_allocations;
extern std::atomic<long> g_allocations;

}  // namespace respite::resp::testing
