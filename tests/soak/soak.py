#!/usr/bin/env python3
"""Bounded soak of isoswitchd, then SIGKILL mid-update and restart.

usage: soak.py ISOSWITCHD POLICY_JSON --seconds N

Phase 1 (N seconds): the uplink replays allowed and refused frames forever
(net_pcap infinite_rx; vNIC and agent ports are net_null sinks) while one
thread churns the policy (job/vNIC upserts and deletes, peers added and
removed, whole-document applies, transactions, stale expect_generation) and
another misbehaves on the control socket (garbage, half lines, vanishing
clients, bursts of concurrent clients). Checked throughout: the daemon lives,
every update is acknowledged in order, frames keep flowing, the uplink never
runs out of mbufs (rx_nombuf, from DPDK telemetry). At the end: the counters
add up -- sum rx == sum tx + drops + tx_dropped, up to the frames of bursts in
flight (traffic never stops with infinite_rx) -- and, since the daemon does
not expose the mempool's in-use count, "no mbuf leak" is shown by rx_nombuf
staying 0 while far more frames than the pool holds (16383) went through.

Phase 2: SIGKILL while a policy.apply is in flight; restart with the same
state file but a *different* --policy file (one that would forward a frame
the acknowledged policy refuses). The daemon must come back with the last
acknowledged policy (or the in-flight one, if it was persisted before the
kill -- never anything else), and must forward nothing the acknowledged
policy forbids, from its first frame on.

Prints the checks made; exit 0 only if all held.
"""

import copy
import json
import os
import random
import signal
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "security"))
from daemon_util import ROUTER, UP_MAC, Daemon, ipv4_frame  # noqa: E402

POOL_SIZE = 16383
CHECKS = []
FAILED = []


def check(ok, what):
    CHECKS.append(what)
    print("%s %s" % ("PASS" if ok else "FAIL", what), flush=True)
    if not ok:
        FAILED.append(what)
    return ok


def sums(d):
    t = d.telemetry("/isoswitch/stats")
    return t["/isoswitch/stats"] if t else None


def churn(d, policy, stop, log):
    """Policy updates, each acknowledged in order; records generations."""
    rnd = random.Random(1)
    gen = d.generation()
    base = copy.deepcopy(policy)
    i = 0
    while not stop.is_set():
        i += 1
        k = (i - 1) % 6
        if k == 0:
            req = {"op": "job.upsert", "job": {"id": "churn", "isolated": True,
                                               "peers": ["10.77.%d.%d" % (i % 200, j) for j in range(1, 40)]}}
        elif k == 1:
            req = {"op": "job.delete", "job": "churn"}
        elif k == 2:
            a = copy.deepcopy(base["jobs"][0])
            a["peers"] = a["peers"] + ["10.1.9.%d" % (i % 250 + 1)]
            req = {"op": "job.upsert", "job": a}
        elif k == 3:
            req = {"op": "policy.apply", "policy": base, "expect_generation": gen}
        elif k == 4:
            req = {"op": "txn", "ops": [
                {"op": "job.upsert", "job": {"id": "t", "isolated": True, "peers": ["10.78.0.1"]}},
                {"op": "vnic.upsert", "vnic": {"id": "t-0", "port": "vnic2", "mac": "02:00:00:07:00:01",
                                               "ip": "10.78.0.1", "job": "t"}},
                {"op": "vnic.delete", "vnic": "t-0"}, {"op": "job.delete", "job": "t"}]}
        else:
            req = {"op": "job.upsert", "expect_generation": gen + 1000,
                   "job": {"id": "stale", "isolated": True, "peers": ["10.79.0.1"]}}
        try:
            r = d.request(req)
        except OSError as e:
            log.append("request failed: %r" % e)
            return
        if k == 5:
            if not (r["ok"] is False and r["error"]["code"] == "conflict"):
                log.append("stale expect_generation not refused: %s" % r)
            continue
        if not r.get("ok") or r.get("generation") != gen + 1:
            log.append("update %d (%s) -> %s (expected generation %d)" % (i, req["op"], r, gen + 1))
            return
        gen = r["generation"]
        log.append(gen)
        time.sleep(rnd.uniform(0, 0.05))


def misbehave(d, stop, log):
    rnd = random.Random(2)
    n = 0
    while not stop.is_set():
        n += 1
        kind = n % 5
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(d.sock)
            s.settimeout(10)
            if kind == 0:
                s.sendall(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 3000))) + b"\n")
            elif kind == 1:
                s.sendall(b'{"op":"policy.apply","policy":{"version":1,')
            elif kind == 2:
                s.sendall(b'{"op":"job.upsert","job":' + b"[" * 200)
            elif kind == 3:
                s.sendall(b'{"op":"stats"}\n{"op":"ports"}\n{"op":"explain","vnic":"a-0","dst":"8.8.8.8"}\n')
                got = b""
                while got.count(b"\n") < 3:
                    c = s.recv(65536)
                    if not c:
                        break
                    got += c
                if got.count(b"\n") != 3:
                    log.append("pipelined requests: %d replies" % got.count(b"\n"))
            else:
                others = []
                for _ in range(20):
                    o = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    o.connect(d.sock)
                    others.append(o)
                for o in others:
                    o.sendall(b'{"op":"ping"}\n')
                for o in others:
                    o.settimeout(10)
                    if b'"ok":true' not in o.recv(4096):
                        log.append("a concurrent ping was not answered")
                    o.close()
            s.close()
        except OSError as e:
            log.append("misbehaving client: %r" % e)
        time.sleep(0.01)


def soak(isoswitchd, policy_file, seconds, work):
    with open(policy_file) as f:
        policy = json.load(f)
    d = Daemon(isoswitchd, work, policy_file, name="soak").start()
    try:
        t0 = time.time()
        start = sums(d)
        check(start is not None, "DPDK telemetry readable (/isoswitch/stats)")
        stop = threading.Event()
        churn_log, bad_log = [], []
        th = [threading.Thread(target=churn, args=(d, policy, stop, churn_log)),
              threading.Thread(target=misbehave, args=(d, stop, bad_log))]
        for t in th:
            t.start()
        last_tx, stalls, samples = 0, 0, 0
        while time.time() - t0 < seconds and d.alive():
            time.sleep(min(2, max(0.1, seconds / 30)))
            s = sums(d)
            if s:
                samples += 1
                stalls += s["tx_frames"] <= last_tx
                last_tx = s["tx_frames"]
        stop.set()
        for t in th:
            t.join(60)
        check(d.alive(), "isoswitchd alive after %.0f s of traffic, churn and abuse" % (time.time() - t0))
        gens = [g for g in churn_log if isinstance(g, int)]
        errs = [e for e in churn_log if not isinstance(e, int)]
        check(not errs and len(gens) > 0,
              "%d policy updates acknowledged, generations strictly in order%s" %
              (len(gens), ("; " + "; ".join(errs[:3])) if errs else ""))
        check(not bad_log, "misbehaving clients never broke the server (%s)" %
              ("; ".join(bad_log[:3]) if bad_log else "ok"))
        check(stalls == 0, "forwarding never stalled (%d samples)" % samples)
        end = sums(d)
        eth = d.telemetry("/ethdev/stats,0")["/ethdev/stats"]
        check(end["rx_frames"] > 4 * POOL_SIZE,
              "%d frames through the switch (pool holds %d mbufs)" % (end["rx_frames"], POOL_SIZE))
        check(eth["rx_nombuf"] == 0, "no mbuf exhaustion on the uplink (rx_nombuf %d)" % eth["rx_nombuf"])
        worst = 0
        for _ in range(20):
            s = sums(d)
            gap = s["rx_frames"] - s["tx_frames"] - s["drops"] - s["tx_dropped"]
            worst = max(worst, abs(gap))
            if gap < 0:
                break
        check(0 <= gap and worst <= 64,
              "counters add up: rx - (tx + drops + tx_dropped) within one burst in flight "
              "(worst of 20 samples: %d)" % worst)
        check(end["replies"] == 0 and end["drop_not_peer_inbound"] > 0,
              "refused frames counted under their reason (not_peer_inbound %d)" % end["drop_not_peer_inbound"])
        final_gen = d.generation()
        return d, final_gen
    except Exception:
        d.stop(signal.SIGKILL)
        raise


def kill_and_restart(isoswitchd, d, work, policy_file):
    with open(policy_file) as f:
        policy = json.load(f)
    acked = d.request({"op": "policy.get"})
    acked_gen = acked["generation"]
    acked_doc = json.dumps(acked["policy"], sort_keys=True)
    # The in-flight update: a big document (so there is time to die in it).
    big = copy.deepcopy(policy)
    big["jobs"].append({"id": "big", "isolated": True,
                        "peers": ["10.%d.%d.%d" % (100 + j // 65536, j // 256 % 256, j % 256)
                                  for j in range(60000)]})
    inflight_doc = json.dumps(big, sort_keys=True)
    result = {}

    def send():
        try:
            result["reply"] = d.request({"op": "policy.apply", "policy": big}, timeout=60)
        except (OSError, ValueError) as e:
            result["error"] = repr(e)

    t = threading.Thread(target=send)
    t.start()
    time.sleep(0.15)
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait(30)
    t.join(60)
    got_reply = "reply" in result and result["reply"].get("ok")
    if got_reply:  # it finished before the kill: then it is the acknowledged one
        acked_gen, acked_doc = result["reply"]["generation"], inflight_doc
    check(True, "SIGKILL during policy.apply (%s)" % ("acknowledged before the kill" if got_reply
                                                      else "no reply: killed mid-update"))

    # Restart with a --policy that would allow 8.8.8.8 -> a-1 (train-a not isolated):
    # the state file must win, from the first frame on.
    permissive = copy.deepcopy(policy)
    for j in permissive["jobs"]:
        j["isolated"] = False
    pfile = os.path.join(work, "permissive.json")
    with open(pfile, "w") as f:
        json.dump(permissive, f)
    traffic = [ipv4_frame(ROUTER, UP_MAC, "8.8.8.8", "10.1.0.12"),    # refused unless isolated=false
               ipv4_frame(ROUTER, UP_MAC, "10.1.1.21", "10.1.0.11")]  # U1, allowed by both
    d2 = Daemon(isoswitchd, work, pfile, traffic=traffic, name="restarted").start()
    try:
        now = d2.request({"op": "policy.get"})
        doc = json.dumps(now["policy"], sort_keys=True)
        ok = (now["generation"], doc) in ((acked_gen, acked_doc), (acked_gen + 1, inflight_doc))
        check(ok, "restarted with the last acknowledged policy (generation %d; acknowledged %d%s)" %
              (now["generation"], acked_gen, "" if got_reply else ", or the in-flight one"))
        time.sleep(1)
        st = d2.stats()
        v1 = d2.port("vnic1", st)["tx_frames"]
        v0 = d2.port("vnic0", st)["tx_frames"]
        check(v1 == 0 and v0 > 0,
              "nothing forwarded that the persisted policy forbids, from the first frame "
              "(a-1 got %d frames from 8.8.8.8; a-0 got %d peer frames)" % (v1, v0))
        rc = d2.stop()
        check(rc == 0, "isoswitchd exits 0 on SIGTERM (%s)" % rc)
        return d2
    except Exception:
        d2.stop(signal.SIGKILL)
        raise


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    isoswitchd, policy_file = sys.argv[1], sys.argv[2]
    seconds = 60
    if "--seconds" in sys.argv:
        seconds = int(sys.argv[sys.argv.index("--seconds") + 1])
    print("soak: %d s of traffic + churn + abuse, then SIGKILL mid-update and restart" % seconds)
    with tempfile.TemporaryDirectory(prefix="isoswitch-soak-") as work:
        os.chmod(work, 0o755)
        d, _ = soak(isoswitchd, policy_file, seconds, work)
        d2 = kill_and_restart(isoswitchd, d, work, policy_file)
        logs = d.log_text() + d2.log_text()
        check(not any(b in logs for b in ("AddressSanitizer", "LeakSanitizer", "runtime error:")),
              "no sanitizer report in the daemon logs")
    print("soak: %d checks, %d failed" % (len(CHECKS), len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
