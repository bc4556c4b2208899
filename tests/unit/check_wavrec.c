/*
 * check_wavrec: the buffered stereo recorder of src/media/wavrec.c, on
 * real files in a temporary directory, read back with libsndfile.
 *
 * A tone on the left and silence on the right, flushed in small bounded
 * steps, comes back as a 2-channel WAV at its rate with every frame; writes
 * never touch the file and a flush writes exactly what it may; the buffer's
 * bound drops and counts; a failing disk (RLIMIT_FSIZE: EFBIG) breaks the
 * recording with its reason and leaves a valid file of what was written.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "media/tone.h"
#include "media/wavrec.h"

#include "check_run.h"
#include "goertzel.h"

static char dir[64];

static void make_dir(void)
{
	strcpy(dir, "/tmp/check_wavrec.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	closedir(d);
	rmdir(dir);
}

static const char *in_dir(const char *name)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static off_t file_size(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

#define MAXF 100000
static int16_t frames_in[2 * MAXF];	/* what the file holds, interleaved */
static int16_t left[MAXF], right[MAXF];

/* Read path back: its frames into frames_in; the info into *info. */
static sf_count_t read_back(const char *path, SF_INFO *info)
{
	SNDFILE *sf;
	sf_count_t n;

	memset(info, 0, sizeof(*info));
	sf = sf_open(path, SFM_READ, info);
	ck_assert_msg(sf != NULL, "%s: %s", path, sf_strerror(NULL));
	ck_assert_int_le(info->frames, MAXF);
	n = info->channels == 2 ? sf_readf_short(sf, frames_in, MAXF) : 0;
	sf_close(sf);
	return n;
}

/* 2 s of 1000 Hz on the left, silence on the right, 10 ms ticks, flushed 60 frames a tick. */
START_TEST(test_tone_left)
{
	struct wavrec *r = NULL;
	struct tone t;
	char why[256] = "";
	uint64_t frames = 0;
	SF_INFO info;
	const char *path;
	int16_t tick[80];

	make_dir();
	path = in_dir("call.wav");
	ck_assert_int_eq(wavrec_open(&r, path, 8000, why, sizeof(why)), 0);
	tone_init(&t, 1000, 8000, 12000);
	for (int i = 0; i < 200; i++) {
		tone_fill(&t, tick, 80);
		memcpy(left + 80 * i, tick, sizeof(tick));
		ck_assert_int_eq(wavrec_write(r, tick, NULL, 80), 0);
		ck_assert_int_eq(wavrec_flush(r, 60), 0);
		ck_assert_uint_eq(wavrec_frames(r), 80 * (i + 1));
	}
	/* The backlog, in steps of 60. */
	for (int i = 0; i < 4000 / 60 + 1; i++)
		ck_assert_int_eq(wavrec_flush(r, 60), 0);
	ck_assert_uint_eq(wavrec_frames(r), 16000);
	ck_assert_uint_eq(wavrec_dropped(r), 0);
	ck_assert_int_eq(wavrec_close(r, &frames, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "");
	ck_assert_uint_eq(frames, 16000);

	ck_assert_int_eq(read_back(path, &info), 16000);
	ck_assert_int_eq(info.channels, 2);
	ck_assert_int_eq(info.samplerate, 8000);
	ck_assert_int_eq(info.frames, 16000);
	ck_assert_int_eq(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
	for (int i = 0; i < 16000; i++) {
		ck_assert_int_eq(frames_in[2 * i], left[i]);
		ck_assert_int_eq(frames_in[2 * i + 1], 0);
		right[i] = frames_in[2 * i];
	}
	/* right[] now holds the left channel as read back. */
	ck_assert_double_eq_tol(goertzel_amp(right, 16000, 1000, 8000), 12000, 12);
	ck_assert_double_lt(goertzel_amp(right, 16000, 500, 8000), 12);
	ck_assert_double_lt(goertzel_amp(right, 16000, 1500, 8000), 12);
	remove_dir();
}
END_TEST

/* Writes never touch the file; a flush writes exactly what it may. */
START_TEST(test_flush_is_bounded)
{
	struct wavrec *r = NULL;
	const char *path;
	off_t header;
	uint64_t frames;

	make_dir();
	path = in_dir("bounded.wav");
	ck_assert_int_eq(wavrec_open(&r, path, 16000, NULL, 0), 0);
	header = file_size(path);
	ck_assert_int_gt(header, 0);
	ck_assert_int_eq(wavrec_write(r, left, right, 1000), 0);
	ck_assert_int_eq(wavrec_write(r, NULL, NULL, 0), 0);
	ck_assert_int_eq(file_size(path), header);
	ck_assert_int_eq(wavrec_flush(r, 300), 0);
	ck_assert_int_eq(file_size(path), header + 300 * 4);
	ck_assert_int_eq(wavrec_flush(r, 0), 0);
	ck_assert_int_eq(file_size(path), header + 300 * 4);
	ck_assert_int_eq(wavrec_flush(r, 5000), 0);
	ck_assert_int_eq(file_size(path), header + 1000 * 4);
	ck_assert_int_eq(wavrec_flush(r, 5000), 0);
	ck_assert_uint_eq(wavrec_frames(r), 1000);
	ck_assert_int_eq(wavrec_close(r, &frames, NULL, 0), 0);
	ck_assert_uint_eq(frames, 1000);
	remove_dir();
}
END_TEST

/* Any mix of write and flush sizes: the file is every frame, in order. */
START_TEST(test_order_across_wraps)
{
	struct wavrec *r = NULL;
	const char *path;
	uint32_t x = 12345;
	size_t sent = 0, n;
	SF_INFO info;
	uint64_t frames;

	make_dir();
	for (int i = 0; i < MAXF; i++) {
		left[i] = (int16_t)i;
		right[i] = (int16_t)~i;
	}
	path = in_dir("order.wav");
	ck_assert_int_eq(wavrec_open(&r, path, 8000, NULL, 0), 0);
	while (sent < MAXF - 3000) {
		x = x * 1103515245u + 12345u;
		n = (x >> 16) % 3000 + 1;
		ck_assert_int_eq(wavrec_write(r, left + sent, right + sent, n), 0);
		sent += n;
		x = x * 1103515245u + 12345u;
		ck_assert_int_eq(wavrec_flush(r, (x >> 16) % 2700), 0);
		ck_assert_uint_eq(wavrec_frames(r), sent);
	}
	ck_assert_int_eq(wavrec_close(r, &frames, NULL, 0), 0);
	ck_assert_uint_eq(frames, sent);
	ck_assert_int_eq(read_back(path, &info), (sf_count_t)sent);
	for (size_t i = 0; i < sent; i++) {
		ck_assert_int_eq(frames_in[2 * i], left[i]);
		ck_assert_int_eq(frames_in[2 * i + 1], right[i]);
	}
	remove_dir();
}
END_TEST

/* Past WAVREC_MAX_BUFFERED frames, writes are dropped whole and counted. */
START_TEST(test_overflow)
{
	struct wavrec *r = NULL;
	const char *path;
	uint64_t frames;
	SF_INFO info;

	make_dir();
	path = in_dir("full.wav");
	ck_assert_int_eq(wavrec_open(&r, path, 8000, NULL, 0), 0);
	ck_assert_int_eq(wavrec_write(r, left, right, WAVREC_MAX_BUFFERED + 1), -ENOBUFS);
	ck_assert_uint_eq(wavrec_dropped(r), WAVREC_MAX_BUFFERED + 1);
	ck_assert_uint_eq(wavrec_frames(r), 0);
	ck_assert_int_eq(wavrec_write(r, left, right, WAVREC_MAX_BUFFERED - 80), 0);
	ck_assert_int_eq(wavrec_write(r, left, right, 80), 0);
	ck_assert_int_eq(wavrec_write(r, left, right, 1), -ENOBUFS);
	ck_assert_int_eq(wavrec_write(r, NULL, NULL, 80), -ENOBUFS);
	ck_assert_uint_eq(wavrec_dropped(r), WAVREC_MAX_BUFFERED + 1 + 81);
	ck_assert_uint_eq(wavrec_frames(r), WAVREC_MAX_BUFFERED);
	/* A flush makes room again. */
	ck_assert_int_eq(wavrec_flush(r, 100), 0);
	ck_assert_int_eq(wavrec_write(r, left, right, 100), 0);
	ck_assert_int_eq(wavrec_write(r, left, right, 1), -ENOBUFS);
	ck_assert_uint_eq(wavrec_frames(r), WAVREC_MAX_BUFFERED + 100);
	ck_assert_uint_eq(wavrec_dropped(r), WAVREC_MAX_BUFFERED + 1 + 82);
	ck_assert_int_eq(wavrec_close(r, &frames, NULL, 0), 0);
	ck_assert_uint_eq(frames, WAVREC_MAX_BUFFERED + 100);
	ck_assert_int_eq(read_back(path, &info), WAVREC_MAX_BUFFERED + 100);
	remove_dir();
}
END_TEST

/*
 * A disk that fails (the file size limit: EFBIG): the partial write is in
 * the file, the rest dropped, the recording broken from then on, and the
 * header says what the file holds.
 */
START_TEST(test_write_error)
{
	struct rlimit lim = {4096, 4096};
	struct wavrec *r = NULL;
	const char *path;
	char why[512], want[512];
	uint64_t frames, fit;
	SF_INFO info;
	off_t header;

	make_dir();
	path = in_dir("big.wav");
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	ck_assert_int_eq(wavrec_open(&r, path, 8000, NULL, 0), 0);
	header = file_size(path);
	fit = (uint64_t)(4096 - header) / 4;
	ck_assert_int_eq(wavrec_write(r, left, right, 2000), 0);
	ck_assert_int_eq(wavrec_flush(r, 2000), -EFBIG);
	ck_assert_uint_eq(wavrec_frames(r), fit);
	ck_assert_uint_eq(wavrec_dropped(r), 2000 - fit);
	ck_assert_int_eq(wavrec_write(r, left, right, 10), -EFBIG);
	ck_assert_uint_eq(wavrec_dropped(r), 2010 - fit);
	ck_assert_int_eq(wavrec_flush(r, 10), -EFBIG);
	ck_assert_int_eq(wavrec_close(r, &frames, why, sizeof(why)), -EFBIG);
	snprintf(want, sizeof(want), "cannot write %s: File too large", path);
	ck_assert_str_eq(why, want);
	ck_assert_uint_eq(frames, fit);
	ck_assert_int_eq(read_back(path, &info), (sf_count_t)fit);
	ck_assert_int_eq(info.frames, (sf_count_t)fit);
	remove_dir();
}
END_TEST

/* The same failure found only by the final flush of close. */
START_TEST(test_write_error_at_close)
{
	struct rlimit lim = {4096, 4096};
	struct wavrec *r = NULL;
	const char *path;
	char why[512], want[512];
	uint64_t frames;

	make_dir();
	path = in_dir("late.wav");
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	ck_assert_int_eq(wavrec_open(&r, path, 8000, NULL, 0), 0);
	ck_assert_int_eq(wavrec_write(r, left, NULL, 2000), 0);
	ck_assert_int_eq(wavrec_close(r, &frames, why, sizeof(why)), -EFBIG);
	snprintf(want, sizeof(want), "cannot write %s: File too large", path);
	ck_assert_str_eq(why, want);
	ck_assert_uint_eq(frames, (uint64_t)(4096 - 44) / 4);
	remove_dir();
}
END_TEST

/* While the call goes on, the header is kept up to date about once a second. */
START_TEST(test_header_kept_up)
{
	struct wavrec *r = NULL;
	const char *path;
	SF_INFO info;

	make_dir();
	path = in_dir("live.wav");
	ck_assert_int_eq(wavrec_open(&r, path, 8000, NULL, 0), 0);
	for (int i = 0; i < 150; i++) {
		ck_assert_int_eq(wavrec_write(r, left, right, 80), 0);
		ck_assert_int_eq(wavrec_flush(r, 80), 0);
	}
	/* 12000 frames written, the header last updated at 8000. */
	read_back(path, &info);
	ck_assert_int_eq(info.channels, 2);
	ck_assert_int_eq(info.frames, 8000);
	ck_assert_int_eq(wavrec_close(r, NULL, NULL, 0), 0);
	read_back(path, &info);
	ck_assert_int_eq(info.frames, 12000);
	remove_dir();
}
END_TEST

/* Open path at rate and expect err with why pre PATH post. */
static void refused(const char *path, unsigned rate, int err, const char *pre, const char *post)
{
	struct wavrec *r = (struct wavrec *)&r;
	char why[512], want[512];

	memset(why, 'x', sizeof(why));
	ck_assert_int_eq(wavrec_open(&r, path, rate, why, sizeof(why)), err);
	snprintf(want, sizeof(want), "%s%s%s", pre, path, post);
	ck_assert_str_eq(why, want);
	ck_assert_ptr_eq(r, (struct wavrec *)&r);
}

START_TEST(test_refused)
{
	char path[512];
	int fds;
	bool root = geteuid() == 0;

	make_dir();
	fds = open_fds();
	snprintf(path, sizeof(path), "%s/nodir/x.wav", dir);
	refused(path, 8000, -ENOENT, "cannot create ", ": No such file or directory");
	snprintf(path, sizeof(path), "%s/rate.wav", dir);
	refused(path, 0, -EINVAL, "cannot create ", ": sample rate 0 Hz: not in 1..192000");
	refused(path, 192001, -EINVAL, "cannot create ", ": sample rate 192001 Hz: not in 1..192000");
	ck_assert_int_eq(access(path, F_OK), -1);
	refused(dir, 8000, -EISDIR, "cannot create ", ": Is a directory");
	/* libsndfile's header write fails: its words, the real errno. */
	refused("/dev/full", 8000, -ENOSPC, "cannot create ",
		": System error : No space left on device.");
	/* A directory we may not write in (as root: tried as nobody). */
	snprintf(path, sizeof(path), "%s/ro/x.wav", dir);
	ck_assert_int_eq(mkdir(in_dir("ro"), 0500), 0);
	if (root)
		ck_assert_int_eq(seteuid(65534), 0);
	refused(path, 8000, -EACCES, "cannot create ", ": Permission denied");
	if (root)
		ck_assert_int_eq(seteuid(0), 0);
	rmdir(in_dir("ro"));
	ck_assert_int_eq(open_fds(), fds);
	remove_dir();
}
END_TEST

/* An existing file is truncated; the new one is mode 0640 (less the umask). */
START_TEST(test_truncate_and_mode)
{
	struct wavrec *r = NULL;
	const char *path;
	struct stat st;
	FILE *fp;
	SF_INFO info;

	make_dir();
	path = in_dir("old.wav");
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	for (int i = 0; i < 10000; i++)
		fputs("old data ", fp);
	fclose(fp);
	ck_assert_int_eq(wavrec_open(&r, path, 8000, NULL, 0), 0);
	ck_assert_int_eq(wavrec_write(r, left, right, 10), 0);
	ck_assert_int_eq(wavrec_close(r, NULL, NULL, 0), 0);
	ck_assert_int_eq(read_back(path, &info), 10);
	ck_assert_int_eq(file_size(path), 44 + 10 * 4);

	umask(022);
	path = in_dir("new.wav");
	ck_assert_int_eq(wavrec_open(&r, path, 8000, NULL, 0), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(wavrec_close(r, NULL, NULL, 0), 0);
	remove_dir();
}
END_TEST

/* Bad arguments, a short or absent why, the NULL object. */
START_TEST(test_args)
{
	struct wavrec *r = NULL;
	char why[8];
	uint64_t frames = 99;

	make_dir();
	ck_assert_int_eq(wavrec_open(NULL, in_dir("a.wav"), 8000, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "no file");
	ck_assert_int_eq(wavrec_open(&r, NULL, 8000, NULL, 0), -EINVAL);
	ck_assert_int_eq(wavrec_open(&r, "", 8000, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(wavrec_open(&r, in_dir("no/a.wav"), 8000, why, sizeof(why)), -ENOENT);
	ck_assert_str_eq(why, "cannot ");
	ck_assert_int_eq(wavrec_open(&r, in_dir("no/a.wav"), 8000, NULL, 0), -ENOENT);

	ck_assert_int_eq(wavrec_write(NULL, left, right, 10), -EINVAL);
	ck_assert_int_eq(wavrec_flush(NULL, 10), -EINVAL);
	ck_assert_int_eq(wavrec_close(NULL, &frames, why, sizeof(why)), 0);
	ck_assert_uint_eq(frames, 0);
	ck_assert_int_eq(wavrec_close(NULL, NULL, NULL, 0), 0);
	ck_assert_uint_eq(wavrec_frames(NULL), 0);
	ck_assert_uint_eq(wavrec_dropped(NULL), 0);
	remove_dir();
}
END_TEST

static Suite *wavrec_suite(void)
{
	Suite *s = suite_create("wavrec");
	TCase *tc = tcase_create("wavrec");

	tcase_add_test(tc, test_tone_left);
	tcase_add_test(tc, test_flush_is_bounded);
	tcase_add_test(tc, test_order_across_wraps);
	tcase_add_test(tc, test_overflow);
	tcase_add_test(tc, test_write_error);
	tcase_add_test(tc, test_write_error_at_close);
	tcase_add_test(tc, test_header_kept_up);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_truncate_and_mode);
	tcase_add_test(tc, test_args);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(wavrec_suite());
}
