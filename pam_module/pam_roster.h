/* pam_roster.h - what the files of pam_module/ share.
 *
 *   pam_roster.c  the pam_sm_* entry points, the conversation, logging and
 *                 the one function that turns library errors into PAM codes
 *   args.c        the module arguments of a pam.d line
 *   policy.c      the password policy: libpwquality plus roster's own rules
 */
#ifndef PAM_ROSTER_H
#define PAM_ROSTER_H

#include "roster.h"

#include <security/pam_modules.h>

/* What a pam.d line can say after the module's name. */
struct args {
	const char *config;    /* config=FILE: else roster_config_default_path() */
	char **require_roles;  /* require_role=ROLE[,ROLE]: NULL-terminated, or NULL */
	bool debug;            /* more detail in syslog (never a password) */
	bool use_authtok;      /* password: take the new password from an earlier module */
	bool try_first_pass;   /* use a password an earlier module obtained, else ask */
	bool use_first_pass;   /* use a password an earlier module obtained, never ask */
	bool api;              /* API passwords: not supported yet, refuses everything */
};

/* PAM_SUCCESS, or PAM_SERVICE_ERR (logged) for an unknown or malformed
 * argument: a misspelt require_role must not open a service. */
int args_parse(pam_handle_t *pamh, int argc, const char **argv, struct args *a);
void args_free(struct args *a);

/* The password policy for u's new password pw (old: the current one, or
 * NULL when the caller is root and did not give it).  0 when acceptable;
 * -EINVAL with the reason in why (one sentence) when not; -ENOMEM.  rules
 * always gets the criteria, for the user to read. */
int policy_check(pam_handle_t *pamh, const struct roster_config *cfg, const struct roster_user *u,
		 const char *old, const char *pw, char *why, size_t whylen, char *rules, size_t ruleslen);

#endif
