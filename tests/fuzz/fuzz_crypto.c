/*
 * fuzz_crypto: libFuzzer target for the a=crypto parser (src/media/sdes.c,
 * RFC 4568), which reads the SRTP keys every SDES offer and answer carries.
 *
 * Each input is one attribute value (what follows "a=crypto:").  Whatever
 * the bytes, sdes_parse() returns 0, -EBADMSG or -ENOTSUP, writes *out only
 * on success, leaves a terminated reason within its buffer (empty on
 * success) that never holds the key text, and a line it accepts formats
 * back (sdes_format) into one that parses to the same tag and key.
 *
 *   tests/fuzz/fuzz_crypto -max_total_time=60 tests/fuzz/corpus/crypto
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/sdes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* How often the n bytes at needle occur in hay. */
static int occurrences(const char *hay, size_t len, const char *needle, size_t n)
{
	int count = 0;

	for (const char *p = hay; (p = memmem(p, len - (size_t)(p - hay), needle, n)); p++)
		count++;
	return count;
}

/*
 * The reason must not copy the key-salt text.  Only judged when that text
 * is long enough not to be a word of a reason and occurs once in the input
 * (so that it cannot have come from the suite or a parameter name).
 */
static void key_not_in_why(const char *value, size_t len, const char *why)
{
	const char *k = strstr(value, "inline:");
	size_t n = 0;

	if (!k)
		return;
	k += 7;
	while (k[n] && !strchr("|; \t", k[n]))
		n++;
	if (n < 16 || occurrences(value, len, k, n) != 1)
		return;
	if (memmem(why, strlen(why), k, n))
		abort();
}

/* An accepted line formats back to one that parses to the same thing. */
static void round_trip(const struct sdes_crypto *c)
{
	struct sdes_crypto again;
	char line[128];
	int n = sdes_format(line, sizeof(line), c->tag, &c->key);

	if (n <= 0 || (size_t)n != strlen(line))
		abort();
	if (sdes_parse(line, &again, NULL, 0) != 0)
		abort();
	if (again.tag != c->tag || again.key.suite != c->key.suite ||
	    again.key.len != c->key.len || memcmp(again.key.key, c->key.key, c->key.len) != 0)
		abort();
	sdes_wipe(&again.key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdes_crypto c, before;
	char why[64];
	char *value;
	int err;

	if (size > 4096)
		return 0;
	if (!(value = malloc(size + 1)))
		return 0;
	memcpy(value, data, size);
	value[size] = '\0';
	memset(&c, 0xa5, sizeof(c));
	before = c;
	memset(why, 'x', sizeof(why));
	err = sdes_parse(value, &c, why, sizeof(why));
	if (!memchr(why, '\0', sizeof(why)))
		abort();
	if (err == 0) {
		if (why[0] != '\0' || c.tag == 0 || c.tag > 999999999 ||
		    c.key.len != sdes_key_len(c.key.suite) || c.key.len == 0)
			abort();
		round_trip(&c);
	} else {
		if ((err != -EBADMSG && err != -ENOTSUP) || why[0] == '\0')
			abort();
		if (memcmp(&c, &before, sizeof(c)) != 0)
			abort();
	}
	key_not_in_why(value, strlen(value), why);
	sdes_wipe(&c.key);
	free(value);
	return 0;
}
