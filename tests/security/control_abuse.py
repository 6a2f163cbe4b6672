#!/usr/bin/env python3
"""Control-socket abuse against a running isoswitchd.

usage: control_abuse.py ISOSWITCHD POLICY_JSON

The daemon forwards a stream of uplink frames (infinite pcap replay) while
clients misbehave on its control socket: a peer that is neither root nor in
the allowed group, a 100 MB request, a request that never ends, 200
concurrent clients (and more than the limit), clients that vanish
mid-request, deeply nested JSON, invalid UTF-8, huge peer lists. After each
case: the daemon is alive, a well-behaved client is answered, the policy
generation is unchanged, and frames keep being forwarded (vnic0's and vnic3's
tx counters grow). Prints the case count; exit 0 only if every case held.
The not-root case needs root (to become `nobody`) and is skipped otherwise.
"""

import json
import os
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_util import Daemon  # noqa: E402

RESULTS = []


def case(name):
    def wrap(fn):
        fn.case_name = name
        return fn
    return wrap


def connect(d, timeout=10):
    # A blocking connect, as ordinary clients do: with a timeout Python's
    # connect() on a Unix socket fails with EAGAIN when the listen backlog is
    # momentarily full instead of waiting its turn.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(d.sock)
    s.settimeout(timeout)
    return s


def read_line(s):
    buf = b""
    try:
        while b"\n" not in buf:
            c = s.recv(65536)
            if not c:
                break
            buf += c
    except (ConnectionResetError, socket.timeout):
        pass
    return buf.split(b"\n")[0]


@case("a client neither root nor in the allowed group is refused and logged")
def not_root(d, ctx):
    if os.geteuid() != 0:
        return "skip: needs root to connect as nobody"
    os.chmod(d.sock, 0o666)  # let the kernel pass the connect; the daemon must refuse by SO_PEERCRED
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            s = connect(d)
            s.sendall(b'{"op":"policy.apply","policy":{}}\n')
            os.write(w, read_line(s))
        except Exception as e:  # report, never raise out of the child
            os.write(w, ("EXC " + repr(e)).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        c = os.read(r, 65536)
        if not c:
            break
        data += c
    os.waitpid(pid, 0)
    os.chmod(d.sock, 0o660)
    reply = json.loads(data) if data.startswith(b"{") else None
    assert reply and reply["ok"] is False and reply["error"]["code"] == "permission_denied", data
    time.sleep(0.3)
    assert "permission denied for pid %d" % pid in d.log_text() or "permission denied" in d.log_text(), \
        "refusal not logged"


@case("a 100 MB request is refused (too_large) and the connection closed")
def huge_request(d, ctx):
    s = connect(d, timeout=30)
    chunk = b'{"op":"ping","pad":"' + b"x" * (1 << 20)
    sent, closed = 0, False
    try:
        s.sendall(chunk)
        sent += len(chunk)
        while sent < 100 << 20:
            s.sendall(b"x" * (1 << 20))
            sent += 1 << 20
        s.sendall(b'"}\n')
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    line = read_line(s)
    s.close()
    assert line, "no refusal for a 100 MB request"
    reply = json.loads(line)
    assert reply["ok"] is False and reply["error"]["code"] == "too_large", line
    ctx["note"] = "%d MB written before the close%s" % (sent >> 20, ", reset" if closed else "")


@case("a request that never ends does not block others and is timed out")
def never_ends(d, ctx):
    s = connect(d, timeout=30)
    s.sendall(b'{"op":"policy.apply","policy":{"version":1')
    t0 = time.time()
    r = d.request({"op": "ping", "id": "other"})  # served while the first one dangles
    assert r["ok"] and r["id"] == "other", r
    assert time.time() - t0 < 3, "another client waited for the dangling one"
    line = read_line(s)  # the server closes it after its idle timeout (5 s)
    waited = time.time() - t0
    s.close()
    assert waited < 25, "a half request held its connection %.0f s" % waited
    ctx["note"] = "closed after %.1f s%s" % (waited, (": " + line.decode()[:80]) if line else "")


@case("200 concurrent clients are all served")
def many_clients(d, ctx):
    socks = [connect(d, timeout=30) for _ in range(200)]
    for i, s in enumerate(socks):
        s.sendall(json.dumps({"op": "ping", "id": i}).encode() + b"\n")
    ok = 0
    for i, s in enumerate(socks):
        line = read_line(s)
        r = json.loads(line)
        assert r["ok"] and r["id"] == i, line
        ok += 1
        s.close()
    assert ok == 200


@case("clients beyond the limit are refused (unavailable) while the others are served")
def over_limit(d, ctx):
    socks = []
    for _ in range(300):
        socks.append(connect(d, timeout=30))
    time.sleep(0.5)
    refused = served = 0
    for i, s in enumerate(socks):
        try:
            s.sendall(json.dumps({"op": "ping", "id": i}).encode() + b"\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
    for s in socks:
        line = read_line(s)
        if line:
            r = json.loads(line)
            if r["ok"]:
                served += 1
            else:
                assert r["error"]["code"] == "unavailable", line
                refused += 1
        else:
            refused += 1
        s.close()
    assert served >= 200 and refused >= 1, "served %d refused %d" % (served, refused)
    ctx["note"] = "%d served, %d refused" % (served, refused)


@case("clients that disconnect mid-request change nothing")
def mid_request(d, ctx):
    pol = json.dumps({"op": "policy.apply", "policy": ctx["policy"]}).encode()
    for cut in (1, len(pol) // 3, len(pol) // 2, len(pol) - 1):  # len(pol) would be a whole request
        s = connect(d)
        s.sendall(pol[:cut])
        s.close()
    # and one that resets with unread data
    s = connect(d)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.sendall(pol[:100])
    s.close()
    time.sleep(0.5)


@case("deeply nested JSON is refused without a crash")
def deep_json(d, ctx):
    for depth in (33, 1000, 100000):
        body = "[" * depth + "]" * depth
        for line in ('{"op":"policy.apply","policy":%s}' % body, body,
                     '{"op":"ping","id":%s}' % body, '{"op":' + '{"a":' * depth + "1" + "}" * depth + "}"):
            r = d.request(line)
            assert r["ok"] is False and r["error"]["code"] == "invalid_argument", r


@case("invalid UTF-8 is refused, the reply is valid JSON")
def bad_utf8(d, ctx):
    for raw in (b'{"op":"ping","id":"\xff\xfe"}', b'{"op":"\xc3\x28"}',
                b'{"op":"job.upsert","job":{"id":"\xed\xa0\x80","isolated":true,"peers":["10.9.0.1"]}}',
                b'{"op":"vnic.delete","vnic":"a-\x80"}', b"\xff" * 64, b"\x00{\"op\":\"ping\"}"):
        r = d.request(raw)
        assert r["ok"] is False, (raw, r)


@case("huge peer lists: over the request limit refused, invalid ones refused whole")
def huge_peers(d, ctx):
    big = ["10.%d.%d.%d" % (200 + i // 65536 % 50, i // 256 % 256, i % 256) for i in range(400000)]
    r = d.request({"op": "job.upsert", "job": {"id": "flood", "isolated": True, "peers": big}})
    assert r["ok"] is False and r["error"]["code"] == "too_large", str(r)[:200]
    mid = big[:150000] + ["10.999.0.1"]
    r = d.request({"op": "job.upsert", "job": {"id": "flood", "isolated": True, "peers": mid}})
    assert r["ok"] is False and r["error"]["code"] == "invalid_argument", str(r)[:200]
    dup = big[:100000] + big[:1]
    r = d.request({"op": "job.upsert", "job": {"id": "flood", "isolated": True, "peers": dup}})
    assert r["ok"] is False, str(r)[:200]
    clash = big[:100000] + ["10.1.0.11"]  # another job's container address
    r = d.request({"op": "job.upsert", "job": {"id": "flood", "isolated": True, "peers": clash}})
    assert r["ok"] is False, str(r)[:200]


def forwarded(d):
    st = d.stats()
    return d.port("vnic0", st)["tx_frames"] + d.port("vnic3", st)["tx_frames"]


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    isoswitchd, policy_file = sys.argv[1], sys.argv[2]
    with open(policy_file) as f:
        policy = json.load(f)
    cases = [not_root, huge_request, never_ends, many_clients, over_limit, mid_request,
             deep_json, bad_utf8, huge_peers]
    print("control abuse: %d cases" % len(cases))
    failed = skipped = 0
    with tempfile.TemporaryDirectory(prefix="isoswitch-abuse-") as work:
        os.chmod(work, 0o755)
        d = Daemon(isoswitchd, work, policy_file).start()
        try:
            gen = d.generation()
            doc = json.dumps(d.request({"op": "policy.get"})["policy"], sort_keys=True)
            fwd = forwarded(d)
            for c in cases:
                ctx = {"policy": policy}
                status = "PASS"
                try:
                    res = c(d, ctx)
                    if isinstance(res, str) and res.startswith("skip"):
                        status = "SKIP"
                        ctx["note"] = res
                        skipped += 1
                    assert d.alive(), "isoswitchd died:\n" + d.log_text()
                    r = d.request({"op": "ping", "id": "after"})
                    assert r["ok"] and r["id"] == "after", r
                    now = d.request({"op": "policy.get"})
                    assert now["generation"] == gen, "generation %s -> %s" % (gen, now["generation"])
                    assert json.dumps(now["policy"], sort_keys=True) == doc, "the policy changed"
                    deadline = time.time() + 10
                    while forwarded(d) <= fwd and time.time() < deadline:
                        time.sleep(0.1)
                    now_fwd = forwarded(d)
                    assert now_fwd > fwd, "forwarding stopped"
                    fwd = now_fwd
                except Exception as e:  # noqa: BLE001 - report every kind of failure
                    status = "FAIL"
                    ctx["note"] = "%s: %s" % (type(e).__name__, str(e)[:400])
                    failed += 1
                print("%s %s%s" % (status, c.case_name, (" (%s)" % ctx["note"]) if "note" in ctx else ""),
                      flush=True)
                if not d.alive():
                    break
        finally:
            rc = d.stop()
            log = d.log_text()
        if rc not in (0, None):
            print("FAIL isoswitchd exited %s on SIGTERM\n%s" % (rc, log))
            failed += 1
        for bad in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
            if bad in log:
                print("FAIL sanitizer report in the daemon's log\n" + log)
                failed += 1
                break
    print("control abuse: %d cases, %d failed, %d skipped" % (len(cases), failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
