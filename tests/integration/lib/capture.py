"""capture: what went over loopback, read back in pure Python (tcpdump + pcap).

    from capture import Capture, rtp_payloads, g711_tone, is_plain_g711_tone
    with Capture(ports=[a_rtp, b_rtp]) as cap:     # tcpdump -i lo -U -w FILE ...
        ... a call ...
    pkts = cap.packets()                            # [UdpPacket(src, sport, dst, dport, payload)]
    rtp = rtp_payloads(pkts, b_rtp)                 # what arrived at b_rtp
    g711_tone(rtp, (440, 1000))                     # (440, 0.99): plain PCMU of 440 Hz
    is_plain_g711_tone(rtp, 440)                    # False for SRTP: noise

Capture runs the Debian tcpdump (4.99) as `tcpdump -i lo -U
--immediate-mode -s 8192 -B 16384 -n -w FILE FILTER` (FILTER: "udp and
(port P or ...)", or a portrange, or one given whole), waits for its
"listening on lo, link-type EN10MB (Ethernet)" line on stderr (it comes
once the capture is active: a packet sent after it is in the file), and
stops it by PID: SIGTERM (it then writes "N packets captured" and exits 0),
SIGKILL after a bound.  Measured, and why each option is there:
  - without --immediate-mode libpcap hands packets over in blocks with a
    1 s timeout, and SIGTERM exits without draining them: the last second
    of a call was missing from the file;
  - in immediate mode the kernel ring has one slot per snapshot length:
    with the default (262144) a 2 MB ring holds 8 packets and a burst of
    100 datagrams lost 84 ("dropped by kernel"); -s 8192 -B 16384 gives
    2,048 slots (RTP and SIP over UDP fit in 8192 bytes);
  - -U writes each packet as it comes, so the file can be read while
    tcpdump runs.
It needs root or CAP_NET_RAW; on Linux lo is DLT_EN10MB (Ethernet frames
with zero addresses), and every packet is in the file once (tcpdump's
"received by filter" counts each twice on lo).

read_pcap() reads classic pcap (not pcapng: tcpdump -w writes classic):
microsecond and nanosecond magic in either byte order; link types EN10MB
(with 802.1Q tags), NULL/LOOP (BSD lo), LINUX_SLL, LINUX_SLL2 ("-i any"),
RAW/IPV4/IPV6; IPv4 and IPv6 (extension headers skipped); non-first IP
fragments and non-UDP packets are skipped; a truncated last record ends the
file (tcpdump killed while writing).

rtp_payloads() parses RTP (RFC 3550: CSRCs, header extension, padding; not
RTCP, whose second byte is 192-223 on a muxed port); telephone_events()
decodes RFC 4733 events.  For SRTP the payload is ciphertext with the
authentication tag at its end: decoded as G.711 it is noise, which is what
is_plain_g711_tone() and byte_entropy() tell apart.
"""

import collections
import math
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import threading
import time

import audio
from sipt import WAIT, TestFailure, check

TCPDUMP = os.environ.get("TCPDUMP") or shutil.which("tcpdump") or "/usr/bin/tcpdump"

LINKTYPE_NULL, LINKTYPE_EN10MB, LINKTYPE_RAW, LINKTYPE_LOOP = 0, 1, 101, 108
LINKTYPE_LINUX_SLL, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL2 = 113, 228, 229, 276
_RAW_DLTS = (LINKTYPE_RAW, 12, 14, LINKTYPE_IPV4, LINKTYPE_IPV6)


def available():
    """tcpdump is installed and we may capture (root or capabilities)."""
    return os.access(TCPDUMP, os.X_OK)


class UdpPacket(collections.namedtuple("UdpPacket", "src sport dst dport payload")):
    """One UDP datagram; also .ts (capture time, float seconds)."""
    ts = 0.0


class RtpPacket(collections.namedtuple("RtpPacket", "pt seq ts ssrc payload")):
    """One RTP packet; also .marker, .csrcs, .ext, .padding, and the UDP
    .src .sport .dst .dport .time it came in."""
    marker = False


# ---- tcpdump

class Capture:
    """tcpdump on loopback into a file, started and stopped by PID.

    ports: a port or a list of ports; portrange: (low, high); or bpf: a
    whole filter expression.  path: the pcap file (default: a temporary one,
    removed by cleanup() unless SIPT_KEEP is set)."""

    def __init__(self, ports=None, portrange=None, bpf=None, path=None, iface="lo",
                 snaplen=8192):
        if bpf is None:
            if ports is not None:
                ps = [ports] if isinstance(ports, int) else list(ports)
                check(ps and all(isinstance(p, int) and 0 < p < 65536 for p in ps),
                      "ports %r" % (ports,))
                bpf = "udp and (%s)" % " or ".join("port %d" % p for p in ps)
            elif portrange is not None:
                lo, hi = portrange
                check(0 < lo <= hi < 65536, "portrange %r" % (portrange,))
                bpf = "udp and portrange %d-%d" % (lo, hi)
            else:
                bpf = "udp"
        self.bpf = bpf
        self.iface = iface
        self.snaplen = snaplen
        self.dir = None
        if path is None:
            self.dir = tempfile.mkdtemp(prefix="capture-test-")
            path = os.path.join(self.dir, "capture.pcap")
        self.path = path
        self.proc = None
        self.err_lines = []
        self.cv = threading.Condition()
        self.reader = None
        self.returncode = None
        self._packets = None

    def _read_err(self, f):
        for raw in iter(f.readline, b""):
            with self.cv:
                self.err_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self.cv.notify_all()
        with self.cv:
            self.err_lines.append(None)  # EOF
            self.cv.notify_all()

    def start(self, timeout=WAIT):
        check(available(), "tcpdump is not installed (apt-get install tcpdump)")
        self.proc = subprocess.Popen(
            [TCPDUMP, "-i", self.iface, "-U", "--immediate-mode", "-s", str(self.snaplen),
             "-B", "16384", "-n", "-w", self.path, self.bpf],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.reader = threading.Thread(target=self._read_err, args=(self.proc.stderr,),
                                       daemon=True)
        self.reader.start()
        end = time.monotonic() + timeout
        ready = False
        with self.cv:
            while True:
                ready = any(line and "listening on" in line for line in self.err_lines)
                left = end - time.monotonic()
                if ready or None in self.err_lines or left <= 0:
                    break
                self.cv.wait(min(left, 0.2))
        if not ready:
            self.stop()
            raise TestFailure("tcpdump %s: not listening within %.0f s:\n%s"
                              % (self.bpf, timeout, self.stderr()))
        return self

    def stop(self, kill_after=5.0):
        """SIGTERM by PID, SIGKILL after kill_after; returns the exit status."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.returncode = self.proc.returncode
        if self.reader is not None:
            self.reader.join(2)
            self.reader = None
        self.proc.stderr.close()
        self.proc = None
        if os.path.exists(self.path):
            self._packets = list(read_pcap(self.path))
        return self.returncode

    def stderr(self):
        with self.cv:
            return "\n".join(line for line in self.err_lines if line)

    def captured(self):
        """tcpdump's own count ("N packets captured"), after stop(); or None."""
        for line in self.stderr().split("\n"):
            if line.endswith("packets captured") or line.endswith("packet captured"):
                return int(line.split()[0])
        return None

    def dropped(self):
        """tcpdump's "N packets dropped by kernel", after stop(); or None."""
        for line in self.stderr().split("\n"):
            if line.endswith("dropped by kernel"):
                return int(line.split()[0])
        return None

    def packets(self):
        """The UDP packets captured (a list of UdpPacket): read from the file
        while tcpdump runs, kept from the moment it was stopped after that."""
        if self.proc is None and self._packets is not None:
            return list(self._packets)
        return list(read_pcap(self.path))

    def cleanup(self):
        if self.dir and not os.environ.get("SIPT_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        """Stops tcpdump; the packets stay readable; a temporary file is
        removed after success (kept after a failure or with SIPT_KEEP)."""
        self.stop()
        if exc_type is None:
            self.cleanup()
        else:
            print("capture kept: %s" % self.path)
        return False


# ---- pcap

def _magic(head):
    m = head[:4]
    table = {b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
             b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9)}
    if m in table:
        return table[m]
    if m == b"\x0a\x0d\x0d\x0a":
        raise TestFailure("pcapng is not read here: write classic pcap (tcpdump -w does)")
    raise TestFailure("not a pcap file (magic %s)" % m.hex())


def read_pcap(path):
    """Yield every UDP packet of a classic pcap file as UdpPacket (src, sport,
    dst, dport, payload) with .ts."""
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError as e:
        raise TestFailure("cannot read pcap %s: %s" % (path, e))
    check(len(blob) >= 24, "%s is not a pcap file (%d bytes)" % (path, len(blob)))
    end, unit = _magic(blob)
    linktype = struct.unpack_from(end + "I", blob, 20)[0] & 0x0FFFFFFF
    check(linktype in (LINKTYPE_NULL, LINKTYPE_EN10MB, LINKTYPE_LOOP, LINKTYPE_LINUX_SLL,
                       LINKTYPE_LINUX_SLL2) + _RAW_DLTS,
          "%s: link type %d is not read here" % (path, linktype))
    pos = 24
    while pos + 16 <= len(blob):
        sec, frac, incl, _orig = struct.unpack_from(end + "IIII", blob, pos)
        pos += 16
        if pos + incl > len(blob):
            break  # a record cut short: the writer was stopped mid-write
        frame = blob[pos:pos + incl]
        pos += incl
        pkt = _udp_of_frame(frame, linktype, end)
        if pkt is not None:
            pkt.ts = sec + frac * unit
            yield pkt


def _ip_of_frame(frame, linktype, end):
    """(ip version, ip bytes) or None."""
    if linktype == LINKTYPE_EN10MB:
        if len(frame) < 14:
            return None
        et, off = struct.unpack_from(">H", frame, 12)[0], 14
        while et in (0x8100, 0x88A8) and len(frame) >= off + 4:
            et, off = struct.unpack_from(">H", frame, off + 2)[0], off + 4
        ver = {0x0800: 4, 0x86DD: 6}.get(et)
        return (ver, frame[off:]) if ver else None
    if linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
        if len(frame) < 4:
            return None
        fam = struct.unpack_from((">" if linktype == LINKTYPE_LOOP else end) + "I", frame)[0]
        if fam > 0xFFFF:  # written on a host of the other byte order
            fam = struct.unpack_from("<I" if end == ">" else ">I", frame)[0]
        ver = 4 if fam == 2 else (6 if fam in (10, 24, 28, 30) else None)
        return (ver, frame[4:]) if ver else None
    if linktype == LINKTYPE_LINUX_SLL:
        if len(frame) < 16:
            return None
        ver = {0x0800: 4, 0x86DD: 6}.get(struct.unpack_from(">H", frame, 14)[0])
        return (ver, frame[16:]) if ver else None
    if linktype == LINKTYPE_LINUX_SLL2:
        if len(frame) < 20:
            return None
        ver = {0x0800: 4, 0x86DD: 6}.get(struct.unpack_from(">H", frame, 0)[0])
        return (ver, frame[20:]) if ver else None
    if not frame:
        return None
    ver = frame[0] >> 4
    return (ver, frame) if ver in (4, 6) else None


def _addr6(b):
    import socket
    return socket.inet_ntop(socket.AF_INET6, b)


def _udp_of_frame(frame, linktype, end):
    got = _ip_of_frame(frame, linktype, end)
    if got is None:
        return None
    ver, ip = got
    if ver == 4:
        if len(ip) < 20 or ip[0] >> 4 != 4:
            return None
        ihl = (ip[0] & 0x0F) * 4
        total = struct.unpack_from(">H", ip, 2)[0]
        frag = struct.unpack_from(">H", ip, 6)[0]
        if ip[9] != 17 or ihl < 20 or len(ip) < ihl + 8 or frag & 0x3FFF:
            return None  # not UDP, or a fragment (more-fragments or an offset)
        ip = ip[:total] if ihl <= total <= len(ip) else ip
        src, dst = ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20]))
        udp = ip[ihl:]
    elif ver == 6:
        if len(ip) < 40:
            return None
        plen = struct.unpack_from(">H", ip, 4)[0]
        nh, off = ip[6], 40
        ip = ip[:40 + plen] if 40 + plen <= len(ip) else ip
        while nh in (0, 43, 60, 44):
            if len(ip) < off + 8:
                return None
            if nh == 44:
                if struct.unpack_from(">H", ip, off + 2)[0] & 0xFFF9:
                    return None  # a fragment
                nh, off = ip[off], off + 8
            else:
                nh, off = ip[off], off + (ip[off + 1] + 1) * 8
        if nh != 17 or len(ip) < off + 8:
            return None
        src, dst = _addr6(ip[8:24]), _addr6(ip[24:40])
        udp = ip[off:]
    else:
        return None
    sport, dport, ulen = struct.unpack_from(">HHH", udp, 0)
    payload = udp[8:ulen] if 8 <= ulen <= len(udp) else udp[8:]
    return UdpPacket(src, sport, dst, dport, bytes(payload))


def write_pcap(path, packets, linktype=LINKTYPE_EN10MB):
    """Write UdpPackets (IPv4) as a classic pcap (for tests of the reader and
    for replaying); returns path."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype)]
    for p in packets:
        udp = struct.pack(">HHHH", p.sport, p.dport, 8 + len(p.payload), 0) + p.payload
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                         bytes(map(int, p.src.split("."))),
                         bytes(map(int, p.dst.split(".")))) + udp
        if linktype == LINKTYPE_EN10MB:
            frame = b"\0" * 12 + b"\x08\x00" + ip
        elif linktype == LINKTYPE_NULL:
            frame = struct.pack("<I", 2) + ip
        elif linktype == LINKTYPE_LINUX_SLL:
            frame = struct.pack(">HHH8sH", 0, 772, 0, b"\0" * 8, 0x0800) + ip
        else:
            check(linktype in _RAW_DLTS, "write_pcap: link type %d" % linktype)
            frame = ip
        ts = getattr(p, "ts", 0.0)
        out.append(struct.pack("<IIII", int(ts), int((ts % 1) * 1e6), len(frame), len(frame)))
        out.append(frame)
    with open(path, "wb") as f:
        f.write(b"".join(out))
    return path


# ---- RTP

def parse_rtp(data):
    """RtpPacket of one datagram, or None if it is not RTP (too short, not
    version 2, RTCP, or its header runs past the end)."""
    if len(data) < 12 or data[0] >> 6 != 2:
        return None
    if 192 <= data[1] <= 223:
        return None  # RTCP (RFC 5761 4.)
    cc = data[0] & 0x0F
    off = 12 + 4 * cc
    if len(data) < off:
        return None
    ext = None
    if data[0] & 0x10:
        if len(data) < off + 4:
            return None
        prof, words = struct.unpack_from(">HH", data, off)
        if len(data) < off + 4 + 4 * words:
            return None
        ext = (prof, data[off + 4:off + 4 + 4 * words])
        off += 4 + 4 * words
    pad = 0
    if data[0] & 0x20:
        pad = data[-1]
        if pad == 0 or off + pad > len(data):
            return None
    seq, ts, ssrc = struct.unpack_from(">HII", data, 2)
    r = RtpPacket(data[1] & 0x7F, seq, ts, ssrc, bytes(data[off:len(data) - pad]))
    r.marker = bool(data[1] & 0x80)
    r.csrcs = list(struct.unpack_from(">%dI" % cc, data, 12)) if cc else []
    r.ext = ext
    r.padding = pad
    return r


def rtp_payloads(packets, port, sport=None):
    """The RTP packets sent to UDP port `port` (from `sport` when given), in
    capture order, each with .src .sport .dst .dport .time."""
    out = []
    for p in packets:
        if p.dport != port or (sport is not None and p.sport != sport):
            continue
        r = parse_rtp(p.payload)
        if r is None:
            continue
        r.src, r.sport, r.dst, r.dport, r.time = p.src, p.sport, p.dst, p.dport, p.ts
        out.append(r)
    return out


def by_ssrc(rtp):
    """{ssrc: [RtpPacket, ...]} in order."""
    out = collections.OrderedDict()
    for r in rtp:
        out.setdefault(r.ssrc, []).append(r)
    return out


G711_PT = {0: audio.ulaw_decode, 8: audio.alaw_decode}


def g711_samples(rtp, pt=None):
    """The payloads of the PCMU (0) and PCMA (8) packets (only pt, when
    given), decoded as G.711 and joined: array('h')."""
    out = audio.tone_samples(None, 0)
    for r in rtp:
        if r.pt in G711_PT and (pt is None or r.pt == pt):
            out += G711_PT[r.pt](r.payload)
    return out


def g711_tone(rtp, candidates, pt=None, min_share=0.5):
    """(hz, share) of the decoded G.711 payloads (audio.dominant_hz); hz None
    when no candidate holds min_share: encrypted payloads, or no packets."""
    return audio.dominant_hz(g711_samples(rtp, pt), 8000, candidates, min_share=min_share)


def is_plain_g711_tone(rtp, hz, min_share=0.9, min_packets=25):
    """True when at least min_packets G.711 packets carry, decoded, a tone
    at hz holding min_share of the energy: the plain bytes of that tone.
    SRTP payloads of the same tone decode to noise (share ~0.02)."""
    n = sum(1 for r in rtp if r.pt in G711_PT)
    if n < min_packets:
        return False
    got, share = g711_tone(rtp, (hz,), min_share=min_share)
    return got == hz


def byte_entropy(rtp):
    """Shannon entropy of the payload bytes, bits per byte (0..8): ciphertext
    is ~7.9 over a few thousand bytes; G.711 of a tone far less."""
    counts = [0] * 256
    n = 0
    for r in rtp:
        for b in r.payload:
            counts[b] += 1
        n += len(r.payload)
    if not n:
        return 0.0
    return -sum(c / n * math.log2(c / n) for c in counts if c)


def parse_telephone_event(payload):
    """RFC 4733 event payload -> (event, end, volume, duration) or None."""
    if len(payload) < 4:
        return None
    ev, flags, dur = struct.unpack_from(">BBH", payload)
    return ev, bool(flags & 0x80), flags & 0x3F, dur


EVENT_DIGITS = "0123456789*#ABCD"


def telephone_events(rtp, pt=101):
    """RFC 4733 events in packets of payload type pt, one dict per event
    (packets sharing an RTP timestamp): {"digit" (or "event" number above 15),
    "ts", "marker" (first packet's), "packets", "end_packets", "duration"
    (the largest, in timestamp units), "volume"}."""
    out = []
    cur = None
    for r in rtp:
        if r.pt != pt:
            continue
        e = parse_telephone_event(r.payload)
        if e is None:
            continue
        ev, end, vol, dur = e
        if cur is None or r.ts != cur["ts"]:
            cur = {"digit": EVENT_DIGITS[ev] if ev < 16 else None, "event": ev,
                   "ts": r.ts, "marker": r.marker, "packets": 0, "end_packets": 0,
                   "duration": 0, "volume": vol}
            out.append(cur)
        cur["packets"] += 1
        cur["end_packets"] += 1 if end else 0
        cur["duration"] = max(cur["duration"], dur)
    return out


def rtp_loss(rtp):
    """(expected, received, lost) of one stream by its sequence numbers
    (extended over wrap-arounds as RFC 3550 A.1; duplicates count once)."""
    seen = set()
    top = None
    for r in rtp:
        if top is None:
            e = r.seq
        else:
            e = top + ((r.seq - (top & 0xFFFF) + 0x8000) & 0xFFFF) - 0x8000
        top = e if top is None else max(top, e)
        seen.add(e)
    if not seen:
        return 0, 0, 0
    expected = max(seen) - min(seen) + 1
    return expected, len(seen), expected - len(seen)
