// The running policy document, its generation, and the ways to change it.
//
// Two paths, one outcome: "applied" always means validated, published (all
// workers on the new snapshot) and persisted; a refused request changes
// nothing, in memory, in the data plane or on disk.
//
// Single-object edits (apply(): job/vnic upsert/delete) take the fast path
// when CompiledPolicy can certify them (incremental.h): O(size of the
// object) to check, a copy of the running snapshot patched in place, one
// journal line appended and fdatasync'ed (state_journal.h) -- before the
// publish, so a failure to persist refuses the request with nothing changed.
// An edit the fast path cannot certify goes the full path below, which
// refuses it with validate()'s exact message, or accepts it.
//
// Whole documents (mutate(): policy.apply, txn) and the recovery case (the
// journal cannot be appended to: the base must be rewritten first) take the
// full path: edit a copy -> validate once -> compile -> write + fsync a
// temp state file -> publish -> rename it over the state file, fsync the
// directory -> empty the journal. A failure before publish changes nothing;
// a failed rename after it re-publishes the previous policy and reports kIo.
//
// Compaction -- rewriting the base at the current generation and emptying
// the journal -- costs what a whole-document write costs (~50 ms at 64k
// peers), so it stays off the acknowledgement path: maintain(), called by
// the server's poll loop after replies are flushed, compacts once the
// journal has outgrown the base (and kCompactMinBytes) when the socket is
// idle, or at kCompactHardFactor times that size regardless. apply() only
// compacts inline past the hard limit (a store without a server loop). It
// is an optimisation only: a failure is logged and retried later, never
// reported as a request's failure.
//
// Thread-safety: single-threaded (the control thread). Not copyable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "control/policy/edit.h"
#include "control/policy/incremental.h"
#include "control/server/dataplane_hooks.h"
#include "control/server/state_journal.h"
#include "isoswitch/policy_doc.h"
#include "isoswitch/port_table.h"
#include "isoswitch/result.h"

namespace isoswitch::ctl {

inline constexpr std::size_t kCompactMinBytes = std::size_t{1} << 20;
inline constexpr std::size_t kCompactHardFactor = 4;

class PolicyStore {
 public:
  // `state_file` empty: nothing is persisted. `hooks` must outlive the store.
  PolicyStore(DataplaneHooks& hooks, PortTable ports, uint16_t mtu, std::string state_file);
  PolicyStore(const PolicyStore&) = delete;
  PolicyStore& operator=(const PolicyStore&) = delete;

  // Start-up (see ControlServer::load_initial): state file + journal, else
  // policy file, else nothing. Must be called at most once, before any
  // mutation. Fails (kIo) when the state file's directory is missing or not
  // writable, and (kInvalidArgument) when the persisted state is
  // inconsistent (state_journal.h says what is tolerated).
  Result<void> load_initial(const std::optional<std::string>& policy_file);

  // The refusals every mutation starts with: kConflict when
  // `expect_generation` is set and differs from generation(); kNotFound
  // when `needs_base` and no policy is loaded.
  Result<void> precheck(std::optional<uint64_t> expect_generation, bool needs_base) const;

  // Full path: applies `edit` to a copy of the running document (an empty
  // PolicyDoc when none is loaded and `needs_base` is false). When
  // `edit_validates`, the edit produced an already validated document
  // (policy.apply parses with validation) and it is not validated again.
  // Returns the new generation.
  using Edit = std::function<Result<void>(PolicyDoc&)>;
  Result<uint64_t> mutate(const Edit& edit, std::optional<uint64_t> expect_generation,
                          bool needs_base = true, bool edit_validates = false);

  // One single-object edit (fast path when certified, see above). Returns
  // the new generation.
  Result<uint64_t> apply(PolicyEdit edit, std::optional<uint64_t> expect_generation);

  const PolicyDoc* doc() const noexcept { return compiled_ ? &compiled_->doc() : nullptr; }
  uint64_t generation() const noexcept { return generation_; }
  const PortTable& ports() const noexcept { return ports_; }
  uint16_t mtu() const noexcept { return mtu_; }
  DataplaneHooks& hooks() noexcept { return hooks_; }

  // Compacts the journal when due (see above); `idle`: no request is waiting.
  void maintain(bool idle);

  // How many single-object edits took the fast path (tests, benchmarks).
  uint64_t incremental_count() const noexcept { return incremental_; }

 private:
  Result<void> install_full(PolicyDoc next, uint64_t next_generation, bool persist_base,
                            const PolicyEdit* journal_edit);
  Result<void> append_journal(uint64_t generation, const PolicyEdit& edit);
  bool journal_usable() const noexcept;
  void take_back_journal(std::size_t bytes);
  void compact();

  DataplaneHooks& hooks_;
  PortTable ports_;
  uint16_t mtu_;
  std::string state_file_;
  JournalWriter journal_;
  std::optional<CompiledPolicy> compiled_;  // nullopt: nothing loaded, data plane fails closed
  // The snapshot the data plane retired last (no reader left), recycled as
  // the storage of the next one; may be null.
  std::unique_ptr<Snapshot> spare_;
  // The fast-path plan that made generation `last_plan_generation_`, to
  // bring a spare of the generation before up to date (derive's catch_up).
  std::optional<CompiledPolicy::Plan> last_plan_;
  uint64_t last_plan_generation_ = 0;
  uint64_t generation_ = 0;
  // The state on disk does not match the running policy (no base written
  // yet, or a failed write): the next change must rewrite the base.
  bool needs_base_ = true;
  std::size_t base_bytes_ = 0;
  std::size_t compact_retry_at_ = 0;  // journal size at which to retry a failed compaction
  uint64_t incremental_ = 0;
};

}  // namespace isoswitch::ctl
