// The scalar reference: what the switch does with one frame, and why.
//
// A second, deliberately plain implementation of docs/rules.md over the
// PolicyDoc itself (linear searches, no snapshot): tests and the fuzzer run
// the fast path (dataplane/pipeline) and this on the same frames and require
// the same verdict, reason, egress port and output bytes (OVS's
// "autovalidator" idea). Operators reach it through the `explain` control
// operation and `isoswitchctl explain`.
//
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "isoswitch/drop_reason.h"
#include "isoswitch/policy_doc.h"
#include "isoswitch/port_table.h"
#include "isoswitch/verdict.h"

namespace isoswitch::ctl {

struct FrameIn {
  uint16_t in_port = kNoPort;  // port index in the PortTable
  const uint8_t* data = nullptr;
  std::size_t len = 0;
  bool vlan_stripped = false;  // the tag arrived in metadata (RTE_MBUF_F_RX_VLAN_STRIPPED)
  uint16_t vlan_tci = 0;
};

struct Explanation {
  Verdict verdict = Verdict::kDrop;
  DropReason reason = DropReason::no_route;  // meaningful for kDrop
  uint16_t out_port = kNoPort;               // forward: egress; reply: the ingress port
  std::string rule;                          // "E5", "U3b", "A1", ... (docs/rules.md)
  std::string detail;                        // one sentence for operators
  std::vector<uint8_t> out_frame;            // exact bytes that leave (forward/reply), tag inline
};

// `doc` must be valid (validate()); `mtu` as for CompileOptions. A
// default-constructed PolicyDoc (empty uplink port name) stands for "no policy
// loaded" and every frame is P0 `no_policy`. Never throws, never reads past
// frame.len (a null data pointer is an empty frame). `rule` is the id from
// docs/rules.md; rows without an id there report the role's catch-all:
// malformed headers are "E12" on a vNIC, "U5" on the uplink, "A4" on the agent,
// and a cut-short inline VLAN tag is "P2" on every port.
Explanation explain(const PolicyDoc& doc, const PortTable& ports, const FrameIn& frame,
                    uint16_t mtu = 1500);

}  // namespace isoswitch::ctl
