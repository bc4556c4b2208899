/*
 * tp_tls: TLS for the stream transport (RFC 3261 §26.3.1, RFC 5922),
 * through OpenSSL 3.  With tp_tls_name.c, the only files of the transport
 * that speak OpenSSL.
 *
 * Owns what the TLS connections share: two SSL_CTX built from struct
 * tp_tls_cfg, one to accept with and one to connect with, swapped whole
 * by tp_tls_set() (an open connection keeps the SSL it has, and OpenSSL
 * keeps its context alive by a reference, so a renewed certificate is
 * seen by the next handshake); the check of a server's name; the client
 * side's session table; the counters and the log of failed handshakes;
 * and the ring of why the last TP_WHY_KEEP connections failed, TCP ones
 * too.  The connections themselves are tp_stream.c's (a bufferevent_openssl
 * around each socket): it asks here for an SSL per connection
 * (tp_tls_ssl_new()) and hands back how the handshake ended.
 *
 * Server names: with verify_server, a server's certificate must name the
 * host the connection was opened for (tp_tls_name.c, RFC 5922 §7); the
 * check runs inside OpenSSL's chain verification, so a refused server
 * gets the alert and the failure reads like any other verify failure.
 * The host goes out as SNI unless it is an address (RFC 6066 §3).
 *
 * Sessions.  A server keeps a session cache and issues tickets under a
 * session id context; a client keeps the last session per (peer address,
 * server name) in a table of TLS_SESS_MAX entries, the least recently
 * used one replaced, and offers it on the next connection there.  A
 * session is cached only from connections made with the current
 * contexts, and tp_tls_set() empties the table: a session never carries
 * a check made under older settings into newer ones.
 *
 * Failed handshakes are logged once each, with the peer's address and
 * OpenSSL's reason, within the [log] rate_limit (log.h; 10 lines per 10 s
 * by default); then one line says how many more there were.  A port
 * scanner or a plaintext client on the TLS port cannot flood the log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/log.h"
#include "core/why.h"
#include "sip/tp_int.h"

#define TLS_SESS_MAX 256     /* client sessions kept, one per peer and name */
#define TLS_SRV_CACHE 1024   /* server sessions kept (TLS 1.2 session ids) */
#define TLS_HS_DEFAULT_S 10  /* handshake bound when none is configured */
#define TLS_SID_CTX "sipuad" /* our sessions are only for us */

struct tls_sess {
	struct net_addr addr;
	char *host;
	SSL_SESSION *s; /* NULL: a free entry */
	uint64_t used;	/* the table's clock when last stored or taken */
};

struct tls_why {
	uint64_t conn; /* 0: empty */
	char text[WHY_MSG_MAX];
};

struct tp_tls {
	SSL_CTX *srv, *cli; /* NULL until tp_tls_set() succeeds */
	bool have_cert;
	bool verify_server;
	enum tp_verify_client verify_client;
	unsigned gen; /* counts tp_tls_set(): which contexts a connection has */
	struct timeval hs_plain;
	const struct timeval *hs_tv;
	struct tls_sess sess[TLS_SESS_MAX];
	uint64_t sess_clock;
	struct tls_why why[TP_WHY_KEEP];
	unsigned why_next;
};

/* ---- errors --------------------------------------------------------- */

/* OpenSSL's reason for the newest error, or fallback; the queue emptied. */
static const char *ssl_reason(unsigned long e, char *buf, size_t size, const char *fallback)
{
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	if (!r && e) {
		ERR_error_string_n(e, buf, size);
		r = buf;
	}
	return r ? r : fallback;
}

/* "SUBJECT: OpenSSL's reason" into why; err returned, the queue emptied. */
static int ssl_why(char *why, size_t n, int err, const char *subject)
{
	char buf[128];
	const char *r = ssl_reason(ERR_peek_last_error(), buf, sizeof(buf), "unknown error");

	why_fmt(why, n, err, "%s: %s", subject, r);
	ERR_clear_error();
	return err;
}

/* ---- contexts ------------------------------------------------------- */

static bool set(const char *s)
{
	return s && *s;
}

/* path can be read (and, a key, by us alone).  0 or -errno with why. */
static int file_check(const char *path, bool key, char *why, size_t n)
{
	struct stat st;
	int fd, e;

	if (stat(path, &st) < 0) {
		e = errno;
		return why_fmt(why, n, -e, "%s: %s", path, strerror(e));
	}
	if (key && (st.st_mode & (S_IRGRP | S_IROTH)))
		return why_fmt(why, n, -EPERM, "%s: readable by group or others (chmod 600 it)",
			       path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return why_fmt(why, n, -e, "%s: %s", path, strerror(e));
	}
	close(fd);
	return 0;
}

/* Our certificate chain and its key, when configured.  0 or -errno. */
static int ctx_cert(SSL_CTX *ctx, const struct tp_tls_cfg *c, char *why, size_t n)
{
	int err;

	if (!set(c->certificate) && !set(c->private_key))
		return 0;
	if (!set(c->certificate))
		return why_fmt(why, n, -EINVAL, "%s: a private key without a certificate",
			       c->private_key);
	if (!set(c->private_key))
		return why_fmt(why, n, -EINVAL, "%s: a certificate without a private key",
			       c->certificate);
	if ((err = file_check(c->certificate, false, why, n)) < 0 ||
	    (err = file_check(c->private_key, true, why, n)) < 0)
		return err;
	if (SSL_CTX_use_certificate_chain_file(ctx, c->certificate) != 1)
		return ssl_why(why, n, -EINVAL, c->certificate);
	if (SSL_CTX_use_PrivateKey_file(ctx, c->private_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		return ssl_why(why, n, -EINVAL, c->private_key);
	return 0;
}

/* The CAs we trust: ca_file / ca_path, else the system's.  0 or -errno. */
static int ctx_cas(SSL_CTX *ctx, const struct tp_tls_cfg *c, char *why, size_t n)
{
	const char *file = set(c->ca_file) ? c->ca_file : NULL;
	const char *path = set(c->ca_path) ? c->ca_path : NULL;
	int err;

	if (!file && !path) {
		SSL_CTX_set_default_verify_paths(ctx);
		ERR_clear_error(); /* no system store is not our error */
		return 0;
	}
	if ((file && (err = file_check(file, false, why, n)) < 0) ||
	    (path && (err = file_check(path, false, why, n)) < 0))
		return err;
	if (SSL_CTX_load_verify_locations(ctx, file, path) != 1)
		return ssl_why(why, n, -EINVAL, file ? file : path);
	return 0;
}

static int sess_new_cb(SSL *ssl, SSL_SESSION *s);
static int verify_cb(int ok, X509_STORE_CTX *x);

/* What only a server context has: client certificates, the session cache. */
static void ctx_server(SSL_CTX *ctx, const struct tp_tls_cfg *c)
{
	static const int modes[] = {
	    [TP_VERIFY_NO] = SSL_VERIFY_NONE,
	    [TP_VERIFY_OPTIONAL] = SSL_VERIFY_PEER,
	    [TP_VERIFY_REQUIRE] = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
	};
	struct stack_st_X509_NAME *cas; /* STACK_OF(X509_NAME) */

	SSL_CTX_set_verify(ctx, modes[c->verify_client], NULL);
	/* Needed to resume a session whose client certificate was checked. */
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)TLS_SID_CTX,
				       sizeof(TLS_SID_CTX) - 1);
	if (c->verify_client != TP_VERIFY_NO && set(c->ca_file) &&
	    (cas = SSL_load_client_CA_file(c->ca_file)))
		SSL_CTX_set_client_CA_list(ctx, cas); /* tells clients which certificate to send */
	if (c->session_cache) {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
		SSL_CTX_sess_set_cache_size(ctx, TLS_SRV_CACHE);
		SSL_CTX_set_num_tickets(ctx, 1);
	} else {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_num_tickets(ctx, 0);
	}
	ERR_clear_error();
}

/* What only a client context has: the server check, our session table. */
static void ctx_client(SSL_CTX *ctx, const struct tp_tls_cfg *c)
{
	if (c->verify_server)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
	else
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (c->session_cache) {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
							SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(ctx, sess_new_cb);
	} else {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	}
}

/* One context from c, for accepting (server) or connecting.  0 or -errno. */
static int ctx_new(const struct tp_tls_cfg *c, bool server, SSL_CTX **out, char *why, size_t n)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	uint64_t opts = SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF;
	int err;

	if (!ctx)
		return ssl_why(why, n, -ENOMEM, "TLS");
	/*
	 * A peer that closes without close_notify is a plain close: SIP
	 * frames by Content-Length, so a cut message is seen anyway.
	 */
	if (!c->session_cache)
		opts |= SSL_OP_NO_TICKET;
	SSL_CTX_set_options(ctx, opts);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS); /* an idle connection keeps no buffers */
	/*
	 * We present the chain the certificate file holds, no more: OpenSSL
	 * would otherwise complete it from the CAs we trust, sending a root
	 * the peer must have anyway (and whose presence turns its "unknown
	 * issuer" into "self-signed certificate in certificate chain").
	 */
	SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		err = ssl_why(why, n, -EINVAL, "TLS 1.2");
		goto out;
	}
	if (set(c->ciphers) && SSL_CTX_set_cipher_list(ctx, c->ciphers) != 1) {
		err = ssl_why(why, n, -EINVAL, "ciphers");
		goto out;
	}
	if ((err = ctx_cert(ctx, c, why, n)) < 0 || (err = ctx_cas(ctx, c, why, n)) < 0)
		goto out;
	if (server)
		ctx_server(ctx, c);
	else
		ctx_client(ctx, c);
	*out = ctx;
	ctx = NULL;
out:
	SSL_CTX_free(ctx);
	return err;
}

/* Both contexts, or neither.  0 or -errno with why. */
static int ctx_pair(const struct tp_tls_cfg *c, SSL_CTX **srv, SSL_CTX **cli, char *why, size_t n)
{
	int err = ctx_new(c, true, srv, why, n);

	if (err < 0)
		return err;
	err = ctx_new(c, false, cli, why, n);
	if (err < 0) {
		SSL_CTX_free(*srv);
		*srv = NULL;
	}
	return err;
}

/* ---- client sessions ------------------------------------------------ */

static void sess_clear(struct tls_sess *e)
{
	SSL_SESSION_free(e->s);
	free(e->host);
	memset(e, 0, sizeof(*e));
}

static struct tls_sess *sess_find(struct tp_tls *t, const struct tp_tls_peer *p)
{
	for (unsigned i = 0; i < TLS_SESS_MAX; i++) {
		struct tls_sess *e = &t->sess[i];

		if (e->s && net_addr_eq(&e->addr, &p->addr) && strcasecmp(e->host, p->host) == 0)
			return e;
	}
	return NULL;
}

/* The entry to store into: p's own, a free one, else the least recently used. */
static struct tls_sess *sess_slot(struct tp_tls *t, const struct tp_tls_peer *p)
{
	struct tls_sess *e = sess_find(t, p), *old = &t->sess[0];

	for (unsigned i = 0; !e && i < TLS_SESS_MAX; i++) {
		if (!t->sess[i].s)
			e = &t->sess[i];
		else if (t->sess[i].used < old->used)
			old = &t->sess[i];
	}
	return e ? e : old;
}

/* OpenSSL made a session on an outgoing connection: keep it.  1: ours now. */
static int sess_new_cb(SSL *ssl, SSL_SESSION *s)
{
	struct tp_tls_peer *p = SSL_get_app_data(ssl);
	struct tp_tls *t;
	struct tls_sess *e;
	char *host;

	if (!p || !p->outgoing || !SSL_SESSION_is_resumable(s))
		return 0;
	t = p->tp->tls;
	if (p->gen != t->gen)
		return 0; /* made under settings that are gone */
	host = strdup(p->host);
	if (!host)
		return 0;
	e = sess_slot(t, p);
	sess_clear(e);
	e->addr = p->addr;
	e->host = host;
	e->s = s;
	e->used = ++t->sess_clock;
	return 1;
}

static void sess_flush(struct tp_tls *t)
{
	for (unsigned i = 0; i < TLS_SESS_MAX; i++)
		sess_clear(&t->sess[i]);
}

/* ---- server names -------------------------------------------------- */

/*
 * Chain verification of a server's certificate (verify_server): once the
 * chain is good, the leaf must name the server too.  A failure here ends
 * the handshake as any verify failure does, with the alert to the server.
 */
static int verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tp_tls_peer *p = ssl ? SSL_get_app_data(ssl) : NULL;

	if (!ok || !p || !p->outgoing || X509_STORE_CTX_get_error_depth(x) != 0)
		return ok;
	if (tp_tls_names(X509_STORE_CTX_get_current_cert(x), p->host, &p->addr))
		return 1;
	p->name_bad = true;
	X509_STORE_CTX_set_error(x, p->host[0] && !tp_tls_host_is_ip(p->host)
					? X509_V_ERR_HOSTNAME_MISMATCH
					: X509_V_ERR_IP_ADDRESS_MISMATCH);
	return 0;
}

/* ---- failures ------------------------------------------------------- */

static struct log_rl rl_hs_fail =
    LOG_RL_INIT("tls_handshake_failed", "TLS handshake failures", LOG_RL_PEER);

/* One handshake failure's line, within the rate limit. */
static void fail_log(const char *handle, const char *why)
{
	log_rl_info(&rl_hs_fail, "%s: %s", handle, why);
}

/* A certificate refused by the peer, as its alert says. */
static bool alert_cert(int reason)
{
	switch (reason) {
	case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
	case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
	case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
	case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
	case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
		return true;
	default:
		return false;
	}
}

/* The newest real OpenSSL error libevent kept for bev (not its SSL_ERROR_* code). */
static unsigned long bev_ssl_error(struct bufferevent *bev)
{
	unsigned long e, newest = 0;

	while ((e = bufferevent_get_openssl_error(bev)))
		if (!newest && (ERR_GET_LIB(e) != 0 || ERR_SYSTEM_ERROR(e)))
			newest = e;
	return newest;
}

/* A verify failure's words: OpenSSL's, then the name when it was the name. */
static void verify_words(const struct tp_tls_peer *p, SSL *ssl, const char *r, char *buf, size_t n)
{
	long v = SSL_get_verify_result(ssl);
	char a[NET_ADDR_STRLEN];
	int k = snprintf(buf, n, "%s (%s)", r, X509_verify_cert_error_string(v));

	if (p->name_bad && k > 0 && (size_t)k < n)
		snprintf(buf + k, n - (size_t)k, ": the certificate does not name %s",
			 p->host[0] ? p->host : net_addr_host(&p->addr, a, sizeof(a)));
}

/* What ended the connection (e, else sys_err): an errno, and its words into w. */
static int fail_words(const struct tp_tls_peer *p, SSL *ssl, unsigned long e, int sys_err, char *w,
		      size_t n)
{
	bool ours = e && ERR_GET_LIB(e) == ERR_LIB_SSL;
	char buf[128];
	const char *r = ssl_reason(e, buf, sizeof(buf), "");

	if (ours && ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
		verify_words(p, ssl, r, w, n);
		return -EKEYREJECTED;
	}
	if (e && !ERR_SYSTEM_ERROR(e)) {
		snprintf(w, n, "%s", r);
		return ours && alert_cert(ERR_GET_REASON(e)) ? -EKEYREJECTED : -EPROTO;
	}
	snprintf(w, n, "%s", sys_err ? strerror(sys_err) : "closed by the peer");
	return -ECONNRESET;
}

/*
 * A failure counted and logged as what it was: a handshake's, or a
 * certificate refused after it (a TLS 1.3 client learns only after its
 * Finished that the server refused its certificate).
 */
static void fail_count(struct tp_tls_peer *p, int err, const char *why)
{
	struct stats *st = p->tp->st;

	if (p->done && err != -EKEYREJECTED) {
		log_info("%s: %s", p->handle, why); /* not a handshake's failure */
		return;
	}
	if (err == -EKEYREJECTED)
		st->tls_fail_verify++;
	else if (err == -EPROTO)
		st->tls_fail_protocol++;
	else
		st->tls_fail_closed++;
	fail_log(p->handle, why);
}

int tp_tls_failed(struct tp_tls_peer *p, struct bufferevent *bev, int sys_err, char *why, size_t n)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long e = bev_ssl_error(bev);
	char a[NET_ADDR_STRLEN], words[320];
	int err;

	tp_fmt(&p->addr, a);
	if (ERR_SYSTEM_ERROR(e))
		sys_err = ERR_GET_REASON(e);
	/* Nothing written yet: the TCP connect itself failed, TLS never began. */
	if (!p->done && p->outgoing && sys_err && (!e || ERR_SYSTEM_ERROR(e)) &&
	    BIO_number_written(SSL_get_wbio(ssl)) == 0) {
		why_fmt(why, n, 0, "connect to %s: %s", a, strerror(sys_err));
		log_info("%s: %s", p->handle, why);
		return -sys_err;
	}
	err = fail_words(p, ssl, e, sys_err, words, sizeof(words));
	why_fmt(why, n, 0, "TLS %s with %s failed: %s", p->done ? "connection" : "handshake", a,
		words);
	fail_count(p, err, why);
	return err;
}

int tp_tls_timed_out(struct tp_tls_peer *p, char *why, size_t n)
{
	char a[NET_ADDR_STRLEN];

	p->tp->st->tls_fail_timeout++;
	why_fmt(why, n, 0, "TLS handshake with %s timed out after %ld s", tp_fmt(&p->addr, a),
		(long)p->hs_s);
	fail_log(p->handle, why);
	return -ETIMEDOUT;
}

void tp_tls_done(struct tp_tls_peer *p, struct ssl_st *ssl)
{
	struct stats *st = p->tp->st;
	char a[NET_ADDR_STRLEN];

	p->done = true;
	st->tls_handshakes++;
	if (SSL_session_reused(ssl))
		st->tls_resumed++;
	log_debug("%s: TLS with %s (%s, %s%s)", p->handle, tp_fmt(&p->addr, a),
		  SSL_get_version(ssl), SSL_get_cipher_name(ssl),
		  SSL_session_reused(ssl) ? ", resumed" : "");
}

/* ---- connections ---------------------------------------------------- */

int tp_tls_ssl_new(struct tp *tp, bool outgoing, const struct net_addr *peer, const char *host,
		   struct tp_tls_peer **pp, struct ssl_st **sslp)
{
	struct tp_tls *t = tp->tls;
	struct tp_tls_peer *p;
	struct tls_sess *e;
	SSL *ssl;

	if (!t->srv)
		return -EPROTONOSUPPORT;
	p = calloc(1, sizeof(*p));
	ssl = p ? SSL_new(outgoing ? t->cli : t->srv) : NULL;
	if (!ssl) {
		free(p);
		ERR_clear_error();
		return -ENOMEM;
	}
	p->tp = tp;
	p->addr = *peer;
	p->outgoing = outgoing;
	p->gen = t->gen;
	p->hs_s = t->hs_plain.tv_sec;
	SSL_set_app_data(ssl, p);
	if (outgoing) {
		snprintf(p->host, sizeof(p->host), "%s", host ? host : "");
		p->checked = t->verify_server;
		/* SNI names a host, never an address (RFC 6066 §3). */
		if (p->host[0] && !tp_tls_host_is_ip(p->host))
			SSL_set_tlsext_host_name(ssl, p->host);
		if ((e = sess_find(t, p)) && SSL_set_session(ssl, e->s) == 1)
			e->used = ++t->sess_clock;
	} else {
		p->checked = t->verify_client != TP_VERIFY_NO;
	}
	ERR_clear_error();
	*pp = p;
	*sslp = ssl;
	return 0;
}

void tp_tls_peer_free(struct tp_tls_peer *p, struct ssl_st *ssl)
{
	/* libevent may free the SSL later, after the callback that closed it. */
	if (ssl)
		SSL_set_app_data(ssl, NULL);
	free(p);
}

void tp_tls_idle(struct ssl_st *ssl)
{
	/*
	 * SSL_MODE_RELEASE_BUFFERS frees the read buffer after application
	 * data, not after a post-handshake message: a session ticket left
	 * ~17 KB on every idle client connection (OpenSSL 3.0, measured).
	 * Whatever is not in use goes now; 0 (in use) is fine too.
	 */
	SSL_free_buffers(ssl);
}

void tp_tls_bye(struct ssl_st *ssl)
{
	/* Best effort: close_notify if the socket takes it now, no waiting. */
	if (ssl && SSL_is_init_finished(ssl))
		SSL_shutdown(ssl);
	ERR_clear_error();
}

/* The peer certificate's subject, RFC 2253. */
static void subject(SSL *ssl, char *buf, size_t size)
{
	X509 *x = SSL_get0_peer_certificate(ssl);
	BIO *b = x ? BIO_new(BIO_s_mem()) : NULL;
	int n;

	buf[0] = '\0';
	if (b && X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_read(b, buf, (int)size - 1);
		buf[n > 0 ? n : 0] = '\0';
	}
	BIO_free(b);
}

void tp_tls_info(const struct tp_tls_peer *p, struct ssl_st *ssl, bool secure,
		 struct tp_conn_info *ci)
{
	const char *sni;

	ci->secure = secure;
	if (p->outgoing)
		snprintf(ci->server_name, sizeof(ci->server_name), "%s", p->host);
	else if ((sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)))
		snprintf(ci->server_name, sizeof(ci->server_name), "%s", sni);
	if (!secure)
		return;
	/* Checked, passed, and a certificate there to pass: a client may send none. */
	ci->verified = p->checked && SSL_get_verify_result(ssl) == X509_V_OK &&
		       SSL_get0_peer_certificate(ssl) != NULL;
	ci->resumed = SSL_session_reused(ssl);
	subject(ssl, ci->subject, sizeof(ci->subject));
	snprintf(ci->version, sizeof(ci->version), "%s", SSL_get_version(ssl));
	snprintf(ci->cipher, sizeof(ci->cipher), "%s", SSL_get_cipher_name(ssl));
}

/* ---- the transport's side (tp_int.h) -------------------------------- */

int tp_tls_init(struct tp *tp)
{
	struct tp_tls *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	tp->tls = t;
	return 0;
}

void tp_tls_fini(struct tp *tp)
{
	struct tp_tls *t = tp->tls;

	if (!t)
		return;
	sess_flush(t);
	SSL_CTX_free(t->srv);
	SSL_CTX_free(t->cli);
	free(t);
	tp->tls = NULL;
}

int tp_tls_can_listen(const struct tp *tp)
{
	if (!tp->tls->srv)
		return -ENOPROTOOPT;
	return tp->tls->have_cert ? 0 : -ENOKEY;
}

const struct timeval *tp_tls_hs_bound(const struct tp *tp)
{
	return tp->tls->hs_tv;
}

void tp_why_add(struct tp *tp, uint64_t conn, const char *why)
{
	struct tls_why *w = &tp->tls->why[tp->tls->why_next++ % TP_WHY_KEEP];

	w->conn = conn;
	snprintf(w->text, sizeof(w->text), "%s", why);
}

/* ---- interface (tp.h) ----------------------------------------------- */

int tp_tls_check(const struct tp_tls_cfg *c, char *why, size_t whylen)
{
	SSL_CTX *srv = NULL, *cli = NULL;
	int err = ctx_pair(c, &srv, &cli, why, whylen);

	SSL_CTX_free(srv);
	SSL_CTX_free(cli);
	return err;
}

static bool tls_listening(const struct tp *tp)
{
	for (const struct tp_lsn *l = tp->lsn; l; l = l->next)
		if (l->proto == NET_TLS)
			return true;
	return false;
}

int tp_tls_set(struct tp *tp, const struct tp_tls_cfg *c, char *why, size_t whylen)
{
	struct tp_tls *t = tp->tls;
	SSL_CTX *srv = NULL, *cli = NULL;
	int err = ctx_pair(c, &srv, &cli, why, whylen);

	if (err < 0)
		return err;
	if (!set(c->certificate) && tls_listening(tp)) {
		SSL_CTX_free(srv);
		SSL_CTX_free(cli);
		return why_fmt(why, whylen, -ENOKEY, "a TLS listener needs a certificate");
	}
	SSL_CTX_free(t->srv); /* open connections hold their own references */
	SSL_CTX_free(t->cli);
	t->srv = srv;
	t->cli = cli;
	t->gen++;
	sess_flush(t);
	t->have_cert = set(c->certificate);
	t->verify_server = c->verify_server;
	t->verify_client = c->verify_client;
	t->hs_plain.tv_sec = c->handshake_timeout_s ? c->handshake_timeout_s : TLS_HS_DEFAULT_S;
	t->hs_plain.tv_usec = 0;
	/* Every handshake has this one bound: O(1) timers. */
	t->hs_tv = event_base_init_common_timeout(tp->base, &t->hs_plain);
	if (!t->hs_tv)
		t->hs_tv = &t->hs_plain;
	return 0;
}

int tp_conn_why(const struct tp *tp, uint64_t conn, char *buf, size_t size)
{
	const struct tp_tls *t = tp->tls;

	for (unsigned i = 0; conn && i < TP_WHY_KEEP; i++) {
		const struct tls_why *w = &t->why[i];

		if (w->conn == conn) {
			snprintf(buf, size, "%s", w->text);
			return 0;
		}
	}
	return -ENOENT;
}
