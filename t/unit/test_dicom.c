/*
 * Unit tests for rso_dicom: every fixture scripts/gen-dicom writes (pydicom
 * and dcmtk, each transfer syntax, character sets, nested sequences,
 * encapsulated pixel data, broken files, documents that are not DICOM) is
 * read and compared with what pydicom read from it; every prefix of a few
 * files must fail cleanly; dates convert both ways.
 */
/* SPDX-License-Identifier: ISC */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "rso_dicom.h"
#include "rso_err.h"
#include "tap.h"

static const char *const fields[] = { "patient_name", "patient_id",
    "patient_birth_date", "study_instance_uid", "series_instance_uid",
    "sop_instance_uid", "sop_class_uid", "study_date", "study_time",
    "accession_number", "modality",
    "body_part_examined", "study_description", "specific_character_set",
    "transfer_syntax_uid", NULL };

static const char *
field(const struct rso_dicom_info *d, const char *name)
{
#define F(n) if (strcmp(name, #n) == 0) return d->n
	F(patient_name); F(patient_id); F(patient_birth_date);
	F(study_instance_uid); F(series_instance_uid); F(sop_instance_uid);
	F(sop_class_uid); F(study_date); F(study_time); F(accession_number);
	F(modality); F(body_part_examined);
	F(study_description); F(specific_character_set);
	F(transfer_syntax_uid);
#undef F
	return NULL;
}

static const char *
syntax_name(int s)
{
	switch (s) {
	case RSO_DICOM_IMPLICIT_LE: return "implicit_le";
	case RSO_DICOM_EXPLICIT_LE: return "explicit_le";
	case RSO_DICOM_EXPLICIT_BE: return "explicit_be";
	case RSO_DICOM_DEFLATED_LE: return "deflated_le";
	}
	return "?";
}

static void *
slurp(const char *path, size_t *n)
{
	struct stat st;
	char *p;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) != 0)
		rso_die(EX_NOINPUT, "%s", path);
	p = rso_xmalloc(st.st_size + 1);
	if (read(fd, p, st.st_size) != st.st_size)
		rso_die(EX_IOERR, "%s", path);
	close(fd);
	*n = st.st_size;
	return p;
}

/* Text fields of a file in a character set rso does not convert are '?'. */
static int
text_field(const char *name)
{
	return strcmp(name, "patient_name") == 0 ||
	    strcmp(name, "patient_id") == 0 ||
	    strcmp(name, "study_description") == 0;
}

static void
check_ok(const char *name, const json_t *exp, const struct rso_dicom_info *d)
{
	const char *const *f;
	const char *want;
	int unsupported = json_is_true(json_object_get(exp,
	    "charset_unsupported"));

	for (f = fields; *f; f++) {
		want = json_string_value(json_object_get(exp, *f));
		if (unsupported && text_field(*f))
			continue;
		is_str(field(d, *f), want ? want : "", "%s: %s", name, *f);
	}
	is_str(syntax_name(d->syntax), json_string_value(json_object_get(exp,
	    "syntax")), "%s: syntax", name);
	is_int(!!(d->flags & RSO_DICOM_PREAMBLE),
	    json_is_true(json_object_get(exp, "preamble")), "%s: preamble",
	    name);
	if (unsupported)
		ok(d->flags & RSO_DICOM_CHARSET_UNSUPPORTED,
		    "%s: unsupported character set flagged", name);
}

static void
check_fixture(const char *dir, const char *name)
{
	char path[512], jpath[600];
	struct rso_dicom_info d, m;
	struct rso_error e, em;
	const char *expect;
	json_t *exp;
	size_t n;
	void *p;
	int fd, rc, rcm;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(jpath, sizeof(jpath), "%s.json", path);
	if ((exp = json_load_file(jpath, 0, NULL)) == NULL)
		rso_die(EX_DATAERR, "%s: not JSON", jpath);
	expect = json_string_value(json_object_get(exp, "expect"));
	if ((fd = open(path, O_RDONLY)) < 0)
		rso_die(EX_NOINPUT, "%s", path);
	rc = rso_dicom_read_fd(fd, &d, &e);
	close(fd);
	p = slurp(path, &n);
	rcm = rso_dicom_read_mem(p, n, &m, &em);
	is_int(rcm, rc, "%s: read from memory as from a descriptor", name);
	if (strcmp(expect, "ok") == 0) {
		is_int(rc, 0, "%s: reads (%s)", name, rc ? e.msg : "ok");
		if (rc == 0)
			check_ok(name, exp, &d);
		ok(rso_dicom_sniff(p, n < RSO_DICOM_SNIFF_LEN ? n :
		    RSO_DICOM_SNIFF_LEN) != RSO_DICOM_NONE, "%s: sniffed as "
		    "DICOM", name);
	} else if (strcmp(expect, "notdicom") == 0) {
		is_int(rso_dicom_sniff(p, n < RSO_DICOM_SNIFF_LEN ? n :
		    RSO_DICOM_SNIFF_LEN), RSO_DICOM_NONE, "%s: not sniffed as "
		    "DICOM", name);
		is_int(rc, EX_DATAERR, "%s: refused", name);
	} else {
		is_int(rc, EX_DATAERR, "%s: refused as broken (%s)", name,
		    rc ? e.msg : "read");
		ok(rc == 0 || strcmp(e.msg, "not a DICOM file") != 0,
		    "%s: the message says what is broken: %s", name,
		    rc ? e.msg : "");
	}
	free(p);
	json_decref(exp);
}

/* Every prefix of a good file is an error or a full read, never a crash. */
static void
check_prefixes(const char *dir, const char *name)
{
	struct rso_dicom_info d;
	struct rso_error e;
	char path[512];
	size_t n, k, bad = 0;
	unsigned char *p;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	p = slurp(path, &n);
	for (k = 0; k < n && k < 4096; k++) {
		int rc = rso_dicom_read_mem(p, k, &d, &e);
		if (rc != 0 && rc != EX_DATAERR)
			bad++;
		if (rc != 0 && strstr(e.msg, "TEST") != NULL)
			bad++;	/* a message must never carry a value */
	}
	is_int(bad, 0, "%s: %zu prefixes fail cleanly, without values",
	    name, k);
	/* Flip each byte of the header in turn: still no crash. */
	for (k = 0; k < n && k < 2048; k++) {
		p[k] ^= 0xff;
		(void)rso_dicom_read_mem(p, n, &d, &e);
		p[k] ^= 0xff;
	}
	ok(1, "%s: %zu single-byte corruptions read without a crash", name, k);
	free(p);
}

static void
check_dates(void)
{
	char iso[11], da[9];

	is_int(rso_dicom_da_to_iso("20240229", iso), 0, "leap day converts");
	is_str(iso, "2024-02-29", "DA to ISO");
	is_int(rso_dicom_da_to_iso("1961.03.01", iso), 0, "old DA form");
	is_str(iso, "1961-03-01", "old DA to ISO");
	is_int(rso_dicom_da_to_iso("20230229", iso), EX_DATAERR,
	    "no 29 February in 2023");
	is_int(rso_dicom_da_to_iso("2024013", iso), EX_DATAERR, "short DA");
	is_int(rso_dicom_iso_to_da("1980-12-31", da), 0, "ISO converts");
	is_str(da, "19801231", "ISO to DA");
	is_int(rso_dicom_iso_to_da("1980-13-01", da), EX_DATAERR, "month 13");
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
is_fixture(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

/* UTF-8 (ISO_IR 192) is checked strictly, whatever iconv lets through. */
static void
check_utf8_text(void)
{
	char out[64];
	unsigned f;

	f = rso_dicom_text_decode("ISO_IR 192",
	    (const unsigned char *)"A\xF5\xB2\xAC\xB7" "B", 6, 0, out, sizeof(out));
	ok(strcmp(out, "A\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
	    "B") == 0 && (f & RSO_DICOM_LOSSY), "F5.. is no UTF-8: U+FFFD each");
	f = rso_dicom_text_decode("ISO_IR 192",
	    (const unsigned char *)"M\xC3\xBCller", 7, 0, out, sizeof(out));
	ok(strcmp(out, "M\xC3\xBCller") == 0 && !(f & RSO_DICOM_LOSSY),
	    "valid UTF-8 kept as it is");
	f = rso_dicom_text_decode("ISO_IR 192",
	    (const unsigned char *)"Ab\xE5\xB1", 4, 1, out, sizeof(out));
	ok(strcmp(out, "Ab") == 0 && (f & RSO_DICOM_LOSSY),
	    "a character cut by the value's end is dropped");
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	struct dirent **ents;
	char dir[256], cmd[600];
	int n, i;

	rso_setprogname("test_dicom");
	snprintf(dir, sizeof(dir), "%s/test_dicom.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		rso_die(EX_CANTCREAT, "mkdtemp");
	snprintf(cmd, sizeof(cmd), "scripts/gen-dicom %s", dir);
	if (system(cmd) != 0)
		rso_die(EX_SOFTWARE, "scripts/gen-dicom failed");
	if ((n = scandir(dir, &ents, is_fixture, by_name)) < 20)
		rso_die(EX_SOFTWARE, "%s: too few fixtures", dir);
	for (i = 0; i < n; i++) {
		ents[i]->d_name[strlen(ents[i]->d_name) - 5] = '\0';
		check_fixture(dir, ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	check_prefixes(dir, "explicit_le.dcm");
	check_prefixes(dir, "deflated.dcm");
	check_prefixes(dir, "nested_implicit.dcm");
	check_prefixes(dir, "explicit_be.dcm");
	check_dates();
	check_utf8_text();
	if (tap_failed == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		(void)system(cmd);
	}
	return tap_done();
}
