// Counts heap allocations in a test binary (allocation_counter.cc replaces the global
// operator new), so a test can prove that code under test allocates nothing.
// Link allocation_counter.cc into at most one target per binary.
#pragma once

namespace rollrig::firmware::test_support {

// Global operator new calls since the process started. Not synchronised: read it from the
// thread that does the allocating.
long HeapAllocations();

}  // namespace rollrig::firmware::test_support
