// Readable renderings of control replies for isoswitchctl (without --json).
//
// Each takes a successful reply as the server sent it; a field missing or
// of the wrong type renders as "-" rather than failing (a newer server may
// add or reshape fields; --json is the stable interface for scripts).
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace isoswitch::ctl {

// Per vNIC rx/tx/drops with the nonzero reasons under each, then per port,
// then totals.
std::string render_stats(const nlohmann::json& reply);
std::string render_ports(const nlohmann::json& reply);
std::string render_explain(const nlohmann::json& reply);

}  // namespace isoswitch::ctl
