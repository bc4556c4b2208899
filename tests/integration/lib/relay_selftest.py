#!/usr/bin/env python3
"""Self-test of relay.py: the relay does to packets what it says, and counts it.

  1. Two plain UDP sockets, 1,000 RTP packets each way through a relay with
     20 % loss, 10 % reordering, 5 % duplicates (fixed seed): the counts add
     up to what arrived, the loss ratio is 20 % +- 4 points, every held
     packet arrives right after its successor, duplicates arrive twice, the
     same seed makes the same decisions and another seed others.
  2. Tampering flips exactly the Nth packet's byte; RTCP goes port + 1 to
     port + 1 without faults; garbage is forwarded and counted as other; a
     packet with nowhere to go is counted unroutable; a held last packet
     still goes out after hold_ms; stop() frees the ports.
  2b. cut("ab") drops everything A sends (RTP, RTCP, garbage), counted as
     cut, while B's packets still reach A; cut("ab", False) lets A's through
     again; inject() sends from the relay's side socket, so the endpoint
     sees its peer's address, and needs a destination.
  3. SDP rewriting (rewrite_sdp) of c=, m= and a=rtcp.
  4. With baresip (when installed): A (440 Hz) calls B (recording) through
     SipHop and a relay losing 20 % and reordering 10 %: B still records
     440 Hz, for about 80 % of the call, the relay saw ~20 % loss, and the
     whole dialog (INVITE, ACK, BYE) went through the hop.  Then SRTP
     mandatory with packet 60 tampered: B logs exactly one failed
     decryption and still records 440 Hz.
  5. With sipuad (SIPUAD=path, or build/sipuad): baresip calls sipuad
     through the hop and sipuad calls baresip through it; each is given
     the relay's port, INVITE, ACK and BYE go through the hop.
Run:  SIPUAD=... python3 tests/integration/lib/relay_selftest.py
"""

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import audio  # noqa: E402
import baresip  # noqa: E402
from relay import Relay, SipHop, classify, rewrite_sdp  # noqa: E402
from sipt import TestFailure, check, run  # noqa: E402


def rtp(seq, payload=b"\x55" * 160, pt=0, ssrc=0x1234):
    return struct.pack(">BBHII", 0x80, pt, seq & 0xFFFF, seq * 160, ssrc) + payload


def sock():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    return s


def drain(s, quiet=0.3, limit=10.0):
    """Every datagram until none came for `quiet` seconds (bounded by limit)."""
    out = []
    end = time.monotonic() + limit
    s.settimeout(quiet)
    while time.monotonic() < end:
        try:
            out.append(s.recvfrom(65536))
        except socket.timeout:
            break
    return out


def pump(src, dst_addr, sink, count, first=0, batch=50):
    """Send count RTP packets from src to dst_addr in batches, collecting
    what sink receives meanwhile; returns [(data, from)]."""
    got = []
    sink.settimeout(0.02)
    for i in range(first, first + count, batch):
        for seq in range(i, min(i + batch, first + count)):
            src.sendto(rtp(seq), dst_addr)
        time.sleep(0.005)
        while True:
            try:
                got.append(sink.recvfrom(65536))
            except socket.timeout:
                break
    return got + drain(sink)


def run_faults(seed, n=1000):
    a, b = sock(), sock()
    with Relay(loss=0.2, reorder=0.1, duplicate=0.05, seed=seed,
               b_dest=b.getsockname()) as r:
        at_b = pump(a, r.addr("a"), b, n)
        # B answers; its packets find A at the source the relay saw on side a
        at_a = pump(b, r.addr("b"), a, n, first=5000)
        st = r.stats()
        ev = (r.events("ab"), r.events("ba"))
    a.close()
    b.close()
    return st, ev, at_b, at_a


def check_direction(name, st, ev, got, n, first):
    seqs = [struct.unpack(">H", d[2:4])[0] for d, _ in got]
    check(st["rtp_in"] == n, "%s: rtp_in %d" % (name, st["rtp_in"]))
    check(len(got) == st["rtp_out"], "%s: %d arrived, rtp_out %d" % (name, len(got), st["rtp_out"]))
    check(st["rtp_out"] == n - st["dropped"] + st["duplicated"],
          "%s: out %d != in %d - dropped %d + dup %d"
          % (name, st["rtp_out"], n, st["dropped"], st["duplicated"]))
    check(0.16 <= st["loss"] <= 0.24, "%s: loss %.3f" % (name, st["loss"]))
    check(60 <= st["reordered"] <= 110,
          "%s: reordered %d (~10 %% of 800)" % (name, st["reordered"]))
    check(20 <= st["duplicated"] <= 65, "%s: duplicated %d" % (name, st["duplicated"]))
    check(st["tampered"] == 0 and st["unroutable"] == 0, "%s: %r" % (name, st))
    dropped = set(s for _, s, a in ev if a == "dropped")
    held = set(s for _, s, a in ev if a == "held")
    dups = set(s for _, s, a in ev if a == "duplicated")
    check(len(dropped) == st["dropped"] and len(held) == st["reordered"], "%s: log" % name)
    check(set(seqs) == set(range(first, first + n)) - dropped,
          "%s: the packets that arrived are not the ones not dropped" % name)
    for s in dups:
        check(seqs.count(s) == 2, "%s: duplicate %d arrived %d times" % (name, s, seqs.count(s)))
    check(len(seqs) - len(set(seqs)) == len(dups), "%s: unexpected duplicates" % name)
    # a held packet arrives after the next packet that was sent (not dropped)
    sent_order = [s for _, s, a in ev if a == "sent"]
    for h in held:
        after = [s for s in sent_order if s > h]
        if after:
            check(seqs.index(h) > seqs.index(after[0]),
                  "%s: held %d arrived before %d" % (name, h, after[0]))
    inversions = sum(1 for i in range(1, len(seqs)) if seqs[i] < seqs[i - 1])
    check(inversions == len(held), "%s: %d inversions for %d held" % (name, inversions, len(held)))


def test_faults():
    n = 1000
    st, ev, at_b, at_a = run_faults(42, n)
    print("  seed 42: ab %r" % st["ab"])
    print("           ba %r" % st["ba"])
    check_direction("ab", st["ab"], ev[0], at_b, n, 0)
    check_direction("ba", st["ba"], ev[1], at_a, n, 5000)
    check(all(src == at_b[0][1] for _, src in at_b), "ab arrived from several sources")
    st2, ev2, _, _ = run_faults(42, n)
    check(ev2 == ev, "seed 42 twice: different decisions")
    st3, ev3, _, _ = run_faults(43, n)
    check(ev3[0] != ev[0], "seeds 42 and 43 made the same decisions")
    check(0.16 <= st3["ab"]["loss"] <= 0.24, "seed 43 loss %.3f" % st3["ab"]["loss"])


def test_tamper_rtcp_other():
    a, b = sock(), sock()
    b_rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    bp = b.getsockname()[1]
    try:
        b_rtcp.bind(("127.0.0.1", bp + 1))
    except OSError:
        raise TestFailure("port %d + 1 busy: rerun" % bp)
    with Relay(seed=1, tamper=[("ab", 3), ("ab", 5)], tamper_offset=-1,
               b_dest=b.getsockname()) as r:
        got = pump(a, r.addr("a"), b, 8)
        check(len(got) == 8, "tamper: %d arrived" % len(got))
        for d, src in got:
            seq = struct.unpack(">H", d[2:4])[0]
            want = rtp(seq)
            if seq in (2, 4):  # the 3rd and 5th packets
                check(d[:-1] == want[:-1] and d[-1] == want[-1] ^ 0xFF,
                      "packet %d not tampered at its last byte" % seq)
            else:
                check(d == want, "packet %d changed" % seq)
            check(src == r.addr("b"), "arrived from %r, not the relay's side b" % (src,))
        check(r.stats()["ab"]["tampered"] == 2, "tampered count %r" % r.stats()["ab"])
        # RTCP: port + 1 to port + 1, never faulted
        sr = bytes([0x80, 200, 0, 6]) + b"\0" * 24
        a.sendto(sr, (r.host, r.a_port + 1))
        b_rtcp.settimeout(2)
        d, src = b_rtcp.recvfrom(2048)
        check(d == sr and src == (r.host, r.b_port + 1), "RTCP %r from %r" % (d, src))
        check(r.stats()["ab"]["rtcp_in"] == 1 and r.stats()["ab"]["rtcp_out"] == 1,
              "rtcp counts %r" % r.stats()["ab"])
        # muxed RTCP on the RTP port is RTCP too
        a.sendto(sr, r.addr("a"))
        b.settimeout(2)
        check(b.recvfrom(2048)[0] == sr, "muxed RTCP")
        check(r.stats()["ab"]["rtcp_in"] == 2 and r.stats()["ab"]["rtp_in"] == 8,
              "muxed RTCP counted as %r" % r.stats()["ab"])
        # garbage: forwarded as is, counted as other
        a.sendto(b"\x00garbage", r.addr("a"))
        check(b.recvfrom(2048)[0] == b"\x00garbage", "garbage not forwarded")
        check(r.stats()["ab"]["other"] == 1, "other %r" % r.stats()["ab"])
    for s in (a, b, b_rtcp):
        s.close()
    check(classify(rtp(1)) == "rtp" and classify(b"\x81\xc9\0\1") == "rtcp"
          and classify(b"\x00" * 20) == "other" and classify(b"\x80") == "other", "classify")


def refused(fn, what):
    """fn() must fail with TestFailure."""
    try:
        fn()
    except TestFailure:
        return
    raise TestFailure("%s accepted" % what)


def test_cut_inject():
    a, b = sock(), sock()
    with Relay(seed=3, b_dest=b.getsockname()) as r:
        got = pump(a, r.addr("a"), b, 5)
        check(len(got) == 5, "before the cut: %d arrived" % len(got))
        got = pump(b, r.addr("b"), a, 3, first=100)  # side a learns A's address
        check(len(got) == 3, "B to A before the cut: %d arrived" % len(got))
        r.cut("ab")
        got = pump(a, r.addr("a"), b, 10, first=10)
        a.sendto(bytes([0x80, 200, 0, 6]) + b"\0" * 24, r.addr("a"))
        a.sendto(b"\x00garbage", r.addr("a"))
        got += drain(b)
        check(got == [], "%d datagrams crossed the cut" % len(got))
        st = r.stats()["ab"]
        check(st["cut"] == 12 and st["rtp_in"] == 5 and st["rtp_out"] == 5
              and st["rtcp_in"] == 0 and st["other"] == 0, "cut counts %r" % st)
        got = pump(b, r.addr("b"), a, 4, first=200)
        check(len(got) == 4, "B to A during the cut: %d arrived" % len(got))
        r.cut("ab", False)
        got = pump(a, r.addr("a"), b, 5, first=30)
        check([struct.unpack(">H", d[2:4])[0] for d, _ in got] == list(range(30, 35)),
              "after the cut: %r" % got)
        forged = rtp(7, ssrc=0xBAD)
        r.inject("b", forged)
        b.settimeout(2)
        d, src = b.recvfrom(2048)
        check(d == forged and src == r.addr("b"), "injected %r from %r" % (d[:12], src))
        r.inject("a", b"\x00x")
        a.settimeout(2)
        d, src = a.recvfrom(2048)
        check(d == b"\x00x" and src == r.addr("a"), "injected to A %r from %r" % (d, src))
        st = r.stats()
        check(st["ab"]["injected"] == 1 and st["ba"]["injected"] == 1, "injected %r" % st)
        refused(lambda: r.cut("xy"), "cut of direction xy")
        refused(lambda: r.inject("c", b"x"), "inject to side c")
    with Relay(seed=3) as r:
        refused(lambda: r.inject("b", b"x"), "inject without a destination")
    a.close()
    b.close()


def test_unroutable_hold_stop():
    a, b = sock(), sock()
    r = Relay(reorder=1.0, seed=5, hold_ms=150).start()
    a.sendto(rtp(1), r.addr("a"))  # side b's destination is unknown
    time.sleep(0.2)
    st = r.stats()["ab"]
    check(st["rtp_in"] == 1 and st["unroutable"] == 1 and st["rtp_out"] == 0,
          "unroutable %r" % st)
    r.set_dest("b", b.getsockname())
    t0 = time.monotonic()
    a.sendto(rtp(2), r.addr("a"))  # held (reorder 1.0), flushed after 150 ms
    b.settimeout(2)
    d, _ = b.recvfrom(2048)
    waited = time.monotonic() - t0
    check(d == rtp(2) and 0.14 <= waited <= 1.0, "held packet after %.3f s" % waited)
    check(r.stats()["ab"]["reordered"] == 1 and r.stats()["ab"]["rtp_out"] == 1,
          "hold counts %r" % r.stats()["ab"])
    ports = (r.a_port, r.a_port + 1, r.b_port, r.b_port + 1)
    r.stop()
    check(r.thread is None, "thread left")
    for p in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", p))  # free again
        s.close()
    for bad in ({"loss": 1.5}, {"reorder": -0.1}, {"tamper": [("xy", 1)]},
                {"tamper": [("ab", 0)]}):
        try:
            Relay(**bad).stop()
        except TestFailure:
            continue
        raise TestFailure("Relay(%r) accepted" % bad)
    a.close()
    b.close()


def test_rewrite_sdp():
    body = ("v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
            "m=audio 4000 RTP/AVP 0 101\r\na=rtcp:4001\r\na=sendrecv\r\n")
    nb, old = rewrite_sdp(body, "127.0.0.1", 30000)
    check(old == ("10.0.0.1", 4000, 4001), "old %r" % (old,))
    check("c=IN IP4 127.0.0.1\r\n" in nb and "m=audio 30000 RTP/AVP 0 101\r\n" in nb
          and "a=rtcp:30001\r\n" in nb and "10.0.0.1" in nb.split("\r\n")[1],
          "rewritten %r" % nb)
    media_c = body.replace("a=rtcp:4001\r\n", "c=IN IP4 10.0.0.9\r\n")
    nb, old = rewrite_sdp(media_c, "127.0.0.1", 30000)
    check(old == ("10.0.0.9", 4000, None) and "10.0.0.9" not in nb, "media c= %r" % (old,))
    zero = body.replace("m=audio 4000", "m=audio 0")
    check(rewrite_sdp(zero, "127.0.0.1", 1) == (zero, None), "port 0 rewritten")
    check(rewrite_sdp("v=0\r\n", "127.0.0.1", 1) == ("v=0\r\n", None), "no audio")


def test_baresip_through_relay():
    check(baresip.available(media=True), "baresip with sndfile and srtp is not installed")
    for srtp in (None, "mandatory"):
        tamper = [("ab", 60)] if srtp else []
        with Relay(loss=0.2, reorder=0.1, seed=11, tamper=tamper, tamper_offset=20) as r, \
                baresip.Baresip(user="alice", name="A", tone_hz=440, srtp=srtp) as a, \
                baresip.Baresip(user="bob", name="B", tone_hz=1000, record=True,
                                srtp=srtp) as b, \
                SipHop(r, (b.host, b.port)) as hop:
            a.dial(hop.uri("bob"))
            a.wait_event("CALL_ESTABLISHED")
            b.wait_event("CALL_ESTABLISHED")
            check(a.menc() == b.menc() == ("AES_CM_128_HMAC_SHA1_80" if srtp else None),
                  "SRTP %r %r" % (a.menc(), b.menc()))
            check(a.sdp_media(sent=False)[-1]["port"] == r.a_port
                  and b.sdp_media(sent=False)[-1]["port"] == r.b_port,
                  "the peers were not given the relay's ports")
            time.sleep(4)
            a.hangup()
            b.wait_event("CALL_CLOSED", param="Connection reset by peer")
            wav = b.received_wav()
            st = r.stats()
            firsts = [f.split(" ")[0] for _, f in hop.firsts()]
            check(not hop.errors, "hop errors %r" % hop.errors)
            failed = b.srtp_failures()
            x = audio.read_wav(wav)  # before B's directory goes
        hz, share = audio.dominant_hz(x, 8000, (440, 1000))
        secs = audio.tone_seconds(x, 8000, 440)
        print("  %s: relay ab %r; B recorded %.2f s, 440 Hz for %.2f s (share %.2f); "
              "hop saw %s; B failed to decrypt %d"
              % (srtp or "plain", st["ab"], len(x) / 8000.0, secs, share, " ".join(firsts),
                 failed))
        check(hz == 440 and share > 0.8, "B heard %r (%.2f)" % (hz, share))
        ab = st["ab"]
        check(0.12 <= ab["loss"] <= 0.28 and ab["rtp_in"] >= 180, "relay ab %r" % ab)
        # baresip records a frame per packet that arrived and decoded, and
        # repeats one after each gap in the sequence (see baresip.py's notes)
        got = len(x) / 8000.0
        low = (ab["rtp_in"] - ab["dropped"] - ab["tampered"]) * 0.02
        high = low + (ab["dropped"] + ab["tampered"]) * 0.02
        check(low - 0.2 <= got <= high + 0.1, "B recorded %.2f s for %.2f-%.2f s of packets"
              % (got, low, high))
        check(secs >= 0.9 * len(x) / 8000.0, "440 Hz for only %.2f s of %.2f"
              % (secs, len(x) / 8000.0))
        for m in ("INVITE", "ACK", "BYE"):
            check(m in firsts, "%s did not go through the hop: %r" % (m, firsts))
        if srtp:
            check(ab["tampered"] == 1 and failed == 1,
                  "tampered %d, B failed to decrypt %d" % (ab["tampered"], failed))
        else:
            check(failed == 0, "plain call: %d decrypt failures" % failed)


def test_sipuad_through_hop():
    """The hop and relay with sipuad's SIP stack, both ways (no RTP from
    sipuad yet: only baresip's side is counted)."""
    import sipt
    if not os.access(sipt.SIPUAD, os.X_OK):
        print("  SKIP: no sipuad at %s (set SIPUAD=)" % sipt.SIPUAD)
        return
    cfg = {"sip": ["t1_ms = 100", "t2_ms = 800"], "call": ["answer = auto"]}
    with sipt.Daemon(cfg=cfg) as d, baresip.Baresip(user="alice", name="A", tone_hz=440) as b:
        c = d.ctl()
        c.ok("subscribe", {"patterns": ["call.*"]})
        for sipuad_calls in (False, True):
            with Relay(loss=0.2, seed=3) as r, \
                    SipHop(r, (b.host, b.port) if sipuad_calls else d.addr()) as hop:
                mb = b.mark()
                if sipuad_calls:
                    h = c.ok("call", {"to": hop.uri("alice")})["call"]
                else:
                    b.dial(hop.uri("sipuad"))
                    h = c.event("call.incoming")["call"]
                b.wait_event("CALL_ESTABLISHED", after=mb)
                info = c.ok("call-info", {"call": h})
                # each side was given the relay's port that faces it
                mine, theirs = ("b", "a") if sipuad_calls else ("a", "b")
                check(b.sdp_media(sent=False)[-1]["port"] == r.addr(mine)[1],
                      "baresip was not given the relay: %r" % b.sdp_media(sent=False)[-1])
                check("m=audio %d " % r.addr(theirs)[1] in info["remote_sdp"],
                      "sipuad was not given the relay: %r" % info["remote_sdp"])
                time.sleep(1.0)
                b.hangup()
                b.wait_event("CALL_CLOSED", after=mb)
                while c.event("call.state").get("state") != "ended":
                    pass
                firsts = [f.split(" ")[0] for _, f in hop.firsts()]
                st = r.stats()["ba" if sipuad_calls else "ab"]
                print("  %s: hop %s; relay from baresip %r"
                      % ("sipuad calls" if sipuad_calls else "baresip calls", " ".join(firsts),
                         st))
                check(not hop.errors, "hop errors %r" % hop.errors)
                for m in ("INVITE", "ACK", "BYE"):
                    check(m in firsts, "%s did not go through the hop" % m)
                check(st["rtp_in"] >= 30 and st["dropped"] > 0 and st["unroutable"] == 0,
                      "relay %r" % st)


if __name__ == "__main__":
    run([("1,000 packets each way: loss, reordering, duplicates, counted and seeded",
          test_faults),
         ("tampering, RTCP, garbage", test_tamper_rtcp_other),
         ("cut one direction, inject from the relay's address", test_cut_inject),
         ("unroutable, held packet flushed, stop frees the ports", test_unroutable_hold_stop),
         ("SDP rewriting", test_rewrite_sdp),
         ("baresip calls baresip through the hop and a lossy relay, plain and SRTP",
          test_baresip_through_relay),
         ("sipuad and baresip call each other through the hop", test_sipuad_through_hop)])
