// The running policy kept compiled, so a single-object edit costs
// O(size of the object), not O(policy).
//
// A CompiledPolicy holds a validated PolicyDoc, the Snapshot compile() makes
// of it (a control-owned copy that is never published itself), and indexes
// over both (vNIC MAC/IP/port owners, every IPv4 peer sorted, all VPC ranges).
// For job.upsert/delete and vnic.upsert/delete:
//
//   plan(edit)       checks the edit against the indexes. It returns a Plan
//                    only when it can certify that validate() would accept
//                    the edited document; nullopt means "not certain" (a rule
//                    is broken, or a rare case such as a peer inside a VPC
//                    range the edit removes). The caller then takes the full
//                    path (copy, edit, validate, compile), which decides
//                    exactly and words every refusal as before: the fast path
//                    can only ever accept what validate() accepts.
//   derive(plan, g)  copies the snapshot and patches the entries the object
//                    owns (its PortEntry, its address slots, its JobEntry and
//                    VPC ranges; index shifts after a delete). Equal, field by
//                    field and lookup by lookup, to compile() of the edited
//                    document (tests/control/incremental_test.cc).
//   commit(plan, g)  applies the same patch to the kept snapshot, the edit to
//                    the document, and updates the indexes.
//
// A Plan is valid until the next commit() or rebuild.
//
// Thread-safety: the control thread owns it; not shared.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "control/policy/compile.h"
#include "control/policy/edit.h"
#include "isoswitch/policy_doc.h"
#include "isoswitch/port_table.h"
#include "isoswitch/result.h"
#include "isoswitch/snapshot.h"

namespace isoswitch::ctl {

class CompiledPolicy {
 public:
  struct Plan {
    PolicyEdit edit;
    uint32_t index = 0;            // position of the job / vNIC in the document
    bool replace = false;          // upserts: an object with this id exists at `index`
    uint16_t port = kNoPort;       // vnic.upsert: the bound port
    uint32_t job = kNoJob;         // vnic.upsert: the vNIC's job index
    std::vector<uint32_t> peers4;  // job.upsert: the new peers, sorted
    std::vector<Ipv6Addr> peers6;  // job.upsert: sorted
    std::vector<Ip4Range> ranges;  // job.upsert: merged VPC ranges
    // What the patch needs of the state before the edit, captured so that
    // patching depends on the plan alone and can be replayed on any
    // snapshot of the generation the plan was made against.
    std::optional<JobDoc> old_job;                   // job.upsert (replacing), job.delete
    std::optional<VnicDoc> old_vnic;                 // vnic.upsert (replacing), vnic.delete
    uint16_t old_port = kNoPort;                     // old_vnic's port index
    std::vector<uint16_t> ports4, ports6;            // job.upsert: local vNIC port per new peer
    // vnic.upsert/vnic.delete: the IPv4 peers of the jobs whose vNICs the edit
    // binds or unbinds (the vNIC's job; the replaced or deleted vNIC's job),
    // for Snapshot::local4.
    std::vector<uint32_t> job_peers4, old_job_peers4;
    uint32_t old_vnic_job = kNoJob;  // the replaced or deleted vNIC's job index
    std::size_t addr4_before = 0, addr6_before = 0;  // occupied address slots
  };

  // `doc` must have passed validate(); fails only on what compile_validated
  // checks (port bindings, mtu). `ports` must outlive the object.
  static Result<CompiledPolicy> build(PolicyDoc doc, const PortTable& ports,
                                      const CompileOptions& opts);

  std::optional<Plan> plan(PolicyEdit edit) const;
  // `spare`, when given, is a retired snapshot (no reader left) whose
  // storage is reused: copying into it costs about half a fresh copy. When
  // `catch_up` is given too, `spare` is the snapshot of the generation before
  // the running one and `catch_up` the plan committed to reach the running
  // one: the spare is brought up to date by replaying it instead of copying
  // (O(size of the two edits), nothing copied).
  std::unique_ptr<Snapshot> derive(const Plan& p, uint64_t generation,
                                   std::unique_ptr<Snapshot> spare = nullptr,
                                   const Plan* catch_up = nullptr) const;
  void commit(Plan p, uint64_t generation);

  const PolicyDoc& doc() const noexcept { return doc_; }
  const Snapshot& snapshot() const noexcept { return snap_; }
  // A publishable copy of the kept snapshot (into `spare` when given).
  std::unique_ptr<Snapshot> copy_snapshot(uint64_t generation,
                                          std::unique_ptr<Snapshot> spare = nullptr) const;

 private:
  CompiledPolicy(PolicyDoc doc, const PortTable& ports) : doc_(std::move(doc)), ports_(&ports) {}
  void index_all();
  void index_vpc_ranges();
  bool in_any_vpc_range(uint32_t ip) const noexcept;

  bool certify_job(Plan& p) const;
  bool certify_vnic(Plan& p) const;
  void capture(Plan& p) const;
  // Static: a patch reads the plan and the snapshot it edits, nothing else.
  static void patch(Snapshot& s, const Plan& p);
  static void patch_upsert_job(Snapshot& s, const Plan& p);
  static void patch_delete_job(Snapshot& s, const Plan& p);
  static void patch_upsert_vnic(Snapshot& s, const Plan& p);
  static void patch_delete_vnic(Snapshot& s, const Plan& p);
  void reindex(const Plan& p);
  uint16_t vnic_port_of4(uint32_t ip) const noexcept;
  uint16_t vnic_port_of6(const Ipv6Addr& ip) const noexcept;

  PolicyDoc doc_;
  const PortTable* ports_;
  Snapshot snap_;

  std::unordered_map<std::string, uint32_t> job_pos_;    // job id -> index
  std::unordered_map<std::string, uint32_t> vnic_pos_;   // vNIC id -> index
  std::unordered_map<std::string, uint32_t> port_user_;  // port name -> vNIC index
  std::unordered_map<uint64_t, uint32_t> mac_user_;      // vNIC MAC -> vNIC index
  std::unordered_map<uint32_t, uint32_t> ip4_user_;      // vNIC IPv4 -> vNIC index
  std::map<Ipv6Addr, uint32_t> ip6_user_;                // vNIC IPv6 -> vNIC index
  std::vector<uint16_t> vnic_port_;                      // vNIC index -> port index
  std::vector<uint32_t> peers4_sorted_;                  // every IPv4 peer of every job
  std::vector<Ip4Range> vpc_ranges_sorted_;              // every job's ranges, by lo
  std::vector<uint32_t> vpc_max_hi_;                     // prefix maximum of .hi
  std::size_t total_peers_ = 0;                          // IPv4 + IPv6, all jobs
  std::size_t addr4_n_ = 0, addr6_n_ = 0;                // occupied slots of snap_'s tables
};

}  // namespace isoswitch::ctl
