#include "control/cli/ctl_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace isoswitch::ctl {

Result<CtlClient> CtlClient::connect(const std::string& socket_path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof(addr.sun_path))
    return make_error(ErrorCode::kInvalidArgument, "socket path \"" + socket_path + "\" is invalid");
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return make_error(ErrorCode::kIo, std::string("socket: ") + std::strerror(errno));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0)
    return make_error(ErrorCode::kIo, "cannot connect to " + socket_path + ": " +
                                          std::strerror(errno) +
                                          (errno == ENOENT || errno == ECONNREFUSED
                                               ? " (is isoswitchd running?)"
                                               : ""));
  return CtlClient(std::move(fd));
}

Result<nlohmann::json> CtlClient::call(const nlohmann::json& request, int timeout_ms) {
  std::string line = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::send(fd_.get(), line.data() + off, line.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      // The server may have refused us and closed; its reply may be waiting.
      if (errno == EPIPE || errno == ECONNRESET) break;
      return make_error(ErrorCode::kIo, std::string("send: ") + std::strerror(errno));
    }
    off += static_cast<std::size_t>(n);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (auto nl = buf_.find('\n'); nl != std::string::npos) {
      std::string reply = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      auto j = nlohmann::json::parse(reply, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded() || !j.is_object() || !j.contains("ok"))
        return make_error(ErrorCode::kInvalidArgument, "the server's reply is not a protocol reply");
      return j;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return make_error(ErrorCode::kIo, "no reply from the server in time");
    pollfd p{fd_.get(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno != EINTR)
      return make_error(ErrorCode::kIo, std::string("poll: ") + std::strerror(errno));
    if (r <= 0) continue;
    char tmp[65536];
    ssize_t n = ::recv(fd_.get(), tmp, sizeof(tmp), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(ErrorCode::kIo, std::string("recv: ") + std::strerror(errno));
    if (n == 0) return make_error(ErrorCode::kIo, "the server closed the connection");
    buf_.append(tmp, static_cast<std::size_t>(n));
  }
}

}  // namespace isoswitch::ctl
