/* user.c - roster user add|show|list|edit|passwd */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
	O_EMAIL = 256, O_FIRST, O_LAST, O_ROLE, O_SUPERVISOR, O_NO_SUPERVISOR, O_SHELL, O_HOME,
	O_INACTIVE, O_EXPIRES, O_NO_EXPIRY, O_PW_STDIN, O_PW_GEN, O_MUST_CHANGE, O_STATUS, O_NOTIFY,
};

/* ---- password sources ---- */

struct pwsource {
	bool from_stdin, generate;
	char plain[ROSTER_PASSWORD_MAX + 2]; /* wiped on every path */
	char hash[ROSTER_HASH_MAX];
	bool have, generated;
};

/* Reads or generates the password and hashes it, before any transaction
 * starts: argon2id takes long enough that it must not hold the lock. */
static int pw_obtain(struct cli *c, struct pwsource *p, bool allow_empty)
{
	int r = 0;

	if (p->generate) {
		r = roster_password_generate(p->plain, sizeof(p->plain));
		p->generated = true;
	} else if (p->from_stdin) {
		r = password_from_stdin(p->plain, sizeof(p->plain));
		if (r == 0 && !p->plain[0])
			return cli_error("the password read from standard input is empty");
	} else if (isatty(STDIN_FILENO))
		r = password_prompt_twice(p->plain, sizeof(p->plain), allow_empty);
	else
		return 0; /* no password: the account cannot log in with one */
	if (r < 0)
		return password_read_failed(r);
	if (!p->plain[0])
		return 0;
	if (strlen(p->plain) < c->cfg->min_length) {
		roster_wipe(p->plain, sizeof(p->plain));
		return cli_error("the password is shorter than %u characters ([passwords] min_length)",
				 c->cfg->min_length);
	}
	r = roster_password_hash(c->cfg, p->plain, p->hash);
	if (r < 0) {
		roster_wipe(p->plain, sizeof(p->plain));
		return cli_error("cannot hash the password: %s", roster_password_strerror(r));
	}
	p->have = true;
	if (!p->generated)
		roster_wipe(p->plain, sizeof(p->plain));
	return 0;
}

static void pw_done(struct pwsource *p)
{
	roster_wipe(p->plain, sizeof(p->plain));
	roster_wipe(p->hash, sizeof(p->hash));
}

/* ---- shared pieces ---- */

static int64_t now_seconds(void)
{
	return (int64_t)time(NULL);
}

static json_t *user_json(const struct roster_user *u)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(u->name));
	json_object_set_new(o, "uid", json_integer(u->uid));
	json_object_set_new(o, "gid", json_integer(u->gid));
	json_object_set_new(o, "uuid", json_string(u->uuid));
	json_object_set_new(o, "email", json_str_or_null(u->email));
	json_object_set_new(o, "first_name", json_str_or_null(u->first));
	json_object_set_new(o, "last_name", json_str_or_null(u->last));
	json_object_set_new(o, "status", json_string(roster_status_name(u->status)));
	json_object_set_new(o, "roles", json_strv(u->roles));
	json_object_set_new(o, "supervisor", json_str_or_null(u->supervisor));
	json_object_set_new(o, "shell", json_str_or_null(u->shell));
	json_object_set_new(o, "home", json_str_or_null(u->home));
	json_object_set_new(o, "must_change_password", json_boolean(u->must_change));
	json_object_set_new(o, "has_password", json_boolean(u->pwhash != NULL));
	json_object_set_new(o, "expires_at", json_date(u->expires));
	json_object_set_new(o, "created_at", json_time(u->created));
	json_object_set_new(o, "created_by", json_str_or_null(u->created_by));
	json_object_set_new(o, "updated_at", json_time(u->updated));
	json_object_set_new(o, "updated_by", json_str_or_null(u->updated_by));
	json_object_set_new(o, "last_login", json_time(u->last_login));
	json_object_set_new(o, "last_login_service", json_str_or_null(u->last_service));
	json_object_set_new(o, "last_login_host", json_str_or_null(u->last_host));
	json_object_set_new(o, "failed_logins", json_integer(u->fail_count));
	json_object_set_new(o, "locked", json_boolean(u->locked_until > now_seconds()));
	/* null when not locked, or locked until roster user unlock */
	json_object_set_new(o, "locked_until", json_time(u->locked_until > now_seconds() &&
							 u->locked_until != INT64_MAX ? u->locked_until : 0));
	return o;
}

static char *joined(char *const *v)
{
	size_t n = 1;
	char *s;

	for (size_t i = 0; v && v[i]; i++)
		n += strlen(v[i]) + 1;
	s = calloc(1, n);
	for (size_t i = 0; s && v && v[i]; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, v[i]);
	}
	return s;
}

static int set_str(char **dst, const char *v, bool empty_clears)
{
	free(*dst);
	*dst = NULL;
	if (empty_clears && !*v)
		return 0;
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

static int parse_expiry(const char *v, int64_t *out)
{
	if (roster_parse_date(v, out) < 0)
		return cli_error("invalid date '%s': expected YYYY-MM-DD, a real calendar date from 1970 on", v);
	return 0;
}

/* Commits, then tells nscd; on failure the transaction is already gone. */
/* ---- user add ---- */

static const struct option add_opts[] = {
	{ "email", required_argument, NULL, O_EMAIL },
	{ "first", required_argument, NULL, O_FIRST },
	{ "last", required_argument, NULL, O_LAST },
	{ "role", required_argument, NULL, O_ROLE },
	{ "supervisor", required_argument, NULL, O_SUPERVISOR },
	{ "shell", required_argument, NULL, O_SHELL },
	{ "home", required_argument, NULL, O_HOME },
	{ "inactive", no_argument, NULL, O_INACTIVE },
	{ "expires", required_argument, NULL, O_EXPIRES },
	{ "password-stdin", no_argument, NULL, O_PW_STDIN },
	{ "generate-password", no_argument, NULL, O_PW_GEN },
	{ "must-change-password", no_argument, NULL, O_MUST_CHANGE },
	{ "notify", no_argument, NULL, O_NOTIFY },
	{ 0 },
};

static int user_add(struct cli *c, int argc, char **argv)
{
	const struct command *cmd = &user_commands[0];
	struct roster_user *u = calloc(1, sizeof(*u));
	struct pwsource pw = { 0 };
	bool notify = false;
	int opt, r = 0, e = EXIT_OK;

	if (!u)
		return cli_error("out of memory");
	u->expires = ROSTER_NO_DATE;
	while (r == 0 && (opt = cli_getopt(argc, argv, add_opts)) != -1) {
		switch (opt) {
		case O_EMAIL: r = set_str(&u->email, optarg, false); break;
		case O_FIRST: r = set_str(&u->first, optarg, true); break;
		case O_LAST: r = set_str(&u->last, optarg, true); break;
		case O_ROLE: r = roster_strv_add(&u->roles, optarg); break;
		case O_SUPERVISOR: r = set_str(&u->supervisor, optarg, false); break;
		case O_SHELL: r = set_str(&u->shell, optarg, false); break;
		case O_HOME: r = set_str(&u->home, optarg, false); break;
		case O_INACTIVE: u->status = ROSTER_DISABLED; break;
		case O_EXPIRES:
			if (parse_expiry(optarg, &u->expires))
				e = EXIT_REFUSED;
			break;
		case O_PW_STDIN: pw.from_stdin = true; break;
		case O_PW_GEN: pw.generate = true; break;
		case O_MUST_CHANGE: u->must_change = true; break;
		case O_NOTIFY: notify = true; break;
		default:
			e = cli_usage(cmd, "%s", cli_opt_error());
		}
		if (e)
			goto out;
	}
	if (r < 0) {
		e = cli_error("out of memory");
		goto out;
	}
	if (optind + 1 != argc) {
		e = cli_usage(cmd, optind == argc ? "which user?" : "one user name at a time");
		goto out;
	}
	if (!u->email) {
		e = cli_usage(cmd, "--email is required");
		goto out;
	}
	if (pw.from_stdin && pw.generate) {
		e = cli_usage(cmd, "--password-stdin and --generate-password exclude each other");
		goto out;
	}
	u->name = strdup(argv[optind]);
	if ((notify && (e = cli_mail_check(c, c->cfg->welcome_template)) != 0) ||
	    (e = cli_open(c, true)) != 0 || (e = pw_obtain(c, &pw, true)) != 0)
		goto out;
	if (pw.have && !(u->pwhash = strdup(pw.hash))) {
		e = cli_error("out of memory");
		goto out;
	}
	if ((r = roster_txn_begin(c->db, NULL)) < 0) {
		e = cli_fail(c, r);
		goto out;
	}
	if ((r = roster_user_add(c->db, u)) < 0) {
		e = cli_finish(c, r);
		goto out;
	}
	if ((e = cli_finish(c, 0)) != 0)
		goto out;
	if (c->json) {
		json_t *o = user_json(u);

		if (pw.generated)
			json_object_set_new(o, "password", json_string(pw.plain));
		json_print(o);
	} else {
		printf("created user %s (uid %u)\n", u->name, (unsigned)u->uid);
		if (pw.generated)
			printf("password: %s\n(shown once; it is not stored anywhere in readable form)\n",
			       pw.plain);
		else if (!pw.have)
			printf("no password set: %s cannot log in with a password yet\n", u->name);
	}
	if (notify) {
		/* The welcome message never carries a password. */
		char err[256];

		if (roster_mail_send(c->cfg, c->cfg->welcome_template, u, NULL, err, sizeof(err)) < 0)
			e = cli_error("%s was created, but the welcome mail failed: %s", u->name, err);
		else if (!c->json)
			printf("a welcome message was mailed to %s\n", u->email);
	}
out:
	pw_done(&pw);
	roster_user_free(u);
	return e;
}

/* ---- user show ---- */

static int user_show(struct cli *c, int argc, char **argv)
{
	const struct command *cmd = &user_commands[1];
	struct roster_user *u = NULL;
	char *roles, date[21], **reports = NULL;
	int r, e;

	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(cmd, argc < 2 ? "which user?" : "unexpected argument %s", argv[argc > 2 ? 2 : 1]);
	if ((e = cli_open(c, false)) != 0)
		return e;
	if ((r = roster_user_get(c->db, argv[1], &u)) < 0)
		return cli_fail(c, r);
	if ((r = roster_user_reports(c->db, u->name, &reports)) < 0) {
		roster_user_free(u);
		return cli_fail(c, r);
	}
	if (c->json) {
		json_t *o = user_json(u);

		json_object_set_new(o, "reports", json_strv(reports));
		json_print(o);
		roster_strv_free(reports);
		roster_user_free(u);
		return EXIT_OK;
	}
	roles = joined(u->roles);
	print_field("name", u->name);
	printf("%-22s %u\n%-22s %u\n", "uid", (unsigned)u->uid, "gid", (unsigned)u->gid);
	print_field("uuid", u->uuid);
	print_field("email", u->email);
	print_field("first name", u->first);
	print_field("last name", u->last);
	print_field("status", roster_status_name(u->status));
	print_field("roles", roles);
	print_field("supervisor", u->supervisor);
	{
		char *rep = joined(reports);

		print_field("direct reports", rep);
		free(rep);
	}
	roster_strv_free(reports);
	print_field("shell", u->shell);
	print_field("home", u->home);
	print_field("password", u->pwhash ? "set" : "none (no password login)");
	print_field("must change password", u->must_change ? "yes" : "no");
	if (u->expires != ROSTER_NO_DATE)
		roster_format_date(u->expires, date);
	print_field("expires", u->expires != ROSTER_NO_DATE ? date : "never");
	roster_format_time(u->created, date);
	printf("%-22s %s by %s\n", "created", date, u->created_by ? u->created_by : "-");
	roster_format_time(u->updated, date);
	printf("%-22s %s by %s\n", "updated", date, u->updated_by ? u->updated_by : "-");
	if (u->last_login) {
		roster_format_time(u->last_login, date);
		printf("%-22s %s via %s from %s\n", "last login", date,
		       u->last_service ? u->last_service : "-", u->last_host ? u->last_host : "-");
	} else
		print_field("last login", "never");
	if (u->locked_until > now_seconds()) {
		if (u->locked_until == INT64_MAX)
			snprintf(date, sizeof(date), "until unlocked");
		else
			roster_format_time(u->locked_until, date);
		printf("%-22s %s (roster user unlock %s)\n", "locked", date, u->name);
	}
	if (u->fail_count)
		printf("%-22s %u\n", "failed logins", (unsigned)u->fail_count);
	free(roles);
	roster_user_free(u);
	return EXIT_OK;
}

/* ---- user list ---- */

struct listing {
	struct roster_user **v;
	size_t n, cap;
};

/* Up to this many users, user list sorts by name; beyond it, it streams
 * in storage order, in memory that does not grow with the database. */
#define LIST_SORT_MAX 10000

/* Copies u into the listing; 1 (stop) once it holds LIST_SORT_MAX. */
static int collect(const struct roster_user *u, void *priv)
{
	struct listing *l = priv;
	struct roster_user *copy;

	if (l->n >= LIST_SORT_MAX)
		return 1;
	copy = calloc(1, sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	/* Only what a listing shows; the hash stays behind. */
	copy->name = strdup(u->name);
	copy->uid = u->uid;
	copy->gid = u->gid;
	memcpy(copy->uuid, u->uuid, sizeof(copy->uuid));
	copy->email = u->email ? strdup(u->email) : NULL;
	copy->first = u->first ? strdup(u->first) : NULL;
	copy->last = u->last ? strdup(u->last) : NULL;
	copy->supervisor = u->supervisor ? strdup(u->supervisor) : NULL;
	copy->shell = u->shell ? strdup(u->shell) : NULL;
	copy->home = u->home ? strdup(u->home) : NULL;
	copy->status = u->status;
	copy->roles = roster_strv_copy(u->roles);
	copy->must_change = u->must_change;
	copy->expires = u->expires;
	copy->created = u->created;
	copy->updated = u->updated;
	copy->last_login = u->last_login;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct roster_user **v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			roster_user_free(copy);
			return -ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = copy;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct roster_user *const *)a)->name, (*(struct roster_user *const *)b)->name);
}

static const struct option list_opts[] = {
	{ "role", required_argument, NULL, O_ROLE },
	{ "status", required_argument, NULL, O_STATUS },
	{ "supervisor", required_argument, NULL, O_SUPERVISOR },
	{ 0 },
};

struct stream {
	struct cli *c;
	int w[7];
	unsigned long n;
	bool print;
};

static int stream_one(const struct roster_user *u, void *priv)
{
	struct stream *st = priv;
	char uid[16], *roles = joined(u->roles), when[21] = "never";
	const char *cells[7];

	st->n++;
	if (st->c->json) {
		json_t *j;

		if (st->print) {
			j = user_json(u);
			fputs(st->n > 1 ? ",\n  " : "[\n  ", stdout);
			json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
			json_decref(j);
		}
		free(roles);
		return 0;
	}
	snprintf(uid, sizeof(uid), "%u", (unsigned)u->uid);
	if (u->last_login)
		roster_format_time(u->last_login, when);
	cells[0] = u->name, cells[1] = uid, cells[2] = u->email, cells[3] = roster_status_name(u->status);
	cells[4] = roles && *roles ? roles : "-", cells[5] = u->supervisor, cells[6] = when;
	if (st->print)
		table_line(st->w, 7, cells, stdout);
	else
		table_widths(st->w, 7, cells);
	free(roles);
	return 0;
}

/* A first walk sizes the columns, a second prints. */
static int list_stream(struct cli *c, const struct roster_user_filter *f)
{
	static const char *const head[7] = { "NAME", "UID", "EMAIL", "STATUS", "ROLES", "SUPERVISOR", "LAST LOGIN" };
	struct stream st = { .c = c };
	int r = 0;

	if (!c->json) {
		table_widths(st.w, 7, head);
		r = roster_user_foreach(c->db, f, stream_one, &st);
		if (r == 0)
			table_line(st.w, 7, head, stdout);
	}
	st.n = 0;
	st.print = true;
	if (r == 0)
		r = roster_user_foreach(c->db, f, stream_one, &st);
	if (r == 0 && c->json)
		fputs(st.n ? "\n]\n" : "[]\n", stdout);
	return r < 0 ? cli_fail(c, r) : EXIT_OK;
}

static int user_list(struct cli *c, int argc, char **argv)
{
	const struct command *cmd = &user_commands[2];
	struct roster_user_filter f = { .status = -1 };
	struct listing l = { 0 };
	enum roster_status st;
	int opt, r, e;

	while ((opt = cli_getopt(argc, argv, list_opts)) != -1) {
		switch (opt) {
		case O_ROLE: f.role = optarg; break;
		case O_SUPERVISOR: f.supervisor = optarg; break;
		case O_STATUS:
			if (roster_status_parse(optarg, &st) < 0 || st == ROSTER_DELETED)
				return cli_error("unknown status '%s': active, disabled or invited", optarg);
			f.status = (int)st;
			break;
		default:
			return cli_usage(cmd, "%s", cli_opt_error());
		}
	}
	if (optind != argc)
		return cli_usage(cmd, "unexpected argument %s", argv[optind]);
	if ((e = cli_open(c, false)) != 0)
		return e;
	/* A filter that names nobody is a typo, not an empty answer. */
	if (f.role) {
		struct roster_role *ro = NULL;

		if ((r = roster_role_get(c->db, f.role, &ro)) < 0)
			return cli_fail(c, r);
		roster_role_free(ro);
	}
	if (f.supervisor) {
		struct roster_user *s = NULL;

		if ((r = roster_user_get(c->db, f.supervisor, &s)) < 0)
			return cli_fail(c, r);
		roster_user_free(s);
	}
	/* One walk when the answer is small (a filter at a million users). */
	r = roster_user_foreach(c->db, &f, collect, &l);
	if (r == 1) {
		for (size_t i = 0; i < l.n; i++)
			roster_user_free(l.v[i]);
		free(l.v);
		return list_stream(c, &f);
	}
	if (r < 0)
		e = cli_fail(c, r);
	else {
		if (l.n) /* an empty list has no array: qsort(NULL, ...) is undefined */
			qsort(l.v, l.n, sizeof(*l.v), by_name);
		if (c->json) {
			json_t *a = json_array();

			for (size_t i = 0; i < l.n; i++)
				json_array_append_new(a, user_json(l.v[i]));
			json_print(a);
		} else {
			struct table *t = table_new(7, "NAME", "UID", "EMAIL", "STATUS", "ROLES",
						    "SUPERVISOR", "LAST LOGIN");

			for (size_t i = 0; i < l.n; i++) {
				char uid[16], *roles = joined(l.v[i]->roles), when[21] = "never";

				snprintf(uid, sizeof(uid), "%u", (unsigned)l.v[i]->uid);
				if (l.v[i]->last_login)
					roster_format_time(l.v[i]->last_login, when);
				table_row(t, l.v[i]->name, uid, l.v[i]->email,
					  roster_status_name(l.v[i]->status), roles && *roles ? roles : "-",
					  l.v[i]->supervisor, when);
				free(roles);
			}
			table_print(t, stdout);
		}
	}
	for (size_t i = 0; i < l.n; i++)
		roster_user_free(l.v[i]);
	free(l.v);
	return e;
}

/* ---- user edit ---- */

static const struct option edit_opts[] = {
	{ "email", required_argument, NULL, O_EMAIL },
	{ "first", required_argument, NULL, O_FIRST },
	{ "last", required_argument, NULL, O_LAST },
	{ "supervisor", required_argument, NULL, O_SUPERVISOR },
	{ "no-supervisor", no_argument, NULL, O_NO_SUPERVISOR },
	{ "shell", required_argument, NULL, O_SHELL },
	{ "home", required_argument, NULL, O_HOME },
	{ "expires", required_argument, NULL, O_EXPIRES },
	{ "no-expiry", no_argument, NULL, O_NO_EXPIRY },
	{ 0 },
};

struct edit {
	const char *email, *first, *last, *supervisor, *shell, *home;
	bool no_supervisor, no_expiry, expires_set;
	int64_t expires;
};

static int user_edit(struct cli *c, int argc, char **argv)
{
	const struct command *cmd = &user_commands[3];
	struct edit ed = { 0 };
	struct roster_user *u = NULL;
	int opt, r = 0, e;
	unsigned n = 0;

	while ((opt = cli_getopt(argc, argv, edit_opts)) != -1) {
		n++;
		switch (opt) {
		case O_EMAIL: ed.email = optarg; break;
		case O_FIRST: ed.first = optarg; break;
		case O_LAST: ed.last = optarg; break;
		case O_SUPERVISOR: ed.supervisor = optarg; break;
		case O_NO_SUPERVISOR: ed.no_supervisor = true; break;
		case O_SHELL: ed.shell = optarg; break;
		case O_HOME: ed.home = optarg; break;
		case O_EXPIRES:
			if (parse_expiry(optarg, &ed.expires))
				return EXIT_REFUSED;
			ed.expires_set = true;
			break;
		case O_NO_EXPIRY: ed.no_expiry = true; break;
		default:
			return cli_usage(cmd, "%s", cli_opt_error());
		}
	}
	if (optind + 1 != argc)
		return cli_usage(cmd, optind == argc ? "which user?" : "one user name at a time");
	if (n == 0)
		return cli_usage(cmd, "nothing to change");
	if ((ed.supervisor && ed.no_supervisor) || (ed.expires_set && ed.no_expiry))
		return cli_usage(cmd, "contradictory options");
	if ((e = cli_open(c, true)) != 0)
		return e;
	if ((r = roster_txn_begin(c->db, NULL)) < 0)
		return cli_fail(c, r);
	if ((r = roster_user_get(c->db, argv[optind], &u)) < 0)
		return cli_finish(c, r);
	if (ed.email)
		r = r ?: set_str(&u->email, ed.email, false);
	if (ed.first)
		r = r ?: set_str(&u->first, ed.first, true);
	if (ed.last)
		r = r ?: set_str(&u->last, ed.last, true);
	if (ed.supervisor)
		r = r ?: set_str(&u->supervisor, ed.supervisor, false);
	if (ed.no_supervisor)
		r = r ?: set_str(&u->supervisor, "", true);
	if (ed.shell)
		r = r ?: set_str(&u->shell, ed.shell, false);
	if (ed.home)
		r = r ?: set_str(&u->home, ed.home, false);
	if (ed.expires_set)
		u->expires = ed.expires;
	if (ed.no_expiry)
		u->expires = ROSTER_NO_DATE;
	r = r ?: roster_user_update(c->db, u, "user.edit");
	if (r < 0) {
		roster_user_free(u);
		return cli_finish(c, r);
	}
	e = cli_finish(c, 0);
	if (e == 0 && c->json)
		json_print(user_json(u));
	else if (e == 0)
		printf("updated user %s\n", u->name);
	roster_user_free(u);
	return e;
}

/* ---- user passwd ---- */

static const struct option passwd_opts[] = {
	{ "password-stdin", no_argument, NULL, O_PW_STDIN },
	{ "generate-password", no_argument, NULL, O_PW_GEN },
	{ "must-change-password", no_argument, NULL, O_MUST_CHANGE },
	{ 0 },
};

static int user_passwd(struct cli *c, int argc, char **argv)
{
	const struct command *cmd = &user_commands[4];
	struct pwsource pw = { 0 };
	struct roster_user *u = NULL;
	bool must_change = false;
	int opt, r, e;

	while ((opt = cli_getopt(argc, argv, passwd_opts)) != -1) {
		switch (opt) {
		case O_PW_STDIN: pw.from_stdin = true; break;
		case O_PW_GEN: pw.generate = true; break;
		case O_MUST_CHANGE: must_change = true; break;
		default:
			return cli_usage(cmd, "%s", cli_opt_error());
		}
	}
	if (optind + 1 != argc)
		return cli_usage(cmd, optind == argc ? "which user?" : "one user name at a time");
	if (pw.from_stdin && pw.generate)
		return cli_usage(cmd, "--password-stdin and --generate-password exclude each other");
	if (!pw.from_stdin && !pw.generate && !must_change && !isatty(STDIN_FILENO))
		return cli_usage(cmd, "give --password-stdin or --generate-password (standard input is not a terminal)");
	if ((e = cli_open(c, true)) != 0)
		return e;
	/* Check the user exists before asking for a password. */
	if ((r = roster_user_get(c->db, argv[optind], &u)) < 0)
		return cli_fail(c, r);
	roster_user_free(u);
	u = NULL;
	if ((e = pw_obtain(c, &pw, false)) != 0)
		goto out;
	if ((r = roster_txn_begin(c->db, NULL)) < 0 || (r = roster_user_get(c->db, argv[optind], &u)) < 0) {
		e = r < 0 && c->db ? cli_finish(c, r) : EXIT_REFUSED;
		goto out;
	}
	if (pw.have) {
		roster_secret_free(u->pwhash);
		u->pwhash = strdup(pw.hash);
	}
	/* A new password from the admin is a fresh start, unless told otherwise. */
	u->must_change = must_change;
	r = roster_user_update(c->db, u, "user.passwd");
	if (r < 0) {
		e = cli_finish(c, r);
		goto out;
	}
	if ((e = cli_finish(c, 0)) != 0)
		goto out;
	if (c->json) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(u->name));
		json_object_set_new(o, "must_change_password", json_boolean(u->must_change));
		if (pw.generated)
			json_object_set_new(o, "password", json_string(pw.plain));
		json_print(o);
	} else {
		printf("%s %s\n", pw.have ? "password set for" : "updated", u->name);
		if (pw.generated)
			printf("password: %s\n(shown once)\n", pw.plain);
		if (must_change)
			printf("%s must choose a new password at the next login\n", u->name);
	}
out:
	pw_done(&pw);
	roster_user_free(u);
	return e;
}

/* ---- user history ---- */

static int user_history(struct cli *c, int argc, char **argv)
{
	int e;

	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(&user_commands[5], "which user?");
	if ((e = cli_open(c, false)) != 0)
		return e;
	/* A deleted user's history stays readable: it is what the tombstone
	 * is kept for. */
	return history_print(c, argv[1], NULL);
}

/* ---- user unlock ---- */

static int user_unlock(struct cli *c, int argc, char **argv)
{
	const struct command *cmd = user_commands;
	struct roster_auth_tally before = { 0 };
	int r, e;

	while (strcmp(cmd->verb, "unlock") != 0) /* by name: the table grows */
		cmd++;
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(cmd, argc < 2 ? "which user?" : "unexpected argument %s", argv[argc > 2 ? 2 : 1]);
	if ((e = cli_open(c, true)) != 0)
		return e;
	if ((r = roster_txn_begin(c->db, NULL)) < 0)
		return cli_fail(c, r);
	if ((r = roster_auth_unlock(c->db, argv[1], &before)) < 0)
		return cli_finish(c, r);
	if ((e = cli_finish(c, 0)) != 0)
		return e;
	if (c->json) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(argv[1]));
		json_object_set_new(o, "was_locked", json_boolean(before.locked_now));
		json_object_set_new(o, "failed_logins_cleared", json_integer(before.fail_count));
		json_print(o);
	} else if (before.locked_now)
		printf("unlocked %s (%u failed logins cleared)\n", argv[1], (unsigned)before.fail_count);
	else
		printf("%s was not locked (%u failed logins cleared)\n", argv[1], (unsigned)before.fail_count);
	return EXIT_OK;
}

/* ---- user enable|disable|delete: the rails are the library's ---- */

static int status_change(struct cli *c, int argc, char **argv, const struct command *cmd)
{
	const char *verb = cmd->verb, *name;
	struct roster_user *u = NULL;
	int r, e;

	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(cmd, "which user?");
	name = argv[1];
	if ((e = cli_open(c, true)) != 0)
		return e;
	if ((r = roster_txn_begin(c->db, NULL)) < 0)
		return cli_fail(c, r);
	if (strcmp(verb, "delete") == 0)
		r = roster_user_delete(c->db, name);
	else if ((r = roster_user_get(c->db, name, &u)) == 0) {
		enum roster_status want = strcmp(verb, "enable") == 0 ? ROSTER_ACTIVE : ROSTER_DISABLED;

		if (u->status == ROSTER_INVITED || u->status == want) {
			e = u->status == ROSTER_INVITED
				    ? cli_error("%s has a pending invitation: see roster invite resend|revoke", name)
				    : cli_error("%s is already %s", name, roster_status_name(want));
			roster_user_free(u);
			roster_txn_abort(c->db);
			return e;
		} else {
			u->status = want;
			r = roster_user_update(c->db, u, want == ROSTER_ACTIVE ? "user.enable" : "user.disable");
		}
	}
	roster_user_free(u);
	if ((e = cli_finish(c, r)) != 0)
		return e;
	if (c->json) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(name));
		json_object_set_new(o, "status", json_string(strcmp(verb, "delete") == 0 ? "deleted" :
							      strcmp(verb, "enable") == 0 ? "active" : "disabled"));
		json_print(o);
	} else if (strcmp(verb, "delete") == 0)
		printf("deleted %s; the name and uid stay reserved, the history is kept\n", name);
	else
		printf("%sd %s\n", verb, name);
	return EXIT_OK;
}

static int user_enable(struct cli *c, int argc, char **argv)
{
	return status_change(c, argc, argv, &user_commands[7]);
}

static int user_disable(struct cli *c, int argc, char **argv)
{
	return status_change(c, argc, argv, &user_commands[8]);
}

static int user_delete(struct cli *c, int argc, char **argv)
{
	return status_change(c, argc, argv, &user_commands[9]);
}

const struct command user_commands[] = {
	{ "user", "add", user_add,
	  "NAME --email ADDR [--first NAME] [--last NAME] [--role ROLE]... [--supervisor USER]\n"
	  "       [--shell PATH] [--home DIR] [--inactive] [--expires YYYY-MM-DD]\n"
	  "       [--password-stdin | --generate-password] [--must-change-password] [--notify]",
	  "create a user (--notify mails a welcome, never a password)", true, false },
	{ "user", "show", user_show, "NAME", "show one user", false, false },
	{ "user", "list", user_list, "[--role ROLE] [--status STATUS] [--supervisor USER]",
	  "list users", false, true },
	{ "user", "edit", user_edit,
	  "NAME [--email ADDR] [--first NAME] [--last NAME] [--supervisor USER | --no-supervisor]\n"
	  "       [--shell PATH] [--home DIR] [--expires YYYY-MM-DD | --no-expiry]",
	  "change a user's profile", true, false },
	{ "user", "passwd", user_passwd,
	  "NAME [--password-stdin | --generate-password] [--must-change-password]",
	  "set a password, or force a change at the next login", true, false },
	{ "user", "history", user_history, "NAME", "who changed what about a user, and when", false, false },
	{ "user", "unlock", user_unlock, "NAME", "end a lockout after failed logins, clear the count", true, false },
	{ "user", "enable", user_enable, "NAME", "let a disabled user log in again", true, false },
	{ "user", "disable", user_disable, "NAME",
	  "refuse every login (passwords and SSH keys); nothing is lost", true, false },
	{ "user", "delete", user_delete, "NAME",
	  "delete a user; the name, uid and history are kept and never reused", true, false },
	{ 0 },
};
