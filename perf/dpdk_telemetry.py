"""A minimal client for DPDK's telemetry socket (v2), for the throughput harness.

Why not dpdk-telemetry.py: we need the numbers in-process, many times a second,
from several DPDK programs (testpmd, isoswitchd, ovs-vswitchd); the protocol is
one SOCK_SEQPACKET message per command, JSON back.

Every DPDK process with telemetry on listens on
/var/run/dpdk/<file-prefix>/dpdk_telemetry.v2.
"""
import json
import os
import socket
import time

RUNTIME_DIR = "/var/run/dpdk"


def socket_path(file_prefix):
    return os.path.join(RUNTIME_DIR, file_prefix, "dpdk_telemetry.v2")


class Telemetry:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(5)
        self.sock.connect(path)
        info = json.loads(self.sock.recv(16384).decode())
        self.max_output = int(info.get("max_output_len", 16384))

    @classmethod
    def wait(cls, file_prefix, timeout_s, alive=lambda: True):
        """Connects once the process has created its socket (or gives up)."""
        path = socket_path(file_prefix)
        deadline = time.monotonic() + timeout_s
        last = None
        while time.monotonic() < deadline and alive():
            if os.path.exists(path):
                try:
                    return cls(path)
                except OSError as e:
                    last = e
            time.sleep(0.2)
        raise TimeoutError("no DPDK telemetry at %s (%s)" % (path, last))

    def query(self, cmd):
        self.sock.send(cmd.encode())
        reply = json.loads(self.sock.recv(self.max_output).decode())
        return reply.get(cmd.split(",")[0])

    def close(self):
        self.sock.close()

    def port_ids(self):
        return self.query("/ethdev/list") or []

    def port_name(self, pid):
        info = self.query("/ethdev/info,%d" % pid) or {}
        return info.get("name", "")

    def find_port(self, name_prefix):
        for pid in self.port_ids():
            if self.port_name(pid).startswith(name_prefix):
                return pid
        return None

    def stats(self, pid):
        return self.query("/ethdev/stats,%d" % pid) or {}
