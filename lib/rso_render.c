/* rso_render: reports as JSON lines, CSV, text or a self-contained page. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_csv.h"
#include "rso_err.h"
#include "rso_jsonl.h"
#include "rso_render.h"

/* An amount cell ({"money":"4900.00"}, rso_report.h): its decimal, or NULL. */
static const char *
money(const json_t *v)
{
	return json_is_object(v) ? json_string_value(json_object_get(v,
	    "money")) : NULL;
}

/* A cell as text: strings as they are, integers in decimal, amounts as
 * their plain decimal, null "-". */
static const char *
cell(const json_t *v, char *buf, size_t n)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (money(v))
		return money(v);
	if (json_is_true(v))
		return "yes";
	if (json_is_false(v))
		return "no";
	return "-";
}

static const char *
currency(const json_t *report)
{
	const char *c = rso_json_str(report, "currency");

	return c ? c : "USD";
}

/* 1 if any row of sec holds an amount. */
static int
has_money(const json_t *sec)
{
	const json_t *row, *v;
	const char *key;
	size_t i;

	json_array_foreach(json_object_get(sec, "rows"), i, row)
		json_object_foreach((json_t *)row, key, v)
			if (money(v))
				return 1;
	return 0;
}

/*
 * A section's title, naming the currency when it holds amounts: the
 * header rows keep the column keys as they are, so scripts that read
 * the CSV by its keys go on working.
 */
static void
section_title(const json_t *report, const json_t *sec, char *buf, size_t n)
{
	const char *t = json_string_value(json_object_get(sec, "title"));

	if (has_money(sec))
		snprintf(buf, n, "%s (amounts in %s)", t, currency(report));
	else
		snprintf(buf, n, "%s", t);
}

/* Column k's header: its key, or its label for people. */
static const char *
column_head(const json_t *sec, size_t k, int label)
{
	const char *h = json_string_value(json_array_get(json_object_get(sec,
	    label ? "labels" : "columns"), k));

	return h ? h : json_string_value(json_array_get(json_object_get(sec,
	    "columns"), k));
}

static int
done(FILE *fp)
{
	return fflush(fp) != 0 || ferror(fp) ? EX_IOERR : 0;
}

int
rso_render_json(FILE *fp, const json_t *report)
{
	const json_t *sec, *row, *v;
	const char *key;
	size_t i, j;
	json_t *line;

	json_array_foreach(json_object_get(report, "sections"), i, sec)
		json_array_foreach(json_object_get(sec, "rows"), j, row) {
			line = json_pack("{s:O, s:O}", "report", json_object_get(report,
			    "report"), "section", json_object_get(sec, "name"));
			/* Amounts as their decimal string, as ever. */
			json_object_foreach((json_t *)row, key, v)
				json_object_set_new(line, key, money(v) ?
				    json_string(money(v)) : json_incref((json_t *)v));
			if (rso_jsonl_write(fp, line) != 0) {
				json_decref(line);
				return EX_IOERR;
			}
			json_decref(line);
		}
	return done(fp);
}

/* A CSV cell: as cell(), but nothing for null, so a spreadsheet sees an
 * empty cell, not text, among the numbers. */
static const char *
csv_cell(const json_t *v, char *buf, size_t n)
{
	return v == NULL || json_is_null(v) ? "" : cell(v, buf, n);
}

int
rso_render_csv(FILE *fp, const json_t *report)
{
	const json_t *sec, *row, *colname;
	size_t i, j, k;
	char buf[32], head[512];

	json_array_foreach(json_object_get(report, "sections"), i, sec) {
		if (i > 0)
			rso_csv_end(fp);
		/* Each section is named by a row of its own, then its header. */
		section_title(report, sec, head, sizeof(head));
		rso_csv_cell(fp, head, 1);
		rso_csv_end(fp);
		json_array_foreach(json_object_get(sec, "columns"), k, colname)
			rso_csv_cell(fp, column_head(sec, k, 0), k == 0);
		rso_csv_end(fp);
		json_array_foreach(json_object_get(sec, "rows"), j, row) {
			json_array_foreach(json_object_get(sec, "columns"), k, colname)
				rso_csv_cell(fp, csv_cell(json_object_get(row,
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
text_section(FILE *fp, const json_t *report, const json_t *sec)
{
	const json_t *cols = json_object_get(sec, "columns"), *row, *c;
	size_t nc = json_array_size(cols), *w = rso_xcalloc(nc, sizeof(*w));
	size_t i, k;
	char buf[512];

	section_title(report, sec, buf, sizeof(buf));
	fprintf(fp, "\n%s\n", buf);
	json_array_foreach(cols, k, c)
		w[k] = width(column_head(sec, k, 1));
	json_array_foreach(json_object_get(sec, "rows"), i, row)
		json_array_foreach(cols, k, c) {
			size_t n = width(cell(json_object_get(row,
			    json_string_value(c)), buf, sizeof(buf)));
			if (n > w[k])
				w[k] = n;
		}
	for (k = 0; k < nc; k++) {
		fputs("  ", fp);
		pad(fp, column_head(sec, k, 1), k + 1 == nc ? 0 : w[k], 0);
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
		text_section(fp, report, sec);
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

/*
 * An amount as people read it: "$4,900.00", "-$12.50", "£3.00"; a
 * currency whose symbol others share or that has none known here shows
 * its ISO code instead ("CAD 4,900.00"), so no figure can be misread.
 */
static void
html_money(FILE *fp, const char *dec, const char *cur)
{
	static const struct {
		const char *code, *symbol;
	} symbols[] = {
		{ "USD", "$" }, { "EUR", "\u20ac" }, { "GBP", "\u00a3" },
		{ "JPY", "\u00a5" }, { "INR", "\u20b9" }, { "KRW", "\u20a9" },
		{ "ILS", "\u20aa" },
	};
	const char *sym = NULL, *dot;
	size_t i, n;

	for (i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++)
		if (strcmp(symbols[i].code, cur) == 0)
			sym = symbols[i].symbol;
	if (*dec == '-') {
		fputc('-', fp);
		dec++;
	}
	if (sym)
		fputs(sym, fp);
	else {
		rso_html_escape(fp, cur);
		fputs("&nbsp;", fp);
	}
	dot = strchr(dec, '.');
	n = dot ? (size_t)(dot - dec) : strlen(dec);
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			fputc(',', fp);
		fputc(dec[i], fp);
	}
	rso_html_escape(fp, dec + n);
}

/* A step for the y axis of at most about five ticks: 1, 2 or 5 x 10^k. */
static long long
tick_step(long long max)
{
	long long step = 1;

	for (;;) {
		if (max <= step * 5)
			return step;
		if (max <= step * 2 * 5)
			return step * 2;
		if (max <= step * 5 * 5)
			return step * 5;
		step *= 10;
	}
}

/* The geometry of a chart, in the units of its viewBox. */
struct plot {
	int w, h, left, top, plot_w, plot_h, slot, slanted;
	long long ymax;
};

/* Text in a chart; s escaped. */
static void
svg_text(FILE *fp, int x, int y, const char *anchor, const char *extra,
    const char *s)
{
	fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\"%s>", x, y,
	    anchor, extra ? extra : "");
	rso_html_escape(fp, s);
	fputs("</text>\n", fp);
}

/* The axes: y ticks with light grid lines and the unit as the y title,
 * the x axis line and its title under the labels. */
static void
svg_axes(FILE *fp, const json_t *chart, const struct plot *g)
{
	long long step = tick_step(g->ymax), t;
	int base = g->top + g->plot_h, y;
	char buf[32];

	for (t = 0; t <= g->ymax; t += step) {
		y = base - (int)(t * g->plot_h / g->ymax);
		fprintf(fp, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		    "stroke=\"#ddd\"/>\n", g->left, y, g->left + g->plot_w, y);
		snprintf(buf, sizeof(buf), "%lld", t);
		svg_text(fp, g->left - 4, y + 4, "end", NULL, buf);
	}
	fprintf(fp, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#444\"/>\n", g->left, base, g->left + g->plot_w, base);
	fprintf(fp, "<text x=\"0\" y=\"0\" text-anchor=\"middle\" "
	    "transform=\"translate(12 %d) rotate(-90)\">", g->top + g->plot_h / 2);
	rso_html_escape(fp, rso_json_str(chart, "unit"));
	fputs("</text>\n", fp);
	svg_text(fp, g->left + g->plot_w / 2, g->h - 4, "middle", NULL,
	    rso_json_str(chart, "axis"));
}

/* One bar, its value above it and its label below the axis. */
static void
svg_bar(FILE *fp, const json_t *chart, const struct plot *g, size_t i,
    int hist)
{
	const char *label = json_string_value(json_array_get(json_object_get(
	    chart, "labels"), i));
	long long v = json_integer_value(json_array_get(json_object_get(chart,
	    "values"), i));
	int gap = hist ? 1 : g->slot / 5, bw = g->slot - gap;
	int bh = (int)(v * g->plot_h / g->ymax), base = g->top + g->plot_h;
	int bx = g->left + (int)i * g->slot + gap / 2, cx = bx + bw / 2;
	char buf[32], rot[64];

	fprintf(fp, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
	    "fill=\"#3b6ea5\"><title>", bx, base - bh, bw, bh);
	rso_html_escape(fp, label);
	fprintf(fp, ": %lld ", v);
	rso_html_escape(fp, rso_json_str(chart, "unit"));
	fputs("</title></rect>\n", fp);
	snprintf(buf, sizeof(buf), "%lld", v);
	if (v > 0)
		svg_text(fp, cx, base - bh - 3, "middle", NULL, buf);
	if (g->slanted) {
		snprintf(rot, sizeof(rot), " transform=\"rotate(-40 %d %d)\"",
		    cx + 4, base + 14);
		svg_text(fp, cx + 4, base + 14, "end", rot, label);
	} else
		svg_text(fp, cx, base + 15, "middle", NULL, label);
}

/*
 * Bars (or a histogram: touching bars of two-day bins) over a y axis of
 * round ticks, and, when the chart has a "line", a dashed marker at that
 * many days, named above the plot where no bar's figure can sit.  The
 * SVG has a viewBox and width 100%, so it scales to its box.
 */
void
rso_svg_chart(FILE *fp, const json_t *chart, int w, int h)
{
	const json_t *labels = json_object_get(chart, "labels");
	const json_t *values = json_object_get(chart, "values"), *v;
	size_t n = json_array_size(values), i, longest = 0;
	long long max = 0;
	int line, bottom, lx;
	int hist = strcmp(rso_json_str(chart, "kind") ? rso_json_str(chart,
	    "kind") : "", "histogram") == 0;
	struct plot g;
	char buf[48];

	json_array_foreach(values, i, v)
		if (json_integer_value(v) > max)
			max = json_integer_value(v);
	json_array_foreach(labels, i, v)
		if (width(json_string_value(v)) > longest)
			longest = width(json_string_value(v));
	g.w = w;
	g.left = 44;
	g.top = 34;		/* the line's name above the bars' figures */
	g.plot_w = w - g.left - 8;
	g.slot = n ? g.plot_w / (int)n : g.plot_w;
	/* Labels wider than their slot (7 units a character) slant. */
	g.slanted = (int)longest * 7 > g.slot;
	bottom = (g.slanted ? 14 + (int)(longest > 16 ? 16 : longest) * 5 :
	    22) + 18;
	g.plot_h = h;
	g.h = g.top + g.plot_h + bottom;
	g.ymax = max > 0 ? (max + tick_step(max) - 1) / tick_step(max) *
	    tick_step(max) : 1;
	fprintf(fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100%%\" "
	    "viewBox=\"0 0 %d %d\" font-size=\"12\" role=\"img\" aria-label=\"",
	    g.w, g.h);
	rso_html_escape(fp, rso_json_str(chart, "title"));
	fputs("\">\n", fp);
	svg_axes(fp, chart, &g);
	if (n == 0)
		svg_text(fp, g.left + g.plot_w / 2, g.top + g.plot_h / 2, "middle",
		    NULL, "no data");
	for (i = 0; i < n; i++)
		svg_bar(fp, chart, &g, i, hist);
	if ((line = (int)json_integer_value(json_object_get(chart, "line"))) > 0
	    && hist && n > 0) {
		lx = g.left + line * g.slot / 2;
		if (lx > g.left + g.plot_w)
			lx = g.left + g.plot_w;
		fprintf(fp, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		    "stroke=\"#c0392b\" stroke-width=\"2\" "
		    "stroke-dasharray=\"6 4\"/>\n", lx, g.top - 14, lx, g.top +
		    g.plot_h);
		snprintf(buf, sizeof(buf), "%d days", line);
		svg_text(fp, lx, g.top - 20, "middle", " fill=\"#c0392b\"", buf);
	}
	fputs("</svg>\n", fp);
}

/*
 * Screen: one column that fits a 360 px phone (charts scale, wide tables
 * become one card per row, long words break); print: the monthly report
 * on one A4 or Letter page, headings kept with what follows, rows whole,
 * table headers repeated on each page.
 */
static const char css[] =
    "*,*::before,*::after{box-sizing:border-box}"
    "html{-webkit-text-size-adjust:100%;text-size-adjust:100%}"
    "body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;padding:1rem;"
    "max-width:66rem;color:#222;overflow-wrap:break-word}"
    "h1{font-size:1.5em;margin:0 0 .2em}p{margin:.15em 0}"
    "h2{font-size:1.1em;margin:1.2em 0 .3em;border-bottom:1px solid #ccc;"
    "break-after:avoid;page-break-after:avoid}"
    ".rule,.note{color:#555;font-size:.9em}"
    ".charts{display:grid;grid-template-columns:repeat(auto-fit,"
    "minmax(min(100%,18rem),1fr));gap:1rem 1.5rem;margin:1rem 0}"
    "figure{margin:0;min-width:0;break-inside:avoid;page-break-inside:avoid}"
    "figcaption{font-weight:600;font-size:.95em}"
    "svg{display:block;width:100%;height:auto}svg text{fill:#333}"
    ".legend{list-style:none;padding:0;margin:.1em 0 0;font-size:.85em;"
    "display:flex;flex-wrap:wrap;gap:.2em 1.2em}"
    ".key{display:inline-block;width:1.1em;height:.75em;margin-right:.4em;"
    "background:#3b6ea5;vertical-align:baseline}"
    ".key.line{height:0;background:none;border-top:2px dashed #c0392b;"
    "vertical-align:middle}"
    ".pair{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);"
    "gap:0 1.5rem;align-items:start}"
    "section{min-width:0}"
    "table{border-collapse:collapse;margin:.3em 0;width:100%}"
    "th,td{padding:.2em .6em;border-bottom:1px solid #e4e4e4;"
    "text-align:left;vertical-align:top}"
    "th{font-weight:600;background:#f3f3f3}"
    ".n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}th.n{white-space:normal}.nw{white-space:nowrap}"
    "thead{display:table-header-group}"
    "tr{break-inside:avoid;page-break-inside:avoid}"
    "@media screen and (max-width:44rem){"
    "body{padding:.6rem;font-size:14px}.pair{display:block}"
    "td{overflow-wrap:anywhere}"
    "table.wide,table.wide tbody,table.wide tr,table.wide td{display:block}"
    "table.wide thead{position:absolute;width:1px;height:1px;"
    "overflow:hidden;clip:rect(0 0 0 0)}"
    "table.wide tr{border:1px solid #ddd;border-radius:4px;margin:.5em 0;"
    "padding:.2em .6em}"
    "table.wide td{border:0;padding:.1em 0;display:flex;gap:1em;"
    "justify-content:space-between;text-align:right}"
    "table.wide td::before{content:attr(data-label);font-weight:600;"
    "text-align:left;color:#444;flex:0 0 auto;max-width:55%;"
    "overflow-wrap:normal}"
    "table.wide td:first-child{font-weight:600;text-align:left}"
    "table.wide td:first-child::before{content:none}}"
    "@media print{@page{margin:12mm}"
    "body{font-size:8.5pt;line-height:1.25;max-width:none;padding:0}"
    "h1{font-size:14pt}h2{font-size:10pt;margin:.8em 0 .2em}"
    ".charts{grid-template-columns:repeat(3,minmax(0,1fr));gap:3mm 5mm;"
    "margin:2mm 0}svg{max-height:42mm}th,td{padding:.1em .4em}"
    ".pair{grid-template-columns:minmax(0,5fr) minmax(0,2fr)}"
    "figure,.short{break-inside:avoid;page-break-inside:avoid}}";

/* The chart's legend: its bars, and its line when it has one. */
static void
html_legend(FILE *fp, const json_t *chart)
{
	int line = (int)json_integer_value(json_object_get(chart, "line"));

	fputs("<ul class=\"legend\"><li><span class=\"key\"></span>", fp);
	rso_html_escape(fp, rso_json_str(chart, "unit"));
	fputs("</li>", fp);
	if (line > 0 && strcmp(rso_json_str(chart, "kind"), "histogram") == 0)
		fprintf(fp, "<li><span class=\"key line\"></span>the %d-day "
		    "promise</li>", line);
	fputs("</ul>\n", fp);
}

/* A table with more columns than a phone can show side by side. */
#define WIDE_COLUMNS 3
/* A section short enough to keep on one page with its heading. */
#define SHORT_ROWS 30

/*
 * A column label, escaped, its words with digits ("(2026-05)") kept
 * whole: a browser may break a line after a hyphen.
 */
static void
html_label(FILE *fp, const char *s)
{
	char word[512];
	size_t n, i;
	int digits;

	while (*s) {
		n = strcspn(s, " ");
		if (n >= sizeof(word))
			n = sizeof(word) - 1;
		memcpy(word, s, n);
		word[n] = '\0';
		for (i = 0, digits = 0; i < n; i++)
			digits |= word[i] >= '0' && word[i] <= '9';
		fputs(digits ? "<span class=\"nw\">" : "", fp);
		rso_html_escape(fp, word);
		fputs(digits ? "</span>" : "", fp);
		for (s += n; *s == ' '; s++)
			fputc(' ', fp);
	}
}

/* Column k holds figures only (numbers, amounts, rates, "-"): its header
 * aligns with them and, like them, never breaks ("2026-10"). */
static int
numeric_column(const json_t *sec, size_t k)
{
	const char *key = json_string_value(json_array_get(json_object_get(sec,
	    "columns"), k));
	const json_t *row, *v;
	char buf[32];
	size_t i;

	if (json_array_size(json_object_get(sec, "rows")) == 0)
		return 0;
	json_array_foreach(json_object_get(sec, "rows"), i, row) {
		v = json_object_get(row, key);
		if (!money(v) && !numeric(cell(v, buf, sizeof(buf))))
			return 0;
	}
	return 1;
}

static void
html_row(FILE *fp, const json_t *report, const json_t *sec, const json_t *row)
{
	const json_t *cols = json_object_get(sec, "columns"), *c, *v;
	char buf[32];
	size_t k;

	fputs("<tr>", fp);
	json_array_foreach(cols, k, c) {
		v = json_object_get(row, json_string_value(c));
		fputs(money(v) || numeric(cell(v, buf, sizeof(buf))) ?
		    "<td class=\"n\" data-label=\"" : "<td data-label=\"", fp);
		rso_html_escape(fp, json_string_value(json_array_get(
		    json_object_get(sec, "labels"), k)));
		fputs("\">", fp);
		if (money(v))
			html_money(fp, money(v), currency(report));
		else
			rso_html_escape(fp, cell(v, buf, sizeof(buf)));
		fputs("</td>", fp);
	}
	fputs("</tr>\n", fp);
}

static void
html_section(FILE *fp, const json_t *report, const json_t *sec)
{
	const json_t *cols = json_object_get(sec, "columns"), *rows, *row;
	size_t i, k, nc = json_array_size(cols);
	char buf[512];

	rows = json_object_get(sec, "rows");
	fprintf(fp, "<section%s>\n<h2>", json_array_size(rows) <= SHORT_ROWS ?
	    " class=\"short\"" : "");
	section_title(report, sec, buf, sizeof(buf));
	rso_html_escape(fp, buf);
	fprintf(fp, "</h2>\n<table%s>\n<thead><tr>", nc > WIDE_COLUMNS ?
	    " class=\"wide\"" : "");
	for (k = 0; k < nc; k++) {
		fputs(k > 0 && numeric_column(sec, k) ?
		    "<th scope=\"col\" class=\"n\">" : "<th scope=\"col\">", fp);
		html_label(fp, column_head(sec, k, 1));
		fputs("</th>", fp);
	}
	fputs("</tr></thead>\n<tbody>\n", fp);
	json_array_foreach(rows, i, row)
		html_row(fp, report, sec, row);
	if (json_array_size(rows) == 0)
		fprintf(fp, "<tr><td colspan=\"%zu\">(none)</td></tr>\n", nc);
	fputs("</tbody>\n</table>\n</section>\n", fp);
}

/* "2026-06-01T00:00:00Z" as "2026-06-01 00:00", as people write it. */
static void
html_time(FILE *fp, const char *t)
{
	char buf[24];

	if (t == NULL || strlen(t) < 16 || t[10] != 'T') {
		rso_html_escape(fp, t);
		return;
	}
	snprintf(buf, sizeof(buf), "%.10s %.5s", t, t + 11);
	rso_html_escape(fp, buf);
}

static void
html_head(FILE *fp, const json_t *report)
{
	const json_t *sec;
	size_t i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8"
	    "\">\n<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<title>", fp);
	rso_html_escape(fp, rso_json_str(report, "title"));
	fputs(", ", fp);
	rso_html_escape(fp, rso_json_str(report, "period.label"));
	fprintf(fp, "</title>\n<style>%s</style>\n</head>\n<body>\n<header>\n"
	    "<h1>", css);
	rso_html_escape(fp, rso_json_str(report, "title"));
	fputs("</h1>\n<p>", fp);
	rso_html_escape(fp, rso_json_str(report, "period.label"));
	fputs(": from ", fp);
	html_time(fp, rso_json_str(report, "period.since"));
	fputs(" up to ", fp);
	html_time(fp, rso_json_str(report, "period.until"));
	fputs(" UTC</p>\n<p class=\"rule\">", fp);
	rso_html_escape(fp, rso_json_str(report, "rule"));
	fputs("</p>\n", fp);
	json_array_foreach(json_object_get(report, "sections"), i, sec)
		if (has_money(sec)) {
			fputs("<p class=\"note\">Amounts in ", fp);
			rso_html_escape(fp, currency(report));
			fputs(".</p>\n", fp);
			break;
		}
	fputs("</header>\n", fp);
}

int
rso_render_html(FILE *fp, const json_t *report)
{
	const json_t *secs = json_object_get(report, "sections"), *ch, *next;
	size_t i;

	html_head(fp, report);
	if (json_array_size(json_object_get(report, "charts")) > 0)
		fputs("<div class=\"charts\">\n", fp);
	json_array_foreach(json_object_get(report, "charts"), i, ch) {
		fputs("<figure>\n<figcaption>", fp);
		rso_html_escape(fp, rso_json_str(ch, "title"));
		fputs("</figcaption>\n", fp);
		rso_svg_chart(fp, ch, 360, 150);
		html_legend(fp, ch);
		fputs("</figure>\n", fp);
	}
	if (json_array_size(json_object_get(report, "charts")) > 0)
		fputs("</div>\n", fp);
	/* A section marked "aside" sits beside the one before it. */
	for (i = 0; i < json_array_size(secs); i++) {
		next = json_array_get(secs, i + 1);
		if (next && json_is_true(json_object_get(next, "aside"))) {
			fputs("<div class=\"pair\">\n", fp);
			html_section(fp, report, json_array_get(secs, i));
			html_section(fp, report, next);
			fputs("</div>\n", fp);
			i++;
		} else
			html_section(fp, report, json_array_get(secs, i));
	}
	fputs("</body>\n</html>\n", fp);
	return done(fp);
}
