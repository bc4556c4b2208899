"""relay: a lossy, reordering UDP relay for RTP, and a SIP hop that puts it
in a call's media path (this kernel has no netem).

    from relay import Relay, SipHop
    with Relay(loss=0.2, reorder=0.1, seed=7) as r, SipHop(r, callee=(host, port)) as hop:
        caller.dial("sip:bob@127.0.0.1:%d" % hop.port)   # SIP via the hop
        ...
    r.stats()["ab"]   # {"rtp_in": 250, "dropped": 49, "reordered": 20, ...}

Relay binds four loopback ports: side A (a_port, RTCP a_port + 1), which
endpoint A sends to, and side B (b_port, b_port + 1), which endpoint B sends
to.  A datagram arriving on side A goes out of side B's socket to B's
destination, and the reverse: the peers see the relay's ports as their
peer's source, so symmetric RTP works through it.  A side's destination is
the one configured (a_dest / b_dest, or set_dest(); RTCP to its port + 1
unless given) or else the last source seen on that side; a datagram with
nowhere to go is counted as unroutable.

Faults apply to RTP (not RTCP, unless rtcp_faults) per direction ("ab" is
A to B, "ba" the reverse), each direction with its own random.Random seeded
from seed, three draws per packet whatever happens, so a fixed seed gives
the same decisions for the same packets:
  loss       the packet is dropped;
  reorder    the packet is held and sent right after the next packet of its
             direction that goes out (or after hold_ms if none does); one
             held at a time;
  duplicate  the packet is sent twice;
  tamper     [("ab", N), ...]: the Nth RTP packet (1-based) of a direction
             gets one byte flipped (XOR 0xFF) at tamper_offset (12: the
             first payload byte after a plain header; negative from the end,
             -1: the last byte of an SRTP authentication tag); a tampered
             packet is never dropped, held or duplicated.
Two switches a test can throw while the relay runs:
  cut(direction)    every datagram of that direction (RTP, RTCP, other) is
                    dropped from now on (counted as cut, no random draws),
                    as if that peer had stopped sending; cut(direction,
                    False) lets them through again;
  inject(side, data) sends data out of `side`'s socket to its destination,
                    so the endpoint there sees it come from its peer's
                    address (counted as injected in the direction towards
                    that side): forged packets that pass a source check.
A datagram is RTCP when its second byte is 192-223 (RFC 5761), RTP when
its version is 2, "other" otherwise (forwarded, counted, no faults).  It
runs in one thread on a selector with a 10 ms tick and stops by stop().

SipHop is a stateless SIP proxy over UDP between a caller (whoever sends to
it first) and a fixed callee: it adds its Via to requests and pops it from
responses, Record-Routes the dialog-creating INVITE (so ACK, BYE and
re-INVITEs come through it too) and drops a Route to itself, and rewrites
the audio of every SDP body: the caller's c=/m= become the relay's side B
(where the callee will send) and the relay learns the caller's address as
side A's destination; the callee's become side A.  One audio stream; UDP
only; the Request-URI is left alone (dial the hop's port).
"""

import hashlib
import random
import re
import selectors
import socket
import threading
import time

from sipt import TestFailure, check

DIRS = ("ab", "ba")
_COUNTERS = ("rtp_in", "rtp_out", "dropped", "reordered", "duplicated", "tampered",
             "rtcp_in", "rtcp_out", "other", "unroutable", "cut", "injected")
LOG_MAX = 100000


def classify(data):
    """"rtcp", "rtp" or "other" for one datagram."""
    if len(data) >= 2 and data[0] >> 6 == 2 and 192 <= data[1] <= 223:
        return "rtcp"
    if len(data) >= 12 and data[0] >> 6 == 2:
        return "rtp"
    return "other"


def _bind_pair(host, tries=200):
    """Two UDP sockets on consecutive free ports (p, p + 1)."""
    for _ in range(tries):
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            a.bind((host, 0))
        except OSError:
            a.close()
            continue
        p = a.getsockname()[1]
        if p >= 65535:
            a.close()
            continue
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            b.bind((host, p + 1))
        except OSError:
            a.close()
            b.close()
            continue
        return a, b
    raise TestFailure("no two consecutive free UDP ports on %s" % host)


class Relay:
    """See the module notes.  loss, reorder, duplicate: probabilities 0..1."""

    def __init__(self, loss=0.0, reorder=0.0, duplicate=0.0, seed=1, tamper=(),
                 tamper_offset=12, a_dest=None, b_dest=None, host="127.0.0.1",
                 rtcp_faults=False, hold_ms=100):
        for name, v in (("loss", loss), ("reorder", reorder), ("duplicate", duplicate)):
            check(0.0 <= v <= 1.0, "%s %r is not a probability" % (name, v))
        self.tamper = {"ab": set(), "ba": set()}
        for d, n in tamper:
            check(d in DIRS and isinstance(n, int) and n >= 1,
                  "tamper (%r, %r): direction ab|ba and a packet number from 1" % (d, n))
            self.tamper[d].add(n)
        self.loss, self.reorder, self.duplicate = loss, reorder, duplicate
        self.tamper_offset = tamper_offset
        self.rtcp_faults = rtcp_faults
        self.hold = hold_ms / 1000.0
        self.host = host
        self.rng = {"ab": random.Random(seed * 2 + 1), "ba": random.Random(seed * 2 + 2)}
        self.lock = threading.Lock()
        self.counts = {d: dict((c, 0) for c in _COUNTERS) for d in DIRS}
        self.log = {d: [] for d in DIRS}   # (n, seq, action) of RTP packets
        self.held = {d: None for d in DIRS}  # (data, since)
        self.cuts = {d: False for d in DIRS}
        self.dest = {"a": a_dest, "b": b_dest}
        self.rtcp_dest = {"a": None, "b": None}
        self.seen = {("a", False): None, ("a", True): None,
                     ("b", False): None, ("b", True): None}
        self.sock = {}
        self.sock["a", False], self.sock["a", True] = _bind_pair(host)
        self.sock["b", False], self.sock["b", True] = _bind_pair(host)
        self.a_port = self.sock["a", False].getsockname()[1]
        self.b_port = self.sock["b", False].getsockname()[1]
        for s in self.sock.values():
            s.setblocking(False)
        self.stopping = threading.Event()
        self.thread = None

    # ---- control

    def set_dest(self, side, addr, rtcp=None):
        """Where datagrams leaving `side` ("a": towards endpoint A) go: addr
        (host, port) for RTP, rtcp for RTCP (default port + 1)."""
        check(side in ("a", "b"), "side %r is not a or b" % side)
        with self.lock:
            self.dest[side] = tuple(addr) if addr else None
            self.rtcp_dest[side] = tuple(rtcp) if rtcp else None

    def cut(self, direction, on=True):
        """Drop every datagram of direction ("ab": A to B) from now on (on),
        or let them through again; a packet held for reordering is dropped
        with the cut."""
        check(direction in DIRS, "direction %r is not ab or ba" % direction)
        with self.lock:
            self.cuts[direction] = bool(on)
            if on and self.held[direction] is not None:
                self.held[direction] = None
                self.counts[direction]["cut"] += 1

    def inject(self, side, data, rtcp=False):
        """Send data from the relay's `side` socket (RTP, or RTCP's port + 1)
        to that side's endpoint, as if relayed from its peer.  Fails when the
        side has no destination yet."""
        check(side in ("a", "b"), "side %r is not a or b" % side)
        d = "ba" if side == "a" else "ab"
        with self.lock:
            sock, dest = self._target("b" if side == "a" else "a", rtcp)
            check(dest is not None, "inject: side %s has no destination yet" % side)
            sock.sendto(bytes(data), dest)
            self.counts[d]["injected"] += 1

    def addr(self, side):
        """(host, port) that endpoint `side` should send its RTP to."""
        return (self.host, self.a_port if side == "a" else self.b_port)

    def stats(self):
        """{"ab": counters, "ba": counters}, plus each direction's "loss" (dropped / rtp_in)."""
        with self.lock:
            out = {d: dict(self.counts[d]) for d in DIRS}
        for d in DIRS:
            n = out[d]["rtp_in"]
            out[d]["loss"] = out[d]["dropped"] / float(n) if n else 0.0
        return out

    def events(self, direction):
        """[(n, seq, action)] of the direction's RTP packets so far; action
        is sent, dropped, held, duplicated, tampered or unroutable."""
        with self.lock:
            return list(self.log[direction])

    def start(self):
        self.thread = threading.Thread(target=self._run, daemon=True, name="relay")
        self.thread.start()
        return self

    def stop(self, timeout=5.0):
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)
            check(not self.thread.is_alive(), "relay thread did not stop")
            self.thread = None
        for s in self.sock.values():
            s.close()
        self.sock = {}

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # ---- the loop

    def _run(self):
        sel = selectors.DefaultSelector()
        for key, s in self.sock.items():
            sel.register(s, selectors.EVENT_READ, key)
        try:
            while not self.stopping.is_set():
                for k, _ in sel.select(0.01):
                    side, is_rtcp = k.data
                    while True:
                        try:
                            data, src = k.fileobj.recvfrom(65536)
                        except (BlockingIOError, InterruptedError):
                            break
                        except OSError:
                            break  # ICMP port unreachable from an earlier send
                        self._on_datagram(side, is_rtcp, data, src)
                self._flush_held(time.monotonic())
        finally:
            sel.close()

    def _target(self, in_side, is_rtcp):
        """The socket and address a datagram that came in on in_side goes out by."""
        out = "b" if in_side == "a" else "a"
        if is_rtcp:
            dest = self.rtcp_dest[out] or (
                (self.dest[out][0], self.dest[out][1] + 1) if self.dest[out] else None)
        else:
            dest = self.dest[out]
        return self.sock[out, is_rtcp], dest or self.seen[out, is_rtcp]

    def _send(self, sock, dest, data):
        try:
            sock.sendto(data, dest)
        except OSError:
            pass  # a peer that went away: the test sees it in its own checks

    def _on_datagram(self, side, is_rtcp, data, src):
        d = "ab" if side == "a" else "ba"
        kind = classify(data)
        with self.lock:
            self.seen[side, is_rtcp] = src
            c = self.counts[d]
            if self.cuts[d]:
                c["cut"] += 1
                return
            sock, dest = self._target(side, is_rtcp)
            if kind == "rtp" or (kind == "rtcp" and self.rtcp_faults):
                self._fault(d, c, sock, dest, data, kind)
                return
            c["rtcp_in" if kind == "rtcp" else "other"] += 1
            if dest is None:
                c["unroutable"] += 1
                return
            self._send(sock, dest, data)
            if kind == "rtcp":
                c["rtcp_out"] += 1

    def _fault(self, d, c, sock, dest, data, kind):
        """Loss, hold, duplicate, tamper for one RTP (or faulted RTCP) packet."""
        rng = self.rng[d]
        lose, hold, dup = rng.random(), rng.random(), rng.random()
        rtp = kind == "rtp"
        if rtp:
            c["rtp_in"] += 1
            n = c["rtp_in"]
            seq = int.from_bytes(data[2:4], "big")
        else:
            c["rtcp_in"] += 1
            n, seq = None, None
        if dest is None:
            c["unroutable"] += 1
            self._log(d, n, seq, "unroutable")
            return
        out_key = "rtp_out" if rtp else "rtcp_out"
        if rtp and n in self.tamper[d]:
            b = bytearray(data)
            b[self.tamper_offset % len(b)] ^= 0xFF
            c["tampered"] += 1
            self._log(d, n, seq, "tampered")
            self._send(sock, dest, bytes(b))
            c[out_key] += 1
            return
        if lose < self.loss:
            c["dropped"] += 1
            self._log(d, n, seq, "dropped")
            return
        if hold < self.reorder and self.held[d] is None:
            self.held[d] = (sock, dest, data, time.monotonic(), out_key)
            c["reordered"] += 1
            self._log(d, n, seq, "held")
            return
        self._send(sock, dest, data)
        c[out_key] += 1
        self._log(d, n, seq, "sent")
        if dup < self.duplicate:
            self._send(sock, dest, data)
            c[out_key] += 1
            c["duplicated"] += 1
            self._log(d, n, seq, "duplicated")
        if self.held[d] is not None:
            hs, hd, hdata, _, hkey = self.held[d]
            self.held[d] = None
            self._send(hs, hd, hdata)
            c[hkey] += 1

    def _flush_held(self, now):
        with self.lock:
            for d in DIRS:
                h = self.held[d]
                if h is not None and now - h[3] >= self.hold:
                    self.held[d] = None
                    self._send(h[0], h[1], h[2])
                    self.counts[d][h[4]] += 1

    def _log(self, d, n, seq, action):
        if n is not None and len(self.log[d]) < LOG_MAX:
            self.log[d].append((n, seq, action))


# ---- SIP hop

_SDP_C = re.compile(r"^c=IN IP4 ([^\s/]+)(\S*?)(\r?)$", re.M)
_SDP_M = re.compile(r"^m=audio (\d+)( .*)$", re.M)
_SDP_RTCP = re.compile(r"^a=rtcp:(\d+)(.*)$", re.M)


def rewrite_sdp(body, host, port):
    """(new body, (addr, rtp port, rtcp port or None)) with every c= IN IP4
    address set to host and the audio port (and a=rtcp port) moved to port
    (and port + 1); the old values are returned.  A body without an audio
    line, or with port 0 (a refused stream), is returned unchanged with None."""
    m = _SDP_M.search(body)
    if not m or int(m.group(1)) == 0:
        return body, None
    first = _SDP_C.search(body)
    check(first, "SDP without c= IN IP4: %r" % body)
    # the connection address that applies to the audio: a c= after m=audio, else the session's
    after = _SDP_C.search(body, m.end())
    addr = (after or first).group(1)
    rtcp = _SDP_RTCP.search(body)
    old = (addr, int(m.group(1)), int(rtcp.group(1)) if rtcp else None)
    body = _SDP_C.sub(lambda x: "c=IN IP4 %s%s%s" % (host, x.group(2), x.group(3)), body)
    body = _SDP_M.sub(lambda x: "m=audio %d%s" % (port, x.group(2)), body, count=1)
    body = _SDP_RTCP.sub(lambda x: "a=rtcp:%d%s" % (port + 1, x.group(2)), body)
    return body, old


class SipHop:
    """See the module notes.  callee: (host, port) of the UA being called."""

    def __init__(self, relay, callee, host="127.0.0.1"):
        self.relay = relay
        self.callee = (callee[0], int(callee[1]))
        self.caller = None
        self.host = host
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.05)
        self.me = "%s:%d" % (host, self.port)
        self.lock = threading.Lock()
        self.trace = []  # (direction "->callee"/"->caller", first line)
        self.errors = []
        self.stopping = threading.Event()
        self.thread = None

    def start(self):
        self.thread = threading.Thread(target=self._run, daemon=True, name="siphop")
        self.thread.start()
        return self

    def stop(self, timeout=5.0):
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)
            check(not self.thread.is_alive(), "SIP hop thread did not stop")
            self.thread = None
        self.sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def uri(self, user):
        """A SIP URI of `user` that routes through the hop."""
        return "sip:%s@%s" % (user, self.me)

    def firsts(self):
        """The start lines the hop forwarded, with their direction, in order."""
        with self.lock:
            return list(self.trace)

    def _run(self):
        while not self.stopping.is_set():
            try:
                data, src = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                continue
            try:
                self._forward(data, src)
            except Exception as e:  # noqa: BLE001 - a test tool: keep it, report it
                with self.lock:
                    self.errors.append("%s: %r" % (e, data[:200]))

    def _forward(self, data, src):
        text = data.decode("utf-8", "replace")
        if not text.strip():
            return  # keep-alive
        from_callee = (src[0], src[1]) == self.callee
        if not from_callee:
            self.caller = src
        dest = self.caller if from_callee else self.callee
        if dest is None:
            return
        head, sep, body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        first = lines[0]
        if first.startswith("SIP/2.0 "):
            lines = self._pop_via(lines)
        else:
            lines = self._push_via(lines, first)
        if "m=audio" in body:
            side_in, side_out = ("b", "a") if from_callee else ("a", "b")
            body, old = rewrite_sdp(body, self.relay.host, self.relay.addr(side_out)[1])
            if old is not None:
                addr, port, rtcp = old
                self.relay.set_dest(side_in, (addr, port), (addr, rtcp) if rtcp else None)
        lines = [line for line in lines if not re.match(r"(?i)(content-length|l)\s*:", line)]
        lines.append("Content-Length: %d" % len(body.encode()))
        out = "\r\n".join(lines) + "\r\n\r\n" + body
        with self.lock:
            self.trace.append(("->caller" if from_callee else "->callee", first))
        self.sock.sendto(out.encode(), dest)

    def _push_via(self, lines, first):
        top = next((x for x in lines[1:] if re.match(r"(?i)(via|v)\s*:", x)), "")
        branch = "z9hG4bKhop" + hashlib.sha1(top.encode()).hexdigest()[:16]
        out = [lines[0], "Via: SIP/2.0/UDP %s;branch=%s" % (self.me, branch)]
        to_tag = any(re.match(r"(?i)(to|t)\s*:.*;\s*tag=", x) for x in lines[1:])
        for x in lines[1:]:
            if re.match(r"(?i)route\s*:", x) and self.me in x:
                rest = x.split(":", 1)[1].split(",")
                rest = [r for r in rest if self.me not in r]
                if not rest:
                    continue
                x = "Route: " + ",".join(r.strip() for r in rest)
            out.append(x)
        if first.startswith("INVITE ") and not to_tag:
            out.insert(2, "Record-Route: <sip:%s;lr>" % self.me)
        return out

    def _pop_via(self, lines):
        out, popped = [], False
        for x in lines:
            if not popped and re.match(r"(?i)(via|v)\s*:", x):
                popped = True
                vals = x.split(":", 1)[1].split(",")
                if self.me in vals[0]:
                    if len(vals) == 1:
                        continue
                    x = "Via: " + ",".join(v.strip() for v in vals[1:])
            out.append(x)
        return out
