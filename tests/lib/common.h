/* common.h - fixtures shared by the lib/ unit tests.
 *
 * Every test that touches the disk gets its own directory under /tmp:
 *   <tmp>/etc/{passwd,group,shells,roster.conf}   a tiny "system"
 *   <tmp>/db                                      [database] dir
 * and the directory is removed again in teardown.  The ids are a small
 * range (70000-70010) with 70002 taken in passwd and 70003 in group, so
 * the allocator's skipping and exhaustion are cheap to reach.  Hashing is
 * set to libsodium's minimum cost so a password costs microseconds.
 */
#ifndef ROSTER_TESTS_LIB_COMMON_H
#define ROSTER_TESTS_LIB_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"
#include "roster.h"
#include "view.h"

/* Helpers are static; not every test file uses every one. */
#define TEST_HELPER static __attribute__((unused))

#define SYS_UID_TAKEN 70002u /* in the fixture's passwd */
#define SYS_GID_TAKEN 70003u /* in the fixture's group */
#define TEST_ACTOR "tester"

struct fx {
	char dir[PATH_MAX];  /* the temp directory */
	char dbdir[PATH_MAX];
	char conf[PATH_MAX];
	struct roster_config *cfg;
	struct roster_db *db;
};

TEST_HELPER void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

TEST_HELPER void fx_path(const struct fx *fx, char *out, size_t outlen, const char *rel)
{
	int n = snprintf(out, outlen, "%s/%s", fx->dir, rel);

	assert_true(n > 0 && (size_t)n < outlen);
}

/* Writes <tmp>/etc/roster.conf: the standard settings plus extra lines
 * (which may repeat a key to override it; inih calls us once per line). */
TEST_HELPER void fx_write_conf(struct fx *fx, const char *extra)
{
	char text[8192];
	int n;

	n = snprintf(text, sizeof(text),
		     "[database]\n"
		     "dir = %s\n"
		     "hash_size = 1009\n"
		     "[ids]\n"
		     "uid_min = 70000\n"
		     "uid_max = 70010\n"
		     "[passwords]\n"
		     "opslimit = 1\n"
		     "memlimit = 8192\n"
		     "[system]\n"
		     "passwd = %s/etc/passwd\n"
		     "group = %s/etc/group\n"
		     "shells = %s/etc/shells\n"
		     "%s",
		     fx->dbdir, fx->dir, fx->dir, fx->dir, extra ? extra : "");
	assert_true(n > 0 && (size_t)n < sizeof(text));
	write_file(fx->conf, text);
}

/* The temp tree and a loaded config; no database yet. */
TEST_HELPER struct fx *fx_new_config(void)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char p[PATH_MAX];

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/roster-libtest.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	assert_int_equal(chmod(fx->dir, 0755), 0);
	fx_path(fx, fx->dbdir, sizeof(fx->dbdir), "db");
	fx_path(fx, p, sizeof(p), "etc");
	assert_int_equal(mkdir(p, 0755), 0);
	fx_path(fx, p, sizeof(p), "etc/passwd");
	write_file(p, "root:x:0:0:root:/root:/bin/bash\n"
		      "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
		      "sysuser:x:70002:70002:System User:/var/lib/sysuser:/bin/sh\n");
	fx_path(fx, p, sizeof(p), "etc/group");
	write_file(p, "root:x:0:\n"
		      "daemon:x:1:\n"
		      "sysgroup:x:70003:\n");
	fx_path(fx, p, sizeof(p), "etc/shells");
	write_file(p, "# /etc/shells: valid login shells\n/bin/sh\n/bin/bash\n");
	fx_path(fx, fx->conf, sizeof(fx->conf), "etc/roster.conf");
	fx_write_conf(fx, NULL);
	assert_int_equal(roster_config_load(fx->conf, &fx->cfg), 0);
	return fx;
}

TEST_HELPER void fx_open(struct fx *fx, int flags)
{
	int r = roster_db_open(fx->cfg, flags, &fx->db);

	if (r < 0)
		fail_msg("roster_db_open: %s (%s)", strerror(-r), roster_db_error(fx->db));
}

TEST_HELPER void fx_close(struct fx *fx)
{
	roster_db_close(fx->db);
	fx->db = NULL;
}

TEST_HELPER int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

TEST_HELPER void fx_free(struct fx *fx)
{
	if (!fx)
		return;
	roster_db_close(fx->db);
	roster_config_free(fx->cfg);
	if (fx->dir[0])
		nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
}

TEST_HELPER void txn_begin(struct fx *fx)
{
	int r = roster_txn_begin(fx->db, TEST_ACTOR);

	if (r < 0)
		fail_msg("roster_txn_begin: %s (%s)", strerror(-r), roster_db_error(fx->db));
}

TEST_HELPER void txn_commit(struct fx *fx)
{
	int r = roster_txn_commit(fx->db);

	if (r < 0)
		fail_msg("roster_txn_commit: %s (%s)", strerror(-r), roster_db_error(fx->db));
}

/* cmocka setup/teardown: a created, initialised (one empty transaction)
 * database. */
TEST_HELPER int fx_setup(void **state)
{
	struct fx *fx = fx_new_config();

	fx_open(fx, ROSTER_OPEN_CREATE);
	txn_begin(fx);
	txn_commit(fx);
	*state = fx;
	return 0;
}

TEST_HELPER int fx_setup_config_only(void **state)
{
	*state = fx_new_config();
	return 0;
}

TEST_HELPER int fx_teardown(void **state)
{
	fx_free(*state);
	*state = NULL;
	return 0;
}

/* A user as a caller builds one: heap strings, no expiry date. */
TEST_HELPER struct roster_user *user_new(const char *name, const char *email, const char *first,
					 const char *last)
{
	struct roster_user *u = calloc(1, sizeof(*u));

	assert_non_null(u);
	u->name = xstrdup_or_null(name);
	u->email = xstrdup_or_null(email);
	u->first = xstrdup_or_null(first);
	u->last = xstrdup_or_null(last);
	u->expires = ROSTER_NO_DATE;
	return u;
}

/* Adds a user in its own transaction; returns its uid. */
TEST_HELPER uint32_t add_user(struct fx *fx, const char *name, const char *email, const char *first,
			      const char *last)
{
	struct roster_user *u = user_new(name, email, first, last);
	uint32_t uid;
	int r;

	txn_begin(fx);
	r = roster_user_add(fx->db, u);
	if (r < 0)
		fail_msg("roster_user_add(%s): %s (%s)", name, strerror(-r), roster_db_error(fx->db));
	txn_commit(fx);
	uid = u->uid;
	roster_user_free(u);
	return uid;
}

/* Adds a role in its own transaction; returns its gid. */
TEST_HELPER uint32_t add_role(struct fx *fx, const char *name, const char *description)
{
	struct roster_role ro = { 0 };
	int r;

	ro.name = (char *)name;
	ro.description = (char *)description;
	txn_begin(fx);
	r = roster_role_add(fx->db, &ro);
	if (r < 0)
		fail_msg("roster_role_add(%s): %s (%s)", name, strerror(-r), roster_db_error(fx->db));
	txn_commit(fx);
	free(ro.created_by);
	free(ro.updated_by);
	return ro.gid;
}

TEST_HELPER void assign(struct fx *fx, const char *role, const char *user)
{
	int r;

	txn_begin(fx);
	r = roster_role_assign(fx->db, role, user);
	if (r < 0)
		fail_msg("roster_role_assign(%s, %s): %s (%s)", role, user, strerror(-r),
			 roster_db_error(fx->db));
	txn_commit(fx);
}

/* Collects what roster_db_check reports. */
struct problems {
	char text[8192];
	unsigned n;
};

TEST_HELPER void collect_problem(const char *what, void *priv)
{
	struct problems *p = priv;
	size_t len = strlen(p->text);

	p->n++;
	snprintf(p->text + len, sizeof(p->text) - len, "%s\n", what);
}

/* roster_db_check finds nothing wrong. */
TEST_HELPER void assert_healthy(struct fx *fx)
{
	struct roster_check_report rep;
	struct problems p;
	int r;

	memset(&p, 0, sizeof(p));
	r = roster_db_check(fx->db, false, collect_problem, &p, &rep);
	if (r < 0)
		fail_msg("roster_db_check: %s (%s)", strerror(-r), roster_db_error(fx->db));
	if (rep.problems || p.n || rep.view_stale)
		fail_msg("db check found %u problems (view %s):\n%s", rep.problems,
			 rep.view_stale ? "stale" : "current", p.text);
}

/* Reads a whole file into a malloc'd buffer. */
TEST_HELPER unsigned char *read_all(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	p = malloc((size_t)st.st_size + 1);
	assert_non_null(p);
	assert_int_equal(read(fd, p, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return p;
}

#endif
