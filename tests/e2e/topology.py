"""The e2e topology: one host's isoswitch between containers, the transfer agent,
the underlay and a VPC gateway behind VLAN 101 — all in network namespaces.

                          namespace <p>-sw  (the "host"; isoswitchd runs here)
  +------------------------------------------------------------------------------+
  |                                                                              |
  |   isoswitchd (DPDK, net_af_packet on the host-side veth ends)                |
  |     uplink0=upl  agent0=ag   vnic0=v0 ... vnic4=v4                           |
  |       |             |          |           |                                 |
  |      upl           ag         v0   ...    v4     (no address, IPv6 off)      |
  |       |             |          |           |                                 |
  |      upb           eth0       eth0        eth0                               |
  |       |          [<p>-ag]    [<p>-a0] ... [<p>-c1]   containers / agent       |
  |   +---+---------------------+                                                |
  |   |  br0 (Linux bridge, no VLAN filtering: tagged + untagged frames)         |
  |   +---+--------------+------+                                                |
  |      ulb            tgb                                                      |
  |       |              |                                                       |
  |       |             tg ==[tagger.py: VLAN 101 <-> untagged]== vt             |
  |       |                                                      |               |
  +-------|------------------------------------------------------|---------------+
         eth0 [<p>-ul] underlay: next hop, remote peer,       eth0 [<p>-vpc]
              internet, S3 (public), metadata, DNS                 VPC gateway + S3 endpoint

Addresses (see base_policy() below): containers 10.x, gateway 169.254.1.1, underlay
192.0.2.0/24, internet 198.51.100.0/24, S3 52.216.8.1 (public copy in the
underlay, VPC copy behind the tagger: different contents), VPC 172.31.5.0/24.

Everything is created under unique names (a random prefix per run) and
destroyed by `teardown()`, which the runner calls on every exit path.

Thread-safety: one Topology per run, driven by the runner's thread.
"""
import json
import os
import random
import shutil
import string
import tempfile
import time

import netns
from netns import CmdError, nsrun, nssh, run

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"  # Debian's python: has what the helpers need

GATEWAY_MAC = "02:fe:00:00:00:01"
GATEWAY_IP = "169.254.1.1"
UPLINK_MAC = "02:00:00:00:aa:01"
UPLINK_IP = "192.0.2.10"
UNDERLAY_MAC = "02:00:00:00:aa:fe"      # the policy's next_hop_mac
AGENT_MAC = "02:00:00:00:cc:01"
AGENT_SERVICE_IP = "192.0.2.11"
VPC_VLAN = 101
VPC_GW_MAC = "02:00:00:00:bb:fe"
VPC_AGENT_IP = "172.31.5.10"
VPC_GW_IP = "172.31.5.1"
S3_IP = "52.216.8.1"                    # in train-a's VPC prefixes
INTERNET_IP = "198.51.100.7"
DNS_IP = "198.51.100.53"
METADATA_IP = "169.254.169.254"
UNDERLAY_IP = "192.0.2.1"
REMOTE_PEER_IP = "10.1.1.21"            # a train-a container on "another host"
SPARE_REMOTE_IP = "10.1.1.22"           # becomes a peer during the policy tests

# train-c's containers also carry IPv6 (E10: ND for peers answered, unicast
# forwarded); every other container has IPv6 off (its v6 frames: ipv6_disabled).
IPV6 = {"c-0": "fd00:3::7", "c-1": "fd00:3::8"}

# name, port, mac, ip, job
VNICS = [
    ("a-0", "vnic0", "02:00:00:01:00:11", "10.1.0.11", "train-a"),
    ("a-1", "vnic1", "02:00:00:01:00:12", "10.1.0.12", "train-a"),
    ("b-0", "vnic2", "02:00:00:02:00:05", "10.2.0.5", "infer-b"),
    ("c-0", "vnic3", "02:00:00:03:00:07", "10.3.0.7", "train-c"),
    ("c-1", "vnic4", "02:00:00:03:00:08", "10.3.0.8", "train-c"),
]


def base_policy():
    """The policy the daemon starts with (docs/policy.md format)."""
    return {
        "version": 1,
        "host": {
            "gateway_mac": GATEWAY_MAC,
            "gateway_ip": GATEWAY_IP,
            "uplink": {"port": "uplink0", "mac": UPLINK_MAC, "ip": UPLINK_IP,
                       "next_hop_mac": UNDERLAY_MAC},
            "agent": {"port": "agent0", "mac": AGENT_MAC, "service_ip": AGENT_SERVICE_IP},
        },
        "jobs": [
            {"id": "train-a", "isolated": True,
             "peers": ["10.1.0.11", "10.1.0.12", REMOTE_PEER_IP],
             "vpc": {"vlan": VPC_VLAN, "gateway_mac": VPC_GW_MAC, "agent_ip": VPC_AGENT_IP,
                     "prefixes": ["52.216.0.0/15", "3.5.0.0/16"]}},
            {"id": "infer-b", "isolated": False, "peers": ["10.2.0.5"]},
            {"id": "train-c", "isolated": True,
             "peers": ["10.3.0.7", "10.3.0.8", IPV6["c-0"], IPV6["c-1"]]},
        ],
        "vnics": [dict({"id": i, "port": p, "mac": m, "ip": ip, "job": j},
                       **({"ipv6": IPV6[i]} if i in IPV6 else {}))
                  for (i, p, m, ip, j) in VNICS],
    }


def _suffix():
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(5))


class Topology:
    def __init__(self, isoswitchd, isoswitchctl, log=print):
        self.isoswitchd = isoswitchd
        self.isoswitchctl = isoswitchctl
        self.log = log
        self.prefix = f"isw{_suffix()}"
        self.work = tempfile.mkdtemp(prefix=f"{self.prefix}-e2e-")
        self.namespaces = []
        self.procs = {}           # name -> Popen
        self.daemon = None
        self.socket = os.path.join(self.work, "control.sock")
        self.state = os.path.join(self.work, "state.json")
        self.policy_file = os.path.join(self.work, "policy.json")
        self.file_prefix = f"{self.prefix}-e2e"

    # ---- names ----------------------------------------------------------
    def ns(self, short):
        return f"{self.prefix}-{short}"

    @property
    def sw(self):
        return self.ns("sw")

    def vnic_ns(self, vnic_id):
        return self.ns(vnic_id.replace("-", ""))

    # ---- building -------------------------------------------------------
    def _add_ns(self, short):
        name = self.ns(short)
        run(["ip", "netns", "add", name])
        self.namespaces.append(name)
        # New interfaces in this namespace start with IPv6 off: no DAD, RS or MLD
        # frames that would land in the switch's counters.
        nssh(name, "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                   "net.ipv6.conf.default.disable_ipv6=1; ip link set lo up")
        return name

    def _veth(self, ns_a, if_a, ns_b, if_b):
        run(["ip", "link", "add", if_a, "netns", ns_a, "type", "veth",
             "peer", "name", if_b, "netns", ns_b])
        for ns, ifn in ((ns_a, if_a), (ns_b, if_b)):
            nssh(ns, f"sysctl -qw net.ipv6.conf.{ifn}.disable_ipv6=1; "
                     f"ip link set {ifn} mtu 1500")

    def _endpoint(self, ns, mac, addrs, routes, neighs=()):
        """Configures eth0 in ns: MAC, /32 or /24 addresses, routes, tx csum off."""
        cmds = [f"ip link set eth0 address {mac}"]
        cmds += [f"ip addr add {a} dev eth0" for a in addrs]
        cmds += ["ip link set eth0 up",
                 # veth leaves TCP checksums to "hardware": nobody fills them
                 # across a userspace switch.
                 "ethtool -K eth0 tx off >/dev/null"]
        cmds += [f"ip route add {r}" for r in routes]
        cmds += [f"ip neigh replace {n}" for n in neighs]
        nssh(ns, "; ".join(cmds))

    def build(self):
        sw = self._add_ns("sw")
        for short in ("ul", "vpc", "ag"):
            self._add_ns(short)
        for (vid, *_rest) in VNICS:
            self._add_ns(vid.replace("-", ""))

        # The uplink side: a bridge joining the switch's uplink, the underlay and
        # the tagger's trunk.
        nssh(sw, "ip link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0; "
                 "sysctl -qw net.ipv6.conf.br0.disable_ipv6=1; ip link set br0 up")
        self._veth(sw, "upl", sw, "upb")
        self._veth(sw, "ulb", self.ns("ul"), "eth0")
        self._veth(sw, "tg", sw, "tgb")
        self._veth(sw, "vt", self.ns("vpc"), "eth0")
        self._veth(sw, "ag", self.ns("ag"), "eth0")
        for n, (vid, *_rest) in enumerate(VNICS):
            self._veth(sw, f"v{n}", self.vnic_ns(vid), "eth0")
        nssh(sw, "for i in upb ulb tgb; do ip link set $i master br0; done; "
                 "for i in upl upb ulb tg tgb vt ag " +
                 " ".join(f"v{n}" for n in range(len(VNICS))) +
                 "; do ip link set $i up; done; ip link set tg promisc on; "
                 "ip link set vt promisc on")

        # Containers: /32 address, peers of the job on-link (ARP answered by the
        # switch, E3a), everything else via the gateway 169.254.1.1 (E3b).
        peer_net = {"train-a": "10.1.0.0/16", "infer-b": "10.2.0.0/16",
                    "train-c": "10.3.0.0/16"}
        for (vid, _port, mac, ip, job) in VNICS:
            self._endpoint(self.vnic_ns(vid), mac, [f"{ip}/32"],
                           [f"{peer_net[job]} dev eth0",
                            f"default via {GATEWAY_IP} dev eth0 onlink"])
            if vid in IPV6:
                # Only the configured address: no link-local, no DAD, no RS, so
                # the ND the switch sees is the NS for a peer.
                nssh(self.vnic_ns(vid),
                     "sysctl -qw net.ipv6.conf.eth0.addr_gen_mode=1 "
                     "net.ipv6.conf.eth0.accept_dad=0 net.ipv6.conf.eth0.accept_ra=0 "
                     "net.ipv6.conf.eth0.router_solicitations=0 "
                     "net.ipv6.conf.eth0.disable_ipv6=0; "
                     f"ip -6 addr add {IPV6[vid]}/64 dev eth0 nodad")

        # Underlay: next hop, remote peer, internet, public S3, metadata, DNS.
        # Container subnets and the agent are reached through the switch (its
        # uplink answers ARP for them, U4).
        self._endpoint(self.ns("ul"), UNDERLAY_MAC,
                       [f"{UNDERLAY_IP}/24", f"{REMOTE_PEER_IP}/32", f"{SPARE_REMOTE_IP}/32",
                        f"{INTERNET_IP}/32", f"{DNS_IP}/32", f"{METADATA_IP}/32",
                        f"{S3_IP}/32"],
                       ["10.0.0.0/8 dev eth0"])

        # VPC gateway: the customer subnet with its S3 endpoint (same address as
        # the public S3, different content: which copy arrives proves the path).
        self._endpoint(self.ns("vpc"), VPC_GW_MAC, [f"{VPC_GW_IP}/24", f"{S3_IP}/32"], [])

        # Transfer agent: service IP (A2) and train-a's VPC agent IP (A1).
        # Each destination is on-link, so the agent ARPs it from the right
        # source address (A5).
        self._endpoint(self.ns("ag"), AGENT_MAC,
                       [f"{AGENT_SERVICE_IP}/32", f"{VPC_AGENT_IP}/32"],
                       [f"52.216.0.0/15 dev eth0 src {VPC_AGENT_IP}",
                        f"default dev eth0 scope link src {AGENT_SERVICE_IP}"])

        self._start_services()

    def _write(self, rel, data):
        path = os.path.join(self.work, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def _start_services(self):
        # Distinct, verifiable payloads per server.
        self.files = {
            "internet": random.randbytes(50_000),
            "s3_public": b"S3-PUBLIC:" + random.randbytes(200_000),
            "s3_vpc": b"S3-VPC:" + random.randbytes(200_000),
            "peer": random.randbytes(300_000),
        }
        self._write("www-ul/data.bin", self.files["internet"])
        self._write("www-ul/model.bin", self.files["s3_public"])
        self._write("www-ul/peer.bin", self.files["peer"])
        self._write("www-vpc/model.bin", self.files["s3_vpc"])
        self._write("www-c/peer.bin", self.files["peer"])
        self.udp_log = os.path.join(self.work, "udp-ul.log")
        open(self.udp_log, "w").close()
        self.spawn("svc-ul", self.ns("ul"),
                   [PY, f"{HERE}/services.py", "--http", f"80:{self.work}/www-ul",
                    "--udp", f"53:{self.udp_log}"])
        self.spawn("svc-vpc", self.ns("vpc"),
                   [PY, f"{HERE}/services.py", "--http", f"80:{self.work}/www-vpc"])
        for (vid, *_r) in VNICS:
            self.spawn(f"svc-{vid}", self.vnic_ns(vid),
                       [PY, f"{HERE}/services.py", "--http", f"8080:{self.work}/www-c"])
        self.tagger_stats = os.path.join(self.work, "tagger.json")
        self.spawn("tagger", self.sw,
                   [PY, f"{HERE}/tagger.py", "--trunk", "tg", "--access", "vt",
                    "--vid", str(VPC_VLAN), "--stats", self.tagger_stats])

    def spawn(self, name, ns, argv):
        log = os.path.join(self.work, f"{name}.log")
        if os.path.exists(log):  # a restarted process keeps its earlier log
            os.replace(log, log + f".{int(time.time() * 1000)}")
        self.procs[name] = netns.spawn(ns, argv, log)
        return self.procs[name]

    def stop_daemon(self, timeout=20.0):
        """SIGTERM; returns the exit status (the daemon must exit 0)."""
        p = self.daemon
        p.terminate()
        try:
            return p.wait(timeout=timeout)
        except Exception:  # noqa: BLE001 - escalate, then report
            netns.stop(p)
            return None

    # ---- the switch -----------------------------------------------------
    def daemon_argv(self, with_policy=True):
        ports = [("uplink0", "upl", "uplink"), ("agent0", "ag", "agent")]
        ports += [(p, f"v{n}", "vnic") for n, (_i, p, *_r) in enumerate(VNICS)]
        argv = [self.isoswitchd]
        for n, (name, ifn, role) in enumerate(ports):
            argv += ["--port", f"{name}=net_af_packet{n},iface={ifn}:{role}"]
        argv += ["--workers", "1", "--socket", self.socket, "--state", self.state]
        if with_policy:
            argv += ["--policy", self.policy_file]
        argv += ["--mtu", "1500", "--",
                 "--no-huge", "-m", "256", "--no-pci", f"--file-prefix={self.file_prefix}",
                 "-l", "0-1", "--log-level=4"]
        return argv

    def start_daemon(self, with_policy=True, timeout=45.0):
        """Starts isoswitchd and waits until its control socket answers.

        Without a policy (and no state file yet) it must come up fail-closed;
        the suite then applies the document over the socket.
        """
        with open(self.policy_file, "w") as f:
            json.dump(base_policy(), f, indent=1)
        self.daemon = self.spawn("isoswitchd", self.sw, self.daemon_argv(with_policy))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.daemon.poll() is not None:
                raise CmdError(f"isoswitchd exited with {self.daemon.returncode}:\n"
                               + self.tail("isoswitchd"))
            if os.path.exists(self.socket) and self.ctl(["ping"], check=False).returncode == 0:
                return
            time.sleep(0.3)
        raise CmdError(f"isoswitchd not answering ping after {timeout}s:\n"
                       + self.tail("isoswitchd"))

    def ctl(self, args, check=True, input=None, timeout=20.0):
        return run([self.isoswitchctl, "--socket", self.socket] + list(args),
                   check=check, input=input, timeout=timeout)

    def stats(self):
        reply = json.loads(self.ctl(["stats", "--json"]).stdout)
        for key in ("stats", "result"):
            if isinstance(reply, dict) and "ports" not in reply and key in reply:
                reply = reply[key]
        return reply

    def tail(self, name, lines=40):
        path = os.path.join(self.work, f"{name}.log")
        try:
            with open(path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"

    # ---- teardown -------------------------------------------------------
    def teardown(self, keep_work=False):
        if self.daemon is not None:
            netns.stop(self.daemon, timeout=10)
        for name, p in list(self.procs.items()):
            netns.stop(p)
        for name in reversed(self.namespaces):
            run(["ip", "netns", "del", name], check=False, timeout=20)
        self.namespaces = []
        shutil.rmtree(f"/var/run/dpdk/{self.file_prefix}", ignore_errors=True)
        if not keep_work:
            shutil.rmtree(self.work, ignore_errors=True)
