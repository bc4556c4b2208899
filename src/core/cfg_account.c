/*
 * cfg_account: the [account NAME] sections of the config file.
 *
 * Owns the account rows of the key table, the checks of every account key
 * and of the header, the defaults that depend on other keys, and the
 * reading of password_file.  cfg.c reads the file and hands each account
 * header, each KEY = VALUE under one, and each section's end over here;
 * the messages go out through the same error sink, "PATH:LINE: message",
 * all of them, not only the first.
 *
 *   [account alice]
 *   uri = sip:alice@example.com          ; required, with a user part
 *   registrar = sip:example.com          ; register defaults to yes with it
 *   password_file = alice.pw             ; or password = ..., not both
 *
 * NAME is the account's handle on the control socket and in the logs:
 * 1..32 characters of A-Z a-z 0-9 . _ -, unique, and never "default",
 * which is the built-in account of a config without [account] sections.
 *
 * The URIs are checked here only as far as a mistake in them is a config
 * mistake: the scheme (sip: or sips:, RFC 3261 §19.1.1), no blank or
 * control character, no password in the user part (it would end up in
 * every log line and header), a user part where one is needed, and a
 * host with an optional port.  The SIP layer parses them for real.
 *
 * A password read from a file is wiped from the read buffer, and every
 * password is wiped when the config is freed (cfg_account_free_all).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cfg_int.h"
#include "core/htab.h"
#include "core/net.h"

#define PASSWORD_MAX 255
#define URI_MAX 255
#define TEXT_MAX 127
#define PATH_MAX_LEN 4095
#define NAME_CHARS "A-Z a-z 0-9 . _ -"

struct account_key;
/* Check val and store it in ap->cur; 0, or -EINVAL with msg, or -ENOMEM. */
typedef int akey_parse_fn(struct cfg_account_parse *ap, const struct account_key *k,
			  const char *val, unsigned line, char *msg, size_t size);

struct account_key {
	struct cfg_key_info info;
	akey_parse_fn *parse;
	size_t off; /* the field of struct cfg_account it fills: a char *, an unsigned; 0: none */
	unsigned lo, hi; /* an integer's bounds */
};

/* A name in the duplicate table, and where its header was. */
struct name_node {
	struct htab_node node;
	unsigned line;
};

static akey_parse_fn parse_aor, parse_uri, parse_text, parse_password, parse_password_file,
    parse_register, parse_uint, parse_transport, parse_srtp, parse_server_name;

/* clang-format off */
#define AKEY(name_, type_, def_, range_, parse_, off_, help_)                                     \
	{ .info = { .section = CFG_ACCOUNT_SECTION, .name = name_, .type = type_, .def = def_,     \
		    .range = range_, .reloadable = true, .help = help_ },                          \
	  .parse = parse_, .off = off_ }
#define STR(field) offsetof(struct cfg_account, field)
#define AKEY_UINT(name_, field_, def_, lo_, hi_, help_)                                           \
	{ .info = { .section = CFG_ACCOUNT_SECTION, .name = name_, .type = "integer",             \
		    .def = #def_, .range = #lo_ ".." #hi_, .reloadable = true, .help = help_ },    \
	  .parse = parse_uint, .off = offsetof(struct cfg_account, field_), .lo = lo_, .hi = hi_ }
/* clang-format on */

#define TEXT_RANGE "1..127 bytes of UTF-8 text without control characters, \" or \\"

static const struct account_key keys[] = {
    AKEY("uri", "SIP URI", "none (required)", "sip:USER@HOST or sips:USER@HOST", parse_aor,
	 STR(uri),
	 "The account's address of record: the From of its requests and the To of its "
	 "REGISTER. Required."),
    AKEY("display_name", "string", "none", TEXT_RANGE, parse_text, STR(display_name),
	 "The display name in the From of the account's requests."),
    AKEY("registrar", "SIP URI", "none", "sip:HOST or sips:HOST", parse_uri, STR(registrar),
	 "Where REGISTER goes; with register = yes and no registrar, the scheme, host and "
	 "port of uri."),
    AKEY("outbound_proxy", "SIP URI", "none", "sip:HOST or sips:HOST", parse_uri,
	 STR(outbound_proxy),
	 "A proxy every request of the account is sent through (a pre-loaded Route, "
	 "RFC 3261 §8.1.2); add ;lr for a loose router."),
    AKEY("username", "string", "the user part of uri", TEXT_RANGE, parse_text, STR(username),
	 "The user name of digest authentication (RFC 3261 §22)."),
    AKEY("password", "string", "none", "1..255 characters without control characters",
	 parse_password, STR(password),
	 "The password of digest authentication; not with password_file."),
    AKEY("password_file", "path", "none",
	 "a path to a file whose first line is the password (1..255 characters)",
	 parse_password_file, STR(password),
	 "A file whose first line is the password, read at load; relative: in "
	 "$CREDENTIALS_DIRECTORY if set, else beside the config file. Not with password."),
    AKEY("register", "boolean", "yes with a registrar, else no", "yes | no", parse_register, 0,
	 "Whether the account registers (RFC 3261 §10) and keeps its registration up."),
    AKEY_UINT("expires", expires, 600, 10, 86400,
	      "Seconds of registration asked for in REGISTER; renewed before they run out."),
    AKEY("transport", "enum", "from the URIs", "udp | tcp | tls", parse_transport, 0,
	 "The transport of the account's requests; not set: the ;transport= of the URIs, "
	 "else what RFC 3263 picks (UDP for sip:, TLS for sips:, or as DNS says)."),
    AKEY_UINT("keepalive_interval", keepalive_s, 0, 0, 3600,
	      "Seconds between keep-alives toward the registrar or outbound proxy, to hold a "
	      "NAT binding or connection open; 0: none.  On TCP or TLS a ping whose pong does "
	      "not come within 10 s means registering again on a new connection."),
    AKEY("srtp", "enum", "[media] srtp", "off | optional | mandatory", parse_srtp, 0,
	 "SRTP for the account's calls, as [media] srtp says it; not set: [media] srtp."),
    AKEY("server_name", "string", "the host of the URI the request goes to", CFG_HOST_NAME_RANGE,
	 parse_server_name, STR(server_name),
	 "Over TLS, the name the server's certificate must carry (RFC 5922) and the SNI "
	 "sent, for a server whose certificate names a service domain rather than the "
	 "host the URIs name."),
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

struct cfg_account_parse {
	struct cfg *cfg;
	struct cfg_errs *errs;
	const char *cfg_path;
	struct htab *names;	   /* name_node by account name */
	unsigned cap;		   /* cfg->accounts has room for this many */
	struct cfg_account *cur;   /* the open section's account; NULL: none */
	unsigned set_line[N_KEYS]; /* of cur: where each key was set, 0: not set */
	bool bad[N_KEYS];	   /* of cur: the key's value was refused */
};

static char **str_field(struct cfg_account *a, const struct account_key *k)
{
	return (char **)(void *)((char *)a + k->off);
}

static const struct account_key *key_find(const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		if (strcmp(keys[i].info.name, name) == 0)
			return &keys[i];
	}
	return NULL;
}

static size_t key_index(const char *name)
{
	return (size_t)(key_find(name) - keys);
}

/* Copy val into the key's string field of the open account. 0 or -ENOMEM. */
static int store(struct cfg_account_parse *ap, const struct account_key *k, const char *val)
{
	char **f = str_field(ap->cur, k), *dup = strdup(val);

	if (!dup)
		return -ENOMEM;
	free(*f);
	*f = dup;
	return 0;
}

/* --- URIs ---------------------------------------------------------------- */

/* The parts of a sip: or sips: URI; lengths into the text, which is not copied. */
struct uri_parts {
	size_t scheme_len; /* "sip" or "sips" */
	const char *user;  /* NULL: no '@' */
	size_t user_len;   /* up to the first ';' of the user part */
	const char *host;  /* host[:port] */
	size_t host_len;
};

static bool is_host_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.';
}

/* ":PORT", 1..65535, the whole of s[0..len). */
static bool port_ok(const char *s, size_t len)
{
	unsigned long v = 0;

	if (len < 2 || len > 6 || s[0] != ':')
		return false;
	for (size_t i = 1; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* HOST[:PORT], HOST a name, an IPv4 address or a bracketed IPv6 one (RFC 3261 §25.1 hostport). */
static bool hostport_ok(const char *s, size_t len)
{
	size_t n;

	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		char v6[NET_ADDR_STRLEN];
		struct net_addr a;

		n = close ? (size_t)(close - s) + 1 : 0;
		if (!n || n >= sizeof(v6))
			return false;
		memcpy(v6, s, n);
		v6[n] = '\0';
		if (net_addr_from_host(&a, v6, 0) < 0)
			return false;
	} else {
		for (n = 0; n < len && is_host_char(s[n]); n++)
			;
		if (n == 0)
			return false;
	}
	return n == len || port_ok(s + n, len - n);
}

/*
 * Check a URI value of key k: URI_MAX long, printable ASCII without blanks,
 * sip: or sips:, no password, a user part if need_user, a good host.  The
 * parts into *u.  0 or -EINVAL with msg.
 */
static int uri_check(const struct account_key *k, const char *val, bool need_user,
		     struct uri_parts *u, char *msg, size_t size)
{
	const char *name = k->info.name, *exp = k->info.range, *rest, *at;
	size_t len = strlen(val), n;
	char q[CFG_QUOTE_SZ], part[CFG_QUOTE_MAX + 1];

	if (len > URI_MAX) {
		snprintf(msg, size, "%s: %zu characters: expected at most %d", name, len, URI_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)val[i];

		if (ch <= 0x20 || ch >= 0x7f) {
			snprintf(msg, size,
				 "%s: character %zu (\\x%02x) is a blank or not printable ASCII: "
				 "expected %s",
				 name, i + 1, ch, exp);
			return -EINVAL;
		}
	}
	memset(u, 0, sizeof(*u));
	if (strncasecmp(val, "sip:", 4) == 0)
		u->scheme_len = 3;
	else if (strncasecmp(val, "sips:", 5) == 0)
		u->scheme_len = 4;
	else {
		/* Only the scheme is quoted: the rest may hold a password. */
		n = strcspn(val, ":");
		n += val[n] == ':';
		snprintf(part, sizeof(part), "%.*s", (int)(n < CFG_QUOTE_MAX ? n : CFG_QUOTE_MAX),
			 val);
		snprintf(msg, size, "%s: '%s' is not a sip: or sips: URI: expected %s", name,
			 cfg_quote(part, q, sizeof(q)), exp);
		return -EINVAL;
	}
	rest = val + u->scheme_len + 1;
	at = strchr(rest, '@');
	if (at) {
		if (memchr(rest, ':', (size_t)(at - rest))) {
			snprintf(
			    msg, size,
			    "%s: a password in the URI (USER:PASSWORD@) is not taken: expected "
			    "%s, and password or password_file",
			    name, exp);
			return -EINVAL;
		}
		u->user = rest;
		u->user_len = strcspn(rest, ";@");
		if (u->user_len == 0) {
			snprintf(msg, size, "%s: '%s' has an empty user part: expected %s", name,
				 cfg_quote(val, q, sizeof(q)), exp);
			return -EINVAL;
		}
		rest = at + 1;
	} else if (need_user) {
		snprintf(msg, size, "%s: '%s' has no user part: expected %s", name,
			 cfg_quote(val, q, sizeof(q)), exp);
		return -EINVAL;
	}
	u->host = rest;
	u->host_len = strcspn(rest, ";?");
	if (u->host_len == 0) {
		snprintf(msg, size, "%s: '%s' has no host: expected %s", name,
			 cfg_quote(val, q, sizeof(q)), exp);
		return -EINVAL;
	}
	if (!hostport_ok(u->host, u->host_len)) {
		snprintf(part, sizeof(part), "%.*s",
			 (int)(u->host_len < CFG_QUOTE_MAX ? u->host_len : CFG_QUOTE_MAX), u->host);
		snprintf(msg, size,
			 "%s: bad host '%s': expected HOST or HOST:PORT, HOST a name, an IPv4 or "
			 "[IPv6] address, PORT 1..65535",
			 name, cfg_quote(part, q, sizeof(q)));
		return -EINVAL;
	}
	return 0;
}

/* uri: with a user part. */
static int parse_aor(struct cfg_account_parse *ap, const struct account_key *k, const char *val,
		     unsigned line, char *msg, size_t size)
{
	struct uri_parts u;
	int err = uri_check(k, val, true, &u, msg, size);

	return err < 0 ? err : store(ap, k, val);
}

/* registrar, outbound_proxy: a user part is allowed, not needed. */
static int parse_uri(struct cfg_account_parse *ap, const struct account_key *k, const char *val,
		     unsigned line, char *msg, size_t size)
{
	struct uri_parts u;
	int err = uri_check(k, val, false, &u, msg, size);

	return err < 0 ? err : store(ap, k, val);
}

/* --- text, passwords ----------------------------------------------------- */

/* The length of the UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates), 0 if none. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		lo = s[0] == 0xe0 ? 0xa0 : 0x80;
		hi = s[0] == 0xed ? 0x9f : 0xbf;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		lo = s[0] == 0xf0 ? 0x90 : 0x80;
		hi = s[0] == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return n;
}

/* display_name, username: text that goes inside a quoted-string (RFC 3261 §25.1) unescaped. */
static int parse_text(struct cfg_account_parse *ap, const struct account_key *k, const char *val,
		      unsigned line, char *msg, size_t size)
{
	const unsigned char *s = (const unsigned char *)val;
	size_t len = strlen(val), n;

	if (len > TEXT_MAX) {
		snprintf(msg, size, "%s: %zu bytes: expected %s", k->info.name, len, k->info.range);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i += n) {
		if (s[i] < 0x20 || s[i] == 0x7f || s[i] == '"' || s[i] == '\\') {
			snprintf(msg, size,
				 "%s: character %zu (\\x%02x) is not allowed: expected %s",
				 k->info.name, i + 1, s[i], k->info.range);
			return -EINVAL;
		}
		n = utf8_len(s + i);
		if (n == 0) {
			snprintf(msg, size, "%s: byte %zu (\\x%02x) is not UTF-8: expected %s",
				 k->info.name, i + 1, s[i], k->info.range);
			return -EINVAL;
		}
	}
	return store(ap, k, val);
}

/*
 * A password's text, from the file or from the password key: 1..255
 * characters without control characters.  The message never quotes it.
 */
static int password_check(const char *what, const char *pw, size_t len, char *msg, size_t size)
{
	if (len == 0 || len > PASSWORD_MAX) {
		snprintf(msg, size, "%s: %zu characters: expected 1..%d", what, len, PASSWORD_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)pw[i];

		if (ch < 0x20 || ch == 0x7f) {
			snprintf(msg, size,
				 "%s: character %zu is a control character: expected 1..%d "
				 "characters without control characters",
				 what, i + 1, PASSWORD_MAX);
			return -EINVAL;
		}
	}
	return 0;
}

/* password and password_file give the same field: the second one set is refused. */
static int exclusive(struct cfg_account_parse *ap, const struct account_key *k, char *msg,
		     size_t size)
{
	const char *other = strcmp(k->info.name, "password") == 0 ? "password_file" : "password";
	unsigned at = ap->set_line[key_index(other)];

	if (!at)
		return 0;
	snprintf(msg, size, "%s: %s is set too (line %u): expected one of password, password_file",
		 k->info.name, other, at);
	return -EINVAL;
}

static int parse_password(struct cfg_account_parse *ap, const struct account_key *k,
			  const char *val, unsigned line, char *msg, size_t size)
{
	int err = exclusive(ap, k, msg, size);

	if (err == 0)
		err = password_check(k->info.name, val, strlen(val), msg, size);
	return err < 0 ? err : store(ap, k, val);
}

/*
 * Where a path of the file names (password_file, the [tls] files): an
 * absolute path as it is; a relative one in $CREDENTIALS_DIRECTORY
 * (systemd's LoadCredential=) when that is set, else in the config file's
 * directory.  malloc'd, NULL: no memory.
 */
char *cfg_path_resolve(const char *cfg_path, const char *val)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY"), *slash;
	char *path = NULL;
	int n;

	if (val[0] == '/')
		return strdup(val);
	if (creds && creds[0])
		n = asprintf(&path, "%s/%s", creds, val);
	else if ((slash = strrchr(cfg_path, '/')))
		n = asprintf(&path, "%.*s/%s", (int)(slash - cfg_path), cfg_path, val);
	else
		return strdup(val); /* the config file is in the working directory */
	return n < 0 ? NULL : path;
}

/*
 * The first line of the regular file at path, its newline (and a \r before
 * it) gone, into buf (size > PASSWORD_MAX + 2).  The length, or -errno, or
 * -ENOTSUP (not a regular file), -E2BIG (longer than PASSWORD_MAX).
 */
static ssize_t first_line(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	size_t n = 0, len;
	struct stat st;
	ssize_t r = 0;
	char *nl = NULL;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -ENOTSUP;
		goto out;
	}
	while (n < size && !(nl = memchr(buf, '\n', n))) {
		ssize_t got = read(fd, buf + n, size - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	nl = memchr(buf, '\n', n);
	len = nl ? (size_t)(nl - buf) : n;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	r = len > PASSWORD_MAX ? -E2BIG : (ssize_t)len;
out:
	close(fd);
	return r;
}

static int parse_password_file(struct cfg_account_parse *ap, const struct account_key *k,
			       const char *val, unsigned line, char *msg, size_t size)
{
	char buf[PASSWORD_MAX + 3], *path = NULL, *what = NULL;
	ssize_t len;
	int err = exclusive(ap, k, msg, size);

	if (err < 0)
		return err;
	if (strlen(val) > PATH_MAX_LEN) {
		snprintf(msg, size, "%s: %zu characters: expected at most %d", k->info.name,
			 strlen(val), PATH_MAX_LEN);
		return -EINVAL;
	}
	for (size_t i = 0; val[i]; i++) {
		if ((unsigned char)val[i] < 0x20 || val[i] == 0x7f) {
			snprintf(msg, size,
				 "%s: character %zu (\\x%02x) is a control character: expected %s",
				 k->info.name, i + 1, (unsigned char)val[i], k->info.range);
			return -EINVAL;
		}
	}
	/* Messages name the file read, whole: a path cut short names another. */
	path = cfg_path_resolve(ap->cfg_path, val);
	if (!path || asprintf(&what, "%s: %s", k->info.name, path) < 0) {
		free(path);
		return -ENOMEM;
	}
	len = first_line(path, buf, sizeof(buf));
	if (len == -ENOTSUP)
		snprintf(msg, size, "%s: not a regular file", what);
	else if (len == -E2BIG)
		snprintf(msg, size, "%s: first line longer than %d characters", what, PASSWORD_MAX);
	else if (len < 0)
		snprintf(msg, size, "%s: cannot read: %s", what, strerror((int)-len));
	else if (len == 0)
		snprintf(msg, size, "%s: first line empty: expected the password on it", what);
	if (len > 0 && (err = password_check(what, buf, (size_t)len, msg, size)) == 0) {
		buf[len] = '\0';
		err = store(ap, k, buf);
	} else if (len <= 0) {
		err = -EINVAL;
	}
	explicit_bzero(buf, sizeof(buf));
	free(what);
	free(path);
	return err;
}

/* --- yes/no, numbers, transport ---------------------------------------- */

static int parse_register(struct cfg_account_parse *ap, const struct account_key *k,
			  const char *val, unsigned line, char *msg, size_t size)
{
	char q[CFG_QUOTE_SZ];

	if (strcasecmp(val, "yes") == 0)
		ap->cur->reg = true;
	else if (strcasecmp(val, "no") == 0)
		ap->cur->reg = false;
	else {
		snprintf(msg, size, "%s: '%s' is not one of %s", k->info.name,
			 cfg_quote(val, q, sizeof(q)), k->info.range);
		return -EINVAL;
	}
	return 0;
}

static int parse_uint(struct cfg_account_parse *ap, const struct account_key *k, const char *val,
		      unsigned line, char *msg, size_t size)
{
	unsigned *f = (unsigned *)(void *)((char *)ap->cur + k->off);

	return cfg_parse_uint(k->info.name, val, k->lo, k->hi, k->info.range, f, msg, size);
}

static int parse_transport(struct cfg_account_parse *ap, const struct account_key *k,
			   const char *val, unsigned line, char *msg, size_t size)
{
	static const enum net_proto protos[] = {NET_UDP, NET_TCP, NET_TLS};
	char q[CFG_QUOTE_SZ];

	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (strcasecmp(val, net_proto_name(protos[i])) == 0) {
			ap->cur->transport = (int)protos[i];
			return 0;
		}
	}
	snprintf(msg, size, "%s: '%s' is not one of %s", k->info.name, cfg_quote(val, q, sizeof(q)),
		 k->info.range);
	return -EINVAL;
}

static int parse_srtp(struct cfg_account_parse *ap, const struct account_key *k, const char *val,
		      unsigned line, char *msg, size_t size)
{
	char q[CFG_QUOTE_SZ];
	unsigned v;

	(void)line;
	if (cfg_srtp_parse(val, &v) == 0) {
		ap->cur->srtp = (int)v;
		return 0;
	}
	snprintf(msg, size, "%s: '%s' is not one of %s", k->info.name, cfg_quote(val, q, sizeof(q)),
		 k->info.range);
	return -EINVAL;
}

/* A DNS name (cfg_tls.c has the rules). */
static int parse_server_name(struct cfg_account_parse *ap, const struct account_key *k,
			     const char *val, unsigned line, char *msg, size_t size)
{
	int err = cfg_host_name_check(k->info.name, val, msg, size);

	return err < 0 ? err : store(ap, k, val);
}

/* --- sections ------------------------------------------------------------ */

int cfg_account_parse_new(struct cfg_account_parse **app, struct cfg *cfg, struct cfg_errs *errs,
			  const char *cfg_path)
{
	struct cfg_account_parse *ap = calloc(1, sizeof(*ap));

	if (!ap)
		return -ENOMEM;
	ap->cfg = cfg;
	ap->errs = errs;
	ap->cfg_path = cfg_path;
	ap->cap = cfg->n_accounts;
	*app = ap;
	return 0;
}

static void free_node(struct htab_node *n, void *arg)
{
	htab_remove(arg, n);
	free(container_of(n, struct name_node, node));
}

void cfg_account_parse_free(struct cfg_account_parse *ap)
{
	if (!ap)
		return;
	if (ap->names) {
		htab_foreach(ap->names, free_node, ap->names);
		htab_free(ap->names);
	}
	free(ap);
}

bool cfg_account_is_section(const char *section)
{
	return strncmp(section, "account", 7) == 0 &&
	       (section[7] == '\0' || section[7] == ' ' || section[7] == '\t');
}

static bool name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > CFG_ACCOUNT_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_host_char(name[i]) && name[i] != '_')
			return false;
	}
	return true;
}

/* A new account named name, header on line, at the end of cfg->accounts. 0 or -ENOMEM. */
static int account_add(struct cfg_account_parse *ap, const char *name, unsigned line)
{
	struct cfg *c = ap->cfg;
	struct cfg_account *a;
	struct name_node *nn;
	char msg[256];

	if (c->n_accounts == ap->cap) {
		unsigned cap = ap->cap ? ap->cap * 2 : 4;
		struct cfg_account *grown;

		if (cap > CFG_MAX_ACCOUNTS)
			cap = CFG_MAX_ACCOUNTS;
		grown = realloc(c->accounts, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		c->accounts = grown;
		ap->cap = cap;
	}
	a = &c->accounts[c->n_accounts];
	memset(a, 0, sizeof(*a));
	nn = calloc(1, sizeof(*nn));
	if (!nn || !(a->name = strdup(name))) {
		free(nn);
		return -ENOMEM;
	}
	nn->line = line;
	htab_insert(ap->names, &nn->node, a->name, strlen(a->name));
	a->transport = -1;
	a->srtp = -1;
	a->line = line;
	c->n_accounts++;
	ap->cur = a;
	/* The integers' defaults are the table's texts, through the same parser. */
	for (size_t i = 0; i < N_KEYS; i++) {
		if (keys[i].parse == parse_uint)
			parse_uint(ap, &keys[i], keys[i].info.def, line, msg, sizeof(msg));
	}
	memset(ap->set_line, 0, sizeof(ap->set_line));
	memset(ap->bad, 0, sizeof(ap->bad));
	return 0;
}

int cfg_account_header(struct cfg_account_parse *ap, const char *section, unsigned line)
{
	const char *name = section + strspn(section + 7, " \t") + 7;
	char q[CFG_QUOTE_SZ];
	const struct htab_node *dup;

	ap->cur = NULL;
	if (!name[0]) {
		cfg_report(ap->errs, line,
			   "[%s]: no account name: expected [account NAME], NAME 1..%d characters "
			   "of " NAME_CHARS,
			   cfg_quote(section, q, sizeof(q)), CFG_ACCOUNT_NAME_MAX);
		return -EINVAL;
	}
	if (!name_ok(name)) {
		cfg_report(
		    ap->errs, line,
		    "[account %s]: bad account name: expected 1..%d characters of " NAME_CHARS,
		    cfg_quote(name, q, sizeof(q)), CFG_ACCOUNT_NAME_MAX);
		return -EINVAL;
	}
	if (strcmp(name, "default") == 0) {
		cfg_report(ap->errs, line,
			   "[account default]: the name default is reserved for the built-in "
			   "account: expected another name");
		return -EINVAL;
	}
	if (!ap->names && htab_new(&ap->names) < 0)
		return -ENOMEM;
	dup = htab_find(ap->names, name, strlen(name));
	if (dup) {
		cfg_report(ap->errs, line, "duplicate [account %s], first at line %u", name,
			   container_of(dup, const struct name_node, node)->line);
		return -EINVAL;
	}
	if (ap->cfg->n_accounts == CFG_MAX_ACCOUNTS) {
		cfg_report(ap->errs, line, "[account %s]: more than %u accounts", name,
			   CFG_MAX_ACCOUNTS);
		return -EINVAL;
	}
	return account_add(ap, name, line);
}

/* "uri, display_name, ...": the account keys, in table order. */
static const char *list_keys(char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_KEYS && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", keys[i].info.name);
	return buf;
}

int cfg_account_pair(struct cfg_account_parse *ap, const char *key, const char *value,
		     unsigned line)
{
	const struct account_key *k = key_find(key);
	char q[CFG_QUOTE_SZ], list[256], msg[PATH_MAX_LEN * 2 + 256]; /* room for a password_file */
	size_t i;
	int err;

	if (!ap->cur)
		return 0; /* cfg.c routes only the keys of an accepted header here */
	if (!k) {
		cfg_report(ap->errs, line, "unknown key '%s' in [account %s]: expected one of %s",
			   cfg_quote(key, q, sizeof(q)), ap->cur->name,
			   list_keys(list, sizeof(list)));
		return 0;
	}
	i = (size_t)(k - keys);
	if (ap->set_line[i]) {
		cfg_report(ap->errs, line, "repeated key '%s' (first at line %u)", key,
			   ap->set_line[i]);
		return 0;
	}
	if (!value[0]) {
		snprintf(msg, sizeof(msg), "%s: empty value: expected %s", key, k->info.range);
		err = -EINVAL;
	} else {
		err = k->parse(ap, k, value, line, msg, sizeof(msg));
	}
	ap->set_line[i] = line;
	ap->bad[i] = err < 0;
	if (err == -ENOMEM)
		return err;
	if (err < 0)
		cfg_report(ap->errs, line, "%s", msg);
	return 0;
}

/* An account's defaults that come from its other keys; uri is good. 0 or -ENOMEM. */
static int account_defaults(struct cfg_account_parse *ap)
{
	struct cfg_account *a = ap->cur;
	struct uri_parts u;
	char msg[256];
	int n;

	if (uri_check(&keys[key_index("uri")], a->uri, true, &u, msg, sizeof(msg)) < 0)
		return 0; /* cannot happen: the uri was stored checked */
	if (!a->username && !ap->bad[key_index("username")] &&
	    !(a->username = strndup(u.user, u.user_len)))
		return -ENOMEM;
	if (!ap->set_line[key_index("register")])
		a->reg = a->registrar != NULL;
	/* register = yes without a registrar: the uri's domain, with its port. */
	if (a->reg && !a->registrar && !ap->set_line[key_index("registrar")]) {
		n = asprintf(&a->registrar, "%.*s:%.*s", (int)u.scheme_len, a->uri, (int)u.host_len,
			     u.host);
		if (n < 0) {
			a->registrar = NULL;
			return -ENOMEM;
		}
		for (size_t i = 0; i < u.scheme_len; i++)
			a->registrar[i] = (char)tolower((unsigned char)a->registrar[i]);
	}
	return 0;
}

int cfg_account_end_section(struct cfg_account_parse *ap)
{
	struct cfg_account *a = ap->cur;
	size_t uri = key_index("uri");
	int err = 0;

	if (!a)
		return 0;
	if (a->uri)
		err = account_defaults(ap);
	else if (!ap->bad[uri])
		cfg_report(ap->errs, a->line, "[account %s]: no uri: expected uri = %s", a->name,
			   keys[uri].info.range);
	ap->cur = NULL;
	return err;
}

void cfg_account_free_all(struct cfg_account *accounts, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct cfg_account *a = &accounts[i];

		if (a->password) {
			explicit_bzero(a->password, strlen(a->password));
			free(a->password);
		}
		free(a->name);
		free(a->uri);
		free(a->display_name);
		free(a->registrar);
		free(a->outbound_proxy);
		free(a->username);
		free(a->server_name);
	}
	free(accounts);
}

size_t cfg_account_key_count(void)
{
	return N_KEYS;
}

const struct cfg_key_info *cfg_account_key_at(size_t i)
{
	return i < N_KEYS ? &keys[i].info : NULL;
}
