/* rso-collect: prior records gathered into the case's encrypted archive. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "rso_err.h"
#include "rso_jsonl.h"
#include "rso_opt.h"
#include "verbs.h"

static const struct rso_verb verbs[] = {
	{ "add", collect_add, "add [--type t] [--source s] [--date d] "
	    "[--request token] case file ..." },
	{ "cat", collect_cat, "cat [-i identity] case item" },
	{ "complete", collect_complete, "complete [case ...]" },
	{ "due", collect_due, "due [--older 3d]" },
	{ "held", collect_held, "held" },
	{ "inbox", collect_inbox, "inbox [--settle s] dir" },
	{ "ls", collect_ls, "ls [-f json|text] case" },
	{ "missing", collect_missing, "missing [-f json|text|letter] case" },
	{ "reject", collect_reject, "reject case item|study-uid" },
	{ "release", collect_release, "release case item|study-uid" },
	{ "request", collect_request, "request case --provider name "
	    "--contact method:value --what text\n"
	    "                   [--study date:modality[:description]]\n"
	    "       rso-collect request < requests.jsonl" },
	{ "scan", collect_scan, "scan file|dir ..." },
	{ "sent", collect_sent, "sent [file ...]" },
	{ NULL, NULL }
};

void
collect_usage(FILE *fp, int full)
{
	if (!full && rso_verb_usage(fp))
		return;
	fputs("usage: rso-collect [-q] [-H home] verb [options] [case ...]\n",
	    fp);
	if (!full) {
		fputs("       rso-collect --help for the verbs\n", fp);
		return;
	}
	fputs("verbs:\n"
	    "  add [--type t] [--source s] [--date d] [--request token] case file ...\n"
	    "                        file records into a new encrypted segment\n"
	    "  cat [-i identity] case item   decrypt one record to stdout (audited)\n"
	    "  inbox [--settle s] dir   file what arrived in a drop folder (token or\n"
	    "                        case id in the name or a NAME.json sidecar), once\n"
	    "                        unchanged for s seconds (60)\n"
	    "  request case --provider name --contact method:value --what text\n"
	    "          [--study date:modality[:description]]   (or JSON lines)\n"
	    "  due [--older 3d]      requests to follow up, as lines for rso-mail\n"
	    "  sent                  record the follow-ups rso-mail passed on\n"
	    "  missing [-f json|text|letter] case   what was requested and has not\n"
	    "                        arrived, or a letter per provider to chase it\n"
	    "  complete [case ...]   the case is ready: the two-week clock starts\n"
	    "  ls [-f json|text] case        the case's records and studies\n"
	    "  scan file|dir ...     the DICOM instances there, without filing them\n"
	    "  held                  studies held back: patient does not match the case\n"
	    "  release case item|study-uid   file a held study into the case\n"
	    "  reject case item|study-uid    keep a held study out of the case\n"
	    "options:\n"
	    "  -H, --home dir   the store (default $RSO_HOME)\n"
	    "  -q, --quiet      no notes on stderr\n"
	    "  -h, --help       this text\n"
	    "      --version    the version\n"
	    "See rso-collect(1).\n", fp);
}

int
collect_emit(json_t *line)
{
	int rc = rso_jsonl_write(stdout, line);

	json_decref(line);
	return rc;
}

void
collect_getopt(int *argc, char ***argv, const char *shortopts,
    const struct option *longopts, void (*opt)(int ch, const char *arg))
{
	char optstring[64];
	int ch;

	snprintf(optstring, sizeof(optstring), "%s%s", shortopts, RSO_OPT_SHORT);
	rso_opt_reset();
	while ((ch = getopt_long(*argc, *argv, optstring, longopts, NULL)) != -1)
		if (ch == 'h' || ch == 'H' || ch == 'q' || ch == RSO_OPT_VERSION ||
		    ch == '?' || ch == ':' || opt == NULL)
			rso_opt_common(ch, optarg, collect_usage);
		else
			opt(ch, optarg);
	*argc -= optind;
	*argv += optind;
}

int
main(int argc, char **argv)
{
	return rso_verb_main(argc, argv, verbs, collect_usage);
}
