"""A private OVS-DPDK instance for the throughput harness, with an OpenFlow
policy equivalent to an isoswitch policy document.

Everything lives in one scratch directory (database, sockets, logs): the
harness never touches a system OVS. Debian's `openvswitch-switch-dpdk`
installs the DPDK build as /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
(the /usr/sbin/ovs-vswitchd alternative may point to the non-DPDK build), so
that binary is run directly; its control socket is then named
`ovs-vswitchd-dpdk.<pid>.ctl` in the run directory.

Ports: the same vdevs as isoswitchd (the uplink = net_pcap with the mix and
infinite_rx=1, vNICs = net_null with no-rx=1), probed by OVS itself through
`options:dpdk-devargs`. One PMD thread on lcore 1 (pmd-cpu-mask=0x2), the
main thread on lcore 0, like testpmd and isoswitchd.

The OpenFlow policy (per-vNIC in_port + source check, per-job peer allowlist,
default drop), what isoswitch's U1/E1/E5/E6/E7 do:
  table 0  uplink: frames from a local vNIC's address drop (spoofed_src);
           IPv4 to the uplink MAC and a local vNIC's IP -> reg0 = job,
           reg1 = the vNIC's OpenFlow port, MACs rewritten, go to table 1;
           vNIC port: its MAC + IPv4 source -> reg0 = job, go to table 2;
           anything else drops (priority 0).
  table 1  reg0 = job and IPv4 source in the job's peer set -> output reg1.
  table 2  reg0 = job and IPv4 destination a local peer -> that vNIC (MACs
           rewritten); a remote peer -> the uplink (MACs rewritten).
ARP answers and the non-isolated/VPC rules are not modelled (the traffic
has none).
"""
import json
import os
import shutil
import signal
import subprocess
import time

VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"


def installed():
    return os.access(VSWITCHD, os.X_OK) and shutil.which("ovsdb-server") is not None


class OvsDpdk:
    def __init__(self, work, prefix, huge):
        self.dir = os.path.join(work, prefix)
        os.makedirs(self.dir, exist_ok=True)
        self.prefix, self.huge = prefix, huge
        self.db = "unix:" + os.path.join(self.dir, "db.sock")
        self.env = dict(os.environ, OVS_RUNDIR=self.dir, OVS_LOGDIR=self.dir, OVS_DBDIR=self.dir,
                        OVS_SYSCONFDIR=self.dir, OVS_PKGDATADIR="/usr/share/openvswitch")
        self.dbserver = None
        self.vswitchd = None
        self.nvnics = 0

    def _run(self, *cmd, timeout=60):
        r = subprocess.run(list(cmd), env=self.env, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("%s: %s" % (" ".join(cmd)[:200], r.stderr.strip()[:500]))
        return r.stdout

    def vsctl(self, *args, wait=True):
        base = ["ovs-vsctl", "--db=" + self.db, "--timeout=60"]
        if not wait:
            base.append("--no-wait")
        return self._run(*(base + list(args)))

    def alive(self):
        return self.vswitchd is not None and self.vswitchd.poll() is None

    def start(self, pcap, nvnics):
        self.nvnics = nvnics
        conf = os.path.join(self.dir, "conf.db")
        self._run("ovsdb-tool", "create", conf, SCHEMA)
        self.dbserver = subprocess.Popen(
            ["ovsdb-server", conf, "--remote=punix:" + os.path.join(self.dir, "db.sock"),
             "--pidfile=" + os.path.join(self.dir, "ovsdb-server.pid"),
             "--log-file=" + os.path.join(self.dir, "ovsdb-server.log")],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.monotonic() + 15
        while not os.path.exists(os.path.join(self.dir, "db.sock")):
            if time.monotonic() > deadline:
                raise RuntimeError("ovsdb-server did not start")
            time.sleep(0.1)
        self.vsctl("init", wait=False)
        extra = "--no-pci --file-prefix=%s --log-level=3" % self.prefix
        if self.huge:
            mem = ["other_config:dpdk-socket-mem=512", "other_config:dpdk-socket-limit=512"]
        else:
            extra += " --no-huge -m 1024"
            mem = []
        self.vsctl("set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
                   "other_config:dpdk-lcore-mask=0x1", "other_config:pmd-cpu-mask=0x2",
                   'other_config:dpdk-extra="%s"' % extra, *mem, wait=False)
        log = open(os.path.join(self.dir, "ovs-vswitchd.log.stdout"), "w")
        self.vswitchd = subprocess.Popen(
            [VSWITCHD, self.db, "--pidfile=" + os.path.join(self.dir, "ovs-vswitchd.pid"),
             "--log-file=" + os.path.join(self.dir, "ovs-vswitchd.log")],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev",
                   "fail_mode=secure")
        self.vsctl("add-port", "br0", "uplink0", "--", "set", "Interface", "uplink0", "type=dpdk",
                   "options:dpdk-devargs=net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap,
                   "ofport_request=1")
        for i in range(nvnics):
            self.vsctl("add-port", "br0", "vnic%d" % i, "--", "set", "Interface", "vnic%d" % i,
                       "type=dpdk", "options:dpdk-devargs=net_null%d,no-rx=1" % i,
                       "ofport_request=%d" % (i + 2))

    def load_policy(self, policy_path):
        with open(policy_path) as f:
            doc = json.load(f)
        flows = openflow_policy(doc)
        path = os.path.join(self.dir, "flows.txt")
        with open(path, "w") as f:
            f.write("\n".join(flows) + "\n")
        self._run("ovs-ofctl", "del-flows", "br0")
        self._run("ovs-ofctl", "--bundle", "add-flows", "br0", path, timeout=300)
        return len(flows)

    def stop(self):
        for p in (self.vswitchd, self.dbserver):
            if p is None or p.poll() is not None:
                continue
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                try:
                    p.send_signal(sig)
                    p.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
                except ProcessLookupError:
                    break


def openflow_policy(doc):
    """OpenFlow rules equivalent to the document's U1/E1/E5/E6/E7 (see module doc)."""
    host = doc["host"]
    gw, up_mac, nh = host["gateway_mac"], host["uplink"]["mac"], host["uplink"]["next_hop_mac"]
    job_index = {j["id"]: k for k, j in enumerate(doc["jobs"])}
    vnic_of_ip = {}
    flows = ["table=0,priority=0,actions=drop", "table=1,priority=0,actions=drop",
             "table=2,priority=0,actions=drop"]
    for n, v in enumerate(doc["vnics"]):
        ofport = n + 2
        j = job_index[v["job"]]
        vnic_of_ip[v["ip"]] = (ofport, v["mac"])
        # uplink: a frame claiming a local vNIC's address is spoofed
        flows.append("table=0,priority=200,in_port=1,ip,nw_src=%s,actions=drop" % v["ip"])
        flows.append("table=0,priority=100,in_port=1,ip,dl_dst=%s,nw_dst=%s,"
                     "actions=load:%d->NXM_NX_REG0[],load:%d->NXM_NX_REG1[],"
                     "mod_dl_src:%s,mod_dl_dst:%s,resubmit(,1)" % (up_mac, v["ip"], j, ofport,
                                                                  gw, v["mac"]))
        # vNIC egress: in_port + source check
        flows.append("table=0,priority=100,in_port=%d,ip,dl_src=%s,nw_src=%s,"
                     "actions=load:%d->NXM_NX_REG0[],resubmit(,2)" % (ofport, v["mac"], v["ip"], j))
    for j, job in enumerate(doc["jobs"]):
        for peer in job["peers"]:
            if ":" in peer:
                continue
            flows.append("table=1,priority=100,reg0=%d,ip,nw_src=%s,actions=output:NXM_NX_REG1[]"
                         % (j, peer))
            if peer in vnic_of_ip:
                port, mac = vnic_of_ip[peer]
                flows.append("table=2,priority=100,reg0=%d,ip,nw_dst=%s,"
                             "actions=mod_dl_src:%s,mod_dl_dst:%s,output:%d" % (j, peer, gw, mac,
                                                                                port))
            else:
                flows.append("table=2,priority=100,reg0=%d,ip,nw_dst=%s,"
                             "actions=mod_dl_src:%s,mod_dl_dst:%s,output:1" % (j, peer, up_mac, nh))
    return flows
