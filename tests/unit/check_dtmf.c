/*
 * check_dtmf: the DTMF pieces of src/media/dtmf.c and dtmf_inband.c.
 *
 * The sender is run packet time by packet time as the media engine runs
 * it, and every packet is checked against the sequence RFC 4733 §2.5.1
 * asks for; the receiver is fed what the sender made, with losses,
 * duplicates and reordering; in-band detection hears tones made by
 * spandsp's own generator (whose dtmf_tx_init() this file links beside
 * ours: the reason ours are called dtmf_tx_setup()/dtmf_rx_setup()).
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#include "media/dtmf.h"

#include "check_run.h"

/* ---- digit codes --------------------------------------------------------- */

START_TEST(test_codes)
{
	const char *all = "0123456789*#ABCD";

	for (int i = 0; i < 16; i++) {
		ck_assert_int_eq(dtmf_event_of(all[i]), i);
		ck_assert_int_eq(dtmf_digit_of(i), all[i]);
	}
	ck_assert_int_eq(dtmf_event_of('a'), 12);
	ck_assert_int_eq(dtmf_event_of('b'), 13);
	ck_assert_int_eq(dtmf_event_of('c'), 14);
	ck_assert_int_eq(dtmf_event_of('d'), 15);
	ck_assert_int_eq(dtmf_event_of('E'), -1);
	ck_assert_int_eq(dtmf_event_of('e'), -1);
	ck_assert_int_eq(dtmf_event_of('@'), -1);
	ck_assert_int_eq(dtmf_event_of('/'), -1);
	ck_assert_int_eq(dtmf_event_of(':'), -1);
	ck_assert_int_eq(dtmf_event_of(' '), -1);
	ck_assert_int_eq(dtmf_event_of('\0'), -1);
	ck_assert_int_eq(dtmf_event_of('+'), -1);
	ck_assert_int_eq(dtmf_event_of((char)0xB1), -1);
	ck_assert_int_eq(dtmf_digit_of(16), 0); /* flash: an event, no digit */
	ck_assert_int_eq(dtmf_digit_of(255), 0);
	ck_assert_int_eq(dtmf_digit_of(-1), 0);
	ck_assert_int_eq(dtmf_digit_of(INT_MAX), 0);
}
END_TEST

/* ---- sender -------------------------------------------------------------- */

/* One packet time of a run: what tick returned and the packet. */
struct rec {
	int ret;
	uint32_t audio_ts;
	struct dtmf_pkt p;
};

#define MAX_TICKS 400

/*
 * Tick t from audio timestamp ts0, n samples a tick, for ticks packet
 * times (or, ticks 0, until it is idle and one tick more).  Returns the
 * number of ticks recorded.
 */
static int run(struct dtmf_tx *t, uint32_t ts0, size_t n, struct rec *r, int ticks)
{
	int i;

	for (i = 0; i < MAX_TICKS; i++) {
		if (ticks ? i == ticks : (i > 0 && !dtmf_tx_busy(t) && r[i - 1].ret == 0))
			break;
		memset(&r[i].p, 0xA5, sizeof(r[i].p));
		r[i].audio_ts = ts0 + (uint32_t)(i * n);
		r[i].ret = dtmf_tx_tick(t, r[i].audio_ts, n, &r[i].p);
	}
	return i;
}

static uint16_t pkt_duration(const struct dtmf_pkt *p)
{
	return (uint16_t)(p->payload[2] << 8 | p->payload[3]);
}

/* r is an event packet of digit at ts saying duration, with marker and E as given. */
static void expect_pkt(const struct rec *r, char digit, uint32_t ts, unsigned duration, bool marker,
		       bool end)
{
	ck_assert_int_eq(r->ret, 1);
	ck_assert_uint_eq(r->p.payload[0], (unsigned)dtmf_event_of(digit));
	ck_assert_uint_eq(r->p.payload[1], (end ? 0x80u : 0u) | DTMF_VOLUME);
	ck_assert_uint_eq(r->p.payload[2], duration >> 8);
	ck_assert_uint_eq(r->p.payload[3], duration & 0xFF);
	ck_assert_uint_eq(r->p.ts, ts);
	ck_assert(r->p.marker == marker);
	ck_assert(r->p.end == end);
	ck_assert(r->p.new_seq);
	ck_assert_int_eq(r->p.digit, digit);
}

/*
 * One 100 ms digit at 20 ms packets (n = 160), from tick i at timestamp
 * ts: four updates, the final packet three times (§2.5.1.2, §2.5.1.4).
 */
static void expect_digit_100ms(const struct rec *r, char digit, uint32_t ts)
{
	expect_pkt(&r[0], digit, ts, 160, true, false);
	expect_pkt(&r[1], digit, ts, 320, false, false);
	expect_pkt(&r[2], digit, ts, 480, false, false);
	expect_pkt(&r[3], digit, ts, 640, false, false);
	for (int k = 4; k < 7; k++)
		expect_pkt(&r[k], digit, ts, 800, false, true);
}

/* "12" at 100 ms, from audio timestamp ts0: the exact RFC 4733 sequence. */
static void sequence_12(uint32_t ts0)
{
	struct dtmf_tx t;
	struct rec r[MAX_TICKS];
	char sent[8];
	int n;

	dtmf_tx_setup(&t, 8000);
	ck_assert(!dtmf_tx_busy(&t));
	ck_assert_int_eq(dtmf_tx_queue(&t, "12", 100), 0);
	ck_assert(dtmf_tx_busy(&t));

	n = run(&t, ts0, 160, r, 0);
	ck_assert_int_eq(n, 16);
	expect_digit_100ms(&r[0], '1', ts0);
	/* The tone ended at ts0 + 800: the next digit waits for ts0 + 1200,
	 * so one audio packet goes between, at ts0 + 1120. */
	ck_assert_int_eq(r[7].ret, 0);
	expect_digit_100ms(&r[8], '2', ts0 + 1280);
	ck_assert_uint_eq(r[8].p.ts, r[8].audio_ts);
	ck_assert_int_eq(r[15].ret, 0);
	ck_assert(!dtmf_tx_busy(&t));
	ck_assert_uint_eq(dtmf_tx_sent(&t, sent, sizeof(sent)), 2);
	ck_assert_str_eq(sent, "12");
	ck_assert_uint_eq(dtmf_tx_sent(&t, sent, sizeof(sent)), 0);
	ck_assert_str_eq(sent, "");
}

START_TEST(test_tx_sequence)
{
	sequence_12(1000);
}
END_TEST

/* The same across the 32-bit wrap of the RTP clock. */
START_TEST(test_tx_sequence_wraps)
{
	sequence_12(UINT32_MAX - 500);
	sequence_12(UINT32_MAX - 1200);
}
END_TEST

/* A digit is "sent" once its third final packet is out, not before. */
START_TEST(test_tx_sent_when_complete)
{
	struct dtmf_tx t;
	struct dtmf_pkt p;
	char sent[4];
	uint32_t ts = 0;

	dtmf_tx_setup(&t, 8000);
	ck_assert_int_eq(dtmf_tx_queue(&t, "#", 0), 0);
	for (int i = 0; i < 6; i++, ts += 160) {
		ck_assert_int_eq(dtmf_tx_tick(&t, ts, 160, &p), 1);
		ck_assert_uint_eq(dtmf_tx_sent(&t, sent, sizeof(sent)), 0);
		ck_assert(dtmf_tx_busy(&t));
	}
	ck_assert_int_eq(dtmf_tx_tick(&t, ts, 160, &p), 1);
	ck_assert(p.end);
	ck_assert(!dtmf_tx_busy(&t));
	/* size 1: room for the NUL only; the digit stays. */
	ck_assert_uint_eq(dtmf_tx_sent(&t, sent, 1), 0);
	ck_assert_str_eq(sent, "");
	ck_assert_uint_eq(dtmf_tx_sent(&t, NULL, 4), 0);
	ck_assert_uint_eq(dtmf_tx_sent(&t, sent, 0), 0);
	ck_assert_uint_eq(dtmf_tx_sent(&t, sent, sizeof(sent)), 1);
	ck_assert_str_eq(sent, "#");
	ck_assert_uint_eq(dtmf_tx_sent(NULL, sent, sizeof(sent)), 0);
}
END_TEST

/* Sent digits that do not fit wait for the next call, in order. */
START_TEST(test_tx_sent_in_parts)
{
	struct dtmf_tx t;
	struct rec r[MAX_TICKS];
	char sent[3];

	dtmf_tx_setup(&t, 8000);
	ck_assert_int_eq(dtmf_tx_queue(&t, "A*d9", 40), 0);
	run(&t, 0, 160, r, 0);
	ck_assert(!dtmf_tx_busy(&t));
	ck_assert_uint_eq(dtmf_tx_sent(&t, sent, sizeof(sent)), 2);
	ck_assert_str_eq(sent, "A*");
	ck_assert_uint_eq(dtmf_tx_sent(&t, sent, sizeof(sent)), 2);
	ck_assert_str_eq(sent, "D9");
	ck_assert_uint_eq(dtmf_tx_sent(&t, sent, sizeof(sent)), 0);
}
END_TEST

/* More than DTMF_QUEUE_MAX digits sent and never read: the newest are kept. */
START_TEST(test_tx_sent_bounded)
{
	struct dtmf_tx t;
	struct dtmf_pkt p;
	char sent[DTMF_QUEUE_MAX + 8];
	uint32_t ts = 0;

	dtmf_tx_setup(&t, 8000);
	ck_assert_int_eq(dtmf_tx_queue(&t, "0123456789", 40), 0);
	for (int round = 0; round < 7; round++) {
		while (dtmf_tx_busy(&t)) {
			ck_assert_int_ge(dtmf_tx_tick(&t, ts, 160, &p), 0);
			ts += 160;
		}
		ck_assert_int_eq(dtmf_tx_queue(&t, "0123456789", 40), 0);
	}
	while (dtmf_tx_busy(&t)) {
		ck_assert_int_ge(dtmf_tx_tick(&t, ts, 160, &p), 0);
		ts += 160;
	}
	/* 80 sent, 64 kept: from the 17th on. */
	ck_assert_uint_eq(dtmf_tx_sent(&t, sent, sizeof(sent)), DTMF_QUEUE_MAX);
	ck_assert_str_eq(sent, "6789012345678901234567890123456789012345678901234567890123456789");
}
END_TEST

START_TEST(test_tx_queue_errors)
{
	struct dtmf_tx t;
	char many[DTMF_QUEUE_MAX + 2];

	dtmf_tx_setup(&t, 8000);
	ck_assert_int_eq(dtmf_tx_queue(NULL, "1", 100), -EINVAL);
	ck_assert_int_eq(dtmf_tx_queue(&t, NULL, 100), -EINVAL);
	ck_assert_int_eq(dtmf_tx_queue(&t, "", 100), -EINVAL);
	ck_assert_int_eq(dtmf_tx_queue(&t, "12x3", 100), -EINVAL);
	ck_assert_int_eq(dtmf_tx_queue(&t, "12 3", 100), -EINVAL);
	ck_assert_int_eq(dtmf_tx_queue(&t, "E", 100), -EINVAL);
	ck_assert_int_eq(dtmf_tx_queue(&t, "1", 39), -EINVAL);
	ck_assert_int_eq(dtmf_tx_queue(&t, "1", 5001), -EINVAL);
	ck_assert_int_eq(dtmf_tx_queue(&t, "1", UINT_MAX), -EINVAL);
	ck_assert(!dtmf_tx_busy(&t)); /* nothing of the above was queued */
	ck_assert_int_eq(t.q_len, 0);

	ck_assert_int_eq(dtmf_tx_queue(&t, "1", 40), 0);
	ck_assert_int_eq(dtmf_tx_queue(&t, "2", 5000), 0);
	ck_assert_int_eq(t.q_len, 2);

	/* 62 more fill the queue to 64; one more overflows, nothing taken. */
	memset(many, '5', sizeof(many));
	many[DTMF_QUEUE_MAX - 2] = '\0';
	ck_assert_int_eq(dtmf_tx_queue(&t, many, 100), 0);
	ck_assert_int_eq(t.q_len, DTMF_QUEUE_MAX);
	ck_assert_int_eq(dtmf_tx_queue(&t, "1", 100), -ENOSPC);
	ck_assert_int_eq(t.q_len, DTMF_QUEUE_MAX);
	/* A bad character is -EINVAL even when it would not fit either. */
	ck_assert_int_eq(dtmf_tx_queue(&t, "x", 100), -EINVAL);

	dtmf_tx_setup(&t, 8000);
	memset(many, '5', sizeof(many));
	many[DTMF_QUEUE_MAX + 1] = '\0'; /* 65 */
	ck_assert_int_eq(dtmf_tx_queue(&t, many, 100), -ENOSPC);
	ck_assert_int_eq(t.q_len, 0);
	many[DTMF_QUEUE_MAX] = '\0'; /* 64 */
	ck_assert_int_eq(dtmf_tx_queue(&t, many, 100), 0);
	ck_assert_int_eq(t.q_len, DTMF_QUEUE_MAX);
}
END_TEST

/* 0 ms is 100 ms; lower case a-d go out as their codes, digit upper case. */
START_TEST(test_tx_default_duration_and_case)
{
	struct dtmf_tx t;
	struct rec r[MAX_TICKS];

	dtmf_tx_setup(&t, 8000);
	ck_assert_int_eq(dtmf_tx_queue(&t, "c", 0), 0);
	ck_assert_int_eq(run(&t, 40, 160, r, 0), 8);
	expect_digit_100ms(r, 'C', 40);
	ck_assert_uint_eq(r[0].p.payload[0], 14);
}
END_TEST

/* Rate 0 is 8000 Hz. */
START_TEST(test_tx_rate_default)
{
	struct dtmf_tx t;
	struct rec r[MAX_TICKS];

	dtmf_tx_setup(&t, 0);
	ck_assert_uint_eq(t.rate, 8000);
	ck_assert_int_eq(dtmf_tx_queue(&t, "7", 100), 0);
	run(&t, 0, 160, r, 0);
	expect_digit_100ms(r, '7', 0);
}
END_TEST

/* A length that is no multiple of the packet time: the last duration is exact. */
START_TEST(test_tx_odd_length)
{
	struct dtmf_tx t;
	struct rec r[MAX_TICKS];

	dtmf_tx_setup(&t, 8000);
	ck_assert_int_eq(dtmf_tx_queue(&t, "55", 50), 0); /* 400 samples */
	ck_assert_int_eq(run(&t, 0, 160, r, 11), 11);
	expect_pkt(&r[0], '5', 0, 160, true, false);
	expect_pkt(&r[1], '5', 0, 320, false, false);
	for (int k = 2; k < 5; k++)
		expect_pkt(&r[k], '5', 0, 400, false, true);
	/* tone end 400 + pause 400: the second starts at 800, no audio between */
	expect_pkt(&r[5], '5', 800, 160, true, false);
	expect_pkt(&r[6], '5', 800, 320, false, false);
	expect_pkt(&r[7], '5', 800, 400, false, true);
	ck_assert_int_eq(r[10].ret, 0);
}
END_TEST

/* A packet time longer than the digit: the first packet is final, marker once. */
START_TEST(test_tx_long_ptime)
{
	struct dtmf_tx t;
	struct rec r[MAX_TICKS];

	dtmf_tx_setup(&t, 8000);
	ck_assert_int_eq(dtmf_tx_queue(&t, "9", 40), 0); /* 320 samples */
	ck_assert_int_eq(run(&t, 7, 480, r, 0), 4);
	expect_pkt(&r[0], '9', 7, 320, true, true);
	expect_pkt(&r[1], '9', 7, 320, false, true);
	expect_pkt(&r[2], '9', 7, 320, false, true);
	ck_assert_int_eq(r[3].ret, 0);
}
END_TEST

/* Idle between digits queued apart: the pause still holds, then no longer. */
START_TEST(test_tx_pause_after_idle)
{
	struct dtmf_tx t;
	struct dtmf_pkt p;
	struct rec r[MAX_TICKS];

	dtmf_tx_setup(&t, 8000);
	ck_assert_int_eq(dtmf_tx_queue(&t, "1", 100), 0);
	ck_assert_int_eq(run(&t, 0, 160, r, 7), 7);
	ck_assert(!dtmf_tx_busy(&t));
	ck_assert_int_eq(dtmf_tx_queue(&t, "2", 100), 0);
	ck_assert_int_eq(dtmf_tx_tick(&t, 1120, 160, &p), 0); /* 80 before 1200 */
	ck_assert_int_eq(dtmf_tx_tick(&t, 1200, 160, &p), 1); /* the pause is over */
	ck_assert_uint_eq(p.ts, 1200);
	ck_assert(p.marker);

	/* Much later: at once. */
	dtmf_tx_setup(&t, 8000);
	ck_assert_int_eq(dtmf_tx_queue(&t, "1", 100), 0);
	run(&t, 0, 160, r, 7);
	ck_assert_int_eq(dtmf_tx_queue(&t, "2", 100), 0);
	ck_assert_int_eq(dtmf_tx_tick(&t, 80000, 160, &p), 1);
	ck_assert_uint_eq(p.ts, 80000);

	/* A clock that went back (or wrapped) by more than a pause: at once too. */
	dtmf_tx_setup(&t, 8000);
	ck_assert_int_eq(dtmf_tx_queue(&t, "1", 100), 0);
	run(&t, 1000000, 160, r, 7);
	ck_assert_int_eq(dtmf_tx_queue(&t, "2", 100), 0);
	ck_assert_int_eq(dtmf_tx_tick(&t, 5000, 160, &p), 1);
	ck_assert_uint_eq(p.ts, 5000);
}
END_TEST

/* Clear during the tone: the queue goes, the event ends at its next packet. */
START_TEST(test_tx_clear_during_tone)
{
	struct dtmf_tx t;
	struct dtmf_pkt p;
	struct rec r[MAX_TICKS];
	char sent[4];

	dtmf_tx_setup(&t, 8000);
	dtmf_tx_clear(&t); /* idle: nothing to do */
	ck_assert(!dtmf_tx_busy(&t));
	ck_assert_int_eq(dtmf_tx_queue(&t, "12", 200), 0);
	ck_assert_int_eq(run(&t, 0, 160, r, 3), 3); /* 160, 320, 480 */
	expect_pkt(&r[2], '1', 0, 480, false, false);
	dtmf_tx_clear(&t);
	ck_assert(dtmf_tx_busy(&t)); /* its final packets are still to go */
	ck_assert_int_eq(run(&t, 480, 160, r, 4), 4);
	for (int k = 0; k < 3; k++)
		expect_pkt(&r[k], '1', 0, 480, false, true);
	ck_assert_int_eq(r[3].ret, 0); /* '2' was dropped */
	ck_assert(!dtmf_tx_busy(&t));
	ck_assert_uint_eq(dtmf_tx_sent(&t, sent, sizeof(sent)), 0); /* cut: not sent */
	/* The pause after the cut tone (480 + 400) still holds. */
	ck_assert_int_eq(dtmf_tx_queue(&t, "3", 100), 0);
	ck_assert_int_eq(dtmf_tx_tick(&t, 800, 160, &p), 0);
	ck_assert_int_eq(dtmf_tx_tick(&t, 960, 160, &p), 1);
	ck_assert_int_eq(p.digit, '3');
}
END_TEST

/* Clear once the final packet is out: its repeats go on, the digit counts. */
START_TEST(test_tx_clear_during_end)
{
	struct dtmf_tx t;
	struct rec r[MAX_TICKS];
	char sent[4];

	dtmf_tx_setup(&t, 8000);
	ck_assert_int_eq(dtmf_tx_queue(&t, "45", 100), 0);
	ck_assert_int_eq(run(&t, 0, 160, r, 5), 5);
	ck_assert(r[4].p.end);
	dtmf_tx_clear(&t);
	ck_assert_int_eq(run(&t, 800, 160, r, 3), 3);
	expect_pkt(&r[0], '4', 0, 800, false, true);
	expect_pkt(&r[1], '4', 0, 800, false, true);
	ck_assert_int_eq(r[2].ret, 0);
	ck_assert(!dtmf_tx_busy(&t));
	ck_assert_uint_eq(dtmf_tx_sent(&t, sent, sizeof(sent)), 1);
	ck_assert_str_eq(sent, "4");
}
END_TEST

START_TEST(test_tx_tick_args)
{
	struct dtmf_tx t;
	struct dtmf_pkt p;

	dtmf_tx_setup(&t, 8000);
	ck_assert_int_eq(dtmf_tx_queue(&t, "1", 100), 0);
	ck_assert_int_eq(dtmf_tx_tick(NULL, 0, 160, &p), -EINVAL);
	ck_assert_int_eq(dtmf_tx_tick(&t, 0, 160, NULL), -EINVAL);
	ck_assert_int_eq(dtmf_tx_tick(&t, 0, 0, &p), -EINVAL);
	ck_assert_int_eq(t.state, DTMF_TX_IDLE); /* nothing started */
	ck_assert_int_eq(t.q_len, 1);
	ck_assert(!dtmf_tx_busy(NULL));
	dtmf_tx_clear(NULL);
	dtmf_tx_setup(NULL, 8000);
	dtmf_rx_setup(NULL, 8000);
	ck_assert_int_eq(dtmf_tx_tick(&t, 0, 160, &p), 1);
}
END_TEST

/*
 * 5000 ms at 48000 Hz is 240000 units, past the 0xFFFF a duration can
 * say: four segments (§2.5.1.3).  At 960 a packet, tick k (1-based) has
 * seen 960k: segment 1 overflows at k = 69 and its 0xFFFF packet goes at
 * 69, 70, 71; segment 2 (ts + 65535) from 72 to 136, full at 137..139;
 * segment 3 (ts + 131070) from 140, full at 205..207; segment 4
 * (ts + 196605) from 208 ends at 250 with 240000 - 196605 = 43395, the
 * final packet at 250, 251, 252.
 */
static int segments_run(struct rec *r, uint32_t ts0)
{
	struct dtmf_tx t;

	dtmf_tx_setup(&t, 48000);
	ck_assert_int_eq(dtmf_tx_queue(&t, "0", 5000), 0);
	return run(&t, ts0, 960, r, 0);
}

START_TEST(test_tx_segments)
{
	struct rec r[MAX_TICKS];
	uint32_t ts0 = UINT32_MAX - 100000; /* across the wrap as well */
	int n = segments_run(r, ts0), markers = 0, ends = 0;

	ck_assert_int_eq(n, 253);
	ck_assert_int_eq(r[252].ret, 0);
	for (int i = 0; i < 252; i++) {
		ck_assert_int_eq(r[i].ret, 1);
		markers += r[i].p.marker;
		ends += r[i].p.end;
		ck_assert(r[i].p.end == (i >= 249));
	}
	ck_assert_int_eq(markers, 1);
	ck_assert_int_eq(ends, 3);
	expect_pkt(&r[0], '0', ts0, 960, true, false);
	expect_pkt(&r[67], '0', ts0, 65280, false, false);
	for (int i = 68; i < 71; i++)
		expect_pkt(&r[i], '0', ts0, 0xFFFF, false, false);
	expect_pkt(&r[71], '0', ts0 + 65535, 69120 - 65535, false, false);
	expect_pkt(&r[135], '0', ts0 + 65535, 130560 - 65535, false, false);
	for (int i = 136; i < 139; i++)
		expect_pkt(&r[i], '0', ts0 + 65535, 0xFFFF, false, false);
	expect_pkt(&r[139], '0', ts0 + 131070, 134400 - 131070, false, false);
	for (int i = 204; i < 207; i++)
		expect_pkt(&r[i], '0', ts0 + 131070, 0xFFFF, false, false);
	expect_pkt(&r[207], '0', ts0 + 196605, 199680 - 196605, false, false);
	expect_pkt(&r[248], '0', ts0 + 196605, 239040 - 196605, false, false);
	for (int i = 249; i < 252; i++)
		expect_pkt(&r[i], '0', ts0 + 196605, 43395, false, true);
	/* Within a segment the duration only grows. */
	for (int i = 1; i < 252; i++)
		if (r[i].p.ts == r[i - 1].p.ts)
			ck_assert_uint_ge(pkt_duration(&r[i].p), pkt_duration(&r[i - 1].p));
}
END_TEST

/* ---- receiver ------------------------------------------------------------ */

/* What a receiver reported: the digits, and their durations. */
struct heard {
	char digits[64];
	unsigned ms[64];
	int n;
};

static void rx_feed(struct dtmf_rx *rx, const struct dtmf_pkt *p, struct heard *h)
{
	char d = 0;
	unsigned ms = 0;
	int ret = dtmf_rx_packet(rx, p->ts, p->marker, p->payload, sizeof(p->payload), &d, &ms);

	ck_assert_int_ge(ret, 0);
	if (ret == 1) {
		ck_assert_int_lt(h->n, 63);
		h->ms[h->n] = ms;
		h->digits[h->n++] = d;
		h->digits[h->n] = '\0';
	} else {
		ck_assert_int_eq(ret, 0);
	}
}

/* The event packets of sending digits at ms each, 20 ms packets, from ts0. */
static int make_packets(const char *digits, unsigned ms, uint32_t ts0, struct dtmf_pkt *out,
			int max)
{
	struct dtmf_tx t;
	struct rec r[MAX_TICKS];
	int n, k = 0;

	dtmf_tx_setup(&t, 8000);
	ck_assert_int_eq(dtmf_tx_queue(&t, digits, ms), 0);
	n = run(&t, ts0, 160, r, 0);
	for (int i = 0; i < n; i++)
		if (r[i].ret == 1) {
			ck_assert_int_lt(k, max);
			out[k++] = r[i].p;
		}
	return k;
}

START_TEST(test_rx_sender_sequence)
{
	struct dtmf_pkt pk[MAX_TICKS];
	struct dtmf_rx rx;
	struct heard h = {0};
	int n = make_packets("1234*#", 100, UINT32_MAX - 3000, pk, MAX_TICKS);

	ck_assert_int_eq(n, 42);
	dtmf_rx_setup(&rx, 8000);
	for (int i = 0; i < n; i++)
		rx_feed(&rx, &pk[i], &h);
	ck_assert_str_eq(h.digits, "1234*#");
	for (int i = 0; i < 6; i++)
		ck_assert_uint_eq(h.ms[i], 20); /* the first packet says 160 units */
}
END_TEST

/* Every marker packet lost: each digit still once, from its next packet. */
START_TEST(test_rx_first_lost)
{
	struct dtmf_pkt pk[MAX_TICKS];
	struct dtmf_rx rx;
	struct heard h = {0};
	int n = make_packets("1234*#", 100, 5000, pk, MAX_TICKS);

	dtmf_rx_setup(&rx, 8000);
	for (int i = 0; i < n; i++)
		if (!pk[i].marker)
			rx_feed(&rx, &pk[i], &h);
	ck_assert_str_eq(h.digits, "1234*#");
	for (int i = 0; i < 6; i++)
		ck_assert_uint_eq(h.ms[i], 40);
}
END_TEST

/* Only the end packets arrive: each digit once, with its whole duration. */
START_TEST(test_rx_only_end_packets)
{
	struct dtmf_pkt pk[MAX_TICKS];
	struct dtmf_rx rx;
	struct heard h = {0};
	int n = make_packets("90", 100, 0, pk, MAX_TICKS);

	dtmf_rx_setup(&rx, 0); /* 8000 */
	for (int i = 0; i < n; i++)
		if (pk[i].end)
			rx_feed(&rx, &pk[i], &h);
	ck_assert_str_eq(h.digits, "90");
	ck_assert_uint_eq(h.ms[0], 100);
	ck_assert_uint_eq(h.ms[1], 100);
}
END_TEST

/* The same digit twice is two events: two timestamps, two reports. */
START_TEST(test_rx_repeated_digit)
{
	struct dtmf_pkt pk[MAX_TICKS];
	struct dtmf_rx rx;
	struct heard h = {0};
	int n = make_packets("11", 100, 123456, pk, MAX_TICKS);

	dtmf_rx_setup(&rx, 8000);
	for (int i = 0; i < n; i++)
		rx_feed(&rx, &pk[i], &h);
	ck_assert_str_eq(h.digits, "11");

	/* With the markers lost as well. */
	memset(&h, 0, sizeof(h));
	dtmf_rx_setup(&rx, 8000);
	for (int i = 0; i < n; i++)
		if (!pk[i].marker)
			rx_feed(&rx, &pk[i], &h);
	ck_assert_str_eq(h.digits, "11");
}
END_TEST

/* Every packet twice (a duplicating network): still once each. */
START_TEST(test_rx_duplicates)
{
	struct dtmf_pkt pk[MAX_TICKS];
	struct dtmf_rx rx;
	struct heard h = {0};
	int n = make_packets("#*", 100, 77, pk, MAX_TICKS);

	dtmf_rx_setup(&rx, 8000);
	for (int i = 0; i < n; i++) {
		rx_feed(&rx, &pk[i], &h);
		rx_feed(&rx, &pk[i], &h);
	}
	ck_assert_str_eq(h.digits, "#*");
}
END_TEST

/* Late packets of an earlier digit, after the next began, report nothing. */
START_TEST(test_rx_reordered)
{
	struct dtmf_pkt pk[MAX_TICKS];
	struct dtmf_rx rx;
	struct heard h = {0};
	int n = make_packets("123", 100, 1000, pk, MAX_TICKS);

	ck_assert_int_eq(n, 21);
	dtmf_rx_setup(&rx, 8000);
	for (int i = 0; i < 7; i++) /* all of '1' */
		rx_feed(&rx, &pk[i], &h);
	for (int i = 7; i < 14; i++) /* all of '2' */
		rx_feed(&rx, &pk[i], &h);
	rx_feed(&rx, &pk[6], &h);  /* '1' end, late */
	rx_feed(&rx, &pk[0], &h);  /* '1' first, very late */
	rx_feed(&rx, &pk[14], &h); /* '3' */
	rx_feed(&rx, &pk[13], &h); /* '2' end, late: the event before the last */
	rx_feed(&rx, &pk[2], &h);  /* '1', two events back */
	ck_assert_str_eq(h.digits, "123");
}
END_TEST

/* A timestamp far from the last (a new stream after a re-INVITE) is a new event. */
START_TEST(test_rx_new_stream)
{
	static const uint8_t one[4] = {1, 0x0A, 0, 160}, two[4] = {2, 0x0A, 0, 160};
	struct dtmf_rx rx;
	char d;
	unsigned ms;

	dtmf_rx_setup(&rx, 8000);
	ck_assert_int_eq(dtmf_rx_packet(&rx, 10000000, true, one, 4, &d, &ms), 1);
	/* behind by more than 0xFFFF + 8000: another stream */
	ck_assert_int_eq(dtmf_rx_packet(&rx, 10000000 - 73536, true, two, 4, &d, &ms), 1);
	ck_assert_int_eq(d, '2');
	/* behind by 0xFFFF + 8000 exactly: a late packet of an earlier event */
	ck_assert_int_eq(dtmf_rx_packet(&rx, 10000000 - 73536 - 73535, true, one, 4, &d, &ms), 0);
	/* ahead: new, marker or not */
	ck_assert_int_eq(dtmf_rx_packet(&rx, 10000001, false, one, 4, &d, &ms), 1);
	ck_assert_int_eq(d, '1');
	/* far behind: new */
	ck_assert_int_eq(dtmf_rx_packet(&rx, 5, false, two, 4, &d, &ms), 1);
	ck_assert_int_eq(d, '2');
}
END_TEST

/* Another event code at the same timestamp is another event. */
START_TEST(test_rx_same_ts_other_code)
{
	static const uint8_t one[4] = {1, 0x0A, 0, 160}, two[4] = {2, 0x0A, 0, 160};
	struct dtmf_rx rx;
	char d = 0;
	unsigned ms = 0;

	dtmf_rx_setup(&rx, 8000);
	ck_assert_int_eq(dtmf_rx_packet(&rx, 400, true, one, 4, &d, &ms), 1);
	ck_assert_int_eq(dtmf_rx_packet(&rx, 400, true, two, 4, &d, &ms), 1);
	ck_assert_int_eq(d, '2');
	ck_assert_int_eq(dtmf_rx_packet(&rx, 400, false, one, 4, &d, &ms), 0);
	ck_assert_int_eq(dtmf_rx_packet(&rx, 400, false, two, 4, &d, &ms), 0);
}
END_TEST

START_TEST(test_rx_bad_payloads)
{
	static const uint8_t ok[8] = {5, 0x0A, 0x03, 0x20, 7, 0x0A, 0, 160};
	uint8_t pl[4] = {16, 0x0A, 0, 160};
	struct dtmf_rx rx;
	char d = 'x';
	unsigned ms = 99;

	dtmf_rx_setup(&rx, 8000);
	for (size_t len = 0; len < 4; len++)
		ck_assert_int_eq(dtmf_rx_packet(&rx, 0, true, ok, len, &d, &ms), -EBADMSG);
	ck_assert_int_eq(dtmf_rx_packet(&rx, 0, true, NULL, 4, &d, &ms), -EBADMSG);
	ck_assert_int_eq(dtmf_rx_packet(&rx, 0, true, pl, 4, &d, &ms), -ENOTSUP); /* flash */
	pl[0] = 100;
	ck_assert_int_eq(dtmf_rx_packet(&rx, 0, true, pl, 4, &d, &ms), -ENOTSUP);
	pl[0] = 255;
	pl[1] = 0x8A;
	ck_assert_int_eq(dtmf_rx_packet(&rx, 0, true, pl, 4, &d, &ms), -ENOTSUP);
	ck_assert_int_eq(dtmf_rx_packet(NULL, 0, true, ok, 4, &d, &ms), -EINVAL);
	ck_assert_int_eq(dtmf_rx_packet(&rx, 0, true, ok, 4, NULL, &ms), -EINVAL);
	ck_assert_int_eq(dtmf_rx_packet(&rx, 0, true, ok, 4, &d, NULL), -EINVAL);
	/* Nothing was written, and r is as it was: the event at 0 is still new. */
	ck_assert_int_eq(d, 'x');
	ck_assert_uint_eq(ms, 99);
	ck_assert(!rx.have);
	/* 8 bytes: the first event is read. */
	ck_assert_int_eq(dtmf_rx_packet(&rx, 0, true, ok, 8, &d, &ms), 1);
	ck_assert_int_eq(d, '5');
	ck_assert_uint_eq(ms, 100);
	/* An unknown event amid a digit's packets changes nothing. */
	pl[0] = 16;
	ck_assert_int_eq(dtmf_rx_packet(&rx, 0, false, pl, 4, &d, &ms), -ENOTSUP);
	ck_assert_int_eq(dtmf_rx_packet(&rx, 0, false, ok, 4, &d, &ms), 0);
}
END_TEST

/* A 5 s digit at 48 kHz in four segments is one digit. */
START_TEST(test_rx_segments)
{
	struct rec r[MAX_TICKS];
	struct dtmf_rx rx;
	struct heard h = {0};
	int n = segments_run(r, 42);

	dtmf_rx_setup(&rx, 48000);
	for (int i = 0; i < n; i++)
		if (r[i].ret == 1)
			rx_feed(&rx, &r[i].p, &h);
	ck_assert_str_eq(h.digits, "0");
	ck_assert_uint_eq(h.ms[0], 20);

	/* Even with every segment's 0xFFFF packets lost. */
	memset(&h, 0, sizeof(h));
	dtmf_rx_setup(&rx, 48000);
	for (int i = 0; i < n; i++)
		if (r[i].ret == 1 && pkt_duration(&r[i].p) != 0xFFFF)
			rx_feed(&rx, &r[i].p, &h);
	ck_assert_str_eq(h.digits, "0");
}
END_TEST

/* ---- in-band ------------------------------------------------------------- */

static void collect(void *arg, char digit)
{
	struct heard *h = arg;

	ck_assert_int_lt(h->n, 63);
	h->digits[h->n++] = digit;
	h->digits[h->n] = '\0';
}

#define TONE_SAMPLES (8000 * 3) /* 3 s: the digits and silence after */

/* spandsp's generator: digits at -10 dBm0 (default timing 50 ms on, 55 off). */
static void make_tones(const char *digits, int16_t *pcm, size_t n)
{
	dtmf_tx_state_t *gen = dtmf_tx_init(NULL);
	int got;

	ck_assert_ptr_nonnull(gen);
	dtmf_tx_set_level(gen, -10, 0);
	ck_assert_int_eq(dtmf_tx_put(gen, digits, -1), 0);
	got = dtmf_tx(gen, pcm, (int)n);
	ck_assert_int_gt(got, 0);
	ck_assert_int_lt(got, (int)n);
	memset(pcm + got, 0, (n - (size_t)got) * sizeof(*pcm));
	dtmf_tx_free(gen);
}

/* Feed pcm to a new detector step samples at a time; what it heard. */
static void detect(const int16_t *pcm, size_t n, size_t step, struct heard *h)
{
	struct dtmf_inband *d;

	memset(h, 0, sizeof(*h));
	ck_assert_int_eq(dtmf_inband_new(&d, collect, h), 0);
	for (size_t i = 0; i < n; i += step)
		dtmf_inband_feed(d, pcm + i, n - i < step ? n - i : step);
	dtmf_inband_free(d);
}

START_TEST(test_inband_tones)
{
	static int16_t pcm[TONE_SAMPLES];
	struct heard h;

	make_tones("1234*#", pcm, TONE_SAMPLES);
	detect(pcm, TONE_SAMPLES, 160, &h); /* 20 ms, as the engine feeds */
	ck_assert_str_eq(h.digits, "1234*#");
	detect(pcm, TONE_SAMPLES, 7, &h); /* odd pieces */
	ck_assert_str_eq(h.digits, "1234*#");
	detect(pcm, TONE_SAMPLES, TONE_SAMPLES, &h); /* one feed, over many chunks */
	ck_assert_str_eq(h.digits, "1234*#");

	make_tones("ABCD0987", pcm, TONE_SAMPLES);
	detect(pcm, TONE_SAMPLES, 160, &h);
	ck_assert_str_eq(h.digits, "ABCD0987");
}
END_TEST

/* Through G.711 both ways, as a call carries them, and over some noise. */
START_TEST(test_inband_g711_noise)
{
	static int16_t pcm[TONE_SAMPLES];
	awgn_state_t *noise;
	struct heard h;

	make_tones("1234*#", pcm, TONE_SAMPLES);
	for (size_t i = 0; i < TONE_SAMPLES; i++)
		pcm[i] = ulaw_to_linear(linear_to_ulaw(pcm[i]));
	detect(pcm, TONE_SAMPLES, 160, &h);
	ck_assert_str_eq(h.digits, "1234*#");

	make_tones("1234*#", pcm, TONE_SAMPLES);
	noise = awgn_init_dbm0(NULL, 1234567, -35.0f);
	ck_assert_ptr_nonnull(noise);
	for (size_t i = 0; i < TONE_SAMPLES; i++)
		pcm[i] = alaw_to_linear(linear_to_alaw(pcm[i] + awgn(noise)));
	awgn_free(noise);
	detect(pcm, TONE_SAMPLES, 160, &h);
	ck_assert_str_eq(h.digits, "1234*#");
}
END_TEST

/* Noise alone, or silence, is no digit. */
START_TEST(test_inband_noise_alone)
{
	static int16_t pcm[8000 * 5];
	const size_t n = sizeof(pcm) / sizeof(pcm[0]);
	awgn_state_t *noise = awgn_init_dbm0(NULL, 42, -10.0f);
	struct heard h;

	ck_assert_ptr_nonnull(noise);
	for (size_t i = 0; i < n; i++)
		pcm[i] = awgn(noise);
	awgn_free(noise);
	detect(pcm, n, 160, &h);
	ck_assert_int_eq(h.n, 0);

	memset(pcm, 0, sizeof(pcm));
	detect(pcm, n, 160, &h);
	ck_assert_int_eq(h.n, 0);
}
END_TEST

START_TEST(test_inband_args)
{
	struct dtmf_inband *d = NULL;
	struct heard h = {0};
	int16_t pcm[160] = {0};

	ck_assert_int_eq(dtmf_inband_new(NULL, collect, &h), -EINVAL);
	ck_assert_int_eq(dtmf_inband_new(&d, NULL, &h), -EINVAL);
	ck_assert_ptr_null(d);
	dtmf_inband_free(NULL);
	dtmf_inband_feed(NULL, pcm, 160);
	ck_assert_int_eq(dtmf_inband_new(&d, collect, &h), 0);
	dtmf_inband_feed(d, NULL, 160);
	dtmf_inband_feed(d, pcm, 0);
	dtmf_inband_free(d);
	ck_assert_int_eq(h.n, 0);
}
END_TEST

/* ---- INFO bodies --------------------------------------------------------- */

START_TEST(test_relay_format)
{
	char out[64];

	memset(out, 'z', sizeof(out));
	ck_assert_int_eq(dtmf_relay_format(out, sizeof(out), '5', 160), 24);
	ck_assert_str_eq(out, "Signal=5\r\nDuration=160\r\n");
	ck_assert_int_eq(dtmf_relay_format(out, sizeof(out), '*', 40), 23);
	ck_assert_str_eq(out, "Signal=*\r\nDuration=40\r\n");
	ck_assert_int_eq(dtmf_relay_format(out, sizeof(out), '#', 5000), 25);
	ck_assert_str_eq(out, "Signal=#\r\nDuration=5000\r\n");
	ck_assert_int_eq(dtmf_relay_format(out, sizeof(out), 'b', 0), 24);
	ck_assert_str_eq(out, "Signal=B\r\nDuration=100\r\n");

	ck_assert_int_eq(dtmf_relay_format(out, sizeof(out), 'x', 100), -EINVAL);
	ck_assert_int_eq(dtmf_relay_format(out, sizeof(out), '\0', 100), -EINVAL);
	ck_assert_int_eq(dtmf_relay_format(out, sizeof(out), '1', 39), -EINVAL);
	ck_assert_int_eq(dtmf_relay_format(out, sizeof(out), '1', 5001), -EINVAL);
	ck_assert_int_eq(dtmf_relay_format(NULL, 64, '1', 100), -EINVAL);

	/* Exactly its length + NUL fits; one byte less does not, out untouched. */
	memset(out, 'z', sizeof(out));
	ck_assert_int_eq(dtmf_relay_format(out, 24, '5', 160), -ENOSPC);
	ck_assert_int_eq(out[0], 'z');
	ck_assert_int_eq(dtmf_relay_format(out, 0, '5', 160), -ENOSPC);
	ck_assert_int_eq(dtmf_relay_format(out, 25, '5', 160), 24);
	ck_assert_str_eq(out, "Signal=5\r\nDuration=160\r\n");
}
END_TEST

/* body parses to digit and ms. */
static void parse_ok(const char *body, bool is_dtmf, char digit, unsigned ms)
{
	char d = 0;
	unsigned got = 12345;

	ck_assert_msg(dtmf_relay_parse(body, strlen(body), is_dtmf, &d, &got) == 0,
		      "refused: \"%s\"", body);
	ck_assert_int_eq(d, digit);
	ck_assert_uint_eq(got, ms);
}

/* body is refused with -EBADMSG and nothing written. */
static void parse_bad(const char *body, bool is_dtmf)
{
	char d = 'z';
	unsigned ms = 12345;

	ck_assert_msg(dtmf_relay_parse(body, strlen(body), is_dtmf, &d, &ms) == -EBADMSG,
		      "accepted: \"%s\"", body);
	ck_assert_int_eq(d, 'z');
	ck_assert_uint_eq(ms, 12345);
}

START_TEST(test_relay_parse)
{
	parse_ok("Signal=5\r\nDuration=160\r\n", false, '5', 160);
	parse_ok("Signal=5\nDuration=160\n", false, '5', 160);
	parse_ok("Signal=5\nDuration=160", false, '5', 160);
	parse_ok("Duration=250\r\nSignal=#\r\n", false, '#', 250);
	parse_ok("signal=*\r\nDURATION=100\r\n", false, '*', 100);
	parse_ok("Signal = 7 \r\n Duration =\t80\r\n", false, '7', 80);
	parse_ok("Signal=d\r\n", false, 'D', 0);
	parse_ok("Signal=A", false, 'A', 0);
	parse_ok("\r\nSignal=1\r\n\r\n", false, '1', 0);
	parse_ok("Signal=10\r\nDuration=100\r\n", false, '*', 100);
	parse_ok("Signal=11\r\n", false, '#', 0);
	parse_ok("Signal=12\r\n", false, 'A', 0);
	parse_ok("Signal=15\r\n", false, 'D', 0);
	parse_ok("Signal=0\r\n", false, '0', 0);
	parse_ok("Signal=09\r\n", false, '9', 0);
	parse_ok("Signal=5\r\nDuration=0\r\n", false, '5', 0);
	parse_ok("Signal=5\r\nDuration=4294967295\r\n", false, '5', UINT_MAX);
	parse_ok("Signal=5\r\nVolume=10\r\nFoo\r\n", false, '5', 0);

	parse_ok("5", true, '5', 0);
	parse_ok("#\r\n", true, '#', 0);
	parse_ok(" c \n", true, 'C', 0);
}
END_TEST

START_TEST(test_relay_parse_bad)
{
	char d;
	unsigned ms;

	parse_bad("", false);
	parse_bad("\r\n", false);
	parse_bad("   \r\n\r\n", false);
	parse_bad("Duration=160\r\n", false);		 /* no Signal */
	parse_bad("Signal5\r\nDuration=160\r\n", false); /* no '=': ignored, so none */
	parse_bad("Signals=5\r\n", false);
	parse_bad("Signal=\r\nDuration=160\r\n", false);
	parse_bad("Signal=X\r\n", false);
	parse_bad("Signal=E\r\n", false);
	parse_bad("Signal=16\r\n", false); /* flash: no digit */
	parse_bad("Signal=55\r\n", false);
	parse_bad("Signal=-1\r\n", false);
	parse_bad("Signal=5 5\r\n", false);
	parse_bad("Signal=5x\r\n", false);
	parse_bad("Signal=5\r\nDuration=abc\r\n", false);
	parse_bad("Signal=5\r\nDuration=\r\n", false);
	parse_bad("Signal=5\r\nDuration=-5\r\n", false);
	parse_bad("Signal=5\r\nDuration=+5\r\n", false);
	parse_bad("Signal=5\r\nDuration=12x\r\n", false);
	parse_bad("Signal=5\r\nDuration=1 2\r\n", false);
	parse_bad("Signal=5\r\nDuration=4294967296\r\n", false);
	parse_bad("Signal=5\r\nDuration=99999999999999999999999\r\n", false);
	parse_bad("Signal=5\r\nSignal=6\r\n", false);
	parse_bad("Signal=5\r\nDuration=100\r\nDuration=200\r\n", false);

	parse_bad("", true);
	parse_bad("\r\n", true);
	parse_bad("55", true);
	parse_bad("x", true);
	parse_bad("Signal=5\r\n", true);

	/* len, not the NUL, ends the body. */
	ck_assert_int_eq(dtmf_relay_parse("Signal=5\r\nDuration=160", 14, false, &d, &ms), 0);
	ck_assert_int_eq(d, '5');
	ck_assert_uint_eq(ms, 0); /* "Dura": no '=', ignored */
	ck_assert_int_eq(dtmf_relay_parse("Signal=5", 7, false, &d, &ms), -EBADMSG);
	ck_assert_int_eq(dtmf_relay_parse("Signal=5\0Duration=1", 19, false, &d, &ms), -EBADMSG);
	ck_assert_int_eq(dtmf_relay_parse("57", 1, true, &d, &ms), 0);
	ck_assert_int_eq(d, '5');

	ck_assert_int_eq(dtmf_relay_parse(NULL, 0, false, &d, &ms), -EBADMSG);
	ck_assert_int_eq(dtmf_relay_parse(NULL, 10, true, &d, &ms), -EBADMSG);
	ck_assert_int_eq(dtmf_relay_parse("Signal=5", 8, false, NULL, &ms), -EINVAL);
	ck_assert_int_eq(dtmf_relay_parse("Signal=5", 8, false, &d, NULL), -EINVAL);
}
END_TEST

/* What we format, we parse back, for every digit. */
START_TEST(test_relay_round_trip)
{
	const char *all = "0123456789*#ABCD";
	char out[64], d;
	unsigned ms;
	int n;

	for (int i = 0; i < 16; i++) {
		n = dtmf_relay_format(out, sizeof(out), all[i], 40 + 330u * (unsigned)i);
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(dtmf_relay_parse(out, (size_t)n, false, &d, &ms), 0);
		ck_assert_int_eq(d, all[i]);
		ck_assert_uint_eq(ms, 40 + 330u * (unsigned)i);
	}
}
END_TEST

static Suite *dtmf_suite(void)
{
	Suite *s = suite_create("dtmf");
	TCase *codes = tcase_create("codes");
	TCase *tx = tcase_create("tx");
	TCase *rx = tcase_create("rx");
	TCase *inband = tcase_create("inband");
	TCase *info = tcase_create("info");

	tcase_add_test(codes, test_codes);
	suite_add_tcase(s, codes);

	tcase_add_test(tx, test_tx_sequence);
	tcase_add_test(tx, test_tx_sequence_wraps);
	tcase_add_test(tx, test_tx_sent_when_complete);
	tcase_add_test(tx, test_tx_sent_in_parts);
	tcase_add_test(tx, test_tx_sent_bounded);
	tcase_add_test(tx, test_tx_queue_errors);
	tcase_add_test(tx, test_tx_default_duration_and_case);
	tcase_add_test(tx, test_tx_rate_default);
	tcase_add_test(tx, test_tx_odd_length);
	tcase_add_test(tx, test_tx_long_ptime);
	tcase_add_test(tx, test_tx_pause_after_idle);
	tcase_add_test(tx, test_tx_clear_during_tone);
	tcase_add_test(tx, test_tx_clear_during_end);
	tcase_add_test(tx, test_tx_tick_args);
	tcase_add_test(tx, test_tx_segments);
	suite_add_tcase(s, tx);

	tcase_add_test(rx, test_rx_sender_sequence);
	tcase_add_test(rx, test_rx_first_lost);
	tcase_add_test(rx, test_rx_only_end_packets);
	tcase_add_test(rx, test_rx_repeated_digit);
	tcase_add_test(rx, test_rx_duplicates);
	tcase_add_test(rx, test_rx_reordered);
	tcase_add_test(rx, test_rx_new_stream);
	tcase_add_test(rx, test_rx_same_ts_other_code);
	tcase_add_test(rx, test_rx_bad_payloads);
	tcase_add_test(rx, test_rx_segments);
	suite_add_tcase(s, rx);

	tcase_add_test(inband, test_inband_tones);
	tcase_add_test(inband, test_inband_g711_noise);
	tcase_add_test(inband, test_inband_noise_alone);
	tcase_add_test(inband, test_inband_args);
	suite_add_tcase(s, inband);

	tcase_add_test(info, test_relay_format);
	tcase_add_test(info, test_relay_parse);
	tcase_add_test(info, test_relay_parse_bad);
	tcase_add_test(info, test_relay_round_trip);
	suite_add_tcase(s, info);
	return s;
}

int main(void)
{
	return check_run(dtmf_suite());
}
