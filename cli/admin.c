/* admin.c - roster admin grant|revoke: membership of the admin role.
 * The rails (not oneself, never the last active admin) are the library's. */
#include "cli.h"

#include <string.h>

static int admin_change(struct cli *c, int argc, char **argv, bool grant)
{
	const struct command *cmd = &admin_commands[grant ? 0 : 1];
	int r, e;

	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(cmd, "which user?");
	if ((e = cli_open(c, true)) != 0)
		return e;
	if ((r = roster_txn_begin(c->db, NULL)) < 0)
		return cli_fail(c, r);
	r = grant ? roster_role_assign(c->db, c->cfg->admin_role, argv[1])
		  : roster_role_revoke(c->db, c->cfg->admin_role, argv[1]);
	if ((e = cli_finish(c, r)) != 0)
		return e;
	if (c->json) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(argv[1]));
		json_object_set_new(o, "admin", json_boolean(grant));
		json_print(o);
	} else
		printf("%s %s admin rights (role %s)\n", grant ? "granted" : "revoked", argv[1], c->cfg->admin_role);
	return EXIT_OK;
}

static int admin_grant(struct cli *c, int argc, char **argv)
{
	return admin_change(c, argc, argv, true);
}

static int admin_revoke(struct cli *c, int argc, char **argv)
{
	return admin_change(c, argc, argv, false);
}

const struct command admin_commands[] = {
	{ "admin", "grant", admin_grant, "USER", "make a user an administrator (the admin role)", true, false },
	{ "admin", "revoke", admin_revoke, "USER",
	  "take admin rights away (never from oneself, never the last admin)", true, false },
	{ 0 },
};
