/* auth.c - authentication state: what pam_roster reads before a login and
 * records after it (failure counts, lockouts, the last login), the dummy
 * verification that makes an unknown user cost what a known one costs,
 * service access by role, and the two password writes a login can cause
 * (a change by the owner, a rehash at a higher cost).
 *
 * Failure counts, lockouts and the last login are written by logins, many
 * at once, not by administrators.  Each such write is ONE tdb transaction of
 * its own (tdb_transaction_start/commit on db->tdb) with the record read
 * inside it, so racing logins are serialized by tdb's transaction lock and
 * no count is lost.  These writes take no writers' flock, leave
 * meta/generation alone and record no history: nothing in the NSS view
 * depends on them, and a login must not wait behind an administrator's view
 * rebuild.  The tdb transaction lock still orders them against
 * administrators, whose transactions read the record afresh.  What belongs
 * in history - a password changed by its owner, a hash upgraded at login,
 * an administrator's unlock - goes through roster_txn_begin() and the user
 * write path like every other change.
 *
 * MUST rules:
 *  1. Every read-modify-write of a user's authentication fields happens
 *     inside one transaction, and the record is read inside it.
 *  2. An unknown user costs what a known one costs: the same argon2id
 *     verification (against a dummy hash of the configured cost) and the
 *     same kind of committed transaction (the meta/auth_unknown counter).
 *  3. A plaintext password goes straight to roster_password_verify(); this
 *     file keeps no copy of it.
 *  4. Strings that come from the network or the PAM application (remote
 *     host, service) are bounded and reduced to printable ASCII before they
 *     are stored: roster user show prints them to a terminal.
 *  5. A success during an active lockout clears nothing, and is counted as
 *     a failure: a right password then costs the same write as a wrong one.
 *  6. A login is decided on the record as it is after the secret was
 *     verified, not as it was read before: hashing takes its time, and
 *     meanwhile other logins may have locked the account, or an
 *     administrator disabled it or reset the password (roster_auth_success).
 */
#include "internal.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UNKNOWN_KEY "meta/auth_unknown"
#define ORIGIN_MAX 255 /* a DNS name; longer remote hosts are cut */
#define LOGIN_WAIT_MS 2000 /* the session's wait for the last-login write */

static const char *const state_names[] = {
	[ROSTER_AUTH_OK] = "ok",
	[ROSTER_AUTH_UNKNOWN] = "unknown",
	[ROSTER_AUTH_DISABLED] = "disabled",
	[ROSTER_AUTH_INVITED] = "invited",
	[ROSTER_AUTH_EXPIRED] = "expired",
	[ROSTER_AUTH_LOCKED] = "locked",
	[ROSTER_AUTH_MUST_CHANGE] = "must-change",
};

const char *roster_auth_state_name(enum roster_auth_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

/* Days since the epoch, rounding towards the past (UTC). */
static int64_t day_of(int64_t t)
{
	return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

bool roster_auth_locked(const struct roster_user *u, int64_t now)
{
	return u && u->status != ROSTER_DELETED && u->locked_until > now;
}

enum roster_auth_state roster_auth_state(const struct roster_user *u, int64_t now)
{
	if (!u || u->status == ROSTER_DELETED)
		return ROSTER_AUTH_UNKNOWN;
	if (u->status == ROSTER_DISABLED)
		return ROSTER_AUTH_DISABLED;
	if (u->status == ROSTER_INVITED)
		return ROSTER_AUTH_INVITED;
	/* The account works through its expiry date (UTC) and not after. */
	if (u->expires != ROSTER_NO_DATE && day_of(now) > u->expires)
		return ROSTER_AUTH_EXPIRED;
	if (roster_auth_locked(u, now))
		return ROSTER_AUTH_LOCKED;
	if (u->must_change)
		return ROSTER_AUTH_MUST_CHANGE;
	return ROSTER_AUTH_OK;
}

int roster_auth_lookup(struct roster_db *db, const char *name, int64_t now, struct roster_user **out,
		       enum roster_auth_state *state)
{
	struct roster_user *u = NULL;
	int r = user_load(db, name, &u);

	*out = NULL;
	*state = ROSTER_AUTH_UNKNOWN;
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (u->status == ROSTER_DELETED) {
		roster_user_free(u);
		return 0;
	}
	*state = roster_auth_state(u, now);
	*out = u;
	return 0;
}

/* ---- one tdb transaction per login event ---- */

/* fn edits u and returns 1 to store it, 0 to leave the record as it was,
 * or -errno. */
typedef int (*auth_edit_fn)(struct roster_user *u, void *priv);

/* internal.h.  Waiting is tdb's F_SETLKW; a bounded wait tries again
 * every 10 ms. */
int login_txn_start(struct roster_db *db, int wait_ms)
{
	if (db->in_txn)
		return db_fail(db, -EBUSY, "internal error: a login event inside a transaction");
	if (wait_ms < 0) {
		if (tdb_transaction_start(db->tdb) != 0)
			return db_fail(db, -ENOLCK, "cannot start a transaction: %s", tdb_errorstr(db->tdb));
	} else {
		for (int waited = 0; tdb_transaction_start_nonblock(db->tdb) != 0; waited += 10) {
			/* Busy is TDB_ERR_NOLOCK ("lock exists on other keys") */
			if (tdb_error(db->tdb) != TDB_ERR_LOCK && tdb_error(db->tdb) != TDB_ERR_NOLOCK)
				return db_fail(db, -ENOLCK, "cannot start a transaction: %s",
					       tdb_errorstr(db->tdb));
			if (waited >= wait_ms)
				return db_fail(db, -EBUSY, "another transaction held the database for %d ms",
					       wait_ms);
			nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
		}
	}
	/* roster_db_close() cancels it if we never get to the end. */
	db_txn_started(db);
	return 0;
}

void login_txn_cancel(struct roster_db *db)
{
	if (db->in_txn)
		tdb_transaction_cancel(db->tdb);
	db_txn_ended(db);
}

static int txn_commit(struct roster_db *db)
{
	/* tdb ends the transaction either way. */
	return store_commit_tdb(db);
}

/* Reads name inside a transaction, lets fn edit it, stores and commits
 * when fn asks to.  -ENOENT for a missing or deleted user. */
static int auth_edit_within(struct roster_db *db, const char *name, int wait_ms, auth_edit_fn fn, void *priv)
{
	struct roster_user *u = NULL;
	int r = login_txn_start(db, wait_ms);

	if (r < 0)
		return r;
	r = user_load(db, name, &u);
	if (r == 0 && u->status == ROSTER_DELETED)
		r = -ENOENT;
	if (r == 0)
		r = fn(u, priv);
	if (r > 0)
		r = user_store(db, u) ?: txn_commit(db);
	roster_user_free(u);
	login_txn_cancel(db);
	return r;
}

static int auth_edit(struct roster_db *db, const char *name, auth_edit_fn fn, void *priv)
{
	return auth_edit_within(db, name, -1, fn, priv);
}

/* One more failure on u at now, by the [lockout] rules of cfg. */
static void apply_fail(struct roster_user *u, const struct roster_config *cfg, int64_t now,
		       struct roster_auth_tally *t)
{
	/* A lockout that has run its term starts the count afresh. */
	if (u->locked_until && u->locked_until <= now) {
		u->fail_count = 0;
		u->fail_first = 0;
		u->locked_until = 0;
	}
	/* Failures older than fail_interval no longer count.  A failure
	 * stamped before the first of the window still counts: concurrent
	 * logins take their time before hashing and commit in any order, so
	 * an earlier stamp committed later is the normal case, not a reason
	 * to forget the window (that lost failures under load).  A clock set
	 * back only lengthens the window. */
	if (u->fail_count == 0 ||
	    (cfg->fail_interval && now - u->fail_first >= (int64_t)cfg->fail_interval)) {
		u->fail_count = 0;
		u->fail_first = now;
	}
	if (u->fail_count < UINT32_MAX)
		u->fail_count++;
	t->locked_now = false;
	if (cfg->deny && u->fail_count >= cfg->deny && u->locked_until <= now) {
		/* unlock_time = 0: until an administrator unlocks it. */
		u->locked_until = cfg->unlock_time ? now + (int64_t)cfg->unlock_time : INT64_MAX;
		t->locked_now = true;
	}
	t->fail_count = u->fail_count;
	t->locked_until = u->locked_until;
}

int roster_auth_fail(struct roster_db *db, const char *name, int64_t now, struct roster_auth_tally *out)
{
	struct roster_auth_tally t = { 0 };
	struct roster_user *u = NULL;
	bool unknown = false;
	uint64_t n = 0;
	int r = login_txn_start(db, -1);

	if (r < 0)
		return r;
	r = user_load(db, name, &u);
	if (r == 0 && u->status == ROSTER_DELETED)
		r = -ENOENT;
	if (r == 0) {
		apply_fail(u, db->cfg, now, &t);
		r = user_store(db, u);
	} else if (r == -ENOENT) {
		/* Rule 2: the same transaction, on a counter of its own. */
		unknown = true;
		r = db_get_u64(db, UNKNOWN_KEY, &n);
		if (r == -ENOENT || r == -EBADMSG)
			n = 0, r = 0;
		r = r ?: db_put_u64(db, UNKNOWN_KEY, n + 1);
	}
	r = r ?: txn_commit(db);
	roster_user_free(u);
	login_txn_cancel(db);
	if (out)
		*out = t;
	return r == 0 && unknown ? -ENOENT : r;
}

/* Clears the failure count; whether there was anything to clear. */
static bool clear_failures(struct roster_user *u)
{
	if (!u->fail_count && !u->fail_first && !u->locked_until)
		return false;
	u->fail_count = 0;
	u->fail_first = 0;
	u->locked_until = 0;
	return true;
}

struct verdict {
	const struct roster_config *cfg;
	int64_t now;
	const char *hash; /* what the secret was verified against, or NULL */
	bool invite;
	enum roster_auth_state state;
	int r;
};

/* Rule 6: the verdict on the record as it is now. */
static void judge(const struct roster_user *u, struct verdict *v)
{
	const char *stored = v->invite ? u->invite_hash : u->pwhash;

	v->state = roster_auth_state(u, v->now);
	/* A lockout comes first, whatever else the account is (disabled,
	 * expired, an invitee, a new password): refused in silence and
	 * counted, so that nothing tells a right secret from a wrong one. */
	if (roster_auth_locked(u, v->now))
		v->state = ROSTER_AUTH_LOCKED;
	if (v->state == ROSTER_AUTH_LOCKED)
		v->r = -EACCES;
	else if (v->hash && !str_eq(stored, v->hash))
		v->r = -ESTALE;
	else if (v->invite ? v->state != ROSTER_AUTH_INVITED
			   : v->state != ROSTER_AUTH_OK && v->state != ROSTER_AUTH_MUST_CHANGE)
		v->r = -EACCES;
	else
		v->r = 0;
}

static int apply_success(struct roster_user *u, void *priv)
{
	struct verdict *v = priv;
	struct roster_auth_tally t;

	judge(u, v);
	if (v->r == -EACCES && v->state == ROSTER_AUTH_LOCKED) {
		/* Rule 5: counted as a wrong secret is, at the same cost. */
		apply_fail(u, v->cfg, v->now, &t);
		return 1;
	}
	return v->r == 0 && clear_failures(u);
}
/* A change of the hash: history, the writers' lock, roster_user_update. */
int roster_auth_rehash(struct roster_db *db, const char *name, const char *old_hash,
		       const char *new_hash)
{
	struct roster_user *u = NULL;
	char *h = NULL;
	int r = roster_txn_begin(db, name);

	if (r < 0)
		return r;
	r = roster_user_get(db, name, &u);
	/* Changed since it was verified: the login proved the old one only. */
	if (r == 0 && !str_eq(u->pwhash, old_hash))
		r = db_fail(db, -ESTALE, "the password of %s changed during the login", name);
	if (r == 0 && !(h = strdup(new_hash)))
		r = -ENOMEM;
	if (r == 0) {
		roster_secret_free(u->pwhash);
		u->pwhash = h;
		/* The count is roster_auth_success's: failures committed since
		 * it cleared it are not undone here. */
		r = roster_user_update(db, u, "password.rehash");
	}
	roster_user_free(u);
	if (r < 0) {
		roster_txn_abort(db);
		return r;
	}
	return roster_txn_commit(db);
}

int roster_auth_success(struct roster_db *db, const char *name, int64_t now, const char *hash, bool invite,
			enum roster_auth_state *state)
{
	struct verdict v = { .cfg = db->cfg, .now = now, .hash = hash, .invite = invite };
	struct roster_user *u = NULL;
	bool clean = false;
	int r = user_load(db, name, &u);

	if (r == 0 && u->status == ROSTER_DELETED)
		r = -ENOENT;
	if (r == 0) {
		judge(u, &v);
		clean = !u->fail_count && !u->fail_first && !u->locked_until;
	}
	roster_user_free(u);
	*state = r == 0 ? v.state : ROSTER_AUTH_UNKNOWN;
	if (r < 0)
		return r;
	/* Accepted with nothing to clear, or refused for a reason the user is
	 * told anyway: no transaction at all (starting one copies tdb's whole
	 * hash table, 4 MB for a million buckets).  A failure that commits
	 * after this read is ordered after this login. */
	if ((v.r == 0 && clean) || (v.r < 0 && v.state != ROSTER_AUTH_LOCKED))
		return v.r;
	/* Decided again inside the transaction that clears or counts. */
	r = auth_edit(db, name, apply_success, &v);
	*state = v.state;
	return r < 0 ? r : v.r;
}

/* Printable ASCII only, at most max bytes; NULL stays NULL. */
static char *clean_origin(const char *s, size_t max)
{
	size_t n;
	char *c;

	if (!s || !*s)
		return NULL;
	n = strnlen(s, max);
	if (!(c = malloc(n + 1)))
		return NULL;
	for (size_t i = 0; i < n; i++)
		c[i] = (s[i] > 0x20 && s[i] < 0x7f) ? s[i] : '?';
	c[n] = '\0';
	return c;
}

struct login_ctx {
	int64_t now;
	const char *service, *host;
};

static int apply_login(struct roster_user *u, void *priv)
{
	const struct login_ctx *c = priv;
	char *service = clean_origin(c->service, ROSTER_NAME_MAX * 2);
	char *host = clean_origin(c->host, ORIGIN_MAX);

	if ((c->service && *c->service && !service) || (c->host && *c->host && !host)) {
		free(service);
		free(host);
		return -ENOMEM;
	}
	free(u->last_service);
	free(u->last_host);
	u->last_service = service;
	u->last_host = host;
	u->last_login = c->now;
	return 1;
}

int roster_auth_login(struct roster_db *db, const char *name, int64_t now, const char *service,
		      const char *host)
{
	struct login_ctx c = { now, service, host };
	struct roster_user *u = NULL;
	int r = user_load(db, name, &u);

	if (r == 0 && u->status == ROSTER_DELETED)
		r = -ENOENT;
	roster_user_free(u);
	/* Every session on the machine comes here, root's included: one that
	 * is not roster's waits for nothing, and a roster user's waits at most
	 * LOGIN_WAIT_MS behind another transaction (an administrator's
	 * `roster` stopped with ^Z holds one for as long as it likes). */
	if (r < 0)
		return r;
	return auth_edit_within(db, name, LOGIN_WAIT_MS, apply_login, &c);
}

/* ---- administrators ---- */

int roster_auth_unlock(struct roster_db *db, const char *name, struct roster_auth_tally *before)
{
	struct roster_user *u = NULL;
	struct changes c = { 0 };
	char n1[16], when[21];
	int r;

	if ((r = db_require_txn(db)) < 0)
		return r;
	r = roster_user_get(db, name, &u);
	if (r < 0)
		return r;
	if (before) {
		before->fail_count = u->fail_count;
		before->locked_now = u->locked_until > db->now;
		before->locked_until = before->locked_now ? u->locked_until : 0;
	}
	if (!u->fail_count && !u->fail_first && !u->locked_until) {
		roster_user_free(u);
		return 0; /* nothing to undo: no write, no event */
	}
	snprintf(n1, sizeof(n1), "%u", (unsigned)u->fail_count);
	if (u->fail_count)
		changes_add(&c, "failed_logins", n1, "0");
	if (u->locked_until > db->now) {
		if (u->locked_until == INT64_MAX)
			snprintf(when, sizeof(when), "until unlocked");
		else
			roster_format_time(u->locked_until, when);
		changes_add(&c, "locked_until", when, NULL);
	}
	u->fail_count = 0;
	u->fail_first = 0;
	u->locked_until = 0;
	u->updated = db->now;
	free(u->updated_by);
	if (!(u->updated_by = strdup(db->actor)))
		r = -ENOMEM;
	r = r ?: user_store(db, u);
	/* An expired lock or a stale count is tidied without an event. */
	if (r == 0 && c.n)
		r = history_append(db, "user.unlock", name, &c);
	changes_free(&c);
	roster_user_free(u);
	return r;
}

/* ---- passwords ---- */

int roster_auth_verify_dummy(const struct roster_config *cfg, const char *pw)
{
	/* Not a hash of anything: random salt and output in the format
	 * crypto_pwhash_str() writes, at the configured cost.  Verifying
	 * against it costs exactly one argon2id computation, as a real
	 * verification does, and it needs no hashing up front: a process that
	 * authenticates once (sshd's per-connection monitor) would otherwise
	 * pay for a dummy hash on its first unknown user only. */
	unsigned char salt[crypto_pwhash_SALTBYTES], out[32];
	char s64[sodium_base64_ENCODED_LEN(sizeof(salt), sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	char o64[sodium_base64_ENCODED_LEN(sizeof(out), sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	char hash[ROSTER_HASH_MAX];
	int n, r;

	if (sodium_init() < 0)
		return -EIO;
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(out, sizeof(out));
	sodium_bin2base64(s64, sizeof(s64), salt, sizeof(salt), sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	sodium_bin2base64(o64, sizeof(o64), out, sizeof(out), sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	n = snprintf(hash, sizeof(hash), "$argon2id$v=19$m=%zu,t=%llu,p=1$%s$%s", cfg->memlimit / 1024,
		     cfg->opslimit, s64, o64);
	if (n < 0 || (size_t)n >= sizeof(hash))
		return -EOVERFLOW;
	r = roster_password_verify(cfg, hash, pw);
	/* A match is a 2^-256 accident; it is refused all the same. */
	return r == 0 ? -EACCES : r;
}

int roster_auth_needs_rehash(const struct roster_config *cfg, const char *hash)
{
	const char *scheme = roster_hash_scheme(hash);
	unsigned long m, t;

	if (scheme && strcmp(scheme, "argon2id") != 0) /* adopted from /etc/shadow: argon2id from now on */
		return roster_valid_hash(cfg, hash) == 0;
	if (!hash || strncmp(hash, "$argon2id$v=19$", 15) != 0 ||
	    sscanf(hash + 15, "m=%lu,t=%lu,", &m, &t) != 2)
		return 0;
	if (crypto_pwhash_str_needs_rehash(hash, cfg->opslimit, cfg->memlimit) != 1)
		return 0;
	/* Differs from the configured cost; upgrade only, never downgrade. */
	return (unsigned long long)t < cfg->opslimit || (unsigned long long)m * 1024 < cfg->memlimit;
}

int roster_auth_change_password(struct roster_db *db, const char *name, const char *actor,
				const char *old_hash, const char *new_hash)
{
	struct roster_user *u = NULL;
	char *h = strdup(new_hash);
	int r;

	if (!h)
		return -ENOMEM;
	r = roster_txn_begin(db, actor);
	if (r < 0) {
		roster_secret_free(h);
		return r;
	}
	r = roster_user_get(db, name, &u);
	if (r == 0 && old_hash && !str_eq(u->pwhash, old_hash))
		r = db_fail(db, -ESTALE, "the password of %s was changed by another process meanwhile", name);
	if (r == 0) {
		roster_secret_free(u->pwhash);
		u->pwhash = h;
		h = NULL;
		u->must_change = false;
		r = roster_user_update(db, u, "password.change");
	}
	roster_secret_free(h);
	roster_user_free(u);
	if (r < 0) {
		roster_txn_abort(db);
		return r;
	}
	return roster_txn_commit(db);
}

/* ---- service access by role ---- */

int roster_auth_service_access(struct roster_db *db, const struct roster_user *u, const char *service,
			       char *const *required, enum roster_access *out)
{
	bool admin = strv_contains(u->roles, db->cfg->admin_role);
	bool governed = false, granted = false, held = false;
	char **names = NULL;
	int r;

	*out = ROSTER_ACCESS_DENIED_ROLE;
	r = roster_role_names(db, &names);
	for (char **p = names; r == 0 && p && *p; p++) {
		struct roster_role *ro = NULL;

		r = role_load(db, *p, &ro);
		if (r == -ENOENT) { /* the index names a role being deleted */
			r = 0;
			continue;
		}
		if (r == 0 && service && strv_contains(ro->services, service)) {
			governed = true;
			granted = granted || strv_contains(u->roles, *p);
		}
		roster_role_free(ro);
	}
	roster_strv_free(names);
	if (r < 0)
		return r;
	for (char *const *p = required; p && *p; p++)
		held = held || strv_contains(u->roles, *p);
	if (required && required[0] && !held && !admin)
		*out = ROSTER_ACCESS_DENIED_REQUIRED;
	else if (governed && !granted && !admin)
		*out = ROSTER_ACCESS_DENIED_ROLE;
	else if (admin)
		*out = ROSTER_ACCESS_ADMIN;
	else if (governed || (required && required[0]))
		*out = ROSTER_ACCESS_GRANTED;
	else
		*out = ROSTER_ACCESS_OPEN;
	return 0;
}

int roster_auth_unknown_failures(struct roster_db *db, uint64_t *n)
{
	int r = db_get_u64(db, UNKNOWN_KEY, n);

	if (r == -ENOENT) {
		*n = 0;
		return 0;
	}
	return r;
}
