/* mkdb.c - the benchmark's data: a roster accounts database of N users
 * built through libroster's public API, and the same users for the peers
 * roster is measured against.
 *
 *   bench/mkdb DIR USERS [USERS_PER_TXN]   create DIR (it must not exist)
 *   bench/mkdb --rebuild DIR               time roster_view_rebuild() on DIR
 *   bench/mkdb --stamp                     the data version bench/run.sh compares
 *
 * What DIR holds afterwards:
 *   roster.conf, sys/{passwd,group,shells}   the config and the small "system"
 *                                            files roster checks collisions in
 *   db/                                      accounts.tdb and view/ (ROSTER_NSS_DIR)
 *   files/{passwd,group}                     the nss_files peer (bind-mounted
 *                                            on /etc/passwd and /etc/group)
 *   misc/{passwd,group}.db                   the nss_db peer, made by makedb
 *                                            (bind-mounted on /var/lib/misc)
 *   manifest                                 what nssbench needs, and the timings
 *   stamp                                    written last: the data is complete
 *
 * The users are u0000000, u0000001, ...; the first 10,000 (or all, when
 * fewer) hold role "bigrole".  u0000000 also holds r001 .. r999: 1,000
 * roles.  In the peers' group file the roles come after the users' private
 * groups, as roles created on a machine that already has its users would.
 */
#include "roster.h"
#include "view.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DATA_VERSION 1
#define BIG_ROLE "bigrole"
#define BIG_MEMBERS 10000u
#define MANY_ROLES 1000u /* bigrole and r001 .. r999 */
#define UID_MIN 2000000000u
#define UID_MAX 2099999999u
#define NAME_FMT "u%07u"

struct gen {
	const char *dir;
	unsigned nusers, batch;
	struct roster_config *cfg;
	struct roster_db *db;
	uint32_t *uids;       /* of user i */
	uint32_t admin_gid, big_gid;
	uint32_t *role_gids;  /* of r001 .. r999, [1 .. MANY_ROLES - 1] */
	double t_roles, t_users, t_assign, t_peers, t_makedb;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void stamp_text(char *out, size_t n)
{
	snprintf(out, n, "roster-bench data %d view %d", DATA_VERSION, VIEW_VERSION);
}

static int write_text(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -EIO;
}

static int mkdir_in(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return chmod(path, 0755) < 0 ? -errno : 0;
}

/* The smallest prime >= n: the tdb hash size, ~5 records per user. */
static unsigned prime_at_least(unsigned n)
{
	for (;; n++) {
		bool prime = n >= 2;

		for (unsigned d = 2; prime && (unsigned long long)d * d <= n; d++)
			prime = n % d != 0;
		if (prime)
			return n;
	}
}

static int fail(struct gen *g, int r, const char *what)
{
	fprintf(stderr, "mkdb: %s: %s (%s)\n", what, g->db ? roster_db_error(g->db) : "", strerror(-r));
	return r;
}

static int setup(struct gen *g)
{
	char conf[8192], path[4096];
	int r;

	if (mkdir(g->dir, 0755) < 0) {
		fprintf(stderr, "mkdb: cannot create %s: %s\n", g->dir, strerror(errno));
		return -errno;
	}
	snprintf(conf, sizeof(conf),
		 "[database]\ndir = %s/db\nhash_size = %u\n"
		 "[ids]\nuid_min = %u\nuid_max = %u\n"
		 "[passwords]\nopslimit = 1\nmemlimit = 8192\n"
		 "[system]\npasswd = %s/sys/passwd\ngroup = %s/sys/group\nshells = %s/sys/shells\n",
		 g->dir, prime_at_least(5 * (g->nusers < 10000 ? 10000 : g->nusers)), UID_MIN, UID_MAX,
		 g->dir, g->dir, g->dir);
	r = mkdir_in(g->dir, "sys") ?: mkdir_in(g->dir, "files") ?: mkdir_in(g->dir, "misc") ?:
	    write_text(g->dir, "sys/passwd", "root:x:0:0:root:/root:/bin/bash\n") ?:
	    write_text(g->dir, "sys/group", "root:x:0:\n") ?:
	    write_text(g->dir, "sys/shells", "/bin/sh\n/bin/bash\n") ?:
	    write_text(g->dir, "roster.conf", conf);
	if (r < 0) {
		fprintf(stderr, "mkdb: cannot write in %s: %s\n", g->dir, strerror(-r));
		return r;
	}
	snprintf(path, sizeof(path), "%s/roster.conf", g->dir);
	r = roster_config_load(path, &g->cfg);
	if (r < 0) {
		fprintf(stderr, "mkdb: %s\n", roster_config_error());
		return r;
	}
	r = roster_db_open(g->cfg, ROSTER_OPEN_CREATE | ROSTER_OPEN_MAP, &g->db);
	return r < 0 ? fail(g, r, "open") : 0;
}

static int add_role(struct gen *g, const char *name, uint32_t *gid)
{
	struct roster_role *ro = calloc(1, sizeof(*ro));
	int r;

	if (!ro || !(ro->name = strdup(name))) {
		roster_role_free(ro);
		return -ENOMEM;
	}
	r = roster_role_add(g->db, ro);
	*gid = ro->gid;
	roster_role_free(ro);
	return r < 0 ? fail(g, r, "role add") : 0;
}

/* bigrole and r001 .. r999, in one transaction. */
static int add_roles(struct gen *g)
{
	double t0 = now_s();
	struct roster_role *admin = NULL;
	char name[16];
	int r = roster_txn_begin(g->db, "bench");

	r = r ?: add_role(g, BIG_ROLE, &g->big_gid);
	for (unsigned i = 1; r == 0 && i < MANY_ROLES; i++) {
		snprintf(name, sizeof(name), "r%03u", i);
		r = add_role(g, name, &g->role_gids[i]);
	}
	r = r ?: roster_txn_commit(g->db);
	/* The admin role is created with the database. */
	r = r ?: roster_role_get(g->db, g->cfg->admin_role, &admin);
	if (r == 0)
		g->admin_gid = admin->gid;
	roster_role_free(admin);
	g->t_roles = now_s() - t0;
	return r < 0 ? fail(g, r, "roles") : 0;
}

static int add_user(struct gen *g, unsigned i)
{
	struct roster_user *u = calloc(1, sizeof(*u));
	char name[16], email[64];
	int r = -ENOMEM;

	if (!u)
		return r;
	snprintf(name, sizeof(name), NAME_FMT, i);
	snprintf(email, sizeof(email), "%s@example.org", name);
	u->expires = ROSTER_NO_DATE;
	u->name = strdup(name);
	u->email = strdup(email);
	u->first = strdup("Bench");
	u->last = strdup("User");
	if (i < BIG_MEMBERS) {
		u->roles = calloc(2, sizeof(char *));
		if (u->roles)
			u->roles[0] = strdup(BIG_ROLE);
		if (!u->roles || !u->roles[0])
			goto out;
	}
	if (!u->name || !u->email || !u->first || !u->last)
		goto out;
	r = roster_user_add(g->db, u);
	if (r == 0)
		g->uids[i] = u->uid;
out:
	roster_user_free(u);
	return r;
}

static int add_users(struct gen *g)
{
	double t0 = now_s(), tb;
	int r = 0;

	for (unsigned i = 0; r == 0 && i < g->nusers; i += g->batch) {
		unsigned end = i + g->batch < g->nusers ? i + g->batch : g->nusers;

		tb = now_s();
		r = roster_txn_begin(g->db, "bench");
		for (unsigned j = i; r == 0 && j < end; j++)
			r = add_user(g, j);
		r = r ?: roster_txn_commit(g->db);
		fprintf(stderr, "mkdb: %u/%u users, %.0f users/s in this transaction\n", end,
			g->nusers, (end - i) / (now_s() - tb));
	}
	g->t_users = now_s() - t0;
	return r < 0 ? fail(g, r, "users") : 0;
}

/* u0000000 gets r001 .. r999, 250 assignments per transaction, the way an
 * administrator's "roster role assign" calls would arrive. */
static int assign_roles(struct gen *g)
{
	double t0 = now_s();
	char user[16], role[16];
	int r = 0;

	snprintf(user, sizeof(user), NAME_FMT, 0u);
	for (unsigned i = 1; r == 0 && i < MANY_ROLES; i += 250) {
		r = roster_txn_begin(g->db, "bench");
		for (unsigned j = i; r == 0 && j < i + 250 && j < MANY_ROLES; j++) {
			snprintf(role, sizeof(role), "r%03u", j);
			r = roster_role_assign(g->db, role, user);
		}
		r = r ?: roster_txn_commit(g->db);
	}
	g->t_assign = now_s() - t0;
	return r < 0 ? fail(g, r, "role assign") : 0;
}

/* ---- the peers ---- */

/* Prints a passwd or group line to f and, for makedb, the three keys
 * Debian's /var/lib/misc/Makefile gives each: "0N" (enumeration order),
 * ".name" and "=id". */
static void peer_line(FILE *f, FILE *db, unsigned *cnt, const char *name, uint32_t id, const char *line)
{
	fputs(line, f);
	fprintf(db, "0%u %s.%s %s=%u %s", (*cnt)++, line, name, line, (unsigned)id, line);
}

static int write_peers(struct gen *g)
{
	char path[4096], cmd[8400], line[512], user0[16];
	FILE *pw = NULL, *gr = NULL, *pwdb = NULL, *grdb = NULL;
	unsigned npw = 0, ngr = 0, nbig = g->nusers < BIG_MEMBERS ? g->nusers : BIG_MEMBERS;
	double t0 = now_s();
	int r = 0;

	snprintf(path, sizeof(path), "%s/files/passwd", g->dir);
	pw = fopen(path, "we");
	snprintf(path, sizeof(path), "%s/files/group", g->dir);
	gr = fopen(path, "we");
	snprintf(cmd, sizeof(cmd), "makedb --quiet -o '%s/misc/passwd.db' -", g->dir);
	pwdb = popen(cmd, "w");
	snprintf(cmd, sizeof(cmd), "makedb --quiet -o '%s/misc/group.db' -", g->dir);
	grdb = popen(cmd, "w");
	if (!pw || !gr || !pwdb || !grdb) {
		r = -errno ?: -EIO;
		fprintf(stderr, "mkdb: cannot write the peers: %s\n", strerror(-r));
		goto out;
	}
	peer_line(pw, pwdb, &npw, "root", 0, "root:x:0:0:root:/root:/bin/bash\n");
	peer_line(gr, grdb, &ngr, "root", 0, "root:x:0:\n");
	for (unsigned i = 0; i < g->nusers; i++) {
		char name[16];

		snprintf(name, sizeof(name), NAME_FMT, i);
		snprintf(line, sizeof(line), "%s:x:%u:%u:Bench User:/home/%s:/bin/bash\n", name,
			 (unsigned)g->uids[i], (unsigned)g->uids[i], name);
		peer_line(pw, pwdb, &npw, name, g->uids[i], line);
		snprintf(line, sizeof(line), "%s:x:%u:\n", name, (unsigned)g->uids[i]);
		peer_line(gr, grdb, &ngr, name, g->uids[i], line);
	}
	snprintf(line, sizeof(line), "%s:x:%u:\n", g->cfg->admin_role, (unsigned)g->admin_gid);
	peer_line(gr, grdb, &ngr, g->cfg->admin_role, g->admin_gid, line);
	{
		/* bigrole's line: 10,000 members, built once. */
		size_t cap = 64 + (size_t)nbig * 9, len;
		char *big = malloc(cap);

		if (!big) {
			r = -ENOMEM;
			goto out;
		}
		len = (size_t)snprintf(big, cap, "%s:x:%u:", BIG_ROLE, (unsigned)g->big_gid);
		for (unsigned i = 0; i < nbig; i++)
			len += (size_t)snprintf(big + len, cap - len, i ? "," NAME_FMT : NAME_FMT, i);
		snprintf(big + len, cap - len, "\n");
		peer_line(gr, grdb, &ngr, BIG_ROLE, g->big_gid, big);
		free(big);
	}
	snprintf(user0, sizeof(user0), NAME_FMT, 0u);
	for (unsigned i = 1; i < MANY_ROLES; i++) {
		char name[16];

		snprintf(name, sizeof(name), "r%03u", i);
		snprintf(line, sizeof(line), "%s:x:%u:%s\n", name, (unsigned)g->role_gids[i], user0);
		peer_line(gr, grdb, &ngr, name, g->role_gids[i], line);
	}
	g->t_peers = now_s() - t0;
out:
	if (pw && fclose(pw) != 0 && r == 0)
		r = -EIO;
	if (gr && fclose(gr) != 0 && r == 0)
		r = -EIO;
	t0 = now_s();
	if (pwdb && pclose(pwdb) != 0 && r == 0)
		r = -EIO;
	if (grdb && pclose(grdb) != 0 && r == 0)
		r = -EIO;
	g->t_makedb = now_s() - t0;
	if (r == -EIO)
		fprintf(stderr, "mkdb: writing the peers failed (is libnss-db's makedb installed?)\n");
	return r;
}

/* The sum of the sizes of the files in dir. */
static unsigned long long dir_bytes(const char *dir)
{
	unsigned long long sum = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];
	struct stat st;

	while (d && (e = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			sum += (unsigned long long)st.st_size;
	}
	if (d)
		closedir(d);
	return sum;
}

static int write_manifest(struct gen *g)
{
	char path[4096], vdir[4096], stamp[128];
	unsigned long long view_bytes;
	struct stat st;
	FILE *f;

	snprintf(vdir, sizeof(vdir), "%s/db/" VIEW_DIR, g->dir);
	view_bytes = dir_bytes(vdir);
	snprintf(path, sizeof(path), "%s/db/accounts.tdb", g->dir);
	if (stat(path, &st) < 0)
		st.st_size = 0;
	snprintf(path, sizeof(path), "%s/manifest", g->dir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "users %u\n", g->nusers);
	fprintf(f, "users_per_txn %u\n", g->batch);
	fprintf(f, "big_role %s %u %u\n", BIG_ROLE, (unsigned)g->big_gid,
		g->nusers < BIG_MEMBERS ? g->nusers : BIG_MEMBERS);
	fprintf(f, "many_roles " NAME_FMT " %u %u\n", 0u, (unsigned)g->uids[0], MANY_ROLES);
	fprintf(f, "miss_uid %u\n", UID_MAX);
	fprintf(f, "create_roles_s %.3f\n", g->t_roles);
	fprintf(f, "create_users_s %.3f\n", g->t_users);
	fprintf(f, "create_assign_s %.3f\n", g->t_assign);
	fprintf(f, "create_s %.3f\n", g->t_roles + g->t_users + g->t_assign);
	fprintf(f, "peer_files_s %.3f\n", g->t_peers);
	fprintf(f, "makedb_s %.3f\n", g->t_makedb);
	fprintf(f, "view_bytes %llu\n", view_bytes);
	fprintf(f, "tdb_bytes %llu\n", (unsigned long long)st.st_size);
	if (fclose(f) != 0)
		return -EIO;
	stamp_text(stamp, sizeof(stamp));
	strcat(stamp, "\n");
	return write_text(g->dir, "stamp", stamp);
}

static int generate(const char *dir, unsigned nusers, unsigned batch)
{
	struct gen g = { .dir = dir, .nusers = nusers, .batch = batch };
	int r;

	g.uids = calloc(nusers, sizeof(*g.uids));
	g.role_gids = calloc(MANY_ROLES, sizeof(*g.role_gids));
	if (!g.uids || !g.role_gids) {
		r = -ENOMEM;
		goto out;
	}
	r = setup(&g) ?: add_roles(&g) ?: add_users(&g) ?: assign_roles(&g);
	if (r < 0)
		goto out;
	fprintf(stderr, "mkdb: %u users in %.1f s (roles %.1f s, users %.1f s: %.0f users/s, "
		"1,000 roles for one user %.1f s)\n", nusers, g.t_roles + g.t_users + g.t_assign,
		g.t_roles, g.t_users, nusers / g.t_users, g.t_assign);
	r = write_peers(&g);
	if (r < 0)
		goto out;
	fprintf(stderr, "mkdb: peers: passwd and group files %.1f s, makedb %.1f s\n", g.t_peers,
		g.t_makedb);
	r = write_manifest(&g);
	if (r < 0)
		fprintf(stderr, "mkdb: cannot write the manifest: %s\n", strerror(-r));
out:
	roster_db_close(g.db);
	roster_config_free(g.cfg);
	free(g.uids);
	free(g.role_gids);
	return r;
}

/* What `roster db check --repair` runs after a crash: every shard written
 * again from accounts.tdb.  Nothing else writes during the benchmark, so
 * the writers' lock (internal to lib/) is not needed. */
static int rebuild(const char *dir)
{
	struct roster_config *cfg = NULL;
	struct roster_db *db = NULL;
	char path[4096];
	double t0;
	int r;

	snprintf(path, sizeof(path), "%s/roster.conf", dir);
	r = roster_config_load(path, &cfg);
	if (r < 0) {
		fprintf(stderr, "mkdb: %s\n", roster_config_error());
		return r;
	}
	r = roster_db_open(cfg, ROSTER_OPEN_MAP, &db);
	if (r == 0) {
		t0 = now_s();
		r = roster_view_rebuild(db);
		if (r == 0)
			printf("%.3f\n", now_s() - t0);
	}
	if (r < 0)
		fprintf(stderr, "mkdb: rebuild: %s\n", roster_db_error(db));
	roster_db_close(db);
	roster_config_free(cfg);
	return r;
}

int main(int argc, char **argv)
{
	char stamp[128];
	unsigned long n, batch = 100000;

	if (argc == 2 && strcmp(argv[1], "--stamp") == 0) {
		stamp_text(stamp, sizeof(stamp));
		puts(stamp);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--rebuild") == 0)
		return rebuild(argv[2]) < 0 ? 1 : 0;
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: mkdb DIR USERS [USERS_PER_TXN] | mkdb --rebuild DIR | mkdb --stamp\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	if (argc == 4)
		batch = strtoul(argv[3], NULL, 10);
	if (n < 1 || n > 10000000 || batch < 1 || batch > 10000000) {
		fprintf(stderr, "mkdb: USERS and USERS_PER_TXN must be 1 .. 10,000,000\n");
		return 2;
	}
	return generate(argv[1], (unsigned)n, (unsigned)batch) < 0 ? 1 : 0;
}
