#include "control/server/policy_store.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
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

}  // namespace

PolicyStore::PolicyStore(DataplaneHooks& hooks, PortTable ports, uint16_t mtu,
                         std::string state_file)
    : hooks_(hooks), ports_(std::move(ports)), mtu_(mtu), state_file_(std::move(state_file)) {}

Result<void> PolicyStore::install(PolicyDoc next, uint64_t next_generation, bool persist) {
  auto snap = compile(next, ports_, CompileOptions{next_generation, mtu_});
  if (!snap) return std::unexpected(snap.error());

  // The failure-prone part of persisting happens before anything is
  // published, so a full disk refuses the request with nothing changed.
  std::optional<PendingStateWrite> pending;
  if (persist && !state_file_.empty()) {
    auto p = PendingStateWrite::prepare(state_file_, state_file_contents(next_generation, next));
    if (!p) return std::unexpected(prefixed("persisting the policy: ", p.error()));
    pending.emplace(std::move(*p));
  }

  if (auto r = hooks_.publish(std::move(*snap)); !r)
    return std::unexpected(prefixed("publishing the policy: ", r.error()));

  if (pending) {
    if (auto r = pending->commit(); !r) {
      // Published but not persisted: put the previous policy back so the
      // running policy and the state file agree, and refuse the request.
      Error e = prefixed("persisting the policy: ", r.error());
      if (doc_) {
        auto old = compile(*doc_, ports_, CompileOptions{generation_, mtu_});
        auto back = old ? hooks_.publish(std::move(*old))
                        : Result<void>(std::unexpected(old.error()));
        if (back) return std::unexpected(e);
        std::fprintf(stderr, "isoswitch: cannot restore the previous policy: %s\n",
                     back.error().message.c_str());
      }
      // Nothing to go back to (or going back failed): the data plane runs
      // the new policy, so record it as running, and still report the error.
      doc_ = std::move(next);
      generation_ = next_generation;
      e.message += " (the new policy is running but not persisted)";
      return std::unexpected(e);
    }
  }

  doc_ = std::move(next);
  generation_ = next_generation;
  return {};
}

Result<void> PolicyStore::load_initial(const std::optional<std::string>& policy_file) {
  if (!state_file_.empty()) {
    // Found now rather than at the first mutation, which would be refused.
    auto slash = state_file_.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : state_file_.substr(0, slash);
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
      return make_error(ErrorCode::kIo, "state file " + state_file_ + ": directory " + dir +
                                            " is not writable: " + std::strerror(errno));
    auto state = read_state_file(state_file_);
    if (!state) return std::unexpected(state.error());
    if (*state) {
      auto r = install(std::move((*state)->policy), (*state)->generation, /*persist=*/false);
      if (!r) return std::unexpected(prefixed("state file " + state_file_ + ": ", r.error()));
      return {};
    }
  }
  if (!policy_file) return {};  // fail closed: nothing published

  auto text = read_text_file(*policy_file, kMaxPolicyFileBytes);
  if (!text) return std::unexpected(prefixed("policy file: ", text.error()));
  auto doc = parse_policy(*text);
  if (!doc) return std::unexpected(prefixed("policy file " + *policy_file + ": ", doc.error()));
  auto r = install(std::move(*doc), generation_ + 1, /*persist=*/true);
  if (!r) return std::unexpected(prefixed("policy file " + *policy_file + ": ", r.error()));
  return {};
}

Result<uint64_t> PolicyStore::mutate(const Edit& edit, std::optional<uint64_t> expect_generation,
                                     bool needs_base) {
  if (expect_generation && *expect_generation != generation_)
    return make_error(ErrorCode::kConflict,
                      "expect_generation is " + std::to_string(*expect_generation) +
                          " but the policy is at generation " + std::to_string(generation_));
  if (needs_base && !doc_)
    return make_error(ErrorCode::kNotFound,
                      "no policy is loaded: apply a whole document (policy.apply) first");

  PolicyDoc next = doc_ ? *doc_ : PolicyDoc{};
  if (auto r = edit(next); !r) return std::unexpected(r.error());
  if (auto r = validate(next); !r) return std::unexpected(r.error());
  if (auto r = install(std::move(next), generation_ + 1, /*persist=*/true); !r)
    return std::unexpected(r.error());
  return generation_;
}

}  // namespace isoswitch::ctl
