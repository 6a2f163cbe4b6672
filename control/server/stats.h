// The `stats` reply: counters by port and by vNIC id, drops by reason
// name, and totals, from the data plane's per-port-index counters.
//
// Port indices are mapped to names through the server's PortTable and to
// vNIC ids through the running policy (a vNIC's counters are its port's).
//
// Thread-safety: pure function.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "isoswitch/counters.h"
#include "isoswitch/policy_doc.h"
#include "isoswitch/port_table.h"

namespace isoswitch::ctl {

// One counters object: rx/tx frames and bytes, replies, tx_dropped,
// drops_total and "drops": {reason: n} with only the nonzero reasons.
nlohmann::json counters_json(const PortCounters& c);

// {"ports": [...], "vnics": {id: {...}}, "totals": {...}}. `counters` may
// be shorter or longer than the table (missing ports count zero, extra
// entries are ignored). `doc` may be null (no policy: no vNICs).
nlohmann::json stats_json(const std::vector<PortCounters>& counters, const PortTable& ports,
                          const PolicyDoc* doc);

}  // namespace isoswitch::ctl
