// How the control server is set up: where it listens, who may talk to it,
// where it keeps the applied policy, and the limits that keep one client
// from harming the others.
//
// Thread-safety: plain value type; built by the daemon before create().
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "isoswitch/port_table.h"

namespace isoswitch::ctl {

inline constexpr const char* kDefaultSocketPath = "/run/isoswitch/control.sock";

struct ServerConfig {
  // The Unix stream socket. A stale socket file (nobody listening) is
  // replaced; a live one (another server) makes create() fail.
  std::string socket_path = kDefaultSocketPath;

  // Where every applied policy is persisted ({"generation": N, "policy": {...}}).
  // Empty: no persistence (tests, tools); a restart then starts empty.
  std::string state_file;

  // Besides uid 0, peers whose primary or supplementary group is this gid
  // may use the socket; the socket file is chgrp'ed to it (best effort).
  std::optional<gid_t> allowed_gid;

  // The data plane's ports; every compile() uses this table.
  PortTable ports;
  uint16_t mtu = 1500;

  std::size_t max_request_bytes = std::size_t{4} << 20;  // one line, without '\n'
  int client_timeout_ms = 5000;  // idle, or mid-request / unread reply, this long: closed
  std::size_t max_clients = 256; // more connections are refused with "unavailable"
};

}  // namespace isoswitch::ctl
