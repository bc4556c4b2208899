/*
 * check_afile: audio files as 8000 Hz mono sources (src/media/afile.c),
 * on real files that libsndfile writes into a temporary directory.
 *
 * A 1000 Hz tone of 0.5 s at 8000 mono, 16000 mono, 44100 stereo and
 * 48000 mono float must come out as 4000 samples (1 %) of 1000 Hz
 * (Goertzel against 500 and 1500 Hz); looping goes on past the end with no
 * gap; every refusal has its code and its exact words.
 *
 * sf_readf_float, sf_error and sf_strerror are wrapped (-Wl,--wrap, see
 * Makefile.am): the wrappers pass through, count how many frames each
 * read asks for (the file is read in bounded pieces, never whole) and can
 * make a read fail as a disk would.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "media/afile.h"

#include "check_run.h"
#include "goertzel.h"

/* --- the libsndfile wrappers ------------------------------------------- */

sf_count_t __real_sf_readf_float(SNDFILE *sf, float *ptr, sf_count_t frames);
int __real_sf_error(SNDFILE *sf);
const char *__real_sf_strerror(SNDFILE *sf);
sf_count_t __wrap_sf_readf_float(SNDFILE *sf, float *ptr, sf_count_t frames);
int __wrap_sf_error(SNDFILE *sf);
const char *__wrap_sf_strerror(SNDFILE *sf);

static sf_count_t max_asked;	/* the most frames one read asked for */
static unsigned reads;		/* reads made */
static unsigned fail_after = ~0u; /* reads that succeed before one fails */
static bool failed;		/* the injected failure happened */

sf_count_t __wrap_sf_readf_float(SNDFILE *sf, float *ptr, sf_count_t frames)
{
	if (frames > max_asked)
		max_asked = frames;
	if (reads++ >= fail_after) {
		failed = true;
		return 0;
	}
	return __real_sf_readf_float(sf, ptr, frames);
}

int __wrap_sf_error(SNDFILE *sf)
{
	return sf && failed ? SF_ERR_SYSTEM : __real_sf_error(sf);
}

const char *__wrap_sf_strerror(SNDFILE *sf)
{
	return sf && failed ? "System error : Input/output error." : __real_sf_strerror(sf);
}

/* --- files ------------------------------------------------------------- */

static char dir[64];

static void make_dir(void)
{
	strcpy(dir, "/tmp/check_afile.XXXXXX");
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
	static char p[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

/* Write frames of interleaved float data at rate in format. */
static void write_float(const char *path, int rate, int channels, int format, const float *data,
			sf_count_t frames)
{
	SF_INFO info = {0};
	SNDFILE *sf;

	info.samplerate = rate;
	info.channels = channels;
	info.format = format;
	sf = sf_open(path, SFM_WRITE, &info);
	ck_assert_msg(sf != NULL, "%s: %s", path, sf_strerror(NULL));
	ck_assert_int_eq(sf_writef_float(sf, data, frames), frames);
	ck_assert_int_eq(sf_close(sf), 0);
}

static void write_short(const char *path, int rate, int channels, const short *data,
			sf_count_t frames)
{
	SF_INFO info = {0};
	SNDFILE *sf;

	info.samplerate = rate;
	info.channels = channels;
	info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
	sf = sf_open(path, SFM_WRITE, &info);
	ck_assert_msg(sf != NULL, "%s: %s", path, sf_strerror(NULL));
	if (frames)
		ck_assert_int_eq(sf_writef_short(sf, data, frames), frames);
	ck_assert_int_eq(sf_close(sf), 0);
}

/* A 1000 Hz tone, peak 0.5, of seconds on every channel. */
static void write_tone(const char *path, int rate, int channels, int format, double seconds)
{
	sf_count_t frames = (sf_count_t)(rate * seconds);
	float *d = malloc(sizeof(*d) * (size_t)(frames * channels));

	ck_assert_ptr_nonnull(d);
	for (sf_count_t i = 0; i < frames; i++)
		for (int c = 0; c < channels; c++)
			d[i * channels + c] = (float)(0.5 * sin(2 * M_PI * 1000 * (double)i / rate));
	write_float(path, rate, channels, format, d, frames);
	free(d);
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

/* Read f to its end in steps of step samples into buf (at most max): the count. */
static size_t read_all(struct afile *f, int16_t *buf, size_t max, size_t step)
{
	size_t got = 0, n;

	while (!afile_done(f) && got < max) {
		n = afile_read(f, buf + got, step < max - got ? step : max - got);
		if (n < step)
			ck_assert(afile_done(f));
		got += n;
	}
	return got;
}

/* The RMS of 80-sample blocks [from, to): the lowest and highest. */
static void block_rms(const int16_t *x, size_t from, size_t to, double *lo, double *hi)
{
	*lo = 1e9;
	*hi = 0;
	for (size_t b = from; b + 80 <= to; b += 80) {
		double s = 0, r;

		for (size_t i = b; i < b + 80; i++)
			s += (double)x[i] * x[i];
		r = sqrt(s / 80);
		*lo = r < *lo ? r : *lo;
		*hi = r > *hi ? r : *hi;
	}
}

#define MAXS 40000
static int16_t out[MAXS];

/* --- tests ------------------------------------------------------------- */

static const struct {
	const char *name;
	int rate, channels, format;
} tones[] = {
    {"8000.wav", 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16},
    {"16000.wav", 16000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16},
    {"44100s.wav", 44100, 2, SF_FORMAT_WAV | SF_FORMAT_PCM_16},
    {"48000f.wav", 48000, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT},
};

/* Every rate and layout: 4000 samples (1 %) of 1000 Hz at peak 0.5. */
START_TEST(test_tone_files)
{
	const char *path;
	struct afile *f = NULL;
	char why[256] = "";
	size_t got;
	double a;

	make_dir();
	path = in_dir(tones[_i].name);
	write_tone(path, tones[_i].rate, tones[_i].channels, tones[_i].format, 0.5);
	ck_assert_int_eq(afile_open(&f, path, false, why, sizeof(why)), 0);
	ck_assert_double_eq_tol(afile_seconds(f), 0.5, 1e-9);
	ck_assert(!afile_done(f));
	got = read_all(f, out, MAXS, 80);
	ck_assert_msg(got >= 3960 && got <= 4040, "%s: %zu samples", path, got);
	ck_assert(afile_done(f));
	ck_assert_ptr_null(afile_error(f));
	ck_assert_uint_eq(afile_read(f, out, 80), 0);
	/* The middle, clear of the converter's ramps at both ends. */
	a = goertzel_amp(out + 400, 3200, 1000, 8000);
	ck_assert_msg(fabs(a - 16384) < 16384 * 0.03, "%s: 1000 Hz at %.0f", path, a);
	ck_assert_msg(goertzel_amp(out + 400, 3200, 500, 8000) < a * 0.01, "%s: 500 Hz", path);
	ck_assert_msg(goertzel_amp(out + 400, 3200, 1500, 8000) < a * 0.01, "%s: 1500 Hz", path);
	afile_close(f);
	remove_dir();
}
END_TEST

/* A 16-bit file at 8000 Hz comes out bit for bit, whatever the read sizes. */
START_TEST(test_exact_at_8000)
{
	static short in[3000];
	const char *path;
	struct afile *f = NULL;
	size_t got = 0, n, k = 0;
	static const size_t steps[] = {77, 1, 80, 1023, 1024, 1025, 13};

	make_dir();
	for (int i = 0; i < 3000; i++)
		in[i] = (short)((i * 7919) % 65536 - 32768);
	in[10] = 32767;
	in[11] = -32768;
	path = in_dir("exact.wav");
	write_short(path, 8000, 1, in, 3000);
	ck_assert_int_eq(afile_open(&f, path, false, NULL, 0), 0);
	while ((n = afile_read(f, out + got, steps[k++ % 7])) > 0)
		got += n;
	ck_assert_uint_eq(got, 3000);
	ck_assert(afile_done(f));
	for (int i = 0; i < 3000; i++)
		ck_assert_msg(out[i] == in[i], "sample %d: %d, file %d", i, out[i], in[i]);
	afile_close(f);
	remove_dir();
}
END_TEST

/* Stereo is (L + R) / 2. */
START_TEST(test_stereo_mix)
{
	static short in[2 * 2000];
	const char *path;
	struct afile *f = NULL;

	make_dir();
	for (int i = 0; i < 2000; i++) {
		in[2 * i] = (short)((i * 37) % 30000 - 15000);
		in[2 * i + 1] = (short)(i % 2 ? 32767 : -32768);
	}
	path = in_dir("stereo.wav");
	write_short(path, 8000, 2, in, 2000);
	ck_assert_int_eq(afile_open(&f, path, false, NULL, 0), 0);
	ck_assert_uint_eq(afile_read(f, out, 2100), 2000);
	for (int i = 0; i < 2000; i++) {
		double want = (in[2 * i] + in[2 * i + 1]) / 2.0;

		ck_assert_msg(fabs(out[i] - want) <= 0.5, "frame %d: %d, want %.1f", i, out[i],
			      want);
	}
	afile_close(f);
	remove_dir();
}
END_TEST

/* Looping at 8000 Hz: the file again and again, sample for sample. */
START_TEST(test_loop_exact)
{
	static short in[4000];
	const char *path;
	struct afile *f = NULL;
	size_t got = 0;

	make_dir();
	for (int i = 0; i < 4000; i++)
		in[i] = (short)(i * 8 - 16000);
	path = in_dir("loop.wav");
	write_short(path, 8000, 1, in, 4000);
	ck_assert_int_eq(afile_open(&f, path, true, NULL, 0), 0);
	while (got < 10000 - 81) {
		ck_assert_uint_eq(afile_read(f, out + got, 81), 81);
		got += 81;
	}
	ck_assert(!afile_done(f));
	ck_assert_ptr_null(afile_error(f));
	for (size_t i = 0; i < got; i++)
		ck_assert_msg(out[i] == in[i % 4000], "sample %zu: %d, file %d", i, out[i],
			      in[i % 4000]);
	afile_close(f);
	remove_dir();
}
END_TEST

/*
 * Looping through the converter: three times the file, every 10 ms block
 * at the tone's level (no gap at the seams) and 1000 Hz across each seam.
 */
START_TEST(test_loop_resampled)
{
	const char *path;
	struct afile *f = NULL;
	double lo, hi, a;

	make_dir();
	path = in_dir(tones[_i].name);
	write_tone(path, tones[_i].rate, tones[_i].channels, tones[_i].format, 0.5);
	ck_assert_int_eq(afile_open(&f, path, true, NULL, 0), 0);
	for (size_t got = 0; got < 12000; got += 80)
		ck_assert_uint_eq(afile_read(f, out + got, 80), 80);
	ck_assert(!afile_done(f));
	block_rms(out, 160, 12000, &lo, &hi);
	ck_assert_msg(lo > 11585 * 0.99 && hi < 11585 * 1.01, "%s: block RMS %.0f..%.0f", path,
		      lo, hi);
	for (int seam = 4000; seam <= 8000; seam += 4000) {
		a = goertzel_amp(out + seam - 400, 800, 1000, 8000);
		ck_assert_msg(fabs(a - 16384) < 16384 * 0.03, "%s: %.0f at %d", path, a, seam);
		ck_assert(goertzel_amp(out + seam - 400, 800, 1500, 8000) < a * 0.01);
	}
	afile_close(f);
	remove_dir();
}
END_TEST

/*
 * What a 48 kHz file holds above 4 kHz is filtered out, not folded into
 * the call: 7000 Hz would alias to 1000 Hz (linear interpolation does).
 */
START_TEST(test_no_aliasing)
{
	static float in[24000];
	const char *path;
	struct afile *f = NULL;
	size_t got;

	make_dir();
	for (int i = 0; i < 24000; i++)
		in[i] = (float)(0.5 * sin(2 * M_PI * 7000 * i / 48000.0));
	path = in_dir("high.wav");
	write_float(path, 48000, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT, in, 24000);
	ck_assert_int_eq(afile_open(&f, path, false, NULL, 0), 0);
	got = read_all(f, out, MAXS, 80);
	ck_assert_uint_eq(got, 4000);
	ck_assert_double_lt(goertzel_amp(out + 400, 3200, 1000, 8000), 16384 * 0.001);
	afile_close(f);
	remove_dir();
}
END_TEST

/* A long file at 48 kHz is read in pieces of at most AFILE_CHUNK frames. */
START_TEST(test_bounded_reads)
{
	const char *path;
	struct afile *f = NULL;
	size_t got;

	make_dir();
	path = in_dir("long.wav");
	write_tone(path, 48000, 2, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 5.0);
	max_asked = 0;
	reads = 0;
	ck_assert_int_eq(afile_open(&f, path, false, NULL, 0), 0);
	got = read_all(f, out, MAXS, 160);
	ck_assert_msg(got >= 39600 && got <= 40000, "%zu samples", got);
	ck_assert_int_eq(max_asked, AFILE_CHUNK);
	ck_assert_uint_ge(reads, 240000 / AFILE_CHUNK);
	afile_close(f);
	remove_dir();
}
END_TEST

/* A read error ends the file early, with its reason. */
START_TEST(test_read_error)
{
	const char *path;
	struct afile *f = NULL;
	char want[512];

	make_dir();
	path = in_dir("bad.wav");
	write_tone(path, 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 0.5);
	ck_assert_int_eq(afile_open(&f, path, true, NULL, 0), 0);
	reads = 0;
	fail_after = 2;
	ck_assert_uint_eq(afile_read(f, out, 4000), 2 * AFILE_CHUNK);
	ck_assert(afile_done(f));
	snprintf(want, sizeof(want), "%s: cannot read: System error : Input/output error.", path);
	ck_assert_str_eq(afile_error(f), want);
	ck_assert_uint_eq(afile_read(f, out, 80), 0);
	afile_close(f);
	remove_dir();
}
END_TEST

/* A looping file cut to its header while it plays: ends, does not spin. */
START_TEST(test_cut_while_looping)
{
	const char *path;
	struct afile *f = NULL;
	char want[512];

	make_dir();
	path = in_dir("cut.wav");
	write_tone(path, 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 0.5);
	ck_assert_int_eq(afile_open(&f, path, true, NULL, 0), 0);
	ck_assert_uint_eq(afile_read(f, out, 80), 80);
	ck_assert_int_eq(truncate(path, 44), 0);
	ck_assert_uint_eq(afile_read(f, out, 4000), AFILE_CHUNK - 80);
	ck_assert(afile_done(f));
	snprintf(want, sizeof(want), "%s: no audio after restarting the loop", path);
	ck_assert_str_eq(afile_error(f), want);
	afile_close(f);
	remove_dir();
}
END_TEST

/* Open path and expect err with why pre PATH post. */
static void refused(const char *path, int err, const char *pre, const char *post)
{
	struct afile *f = (struct afile *)&f;
	char why[512], want[512];

	memset(why, 'x', sizeof(why));
	ck_assert_int_eq(afile_open(&f, path, false, why, sizeof(why)), err);
	snprintf(want, sizeof(want), "%s%s%s", pre, path, post);
	ck_assert_str_eq(why, want);
	ck_assert_ptr_eq(f, (struct afile *)&f);
}

START_TEST(test_refused)
{
	static short six[6 * 10], one[10];
	FILE *fp;
	int fds;

	make_dir();
	fds = open_fds();
	refused(in_dir("missing.wav"), -ENOENT, "cannot open ", ": No such file or directory");
	fp = fopen(in_dir("text.wav"), "w");
	ck_assert_ptr_nonnull(fp);
	fputs("this is not audio\n", fp);
	fclose(fp);
	refused(in_dir("text.wav"), -EINVAL, "cannot open ", ": Format not recognised.");
	write_short(in_dir("empty.wav"), 8000, 1, NULL, 0);
	refused(in_dir("empty.wav"), -EINVAL, "", ": no audio in it");
	write_short(in_dir("six.wav"), 8000, 6, six, 10);
	refused(in_dir("six.wav"), -EINVAL, "", ": 6 channels: at most 2");
	write_short(in_dir("slow.wav"), 10, 1, one, 10);
	refused(in_dir("slow.wav"), -EINVAL, "",
		": sample rate 10 Hz: cannot be converted to 8000 Hz");
	refused(dir, -EISDIR, "cannot open ", ": Is a directory");
	ck_assert_int_eq(mkfifo(in_dir("fifo"), 0600), 0);
	refused(in_dir("fifo"), -EINVAL, "cannot open ", ": not a regular file");
	ck_assert_int_eq(open_fds(), fds);
	remove_dir();
}
END_TEST

/* A file we may not read: -EACCES (as root, tried as nobody). */
START_TEST(test_refused_access)
{
	static short one[10];
	const char *path;
	bool root = geteuid() == 0;

	make_dir();
	path = in_dir("secret.wav");
	write_short(path, 8000, 1, one, 10);
	ck_assert_int_eq(chmod(path, 0), 0);
	if (root)
		ck_assert_int_eq(seteuid(65534), 0);
	refused(path, -EACCES, "cannot open ", ": Permission denied");
	if (root)
		ck_assert_int_eq(seteuid(0), 0);
	remove_dir();
}
END_TEST

/* Bad arguments, a short or absent why, and the NULL object. */
START_TEST(test_args)
{
	static short one[10];
	struct afile *f = NULL;
	char why[8];
	const char *path;

	make_dir();
	ck_assert_int_eq(afile_open(NULL, "x.wav", false, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "no file");
	ck_assert_int_eq(afile_open(&f, NULL, false, NULL, 0), -EINVAL);
	ck_assert_int_eq(afile_open(&f, "", false, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_null(f);
	ck_assert_int_eq(afile_open(&f, in_dir("missing.wav"), false, why, sizeof(why)), -ENOENT);
	ck_assert_str_eq(why, "cannot ");
	ck_assert_int_eq(afile_open(&f, in_dir("missing.wav"), false, NULL, 0), -ENOENT);

	ck_assert_uint_eq(afile_read(NULL, out, 80), 0);
	ck_assert(afile_done(NULL));
	ck_assert_ptr_null(afile_error(NULL));
	ck_assert_double_eq(afile_seconds(NULL), 0);
	afile_close(NULL);

	path = in_dir("one.wav");
	write_short(path, 8000, 1, one, 10);
	ck_assert_int_eq(afile_open(&f, path, false, NULL, 0), 0);
	ck_assert_uint_eq(afile_read(f, NULL, 80), 0);
	ck_assert_uint_eq(afile_read(f, out, 0), 0);
	ck_assert(!afile_done(f));
	ck_assert_uint_eq(afile_read(f, out, 80), 10);
	ck_assert(afile_done(f));
	afile_close(f);
	remove_dir();
}
END_TEST

static Suite *afile_suite(void)
{
	Suite *s = suite_create("afile");
	TCase *tc = tcase_create("afile");

	tcase_add_loop_test(tc, test_tone_files, 0, 4);
	tcase_add_test(tc, test_exact_at_8000);
	tcase_add_test(tc, test_stereo_mix);
	tcase_add_test(tc, test_loop_exact);
	tcase_add_loop_test(tc, test_loop_resampled, 1, 4);
	tcase_add_test(tc, test_no_aliasing);
	tcase_add_test(tc, test_bounded_reads);
	tcase_add_test(tc, test_read_error);
	tcase_add_test(tc, test_cut_while_looping);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_refused_access);
	tcase_add_test(tc, test_args);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(afile_suite());
}
