// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capture_nft - save the current namespace's nftables ruleset as nft.c's
 * raw capture (fixtures, fuzz seeds), or print what nft_parse() makes of a
 * saved one.  A test tool, built by tests/unit/fixtures/capture.sh against
 * the build's libctsweep.a.
 *
 *   capture_nft > NAME.nlbin        capture (needs CAP_NET_ADMIN)
 *   capture_nft -d NAME.nlbin       parse and print the model
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter/nf_tables.h>
#include "nft.h"
#include "xt.h"

static void hex(const struct nm_data *d)
{
	int i;

	printf("0x");
	for (i = 0; i < d->len; i++)
		printf("%02x", d->val[i]);
}

static const char *addr(int family, const union addr *a, char *buf)
{
	return inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, a, buf,
			 INET6_ADDRSTRLEN);
}

static void print_expr(const struct nm_model *m, const struct nm_expr *e)
{
	char b1[INET6_ADDRSTRLEN], b2[INET6_ADDRSTRLEN];
	int i;

	switch (e->op) {
	case NM_OP_NOP:
		printf("nop");
		break;
	case NM_OP_META:
		printf("meta key %u => r%u", e->meta.key, e->dreg);
		break;
	case NM_OP_PAYLOAD:
		printf("payload %ub @ base %u + %u => r%u", e->len,
		       e->payload.base, e->payload.offset, e->dreg);
		break;
	case NM_OP_CMP:
		printf("cmp op %u r%u ", e->cmp.op, e->sreg);
		hex(&e->cmp.data);
		break;
	case NM_OP_BITWISE:
		printf("bitwise op %u r%u => r%u len %u mask ", e->bitwise.op,
		       e->sreg, e->dreg, e->len);
		hex(&e->bitwise.mask);
		printf(" xor ");
		hex(&e->bitwise.xor);
		printf(" shift %u", e->bitwise.shift);
		break;
	case NM_OP_RANGE:
		printf("range op %u r%u ", e->range.op, e->sreg);
		hex(&e->range.from);
		printf(" ");
		hex(&e->range.to);
		break;
	case NM_OP_LOOKUP:
		printf("lookup r%u set %d (%s)%s%s", e->sreg, e->lookup.set,
		       m->sets[e->lookup.set].name,
		       e->lookup.invert ? " inv" : "",
		       e->lookup.has_dreg ? " => r" : "");
		if (e->lookup.has_dreg)
			printf("%u", e->dreg);
		break;
	case NM_OP_IMMEDIATE:
		if (e->dreg) {
			printf("immediate ");
			hex(&e->imm.data);
			printf(" => r%u", e->dreg);
		} else {
			printf("verdict %d chain %d", e->imm.verdict,
			       e->imm.chain);
			if (e->imm.chain >= 0)
				printf(" (%s)", m->chains[e->imm.chain].name);
		}
		break;
	case NM_OP_FIB:
		printf("fib result %u flags 0x%x => r%u", e->fib.result,
		       e->fib.flags, e->dreg);
		break;
	case NM_OP_CT:
		printf("ct key %u dir %u => r%u", e->ct.key, e->ct.dir, e->dreg);
		break;
	case NM_OP_NAT:
		printf("nat type %u family %u addr r%u-r%u proto r%u-r%u "
		       "flags 0x%x", e->nat.type, e->nat.family,
		       e->nat.reg_addr_min, e->nat.reg_addr_max,
		       e->nat.reg_proto_min, e->nat.reg_proto_max,
		       e->nat.flags);
		break;
	case NM_OP_REDIR:
	case NM_OP_MASQ:
		printf("%s proto r%u-r%u flags 0x%x",
		       e->op == NM_OP_REDIR ? "redir" : "masq",
		       e->redir.reg_proto_min, e->redir.reg_proto_max,
		       e->redir.flags);
		break;
	case NM_OP_NUMGEN:
	case NM_OP_HASH:
		printf("%s mod %u offset %u => r%u",
		       e->op == NM_OP_HASH ? "hash" : "numgen", e->gen.mod,
		       e->gen.offset, e->dreg);
		break;
	case NM_OP_NATSPEC:
		printf("natspec type %u family %u flags 0x%x %s-%s ports %u-%u",
		       e->natspec.type, e->natspec.family, e->natspec.flags,
		       addr(e->natspec.family, &e->natspec.addr_min, b1),
		       addr(e->natspec.family, &e->natspec.addr_max, b2),
		       ntohs(e->natspec.port_min), ntohs(e->natspec.port_max));
		break;
	case NM_OP_XT_PORTS:
		printf("xt ports proto %u either %u dst", e->ports.proto,
		       e->ports.either);
		for (i = 0; i < e->ports.ndst; i++)
			printf(" %u-%u", e->ports.dst[i][0], e->ports.dst[i][1]);
		printf(" src");
		for (i = 0; i < e->ports.nsrc; i++)
			printf(" %u-%u", e->ports.src[i][0], e->ports.src[i][1]);
		break;
	case NM_OP_XT_ADDRTYPE:
		printf("xt addrtype src 0x%x dst 0x%x", e->addrtype.src_type,
		       e->addrtype.dst_type);
		break;
	case NM_OP_XT_CTSTATE:
		printf("xt ctstate 0x%x%s", e->ctstate.statemask,
		       e->ctstate.inv ? " inv" : "");
		break;
	case NM_OP_UNKNOWN:
		printf("unknown \"%s\"", e->unknown);
		break;
	default:
		printf("op %u", e->op);
	}
}

static int dump(const char *path)
{
	struct nm_model m = { 0 };
	unsigned int i, j, k;
	size_t len = 0, got;
	char *buf = NULL;
	FILE *f = fopen(path, "rb");
	int err;

	if (!f) {
		perror(path);
		return 1;
	}
	do {
		char *b = realloc(buf, len + 65536);

		if (!b) {
			fclose(f);
			free(buf);
			return 1;
		}
		buf = b;
		got = fread(buf + len, 1, 65536, f);
		len += got;
	} while (got);
	fclose(f);
	err = nft_parse(buf, len, &m);
	free(buf);
	if (err) {
		fprintf(stderr, "%s: nft_parse: %s\n", path, strerror(-err));
		return 1;
	}
	printf("genid %u\n", m.genid);
	for (i = 0; i < m.nchains; i++) {
		const struct nm_chain *c = &m.chains[i];

		printf("chain %u: family %u table %s name %s", i, c->family,
		       c->table, c->name);
		if (c->hook >= 0)
			printf(" hook %d prio %d policy %d%s", c->hook, c->prio,
			       c->policy, c->nat ? " nat" : "");
		printf("\n");
		for (j = 0; j < c->nrules; j++) {
			const struct nm_rule *r = &c->rules[j];

			printf("  rule handle %llu%s%s%s\n",
			       (unsigned long long)r->handle,
			       r->comment ? " comment \"" : "",
			       r->comment ? r->comment : "",
			       r->comment ? "\"" : "");
			for (k = 0; k < r->nexprs; k++) {
				printf("    ");
				print_expr(&m, &r->exprs[k]);
				printf("\n");
			}
		}
	}
	for (i = 0; i < m.nsets; i++) {
		const struct nm_set *s = &m.sets[i];

		printf("set %u: family %u table %s name %s flags 0x%x key %u "
		       "data %u type 0x%x fields", i, s->family, s->table,
		       s->name, s->flags, s->key_len, s->data_len,
		       s->data_type);
		for (j = 0; j < s->nfields; j++)
			printf(" %u", s->field_len[j]);
		printf("\n");
		for (j = 0; j < s->nelems; j++) {
			const struct nm_elem *e = &s->elems[j];

			printf("  ");
			hex(&e->key);
			printf(" - ");
			hex(&e->key_end);
			if (e->data.len) {
				printf(" : ");
				hex(&e->data);
			}
			if (s->data_type == NFT_DATA_VERDICT)
				printf(" : verdict %d chain %d", e->verdict,
				       e->chain);
			printf("\n");
		}
	}
	nm_model_free(&m);
	return 0;
}

int main(int argc, char **argv)
{
	struct nft_sock nl = { 0 };
	void *buf;
	size_t len;
	int err;

	if (argc == 3 && !strcmp(argv[1], "-d"))
		return dump(argv[2]);
	if (argc != 1) {
		fprintf(stderr, "usage: capture_nft > FILE | capture_nft -d FILE\n");
		return 2;
	}
	err = nft_capture(&nl, &buf, &len);
	nft_close(&nl);
	if (err) {
		fprintf(stderr, "nft_capture: %s\n", strerror(-err));
		return 1;
	}
	if (fwrite(buf, 1, len, stdout) != len || fflush(stdout)) {
		perror("write");
		return 1;
	}
	free(buf);
	return 0;
}
