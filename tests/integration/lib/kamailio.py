"""Kamailio as a test peer: a registrar and proxy with digest auth, started
on a free loopback port in a private directory, in the foreground, and
stopped by PID whatever happens.  The config is a template whose @name@
values are filled with the control socket and the test's values.

TLS (Kamailio(..., tls=certs()), module tls.so of kamailio-tls-modules):
it also listens on tls:127.0.0.1:TLS_PORT (self.tls_port, another free
port) with a tls.cfg of its own in the work directory: as a server it
presents server.pem (signed by the test CA) and asks no client certificate
unless tls_client="require" (then verified against ca.pem); as a client
(relaying to a TLS contact) it verifies the server against ca.pem unless
tls_verify_server=False.  The template needs nothing for it: the lib puts
enable_tls=yes, loadmodule "tls.so" and its modparam right after the
#!KAMAILIO line (tls.so loaded first, before tm), and -l tls:... goes on
the command line like the udp/tcp listeners.  Measured with Kamailio 5.6.3
on loopback: TLS 1.3 is negotiated, the CA certificate is sent after the
leaf, $pr is "tls" for what came over TLS, and a ;transport=tls contact is
reached by a new connection that verifies the server.  More in
tests/integration/tls_interop/README.md.
"""

import os
import shutil
import signal
import subprocess
import time

import sipt
from sipt import check, TestFailure

KAMAILIO = os.environ.get("KAMAILIO") or shutil.which("kamailio") or "/usr/sbin/kamailio"
KAMCMD = shutil.which("kamcmd") or "/usr/sbin/kamcmd"


TLS_CFG = """# tls.cfg of a test Kamailio (lib/kamailio.py)
[server:default]
method = TLSv1.2+
certificate = {cert}
private_key = {key}
ca_list = {ca}
verify_certificate = {verify_client}
require_certificate = {verify_client}

[client:default]
method = TLSv1.2+
ca_list = {ca}
verify_certificate = {verify_server}
require_certificate = {verify_server}
"""

TLS_HEAD = """enable_tls=yes
loadmodule "tls.so"
modparam("tls", "config", "{cfg}")
"""


class Kamailio:
    def __init__(self, work, template, tls=None, tls_client="none", tls_verify_server=True,
                 **values):
        """tls: a certs.Certs to listen on TLS too (see the notes at the top);
        tls_client: "none" or "require" (client certificates)."""
        check(tls_client in ("none", "require"), "tls_client must be none or require")
        self.work = work
        self.port = sipt.free_port()
        self.tls_port = sipt.free_port() if tls else None
        self.ctl = os.path.join(work, "kamailio-ctl.sock")
        self.log_path = os.path.join(work, "kamailio.log")
        self.cfg_path = os.path.join(work, "kamailio.cfg")
        with open(template) as f:
            text = f.read()
        for k, v in dict(values, ctl=self.ctl).items():
            text = text.replace("@%s@" % k, str(v))
        if tls:
            tls_cfg = os.path.join(work, "kamailio-tls.cfg")
            yn = {True: "yes", False: "no"}
            with open(tls_cfg, "w") as f:
                f.write(TLS_CFG.format(cert=tls.pem("server"), key=tls.key("server"), ca=tls.ca,
                                       verify_client=yn[tls_client == "require"],
                                       verify_server=yn[bool(tls_verify_server)]))
            first, nl, rest = text.partition("\n")
            check(first.startswith("#!KAMAILIO"), "%s does not start with #!KAMAILIO" % template)
            text = first + nl + TLS_HEAD.format(cfg=tls_cfg) + rest
        with open(self.cfg_path, "w") as f:
            f.write(text)
        self.proc = None
        self.log = None

    def start(self):
        r = sipt.run_cmd([KAMAILIO, "-f", self.cfg_path, "-c"])
        check(r.returncode == 0, "kamailio -c: %s" % r.stderr[-2000:])
        run_dir = os.path.join(self.work, "kamailio-run")
        os.makedirs(run_dir, exist_ok=True)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [KAMAILIO, "-f", self.cfg_path, "-DD", "-E", "-Y", run_dir, "-w", run_dir,
             "-P", os.path.join(run_dir, "kamailio.pid"), "-m", "32", "-M", "4",
             "-l", "udp:127.0.0.1:%d" % self.port, "-l", "tcp:127.0.0.1:%d" % self.port]
            + (["-l", "tls:127.0.0.1:%d" % self.tls_port] if self.tls_port else []),
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)  # its children in a group of our own: stop() ends them all
        self.wait_up()
        return self

    def wait_up(self, timeout=15):
        """Kamailio answers its control socket (bounded)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise TestFailure("kamailio exited %d:\n%s" % (self.proc.returncode,
                                                               self.logtext()[-3000:]))
            if os.path.exists(self.ctl):
                r = sipt.run_cmd([KAMCMD, "-s", "unix:" + self.ctl, "core.uptime"])
                if r.returncode == 0:
                    return
            time.sleep(0.1)
        raise TestFailure("kamailio not up within %d s:\n%s" % (timeout, self.logtext()[-3000:]))

    def kamcmd(self, *args):
        r = sipt.run_cmd([KAMCMD, "-s", "unix:" + self.ctl] + list(args))
        check(r.returncode == 0, "kamcmd %s: %s %s" % (" ".join(args), r.stdout, r.stderr))
        return r.stdout

    def contacts(self, aor_user):
        """The contact URIs usrloc holds for user (kamcmd ul.dump)."""
        out = self.kamcmd("ul.dump")
        found, inside = [], False
        for line in out.splitlines():
            s = line.strip()
            if s.startswith("AoR:"):
                inside = s.split(":", 1)[1].strip().split("@")[0] == aor_user
            elif inside and s.startswith("Address:"):
                found.append(s.split(":", 1)[1].strip())
        return found

    def wait_contacts(self, user, pred, timeout=15):
        end = time.monotonic() + timeout
        while True:
            c = self.contacts(user)
            if pred(c):
                return c
            if time.monotonic() > end:
                raise TestFailure("usrloc for %s: %r" % (user, c))
            time.sleep(0.1)

    def logtext(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def count(self, text):
        return self.logtext().count(text)

    def stop(self):
        if self.proc:
            stop_group(self.proc)
        if self.log:
            self.log.close()
            self.log = None


def stop_group(proc):
    """SIGTERM to a Kamailio started with start_new_session=True: its whole
    process group (the main process and the children it forked); up to 10 s
    for the main one, then SIGKILL to whatever of the group is left, so that
    no child outlives the test."""
    pgid = proc.pid  # start_new_session: the group is the main's PID
    if proc.poll() is None:
        _killpg(pgid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    end = time.monotonic() + 5
    while _group_alive(pgid) and time.monotonic() < end:
        time.sleep(0.05)
    _killpg(pgid, signal.SIGKILL)
    if proc.poll() is None:
        proc.wait()


def _killpg(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False
