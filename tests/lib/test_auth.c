/* test_auth.c - lib/auth.c with the clock in the test's hands: account
 * states, the failure window, lockouts and their end, unlock, the last
 * login, the dummy verification, rehash decisions, password changes and
 * service access by role. */
#include "common.h"

#include <dlfcn.h>
#include <sodium.h>

#define T0 1700000000 /* a Tuesday in 2023, 22:13:20 UTC */

/* Every argon2id verification in this binary, counted: libroster.a's calls
 * bind to this definition, which hands them on to libsodium's. */
static unsigned verifications;

int crypto_pwhash_str_verify(const char str[crypto_pwhash_STRBYTES], const char *const passwd,
			     unsigned long long passwdlen)
{
	static int (*real)(const char *, const char *, unsigned long long);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "crypto_pwhash_str_verify");
	assert_non_null(real);
	verifications++;
	return real(str, passwd, passwdlen);
}

static void set_lockout(struct fx *fx, const char *lines)
{
	fx_close(fx);
	roster_config_free(fx->cfg);
	fx_write_conf(fx, lines);
	assert_int_equal(roster_config_load(fx->conf, &fx->cfg), 0);
	fx_open(fx, 0);
}

static struct roster_user *load(struct fx *fx, const char *name)
{
	struct roster_user *u = NULL;

	assert_int_equal(roster_user_get(fx->db, name, &u), 0);
	return u;
}

static struct roster_auth_tally fail_at(struct fx *fx, const char *name, int64_t now)
{
	struct roster_auth_tally t;

	assert_int_equal(roster_auth_fail(fx->db, name, now, &t), 0);
	return t;
}

static enum roster_auth_state state_at(struct fx *fx, const char *name, int64_t now)
{
	struct roster_user *u = NULL;
	enum roster_auth_state s;

	assert_int_equal(roster_auth_lookup(fx->db, name, now, &u, &s), 0);
	roster_user_free(u);
	return s;
}

static void states(void **state)
{
	struct roster_user u = { .status = ROSTER_ACTIVE, .expires = ROSTER_NO_DATE };
	int64_t day = T0 / 86400;

	(void)state;
	assert_int_equal(roster_auth_state(NULL, T0), ROSTER_AUTH_UNKNOWN);
	assert_int_equal(roster_auth_state(&u, T0), ROSTER_AUTH_OK);
	u.must_change = true;
	assert_int_equal(roster_auth_state(&u, T0), ROSTER_AUTH_MUST_CHANGE);
	u.locked_until = T0 + 1;
	assert_int_equal(roster_auth_state(&u, T0), ROSTER_AUTH_LOCKED);
	assert_int_equal(roster_auth_state(&u, T0 + 1), ROSTER_AUTH_MUST_CHANGE);
	/* The expiry date itself is the last day that works (UTC). */
	u.expires = day;
	assert_int_equal(roster_auth_state(&u, day * 86400 + 86399), ROSTER_AUTH_MUST_CHANGE);
	assert_int_equal(roster_auth_state(&u, day * 86400 + 86400), ROSTER_AUTH_EXPIRED);
	u.status = ROSTER_INVITED;
	assert_int_equal(roster_auth_state(&u, day * 86400 + 86400), ROSTER_AUTH_INVITED);
	u.status = ROSTER_DISABLED;
	assert_int_equal(roster_auth_state(&u, T0), ROSTER_AUTH_DISABLED);
	/* A lockout runs under the state that names the account first. */
	assert_true(roster_auth_locked(&u, T0));
	assert_false(roster_auth_locked(&u, T0 + 1));
	u.status = ROSTER_DELETED;
	assert_int_equal(roster_auth_state(&u, T0), ROSTER_AUTH_UNKNOWN);
	assert_false(roster_auth_locked(&u, T0));
	assert_false(roster_auth_locked(NULL, T0));
	assert_string_equal(roster_auth_state_name(ROSTER_AUTH_LOCKED), "locked");
}

static void lookup(void **state)
{
	struct fx *fx = *state;
	struct roster_user *u = NULL;
	enum roster_auth_state s;

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	assert_int_equal(roster_auth_lookup(fx->db, "alice", T0, &u, &s), 0);
	assert_non_null(u);
	assert_int_equal(s, ROSTER_AUTH_OK);
	roster_user_free(u);
	assert_int_equal(roster_auth_lookup(fx->db, "nosuch", T0, &u, &s), 0);
	assert_null(u);
	assert_int_equal(s, ROSTER_AUTH_UNKNOWN);
	assert_int_equal(roster_auth_lookup(fx->db, "Not A Name", T0, &u, &s), 0);
	assert_null(u);
	/* A tombstone is nobody. */
	u = load(fx, "alice");
	u->status = ROSTER_DELETED;
	txn_begin(fx);
	assert_int_equal(user_store(fx->db, u), 0);
	txn_commit(fx);
	roster_user_free(u);
	assert_int_equal(roster_auth_lookup(fx->db, "alice", T0, &u, &s), 0);
	assert_null(u);
	assert_int_equal(s, ROSTER_AUTH_UNKNOWN);
	assert_int_equal(roster_auth_fail(fx->db, "alice", T0, NULL), -ENOENT);
}

/* deny = 3 within fail_interval = 60 s locks for unlock_time = 120 s. */
static void window_and_lockout(void **state)
{
	struct fx *fx = *state;
	struct roster_auth_tally t;
	struct roster_user *u;
	enum roster_auth_state s;

	set_lockout(fx, "[lockout]\ndeny = 3\nfail_interval = 60\nunlock_time = 2m\n");
	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	assert_int_equal(fail_at(fx, "alice", T0).fail_count, 1);
	assert_int_equal(fail_at(fx, "alice", T0 + 30).fail_count, 2);
	/* 60 s after the first failure: the window starts again. */
	t = fail_at(fx, "alice", T0 + 60);
	assert_int_equal(t.fail_count, 1);
	assert_false(t.locked_now);
	assert_int_equal(fail_at(fx, "alice", T0 + 61).fail_count, 2);
	t = fail_at(fx, "alice", T0 + 62);
	assert_int_equal(t.fail_count, 3);
	assert_true(t.locked_now);
	assert_int_equal(t.locked_until, T0 + 62 + 120);
	assert_int_equal(state_at(fx, "alice", T0 + 63), ROSTER_AUTH_LOCKED);
	/* More failures during the lockout count, but do not extend it. */
	t = fail_at(fx, "alice", T0 + 100);
	assert_int_equal(t.fail_count, 4);
	assert_false(t.locked_now);
	assert_int_equal(t.locked_until, T0 + 182);
	/* A success during the lockout clears nothing: it is refused, and
	 * counted as a failure (the same write as a wrong password's). */
	u = load(fx, "alice");
	assert_int_equal(roster_auth_success(fx->db, "alice", T0 + 101, u->pwhash, false, &s), -EACCES);
	roster_user_free(u);
	assert_int_equal(s, ROSTER_AUTH_LOCKED);
	u = load(fx, "alice");
	assert_int_equal(u->fail_count, 5);
	assert_int_equal(u->locked_until, T0 + 182);
	roster_user_free(u);
	assert_int_equal(state_at(fx, "alice", T0 + 181), ROSTER_AUTH_LOCKED);
	assert_int_equal(state_at(fx, "alice", T0 + 182), ROSTER_AUTH_OK);
	/* Once served, a lockout starts the count afresh. */
	t = fail_at(fx, "alice", T0 + 183);
	assert_int_equal(t.fail_count, 1);
	assert_int_equal(t.locked_until, 0);
	/* A success clears the count. */
	u = load(fx, "alice");
	assert_int_equal(roster_auth_success(fx->db, "alice", T0 + 184, u->pwhash, false, &s), 0);
	roster_user_free(u);
	assert_int_equal(s, ROSTER_AUTH_OK);
	u = load(fx, "alice");
	assert_int_equal(u->fail_count, 0);
	assert_int_equal(u->fail_first, 0);
	assert_int_equal(u->locked_until, 0);
	roster_user_free(u);
	/* None of this is history: logins write no events. */
	{
		unsigned n = 0;
		struct roster_check_report rep;
		struct problems p;

		memset(&p, 0, sizeof(p));
		assert_int_equal(roster_db_check(fx->db, false, collect_problem, &p, &rep), 0);
		n = rep.events;
		assert_int_equal(n, 2); /* user.add, and the database's admin role */
		assert_int_equal(rep.problems, 0);
	}
}

/* roster_auth_success decides on the record as it is, not as the login read
 * it before hashing: a password replaced meanwhile, a disabled or deleted
 * account, an invitation redeemed, are all refused, and write nothing. */
static void success_rechecks(void **state)
{
	struct fx *fx = *state;
	struct roster_user *u;
	enum roster_auth_state s;
	char h1[ROSTER_HASH_MAX];
	char *old;

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	assert_int_equal(roster_password_hash(fx->cfg, "first password", h1), 0);
	u = load(fx, "alice");
	assert_null(u->pwhash);
	assert_non_null(old = malloc(ROSTER_HASH_MAX));
	assert_int_equal(roster_password_hash(fx->cfg, "old password", old), 0);
	u->pwhash = strdup(old);
	txn_begin(fx);
	assert_int_equal(roster_user_update(fx->db, u, "user.passwd"), 0);
	txn_commit(fx);
	assert_int_equal(roster_auth_success(fx->db, "alice", T0, old, false, &s), 0);
	assert_int_equal(s, ROSTER_AUTH_OK);
	/* The password replaced after it was verified. */
	free(u->pwhash);
	u->pwhash = strdup(h1);
	txn_begin(fx);
	assert_int_equal(roster_user_update(fx->db, u, "user.passwd"), 0);
	txn_commit(fx);
	assert_int_equal(roster_auth_success(fx->db, "alice", T0, old, false, &s), -ESTALE);
	assert_int_equal(roster_auth_success(fx->db, "alice", T0, h1, false, &s), 0);
	/* Disabled meanwhile: refused, and the state says why. */
	u->status = ROSTER_DISABLED;
	txn_begin(fx);
	assert_int_equal(roster_user_update(fx->db, u, "user.disable"), 0);
	txn_commit(fx);
	roster_user_free(u);
	assert_int_equal(roster_auth_success(fx->db, "alice", T0, h1, false, &s), -EACCES);
	assert_int_equal(s, ROSTER_AUTH_DISABLED);
	u = load(fx, "alice");
	assert_int_equal(u->fail_count, 0); /* only a lockout counts */
	roster_user_free(u);
	/* Not an invitee: an invitation code proves nothing. */
	assert_int_equal(roster_auth_success(fx->db, "alice", T0, NULL, true, &s), -EACCES);
	assert_int_equal(roster_auth_success(fx->db, "nosuch", T0, h1, false, &s), -ENOENT);
	assert_int_equal(s, ROSTER_AUTH_UNKNOWN);
	free(old);
}

/* Concurrent logins stamp their failure before hashing and commit in any
 * order: a failure stamped earlier than the window's first, committed
 * after it, still counts (it used to restart the count: 8 threads' wrong
 * passwords left 1). */
static void out_of_order_failures(void **state)
{
	struct fx *fx = *state;
	struct roster_auth_tally t;
	struct roster_user *u;

	set_lockout(fx, "[lockout]\ndeny = 3\nfail_interval = 60\nunlock_time = 2m\n");
	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	assert_int_equal(fail_at(fx, "alice", T0 + 5).fail_count, 1);
	assert_int_equal(fail_at(fx, "alice", T0 + 2).fail_count, 2);
	t = fail_at(fx, "alice", T0);
	assert_int_equal(t.fail_count, 3);
	assert_true(t.locked_now);
	u = load(fx, "alice");
	assert_int_equal(u->fail_first, T0 + 5); /* the window is not moved back */
	roster_user_free(u);
	/* The window still ends fail_interval after its first failure. */
	assert_int_equal(state_at(fx, "alice", T0 + 1), ROSTER_AUTH_LOCKED);
	assert_int_equal(fail_at(fx, "alice", T0 + 5 + 60 + 120).fail_count, 1);
}

static void deny_zero_and_forever(void **state)
{
	struct fx *fx = *state;
	struct roster_auth_tally t;

	set_lockout(fx, "[lockout]\ndeny = 0\n");
	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	for (int i = 0; i < 50; i++)
		t = fail_at(fx, "alice", T0 + i);
	assert_int_equal(t.fail_count, 50);
	assert_int_equal(t.locked_until, 0);
	assert_int_equal(state_at(fx, "alice", T0 + 50), ROSTER_AUTH_OK);

	set_lockout(fx, "[lockout]\ndeny = 2\nunlock_time = 0\n");
	add_user(fx, "bob", "bob@example.org", NULL, NULL);
	fail_at(fx, "bob", T0);
	t = fail_at(fx, "bob", T0);
	assert_true(t.locked_now);
	assert_int_equal(t.locked_until, INT64_MAX);
	assert_int_equal(state_at(fx, "bob", T0 + 86400 * 365), ROSTER_AUTH_LOCKED);
}

static int one_event(const struct roster_event *e, void *priv)
{
	char *out = priv;
	size_t len = strlen(out);

	snprintf(out + len, 1024 - len, "%s by %s:", e->action, e->actor);
	for (size_t i = 0; i < e->nchanges; i++) {
		len = strlen(out);
		snprintf(out + len, 1024 - len, " %s=%s->%s", e->changes[i].field,
			 e->changes[i].old_value ? e->changes[i].old_value : "-",
			 e->changes[i].new_value ? e->changes[i].new_value : "-");
	}
	len = strlen(out);
	snprintf(out + len, 1024 - len, "\n");
	return 0;
}

static void unlock(void **state)
{
	struct fx *fx = *state;
	struct roster_auth_tally before;
	int64_t now = roster_now();
	char hist[1024] = "", when[21];

	set_lockout(fx, "[lockout]\ndeny = 2\nunlock_time = 1h\n");
	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	fail_at(fx, "alice", now);
	fail_at(fx, "alice", now);
	assert_int_equal(state_at(fx, "alice", now), ROSTER_AUTH_LOCKED);
	txn_begin(fx);
	assert_int_equal(roster_auth_unlock(fx->db, "alice", &before), 0);
	txn_commit(fx);
	assert_int_equal(before.fail_count, 2);
	assert_true(before.locked_now);
	assert_int_equal(before.locked_until, now + 3600);
	assert_int_equal(state_at(fx, "alice", now), ROSTER_AUTH_OK);
	assert_int_equal(roster_history_foreach(fx->db, "alice", one_event, hist), 0);
	roster_format_time(now + 3600, when);
	assert_non_null(strstr(hist, "user.unlock by tester: failed_logins=2->0 locked_until="));
	assert_non_null(strstr(hist, when));
	/* Nothing to undo: no event. */
	txn_begin(fx);
	assert_int_equal(roster_auth_unlock(fx->db, "alice", &before), 0);
	txn_commit(fx);
	assert_false(before.locked_now);
	hist[0] = '\0';
	assert_int_equal(roster_history_foreach(fx->db, "alice", one_event, hist), 0);
	assert_int_equal(strstr(strstr(hist, "user.unlock") + 1, "user.unlock") == NULL, 1);
	/* Outside a transaction it refuses. */
	assert_int_equal(roster_auth_unlock(fx->db, "alice", NULL), -EINVAL);
	txn_begin(fx);
	assert_int_equal(roster_auth_unlock(fx->db, "nosuch", NULL), -ENOENT);
	roster_txn_abort(fx->db);
}

static void last_login(void **state)
{
	struct fx *fx = *state;
	struct roster_user *u;

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	assert_int_equal(roster_auth_login(fx->db, "alice", T0, "sshd", "2001:db8::1"), 0);
	u = load(fx, "alice");
	assert_int_equal(u->last_login, T0);
	assert_string_equal(u->last_service, "sshd");
	assert_string_equal(u->last_host, "2001:db8::1");
	roster_user_free(u);
	assert_int_equal(roster_auth_login(fx->db, "alice", T0 + 5, "su\tx", NULL), 0);
	u = load(fx, "alice");
	assert_string_equal(u->last_service, "su?x");
	assert_null(u->last_host);
	roster_user_free(u);
	assert_int_equal(roster_auth_login(fx->db, "nosuch", T0, "sshd", NULL), -ENOENT);
}

static void dummy_and_rehash(void **state)
{
	struct fx *fx = *state;
	struct roster_config cheap = *fx->cfg, interactive = *fx->cfg;
	char h[ROSTER_HASH_MAX], big[600];

	interactive.opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	interactive.memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	assert_int_equal(roster_auth_verify_dummy(&cheap, "anything"), -EACCES);
	assert_int_equal(roster_auth_verify_dummy(&cheap, ""), -EACCES);
	memset(big, 'x', sizeof(big));
	big[513] = '\0';
	assert_int_equal(roster_auth_verify_dummy(&cheap, big), -E2BIG);

	assert_int_equal(roster_password_hash(&cheap, "pw", h), 0);
	assert_int_equal(roster_auth_needs_rehash(&cheap, h), 0);
	assert_int_equal(roster_auth_needs_rehash(&interactive, h), 1);
	assert_int_equal(roster_password_hash(&interactive, "pw", h), 0);
	assert_int_equal(roster_auth_needs_rehash(&interactive, h), 0);
	assert_int_equal(roster_auth_needs_rehash(&cheap, h), 0); /* never down */
	assert_int_equal(roster_auth_needs_rehash(&cheap, "$2b$12$abc"), 0);
	assert_int_equal(roster_auth_needs_rehash(&cheap, NULL), 0);
}

static void change_password(void **state)
{
	struct fx *fx = *state;
	struct roster_user *u;
	char h1[ROSTER_HASH_MAX], h2[ROSTER_HASH_MAX], hist[1024] = "";

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	assert_int_equal(roster_password_hash(fx->cfg, "first password", h1), 0);
	assert_int_equal(roster_password_hash(fx->cfg, "second password", h2), 0);
	u = load(fx, "alice");
	u->pwhash = strdup(h1);
	u->must_change = true;
	txn_begin(fx);
	assert_int_equal(roster_user_update(fx->db, u, "user.passwd"), 0);
	txn_commit(fx);
	roster_user_free(u);
	/* Changed by someone else since it was verified: refused. */
	assert_int_equal(roster_auth_change_password(fx->db, "alice", "alice", h2, h2), -ESTALE);
	assert_int_equal(roster_auth_change_password(fx->db, "alice", "alice", h1, h2), 0);
	u = load(fx, "alice");
	assert_string_equal(u->pwhash, h2);
	assert_false(u->must_change);
	roster_user_free(u);
	assert_int_equal(roster_history_foreach(fx->db, "alice", one_event, hist), 0);
	assert_non_null(strstr(hist, "password.change by alice: must_change_password=true->false password=-->-\n"));
	/* A rehash keeps the password, and says so. */
	assert_int_equal(roster_auth_rehash(fx->db, "alice", h1, h1), -ESTALE);
	assert_int_equal(roster_auth_rehash(fx->db, "alice", h2, h1), 0);
	hist[0] = '\0';
	assert_int_equal(roster_history_foreach(fx->db, "alice", one_event, hist), 0);
	assert_non_null(strstr(hist, "password.rehash by alice: password=-->-\n"));
}

static void service_access(void **state)
{
	struct fx *fx = *state;
	struct roster_role *r = NULL;
	char *ops[] = { (char *)"ops", NULL }, *nosuch[] = { (char *)"nosuch", NULL };
	enum roster_access a;
	struct roster_user *u;

	add_role(fx, "dev", NULL);
	add_role(fx, "ops", NULL);
	txn_begin(fx);
	assert_int_equal(roster_role_get(fx->db, "dev", &r), 0);
	assert_int_equal(roster_parse_services("sshd,login", &r->services), 0);
	assert_int_equal(roster_role_update(fx->db, r), 0);
	txn_commit(fx);
	roster_role_free(r);
	add_user(fx, "dan", "dan@example.org", NULL, NULL);
	add_user(fx, "olga", "olga@example.org", NULL, NULL);
	add_user(fx, "root2", "root2@example.org", NULL, NULL);
	assign(fx, "dev", "dan");
	assign(fx, "ops", "olga");
	assign(fx, "roster-admin", "root2");

#define ACCESS(user, service, req, want)                                                \
	do {                                                                          \
		u = load(fx, user);                                                   \
		assert_int_equal(roster_auth_service_access(fx->db, u, service, req, &a), 0); \
		assert_int_equal(a, want);                                            \
		roster_user_free(u);                                                  \
	} while (0)
	ACCESS("dan", "sshd", NULL, ROSTER_ACCESS_GRANTED);
	ACCESS("olga", "sshd", NULL, ROSTER_ACCESS_DENIED_ROLE);
	ACCESS("root2", "sshd", NULL, ROSTER_ACCESS_ADMIN);
	ACCESS("olga", "ftp", NULL, ROSTER_ACCESS_OPEN);
	ACCESS("dan", "ftp", NULL, ROSTER_ACCESS_OPEN);
	ACCESS("olga", "ftp", ops, ROSTER_ACCESS_GRANTED);
	ACCESS("dan", "ftp", ops, ROSTER_ACCESS_DENIED_REQUIRED);
	ACCESS("dan", "sshd", ops, ROSTER_ACCESS_DENIED_REQUIRED);
	ACCESS("olga", "sshd", ops, ROSTER_ACCESS_DENIED_ROLE);
	ACCESS("root2", "ftp", nosuch, ROSTER_ACCESS_ADMIN);
	ACCESS("dan", "ftp", nosuch, ROSTER_ACCESS_DENIED_REQUIRED);
#undef ACCESS
}

static void unknown_counter(void **state)
{
	struct fx *fx = *state;
	uint64_t n = 99;

	assert_int_equal(roster_auth_unknown_failures(fx->db, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(roster_auth_fail(fx->db, "nosuch", T0, NULL), -ENOENT);
	assert_int_equal(roster_auth_fail(fx->db, "Invalid Name", T0, NULL), -ENOENT);
	assert_int_equal(roster_auth_unknown_failures(fx->db, &n), 0);
	assert_int_equal(n, 2);
	assert_healthy(fx);
}

/* An API password begins with its label, and a check verifies that
 * label's hash only: one verification an attempt whatever the number of
 * labels, a dummy one for a label the user does not have.  Every label's
 * hash here is of the same password, so trying them all would match "a". */
static void api_check_verifies_once(void **state)
{
	struct fx *fx = *state;
	static const char *const labels[] = { "a", "b", "c", "d", "e", "c-2", "bad" };
	static const struct {
		const char *pw;
		int r;
		const char *label;
	} tries[] = {
		{ "c.one secret for all", 0, "c" },
		{ "c-2.one secret for all", -EACCES, NULL }, /* c-2's hash is of "c-2.other" */
		{ "c-2.other", 0, "c-2" },
		{ "c.another secret", -EACCES, NULL },
		{ "a.one secret for all", -EACCES, NULL }, /* a's hash is of "c.one..." */
		{ "z.one secret for all", -ENOENT, NULL }, /* no such label: a dummy */
		{ "one secret for all", -ENOENT, NULL },   /* no label at all */
		{ ".one secret for all", -ENOENT, NULL },
		{ "c.", -ENOENT, NULL },
		{ "bad.anything", -EBADMSG, NULL }, /* not verified: a dummy instead */
	};
	char hashes[7][ROSTER_HASH_MAX];
	struct roster_api api[7], *apis[8] = { 0 };
	const struct roster_api *match = NULL;

	for (size_t i = 0; i < 7; i++) {
		const char *pw = i == 5 ? "c-2.other" : "c.one secret for all";

		assert_int_equal(roster_password_hash(fx->cfg, pw, hashes[i]), 0);
		api[i] = (struct roster_api){ .label = (char *)labels[i], .hash = hashes[i], .expires = ROSTER_NO_DATE };
		apis[i] = &api[i];
	}
	snprintf(hashes[6], sizeof(hashes[6]), "$argon2id$v=19$m=1,t=1,p=1$bm90IGEgc2FsdA$bm90IGEgaGFzaA");
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		verifications = 0;
		assert_int_equal(roster_api_check(fx->cfg, apis, "webapi", tries[i].pw, T0, &match), tries[i].r);
		if (verifications != 1)
			fail_msg("'%s': %u verifications, want 1", tries[i].pw, verifications);
		if (tries[i].label)
			assert_string_equal(match->label, tries[i].label);
		else
			assert_null(match);
	}
	assert_true(roster_api_password_of("ci", "ci.x"));
	assert_false(roster_api_password_of("ci", "ci."));
	assert_false(roster_api_password_of("ci", "cix.y"));
	assert_false(roster_api_password_of("ci", "c.i"));

	/* A hash below the configured cost answers sooner: padded with the
	 * dummy, right or wrong, as a login is. */
	set_lockout(fx, "[passwords]\nopslimit = 2\n");
	for (size_t i = 0; i < 2; i++) {
		verifications = 0;
		assert_int_equal(roster_api_check(fx->cfg, apis, "webapi", i ? "c.wrong" : "c.one secret for all", T0,
						  &match), i ? -EACCES : 0);
		assert_int_equal(verifications, 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(states),
		cmocka_unit_test_setup_teardown(lookup, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(window_and_lockout, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(success_rechecks, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(out_of_order_failures, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(deny_zero_and_forever, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(unlock, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(last_login, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(dummy_and_rehash, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(change_password, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(service_access, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(unknown_counter, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(api_check_verifies_once, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
