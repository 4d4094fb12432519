/* seg-write: write one case archive segment from files, for bench/age.sh. */
/* SPDX-License-Identifier: ISC */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rso_age.h"
#include "rso_arc.h"
#include "rso_err.h"

/* usage: seg-write CASEDIR RECIPIENT FILE...; prints the segment's name. */
int
main(int argc, char **argv)
{
	struct rso_age_recipients *r = rso_age_recipients_new();
	struct rso_seg_writer *w;
	struct rso_error e = { 0 };
	struct stat st;
	char *name, *entry;
	const char *base;
	int i, fd, rc;

	rso_setprogname(argv[0]);
	if (argc < 4)
		rso_diex(EX_USAGE, "usage: seg-write CASEDIR RECIPIENT FILE...");
	if (rso_age_recipients_add(r, argv[2], &e) != 0 ||
	    (w = rso_seg_create(argv[1], r, &e)) == NULL)
		rso_diex(e.status, "%s", e.msg);
	for (i = 3; i < argc; i++) {
		if ((fd = open(argv[i], O_RDONLY)) < 0 || fstat(fd, &st) != 0)
			rso_die(EX_NOINPUT, "%s", argv[i]);
		base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
		entry = rso_xasprintf("records/%04d-%s", i - 2, base);
		if ((rc = rso_seg_add_fd(w, entry, fd, st.st_size, &e)) != 0) {
			rso_seg_abort(w);
			rso_diex(rc, "%s", e.msg);
		}
		free(entry);
		close(fd);
	}
	if ((rc = rso_seg_commit(w, &name, &e)) != 0)
		rso_diex(rc, "%s", e.msg);
	puts(name);
	free(name);
	rso_age_recipients_free(r);
	return 0;
}
