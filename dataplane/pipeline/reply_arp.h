// Building an ARP reply in place in the request's mbuf (E3, U4, A5).
//
// The reply is exactly 42 bytes, 46 when tagged (the tag inline with the
// request's TCI, whether the request's tag was inline or in metadata):
// docs/rules.md "Answers the switch builds". The request's fields are copied
// out before the buffer is overwritten, so the order of writes does not
// matter.
//
// Thread-safety: touches only the given mbuf, owned by the calling worker.
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_mbuf.h>

#include "dataplane/pipeline/frame_parse.h"
#include "dataplane/pipeline/rewrite.h"

namespace isoswitch::dp {

inline constexpr uint16_t kArpReplyLen = 42;
inline constexpr uint16_t kArpReplyTaggedLen = 46;

// `arp_off`: offset of the request's ARP header (14 or 18). False when the
// mbuf cannot hold the (tagged) reply.
inline bool build_arp_reply(rte_mbuf* m, uint16_t arp_off, const MacAddr& answer, bool tagged,
                            uint16_t tci) noexcept {
  const uint8_t* req = rte_pktmbuf_mtod(m, const uint8_t*) + arp_off;
  uint8_t sha[6], spa[4], tpa[4];
  std::memcpy(sha, req + 8, 6);
  std::memcpy(spa, req + 14, 4);
  std::memcpy(tpa, req + 24, 4);

  if (!set_frame_len(m, tagged ? kArpReplyTaggedLen : kArpReplyLen)) return false;
  clear_vlan_metadata(m);
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  std::memcpy(p, sha, 6);
  store_mac(p + 6, answer);
  uint8_t* a = p + 12;
  if (tagged) {
    store_be16(a, kTpid8021Q);
    store_be16(a + 2, tci);
    a += kVlanTagLen;
  }
  store_be16(a, kEthTypeArp);
  a += 2;
  store_be16(a, 1);  // htype Ethernet
  store_be16(a + 2, kEthTypeIpv4);
  a[4] = 6;
  a[5] = 4;
  store_be16(a + 6, kArpOpReply);
  store_mac(a + 8, answer);     // sender MAC = the answering MAC
  std::memcpy(a + 14, tpa, 4);  // sender IP = the requested address
  std::memcpy(a + 18, sha, 6);  // target = the requester
  std::memcpy(a + 24, spa, 4);
  return true;
}

}  // namespace isoswitch::dp
