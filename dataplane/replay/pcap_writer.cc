#include "dataplane/replay/pcap_writer.h"

#include <cerrno>
#include <cstring>
#include <utility>

namespace isoswitch::replay {
namespace {

// Native byte order, as libpcap writes it; readers detect it by the magic.
struct FileHeader {
  uint32_t magic;
  uint16_t version_major = 2;
  uint16_t version_minor = 4;
  int32_t thiszone = 0;
  uint32_t sigfigs = 0;
  uint32_t snaplen = kPcapSnaplen;
  uint32_t linktype = 1;  // LINKTYPE_ETHERNET
};
static_assert(sizeof(FileHeader) == 24);

struct RecordHeader {
  uint32_t ts_sec;
  uint32_t ts_frac;  // microseconds or nanoseconds
  uint32_t caplen;
  uint32_t len;
};
static_assert(sizeof(RecordHeader) == 16);

}  // namespace

PcapWriter::PcapWriter(PcapWriter&& o) noexcept
    : f_(std::exchange(o.f_, nullptr)),
      path_(std::move(o.path_)),
      nanosecond_(o.nanosecond_),
      failed_(o.failed_),
      frames_(o.frames_) {}

PcapWriter& PcapWriter::operator=(PcapWriter&& o) noexcept {
  if (this != &o) {
    if (f_) std::fclose(f_);
    f_ = std::exchange(o.f_, nullptr);
    path_ = std::move(o.path_);
    nanosecond_ = o.nanosecond_;
    failed_ = o.failed_;
    frames_ = o.frames_;
  }
  return *this;
}

PcapWriter::~PcapWriter() {
  if (f_) std::fclose(f_);
}

Result<PcapWriter> PcapWriter::create(const std::string& path, bool nanosecond) {
  PcapWriter w;
  w.path_ = path;
  w.nanosecond_ = nanosecond;
  w.f_ = std::fopen(path.c_str(), "wb");
  if (!w.f_) return make_error(ErrorCode::kIo, path + ": cannot create: " + std::strerror(errno));
  FileHeader h{};
  h.magic = nanosecond ? 0xa1b23c4du : 0xa1b2c3d4u;
  if (std::fwrite(&h, sizeof h, 1, w.f_) != 1)
    return make_error(ErrorCode::kIo, path + ": write failed: " + std::strerror(errno));
  return w;
}

Result<void> PcapWriter::write(uint64_t ts_ns, const uint8_t* data, uint32_t len) {
  if (!f_) return make_error(ErrorCode::kInternal, path_ + ": write after close");
  RecordHeader r{};
  r.ts_sec = static_cast<uint32_t>(ts_ns / 1000000000ull);
  uint64_t frac = ts_ns % 1000000000ull;
  r.ts_frac = static_cast<uint32_t>(nanosecond_ ? frac : frac / 1000u);
  r.caplen = len;
  r.len = len;
  if (std::fwrite(&r, sizeof r, 1, f_) != 1 || (len && std::fwrite(data, len, 1, f_) != 1)) {
    failed_ = true;
    return make_error(ErrorCode::kIo, path_ + ": write failed: " + std::strerror(errno));
  }
  ++frames_;
  return {};
}

Result<void> PcapWriter::close() {
  if (!f_) return {};
  bool bad = failed_ || std::ferror(f_) != 0;
  int saved = errno;
  if (std::fclose(std::exchange(f_, nullptr)) != 0) {
    bad = true;
    saved = errno;
  }
  if (bad) return make_error(ErrorCode::kIo, path_ + ": write failed: " + std::strerror(saved));
  return {};
}

}  // namespace isoswitch::replay
