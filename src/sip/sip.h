/*
 * sip: the SIP stack object.  Owns the transports (tp) and the transaction
 * layer (tsx), and the receive pipeline between them:
 *
 *   bytes from tp --> parse --> response: checks, then to its client
 *                          |               transaction (or dropped, counted)
 *                          `-> request:  Via stamp (§18.2.1), §8.2 checks
 *                                        (a bad one answered statelessly),
 *                                        then the transaction layer, which
 *                                        hands new requests to the user
 *
 * and the way down: everything the transaction layer sends goes through
 * one send function into tp, counted per method and status code as it
 * crosses the wire.  The UA core registers itself as the transaction user
 * (sip_set_user): that is how it hears of requests.  Above this object
 * nobody needs tp or the parser; below it nothing knows of calls.
 *
 * Keepalives (RFC 5626 §4.4.1) are the stack's too, because their
 * failure is a transport event that transactions must hear of:
 *
 *   UA  --- CRLFCRLF --->  registrar      sip_keepalive()
 *       <--- CRLF -------                 pong: done(arg, 0)
 *   ... or no CRLF within 10 s: the flow has failed; the connection is
 *   closed, its transactions fail (RFC 3261 §17.1.4) and done(arg, -ETIMEDOUT)
 */
#ifndef SIPUAD_SIP_H
#define SIPUAD_SIP_H

#include <stdint.h>

#include "core/net.h"
#include "sip/tp.h"
#include "sip/tsx.h"

struct event_base;
struct stats;
struct tmr_clock;
struct sip;

/* The stack's view of the config: one struct, filled in one place (app/). */
struct sip_cfg {
	struct tsx_cfg tsx; /* tsx.server is the Server / User-Agent value */
	struct tp_opts tp;
};

/*
 * A stack on base and clk, counting into st (kept, not owned).  No
 * listener yet (sip_listen) and no user: requests are answered 501 until
 * sip_set_user().  0 or -ENOMEM.
 */
int sip_new(struct sip **sp, struct event_base *base, struct tmr_clock *clk,
    const struct sip_cfg *cfg, struct stats *st);
/*
 * Closes every socket and ends every transaction and keepalive without
 * callbacks. NULL: no-op.
 */
void sip_free(struct sip *s);
/* Apply a reloaded config: new timers and bounds apply to what starts afterwards. */
void sip_set_cfg(struct sip *s, const struct sip_cfg *cfg);
/* The transaction user (the UA core): new requests, 2xx ACKs, stray responses. */
void sip_set_user(struct sip *s, const struct tsx_user *user);

/*
 * Send through send (arg its first argument) instead of the transport,
 * still counted: the unit tests' capture.  NULL restores the transport.
 */
void sip_set_send(struct sip *s, tsx_send_fn *send, void *arg);

/*
 * Bind and listen on proto:a (port 0: a free port; *bound, may be NULL,
 * gets the real address).  0 or -errno.
 */
int sip_listen(struct sip *s, enum net_proto proto, const struct net_addr *a,
    struct net_addr *bound);

/*
 * The receive pipeline, as the transport runs it for every datagram or
 * framed TCP message (public so that the fuzzer runs the real thing).
 */
void sip_recv(struct sip *s, const struct tp_pkt *pkt);

/* The transaction layer requests and responses go through. */
struct tsx_layer *sip_tsx(const struct sip *s);
/*
 * Our address for Via and Contact toward proto/family: the first listener
 * of that kind (a wildcard listener's address as bound).  TLS without a
 * tls: listener (no certificate: a client only) takes the first TCP, else
 * UDP, listener's: responses and the dialog's requests come back on the
 * connections we open (RFC 3261 §18.2.2), but a peer that would open a
 * new TLS connection to us cannot.  0 or -ENOENT.
 */
int sip_local(const struct sip *s, enum net_proto proto, int family, struct net_addr *out);
/* The same, with a void * first argument for the layers' local-address callbacks. */
int sip_local_cb(void *s, enum net_proto proto, int family, struct net_addr *out);

/*
 * RFC 5626 §4.4.1: "If a pong is not received within 10 seconds, the flow
 * has failed."
 */
#define SIP_PONG_TIMEOUT_MS 10000

struct sip_keepalive;

/*
 * How a keepalive ended: 0 (pong, or for UDP the datagram sent), or
 * -errno.  The keepalive is gone when this runs: the caller forgets its
 * pointer here.
 */
typedef void(sip_keepalive_fn)(void *arg, int err);

/*
 * A keepalive toward d (RFC 5626 §4.4.1), always through the transport
 * (sip_set_send() does not capture it), its outcome always through done,
 * from the loop, never inside this call.
 * Stream (d->proto TCP): CRLFCRLF on d->conn, else on the open connection
 * to d->addr, else a new one; then done(arg, 0) when the CRLF pong comes
 * on that connection, or, after pong_timeout_ms without one, the
 * connection is closed, its transactions told (as for any lost
 * connection), and done(arg, -ETIMEDOUT).  The connection closing first:
 * done(arg, -errno) (an orderly close: -ECONNRESET).
 * UDP: one CRLF datagram, no answer awaited: done(arg, 0).
 * A send that fails: done(arg, -errno), as tp_send() fails.
 * Each caller keeps at most one keepalive pending, so that its pong bound
 * measures one ping; several callers may ping one connection (a pong
 * there answers all of them).  *kp (the caller's, written on success)
 * lets it sip_keepalive_cancel().  0, or -ENOMEM (nothing sent, no call
 * of done).
 */
int sip_keepalive(struct sip *s, const struct sip_dest *d, unsigned pong_timeout_ms,
    sip_keepalive_fn *done, void *arg, struct sip_keepalive **kp);
/* The same, with a void * first argument for the layers' keepalive callbacks. */
int sip_keepalive_cb(void *s, const struct sip_dest *d, unsigned pong_timeout_ms,
    sip_keepalive_fn *done, void *arg, struct sip_keepalive **kp);
/* No call of done from now on (a pong still to come is ignored).  NULL: no-op. */
void sip_keepalive_cancel(struct sip_keepalive *k);

unsigned sip_tsx_count(const struct sip *s);
unsigned sip_conn_count(const struct sip *s);

/*
 * TLS, as the transport has it (tp.h): the settings for the connections
 * made from now on (start, reload; on failure the old ones stay), what is
 * known of one connection or of each, why one failed, how many are TLS.
 */
int sip_tls_set(struct sip *s, const struct tp_tls_cfg *c, char *why, size_t whylen);
int sip_conn_info(const struct sip *s, uint64_t conn, struct tp_conn_info *out);
void sip_conn_foreach(const struct sip *s, void (*fn)(void *arg, const struct tp_conn_info *ci),
    void *arg);
int sip_conn_why(const struct sip *s, uint64_t conn, char *buf, size_t size);
unsigned sip_tls_conn_count(const struct sip *s);

#endif
