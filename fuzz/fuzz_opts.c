// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_opts - command line parsing: main.c's global options
 * (take_globals, find_subcommand), cmd_parse_opts() with each command's
 * list, and watch's own options.  The input is argv after argv[0], words
 * separated by NUL bytes.  Nothing is run: the parsers only.
 */
#include <stdio.h>
#include "fuzz.h"

/* Bring in the static parsers of main.c and watch.c under their own
 * names; main itself becomes an unused function. */
#define main ctsweep_main
#include "../src/main.c"
#undef main
#define parse_opts watch_parse_opts
#include "../src/watch.c"
#undef parse_opts

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *words[MAX_ARGS + 2], *buf;
	struct opts o = { .settle_ms = -1 };
	struct wopts w = { 0 };
	int argc = 1, help = 0, version = 0;
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

	if (take_globals(&argc, words, &o, &help, &version) == 0 &&
	    argc >= 2) {
		const struct subcommand *sc = find_subcommand(words[1]);

		if (sc && sc->fn == cmd_status)
			cmd_parse_opts("status", argc - 1, words + 1,
				       "json|tcp", &o);
		else if (sc && sc->fn == cmd_sweep)
			cmd_parse_opts("sweep", argc - 1, words + 1,
				       "json|tcp|dry-run|settle=", &o);
		else if (sc)
			watch_parse_opts(argc - 1, words + 1, &w);
	}
	free(buf);
	return 0;
}
