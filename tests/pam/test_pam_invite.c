/* test_pam_invite.c - redeeming an invitation through pam_roster: the code
 * as the password, NEW_AUTHTOK_REQD, the code again as the current password,
 * a password of one's own; and every way a code must stop working. */
#include "harness.h"

#include <time.h>

#define NEWPW "my very own secret 77"

/* Invites name (role staff) with a fresh code, which is copied to code. */
static void invite(struct pt *pt, const char *name, unsigned lifetime, char code[ROSTER_INVITE_CODE_MAX])
{
	struct roster_config *cfg = NULL;
	struct roster_db *db = NULL;
	struct roster_invite in = { .role = "staff", .username = name, .lifetime = lifetime };
	char email[64], hash[ROSTER_HASH_MAX];

	snprintf(email, sizeof(email), "%s@example.org", name);
	in.email = email;
	assert_int_equal(roster_config_load(pt->conf, &cfg), 0);
	assert_int_equal(roster_invite_code_new(cfg, code, hash), 0);
	assert_int_equal(roster_db_open(cfg, 0, &db), 0);
	assert_int_equal(roster_txn_begin(db, "admin"), 0);
	if (roster_invite_create(db, &in, hash, NULL) < 0)
		fail_msg("invite %s: %s", name, roster_db_error(db));
	assert_int_equal(roster_txn_commit(db), 0);
	roster_db_close(db);
	roster_config_free(cfg);
}

static int setup(void **state)
{
	struct pt *pt = pt_new("[lockout]\ndeny = 3\n");

	pt_service(pt, "login", "");
	pt_add_role(pt, "staff", NULL);
	*state = pt;
	return 0;
}

static int teardown(void **state)
{
	pt_free(*state);
	return 0;
}

/* The flow, end to end. */
static void redeem(void **state)
{
	struct pt *pt = *state;
	char code[ROSTER_INVITE_CODE_MAX], hist[2048];
	struct roster_user *u;
	struct pt_conv cv;
	pam_handle_t *h;

	invite(pt, "ivy", 0, code);
	pt_conv_init(&cv, code, code, NEWPW, NEWPW, NULL);
	h = pt_start(pt, "login", "ivy", &cv, NULL);
	assert_int_equal(pam_authenticate(h, 0), PAM_SUCCESS);
	assert_int_equal(pam_acct_mgmt(h, 0), PAM_NEW_AUTHTOK_REQD);
	assert_int_equal(pam_chauthtok(h, PAM_CHANGE_EXPIRED_AUTHTOK), PAM_SUCCESS);
	pt_end(h, PAM_SUCCESS);
	assert_string_equal(cv.prompts, "Password: \nInvitation code: \nNew password: \nRetype new password: \n");
	assert_non_null(strstr(cv.infos, "Choose your own password"));

	u = pt_get(pt, "ivy");
	assert_int_equal(u->status, ROSTER_ACTIVE);
	assert_null(u->invite_hash);  /* the code is burned */
	assert_non_null(u->pwhash);
	assert_true(u->roles && strcmp(u->roles[0], "staff") == 0);
	roster_user_free(u);
	pt_history(pt, "ivy", hist, sizeof(hist));
	assert_non_null(strstr(hist, "invite.accept by ivy:"));

	/* From now on: the new password, and never the code again. */
	assert_int_equal(pt_login(pt, "login", "ivy", NEWPW), PAM_SUCCESS);
	assert_int_equal(pt_login(pt, "login", "ivy", code), PAM_AUTH_ERR);
	if (strstr(pt_log(), code) || strstr(pt_log(), NEWPW))
		fail_msg("a secret reached syslog:\n%s", pt_log());
}

/* People type codes in lower case and without the dashes. */
static void code_as_typed(void **state)
{
	struct pt *pt = *state;
	char code[ROSTER_INVITE_CODE_MAX], typed[ROSTER_INVITE_CODE_MAX];
	size_t o = 0;

	invite(pt, "lower", 0, code);
	for (const char *p = code; *p; p++)
		if (*p != '-')
			typed[o++] = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
	typed[o] = '\0';
	assert_int_equal(pt_auth(pt, "login", "lower", typed), PAM_SUCCESS);
}

static void set_expired(struct roster_user *u, void *priv)
{
	(void)priv;
	u->invite_expires = (int64_t)time(NULL) - 1;
}

/* An expired code: refused, with a message that says what to do. */
static void expired(void **state)
{
	struct pt *pt = *state;
	char code[ROSTER_INVITE_CODE_MAX];
	struct roster_user *u;
	struct pt_conv cv;
	pam_handle_t *h;
	int r;

	invite(pt, "late", 0, code);
	pt_edit(pt, "late", set_expired, NULL);
	pt_conv_init(&cv, code, NULL);
	h = pt_start(pt, "login", "late", &cv, NULL);
	r = pam_authenticate(h, 0);
	pt_end(h, r);
	assert_int_equal(r, PAM_AUTH_ERR);
	assert_non_null(strstr(cv.errors, "invitation code has expired"));
	assert_non_null(strstr(cv.errors, "administrator for a new invitation"));
	u = pt_get(pt, "late");
	assert_int_equal(u->fail_count, 1);
	roster_user_free(u);
	/* A wrong code says nothing about expiry. */
	pt_conv_init(&cv, "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA", NULL);
	h = pt_start(pt, "login", "late", &cv, NULL);
	r = pam_authenticate(h, 0);
	pt_end(h, r);
	assert_int_equal(r, PAM_AUTH_ERR);
	assert_null(strstr(cv.errors, "expired"));
}

/* resend: the old code stops, the new one works. */
static void resend(void **state)
{
	struct pt *pt = *state;
	char code[ROSTER_INVITE_CODE_MAX], out[512], *p, fresh[ROSTER_INVITE_CODE_MAX];

	invite(pt, "redo", 0, code);
	assert_int_equal(pt_cli(pt, out, sizeof(out), "invite resend redo --no-email --json"), 0);
	p = strstr(out, "\"code\": \"");
	assert_non_null(p);
	snprintf(fresh, sizeof(fresh), "%.34s", p + 9);
	assert_int_equal(pt_auth(pt, "login", "redo", code), PAM_AUTH_ERR);
	assert_int_equal(pt_auth(pt, "login", "redo", fresh), PAM_SUCCESS);
}

/* revoke: the account and its code are gone. */
static void revoke(void **state)
{
	struct pt *pt = *state;
	char code[ROSTER_INVITE_CODE_MAX];

	invite(pt, "gone", 0, code);
	assert_int_equal(pt_cli(pt, NULL, 0, "invite revoke gone"), 0);
	assert_int_equal(pt_auth(pt, "login", "gone", code), PAM_AUTH_ERR);
	assert_true(pt_log_has("unknown user"));
}

/* Wrong codes count like wrong passwords, and lock like them. */
static void lockout(void **state)
{
	struct pt *pt = *state;
	char code[ROSTER_INVITE_CODE_MAX];
	struct roster_user *u;

	invite(pt, "guess", 0, code);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pt_auth(pt, "login", "guess", "BBBB-BBBB-BBBB-BBBB-BBBB-BBBB-BBBB"),
				 PAM_AUTH_ERR);
	u = pt_get(pt, "guess");
	assert_int_equal(u->fail_count, 3);
	assert_true(u->locked_until > (int64_t)time(NULL));
	roster_user_free(u);
	assert_int_equal(pt_auth(pt, "login", "guess", code), PAM_AUTH_ERR);
	assert_int_equal(pt_cli(pt, NULL, 0, "user unlock guess"), 0);
	assert_int_equal(pt_auth(pt, "login", "guess", code), PAM_SUCCESS);
}

/* No code proven in this handle (an SSH key login): the account step
 * refuses the invitee; root's passwd NAME cannot skip the code. */
static void no_other_path(void **state)
{
	struct pt *pt = *state;
	char code[ROSTER_INVITE_CODE_MAX];
	struct roster_user *u;
	struct pt_conv cv;
	pam_handle_t *h;
	int r;

	invite(pt, "keyed", 0, code);
	pt_conv_init(&cv, NULL);
	assert_int_equal(pt_account(pt, "login", "keyed", &cv), PAM_PERM_DENIED);
	pt_conv_init(&cv, NEWPW, NEWPW, NULL);
	h = pt_start(pt, "login", "keyed", &cv, NULL);
	r = pam_chauthtok(h, 0);
	pt_end(h, r);
	assert_int_equal(r, PAM_PERM_DENIED);
	u = pt_get(pt, "keyed");
	assert_int_equal(u->status, ROSTER_INVITED);
	assert_null(u->pwhash);
	roster_user_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(redeem, setup, teardown),
		cmocka_unit_test_setup_teardown(code_as_typed, setup, teardown),
		cmocka_unit_test_setup_teardown(expired, setup, teardown),
		cmocka_unit_test_setup_teardown(resend, setup, teardown),
		cmocka_unit_test_setup_teardown(revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(lockout, setup, teardown),
		cmocka_unit_test_setup_teardown(no_other_path, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
