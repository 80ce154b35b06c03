// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for report.c: the JSON document and the text table and
 * summary of a hand-built scan (a stale DNAT flow, an unknown one, a
 * mirror), with names from the rules that try to break out of their
 * quotes or lines; unknown flows counted by cause; the formatters and
 * the printer (print.c) they and explain share.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "mkmodel.h"
#include "print.h"
#include "report.h"

#define LO	1
#define WAN	2
#define LAN	3
#define UDP	IPPROTO_UDP
#define TCP	IPPROTO_TCP

/* A comment with a quote, a backslash and an escape sequence (ESC [2J
 * clears a terminal), and an unknown expression named with a newline:
 * both come from the kernel's copy of the rules, i.e. from whoever wrote
 * them. */
#define COMMENT		"wg \"peer\" C:\\x\x1b[2J"
#define UNKNOWN		"xt match re\ncent"

/* wan 203.0.113.1/24 (default via .254), lan 192.168.50.1/24 */
static void router(struct netenv *env)
{
	mk_iface(env, LO, "lo", "127.0.0.1", 8);
	mk_iface(env, WAN, "wan", "203.0.113.1", 24);
	mk_iface(env, LAN, "lan", "192.168.50.1", 24);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "0.0.0.0", 0, WAN,
		 "203.0.113.254", NULL, 0);
}

/*
 * table ip nat { chain prerouting { type nat hook prerouting priority
 * dstnat;
 *   udp dport 53820 dnat to 192.168.50.3:53820 comment COMMENT  # handle 1
 *   UNKNOWN                                                     # handle 2
 * } }
 */
static void nat_model(struct nm_model *m)
{
	struct nm_chain *c = mk_chain(m, NFPROTO_IPV4, "prerouting",
				      NF_INET_PRE_ROUTING, -100);
	struct nm_rule *r;

	free(c->table);
	c->table = mk_check(strdup("nat"));
	r = mk_rule(c);
	mk_dport(r, UDP, 53820);
	mk_dnat_to(r, "192.168.50.3", 53820);
	r->comment = mk_check(strdup(COMMENT));
	r = mk_rule(c);
	strcpy(mk_expr(r, NM_OP_UNKNOWN)->unknown, UNKNOWN);
}

static void add_rec(struct scan *s, struct flow f, uint8_t verdict,
		    uint8_t reason, bool deleted, bool mirror)
{
	struct rec *r;

	s->recs = mk_check(realloc(s->recs, (s->nrecs + 1) * sizeof(*r)));
	r = &s->recs[s->nrecs++];
	memset(r, 0, sizeof(*r));
	r->f = f;
	r->verdict = verdict;
	r->reason = reason;
	r->deleted = deleted;
	r->mirror = mirror;
	s->cap = s->nrecs;
}

/*
 * The results of a sweep over ten flows: seven consistent, and
 *  - the WireGuard forward, still at the old backend 192.168.50.2 while
 *    the rule now says .3: stale, deleted;
 *  - a TCP flow the rules cannot judge (it reaches the unknown rule);
 *  - the old backend's late reply to another peer, re-created backwards
 *    after its forward was deleted: a mirror, judged as that forward.
 */
static int setup(void **state)
{
	struct scan *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	router(&s->env);
	nat_model(&s->model);
	add_rec(s, mk_flow(UDP, "198.51.100.7", 40000, "203.0.113.1", 53820,
			   "192.168.50.2", 51820, "198.51.100.7", 40000),
		JV_STALE, JR_DNAT_CHANGED, true, false);
	s->recs[0].f.id = 11;
	add_rec(s, mk_flow(TCP, "198.51.100.8", 1000, "203.0.113.1", 80,
			   "203.0.113.1", 80, "198.51.100.8", 1000),
		JV_UNKNOWN, JR_UNMODELLED, false, false);
	s->recs[1].f.id = 12;
	add_rec(s, mk_flow(UDP, "192.168.50.2", 51820, "198.51.100.9", 40001,
			   "198.51.100.9", 40001, "203.0.113.1", 53820),
		JV_STALE, JR_DNAT_MIRRORED, true, true);
	s->recs[2].f.id = 13;
	s->judged = 10;
	s->consistent = 7;
	s->stale = 2;
	s->unknown = 1;
	s->deleted = 2;
	s->by_reason[JR_DNAT_CHANGED] = 1;
	s->by_reason[JR_DNAT_MIRRORED] = 1;
	s->by_reason[JR_UNMODELLED] = 1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct scan *s = *state;

	nm_model_free(&s->model);
	mk_env_free(&s->env);
	free(s->recs);
	free(s);
	return 0;
}

/* ---- capturing what a report function writes ---- */

struct out {
	FILE *f;
	char *buf;
	size_t len;
};

static FILE *out_open(struct out *o)
{
	o->buf = NULL;
	o->len = 0;
	o->f = open_memstream(&o->buf, &o->len);
	assert_non_null(o->f);
	return o->f;
}

static const char *out_text(struct out *o)
{
	assert_int_equal(fclose(o->f), 0);
	o->f = NULL;
	return o->buf;
}

/* Printable ASCII and newlines only: nothing from the rules reaches a
 * terminal raw. */
static void assert_printable(const char *s)
{
	for (; *s; s++)
		if (*s != '\n' && (*s < 0x20 || *s > 0x7e))
			fail_msg("byte 0x%02x in the output",
				 (unsigned char)*s);
}

typedef void report_fn(FILE *f, const struct scan *s,
		       const struct report_opts *ro);

/* What @fn writes for people: printable, and exactly @want. */
static void assert_report(report_fn *fn, const struct scan *s,
			  const struct report_opts *ro, const char *want)
{
	struct out o;
	const char *t;

	fn(out_open(&o), s, ro);
	t = out_text(&o);
	assert_printable(t);
	assert_string_equal(t, want);
	free(o.buf);
}

/* ---- a strict JSON reader (RFC 8259), enough to check the document ---- */

struct jp {
	const char *p;
};

static void j_ws(struct jp *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' ||
	       *j->p == '\r')
		j->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string at j->p, decoded into @out (code points below 0x100 only,
 * which is all report.c writes).  false when it is not valid JSON. */
static bool j_string(struct jp *j, char *out, size_t len)
{
	size_t o = 0;

	if (*j->p != '"')
		return false;
	for (j->p++; *j->p != '"'; j->p++) {
		unsigned char c = *j->p;
		int v = 0, i;

		if (c < 0x20)		/* raw control characters: invalid */
			return false;
		if (c == '\\') {
			c = *++j->p;
			switch (c) {
			case '"': case '\\': case '/':
				break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u':
				for (i = 1; i <= 4; i++) {
					if (hexval(j->p[i]) < 0)
						return false;
					v = v * 16 + hexval(j->p[i]);
				}
				if (v > 0xff)
					return false;
				c = (unsigned char)v;
				j->p += 4;
				break;
			default:
				return false;
			}
		}
		if (out && o + 1 < len)
			out[o++] = (char)c;
	}
	j->p++;
	if (out && len)
		out[o] = '\0';
	return true;
}

static bool j_number(struct jp *j)
{
	const char *start = j->p;

	if (*j->p == '-')
		j->p++;
	if (*j->p == '0')
		j->p++;
	else if (*j->p >= '1' && *j->p <= '9')
		while (*j->p >= '0' && *j->p <= '9')
			j->p++;
	else
		return false;
	if (*j->p == '.') {
		if (*++j->p < '0' || *j->p > '9')
			return false;
		while (*j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (*j->p == 'e' || *j->p == 'E') {
		j->p++;
		if (*j->p == '+' || *j->p == '-')
			j->p++;
		if (*j->p < '0' || *j->p > '9')
			return false;
		while (*j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	return j->p > start;
}

static bool j_value(struct jp *j, int depth);

static bool j_members(struct jp *j, int depth, char close, bool object)
{
	j->p++;
	j_ws(j);
	if (*j->p == close) {
		j->p++;
		return true;
	}
	for (;;) {
		if (object) {
			if (!j_string(j, NULL, 0))
				return false;
			j_ws(j);
			if (*j->p++ != ':')
				return false;
		}
		if (!j_value(j, depth + 1))
			return false;
		j_ws(j);
		if (*j->p == close) {
			j->p++;
			return true;
		}
		if (*j->p++ != ',')
			return false;
		j_ws(j);
	}
}

static bool j_value(struct jp *j, int depth)
{
	if (depth > 32)
		return false;
	j_ws(j);
	switch (*j->p) {
	case '{':
		return j_members(j, depth, '}', true);
	case '[':
		return j_members(j, depth, ']', false);
	case '"':
		return j_string(j, NULL, 0);
	case 't':
		return !strncmp(j->p, "true", 4) && (j->p += 4);
	case 'f':
		return !strncmp(j->p, "false", 5) && (j->p += 5);
	case 'n':
		return !strncmp(j->p, "null", 4) && (j->p += 4);
	default:
		return j_number(j);
	}
}

/* One JSON value and nothing after it but white space. */
static bool json_valid(const char *doc)
{
	struct jp j = { doc };

	if (!j_value(&j, 0))
		return false;
	j_ws(&j);
	return *j.p == '\0';
}

/* The string value of the first "key": after @from, decoded. */
static void json_string_after(const char *from, const char *key, char *out,
			      size_t len)
{
	char pat[64];
	struct jp j;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	j.p = strstr(from, pat);
	assert_non_null(j.p);
	j.p += strlen(pat);
	assert_true(j_string(&j, out, len));
}

/* The reader itself, so that a pass below means something. */
static void test_json_reader(void **state)
{
	char s[32];
	struct jp j = { "\"a\\\"b\\\\c\\u000ad\\u001b\"" };

	(void)state;
	assert_true(j_string(&j, s, sizeof(s)));
	assert_string_equal(s, "a\"b\\c\nd\x1b");
	assert_true(json_valid("{\"a\":[1,-2.5e3,true,false,null,{}],"
			       "\"b\":\"\"}\n"));
	assert_false(json_valid("{\"a\":\"x\ny\"}"));	/* raw newline */
	assert_false(json_valid("{\"a\":\"\\x\"}"));	/* bad escape */
	assert_false(json_valid("{\"a\":1,}"));
	assert_false(json_valid("{\"a\":1}}"));
	assert_false(json_valid("{\"a\" 1}"));
	assert_false(json_valid("[01]"));
	assert_false(json_valid("\"a\" \"b\""));
}

/* ---- JSON ---- */

#define RULE1 "table ip nat chain prerouting handle 1 comment " \
	      "\\\"wg \\\\\\\"peer\\\\\\\" C:\\\\\\\\x?[2J\\\""

static const char *const json_flows[] = {
	"{\"id\":11,\"family\":\"ipv4\",\"proto\":\"udp\","
	"\"orig\":{\"src\":\"198.51.100.7\",\"dst\":\"203.0.113.1\","
	"\"sport\":40000,\"dport\":53820},"
	"\"reply\":{\"src\":\"192.168.50.2\",\"dst\":\"198.51.100.7\","
	"\"sport\":51820,\"dport\":40000},"
	"\"verdict\":\"stale\",\"reason\":\"forward-changed\","
	"\"now\":{\"dnat\":\"192.168.50.2:51820\",\"snat\":null},"
	"\"rules\":{\"dnat\":[\"192.168.50.3:53820\"],\"snat\":[]},"
	"\"rule\":\"" RULE1 "\",\"unknown\":null,\"deleted\":true}",

	"{\"id\":12,\"family\":\"ipv4\",\"proto\":\"tcp\","
	"\"orig\":{\"src\":\"198.51.100.8\",\"dst\":\"203.0.113.1\","
	"\"sport\":1000,\"dport\":80},"
	"\"reply\":{\"src\":\"203.0.113.1\",\"dst\":\"198.51.100.8\","
	"\"sport\":80,\"dport\":1000},"
	"\"verdict\":\"unknown\",\"reason\":\"unmodelled\","
	"\"now\":{\"dnat\":null,\"snat\":null},"
	"\"rules\":{\"dnat\":[],\"snat\":[]},"
	"\"rule\":\"table ip nat chain prerouting handle 2\","
	"\"unknown\":\"xt match re\\u000acent\",\"deleted\":false}",

	"{\"id\":13,\"family\":\"ipv4\",\"proto\":\"udp\","
	"\"orig\":{\"src\":\"192.168.50.2\",\"dst\":\"198.51.100.9\","
	"\"sport\":51820,\"dport\":40001},"
	"\"reply\":{\"src\":\"198.51.100.9\",\"dst\":\"203.0.113.1\","
	"\"sport\":40001,\"dport\":53820},"
	"\"verdict\":\"stale\",\"reason\":\"forward-mirrored\","
	"\"now\":{\"dnat\":\"192.168.50.2:51820\",\"snat\":null},"
	"\"rules\":{\"dnat\":[\"192.168.50.3:53820\"],\"snat\":[]},"
	"\"rule\":\"" RULE1 "\",\"unknown\":null,\"deleted\":true}",
};

static void test_json(void **state)
{
	struct scan *s = *state;
	struct report_opts ro = { .command = "sweep" };
	struct out o;
	char exp[4096], v[256];
	const char *doc;
	struct jp j;

	report_json(out_open(&o), s, &ro);
	doc = out_text(&o);
	assert_true(json_valid(doc));
	assert_printable(doc);
	snprintf(exp, sizeof(exp),
		 "{\"ctsweep\":\"%s\",\"command\":\"sweep\",\"dry_run\":false,"
		 "\"flows\":[\n%s,\n%s,\n%s],\n"
		 "\"summary\":{\"judged\":10,\"consistent\":7,\"stale\":2,"
		 "\"unknown\":1,\"deleted\":2,"
		 "\"by_reason\":{\"forward-changed\":1,\"forward-mirrored\":1,"
		 "\"unmodelled\":1},"
		 "\"unknown_by_cause\":{\"xt match re\\u000acent\":1}}}\n",
		 CTSWEEP_VERSION, json_flows[0], json_flows[1], json_flows[2]);
	assert_string_equal(doc, exp);

	/* Decoded, the strings are what the rules said: the unknown name
	 * whole, the rule as the text table shows it (escaped there). */
	json_string_after(strstr(doc, "\"id\":12"), "unknown", v, sizeof(v));
	assert_string_equal(v, UNKNOWN);
	json_string_after(doc, "rule", v, sizeof(v));
	assert_string_equal(v, "table ip nat chain prerouting handle 1 "
			    "comment \"wg \\\"peer\\\" C:\\\\x?[2J\"");
	j.p = strstr(doc, "\"unknown_by_cause\":{");
	assert_non_null(j.p);
	j.p += strlen("\"unknown_by_cause\":{");
	assert_true(j_string(&j, v, sizeof(v)));
	assert_string_equal(v, UNKNOWN);
	free(o.buf);
}

/* No flows: an empty list, empty objects, and still one document. */
static void test_json_empty(void **state)
{
	struct scan s;
	struct report_opts ro = { .command = "status", .dry_run = true };
	struct out o;
	char exp[512];
	const char *doc;

	(void)state;
	memset(&s, 0, sizeof(s));
	report_json(out_open(&o), &s, &ro);
	doc = out_text(&o);
	assert_true(json_valid(doc));
	snprintf(exp, sizeof(exp),
		 "{\"ctsweep\":\"%s\",\"command\":\"status\",\"dry_run\":true,"
		 "\"flows\":[],\n\"summary\":{\"judged\":0,\"consistent\":0,"
		 "\"stale\":0,\"unknown\":0,\"deleted\":0,\"by_reason\":{},"
		 "\"unknown_by_cause\":{}}}\n", CTSWEEP_VERSION);
	assert_string_equal(doc, exp);
	free(o.buf);
}

/* ---- text ---- */

/* The table's lines for the fixture's three flows, and (-v) the rule
 * under each. */
#define HEAD "PROTO  ORIGINAL                                 NOW                 RULES               VERDICT\n"
#define ROW1 "udp    198.51.100.7:40000 > 203.0.113.1:53820   192.168.50.2:51820  192.168.50.3:53820  stale: forward now points elsewhere (deleted)\n"
#define ROW2 "tcp    198.51.100.8:1000 > 203.0.113.1:80       no nat              ?                   unknown: xt match re?cent\n"
#define ROW3 "udp    192.168.50.2:51820 > 198.51.100.9:40001  192.168.50.2:51820  192.168.50.3:53820  stale: a swept forward re-created backwards by the old backend's late reply (a mirror) (deleted)\n"
#define RULE_1 "       rule: table ip nat chain prerouting handle 1 comment \"wg \\\"peer\\\" C:\\\\x?[2J\"\n"
#define RULE_2 "       rule: table ip nat chain prerouting handle 2\n"

static void test_table(void **state)
{
	struct scan *s = *state;
	struct report_opts ro = { .command = "status" };

	/* The longest verdict, the deleted mirror's, whole (its column held
	 * 95 characters once and lost the closing parenthesis). */
	assert_report(report_table, s, &ro, HEAD ROW1 ROW2 ROW3);

	/* -v: the rule under each flow, its comment escaped and cut to one
	 * line */
	ro.verbose = 1;
	assert_report(report_table, s, &ro,
		      HEAD ROW1 RULE_1 ROW2 RULE_2 ROW3 RULE_1);

	/* nothing to list: not even the header */
	s->nrecs = 0;
	assert_report(report_table, s, &ro, "");
}

static void test_summary(void **state)
{
	struct scan *s = *state;
	struct report_opts ro = { .command = "status" };

	assert_report(report_summary, s, &ro,
		"2 stale flows (1 forward-changed, 1 forward-mirrored); "
		"1 unknown (kept); 7 consistent; 10 judged\n"
		"  1 unknown: xt match re?cent\n"
		"run 'ctsweep sweep' to delete the stale flows\n");

	ro.command = "sweep";
	assert_report(report_summary, s, &ro,
		"deleted 2 stale flows (1 forward-changed, 1 forward-mirrored); "
		"1 unknown (kept); 7 consistent; 10 judged\n"
		"  1 unknown: xt match re?cent\n");

	ro.dry_run = true;
	assert_report(report_summary, s, &ro,
		"2 stale flows (dry run: nothing deleted) (1 forward-changed, "
		"1 forward-mirrored); 1 unknown (kept); 7 consistent; "
		"10 judged\n"
		"  1 unknown: xt match re?cent\n");

	/* one of each, singular; nothing stale: no advice */
	memset(s->by_reason, 0, sizeof(s->by_reason));
	s->nrecs = 0;
	s->stale = s->unknown = 0;
	s->deleted = 1;
	ro.dry_run = false;
	assert_report(report_summary, s, &ro,
		"deleted 1 stale flow; 0 unknown (kept); 7 consistent; "
		"10 judged\n");
	ro.command = "status";
	s->stale = 1;
	s->by_reason[JR_SNAT_ADDED] = 1;
	assert_report(report_summary, s, &ro,
		"1 stale flow (1 snat-added); 0 unknown (kept); 7 consistent; "
		"10 judged\n"
		"run 'ctsweep sweep' to delete the stale flows\n");
}

/*
 * Unknown flows by cause: most frequent first, at most eight named, the
 * rest together.  Rule k (tcp dport k) is an unknown expression "cause
 * k"; flow k hits it, and dport 1 twice and 2 three times.
 */
static void test_causes(void **state)
{
	struct scan *s = *state;
	struct report_opts ro = { .command = "status" };
	struct nm_chain *c = &s->model.chains[0];
	struct out o;
	const char *t;
	int k;

	for (k = 1; k <= 10; k++) {
		struct nm_rule *r = mk_rule(c);
		struct nm_expr *e;

		mk_dport(r, TCP, k);
		e = mk_expr(r, NM_OP_UNKNOWN);
		snprintf(e->unknown, sizeof(e->unknown), "cause %d", k);
	}
	/* the unknown rule (handle 2) last, so that it is not reached */
	c->rules[1].nexprs = 0;
	s->nrecs = 0;
	for (k = 1; k <= 10; k++) {
		int n = k == 1 ? 2 : k == 2 ? 3 : 1;

		while (n--)
			add_rec(s, mk_flow(TCP, "198.51.100.8", 1000,
					   "203.0.113.1", k, "203.0.113.1", k,
					   "198.51.100.8", 1000),
				JV_UNKNOWN, JR_UNMODELLED, false, false);
	}
	assert_int_equal(s->nrecs, 13);
	memset(s->by_reason, 0, sizeof(s->by_reason));
	s->by_reason[JR_UNMODELLED] = 13;
	s->judged = 13;
	s->unknown = 13;
	s->stale = s->consistent = s->deleted = 0;

	report_json(out_open(&o), s, &ro);
	t = out_text(&o);
	assert_true(json_valid(t));
	assert_non_null(strstr(t,
		"\"by_reason\":{\"unmodelled\":13},\"unknown_by_cause\":"
		"{\"cause 2\":3,\"cause 1\":2,\"cause 3\":1,\"cause 4\":1,"
		"\"cause 5\":1,\"cause 6\":1,\"cause 7\":1,\"cause 8\":1,"
		"\"(other)\":2}}}\n"));
	free(o.buf);

	assert_report(report_summary, s, &ro,
		"0 stale flows; 13 unknown (kept); 0 consistent; 13 judged\n"
		"  3 unknown: cause 2\n"
		"  2 unknown: cause 1\n"
		"  1 unknown: cause 3\n"
		"  1 unknown: cause 4\n"
		"  1 unknown: cause 5\n"
		"  1 unknown: cause 6\n"
		"  1 unknown: cause 7\n"
		"  1 unknown: cause 8\n"
		"  2 unknown: other causes\n");
}

/* ---- the formatters ---- */

static void test_fmt(void **state)
{
	struct nm_natspec n;
	struct nm_model m;
	struct nm_chain *c;
	union addr a = A("2001:db8::1");
	char b[256];

	(void)state;
	fmt_endpoint(b, sizeof(b), AF_INET6, &a, htons(443));
	assert_string_equal(b, "[2001:db8::1]:443");

	memset(&n, 0, sizeof(n));
	n.type = NFT_NAT_DNAT;
	n.flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED;
	n.addr_min = A("192.168.50.2");
	n.addr_max = A("192.168.50.4");
	n.port_min = htons(1000);
	n.port_max = htons(2000);
	fmt_natspec(b, sizeof(b), AF_INET, &n);
	assert_string_equal(b, "192.168.50.2-192.168.50.4:1000-2000");
	n.family = AF_INET6;
	n.addr_min = n.addr_max = A("fd00:50::3");
	n.port_max = n.port_min;
	fmt_natspec(b, sizeof(b), AF_INET, &n);
	assert_string_equal(b, "[fd00:50::3]:1000");
	memset(&n, 0, sizeof(n));
	n.type = NM_NAT_MASQ;
	fmt_natspec(b, sizeof(b), AF_INET, &n);
	assert_string_equal(b, "masquerade");
	n.type = NM_NAT_REDIR;
	n.flags = NF_NAT_RANGE_PROTO_SPECIFIED;
	n.port_min = n.port_max = htons(5353);
	fmt_natspec(b, sizeof(b), AF_INET, &n);
	assert_string_equal(b, "redirect:5353");
	n.type = NFT_NAT_SNAT;
	n.flags = 0;
	fmt_natspec(b, sizeof(b), AF_INET, &n);
	assert_string_equal(b, "(same address)");

	/* rules: legacy by number, the policy, none; names escaped too */
	memset(&m, 0, sizeof(m));
	c = mk_chain(&m, NFPROTO_IPV6, "PRE\nROUTING", NF_INET_PRE_ROUTING,
		     -100);
	c->source = NM_SRC_LEGACY;
	mk_rule(c)->comment = mk_check(strdup("a\"b"));
	fmt_rule(b, sizeof(b), &m, 0, 0);
	assert_string_equal(b, "ip6tables-legacy -t t chain PRE?ROUTING "
			    "rule 1 comment \"a\\\"b\"");
	fmt_rule(b, sizeof(b), &m, 0, -1);
	assert_string_equal(b, "legacy t chain PRE?ROUTING policy");
	fmt_rule(b, sizeof(b), &m, -1, -1);
	assert_string_equal(b, "-");
	fmt_rule(b, sizeof(b), &m, 1, 0);
	assert_string_equal(b, "-");
	c->source = NM_SRC_NFT;
	c->family = NFPROTO_INET;
	c->rules[0].handle = 42;
	fmt_rule(b, sizeof(b), &m, 0, 0);
	assert_string_equal(b, "table inet t chain PRE?ROUTING handle 42 "
			    "comment \"a\\\"b\"");
	nm_model_free(&m);
}

/* One text of an outcome: joined, empty, cut; and its JSON array. */
static void test_outcome(void **state)
{
	struct nat_outcome o;
	char b[64], *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	memset(&o, 0, sizeof(o));
	fmt_outcome(b, sizeof(b), AF_INET, &o, " or ");
	assert_string_equal(b, "");
	o.ncand = 2;
	o.cand[0].type = o.cand[1].type = NFT_NAT_DNAT;
	o.cand[0].flags = o.cand[1].flags = NF_NAT_RANGE_MAP_IPS;
	o.cand[0].addr_min = o.cand[0].addr_max = A("192.168.50.2");
	o.cand[1].addr_min = o.cand[1].addr_max = A("192.168.50.3");
	fmt_outcome(b, sizeof(b), AF_INET, &o, " or ");
	assert_string_equal(b, "192.168.50.2 or 192.168.50.3");
	fmt_outcome(b, 16, AF_INET, &o, ",");
	assert_string_equal(b, "192.168.50.2,19");
	fmt_outcome(b, 1, AF_INET, &o, ",");
	assert_string_equal(b, "");

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	fmt_json_outcome(f, AF_INET, &o);
	o.ncand = 0;
	fmt_json_outcome(f, AF_INET, &o);
	fclose(f);
	assert_string_equal(buf, "[\"192.168.50.2\",\"192.168.50.3\"][]");
	free(buf);
}

/* ---- the printer report.c and explain.c share ---- */

/* The fields of one object, named once, as @json or text asks. */
static void put_sample(struct pr *p)
{
	pr_open(p, 1);
	pr_str(p, "name", "name ", "a \"q\"\x1b", 0);
	pr_u64(p, "n", ", n ", 42);
	pr_str(p, "gone", ", gone ", "none", PR_NULL);
	pr_str(p, "json", NULL, "only", 0);
	pr_str(p, NULL, " (text only)", "", 0);
	pr_obj(p, "in");
	pr_str(p, "ok", NULL, "true", PR_RAW);
	pr_obj_end(p);
	if (pr_key(p, "a\"b"))
		fputs("[]", p->f);
	pr_text(p, " %d%%", 7);
	pr_close(p);
}

static void test_printer(void **state)
{
	struct pr p = { .first = true };
	struct pr_row row;
	struct out o;

	(void)state;
	p.f = out_open(&o);
	p.json = true;
	put_sample(&p);
	put_sample(&p);
	assert_string_equal(out_text(&o),
		"{\"name\":\"a \\\"q\\\"\\u001b\",\"n\":42,\"gone\":null,"
		"\"json\":\"only\",\"in\":{\"ok\":true},\"a\\\"b\":[]},"
		"{\"name\":\"a \\\"q\\\"\\u001b\",\"n\":42,\"gone\":null,"
		"\"json\":\"only\",\"in\":{\"ok\":true},\"a\\\"b\":[]}");
	free(o.buf);

	/* text: quotes kept, the control byte made '?' */
	p.f = out_open(&o);
	p.json = false;
	put_sample(&p);
	assert_string_equal(out_text(&o),
		"  name a \"q\"?, n 42, gone none (text only) 7%\n");
	free(o.buf);

	/* a row: each cell what was written while it was named */
	p.f = NULL;
	p.row = &row;
	pr_open(&p, 0);
	pr_cell(&p, 2);
	pr_str(&p, "x", "", "two", 0);
	pr_cell(&p, 0);
	pr_text(&p, "zero");
	pr_cell(&p, 2);
	pr_text(&p, "+");
	pr_close(&p);
	assert_string_equal(row.cell[0], "zero");
	assert_string_equal(row.cell[1], "");
	assert_string_equal(row.cell[2], "two+");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_reader),
		T(test_json),
		cmocka_unit_test(test_json_empty),
		T(test_table),
		T(test_summary),
		T(test_causes),
		cmocka_unit_test(test_fmt),
		cmocka_unit_test(test_outcome),
		cmocka_unit_test(test_printer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
