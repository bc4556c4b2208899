/*
 * afile: an audio file read as 8000 Hz mono (see afile.h).
 *
 * Owns one libsndfile handle, one libsamplerate converter (only when the
 * file is not at 8000 Hz) and the buffer between them.  The pipeline:
 *
 *   sf_readf_float (<= AFILE_CHUNK frames)
 *     -> mix to mono, in place          buf[pos..len)
 *     -> src_process (or a plain copy at 8000 Hz) -> float -> int16
 *
 * Everything goes through float: libsndfile normalises every integer
 * format to [-1, 1) (16-bit samples exactly, as k / 32768), and reading a
 * float file as short would not scale it at all (libsndfile's default: a
 * 0.5 would come out as 0).  libsamplerate's src_float_to_short_array()
 * scales back by 32768 and clips, so a 16-bit file at 8000 Hz comes out
 * bit for bit.
 *
 * We open(2) the file ourselves (O_NONBLOCK, so that a FIFO named as a
 * prompt cannot hang the event loop) for the real errno, then hand the fd
 * to sf_open_fd() with close_desc set: from that call on libsndfile owns
 * it and closes it, on failure too (libsndfile 1.2 closes it on failure
 * whatever close_desc says; check_afile counts the fds).
 */
#include <errno.h>
#include <fcntl.h>
#include <sndfile.h>
#include <samplerate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/why.h"
#include "media/afile.h"

#define OUT_CHUNK	256	/* samples per src_process call, at most */
#define ERR_MAX		256

struct afile {
	SNDFILE *sf;
	SRC_STATE *src;		/* NULL: the file is at 8000 Hz */
	double ratio;		/* 8000 / the file's rate */
	sf_count_t frames;	/* in the file */
	int rate, channels;
	bool loop;
	bool ended;		/* the file gave its last frame: drain the converter */
	bool done;		/* afile_read() gives nothing more */
	bool rewound;		/* seeked to frame 0 and not read a frame since */
	size_t pos, len;	/* mono input not yet used: buf[pos..len) */
	float buf[AFILE_CHUNK * 2];
	float obuf[OUT_CHUNK];
	char err[ERR_MAX];	/* "": no error */
	char path[];
};

/* End the file with a reason. */
static void fail(struct afile *f, const char *what, const char *detail)
{
	snprintf(f->err, sizeof(f->err), "%s: %s%s", f->path, what, detail ? detail : "");
	f->done = true;
}

/* open(2) path as a regular file: an fd, or -errno with why. */
static int open_regular(const char *path, char *why, size_t whylen)
{
	struct stat st;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		err = errno;
		return why_fmt(why, whylen, -err, "cannot open %s: %s", path, strerror(err));
	}
	if (fstat(fd, &st) < 0) {
		err = errno;
		close(fd);
		return why_fmt(why, whylen, -err, "cannot open %s: %s", path, strerror(err));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		if (S_ISDIR(st.st_mode))
			return why_fmt(why, whylen, -EISDIR, "cannot open %s: %s", path,
				       strerror(EISDIR));
		return why_fmt(why, whylen, -EINVAL, "cannot open %s: not a regular file", path);
	}
	return fd;
}

/* What libsndfile found, checked against what we can play: 0 or -EINVAL. */
static int check_info(const char *path, const SF_INFO *info, char *why, size_t whylen)
{
	if (info->frames <= 0)
		return why_fmt(why, whylen, -EINVAL, "%s: no audio in it", path);
	if (info->channels < 1 || info->channels > 2)
		return why_fmt(why, whylen, -EINVAL, "%s: %d channels: at most 2", path,
			       info->channels);
	if (info->samplerate <= 0 || !src_is_valid_ratio((double)AFILE_RATE / info->samplerate))
		return why_fmt(why, whylen, -EINVAL,
			       "%s: sample rate %d Hz: cannot be converted to %d Hz", path,
			       info->samplerate, AFILE_RATE);
	return 0;
}

/* The converter, when the file needs one: 0 or -ENOMEM. */
static int make_src(struct afile *f, char *why, size_t whylen)
{
	int err = 0;

	f->ratio = (double)AFILE_RATE / f->rate;
	if (f->rate == AFILE_RATE)
		return 0;
	f->src = src_new(SRC_SINC_FASTEST, 1, &err);
	if (!f->src)
		return why_fmt(why, whylen, -ENOMEM, "%s: cannot convert the sample rate: %s",
			       f->path, src_strerror(err));
	return 0;
}

int afile_open(struct afile **out, const char *path, bool loop, char *why, size_t whylen)
{
	SF_INFO info = {0};
	struct afile *f;
	SNDFILE *sf;
	int fd, err;

	if (!out || !path || !*path)
		return why_fmt(why, whylen, -EINVAL, "no file");
	fd = open_regular(path, why, whylen);
	if (fd < 0)
		return fd;
	sf = sf_open_fd(fd, SFM_READ, &info, SF_TRUE); /* fd is libsndfile's now */
	if (!sf)
		return why_fmt(why, whylen, sf_error(NULL) == SF_ERR_SYSTEM ? -EIO : -EINVAL,
			       "cannot open %s: %s", path, sf_strerror(NULL));
	err = check_info(path, &info, why, whylen);
	if (err < 0)
		goto out;
	f = calloc(1, sizeof(*f) + strlen(path) + 1);
	if (!f) {
		err = why_fmt(why, whylen, -ENOMEM, "%s: out of memory", path);
		goto out;
	}
	strcpy(f->path, path);
	f->sf = sf;
	f->frames = info.frames;
	f->rate = info.samplerate;
	f->channels = info.channels;
	f->loop = loop;
	err = make_src(f, why, whylen);
	if (err < 0) {
		free(f);
		goto out;
	}
	*out = f;
	return 0;
out:
	sf_close(sf);
	return err;
}

/*
 * Read the next piece of the file into buf as mono.  At the end: rewind
 * when looping, else mark the file ended.  On an error the file is done.
 */
static void refill(struct afile *f)
{
	sf_count_t got;

	f->pos = f->len = 0;
	got = sf_readf_float(f->sf, f->buf, AFILE_CHUNK);
	if (sf_error(f->sf) != SF_ERR_NO_ERROR) {
		fail(f, "cannot read: ", sf_strerror(f->sf));
		return;
	}
	if (got <= 0) {
		if (!f->loop) {
			f->ended = true;
		} else if (f->rewound) {
			/* Nothing even at frame 0: the file was cut while we played it. */
			fail(f, "no audio after restarting the loop", NULL);
		} else if (sf_seek(f->sf, 0, SEEK_SET) < 0) {
			fail(f, "cannot restart the loop: ", sf_strerror(f->sf));
		} else {
			f->rewound = true;
		}
		return;
	}
	f->rewound = false;
	if (f->channels == 2)
		for (sf_count_t i = 0; i < got; i++)
			f->buf[i] = 0.5f * (f->buf[2 * i] + f->buf[2 * i + 1]);
	f->len = (size_t)got;
}

/* At 8000 Hz: copy from buf.  How many samples went to out. */
static size_t copy_out(struct afile *f, int16_t *out, size_t n)
{
	size_t k = f->len - f->pos;

	if (k == 0) {
		f->done = f->ended;
		return 0;
	}
	if (k > n)
		k = n;
	src_float_to_short_array(f->buf + f->pos, out, (int)k);
	f->pos += k;
	return k;
}

/* Through the converter.  How many samples went to out. */
static size_t convert_out(struct afile *f, int16_t *out, size_t n)
{
	SRC_DATA d = {0};
	int err;

	d.data_in = f->buf + f->pos;
	d.input_frames = (long)(f->len - f->pos);
	d.data_out = f->obuf;
	d.output_frames = (long)(n < OUT_CHUNK ? n : OUT_CHUNK);
	d.end_of_input = f->ended;
	d.src_ratio = f->ratio;
	err = src_process(f->src, &d);
	if (err) {
		fail(f, "cannot convert the sample rate: ", src_strerror(err));
		return 0;
	}
	f->pos += (size_t)d.input_frames_used;
	if (d.output_frames_gen == 0 && d.input_frames_used == 0) {
		/* Drained; or stuck, which must not spin the caller's loop. */
		if (!f->ended)
			fail(f, "cannot convert the sample rate: no progress", NULL);
		f->done = true;
		return 0;
	}
	src_float_to_short_array(f->obuf, out, (int)d.output_frames_gen);
	return (size_t)d.output_frames_gen;
}

size_t afile_read(struct afile *f, int16_t *out, size_t n)
{
	size_t got = 0;

	if (!f || !out)
		return 0;
	while (got < n && !f->done) {
		if (f->pos == f->len && !f->ended) {
			refill(f);
			continue;
		}
		if (f->src)
			got += convert_out(f, out + got, n - got);
		else
			got += copy_out(f, out + got, n - got);
	}
	return got;
}

bool afile_done(const struct afile *f)
{
	return !f || f->done;
}

const char *afile_error(const struct afile *f)
{
	return f && f->err[0] ? f->err : NULL;
}

double afile_seconds(const struct afile *f)
{
	return f ? (double)f->frames / f->rate : 0;
}

void afile_close(struct afile *f)
{
	if (!f)
		return;
	if (f->src)
		src_delete(f->src);
	sf_close(f->sf);
	free(f);
}
