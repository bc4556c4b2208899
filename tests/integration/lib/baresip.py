"""baresip: the Debian baresip (1.0.0) as a headless SIP peer in tests.

    from baresip import Baresip
    with Baresip(answermode="auto") as b:          # starts it, waits for ctrl_tcp
        b.dial("sip:sipuad@127.0.0.1:%d" % port)
        b.wait_event("CALL_ESTABLISHED")
        b.hold(); b.resume(); b.hangup()
        b.wait_event("CALL_CLOSED")

    with Baresip(tone_hz=440, record=True, srtp="mandatory", codecs=["PCMU"]) as b:
        ...                                         # a call
        b.send_dtmf("123#"); b.wait_dtmf("9", after=m)
        b.menc()                                    # "AES_CM_128_HMAC_SHA1_80"
        wav = b.received_wav()                      # after the call ended

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
Limits found by bench/media/run: baresip 1.0.0 numbers calls 1..255 and
refuses the 256th ("call: could not assign linenumber"); its echo.so module
answers calls itself only with answermode=manual.
There is no sip_trace config option in 1.0.0; -s enables the trace, which
sip_trace() / sdp_dirs() / sdp_media() parse back out of the log.

Audio, as measured with baresip 1.0.0 (Debian 1.0.0-4) calling itself on
loopback (baresip_selftest.py, capture_selftest.py, relay_selftest.py),
and read in its source (modules aufile, sndfile, srtp, menu; src/audio.c):

aufile (source_wav=, or the generated tone):
  - loads the whole WAV into memory when the call's audio starts; it must
    be 16-bit mono at the codec's rate (8000 Hz for PCMU/PCMA) or the call
    ends at once: the caller gets CALL_CLOSED "No such device" right after
    the answer (log: "aufile: input file (...) must have sample-rate 8000
    Hz") and the callee a BYE.  The harness refuses such a file up front.
  - at the end of the file it does not loop: a 1 s timer (started with
    the source) finds the buffer empty, AUDIO_ERROR "0,end of file" and
    CALL_CLOSED "end of file" come, and baresip hangs up (BYE; the peer
    sees "Connection reset by peer").  A 6 s file ended the call 6.0 s
    after CALL_ESTABLISHED; expect up to 1 s more.  Until then it sends
    each 20 ms frame on time (a 4 ms sleep loop in its own thread).
sndfile (record_dir=):
  - per call two files in snd_path, named by the local time (to the
    second) at which the call's audio started: dump-YYYY-MM-DD-hh-mm-ss-
    dec.wav (what it decoded: received audio) and ...-enc.wav (what it
    encoded: sent audio); WAV, 16-bit PCM, mono, at the codec's rate (8000
    Hz for G.711).  A second call starting in the same second would reuse
    the names (dial() waits for the next second when recording).  The path
    is built in 128 bytes: snd_path at most 90 characters.
  - libsndfile writes the header's sizes only when the call ends (during
    the call RIFF size is 8 and the data size 0; audio.read_wav() reads
    such a file to its end anyway); received_wav() / sent_wav() wait until
    the header matches the file.  Read them before the Baresip is stopped
    when record_dir is inside its directory (record=True).
  - dec holds one 20 ms frame per RTP packet received and decoded, not
    wall-clock time: nothing while no packets come (hold), and after each
    gap in sequence numbers the next packet's frame is written twice
    (audio.c decodes it once with lostc, once without; G.711 has no PLC).
    With 20 % loss a 4 s call recorded 3.7 s for 3.3 s of packets.  Lost
    packets are not replaced by silence; reordering is undone by its
    jitter buffer first.  enc holds every frame of the source from the
    start, sent or not (it grows through a hold).
  - holding (menu hold) stops baresip's own sending though it offers
    a=sendonly: the peer's dec stops growing.
srtp (srtp="optional" -> ;mediaenc=srtp, "mandatory" -> ;mediaenc=srtp-mand):
  - SRTP is libre's own (not libsrtp).  An offer carries one line,
    a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<40 base64 chars>, on
    m=audio RTP/SAVP (mandatory) or RTP/AVP (optional).  As answerer it
    takes the first offered line whose suite it knows
    (AES_CM_128_HMAC_SHA1_32/_80, AEAD_AES_128_GCM, AEAD_AES_256_GCM) and
    answers that tag and suite with its own key.  Both ends then get
    CALL_MENC "0,audio,AES_CM_128_HMAC_SHA1_80" (menc()).  SRTP payloads are
    160 + 10 bytes (tag) for PCMU.
  - mandatory answering an RTP/AVP offer (with or without a=crypto) sends
    488 Not Acceptable Here; the caller gets CALL_CLOSED "488 Not
    Acceptable Here", the callee CALL_CLOSED "No audio codecs".  Optional
    answering a plain offer puts an a=crypto line in its answer anyway,
    and the call stays plain.
  - a packet that fails authentication is dropped and logged: "srtp:
    failed to decrypt RTP packet with N bytes (...)" (srtp_failures()).
DTMF:
  - sending: the menu command "sndcode DIGITS" (send_dtmf()) queues
    RFC 4733 events on the current call, sent one after another: each
    digit 9 packets 20 ms apart (duration 160..1440, marker on the first),
    then 3 end packets (duration 1440, 180 ms), the next digit 60 ms
    later: 240 ms per digit, payload type 101, volume 10, audio packets
    still flowing in between (same SSRC and sequence).  Keys 0-9 * # A-D
    (a-d are sent upper case); any other key makes the response ok=false
    "Invalid argument" after the keys before it were sent.  Without a call
    the command does not exist ("command not found (sndcode)", as hold).
    There is no in-band DTMF and no INFO sending in 1.0.0.
  - receiving: CALL_DTMF_START with param the digit at the first event
    packet, CALL_DTMF_END (no param) at the end packet, ~180 ms later for
    baresip's own digits (dtmf_received(), wait_dtmf()).  An INFO with
    application/dtmf-relay (Signal=, Duration=) gives the same two events
    (END after Duration ms), answered 200, and the log line "call:
    received DTMF: 'X' (duration=N)"; other INFO bodies get 488.
  - telephone-event/8000 (pt 101, a=fmtp:101 0-15) is always in the
    offer, whatever audio_codecs says.
codecs (audio_codecs): PCMA offers pt 8; G722 offers "a=rtpmap:9 G722/8000"
  but samples at 16000 Hz: its source WAV and recordings are 16 kHz.
RTCP: CALL_RTCP events (param "audio", with rtcp_stats {tx, rx: {sent,
  lost, jit}, rtt}) come at the start and then about every 4-5 s.
TLS (tls=certs(); libre 1.1.0's TLS, measured by tests/integration/tls_interop):
  - sip_certificate is the certificate and key in one PEM; TLS listens on
    PORT+1 (tls_port, tls_uri).  It verifies no certificate: a self-signed
    or expired server is accepted.  As a server it asks no client
    certificate; as a client it presents sip_certificate when asked.  No
    SNI to an IP literal.
  - dial() cannot take sips: (menu makes it "sip:sips:..." over UDP): dial
    sip:...;transport=tls.  It answers a sips: Request-URI, but sends no
    in-dialog request (BYE) to a sips: Contact: nothing goes out.  To a
    ;transport=tls Contact it opens a new connection (it does not reuse
    the one the INVITE came on).
  - Registering over TLS: aor="sip:USER@127.0.0.1:KPORT;transport=tls",
    regint=600, password=...: REGISTER goes to sip:127.0.0.1:KPORT;
    transport=tls with its TLS listener as Contact.  REGISTER_OK comes
    before ctrl_tcp is connected: ask the registrar, not the event.
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

import audio
from sipt import WAIT, TestFailure, check, free_port

BARESIP = os.environ.get("BARESIP") or shutil.which("baresip") or "/usr/bin/baresip"
MODULE_PATH = os.environ.get("BARESIP_MODULES") or "/usr/lib/baresip/modules"


# codec name -> (module, source sample rate)
CODECS = {"PCMU": ("g711.so", 8000), "PCMA": ("g711.so", 8000), "G722": ("g722.so", 16000)}
# srtp= -> account parameter
SRTP_MODES = {None: "", "optional": ";mediaenc=srtp", "mandatory": ";mediaenc=srtp-mand"}
DTMF_KEYS = "0123456789*#ABCD"


def available(media=False):
    """True when baresip and the modules this harness loads are installed
    (media: also sndfile and srtp)."""
    mods = ["g711.so", "aufile.so", "aubridge.so", "menu.so", "ctrl_tcp.so", "account.so"]
    if media:
        mods += ["sndfile.so", "srtp.so"]
    return os.access(BARESIP, os.X_OK) and all(
        os.path.exists(os.path.join(MODULE_PATH, m)) for m in mods)


def check_source_wav(path, rate):
    """aufile plays only 16-bit mono PCM at the codec's rate: say so before
    baresip refuses it in the middle of a call."""
    try:
        w = wave.open(path, "rb")
    except (OSError, EOFError, wave.Error) as e:
        raise TestFailure("source_wav %s: %s" % (path, e))
    try:
        got = (w.getnchannels(), w.getsampwidth(), w.getframerate())
    finally:
        w.close()
    check(got == (1, 2, rate), "source_wav %s is %d channel(s), %d-bit, %d Hz: aufile "
          "needs mono 16-bit at %d Hz" % (path, got[0], 8 * got[1], got[2], rate))


def _port_free(port, host, proto):
    s = socket.socket(socket.AF_INET, proto)
    try:
        if proto == socket.SOCK_STREAM:
            # As listeners bind (libre and sipuad set it): a port whose last
            # connection waits in TIME_WAIT is free for them.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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
    """16-bit mono WAV: silence, or a sine of tone_hz at a modest level (8000
    of 32767, -15 dBFS RMS)."""
    audio.write_tone(path, tone_hz, seconds, rate=rate, amplitude=8000 / 32767.0)


class Baresip:
    """One baresip user agent on loopback, driven over ctrl_tcp.

    answermode: "auto" or "manual" (account parameter; manual needs answer()).
    user: the user part of its AOR.  rtp_ports: (low, high) or None for a
    private random block.  extra_config: more config lines.  account_params:
    more ";name=value" account parameters.  lifetime: -t bound.

    Audio (see the notes at the top):
    source_wav: a WAV to send (aufile); it must be 16-bit mono at the codec's
      rate (8000 Hz for PCMU/PCMA, 16000 for G722) or aufile refuses it.
      Without it a WAV is generated: wav_seconds of tone_hz (None: silence).
      baresip ends the call ("end of file") when the source runs out, so keep
      it longer than the call unless that is the point.
    record_dir: module sndfile writes what this baresip decodes and encodes
      per call there (received_wav(), sent_wav()); record=True is the same
      with a directory of its own.
    srtp: None, "optional" (;mediaenc=srtp) or "mandatory"
      (;mediaenc=srtp-mand), module srtp.

    TLS (see "TLS" in the notes at the top):
    tls: a certs.Certs: sip_certificate is tls_cert's certificate and key in
      one PEM (its listener's, and its client certificate when a server asks
      for one), sip_cafile the test CA.  The listener is tls_port (PORT+1);
      tls_uri is "sip:USER@HOST:TLS_PORT;transport=tls", what to dial it at.
    aor: the account's AOR instead of sip:USER@HOST:PORT, e.g.
      "sip:alice@127.0.0.1:KPORT;transport=tls" to register with a
      registrar over TLS; regint: the registration interval (0: none);
      password: auth_pass for the registrar's challenges.
    codecs: audio_codecs, e.g. ["PCMU"] (the default), ["PCMA"],
      ["PCMU", "PCMA"], ["G722"]; telephone-event is always offered (101).
    """

    def __init__(self, answermode="auto", user="bs", host="127.0.0.1", rtp_ports=None,
                 extra_config=(), account_params="", wav_seconds=120, tone_hz=None,
                 lifetime=600, name=None, record=False, source_wav=None, record_dir=None,
                 srtp=None, codecs=None, tls=None, tls_cert="server", aor=None, regint=0,
                 password=None):
        check(answermode in ("auto", "manual"), "answermode must be auto or manual")
        check(srtp in SRTP_MODES, "srtp must be one of %r" % (list(SRTP_MODES),))
        check(not (srtp and "mediaenc" in account_params),
              "srtp= and a mediaenc account parameter together")
        codecs = [c.upper() for c in (codecs or ["PCMU"])]
        for c in codecs:
            check(c in CODECS, "codec %r is not one of %r" % (c, sorted(CODECS)))
        rates = set(CODECS[c][1] for c in codecs)
        check(len(rates) == 1, "codecs %r need different source rates %r" % (codecs, rates))
        self.codecs = codecs
        self.srate = rates.pop()
        self.srtp = srtp
        if source_wav is not None:
            check_source_wav(os.path.abspath(source_wav), self.srate)
        if record_dir is not None:
            # sndfile builds "%s/dump-....-dec.wav" in a 128-byte buffer
            check(len(os.path.abspath(record_dir)) <= 90,
                  "record_dir longer than 90 characters: %r" % os.path.abspath(record_dir))
        self.name = name or user
        self.host = host
        self.user = user
        self.dir = tempfile.mkdtemp(prefix="baresip-test-")
        self.port = sip_port_pair(host)
        self.ctrl_port = free_port(host=host)
        if rtp_ports is None:
            # below sipuad's default range (20000-29999) and the kernel's
            # ephemeral ports (32768 up), which free_port() hands out: a
            # port taken there made baresip fail to bind once
            low = random.randrange(10000, 19800, 2)
            rtp_ports = (low, low + 199)
        self.rtp_ports = rtp_ports
        if source_wav is None:
            self.wav = os.path.join(self.dir, "source.wav")
            write_wav(self.wav, wav_seconds, rate=self.srate, tone_hz=tone_hz)
        else:
            self.wav = os.path.abspath(source_wav)
        self.uri = "sip:%s@%s:%d" % (user, host, self.port)
        self.aor = aor or self.uri
        self.tls_port = self.port + 1
        self.tls_uri = "sip:%s@%s:%d;transport=tls" % (user, host, self.tls_port)
        self.log_path = os.path.join(self.dir, "baresip.log")
        self.lifetime = lifetime
        modules = []
        for c in codecs:
            if CODECS[c][0] not in modules:
                modules.append(CODECS[c][0])
        modules += ["aufile.so", "aubridge.so"]
        if srtp:
            modules.append("srtp.so")
        if record and record_dir is None:
            record_dir = os.path.join(self.dir, "snd")
        self.snd_path = None
        if record_dir is not None:
            self.snd_path = os.path.abspath(record_dir)
            os.makedirs(self.snd_path, exist_ok=True)
            modules.append("sndfile.so")
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
        ]
        cfg += ["module\t\t\t%s" % m for m in modules]
        cfg += [
            "module_tmp\t\taccount.so",
            "module_app\t\tmenu.so",
            "module_app\t\tctrl_tcp.so",
            "ctrl_tcp_listen\t\t%s:%d" % (host, self.ctrl_port),
            "statmode_default\toff",
            "ringback_disabled\tyes",
            "menu_bell\t\tno",
        ]
        if self.snd_path:
            cfg.append("snd_path\t\t%s" % self.snd_path)
        if tls is not None:
            cfg += ["sip_certificate\t\t%s" % tls.bundle(tls_cert),
                    "sip_cafile\t\t%s" % tls.ca]
        cfg += list(extra_config)
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write("\n".join(cfg) + "\n")
        params = account_params + SRTP_MODES[srtp]
        if password is not None:
            params += ";auth_pass=%s" % password
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write("<%s>;answermode=%s;regint=%d;audio_codecs=%s%s\n"
                    % (self.aor, answermode, regint, ",".join(c.lower() for c in codecs),
                       params))
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
        check(not uri.startswith("sips:"), "baresip 1.0.0 cannot dial %s: it makes it "
              "sip:sips:... and sends it over UDP; dial sip:...;transport=tls" % uri)
        if self.snd_path:
            self._new_record_second()
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

    # ---- DTMF (RFC 4733 telephone-events; see the notes at the top)

    def send_dtmf(self, digits):
        """Send digits as telephone-events on the current call (menu
        "sndcode"): baresip queues them and sends one after the other, 240 ms
        each.  Like hold, sndcode exists only while there is a call."""
        check(digits and all(d in DTMF_KEYS for d in digits.upper()),
              "DTMF digits %r: only %s" % (digits, DTMF_KEYS))
        r = self.command("sndcode", digits.upper(), ok=False)
        check(r.get("ok") is True, "baresip %s: sndcode %r failed (%r): %s"
              % (self.name, digits, r.get("data", ""),
                 "no call" if "command not found" in r.get("data", "") else "see its log"))
        return r

    def dtmf_received(self, after=0, call_id=None):
        """The digits received so far (CALL_DTMF_START events after mark()
        `after`, of call_id when given), as a string."""
        with self.cv:
            return "".join(e.get("param", "") for e in self.seen
                           if e.get("type") == "CALL_DTMF_START" and e["_seq"] > after
                           and (call_id is None or e.get("id") == call_id))

    def wait_dtmf(self, digits, timeout=WAIT, after=0, call_id=None, ended=True):
        """Wait until exactly `digits` were received after mark() `after`
        (and, with ended, the last one's CALL_DTMF_END); more digits than
        that, or other ones, fail at once.  Returns the DTMF events."""
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                evs = [e for e in self.seen if e["_seq"] > after
                       and e.get("type") in ("CALL_DTMF_START", "CALL_DTMF_END")
                       and (call_id is None or e.get("id") == call_id)]
                got = "".join(e.get("param", "") for e in evs
                              if e["type"] == "CALL_DTMF_START")
                check(digits.upper().startswith(got),
                      "baresip %s: DTMF %r received, want %r" % (self.name, got, digits))
                if got == digits.upper() and (not ended or evs[-1]["type"] == "CALL_DTMF_END"):
                    return evs
                left = end - time.monotonic()
                if left <= 0:
                    raise TestFailure("baresip %s: DTMF %r within %.0f s, got only %r"
                                      % (self.name, digits, timeout, got))
                self.cv.wait(min(left, 0.2))

    # ---- media state

    def menc(self, after=0):
        """The SRTP suite of the last CALL_MENC event after mark() `after`
        (param "0,audio,AES_CM_128_HMAC_SHA1_80"), or None: no SRTP."""
        with self.cv:
            evs = [e for e in self.seen if e.get("type") == "CALL_MENC" and e["_seq"] > after]
        return evs[-1].get("param", "").split(",")[-1] if evs else None

    def rtcp_stats(self, after=0):
        """rtcp_stats of the last CALL_RTCP event after mark() `after`
        ({"tx": {sent, lost, jit}, "rx": {...}, "rtt"}), or None."""
        with self.cv:
            evs = [e for e in self.seen if e.get("type") == "CALL_RTCP" and e["_seq"] > after
                   and "rtcp_stats" in e]
        return evs[-1]["rtcp_stats"] if evs else None

    def srtp_failures(self):
        """How many SRTP (RTP) packets failed to decrypt so far (log lines)."""
        return self.logtext().count("srtp: failed to decrypt RTP packet")

    # ---- recordings (module sndfile)

    _REC = re.compile(r"^dump-(\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)-(dec|enc)\.wav$")

    def recordings(self):
        """Every call's recording in record_dir, oldest first: [{"stamp":
        "YYYY-MM-DD-hh-mm-ss" (local time of the call's audio start),
        "dec": received-audio path or None, "enc": sent-audio path or None}]."""
        check(self.snd_path is not None, "baresip %s records nothing (no record_dir)"
              % self.name)
        calls = {}
        for f in os.listdir(self.snd_path):
            m = self._REC.match(f)
            if m:
                calls.setdefault(m.group(1), {"stamp": m.group(1), "dec": None, "enc": None})[
                    m.group(2)] = os.path.join(self.snd_path, f)
        return [calls[k] for k in sorted(calls)]

    def _new_record_second(self):
        """sndfile names files by the second: a call starting in the same
        second as the last recorded one would overwrite its files."""
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            recs = self.recordings()
            if not recs or recs[-1]["stamp"] != time.strftime("%Y-%m-%d-%H-%M-%S"):
                return
            time.sleep(0.05)

    def _closed_wav(self, which, timeout):
        """The last call's dec/enc file once libsndfile closed it (its RIFF
        size matches the file: sf_close writes the header at the call's end)."""
        end = time.monotonic() + timeout
        while True:
            recs = self.recordings()
            path = recs[-1][which] if recs else None
            if path:
                try:
                    with open(path, "rb") as f:
                        head = f.read(8)
                    size = os.path.getsize(path)
                    if len(head) == 8 and head[:4] == b"RIFF" and size > 44 \
                            and int.from_bytes(head[4:8], "little") == size - 8:
                        return path
                except OSError:
                    pass
            if time.monotonic() > end:
                raise TestFailure("baresip %s: no finished %s recording within %.0f s: %r"
                                  % (self.name, which, timeout, recs))
            time.sleep(0.05)

    def received_wav(self, timeout=WAIT):
        """Path of the last call's received (decoded) audio, a WAV that is
        complete: call it after the call ended."""
        return self._closed_wav("dec", timeout)

    def sent_wav(self, timeout=WAIT):
        """Path of the last call's sent (before encoding) audio, complete."""
        return self._closed_wav("enc", timeout)

    # ---- the SIP trace (-s) in the log

    _TRACE = re.compile(r"\x1b\[36;1m#\n(\w+) (\S+) -> (\S+)\n(.*?)\x1b\[;m", re.S)

    _VIA = re.compile(r"^(?:Via|v)\s*:\s*SIP/2\.0/\S+\s+([^;\s]+)", re.M | re.I)

    def sip_trace(self):
        """Every SIP message baresip sent or received so far, in order, as dicts
        {transport, src, dst, sent (bool), text, first (start line), body}.
        sent: from one of its listeners (PORT, TLS_PORT) or, on a connection
        baresip opened (its side an ephemeral port), a request whose top Via
        is its own or a response whose top Via is not."""
        out = []
        mine = {"%s:%d" % (self.host, self.port), "%s:%d" % (self.host, self.tls_port)}
        for m in self._TRACE.finditer(self.logtext()):
            text = m.group(4).replace("\r\n", "\n")
            head, _, body = text.partition("\n\n")
            src, dst = m.group(2), m.group(3)
            if src in mine or dst in mine:
                sent = src in mine
            else:
                via = self._VIA.search(head)
                ours = via is not None and via.group(1) in mine
                sent = ours != head.startswith("SIP/2.0 ")
            out.append({"transport": m.group(1), "src": src, "dst": dst,
                        "sent": sent, "text": text,
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

    def sdp_media(self, sent=True):
        """The audio line of each SDP body baresip sent (or received), in
        order: [{"first": start line, "addr": c= address, "port": int,
        "proto": "RTP/AVP"|"RTP/SAVP"..., "pts": [0, 101], "crypto":
        [a=crypto values], "dir": "sendrecv"...}]."""
        out = []
        for m in self.sip_trace():
            if m["sent"] != sent or "m=audio" not in m["body"]:
                continue
            body = m["body"]
            ml = re.search(r"^m=audio (\d+) (\S+)((?: \d+)*)\s*$", body, re.M)
            c = re.findall(r"^c=IN IP[46] (\S+)\s*$", body, re.M)
            d = re.findall(r"^a=(sendrecv|sendonly|recvonly|inactive)\s*$", body, re.M)
            out.append({"first": m["first"], "addr": c[-1] if c else None,
                        "port": int(ml.group(1)) if ml else None,
                        "proto": ml.group(2) if ml else None,
                        "pts": [int(x) for x in ml.group(3).split()] if ml else [],
                        "crypto": re.findall(r"^a=crypto:(.*?)\s*$", body, re.M),
                        "dir": d[-1] if d else "sendrecv"})
        return out

    def rtp_port(self):
        """The RTP port of baresip's last SDP (offer or answer) sent."""
        m = self.sdp_media(sent=True)
        check(m, "baresip %s has sent no SDP" % self.name)
        return m[-1]["port"]

