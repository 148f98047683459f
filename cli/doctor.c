/* doctor.c - roster doctor: is this machine set up to use roster?
 *
 * Each check says what it saw and, when something is wrong, what to do.
 * Exit 0 only when every check passes.  It reads the system files named
 * in [system] of roster.conf and never changes anything.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "view.h"

struct report {
	json_t *list;
	struct table *t;
	unsigned failed;
};

static void result(struct report *rp, const char *check, bool ok, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void result(struct report *rp, const char *check, bool ok, const char *fix, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	rp->failed += !ok;
	if (rp->list) {
		json_t *o = json_object();

		json_object_set_new(o, "check", json_string(check));
		json_object_set_new(o, "ok", json_boolean(ok));
		json_object_set_new(o, "detail", json_string(detail));
		json_object_set_new(o, "fix", ok || !fix ? json_null() : json_string(fix));
		json_array_append_new(rp->list, o);
	} else {
		table_row(rp->t, ok ? "ok" : "FAIL", check, detail);
		if (!ok && fix)
			table_row(rp->t, "", "", fix);
	}
}

/* Whether the nsswitch line for db lists roster. */
static int nss_has(const char *path, const char *db, char *line_out, size_t n)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, dl = strlen(db);
	int found = -1;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *p = line;

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, db, dl) != 0 || p[dl] != ':')
			continue;
		p[strcspn(p, "#\n")] = '\0';
		snprintf(line_out, n, "%s", p);
		found = 0;
		for (char *t = strtok(p + dl + 1, " \t"); t; t = strtok(NULL, " \t"))
			if (strcmp(t, "roster") == 0)
				found = 1;
	}
	free(line);
	fclose(f);
	return found;
}

static void check_nsswitch(struct cli *c, struct report *rp)
{
	static const char *const dbs[] = { "passwd", "group" };

	for (size_t i = 0; i < 2; i++) {
		char line[256] = "", check[32];
		int r = nss_has(c->cfg->nsswitch_file, dbs[i], line, sizeof(line));

		snprintf(check, sizeof(check), "nsswitch %s", dbs[i]);
		if (r < 0)
			result(rp, check, false, "create it with a line such as: passwd: files roster",
			       "%s: %s", c->cfg->nsswitch_file, r == -1 ? "no such line" : strerror(-r));
		else
			result(rp, check, r == 1, "add roster after files on that line in /etc/nsswitch.conf",
			       "%s", line);
	}
}

/* A pam.d file mentions pam_roster.so on a line that is not a comment. */
static int pam_has(const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	int found = 0;

	if (!f)
		return -errno;
	while (!found && getline(&line, &cap, f) > 0) {
		char *p = line + strspn(line, " \t");

		found = *p != '#' && strstr(p, "pam_roster.so") != NULL;
	}
	free(line);
	fclose(f);
	return found;
}

static void check_pam(struct cli *c, struct report *rp)
{
	/* What pam-auth-update --enable roster puts in Debian's shared stacks:
	 * auth and account (session is optional; the password step belongs in
	 * /etc/pam.d/passwd, see pam_roster(8)).  Or sshd's own stack. */
	static const char *const files[] = { "common-auth", "common-account" };
	char path[4096], missing[128] = "";
	int in_sshd;

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", c->cfg->pam_dir, files[i]);
		if (pam_has(path) <= 0)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
				 *missing ? " " : "", files[i]);
	}
	snprintf(path, sizeof(path), "%s/sshd", c->cfg->pam_dir);
	in_sshd = pam_has(path);
	if (!*missing)
		result(rp, "pam stacks", true, NULL, "pam_roster is in common-auth and common-account");
	else if (in_sshd > 0)
		result(rp, "pam stacks", true, NULL, "pam_roster is in sshd's own stack (not in %s)", missing);
	else
		result(rp, "pam stacks", false, "run: pam-auth-update --enable roster (or see README: the sshd stack)",
		       "pam_roster is missing from %s", missing);
}

static void check_file(struct report *rp, const char *check, const char *path, mode_t mode, bool dir)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		result(rp, check, false, "any roster write command creates it", "%s: %s", path, strerror(errno));
		return;
	}
	if ((dir && !S_ISDIR(st.st_mode)) || (!dir && !S_ISREG(st.st_mode)))
		result(rp, check, false, "move it away; roster will create it", "%s is not a %s", path,
		       dir ? "directory" : "regular file");
	else if (st.st_uid != 0 || (st.st_mode & 07777) != mode) {
		char fix[256];

		snprintf(fix, sizeof(fix), "chown root:root %s; chmod %04o %s", path, (unsigned)mode, path);
		result(rp, check, false, fix, "%s is uid %u, mode %04o; wanted root, %04o", path, (unsigned)st.st_uid,
		       (unsigned)(st.st_mode & 07777), (unsigned)mode);
	} else
		result(rp, check, true, NULL, "%s root %04o", path, (unsigned)mode);
}

static void check_files(struct cli *c, struct report *rp)
{
	char path[4096];
	unsigned bad = 0, n = 0;

	check_file(rp, "database dir", c->cfg->dbdir, 0755, true);
	snprintf(path, sizeof(path), "%s/accounts.tdb", c->cfg->dbdir);
	check_file(rp, "accounts.tdb", path, 0600, false);
	snprintf(path, sizeof(path), "%s/" VIEW_DIR, c->cfg->dbdir);
	check_file(rp, "view dir", path, 0755, true);
	/* A shard without entries has no file: db check (below) finds one
	 * missing that should hold entries. */
	for (unsigned i = 0; i < VIEW_SHARDS; i++) {
		struct stat st;

		if (view_shard_path(path, sizeof(path), c->cfg->dbdir, i) < 0 || lstat(path, &st) < 0)
			continue;
		n++;
		if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 07777) != 0644)
			bad++;
	}
	if (bad)
		result(rp, "view files", false, "run: roster db check --repair",
		       "%u of %u view shards are not regular files of root's, mode 0644", bad, n);
	else
		result(rp, "view files", true, NULL, "%u shards (of %u; the others are empty), root 0644", n,
		       VIEW_SHARDS);
}

static void problem(const char *what, void *priv)
{
	(void)what;
	(*(unsigned *)priv)++;
}

static void check_view(struct cli *c, struct report *rp)
{
	struct roster_check_report rep;
	unsigned n = 0;
	int r;

	if (!c->db && roster_db_open(c->cfg, ROSTER_OPEN_MAP, &c->db) < 0) {
		result(rp, "consistency", false, "see the database checks above", "cannot open the database: %s",
		       c->db ? roster_db_error(c->db) : "");
		return;
	}
	r = roster_db_check(c->db, false, problem, &n, &rep);
	if (r < 0)
		result(rp, "consistency", false, "run: roster db check", "the check failed: %s", roster_db_error(c->db));
	else
		result(rp, "consistency", rep.problems == 0,
		       rep.view_stale ? "run: roster db check --repair" : "run: roster db check, and see its report",
		       "%u users, %u roles, %u events, %u problems%s", rep.users, rep.roles, rep.events, rep.problems,
		       rep.view_stale ? " (the NSS view is behind)" : "");
}

struct collide {
	struct cli *c;
	unsigned in_range, clashes;
	char first[160];
};

/* System ids inside roster's range are skipped when allocating, but one
 * that roster already handed out is a real clash. */
static void scan_ids(struct cli *c, const char *path, bool gid, struct collide *col)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *end;
		unsigned long id;

		if (!c2 || line[0] == '#')
			continue;
		id = strtoul(c2 + 1, &end, 10);
		if (*end != ':' || id < c->cfg->uid_min || id > c->cfg->uid_max)
			continue;
		col->in_range++;
		*c1 = '\0';
		if (roster_id_used(c->db, (uint32_t)id)) {
			if (!col->clashes++)
				snprintf(col->first, sizeof(col->first), "%s %s has %s %lu, which roster also uses",
					 path, line, gid ? "gid" : "uid", id);
		}
	}
	free(line);
	fclose(f);
}

static void check_ids(struct cli *c, struct report *rp)
{
	struct collide col = { .c = c };

	if (!c->db)
		return;
	scan_ids(c, c->cfg->passwd_file, false, &col);
	scan_ids(c, c->cfg->group_file, true, &col);
	if (col.clashes)
		result(rp, "id collisions", false, "give the system account another id (usermod/groupmod)", "%s%s",
		       col.first, col.clashes > 1 ? " (and more)" : "");
	else
		result(rp, "id collisions", true, NULL, "range %u-%u: %u system ids inside it, none used by roster",
		       (unsigned)c->cfg->uid_min, (unsigned)c->cfg->uid_max, col.in_range);
}

/* After roster db import --from-passwd, an adopted user is in both
 * /etc/passwd and roster until the cut-over removes the system lines; with
 * "files roster" in nsswitch.conf the old line still wins. */
static void scan_adopted(struct cli *c, const char *path, unsigned *n, char *first, size_t len)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		struct roster_user *u = NULL;
		char *colon = strchr(line, ':');

		if (!colon || line[0] == '#')
			continue;
		*colon = '\0';
		if (roster_user_get(c->db, line, &u) == 0 && u->status != ROSTER_DELETED && !(*n)++)
			snprintf(first, len, "%s is in %s and in roster", line, path);
		roster_user_free(u);
	}
	free(line);
	fclose(f);
}

static void check_cutover(struct cli *c, struct report *rp)
{
	char first[300] = "", fix[600];
	unsigned n = 0;

	if (!c->db)
		return;
	scan_adopted(c, c->cfg->passwd_file, &n, first, sizeof(first));
	scan_adopted(c, c->cfg->group_file, &n, first[0] ? NULL : first, first[0] ? 0 : sizeof(first));
	snprintf(fix, sizeof(fix),
		 "finish the cut-over: remove the adopted users' lines from %s and /etc/shadow, and their "
		 "private groups from %s and /etc/gshadow (see README, Migrating from /etc/passwd)",
		 c->cfg->passwd_file, c->cfg->group_file);
	if (n)
		result(rp, "cut-over", false, fix, "%s%s", first, n > 1 ? " (and more)" : "");
	else
		result(rp, "cut-over", true, NULL, "no roster user is also in %s or %s", c->cfg->passwd_file,
		       c->cfg->group_file);
}

/* nscd caching passwd or group hides roster's changes from programs until
 * it is told; roster tells it, but only if it can run nscd -i. */
static void check_nscd(struct cli *c, struct report *rp)
{
	FILE *f = fopen(c->cfg->nscd_conf, "re");
	char *line = NULL, what[64] = "";
	size_t cap = 0;
	struct stat st;
	bool running = stat("/var/run/nscd/socket", &st) == 0;

	while (f && getline(&line, &cap, f) > 0) {
		char key[64], db[64], val[64];

		if (sscanf(line, " %63s %63s %63s", key, db, val) == 3 && strcmp(key, "enable-cache") == 0 &&
		    (strcmp(db, "passwd") == 0 || strcmp(db, "group") == 0) && strcmp(val, "yes") == 0)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s%s", *what ? "," : "", db);
	}
	free(line);
	if (f)
		fclose(f);
	if (!running || !*what)
		result(rp, "nscd", true, NULL, "%s", !running ? "nscd is not running" : "nscd caches neither passwd nor group");
	else if (access("/usr/sbin/nscd", X_OK) == 0)
		result(rp, "nscd", true, NULL, "nscd caches %s; roster invalidates it after every change", what);
	else
		result(rp, "nscd", false, "set enable-cache passwd no and enable-cache group no in /etc/nscd.conf",
		       "nscd caches %s and roster cannot run /usr/sbin/nscd -i to invalidate it", what);
}

static void check_mail(struct cli *c, struct report *rp)
{
	char prog[4096];

	snprintf(prog, sizeof(prog), "%s", c->cfg->mail_command);
	prog[strcspn(prog, " \t")] = '\0';
	result(rp, "mail command", access(prog, X_OK) == 0,
	       "install a mail transfer agent (e.g. apt-get install postfix) or set [invite] mail_command",
	       "%s%s", prog, access(prog, X_OK) == 0 ? " is there" : ": not found or not executable");
}

static int doctor(struct cli *c, int argc, char **argv)
{
	struct report rp = { 0 };

	if (argc != 1)
		return cli_usage(&doctor_commands[0], "unexpected argument %s", argv[1]);
	if (geteuid() != 0)
		return cli_error("roster doctor reads root-only files: run it as root");
	if (c->json)
		rp.list = json_array();
	else
		rp.t = table_new(3, "", "CHECK", "DETAIL");
	check_nsswitch(c, &rp);
	check_pam(c, &rp);
	check_files(c, &rp);
	check_view(c, &rp);
	check_ids(c, &rp);
	check_cutover(c, &rp);
	check_nscd(c, &rp);
	check_mail(c, &rp);
	if (rp.list)
		json_print(rp.list);
	else {
		table_print(rp.t, stdout);
		printf("\n%s\n", rp.failed ? "Some checks failed: see the lines under them." : "Everything is in place.");
	}
	return rp.failed ? EXIT_REFUSED : EXIT_OK;
}

const struct command doctor_commands[] = {
	{ "doctor", "", doctor, "",
	  "check this machine: nsswitch, PAM stacks, files, the view, id collisions, nscd, mail", false, true },
	{ 0 },
};
