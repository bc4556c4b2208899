/*
 * fuzz_ctl: libFuzzer target for what a control client's bytes reach
 * before any handler: a request line as the control server parses it
 * (jansson with duplicate keys refused), its check against the command
 * table, the help built from it; and the SIP URI of `options`
 * (msg_uri_dest), which takes whatever string a client sends.
 * Whatever the bytes: an answer or an error with its text, no crash, no
 * leak.
 *
 *   tests/fuzz/fuzz_ctl -max_total_time=60 tests/fuzz/corpus/ctl
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl/ctl_check.h"
#include "sip/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void request(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *root = json_loadb((const char *)data, size,
	    JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	const struct ctl_cmd_info *ci = NULL;
	json_t *args = NULL, *res = NULL;
	struct ctl_fail f;

	if (ctl_check_request(root, &je, &ci, &args, &f) < 0) {
		if (!f.code || !f.msg[0])
			abort(); /* every refusal names its error */
	} else if (strcmp(ci->name, "help") == 0 && ctl_check_help(args, &res, &f) == 0) {
		json_decref(res);
	}
	json_decref(root);
}

static void uri(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), why[256];
	struct sip_dest d;

	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	why[0] = '\0';
	if (msg_uri_dest(s, &d, why, sizeof(why)) < 0 && !why[0])
		abort(); /* a refused URI says why */
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;

	if (!init) {
		msg_lib_init();
		init = 1;
	}
	request(data, size);
	uri(data, size);
	return 0;
}
