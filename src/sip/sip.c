/*
 * sip: the SIP stack object: transports, transactions, and the receive
 * pipeline that joins them (see sip.h for the picture).
 *
 * The pipeline decides the fate of every message that arrives, and logs
 * that decision once: an unparseable datagram or frame is dropped and
 * counted (debug), a response failing its checks is dropped (info), a
 * request failing the §8.2 checks is answered statelessly with the code
 * msg_check_request() chose (info).  Everything else belongs to the
 * transaction layer from here on.
 *
 * Keepalives (sip_keepalive()) are a list of pending pings, each with one
 * timer on the stack's clock: the pong bound, or for a keepalive whose
 * outcome is known at once (UDP, a failed send) a zero timer that reports
 * it from the loop.  The transport counts the pongs awaited per
 * connection and reports each pong by connection id; the stack settles
 * every keepalive pending on that connection, and does the same with the
 * error when the connection is lost.  Every keepalive ends in its timer,
 * a pong, a lost connection, a cancel, or sip_free().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/stats.h"
#include "core/tmr.h"
#include "sip/msg.h"
#include "sip/sip.h"

/* Lines a peer causes, rate-limited (log.h); stats counts each class. */
static struct log_rl rl_bad_ack = LOG_RL_INIT("bad_ack", "malformed ACKs dropped", LOG_RL_PEER);
static struct log_rl rl_bad_request =
    LOG_RL_INIT("bad_request", "malformed requests answered", LOG_RL_PEER);
static struct log_rl rl_bad_response =
    LOG_RL_INIT("bad_response", "malformed responses dropped", LOG_RL_PEER);

struct sip {
	struct tp *tp;
	struct tsx_layer *tsx;
	struct tmr_clock *clk;
	struct stats *st;
	struct tsx_user user; /* arg NULL: no user yet */
	tsx_send_fn *send; /* NULL: the transport */
	void *send_arg;
	struct sip_keepalive *kas; /* pending keepalives, newest first */
};

struct sip_keepalive {
	struct sip *s;
	struct sip_keepalive *next, **pprev; /* in s->kas, or a list being settled */
	uint64_t conn;	/* the connection awaiting our pong; 0: none (outcome known) */
	int result;	/* conn 0: what the timer reports */
	struct tmr tmr; /* the pong bound, or 0 ms to report result */
	sip_keepalive_fn *done;
	void *arg;
};

/* The transaction layer's way down: into the transport, counted. */
static int send_bytes(void *arg, struct sip_dest *d, const char *buf, size_t len)
{
	struct sip *s = arg;
	int err = s->send ? s->send(s->send_arg, d, buf, len) : tp_send(s->tp, d, buf, len);

	if (err < 0)
		s->st->tx_errors++;
	else
		stats_count_wire(&s->st->tx, buf, len);
	return err;
}

/* Only CR, LF and blanks: a keepalive, not a message. */
static bool is_blank(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != '\r' && buf[i] != '\n' && buf[i] != ' ' && buf[i] != '\t')
			return false;
	return true;
}

/*
 * A request that failed the §8.2 checks: answered statelessly with the
 * code the checks chose, and logged once with what became of it.  An ACK
 * is never answered (it has no response, §17.1.1.3), so a bad one is
 * dropped, and counted with the malformed messages.
 */
static void on_bad_request(struct sip *s, struct sip_msg *m, const struct msg_err *e)
{
	char a[NET_ADDR_STRLEN];
	const char *what = m->method ? m->method : "request";
	int err;

	if (e->code == 513)
		s->st->rx_oversize++;
	net_addr_fmt(&m->src.addr, a, sizeof(a));
	if (m->method && strcmp(m->method, "ACK") == 0) {
		/* Nothing answers it: counted with what is dropped, not answered. */
		s->st->rx_malformed++;
		log_rl_info(&rl_bad_ack, "ACK from %s:%s dropped: %d %s",
			    net_proto_name(m->src.proto), a, e->code, e->reason);
		msg_free(m);
		return;
	}
	s->st->rx_bad_requests++;
	if ((err = tsx_reply_stateless(s->tsx, m, e)) < 0)
		log_rl_info(&rl_bad_request,
			    "%s from %s:%s failed the checks (%d %s); the answer could not be sent: %s",
			    what, net_proto_name(m->src.proto), a, e->code, e->reason, strerror(-err));
	else
		log_rl_info(&rl_bad_request, "%s from %s:%s answered %d %s", what,
			    net_proto_name(m->src.proto), a, e->code, e->reason);
	msg_free(m);
}

void sip_recv(struct sip *s, const struct tp_pkt *pkt)
{
	struct sip_msg *m = NULL;
	struct msg_err e;
	const char *why;
	char a[NET_ADDR_STRLEN];

	if (is_blank(pkt->buf, pkt->len))
		return;
	if (msg_parse(&m, pkt->buf, pkt->len, pkt->oversize) < 0) {
		s->st->rx_malformed++;
		log_debug("%s: unparseable %zu bytes from %s dropped", net_proto_name(pkt->src.proto),
		    pkt->len, net_addr_fmt(&pkt->src.addr, a, sizeof(a)));
		return;
	}
	stats_count(&s->st->rx, m->is_request ? m->method : NULL, m->status);
	m->src = pkt->src;
	if (!m->is_request) {
		s->st->rx_responses++;
		if (!msg_check_response(m, &why)) {
			s->st->rx_bad_responses++;
			log_rl_info(&rl_bad_response, "response from %s dropped: %s",
				    net_addr_fmt(&m->src.addr, a, sizeof(a)), why);
			msg_free(m);
			return;
		}
		tsx_layer_recv(s->tsx, m);
		return;
	}
	s->st->rx_requests++;
	if (m->via_host)
		msg_stamp_via(m);
	if (!msg_check_request(m, &e)) {
		on_bad_request(s, m, &e);
		return;
	}
	tsx_layer_recv(s->tsx, m);
}

static void on_packet(void *arg, const struct tp_pkt *pkt)
{
	sip_recv(arg, pkt);
}

/* ---- keepalives ------------------------------------------------------ */

static void ka_link(struct sip_keepalive *k, struct sip_keepalive **head)
{
	k->next = *head;
	if (k->next)
		k->next->pprev = &k->next;
	k->pprev = head;
	*head = k;
}

static void ka_unlink(struct sip_keepalive *k)
{
	*k->pprev = k->next;
	if (k->next)
		k->next->pprev = k->pprev;
	k->next = NULL;
	k->pprev = NULL;
}

static void ka_free(struct sip_keepalive *k)
{
	ka_unlink(k);
	tmr_close(&k->tmr);
	free(k);
}

/* k ends with err: freed, then its owner told. */
static void ka_finish(struct sip_keepalive *k, int err)
{
	sip_keepalive_fn *done = k->done;
	void *arg = k->arg;

	ka_free(k);
	done(arg, err);
}

/*
 * Every keepalive awaiting a pong on conn ends with err.  They move to a
 * list of their own first, so that a done callback may start keepalives
 * (they wait for a pong of their own) or cancel any of those not told yet.
 */
static void ka_settle(struct sip *s, uint64_t conn, int err)
{
	struct sip_keepalive *todo = NULL, *k, *next;

	for (k = s->kas; k; k = next) {
		next = k->next;
		if (k->conn != conn || conn == 0)
			continue;
		ka_unlink(k);
		ka_link(k, &todo);
	}
	while ((k = todo))
		ka_finish(k, err);
}

static void on_pong(void *arg, uint64_t conn)
{
	ka_settle(arg, conn, 0);
}

/*
 * Connection conn is gone: its keepalives fail first (their users may
 * register again at once), then its transactions (RFC 3261 §17.1.4).
 */
static void conn_lost(struct sip *s, uint64_t conn, int err)
{
	char why[256];

	ka_settle(s, conn, err < 0 ? err : -ECONNRESET);
	tsx_layer_conn_closed(s->tsx, conn, err,
			      tp_conn_why(s->tp, conn, why, sizeof(why)) == 0 ? why : NULL);
}

static void on_conn(void *arg, uint64_t conn, int err)
{
	conn_lost(arg, conn, err);
}

/*
 * The timer: the outcome known at start, or the pong bound.  RFC 5626
 * §4.4.1: no pong in time, the flow has failed: we close it ourselves,
 * and everyone on it hears so as from the transport.
 */
static void ka_timer(void *arg)
{
	struct sip_keepalive *k = arg;
	struct sip *s = k->s;
	uint64_t conn = k->conn;

	if (conn == 0) {
		ka_finish(k, k->result);
		return;
	}
	log_debug("tcp%" PRIu64 ": no keepalive pong in time, closing", conn);
	if (tp_conn_close(s->tp, conn) == 0)
		conn_lost(s, conn, -ETIMEDOUT);
	else
		ka_finish(k, -ETIMEDOUT);
}

int sip_keepalive(struct sip *s, const struct sip_dest *d, unsigned pong_timeout_ms,
    sip_keepalive_fn *done, void *arg, struct sip_keepalive **kp)
{
	struct sip_keepalive *k = calloc(1, sizeof(*k));
	struct sip_dest to = *d;
	int err;

	if (!k)
		return -ENOMEM;
	k->s = s;
	k->done = done;
	k->arg = arg;
	tmr_init(&k->tmr, s->clk, ka_timer, k);
	if ((err = tp_ping(s->tp, &to)) < 0)
		s->st->tx_errors++;
	if (err == 0 && to.proto != NET_UDP && to.conn != 0)
		k->conn = to.conn;
	else
		k->result = err;
	if (tmr_start(&k->tmr, k->conn ? pong_timeout_ms : 0) < 0) {
		tmr_close(&k->tmr);
		free(k);
		return -ENOMEM;
	}
	ka_link(k, &s->kas);
	*kp = k;
	return 0;
}

int sip_keepalive_cb(void *s, const struct sip_dest *d, unsigned pong_timeout_ms,
    sip_keepalive_fn *done, void *arg, struct sip_keepalive **kp)
{
	return sip_keepalive(s, d, pong_timeout_ms, done, arg, kp);
}

void sip_keepalive_cancel(struct sip_keepalive *k)
{
	if (k)
		ka_free(k);
}

/*
 * The transaction user's callbacks, through the stack so that the user can
 * register after the layers exist.  Until it does, a request is refused as
 * a method we do not implement (§8.2.1), and the rest is dropped: nothing
 * of ours is waiting for it.
 */
static void user_request(void *arg, struct tsx *st, const struct sip_msg *req)
{
	struct sip *s = arg;

	if (s->user.request)
		s->user.request(s->user.arg, st, req);
	else
		tsx_respond_code(st, 501, NULL, NULL);
}

static void user_ack(void *arg, const struct sip_msg *ack)
{
	struct sip *s = arg;

	if (s->user.ack)
		s->user.ack(s->user.arg, ack);
}

static void user_stray(void *arg, const struct sip_msg *resp)
{
	struct sip *s = arg;

	if (s->user.stray_response)
		s->user.stray_response(s->user.arg, resp);
}

int sip_new(struct sip **sp, struct event_base *base, struct tmr_clock *clk,
    const struct sip_cfg *cfg, struct stats *st)
{
	struct sip *s = calloc(1, sizeof(*s));
	struct tsx_user up = {user_request, user_ack, user_stray, NULL};
	int err = -ENOMEM;

	if (!s)
		return -ENOMEM;
	s->st = st;
	s->clk = clk;
	up.arg = s;
	if ((err = tsx_layer_new(&s->tsx, clk, &cfg->tsx, send_bytes, s, &up, st)) < 0 ||
	    (err = tp_new(&s->tp, base, &cfg->tp, on_packet, on_conn, s, st)) < 0) {
		sip_free(s);
		return err;
	}
	tp_set_pong_cb(s->tp, on_pong);
	*sp = s;
	return 0;
}

void sip_free(struct sip *s)
{
	if (!s)
		return;
	while (s->kas)
		ka_free(s->kas);
	/* Sockets first: nothing arrives for a transaction layer being torn down. */
	tp_free(s->tp);
	tsx_layer_free(s->tsx);
	free(s);
}

void sip_set_cfg(struct sip *s, const struct sip_cfg *cfg)
{
	tsx_layer_set_cfg(s->tsx, &cfg->tsx);
	tp_set_opts(s->tp, &cfg->tp);
}

void sip_set_user(struct sip *s, const struct tsx_user *user)
{
	s->user = *user;
}

void sip_set_send(struct sip *s, tsx_send_fn *send, void *arg)
{
	s->send = send;
	s->send_arg = arg;
}

int sip_listen(struct sip *s, enum net_proto proto, const struct net_addr *a,
    struct net_addr *bound)
{
	return tp_listen(s->tp, proto, a, bound);
}

struct tsx_layer *sip_tsx(const struct sip *s)
{
	return s->tsx;
}

int sip_local(const struct sip *s, enum net_proto proto, int family, struct net_addr *out)
{
	int err = tp_local(s->tp, proto, family, out);

	/* TLS as a client only: our sent-by is another listener's (see sip.h). */
	if (err == -ENOENT && proto == NET_TLS && (err = tp_local(s->tp, NET_TCP, family, out)))
		err = tp_local(s->tp, NET_UDP, family, out);
	return err;
}

int sip_local_cb(void *s, enum net_proto proto, int family, struct net_addr *out)
{
	return sip_local(s, proto, family, out);
}

unsigned sip_tsx_count(const struct sip *s)
{
	return tsx_layer_count(s->tsx);
}

unsigned sip_conn_count(const struct sip *s)
{
	return tp_conn_count(s->tp);
}

int sip_tls_set(struct sip *s, const struct tp_tls_cfg *c, char *why, size_t whylen)
{
	return tp_tls_set(s->tp, c, why, whylen);
}

int sip_conn_info(const struct sip *s, uint64_t conn, struct tp_conn_info *out)
{
	return tp_conn_info(s->tp, conn, out);
}

void sip_conn_foreach(const struct sip *s, void (*fn)(void *arg, const struct tp_conn_info *ci),
		      void *arg)
{
	tp_conn_foreach(s->tp, fn, arg);
}

int sip_conn_why(const struct sip *s, uint64_t conn, char *buf, size_t size)
{
	return tp_conn_why(s->tp, conn, buf, size);
}

unsigned sip_tls_conn_count(const struct sip *s)
{
	return tp_tls_conn_count(s->tp);
}
