// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_xt - the x_tables blob decoders, xt_decode_match() and
 * xt_decode_target(), as both readers call them.  Input layout:
 *   byte 0   bit 0: target (else match), bit 1: IPv6
 *   byte 1   revision
 *   byte 2   the rule's protocol (-p)
 *   byte 3   name length n (at most 28, as in struct xt_entry_match)
 *   n bytes  name
 *   rest     info blob
 * Seeds: every match and target of the fixtures' .iptbin files (fuzz/seeds.py).
 */
#include "fuzz.h"
#include "xt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nm_expr e;
	char name[29];
	uint8_t family, n;
	void *info;
	size_t len;

	if (size < 4)
		return 0;
	n = data[3];
	if (n > 28 || size < 4u + n)
		return 0;
	memcpy(name, data + 4, n);
	name[n] = '\0';
	family = data[0] & 2 ? AF_INET6 : AF_INET;
	len = size - 4 - n;
	/* exactly the blob's size: ASan sees any read past it */
	info = malloc(len ? len : 1);
	if (!info)
		return 0;
	memcpy(info, data + 4 + n, len);
	memset(&e, 0, sizeof(e));
	if (data[0] & 1)
		xt_decode_target(family, name, data[1], info, len, &e);
	else
		xt_decode_match(family, data[2], name, data[1], info, len, &e);
	free(info);
	return 0;
}
