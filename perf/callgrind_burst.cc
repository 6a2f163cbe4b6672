// A fixed amount of pipeline work for callgrind: instructions per frame.
//
// Judges --frames frames of one family (default the realistic uplink mix)
// against a policy of --size (0 small, 1 large) once to warm up, then
// --passes more times, all through dp::process_burst. No EAL: the mbufs are
// laid out by hand (BurstSet with no pool), so valgrind sees only the
// pipeline. Run by perf/callgrind.sh with
//   --toggle-collect='isoswitch::dp::process_burst*'
// so Ir counts process_burst alone; Ir / (frames x passes) = instructions/frame.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/pipeline/pipeline.h"
#include "perf/bench_frames.h"
#include "perf/bench_policy.h"

using namespace isoswitch;
using namespace isoswitch::bench;

int main(int argc, char** argv) {
  uint32_t frames = 8192, passes = 10;
  int size = 0;
  std::string family = "uplink_mix";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--frames") == 0) frames = static_cast<uint32_t>(std::atoi(argv[i + 1]));
    else if (std::strcmp(argv[i], "--passes") == 0) passes = static_cast<uint32_t>(std::atoi(argv[i + 1]));
    else if (std::strcmp(argv[i], "--size") == 0) size = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--family") == 0) family = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: %s [--frames N] [--passes N] [--size 0|1] [--family NAME]\n", argv[0]);
      return 2;
    }
  }
  Family f = Family::uplink_mix;
  bool known = false;
  for (unsigned k = 0; k <= static_cast<unsigned>(Family::malformed); ++k)
    if (family_name(static_cast<Family>(k)) == family) f = static_cast<Family>(k), known = true;
  if (!known) {
    std::fprintf(stderr, "unknown family %s\n", family.c_str());
    return 2;
  }
  auto p = make_scaled_policy(size == 0 ? kSmallPolicy : kLargePolicy);
  if (!p) {
    std::fprintf(stderr, "%s\n", p.error().message.c_str());
    return 1;
  }
  auto set = BurstSet::build(*p, f, frames, nullptr);
  if (!set) {
    std::fprintf(stderr, "%s\n", set.error().message.c_str());
    return 1;
  }
  std::vector<PortCounters> counters(p->ports.size());
  dp::BurstActions actions;
  uint64_t judged = 0, forwarded = 0;
  for (uint32_t pass = 0; pass <= passes; ++pass) {  // pass 0 warms up
    for (std::size_t b = 0; b < set->size(); ++b) {
      const Burst& burst = set->load(b);
      dp::process_burst(p->snap.get(), burst.in_port, burst.pkts, burst.n, actions, counters.data());
      if (pass == 0) continue;
      judged += burst.n;
      for (uint16_t i = 0; i < burst.n; ++i) forwarded += actions.verdict[i] != Verdict::kDrop;
    }
  }
  // The warm-up pass is inside the toggle too: callgrind.sh divides by
  // frames x (passes + 1).
  std::printf("callgrind_burst: family=%s policy=%s frames_per_pass=%u passes=%u(+1 warm-up) "
              "judged=%llu forwarded=%llu\n",
              family.c_str(), p->size.label().c_str(), set->frames(), passes,
              static_cast<unsigned long long>(judged), static_cast<unsigned long long>(forwarded));
  return 0;
}
