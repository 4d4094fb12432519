/* rso_template: letters from share/templates with {{name}} fields. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_jsonl.h"
#include "rso_store.h"
#include "rso_template.h"

#define MAXTEMPLATE (64 * 1024)

char *
rso_template_load(const char *name, struct rso_error *e)
{
	char *rel = rso_xasprintf("templates/%s.txt", name);
	char *path = rso_share_path(rel), *text = NULL;
	size_t n = 0;
	FILE *fp;

	free(rel);
	if ((fp = fopen(path, "r")) == NULL) {
		rso_share_error(path, errno, e);
		free(path);
		return NULL;
	}
	text = rso_xmalloc(MAXTEMPLATE + 1);
	n = fread(text, 1, MAXTEMPLATE + 1, fp);
	if (ferror(fp) || n > MAXTEMPLATE) {
		rso_error_set(e, EX_CONFIG, "%s: %s", path, ferror(fp) ?
		    strerror(errno) : "longer than 64 KiB");
		free(text);
		text = NULL;
	} else
		text[n] = '\0';
	fclose(fp);
	free(path);
	return text;
}

/* The value at path as text, or "" (numbers as JSON writes them). */
static void
put_value(FILE *out, const json_t *vars, const char *path)
{
	const json_t *v = vars;
	char *copy = rso_xstrdup(path), *tok, *save = NULL;

	for (tok = strtok_r(copy, ".", &save); tok && v;
	    tok = strtok_r(NULL, ".", &save))
		v = json_object_get(v, tok);
	free(copy);
	if (json_is_string(v))
		fputs(json_string_value(v), out);
	else if (json_is_integer(v))
		fprintf(out, "%lld", (long long)json_integer_value(v));
}

char *
rso_template_render(const char *text, const json_t *vars)
{
	const char *p = text, *open, *close;
	char *out = NULL, path[128];
	size_t n = 0;
	FILE *fp = open_memstream(&out, &n);

	if (fp == NULL)
		rso_die(EX_OSERR, "open_memstream");
	while ((open = strstr(p, "{{")) != NULL &&
	    (close = strstr(open + 2, "}}")) != NULL) {
		fwrite(p, 1, (size_t)(open - p), fp);
		if ((size_t)(close - open - 2) < sizeof(path)) {
			memcpy(path, open + 2, (size_t)(close - open - 2));
			path[close - open - 2] = '\0';
			put_value(fp, vars, path);
		}
		p = close + 2;
	}
	fputs(p, fp);
	fclose(fp);
	return out;
}
