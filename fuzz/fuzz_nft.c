// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_nft - the nftables ruleset reader: nft_parse() on a capture
 * (NEWGEN, table/chain/set/element/rule dumps), as nft_read() hands it
 * the kernel's replies.  Seeds: tests/unit/fixtures/ *.nlbin.
 */
#include "fuzz.h"
#include "nft.h"
#include "judge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nm_model m = { 0 };

	if (nft_parse(data, size, &m) == 0) {
		/* what scan_load does next with a model */
		(void)judge_keys(&m);
		nm_model_free(&m);
	}
	return 0;
}
