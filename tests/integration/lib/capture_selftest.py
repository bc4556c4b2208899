#!/usr/bin/env python3
"""Self-test of capture.py: the pcap reader, the RTP parser and tcpdump.

  1. pcap files written here in every link type and byte order read back
     as the same UDP packets; fragments, TCP, a cut last record are
     skipped; pcapng and junk are refused with a message.
  2. RTP headers (CSRCs, extension, padding, marker), RTCP and junk told
     apart; RFC 4733 events grouped; loss by sequence numbers over a wrap.
  3. tcpdump on lo: ready by its "listening on" line, every datagram of a
     burst of 1,000 sent after it is in the file (readable while it runs),
     none dropped, stopped by PID with exit 0; a bad filter fails with
     tcpdump's own words.
  4. baresip A (440 Hz) calls baresip B (1000 Hz), captured: in plain RTP
     the payloads to B decode as PCMU of 440 Hz and those to A of 1000 Hz,
     and A's DTMF are telephone-events with three end packets each; with
     SRTP mandatory the same streams are noise (no tone, ~8 bits of entropy
     per byte, 10 bytes of tag on each payload).
Run:  python3 tests/integration/lib/capture_selftest.py
"""

import os
import shutil
import socket
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import audio  # noqa: E402
import baresip  # noqa: E402
import capture  # noqa: E402
from capture import (Capture, UdpPacket, by_ssrc, byte_entropy, g711_tone,  # noqa: E402
                     is_plain_g711_tone, parse_rtp, read_pcap, rtp_loss, rtp_payloads,
                     telephone_events, write_pcap)
from sipt import TestFailure, check, run  # noqa: E402

TMP = tempfile.mkdtemp(prefix="capture-selftest-")


def p(name):
    return os.path.join(TMP, name)


def fails(fn, words):
    try:
        fn()
    except TestFailure as e:
        check(words in str(e), "failure %r does not say %r" % (str(e), words))
        return
    raise TestFailure("no failure (wanted one saying %r)" % words)


PKTS = [UdpPacket("127.0.0.1", 5004, "127.0.0.2", 6000, b"hello"),
        UdpPacket("10.1.2.3", 40000, "10.3.2.1", 40002, bytes(range(256)) * 2),
        UdpPacket("127.0.0.1", 1, "127.0.0.1", 65535, b"")]


def ipv4(src, dst, proto, body, frag=0x4000):
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 0, frag, 64, proto, 0,
                       socket.inet_aton(src), socket.inet_aton(dst)) + body


def udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def pcap(frames, linktype, endian="<", magic=0xA1B2C3D4):
    out = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, 65535, linktype)
    for i, f in enumerate(frames):
        out += struct.pack(endian + "IIII", 100 + i, 500, len(f), len(f)) + f
    return out


def test_reader():
    for lt in (capture.LINKTYPE_EN10MB, capture.LINKTYPE_NULL, capture.LINKTYPE_LINUX_SLL,
               capture.LINKTYPE_RAW):
        write_pcap(p("w%d.pcap" % lt), PKTS, lt)
        got = list(read_pcap(p("w%d.pcap" % lt)))
        check(got == PKTS, "link type %d: %r" % (lt, got))
    ip = ipv4("192.0.2.1", "192.0.2.2", 17, udp(1000, 2000, b"x" * 7))
    ts_ip6 = struct.pack(">IHBB16s16s", 6 << 28, 8 + 8 + 3, 0, 64,
                         socket.inet_pton(socket.AF_INET6, "::1"),
                         socket.inet_pton(socket.AF_INET6, "2001:db8::2"))
    ip6 = ts_ip6 + bytes([17, 0]) + b"\0" * 6 + udp(7, 9, b"six")  # hop-by-hop, then UDP
    ip6 = ip6[:6] + bytes([0]) + ip6[7:]  # next header 0: hop-by-hop
    cases = [
        ("big-endian ns EN10MB", pcap([b"\0" * 12 + b"\x08\x00" + ip], 1, ">", 0xA1B23C4D)),
        ("802.1Q", pcap([b"\0" * 12 + b"\x81\x00\x00\x05\x08\x00" + ip], 1)),
        ("NULL, other byte order", pcap([struct.pack(">I", 2) + ip], 0)),
        ("LOOP", pcap([struct.pack(">I", 2) + ip], 108)),
        ("SLL2", pcap([struct.pack(">HHIHBB8s", 0x0800, 0, 1, 772, 0, 6, b"\0" * 8) + ip], 276)),
        ("IPV4", pcap([ip], 228)),
        ("ethernet padding", pcap([b"\0" * 12 + b"\x08\x00" + ip + b"\0" * 20], 1)),
    ]
    for name, blob in cases:
        with open(p("c.pcap"), "wb") as f:
            f.write(blob)
        got = list(read_pcap(p("c.pcap")))
        check(got == [UdpPacket("192.0.2.1", 1000, "192.0.2.2", 2000, b"x" * 7)],
              "%s: %r" % (name, got))
        check(abs(got[0].ts - 100.0005) < 1e-6 or abs(got[0].ts - 100.0000005) < 1e-9,
              "%s: ts %r" % (name, got[0].ts))
    with open(p("v6.pcap"), "wb") as f:
        f.write(pcap([b"\0" * 12 + b"\x86\xdd" + ip6], 1))
    got = list(read_pcap(p("v6.pcap")))
    check(got == [UdpPacket("::1", 7, "2001:db8::2", 9, b"six")], "IPv6: %r" % got)
    skipped = [
        b"\0" * 12 + b"\x08\x00" + ipv4("1.1.1.1", "2.2.2.2", 6, b"\0" * 20),    # TCP
        b"\0" * 12 + b"\x08\x00" + ipv4("1.1.1.1", "2.2.2.2", 17, udp(1, 2, b"a"), 0x2000),  # MF
        b"\0" * 12 + b"\x08\x00" + ipv4("1.1.1.1", "2.2.2.2", 17, b"abcdefgh", 0x0010),  # offset
        b"\0" * 12 + b"\x08\x06" + b"\0" * 28,                                  # ARP
        b"\0" * 5,                                                              # runt
    ]
    blob = pcap(skipped + [b"\0" * 12 + b"\x08\x00" + ip], 1)
    with open(p("s.pcap"), "wb") as f:
        f.write(blob + struct.pack("<IIII", 1, 2, 500, 500) + b"cut short")
    got = list(read_pcap(p("s.pcap")))
    check(len(got) == 1 and got[0].payload == b"x" * 7, "skipping: %r" % got)
    with open(p("ng.pcap"), "wb") as f:
        f.write(b"\x0a\x0d\x0d\x0a" + b"\0" * 40)
    fails(lambda: list(read_pcap(p("ng.pcap"))), "pcapng is not read here")
    with open(p("junk.pcap"), "wb") as f:
        f.write(b"J" * 40)
    fails(lambda: list(read_pcap(p("junk.pcap"))), "not a pcap file (magic 4a4a4a4a)")
    with open(p("short.pcap"), "wb") as f:
        f.write(b"\xd4\xc3\xb2\xa1")
    fails(lambda: list(read_pcap(p("short.pcap"))), "is not a pcap file (4 bytes)")
    with open(p("lt.pcap"), "wb") as f:
        f.write(pcap([], 105))
    fails(lambda: list(read_pcap(p("lt.pcap"))), "link type 105 is not read here")
    fails(lambda: list(read_pcap(p("absent.pcap"))), "cannot read pcap")


def rtp(seq, pt=0, payload=b"\xff" * 160, ts=0, ssrc=7, marker=False, csrcs=(), ext=None,
        pad=0):
    b0 = 0x80 | len(csrcs) | (0x10 if ext is not None else 0) | (0x20 if pad else 0)
    out = struct.pack(">BBHII", b0, pt | (0x80 if marker else 0), seq, ts, ssrc)
    out += b"".join(struct.pack(">I", c) for c in csrcs)
    if ext is not None:
        out += struct.pack(">HH", 0xBEDE, len(ext) // 4) + ext
    out += payload
    if pad:
        out += b"\0" * (pad - 1) + bytes([pad])
    return out


def test_rtp():
    r = parse_rtp(rtp(65535, pt=8, payload=b"abc", ts=0xDEADBEEF, ssrc=0x01020304, marker=True,
                      csrcs=(11, 12), ext=b"\1\2\3\4\5\6\7\x08", pad=4))
    check(tuple(r) == (8, 65535, 0xDEADBEEF, 0x01020304, b"abc"), "fields %r" % (tuple(r),))
    check(r.marker and r.csrcs == [11, 12] and r.ext == (0xBEDE, b"\1\2\3\4\5\6\7\x08")
          and r.padding == 4, "extras %r %r %r %r" % (r.marker, r.csrcs, r.ext, r.padding))
    pt, seq, ts, ssrc, payload = parse_rtp(rtp(3))  # unpacks as the five fields
    check((pt, seq, payload) == (0, 3, b"\xff" * 160) and not parse_rtp(rtp(3)).marker, "plain")
    for name, data in (("RTCP SR", b"\x80\xc8\x00\x06" + b"\0" * 24),
                       ("RTCP RR", b"\x81\xc9\x00\x07" + b"\0" * 28),
                       ("version 1", b"\x40" + rtp(1)[1:]),
                       ("short", rtp(1)[:11]),
                       ("CSRCs past the end", b"\x8f" + rtp(1)[1:12]),
                       ("extension past the end", rtp(1, payload=b"", ext=b"\0" * 8)[:18]),
                       ("padding past the end", bytes([0xA0]) + rtp(1, payload=b"")[1:12] +
                        b"\0\0\x09"),
                       ("padding 0", rtp(1, payload=b"ab")[:0] + bytes([0xA0]) +
                        rtp(1, payload=b"ab")[1:] + b"\0")):
        check(parse_rtp(data) is None, "%s parsed as RTP" % name)
    pk = [UdpPacket("127.0.0.1", 10, "127.0.0.1", 20, rtp(1)),
          UdpPacket("127.0.0.1", 11, "127.0.0.1", 20, rtp(2)),
          UdpPacket("127.0.0.1", 10, "127.0.0.1", 21, rtp(3)),
          UdpPacket("127.0.0.1", 10, "127.0.0.1", 20, b"\x80\xc8\x00\x06" + b"\0" * 24),
          UdpPacket("127.0.0.1", 10, "127.0.0.1", 20, b"junk")]
    for x in pk:
        x.ts = 5.0
    got = rtp_payloads(pk, 20)
    check([x.seq for x in got] == [1, 2], "to port 20: %r" % [x.seq for x in got])
    check([x.seq for x in rtp_payloads(pk, 20, sport=11)] == [2], "from port 11")
    check(got[0].src == "127.0.0.1" and got[0].sport == 10 and got[0].dport == 20
          and got[0].time == 5.0, "addresses")
    check(list(by_ssrc(got + [parse_rtp(rtp(9, ssrc=8))])) == [7, 8], "by_ssrc")
    # RFC 4733: digit 5 in 4 packets (last three ends), then # in 2
    evs = [rtp(100, 101, struct.pack(">BBH", 5, 10, 160), ts=8000, marker=True),
           rtp(101, 101, struct.pack(">BBH", 5, 0x80 | 10, 320), ts=8000),
           rtp(102, 101, struct.pack(">BBH", 5, 0x80 | 10, 320), ts=8000),
           rtp(103, 101, struct.pack(">BBH", 5, 0x80 | 10, 320), ts=8000),
           rtp(104, 0, ts=8320),
           rtp(105, 101, struct.pack(">BBH", 11, 7, 160), ts=9000, marker=True),
           rtp(106, 101, struct.pack(">BBH", 11, 0x80 | 7, 400), ts=9000),
           rtp(107, 101, b"\1", ts=9000)]
    te = telephone_events([parse_rtp(e) for e in evs])
    check([(e["digit"], e["packets"], e["end_packets"], e["duration"], e["marker"], e["volume"])
           for e in te] == [("5", 4, 3, 320, True, 10), ("#", 2, 1, 400, True, 7)],
          "events %r" % te)
    seqs = [65533, 65534, 65535, 0, 2, 3, 3, 1]  # wrap, a late one, a duplicate
    check(rtp_loss([parse_rtp(rtp(s)) for s in seqs]) == (7, 7, 0), "loss over a wrap")
    seqs = [65530, 65531, 65535, 1, 4]
    check(rtp_loss([parse_rtp(rtp(s)) for s in seqs]) == (11, 5, 6), "gaps over a wrap")
    check(rtp_loss([]) == (0, 0, 0), "no packets")
    # G.711 helpers on made-up payloads
    tone = audio.tone_samples(1000, 1.0)
    stream = [parse_rtp(rtp(i, 0, audio.ulaw_encode(tone[i * 160:(i + 1) * 160])))
              for i in range(50)]
    check(g711_tone(stream, (440, 1000))[0] == 1000 and is_plain_g711_tone(stream, 1000),
          "mu-law tone")
    check(not is_plain_g711_tone(stream[:20], 1000), "20 packets are enough")
    a = [parse_rtp(rtp(i, 8, audio.alaw_encode(tone[i * 160:(i + 1) * 160]))) for i in range(50)]
    check(is_plain_g711_tone(a, 1000) and g711_tone(a, (1000,), pt=0)[0] is None, "A-law")
    check(byte_entropy([]) == 0.0 and abs(byte_entropy([parse_rtp(rtp(1, payload=bytes(
        range(256))))]) - 8.0) < 1e-9, "entropy")


def test_tcpdump():
    N = 1000  # a burst: the default snapshot length in immediate mode lost 84 of 100
    check(capture.available(), "tcpdump is not installed")
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    port = rx.getsockname()[1]
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.bind(("127.0.0.1", 0))
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind(("127.0.0.1", 0))
    with Capture(ports=[port]) as cap:
        t0 = time.monotonic()
        for i in range(N):
            tx.sendto(b"datagram %d" % i, ("127.0.0.1", port))
            tx.sendto(b"not captured", other.getsockname())
        # -U: in the file while tcpdump runs (bounded wait for its writes)
        end = time.monotonic() + 5
        while len(cap.packets()) < N and time.monotonic() < end:
            time.sleep(0.05)
        live = len(cap.packets())
        path = cap.path
    print("  %d datagrams in a burst: %d read live, tcpdump says %r captured, %r dropped; %.2f s"
          % (N, live, cap.captured(), cap.dropped(), time.monotonic() - t0))
    check(live == N, "read while running: %d" % live)
    check(cap.returncode == 0, "tcpdump exit %r:\n%s" % (cap.returncode, cap.stderr()))
    got = cap.packets()
    check([x.payload for x in got] == [b"datagram %d" % i for i in range(N)],
          "payloads %r" % [x.payload for x in got][:3])
    check(all(x.sport == tx.getsockname()[1] and x.dport == port and x.src == "127.0.0.1"
              for x in got), "addresses")
    check(got[0].ts > 1e9 and got[-1].ts >= got[0].ts, "timestamps %r" % got[0].ts)
    check(cap.captured() == N and cap.dropped() == 0,
          "tcpdump's counts %r %r" % (cap.captured(), cap.dropped()))
    check(not os.path.exists(path), "temporary capture left after success")
    for s in (rx, tx, other):
        s.close()
    bad = Capture(bpf="udp and port 99999")
    fails(bad.start, "tcpdump udp and port 99999: not listening")
    check(bad.proc is None, "a failed tcpdump left running")
    check("illegal port" in bad.stderr() or "99999" in bad.stderr(), "stderr %r" % bad.stderr())
    bad.cleanup()
    fails(lambda: Capture(ports=[0]), "ports [0]")


def call_capture(srtp):
    """A (440 Hz) calls B (1000 Hz) under capture; A sends DTMF 159#."""
    with baresip.Baresip(user="alice", name="A", tone_hz=440, srtp=srtp) as a, \
            baresip.Baresip(user="bob", name="B", tone_hz=1000, srtp=srtp) as b, \
            Capture(portrange=(min(a.rtp_ports[0], b.rtp_ports[0]),
                               max(a.rtp_ports[1], b.rtp_ports[1]))) as cap:
        mb = b.mark()
        a.dial(b.uri)
        a.wait_event("CALL_ESTABLISHED")
        b.wait_event("CALL_ESTABLISHED")
        time.sleep(1.5)
        a.send_dtmf("159#")
        b.wait_dtmf("159#", after=mb)
        time.sleep(0.5)
        a.hangup()
        b.wait_event("CALL_CLOSED")
        pa, pb = a.rtp_port(), b.rtp_port()
    pk = cap.packets()
    return rtp_payloads(pk, pb), rtp_payloads(pk, pa)


def test_baresip_plain_and_srtp():
    check(baresip.available(media=True), "baresip with sndfile and srtp is not installed")
    to_b, to_a = call_capture(None)
    audio_b = [r for r in to_b if r.pt == 0]
    audio_a = [r for r in to_a if r.pt == 0]
    hz_b, hz_a = g711_tone(to_b, (440, 1000)), g711_tone(to_a, (440, 1000))
    ev = telephone_events(to_b)
    print("  plain: %d packets to B (%s), %d to A (%s); entropy %.2f / %.2f; events %s"
          % (len(audio_b), hz_b, len(audio_a), hz_a, byte_entropy(audio_b),
             byte_entropy(audio_a), [(e["digit"], e["packets"], e["end_packets"]) for e in ev]))
    check(len(audio_b) >= 100 and len(audio_a) >= 100, "too few packets")
    check(all(len(r.payload) == 160 for r in audio_b + audio_a), "plain payload sizes")
    check(is_plain_g711_tone(to_b, 440) and not is_plain_g711_tone(to_b, 1000), "to B %r" % (hz_b,))
    check(is_plain_g711_tone(to_a, 1000) and not is_plain_g711_tone(to_a, 440), "to A %r" % (hz_a,))
    # audio and events share the SSRC and the sequence numbers
    check(len(by_ssrc(to_b)) == 1 and rtp_loss(to_b)[2] == 0, "one stream, no loss")
    check(rtp_loss(audio_b)[2] == 12 * 4, "the events' sequence numbers: %r" % (rtp_loss(audio_b),))
    check([e["digit"] for e in ev] == list("159#"), "events %r" % ev)
    for e in ev:
        check(e["marker"] and e["end_packets"] == 3 and e["duration"] == 1440,
              "event %r (baresip: 180 ms, three end packets)" % e)

    to_b, to_a = call_capture("mandatory")
    audio_b = [r for r in to_b if r.pt == 0]
    audio_a = [r for r in to_a if r.pt == 0]
    hz_b, hz_a = g711_tone(to_b, (440, 1000)), g711_tone(to_a, (440, 1000))
    print("  SRTP:  %d packets to B (%s), %d to A (%s); entropy %.2f / %.2f"
          % (len(audio_b), hz_b, len(audio_a), hz_a, byte_entropy(audio_b),
             byte_entropy(audio_a)))
    check(len(audio_b) >= 100 and len(audio_a) >= 100, "too few SRTP packets")
    check(all(len(r.payload) == 170 for r in audio_b + audio_a),
          "SRTP payload sizes %r (160 + 10 tag)" % set(len(r.payload) for r in audio_b))
    check(not is_plain_g711_tone(to_b, 440) and not is_plain_g711_tone(to_a, 1000),
          "a tone heard in SRTP payloads")
    check(hz_b[0] is None and hz_a[0] is None and hz_b[1] < 0.1 and hz_a[1] < 0.1,
          "SRTP decoded has a tone: %r %r" % (hz_b, hz_a))
    check(byte_entropy(audio_b) > 7.5 and byte_entropy(audio_a) > 7.5, "SRTP entropy")


if __name__ == "__main__":
    try:
        run([("pcap reader: link types, byte orders, skips, refusals", test_reader),
             ("RTP, RTCP, RFC 4733 events, loss by sequence", test_rtp),
             ("tcpdump on lo: ready, complete, stopped", test_tcpdump),
             ("baresip call captured: plain PCMU tones and DTMF; SRTP noise",
              test_baresip_plain_and_srtp)])
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
