// Semantic validation of a whole PolicyDoc (every rule in docs/policy.md).
//
// A document is accepted or rejected as a whole: the first broken rule is
// returned as kInvalidArgument with the JSON path of the offending value
// ("vnics[2].job: unknown job \"x\""). Parsing (policy_json.h), editing
// (edit.h, which does not validate) and compilation (compile.h, which
// re-validates) all funnel through this one function, so a document built in
// C++ is held to exactly the same rules as one read from JSON.
//
// Cost: O(N log N) in the number of peers and prefixes; allocates.
// Thread-safety: pure function; call from any thread.
#pragma once

#include <cstddef>
#include <string>

#include "isoswitch/policy_doc.h"
#include "isoswitch/result.h"

namespace isoswitch::ctl {

// Limits (docs/policy.md "Limits").
inline constexpr std::size_t kMaxVpcPrefixesPerJob = 4096;
inline constexpr std::size_t kMaxPeersTotal = 1'000'000;  // IPv4 + IPv6, all jobs
inline constexpr std::size_t kMaxJobs = 65'536;
inline constexpr std::size_t kMaxVnics = 65'533;    // + uplink + agent < kNoPort
inline constexpr std::size_t kMaxNameLength = 255;  // ids and port names, bytes

Result<void> validate(const PolicyDoc& doc);

// The per-value rules validate() applies, for the incremental checker
// (incremental.h), which must judge a single object by exactly these.
namespace rules {
bool name_ok(const std::string& s);     // check_name would accept it
bool unicast_mac_ok(const MacAddr& m);  // not zero, not multicast
bool container4_ok(Ipv4Addr a);         // usable as a peer address
bool container6_ok(const Ipv6Addr& a);
bool host4_ok(Ipv4Addr a);  // usable as a host/agent address
}  // namespace rules

}  // namespace isoswitch::ctl
