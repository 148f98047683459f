/* role.c - roster role add|edit|list|show|delete|assign|revoke */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum { O_DESCRIPTION = 256, O_SERVICES };

static const struct option role_opts[] = {
	{ "description", required_argument, NULL, O_DESCRIPTION },
	{ "services", required_argument, NULL, O_SERVICES },
	{ 0 },
};

static json_t *role_json(const struct roster_role *r, char *const *members)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "gid", json_integer(r->gid));
	json_object_set_new(o, "description", json_str_or_null(r->description));
	json_object_set_new(o, "services", json_strv(r->services));
	if (members)
		json_object_set_new(o, "members", json_strv(members));
	json_object_set_new(o, "created_at", json_time(r->created));
	json_object_set_new(o, "created_by", json_str_or_null(r->created_by));
	json_object_set_new(o, "updated_at", json_time(r->updated));
	return o;
}

static char *joined(char *const *v)
{
	size_t n = 1;
	char *s;

	for (size_t i = 0; v && v[i]; i++)
		n += strlen(v[i]) + 2;
	s = calloc(1, n);
	for (size_t i = 0; s && v && v[i]; i++) {
		if (i)
			strcat(s, ", ");
		strcat(s, v[i]);
	}
	return s;
}

/* add and edit share their options */
static int role_write(struct cli *c, int argc, char **argv, const struct command *cmd, bool add)
{
	const char *desc = NULL, *services = NULL;
	struct roster_role *ro = NULL;
	char **sv = NULL;
	int opt, r, e;

	while ((opt = cli_getopt(argc, argv, role_opts)) != -1) {
		if (opt == O_DESCRIPTION)
			desc = optarg;
		else if (opt == O_SERVICES)
			services = optarg;
		else
			return cli_usage(cmd, "%s", cli_opt_error());
	}
	if (optind + 1 != argc)
		return cli_usage(cmd, optind == argc ? "which role?" : "one role at a time");
	if (!add && !desc && !services)
		return cli_usage(cmd, "nothing to change");
	if (services && *services && roster_parse_services(services, &sv) < 0)
		return cli_error("invalid service list '%s': comma-separated PAM service names", services);
	if ((e = cli_open(c, true)) != 0)
		goto out;
	if ((r = roster_txn_begin(c->db, NULL)) < 0) {
		e = cli_fail(c, r);
		goto out;
	}
	if (add) {
		ro = calloc(1, sizeof(*ro));
		r = ro && (ro->name = strdup(argv[optind])) ? 0 : -ENOMEM;
	} else
		r = roster_role_get(c->db, argv[optind], &ro);
	if (r == 0 && desc) {
		free(ro->description);
		ro->description = *desc ? strdup(desc) : NULL;
	}
	if (r == 0 && services) {
		roster_strv_free(ro->services);
		ro->services = sv;
		sv = NULL;
	}
	if (r == 0)
		r = add ? roster_role_add(c->db, ro) : roster_role_update(c->db, ro);
	e = cli_finish(c, r);
	if (e == 0) {
		if (c->json)
			json_print(role_json(ro, NULL));
		else
			printf("%s role %s (gid %u)\n", add ? "created" : "updated", ro->name, (unsigned)ro->gid);
	}
out:
	roster_strv_free(sv);
	roster_role_free(ro);
	return e;
}

static int role_add(struct cli *c, int argc, char **argv)
{
	return role_write(c, argc, argv, &role_commands[0], true);
}

static int role_edit(struct cli *c, int argc, char **argv)
{
	return role_write(c, argc, argv, &role_commands[1], false);
}

static int role_list(struct cli *c, int argc, char **argv)
{
	char **names = NULL;
	json_t *a = NULL;
	struct table *t = NULL;
	int r, e;

	(void)argv;
	if (argc != 1)
		return cli_usage(&role_commands[2], "unexpected argument %s", argv[1]);
	if ((e = cli_open(c, false)) != 0)
		return e;
	if ((r = roster_role_names(c->db, &names)) < 0)
		return cli_fail(c, r);
	if (c->json)
		a = json_array();
	else
		t = table_new(4, "ROLE", "GID", "MEMBERS", "DESCRIPTION");
	for (char **p = names; r == 0 && p && *p; p++) {
		struct roster_role *ro = NULL;
		char **m = NULL, gid[16], count[16];
		size_t n = 0;

		r = roster_role_get(c->db, *p, &ro);
		if (r == 0 && a) {
			r = roster_role_members(c->db, *p, &m);
			if (r == 0)
				json_array_append_new(a, role_json(ro, m));
		} else if (r == 0 && (r = roster_role_member_count(c->db, *p, &n)) == 0) {
			/* the table shows a count: no list of a million names */
			snprintf(gid, sizeof(gid), "%u", (unsigned)ro->gid);
			snprintf(count, sizeof(count), "%zu", n);
			table_row(t, ro->name, gid, count, ro->description);
		}
		roster_strv_free(m);
		roster_role_free(ro);
	}
	roster_strv_free(names);
	if (r < 0) {
		json_decref(a);
		if (t)
			table_print(t, stderr);
		return cli_fail(c, r);
	}
	if (a)
		json_print(a);
	else
		table_print(t, stdout);
	return EXIT_OK;
}

static int role_show(struct cli *c, int argc, char **argv)
{
	struct roster_role *ro = NULL;
	char **m = NULL, *s, when[21];
	int r, e;

	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(&role_commands[3], "which role?");
	if ((e = cli_open(c, false)) != 0)
		return e;
	r = roster_role_get(c->db, argv[1], &ro) ?: roster_role_members(c->db, argv[1], &m);
	if (r < 0) {
		roster_role_free(ro);
		return cli_fail(c, r);
	}
	if (c->json)
		json_print(role_json(ro, m));
	else {
		print_field("name", ro->name);
		printf("%-22s %u\n", "gid", (unsigned)ro->gid);
		print_field("description", ro->description);
		s = joined(ro->services);
		print_field("services", s && *s ? s : "(none: grants no PAM service)");
		free(s);
		s = joined(m);
		print_field("members", s);
		free(s);
		roster_format_time(ro->created, when);
		printf("%-22s %s by %s\n", "created", when, ro->created_by ? ro->created_by : "-");
	}
	roster_strv_free(m);
	roster_role_free(ro);
	return EXIT_OK;
}

static int role_delete(struct cli *c, int argc, char **argv)
{
	int r, e;

	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(&role_commands[4], "which role?");
	if ((e = cli_open(c, true)) != 0)
		return e;
	if ((r = roster_txn_begin(c->db, NULL)) < 0)
		return cli_fail(c, r);
	e = cli_finish(c, roster_role_delete(c->db, argv[1]));
	if (e == 0 && !c->json)
		printf("deleted role %s\n", argv[1]);
	else if (e == 0) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(argv[1]));
		json_object_set_new(o, "deleted", json_true());
		json_print(o);
	}
	return e;
}

/* assign and revoke: all users in one transaction, or none. */
static int membership(struct cli *c, int argc, char **argv, const struct command *cmd, bool add)
{
	int r = 0, e;

	if (argc < 3)
		return cli_usage(cmd, argc < 2 ? "which role?" : "which users?");
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			return cli_usage(cmd, "unknown option %s", argv[i]);
		for (int j = 2; i >= 2 && j < i; j++)
			if (strcmp(argv[i], argv[j]) == 0)
				return cli_usage(cmd, "%s is named twice", argv[i]);
	}
	if ((e = cli_open(c, true)) != 0)
		return e;
	if ((r = roster_txn_begin(c->db, NULL)) < 0)
		return cli_fail(c, r);
	for (int i = 2; r == 0 && i < argc; i++)
		r = add ? roster_role_assign(c->db, argv[1], argv[i]) : roster_role_revoke(c->db, argv[1], argv[i]);
	e = cli_finish(c, r);
	if (e == 0 && c->json) {
		json_t *o = json_object(), *u = json_array();

		for (int i = 2; i < argc; i++)
			json_array_append_new(u, json_string(argv[i]));
		json_object_set_new(o, "role", json_string(argv[1]));
		json_object_set_new(o, add ? "assigned" : "revoked", u);
		json_print(o);
	} else if (e == 0)
		for (int i = 2; i < argc; i++)
			printf("%s role %s %s %s\n", add ? "assigned" : "revoked", argv[1], add ? "to" : "from",
			       argv[i]);
	return e;
}

static int role_assign(struct cli *c, int argc, char **argv)
{
	return membership(c, argc, argv, &role_commands[5], true);
}

static int role_revoke(struct cli *c, int argc, char **argv)
{
	return membership(c, argc, argv, &role_commands[6], false);
}

const struct command role_commands[] = {
	{ "role", "add", role_add, "ROLE [--description TEXT] [--services LIST]", "create a role", true, false },
	{ "role", "edit", role_edit, "ROLE [--description TEXT] [--services LIST]",
	  "change a role's description or PAM services", true, false },
	{ "role", "list", role_list, "", "list roles", false, false },
	{ "role", "show", role_show, "ROLE", "show a role and its members", false, false },
	{ "role", "delete", role_delete, "ROLE", "delete a role (revoking it from its holders)", true, false },
	{ "role", "assign", role_assign, "ROLE USER...", "give users a role", true, false },
	{ "role", "revoke", role_revoke, "ROLE USER...", "take a role from users", true, false },
	{ 0 },
};
