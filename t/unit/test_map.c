/* Unit tests for rso_map: a file's bytes in windows, and a file cut short
 * while it is read. */
/* SPDX-License-Identifier: ISC */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_map.h"
#include "tap.h"

/* What the walk was given, compared as it comes. */
struct seen {
	const unsigned char *want;
	size_t at, calls, biggest;
	int wrong;
	int fd;			/* to cut short on the first window */
	off_t cut_to;
	int stop_at;		/* a status to return on the second window */
};

static int
look(void *ctx, const void *p, size_t n, struct rso_error *e)
{
	struct seen *s = ctx;
	const volatile unsigned char *b = p;

	if (s->cut_to >= 0 && s->calls == 0) {
		if (ftruncate(s->fd, s->cut_to) != 0)
			return rso_error_set(e, EX_IOERR, "ftruncate");
		/* The window's last byte is now past the end. */
		(void)b[n - 1];
	}
	if (++s->calls == 2 && s->stop_at)
		return rso_error_set(e, s->stop_at, "stopped");
	if (memcmp(p, s->want + s->at, n) != 0)
		s->wrong = 1;
	s->at += n;
	if (n > s->biggest)
		s->biggest = n;
	return 0;
}

/* A walk inside a walk: each window of the outer file walks a range of
 * the inner one, which must not take the outer window's buffer. */
struct nest {
	struct seen outer, inner;
	int inner_fd;
};

static int
look_nested(void *ctx, const void *p, size_t n, struct rso_error *e)
{
	struct nest *ns = ctx;
	int rc;

	ns->inner.at = 0;
	if ((rc = rso_map_range(ns->inner_fd, 0, 3 << 20, look, &ns->inner,
	    e)) != 0)
		return rc;
	return look(&ns->outer, p, n, e);
}

static struct seen
seen_of(const unsigned char *want, size_t at)
{
	struct seen s = { want, at, 0, 0, 0, -1, -1, 0 };

	return s;
}

static int
file_of(const char *path, const unsigned char *data, size_t n)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, data, n) != (ssize_t)n)
		abort();
	return fd;
}

/*
 * A SIGBUS outside a walk still ends the process, as it would have: by
 * the signal, or under a sanitizer by its handler's report.
 */
/* A range smaller than a window. */
#define SMALL (64 * 1024)

static int
stray_sigbus_kills(const char *path)
{
	int fd, st;
	pid_t pid = fork();
	volatile unsigned char *m;

	if (pid == 0) {
		/* A sanitizer's report of the fault is expected: not shown. */
		if ((fd = open("/dev/null", O_WRONLY)) >= 0)
			dup2(fd, 2);
		fd = open(path, O_RDWR);
		if (fd < 0 || ftruncate(fd, 8192) != 0)
			_exit(2);
		m = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED || ftruncate(fd, 0) != 0)
			_exit(2);
		(void)m[4096];
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 0;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	/* The sanitizer reports the fault and exits, each its own way. */
	return WIFEXITED(st) && WEXITSTATUS(st) != 0;
#else
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS;
#endif
}

int
main(void)
{
	char dir[] = "/tmp/test_map.XXXXXX", path[64];
	size_t big = 5 * 1024 * 1024 + 123, i;
	unsigned char *data = malloc(big);
	struct rso_error e = { 0 };
	struct seen s;
	int fd, p[2];

	if (data == NULL || mkdtemp(dir) == NULL)
		return 1;
	for (i = 0; i < big; i++)
		data[i] = (unsigned char)(i * 7 + i / 4096);
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = file_of(path, data, big);

	s = seen_of(data, 0);
	is_int(rso_map_range(fd, 0, (off_t)big, look, &s, &e), 0,
	    "map: a whole file walks");
	ok(s.at == big && !s.wrong, "map: every byte, in order");
	ok(s.calls == 3 && s.biggest == RSO_MAP_WINDOW,
	    "map: in windows of at most RSO_MAP_WINDOW");

	s = seen_of(data, 4097);
	is_int(rso_map_range(fd, 4097, 3 << 20, look, &s, &e), 0,
	    "map: a range starting inside a page walks");
	ok(s.at == 4097 + (3u << 20) && !s.wrong, "map: the range's bytes");

	s = seen_of(data, 0);
	is_int(rso_map_range(fd, 0, 0, look, &s, &e), 0,
	    "map: an empty range is nothing to do");
	is_int(s.calls, 0, "map: ...and calls nothing");

	s = seen_of(data, 0);
	s.stop_at = EX_CANTCREAT;
	is_int(rso_map_range(fd, 0, (off_t)big, look, &s, &e), EX_CANTCREAT,
	    "map: the callback's status stops the walk");
	is_str(e.msg, "stopped", "map: ...with its message");

	s = seen_of(data, 0);
	is_int(rso_map_range(fd, 0, (off_t)big + 1, look, &s, &e), EX_DATAERR,
	    "map: a file shorter than the range is refused");
	is_str(e.msg, "shrank while being read", "map: ...as shrunk");
	is_int(s.calls, 0, "map: ...before anything is handed over");

	/* Cut to 1 MiB inside the first 2 MiB window: its last page faults. */
	s = seen_of(data, 0);
	s.fd = fd;
	s.cut_to = 1 << 20;
	is_int(rso_map_range(fd, 0, (off_t)big, look, &s, &e), EX_DATAERR,
	    "map: a file cut short while read is an error, not SIGBUS");
	is_str(e.msg, "shrank while being read", "map: ...said as shrunk");

	/* Cut inside the last page: no fault, zeros; its size tells. */
	close(fd);
	fd = file_of(path, data, 10000);
	s = seen_of(data, 0);
	s.fd = fd;
	s.cut_to = 9000;
	is_int(rso_map_range(fd, 0, 10000, look, &s, &e), EX_DATAERR,
	    "map: a file cut short inside its last page is found afterwards");

	/* A small range after a big one: the kept buffer, the same bytes. */
	close(fd);
	fd = file_of(path, data, SMALL + 4096);
	s = seen_of(data, 100);
	is_int(rso_map_range(fd, 100, SMALL, look, &s, &e), 0,
	    "map: a small range walks");
	ok(s.at == 100 + SMALL && !s.wrong && s.calls == 1,
	    "map: ...its bytes, in one call");

	close(fd);
	fd = file_of(path, data, big);
	s = seen_of(data, 0);
	is_int(rso_map_range(fd, 0, (off_t)big, look, &s, &e), 0,
	    "map: a walk after a file cut short works as before");
	ok(s.at == big && !s.wrong, "map: ...every byte");

	{
		struct nest ns;
		char inner[80];

		snprintf(inner, sizeof(inner), "%s/g", dir);
		ns.outer = seen_of(data, 0);
		ns.inner = seen_of(data + 7, 0);
		ns.inner_fd = file_of(inner, data + 7, 3 << 20);
		is_int(rso_map_range(fd, 0, (off_t)big, look_nested, &ns, &e),
		    0, "map: a walk inside a walk's callback");
		ok(ns.outer.at == big && !ns.outer.wrong && !ns.inner.wrong &&
		    ns.inner.calls == 2 * ns.outer.calls,
		    "map: ...each its own bytes, neither buffer taken by the other");
		close(ns.inner_fd);
		unlink(inner);
	}
	close(fd);

	ok(stray_sigbus_kills(path), "map: a SIGBUS outside a walk still kills");

	/* Not a regular file: read, so a pipe is refused as unseekable. */
	if (pipe(p) != 0)
		return 1;
	s = seen_of(data, 0);
	is_int(rso_map_range(p[0], 0, 10, look, &s, &e), EX_IOERR,
	    "map: a pipe cannot be read at an offset");
	/* ...but read to its end whole. */
	if (write(p[1], data, 4096) != 4096)
		return 1;
	close(p[1]);
	s = seen_of(data, 0);
	is_int(rso_map_rest(p[0], look, &s, &e), 0,
	    "map: the rest of a pipe is read");
	ok(s.at == 4096 && !s.wrong, "map: ...every byte it gave");
	close(p[0]);

	/* The rest of a file from its offset, the offset left at its end. */
	fd = file_of(path, data, big);
	s = seen_of(data, 4097);
	ok(lseek(fd, 4097, SEEK_SET) == 4097 &&
	    rso_map_rest(fd, look, &s, &e) == 0,
	    "map: the rest of a file from its offset walks");
	ok(s.at == big && !s.wrong, "map: ...its bytes to the end");
	ok(lseek(fd, 0, SEEK_CUR) == (off_t)big, "map: ...the offset at the end");
	close(fd);

	unlink(path);
	rmdir(dir);
	free(data);
	return tap_done();
}
