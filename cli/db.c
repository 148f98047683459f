/* db.c - roster db check [--repair] */
#include "cli.h"

#include <getopt.h>
#include <unistd.h>
#include <string.h>

struct problems {
	json_t *list;
	unsigned n;
};

static void report(const char *what, void *priv)
{
	struct problems *p = priv;

	p->n++;
	if (p->list)
		json_array_append_new(p->list, json_string(what));
	else
		printf("problem: %s\n", what);
}

static const struct option check_opts[] = {
	{ "repair", no_argument, NULL, 'r' },
	{ 0 },
};

static int db_check(struct cli *c, int argc, char **argv)
{
	struct roster_check_report rep;
	struct problems p = { 0 };
	bool repair = false;
	int opt, r, e;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", check_opts, NULL)) != -1) {
		if (opt != 'r')
			return cli_usage(&db_commands[0], "unknown option %s", argv[optind - 1]);
		repair = true;
	}
	if (optind != argc)
		return cli_usage(&db_commands[0], "unexpected argument %s", argv[optind]);
	if (repair && geteuid() != 0)
		return cli_error("--repair changes the database: run it as root");
	if ((e = cli_open(c, false)) != 0)
		return e;
	if (c->json)
		p.list = json_array();
	r = roster_db_check(c->db, repair, report, &p, &rep);
	if (r < 0) {
		json_decref(p.list);
		return cli_fail(c, r);
	}
	if (c->json) {
		json_t *o = json_object();

		json_object_set_new(o, "ok", json_boolean(rep.problems == rep.repaired));
		json_object_set_new(o, "users", json_integer(rep.users));
		json_object_set_new(o, "roles", json_integer(rep.roles));
		json_object_set_new(o, "events", json_integer(rep.events));
		json_object_set_new(o, "problems", p.list);
		json_object_set_new(o, "repaired", json_integer(rep.repaired));
		json_print(o);
	} else {
		printf("%u users, %u roles, %u history events: ", rep.users, rep.roles, rep.events);
		if (rep.problems == 0)
			printf("no problems\n");
		else
			printf("%u problems, %u repaired%s\n", rep.problems, rep.repaired,
			       !repair && rep.view_stale ? " (the view can be rebuilt with --repair)" : "");
	}
	return rep.problems == rep.repaired ? EXIT_OK : EXIT_REFUSED;
}

const struct command db_commands[] = {
	{ "db", "check", db_check, "[--repair]",
	  "check the database, its history chain and the NSS view; --repair rebuilds the view", false },
	{ 0 },
};
