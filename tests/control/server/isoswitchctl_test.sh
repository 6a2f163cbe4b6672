#!/bin/bash
# isoswitchctl against a real control server (fake data plane): exit codes
# 0 (ok), 1 (refused by the server), 2 (usage, input, connection), --help,
# and that each command sends what it says.
#   isoswitchctl_test.sh ISOSWITCHCTL ISOSWITCH_TEST_SERVER
set -u
CTL=$1
SERVER=$2
SRC=${ISOSWITCH_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/isoswitchctl-test-XXXXXX")
SOCK=$TMP/ctl.sock
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

FAILS=0
# expect CODE DESCRIPTION -- command...: runs it, keeps stdout/stderr in $OUT/$ERR.
expect() {
  local want=$1 what=$2
  shift 3
  "$@" >"$TMP/out" 2>"$TMP/err" <"${STDIN:-/dev/null}"
  local got=$?
  OUT=$(cat "$TMP/out")
  ERR=$(cat "$TMP/err")
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what: exit $got, want $want"
    echo "  stdout: $OUT"
    echo "  stderr: $ERR"
    FAILS=$((FAILS + 1))
  else
    echo "ok: $what"
  fi
}
# contains HAYSTACK NEEDLE DESCRIPTION
contains() {
  case "$1" in
    *"$2"*) echo "ok: $3" ;;
    *) echo "FAIL: $3: output lacks '$2'"; echo "  got: $1"; FAILS=$((FAILS + 1)) ;;
  esac
}

# The standard test policy as a file (the test server uses the standard ports).
sed -n '/R"json(/,/)json"/p' "$SRC/tests/support/test_policy.cc" | sed '1s/.*R"json(//; $d' >"$TMP/policy.json"

"$SERVER" "$SOCK" "$TMP/state.json" >"$TMP/server.out" 2>"$TMP/server.err" &
SERVER_PID=$!
for _ in $(seq 100); do
  grep -q ready "$TMP/server.out" 2>/dev/null && break
  sleep 0.05
done
grep -q ready "$TMP/server.out" || { echo "test server did not start: $(cat "$TMP/server.err")"; exit 1; }

C=("$CTL" --socket "$SOCK")

# --help and usage errors: 0 / 2, nothing sent.
expect 0 "--help" -- "$CTL" --help
contains "$OUT" "usage: isoswitchctl" "--help prints usage"
contains "$OUT" "--expect-generation" "--help lists options"
expect 2 "no command" -- "${C[@]}"
expect 2 "unknown command" -- "${C[@]}" frobnicate
contains "$ERR" "frobnicate" "unknown command named"
expect 2 "unknown option" -- "${C[@]}" --bogus ping
expect 2 "missing argument" -- "${C[@]}" job del
expect 2 "bad subcommand" -- "${C[@]}" vnic rename x
expect 2 "explain without --dst" -- "${C[@]}" explain --vnic a-0
expect 2 "--expect-generation on a read" -- "${C[@]}" --expect-generation 1 ping
expect 2 "unreadable file" -- "${C[@]}" apply "$TMP/missing.json"
echo '{"not": json' >"$TMP/bad.json"
expect 2 "file that is not JSON" -- "${C[@]}" apply "$TMP/bad.json"
expect 2 "no server" -- "$CTL" --socket "$TMP/nobody.sock" ping
contains "$ERR" "cannot connect" "connection error explained"

# Reads and mutations.
expect 0 "ping" -- "${C[@]}" ping
contains "$OUT" "generation 0" "ping shows generation 0"
expect 1 "job del before any policy" -- "${C[@]}" job del train-a
contains "$ERR" "not_found" "refusal prints the server's code"
expect 0 "apply" -- "${C[@]}" apply "$TMP/policy.json"
contains "$OUT" "generation 1" "apply reports the new generation"
expect 0 "get" -- "${C[@]}" get
contains "$OUT" '"train-a"' "get prints the document"
"${C[@]}" get >"$TMP/got.json" 2>/dev/null
expect 0 "apply what get printed" -- "${C[@]}" apply "$TMP/got.json"
expect 0 "get --json" -- "${C[@]}" --json get
contains "$OUT" '"generation": 2' "--json prints the raw reply"

expect 1 "stale --expect-generation" -- "${C[@]}" --expect-generation 1 vnic del b-0
contains "$ERR" "conflict" "conflict reported"
expect 0 "current --expect-generation" -- "${C[@]}" --expect-generation 2 vnic del b-0
expect 1 "delete it again" -- "${C[@]}" vnic del b-0
expect 1 "job del with vNICs" -- "${C[@]}" job del train-a
contains "$ERR" "conflict" "job with vNICs refused"

echo '{"id": "j-new", "peers": ["10.8.0.1"]}' >"$TMP/job.json"
expect 0 "job add FILE" -- "${C[@]}" job add "$TMP/job.json"
STDIN=$TMP/job.json expect 0 "job add -" -- "${C[@]}" job add -
echo '{"id": "j-bad", "peers": ["10.8.0.999"]}' >"$TMP/badjob.json"
expect 1 "invalid job" -- "${C[@]}" job add "$TMP/badjob.json"
contains "$ERR" "invalid_argument" "invalid job code"
contains "$ERR" "job.peers[0]" "invalid job path"
echo '{"id":"v-new","port":"vnic9","mac":"02:00:00:08:00:01","ip":"10.8.0.1","job":"j-new"}' >"$TMP/vnic.json"
expect 0 "vnic add" -- "${C[@]}" vnic add "$TMP/vnic.json"
expect 0 "vnic del" -- "${C[@]}" vnic del v-new
expect 0 "job del" -- "${C[@]}" job del j-new

cat >"$TMP/txn.json" <<'JSON'
[{"op": "vnic.delete", "vnic": "c-0"},
 {"op": "job.delete", "job": "train-c"},
 {"op": "job.delete", "job": "no-such-job"}]
JSON
expect 1 "txn whose last step fails" -- "${C[@]}" txn "$TMP/txn.json"
"${C[@]}" --json ping >"$TMP/gen.json"
contains "$(cat "$TMP/gen.json")" '"generation": 8' "failed txn left the generation"
echo '[{"op": "vnic.delete", "vnic": "c-0"}, {"op": "job.delete", "job": "train-c"}]' >"$TMP/txn2.json"
expect 0 "txn" -- "${C[@]}" txn "$TMP/txn2.json"
contains "$OUT" "generation 9" "txn is one generation"
echo '{"op": "ping"}' >"$TMP/notarray.json"
expect 2 "txn file that is not an array" -- "${C[@]}" txn "$TMP/notarray.json"

# Reports.
expect 0 "stats" -- "${C[@]}" stats
contains "$OUT" "a-0" "stats lists vNICs"
contains "$OUT" "not_peer=7" "stats shows nonzero drop reasons"
contains "$OUT" "uplink0" "stats lists ports"
expect 0 "stats --json" -- "${C[@]}" stats --json
contains "$OUT" '"not_peer": 7' "stats --json"
expect 0 "ports" -- "${C[@]}" ports
contains "$OUT" "vnic0" "ports lists the table"
expect 0 "explain forward" -- "${C[@]}" explain --vnic a-0 --dst 10.1.0.12 --proto tcp --dport 443
contains "$OUT" "forward -> vnic1" "explain forward"
contains "$OUT" "E5" "explain names the rule"
expect 0 "explain drop" -- "${C[@]}" explain --vnic a-0 --dst 8.8.8.8
contains "$OUT" "drop (not_peer)" "explain drop reason"
expect 0 "explain from uplink" -- "${C[@]}" explain --from uplink --src 10.1.1.21 --dst 10.1.0.11
contains "$OUT" "U1" "explain from uplink"
expect 1 "explain unknown vNIC" -- "${C[@]}" explain --vnic nope --dst 1.2.3.4

if [ "$FAILS" -ne 0 ]; then
  echo "$FAILS failure(s)"
  exit 1
fi
echo "all passed"
