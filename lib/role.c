/* role.c - roles: Unix groups with a description and the PAM services they
 * grant.  A role's members are kept in members/ROLE, and mirrored in each
 * user's record, so that both "who holds this role" and "which roles does
 * this user hold" are one fetch. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int roles_index(struct roster_db *db, const char *name, bool add);

int role_load(struct roster_db *db, const char *name, struct roster_role **out)
{
	char key[KEY_MAX];
	TDB_DATA d;
	int r;

	if (roster_valid_name(name) < 0)
		return -ENOENT;
	key_role(key, name);
	r = db_fetch(db, key, &d);
	if (r < 0)
		return r;
	r = codec_role_decode(d.dptr, d.dsize, out);
	free(d.dptr);
	if (r < 0)
		return db_fail(db, r, "the record of role %s is damaged; run roster db check", name);
	return 0;
}

static int role_store(struct roster_db *db, const struct roster_role *role)
{
	char key[KEY_MAX];
	struct buf b = { 0 };
	int r = codec_role_encode(role, &b);

	key_role(key, role->name);
	if (r == 0)
		r = db_store(db, key, b.p, b.len);
	buf_free(&b);
	return r;
}

int members_load(struct roster_db *db, const char *role, char ***out)
{
	char key[KEY_MAX];

	key_members(key, role);
	return db_get_list(db, key, out);
}

int members_store(struct roster_db *db, const char *role, char *const *m)
{
	char key[KEY_MAX];

	key_members(key, role);
	return db_put_list(db, key, m);
}

int roster_role_get(struct roster_db *db, const char *name, struct roster_role **out)
{
	int r = role_load(db, name, out);

	return r == -ENOENT ? db_fail(db, r, "no such role: %s", name) : r;
}

static int validate(struct roster_db *db, const struct roster_role *role)
{
	if (role->description && roster_valid_text(role->description, ROSTER_TEXT_MAX) < 0)
		return db_fail(db, -EINVAL,
			       "invalid description: at most %d bytes of UTF-8 text without control characters",
			       ROSTER_TEXT_MAX);
	for (char **s = role->services; s && *s; s++)
		if (roster_valid_service(*s) < 0)
			return db_fail(db, -EINVAL, "invalid PAM service name '%s'", *s);
	return 0;
}

static void diff_roles(struct changes *c, const struct roster_role *o, const struct roster_role *n)
{
	char *s1 = NULL, *s2 = NULL, gid[16];
	struct buf b1 = { 0 }, b2 = { 0 };

	if (!o) {
		snprintf(gid, sizeof(gid), "%u", (unsigned)n->gid);
		changes_add(c, "gid", NULL, gid);
	}
	if (!str_eq(o ? o->description : NULL, n->description))
		changes_add(c, "description", o ? o->description : NULL, n->description);
	for (char **s = o ? o->services : NULL; s && *s; s++)
		buf_put(&b1, *s, strlen(*s)), buf_put(&b1, ",", 1);
	for (char **s = n->services; s && *s; s++)
		buf_put(&b2, *s, strlen(*s)), buf_put(&b2, ",", 1);
	if (b1.len)
		b1.p[b1.len - 1] = '\0';
	if (b2.len)
		b2.p[b2.len - 1] = '\0';
	s1 = b1.len ? (char *)b1.p : NULL;
	s2 = b2.len ? (char *)b2.p : NULL;
	if (b1.err || b2.err)
		c->err = -ENOMEM;
	else if (!str_eq(s1, s2))
		changes_add(c, "services", s1, s2);
	buf_free(&b1);
	buf_free(&b2);
}

static int role_write(struct roster_db *db, const struct roster_role *o, struct roster_role *n,
		      const char *action)
{
	struct changes c = { 0 };
	int r;

	diff_roles(&c, o, n);
	if (c.err || c.n == 0) {
		r = c.err;
		changes_free(&c);
		return r;
	}
	n->updated = db->now;
	free(n->updated_by);
	n->updated_by = strdup(db->actor);
	r = n->updated_by ? 0 : -ENOMEM;
	r = r ?: role_store(db, n) ?: history_append(db, action, n->name, &c) ?:
	    touch_role(db, n->name, n->gid);
	changes_free(&c);
	return r;
}

int roster_role_add(struct roster_db *db, struct roster_role *role)
{
	char key[KEY_MAX], owner[KEY_MAX];
	int r;

	if ((r = db_require_txn(db)) < 0)
		return r;
	if (roster_valid_name(role->name) < 0)
		return db_fail(db, -EINVAL,
			       "invalid role name '%s': 1-%d characters, a lowercase letter first, then "
			       "lowercase letters, digits, '-' or '_'",
			       role->name ? role->name : "", ROSTER_NAME_MAX);
	key_role(key, role->name);
	if (db_exists(db, key))
		return db_fail(db, -EEXIST, "role %s already exists", role->name);
	key_user(key, role->name);
	if (db_exists(db, key))
		return db_fail(db, -EEXIST, "%s is the name of a user", role->name);
	r = sysdb_has_group(db->cfg, role->name, UINT32_MAX);
	if (r < 0)
		return db_fail(db, r, "cannot read %s: %s", db->cfg->group_file, strerror(-r));
	if (r > 0)
		return db_fail(db, -EEXIST, "group %s already exists in %s", role->name, db->cfg->group_file);
	r = validate(db, role) ?: ids_allocate(db, &role->gid);
	if (r < 0)
		return r;
	role->created = db->now;
	free(role->created_by);
	if (!(role->created_by = strdup(db->actor)))
		return -ENOMEM;
	key_gid(key, role->gid);
	snprintf(owner, sizeof(owner), "r:%s", role->name);
	r = db_store(db, key, owner, strlen(owner)) ?: roles_index(db, role->name, true);
	return r ?: role_write(db, NULL, role, "role.add");
}

int roster_role_update(struct roster_db *db, struct roster_role *role)
{
	struct roster_role *o = NULL;
	int r;

	if ((r = db_require_txn(db)) < 0)
		return r;
	r = roster_role_get(db, role->name, &o);
	if (r < 0)
		return r;
	if (o->gid != role->gid)
		r = db_fail(db, -EINVAL, "the gid of a role never changes");
	else
		r = validate(db, role) ?: role_write(db, o, role, "role.edit");
	roster_role_free(o);
	return r;
}

int roster_role_delete(struct roster_db *db, const char *name)
{
	struct roster_role *o = NULL;
	struct changes c = { 0 };
	char **m = NULL, key[KEY_MAX];
	int r;

	if ((r = db_require_txn(db)) < 0)
		return r;
	r = roster_role_get(db, name, &o);
	if (r < 0)
		return r;
	if (strcmp(name, db->cfg->admin_role) == 0) {
		r = db_fail(db, -EPERM, "%s is the admin role named in %s and cannot be deleted", name,
			    db->cfg->path);
		goto out;
	}
	/* Revoke from every holder first, each with its own history event. */
	r = members_load(db, name, &m);
	for (char **p = m; r == 0 && p && *p; p++)
		r = roster_role_revoke(db, name, *p);
	if (r < 0)
		goto out;
	key_role(key, name);
	r = db_delete(db, key);
	key_members(key, name);
	r = r ?: db_delete(db, key) ?: roles_index(db, name, false);
	/* The gid stays reserved: gid/N keeps pointing at the deleted role. */
	changes_add(&c, "role", name, NULL);
	r = r ?: c.err ?: history_append(db, "role.delete", name, &c) ?: touch_role(db, name, o->gid);
out:
	changes_free(&c);
	roster_strv_free(m);
	roster_role_free(o);
	return r;
}

static int membership(struct roster_db *db, const char *role, const char *user, bool add)
{
	struct roster_user *u = NULL;
	struct roster_role *ro = NULL;
	int r;

	if ((r = db_require_txn(db)) < 0)
		return r;
	r = roster_role_get(db, role, &ro) ?: roster_user_get(db, user, &u);
	if (r < 0)
		goto out;
	if (add == strv_contains(u->roles, role)) {
		r = db_fail(db, -EALREADY, add ? "%s already holds role %s" : "%s does not hold role %s",
			    user, role);
		goto out;
	}
	if (add)
		r = strv_add(&u->roles, role);
	else
		strv_remove(u->roles, role);
	r = r ?: roster_user_update(db, u, add ? "role.assign" : "role.revoke");
out:
	roster_user_free(u);
	roster_role_free(ro);
	return r;
}

int roster_role_assign(struct roster_db *db, const char *role, const char *user)
{
	return membership(db, role, user, true);
}

int roster_role_revoke(struct roster_db *db, const char *role, const char *user)
{
	return membership(db, role, user, false);
}

/* meta/roles lists every role, so that PAM and "role list" never walk the
 * whole database. */
static int roles_index(struct roster_db *db, const char *name, bool add)
{
	return db_list_change(db, "meta/roles", name, add);
}

int roster_role_names(struct roster_db *db, char ***out)
{
	TDB_DATA d;
	int r = db_fetch(db, "meta/roles", &d);

	*out = NULL;
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return db_fail(db, r, "cannot read the role index: %s", strerror(-r));
	r = codec_strv_decode(d.dptr, d.dsize, out);
	free(d.dptr);
	return r < 0 ? db_fail(db, r, "the role index is damaged; run roster db check") : 0;
}

int roster_role_members(struct roster_db *db, const char *role, char ***out)
{
	struct roster_role *ro = NULL;
	int r = roster_role_get(db, role, &ro);

	roster_role_free(ro);
	return r ?: members_load(db, role, out);
}

static int count_none(const char *s, size_t len, void *priv)
{
	(void)s;
	(void)len;
	(void)priv;
	return 0;
}

int roster_role_member_count(struct roster_db *db, const char *role, size_t *n)
{
	char key[KEY_MAX];

	key_members(key, role);
	return db_list_each(db, key, n, count_none, NULL);
}

int role_import(struct roster_db *db, const struct roster_role *role)
{
	struct roster_role *o = NULL;
	struct changes c = { 0 };
	char key[KEY_MAX], owner[KEY_MAX];
	int r = role_load(db, role->name, &o);

	if (r == -ENOENT) {
		key_gid(key, role->gid);
		snprintf(owner, sizeof(owner), "r:%s", role->name);
		r = db_store(db, key, owner, strlen(owner)) ?: roles_index(db, role->name, true);
	} else if (r == 0 && o->gid != role->gid)
		r = db_fail(db, -EEXIST, "role %s exists with gid %u", role->name, (unsigned)o->gid);
	if (r == 0)
		diff_roles(&c, o, role);
	/* The same role again (an import over its own export): no write.
	 * Only its times differ (the admin role of a new database): those are
	 * copied, with no event. */
	if (r == 0 && !(o && c.n == 0 && !c.err && o->created == role->created && o->updated == role->updated &&
			str_eq(o->created_by, role->created_by) && str_eq(o->updated_by, role->updated_by))) {
		r = c.err ?: role_store(db, role) ?: (o && c.n == 0 ? 0 : history_append(db, "role.import", role->name, &c)) ?:
		    touch_role(db, role->name, role->gid);
	}
	changes_free(&c);
	roster_role_free(o);
	return r;
}
