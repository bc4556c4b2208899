#!/usr/bin/env python3
"""Self-test of audio.py: the checker finds what is there and nothing else.

Tones at 400, 1000 and 1500 Hz are found with share ~1 and their lengths to
a block; noise and silence have no dominant frequency; stereo channels are
told apart; G.711 tables match ITU-T G.711 points and round-trip; a WAV
whose header was never finalized is still read; malformed files fail with
a message; DTMF in-band digits are decoded exactly, and not out of noise or
a single tone.  No baresip needed.  Run:
    python3 tests/integration/lib/audio_selftest.py
"""

import array
import os
import random
import shutil
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import audio  # noqa: E402
from audio import (dominant_hz, dtmf_tones, read_wav, tone_seconds, wav_info,  # noqa: E402
                   write_tone, write_wav)
from sipt import TestFailure, check, run  # noqa: E402

TMP = tempfile.mkdtemp(prefix="audio-selftest-")
CANDS = (400, 1000, 1500)


def p(name):
    return os.path.join(TMP, name)


def fails(fn, words):
    """fn() raises TestFailure whose message contains words."""
    try:
        fn()
    except TestFailure as e:
        check(words in str(e), "failure %r does not say %r" % (str(e), words))
        return
    raise TestFailure("no failure (wanted one saying %r)" % words)


def near(got, want, tol, what):
    check(abs(got - want) <= tol, "%s: %r, want %r +- %r" % (what, got, want, tol))


def test_tones():
    for hz in CANDS:
        path = write_tone(p("t%d.wav" % hz), hz, 2.0)
        info = wav_info(path)
        check(info == {"rate": 8000, "channels": 1, "bits": 16, "encoding": "pcm16",
                       "frames": 16000, "seconds": 2.0}, "info %r" % info)
        x = read_wav(path)
        check(len(x) == 16000 and isinstance(x, array.array) and x.typecode == "h",
              "read %d samples of %r" % (len(x), type(x)))
        near(max(x), 0.3 * 32767, 2, "peak of a 0.3 tone")
        got, share = dominant_hz(x, 8000, CANDS + (440,))
        check(got == hz and share > 0.99, "%d Hz tone: %r %.3f" % (hz, got, share))
        for other in CANDS:
            if other != hz:
                s = audio.band_shares(x, 8000, (other,))[other]
                check(s < 0.01, "%d Hz tone leaks %.3f into %d Hz" % (hz, s, other))
    # 16 kHz, quiet: share does not depend on level or rate
    x = read_wav(write_tone(p("q.wav"), 1000, 1.0, rate=16000, amplitude=0.01))
    check(len(x) == 16000, "16 kHz length %d" % len(x))
    got, share = dominant_hz(x, 16000, CANDS)
    check(got == 1000 and share > 0.99, "quiet 16 kHz tone: %r %.3f" % (got, share))
    # not among the candidates: none dominates
    got, share = dominant_hz(audio.tone_samples(700, 1.0), 8000, CANDS)
    check(got is None and share < 0.05, "700 Hz against %r: %r %.3f" % (CANDS, got, share))
    # a sum of two: each holds half
    x = audio.tone_samples((400, 1500), 1.0)
    sh = audio.band_shares(x, 8000, CANDS)
    near(sh[400], 0.5, 0.02, "400 of 400+1500")
    near(sh[1500], 0.5, 0.02, "1500 of 400+1500")


def test_no_dominant():
    got, share = dominant_hz(audio.noise_samples(2.0, seed=7), 8000, CANDS)
    check(got is None and share < 0.1, "noise: %r %.3f" % (got, share))
    got, share = dominant_hz(audio.tone_samples(None, 1.0), 8000, CANDS)
    check(got is None and share == 0.0, "silence: %r %r" % (got, share))
    got, share = dominant_hz(array.array("h"), 8000, CANDS)
    check(got is None and share == 0.0, "nothing: %r %r" % (got, share))
    # a tone under noise of equal power: still found, with about half
    x = audio.tone_samples(1000, 2.0, amplitude=0.2)
    n = audio.noise_samples(2.0, amplitude=0.2 * 2 ** 0.5, seed=3)
    mix = array.array("h", [a + b for a, b in zip(x, n)])
    got, share = dominant_hz(mix, 8000, CANDS)
    check(got == 1000 and 0.4 < share < 0.6, "tone in noise: %r %.3f" % (got, share))
    check(dominant_hz(mix, 8000, CANDS, min_share=0.7)[0] is None, "min_share not applied")
    fails(lambda: dominant_hz(x, 8000, ()), "no candidate")
    fails(lambda: dominant_hz(x, 8000, (4000,)), "not in (0, 4000)")


def test_lengths():
    sil1 = audio.tone_samples(None, 1.0)
    tone = audio.tone_samples(1000, 2.0)
    sil2 = audio.tone_samples(None, 0.5)
    write_wav(p("len.wav"), sil1 + tone + sil2)
    x = read_wav(p("len.wav"))
    check(wav_info(p("len.wav"))["seconds"] == 3.5, "file length")
    near(tone_seconds(x, 8000, 1000), 2.0, 0.04, "1000 Hz seconds")
    check(tone_seconds(x, 8000, 400) == 0.0, "400 Hz found in a 1000 Hz file")
    check(tone_seconds(sil1, 8000, 1000) == 0.0, "tone found in silence")
    check(tone_seconds(audio.noise_samples(1.0), 8000, 1000) == 0.0, "tone found in noise")
    # below the level floor: not heard
    quiet = audio.tone_samples(1000, 1.0, amplitude=0.001)  # -60 dBFS
    check(tone_seconds(quiet, 8000, 1000) == 0.0, "a -60 dBFS tone counted")
    near(tone_seconds(quiet, 8000, 1000, min_dbfs=-70), 1.0, 0.02, "quiet with a lower floor")
    # a tone starting mid-block: within a block
    off = audio.tone_samples(None, 0.013) + audio.tone_samples(1500, 1.0)
    near(tone_seconds(off, 8000, 1500), 1.0, 0.021, "unaligned tone")
    # every fifth 20 ms frame dropped (a recorder that skips lost packets)
    frames = [tone[i:i + 160] for i in range(0, len(tone), 160)]
    lossy = array.array("h")
    for i, f in enumerate(frames):
        if i % 5 != 2:
            lossy += f
    got, share = dominant_hz(lossy, 8000, CANDS)
    check(got == 1000 and share > 0.9, "tone with lost frames: %r %.3f" % (got, share))
    near(tone_seconds(lossy, 8000, 1000), 1.6, 0.04, "tone with lost frames, seconds")
    near(audio.rms_dbfs(tone), -13.5, 0.1, "rms of a 0.3 sine")
    check(audio.rms_dbfs(sil1) == float("-inf"), "rms of silence")


def test_stereo():
    left = audio.tone_samples(400, 1.0)
    right = audio.tone_samples(1500, 1.0)
    inter = array.array("h", bytes(4 * len(left)))
    inter[0::2] = left
    inter[1::2] = right
    write_wav(p("st.wav"), inter, channels=2)
    check(wav_info(p("st.wav"))["channels"] == 2, "channels")
    check(wav_info(p("st.wav"))["frames"] == 8000, "frames of a stereo file")
    check(read_wav(p("st.wav"), 0) == left, "left channel")
    check(read_wav(p("st.wav"), 1) == right, "right channel")
    check(dominant_hz(read_wav(p("st.wav"), 0), 8000, CANDS)[0] == 400, "left tone")
    check(dominant_hz(read_wav(p("st.wav"), 1), 8000, CANDS)[0] == 1500, "right tone")
    fails(lambda: read_wav(p("st.wav")), "has 2 channels: say which")
    fails(lambda: read_wav(p("st.wav"), 2), "has no channel 2")
    write_tone(p("st2.wav"), 1000, 0.5, channels=2)
    check(read_wav(p("st2.wav"), 0) == read_wav(p("st2.wav"), 1), "write_tone stereo")
    fails(lambda: write_wav(p("bad.wav"), array.array("h", [1, 2, 3]), channels=2),
          "do not fill 2 channels")


def test_g711():
    # ITU-T G.711 points
    check(audio.ulaw_decode(bytes([0x00, 0x80, 0xFF, 0x7F])).tolist() == [-32124, 32124, 0, 0],
          "mu-law decode %r" % audio.ulaw_decode(bytes([0x00, 0x80, 0xFF, 0x7F])).tolist())
    check(audio.alaw_decode(bytes([0x55, 0xD5, 0x2A, 0xAA])).tolist() == [-8, 8, -32256, 32256],
          "A-law decode %r" % audio.alaw_decode(bytes([0x55, 0xD5, 0x2A, 0xAA])).tolist())
    check(audio.ulaw_encode([0, -1, 32767, -32768]) == bytes([0xFF, 0x7F, 0x80, 0x00]),
          "mu-law encode %r" % audio.ulaw_encode([0, -1, 32767, -32768]))
    check(audio.alaw_encode([0, -1, 32767, -32768]) == bytes([0xD5, 0x55, 0xAA, 0x2A]),
          "A-law encode %r" % audio.alaw_encode([0, -1, 32767, -32768]))
    # points of Debian spandsp's linear_to_ulaw / linear_to_alaw (g711.h)
    pts = (-31612, -5000, -1000, -100, 100, 1000, 5000, 12345)
    check(list(audio.ulaw_encode(pts)) == [0, 43, 78, 114, 242, 206, 171, 151],
          "mu-law encode of %r: %r" % (pts, list(audio.ulaw_encode(pts))))
    check(list(audio.alaw_encode(pts)) == [43, 6, 122, 83, 211, 250, 134, 189],
          "A-law encode of %r: %r" % (pts, list(audio.alaw_encode(pts))))
    for i in range(256):  # every code decodes to a value that encodes back to it
        u = audio.ulaw_decode(bytes([i]))[0]
        check(audio.ulaw_encode([u])[0] == i or u == 0, "mu-law code %d" % i)
        a = audio.alaw_decode(bytes([i]))[0]
        check(audio.alaw_encode([a])[0] == i, "A-law code %d" % i)
    x = audio.tone_samples(1000, 1.0)
    for enc, dec in ((audio.ulaw_encode, audio.ulaw_decode),
                     (audio.alaw_encode, audio.alaw_decode)):
        y = dec(enc(x))
        err = max(abs(a - b) for a, b in zip(x, y))
        check(err <= 512, "%s: round-trip error %d" % (enc.__name__, err))
        got, share = dominant_hz(y, 8000, CANDS)
        check(got == 1000 and share > 0.99, "%s tone: %r %.3f" % (enc.__name__, got, share))
    # G.711 WAV files (format 7 / 6) read as linear
    for fmt, enc in ((7, audio.ulaw_encode), (6, audio.alaw_encode)):
        body = enc(x)
        hdr = b"RIFF" + struct.pack("<I", 4 + 26 + 8 + len(body)) + b"WAVE" + \
            b"fmt " + struct.pack("<IHHIIHHH", 18, fmt, 1, 8000, 8000, 1, 8, 0) + \
            b"data" + struct.pack("<I", len(body))
        with open(p("g%d.wav" % fmt), "wb") as f:
            f.write(hdr + body)
        info = wav_info(p("g%d.wav" % fmt))
        check(info["encoding"] == ("ulaw" if fmt == 7 else "alaw") and info["frames"] == 8000,
              "G.711 WAV info %r" % info)
        check(dominant_hz(read_wav(p("g%d.wav" % fmt)), 8000, CANDS)[0] == 1000,
              "G.711 WAV tone")


def _patch_data_size(path, size):
    with open(path, "r+b") as f:
        blob = f.read()
        f.seek(blob.index(b"data") + 4)
        f.write(struct.pack("<I", size))


def test_unfinished_and_malformed():
    path = write_tone(p("u.wav"), 400, 1.0)
    full = read_wav(path)
    for size in (0, 0xFFFFFFFF, 10 ** 9):
        _patch_data_size(path, size)
        check(read_wav(path) == full, "data size %#x: %d samples" % (size, len(read_wav(path))))
    _patch_data_size(path, 3200)  # a real size shorter than the file: honoured
    check(len(read_wav(path)) == 1600, "data size 3200: %d samples" % len(read_wav(path)))
    with open(path, "rb") as f:
        blob = f.read()
    with open(p("trunc.wav"), "wb") as f:  # cut in the middle of a sample
        f.write(blob[:44 + 1001])
    _patch_data_size(p("trunc.wav"), 0)
    check(len(read_wav(p("trunc.wav"))) == 500, "truncated: %d" % len(read_wav(p("trunc.wav"))))
    with open(p("junk.wav"), "wb") as f:
        f.write(b"this is not a wave file at all")
    fails(lambda: read_wav(p("junk.wav")), "is not a RIFF WAVE file")
    open(p("empty.wav"), "wb").close()
    fails(lambda: read_wav(p("empty.wav")), "is not a RIFF WAVE file (0 bytes)")
    fails(lambda: read_wav(p("missing.wav")), "cannot read WAV")
    with open(p("nofmt.wav"), "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 12) + b"WAVE" + b"data" + struct.pack("<I", 0))
    fails(lambda: read_wav(p("nofmt.wav")), "has no fmt chunk")
    with open(p("nodata.wav"), "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 28) + b"WAVE" + b"fmt " +
                struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16))
    fails(lambda: read_wav(p("nodata.wav")), "has no data chunk")
    with open(p("pcm8.wav"), "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 40) + b"WAVE" + b"fmt " +
                struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8) + b"data" +
                struct.pack("<I", 4) + b"\x80\x80\x80\x80")
    fails(lambda: read_wav(p("pcm8.wav")), "format 1 with 8 bits is not 16-bit PCM")
    # a LIST chunk before data (as libsndfile may write) is skipped
    body = audio.tone_samples(1500, 0.5).tobytes()
    with open(p("list.wav"), "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + 24 + 13 + 1 + 8 + len(body)) + b"WAVE" +
                b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) +
                b"LIST" + struct.pack("<I", 5) + b"odd!!" + b"\0" +
                b"data" + struct.pack("<I", len(body)) + body)
    check(dominant_hz(read_wav(p("list.wav")), 8000, CANDS)[0] == 1500, "after a LIST chunk")


def test_dtmf():
    keys = "123A456B789C*0#D"
    x = audio.dtmf_samples(keys, lead_ms=30)
    check(dtmf_tones(x, 8000) == keys, "all keys: %r" % dtmf_tones(x, 8000))
    # short tones and gaps (40 ms each, the RFC 4733 minimum)
    x = audio.dtmf_samples("159#", on_ms=40, off_ms=40, lead_ms=0)
    check(dtmf_tones(x, 8000) == "159#", "40 ms tones: %r" % dtmf_tones(x, 8000))
    # the same key twice, separated by silence, is two digits
    x = audio.dtmf_samples("77", on_ms=60, off_ms=60, lead_ms=7)
    check(dtmf_tones(x, 8000) == "77", "repeated key: %r" % dtmf_tones(x, 8000))
    # quiet (-30 dBFS), through mu-law, with twist (column 6 dB below row)
    q = audio.dtmf_samples("90", amplitude=0.045)
    check(dtmf_tones(audio.ulaw_decode(audio.ulaw_encode(q)), 8000) == "90", "quiet mu-law")
    tw = audio.tone_samples(852, 0.1, amplitude=0.3) + audio.tone_samples(None, 0.1)
    tw2 = audio.tone_samples(1477, 0.1, amplitude=0.15) + audio.tone_samples(None, 0.1)
    mix = array.array("h", [a + b for a, b in zip(tw, tw2)])
    check(dtmf_tones(mix, 8000) == "9", "twist: %r" % dtmf_tones(mix, 8000))
    # too short (one block): not a digit; nothing in noise, a single tone, speech-like mix
    check(dtmf_tones(audio.dtmf_samples("5", on_ms=20), 8000) == "", "a 20 ms tone counted")
    check(dtmf_tones(audio.noise_samples(1.0), 8000) == "", "digits in noise")
    check(dtmf_tones(audio.tone_samples(697, 1.0), 8000) == "", "digits from one tone")
    check(dtmf_tones(audio.tone_samples((697, 1209, 1500), 1.0), 8000) == "",
          "digits from three tones")
    check(dtmf_tones(audio.tone_samples(None, 1.0), 8000) == "", "digits in silence")
    fails(lambda: audio.dtmf_freqs("E"), "is not a DTMF key")
    fails(lambda: audio.dtmf_freqs("12"), "is not a DTMF key")
    check(audio.dtmf_freqs("#") == (941, 1477) and audio.dtmf_freqs("a") == (697, 1633),
          "dtmf_freqs")
    # noise under the tones: still read
    x = audio.dtmf_samples("3", on_ms=200)
    n = audio.noise_samples(len(x) / 8000.0, amplitude=0.03, seed=random.randrange(1000))
    check(dtmf_tones(array.array("h", [a + b for a, b in zip(x, n)]), 8000) == "3",
          "tone in light noise")


if __name__ == "__main__":
    try:
        run([("tones at 400, 1000, 1500 Hz are found, others not", test_tones),
             ("noise and silence have no dominant frequency", test_no_dominant),
             ("tone lengths by 20 ms blocks", test_lengths),
             ("stereo channels are read apart", test_stereo),
             ("G.711 tables and round trips", test_g711),
             ("unfinished WAVs are read, malformed ones refused", test_unfinished_and_malformed),
             ("in-band DTMF digits", test_dtmf)])
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
