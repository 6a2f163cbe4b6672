#include "control/server/state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "control/policy/policy_json.h"
#include "control/server/unique_fd.h"

namespace isoswitch::ctl {

namespace {

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The only state-file size we accept; a policy at the validation limits
// stays far below it, and it bounds what a corrupt file can make us read.
constexpr std::size_t kMaxStateFileBytes = std::size_t{256} << 20;

}  // namespace

Result<std::string> read_text_file(const std::string& path, std::size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    ErrorCode code = errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
    return make_error(code, errno_text("cannot open", path));
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::kIo, errno_text("cannot read", path));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > max_bytes)
      return make_error(ErrorCode::kTooLarge,
                        path + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  return text;
}

Result<std::optional<PersistedState>> read_state_file(const std::string& path) {
  return read_state_file(path, /*validate_policy=*/true);
}

Result<std::optional<PersistedState>> read_state_file(const std::string& path,
                                                      bool validate_policy) {
  auto text = read_text_file(path, kMaxStateFileBytes);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) return std::optional<PersistedState>{};
    return make_error(text.error().code, "state file: " + text.error().message);
  }
  const std::string where = "state file " + path + ": ";
  auto j = parse_json_strict(*text, "state file");
  if (!j) return make_error(ErrorCode::kInvalidArgument, where + j.error().message);
  if (!j->is_object()) return make_error(ErrorCode::kInvalidArgument, where + "not a JSON object");
  for (const auto& [key, _] : j->items())
    if (key != "generation" && key != "policy")
      return make_error(ErrorCode::kInvalidArgument, where + "unknown field \"" + key + "\"");
  auto g = j->find("generation");
  if (g == j->end() || !g->is_number_unsigned() || g->get<uint64_t>() == 0)
    return make_error(ErrorCode::kInvalidArgument,
                      where + "generation: missing or not a positive integer");
  auto p = j->find("policy");
  if (p == j->end()) return make_error(ErrorCode::kInvalidArgument, where + "policy: missing");
  auto doc = validate_policy ? policy_from_json(*p) : policy_from_json_unvalidated(*p);
  if (!doc) return make_error(ErrorCode::kInvalidArgument, where + "policy." + doc.error().message);
  return std::optional<PersistedState>{PersistedState{g->get<uint64_t>(), std::move(*doc)}};
}

std::string state_file_contents(uint64_t generation, const PolicyDoc& policy) {
  nlohmann::json j = {{"generation", generation}, {"policy", policy_to_json(policy)}};
  return j.dump(2) + "\n";
}

Result<PendingStateWrite> PendingStateWrite::prepare(const std::string& path,
                                                     const std::string& contents) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) return make_error(ErrorCode::kIo, errno_text("cannot create", tmp));
  PendingStateWrite pending(path, tmp);  // from here on, failure removes tmp
  std::string_view rest = contents;
  while (!rest.empty()) {
    ssize_t n = ::write(fd.get(), rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::kIo, errno_text("cannot write", tmp));
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd.get()) != 0) return make_error(ErrorCode::kIo, errno_text("cannot fsync", tmp));
  if (::close(fd.release()) != 0)
    return make_error(ErrorCode::kIo, errno_text("cannot close", tmp));
  return pending;
}

PendingStateWrite::PendingStateWrite(PendingStateWrite&& o) noexcept
    : path_(std::move(o.path_)), tmp_(std::exchange(o.tmp_, std::string())) {}

PendingStateWrite::~PendingStateWrite() {
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
}

Result<void> PendingStateWrite::commit() {
  if (tmp_.empty()) return make_error(ErrorCode::kInternal, "state write committed twice");
  if (::rename(tmp_.c_str(), path_.c_str()) != 0)
    return make_error(ErrorCode::kIo, errno_text("cannot rename over", path_));
  tmp_.clear();
  // The rename is durable only once the directory entry is on disk.
  // After a successful rename the new state is what a restart reads, so a
  // failing directory fsync cannot be undone by reporting failure (the
  // caller would roll the data plane back to a policy the file no longer
  // holds): warn and succeed.
  std::string dir = dir_of(path_);
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd || ::fsync(dfd.get()) != 0)
    std::fprintf(stderr, "isoswitch: warning: %s\n",
                 errno_text("cannot fsync directory", dir).c_str());
  return {};
}

Result<void> write_state_file_contents(const std::string& path, const std::string& contents) {
  auto pending = PendingStateWrite::prepare(path, contents);
  if (!pending) return std::unexpected(pending.error());
  return pending->commit();
}

Result<void> write_state_file(const std::string& path, uint64_t generation,
                              const PolicyDoc& policy) {
  auto pending = PendingStateWrite::prepare(path, state_file_contents(generation, policy));
  if (!pending) return std::unexpected(pending.error());
  return pending->commit();
}

}  // namespace isoswitch::ctl
