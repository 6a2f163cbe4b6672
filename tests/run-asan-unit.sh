#!/usr/bin/env bash
# Builds only what the unit suite needs in the ASan+UBSan build directory,
# then runs that suite. Building the whole tree (benchmarks, daemon, replay)
# a second time with sanitizers would double `make test` on two cores for
# no extra coverage: integration and e2e tests run on the normal build.
set -euo pipefail
build=${1:-build-asan}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" -Db_sanitize=address,undefined -Db_lundef=false
fi
# Executables of the unit suite, relative to the build directory.
targets=$(meson introspect "$build" --tests | /usr/bin/python3 -c '
import json, os, sys
build = os.path.abspath(sys.argv[1])
for t in json.load(sys.stdin):
    if "unit" in t["suite"] or any(s.endswith(":unit") for s in t["suite"]):
        exe = t["cmd"][0]
        if exe.startswith(build + "/"):
            print(os.path.relpath(exe, build))
' "$build" | sort -u)
if [ -z "$targets" ]; then
  echo "run-asan-unit: no unit tests found in $build" >&2
  exit 1
fi
# shellcheck disable=SC2086
ninja -C "$build" $targets
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
meson test -C "$build" --no-rebuild --suite unit --print-errorlogs --num-processes 2
