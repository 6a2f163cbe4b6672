#!/usr/bin/python3
"""Compare two sets of replay outputs packet by packet (not file bytes).

Usage: pcap_compare.py GOLDEN_DIR OUT_DIR PORT [PORT ...]

For each PORT, GOLDEN_DIR/PORT.pcap and OUT_DIR/PORT.pcap must hold the same
frames, byte for byte, with the same timestamps (compared in nanoseconds, so a
microsecond and a nanosecond file can match). verdicts.jsonl must match line
for line as JSON objects. Exit 0 when everything matches, 1 with a report.
"""
import json
import struct
import sys


def read_pcap(path):
    """Classic pcap only (what isoswitch-replay and make_example.py write)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError("%s: shorter than a pcap header" % path)
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    else:
        magic = struct.unpack(">I", data[:4])[0]
        end = ">"
        if magic not in (0xA1B2C3D4, 0xA1B23C4D):
            raise ValueError("%s: not a classic pcap file" % path)
    nano = magic == 0xA1B23C4D
    linktype = struct.unpack(end + "I", data[20:24])[0]
    if linktype != 1:
        raise ValueError("%s: link type %d, not Ethernet" % (path, linktype))
    frames, off = [], 24
    while off < len(data):
        if off + 16 > len(data):
            raise ValueError("%s: truncated record header at %d" % (path, off))
        sec, frac, caplen, length = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        if off + caplen > len(data):
            raise ValueError("%s: truncated frame at %d" % (path, off))
        ts = sec * 10**9 + (frac if nano else frac * 1000)
        frames.append((ts, data[off:off + caplen]))
        off += caplen
    return frames


def main(argv):
    if len(argv) < 4:
        print(__doc__)
        return 2
    golden, out, ports = argv[1], argv[2], argv[3:]
    bad = []
    for p in ports:
        g = read_pcap("%s/%s.pcap" % (golden, p))
        o = read_pcap("%s/%s.pcap" % (out, p))
        if len(g) != len(o):
            bad.append("%s.pcap: %d frames, golden has %d" % (p, len(o), len(g)))
        for i, ((gt, gb), (ot, ob)) in enumerate(zip(g, o)):
            if gt != ot:
                bad.append("%s.pcap frame %d: timestamp %d ns, golden %d ns" % (p, i, ot, gt))
            if gb != ob:
                bad.append("%s.pcap frame %d differs:\n   got    %s\n   golden %s" %
                           (p, i, ob.hex(), gb.hex()))
    with open("%s/verdicts.jsonl" % golden) as f:
        gv = [json.loads(line) for line in f if line.strip()]
    with open("%s/verdicts.jsonl" % out) as f:
        ov = [json.loads(line) for line in f if line.strip()]
    if len(gv) != len(ov):
        bad.append("verdicts.jsonl: %d lines, golden has %d" % (len(ov), len(gv)))
    for i, (a, b) in enumerate(zip(gv, ov)):
        if a != b:
            bad.append("verdicts.jsonl line %d: got %s, golden %s" % (i + 1, json.dumps(b), json.dumps(a)))
    for b in bad:
        print("MISMATCH " + b)
    if not bad:
        print("outputs match the golden files: %d verdicts, %d ports" % (len(gv), len(ports)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
