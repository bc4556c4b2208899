/*
 * afile: an audio file as a source of 8000 Hz mono int16 samples, the
 * `file:PATH` source and the `play` command of a call.
 *
 * Any file libsndfile reads (WAV of any sample format, AIFF, FLAC, ...),
 * mono or stereo, at any sample rate libsamplerate can take to 8000 Hz
 * (32 Hz to 2 MHz).  Stereo is mixed to mono ((L + R) / 2); another rate
 * is converted with libsamplerate's SRC_SINC_FASTEST, a real low-pass
 * filter (a 48 kHz prompt holds sound up to 24 kHz that linear
 * interpolation would fold into the call's 0-4 kHz).  Its cost is paid per
 * playing call, measured for 80 samples (10 ms): about 19 us from a 48 kHz
 * or 44.1 kHz file (2 ms of CPU per second of play), 7 us from 16 kHz,
 * 0.25 us from 8000 Hz, where nothing is converted (SRC_LINEAR would cost
 * 0.5 us, and alias).  Prompts for many calls at once belong at 8000 Hz.
 *
 * The file is read in pieces of at most AFILE_CHUNK frames, never whole,
 * so a long recording costs the same memory as a short prompt (measured:
 * 21 KiB per open file with libsndfile's own, 80 KiB with a converter);
 * each read is one bounded, blocking read of the disk.  Looping
 * seeks back to frame 0 and feeds the same converter, so the wave goes on
 * without a gap or a click at the seam (if the file's end meets its
 * start).  No logging: errors come back as text for the caller to show.
 */
#ifndef SIPUAD_AFILE_H
#define SIPUAD_AFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AFILE_RATE	8000	/* what afile_read() gives, Hz */
#define AFILE_CHUNK	1024	/* frames read from the file at a time, at most */

struct afile;

/*
 * Open path for reading.  0 with *out the caller's (afile_close), or
 * -errno with why (may be NULL; NUL-terminated, cut to whylen) saying what
 * is wrong in words a user can act on:
 *   -ENOENT, -EACCES, ...  "cannot open PATH: <strerror>" (open(2) failed)
 *   -EISDIR                "cannot open PATH: Is a directory"
 *   -EINVAL                "cannot open PATH: not a regular file" (a FIFO,
 *                          a device: they could block the caller)
 *   -EINVAL                "cannot open PATH: <sf_strerror>" (libsndfile
 *                          cannot read it: "Format not recognised.", ...)
 *   -EINVAL                "PATH: no audio in it" (0 frames)
 *   -EINVAL                "PATH: N channels: at most 2"
 *   -EINVAL                "PATH: sample rate N Hz: cannot be converted to 8000 Hz"
 *   -ENOMEM                "PATH: out of memory"
 *   -EINVAL                "no file" (out or path NULL, path empty)
 * loop: afile_read() restarts at the first frame when the file ends.
 */
int afile_open(struct afile **out, const char *path, bool loop, char *why, size_t whylen);

/*
 * Up to n samples at 8000 Hz mono into out; returns how many were written.
 * Fewer than n only when the file ended (not looping) or a read failed:
 * afile_done() is true then and every later call returns 0.  A read error
 * ends the file and afile_error() says why.  f or out NULL: 0.
 */
size_t afile_read(struct afile *f, int16_t *out, size_t n);

/* The file gave its last sample, or failed.  NULL: true. */
bool afile_done(const struct afile *f);

/*
 * Why the file ended early ("PATH: cannot read: ..."), or NULL when it
 * did not fail.  The text is f's, valid until afile_close().
 */
const char *afile_error(const struct afile *f);

/* The file's length in seconds, at its own rate (frames / rate).  NULL: 0. */
double afile_seconds(const struct afile *f);

/* Close the file and free f.  NULL is a no-op. */
void afile_close(struct afile *f);

#endif
