#!/usr/bin/env python3
"""Self-test of baresip.py: baresip instances on loopback calling each other.

  1. A dials B (auto answer); A holds, A resumes; B hangs up.
  2. B dials A (auto answer); A hangs up.
  3. A dials C (manual answer): CALL_INCOMING at C, C answers; C hangs up.

Every step waits for ctrl_tcp events (bounded), never a fixed sleep.  Run:
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
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from baresip import Baresip, available  # noqa: E402
from sipt import check, run  # noqa: E402

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


if __name__ == "__main__":
    run([("baresip calls each other (dial, answer, hold, resume, hangup)", test_calls)])
