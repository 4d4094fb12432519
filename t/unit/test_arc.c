/* Unit tests for rso_arc: segments, refusals, compaction, crash safety. */
/* SPDX-License-Identifier: ISC */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "rso_age.h"
#include "rso_arc.h"
#include "rso_err.h"
#include "rso_hash.h"
#include "tap.h"

static char top[256], casedir[300], keyfile[300];
static struct rso_age_recipients *recips;
static struct rso_age_identities *ids;

static int
run(const char *fmt, const char *a, const char *b, const char *c)
{
	char *cmd = rso_xasprintf(fmt, a, b, c);
	int rc = system(cmd);

	free(cmd);
	return rc;
}

static void
write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, p, n) != (ssize_t)n)
		rso_die(EX_IOERR, "%s", path);
	close(fd);
}

/* Read a whole case or segment: "name=content;" for small entries. */
static int
slurp(struct rso_seg_reader *rd, char *out, size_t size, struct rso_error *e)
{
	struct rso_seg_entry ent;
	char buf[4096];
	size_t o = 0;
	ssize_t n, total;
	int got;

	out[0] = '\0';
	while ((got = rso_seg_next(rd, &ent, e)) > 0) {
		o += (size_t)snprintf(out + o, size - o, "%s=", ent.name);
		total = 0;
		while ((n = rso_seg_read(rd, buf, sizeof(buf), e)) > 0) {
			if (ent.size < 64)
				o += (size_t)snprintf(out + o, size - o, "%.*s",
				    (int)n, buf);
			total += n;
		}
		if (n < 0)
			return -1;
		if (ent.size >= 64)
			o += (size_t)snprintf(out + o, size - o, "[%zd]", total);
		o += (size_t)snprintf(out + o, size - o, ";");
	}
	return got;
}

static int
count_files(const char *dir)
{
	char *cmd = rso_xasprintf("ls -A %s | wc -l", dir);
	FILE *p = popen(cmd, "r");
	int n = -1;

	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	free(cmd);
	return n;
}

static void
test_names(void)
{
	ok(rso_seg_name_ok("case.json"), "name: case.json");
	ok(rso_seg_name_ok("records/0001-ct-head.dcm"), "name: a record");
	ok(!rso_seg_name_ok("/etc/passwd"), "name: absolute refused");
	ok(!rso_seg_name_ok("../x"), "name: .. refused");
	ok(!rso_seg_name_ok("a/../b"), "name: inner .. refused");
	ok(!rso_seg_name_ok("a/./b"), "name: . refused");
	ok(!rso_seg_name_ok("a//b"), "name: empty component refused");
	ok(!rso_seg_name_ok("a/"), "name: trailing slash refused");
	ok(!rso_seg_name_ok("a\\b"), "name: backslash refused");
	ok(!rso_seg_name_ok("a\nb"), "name: control character refused");
	ok(!rso_seg_name_ok(""), "name: empty refused");
}

static void
test_write_read(void)
{
	struct rso_seg_writer *w;
	struct rso_seg_sum sum, filesum;
	struct rso_seg_reader *rd;
	struct rso_error e = { 0 };
	char *name, out[4096], path[400], big[400];
	unsigned char *data = malloc(5 << 20);
	int fd;

	for (size_t i = 0; i < (5u << 20); i++)
		data[i] = (unsigned char)(i * 7 + i / 4096);
	snprintf(big, sizeof(big), "%s/big.bin", top);
	write_file(big, data, 5 << 20);

	w = rso_seg_create(casedir, recips, &e);
	ok(w != NULL, "segment: created");
	ok(rso_seg_add_buf(w, "case.json", "{\"v\":1}", 7, &e) == 0,
	    "segment: add case.json");
	ok(rso_seg_add_buf(w, "events.jsonl", "{\"seq\":1}\n", 10, &e) == 0,
	    "segment: add events.jsonl");
	fd = open(big, O_RDONLY);
	ok(rso_seg_add_fd(w, "records/0001-scan.bin", fd, 5 << 20, &e) == 0,
	    "segment: add 5 MiB from a descriptor");
	close(fd);
	is_int(rso_seg_add_buf(w, "case.json", "x", 1, &e), EX_DATAERR,
	    "segment: a duplicate name is refused");
	is_int(rso_seg_add_buf(w, "../x", "x", 1, &e), EX_DATAERR,
	    "segment: a bad name is refused");
	ok(rso_seg_commit_sum(w, &name, &sum, &e) == 0, "segment: committed");
	is_str(name, "000001.age", "segment: first is 000001.age");
	free(name);
	is_int(count_files(casedir), 1, "segment: no temp file left");
	ok(rso_seg_file_sum(casedir, "000001.age", &filesum, &e) == 0 &&
	    strcmp(sum.name, "000001.age") == 0 && sum.size == filesum.size &&
	    sum.size > (5 << 20) && strcmp(sum.sha256, filesum.sha256) == 0,
	    "segment: the sum written is the file's size and SHA-256");

	snprintf(path, sizeof(path), "%s/000001.age", casedir);
	rd = rso_seg_open(path, ids, &e);
	ok(rd != NULL, "segment: opens");
	is_int(slurp(rd, out, sizeof(out), &e), 0, "segment: reads to the end");
	is_str(out, "case.json={\"v\":1};events.jsonl={\"seq\":1}\n;"
	    "records/0001-scan.bin=[5242880];", "segment: entries") ;
	rso_seg_close(rd);

	/* Content check of the big entry. */
	{
		struct rso_seg_entry ent;
		unsigned char *back = malloc(5 << 20);
		size_t o = 0;
		ssize_t n;

		rd = rso_seg_open(path, ids, &e);
		while (rso_seg_next(rd, &ent, &e) > 0)
			if (strcmp(ent.name, "records/0001-scan.bin") == 0)
				while ((n = rso_seg_read(rd, back + o,
				    (5 << 20) - o, &e)) > 0)
					o += (size_t)n;
		ok(o == (5u << 20) && memcmp(back, data, o) == 0,
		    "segment: the 5 MiB entry reads back identical");
		rso_seg_close(rd);
		free(back);
	}

	/* Descriptor sizes must match. */
	w = rso_seg_create(casedir, recips, &e);
	fd = open(big, O_RDONLY);
	is_int(rso_seg_add_fd(w, "r", fd, (5 << 20) + 1, &e), EX_DATAERR,
	    "segment: a file shorter than promised is refused");
	close(fd);
	rso_seg_abort(w);
	w = rso_seg_create(casedir, recips, &e);
	fd = open(big, O_RDONLY);
	is_int(rso_seg_add_fd(w, "r", fd, 100, &e), EX_DATAERR,
	    "segment: a file longer than promised is refused");
	close(fd);
	is_int(rso_seg_commit(w, &name, &e), EX_SOFTWARE,
	    "segment: a failed segment cannot be committed");
	is_int(count_files(casedir), 1, "segment: failures leave nothing behind");

	/* A second segment; the case reads both, in order. */
	w = rso_seg_create(casedir, recips, &e);
	rso_seg_add_buf(w, "case.json", "{\"v\":2}", 7, &e);
	rso_seg_add_buf(w, "opinion/report.txt", "fine", 4, &e);
	ok(rso_seg_commit(w, &name, &e) == 0 && strcmp(name, "000002.age") == 0,
	    "segment: second is 000002.age");
	free(name);
	rd = rso_seg_open_case(casedir, ids, &e);
	is_int(slurp(rd, out, sizeof(out), &e), 0, "case: reads to the end");
	is_str(out, "case.json={\"v\":1};events.jsonl={\"seq\":1}\n;"
	    "records/0001-scan.bin=[5242880];case.json={\"v\":2};"
	    "opinion/report.txt=fine;", "case: every entry of both segments");
	rso_seg_close(rd);
	free(data);
}

/* Encrypt a hand-built tar (from build) into casedir/bad/NAME. */
static void
hostile(const char *file, void (*build)(struct archive *))
{
	static char tar[1 << 20];
	struct archive *a = archive_write_new();
	struct rso_age_writer *w;
	struct rso_error e = { 0 };
	size_t used = 0;
	char *path = rso_xasprintf("%s/bad/%s", top, file);
	int fd;

	archive_write_set_format_pax_restricted(a);
	archive_write_open_memory(a, tar, sizeof(tar), &used);
	build(a);
	archive_write_close(a);
	archive_write_free(a);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	w = rso_age_writer_fd(fd, recips, 0, &e);
	rso_age_write(w, tar, used, &e);
	rso_age_writer_close(w, &e);
	close(fd);
	free(path);
}

static void
entry(struct archive *a, const char *name, mode_t type, const char *link,
    int hard)
{
	struct archive_entry *ae = archive_entry_new();

	archive_entry_set_pathname(ae, name);
	archive_entry_set_filetype(ae, type);
	archive_entry_set_perm(ae, 0644);
	archive_entry_set_size(ae, type == AE_IFREG && !hard ? 2 : 0);
	if (link && hard)
		archive_entry_set_hardlink(ae, link);
	else if (link)
		archive_entry_set_symlink(ae, link);
	if (type == AE_IFCHR)
		archive_entry_set_rdev(ae, 0x0101);
	archive_write_header(a, ae);
	if (type == AE_IFREG && !hard)
		archive_write_data(a, "ok", 2);
	archive_entry_free(ae);
}

static void b_good(struct archive *a) { entry(a, "x", AE_IFREG, NULL, 0);
    entry(a, "d/", AE_IFDIR, NULL, 0); entry(a, "d/y", AE_IFREG, NULL, 0); }
static void b_abs(struct archive *a) { entry(a, "/etc/cron.d/x", AE_IFREG, NULL, 0); }
static void b_dotdot(struct archive *a) { entry(a, "a/../../x", AE_IFREG, NULL, 0); }
static void b_dotdot2(struct archive *a) { entry(a, "..", AE_IFDIR, NULL, 0); }
static void b_symlink(struct archive *a) { entry(a, "l", AE_IFLNK, "/etc/passwd", 0); }
static void b_hardlink(struct archive *a) { entry(a, "x", AE_IFREG, NULL, 0);
    entry(a, "h", AE_IFREG, "x", 1); }
static void b_chr(struct archive *a) { entry(a, "dev", AE_IFCHR, NULL, 0); }
static void b_fifo(struct archive *a) { entry(a, "p", AE_IFIFO, NULL, 0); }
static void b_dup(struct archive *a) { entry(a, "x", AE_IFREG, NULL, 0);
    entry(a, "x", AE_IFREG, NULL, 0); }
static void b_dotslash(struct archive *a) { entry(a, "./x", AE_IFREG, NULL, 0); }

static void
test_refusals(void)
{
	static const struct {
		const char *file;
		void (*build)(struct archive *);
		const char *want;
	} cases[] = {
		{ "good.age", b_good, NULL },
		{ "abs.age", b_abs, "entry 1: absolute path refused" },
		{ "dotdot.age", b_dotdot, "entry 1: \"..\" refused" },
		{ "dotdot2.age", b_dotdot2, "entry 1: \"..\" refused" },
		{ "symlink.age", b_symlink, "entry 1: link refused" },
		{ "hardlink.age", b_hardlink, "entry 2: link refused" },
		{ "chr.age", b_chr, "entry 1: not a regular file or directory" },
		{ "fifo.age", b_fifo, "entry 1: not a regular file or directory" },
		{ "dup.age", b_dup, "entry 2: duplicate name refused" },
		{ "dotslash.age", b_dotslash, "entry 1: invalid name refused" },
	};
	struct rso_seg_reader *rd;
	struct rso_error e = { 0 };
	char *dir = rso_xasprintf("%s/bad", top), *path, out[1024], want[256];
	size_t i;

	mkdir(dir, 0700);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hostile(cases[i].file, cases[i].build);
		path = rso_xasprintf("%s/%s", dir, cases[i].file);
		rd = rso_seg_open(path, ids, &e);
		e.msg[0] = '\0';
		if (cases[i].want == NULL) {
			ok(rd && slurp(rd, out, sizeof(out), &e) == 0,
			    "refusal: %s reads", cases[i].file);
			is_str(out, "x=ok;d=;d/y=ok;", "refusal: %s entries",
			    cases[i].file);
		} else {
			snprintf(want, sizeof(want), "%s: %s", path,
			    cases[i].want);
			ok(rd && slurp(rd, out, sizeof(out), &e) == -1 &&
			    e.status == EX_DATAERR, "refusal: %s refused",
			    cases[i].file);
			is_str(e.msg, want, "refusal: %s message", cases[i].file);
		}
		rso_seg_close(rd);
		free(path);
	}

	/* A flipped byte: the segment's MAC or a chunk fails. */
	path = rso_xasprintf("%s/good.age", dir);
	{
		int fd = open(path, O_RDWR);
		off_t end = lseek(fd, 0, SEEK_END);
		unsigned char c;

		pread(fd, &c, 1, end - 20);
		c ^= 0x40;
		pwrite(fd, &c, 1, end - 20);
		close(fd);
	}
	/* (libarchive reads ahead at open, so the open itself may fail.) */
	rd = rso_seg_open(path, ids, &e);
	ok((rd == NULL || slurp(rd, out, sizeof(out), &e) == -1) &&
	    e.status == EX_DATAERR, "refusal: a damaged segment is an error");
	ok(strstr(e.msg, "payload: chunk does not authenticate") != NULL,
	    "refusal: damaged segment message");
	rso_seg_close(rd);
	free(path);

	/* The wrong key: EX_NOPERM at open. */
	{
		struct rso_age_identities *other = rso_age_identities_new();
		char *sec, rec[RSO_AGE_RECIPIENT_LEN + 1];

		rso_age_keygen(&sec, rec, &e);
		rso_age_identities_add(other, sec, &e);
		rso_age_secret_free(sec);
		path = rso_xasprintf("%s/abs.age", dir);
		ok(rso_seg_open(path, other, &e) == NULL && e.status == EX_NOPERM,
		    "refusal: the wrong key is EX_NOPERM");
		free(path);
		rso_age_identities_free(other);
	}
	free(dir);
}

/* 300 names, then the eighth again: past the first table of the set. */
static void
b_many(struct archive *a)
{
	char name[32];
	int i;

	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "records/%04d-x", i);
		entry(a, name, AE_IFREG, NULL, 0);
	}
	entry(a, "records/0007-x", AE_IFREG, NULL, 0);
}

/*
 * The sets of names that refuse a duplicate grow as a segment does: no
 * name is refused the first time, each one the second, before and after
 * the sets grow.
 */
static void
test_many_names(void)
{
	struct rso_seg_writer *w;
	struct rso_seg_reader *rd;
	struct rso_seg_entry ent;
	struct rso_error e = { 0 };
	char name[32], *path;
	int i, n = 0, bad = 0, again = 0, got = 0;

	w = rso_seg_create(casedir, recips, &e);
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "records/%05d-x", i);
		bad += rso_seg_add_buf(w, name, "x", 1, &e) != 0;
		if (i == 10 || i == 4999) {
			snprintf(name, sizeof(name), "records/%05d-x", i / 2);
			again += rso_seg_add_buf(w, name, "x", 1, &e) ==
			    EX_DATAERR;
		}
	}
	is_int(bad, 0, "many names: 5,000 different names all taken");
	for (i = 0; i < 5000; i += 1249) {
		snprintf(name, sizeof(name), "records/%05d-x", i);
		again += rso_seg_add_buf(w, name, "y", 1, &e) == EX_DATAERR;
	}
	is_int(again, 7, "many names: each refused the second time");
	rso_seg_abort(w);

	/* A case of two segments, the second writing 500 names again: its
	 * latest versions are every name once, the second's where it has
	 * one. */
	{
		char dir[400], other[400], *seg = NULL;
		struct rso_seg_writer *c;
		int newer = 0;

		snprintf(dir, sizeof(dir), "%s/home/archives/RSO-2026-000009",
		    top);
		snprintf(other, sizeof(other), "%s/home/archives/RSO-2026-000010",
		    top);
		for (int k = 0; k < 2; k++) {
			w = rso_seg_create(dir, recips, &e);
			for (i = k ? 4500 : 0; i < 5000; i++) {
				snprintf(name, sizeof(name), "records/%05d-x", i);
				rso_seg_add_buf(w, name, k ? "2" : "1", 1, &e);
			}
			rso_seg_commit_sum(w, &seg, NULL, &e);
			free(seg);
		}
		c = rso_seg_create(other, recips, &e);
		ok(rso_seg_copy_latest(dir, ids, c, NULL, NULL, &e) == 0 &&
		    rso_seg_commit_sum(c, &seg, NULL, &e) == 0,
		    "many names: the latest of 5,500 entries copied");
		path = rso_xasprintf("%s/%s", other, seg);
		rd = rso_seg_open(path, ids, &e);
		n = 0;
		while (rd != NULL && (got = rso_seg_next(rd, &ent, &e)) > 0) {
			char v = 0;

			n++;
			if (rso_seg_read(rd, &v, 1, &e) == 1 && v == '2')
				newer++;
		}
		is_int(n, 5000, "many names: each name once");
		is_int(newer, 500, "many names: the newer version of each");
		rso_seg_close(rd);
		free(path);
		free(seg);
		n = 0;
	}

	hostile("many.age", b_many);
	path = rso_xasprintf("%s/bad/many.age", top);
	rd = rso_seg_open(path, ids, &e);
	while (rd != NULL && (got = rso_seg_next(rd, &ent, &e)) > 0)
		n++;
	is_int(n, 300, "many names: 300 different names read");
	ok(rd != NULL && got == -1 && e.status == EX_DATAERR &&
	    strstr(e.msg, "entry 301: duplicate name refused") != NULL,
	    "many names: the 301st, a name again, refused");
	rso_seg_close(rd);
	free(path);
}

static void
test_compact(void)
{
	struct rso_seg_writer *w;
	struct rso_seg_reader *rd;
	struct rso_error e = { 0 };
	char *name, out[4096], **list, **merged, *save = rso_xasprintf("%s/save", top);
	const char *want = "case.json={\"v\":3};opinion/report.txt=fine;"
	    "events.jsonl={\"seq\":1}\n;records/0001-scan.bin=[5242880];";

	w = rso_seg_create(casedir, recips, &e);
	rso_seg_add_buf(w, "case.json", "{\"v\":3}", 7, &e);
	rso_seg_commit(w, &name, &e);
	is_str(name, "000003.age", "compact: third segment");
	free(name);
	mkdir(save, 0700);
	run("cp %s/*.age %s/", casedir, save, NULL);
	/* An interrupted writer's temp file must not matter. */
	run("echo junk >%s/.seg-crashed", casedir, NULL, NULL);

	ok(rso_seg_compact(casedir, recips, ids, 0, NULL, NULL, &merged, &e) ==
	    0 && merged[0] != NULL && merged[1] == NULL, "compact: merges");
	is_str(merged[0], "000001-000003.age", "compact: merged name covers 1..3");
	rso_seg_list_free(merged);
	ok(rso_seg_list(casedir, &list, &e) == 0 && list[0] != NULL &&
	    strcmp(list[0], "000001-000003.age") == 0 && list[1] == NULL,
	    "compact: only the merged segment is live");
	rso_seg_list_free(list);
	is_int(count_files(casedir), 2, "compact: old segments removed");
	rd = rso_seg_open_case(casedir, ids, &e);
	is_int(slurp(rd, out, sizeof(out), &e), 0, "compact: case reads");
	is_str(out, want, "compact: latest version of each name, once");
	rso_seg_close(rd);

	/* A crash before the old segments went: both present. */
	run("cp %s/*.age %s/", save, casedir, NULL);
	ok(rso_seg_list(casedir, &list, &e) == 0 && list[0] != NULL &&
	    strcmp(list[0], "000001-000003.age") == 0 && list[1] == NULL,
	    "crash: replaced segments are not live");
	rso_seg_list_free(list);
	rd = rso_seg_open_case(casedir, ids, &e);
	is_int(slurp(rd, out, sizeof(out), &e), 0, "crash: case reads");
	is_str(out, want, "crash: each entry once, not double counted");
	rso_seg_close(rd);
	/* A crash before the merged segment was linked: the old ones. */
	{
		char *tmpdir = rso_xasprintf("%s/before", top);

		mkdir(tmpdir, 0700);
		run("cp %s/*.age %s/ && echo partial >%s/.seg-XXXX", save, tmpdir,
		    tmpdir);
		rd = rso_seg_open_case(tmpdir, ids, &e);
		is_int(slurp(rd, out, sizeof(out), &e), 0,
		    "crash: before the link, the old segments read");
		rso_seg_close(rd);
		ok(strstr(out, "case.json={\"v\":3};") != NULL,
		    "crash: before the link, latest case.json present");
		free(tmpdir);
	}
	/* Compacting again finishes the interrupted removal. */
	ok(rso_seg_compact(casedir, recips, ids, 0, NULL, NULL, &merged, &e) ==
	    0 && merged[0] == NULL, "compact: nothing more to merge");
	rso_seg_list_free(merged);
	is_int(count_files(casedir), 2, "compact: leftovers removed");
	/* New segments continue after the merged range. */
	w = rso_seg_create(casedir, recips, &e);
	rso_seg_add_buf(w, "events.jsonl", "{\"seq\":2}\n", 10, &e);
	ok(rso_seg_commit(w, &name, &e) == 0 && strcmp(name, "000004.age") == 0,
	    "compact: the next segment is 000004.age");
	free(name);
	ok(rso_seg_compact(casedir, recips, ids, 0, NULL, NULL, &merged, &e) ==
	    0 && merged[0] != NULL && strcmp(merged[0], "000001-000004.age") ==
	    0, "compact: merges again");
	rso_seg_list_free(merged);
	rd = rso_seg_open_case(casedir, ids, &e);
	is_int(slurp(rd, out, sizeof(out), &e), 0, "compact: reads again");
	is_str(out, "events.jsonl={\"seq\":2}\n;case.json={\"v\":3};"
	    "opinion/report.txt=fine;records/0001-scan.bin=[5242880];",
	    "compact: the newest events.jsonl won");
	rso_seg_close(rd);

	/* Overlapping ranges mean someone else wrote here: refuse. */
	{
		char *odd = rso_xasprintf("%s/odd", top);

		mkdir(odd, 0700);
		run("touch %s/000001-000003.age %s/000002-000005.age", odd, odd,
		    NULL);
		is_int(rso_seg_list(odd, &list, &e), EX_DATAERR,
		    "list: overlapping ranges refused");
		free(odd);
	}
	is_int(rso_seg_list("/nonexistent/case", &list, &e), EX_NOINPUT,
	    "list: a missing case is EX_NOINPUT");
	free(save);
}

/* The segment is a plain age file holding a plain tar. */
static void
test_tools(void)
{
	char *seg = rso_xasprintf("%s/000001-000004.age", casedir);
	char *x = rso_xasprintf("%s/x", top);

	if (system("command -v age >/dev/null && command -v bsdtar >/dev/null "
	    "&& command -v tar >/dev/null") != 0) {
		printf("ok %d - # skip age, bsdtar or tar missing\n", ++tap_n);
		return;
	}
	is_int(run("age -d -i %s %s | bsdtar -tvf - >%s.list", keyfile, seg, x), 0,
	    "tools: age -d | bsdtar -tv lists the segment");
	is_int(run("grep -q ' records/0001-scan.bin$' %s.list && "
	    "grep -q ' case.json$' %s.list && grep -c . %s.list | grep -qx 4",
	    x, x, x), 0, "tools: the listing has the four entries");
	mkdir(x, 0700);
	is_int(run("age -d -i %s %s | tar -x -C %s", keyfile, seg, x), 0,
	    "tools: age -d | tar -x extracts");
	is_int(run("cmp -s %s/records/0001-scan.bin %s/big.bin && "
	    "test \"$(cat %s/case.json)\" = '{\"v\":3}'", x, top, x), 0,
	    "tools: extracted files are identical");
	free(seg);
	free(x);
}

/*
 * The ciphertext's SHA-256 hashed on a second thread: the same digest as
 * in one go, whatever the sizes it is handed in, across the queue's
 * 256 KiB slots and with the queue full (more than 1 MiB handed at once).
 */
static void
test_bg_hash(void)
{
	static const size_t total[] = { 0, 1, 262143, 262144, 262145, 1048577,
	    5 * 1048576 + 7, 13 * 1048576 + 3 };
	static const size_t piece[] = { 1, 65552, 3 * 1048576 + 1, 9 * 1048576 };
	size_t cap = 13 * 1048576 + 3, i, j, off, n;
	unsigned char *buf = rso_xmalloc(cap);
	char want[RSO_SHA256_HEXLEN], got[RSO_SHA256_HEXLEN];
	struct rso_sha256_bg *q;
	int same = 1;

	for (i = 0; i < cap; i++)
		buf[i] = (unsigned char)(i * 2654435761u >> 13);
	for (i = 0; i < sizeof(total) / sizeof(*total); i++) {
		rso_sha256_hex(buf, total[i], want);
		for (j = 0; j < sizeof(piece) / sizeof(*piece); j++) {
			q = rso_sha256_bg_new();
			for (off = 0; off < total[i]; off += n) {
				n = total[i] - off < piece[j] ? total[i] - off :
				    piece[j];
				rso_sha256_bg_update(q, buf + off, n);
			}
			rso_sha256_bg_final_hex(q, got);
			same &= strcmp(want, got) == 0;
		}
	}
	ok(same, "SHA-256 on a second thread: the same digest, any sizes");
	free(buf);
}

/*
 * Several streams through one queue, cut one after another: each digest
 * that stream's alone, an empty stream too, whether a cut falls inside a
 * slot, at its end, or after a full queue.
 */
static void
test_bg_cut(void)
{
	static const size_t len[] = { 5, 0, 262144 - 5, 1048576 * 3 + 11, 1,
	    262144 };
	enum { N = sizeof(len) / sizeof(*len) };
	char want[N][RSO_SHA256_HEXLEN], got[N][RSO_SHA256_HEXLEN], rest[65];
	size_t cap = 0, i, off = 0;
	unsigned char *buf;
	struct rso_sha256_bg *q = rso_sha256_bg_new();
	int same = 1, waited;

	for (i = 0; i < N; i++)
		cap += len[i];
	buf = rso_xmalloc(cap);
	for (i = 0; i < cap; i++)
		buf[i] = (unsigned char)(i * 40503u >> 7);
	for (i = 0; i < N; i++) {
		rso_sha256_hex(buf + off, len[i], want[i]);
		got[i][0] = '\0';
		rso_sha256_bg_update(q, buf + off, len[i]);
		rso_sha256_bg_cut(q, got[i]);
		off += len[i];
	}
	rso_sha256_bg_wait(q);
	for (i = 0; i < N; i++)
		same &= strcmp(want[i], got[i]) == 0;
	/* What follows the last cut is a stream of its own. */
	rso_sha256_bg_update(q, buf, len[0]);
	rso_sha256_bg_final_hex(q, rest);
	ok(same, "SHA-256 streams cut on a second thread: each its own digest");
	ok(strcmp(rest, want[0]) == 0, "after the last cut, a stream of its own");
	/* A cut before anything was handed over. */
	q = rso_sha256_bg_new();
	rso_sha256_bg_cut(q, got[0]);
	rso_sha256_bg_wait(q);
	rso_sha256_hex("", 0, want[0]);
	waited = strcmp(got[0], want[0]) == 0;
	rso_sha256_bg_final_hex(q, rest);
	ok(waited, "a cut with nothing before it: the empty stream's digest");
	free(buf);
}

int
main(void)
{
	struct rso_error e = { 0 };
	char *sec, rec[RSO_AGE_RECIPIENT_LEN + 1], *text;
	const char *tmp = getenv("TMPDIR");

	rso_setprogname("test_arc");
	setenv("RSO_NOW", "2026-10-01T12:00:00Z", 1);
	snprintf(top, sizeof(top), "%s/test_arc.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(top) == NULL)
		rso_die(EX_CANTCREAT, "mkdtemp");
	snprintf(casedir, sizeof(casedir), "%s/home/archives/RSO-2026-000001",
	    top);
	snprintf(keyfile, sizeof(keyfile), "%s/key.txt", top);
	rso_age_keygen(&sec, rec, &e);
	text = rso_xasprintf("# test key\n%s\n", sec);
	write_file(keyfile, text, strlen(text));
	free(text);
	rso_age_secret_free(sec);
	recips = rso_age_recipients_new();
	ids = rso_age_identities_new();
	rso_age_recipients_add(recips, rec, &e);
	ok(rso_age_identities_load(ids, keyfile, &e) == 0, "identity file loads");

	test_bg_hash();
	test_bg_cut();
	test_names();
	test_write_read();
	test_refusals();
	test_many_names();
	test_compact();
	test_tools();

	rso_age_recipients_free(recips);
	rso_age_identities_free(ids);
	if (tap_failed == 0)
		run("rm -rf %s", top, NULL, NULL);
	return tap_done();
}
