/* check.c - roster db check: is accounts.tdb whole, are its indexes true,
 * is the history chain unbroken, and does the NSS view match it?
 *
 * Indexes are checked both ways: every user's uid, email, private group,
 * roles, supervisor and invitation must be indexed, and every index entry
 * (uid/, gid/ u:, email/, members/, role/, reports/, status/) must lead
 * back to a record that agrees, so that a user is either whole or absent,
 * never half-made.
 *
 * The check holds the writers' lock, so it sees one generation.  Repair
 * rebuilds what is derived - the lists (members/, reports/,
 * status/invited) from the user records, and the view - and never invents
 * account data.
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
	char **roles;    /* meta/roles, sorted */
	char ***members; /* members[i]: the sorted member list of roles[i] */
	size_t *nmembers; /* and its length */
	size_t nroles;
	uint32_t *uids;
	size_t nuids, cap;
	/* "KEY\tUSER" pairs, KEY a list (reports/SUPERVISOR, status/invited,
	 * status/api): as the user records say, and as the lists hold them */
	struct pairs {
		char **v;
		size_t n, cap;
	} from_users, from_lists;
	unsigned list_problems;
	int r;
};

static void vproblem(struct check *c, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void vproblem(struct check *c, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	c->rep->problems++;
	c->fn(msg, c->priv);
}

static void problem(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vproblem(c, fmt, ap);
	va_end(ap);
}

/* A problem in a list derived from the user records (members/, reports/,
 * status/invited), which --repair rebuilds from them. */
static void list_problem(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void list_problem(struct check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vproblem(c, fmt, ap);
	va_end(ap);
	c->list_problems++;
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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The member list of role and its length, loaded once for the whole
 * check: looking it up per user made the check quadratic in the size of a
 * big role, and so did counting it per user (5 min 16 s for one role of a
 * million members). */
static char *const *members_of(struct check *c, const char *role, size_t *n)
{
	char **p = bsearch(&role, c->roles, c->nroles, sizeof(char *), cmp_str);

	*n = p ? c->nmembers[p - c->roles] : 0;
	return p ? c->members[p - c->roles] : NULL;
}

static int members_cache(struct check *c)
{
	c->nroles = roster_strv_len(c->roles);
	c->members = calloc(c->nroles + 1, sizeof(*c->members));
	c->nmembers = calloc(c->nroles + 1, sizeof(*c->nmembers));
	if (!c->members || !c->nmembers)
		return -ENOMEM;
	for (size_t i = 0; i < c->nroles; i++) {
		if (members_load(c->db, c->roles[i], &c->members[i]) < 0)
			list_problem(c, "the member list of role %s is damaged", c->roles[i]);
		c->nmembers[i] = roster_strv_len(c->members[i]);
	}
	return 0;
}

static void members_free(struct check *c)
{
	for (size_t i = 0; c->members && i < c->nroles; i++)
		roster_strv_free(c->members[i]);
	free(c->members);
	free(c->nmembers);
}

static void pair_add(struct check *c, struct pairs *ps, const char *key, const char *user)
{
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 256;
		char **v = realloc(ps->v, cap * sizeof(char *));

		if (!v) {
			c->r = -ENOMEM;
			return;
		}
		ps->v = v;
		ps->cap = cap;
	}
	if (asprintf(&ps->v[ps->n], "%s\t%s", key, user) < 0) {
		c->r = -ENOMEM;
		return;
	}
	ps->n++;
}

static void pairs_free(struct pairs *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		free(ps->v[i]);
	free(ps->v);
}

/* What an entry of list key says of a user, and its negation: "reports to
 * alice" / "does not report to alice", "is invited" / "is not invited". */
static void list_rule(const char *key, int len, char *yes, char *no, size_t outlen)
{
	if ((size_t)len == strlen(KEY_API_USERS) && strncmp(key, KEY_API_USERS, (size_t)len) == 0) {
		snprintf(yes, outlen, "has API passwords");
		snprintf(no, outlen, "has none");
	} else if (strncmp(key, "reports/", 8) == 0) {
		snprintf(yes, outlen, "reports to %.*s", len - 8, key + 8);
		snprintf(no, outlen, "does not report to %.*s", len - 8, key + 8);
	} else if (strncmp(key, "status/", 7) == 0) {
		snprintf(yes, outlen, "is %.*s", len - 7, key + 7);
		snprintf(no, outlen, "is not %.*s", len - 7, key + 7);
	} else {
		snprintf(yes, outlen, "belongs in %.*s", len, key);
		snprintf(no, outlen, "does not belong in %.*s", len, key);
	}
}

/* Every user with a supervisor is in reports/SUPERVISOR, every invited
 * user in status/invited, every user with API passwords in status/api,
 * and every entry of those lists belongs there:
 * the two sorted pair lists are equal. */
static void check_lists(struct check *c)
{
	struct pairs *a = &c->from_users, *b = &c->from_lists;
	size_t i = 0, j = 0;
	char yes[KEY_MAX + 32], no[KEY_MAX + 32];

	if (a->n)
		qsort(a->v, a->n, sizeof(char *), cmp_str);
	/* b has no duplicates: a decoded list is a set, and keys are unique */
	if (b->n)
		qsort(b->v, b->n, sizeof(char *), cmp_str);
	while (i < a->n || j < b->n) {
		int d = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i], b->v[j]);
		const char *pair = d < 0 ? a->v[i] : b->v[j];
		int len = (int)strcspn(pair, "\t");

		list_rule(pair, len, yes, no, sizeof(yes));
		if (d < 0)
			list_problem(c, "%s %s but is not in %.*s", pair + len + 1, yes, len, pair);
		else if (d > 0)
			list_problem(c, "%.*s lists %s, who %s", len, pair, pair + len + 1, no);
		i += d <= 0;
		j += d >= 0;
	}
}

static void check_user(struct check *c, const char *key_name, const struct roster_user *u)
{
	char key[KEY_MAX], owner[KEY_MAX];

	c->rep->users += u->status != ROSTER_DELETED;
	if (strcmp(key_name, u->name) != 0)
		problem(c, "the record user/%s holds user %s", key_name, u->name);
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
	if (u->email) { /* adopted users may have none */
		key_email(key, u->email);
		expect_index(c, key, u->name, u->name);
	}
	if (!u->shell || !u->home)
		problem(c, "%s: no %s", u->name, u->shell ? "home directory" : "login shell");
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
	{
		char keys[USER_LISTS_MAX][KEY_MAX];
		size_t n = user_list_keys(u, keys);

		for (size_t i = 0; i < n; i++)
			pair_add(c, &c->from_users, keys[i], u->name);
	}
	for (char **p = u->roles; p && *p; p++) {
		size_t n;
		char *const *m = members_of(c, *p, &n);

		if (!m || !bsearch(&u->name, m, n, sizeof(char *), cmp_str))
			list_problem(c, "%s holds role %s but is not in its member list", u->name, *p);
	}
}

/* An index entry (uid/N, gid/N, email/ADDR) naming user name: that user's
 * record must exist and agree.  id is N, or UINT32_MAX for an email. */
static void check_index_entry(struct check *c, const char *key, const char *name, uint32_t id,
			      bool gid)
{
	struct roster_user *u = NULL;
	char want[KEY_MAX];

	if (user_load(c->db, name, &u) < 0) {
		problem(c, "index %s names user %s, who has no record", key, name);
		return;
	}
	if (id == UINT32_MAX) {
		if (u->email)
			key_email(want, u->email);
		if (u->status == ROSTER_DELETED || !u->email || strcmp(want, key) != 0)
			problem(c, "index %s names %s, whose email is %s", key, name,
				u->email ? u->email : "gone");
	} else if (gid ? (u->gid != id || u->uid != id) : u->uid != id)
		problem(c, "index %s names %s, whose %s is %u", key, name, gid ? "private group" : "uid",
			(unsigned)(gid ? u->gid : u->uid));
	roster_user_free(u);
}

/* An index entry uid/N, gid/N or email/ADDR read back: it leads to a
 * record that agrees. */
static void check_index(struct check *c, const char *key, const char *val)
{
	char *end;
	unsigned long id;

	if (key[0] == 'e') {
		check_index_entry(c, key, val, UINT32_MAX, false);
		return;
	}
	id = strtoul(key + 4, &end, 10);
	if (*end || end == key + 4 || id >= UINT32_MAX)
		problem(c, "index %s is not an id", key);
	else if (key[0] == 'u')
		check_index_entry(c, key, val, (uint32_t)id, false);
	else if (strncmp(val, "u:", 2) == 0)
		check_index_entry(c, key, val + 2, (uint32_t)id, true);
	/* r:ROLE: a deleted role keeps its gid reserved, so the role may be
	 * gone; check_roles reads the live roles' gids. */
	else if (strncmp(val, "r:", 2) != 0)
		problem(c, "index %s points at '%s'", key, val);
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int walk(struct tdb_context *tdb, TDB_DATA k, TDB_DATA d, void *priv)
{
	struct check *c = priv;
	struct roster_user *u = NULL;
	char key[KEY_MAX], val[KEY_MAX];
	int r;

	(void)tdb;
	if (k.dsize >= sizeof(key) || memchr(k.dptr, '\0', k.dsize))
		return 0;
	memcpy(key, k.dptr, k.dsize);
	key[k.dsize] = '\0';
	if (has_prefix(key, "uid/") || has_prefix(key, "gid/") || has_prefix(key, "email/")) {
		/* an index value is a name: short, no NUL */
		if (d.dsize >= sizeof(val) || memchr(d.dptr, '\0', d.dsize)) {
			problem(c, "index %s holds no name", key);
			return 0;
		}
		memcpy(val, d.dptr, d.dsize);
		val[d.dsize] = '\0';
		check_index(c, key, val);
	} else if (has_prefix(key, "members/") || has_prefix(key, "role/")) {
		const char *role = strchr(key, '/') + 1;

		if (strv_contains(c->roles, role))
			;
		else if (key[0] == 'm')
			list_problem(c, "%s exists, but role %s is not in the role index", key, role);
		else
			problem(c, "%s exists, but role %s is not in the role index", key, role);
	} else if (has_prefix(key, "reports/") || has_prefix(key, "status/")) {
		char **v = NULL;

		if (codec_strv_decode(d.dptr, d.dsize, &v) < 0)
			list_problem(c, "the list %s cannot be decoded", key);
		for (char **p = v; p && *p; p++)
			pair_add(c, &c->from_lists, key, *p);
		roster_strv_free(v);
	} else if (has_prefix(key, "user/")) {
		r = codec_user_decode(d.dptr, d.dsize, &u);
		if (r < 0)
			problem(c, "the record %s cannot be decoded (%s)", key, strerror(-r));
		else
			check_user(c, key + 5, u);
		roster_user_free(u);
	}
	return c->r != 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void check_roles(struct check *c)
{
	if (!strv_contains(c->roles, c->db->cfg->admin_role))
		problem(c, "the admin role %s is missing", c->db->cfg->admin_role);
	for (size_t i = 0; i < c->nroles; i++) {
		const char *name = c->roles[i];
		struct roster_role *ro = NULL;
		char key[KEY_MAX], owner[KEY_MAX];

		c->rep->roles++;
		if (role_load(c->db, name, &ro) < 0) {
			problem(c, "role %s is listed but its record is missing or damaged", name);
			continue;
		}
		key_gid(key, ro->gid);
		snprintf(owner, sizeof(owner), "r:%s", ro->name);
		expect_index(c, key, owner, ro->name);
		/* One counter hands out uids and gids: a role's gid is nobody's uid. */
		key_uid(key, ro->gid);
		if (db_exists(c->db, key))
			problem(c, "role %s has gid %u, which is also a user's uid", ro->name, (unsigned)ro->gid);
		for (char **u = c->members[i]; u && *u; u++) {
			struct roster_user *usr = NULL;

			if (user_load(c->db, *u, &usr) < 0 || !strv_contains(usr->roles, name))
				list_problem(c, "role %s lists %s, who does not hold it", name, *u);
			roster_user_free(usr);
		}
		roster_role_free(ro);
	}
}

int roster_db_check(struct roster_db *db, bool repair, roster_problem_fn fn, void *priv,
		    struct roster_check_report *rep)
{
	struct check c = { .db = db, .fn = fn, .priv = priv, .rep = rep };
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
	if (roster_role_names(db, &c.roles) < 0)
		problem(&c, "the role index is unreadable");
	r = members_cache(&c);
	if (r < 0)
		goto out;
	if (tdb_lockall_read(db->tdb) < 0)
		problem(&c, "accounts.tdb cannot be locked for reading: %s", tdb_errorstr(db->tdb));
	else {
		if (db_walk(db, walk, &c) < 0)
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
	/* A version 1 database has no lists yet: its first write adds them. */
	if (version >= DB_VERSION_LISTS || c.from_lists.n)
		check_lists(&c);
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
	/* The lists are the user records' to say: rebuilt from them, in a
	 * transaction of their own (which leaves the writers' lock). */
	if (repair && c.list_problems) {
		r = roster_txn_begin(db, NULL);
		if (r == 0 && (r = lists_build(db, true)) < 0)
			roster_txn_abort(db);
		r = r ?: roster_txn_commit(db);
		r = r ?: store_lock(db);
		if (r < 0)
			goto out;
		rep->repaired += c.list_problems;
	}
	if (repair && rep->view_stale) {
		r = roster_view_rebuild(db);
		if (r == 0)
			rep->repaired += view_problems;
	}
out:
	pairs_free(&c.from_users);
	pairs_free(&c.from_lists);
	free(c.uids);
	members_free(&c);
	roster_strv_free(c.roles);
	store_unlock(db);
	return r;
}
