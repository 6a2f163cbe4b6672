#include "control/server/stats.h"

#include <string>

namespace isoswitch::ctl {

nlohmann::json counters_json(const PortCounters& c) {
  nlohmann::json drops = nlohmann::json::object();
  for (std::size_t i = 0; i < kNumDropReasons; ++i)
    if (c.drops[i] != 0) drops[std::string(kDropReasonNames[i])] = c.drops[i];
  return {
      {"rx_frames", c.rx_frames},   {"rx_bytes", c.rx_bytes},
      {"tx_frames", c.tx_frames},   {"tx_bytes", c.tx_bytes},
      {"replies", c.replies},       {"tx_dropped", c.tx_dropped},
      {"drops_total", c.total_drops()}, {"drops", std::move(drops)},
  };
}

nlohmann::json stats_json(const std::vector<PortCounters>& counters, const PortTable& ports,
                          const PolicyDoc* doc) {
  nlohmann::json jports = nlohmann::json::array();
  nlohmann::json jvnics = nlohmann::json::object();
  PortCounters totals;
  const PortCounters zero;
  for (std::size_t i = 0; i < ports.ports.size(); ++i) {
    const PortCounters& c = i < counters.size() ? counters[i] : zero;
    totals += c;
    const PortDesc& p = ports.ports[i];
    nlohmann::json jp = counters_json(c);
    jp["index"] = i;
    jp["name"] = p.name;
    jp["role"] = std::string(port_role_name(p.role));
    jp["vnic"] = nullptr;
    if (doc != nullptr) {
      for (const VnicDoc& v : doc->vnics) {
        if (v.port != p.name) continue;
        jp["vnic"] = v.id;
        nlohmann::json jv = counters_json(c);
        jv["port"] = p.name;
        jv["job"] = v.job;
        jvnics[v.id] = std::move(jv);
        break;  // one vNIC per port (validate)
      }
    }
    jports.push_back(std::move(jp));
  }
  return {{"ports", std::move(jports)}, {"vnics", std::move(jvnics)},
          {"totals", counters_json(totals)}};
}

}  // namespace isoswitch::ctl
