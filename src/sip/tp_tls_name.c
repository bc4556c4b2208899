/*
 * tp_tls_name: whom a certificate names, for SIP (RFC 5922 §7), as
 * tp_tls.c checks a server it connects to.
 *
 * The identities of a certificate are the hosts of its subjectAltName
 * URIs "sip:HOST" (a sip URI with a user part names a user, not a
 * domain: skipped; other schemes too); only when it has no such URI, its
 * dNSName entries (§7.1: a DNS name counts "if and only if no other
 * identity is found that matches the sip URI type"); only when it has no
 * URI or dNSName entry at all, the last CN of its subject.  The name
 * wanted (the host of the URI the request went to, §7.3, never an SRV
 * target) matches an identity as a DNS name does (§7.2): whole and
 * case-insensitively, no suffix ("example.com" does not name
 * "sip.example.com"), no wildcard ("*.example.com" names
 * "*.example.com", nothing else).  A target given by its IP address must
 * be one of the certificate's iPAddress entries.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>

#include <openssl/x509v3.h>

#include "sip/tp_int.h"

bool tp_tls_host_is_ip(const char *host)
{
	struct net_addr a;

	return net_addr_from_host(&a, host, 0) == 0;
}

/* s[0..n) is host, compared as DNS names: whole, case-insensitive. */
static bool name_eq(const char *s, size_t n, const char *host)
{
	return n == strlen(host) && n > 0 && strncasecmp(s, host, n) == 0;
}

/* The ASN.1 string's bytes, if it holds no NUL (a NUL would cut a name). */
static const char *asn1_text(const ASN1_STRING *a, size_t *n)
{
	const char *s = (const char *)ASN1_STRING_get0_data(a);

	*n = (size_t)ASN1_STRING_length(a);
	return s && !memchr(s, '\0', *n) ? s : NULL;
}

/*
 * A URI entry: whether it is a domain's SIP identity ("sip:HOST", no user
 * part; RFC 5922 §7.1), and whether HOST is host.
 */
static bool uri_identity(const ASN1_STRING *a, const char *host, bool *match)
{
	size_t n, len;
	const char *s = asn1_text(a, &n);

	if (!s || n < 4 || strncasecmp(s, "sip:", 4) != 0 || memchr(s, '@', n))
		return false;
	s += 4;
	n -= 4;
	for (len = 0; len < n && !strchr(":;?>", s[len]); len++)
		;
	*match = *match || name_eq(s, len, host);
	return true;
}

/* The last CN of the subject is host. */
static bool cn_names(X509 *x, const char *host)
{
	X509_NAME *subj = X509_get_subject_name(x);
	int i = -1, last = -1;
	const char *s;
	size_t n;

	while ((i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0)
		last = i;
	if (last < 0)
		return false;
	s = asn1_text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, last)), &n);
	return s && name_eq(s, n, host);
}

/* The certificate names host, a DNS name (RFC 5922 §7.1, §7.2). */
static bool dns_names(X509 *x, const char *host)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	bool sans = false, uris = false, uri_ok = false, dnss = false, dns_ok = false;
	const char *s;
	size_t n;

	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		sans |= g->type == GEN_URI || g->type == GEN_DNS;
		if (g->type == GEN_URI) {
			uris |= uri_identity(g->d.uniformResourceIdentifier, host, &uri_ok);
		} else if (g->type == GEN_DNS) {
			dnss = true;
			s = asn1_text(g->d.dNSName, &n);
			dns_ok |= s && name_eq(s, n, host);
		}
	}
	GENERAL_NAMES_free(gens);
	if (uris)
		return uri_ok;
	if (dnss)
		return dns_ok;
	return !sans && cn_names(x, host);
}

bool tp_tls_names(struct x509_st *x, const char *host, const struct net_addr *addr)
{
	struct net_addr lit;
	const struct sockaddr_in *s4;
	const struct sockaddr_in6 *s6;

	if (host[0] && !tp_tls_host_is_ip(host))
		return dns_names(x, host);
	if (host[0] && net_addr_from_host(&lit, host, 0) == 0)
		addr = &lit; /* an IP literal given as the name */
	s4 = (const struct sockaddr_in *)&addr->ss;
	s6 = (const struct sockaddr_in6 *)&addr->ss;
	if (net_addr_family(addr) == AF_INET)
		return X509_check_ip(x, (const unsigned char *)&s4->sin_addr, 4, 0) == 1;
	if (net_addr_family(addr) == AF_INET6)
		return X509_check_ip(x, (const unsigned char *)&s6->sin6_addr, 16, 0) == 1;
	return false;
}
