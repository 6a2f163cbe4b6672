// Every semantic rule of a policy document, in one pass per concern.
#include "control/policy/validate.h"

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace isoswitch::ctl {
namespace {

std::unexpected<Error> invalid(const std::string& path, const std::string& reason) {
  return make_error(ErrorCode::kInvalidArgument, path + ": " + reason);
}

std::string idx(const char* base, std::size_t i) {
  return std::string(base) + "[" + std::to_string(i) + "]";
}

std::string q(const std::string& s) {
  return "\"" + (s.size() > 64 ? s.substr(0, 64) + "..." : s) + "\"";
}

// Ids and port names end up in JSON output, log lines and CLI tables: they
// must be valid UTF-8 (nlohmann's dump() throws otherwise) without control
// characters, and short.
bool valid_utf8_no_controls(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    std::size_t n;  // continuation bytes
    uint32_t cp;
    if (c < 0x80) {
      n = 0, cp = c;
    } else if ((c >> 5) == 0x6) {
      n = 1, cp = c & 0x1fu;
    } else if ((c >> 4) == 0xe) {
      n = 2, cp = c & 0x0fu;
    } else if ((c >> 3) == 0x1e) {
      n = 3, cp = c & 0x07u;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = cp << 6 | (cc & 0x3fu);
    }
    // Overlong forms, surrogates, out-of-range code points, C1 controls.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || (cp >= 0x80 && cp <= 0x9f))
      return false;
    i += n + 1;
  }
  return true;
}

Result<void> check_name(const std::string& path, const std::string& s) {
  if (s.empty()) return invalid(path, "must not be empty");
  if (s.size() > kMaxNameLength)
    return invalid(path, "longer than " + std::to_string(kMaxNameLength) + " bytes");
  if (!valid_utf8_no_controls(s)) return invalid(path, "must be UTF-8 without control characters");
  return {};
}

Result<void> check_unicast_mac(const std::string& path, const MacAddr& m) {
  if (m.is_zero()) return invalid(path, to_string(m) + " is the all-zero MAC");
  if (m.is_multicast())
    return invalid(path,
                   to_string(m) + " is a multicast/broadcast MAC (a station needs a unicast one)");
  return {};
}

// A container address must be a plain unicast address: the forwarding rules
// let a job reach its peers *before* they forbid link-local, loopback and
// multicast destinations (docs/rules.md E5/E6 before E8), so a "peer" of
// 169.254.169.254 would open the metadata endpoint to an isolated job.
const char* bad_container4(Ipv4Addr a) {
  uint32_t v = a.value;
  if ((v >> 24) == 0) return "in 0.0.0.0/8";
  if ((v >> 24) == 127) return "loopback";
  if (kLinkLocal4.contains(a)) return "link-local (169.254.0.0/16)";
  if ((v >> 28) == 0xe) return "multicast";
  if ((v >> 28) == 0xf) return "reserved/broadcast (240.0.0.0/4)";
  return nullptr;
}

// Host-side addresses (uplink, gateway, agent) may be link-local (the
// gateway IP usually is) but must be unicast and not 0.0.0.0, which the
// snapshot uses for "none".
const char* bad_host4(Ipv4Addr a) {
  uint32_t v = a.value;
  if ((v >> 24) == 0) return "in 0.0.0.0/8";
  if ((v >> 24) == 127) return "loopback";
  if ((v >> 28) == 0xe) return "multicast";
  if ((v >> 28) == 0xf) return "reserved/broadcast (240.0.0.0/4)";
  if (a == kMetadataAddr) return "the metadata endpoint";
  return nullptr;
}

const char* bad_container6(const Ipv6Addr& a) {
  if (a.is_unspecified()) return "the unspecified address";
  if (a.is_multicast()) return "multicast";
  if (a.is_link_local()) return "link-local (fe80::/10)";
  Ipv6Addr loop;
  loop.b[15] = 1;
  if (a == loop) return "loopback";
  // ::ffff:a.b.c.d names an IPv4 address; as an IPv6 peer it would grant
  // reachability the IPv4 peer list does not show.
  bool mapped = a.b[10] == 0xff && a.b[11] == 0xff;
  for (int i = 0; i < 10; ++i) mapped = mapped && a.b[i] == 0;
  if (mapped) return "IPv4-mapped (::ffff:0:0/96)";
  return nullptr;
}

struct Owner {
  std::size_t job;  // index into doc.jobs
};

struct Ipv6Less {
  bool operator()(const Ipv6Addr& a, const Ipv6Addr& b) const { return a.b < b.b; }
};

}  // namespace

namespace rules {
bool name_ok(const std::string& s) {
  return check_name("", s).has_value();
}
bool unicast_mac_ok(const MacAddr& m) {
  return !m.is_zero() && !m.is_multicast();
}
bool container4_ok(Ipv4Addr a) {
  return bad_container4(a) == nullptr;
}
bool container6_ok(const Ipv6Addr& a) {
  return bad_container6(a) == nullptr;
}
bool host4_ok(Ipv4Addr a) {
  return bad_host4(a) == nullptr;
}
}  // namespace rules

Result<void> validate(const PolicyDoc& doc) {
  if (doc.version != kPolicyVersion)
    return invalid("version", std::to_string(doc.version) + " is not supported (expected " +
                                  std::to_string(kPolicyVersion) + ")");
  if (doc.jobs.size() > kMaxJobs)
    return invalid("jobs", std::to_string(doc.jobs.size()) + " jobs, more than the limit of " +
                               std::to_string(kMaxJobs));
  if (doc.vnics.size() > kMaxVnics)
    return invalid("vnics", std::to_string(doc.vnics.size()) + " vNICs, more than the limit of " +
                                std::to_string(kMaxVnics));
  std::size_t total_peers = 0;
  for (std::size_t i = 0; i < doc.jobs.size(); ++i) {
    const JobDoc& job = doc.jobs[i];
    total_peers += job.peers.size() + job.peers6.size();
    if (job.vpc && job.vpc->prefixes.size() > kMaxVpcPrefixesPerJob)
      return invalid(idx("jobs", i) + ".vpc.prefixes", std::to_string(job.vpc->prefixes.size()) +
                                                           " prefixes, more than the limit of " +
                                                           std::to_string(kMaxVpcPrefixesPerJob));
  }
  if (total_peers > kMaxPeersTotal)
    return invalid("jobs", std::to_string(total_peers) +
                               " peers in all jobs, more than the limit of " +
                               std::to_string(kMaxPeersTotal));

  // ---- host ----
  const HostDoc& host = doc.host;
  if (auto r = check_unicast_mac("host.gateway_mac", host.gateway_mac); !r) return r;
  if (auto r = check_unicast_mac("host.uplink.mac", host.uplink.mac); !r) return r;
  if (auto r = check_unicast_mac("host.uplink.next_hop_mac", host.uplink.next_hop_mac); !r)
    return r;
  if (auto r = check_name("host.uplink.port", host.uplink.port); !r) return r;

  // Every address the host side owns, with its path: one address has exactly
  // one meaning (AddrKind), so two of them may not coincide either.
  std::vector<std::pair<Ipv4Addr, std::string>> host_addrs;
  host_addrs.emplace_back(host.uplink.ip, "host.uplink.ip");
  if (host.gateway_ip) host_addrs.emplace_back(*host.gateway_ip, "host.gateway_ip");

  std::map<std::string, std::string> ports;  // port name -> path that uses it
  ports.emplace(host.uplink.port, "host.uplink.port");
  if (host.agent) {
    const AgentDoc& a = *host.agent;
    if (auto r = check_name("host.agent.port", a.port); !r) return r;
    if (auto r = check_unicast_mac("host.agent.mac", a.mac); !r) return r;
    if (a.mac == host.gateway_mac)
      return invalid("host.agent.mac", to_string(a.mac) + " is also host.gateway_mac");
    if (a.mac == host.uplink.mac)
      return invalid("host.agent.mac", to_string(a.mac) + " is also host.uplink.mac");
    if (!ports.emplace(a.port, "host.agent.port").second)
      return invalid("host.agent.port",
                     "port " + q(a.port) + " is already used by host.uplink.port");
    host_addrs.emplace_back(a.service_ip, "host.agent.service_ip");
  }

  // ---- jobs ----
  std::unordered_map<std::string, std::size_t> job_index;
  std::unordered_map<uint32_t, Owner> peers4;
  peers4.reserve(total_peers);
  std::map<Ipv6Addr, Owner, Ipv6Less> peers6;
  std::unordered_map<uint16_t, std::size_t> vlans;
  for (std::size_t i = 0; i < doc.jobs.size(); ++i) {
    const JobDoc& job = doc.jobs[i];
    const std::string base = idx("jobs", i);
    if (auto r = check_name(base + ".id", job.id); !r) return r;
    if (auto [it, fresh] = job_index.emplace(job.id, i); !fresh)
      return invalid(base + ".id", "duplicate job id " + q(job.id) + " (also jobs[" +
                                       std::to_string(it->second) + "])");
    for (Ipv4Addr a : job.peers) {
      if (const char* why = bad_container4(a))
        return invalid(base + ".peers",
                       to_string(a) + " cannot be a container address (" + why + ")");
      if (auto [it, fresh] = peers4.emplace(a.value, Owner{i}); !fresh)
        return invalid(base + ".peers", it->second.job == i
                                            ? to_string(a) + " is listed twice"
                                            : to_string(a) + " is also a peer of job " +
                                                  q(doc.jobs[it->second.job].id) + " (jobs[" +
                                                  std::to_string(it->second.job) + "])");
    }
    for (const Ipv6Addr& a : job.peers6) {
      if (const char* why = bad_container6(a))
        return invalid(base + ".peers",
                       to_string(a) + " cannot be a container address (" + why + ")");
      if (auto [it, fresh] = peers6.emplace(a, Owner{i}); !fresh)
        return invalid(base + ".peers", it->second.job == i
                                            ? to_string(a) + " is listed twice"
                                            : to_string(a) + " is also a peer of job " +
                                                  q(doc.jobs[it->second.job].id) + " (jobs[" +
                                                  std::to_string(it->second.job) + "])");
    }
    if (job.vpc) {
      const VpcDoc& v = *job.vpc;
      if (v.vlan < 1 || v.vlan > 4094)
        return invalid(base + ".vpc.vlan", std::to_string(v.vlan) + " is outside 1..4094");
      if (auto [it, fresh] = vlans.emplace(v.vlan, i); !fresh)
        return invalid(base + ".vpc.vlan", "VLAN " + std::to_string(v.vlan) +
                                               " is already the VPC VLAN of jobs[" +
                                               std::to_string(it->second) + "]");
      if (auto r = check_unicast_mac(base + ".vpc.gateway_mac", v.gateway_mac); !r) return r;
      host_addrs.emplace_back(v.agent_ip, base + ".vpc.agent_ip");
    }
  }

  // Host/agent addresses: usable, distinct from each other and from every
  // container address (the address table gives an address one kind only).
  std::unordered_map<uint32_t, std::size_t> host_seen;
  for (std::size_t k = 0; k < host_addrs.size(); ++k) {
    const auto& [a, path] = host_addrs[k];
    if (const char* why = bad_host4(a))
      return invalid(path, to_string(a) + " is not usable (" + why + ")");
    if (auto it = peers4.find(a.value); it != peers4.end())
      return invalid(path, to_string(a) + " is a container address (a peer of job " +
                               q(doc.jobs[it->second.job].id) + ")");
    if (auto [it, fresh] = host_seen.emplace(a.value, k); !fresh)
      return invalid(path, to_string(a) + " is already used by " + host_addrs[it->second].second);
  }

  // VPC prefixes may not cover a container: A1 would route the agent's
  // traffic to a container address out the VPC, and U3 would admit it back.
  std::vector<uint32_t> sorted4;
  sorted4.reserve(peers4.size());
  for (const auto& [a, o] : peers4) sorted4.push_back(a);
  std::sort(sorted4.begin(), sorted4.end());
  for (std::size_t i = 0; i < doc.jobs.size(); ++i) {
    if (!doc.jobs[i].vpc) continue;
    const auto& prefixes = doc.jobs[i].vpc->prefixes;
    for (std::size_t p = 0; p < prefixes.size(); ++p) {
      const Ipv4Prefix& pre = prefixes[p];
      const std::string path = idx("jobs", i) + ".vpc.prefixes[" + std::to_string(p) + "]";
      if (pre.len > 32 || (pre.addr.value & ~pre.mask()) != 0)
        return invalid(path, to_string(pre) + " is not a valid prefix (host bits set)");
      auto it = std::lower_bound(sorted4.begin(), sorted4.end(), pre.first());
      if (it != sorted4.end() && *it <= pre.last())
        return invalid(path, to_string(pre) + " contains container address " +
                                 to_string(Ipv4Addr{*it}) + ": would route to a container");
    }
  }

  // ---- vNICs ----
  std::unordered_map<std::string, std::size_t> vnic_ids;
  std::map<std::array<uint8_t, 6>, std::size_t> macs;
  std::unordered_map<uint32_t, std::size_t> ips;
  std::map<Ipv6Addr, std::size_t, Ipv6Less> ip6s;
  for (std::size_t i = 0; i < doc.vnics.size(); ++i) {
    const VnicDoc& v = doc.vnics[i];
    const std::string base = idx("vnics", i);
    auto other = [](std::size_t k) { return " (also vnics[" + std::to_string(k) + "])"; };
    if (auto r = check_name(base + ".id", v.id); !r) return r;
    if (auto [it, fresh] = vnic_ids.emplace(v.id, i); !fresh)
      return invalid(base + ".id", "duplicate vNIC id " + q(v.id) + other(it->second));
    if (auto r = check_name(base + ".port", v.port); !r) return r;
    if (auto [it, fresh] = ports.emplace(v.port, base + ".port"); !fresh)
      return invalid(base + ".port", "port " + q(v.port) + " is already used by " + it->second);
    if (auto r = check_unicast_mac(base + ".mac", v.mac); !r) return r;
    if (v.mac == host.gateway_mac)
      return invalid(base + ".mac", to_string(v.mac) + " is host.gateway_mac");
    if (v.mac == host.uplink.mac)
      return invalid(base + ".mac", to_string(v.mac) + " is host.uplink.mac");
    if (host.agent && v.mac == host.agent->mac)
      return invalid(base + ".mac", to_string(v.mac) + " is host.agent.mac");
    if (auto [it, fresh] = macs.emplace(v.mac.b, i); !fresh)
      return invalid(base + ".mac", "duplicate MAC " + to_string(v.mac) + other(it->second));
    if (auto [it, fresh] = ips.emplace(v.ip.value, i); !fresh)
      return invalid(base + ".ip", "duplicate IPv4 " + to_string(v.ip) + other(it->second));
    if (v.ipv6)
      if (auto [it, fresh] = ip6s.emplace(*v.ipv6, i); !fresh)
        return invalid(base + ".ipv6", "duplicate IPv6 " + to_string(*v.ipv6) + other(it->second));
    if (auto r = check_name(base + ".job", v.job); !r) return r;
    auto job = job_index.find(v.job);
    if (job == job_index.end()) return invalid(base + ".job", "unknown job " + q(v.job));
    auto p4 = peers4.find(v.ip.value);
    if (p4 == peers4.end() || p4->second.job != job->second)
      return invalid(base + ".ip", to_string(v.ip) + " is not in the peers of job " + q(v.job));
    if (v.ipv6) {
      auto p6 = peers6.find(*v.ipv6);
      if (p6 == peers6.end() || p6->second.job != job->second)
        return invalid(base + ".ipv6",
                       to_string(*v.ipv6) + " is not in the peers of job " + q(v.job));
    }
  }
  return {};
}

}  // namespace isoswitch::ctl
