// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_ipt - the iptables-legacy reader: ipt_parse() on a nat table in
 * the .iptbin layout (tests/unit/fixtures/README.md: header from
 * IPT_SO_GET_INFO, then the IPT_SO_GET_ENTRIES blob), then
 * ipt_parse_table() on the same blob as raw, mangle or filter, picked by
 * the header's num_entries, which neither uses.  Seeds: the fixtures'
 * .iptbin files.
 */
#include "fuzz.h"
#include "ipt.h"
#include "judge.h"

#define HDR 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const others[] = { "raw", "mangle", "filter" };
	struct nm_model m = { 0 };
	uint32_t hdr[14];
	int family;

	if (size < HDR)
		return 0;
	memcpy(hdr, data + 8, sizeof(hdr));
	/* both families from every input: the low bit of the field picks */
	family = hdr[0] & 1 ? AF_INET6 : AF_INET;
	if (ipt_parse(family, data + HDR, size - HDR, &hdr[2], &hdr[7],
		      hdr[1], &m) == 0)
		(void)judge_keys(&m);
	/* Into the same model: a second table must keep to its own
	 * chains whatever the first left there. */
	if (ipt_parse_table(family, others[hdr[12] % 3], data + HDR,
			    size - HDR, &hdr[2], &hdr[7], hdr[1], &m) == 0)
		(void)judge_keys(&m);
	nm_model_free(&m);
	return 0;
}
