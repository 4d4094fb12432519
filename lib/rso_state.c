/* rso_state: the case state machine, in one place. */
/* SPDX-License-Identifier: ISC */
#include <string.h>

#include "rso_state.h"

static const char *const names[RSO_ST_COUNT] = {
	"none", "awaiting-consent", "collecting", "ready", "assigned",
	"in-review", "delivered", "closed", "on-hold", "cancelled",
};

#define BIT(s) (1u << (s))
#define OPEN_STATES (BIT(RSO_ST_AWAITING_CONSENT) | BIT(RSO_ST_COLLECTING) | \
	BIT(RSO_ST_READY) | BIT(RSO_ST_ASSIGNED) | BIT(RSO_ST_IN_REVIEW) | \
	BIT(RSO_ST_ON_HOLD))
#define SAME RSO_ST_NONE	/* "to": stay where it is */
#define RESUME RSO_ST_COUNT	/* "to": back to where it was held */

/* Every transition there is: event type, the states it may leave, target. */
static const struct transition {
	const char *type;
	unsigned from;
	enum rso_status to;
} transitions[] = {
	{ "case.created", BIT(RSO_ST_NONE), RSO_ST_AWAITING_CONSENT },
	{ "consent.recorded", BIT(RSO_ST_AWAITING_CONSENT), RSO_ST_COLLECTING },
	/* A renewed consent while records are still being gathered or read. */
	{ "consent.recorded", OPEN_STATES & ~BIT(RSO_ST_AWAITING_CONSENT), SAME },
	{ "records.complete", BIT(RSO_ST_COLLECTING), RSO_ST_READY },
	{ "case.assigned", BIT(RSO_ST_READY), RSO_ST_ASSIGNED },
	{ "assignment.declined", BIT(RSO_ST_ASSIGNED), RSO_ST_READY },
	{ "review.started", BIT(RSO_ST_ASSIGNED), RSO_ST_IN_REVIEW },
	{ "opinion.delivered", BIT(RSO_ST_IN_REVIEW), RSO_ST_DELIVERED },
	{ "case.closed", BIT(RSO_ST_DELIVERED), RSO_ST_CLOSED },
	{ "case.held", OPEN_STATES & ~BIT(RSO_ST_ON_HOLD), RSO_ST_ON_HOLD },
	{ "case.resumed", BIT(RSO_ST_ON_HOLD), RESUME },
	{ "case.cancelled", OPEN_STATES, RSO_ST_CANCELLED },
};

const char *
rso_status_name(enum rso_status st)
{
	return st < RSO_ST_COUNT ? names[st] : "unknown";
}

int
rso_status_parse(const char *name, enum rso_status *st)
{
	int i;

	for (i = RSO_ST_AWAITING_CONSENT; i < RSO_ST_COUNT; i++)
		if (strcmp(names[i], name) == 0) {
			*st = (enum rso_status)i;
			return 0;
		}
	return -1;
}

int
rso_status_is_open(enum rso_status st)
{
	return (OPEN_STATES & BIT(st)) != 0;
}

int
rso_state_is_transition(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
		if (strcmp(transitions[i].type, type) == 0)
			return 1;
	return 0;
}

/* "case.held" -> "hold", for messages a person reads. */
static const char *
verb_of(const char *type)
{
	static const struct { const char *type, *verb; } v[] = {
		{ "case.created", "create" }, { "consent.recorded", "record consent for" },
		{ "records.complete", "complete" }, { "case.assigned", "assign" },
		{ "assignment.declined", "decline" }, { "review.started", "start review of" },
		{ "opinion.delivered", "deliver" }, { "case.closed", "close" },
		{ "case.held", "hold" }, { "case.resumed", "resume" },
		{ "case.cancelled", "cancel" },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (strcmp(v[i].type, type) == 0)
			return v[i].verb;
	return type;
}

int
rso_state_apply(struct rso_state *st, const char *type, struct rso_error *e)
{
	const struct transition *t;
	size_t i;
	int known = 0;

	for (i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++) {
		t = &transitions[i];
		if (strcmp(t->type, type) != 0)
			continue;
		known = 1;
		if (!(t->from & BIT(st->status)))
			continue;
		if (t->to == RSO_ST_ON_HOLD)
			st->held_from = st->status;
		if (t->to == RESUME)
			st->status = st->held_from;
		else if (t->to != SAME)
			st->status = t->to;
		return 0;
	}
	if (!known && st->status != RSO_ST_NONE)
		return 0;
	if (st->status == RSO_ST_NONE)
		return rso_error_set(e, EX_DATAERR, "no such case");
	return rso_error_set(e, EX_DATAERR, "cannot %s a case that is %s",
	    verb_of(type), rso_status_name(st->status));
}
