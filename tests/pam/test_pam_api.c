/* test_pam_api.c - API passwords through pam_roster: a service whose line
 * says "api" takes only API passwords, the login service never does; the
 * switch, the label's services and its expiry apply; a use is recorded. */
#include "harness.h"

#include <time.h>

static int setup(void **state)
{
	struct pt *pt = pt_new(NULL);

	pt_service(pt, "login", "");
	pt_service(pt, "webapi", "api");
	pt_service(pt, "ftpapi", "api");
	pt_add(pt, "alice");
	*state = pt;
	return 0;
}

static int teardown(void **state)
{
	pt_free(*state);
	return 0;
}

/* roster api reset USER ARGS --json; the generated password in pw. */
static void reset(struct pt *pt, const char *args, char pw[64])
{
	char out[1024], *p, *q;

	assert_int_equal(pt_cli(pt, out, sizeof(out), "api reset alice %s --json", args), 0);
	p = strstr(out, "\"api_password\": \"");
	assert_non_null(p);
	p += 17;
	q = strchr(p, '"');
	assert_non_null(q);
	snprintf(pw, 64, "%.*s", (int)(q - p), p);
}

static void cross_use(void **state)
{
	struct pt *pt = *state;
	char pw[64];

	reset(pt, "", pw);
	/* the switch is off at first */
	assert_int_equal(pt_auth(pt, "webapi", "alice", pw), PAM_AUTH_ERR);
	assert_true(pt_log_has("API access is disabled"));
	assert_int_equal(pt_cli(pt, NULL, 0, "api enable alice"), 0);
	assert_int_equal(pt_login(pt, "webapi", "alice", pw), PAM_SUCCESS);
	/* the login service never takes an API password ... */
	assert_int_equal(pt_auth(pt, "login", "alice", pw), PAM_AUTH_ERR);
	/* ... and the api service never takes the login password */
	assert_int_equal(pt_auth(pt, "webapi", "alice", PT_PASSWORD), PAM_AUTH_ERR);
	assert_int_equal(pt_login(pt, "login", "alice", PT_PASSWORD), PAM_SUCCESS);
	/* the switch off again: refused */
	assert_int_equal(pt_cli(pt, NULL, 0, "api disable alice"), 0);
	assert_int_equal(pt_auth(pt, "webapi", "alice", pw), PAM_AUTH_ERR);
}

static void services_and_expiry(void **state)
{
	struct pt *pt = *state;
	char pw[64], old[64], out[4096];
	char yesterday[16];
	time_t t = time(NULL) - 86400;
	struct tm tm;

	assert_int_equal(pt_cli(pt, NULL, 0, "api enable alice"), 0);
	reset(pt, "--label ci --services webapi", pw);
	assert_int_equal(pt_auth(pt, "webapi", "alice", pw), PAM_SUCCESS);
	assert_int_equal(pt_auth(pt, "ftpapi", "alice", pw), PAM_AUTH_ERR);
	assert_true(pt_log_has("does not cover this service"));

	/* the use was recorded, and list shows no secret */
	assert_int_equal(pt_cli(pt, out, sizeof(out), "api list alice --json"), 0);
	assert_non_null(strstr(out, "\"last_service\": \"webapi\""));
	assert_null(strstr(out, pw));
	assert_null(strstr(out, "argon2"));

	/* a reset replaces: the old password of that label stops working */
	snprintf(old, sizeof(old), "%s", pw);
	reset(pt, "--label ci --services webapi,ftpapi", pw);
	assert_int_equal(pt_auth(pt, "webapi", "alice", old), PAM_AUTH_ERR);
	assert_int_equal(pt_auth(pt, "ftpapi", "alice", pw), PAM_SUCCESS);

	/* expired yesterday: refused */
	gmtime_r(&t, &tm);
	strftime(yesterday, sizeof(yesterday), "%Y-%m-%d", &tm);
	snprintf(out, sizeof(out), "--label old --expires %s", yesterday);
	reset(pt, out, pw);
	assert_int_equal(pt_auth(pt, "webapi", "alice", pw), PAM_AUTH_ERR);
	assert_true(pt_log_has("has expired"));

	/* removed: refused */
	reset(pt, "--label gone", pw);
	assert_int_equal(pt_auth(pt, "webapi", "alice", pw), PAM_SUCCESS);
	assert_int_equal(pt_cli(pt, NULL, 0, "api remove alice gone"), 0);
	assert_int_equal(pt_auth(pt, "webapi", "alice", pw), PAM_AUTH_ERR);

	/* history names the secret, never its value */
	assert_int_equal(pt_cli(pt, out, sizeof(out), "user history alice --json"), 0);
	assert_non_null(strstr(out, "api_password:ci"));
	assert_null(strstr(out, pw));
	assert_null(strstr(out, old));
}

/* Failures through the api service count towards the same lockout. */
static void counted(void **state)
{
	struct pt *pt = *state;
	char pw[64];

	assert_int_equal(pt_cli(pt, NULL, 0, "api enable alice"), 0);
	reset(pt, "", pw);
	pt_log_clear();
	assert_int_equal(pt_auth(pt, "webapi", "alice", "not the api password"), PAM_AUTH_ERR);
	assert_int_equal(pt_fails(pt, "alice"), 1);
	assert_true(pt_log_has("wrong API password (no API password of that label)"));
	assert_false(pt_log_has("not the api password"));
	/* the label right, the secret wrong */
	pt_log_clear();
	assert_int_equal(pt_auth(pt, "webapi", "alice", "default.not the secret"), PAM_AUTH_ERR);
	assert_int_equal(pt_fails(pt, "alice"), 2);
	assert_true(pt_log_has("wrong API password"));
	assert_false(pt_log_has("of that label"));
	assert_int_equal(pt_auth(pt, "webapi", "alice", pw), PAM_SUCCESS);
	assert_int_equal(pt_fails(pt, "alice"), 0);
}

static void api_off(void *arg)
{
	assert_int_equal(pt_cli(arg, NULL, 0, "api disable alice"), 0);
}

/* The stored hash of alice's API password, from db export. */
static void api_hash(struct pt *pt, char *out, size_t n)
{
	char text[16384], *p, *q;

	assert_int_equal(pt_cli(pt, text, sizeof(text), "db export"), 0);
	p = strstr(text, "{\"type\":\"api\"");
	assert_non_null(p);
	p = strstr(p, "\"password_hash\":\"");
	assert_non_null(p);
	p += 17;
	q = strchr(p, '"');
	assert_non_null(q);
	snprintf(out, n, "%.*s", (int)(q - p), p);
}

/* An API password's hash below the configured cost is upgraded by a use
 * that stands, with a history event naming the secret only; a wrong one
 * upgrades nothing. */
static void rehashed(void **state)
{
	struct pt *pt = *state;
	struct pt_conv cv;
	char pw[64], hash[256], hist[4096];

	assert_int_equal(pt_cli(pt, NULL, 0, "api enable alice"), 0);
	reset(pt, "--label ci --services webapi", pw);
	pt_write_conf(pt, "[passwords]\ncost = interactive\n");
	api_hash(pt, hash, sizeof(hash));
	assert_non_null(strstr(hash, "$argon2id$v=19$m=8,t=1,p=1$"));
	assert_int_equal(pt_auth(pt, "webapi", "alice", "ci.not the secret"), PAM_AUTH_ERR);
	assert_int_equal(pt_auth(pt, "ftpapi", "alice", pw), PAM_AUTH_ERR); /* not its service */
	api_hash(pt, hash, sizeof(hash));
	assert_non_null(strstr(hash, "$argon2id$v=19$m=8,t=1,p=1$"));
	/* refused after the verification (the switch turned off): no rehash */
	assert_int_equal(pt_auth_while(pt, "webapi", "alice", pw, api_off, &cv), PAM_AUTH_ERR);
	api_hash(pt, hash, sizeof(hash));
	assert_non_null(strstr(hash, "$argon2id$v=19$m=8,t=1,p=1$"));
	assert_int_equal(pt_cli(pt, NULL, 0, "api enable alice"), 0);
	pt_log_clear();
	assert_int_equal(pt_auth(pt, "webapi", "alice", pw), PAM_SUCCESS);
	assert_true(pt_log_has("API password ci rehashed at the configured cost"));
	api_hash(pt, hash, sizeof(hash));
	assert_non_null(strstr(hash, "$argon2id$v=19$m=65536,t=2,p=1$"));
	pt_history(pt, "alice", hist, sizeof(hist));
	assert_non_null(strstr(hist, "api.rehash by alice: api_password:ci(secret)\n"));
	assert_null(strstr(hist, pw));
	assert_null(strstr(hist, "$argon2id"));
	/* It works with the new hash, and is not rehashed again. */
	pt_log_clear();
	assert_int_equal(pt_auth(pt, "webapi", "alice", pw), PAM_SUCCESS);
	assert_false(pt_log_has("rehashed"));
}

/* Two uses of one cheap API password at once: the other one rehashes it
 * while this one verifies the old hash.  Not a replaced password: this
 * use stands too (it verifies the new hash); a reset still does not. */
static char concurrent_pw[64];

static void api_rehashed_elsewhere(void *arg)
{
	pt_api_rehash(arg, "alice", "ci", concurrent_pw);
}

static void rehashed_by_another_use(void **state)
{
	struct pt *pt = *state;
	struct pt_conv cv;
	char hash[256];

	assert_int_equal(pt_cli(pt, NULL, 0, "api enable alice"), 0);
	reset(pt, "--label ci", concurrent_pw);
	pt_write_conf(pt, "[passwords]\ncost = interactive\n");
	pt_log_clear();
	assert_int_equal(pt_auth_while(pt, "webapi", "alice", concurrent_pw, api_rehashed_elsewhere, &cv),
			 PAM_SUCCESS);
	assert_true(pt_log_has("API password ci changed during the login, and the password given is still it"));
	assert_false(pt_log_has("could not be rehashed"));
	api_hash(pt, hash, sizeof(hash));
	assert_non_null(strstr(hash, "$argon2id$v=19$m=65536,t=2,p=1$"));
	assert_int_equal(pt_fails(pt, "alice"), 0);
}

static void api_replaced(void *arg)
{
	char out[1024];

	assert_int_equal(pt_cli(arg, out, sizeof(out), "api reset alice --json"), 0);
}

static void api_locked(void *arg)
{
	pt_fail(arg, "alice", 3);
}

/* The API password verified, then turned off, replaced, or its account
 * locked before the verdict: refused.  A right API password during a
 * lockout is counted like a wrong one. */
static void changed_during_login(void **state)
{
	struct pt *pt = *state;
	struct pt_conv cv;
	char pw[64];

	pt_write_conf(pt, "[lockout]\ndeny = 3\nfail_interval = 15m\nunlock_time = 15m\n");
	assert_int_equal(pt_cli(pt, NULL, 0, "api enable alice"), 0);
	reset(pt, "", pw);
	assert_int_equal(pt_auth_while(pt, "webapi", "alice", pw, api_off, &cv), PAM_AUTH_ERR);
	assert_true(pt_log_has("API access was turned off during the login"));
	assert_int_equal(pt_cli(pt, NULL, 0, "api enable alice"), 0);

	assert_int_equal(pt_auth_while(pt, "webapi", "alice", pw, api_replaced, &cv), PAM_AUTH_ERR);
	assert_true(pt_log_has("the API password was changed during the login"));

	reset(pt, "", pw);
	assert_int_equal(pt_auth_while(pt, "webapi", "alice", pw, api_locked, &cv), PAM_AUTH_ERR);
	assert_true(pt_log_has("the account became locked during the login"));
	assert_int_equal(pt_fails(pt, "alice"), 4);
	/* Locked from the start: the right API password is counted too. */
	assert_int_equal(pt_auth(pt, "webapi", "alice", pw), PAM_AUTH_ERR);
	assert_int_equal(pt_fails(pt, "alice"), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(cross_use, setup, teardown),
		cmocka_unit_test_setup_teardown(services_and_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(counted, setup, teardown),
		cmocka_unit_test_setup_teardown(changed_during_login, setup, teardown),
		cmocka_unit_test_setup_teardown(rehashed, setup, teardown),
		cmocka_unit_test_setup_teardown(rehashed_by_another_use, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
