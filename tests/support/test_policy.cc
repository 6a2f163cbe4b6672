// The standard test policy (see test_policy.h).
#include "tests/support/test_policy.h"

#include "tests/support/frame_builder.h"

namespace isoswitch::test {

using namespace std_addr;

PolicyDoc standard_policy() {
  PolicyDoc d;
  d.version = 1;
  d.host.gateway_mac = mac(kGatewayMac);
  d.host.gateway_ip = ip4(kGatewayIp);
  d.host.uplink = UplinkDoc{"uplink0", mac(kUplinkMac), ip4(kUplinkIp), mac(kNextHopMac)};
  d.host.agent = AgentDoc{"agent0", mac(kAgentMac), ip4(kAgentServiceIp)};

  JobDoc a;
  a.id = "train-a";
  a.isolated = true;
  a.peers = {ip4(kA0Ip), ip4(kA1Ip), ip4(kARemoteIp)};
  a.peers6 = {ip6(kA0Ip6), ip6(kA1Ip6), ip6(kARemoteIp6)};
  a.vpc = VpcDoc{kVpcVlan,
                 mac(kVpcGatewayMac),
                 ip4(kVpcAgentIp),
                 {Ipv4Prefix{ip4("52.216.0.0"), 15}, Ipv4Prefix{ip4("3.5.0.0"), 16}}};

  JobDoc c;
  c.id = "train-c";
  c.isolated = true;
  c.peers = {ip4(kC0Ip), ip4(kCRemoteIp)};

  JobDoc b;
  b.id = "infer-b";
  b.isolated = false;
  b.peers = {ip4(kB0Ip), ip4(kBRemoteIp)};

  d.jobs = {a, c, b};
  d.vnics = {
      VnicDoc{"a-0", "vnic0", mac(kA0Mac), ip4(kA0Ip), ip6(kA0Ip6), "train-a"},
      VnicDoc{"a-1", "vnic1", mac(kA1Mac), ip4(kA1Ip), ip6(kA1Ip6), "train-a"},
      VnicDoc{"c-0", "vnic2", mac(kC0Mac), ip4(kC0Ip), std::nullopt, "train-c"},
      VnicDoc{"b-0", "vnic3", mac(kB0Mac), ip4(kB0Ip), std::nullopt, "infer-b"},
  };
  return d;
}

PortTable standard_ports() {
  PortTable t;
  t.ports = {
      {"uplink0", PortRole::kUplink}, {"agent0", PortRole::kAgent}, {"vnic0", PortRole::kVnic},
      {"vnic1", PortRole::kVnic},     {"vnic2", PortRole::kVnic},   {"vnic3", PortRole::kVnic},
      {"vnic9", PortRole::kVnic},
  };
  return t;
}

std::string standard_policy_json() {
  return R"json({
  "version": 1,
  "host": {
    "gateway_mac": "02:fe:00:00:00:01",
    "gateway_ip": "169.254.1.1",
    "uplink": {"port": "uplink0", "mac": "02:00:00:00:aa:01", "ip": "192.0.2.10",
               "next_hop_mac": "02:00:00:00:aa:fe"},
    "agent": {"port": "agent0", "mac": "02:00:00:00:cc:01", "service_ip": "192.0.2.11"}
  },
  "jobs": [
    {"id": "train-a", "isolated": true,
     "peers": ["10.1.0.11", "10.1.0.12", "10.1.1.21", "fd00:1::11", "fd00:1::12", "fd00:1::21"],
     "vpc": {"vlan": 101, "gateway_mac": "02:00:00:00:bb:fe", "agent_ip": "172.31.5.10",
             "prefixes": ["52.216.0.0/15", "3.5.0.0/16"]}},
    {"id": "train-c", "isolated": true, "peers": ["10.3.0.7", "10.3.1.9"]},
    {"id": "infer-b", "isolated": false, "peers": ["10.2.0.5", "10.2.1.6"]}
  ],
  "vnics": [
    {"id": "a-0", "port": "vnic0", "mac": "02:00:00:01:00:11", "ip": "10.1.0.11",
     "ipv6": "fd00:1::11", "job": "train-a"},
    {"id": "a-1", "port": "vnic1", "mac": "02:00:00:01:00:12", "ip": "10.1.0.12",
     "ipv6": "fd00:1::12", "job": "train-a"},
    {"id": "c-0", "port": "vnic2", "mac": "02:00:00:03:00:07", "ip": "10.3.0.7",
     "job": "train-c"},
    {"id": "b-0", "port": "vnic3", "mac": "02:00:00:02:00:05", "ip": "10.2.0.5",
     "job": "infer-b"}
  ]
}
)json";
}

}  // namespace isoswitch::test
