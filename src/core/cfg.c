/*
 * cfg: the configuration file, from its bytes to a struct cfg.
 *
 * Owns the key table (below: one row per key, naming its section, type,
 * default, bounds, whether SIGHUP can change it, and its help), the reading
 * of the file, and the text of every config error.  inih splits lines into
 * sections and KEY = VALUE pairs; everything else is driven by the table:
 * the defaults are the table's default texts run through the same parsers
 * as the file, so a default that does not parse fails the unit test, not a
 * user.
 *
 * inih neither tells the handler the line number nor says which lines it
 * found malformed (only the first), so the file is read here, one line per
 * reader call, counting lines.  The reader also classifies each line the way
 * inih will: a KEY = VALUE line for which the handler is not called by the
 * time the next line is read was malformed.  Leading blanks are stripped
 * before inih sees a line, so an indented key is a key, never inih's
 * continuation of the previous value.
 *
 * Every error is collected, as "PATH:LINE: message" naming what is
 * accepted, up to CFG_MAX_ERRS; one bad line never hides the next.
 *
 * Adding a section is adding its rows to keys[]: section names, the "expected
 * one of" lists and the man page test all come from the table.
 *
 * [account NAME] sections, as many as the user writes, are cfg_account.c's:
 * a header that starts with "account" and every key under it go there
 * (cfg_int.h is what the two files share).
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "core/cfg.h"
#include "core/cfg_int.h"

/* Errors listed in full; past it they are only counted: a binary file is not a config. */
#define CFG_MAX_ERRS 100

enum cfg_kind {
	CFG_UINT,
	CFG_STR,
	CFG_ENUM,
	CFG_LISTEN,
	CFG_CODECS,
	CFG_DNS,
};

struct cfg_key {
	struct cfg_key_info info;
	enum cfg_kind kind;
	size_t off;	 /* the field in struct cfg */
	unsigned lo, hi; /* CFG_UINT: value; CFG_STR: length; lists: entries */
	/* CFG_ENUM: text to value, 0 or -EINVAL. */
	int (*enum_parse)(const char *s, unsigned *v);
};

/* The enum fields are written as unsigned: an enum must be that wide. */
_Static_assert(sizeof(enum log_level) == sizeof(unsigned), "enum log_level is not int-sized");

/*
 * "none", a number, or a name known to getpwnam(3) / getgrnam(3).
 * -ENOENT: a name that is not there.
 */
static int id_parse(const char *s, unsigned *v, bool group)
{
	char *end;
	unsigned long n;

	if (strcmp(s, "none") == 0) {
		*v = CFG_ID_NONE;
		return 0;
	}
	errno = 0;
	n = strtoul(s, &end, 10);
	if ((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+') {
		if (s[0] == '-' || s[0] == '+' || *end || errno || n >= CFG_ID_NONE)
			return -EINVAL;
		*v = (unsigned)n;
		return 0;
	}
	if (group) {
		const struct group *g = getgrnam(s);

		if (!g)
			return -ENOENT;
		*v = (unsigned)g->gr_gid;
	} else {
		const struct passwd *pw = getpwnam(s);

		if (!pw)
			return -ENOENT;
		*v = (unsigned)pw->pw_uid;
	}
	return 0;
}

static int user_parse(const char *s, unsigned *v)
{
	return id_parse(s, v, false);
}

static int group_parse(const char *s, unsigned *v)
{
	return id_parse(s, v, true);
}

static int level_parse(const char *s, unsigned *v)
{
	enum log_level l;
	int err = log_level_parse(s, &l);

	if (err == 0)
		*v = (unsigned)l;
	return err;
}

/* "N/S" or "off" (0), packed: CFG_RL_PACK. */
static int rate_parse(const char *s, unsigned *v)
{
	unsigned burst, interval_s;
	int err = log_rl_parse(s, &burst, &interval_s);

	if (err == 0)
		*v = burst ? CFG_RL_PACK(burst, interval_s) : 0;
	return err;
}

/* The index of s (no case) in names[0..n), into *v. 0 or -EINVAL. */
static int name_index(const char *s, const char *const *names, unsigned n, unsigned *v)
{
	for (unsigned i = 0; i < n; i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*v = i;
			return 0;
		}
	}
	return -EINVAL;
}

static int answer_parse(const char *s, unsigned *v)
{
	static const char *const names[] = {
	    [CFG_ANSWER_AUTO] = "auto",
	    [CFG_ANSWER_MANUAL] = "manual",
	    [CFG_ANSWER_REJECT] = "reject",
	};

	return name_index(s, names, sizeof(names) / sizeof(names[0]), v);
}

int cfg_srtp_parse(const char *s, unsigned *v)
{
	static const char *const names[] = {"off", "optional", "mandatory"};

	return name_index(s, names, 3, v);
}

static int yesno_parse(const char *s, unsigned *v)
{
	static const char *const names[] = {"no", "yes"};

	return name_index(s, names, 2, v);
}

static int verify_parse(const char *s, unsigned *v)
{
	static const char *const names[] = {
	    [CFG_VERIFY_NO] = "no",
	    [CFG_VERIFY_OPTIONAL] = "optional",
	    [CFG_VERIFY_REQUIRE] = "require",
	};

	return name_index(s, names, sizeof(names) / sizeof(names[0]), v);
}

/* echo | silence | tone:HZ | file:PATH, the forms media_source_parse() takes (media/ is above us). */
static int source_check(const char *s)
{
	char *end;
	unsigned long hz;

	if (strcmp(s, "echo") == 0 || strcmp(s, "silence") == 0)
		return 0;
	if (strncmp(s, "file:", 5) == 0)
		return s[5] ? 0 : -EINVAL;
	if (strncmp(s, "tone:", 5) != 0 || s[5] < '0' || s[5] > '9')
		return -EINVAL;
	errno = 0;
	hz = strtoul(s + 5, &end, 10);
	return errno || *end || hz < 1 || hz > 3999 ? -EINVAL : 0;
}

static int accept_parse(const char *s, unsigned *v)
{
	static const char *const names[] = {
	    [CFG_ACCEPT_AUTO] = "auto",
	    [CFG_ACCEPT_YES] = "yes",
	    [CFG_ACCEPT_NO] = "no",
	};

	return name_index(s, names, sizeof(names) / sizeof(names[0]), v);
}

/*
 * [media] codecs names rows of the codec table, which is the media layer's
 * (media/codec.c): core/ sits below media/ and cannot include it, so the
 * table comes in through cfg_codec_fn from whoever loads the config, and
 * every message naming the codecs is written from it.  telephone-event
 * (RFC 4733 DTMF) is not a codec of its own and only sets cfg->dtmf.  The
 * key's range text below is documentation (man page, shipped config);
 * check_cfg holds it to the table.
 */
#define CFG_STRINGIFY(x) #x
#define CFG_XSTRINGIFY(x) CFG_STRINGIFY(x)

/* A row per kind of key; a range made from bounds says what the parser enforces. */
/* clang-format off */
#define KEY(sec, name_, type_, kind_, field_, def_, range_, lo_, hi_, parse_, reload_, help_)     \
	{ .info = { .section = sec, .name = name_, .type = type_, .def = def_, .range = range_, \
		    .reloadable = reload_, .help = help_ },                                       \
	  .kind = kind_, .off = offsetof(struct cfg, field_), .lo = lo_, .hi = hi_,              \
	  .enum_parse = parse_ }
#define UINT_KEY(sec, field, def, lo, hi, reload, help)                                           \
	KEY(sec, #field, "integer", CFG_UINT, field, #def, #lo ".." #hi, lo, hi, NULL, reload, help)
#define STR_KEY(sec, field, def, lo, hi, reload, help)                                            \
	KEY(sec, #field, "string", CFG_STR, field, def,                                           \
	    #lo ".." #hi " printable ASCII characters", lo, hi, NULL, reload, help)
/* A key whose name is not its field's ([tls] certificate is tls_certificate). */
#define NSTR_KEY(sec, name, type, field, def, lo, hi, reload, help)                               \
	KEY(sec, name, type, CFG_STR, field, def,                                                 \
	    #lo ".." #hi " printable ASCII characters", lo, hi, NULL, reload, help)
#define NUINT_KEY(sec, name, field, def, lo, hi, reload, help)                                    \
	KEY(sec, name, "integer", CFG_UINT, field, #def, #lo ".." #hi, lo, hi, NULL, reload, help)
#define ENUM_KEY(sec, name, field, def, range, parse, reload, help)                               \
	KEY(sec, name, "enum", CFG_ENUM, field, def, range, 0, 0, parse, reload, help)
#define LISTEN_KEY(sec, field, def, max, reload, help)                                            \
	KEY(sec, #field, "listen list", CFG_LISTEN, field, def,                                   \
	    "1.." CFG_XSTRINGIFY(max) " entries of udp|tcp|tls:HOST:PORT", 1, max, NULL, reload, help)
#define CODECS_KEY(sec, field, def, reload, help)                                                 \
	KEY(sec, #field, "codec list", CFG_CODECS, field, def,                                    \
	    "1..4 entries of PCMU, PCMA, G722, telephone-event", 1, CFG_MAX_CODECS, NULL, reload, help)
#define DNS_KEY(sec, field, def, max, reload, help)                                               \
	KEY(sec, #field, "address list", CFG_DNS, field, def,                                     \
	    "0.." CFG_XSTRINGIFY(max) " entries of HOST or HOST:PORT", 0, max, NULL, reload, help)
/* clang-format on */

/*
 * The keys.  The ranges come from RFC 3261 where it has one (T1..T4, §17.1.1)
 * and otherwise from what a single loop can hold; the defaults are the RFC's
 * values and a loopback listener, so a fresh install answers nobody else.
 */
static const struct cfg_key keys[] = {
    LISTEN_KEY(
	"sip", listen, "udp:127.0.0.1:5060, tcp:127.0.0.1:5060", CFG_MAX_LISTEN, false,
	"Where SIP is received: comma-separated PROTO:HOST:PORT, PROTO udp, tcp or tls, HOST "
	"an IPv4 or [IPv6] literal; tls needs [tls] certificate. Changing it needs a "
	"restart."),
    STR_KEY("sip", user_agent, "sipuad", 1, 127, true,
	    "Sent in the User-Agent and Server headers of every message."),
    UINT_KEY("sip", t1_ms, 500, 50, 10000, true,
	     "RFC 3261 T1, the round-trip estimate in ms: the first retransmission interval; "
	     "timers B, F, H and J are 64*T1."),
    UINT_KEY("sip", t2_ms, 4000, 100, 60000, true,
	     "RFC 3261 T2 in ms, at least t1_ms: the longest retransmission interval of "
	     "non-INVITE requests and INVITE final responses."),
    UINT_KEY("sip", t4_ms, 5000, 100, 60000, true,
	     "RFC 3261 T4 in ms, how long a message may live in the network: timers I and K "
	     "on UDP."),
    UINT_KEY("sip", max_transactions, 1000000, 16, 10000000, true,
	     "Transactions open at once, the ones waiting 64*T1 after their final response "
	     "included; past it new requests get 503 with Retry-After."),
    UINT_KEY("sip", max_calls, 10000, 1, 1000000, true,
	     "Calls at once, both directions; past it an INVITE gets 503 with Retry-After and "
	     "the call command busy."),
    UINT_KEY("sip", max_message_size, 65535, 1024, 1048576, true,
	     "Largest SIP message taken, in bytes; a larger request gets 513, a larger "
	     "TCP stream is closed."),
    UINT_KEY("sip", max_tcp_connections, 1024, 1, 100000, true,
	     "TCP connections open at once, both directions; past it new ones are refused."),
    UINT_KEY("sip", tcp_idle_timeout_s, 300, 1, 86400, true,
	     "Seconds a TCP connection may stay silent with no transaction on it before it "
	     "is closed."),
    UINT_KEY("sip", retry_after_s, 5, 1, 3600, true,
	     "Seconds in the Retry-After header of the 503 sent when a table is full."),
    UINT_KEY("sip", shutdown_timeout_s, 10, 1, 600, true,
	     "On SIGTERM, seconds to end calls and registrations cleanly before exiting anyway."),
    ENUM_KEY("sip", "accept_unknown_users", accept_unknown_users_mode, "auto", "auto | yes | no",
	     accept_parse, true,
	     "Whether a request for a user no [account] names is taken by the built-in account "
	     "or refused; auto: yes while no [account NAME] section is configured, no otherwise."),
    DNS_KEY("sip", dns_servers, "", CFG_MAX_DNS_SERVERS, true,
	    "DNS servers for host names in SIP URIs (RFC 3263): comma-separated HOST or "
	    "HOST:PORT, HOST an IPv4 or [IPv6] literal, port 53 if not given; empty: those of "
	    "/etc/resolv.conf."),
    UINT_KEY("sip", register_retry_min_s, 30, 1, 86400, true,
	     "Seconds before a failed registration is tried again; each further failure doubles "
	     "the wait up to register_retry_max_s (RFC 5626 §4.5)."),
    UINT_KEY("sip", register_retry_max_s, 1800, 1, 86400, true,
	     "The longest wait, in seconds, between tries of a failed registration; at least "
	     "register_retry_min_s."),
    /*
     * [tls]: every key reloadable, since the transport swaps its settings
     * on reload (tp_tls_set) and only connections made after it see them.
     * The files are not opened here (core has no OpenSSL): the daemon has
     * the transport load them at start, on reload and for --check-config.
     */
    NSTR_KEY("tls", "certificate", "path", tls_certificate, "", 0, 4095, true,
	     "Our certificate, PEM, leaf first and then its chain: presented by tls: listeners "
	     "and, as a client certificate, on outgoing TLS connections. Needs private_key."),
    NSTR_KEY("tls", "private_key", "path", tls_private_key, "", 0, 4095, true,
	     "The certificate's private key, PEM, in a file that neither group nor others may "
	     "read (mode 0600 or 0400). Needs certificate."),
    NSTR_KEY("tls", "ca_file", "path", tls_ca_file, "", 0, 4095, true,
	     "A PEM bundle of the CAs trusted to sign peers' certificates; with ca_path empty "
	     "too: the system's store."),
    NSTR_KEY("tls", "ca_path", "path", tls_ca_path, "", 0, 4095, true,
	     "A directory of trusted CA certificates named by hash (openssl rehash); with "
	     "ca_file empty too: the system's store."),
    NSTR_KEY("tls", "ciphers", "string", tls_ciphers, "", 0, 1023, true,
	     "The TLS 1.2 cipher list, in OpenSSL's syntax; empty: OpenSSL's defaults. TLS 1.3 "
	     "suites are not changed by it."),
    ENUM_KEY("tls", "verify_server", tls_verify_server, "yes", "yes | no", yesno_parse, true,
	     "Check the certificate of every server we connect to: its chain up to a trusted "
	     "CA, its dates, and that it names the host we called (RFC 5922)."),
    ENUM_KEY("tls", "verify_client", tls_verify_client, "no", "no | optional | require",
	     verify_parse, true,
	     "Whether tls: listeners ask clients for a certificate: no; optional (one sent "
	     "must verify); require (a client without a good one is refused)."),
    ENUM_KEY("tls", "session_cache", tls_session_cache, "yes", "yes | no", yesno_parse, true,
	     "Resume TLS sessions, as server and as client, so that a new connection to a "
	     "known peer skips the full handshake."),
    NUINT_KEY("tls", "handshake_timeout_s", tls_handshake_timeout_s, 10, 1, 300, true,
	      "Seconds a TLS handshake may take; a connection that has not finished it by then "
	      "is closed."),
    ENUM_KEY("call", "answer", answer, "auto", "auto | manual | reject", answer_parse, true,
	     "What an incoming call gets: 200 after answer_delay_ms, a wait for the control "
	     "socket, or reject_code; new calls only."),
    UINT_KEY("call", answer_delay_ms, 0, 0, 600000, true,
	     "With answer = auto, milliseconds of ringing before the 200."),
    UINT_KEY("call", reject_code, 486, 400, 699, true,
	     "The final response sent with answer = reject, and by reject without a code."),
    UINT_KEY("call", ring_timeout_s, 120, 1, 86400, true,
	     "Seconds an unanswered call may ring: then an incoming one gets 480 and an "
	     "outgoing one is cancelled."),
    UINT_KEY("media", rtp_port_min, 20000, 1024, 65534, false,
	     "Lowest local RTP/RTCP port; changing it needs a restart."),
    UINT_KEY("media", rtp_port_max, 29999, 1025, 65535, false,
	     "Highest local RTP/RTCP port, at least rtp_port_min; the range must hold an even "
	     "port P and P + 1. Changing it needs a restart."),
    CODECS_KEY("media", codecs, "PCMU, PCMA, telephone-event", true,
	       "Codecs offered and accepted, in order of preference: PCMU, PCMA, G722, and "
	       "telephone-event for DTMF; at least one audio codec. New calls only."),
    ENUM_KEY("media", "srtp", srtp, "off", "off | optional | mandatory", cfg_srtp_parse, true,
	     "SRTP with SDES keys (RFC 4568): off; optional: offer RTP/AVP with a=crypto and use "
	     "SRTP when the peer does; mandatory: offer RTP/SAVP and refuse plain RTP with 488. "
	     "The keys travel in the SDP: only TLS signalling keeps them secret. New calls only; "
	     "an account's srtp overrides it."),
    ENUM_KEY("media", "srtp_insecure_signalling", srtp_insecure_signalling, "no", "yes | no",
	     yesno_parse, true,
	     "With srtp = mandatory, whether SDES keys may be offered and accepted over a hop "
	     "that is not TLS (UDP, TCP), where anyone who sees the SIP sees them. New calls "
	     "only."),
    STR_KEY("media", source, "echo", 1, 1023, true,
	    "What a call sends when no play runs: echo (what arrives goes back), silence, "
	    "tone:HZ (1..3999) or file:PATH (a WAV file, any rate; see source_loop). New calls "
	    "only."),
    ENUM_KEY("media", "source_loop", source_loop, "yes", "yes | no", yesno_parse, true,
	     "With source = file:PATH, whether the file starts again at its end; no: the call "
	     "sends silence after it, and play.done says end. New calls only."),
    STR_KEY("media", record_dir, "", 0, 1023, true,
	    "A directory where every call is recorded as HANDLE-CALLID.wav (stereo, left: "
	    "received, right: sent); empty: calls are recorded only by the record command."),
    UINT_KEY("media", rtp_timeout_s, 60, 0, 86400, true,
	     "Seconds without RTP after which an active call (not on hold) is ended with BYE "
	     "and a Reason header; 0: never."),
    ENUM_KEY("media", "symmetric_rtp", symmetric_rtp, "yes", "yes | no", yesno_parse, true,
	     "Send RTP to where the peer's RTP comes from (RFC 4961), not only to its SDP "
	     "address: needed behind NAT. With no, packets from other sources are dropped."),
    ENUM_KEY("media", "rtcp_mux", rtcp_mux, "yes", "yes | no", yesno_parse, true,
	     "Offer and accept RTP and RTCP on one port (RFC 5761). New calls only."),
    STR_KEY("control", socket, "/run/sipuad/control.sock", 1, 107, false,
	    "Path of the control socket that sipuactl and scripts use (mode 0660)."),
    KEY("control", "owner", "user", CFG_ENUM, owner, "none", "none, a user name or a uid", 0, 0,
	user_parse, false, "Owner of the control socket; none keeps the daemon's user."),
    KEY("control", "group", "group", CFG_ENUM, group, "none", "none, a group name or a gid", 0, 0,
	group_parse, false,
	"Group of the control socket; its members may use it (with root and the daemon's "
	"user); none: the daemon's group."),
    UINT_KEY("control", max_clients, 64, 1, 1000, true,
	     "Control clients connected at once; past it a new one is told busy and closed."),
    UINT_KEY("control", max_line_bytes, 65536, 1024, 16777216, true,
	     "Longest request line a control client may send; a longer one ends its connection."),
    UINT_KEY("control", event_queue, 1000, 16, 1000000, true,
	     "Events queued for a subscriber that does not read; past it they are dropped "
	     "and counted in a lost event."),
    ENUM_KEY("log", "level", log_level, "info", "error | warn | info | debug", level_parse, true,
	     "The least severe level logged; debug also traces every SIP message."),
    KEY("log", "rate_limit", "rate", CFG_ENUM, log_rate_limit, "10/10",
	"off, or N/S: N lines per S seconds (1..65535, 1..3600)", 0, 0, rate_parse, true,
	"Lines a peer causes (refusals, malformed messages, timeouts, failed handshakes), per "
	"kind: past N in S seconds they are counted, and one line says how many were "
	"suppressed. stats has the exact counts."),
    KEY("log", "rate_limit_calls", "rate", CFG_ENUM, log_rate_limit_calls, "100/1",
	"off, or N/S: N lines per S seconds (1..65535, 1..3600)", 0, 0, rate_parse, true,
	"The same for the lines of normal calls (INVITE from X, answered, ended), per kind."),
};
#define CFG_NKEYS (sizeof(keys) / sizeof(keys[0]))

/*
 * Cross-checks, after the whole file: key lo must not exceed key hi.  T2 caps
 * intervals that start at T1 and double (RFC 3261 §17.1.2.2), so T2 < T1
 * would be a cap below the start; the registration retry wait doubles from
 * its minimum up to its maximum the same way.  An RTP port range upside down
 * holds no port at all.
 */
static const struct cfg_order {
	const char *section, *lo, *hi;
} orders[] = {
    {"sip", "t1_ms", "t2_ms"},
    {"sip", "register_retry_min_s", "register_retry_max_s"},
    {"media", "rtp_port_min", "rtp_port_max"},
};

/* One parse of one file: the reader's and the handler's shared state. */
struct cfg_parse {
	const char *path;
	cfg_codec_fn *codecs;
	FILE *in;
	int read_err;	   /* errno of a failed read, 0 if none */
	unsigned lineno;   /* the line inih is working on */
	unsigned key_line; /* a KEY = VALUE line inih has not handed over yet */
	/* What the keys after the last header are: SECT_ACCOUNT ones go to accts. */
	enum { SECT_NONE, SECT_OK, SECT_ACCOUNT, SECT_BAD } sect;
	struct cfg *cfg;
	struct cfg_account_parse *accts;
	unsigned set_line[CFG_NKEYS]; /* where each key was set, 0: not set */
	bool bad[CFG_NKEYS];	      /* the key's value was refused */
	struct cfg_errs errs;
	bool oom;
};

static void *field(struct cfg *c, const struct cfg_key *k)
{
	return (char *)c + k->off;
}

static const void *cfield(const struct cfg *c, const struct cfg_key *k)
{
	return (const char *)c + k->off;
}

/* The value as text fit for a message: non-printables as \xHH, long values cut with "...". */
const char *cfg_quote(const char *s, char *buf, size_t size)
{
	size_t n = 0, i;

	for (i = 0; s[i] && i < CFG_QUOTE_MAX && n + 5 < size; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch < 0x7f)
			buf[n++] = (char)ch;
		else
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", ch);
	}
	if (s[i] && n + 4 <= size) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * The codec table's names into buf: "PCMU, PCMA, telephone-event", or with
 * last as the final separator (" or "), or only the audio ones.  The count.
 */
static size_t codec_names(cfg_codec_fn *codecs, bool audio_only, const char *last, char *buf,
			  size_t size)
{
	const char *name, *names[CFG_MAX_CODECS * 2];
	size_t n = 0, len = 0;
	bool audio;

	for (size_t i = 0; n < sizeof(names) / sizeof(names[0]) && (name = codecs(i, &audio)); i++)
		if (audio || !audio_only)
			names[n++] = name;
	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					i == 0	     ? ""
					: i + 1 == n ? last
						     : ", ",
					names[i]);
	return n;
}

/* What a codec list takes: "1..3 entries of PCMU, PCMA, telephone-event". */
static const char *codec_range(cfg_codec_fn *codecs, char *buf, size_t size)
{
	char names[128];
	size_t n = codec_names(codecs, false, ", ", names, sizeof(names));

	if (snprintf(buf, size, "1..%zu entries of %s", n, names) < 0)
		buf[0] = '\0';
	return buf;
}

/* What the key takes, for messages: "an integer (50..10000)". */
static const char *expect(const struct cfg_key *k, cfg_codec_fn *codecs, char *buf, size_t size)
{
	switch (k->kind) {
	case CFG_UINT:
		snprintf(buf, size, "an integer (%s)", k->info.range);
		break;
	case CFG_ENUM:
		snprintf(buf, size, "one of %s", k->info.range);
		break;
	case CFG_STR:
	case CFG_LISTEN:
	case CFG_DNS:
		snprintf(buf, size, "%s", k->info.range);
		break;
	case CFG_CODECS:
		codec_range(codecs, buf, size);
		break;
	}
	return buf;
}

int cfg_parse_uint(const char *name, const char *val, unsigned lo, unsigned hi, const char *range,
		   unsigned *out, char *msg, size_t size)
{
	unsigned long long v = 0;
	char q[CFG_QUOTE_SZ];
	size_t i;

	for (i = 0; val[i] >= '0' && val[i] <= '9'; i++) {
		if (v <= UINT32_MAX)
			v = v * 10 + (unsigned)(val[i] - '0');
	}
	if (i == 0 || val[i]) {
		snprintf(msg, size, "%s: '%s' is not an integer (%s)", name,
			 cfg_quote(val, q, sizeof(q)), range);
		return -EINVAL;
	}
	if (v < lo || v > hi) {
		snprintf(msg, size, "%s: %s is out of range %s", name, cfg_quote(val, q, sizeof(q)),
			 range);
		return -ERANGE;
	}
	*out = (unsigned)v;
	return 0;
}

static int parse_uint(const struct cfg_key *k, const char *val, struct cfg *c, char *msg,
		      size_t size)
{
	return cfg_parse_uint(k->info.name, val, k->lo, k->hi, k->info.range, field(c, k), msg,
			      size);
}

static int parse_str(const struct cfg_key *k, const char *val, struct cfg *c, char *msg,
		     size_t size)
{
	size_t len = strlen(val);
	char **f = field(c, k);
	char *dup;

	if (len < k->lo || len > k->hi) {
		snprintf(msg, size, "%s: %zu characters: expected %s", k->info.name, len,
			 k->info.range);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)val[i];

		if (ch < 0x20 || ch >= 0x7f) {
			snprintf(msg, size,
				 "%s: character %zu (\\x%02x) is not printable: expected %s",
				 k->info.name, i + 1, ch, k->info.range);
			return -EINVAL;
		}
	}
	dup = strdup(val);
	if (!dup)
		return -ENOMEM;
	free(*f);
	*f = dup;
	return 0;
}

static int parse_enum(const struct cfg_key *k, const char *val, struct cfg *c, char *msg,
		      size_t size)
{
	char q[CFG_QUOTE_SZ];
	unsigned v;
	int err = k->enum_parse(val, &v);

	if (err == -ENOENT) {
		snprintf(msg, size, "%s: no %s named '%s': expected %s", k->info.name, k->info.type,
			 cfg_quote(val, q, sizeof(q)), k->info.range);
		return -EINVAL;
	}
	if (err < 0) {
		snprintf(msg, size, "%s: '%s' is not one of %s", k->info.name,
			 cfg_quote(val, q, sizeof(q)), k->info.range);
		return -EINVAL;
	}
	*(unsigned *)field(c, k) = v;
	return 0;
}

/* One entry of a listen list, blanks around it already gone, into *l. */
static int parse_listen_entry(const struct cfg_key *k, const char *text, struct cfg_listen *l,
			      char *msg, size_t size)
{
	char q[CFG_QUOTE_SZ], addr[NET_ADDR_STRLEN];

	if (net_listen_parse(text, &l->proto, &l->addr) < 0) {
		snprintf(
		    msg, size,
		    "%s: bad entry '%s': expected PROTO:HOST:PORT, PROTO udp, tcp or tls, HOST "
		    "an IPv4 or [IPv6] literal, PORT 0..65535",
		    k->info.name, cfg_quote(text, q, sizeof(q)));
		return -EINVAL;
	}
	snprintf(l->text, sizeof(l->text), "%s:%s", net_proto_name(l->proto),
		 net_addr_fmt(&l->addr, addr, sizeof(addr)));
	return 0;
}

static bool listen_eq(const struct cfg_listen *a, const struct cfg_listen *b)
{
	return a->proto == b->proto && net_addr_eq(&a->addr, &b->addr);
}

/* TCP and TLS listeners both bind a TCP socket: on one address and port, the second fails. */
static bool listen_clash(const struct cfg_listen *a, const struct cfg_listen *b)
{
	return a->proto != b->proto && a->proto != NET_UDP && b->proto != NET_UDP &&
	       net_addr_port(&a->addr) != 0 && net_addr_eq(&a->addr, &b->addr);
}

/* Copy the entry at *s up to the next ',' into buf, trimmed; move *s past it. true if a ',' was. */
static bool next_entry(const char **s, char *buf, size_t size)
{
	const char *p = *s, *end;
	bool comma;
	size_t len;

	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strcspn(p, ",");
	comma = *end == ',';
	*s = comma ? end + 1 : end;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	len = (size_t)(end - p);
	if (len >= size)
		len = size - 1; /* longer than any entry: refused by net_listen_parse */
	memcpy(buf, p, len);
	buf[len] = '\0';
	return comma;
}

static int parse_listen(const struct cfg_key *k, const char *val, struct cfg *c, char *msg,
			size_t size)
{
	struct cfg_listen l[CFG_MAX_LISTEN];
	char entry[2 * NET_ADDR_STRLEN];
	const char *s = val;
	unsigned n = 0;
	bool more;

	do {
		more = next_entry(&s, entry, sizeof(entry));
		if (!entry[0]) {
			snprintf(msg, size, "%s: empty entry: expected %s", k->info.name,
				 k->info.range);
			return -EINVAL;
		}
		if (n == k->hi) {
			snprintf(msg, size, "%s: more than %u entries", k->info.name, k->hi);
			return -E2BIG;
		}
		if (parse_listen_entry(k, entry, &l[n], msg, size) < 0)
			return -EINVAL;
		for (unsigned i = 0; i < n; i++) {
			if (listen_eq(&l[i], &l[n])) {
				snprintf(msg, size, "%s: duplicate entry '%s'", k->info.name,
					 l[n].text);
				return -EINVAL;
			}
			if (listen_clash(&l[i], &l[n])) {
				snprintf(
				    msg, size,
				    "%s: '%s' and '%s' are one TCP port: expected another port "
				    "for tls (5061 by convention)",
				    k->info.name, l[i].text, l[n].text);
				return -EINVAL;
			}
		}
		n++;
	} while (more);
	memcpy(c->listen, l, n * sizeof(l[0]));
	c->n_listen = n;
	return 0;
}

/*
 * One dns_servers entry: HOST (port 53) or HOST:PORT, HOST an IPv4 or
 * IPv6 literal; an IPv6 one with a port in brackets, since "::1:53" is an
 * address of its own.  Port 0 is no server's.  0 or -EINVAL.
 */
static int dns_entry_parse(const char *entry, struct net_addr *a)
{
	char with_proto[4 + 2 * NET_ADDR_STRLEN];
	enum net_proto proto;

	if (net_addr_from_host(a, entry, 53) == 0)
		return 0;
	snprintf(with_proto, sizeof(with_proto), "udp:%s", entry);
	if (net_listen_parse(with_proto, &proto, a) < 0 || net_addr_port(a) == 0)
		return -EINVAL;
	return 0;
}

/*
 * [sip] dns_servers: written back as "127.0.0.1:53,[::1]:5353", every
 * entry with its port, the form c-ares takes (ares_set_servers_ports_csv).
 * Empty: none named, the resolver's own (/etc/resolv.conf).
 */
static int parse_dns(const struct cfg_key *k, const char *val, struct cfg *c, char *msg,
		     size_t size)
{
	struct net_addr a[CFG_MAX_DNS_SERVERS];
	char entry[2 * NET_ADDR_STRLEN], q[CFG_QUOTE_SZ],
	    text[CFG_MAX_DNS_SERVERS * NET_ADDR_STRLEN];
	char **f = field(c, k), *dup;
	const char *s = val;
	size_t len = 0;
	unsigned n = 0;
	bool more = val[0] != '\0';

	text[0] = '\0';
	while (more) {
		more = next_entry(&s, entry, sizeof(entry));
		if (!entry[0]) {
			snprintf(msg, size, "%s: empty entry: expected %s", k->info.name,
				 k->info.range);
			return -EINVAL;
		}
		if (n == k->hi) {
			snprintf(msg, size, "%s: more than %u entries", k->info.name, k->hi);
			return -E2BIG;
		}
		if (dns_entry_parse(entry, &a[n]) < 0) {
			snprintf(msg, size,
				 "%s: bad entry '%s': expected HOST or HOST:PORT, HOST an IPv4 or "
				 "IPv6 literal, [IPv6]:PORT with a port, PORT 1..65535",
				 k->info.name, cfg_quote(entry, q, sizeof(q)));
			return -EINVAL;
		}
		net_addr_fmt(&a[n], entry, sizeof(entry));
		for (unsigned i = 0; i < n; i++) {
			if (net_addr_eq(&a[i], &a[n])) {
				snprintf(msg, size, "%s: duplicate entry '%s'", k->info.name,
					 entry);
				return -EINVAL;
			}
		}
		len +=
		    (size_t)snprintf(text + len, sizeof(text) - len, "%s%s", n ? "," : "", entry);
		n++;
	}
	dup = strdup(text);
	if (!dup)
		return -ENOMEM;
	free(*f);
	*f = dup;
	return 0;
}

/*
 * A codec list: names of the codec table, any case, in order of preference.
 * Written back canonical, so that the rest of the daemon compares with strcmp.
 */
static int parse_codecs(const struct cfg_key *k, const char *val, cfg_codec_fn *codecs,
			struct cfg *c, char *msg, size_t size)
{
	char out[CFG_MAX_CODECS][sizeof(c->codecs[0])];
	char entry[CFG_QUOTE_MAX + 8], q[CFG_QUOTE_MAX * 4 + 8], names[128];
	const char *seen[CFG_MAX_CODECS * 2];
	const char *s = val, *name = NULL;
	unsigned n = 0, n_seen = 0;
	bool more, dtmf = false, audio = false;

	do {
		size_t j = 0;

		more = next_entry(&s, entry, sizeof(entry));
		if (!entry[0]) {
			snprintf(msg, size, "%s: empty entry: expected %s", k->info.name,
				 codec_range(codecs, names, sizeof(names)));
			return -EINVAL;
		}
		while ((name = codecs(j, &audio)) && strcasecmp(entry, name) != 0)
			j++;
		if (!name) {
			codec_names(codecs, false, " or ", names, sizeof(names));
			snprintf(msg, size, "%s: unknown codec '%s': expected %s", k->info.name,
				 cfg_quote(entry, q, sizeof(q)), names);
			return -EINVAL;
		}
		for (unsigned i = 0; i < n_seen; i++) {
			if (seen[i] == name) {
				snprintf(msg, size, "%s: duplicate entry '%s'", k->info.name, name);
				return -EINVAL;
			}
		}
		/* Every name once: only a table larger than cfg.codecs gets here. */
		if (n_seen == sizeof(seen) / sizeof(seen[0]) || (audio && n == k->hi)) {
			snprintf(msg, size, "%s: more than %u entries", k->info.name, k->hi);
			return -E2BIG;
		}
		seen[n_seen++] = name;
		if (audio)
			snprintf(out[n++], sizeof(out[0]), "%s", name);
		else
			dtmf = true;
	} while (more);
	if (n == 0) {
		codec_names(codecs, true, ", ", names, sizeof(names));
		snprintf(msg, size,
			 "%s: no audio codec: expected at least one of %s besides "
			 "telephone-event",
			 k->info.name, names);
		return -EINVAL;
	}
	memcpy(c->codecs, out, n * sizeof(out[0]));
	c->n_codecs = n;
	c->dtmf = dtmf;
	return 0;
}

static bool codecs_same(const struct cfg *a, const struct cfg *b)
{
	if (a->n_codecs != b->n_codecs || a->dtmf != b->dtmf)
		return false;
	for (unsigned i = 0; i < a->n_codecs; i++) {
		if (strcmp(a->codecs[i], b->codecs[i]) != 0)
			return false; /* the order is the preference: it counts */
	}
	return true;
}

/* Parse val into the key's field of c; on error msg says why and the field is untouched. */
static int parse_value(const struct cfg_key *k, const char *val, cfg_codec_fn *codecs,
		       struct cfg *c, char *msg, size_t size)
{
	char exp[128];

	/* An empty address list: the system's; an empty record_dir: no recording. */
	if (!val[0] && k->kind != CFG_DNS && !(k->kind == CFG_STR && k->lo == 0)) {
		snprintf(msg, size, "%s: empty value: expected %s", k->info.name,
			 expect(k, codecs, exp, sizeof(exp)));
		return -EINVAL;
	}
	switch (k->kind) {
	case CFG_UINT:
		return parse_uint(k, val, c, msg, size);
	case CFG_STR:
		if (strcmp(k->info.name, "source") == 0 && source_check(val) < 0) {
			char q[CFG_QUOTE_SZ];

			snprintf(msg, size,
				 "source: '%s' is not one of echo | silence | tone:HZ (1..3999) | "
				 "file:PATH",
				 cfg_quote(val, q, sizeof(q)));
			return -EINVAL;
		}
		return parse_str(k, val, c, msg, size);
	case CFG_ENUM:
		return parse_enum(k, val, c, msg, size);
	case CFG_LISTEN:
		return parse_listen(k, val, c, msg, size);
	case CFG_CODECS:
		return parse_codecs(k, val, codecs, c, msg, size);
	case CFG_DNS:
		return parse_dns(k, val, c, msg, size);
	}
	return -EINVAL;
}

static bool listen_same(const struct cfg *a, const struct cfg *b)
{
	if (a->n_listen != b->n_listen)
		return false;
	for (unsigned i = 0; i < a->n_listen; i++) {
		unsigned j = 0;

		while (j < b->n_listen && !listen_eq(&a->listen[i], &b->listen[j]))
			j++;
		if (j == b->n_listen)
			return false;
	}
	return true;
}

/* Whether the key has the same value in a and b (a listen list in any order, codecs in order). */
static bool value_same(const struct cfg_key *k, const struct cfg *a, const struct cfg *b)
{
	switch (k->kind) {
	case CFG_UINT:
	case CFG_ENUM:
		return *(const unsigned *)cfield(a, k) == *(const unsigned *)cfield(b, k);
	case CFG_STR:
	case CFG_DNS:
		return strcmp(*(char *const *)cfield(a, k), *(char *const *)cfield(b, k)) == 0;
	case CFG_LISTEN:
		return listen_same(a, b);
	case CFG_CODECS:
		return codecs_same(a, b);
	}
	return false;
}

static const struct cfg_key *key_find(const char *section, const char *name, size_t *idx)
{
	for (size_t i = 0; i < CFG_NKEYS; i++) {
		if (strcmp(keys[i].info.section, section) == 0 &&
		    strcmp(keys[i].info.name, name) == 0) {
			if (idx)
				*idx = i;
			return &keys[i];
		}
	}
	return NULL;
}

static bool section_known(const char *section)
{
	for (size_t i = 0; i < CFG_NKEYS; i++) {
		if (strcmp(keys[i].info.section, section) == 0)
			return true;
	}
	return false;
}

/* "[sip], [log], [account NAME]": every section once, in table order. */
static const char *list_sections(char *buf, size_t size)
{
	size_t n = 0, count = cfg_key_count();

	buf[0] = '\0';
	for (size_t i = 0; i < count && n < size; i++) {
		const char *section = cfg_key_at(i)->section;
		size_t j = 0;

		while (j < i && strcmp(cfg_key_at(j)->section, section) != 0)
			j++;
		if (j == i)
			n += (size_t)snprintf(buf + n, size - n, "%s[%s]", n ? ", " : "", section);
	}
	return buf;
}

/* "listen, user_agent, ...": the keys of one section, in table order. */
static const char *list_keys(const char *section, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < CFG_NKEYS && n < size; i++) {
		if (strcmp(keys[i].info.section, section) == 0)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "",
					      keys[i].info.name);
	}
	return buf;
}

void cfg_vreport(struct cfg_errs *e, unsigned line, const char *fmt, va_list ap)
{
	if (++e->n > CFG_MAX_ERRS)
		return;
	fprintf(e->out, "%s:%u: ", e->path, line);
	vfprintf(e->out, fmt, ap);
	fputc('\n', e->out);
}

void cfg_report(struct cfg_errs *e, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vreport(e, line, fmt, ap);
	va_end(ap);
}

static __attribute__((format(printf, 3, 4))) void report(struct cfg_parse *p, unsigned line,
							 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vreport(&p->errs, line, fmt, ap);
	va_end(ap);
}

static void report_malformed(struct cfg_parse *p, unsigned line)
{
	report(p, line, "malformed line: expected KEY = VALUE, [SECTION] or a ; comment");
}

/* A KEY = VALUE line that inih did not hand to the handler was malformed. */
static void check_pending(struct cfg_parse *p)
{
	if (p->key_line)
		report_malformed(p, p->key_line);
	p->key_line = 0;
}

/* Like inih: the ']' closing a header, unless a ';' after a blank starts a comment first. */
static const char *find_close(const char *s)
{
	bool was_space = false;

	for (; *s && *s != ']'; s++) {
		if (was_space && *s == ';')
			return NULL;
		was_space = isspace((unsigned char)*s);
	}
	return *s ? s : NULL;
}

/* An [account ...] header: SECT_ACCOUNT if cfg_account took it. */
static void account_line(struct cfg_parse *p, const char *name)
{
	int err;

	if (!p->accts && cfg_account_parse_new(&p->accts, p->cfg, &p->errs, p->path) < 0) {
		p->oom = true;
		return;
	}
	err = cfg_account_header(p->accts, name, p->lineno);
	if (err == -ENOMEM)
		p->oom = true;
	else if (err == 0)
		p->sect = SECT_ACCOUNT;
}

/* The section that ends at a header or at the end of the file. */
static void section_end(struct cfg_parse *p)
{
	if (p->sect == SECT_ACCOUNT && cfg_account_end_section(p->accts) < 0)
		p->oom = true;
}

/* A "[NAME]" line: note whether the keys after it are to be read. */
static void section_line(struct cfg_parse *p, const char *s)
{
	const char *end = find_close(s + 1), *rest;
	char name[CFG_QUOTE_MAX + 2], q[sizeof(name) * 4], list[256];
	size_t len;

	section_end(p);
	p->sect = SECT_BAD;
	if (!end) {
		report(p, p->lineno, "malformed section header: expected [NAME]");
		return;
	}
	len = (size_t)(end - s - 1);
	if (len >= sizeof(name))
		len = sizeof(name) - 1; /* longer than any section, still unknown */
	memcpy(name, s + 1, len);
	name[len] = '\0';
	if (cfg_account_is_section(name)) {
		account_line(p, name);
		if (p->sect == SECT_BAD)
			return;
	} else if (!section_known(name)) {
		report(p, p->lineno, "unknown section [%s]: expected one of %s",
		       cfg_quote(name, q, sizeof(q)), list_sections(list, sizeof(list)));
		return;
	} else {
		p->sect = SECT_OK;
	}
	for (rest = end + 1; isspace((unsigned char)*rest); rest++)
		;
	if (*rest && *rest != ';')
		report(p, p->lineno, "text after [%s]: expected the end of the line or a ; comment",
		       name);
}

/* inih's view of a line, before it has it: blank or comment, section, or KEY = VALUE. */
static void classify(struct cfg_parse *p, const char *s)
{
	if (!s[0] || s[0] == ';' || s[0] == '#')
		return;
	if (s[0] == '[')
		section_line(p, s);
	else
		p->key_line = p->lineno;
}

/*
 * One raw line into buf (size bytes, the rest of a long line dropped), its
 * full length into *len.  false at the end of the file or on a read error.
 */
static bool read_raw(struct cfg_parse *p, char *buf, size_t size, size_t *len, bool *nul)
{
	size_t n = 0;
	int ch;

	*nul = false;
	errno = 0;
	while ((ch = getc(p->in)) != EOF && ch != '\n') {
		if (ch == '\0')
			*nul = true;
		if (n + 1 < size)
			buf[n] = (char)ch;
		n++;
	}
	if (ch == EOF && ferror(p->in)) {
		p->read_err = errno ? errno : EIO;
		return false;
	}
	if (ch == EOF && n == 0)
		return false;
	buf[n < size ? n : size - 1] = '\0';
	*len = n;
	return true;
}

/* Drop a UTF-8 byte order mark on line 1 and the blanks that start the line. */
static void strip_lead(struct cfg_parse *p, char *s)
{
	size_t skip = 0;

	if (p->lineno == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
		skip = 3;
	while (isspace((unsigned char)s[skip]))
		skip++;
	memmove(s, s + skip, strlen(s + skip) + 1);
}

/* inih's reader: one line per call, so p->lineno is the line inih works on. */
static char *read_line(char *str, int num, void *stream)
{
	struct cfg_parse *p = stream;
	size_t len, max = num > 3 ? (size_t)num - 3 : 0; /* inih wants room for \r\n\0 */
	bool nul;

	check_pending(p);
	if (num < 1 || !read_raw(p, str, (size_t)num, &len, &nul))
		return NULL;
	p->lineno++;
	if (len > 0 && len < (size_t)num && str[len - 1] == '\r')
		str[--len] = '\0';
	if (nul || len > max) {
		if (nul)
			report(p, p->lineno, "line has a NUL byte");
		else
			report(p, p->lineno, "line too long: %zu characters, at most %zu", len,
			       max);
		str[0] = '\0'; /* inih sees a blank line: the line count stays right */
		return str;
	}
	strip_lead(p, str);
	classify(p, str);
	return str;
}

/* A key inih found in a section header already refused, or none, or a known one. */
static bool key_placed(struct cfg_parse *p, const char *section, const char *name)
{
	char q[CFG_QUOTE_SZ], list[256];

	switch (p->sect) {
	case SECT_BAD:
	case SECT_ACCOUNT: /* on_pair hands those over before */
		return false; /* the header was reported, not each of its keys */
	case SECT_NONE:
		report(p, p->lineno, "key '%s' before any section: expected it under one of %s",
		       cfg_quote(name, q, sizeof(q)), list_sections(list, sizeof(list)));
		return false;
	case SECT_OK:
		break;
	}
	if (!section_known(section)) { /* cannot happen unless inih reads headers otherwise */
		report(p, p->lineno, "unknown section [%s]: expected one of %s",
		       cfg_quote(section, q, sizeof(q)), list_sections(list, sizeof(list)));
		return false;
	}
	return true;
}

/* inih's handler: one KEY = VALUE, on line p->lineno.  Always 1: errors are ours to count. */
static int on_pair(void *user, const char *section, const char *name, const char *value)
{
	struct cfg_parse *p = user;
	char q[CFG_QUOTE_SZ], list[512], msg[1024];
	const struct cfg_key *k;
	size_t i;
	int err;

	p->key_line = 0;
	if (!name[0] || !value) {
		report_malformed(p, p->lineno);
		return 1;
	}
	if (p->sect == SECT_ACCOUNT) {
		if (cfg_account_pair(p->accts, name, value, p->lineno) < 0)
			p->oom = true;
		return 1;
	}
	if (!key_placed(p, section, name))
		return 1;
	k = key_find(section, name, &i);
	if (!k) {
		report(p, p->lineno, "unknown key '%s' in [%s]: expected one of %s",
		       cfg_quote(name, q, sizeof(q)), section,
		       list_keys(section, list, sizeof(list)));
		return 1;
	}
	if (p->set_line[i]) {
		report(p, p->lineno, "repeated key '%s' (first at line %u)", name, p->set_line[i]);
		return 1;
	}
	p->set_line[i] = p->lineno;
	err = parse_value(k, value, p->codecs, p->cfg, msg, sizeof(msg));
	if (err == -ENOMEM)
		p->oom = true;
	else if (err < 0)
		report(p, p->lineno, "%s", msg);
	p->bad[i] = err < 0;
	return 1;
}

/* Each orders[] row, once both keys have a good value. */
static void cross_check(struct cfg_parse *p)
{
	for (size_t r = 0; r < sizeof(orders) / sizeof(orders[0]); r++) {
		const struct cfg_order *o = &orders[r];
		size_t lo, hi;
		unsigned lo_v, hi_v;

		if (!key_find(o->section, o->lo, &lo) || !key_find(o->section, o->hi, &hi) ||
		    p->bad[lo] || p->bad[hi])
			continue;
		lo_v = *(const unsigned *)field(p->cfg, &keys[lo]);
		hi_v = *(const unsigned *)field(p->cfg, &keys[hi]);
		if (lo_v <= hi_v)
			continue;
		if (p->set_line[hi])
			report(p, p->set_line[hi],
			       "%s: %u is less than %s (%u%s): expected %s >= %s", o->hi, hi_v,
			       o->lo, lo_v, p->set_line[lo] ? "" : ", the default", o->hi, o->lo);
		else if (p->set_line[lo])
			report(p, p->set_line[lo],
			       "%s: %u is more than %s (%u, the default): expected %s <= %s", o->lo,
			       lo_v, o->hi, hi_v, o->lo, o->hi);
	}
}

/*
 * The RTP port range must hold one pair: RTP on an even port P, RTCP on
 * P + 1 (RFC 3550 §11), as the port pool hands them out.  Checked once the
 * range is known to be the right way up, so that one mistake is one error.
 */
static void rtp_pair_check(struct cfg_parse *p)
{
	size_t lo, hi;
	unsigned lo_v, hi_v, first;

	if (!key_find("media", "rtp_port_min", &lo) || !key_find("media", "rtp_port_max", &hi) ||
	    p->bad[lo] || p->bad[hi])
		return;
	lo_v = p->cfg->rtp_port_min;
	hi_v = p->cfg->rtp_port_max;
	first = lo_v + (lo_v & 1); /* the first even port */
	if (lo_v > hi_v || first + 1 <= hi_v)
		return;
	if (p->set_line[hi])
		report(p, p->set_line[hi],
		       "rtp_port_max: %u..%u holds no RTP/RTCP port pair: expected an even port P "
		       "and P + 1 in rtp_port_min..rtp_port_max",
		       lo_v, hi_v);
	else if (p->set_line[lo])
		report(p, p->set_line[lo],
		       "rtp_port_min: %u..%u holds no RTP/RTCP port pair: expected an even port P "
		       "and P + 1 in rtp_port_min..rtp_port_max",
		       lo_v, hi_v);
}

/* [tls] against the listeners and itself, once both are known (cfg_tls.c). */
static void tls_check(struct cfg_parse *p)
{
	size_t l = 0, c = 0, k = 0;
	struct cfg_tls_where w;

	if (!key_find("sip", "listen", &l) || !key_find("tls", "certificate", &c) ||
	    !key_find("tls", "private_key", &k))
		return;
	w = (struct cfg_tls_where){.listen = p->set_line[l],
				   .certificate = p->set_line[c],
				   .private_key = p->set_line[k],
				   .listen_bad = p->bad[l],
				   .certificate_bad = p->bad[c],
				   .private_key_bad = p->bad[k]};
	cfg_tls_check(p->cfg, &w, &p->errs);
}

/* Keep where each key was set, for messages that later checks write (cfg_key_line). */
static int keep_lines(struct cfg_parse *p)
{
	if (!(p->cfg->key_lines = malloc(sizeof(p->set_line))))
		return -ENOMEM;
	memcpy(p->cfg->key_lines, p->set_line, sizeof(p->set_line));
	return 0;
}

/* The values that follow from others once the whole file is read. */
static void resolve(struct cfg *c)
{
	c->accept_unknown_users =
	    c->accept_unknown_users_mode == CFG_ACCEPT_YES ||
	    (c->accept_unknown_users_mode == CFG_ACCEPT_AUTO && c->n_accounts == 0);
}

/* Read p->path into p->cfg.  0, -EINVAL (errors in p->errs), -ENOMEM, or the read's -errno. */
static int parse_file(struct cfg_parse *p)
{
	int ini, err;

	p->in = fopen(p->path, "re");
	if (!p->in)
		return -errno;
	ini = ini_parse_stream(read_line, p, on_pair, p);
	check_pending(p);
	section_end(p);
	cfg_account_parse_free(p->accts);
	p->accts = NULL;
	fclose(p->in);
	p->in = NULL;
	if (p->read_err)
		return -p->read_err;
	if (p->oom || ini == -2)
		return -ENOMEM;
	if (ini > 0 && p->errs.n == 0) /* inih refused a line we took for good */
		report_malformed(p, (unsigned)ini);
	cross_check(p);
	rtp_pair_check(p);
	tls_check(p);
	resolve(p->cfg);
	if (cfg_tls_resolve(p->cfg, p->path) < 0 || keep_lines(p) < 0)
		return -ENOMEM;
	if (p->errs.n > CFG_MAX_ERRS)
		fprintf(p->errs.out, "%s: %u more errors not shown\n", p->path,
			p->errs.n - CFG_MAX_ERRS);
	err = p->errs.n ? -EINVAL : 0;
	return err;
}

int cfg_defaults(cfg_codec_fn *codecs, struct cfg **cfgp)
{
	struct cfg *c = calloc(1, sizeof(*c));
	char msg[256];
	int err = -ENOMEM;

	if (!c)
		goto out;
	for (size_t i = 0; i < CFG_NKEYS; i++) {
		err = parse_value(&keys[i], keys[i].info.def, codecs, c, msg, sizeof(msg));
		if (err < 0)
			goto out; /* a default that does not parse: check_cfg catches it */
	}
	resolve(c);
	*cfgp = c;
	c = NULL;
out:
	cfg_free(c);
	return err;
}

int cfg_load(const char *path, cfg_codec_fn *codecs, struct cfg **cfgp, char **errs)
{
	struct cfg_parse p = {.path = path, .codecs = codecs, .errs = {.path = path}};
	char *text = NULL, *out_errs = NULL;
	size_t text_len = 0;
	int err;

	p.errs.out = open_memstream(&text, &text_len);
	if (!p.errs.out) {
		err = -ENOMEM;
		goto out;
	}
	err = cfg_defaults(codecs, &p.cfg);
	if (err == 0)
		err = parse_file(&p);
	fclose(p.errs.out);
	if (err == -EINVAL) {
		out_errs = text;
		text = NULL;
	} else if (err < 0 &&
		   asprintf(&out_errs, "%s: %s: %s\n", path,
			    err == -ENOMEM ? "cannot load" : "cannot read", strerror(-err)) < 0) {
		out_errs = NULL;
	}
	if (err == 0) {
		*cfgp = p.cfg;
		p.cfg = NULL;
	}
out:
	if (errs && out_errs) {
		*errs = out_errs;
		out_errs = NULL;
	}
	free(out_errs);
	free(text);
	cfg_free(p.cfg);
	return err;
}

void cfg_free(struct cfg *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < CFG_NKEYS; i++) {
		if (keys[i].kind == CFG_STR || keys[i].kind == CFG_DNS)
			free(*(char **)field(cfg, &keys[i]));
	}
	cfg_account_free_all(cfg->accounts, cfg->n_accounts);
	free(cfg->key_lines);
	free(cfg);
}

unsigned cfg_key_line(const struct cfg *cfg, const char *section, const char *name)
{
	size_t i;

	if (!cfg->key_lines || !key_find(section, name, &i))
		return 0;
	return cfg->key_lines[i];
}

unsigned cfg_restart_needed(const struct cfg *old, const struct cfg *new_cfg, char *buf,
			    size_t size)
{
	unsigned n = 0;
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < CFG_NKEYS; i++) {
		const struct cfg_key *k = &keys[i];

		if (k->info.reloadable || value_same(k, old, new_cfg))
			continue;
		if (len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s.%s", n ? ", " : "",
						k->info.section, k->info.name);
		n++;
	}
	return n;
}

void cfg_keep_running(struct cfg *new_cfg, struct cfg *old)
{
	for (size_t i = 0; i < CFG_NKEYS; i++) {
		const struct cfg_key *k = &keys[i];
		char **ns, **os;

		if (k->info.reloadable)
			continue;
		switch (k->kind) {
		case CFG_UINT:
		case CFG_ENUM:
			*(unsigned *)field(new_cfg, k) = *(const unsigned *)cfield(old, k);
			break;
		case CFG_STR:
		case CFG_DNS:
			ns = field(new_cfg, k);
			os = field(old, k);
			free(*ns);
			*ns = *os;
			*os = NULL;
			break;
		case CFG_LISTEN:
			memcpy(new_cfg->listen, old->listen, sizeof(new_cfg->listen));
			new_cfg->n_listen = old->n_listen;
			break;
		case CFG_CODECS:
			memcpy(new_cfg->codecs, old->codecs, sizeof(new_cfg->codecs));
			new_cfg->n_codecs = old->n_codecs;
			new_cfg->dtmf = old->dtmf;
			break;
		}
	}
}

size_t cfg_key_count(void)
{
	return CFG_NKEYS + cfg_account_key_count();
}

const struct cfg_key_info *cfg_key_at(size_t i)
{
	return i < CFG_NKEYS ? &keys[i].info : cfg_account_key_at(i - CFG_NKEYS);
}
