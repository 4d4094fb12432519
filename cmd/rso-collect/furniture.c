/* rso-collect: media furniture -- what a CD carries beside its records. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "furniture.h"
#include "rso_err.h"
#include "rso_store.h"

char **
furniture_xload(void)
{
	char *path = rso_share_path("media-furniture"), *line = NULL, *p, *end;
	char **v = NULL;
	size_t cap = 0, n = 0;
	FILE *fp;

	if ((fp = fopen(path, "re")) == NULL)
		rso_die(EX_CONFIG, "%s", path);
	while (getline(&line, &cap, fp) != -1) {
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		end = p + strcspn(p, "\r\n");
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		*end = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		v = rso_xrealloc(v, (n + 2) * sizeof(*v));
		v[n++] = rso_xstrdup(p);
	}
	if (ferror(fp))
		rso_die(EX_CONFIG, "%s", path);
	fclose(fp);
	free(line);
	free(path);
	if (v == NULL)
		v = rso_xcalloc(1, sizeof(*v));
	v[n] = NULL;
	return v;
}

void
furniture_free(char **patterns)
{
	char **p;

	for (p = patterns; p && *p; p++)
		free(*p);
	free(patterns);
}

int
furniture_is(char *const *patterns, const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (; *patterns; patterns++)
		if (fnmatch(*patterns, base, FNM_CASEFOLD | FNM_PERIOD) == 0)
			return 1;
	return 0;
}
