// PolicyDoc + PortTable -> Snapshot (the layout is documented in snapshot.h).
#include "control/policy/compile.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "control/policy/validate.h"

namespace isoswitch::ctl {
namespace {

std::unexpected<Error> invalid(const std::string& path, const std::string& reason) {
  return make_error(ErrorCode::kInvalidArgument, path + ": " + reason);
}

// The port the policy names at `path` must exist with role `want`.
Result<uint16_t> bind_port(const PortTable& table, const std::string& name, PortRole want,
                           const std::string& path) {
  uint16_t i = table.find(name);
  if (i == kNoPort) return invalid(path, "\"" + name + "\" is not a port of this switch");
  PortRole have = table.ports[i].role;
  if (have != want)
    return invalid(path, "\"" + name + "\" has role " + std::string(port_role_name(have)) +
                             ", not " + std::string(port_role_name(want)));
  return i;
}

// Sorted, merged (adjacent ranges joined too) so vpc_allows' binary search
// over disjoint ranges is exact.
}  // namespace

std::vector<Ip4Range> merge_vpc_ranges(const std::vector<Ipv4Prefix>& prefixes) {
  std::vector<Ip4Range> r;
  r.reserve(prefixes.size());
  for (const Ipv4Prefix& p : prefixes) r.push_back({p.first(), p.last()});
  std::sort(r.begin(), r.end(), [](const Ip4Range& a, const Ip4Range& b) { return a.lo < b.lo; });
  std::vector<Ip4Range> out;
  for (const Ip4Range& x : r) {
    if (!out.empty() && (out.back().hi == 0xffffffffu || x.lo <= out.back().hi + 1))
      out.back().hi = std::max(out.back().hi, x.hi);
    else
      out.push_back(x);
  }
  return out;
}

Result<uint16_t> bind_vnic_port(const PortTable& table, const std::string& name,
                                const std::string& path) {
  return bind_port(table, name, PortRole::kVnic, path);
}

Result<std::unique_ptr<Snapshot>> compile(const PolicyDoc& doc, const PortTable& table,
                                          const CompileOptions& opts) {
  if (auto r = validate(doc); !r) return std::unexpected(r.error());
  return compile_validated(doc, table, opts);
}

namespace {

// Snapshot::local4's entries: the container addresses of the jobs that have
// a vNIC bound here.
std::vector<Addr4Slot> local_containers(const Snapshot& s, const std::vector<Addr4Slot>& a4) {
  std::vector<bool> local(s.jobs.size(), false);
  for (const PortEntry& e : s.ports)
    if (e.role == PortRole::kVnic && e.job < local.size()) local[e.job] = true;
  std::vector<Addr4Slot> out;
  for (const Addr4Slot& slot : a4)
    if (slot.info.kind == AddrKind::kContainer && slot.info.job < local.size() &&
        local[slot.info.job])
      out.push_back(slot);
  return out;
}

}  // namespace

Result<std::unique_ptr<Snapshot>> compile_validated(const PolicyDoc& doc, const PortTable& table,
                                                    const CompileOptions& opts) {
  if (opts.mtu < 68)
    return make_error(ErrorCode::kInvalidArgument,
                      "mtu: " + std::to_string(opts.mtu) + " is below the IPv4 minimum of 68");
  try {
    auto snap = std::make_unique<Snapshot>();
    Snapshot& s = *snap;
    s.generation = opts.generation;
    s.mtu = opts.mtu;
    s.ports.assign(table.size(), PortEntry{});

    const HostDoc& host = doc.host;
    auto up = bind_port(table, host.uplink.port, PortRole::kUplink, "host.uplink.port");
    if (!up) return std::unexpected(up.error());
    s.uplink_port = *up;
    s.gateway_mac = host.gateway_mac;
    s.uplink_mac = host.uplink.mac;
    s.next_hop_mac = host.uplink.next_hop_mac;
    s.uplink_ip = host.uplink.ip.value;
    s.gateway_ip = host.gateway_ip ? host.gateway_ip->value : 0;
    s.to_uplink = EthRewrite{host.uplink.next_hop_mac, host.uplink.mac};
    PortEntry& upe = s.ports[*up];
    upe.role = PortRole::kUplink;
    upe.mac = host.uplink.mac;
    upe.ip = host.uplink.ip;
    if (host.agent) {
      auto ag = bind_port(table, host.agent->port, PortRole::kAgent, "host.agent.port");
      if (!ag) return std::unexpected(ag.error());
      s.agent_port = *ag;
      s.agent_mac = host.agent->mac;
      s.to_agent = EthRewrite{host.agent->mac, host.gateway_mac};
      s.agent_service_ip = host.agent->service_ip.value;
      PortEntry& age = s.ports[*ag];
      age.role = PortRole::kAgent;
      age.mac = host.agent->mac;
      age.ip = host.agent->service_ip;
    }

    std::unordered_map<std::string, uint32_t> job_index;
    job_index.reserve(doc.jobs.size());
    for (std::size_t i = 0; i < doc.jobs.size(); ++i)
      job_index.emplace(doc.jobs[i].id, static_cast<uint32_t>(i));

    // vNIC ports; remember which local port owns each vNIC address.
    std::unordered_map<uint32_t, uint16_t> port_of4;
    std::vector<std::pair<Ipv6Addr, uint16_t>> port_of6;
    s.vnic_ids.reserve(doc.vnics.size());
    for (std::size_t i = 0; i < doc.vnics.size(); ++i) {
      const VnicDoc& v = doc.vnics[i];
      auto p = bind_port(table, v.port, PortRole::kVnic, "vnics[" + std::to_string(i) + "].port");
      if (!p) return std::unexpected(p.error());
      PortEntry& e = s.ports[*p];
      e.role = PortRole::kVnic;
      e.job = job_index.at(v.job);  // validate() guarantees the job exists
      e.vnic = static_cast<uint32_t>(i);
      e.mac = v.mac;
      e.deliver = EthRewrite{v.mac, host.gateway_mac};
      e.ip = v.ip;
      if (v.ipv6) {
        e.has_ipv6 = 1;
        e.ip6 = *v.ipv6;
        port_of6.emplace_back(*v.ipv6, *p);
      }
      port_of4.emplace(v.ip.value, *p);
      s.vnic_ids.push_back(v.id);
    }

    std::vector<Addr4Slot> a4;
    std::vector<Addr6Slot> a6;
    s.jobs.reserve(doc.jobs.size());
    s.job_ids.reserve(doc.jobs.size());
    for (std::size_t i = 0; i < doc.jobs.size(); ++i) {
      const JobDoc& job = doc.jobs[i];
      const auto ji = static_cast<uint32_t>(i);
      JobEntry je;
      je.isolated = job.isolated ? 1 : 0;
      je.range_begin = je.range_end = static_cast<uint32_t>(s.vpc_ranges.size());
      if (job.vpc) {
        je.has_vpc = 1;
        je.vlan = job.vpc->vlan;
        je.vpc_egress = EthRewrite{job.vpc->gateway_mac, host.uplink.mac};
        je.vpc_agent_ip = job.vpc->agent_ip;
        for (const Ip4Range& r : merge_vpc_ranges(job.vpc->prefixes)) s.vpc_ranges.push_back(r);
        je.range_end = static_cast<uint32_t>(s.vpc_ranges.size());
        s.vlan_to_job[job.vpc->vlan] = ji;
        Addr4Slot slot;
        slot.ip = job.vpc->agent_ip.value;
        slot.info.kind = AddrKind::kAgentVpc;
        slot.info.job = ji;
        a4.push_back(slot);
      }
      s.jobs.push_back(je);
      s.job_ids.push_back(job.id);
      for (Ipv4Addr a : job.peers) {
        Addr4Slot slot;
        slot.ip = a.value;
        slot.info.kind = AddrKind::kContainer;
        slot.info.job = ji;
        if (auto it = port_of4.find(a.value); it != port_of4.end()) slot.info.port = it->second;
        a4.push_back(slot);
      }
      for (const Ipv6Addr& a : job.peers6) {
        Addr6Slot slot;
        slot.ip = a;
        slot.info.kind = AddrKind::kContainer;
        slot.info.job = ji;
        for (const auto& [ip, port] : port_of6)  // vNICs with IPv6 are few; linear is fine
          if (ip == a) slot.info.port = port;
        a6.push_back(slot);
      }
    }
    auto host_slot = [&a4](Ipv4Addr ip, AddrKind kind) {
      Addr4Slot slot;
      slot.ip = ip.value;
      slot.info.kind = kind;
      a4.push_back(slot);
    };
    host_slot(host.uplink.ip, AddrKind::kHost);
    if (host.gateway_ip) host_slot(*host.gateway_ip, AddrKind::kHost);
    if (host.agent) host_slot(host.agent->service_ip, AddrKind::kAgentService);
    s.addr4.build(a4);
    s.addr6.build(a6);
    s.local4.build(local_containers(s, a4));
    return snap;
  } catch (const std::exception& e) {  // bad_alloc on a huge policy
    return make_error(ErrorCode::kInternal, std::string("compile: ") + e.what());
  }
}

PortTable port_table_from_policy(const PolicyDoc& doc) {
  PortTable t;
  t.ports.push_back({doc.host.uplink.port, PortRole::kUplink});
  if (doc.host.agent) t.ports.push_back({doc.host.agent->port, PortRole::kAgent});
  for (const VnicDoc& v : doc.vnics) t.ports.push_back({v.port, PortRole::kVnic});
  return t;
}

}  // namespace isoswitch::ctl
