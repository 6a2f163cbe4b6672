// Flat, immutable, open-addressed tables from an address to what it is.
//
// Why not rte_hash: a snapshot is built once by the control thread and never
// written again, so we need no concurrent-writer machinery. A power-of-two
// array at load factor <= 1/2 with linear probing finds a key in one cache
// line almost always (16-byte IPv4 slots, four per line), with no per-lookup
// indirection, and its cost does not grow with the number of jobs or peers.
// Lookups are noexcept and allocation-free; building allocates (control only).
//
// Thread-safety: build() on the control thread before publication; lookups
// from any number of workers afterwards, without synchronisation. The
// control-side editors (insert/erase/reserve/find_mut/update_each) are for a
// control-owned copy that is not yet published (incremental compile).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "isoswitch/addr.h"
#include "isoswitch/huge_page_allocator.h"
#include "isoswitch/verdict.h"

namespace isoswitch {

inline constexpr uint32_t kNoJob = 0xffffffffu;

// What an address in the policy is. One address has exactly one kind
// (validation rejects a container address equal to a host/agent address).
enum class AddrKind : uint8_t {
  kEmpty = 0,
  kContainer = 1,     // a peer of some job: a local vNIC (port != kNoPort) or remote
  kHost = 2,          // the uplink IP or the gateway IP
  kAgentService = 3,  // the agent's service_ip (A2, U3b)
  kAgentVpc = 4,      // a VPC agent_ip (A1, U3); job = the VPC's job
};

struct AddrInfo {
  AddrKind kind = AddrKind::kEmpty;
  uint8_t reserved = 0;
  uint16_t port = kNoPort;  // kContainer: the local vNIC's port index, or kNoPort (remote)
  uint32_t job = kNoJob;    // kContainer/kAgentVpc: the job index
};

struct alignas(16) Addr4Slot {
  uint32_t ip = 0;  // host order
  AddrInfo info;
  uint32_t pad = 0;
};
static_assert(sizeof(Addr4Slot) == 16, "four IPv4 slots per cache line");

struct alignas(32) Addr6Slot {
  Ipv6Addr ip;
  AddrInfo info;
  uint8_t pad[8] = {};
};
static_assert(sizeof(Addr6Slot) == 32, "two IPv6 slots per cache line");

// The mechanics both tables share: linear probing over a power-of-two array
// of `Slot`s (a key `ip` and an AddrInfo whose kind is kEmpty when free), at
// load <= 1/2 so every probe ends at an empty slot. `Traits` gives the key's
// hash and the smallest capacity. The tables below add their hot-path entry
// points, which take the key as the frame holds it.
template <class Slot, class Traits>
class LinearProbeTable {
 public:
  using Key = decltype(Slot::ip);

  // Control side. Duplicate keys: the last insert wins (validation prevents them).
  void build(const std::vector<Slot>& entries) {
    std::size_t cap = Traits::kMinCapacity;
    while (cap < entries.size() * 2) cap <<= 1;
    slots_.assign(cap, Slot{});
    mask_ = static_cast<uint32_t>(cap - 1);
    size_ = 0;
    for (const auto& e : entries) insert(e);
  }

  std::size_t capacity() const noexcept { return slots_.size(); }
  // Occupied slots, kept by insert/erase (O(1); count() recounts them).
  std::size_t size() const noexcept { return size_; }

  // Hot path. nullptr when the key is not in the table. Static over (slots,
  // mask) so a reader holding those two in registers (Addr4Reader) runs the
  // very same probe.
  static const AddrInfo* probe(const Slot* s, uint32_t mask, const Key& key) noexcept {
    uint32_t i = Traits::hash(key) & mask;
    for (;;) {
      if (s[i].info.kind == AddrKind::kEmpty) return nullptr;
      if (s[i].ip == key) return &s[i].info;
      i = (i + 1) & mask;
    }
  }

  // ---- Control side: editing a copy before it is published (never after) ----
  // Number of occupied slots (O(capacity): for tests and sizing checks).
  std::size_t count() const noexcept {
    std::size_t n = 0;
    for (std::size_t i = 0; i < slots_.size(); ++i) n += slots_[i].info.kind != AddrKind::kEmpty;
    return n;
  }
  // The slot's info for `key`, to patch in place; nullptr when absent.
  AddrInfo* find_mut(const Key& key) noexcept { return const_cast<AddrInfo*>(find_key(key)); }
  // Inserts or overwrites. The caller keeps the load <= 1/2 (reserve()) so a
  // probe always ends at an empty slot.
  void insert(const Slot& e) noexcept {
    uint32_t i = Traits::hash(e.ip) & mask_;
    while (slots_[i].info.kind != AddrKind::kEmpty && !(slots_[i].ip == e.ip)) i = (i + 1) & mask_;
    size_ += slots_[i].info.kind == AddrKind::kEmpty;
    slots_[i] = e;
  }
  // Removes `key` if present (backward-shift deletion: no tombstones, so
  // lookups stay exactly as fast as on a freshly built table).
  void erase(const Key& key) noexcept {
    uint32_t i = Traits::hash(key) & mask_;
    for (;;) {
      if (slots_[i].info.kind == AddrKind::kEmpty) return;
      if (slots_[i].ip == key) break;
      i = (i + 1) & mask_;
    }
    --size_;
    uint32_t j = i;
    for (;;) {
      slots_[i] = Slot{};
      for (;;) {
        j = (j + 1) & mask_;
        if (slots_[j].info.kind == AddrKind::kEmpty) return;
        uint32_t home = Traits::hash(slots_[j].ip) & mask_;
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) break;
      }
      slots_[i] = slots_[j];
      i = j;
    }
  }
  // Grows (rehashes) so that `entries` keys fit at load <= 1/2.
  void reserve(std::size_t entries) {
    if (entries * 2 <= slots_.size()) return;
    std::vector<Slot> all;
    all.reserve(entries);
    for_each([&all](const Slot& e) { all.push_back(e); });
    std::size_t cap = slots_.size();
    while (cap < entries * 2) cap <<= 1;
    slots_.assign(cap, Slot{});
    mask_ = static_cast<uint32_t>(cap - 1);
    size_ = 0;
    for (const auto& e : all) insert(e);
  }
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < slots_.size(); ++i)
      if (slots_[i].info.kind != AddrKind::kEmpty) f(slots_[i]);
  }
  template <class F>
  void update_each(F&& f) {
    for (std::size_t i = 0; i < slots_.size(); ++i)
      if (slots_[i].info.kind != AddrKind::kEmpty) f(slots_[i].info);
  }

 protected:
  const AddrInfo* find_key(const Key& key) const noexcept {
    return probe(slots_.data(), mask_, key);
  }

  std::vector<Slot, HugePageAllocator<Slot>> slots_{Traits::kMinCapacity};  // 2 MB pages when large
  uint32_t mask_ = Traits::kMinCapacity - 1;
  std::size_t size_ = 0;
};

struct Addr4Traits {
  static constexpr uint32_t kMinCapacity = 16;
  static uint32_t hash(uint32_t ip) noexcept { return (ip * 0x9E3779B1u) ^ (ip >> 16); }
};

struct Addr6Traits {
  static constexpr uint32_t kMinCapacity = 8;
  static uint32_t hash(const Ipv6Addr& a) noexcept {
    uint64_t lo, hi;
    std::memcpy(&hi, a.b.data(), 8);
    std::memcpy(&lo, a.b.data() + 8, 8);
    uint64_t h = (lo ^ (hi * 0x9E3779B97F4A7C15ull)) * 0xC2B2AE3D27D4EB4Full;
    return static_cast<uint32_t>(h >> 32);
  }
};

class Addr4Table;

// The hot-path face of an Addr4Table: its slot array and mask, two words a
// burst loop copies into locals once (dp::SnapshotView) so that no store into
// a frame can make the compiler reload them. Valid while the table is.
class Addr4Reader {
 public:
  // Returns nullptr when the address is not in the policy.
  const AddrInfo* find(uint32_t ip_host_order) const noexcept;
  // Warms the line a later find() will read first.
  void prefetch(uint32_t ip_host_order) const noexcept {
    __builtin_prefetch(&slots_[Addr4Traits::hash(ip_host_order) & mask_]);
  }

 private:
  friend class Addr4Table;
  Addr4Reader(const Addr4Slot* slots, uint32_t mask) noexcept : slots_(slots), mask_(mask) {}
  const Addr4Slot* slots_;
  uint32_t mask_;
};

class Addr4Table : public LinearProbeTable<Addr4Slot, Addr4Traits> {
 public:
  // Returns nullptr when the address is not in the policy.
  const AddrInfo* find(uint32_t ip_host_order) const noexcept { return find_key(ip_host_order); }

  // What the burst loop holds for its lookups and prefetches (find/prefetch).
  Addr4Reader reader() const noexcept { return Addr4Reader(slots_.data(), mask_); }
};

inline const AddrInfo* Addr4Reader::find(uint32_t ip_host_order) const noexcept {
  return Addr4Table::probe(slots_, mask_, ip_host_order);
}

class Addr6Table : public LinearProbeTable<Addr6Slot, Addr6Traits> {
 public:
  // Hot path: `ip16` points at 16 address bytes in a frame (any alignment).
  const AddrInfo* find(const uint8_t* ip16) const noexcept {
    Ipv6Addr key;
    std::memcpy(key.b.data(), ip16, 16);
    return find_key(key);
  }
};

}  // namespace isoswitch
