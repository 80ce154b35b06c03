// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_opts - command line parsing as main.c does it: cmd_take_globals(),
 * cmd_find() and cmd_parse_opts() with each command's options (cmd.c's
 * table).  The input is argv after argv[0], words separated by NUL bytes.
 * Nothing is run: the parsers only.
 */
#include <stdio.h>
#include "fuzz.h"
#include "cmd.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *words[MAX_ARGS + 2], *buf;
	const struct cmd *c;
	struct opts o;
	int argc = 1;
	size_t i, start = 0;

	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	words[0] = "ctsweep";
	for (i = 0; i <= size && argc < MAX_ARGS; i++) {
		if (buf[i])
			continue;
		words[argc++] = buf + start;
		start = i + 1;
	}
	words[argc] = NULL;

	cmd_defaults(&o);
	if (cmd_take_globals(&argc, words, &o) == 0 && argc >= 2) {
		c = cmd_find(words[1]);
		if (c)
			cmd_parse_opts(c, argc - 1, words + 1, &o);
	}
	free(buf);
	return 0;
}
