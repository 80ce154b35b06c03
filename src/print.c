// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * print.c - one output path for text and JSON: explain's steps and
 * report's flows and summary name each field once (print.h).
 */
#include <stdarg.h>
#include <string.h>
#include "print.h"

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

/* Text onto the stream, or after what the row's cell holds (cut at the
 * cell's end). */
static void emit(struct pr *p, const char *s)
{
	char *c;
	size_t n;

	if (!p->row) {
		fputs(s, p->f);
		return;
	}
	c = p->row->cell[p->row->col];
	n = strlen(c);
	snprintf(c + n, PR_CELL - n, "%s", s);
}

void pr_open(struct pr *p, int depth)
{
	if (p->json) {
		fprintf(p->f, "%s{", p->first ? "" : ",");
		p->first = false;
	} else if (p->row) {
		memset(p->row, 0, sizeof(*p->row));
	} else {
		fprintf(p->f, "%*s", 2 * depth, "");
	}
	p->fields = 0;
}

void pr_close(struct pr *p)
{
	if (p->json)
		fputc('}', p->f);
	else if (!p->row)
		fputc('\n', p->f);
}

bool pr_key(struct pr *p, const char *key)
{
	if (!p->json)
		return false;
	fputs(p->fields++ ? "," : "", p->f);
	fmt_json_str(p->f, key);
	fputc(':', p->f);
	return true;
}

void pr_obj(struct pr *p, const char *key)
{
	if (!pr_key(p, key))
		return;
	fputc('{', p->f);
	p->fields = 0;
}

void pr_obj_end(struct pr *p)
{
	if (!p->json)
		return;
	fputc('}', p->f);
	p->fields = 1;		/* the object just closed */
}

/* Printable ASCII only; quotes are kept (nft's own text has them). */
static void printable(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < len; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

void pr_str(struct pr *p, const char *key, const char *label,
	    const char *value, unsigned int flags)
{
	char safe[512];

	if (p->json) {
		if (!key || !pr_key(p, key))
			return;
		if (flags & PR_NULL)
			fputs("null", p->f);
		else if (flags & PR_RAW)
			fputs(value, p->f);
		else
			fmt_json_str(p->f, value);
		return;
	}
	if (!label)
		return;
	printable(safe, sizeof(safe), value);
	emit(p, label);
	emit(p, safe);
}

void pr_u64(struct pr *p, const char *key, const char *label, uint64_t v)
{
	char n[24];

	snprintf(n, sizeof(n), "%llu", (unsigned long long)v);
	pr_str(p, key, label, n, PR_RAW);
}

void pr_text(struct pr *p, const char *fmt, ...)
{
	char b[512];
	va_list ap;

	if (p->json)
		return;
	va_start(ap, fmt);
	vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	emit(p, b);
}

void pr_cell(struct pr *p, unsigned int col)
{
	if (p->row && col < PR_COLS)
		p->row->col = col;
}
