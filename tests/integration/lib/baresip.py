"""baresip: the Debian baresip (1.0.0) as a headless SIP peer in tests.

    from baresip import Baresip
    with Baresip(answermode="auto") as b:          # starts it, waits for ctrl_tcp
        b.dial("sip:sipuad@127.0.0.1:%d" % port)
        b.wait_event("CALL_ESTABLISHED")
        b.hold(); b.resume(); b.hangup()
        b.wait_event("CALL_CLOSED")

Each instance gets a private directory (config, accounts, a generated WAV as
its audio source) and free loopback ports: SIP on PORT (UDP and TCP; baresip
also binds TLS on PORT+1, so both are checked free), RTP in a private range,
ctrl_tcp on its own port.  It runs with -s (SIP trace into its log) and -t
LIFETIME as a safety net, and is stopped by PID: SIGTERM, then SIGKILL after
a bound.  The directory is removed after a clean stop and kept after a
failure (or always with SIPT_KEEP=1); on failure the log is printed.

ctrl_tcp protocol (found by running baresip 1.0.0): netstrings ("LEN:JSON,")
both ways over one TCP connection.
  command   {"command":"dial","params":"sip:b@127.0.0.1:5062","token":"1"}
            The command is a menu.so command's long name without the slash
            (dial, accept, hangup, hold, resume, listcalls, callstat, help,
            answermode, ...); params is its argument string ("" if none).
  response  {"response":true,"ok":true,"data":"<text menu printed>","token":"1"}
            ok is false for an unknown command:
            {"response":true,"ok":false,"data":"command not found (nosuch)\n",...}
            hold/resume/accept/hangup act on the UA's current call; hold and
            resume exist only while a call does ("command not found (hold)"
            otherwise); hangup without a call is ok and does nothing.
  event     {"event":true,"type":"CALL_ESTABLISHED","class":"call",
             "accountaor":"sip:a@127.0.0.1:PORT","direction":"outgoing",
             "peeruri":"sip:b@127.0.0.1:PORT2","id":"<Call-ID>",
             "param":"sip:b@127.0.0.1:PORT2"}
            types include CALL_INCOMING, CALL_RINGING, CALL_PROGRESS,
            CALL_ESTABLISHED, CALL_CLOSED (param = reason, e.g.
            "Connection reset by user" at the side that hung up, "Connection
            reset by peer" at the other, "486 Rejected" at a caller whose
            callee hung up while ringing: hangup() then sends 486), CALL_LOCAL_SDP /
            CALL_REMOTE_SDP (param "offer" or "answer"), CALL_RTPESTAB,
            CALL_RTCP, CALL_MENC, REGISTER_OK, REGISTER_FAIL, EXIT, SHUTDOWN.
            No CALL_INCOMING with answermode=auto (only with manual); no hold
            event: a re-INVITE shows as CALL_REMOTE_SDP "offer" at the peer and
            "answer" at the sender.  A dial to a dead UDP port ends with
            CALL_CLOSED "Connection timed out" after ~32 s.
There is no sip_trace config option in 1.0.0; -s enables the trace, which
sip_trace() / sdp_dirs() parse back out of the log.
"""

import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import wave

from sipt import WAIT, TestFailure, check, free_port

BARESIP = os.environ.get("BARESIP") or shutil.which("baresip") or "/usr/bin/baresip"
MODULE_PATH = os.environ.get("BARESIP_MODULES") or "/usr/lib/baresip/modules"


def available():
    """True when baresip and the modules this harness loads are installed."""
    return os.access(BARESIP, os.X_OK) and all(
        os.path.exists(os.path.join(MODULE_PATH, m))
        for m in ("g711.so", "aufile.so", "aubridge.so", "menu.so", "ctrl_tcp.so",
                  "account.so"))


def _port_free(port, host, proto):
    s = socket.socket(socket.AF_INET, proto)
    try:
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def sip_port_pair(host="127.0.0.1"):
    """A port free for UDP and TCP whose +1 is free for TCP (baresip's TLS)."""
    for _ in range(200):
        p = free_port(host=host)
        if p < 65535 and _port_free(p + 1, host, socket.SOCK_STREAM) \
                and _port_free(p + 1, host, socket.SOCK_DGRAM):
            return p
    raise TestFailure("no free SIP port pair")


def write_wav(path, seconds=60, rate=8000, tone_hz=None):
    """16-bit mono WAV: silence, or a sine of tone_hz at a modest level."""
    import math
    n = int(seconds * rate)
    w = wave.open(path, "wb")
    try:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        if tone_hz is None:
            w.writeframes(b"\0\0" * n)
        else:
            # one period-aligned second, repeated
            one = bytearray()
            for i in range(rate):
                v = int(8000 * math.sin(2 * math.pi * tone_hz * i / rate))
                one += (v & 0xFFFF).to_bytes(2, "little")
            for _ in range(int(seconds)):
                w.writeframes(bytes(one))
    finally:
        w.close()


class Baresip:
    """One baresip user agent on loopback, driven over ctrl_tcp.

    answermode: "auto" or "manual" (account parameter; manual needs answer()).
    user: the user part of its AOR.  rtp_ports: (low, high) or None for a
    private random block.  extra_config: more config lines.  account_params:
    more ";name=value" account parameters (e.g. ";mediaenc=srtp-mand").
    wav_seconds / tone_hz: the generated audio source (baresip hangs up when
    the file ends, so keep it longer than any call).  lifetime: -t bound.
    """

    def __init__(self, answermode="auto", user="bs", host="127.0.0.1", rtp_ports=None,
                 extra_config=(), account_params="", wav_seconds=120, tone_hz=None,
                 lifetime=600, name=None, record=False):
        check(answermode in ("auto", "manual"), "answermode must be auto or manual")
        self.name = name or user
        self.host = host
        self.user = user
        self.dir = tempfile.mkdtemp(prefix="baresip-test-")
        self.port = sip_port_pair(host)
        self.ctrl_port = free_port(host=host)
        if rtp_ports is None:
            low = random.randrange(40000, 49800, 2)
            rtp_ports = (low, low + 199)
        self.rtp_ports = rtp_ports
        self.wav = os.path.join(self.dir, "source.wav")
        write_wav(self.wav, wav_seconds, tone_hz=tone_hz)
        self.aor = "sip:%s@%s:%d" % (user, host, self.port)
        self.uri = self.aor
        self.log_path = os.path.join(self.dir, "baresip.log")
        self.lifetime = lifetime
        cfg = [
            "poll_method\t\tepoll",
            "sip_listen\t\t%s:%d" % (host, self.port),
            "net_interface\t\t%s" % host,
            "rtp_ports\t\t%d-%d" % rtp_ports,
            "rtcp_mux\t\tno",
            "call_local_timeout\t120",
            "call_max_calls\t\t4",
            "audio_player\t\taubridge,%s-play" % self.name,
            "audio_source\t\taufile,%s" % self.wav,
            "audio_alert\t\taubridge,%s-alert" % self.name,
            "module_path\t\t%s" % MODULE_PATH,
            "module\t\t\tg711.so",
            "module\t\t\taufile.so",
            "module\t\t\taubridge.so",
            "module_tmp\t\taccount.so",
            "module_app\t\tmenu.so",
            "module_app\t\tctrl_tcp.so",
            "ctrl_tcp_listen\t\t%s:%d" % (host, self.ctrl_port),
            "statmode_default\toff",
            "ringback_disabled\tyes",
            "menu_bell\t\tno",
        ]
        if record:  # dump-*-dec.wav (received) and dump-*-enc.wav (sent) per call
            self.snd_path = os.path.join(self.dir, "snd")
            os.mkdir(self.snd_path)
            cfg += ["module\t\t\tsndfile.so", "snd_path\t\t%s" % self.snd_path]
        cfg += list(extra_config)
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write("\n".join(cfg) + "\n")
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write("<%s>;answermode=%s;regint=0;audio_codecs=pcmu%s\n"
                    % (self.aor, answermode, account_params))
        self.proc = None
        self.log = None
        self.sock = None
        self.reader = None
        self.cv = threading.Condition()
        self.events = []     # not yet consumed by wait_event
        self.seen = []       # every event, in order
        self.responses = {}  # token -> response dict
        self.next_token = 1
        self.closed = False

    # ---- process

    def start(self, timeout=WAIT):
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [BARESIP, "-f", self.dir, "-s", "-t", str(self.lifetime)],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            cwd=self.dir)
        end = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise TestFailure("baresip %s exited with %d at start:\n%s"
                                  % (self.name, self.proc.returncode, self.logtext()))
            try:
                self.sock = socket.create_connection((self.host, self.ctrl_port), timeout=1)
                break
            except OSError:
                if time.monotonic() > end:
                    raise TestFailure("baresip %s: ctrl_tcp not listening within %.0f s:\n%s"
                                      % (self.name, timeout, self.logtext()))
                time.sleep(0.05)
        self.sock.settimeout(None)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        # a round trip proves commands are served
        self.command("help", timeout=max(1.0, end - time.monotonic()))
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, kill_after=5.0):
        """SIGTERM by PID, SIGKILL after kill_after seconds; returns the exit status."""
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
            self.sock = None
        if self.reader is not None:
            self.reader.join(2)
            self.reader = None
        rc = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=kill_after)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            rc = self.proc.returncode
            self.proc = None
        if self.log is not None:
            self.log.close()
            self.log = None
        return rc

    def cleanup(self):
        if not os.environ.get("SIPT_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def logtext(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self._dump_log()
            self.stop()
            raise

    def _dump_log(self):
        sys.stderr.write("---- baresip %s log (%s)\n%s\n---- events: %s\n"
                         % (self.name, self.log_path, self.logtext()[-8000:],
                            json.dumps(self.seen)))

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.stop()
            self._dump_log()
            return False
        self.stop()
        self.cleanup()
        return False

    # ---- ctrl_tcp

    def _read(self):
        buf = b""
        sock = self.sock
        while True:
            try:
                d = sock.recv(65536)
            except OSError:
                d = b""
            if not d:
                with self.cv:
                    self.closed = True
                    self.cv.notify_all()
                return
            buf += d
            while True:
                colon = buf.find(b":")
                if colon < 0:
                    break
                n = int(buf[:colon])
                if len(buf) < colon + 1 + n + 1:
                    break
                raw = buf[colon + 1:colon + 1 + n]
                buf = buf[colon + 1 + n + 1:]  # skips the ','
                try:
                    msg = json.loads(raw)
                except ValueError:
                    msg = {"unparsed": raw.decode("utf-8", "replace")}
                with self.cv:
                    if msg.get("event"):
                        msg["_t"] = time.monotonic()
                        msg["_seq"] = len(self.seen) + 1
                        self.events.append(msg)
                        self.seen.append(msg)
                    elif msg.get("response"):
                        self.responses[msg.get("token")] = msg
                    self.cv.notify_all()

    def _send(self, obj):
        check(self.sock is not None, "baresip %s is not started" % self.name)
        data = json.dumps(obj).encode()
        self.sock.sendall(b"%d:%s," % (len(data), data))

    def command(self, cmd, params="", timeout=WAIT, ok=True):
        """Send a ctrl_tcp command; returns its response dict (checks ok by default)."""
        with self.cv:
            tok = "%s-%d" % (self.name, self.next_token)
            self.next_token += 1
        self._send({"command": cmd, "params": params, "token": tok})
        end = time.monotonic() + timeout
        with self.cv:
            while tok not in self.responses:
                left = end - time.monotonic()
                if left <= 0 or self.closed:
                    raise TestFailure("baresip %s: no response to %r within %.0f s"
                                      % (self.name, cmd, timeout))
                self.cv.wait(min(left, 0.2))
            r = self.responses.pop(tok)
        if ok:
            check(r.get("ok") is True, "baresip %s: %s %r failed: %r"
                  % (self.name, cmd, params, r))
        return r

    def mark(self):
        """A position in the event stream for wait_event(after=...)."""
        with self.cv:
            return len(self.seen)

    def wait_event(self, type_, timeout=WAIT, pred=None, after=0, param=None):
        """The oldest not yet consumed event of this type (with this param, and
        pred(ev), and arrived after mark() returned `after`, when given);
        others stay queued.  Returns the event dict (plus _t: arrival
        time.monotonic(), _seq: its 1-based position in seen)."""
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                for i, e in enumerate(self.events):
                    if e.get("type") == type_ and e["_seq"] > after \
                            and (param is None or e.get("param") == param) \
                            and (pred is None or pred(e)):
                        return self.events.pop(i)
                left = end - time.monotonic()
                if left <= 0:
                    raise TestFailure("baresip %s: no %s event within %.0f s (queued: %s)"
                                      % (self.name, type_, timeout,
                                         [e.get("type") for e in self.events]))
                if self.closed and self.proc is not None and self.proc.poll() is not None:
                    raise TestFailure("baresip %s exited (%d) waiting for %s"
                                      % (self.name, self.proc.returncode, type_))
                self.cv.wait(min(left, 0.2))

    def drop_events(self):
        """Forget queued events (seen keeps them)."""
        with self.cv:
            self.events = []

    # ---- call control (menu.so commands; all act on the current call)

    def dial(self, uri):
        return self.command("dial", uri)

    def answer(self):
        return self.command("accept")

    def hangup(self):
        return self.command("hangup")

    def hold(self):
        return self.command("hold")

    def resume(self):
        return self.command("resume")

    def listcalls(self):
        return self.command("listcalls").get("data", "")

    # ---- the SIP trace (-s) in the log

    _TRACE = re.compile(r"\x1b\[36;1m#\n(\w+) (\S+) -> (\S+)\n(.*?)\x1b\[;m", re.S)

    def sip_trace(self):
        """Every SIP message baresip sent or received so far, in order, as dicts
        {transport, src, dst, sent (bool), text, first (start line), body}."""
        out = []
        me = "%s:%d" % (self.host, self.port)
        for m in self._TRACE.finditer(self.logtext()):
            text = m.group(4).replace("\r\n", "\n")
            head, _, body = text.partition("\n\n")
            out.append({"transport": m.group(1), "src": m.group(2), "dst": m.group(3),
                        "sent": m.group(2) == me, "text": text,
                        "first": head.split("\n", 1)[0], "body": body.strip()})
        return out

    def sdp_dirs(self, sent=True):
        """The a=sendrecv/sendonly/recvonly/inactive of each SDP body baresip
        sent (or received), with the message's start line: [(first, dir)]."""
        out = []
        for m in self.sip_trace():
            if m["sent"] == sent and "m=audio" in m["body"]:
                d = re.findall(r"^a=(sendrecv|sendonly|recvonly|inactive)\s*$",
                               m["body"], re.M)
                out.append((m["first"], d[-1] if d else "sendrecv"))
        return out
