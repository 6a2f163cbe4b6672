// The persisted policy: {"generation": N, "policy": {...}} in one JSON file,
// replaced atomically so a crash leaves either the old or the new file.
//
// Writing is split in two so the store can do the slow, failure-prone part
// (write + fsync of a temp file in the same directory) *before* publishing,
// and only the rename + directory fsync after it.
//
// Thread-safety: plain functions and a move-only value; the control thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "isoswitch/policy_doc.h"
#include "isoswitch/result.h"

namespace isoswitch::ctl {

struct PersistedState {
  uint64_t generation = 0;
  PolicyDoc policy;
};

// A whole file; kNotFound when it does not exist, kTooLarge over max_bytes.
Result<std::string> read_text_file(const std::string& path, std::size_t max_bytes);

// nullopt when the file does not exist. A file that exists but cannot be
// read, is not JSON, lacks the fields, or holds an invalid policy is an
// error naming the file and what is wrong (the daemon refuses to start).
Result<std::optional<PersistedState>> read_state_file(const std::string& path);
// The same with the policy checked for syntax only when !validate_policy
// (read_state validates the replayed result once instead).
Result<std::optional<PersistedState>> read_state_file(const std::string& path,
                                                      bool validate_policy);

// The serialised form written by prepare().
std::string state_file_contents(uint64_t generation, const PolicyDoc& policy);

// A temp file "<path>.tmp.<pid>" written and fsync'ed, waiting to be renamed
// over `path`. Destroying it uncommitted removes the temp file.
class PendingStateWrite {
 public:
  static Result<PendingStateWrite> prepare(const std::string& path, const std::string& contents);

  PendingStateWrite(PendingStateWrite&& o) noexcept;
  PendingStateWrite& operator=(PendingStateWrite&&) = delete;
  PendingStateWrite(const PendingStateWrite&) = delete;
  ~PendingStateWrite();

  // rename(temp, path) then fsync of the directory (a failing directory
  // fsync only warns: the rename already made the new state visible).
  Result<void> commit();

 private:
  PendingStateWrite(std::string path, std::string tmp)
      : path_(std::move(path)), tmp_(std::move(tmp)) {}
  std::string path_;
  std::string tmp_;  // empty once committed or moved from
};

// Convenience: prepare + commit of contents already serialised.
Result<void> write_state_file_contents(const std::string& path, const std::string& contents);

// Convenience: prepare + commit.
Result<void> write_state_file(const std::string& path, uint64_t generation,
                              const PolicyDoc& policy);

}  // namespace isoswitch::ctl
