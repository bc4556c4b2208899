/*
 * msg_lex: reading SIP header text where it is copied rather than parsed
 * (msg_resp.c builds responses from a request's lines): where a value of a
 * comma-separated header ends, whether parameters are well formed enough
 * that another can follow them, a Via parameter by name.  RFC 3261 §7.3.1
 * (values of one header may share a line), §25.1 (token, quoted-string,
 * generic-param).  Only SP counts as LWS here: the lines come from a
 * message whose folds and HTABs the raw scan refused or cleaned.
 */

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "sip/msg.h"
#include "sip/msg_int.h"

/*
 * Where the first value of a comma-separated Via value v[0..n) ends: the
 * first comma outside a quoted string (§7.3.1; a via-extension may be a
 * quoted-string), or n.  *count gets the number of values.
 */
size_t msg_via_first_end(const char *v, size_t n, unsigned *count)
{
	size_t first = n;
	bool q = false;

	*count = 1;
	if (!memchr(v, ',', n))
		return n; /* one value: the usual case */
	for (size_t i = 0; i < n; i++) {
		if (q && v[i] == '\\' && i + 1 < n)
			i++;
		else if (v[i] == '"')
			q = !q;
		else if (!q && v[i] == ',') {
			if (first == n)
				first = i;
			(*count)++;
		}
	}
	return first;
}

size_t msg_skip_lws(const char *v, size_t i, size_t n)
{
	while (i < n && v[i] == ' ')
		i++;
	return i;
}

/* Where the value of a name-addr header that starts at v[i] ends: a comma outside quotes and <>, or n. */
size_t msg_addr_value_end(const char *v, size_t i, size_t n)
{
	bool q = false;
	int angle = 0;

	if (!memchr(v + i, ',', n - i))
		return n;
	for (; i < n; i++) {
		if (q && v[i] == '\\' && i + 1 < n)
			i++;
		else if (v[i] == '"')
			q = !q;
		else if (!q && v[i] == '<')
			angle++;
		else if (!q && v[i] == '>' && angle > 0)
			angle--;
		else if (!q && !angle && v[i] == ',')
			return i;
	}
	return n;
}

/* The values of a name-addr header v[0..n): one more than its commas outside quotes and <>. */
unsigned msg_addr_values(const char *v, size_t n)
{
	unsigned k = 1;

	for (size_t i = msg_addr_value_end(v, 0, n); i < n; i = msg_addr_value_end(v, i + 1, n))
		k++;
	return k;
}

/* msg_addr_values(), or 0 if one of them is empty. */
unsigned msg_addr_values_full(const char *v, size_t n)
{
	unsigned k = 0;

	for (size_t a = 0, e; a <= n; a = e + 1, k++) {
		e = msg_addr_value_end(v, a, n);
		if (msg_skip_lws(v, a, e) == e)
			return 0;
	}
	return k;
}

/* A comma outside quotes and <> in v[0..n): a To with two values we do not append to. */
bool msg_has_top_comma(const char *v, size_t n)
{
	return msg_addr_values(v, n) > 1;
}

/* RFC 3261 §25.1 token characters. */
static bool lex_tok_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-.!%*_+`'~", c));
}

/* A quoted-string at v[i..n): its end, or 0. */
static size_t lex_quoted_end(const char *v, size_t i, size_t n)
{
	for (i++; i < n; i++) {
		if (v[i] == '\\')
			i++;
		else if (v[i] == '"')
			return i + 1;
	}
	return 0;
}

/*
 * v[i..n) is parameters libosip2 and every peer read the same way once
 * another follows them: *( SEMI token [ EQUAL ( token / quoted-string /
 * "[" IPv6 "]" ) ] ), nothing else (§25.1).  For a To (§20.39) they
 * follow the name-addr's ">" (or the first ";" of an addr-spec); for a
 * Via, its sent-by.  A request's "To: <sip:b@b>;x=" or "<sip:b@b>;" is
 * read by libosip2 and would not be with a tag after it: such a To (or
 * Via, before received=) goes through libosip2.
 */
bool msg_params_ok(const char *v, size_t i, size_t n)
{
	size_t k;

	while ((i = msg_skip_lws(v, i, n)) < n) {
		if (v[i] != ';')
			return false;
		for (k = i = msg_skip_lws(v, i + 1, n); i < n && lex_tok_char(v[i]); i++)
			;
		if (i == k)
			return false;
		if ((i = msg_skip_lws(v, i, n)) == n || v[i] != '=')
			continue;
		i = msg_skip_lws(v, i + 1, n);
		if (i < n && v[i] == '"') {
			if (!(i = lex_quoted_end(v, i, n)))
				return false;
		} else if (i < n && v[i] == '[') {
			for (k = i; i < n && v[i] != ']'; i++)
				;
			if (i++ == n)
				return false;
		} else {
			for (k = i; i < n && lex_tok_char(v[i]); i++)
				;
			if (i == k)
				return false;
		}
	}
	return true;
}

bool msg_to_params_ok(const char *v, size_t n)
{
	const char *gt = memchr(v, '>', n), *semi;
	size_t i;

	if (gt && memchr(v, '<', (size_t)(gt - v)))
		i = (size_t)(gt - v) + 1;
	else if (!memchr(v, '<', n) && !memchr(v, '"', n))
		i = (semi = memchr(v, ';', n)) ? (size_t)(semi - v) : n;
	else
		return false;
	return msg_params_ok(v, i, n);
}


/* The end of the Via parameter that starts at v[i] (a ';'): the next ';' outside quotes, or n. */
size_t msg_param_end(const char *v, size_t i, size_t n)
{
	bool q = false;

	for (i++; i < n && (q || v[i] != ';'); i++) {
		if (q && v[i] == '\\' && i + 1 < n)
			i++;
		else if (v[i] == '"')
			q = !q;
	}
	return i;
}

/* The parameter v[i..e) (from its ';') is named name. */
bool msg_param_is(const char *v, size_t i, size_t e, const char *name)
{
	size_t k = strlen(name);

	i = msg_skip_lws(v, i + 1, e);
	if (e - i < k || strncasecmp(v + i, name, k) != 0)
		return false;
	i += k;
	return i == e || v[i] == '=' || v[i] == ' ';
}
