#!/usr/bin/env bash
# Run isoswitch's libFuzzer targets for a bounded time each.
#
#   bash tests/fuzz/run.sh [--seconds N] [--build-dir DIR] [--jobs J] [TARGET...]
#
# Builds DIR (default build-fuzz: -Dfuzz=true, ASan+UBSan) when it is missing,
# then runs every target (fuzz_pipeline, fuzz_policy, fuzz_request, or the
# ones named) for N seconds (default 20) starting from the committed seeds in
# tests/fuzz/corpus/<name>/ (read-only: new inputs go to DIR/fuzz-corpus/).
# A crash, leak, sanitizer report, timeout or reference disagreement fails
# the target; its input is kept in DIR/fuzz-artifacts/<target>/ and the
# command to reproduce it is printed. Prints one result line per target and
# exits non-zero when any target failed.
set -u -o pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds=20
build="$root/build-fuzz"
jobs=2
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --build-dir) build="$(realpath -m "$2")"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_pipeline fuzz_policy fuzz_request)
case "$seconds" in ''|*[!0-9]*) echo "run.sh: --seconds needs a whole number" >&2; exit 2 ;; esac

cd "$root"
if [ ! -f "$build/build.ninja" ]; then
  echo "fuzz: setting up $build (-Dfuzz=true, ASan+UBSan)"
  # -O1 -g1: the ASan+coverage build is compile-bound; the targets stay fast enough.
  meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Doptimization=1 -Dcpp_args=-g1 >/dev/null \
    || { echo "fuzz: meson setup failed" >&2; exit 1; }
fi
ninja_targets=()
for t in "${targets[@]}"; do ninja_targets+=("tests/fuzz/$t"); done
echo "fuzz: building ${targets[*]} in $build"
ninja -C "$build" -j "$jobs" "${ninja_targets[@]}" >"$build/fuzz-build.log" 2>&1 \
  || { tail -40 "$build/fuzz-build.log" >&2; echo "fuzz: build failed" >&2; exit 1; }

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"

failed=0
summary=()
for t in "${targets[@]}"; do
  name="${t#fuzz_}"
  seeds="$here/corpus/$name"
  work="$build/fuzz-corpus/$name"
  art="$build/fuzz-artifacts/$t"
  log="$build/fuzz-$t.log"
  mkdir -p "$work" "$art"
  nseeds=$(find "$seeds" -type f | wc -l)
  case "$t" in
    fuzz_pipeline) maxlen=4096 ;;
    *) maxlen=65536 ;;
  esac
  echo "fuzz: $t for ${seconds}s from $nseeds seeds"
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len="$maxlen" -print_final_stats=1 -artifact_prefix="$art/" \
      "$work" "$seeds" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')

  if [ $rc -eq 0 ] && ! grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|DISAGREEMENT' "$log"; then
    line="PASS $t: ${runs:-?} inputs in ${seconds}s, coverage ${cov:-?}, corpus $(find "$work" -type f | wc -l) (+$nseeds seeds)"
  else
    failed=$((failed + 1))
    line="FAIL $t: exit $rc after ${runs:-?} inputs; log $log"
    grep -E 'ERROR:|runtime error:|DISAGREEMENT|fuzz_[a-z]*:|SUMMARY|Test unit written' "$log" | head -20 | sed 's/^/    /'
    for a in "$art"/*; do
      [ -f "$a" ] && echo "    reproduce: $build/tests/fuzz/$t $a"
    done
  fi
  echo "$line"
  summary+=("$line")
done
echo "fuzz: ${#targets[@]} targets, $failed failed"
for l in "${summary[@]}"; do echo "  $l"; done
[ $failed -eq 0 ]
