#!/usr/bin/env bash
# `make bench` / `make bench-ovs`: micro-benchmarks + quick harness runs.
#
# Everything lands in BUILD/perf-results (CSVs, benchmark output, PNGs).
# Quick by default (a few minutes in total); --full takes the samples the
# figures in perf/README.md were measured with (several rounds, longer runs).
#
# Usage: bash perf/run-bench.sh BUILD_DIR [--with-ovs] [--full]
#   --with-ovs  installs Debian's openvswitch-switch-dpdk when missing (root)
#               and adds OVS-DPDK to the side-by-side throughput run
#   --full      the README's settings (5 rounds x 5 s, 300 updates, ...)
# The time profiles (perf/profile) run when `perf` is installed.
set -uo pipefail
BUILD=${1:?usage: run-bench.sh BUILD_DIR [--with-ovs] [--full]}
shift
WITH_OVS=0
FULL=0
for a in "$@"; do
  case "$a" in
    --with-ovs) WITH_OVS=1 ;;
    --full) FULL=1 ;;
    *) echo "run-bench.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$BUILD/perf-results
mkdir -p "$OUT"
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
status=0
step() { echo; echo "=== $* ==="; }
run() { "$@" || { echo "run-bench.sh: FAILED: $*" >&2; status=1; }; }

step "machine"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "cpu: $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ //'), $(nproc) vCPUs"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"

step "hugepages"
if [ "$(id -u)" = 0 ]; then
  # isoswitchd's 32-port pool alone needs ~300 MB (see perf/throughput).
  bash "$HERE/hugepages.sh" 384 || echo "run-bench.sh: no hugepages: running with --no-huge"
else
  bash "$HERE/hugepages.sh" --check || echo "run-bench.sh: not root: running with --no-huge"
fi

step "build"
run ninja -C "$BUILD" perf/pipeline_bench perf/scale_sweep perf/update_bench \
  perf/callgrind_burst dataplane/daemon/isoswitchd control/cli/isoswitchctl

if [ "$WITH_OVS" = 1 ] && ! [ -x /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk ]; then
  step "installing openvswitch-switch-dpdk"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    openvswitch-switch-dpdk || echo "run-bench.sh: could not install OVS-DPDK: skipped" >&2
fi

if [ "$FULL" = 1 ]; then
  MIN_TIME=0.5; PASSES=50; TP_ARGS=(--rounds 5 --seconds 5); CG_ARGS=()
  UPD_ARGS=(--updates 300 --rate 1000 --replacements 10)
  PROF_ARGS=(--runs 3 --seconds 6)
else
  MIN_TIME=0.05; PASSES=10; TP_ARGS=(--quick); CG_ARGS=(--quick)
  UPD_ARGS=(--updates 50 --rate 1000 --replacements 3)
  PROF_ARGS=(--seconds 3 --warmup 1)
fi

step "micro-benchmarks: pipeline stages and bursts (Mpps = items_per_second)"
run "$BUILD/perf/pipeline_bench" --benchmark_min_time=$MIN_TIME \
  --benchmark_out="$OUT/pipeline_bench.json" --benchmark_out_format=json

step "scale sweep: policy size x cycles/frame"
run "$BUILD/perf/scale_sweep" --passes $PASSES --csv "$OUT/scale.csv"

step "update costs on the control thread"
run "$BUILD/perf/update_bench" --benchmark_min_time=$MIN_TIME \
  --benchmark_out="$OUT/update_bench.json" --benchmark_out_format=json

step "callgrind: instructions/frame"
run bash "$HERE/callgrind.sh" "$BUILD" "$OUT" "${CG_ARGS[@]}"

step "throughput: testpmd vs isoswitchd$([ "$WITH_OVS" = 1 ] && echo ' vs OVS-DPDK')"
OVS_ARG=()
[ "$WITH_OVS" = 1 ] && OVS_ARG=(--with-ovs)
run /usr/bin/python3 "$HERE/throughput" --build "$BUILD" --out "$OUT" "${TP_ARGS[@]}" "${OVS_ARG[@]}"

step "policy updates under load (acknowledged latency, lost frames)"
run /usr/bin/python3 "$HERE/update_latency" --build "$BUILD" --out "$OUT" "${UPD_ARGS[@]}"

step "time profile: where the forwarding core's cycles go, per scenario"
if command -v perf >/dev/null; then
  for sc in small large2 fanout large; do
    run /usr/bin/python3 "$HERE/profile" --build "$BUILD" --out "$OUT" --scenario $sc "${PROF_ARGS[@]}"
  done
else
  echo "run-bench.sh: perf not installed (make profile installs linux-perf): skipped"
fi

step "plots"
bash "$HERE/plot" "$OUT" || echo "run-bench.sh: plots skipped"

echo
echo "results: $OUT"
exit $status
