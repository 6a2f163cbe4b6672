#!/usr/bin/env bash
# Reserve 2 MB hugepages and mount hugetlbfs for the benchmarks (root only).
#
# Why: DPDK runs about 40% faster here with hugepages than with --no-huge
# (ENVIRONMENT.md), and the throughput targets are stated "hugepages mounted".
# Idempotent: it only raises the reservation to PAGES (default 64 = 128 MB,
# so EAL -m / --socket-mem must stay below that across concurrent processes)
# and mounts hugetlbfs only when nothing is mounted on /dev/hugepages yet.
# Prints what it did; exits 0 when hugepages are usable afterwards, 1 if not.
#
# Usage: bash perf/hugepages.sh [PAGES]     (PAGES: 2 MB pages to reserve)
#        bash perf/hugepages.sh --check     (report only, change nothing)
set -u

PAGES=64
CHECK_ONLY=0
case "${1:-}" in
  --check) CHECK_ONLY=1 ;;
  '') ;;
  *[!0-9]*) echo "usage: $0 [PAGES|--check]" >&2; exit 2 ;;
  *) PAGES=$1 ;;
esac

MNT=/dev/hugepages
NR=/proc/sys/vm/nr_hugepages

total() { awk '/^HugePages_Total:/ {print $2}' /proc/meminfo; }
free_pages() { awk '/^HugePages_Free:/ {print $2}' /proc/meminfo; }
mounted() { awk -v m="$MNT" '$2 == m && $3 == "hugetlbfs" {found=1} END {exit !found}' /proc/mounts; }

report() {
  local m=no
  mounted && m=yes
  echo "hugepages: total=$(total) free=$(free_pages) size=2MB mounted($MNT)=$m"
}

if [ "$CHECK_ONLY" = 1 ]; then
  report
  [ "$(total)" -gt 0 ] && mounted
  exit $?
fi

if [ "$(id -u)" != 0 ]; then
  echo "hugepages: not root: cannot reserve pages; benchmarks will run with --no-huge" >&2
  report
  exit 1
fi

cur=$(total)
if [ "$cur" -lt "$PAGES" ]; then
  echo "$PAGES" > "$NR" 2>/dev/null || true
  now=$(total)
  echo "hugepages: reserved $now pages (asked for $PAGES, had $cur)"
else
  echo "hugepages: $cur pages already reserved (>= $PAGES): left as is"
fi

if mounted; then
  echo "hugepages: hugetlbfs already mounted on $MNT"
else
  mkdir -p "$MNT"
  if mount -t hugetlbfs nodev "$MNT"; then
    echo "hugepages: mounted hugetlbfs on $MNT"
  else
    echo "hugepages: mounting hugetlbfs on $MNT failed" >&2
  fi
fi

report
[ "$(total)" -gt 0 ] && mounted
