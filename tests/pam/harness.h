/* harness.h - the world the PAM tests run pam_roster.so in.
 *
 * Real libpam, no preload: pam_start_confdir() (Linux-PAM >= 1.4) reads the
 * service files from a temporary directory, and those name the module built
 * in this tree by absolute path.  Each test gets:
 *   <tmp>/etc/{passwd,group,shells}   a tiny "system"
 *   <tmp>/roster.conf                 cheap argon2id, lockout settings
 *   <tmp>/db                          the database, created with libroster
 *   <tmp>/pam.d/<service>             service files (pt_service)
 * The conversation answers prompts from a list and keeps every message.
 * The harness also interposes pam_syslog()/pam_vsyslog() (the test programs
 * are linked -rdynamic), so a test reads what the module logged.
 *
 * libroster's handle is opened and closed around each helper: tdb refuses a
 * second open of one file in one process, and the module opens it itself.
 */
#ifndef ROSTER_TESTS_PAM_HARNESS_H
#define ROSTER_TESTS_PAM_HARNESS_H

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <security/pam_appl.h>

#include "roster.h"

#define PT_MODULE "pam_module/pam_roster.so"
#define PT_SETTOK "tests/pam/pam_settok.so"
#define PT_CLI "cli/roster"
#define PT_PASSWORD "correct horse 42"

struct pt {
	char dir[PATH_MAX];
	char conf[PATH_MAX];
	char dbdir[PATH_MAX];
	char pamd[PATH_MAX];
	char so[PATH_MAX];     /* absolute path of pam_roster.so */
	char settok[PATH_MAX]; /* absolute path of pam_settok.so */
};

/* A new world; extra_conf is appended to roster.conf (e.g. "[lockout]\n
 * deny = 3\n"), NULL for none. */
struct pt *pt_new(const char *extra_conf);
void pt_free(struct pt *pt);
/* Rewrites roster.conf (the database stays). */
void pt_write_conf(struct pt *pt, const char *extra_conf);
/* pam.d/<name>: the four groups, each "required <module> config=<conf> args". */
void pt_service(struct pt *pt, const char *name, const char *args);
/* pam.d/<name> verbatim, with @SO@, @SETTOK@ and @CONF@ replaced. */
void pt_service_text(struct pt *pt, const char *name, const char *text);

struct pt_user {
	const char *name;
	const char *password; /* NULL: no password */
	const char *email;    /* NULL: NAME@example.org */
	const char *roles;    /* "a,b" or NULL */
	enum roster_status status;
	bool must_change;
	int64_t expires;      /* days; 0 means none */
	const char *hash;     /* a stored hash to use as is (overrides password) */
};
void pt_add_user(struct pt *pt, const struct pt_user *u);
/* Shorthand: an active user with PT_PASSWORD. */
void pt_add(struct pt *pt, const char *name);
void pt_add_role(struct pt *pt, const char *name, const char *services);
/* The stored record; the caller frees it. */
struct roster_user *pt_get(struct pt *pt, const char *name);
/* The stored failure count of name. */
uint32_t pt_fails(struct pt *pt, const char *name);
/* Edits the stored record with fn in a roster transaction. */
void pt_edit(struct pt *pt, const char *name, void (*fn)(struct roster_user *u, void *priv), void *priv);
/* The history actions of name, one per line. */
void pt_history(struct pt *pt, const char *name, char *out, size_t n);
uint64_t pt_unknown_failures(struct pt *pt);
/* What a use that stands does to an API password below the configured
 * cost: label's hash replaced by a new hash of password, at the cost of
 * the world's roster.conf now. */
void pt_api_rehash(struct pt *pt, const char *name, const char *label, const char *password);
/* n failed logins of name, as the module records them. */
void pt_fail(struct pt *pt, const char *name, unsigned n);

/* ---- the conversation ---- */
struct pt_conv {
	const char *answers[8]; /* given to prompts in order */
	int nanswers, next;
	char prompts[1024];     /* every prompt, one per line */
	char errors[4096];      /* PAM_ERROR_MSG texts, one per line */
	char infos[4096];       /* PAM_TEXT_INFO texts, one per line */
	int nmsgs;              /* error and info messages */
	/* Called before each prompt is answered (NULL: nothing): what happens
	 * elsewhere while the user types.  The module has the database closed. */
	void (*on_prompt)(void *arg);
	void *on_prompt_arg;
};
/* Answers are NULL-terminated. */
void pt_conv_init(struct pt_conv *cv, ...);

/* pam_start_confdir with the world's pam.d; rhost may be NULL. */
pam_handle_t *pt_start(struct pt *pt, const char *service, const char *user, struct pt_conv *cv,
		       const char *rhost);
void pt_end(pam_handle_t *h, int status);

/* One pam_authenticate with the password answered; the PAM code. */
int pt_auth(struct pt *pt, const char *service, const char *user, const char *password);
/* One pam_authenticate with the password answered, while fn(pt) runs just
 * before the answer (between the module's first read and its verdict);
 * the PAM code, and in cv the conversation. */
int pt_auth_while(struct pt *pt, const char *service, const char *user, const char *password,
		  void (*fn)(void *pt), struct pt_conv *cv);
/* authenticate, then acct_mgmt, in one handle; the first code that is not
 * success, or the acct_mgmt code. */
int pt_login(struct pt *pt, const char *service, const char *user, const char *password);
/* One pam_acct_mgmt (as after an SSH key login: no auth). */
int pt_account(struct pt *pt, const char *service, const char *user, struct pt_conv *cv);

/* ---- the module's log ---- */
void pt_log_clear(void);
const char *pt_log(void);
bool pt_log_has(const char *needle);

/* Runs the CLI with --config; its exit status, stdout in out (may be NULL). */
int pt_cli(struct pt *pt, char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

double pt_now(void); /* CLOCK_MONOTONIC seconds */

#endif
