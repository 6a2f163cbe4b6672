// What a classifier decided for one frame, before anything is written.
//
// Classifiers (classify_vnic.h, classify_uplink.h, classify_agent.h) only read
// the frame and the snapshot and return a Decision; the burst loop then
// applies it (rewrite.h, reply_arp.h, reply_nd.h). Keeping "decide" apart from
// "emit" (CONVENTIONS.md §3) makes each rule a one-line return and keeps the
// frame untouched on every drop. MAC pointers point into the snapshot, which
// outlives the burst.
//
// Thread-safety: plain value type, lives on the worker's stack.
#pragma once

#include <cstdint>

#include "isoswitch/addr.h"
#include "isoswitch/drop_reason.h"
#include "isoswitch/snapshot.h"
#include "isoswitch/verdict.h"

namespace isoswitch::dp {

enum class Action : uint8_t {
  kDrop = 0,
  kForward,         // rewrite MACs, tag unchanged (there is none)
  kForwardPushTag,  // rewrite MACs, insert an 802.1Q tag with `tci` (A1)
  kForwardPopTag,   // rewrite MACs, remove the tag (U3)
  kArpReply,        // answer in place; `tagged`: with 802.1Q tag `tci`
  kNaReply,         // neighbour advertisement in place
};

// 16 bytes, so a Decision is returned in two registers, never through memory.
struct Decision {
  Action action = Action::kDrop;
  DropReason reason = DropReason::no_route;
  bool tagged = false;  // reply: answer with an 802.1Q tag `tci`
  uint8_t reserved = 0;
  uint16_t out_port = kNoPort;
  uint16_t tci = 0;
  union {
    const EthRewrite* rewrite = nullptr;  // forward: the frame's new MACs
    const MacAddr* answer;                // reply: the answering MAC
  };
};
static_assert(sizeof(Decision) == 16, "returned in registers");

inline Decision drop(DropReason r) noexcept {
  Decision d;
  d.reason = r;
  return d;
}
inline Decision forward(uint16_t port, const EthRewrite& macs) noexcept {
  Decision d;
  d.action = Action::kForward;
  d.out_port = port;
  d.rewrite = &macs;
  return d;
}
inline Decision forward_push_tag(uint16_t port, const EthRewrite& macs, uint16_t tci) noexcept {
  Decision d = forward(port, macs);
  d.action = Action::kForwardPushTag;
  d.tci = tci;
  return d;
}
inline Decision forward_pop_tag(uint16_t port, const EthRewrite& macs) noexcept {
  Decision d = forward(port, macs);
  d.action = Action::kForwardPopTag;
  return d;
}
inline Decision arp_reply(uint16_t in_port, const MacAddr& answer, bool tagged,
                          uint16_t tci) noexcept {
  Decision d;
  d.action = Action::kArpReply;
  d.out_port = in_port;
  d.answer = &answer;
  d.tagged = tagged;
  d.tci = tci;
  return d;
}
inline Decision na_reply(uint16_t in_port, const MacAddr& answer) noexcept {
  Decision d;
  d.action = Action::kNaReply;
  d.out_port = in_port;
  d.answer = &answer;
  return d;
}

}  // namespace isoswitch::dp
