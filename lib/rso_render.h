/* rso_render: a report object (rso_report.h) as JSON lines, CSV, text or
 * one self-contained HTML page with inline SVG charts. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_RENDER_H
#define RSO_RENDER_H

#include <stdio.h>

#include <jansson.h>

/*
 * json: one line per row, {"report","section",...row}.  csv: per section
 * a header row and its rows (formula-safe cells, CRLF), sections apart by
 * an empty line.  text: the title, period and rule, then each section as
 * aligned columns.  html: a page that needs no network and no script,
 * every text escaped, charts as SVG, readable when printed.  Return 0 or
 * EX_IOERR when fp fails.
 */
int rso_render_json(FILE *fp, const json_t *report);
int rso_render_csv(FILE *fp, const json_t *report);
int rso_render_text(FILE *fp, const json_t *report);
int rso_render_html(FILE *fp, const json_t *report);

/* s with & < > " ' as entities. */
void rso_html_escape(FILE *fp, const char *s);

/* One chart of a report as an SVG element, width x height pixels. */
void rso_svg_chart(FILE *fp, const json_t *chart, int width, int height);

#endif
