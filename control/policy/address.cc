// Strict parsing and formatting of MAC, IPv4, IPv6 and IPv4 prefixes.
#include "isoswitch/addr.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>

namespace isoswitch {
namespace {

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<MacAddr> parse_mac(std::string_view s) {
  if (s.size() != 17) return std::nullopt;
  MacAddr m;
  for (int i = 0; i < 6; ++i) {
    int hi = hex_digit(s[i * 3]), lo = hex_digit(s[i * 3 + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    if (i < 5 && s[i * 3 + 2] != ':') return std::nullopt;
    m.b[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return m;
}

std::optional<Ipv4Addr> parse_ipv4(std::string_view s) {
  uint32_t v = 0;
  const char* p = s.data();
  const char* end = s.data() + s.size();
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
    const char* start = p;
    unsigned x = 0;
    auto [q, ec] = std::from_chars(p, end, x);
    if (ec != std::errc{} || q == start || x > 255) return std::nullopt;
    if (q - start > 1 && *start == '0') return std::nullopt;  // no leading zeros (octal ambiguity)
    if (q - start > 3) return std::nullopt;
    v = v << 8 | x;
    p = q;
  }
  if (p != end) return std::nullopt;
  return Ipv4Addr{v};
}

std::optional<Ipv6Addr> parse_ipv6(std::string_view s) {
  if (s.empty() || s.size() > 45) return std::nullopt;
  // inet_pton stops at a NUL: "::1\0junk" (JSON "\u0000") would parse as ::1.
  if (s.find('\0') != std::string_view::npos) return std::nullopt;
  char buf[64];
  s.copy(buf, s.size());
  buf[s.size()] = '\0';
  Ipv6Addr a;
  if (inet_pton(AF_INET6, buf, a.b.data()) != 1) return std::nullopt;
  return a;
}

std::optional<Ipv4Prefix> parse_ipv4_prefix(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = parse_ipv4(s.substr(0, slash));
  if (!addr) return std::nullopt;
  std::string_view len_s = s.substr(slash + 1);
  unsigned len = 0;
  auto [q, ec] = std::from_chars(len_s.data(), len_s.data() + len_s.size(), len);
  if (ec != std::errc{} || q != len_s.data() + len_s.size() || len_s.empty() || len > 32 ||
      (len_s.size() > 1 && len_s[0] == '0'))
    return std::nullopt;
  Ipv4Prefix p{*addr, static_cast<uint8_t>(len)};
  if ((addr->value & ~p.mask()) != 0) return std::nullopt;  // host bits set: ambiguous intent
  return p;
}

std::string to_string(const MacAddr& m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m.b[0], m.b[1], m.b[2], m.b[3],
                m.b[4], m.b[5]);
  return buf;
}

std::string to_string(Ipv4Addr a) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a.value >> 24, (a.value >> 16) & 255,
                (a.value >> 8) & 255, a.value & 255);
  return buf;
}

std::string to_string(const Ipv6Addr& a) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, a.b.data(), buf, sizeof buf);
  return buf;
}

std::string to_string(const Ipv4Prefix& p) { return to_string(p.addr) + "/" + std::to_string(p.len); }

}  // namespace isoswitch
