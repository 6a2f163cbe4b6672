// The snapshot as the burst loop reads it: the fields every frame needs,
// copied into locals once per burst.
//
// Why: the loop writes frames (MAC rewrite: byte stores) and the action
// arrays (uint16_t stores). Byte stores may alias any object, so with only a
// `const Snapshot&` the compiler has to reload every vector's begin/end, the
// address table's slots and mask, the MTU... after each frame's rewrite,
// about a fifth of the allow path's instructions. A SnapshotView is a local
// whose address never escapes the inlined fast path, so nothing can alias
// it: its fields stay in registers (or in spill slots the compiler owns).
//
// Rule for the classifiers: the always-inline fast paths take a
// `const SnapshotView&`; the out-of-line rare paths (tagged, ARP, IPv6) take
// the `const Snapshot&` (v.s) and build their own view, so the caller's view
// never has its address passed to a call. MACs stay in the snapshot (their
// address is `&s + offset`, no load) and are read only when a frame is
// rewritten or compared.
//
// Thread-safety: a value on the worker's stack, valid while the snapshot it
// was built from is (one burst).
#pragma once

#include <cstdint>

#include "isoswitch/addr_table.h"
#include "isoswitch/snapshot.h"

namespace isoswitch::dp {

struct SnapshotView {
  explicit SnapshotView(const Snapshot& snap) noexcept
      : s(snap),
        ports(snap.ports.data()),
        jobs(snap.jobs.data()),
        addr4(snap.addr4.reader()),
        local4(snap.local4.reader()),
        n_ports(static_cast<uint32_t>(snap.ports.size())),
        n_jobs(static_cast<uint32_t>(snap.jobs.size())),
        max_frame_len(uint32_t{snap.mtu} + 18u),
        uplink_ip(snap.uplink_ip),
        gateway_ip(snap.gateway_ip),
        agent_service_ip(snap.agent_service_ip),
        uplink_port(snap.uplink_port),
        agent_port(snap.agent_port) {}

  const Snapshot& s;
  const PortEntry* ports;  // [0, n_ports)
  const JobEntry* jobs;    // [0, n_jobs)
  Addr4Reader addr4;   // the whole policy
  Addr4Reader local4;  // the jobs with a vNIC here (Snapshot::local4)
  uint32_t n_ports;
  uint32_t n_jobs;
  uint32_t max_frame_len;  // P1: MTU + the 14-byte header + one 4-byte tag
  uint32_t uplink_ip;
  uint32_t gateway_ip;        // 0: none
  uint32_t agent_service_ip;  // 0: no agent
  uint16_t uplink_port;
  uint16_t agent_port;
};

}  // namespace isoswitch::dp
