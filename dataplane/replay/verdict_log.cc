#include "dataplane/replay/verdict_log.h"

#include <nlohmann/json.hpp>

namespace isoswitch::replay {
namespace {

// Port names come from the policy and may hold any character: let the JSON
// library escape them.
std::string quoted(std::string_view s) {
  return nlohmann::json(std::string(s)).dump();
}

}  // namespace

std::string verdict_line(std::string_view in_port, uint32_t index, Verdict verdict,
                         DropReason reason, std::string_view out_port) {
  std::string line = "{\"in\": " + quoted(in_port) + ", \"index\": " + std::to_string(index) +
                     ", \"verdict\": \"" + std::string(verdict_name(verdict)) + "\"";
  if (verdict == Verdict::kDrop)
    line += ", \"reason\": \"" + std::string(drop_reason_name(reason)) + "\"";
  else
    line += ", \"out\": " + quoted(out_port);
  line += "}";
  return line;
}

}  // namespace isoswitch::replay
