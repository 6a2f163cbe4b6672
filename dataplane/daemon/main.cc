// isoswitchd: the isoswitch data plane on DPDK ports.
//
// Start-up order (fail closed): parse options → EAL → QSBR publisher and
// worker state → control server + initial policy (state file, else --policy)
// published while no port runs → mbuf pool, ports configured and started →
// telemetry → workers launched on the worker lcores → the control server's
// poll loop on the main lcore until SIGTERM/SIGINT. Shutdown: workers stop
// and send their TX batches, ports stop and close, the socket is removed,
// exit 0. docs/concurrency.md explains the threads.
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <vector>

#include "control/server/control_server.h"
#include "dataplane/daemon/daemon_hooks.h"
#include "dataplane/daemon/eth_port.h"
#include "dataplane/daemon/log.h"
#include "dataplane/daemon/options.h"
#include "dataplane/daemon/snapshot_publisher.h"
#include "dataplane/daemon/telemetry.h"
#include "dataplane/daemon/worker.h"

namespace isoswitch::dp {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

extern "C" void on_signal(int) { g_stop.store(true, std::memory_order_relaxed); }

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the daemon
}

int fail(const Error& e) {
  log_msg(LogLevel::kError, "%s", e.message.c_str());
  return kExitFailure;
}

// Everything the running daemon owns, destroyed in reverse order of need.
struct Daemon {
  DaemonOptions opts;
  unsigned n_workers = 0;
  std::unique_ptr<SnapshotPublisher> publisher;
  std::vector<std::unique_ptr<WorkerState>> workers;
  std::unique_ptr<DaemonHooks> hooks;
  std::unique_ptr<ctl::ControlServer> server;
  MempoolPtr pool;
  std::vector<EthPort> ports;
  TelemetryContext telemetry;
  std::vector<unsigned> lcores;
  bool launched = false;

  ~Daemon() {
    g_stop.store(true);
    if (launched) rte_eal_mp_wait_lcore();  // workers flush TX and go offline
    remove_telemetry();
    for (auto& p : ports) p.close();          // flushes pcap/af_packet writers too
    ports.clear();
    for (auto& w : workers) worker_state_release(*w);
    server.reset();                           // unlinks the socket
    publisher.reset();                        // frees the last snapshot
    pool.reset();
  }

  Result<void> start_workers_state() {
    auto pub = SnapshotPublisher::create(n_workers);
    if (!pub) return std::unexpected(pub.error());
    publisher = std::move(*pub);
    std::vector<const PortCounters*> arrays;
    for (unsigned i = 0; i < n_workers; ++i) {
      workers.push_back(std::make_unique<WorkerState>());
      arrays.push_back(workers.back()->counters);
    }
    const uint16_t n_ports = static_cast<uint16_t>(opts.ports.size());
    hooks = std::make_unique<DaemonHooks>(*publisher, arrays, n_ports);
    telemetry.publisher = publisher.get();
    telemetry.per_worker = arrays;
    telemetry.ports = opts.port_table();
    return {};
  }

  Result<void> start_control() {
    ctl::ServerConfig cfg;
    cfg.socket_path = opts.socket_path;
    cfg.state_file = opts.state_file;
    cfg.allowed_gid = opts.group_gid;
    cfg.ports = opts.port_table();
    cfg.mtu = opts.mtu;
    auto srv = ctl::ControlServer::create(std::move(cfg), *hooks);
    if (!srv) return std::unexpected(srv.error());
    server = std::move(*srv);
    if (auto r = server->load_initial(opts.policy_file); !r) return r;
    PolicyInfo i = publisher->info();
    if (i.generation == 0)
      log_msg(LogLevel::kWarning, "no policy loaded: every frame drops as no_policy until one "
              "is loaded through %s", opts.socket_path.c_str());
    else
      log_msg(LogLevel::kInfo, "policy generation %llu loaded (%llu jobs, %llu vNICs)",
              static_cast<unsigned long long>(i.generation),
              static_cast<unsigned long long>(i.jobs), static_cast<unsigned long long>(i.vnics));
    return {};
  }

  Result<void> start_ports() {
    const uint16_t n_ports = static_cast<uint16_t>(opts.ports.size());
    for (const auto& spec : opts.ports) {
      auto p = EthPort::open(spec);
      if (!p) return std::unexpected(p.error());
      ports.push_back(std::move(*p));
    }
    auto pool_r = create_mbuf_pool(mbuf_pool_size(n_ports, opts.rx_queues, n_workers), opts.mtu);
    if (!pool_r) return std::unexpected(pool_r.error());
    pool = std::move(*pool_r);

    // (port index, queue) pairs, uplink queues first, dealt round robin.
    std::vector<RxQueueRef> rxqs;
    std::vector<uint16_t> dpdk_ids(n_ports);
    for (uint16_t i = 0; i < n_ports; ++i) {
      const bool uplink = opts.ports[i].role == PortRole::kUplink;
      auto nrx = ports[i].configure(uplink ? opts.rx_queues : 1, static_cast<uint16_t>(n_workers),
                                    opts.mtu, pool.get());
      if (!nrx) return std::unexpected(nrx.error());
      dpdk_ids[i] = ports[i].id();
      for (uint16_t q = 0; q < *nrx; ++q) {
        RxQueueRef r{i, ports[i].id(), q};
        if (uplink)
          rxqs.insert(rxqs.begin() + q, r);
        else
          rxqs.push_back(r);
      }
    }
    for (unsigned w = 0; w < n_workers; ++w)
      if (auto r = worker_state_init(*workers[w], w, dpdk_ids.data(), n_ports, *publisher, g_stop);
          !r)
        return r;
    for (std::size_t k = 0; k < rxqs.size(); ++k) {
      WorkerState& w = *workers[k % n_workers];
      w.rx[w.n_rx++] = rxqs[k];
      log_msg(LogLevel::kDebug, "worker %u (lcore %u) polls port '%s' queue %u", w.id,
              lcores[w.id], opts.ports[rxqs[k].port_index].name.c_str(), rxqs[k].queue);
    }
    for (auto& p : ports)
      if (auto r = p.start(); !r) return r;
    return {};
  }

  Result<void> launch() {
    install_telemetry(&telemetry);
    for (unsigned w = 0; w < n_workers; ++w) {
      int rc = rte_eal_remote_launch(worker_main, workers[w].get(), lcores[w]);
      if (rc != 0)
        return make_error(ErrorCode::kInternal,
                          "cannot launch worker " + std::to_string(w) + " on lcore " +
                              std::to_string(lcores[w]));
      launched = true;
    }
    return {};
  }
};

int run(int argc, char** argv) {
  auto parsed = parse_options(argc, argv);
  if (!parsed) {
    std::fprintf(stderr, "isoswitchd: %s\nTry 'isoswitchd --help'.\n", parsed.error().message.c_str());
    return kExitUsage;
  }
  if (parsed->action != ParseOutcome::Action::kRun) {
    std::fputs(parsed->text.c_str(), stdout);
    return 0;
  }
  auto d = std::make_unique<Daemon>();
  d->opts = std::move(parsed->options);
  set_log_level(d->opts.log_level);

  std::vector<std::string> eal = {argv[0]};
  eal.insert(eal.end(), d->opts.eal_args.begin(), d->opts.eal_args.end());
  std::vector<char*> eal_argv;
  for (auto& a : eal) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    int err = rte_errno;
    log_msg(LogLevel::kError, "EAL initialisation failed: %s (EAL arguments go after '--')",
            rte_strerror(err));
    return err == EINVAL ? kExitUsage : kExitFailure;
  }
  install_signal_handlers();

  int rc = 0;
  {
    unsigned lc;
    RTE_LCORE_FOREACH_WORKER(lc) d->lcores.push_back(lc);
    const unsigned avail = static_cast<unsigned>(d->lcores.size());
    d->n_workers = d->opts.workers != 0 ? d->opts.workers : avail;
    if (avail == 0 || d->n_workers > avail) {
      log_msg(LogLevel::kError, "%u worker(s) need %u worker lcores, the EAL has %u: give -l a "
              "main lcore plus one per worker (e.g. -- -l 0-1)",
              d->n_workers == 0 ? 1 : d->n_workers, d->n_workers == 0 ? 1 : d->n_workers, avail);
      d.reset();
      rte_eal_cleanup();
      return kExitUsage;
    }
    if (d->n_workers > kMaxWorkers) d->n_workers = kMaxWorkers;

    Result<void> r = d->start_workers_state();
    if (r) r = d->start_control();
    if (r) r = d->start_ports();
    if (r) r = d->launch();
    if (!r) {
      rc = fail(r.error());
    } else {
      log_msg(LogLevel::kInfo, "running: %zu ports, %u workers, control socket %s",
              d->opts.ports.size(), d->n_workers, d->opts.socket_path.c_str());
      d->server->run(g_stop);
      log_msg(LogLevel::kInfo, "stopping");
    }
    d.reset();
  }
  rte_eal_cleanup();
  return rc;
}

}  // namespace
}  // namespace isoswitch::dp

int main(int argc, char** argv) { return isoswitch::dp::run(argc, argv); }
