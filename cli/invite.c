/* invite.c - roster invite send|list|resend|revoke */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { O_ROLE = 256, O_USERNAME, O_FIRST, O_LAST, O_SUPERVISOR, O_EXPIRES, O_NO_EMAIL };

/* "72h", "3d", "90m": the same durations as the config file. */
static int parse_lifetime(const char *v, unsigned *out)
{
	char *end;
	unsigned long n;
	unsigned mul;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || end == v || v[0] == '-')
		return -EINVAL;
	switch (*end) {
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	default: return -EINVAL;
	}
	if (end[1] || n == 0 || n > 365UL * 86400 / mul)
		return -EINVAL;
	*out = (unsigned)n * mul;
	return 0;
}

/* Mails the code, or prints it when asked not to mail.  The code is shown
 * to the admin only with --no-email, or when the mail could not go. */
static int deliver(struct cli *c, const struct roster_user *u, const char *code, bool no_email,
		   const char *verb)
{
	char err[256] = "", when[21];
	bool mailed = false;
	int r = 0;

	if (!no_email) {
		r = roster_mail_send(c->cfg, c->cfg->invite_template, u, code, err, sizeof(err));
		mailed = r == 0;
	}
	roster_format_time(u->invite_expires, when);
	if (c->json) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(u->name));
		json_object_set_new(o, "email", json_str_or_null(u->email));
		json_object_set_new(o, "expires_at", json_string(when));
		json_object_set_new(o, "mailed", json_boolean(mailed));
		if (no_email)
			json_object_set_new(o, "code", json_string(code));
		if (!no_email && !mailed)
			json_object_set_new(o, "mail_error", json_string(err));
		json_print(o);
	} else {
		printf("%s %s <%s>, valid until %s\n", verb, u->name, u->email, when);
		if (no_email)
			printf("one-time code: %s\n(shown once; give it to %s by a channel you trust)\n", code,
			       u->name);
		else if (mailed)
			printf("the code was mailed to %s\n", u->email);
	}
	if (!no_email && !mailed) {
		cli_error("the invitation for %s is saved, but the mail failed: %s", u->name, err);
		fprintf(stderr, "roster: retry with: roster invite resend %s (or --no-email)\n", u->name);
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

static const struct option send_opts[] = {
	{ "role", required_argument, NULL, O_ROLE },
	{ "username", required_argument, NULL, O_USERNAME },
	{ "first", required_argument, NULL, O_FIRST },
	{ "last", required_argument, NULL, O_LAST },
	{ "supervisor", required_argument, NULL, O_SUPERVISOR },
	{ "expires", required_argument, NULL, O_EXPIRES },
	{ "no-email", no_argument, NULL, O_NO_EMAIL },
	{ 0 },
};

static int invite_send(struct cli *c, int argc, char **argv)
{
	const struct command *cmd = &invite_commands[0];
	struct roster_invite in = { 0 };
	struct roster_user *u = NULL;
	char code[ROSTER_INVITE_CODE_MAX] = "", hash[ROSTER_HASH_MAX] = "";
	bool no_email = false;
	int opt, r, e;

	while ((opt = cli_getopt(argc, argv, send_opts)) != -1) {
		switch (opt) {
		case O_ROLE: in.role = optarg; break;
		case O_USERNAME: in.username = optarg; break;
		case O_FIRST: in.first = optarg; break;
		case O_LAST: in.last = optarg; break;
		case O_SUPERVISOR: in.supervisor = optarg; break;
		case O_EXPIRES:
			if (parse_lifetime(optarg, &in.lifetime) < 0)
				return cli_error("invalid --expires '%s': a number with m, h or d (72h, 7d), at most a year",
						 optarg);
			break;
		case O_NO_EMAIL: no_email = true; break;
		default:
			return cli_usage(cmd, "%s", cli_opt_error());
		}
	}
	if (optind + 1 != argc)
		return cli_usage(cmd, optind == argc ? "whom? give an email address" : "one address at a time");
	if (!in.role)
		return cli_usage(cmd, "--role is required");
	in.email = argv[optind];
	if ((!no_email && (e = cli_mail_check(c, c->cfg->invite_template)) != 0) || (e = cli_open(c, true)) != 0)
		return e;
	if ((r = roster_invite_code_new(c->cfg, code, hash)) < 0)
		return cli_error("cannot make a code: %s", roster_password_strerror(r));
	if ((r = roster_txn_begin(c->db, NULL)) < 0) {
		e = cli_fail(c, r);
		goto out;
	}
	e = cli_finish(c, roster_invite_create(c->db, &in, hash, &u));
	if (e == 0)
		e = deliver(c, u, code, no_email, "invited");
out:
	roster_wipe(code, sizeof(code));
	roster_wipe(hash, sizeof(hash));
	roster_user_free(u);
	return e;
}

static const struct option resend_opts[] = {
	{ "no-email", no_argument, NULL, O_NO_EMAIL },
	{ "expires", required_argument, NULL, O_EXPIRES },
	{ 0 },
};

static int invite_resend(struct cli *c, int argc, char **argv)
{
	const struct command *cmd = &invite_commands[2];
	char code[ROSTER_INVITE_CODE_MAX] = "", hash[ROSTER_HASH_MAX] = "";
	struct roster_user *u = NULL;
	unsigned lifetime = 0;
	bool no_email = false;
	int opt, r, e;

	while ((opt = cli_getopt(argc, argv, resend_opts)) != -1) {
		if (opt == O_NO_EMAIL)
			no_email = true;
		else if (opt == O_EXPIRES && parse_lifetime(optarg, &lifetime) == 0)
			;
		else if (opt == O_EXPIRES)
			return cli_error("invalid --expires '%s': a number with m, h or d (72h, 7d)", optarg);
		else
			return cli_usage(cmd, "%s", cli_opt_error());
	}
	if (optind + 1 != argc)
		return cli_usage(cmd, "which user?");
	if ((!no_email && (e = cli_mail_check(c, c->cfg->invite_template)) != 0) || (e = cli_open(c, true)) != 0)
		return e;
	if ((r = roster_invite_code_new(c->cfg, code, hash)) < 0)
		return cli_error("cannot make a code: %s", roster_password_strerror(r));
	if ((r = roster_txn_begin(c->db, NULL)) < 0) {
		e = cli_fail(c, r);
		goto out;
	}
	e = cli_finish(c, roster_invite_renew(c->db, argv[optind], lifetime, hash, &u));
	if (e == 0)
		e = deliver(c, u, code, no_email, "re-invited");
out:
	roster_wipe(code, sizeof(code));
	roster_wipe(hash, sizeof(hash));
	roster_user_free(u);
	return e;
}

static int invite_revoke(struct cli *c, int argc, char **argv)
{
	int r, e;

	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(&invite_commands[3], "which user?");
	if ((e = cli_open(c, true)) != 0)
		return e;
	if ((r = roster_txn_begin(c->db, NULL)) < 0)
		return cli_fail(c, r);
	e = cli_finish(c, roster_invite_revoke(c->db, argv[1]));
	if (e == 0 && c->json) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(argv[1]));
		json_object_set_new(o, "revoked", json_true());
		json_print(o);
	} else if (e == 0)
		printf("revoked the invitation of %s; the name and uid stay reserved\n", argv[1]);
	return e;
}

struct pending {
	json_t *list;
	struct table *t;
	int64_t now;
};

static int one_pending(const struct roster_user *u, void *priv)
{
	struct pending *p = priv;
	char sent[21] = "", until[21] = "";
	bool expired = p->now >= u->invite_expires;
	char *roles = NULL;
	size_t n = 1;

	roster_format_time(u->invite_sent, sent);
	roster_format_time(u->invite_expires, until);
	if (p->list) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(u->name));
		json_object_set_new(o, "email", json_str_or_null(u->email));
		json_object_set_new(o, "roles", json_strv(u->roles));
		json_object_set_new(o, "invited_by", json_str_or_null(u->invited_by));
		json_object_set_new(o, "sent_at", json_string(sent));
		json_object_set_new(o, "expires_at", json_string(until));
		json_object_set_new(o, "expired", json_boolean(expired));
		json_array_append_new(p->list, o);
		return 0;
	}
	for (size_t i = 0; u->roles && u->roles[i]; i++)
		n += strlen(u->roles[i]) + 1;
	roles = calloc(1, n);
	for (size_t i = 0; roles && u->roles && u->roles[i]; i++)
		strcat(strcat(roles, i ? "," : ""), u->roles[i]);
	table_row(p->t, u->name, u->email, roles && *roles ? roles : "-", u->invited_by, sent, until,
		  expired ? "EXPIRED" : "pending");
	free(roles);
	return 0;
}

static int invite_list(struct cli *c, int argc, char **argv)
{
	struct roster_user_filter f = { .status = ROSTER_INVITED };
	struct pending p = { 0 };
	int r, e;

	if (argc != 1)
		return cli_usage(&invite_commands[1], "unexpected argument %s", argv[1]);
	if ((e = cli_open(c, false)) != 0)
		return e;
	p.now = (int64_t)time(NULL);
	if (c->json)
		p.list = json_array();
	else
		p.t = table_new(7, "USER", "EMAIL", "ROLES", "INVITED BY", "SENT", "EXPIRES", "STATE");
	r = roster_user_foreach(c->db, &f, one_pending, &p);
	if (r < 0) {
		json_decref(p.list);
		if (p.t)
			table_print(p.t, stderr);
		return cli_fail(c, r);
	}
	if (p.list)
		json_print(p.list);
	else
		table_print(p.t, stdout);
	return EXIT_OK;
}

const struct command invite_commands[] = {
	{ "invite", "send", invite_send,
	  "ADDR --role ROLE [--username NAME] [--first NAME] [--last NAME] [--supervisor USER]\n"
	  "       [--expires DURATION] [--no-email]",
	  "invite someone by email; they choose their password at first login", true, false },
	{ "invite", "list", invite_list, "", "pending invitations, expired ones marked", false, false },
	{ "invite", "resend", invite_resend, "USER [--expires DURATION] [--no-email]",
	  "a fresh code for a pending invitation (the old one stops working)", true, false },
	{ "invite", "revoke", invite_revoke, "USER", "withdraw an invitation and remove the account", true, false },
	{ 0 },
};
