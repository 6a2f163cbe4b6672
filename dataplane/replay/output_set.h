// The files a replay writes into its out dir, published all at once or not
// at all.
//
// Every output is first written under a hidden temporary name in the out dir
// (same file system, so rename() is atomic per file). commit() renames them
// to their final names in the order they were added; the caller adds
// verdicts.jsonl last, so its presence marks a complete run. If commit() is
// never reached (an error, an exception), the destructor removes every
// temporary file: a failed run leaves nothing that looks like output.
//
// Thread-safety: one thread.
#pragma once

#include <string>
#include <vector>

#include "isoswitch/result.h"

namespace isoswitch::replay {

class OutputSet {
 public:
  // Creates `dir` (and parents) when missing; fails (kIo) when it cannot be
  // created, is not a directory, or is not writable (probed by creating a
  // temporary file in it).
  static Result<OutputSet> open(const std::string& dir);

  OutputSet(OutputSet&&) noexcept = default;
  OutputSet& operator=(OutputSet&&) noexcept = delete;
  OutputSet(const OutputSet&) = delete;
  ~OutputSet();

  // Registers `name` (a plain file name) and returns the temporary path to
  // write it to.
  std::string add(const std::string& name);

  // Renames every temporary file to its final name, in add() order.
  Result<void> commit();

  const std::string& dir() const noexcept { return dir_; }

 private:
  OutputSet() = default;
  struct Entry {
    std::string temp, final_path;
    bool done = false;
  };
  std::string dir_;
  std::vector<Entry> entries_;
};

}  // namespace isoswitch::replay
