#!/usr/bin/env bash
# Bounded soak of isoswitchd: traffic + policy churn + misbehaving clients,
# then SIGKILL mid-update and restart (see soak.py for every check).
#
#   bash tests/soak/run.sh BUILD_DIR [--minutes N]     (default 10; make soak)
#
# Builds BUILD_DIR's isoswitchd if needed (-j2). Needs no root, NIC or
# hugepages (net_pcap/net_null vdevs). With an ASan build dir
# (-Db_sanitize=address,undefined) sanitizer reports in the daemon fail it.
set -u -o pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
[ $# -ge 1 ] || { sed -n '2,9p' "$0"; exit 2; }
build="$(realpath -m "$1")"; shift
minutes=10
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    *) echo "soak: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$minutes" in ''|*[!0-9]*) echo "soak: --minutes needs a whole number" >&2; exit 2 ;; esac
[ -f "$build/build.ninja" ] || (cd "$root" && meson setup "$build" >/dev/null) || exit 1
ninja -C "$build" -j 2 dataplane/daemon/isoswitchd >/dev/null || { echo "soak: build failed" >&2; exit 1; }
exec python3 "$here/soak.py" "$build/dataplane/daemon/isoswitchd" \
  "$root/tests/adversarial/cases/policy.json" --seconds $((minutes * 60))
