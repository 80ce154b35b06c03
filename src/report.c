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

static const char *proto_name(uint8_t p)
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

/* ---- JSON ---- */

void fmt_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_tuple(FILE *f, const struct tuple *t)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	fmt_addr(s, sizeof(s), t->family, &t->src);
	fmt_addr(d, sizeof(d), t->family, &t->dst);
	fprintf(f, "{\"src\":\"%s\",\"dst\":\"%s\",\"sport\":%u,\"dport\":%u}",
		s, d, ntohs(t->sport), ntohs(t->dport));
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

static void json_now(FILE *f, const struct rec *r, bool snat)
{
	char b[64];

	if (now_endpoint(r, snat, b, sizeof(b)))
		fmt_json_str(f, b);
	else
		fprintf(f, "null");
}

static void json_rec(FILE *f, const struct scan *s, const struct rec *r)
{
	const struct flow *fl = &r->f;
	struct judgement j;
	char b[256];

	scan_explain(s, r, &j);
	fprintf(f, "{\"id\":%u,\"family\":\"%s\",\"proto\":\"%s\",\"orig\":",
		fl->id, fl->orig.family == AF_INET6 ? "ipv6" : "ipv4",
		proto_name(fl->orig.l4proto));
	json_tuple(f, &fl->orig);
	fprintf(f, ",\"reply\":");
	json_tuple(f, &fl->reply);
	fprintf(f, ",\"verdict\":\"%s\",\"reason\":\"%s\",\"now\":{\"dnat\":",
		judge_verdict_str(r->verdict), judge_reason_str(r->reason));
	json_now(f, r, false);
	fprintf(f, ",\"snat\":");
	json_now(f, r, true);
	fprintf(f, "},\"rules\":{\"dnat\":");
	fmt_json_outcome(f, fl->orig.family, &j.dnat);
	fprintf(f, ",\"snat\":");
	fmt_json_outcome(f, fl->orig.family, &j.snat);
	fprintf(f, "},\"rule\":");
	if (j.chain >= 0) {
		fmt_rule(b, sizeof(b), &s->model, j.chain, j.rule);
		fmt_json_str(f, b);
	} else {
		fprintf(f, "null");
	}
	fprintf(f, ",\"unknown\":");
	if (r->verdict == JV_UNKNOWN)
		fmt_json_str(f, j.unknown);
	else
		fprintf(f, "null");
	fprintf(f, ",\"deleted\":%s}", r->deleted ? "true" : "false");
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

static void json_causes(FILE *f, const struct scan *s)
{
	struct causes c;
	unsigned int k;

	count_causes(s, &c);
	fprintf(f, ",\"unknown_by_cause\":{");
	for (k = 0; k < c.n; k++) {
		fprintf(f, "%s", k ? "," : "");
		fmt_json_str(f, c.c[k].what);
		fprintf(f, ":%zu", c.c[k].count);
	}
	if (c.other)
		fprintf(f, "%s\"(other)\":%zu", c.n ? "," : "", c.other);
	fprintf(f, "}");
}

static void text_causes(FILE *f, const struct scan *s)
{
	char what[JUDGE_UNKNOWN_LEN];
	struct causes c;
	unsigned int k;

	count_causes(s, &c);
	for (k = 0; k < c.n; k++) {
		fmt_sanitize(what, sizeof(what), c.c[k].what);
		fprintf(f, "  %zu unknown: %s\n", c.c[k].count, what);
	}
	if (c.other)
		fprintf(f, "  %zu unknown: other causes\n", c.other);
}

void report_json(FILE *f, const struct scan *s, const struct report_opts *ro)
{
	size_t i;
	int k, first = 1;

	fprintf(f, "{\"ctsweep\":\"%s\",\"command\":\"%s\",\"dry_run\":%s,"
		"\"flows\":[", CTSWEEP_VERSION, ro->command,
		ro->dry_run ? "true" : "false");
	for (i = 0; i < s->nrecs; i++) {
		fprintf(f, "%s", i ? ",\n" : "\n");
		json_rec(f, s, &s->recs[i]);
	}
	fprintf(f, "],\n\"summary\":{\"judged\":%zu,\"consistent\":%zu,"
		"\"stale\":%zu,\"unknown\":%zu,\"deleted\":%zu,"
		"\"by_reason\":{", s->judged, s->consistent, s->stale,
		s->unknown, s->deleted);
	for (k = 1; k < JR__MAX; k++) {
		if (!s->by_reason[k])
			continue;
		fprintf(f, "%s\"%s\":%zu", first ? "" : ",",
			judge_reason_str(k), s->by_reason[k]);
		first = 0;
	}
	fprintf(f, "}");
	json_causes(f, s);
	fprintf(f, "}}\n");
}

/* ---- table ---- */

struct row {
	char proto[8], orig[136], now[64], rules[128], verdict[160], rule[256];
};

static void make_row(const struct scan *s, const struct rec *r,
		     struct row *w)
{
	const struct flow *fl = &r->f;
	bool snat = judge_reason_snat(r->reason);
	const struct nat_outcome *o;
	struct judgement j;
	char a[64], b[64];

	scan_explain(s, r, &j);
	snprintf(w->proto, sizeof(w->proto), "%s", proto_name(fl->orig.l4proto));
	fmt_endpoint(a, sizeof(a), fl->orig.family, &fl->orig.src,
		     fl->orig.sport);
	fmt_endpoint(b, sizeof(b), fl->orig.family, &fl->orig.dst,
		     fl->orig.dport);
	snprintf(w->orig, sizeof(w->orig), "%s > %s", a, b);
	if (!now_endpoint(r, snat && !r->mirror, w->now, sizeof(w->now)))
		snprintf(w->now, sizeof(w->now), "no %s", snat ? "snat" : "nat");
	o = snat ? &j.snat : &j.dnat;
	if (r->verdict == JV_UNKNOWN)
		snprintf(w->rules, sizeof(w->rules), "?");
	else if (!o->ncand)
		snprintf(w->rules, sizeof(w->rules), "no %s",
			 snat ? "snat" : "nat");
	else
		fmt_outcome(w->rules, sizeof(w->rules), fl->orig.family, o,
			    ",");
	if (r->verdict == JV_UNKNOWN) {
		/* What is not modelled may be named by the rules (an xt
		 * extension's name from the blob). */
		fmt_sanitize(a, sizeof(a), j.unknown);
		snprintf(w->verdict, sizeof(w->verdict), "unknown: %s",
			 a[0] ? a : judge_reason_text(r->reason));
	} else if (r->verdict == JV_STALE) {
		snprintf(w->verdict, sizeof(w->verdict), "stale: %s%s",
			 judge_reason_text(r->reason),
			 r->deleted ? " (deleted)" : "");
	} else {
		snprintf(w->verdict, sizeof(w->verdict), "consistent");
	}
	fmt_rule(w->rule, sizeof(w->rule), &s->model, j.chain, j.rule);
}

static int width(int cur, const char *s)
{
	int n = strlen(s);

	return n > cur ? n : cur;
}

void report_table(FILE *f, const struct scan *s, const struct report_opts *ro)
{
	int wp = 5, wo = 8, wn = 3, wr = 5;
	struct row w;
	size_t i;

	if (!s->nrecs)
		return;
	/* Two passes, so columns line up whatever the address lengths. */
	for (i = 0; i < s->nrecs; i++) {
		make_row(s, &s->recs[i], &w);
		wp = width(wp, w.proto);
		wo = width(wo, w.orig);
		wn = width(wn, w.now);
		wr = width(wr, w.rules);
	}
	fprintf(f, "%-*s  %-*s  %-*s  %-*s  %s\n", wp, "PROTO", wo, "ORIGINAL",
		wn, "NOW", wr, "RULES", "VERDICT");
	for (i = 0; i < s->nrecs; i++) {
		make_row(s, &s->recs[i], &w);
		fprintf(f, "%-*s  %-*s  %-*s  %-*s  %s\n", wp, w.proto, wo,
			w.orig, wn, w.now, wr, w.rules, w.verdict);
		if (ro->verbose)
			fprintf(f, "%*s  rule: %s\n", wp, "", w.rule);
	}
}

void report_summary(FILE *f, const struct scan *s,
		    const struct report_opts *ro)
{
	bool sweep = !strcmp(ro->command, "sweep");
	int k, first = 1;

	if (sweep && !ro->dry_run)
		fprintf(f, "deleted %zu stale flow%s", s->deleted,
			s->deleted == 1 ? "" : "s");
	else
		fprintf(f, "%zu stale flow%s%s", s->stale,
			s->stale == 1 ? "" : "s",
			sweep ? " (dry run: nothing deleted)" : "");
	for (k = 1; k < JR__MAX; k++) {
		if (!s->by_reason[k] || k == JR_UNMODELLED || k == JR_DROPPED)
			continue;
		fprintf(f, "%s%zu %s", first ? " (" : ", ", s->by_reason[k],
			judge_reason_str(k));
		first = 0;
	}
	fprintf(f, "%s; %zu unknown (kept); %zu consistent; %zu judged\n",
		first ? "" : ")", s->unknown, s->consistent, s->judged);
	text_causes(f, s);
	if (!sweep && s->stale)
		fprintf(f, "run 'ctsweep sweep' to delete the stale flows\n");
}
