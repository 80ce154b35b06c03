// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for mdigest.c (digests of the model and the routing
 * snapshot, and the "what changed" text) and windex.c (the flow
 * index: hashing, the IPv6 address pool, growth, the plan filter).
 *
 * windex.c is included, not linked, to reach its static insert,
 * erase and lookup without conntrack sockets: the index is made by hand
 * and never subscribes to events.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "mkmodel.h"
#include "mdigest.h"
#include "windex.c"

/* ---- mdigest --------------------------------------------------------- */

/* chain ip t pre: udp dport 53820 dnat to @to:@port, with a comment;
 * map inet t portfwd { 40000 : 192.168.50.2 }. */
static void build(struct nm_model *m, const char *to, uint16_t port,
		  const char *comment, uint64_t handle_base)
{
	struct nm_chain *c;
	struct nm_rule *r;
	struct nm_set *s;
	uint16_t k = htons(40000);
	union addr v = A("192.168.50.2");

	memset(m, 0, sizeof(*m));
	c = mk_chain(m, NFPROTO_IPV4, "pre", NF_INET_PRE_ROUTING, -100);
	r = mk_rule(c);
	r->handle = handle_base + 1;
	if (comment)
		r->comment = mk_check(strdup(comment));
	mk_dport(r, IPPROTO_UDP, 53820);
	mk_dnat_to(r, to, port);
	s = mk_set(m, "portfwd", NFT_SET_MAP, 2, 4);
	mk_elem(s, &k, NULL, &v.ip, 4);
}

static void test_digest_equal_models(void **state)
{
	struct nm_model a, b;
	struct mdigest da, db;
	char buf[256];

	(void)state;
	build(&a, "192.168.50.2", 51820, NULL, 0);
	build(&b, "192.168.50.2", 51820, NULL, 0);
	assert_int_equal(mdigest_build(&a, &da), 0);
	assert_int_equal(mdigest_build(&b, &db), 0);
	assert_int_equal(da.n, 2);
	assert_true(da.all == db.all);
	mdigest_diff(&da, &db, buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_string_equal(da.ent[0].name, "chain ip t pre");
	assert_string_equal(da.ent[1].name, "map inet t portfwd");
	mdigest_free(&da);
	mdigest_free(&db);
	assert_null(da.ent);
	assert_int_equal(da.n, 0);
	nm_model_free(&a);
	nm_model_free(&b);
}

/* A reload gives every rule a new handle, and comments do not NAT. */
static void test_digest_ignores_handles_and_comments(void **state)
{
	struct nm_model a, b;
	struct mdigest da, db;

	(void)state;
	build(&a, "192.168.50.2", 51820, NULL, 0);
	build(&b, "192.168.50.2", 51820, "!fw4: wg", 1000);
	assert_int_equal(mdigest_build(&a, &da), 0);
	assert_int_equal(mdigest_build(&b, &db), 0);
	assert_true(da.all == db.all);
	mdigest_free(&da);
	mdigest_free(&db);
	nm_model_free(&a);
	nm_model_free(&b);
}

static void test_digest_names_what_changed(void **state)
{
	struct nm_model a, b;
	struct mdigest da, db;
	union addr v = A("192.168.50.3");
	char buf[256];

	(void)state;
	build(&a, "192.168.50.2", 51820, NULL, 0);
	build(&b, "192.168.50.3", 53820, NULL, 0);
	assert_int_equal(mdigest_build(&a, &da), 0);
	assert_int_equal(mdigest_build(&b, &db), 0);
	assert_true(da.all != db.all);
	mdigest_diff(&da, &db, buf, sizeof(buf));
	assert_string_equal(buf, "chain ip t pre changed");
	mdigest_free(&db);

	/* only a map element */
	nm_model_free(&b);
	build(&b, "192.168.50.2", 51820, NULL, 0);
	memcpy(b.sets[0].elems[0].data.val, &v.ip, 4);
	assert_int_equal(mdigest_build(&b, &db), 0);
	mdigest_diff(&da, &db, buf, sizeof(buf));
	assert_string_equal(buf, "map inet t portfwd changed");
	mdigest_free(&db);

	/* a chain added, then (the other way round) removed */
	mk_chain(&b, NFPROTO_IPV4, "extra", -1, 0);
	memcpy(b.sets[0].elems[0].data.val, a.sets[0].elems[0].data.val, 4);
	assert_int_equal(mdigest_build(&b, &db), 0);
	mdigest_diff(&da, &db, buf, sizeof(buf));
	assert_string_equal(buf, "chain ip t extra added");
	mdigest_diff(&db, &da, buf, sizeof(buf));
	assert_string_equal(buf, "chain ip t extra removed");
	mdigest_free(&da);
	mdigest_free(&db);
	nm_model_free(&a);
	nm_model_free(&b);
}

/* The ports a change concerns: what the early pass judges first. */
static void test_changed_ports(void **state)
{
	struct nm_model a, b;
	struct mdigest da, db;
	union addr v = A("192.168.50.3");
	uint16_t p[4];
	struct nm_rule *r;
	struct nm_chain *c;
	struct nm_set *set;
	uint16_t k[3] = { htons(1000), htons(1001), htons(1002) };

	(void)state;
	build(&a, "192.168.50.2", 51820, NULL, 0);
	build(&b, "192.168.50.3", 53820, NULL, 0);
	assert_int_equal(mdigest_build(&a, &da), 0);
	assert_int_equal(mdigest_build(&b, &db), 0);
	/* the forward switched: its port, once */
	assert_int_equal(mdigest_changed_ports(&da, &db, p, 4), 1);
	assert_int_equal(p[0], htons(53820));
	/* nothing changed */
	assert_int_equal(mdigest_changed_ports(&da, &da, p, 4), 0);
	mdigest_free(&db);

	/* only a map element: the map's keys */
	nm_model_free(&b);
	build(&b, "192.168.50.2", 51820, NULL, 0);
	memcpy(b.sets[0].elems[0].data.val, &v.ip, 4);
	assert_int_equal(mdigest_build(&b, &db), 0);
	assert_int_equal(mdigest_changed_ports(&da, &db, p, 4), 1);
	assert_int_equal(p[0], htons(40000));
	mdigest_free(&db);

	/* a rule added that only counts decides nothing: no flow to judge
	 * early (the full pass still follows: the digest differs) */
	nm_model_free(&b);
	build(&b, "192.168.50.2", 51820, NULL, 0);
	r = mk_rule(&b.chains[0]);
	mk_expr(r, NM_OP_NOP);
	assert_int_equal(mdigest_build(&b, &db), 0);
	assert_true(da.all != db.all);
	assert_int_equal(mdigest_changed_ports(&da, &db, p, 4), 0);
	mdigest_free(&db);

	/* a forward not limited to ports: every flow, no hint */
	mk_addr_match(r, 1, NFT_CMP_EQ, "203.0.113.1");
	mk_dnat_to(r, "192.168.50.9", 0);
	assert_int_equal(mdigest_build(&b, &db), 0);
	assert_int_equal(mdigest_changed_ports(&da, &db, p, 4), -1);
	mdigest_free(&db);

	/* a chain removed: its ports come from the old side; a port set
	 * looked up; more ports than asked for: no hint */
	nm_model_free(&b);
	build(&b, "192.168.50.2", 51820, NULL, 0);
	set = mk_set(&b, "ports", 0, 2, 0);
	mk_elem(set, &k[0], NULL, NULL, 0);
	mk_elem(set, &k[1], NULL, NULL, 0);
	mk_elem(set, &k[2], NULL, NULL, 0);
	c = mk_chain(&b, NFPROTO_IPV4, "extra", -1, 0);
	r = mk_rule(c);
	mk_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	mk_lookup(r, NFT_REG_1, 1, -1, false);
	mk_verdict(r, NF_ACCEPT, -1);
	assert_int_equal(mdigest_build(&b, &db), 0);
	/* old: b (with extra and ports), new: a (without) */
	assert_int_equal(mdigest_changed_ports(&db, &da, p, 4), 3);
	assert_int_equal(p[0], htons(1000));
	assert_int_equal(p[2], htons(1002));
	assert_int_equal(mdigest_changed_ports(&db, &da, p, 2), -1);
	mdigest_free(&da);
	mdigest_free(&db);
	nm_model_free(&a);
	nm_model_free(&b);
}

/*
 * An fw4-style table: chain dstnat jumps to dstnat_wan, which holds one
 * forward per port (4000 + i -> 192.168.50.(10 + i)), then the forward on
 * @port to @to; a port map { 40000 + i : 192.168.50.(20 + i) }.  With
 * @reversed the chains are created in the other order, as a reload may.
 */
static void fw4_table(struct nm_model *m, unsigned int nfwd, uint16_t port,
		      const char *to, bool reversed, int map_changed)
{
	struct nm_chain *pre, *wan;
	struct nm_set *s;
	struct nm_rule *r;
	unsigned int i;
	char addr[32];
	int wi;

	memset(m, 0, sizeof(*m));
	if (reversed)
		mk_chain(m, NFPROTO_INET, "dstnat_wan", -1, 0);
	mk_chain(m, NFPROTO_INET, "dstnat", NF_INET_PRE_ROUTING, -100);
	if (!reversed)
		mk_chain(m, NFPROTO_INET, "dstnat_wan", -1, 0);
	/* mk_chain may have moved the array */
	wi = reversed ? 0 : 1;
	pre = &m->chains[!wi];
	wan = &m->chains[wi];
	r = mk_rule(pre);
	mk_ifname(r, 0, NFT_CMP_EQ, "wan");
	mk_verdict(r, NFT_JUMP, wi);
	for (i = 0; i < nfwd; i++) {
		r = mk_rule(wan);
		r->handle = 1000 + i;	/* new handles on every reload */
		mk_dport(r, IPPROTO_UDP, 4000 + i);
		snprintf(addr, sizeof(addr), "192.168.50.%u", 10 + i);
		mk_dnat_to(r, addr, 0);
	}
	r = mk_rule(wan);
	mk_dport(r, IPPROTO_UDP, port);
	mk_dnat_to(r, to, 0);
	s = mk_set(m, "portfwd", NFT_SET_MAP, 2, 4);
	for (i = 0; i < 8; i++) {
		uint16_t k = htons(40000 + i);
		union addr v;

		snprintf(addr, sizeof(addr), "192.168.50.%u",
			 20 + i + ((int)i == map_changed));
		v = A(addr);
		/* a refill may come back in any order */
		k = htons(40000 + (reversed ? 7 - i : i));
		if (reversed) {
			snprintf(addr, sizeof(addr), "192.168.50.%u",
				 20 + (7 - i) + ((int)(7 - i) == map_changed));
			v = A(addr);
		}
		mk_elem(s, &k, NULL, &v.ip, 4);
	}
}

static int changed(struct nm_model *a, struct nm_model *b, uint16_t *p,
		   int max)
{
	struct mdigest da, db;
	int n;

	assert_int_equal(mdigest_build(a, &da), 0);
	assert_int_equal(mdigest_build(b, &db), 0);
	n = mdigest_changed_ports(&da, &db, p, max);
	mdigest_free(&da);
	mdigest_free(&db);
	nm_model_free(a);
	nm_model_free(b);
	return n;
}

/* What changed is decided rule by rule, element by element. */
static void test_changed_by_rule(void **state)
{
	struct nm_model a, b;
	struct mdigest da, db;
	uint16_t p[16];

	(void)state;
	/* an identical reload: new handles, chains re-created in another
	 * order, the map refilled in another order: nothing */
	fw4_table(&a, 100, 53820, "192.168.50.2", false, -1);
	fw4_table(&b, 100, 53820, "192.168.50.2", true, -1);
	assert_int_equal(mdigest_build(&a, &da), 0);
	assert_int_equal(mdigest_build(&b, &db), 0);
	assert_true(da.all == db.all);
	mdigest_free(&da);
	mdigest_free(&db);
	assert_int_equal(changed(&a, &b, p, 16), 0);

	/* one forward switched inside the reloaded table: its port only,
	 * not the 100 others of its chain */
	fw4_table(&a, 100, 53820, "192.168.50.2", false, -1);
	fw4_table(&b, 100, 53820, "192.168.50.3", true, -1);
	assert_int_equal(changed(&a, &b, p, 16), 1);
	assert_int_equal(p[0], htons(53820));

	/* the map flushed and refilled with one value changed: that key */
	fw4_table(&a, 4, 53820, "192.168.50.2", false, -1);
	fw4_table(&b, 4, 53820, "192.168.50.2", true, 5);
	assert_int_equal(changed(&a, &b, p, 16), 1);
	assert_int_equal(p[0], htons(40005));
}

/* Forwards of 4000, 4001 and 4002, and one of 4000-4002 after them (a)
 * or before them (b). */
static void shadow_table(struct nm_model *m, bool range_first)
{
	struct nm_chain *c;
	struct nm_rule *r;
	unsigned int i;

	memset(m, 0, sizeof(*m));
	c = mk_chain(m, NFPROTO_IPV4, "fwd", NF_INET_PRE_ROUTING, -100);
	for (i = 0; i < 4; i++) {
		r = mk_rule(c);
		if (range_first ? i == 0 : i == 3) {
			mk_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2,
				   NFT_REG_1);
			mk_range_be16(r, NFT_REG_1, NFT_RANGE_EQ, 4000, 4002);
			mk_dnat_to(r, "192.168.50.99", 0);
		} else {
			mk_dport(r, IPPROTO_UDP,
				 4000 + i - (range_first ? 1 : 0));
			mk_dnat_to(r, "192.168.50.10", 0);
		}
	}
}

/* A rule moved ahead of others that it now shadows: the flows of the
 * shadowed rules are among those judged first. */
static void test_changed_by_rule_order(void **state)
{
	struct nm_model a, b;
	uint16_t p[16];
	int n, i, found = 0;

	(void)state;
	shadow_table(&a, false);
	shadow_table(&b, true);
	n = changed(&a, &b, p, 16);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++)
		found += p[i] == htons(4000) || p[i] == htons(4001) ||
			 p[i] == htons(4002);
	assert_int_equal(found, 3);
}

/* A rule with its own anonymous set, re-created by a reload under another
 * made-up name (__map0, __map7), is the same rule; another element is
 * not. */
static void anon_table(struct nm_model *m, const char *setname, uint16_t port)
{
	struct nm_chain *c;
	struct nm_rule *r;
	struct nm_set *s;
	uint16_t k[2] = { htons(4000), htons(port) };

	memset(m, 0, sizeof(*m));
	c = mk_chain(m, NFPROTO_IPV4, "pre", NF_INET_PRE_ROUTING, -100);
	s = mk_set(m, setname, NFT_SET_ANONYMOUS | NFT_SET_CONSTANT, 2, 0);
	mk_elem(s, &k[0], NULL, NULL, 0);
	mk_elem(s, &k[1], NULL, NULL, 0);
	r = mk_rule(c);
	mk_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	mk_lookup(r, NFT_REG_1, 0, -1, false);
	mk_dnat_to(r, "192.168.50.2", 0);
}

static void test_changed_anonymous_set(void **state)
{
	struct nm_model a, b;
	struct mdigest da, db;
	char buf[256];
	uint16_t p[16];

	(void)state;
	anon_table(&a, "__set0", 4001);
	anon_table(&b, "__set7", 4001);
	assert_int_equal(mdigest_build(&a, &da), 0);
	assert_int_equal(mdigest_build(&b, &db), 0);
	assert_true(da.all == db.all);
	mdigest_diff(&da, &db, buf, sizeof(buf));
	assert_string_equal(buf, "");
	mdigest_free(&da);
	mdigest_free(&db);
	assert_int_equal(changed(&a, &b, p, 16), 0);
	anon_table(&a, "__set0", 4001);
	anon_table(&b, "__set0", 4002);
	assert_int_equal(changed(&a, &b, p, 16), 3);
}

static void test_digest_legacy_name(void **state)
{
	struct nm_model m = { 0 };
	struct nm_chain *c;
	struct mdigest d;

	(void)state;
	c = mk_chain(&m, NFPROTO_IPV6, "PREROUTING", NF_INET_PRE_ROUTING,
		     -100);
	c->source = NM_SRC_LEGACY;
	free(c->table);
	c->table = NULL;
	assert_int_equal(mdigest_build(&m, &d), 0);
	assert_string_equal(d.ent[0].name,
			    "ip6tables-legacy chain nat PREROUTING");
	mdigest_free(&d);
	nm_model_free(&m);
}

static void test_digest_empty(void **state)
{
	struct nm_model m = { 0 };
	struct mdigest d, e;
	char buf[8] = "x";

	(void)state;
	assert_int_equal(mdigest_build(&m, &d), 0);
	assert_int_equal(mdigest_build(&m, &e), 0);
	assert_int_equal(d.n, 0);
	assert_true(d.all == e.all);
	mdigest_diff(&d, &e, buf, sizeof(buf));
	assert_string_equal(buf, "");
	mdigest_free(&d);
	mdigest_free(&e);
	/* an empty set and an empty chain (kube-proxy has both) */
	mk_set(&m, "empty", 0, 2, 0);
	mk_chain(&m, NFPROTO_IPV4, "none", -1, 0);
	assert_int_equal(mdigest_build(&m, &d), 0);
	assert_int_equal(d.n, 2);
	mdigest_free(&d);
	nm_model_free(&m);
}

/* More changes than fit: the text is cut into "and N more", never past
 * the buffer. */
static void test_diff_summarises_what_does_not_fit(void **state)
{
	struct nm_model a = { 0 }, b = { 0 };
	struct mdigest da, db;
	char buf[80], name[32];
	int i;

	(void)state;
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "c%02d", i);
		mk_chain(&b, NFPROTO_IPV4, name, -1, 0);
	}
	assert_int_equal(mdigest_build(&a, &da), 0);
	assert_int_equal(mdigest_build(&b, &db), 0);
	memset(buf, 'Z', sizeof(buf));
	mdigest_diff(&da, &db, buf, sizeof(buf));
	assert_true(strlen(buf) < sizeof(buf));
	assert_non_null(strstr(buf, "chain ip t c00 added"));
	assert_non_null(strstr(buf, " more"));
	assert_null(strstr(buf, "c19"));
	/* a zero-length buffer is left alone */
	buf[0] = 'Q';
	mdigest_diff(&da, &db, buf, 0);
	assert_int_equal(buf[0], 'Q');
	mdigest_free(&da);
	mdigest_free(&db);
	nm_model_free(&b);
}

static void test_netenv_hash(void **state)
{
	struct netenv a = { 0 }, b = { 0 };

	(void)state;
	mk_iface(&a, 2, "wan", "203.0.113.1", 24);
	mk_iface(&a, 3, "br-lan", "192.168.50.1", 24);
	mk_iface(&b, 2, "wan", "203.0.113.1", 24);
	mk_iface(&b, 3, "br-lan", "192.168.50.1", 24);
	assert_true(mdigest_netenv(&a) == mdigest_netenv(&b));
	/* a renamed interface matters to iifname rules */
	strcpy(b.links[0].name, "wan2");
	assert_true(mdigest_netenv(&a) != mdigest_netenv(&b));
	strcpy(b.links[0].name, "wan");
	/* and a clsact qdisc, whose filters may set the mark */
	b.links[0].tc_ingress = 1;
	assert_true(mdigest_netenv(&a) != mdigest_netenv(&b));
	b.links[0].tc_ingress = 0;
	assert_true(mdigest_netenv(&a) == mdigest_netenv(&b));
	/* so does a new default route */
	mk_route(&b, RT_TABLE_MAIN, RTN_UNICAST, "0.0.0.0", 0, 2,
		 "203.0.113.254", NULL, 0);
	assert_true(mdigest_netenv(&a) != mdigest_netenv(&b));
	mk_env_free(&a);
	mk_env_free(&b);
}

/* ---- windex -------------------------------------------------------- */

static struct windex *ix_new(bool tcp)
{
	struct windex *ix = calloc(1, sizeof(*ix));

	assert_non_null(ix);
	ix->tcp = tcp;
	return ix;
}

static struct flow v4flow(uint32_t id, uint16_t sport)
{
	struct flow f = mk_flow(IPPROTO_UDP, "203.0.113.10", sport,
				"203.0.113.1", 53820, "192.168.50.2", 51820,
				"203.0.113.10", sport);

	f.id = id;
	f.status = 0x19e;
	return f;
}

static struct flow v6flow(uint32_t id, const char *peer, uint16_t sport)
{
	struct flow f = mk_flow(IPPROTO_UDP, peer, sport, "2001:db8:1::1",
				53820, "fd00:50::2", 51820, peer, sport);

	f.id = id;
	return f;
}

static void assert_same_flow(const struct flow *a, const struct flow *b)
{
	assert_memory_equal(&a->orig, &b->orig, sizeof(a->orig));
	assert_memory_equal(&a->reply, &b->reply, sizeof(a->reply));
	assert_int_equal(a->id, b->id);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->zone, b->zone);
}

static void test_index_insert_find_erase(void **state)
{
	struct windex *ix = ix_new(false);
	struct flow f = v4flow(7, 40000), g = v4flow(7, 40001), back;
	uint32_t *p;

	(void)state;
	assert_null(find(ix, &f));	/* empty, no buckets yet */
	assert_int_equal(insert(ix, &f), 0);
	assert_int_equal(insert(ix, &f), 0);	/* a duplicate NEW */
	assert_int_equal(windex_count(ix), 1);
	/* the same id on another tuple is another entry */
	assert_int_equal(insert(ix, &g), 0);
	assert_int_equal(windex_count(ix), 2);
	p = find(ix, &f);
	assert_non_null(p);
	to_flow(ix, ent(ix, *p), &back);
	assert_same_flow(&back, &f);
	erase(ix, &f);
	assert_int_equal(windex_count(ix), 1);
	assert_null(find(ix, &f));
	assert_non_null(find(ix, &g));
	erase(ix, &f);			/* a DESTROY for what is gone */
	assert_int_equal(windex_count(ix), 1);
	assert_true(windex_bytes(ix) > 0);
	windex_free(ix);
}

static void test_index_wants_udp_and_tcp_if_asked(void **state)
{
	struct windex *ix = ix_new(false);
	struct flow t = v4flow(1, 1000), i = v4flow(2, 1000);

	(void)state;
	t.orig.l4proto = t.reply.l4proto = IPPROTO_TCP;
	i.orig.l4proto = i.reply.l4proto = IPPROTO_ICMP;
	assert_int_equal(insert(ix, &t), 0);
	assert_int_equal(insert(ix, &i), 0);
	assert_int_equal(windex_count(ix), 0);
	ix->tcp = true;
	assert_int_equal(insert(ix, &t), 0);
	assert_int_equal(insert(ix, &i), 0);
	assert_int_equal(windex_count(ix), 1);
	windex_free(ix);
}

/* IPv6 addresses are pooled and refcounted: a flow's four addresses are
 * mostly the router's own. */
static void test_index_ipv6_pool(void **state)
{
	struct windex *ix = ix_new(false);
	struct flow f[3] = {
		v6flow(1, "2001:db8:1::10", 1000),
		v6flow(2, "2001:db8:1::10", 1001),
		v6flow(3, "2001:db8:1::11", 1000),
	}, back;
	uint32_t *p;
	int k;

	(void)state;
	for (k = 0; k < 3; k++)
		assert_int_equal(insert(ix, &f[k]), 0);
	assert_int_equal(windex_count(ix), 3);
	/* ::10, ::11, the router's wan address, fd00:50::2 */
	assert_int_equal(ix->a6count, 4);
	for (k = 0; k < 3; k++) {
		p = find(ix, &f[k]);
		assert_non_null(p);
		to_flow(ix, ent(ix, *p), &back);
		assert_same_flow(&back, &f[k]);
	}
	erase(ix, &f[2]);
	assert_int_equal(ix->a6count, 3);	/* ::11 had only that flow */
	erase(ix, &f[0]);
	erase(ix, &f[1]);
	assert_int_equal(ix->a6count, 0);
	assert_int_equal(windex_count(ix), 0);
	/* freed slots are reused */
	assert_int_equal(insert(ix, &f[2]), 0);
	assert_int_equal(ix->a6count, 3);
	windex_free(ix);
}

/* Past the first allocation of entries (4096) and of pooled addresses
 * (256): everything stays findable across the rehashes. */
static void test_index_grows(void **state)
{
	struct windex *ix = ix_new(false);
	char peer[64];
	uint32_t i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		struct flow f = v4flow(i, (uint16_t)(1024 + i));

		assert_int_equal(insert(ix, &f), 0);
	}
	for (i = 0; i < 1000; i++) {
		struct flow f;

		snprintf(peer, sizeof(peer), "2001:db8:2::%x", i + 1);
		f = v6flow(100000 + i, peer, 5000);
		assert_int_equal(insert(ix, &f), 0);
	}
	assert_int_equal(windex_count(ix), 11000);
	assert_int_equal(ix->a6count, 1002);
	assert_true(ix->cap >= 11000 && ix->a6cap >= 1002);
	for (i = 0; i < 10000; i += 2) {
		struct flow f = v4flow(i, (uint16_t)(1024 + i));

		assert_non_null(find(ix, &f));
		erase(ix, &f);
	}
	for (i = 0; i < 1000; i++) {
		struct flow f;

		snprintf(peer, sizeof(peer), "2001:db8:2::%x", i + 1);
		f = v6flow(100000 + i, peer, 5000);
		assert_non_null(find(ix, &f));
	}
	assert_int_equal(windex_count(ix), 6000);
	for (i = 1; i < 10000; i += 2) {
		struct flow f = v4flow(i, (uint16_t)(1024 + i));

		assert_non_null(find(ix, &f));
	}
	windex_free(ix);
}

/* Every indexed flow sits in the bucket its hash names, once; every
 * bucket's chain holds live slots only; free slots are all on the list. */
static void assert_index_sound(struct windex *ix)
{
	uint32_t b, i, chained = 0, freed = 0;

	for (b = 0; b < nbuckets(ix); b++)
		for (i = *bucket(ix, b); i != NIL; i = ent(ix, i)->next) {
			assert_true(i < ix->cap);
			assert_int_not_equal(ent(ix, i)->family, 0);
			assert_ptr_equal(bucket_of(ix, ent_hash(ent(ix, i))),
					 bucket(ix, b));
			chained++;
		}
	assert_int_equal(chained, ix->count);
	for (i = ix->free; i != NIL; i = ent(ix, i)->next)
		freed++;
	assert_int_equal(freed + ix->count + 1, ix->cap);
}

static struct flow many_flow(uint32_t i)
{
	struct flow f = v4flow(i * 2654435761u, (uint16_t)(1024 + i % 60000));

	f.orig.src.ip = f.reply.dst.ip = htonl(0xcb007100u + i / 60000);
	return f;
}

/* Linear hashing under growth and deletion: the table splits one bucket
 * at a time, never rehashes, and every flow stays findable; memory grows
 * with the count, in segments, at about 44 bytes a flow whatever the
 * count (no doubling, so no step at a power of two). */
static void test_index_linear_growth(void **state)
{
	static const uint32_t sizes[] = { 10000, 65536, 65537, 131073, 300000 };
	struct windex *ix = ix_new(false);
	uint32_t i, n = 0, k;

	(void)state;
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (; n < sizes[k]; n++) {
			struct flow f = many_flow(n);

			assert_int_equal(insert(ix, &f), 0);
		}
		assert_int_equal(windex_count(ix), n);
		assert_true(windex_bytes(ix) <= (size_t)n * 50);
		assert_true((uint64_t)nbuckets(ix) * LOAD_NUM >=
			    (uint64_t)n * LOAD_DEN);
		assert_index_sound(ix);
	}
	/* delete two in three, then grow again into the freed slots */
	for (i = 0; i < n; i++)
		if (i % 3) {
			struct flow f = many_flow(i);

			assert_non_null(find(ix, &f));
			erase(ix, &f);
			assert_null(find(ix, &f));
		}
	assert_int_equal(windex_count(ix), (n + 2) / 3);
	assert_index_sound(ix);
	k = ix->cap;
	for (i = 0; i < n; i++)
		if (i % 3) {
			struct flow f = many_flow(i + n);

			assert_int_equal(insert(ix, &f), 0);
		}
	assert_int_equal(ix->cap, k);	/* no new segment: slots reused */
	assert_int_equal(windex_count(ix), n);
	for (i = 0; i < n; i++) {
		struct flow f = many_flow(i % 3 ? i + n : i);
		uint32_t *p = find(ix, &f);
		struct flow back;

		assert_non_null(p);
		to_flow(ix, ent(ix, *p), &back);
		assert_same_flow(&back, &f);
	}
	assert_index_sound(ix);
	windex_free(ix);
}

/* A refill's end drops what neither its dump nor an event showed, across
 * split buckets, a part at a time; a new index is incomplete until a fill
 * ends.  A second refill that sees none of them drops them all. */
static void test_index_refill_sweep(void **state)
{
	struct windex *ix = ix_new(false);
	uint32_t i, n = 20000;

	(void)state;
	assert_false(windex_complete(ix));
	for (i = 0; i < n; i++) {
		struct flow f = many_flow(i);

		assert_int_equal(insert(ix, &f), 0);
	}
	refill_begin(ix);
	for (i = 0; i < n; i += 2) {	/* the dump shows the even ones */
		struct flow f = many_flow(i);

		assert_int_equal(insert(ix, &f), 0);
	}
	for (i = n; i < n + 100; i++) {	/* and new ones */
		struct flow f = many_flow(i);

		assert_int_equal(insert(ix, &f), 0);
	}
	{
		/* one is deleted after the kernel put it in a datagram of
		 * the dump: the datagram read later does not bring it back */
		struct flow f = many_flow(n + 100);

		assert_int_equal(insert(ix, &f), 0);
		erase(ix, &f);
		assert_int_equal(on_refill(&f, ix), 0);
		assert_null(find(ix, &f));
	}
	/* the end, a step at a time */
	ix->sweeping = true;
	ix->sweep_seg = 0;
	while (sweep_step(ix))
		;
	refill_stop(ix);
	assert_false(ix->refilling);
	assert_int_equal(windex_count(ix), n / 2 + 100);
	for (i = 0; i < n + 100; i++) {
		struct flow f = many_flow(i);
		uint32_t *p = find(ix, &f);

		if (i < n && i % 2) {
			assert_null(p);
			continue;
		}
		assert_non_null(p);
		assert_int_equal(ent(ix, *p)->status >> IX_EPOCH_SHIFT, ix->epoch);
		assert_int_equal(ent(ix, *p)->status & ~IX_EPOCH_MASK, 0x19e);
	}
	assert_index_sound(ix);
	refill_begin(ix);		/* aborted: nothing to clear */
	refill_stop(ix);
	refill_begin(ix);
	ix->sweeping = true;
	ix->sweep_seg = 0;
	while (sweep_step(ix))
		;
	refill_stop(ix);
	assert_int_equal(windex_count(ix), 0);
	assert_index_sound(ix);
	windex_free(ix);
}

/* The plan's walks pick the flows a reaction judges. */
static void test_index_plan_filter(void **state)
{
	struct windex *ix = ix_new(false);
	struct plan p = { 0 };
	struct flow a = v4flow(1, 1000), b = v4flow(2, 1001), out;
	uint32_t *pa, *pb;

	(void)state;
	b.orig.dport = htons(5000);
	assert_int_equal(insert(ix, &a), 0);
	assert_int_equal(insert(ix, &b), 0);
	pa = find(ix, &a);
	pb = find(ix, &b);
	assert_non_null(pa);
	assert_non_null(pb);
	p.n = 1;
	p.walk[0].family = AF_INET;
	p.walk[0].l4proto = IPPROTO_UDP;
	p.walk[0].has_orig_dport = true;
	p.walk[0].orig_dport = htons(53820);
	assert_true(in_plan(ix, &p, ent(ix, *pa), &out));
	assert_same_flow(&out, &a);
	assert_false(in_plan(ix, &p, ent(ix, *pb), &out));
	/* a second walk by status bits takes the other one too */
	p.n = 2;
	p.walk[1].family = AF_INET;
	p.walk[1].status_mask = 0x2;
	p.walk[1].status = 0x2;
	assert_true(in_plan(ix, &p, ent(ix, *pb), &out));
	p.walk[1].family = AF_INET6;
	assert_false(in_plan(ix, &p, ent(ix, *pb), &out));
	windex_free(ix);
}

/* Each segment's counts by port class are its slots in use, exactly:
 * never below (a segment passed over that holds the port) nor above. */
static void assert_seg_counts(const struct windex *ix)
{
	uint32_t sg, i;
	unsigned int c;

	for (sg = 0; sg < ix->nseg; sg++) {
		uint16_t want[PCOUNT] = { 0 };

		for (i = 0; i < SEG; i++) {
			uint32_t slot = (sg << SEG_SHIFT) + i;

			if (slot && ent(ix, slot)->family)
				want[pclass(*dport_of(ix, slot))]++;
		}
		for (c = 0; c < PCOUNT; c++)
			if (ix->seg[sg]->pcount[c] != want[c])
				fail_msg("segment %u class %u: count %u, %u "
					 "slots", sg, c, ix->seg[sg]->pcount[c],
					 want[c]);
	}
}

/* The early pass's selection by destination port: a block of four slots
 * is passed over only when none of them goes to a port asked for, across
 * growth, freed slots (port 0) and several ports in one word. */
static void test_index_port_blocks(void **state)
{
	static const uint16_t dports[] = { 53820, 53821, 80, 0x1234, 0x3412 };
	struct windex *ix = ix_new(false);
	struct feed_sel p = { .ix = ix };
	uint16_t want[3];
	uint32_t i, n = 0, hits = 0;
	int k;

	(void)state;
	for (i = 0; i < 9000; i++) {
		struct flow f = v4flow(i, (uint16_t)(1024 + i));

		f.orig.dport = htons(dports[i % 5]);
		assert_int_equal(insert(ix, &f), 0);
		if (i % 7 == 0)
			erase(ix, &f);
	}
	want[0] = htons(53821);
	want[1] = htons(0x1234);	/* its bytes swapped is another port */
	want[2] = 0;			/* what a free slot holds */
	p.ports = want;
	p.n = 3;
	for (k = 0; k < p.n; k++)
		p.lanes[k] = LANES_LO * want[k];
	for (i = 0; i < ix->cap; i++) {
		const struct ixent *e = ent(ix, i);
		bool is = i && e->family && (e->port[1] == want[0] ||
					     e->port[1] == want[1]);

		assert_int_equal(selected(ix, i, &p), is);
		if (is)
			assert_true(block_may(ix, i & ~3u, &p));
		hits += is;
	}
	/* 2 of 5 ports, less the erased 1 in 7 */
	assert_int_equal(hits, 3086);
	/* and the point of it: blocks of other ports are passed over */
	p.n = 1;
	for (i = 0; i < ix->cap; i += 4)
		n += !block_may(ix, i, &p);
	assert_true(n > 0);
	assert_seg_counts(ix);
	windex_free(ix);
}

/* A segment is passed over whole only when no slot in it goes to a port
 * asked for: a forward's port in a few segments among flows to 443 and
 * 53, through inserts, erases and the slots they free taken again. */
static void test_index_port_segments(void **state)
{
	struct windex *ix = ix_new(false);
	uint16_t want = htons(53820);
	struct feed_sel p = { .ix = ix, .ports = &want, .n = 1 };
	uint32_t i, sg, skipped = 0, holding = 0;

	(void)state;
	p.lanes[0] = LANES_LO * want;
	for (i = 0; i < 20000; i++) {
		struct flow f = v4flow(i, (uint16_t)(1024 + i % 60000));

		f.orig.dport = htons(i % 3 ? 443 : 53);
		if (i % 5000 == 17)
			f.orig.dport = want;	/* four of them */
		assert_int_equal(insert(ix, &f), 0);
		if (i % 11 == 0 && f.orig.dport != want)
			erase(ix, &f);
	}
	/* the first of the forward's flows goes, its slot reused by 443 */
	{
		struct flow f = v4flow(17, 1024 + 17);

		f.orig.dport = want;
		erase(ix, &f);
		f = v4flow(99999, 2000);
		f.orig.dport = htons(443);
		assert_int_equal(insert(ix, &f), 0);
	}
	assert_seg_counts(ix);
	for (sg = 0; sg < ix->nseg; sg++) {
		bool has = false;

		for (i = 0; i < SEG; i++) {
			uint32_t slot = (sg << SEG_SHIFT) + i;

			has |= slot && ent(ix, slot)->family &&
			       *dport_of(ix, slot) == want;
		}
		if (has)
			assert_true(seg_may(ix, sg, &p));
		else
			skipped += !seg_may(ix, sg, &p);
		holding += has;
	}
	/* the three left, in three segments; every other is passed over */
	assert_int_equal(holding, 3);
	assert_true(ix->nseg > 10);
	assert_int_equal(skipped, ix->nseg - holding);
	windex_free(ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_equal_models),
		cmocka_unit_test(test_digest_ignores_handles_and_comments),
		cmocka_unit_test(test_digest_names_what_changed),
		cmocka_unit_test(test_digest_legacy_name),
		cmocka_unit_test(test_digest_empty),
		cmocka_unit_test(test_diff_summarises_what_does_not_fit),
		cmocka_unit_test(test_changed_ports),
		cmocka_unit_test(test_changed_by_rule),
		cmocka_unit_test(test_changed_by_rule_order),
		cmocka_unit_test(test_changed_anonymous_set),
		cmocka_unit_test(test_netenv_hash),
		cmocka_unit_test(test_index_insert_find_erase),
		cmocka_unit_test(test_index_wants_udp_and_tcp_if_asked),
		cmocka_unit_test(test_index_ipv6_pool),
		cmocka_unit_test(test_index_grows),
		cmocka_unit_test(test_index_plan_filter),
		cmocka_unit_test(test_index_port_blocks),
		cmocka_unit_test(test_index_port_segments),
		cmocka_unit_test(test_index_linear_growth),
		cmocka_unit_test(test_index_refill_sweep),
	};

	return cmocka_run_group_tests_name("watch", tests, NULL, NULL);
}
