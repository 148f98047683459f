/* api.c - API passwords: separate secrets for programs, per label.
 *
 * MUST rules:
 *  1. Only argon2id hashes are stored; history names "api_password:LABEL"
 *     as a secret and never shows a value.
 *  2. An API password is accepted only by roster_api_check(), which only
 *     pam_roster's "api" services call, only while the user's switch is on,
 *     and only for the services the label lists, before its expiry.
 *  3. An API password begins with its label (LABEL.SECRET), and a check
 *     verifies the one hash that label names, or a dummy hash when there
 *     is none: one argon2id verification an attempt, so its time says
 *     nothing of how many API passwords the user has, and a user with
 *     many does not multiply the cost of guessing against the machine.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int roster_valid_label(const char *label)
{
	size_t n;

	if (!label)
		return -EINVAL;
	n = strnlen(label, ROSTER_NAME_MAX + 1);
	if (n == 0 || n > ROSTER_NAME_MAX || label[0] == '-')
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = label[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return -EINVAL;
	}
	return 0;
}

static int api_load(struct roster_db *db, const char *user, const char *label, struct roster_api **out)
{
	char key[KEY_MAX];
	TDB_DATA d;
	int r;

	key_api(key, user, label);
	r = db_fetch(db, key, &d);
	if (r < 0)
		return r;
	r = codec_api_decode(d.dptr, d.dsize, out);
	roster_wipe(d.dptr, d.dsize);
	free(d.dptr);
	if (r < 0)
		return db_fail(db, r, "the API password %s of %s is damaged; run roster db check", label, user);
	return 0;
}

int api_store(struct roster_db *db, const char *user, const struct roster_api *a)
{
	char key[KEY_MAX];
	struct buf b = { .secret = true };
	int r = codec_api_encode(a, &b);

	key_api(key, user, a->label);
	if (r == 0)
		r = db_store(db, key, b.p, b.len);
	buf_free(&b);
	return r;
}

static int live_user(struct roster_db *db, const char *name, struct roster_user **u)
{
	int r = roster_user_get(db, name, u);

	if (r == 0 && (*u)->status == ROSTER_INVITED) {
		roster_user_free(*u);
		*u = NULL;
		return db_fail(db, -EINVAL, "%s has not accepted the invitation yet", name);
	}
	return r;
}

int roster_api_set_enabled(struct roster_db *db, const char *user, bool on)
{
	struct roster_user *u = NULL;
	int r = db_require_txn(db) ?: live_user(db, user, &u);

	if (r < 0)
		return r;
	if (u->api_enabled == on)
		r = db_fail(db, -EALREADY, "API access of %s is already %s", user, on ? "enabled" : "disabled");
	else {
		u->api_enabled = on;
		r = roster_user_update(db, u, on ? "api.enable" : "api.disable");
	}
	roster_user_free(u);
	return r;
}

int roster_api_reset(struct roster_db *db, const char *user, const char *label, const char *hash,
		     char *const *services, int64_t expires)
{
	struct roster_user *u = NULL;
	struct roster_api *old = NULL, a = { 0 };
	struct changes c = { 0 };
	char field[64], d1[11], d2[11];
	int r = db_require_txn(db);

	if (r < 0)
		return r;
	if (roster_valid_label(label) < 0)
		return db_fail(db, -EINVAL, "invalid label '%s': 1-%d of a-z, 0-9, '-' and '_'", label,
			       ROSTER_NAME_MAX);
	for (char *const *s = services; s && *s; s++)
		if (roster_valid_service(*s) < 0)
			return db_fail(db, -EINVAL, "invalid PAM service name '%s'", *s);
	if ((r = live_user(db, user, &u)) < 0)
		return r;
	if (api_load(db, user, label, &old) < 0)
		old = NULL;
	a.label = (char *)label;
	a.hash = (char *)hash;
	a.services = (char **)services;
	a.created = db->now;
	a.expires = expires;
	a.created_by = db->actor;
	r = api_store(db, user, &a);
	/* History: which label, its limits; the secret by name only. */
	snprintf(field, sizeof(field), "api_password:%s", label);
	changes_secret(&c, field);
	{
		char *o = NULL, *n = NULL;
		struct buf b1 = { 0 }, b2 = { 0 };

		for (char **s = old ? old->services : NULL; s && *s; s++)
			buf_put(&b1, *s, strlen(*s)), buf_put(&b1, ",", 1);
		for (char *const *s = services; s && *s; s++)
			buf_put(&b2, *s, strlen(*s)), buf_put(&b2, ",", 1);
		if (b1.len)
			b1.p[b1.len - 1] = '\0', o = (char *)b1.p;
		if (b2.len)
			b2.p[b2.len - 1] = '\0', n = (char *)b2.p;
		if (!str_eq(o, n))
			changes_add(&c, "api_services", o, n);
		buf_free(&b1);
		buf_free(&b2);
	}
	if ((old ? old->expires : ROSTER_NO_DATE) != expires) {
		int64_t oe = old ? old->expires : ROSTER_NO_DATE;

		if (oe != ROSTER_NO_DATE)
			roster_format_date(oe, d1);
		if (expires != ROSTER_NO_DATE)
			roster_format_date(expires, d2);
		changes_add(&c, "api_expires", oe != ROSTER_NO_DATE ? d1 : NULL,
			    expires != ROSTER_NO_DATE ? d2 : NULL);
	}
	r = r ?: history_append(db, "api.reset", user, &c);
	if (r == 0 && !strv_contains(u->api_labels, label)) {
		/* the label list is in the user record: its own event */
		r = strv_add(&u->api_labels, label) ?: roster_user_update(db, u, "api.add");
	}
	changes_free(&c);
	roster_api_free(old);
	roster_user_free(u);
	return r;
}

int roster_api_remove(struct roster_db *db, const char *user, const char *label)
{
	struct roster_user *u = NULL;
	char key[KEY_MAX];
	int r = db_require_txn(db) ?: roster_user_get(db, user, &u);

	if (r < 0)
		return r;
	if (!strv_contains(u->api_labels, label))
		r = db_fail(db, -ENOENT, "%s has no API password labelled %s", user, label);
	else {
		key_api(key, user, label);
		strv_remove(u->api_labels, label);
		r = db_delete(db, key) ?: roster_user_update(db, u, "api.remove");
	}
	roster_user_free(u);
	return r;
}

int api_remove_all(struct roster_db *db, struct roster_user *u)
{
	char key[KEY_MAX];
	int r = 0;

	for (char **l = u->api_labels; r == 0 && l && *l; l++) {
		key_api(key, u->name, *l);
		r = db_delete(db, key);
	}
	roster_strv_free(u->api_labels);
	u->api_labels = NULL;
	return r;
}

int roster_api_foreach(struct roster_db *db, const char *user, roster_api_fn fn, void *priv)
{
	struct roster_user *u = NULL;
	int r = roster_user_get(db, user, &u);

	for (char **l = r == 0 ? u->api_labels : NULL; r == 0 && l && *l; l++) {
		struct roster_api *a = NULL;

		r = api_load(db, user, *l, &a);
		if (r == 0)
			r = fn(u, a, priv);
		roster_api_free(a);
	}
	roster_user_free(u);
	return r;
}

static bool allows(const struct roster_api *a, const char *service)
{
	return !a->services || strv_contains(a->services, service);
}

int roster_api_records(struct roster_db *db, const struct roster_user *u, struct roster_api ***out)
{
	size_t n = roster_strv_len(u->api_labels), k = 0;
	struct roster_api **v = calloc(n + 1, sizeof(*v));
	int r = v ? 0 : -ENOMEM;

	for (size_t i = 0; r == 0 && i < n; i++)
		if ((r = api_load(db, u->name, u->api_labels[i], &v[k])) == 0)
			k++;
	if (r < 0) {
		roster_api_records_free(v);
		return r;
	}
	*out = v;
	return 0;
}

void roster_api_records_free(struct roster_api **v)
{
	for (size_t i = 0; v && v[i]; i++)
		roster_api_free(v[i]);
	free(v);
}

bool roster_api_password_of(const char *label, const char *pw)
{
	size_t n = strlen(label);

	return n && strncmp(pw, label, n) == 0 && pw[n] == ROSTER_API_SEP && pw[n + 1];
}

/* The record pw's label names.  Labels are no secret (api list shows
 * them), so neither is the time this takes. */
static const struct roster_api *api_named(struct roster_api *const *v, const char *pw)
{
	for (size_t i = 0; v && v[i]; i++)
		if (roster_api_password_of(v[i]->label, pw))
			return v[i];
	return NULL;
}

/* A dummy verification for its time only: it never matches, and a slot
 * that does not come free costs max_wait, which is time too. */
static void pad_time(const struct roster_config *cfg, const char *pw)
{
	int r = roster_auth_verify_dummy(cfg, pw);

	(void)r;
}

int roster_api_check(const struct roster_config *cfg, struct roster_api *const *v, const char *service,
		     const char *pw, int64_t now, const struct roster_api **match)
{
	const struct roster_api *a = api_named(v, pw);
	int r;

	*match = NULL;
	/* One verification, whatever the number of labels: a wrong label
	 * costs the same as a wrong secret (rule 3). */
	if (strnlen(pw, ROSTER_PASSWORD_MAX + 1) > ROSTER_PASSWORD_MAX)
		return -EACCES; /* never verified (pam_roster pays for it: rule 2) */
	if (!a) {
		r = roster_auth_verify_dummy(cfg, pw);
		return r == -EACCES ? -ENOENT : r == -ETIMEDOUT ? r : -EIO;
	}
	r = roster_password_verify(cfg, a->hash, pw);
	/* A hash below the configured cost answers sooner than the dummy,
	 * and one out of bounds at once: either would tell that the label
	 * exists.  Padded with the dummy, as pam_roster pads a login (its
	 * result is no answer: the dummy never matches). */
	if (r == -EINVAL) {
		pad_time(cfg, pw);
		return -EBADMSG; /* the stored hash, not pw */
	}
	if ((r == 0 || r == -EACCES) && roster_auth_needs_rehash(cfg, a->hash) == 1)
		pad_time(cfg, pw);
	if (r == -EACCES)
		return -EACCES;
	/* Nothing was checked (no argon2id slot within max_wait, or the
	 * slots could not be opened): pw is not known to be wrong, and
	 * -EPERM means something else here. */
	if (r < 0)
		return r == -ETIMEDOUT ? r : -EIO;
	if (a->expires != ROSTER_NO_DATE && now / 86400 > a->expires)
		return -ETIME;
	if (!allows(a, service))
		return -EPERM;
	*match = a;
	return 0;
}

int roster_api_touch(struct roster_db *db, const char *user, const char *label, const char *hash,
		     const char *service, int64_t now)
{
	struct roster_user *u = NULL;
	struct roster_api *a = NULL;
	int r;

	if ((r = login_txn_start(db, -1)) < 0)
		return r;
	/* Decided on the records as they are now, not as the login read them
	 * before it hashed (rule 14 of pam_roster.c). */
	r = api_load(db, user, label, &a);
	if (r == -ENOENT || (r == 0 && !str_eq(a->hash, hash)))
		r = -ESTALE;
	if (r == 0)
		r = user_load(db, user, &u);
	if (r == 0 && !u->api_enabled)
		r = -EPERM;
	if (r == 0) {
		a->last_used = now;
		free(a->last_service);
		a->last_service = xstrdup_or_null(service);
		r = api_store(db, user, a);
	}
	roster_user_free(u);
	roster_api_free(a);
	if (r < 0) {
		login_txn_cancel(db);
		return r;
	}
	return store_commit_tdb(db);
}

int roster_api_rehash(struct roster_db *db, const char *user, const char *label, const char *old_hash,
		      const char *new_hash)
{
	struct roster_api *a = NULL;
	struct changes c = { 0 };
	char field[64], *h = NULL;
	int r = roster_txn_begin(db, user);

	if (r < 0)
		return r;
	r = api_load(db, user, label, &a);
	if (r == -ENOENT || (r == 0 && !str_eq(a->hash, old_hash)))
		r = db_fail(db, -ESTALE, "API password %s of %s changed during the login", label, user);
	if (r == 0 && !(h = strdup(new_hash)))
		r = -ENOMEM;
	if (r == 0) {
		roster_secret_free(a->hash);
		a->hash = h;
		snprintf(field, sizeof(field), "api_password:%s", label);
		changes_secret(&c, field);
		r = api_store(db, user, a) ?: history_append(db, "api.rehash", user, &c);
	}
	changes_free(&c);
	roster_api_free(a);
	if (r < 0) {
		roster_txn_abort(db);
		return r;
	}
	return roster_txn_commit(db);
}
