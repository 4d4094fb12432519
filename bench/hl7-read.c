/* hl7-read: split an HL7 v2 file into messages and read each, for
 * bench/hl7.sh: the inbox's own reading, without the filing around it. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>

#include "rso_err.h"
#include "rso_hl7_read.h"

/* usage: hl7-read FILE; prints the number of messages read. */
int
main(int argc, char **argv)
{
	struct rso_hl7_span *v;
	struct rso_doc_info d;
	char why[128], *buf;
	size_t n = 0, count, i;
	FILE *fp;
	long size;

	rso_setprogname(argv[0]);
	if (argc != 2 || (fp = fopen(argv[1], "rb")) == NULL ||
	    fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0)
		rso_die(EX_NOINPUT, "%s", argc == 2 ? argv[1] : "usage");
	rewind(fp);
	buf = rso_xmalloc((size_t)size + 1);
	if (fread(buf, 1, (size_t)size, fp) != (size_t)size)
		rso_die(EX_IOERR, "%s", argv[1]);
	fclose(fp);
	if (rso_hl7_split(buf, (size_t)size, &v, &count, why, sizeof(why)) != 0)
		rso_diex(EX_DATAERR, "%s: %s", argv[1], why);
	for (i = 0; i < count; i++)
		if (rso_hl7_read(buf + v[i].off, v[i].len, &d, why,
		    sizeof(why)) == 0 && d.patient.name[0])
			n++;
	printf("%zu\n", n);
	free(v);
	free(buf);
	return 0;
}
