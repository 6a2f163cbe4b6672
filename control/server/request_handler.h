// The control protocol's operations: one JSON request in, one JSON reply out.
//
// No sockets here (ControlServer does the transport), so tests and the
// fuzzer drive it directly with lines. Every reply has "ok"; a failure has
// "error": {"code", "message"} with a code from error_code_name(); a
// request's "id" (any JSON value) is echoed. The operations and their shapes
// are documented in docs/control-protocol.md.
//
// Never throws, whatever the input: every exception from JSON handling is
// turned into an error reply (invalid_argument, or internal for a bug).
//
// Thread-safety: single-threaded (the control thread), like its PolicyStore.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "control/server/policy_store.h"

namespace isoswitch::ctl {

class RequestHandler {
 public:
  explicit RequestHandler(PolicyStore& store) : store_(store) {}

  // One request line (without the trailing '\n') -> one reply line (without
  // '\n'). Malformed JSON or a non-object -> invalid_argument.
  std::string handle_request_line(std::string_view line) noexcept;

  // The same for an already parsed request.
  nlohmann::json handle(const nlohmann::json& request) noexcept;

 private:
  PolicyStore& store_;
};

// Reply helpers shared with the transport (refusals it sends itself).
nlohmann::json error_reply(const Error& e);
std::string error_reply_line(ErrorCode code, std::string message);

}  // namespace isoswitch::ctl
