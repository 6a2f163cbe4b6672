// A blocking test client for the control socket: connect, send a line,
// read a reply line with a deadline.
//
// Thread-safety: one owner.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <string>

namespace isoswitch::test {

class SocketClient {
 public:
  // -1 on failure (errno kept).
  static int connect_to(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      int e = errno;
      ::close(fd);
      errno = e;
      return -1;
    }
    return fd;
  }

  explicit SocketClient(const std::string& path) : fd_(connect_to(path)) {}
  ~SocketClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  SocketClient(const SocketClient&) = delete;
  SocketClient& operator=(const SocketClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Sends everything (blocking); false on a socket error.
  bool send_all(const std::string& bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      off += static_cast<std::size_t>(n);
    }
    return true;
  }

  // The next line without '\n'; nullopt on EOF, error or after `timeout_ms`.
  std::optional<std::string> read_line(int timeout_ms = 5000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char tmp[65536];
      ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
      if (n <= 0) {
        eof_ = true;
        return std::nullopt;
      }
      buf_.append(tmp, static_cast<std::size_t>(n));
    }
  }

  std::optional<std::string> request(const std::string& line, int timeout_ms = 5000) {
    if (!send_all(line + "\n")) return std::nullopt;
    return read_line(timeout_ms);
  }

  // True once the server closed the connection (EOF or reset) within timeout_ms.
  bool closed_by_peer(int timeout_ms) {
    while (read_line(timeout_ms)) {
    }
    return eof_;
  }

 private:
  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
};

}  // namespace isoswitch::test
