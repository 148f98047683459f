/* db.c - roster db check [--repair], db export, db import */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

	while ((opt = cli_getopt(argc, argv, check_opts)) != -1) {
		if (opt != 'r')
			return cli_usage(&db_commands[0], "%s", cli_opt_error());
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

static int parse_format(const struct command *cmd, const char *s, enum roster_format *f)
{
	if (strcmp(s, "json") == 0)
		*f = ROSTER_FORMAT_JSON;
	else if (strcmp(s, "csv") == 0)
		*f = ROSTER_FORMAT_CSV;
	else
		return cli_usage(cmd, "unknown format '%s': json or csv", s);
	return 0;
}

static const struct option export_opts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ 0 },
};

/* Hashes go out: refuse a terminal, and say so on a world-readable file. */
static int db_export(struct cli *c, int argc, char **argv)
{
	enum roster_format fmt = ROSTER_FORMAT_JSON;
	static char obuf[1 << 20];
	struct stat st;
	int opt, e;

	while ((opt = cli_getopt(argc, argv, export_opts)) != -1) {
		if (opt != 'f')
			return cli_usage(&db_commands[1], "%s", cli_opt_error());
		if ((e = parse_format(&db_commands[1], optarg, &fmt)) != 0)
			return e;
	}
	if (optind != argc)
		return cli_usage(&db_commands[1], "unexpected argument %s", argv[optind]);
	if (geteuid() != 0)
		return cli_error("the export holds password hashes: run it as root");
	if (isatty(STDOUT_FILENO))
		return cli_error("the export holds password hashes: redirect it to a file only root can read");
	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077))
		fprintf(stderr, "roster: warning: the export holds password hashes, and its file is mode %04o\n",
			(unsigned)(st.st_mode & 07777));
	if ((e = cli_open(c, false)) != 0)
		return e;
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	e = roster_export(c->db, fmt, stdout);
	/* What stdout's buffer still holds are hashes: on success they are out
	 * (the export flushed), on failure they are dropped, not written. */
	__fpurge(stdout);
	roster_wipe(obuf, sizeof(obuf));
	if (e < 0)
		return cli_fail(c, -EIO);
	return EXIT_OK;
}

enum { O_FORMAT = 1, O_DRY, O_ALL, O_BATCH, O_FROM_PASSWD, O_SHADOW, O_MIN_UID };
static const struct option import_opts[] = {
	{ "format", required_argument, NULL, O_FORMAT },
	{ "dry-run", no_argument, NULL, O_DRY },
	{ "all-or-nothing", no_argument, NULL, O_ALL },
	{ "batch", required_argument, NULL, O_BATCH },
	{ "from-passwd", required_argument, NULL, O_FROM_PASSWD },
	{ "shadow", required_argument, NULL, O_SHADOW },
	{ "min-uid", required_argument, NULL, O_MIN_UID },
	{ 0 },
};

struct rejects {
	const char *file;
	json_t *list;
};

static void rejected(unsigned long line, const char *reason, void *priv)
{
	struct rejects *r = priv;

	if (r->list) {
		json_t *o = json_object();

		json_object_set_new(o, "line", json_integer((json_int_t)line));
		json_object_set_new(o, "reason", json_string(reason));
		json_array_append_new(r->list, o);
	} else
		(void)cli_error("%s:%lu: rejected: %s", r->file, line, reason); /* escaped, one line */
}

static int parse_uint(const struct command *cmd, const char *opt, const char *s, unsigned long max,
		      unsigned long *v)
{
	char *end;

	errno = 0;
	if (!*s || *s == '-' || *s == '+' || (*v = strtoul(s, &end, 10), errno) || *end || *v > max)
		return cli_usage(cmd, "%s wants a number up to %lu, not '%s'", opt, max, s);
	return 0;
}

static FILE *open_input(const char *path, const char *what)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");

	if (!f)
		cli_error("cannot open %s %s: %s", what, path, strerror(errno));
	return f;
}

static int db_import(struct cli *c, int argc, char **argv)
{
	const struct command *cmd = &db_commands[2];
	struct roster_import_options o = { .min_uid = 1000 };
	struct roster_import_report rep;
	struct rejects rj = { 0 };
	const char *passwd = NULL, *shadow = NULL, *file = NULL;
	bool format_given = false;
	FILE *in = NULL;
	unsigned long v;
	int opt, e, r;

	while ((opt = cli_getopt(argc, argv, import_opts)) != -1) {
		e = 0;
		switch (opt) {
		case O_FORMAT: e = parse_format(cmd, optarg, &o.format); format_given = true; break;
		case O_DRY: o.dry_run = true; break;
		case O_ALL: o.all_or_nothing = true; break;
		case O_BATCH: e = parse_uint(cmd, "--batch", optarg, 10000000, &v); o.batch = (unsigned)v;
			if (!e && v == 0)
				e = cli_usage(cmd, "--batch wants at least 1");
			break;
		case O_FROM_PASSWD: passwd = optarg; break;
		case O_SHADOW: shadow = optarg; break;
		case O_MIN_UID: e = parse_uint(cmd, "--min-uid", optarg, UINT32_MAX, &v); o.min_uid = (uint32_t)v; break;
		default: return cli_usage(cmd, "%s", cli_opt_error());
		}
		if (e)
			return e;
	}
	if (passwd && optind != argc)
		return cli_usage(cmd, "give either FILE or --from-passwd, not both");
	if (!passwd && optind + 1 != argc)
		return cli_usage(cmd, optind == argc ? "which file? (- is stdin)" : "unexpected argument %s",
				 argv[optind + (optind != argc)]);
	if (!passwd && shadow)
		return cli_usage(cmd, "--shadow goes with --from-passwd");
	if (passwd && format_given)
		return cli_usage(cmd, "--format does not apply to --from-passwd");
	file = passwd ? passwd : argv[optind];
	if (!format_given && !passwd) {
		size_t n = strlen(file);

		o.format = n > 4 && strcmp(file + n - 4, ".csv") == 0 ? ROSTER_FORMAT_CSV : ROSTER_FORMAT_JSON;
	}
	if ((e = cli_open(c, !o.dry_run)) != 0)
		return e;
	if (!(in = open_input(file, passwd ? "passwd file" : "file")))
		return EXIT_REFUSED;
	if (passwd) {
		o.passwd = in;
		if (shadow && !(o.shadow = open_input(shadow, "shadow file"))) {
			fclose(in);
			return EXIT_REFUSED;
		}
	}
	rj.file = file;
	if (c->json)
		rj.list = json_array();
	r = roster_import(c->db, in, &o, rejected, &rj, &rep);
	if (in != stdin)
		fclose(in);
	if (o.shadow && o.shadow != stdin)
		fclose(o.shadow);
	if (r == 0)
		cli_nscd_invalidate();
	if (c->json) {
		json_t *j = json_object();

		json_object_set_new(j, "ok", json_boolean(r == 0 && rep.rejected == 0));
		json_object_set_new(j, "dry_run", json_boolean(o.dry_run));
		json_object_set_new(j, "records", json_integer((json_int_t)rep.records));
		json_object_set_new(j, "rejected", json_integer((json_int_t)rep.rejected));
		json_object_set_new(j, "skipped", json_integer((json_int_t)rep.skipped));
		json_object_set_new(j, "roles", json_integer((json_int_t)rep.roles));
		json_object_set_new(j, "users", json_integer((json_int_t)rep.users));
		json_object_set_new(j, "api_passwords", json_integer((json_int_t)rep.apis));
		json_object_set_new(j, "batches", json_integer((json_int_t)rep.batches));
		json_object_set_new(j, "rejects", rj.list);
		json_print(j);
	}
	if (r < 0)
		return cli_fail(c, r);
	if (!c->json) {
		if (o.dry_run)
			printf("%lu records checked, %lu rejected: nothing written (--dry-run)\n", rep.records,
			       rep.rejected);
		else
			printf("%lu records: %lu users, %lu roles, %lu API passwords imported in %lu transactions; "
			       "%lu rejected\n",
			       rep.records, rep.users, rep.roles, rep.apis, rep.batches, rep.rejected);
		if (rep.skipped)
			printf("%lu system accounts (uid below %u, or nobody) left in %s\n", rep.skipped,
			       (unsigned)o.min_uid, file);
	}
	return rep.rejected ? EXIT_REFUSED : EXIT_OK;
}

const struct command db_commands[] = {
	{ "db", "check", db_check, "[--repair]",
	  "check the database, its history chain and the NSS view; --repair rebuilds the view", false, true },
	{ "db", "export", db_export, "[--format json|csv]",
	  "write every role, user (hashes included) and API password to stdout (redirect it to a root-only file)", false, true },
	{ "db", "import", db_import,
	  "FILE|- [--format json|csv] [--dry-run] [--all-or-nothing] [--batch N]\n"
	  "       --from-passwd FILE [--shadow FILE] [--min-uid N] [--dry-run] [--all-or-nothing]",
	  "check every record, then import the valid ones in batched transactions; or adopt "
	  "/etc/passwd users, their uids and crypt(3) hashes", true, true },
	{ 0 },
};
