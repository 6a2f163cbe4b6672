// The strict address parsers (control/policy/address.cc): what they accept,
// and every ambiguous form they must refuse.
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "isoswitch/addr.h"

namespace isoswitch {
namespace {

using namespace std::string_literals;

TEST(ParseMac, AcceptsSixTwoDigitGroupsAnyCase) {
  auto m = parse_mac("02:Fe:00:0a:BB:ff");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->b, (std::array<uint8_t, 6>{0x02, 0xfe, 0x00, 0x0a, 0xbb, 0xff}));
  EXPECT_EQ(to_string(*m), "02:fe:00:0a:bb:ff");
}

TEST(ParseMac, RejectsOtherForms) {
  for (std::string_view bad :
       {"", "02:00:00:00:00", "02:00:00:00:00:00:00", "02-00-00-00-00-01", "0200.0000.0001",
        "2:0:0:0:0:1", "02:00:00:00:00:0g", "02:00:00:00:00:001", " 02:00:00:00:00:01",
        "02:00:00:00:00:01 ", "02:00:00:00:00:1", "02:00:00:00:00:", "02:00:00:00:00:01:",
        "020000000001", "02:00:00:00:0001", "+2:00:00:00:00:01"}) {
    EXPECT_FALSE(parse_mac(bad)) << bad;
  }
  EXPECT_FALSE(parse_mac("02:00:00\0:00:01"s));
}

TEST(ParseMac, MulticastAndZeroAreParsedButFlagged) {
  // Syntax is the parser's job; "a station MAC must be unicast" is validate()'s.
  EXPECT_TRUE(parse_mac("01:00:5e:00:00:01")->is_multicast());
  EXPECT_TRUE(parse_mac("ff:ff:ff:ff:ff:ff")->is_multicast());
  EXPECT_TRUE(parse_mac("00:00:00:00:00:00")->is_zero());
  EXPECT_FALSE(parse_mac("02:00:00:00:00:01")->is_multicast());
}

TEST(ParseIpv4, AcceptsDottedQuadsInHostOrder) {
  EXPECT_EQ(parse_ipv4("10.1.0.11")->value, 0x0A01000Bu);
  EXPECT_EQ(parse_ipv4("0.0.0.0")->value, 0u);
  EXPECT_EQ(parse_ipv4("255.255.255.255")->value, 0xffffffffu);
  EXPECT_EQ(to_string(*parse_ipv4("192.0.2.10")), "192.0.2.10");
}

TEST(ParseIpv4, RejectsLeadingZerosAndOtherAmbiguity) {
  // "010" is octal to inet_aton: refusing it keeps the policy meaning one thing.
  for (std::string_view bad :
       {"",          "10.1.0.011", "01.2.3.4",   "1.2.3.04",  "00.1.2.3", "1.2.3",
        "1.2.3.4.5", "1..2.3",     "256.0.0.0",  "1.2.3.256", "1.2.3.-4", "+1.2.3.4",
        " 1.2.3.4",  "1.2.3.4 ",   "1.2.3.4/32", "0x1.2.3.4", "1.2.3.",   ".1.2.3",
        "1.2.3.4.",  "1000.2.3.4", "a.b.c.d",    "16909060"}) {
    EXPECT_FALSE(parse_ipv4(bad)) << bad;
  }
  EXPECT_FALSE(parse_ipv4("1.2.3.4\0"s));
}

TEST(ParseIpv6, AcceptsStandardFormsAndFormatsCanonically) {
  auto a = parse_ipv6("FD00:1:0:0:0:0:0:11");
  ASSERT_TRUE(a);
  EXPECT_EQ(to_string(*a), "fd00:1::11");
  EXPECT_TRUE(parse_ipv6("::")->is_unspecified());
  EXPECT_TRUE(parse_ipv6("fe80::1")->is_link_local());
  EXPECT_TRUE(parse_ipv6("ff02::1")->is_multicast());
  EXPECT_TRUE(parse_ipv6("::ffff:192.0.2.1"));
}

TEST(ParseIpv6, RejectsMalformed) {
  for (std::string_view bad :
       {"", "fd00::1::2", "fd00:1::11%eth0", "1.2.3.4", "fd00:1:2:3:4:5:6:7:8", "gd00::1",
        "fd00:00001::1", ":::", "fd00::/64", " ::1",
        "0000:0000:0000:0000:0000:0000:0000:0000:0000"}) {
    EXPECT_FALSE(parse_ipv6(bad)) << bad;
  }
  // inet_pton would stop at the NUL and accept "::1".
  EXPECT_FALSE(parse_ipv6("::1\0junk"s));
}

TEST(ParseIpv4Prefix, AcceptsNetworkAddresses) {
  auto p = parse_ipv4_prefix("52.216.0.0/15");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->len, 15);
  EXPECT_EQ(p->first(), 0x34D80000u);
  EXPECT_EQ(p->last(), 0x34D9FFFFu);
  EXPECT_TRUE(p->contains(*parse_ipv4("52.217.255.255")));
  EXPECT_FALSE(p->contains(*parse_ipv4("52.218.0.0")));
  EXPECT_EQ(to_string(*p), "52.216.0.0/15");
  auto all = parse_ipv4_prefix("0.0.0.0/0");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->last(), 0xffffffffu);
  EXPECT_EQ(parse_ipv4_prefix("10.0.0.1/32")->first(), 0x0A000001u);
}

TEST(ParseIpv4Prefix, RejectsHostBitsAndBadLengths) {
  for (std::string_view bad :
       {"", "52.216.0.1/15", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0", "10.0.0.0/8/8", "10.0.0.0/-1",
        "10.0.0.0/08", "10.0.0.0/ 8", "010.0.0.0/8", "/8", "10.0.0.0/8 ", "10.0.0.0/+8",
        "10.0.0.0/0x8", "1.2.3.4/0"}) {
    EXPECT_FALSE(parse_ipv4_prefix(bad)) << bad;
  }
}

}  // namespace
}  // namespace isoswitch
