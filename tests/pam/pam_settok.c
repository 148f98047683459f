/* pam_settok.c - a stand-in for pam_pwquality in the password stack: asks
 * for the new password twice (libpam's pam_get_authtok() does the retype)
 * and leaves it in PAM_AUTHTOK for the next module's use_authtok.  In the
 * auth stack it asks for a password and leaves it for try_first_pass.
 * Built only for the tests. */
#include <stddef.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const char *pw = NULL;

	(void)argc;
	(void)argv;
	if (flags & PAM_PRELIM_CHECK)
		return PAM_SUCCESS;
	return pam_get_authtok(pamh, PAM_AUTHTOK, &pw, NULL);
}

/* Like a module that failed before us in the auth stack: the password it
 * asked for stays in PAM_AUTHTOK for try_first_pass. */
EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const char *pw = NULL;

	(void)flags, (void)argc, (void)argv;
	return pam_get_authtok(pamh, PAM_AUTHTOK, &pw, NULL) == PAM_SUCCESS ? PAM_IGNORE : PAM_AUTH_ERR;
}

EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh, (void)flags, (void)argc, (void)argv;
	return PAM_IGNORE;
}
