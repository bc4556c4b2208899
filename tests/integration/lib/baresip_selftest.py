#!/usr/bin/env python3
"""Self-test of baresip.py: baresip instances on loopback calling each other.

  1. A dials B (auto answer); A holds, A resumes; B hangs up.
  2. B dials A (auto answer); A hangs up.
  3. A dials C (manual answer): CALL_INCOMING at C, C answers; C hangs up.

  4. Media, plain RTP and SRTP mandatory: A (source 440 Hz, recording)
     calls B (source 1000 Hz, recording); A sends DTMF 1234#*0 and B
     reports exactly those digits; after A hangs up, B's received recording
     is 440 Hz for about the call's length and A's is 1000 Hz, each side's
     sent recording is its own tone, no in-band DTMF is heard in them; with
     SRTP both report the suite and A offered RTP/SAVP with one
     AES_CM_128_HMAC_SHA1_80 a=crypto line.
  5. codecs=["PCMA"] and ["G722"]: the offer and answer carry pt 8 / 9 (and
     101), B records A's 440 Hz at 8000 / 16000 Hz.
  6. Options baresip would refuse later (a 16 kHz or stereo source WAV for
     PCMU, codecs of two rates, an unknown SRTP mode, a record_dir too long
     for sndfile's buffer) are refused at construction, leaving nothing.
  7. SRTP mandatory meets plain: 488, "No audio codecs" at the callee.
  8. A 3 s source WAV ends A's call "end of file" after 3-4.5 s.

Every step waits for ctrl_tcp events (bounded); the media calls last a
fixed few seconds so that there is audio to record.  Run:
    python3 tests/integration/lib/baresip_selftest.py   (SIPT_KEEP=1 keeps the dirs)

What baresip 1.0.0 does on the wire (from its -s SIP trace, checked below):
  - INVITE offer: m=audio PORT RTP/AVP 0 101 (PCMU + telephone-event/8000,
    a=fmtp:101 0-15) a=sendrecv, a=ptime:20, c=IN IP4 127.0.0.1; no 100 Trying
    in the trace from baresip as UAS, but 180 Ringing then "200 Answering".
  - hold (menu "hold"): re-INVITE in dialog, CSeq+1, o= version +1, the same
    m= line with a=sendonly (not inactive, c= unchanged, not 0.0.0.0).
    baresip answers such an offer with a=recvonly (o= version +1).
  - resume (menu "resume"): re-INVITE with a=sendrecv, answered a=sendrecv.
    baresip as answerer bumps its o= version on every answer, changed or not.
  - there is no HOLD event: a hold/resume is seen as CALL_REMOTE_SDP
    param "answer" at the holder and CALL_REMOTE_SDP param "offer" at the peer
    (plus CALL_RTCP).
  - with answermode=auto no CALL_INCOMING event is sent (only
    CALL_REMOTE_SDP offer, CALL_LOCAL_SDP answer, CALL_ESTABLISHED);
    with answermode=manual CALL_INCOMING comes, then "accept" answers.
  - hangup: BYE; CALL_CLOSED param "Connection reset by user" at the side
    that hung up, "Connection reset by peer" at the other.
"""

import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import audio  # noqa: E402
import baresip  # noqa: E402
from baresip import Baresip, available  # noqa: E402
from sipt import TestFailure, check, run  # noqa: E402

T0 = time.monotonic()


def show(who, ev):
    print("  %6.3f s  %s %-16s %-9s %s" % (time.monotonic() - T0, who, ev.get("type"),
                                          ev.get("direction", ""), ev.get("param", "")))
    sys.stdout.flush()
    return ev


def established(caller, callee, cm=0, ce=0):
    e1 = show(caller.name, caller.wait_event("CALL_ESTABLISHED", after=cm))
    e2 = show(callee.name, callee.wait_event("CALL_ESTABLISHED", after=ce))
    check(e1["direction"] == "outgoing" and e2["direction"] == "incoming",
          "directions %r %r" % (e1, e2))
    check(e1["id"] == e2["id"], "Call-IDs differ: %r %r" % (e1["id"], e2["id"]))
    return e1["id"]


def reinvite_done(holder, peer):
    """A re-INVITE from holder finished: holder got the answer, peer the offer."""
    m1, m2 = holder.mark(), peer.mark()
    return lambda: (show(holder.name, holder.wait_event("CALL_REMOTE_SDP", after=m1,
                                                        param="answer")),
                    show(peer.name, peer.wait_event("CALL_REMOTE_SDP", after=m2,
                                                    param="offer")))


def closed(by, other, call_id):
    e1 = show(by.name, by.wait_event("CALL_CLOSED", pred=lambda e: e.get("id") == call_id))
    e2 = show(other.name, other.wait_event("CALL_CLOSED",
                                           pred=lambda e: e.get("id") == call_id))
    check(e1["param"] == "Connection reset by user", "closer's reason %r" % e1["param"])
    check(e2["param"] == "Connection reset by peer", "peer's reason %r" % e2["param"])


def test_calls():
    check(available(), "baresip is not installed (apt-get install baresip)")
    global T0
    T0 = time.monotonic()
    with Baresip(user="alice", name="A") as a, Baresip(user="bob", name="B") as b, \
            Baresip(user="carol", name="C", answermode="manual") as c:
        print("  %6.3f s  started A %s, B %s, C %s" % (time.monotonic() - T0, a.uri, b.uri,
                                                      c.uri))

        # 1. A -> B, hold, resume, B hangs up
        a.dial(b.uri)
        cid = established(a, b)
        done = reinvite_done(a, b)
        a.hold()
        done()
        done = reinvite_done(a, b)
        a.resume()
        done()
        b.hangup()
        closed(b, a, cid)
        dirs = a.sdp_dirs(sent=True)
        check([d for _, d in dirs] == ["sendrecv", "sendonly", "sendrecv"],
              "A's offers: %r" % dirs)
        dirs = b.sdp_dirs(sent=True)
        check([d for _, d in dirs] == ["sendrecv", "recvonly", "sendrecv"],
              "B's answers: %r" % dirs)
        check(any(m["sent"] and m["first"].startswith("BYE ") for m in b.sip_trace()),
              "B sent no BYE")

        # 2. B -> A, A hangs up
        ma, mb = a.mark(), b.mark()
        b.dial(a.uri)
        cid = established(b, a, mb, ma)
        a.hangup()
        closed(a, b, cid)

        # 3. A -> C (manual): CALL_INCOMING, answer, C hangs up
        ma, mc = a.mark(), c.mark()
        a.dial(c.uri)
        inc = show(c.name, c.wait_event("CALL_INCOMING", after=mc))
        check(inc["peeruri"] == a.uri, "CALL_INCOMING from %r" % inc["peeruri"])
        show(a.name, a.wait_event("CALL_RINGING", after=ma))
        c.answer()
        cid = established(a, c, ma, mc)
        check(cid == inc["id"], "answered another call")
        c.hangup()
        closed(c, a, cid)

        for x in (a, b, c):
            print("  %s saw: %s" % (x.name, " ".join(e["type"] for e in x.seen)))
    print("  %6.3f s  all stopped" % (time.monotonic() - T0))


def near(got, want, tol, what):
    check(abs(got - want) <= tol, "%s: %.2f, want %.2f +- %.2f" % (what, got, want, tol))


def media_call(srtp):
    """A (440 Hz) calls B (1000 Hz), both recording; DTMF from A; A hangs up."""
    global T0
    T0 = time.monotonic()
    with Baresip(user="alice", name="A", tone_hz=440, record=True, srtp=srtp) as a, \
            Baresip(user="bob", name="B", tone_hz=1000, record=True, srtp=srtp) as b:
        ma, mb = a.mark(), b.mark()
        a.dial(b.uri)
        cid = established(a, b, ma, mb)
        t_est = [e["_t"] for e in b.seen if e["type"] == "CALL_ESTABLISHED" and e["_seq"] > mb][0]
        suite = "AES_CM_128_HMAC_SHA1_80" if srtp else None
        check(a.menc(ma) == suite and b.menc(mb) == suite,
              "SRTP suites %r %r, want %r" % (a.menc(ma), b.menc(mb), suite))
        offer = a.sdp_media(sent=True)[-1]
        check(offer["proto"] == ("RTP/SAVP" if srtp else "RTP/AVP") and offer["pts"] == [0, 101],
              "A's offer %r" % offer)
        check([c.split(" ")[:2] for c in offer["crypto"]] ==
              ([["1", "AES_CM_128_HMAC_SHA1_80"]] if srtp else []), "crypto %r" % offer)
        time.sleep(1.0)
        a.send_dtmf("1234#*0")
        evs = b.wait_dtmf("1234#*0", after=mb, call_id=cid)
        show(b.name, {"type": "DTMF", "param": "".join(e.get("param", "") for e in evs)})
        time.sleep(1.0)
        a.hangup()
        closed(a, b, cid)
        t_end = [e["_t"] for e in b.seen if e["type"] == "CALL_CLOSED" and e["_seq"] > mb][0]
        check(b.dtmf_received(mb) == "1234#*0", "B heard %r" % b.dtmf_received(mb))
        check(a.dtmf_received(ma) == "", "A heard DTMF %r" % a.dtmf_received(ma))
        wavs = {"B dec": b.received_wav(), "B enc": b.sent_wav(),
                "A dec": a.received_wav(), "A enc": a.sent_wav()}
        sig = dict((k, audio.read_wav(v)) for k, v in wavs.items())
        check(all(audio.wav_info(v)["rate"] == 8000 for v in wavs.values()), "rates")
    secs = t_end - t_est
    want = {"B dec": 440, "B enc": 1000, "A dec": 1000, "A enc": 440}
    for k, x in sorted(sig.items()):
        hz, share = audio.dominant_hz(x, 8000, (440, 1000))
        tone = audio.tone_seconds(x, 8000, want[k])
        print("  %s %s: %.2f s, %r Hz (share %.3f) for %.2f s of a %.2f s call"
              % (srtp or "plain", k, len(x) / 8000.0, hz, share, tone, secs))
        check(hz == want[k] and share > 0.95, "%s: %r Hz, %.3f" % (k, hz, share))
        near(tone, secs, 0.5, "%s: seconds of %d Hz" % (k, want[k]))
        check(audio.dtmf_tones(x, 8000) == "", "%s: in-band DTMF heard" % k)


def test_media_plain():
    check(available(media=True), "baresip with sndfile and srtp is not installed")
    media_call(None)


def test_media_srtp():
    check(available(media=True), "baresip with sndfile and srtp is not installed")
    media_call("mandatory")


def test_codecs():
    """codecs=: PCMA (8 kHz) and G722 (16 kHz source and recording)."""
    global T0
    T0 = time.monotonic()
    for ca, cb, pt, rate in ((["PCMA"], ["PCMU", "PCMA"], 8, 8000),
                             (["G722"], ["G722"], 9, 16000)):
        with Baresip(user="alice", name="A", tone_hz=440, codecs=ca) as a, \
                Baresip(user="bob", name="B", codecs=cb, record=True) as b:
            a.dial(b.uri)
            cid = established(a, b)
            time.sleep(1.5)
            a.hangup()
            closed(a, b, cid)
            check(a.sdp_media()[-1]["pts"] == [pt, 101] and b.sdp_media()[-1]["pts"] == [pt, 101],
                  "%r: offer %r answer %r" % (ca, a.sdp_media()[-1], b.sdp_media()[-1]))
            wav = b.received_wav()
            info = audio.wav_info(wav)
            hz, share = audio.dominant_hz(audio.read_wav(wav), rate, (440, 1000))
            print("  %s: B recorded %.2f s at %d Hz: %r Hz (%.3f)"
                  % (ca[0], info["seconds"], info["rate"], hz, share))
            check(info["rate"] == rate and info["seconds"] > 1.0 and hz == 440 and share > 0.95,
                  "%r: %r %r %r" % (ca, info, hz, share))


def test_bad_options():
    """The harness refuses what baresip would refuse later, before starting."""
    d = tempfile.mkdtemp(prefix="baresip-selftest-")
    made = []
    real_mkdtemp = baresip.tempfile.mkdtemp

    def mkdtemp(*a, **kw):
        made.append(real_mkdtemp(*a, **kw))
        return made[-1]

    cases = [
        ({"srtp": "yes"}, "srtp must be one of"),
        ({"srtp": "mandatory", "account_params": ";mediaenc=srtp"}, "together"),
        ({"codecs": ["opus"]}, "codec 'OPUS' is not one of"),
        ({"codecs": ["PCMU", "G722"]}, "need different source rates"),
        ({"source_wav": audio.write_tone(os.path.join(d, "16k.wav"), 440, 0.1, rate=16000)},
         "is 1 channel(s), 16-bit, 16000 Hz: aufile needs mono 16-bit at 8000 Hz"),
        ({"source_wav": audio.write_tone(os.path.join(d, "st.wav"), 440, 0.1, channels=2)},
         "is 2 channel(s)"),
        ({"source_wav": os.path.join(d, "absent.wav")}, "No such file"),
        ({"record_dir": "/tmp/" + "x" * 90}, "record_dir longer than 90 characters"),
    ]
    baresip.tempfile.mkdtemp = mkdtemp
    try:
        for kw, words in cases:
            try:
                Baresip(**kw)
            except TestFailure as e:
                check(words in str(e), "%r: %r does not say %r" % (kw, str(e), words))
                continue
            raise TestFailure("Baresip(%r) accepted" % kw)
        check(not made, "a refused Baresip made its directory %r" % made)
    finally:
        baresip.tempfile.mkdtemp = real_mkdtemp
        for x in [d] + made:
            shutil.rmtree(x, ignore_errors=True)


def test_srtp_refused():
    global T0
    T0 = time.monotonic()
    with Baresip(user="alice", name="A", srtp="mandatory") as a, \
            Baresip(user="bob", name="B") as b:
        a.dial(b.uri)
        show(a.name, a.wait_event("CALL_CLOSED", param="488 Not Acceptable Here"))
        show(b.name, b.wait_event("CALL_CLOSED", param="No audio codecs"))
        check(any(m["first"].startswith("SIP/2.0 488") for m in b.sip_trace() if m["sent"]),
              "B sent no 488")


def test_source_end():
    global T0
    T0 = time.monotonic()
    d = tempfile.mkdtemp(prefix="baresip-selftest-")
    src = audio.write_tone(os.path.join(d, "three.wav"), 440, 3.0)
    try:
        with Baresip(user="alice", name="A", source_wav=src) as a, \
                Baresip(user="bob", name="B") as b:
            a.dial(b.uri)
            e1 = show(a.name, a.wait_event("CALL_ESTABLISHED"))
            e2 = show(a.name, a.wait_event("CALL_CLOSED", param="end of file", timeout=10))
            show(b.name, b.wait_event("CALL_CLOSED", param="Connection reset by peer"))
            check(any(e["type"] == "AUDIO_ERROR" and e.get("param") == "0,end of file"
                      for e in a.seen), "no AUDIO_ERROR")
            check(3.0 - 0.3 <= e2["_t"] - e1["_t"] <= 4.5, "ended %.2f s after the answer"
                  % (e2["_t"] - e1["_t"]))
    finally:
        if not os.environ.get("SIPT_KEEP"):
            for f in os.listdir(d):
                os.unlink(os.path.join(d, f))
            os.rmdir(d)


if __name__ == "__main__":
    run([("baresip calls each other (dial, answer, hold, resume, hangup)", test_calls),
         ("media: tones both ways and DTMF, plain RTP", test_media_plain),
         ("media: tones both ways and DTMF, SRTP mandatory", test_media_srtp),
         ("codecs PCMA and G722", test_codecs),
         ("options baresip would refuse are refused first", test_bad_options),
         ("SRTP mandatory against plain: 488", test_srtp_refused),
         ("the source WAV's end ends the call", test_source_end)])
