/*
 * dtmf: RFC 4733 events sent and received, and the SIP INFO bodies; see
 * dtmf.h.  In-band detection, the one user of spandsp here, is in
 * dtmf_inband.c.
 *
 * Timestamps are RTP's 32-bit clock: every comparison is on the
 * difference modulo 2^32 (RFC 3550 §5.1), never on the raw values.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "media/dtmf.h"

#define RATE_DEFAULT 8000
/* The longest duration a payload can say (§2.5.1.3). */
#define SEGMENT_MAX 0xFFFFu
#define E_BIT 0x80

static const char digits[] = "0123456789*#ABCD";

int dtmf_event_of(char digit)
{
	if (digit >= '0' && digit <= '9')
		return digit - '0';
	if (digit >= 'A' && digit <= 'D')
		return digit - 'A' + 12;
	if (digit >= 'a' && digit <= 'd')
		return digit - 'a' + 12;
	if (digit == '*')
		return 10;
	if (digit == '#')
		return 11;
	return -1;
}

char dtmf_digit_of(int event)
{
	return event >= 0 && event < 16 ? digits[event] : 0;
}

static unsigned rate_or_default(unsigned rate)
{
	return rate ? rate : RATE_DEFAULT;
}

/* ms at rate Hz in RTP timestamp units; rate and ms are bounded so it fits. */
static uint32_t samples_of(unsigned rate, unsigned ms)
{
	unsigned long long s = (unsigned long long)rate * ms / 1000;

	return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

/* ---- sender ---------------------------------------------------------- */

void dtmf_tx_setup(struct dtmf_tx *t, unsigned rate)
{
	if (!t)
		return;
	memset(t, 0, sizeof(*t));
	t->rate = rate_or_default(rate);
	t->state = DTMF_TX_IDLE;
}

int dtmf_tx_queue(struct dtmf_tx *t, const char *s, unsigned duration_ms)
{
	size_t n, i;

	if (!t || !s || !*s)
		return -EINVAL;
	if (duration_ms == 0)
		duration_ms = DTMF_DURATION_DEFAULT_MS;
	if (duration_ms < DTMF_DURATION_MIN_MS || duration_ms > DTMF_DURATION_MAX_MS)
		return -EINVAL;
	n = strlen(s);
	for (i = 0; i < n; i++)
		if (dtmf_event_of(s[i]) < 0)
			return -EINVAL;
	if (n > DTMF_QUEUE_MAX - t->q_len)
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		struct dtmf_tx_item *it = &t->q[(t->q_head + t->q_len) % DTMF_QUEUE_MAX];

		it->event = (uint8_t)dtmf_event_of(s[i]);
		it->ms = (uint16_t)duration_ms;
		t->q_len++;
	}
	return 0;
}

bool dtmf_tx_busy(const struct dtmf_tx *t)
{
	return t && (t->state != DTMF_TX_IDLE || t->q_len > 0);
}

void dtmf_tx_clear(struct dtmf_tx *t)
{
	if (!t)
		return;
	t->q_len = 0;
	/* A final packet already out: let its repeats finish as they are. */
	if (t->state == DTMF_TX_TONE || t->state == DTMF_TX_SEGEND)
		t->cut = true;
}

static void sent_push(struct dtmf_tx *t, char digit)
{
	if (t->sent_len == DTMF_QUEUE_MAX) { /* nobody reads: forget the oldest */
		t->sent_head = (t->sent_head + 1) % DTMF_QUEUE_MAX;
		t->sent_len--;
	}
	t->sent[(t->sent_head + t->sent_len) % DTMF_QUEUE_MAX] = digit;
	t->sent_len++;
}

size_t dtmf_tx_sent(struct dtmf_tx *t, char *out, size_t size)
{
	size_t n = 0;

	if (!t || !out || size == 0)
		return 0;
	while (t->sent_len > 0 && n < size - 1) {
		out[n++] = t->sent[t->sent_head];
		t->sent_head = (t->sent_head + 1) % DTMF_QUEUE_MAX;
		t->sent_len--;
	}
	out[n] = '\0';
	return n;
}

/* *p: one packet of the event going, at timestamp ts saying duration. */
static int emit(struct dtmf_tx *t, struct dtmf_pkt *p, uint32_t ts, uint32_t duration, bool end)
{
	p->payload[0] = t->event;
	p->payload[1] = (uint8_t)((end ? E_BIT : 0) | DTMF_VOLUME);
	p->payload[2] = (uint8_t)(duration >> 8);
	p->payload[3] = (uint8_t)duration;
	p->ts = ts;
	p->marker = t->marker;
	p->end = end;
	p->new_seq = true; /* see dtmf_tx_tick() in dtmf.h */
	p->digit = dtmf_digit_of(t->event);
	t->marker = false;
	return 1;
}

/* The tone goes on for n more samples, up to its length. */
static void advance(struct dtmf_tx *t, size_t n)
{
	uint32_t left = t->length - t->total;

	t->total += n < left ? (uint32_t)n : left;
}

/*
 * Start the next queued digit at audio_ts, unless none is queued or the
 * pause after the last one has not passed: true when started.  The pause
 * is over when pause_until - audio_ts is 0 or "negative"; anything beyond
 * a pause's length ahead cannot be ours to wait for (a clock that wrapped
 * while nothing was sent) and counts as over too.
 */
static bool start(struct dtmf_tx *t, uint32_t audio_ts)
{
	struct dtmf_tx_item it;

	if (t->q_len == 0)
		return false;
	if (t->pause) {
		uint32_t ahead = t->pause_until - audio_ts;

		if (ahead != 0 && ahead <= samples_of(t->rate, DTMF_PAUSE_MS))
			return false;
		t->pause = false;
	}
	it = t->q[t->q_head];
	t->q_head = (t->q_head + 1) % DTMF_QUEUE_MAX;
	t->q_len--;

	t->state = DTMF_TX_TONE;
	t->event = it.event;
	t->marker = true;
	t->cut = false;
	t->repeats = 0;
	t->ts = t->seg_ts = audio_ts;
	t->seg_off = 0;
	t->total = 0;
	t->length = samples_of(t->rate, it.ms);
	if (t->length == 0)
		t->length = 1;
	return true;
}

/* An update, the first final packet, or a full segment's last packet. */
static int tick_tone(struct dtmf_tx *t, size_t n, struct dtmf_pkt *p)
{
	uint32_t seg;

	if (t->cut)
		t->length = t->total; /* end now, at the duration so far */
	else
		advance(t, n);
	seg = t->total - t->seg_off;
	if (seg > SEGMENT_MAX) { /* §2.5.1.3: this segment is full */
		t->state = DTMF_TX_SEGEND;
		t->repeats = 1;
		return emit(t, p, t->seg_ts, SEGMENT_MAX, false);
	}
	if (t->total == t->length) {
		t->state = DTMF_TX_END;
		t->repeats = 1;
		return emit(t, p, t->seg_ts, seg, true);
	}
	return emit(t, p, t->seg_ts, seg, false);
}

/* A full segment's last packet again; after the third, the next segment. */
static int tick_segend(struct dtmf_tx *t, size_t n, struct dtmf_pkt *p)
{
	if (!t->cut)
		advance(t, n);
	emit(t, p, t->seg_ts, SEGMENT_MAX, false);
	if (++t->repeats == DTMF_END_PACKETS) {
		t->seg_ts += SEGMENT_MAX;
		t->seg_off += SEGMENT_MAX;
		t->state = DTMF_TX_TONE;
	}
	return 1;
}

/* The final packet again; after the third the digit is sent, the pause begins. */
static int tick_end(struct dtmf_tx *t, struct dtmf_pkt *p)
{
	emit(t, p, t->seg_ts, t->total - t->seg_off, true);
	if (++t->repeats == DTMF_END_PACKETS) {
		if (!t->cut)
			sent_push(t, dtmf_digit_of(t->event));
		t->state = DTMF_TX_IDLE;
		t->pause = true;
		t->pause_until = t->ts + t->length + samples_of(t->rate, DTMF_PAUSE_MS);
	}
	return 1;
}

int dtmf_tx_tick(struct dtmf_tx *t, uint32_t audio_ts, size_t n, struct dtmf_pkt *p)
{
	if (!t || !p || n == 0)
		return -EINVAL;
	switch (t->state) {
	case DTMF_TX_IDLE:
		if (!start(t, audio_ts))
			return 0;
		return tick_tone(t, n, p);
	case DTMF_TX_TONE:
		return tick_tone(t, n, p);
	case DTMF_TX_SEGEND:
		return tick_segend(t, n, p);
	case DTMF_TX_END:
		return tick_end(t, p);
	}
	return 0; /* not reached: every state is a case */
}

/* ---- receiver -------------------------------------------------------- */

void dtmf_rx_setup(struct dtmf_rx *r, unsigned rate)
{
	if (!r)
		return;
	memset(r, 0, sizeof(*r));
	r->rate = rate_or_default(rate);
}

/* The packet (ts, event) belongs to the event last reported, or to the one before. */
static bool rx_known(const struct dtmf_rx *r, uint32_t ts, uint8_t event)
{
	uint32_t behind = r->ts - ts;

	if (ts == r->ts && event == r->event)
		return true;
	if (r->have_prev && ts == r->prev_ts && event == r->prev_event)
		return true;
	/* Late: behind the last event by at most a segment and a second. */
	return behind != 0 && behind <= (unsigned long long)SEGMENT_MAX + r->rate;
}

/* The packet starts the next segment of the event going (§2.5.2.3). */
static bool rx_next_segment(const struct dtmf_rx *r, uint32_t ts, uint8_t event, bool marker)
{
	return event == r->event && !r->ended && !marker && ts - r->ts == SEGMENT_MAX;
}

int dtmf_rx_packet(struct dtmf_rx *r, uint32_t ts, bool marker, const uint8_t *pl, size_t len,
		   char *digit, unsigned *duration_ms)
{
	uint8_t event;
	bool end;
	unsigned duration;

	if (!r || !digit || !duration_ms)
		return -EINVAL;
	if (!pl || len < DTMF_PAYLOAD_LEN)
		return -EBADMSG;
	event = pl[0];
	if (event > 15)
		return -ENOTSUP;
	end = pl[1] & E_BIT;
	duration = (unsigned)pl[2] << 8 | pl[3];

	if (r->have && rx_next_segment(r, ts, event, marker)) {
		r->ts = ts;
		r->ended = end;
		return 0;
	}
	if (r->have && rx_known(r, ts, event)) {
		if (ts == r->ts && event == r->event)
			r->ended |= end;
		return 0;
	}
	r->have_prev = r->have;
	r->prev_event = r->event;
	r->prev_ts = r->ts;
	r->have = true;
	r->event = event;
	r->ended = end;
	r->ts = ts;
	*digit = dtmf_digit_of(event);
	*duration_ms = (unsigned)((unsigned long long)duration * 1000 / r->rate);
	return 1;
}

/* ---- SIP INFO bodies --------------------------------------------------- */

int dtmf_relay_format(char *out, size_t size, char digit, unsigned duration_ms)
{
	char buf[64];
	int event = dtmf_event_of(digit), n;

	if (!out || event < 0)
		return -EINVAL;
	if (duration_ms == 0)
		duration_ms = DTMF_DURATION_DEFAULT_MS;
	if (duration_ms < DTMF_DURATION_MIN_MS || duration_ms > DTMF_DURATION_MAX_MS)
		return -EINVAL;
	n = snprintf(buf, sizeof(buf), "Signal=%c\r\nDuration=%u\r\n", dtmf_digit_of(event),
		     duration_ms);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EINVAL; /* not reached: the bounds above make it fit */
	if ((size_t)n >= size)
		return -ENOSPC;
	memcpy(out, buf, (size_t)n + 1);
	return n;
}

/* A piece of the body: not NUL-terminated. */
struct span {
	const char *p;
	size_t n;
};

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct span trim(const char *p, size_t n)
{
	while (n > 0 && blank(*p)) {
		p++;
		n--;
	}
	while (n > 0 && blank(p[n - 1]))
		n--;
	return (struct span){p, n};
}

static bool span_is(struct span s, const char *name)
{
	return s.n == strlen(name) && strncasecmp(s.p, name, s.n) == 0;
}

/* A decimal number of 1+ digits, no sign, up to max: 0, or -EBADMSG. */
static int span_uint(struct span s, unsigned max, unsigned *out)
{
	unsigned long long v = 0;

	if (s.n == 0)
		return -EBADMSG;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -EBADMSG;
		v = v * 10 + (unsigned)(s.p[i] - '0');
		if (v > max)
			return -EBADMSG;
	}
	*out = (unsigned)v;
	return 0;
}

/* Signal's value: a digit, or an event code 0..15.  0, or -EBADMSG. */
static int signal_of(struct span v, char *digit)
{
	unsigned code;

	if (v.n == 1 && dtmf_event_of(v.p[0]) >= 0) {
		*digit = dtmf_digit_of(dtmf_event_of(v.p[0]));
		return 0;
	}
	if (span_uint(v, 15, &code) < 0)
		return -EBADMSG;
	*digit = dtmf_digit_of((int)code);
	return 0;
}

/* One "Name = value" line of a dtmf-relay body; other lines are ignored. */
static int relay_line(struct span line, char *digit, bool *has_digit, unsigned *ms, bool *has_ms)
{
	const char *eq = memchr(line.p, '=', line.n);
	struct span name, value;

	if (!eq)
		return 0;
	name = trim(line.p, (size_t)(eq - line.p));
	value = trim(eq + 1, line.n - (size_t)(eq - line.p) - 1);
	if (span_is(name, "Signal")) {
		if (*has_digit)
			return -EBADMSG;
		*has_digit = true;
		return signal_of(value, digit);
	}
	if (span_is(name, "Duration")) {
		if (*has_ms)
			return -EBADMSG;
		*has_ms = true;
		return span_uint(value, UINT_MAX, ms);
	}
	return 0;
}

static int relay_parse(const char *body, size_t len, char *digit, unsigned *ms)
{
	const char *end = body + len, *p = body;
	bool has_digit = false, has_ms = false;
	int err;

	*ms = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		err = relay_line(trim(p, (size_t)(eol - p)), digit, &has_digit, ms, &has_ms);
		if (err < 0)
			return err;
		p = nl ? nl + 1 : end;
	}
	return has_digit ? 0 : -EBADMSG;
}

int dtmf_relay_parse(const char *body, size_t len, bool is_dtmf, char *digit, unsigned *duration_ms)
{
	char d;
	unsigned ms;
	struct span s;
	int err;

	if (!digit || !duration_ms)
		return -EINVAL;
	if (!body || len == 0)
		return -EBADMSG;
	if (is_dtmf) {
		s = trim(body, len);
		if (s.n != 1 || dtmf_event_of(s.p[0]) < 0)
			return -EBADMSG;
		d = dtmf_digit_of(dtmf_event_of(s.p[0]));
		ms = 0;
	} else {
		err = relay_parse(body, len, &d, &ms);
		if (err < 0)
			return err;
	}
	*digit = d;
	*duration_ms = ms;
	return 0;
}
