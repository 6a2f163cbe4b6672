// isoswitchd's own log lines on stderr (journald keeps them under systemd).
//
// Control path only: workers never log (CONVENTIONS.md, hot-path contract).
//
// Thread-safety: set_log_level() once at start-up on the main thread;
// log_msg() from any non-worker thread (one fprintf per line).
#pragma once

#include "dataplane/daemon/options.h"

namespace isoswitch::dp {

void set_log_level(LogLevel level) noexcept;
bool log_enabled(LogLevel level) noexcept;
void log_msg(LogLevel level, const char* fmt, ...) noexcept __attribute__((format(printf, 2, 3)));

}  // namespace isoswitch::dp
