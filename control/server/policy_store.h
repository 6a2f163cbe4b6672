// The running policy document, its generation, and the one way to change it.
//
// A mutation is: edit a copy -> validate -> compile (server PortTable, mtu,
// generation + 1) -> persist to a temp file (write, fsync) -> hooks.publish()
// (returns after the grace period) -> rename over the state file, fsync dir
// -> commit doc + generation. Any failure before publish leaves everything
// untouched. A failure after publish (the rename) re-publishes the previous
// policy and reports kIo, so "applied" always means applied and persisted.
//
// Thread-safety: single-threaded (the control thread). Not copyable.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "control/server/dataplane_hooks.h"
#include "isoswitch/policy_doc.h"
#include "isoswitch/port_table.h"
#include "isoswitch/result.h"

namespace isoswitch::ctl {

class PolicyStore {
 public:
  // `state_file` empty: nothing is persisted. `hooks` must outlive the store.
  PolicyStore(DataplaneHooks& hooks, PortTable ports, uint16_t mtu, std::string state_file);
  PolicyStore(const PolicyStore&) = delete;
  PolicyStore& operator=(const PolicyStore&) = delete;

  // Start-up (see ControlServer::load_initial): state file, else policy file,
  // else nothing. Must be called at most once, before any mutation. Fails
  // (kIo) when the state file's directory is missing or not writable.
  Result<void> load_initial(const std::optional<std::string>& policy_file);

  // Applies `edit` to a copy of the running document (an empty PolicyDoc
  // when none is loaded and `needs_base` is false) and runs the whole
  // mutation. Refused with kConflict when `expect_generation` is set and
  // differs from generation(); with kNotFound when `needs_base` and no
  // policy is loaded. Returns the new generation.
  using Edit = std::function<Result<void>(PolicyDoc&)>;
  Result<uint64_t> mutate(const Edit& edit, std::optional<uint64_t> expect_generation,
                          bool needs_base = true);

  const std::optional<PolicyDoc>& doc() const noexcept { return doc_; }
  uint64_t generation() const noexcept { return generation_; }
  const PortTable& ports() const noexcept { return ports_; }
  uint16_t mtu() const noexcept { return mtu_; }
  DataplaneHooks& hooks() noexcept { return hooks_; }

 private:
  Result<void> install(PolicyDoc next, uint64_t next_generation, bool persist);

  DataplaneHooks& hooks_;
  PortTable ports_;
  uint16_t mtu_;
  std::string state_file_;
  std::optional<PolicyDoc> doc_;  // nullopt: nothing loaded, data plane fails closed
  uint64_t generation_ = 0;
};

}  // namespace isoswitch::ctl
