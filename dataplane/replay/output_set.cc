#include "dataplane/replay/output_set.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace isoswitch::replay {

namespace fs = std::filesystem;

Result<OutputSet> OutputSet::open(const std::string& dir) {
  if (dir.empty()) return make_error(ErrorCode::kInvalidArgument, "--out-dir: empty path");
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) return make_error(ErrorCode::kIo, dir + ": cannot create the out dir: " + ec.message());
  }
  if (!fs::is_directory(dir, ec))
    return make_error(ErrorCode::kIo, dir + ": the out dir is not a directory");
  OutputSet s;
  s.dir_ = dir;
  // Probe: access(W_OK) would ignore read-only mounts and lie for root.
  std::string probe = dir + "/.isoswitch-replay-probe." + std::to_string(::getpid());
  std::FILE* f = std::fopen(probe.c_str(), "wb");
  if (!f)
    return make_error(ErrorCode::kIo,
                      dir + ": the out dir is not writable: " + std::strerror(errno));
  std::fclose(f);
  std::remove(probe.c_str());
  return s;
}

OutputSet::~OutputSet() {
  for (const auto& e : entries_)
    if (!e.done) std::remove(e.temp.c_str());
}

std::string OutputSet::add(const std::string& name) {
  Entry e;
  e.final_path = dir_ + "/" + name;
  e.temp = dir_ + "/." + name + ".tmp." + std::to_string(::getpid());
  entries_.push_back(e);
  return entries_.back().temp;
}

Result<void> OutputSet::commit() {
  for (auto& e : entries_) {
    if (std::rename(e.temp.c_str(), e.final_path.c_str()) != 0)
      return make_error(ErrorCode::kIo, e.final_path + ": cannot rename the finished output: " +
                                            std::strerror(errno));
    e.done = true;
  }
  return {};
}

}  // namespace isoswitch::replay
