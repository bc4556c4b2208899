/*
 * tmr_wheel: a hierarchical timing wheel of millisecond resolution.
 *
 * Owns the lists the armed timers are linked into (intrusively, through
 * struct tmr's link: no allocation per timer) and the wheel's own notion of
 * time, cur: every timer due before cur has been collected.  tmr.c drives
 * it from one libevent timer; tests/unit/check_tmr_wheel.c drives it with a
 * virtual "now".
 *
 * Layout (Varghese & Lauck's hierarchical wheel, as in the old Linux
 * cascading timers):
 *
 *   level 0: 256 slots of 1 ms        slot = due & 255
 *   level 1:  64 slots of 256 ms      slot = (due >> 8) & 63     (16.4 s)
 *   level 2:  64 slots of 16.4 s      slot = (due >> 14) & 63    (17.5 min)
 *   level 3:  64 slots of 17.5 min    slot = (due >> 20) & 63    (18.6 h)
 *   level 4:  64 slots of 18.6 h      slot = (due >> 26) & 63    (49.7 days)
 *   overflow: one list for the rest (re-sorted every 2^32 ms)
 *
 * A timer goes to the lowest level whose span holds both cur and its due
 * time, i.e. by the highest bit in which due and cur differ (bits 0-7:
 * level 0, 8-13: level 1, ...).  So level 0 holds only the current 256 ms
 * block, level 1 only the current 16.4 s block, and so on.  When cur
 * reaches the start of a level-L slot, that slot is cascaded: its timers
 * are placed again and all land in lower levels.  At that moment those
 * lower levels are empty (all they held was due before cur), so appending
 * keeps each list in arming order, and a timer armed later for the same ms
 * can only be placed after the cascade: timers due in the same ms fire in
 * the order they were armed.  Start and stop are O(1); each timer is moved
 * at most five times before it fires.
 *
 * A bitmap of the non-empty slots gives the next thing to do without a
 * scan: the first level-0 timer, else the start of the first non-empty
 * slot of the lowest non-empty level.  The real clock arms its libevent
 * timer for that time, so an idle daemon sleeps (a timer days away costs a
 * handful of wake-ups at cascade points), and a busy one that wakes late
 * collects every overdue slot in due order in one run.
 *
 * A timer armed for a time before cur (0 ms from inside a callback, say)
 * goes to the ready list, which the next run fires first: never in the run
 * that is firing, so a callback that re-arms itself with 0 ms cannot keep
 * one run going forever.
 */
#include <string.h>

#include "core/tmr_wheel.h"

#define L0_SLOTS 256
#define LN_SLOTS 64
#define NLEVELS 5    /* 0..4; above: the overflow list */
#define OVF_SHIFT 32 /* overflow is re-placed when cur crosses 2^32 ms */

static void list_init(struct tmr_link *h)
{
	h->next = h->prev = h;
}

static bool list_empty(const struct tmr_link *h)
{
	return h->next == h;
}

static void list_append(struct tmr_link *h, struct tmr_link *l)
{
	l->prev = h->prev;
	l->next = h;
	h->prev->next = l;
	h->prev = l;
}

static void list_del(struct tmr_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->next = l->prev = NULL;
}

/* Move all of src to the tail of dst. */
static void list_splice(struct tmr_link *dst, struct tmr_link *src)
{
	if (list_empty(src))
		return;
	src->next->prev = dst->prev;
	dst->prev->next = src->next;
	src->prev->next = dst;
	dst->prev = src->prev;
	list_init(src);
}

/* link is struct tmr's first member. */
static struct tmr *tmr_of(struct tmr_link *l)
{
	return (struct tmr *)l;
}

/* Level L >= 1: its slots are 2^shift ms wide. */
static unsigned level_shift(unsigned lvl)
{
	return 8 + 6 * (lvl - 1);
}

static unsigned level_slot(unsigned lvl, uint64_t t)
{
	return L0_SLOTS + LN_SLOTS * (lvl - 1) + ((t >> level_shift(lvl)) & (LN_SLOTS - 1));
}

static void map_set(struct tmr_wheel *w, unsigned i)
{
	w->map[i / 64] |= (uint64_t)1 << (i % 64);
}

static void map_clear(struct tmr_wheel *w, unsigned i)
{
	w->map[i / 64] &= ~((uint64_t)1 << (i % 64));
}

static bool map_test(const struct tmr_wheel *w, unsigned i)
{
	return w->map[i / 64] >> (i % 64) & 1;
}

/* The list a timer due at due belongs in, given cur (see the top). */
static struct tmr_link *wheel_list(struct tmr_wheel *w, uint64_t due)
{
	uint64_t x = due ^ w->cur;
	unsigned hb, lvl, i;

	if (due < w->cur)
		return &w->ready;
	if (x < L0_SLOTS) {
		i = due & (L0_SLOTS - 1);
	} else {
		hb = 63 - (unsigned)__builtin_clzll(x);
		lvl = (hb - 8) / 6 + 1;
		if (lvl >= NLEVELS)
			return &w->ovf;
		i = level_slot(lvl, due);
	}
	map_set(w, i);
	return &w->slot[i];
}

/* Unlink an armed timer; clear its slot's bit if the slot empties. */
static void wheel_unlink(struct tmr_wheel *w, struct tmr *t)
{
	struct tmr_link *l = &t->link;
	struct tmr_link *h = l->next;

	/* Alone in its list: both neighbours are the head. */
	if (h == l->prev && h >= w->slot && h < w->slot + TMR_WHEEL_SLOTS)
		map_clear(w, (unsigned)(h - w->slot));
	list_del(l);
}

/* Place again every timer of src (a detached list), in its order. */
static void wheel_replace(struct tmr_wheel *w, struct tmr_link *src)
{
	struct tmr_link *l;

	while (!list_empty(src)) {
		l = src->next;
		list_del(l);
		list_append(wheel_list(w, tmr_of(l)->due), l);
	}
}

/* cur is a multiple of 256: cascade every level whose slot starts here, top first. */
static void wheel_cascade(struct tmr_wheel *w)
{
	struct tmr_link tmp;
	unsigned lvl, i;

	list_init(&tmp);
	if (!(w->cur & (((uint64_t)1 << OVF_SHIFT) - 1)) && !list_empty(&w->ovf)) {
		list_splice(&tmp, &w->ovf);
		wheel_replace(w, &tmp);
	}
	for (lvl = NLEVELS - 1; lvl >= 1; lvl--) {
		if (w->cur & (((uint64_t)1 << level_shift(lvl)) - 1))
			continue;
		i = level_slot(lvl, w->cur);
		if (!map_test(w, i))
			continue;
		map_clear(w, i);
		list_splice(&tmp, &w->slot[i]);
		wheel_replace(w, &tmp);
	}
}

static void wheel_set_cur(struct tmr_wheel *w, uint64_t cur)
{
	w->cur = cur;
	if (!(cur & (L0_SLOTS - 1)))
		wheel_cascade(w);
}

/* Index of the first level-0 slot in use, or -1.  All are >= cur & 255. */
static int l0_first(const struct tmr_wheel *w)
{
	for (unsigned k = 0; k < L0_SLOTS / 64; k++)
		if (w->map[k])
			return (int)(k * 64 + (unsigned)__builtin_ctzll(w->map[k]));
	return -1;
}

/*
 * Level 0 empty: where the next cascade is due, or UINT64_MAX.  A level's
 * slot for cur was cascaded when cur reached it, so any slot in use starts
 * after cur, and a lower level's slots all start before a higher one's.
 */
static uint64_t upper_next(const struct tmr_wheel *w)
{
	uint64_t m, block;
	unsigned lvl, shift;

	for (lvl = 1; lvl < NLEVELS; lvl++) {
		m = w->map[(L0_SLOTS + LN_SLOTS * (lvl - 1)) / 64];
		if (!m)
			continue;
		shift = level_shift(lvl);
		block = w->cur & ~(((uint64_t)1 << (shift + 6)) - 1);
		return block | (uint64_t)__builtin_ctzll(m) << shift;
	}
	if (!list_empty(&w->ovf))
		return (w->cur | (((uint64_t)1 << OVF_SHIFT) - 1)) + 1;
	return UINT64_MAX;
}

/* Move every timer due at or before now to the batch, in due order; cur = now + 1. */
static void wheel_collect(struct tmr_wheel *w, uint64_t now)
{
	uint64_t n;
	int i;

	for (;;) {
		i = l0_first(w);
		if (i >= 0) {
			n = (w->cur & ~(uint64_t)(L0_SLOTS - 1)) | (unsigned)i;
			if (n > now)
				break;
			map_clear(w, (unsigned)i);
			list_splice(&w->batch, &w->slot[i]);
			wheel_set_cur(w, n + 1);
			continue;
		}
		n = upper_next(w);
		if (n > now)
			break;
		wheel_set_cur(w, n);
	}
	if (now >= w->cur)
		wheel_set_cur(w, now + 1);
}

void tmr_wheel_init(struct tmr_wheel *w, uint64_t now)
{
	memset(w->map, 0, sizeof(w->map));
	for (unsigned i = 0; i < TMR_WHEEL_SLOTS; i++)
		list_init(&w->slot[i]);
	list_init(&w->ready);
	list_init(&w->batch);
	list_init(&w->ovf);
	w->narmed = 0;
	w->cur = now;
}

static void clear_list(struct tmr_link *h)
{
	struct tmr_link *l;

	while (!list_empty(h)) {
		l = h->next;
		list_del(l);
		tmr_of(l)->due = 0;
	}
}

void tmr_wheel_clear(struct tmr_wheel *w)
{
	for (unsigned i = 0; i < TMR_WHEEL_SLOTS; i++)
		clear_list(&w->slot[i]);
	clear_list(&w->ready);
	clear_list(&w->batch);
	clear_list(&w->ovf);
	memset(w->map, 0, sizeof(w->map));
	w->narmed = 0;
}

void tmr_wheel_arm(struct tmr_wheel *w, struct tmr *t, uint64_t now, uint64_t ms)
{
	uint64_t due;

	if (t->due)
		tmr_wheel_disarm(w, t);
	/* Empty: nothing was placed relative to the old cur, catch up. */
	if (!w->narmed && now > w->cur)
		w->cur = now;
	if (now >= TMR_WHEEL_MAX_DUE || ms > TMR_WHEEL_MAX_DUE - now)
		due = TMR_WHEEL_MAX_DUE;
	else
		due = now + ms;
	t->due = due ? due : 1; /* 0 means not armed */
	list_append(wheel_list(w, t->due), &t->link);
	w->narmed++;
}

void tmr_wheel_disarm(struct tmr_wheel *w, struct tmr *t)
{
	if (!t->due)
		return;
	wheel_unlink(w, t);
	t->due = 0;
	w->narmed--;
}

uint64_t tmr_wheel_next(const struct tmr_wheel *w)
{
	int i;

	if (!list_empty(&w->ready))
		return tmr_of(w->ready.next)->due;
	i = l0_first(w);
	if (i >= 0)
		return (w->cur & ~(uint64_t)(L0_SLOTS - 1)) | (unsigned)i;
	return upper_next(w);
}

size_t tmr_wheel_run(struct tmr_wheel *w, uint64_t now)
{
	struct tmr *t;
	size_t n = 0;

	/* Ready timers are due before cur, so before anything collected now. */
	list_splice(&w->batch, &w->ready);
	if (now >= w->cur)
		wheel_collect(w, now);
	while (!list_empty(&w->batch)) {
		t = tmr_of(w->batch.next);
		list_del(&t->link);
		t->due = 0;
		w->narmed--;
		t->cb(t->arg);
		n++;
	}
	return n;
}
