#include "tests/resp/alloc_counter.h"

#include <cstdlib>
#include <new>

namespace respite::resp::testing {

std::atomic<bool> g_count_allocations{false};
std::atomic<long> g_allocations{0};

}  // namespace respite::resp::testing

void* operator new(size_t size) {
  if (respite::resp::testing::g_count_allocations.load(std::memory_order_relaxed)) {
    respite::resp::testing::g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
