/* rso-mail: reminder and notice lines rendered and handed to sendmail. */
/* SPDX-License-Identifier: ISC */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_err.h"
#include "rso_jsonl.h"
#include "rso_opt.h"
#include "rso_store.h"

extern char **environ;

static int opt_dry;
static const char *templates, *sendmail, *from, *program, *gateway;
static json_t *cache;		/* kind -> template text */

static void
usage(FILE *fp, int full)
{
	fputs("usage: rso-mail [-nq] [-H home] [file ...]\n", fp);
	if (!full)
		return;
	fputs("Each JSON line rendered from the template its \"kind\" names,\n"
	    "handed to sendmail -t -oi, and passed on with \"mailed_to\".\n"
	    "options:\n"
	    "  -n, --dry-run    print the messages instead; pass no lines on\n"
	    "  -H, --home dir   the store whose config.json is read\n"
	    "  -q, --quiet      no notes on stderr\n"
	    "  -h, --help       this text\n"
	    "      --version    the version\n"
	    "See rso-mail(1).\n", fp);
}

/* ---- templates ---- */

/* The template of kind, read once; NULL (said) when there is none. */
static const char *
template_of(const char *kind, const char *where)
{
	json_t *t = json_object_get(cache, kind);
	char *path, *text = NULL;
	size_t len = 0;
	FILE *fp, *mem;
	int c;

	if (t != NULL)
		return json_string_value(t);
	path = rso_xasprintf("%s/%s.txt", templates, kind);
	fp = fopen(path, "re");
	free(path);
	if (fp == NULL) {
		rso_warnx("%s: kind: no template %s.txt", where, kind);
		return NULL;
	}
	if ((mem = open_memstream(&text, &len)) == NULL)
		rso_die(EX_OSERR, "open_memstream");
	while ((c = getc(fp)) != EOF)
		putc(c, mem);
	fclose(fp);
	fclose(mem);
	json_object_set_new(cache, kind, json_stringn(text, len));
	free(text);
	return json_string_value(json_object_get(cache, kind));
}

/* The value {{name}} stands for: a string as is, anything else as JSON. */
static char *
value_of(const json_t *line, const char *name, const char *to)
{
	const json_t *v;

	if (strcmp(name, "from") == 0)
		return rso_xstrdup(from);
	if (strcmp(name, "program") == 0)
		return rso_xstrdup(program);
	if (strcmp(name, "to") == 0)
		return rso_xstrdup(to);
	if ((v = rso_json_path(line, name)) == NULL || json_is_null(v))
		return rso_xstrdup("");
	if (json_is_string(v))
		return rso_xstrdup(json_string_value(v));
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Put s, in a header each run of line breaks made one space. */
static void
put_value(FILE *out, const char *s, int header)
{
	for (; *s; s++) {
		if (header && (*s == '\r' || *s == '\n')) {
			while (s[1] == '\r' || s[1] == '\n')
				s++;
			putc(' ', out);
		} else
			putc(*s, out);
	}
}

/* Copy tpl[0..n) to out, each {{name}} replaced. */
static void
fill(FILE *out, const char *tpl, size_t n, const json_t *line, const char *to,
    int header)
{
	const char *end = tpl + n, *close;
	char name[128], *v;
	size_t k;

	while (tpl < end) {
		if (tpl[0] == '{' && tpl + 1 < end && tpl[1] == '{' &&
		    (k = strspn(tpl + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789_.")) > 0 &&
		    k < sizeof(name) && (close = tpl + 2 + k) + 1 < end &&
		    close[0] == '}' && close[1] == '}') {
			memcpy(name, tpl + 2, k);
			name[k] = '\0';
			v = value_of(line, name, to);
			put_value(out, v, header);
			free(v);
			tpl = close + 2;
		} else
			putc(*tpl++, out);
	}
}

/*
 * The message for line: the template's header lines and body, each
 * filled, trailing line breaks dropped.  NULL when the template has no
 * blank line after its headers.
 */
static char *
render(const char *tpl, const json_t *line, const char *to)
{
	const char *cut = strstr(tpl, "\n\n");
	char *msg = NULL;
	size_t len = 0;
	FILE *out;

	if (cut == NULL)
		return NULL;
	if ((out = open_memstream(&msg, &len)) == NULL)
		rso_die(EX_OSERR, "open_memstream");
	fill(out, tpl, (size_t)(cut - tpl), line, to, 1);
	fputs("\n\n", out);
	fill(out, cut + 2, strlen(cut + 2), line, to, 0);
	fclose(out);
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = '\0';
	return msg;
}

/* ---- recipients ---- */

/*
 * The recipient: "to", else "email", else the contact's address for its
 * method: contact.email, or contact.fax through the fax gateway.  A
 * contact that names its method goes by that method only, whatever other
 * address it lists (a letter with a patient's name must not go where the
 * request did not say); one without a method may go by either.
 */
static char *
recipient(const json_t *line)
{
	const char *method = rso_json_str(line, "contact.method");
	const char *fax, *v, *at;
	FILE *out;
	char *addr = NULL;
	size_t len = 0;

	if ((v = rso_json_str(line, "to")) != NULL ||
	    (v = rso_json_str(line, "email")) != NULL)
		return rso_xstrdup(v);
	if ((method == NULL || strcmp(method, "email") == 0) &&
	    (v = rso_json_str(line, "contact.email")) != NULL)
		return rso_xstrdup(v);
	if ((method != NULL && strcmp(method, "fax") != 0) ||
	    (fax = rso_json_str(line, "contact.fax")) == NULL ||
	    gateway == NULL || *gateway == '\0')
		return rso_xstrdup("");
	if ((out = open_memstream(&addr, &len)) == NULL)
		rso_die(EX_OSERR, "open_memstream");
	if ((at = strstr(gateway, "{fax}")) == NULL)
		fputs(gateway, out);
	else {
		fwrite(gateway, 1, (size_t)(at - gateway), out);
		for (; *fax; fax++)
			if ((*fax >= '0' && *fax <= '9') || *fax == '+')
				putc(*fax, out);
		fputs(at + 5, out);
	}
	fclose(out);
	return addr;
}

/* 0, or why addr is not one address: an '@', a dot after it, no list. */
static const char *
address_fault(const char *addr)
{
	const char *at = strchr(addr, '@');

	if (strpbrk(addr, " \t\r\n\v\f;,<>") != NULL)
		return "recipient: not one address";
	if (at == NULL || strchr(at + 1, '.') == NULL)
		return "no email address or fax gateway for this line";
	return NULL;
}

/* ---- sending ---- */

/*
 * Hand msg to "SENDMAIL -t -oi" on its standard input: the one process
 * a line costs.  Nothing from the line is on its command line.  Its
 * standard output goes to our standard error, not into the pipe of lines.
 */
static int
send_message(const char *msg)
{
	char *argv[] = { (char *)sendmail, "-t", "-oi", NULL };
	posix_spawn_file_actions_t fa;
	int p[2], ws, rc = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[0], 0);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);
	rc = posix_spawn(&pid, sendmail, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[0]);
	if (rc != 0) {
		close(p[1]);
		errno = rc;
		return -1;
	}
	rc = rso_write_all(p[1], msg, strlen(msg)) != 0 ||
	    rso_write_all(p[1], "\n", 1) != 0 ? -1 : 0;
	close(p[1]);
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return -1;
	return rc == 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0 ? 0 : -1;
}

/* ---- one line ---- */

/* Keep the more serious status: a rejected line (65) is the least. */
static void
fail(int *status, int s)
{
	if (*status == 0 || *status == EX_DATAERR)
		*status = s;
}

/* "FILE:LINE" and the case, when the line names one, for messages. */
static void
where_of(const json_t *line, struct rso_jsonl *r, char *buf, size_t n)
{
	const char *id = rso_json_str(line, "case");

	if (id != NULL && *id != '\0' && strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(id))
		snprintf(buf, n, "%s:%lu: %s", rso_jsonl_name(r),
		    rso_jsonl_line(r), id);
	else
		snprintf(buf, n, "%s:%lu", rso_jsonl_name(r),
		    rso_jsonl_line(r));
}

static int
mail_line(json_t *line, struct rso_jsonl *r, void *ctx)
{
	const char *kind = rso_json_str(line, "kind"), *tpl, *fault;
	char where[160], *to = NULL, *msg = NULL;
	int *status = ctx;

	where_of(line, r, where, sizeof(where));
	if (kind == NULL) {
		rso_warnx("%s: kind: missing", where);
		goto bad;
	}
	if (*kind == '\0' || strspn(kind, "abcdefghijklmnopqrstuvwxyz"
	    "0123456789-") != strlen(kind)) {
		rso_warnx("%s: kind: not a template name", where);
		goto bad;
	}
	if ((tpl = template_of(kind, where)) == NULL)
		goto bad;
	to = recipient(line);
	if ((fault = address_fault(to)) != NULL) {
		rso_warnx("%s: %s", where, fault);
		goto bad;
	}
	if ((msg = render(tpl, line, to)) == NULL) {
		rso_warnx("%s: cannot render %s.txt", where, kind);
		goto bad;
	}
	if (opt_dry)
		printf("%s\n\n", msg);
	else if (send_message(msg) != 0) {
		rso_warnx("%s: sendmail failed", where);
		fail(status, EX_UNAVAILABLE);
	} else {
		json_object_set_new(line, "mailed_to", json_string(to));
		if (rso_jsonl_write(stdout, line) != 0)
			fail(status, EX_IOERR);
	}
	free(msg);
	free(to);
	return 0;
bad:
	free(to);
	fail(status, EX_DATAERR);
	return 0;
}

/* ---- settings ---- */

static const char *
env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : dflt;
}

/* Where templates and sendmail are, who we are: environment and config. */
static json_t *
settings(void)
{
	char *home = rso_store_home(rso_opt_home());
	struct rso_error e;
	json_t *conf;

	if (rso_config_load(home, &conf, &e) != 0)
		rso_diex(e.status, "%s", e.msg);
	free(home);
	templates = env_or("RSO_TEMPLATES", NULL);
	if (templates == NULL)
		templates = rso_xasprintf("%s/templates", rso_share_dir());
	sendmail = env_or("SENDMAIL", "/usr/sbin/sendmail");
	from = env_or("RSO_MAIL_FROM", rso_json_str(conf, "mail.from"));
	from = from ? from : "rso@localhost";
	program = rso_json_str(conf, "mail.program");
	program = program ? program : "Remote Second Opinion Program";
	gateway = rso_json_str(conf, "mail.fax_gateway");
	return conf;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' }, RSO_OPT_LONG, { 0 } };
	json_t *conf;
	int ch, status = 0, rc;

	rso_setprogname(argv[0]);
	while ((ch = getopt_long(argc, argv, "n" RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		if (ch == 'n')
			opt_dry = 1;
		else
			rso_opt_common(ch, optarg, usage);
	argc -= optind;
	argv += optind;
	conf = settings();
	cache = json_object();
	/* A sendmail that stops reading is its failure, not our death. */
	signal(SIGPIPE, SIG_IGN);
	rc = rso_jsonl_each(argc, argv, mail_line, &status);
	if (rc != 0)
		fail(&status, rc);
	json_decref(cache);
	json_decref(conf);
	return rso_flush_stdout(status);
}
