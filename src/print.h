/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * print.h - one output path for text and JSON (iproute2's
 * print_*(PRINT_ANY, ...)): a command names each field once, with its
 * JSON key and its text label, and the printer writes whichever output
 * was asked for.  A field only one output has passes NULL for the other's
 * name.  Text can go into the cells of a table row instead of onto the
 * stream, for a caller that lines the columns up.
 */
#ifndef CTSWEEP_PRINT_H
#define CTSWEEP_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PR_COLS		8
#define PR_CELL		256

/* Text into cells; the cell named last by pr_cell() takes it. */
struct pr_row {
	char cell[PR_COLS][PR_CELL];
	unsigned int col;
};

struct pr {
	FILE *f;
	bool json;
	bool first;		/* json: no comma before the next object */
	unsigned int fields;	/* json: fields in the open object */
	struct pr_row *row;	/* text: into its cells, not onto @f */
};

/* pr_str()'s flags. */
enum {
	PR_RAW = 1 << 0,	/* json: the value unquoted (a number, true) */
	PR_NULL = 1 << 1,	/* json: null; text still shows the value */
};

/* Start an object: text, a new line indented by @depth (a row: its cells
 * emptied); JSON, "{" after a comma unless it is the first. */
void pr_open(struct pr *p, int depth);
/* End it: text, the end of the line (a row: nothing); JSON, "}". */
void pr_close(struct pr *p);
/* A field of the open object named @key holding the object that follows,
 * up to pr_obj_end(); text has no such level and writes nothing. */
void pr_obj(struct pr *p, const char *key);
void pr_obj_end(struct pr *p);
/* JSON: the separator and "@key": of the next field, for a value the
 * caller writes itself; true then.  Text: nothing, false. */
bool pr_key(struct pr *p, const char *key);
/* One field: JSON "@key":"@value" (escaped, or as @flags say); text
 * @label then @value, printable ASCII only, so text from the rules stays
 * on its line and cannot drive a terminal (quotes are kept: nft's own
 * text has them; a caller that quotes a name escapes it first, as
 * fmt_rule() does), cut at 511 bytes.  @key NULL: text only; @label
 * NULL: JSON only. */
void pr_str(struct pr *p, const char *key, const char *label,
	    const char *value, unsigned int flags);
/* pr_str() of a number. */
void pr_u64(struct pr *p, const char *key, const char *label, uint64_t v);
/* Text only, ctsweep's own words: "(", ")", a line's end; cut at 511
 * bytes. */
void pr_text(struct pr *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Text from here on goes into @p's row's cell @col; JSON: nothing. */
void pr_cell(struct pr *p, unsigned int col);

/* @s (NULL: empty) on @f as a JSON string: quoted, '"' and '\\'
 * escaped, every byte outside printable ASCII as \u00XX. */
void fmt_json_str(FILE *f, const char *s);

#endif
