// Telemetry callbacks (see telemetry.h).
#include "dataplane/daemon/telemetry.h"

#include <rte_telemetry.h>

#include <cstdlib>
#include <mutex>
#include <string>

#include "dataplane/daemon/daemon_hooks.h"

namespace isoswitch::dp {
namespace {

std::mutex g_mu;
const TelemetryContext* g_ctx = nullptr;  // guarded by g_mu
bool g_registered = false;

void add_counters(rte_tel_data* d, const PortCounters& c) {
  rte_tel_data_add_dict_u64(d, "rx_frames", c.rx_frames);
  rte_tel_data_add_dict_u64(d, "rx_bytes", c.rx_bytes);
  rte_tel_data_add_dict_u64(d, "tx_frames", c.tx_frames);
  rte_tel_data_add_dict_u64(d, "tx_bytes", c.tx_bytes);
  rte_tel_data_add_dict_u64(d, "replies", c.replies);
  rte_tel_data_add_dict_u64(d, "tx_dropped", c.tx_dropped);
  rte_tel_data_add_dict_u64(d, "drops", c.total_drops());
  for (std::size_t r = 0; r < kNumDropReasons; ++r) {
    std::string key = "drop_" + std::string(kDropReasonNames[r]);
    rte_tel_data_add_dict_u64(d, key.c_str(), c.drops[r]);
  }
}

int cmd_ports(const char*, const char*, rte_tel_data* d) {
  std::lock_guard lk(g_mu);
  if (g_ctx == nullptr) return -1;
  rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
  for (const auto& p : g_ctx->ports.ports) rte_tel_data_add_array_string(d, p.name.c_str());
  return 0;
}

int cmd_stats(const char*, const char* params, rte_tel_data* d) {
  std::lock_guard lk(g_mu);
  if (g_ctx == nullptr) return -1;
  const uint16_t n = g_ctx->ports.size();
  auto sums = sum_port_counters(g_ctx->per_worker, n);
  rte_tel_data_start_dict(d);
  if (params == nullptr || *params == '\0') {
    PortCounters total;
    for (const auto& c : sums) total += c;
    rte_tel_data_add_dict_u64(d, "ports", n);
    add_counters(d, total);
    return 0;
  }
  uint16_t idx = g_ctx->ports.find(params);
  if (idx == kNoPort) {
    char* end = nullptr;
    unsigned long v = std::strtoul(params, &end, 10);
    if (end == params || *end != '\0' || v >= n) return -1;  // unknown port
    idx = static_cast<uint16_t>(v);
  }
  const PortDesc& p = g_ctx->ports.ports[idx];
  rte_tel_data_add_dict_string(d, "name", p.name.c_str());
  rte_tel_data_add_dict_string(d, "role", std::string(port_role_name(p.role)).c_str());
  rte_tel_data_add_dict_u64(d, "index", idx);
  add_counters(d, sums[idx]);
  return 0;
}

int cmd_policy(const char*, const char*, rte_tel_data* d) {
  std::lock_guard lk(g_mu);
  if (g_ctx == nullptr) return -1;
  PolicyInfo i = g_ctx->publisher->info();
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_u64(d, "generation", i.generation);
  rte_tel_data_add_dict_u64(d, "loaded", i.generation != 0 ? 1 : 0);
  rte_tel_data_add_dict_u64(d, "jobs", i.jobs);
  rte_tel_data_add_dict_u64(d, "vnics", i.vnics);
  rte_tel_data_add_dict_u64(d, "publishes", i.publishes);
  rte_tel_data_add_dict_u64(d, "last_grace_ns", i.last_grace_ns);
  rte_tel_data_add_dict_u64(d, "workers", g_ctx->per_worker.size());
  rte_tel_data_add_dict_u64(d, "ports", g_ctx->ports.size());
  return 0;
}

}  // namespace

void install_telemetry(const TelemetryContext* ctx) {
  std::lock_guard lk(g_mu);
  g_ctx = ctx;
  if (g_registered) return;
  g_registered = true;
  rte_telemetry_register_cmd("/isoswitch/ports", cmd_ports, "Port names in port-index order");
  rte_telemetry_register_cmd("/isoswitch/stats", cmd_stats,
                             "Counters over all ports, or of one port. Parameters: [port name or index]");
  rte_telemetry_register_cmd("/isoswitch/policy", cmd_policy,
                             "Running policy: generation (0 = none, fail closed), jobs, vnics");
}

void remove_telemetry() {
  std::lock_guard lk(g_mu);
  g_ctx = nullptr;
}

}  // namespace isoswitch::dp
