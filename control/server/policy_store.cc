#include "control/server/policy_store.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <utility>

#include "control/policy/compile.h"
#include "control/policy/policy_json.h"
#include "control/policy/validate.h"
#include "control/server/state_file.h"

namespace isoswitch::ctl {

namespace {

// A --policy file is a policy document; the same ceiling as a request.
constexpr std::size_t kMaxPolicyFileBytes = std::size_t{256} << 20;

Error prefixed(std::string prefix, Error e) {
  e.message = std::move(prefix) + e.message;
  return e;
}

// After a publish, the store must record what the data plane runs; if that
// bookkeeping cannot complete (out of memory), the process stops: the
// journal already holds the edit, so a restart recovers it exactly.
[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "isoswitch: fatal: %s after publishing; restart replays the journal\n",
               what);
  std::abort();
}

}  // namespace

PolicyStore::PolicyStore(DataplaneHooks& hooks, PortTable ports, uint16_t mtu,
                         std::string state_file)
    : hooks_(hooks),
      ports_(std::move(ports)),
      mtu_(mtu),
      state_file_(std::move(state_file)),
      journal_(journal_path(state_file_)) {}

bool PolicyStore::journal_usable() const noexcept {
  return !state_file_.empty() && !needs_base_ && !journal_.broken();
}

Result<void> PolicyStore::append_journal(uint64_t generation, const PolicyEdit& edit) {
  if (auto r = journal_.append(journal_line(generation, edit)); !r)
    return std::unexpected(prefixed("persisting the policy: ", r.error()));
  return {};
}

// Full path: `next` is validated. `persist_base`: write the state file (and
// empty the journal); else, when `journal_edit`, append it to the journal.
Result<void> PolicyStore::install_full(PolicyDoc next, uint64_t next_generation, bool persist_base,
                                       const PolicyEdit* journal_edit) {
  auto built =
      CompiledPolicy::build(std::move(next), ports_, CompileOptions{next_generation, mtu_});
  if (!built) return std::unexpected(built.error());
  std::unique_ptr<Snapshot> snap;
  try {
    snap = built->copy_snapshot(next_generation, std::move(spare_));
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal, std::string("compile: ") + e.what());
  }

  // The failure-prone part of persisting happens before anything is
  // published, so a full disk refuses the request with nothing changed.
  std::optional<PendingStateWrite> pending;
  std::size_t base_bytes = 0;
  const std::size_t journal_before = journal_.bytes();
  if (!state_file_.empty()) {
    if (persist_base) {
      std::string contents = state_file_contents(next_generation, built->doc());
      base_bytes = contents.size();
      auto p = PendingStateWrite::prepare(state_file_, contents);
      if (!p) return std::unexpected(prefixed("persisting the policy: ", p.error()));
      pending.emplace(std::move(*p));
    } else if (journal_edit) {
      if (auto r = append_journal(next_generation, *journal_edit); !r) return r;
    }
  }

  if (auto r = hooks_.exchange(std::move(snap)); !r) {
    if (!pending && journal_edit) take_back_journal(journal_before);
    return std::unexpected(prefixed("publishing the policy: ", r.error()));
  } else {
    spare_ = std::move(*r);
  }

  if (pending) {
    if (auto r = pending->commit(); !r) {
      // Published but not persisted: put the previous policy back so the
      // running policy and the state file agree, and refuse the request.
      Error e = prefixed("persisting the policy: ", r.error());
      if (compiled_) {
        auto back = hooks_.publish(compiled_->copy_snapshot(generation_));
        if (back) return std::unexpected(e);
        std::fprintf(stderr, "isoswitch: cannot restore the previous policy: %s\n",
                     back.error().message.c_str());
      }
      // Nothing to go back to (or going back failed): the data plane runs
      // the new policy, so record it as running, and still report the error.
      compiled_ = std::move(*built);
      generation_ = next_generation;
      needs_base_ = true;
      e.message += " (the new policy is running but not persisted)";
      return std::unexpected(e);
    }
    base_bytes_ = base_bytes;
    // The base now holds everything; old journal lines are at or below its
    // generation and replay would skip them, but empty it so it cannot grow.
    if (auto r = journal_.reset(); !r) {
      std::fprintf(stderr, "isoswitch: warning: %s (the next change rewrites the state file)\n",
                   r.error().message.c_str());
      needs_base_ = true;
    } else {
      needs_base_ = false;
    }
    compact_retry_at_ = 0;
  }

  compiled_ = std::move(*built);
  generation_ = next_generation;
  last_plan_.reset();
  return {};
}

Result<void> PolicyStore::load_initial(const std::optional<std::string>& policy_file) {
  if (!state_file_.empty()) {
    // Found now rather than at the first mutation, which would be refused.
    auto slash = state_file_.rfind('/');
    std::string dir = slash == std::string::npos ? "."
                      : slash == 0               ? "/"
                                                 : state_file_.substr(0, slash);
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
      return make_error(ErrorCode::kIo, "state file " + state_file_ + ": directory " + dir +
                                            " is not writable: " + std::strerror(errno));
    auto state = read_state(state_file_);
    if (!state) return std::unexpected(state.error());
    if (*state) {
      ReplayedState& s = **state;
      auto built = CompiledPolicy::build(std::move(s.state.policy), ports_,
                                         CompileOptions{s.state.generation, mtu_});
      if (!built)
        return std::unexpected(prefixed("state file " + state_file_ + ": ", built.error()));
      if (!s.torn.empty())
        std::fprintf(stderr,
                     "isoswitch: state journal %s: ignoring %s (a write torn by a crash, never "
                     "acknowledged)\n",
                     journal_.path().c_str(), s.torn.c_str());
      if (auto r = journal_.open(s.valid_bytes); !r)
        return std::unexpected(prefixed("state journal: ", r.error()));
      if (auto r = hooks_.publish(built->copy_snapshot(s.state.generation)); !r)
        return std::unexpected(prefixed("publishing the policy: ", r.error()));
      compiled_ = std::move(*built);
      generation_ = s.state.generation;
      base_bytes_ = s.base_bytes;
      needs_base_ = false;
      if (s.replayed > 0)
        std::fprintf(stderr, "isoswitch: state file %s: generation %llu after %zu journal edits\n",
                     state_file_.c_str(), static_cast<unsigned long long>(generation_), s.replayed);
      return {};
    }
  }
  if (!policy_file) return {};  // fail closed: nothing published

  auto text = read_text_file(*policy_file, kMaxPolicyFileBytes);
  if (!text) return std::unexpected(prefixed("policy file: ", text.error()));
  auto doc = parse_policy(*text);  // validates
  if (!doc) return std::unexpected(prefixed("policy file " + *policy_file + ": ", doc.error()));
  auto r = install_full(std::move(*doc), generation_ + 1, /*persist_base=*/true, nullptr);
  if (!r) return std::unexpected(prefixed("policy file " + *policy_file + ": ", r.error()));
  return {};
}

Result<void> PolicyStore::precheck(std::optional<uint64_t> expect_generation,
                                   bool needs_base) const {
  if (expect_generation && *expect_generation != generation_)
    return make_error(ErrorCode::kConflict,
                      "expect_generation is " + std::to_string(*expect_generation) +
                          " but the policy is at generation " + std::to_string(generation_));
  if (needs_base && !compiled_)
    return make_error(ErrorCode::kNotFound,
                      "no policy is loaded: apply a whole document (policy.apply) first");
  return {};
}

Result<uint64_t> PolicyStore::mutate(const Edit& edit, std::optional<uint64_t> expect_generation,
                                     bool needs_base, bool edit_validates) {
  if (auto r = precheck(expect_generation, needs_base); !r) return std::unexpected(r.error());
  PolicyDoc next = compiled_ ? compiled_->doc() : PolicyDoc{};
  if (auto r = edit(next); !r) return std::unexpected(r.error());
  if (!edit_validates)
    if (auto r = validate(next); !r) return std::unexpected(r.error());
  if (auto r = install_full(std::move(next), generation_ + 1, /*persist_base=*/true, nullptr); !r)
    return std::unexpected(r.error());
  return generation_;
}

Result<uint64_t> PolicyStore::apply(PolicyEdit edit, std::optional<uint64_t> expect_generation) {
  if (auto r = precheck(expect_generation, /*needs_base=*/true); !r)
    return std::unexpected(r.error());
  if (auto r = check_edit(compiled_->doc(), edit); !r) return std::unexpected(r.error());
  const uint64_t next_generation = generation_ + 1;
  const bool journal = journal_usable();

  // Fast path: certified, patched, one journal line.
  if (journal || state_file_.empty()) {
    std::optional<CompiledPolicy::Plan> plan;
    std::unique_ptr<Snapshot> snap;
    try {
      plan = compiled_->plan(edit);
      // The spare is the snapshot before the running one when the last
      // change was a fast-path edit: replaying that edit on it is cheaper
      // than copying the running snapshot into it.
      const bool catch_up = spare_ && last_plan_ && last_plan_generation_ == generation_ &&
                            spare_->generation + 1 == generation_;
      if (plan)
        snap = compiled_->derive(*plan, next_generation, std::move(spare_),
                                 catch_up ? &*last_plan_ : nullptr);
    } catch (const std::exception& e) {
      return make_error(ErrorCode::kInternal, std::string("compile: ") + e.what());
    }
    if (plan) {
      const std::size_t journal_before = journal_.bytes();
      if (journal)
        if (auto r = append_journal(next_generation, plan->edit); !r)
          return std::unexpected(r.error());
      if (auto r = hooks_.exchange(std::move(snap)); !r) {
        if (journal) take_back_journal(journal_before);
        return std::unexpected(prefixed("publishing the policy: ", r.error()));
      } else {
        spare_ = std::move(*r);
      }
      try {
        last_plan_ = *plan;
        last_plan_generation_ = next_generation;
        compiled_->commit(std::move(*plan), next_generation);
      } catch (...) {
        die("cannot record the new policy");
      }
      generation_ = next_generation;
      ++incremental_;
      if (journal) maintain(/*idle=*/false);
      return generation_;
    }
  }

  // Full path: refuses with validate()'s message, or applies.
  PolicyDoc next = compiled_->doc();
  if (auto r = apply_edit(next, edit); !r) return std::unexpected(r.error());
  if (auto r = validate(next); !r) return std::unexpected(r.error());
  if (auto r = install_full(std::move(next), next_generation, /*persist_base=*/!journal, &edit); !r)
    return std::unexpected(r.error());
  if (journal) maintain(/*idle=*/false);
  return generation_;
}

// An appended edit was not published after all: a restart must not apply it.
void PolicyStore::take_back_journal(std::size_t bytes) {
  if (auto r = journal_.cut_back(bytes); !r) {
    std::fprintf(stderr, "isoswitch: warning: %s (the next change rewrites the state file)\n",
                 r.error().message.c_str());
    needs_base_ = true;
  }
}

void PolicyStore::maintain(bool idle) {
  if (!journal_usable() || !compiled_) return;
  const std::size_t limit = std::max(kCompactMinBytes, base_bytes_);
  const std::size_t bytes = journal_.bytes();
  if (bytes <= (idle ? limit : kCompactHardFactor * limit) || bytes < compact_retry_at_) return;
  compact();
}

// Rewrites the base at the running generation and empties the journal.
void PolicyStore::compact() {
  const std::size_t limit = std::max(kCompactMinBytes, base_bytes_);
  std::string contents = state_file_contents(generation_, compiled_->doc());
  if (auto r = write_state_file_contents(state_file_, contents); !r) {
    std::fprintf(stderr, "isoswitch: warning: compacting the state journal: %s\n",
                 r.error().message.c_str());
    compact_retry_at_ = journal_.bytes() + limit;
    return;
  }
  base_bytes_ = contents.size();
  compact_retry_at_ = 0;
  if (auto r = journal_.reset(); !r) {
    std::fprintf(stderr, "isoswitch: warning: compacting the state journal: %s\n",
                 r.error().message.c_str());
    needs_base_ = true;
  }
}

}  // namespace isoswitch::ctl
