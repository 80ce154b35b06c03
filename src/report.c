// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report.c - print scan results.
 *
 * Everything printed that came from outside (rule comments, interface and
 * chain names) goes through an escaper: a crafted comment must not be able
 * to forge lines or JSON fields in what an admin or a script reads.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "print.h"
#include "report.h"
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>

void fmt_addr(char *buf, size_t len, uint8_t family, const union addr *a)
{
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, a, buf, len))
		snprintf(buf, len, "?");
}

void fmt_endpoint(char *buf, size_t len, uint8_t family, const union addr *a,
		  uint16_t port)
{
	char ab[INET6_ADDRSTRLEN];

	fmt_addr(ab, sizeof(ab), family, a);
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", ab,
		 ntohs(port));
}

void fmt_natspec(char *buf, size_t len, uint8_t family,
		 const struct nm_natspec *n)
{
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN], a[100], p[16] = "";
	uint8_t fam = n->family ? n->family : family;
	bool v6 = fam == AF_INET6;

	if (n->flags & NF_NAT_RANGE_MAP_IPS) {
		fmt_addr(lo, sizeof(lo), fam, &n->addr_min);
		fmt_addr(hi, sizeof(hi), fam, &n->addr_max);
		if (memcmp(&n->addr_min, &n->addr_max, 16))
			snprintf(a, sizeof(a), v6 ? "[%s-%s]" : "%s-%s", lo, hi);
		else
			snprintf(a, sizeof(a), v6 ? "[%s]" : "%s", lo);
	} else {
		snprintf(a, sizeof(a), "%s", n->type == NM_NAT_MASQ ?
			 "masquerade" : n->type == NM_NAT_REDIR ?
			 "redirect" : "(same address)");
	}
	if (n->flags & NF_NAT_RANGE_PROTO_SPECIFIED) {
		if (n->port_min == n->port_max)
			snprintf(p, sizeof(p), ":%u", ntohs(n->port_min));
		else
			snprintf(p, sizeof(p), ":%u-%u", ntohs(n->port_min),
				 ntohs(n->port_max));
	}
	snprintf(buf, len, "%s%s", a, p);
}

/* For people: printable ASCII only, anything else (newlines, escape
 * sequences, bytes of other encodings) becomes '?', so a name or comment
 * stays on its line and cannot drive a terminal.  '"' and '\\' are escaped
 * as \" and \\, so a quoted comment cannot close its quotes early and
 * pass what follows for ctsweep's own words.  Cut at @len (the escapes
 * are never split). */
void fmt_sanitize(char *dst, size_t len, const char *src)
{
	size_t i, o = 0;

	if (!len)
		return;
	for (i = 0; src && src[i]; i++) {
		unsigned char c = src[i];

		if (c == '"' || c == '\\') {
			if (o + 2 >= len)
				break;
			dst[o++] = '\\';
			dst[o++] = c;
		} else {
			if (o + 1 >= len)
				break;
			dst[o++] = (c >= 0x20 && c < 0x7f) ? c : '?';
		}
	}
	dst[o] = '\0';
}

void fmt_rule(char *buf, size_t len, const struct nm_model *m, int chain,
	      int rule)
{
	const struct nm_chain *c;
	const struct nm_rule *r;
	char t[64], n[64], cm[96] = "";

	if (chain < 0 || (unsigned int)chain >= m->nchains) {
		snprintf(buf, len, "-");
		return;
	}
	c = &m->chains[chain];
	fmt_sanitize(t, sizeof(t), c->table);
	fmt_sanitize(n, sizeof(n), c->name);
	if (rule < 0 || (unsigned int)rule >= c->nrules) {
		snprintf(buf, len, "%s%s chain %s policy",
			 c->source == NM_SRC_LEGACY ? "legacy " : "", t, n);
		return;
	}
	r = &c->rules[rule];
	if (r->comment) {
		char raw[72];

		fmt_sanitize(raw, sizeof(raw), r->comment);
		snprintf(cm, sizeof(cm), " comment \"%s\"", raw);
	}
	if (c->source == NM_SRC_LEGACY)
		snprintf(buf, len, "%s -t %s chain %s rule %u%s",
			 c->family == 10 ? "ip6tables-legacy" :
			 "iptables-legacy", t, n, rule + 1, cm);
	else
		snprintf(buf, len, "table %s %s chain %s handle %llu%s",
			 nm_family_name(c->family), t, n,
			 (unsigned long long)r->handle, cm);
}

void fmt_outcome(char *buf, size_t len, uint8_t family,
		 const struct nat_outcome *o, const char *sep)
{
	char b[128];
	size_t off = 0;
	int i;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < o->ncand && off + 1 < len; i++) {
		fmt_natspec(b, sizeof(b), family, &o->cand[i]);
		off += snprintf(buf + off, len - off, "%s%s", i ? sep : "", b);
	}
}

void fmt_json_outcome(FILE *f, uint8_t family, const struct nat_outcome *o)
{
	char b[128];
	int i;

	fputc('[', f);
	for (i = 0; i < o->ncand; i++) {
		fmt_natspec(b, sizeof(b), family, &o->cand[i]);
		fputs(i ? "," : "", f);
		fmt_json_str(f, b);
	}
	fputc(']', f);
}

const char *fmt_proto(uint8_t p)
{
	return p == IPPROTO_UDP ? "udp" : p == IPPROTO_TCP ? "tcp" : "other";
}

static bool dnat_done(const struct flow *f)
{
	return memcmp(&f->reply.src, &f->orig.dst, 16) ||
	       f->reply.sport != f->orig.dport;
}

static bool snat_done(const struct flow *f)
{
	return memcmp(&f->reply.dst, &f->orig.src, 16) ||
	       f->reply.dport != f->orig.sport;
}

/*
 * Where the flow goes now, for destination (@snat false) or source NAT:
 * the endpoint it is NATed to, into @buf, or false when it is not NATed
 * that way.  A mirror goes where the backend that answered is.
 */
static bool now_endpoint(const struct rec *r, bool snat, char *buf,
			 size_t len)
{
	const struct flow *fl = &r->f;

	if (r->mirror) {
		if (snat)
			return false;
		fmt_endpoint(buf, len, fl->orig.family, &fl->orig.src,
			     fl->orig.sport);
		return true;
	}
	if (!(snat ? snat_done(fl) : dnat_done(fl)))
		return false;
	fmt_endpoint(buf, len, fl->orig.family,
		     snat ? &fl->reply.dst : &fl->reply.src,
		     snat ? fl->reply.dport : fl->reply.sport);
	return true;
}

/* ---- a flow: one record, for JSON and the table both ---- */

/* The table's columns; the rule goes on a line of its own (-v). */
enum { COL_PROTO, COL_ORIG, COL_NOW, COL_RULES, COL_VERDICT, COL_RULE };

/* JSON: an object of addresses and ports; text (@text), the column
 * "SRC:PORT > DST:PORT". */
static void put_tuple(struct pr *p, const char *key, const struct tuple *t,
		      bool text)
{
	char a[64], b[64];

	pr_obj(p, key);
	fmt_addr(a, sizeof(a), t->family, &t->src);
	fmt_addr(b, sizeof(b), t->family, &t->dst);
	pr_str(p, "src", NULL, a, 0);
	pr_str(p, "dst", NULL, b, 0);
	pr_u64(p, "sport", NULL, ntohs(t->sport));
	pr_u64(p, "dport", NULL, ntohs(t->dport));
	pr_obj_end(p);
	if (!text)
		return;
	fmt_endpoint(a, sizeof(a), t->family, &t->src, t->sport);
	fmt_endpoint(b, sizeof(b), t->family, &t->dst, t->dport);
	pr_str(p, NULL, "", a, 0);
	pr_str(p, NULL, " > ", b, 0);
}

/* Where it goes now, both ways (null: not NATed that way); the column
 * has the way its reason is about (@snat). */
static void put_now(struct pr *p, const struct rec *r, bool snat)
{
	char d[64], s[64];
	bool dn = now_endpoint(r, false, d, sizeof(d));
	bool sn = now_endpoint(r, true, s, sizeof(s));

	pr_obj(p, "now");
	pr_str(p, "dnat", snat ? NULL : "", dn ? d : "no nat",
	       dn ? 0 : PR_NULL);
	pr_str(p, "snat", snat ? "" : NULL, sn ? s : "no snat",
	       sn ? 0 : PR_NULL);
	pr_obj_end(p);
}

/* What the rules give, both ways; the column has the way its reason is
 * about ("?" when the rules cannot be judged). */
static void put_rules(struct pr *p, const struct rec *r,
		      const struct judgement *j, bool snat)
{
	uint8_t family = r->f.orig.family;
	const struct nat_outcome *o = snat ? &j->snat : &j->dnat;
	char b[128];

	pr_obj(p, "rules");
	if (pr_key(p, "dnat"))
		fmt_json_outcome(p->f, family, &j->dnat);
	if (pr_key(p, "snat"))
		fmt_json_outcome(p->f, family, &j->snat);
	pr_obj_end(p);
	if (r->verdict == JV_UNKNOWN) {
		pr_text(p, "?");
	} else if (!o->ncand) {
		pr_text(p, "no %s", snat ? "snat" : "nat");
	} else {
		fmt_outcome(b, sizeof(b), family, o, ",");
		pr_str(p, NULL, "", b, 0);
	}
}

/* What is not modelled: JSON, as the rules name it (null for a flow that
 * is not unknown); text, escaped, after the verdict. */
static void put_unknown(struct pr *p, const struct rec *r,
			const struct judgement *j)
{
	char a[64];

	pr_str(p, "unknown", NULL, j->unknown,
	       r->verdict == JV_UNKNOWN ? 0 : PR_NULL);
	if (r->verdict != JV_UNKNOWN)
		return;
	/* the rules may name it (an xt extension's name from the blob) */
	fmt_sanitize(a, sizeof(a), j->unknown);
	pr_str(p, NULL, ": ", a[0] ? a : judge_reason_text(r->reason), 0);
}

/*
 * One flow, its fields in the JSON document's order; pr_cell() names the
 * column their text goes to, so the verdict's column is written in three
 * steps: "stale", ": " and why, " (deleted)".
 */
static void put_rec(struct pr *p, const struct scan *s, const struct rec *r)
{
	const struct flow *fl = &r->f;
	bool snat = judge_reason_snat(r->reason);
	struct judgement j;
	char b[256];

	scan_explain(s, r, &j);
	pr_open(p, 0);
	pr_u64(p, "id", NULL, fl->id);
	pr_str(p, "family", NULL, fl->orig.family == AF_INET6 ? "ipv6" :
	       "ipv4", 0);
	pr_cell(p, COL_PROTO);
	pr_str(p, "proto", "", fmt_proto(fl->orig.l4proto), 0);
	pr_cell(p, COL_ORIG);
	put_tuple(p, "orig", &fl->orig, true);
	put_tuple(p, "reply", &fl->reply, false);
	pr_cell(p, COL_VERDICT);
	pr_str(p, "verdict", "", judge_verdict_str(r->verdict), 0);
	pr_str(p, "reason", NULL, judge_reason_str(r->reason), 0);
	if (r->verdict == JV_STALE)
		pr_str(p, NULL, ": ", judge_reason_text(r->reason), 0);
	pr_cell(p, COL_NOW);
	put_now(p, r, snat && !r->mirror);
	pr_cell(p, COL_RULES);
	put_rules(p, r, &j, snat);
	pr_cell(p, COL_RULE);
	fmt_rule(b, sizeof(b), &s->model, j.chain, j.rule);
	pr_str(p, "rule", "", b, j.chain >= 0 ? 0 : PR_NULL);
	pr_cell(p, COL_VERDICT);
	put_unknown(p, r, &j);
	pr_str(p, "deleted", NULL, r->deleted ? "true" : "false", PR_RAW);
	if (r->verdict == JV_STALE && r->deleted)
		pr_text(p, " (deleted)");
	pr_close(p);
}

/* ---- unknown flows by cause ---- */

#define MAX_CAUSES 8

struct causes {
	unsigned int n;
	size_t other;		/* flows of causes beyond MAX_CAUSES */
	struct {
		char what[JUDGE_UNKNOWN_LEN];
		size_t count;
	} c[MAX_CAUSES];
};

/* What keeps each unknown flow from a verdict ("meta mark: socket
 * mark", "xt match foo"), most frequent first. */
static void count_causes(const struct scan *s, struct causes *c)
{
	struct judgement j;
	unsigned int k;
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < s->nrecs; i++) {
		if (s->recs[i].verdict != JV_UNKNOWN)
			continue;
		scan_explain(s, &s->recs[i], &j);
		for (k = 0; k < c->n && strcmp(c->c[k].what, j.unknown); k++)
			;
		if (k == c->n && c->n == MAX_CAUSES) {
			c->other++;
			continue;
		}
		if (k == c->n)
			memcpy(c->c[c->n++].what, j.unknown, sizeof(j.unknown));
		c->c[k].count++;
		for (; k > 0 && c->c[k].count > c->c[k - 1].count; k--) {
			typeof(c->c[0]) t = c->c[k];

			c->c[k] = c->c[k - 1];
			c->c[k - 1] = t;
		}
	}
}

/* JSON: an object, the cause's name to its count; text, a line each. */
static void put_causes(struct pr *p, const struct scan *s)
{
	char what[JUDGE_UNKNOWN_LEN];
	struct causes c;
	unsigned int k;

	count_causes(s, &c);
	pr_obj(p, "unknown_by_cause");
	for (k = 0; k < c.n; k++) {
		pr_u64(p, c.c[k].what, "  ", c.c[k].count);
		fmt_sanitize(what, sizeof(what), c.c[k].what);
		pr_text(p, " unknown: %s\n", what);
	}
	if (c.other) {
		pr_u64(p, "(other)", "  ", c.other);
		pr_text(p, " unknown: other causes\n");
	}
	pr_obj_end(p);
}

/* ---- the summary ---- */

/* Stale flows by reason: JSON, every reason; text, those of stale flows
 * only (the unknown are counted on their own), in parentheses. */
static void put_by_reason(struct pr *p, const struct scan *s)
{
	const char *sep = " (";
	int k;

	pr_obj(p, "by_reason");
	for (k = 1; k < JR__MAX; k++) {
		bool text = k != JR_UNMODELLED && k != JR_DROPPED;

		if (!s->by_reason[k])
			continue;
		pr_u64(p, judge_reason_str(k), text ? sep : NULL,
		       s->by_reason[k]);
		if (text) {
			pr_text(p, " %s", judge_reason_str(k));
			sep = ", ";
		}
	}
	pr_obj_end(p);
	if (*sep == ',')
		pr_text(p, ")");
}

/*
 * The counts: JSON, as fields; text, a sentence in another order (what
 * was deleted or is stale first), then the unknown by cause and, for
 * status with stale flows, what to run next.
 */
static void put_summary(struct pr *p, const struct scan *s,
			const struct report_opts *ro)
{
	bool sweep = !strcmp(ro->command, "sweep");

	pr_obj(p, "summary");
	pr_u64(p, "judged", NULL, s->judged);
	pr_u64(p, "consistent", NULL, s->consistent);
	pr_u64(p, "stale", NULL, s->stale);
	pr_u64(p, "unknown", NULL, s->unknown);
	pr_u64(p, "deleted", NULL, s->deleted);
	if (sweep && !ro->dry_run)
		pr_text(p, "deleted %zu stale flow%s", s->deleted,
			s->deleted == 1 ? "" : "s");
	else
		pr_text(p, "%zu stale flow%s%s", s->stale,
			s->stale == 1 ? "" : "s",
			sweep ? " (dry run: nothing deleted)" : "");
	put_by_reason(p, s);
	pr_text(p, "; %zu unknown (kept); %zu consistent; %zu judged\n",
		s->unknown, s->consistent, s->judged);
	put_causes(p, s);
	pr_obj_end(p);
	if (!sweep && s->stale)
		pr_text(p, "run 'ctsweep sweep' to delete the stale flows\n");
}

/* ---- the outputs ---- */

void report_json(FILE *f, const struct scan *s, const struct report_opts *ro)
{
	struct pr p = { .f = f, .json = true, .first = true };
	size_t i;

	pr_open(&p, 0);
	pr_str(&p, "ctsweep", NULL, CTSWEEP_VERSION, 0);
	pr_str(&p, "command", NULL, ro->command, 0);
	pr_str(&p, "dry_run", NULL, ro->dry_run ? "true" : "false", PR_RAW);
	pr_key(&p, "flows");
	/* each flow on a line of its own, and the summary */
	fputc('[', f);
	for (i = 0; i < s->nrecs; i++) {
		fputs(i ? ",\n" : "\n", f);
		p.first = true;
		put_rec(&p, s, &s->recs[i]);
	}
	fputs("],\n", f);
	p.fields = 0;
	put_summary(&p, s, ro);
	pr_close(&p);
	fputc('\n', f);
}

static int width(int cur, const char *s)
{
	int n = strlen(s);

	return n > cur ? n : cur;
}

void report_table(FILE *f, const struct scan *s, const struct report_opts *ro)
{
	int wp = 5, wo = 8, wn = 3, wr = 5;
	struct pr_row w;
	struct pr p = { .f = f, .row = &w };
	size_t i;

	if (!s->nrecs)
		return;
	/* Two passes, so columns line up whatever the address lengths. */
	for (i = 0; i < s->nrecs; i++) {
		put_rec(&p, s, &s->recs[i]);
		wp = width(wp, w.cell[COL_PROTO]);
		wo = width(wo, w.cell[COL_ORIG]);
		wn = width(wn, w.cell[COL_NOW]);
		wr = width(wr, w.cell[COL_RULES]);
	}
	fprintf(f, "%-*s  %-*s  %-*s  %-*s  %s\n", wp, "PROTO", wo, "ORIGINAL",
		wn, "NOW", wr, "RULES", "VERDICT");
	for (i = 0; i < s->nrecs; i++) {
		put_rec(&p, s, &s->recs[i]);
		fprintf(f, "%-*s  %-*s  %-*s  %-*s  %s\n", wp, w.cell[COL_PROTO],
			wo, w.cell[COL_ORIG], wn, w.cell[COL_NOW], wr,
			w.cell[COL_RULES], w.cell[COL_VERDICT]);
		if (ro->verbose)
			fprintf(f, "%*s  rule: %s\n", wp, "", w.cell[COL_RULE]);
	}
}

void report_summary(FILE *f, const struct scan *s,
		    const struct report_opts *ro)
{
	struct pr p = { .f = f };

	put_summary(&p, s, ro);
}
