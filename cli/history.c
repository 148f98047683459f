/* history.c - roster user history NAME and roster log: the audit trail. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

struct printer {
	const struct history_filter *f;
	json_t *list;     /* --json */
	json_t *ring;     /* --limit: the newest N, as JSON either way */
	unsigned seen;
};

static json_t *event_json(const struct roster_event *e)
{
	json_t *o = json_object(), *ch = json_array();

	json_object_set_new(o, "seq", json_integer((json_int_t)e->seq));
	json_object_set_new(o, "time", json_time(e->time));
	json_object_set_new(o, "actor", json_string(e->actor));
	json_object_set_new(o, "action", json_string(e->action));
	json_object_set_new(o, "subject", json_string(e->subject));
	for (size_t i = 0; i < e->nchanges; i++) {
		const struct roster_change *c = &e->changes[i];
		json_t *x = json_object();

		json_object_set_new(x, "field", json_string(c->field));
		/* A secret is named, never shown: no old, no new. */
		if (c->secret)
			json_object_set_new(x, "secret", json_true());
		else {
			json_object_set_new(x, "old", json_str_or_null(c->old_value));
			json_object_set_new(x, "new", json_str_or_null(c->new_value));
		}
		json_array_append_new(ch, x);
	}
	json_object_set_new(o, "changes", ch);
	return o;
}

static void print_text(json_t *o)
{
	json_t *ch = json_object_get(o, "changes"), *x;
	size_t i;

	printf("%s  %-12s %-16s %s\n", json_string_value(json_object_get(o, "time")),
	       json_string_value(json_object_get(o, "actor")), json_string_value(json_object_get(o, "action")),
	       json_string_value(json_object_get(o, "subject")));
	json_array_foreach(ch, i, x) {
		const char *oldv = json_string_value(json_object_get(x, "old"));
		const char *newv = json_string_value(json_object_get(x, "new"));

		if (json_object_get(x, "secret"))
			printf("    %-22s (changed; secret)\n", json_string_value(json_object_get(x, "field")));
		else
			printf("    %-22s %s -> %s\n", json_string_value(json_object_get(x, "field")),
			       oldv ? oldv : "-", newv ? newv : "-");
	}
}

static int one(const struct roster_event *e, void *priv)
{
	struct printer *p = priv;
	json_t *o;

	if (p->f && p->f->actor && strcmp(p->f->actor, e->actor) != 0)
		return 0;
	if (p->f && p->f->since && e->time < p->f->since)
		return 0;
	p->seen++;
	o = event_json(e);
	if (p->ring) {
		json_array_append_new(p->ring, o);
		if (json_array_size(p->ring) > p->f->limit)
			json_array_remove(p->ring, 0);
	} else if (p->list)
		json_array_append_new(p->list, o);
	else {
		print_text(o);
		json_decref(o);
	}
	return 0;
}

int history_print(struct cli *c, const char *subject, const struct history_filter *f)
{
	struct printer p = { .f = f };
	int r;

	if (c->json)
		p.list = json_array();
	if (f && f->limit)
		p.ring = json_array();
	r = roster_history_foreach(c->db, subject, one, &p);
	if (r == 0 && subject && p.seen == 0 && !(f && (f->actor || f->since))) {
		struct roster_user *u = NULL;

		/* No event at all: a name that never existed. */
		r = roster_user_get(c->db, subject, &u);
		roster_user_free(u);
	}
	if (r < 0) {
		json_decref(p.list);
		json_decref(p.ring);
		return cli_fail(c, r);
	}
	if (p.ring) {
		size_t i;
		json_t *o;

		json_array_foreach(p.ring, i, o) {
			if (p.list)
				json_array_append(p.list, o);
			else
				print_text(o);
		}
		json_decref(p.ring);
	}
	if (p.list)
		json_print(p.list);
	return EXIT_OK;
}

/* ---- roster log ---- */

enum { O_USER = 256, O_ACTOR, O_SINCE, O_LIMIT };

static const struct option log_opts[] = {
	{ "user", required_argument, NULL, O_USER },
	{ "actor", required_argument, NULL, O_ACTOR },
	{ "since", required_argument, NULL, O_SINCE },
	{ "limit", required_argument, NULL, O_LIMIT },
	{ 0 },
};

static int log_run(struct cli *c, int argc, char **argv)
{
	struct history_filter f = { 0 };
	const char *user = NULL;
	int64_t days;
	char *end;
	unsigned long n;
	int opt, e;

	while ((opt = cli_getopt(argc, argv, log_opts)) != -1) {
		switch (opt) {
		case O_USER: user = optarg; break;
		case O_ACTOR:
			/* a login name: the actor is one (roster_actor), and no login
			 * name holds ':' or a control character */
			if (!*optarg || strchr(optarg, ':') || roster_valid_text(optarg, 63) < 0)
				return cli_error("invalid --actor '%s': a login name", optarg);
			f.actor = optarg;
			break;
		case O_SINCE:
			if (roster_parse_date(optarg, &days) < 0)
				return cli_error("invalid --since '%s': expected YYYY-MM-DD", optarg);
			f.since = days * 86400;
			break;
		case O_LIMIT:
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] < '0' || optarg[0] > '9' || n == 0 || n > 1000000)
				return cli_error("invalid --limit '%s': a number from 1 to 1000000", optarg);
			f.limit = (unsigned)n;
			break;
		default:
			return cli_usage(&log_commands[0], "%s", cli_opt_error());
		}
	}
	if (optind != argc)
		return cli_usage(&log_commands[0], "unexpected argument %s", argv[optind]);
	if ((e = cli_open(c, false)) != 0)
		return e;
	return history_print(c, user, &f);
}

const struct command log_commands[] = {
	{ "log", "", log_run, "[--user USER] [--actor USER] [--since YYYY-MM-DD] [--limit N]",
	  "every change by anyone, oldest first; --limit keeps the newest N", false, true },
	{ 0 },
};
