"""bench/lib/benchlib.py: what bench/uac, bench/hold and bench/soak share.

Processes started and stopped by PID, free loopback ports, /proc readings,
sipuad started from the SHIPPED default config (conf/sipuad.conf) with only
its addresses, control socket and RTP range changed, and a control-socket
client (include/ctl_proto.h: one JSON object per line).  Standard Python only.
"""

import json
import math
import os
import random
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time

LIB = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(LIB)
ROOT = os.path.dirname(BENCH)
SHIPPED_CONF = os.path.join(ROOT, "conf", "sipuad.conf")
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    pass


class Deadline(Exception):
    pass


def log(msg):
    sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


# ---------------------------------------------------------------- processes

PROCS = []  # every Popen started here and not reaped yet


def raise_nofile():
    """The open-files limit as high as the hard limit allows (RTP takes two
    sockets per call).  Also the preexec_fn of every child."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass


def nofile():
    """(soft, hard) open-files limit, after raise_nofile()."""
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def spawn(args, **kw):
    p = subprocess.Popen(args, preexec_fn=raise_nofile, **kw)
    PROCS.append(p)
    return p


def stop(p, timeout=15.0, sig=signal.SIGTERM):
    """Stop one process we started, by its PID: sig, then SIGKILL."""
    if p.poll() is None:
        try:
            p.send_signal(sig)
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)
    if p in PROCS:
        PROCS.remove(p)
    return p.returncode


def stop_all():
    for p in list(PROCS):
        try:
            stop(p, timeout=5.0)
        except Exception as e:  # noqa: BLE001 - best effort while exiting
            log("could not stop pid %d: %s" % (p.pid, e))


def on_signal(signum, frame):
    raise KeyboardInterrupt()


def install_signals():
    """SIGTERM and SIGINT (also when started in the background) unwind
    through KeyboardInterrupt, so that the finally blocks stop everything."""
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def ignore_signals():
    """A second Ctrl-C must not cut the cleanup short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


# ---------------------------------------------------------------- ports and /proc

USED_PORTS = set()


def port_free(port):
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def free_port(lo=5100, hi=9999, pair=False):
    """A loopback port free for UDP and TCP (and the one above it with pair),
    below the RTP ranges, not handed out before."""
    for _ in range(500):
        port = random.randint(lo, hi - 1)
        want = [port, port + 1] if pair else [port]
        if any(x in USED_PORTS for x in want) or not all(port_free(x) for x in want):
            continue
        USED_PORTS.update(want)
        return port
    raise BenchError("no free loopback port in %d..%d" % (lo, hi))


def _bound(names, port, listen_only):
    want = ":%04X" % port
    for name in names:
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[1].endswith(want) and (not listen_only or fields[3] == "0A"):
                        return True
        except OSError:
            pass
    return False


def udp_bound(port):
    return _bound(("/proc/net/udp", "/proc/net/udp6"), port, False)


def tcp_listening(port):
    return _bound(("/proc/net/tcp", "/proc/net/tcp6"), port, True)


def cpu_seconds(pid):
    """utime + stime of a process (all its threads) in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    rest = s[s.rindex(")") + 2:].split()
    return (int(rest[11]) + int(rest[12])) / CLK_TCK


def mem_kb(pid):
    """VmRSS and VmHWM in KiB."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmHWM", "VmRSS"):
                out[k] = int(v.split()[0])
    return out


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def fd_kinds(pid):
    """What a process's fds are, as {kind: count}: socket, pipe, anon_inode:[...],
    or the file's path."""
    out = {}
    d = "/proc/%d/fd" % pid
    for fd in os.listdir(d):
        try:
            t = os.readlink(os.path.join(d, fd))
        except OSError:
            continue
        t = re.sub(r":\[\d+\]$", "", t)
        out[t] = out.get(t, 0) + 1
    return out


def fd_diff(before, after):
    """The kinds of fds in after and not (as many) in before, as text."""
    extra = ["%s x%d" % (k, n - before.get(k, 0)) for k, n in sorted(after.items())
             if n > before.get(k, 0)]
    return ", ".join(extra) or "none"


def percentile(sorted_vals, q):
    """Nearest-rank percentile of a sorted list."""
    if not sorted_vals:
        return None
    k = max(1, math.ceil(q / 100.0 * len(sorted_vals)))
    return sorted_vals[k - 1]


def median(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v, spec, none="—"):
    return none if v is None else spec % v


def cmdline(args):
    return " ".join(a if re.match(r"^[\w@%+=:,./-]+$", a) else "'%s'" % a for a in args)


def tail(path, n=800):
    """The last n characters of a file (a log may be big: read only its end)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 4 * n))
            return f.read().decode("utf-8", "replace")[-n:].strip()
    except OSError:
        return ""


def sipuad_binary():
    """$SIPUAD (default ./build/sipuad, relative to the current directory or
    else to the checkout), made absolute."""
    path = os.environ.get("SIPUAD") or "./build/sipuad"
    if not os.path.isabs(path) and not os.path.exists(path):
        path = os.path.join(ROOT, path)
    return os.path.abspath(path)


def pin_args(cpu):
    """taskset in front of a command, or nothing on a 1-CPU machine."""
    if cpu is None or len(os.sched_getaffinity(0)) < 2:
        return []
    return ["taskset", "-c", str(cpu)]


# ---------------------------------------------------------------- sipuad's config

def edit_config(text, changes):
    """text with the keys of changes {(section, key): value} set: a key's
    line replaced where the section has it, else added at the section's
    end (a section missing is added at the end).  Everything else stays."""
    left = dict(changes)
    out = []
    section = None

    def flush(sec):
        for (s, k), v in list(left.items()):
            if s == sec:
                out.append("%s = %s" % (k, v))
                del left[(s, k)]

    for line in text.splitlines():
        m = re.match(r"^\[([^\]]+)\]\s*$", line)
        if m:
            # keys to add go before the blank lines that end the section
            blanks = []
            while out and not out[-1].strip():
                blanks.append(out.pop())
            flush(section)
            out.extend(blanks)
            section = m.group(1)
            out.append(line)
            continue
        m = re.match(r"^(\w+)\s*=", line)
        if m and (section, m.group(1)) in left:
            out.append("%s = %s" % (m.group(1), left.pop((section, m.group(1)))))
            continue
        out.append(line)
    flush(section)
    for (s, k), v in left.items():
        out += ["", "[%s]" % s, "%s = %s" % (k, v)]
    return "\n".join(out) + "\n"


def shipped_config(port, sock, rtp, tuned=None):
    """The shipped conf/sipuad.conf (installed as /etc/sipuad.conf) with only
    the listeners (udp and tcp on 127.0.0.1:port), the control socket and
    the RTP range changed; tuned: more {(section, key): value} changes."""
    with open(SHIPPED_CONF) as f:
        text = f.read()
    changes = {("sip", "listen"): "udp:127.0.0.1:%d, tcp:127.0.0.1:%d" % (port, port),
               ("control", "socket"): sock,
               ("media", "rtp_port_min"): str(rtp[0]),
               ("media", "rtp_port_max"): str(rtp[1])}
    changes.update(tuned or {})
    return edit_config(text, changes)


def config_changes_text(tuned, label="tuned (--tuned)"):
    """One line saying which config a sipuad ran with."""
    base = ("the shipped conf/sipuad.conf, changed only in [sip] listen, [control] "
            "socket and [media] rtp_port_min/max")
    if not tuned:
        return base
    return base + "; %s: " % label + ", ".join(
        "[%s] %s = %s" % (s, k, v) for (s, k), v in sorted(tuned.items()))


# ---------------------------------------------------------------- control socket

class Ctl:
    """A control-socket client: send() pipelines requests without waiting;
    line() reads the next reply or event."""

    def __init__(self, path, timeout=15.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1
        hello = self.line(timeout)
        if not hello or hello.get("type") != "hello":
            raise BenchError("control socket: no hello but %r" % hello)

    def line(self, timeout=15.0):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise BenchError("no line from sipuad's control socket within %.0f s" % timeout)
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            if not chunk:
                return None
            self.buf += chunk
        raw, _, self.buf = self.buf.partition(b"\n")
        return json.loads(raw)

    def ok(self, cmd, args=None, timeout=30.0):
        rid = self.next_id
        self.next_id += 1
        req = {"id": rid, "cmd": cmd}
        if args is not None:
            req["args"] = args
        self.sock.sendall((json.dumps(req) + "\n").encode())
        end = time.monotonic() + timeout
        while True:
            m = self.line(max(0.1, end - time.monotonic()))
            if m is None:
                raise BenchError("sipuad closed the control connection during %s" % cmd)
            if m.get("type") == "reply" and m.get("id") == rid:
                if not m.get("ok"):
                    raise BenchError("%s: %r" % (cmd, m.get("error")))
                return m.get("result")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def ctl_query(path, cmd, args=None, timeout=15.0):
    """One request on a fresh connection (status, stats, calls...)."""
    c = Ctl(path, timeout)
    try:
        return c.ok(cmd, args, timeout)
    finally:
        c.close()


class Sipuad:
    """One sipuad run from the shipped config (see shipped_config)."""

    def __init__(self, binary, workdir, rtp, pin=(), tuned=None):
        self.binary = binary
        self.dir = workdir
        self.rtp = rtp
        self.pin = list(pin)
        self.tuned = tuned
        self.proc = None
        os.makedirs(workdir, exist_ok=True)

    def start(self, timeout=30.0):
        self.port = free_port()
        self.sock = os.path.join(self.dir, "ctl.sock")
        self.cfg_path = os.path.join(self.dir, "sipuad.conf")
        self.log_path = os.path.join(self.dir, "sipuad.log")
        self.config = shipped_config(self.port, self.sock, self.rtp, self.tuned)
        with open(self.cfg_path, "w") as f:
            f.write(self.config)
        r = subprocess.run([self.binary, "-c", self.cfg_path, "--check-config"],
                           capture_output=True, text=True, timeout=30, errors="replace")
        if r.returncode != 0:
            raise BenchError("sipuad --check-config: %s" % r.stderr.strip()[-800:])
        self.args = self.pin + [self.binary, "-f", "-c", self.cfg_path]
        with open(self.log_path, "wb") as out:
            self.proc = spawn(self.args, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=out,
                              stderr=subprocess.STDOUT)
        end = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise BenchError("sipuad exited with %s at start: %s"
                                 % (self.proc.returncode, tail(self.log_path)))
            if os.path.exists(self.sock) and udp_bound(self.port):
                try:
                    ctl_query(self.sock, "status")
                    return self
                except (OSError, BenchError):
                    pass
            if time.monotonic() > end:
                raise BenchError("sipuad's control socket did not answer within %.0f s"
                                 % timeout)
            time.sleep(0.05)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def status(self):
        return ctl_query(self.sock, "status")

    def stop(self, timeout=30.0):
        if self.proc is None:
            return None
        rc = stop(self.proc, timeout=timeout)
        self.proc = None
        return rc


# ---------------------------------------------------------------- SIPp

def parse_stat(path):
    """The rows of a SIPp -trace_stat file, each as {column: value}."""
    try:
        with open(path, errors="replace") as f:
            rows = [line.rstrip("\n") for line in f if line.strip()]
    except OSError:
        return []
    if len(rows) < 2:
        return []
    head = rows[0].split(";")
    return [dict(zip(head, r.split(";"))) for r in rows[1:]]


def stat_int(row, key):
    try:
        return int(row.get(key, 0) or 0)
    except ValueError:
        return 0


# SIPp -trace_err lines that are not why a call failed
NOT_A_FAILURE = re.compile(r"Overload warning|Dead call|Discarding message")


def first_error(path):
    """The reason of the first failed call in a SIPp -trace_err file,
    shortened; else its first line of another kind (a watchdog warning...)."""
    other = None
    try:
        with open(path, errors="replace") as f:
            for line in f:
                m = re.match(r"^\S+\s+[\d:.]+\s+[\d.]+:\s*(.*)", line.strip())
                if not m:
                    continue
                text = re.sub(r" for Call-Id '[^']*'", "", m.group(1))[:200]
                if not NOT_A_FAILURE.search(text):
                    return text
                other = other or text
    except OSError:
        pass
    return other
