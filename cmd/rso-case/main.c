/* rso-case: the case itself and the store. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "crypt.h"
#include "rso_err.h"
#include "rso_opt.h"
#include "verbs.h"

static const struct rso_verb verbs[] = {
	{ "backup", case_backup, "backup dir" },
	{ "cancel", case_cancel, "cancel -r reason [case ...]" },
	{ "close", case_close, "close [case ...]" },
	{ "compact", case_compact, "compact [-i identity] [case ...]" },
	{ "decrypt", case_decrypt },
	{ "downstream", case_downstream, "downstream --kind "
	    "procedure|admission|imaging|visit --revenue amount\n"
	    "                [--date yyyy-mm-dd] [--note text] [case ...]" },
	{ "encrypt", case_encrypt },
	{ "hold", case_hold, "hold [-r reason] [case ...]" },
	{ "init", case_init, "init [-r age1...] [-R file]" },
	{ "keygen", case_keygen },
	{ "list", case_list, "list [-s status[,status]] [--since when] "
	    "[--until when]\n"
	    "                [-f json|text|csv]" },
	{ "log", case_log, "log [-f json|text] case" },
	{ "marks", case_marks, "marks [-f json|text] [--forget step]" },
	{ "resume", case_resume, "resume [case ...]" },
	{ "search", case_search, "search [-f json|text] [-n limit] term ..." },
	{ "show", case_show, "show [-f json|text] [case ...]" },
	{ "survey", case_survey, "survey --score 0-10 [--comment text] "
	    "[case ...]" },
	{ "today", case_today, "today [-f json|text] [--within 2d] [--unread 3d] "
	    "[--hold 14d]\n"
	    "                [--older 3d] [--inbox dir]" },
	{ "verify", case_verify, "verify [--head seq:hash]" },
	{ NULL, NULL }
};

void
case_usage(FILE *fp, int full)
{
	if (!full && rso_verb_usage(fp))
		return;
	fputs("usage: rso-case [-q] [-H home] verb [options] [case ...]\n", fp);
	if (!full) {
		fputs("       rso-case --help for the verbs\n", fp);
		return;
	}
	fputs("verbs:\n"
	    "  init [-r age1...] [-R file]    create the store, register recipients (safe to re-run)\n"
	    "  show [-f json|text] [case ...] a case in full (cases from stdin when none)\n"
	    "  list [-s status[,status]] [--since when] [--until when] [-f json|text|csv]\n"
	    "  log [-f json|text] case        the case's events\n"
	    "  search [-f json|text] [-n limit] term ...  cases by patient name,\n"
	    "      birth date, ref, phone or email (exit 1 when none)\n"
	    "  today [-f json|text] [--within 2d] [--unread 3d] [--hold 14d]\n"
	    "      [--older 3d] [--inbox dir] what needs a person now\n"
	    "  hold [-r reason] [case ...]    put cases on hold\n"
	    "  resume [case ...]              take cases off hold\n"
	    "  cancel -r reason [case ...]    cancel cases (reasons from config.json)\n"
	    "  close [case ...]               close delivered cases\n"
	    "  survey --score 0-10 [--comment text] [case ...]  record a satisfaction answer\n"
	    "  downstream --kind procedure|admission|imaging|visit --revenue amount\n"
	    "      [--date yyyy-mm-dd] [--note text] [case ...]  care that followed an opinion\n"
	    "  verify [--head seq:hash]       check the event chain, case states and archives;\n"
	    "                                 print the head; fail if a witnessed head is gone\n"
	    "  backup dir                     a consistent copy of the store, online, with its\n"
	    "                                 head; again into dir: only what changed\n"
	    "  compact [-i identity] [case ...]  merge each case's archive segments, drop orphans\n"
	    "  marks [-f json|text] [--forget step]  the nightly steps' marks; forget one\n"
	    "                                 (its next run looks at every case)\n"
	    "age-compatible encryption (recovery, partner exchange):\n", fp);
	case_crypt_usage(fp);
	fputs(
	    "options:\n"
	    "  -H, --home dir   the store (default $RSO_HOME)\n"
	    "  -q, --quiet      no progress or notes on stderr\n"
	    "  -h, --help       this text\n"
	    "      --version    the version\n"
	    "See rso-case(1).\n", fp);
}

int
main(int argc, char **argv)
{
	return rso_verb_main(argc, argv, verbs, case_usage);
}
