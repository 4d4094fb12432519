/* crypt: rso-case keygen, encrypt and decrypt, behaving like age(1). */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "crypt.h"
#include "rso_age.h"
#include "rso_err.h"
#include "rso_map.h"
#include "rso_opt.h"

#define PASS_MAX	1024	/* longer passphrase files are refused */

enum { OPT_PASSFILE = RSO_OPT_PRIVATE };

static const char keygen_synopsis[] = "rso-case keygen [-o FILE]";
static const char encrypt_synopsis[] = "rso-case encrypt [-a] [-o OUT] "
    "[-p | --passphrase-file FILE | -r RECIPIENT... -R FILE...] [FILE]";
static const char decrypt_synopsis[] = "rso-case decrypt [-i IDENTITY]... "
    "[--passphrase-file FILE] [-o OUT] [FILE]";

void
case_crypt_usage(FILE *fp)
{
	fprintf(fp, "       %s\n       %s\n       %s\n", keygen_synopsis,
	    encrypt_synopsis, decrypt_synopsis);
}

static void
keygen_usage(FILE *fp, int full)
{
	fprintf(fp, "usage: %s\n", keygen_synopsis);
	if (full)
		fputs("  -o FILE   write the identity to FILE (mode 0600, "
		    "never overwritten)\n", fp);
}

static void
encrypt_usage(FILE *fp, int full)
{
	fprintf(fp, "usage: %s\n", encrypt_synopsis);
	if (full)
		fputs("  -a                      ASCII armor (PEM) output\n"
		    "  -o OUT                  write to OUT (atomically) "
		    "instead of stdout\n"
		    "  -p                      encrypt with a passphrase read "
		    "from the terminal\n"
		    "  --passphrase-file FILE  encrypt with the passphrase in "
		    "FILE\n"
		    "  -r RECIPIENT            encrypt to an age1... public "
		    "key (repeatable)\n"
		    "  -R FILE                 encrypt to the recipients in "
		    "FILE (repeatable)\n", fp);
}

static void
decrypt_usage(FILE *fp, int full)
{
	fprintf(fp, "usage: %s\n", decrypt_synopsis);
	if (full)
		fputs("  -i IDENTITY             an identity file "
		    "(repeatable; default $RSO_IDENTITY)\n"
		    "  --passphrase-file FILE  the passphrase of a "
		    "passphrase-encrypted file\n"
		    "  -o OUT                  write to OUT (atomically) "
		    "instead of stdout\n", fp);
}

/*
 * An output: stdout, or a temp file beside OUT renamed over it only once
 * everything is written, so OUT never holds partial output.
 */
struct output {
	int fd;
	const char *path;
	char *tmp;
};

static int
output_open(struct output *o, const char *path)
{
	const char *slash;
	int fd;

	o->fd = STDOUT_FILENO;
	o->path = path;
	o->tmp = NULL;
	if (path == NULL || strcmp(path, "-") == 0)
		return 0;
	slash = strrchr(path, '/');
	if (slash == NULL)
		o->tmp = rso_xasprintf(".%s.XXXXXX", path);
	else
		o->tmp = rso_xasprintf("%.*s/.%s.XXXXXX", (int)(slash - path),
		    path, slash + 1);
	/* 0600: the output may be a patient's decrypted records. */
	if ((fd = mkostemp(o->tmp, O_CLOEXEC)) < 0) {
		rso_warn("%s", path);
		free(o->tmp);
		o->tmp = NULL;
		return EX_CANTCREAT;
	}
	o->fd = fd;
	return 0;
}

static void
output_abort(struct output *o)
{
	if (o->tmp == NULL)
		return;
	close(o->fd);
	unlink(o->tmp);
	free(o->tmp);
	o->tmp = NULL;
}

static int
output_commit(struct output *o)
{
	int rc = 0;

	if (o->tmp == NULL)
		return 0;
	if (fsync(o->fd) != 0 || close(o->fd) != 0) {
		rso_warn("%s", o->path);
		o->fd = -1;
		unlink(o->tmp);
		rc = EX_IOERR;
	} else if (rename(o->tmp, o->path) != 0) {
		rso_warn("%s", o->path);
		unlink(o->tmp);
		rc = EX_CANTCREAT;
	}
	free(o->tmp);
	o->tmp = NULL;
	return rc;
}

/* The input operand, or stdin; *name is for messages. */
static int
input_open(int argc, char **argv, int *fd, const char **name)
{
	if (argc == 0 || strcmp(argv[0], "-") == 0) {
		if (argc == 0)
			rso_note_stdin("the input");
		*fd = STDIN_FILENO;
		*name = "<stdin>";
		return 0;
	}
	*name = argv[0];
	if ((*fd = open(argv[0], O_RDONLY | O_CLOEXEC)) < 0) {
		rso_warn("%s", argv[0]);
		return errno == ENOENT || errno == ENOTDIR ? EX_NOINPUT :
		    EX_NOPERM;
	}
	return 0;
}

/*
 * Passphrase from the terminal with echo off.  A signal while echo is off
 * restores the terminal before the default action.
 */
static int tty_fd = -1;
static struct termios tty_saved;

static void
tty_restore(int sig)
{
	tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
tty_read(const char *prompt, char *buf, size_t size, size_t *len,
    struct rso_error *e)
{
	struct termios t;
	size_t n = 0;
	ssize_t r;
	char c;
	int rc = 0;

	if ((tty_fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0)
		return rso_error_set(e, EX_NOINPUT,
		    "cannot read a passphrase: /dev/tty: %s", strerror(errno));
	if (tcgetattr(tty_fd, &tty_saved) == 0) {
		t = tty_saved;
		t.c_lflag &= ~(tcflag_t)ECHO;
		signal(SIGINT, tty_restore);
		signal(SIGTERM, tty_restore);
		signal(SIGHUP, tty_restore);
		tcsetattr(tty_fd, TCSAFLUSH, &t);
	}
	rso_write_all(tty_fd, prompt, strlen(prompt));
	for (;;) {
		r = read(tty_fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (n + 1 >= size) {
			rc = rso_error_set(e, EX_DATAERR, "passphrase too long");
			break;
		}
		buf[n++] = c;
	}
	c = 0;
	tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	rso_write_all(tty_fd, "\n", 1);
	close(tty_fd);
	tty_fd = -1;
	if (rc == 0 && n == 0)
		rc = rso_error_set(e, EX_DATAERR, "empty passphrase");
	*len = n;
	return rc;
}

/* rso_age_pass_fn for decryption: ask only when a file needs it. */
static int
prompt_decrypt(void *ctx, char *buf, size_t size, size_t *len,
    struct rso_error *e)
{
	(void)ctx;
	return tty_read("Enter passphrase: ", buf, size, len, e);
}

/* Read a passphrase file; one trailing newline is not part of it. */
static int
passfile_read(const char *path, char *buf, size_t size, size_t *len,
    struct rso_error *e)
{
	size_t n = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return rso_error_set(e, errno == ENOENT ? EX_NOINPUT : EX_NOPERM,
		    "%s: %s", path, strerror(errno));
	while ((r = read(fd, buf + n, size - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return rso_error_set(e, EX_IOERR, "%s: %s", path,
			    strerror(errno));
		}
		n += (size_t)r;
		if (n == size) {
			close(fd);
			return rso_error_set(e, EX_DATAERR,
			    "%s: passphrase too long", path);
		}
	}
	close(fd);
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n == 0)
		return rso_error_set(e, EX_DATAERR, "%s: empty passphrase", path);
	*len = n;
	return 0;
}

/* The passphrase for encryption: from a file, or typed twice. */
static int
encrypt_passphrase(struct rso_age_recipients *r, const char *passfile,
    struct rso_error *e)
{
	char *a = rso_age_xsecure(PASS_MAX), *b = NULL;
	size_t alen = 0, blen = 0;
	int rc;

	if (passfile != NULL) {
		rc = passfile_read(passfile, a, PASS_MAX, &alen, e);
	} else {
		b = rso_age_xsecure(PASS_MAX);
		rc = tty_read("Enter passphrase: ", a, PASS_MAX, &alen, e);
		if (rc == 0)
			rc = tty_read("Confirm passphrase: ", b, PASS_MAX,
			    &blen, e);
		if (rc == 0 && (alen != blen || memcmp(a, b, alen) != 0))
			rc = rso_error_set(e, EX_DATAERR,
			    "passphrases do not match");
	}
	if (rc == 0)
		rc = rso_age_recipients_passphrase(r, a, alen, 0, e);
	rso_age_secfree(a, PASS_MAX);
	rso_age_secfree(b, PASS_MAX);
	return rc;
}

/* keygen */

/* RSO_NOW when it looks like an RFC 3339 time, else the clock, in UTC. */
static void
created_now(char *buf, size_t size)
{
	const char *now = getenv("RSO_NOW");
	time_t t;

	if (now != NULL && *now != '\0' && strlen(now) < size &&
	    strspn(now, "0123456789-:TZ.+") == strlen(now)) {
		snprintf(buf, size, "%s", now);
		return;
	}
	t = time(NULL);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
}

/*
 * "Public key: age1..." on stderr is age-keygen's output format, which
 * scripts parse: it is output, not a diagnostic, so it has no prefix.
 */
static void
print_public_key(const char *recipient)
{
	fflush(stdout);
	fprintf(stderr, "Public key: %s\n", recipient);
}

int
case_keygen(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		RSO_OPT_LONG, { NULL }
	};
	char recipient[RSO_AGE_RECIPIENT_LEN + 1], created[64], *secret, *text;
	const char *out = NULL;
	struct rso_error e = { 0 };
	size_t n;
	int ch, fd = STDOUT_FILENO, rc;

	rso_opt_reset();
	while ((ch = getopt_long(argc, argv, "o:" RSO_OPT_SHORT, longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		default:
			rso_opt_common(ch, optarg, keygen_usage);
		}
	}
	if (argc - optind != 0) {
		keygen_usage(stderr, 0);
		return EX_USAGE;
	}
	if (out != NULL && strcmp(out, "-") != 0 &&
	    (fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		rso_warn("%s", out);
		return EX_CANTCREAT;
	}
	if ((rc = rso_age_keygen(&secret, recipient, &e)) != 0) {
		rso_warnx("%s", e.msg);
		return rc;
	}
	created_now(created, sizeof(created));
	n = strlen(created) + 2 * 16 + RSO_AGE_RECIPIENT_LEN +
	    RSO_AGE_SECRET_LEN + 8;
	text = rso_age_xsecure(n);
	n = (size_t)snprintf(text, n, "# created: %s\n# public key: %s\n%s\n",
	    created, recipient, secret);
	rso_age_secret_free(secret);
	rc = 0;
	if (rso_write_all(fd, text, n) != 0 || (fd != STDOUT_FILENO &&
	    (fsync(fd) != 0 || close(fd) != 0))) {
		rso_warn("%s", out ? out : "<stdout>");
		rc = EX_IOERR;
	}
	rso_age_secfree(text, n);
	if (rc == 0 && !rso_isquiet() &&
	    (fd != STDOUT_FILENO || !isatty(STDOUT_FILENO)))
		print_public_key(recipient);
	return rc;
}

/* encrypt */

struct window_put {
	struct rso_age_writer *w;
	int write_failed;	/* the writer's own error, told as it is */
};

static int
age_put(void *ctx, const void *p, size_t n, struct rso_error *e)
{
	struct window_put *m = ctx;
	int rc = rso_age_write(m->w, p, n, e);

	m->write_failed = rc != 0;
	return rc;
}

/*
 * The input from where its offset stands to its end, a window at a time
 * (rso_map_rest).  The writer's own failures are told as they are, the
 * input's with its name.
 */
static int
encrypt_stream(int in, const char *name, struct rso_age_writer *w)
{
	struct window_put m = { w, 0 };
	struct rso_error e = { 0 };
	int rc;

	if ((rc = rso_map_rest(in, age_put, &m, &e)) != 0) {
		if (m.write_failed)
			rso_warnx("%s", e.msg);
		else
			rso_warnx("%s: %s", name, e.msg);
		rso_age_writer_free(w);
		return rc;
	}
	if ((rc = rso_age_writer_close(w, &e)) != 0)
		rso_warnx("%s", e.msg);
	return rc;
}

int
case_encrypt(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "armor", no_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "passphrase", no_argument, NULL, 'p' },
		{ "passphrase-file", required_argument, NULL, OPT_PASSFILE },
		{ "recipient", required_argument, NULL, 'r' },
		{ "recipients-file", required_argument, NULL, 'R' },
		RSO_OPT_LONG, { NULL }
	};
	struct rso_age_recipients *r = rso_age_recipients_new();
	struct rso_age_writer *w;
	struct rso_error e = { 0 };
	struct output o;
	const char *out = NULL, *passfile = NULL, *name;
	int ch, armor = 0, pass = 0, nrecip = 0, in, rc;

	rso_opt_reset();
	while ((ch = getopt_long(argc, argv, "ao:pr:R:" RSO_OPT_SHORT, longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a':
			armor = 1;
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			pass = 1;
			break;
		case OPT_PASSFILE:
			passfile = optarg;
			pass = 1;
			break;
		case 'r':
			nrecip++;
			if (rso_age_recipients_add(r, optarg, &e) != 0) {
				rso_warnx("-r: malformed recipient");
				rso_age_recipients_free(r);
				return EX_USAGE;
			}
			break;
		case 'R':
			nrecip++;
			if ((rc = rso_age_recipients_load(r, optarg, &e)) != 0) {
				rso_warnx("%s", e.msg);
				rso_age_recipients_free(r);
				return rc;
			}
			break;
		default:
			rso_opt_common(ch, optarg, encrypt_usage);
		}
	}
	argc -= optind;
	argv += optind;
	rc = 0;
	if (argc > 1)
		rc = (rso_warnx("too many operands"), EX_USAGE);
	else if (pass && nrecip > 0)
		rc = (rso_warnx("a passphrase cannot be combined with -r or -R"),
		    EX_USAGE);
	else if (!pass && nrecip == 0)
		rc = (rso_warnx("missing recipients (-r, -R or -p)"), EX_USAGE);
	else if (!armor && (out == NULL || strcmp(out, "-") == 0) &&
	    isatty(STDOUT_FILENO) && out == NULL)
		rc = (rso_warnx("refusing to write binary ciphertext to a "
		    "terminal (use -a or -o)"), EX_USAGE);
	if (rc != 0) {
		if (rc == EX_USAGE)
			encrypt_usage(stderr, 0);
		rso_age_recipients_free(r);
		return rc;
	}
	if ((rc = input_open(argc, argv, &in, &name)) != 0) {
		rso_age_recipients_free(r);
		return rc;
	}
	if (pass && (rc = encrypt_passphrase(r, passfile, &e)) != 0) {
		rso_warnx("%s", e.msg);
		goto out;
	}
	if ((rc = output_open(&o, out)) != 0)
		goto out;
	w = rso_age_writer_fd(o.fd, r, armor ? RSO_AGE_ARMOR : 0, &e);
	if (w == NULL) {
		rso_warnx("%s", e.msg);
		rc = e.status;
	} else {
		rc = encrypt_stream(in, name, w);
	}
	if (rc == 0)
		rc = output_commit(&o);
	else
		output_abort(&o);
out:
	if (in != STDIN_FILENO)
		close(in);
	rso_age_recipients_free(r);
	return rc;
}

/* decrypt */

static int
decrypt_stream(struct rso_age_reader *r, int out)
{
	struct rso_error e = { 0 };
	const void *p;
	ssize_t n;

	while ((n = rso_age_read_next(r, &p, &e)) > 0)
		if (rso_write_all(out, p, (size_t)n) != 0) {
			rso_warn("write");
			return EX_IOERR;
		}
	if (n < 0) {
		rso_warnx("%s", e.msg);
		return e.status;
	}
	return 0;
}

/* Identities from -i, else from $RSO_IDENTITY. */
static int
load_identities(struct rso_age_identities *ids, char **files, int nfiles)
{
	struct rso_error e = { 0 };
	const char *env = getenv("RSO_IDENTITY");
	int i, rc;

	if (nfiles == 0 && env != NULL && *env != '\0') {
		files = (char **)&env;
		nfiles = 1;
	}
	for (i = 0; i < nfiles; i++)
		if ((rc = rso_age_identities_load(ids, files[i], &e)) != 0) {
			rso_warnx("%s", e.msg);
			return rc;
		}
	return 0;
}

int
case_decrypt(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "identity", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "passphrase-file", required_argument, NULL, OPT_PASSFILE },
		RSO_OPT_LONG, { NULL }
	};
	struct rso_age_identities *ids = rso_age_identities_new();
	struct rso_age_reader *r = NULL;
	struct rso_error e = { 0 };
	struct output o;
	const char *out = NULL, *passfile = NULL, *name;
	char **files = rso_xcalloc((size_t)argc + 1, sizeof(char *)), *pass;
	size_t passlen;
	int ch, nfiles = 0, in = -1, rc;

	rso_opt_reset();
	while ((ch = getopt_long(argc, argv, "i:o:" RSO_OPT_SHORT, longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'i':
			files[nfiles++] = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case OPT_PASSFILE:
			passfile = optarg;
			break;
		default:
			rso_opt_common(ch, optarg, decrypt_usage);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1) {
		rso_warnx("too many operands");
		decrypt_usage(stderr, 0);
		rc = EX_USAGE;
		goto out;
	}
	if ((rc = load_identities(ids, files, nfiles)) != 0)
		goto out;
	if (passfile != NULL) {
		pass = rso_age_xsecure(PASS_MAX);
		rc = passfile_read(passfile, pass, PASS_MAX, &passlen, &e);
		if (rc == 0)
			rc = rso_age_identities_passphrase(ids, pass, passlen, &e);
		rso_age_secfree(pass, PASS_MAX);
		if (rc != 0) {
			rso_warnx("%s", e.msg);
			goto out;
		}
	} else {
		rso_age_identities_prompt(ids, prompt_decrypt, NULL);
	}
	if ((rc = input_open(argc, argv, &in, &name)) != 0)
		goto out;
	/* The output is created only once the header checked out. */
	if ((r = rso_age_reader_fd(in, name, ids, &e)) == NULL) {
		rso_warnx("%s", e.msg);
		rc = e.status;
		goto out;
	}
	if ((rc = output_open(&o, out)) != 0)
		goto out;
	rc = decrypt_stream(r, o.fd);
	if (rc == 0)
		rc = output_commit(&o);
	else
		output_abort(&o);
out:
	rso_age_reader_free(r);
	if (in > STDIN_FILENO)
		close(in);
	rso_age_identities_free(ids);
	free(files);
	return rc;
}
