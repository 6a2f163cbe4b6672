#!/usr/bin/env python3
"""Write the small committed seed corpora of the libFuzzer targets.

    python3 tests/fuzz/make_seeds.py     (standard library only)

corpus/pipeline: frames taken from the adversarial suite's captures
  (tests/adversarial/cases/), every 7th frame plus every forwarded/answered
  one, prefixed with the 4-byte header fuzz_pipeline.cc expects: port index
  (the adversarial policy's port order matches standard_ports() for ports
  0..5), flags (metadata tag off, MTU 1500, burst 1), TCI 0. A few get a
  metadata tag or burst 4.
corpus/policy: the standard policy and edits of it that exercise each
  validation area, plus broken JSON.
corpus/request: one file per operation of the control protocol.
Deterministic: rerunning rewrites identical files.
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "..", "adversarial", "cases")
PORTS = ["uplink0", "agent0", "vnic0", "vnic1", "vnic2", "vnic3"]


def read_pcap(path):
    data = open(path, "rb").read()
    off, out = 24, []
    while off < len(data):
        _, _, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


def write(dirname, name, data):
    d = os.path.join(HERE, "corpus", dirname)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def pipeline():
    expected = [json.loads(l) for l in open(os.path.join(CASES, "expected.jsonl"))]
    keep = {(e["in"], e["index"]) for i, e in enumerate(expected)
            if i % 7 == 0 or e["verdict"] != "drop"}
    n = 0
    for port_index, port in enumerate(PORTS):
        for i, frame in enumerate(read_pcap(os.path.join(CASES, port + ".pcap"))):
            if (port, i) not in keep or len(frame) > 2000:
                continue
            flags, tci = 0, 0
            if n % 11 == 3:
                flags, tci = 1, 101          # the VPC VLAN in metadata
            elif n % 11 == 7:
                flags = 3 << 2               # burst of 4
            write("pipeline", "%s-%03d" % (port, i), bytes([port_index, flags]) +
                  struct.pack("!H", tci) + frame)
            n += 1
    return n


def standard_policy():
    return json.load(open(os.path.join(CASES, "policy.json")))


def policy():
    p = standard_policy()
    write("policy", "standard.json", json.dumps(p))
    q = json.loads(json.dumps(p))
    q["jobs"][0]["vpc"]["vlan"] = 5000
    write("policy", "bad-vlan.json", json.dumps(q))
    q = json.loads(json.dumps(p))
    q["vnics"][1]["ip"] = q["vnics"][0]["ip"]
    write("policy", "dup-ip.json", json.dumps(q))
    q = json.loads(json.dumps(p))
    q["jobs"][1]["peers"].append("::ffff:10.3.0.9")
    write("policy", "mapped-v6.json", json.dumps(q))
    q = json.loads(json.dumps(p))
    del q["host"]["agent"]
    write("policy", "no-agent.json", json.dumps(q))
    write("policy", "minimal.json", json.dumps({"version": 1, "host": p["host"], "jobs": [],
                                                "vnics": []}))
    write("policy", "deep.json", "[" * 40 + "]" * 40)
    write("policy", "dupkey.json", '{"version":1,"version":2}')
    write("policy", "utf8.json", b'{"version":1,"jobs":[{"id":"\xff\xfe"}]}')
    return 9


def request():
    p = standard_policy()
    reqs = {
        "ping": {"op": "ping", "id": 1},
        "get": {"op": "policy.get"},
        "stats": {"op": "stats"},
        "ports": {"op": "ports"},
        "apply": {"op": "policy.apply", "policy": p, "expect_generation": 1},
        "job-upsert": {"op": "job.upsert", "job": {"id": "train-d", "isolated": True,
                                                   "peers": ["10.4.0.2", "10.4.1.2"]}},
        "vnic-upsert": {"op": "vnic.upsert", "vnic": {"id": "d-0", "port": "vnic9",
                                                      "mac": "02:00:00:04:00:02",
                                                      "ip": "10.4.0.2", "job": "train-d"}},
        "job-delete": {"op": "job.delete", "job": "train-a"},
        "vnic-delete": {"op": "vnic.delete", "vnic": "a-1"},
        "txn": {"op": "txn", "ops": [{"op": "job.upsert", "job": {"id": "x", "isolated": True,
                                                                    "peers": ["10.9.0.1"]}},
                                     {"op": "job.delete", "job": "x"}]},
        "explain": {"op": "explain", "vnic": "a-0", "dst": "10.1.0.12", "proto": "tcp",
                    "dport": 443},
        "explain-uplink": {"op": "explain", "from": "uplink", "src": "10.3.1.9",
                           "dst": "10.1.0.11"},
    }
    for name, r in reqs.items():
        write("request", name, json.dumps(r, separators=(",", ":")))
    write("request", "pipelined", '{"op":"ping"}\n{"op":"job.delete","job":"infer-b"}\n'
                                  '{"op":"policy.get"}')
    write("request", "deep", '{"op":' + "[" * 64 + "]" * 64 + "}")
    return len(reqs) + 2


if __name__ == "__main__":
    print("seeds: pipeline %d, policy %d, request %d" % (pipeline(), policy(), request()))
