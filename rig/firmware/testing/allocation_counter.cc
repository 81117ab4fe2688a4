#include "rig/firmware/testing/allocation_counter.h"

#include <cstdlib>
#include <new>

namespace {
long g_allocations = 0;
}  // namespace

// Kept out of line: inlined into callers, GCC would see new paired with free() and warn.
__attribute__((noinline)) void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void operator delete(void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace rollrig::firmware::test_support {

long HeapAllocations() { return g_allocations; }

}  // namespace rollrig::firmware::test_support
