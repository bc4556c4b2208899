/*
 * jbuf: the adaptive jitter buffer of decoded samples; see jbuf.h.
 *
 * A packet's samples go to positions ts + shift, shift 0 until the
 * sender's timestamps jump (see remap()).  The ring holds cap samples (a
 * power of two, so that slot = pos & mask stays right across the 2^32
 * wrap) and one bit per slot saying it holds received audio.  The
 * window that can be stored is [play, play + cap): play is the position
 * of the next sample jbuf_get() plays; reading a slot clears it.  Puts
 * and gets work on runs, not samples (they come 50 and 100 times a second
 * per call): a packet goes in with memcpy and its bits are set a word at
 * a time; a get plays the run of audio or of silence at play (the
 * bitmap's trailing ones or zeros) in one go, and counts silence in bulk.
 *
 * Two measures steer the delay:
 *   - cur, the delay behind the fastest packets: offset - tmin, where
 *     offset = now - play at the last get (position p plays at time
 *     p + offset) and tmin the smallest transit (arrival - pos) of the
 *     last one to two seconds;
 *   - the lead of each packet, pos - play at its arrival: below 0 it is
 *     late.  Shortening the delay never takes more than the smallest
 *     recent lead minus a margin, so it cannot make recent packets late.
 * The target is 3 x the A.8 jitter of the puts plus the last packet's
 * length, within [min, max].  At the first empty slot a get is about to
 * play (a loss, a late packet, a pause) the delay moves to the target at
 * once: longer by playing more silence there (neither audio nor
 * concealment: stretch_end), shorter by skipping silence when it is
 * HYST_MS over.  In audio only a large excess is cut, 10 ms a second.
 * A marked packet with nothing queued before it (a new talk spurt) is
 * re-anchored target behind; so is a late one with nothing queued that
 * goes on where the audio ran dry (the path got slower: without a
 * marker it would never be played again).
 *
 * Concealment is silence played with audio received on both sides of
 * it.  A loss right before the buffer ran dry is only known as one when
 * the next, unmarked, packet arrives (dry_was_loss()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "media/jbuf.h"

#define WIN_MS 1000	    /* the estimators' window: the minimum is over 1-2 of them */
#define HYST_MS 20	    /* shortened at an empty slot when this far over the target */
#define SAFE_MS 10	    /* lead kept for the slowest recent packet when shortening */
#define FORCE_MS 80	    /* an excess over max(target, this) is cut even in audio... */
#define STEP_MS 10	    /* ...by this much... */
#define FORCE_EVERY_MS 1000 /* ...at most this often */
#define SLACK_MS 100	    /* ring beyond 2 x max_ms */

/* A minimum over the current and previous window. */
struct win_min {
	uint64_t start_ms;
	int64_t cur, prev;
	bool have_cur, have_prev;
};

struct jbuf {
	unsigned rate;
	uint32_t min_s, max_s; /* the delay's bounds, samples */
	uint32_t cap, mask;
	int16_t *pcm;	 /* cap samples */
	uint64_t *have;	 /* cap bits: the slot holds received audio */
	uint32_t queued; /* bits set */

	bool anchored;
	uint32_t shift; /* a packet's position in the ring's space: its ts + shift */
	uint32_t play;	/* position of the next sample played */
	uint32_t hi;	/* end of the furthest audio received; >= play */
	bool started;	/* audio played, no silence after it yet: silence now is a hole */
	bool dry;	/* silence played after the last audio, from dry_at on */
	uint32_t dry_at;
	uint32_t stretch_end; /* silence before it was put in by moving back: no concealment */
	uint32_t offset;      /* now - play at the last get, samples */
	bool have_offset;

	uint32_t jitter; /* A.8 x 16, samples */
	uint32_t transit;
	bool have_transit;
	uint32_t pkt;	     /* the last packet's length */
	struct win_min tmin; /* transit, relative to tmin_ref */
	uint32_t tmin_ref;
	struct win_min lead;
	uint64_t force_ms;
	bool forced;

	struct jbuf_stats st;
};

static uint32_t ms_to_s(const struct jbuf *j, uint64_t ms)
{
	return (uint32_t)(ms * j->rate / 1000);
}

/* now_ms in samples, modulo 2^32 like the timestamps. */
static uint32_t now_s(const struct jbuf *j, uint64_t now_ms)
{
	return (uint32_t)((now_ms / 1000) * j->rate + (now_ms % 1000) * j->rate / 1000);
}

/* a - b for timestamps, with the wrap. */
static int64_t tsdiff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

static bool bit(const struct jbuf *j, uint32_t pos)
{
	uint32_t s = pos & j->mask;

	return j->have[s / 64] >> (s % 64) & 1;
}

/*
 * Set (audio) or clear the bits of the k slots from pos on (k <= cap), a
 * word at a time: how many of them held audio before.
 */
static uint32_t mark(struct jbuf *j, uint32_t pos, uint32_t k, bool audio)
{
	uint32_t had = 0;

	while (k > 0) {
		uint32_t s = pos & j->mask, b = s % 64, m = k < 64 - b ? k : 64 - b;
		uint64_t bits = (m == 64 ? ~UINT64_C(0) : (UINT64_C(1) << m) - 1) << b;
		uint64_t *w = &j->have[s / 64], old = *w & bits;

		/* Mostly none (a put) or all (a get) of them. */
		if (old)
			had += old == bits ? m : (uint32_t)__builtin_popcountll(old);
		*w = audio ? *w | bits : *w & ~bits;
		pos += m;
		k -= m;
	}
	return had;
}

/* Copy k samples (k <= cap) into the slots from pos on. */
static void ring_write(struct jbuf *j, uint32_t pos, const int16_t *in, uint32_t k)
{
	uint32_t s = pos & j->mask, first = j->cap - s < k ? j->cap - s : k;

	memcpy(j->pcm + s, in, first * sizeof(*in));
	if (k > first)
		memcpy(j->pcm, in + first, (k - first) * sizeof(*in));
}

/* Copy k samples (k <= cap) out of the slots from pos on. */
static void ring_read(const struct jbuf *j, uint32_t pos, int16_t *out, uint32_t k)
{
	uint32_t s = pos & j->mask, first = j->cap - s < k ? j->cap - s : k;

	memcpy(out, j->pcm + s, first * sizeof(*out));
	if (k > first)
		memcpy(out + first, j->pcm, (k - first) * sizeof(*out));
}

/* How many slots from pos on, up to limit (<= cap), hold audio (audio) or do not. */
static uint32_t run_len(const struct jbuf *j, uint32_t pos, uint32_t limit, bool audio)
{
	uint32_t k = 0;

	while (k < limit) {
		uint32_t s = (pos + k) & j->mask, left = 64 - s % 64; /* slots to the word's end */
		uint64_t w = j->have[s / 64] >> (s % 64);
		uint64_t ends = audio ? ~w : w; /* bit i: slot s + i ends the run */
		uint32_t m = ends ? (uint32_t)__builtin_ctzll(ends) : 64;

		if (m >= left) {
			k += left;
			continue;
		}
		k += m;
		break;
	}
	return k < limit ? k : limit;
}

static void win_reset(struct win_min *w, uint64_t now_ms)
{
	w->start_ms = now_ms;
	w->have_cur = w->have_prev = false;
}

/* Start a new window when the current one is over; two over: both gone. */
static void win_rotate(struct win_min *w, uint64_t now_ms)
{
	if (now_ms < w->start_ms || now_ms - w->start_ms >= 2 * WIN_MS) {
		win_reset(w, now_ms);
	} else if (now_ms - w->start_ms >= WIN_MS) {
		w->prev = w->cur;
		w->have_prev = w->have_cur;
		w->have_cur = false;
		w->start_ms = now_ms;
	}
}

static void win_add(struct win_min *w, int64_t v)
{
	if (!w->have_cur || v < w->cur)
		w->cur = v;
	w->have_cur = true;
}

/* The minimum, false when both windows are empty. */
static bool win_get(const struct win_min *w, int64_t *v)
{
	if (w->have_cur && w->have_prev)
		*v = w->cur < w->prev ? w->cur : w->prev;
	else if (w->have_cur || w->have_prev)
		*v = w->have_cur ? w->cur : w->prev;
	else
		return false;
	return true;
}

static void win_shift(struct win_min *w, int64_t by)
{
	w->cur += by;
	w->prev += by;
}

int jbuf_new(struct jbuf **out, unsigned rate, unsigned min_ms, unsigned max_ms)
{
	struct jbuf *j;
	uint64_t need;
	uint32_t cap = 64;

	if (!out || rate < 1000 || rate > 48000 || min_ms > max_ms || max_ms > JBUF_MAX_MS)
		return -EINVAL;
	need = (uint64_t)rate * (2 * max_ms + SLACK_MS) / 1000;
	while (cap < need)
		cap *= 2;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->pcm = calloc(cap, sizeof(*j->pcm));
	j->have = calloc(cap / 64, sizeof(*j->have));
	if (!j->pcm || !j->have) {
		jbuf_free(j);
		return -ENOMEM;
	}
	j->rate = rate;
	j->min_s = ms_to_s(j, min_ms);
	j->max_s = ms_to_s(j, max_ms);
	j->cap = cap;
	j->mask = cap - 1;
	jbuf_reset(j);
	*out = j;
	return 0;
}

void jbuf_free(struct jbuf *j)
{
	if (!j)
		return;
	free(j->pcm);
	free(j->have);
	free(j);
}

void jbuf_reset(struct jbuf *j)
{
	struct jbuf_stats st;

	if (!j)
		return;
	st = j->st;
	memset(j->have, 0, j->cap / 8);
	j->queued = 0;
	j->anchored = j->have_offset = j->have_transit = j->forced = false;
	j->started = j->dry = false;
	j->jitter = j->pkt = j->shift = 0;
	win_reset(&j->tmin, 0);
	win_reset(&j->lead, 0);
	j->st = st;
}

/* The delay to aim at, samples: 3 x jitter + one packet, in bounds. */
static uint32_t target(const struct jbuf *j)
{
	uint64_t t = (3 * (uint64_t)j->jitter + 8) / 16 + j->pkt;

	if (t < j->min_s)
		t = j->min_s;
	if (t > j->max_s)
		t = j->max_s;
	return (uint32_t)t;
}

/* The delay behind the fastest recent packets, samples; false when not known yet. */
static bool cur_delay(const struct jbuf *j, int64_t *cur)
{
	int64_t t;

	if (!j->have_offset || !win_get(&j->tmin, &t))
		return false;
	*cur = tsdiff(j->offset, j->tmin_ref) - t;
	return true;
}

/*
 * Move the playout point to position to.  Forward: what it passes over is not
 * played (received audio there counts as skipped).  Backward: the slots
 * it reopens held the far end of the old window, dropped.
 */
static void move_play(struct jbuf *j, uint32_t to)
{
	int64_t d = tsdiff(to, j->play);
	uint32_t from = d < 0 ? to : j->play, k = d < 0 ? (uint32_t)-d : (uint32_t)d, taken;

	if (k > j->cap)
		k = j->cap;
	taken = mark(j, from, k, false);
	j->queued -= taken;
	if (d > 0)
		j->st.skipped += taken;
	else if (taken)
		j->st.dropped_overflow++;
	j->offset -= (uint32_t)d;
	win_shift(&j->lead, -d);
	if (d < 0 && tsdiff(j->play, j->stretch_end) > 0)
		j->stretch_end = j->play;
	j->play = to;
	if (tsdiff(j->hi, to) < 0)
		j->hi = to;
}

/* The first packet at ts: it plays target behind, at position ts. */
static void anchor(struct jbuf *j, uint32_t ts, size_t n)
{
	j->pkt = n < j->max_s ? (uint32_t)n : j->max_s;
	j->shift = 0;
	j->play = ts - target(j);
	j->hi = j->stretch_end = j->play;
	j->anchored = true;
}

/*
 * A discontinuity of the sender's timestamps: map ts to the position
 * that plays target behind now, or after what is queued.  The old
 * audio plays out and nothing is dropped; transit and lead go on
 * without a jump, as if the sender had not jumped.
 */
static void remap(struct jbuf *j, uint32_t ts)
{
	uint32_t pos = j->play + target(j);

	if (tsdiff(j->hi, pos) > 0)
		pos = j->hi;
	j->shift = pos - ts;
}

/* Is there audio queued in [play, pos)? */
static bool queued_before(const struct jbuf *j, uint32_t pos)
{
	int64_t d = tsdiff(pos, j->play);
	uint32_t k;

	if (j->queued == 0 || d <= 0)
		return false;
	k = d < j->cap ? (uint32_t)d : j->cap;
	return run_len(j, j->play, k, false) < k;
}

/* A.8 on the puts (pos: the packet's position), and the windows' minimum transit and lead. */
static void measure(struct jbuf *j, uint32_t pos, size_t n, uint64_t now_ms)
{
	uint32_t transit = now_s(j, now_ms) - pos;
	int64_t d = tsdiff(transit, j->transit);

	if (d < 0)
		d = -d;
	/* A change the ring cannot hold is the sender's discontinuity, not jitter. */
	if (j->have_transit && d < j->cap)
		j->jitter += (uint32_t)d - ((j->jitter + 8) >> 4);
	j->transit = transit;
	j->have_transit = true;
	j->pkt = n < j->max_s ? (uint32_t)n : j->max_s;

	win_rotate(&j->tmin, now_ms);
	if (!j->tmin.have_cur && !j->tmin.have_prev)
		j->tmin_ref = transit;
	win_add(&j->tmin, tsdiff(transit, j->tmin_ref));
	win_rotate(&j->lead, now_ms);
	win_add(&j->lead, tsdiff(pos, j->play));
}

/* Copy what fits of the packet into the window [play, play + cap). */
static void store(struct jbuf *j, uint32_t pos, const int16_t *pcm, size_t n)
{
	int64_t d = tsdiff(pos, j->play);
	uint64_t from = 0, to = n;
	uint32_t k;

	if (d < 0) {
		from = (uint64_t)-d;
		j->st.late++;
	}
	if (n > (uint64_t)(j->cap - d)) { /* d is in (-cap, cap) */
		to = (uint64_t)(j->cap - d);
		j->st.dropped_overflow++;
	}
	if (to <= from)
		return;
	/* At most cap slots, [play, play + cap) at the widest. */
	k = (uint32_t)(to - from);
	j->queued += k - mark(j, pos + (uint32_t)from, k, true);
	ring_write(j, pos + (uint32_t)from, pcm + from, k);
	if (tsdiff(pos + (uint32_t)to, j->hi) > 0)
		j->hi = pos + (uint32_t)to;
}

/*
 * The buffer ran dry and this unmarked packet follows: what played as
 * silence from dry_at up to it was a loss, not a pause (a pause ends
 * with a marked packet, RFC 3551 §4.1).  Over WIN_MS it is taken as a
 * pause of a sender that does not mark.
 */
static void dry_was_loss(struct jbuf *j, uint32_t pos)
{
	uint32_t end = tsdiff(pos, j->play) < 0 ? pos : j->play;
	int64_t k = tsdiff(end, j->dry_at);

	if (k > ms_to_s(j, WIN_MS))
		return; /* a pause: the silence up to it is not concealment either */
	if (k > 0)
		j->st.concealed += (uint64_t)k;
	j->started = true;
}

/*
 * Should the packet at pos play target behind from now on?  In time:
 * when it starts a talk spurt (marked, nothing queued before it).
 * Late: when nothing is queued and it goes on where the audio ran dry
 * (the path got slower: without this it would never be played again);
 * a late packet from before that point is a duplicate or stale, late.
 */
static bool reanchor(const struct jbuf *j, uint32_t pos, bool marker)
{
	if (tsdiff(pos, j->play) >= 0)
		return marker && !queued_before(j, pos);
	return j->queued == 0 && j->dry && tsdiff(pos, j->dry_at) >= 0;
}

void jbuf_put(struct jbuf *j, uint32_t ts, bool marker, const int16_t *pcm, size_t n,
	      uint64_t now_ms)
{
	uint32_t pos;
	int64_t d;
	bool moved = false;

	if (!j || !pcm || n == 0)
		return;
	if (!j->anchored)
		anchor(j, ts, n);
	d = tsdiff(ts + j->shift, j->play);
	if (d >= j->cap || d < -(int64_t)j->cap) {
		/* Out of reach: taken when it starts a spurt or nothing is queued. */
		if (!marker && j->queued) {
			if (d > 0)
				j->st.dropped_overflow++;
			else
				j->st.late++;
			return;
		}
		remap(j, ts);
		moved = true;
	}
	pos = ts + j->shift;
	d = tsdiff(pos, j->play);
	if (!moved && d >= 0 && bit(j, pos) && bit(j, pos + (uint32_t)n - 1))
		return; /* a duplicate of a packet still queued: neither audio nor timing */
	measure(j, pos, n, now_ms);
	if (reanchor(j, pos, marker)) {
		move_play(j, pos - target(j));
		moved = true;
		if (marker)
			j->started = false;
	}
	d = tsdiff(pos, j->play);
	if (d + (int64_t)n <= 0) {
		j->st.late++;
		return;
	}
	if (j->dry && !marker && !moved)
		dry_was_loss(j, pos);
	j->dry = false;
	store(j, pos, pcm, n);
}

/* Empty slots from play on, up to limit. */
static uint32_t empty_run(const struct jbuf *j, uint32_t limit)
{
	if (j->queued == 0)
		return limit;
	return run_len(j, j->play, limit < j->cap ? limit : j->cap, false);
}

/* How much shorter the delay may get without the slowest recent packet being late. */
static int64_t may_cut(const struct jbuf *j)
{
	int64_t lead;

	if (!win_get(&j->lead, &lead))
		return j->cap;
	return lead - ms_to_s(j, SAFE_MS);
}

/*
 * An empty slot is about to play (a loss, a late packet, a pause): the
 * delay moves to the target here at no cost in audio, longer by playing
 * more silence, shorter by skipping silence (never making a recent
 * packet late).
 */
static void adapt_gap(struct jbuf *j)
{
	int64_t cur, t = target(j), k;

	if (!cur_delay(j, &cur))
		return;
	if (cur < t) {
		k = t - cur;
		if (cur + k > j->max_s)
			k = j->max_s - cur;
		/* What is queued must stay in the window. */
		if (k > j->cap - tsdiff(j->hi, j->play))
			k = j->cap - tsdiff(j->hi, j->play);
		if (k > 0)
			move_play(j, j->play - (uint32_t)k);
	} else if (cur > t + ms_to_s(j, HYST_MS)) {
		k = cur - t;
		if (k > may_cut(j))
			k = may_cut(j);
		k = k > 0 ? empty_run(j, (uint32_t)(k < j->cap ? k : j->cap)) : 0;
		if (k > 0)
			move_play(j, j->play + (uint32_t)k);
	}
}

/* Audio is about to play and the delay is far over the target (the sender's clock runs fast). */
static void adapt_cut(struct jbuf *j, uint64_t now_ms)
{
	int64_t cur, t = target(j), k;
	int64_t force = t > ms_to_s(j, FORCE_MS) ? t : ms_to_s(j, FORCE_MS);

	if (!cur_delay(j, &cur) || cur <= t + force ||
	    (j->forced && now_ms - j->force_ms < FORCE_EVERY_MS))
		return;
	k = ms_to_s(j, STEP_MS);
	if (k > cur - t)
		k = cur - t;
	if (k > may_cut(j))
		k = may_cut(j);
	if (k > 0) {
		move_play(j, j->play + (uint32_t)k);
		j->force_ms = now_ms;
		j->forced = true;
	}
}

/* The k slots of audio from play on (k <= cap) into out; they are emptied. */
static void play_audio(struct jbuf *j, int16_t *out, uint32_t k)
{
	ring_read(j, j->play, out, k);
	j->queued -= mark(j, j->play, k, false);
	j->play += k;
	j->started = true;
	j->dry = false;
}

/* How many of k slots from a position lie before a point d ahead of it. */
static uint32_t before(int64_t d, uint32_t k)
{
	return d <= 0 ? 0 : d < k ? (uint32_t)d : k;
}

/*
 * k empty slots from play on: silence into out.  Up to stretch_end it
 * was put in to lengthen the delay; after that, up to hi, it is a hole in
 * the audio (concealment, once audio played); after both the buffer ran
 * dry: a pause or a loss, the next packet will tell.
 */
static void play_silence(struct jbuf *j, int16_t *out, uint32_t k)
{
	uint32_t stretch = before(tsdiff(j->stretch_end, j->play), k);
	uint32_t hole = before(tsdiff(j->hi, j->play + stretch), k - stretch);

	memset(out, 0, k * sizeof(*out));
	if (j->started) {
		j->st.concealed += hole;
		if (stretch + hole < k) {
			j->started = false;
			j->dry = true;
			j->dry_at = j->play + stretch + hole;
		}
	}
	j->play += k;
}

size_t jbuf_get(struct jbuf *j, int16_t *out, size_t n, uint64_t now_ms)
{
	size_t got = 0, i = 0;
	bool adapted = false;

	if (!out)
		return 0;
	if (!j || !j->anchored) {
		memset(out, 0, n * sizeof(*out));
		return 0;
	}
	j->offset = now_s(j, now_ms) - j->play;
	j->have_offset = true;
	if (bit(j, j->play))
		adapt_cut(j, now_ms);
	/* A run of audio or of silence at a time, at most the ring. */
	while (i < n) {
		uint32_t k, limit = n - i < j->cap ? (uint32_t)(n - i) : j->cap;

		/* Once per get, at the first empty slot, wherever the packets' edges fall. */
		if (!adapted && !bit(j, j->play)) {
			adapt_gap(j);
			adapted = true;
		}
		if ((k = run_len(j, j->play, limit, true)) > 0) {
			play_audio(j, out + i, k);
			got += k;
		} else {
			k = j->queued ? run_len(j, j->play, limit, false) : limit;
			play_silence(j, out + i, k);
		}
		i += k;
	}
	/* Never far behind play, so that the wrap cannot turn them ahead. */
	if (tsdiff(j->hi, j->play) < 0)
		j->hi = j->play;
	if (tsdiff(j->stretch_end, j->play) < 0)
		j->stretch_end = j->play;
	return got;
}

void jbuf_stats(const struct jbuf *j, struct jbuf_stats *out)
{
	int64_t cur;

	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!j)
		return;
	*out = j->st;
	out->target_ms = j->anchored ? (unsigned)((uint64_t)target(j) * 1000 / j->rate) : 0;
	if (j->anchored && cur_delay(j, &cur))
		out->delay_ms = cur > 0 ? (unsigned)(cur * 1000 / j->rate) : 0;
	else
		out->delay_ms = j->anchored ? out->target_ms : 0;
}
