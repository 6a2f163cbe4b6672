#include "dataplane/daemon/log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>

namespace isoswitch::dp {
namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};
}

void set_log_level(LogLevel level) noexcept { g_level.store(level, std::memory_order_relaxed); }

bool log_enabled(LogLevel level) noexcept {
  return static_cast<uint8_t>(level) <= static_cast<uint8_t>(g_level.load(std::memory_order_relaxed));
}

void log_msg(LogLevel level, const char* fmt, ...) noexcept {
  if (!log_enabled(level)) return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "isoswitchd: %s: %s\n", log_level_name(level), line);
}

}  // namespace isoswitch::dp
