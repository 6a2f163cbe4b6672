#!/usr/bin/python3
"""isoswitch-replay end to end: the binary as a user runs it.

Usage: replay_cli_test.py PATH/TO/isoswitch-replay golden|errors|formats

  golden   the bundled example (examples/) against examples/golden, verdicts and
           every output frame byte for byte
  errors   every input error exits 2 with a clear message and publishes nothing
  formats  --json parses and agrees with verdicts.jsonl, outputs are readable by
           tshark, --help/--version, pcapng and nanosecond inputs, no root needed
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("ISOSWITCH_SOURCE_ROOT", os.path.dirname(os.path.dirname(HERE)))
EX = os.path.join(ROOT, "examples")
sys.path.insert(0, HERE)
import pcap_compare  # noqa: E402

PORTS = ["uplink0", "agent0", "vnic0", "vnic1", "vnic2", "vnic3"]
INPUT_ORDER = ["vnic0", "vnic1", "vnic2", "vnic3", "uplink0", "agent0"]
FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)
    return cond


def run(binary, args, **kw):
    return subprocess.run([binary] + args, capture_output=True, text=True, timeout=120, **kw)


def example_args(out, policy=None, inputs=None):
    args = ["--policy", policy or os.path.join(EX, "policy.json")]
    for p in inputs or INPUT_ORDER:
        args += ["--in", "%s=%s" % (p, os.path.join(EX, p + ".pcap"))]
    return args + ["--out-dir", out]


# ------------------------------------------------------------------ golden
def test_golden(binary, tmp):
    out = os.path.join(tmp, "out")
    r = run(binary, example_args(out))
    check(r.returncode == 0, "example replay exits 0 (stderr: %s)" % r.stderr.strip())
    rc = pcap_compare.main(["pcap_compare", os.path.join(EX, "golden"), out] + PORTS)
    check(rc == 0, "verdicts.jsonl and every <port>.pcap match examples/golden")
    names = sorted(os.listdir(out))
    check(names == sorted([p + ".pcap" for p in PORTS] + ["verdicts.jsonl"]),
          "out dir holds exactly one pcap per port and verdicts.jsonl: %s" % names)
    # Argument order only breaks timestamp ties; the example has none, so the
    # verdicts are the same lines whatever the order of --in.
    out2 = os.path.join(tmp, "out2")
    r = run(binary, example_args(out2, inputs=list(reversed(INPUT_ORDER))))
    check(r.returncode == 0, "example replay with --in reversed exits 0")
    with open(os.path.join(out, "verdicts.jsonl")) as a, open(os.path.join(out2, "verdicts.jsonl")) as b:
        check(a.read() == b.read(), "same verdicts whatever the --in order (no ties)")


# ------------------------------------------------------------------ errors
def expect_failure(binary, tmp, name, args, needle, out=None):
    out = out or os.path.join(tmp, "out-" + name)
    r = run(binary, args)
    check(r.returncode == 2, "%s: exit 2 (got %d)" % (name, r.returncode))
    check(needle in r.stderr, "%s: stderr says %r (got %r)" % (name, needle, r.stderr.strip()))
    check(r.stdout == "", "%s: nothing on stdout" % name)
    left = os.listdir(out) if os.path.isdir(out) else []
    check(left == [], "%s: nothing left in the out dir (%s)" % (name, left))


def test_errors(binary, tmp):
    # Inputs to break.
    bad = os.path.join(tmp, "bad")
    os.mkdir(bad)
    with open(os.path.join(EX, "vnic0.pcap"), "rb") as f:
        good = f.read()
    with open(os.path.join(bad, "cut.pcap"), "wb") as f:
        f.write(good[: len(good) - 7])  # the last record cut short
    with open(os.path.join(bad, "garbage.pcap"), "wb") as f:
        f.write(b"this is not a capture file at all" * 4)
    with open(os.path.join(bad, "rawip.pcap"), "wb") as f:  # LINKTYPE_RAW (101)
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        pkt = bytes.fromhex("4500001c000100004001f9e30a01000b0a01000c0800f7ff00000000")
        f.write(struct.pack("<IIII", 1, 0, len(pkt), len(pkt)) + pkt)
    with open(os.path.join(EX, "policy.json")) as f:
        pol = json.load(f)
    pol["jobs"][0]["vpc"]["vlan"] = 5000
    with open(os.path.join(bad, "vlan.json"), "w") as f:
        json.dump(pol, f)
    with open(os.path.join(bad, "notjson.json"), "w") as f:
        f.write("{ this is not json")
    with open(os.path.join(bad, "a-file"), "w") as f:
        f.write("x")

    def ex(name, **kw):
        out = os.path.join(tmp, "out-" + name)
        return out, example_args(out, **kw)

    out, args = ex("missing")
    args[args.index("vnic1=" + os.path.join(EX, "vnic1.pcap"))] = "vnic1=" + os.path.join(bad, "nope.pcap")
    expect_failure(binary, tmp, "missing", args, "nope.pcap", out)

    for name, file, needle in [("cut", "cut.pcap", "corrupt"), ("garbage", "garbage.pcap", "garbage.pcap"),
                               ("rawip", "rawip.pcap", "not Ethernet")]:
        out = os.path.join(tmp, "out-" + name)
        args = ["--policy", os.path.join(EX, "policy.json"),
                "--in", "vnic0=" + os.path.join(EX, "vnic0.pcap"),
                "--in", "uplink0=" + os.path.join(bad, file), "--out-dir", out]
        expect_failure(binary, tmp, name, args, needle, out)

    out = os.path.join(tmp, "out-unknown-port")
    expect_failure(binary, tmp, "unknown-port",
                   ["--policy", os.path.join(EX, "policy.json"),
                    "--in", "vnic7=" + os.path.join(EX, "vnic0.pcap"), "--out-dir", out],
                   'unknown port "vnic7"', out)

    out, args = ex("bad-policy", policy=os.path.join(bad, "vlan.json"))
    expect_failure(binary, tmp, "bad-policy", args, "invalid_argument: jobs[0].vpc.vlan", out)
    out, args = ex("not-json", policy=os.path.join(bad, "notjson.json"))
    expect_failure(binary, tmp, "not-json", args, "invalid_argument", out)
    out, args = ex("no-policy-file", policy=os.path.join(bad, "absent.json"))
    expect_failure(binary, tmp, "no-policy-file", args, "absent.json", out)

    # Unwritable out dirs: a regular file, and a directory no one (root
    # included) may create files in.
    r = run(binary, example_args(os.path.join(bad, "a-file")))
    check(r.returncode == 2 and "not a directory" in r.stderr, "out dir is a file: exit 2, says so")
    r = run(binary, example_args(os.path.join(bad, "a-file", "sub")))
    check(r.returncode == 2 and "--out-dir" in r.stderr, "out dir under a file: exit 2 (%s)" % r.stderr.strip())
    if os.path.isdir("/proc/self"):
        r = run(binary, example_args("/proc/self"))
        check(r.returncode == 2 and "not writable" in r.stderr,
              "unwritable out dir: exit 2, says so (%s)" % r.stderr.strip())

    # A failed run publishes nothing over an earlier complete run either: the
    # earlier outputs stay as they were, no temporary files appear.
    out = os.path.join(tmp, "out-earlier")
    r = run(binary, example_args(out))
    check(r.returncode == 0, "earlier run exits 0")
    before = {n: open(os.path.join(out, n), "rb").read() for n in os.listdir(out)}
    args = ["--policy", os.path.join(EX, "policy.json"),
            "--in", "vnic0=" + os.path.join(bad, "cut.pcap"), "--out-dir", out]
    r = run(binary, args)
    after = {n: open(os.path.join(out, n), "rb").read() for n in os.listdir(out)}
    check(r.returncode == 2 and before == after,
          "failed run over an earlier one: exit 2, earlier outputs untouched, no temporaries")

    # Usage errors.
    for name, args, needle in [
            ("no-args", [], "--policy"),
            ("dup-port", example_args(os.path.join(tmp, "o")) + ["--in", "vnic0=x.pcap"], "given twice"),
            ("bad-mtu", example_args(os.path.join(tmp, "o")) + ["--mtu", "20"], "--mtu"),
            ("bad-in", ["--policy", "p", "--in", "vnic0", "--out-dir", "o"], "PORT=FILE"),
            ("unknown-option", ["--bogus"], "bogus")]:
        r = run(binary, args)
        check(r.returncode == 2 and needle in r.stderr, "usage error %s: exit 2, says %r (%s)"
              % (name, needle, r.stderr.strip()))
    check(not os.path.exists(os.path.join(tmp, "o")), "usage errors create no out dir")


# ------------------------------------------------------------------ formats
def tshark_count(path):
    r = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.number"],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        return None
    return len([line for line in r.stdout.splitlines() if line.strip()])


def test_formats(binary, tmp):
    r = run(binary, ["--help"])
    check(r.returncode == 0 and "--out-dir" in r.stdout and "--policy" in r.stdout, "--help")
    r = run(binary, ["--version"])
    check(r.returncode == 0 and r.stdout.startswith("isoswitch-replay "), "--version: %s" % r.stdout.strip())

    out = os.path.join(tmp, "out-json")
    r = run(binary, example_args(out) + ["--json"])
    check(r.returncode == 0, "--json exits 0")
    try:
        s = json.loads(r.stdout)
    except ValueError as e:
        s = None
        check(False, "--json output parses (%s): %r" % (e, r.stdout[:200]))
    with open(os.path.join(out, "verdicts.jsonl")) as f:
        lines = [json.loads(line) for line in f]
    if s is not None:
        check([i["port"] for i in s["inputs"]] == INPUT_ORDER, "--json inputs in argument order")
        tot = s["total"]
        check(tot["frames"] == len(lines), "--json total frames == verdict lines")
        for v in ("forward", "reply", "drop"):
            check(tot[v] == sum(1 for line in lines if line["verdict"] == v), "--json total %s" % v)
        for inp in s["inputs"]:
            mine = [line for line in lines if line["in"] == inp["port"]]
            reasons = {}
            for line in mine:
                if line["verdict"] == "drop":
                    reasons[line["reason"]] = reasons.get(line["reason"], 0) + 1
            check(inp["frames"] == len(mine) and inp["reasons"] == reasons,
                  "--json %s frames and reasons agree with verdicts.jsonl" % inp["port"])
            check([line["index"] for line in mine] == list(range(len(mine))),
                  "%s indexes count frames of the file from 0" % inp["port"])
        for p in PORTS:
            n = sum(1 for line in lines if line.get("out") == p)
            check(s["outputs"][p] == n, "--json outputs[%s] == %d" % (p, n))
    for line in lines:
        keys = list(line.keys())
        want = ["in", "index", "verdict", "reason"] if line["verdict"] == "drop" else ["in", "index", "verdict", "out"]
        if keys != want:
            check(False, "verdict line keys %s" % keys)
            break

    if shutil.which("tshark"):
        for p in PORTS:
            n = tshark_count(os.path.join(out, p + ".pcap"))
            check(n == s["outputs"][p] if s else n is not None, "tshark -r %s.pcap reads %s frames" % (p, n))
    else:
        print("skip tshark checks: tshark not installed")

    # pcapng and nanosecond inputs give the same verdicts as the classic files.
    conv = os.path.join(tmp, "conv")
    os.mkdir(conv)
    ok = True
    if shutil.which("editcap"):
        for p in INPUT_ORDER:
            fmt = "pcapng" if p in ("vnic0", "uplink0") else "nsecpcap"
            rr = subprocess.run(["editcap", "-F", fmt, os.path.join(EX, p + ".pcap"),
                                 os.path.join(conv, p + ".pcap")], capture_output=True)
            ok = ok and rr.returncode == 0
    else:
        ok = False
    if ok:
        out3 = os.path.join(tmp, "out-conv")
        args = ["--policy", os.path.join(EX, "policy.json")]
        for p in INPUT_ORDER:
            args += ["--in", "%s=%s" % (p, os.path.join(conv, p + ".pcap"))]
        r = run(binary, args + ["--out-dir", out3])
        check(r.returncode == 0, "pcapng/nanosecond inputs: exit 0 (%s)" % r.stderr.strip())
        rc = pcap_compare.main(["pcap_compare", os.path.join(EX, "golden"), out3] + PORTS)
        check(rc == 0, "pcapng/nanosecond inputs give the golden outputs")
        with open(os.path.join(out3, "uplink0.pcap"), "rb") as f:
            magic = struct.unpack("<I", f.read(4))[0]
        check(magic == 0xA1B23C4D, "nanosecond inputs give nanosecond outputs")
    else:
        print("skip pcapng/nanosecond checks: editcap missing or failed")

    # No root needed: run as nobody when we are root.
    if os.geteuid() == 0 and shutil.which("setpriv"):
        nob = os.path.join(tmp, "nobody")
        os.mkdir(nob)
        os.chmod(tmp, 0o755)
        os.chown(nob, 65534, 65534)
        outn = os.path.join(nob, "out")
        env = dict(os.environ, HOME=nob, XDG_RUNTIME_DIR=nob)
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", binary]
                           + example_args(outn), capture_output=True, text=True, timeout=120, env=env)
        if r.returncode != 0 and "Permission denied" in r.stderr and "examples" in r.stderr:
            print("skip no-root check: the source tree is not readable by nobody")
        else:
            check(r.returncode == 0, "runs without root (as nobody): %s" % r.stderr.strip()[-300:])


def main(argv):
    if len(argv) != 3 or argv[2] not in ("golden", "errors", "formats"):
        print(__doc__)
        return 2
    binary = os.path.abspath(argv[1])
    tmp = tempfile.mkdtemp(prefix="replay-cli-")
    try:
        {"golden": test_golden, "errors": test_errors, "formats": test_formats}[argv[2]](binary, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("\n%d check(s) failed" % len(FAILURES))
        return 1
    print("\nall checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
