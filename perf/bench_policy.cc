#include "perf/bench_policy.h"

#include <cstdio>
#include <string>
#include <utility>

#include "control/policy/compile.h"

namespace isoswitch::bench {
namespace {

constexpr uint32_t kFirstPeer = 0x0A000001u;  // 10.0.0.1

MacAddr mac_of(std::initializer_list<uint8_t> b) {
  MacAddr m;
  std::size_t i = 0;
  for (uint8_t x : b) m.b[i++] = x;
  return m;
}

MacAddr vnic_mac(uint32_t i) {
  return mac_of({0x02, 0x01, static_cast<uint8_t>(i >> 24), static_cast<uint8_t>(i >> 16),
                 static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)});
}

// `total` over `parts`, sizes differing by at most one (gen_policy.py's split).
uint32_t share(uint32_t total, uint32_t parts, uint32_t k) {
  return total / parts + (k < total % parts ? 1u : 0u);
}

}  // namespace

std::string PolicySize::label() const {
  return std::to_string(jobs) + "j/" + std::to_string(vnics) + "v/" + std::to_string(peers) + "p";
}

MacAddr bench_gateway_mac() { return mac_of({0x02, 0xfe, 0, 0, 0, 0x01}); }
MacAddr bench_uplink_mac() { return mac_of({0x02, 0, 0, 0, 0xaa, 0x01}); }
MacAddr bench_next_hop_mac() { return mac_of({0x02, 0, 0, 0, 0xaa, 0xfe}); }

PolicyDoc scaled_policy_doc(const PolicySize& size) {
  PolicyDoc doc;
  doc.host.gateway_mac = bench_gateway_mac();
  doc.host.gateway_ip = Ipv4Addr{0xA9FE0101u};  // 169.254.1.1
  doc.host.uplink = {"uplink0", bench_uplink_mac(), Ipv4Addr{0xC000020Au},  // 192.0.2.10
                     bench_next_hop_mac()};
  uint32_t next_ip = kFirstPeer;
  uint32_t vnic_index = 0;
  doc.jobs.reserve(size.jobs);
  doc.vnics.reserve(size.vnics);
  for (uint32_t j = 0; j < size.jobs; ++j) {
    JobDoc job;
    char id[16];
    std::snprintf(id, sizeof id, "job-%04u", j);
    job.id = id;
    job.isolated = true;
    const uint32_t np = share(size.peers, size.jobs, j);
    const uint32_t nv = share(size.vnics, size.jobs, j);
    job.peers.reserve(np);
    for (uint32_t k = 0; k < np; ++k) job.peers.push_back(Ipv4Addr{next_ip + k});
    for (uint32_t k = 0; k < nv && k < np; ++k, ++vnic_index) {
      VnicDoc v;
      char vid[16];
      std::snprintf(vid, sizeof vid, "v-%04u", vnic_index);
      v.id = vid;
      v.port = "vnic" + std::to_string(vnic_index);
      v.mac = vnic_mac(vnic_index);
      v.ip = Ipv4Addr{next_ip + k};
      v.job = job.id;
      doc.vnics.push_back(std::move(v));
    }
    next_ip += np;
    doc.jobs.push_back(std::move(job));
  }
  return doc;
}

Result<ScaledPolicy> make_scaled_policy(const PolicySize& size) {
  if (size.jobs == 0 || size.vnics < size.jobs || size.peers < size.vnics)
    return make_error(ErrorCode::kInvalidArgument,
                      "policy size " + size.label() + ": need jobs >= 1, vnics >= jobs, peers >= vnics");
  ScaledPolicy p;
  p.size = size;
  p.doc = scaled_policy_doc(size);
  p.ports = ctl::port_table_from_policy(p.doc);
  auto snap = ctl::compile(p.doc, p.ports, ctl::CompileOptions{1, 1500});
  if (!snap) return std::unexpected(snap.error());
  p.snap = std::move(*snap);

  p.remote_peers.resize(size.jobs);
  p.vnics_of_job.resize(size.jobs);
  for (uint32_t i = 0; i < p.doc.vnics.size(); ++i) {
    const VnicDoc& v = p.doc.vnics[i];
    const uint32_t job = static_cast<uint32_t>(std::stoul(v.job.substr(4)));
    p.vnics.push_back({p.ports.find(v.port), v.mac, v.ip, job});
    p.vnics_of_job[job].push_back(i);
  }
  for (uint32_t j = 0; j < size.jobs; ++j) {
    const JobDoc& job = p.doc.jobs[j];
    const std::size_t local = p.vnics_of_job[j].size();
    for (std::size_t k = local; k < job.peers.size(); ++k) p.remote_peers[j].push_back(job.peers[k]);
  }
  return p;
}

}  // namespace isoswitch::bench
