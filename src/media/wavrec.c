/*
 * wavrec: a buffered stereo WAV recorder (see wavrec.h).
 *
 * Owns the libsndfile handle of the file and a ring of interleaved int16
 * frames (L, R) between wavrec_write() and the file.  The ring is a plain
 * array: head is its oldest frame, count frames follow it, wrapping at
 * cap.  It grows by doubling, up to WAVREC_MAX_BUFFERED frames, and goes
 * back to RING_MIN frames whenever a flush empties it, so a burst does
 * not pin 320 KiB for the rest of a call.
 *
 * The file is open(2)ed here (for the real errno and the mode) and handed
 * to sf_open_fd() with close_desc set: libsndfile owns the fd from that
 * call on, and closes it on failure too.  libsndfile keeps errno from the
 * failed write(2) (EFBIG, ENOSPC), which is what a user needs to hear.
 */
#include <errno.h>
#include <fcntl.h>
#include <sndfile.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/why.h"
#include "media/wavrec.h"

#define RING_MIN	2048	/* frames: the ring's size while the disk keeps up */
#define RATE_MAX	192000
#define WHY_MAX		256

struct wavrec {
	SNDFILE *sf;
	int16_t *ring;		/* cap frames of L, R */
	size_t cap, head, count;
	unsigned rate;
	uint64_t written;	/* frames in the file */
	uint64_t dropped;
	uint64_t unheaded;	/* frames written since the header was last updated */
	int err;		/* a write failed: the recording is broken */
	char why[WHY_MAX];	/* why err */
	char path[];
};

int wavrec_open(struct wavrec **out, const char *path, unsigned rate, char *why, size_t whylen)
{
	SF_INFO info = {0};
	struct wavrec *r;
	int fd, err;

	if (!out || !path || !*path)
		return why_fmt(why, whylen, -EINVAL, "no file");
	if (rate == 0 || rate > RATE_MAX)
		return why_fmt(why, whylen, -EINVAL, "cannot create %s: sample rate %u Hz: not in 1..%d",
			       path, rate, RATE_MAX);
	r = calloc(1, sizeof(*r) + strlen(path) + 1);
	if (!r)
		return why_fmt(why, whylen, -ENOMEM, "cannot create %s: out of memory", path);
	strcpy(r->path, path);
	r->rate = rate;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0) {
		err = errno;
		free(r);
		return why_fmt(why, whylen, -err, "cannot create %s: %s", path, strerror(err));
	}
	info.samplerate = (int)rate;
	info.channels = 2;
	info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
	errno = 0;
	r->sf = sf_open_fd(fd, SFM_WRITE, &info, SF_TRUE); /* fd is libsndfile's now */
	if (!r->sf) {
		err = errno > 0 ? errno : EIO;
		free(r);
		return why_fmt(why, whylen, -err, "cannot create %s: %s", path, sf_strerror(NULL));
	}
	*out = r;
	return 0;
}

/* Make room for n more frames: 0 or -ENOMEM. */
static int reserve(struct wavrec *r, size_t n)
{
	size_t cap = r->cap ? r->cap : RING_MIN, tail;
	int16_t *ring;

	if (r->count + n <= r->cap)
		return 0;
	while (cap < r->count + n)
		cap *= 2;
	if (cap > WAVREC_MAX_BUFFERED)
		cap = WAVREC_MAX_BUFFERED;
	if (cap < r->count + n)
		return -ENOBUFS; /* not reached: wavrec_write() keeps the bound */
	ring = malloc(cap * 2 * sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	/* Unwrap into the new ring: oldest frame at 0. */
	tail = r->cap - r->head < r->count ? r->cap - r->head : r->count;
	if (r->count) {
		memcpy(ring, r->ring + 2 * r->head, tail * 2 * sizeof(*ring));
		memcpy(ring + 2 * tail, r->ring, (r->count - tail) * 2 * sizeof(*ring));
	}
	free(r->ring);
	r->ring = ring;
	r->cap = cap;
	r->head = 0;
	return 0;
}

/* Interleave n frames at dst (a stretch of the ring that does not wrap). */
static void put(int16_t *dst, const int16_t *left, const int16_t *right, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = left ? left[i] : 0;
		dst[2 * i + 1] = right ? right[i] : 0;
	}
}

int wavrec_write(struct wavrec *r, const int16_t *left, const int16_t *right, size_t n)
{
	size_t tail, first;
	int err;

	if (!r)
		return -EINVAL;
	if (r->err || n > WAVREC_MAX_BUFFERED - r->count) {
		r->dropped += n;
		return r->err ? r->err : -ENOBUFS;
	}
	if (n == 0)
		return 0;
	err = reserve(r, n);
	if (err < 0) {
		r->dropped += n;
		return err;
	}
	tail = (r->head + r->count) % r->cap;
	first = r->cap - tail < n ? r->cap - tail : n;
	put(r->ring + 2 * tail, left, right, first);
	put(r->ring, left ? left + first : NULL, right ? right + first : NULL, n - first);
	r->count += n;
	return 0;
}

/* The recording is broken: keep why, drop what is buffered.  Returns err. */
static int broken(struct wavrec *r, int err)
{
	snprintf(r->why, sizeof(r->why), "cannot write %s: %s", r->path, strerror(-err));
	r->err = err;
	r->dropped += r->count;
	r->count = 0;
	r->head = 0;
	return err;
}

/* Write n frames at ring index at: 0 or -errno (the recording is broken). */
static int write_frames(struct wavrec *r, size_t at, size_t n)
{
	sf_count_t got;

	errno = 0;
	got = sf_writef_short(r->sf, r->ring + 2 * at, (sf_count_t)n);
	if (got > 0) {
		r->written += (uint64_t)got;
		r->unheaded += (uint64_t)got;
		r->head = (r->head + (size_t)got) % r->cap;
		r->count -= (size_t)got;
	}
	if (got != (sf_count_t)n)
		return broken(r, errno > 0 ? -errno : -EIO);
	return 0;
}

/* After a flush: the header about once a second, the ring back to small. */
static void settle(struct wavrec *r)
{
	int16_t *small;

	if (r->unheaded >= r->rate) {
		sf_command(r->sf, SFC_UPDATE_HEADER_NOW, NULL, 0);
		r->unheaded = 0;
	}
	if (r->count == 0) {
		r->head = 0;
		if (r->cap > RING_MIN) {
			small = realloc(r->ring, RING_MIN * 2 * sizeof(*small));
			if (small) {
				r->ring = small;
				r->cap = RING_MIN;
			}
		}
	}
}

int wavrec_flush(struct wavrec *r, size_t max_frames)
{
	size_t n, first;
	int err;

	if (!r)
		return -EINVAL;
	if (r->err)
		return r->err;
	n = r->count < max_frames ? r->count : max_frames;
	if (n == 0)
		return 0;
	first = r->cap - r->head < n ? r->cap - r->head : n;
	err = write_frames(r, r->head, first);
	if (err == 0 && n > first)
		err = write_frames(r, 0, n - first);
	if (err == 0)
		settle(r);
	return err;
}

int wavrec_close(struct wavrec *r, uint64_t *frames, char *why, size_t whylen)
{
	int err, rc;

	if (frames)
		*frames = r ? r->written : 0;
	if (!r)
		return 0;
	err = wavrec_flush(r, SIZE_MAX);
	/* sf_close() writes the final header; it reports a failure of that. */
	rc = sf_close(r->sf);
	if (rc != 0 && err == 0)
		err = broken(r, -EIO);
	if (err < 0)
		why_fmt(why, whylen, err, "%s", r->why);
	if (frames)
		*frames = r->written;
	free(r->ring);
	free(r);
	return err;
}

uint64_t wavrec_frames(const struct wavrec *r)
{
	return r ? r->written + r->count : 0;
}

uint64_t wavrec_dropped(const struct wavrec *r)
{
	return r ? r->dropped : 0;
}
