// Who is on the other end of a Unix socket, and may they use the control
// socket: uid 0, or a member (primary or supplementary group) of the
// configured group. The kernel vouches for the credentials (SO_PEERCRED,
// taken at connect time), so a client cannot claim to be someone else.
//
// Thread-safety: plain functions; getpwuid_r/getgrouplist are reentrant.
#pragma once

#include <sys/types.h>

#include <optional>

#include "isoswitch/result.h"

namespace isoswitch::ctl {

struct PeerCred {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

Result<PeerCred> peer_credentials(int fd);

// True for uid 0; otherwise only when `allowed_gid` is set and equals the
// peer's gid (as the kernel reports it), or the peer uid is a member of it
// per the user/group databases (login group or supplementary, getgrouplist).
bool peer_allowed(const PeerCred& peer, std::optional<gid_t> allowed_gid);

}  // namespace isoswitch::ctl
