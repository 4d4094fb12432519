/* capture.h: catch what a unit test's code writes to stderr, and exits. */
/* SPDX-License-Identifier: ISC */
#ifndef CAPTURE_H
#define CAPTURE_H
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static FILE *capture_fp;
static int capture_saved = -1;

/* Send fd 2 to a temporary file until capture_end(). */
static void __attribute__((unused))
capture_start(void)
{
	fflush(stderr);
	if ((capture_fp = tmpfile()) == NULL || (capture_saved = dup(2)) < 0 ||
	    dup2(fileno(capture_fp), 2) < 0) {
		perror("capture_start");
		exit(99);
	}
}

/* Restore fd 2; return everything written meanwhile (malloc'd). */
static char * __attribute__((unused))
capture_end(void)
{
	char *buf;
	long n;

	fflush(stderr);
	dup2(capture_saved, 2);
	close(capture_saved);
	capture_saved = -1;
	n = ftell(capture_fp);
	if (n < 0)
		n = 0;
	buf = calloc(1, (size_t)n + 1);
	rewind(capture_fp);
	if (buf == NULL || fread(buf, 1, (size_t)n, capture_fp) != (size_t)n) {
		perror("capture_end");
		exit(99);
	}
	fclose(capture_fp);
	capture_fp = NULL;
	return buf;
}

/*
 * Run fn(arg) in a child with stderr captured; return its exit status
 * (or 128 + signal) and put what it wrote to stderr in *err (malloc'd).
 */
static int __attribute__((unused))
capture_child(void (*fn)(void *), void *arg, char **err)
{
	pid_t pid;
	int ws;

	fflush(stdout);
	capture_start();
	if ((pid = fork()) < 0) {
		perror("fork");
		exit(99);
	}
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR) {
			perror("waitpid");
			exit(99);
		}
	*err = capture_end();
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}
#endif
