/* api.c - roster api enable|disable|reset|list|remove: API passwords.
 *
 * MUST: an API password is shown once, to the admin who asked for it
 * (--json key api_password), and never by list or history. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { O_LABEL = 256, O_SERVICES, O_EXPIRES, O_PW_STDIN };

static int api_switch(struct cli *c, int argc, char **argv, bool on)
{
	int r, e;

	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(&api_commands[on ? 0 : 1], "which user?");
	if ((e = cli_open(c, true)) != 0)
		return e;
	if ((r = roster_txn_begin(c->db, NULL)) < 0)
		return cli_fail(c, r);
	if ((e = cli_finish(c, roster_api_set_enabled(c->db, argv[1], on))) != 0)
		return e;
	if (c->json) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(argv[1]));
		json_object_set_new(o, "api_access", json_boolean(on));
		json_print(o);
	} else
		printf("API access %s for %s\n", on ? "enabled" : "disabled", argv[1]);
	return EXIT_OK;
}

static int api_enable(struct cli *c, int argc, char **argv)
{
	return api_switch(c, argc, argv, true);
}

static int api_disable(struct cli *c, int argc, char **argv)
{
	return api_switch(c, argc, argv, false);
}

static const struct option reset_opts[] = {
	{ "label", required_argument, NULL, O_LABEL },
	{ "services", required_argument, NULL, O_SERVICES },
	{ "expires", required_argument, NULL, O_EXPIRES },
	{ "password-stdin", no_argument, NULL, O_PW_STDIN },
	{ 0 },
};

static int api_reset(struct cli *c, int argc, char **argv)
{
	const struct command *cmd = &api_commands[2];
	const char *label = "default";
	char **services = NULL, pw[ROSTER_PASSWORD_MAX + 2] = "", hash[ROSTER_HASH_MAX] = "";
	int64_t expires = ROSTER_NO_DATE;
	bool from_stdin = false;
	int opt, r, e = EXIT_OK;

	while ((opt = cli_getopt(argc, argv, reset_opts)) != -1) {
		switch (opt) {
		case O_LABEL: label = optarg; break;
		case O_SERVICES:
			roster_strv_free(services);
			services = NULL;
			if (roster_parse_services(optarg, &services) < 0) {
				e = cli_error("invalid service list '%s': comma-separated PAM service names", optarg);
				goto out;
			}
			break;
		case O_EXPIRES:
			if (roster_parse_date(optarg, &expires) < 0) {
				e = cli_error("invalid date '%s': expected YYYY-MM-DD", optarg);
				goto out;
			}
			break;
		case O_PW_STDIN: from_stdin = true; break;
		default:
			e = cli_usage(cmd, "%s", cli_opt_error());
			goto out;
		}
	}
	if (optind + 1 != argc) {
		e = cli_usage(cmd, "which user?");
		goto out;
	}
	if (roster_valid_label(label) < 0) {
		e = cli_error("invalid label '%s': 1-%d of a-z, 0-9, '-' and '_'", label, ROSTER_NAME_MAX);
		goto out;
	}
	if ((e = cli_open(c, true)) != 0)
		goto out;
	if (from_stdin) {
		r = password_from_stdin(pw, sizeof(pw));
		if (r < 0 || !*pw) {
			e = r < 0 ? password_read_failed(r) : cli_error("the password read from standard input is empty");
			goto out;
		}
		if (strncmp(pw, label, strlen(label)) != 0 || pw[strlen(label)] != ROSTER_API_SEP) {
			e = cli_error("an API password begins with its label and a '%c': %s%cSECRET", ROSTER_API_SEP,
				      label, ROSTER_API_SEP);
			goto out;
		}
		if (strlen(pw) - strlen(label) - 1 < c->cfg->min_length) {
			e = cli_error("the password is shorter than %u characters after '%s%c'", c->cfg->min_length,
				      label, ROSTER_API_SEP);
			goto out;
		}
	} else {
		/* LABEL.SECRET: the label names the one hash a login verifies. */
		size_t n = (size_t)snprintf(pw, sizeof(pw), "%s%c", label, ROSTER_API_SEP);

		r = roster_password_generate(pw + n, sizeof(pw) - n);
	}
	if (r < 0 || (r = roster_password_hash(c->cfg, pw, hash)) < 0) {
		e = cli_error("cannot make the API password: %s", roster_password_strerror(r));
		goto out;
	}
	if ((r = roster_txn_begin(c->db, NULL)) < 0) {
		e = cli_fail(c, r);
		goto out;
	}
	if ((e = cli_finish(c, roster_api_reset(c->db, argv[optind], label, hash, services, expires))) != 0)
		goto out;
	if (c->json) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(argv[optind]));
		json_object_set_new(o, "label", json_string(label));
		json_object_set_new(o, "services", json_strv(services));
		json_object_set_new(o, "expires_at", json_date(expires));
		if (!from_stdin)
			json_object_set_new(o, "api_password", json_string(pw));
		json_print(o);
	} else {
		printf("API password %s set for %s\n", label, argv[optind]);
		if (!from_stdin)
			printf("api password: %s\n(shown once)\n", pw);
	}
out:
	roster_wipe(pw, sizeof(pw));
	roster_wipe(hash, sizeof(hash));
	roster_strv_free(services);
	return e;
}

struct lister {
	json_t *list;
	struct table *t;
};

static int list_one(const struct roster_user *u, const struct roster_api *a, void *priv)
{
	struct lister *l = priv;
	char created[21], used[21] = "never", exp[11] = "never", svc[512] = "";

	roster_format_time(a->created, created);
	if (a->last_used)
		roster_format_time(a->last_used, used);
	if (a->expires != ROSTER_NO_DATE)
		roster_format_date(a->expires, exp);
	for (char **s = a->services; s && *s; s++)
		snprintf(svc + strlen(svc), sizeof(svc) - strlen(svc), "%s%s", s == a->services ? "" : ",", *s);
	if (l->list) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(u->name));
		json_object_set_new(o, "api_access", json_boolean(u->api_enabled));
		json_object_set_new(o, "label", json_string(a->label));
		json_object_set_new(o, "services", json_strv(a->services));
		json_object_set_new(o, "created_at", json_string(created));
		json_object_set_new(o, "expires_at", json_date(a->expires));
		json_object_set_new(o, "last_used", json_time(a->last_used));
		json_object_set_new(o, "last_service", json_str_or_null(a->last_service));
		json_array_append_new(l->list, o);
	} else
		table_row(l->t, u->name, u->api_enabled ? "on" : "off", a->label, *svc ? svc : "(any api service)",
			  created, exp, used);
	return 0;
}

struct every {
	struct cli *c;
	struct lister *l;
};

static int list_user(const struct roster_user *u, void *priv)
{
	struct every *ev = priv;

	return u->api_labels ? roster_api_foreach(ev->c->db, u->name, list_one, ev->l) : 0;
}

static int api_list(struct cli *c, int argc, char **argv)
{
	struct lister l = { 0 };
	int r, e;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
		return cli_usage(&api_commands[3], "at most one user");
	if ((e = cli_open(c, false)) != 0)
		return e;
	if (argc == 2) { /* an unknown user is an error, not an empty table */
		struct roster_user *u = NULL;

		if ((r = roster_user_get(c->db, argv[1], &u)) < 0)
			return cli_fail(c, r);
		roster_user_free(u);
	}
	if (c->json)
		l.list = json_array();
	else
		l.t = table_new(7, "USER", "ACCESS", "LABEL", "SERVICES", "CREATED", "EXPIRES", "LAST USED");
	if (argc == 2)
		r = roster_api_foreach(c->db, argv[1], list_one, &l);
	else {
		struct roster_user_filter f = { .status = -1, .api = true };
		struct every ev = { c, &l };

		r = roster_user_foreach(c->db, &f, list_user, &ev);
	}
	if (r < 0) {
		json_decref(l.list);
		if (l.t)
			table_print(l.t, stderr);
		return cli_fail(c, r);
	}
	if (l.list)
		json_print(l.list);
	else
		table_print(l.t, stdout);
	return EXIT_OK;
}

static int api_remove(struct cli *c, int argc, char **argv)
{
	int r, e;

	if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-')
		return cli_usage(&api_commands[4], "which user and label?");
	if ((e = cli_open(c, true)) != 0)
		return e;
	if ((r = roster_txn_begin(c->db, NULL)) < 0)
		return cli_fail(c, r);
	if ((e = cli_finish(c, roster_api_remove(c->db, argv[1], argv[2]))) != 0)
		return e;
	if (!c->json)
		printf("removed API password %s of %s\n", argv[2], argv[1]);
	else {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(argv[1]));
		json_object_set_new(o, "label", json_string(argv[2]));
		json_object_set_new(o, "removed", json_true());
		json_print(o);
	}
	return EXIT_OK;
}

const struct command api_commands[] = {
	{ "api", "enable", api_enable, "USER", "allow the user's API passwords (services with pam_roster api)", true, false },
	{ "api", "disable", api_disable, "USER", "refuse all of the user's API passwords", true, false },
	{ "api", "reset", api_reset, "USER [--label LABEL] [--services LIST] [--expires YYYY-MM-DD] [--password-stdin]",
	  "create or replace an API password (generated and shown once, unless --password-stdin)", true, false },
	{ "api", "list", api_list, "[USER]", "labels, services, created, expires, last used; never the secret", false, true },
	{ "api", "remove", api_remove, "USER LABEL", "delete one API password", true, false },
	{ 0 },
};
