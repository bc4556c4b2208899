/*
 * wavrec: a call's recording, a 16-bit PCM stereo WAV (left: what we
 * received, right: what we sent), written without blocking the event
 * loop for long.
 *
 * The engine hands over each tick's frames with wavrec_write(), which only
 * copies them into memory, and then lets wavrec_flush() write a bounded
 * number of buffered frames to the file.  A disk that stalls therefore
 * holds up one bounded write per tick, never the call; if it stalls for
 * long, the buffer fills up to WAVREC_MAX_BUFFERED frames and further
 * frames are dropped and counted (the recording gets shorter than the
 * call, left and right stay in step), never buffered without bound.  The
 * buffer grows as needed from 2048 frames and shrinks back when empty: a
 * recording costs 8 KiB while the disk keeps up, 320 KiB at most.
 *
 * About once a second of audio written the WAV header is brought up to
 * date, so a daemon that dies mid-call leaves a playable file with all but
 * the last second.  The file is created mode 0640 (call audio is private:
 * the daemon's user and group, as for the control socket).  No logging:
 * errors come back as text for the caller to show.
 */
#ifndef SIPUAD_WAVREC_H
#define SIPUAD_WAVREC_H

#include <stddef.h>
#include <stdint.h>

/* Frames the buffer holds at most: 10 s at 8000 Hz (320 KiB). */
#define WAVREC_MAX_BUFFERED	80000

struct wavrec;

/*
 * Create path (truncating a file that is there) as a 16-bit PCM stereo
 * WAV at rate frames per second.  0 with *out the caller's (wavrec_close),
 * or -errno with why (may be NULL; NUL-terminated, cut to whylen):
 *   -ENOENT, -EACCES, ...  "cannot create PATH: <strerror>"
 *   -EINVAL                "cannot create PATH: sample rate N Hz: not in
 *                          1..192000" (nothing is created)
 *   -EIO, -ENOSPC, ...     "cannot create PATH: <sf_strerror>" (libsndfile
 *                          could not write the header)
 *   -ENOMEM                "cannot create PATH: out of memory"
 *   -EINVAL                "no file" (out or path NULL, path empty)
 */
int wavrec_open(struct wavrec **out, const char *path, unsigned rate, char *why,
		size_t whylen);

/*
 * Append n frames to the buffer: left[i] and right[i] (either may be NULL
 * for silence).  Never writes to the file.  0, or the frames are dropped
 * (all n: a frame is never split) and counted by wavrec_dropped():
 *   -ENOBUFS   the buffer would hold more than WAVREC_MAX_BUFFERED frames;
 *   -ENOMEM    the buffer could not grow;
 *   -errno     an earlier wavrec_flush() failed: the recording is broken
 *              (its error again; wavrec_close() says why);
 *   -EINVAL    r NULL (nothing counted).
 */
int wavrec_write(struct wavrec *r, const int16_t *left, const int16_t *right, size_t n);

/*
 * Write at most max_frames of the buffered frames to the file, oldest
 * first.  0, or -errno (EFBIG, ENOSPC, EIO: the write failed; the frames
 * not written are dropped and counted, the recording is broken and every
 * later call returns the same error; wavrec_close() says why), or -EINVAL
 * (r NULL).
 */
int wavrec_flush(struct wavrec *r, size_t max_frames);

/*
 * Write what is buffered, fix the WAV header, close the file and free r.
 * *frames (may be NULL) gets the frames in the file.  0, or -errno with
 * why (may be NULL): "cannot write PATH: <reason>" for this or an earlier
 * failed write (the file then holds what was written before it, with a
 * header that says so, as far as the disk lets libsndfile fix it).
 * r NULL: 0, *frames 0.
 */
int wavrec_close(struct wavrec *r, uint64_t *frames, char *why, size_t whylen);

/* Frames written to the file plus those buffered.  NULL: 0. */
uint64_t wavrec_frames(const struct wavrec *r);

/* Frames dropped: no room, no memory, or a failed write.  NULL: 0. */
uint64_t wavrec_dropped(const struct wavrec *r);

#endif
