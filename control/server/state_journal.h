// The state journal: single-object edits appended after the state file.
//
// Persisted state = the state file ("base", state_file.h: {"generation": B,
// "policy": {...}}) + "<state>.journal", one line per accepted single-object
// edit in the canonical form of the request that made it:
//   {"generation":B+1,"op":"vnic.upsert","vnic":{...}}
//   {"generation":B+2,"op":"job.delete","job":"train-a"}
// A line is appended and fdatasync'ed before the edit is published, so an
// acknowledged edit is on disk (one ~200-byte append instead of rewriting the
// whole document). Start-up replays the lines with a generation above B, in
// order, through the edit functions (edit.h) and validates the result once.
//
// Compaction rewrites the base (temp, fsync, rename, directory fsync) at the
// current generation and then empties the journal. A crash in between leaves
// lines the base already contains; replay skips them (generation <= B).
//
// What start-up accepts:
//   - a last line that is incomplete (no newline) or not a valid record: a
//     write torn by a crash, never acknowledged; ignored with a log line and
//     cut off before the next append;
//   - anything else that does not fit (a bad line before the last one, a gap
//     or step back in generations, an edit that cannot apply, a journal
//     without a state file, a final document that fails validation) is an
//     error naming the journal and the line: the daemon refuses to start.
//
// Thread-safety: the control thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "control/policy/edit.h"
#include "control/server/state_file.h"
#include "control/server/unique_fd.h"
#include "isoswitch/result.h"

namespace isoswitch::ctl {

std::string journal_path(const std::string& state_path);

// One record as a line, newline included.
std::string journal_line(uint64_t generation, const PolicyEdit& edit);

struct JournalRecord {
  std::size_t line = 0;  // 1-based, for messages
  uint64_t generation = 0;
  PolicyEdit edit;
};

struct JournalContents {
  std::vector<JournalRecord> records;
  std::size_t valid_bytes = 0;  // length of the well-formed prefix
  std::string torn;             // non-empty: why the last line was ignored
};

// A missing journal is empty. Records are syntax-checked only.
Result<JournalContents> read_journal(const std::string& path);

// Base + journal replayed on the document (no compilation): what a restart
// would run. nullopt when there is no state file (and no journal).
struct ReplayedState {
  PersistedState state;
  std::size_t replayed = 0;     // journal records applied
  std::size_t valid_bytes = 0;  // of the journal
  std::string torn;             // see JournalContents
  std::size_t base_bytes = 0;   // size of the state file
};
Result<std::optional<ReplayedState>> read_state(const std::string& state_path);

// The append side. Opened lazily; every failure leaves the file as it was
// before the call where possible, and says so in broken() where not.
class JournalWriter {
 public:
  explicit JournalWriter(std::string path) : path_(std::move(path)) {}

  const std::string& path() const noexcept { return path_; }
  std::size_t bytes() const noexcept { return bytes_; }
  // A failed append could not be cut back: the file may end in a fragment,
  // so nothing may be appended until reset() succeeds.
  bool broken() const noexcept { return broken_; }

  // Opens for appending, cutting the file to `valid_bytes` first (the torn
  // tail start-up ignored).
  Result<void> open(std::size_t valid_bytes);
  // write + fdatasync of one line. On failure the file is cut back.
  Result<void> append(const std::string& line);
  // Takes back lines appended after the journal was `bytes` long (an edit
  // persisted whose publication then failed).
  Result<void> cut_back(std::size_t bytes);
  // Empties the journal (after the base was rewritten) and fsyncs it.
  Result<void> reset();

 private:
  std::string path_;
  UniqueFd fd_;
  std::size_t bytes_ = 0;
  bool broken_ = false;
};

}  // namespace isoswitch::ctl
