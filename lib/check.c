/* check.c - roster db check: is accounts.tdb whole, are its indexes true,
 * is the history chain unbroken, and does the NSS view match it?
 *
 * The check holds the writers' lock, so it sees one generation.  Repair
 * rebuilds what is derived (the view); it never invents account data.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct check {
	struct roster_db *db;
	roster_problem_fn fn;
	void *priv;
	struct roster_check_report *rep;
	uint32_t *uids;
	size_t nuids, cap;
	int r;
};

static void problem(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct check *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->rep->problems++;
	c->fn(msg, c->priv);
}

/* key's value must be the string want */
static void expect_index(struct check *c, const char *key, const char *want, const char *what)
{
	TDB_DATA d;

	if (db_fetch(c->db, key, &d) < 0) {
		problem(c, "%s: index %s is missing", what, key);
		return;
	}
	if (d.dsize != strlen(want) || memcmp(d.dptr, want, d.dsize) != 0)
		problem(c, "%s: index %s points at '%.*s'", what, key, (int)d.dsize, (const char *)d.dptr);
	free(d.dptr);
}

static void check_user(struct check *c, const struct roster_user *u)
{
	char key[KEY_MAX], owner[KEY_MAX];

	c->rep->users += u->status != ROSTER_DELETED;
	key_uid(key, u->uid);
	expect_index(c, key, u->name, u->name);
	if (c->nuids == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		uint32_t *v = realloc(c->uids, cap * sizeof(*v));

		if (!v) {
			c->r = -ENOMEM;
			return;
		}
		c->uids = v;
		c->cap = cap;
	}
	c->uids[c->nuids++] = u->uid;
	if (u->status == ROSTER_DELETED)
		return;
	if (roster_valid_name(u->name) < 0)
		problem(c, "user record with an invalid name '%s'", u->name);
	if (u->email) {
		key_email(key, u->email);
		expect_index(c, key, u->name, u->name);
	} else
		problem(c, "%s: no email address", u->name);
	if (u->gid == u->uid) {
		key_gid(key, u->gid);
		snprintf(owner, sizeof(owner), "u:%s", u->name);
		expect_index(c, key, owner, u->name);
	}
	if (u->supervisor) {
		struct roster_user *s = NULL;

		if (user_load(c->db, u->supervisor, &s) < 0 || s->status == ROSTER_DELETED)
			problem(c, "%s: supervisor %s does not exist", u->name, u->supervisor);
		roster_user_free(s);
	}
	for (char **p = u->roles; p && *p; p++) {
		char **m = NULL;

		if (members_load(c->db, *p, &m) < 0 || !strv_contains(m, u->name))
			problem(c, "%s holds role %s but is not in its member list", u->name, *p);
		roster_strv_free(m);
	}
}

static int walk(struct tdb_context *tdb, TDB_DATA k, TDB_DATA d, void *priv)
{
	struct check *c = priv;
	struct roster_user *u = NULL;
	int r;

	(void)tdb;
	if (k.dsize < 5 || memcmp(k.dptr, "user/", 5) != 0)
		return 0;
	r = codec_user_decode(d.dptr, d.dsize, &u);
	if (r < 0)
		problem(c, "the record %.*s cannot be decoded (%s)", (int)k.dsize, (const char *)k.dptr,
			strerror(-r));
	else
		check_user(c, u);
	roster_user_free(u);
	return c->r != 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void check_roles(struct check *c)
{
	char **names = NULL;

	if (roster_role_names(c->db, &names) < 0) {
		problem(c, "the role index is unreadable");
		return;
	}
	if (!strv_contains(names, c->db->cfg->admin_role))
		problem(c, "the admin role %s is missing", c->db->cfg->admin_role);
	for (char **p = names; p && *p; p++) {
		struct roster_role *ro = NULL;
		char **m = NULL, key[KEY_MAX], owner[KEY_MAX];

		c->rep->roles++;
		if (role_load(c->db, *p, &ro) < 0) {
			problem(c, "role %s is listed but its record is missing or damaged", *p);
			continue;
		}
		key_gid(key, ro->gid);
		snprintf(owner, sizeof(owner), "r:%s", ro->name);
		expect_index(c, key, owner, ro->name);
		if (members_load(c->db, *p, &m) == 0)
			for (char **u = m; u && *u; u++) {
				struct roster_user *usr = NULL;

				if (user_load(c->db, *u, &usr) < 0 || !strv_contains(usr->roles, *p))
					problem(c, "role %s lists %s, who does not hold it", *p, *u);
				roster_user_free(usr);
			}
		roster_strv_free(m);
		roster_role_free(ro);
	}
	roster_strv_free(names);
}

int roster_db_check(struct roster_db *db, bool repair, roster_problem_fn fn, void *priv,
		    struct roster_check_report *rep)
{
	struct check c = { db, fn, priv, rep, NULL, 0, 0, 0 };
	uint64_t gen = 0, stamp = 0, version;
	unsigned view_problems = 0;
	int r;

	memset(rep, 0, sizeof(*rep));
	r = store_lock(db);
	if (r < 0)
		return r;
	if (tdb_check(db->tdb, NULL, NULL) != 0)
		problem(&c, "accounts.tdb is structurally damaged: %s", tdb_errorstr(db->tdb));
	if (db_get_u64(db, "meta/version", &version) < 0 || db_get_u64(db, "meta/generation", &gen) < 0) {
		problem(&c, "the database has no version or generation: it was never initialised");
		goto out;
	}
	if (tdb_lockall_read(db->tdb) < 0)
		problem(&c, "accounts.tdb cannot be locked for reading: %s", tdb_errorstr(db->tdb));
	else {
		if (tdb_traverse_read(db->tdb, walk, &c) < 0 && c.r == 0)
			problem(&c, "accounts.tdb cannot be walked: %s", tdb_errorstr(db->tdb));
		tdb_unlockall_read(db->tdb);
	}
	if (c.r < 0) {
		r = c.r;
		goto out;
	}
	if (c.nuids)
		qsort(c.uids, c.nuids, sizeof(*c.uids), cmp_u32);
	for (size_t i = 1; i < c.nuids; i++)
		if (c.uids[i] == c.uids[i - 1])
			problem(&c, "uid %u is used by more than one user", (unsigned)c.uids[i]);
	check_roles(&c);
	r = history_verify(db, fn, priv, &rep->events, &rep->problems);
	if (r < 0)
		goto out;
	if (view_read_stamp(db->cfg->dbdir, &stamp) < 0 || stamp != gen) {
		rep->view_stale = true;
		view_problems++;
		problem(&c, "the NSS view reflects generation %llu, the accounts are at %llu",
			(unsigned long long)stamp, (unsigned long long)gen);
	}
	r = view_compare(db, fn, priv, &view_problems);
	if (r < 0)
		goto out;
	if (view_problems) {
		rep->view_stale = true;
		rep->problems += view_problems - (stamp != gen);
	}
	if (repair && rep->view_stale) {
		r = roster_view_rebuild(db);
		if (r == 0)
			rep->repaired += view_problems;
	}
out:
	free(c.uids);
	store_unlock(db);
	return r;
}
