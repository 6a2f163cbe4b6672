"""Running a real isoswitchd for the security and soak tests (stdlib only).

Daemon(isoswitchd, workdir, policy) starts the daemon on DPDK vdevs that need
neither root nor a NIC: the uplink replays a capture forever (net_pcap,
infinite_rx=1), every other port is a net_null sink. The control socket,
state file and log live in `workdir`. Helpers talk the control protocol
(one JSON line each way), read counters, and read DPDK's own telemetry
socket (/mempool/info) for the mbuf pool's in-use count.

Thread-safety: a Daemon belongs to the thread that made it; request() opens a
fresh connection per call and may be used from any thread.
"""

import ipaddress
import json
import os
import signal
import socket
import struct
import subprocess
import time

UP_MAC = "02:00:00:00:aa:01"
ROUTER = "02:00:00:00:aa:fe"


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ipv4_frame(src_mac, dst_mac, src, dst, payload=b"\x08\x00\xf7\xff\x00\x00\x00\x00"):
    """An Ethernet + IPv4 frame (ICMP echo by default), header checksum filled, padded to 60."""
    tl = 20 + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tl, 1, 0, 64, 1, 0,
                      ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed)
    s = sum(struct.unpack("!10H", hdr))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    hdr = hdr[:10] + struct.pack("!H", ~s & 0xFFFF) + hdr[12:]
    f = mac(dst_mac) + mac(src_mac) + b"\x08\x00" + hdr + payload
    return f + b"\x00" * max(0, 60 - len(f))


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000, i, len(fr), len(fr)))
            f.write(fr)


def uplink_traffic():
    """What the uplink replays: two allowed (U1, U2) and one refused frame."""
    return [ipv4_frame(ROUTER, UP_MAC, "10.1.1.21", "10.1.0.11"),      # U1 -> vnic0
            ipv4_frame(ROUTER, UP_MAC, "93.184.216.34", "10.2.0.5"),   # U2 -> vnic3
            ipv4_frame(ROUTER, UP_MAC, "8.8.8.8", "10.1.0.12")]        # U5 not_peer_inbound


class Daemon:
    def __init__(self, isoswitchd, workdir, policy_file=None, traffic=None, extra=(), name="d"):
        self.bin = isoswitchd
        self.dir = workdir
        self.sock = os.path.join(workdir, "control.sock")
        self.state = os.path.join(workdir, "state.json")
        self.logpath = os.path.join(workdir, name + ".log")
        self.prefix = "isoswitch-sec-%d-%s" % (os.getpid(), name)
        self.policy_file = policy_file
        self.traffic = traffic if traffic is not None else uplink_traffic()
        self.extra = list(extra)
        self.proc = None

    def args(self):
        up = os.path.join(self.dir, "uplink.in.pcap")
        write_pcap(up, self.traffic)
        a = [self.bin, "--port", "uplink0=net_pcap_up,rx_pcap=%s,infinite_rx=1:uplink" % up]
        for k, p in enumerate(["agent0", "vnic0", "vnic1", "vnic2", "vnic3"]):
            a += ["--port", "%s=net_null%d,no-rx=1:%s" % (p, k, "agent" if p == "agent0" else "vnic")]
        a += ["--workers", "1", "--socket", self.sock, "--state", self.state]
        if self.policy_file:
            a += ["--policy", self.policy_file]
        a += self.extra
        a += ["--", "-l", "0-1", "--no-huge", "-m", "256", "--no-pci",
              "--file-prefix=" + self.prefix]
        return a

    def start(self, timeout=60):
        self.log = open(self.logpath, "ab")
        self.proc = subprocess.Popen(self.args(), stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("isoswitchd exited %d at start:\n%s" % (self.proc.returncode, self.log_text()))
            try:
                if self.request({"op": "ping"}).get("ok"):
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("isoswitchd did not answer within %ds:\n%s" % (timeout, self.log_text()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode(errors="replace")[-6000:]
        except OSError:
            return ""

    def request(self, req, timeout=30):
        """One request on a fresh connection; the reply as JSON."""
        line = req if isinstance(req, (bytes, str)) else json.dumps(req)
        if isinstance(line, str):
            line = line.encode()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(self.sock)
            s.sendall(line + b"\n")
            buf = b""
            while b"\n" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
        return json.loads(buf.split(b"\n")[0])

    def generation(self):
        return self.request({"op": "policy.get"}).get("generation")

    def stats(self):
        return self.request({"op": "stats"})

    def port(self, name, st=None):
        st = st or self.stats()
        for p in st["ports"]:
            if p["name"] == name:
                return p
        raise KeyError(name)

    def telemetry(self, cmd):
        """A DPDK telemetry command's reply (JSON), or None when unavailable."""
        path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % self.prefix
        if not os.path.exists(path):
            path = os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk", self.prefix,
                                "dpdk_telemetry.v2")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
                s.settimeout(5)
                s.connect(path)
                s.recv(16384)  # the greeting
                s.send(cmd.encode())
                return json.loads(s.recv(1 << 20))
        except (OSError, ValueError):
            return None

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if not self.alive():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()
