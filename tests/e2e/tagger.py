#!/usr/bin/python3
"""Userspace 802.1Q tagger: the VPC gateway's VLAN termination.

This kernel has no 802.1Q devices, so a namespace cannot sit behind a VLAN with
kernel tools. This process bridges one VLAN between a trunk interface (on the
uplink-side Linux bridge, where the switch's uplink and the underlay live) and
an access interface (a veth into the VPC namespace):

  trunk --(tag VID, stripped)--> access      (other VLANs and untagged: ignored)
  access --(tag VID added)-----> trunk

The kernel strips a received tag into skb metadata before a packet socket sees
the frame, so the tag is read from PACKET_AUXDATA (tp_vlan_tci with
TP_STATUS_VLAN_VALID); an inline 0x8100 tag (no stripping) is handled too.
Frames this host sends itself (PACKET_OUTGOING) are skipped.

Counters (frames each way, by kind) are written as JSON to --stats on SIGTERM
and every second, so the e2e suite can prove traffic crossed *tagged*.

Usage: tagger.py --trunk IF --access IF --vid N --stats FILE
Thread-safety: single-threaded poll loop.
"""
import argparse
import json
import os
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 1 << 4
PACKET_OUTGOING = 4
AUX_FMT = "IIIHHHH"  # struct tpacket_auxdata
AUX_LEN = struct.calcsize(AUX_FMT)
VLAN_TPIDS = (0x8100, 0x88A8)


def open_packet_socket(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.setblocking(False)
    return s


def recv_frame(s):
    """Returns (frame, tci or None, outgoing) for one received frame."""
    data, anc, _flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(AUX_LEN))
    outgoing = addr[2] == PACKET_OUTGOING
    tci = None
    for level, ctype, cdata in anc:
        if level == SOL_PACKET and ctype == PACKET_AUXDATA and len(cdata) >= AUX_LEN:
            status, _l, _s, _m, _n, vtci, _tpid = struct.unpack(AUX_FMT, cdata[:AUX_LEN])
            if status & TP_STATUS_VLAN_VALID:
                tci = vtci
    return data, tci, outgoing


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trunk", required=True)
    ap.add_argument("--access", required=True)
    ap.add_argument("--vid", type=int, required=True)
    ap.add_argument("--stats", required=True)
    a = ap.parse_args()

    trunk = open_packet_socket(a.trunk)
    access = open_packet_socket(a.access)
    stats = {"to_access": 0, "to_trunk": 0, "trunk_meta_tag": 0, "trunk_inline_tag": 0,
             "trunk_other_vlan": 0, "trunk_untagged": 0}
    running = [True]

    def write_stats():
        tmp = a.stats + ".tmp"
        with open(tmp, "w") as f:
            json.dump(stats, f)
        os.replace(tmp, a.stats)

    def on_term(_sig, _frm):
        running[0] = False

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    poller = select.poll()
    poller.register(trunk, select.POLLIN)
    poller.register(access, select.POLLIN)
    last = 0.0
    write_stats()
    print(f"tagger: {a.trunk} <-> {a.access} vid {a.vid}", flush=True)
    while running[0]:
        for fd, _ev in poller.poll(200):
            if fd == trunk.fileno():
                try:
                    frame, tci, outgoing = recv_frame(trunk)
                except BlockingIOError:
                    continue
                if outgoing or len(frame) < 14:
                    continue
                if tci is not None:
                    kind = "trunk_meta_tag"
                else:
                    (etype,) = struct.unpack_from("!H", frame, 12)
                    if etype in VLAN_TPIDS and len(frame) >= 18:
                        (tci,) = struct.unpack_from("!H", frame, 14)
                        frame = frame[:12] + frame[16:]
                        kind = "trunk_inline_tag"
                    else:
                        stats["trunk_untagged"] += 1
                        continue
                if tci & 0x0FFF != a.vid:
                    stats["trunk_other_vlan"] += 1
                    continue
                stats[kind] += 1
                stats["to_access"] += 1
                access.send(frame)
            else:
                try:
                    frame, _tci, outgoing = recv_frame(access)
                except BlockingIOError:
                    continue
                if outgoing or len(frame) < 14:
                    continue
                tagged = frame[:12] + struct.pack("!HH", 0x8100, a.vid) + frame[12:]
                stats["to_trunk"] += 1
                trunk.send(tagged)
        now = time.monotonic()
        if now - last > 1.0:
            write_stats()
            last = now
    write_stats()
    return 0


if __name__ == "__main__":
    sys.exit(main())
