"""audio: the media tests' own checker of what was heard (standard library only).

    from audio import write_tone, read_wav, wav_info, dominant_hz, tone_seconds
    write_tone("/tmp/a.wav", 440, 5)                     # 8 kHz mono, 16 bit
    x = read_wav(path, channel=0)                        # array('h') of int16
    hz, share = dominant_hz(x, 8000, (440, 1000))        # (440, 0.98)
    tone_seconds(x, 8000, 440)                           # 4.98
    dtmf_tones(read_wav(path), 8000)                     # "123#"

How it measures, so that a test's threshold means something:

- Everything works on 20 ms blocks (block_ms), the packetization of the
  calls under test: a lost or reordered packet breaks the phase of the tone,
  so nothing here runs one Goertzel over a whole recording (a phase jump
  every few packets would cancel it out); each block is measured on its own
  and the powers are added.
- share: the part of the energy that lies at the frequency.  A pure tone at
  exactly that frequency has share 1.0, whatever its level; white noise has
  about 3/N per frequency (0.02 for a 160-sample block); silence has no
  energy and counts for nothing.  dominant_hz() and tone_seconds() use a
  Hann window (50 Hz bins at 8 kHz, so candidates 100 Hz apart or more are
  told apart cleanly); dtmf_tones() uses the classic rectangular window,
  where the 8 DTMF frequencies (73 Hz apart or more) leak under 5 %.
- tone_seconds() counts the blocks where the tone's share is at least
  `threshold` and the block is louder than `min_dbfs`: how long the tone was
  heard, not where; its error is about a block at each edge.
- dtmf_tones() calls a block a digit when one row and one column frequency
  hold together at least 70 % of its energy (each at least 10 %: twist up
  to ~9 dB) and the block is louder than -40 dBFS; a digit is a run of at
  least min_blocks (2, 40 ms) such blocks; any other block ends the run, so
  a packet lost inside a tone may split it into two digits.
- read_wav() parses RIFF itself: 16-bit PCM, 8-bit G.711 mu-law/A-law,
  WAVE_FORMAT_EXTENSIBLE of those; a data chunk whose size is 0, 0xFFFFFFFF
  or beyond the end of the file (a recorder killed before it closed the
  file) is read to the end of the file.

G.711 (ulaw_decode, alaw_decode, ulaw_encode, alaw_encode) follows ITU-T
G.711 bit for bit as Debian's spandsp (g711.h, what sipuad uses) does: all
65,536 inputs and 256 codes were compared with it; for the capture checks
in capture.py and for making test payloads.
"""

import array
import math
import random
import struct
import sys
import wave

from sipt import TestFailure, check

BLOCK_MS = 20

DTMF_ROWS = (697, 770, 852, 941)
DTMF_COLS = (1209, 1336, 1477, 1633)
DTMF_KEYS = ("123A", "456B", "789C", "*0#D")


# ---- G.711

def _ulaw_decode_one(u):
    u = ~u & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return (0x84 - t) if u & 0x80 else (t - 0x84)


def _alaw_decode_one(a):
    a ^= 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    if seg == 0:
        t += 8
    elif seg == 1:
        t += 0x108
    else:
        t = (t + 0x108) << (seg - 1)
    return t if a & 0x80 else -t


_ULAW = [_ulaw_decode_one(i) for i in range(256)]
_ALAW = [_alaw_decode_one(i) for i in range(256)]
def _ulaw_encode_one(s):
    if s < 0:
        lin, mask = 0x84 - s, 0x7F
    else:
        lin, mask = 0x84 + s, 0xFF
    seg = (lin | 0xFF).bit_length() - 8
    if seg >= 8:
        return 0x7F ^ mask
    return ((seg << 4) | ((lin >> (seg + 3)) & 0x0F)) ^ mask


def _alaw_encode_one(s):
    if s >= 0:
        mask = 0xD5
    else:
        s, mask = ~s, 0x55
    seg = (s | 0xFF).bit_length() - 8
    if seg >= 8:
        return 0x7F ^ mask
    return ((seg << 4) | ((s >> (seg + 3 if seg else 4)) & 0x0F)) ^ mask


def ulaw_decode(data):
    """G.711 mu-law bytes -> array('h') of linear samples."""
    return array.array("h", [_ULAW[b] for b in data])


def alaw_decode(data):
    """G.711 A-law bytes -> array('h') of linear samples."""
    return array.array("h", [_ALAW[b] for b in data])


def ulaw_encode(samples):
    """int16 samples -> G.711 mu-law bytes."""
    return bytes(_ulaw_encode_one(int(s)) for s in samples)


def alaw_encode(samples):
    """int16 samples -> G.711 A-law bytes."""
    return bytes(_alaw_encode_one(int(s)) for s in samples)


# ---- making WAV files

def tone_samples(hz, seconds, rate=8000, amplitude=0.3, phase=0.0):
    """array('h') of a sine at hz (or the sum of several: a tuple, each at
    amplitude / count), amplitude a fraction of full scale; hz None: silence."""
    n = int(round(seconds * rate))
    if hz is None:
        return array.array("h", bytes(2 * n))
    freqs = tuple(hz) if isinstance(hz, (tuple, list)) else (hz,)
    check(0 < amplitude <= 1.0, "amplitude %r is not in (0, 1]" % amplitude)
    for f in freqs:
        check(0 < f < rate / 2, "%r Hz is not below the Nyquist frequency of %d Hz"
              % (f, rate))
    a = 32767.0 * amplitude / len(freqs)
    w = [2 * math.pi * f / rate for f in freqs]
    # whole-Hz tones repeat every second: compute one, repeat it
    period = rate if all(float(f).is_integer() for f in freqs) and n > rate else n
    one = array.array("h", [int(round(a * sum(math.sin(wi * i + phase) for wi in w)))
                            for i in range(period)])
    out = one * (n // period + 1)
    del out[n:]
    return out


def noise_samples(seconds, rate=8000, amplitude=0.3, seed=1):
    """array('h') of Gaussian white noise (RMS = amplitude of full scale / 2)."""
    r = random.Random(seed)
    sd = 32767.0 * amplitude / 2
    return array.array("h", [max(-32768, min(32767, int(r.gauss(0, sd))))
                             for _ in range(int(round(seconds * rate)))])


def dtmf_samples(digits, rate=8000, on_ms=100, off_ms=100, amplitude=0.3, lead_ms=0):
    """In-band DTMF: each digit's two tones for on_ms, then off_ms silence."""
    out = tone_samples(None, lead_ms / 1000.0, rate)
    for d in digits:
        out += tone_samples(dtmf_freqs(d), on_ms / 1000.0, rate, amplitude)
        out += tone_samples(None, off_ms / 1000.0, rate)
    return out


def dtmf_freqs(digit):
    """(row Hz, column Hz) of a DTMF key (0-9 * # A-D)."""
    d = str(digit).upper()
    for r, keys in enumerate(DTMF_KEYS):
        c = keys.find(d)
        if c >= 0 and len(d) == 1:
            return DTMF_ROWS[r], DTMF_COLS[c]
    raise TestFailure("%r is not a DTMF key" % digit)


def write_wav(path, samples, rate=8000, channels=1):
    """16-bit PCM WAV; samples interleaved when channels > 1."""
    check(len(samples) % channels == 0, "%d samples do not fill %d channels"
          % (len(samples), channels))
    a = array.array("h", samples)
    if sys.byteorder != "little":
        a.byteswap()
    w = wave.open(path, "wb")
    try:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(a.tobytes())
    finally:
        w.close()
    return path


def write_tone(path, hz, seconds, rate=8000, channels=1, amplitude=0.3):
    """A WAV of a sine at hz (tuple: several summed; None: silence), the same
    in every channel; returns path."""
    mono = tone_samples(hz, seconds, rate, amplitude)
    if channels == 1:
        return write_wav(path, mono, rate, 1)
    inter = array.array("h", bytes(2 * len(mono) * channels))
    for c in range(channels):
        inter[c::channels] = mono
    return write_wav(path, inter, rate, channels)


# ---- reading WAV files

_FMT_PCM, _FMT_ALAW, _FMT_ULAW, _FMT_EXT = 1, 6, 7, 0xFFFE


def _parse_wav(path):
    """(info dict, raw data bytes) of a RIFF WAVE file; TestFailure if it is not one."""
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError as e:
        raise TestFailure("cannot read WAV %s: %s" % (path, e))
    check(len(blob) >= 12 and blob[:4] == b"RIFF" and blob[8:12] == b"WAVE",
          "%s is not a RIFF WAVE file (%d bytes)" % (path, len(blob)))
    pos, fmt, data = 12, None, None
    while pos + 8 <= len(blob):
        cid = blob[pos:pos + 4]
        size = struct.unpack_from("<I", blob, pos + 4)[0]
        body = pos + 8
        if cid == b"data":
            end = body + size
            if size in (0, 0xFFFFFFFF) or end > len(blob):
                end = len(blob)  # not finalized: the rest of the file
            data = blob[body:end]
            break
        if cid == b"fmt ":
            check(size >= 16 and body + size <= len(blob), "%s: short fmt chunk" % path)
            tag, ch, rate, _, align, bits = struct.unpack_from("<HHIIHH", blob, body)
            if tag == _FMT_EXT and size >= 40:
                tag = struct.unpack_from("<H", blob, body + 24)[0]
            fmt = {"format": tag, "channels": ch, "rate": rate, "bits": bits,
                   "align": align}
        pos = body + size + (size & 1)
    check(fmt is not None, "%s has no fmt chunk" % path)
    check(data is not None, "%s has no data chunk" % path)
    ok = (fmt["format"] == _FMT_PCM and fmt["bits"] == 16) or \
        (fmt["format"] in (_FMT_ALAW, _FMT_ULAW) and fmt["bits"] == 8)
    check(ok, "%s: format %d with %d bits is not 16-bit PCM or 8-bit G.711"
          % (path, fmt["format"], fmt["bits"]))
    check(fmt["channels"] >= 1 and fmt["rate"] > 0, "%s: %d channels at %d Hz"
          % (path, fmt["channels"], fmt["rate"]))
    width = 2 if fmt["format"] == _FMT_PCM else 1
    frame = width * fmt["channels"]
    data = data[:len(data) - len(data) % frame]
    fmt["frames"] = len(data) // frame
    fmt["seconds"] = fmt["frames"] / float(fmt["rate"])
    fmt["encoding"] = {_FMT_PCM: "pcm16", _FMT_ALAW: "alaw", _FMT_ULAW: "ulaw"}[fmt["format"]]
    return fmt, data


def wav_info(path):
    """{"rate", "channels", "bits", "encoding" (pcm16|ulaw|alaw), "frames", "seconds"}."""
    info, _ = _parse_wav(path)
    return {k: info[k] for k in ("rate", "channels", "bits", "encoding", "frames", "seconds")}


def read_wav(path, channel=None):
    """The samples of one channel as array('h') (int16).  channel None: the
    file must be mono (a stereo recording is two signals: name the one you
    check)."""
    info, data = _parse_wav(path)
    ch = info["channels"]
    if channel is None:
        check(ch == 1, "%s has %d channels: say which to read" % (path, ch))
        channel = 0
    check(0 <= channel < ch, "%s has no channel %r (it has %d)" % (path, channel, ch))
    if info["encoding"] == "pcm16":
        a = array.array("h")
        a.frombytes(data)
        if sys.byteorder != "little":
            a.byteswap()
    else:
        a = (ulaw_decode if info["encoding"] == "ulaw" else alaw_decode)(data)
    return a if ch == 1 else a[channel::ch]


# ---- measuring

def rms_dbfs(samples):
    """RMS level relative to full scale (dBFS; -inf for silence or nothing)."""
    if not len(samples):
        return float("-inf")
    e = sum(v * v for v in samples) / float(len(samples))
    return 10 * math.log10(e / (32768.0 * 32768.0)) if e > 0 else float("-inf")


class _Goertzel:
    """Goertzel power at one frequency over blocks of n samples (any frequency,
    not only a bin centre: the coefficients come from hz directly)."""

    def __init__(self, hz, rate):
        w = 2 * math.pi * hz / rate
        self.coeff, self.cos, self.sin = 2 * math.cos(w), math.cos(w), math.sin(w)

    def power(self, xs):
        c = self.coeff
        s1 = s2 = 0.0
        for v in xs:
            s1, s2 = v + c * s1 - s2, s1
        re = s1 - s2 * self.cos
        im = s2 * self.sin
        return re * re + im * im


def _blocks(samples, rate, block_ms):
    n = int(rate * block_ms / 1000)
    check(n >= 8, "a %r ms block at %d Hz is too short" % (block_ms, rate))
    for i in range(0, len(samples) - n + 1, n):
        yield samples[i:i + n]


def _hann(n):
    return [0.5 - 0.5 * math.cos(2 * math.pi * (i + 0.5) / n) for i in range(n)]


def _check_candidates(candidates, rate):
    cands = tuple(candidates)
    check(len(cands) > 0, "no candidate frequencies")
    for f in cands:
        check(0 < f < rate / 2, "candidate %r Hz is not in (0, %d)" % (f, rate // 2))
    return cands


def band_shares(samples, rate, freqs, block_ms=BLOCK_MS):
    """{hz: share of the energy at hz} over 20 ms Hann-windowed blocks."""
    freqs = _check_candidates(freqs, rate)
    n = int(rate * block_ms / 1000)
    win = _hann(n)
    norm = sum(win) ** 2 / (2.0 * n)  # pure tone: power == energy * norm
    gs = [(f, _Goertzel(f, rate)) for f in freqs]
    num = dict((f, 0.0) for f in freqs)
    den = 0.0
    for b in _blocks(samples, rate, block_ms):
        e = float(sum(v * v for v in b))
        if e <= 0:
            continue
        den += e * norm
        xw = [v * w for v, w in zip(b, win)]
        for f, g in gs:
            num[f] += g.power(xw)
    return dict((f, (num[f] / den if den else 0.0)) for f in freqs)


def dominant_hz(samples, rate, candidates, min_share=0.5, block_ms=BLOCK_MS):
    """(hz, share): the candidate frequency holding the most energy and its
    share of all of it (0..1); hz is None when that share is below min_share
    (noise, silence, a tone not among the candidates)."""
    shares = band_shares(samples, rate, candidates, block_ms)
    best = max(shares, key=lambda f: shares[f])
    s = shares[best]
    return (best if s >= min_share else None), s


def tone_seconds(samples, rate, hz, threshold=0.5, min_dbfs=-50.0, block_ms=BLOCK_MS):
    """Seconds (by 20 ms blocks) in which hz holds at least `threshold` of a
    block's energy and the block is louder than min_dbfs."""
    _check_candidates((hz,), rate)
    n = int(rate * block_ms / 1000)
    win = _hann(n)
    norm = sum(win) ** 2 / (2.0 * n)
    floor = n * (32768.0 ** 2) * 10 ** (min_dbfs / 10.0)
    g = _Goertzel(hz, rate)
    count = 0
    for b in _blocks(samples, rate, block_ms):
        e = float(sum(v * v for v in b))
        if e <= floor:
            continue
        if g.power([v * w for v, w in zip(b, win)]) >= threshold * e * norm:
            count += 1
    return count * n / float(rate)


def dtmf_blocks(samples, rate, block_ms=BLOCK_MS, min_dbfs=-40.0):
    """The DTMF key heard in each 20 ms block, or None (see the module notes)."""
    n = int(rate * block_ms / 1000)
    floor = n * (32768.0 ** 2) * 10 ** (min_dbfs / 10.0)
    rows = [_Goertzel(f, rate) for f in DTMF_ROWS]
    cols = [_Goertzel(f, rate) for f in DTMF_COLS]
    out = []
    for b in _blocks(samples, rate, block_ms):
        b = [float(v) for v in b]
        e = sum(v * v for v in b)
        if e <= floor:
            out.append(None)
            continue
        k = 2.0 / (n * e)  # rectangular window: a pure tone has share 1
        rs = [g.power(b) * k for g in rows]
        cs = [g.power(b) * k for g in cols]
        r = max(range(4), key=lambda i: rs[i])
        c = max(range(4), key=lambda i: cs[i])
        if rs[r] >= 0.1 and cs[c] >= 0.1 and rs[r] + cs[c] >= 0.7:
            out.append(DTMF_KEYS[r][c])
        else:
            out.append(None)
    return out


def dtmf_tones(samples, rate, min_blocks=2, block_ms=BLOCK_MS, min_dbfs=-40.0):
    """The in-band DTMF digits heard, in order, as a string ("" for none)."""
    digits = []
    prev, run = None, 0
    for key in dtmf_blocks(samples, rate, block_ms, min_dbfs) + [None]:
        if key is not None and key == prev:
            run += 1
            continue
        if prev is not None and run >= min_blocks:
            digits.append(prev)
        prev, run = key, (1 if key is not None else 0)
    return "".join(digits)
