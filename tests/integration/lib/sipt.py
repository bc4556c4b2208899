"""sipt: what every integration test needs to drive the real sipuad.

- Daemon: writes a config with free loopback ports and a control socket in
  its own directory, starts sipuad -f with a real NOTIFY_SOCKET and waits
  for its READY=1 datagram (an event, not a sleep); later notifications
  (RELOADING=1, STOPPING=1, STATUS=) can be awaited too.  Stops it by PID
  with SIGTERM and checks it exits 0 (under the sanitizer build a leak or an
  error makes that fail).
- Ctl: a control-socket client speaking the JSON-lines protocol itself;
  sipuactl(): the real sipuactl binary.
- Udp / Tcp: raw SIP clients on real sockets; responses parsed into
  Response(code, reason, headers, body).
- request(): builds a request text with fresh branch, tags and Call-ID.
- run(main): runs a test's main, prints PASS/FAIL lines, exits 0/1 for the
  automake harness.

Every wait has a deadline; a test that cannot get what it waits for fails.
A daemon's directory (config, log) is removed after a clean stop and kept
after a failure, or always with SIPT_KEEP=1.
"""

import os
import random
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("SRCDIR") or os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SIPUAD = os.environ.get("SIPUAD") or os.path.join(SRCDIR, "build", "sipuad")
SIPUACTL = os.environ.get("SIPUACTL") or os.path.join(os.path.dirname(SIPUAD), "sipuactl")

WAIT = 10.0  # seconds: the longest any single event may take to arrive


class TestFailure(AssertionError):
    pass


def check(cond, what):
    if not cond:
        raise TestFailure(what)


def token(n=10):
    return "".join(random.choice(string.ascii_letters + string.digits) for _ in range(n))


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    """A port free for both UDP and TCP on host."""
    for _ in range(200):
        t = socket.socket(family, socket.SOCK_STREAM)
        try:
            t.bind((host, 0))
            port = t.getsockname()[1]
            u = socket.socket(family, socket.SOCK_DGRAM)
            try:
                u.bind((host, port))
                return port
            except OSError:
                continue
            finally:
                u.close()
        finally:
            t.close()
    raise TestFailure("no free port")


class Response:
    def __init__(self, raw):
        self.raw = raw
        text = raw.decode("utf-8", "replace")
        head, _, self.body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        parts = lines[0].split(" ", 2)
        check(parts[0] == "SIP/2.0", "not a SIP response: %r" % lines[0])
        self.code = int(parts[1])
        self.reason = parts[2] if len(parts) > 2 else ""
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers.setdefault(name.strip().lower(), []).append(value.strip())

    def header(self, name):
        v = self.headers.get(name.lower())
        return v[0] if v else None

    def hdr(self, name, compact=None):
        """Every value of a header, full or compact form, in order."""
        out = list(self.headers.get(name.lower(), []))
        if compact:
            out += self.headers.get(compact.lower(), [])
        return out

    def top_via(self):
        v = self.hdr("Via", "v")
        return parse_via(v[0]) if v else None

    def to_tag(self):
        v = self.hdr("To", "t")
        return header_tag(v[0]) if v else None

    def cseq(self):
        """(number, method) of CSeq, or None."""
        v = self.hdr("CSeq")
        if not v:
            return None
        n, _, m = v[0].partition(" ")
        try:
            return int(n), m.strip()
        except ValueError:
            return None

    def __repr__(self):
        return "<%d %s>" % (self.code, self.reason)


def header_params(value):
    """The ;name=value parameters after the last '>' (or after the URI) as a dict;
    a parameter without '=' maps to None."""
    rest = value[value.rfind(">") + 1:] if ">" in value else value
    out = {}
    for p in rest.split(";")[1:]:
        n, eq, v = p.partition("=")
        out[n.strip().lower()] = v.strip() if eq else None
    return out


def header_tag(value):
    """The tag parameter of a From/To value: None if absent, '' if empty."""
    p = header_params(value)
    return (p["tag"] or "") if "tag" in p else None


class Via:
    """One parsed Via value: proto ('UDP'), host, port (int or None), params dict
    (names lower case, None for a parameter without value), in order in names."""

    def __init__(self, value):
        self.value = value
        sent, _, params = value.partition(";")
        proto, _, sent_by = sent.strip().partition(" ")
        self.proto = proto.strip().split("/")[-1].upper()
        sent_by = sent_by.strip()
        if sent_by.startswith("["):
            self.host, _, rest = sent_by[1:].partition("]")
            rest = rest[1:] if rest.startswith(":") else ""
        else:
            self.host, _, rest = sent_by.partition(":")
        self.port = int(rest) if rest.strip().isdigit() else None
        self.params = {}
        self.names = []
        for p in params.split(";") if params else []:
            n, eq, v = p.partition("=")
            n = n.strip().lower()
            self.names.append(n)
            self.params[n] = v.strip() if eq else None

    def __repr__(self):
        return "<Via %r>" % self.value


def parse_via(value):
    return Via(value)


def request(method, ruri, host, port, transport="UDP", headers=(), body="",
            ctype="application/sdp", call_id=None, cseq=1, branch=None, from_tag=None,
            to_tag=None, content_length=True, via_host=None, rport=True):
    """A well-formed request; headers is a list of extra 'Name: value' lines."""
    branch = branch or "z9hG4bK" + token(16)
    from_tag = from_tag or token(8)
    call_id = call_id or token(16) + "@test"
    vh = via_host or ("[%s]" % host if ":" in host else host)
    lines = [
        "%s %s SIP/2.0" % (method, ruri),
        "Via: SIP/2.0/%s %s:%d;branch=%s%s" % (transport, vh, port, branch,
                                              ";rport" if rport else ""),
        "Max-Forwards: 70",
        "From: <sip:test@%s>;tag=%s" % (vh, from_tag),
        "To: <%s>%s" % (ruri, ";tag=" + to_tag if to_tag else ""),
        "Call-ID: %s" % call_id,
        "CSeq: %d %s" % (cseq, method),
    ]
    lines += list(headers)
    if body:
        lines.append("Content-Type: %s" % ctype)
    if content_length:
        lines.append("Content-Length: %d" % len(body.encode()))
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


class Udp:
    def __init__(self, host="127.0.0.1"):
        self.family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(self.family, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.host = host
        self.port = self.sock.getsockname()[1]

    def send(self, data, dest):
        self.sock.sendto(data, dest)

    def recv_raw(self, timeout=WAIT):
        self.sock.settimeout(timeout)
        try:
            data, _ = self.sock.recvfrom(70000)
            return data
        except socket.timeout:
            return None

    def recv(self, timeout=WAIT, skip_provisional=False):
        while True:
            data = self.recv_raw(timeout)
            if data is None:
                return None
            r = Response(data)
            if skip_provisional and r.code < 200:
                continue
            return r

    def expect(self, timeout=WAIT, skip_provisional=True):
        r = self.recv(timeout, skip_provisional)
        check(r is not None, "no response within %.0f s" % timeout)
        return r

    def drain(self):
        """Every datagram already queued, without waiting."""
        out = []
        self.sock.setblocking(False)
        try:
            while True:
                try:
                    data, _ = self.sock.recvfrom(70000)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:  # e.g. ECONNREFUSED reported by ICMP
                    continue
                out.append(data)
        finally:
            self.sock.setblocking(True)
        return out

    def expect_match(self, pred, timeout=WAIT):
        """The first response for which pred(Response) holds; datagrams before
        it (parsed or not) are returned too: (response, [skipped raw])."""
        end = time.monotonic() + timeout
        skipped = []
        while True:
            left = end - time.monotonic()
            check(left > 0, "no matching response within %.0f s (%d others)"
                  % (timeout, len(skipped)))
            data = self.recv_raw(left)
            check(data is not None, "no matching response within %.0f s (%d others)"
                  % (timeout, len(skipped)))
            try:
                r = Response(data)
            except Exception:  # noqa: BLE001 - not a response: skip it
                skipped.append(data)
                continue
            if pred(r):
                return r, skipped
            skipped.append(data)

    def wait_silence(self, quiet, deadline):
        """Receive until no datagram arrives for `quiet` seconds; returns the
        datagrams received.  Fails if one arrives after `deadline` (a
        time.monotonic() value): they must stop by then."""
        got = []
        while True:
            data = self.recv_raw(quiet)
            if data is None:
                return got
            got.append(data)
            check(time.monotonic() < deadline,
                  "datagrams still arriving at the deadline (%d received)" % len(got))

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Tcp:
    def __init__(self, dest):
        family = socket.AF_INET6 if ":" in dest[0] else socket.AF_INET
        self.sock = socket.create_connection(dest, timeout=WAIT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.host, self.port = self.sock.getsockname()[:2]
        self.buf = b""
        self.family = family

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        try:
            d = self.sock.recv(65536)
        except socket.timeout:
            return None
        except ConnectionResetError:
            return b""
        return d

    def recv_raw_until(self, pred, timeout=WAIT):
        end = time.monotonic() + timeout
        while not pred(self.buf):
            left = end - time.monotonic()
            if left <= 0:
                return False
            d = self._fill(left)
            if d is None:
                return False
            if d == b"":
                return pred(self.buf)
            self.buf += d
        return True

    def recv(self, timeout=WAIT, skip_provisional=False):
        """One framed response, or None on timeout/EOF."""
        while True:
            if not self.recv_raw_until(lambda b: b"\r\n\r\n" in b, timeout):
                return None
            head, _, rest = self.buf.partition(b"\r\n\r\n")
            clen = 0
            for line in head.split(b"\r\n"):
                n, _, v = line.partition(b":")
                if n.strip().lower() in (b"content-length", b"l"):
                    clen = int(v.strip())
            total = len(head) + 4 + clen
            if not self.recv_raw_until(lambda b: len(b) >= total, timeout):
                return None
            raw, self.buf = self.buf[:total], self.buf[total:]
            r = Response(raw)
            if skip_provisional and r.code < 200:
                continue
            return r

    def expect(self, timeout=WAIT, skip_provisional=True):
        r = self.recv(timeout, skip_provisional)
        check(r is not None, "no response within %.0f s" % timeout)
        return r

    def wait_closed(self, timeout=WAIT):
        """True once the peer has closed the connection."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            d = self._fill(end - time.monotonic())
            if d == b"":
                return True
            if d is None:
                return False
            self.buf += d
        return False

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Daemon:
    """The real sipuad on free loopback ports.

    listen: list of (proto, host) pairs; each gets a free port (the same port
    for UDP and TCP on one host; TLS another one, tls_addr(host)).  cfg:
    extra lines per section, e.g. {"sip": ["t1_ms = 50"]}.
    """

    def __init__(self, listen=(("udp", "127.0.0.1"), ("tcp", "127.0.0.1")), cfg=None,
                 log_level="debug"):
        self.dir = tempfile.mkdtemp(prefix="sipuad-test-")
        self.ports = {}
        self.tls_ports = {}
        entries = []
        for proto, host in listen:
            fam = socket.AF_INET6 if ":" in host else socket.AF_INET
            # TLS runs on TCP: a port of its own, so that tcp: and tls: can share a host.
            ports = self.tls_ports if proto == "tls" else self.ports
            if host not in ports:
                ports[host] = free_port(fam, host)
            h = "[%s]" % host if ":" in host else host
            entries.append("%s:%s:%d" % (proto, h, ports[host]))
        self.ctl_path = os.path.join(self.dir, "ctl.sock")
        sections = {"sip": ["listen = " + ", ".join(entries)], "log": ["level = " + log_level],
                    "control": ["socket = " + self.ctl_path]}
        for sec, lines in (cfg or {}).items():
            sections.setdefault(sec, []).extend(lines)
        self.cfg_path = os.path.join(self.dir, "sipuad.conf")
        self.write_cfg(sections)
        self.log_path = os.path.join(self.dir, "sipuad.log")
        self.proc = None
        self.nsock = None
        self.notes = []  # every sd_notify datagram received, in order

    def write_cfg(self, sections):
        """(Re)write the config file from {section: [lines]}."""
        self.sections = sections
        with open(self.cfg_path, "w") as f:
            for sec, lines in sections.items():
                f.write("[%s]\n%s\n\n" % (sec, "\n".join(lines)))

    def addr(self, host="127.0.0.1"):
        return (host, self.ports[host])

    def tls_addr(self, host="127.0.0.1"):
        """The (host, port) of the tls: listener on host."""
        return (host, self.tls_ports[host])

    def start(self, env=None):
        nsock_path = os.path.join(self.dir, "notify.sock")
        self.nsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.nsock.bind(nsock_path)
        # A reader thread drains the notify socket as systemd would: a full
        # datagram queue would block the daemon's sd_notify().
        self.notes_cv = threading.Condition()
        self.notes_thread = threading.Thread(target=self._read_notes, args=(self.nsock,),
                                             daemon=True)
        self.notes_thread.start()
        env = dict(os.environ, NOTIFY_SOCKET=nsock_path, **(env or {}))
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([SIPUAD, "-f", "-c", self.cfg_path], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env)
        self.wait_notify("READY=1", timeout=30)
        return self

    def _read_notes(self, sock):
        sock.settimeout(0.2)
        while True:
            try:
                msg = sock.recv(4096).decode()
            except socket.timeout:
                if self.nsock is not sock:
                    return
                continue
            except OSError:
                return
            with self.notes_cv:
                self.notes.append(msg)
                self.notes_cv.notify_all()

    def wait_notify(self, line, timeout=WAIT, after=0):
        """Wait for an sd_notify datagram holding line (e.g. "READY=1"), among
        those received from index after on; returns its index."""
        end = time.monotonic() + timeout
        exited = None
        with self.notes_cv:
            while True:
                for i in range(after, len(self.notes)):
                    if line in self.notes[i].split("\n"):
                        return i
                # Datagrams sent before the exit may still be on their way to
                # the reader thread: give it a moment before concluding.
                if exited is None and self.proc.poll() is not None:
                    exited = time.monotonic()
                if exited is not None and time.monotonic() - exited > 1.0:
                    raise TestFailure("sipuad exited with %d waiting for %s:\n%s"
                                      % (self.proc.returncode, line, self.logtext()))
                left = end - time.monotonic()
                if left <= 0:
                    raise TestFailure("no %s from sipuad within %.0f s (got %r)"
                                      % (line, timeout, self.notes[-20:]))
                self.notes_cv.wait(min(left, 0.2))

    def ctl(self):
        """A new control connection (hello already read)."""
        return Ctl(self.ctl_path)

    def wait_log(self, text, timeout=WAIT):
        """Wait until the daemon's log holds text."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in self.logtext():
                return
            time.sleep(0.05)
        raise TestFailure("log never said %r:\n%s" % (text, self.logtext()[-3000:]))

    def logtext(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, check_exit=True):
        """SIGTERM, wait; returns the exit status. Checks it is 0 by default."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise TestFailure("sipuad did not exit within 30 s of SIGTERM")
        rc = self.proc.returncode
        self.proc = None
        self.log.close()
        if self.nsock:
            sock, self.nsock = self.nsock, None
            self.notes_thread.join()
            sock.close()
        if check_exit:
            check(rc == 0, "sipuad exited with %d:\n%s" % (rc, self.logtext()[-4000:]))
            if not os.environ.get("SIPT_KEEP"):  # a clean run leaves nothing behind
                shutil.rmtree(self.dir, ignore_errors=True)
        return rc

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            sys.stderr.write("---- sipuad log (%s)\n%s\n" % (self.log_path,
                                                           self.logtext()[-6000:]))
            self.stop(check_exit=False)
            return False
        self.stop()
        return False


def options_ok(d, host="127.0.0.1", proto="udp"):
    """sipuad still serves: an OPTIONS gets 200."""
    dest = d.addr(host)
    if proto == "udp":
        c = Udp(host)
        c.send(request("OPTIONS", "sip:%s" % ("[%s]" % host if ":" in host else host),
                       c.host, c.port), dest)
        r = c.expect()
        c.close()
    else:
        c = Tcp(dest)
        c.send(request("OPTIONS", "sip:%s" % ("[%s]" % host if ":" in host else host),
                       c.host, c.port, "TCP"))
        r = c.expect()
        c.close()
    check(r.code == 200, "OPTIONS answered %r" % r)
    return r


class Ctl:
    """A control-socket client: JSON lines, as include/ctl_proto.h says."""

    def __init__(self, path, read_hello=True):
        import json
        self.json = json
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(WAIT)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1
        self.events = []
        self.hello = self.line() if read_hello else None
        if read_hello:
            check(self.hello.get("type") == "hello", "first line is not hello: %r" % self.hello)

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def line(self, timeout=WAIT):
        """The next line as JSON; None at EOF."""
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise TestFailure("no line from the control socket within %.0f s" % timeout)
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                if self.buf:
                    raise TestFailure("control connection closed inside a line: %r" % self.buf)
                return None
            self.buf += chunk
        raw, _, self.buf = self.buf.partition(b"\n")
        return self.json.loads(raw)

    def request(self, cmd, args=None, timeout=WAIT, **extra):
        """Send cmd and return its reply (events that arrive meanwhile are kept)."""
        rid = self.next_id
        self.next_id += 1
        req = {"id": rid, "cmd": cmd}
        if args is not None:
            req["args"] = args
        req.update(extra)
        self.send_raw((self.json.dumps(req) + "\n").encode())
        return self.reply(rid, timeout)

    def reply(self, rid, timeout=WAIT):
        end = time.monotonic() + timeout
        while True:
            m = self.line(max(0.1, end - time.monotonic()))
            check(m is not None, "control connection closed before the reply to %r" % rid)
            if m.get("type") == "event":
                self.events.append(m)
                continue
            check(m.get("type") == "reply", "unexpected line %r" % m)
            if m.get("id") == rid:
                return m

    def ok(self, cmd, args=None, timeout=WAIT):
        r = self.request(cmd, args, timeout)
        check(r.get("ok") is True, "%s failed: %r" % (cmd, r))
        return r["result"]

    def event(self, name, timeout=WAIT):
        """The next event called name (earlier ones of other names are kept)."""
        for i, e in enumerate(self.events):
            if e.get("event") == name:
                return self.events.pop(i)
        end = time.monotonic() + timeout
        while True:
            m = self.line(max(0.1, end - time.monotonic()))
            check(m is not None, "control connection closed waiting for %s" % name)
            if m.get("type") == "event" and m.get("event") == name:
                return m
            self.events.append(m)


def sipuactl(d, *args, timeout=WAIT * 6, env=None, prefix=()):
    """Run the real sipuactl against daemon d (or a socket path); CompletedProcess."""
    path = d if isinstance(d, str) else d.ctl_path
    return run_cmd(list(prefix) + [SIPUACTL, "-s", path] + list(args), timeout=timeout,
                   env=dict(os.environ, **(env or {})))


def run_cmd(args, timeout=WAIT * 3, **kw):
    """Run a program to completion (bounded); CompletedProcess with text output."""
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                              errors="replace", **kw)
    except subprocess.TimeoutExpired as e:
        raise TestFailure("%s did not finish within %.0f s; stdout:\n%s\nstderr:\n%s"
                          % (" ".join(args), timeout, e.stdout, e.stderr))


def run(tests):
    """Run each (name, fn) in order; print PASS/FAIL; exit 0 only if all passed.
    SIPT_ONLY=TEXT in the environment runs only the tests whose name holds TEXT."""
    failed = 0
    only = os.environ.get("SIPT_ONLY")
    tests = [t for t in tests if not only or only in t[0]]
    for name, fn in tests:
        try:
            fn()
            print("PASS: %s" % name)
        except Exception:  # noqa: BLE001 - a test's failure of any kind
            failed += 1
            print("FAIL: %s" % name)
            traceback.print_exc(file=sys.stdout)
        sys.stdout.flush()
    print("%d passed, %d failed" % (len(tests) - failed, failed))
    sys.exit(1 if failed else 0)
