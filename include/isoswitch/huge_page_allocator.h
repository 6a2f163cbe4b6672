// A std::allocator for the snapshot's large lookup tables: 2 MB pages.
//
// Why: the address table of a large policy is read at random by every frame
// (65,536 peers: 4 MB of slots, 1,024 pages of 4 KB against a 64-entry L1
// TLB). The core measured here still holds 4 MB in its 2,048-entry L2 TLB, so
// that size showed no change (perf/README.md); 262,144 peers (16 MB) do not
// fit. An allocation of 2 MB or more is therefore placed on a
// 2 MB boundary, rounded up to whole 2 MB pages and marked MADV_HUGEPAGE, so
// transparent huge pages back it ("madvise" is Debian's default). Where THP
// is off, madvise fails harmlessly and the table works as before on 4 KB
// pages. Smaller allocations use operator new. No DPDK: control/ builds the
// tables, and replay and the tests use them without an EAL.
//
// Thread-safety: stateless; allocate/deallocate from any thread (the control
// thread builds and frees snapshots).
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace isoswitch {

inline constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

template <class T>
struct HugePageAllocator {
  using value_type = T;

  HugePageAllocator() noexcept = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}  // NOLINT: rebinding

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kHugePageBytes) return static_cast<T*>(::operator new(bytes));
    const std::size_t rounded = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
    void* p = std::aligned_alloc(kHugePageBytes, rounded);
    if (p == nullptr) throw std::bad_alloc();
    ::madvise(p, rounded, MADV_HUGEPAGE);  // a hint: failure leaves 4 KB pages
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) < kHugePageBytes)
      ::operator delete(p);
    else
      std::free(p);
  }

  template <class U>
  bool operator==(const HugePageAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace isoswitch
