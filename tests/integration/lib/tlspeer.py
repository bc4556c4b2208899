"""tlspeer: the TLS tests' own peers: a raw SIP-over-TLS client and an
openssl s_client probe.

    from tlspeer import Tls, s_client
    with Tls(("127.0.0.1", port), ca=c.ca, server_name="localhost") as t:
        t.send(sipt.request("OPTIONS", "sips:127.0.0.1", t.host, t.port, "TLS"))
        r = t.expect()                   # a sipt.Response
        t.version, t.cipher, t.peer_subject, t.session_reused

    p = s_client(("127.0.0.1", port), ca=c.ca, server_name="localhost")
    p["version"], p["cipher"], p["verify_code"], p["verify"], p["chain"], p["reused"]

    with TlsServer(c.pem("server"), c.key("server")) as srv:   # a raw TLS listener
        ... sipuad calls sips:x@127.0.0.1:srv.port ...
        conn = srv.accept()
        m = conn.recv_msg()             # a Message: first line, headers, body
        conn.send(m.reply(603, "Decline"))
        srv.sni                         # the server names the clients sent (None: none)

Tls is sipt.Tcp over a TLS connection (Python's ssl, OpenSSL 3): the same
recv/expect/wait_closed, plus what the handshake negotiated.  It verifies
the server against `ca` and `server_name` (SNI and the name checked) unless
verify=False; `cert`/`key` present a client certificate; `session` offers a
session of an earlier Tls (its .session read after a response and before
close(): a TLS 1.3 ticket arrives after the handshake, with the first
data), with `context` that Tls's .context (Python resumes a session only
in the context that made it).  A handshake
that fails raises TlsRefused with OpenSSL's reason (its verify_message when
the certificate was refused).

s_client runs `openssl s_client -nameopt RFC2253` once with stdin closed
and parses its full output: "chain" [(subject, issuer)] in RFC 2253 form
(leaf first), "verify_code" (0 ok; 10 expired, 18 self-signed, 20 unable to
get local issuer certificate, 62 hostname mismatch), "verify" (the text),
"version" ("TLSv1.3"), "cipher", "reused" (bool), "connected" (bool: a
handshake completed), "text" (the whole output, for failure messages).
Without a handshake (nothing listens, a plain-text server, a refused client
certificate) connected is False and the rest None.
"""

import os
import re
import socket
import ssl

from sipt import WAIT, Tcp, TestFailure, run_cmd

OPENSSL = os.environ.get("OPENSSL") or "openssl"


class TlsRefused(TestFailure):
    """The TLS handshake failed; .reason is OpenSSL's."""

    def __init__(self, reason):
        TestFailure.__init__(self, "TLS handshake failed: %s" % reason)
        self.reason = reason


def client_context(ca=None, cert=None, key=None, verify=True):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if verify:
        ctx.load_verify_locations(ca)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


class Tls(Tcp):
    """A SIP client on one TLS connection (see the module notes)."""

    def __init__(self, dest, ca=None, server_name="localhost", cert=None, key=None,
                 verify=True, session=None, context=None, timeout=WAIT):
        ctx = context or client_context(ca, cert, key, verify)
        raw = socket.create_connection(dest, timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.sock = ctx.wrap_socket(raw, server_hostname=server_name, session=session)
        except ssl.SSLCertVerificationError as e:
            raw.close()
            raise TlsRefused(e.verify_message or str(e))
        except (ssl.SSLError, OSError) as e:
            raw.close()
            raise TlsRefused(getattr(e, "reason", None) or str(e))
        self.context = ctx
        self.family = raw.family
        self.host, self.port = self.sock.getsockname()[:2]
        self.buf = b""

    @property
    def version(self):
        return self.sock.version()

    @property
    def cipher(self):
        return self.sock.cipher()[0]

    @property
    def session(self):
        return self.sock.session

    @property
    def session_reused(self):
        return self.sock.session_reused

    @property
    def peer_subject(self):
        """The server certificate's subject, RFC 2253 ("CN=...,O=..."), or
        None when it was not verified (Python gives the parsed form only for
        a verified certificate)."""
        cert = self.sock.getpeercert()
        if not cert:
            return None
        rdns = [rdn for rdn in cert.get("subject", ())]
        short = {"commonName": "CN", "organizationName": "O", "countryName": "C",
                 "organizationalUnitName": "OU"}
        return ",".join("+".join("%s=%s" % (short.get(k, k), v) for k, v in rdn)
                        for rdn in reversed(rdns))

    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        try:
            d = self.sock.recv(65536)
        except socket.timeout:
            return None
        except (ConnectionResetError, ssl.SSLZeroReturnError, ssl.SSLEOFError, BrokenPipeError):
            return b""
        except ssl.SSLError:
            return b""  # an alert (e.g. the server refused our certificate late): closed
        return d

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Message:
    """A SIP message as read: .first (start line), .headers {lower name:
    [values]} (compact forms as given), .body, .raw (bytes)."""

    def __init__(self, raw):
        self.raw = raw
        text = raw.decode("utf-8", "replace")
        head, _, self.body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.first = lines[0]
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers.setdefault(name.strip().lower(), []).append(value.strip())

    @property
    def method(self):
        return None if self.first.startswith("SIP/2.0 ") else self.first.split(" ", 1)[0]

    def hdr(self, name, compact=None):
        out = list(self.headers.get(name.lower(), []))
        if compact:
            out += self.headers.get(compact.lower(), [])
        return out

    def reply(self, code, reason, to_tag="tlspeer1", extra=()):
        """A response to this request: Via, From, Call-ID, CSeq copied, a To tag."""
        lines = ["SIP/2.0 %d %s" % (code, reason)]
        lines += ["Via: %s" % v for v in self.hdr("Via", "v")]
        lines += ["From: %s" % v for v in self.hdr("From", "f")]
        to = self.hdr("To", "t")[0]
        lines.append("To: %s%s" % (to, "" if ";tag=" in to else ";tag=%s" % to_tag))
        lines += ["Call-ID: %s" % v for v in self.hdr("Call-ID", "i")]
        lines += ["CSeq: %s" % v for v in self.hdr("CSeq")]
        lines += list(extra) + ["Content-Length: 0"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def __repr__(self):
        return "<%s>" % self.first


class ServerConn(Tcp):
    """One connection a TlsServer accepted: sipt.Tcp's reads, plus
    recv_msg() for requests."""

    def __init__(self, sock):
        self.sock = sock
        self.family = sock.family
        self.host, self.port = sock.getsockname()[:2]
        self.buf = b""

    _fill = Tls._fill
    close = Tls.close

    def recv_msg(self, timeout=WAIT):
        """The next message framed by Content-Length, or None (timeout, EOF)."""
        if not self.recv_raw_until(lambda b: b"\r\n\r\n" in b.lstrip(b"\r\n"), timeout):
            return None
        self.buf = self.buf.lstrip(b"\r\n")
        head, _, _ = self.buf.partition(b"\r\n\r\n")
        clen = 0
        for line in head.split(b"\r\n"):
            n, _, v = line.partition(b":")
            if n.strip().lower() in (b"content-length", b"l"):
                clen = int(v.strip())
        total = len(head) + 4 + clen
        if not self.recv_raw_until(lambda b: len(b) >= total, timeout):
            return None
        raw, self.buf = self.buf[:total], self.buf[total:]
        return Message(raw)

    def expect_msg(self, timeout=WAIT):
        m = self.recv_msg(timeout)
        if m is None:
            raise TestFailure("no SIP message on the TLS connection within %.0f s" % timeout)
        return m


class TlsServer:
    """A TLS listener on a free loopback port presenting cert/key; asks a
    client certificate (verified against ca) when ca is given.  .sni holds
    the server name each accepted client sent (None: no SNI), in order."""

    def __init__(self, cert, key, host="127.0.0.1", ca=None):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        if ca:
            self.ctx.load_verify_locations(ca)
            self.ctx.verify_mode = ssl.CERT_OPTIONAL
        self.sni = []
        self.ctx.sni_callback = self._sni
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.lsock = socket.socket(fam, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((host, 0))
        self.lsock.listen(8)
        self.host = host
        self.port = self.lsock.getsockname()[1]
        self.conns = []

    def _sni(self, sslobj, name, ctx):
        self.sni.append(name)
        return None

    def accept(self, timeout=WAIT):
        """The next client, its handshake done: a ServerConn."""
        self.lsock.settimeout(timeout)
        try:
            raw, _ = self.lsock.accept()
        except socket.timeout:
            raise TestFailure("nobody connected to the TLS listener within %.0f s" % timeout)
        raw.settimeout(timeout)
        try:
            s = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as e:
            raw.close()
            raise TlsRefused(getattr(e, "reason", None) or str(e))
        c = ServerConn(s)
        self.conns.append(c)
        return c

    def close(self):
        for c in self.conns:
            c.close()
        self.lsock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


_CHAIN = re.compile(r"^ *(\d+) s:(.*)\n *i:(.*)$", re.M)
_SESSION = re.compile(r"^(New|Reused), (\S+), Cipher is (\S+)$", re.M)
_VERIFY = re.compile(r"^Verify return code: (\d+) \((.*)\)$", re.M)


def s_client(dest, ca=None, server_name="localhost", cert=None, key=None, extra=(),
             timeout=WAIT * 2):
    """One `openssl s_client` handshake to dest (host, port), parsed (see the
    module notes)."""
    host, port = dest
    target = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
    args = [OPENSSL, "s_client", "-connect", target, "-nameopt", "RFC2253"]
    if server_name:
        args += ["-servername", server_name]
    if ca:
        args += ["-CAfile", ca]
    if cert:
        args += ["-cert", cert, "-key", key]
    args += list(extra)
    r = run_cmd(args, timeout=timeout, stdin=open(os.devnull))
    text = r.stdout + r.stderr
    out = {"text": text, "rc": r.returncode, "chain": [], "version": None, "cipher": None,
           "reused": None, "verify_code": None, "verify": None}
    for m in _CHAIN.finditer(text):
        out["chain"].append((m.group(2).strip(), m.group(3).strip()))
    m = _SESSION.search(text)
    if m and m.group(3) != "(NONE)":
        out["reused"] = m.group(1) == "Reused"
        out["version"], out["cipher"] = m.group(2), m.group(3)
    m = _VERIFY.search(text)
    if m:
        out["verify_code"], out["verify"] = int(m.group(1)), m.group(2)
    out["connected"] = out["cipher"] is not None
    return out


def describe(p):
    """A one-line summary of an s_client result, for failure messages."""
    if not p["connected"]:
        tail = " | ".join(l for l in p["text"].splitlines()[-6:] if l.strip())
        return "no handshake (%s)" % tail
    return "%s %s, verify %s (%s), chain %r%s" % (p["version"], p["cipher"], p["verify_code"],
                                                  p["verify"], p["chain"],
                                                  ", resumed" if p["reused"] else "")
