"""dnsmasq as a test peer: an authoritative server for example.test on a
free loopback port, in the foreground, no resolv.conf, no hosts file, every
query logged; stopped by PID.  The records are dnsmasq options
(--srv-host=..., --host-record=..., --naptr-record=...)."""

import os
import random
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import time

import sipt
from sipt import TestFailure

DNSMASQ = os.environ.get("DNSMASQ") or shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"


def dns_query(name, qtype=1):
    """A standard query for name (A by default) as bytes, and its id."""
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return qid, q + b"\0" + struct.pack(">HH", qtype, 1)


class Dnsmasq:
    """dnsmasq on a free loopback port, in the foreground, no resolv.conf, no
    hosts file, every query logged to a file; stopped by PID."""

    def __init__(self, work, records, probe="sip1.example.test"):
        self.work = work
        self.records = list(records)
        self.probe = probe
        self.port = sipt.free_port()
        self.log_path = os.path.join(work, "dnsmasq.log")
        self.proc = None
        self.sentinels = 0

    def start(self):
        args = [DNSMASQ, "--port=%d" % self.port, "--listen-address=127.0.0.1",
                "--bind-interfaces", "--no-resolv", "--no-hosts", "--no-daemon",
                "--conf-file=/dev/null", "--pid-file=" + os.path.join(self.work, "dnsmasq.pid"),
                "--log-queries", "--log-facility=" + self.log_path,
                "--local=/example.test/", "--local-ttl=60"] + self.records
        self.err = open(os.path.join(self.work, "dnsmasq.stderr"), "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.err,
                                     stderr=subprocess.STDOUT)
        # Ready when it answers (bounded): a query, again every 0.2 s.
        end = time.monotonic() + sipt.WAIT
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise TestFailure("dnsmasq exited %d: %s" % (self.proc.returncode,
                                                            self.text("dnsmasq.stderr")))
            if self.ask(self.probe) is not None:
                return self
        raise TestFailure("dnsmasq does not answer on port %d" % self.port)

    def ask(self, name, timeout=0.2):
        """The rcode of dnsmasq's answer to an A query for name, or None."""
        qid, q = dns_query(name)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(q, ("127.0.0.1", self.port))
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                if not select.select([s], [], [], max(0, end - time.monotonic()))[0]:
                    break
                a = s.recv(4096)
                if len(a) >= 12 and struct.unpack(">H", a[:2])[0] == qid:
                    return a[3] & 0x0f
        return None

    def text(self, name="dnsmasq.log"):
        with open(os.path.join(self.work, name), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def mark(self):
        """Where the query log ends now."""
        return len(self.text())

    def queries_since(self, mark):
        """[(type, name)] dnsmasq logged after mark.  A sentinel query, waited
        for in the log, makes sure every earlier query was written."""
        self.sentinels += 1
        sentinel = "sentinel%d.example.test" % self.sentinels
        end = time.monotonic() + sipt.WAIT
        while time.monotonic() < end:
            self.ask(sentinel)
            log = self.text()[mark:]
            if "query[A] %s " % sentinel in log:
                found = re.findall(r"query\[(\w+)\] (\S+) from", log)
                return [q for q in found if q[1] != sentinel]
        raise TestFailure("the sentinel query never reached dnsmasq's log")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait()
        if self.proc:
            self.err.close()
