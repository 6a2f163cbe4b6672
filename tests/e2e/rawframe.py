#!/usr/bin/python3
"""Sends one crafted Ethernet frame COUNT times on IFACE (raw AF_PACKET socket).

The e2e suite uses it for frames a container's kernel would never send by itself
(IPv6 with IPv6 disabled, a spoofed source, an 802.1Q tag, LLDP), to check the
switch's per-reason drop counters exactly.

Usage: rawframe.py IFACE HEXFRAME COUNT [GAP_SECONDS]
"""
import socket
import sys
import time


def main():
    iface, hexframe, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    gap = float(sys.argv[4]) if len(sys.argv) > 4 else 0.02
    frame = bytes.fromhex(hexframe)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for _ in range(count):
        s.send(frame)
        time.sleep(gap)
    return 0


if __name__ == "__main__":
    sys.exit(main())
