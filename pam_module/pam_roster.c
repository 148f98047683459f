/* pam_roster.c - pam_roster.so: the four PAM management groups over lib/.
 *
 *   auth      pam_sm_authenticate  the password, verified with argon2id;
 *                                  failures counted, lockouts; rehash on login
 *             pam_sm_setcred       nothing to do: success
 *   account   pam_sm_acct_mgmt     disabled, invited, expired, locked; service
 *                                  access by role; a forced password change
 *   password  pam_sm_chauthtok     the current password, the new one twice,
 *                                  the policy (policy.c), history
 *   session   pam_sm_open_session  the last login: time, service, remote host
 *             pam_sm_close_session nothing to do: success
 *
 * MUST rules (this code runs as root inside sshd, login, su and passwd):
 *  1. An unknown user and a user without a password are answered exactly as
 *     a wrong password is: the same argon2id cost (roster_auth_verify_dummy),
 *     the same kind of committed write (roster_auth_fail), the same
 *     PAM_AUTH_ERR and the same silence towards the user.
 *  2. A password longer than ROSTER_PASSWORD_MAX (PAM_MAX_RESP_SIZE) is
 *     refused before anything is hashed, verified or written.
 *  3. A stored hash is checked (prefix, costs within bounds) before it is
 *     verified: roster_password_verify() does both.
 *  4. No password reaches syslog, a message, history or a copy that is not
 *     wiped.  The tokens are libpam's items (libpam wipes them); the only
 *     buffer holding secret material here, a new hash, is wiped on every
 *     path.
 *  5. Every success and failure is logged with the user and the service
 *     (note()); an unknown user's name is logged only if it is a valid
 *     name, so a password typed at the login prompt stays out of the log.
 *  6. PAM_SILENT: no message from this module reaches the user (say()).
 *  7. Each call reads the configuration and opens the database itself and
 *     closes it before returning; nothing is kept between calls.  The
 *     database is open only around its reads and writes, never across a
 *     hash, under a process-wide mutex (db_enter/db_leave): tdb refuses a
 *     second open of a file in one process, and a threaded caller may run
 *     logins side by side.
 *  8. Library errors become PAM codes in pam_code() only; a refusal is a
 *     decision, returned where it is made.
 *  9. Print nothing to stdout or stderr, never exit.
 * 12. During a lockout, auth answers the right password exactly as a wrong
 *     one (the same verification, the same counted failure, the same silent
 *     PAM_AUTH_ERR), so that guessing on while locked learns nothing, not
 *     even from how long the answer took.  The account step (SSH keys)
 *     still says the account is locked.
 * 11. API passwords ("api" in the service's pam.d line) are checked by the
 *     api path only, and the login password never is there; a service
 *     without "api" never looks at API passwords.  The user's switch, the
 *     label's services and its expiry all apply, and a use is recorded.
 *     The label in front of the password names the one hash verified (a
 *     dummy when there is none); a hash below the configured cost is
 *     padded like a login's and rehashed after a use that stands, and a
 *     use that finds it changed meanwhile (another use's rehash) stands
 *     only if its password checks again against the new record
 *     (touch_again).
 * 10. An invited account's one-time code stands where its password would:
 *     verified like one (argon2id, counted failures, the lockout), accepted
 *     by auth only for an invited account, and marked on the PAM handle so
 *     that account answers PAM_NEW_AUTHTOK_REQD only within a login that
 *     proved the code (an SSH-key login of an invitee is refused).  The
 *     password change that follows burns the code.
 * 13. Every argon2id computation waits for one of the machine's [passwords]
 *     max_concurrent slots (lib/hashslot.c), at most max_wait.  One that
 *     could not run answers PAM_AUTHINFO_UNAVAIL (auth) and counts nothing,
 *     for known and unknown users alike: nothing was learnt about the
 *     password.
 * 14. A verified secret is not yet a login: the record is read again after
 *     the verification (roster_auth_success), which may have waited long
 *     for a hashing slot.  An account locked, disabled or expired meanwhile,
 *     or whose password or invitation was replaced, is refused then.
 */
#include "pam_roster.h"

#include <errno.h>
#include <pthread.h>
#include <security/pam_ext.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define PAM_EXPORT __attribute__((visibility("default")))

enum step { STEP_AUTH, STEP_SETCRED, STEP_ACCOUNT, STEP_PASSWORD, STEP_SESSION };

struct ctx {
	pam_handle_t *pamh;
	enum step step;
	int flags;
	struct args a;
	const char *user;    /* PAM_USER: libpam's */
	const char *service; /* PAM_SERVICE: libpam's, or "?" */
	const char *rhost;   /* PAM_RHOST: libpam's, or NULL */
	char who[ROSTER_NAME_MAX + 16]; /* the user as logged */
	char from[80];       /* " rhost=..." for the log, or "" */
	struct roster_config *cfg;
	struct roster_db *db;  /* open between db_enter() and db_leave() only */
	bool reached;          /* the database was opened: errors are not "unreachable" */
	struct roster_user *u;
	enum roster_auth_state state;
	bool by_code;        /* this call verified an invitation code */
	struct roster_api **apis; /* "api" services: the user's API passwords */
	int64_t now;
};

/* ---- talking: syslog for the administrator, the conversation for the user ---- */

/* Printable ASCII, cut to fit: a remote host name is the network's text. */
static void printable(char *out, size_t n, const char *s)
{
	size_t i = 0;

	for (; s && s[i] && i + 1 < n; i++)
		out[i] = (s[i] > 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[i] = '\0';
}

/* Rule 5: one line per event, always naming the user and the service. */
static void note(const struct ctx *c, int prio, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void note(const struct ctx *c, int prio, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (prio == LOG_DEBUG && !c->a.debug)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pam_syslog(c->pamh, prio, "%s; user=%s service=%s%s", msg, c->who, c->service, c->from);
}

/* Rule 6: a message for the user, unless the application asked for silence. */
static void say(const struct ctx *c, int style, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(const struct ctx *c, int style, const char *fmt, ...)
{
	va_list ap;

	if (c->flags & PAM_SILENT)
		return;
	va_start(ap, fmt);
	pam_vprompt(c->pamh, style, NULL, fmt, ap);
	va_end(ap);
}

/* Rule 8: the one place where a library error becomes a PAM code. */
static int pam_code(const struct ctx *c, int r)
{
	if (r == 0)
		return PAM_SUCCESS;
	if (r == -ENOMEM)
		return PAM_BUF_ERR;
	/* The configuration or the database was not reached: a caller that
	 * is not root (accounts.tdb is 0600), no database yet, unsafe files. */
	if (!c->reached)
		return c->step == STEP_SESSION ? PAM_SESSION_ERR : PAM_AUTHINFO_UNAVAIL;
	switch (c->step) {
	case STEP_AUTH:
		return r == -ENOENT ? PAM_AUTH_ERR : PAM_AUTHINFO_UNAVAIL;
	case STEP_ACCOUNT:
		return r == -ENOENT ? PAM_USER_UNKNOWN : PAM_AUTHINFO_UNAVAIL;
	case STEP_PASSWORD:
		if (r == -ENOENT)
			return PAM_USER_UNKNOWN;
		return r == -ENOLCK ? PAM_AUTHTOK_LOCK_BUSY : PAM_AUTHTOK_ERR;
	case STEP_SESSION:
		return r == -ENOENT ? PAM_IGNORE : PAM_SESSION_ERR;
	case STEP_SETCRED:
		break;
	}
	return PAM_SYSTEM_ERR;
}

/* ---- a call's context: zeroed first, so ctx_end() is always safe ---- */

static int ctx_begin(struct ctx *c, pam_handle_t *pamh, int flags, int argc, const char **argv,
		     enum step step)
{
	const void *item = NULL;
	int rv;

	memset(c, 0, sizeof(*c));
	c->pamh = pamh;
	c->step = step;
	c->flags = flags;
	c->now = (int64_t)time(NULL);
	c->service = "?";
	snprintf(c->who, sizeof(c->who), "?");
	if (pam_get_item(pamh, PAM_SERVICE, &item) == PAM_SUCCESS && item)
		c->service = item;
	if (pam_get_item(pamh, PAM_RHOST, &item) == PAM_SUCCESS && item && *(const char *)item) {
		char host[64];

		c->rhost = item;
		printable(host, sizeof(host), c->rhost);
		snprintf(c->from, sizeof(c->from), " rhost=%s", host);
	}
	rv = args_parse(pamh, argc, argv, &c->a);
	if (rv != PAM_SUCCESS)
		return rv;
	if (step == STEP_SETCRED || step == STEP_SESSION) {
		/* Never prompt here: the user is known by now, or nothing is. */
		if (pam_get_item(pamh, PAM_USER, &item) == PAM_SUCCESS)
			c->user = item;
	} else if ((rv = pam_get_user(pamh, &c->user, NULL)) != PAM_SUCCESS) {
		note(c, LOG_NOTICE, "cannot determine the user: %s", pam_strerror(pamh, rv));
		return rv == PAM_CONV_AGAIN ? PAM_INCOMPLETE : rv;
	}
	if (!c->user)
		c->user = "";
	/* A name that is not valid may be a password typed at a login prompt. */
	snprintf(c->who, sizeof(c->who), "%s", roster_valid_name(c->user) == 0 ? c->user : "(not a valid name)");
	return PAM_SUCCESS;
}

static int ctx_config(struct ctx *c)
{
	int r = roster_config_load(c->a.config, &c->cfg);

	if (r < 0) {
		note(c, LOG_ERR, "cannot load the configuration: %s",
		     *roster_config_error() ? roster_config_error() : strerror(-r));
		return pam_code(c, r);
	}
	return PAM_SUCCESS;
}

/* ---- the database: open around its use only, one open per process ---- */

static pthread_mutex_t db_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t db_once = PTHREAD_ONCE_INIT;

/* A fork() while another thread has the database open would leave the
 * child's mutex locked for good.  (glibc drops these handlers when libpam
 * unloads the module.) */
static void fork_prepare(void)
{
	pthread_mutex_lock(&db_mutex);
}

static void fork_done(void)
{
	pthread_mutex_unlock(&db_mutex);
}

static void db_once_init(void)
{
	pthread_atfork(fork_prepare, fork_done, fork_done);
}

static int db_enter(struct ctx *c)
{
	struct roster_db *db = NULL;
	int r;

	pthread_once(&db_once, db_once_init);
	pthread_mutex_lock(&db_mutex);
	r = roster_db_open(c->cfg, 0, &db);
	if (r < 0) {
		note(c, LOG_ERR, "cannot open the accounts database: %s",
		     db && *roster_db_error(db) ? roster_db_error(db) : strerror(-r));
		roster_db_close(db);
		pthread_mutex_unlock(&db_mutex);
		return pam_code(c, r);
	}
	c->db = db;
	c->reached = true;
	return PAM_SUCCESS;
}

static void db_leave(struct ctx *c)
{
	if (!c->db)
		return;
	roster_db_close(c->db);
	c->db = NULL;
	pthread_mutex_unlock(&db_mutex);
}

/* The reason for the last failure on the open database, for the log. */
static const char *db_why(const struct ctx *c, int r)
{
	return c->db && *roster_db_error(c->db) ? roster_db_error(c->db) : strerror(-r);
}

static void ctx_end(struct ctx *c)
{
	roster_api_records_free(c->apis);
	c->apis = NULL;
	db_leave(c);
	roster_user_free(c->u);
	roster_config_free(c->cfg);
	args_free(&c->a);
	c->u = NULL;
	c->cfg = NULL;
}

/* The configuration, and the user's record and state: PAM_SUCCESS also for
 * an unknown user (c->u NULL).  Leaves the database open for more when
 * keep is set. */
static int ctx_load(struct ctx *c, bool keep)
{
	int r, rv = ctx_config(c);

	if (rv == PAM_SUCCESS)
		rv = db_enter(c);
	if (rv != PAM_SUCCESS)
		return rv;
	r = roster_auth_lookup(c->db, c->user, c->now, &c->u, &c->state);
	if (r < 0) {
		note(c, LOG_ERR, "cannot read the account: %s", db_why(c, r));
		rv = pam_code(c, r);
	} else
		note(c, LOG_DEBUG, "account state %s", roster_auth_state_name(c->state));
	if (!keep || rv != PAM_SUCCESS)
		db_leave(c);
	return rv;
}

/* ---- shared by auth and account ---- */

/* The sentence a refused user reads; NULL when the state refuses nothing. */
static const char *state_refusal(const struct ctx *c, char *buf, size_t n)
{
	char when[21];

	switch (c->state) {
	case ROSTER_AUTH_DISABLED:
		return "Your account is disabled.";
	case ROSTER_AUTH_INVITED:
		return "Your account is not active yet: its invitation has not been redeemed.";
	case ROSTER_AUTH_EXPIRED:
		roster_format_date(c->u->expires, when);
		snprintf(buf, n, "Your account expired after %s.", when);
		return buf;
	case ROSTER_AUTH_LOCKED:
		if (c->u->locked_until == INT64_MAX)
			return "Your account is locked after too many failed logins, until an administrator unlocks it.";
		roster_format_time(c->u->locked_until, when);
		snprintf(buf, n, "Your account is locked after too many failed logins, until %s.", when);
		return buf;
	default:
		return NULL;
	}
}

/* A failed password: counted against the user, or (unknown user) against
 * meta/auth_unknown at the same cost. */
static void record_failure(struct ctx *c, const char *why)
{
	struct roster_auth_tally t = { 0 };
	char until[21] = "";
	int r;

	if (db_enter(c) != PAM_SUCCESS)
		return; /* logged */
	r = roster_auth_fail(c->db, c->user, c->now, &t);
	if (r < 0 && r != -ENOENT)
		note(c, LOG_ERR, "authentication failure: %s; it could not be counted: %s", why, db_why(c, r));
	db_leave(c);
	if (r == -ENOENT)
		note(c, LOG_NOTICE, "authentication failure: %s", why);
	if (r < 0)
		return;
	note(c, LOG_NOTICE, "authentication failure: %s (%u within %us)", why, (unsigned)t.fail_count,
	     c->cfg->fail_interval);
	if (t.locked_now) {
		if (t.locked_until == INT64_MAX)
			snprintf(until, sizeof(until), "unlocked");
		else
			roster_format_time(t.locked_until, until);
		note(c, LOG_WARNING, "account locked after %u failed logins, until %s", (unsigned)t.fail_count,
		     until);
	}
}

/* Rule 12: a lockout answers before anything else the account is, and
 * whatever the secret was: in silence, and counted as a wrong one. */
static bool locked_out(const struct ctx *c)
{
	return roster_auth_locked(c->u, c->now);
}

static int refuse_locked(struct ctx *c, const char *what)
{
	note(c, LOG_NOTICE, "%s: the account is locked", what);
	record_failure(c, "the account is locked");
	return PAM_AUTH_ERR;
}

/* Rule 13: no argon2id computation happened (no slot came free within
 * [passwords] max_wait, or the slots could not be opened).  Nothing is
 * known about the password, so nothing is counted, and a known user, an
 * unknown one and an API password get the same answer. */
static int not_verified(struct ctx *c, const char *what, int r)
{
	note(c, LOG_ERR, "%s: the password was not verified: %s", what, roster_password_strerror(r));
	return pam_code(c, r);
}

/* Checks a password the user claims is theirs, as a login does.  Used for
 * the login itself and for the current password of a change. */
static int check_password(struct ctx *c, const char *pw, const char *what)
{
	int r;

	if (strnlen(pw, ROSTER_PASSWORD_MAX + 1) > ROSTER_PASSWORD_MAX) { /* rule 2 */
		note(c, LOG_NOTICE, "%s: the password is longer than %d bytes; refused without hashing", what,
		     ROSTER_PASSWORD_MAX);
		return PAM_AUTH_ERR;
	}
	if (c->u && c->u->status == ROSTER_INVITED && c->u->invite_hash) { /* rule 10 */
		r = roster_invite_verify(c->cfg, c->u, pw, c->now);
		/* -ETIME too: only a matching code is told it expired. */
		if ((r == 0 || r == -ETIME) && locked_out(c))
			return refuse_locked(c, what);
		if (r == 0) {
			c->by_code = true;
			return PAM_SUCCESS;
		}
		if (r == -ETIME) {
			/* Only someone who knows the code reads this. */
			say(c, PAM_ERROR_MSG, "Your invitation code has expired. "
					      "Ask your administrator for a new invitation.");
			record_failure(c, "expired invitation code");
			return PAM_AUTH_ERR;
		}
		if (r == -EACCES) {
			record_failure(c, "wrong invitation code");
			return PAM_AUTH_ERR;
		}
		if (r != -EINVAL)
			return not_verified(c, what, r);
		note(c, LOG_ERR, "%s: cannot verify the invitation code: %s", what, strerror(-r));
		return PAM_AUTH_ERR;
	}
	if (!c->u || !c->u->pwhash) { /* rule 1 */
		r = roster_auth_verify_dummy(c->cfg, pw);
		if (r != -EACCES)
			return not_verified(c, what, r); /* rule 13: as a known user's */
		record_failure(c, c->u ? "the account has no password" : "unknown user");
		return PAM_AUTH_ERR;
	}
	r = roster_password_verify(c->cfg, c->u->pwhash, pw); /* rule 3 */
	/* A hash below the configured cost (a crypt(3) hash adopted from
	 * /etc/shadow, an argon2id one of older costs) answers sooner than an
	 * unknown user's dummy: the wait would tell who has not logged in
	 * since, and during a lockout which password was right.  Padded with
	 * the dummy, whatever the outcome (rules 1 and 12). */
	if ((r == 0 || r == -EACCES) && roster_auth_needs_rehash(c->cfg, c->u->pwhash)) {
		int pad = roster_auth_verify_dummy(c->cfg, pw);

		if (pad != -EACCES)
			note(c, LOG_WARNING, "%s: the dummy verification did not run: %s", what,
			     roster_password_strerror(pad));
	}
	if (r == -EACCES) {
		record_failure(c, "wrong password");
		return PAM_AUTH_ERR;
	}
	if (r == -EINVAL) {
		note(c, LOG_ERR, "%s: the stored hash is malformed or outside the cost bounds of %s; "
				 "refused without verifying it", what, c->cfg->path);
		return PAM_AUTH_ERR;
	}
	if (r < 0)
		return not_verified(c, what, r);
	return PAM_SUCCESS;
}

/* ---- auth ---- */

/* The mark a verified invitation code leaves on the PAM handle. */
#define INVITE_MARK "pam_roster_invite_code"
static const int invite_mark = 1;

static bool code_proven(const struct ctx *c)
{
	const void *p = NULL;

	return pam_get_data(c->pamh, INVITE_MARK, &p) == PAM_SUCCESS && p == &invite_mark;
}

/* Rule 14, with the database open: the login decided on the record as it
 * is now, at the time it is now (the prompt may have lasted).  On a
 * refusal c->u is read again too, so that what the user is told is about
 * the account as it is.  The telling waits for refused(), after
 * db_leave(): no conversation with the database open. */
static int confirm(struct ctx *c, const char *hash, bool invite)
{
	struct roster_user *u = NULL;
	enum roster_auth_state ignored;
	int r;

	c->now = (int64_t)time(NULL);
	r = roster_auth_success(c->db, c->user, c->now, hash, invite, &c->state);
	if (r == -EACCES && roster_auth_lookup(c->db, c->user, c->now, &u, &ignored) == 0 && u) {
		roster_user_free(c->u);
		c->u = u;
	} else if (r < 0 && r != -EACCES && r != -ESTALE && r != -ENOENT)
		note(c, LOG_ERR, "authentication refused: the login could not be confirmed: %s", db_why(c, r));
	return r;
}

/* The answer to a login that confirm() (or roster_api_touch()) did not let
 * through; what names the secret that was verified. */
static int refused(struct ctx *c, int r, const char *what)
{
	char buf[160];
	const char *refusal;

	switch (r) {
	case -EACCES:
		/* Locked meanwhile: as silent as a wrong password (rule 12). */
		if (c->state != ROSTER_AUTH_LOCKED && (refusal = state_refusal(c, buf, sizeof(buf))))
			say(c, PAM_ERROR_MSG, "%s", refusal);
		note(c, LOG_NOTICE, "authentication refused: the account became %s during the login",
		     roster_auth_state_name(c->state));
		return PAM_AUTH_ERR;
	case -EPERM:
		note(c, LOG_NOTICE, "authentication refused: API access was turned off during the login");
		return PAM_AUTH_ERR;
	case -ESTALE:
		note(c, LOG_NOTICE, "authentication refused: the %s was changed during the login", what);
		return PAM_AUTH_ERR;
	case -ENOENT:
		note(c, LOG_NOTICE, "authentication refused: the account was deleted during the login");
		return PAM_AUTH_ERR;
	default: /* logged by confirm() */
		return pam_code(c, r);
	}
}

/* After a login that stands, a hash below the configured cost is replaced
 * by a new hash of pw, computed with the database closed (rule 7): the
 * login password's (label NULL) or API password label's, old being the
 * hash the login verified.  -ESTALE: it changed since (a new password, a
 * reset, another use's rehash), and it is left alone.  Whatever happens
 * here, the login stands. */
static void rehash(struct ctx *c, const char *pw, const char *label, const char *old)
{
	char hash[ROSTER_HASH_MAX], what[ROSTER_NAME_MAX + 16] = "password";
	int r;

	if (label)
		snprintf(what, sizeof(what), "API password %s", label);
	if ((r = roster_password_hash(c->cfg, pw, hash)) < 0) {
		note(c, LOG_WARNING, "%s could not be rehashed: %s", what, roster_password_strerror(r));
	} else if (db_enter(c) == PAM_SUCCESS) {
		r = label ? roster_api_rehash(c->db, c->user, label, old, hash)
			  : roster_auth_rehash(c->db, c->user, old, hash);
		if (r == 0)
			note(c, LOG_NOTICE, "%s rehashed at the configured cost", what);
		else
			note(c, r == -ESTALE ? LOG_NOTICE : LOG_WARNING, "%s could not be rehashed: %s", what,
			     db_why(c, r));
		db_leave(c);
	}
	roster_wipe(hash, sizeof(hash)); /* rule 4 */
}

/* Rule 14, then the rehash: only for a login that stands (a refused one
 * hashes no more than a wrong password does: rule 12). */
static int after_success(struct ctx *c, const char *pw)
{
	int rv = db_enter(c), r;

	if (rv != PAM_SUCCESS)
		return rv;
	r = confirm(c, c->u->pwhash, false);
	db_leave(c);
	if (r != 0)
		return refused(c, r, "password");
	if (roster_auth_needs_rehash(c->cfg, c->u->pwhash) == 1)
		rehash(c, pw, NULL, c->u->pwhash);
	return PAM_SUCCESS;
}

/* roster_api_touch found the label's hash changed since the login read
 * it: another use rehashed it (rehash), or it was reset or removed.  The
 * records are read again and pw checked again against them
 * (roster_api_check, the database closed: rule 7); when pw is still that
 * label's API password, allowed here and not expired, the use is recorded
 * with the new hash.  0, and *a moves into c->apis read anew; else
 * -ESTALE, or what the second roster_api_touch said. */
static int touch_again(struct ctx *c, const struct roster_api **a, const char *pw)
{
	struct roster_api **v = NULL;
	const struct roster_api *n = NULL;
	int r;

	if (db_enter(c) != PAM_SUCCESS)
		return -ESTALE;
	r = roster_api_records(c->db, c->u, &v);
	db_leave(c);
	/* pw names its label: n is *a's label, as it is now */
	if (r == 0 && roster_api_check(c->cfg, v, c->service, pw, c->now, &n) == 0 &&
	    db_enter(c) == PAM_SUCCESS) {
		r = roster_api_touch(c->db, c->user, n->label, n->hash, c->service, c->now);
		db_leave(c);
	} else
		r = -ESTALE;
	if (r < 0) {
		roster_api_records_free(v);
		return r;
	}
	note(c, LOG_INFO, "API password %s changed during the login, and the password given is still it", n->label);
	roster_api_records_free(c->apis);
	c->apis = v;
	*a = n;
	return 0;
}

/* Rule 11: an "api" service. */
static int authenticate_api(struct ctx *c, const char *pw)
{
	const struct roster_api *a = NULL;
	const char *refusal;
	char buf[160];
	bool stale = false;
	int r, rv;

	if (strnlen(pw, ROSTER_PASSWORD_MAX + 1) > ROSTER_PASSWORD_MAX)
		return check_password(c, pw, "authentication failure"); /* rule 2 */
	if (!c->u || !c->u->api_enabled || !c->apis || !c->apis[0]) {
		r = roster_auth_verify_dummy(c->cfg, pw); /* rule 1: the same cost */
		if (r != -EACCES)
			return not_verified(c, "authentication failure", r); /* rule 13 */
		record_failure(c, !c->u ? "unknown user" : !c->u->api_enabled ? "API access is disabled for the user"
											: "the user has no API password");
		return PAM_AUTH_ERR;
	}
	r = roster_api_check(c->cfg, c->apis, c->service, pw, c->now, &a);
	if (r == -ETIMEDOUT || r == -EIO)
		return not_verified(c, "authentication failure", r); /* rule 13 */
	if (r == -EBADMSG) {
		note(c, LOG_ERR, "authentication failure: the stored hash of the API password is malformed or "
				 "outside the cost bounds of %s; refused without verifying it", c->cfg->path);
		return PAM_AUTH_ERR;
	}
	if (r < 0) {
		/* Never the text before the dot: it may be a mistyped password. */
		record_failure(c, r == -ETIME ? "the API password has expired"
				  : r == -EPERM ? "the API password does not cover this service"
				  : r == -ENOENT ? "wrong API password (no API password of that label)"
						 : "wrong API password");
		return PAM_AUTH_ERR;
	}
	if (locked_out(c))
		return refuse_locked(c, "authentication refused");
	if ((refusal = state_refusal(c, buf, sizeof(buf))) && c->state != ROSTER_AUTH_MUST_CHANGE) {
		note(c, LOG_NOTICE, "authentication refused: the account is %s", roster_auth_state_name(c->state));
		return PAM_AUTH_ERR;
	}
	if ((rv = db_enter(c)) != PAM_SUCCESS)
		return rv;
	/* The account, then the API password and the user's switch, as they
	 * are now; the use is recorded in the same transaction as that. */
	r = confirm(c, NULL, false);
	if (r == 0) {
		r = roster_api_touch(c->db, c->user, a->label, a->hash, c->service, c->now);
		stale = r == -ESTALE; /* the touch's, not confirm's */
		if (r < 0 && r != -ESTALE && r != -EPERM)
			note(c, LOG_ERR, "authentication refused: the use of API password %s could not be recorded: %s",
			     a->label, db_why(c, r));
	}
	db_leave(c);
	if (stale)
		r = touch_again(c, &a, pw);
	rv = r == 0 ? PAM_SUCCESS : refused(c, r, "API password");
	if (rv != PAM_SUCCESS)
		return rv;
	note(c, LOG_INFO, "authentication success with API password %s", a->label);
	if (roster_auth_needs_rehash(c->cfg, a->hash) == 1)
		rehash(c, pw, a->label, a->hash);
	return PAM_SUCCESS;
}

static int authenticate(struct ctx *c)
{
	const char *pw = NULL;
	char buf[160];
	const char *refusal;
	int rv;

	/* The database first: a caller that cannot read it is not asked
	 * for a password it could never have checked. */
	if ((rv = ctx_load(c, c->a.api)) != PAM_SUCCESS)
		return rv;
	if (c->a.api) {
		/* Read now, verified later with the database closed. */
		int r = c->u ? roster_api_records(c->db, c->u, &c->apis) : 0;

		db_leave(c);
		if (r < 0) {
			note(c, LOG_ERR, "cannot read the API passwords: %s", strerror(-r));
			return pam_code(c, r);
		}
	}
	rv = pam_get_authtok(c->pamh, PAM_AUTHTOK, &pw, NULL);
	if (rv != PAM_SUCCESS || !pw) {
		note(c, LOG_NOTICE, "authentication failure: no password obtained (%s)", pam_strerror(c->pamh, rv));
		/* libpam's PAM_AUTHTOK_ERR (a NULL answer) or PAM_CONV_ERR is
		 * not an answer the auth group gives: pam_sm_authenticate(3). */
		return rv == PAM_CONV_AGAIN ? PAM_INCOMPLETE : rv == PAM_BUF_ERR ? PAM_BUF_ERR : PAM_AUTH_ERR;
	}
	if (c->a.api)
		return authenticate_api(c, pw);
	if ((rv = check_password(c, pw, "authentication failure")) != PAM_SUCCESS)
		return rv;
	if (c->by_code) {
		/* Rule 10: the account step answers NEW_AUTHTOK_REQD for this
		 * handle only.  libpam keeps the mark until pam_end(). */
		int r;

		if ((rv = db_enter(c)) != PAM_SUCCESS)
			return rv;
		r = confirm(c, c->u->invite_hash, true);
		db_leave(c);
		if (r != 0)
			return refused(c, r, "invitation");
		rv = pam_set_data(c->pamh, INVITE_MARK, (void *)&invite_mark, NULL);
		if (rv != PAM_SUCCESS)
			return rv;
		note(c, LOG_INFO, "authentication success with an invitation code");
		return PAM_SUCCESS;
	}

	/* The password is right.  A refused state says so: whoever reads
	 * it has just proved they know the password.  Except a lockout:
	 * there the right password gets the same silent refusal, and the
	 * same counted failure, as a wrong one (rule 12). */
	if (locked_out(c))
		return refuse_locked(c, "authentication refused");
	if ((refusal = state_refusal(c, buf, sizeof(buf)))) {
		say(c, PAM_ERROR_MSG, "%s", refusal);
		note(c, LOG_NOTICE, "authentication refused: the account is %s", roster_auth_state_name(c->state));
		return PAM_AUTH_ERR;
	}
	if ((rv = after_success(c, pw)) != PAM_SUCCESS)
		return rv;
	note(c, LOG_INFO, "authentication success");
	return PAM_SUCCESS;
}

PAM_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ctx c;
	int rv = ctx_begin(&c, pamh, flags, argc, argv, STEP_AUTH);

	if (rv == PAM_SUCCESS)
		rv = authenticate(&c);
	ctx_end(&c);
	return rv;
}

PAM_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ctx c;
	int rv = ctx_begin(&c, pamh, flags, argc, argv, STEP_SETCRED);

	ctx_end(&c);
	return rv;
}

/* ---- account ---- */

static int account(struct ctx *c)
{
	enum roster_access acc;
	bool invited;
	const char *refusal;
	char buf[160];
	int rv, r;

	/* One open for the account and its roles: no hashing here. */
	if ((rv = ctx_load(c, true)) != PAM_SUCCESS)
		return rv;
	r = c->u ? roster_auth_service_access(c->db, c->u, c->service, c->a.require_roles, &acc) : 0;
	if (r < 0) {
		note(c, LOG_ERR, "cannot read the roles: %s", db_why(c, r));
		rv = pam_code(c, r);
	}
	db_leave(c);
	if (r < 0)
		return rv;
	if (!c->u) {
		note(c, LOG_NOTICE, "account refused: unknown user");
		return PAM_USER_UNKNOWN;
	}
	invited = c->state == ROSTER_AUTH_INVITED && code_proven(c);
	if (!invited && (refusal = state_refusal(c, buf, sizeof(buf)))) {
		say(c, PAM_ERROR_MSG, "%s", refusal);
		note(c, LOG_NOTICE, "account refused: the account is %s", roster_auth_state_name(c->state));
		return c->state == ROSTER_AUTH_EXPIRED ? PAM_ACCT_EXPIRED : PAM_PERM_DENIED;
	}
	if (acc == ROSTER_ACCESS_DENIED_ROLE || acc == ROSTER_ACCESS_DENIED_REQUIRED) {
		say(c, PAM_ERROR_MSG, "Your roles do not grant access to %s.", c->service);
		note(c, LOG_NOTICE, "account refused: %s",
		     acc == ROSTER_ACCESS_DENIED_ROLE ? "no role of the user lists this service"
						      : "the user holds none of the roles in require_role=");
		return PAM_PERM_DENIED;
	}
	if (invited) {
		say(c, PAM_TEXT_INFO, "Welcome.  Choose your own password now; your invitation code is its current password.");
		note(c, LOG_NOTICE, "account ok for an invitation: a password must be chosen");
		return PAM_NEW_AUTHTOK_REQD;
	}
	if (c->state == ROSTER_AUTH_MUST_CHANGE && !c->a.api) {
		say(c, PAM_ERROR_MSG, "You are required to change your password immediately (administrator enforced).");
		note(c, LOG_NOTICE, "account ok, but the password must be changed");
		return PAM_NEW_AUTHTOK_REQD;
	}
	note(c, LOG_INFO, "account ok%s", acc == ROSTER_ACCESS_ADMIN ? " (admin role)"
					  : acc == ROSTER_ACCESS_GRANTED ? " (granted by role)" : "");
	return PAM_SUCCESS;
}

PAM_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ctx c;
	int rv = ctx_begin(&c, pamh, flags, argc, argv, STEP_ACCOUNT);

	if (rv == PAM_SUCCESS)
		rv = account(&c);
	ctx_end(&c);
	return rv;
}

/* ---- password ---- */

/* The policy, and the reason shown in the conversation when it refuses. */
static int acceptable(struct ctx *c, const char *old, const char *pw)
{
	char why[256], rules[512];
	int r = policy_check(c->pamh, c->cfg, c->u, old, pw, why, sizeof(why), rules, sizeof(rules));

	/* root gave no current password: compare with the stored hash. */
	if (r == 0 && !old && c->u->pwhash) {
		r = roster_password_verify(c->cfg, c->u->pwhash, pw);
		if (r == 0) {
			snprintf(why, sizeof(why), "The password is the same as the current one.");
			r = -EINVAL;
		} else if (r == -EACCES || r == -EINVAL)
			r = 0; /* a different password, or a hash it cannot be */
	}
	if (r == -EINVAL) {
		say(c, PAM_ERROR_MSG, "BAD PASSWORD: %s", why);
		say(c, PAM_ERROR_MSG, "%s", rules);
		note(c, LOG_NOTICE, "password change refused by the policy: %s", why);
		return PAM_AUTHTOK_ERR;
	}
	if (r < 0) {
		note(c, LOG_ERR, "cannot check the password policy: %s", roster_password_strerror(r));
		return pam_code(c, r);
	}
	return PAM_SUCCESS;
}

/* The new password: from an earlier module (use_authtok, or one that
 * already set it), else asked for, checked, and asked for again. */
static int new_password(struct ctx *c, const char *old, const char **out)
{
	const void *item = NULL;
	const char *pw = NULL;
	int rv;

	if (pam_get_item(c->pamh, PAM_AUTHTOK, &item) != PAM_SUCCESS)
		item = NULL;
	if (item) {
		/* pam_pwquality (or the like) asked for it and had it retyped. */
		rv = acceptable(c, old, item);
		if (rv == PAM_SUCCESS) {
			*out = item;
			return rv;
		}
		if (!c->a.try_first_pass || c->a.use_authtok || c->a.use_first_pass)
			return rv;
		/* try_first_pass: the earlier one would not do; ask afresh. */
		pam_set_item(c->pamh, PAM_AUTHTOK, NULL);
	} else if (c->a.use_authtok || c->a.use_first_pass) {
		note(c, LOG_ERR, "password change refused: use_authtok, but no earlier module set a new password");
		return PAM_AUTHTOK_ERR;
	}
	rv = pam_get_authtok_noverify(c->pamh, &pw, NULL);
	if (rv != PAM_SUCCESS || !pw) {
		note(c, LOG_NOTICE, "password change aborted: no new password (%s)", pam_strerror(c->pamh, rv));
		return PAM_AUTHTOK_ERR;
	}
	if ((rv = acceptable(c, old, pw)) != PAM_SUCCESS) {
		pam_set_item(c->pamh, PAM_AUTHTOK, NULL);
		return rv;
	}
	/* libpam says "Sorry, passwords do not match." itself. */
	rv = pam_get_authtok_verify(c->pamh, &pw, NULL);
	if (rv != PAM_SUCCESS || !pw) {
		note(c, LOG_NOTICE, "password change refused: the new password was not retyped the same");
		return PAM_AUTHTOK_ERR;
	}
	*out = pw;
	return PAM_SUCCESS;
}

static int chauthtok(struct ctx *c)
{
	/* passwd is setuid: its real uid is the user's.  A forced change at
	 * login (PAM_CHANGE_EXPIRED_AUTHTOK) asks again even as root. */
	bool ask_current = getuid() != 0 || (c->flags & PAM_CHANGE_EXPIRED_AUTHTOK);
	const void *item = NULL;
	const char *old = NULL, *pw = NULL;
	const char *refusal;
	char buf[160], hash[ROSTER_HASH_MAX];
	bool invited;
	int rv, r;

	if (c->a.api) {
		note(c, LOG_NOTICE, "password change refused: API passwords are set with roster api reset");
		say(c, PAM_ERROR_MSG, "API passwords are managed by the administrator.");
		return PAM_PERM_DENIED;
	}
	if ((rv = ctx_load(c, false)) != PAM_SUCCESS)
		return rv;
	if (!c->u) {
		note(c, LOG_NOTICE, "password change refused: unknown user");
		return PAM_USER_UNKNOWN;
	}
	invited = c->state == ROSTER_AUTH_INVITED;
	if ((c->flags & PAM_CHANGE_EXPIRED_AUTHTOK) && !c->u->must_change && !invited) {
		note(c, LOG_DEBUG, "the password has not expired: nothing to change");
		return PAM_SUCCESS;
	}
	if (invited && !ask_current) {
		/* root's passwd NAME would skip the code: an invitation is
		 * redeemed by the invitee, or handled with roster. */
		note(c, LOG_NOTICE, "password change refused: %s has a pending invitation", c->who);
		say(c, PAM_ERROR_MSG, "This account has a pending invitation; use roster to manage it.");
		return PAM_PERM_DENIED;
	}
	if (ask_current && !invited && (refusal = state_refusal(c, buf, sizeof(buf)))) {
		say(c, PAM_ERROR_MSG, "%s", refusal);
		note(c, LOG_NOTICE, "password change refused: the account is %s", roster_auth_state_name(c->state));
		return PAM_PERM_DENIED;
	}
	if (c->flags & PAM_PRELIM_CHECK) {
		if (!ask_current)
			return PAM_SUCCESS;
		rv = pam_get_authtok(c->pamh, PAM_OLDAUTHTOK, &old,
				     invited ? "Invitation code: " : "Current password: ");
		if (rv != PAM_SUCCESS || !old) {
			note(c, LOG_NOTICE, "password change aborted: no current password (%s)",
			     pam_strerror(c->pamh, rv));
			return rv == PAM_SUCCESS ? PAM_AUTH_ERR : rv;
		}
		rv = check_password(c, old, "password change refused");
		if (rv == PAM_SUCCESS)
			note(c, LOG_DEBUG, "current password verified");
		return rv;
	}
	if (!(c->flags & PAM_UPDATE_AUTHTOK)) {
		note(c, LOG_ERR, "password: neither PAM_PRELIM_CHECK nor PAM_UPDATE_AUTHTOK");
		return PAM_ABORT;
	}
	if (ask_current) {
		/* Verified again: the item may have changed since the first pass. */
		if (pam_get_item(c->pamh, PAM_OLDAUTHTOK, &item) != PAM_SUCCESS || !item) {
			note(c, LOG_NOTICE, "password change refused: no current password");
			return PAM_AUTH_ERR;
		}
		old = item;
		if ((rv = check_password(c, old, "password change refused")) != PAM_SUCCESS)
			return rv;
	}
	if ((rv = new_password(c, old, &pw)) != PAM_SUCCESS)
		return rv;
	/* Hashed before the database is opened: no lock across a hash. */
	r = roster_password_hash(c->cfg, pw, hash);
	if (r == 0 && (rv = db_enter(c)) != PAM_SUCCESS) {
		roster_wipe(hash, sizeof(hash));
		return rv;
	}
	if (r == 0 && invited)
		r = roster_invite_redeem(c->db, c->user, c->u->invite_hash, hash); /* rule 10: burned */
	else if (r == 0)
		r = roster_auth_change_password(c->db, c->user, ask_current ? c->user : roster_actor(),
						c->u->pwhash, hash);
	roster_wipe(hash, sizeof(hash)); /* rule 4 */
	if (r < 0) {
		note(c, LOG_ERR, "password change failed: %s", c->db ? db_why(c, r) : roster_password_strerror(r));
		say(c, PAM_ERROR_MSG, "The password could not be changed.");
		rv = pam_code(c, r);
	} else
		note(c, LOG_NOTICE, invited ? "invitation accepted: password chosen, account active"
					    : "password changed");
	db_leave(c);
	return r < 0 ? rv : PAM_SUCCESS;
}

PAM_EXPORT int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ctx c;
	int rv = ctx_begin(&c, pamh, flags, argc, argv, STEP_PASSWORD);

	if (rv == PAM_SUCCESS)
		rv = chauthtok(&c);
	ctx_end(&c);
	return rv;
}

/* ---- session ---- */

PAM_EXPORT int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ctx c;
	int r, rv = ctx_begin(&c, pamh, flags, argc, argv, STEP_SESSION);

	if (rv == PAM_SUCCESS)
		rv = ctx_config(&c);
	if (rv == PAM_SUCCESS)
		rv = db_enter(&c);
	if (rv == PAM_SUCCESS) {
		r = roster_auth_login(c.db, c.user, c.now, c.service, c.rhost);
		if (r == -ENOENT)
			note(&c, LOG_DEBUG, "not a roster user: session ignored");
		else if (r == -EBUSY) {
			/* The last login is a record, not a condition of the
			 * session: it is not worth a session that hangs. */
			note(&c, LOG_WARNING, "session opened; the login was not recorded: %s", db_why(&c, r));
			r = 0;
		} else if (r < 0)
			note(&c, LOG_ERR, "cannot record the login: %s", db_why(&c, r));
		else
			note(&c, LOG_INFO, "session opened");
		rv = pam_code(&c, r);
		db_leave(&c);
	}
	ctx_end(&c);
	return rv;
}

PAM_EXPORT int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ctx c;
	int rv = ctx_begin(&c, pamh, flags, argc, argv, STEP_SESSION);

	if (rv == PAM_SUCCESS)
		note(&c, LOG_DEBUG, "session closed");
	ctx_end(&c);
	return rv;
}
