/* test_pam_auth.c - pam_sm_authenticate through real libpam: the password,
 * unknown users, refused states, lockout and unlock, the rehash, the hard
 * limits, module arguments, PAM_SILENT, and what reaches syslog. */
#include <crypt.h>

#include "harness.h"

#include <errno.h>
#include <grp.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOCKOUT "[lockout]\ndeny = 3\nfail_interval = 15m\nunlock_time = 15m\n"

static int setup(void **state)
{
	struct pt *pt = pt_new(LOCKOUT);

	pt_service(pt, "login", NULL);
	pt_add(pt, "alice");
	*state = pt;
	return 0;
}

static int teardown(void **state)
{
	pt_free(*state);
	return 0;
}

/* Nothing the module logged may contain the password. */
static void assert_log_clean(const char *password)
{
	if (strstr(pt_log(), password))
		fail_msg("the password reached syslog:\n%s", pt_log());
}

static void success(void **state)
{
	struct pt *pt = *state;
	struct pt_conv cv;
	pam_handle_t *h;

	pt_conv_init(&cv, PT_PASSWORD, NULL);
	h = pt_start(pt, "login", "alice", &cv, NULL);
	assert_int_equal(pam_authenticate(h, 0), PAM_SUCCESS);
	assert_int_equal(pam_setcred(h, PAM_ESTABLISH_CRED), PAM_SUCCESS);
	pt_end(h, PAM_SUCCESS);
	assert_string_equal(cv.prompts, "Password: \n");
	assert_int_equal(cv.nmsgs, 0);
	assert_true(pt_log_has("authentication success; user=alice service=login"));
	assert_log_clean(PT_PASSWORD);
	assert_int_equal(pt_fails(pt, "alice"), 0);
}

static void wrong_password(void **state)
{
	struct pt *pt = *state;

	assert_int_equal(pt_auth(pt, "login", "alice", "wrong password 1"), PAM_AUTH_ERR);
	assert_int_equal(pt_fails(pt, "alice"), 1);
	assert_true(pt_log_has("authentication failure: wrong password (1 within 900s); user=alice service=login"));
	assert_log_clean("wrong password 1");
}

/* The same code, the same prompt, the same silence, a write of the same
 * kind: nothing tells an unknown user from a wrong password. */
static void unknown_user(void **state)
{
	struct pt *pt = *state;
	struct pt_conv a, b;
	pam_handle_t *h;
	int ra, rb;

	pt_conv_init(&a, "guess 12345678", NULL);
	h = pt_start(pt, "login", "alice", &a, NULL);
	ra = pam_authenticate(h, 0);
	pt_end(h, ra);
	pt_conv_init(&b, "guess 12345678", NULL);
	h = pt_start(pt, "login", "mallory", &b, NULL);
	rb = pam_authenticate(h, 0);
	pt_end(h, rb);
	assert_int_equal(ra, PAM_AUTH_ERR);
	assert_int_equal(rb, PAM_AUTH_ERR);
	assert_string_equal(a.prompts, b.prompts);
	assert_string_equal(a.errors, b.errors);
	assert_string_equal(a.infos, b.infos);
	assert_int_equal(pt_unknown_failures(pt), 1);
	assert_true(pt_log_has("authentication failure: unknown user; user=mallory service=login"));
	assert_log_clean("guess 12345678");
}

/* A name that is no user name may be a password typed at "login:". */
static void invalid_name_not_logged(void **state)
{
	struct pt *pt = *state;

	assert_int_equal(pt_auth(pt, "login", "Hunter2 Secret!", "x"), PAM_AUTH_ERR);
	assert_true(pt_log_has("user=(not a valid name)"));
	assert_false(pt_log_has("Hunter2"));
}

static void no_password(void **state)
{
	struct pt *pt = *state;
	struct pt_user u = { .name = "nopw" };

	pt_add_user(pt, &u);
	assert_int_equal(pt_auth(pt, "login", "nopw", ""), PAM_AUTH_ERR);
	assert_int_equal(pt_auth(pt, "login", "nopw", "anything at all"), PAM_AUTH_ERR);
	assert_int_equal(pt_fails(pt, "nopw"), 2);
	assert_true(pt_log_has("authentication failure: the account has no password (2 within 900s); user=nopw"));
}

static void refused_state(struct pt *pt, const char *name, const char *message)
{
	struct pt_conv cv;
	pam_handle_t *h;

	/* The right password: refused, and told why. */
	pt_conv_init(&cv, PT_PASSWORD, NULL);
	h = pt_start(pt, "login", name, &cv, NULL);
	assert_int_equal(pam_authenticate(h, 0), PAM_AUTH_ERR);
	pt_end(h, PAM_AUTH_ERR);
	if (!strstr(cv.errors, message))
		fail_msg("%s: wanted '%s' in '%s'", name, message, cv.errors);
	/* A wrong password: refused as any wrong password is, with no hint. */
	pt_conv_init(&cv, "not the password", NULL);
	h = pt_start(pt, "login", name, &cv, NULL);
	assert_int_equal(pam_authenticate(h, 0), PAM_AUTH_ERR);
	pt_end(h, PAM_AUTH_ERR);
	assert_string_equal(cv.errors, "");
	/* PAM_SILENT: not a word. */
	pt_conv_init(&cv, PT_PASSWORD, NULL);
	h = pt_start(pt, "login", name, &cv, NULL);
	assert_int_equal(pam_authenticate(h, PAM_SILENT), PAM_AUTH_ERR);
	pt_end(h, PAM_AUTH_ERR);
	assert_int_equal(cv.nmsgs, 0);
}

static void disabled(void **state)
{
	struct pt *pt = *state;
	struct pt_user u = { .name = "dora", .password = PT_PASSWORD, .status = ROSTER_DISABLED };

	pt_add_user(pt, &u);
	refused_state(pt, "dora", "Your account is disabled.");
	assert_true(pt_log_has("authentication refused: the account is disabled; user=dora"));
}

static void invited(void **state)
{
	struct pt *pt = *state;
	struct pt_user u = { .name = "ivy", .password = PT_PASSWORD, .status = ROSTER_INVITED };

	pt_add_user(pt, &u);
	refused_state(pt, "ivy", "invitation has not been redeemed");
}

static void expired(void **state)
{
	struct pt *pt = *state;
	int64_t today = (int64_t)time(NULL) / 86400;
	struct pt_user old = { .name = "eve", .password = PT_PASSWORD, .expires = today - 1 };
	struct pt_user last = { .name = "evan", .password = PT_PASSWORD, .expires = today };
	char date[11], msg[64];

	pt_add_user(pt, &old);
	pt_add_user(pt, &last);
	roster_format_date(today - 1, date);
	snprintf(msg, sizeof(msg), "Your account expired after %s.", date);
	refused_state(pt, "eve", msg);
	/* The expiry date itself still works. */
	assert_int_equal(pt_auth(pt, "login", "evan", PT_PASSWORD), PAM_SUCCESS);
}

/* deny = 3 failures lock the account; the right password is then refused
 * and counts for nothing; roster user unlock ends it. */
static void lockout_and_unlock(void **state)
{
	struct pt *pt = *state;
	struct roster_user *u;
	struct pt_conv cv;
	pam_handle_t *h;
	char out[1024];

	assert_int_equal(pt_auth(pt, "login", "alice", "wrong 1"), PAM_AUTH_ERR);
	assert_int_equal(pt_auth(pt, "login", "alice", "wrong 2"), PAM_AUTH_ERR);
	u = pt_get(pt, "alice");
	assert_int_equal(u->locked_until, 0);
	roster_user_free(u);
	assert_int_equal(pt_auth(pt, "login", "alice", "wrong 3"), PAM_AUTH_ERR);
	assert_true(pt_log_has("account locked after 3 failed logins"));
	u = pt_get(pt, "alice");
	assert_int_equal(u->fail_count, 3);
	assert_true(u->locked_until > time(NULL) + 800 && u->locked_until <= time(NULL) + 900);
	roster_user_free(u);

	pt_conv_init(&cv, PT_PASSWORD, NULL);
	h = pt_start(pt, "login", "alice", &cv, NULL);
	assert_int_equal(pam_authenticate(h, 0), PAM_AUTH_ERR);
	pt_end(h, PAM_AUTH_ERR);
	/* The right password during the lockout: refused as silently as a
	 * wrong one (no password oracle), and counted as one, so that it
	 * costs the same write and answers no sooner. */
	assert_string_equal(cv.errors, "");
	assert_true(pt_log_has("authentication refused: the account is locked"));
	assert_int_equal(pt_fails(pt, "alice"), 4);
	assert_int_equal(pt_account(pt, "login", "alice", NULL), PAM_PERM_DENIED);

	assert_int_equal(pt_cli(pt, out, sizeof(out), "user show alice"), 0);
	assert_non_null(strstr(out, "roster user unlock alice"));
	assert_int_equal(pt_cli(pt, out, sizeof(out), "user unlock alice"), 0);
	assert_string_equal(out, "unlocked alice (4 failed logins cleared)\n");
	assert_int_equal(pt_fails(pt, "alice"), 0);
	pt_history(pt, "alice", out, sizeof(out));
	assert_non_null(strstr(out, "user.unlock by "));
	assert_non_null(strstr(out, ": failed_logins locked_until\n"));

	assert_int_equal(pt_login(pt, "login", "alice", PT_PASSWORD), PAM_SUCCESS);
	assert_int_equal(pt_cli(pt, out, sizeof(out), "user unlock alice"), 0);
	assert_string_equal(out, "alice was not locked (0 failed logins cleared)\n");
	assert_int_equal(pt_cli(pt, out, sizeof(out), "user unlock nosuch"), 1);
	assert_int_equal(pt_cli(pt, out, sizeof(out), "user unlock"), 2);
}

static void lock_alice(void *arg)
{
	pt_fail(arg, "alice", 3);
}

static void disable_alice(void *arg)
{
	char out[256];

	assert_int_equal(pt_cli(arg, out, sizeof(out), "user disable alice"), 0);
}

static void replace_alice_hash(struct roster_user *u, void *priv)
{
	struct roster_config *cfg = NULL;

	assert_int_equal(roster_config_load(((struct pt *)priv)->conf, &cfg), 0);
	roster_secret_free(u->pwhash);
	assert_non_null(u->pwhash = malloc(ROSTER_HASH_MAX));
	assert_int_equal(roster_password_hash(cfg, "another password", u->pwhash), 0);
	roster_config_free(cfg);
}

static void reset_alice(void *arg)
{
	pt_edit(arg, "alice", replace_alice_hash, arg);
}

static void expire_alice(void *arg)
{
	assert_int_equal(pt_cli(arg, NULL, 0, "user edit alice --expires 2001-02-03"), 0);
}

static void lock_and_reset_alice(void *arg)
{
	lock_alice(arg);
	reset_alice(arg);
}

static void restore_alice_hash(struct roster_user *u, void *priv)
{
	struct roster_config *cfg = NULL;

	assert_int_equal(roster_config_load(((struct pt *)priv)->conf, &cfg), 0);
	roster_secret_free(u->pwhash);
	assert_non_null(u->pwhash = malloc(ROSTER_HASH_MAX));
	assert_int_equal(roster_password_hash(cfg, PT_PASSWORD, u->pwhash), 0);
	roster_config_free(cfg);
}

/* The state read before the password was asked for (and hashed, perhaps
 * after a long wait for a slot) is stale by the verdict: locked by other
 * logins' failures, disabled, or given a new password meanwhile, the
 * account must not open.  The lock case answers as silently as a wrong
 * password and is counted like one. */
static void changed_during_login(void **state)
{
	struct pt *pt = *state;
	struct roster_user *u;
	struct pt_conv cv;

	assert_int_equal(pt_auth_while(pt, "login", "alice", PT_PASSWORD, lock_alice, &cv), PAM_AUTH_ERR);
	assert_string_equal(cv.errors, "");
	assert_true(pt_log_has("authentication refused: the account became locked during the login"));
	assert_int_equal(pt_fails(pt, "alice"), 4);
	u = pt_get(pt, "alice");
	assert_true(u->locked_until > time(NULL));
	roster_user_free(u);
	assert_int_equal(pt_cli(pt, NULL, 0, "user unlock alice"), 0);

	pt_log_clear();
	assert_int_equal(pt_auth_while(pt, "login", "alice", PT_PASSWORD, disable_alice, &cv), PAM_AUTH_ERR);
	assert_string_equal(cv.errors, "Your account is disabled.\n");
	assert_true(pt_log_has("authentication refused: the account became disabled during the login"));
	assert_int_equal(pt_cli(pt, NULL, 0, "user enable alice"), 0);

	/* Expired meanwhile: told so, with the date as it is now. */
	pt_log_clear();
	assert_int_equal(pt_auth_while(pt, "login", "alice", PT_PASSWORD, expire_alice, &cv), PAM_AUTH_ERR);
	assert_string_equal(cv.errors, "Your account expired after 2001-02-03.\n");
	assert_int_equal(pt_cli(pt, NULL, 0, "user edit alice --no-expiry"), 0);

	/* Locked and then given a new password: still a lockout, counted. */
	pt_log_clear();
	assert_int_equal(pt_auth_while(pt, "login", "alice", PT_PASSWORD, lock_and_reset_alice, &cv), PAM_AUTH_ERR);
	assert_string_equal(cv.errors, "");
	assert_int_equal(pt_fails(pt, "alice"), 4);
	assert_int_equal(pt_cli(pt, NULL, 0, "user unlock alice"), 0);
	pt_edit(pt, "alice", restore_alice_hash, pt);

	pt_log_clear();
	assert_int_equal(pt_auth_while(pt, "login", "alice", PT_PASSWORD, reset_alice, &cv), PAM_AUTH_ERR);
	assert_true(pt_log_has("authentication refused: the password was changed during the login"));
	assert_int_equal(pt_auth(pt, "login", "alice", PT_PASSWORD), PAM_AUTH_ERR);
	assert_int_equal(pt_auth(pt, "login", "alice", "another password"), PAM_SUCCESS);
}

/* unlock_time passes: the account opens by itself.  The lockout must
 * outlast the login that finds it: under valgrind a login takes 1.2-1.5 s,
 * and a 1 s lockout had sometimes ended before the third login checked it. */
static void lockout_expires(void **state)
{
	struct pt *pt = *state;

	pt_write_conf(pt, "[lockout]\ndeny = 2\nfail_interval = 15m\nunlock_time = 4\n");
	assert_int_equal(pt_auth(pt, "login", "alice", "wrong 1"), PAM_AUTH_ERR);
	assert_int_equal(pt_auth(pt, "login", "alice", "wrong 2"), PAM_AUTH_ERR);
	assert_int_equal(pt_auth(pt, "login", "alice", PT_PASSWORD), PAM_AUTH_ERR);
	sleep(5);
	assert_int_equal(pt_auth(pt, "login", "alice", PT_PASSWORD), PAM_SUCCESS);
	assert_int_equal(pt_fails(pt, "alice"), 0);
}

/* A success clears the count: deny failures must then come anew. */
static void success_clears(void **state)
{
	struct pt *pt = *state;
	struct roster_user *u;

	assert_int_equal(pt_auth(pt, "login", "alice", "wrong 1"), PAM_AUTH_ERR);
	assert_int_equal(pt_auth(pt, "login", "alice", "wrong 2"), PAM_AUTH_ERR);
	assert_int_equal(pt_fails(pt, "alice"), 2);
	assert_int_equal(pt_auth(pt, "login", "alice", PT_PASSWORD), PAM_SUCCESS);
	assert_int_equal(pt_fails(pt, "alice"), 0);
	assert_int_equal(pt_auth(pt, "login", "alice", "wrong 3"), PAM_AUTH_ERR);
	assert_int_equal(pt_auth(pt, "login", "alice", "wrong 4"), PAM_AUTH_ERR);
	u = pt_get(pt, "alice");
	assert_int_equal(u->fail_count, 2);
	assert_int_equal(u->locked_until, 0);
	roster_user_free(u);
	assert_int_equal(pt_auth(pt, "login", "alice", PT_PASSWORD), PAM_SUCCESS);
}

static bool has_prefix(struct pt *pt, const char *name, const char *p)
{
	struct roster_user *u = pt_get(pt, name);
	bool yes = u->pwhash && strncmp(u->pwhash, p, strlen(p)) == 0;

	roster_user_free(u);
	return yes;
}

/* A hash below the configured cost is upgraded by a successful login,
 * with a history event; one above it is left alone. */
static void rehash(void **state)
{
	struct pt *pt = *state;
	struct roster_user *u;
	char hist[2048];

	pt_write_conf(pt, LOCKOUT "[passwords]\ncost = interactive\n");
	assert_true(has_prefix(pt, "alice", "$argon2id$v=19$m=8,t=1,p=1$"));
	assert_int_equal(pt_auth(pt, "login", "alice", "wrong"), PAM_AUTH_ERR);
	assert_true(has_prefix(pt, "alice", "$argon2id$v=19$m=8,t=1,p=1$"));
	assert_int_equal(pt_auth(pt, "login", "alice", PT_PASSWORD), PAM_SUCCESS);
	u = pt_get(pt, "alice");
	assert_non_null(strstr(u->pwhash, "$argon2id$v=19$m=65536,t=2,p=1$"));
	assert_int_equal(u->fail_count, 0); /* the same transaction cleared it */
	roster_user_free(u);
	assert_true(pt_log_has("password rehashed at the configured cost; user=alice"));
	pt_history(pt, "alice", hist, sizeof(hist));
	assert_non_null(strstr(hist, "password.rehash by alice: password(secret)\n"));
	/* It works with the new hash, and is not rehashed again. */
	pt_log_clear();
	assert_int_equal(pt_auth(pt, "login", "alice", PT_PASSWORD), PAM_SUCCESS);
	assert_false(pt_log_has("rehashed"));
	/* Lower the cost: no downgrade. */
	pt_write_conf(pt, LOCKOUT);
	assert_int_equal(pt_auth(pt, "login", "alice", PT_PASSWORD), PAM_SUCCESS);
	assert_true(has_prefix(pt, "alice", "$argon2id$v=19$m=65536,t=2,p=1$"));
}

/* Users adopted from /etc/shadow keep their crypt(3) hash until their
 * first login, which verifies it through libcrypt and replaces it with
 * argon2id; history names the change of scheme, never the hash. */
static void adopted_crypt_hash(void **state)
{
	static const char *const settings[] = { "$y$j9T$F5Jx5fExrKuPp53xLKQ..1", "$6$rounds=5000$saltsaltsalt" };
	static const char *const schemes[] = { "yescrypt", "sha512crypt" };
	struct pt *pt = *state;

	for (int i = 0; i < 2; i++) {
		char name[16], hist[4096], expect[128];
		const char *h = crypt(PT_PASSWORD, settings[i]);
		char *stored = h ? strdup(h) : NULL;
		struct pt_user u = { .name = name, .hash = stored };
		struct roster_user *got;

		assert_non_null(stored);
		assert_int_not_equal(stored[0], '*');
		snprintf(name, sizeof(name), "adopted%d", i);
		pt_add_user(pt, &u);
		assert_int_equal(pt_auth(pt, "login", name, "wrong password"), PAM_AUTH_ERR);
		got = pt_get(pt, name);
		assert_string_equal(got->pwhash, stored); /* a failure changes nothing */
		assert_int_equal(got->fail_count, 1);
		roster_user_free(got);
		assert_int_equal(pt_auth(pt, "login", name, PT_PASSWORD), PAM_SUCCESS);
		got = pt_get(pt, name);
		assert_non_null(strstr(got->pwhash, "$argon2id$"));
		assert_int_equal(got->fail_count, 0);
		roster_user_free(got);
		pt_history(pt, name, hist, sizeof(hist));
		snprintf(expect, sizeof(expect), "password.rehash by %s: password(secret) password_scheme\n", name);
		assert_non_null(strstr(hist, expect));
		assert_null(strstr(hist, stored)); /* the old hash is in no event */
		/* The new hash works; the old one is gone for good. */
		assert_int_equal(pt_auth(pt, "login", name, PT_PASSWORD), PAM_SUCCESS);
		assert_int_equal(pt_auth(pt, "login", name, "wrong password"), PAM_AUTH_ERR);
		(void)schemes;
		free(stored);
	}
}

/* A stored crypt(3) hash of a weak scheme (md5crypt, DES) never verifies,
 * even with the right password: roster does not adopt them. */
static void weak_crypt_refused(void **state)
{
	struct pt *pt = *state;
	const char *h = crypt(PT_PASSWORD, "$1$saltsalt");
	char *stored = h ? strdup(h) : NULL;
	struct pt_user u = { .name = "weak", .hash = stored };

	assert_non_null(stored);
	pt_add_user(pt, &u);
	assert_int_not_equal(pt_auth(pt, "login", "weak", PT_PASSWORD), PAM_SUCCESS);
	free(stored);
}

/* 513 bytes: refused at once - no hash, no write - at a cost where a
 * verification takes tens of milliseconds.  512 bytes is a password. */
static void password_too_long(void **state)
{
	struct pt *pt = *state;
	char pw[600];
	double t, slow;
	struct pt_user u = { .name = "long", .password = NULL };

	memset(pw, 'x', sizeof(pw));
	pw[512] = '\0';
	u.password = pw;
	pt_write_conf(pt, LOCKOUT "[passwords]\ncost = interactive\n");
	pt_add_user(pt, &u);
	t = pt_now();
	assert_int_equal(pt_auth(pt, "login", "long", "a wrong one"), PAM_AUTH_ERR);
	slow = pt_now() - t;
	pw[512] = 'x';
	pw[513] = '\0';
	pt_log_clear();
	t = pt_now();
	assert_int_equal(pt_auth(pt, "login", "long", pw), PAM_AUTH_ERR);
	t = pt_now() - t;
	print_message("# a wrong password: %.1f ms; 513 bytes: %.2f ms\n", slow * 1e3, t * 1e3);
	assert_true(t < slow / 10);
	assert_int_equal(pt_fails(pt, "long"), 1); /* only the wrong one counted */
	assert_int_equal(pt_auth(pt, "login", "mallory", pw), PAM_AUTH_ERR);
	assert_int_equal(pt_unknown_failures(pt), 0);
	assert_true(pt_log_has("the password is longer than 512 bytes; refused without hashing; user=long"));
	pw[512] = '\0';
	pt_write_conf(pt, LOCKOUT);
	assert_int_equal(pt_auth(pt, "login", "long", pw), PAM_SUCCESS);
}

/* A planted hash with a huge memory cost is refused before it is verified
 * (verifying it would allocate 4 GiB). */
static void hash_checked_first(void **state)
{
	struct pt *pt = *state;
	struct pt_user u = {
		.name = "planted",
		.hash = "$argon2id$v=19$m=4194304,t=3,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
			"MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI",
	};
	struct pt_user v = { .name = "bcrypt", .hash = "$2b$12$abcdefghijklmnopqrstuu5s2vk3nQVCyXTrA1GOC2dAELqVUmmi" };
	double t = pt_now();

	pt_add_user(pt, &u);
	pt_add_user(pt, &v);
	t = pt_now();
	assert_int_equal(pt_auth(pt, "login", "planted", "anything"), PAM_AUTH_ERR);
	assert_true(pt_now() - t < 0.5);
	assert_true(pt_log_has("the stored hash is malformed or outside the cost bounds"));
	assert_int_equal(pt_auth(pt, "login", "bcrypt", "anything"), PAM_AUTH_ERR);
	assert_int_equal(pt_fails(pt, "planted"), 0);
}

/* accounts.tdb is root's: a caller that is not root fails cleanly, with no
 * prompt and PAM_AUTHINFO_UNAVAIL. */
static void not_root(void **state)
{
	struct pt *pt = *state;
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct pt_conv cv;
		pam_handle_t *h;
		int r;

		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(100);
		pt_conv_init(&cv, PT_PASSWORD, NULL);
		h = pt_start(pt, "login", "alice", &cv, NULL);
		r = pam_authenticate(h, 0);
		if (r == PAM_AUTHINFO_UNAVAIL && cv.prompts[0])
			r = 101; /* asked for a password it could never check */
		if (r == PAM_AUTHINFO_UNAVAIL && !pt_log_has("cannot open the accounts database"))
			r = 102;
		pt_end(h, r);
		pt_conv_init(&cv, NULL);
		h = pt_start(pt, "login", "alice", &cv, NULL);
		if (r == PAM_AUTHINFO_UNAVAIL)
			r = pam_acct_mgmt(h, 0);
		pt_end(h, r);
		_exit(r);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(pt_fails(pt, "alice"), 0);
}

/* The api argument belongs to a later issue: every call refuses. */
/* An "api" service: the login password is never enough there, and its
 * password cannot be changed through PAM (test_pam_api has the rest). */
static void api_refuses(void **state)
{
	struct pt *pt = *state;
	struct pt_conv cv;
	pam_handle_t *h;

	pt_service(pt, "api", "api");
	pt_conv_init(&cv, PT_PASSWORD, PT_PASSWORD, PT_PASSWORD, NULL);
	h = pt_start(pt, "api", "alice", &cv, NULL);
	assert_int_equal(pam_authenticate(h, 0), PAM_AUTH_ERR);
	assert_int_equal(pam_chauthtok(h, 0), PAM_PERM_DENIED);
	pt_end(h, PAM_AUTH_ERR);
	assert_true(pt_log_has("authentication failure: API access is disabled for the user"));
	assert_true(pt_log_has("password change refused: API passwords are set with roster api reset"));
}

/* A misspelt argument closes the service instead of loosening it. */
static void bad_arguments(void **state)
{
	struct pt *pt = *state;

	pt_service(pt, "typo", "require_roles=ops");
	assert_int_equal(pt_auth(pt, "typo", "alice", PT_PASSWORD), PAM_SERVICE_ERR);
	assert_true(pt_log_has("unknown option 'require_roles=ops'"));
	pt_service(pt, "badrole", "require_role=Ops!");
	assert_int_equal(pt_account(pt, "badrole", "alice", NULL), PAM_SERVICE_ERR);
	pt_service(pt, "norole", "require_role=");
	assert_int_equal(pt_account(pt, "norole", "alice", NULL), PAM_SERVICE_ERR);
	pt_service(pt, "relconf", "config=roster.conf");
	assert_int_equal(pt_auth(pt, "relconf", "alice", PT_PASSWORD), PAM_SERVICE_ERR);
	/* debug is an argument: it adds detail, never a password. */
	pt_service(pt, "dbg", "debug");
	pt_log_clear();
	assert_int_equal(pt_auth(pt, "dbg", "alice", PT_PASSWORD), PAM_SUCCESS);
	assert_true(pt_log_has("account state ok; user=alice service=dbg"));
	assert_log_clean(PT_PASSWORD);
}

/* config= points the module at another file. */
static void config_argument(void **state)
{
	struct pt *pt = *state;
	char text[1024], path[PATH_MAX];
	FILE *f;

	snprintf(text, sizeof(text), "auth required @SO@ config=%s/missing.conf\n", pt->dir);
	pt_service_text(pt, "elsewhere", text);
	assert_int_equal(pt_auth(pt, "elsewhere", "alice", PT_PASSWORD), PAM_AUTHINFO_UNAVAIL);
	assert_true(pt_log_has("cannot load the configuration"));
	/* A configuration whose database does not exist yet. */
	snprintf(text, sizeof(text), "[database]\ndir = %s/nodb\n", pt->dir);
	snprintf(path, sizeof(path), "%s/other.conf", pt->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	snprintf(text, sizeof(text), "auth required @SO@ config=%s\naccount required @SO@ config=%s\n", path, path);
	pt_service_text(pt, "nodb", text);
	assert_int_equal(pt_auth(pt, "nodb", "alice", PT_PASSWORD), PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(pt_account(pt, "nodb", "alice", NULL), PAM_AUTHINFO_UNAVAIL);
	assert_true(pt_log_has("no roster database in"));
}

/* use_first_pass with no earlier password refuses without asking;
 * try_first_pass uses the one an earlier module obtained. */
static void first_pass(void **state)
{
	struct pt *pt = *state;
	struct pt_conv cv;
	pam_handle_t *h;

	pt_service(pt, "ufp", "use_first_pass");
	pt_conv_init(&cv, PT_PASSWORD, NULL);
	h = pt_start(pt, "ufp", "alice", &cv, NULL);
	assert_int_equal(pam_authenticate(h, 0), PAM_AUTH_ERR);
	pt_end(h, PAM_AUTH_ERR);
	assert_string_equal(cv.prompts, "");

	/* An earlier module asked; roster does not ask again. */
	pt_service_text(pt, "tfp", "auth optional @SETTOK@\n"
				   "auth required @SO@ config=@CONF@ try_first_pass\n");
	pt_conv_init(&cv, PT_PASSWORD, NULL);
	h = pt_start(pt, "tfp", "alice", &cv, NULL);
	assert_int_equal(pam_authenticate(h, 0), PAM_SUCCESS);
	pt_end(h, PAM_SUCCESS);
	assert_string_equal(cv.prompts, "Password: \n");
	pt_conv_init(&cv, "wrong", PT_PASSWORD, NULL);
	h = pt_start(pt, "tfp", "alice", &cv, NULL);
	assert_int_equal(pam_authenticate(h, 0), PAM_AUTH_ERR);
	pt_end(h, PAM_AUTH_ERR);
	assert_string_equal(cv.prompts, "Password: \n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(success, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_password, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_user, setup, teardown),
		cmocka_unit_test_setup_teardown(invalid_name_not_logged, setup, teardown),
		cmocka_unit_test_setup_teardown(no_password, setup, teardown),
		cmocka_unit_test_setup_teardown(disabled, setup, teardown),
		cmocka_unit_test_setup_teardown(invited, setup, teardown),
		cmocka_unit_test_setup_teardown(expired, setup, teardown),
		cmocka_unit_test_setup_teardown(lockout_and_unlock, setup, teardown),
		cmocka_unit_test_setup_teardown(lockout_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(changed_during_login, setup, teardown),
		cmocka_unit_test_setup_teardown(success_clears, setup, teardown),
		cmocka_unit_test_setup_teardown(rehash, setup, teardown),
		cmocka_unit_test_setup_teardown(adopted_crypt_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(weak_crypt_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(password_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(hash_checked_first, setup, teardown),
		cmocka_unit_test_setup_teardown(not_root, setup, teardown),
		cmocka_unit_test_setup_teardown(api_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(config_argument, setup, teardown),
		cmocka_unit_test_setup_teardown(first_pass, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
