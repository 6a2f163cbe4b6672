// The scalar reference's entry: the "every port, first" rules (P0-P3), the
// L2/VLAN reading shared by all roles, then the judge of the ingress role.
#include "control/explain/explain.h"

#include <cstdio>

#include "control/explain/explain_internal.h"

namespace isoswitch::ctl {

using namespace explain_detail;

namespace explain_detail {
std::string hex16(uint16_t v) {
  char b[8];
  std::snprintf(b, sizeof b, "0x%04x", v);
  return b;
}
}  // namespace explain_detail

namespace {

bool is_tpid(uint16_t t) {
  return t == 0x8100 || t == 0x88a8 || t == 0x9100;
}

// Reads the VLAN tag(s) and the ethertype. False: an inline tag is cut short.
bool read_l2(Pkt& p) {
  p.tagged = p.meta_tag;
  p.l3 = 14;
  uint16_t et = p.be16(12);
  if (is_tpid(et)) {
    if (p.len < 18) return false;
    p.qinq = p.meta_tag;  // metadata + inline
    p.inline_tag = true;
    p.tagged = true;
    if (!p.meta_tag) p.tci = p.be16(14);  // the metadata tag is the outer one
    et = p.be16(16);
    p.l3 = 18;
    if (is_tpid(et)) p.qinq = true;  // two inline tags
  }
  p.ethertype = et;
  return true;
}

}  // namespace

Explanation explain(const PolicyDoc& doc, const PortTable& ports, const FrameIn& frame,
                    uint16_t mtu) {
  try {
    // A PolicyDoc without an uplink port is the default-constructed one: the
    // daemon has no policy yet, and nothing is forwarded (fail closed).
    if (doc.host.uplink.port.empty())
      return drop(DropReason::no_policy, "P0", "no policy is loaded: every frame is dropped");
    Pkt p;
    p.data = frame.data;
    p.len = frame.data != nullptr ? frame.len : 0;
    p.meta_tag = frame.vlan_stripped;
    p.tci = frame.vlan_tci;
    if (p.len > std::size_t{mtu} + 18)
      return drop(DropReason::too_long, "P1",
                  "frame of " + std::to_string(p.len) + " bytes exceeds MTU " +
                      std::to_string(mtu) + " + 18 bytes of Ethernet header and tag");
    if (p.len < 14)
      return drop(
          DropReason::malformed, "P2",
          "frame of " + std::to_string(p.len) + " bytes is shorter than an Ethernet header");

    const PortDesc* port =
        frame.in_port < ports.ports.size() ? &ports.ports[frame.in_port] : nullptr;
    const std::string pname = port ? port->name : "#" + std::to_string(frame.in_port);
    const VnicDoc* vnic = nullptr;
    const JobDoc* job = nullptr;
    PortRole role = PortRole::kNone;
    if (port != nullptr) {
      if (port->role == PortRole::kUplink && port->name == doc.host.uplink.port) {
        role = PortRole::kUplink;
      } else if (port->role == PortRole::kAgent && doc.host.agent &&
                 port->name == doc.host.agent->port) {
        role = PortRole::kAgent;
      } else if (port->role == PortRole::kVnic &&
                 (vnic = vnic_on_port(doc, port->name)) != nullptr &&
                 (job = doc.find_job(vnic->job)) != nullptr) {
        role = PortRole::kVnic;
      }
    }
    if (role == PortRole::kNone)
      return drop(DropReason::no_vnic, "P3",
                  "port " + pname +
                      " has no role in the policy (no vNIC bound to it, or not this policy's "
                      "uplink/agent)");

    if (!read_l2(p))
      return drop(DropReason::malformed, "P2",
                  "frame of " + std::to_string(p.len) + " bytes is too short for its VLAN tag");

    const Ctx c{doc, ports, p, frame.in_port};
    switch (role) {
      case PortRole::kVnic:
        return judge_vnic(c, *vnic, *job);
      case PortRole::kUplink:
        return judge_uplink(c);
      case PortRole::kAgent:
        return judge_agent(c, *doc.host.agent);
      case PortRole::kNone:
        break;
    }
    return drop(DropReason::no_vnic, "P3", "port " + pname + " has no role in the policy");
  } catch (...) {
    // Only std::bad_alloc can get here (strings, vectors). Fail closed.
    return drop(DropReason::no_route, "internal",
                "explain ran out of memory; the frame would be judged by the data plane");
  }
}

}  // namespace isoswitch::ctl
