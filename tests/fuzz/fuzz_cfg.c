/*
 * fuzz_cfg: libFuzzer target for the config reader, cfg_load().
 *
 * cfg_load() takes a path, so each input becomes an anonymous in-memory
 * file (memfd) opened through /proc/self/fd: no disk, nothing to clean up.
 * Whatever the bytes, cfg_load must return 0 with a config or an error with
 * its text, and leak neither.
 *
 *   tests/fuzz/fuzz_cfg -max_total_time=60 tests/fuzz/corpus/cfg
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/cfg.h"
#include "media/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The whole of data into fd. 0 or -1. */
static int write_all(int fd, const uint8_t *data, size_t size)
{
	while (size > 0) {
		ssize_t n = write(fd, data, size);

		if (n <= 0)
			return -1;
		data += n;
		size -= (size_t)n;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], *errs = NULL;
	struct cfg *cfg = NULL;
	int fd = memfd_create("fuzz_cfg", MFD_CLOEXEC), err;

	if (fd < 0)
		return 0;
	if (write_all(fd, data, size) < 0)
		goto out;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err = cfg_load(path, codec_cfg_name, &cfg, &errs);
	/* The contract: a config and no text, or text and no config. */
	if ((err == 0) != (cfg != NULL) || (err == 0) == (errs != NULL))
		abort();
	cfg_free(cfg);
	free(errs);
out:
	close(fd);
	return 0;
}
