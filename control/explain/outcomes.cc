// The three outcomes and the exact bytes that leave (docs/rules.md, "Answers
// the switch builds" and "Forwarded frames").
#include <utility>

#include "control/explain/explain_internal.h"

namespace isoswitch::ctl::explain_detail {
namespace {

void put_mac(std::vector<uint8_t>& b, const MacAddr& m) {
  b.insert(b.end(), m.b.begin(), m.b.end());
}
void put_ip6(std::vector<uint8_t>& b, const Ipv6Addr& a) {
  b.insert(b.end(), a.b.begin(), a.b.end());
}

// RFC 1071 sum of 16-bit words (the caller folds and inverts).
uint32_t sum16(const uint8_t* p, std::size_t n, uint32_t s) {
  for (std::size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) s += static_cast<uint32_t>(p[n - 1] << 8);
  return s;
}

Explanation outcome(Verdict v, uint16_t port, std::string rule, std::string detail,
                    std::vector<uint8_t> bytes) {
  Explanation e;
  e.verdict = v;
  e.out_port = port;
  e.rule = std::move(rule);
  e.detail = std::move(detail);
  e.out_frame = std::move(bytes);
  return e;
}

}  // namespace

Explanation drop(DropReason r, std::string rule, std::string detail) {
  Explanation e;
  e.verdict = Verdict::kDrop;
  e.reason = r;
  e.out_port = kNoPort;
  e.rule = std::move(rule);
  e.detail = std::move(detail);
  return e;
}

Explanation forward(const Ctx& c, uint16_t out_port, const MacAddr& src, const MacAddr& dst,
                    TagOp op, uint16_t tci, std::string rule, std::string detail) {
  const Pkt& p = c.p;
  std::vector<uint8_t> out(p.data, p.data + p.len);
  if (op == TagOp::kPop) {
    if (p.inline_tag) out.erase(out.begin() + 12, out.begin() + 16);
    // A metadata tag simply does not leave (the mbuf flag is cleared).
  } else {
    bool push = op == TagOp::kPush || p.meta_tag;  // every tag leaves inline
    uint16_t t = op == TagOp::kPush ? tci : p.tci;
    if (push) {
      uint8_t tag[4] = {0x81, 0x00, static_cast<uint8_t>(t >> 8), static_cast<uint8_t>(t)};
      out.insert(out.begin() + 12, tag, tag + 4);
    }
  }
  for (int i = 0; i < 6; ++i) {
    out[i] = dst.b[i];
    out[6 + i] = src.b[i];
  }
  return outcome(Verdict::kForward, out_port, std::move(rule), std::move(detail), std::move(out));
}

Explanation arp_reply(const Ctx& c, const Arp& a, const MacAddr& answer, bool tagged,
                      std::string rule, std::string detail) {
  std::vector<uint8_t> out;
  out.reserve(46);
  put_mac(out, a.sha);
  put_mac(out, answer);
  if (tagged) {
    put16(out, 0x8100);
    put16(out, c.p.tci);
  }
  put16(out, 0x0806);
  put16(out, 1);       // htype Ethernet
  put16(out, 0x0800);  // ptype IPv4
  out.push_back(6);
  out.push_back(4);
  put16(out, 2);  // reply
  put_mac(out, answer);
  put32(out, a.tpa.value);
  put_mac(out, a.sha);
  put32(out, a.spa.value);
  return outcome(Verdict::kReply, c.in_port, std::move(rule), std::move(detail), std::move(out));
}

Explanation na_reply(const Ctx& c, const Ip6& ip, const MacAddr& answer, std::string rule,
                     std::string detail) {
  std::vector<uint8_t> out;
  out.reserve(86);
  put_mac(out, c.p.eth_src());
  put_mac(out, answer);
  put16(out, 0x86dd);
  put32(out, 0x60000000u);  // version 6, traffic class 0, flow 0
  put16(out, 32);           // payload length
  out.push_back(58);        // ICMPv6
  out.push_back(255);       // hop limit (RFC 4861 requires 255)
  put_ip6(out, ip.ns_target);
  put_ip6(out, ip.src);
  const std::size_t icmp = out.size();
  out.push_back(136);
  out.push_back(0);
  put16(out, 0);            // checksum, below
  put32(out, 0x60000000u);  // Solicited | Override
  put_ip6(out, ip.ns_target);
  out.push_back(2);  // target link-layer address
  out.push_back(1);
  put_mac(out, answer);
  uint32_t s = sum16(out.data() + 22, 32, 0);  // pseudo-header: src and dst
  s += 32 + 58;                                // upper-layer length, next header
  s = sum16(out.data() + icmp, 32, s);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  const uint16_t ck = static_cast<uint16_t>(~s);
  out[icmp + 2] = static_cast<uint8_t>(ck >> 8);
  out[icmp + 3] = static_cast<uint8_t>(ck);
  return outcome(Verdict::kReply, c.in_port, std::move(rule), std::move(detail), std::move(out));
}

}  // namespace isoswitch::ctl::explain_detail
