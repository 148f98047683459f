/* user.c - users: validation, add, update, lookup, listing, id allocation.
 *
 * Every write goes through user_write(), which diffs the old record against
 * the new one, keeps the indexes in step (uid, email, role members,
 * reports, invitations), records the history event and marks the view keys
 * that must be rewritten.  There is no other path that changes a user, so
 * no change escapes history.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

struct user_dec {
	struct roster_user **out;
	int r;
};

static int user_decode(const unsigned char *p, size_t n, void *priv)
{
	struct user_dec *ud = priv;

	ud->r = codec_user_decode(p, n, ud->out);
	return 0;
}

int user_load(struct roster_db *db, const char *name, struct roster_user **out)
{
	struct user_dec ud = { out, 0 };
	char key[KEY_MAX];
	int r;

	if (roster_valid_name(name) < 0)
		return -ENOENT;
	key_user(key, name);
	/* Decoded where it lies when the file is mapped; else (and in a
	 * transaction) db_parse wipes tdb's copy of the hash. */
	r = db_parse(db, key, user_decode, &ud);
	if (r < 0)
		return r;
	if (ud.r < 0)
		return db_fail(db, ud.r, "the record of user %s is damaged (%s); run roster db check", name,
			       strerror(-ud.r));
	return 0;
}

/* A key the import's checks found free: taken meanwhile is a bug. */
static int insert_new(struct roster_db *db, const char *key, const void *p, size_t n)
{
	int r = db_insert(db, key, p, n);

	return r == -EEXIST ? db_fail(db, -EEXIST, "internal error: %s is already there", key) : r;
}

static int user_put(struct roster_db *db, const struct roster_user *u, bool is_new)
{
	char key[KEY_MAX];
	struct buf b = { .secret = true };
	int r = codec_user_encode(u, &b);

	key_user(key, u->name);
	if (r == 0)
		r = is_new ? insert_new(db, key, b.p, b.len) : db_store(db, key, b.p, b.len);
	buf_free(&b);
	return r;
}

int user_store(struct roster_db *db, const struct roster_user *u)
{
	return user_put(db, u, false);
}

int roster_user_get(struct roster_db *db, const char *name, struct roster_user **out)
{
	int r = user_load(db, name, out);

	if (r == -ENOENT || (r == 0 && (*out)->status == ROSTER_DELETED)) {
		if (r == 0) {
			roster_user_free(*out);
			*out = NULL;
		}
		return db_fail(db, -ENOENT, "no such user: %s", name);
	}
	return r;
}

int ids_allocate(struct roster_db *db, uint32_t *id)
{
	uint64_t next;
	char key[KEY_MAX];
	int r = db_get_u64(db, "meta/next_id", &next);

	if (r < 0)
		return db_fail(db, r, "the id counter is missing; run roster db check");
	if (next < db->cfg->uid_min)
		next = db->cfg->uid_min;
	for (;; next++) {
		if (next > db->cfg->uid_max)
			return db_fail(db, -ENOSPC, "the id range %u-%u is exhausted; widen [ids] in %s",
				       (unsigned)db->cfg->uid_min, (unsigned)db->cfg->uid_max,
				       db->cfg->path);
		key_uid(key, (uint32_t)next);
		if (db_exists(db, key))
			continue;
		key_gid(key, (uint32_t)next);
		if (db_exists(db, key))
			continue;
		/* Free as a uid and as a gid: the view infers a private group
		 * from gid == uid, so no id may be taken in either file. */
		r = sysdb_has_user(db->cfg, NULL, (uint32_t)next);
		if (r == 0)
			r = sysdb_has_group(db->cfg, NULL, (uint32_t)next);
		if (r < 0)
			return db_fail(db, r, "cannot read the system account files: %s", strerror(-r));
		if (r == 0)
			break;
	}
	*id = (uint32_t)next;
	/* Never handed out again, whatever happens to this account. */
	return db_put_u64(db, "meta/next_id", next + 1);
}

/* "/srv//alice/" is stored as "/srv/alice"; ".." and relative paths are
 * refused by validate(). */
static int normalize_home(struct roster_user *u)
{
	char norm[4096];
	char *s;

	if (!u->home || roster_normalize_path(u->home, norm, sizeof(norm)) < 0)
		return 0;
	if (!(s = strdup(norm)))
		return -ENOMEM;
	free(u->home);
	u->home = s;
	return 0;
}

/* Checks every field a caller can set; names the offending field. */
static int validate(struct roster_db *db, const struct roster_user *old, const struct roster_user *u)
{
	char norm[4096];
	int r;

	/* The CLI asks for an email; users adopted from /etc/passwd have none
	 * until one is set. */
	if (u->email && roster_valid_email(u->email) < 0)
		return db_fail(db, -EINVAL, "invalid email address: '%s'", u->email ? u->email : "");
	if (u->first && roster_valid_gecos_part(u->first) < 0)
		return db_fail(db, -EINVAL,
			       "invalid first name: at most %d bytes of UTF-8 text, no ':' ',' '=' '\\' "
			       "or control characters",
			       ROSTER_GECOS_PART_MAX);
	if (u->last && roster_valid_gecos_part(u->last) < 0)
		return db_fail(db, -EINVAL,
			       "invalid last name: at most %d bytes of UTF-8 text, no ':' ',' '=' '\\' "
			       "or control characters",
			       ROSTER_GECOS_PART_MAX);
	if (!u->shell || sysdb_shell_ok(db->cfg, u->shell) < 0)
		return db_fail(db, -EINVAL, "shell %s is not listed in %s", u->shell ? u->shell : "",
			       db->cfg->shells_file);
	if (!u->home || roster_normalize_path(u->home, norm, sizeof(norm)) < 0 || strcmp(norm, u->home))
		return db_fail(db, -EINVAL, "invalid home directory '%s': it must be an absolute, normalised path without '..' or ':'",
			       u->home ? u->home : "");
	if (u->status == ROSTER_DELETED)
		return db_fail(db, -EINVAL, "internal error: writing a deleted user");
	if (u->supervisor) {
		struct roster_user *s = NULL;

		if (strcmp(u->supervisor, u->name) == 0)
			return db_fail(db, -EINVAL, "a user cannot be their own supervisor");
		r = roster_user_get(db, u->supervisor, &s);
		roster_user_free(s);
		if (r < 0)
			return db_fail(db, r, "no such supervisor: %s", u->supervisor);
	}
	/* Only a change that adds roles is held to the limit: a user over it
	 * from an older roster can still lose roles or change a password. */
	if (roster_strv_len(u->roles) > ROSTER_USER_ROLES_MAX &&
	    roster_strv_len(u->roles) > (old ? roster_strv_len(old->roles) : 0))
		return db_fail(db, -E2BIG, "a user holds at most %d roles", ROSTER_USER_ROLES_MAX);
	for (char **p = u->roles; p && *p; p++) {
		char key[KEY_MAX];

		key_role(key, *p);
		if (roster_valid_name(*p) < 0 || !db_exists(db, key))
			return db_fail(db, -ENOENT, "no such role: %s", *p);
	}
	return 0;
}

static const char *date_or_null(int64_t d, char buf[11])
{
	if (d == ROSTER_NO_DATE)
		return NULL;
	roster_format_date(d, buf);
	return buf;
}

static char *join(char *const *v)
{
	struct buf b = { 0 };

	for (size_t i = 0; v && v[i]; i++) {
		if (i)
			buf_put(&b, ",", 1);
		buf_put(&b, v[i], strlen(v[i]));
	}
	buf_put(&b, "", 1);
	if (b.err) {
		buf_free(&b);
		return NULL;
	}
	return (char *)b.p;
}

/* Every field an administrator can see change, old against new.  The
 * password hash is secret: history names it, never shows it. */
static void diff_users(struct changes *c, const struct roster_user *o, const struct roster_user *n)
{
	static const struct roster_user none = { .expires = ROSTER_NO_DATE, .status = -1 };
	char b1[16], b2[16], *j1, *j2;

	if (!o)
		o = &none;
#define STR(field, label) \
	if (!str_eq(o->field, n->field)) \
		changes_add(c, label, o->field, n->field);
	STR(email, "email");
	STR(first, "first_name");
	STR(last, "last_name");
	STR(supervisor, "supervisor");
	STR(shell, "shell");
	STR(home, "home");
#undef STR
	if (o->uid != n->uid) {
		snprintf(b2, sizeof(b2), "%u", (unsigned)n->uid);
		changes_add(c, "uid", NULL, b2);
	}
	if (o->gid != n->gid) {
		snprintf(b1, sizeof(b1), "%u", (unsigned)o->gid);
		snprintf(b2, sizeof(b2), "%u", (unsigned)n->gid);
		changes_add(c, "gid", o == &none ? NULL : b1, b2);
	}
	if (o->status != n->status)
		changes_add(c, "status", o == &none ? NULL : roster_status_name(o->status),
			    roster_status_name(n->status));
	j1 = join(o->roles);
	j2 = join(n->roles);
	if (!j1 || !j2)
		c->err = -ENOMEM;
	else if (strcmp(j1, j2) != 0)
		changes_add(c, "roles", *j1 ? j1 : NULL, *j2 ? j2 : NULL);
	free(j1);
	free(j2);
	if (o->must_change != n->must_change)
		changes_add(c, "must_change_password", o == &none ? NULL : o->must_change ? "true" : "false",
			    n->must_change ? "true" : "false");
	if (o->expires != n->expires) {
		char d1[11], d2[11];
		changes_add(c, "expires", date_or_null(o->expires, d1), date_or_null(n->expires, d2));
	}
	if (!str_eq(o->pwhash, n->pwhash)) {
		const char *so = roster_hash_scheme(o->pwhash), *sn = roster_hash_scheme(n->pwhash);

		changes_secret(c, "password");
		/* Not secret, and what an auditor of a migration looks for:
		 * "password_scheme: sha512crypt -> argon2id". */
		if (o != &none && so && sn && strcmp(so, sn) != 0)
			changes_add(c, "password_scheme", so, sn);
	}
	if (!str_eq(o->invite_hash, n->invite_hash))
		changes_secret(c, "invite_code");
	if (o->api_enabled != n->api_enabled)
		changes_add(c, "api_access", o == &none ? NULL : o->api_enabled ? "enabled" : "disabled",
			    n->api_enabled ? "enabled" : "disabled");
	j1 = join(o->api_labels);
	j2 = join(n->api_labels);
	if (!j1 || !j2)
		c->err = -ENOMEM;
	else if (strcmp(j1, j2) != 0)
		changes_add(c, "api_passwords", *j1 ? j1 : NULL, *j2 ? j2 : NULL);
	free(j1);
	free(j2);
	if (o->invite_expires != n->invite_expires) {
		char t1[21] = "", t2[21] = "";

		if (o->invite_expires)
			roster_format_time(o->invite_expires, t1);
		if (n->invite_expires)
			roster_format_time(n->invite_expires, t2);
		changes_add(c, "invite_expires", *t1 ? t1 : NULL, *t2 ? t2 : NULL);
	}
}

static int index_email(struct roster_db *db, const char *email, const char *name, bool add)
{
	char key[KEY_MAX], owner[ROSTER_NAME_MAX + 1] = "another user";
	TDB_DATA d;
	int r;

	key_email(key, email);
	if (!add)
		return db_delete(db, key);
	r = db_insert(db, key, name, strlen(name));
	if (r != -EEXIST)
		return r;
	r = db_fetch(db, key, &d);
	if (r == 0 && d.dsize <= ROSTER_NAME_MAX) {
		memcpy(owner, d.dptr, d.dsize);
		owner[d.dsize] = '\0';
	}
	if (r == 0)
		free(d.dptr);
	if (strcmp(owner, name) != 0)
		return db_fail(db, -EEXIST, "email %s is already used by %s", email, owner);
	return 0; /* it is already name's */
}

/* The lists that spare a walk over every user (DB_VERSION 2):
 * reports/SUPERVISOR for "user show" and "user delete", status/invited for
 * "invite list", status/api for "api list"; also members/ROLE and
 * meta/roles. */
int db_list_change(struct roster_db *db, const char *key, const char *user, bool add)
{
	struct buf b = { 0 };
	char **v = NULL;
	bool changed;
	TDB_DATA d;
	int r = db_fetch(db, key, &d);

	if (r == -ENOENT)
		return add ? db_put_list(db, key, (char *[]){ (char *)user, NULL }) : 0;
	if (r < 0)
		return r;
	/* In place: a role of a million members is one memmove, not a
	 * million strings. */
	r = codec_strv_splice(d.dptr, d.dsize, user, add, &b, &changed);
	free(d.dptr);
	if (r >= 0 && changed)
		r = r == 0 ? db_delete(db, key) : db_store(db, key, b.p, b.len);
	buf_free(&b);
	if (r != -EAGAIN)
		return r < 0 ? db_list_fail(db, r, key) : 0;
	/* Not in the form this roster writes: decoding normalizes it. */
	r = db_get_list(db, key, &v);
	if (r == 0)
		r = add ? strv_add(&v, user) : (strv_remove(v, user), 0);
	if (r == 0)
		r = db_put_list(db, key, v);
	roster_strv_free(v);
	return r;
}

static int members_change(struct roster_db *db, const char *role, const char *user, bool add)
{
	struct roster_role *ro = NULL;
	char key[KEY_MAX];
	int r = role_load(db, role, &ro);

	key_members(key, role);
	r = r ?: db_list_change(db, key, user, add) ?: touch_role(db, role, ro->gid);
	roster_role_free(ro);
	return r;
}

static bool has_api(const struct roster_user *u)
{
	return u->status != ROSTER_DELETED && u->api_labels && u->api_labels[0];
}

size_t user_list_keys(const struct roster_user *u, char keys[USER_LISTS_MAX][KEY_MAX])
{
	size_t n = 0;

	if (u->status == ROSTER_DELETED)
		return 0;
	if (u->supervisor)
		key_reports(keys[n++], u->supervisor);
	if (u->status == ROSTER_INVITED)
		snprintf(keys[n++], KEY_MAX, "%s", KEY_INVITED);
	if (has_api(u))
		snprintf(keys[n++], KEY_MAX, "%s", KEY_API_USERS);
	return n;
}

static bool keys_have(char keys[][KEY_MAX], size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i], key) == 0)
			return true;
	return false;
}

bool lists_indexed(struct roster_db *db)
{
	uint64_t version;

	return db_get_u64(db, "meta/version", &version) == 0 && version >= DB_VERSION_LISTS;
}

/* An admin who can log in: active, holding the admin role, not expired
 * (setting a past expiry is disabling by another name). */
static bool active_admin(const struct roster_db *db, const struct roster_user *u)
{
	return u->status == ROSTER_ACTIVE && strv_contains(u->roles, db->cfg->admin_role) &&
	       (u->expires == ROSTER_NO_DATE || db->now / 86400 <= u->expires);
}

/* Whether an active admin other than name remains. */
static int other_admin(struct roster_db *db, const char *name)
{
	char **m = NULL;
	int r = members_load(db, db->cfg->admin_role, &m), found = 0;

	for (char **p = m; r == 0 && !found && p && *p; p++) {
		struct roster_user *u = NULL;

		if (strcmp(*p, name) == 0)
			continue;
		r = user_load(db, *p, &u);
		found = r == 0 && active_admin(db, u);
		roster_user_free(u);
	}
	roster_strv_free(m);
	return r < 0 ? r : found;
}

/* The safety rails, here so that every front end obeys them:
 *  - nobody enables, disables, deletes, grants admin to or revokes admin
 *    from themselves (accepting one's own invitation is not enabling);
 *  - the last active admin is never disabled, deleted or revoked. */
static int rails(struct roster_db *db, const struct roster_user *o, const struct roster_user *n)
{
	const char *admin = db->cfg->admin_role;
	bool admin_changed = strv_contains(o->roles, admin) != strv_contains(n->roles, admin);
	bool status_changed = o->status != n->status;
	bool self = str_eq(db->actor, n->name);
	int r;

	if (self && admin_changed)
		return db_fail(db, -EPERM, "%s cannot grant or revoke their own admin rights", n->name);
	if (self && status_changed && !(o->status == ROSTER_INVITED && n->status == ROSTER_ACTIVE))
		return db_fail(db, -EPERM, "%s cannot %s themselves", n->name,
			       n->status == ROSTER_DELETED ? "delete" :
			       n->status == ROSTER_ACTIVE ? "enable" : "disable");
	if (!active_admin(db, o) || active_admin(db, n))
		return 0;
	r = other_admin(db, n->name);
	if (r < 0)
		return r;
	if (r == 0)
		return db_fail(db, -EPERM,
			       "%s is the last active admin (role %s): make another user an admin first",
			       n->name, admin);
	return 0;
}

/* Writes n (old o, NULL when new) with its indexes, history and view keys. */
static int user_write(struct roster_db *db, const struct roster_user *o, struct roster_user *n,
		      const char *action)
{
	struct changes c = { 0 };
	int r = o ? rails(db, o, n) : 0;

	if (r < 0)
		return r;

	if (!o || !str_eq(o->email, n->email)) {
		char ko[KEY_MAX] = "", kn[KEY_MAX];

		/* Alice@x and alice@x share one index key: a change of case
		 * rewrites it, it must not delete it. */
		if (o && o->email)
			key_email(ko, o->email);
		if (n->email) {
			key_email(kn, n->email);
			r = index_email(db, n->email, n->name, true);
		} else
			kn[0] = '\0';
		if (r == 0 && o && o->email && strcmp(ko, kn) != 0)
			r = index_email(db, o->email, o->name, false);
	}
	for (char **p = n->roles; r == 0 && p && *p; p++)
		if (!o || !strv_contains(o->roles, *p))
			r = members_change(db, *p, n->name, true);
	for (char **p = o ? o->roles : NULL; r == 0 && p && *p; p++)
		if (!strv_contains(n->roles, *p))
			r = members_change(db, *p, n->name, false);
	if (r == 0) {
		char ok[USER_LISTS_MAX][KEY_MAX], nk[USER_LISTS_MAX][KEY_MAX];
		size_t no = o ? user_list_keys(o, ok) : 0, nn = user_list_keys(n, nk);

		for (size_t i = 0; r == 0 && i < no; i++)
			if (!keys_have(nk, nn, ok[i]))
				r = db_list_change(db, ok[i], n->name, false);
		for (size_t i = 0; r == 0 && i < nn; i++)
			if (!keys_have(ok, no, nk[i]))
				r = db_list_change(db, nk[i], n->name, true);
	}
	if (r < 0)
		return r;
	diff_users(&c, o, n);
	if (c.err) {
		changes_free(&c);
		return -ENOMEM;
	}
	if (c.n == 0) { /* nothing changed: no write, no event */
		changes_free(&c);
		return 0;
	}
	n->updated = db->now;
	free(n->updated_by);
	n->updated_by = strdup(db->actor);
	if (!n->updated_by) {
		changes_free(&c);
		return -ENOMEM;
	}
	r = user_store(db, n) ?: history_append(db, action, n->name, &c) ?: touch_user(db, n);
	changes_free(&c);
	return r;
}

static int primary_gid(struct roster_db *db, uint32_t uid, uint32_t *gid)
{
	struct roster_role *role = NULL;
	int r;

	if (db->cfg->pg_policy == ROSTER_PG_PRIVATE) {
		*gid = uid;
		return 0;
	}
	if (role_load(db, db->cfg->pg_name, &role) == 0) {
		*gid = role->gid;
		roster_role_free(role);
		return 0;
	}
	r = sysdb_group_gid(db->cfg, db->cfg->pg_name, gid);
	if (r < 0)
		return db_fail(db, -ENOENT, "primary group %s (from %s) exists neither in %s nor as a role",
			       db->cfg->pg_name, db->cfg->path, db->cfg->group_file);
	return 0;
}

int roster_user_add(struct roster_db *db, struct roster_user *u)
{
	char key[KEY_MAX], home[4096];
	uuid_t id;
	int r;

	if ((r = db_require_txn(db)) < 0)
		return r;
	if (roster_valid_name(u->name) < 0)
		return db_fail(db, -EINVAL,
			       "invalid user name '%s': 1-%d characters, a lowercase letter first, then "
			       "lowercase letters, digits, '-' or '_' (and an optional final '$')",
			       u->name ? u->name : "", ROSTER_NAME_MAX);
	key_user(key, u->name);
	if (db_exists(db, key)) {
		struct roster_user *old = NULL;
		bool deleted = user_load(db, u->name, &old) == 0 && old->status == ROSTER_DELETED;

		roster_user_free(old);
		return db_fail(db, -EEXIST, deleted ? "user name %s belonged to a deleted user and is never reused"
						    : "user %s already exists",
			       u->name);
	}
	key_role(key, u->name);
	if (db_exists(db, key))
		return db_fail(db, -EEXIST, "%s is the name of a role", u->name);
	r = sysdb_has_user(db->cfg, u->name, UINT32_MAX);
	if (r == 0 && db->cfg->pg_policy == ROSTER_PG_PRIVATE)
		r = sysdb_has_group(db->cfg, u->name, UINT32_MAX);
	if (r < 0)
		return db_fail(db, r, "cannot read the system account files: %s", strerror(-r));
	if (r > 0)
		return db_fail(db, -EEXIST, "%s already exists in %s or %s", u->name, db->cfg->passwd_file,
			       db->cfg->group_file);

	if (!u->shell && !(u->shell = strdup(db->cfg->default_shell)))
		return -ENOMEM;
	if (!u->home) {
		snprintf(home, sizeof(home), "%s/%s", db->cfg->home_base, u->name);
		if (roster_normalize_path(home, home, sizeof(home)) < 0 || !(u->home = strdup(home)))
			return db_fail(db, -EINVAL, "home_base %s in %s is not a usable path",
				       db->cfg->home_base, db->cfg->path);
	}
	r = normalize_home(u) ?: validate(db, NULL, u);
	if (r < 0)
		return r;
	r = ids_allocate(db, &u->uid) ?:
	    primary_gid(db, u->uid, &u->gid);
	if (r < 0)
		return r;
	uuid_generate_random(id);
	uuid_unparse_lower(id, u->uuid);
	u->created = db->now;
	free(u->created_by);
	if (!(u->created_by = strdup(db->actor)))
		return -ENOMEM;
	key_uid(key, u->uid);
	r = db_store(db, key, u->name, strlen(u->name));
	if (r == 0 && db->cfg->pg_policy == ROSTER_PG_PRIVATE) {
		char owner[KEY_MAX];

		snprintf(owner, sizeof(owner), "u:%s", u->name);
		key_gid(key, u->gid);
		r = db_store(db, key, owner, strlen(owner));
	}
	return r ?: user_write(db, NULL, u, "user.add");
}

int roster_user_update(struct roster_db *db, struct roster_user *u, const char *action)
{
	struct roster_user *o = NULL;
	int r;

	if ((r = db_require_txn(db)) < 0)
		return r;
	r = roster_user_get(db, u->name, &o);
	if (r < 0)
		return r;
	if (o->uid != u->uid || o->gid != u->gid || strcmp(o->uuid, u->uuid) != 0)
		r = db_fail(db, -EINVAL, "the uid, gid and uuid of a user never change");
	else
		r = normalize_home(u) ?: validate(db, o, u) ?: user_write(db, o, u, action);
	roster_user_free(o);
	return r;
}

bool roster_id_used(struct roster_db *db, uint32_t id)
{
	char key[KEY_MAX];

	key_uid(key, id);
	if (db_exists(db, key))
		return true;
	key_gid(key, id);
	return db_exists(db, key);
}

/* Users whose supervisor is name: the reports/ index, or on a database
 * that has none yet (version 1, not written since), a walk. */
struct reports {
	const char *name;
	char **v;
};

static int collect_report(const struct roster_user *u, void *priv)
{
	struct reports *rp = priv;

	return str_eq(u->supervisor, rp->name) ? strv_add(&rp->v, u->name) : 0;
}

int roster_user_reports(struct roster_db *db, const char *name, char ***out)
{
	struct roster_user_filter f = { .status = -1, .supervisor = name };
	struct reports rp = { name, NULL };
	int r = roster_user_foreach(db, &f, collect_report, &rp);

	if (r < 0) {
		roster_strv_free(rp.v);
		return r;
	}
	*out = rp.v;
	return 0;
}

int roster_user_delete(struct roster_db *db, const char *name)
{
	struct roster_user *o = NULL, *n = NULL;
	char **reports = NULL;
	int r;

	if ((r = db_require_txn(db)) < 0)
		return r;
	r = roster_user_get(db, name, &o) ?: user_load(db, name, &n);
	if (r < 0)
		goto out;
	/* A tombstone: name, uid, gid, uuid and history stay, so that neither
	 * the name nor the id is handed out again; the rest goes. */
	free(n->email), n->email = NULL;
	free(n->first), n->first = NULL;
	free(n->last), n->last = NULL;
	free(n->supervisor), n->supervisor = NULL;
	roster_secret_free(n->pwhash), n->pwhash = NULL;
	roster_secret_free(n->invite_hash), n->invite_hash = NULL;
	roster_strv_free(n->roles), n->roles = NULL;
	free(n->last_service), n->last_service = NULL;
	free(n->last_host), n->last_host = NULL;
	n->status = ROSTER_DELETED;
	n->must_change = false;
	n->fail_count = 0;
	n->fail_first = n->locked_until = n->last_login = 0;
	n->expires = ROSTER_NO_DATE;
	n->api_enabled = false;
	/* The rails first: a refused delete must not touch the reports. */
	r = rails(db, o, n) ?: api_remove_all(db, n) ?: roster_user_reports(db, name, &reports);
	for (char **p = reports; r == 0 && p && *p; p++) {
		struct roster_user *rep = NULL;

		r = roster_user_get(db, *p, &rep);
		if (r == 0) {
			free(rep->supervisor);
			rep->supervisor = NULL;
			r = roster_user_update(db, rep, "user.edit");
		}
		roster_user_free(rep);
	}
	r = r ?: user_write(db, o, n, "user.delete");
out:
	roster_strv_free(reports);
	roster_user_free(o);
	roster_user_free(n);
	return r;
}

struct walk {
	struct roster_db *db;
	const struct roster_user_filter *f;
	roster_user_fn fn;
	void *priv;
	int r;
};

static bool wanted(const struct roster_user_filter *f, const struct roster_user *u)
{
	if (f->status < 0 ? u->status == ROSTER_DELETED : (int)u->status != f->status)
		return false;
	if (f->supervisor && !str_eq(f->supervisor, u->supervisor))
		return false;
	if (f->api && !has_api(u))
		return false;
	return !f->role || strv_contains(u->roles, f->role);
}

static int walk_one(struct tdb_context *tdb, TDB_DATA k, TDB_DATA d, void *priv)
{
	struct walk *w = priv;
	struct roster_user *u = NULL;

	(void)tdb;
	if (k.dsize < 5 || memcmp(k.dptr, "user/", 5) != 0)
		return 0;
	w->r = codec_user_decode(d.dptr, d.dsize, &u);
	if (w->r < 0) {
		db_fail(w->db, w->r, "the record %.*s is damaged; run roster db check", (int)k.dsize,
			(const char *)k.dptr);
		return 1;
	}
	if (wanted(w->f, u))
		w->r = w->fn(u, w->priv);
	roster_user_free(u);
	return w->r != 0;
}

int roster_user_foreach(struct roster_db *db, const struct roster_user_filter *f, roster_user_fn fn,
			void *priv)
{
	struct walk w = { db, f, fn, priv, 0 };
	char key[KEY_MAX], **names = NULL;
	int r;

	if (f->role)
		key_members(key, f->role);
	else if (f->supervisor && lists_indexed(db))
		key_reports(key, f->supervisor);
	else if (f->status == ROSTER_INVITED && lists_indexed(db))
		snprintf(key, sizeof(key), "%s", KEY_INVITED);
	else if (f->api && lists_indexed(db))
		snprintf(key, sizeof(key), "%s", KEY_API_USERS);
	else {
		/* Outside a transaction, one read lock for the whole walk
		 * rather than one per hash chain. */
		bool whole = !db->in_txn && tdb_lockall_read(db->tdb) == 0;

		r = db_walk(db, walk_one, &w) ?: w.r;
		if (whole)
			tdb_unlockall_read(db->tdb);
		return r;
	}
	/* An index, not a walk over every user. */
	r = db_get_list(db, key, &names);
	for (char **p = names; r == 0 && p && *p; p++) {
		struct roster_user *u = NULL;

		r = user_load(db, *p, &u);
		if (r == 0 && wanted(f, u))
			r = fn(u, priv);
		roster_user_free(u);
	}
	roster_strv_free(names);
	return r;
}

/* The (list key, user) pairs of a walk, sorted into lists. */
struct pair {
	char *key, *user;
};
struct pairs {
	struct pair *v;
	size_t n, cap;
	char **roles;  /* sorted: members/ROLE is built for these; NULL: none */
	size_t nroles;
	struct pairs *old; /* the list keys there are now (pairs with no user) */
	int r;
};

static void pair_add(struct pairs *ps, const char *key, const char *user)
{
	if (ps->r)
		return;
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 256;
		struct pair *v = realloc(ps->v, cap * sizeof(*v));

		if (!v) {
			ps->r = -ENOMEM;
			return;
		}
		ps->v = v;
		ps->cap = cap;
	}
	ps->v[ps->n].key = strdup(key);
	ps->v[ps->n].user = user ? strdup(user) : NULL;
	if (!ps->v[ps->n].key || (user && !ps->v[ps->n].user)) {
		free(ps->v[ps->n].key);
		free(ps->v[ps->n].user);
		ps->r = -ENOMEM;
		return;
	}
	ps->n++;
}

static bool has_prefix(TDB_DATA k, const char *prefix)
{
	size_t n = strlen(prefix);

	return k.dsize > n && memcmp(k.dptr, prefix, n) == 0;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A user record that does not decode is skipped, not fatal: db check
 * names it, and one damaged record must not stop every write (the build
 * runs in the first write transaction, which may be a login's). */
static int collect_pairs(struct tdb_context *tdb, TDB_DATA k, TDB_DATA d, void *priv)
{
	struct pairs *ps = priv;
	struct roster_user *u = NULL;
	char key[KEY_MAX];

	(void)tdb;
	if (k.dsize < sizeof(key) && (has_prefix(k, "reports/") || has_prefix(k, "status/") ||
				      (ps->roles && has_prefix(k, "members/")))) {
		memcpy(key, k.dptr, k.dsize);
		key[k.dsize] = '\0';
		pair_add(ps->old, key, NULL);
		return ps->old->r != 0;
	}
	if (!has_prefix(k, "user/") || codec_user_decode(d.dptr, d.dsize, &u) < 0)
		return 0;
	{
		char keys[USER_LISTS_MAX][KEY_MAX];
		size_t n = user_list_keys(u, keys);

		for (size_t i = 0; i < n; i++)
			pair_add(ps, keys[i], u->name);
	}
	for (char **p = u->roles; ps->roles && u->status != ROSTER_DELETED && p && *p; p++)
		if (bsearch(p, ps->roles, ps->nroles, sizeof(char *), cmp_strp)) {
			key_members(key, *p);
			pair_add(ps, key, u->name);
		}
	roster_user_free(u);
	return ps->r != 0;
}

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	return strcmp(x->key, y->key) ?: strcmp(x->user, y->user);
}

static void pairs_free(struct pairs *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		free(ps->v[i].key);
		free(ps->v[i].user);
	}
	free(ps->v);
}

int lists_build(struct roster_db *db, bool members)
{
	struct pairs ps = { 0 }, old = { 0 };
	char **v = NULL;
	int r;

	if ((r = db_require_txn(db)) < 0)
		return r;
	ps.old = &old;
	if (members && (r = roster_role_names(db, &ps.roles)) < 0)
		return r;
	ps.nroles = roster_strv_len(ps.roles); /* sorted, as bsearch needs */
	r = db_walk(db, collect_pairs, &ps) ?: ps.r ?: old.r;
	/* what is there goes, then the lists as the users say */
	for (size_t i = 0; r == 0 && i < old.n; i++)
		r = db_delete(db, old.v[i].key);
	if (r == 0 && ps.n) {
		qsort(ps.v, ps.n, sizeof(*ps.v), cmp_pair);
		if (!(v = malloc((ps.n + 1) * sizeof(char *))))
			r = -ENOMEM;
	}
	for (size_t i = 0; r == 0 && i < ps.n;) {
		size_t j = i, k = 0;

		for (; j < ps.n && strcmp(ps.v[j].key, ps.v[i].key) == 0; j++)
			v[k++] = ps.v[j].user;
		v[k] = NULL;
		r = db_put_list(db, ps.v[i].key, v);
		i = j;
	}
	/* every role's group entry in the view, whatever its list was */
	for (size_t i = 0; r == 0 && i < ps.nroles; i++) {
		struct roster_role *ro = NULL;

		r = role_load(db, ps.roles[i], &ro) ?: touch_role(db, ro->name, ro->gid);
		roster_role_free(ro);
	}
	free(v);
	pairs_free(&ps);
	pairs_free(&old);
	roster_strv_free(ps.roles);
	return r;
}

int user_import(struct roster_db *db, const struct roster_user *u)
{
	struct changes c = { 0 };
	char key[KEY_MAX], owner[KEY_MAX], id[16];
	int r;

	/* The checks found the name, uid and gid free: insertions, each one
	 * walk of its hash chain where a replacement takes two. */
	key_uid(key, u->uid);
	r = insert_new(db, key, u->name, strlen(u->name));
	/* gid == uid is the user's private group, whatever the policy. */
	if (r == 0 && u->gid == u->uid) {
		snprintf(owner, sizeof(owner), "u:%s", u->name);
		key_gid(key, u->gid);
		r = insert_new(db, key, owner, strlen(owner));
	}
	if (r == 0 && u->email && u->status != ROSTER_DELETED)
		r = index_email(db, u->email, u->name, true);
	if (r < 0)
		return r;
	/* One short event: the record itself says the rest. */
	snprintf(id, sizeof(id), "%u", (unsigned)u->uid);
	changes_add(&c, "uid", NULL, id);
	changes_add(&c, "status", NULL, roster_status_name(u->status));
	r = user_put(db, u, true) ?: history_append(db, "user.import", u->name, &c) ?: touch_user(db, u);
	changes_free(&c);
	return r;
}
