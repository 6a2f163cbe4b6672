#include "control/server/peer_auth.h"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace isoswitch::ctl {

Result<PeerCred> peer_credentials(int fd) {
  struct ucred cred {};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return make_error(ErrorCode::kIo, std::string("SO_PEERCRED: ") + std::strerror(errno));
  return PeerCred{cred.pid, cred.uid, cred.gid};
}

namespace {

// Whether `uid` belongs to `wanted` per the user and group databases (its
// login group or a supplementary group, as `id -G user` lists them). An
// unknown uid (no passwd entry) belongs to none: only the socket's gid counts.
bool uid_in_group(uid_t uid, gid_t wanted) {
  long bufsize = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(bufsize > 0 ? static_cast<std::size_t>(bufsize) : 16384);
  struct passwd pw {};
  struct passwd* found = nullptr;
  while (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == ERANGE && buf.size() < (1u << 20))
    buf.resize(buf.size() * 2);
  if (found == nullptr) return false;

  int n = 64;
  std::vector<gid_t> groups(static_cast<std::size_t>(n));
  for (int tries = 0; tries < 8; ++tries) {
    int want = n;
    if (::getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &want) >= 0) {
      for (int i = 0; i < want; ++i)
        if (groups[static_cast<std::size_t>(i)] == wanted) return true;
      return false;
    }
    n = want > n ? want : n * 2;  // getgrouplist stores the needed count in `want`
    groups.resize(static_cast<std::size_t>(n));
  }
  return false;
}

}  // namespace

bool peer_allowed(const PeerCred& peer, std::optional<gid_t> allowed_gid) {
  if (peer.uid == 0) return true;
  if (!allowed_gid) return false;
  if (peer.gid == *allowed_gid) return true;
  return uid_in_group(peer.uid, *allowed_gid);
}

}  // namespace isoswitch::ctl
