// The state journal (state_journal.h).
#include "control/server/state_journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

#include "control/policy/policy_json.h"
#include "control/policy/validate.h"

namespace isoswitch::ctl {

namespace {

using nlohmann::json;

// The journal is compacted long before this; it bounds what a corrupt or
// hostile file can make start-up read.
constexpr std::size_t kMaxJournalBytes = std::size_t{256} << 20;

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

const char* op_name(PolicyEdit::Kind k) {
  switch (k) {
    case PolicyEdit::Kind::kUpsertJob:
      return "job.upsert";
    case PolicyEdit::Kind::kDeleteJob:
      return "job.delete";
    case PolicyEdit::Kind::kUpsertVnic:
      return "vnic.upsert";
    case PolicyEdit::Kind::kDeleteVnic:
      return "vnic.delete";
  }
  return "";
}

// One line -> record; the error says what is wrong with it.
Result<JournalRecord> parse_record(std::string_view text) {
  auto j = parse_json_strict(text, "journal line");
  if (!j) return std::unexpected(j.error());
  auto bad = [](const std::string& m) { return make_error(ErrorCode::kInvalidArgument, m); };
  if (!j->is_object()) return bad("not a JSON object");
  auto g = j->find("generation");
  if (g == j->end() || !g->is_number_unsigned() || g->get<uint64_t>() == 0)
    return bad("generation: missing or not a positive integer");
  auto op = j->find("op");
  if (op == j->end() || !op->is_string()) return bad("op: missing or not a string");
  const std::string name = op->get<std::string>();
  JournalRecord r;
  r.generation = g->get<uint64_t>();
  const char* field = nullptr;
  if (name == "job.upsert" || name == "job.delete") {
    r.edit.kind =
        name == "job.upsert" ? PolicyEdit::Kind::kUpsertJob : PolicyEdit::Kind::kDeleteJob;
    field = "job";
  } else if (name == "vnic.upsert" || name == "vnic.delete") {
    r.edit.kind =
        name == "vnic.upsert" ? PolicyEdit::Kind::kUpsertVnic : PolicyEdit::Kind::kDeleteVnic;
    field = "vnic";
  } else {
    return bad("op: \"" + name + "\" is not a journal operation");
  }
  if (j->size() != 3) return bad("expected exactly generation, op and " + std::string(field));
  auto f = j->find(field);
  if (f == j->end()) return bad(std::string(field) + ": missing");
  switch (r.edit.kind) {
    case PolicyEdit::Kind::kUpsertJob: {
      auto job = job_from_json(*f, "job");
      if (!job) return std::unexpected(job.error());
      r.edit.job = std::move(*job);
      break;
    }
    case PolicyEdit::Kind::kUpsertVnic: {
      auto v = vnic_from_json(*f, "vnic");
      if (!v) return std::unexpected(v.error());
      r.edit.vnic = std::move(*v);
      break;
    }
    case PolicyEdit::Kind::kDeleteJob:
    case PolicyEdit::Kind::kDeleteVnic:
      if (!f->is_string()) return bad(std::string(field) + ": not a string");
      r.edit.id = f->get<std::string>();
      break;
  }
  return r;
}

}  // namespace

std::string journal_path(const std::string& state_path) {
  return state_path + ".journal";
}

std::string journal_line(uint64_t generation, const PolicyEdit& edit) {
  json j = {{"generation", generation}, {"op", op_name(edit.kind)}};
  switch (edit.kind) {
    case PolicyEdit::Kind::kUpsertJob:
      j["job"] = job_to_json(edit.job);
      break;
    case PolicyEdit::Kind::kUpsertVnic:
      j["vnic"] = vnic_to_json(edit.vnic);
      break;
    case PolicyEdit::Kind::kDeleteJob:
      j["job"] = edit.id;
      break;
    case PolicyEdit::Kind::kDeleteVnic:
      j["vnic"] = edit.id;
      break;
  }
  return j.dump() + "\n";
}

Result<JournalContents> read_journal(const std::string& path) {
  JournalContents c;
  auto text = read_text_file(path, kMaxJournalBytes);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) return c;
    return make_error(text.error().code, "state journal: " + text.error().message);
  }
  std::string_view rest = *text;
  std::size_t offset = 0;
  for (std::size_t line = 1; !rest.empty(); ++line) {
    const std::size_t nl = rest.find('\n');
    const bool complete = nl != std::string_view::npos;
    const std::string_view body = rest.substr(0, complete ? nl : rest.size());
    const std::size_t len = complete ? nl + 1 : rest.size();
    const bool last = len == rest.size();
    auto r = complete ? parse_record(body)
                      : Result<JournalRecord>(
                            make_error(ErrorCode::kInvalidArgument, "incomplete (no newline)"));
    if (!r) {
      const std::string why = "line " + std::to_string(line) + ": " + r.error().message;
      if (!last)
        return make_error(ErrorCode::kInvalidArgument, "state journal " + path + ": " + why +
                                                           " (lines follow it: not a torn write)");
      c.torn = why;
      break;
    }
    r->line = line;
    c.records.push_back(std::move(*r));
    offset += len;
    c.valid_bytes = offset;
    rest.remove_prefix(len);
  }
  return c;
}

Result<std::optional<ReplayedState>> read_state(const std::string& state_path) {
  const std::string jpath = journal_path(state_path);
  auto base = read_state_file(state_path, /*validate_policy=*/false);
  if (!base) return std::unexpected(base.error());
  auto journal = read_journal(jpath);
  if (!journal) return std::unexpected(journal.error());
  if (!*base) {
    if (!journal->records.empty())
      return make_error(ErrorCode::kInvalidArgument, "state journal " + jpath +
                                                         " has records but state file " +
                                                         state_path + " does not exist");
    return std::optional<ReplayedState>{};
  }
  ReplayedState out;
  out.state = std::move(**base);
  out.valid_bytes = journal->valid_bytes;
  out.torn = std::move(journal->torn);
  struct stat st {};
  if (::stat(state_path.c_str(), &st) == 0) out.base_bytes = static_cast<std::size_t>(st.st_size);

  const uint64_t base_generation = out.state.generation;
  for (JournalRecord& rec : journal->records) {
    const std::string where = "state journal " + jpath + ": line " + std::to_string(rec.line) +
                              " (generation " + std::to_string(rec.generation) + "): ";
    // Lines the base already holds (compaction stopped before emptying the
    // journal) come first, and only first.
    if (rec.generation <= base_generation && out.replayed == 0) continue;
    if (rec.generation != out.state.generation + 1)
      return make_error(ErrorCode::kInvalidArgument,
                        where + "expected generation " + std::to_string(out.state.generation + 1));
    if (auto r = apply_edit(out.state.policy, std::move(rec.edit)); !r)
      return make_error(ErrorCode::kInvalidArgument, where + r.error().message);
    out.state.generation = rec.generation;
    ++out.replayed;
  }
  // One validation of what a restart will run (the base was read for
  // syntax only), worded as before when there is no journal to blame.
  if (auto r = validate(out.state.policy); !r)
    return make_error(
        ErrorCode::kInvalidArgument,
        out.replayed > 0
            ? "state journal " + jpath + ": the replayed policy is invalid: " + r.error().message
            : "state file " + state_path + ": policy." + r.error().message);
  return std::optional<ReplayedState>{std::move(out)};
}

Result<void> JournalWriter::open(std::size_t valid_bytes) {
  fd_.reset(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!fd_) return make_error(ErrorCode::kIo, errno_text("cannot open", path_));
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0)
    return make_error(ErrorCode::kIo, errno_text("cannot stat", path_));
  if (static_cast<std::size_t>(st.st_size) != valid_bytes) {
    if (::ftruncate(fd_.get(), static_cast<off_t>(valid_bytes)) != 0 || ::fsync(fd_.get()) != 0) {
      fd_.reset();
      return make_error(ErrorCode::kIo, errno_text("cannot cut the torn tail of", path_));
    }
  }
  // The file may have just been created: make its directory entry durable.
  auto slash = path_.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path_.substr(0, slash);
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd || ::fsync(dfd.get()) != 0) {
    fd_.reset();
    return make_error(ErrorCode::kIo, errno_text("cannot fsync directory", dir));
  }
  bytes_ = valid_bytes;
  broken_ = false;
  return {};
}

Result<void> JournalWriter::append(const std::string& line) {
  if (broken_) return make_error(ErrorCode::kIo, path_ + " ends in a fragment of a failed write");
  if (!fd_)
    if (auto r = open(bytes_); !r) return r;
  std::string_view rest = line;
  Result<void> result;
  while (!rest.empty()) {
    ssize_t n = ::write(fd_.get(), rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      result = make_error(ErrorCode::kIo, errno_text("cannot write", path_));
      break;
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (result && ::fdatasync(fd_.get()) != 0)
    result = make_error(ErrorCode::kIo, errno_text("cannot fdatasync", path_));
  if (result) {
    bytes_ += line.size();
    return {};
  }
  // Take the (possibly partial) line back out so the next append follows a
  // complete one; if that fails too, no more appends until reset().
  if (::ftruncate(fd_.get(), static_cast<off_t>(bytes_)) != 0 || ::fdatasync(fd_.get()) != 0)
    broken_ = true;
  return result;
}

Result<void> JournalWriter::cut_back(std::size_t bytes) {
  if (!fd_ || bytes > bytes_)
    return make_error(ErrorCode::kInternal, "journal cut_back out of range");
  if (::ftruncate(fd_.get(), static_cast<off_t>(bytes)) != 0 || ::fdatasync(fd_.get()) != 0) {
    broken_ = true;
    return make_error(ErrorCode::kIo, errno_text("cannot cut back", path_));
  }
  bytes_ = bytes;
  return {};
}

Result<void> JournalWriter::reset() {
  if (!fd_)
    if (auto r = open(0); !r) return r;
  if (::ftruncate(fd_.get(), 0) != 0 || ::fdatasync(fd_.get()) != 0) {
    broken_ = true;
    return make_error(ErrorCode::kIo, errno_text("cannot empty", path_));
  }
  bytes_ = 0;
  broken_ = false;
  return {};
}

}  // namespace isoswitch::ctl
