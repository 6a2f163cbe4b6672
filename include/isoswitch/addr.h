// Address value types shared by the control and data planes.
//
// Byte order lives in the type: Ipv4Addr holds the address in *host* order
// (so prefixes and ranges are plain integer arithmetic); frames carry network
// order and the data plane converts once per lookup. MacAddr and Ipv6Addr are
// byte arrays in wire order.
//
// Thread-safety: plain value types.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace isoswitch {

struct MacAddr {
  std::array<uint8_t, 6> b{};
  bool operator==(const MacAddr&) const = default;
  bool is_multicast() const noexcept { return (b[0] & 1u) != 0; }  // broadcast included
  bool is_zero() const noexcept { return (b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) == 0; }
};

struct Ipv4Addr {
  uint32_t value = 0;  // host byte order
  bool operator==(const Ipv4Addr&) const = default;
  auto operator<=>(const Ipv4Addr&) const = default;
};

struct Ipv6Addr {
  std::array<uint8_t, 16> b{};
  bool operator==(const Ipv6Addr&) const = default;
  auto operator<=>(const Ipv6Addr&) const = default;
  bool is_multicast() const noexcept { return b[0] == 0xff; }
  bool is_link_local() const noexcept { return b[0] == 0xfe && (b[1] & 0xc0) == 0x80; }
  bool is_unspecified() const noexcept {
    for (uint8_t x : b)
      if (x) return false;
    return true;
  }
};

struct Ipv4Prefix {
  Ipv4Addr addr;  // network address, host bits zero after parsing
  uint8_t len = 0;
  bool operator==(const Ipv4Prefix&) const = default;
  uint32_t mask() const noexcept { return len == 0 ? 0u : ~uint32_t{0} << (32 - len); }
  bool contains(Ipv4Addr a) const noexcept { return (a.value & mask()) == addr.value; }
  uint32_t first() const noexcept { return addr.value; }
  uint32_t last() const noexcept { return addr.value | ~mask(); }
};

// Parsing and formatting (address.cc in control/). Parsers are strict: no
// leading zeros in IPv4 octets, no host bits set in a prefix, exactly six
// two-digit hex groups separated by ':' in a MAC.
std::optional<MacAddr> parse_mac(std::string_view s);
std::optional<Ipv4Addr> parse_ipv4(std::string_view s);
std::optional<Ipv6Addr> parse_ipv6(std::string_view s);
std::optional<Ipv4Prefix> parse_ipv4_prefix(std::string_view s);
std::string to_string(const MacAddr& m);
std::string to_string(Ipv4Addr a);
std::string to_string(const Ipv6Addr& a);
std::string to_string(const Ipv4Prefix& p);

// Well-known ranges the rules refer to.
inline constexpr Ipv4Prefix kLinkLocal4{{0xA9FE0000u}, 16};  // 169.254.0.0/16
inline constexpr Ipv4Addr kMetadataAddr{0xA9FEA9FEu};        // 169.254.169.254

}  // namespace isoswitch
