#include "dataplane/replay/pcap_file.h"

#include <pcap/pcap.h>

#include <sys/stat.h>
#include <cerrno>
#include <cstring>
#include <memory>

namespace isoswitch::replay {
namespace {

struct PcapCloser {
  void operator()(pcap_t* p) const noexcept { pcap_close(p); }
};
using PcapPtr = std::unique_ptr<pcap_t, PcapCloser>;

}  // namespace

Result<Capture> read_capture(const std::string& path) {
  // libpcap's message for a missing file is fine, but stat first so that the
  // error code says what happened (not_found vs a corrupt file).
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return make_error(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                      path + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode))
    return make_error(ErrorCode::kInvalidArgument, path + ": is a directory");

  char errbuf[PCAP_ERRBUF_SIZE] = {};
  PcapPtr p(
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf));
  if (!p)
    return make_error(ErrorCode::kInvalidArgument, path + ": not a readable capture: " + errbuf);

  int dlt = pcap_datalink(p.get());
  if (dlt != DLT_EN10MB) {
    const char* name = pcap_datalink_val_to_name(dlt);
    return make_error(ErrorCode::kInvalidArgument, path + ": link type " +
                                                       (name ? name : std::to_string(dlt)) +
                                                       " is not Ethernet (DLT_EN10MB)");
  }

  Capture cap;
  cap.path = path;
  cap.nanosecond = pcap_get_tstamp_precision(p.get()) == PCAP_TSTAMP_PRECISION_NANO;
  // libpcap converts on read to the precision asked for; whether the file
  // itself held nanoseconds is visible in its magic number only.
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    uint32_t magic = 0;
    if (std::fread(&magic, 1, 4, f) == 4)
      cap.nanosecond = magic == 0xa1b23c4du || magic == 0x4d3cb2a1u ||
                       magic == 0x0a0d0d0au;  // pcapng: its own resolution, keep ns
    std::fclose(f);
  }

  for (;;) {
    pcap_pkthdr* hdr = nullptr;
    const u_char* bytes = nullptr;
    int rc = pcap_next_ex(p.get(), &hdr, &bytes);
    if (rc == PCAP_ERROR_BREAK) break;  // end of file
    if (rc != 1)
      return make_error(ErrorCode::kInvalidArgument, path + ": corrupt capture after frame " +
                                                         std::to_string(cap.frames.size()) + ": " +
                                                         pcap_geterr(p.get()));
    FrameRef f;
    f.ts_ns = static_cast<uint64_t>(hdr->ts.tv_sec) * 1000000000ull +
              static_cast<uint64_t>(hdr->ts.tv_usec);  // nanoseconds: precision NANO
    f.offset = cap.data.size();
    f.len = hdr->caplen;
    f.orig_len = hdr->len;
    if (f.len < f.orig_len) ++cap.truncated;
    cap.data.insert(cap.data.end(), bytes, bytes + hdr->caplen);
    cap.frames.push_back(f);
  }
  return cap;
}

}  // namespace isoswitch::replay
