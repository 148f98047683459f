/* args.c - the module arguments of a pam.d line.
 *
 *   config=FILE            another roster.conf (a setuid su ignores $ROSTER_CONFIG)
 *   debug                  more detail in syslog
 *   require_role=ROLE[,ROLE]  only holders of one of these roles (or the admin role)
 *   use_authtok            password: the new password comes from an earlier module
 *   try_first_pass         use a password an earlier module obtained, else ask
 *   use_first_pass         use a password an earlier module obtained, never ask
 *   authtok_type=TYPE      read by libpam itself for its prompts
 *   api                    API passwords: not supported yet; every call refuses
 *
 * Anything else is an error (PAM_SERVICE_ERR, logged): as with roster.conf,
 * a typo must not silently loosen a service's gate.
 */
#include "pam_roster.h"

#include <security/pam_ext.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static const char *value_of(const char *arg, const char *key)
{
	size_t n = strlen(key);

	return strncmp(arg, key, n) == 0 && arg[n] == '=' ? arg + n + 1 : NULL;
}

static int parse_roles(pam_handle_t *pamh, const char *list, char ***out)
{
	char *copy = strdup(list), *save = NULL;
	int r = 0;

	if (!copy)
		return PAM_BUF_ERR;
	for (char *t = strtok_r(copy, ",", &save); t && r == 0; t = strtok_r(NULL, ",", &save)) {
		if (roster_valid_name(t) < 0) {
			pam_syslog(pamh, LOG_ERR, "require_role: '%s' is not a role name", t);
			r = -1;
		} else if (roster_strv_add(out, t) < 0)
			r = -2;
	}
	free(copy);
	if (r == 0 && !*out) {
		pam_syslog(pamh, LOG_ERR, "require_role= names no role");
		r = -1;
	}
	return r == 0 ? PAM_SUCCESS : r == -2 ? PAM_BUF_ERR : PAM_SERVICE_ERR;
}

int args_parse(pam_handle_t *pamh, int argc, const char **argv, struct args *a)
{
	const char *v;
	int r;

	memset(a, 0, sizeof(*a));
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "debug") == 0)
			a->debug = true;
		else if (strcmp(arg, "use_authtok") == 0)
			a->use_authtok = true;
		else if (strcmp(arg, "try_first_pass") == 0)
			a->try_first_pass = true;
		else if (strcmp(arg, "use_first_pass") == 0)
			a->use_first_pass = true;
		else if (strcmp(arg, "api") == 0)
			a->api = true;
		else if (value_of(arg, "authtok_type"))
			; /* libpam's pam_get_authtok() reads it from argv itself */
		else if ((v = value_of(arg, "config"))) {
			if (v[0] != '/') {
				pam_syslog(pamh, LOG_ERR, "config=%s: not an absolute path", v);
				args_free(a);
				return PAM_SERVICE_ERR;
			}
			a->config = v;
		} else if ((v = value_of(arg, "require_role"))) {
			if ((r = parse_roles(pamh, v, &a->require_roles)) != PAM_SUCCESS) {
				args_free(a);
				return r;
			}
		} else {
			pam_syslog(pamh, LOG_ERR, "unknown option '%s'; refusing (see pam_roster(8))", arg);
			args_free(a);
			return PAM_SERVICE_ERR;
		}
	}
	return PAM_SUCCESS;
}

void args_free(struct args *a)
{
	roster_strv_free(a->require_roles);
	a->require_roles = NULL;
}
