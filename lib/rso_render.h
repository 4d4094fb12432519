/* rso_render: a report object (rso_report.h) as JSON lines, CSV, text or
 * one self-contained HTML page with inline SVG charts. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_RENDER_H
#define RSO_RENDER_H

#include <stdio.h>

#include <jansson.h>

/*
 * json: one line per row, {"report","section",...row}, amounts as their
 * decimal strings.  csv: per section a row with its title, a header row
 * of the column keys and the rows (formula-safe cells, CRLF), sections
 * apart by an empty line; amounts stay plain decimals and a section
 * that holds them names the currency in its title row.
 * text: the title, period and rule, then each section as aligned columns
 * under their labels, amounts as in csv.  html: a page that needs no
 * network and no script, every text escaped, with a viewport and charts
 * (SVG) that scale, one column on a phone, amounts as "$4,900.00",
 * columns under their labels; it prints with headings kept with their
 * tables, the monthly report on one page.  Return 0 or EX_IOERR when fp
 * fails.
 */
int rso_render_json(FILE *fp, const json_t *report);
int rso_render_csv(FILE *fp, const json_t *report);
int rso_render_text(FILE *fp, const json_t *report);
int rso_render_html(FILE *fp, const json_t *report);

/* s with & < > " ' as entities. */
void rso_html_escape(FILE *fp, const char *s);

/*
 * One chart of a report as an SVG element that fills its box's width:
 * a viewBox width units wide, its plot height units high, with axes,
 * their titles and room for the labels.
 */
void rso_svg_chart(FILE *fp, const json_t *chart, int width, int height);

#endif
