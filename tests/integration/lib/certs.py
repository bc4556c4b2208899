"""certs: the TLS tests' certificates, made once per test process.

    from certs import certs
    c = certs()                      # runs tests/tls/mkcerts.sh the first time
    c.pem("server"), c.key("server") # paths
    c.bundle("server")               # certificate + key in one PEM (baresip)
    c.ca, c.other_ca                 # the test CA, a CA nothing chains to
    c.subject("server")              # "CN=sipuad test server,O=sipuad tests"

tests/tls/mkcerts.sh makes them with the openssl CLI (EC P-256, so a few
hundred milliseconds in all) into a private directory, removed when the
process exits (kept with SIPT_KEEP=1).  Nothing in the tree holds a key.
What each certificate is (see mkcerts.sh's header):

    server    signed by ca; DNS:localhost, IP:127.0.0.1, IP:::1, URI:sip:localhost
    server2   the same names, CN "sipuad test server 2" (the reload test)
    client    signed by ca, CN "sipuad test client", no names (mutual TLS)
    expired   signed by ca, the names of server, valid 2020-2021 only
    wrongname signed by ca, DNS:wrong.example only
    cnonly    signed by ca, CN=localhost and no subjectAltName
    selfsigned the names of server, signed by itself
    other_ca  a CA certificate (no key) nothing here chains to: as a
              client's ca_file, every good server certificate is refused

Subjects are given as RFC 2253 strings, the form sipuad reports (most
specific first: "CN=...,O=..."); OpenSSL's own verify reasons for each
refusal are in REASONS.
"""

import atexit
import os
import shutil
import subprocess
import tempfile

from sipt import SRCDIR, TestFailure, check

MKCERTS = os.path.join(SRCDIR, "tests", "tls", "mkcerts.sh")

NAMES = ("server", "server2", "client", "expired", "wrongname", "cnonly", "selfsigned")

CN = {
    "ca": "sipuad test CA",
    "server": "sipuad test server",
    "server2": "sipuad test server 2",
    "client": "sipuad test client",
    "expired": "sipuad expired server",
    "wrongname": "wrong.example",
    "cnonly": "localhost",
    "selfsigned": "localhost",
}

# X509_verify_cert_error_string() of what a client checking against ca.pem
# meets (OpenSSL 3.0 wording; 1.1 says "self signed certificate").
REASONS = {
    "expired": "certificate has expired",
    "selfsigned": "self-signed certificate",
    "other_ca": "unable to get local issuer certificate",  # trusting other-ca.pem only
}

_made = None


class Certs:
    def __init__(self, path):
        self.dir = path
        self.ca = os.path.join(path, "ca.pem")
        self.ca_key = os.path.join(path, "ca.key")
        self.other_ca = os.path.join(path, "other-ca.pem")

    def pem(self, name):
        return os.path.join(self.dir, "%s.pem" % name)

    def key(self, name):
        return os.path.join(self.dir, "%s.key" % name)

    def bundle(self, name):
        """NAME-bundle.pem: the certificate then its key in one file (mode
        0600), the form baresip's sip_certificate and Kamailio's tls.cfg
        both take."""
        out = os.path.join(self.dir, "%s-bundle.pem" % name)
        if not os.path.exists(out):
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                for part in (self.pem(name), self.key(name)):
                    with open(part) as src:
                        f.write(src.read())
        return out

    def subject(self, name):
        """The RFC 2253 subject of NAME's certificate."""
        return "CN=%s,O=%s" % (CN[name], "sipuad tests")

    def sipuad_tls(self, cert="server", ca=None, verify_server=True, verify_client="no",
                   session_cache=None, handshake_timeout_s=None, certificate=None,
                   private_key=None):
        """The lines of a sipuad's [tls] section: it presents cert (NAME.pem
        and NAME.key; None: no certificate, or certificate/private_key paths
        of the test's own) and trusts ca (a path; default the test CA)."""
        lines = []
        if certificate or cert:
            lines += ["certificate = %s" % (certificate or self.pem(cert)),
                      "private_key = %s" % (private_key or self.key(cert))]
        lines += ["ca_file = %s" % (ca or self.ca),
                  "verify_server = %s" % ("yes" if verify_server else "no"),
                  "verify_client = %s" % verify_client]
        if session_cache is not None:
            lines.append("session_cache = %s" % ("yes" if session_cache else "no"))
        if handshake_timeout_s is not None:
            lines.append("handshake_timeout_s = %d" % handshake_timeout_s)
        return lines


def certs():
    """The process's Certs, made on first use by tests/tls/mkcerts.sh."""
    global _made
    if _made is None:
        path = tempfile.mkdtemp(prefix="sipuad-test-certs-")
        try:
            r = subprocess.run(["sh", MKCERTS, path], capture_output=True, text=True,
                               timeout=120)
        except subprocess.TimeoutExpired:
            raise TestFailure("mkcerts.sh did not finish within 120 s")
        check(r.returncode == 0, "mkcerts.sh %s failed (%d): %s" % (path, r.returncode,
                                                                   r.stderr[-2000:]))
        c = Certs(path)
        for n in NAMES:
            check(os.path.exists(c.pem(n)) and os.path.exists(c.key(n)),
                  "mkcerts.sh made no %s.pem/.key" % n)
        if not os.environ.get("SIPT_KEEP"):
            atexit.register(shutil.rmtree, path, True)
        _made = c
    return _made
