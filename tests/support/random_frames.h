// Random and adversarial frames, and random valid policies, for the
// autovalidator (fast path vs scalar reference) and fuzz-style tests.
//
// FrameGenerator draws frames that matter to a given policy: addresses,
// MACs and VLANs are taken mostly from the policy itself (each vNIC's own
// addresses, peers, host/agent addresses, the edges of VPC prefixes, special
// ranges) and sometimes at random; every kind of frame the rules name is
// built (IPv4, ARP, IPv6 incl. every ND type, other ethertypes; untagged,
// inline-tagged, metadata-tagged, QinQ) and then often mutated (truncated at
// any offset, bytes flipped, ethertype/IHL/lengths/version overwritten,
// padded, made over-long). Deterministic for a seed, so a failure can be
// replayed.
//
// random_policy() builds a PolicyDoc of 1-4 jobs (isolated or not, with or
// without VPC, IPv4 and IPv6 peers, local and remote), optional agent and
// gateway IP; it only returns a document `accept` approves (pass
// ctl::validate from a test that links the control library), retrying with
// derived seeds.
//
// Thread-safety: a FrameGenerator is used by one thread; free functions are
// pure.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "isoswitch/addr.h"
#include "isoswitch/policy_doc.h"
#include "isoswitch/port_table.h"
#include "isoswitch/verdict.h"
#include "tests/support/frame_builder.h"

namespace isoswitch::test {

struct GeneratedFrame {
  uint16_t in_port = 0;  // may be >= the port table's size (P3), rarely
  Bytes bytes;
  bool meta_vlan = false;  // tag in mbuf metadata (RTE_MBUF_F_RX_VLAN_STRIPPED)
  uint16_t tci = 0;
};

class FrameGenerator {
 public:
  FrameGenerator(const PolicyDoc& doc, const PortTable& ports, uint64_t seed);
  GeneratedFrame next();                  // on a random port
  GeneratedFrame next_on(uint16_t port);  // on this port (any index, even out of range)
  uint16_t pick_port();

 private:
  uint32_t pick_ip4();
  Ipv6Addr pick_ip6();
  MacAddr pick_mac();
  uint16_t pick_vid();
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  uint32_t below(uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_); }
  Bytes random_bytes(std::size_t n);
  void mutate(Bytes& f);

  std::mt19937_64 rng_;
  uint16_t num_ports_ = 0;
  // Per port index: the addresses a well-behaved sender on it would use.
  struct PortSelf {
    PortRole role = PortRole::kNone;
    MacAddr mac;
    std::vector<uint32_t> ip4;
    std::vector<Ipv6Addr> ip6;
    MacAddr dst;                 // the MAC it normally sends to
    std::vector<uint32_t> dst4;  // destinations its rules care about (peers, prefixes, ...)
    std::vector<uint32_t> src4;  // uplink: sources its rules care about (remote peers, ...)
    std::vector<Ipv6Addr> dst6, src6;
  };
  struct Vpc {
    uint16_t vlan;
    MacAddr gateway_mac;
    uint32_t agent_ip;
    std::vector<uint32_t> inside;  // addresses in its prefixes
  };
  GeneratedFrame vpc_inbound();  // a frame on a VPC VLAN from the uplink (U3/U4)
  std::vector<PortSelf> self_;
  std::vector<Vpc> vpcs_;
  uint16_t uplink_port_ = kNoPort;
  std::vector<uint32_t> ip4_;
  std::vector<Ipv6Addr> ip6_;
  std::vector<MacAddr> macs_;
  std::vector<uint16_t> vids_;
};

// A random PolicyDoc that `accept` approves, and the port table it implies
// (port_table_from_policy order: uplink, agent, vNICs) plus one vNIC-role
// port with nothing bound ("unbound").
struct RandomPolicy {
  PolicyDoc doc;
  PortTable ports;
};
RandomPolicy random_policy(uint64_t seed, const std::function<bool(const PolicyDoc&)>& accept);

}  // namespace isoswitch::test
