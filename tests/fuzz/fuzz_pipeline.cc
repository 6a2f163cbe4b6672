// libFuzzer target: the frame pipeline against a fixed policy, checked against
// the scalar reference on every input.
//
// Input: [port selector][flags][TCI hi][TCI lo][frame bytes...]
//   port  = selector % number of ports of the standard policy (uplink, agent,
//           four vNICs, one unbound vNIC port)
//   flags bit 0: the tag arrived in metadata (RTE_MBUF_F_RX_VLAN_STRIPPED, TCI)
//   flags bit 1: judge with MTU 128 instead of 1500 (P1 on ordinary frames)
//   flags bits 2-4: burst size 1..8 (the frame is repeated; every copy must be
//           judged alike, so state leaking between frames of a burst shows)
// The fast path (dp::process_burst on the compiled Snapshot) and ctl::explain
// must agree on verdict, drop reason, egress port and exact output bytes; a
// dropped frame must be left untouched; counters must count each frame once.
// Any difference aborts with both sides printed (libFuzzer saves the input).
//
// Thread-safety: libFuzzer calls us from one thread.
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "control/explain/explain.h"
#include "control/policy/compile.h"
#include "dataplane/pipeline/pipeline.h"
#include "tests/support/test_policy.h"

namespace {

using namespace isoswitch;

constexpr uint16_t kDataRoom = RTE_PKTMBUF_HEADROOM + 16384;

struct World {
  PolicyDoc doc;
  PortTable ports;
  std::unique_ptr<Snapshot> snap1500;
  std::unique_ptr<Snapshot> snap128;
  rte_mempool* pool = nullptr;
};
World* g = nullptr;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "fuzz_pipeline: %s\n", what);
  std::abort();
}

void hex(const char* label, const uint8_t* p, std::size_t n) {
  std::fprintf(stderr, "%s (%zu bytes):", label, n);
  for (std::size_t i = 0; i < n; ++i) std::fprintf(stderr, "%s%02x", i % 32 ? " " : "\n  ", p[i]);
  std::fprintf(stderr, "\n");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string prefix = "--file-prefix=isoswitch-fuzz-" + std::to_string(getpid());
  const char* args[] = {"fuzz_pipeline", "--no-huge",      "-m",          "256",
                        "--no-pci",      prefix.c_str(),   "--no-telemetry", "-l",
                        "0",             "--log-level=1"};
  int argc = static_cast<int>(sizeof(args) / sizeof(args[0]));
  if (rte_eal_init(argc, const_cast<char**>(args)) < 0) die("rte_eal_init failed");
  g = new World;
  g->doc = test::standard_policy();
  g->ports = test::standard_ports();
  auto a = ctl::compile(g->doc, g->ports, ctl::CompileOptions{1, 1500});
  auto b = ctl::compile(g->doc, g->ports, ctl::CompileOptions{1, 128});
  if (!a || !b) die("the standard policy does not compile");
  g->snap1500 = std::move(*a);
  g->snap128 = std::move(*b);
  g->pool = rte_pktmbuf_pool_create("fuzz_pool", 64, 0, 0, kDataRoom, SOCKET_ID_ANY);
  if (g->pool == nullptr) die("mempool");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const uint16_t in_port = static_cast<uint16_t>(data[0] % g->ports.size());
  const uint8_t flags = data[1];
  const bool meta_vlan = flags & 1;
  const uint16_t mtu = (flags & 2) ? 128 : 1500;
  const uint16_t burst = static_cast<uint16_t>(1 + ((flags >> 2) & 7));
  const uint16_t tci = static_cast<uint16_t>(data[2] << 8 | data[3]);
  const uint8_t* frame = data + 4;
  const std::size_t len = size - 4;
  if (len > 16384) return 0;
  const Snapshot* snap = mtu == 1500 ? g->snap1500.get() : g->snap128.get();

  rte_mbuf* m[8];
  if (rte_pktmbuf_alloc_bulk(g->pool, m, burst) != 0) die("mbuf leak: pool exhausted");
  for (uint16_t i = 0; i < burst; ++i) {
    char* p = rte_pktmbuf_append(m[i], static_cast<uint16_t>(len));
    if (p == nullptr) die("append");
    if (len) std::memcpy(p, frame, len);
    if (meta_vlan) {
      m[i]->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
      m[i]->vlan_tci = tci;
    }
  }
  std::vector<PortCounters> counters(g->ports.size());
  dp::BurstActions act{};
  dp::process_burst(snap, in_port, m, burst, act, counters.data());

  ctl::FrameIn in;
  in.in_port = in_port;
  in.data = frame;
  in.len = len;
  in.vlan_stripped = meta_vlan;
  in.vlan_tci = tci;
  const ctl::Explanation e = ctl::explain(g->doc, g->ports, in, mtu);

  uint64_t drops = 0;
  for (uint16_t i = 0; i < burst; ++i) {
    const uint8_t* out = rte_pktmbuf_mtod(m[i], const uint8_t*);
    const std::size_t out_len = rte_pktmbuf_data_len(m[i]);
    bool same = act.verdict[i] == e.verdict;
    if (same && e.verdict == Verdict::kDrop)
      same = act.reason[i] == e.reason && out_len == len && std::memcmp(out, frame, len) == 0;
    if (same && e.verdict != Verdict::kDrop)
      same = act.out_port[i] == e.out_port && out_len == e.out_frame.size() &&
             std::memcmp(out, e.out_frame.data(), out_len) == 0 &&
             rte_pktmbuf_pkt_len(m[i]) == out_len &&
             (m[i]->ol_flags & (RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED |
                                RTE_MBUF_F_TX_VLAN)) == 0;
    if (!same) {
      auto name = [](Verdict v, DropReason r) {
        std::string s(verdict_name(v));
        if (v == Verdict::kDrop) s += " " + std::string(drop_reason_name(r));
        return s;
      };
      std::fprintf(stderr,
                   "DISAGREEMENT port %u mtu %u meta_vlan %d tci %u, frame %u of %u\n"
                   "pipeline: %s out %u\nexplain:  %s out %u rule %s: %s\n",
                   in_port, mtu, meta_vlan, tci, i, burst,
                   name(act.verdict[i], act.reason[i]).c_str(), act.out_port[i],
                   name(e.verdict, e.reason).c_str(), e.out_port, e.rule.c_str(),
                   e.detail.c_str());
      hex("input", frame, len);
      hex("pipeline out", out, out_len);
      hex("explain out", e.out_frame.data(), e.out_frame.size());
      std::abort();
    }
    if (act.verdict[i] == Verdict::kDrop) ++drops;
  }
  if (counters[in_port].rx_frames != burst || counters[in_port].total_drops() != drops)
    die("counters do not add up: rx_frames != burst or drops != dropped frames");
  rte_pktmbuf_free_bulk(m, burst);
  if (rte_mempool_in_use_count(g->pool) != 0) die("mbuf leak after a burst");
  return 0;
}
