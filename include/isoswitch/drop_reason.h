// Every reason the switch drops a frame, defined once (CONVENTIONS.md §4).
//
// The X-macro generates the enum, the names the CLI/stats/replay print and the
// counter slots, so a reason cannot be half-added. Names are a public contract
// (stats JSON, verdicts.jsonl): append new reasons, never rename.
//
// Thread-safety: constants only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace isoswitch {

#define ISOSWITCH_DROP_REASONS(X)                                                          \
  X(no_policy, "no policy loaded yet (fail closed)")                                       \
  X(no_vnic, "frame on a port that the policy gives no role")                              \
  X(malformed, "truncated or inconsistent Ethernet/ARP/IP header")                         \
  X(too_long, "frame longer than the port MTU allows, or not in one segment")              \
  X(spoofed_src, "source MAC/IP is not the sender's own (or claims someone else's IP)")    \
  X(vlan_from_vnic, "VLAN-tagged frame from a vNIC or the agent port")                     \
  X(arp_denied, "ARP the switch does not answer (non-peer target, reply, gratuitous)")     \
  X(nd_denied, "IPv6 ND/RA/redirect from a container that is not answered")                \
  X(not_peer, "isolated job: destination is not a peer of the job")                        \
  X(forbidden_dst, "non-isolated job: link-local, host, agent or other job's address")     \
  X(bcast_mcast, "broadcast or multicast")                                                 \
  X(ipv6_disabled, "IPv6 on a port without an IPv6 address")                               \
  X(unsupported, "ethertype the switch does not carry (LLDP, 802.1X, ...)")                \
  X(not_peer_inbound, "uplink frame to an isolated container from a non-peer")             \
  X(unknown_vlan, "uplink frame on a VLAN that belongs to no job's VPC, or QinQ")          \
  X(not_for_us, "uplink unicast frame not addressed to the uplink MAC")                    \
  X(no_route, "no rule routes this destination")                                           \
  X(agent_to_container, "agent frame to a container (data goes through the file system)")

enum class DropReason : uint8_t {
#define ISOSWITCH_X(name, help) name,
  ISOSWITCH_DROP_REASONS(ISOSWITCH_X)
#undef ISOSWITCH_X
};

inline constexpr std::size_t kNumDropReasons = 0
#define ISOSWITCH_X(name, help) +1
    ISOSWITCH_DROP_REASONS(ISOSWITCH_X)
#undef ISOSWITCH_X
    ;

inline constexpr std::string_view kDropReasonNames[kNumDropReasons] = {
#define ISOSWITCH_X(name, help) #name,
    ISOSWITCH_DROP_REASONS(ISOSWITCH_X)
#undef ISOSWITCH_X
};

inline constexpr std::string_view kDropReasonHelp[kNumDropReasons] = {
#define ISOSWITCH_X(name, help) help,
    ISOSWITCH_DROP_REASONS(ISOSWITCH_X)
#undef ISOSWITCH_X
};

constexpr std::string_view drop_reason_name(DropReason r) noexcept {
  return kDropReasonNames[static_cast<std::size_t>(r)];
}

constexpr std::optional<DropReason> drop_reason_from_name(std::string_view s) noexcept {
  for (std::size_t i = 0; i < kNumDropReasons; ++i)
    if (kDropReasonNames[i] == s) return static_cast<DropReason>(i);
  return std::nullopt;
}

}  // namespace isoswitch
