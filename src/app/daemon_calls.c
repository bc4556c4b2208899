/*
 * daemon_calls: the control commands on calls (CTL_CMDS_CALLS: call,
 * answer, reject, hangup, hold, resume, calls, call-info) and the call
 * layer's news as control events (call.incoming, call.state, call.update).
 *
 * Every command names its call by handle; an unknown one is not_found
 * "call".  The call layer says which argument it refuses and what kind of
 * refusal it is (struct why); daemon_ctl_reply_why() turns that into the
 * control error, so no message is read back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/daemon_ctl.h"
#include "app/daemon_int.h"
#include "core/why.h"
#include "ctl/ctl.h"
#include "ctl_proto.h"
#include "ua/call.h"

/* Set key to s when s is not NULL. */
static void set_str(json_t *o, const char *key, const char *s)
{
	if (s)
		json_object_set_new(o, key, json_string(s));
}

/* s, or null for "": a field the connection does not have (yet). */
static json_t *str_or_null(const char *s)
{
	return s[0] ? json_string(s) : json_null();
}

json_t *daemon_tls_json(const struct tp_conn_info *ci)
{
	return json_pack("{s:o, s:b, s:b, s:b, s:o, s:o, s:o}", "subject",
			 str_or_null(ci->subject), "secure", ci->secure, "verified", ci->verified,
			 "resumed", ci->resumed, "server_name", str_or_null(ci->server_name),
			 "version", str_or_null(ci->version), "cipher", str_or_null(ci->cipher));
}

/* "tls": the signalling hop's TLS peer (null: not TLS), "srtp_keys": how the keys went. */
static void set_tls(json_t *o, const struct call_info *ci)
{
	json_object_set_new(o, "tls", ci->tls ? daemon_tls_json(&ci->tls_conn) : json_null());
	json_object_set_new(o, "srtp_keys", ci->srtp_keys ? json_string(ci->srtp_keys) : json_null());
}

static const char *const event_names[] = {
	[CALL_EV_INCOMING] = "call.incoming", [CALL_EV_STATE] = "call.state",
	[CALL_EV_UPDATE] = "call.update",     [CALL_EV_MEDIA] = "media.started",
	[CALL_EV_DTMF] = "call.dtmf",	      [CALL_EV_PLAY] = "play.done",
	[CALL_EV_RECORD] = "record.done",
};

void daemon_call_event(void *arg, const struct call *c, const struct call_event_info *e)
{
	struct daemon *dm = arg;
	struct call_info ci;
	const char *name;
	json_t *f;

	if ((unsigned)e->ev >= sizeof(event_names) / sizeof(event_names[0]) ||
	    !(name = event_names[e->ev]))
		return;
	/* Nobody listening: the event takes its seq and costs nothing more. */
	if (!ctl_event_wanted(dm->ctl, name)) {
		ctl_event_skip(dm->ctl);
		return;
	}
	f = json_object();
	call_info(c, &ci);
	json_object_set_new(f, "call", json_string(ci.handle));
	switch (e->ev) {
	case CALL_EV_INCOMING:
		set_str(f, "account", ci.account);
		set_str(f, "from", ci.peer);
		set_str(f, "to", ci.local_uri);
		set_str(f, "call_id", ci.call_id);
		set_str(f, "source", ci.source);
		ctl_event(dm->ctl, name, f);
		return;
	case CALL_EV_STATE:
		set_str(f, "state", e->state);
		json_object_set_new(f, "direction", json_string(ci.outgoing ? "out" : "in"));
		set_str(f, "peer", ci.peer);
		if (e->code)
			json_object_set_new(f, "code", json_integer(e->code));
		set_str(f, "reason", e->reason);
		set_str(f, "by", e->by);
		if (ci.codec)
			set_str(f, "codec", ci.codec);
		if (strcmp(e->state, "ended") == 0 && ci.media.valid &&
		    (ci.media.rx_packets || ci.media.tx_packets))
			json_object_set_new(f, "quality", daemon_media_json(&ci));
		ctl_event(dm->ctl, name, f);
		return;
	case CALL_EV_UPDATE:
		json_object_set_new(f, "ok", json_false());
		json_object_set_new(f, "code", json_integer(e->code));
		set_str(f, "reason", e->reason);
		set_str(f, "what", e->what);
		ctl_event(dm->ctl, name, f);
		return;
	case CALL_EV_MEDIA:
		set_str(f, "codec", ci.codec);
		set_str(f, "local_rtp", ci.local_rtp);
		set_str(f, "remote_rtp", ci.remote_rtp);
		json_object_set_new(f, "srtp", ci.srtp ? json_string(ci.srtp) : json_null());
		set_tls(f, &ci);
		json_object_set_new(f, "hold", json_string(ci.local_hold && ci.remote_hold ? "both"
							  : ci.local_hold		 ? "local"
							  : ci.remote_hold		 ? "remote"
											 : "none"));
		ctl_event(dm->ctl, name, f);
		return;
	case CALL_EV_DTMF: {
		char d[2] = {e->digit, '\0'};

		set_str(f, "digit", d);
		set_str(f, "source", e->source);
		if (e->duration_ms)
			json_object_set_new(f, "duration_ms", json_integer(e->duration_ms));
		ctl_event(dm->ctl, name, f);
		return;
	}
	case CALL_EV_PLAY:
		set_str(f, "file", e->path);
		set_str(f, "reason", e->reason);
		ctl_event(dm->ctl, name, f);
		return;
	case CALL_EV_RECORD:
		set_str(f, "path", e->path);
		json_object_set_new(f, "seconds", json_real(e->seconds));
		set_str(f, "error", e->reason);
		ctl_event(dm->ctl, name, f);
		return;
	}
	json_decref(f);
}

/*
 * An SDP with the SDES keys hidden: every "inline:KEY" of an a=crypto line
 * becomes "inline:[hidden]" (RFC 4568 keys never leave the daemon but on
 * the wire).
 */
static void set_sdp(json_t *o, const char *key, const char *sdp)
{
	const char *p, *q;
	char *out, *w;

	if (!sdp)
		return;
	if (!strstr(sdp, "inline:")) {
		json_object_set_new(o, key, json_string(sdp));
		return;
	}
	if (!(out = malloc(strlen(sdp) * 2 + 16)))
		return;
	for (p = sdp, w = out; (q = strstr(p, "inline:")); p = q) {
		memcpy(w, p, (size_t)(q - p) + 7);
		w += q - p + 7;
		w += sprintf(w, "[hidden]");
		q += 7;
		q += strcspn(q, "|\r\n ");
	}
	strcpy(w, p);
	json_object_set_new(o, key, json_string(out));
	free(out);
}

/* A number rounded to 0.01, so that figures read well in JSON. */
static json_t *num(double v)
{
	return json_real((double)(long long)(v * 100 + (v < 0 ? -0.5 : 0.5)) / 100);
}

/* The media figures of a call: what call-info shows and the ended event carries. */
json_t *daemon_media_json(const struct call_info *ci)
{
	const struct media_stats *s = &ci->media;
	json_t *o = json_object(), *d = json_object();

	json_object_set_new(o, "rx_packets", json_integer((json_int_t)s->rx_packets));
	json_object_set_new(o, "rx_bytes", json_integer((json_int_t)s->rx_bytes));
	json_object_set_new(o, "tx_packets", json_integer((json_int_t)s->tx_packets));
	json_object_set_new(o, "tx_bytes", json_integer((json_int_t)s->tx_bytes));
	json_object_set_new(o, "lost", json_integer((json_int_t)s->lost));
	json_object_set_new(o, "loss_pct", num(s->loss_pct));
	json_object_set_new(o, "fraction_lost", json_integer(s->fraction));
	json_object_set_new(o, "jitter_ms", num(s->jitter_ms));
	json_object_set_new(o, "rtt_ms", s->rtt_ms >= 0 ? num(s->rtt_ms) : json_null());
	json_object_set_new(o, "remote_loss_pct",
			    s->remote_loss_pct >= 0 ? num(s->remote_loss_pct) : json_null());
	json_object_set_new(o, "remote_jitter_ms",
			    s->remote_jitter_ms >= 0 ? num(s->remote_jitter_ms) : json_null());
	json_object_set_new(o, "jitter_buffer_ms", json_integer(s->jitter_delay_ms));
	json_object_set_new(o, "mos", s->rx_packets ? num(s->mos) : json_null());
	json_object_set_new(o, "r_factor", s->rx_packets ? num(s->r) : json_null());
	json_object_set_new(o, "rtcp_rx", json_integer((json_int_t)s->rtcp_rx));
	json_object_set_new(o, "rtcp_tx", json_integer((json_int_t)s->rtcp_tx));
	json_object_set_new(d, "source", json_integer((json_int_t)s->drop_source));
	json_object_set_new(d, "payload_type", json_integer((json_int_t)s->drop_pt));
	json_object_set_new(d, "ssrc", json_integer((json_int_t)s->drop_ssrc));
	json_object_set_new(d, "malformed", json_integer((json_int_t)s->drop_malformed));
	json_object_set_new(d, "srtp_auth", json_integer((json_int_t)s->drop_srtp_auth));
	json_object_set_new(d, "srtp_replay", json_integer((json_int_t)s->drop_srtp_replay));
	json_object_set_new(d, "late", json_integer((json_int_t)s->late));
	json_object_set_new(d, "rtcp", json_integer((json_int_t)s->drop_rtcp));
	json_object_set_new(o, "dropped", d);
	json_object_set_new(o, "concealed_ms", json_integer((json_int_t)s->concealed_ms));
	return o;
}

/* The call named by the "call" argument, or an error reply and NULL. */
static struct call *arg_call(struct daemon *dm, struct ctl_req *req)
{
	const char *h = json_string_value(json_object_get(req->args, "call"));
	struct call *c = h ? call_find(dm->calls, h) : NULL;

	if (!c)
		ctl_reply_err(req, CTL_ERR_NOT_FOUND, "call", "no call %s", h ? h : "");
	return c;
}

void daemon_calls_call(struct daemon *dm, struct ctl_req *req)
{
	const char *to = json_string_value(json_object_get(req->args, "to"));
	const char *account = json_string_value(json_object_get(req->args, "account"));
	json_t *hs = json_object_get(req->args, "header"), *v;
	size_t n = json_array_size(hs), i;
	const char **headers = n ? calloc(n, sizeof(*headers)) : NULL;
	struct call *c = NULL;
	struct call_info ci;
	struct why why;
	int err;

	if (n && !headers) {
		ctl_reply_err(req, CTL_ERR_FAILED, NULL, "out of memory");
		return;
	}
	json_array_foreach(hs, i, v)
		headers[i] = json_string_value(v); /* strings: the table says so */
	err = call_place(dm->calls, to, account, headers, n, &c, &why);
	free(headers);
	if (err < 0) {
		daemon_ctl_reply_why(req, err, &why);
		return;
	}
	call_info(c, &ci);
	ctl_reply_ok(req, json_pack("{s:s, s:s, s:s}", "call", ci.handle, "call_id", ci.call_id,
				    "to", ci.peer));
}

/* A command on one call: fn(c, arg, why) gives 0 or -errno with why. */
typedef int(call_cmd_fn)(struct call *c, int arg, struct why *why);

static int do_answer(struct call *c, int arg, struct why *why)
{
	(void)arg;
	return call_answer(c, why);
}

static int do_reject(struct call *c, int code, struct why *why)
{
	return call_reject(c, code, why);
}

static int do_hangup(struct call *c, int arg, struct why *why)
{
	(void)arg;
	return call_hangup(c, why);
}

static int do_hold(struct call *c, int hold, struct why *why)
{
	return call_hold(c, hold != 0, why);
}

/*
 * Run fn on the call named by "call" and reply {"call": handle}, or the
 * refusal as the call layer types it.  The handle is copied first: fn may
 * end and free the call.
 */
static void call_cmd(struct daemon *dm, struct ctl_req *req, call_cmd_fn *fn, int arg)
{
	struct call *c = arg_call(dm, req);
	struct why why = {0};
	char h[16];
	int err;

	if (!c)
		return;
	snprintf(h, sizeof(h), "%s", call_handle(c));
	if ((err = fn(c, arg, &why)) == 0)
		ctl_reply_ok(req, json_pack("{s:s}", "call", h));
	else
		daemon_ctl_reply_why(req, err, &why);
}

void daemon_calls_answer(struct daemon *dm, struct ctl_req *req)
{
	call_cmd(dm, req, do_answer, 0);
}

void daemon_calls_reject(struct daemon *dm, struct ctl_req *req)
{
	json_t *code = json_object_get(req->args, "code");
	json_int_t v = code ? json_integer_value(code) : 0;

	if (code && (v < 400 || v > 699)) {
		/* Checked here too, before an int could wrap it into range. */
		ctl_reply_err(req, CTL_ERR_BAD_ARGUMENT, "code", "code %" JSON_INTEGER_FORMAT
			      ": a rejection is 400..699", v);
		return;
	}
	call_cmd(dm, req, do_reject, (int)v);
}

void daemon_calls_hangup(struct daemon *dm, struct ctl_req *req)
{
	call_cmd(dm, req, do_hangup, 0);
}

void daemon_calls_hold(struct daemon *dm, struct ctl_req *req)
{
	call_cmd(dm, req, do_hold, 1);
}

void daemon_calls_resume(struct daemon *dm, struct ctl_req *req)
{
	call_cmd(dm, req, do_hold, 0);
}

static void add_call_row(const struct call *c, void *arg)
{
	struct call_info ci;

	call_info(c, &ci);
	json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:s, s:f, s:s?}", "call", ci.handle,
					     "direction", ci.outgoing ? "out" : "in", "peer",
					     ci.peer ? ci.peer : "", "state", ci.state,
					     "duration_s", ci.duration_s, "codec", ci.codec));
}

void daemon_calls_list(struct daemon *dm, struct ctl_req *req)
{
	json_t *a = json_array();

	calls_foreach(dm->calls, add_call_row, a);
	ctl_reply_ok(req, json_pack("{s:o}", "calls", a));
}

static const char *hold_name(const struct call_info *ci)
{
	if (ci->local_hold && ci->remote_hold)
		return "both";
	return ci->local_hold ? "local" : ci->remote_hold ? "remote" : "none";
}

void daemon_calls_info(struct daemon *dm, struct ctl_req *req)
{
	struct call *c = arg_call(dm, req);
	struct call_info ci;
	json_t *r, *route;

	if (!c)
		return;
	call_info(c, &ci);
	route = json_array();
	for (size_t i = 0; i < ci.n_route; i++)
		json_array_append_new(route, json_string(ci.route[i]));
	r = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:f, s:I, s:I}", "call", ci.handle,
		      "direction", ci.outgoing ? "out" : "in", "state", ci.state, "transport",
		      ci.transport, "route_set", route, "source", ci.source, "hold",
		      hold_name(&ci), "duration_s", ci.duration_s, "local_cseq",
		      (json_int_t)ci.local_cseq, "remote_cseq", (json_int_t)ci.remote_cseq);
	set_str(r, "peer", ci.peer);
	set_str(r, "account", ci.account);
	set_str(r, "local_uri", ci.local_uri);
	set_str(r, "remote_uri", ci.peer);
	set_str(r, "call_id", ci.call_id);
	set_str(r, "local_tag", ci.local_tag);
	set_str(r, "remote_tag", ci.remote_tag);
	set_str(r, "remote_target", ci.remote_target);
	set_sdp(r, "local_sdp", ci.local_sdp);
	set_sdp(r, "remote_sdp", ci.remote_sdp);
	set_str(r, "codec", ci.codec);
	json_object_set_new(r, "srtp", ci.srtp ? json_string(ci.srtp) : json_null());
	set_tls(r, &ci);
	set_str(r, "playing", ci.playing);
	set_str(r, "recording", ci.recording);
	if (ci.media.valid)
		json_object_set_new(r, "quality", daemon_media_json(&ci));
	if (ci.local_rtp[0])
		set_str(r, "local_rtp", ci.local_rtp);
	if (ci.remote_rtp[0])
		set_str(r, "remote_rtp", ci.remote_rtp);
	ctl_reply_ok(req, r);
}

void daemon_calls_play(struct daemon *dm, struct ctl_req *req)
{
	/* Arguments first: arg_call() answers and frees req when there is no such call. */
	const char *file = json_string_value(json_object_get(req->args, "file"));
	bool loop = json_is_true(json_object_get(req->args, "loop"));
	bool stop = json_is_true(json_object_get(req->args, "stop"));
	struct call *c = arg_call(dm, req);
	struct why why = {0};
	int err;

	if (!c)
		return;
	if (stop == (file != NULL)) {
		ctl_reply_err(req, CTL_ERR_BAD_ARGUMENT, stop ? "stop" : "file",
			      stop ? "give a file or --stop, not both" : "give a file to play, or --stop");
		return;
	}
	if ((err = call_play(c, stop ? NULL : file, loop, &why)) < 0) {
		daemon_ctl_reply_why(req, err, &why);
		return;
	}
	ctl_reply_ok(req, json_pack("{s:s, s:s?, s:b}", "call", call_handle(c), "file", file,
				    "loop", loop));
}

void daemon_calls_record(struct daemon *dm, struct ctl_req *req)
{
	const char *action = json_string_value(json_object_get(req->args, "action"));
	const char *path = json_string_value(json_object_get(req->args, "path"));
	struct call *c = arg_call(dm, req);
	struct why why = {0};
	struct call_info ci;
	bool start;
	int err;

	if (!c)
		return;
	if (strcmp(action, "start") != 0 && strcmp(action, "stop") != 0) {
		ctl_reply_err(req, CTL_ERR_BAD_ARGUMENT, "action",
			      "action '%s': expected start or stop", action);
		return;
	}
	start = action[2] == 'a';
	if (!start && path) {
		ctl_reply_err(req, CTL_ERR_BAD_ARGUMENT, "path", "stop takes no path");
		return;
	}
	if ((err = call_record(c, start, path, &why)) < 0) {
		daemon_ctl_reply_why(req, err, &why);
		return;
	}
	call_info(c, &ci);
	ctl_reply_ok(req, json_pack("{s:s, s:s, s:s?}", "call", ci.handle, "action", action, "path",
				    ci.recording));
}

void daemon_calls_dtmf(struct daemon *dm, struct ctl_req *req)
{
	const char *digits = json_string_value(json_object_get(req->args, "digits"));
	json_t *dur = json_object_get(req->args, "duration");
	json_int_t ms = dur ? json_integer_value(dur) : 0;
	struct call *c = arg_call(dm, req);
	struct why why = {0};
	int err;

	if (!c)
		return;
	if (dur && (ms < 40 || ms > 5000)) {
		ctl_reply_err(req, CTL_ERR_BAD_ARGUMENT, "duration",
			      "duration %" JSON_INTEGER_FORMAT " ms: expected 40..5000", ms);
		return;
	}
	if ((err = call_dtmf(c, digits, (unsigned)ms, &why)) < 0) {
		daemon_ctl_reply_why(req, err, &why);
		return;
	}
	ctl_reply_ok(req, json_pack("{s:s, s:s}", "call", call_handle(c), "digits", digits));
}
