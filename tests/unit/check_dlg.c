/*
 * Unit tests for dlg: UAS and UAC dialog creation (RFC 3261 §12.1.1,
 * §12.1.2; forked early dialogs), matching in-dialog requests and
 * responses, target refresh (§12.2), the CSeq rules (§12.2.1.1,
 * §12.2.2), and in-dialog requests built for no route set, a loose and a
 * strict first route (§12.2.1.1), each parsed back and checked.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>

#include "sip/dlg.h"
#include "sip/msg.h"

#include "check_run.h"

#define INV_HEAD                                                                                   \
	"INVITE sip:bob@192.0.2.2 SIP/2.0\r\n"                                                     \
	"Via: SIP/2.0/UDP p2.example.com;branch=z9hG4bKp2\r\n"
#define INV_TAIL                                                                                   \
	"From: \"Alice\" <sip:alice@a.example>;tag=a1\r\n"                                         \
	"To: <sip:bob@b.example>\r\n"                                                              \
	"Call-ID: c1@a\r\n"                                                                        \
	"CSeq: 10 INVITE\r\n"                                                                      \
	"Contact: <sip:alice@192.0.2.1:5070>\r\n"                                                  \
	"Max-Forwards: 69\r\n"                                                                     \
	"Content-Length: 0\r\n\r\n"
#define INV_LOOSE                                                                                  \
	INV_HEAD                                                                                   \
	"Record-Route: <sip:p2.example.com;lr>, <sip:p1.example.com;lr>\r\n" INV_TAIL
#define INV_STRICT                                                                                 \
	INV_HEAD                                                                                   \
	"Record-Route: <sip:p2.example.com;transport=tcp>\r\n"                                     \
	"Record-Route: <sip:p1.example.com;lr>\r\n" INV_TAIL

/* Responses to the INVITE uac_invite() builds (Call-ID uc1@host, From tag u1). */
#define RESP(status, totag, extra)                                                                 \
	"SIP/2.0 " status "\r\n"                                                                   \
	"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKx\r\n" extra                               \
	"From: <sip:alice@a.example>;tag=u1\r\n"                                                   \
	"To: <sip:bob@b.example>;tag=" totag "\r\n"                                                \
	"Call-ID: uc1@host\r\n"                                                                    \
	"CSeq: 5 INVITE\r\n"                                                                       \
	"Content-Length: 0\r\n\r\n"
#define R180_F1                                                                                    \
	RESP("180 Ringing", "fork1",                                                               \
	     "Record-Route: <sip:p1.example.com;lr>\r\n"                                           \
	     "Record-Route: <sip:p2.example.com;lr>\r\n"                                           \
	     "Contact: <sip:bob@192.0.2.20>\r\n")
#define R200_F2 RESP("200 OK", "fork2", "Contact: <sip:bob@192.0.2.30>\r\n")

static struct dlg_table *tab;

static void setup(void)
{
	ck_assert_int_eq(dlg_table_new(&tab), 0);
}

static void teardown(void)
{
	dlg_table_free(tab);
	tab = NULL;
}

static struct sip_msg *parse(const char *s)
{
	struct sip_msg *m = NULL;

	ck_assert_int_eq(msg_parse(&m, s, strlen(s), false), 0);
	return m;
}

static struct dlg *uas(const char *invite_text)
{
	struct sip_msg *inv = parse(invite_text);
	struct dlg *d = NULL;

	ck_assert_int_eq(dlg_uas_new(tab, &d, inv, "b7"), 0);
	msg_free(inv);
	return d;
}

static struct sip_msg *uac_invite(void)
{
	struct msg_req_spec spec = {
	    .method = "INVITE",
	    .ruri = "sip:bob@b.example",
	    .from = "sip:alice@a.example",
	    .from_tag = "u1",
	    .call_id = "uc1@host",
	    .cseq = 5,
	    .via_proto = NET_UDP,
	    .contact = "sip:alice@192.0.2.10",
	};
	struct sip_msg *m = NULL;

	ck_assert_int_eq(net_addr_from_host(&spec.via_addr, "192.0.2.10", 5060), 0);
	ck_assert_int_eq(msg_build_request(&m, &spec), 0);
	return m;
}

static struct dlg *uac(const struct sip_msg *inv, const char *resp_text)
{
	struct sip_msg *r = parse(resp_text);
	struct dlg *d = NULL;

	ck_assert_int_eq(dlg_uac_new(tab, &d, inv, r), 0);
	msg_free(r);
	return d;
}

static struct dlg_local local(void)
{
	struct dlg_local l = {.via_proto = NET_UDP, .contact = "sip:me@192.0.2.10"};

	ck_assert_int_eq(net_addr_from_host(&l.via_addr, "192.0.2.10", 5060), 0);
	return l;
}

/* Build method in d, serialize, parse back; it must pass the §8.2 checks. */
static struct sip_msg *build_parse(struct dlg *d, const char *method)
{
	struct dlg_local l = local();
	struct sip_msg *m = NULL, *back;
	struct msg_err e;
	char *txt = NULL;
	size_t len = 0;

	ck_assert_int_eq(dlg_build_request(&m, d, method, &l), 0);
	ck_assert_int_eq(msg_to_str(m, &txt, &len), 0);
	back = parse(txt);
	ck_assert_msg(msg_check_request(back, &e), "%d %s", e.code, e.reason);
	osip_free(txt);
	msg_free(m);
	return back;
}

static void assert_ruri(const struct sip_msg *m, const char *want)
{
	char *u = NULL;

	ck_assert_int_eq(msg_ruri(m, &u), 0);
	ck_assert_str_eq(u, want);
	osip_free(u);
}

static int n_routes(const struct sip_msg *m)
{
	return osip_list_size(&m->sip->routes);
}

static void assert_route(const struct sip_msg *m, int i, const char *want)
{
	osip_route_t *r = osip_list_get(&m->sip->routes, i);
	char *s = NULL;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(osip_route_to_str(r, &s), 0);
	ck_assert_str_eq(s, want);
	osip_free(s);
}

START_TEST(uas_create)
{
	struct dlg *d = uas(INV_LOOSE);

	ck_assert_str_eq(d->handle, "d1");
	ck_assert(!d->is_uac);
	ck_assert_int_eq(d->state, DLG_EARLY);
	ck_assert_str_eq(d->call_id, "c1@a");
	ck_assert_str_eq(d->local_tag, "b7");
	ck_assert_str_eq(d->remote_tag, "a1");
	ck_assert_str_eq(d->local_uri, "sip:bob@b.example");
	ck_assert_str_eq(d->remote_uri, "sip:alice@a.example");
	ck_assert_str_eq(d->remote_target, "sip:alice@192.0.2.1:5070");
	ck_assert_uint_eq(d->n_route, 2);
	ck_assert_str_eq(d->route[0], "<sip:p2.example.com;lr>");
	ck_assert_str_eq(d->route[1], "<sip:p1.example.com;lr>");
	ck_assert_ptr_null(d->strict_uri);
	ck_assert(d->remote_cseq_set);
	ck_assert_uint_eq(d->remote_cseq, 10);
	ck_assert(!d->local_cseq_set);
	ck_assert_int_eq(dlg_confirm(d, NULL), 0);
	ck_assert_int_eq(d->state, DLG_CONFIRMED);
	ck_assert_uint_eq(dlg_table_count(tab), 1);
}
END_TEST

START_TEST(uas_refused)
{
	struct sip_msg *inv = parse(INV_LOOSE);
	struct sip_msg *bad = parse("INVITE sip:bob@b SIP/2.0\r\n"
				    "Via: SIP/2.0/UDP h;branch=z9hG4bKq\r\n"
				    "From: <sip:alice@a.example>\r\nTo: <sip:bob@b.example>\r\n"
				    "Call-ID: c2\r\nCSeq: 1 INVITE\r\n"
				    "Contact: <sip:a@192.0.2.1>\r\n\r\n");
	struct dlg *d = NULL;

	ck_assert_int_eq(dlg_uas_new(tab, &d, inv, "b7"), 0);
	ck_assert_int_eq(dlg_uas_new(tab, &d, inv, "b7"), -EEXIST);
	ck_assert_int_eq(dlg_uas_new(tab, &d, inv, ""), -EINVAL);
	/* No From tag (RFC 2543). */
	ck_assert_int_eq(dlg_uas_new(tab, &d, bad, "b7"), -EINVAL);
	ck_assert_uint_eq(dlg_table_count(tab), 1);
	msg_free(inv);
	msg_free(bad);
}
END_TEST

START_TEST(uac_forks)
{
	struct sip_msg *inv = uac_invite();
	struct sip_msg *r1 = parse(R180_F1), *r2 = parse(R200_F2), *r3;
	struct dlg *d1 = uac(inv, R180_F1), *d2 = uac(inv, R200_F2), *x = NULL;

	ck_assert(d1->is_uac);
	ck_assert_int_eq(d1->state, DLG_EARLY);
	ck_assert_str_eq(d1->local_tag, "u1");
	ck_assert_str_eq(d1->remote_tag, "fork1");
	ck_assert_str_eq(d1->local_uri, "sip:alice@a.example");
	ck_assert_str_eq(d1->remote_uri, "sip:bob@b.example");
	ck_assert_str_eq(d1->remote_target, "sip:bob@192.0.2.20");
	/* §12.1.2: reversed. */
	ck_assert_uint_eq(d1->n_route, 2);
	ck_assert_str_eq(d1->route[0], "<sip:p2.example.com;lr>");
	ck_assert_str_eq(d1->route[1], "<sip:p1.example.com;lr>");
	ck_assert(d1->local_cseq_set);
	ck_assert_uint_eq(d1->local_cseq, 5);
	ck_assert(!d1->remote_cseq_set);

	ck_assert_int_eq(d2->state, DLG_CONFIRMED);
	ck_assert_str_eq(d2->remote_tag, "fork2");
	ck_assert_str_eq(d2->remote_target, "sip:bob@192.0.2.30");
	ck_assert_uint_eq(d2->n_route, 0);
	ck_assert_str_ne(d1->handle, d2->handle);
	ck_assert_uint_eq(dlg_table_count(tab), 2);

	/* Responses match by (Call-ID, From tag, To tag). */
	ck_assert_ptr_eq(dlg_match(tab, r1), d1);
	ck_assert_ptr_eq(dlg_match(tab, r2), d2);
	ck_assert_int_eq(dlg_uac_new(tab, &x, inv, r1), -EEXIST);
	/* 100 and To-less responses make no dialog. */
	r3 = parse(RESP("100 Trying", "fork3", ""));
	ck_assert_int_eq(dlg_uac_new(tab, &x, inv, r3), -EINVAL);
	msg_free(r3);
	/* A 2xx without Contact makes no dialog. */
	r3 = parse(RESP("200 OK", "fork3", ""));
	ck_assert_int_eq(dlg_uac_new(tab, &x, inv, r3), -EINVAL);
	msg_free(r3);

	/* The other fork's non-2xx final... here: end the early one. */
	ck_assert_uint_eq(dlg_table_end_early(tab, "uc1@host", "u1"), 1);
	ck_assert_uint_eq(dlg_table_count(tab), 1);
	ck_assert_ptr_null(dlg_match(tab, r1));
	ck_assert_ptr_eq(dlg_match(tab, r2), d2);
	msg_free(r1);
	msg_free(r2);
	msg_free(inv);
}
END_TEST

START_TEST(uac_confirm_recomputes)
{
	struct sip_msg *inv = uac_invite();
	struct dlg *d = uac(inv, R180_F1);
	struct sip_msg *ok = parse(
	    RESP("200 OK", "fork1",
		 "Record-Route: <sip:p9.example.com;lr>\r\nContact: <sip:bob@192.0.2.21>\r\n"));
	struct sip_msg *nocontact = parse(RESP("200 OK", "fork1", ""));

	ck_assert_int_eq(dlg_confirm(d, nocontact), -EINVAL);
	ck_assert_int_eq(d->state, DLG_EARLY);
	ck_assert_int_eq(dlg_confirm(d, ok), 0);
	ck_assert_int_eq(d->state, DLG_CONFIRMED);
	ck_assert_str_eq(d->remote_target, "sip:bob@192.0.2.21");
	ck_assert_uint_eq(d->n_route, 1);
	ck_assert_str_eq(d->route[0], "<sip:p9.example.com;lr>");
	/* Confirmed dialogs are not ended by a non-2xx. */
	ck_assert_uint_eq(dlg_table_end_early(tab, "uc1@host", "u1"), 0);
	msg_free(ok);
	msg_free(nocontact);
	msg_free(inv);
}
END_TEST

START_TEST(uac_early_without_contact)
{
	struct sip_msg *inv = uac_invite();
	struct dlg *d = uac(inv, RESP("180 Ringing", "fork1", ""));
	struct dlg_local l = local();
	struct sip_msg *m = NULL;

	ck_assert_ptr_null(d->remote_target);
	ck_assert_int_eq(dlg_build_request(&m, d, "UPDATE", &l), -EINVAL);
	msg_free(inv);
}
END_TEST

START_TEST(match_requests)
{
	struct dlg *d = uas(INV_LOOSE);
	struct sip_msg *bye = parse("BYE sip:bob@192.0.2.2 SIP/2.0\r\n"
				    "Via: SIP/2.0/UDP h;branch=z9hG4bKb\r\n"
				    "From: <sip:alice@a.example>;tag=a1\r\n"
				    "To: <sip:bob@b.example>;tag=b7\r\n"
				    "Call-ID: c1@a\r\nCSeq: 11 BYE\r\n\r\n");
	struct sip_msg *wrong_to = parse("BYE sip:bob@192.0.2.2 SIP/2.0\r\n"
					 "Via: SIP/2.0/UDP h;branch=z9hG4bKb\r\n"
					 "From: <sip:alice@a.example>;tag=a1\r\n"
					 "To: <sip:bob@b.example>;tag=zz\r\n"
					 "Call-ID: c1@a\r\nCSeq: 11 BYE\r\n\r\n");
	struct sip_msg *wrong_cid = parse("BYE sip:bob@192.0.2.2 SIP/2.0\r\n"
					  "Via: SIP/2.0/UDP h;branch=z9hG4bKb\r\n"
					  "From: <sip:alice@a.example>;tag=a1\r\n"
					  "To: <sip:bob@b.example>;tag=b7\r\n"
					  "Call-ID: c9@a\r\nCSeq: 11 BYE\r\n\r\n");
	/* Tags swapped: a response would carry them so, a request may not. */
	struct sip_msg *swapped = parse("BYE sip:bob@192.0.2.2 SIP/2.0\r\n"
					"Via: SIP/2.0/UDP h;branch=z9hG4bKb\r\n"
					"From: <sip:alice@a.example>;tag=b7\r\n"
					"To: <sip:bob@b.example>;tag=a1\r\n"
					"Call-ID: c1@a\r\nCSeq: 11 BYE\r\n\r\n");
	struct sip_msg *no_to_tag = parse(INV_LOOSE);

	ck_assert_ptr_eq(dlg_match(tab, bye), d);
	ck_assert_ptr_null(dlg_match(tab, wrong_to));
	ck_assert_ptr_null(dlg_match(tab, wrong_cid));
	ck_assert_ptr_null(dlg_match(tab, swapped));
	ck_assert_ptr_null(dlg_match(tab, no_to_tag));
	/* Removed: no longer matches, still ours to free. */
	dlg_remove(d);
	dlg_remove(d);
	ck_assert_ptr_null(dlg_match(tab, bye));
	ck_assert_uint_eq(dlg_table_count(tab), 0);
	dlg_free(d);
	dlg_free(NULL);
	msg_free(bye);
	msg_free(wrong_to);
	msg_free(wrong_cid);
	msg_free(swapped);
	msg_free(no_to_tag);
}
END_TEST

START_TEST(target_refresh)
{
	struct dlg *d = uas(INV_LOOSE);
	struct sip_msg *reinv =
	    parse("INVITE sip:bob@192.0.2.2 SIP/2.0\r\n"
		  "Via: SIP/2.0/UDP h;branch=z9hG4bKr\r\n"
		  "From: <sip:alice@a.example>;tag=a1\r\n"
		  "To: <sip:bob@b.example>;tag=b7\r\n"
		  "Call-ID: c1@a\r\nCSeq: 12 INVITE\r\n"
		  "Contact: <sip:alice@198.51.100.7:5080;transport=tcp>\r\n\r\n");
	struct sip_msg *bye = parse("BYE sip:bob@192.0.2.2 SIP/2.0\r\n"
				    "Via: SIP/2.0/UDP h;branch=z9hG4bKb\r\n"
				    "From: <sip:alice@a.example>;tag=a1\r\n"
				    "To: <sip:bob@b.example>;tag=b7\r\n"
				    "Call-ID: c1@a\r\nCSeq: 13 BYE\r\n\r\n");

	ck_assert_int_eq(dlg_refresh_target(d, reinv), 0);
	ck_assert_str_eq(d->remote_target, "sip:alice@198.51.100.7:5080;transport=tcp");
	ck_assert_int_eq(dlg_refresh_target(d, bye), -ENOENT);
	ck_assert_str_eq(d->remote_target, "sip:alice@198.51.100.7:5080;transport=tcp");
	msg_free(reinv);
	msg_free(bye);
}
END_TEST

/* A request's header line named name (with ": "), as text; "" if none. */
static void line_of(const char *text, const char *name, char *out, size_t size)
{
	const char *p = strstr(text, name), *e;

	out[0] = '\0';
	if (!p)
		return;
	e = strstr(p, "\r\n");
	snprintf(out, size, "%.*s", (int)(e - p), p);
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The text of method built in d for l. */
static char *built_text(struct dlg *d, const char *method, const struct dlg_local *l)
{
	struct sip_msg *m = NULL;
	char *txt = NULL;
	size_t len;

	ck_assert_int_eq(dlg_build_request(&m, d, method, l), 0);
	ck_assert_int_eq(msg_to_str(m, &txt, &len), 0);
	msg_free(m);
	return txt;
}

/*
 * The lines a dialog keeps for its requests follow each change: a target
 * refresh (the Request-URI), a route set recomputed by the 2xx (§13.2.2.4),
 * a new Contact or User-Agent of ours.
 */
START_TEST(kept_lines_follow)
{
	struct sip_msg *inv = uac_invite();
	struct dlg *d = uac(inv, R180_F1);
	struct sip_msg *ok = parse(
	    RESP("200 OK", "fork1",
		 "Record-Route: <sip:p9.example.com;lr>\r\nContact: <sip:bob@192.0.2.21>\r\n"));
	struct sip_msg *reinv = parse("INVITE sip:alice@192.0.2.10 SIP/2.0\r\n"
				      "Via: SIP/2.0/UDP h;branch=z9hG4bKr\r\n"
				      "From: <sip:bob@b.example>;tag=fork1\r\n"
				      "To: <sip:alice@a.example>;tag=u1\r\n"
				      "Call-ID: uc1@host\r\nCSeq: 3 INVITE\r\n"
				      "Contact: <sip:bob@198.51.100.7:5080>\r\n\r\n");
	struct dlg_local l = local();
	char *t, line[256];

	t = built_text(d, "INFO", &l); /* early: the 180's route set, reversed (§12.1.2) */
	line_of(t, "Route: ", line, sizeof(line));
	ck_assert_str_eq(line, "Route: <sip:p2.example.com;lr>");
	ck_assert_ptr_nonnull(strstr(t, "\r\nRoute: <sip:p1.example.com;lr>\r\n"));
	ck_assert_ptr_nonnull(strstr(t, "Contact: <sip:me@192.0.2.10>\r\n"));
	free(t);

	ck_assert_int_eq(dlg_confirm(d, ok), 0);
	t = built_text(d, "BYE", &l);
	ck_assert(starts(t, "BYE sip:bob@192.0.2.21 SIP/2.0\r\n"));
	line_of(t, "Route: ", line, sizeof(line));
	ck_assert_str_eq(line, "Route: <sip:p9.example.com;lr>");
	ck_assert_ptr_null(strstr(t, "p1.example.com"));
	free(t);

	ck_assert_int_eq(dlg_refresh_target(d, reinv), 0);
	l.contact = "sip:me@192.0.2.11:5070";
	l.user_agent = "sipuad/2";
	t = built_text(d, "BYE", &l);
	ck_assert(starts(t, "BYE sip:bob@198.51.100.7:5080 SIP/2.0\r\n"));
	ck_assert_ptr_nonnull(strstr(t, "\r\nContact: <sip:me@192.0.2.11:5070>\r\n"));
	ck_assert_ptr_nonnull(strstr(t, "\r\nUser-Agent: sipuad/2\r\n"));
	ck_assert_ptr_nonnull(strstr(t, "\r\nRoute: <sip:p9.example.com;lr>\r\n"));
	free(t);
	l.user_agent = NULL;
	t = built_text(d, "BYE", &l);
	ck_assert_ptr_null(strstr(t, "User-Agent"));
	free(t);
	msg_free(reinv);
	msg_free(ok);
	msg_free(inv);
}
END_TEST

static struct sip_msg *req_cseq(const char *method, unsigned cseq)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
		 "%s sip:bob@192.0.2.2 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP h;branch=z9hG4bKc%u\r\n"
		 "From: <sip:alice@a.example>;tag=a1\r\n"
		 "To: <sip:bob@b.example>;tag=b7\r\n"
		 "Call-ID: c1@a\r\nCSeq: %u %s\r\n\r\n",
		 method, cseq, cseq, method);
	return parse(buf);
}

static int check_cseq(struct dlg *d, const char *method, unsigned cseq)
{
	struct sip_msg *m = req_cseq(method, cseq);
	int rc = dlg_check_remote_cseq(d, m);

	msg_free(m);
	return rc;
}

START_TEST(cseq_rules)
{
	struct dlg *d = uas(INV_LOOSE);
	struct sip_msg *inv = uac_invite();
	struct dlg *u = uac(inv, R200_F2);
	uint32_t c1, c2;

	/* UAS: empty local CSeq, random start in [1, 2^30], then +1. */
	ck_assert_int_eq(dlg_next_cseq(d, &c1), 0);
	ck_assert_uint_ge(c1, 1);
	ck_assert_uint_le(c1, 0x40000000u);
	ck_assert_int_eq(dlg_next_cseq(d, &c2), 0);
	ck_assert_uint_eq(c2, c1 + 1);
	/* UAC: from the INVITE's CSeq. */
	ck_assert_int_eq(dlg_next_cseq(u, &c1), 0);
	ck_assert_uint_eq(c1, 6);
	/* Never 2^31 (§8.1.1.5). */
	d->local_cseq = 0x7ffffffeu;
	ck_assert_int_eq(dlg_next_cseq(d, &c1), 0);
	ck_assert_uint_eq(c1, 0x7fffffffu);
	ck_assert_int_eq(dlg_next_cseq(d, &c1), -ERANGE);

	/* Remote (§12.2.2): the INVITE had 10. */
	ck_assert_int_eq(check_cseq(d, "ACK", 10), 0);
	ck_assert_int_eq(check_cseq(d, "INFO", 10), -ERANGE);
	ck_assert_int_eq(check_cseq(d, "INFO", 9), -ERANGE);
	ck_assert_int_eq(check_cseq(d, "INFO", 11), 0);
	ck_assert_uint_eq(d->remote_cseq, 11);
	ck_assert_int_eq(check_cseq(d, "BYE", 11), -ERANGE);
	ck_assert_int_eq(check_cseq(d, "CANCEL", 3), 0);
	ck_assert_uint_eq(d->remote_cseq, 11);
	ck_assert_int_eq(check_cseq(d, "BYE", 40), 0);
	/* UAC before the peer's first request: any value. */
	ck_assert_int_eq(check_cseq(u, "INFO", 1), 0);
	ck_assert_int_eq(check_cseq(u, "INFO", 1), -ERANGE);
	msg_free(inv);
}
END_TEST

START_TEST(build_loose)
{
	struct dlg *d = uas(INV_LOOSE);
	struct sip_msg *bye = build_parse(d, "BYE");

	ck_assert_str_eq(bye->method, "BYE");
	assert_ruri(bye, "sip:alice@192.0.2.1:5070");
	ck_assert_int_eq(n_routes(bye), 2);
	assert_route(bye, 0, "<sip:p2.example.com;lr>");
	assert_route(bye, 1, "<sip:p1.example.com;lr>");
	ck_assert_str_eq(bye->call_id, "c1@a");
	ck_assert_str_eq(bye->from_tag, "b7");
	ck_assert_str_eq(bye->to_tag, "a1");
	ck_assert_uint_eq(bye->cseq, d->local_cseq);
	ck_assert_ptr_nonnull(bye->branch);
	ck_assert_str_eq(msg_header(bye, "Max-Forwards", NULL), "70");
	ck_assert_ptr_nonnull(bye->sip->from->url);
	ck_assert_str_eq(bye->sip->from->url->username, "bob");
	ck_assert_str_eq(bye->sip->to->url->username, "alice");
	msg_free(bye);
}
END_TEST

START_TEST(build_strict)
{
	struct dlg *d = uas(INV_STRICT);
	struct sip_msg *bye, *reinv;

	ck_assert_str_eq(d->strict_uri, "sip:p2.example.com;transport=tcp");
	bye = build_parse(d, "BYE");
	/* §12.2.1.1: Request-URI = first route's URI, parameters kept. */
	assert_ruri(bye, "sip:p2.example.com;transport=tcp");
	ck_assert_int_eq(n_routes(bye), 2);
	assert_route(bye, 0, "<sip:p1.example.com;lr>");
	assert_route(bye, 1, "<sip:alice@192.0.2.1:5070>");
	msg_free(bye);

	/* A target refresh moves the last Route: the dialog's kept lines are made again. */
	reinv = parse("INVITE sip:bob@192.0.2.2 SIP/2.0\r\n"
		      "Via: SIP/2.0/UDP h;branch=z9hG4bKr\r\n"
		      "From: <sip:alice@a.example>;tag=a1\r\n"
		      "To: <sip:bob@b.example>;tag=b7\r\n"
		      "Call-ID: c1@a\r\nCSeq: 12 INVITE\r\n"
		      "Contact: <sip:alice@198.51.100.7:5080>\r\n\r\n");
	ck_assert_int_eq(dlg_refresh_target(d, reinv), 0);
	bye = build_parse(d, "BYE");
	assert_ruri(bye, "sip:p2.example.com;transport=tcp");
	ck_assert_int_eq(n_routes(bye), 2);
	assert_route(bye, 1, "<sip:alice@198.51.100.7:5080>");
	msg_free(bye);
	msg_free(reinv);
}
END_TEST

START_TEST(build_no_route)
{
	struct sip_msg *inv = uac_invite();
	struct dlg *d = uac(inv, R200_F2);
	struct dlg_local l = local();
	struct sip_msg *m = NULL, *ack, *bye, *reinv, *ack2;

	ack = build_parse(d, "ACK");
	ck_assert_uint_eq(ack->cseq, 5);
	ck_assert_str_eq(ack->method, "ACK");
	assert_ruri(ack, "sip:bob@192.0.2.30");
	ck_assert_int_eq(n_routes(ack), 0);
	reinv = build_parse(d, "INVITE");
	ck_assert_uint_eq(reinv->cseq, 6);
	ack2 = build_parse(d, "ACK");
	ck_assert_uint_eq(ack2->cseq, 6);
	bye = build_parse(d, "BYE");
	ck_assert_uint_eq(bye->cseq, 7);
	ck_assert_str_eq(bye->from_tag, "u1");
	ck_assert_str_eq(bye->to_tag, "fork2");
	ck_assert_str_eq(bye->call_id, "uc1@host");
	ck_assert_int_eq(dlg_build_request(&m, d, "CANCEL", &l), -EINVAL);
	msg_free(ack);
	msg_free(ack2);
	msg_free(reinv);
	msg_free(bye);
	msg_free(inv);
}
END_TEST

START_TEST(ack_needs_invite)
{
	struct dlg *d = uas(INV_LOOSE);
	struct dlg_local l = local();
	struct sip_msg *m = NULL;

	ck_assert_int_eq(dlg_build_request(&m, d, "ACK", &l), -EINVAL);
	ck_assert_ptr_null(m);
}
END_TEST

/*
 * A request built but never sent (its challenge could not be answered)
 * gives its CSeq back: the next request takes it (§12.2.1.1).  Not an
 * ACK's, and not once a later request took a higher one.
 */
START_TEST(unbuild_gives_cseq_back)
{
	struct sip_msg *inv = uac_invite();
	struct dlg *d = uac(inv, R200_F2);
	struct sip_msg *bye, *info, *ack, *again;

	bye = build_parse(d, "BYE");
	ck_assert_uint_eq(bye->cseq, 6);
	dlg_unbuild(d, bye);
	again = build_parse(d, "BYE");
	ck_assert_uint_eq(again->cseq, 6);
	info = build_parse(d, "INFO");
	ck_assert_uint_eq(info->cseq, 7);
	dlg_unbuild(d, again); /* 7 was taken since: nothing */
	msg_free(again);
	again = build_parse(d, "INVITE");
	ck_assert_uint_eq(again->cseq, 8);
	ack = build_parse(d, "ACK");
	ck_assert_uint_eq(ack->cseq, 8);
	dlg_unbuild(d, ack); /* an ACK takes no CSeq of its own: 8 stays the INVITE's */
	msg_free(bye);
	bye = build_parse(d, "BYE");
	ck_assert_uint_eq(bye->cseq, 9);
	msg_free(again);
	msg_free(info);
	msg_free(ack);
	msg_free(bye);
	msg_free(inv);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dlg");
	TCase *tc = tcase_create("dlg");

	msg_lib_init();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, uas_create);
	tcase_add_test(tc, uas_refused);
	tcase_add_test(tc, uac_forks);
	tcase_add_test(tc, uac_confirm_recomputes);
	tcase_add_test(tc, uac_early_without_contact);
	tcase_add_test(tc, match_requests);
	tcase_add_test(tc, target_refresh);
	tcase_add_test(tc, kept_lines_follow);
	tcase_add_test(tc, cseq_rules);
	tcase_add_test(tc, build_loose);
	tcase_add_test(tc, build_strict);
	tcase_add_test(tc, build_no_route);
	tcase_add_test(tc, ack_needs_invite);
	tcase_add_test(tc, unbuild_gives_cseq_back);
	suite_add_tcase(s, tc);
	return check_run(s);
}
