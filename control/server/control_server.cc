#include "control/server/control_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "control/server/peer_auth.h"
#include "control/server/policy_store.h"
#include "control/server/request_handler.h"
#include "control/server/unique_fd.h"

namespace isoswitch::ctl {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadChunk = 64 * 1024;
// Stop turning queued request lines into replies once this much output waits
// for a client that does not read: its own backlog, not our memory, grows.
constexpr std::size_t kOutHighWater = 256 * 1024;
constexpr int kMaxAcceptsPerRound = 64;
// A client being closed after an error gets this long to read our reply.
constexpr int kLingerMs = 1000;
// Refused or failed connections lingering beyond max_clients; past this,
// refusals close at once (a flood must not exhaust file descriptors).
constexpr std::size_t kMaxLingering = 64;

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// Best effort, never blocks: for connections refused before they are served.
void send_now(int fd, const std::string& line) {
  std::string msg = line + "\n";
  (void)::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

struct Client {
  UniqueFd fd;
  PeerCred peer;
  std::string in;           // bytes received, not yet a complete line
  std::string out;          // reply bytes not yet sent
  std::size_t out_off = 0;
  Clock::time_point deadline;
  bool eof = false;         // the peer shut its side: answer what came, then close
  bool closing = false;     // after `out` is flushed: shut our side, drain, close
  bool shut = false;        // our side is shut; only draining input until EOF
  bool dead = false;        // remove at the end of the round
};

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path))
    return make_error(ErrorCode::kInvalidArgument,
                      "socket path \"" + path + "\" is empty or longer than " +
                          std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// The socket file's directory must exist; create the last level (e.g.
// /run/isoswitch) when missing, as systemd's RuntimeDirectory would.
Result<void> ensure_parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return {};
  std::string dir = path.substr(0, slash);
  if (::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) return {};
  return make_error(ErrorCode::kIo, errno_text("cannot create directory " + dir));
}

// A socket file left by a crashed server is replaced; a live server's is not.
Result<void> clear_stale_socket(const std::string& path, const sockaddr_un& addr) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return make_error(ErrorCode::kIo, errno_text("cannot stat " + path));
  }
  if (!S_ISSOCK(st.st_mode))
    return make_error(ErrorCode::kConflict, path + " exists and is not a socket");
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe) return make_error(ErrorCode::kIo, errno_text("socket"));
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0)
    return make_error(ErrorCode::kConflict, "another server is listening on " + path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return make_error(ErrorCode::kIo, errno_text("cannot remove stale socket " + path));
  return {};
}

}  // namespace

struct ControlServer::Impl {
  Impl(ServerConfig c, DataplaneHooks& hooks)
      : cfg(std::move(c)),
        store(hooks, cfg.ports, cfg.mtu, cfg.state_file),
        handler(store) {}

  ServerConfig cfg;
  PolicyStore store;
  RequestHandler handler;
  UniqueFd listener;
  dev_t sock_dev = 0;  // identify our socket file, so we never unlink a successor's
  ino_t sock_ino = 0;
  std::vector<Client> clients;

  Clock::duration timeout() const { return std::chrono::milliseconds(cfg.client_timeout_ms); }

  Result<void> listen_on_socket();
  void accept_clients();
  void on_readable(Client& c);
  void process_lines(Client& c);
  void answer(Client& c, std::string_view line);
  void refuse_and_close(Client& c, ErrorCode code, const std::string& message);
  void refuse(UniqueFd fd, const PeerCred& peer, ErrorCode code, const std::string& message);
  std::size_t active_clients() const;
  void flush(Client& c);
  void expire(Clock::time_point now);
  int poll_timeout(int timeout_ms, Clock::time_point now) const;
};

Result<void> ControlServer::Impl::listen_on_socket() {
  auto addr = unix_address(cfg.socket_path);
  if (!addr) return std::unexpected(addr.error());
  if (auto r = ensure_parent_dir(cfg.socket_path); !r) return r;
  if (auto r = clear_stale_socket(cfg.socket_path, *addr); !r) return r;

  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return make_error(ErrorCode::kIo, errno_text("socket"));
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0)
    return make_error(ErrorCode::kIo, errno_text("cannot bind " + cfg.socket_path));
  // The peer-credential check is the real gate; the mode keeps others from
  // even connecting. chmod after bind: the window before it is covered by
  // that check.
  if (::chmod(cfg.socket_path.c_str(), 0660) != 0) {
    Error e{ErrorCode::kIo, errno_text("cannot chmod " + cfg.socket_path)};
    ::unlink(cfg.socket_path.c_str());
    return std::unexpected(e);
  }
  if (cfg.allowed_gid && ::chown(cfg.socket_path.c_str(), static_cast<uid_t>(-1), *cfg.allowed_gid) != 0)
    std::fprintf(stderr, "isoswitch: warning: %s\n",
                 errno_text("cannot chgrp " + cfg.socket_path).c_str());
  struct stat st {};
  if (::stat(cfg.socket_path.c_str(), &st) == 0) {
    sock_dev = st.st_dev;
    sock_ino = st.st_ino;
  }
  if (::listen(fd.get(), 128) != 0) {
    Error e{ErrorCode::kIo, errno_text("cannot listen on " + cfg.socket_path)};
    ::unlink(cfg.socket_path.c_str());
    return std::unexpected(e);
  }
  listener = std::move(fd);
  return {};
}

void ControlServer::Impl::accept_clients() {
  for (int i = 0; i < kMaxAcceptsPerRound; ++i) {
    UniqueFd fd(::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
        std::fprintf(stderr, "isoswitch: control: %s\n", errno_text("accept").c_str());
      return;
    }
    auto peer = peer_credentials(fd.get());
    if (!peer) {
      std::fprintf(stderr, "isoswitch: control: refusing a client: %s\n",
                   peer.error().message.c_str());
      continue;  // closed by UniqueFd
    }
    if (!peer_allowed(*peer, cfg.allowed_gid)) {
      std::fprintf(stderr,
                   "isoswitch: control: permission denied for pid %d uid %u gid %u\n",
                   static_cast<int>(peer->pid), static_cast<unsigned>(peer->uid),
                   static_cast<unsigned>(peer->gid));
      refuse(std::move(fd), *peer, ErrorCode::kPermissionDenied,
             "uid " + std::to_string(peer->uid) + " may not use the control socket");
      continue;
    }
    if (active_clients() >= cfg.max_clients) {
      refuse(std::move(fd), *peer, ErrorCode::kUnavailable,
             "too many control clients (limit " + std::to_string(cfg.max_clients) + ")");
      continue;
    }
    Client c;
    c.fd = std::move(fd);
    c.peer = *peer;
    c.deadline = Clock::now() + timeout();
    clients.push_back(std::move(c));
  }
}

std::size_t ControlServer::Impl::active_clients() const {
  return static_cast<std::size_t>(
      std::count_if(clients.begin(), clients.end(), [](const Client& c) { return !c.closing; }));
}

void ControlServer::Impl::refuse(UniqueFd fd, const PeerCred& peer, ErrorCode code,
                                 const std::string& message) {
  if (clients.size() >= cfg.max_clients + kMaxLingering) {
    // Flooded: no room to linger, so best effort and close at once.
    send_now(fd.get(), error_reply_line(code, message));
    ::shutdown(fd.get(), SHUT_RDWR);
    return;
  }
  // Linger like any closing client: the peer may already have sent a
  // request, and closing with it unread would reset the connection and
  // could destroy the refusal before the peer reads it.
  Client c;
  c.fd = std::move(fd);
  c.peer = peer;
  refuse_and_close(c, code, message);
  clients.push_back(std::move(c));
}

void ControlServer::Impl::refuse_and_close(Client& c, ErrorCode code, const std::string& message) {
  c.in.clear();
  c.out += error_reply_line(code, message);
  c.out += '\n';
  c.closing = true;
  c.deadline = Clock::now() + std::chrono::milliseconds(kLingerMs);
}

void ControlServer::Impl::answer(Client& c, std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return;  // blank line
  c.out += handler.handle_request_line(line);
  c.out += '\n';
}

void ControlServer::Impl::process_lines(Client& c) {
  std::size_t start = 0;
  while (!c.closing && c.out.size() - c.out_off < kOutHighWater) {
    std::size_t nl = c.in.find('\n', start);
    if (nl == std::string::npos) break;
    if (nl - start > cfg.max_request_bytes) {
      refuse_and_close(c, ErrorCode::kTooLarge,
                       "request longer than " + std::to_string(cfg.max_request_bytes) + " bytes");
      return;
    }
    answer(c, std::string_view(c.in).substr(start, nl - start));
    start = nl + 1;
  }
  if (c.closing) return;
  c.in.erase(0, start);
  if (c.in.size() > cfg.max_request_bytes && c.in.find('\n') == std::string::npos) {
    refuse_and_close(c, ErrorCode::kTooLarge,
                     "request longer than " + std::to_string(cfg.max_request_bytes) + " bytes");
    return;
  }
  if (c.eof && c.in.find('\n') == std::string::npos) {
    // The last request may lack its newline (`printf '{...}' | nc -U`).
    if (!c.in.empty()) answer(c, c.in);
    c.in.clear();
    c.closing = true;
  }
  // Whatever is left now (a partial request, or nothing) gets a full timeout
  // from here: a slow sender cannot keep a connection by trickling bytes.
  if (start > 0 || c.eof) c.deadline = Clock::now() + timeout();
}

void ControlServer::Impl::on_readable(Client& c) {
  const bool was_empty = c.in.empty();
  char buf[kReadChunk];
  // Bounded per round so one fast client cannot starve the others.
  for (int i = 0; i < 16; ++i) {
    ssize_t n = ::recv(c.fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) c.dead = true;
      break;
    }
    if (n == 0) {
      c.eof = true;
      break;
    }
    if (c.shut) continue;  // draining after an error: discard
    if (was_empty && c.in.empty()) c.deadline = Clock::now() + timeout();  // a request starts
    c.in.append(buf, static_cast<std::size_t>(n));
    if (c.in.size() > cfg.max_request_bytes + 1) break;  // judged below, no need for more
  }
  if (c.shut) {
    if (c.eof) c.dead = true;
    return;
  }
  if (!c.dead) process_lines(c);
}

void ControlServer::Impl::flush(Client& c) {
  while (c.out_off < c.out.size()) {
    ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_off, c.out.size() - c.out_off,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) c.dead = true;
      return;
    }
    c.out_off += static_cast<std::size_t>(n);
    if (!c.closing) c.deadline = Clock::now() + timeout();  // progress
  }
  c.out.clear();
  c.out_off = 0;
  if (c.closing && !c.shut) {
    // Shut our side but keep reading until the peer closes (or the linger
    // ends): closing with unread input would reset the connection and could
    // destroy the error reply before the client reads it.
    ::shutdown(c.fd.get(), SHUT_WR);
    c.shut = true;
    c.in.clear();
    if (c.eof) c.dead = true;
  } else if (!c.closing && c.in.find('\n') != std::string::npos) {
    process_lines(c);  // lines held back by the output high-water mark
  }
}

void ControlServer::Impl::expire(Clock::time_point now) {
  for (Client& c : clients) {
    if (c.dead || now < c.deadline) continue;
    if (!c.closing && !c.shut) {
      send_now(c.fd.get(), error_reply_line(ErrorCode::kUnavailable,
                                            "closing an idle or slow control connection"));
    }
    c.dead = true;
  }
}

int ControlServer::Impl::poll_timeout(int timeout_ms, Clock::time_point now) const {
  long long t = timeout_ms;
  for (const Client& c : clients) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(c.deadline - now).count() + 1;
    t = t < 0 ? left : std::min<long long>(t, left);
  }
  return static_cast<int>(std::max<long long>(t, 0));
}

ControlServer::ControlServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlServer::~ControlServer() {
  if (!impl_) return;
  impl_->clients.clear();
  if (impl_->listener) {
    struct stat st {};
    if (::stat(impl_->cfg.socket_path.c_str(), &st) == 0 && st.st_dev == impl_->sock_dev &&
        st.st_ino == impl_->sock_ino)
      ::unlink(impl_->cfg.socket_path.c_str());
  }
}

Result<std::unique_ptr<ControlServer>> ControlServer::create(ServerConfig cfg,
                                                             DataplaneHooks& hooks) {
  if (cfg.max_request_bytes == 0 || cfg.client_timeout_ms <= 0 || cfg.max_clients == 0)
    return make_error(ErrorCode::kInvalidArgument,
                      "max_request_bytes, client_timeout_ms and max_clients must be positive");
  auto impl = std::make_unique<Impl>(std::move(cfg), hooks);
  if (auto r = impl->listen_on_socket(); !r) return std::unexpected(r.error());
  return std::unique_ptr<ControlServer>(new ControlServer(std::move(impl)));
}

Result<void> ControlServer::load_initial(const std::optional<std::string>& policy_file) {
  return impl_->store.load_initial(policy_file);
}

Result<void> ControlServer::poll_once(int timeout_ms) {
  Impl& s = *impl_;
  std::vector<pollfd> fds;
  fds.reserve(s.clients.size() + 1);
  fds.push_back({s.listener.get(), POLLIN, 0});
  for (const Client& c : s.clients) {
    short ev = 0;
    if (c.out_off < c.out.size()) ev |= POLLOUT;
    // Read only when no reply is waiting (back-pressure), or to drain.
    if (c.out_off >= c.out.size() && !c.eof) ev |= POLLIN;
    fds.push_back({c.fd.get(), ev, 0});
  }
  int n = ::poll(fds.data(), fds.size(), s.poll_timeout(timeout_ms, Clock::now()));
  if (n < 0) {
    if (errno == EINTR) return {};
    return make_error(ErrorCode::kIo, errno_text("poll"));
  }
  // Clients first (accepting appends to `clients`, so fds[i + 1] stays valid).
  for (std::size_t i = 0; i < s.clients.size() && n > 0; ++i) {
    Client& c = s.clients[i];
    short re = fds[i + 1].revents;
    if (re == 0) continue;
    if (re & POLLNVAL) {
      c.dead = true;
      continue;
    }
    if (re & (POLLIN | POLLHUP | POLLERR)) s.on_readable(c);
    if (!c.dead && (re & POLLOUT || c.out_off < c.out.size())) s.flush(c);
    if (!c.dead && c.closing && c.eof && c.out.empty()) c.dead = true;
  }
  if (fds[0].revents & POLLIN) s.accept_clients();
  s.expire(Clock::now());
  std::erase_if(s.clients, [](const Client& c) { return c.dead; });
  // After the replies are flushed, so a journal compaction never delays an
  // acknowledgement; at its soft threshold only when the socket was idle.
  s.store.maintain(/*idle=*/n == 0);
  return {};
}

void ControlServer::run(const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_relaxed)) {
    if (auto r = poll_once(100); !r) {
      std::fprintf(stderr, "isoswitch: control: %s\n", r.error().message.c_str());
      ::usleep(100 * 1000);  // do not spin on a persistent poll failure
    }
  }
}

uint64_t ControlServer::generation() const { return impl_->store.generation(); }
std::size_t ControlServer::client_count() const { return impl_->clients.size(); }
const std::string& ControlServer::socket_path() const { return impl_->cfg.socket_path; }

}  // namespace isoswitch::ctl
