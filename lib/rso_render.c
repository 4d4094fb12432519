/* rso_render: reports as JSON lines, CSV, text or a self-contained page. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_csv.h"
#include "rso_err.h"
#include "rso_jsonl.h"
#include "rso_render.h"

/* A cell as text: strings as they are, integers in decimal, null "-". */
static const char *
cell(const json_t *v, char *buf, size_t n)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_true(v))
		return "yes";
	if (json_is_false(v))
		return "no";
	return "-";
}

static int
done(FILE *fp)
{
	return fflush(fp) != 0 || ferror(fp) ? EX_IOERR : 0;
}

int
rso_render_json(FILE *fp, const json_t *report)
{
	const json_t *sec, *row;
	size_t i, j;
	json_t *line;

	json_array_foreach(json_object_get(report, "sections"), i, sec)
		json_array_foreach(json_object_get(sec, "rows"), j, row) {
			line = json_pack("{s:O, s:O}", "report", json_object_get(report,
			    "report"), "section", json_object_get(sec, "name"));
			json_object_update(line, (json_t *)row);
			if (rso_jsonl_write(fp, line) != 0) {
				json_decref(line);
				return EX_IOERR;
			}
			json_decref(line);
		}
	return done(fp);
}

int
rso_render_csv(FILE *fp, const json_t *report)
{
	const json_t *sec, *row, *colname;
	size_t i, j, k;
	char buf[32];

	json_array_foreach(json_object_get(report, "sections"), i, sec) {
		if (i > 0)
			rso_csv_end(fp);
		json_array_foreach(json_object_get(sec, "columns"), k, colname)
			rso_csv_cell(fp, json_string_value(colname), k == 0);
		rso_csv_end(fp);
		json_array_foreach(json_object_get(sec, "rows"), j, row) {
			json_array_foreach(json_object_get(sec, "columns"), k, colname)
				rso_csv_cell(fp, cell(json_object_get(row,
				    json_string_value(colname)), buf, sizeof(buf)),
				    k == 0);
			rso_csv_end(fp);
		}
	}
	return done(fp);
}

/* Display width of UTF-8 text: one column per character. */
static size_t
width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static void
pad(FILE *fp, const char *s, size_t w, int right)
{
	size_t n = width(s);

	if (right)
		for (; n < w; n++)
			fputc(' ', fp);
	fputs(s, fp);
	if (!right)
		for (; n < w; n++)
			fputc(' ', fp);
}

/* Numbers, amounts, days and rates align right. */
static int
numeric(const char *s)
{
	if (*s == '-' && s[1] != '\0')
		s++;
	if (*s < '0' || *s > '9')
		return strcmp(s, "-") == 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || *s == '.' || *s == '%'))
			return 0;
	return 1;
}

static void
text_section(FILE *fp, const json_t *sec)
{
	const json_t *cols = json_object_get(sec, "columns"), *row, *c;
	size_t nc = json_array_size(cols), *w = rso_xcalloc(nc, sizeof(*w));
	size_t i, k;
	char buf[32];

	fprintf(fp, "\n%s\n", json_string_value(json_object_get(sec, "title")));
	json_array_foreach(cols, k, c)
		w[k] = width(json_string_value(c));
	json_array_foreach(json_object_get(sec, "rows"), i, row)
		json_array_foreach(cols, k, c) {
			size_t n = width(cell(json_object_get(row,
			    json_string_value(c)), buf, sizeof(buf)));
			if (n > w[k])
				w[k] = n;
		}
	json_array_foreach(cols, k, c) {
		fputs(k ? "  " : "  ", fp);
		pad(fp, json_string_value(c), w[k], 0);
	}
	fputc('\n', fp);
	if (json_array_size(json_object_get(sec, "rows")) == 0)
		fputs("  (none)\n", fp);
	json_array_foreach(json_object_get(sec, "rows"), i, row) {
		json_array_foreach(cols, k, c) {
			const char *v = cell(json_object_get(row,
			    json_string_value(c)), buf, sizeof(buf));
			fputs("  ", fp);
			pad(fp, v, k + 1 == nc && !numeric(v) ? 0 : w[k],
			    k > 0 && numeric(v));
		}
		fputc('\n', fp);
	}
	free(w);
}

int
rso_render_text(FILE *fp, const json_t *report)
{
	const json_t *sec;
	size_t i;

	fprintf(fp, "%s, %s\n%s\n", json_string_value(json_object_get(report,
	    "title")), rso_json_str(report, "period.label"),
	    json_string_value(json_object_get(report, "rule")));
	json_array_foreach(json_object_get(report, "sections"), i, sec)
		text_section(fp, sec);
	return done(fp);
}

void
rso_html_escape(FILE *fp, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\'': fputs("&#39;", fp); break;
		default: fputc(*s, fp);
		}
}

/* Bars (or a histogram: touching bars) with value labels and, when the
 * chart has a "line", a dashed marker at that label's position. */
void
rso_svg_chart(FILE *fp, const json_t *chart, int w, int h)
{
	const json_t *labels = json_object_get(chart, "labels");
	const json_t *values = json_object_get(chart, "values"), *v;
	size_t n = json_array_size(values), i;
	long long max = 0, x;
	size_t longest = 0;
	int left = 40, bottom, top = 16, plot_w = w - left - 10;
	int plot_h, gap, bw, line;
	int hist = strcmp(rso_json_str(chart, "kind") ? rso_json_str(chart,
	    "kind") : "", "histogram") == 0;

	json_array_foreach(values, i, v)
		if (json_integer_value(v) > max)
			max = json_integer_value(v);
	/* Room below the axis for the longest label, slanted. */
	json_array_foreach(labels, i, v)
		if (width(json_string_value(v)) > longest)
			longest = width(json_string_value(v));
	bottom = 24 + (int)(longest > 20 ? 20 : longest) * 4;
	h += bottom;
	plot_h = h - top - bottom;
	if (max == 0)
		max = 1;
	fprintf(fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
	    w, h, w, h);
	rso_html_escape(fp, rso_json_str(chart, "title"));
	fprintf(fp, "\">\n<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#444\"/>\n", left, top + plot_h, left + plot_w, top + plot_h);
	fprintf(fp, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\""
	    ">%lld</text>\n", left - 4, top + 10, max);
	fprintf(fp, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\""
	    ">0</text>\n", left - 4, top + plot_h);
	if (n == 0) {
		fputs("<text x=\"50%\" y=\"50%\" text-anchor=\"middle\" "
		    "font-size=\"13\">no data</text>\n</svg>\n", fp);
		return;
	}
	gap = hist ? 1 : plot_w / (int)n / 5;
	bw = plot_w / (int)n - gap;
	for (i = 0; i < n; i++) {
		int bh, bx;
		x = json_integer_value(json_array_get(values, i));
		bh = (int)(x * plot_h / max);
		bx = left + (int)i * (bw + gap) + gap / 2;
		fprintf(fp, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		    "fill=\"#3b6ea5\"><title>", bx, top + plot_h - bh, bw, bh);
		rso_html_escape(fp, json_string_value(json_array_get(labels, i)));
		fprintf(fp, ": %lld</title></rect>\n", x);
		if (x > 0)
			fprintf(fp, "<text x=\"%d\" y=\"%d\" font-size=\"10\" "
			    "text-anchor=\"middle\">%lld</text>\n", bx + bw / 2,
			    top + plot_h - bh - 3, x);
		fprintf(fp, "<text x=\"%d\" y=\"%d\" font-size=\"10\" "
		    "text-anchor=\"end\" transform=\"rotate(-40 %d %d)\">", bx + bw /
		    2 + 4, top + plot_h + 12, bx + bw / 2 + 4, top + plot_h + 12);
		rso_html_escape(fp, json_string_value(json_array_get(labels, i)));
		fputs("</text>\n", fp);
	}
	/* The SLA line: days map to the histogram's two-day bins. */
	if ((line = (int)json_integer_value(json_object_get(chart, "line"))) > 0
	    && hist) {
		int lx = left + line * (bw + gap) / 2;
		fprintf(fp, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		    "stroke=\"#c0392b\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>"
		    "\n<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#c0392b\">"
		    "%d-day promise</text>\n", lx, top, lx, top + plot_h, lx + 4,
		    top + 12, line);
	}
	fputs("</svg>\n", fp);
}

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:60em;"
    "color:#222}h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.15em;"
    "margin-top:1.6em;border-bottom:1px solid #ccc}p.rule{color:#555}"
    "table{border-collapse:collapse;margin:.5em 0}th,td{padding:.25em .7em;"
    "border-bottom:1px solid #e4e4e4;text-align:left}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums}figure{display:inline-block;"
    "margin:.5em 1em .5em 0}figcaption{font-weight:600;font-size:.95em}"
    "@media print{body{margin:0;max-width:none}figure,table{"
    "break-inside:avoid}}";

static void
html_section(FILE *fp, const json_t *sec)
{
	const json_t *cols = json_object_get(sec, "columns"), *row, *c;
	size_t i, k;
	char buf[32];

	fputs("<h2>", fp);
	rso_html_escape(fp, json_string_value(json_object_get(sec, "title")));
	fputs("</h2>\n<table>\n<tr>", fp);
	json_array_foreach(cols, k, c) {
		fputs("<th>", fp);
		rso_html_escape(fp, json_string_value(c));
		fputs("</th>", fp);
	}
	fputs("</tr>\n", fp);
	json_array_foreach(json_object_get(sec, "rows"), i, row) {
		fputs("<tr>", fp);
		json_array_foreach(cols, k, c) {
			const char *v = cell(json_object_get(row,
			    json_string_value(c)), buf, sizeof(buf));
			fputs(numeric(v) ? "<td class=\"n\">" : "<td>", fp);
			rso_html_escape(fp, v);
			fputs("</td>", fp);
		}
		fputs("</tr>\n", fp);
	}
	if (json_array_size(json_object_get(sec, "rows")) == 0)
		fprintf(fp, "<tr><td colspan=\"%zu\">(none)</td></tr>\n",
		    json_array_size(cols));
	fputs("</table>\n", fp);
}

int
rso_render_html(FILE *fp, const json_t *report)
{
	const json_t *sec, *ch;
	size_t i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8"
	    "\">\n<title>", fp);
	rso_html_escape(fp, rso_json_str(report, "title"));
	fputs(", ", fp);
	rso_html_escape(fp, rso_json_str(report, "period.label"));
	fprintf(fp, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", css);
	rso_html_escape(fp, rso_json_str(report, "title"));
	fputs("</h1>\n<p>", fp);
	rso_html_escape(fp, rso_json_str(report, "period.label"));
	fputs(" (", fp);
	rso_html_escape(fp, rso_json_str(report, "period.since"));
	fputs(" to ", fp);
	rso_html_escape(fp, rso_json_str(report, "period.until"));
	fputs(")</p>\n<p class=\"rule\">", fp);
	rso_html_escape(fp, rso_json_str(report, "rule"));
	fputs("</p>\n", fp);
	json_array_foreach(json_object_get(report, "charts"), i, ch) {
		fputs("<figure>\n<figcaption>", fp);
		rso_html_escape(fp, rso_json_str(ch, "title"));
		fputs("</figcaption>\n", fp);
		rso_svg_chart(fp, ch, 400, 200);
		fputs("</figure>\n", fp);
	}
	json_array_foreach(json_object_get(report, "sections"), i, sec)
		html_section(fp, sec);
	fputs("</body>\n</html>\n", fp);
	return done(fp);
}
