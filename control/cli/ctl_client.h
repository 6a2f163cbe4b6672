// The client side of the control socket, for isoswitchctl: one connection,
// one JSON request line out, one reply line in.
//
// Thread-safety: one owner.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "control/server/unique_fd.h"
#include "isoswitch/result.h"

namespace isoswitch::ctl {

class CtlClient {
 public:
  // kIo naming the path when the socket cannot be reached (absent, refused,
  // permission).
  static Result<CtlClient> connect(const std::string& socket_path);

  // Sends `request` and waits up to timeout_ms for the reply line. kIo on a
  // socket error or timeout, kInvalidArgument when the reply is not JSON.
  // A server-side refusal is a *successful* call whose reply has ok=false.
  Result<nlohmann::json> call(const nlohmann::json& request, int timeout_ms);

 private:
  explicit CtlClient(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
  std::string buf_;
};

}  // namespace isoswitch::ctl
