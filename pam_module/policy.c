/* policy.c - what a new password must be: libpwquality's checks, read from
 * /etc/security/pwquality.conf (and pwquality.conf.d), plus roster's own:
 * never empty, at least [passwords] min_length bytes, not the user name,
 * not the email address (or its local part), not the current password.
 *
 * MUST: the password is only read here; every copy made of it (none today)
 * would be wiped before returning.  Nothing here logs a password.
 */
#include "pam_roster.h"

#include <errno.h>
#include <pwquality.h>
#include <security/pam_ext.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

/* cracklib's default (CRACKLIB_DICTPATH in Debian's libcrack2). */
#define CRACKLIB_DEFAULT_DICT "/var/cache/cracklib/cracklib_dict"

static int pwq_int(pwquality_settings_t *s, int setting)
{
	int v = 0;

	return pwquality_get_int_value(s, setting, &v) == 0 ? v : 0;
}

/* Without its dictionary cracklib refuses every password ("error loading
 * dictionary") and prints to stderr: check it is there, else skip that one
 * check and say so in syslog. */
static void dictionary_or_skip(pam_handle_t *pamh, pwquality_settings_t *s)
{
	const char *path = NULL;
	char pwd[4096];

	if (!pwq_int(s, PWQ_SETTING_DICT_CHECK))
		return;
	if (pwquality_get_str_value(s, PWQ_SETTING_DICT_PATH, &path) != 0 || !path || !*path)
		path = CRACKLIB_DEFAULT_DICT;
	snprintf(pwd, sizeof(pwd), "%s.pwd", path);
	if (access(pwd, R_OK) == 0)
		return;
	pam_syslog(pamh, LOG_WARNING,
		   "the cracklib dictionary %s is missing (install cracklib-runtime); "
		   "the dictionary check is skipped", pwd);
	pwquality_set_int_value(s, PWQ_SETTING_DICT_CHECK, 0);
}

static void describe(const struct roster_config *cfg, pwquality_settings_t *s, char *out, size_t n)
{
	int minlen = pwq_int(s, PWQ_SETTING_MIN_LENGTH), minclass = pwq_int(s, PWQ_SETTING_MIN_CLASS);
	int maxrepeat = pwq_int(s, PWQ_SETTING_MAX_REPEAT), dict = pwq_int(s, PWQ_SETTING_DICT_CHECK);
	unsigned len = cfg->min_length > (unsigned)minlen ? cfg->min_length : (unsigned)minlen;
	char classes[64] = "", repeat[64] = "";

	if (minclass > 1)
		snprintf(classes, sizeof(classes), " at least %d of lower case, upper case, digits, others;",
			 minclass);
	if (maxrepeat > 0)
		snprintf(repeat, sizeof(repeat), " no character more than %d times in a row;", maxrepeat);
	snprintf(out, n,
		 "A new password needs at least %u characters;%s%s it must not contain your user name "
		 "or email address, must differ enough from your current password%s, and must pass "
		 "the rules of /etc/security/pwquality.conf.",
		 len, classes, repeat, dict ? ", must not be a dictionary word" : "");
}

/* Does haystack contain needle, ignoring case?  Needles shorter than three
 * characters are not checked: they would refuse half of all passwords. */
static bool contains(const char *haystack, const char *needle, size_t len)
{
	char n[ROSTER_EMAIL_MAX + 1];

	if (!needle || len < 3 || len > ROSTER_EMAIL_MAX)
		return false;
	memcpy(n, needle, len);
	n[len] = '\0';
	return strcasestr(haystack, n) != NULL;
}

int policy_check(pam_handle_t *pamh, const struct roster_config *cfg, const struct roster_user *u,
		 const char *old, const char *pw, char *why, size_t whylen, char *rules, size_t ruleslen)
{
	pwquality_settings_t *s = pwquality_default_settings();
	void *aux = NULL;
	size_t len = strnlen(pw, ROSTER_PASSWORD_MAX + 1);
	const char *at = u->email ? strchr(u->email, '@') : NULL;
	char buf[PWQ_MAX_ERROR_MESSAGE_LEN];
	int r = 0, q;

	why[0] = '\0';
	if (!s)
		return -ENOMEM;
	/* NULL: the system's file; a missing one means the defaults. */
	q = pwquality_read_config(s, NULL, &aux);
	if (q != 0) {
		/* pwquality_strerror() also frees aux. */
		const char *msg = pwquality_strerror(buf, sizeof(buf), q, aux);

		if (q != PWQ_ERROR_CFGFILE_OPEN)
			pam_syslog(pamh, LOG_ERR, "cannot read the pwquality configuration: %s", msg);
	}
	dictionary_or_skip(pamh, s);
	describe(cfg, s, rules, ruleslen);

	if (len == 0)
		snprintf(why, whylen, "The password is empty.");
	else if (len > ROSTER_PASSWORD_MAX)
		snprintf(why, whylen, "The password is longer than %d bytes.", ROSTER_PASSWORD_MAX);
	else if (len < cfg->min_length)
		snprintf(why, whylen, "The password is shorter than %u characters.", cfg->min_length);
	else if (old && strcmp(old, pw) == 0)
		snprintf(why, whylen, "The password is the same as the current one.");
	else if (contains(pw, u->name, strlen(u->name)))
		snprintf(why, whylen, "The password contains the user name.");
	else if (u->email && (contains(pw, u->email, strlen(u->email)) ||
			      (at && contains(pw, u->email, (size_t)(at - u->email)))))
		snprintf(why, whylen, "The password contains the email address.");
	else {
		aux = NULL;
		q = pwquality_check(s, pw, old, u->name, &aux);
		if (q < 0)
			snprintf(why, whylen, "%s.", pwquality_strerror(buf, sizeof(buf), q, aux));
		if (q == PWQ_ERROR_MEM_ALLOC)
			r = -ENOMEM;
	}
	if (why[0] && r == 0)
		r = -EINVAL;
	pwquality_free_settings(s);
	return r;
}
