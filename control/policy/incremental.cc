// Incremental validation and compilation of single-object edits (incremental.h).
//
// Every check below mirrors a rule of validate() (validate.cc), restricted to
// what the edited object can break when the rest of the document is already
// valid. Where a rule would need more than the object's own size to decide,
// the check answers "not certain" and the caller takes the full path.
#include "control/policy/incremental.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <iterator>
#include <utility>

#include "control/policy/validate.h"

namespace isoswitch::ctl {
namespace {

uint64_t mac_key(const MacAddr& m) {
  uint64_t k = 0;
  std::memcpy(&k, m.b.data(), 6);
  return k;
}

bool in_ranges(const std::vector<Ip4Range>& r, uint32_t ip) {
  auto it = std::upper_bound(r.begin(), r.end(), ip,
                             [](uint32_t v, const Ip4Range& x) { return v < x.lo; });
  return it != r.begin() && std::prev(it)->hi >= ip;
}

bool owned_by(const AddrInfo* e, uint32_t job) {
  return e != nullptr && e->job == job &&
         (e->kind == AddrKind::kContainer || e->kind == AddrKind::kAgentVpc);
}

std::vector<uint32_t> sorted_values(const std::vector<Ipv4Addr>& v) {
  std::vector<uint32_t> out;
  out.reserve(v.size());
  for (Ipv4Addr a : v) out.push_back(a.value);
  std::sort(out.begin(), out.end());
  return out;
}

template <class T>
bool has_adjacent_duplicate(const std::vector<T>& sorted) {
  return std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
}

template <class M>
void renumber_after(M& m, uint32_t removed) {
  for (auto& [key, index] : m)
    if (index > removed) --index;
}

}  // namespace

Result<CompiledPolicy> CompiledPolicy::build(PolicyDoc doc, const PortTable& ports,
                                             const CompileOptions& opts) {
  auto snap = compile_validated(doc, ports, opts);
  if (!snap) return std::unexpected(snap.error());
  try {
    CompiledPolicy cp(std::move(doc), ports);
    cp.snap_ = std::move(**snap);
    cp.index_all();
    return cp;
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal, std::string("indexing the policy: ") + e.what());
  }
}

void CompiledPolicy::index_all() {
  for (std::size_t i = 0; i < doc_.jobs.size(); ++i) {
    const JobDoc& j = doc_.jobs[i];
    job_pos_.emplace(j.id, static_cast<uint32_t>(i));
    total_peers_ += j.peers.size() + j.peers6.size();
    for (Ipv4Addr a : j.peers) peers4_sorted_.push_back(a.value);
  }
  std::sort(peers4_sorted_.begin(), peers4_sorted_.end());
  for (std::size_t i = 0; i < doc_.vnics.size(); ++i) {
    const VnicDoc& v = doc_.vnics[i];
    const auto k = static_cast<uint32_t>(i);
    vnic_pos_.emplace(v.id, k);
    port_user_.emplace(v.port, k);
    mac_user_.emplace(mac_key(v.mac), k);
    ip4_user_.emplace(v.ip.value, k);
    if (v.ipv6) ip6_user_.emplace(*v.ipv6, k);
    vnic_port_.push_back(ports_->find(v.port));
  }
  index_vpc_ranges();
  addr4_n_ = snap_.addr4.count();
  addr6_n_ = snap_.addr6.count();
}

void CompiledPolicy::index_vpc_ranges() {
  vpc_ranges_sorted_ = snap_.vpc_ranges;
  std::sort(vpc_ranges_sorted_.begin(), vpc_ranges_sorted_.end(),
            [](const Ip4Range& a, const Ip4Range& b) { return a.lo < b.lo; });
  vpc_max_hi_.resize(vpc_ranges_sorted_.size());
  uint32_t m = 0;
  for (std::size_t i = 0; i < vpc_ranges_sorted_.size(); ++i)
    vpc_max_hi_[i] = m = std::max(m, vpc_ranges_sorted_[i].hi);
}

// Some range (of any job) contains `ip`: the largest hi among ranges
// starting at or below ip reaches it.
bool CompiledPolicy::in_any_vpc_range(uint32_t ip) const noexcept {
  auto it = std::upper_bound(vpc_ranges_sorted_.begin(), vpc_ranges_sorted_.end(), ip,
                             [](uint32_t v, const Ip4Range& x) { return v < x.lo; });
  if (it == vpc_ranges_sorted_.begin()) return false;
  return vpc_max_hi_[static_cast<std::size_t>(it - vpc_ranges_sorted_.begin()) - 1] >= ip;
}

uint16_t CompiledPolicy::vnic_port_of4(uint32_t ip) const noexcept {
  auto it = ip4_user_.find(ip);
  return it == ip4_user_.end() ? kNoPort : vnic_port_[it->second];
}

uint16_t CompiledPolicy::vnic_port_of6(const Ipv6Addr& ip) const noexcept {
  auto it = ip6_user_.find(ip);
  return it == ip6_user_.end() ? kNoPort : vnic_port_[it->second];
}

// ---- planning (certification) ----

std::optional<CompiledPolicy::Plan> CompiledPolicy::plan(PolicyEdit edit) const {
  Plan p;
  p.edit = std::move(edit);
  switch (p.edit.kind) {
    case PolicyEdit::Kind::kUpsertJob: {
      auto it = job_pos_.find(p.edit.job.id);
      p.replace = it != job_pos_.end();
      p.index = p.replace ? it->second : static_cast<uint32_t>(doc_.jobs.size());
      if (!certify_job(p)) return std::nullopt;
      capture(p);
      return p;
    }
    case PolicyEdit::Kind::kDeleteJob: {
      // Removing a job breaks no rule unless a vNIC still names it.
      auto it = job_pos_.find(p.edit.id);
      if (it == job_pos_.end()) return std::nullopt;
      p.index = it->second;
      for (const PortEntry& e : snap_.ports)
        if (e.role == PortRole::kVnic && e.job == p.index) return std::nullopt;
      capture(p);
      return p;
    }
    case PolicyEdit::Kind::kUpsertVnic:
      if (!certify_vnic(p)) return std::nullopt;
      capture(p);
      return p;
    case PolicyEdit::Kind::kDeleteVnic: {
      // Removing a vNIC breaks no rule.
      auto it = vnic_pos_.find(p.edit.id);
      if (it == vnic_pos_.end()) return std::nullopt;
      p.index = it->second;
      capture(p);
      return p;
    }
  }
  return std::nullopt;
}

void CompiledPolicy::capture(Plan& p) const {
  p.addr4_before = addr4_n_;
  p.addr6_before = addr6_n_;
  switch (p.edit.kind) {
    case PolicyEdit::Kind::kUpsertJob:
      if (p.replace) p.old_job = doc_.jobs[p.index];
      p.ports4.reserve(p.peers4.size());
      for (uint32_t a : p.peers4) p.ports4.push_back(vnic_port_of4(a));
      for (const Ipv6Addr& a : p.peers6) p.ports6.push_back(vnic_port_of6(a));
      return;
    case PolicyEdit::Kind::kDeleteJob:
      p.old_job = doc_.jobs[p.index];
      return;
    case PolicyEdit::Kind::kUpsertVnic:
    case PolicyEdit::Kind::kDeleteVnic:
      if (p.edit.kind == PolicyEdit::Kind::kDeleteVnic || p.replace) {
        p.old_vnic = doc_.vnics[p.index];
        p.old_port = vnic_port_[p.index];
        p.old_vnic_job = job_pos_.at(p.old_vnic->job);
        p.old_job_peers4 = sorted_values(doc_.jobs[p.old_vnic_job].peers);
      }
      if (p.edit.kind == PolicyEdit::Kind::kUpsertVnic)
        p.job_peers4 = sorted_values(doc_.jobs[p.job].peers);
      return;
  }
}

// validate()'s job rules for the one job, against everything else.
bool CompiledPolicy::certify_job(Plan& p) const {
  const JobDoc& job = p.edit.job;
  const uint32_t i = p.index;
  const JobDoc* old = p.replace ? &doc_.jobs[i] : nullptr;
  if (!old && doc_.jobs.size() + 1 > kMaxJobs) return false;
  if (!rules::name_ok(job.id)) return false;
  const std::size_t old_peers = old ? old->peers.size() + old->peers6.size() : 0;
  if (total_peers_ - old_peers + job.peers.size() + job.peers6.size() > kMaxPeersTotal)
    return false;

  // An address may already be in the table only as this job's own (which
  // the edit replaces): anything else is another job's peer, a host/agent
  // address or another VPC's agent.
  p.peers4 = sorted_values(job.peers);
  const std::vector<uint32_t>& peers4 = p.peers4;
  if (has_adjacent_duplicate(peers4)) return false;
  for (uint32_t a : peers4) {
    if (!rules::container4_ok(Ipv4Addr{a})) return false;
    if (const AddrInfo* e = snap_.addr4.find(a); e && !(old && owned_by(e, i))) return false;
    // Inside any VPC range (another job's, or this job's old one: rare,
    // left to the full path).
    if (in_any_vpc_range(a)) return false;
  }
  p.peers6 = job.peers6;
  std::sort(p.peers6.begin(), p.peers6.end());
  const std::vector<Ipv6Addr>& peers6 = p.peers6;
  if (has_adjacent_duplicate(peers6)) return false;
  for (const Ipv6Addr& a : peers6) {
    if (!rules::container6_ok(a)) return false;
    if (const AddrInfo* e = snap_.addr6.find(a.b.data()); e && !(old && owned_by(e, i)))
      return false;
  }

  if (job.vpc) {
    const VpcDoc& v = *job.vpc;
    if (v.vlan < 1 || v.vlan > 4094) return false;
    if (uint32_t t = snap_.vlan_to_job[v.vlan]; t != kNoJob && !(old && t == i)) return false;
    if (!rules::unicast_mac_ok(v.gateway_mac)) return false;
    if (v.prefixes.size() > kMaxVpcPrefixesPerJob) return false;
    if (!rules::host4_ok(v.agent_ip)) return false;
    if (std::binary_search(peers4.begin(), peers4.end(), v.agent_ip.value)) return false;
    if (const AddrInfo* e = snap_.addr4.find(v.agent_ip.value); e && !(old && owned_by(e, i)))
      return false;
    for (const Ipv4Prefix& pre : v.prefixes)
      if (pre.len > 32 || (pre.addr.value & ~pre.mask()) != 0) return false;
    // The new ranges may contain no container address: not this job's new
    // peers, nor any other job's (this job's old peers are being dropped).
    p.ranges = merge_vpc_ranges(v.prefixes);
    const std::vector<Ip4Range>& ranges = p.ranges;
    for (uint32_t a : peers4)
      if (in_ranges(ranges, a)) return false;
    for (const Ip4Range& r : ranges)
      for (auto it = std::lower_bound(peers4_sorted_.begin(), peers4_sorted_.end(), r.lo);
           it != peers4_sorted_.end() && *it <= r.hi; ++it) {
        const AddrInfo* e = snap_.addr4.find(*it);
        if (!(old && e && e->kind == AddrKind::kContainer && e->job == i)) return false;
      }
  }

  // The job's vNICs must keep their addresses among its peers.
  if (old)
    for (const PortEntry& e : snap_.ports) {
      if (e.role != PortRole::kVnic || e.job != i) continue;
      if (!std::binary_search(peers4.begin(), peers4.end(), e.ip.value)) return false;
      if (e.has_ipv6 && !std::binary_search(peers6.begin(), peers6.end(), e.ip6)) return false;
    }
  return true;
}

// validate()'s vNIC rules and compile()'s port binding for the one vNIC.
bool CompiledPolicy::certify_vnic(Plan& p) const {
  const VnicDoc& v = p.edit.vnic;
  auto it = vnic_pos_.find(v.id);
  p.replace = it != vnic_pos_.end();
  p.index = p.replace ? it->second : static_cast<uint32_t>(doc_.vnics.size());
  const uint32_t k = p.index;
  if (!p.replace && doc_.vnics.size() + 1 > kMaxVnics) return false;
  if (!rules::name_ok(v.id) || !rules::name_ok(v.port) || !rules::name_ok(v.job)) return false;

  const HostDoc& host = doc_.host;
  auto other = [k](const auto& map, const auto& key) {
    auto f = map.find(key);
    return f != map.end() && f->second != k;
  };
  if (v.port == host.uplink.port || (host.agent && v.port == host.agent->port)) return false;
  if (other(port_user_, v.port)) return false;
  auto port = bind_vnic_port(*ports_, v.port, "vnic.port");
  if (!port) return false;
  p.port = *port;

  if (!rules::unicast_mac_ok(v.mac) || v.mac == host.gateway_mac || v.mac == host.uplink.mac ||
      (host.agent && v.mac == host.agent->mac))
    return false;
  if (other(mac_user_, mac_key(v.mac)) || other(ip4_user_, v.ip.value)) return false;
  if (v.ipv6 && other(ip6_user_, *v.ipv6)) return false;

  auto job = job_pos_.find(v.job);
  if (job == job_pos_.end()) return false;
  p.job = job->second;
  const AddrInfo* e4 = snap_.addr4.find(v.ip.value);
  if (!e4 || e4->kind != AddrKind::kContainer || e4->job != p.job) return false;
  if (v.ipv6) {
    const AddrInfo* e6 = snap_.addr6.find(v.ipv6->b.data());
    if (!e6 || e6->kind != AddrKind::kContainer || e6->job != p.job) return false;
  }
  return true;
}

// ---- patching a snapshot ----

std::unique_ptr<Snapshot> CompiledPolicy::derive(const Plan& p, uint64_t generation,
                                                 std::unique_ptr<Snapshot> spare,
                                                 const Plan* catch_up) const {
  if (spare && catch_up) {
    patch(*spare, *catch_up);
    patch(*spare, p);
    spare->generation = generation;
    return spare;
  }
  auto s = copy_snapshot(generation, std::move(spare));
  patch(*s, p);
  return s;
}

std::unique_ptr<Snapshot> CompiledPolicy::copy_snapshot(uint64_t generation,
                                                        std::unique_ptr<Snapshot> spare) const {
  if (spare)
    *spare = snap_;
  else
    spare = std::make_unique<Snapshot>(snap_);
  spare->generation = generation;
  return spare;
}

void CompiledPolicy::patch(Snapshot& s, const Plan& p) {
  switch (p.edit.kind) {
    case PolicyEdit::Kind::kUpsertJob:
      return patch_upsert_job(s, p);
    case PolicyEdit::Kind::kDeleteJob:
      return patch_delete_job(s, p);
    case PolicyEdit::Kind::kUpsertVnic:
      return patch_upsert_vnic(s, p);
    case PolicyEdit::Kind::kDeleteVnic:
      return patch_delete_vnic(s, p);
  }
}

namespace {

bool job_is_local(const Snapshot& s, uint32_t j) {
  for (const PortEntry& e : s.ports)
    if (e.role == PortRole::kVnic && e.job == j) return true;
  return false;
}

// Brings job j's entries in local4 in line with addr4 after a patch that may
// have bound or unbound one of its vNICs (compile.cc: local4 holds the
// container addresses of the jobs with a vNIC here): all of `peers` when the
// job is local now, none otherwise; the entries kept are re-copied from addr4
// (a bound vNIC's address changed its port).
void sync_local_job(Snapshot& s, uint32_t j, const std::vector<uint32_t>& peers) {
  if (j == kNoJob || peers.empty()) return;
  if (!job_is_local(s, j)) {
    for (uint32_t a : peers) s.local4.erase(a);
    return;
  }
  s.local4.reserve(s.local4.size() + peers.size());
  for (uint32_t a : peers) {
    const AddrInfo* g = s.addr4.find(a);
    if (g == nullptr) continue;  // never: a job's peers are in addr4
    Addr4Slot slot;
    slot.ip = a;
    slot.info = *g;
    s.local4.insert(slot);
  }
}

void erase_job_addresses(Snapshot& s, const JobDoc& j) {
  for (Ipv4Addr a : j.peers) {
    s.addr4.erase(a.value);
    s.local4.erase(a.value);
  }
  if (j.vpc) s.addr4.erase(j.vpc->agent_ip.value);
  for (const Ipv6Addr& a : j.peers6) s.addr6.erase(a);
}

std::size_t addr4_owned(const JobDoc& j) {
  return j.peers.size() + (j.vpc ? 1 : 0);
}

// Replaces jobs[i]'s slice of vpc_ranges with `ranges` (none: erases it) and
// moves the later jobs' slices by the difference.
void splice_ranges(Snapshot& s, uint32_t i, bool exists, const std::vector<Ip4Range>& ranges) {
  const auto size = static_cast<uint32_t>(s.vpc_ranges.size());
  const uint32_t begin = exists ? s.jobs[i].range_begin : size;
  const uint32_t end = exists ? s.jobs[i].range_end : size;
  s.vpc_ranges.erase(s.vpc_ranges.begin() + begin, s.vpc_ranges.begin() + end);
  s.vpc_ranges.insert(s.vpc_ranges.begin() + begin, ranges.begin(), ranges.end());
  const auto delta = static_cast<uint32_t>(ranges.size()) - (end - begin);  // mod 2^32
  for (std::size_t j = i + 1; j < s.jobs.size(); ++j) {
    s.jobs[j].range_begin += delta;
    s.jobs[j].range_end += delta;
  }
}

}  // namespace

void CompiledPolicy::patch_upsert_job(Snapshot& s, const Plan& p) {
  const JobDoc& job = p.edit.job;
  const uint32_t i = p.index;
  const JobDoc* old = p.old_job ? &*p.old_job : nullptr;

  std::size_t n4 = p.addr4_before, n6 = p.addr6_before;
  if (old) {
    erase_job_addresses(s, *old);
    n4 -= addr4_owned(*old);
    n6 -= old->peers6.size();
  }
  s.addr4.reserve(n4 + addr4_owned(job));
  s.addr6.reserve(n6 + p.peers6.size());
  for (std::size_t k = 0; k < p.peers4.size(); ++k) {
    Addr4Slot slot;
    slot.ip = p.peers4[k];
    slot.info.kind = AddrKind::kContainer;
    slot.info.job = i;
    slot.info.port = p.ports4[k];
    s.addr4.insert(slot);
  }
  for (std::size_t k = 0; k < p.peers6.size(); ++k) {
    Addr6Slot slot;
    slot.ip = p.peers6[k];
    slot.info.kind = AddrKind::kContainer;
    slot.info.job = i;
    slot.info.port = p.ports6[k];
    s.addr6.insert(slot);
  }

  if (!old) {
    s.jobs.emplace_back();
    s.job_ids.push_back(job.id);
  }
  splice_ranges(s, i, old != nullptr, p.ranges);
  JobEntry je;
  je.isolated = job.isolated ? 1 : 0;
  je.range_begin = s.jobs[i].range_begin;
  if (!old) je.range_begin = static_cast<uint32_t>(s.vpc_ranges.size() - p.ranges.size());
  je.range_end = je.range_begin + static_cast<uint32_t>(p.ranges.size());
  if (old && old->vpc) s.vlan_to_job[old->vpc->vlan] = kNoJob;
  if (job.vpc) {
    je.has_vpc = 1;
    je.vlan = job.vpc->vlan;
    je.vpc_egress = EthRewrite{job.vpc->gateway_mac, s.uplink_mac};  // host MACs: never edited here
    je.vpc_agent_ip = job.vpc->agent_ip;
    s.vlan_to_job[job.vpc->vlan] = i;
    Addr4Slot slot;
    slot.ip = job.vpc->agent_ip.value;
    slot.info.kind = AddrKind::kAgentVpc;
    slot.info.job = i;
    s.addr4.insert(slot);
  }
  s.jobs[i] = je;
  sync_local_job(s, i, p.peers4);
}

void CompiledPolicy::patch_delete_job(Snapshot& s, const Plan& p) {
  const uint32_t i = p.index;
  const JobDoc& old = *p.old_job;
  erase_job_addresses(s, old);
  auto shift = [i](AddrInfo& a) {
    if ((a.kind == AddrKind::kContainer || a.kind == AddrKind::kAgentVpc) && a.job != kNoJob &&
        a.job > i)
      --a.job;
  };
  s.addr4.update_each(shift);
  s.local4.update_each(shift);
  s.addr6.update_each(shift);
  splice_ranges(s, i, true, {});
  s.jobs.erase(s.jobs.begin() + i);
  s.job_ids.erase(s.job_ids.begin() + i);
  if (old.vpc) s.vlan_to_job[old.vpc->vlan] = kNoJob;
  for (uint32_t& j : s.vlan_to_job)
    if (j != kNoJob && j > i) --j;
  for (PortEntry& e : s.ports)
    if (e.role == PortRole::kVnic && e.job != kNoJob && e.job > i) --e.job;
}

void CompiledPolicy::patch_upsert_vnic(Snapshot& s, const Plan& p) {
  const VnicDoc& v = p.edit.vnic;
  const uint32_t k = p.index;
  if (p.replace) {
    const VnicDoc& old = *p.old_vnic;
    s.ports[p.old_port] = PortEntry{};
    if (AddrInfo* a = s.addr4.find_mut(old.ip.value)) a->port = kNoPort;
    if (old.ipv6)
      if (AddrInfo* a = s.addr6.find_mut(*old.ipv6)) a->port = kNoPort;
  }
  PortEntry e;
  e.role = PortRole::kVnic;
  e.job = p.job;
  e.vnic = k;
  e.mac = v.mac;
  e.deliver = EthRewrite{v.mac, s.gateway_mac};  // host MACs: never edited here
  e.ip = v.ip;
  if (v.ipv6) {
    e.has_ipv6 = 1;
    e.ip6 = *v.ipv6;
    if (AddrInfo* a = s.addr6.find_mut(*v.ipv6)) a->port = p.port;
  }
  s.ports[p.port] = e;
  if (AddrInfo* a = s.addr4.find_mut(v.ip.value)) a->port = p.port;
  if (p.replace)
    s.vnic_ids[k] = v.id;
  else
    s.vnic_ids.push_back(v.id);
  if (p.replace) sync_local_job(s, p.old_vnic_job, p.old_job_peers4);
  sync_local_job(s, p.job, p.job_peers4);
}

void CompiledPolicy::patch_delete_vnic(Snapshot& s, const Plan& p) {
  const uint32_t k = p.index;
  const VnicDoc& old = *p.old_vnic;
  s.ports[p.old_port] = PortEntry{};
  if (AddrInfo* a = s.addr4.find_mut(old.ip.value)) a->port = kNoPort;
  if (old.ipv6)
    if (AddrInfo* a = s.addr6.find_mut(*old.ipv6)) a->port = kNoPort;
  s.vnic_ids.erase(s.vnic_ids.begin() + k);
  for (PortEntry& e : s.ports)
    if (e.role == PortRole::kVnic && e.vnic != 0xffffffffu && e.vnic > k) --e.vnic;
  sync_local_job(s, p.old_vnic_job, p.old_job_peers4);
}

// ---- committing ----

void CompiledPolicy::commit(Plan p, uint64_t generation) {
  patch(snap_, p);
  snap_.generation = generation;
  reindex(p);  // reads the document before the edit
  if (auto r = apply_edit(doc_, std::move(p.edit)); !r) std::terminate();  // certified above
}

void CompiledPolicy::reindex(const Plan& p) {
  const uint32_t i = p.index;
  auto drop_peers = [this](const JobDoc& j) {
    std::vector<uint32_t> gone = sorted_values(j.peers);
    std::vector<uint32_t> kept;
    kept.reserve(peers4_sorted_.size());
    std::set_difference(peers4_sorted_.begin(), peers4_sorted_.end(), gone.begin(), gone.end(),
                        std::back_inserter(kept));
    peers4_sorted_ = std::move(kept);
    total_peers_ -= j.peers.size() + j.peers6.size();
    addr4_n_ -= addr4_owned(j);
    addr6_n_ -= j.peers6.size();
  };
  auto drop_vnic_keys = [this](const VnicDoc& v) {
    port_user_.erase(v.port);
    mac_user_.erase(mac_key(v.mac));
    ip4_user_.erase(v.ip.value);
    if (v.ipv6) ip6_user_.erase(*v.ipv6);
  };

  switch (p.edit.kind) {
    case PolicyEdit::Kind::kUpsertJob: {
      const JobDoc& job = p.edit.job;
      const JobDoc* old = p.replace ? &doc_.jobs[i] : nullptr;
      if (old) drop_peers(*old);
      std::vector<uint32_t> merged;
      merged.reserve(peers4_sorted_.size() + p.peers4.size());
      std::merge(peers4_sorted_.begin(), peers4_sorted_.end(), p.peers4.begin(), p.peers4.end(),
                 std::back_inserter(merged));
      peers4_sorted_ = std::move(merged);
      total_peers_ += job.peers.size() + job.peers6.size();
      addr4_n_ += addr4_owned(job);
      addr6_n_ += job.peers6.size();
      if (!old) job_pos_.emplace(job.id, i);
      if ((old && old->vpc) || job.vpc) index_vpc_ranges();
      return;
    }
    case PolicyEdit::Kind::kDeleteJob: {
      const JobDoc& old = doc_.jobs[i];
      drop_peers(old);
      job_pos_.erase(old.id);
      renumber_after(job_pos_, i);
      if (old.vpc) index_vpc_ranges();
      return;
    }
    case PolicyEdit::Kind::kUpsertVnic: {
      const VnicDoc& v = p.edit.vnic;
      const uint32_t k = p.index;
      if (p.replace) {
        drop_vnic_keys(doc_.vnics[k]);
        vnic_port_[k] = p.port;
      } else {
        vnic_pos_.emplace(v.id, k);
        vnic_port_.push_back(p.port);
      }
      port_user_.emplace(v.port, k);
      mac_user_.emplace(mac_key(v.mac), k);
      ip4_user_.emplace(v.ip.value, k);
      if (v.ipv6) ip6_user_.emplace(*v.ipv6, k);
      return;
    }
    case PolicyEdit::Kind::kDeleteVnic: {
      const uint32_t k = p.index;
      const VnicDoc& old = doc_.vnics[k];
      drop_vnic_keys(old);
      vnic_pos_.erase(old.id);
      vnic_port_.erase(vnic_port_.begin() + k);
      renumber_after(vnic_pos_, k);
      renumber_after(port_user_, k);
      renumber_after(mac_user_, k);
      renumber_after(ip4_user_, k);
      renumber_after(ip6_user_, k);
      return;
    }
  }
}

}  // namespace isoswitch::ctl
