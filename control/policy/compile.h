// Compiling a validated PolicyDoc into the data plane's immutable Snapshot.
//
// Thread-safety: pure function; call from the control thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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

// compile() for a document that already passed validate() (the policy
// store validates once, then compiles): only the port bindings and the mtu
// are checked here.
Result<std::unique_ptr<Snapshot>> compile_validated(const PolicyDoc& doc, const PortTable& ports,
                                                    const CompileOptions& opts);

// One job's VPC prefixes as Snapshot::vpc_ranges holds them: sorted, merged
// (adjacent ranges joined), disjoint.
std::vector<Ip4Range> merge_vpc_ranges(const std::vector<Ipv4Prefix>& prefixes);

// The same port checks compile() makes for a vNIC at `path`: the port index,
// or kInvalidArgument naming the path.
Result<uint16_t> bind_vnic_port(const PortTable& table, const std::string& name,
                                const std::string& path);

// The port table a policy implies when no daemon supplies one (replay,
// tests, benchmarks): uplink first, then the agent, then vNICs in order.
PortTable port_table_from_policy(const PolicyDoc& doc);

}  // namespace isoswitch::ctl
