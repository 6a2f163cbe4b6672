#!/usr/bin/python3
"""A TCP stream whose every byte is checked: the "no allowed frame is lost during a
policy update" probe.

The stream is a sequence of 64-byte records; record k is the 8-byte big-endian k
repeated 8 times, so a lost, duplicated or reordered byte range shows as a mismatch
at a known offset (TCP hides loss by retransmitting, so the receiver also records
the longest silence between two reads: a retransmission timeout shows as a gap of
>= 200 ms).

  stream.py recv --port P --out FILE [--accept-timeout S]
  stream.py send --dst IP --port P --stop-file F --max-seconds S [--rate BYTES_PER_S]

Both print/write a JSON summary. Thread-safety: single-threaded.
"""
import argparse
import json
import os
import socket
import struct
import sys
import time

RECORD = 64
CHUNK_RECORDS = 256  # 16 KiB per send


def expected(first_record, n_records):
    return b"".join(struct.pack(">Q", k) * 8 for k in range(first_record, first_record + n_records))


def do_recv(a):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", a.port))
    ls.listen(1)
    ls.settimeout(a.accept_timeout)
    summary = {"bytes": 0, "mismatch_at": None, "max_gap": 0.0, "eof": False, "error": None}
    try:
        conn, _ = ls.accept()
        conn.settimeout(a.read_timeout)
        pending = b""
        next_record = 0
        last = None
        while True:
            data = conn.recv(65536)
            now = time.monotonic()
            if last is not None:
                summary["max_gap"] = max(summary["max_gap"], now - last)
            last = now
            if not data:
                summary["eof"] = True
                break
            summary["bytes"] += len(data)
            pending += data
            n = len(pending) // RECORD
            if n and summary["mismatch_at"] is None:
                want = expected(next_record, n)
                if pending[: n * RECORD] != want:
                    first = next(i for i in range(n * RECORD) if pending[i] != want[i])
                    summary["mismatch_at"] = next_record * RECORD + first
            pending = pending[n * RECORD:]
            next_record += n
        if pending and summary["mismatch_at"] is None:
            summary["mismatch_at"] = next_record * RECORD  # a torn record at EOF
    except OSError as e:
        summary["error"] = f"{type(e).__name__}: {e}"
    with open(a.out, "w") as f:
        json.dump(summary, f)
    return 0


def do_send(a):
    s = socket.create_connection((a.dst, a.port), timeout=10)
    s.settimeout(10)
    start = time.monotonic()
    sent = 0
    record = 0
    error = None
    try:
        while time.monotonic() - start < a.max_seconds and not os.path.exists(a.stop_file):
            s.sendall(expected(record, CHUNK_RECORDS))
            record += CHUNK_RECORDS
            sent += CHUNK_RECORDS * RECORD
            ahead = sent / a.rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
        s.shutdown(socket.SHUT_WR)
        s.settimeout(10)
        while s.recv(4096):
            pass
    except OSError as e:
        error = f"{type(e).__name__}: {e}"
    s.close()
    print(json.dumps({"bytes": sent, "seconds": time.monotonic() - start, "error": error}))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("recv")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--accept-timeout", type=float, default=30)
    r.add_argument("--read-timeout", type=float, default=20)
    s = sub.add_parser("send")
    s.add_argument("--dst", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--stop-file", required=True)
    s.add_argument("--max-seconds", type=float, default=120)
    s.add_argument("--rate", type=float, default=2_000_000)
    a = ap.parse_args()
    return do_recv(a) if a.mode == "recv" else do_send(a)


if __name__ == "__main__":
    sys.exit(main())
