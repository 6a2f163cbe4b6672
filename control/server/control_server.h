// The control socket: accepts clients, checks who they are, frames
// newline-delimited JSON requests and hands each line to a RequestHandler.
//
// Transport only: what a request does lives in RequestHandler
// (request_handler.h) and PolicyStore (policy_store.h). Everything is
// non-blocking and driven by poll() from one thread, so a slow, idle,
// oversized or malicious client can only lose its own connection.
//
// Start-up order for the daemon:
//   auto srv = ControlServer::create(cfg, hooks);     // binds the socket
//   srv->load_initial(policy_file);                   // state file, else --policy, else none
//   srv->run(stop);                                   // serve until stop is true
// Clients that connect before run() wait in the listen backlog, so no
// request is ever judged against a policy that has not been loaded yet.
//
// Thread-safety: one thread (the daemon's control thread) calls every
// method; `stop` may be set from any thread (e.g. a signal handler's flag).
// generation() may only be called from that same thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "control/server/dataplane_hooks.h"
#include "control/server/server_config.h"
#include "isoswitch/result.h"

namespace isoswitch::ctl {

class ControlServer {
 public:
  // Binds and listens on cfg.socket_path (mode 0660, parent directory
  // created if missing). Fails with kIo/kConflict when the socket cannot be
  // created or another server is listening there. `hooks` must outlive the
  // server.
  static Result<std::unique_ptr<ControlServer>> create(ServerConfig cfg, DataplaneHooks& hooks);

  ~ControlServer();  // closes every client, the listening socket, unlinks the socket file
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Loads the state file if it exists (its generation is kept), else
  // `policy_file` (generation 1, then persisted), else nothing (generation 0,
  // nothing published: the data plane keeps dropping everything). A state
  // file or policy file that cannot be read, parsed, validated or compiled,
  // or a failed publish, is an error: the daemon must refuse to start.
  Result<void> load_initial(const std::optional<std::string>& policy_file);

  // One round: waits up to timeout_ms for socket activity, accepts, reads,
  // answers, writes, closes timed-out clients. Errors only when poll()
  // itself fails (not on EINTR); client problems never surface here.
  Result<void> poll_once(int timeout_ms);

  // poll_once(100) until `stop` becomes true; logs a poll failure to stderr
  // and keeps going.
  void run(const std::atomic<bool>& stop);

  uint64_t generation() const;     // of the running policy; 0 when none
  std::size_t client_count() const;  // connected clients (tests, logging)
  const std::string& socket_path() const;

  struct Impl;

 private:
  explicit ControlServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace isoswitch::ctl
