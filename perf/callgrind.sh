#!/usr/bin/env bash
# Instructions per frame of dp::process_burst, counted by callgrind.
#
# `perf stat` does not work in this VM (ENVIRONMENT.md); callgrind counts
# instructions exactly and repeatably, whatever the load. For each
# (family, policy size) it runs build/perf/callgrind_burst (8,192 frames,
# 1 warm-up + 2 passes) with collection toggled on inside process_burst only,
# so Ir / frames = instructions per frame of the pipeline (no RX/TX). Writes
# OUT/callgrind.csv and, for the realistic mix, OUT/callgrind-<mix>-<size>.txt
# (callgrind_annotate: which inlined header costs what).
#
# Usage: bash perf/callgrind.sh BUILD_DIR [OUT_DIR] [--quick]
set -euo pipefail
BUILD=${1:?usage: callgrind.sh BUILD_DIR [OUT_DIR] [--quick]}
OUT=${2:-$BUILD/perf-results}
QUICK=0
[ "${3:-}" = "--quick" ] && QUICK=1
BIN=$BUILD/perf/callgrind_burst
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind not installed" >&2; exit 77; }
[ -x "$BIN" ] || { echo "callgrind.sh: $BIN missing (ninja -C $BUILD perf/callgrind_burst)" >&2; exit 1; }
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

FRAMES=8192
PASSES=2
FAMILIES="uplink_allow uplink_mix vnic_local vnic_remote vnic_not_peer vnic_mix"
SIZES="0 1"
if [ "$QUICK" = 1 ]; then FAMILIES="uplink_allow uplink_mix"; fi

CSV=$OUT/callgrind.csv
echo "family,policy,frames,instructions,instructions_per_frame" > "$CSV"
printf '%-14s %-20s %12s %10s\n' family policy Ir Ir/frame
for size in $SIZES; do
  label=$([ "$size" = 0 ] && echo 1j/2v/4p || echo 1000j/4096v/65536p)
  for fam in $FAMILIES; do
    outf=$TMP/cg.$fam.$size
    valgrind --tool=callgrind --callgrind-out-file="$outf" \
      --toggle-collect='isoswitch::dp::process_burst*' \
      "$BIN" --frames $FRAMES --passes $PASSES --size "$size" --family "$fam" \
      > "$TMP/log" 2>&1 || { cat "$TMP/log" >&2; exit 1; }
    ir=$(awk '/^summary:|^totals:/ {print $2; exit}' "$outf")
    frames=$((FRAMES * (PASSES + 1)))
    per=$(awk -v a="$ir" -v b="$frames" 'BEGIN {printf "%.1f", a / b}')
    printf '%-14s %-20s %12s %10s\n' "$fam" "$label" "$ir" "$per"
    echo "$fam,$label,$frames,$ir,$per" >> "$CSV"
    if [ "$fam" = uplink_mix ] || [ "$fam" = vnic_mix ]; then
      callgrind_annotate --inclusive=no --threshold=99 "$outf" \
        > "$OUT/callgrind-$fam-$size.txt" 2>/dev/null || true
    fi
  done
done
echo "CSV: $CSV; profiles: $OUT/callgrind-*.txt"
