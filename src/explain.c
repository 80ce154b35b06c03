// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * explain.c - where would this packet go, and why, rule by rule.
 *
 *   ctsweep explain PROTO SRC[:PORT] DST[:PORT] [--iif NAME]
 *   ctsweep explain --flow PROTO SRC[:PORT] DST[:PORT]
 *   ctsweep explain --id ID
 *
 * Runs the rules on the first packet of that tuple as the judge does, with
 * every step recorded (eval.h's trace), and prints the path: hooks, chains,
 * the rules that matched (as `nft -a list` or `iptables -S` print them),
 * set elements, jumps, marks, the NAT decided.  For an existing entry also
 * where it goes now and the verdict.  Text and JSON come from one walk of
 * the steps (put_*(): each field once, for either output).  Deletes
 * nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/wait.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include "cmd.h"
#include "ct.h"
#include "eval.h"
#include "expr.h"
#include "log.h"
#include "print.h"
#include "report.h"
#include "scan.h"

/* ---- rule text, as the tools print it ---- */

/* Run @argv, its stdout into a malloc'd string.  0 or -errno. */
static int capture(char *const argv[], char **out)
{
	size_t len = 0, cap = 65536;
	int fds[2], st, ret = 0;
	ssize_t n;
	pid_t pid;
	char *buf = malloc(cap + 1);

	if (!buf)
		return -ENOMEM;
	if (pipe(fds)) {
		free(buf);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(fds[0]);
		close(fds[1]);
		free(buf);
		return ret;
	}
	if (!pid) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		freopen("/dev/null", "w", stderr);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap) {
			char *nb = realloc(buf, 2 * cap + 1);

			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	close(fds[0]);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		ret = ret ? ret : -EIO;
	buf[len] = '\0';
	if (ret) {
		free(buf);
		return ret;
	}
	*out = buf;
	return 0;
}

struct rule_cache {
	int chain;		/* the chain @text is the listing of, -1 */
	char *text;
};

/* The listing of @ci's chain, cached: nft -a list chain, or the legacy
 * iptables -S of it. */
static const char *chain_listing(const struct nm_model *m, int ci,
				 struct rule_cache *rc)
{
	const struct nm_chain *c = &m->chains[ci];
	char *argv[8];

	if (rc->chain == ci)
		return rc->text;
	free(rc->text);
	rc->text = NULL;
	rc->chain = ci;
	if (c->source == NM_SRC_LEGACY) {
		argv[0] = c->family == NFPROTO_IPV6 ? "ip6tables-legacy" :
			  "iptables-legacy";
		argv[1] = "-t";
		argv[2] = c->table;
		argv[3] = "-S";
		argv[4] = c->name;
		argv[5] = NULL;
	} else {
		argv[0] = "nft";
		argv[1] = "-a";
		argv[2] = "list";
		argv[3] = "chain";
		argv[4] = (char *)nm_family_name(c->family);
		argv[5] = c->table;
		argv[6] = c->name;
		argv[7] = NULL;
	}
	if (capture(argv, &rc->text))
		rc->text = NULL;
	return rc->text;
}

/* The line of @text that is rule @rule (legacy: the rule-th "-A") or ends
 * in "# handle H" (nft), trimmed, into @buf; 0 when not found. */
static int find_line(const char *text, bool legacy, unsigned int rule,
		     uint64_t handle, char *buf, size_t len)
{
	char tail[48];
	const char *l = text, *e;
	unsigned int n = 0;
	size_t k;

	snprintf(tail, sizeof(tail), "# handle %llu", (unsigned long long)handle);
	for (; l && *l; l = e ? e + 1 : NULL) {
		e = strchr(l, '\n');
		k = e ? (size_t)(e - l) : strlen(l);
		while (k && (*l == ' ' || *l == '\t'))
			l++, k--;
		if (legacy ? strncmp(l, "-A ", 3) || ++n != rule + 1 :
		    k < strlen(tail) ||
		    strncmp(l + k - strlen(tail), tail, strlen(tail)))
			continue;
		if (!legacy)
			k -= strlen(tail);
		while (k && l[k - 1] == ' ')
			k--;
		snprintf(buf, len, "%.*s", (int)k, l);
		return 1;
	}
	return 0;
}

/* The rule as its tool prints it; else its expressions as nft
 * --debug=netlink would show them. */
static void rule_text(const struct nm_model *m, int ci, int ri,
		      struct rule_cache *rc, char *buf, size_t len)
{
	const struct nm_chain *c = &m->chains[ci];
	const struct nm_rule *r = &c->rules[ri];
	const char *t = chain_listing(m, ci, rc);
	size_t off = 0;
	unsigned int k;

	if (t && find_line(t, c->source == NM_SRC_LEGACY, (unsigned int)ri,
			   r->handle, buf, len))
		return;
	buf[0] = '\0';
	for (k = 0; k < r->nexprs && off + 8 < len; k++) {
		off += snprintf(buf + off, len - off, "%s[ ", k ? " " : "");
		off += nm_expr_print(buf + off, len - off, &r->exprs[k]);
		if (off + 3 < len)
			off += snprintf(buf + off, len - off, " ]");
	}
}

/* ---- the steps ---- */

/* Chain @ci as the field @key: "inet fw4 dstnat", "iptables-legacy -t
 * nat DOCKER". */
static void put_chain(struct pr *p, const char *key, const char *label,
		      const struct nm_model *m, int ci)
{
	const struct nm_chain *c = &m->chains[ci];
	char b[512];

	if (c->source == NM_SRC_LEGACY)
		snprintf(b, sizeof(b), "%s -t %s %s",
			 c->family == NFPROTO_IPV6 ? "ip6tables-legacy" :
			 "iptables-legacy", c->table, c->name);
	else
		snprintf(b, sizeof(b), "%s %s %s", nm_family_name(c->family),
			 c->table, c->name);
	pr_str(p, key, label, b, 0);
}

static void put_mark(struct pr *p, const char *key, const char *label,
		     uint32_t v, uint32_t known)
{
	char b[48];

	if (known == ~0u)
		snprintf(b, sizeof(b), "0x%x", v);
	else if (!known)
		snprintf(b, sizeof(b), "unknown");
	else
		snprintf(b, sizeof(b), "0x%x (known bits 0x%x)", v & known,
			 known);
	pr_str(p, key, label, b, 0);
}

/* A key or value as people read it: a port, an address, else hex. */
static void fmt_value(char *buf, size_t len, const struct nm_data *d)
{
	unsigned int i, n = d->len > NM_DATA_MAX ? NM_DATA_MAX : d->len;
	size_t off;

	if (n == 2) {
		snprintf(buf, len, "%u", d->val[0] << 8 | d->val[1]);
		return;
	}
	if ((n == 4 || n == 16) &&
	    inet_ntop(n == 4 ? AF_INET : AF_INET6, d->val, buf, len))
		return;
	off = snprintf(buf, len, "0x");
	for (i = 0; i < n && off + 3 < len; i++)
		off += snprintf(buf + off, len - off, "%02x", d->val[i]);
}

static void put_elem(struct pr *p, const struct nm_model *m,
		     const struct ev_step *st)
{
	const struct nm_set *s = &m->sets[st->set];
	const struct nm_elem *el = &s->elems[st->elem];
	char key[3 * NM_DATA_MAX + 8], val[3 * NM_DATA_MAX + 32] = "";

	fmt_value(key, sizeof(key), &el->key);
	if (el->chain >= 0 && (unsigned int)el->chain < m->nchains)
		snprintf(val, sizeof(val), "%s %s",
			 el->verdict == NFT_GOTO ? "goto" : "jump",
			 m->chains[el->chain].name);
	else if (el->data.len)
		fmt_value(val, sizeof(val), &el->data);
	pr_str(p, "set", "set ", s->flags & NFT_SET_ANONYMOUS ? "(anonymous)" :
	       s->name, 0);
	pr_str(p, "key", ", element ", key, 0);
	if (*val)
		pr_str(p, "value", " : ", val, 0);
}

static const char *verdict_name(int v)
{
	switch (v) {
	case NF_ACCEPT: return "accept";
	case NF_DROP: return "drop";
	}
	return "other";
}

static void put_step(struct pr *p, const struct nm_model *m,
		     const struct ev_step *st, struct rule_cache *rc)
{
	const struct nm_chain *c = st->chain >= 0 ? &m->chains[st->chain] :
				   NULL;
	char b[512], n[32];

	switch (st->kind) {
	case EVS_HOOK:
		pr_open(p, 1);
		pr_str(p, "hook", "hook ", nm_hook_name(st->hook), 0);
		break;
	case EVS_CHAIN:
		pr_open(p, 2);
		put_chain(p, "chain", "chain ", m, st->chain);
		if (c->hook >= 0) {
			snprintf(n, sizeof(n), "%d", c->prio);
			pr_str(p, "type", " (", c->nat ? "nat" : "filter",
			       0);
			pr_str(p, "priority", ", priority ", n, PR_RAW);
			pr_text(p, ")");
		}
		break;
	case EVS_RULE:
		pr_open(p, 3);
		rule_text(m, st->chain, st->rule, rc, b, sizeof(b));
		pr_u64(p, c->source == NM_SRC_LEGACY ? "rule_number" :
		       "handle", c->source == NM_SRC_LEGACY ? "rule " :
		       "rule handle ", c->rules[st->rule].handle);
		pr_str(p, "rule", ": ", b, 0);
		/* nft's text has the comment already */
		if (c->rules[st->rule].comment &&
		    (p->json || !strstr(b, "comment")))
			pr_str(p, "comment", "  # ",
			       c->rules[st->rule].comment, 0);
		break;
	case EVS_ELEM:
		pr_open(p, 4);
		put_elem(p, m, st);
		break;
	case EVS_RETURN:
		pr_open(p, 3);
		put_chain(p, "return", "return from ", m, st->chain);
		break;
	case EVS_VERDICT:
		pr_open(p, 2);
		pr_str(p, "verdict", "verdict ", verdict_name(st->verdict),
		       0);
		put_chain(p, "of", " (", m, st->chain);
		pr_text(p, ")");
		break;
	case EVS_MARK:
		pr_open(p, 4);
		put_mark(p, "mark", "mark now ", st->mark, st->mark_known);
		put_mark(p, "ct_mark", ", ct mark ", st->ctmark,
			 st->ctmark_known);
		break;
	case EVS_NAT:
		pr_open(p, 4);
		fmt_natspec(b, sizeof(b), 0, &st->nat);
		pr_str(p, "type", "-> ", st->nat.type == NFT_NAT_SNAT ? "snat" :
		       st->nat.type == NM_NAT_MASQ ? "masquerade" :
		       st->nat.type == NM_NAT_REDIR ? "redirect" : "dnat", 0);
		pr_str(p, "to", " to ", b, 0);
		break;
	case EVS_UNKNOWN:
		pr_open(p, 3);
		pr_str(p, "unknown", "not modelled: ", st->what, 0);
		if (c) {
			put_chain(p, "in", " (in ", m, st->chain);
			pr_text(p, ")");
		}
		break;
	default:
		return;
	}
	pr_close(p);
}

/* ---- input ---- */

static int parse_proto(const char *s, uint8_t *p)
{
	static const struct { const char *n; uint8_t p; } t[] = {
		{ "udp", IPPROTO_UDP }, { "tcp", IPPROTO_TCP },
		{ "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 },
		{ "sctp", IPPROTO_SCTP }, { "udplite", IPPROTO_UDPLITE },
		{ "dccp", IPPROTO_DCCP },
	};
	unsigned int i;
	char *end;
	long v;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(s, t[i].n)) {
			*p = t[i].p;
			return 0;
		}
	v = strtol(s, &end, 10);
	if (*s && !*end && v > 0 && v < 256) {
		*p = (uint8_t)v;
		return 0;
	}
	return -EINVAL;
}

/* ADDR, ADDR:PORT, [ADDR6]:PORT or ADDR6. */
static int parse_endpoint(const char *s, uint8_t *family, union addr *a,
			  uint16_t *port)
{
	char buf[64];
	const char *host = s, *ps = NULL;
	char *end;
	long v;

	memset(a, 0, sizeof(*a));
	*port = 0;
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close || (close[1] && close[1] != ':'))
			return -EINVAL;
		*close = '\0';
		host = buf + 1;
		ps = close[1] ? close + 2 : NULL;
	} else if (strchr(buf, ':') == strrchr(buf, ':') && strchr(buf, ':')) {
		*strchr(buf, ':') = '\0';
		host = buf;
		ps = buf + strlen(buf) + 1;
	} else {
		host = buf;
	}
	if (inet_pton(AF_INET, host, a->b) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, host, a->b) == 1)
		*family = AF_INET6;
	else
		return -EINVAL;
	if (!ps)
		return 0;
	v = strtol(ps, &end, 10);
	if (!*ps || *end || v < 0 || v > 65535)
		return -EINVAL;
	*port = htons((uint16_t)v);
	return 0;
}

/* PROTO SRC DST into @t; reports what is wrong. */
static int parse_tuple(char **argv, struct tuple *t)
{
	uint8_t f1, f2;

	memset(t, 0, sizeof(*t));
	if (parse_proto(argv[0], &t->l4proto)) {
		log_err("explain: '%s' is not a protocol (udp, tcp, icmp, or "
			"a number 1-255)", argv[0]);
		return -EINVAL;
	}
	if (parse_endpoint(argv[1], &f1, &t->src, &t->sport) ||
	    parse_endpoint(argv[2], &f2, &t->dst, &t->dport)) {
		log_err("explain: '%s' or '%s' is not an address with an "
			"optional port (192.0.2.1:53, [2001:db8::1]:53)",
			argv[1], argv[2]);
		return -EINVAL;
	}
	if (f1 != f2) {
		log_err("explain: '%s' and '%s' are not of one family",
			argv[1], argv[2]);
		return -EINVAL;
	}
	t->family = f1;
	if ((t->sport || t->dport) && !proto_has_ports(t->l4proto)) {
		log_err("explain: %s has no ports ('%s', '%s')", argv[0],
			argv[1], argv[2]);
		return -EINVAL;
	}
	return 0;
}

struct args {
	struct tuple t;
	bool flow, by_id;
	uint32_t id;
	const char *iif;
};

/* The options are parsed (main.c): @argv holds the operands. */
static int parse_args(int argc, char **argv, struct args *a,
		      const struct opts *o)
{
	memset(a, 0, sizeof(*a));
	a->iif = o->iif;
	a->flow = o->flow;
	a->by_id = o->id >= 0;
	a->id = (uint32_t)o->id;
	if (a->by_id ? argc > 1 || a->flow : argc != 4) {
		cmd_report_operands(cmd_find("explain"), "give PROTO "
				    "SRC[:PORT] DST[:PORT], or a conntrack id "
				    "alone");
		return -EINVAL;
	}
	if (!a->by_id && parse_tuple(argv + 1, &a->t))
		return -EINVAL;
	return 0;
}

/* ---- the entry ---- */

struct find_id {
	uint32_t id;
	struct flow f;
	bool found;
};

static int match_id(const struct flow *f, void *data)
{
	struct find_id *q = data;

	if (f->id != q->id)
		return 0;
	q->f = *f;
	q->found = true;
	return -ECANCELED;	/* found: stop the dump */
}

/* The entry named by --id or --flow into @f: 0, -ENOENT or -errno. */
static int find_entry(struct scan *s, const struct args *a, struct flow *f)
{
	struct ct_filter flt = { 0 };
	struct find_id q = { .id = a->id };
	struct ct_lookup l = { .orig = a->t };
	int ret;

	if (a->by_id) {
		ret = ct_dump(s->ct, &flt, match_id, &q);
		if (ret && ret != -ECANCELED)
			return ret;
		if (!q.found)
			return -ENOENT;
		*f = q.f;
		return 0;
	}
	ret = ct_get_many(s->ct, &l, 1);
	if (ret)
		return ret;
	if (l.err)
		return l.err;
	*f = l.f;
	return 0;
}

/* ---- output ---- */

static void put_packet(struct pr *p, const struct tuple *t, const char *iif)
{
	char a[64], b[64];

	fmt_endpoint(a, sizeof(a), t->family, &t->src, t->sport);
	fmt_endpoint(b, sizeof(b), t->family, &t->dst, t->dport);
	pr_obj(p, "packet");
	pr_str(p, "proto", "packet ", fmt_proto(t->l4proto), 0);
	pr_str(p, "src", " ", a, 0);
	pr_str(p, "dst", " > ", b, 0);
	if (iif)
		pr_str(p, "iif", ", arriving on ", iif, 0);
	pr_obj_end(p);
	pr_text(p, "\n");
}

static void put_outcome(struct pr *p, const char *key, const char *label,
			uint8_t family, const struct nat_outcome *o)
{
	char b[512];

	if (pr_key(p, key)) {
		fmt_json_outcome(p->f, family, o);
		return;
	}
	fmt_outcome(b, sizeof(b), family, o, " or ");
	fprintf(p->f, "%s%s\n", label, b[0] ? b : "none");
}

static void put_entry(struct pr *p, const struct flow *f,
		      const struct judgement *j)
{
	char now[64];

	fmt_endpoint(now, sizeof(now), f->orig.family, &f->reply.src,
		     f->reply.sport);
	pr_obj(p, "entry");
	pr_u64(p, "id", "entry id ", f->id);
	pr_str(p, "reply_src", ": answered from ", now, 0);
	fmt_endpoint(now, sizeof(now), f->orig.family, &f->reply.dst,
		     f->reply.dport);
	pr_str(p, "reply_dst", " to ", now, 0);
	pr_str(p, "verdict", " -> ", judge_verdict_str(j->verdict), 0);
	if (j->verdict == JV_STALE) {
		pr_str(p, "reason", ", ", judge_reason_str(j->reason), 0);
		pr_text(p, " (%s)", judge_reason_text(j->reason));
	} else if (j->verdict == JV_UNKNOWN) {
		pr_str(p, "unknown", " (not modelled: ", j->unknown, 0);
		pr_text(p, ")");
	}
	pr_obj_end(p);
	pr_text(p, "\n");
}

static void put_trace(struct pr *p, const struct nm_model *m,
		      const struct ev_trace *tr)
{
	struct rule_cache rc = { .chain = -1 };
	unsigned int i, fields;

	if (pr_key(p, "paths"))
		fputc('[', p->f);
	fields = p->fields;	/* the steps' objects count their own */
	for (i = 0; i < tr->n; i++) {
		const struct ev_step *st = &tr->steps[i];

		if (st->kind == EVS_PATH) {
			if (p->json)
				fprintf(p->f, "%s{\"path\":%u,\"steps\":[",
					st->path > 1 ? "]}," : "", st->path);
			else
				fprintf(p->f, "path %u:\n", st->path);
			p->first = true;
			continue;
		}
		put_step(p, m, st, &rc);
	}
	if (p->json)
		fputs(tr->n ? "]}]" : "]", p->f);
	p->fields = fields;
	if (tr->truncated) {
		pr_u64(p, "truncated_after", "(trace cut after steps: ",
		       EV_TRACE_MAX);
		pr_text(p, ")\n");
	}
	free(rc.text);
}

/* ---- the command ---- */

int cmd_explain(int argc, char **argv, struct opts *o)
{
	struct scan s = { 0 };
	struct ev_trace tr = { 0 };
	struct judgement j;
	struct pr p = { .f = stdout };
	struct flow f;
	struct args a;
	bool entry = false;
	int ret = EXIT_ERR, err;

	if (parse_args(argc, argv, &a, o))
		return EXIT_ERR;
	p.json = o->json;
	err = scan_init(&s);
	if (!err)
		err = scan_load(&s);
	if (err) {
		cmd_report_error("explain", err == -ENOMEM ? "memory" :
				 s.failed ? s.failed : "conntrack", err);
		goto out;
	}
	if (a.iif) {
		tr.iif = netenv_ifindex(&s.env, a.iif);
		if (!tr.iif) {
			log_err("explain: no interface '%s' here (see 'ip link')",
				a.iif);
			goto out;
		}
	}
	if (a.by_id || a.flow) {
		err = find_entry(&s, &a, &f);
		if (err) {
			log_err("explain: %s%s", err == -ENOENT ?
				"no such conntrack entry; see 'conntrack -L -o id'" :
				"cannot look the entry up: ", err == -ENOENT ?
				"" : strerror(-err));
			goto out;
		}
		a.t = f.orig;
		entry = true;
	}
	tr.steps = calloc(EV_TRACE_MAX, sizeof(*tr.steps));
	if (!tr.steps) {
		log_err("explain: out of memory");
		goto out;
	}
	judge_eval_traced(&s.model, &s.env, &a.t, &j, &tr);
	if (p.json)
		fputc('{', p.f);
	put_packet(&p, &a.t, a.iif);
	put_trace(&p, &s.model, &tr);
	if (j.verdict == JV_UNKNOWN && !entry) {
		pr_str(&p, "unknown", "not modelled: ", j.unknown, 0);
		pr_text(&p, "\n");
	}
	put_outcome(&p, "dnat", "rules say: dnat ", a.t.family, &j.dnat);
	put_outcome(&p, "snat", "           snat ", a.t.family, &j.snat);
	if (entry) {
		judge_compare(&f, &j);
		put_entry(&p, &f, &j);
	}
	if (p.json)
		fputs("}\n", p.f);
	ret = EXIT_OK;
out:
	free(tr.steps);
	scan_free(&s);
	return ret;
}
