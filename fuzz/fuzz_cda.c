/* fuzz_cda: any bytes read as a C-CDA and, when one, shown as HTML; read
 * from a file (a memfd) too, which must read and show them alike; and
 * from the file with its text thinned past a few bytes, which must read
 * or refuse it alike. */
/* SPDX-License-Identifier: ISC */
#include <sys/mman.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_cda.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A fault from a file is a fault from memory too, said the same way
 * ("line N: ..."), though not always with the same words: libxml2 reading
 * a file in pieces may stop at a broken encoding or a PI target it only
 * warns of in a whole buffer, before what the whole buffer is refused for.
 */
static int
same_fault(const char *a, const char *b)
{
	return strncmp(a, "line ", 5) == 0 && strncmp(b, "line ", 5) == 0;
}

/* What the same bytes read from a file give: abort when not what memory
 * gave (status, fault, fields, page). */
static void
same_from_file(const uint8_t *data, size_t size, int rc,
    const struct rso_doc_info *d, const struct rso_error *e,
    const char *page, size_t n)
{
	struct rso_doc_info fd_d;
	struct rso_error fd_e = { 0 };
	char *out = NULL;
	size_t on = 0;
	FILE *fp;
	int fd = memfd_create("fuzz_cda", 0);

	if (fd < 0)
		return;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return;
	}
	memset(&fd_d, 0, sizeof(fd_d));
	if (rso_cda_read_fd(fd, size, &fd_d, &fd_e) != rc ||
	    (rc == -1 && !same_fault(fd_e.msg, e->msg)) ||
	    (rc == 0 && memcmp(&fd_d, d, sizeof(fd_d)) != 0))
		abort();
	if ((fp = open_memstream(&out, &on)) == NULL) {
		close(fd);
		return;
	}
	if (rso_cda_render_fd(fd, size, fp, &fd_e) != rc)
		abort();
	/* Read or refused alike: what is read is read and shown alike. */
	fclose(fp);
	if (rc == 0 && (on != n || memcmp(out, page, n) != 0))
		abort();
	free(out);
	/* Thinned: the markup is the same, so the same status and fault
	 * (only text may be cut). */
	rso_cda_text_cap(1 + size % 24);
	memset(&fd_d, 0, sizeof(fd_d));
	if (rso_cda_read_fd(fd, size, &fd_d, &fd_e) != rc ||
	    (rc == -1 && !same_fault(fd_e.msg, e->msg)) ||
	    (rc == 0 && (strcmp(fd_d.code, d->code) != 0 ||
	    strcmp(fd_d.date, d->date) != 0 || fd_d.patient.nid !=
	    d->patient.nid)))
		abort();
	rso_cda_text_cap(1 << 20);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rso_doc_info d;
	struct rso_error e = { 0 }, read_e;
	char *out = NULL;
	size_t n = 0;
	FILE *fp;
	int rc;

	memset(&d, 0, sizeof(d));
	rc = rso_cda_read((const char *)data, size, &d, &e);
	read_e = e;
	/* What was read is always a string within its field. */
	if (rc == 0 && (memchr(d.patient.name, '\0', sizeof(d.patient.name))
	    == NULL || memchr(d.title, '\0', sizeof(d.title)) == NULL))
		abort();
	if (rc == -1 && (e.status == 0 || strncmp(e.msg, "line ", 5) != 0))
		abort();
	if ((fp = open_memstream(&out, &n)) == NULL)
		return 0;
	if (rso_cda_render((const char *)data, size, fp, &e) != rc)
		abort();
	fclose(fp);
	same_from_file(data, size, rc, &d, &read_e, out, n);
	/* Nothing from the document may open a tag of its own. */
	if (rc == 0 && (strstr(out, "<script") || strstr(out, "<a ") ||
	    strstr(out, "<link") || strstr(out, "<img")))
		abort();
	free(out);
	return 0;
}
