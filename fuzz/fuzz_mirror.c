// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_mirror - the swept-forwards file (mirror_parse), then lookups and
 * a compaction on whatever it took in.
 */
#include "fuzz.h"
#include "mirror.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mirror_set ms = { 0 };
	uint32_t i;

	(void)mirror_parse(&ms, data, size, 1000000);
	for (i = 0; i < ms.n; i++) {
		struct flow f, m;

		mirror_cand_flow(&ms.c[i], &f);
		flow_reversed(&f, &m);
		if (!ms.c[i].dead && (mirror_find(&ms, &m) != &ms.c[i] ||
				      !mirror_find_orig(&ms, &f)))
			__builtin_trap();
	}
	mirror_expire(&ms, 1000000 + MIRROR_TTL / 2, MIRROR_TTL);
	mirror_free(&ms);
	return 0;
}
