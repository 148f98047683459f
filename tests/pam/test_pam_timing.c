/* test_pam_timing.c - an unknown user, a user without a password, a wrong
 * password, a wrong password against a sha512crypt hash adopted from
 * /etc/shadow (checked in 3 ms, then padded with the dummy) and the RIGHT
 * password of a locked account with such a hash take the same time and
 * give the same PAM error.
 *
 * At the interactive argon2id cost (the default: 64 MiB, about 70 ms here)
 * each case is tried 20 times, interleaved so that drift in the machine's
 * speed hits all three alike, and pam_authenticate alone is timed.  The
 * medians must agree within 10 % of the wrong-password median (the hash is
 * the cost; a module that skipped it for unknown users would answer them
 * in about 1 ms).  A round that misses is measured again, up to three
 * rounds: load from elsewhere skews a round, a leak skews them all.  The
 * figures are printed for the record. */
#include "harness.h"

#define TRIES 20

/* openssl passwd -6 -salt rosterlegacy 'legacy password' */
#define LEGACY_PASSWORD "legacy password"
#define LEGACY_HASH                                                                                       \
	"$6$rosterlegacy$uklA0yrY0/d9O4uR9cXF7G2nuuHJRZf6UMppDAjNHruZ/I8gUycFFZFAyEdQFfiBVOHDAcktenngzx9ezLnY2."

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double timed_auth(struct pt *pt, const char *user, const char *password, int *code)
{
	struct pt_conv cv;
	pam_handle_t *h;
	double t;

	pt_conv_init(&cv, password, NULL);
	h = pt_start(pt, "login", user, &cv, NULL);
	t = pt_now();
	*code = pam_authenticate(h, 0);
	t = pt_now() - t;
	pt_end(h, *code);
	/* The same conversation too: one prompt, no message. */
	assert_string_equal(cv.prompts, "Password: \n");
	assert_int_equal(cv.nmsgs, 0);
	return t;
}

/* One round: TRIES of each, interleaved; true when the medians agree. */
static bool round_agrees(struct pt *pt)
{
	double wrong[TRIES], unknown[TRIES], none[TRIES], legacy[TRIES], locked[TRIES], mw, mu, mn, ml, mk;
	int code;

	for (int i = 0; i < TRIES; i++) {
		wrong[i] = timed_auth(pt, "alice", "not the password", &code);
		assert_int_equal(code, PAM_AUTH_ERR);
		unknown[i] = timed_auth(pt, "mallory", "not the password", &code);
		assert_int_equal(code, PAM_AUTH_ERR);
		none[i] = timed_auth(pt, "nopw", "not the password", &code);
		assert_int_equal(code, PAM_AUTH_ERR);
		legacy[i] = timed_auth(pt, "legacy", "not the password", &code);
		assert_int_equal(code, PAM_AUTH_ERR);
		locked[i] = timed_auth(pt, "locked", LEGACY_PASSWORD, &code);
		assert_int_equal(code, PAM_AUTH_ERR);
	}
	mw = median(wrong, TRIES);
	mu = median(unknown, TRIES);
	mn = median(none, TRIES);
	ml = median(legacy, TRIES);
	mk = median(locked, TRIES);
	print_message("# median of %d: wrong password %.2f ms (%.2f-%.2f), unknown user %.2f ms (%.2f-%.2f), "
		      "no password %.2f ms (%.2f-%.2f); unknown - wrong = %+.2f ms (%+.1f %%)\n",
		      TRIES, mw * 1e3, wrong[0] * 1e3, wrong[TRIES - 1] * 1e3, mu * 1e3, unknown[0] * 1e3,
		      unknown[TRIES - 1] * 1e3, mn * 1e3, none[0] * 1e3, none[TRIES - 1] * 1e3,
		      (mu - mw) * 1e3, (mu - mw) / mw * 100);
	print_message("# median of %d: wrong password against sha512crypt %.2f ms (%.2f-%.2f), the right one "
		      "while locked %.2f ms (%.2f-%.2f)\n",
		      TRIES, ml * 1e3, legacy[0] * 1e3, legacy[TRIES - 1] * 1e3, mk * 1e3, locked[0] * 1e3,
		      locked[TRIES - 1] * 1e3);
	/* The hash dominates: a wrong password costs a full verification. */
	assert_true(mw > 0.010);
	return mu > mw * 0.9 && mu < mw * 1.1 && mn > mw * 0.9 && mn < mw * 1.1 && ml > mw * 0.9 &&
	       ml < mw * 1.1 && mk > mw * 0.9 && mk < mw * 1.1;
}

static void same_time_same_error(void **state)
{
	struct pt *pt = pt_new("[passwords]\ncost = interactive\n");
	struct pt_user nopw = { .name = "nopw" };
	struct pt_user legacy = { .name = "legacy", .hash = LEGACY_HASH };
	struct pt_user locked = { .name = "locked", .hash = LEGACY_HASH };
	bool agree = false;
	int code;

	*state = pt;
	pt_service(pt, "login", NULL);
	pt_add(pt, "alice");
	pt_add_user(pt, &nopw);
	pt_add_user(pt, &legacy);
	pt_add_user(pt, &locked);
	pt_fail(pt, "locked", 10); /* [lockout] deny, default 5 */
	assert_int_equal(pt_account(pt, "login", "locked", NULL), PAM_PERM_DENIED);
	/* warm-up: the first use maps libsodium's and the module's pages */
	timed_auth(pt, "alice", "warm up", &code);
	timed_auth(pt, "mallory", "warm up", &code);
	/* A busy machine (a parallel build) can skew one round; a module
	 * that leaks fails every round. */
	for (int round = 0; round < 3 && !agree; round++)
		agree = round_agrees(pt);
	assert_true(agree);
}

static int teardown(void **state)
{
	pt_free(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(same_time_same_error, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
