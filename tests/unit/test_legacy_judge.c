// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * End to end without a kernel: an iptables-legacy nat table as the kernel
 * hands it over (tests/unit/fixtures/NAME.iptbin, see README.md there) goes
 * through ipt_parse() into the model, and judge_flow() gives verdicts for
 * hand-built flows on a hand-built network snapshot.  test_ipt.c checks
 * the model; this checks what the judge makes of it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "mkmodel.h"
#include "judgefx.h"
#include <linux/netfilter_ipv4/ip_tables.h>
#include "ipt.h"
#include "fixture.h"
#include "judge.h"

/* eth0 and br0 are WAN and LAN of fx_home_router */
#define DOCKER0	4	/* 172.17.0.1/16 */

/* Load NAME.iptbin and append it to @m. */
static void load_table(const char *name, struct nm_model *m)
{
	struct iptbin t;

	iptbin_load(name, &t);
	assert_int_equal(ipt_parse((int)t.family, t.entries, t.size,
				   t.hook_entry, t.underflow, t.valid_hooks,
				   m), 0);
	free(t.entries);
}

static int chain_of(const struct nm_model *m, uint8_t family,
		    const char *name)
{
	int ci = nm_find_chain(m, "nat", family, name);

	if (ci < 0)
		fail_msg("no nat chain %s", name);
	return ci;
}

/* Take rule @n (0-based) out of a chain, as "iptables -D CHAIN n+1". */
static void drop_rule(struct nm_model *m, int ci, unsigned int n)
{
	struct nm_chain *c = &m->chains[ci];

	assert_true(n < c->nrules);
	free(c->rules[n].exprs);
	free(c->rules[n].comment);
	memmove(&c->rules[n], &c->rules[n + 1],
		(c->nrules - n - 1) * sizeof(c->rules[0]));
	c->nrules--;
}

/* An ASUS-style router: eth0 the uplink, br0 the lan, plus Docker's
 * bridge for the docker fixture. */
static void router_env(struct netenv *env)
{
	fx_home_router(env, "eth0", "br0");
	mk_iface(env, DOCKER0, "docker0", "172.17.0.1", 16);
	mk_iface(env, LO, "lo", "::1", 128);
	fx_home_router6(env, "eth0", "br0");
}

FX_SETUP(router_env)

/* Is @addr:@port (port 0: none) one of the outcome's candidates? */
static int has_cand(const struct nat_outcome *o, const char *addr,
		    uint16_t port)
{
	union addr a = A(addr);
	unsigned int i;

	for (i = 0; i < o->ncand; i++) {
		const struct nm_natspec *c = &o->cand[i];

		if ((c->flags & NF_NAT_RANGE_MAP_IPS) &&
		    !memcmp(c->addr_min.b, a.b, addr_len(FAM(addr))) &&
		    !memcmp(c->addr_max.b, a.b, addr_len(FAM(addr))) &&
		    (!port || ((c->flags & NF_NAT_RANGE_PROTO_SPECIFIED) &&
			       c->port_min == htons(port) &&
			       c->port_max == htons(port))))
			return 1;
	}
	return 0;
}

/* The ASUS table (fixtures/asus.save):
 *   -A PREROUTING -d 203.0.113.1/32 -j VSERVER
 *   -A POSTROUTING ! -s 203.0.113.1/32 -o eth0 -j MASQUERADE
 *   -A POSTROUTING -s 192.168.50.0/24 -d 192.168.50.0/24 -o br0 -j MASQUERADE
 *   -A POSTROUTING -m mark --mark 0x8000/0x8000 -j MASQUERADE
 *   -A VSERVER -p udp -m udp --dport 53820 -j DNAT --to-destination 192.168.50.3:53820
 *   -A VSERVER -p tcp -m tcp --dport 8443 -j DNAT --to-destination 192.168.50.3:443
 *   -A VSERVER -j VUPNP
 *   -A VUPNP -p udp -m udp --dport 51820 -j DNAT --to-destination 192.168.50.2:51820
 */
static void load_asus(struct fx *fx, int keep_mark_rule)
{
	load_table("asus", &fx->m);
	if (!keep_mark_rule)
		drop_rule(&fx->m, chain_of(&fx->m, NFPROTO_IPV4,
					   "POSTROUTING"), 2);
}

/* The seed on an ASUS router: the forward 53820 was switched from A to B
 * in the web UI; the peer's flow still goes to A:51820. */
static struct flow seed_on_a(void)
{
	return mk_flow(UDP, "203.0.113.10", 51820, "203.0.113.1", 53820,
		       "192.168.50.2", 51820, "203.0.113.10", 51820);
}

/* What a stock ASUS table does to a forwarded flow: its postrouting mark
 * rule (NAT loopback, -m mark --mark 0x8000/0x8000 -j MASQUERADE) reads
 * the packet mark, which is 0 for a packet from outside when no rule sets
 * it: the mark rule does not apply, and every verdict is exact. */
static void test_asus_mark_rule_judged(void **state)
{
	struct fx *fx = *state;
	struct flow f = seed_on_a();

	load_asus(fx, 1);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	assert_false(fx->j.snat_unknown);
	/* At B its DNAT fits, and the mark rule leaves its source alone. */
	mk_reply_from(&f, "192.168.50.3", 53820);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	/* Masqueraded as if it were marked: the rules do not now. */
	f.reply.dst = A("192.168.50.1");
	assert_judged(fx, &f, JV_STALE, JR_SNAT_REMOVED);
	/* The lan's own traffic to the internet is masqueraded by rule 1
	 * before the mark rule is reached. */
	f = mk_flow(UDP, "192.168.50.2", 5555, "203.0.113.10", 9000,
		    "203.0.113.10", 9000, "203.0.113.1", 5555);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
}

/* explain on iptables-legacy: PREROUTING jumps to VSERVER, whose DNAT
 * rule for 53820 decides. */
static void test_trace_asus(void **state)
{
	struct fx *fx = *state;
	struct flow f = seed_on_a();
	struct ev_trace tr;
	const struct ev_step *st;
	int vserver;

	load_asus(fx, 0);
	vserver = chain_of(&fx->m, NFPROTO_IPV4, "VSERVER");
	tr = fx_trace(fx, &f.orig);
	st = fx_step(&tr, 1, EVS_NAT, 0);
	assert_non_null(st);
	assert_int_equal(st->chain, vserver);
	assert_int_equal(st->rule, 0);
	st = fx_step(&tr, 1, EVS_RULE, 1);
	assert_non_null(st);
	assert_int_equal(st->chain, vserver);
	assert_int_equal(st->rule, 0);
	assert_string_equal(fx->m.chains[fx_step(&tr, 1, EVS_CHAIN, 1)->chain]
			    .name, "VSERVER");
	free(tr.steps);
}

static void test_asus_seed(void **state)
{
	struct fx *fx = *state;
	struct flow f = seed_on_a();
	int vserver;

	load_asus(fx, 0);
	vserver = chain_of(&fx->m, NFPROTO_IPV4, "VSERVER");
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	assert_int_equal(fx->j.chain, vserver);
	assert_int_equal(fx->j.rule, 0);
	assert_int_equal(fx->j.dnat.ncand, 1);
	assert_true(has_cand(&fx->j.dnat, "192.168.50.3", 53820));
	assert_int_equal(fx->j.snat.ncand, 0);

	/* After a sweep the flow goes to B: consistent. */
	mk_reply_from(&f, "192.168.50.3", 53820);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
}

static void test_asus_other_flows(void **state)
{
	struct fx *fx = *state;
	struct flow f;

	load_asus(fx, 0);
	/* Through VSERVER -j VUPNP into the UPnP forward. */
	f = mk_flow(UDP, "203.0.113.10", 40000, "203.0.113.1", 51820,
		    "192.168.50.2", 51820, "203.0.113.10", 40000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.chain, chain_of(&fx->m, NFPROTO_IPV4, "VUPNP"));
	/* The UPnP forward gone, the same flow would be stale... */
	drop_rule(&fx->m, chain_of(&fx->m, NFPROTO_IPV4, "VUPNP"), 0);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
	/* ... and one that reached the router un-NATed is fine. */
	f = mk_flow(UDP, "203.0.113.10", 40000, "203.0.113.1", 51820,
		    "203.0.113.1", 51820, "203.0.113.10", 40000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	/* A flow to 53820 that started before the forward existed. */
	f = mk_flow(UDP, "203.0.113.10", 51820, "203.0.113.1", 53820,
		    "203.0.113.1", 53820, "203.0.113.10", 51820);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_ADDED);
	/* -d 203.0.113.1/32: the lan address is not forwarded. */
	f = mk_flow(UDP, "192.168.50.2", 40000, "192.168.50.1", 53820,
		    "192.168.50.1", 53820, "192.168.50.2", 40000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	/* NAT loopback: lan -> wan address -> B, masqueraded on br0 to
	 * the router's lan address (postrouting sees the DNATed packet). */
	f = mk_flow(UDP, "192.168.50.2", 40000, "203.0.113.1", 53820,
		    "192.168.50.3", 53820, "192.168.50.1", 40000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_true(has_cand(&fx->j.snat, "192.168.50.1", 0));
	/* Masqueraded to an address eth0 no longer has. */
	f = mk_flow(UDP, "192.168.50.2", 5555, "203.0.113.10", 9000,
		    "203.0.113.10", 9000, "203.0.113.99", 5555);
	assert_judged(fx, &f, JV_STALE, JR_SNAT_CHANGED);
	assert_true(has_cand(&fx->j.snat, "203.0.113.1", 0));
}

/* Docker (fixtures/docker.save): -m addrtype --dst-type LOCAL -j DOCKER;
 * -A DOCKER -i docker0 -j RETURN; -A DOCKER ! -i docker0 -p tcp --dport
 * 8080 -j DNAT --to-destination 172.17.0.2:80. */
static void test_docker(void **state)
{
	struct fx *fx = *state;
	struct flow f;

	load_table("docker", &fx->m);
	f = mk_flow(TCP, "203.0.113.10", 40000, "203.0.113.1", 8080,
		    "172.17.0.2", 80, "203.0.113.10", 40000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	/* The container came back with another address. */
	f.reply.src = A("172.17.0.3");
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	assert_true(has_cand(&fx->j.dnat, "172.17.0.2", 80));
	/* From a container, in by docker0: RETURN, never DNATed. */
	f = mk_flow(TCP, "172.17.0.5", 40000, "203.0.113.1", 8080,
		    "203.0.113.1", 8080, "172.17.0.5", 40000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.dnat.ncand, 0);
	/* ... so a container's flow that is DNATed is stale. */
	mk_reply_from(&f, "172.17.0.2", 80);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
	/* Not a local destination: DOCKER is not consulted. */
	f = mk_flow(TCP, "203.0.113.10", 40000, "203.0.113.20", 8080,
		    "203.0.113.20", 8080, "203.0.113.10", 40000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
}

/* ip6tables-legacy (fixtures/v6.save): -d 2001:db8::1 -j PORTFW;
 * -A PORTFW -p udp -m multiport --dports 51820,51821 -j DNAT
 * --to-destination fd00:50::3 (the port is kept). */
static void test_v6(void **state)
{
	struct fx *fx = *state;
	struct flow f;

	load_table("v6", &fx->m);
	f = mk_flow(UDP, "2001:db8::10", 51820, "2001:db8::1", 51821,
		    "fd00:50::2", 51821, "2001:db8::10", 51820);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	assert_true(has_cand(&fx->j.dnat, "fd00:50::3", 0));
	f.reply.src = A("fd00:50::3");
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	/* The DNAT keeps the port: a flow that changed it is stale. */
	f.reply.sport = htons(51820);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
}

/*
 * A legacy nat table and an nft nat chain at the same priority (-100):
 * the kernel runs the one registered last first, which nothing tells
 * ctsweep.  When both would DNAT a flow, either target is consistent;
 * only a flow at neither is stale.  (Reading order alone called the
 * flow at the legacy target stale, and sweep deleted it every time.)
 */
static void test_equal_priority_legacy_nft(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *c;
	struct nm_rule *r;
	struct flow f;

	c = mk_chain(&fx->m, NFPROTO_IPV4, "prerouting", NF_INET_PRE_ROUTING,
		     -100);
	r = mk_rule(c);
	mk_forward(r, UDP, 53820, "192.168.50.4", 53820);
	load_asus(fx, 0);

	f = seed_on_a();
	mk_reply_from(&f, "192.168.50.3", 53820);	/* legacy's target */
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.dnat.ncand, 2);
	assert_true(has_cand(&fx->j.dnat, "192.168.50.3", 53820));
	assert_true(has_cand(&fx->j.dnat, "192.168.50.4", 53820));
	f.reply.src = A("192.168.50.4");	/* nft's target */
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	f = seed_on_a();			/* neither */
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);

	/* A chain that does not decide adds no outcome: the UPnP port is
	 * legacy's alone. */
	f = mk_flow(UDP, "203.0.113.10", 40000, "203.0.113.1", 51820,
		    "192.168.50.2", 51820, "203.0.113.10", 40000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.dnat.ncand, 1);
	mk_reply_from(&f, "192.168.50.1", 51820);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);

	/* An earlier priority is no guess: nft's chain decides. */
	c = &fx->m.chains[0];
	c->prio = -150;
	f = seed_on_a();
	mk_reply_from(&f, "192.168.50.3", 53820);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	assert_int_equal(fx->j.dnat.ncand, 1);
	assert_true(has_cand(&fx->j.dnat, "192.168.50.4", 53820));
}

/* Two nft chains of equal priority: the same uncertainty (the kernel
 * runs the later one first, reading order says the earlier one). */
static void test_equal_priority_nft_nft(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *c;
	struct nm_rule *r;
	struct flow f;

	c = mk_chain(&fx->m, NFPROTO_IPV4, "t1", NF_INET_PRE_ROUTING, -100);
	r = mk_rule(c);
	mk_forward(r, UDP, 9999, "192.168.50.2", 0);
	c = mk_chain(&fx->m, NFPROTO_IPV4, "t2", NF_INET_PRE_ROUTING, -100);
	r = mk_rule(c);
	mk_forward(r, UDP, 9999, "192.168.50.3", 0);
	f = mk_flow(UDP, "203.0.113.10", 40000, "203.0.113.1", 9999,
		    "192.168.50.3", 9999, "203.0.113.10", 40000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	f.reply.src = A("192.168.50.5");
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	assert_int_equal(fx->j.dnat.ncand, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_asus_mark_rule_judged),
		T(test_asus_seed),
		T(test_trace_asus),
		T(test_asus_other_flows),
		T(test_docker),
		T(test_v6),
		T(test_equal_priority_legacy_nft),
		T(test_equal_priority_nft_nft),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
