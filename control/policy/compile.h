// Compiling a validated PolicyDoc into the data plane's immutable Snapshot.
//
// Thread-safety: pure function; call from the control thread.
#pragma once

#include <cstdint>
#include <memory>

#include "isoswitch/policy_doc.h"
#include "isoswitch/port_table.h"
#include "isoswitch/result.h"
#include "isoswitch/snapshot.h"

namespace isoswitch::ctl {

struct CompileOptions {
  uint64_t generation = 0;
  uint16_t mtu = 1500;
};

// Fails (kInvalidArgument, message naming the JSON path) when the policy
// names a port the table lacks or gives a port the wrong role, or when the
// document breaks a rule that validate() checks (compile re-validates).
Result<std::unique_ptr<Snapshot>> compile(const PolicyDoc& doc, const PortTable& ports,
                                          const CompileOptions& opts);

// The port table a policy implies when no daemon supplies one (replay,
// tests, benchmarks): uplink first, then the agent, then vNICs in order.
PortTable port_table_from_policy(const PolicyDoc& doc);

}  // namespace isoswitch::ctl
