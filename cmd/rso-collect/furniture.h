/* rso-collect: media furniture -- what a CD carries beside its records. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_COLLECT_FURNITURE_H
#define RSO_COLLECT_FURNITURE_H

/*
 * The patterns of share/media-furniture: one shell pattern a line,
 * matched without regard to case against a member's base name; blank
 * lines and lines starting with '#' are comments.  Returns a NULL-ended
 * list; dies EX_CONFIG when the file cannot be read.
 */
char **furniture_xload(void);
void furniture_free(char **patterns);

/* Whether the member at path (its base name) is media furniture. */
int furniture_is(char *const *patterns, const char *path);

#endif
