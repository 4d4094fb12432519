/* rso_template: letters from share/templates with {{name}} fields. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_TEMPLATE_H
#define RSO_TEMPLATE_H

#include <jansson.h>

#include "rso_err.h"

/*
 * The text of template NAME (share/templates/NAME.txt, under $RSO_SHARE
 * when set), malloc'd; NULL with EX_CONFIG in e when it cannot be read or
 * is over 64 KiB.
 */
char *rso_template_load(const char *name, struct rso_error *e);

/*
 * text with each {{path}} replaced by the string or number at that dotted
 * path of vars ("patient.name"); a missing one becomes "" -- the same rule
 * as scripts/rso-mail.  Returns a malloc'd string.
 */
char *rso_template_render(const char *text, const json_t *vars);

#endif
