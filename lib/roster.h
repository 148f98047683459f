/* roster.h - the public interface of libroster, the core of roster.
 *
 * Conventions (see HACKING.md):
 *  - Fallible functions return 0 or a negative errno and are marked
 *    ROSTER_MUST_CHECK.  They never print and never exit.
 *  - Out-parameters are owned by the caller and freed with the matching
 *    roster_*_free(), which accepts NULL.
 *  - A human-readable reason for the last refusal is kept per database
 *    handle: roster_db_error(db).
 */
#ifndef ROSTER_H
#define ROSTER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define ROSTER_MUST_CHECK __attribute__((warn_unused_result))

#define ROSTER_NAME_MAX 32        /* user and role names (Debian's limit) */
#define ROSTER_EMAIL_MAX 254      /* RFC 5321 path limit */
#define ROSTER_GECOS_PART_MAX 64  /* first or last name, in bytes */
#define ROSTER_TEXT_MAX 256       /* descriptions */
/* Roles one user holds: a role change records the old and the new list in
 * one history field of at most 1 MiB, and 15,000 names of 32 bytes fit
 * twice.  (The kernel's NGROUPS_MAX, 65,536, is the next limit.) */
#define ROSTER_USER_ROLES_MAX 15000
#define ROSTER_PASSWORD_MAX 512   /* PAM_MAX_RESP_SIZE */
#define ROSTER_UUID_LEN 36

/* ---- configuration (config.c) ---- */

enum roster_pg_policy {
	ROSTER_PG_PRIVATE, /* a group per user, gid == uid when free */
	ROSTER_PG_SHARED,  /* every user's primary group is one named group */
};

struct roster_config {
	char *path;          /* the file this was read from */
	char *dbdir;         /* [database] dir */
	unsigned hash_size;  /* [database] hash_size, for a new accounts.tdb */
	uint32_t uid_min, uid_max;
	char *default_shell; /* [users] shell */
	char *home_base;     /* [users] home_base */
	enum roster_pg_policy pg_policy;
	char *pg_name;       /* [users] primary_group when shared */
	char *admin_role;    /* [roles] admin_role */
	unsigned long long opslimit; /* [passwords] cost */
	size_t memlimit;
	unsigned min_length; /* [passwords] min_length */
	unsigned max_concurrent; /* [passwords] argon2id computations at once, machine-wide */
	unsigned max_wait;       /* [passwords] seconds to wait for one of them */
	/* [auth] lockout policy, used by pam_roster */
	unsigned deny;
	unsigned fail_interval; /* seconds */
	unsigned unlock_time;   /* seconds */
	/* [system] files consulted for collisions; overridable for tests */
	char *passwd_file, *group_file, *shells_file;
	char *nsswitch_file, *pam_dir, *nscd_conf; /* what roster doctor reads */
	/* [invite] */
	unsigned invite_lifetime;  /* seconds */
	char *mail_command;        /* split on blanks, run without a shell */
	char *invite_template, *welcome_template;
	char *login_hint;          /* how to log in, for the messages */
};

int roster_config_load(const char *path, struct roster_config **out) ROSTER_MUST_CHECK;
void roster_config_free(struct roster_config *cfg);
/* Why the last roster_config_load() in this thread failed: "file:line: ..." */
const char *roster_config_error(void);
/* The path the CLI and PAM use when none is given: $ROSTER_CONFIG (ignored
 * in setuid processes) or /etc/roster/roster.conf. */
const char *roster_config_default_path(void);

/* ---- records ---- */

enum roster_status {
	ROSTER_ACTIVE = 0,
	ROSTER_DISABLED = 1,
	ROSTER_INVITED = 2,
	ROSTER_DELETED = 3, /* a tombstone: name and uid stay reserved */
};

#define ROSTER_NO_DATE INT64_MIN

struct roster_user {
	char *name;
	uint32_t uid, gid;
	char uuid[ROSTER_UUID_LEN + 1];
	char *email;
	char *first, *last;      /* may be NULL */
	char *supervisor;        /* may be NULL */
	char *shell, *home;
	enum roster_status status;
	char **roles;            /* NULL-terminated, sorted, may be NULL */
	bool must_change;
	int64_t expires;         /* days since the epoch, or ROSTER_NO_DATE */
	int64_t created, updated;/* seconds since the epoch, UTC */
	char *created_by, *updated_by;
	char *pwhash;            /* "$argon2id$..." or NULL: no password login */
	/* authentication state, written by pam_roster */
	uint32_t fail_count;
	int64_t fail_first, locked_until;
	int64_t last_login;
	char *last_service, *last_host;
	/* a pending invitation: only a hash of the code is kept */
	char *invite_hash;
	int64_t invite_sent, invite_expires;
	char *invited_by;
	/* direct API access: the switch, and the labels of api/NAME/LABEL */
	bool api_enabled;
	char **api_labels;
	/* fields this version does not know, kept verbatim (forward compatible) */
	void *unknown;
	size_t unknown_len;
};

struct roster_role {
	char *name;
	uint32_t gid;
	char *description;   /* may be NULL */
	char **services;     /* NULL-terminated PAM service names, may be NULL */
	int64_t created, updated;
	char *created_by, *updated_by;
	void *unknown;
	size_t unknown_len;
};

struct roster_change {
	char *field;
	char *old_value, *new_value; /* NULL for secret fields and absent values */
	bool secret;
};

struct roster_event {
	uint64_t seq;
	int64_t time;
	char *actor;
	char *action;        /* "user.add", "role.assign", ... */
	char *subject;       /* the user or role acted on */
	struct roster_change *changes;
	size_t nchanges;
	unsigned char prev_hash[32]; /* BLAKE2b of the previous event */
};

void roster_user_free(struct roster_user *u);
void roster_role_free(struct roster_role *r);
void roster_event_free(struct roster_event *e);
void roster_strv_free(char **v);
size_t roster_strv_len(char *const *v);
/* Adds s to the sorted vector *v unless it is there; 0 or -ENOMEM. */
int roster_strv_add(char ***v, const char *s) ROSTER_MUST_CHECK;
char **roster_strv_copy(char *const *v);

const char *roster_status_name(enum roster_status s);
int roster_status_parse(const char *s, enum roster_status *out) ROSTER_MUST_CHECK;

/* vsnprintf for messages that quote what they refuse: one too long for out
 * (outlen >= 16) keeps its head and its tail, where the reason usually is,
 * around " ... ", so that a value of a megabyte cannot push the reason out. */
void roster_vformat(char *out, size_t outlen, const char *fmt, va_list ap);

/* ---- validation (validate.c); each returns 0 or -EINVAL ---- */

int roster_valid_name(const char *name) ROSTER_MUST_CHECK;
int roster_valid_email(const char *email) ROSTER_MUST_CHECK;
int roster_valid_gecos_part(const char *s) ROSTER_MUST_CHECK;
int roster_valid_text(const char *s, size_t max) ROSTER_MUST_CHECK;
int roster_valid_service(const char *s) ROSTER_MUST_CHECK;
/* Length of the UTF-8 sequence at s (1-4), or 0 when it is malformed,
 * overlong, a surrogate or beyond U+10FFFF. */
size_t roster_utf8_len(const char *s);
/* Normalises an absolute path into out (collapses "//", "/./", trailing
 * "/"); refuses "..", relative paths, ':' and control characters. */
int roster_normalize_path(const char *in, char *out, size_t outlen) ROSTER_MUST_CHECK;
/* YYYY-MM-DD -> days since 1970-01-01; strict, calendar-checked. */
int roster_parse_date(const char *s, int64_t *days) ROSTER_MUST_CHECK;
void roster_format_date(int64_t days, char out[11]);
void roster_format_time(int64_t t, char out[21]); /* 2026-11-23T07:40:13Z */
/* Splits "a,b,c" into a sorted, de-duplicated vector of services. */
int roster_parse_services(const char *list, char ***out) ROSTER_MUST_CHECK;

/* ---- passwords (password.c) ---- */

/* Each argon2id computation (a hash or a verification, so also the dummy
 * one, invitation codes and API passwords) holds one of [passwords]
 * max_concurrent slots in <dbdir>/verify.lock while it runs, shared by
 * every process on the machine (hashslot.c).  It waits at most [passwords]
 * max_wait seconds for one, then fails with -ETIMEDOUT having computed
 * nothing; -ENOENT when the database directory does not exist. */
#define ROSTER_HASH_SLOTS_MAX 256  /* [passwords] max_concurrent, 1..256 */
#define ROSTER_HASH_WAIT_MAX 3600  /* [passwords] max_wait, 1s..1h */

/* out must hold ROSTER_HASH_MAX bytes. */
#define ROSTER_HASH_MAX 128
int roster_password_hash(const struct roster_config *cfg, const char *pw,
			 char out[ROSTER_HASH_MAX]) ROSTER_MUST_CHECK;
/* 0 on match, -EACCES on mismatch, -EINVAL for a hash outside the bounds.
 * hash is argon2id, or a crypt(3) hash adopted from /etc/shadow (verified
 * through libcrypt; roster_auth_needs_rehash() says to replace it). */
int roster_password_verify(const struct roster_config *cfg, const char *hash,
			   const char *pw) ROSTER_MUST_CHECK;
/* "argon2id", or the crypt(3) scheme of an adopted hash ("yescrypt",
 * "sha512crypt", ...), or NULL for anything roster does not verify. */
const char *roster_hash_scheme(const char *hash);
/* 0 when roster can verify hash: argon2id within the cost bounds, or a
 * well-formed hash of a strong crypt(3) scheme; else -EINVAL. */
int roster_valid_hash(const struct roster_config *cfg, const char *hash) ROSTER_MUST_CHECK;
/* Why a hash or a verification failed, in words (-ETIMEDOUT names the
 * slots and max_wait rather than a network). */
const char *roster_password_strerror(int r);
/* A random password of 20 characters from an unambiguous alphabet. */
int roster_password_generate(char *out, size_t outlen) ROSTER_MUST_CHECK;
/* Wipes and frees a secret; accepts NULL. */
void roster_secret_free(char *s);
void roster_wipe(void *p, size_t n);

/* ---- the database (store.c) ---- */

struct roster_db;

enum {
	ROSTER_OPEN_CREATE = 1 << 0, /* create the directory and databases */
	/* Map accounts.tdb, for a caller that reads all or most records (a
	 * walk, an export, an import, a check).  Without it every read is a
	 * pread(2) into a copy (wiped once read), which makes a walk about 4
	 * times slower, but a commit no longer msync(2)s a mapping of the
	 * whole file: a single change at a million users took 15.7-19.2 ms
	 * mapped and 10.8-11.6 ms unmapped.  roster_txn_begin() opens the
	 * file again, mapped, when it must rebuild the view. */
	ROSTER_OPEN_MAP = 1 << 1,
};

int roster_db_open(const struct roster_config *cfg, int flags,
		   struct roster_db **out) ROSTER_MUST_CHECK;
void roster_db_close(struct roster_db *db);
/* Why the last call on db failed, in words for an administrator. */
const char *roster_db_error(const struct roster_db *db);
const struct roster_config *roster_db_config(const struct roster_db *db);

/* A write is one transaction: begin, any number of changes, commit.  begin
 * waits for other writers; commit updates the NSS view.  abort drops all. */
int roster_txn_begin(struct roster_db *db, const char *actor) ROSTER_MUST_CHECK;
int roster_txn_commit(struct roster_db *db) ROSTER_MUST_CHECK;
void roster_txn_abort(struct roster_db *db);

/* The actor for history: $SUDO_USER when root under sudo, else the login
 * name of the invoking user.  Returns a static string. */
const char *roster_actor(void);

/* ---- users (user.c) ---- */

int roster_user_get(struct roster_db *db, const char *name,
		    struct roster_user **out) ROSTER_MUST_CHECK;
/* u->name, email and optional fields in; uid, gid, uuid, times out. */
int roster_user_add(struct roster_db *db, struct roster_user *u) ROSTER_MUST_CHECK;
/* Writes u over the stored user of the same name, recording every changed
 * field in history under action.  Name and uid cannot change. */
int roster_user_update(struct roster_db *db, struct roster_user *u,
		       const char *action) ROSTER_MUST_CHECK;

/* Deletes a user, leaving a tombstone: the name, uid, gid, uuid and
 * history stay so that none is reused; email, names, password, roles and
 * login state go, and direct reports lose their supervisor.  Obeys the
 * rails (not oneself, never the last active admin). */
int roster_user_delete(struct roster_db *db, const char *name) ROSTER_MUST_CHECK;
/* Whether roster has ever handed out id, as a uid or a gid (one counter
 * serves both; deleted accounts keep theirs). */
bool roster_id_used(struct roster_db *db, uint32_t id);
/* The names of the users whose supervisor is name, sorted. */
int roster_user_reports(struct roster_db *db, const char *name, char ***out) ROSTER_MUST_CHECK;

struct roster_user_filter {
	const char *role;       /* NULL: any */
	const char *supervisor; /* NULL: any */
	int status;             /* -1: any live user */
	bool api;               /* only users with API passwords */
};
/* Calls fn for each matching user, in no particular order; a non-zero
 * return from fn stops the walk and is returned. */
typedef int (*roster_user_fn)(const struct roster_user *u, void *priv);
int roster_user_foreach(struct roster_db *db, const struct roster_user_filter *f,
			roster_user_fn fn, void *priv) ROSTER_MUST_CHECK;

/* ---- roles (role.c) ---- */

int roster_role_get(struct roster_db *db, const char *name,
		    struct roster_role **out) ROSTER_MUST_CHECK;
int roster_role_add(struct roster_db *db, struct roster_role *r) ROSTER_MUST_CHECK;
int roster_role_update(struct roster_db *db, struct roster_role *r) ROSTER_MUST_CHECK;
int roster_role_delete(struct roster_db *db, const char *name) ROSTER_MUST_CHECK;
int roster_role_assign(struct roster_db *db, const char *role,
		       const char *user) ROSTER_MUST_CHECK;
int roster_role_revoke(struct roster_db *db, const char *role,
		       const char *user) ROSTER_MUST_CHECK;
/* All role names, sorted.  The caller frees with roster_strv_free. */
int roster_role_names(struct roster_db *db, char ***out) ROSTER_MUST_CHECK;
/* Member names of a role, sorted. */
int roster_role_members(struct roster_db *db, const char *role,
			char ***out) ROSTER_MUST_CHECK;
/* How many members a role has, without listing them. */
int roster_role_member_count(struct roster_db *db, const char *role,
			     size_t *n) ROSTER_MUST_CHECK;

/* ---- invitations (invite.c) ---- */

#define ROSTER_INVITE_CODE_MAX 40 /* "XXXX-XXXX-...": 28 symbols, 6 dashes */

/* A new code (printable, grouped for reading aloud) and its hash.  Outside
 * a transaction: hashing takes time.  The caller wipes code. */
int roster_invite_code_new(const struct roster_config *cfg, char code[ROSTER_INVITE_CODE_MAX],
			   char hash[ROSTER_HASH_MAX]) ROSTER_MUST_CHECK;

struct roster_invite {
	const char *email, *role;           /* required */
	const char *username;               /* NULL: from the email's local part */
	const char *first, *last, *supervisor;
	unsigned lifetime;                  /* seconds; 0: [invite] lifetime */
};
/* Creates the invited user (status invited, the role, the code's hash). */
int roster_invite_create(struct roster_db *db, const struct roster_invite *in, const char *code_hash,
			 struct roster_user **out) ROSTER_MUST_CHECK;
/* A fresh code for a pending invite: the old one stops working. */
int roster_invite_renew(struct roster_db *db, const char *name, unsigned lifetime,
			const char *code_hash, struct roster_user **out) ROSTER_MUST_CHECK;
/* Removes the invited account; its name and uid stay reserved. */
int roster_invite_revoke(struct roster_db *db, const char *name) ROSTER_MUST_CHECK;
/* 0 when code is u's pending code; -EACCES wrong, -ETIME expired, -ENOENT
 * no pending invite; -ETIMEDOUT no argon2id slot (nothing checked).
 * Constant time in the code (an argon2id verify). */
int roster_invite_verify(const struct roster_config *cfg, const struct roster_user *u, const char *code,
			 int64_t now) ROSTER_MUST_CHECK;
/* Redeems: the new password's hash replaces the code, the user becomes
 * active, history records invite.accept by the transaction's actor.
 * code_hash (may be NULL) is the code's hash as verified: -ESTALE if the
 * invitation was renewed since. */
int roster_invite_accept(struct roster_db *db, const char *name, const char *code_hash,
			 const char *new_hash) ROSTER_MUST_CHECK;
/* roster_invite_accept in a transaction of its own, by the invitee. */
int roster_invite_redeem(struct roster_db *db, const char *name, const char *code_hash,
			 const char *new_hash) ROSTER_MUST_CHECK;
/* Renders template_path for u (and code, may be NULL) and pipes it to
 * [invite] mail_command.  err says why it failed, for the admin. */
int roster_mail_send(const struct roster_config *cfg, const char *template_path,
		     const struct roster_user *u, const char *code, char *err, size_t errlen) ROSTER_MUST_CHECK;
/* What roster_mail_send can know before anything is written: the template
 * reads (at most 1 MiB, no NUL byte) and the mail command's program is
 * executable.  A command that mails checks first, so that a broken setup
 * refuses it with nothing changed. */
int roster_mail_check(const struct roster_config *cfg, const char *template_path, char *err,
		      size_t errlen) ROSTER_MUST_CHECK;

/* ---- API passwords (api.c) ----
 *
 * Passwords for programs, separate from the login password: a PAM service
 * whose pam_roster line says "api" accepts only these, and only while the
 * user's switch is on; any other service never accepts them. */

struct roster_api {
	char *label;
	char *hash;          /* argon2id; never shown */
	char **services;     /* PAM services it may be used for; NULL: any api service */
	int64_t created;
	int64_t expires;     /* days since the epoch, or ROSTER_NO_DATE */
	int64_t last_used;   /* 0: never */
	char *last_service;
	char *created_by;
	void *unknown;
	size_t unknown_len;
};
void roster_api_free(struct roster_api *a);
int roster_valid_label(const char *label) ROSTER_MUST_CHECK;

/* The switch; history records api.enable / api.disable. */
int roster_api_set_enabled(struct roster_db *db, const char *user, bool on) ROSTER_MUST_CHECK;
/* Creates or replaces the API password label (hash made by the caller). */
int roster_api_reset(struct roster_db *db, const char *user, const char *label, const char *hash,
		     char *const *services, int64_t expires) ROSTER_MUST_CHECK;
int roster_api_remove(struct roster_db *db, const char *user, const char *label) ROSTER_MUST_CHECK;
/* The user's API passwords, by label; fn gets each (hash included: the
 * caller must not show it). */
typedef int (*roster_api_fn)(const struct roster_user *u, const struct roster_api *a, void *priv);
int roster_api_foreach(struct roster_db *db, const char *user, roster_api_fn fn, void *priv) ROSTER_MUST_CHECK;
/* An API password is its label, ROSTER_API_SEP and a secret ("deploy.
 * 7hKq..."): the label says which hash to verify, so an attempt costs one
 * argon2id verification however many API passwords the user has.  Whether
 * pw is such a password of label, secret not empty. */
#define ROSTER_API_SEP '.'
bool roster_api_password_of(const char *label, const char *pw);
/* For pam_roster, in two steps so that no hashing happens with the
 * database open: the records of u (a NULL-terminated array), then the
 * check of pw against the one its label names (none: a dummy verification
 * of the same cost): 0 and *match (inside v) when it matches, is allowed
 * for service and not expired; -EACCES a wrong secret, -ENOENT no label
 * of that name (after the dummy), -ETIME it has expired, -EPERM it
 * excludes service, -EBADMSG its stored hash is malformed or out of the
 * configured bounds (not verified; a dummy paid instead).  The caller
 * checks u->api_enabled.  -ETIMEDOUT (no argon2id slot) or -EIO: nothing
 * was checked, and pw is not known to be wrong. */
int roster_api_records(struct roster_db *db, const struct roster_user *u,
		       struct roster_api ***out) ROSTER_MUST_CHECK;
void roster_api_records_free(struct roster_api **v);
int roster_api_check(const struct roster_config *cfg, struct roster_api *const *v, const char *service,
		     const char *pw, int64_t now, const struct roster_api **match) ROSTER_MUST_CHECK;
/* Records a use of the API password label, verified against hash:
 * last_used and last_service, one tdb transaction.  -ESTALE when the label
 * was removed or replaced since, -EPERM when the user's API access was
 * turned off: the login must then be refused. */
int roster_api_touch(struct roster_db *db, const char *user, const char *label, const char *hash,
		     const char *service, int64_t now) ROSTER_MUST_CHECK;
/* After a login with the API password label, whose hash old_hash is below
 * the configured cost: new_hash replaces it (history "api.rehash", the
 * secret by name only), in a transaction of its own.  -ESTALE when the
 * label was removed or replaced since the login verified old_hash. */
int roster_api_rehash(struct roster_db *db, const char *user, const char *label, const char *old_hash,
		      const char *new_hash) ROSTER_MUST_CHECK;

/* ---- export and import (transfer.c) ---- */

enum roster_format { ROSTER_FORMAT_JSON, ROSTER_FORMAT_CSV };

/* Writes the id counter, every role, every user (tombstones and hashes
 * included) and every API password to f, sorted, in one read-locked pass.
 * Secrets go out: the caller makes sure f is only root's. */
int roster_export(struct roster_db *db, enum roster_format fmt, FILE *f) ROSTER_MUST_CHECK;

struct roster_import_options {
	enum roster_format format;
	bool dry_run;         /* check and report, write nothing */
	bool all_or_nothing;  /* one rejected record: write nothing */
	unsigned batch;       /* users per transaction; 0: 50,000 */
	FILE *passwd, *shadow; /* adopt users from these (shadow may be NULL) */
	uint32_t min_uid;      /* adopt from this uid up */
};
struct roster_import_report {
	unsigned long records, rejected, skipped; /* skipped: system accounts not adopted */
	unsigned long roles, users, apis, batches; /* written */
};
typedef void (*roster_reject_fn)(unsigned long line, const char *reason, void *priv);
/* Reads every record of in (or o->passwd), checks them all against the
 * database, the system files and each other, reports each rejected one to
 * fn, then writes the valid ones in batches (unless dry_run, or
 * all_or_nothing and one was rejected: -EINVAL).  Hashes are copied. */
int roster_import(struct roster_db *db, FILE *in, const struct roster_import_options *o,
		  roster_reject_fn fn, void *priv, struct roster_import_report *rep) ROSTER_MUST_CHECK;
/* The parser alone, without a database (for fuzzing and tools): the
 * number of records, and each one the parser itself rejects. */
int roster_import_parse(FILE *in, enum roster_format fmt, roster_reject_fn fn, void *priv,
			unsigned long *records) ROSTER_MUST_CHECK;

/* ---- history (history.c) ---- */

typedef int (*roster_event_fn)(const struct roster_event *e, void *priv);
/* Events about subject (NULL: all), oldest first. */
int roster_history_foreach(struct roster_db *db, const char *subject,
			   roster_event_fn fn, void *priv) ROSTER_MUST_CHECK;

/* ---- consistency (check.c) ---- */

struct roster_check_report {
	unsigned users, roles, events;
	unsigned problems;      /* found */
	unsigned repaired;      /* fixed by repair */
	bool view_stale;
};
typedef void (*roster_problem_fn)(const char *what, void *priv);
int roster_db_check(struct roster_db *db, bool repair, roster_problem_fn fn,
		    void *priv, struct roster_check_report *rep) ROSTER_MUST_CHECK;
/* Writes every view shard from the accounts database. */
int roster_view_rebuild(struct roster_db *db) ROSTER_MUST_CHECK;

/* ---- authentication state (auth.c), for pam_roster and roster user unlock ----
 *
 * Logins write failure counts, lockouts and the last login each in one tdb
 * transaction of their own: no writers' lock, no view update, no history.
 * Password changes, rehashes and unlocks are ordinary roster transactions
 * with history.  Times are seconds since the epoch (roster_now()). */

enum roster_auth_state {
	ROSTER_AUTH_OK = 0,
	ROSTER_AUTH_UNKNOWN,     /* no such user, or a deleted one */
	ROSTER_AUTH_DISABLED,
	ROSTER_AUTH_INVITED,     /* the invitation is not redeemed yet */
	ROSTER_AUTH_EXPIRED,     /* past the expiry date (the date itself still works) */
	ROSTER_AUTH_LOCKED,      /* too many failed logins; locked_until is ahead */
	ROSTER_AUTH_MUST_CHANGE, /* may log in, but must change the password */
};
const char *roster_auth_state_name(enum roster_auth_state s);
/* The first that applies, in the order of the enum after OK. */
enum roster_auth_state roster_auth_state(const struct roster_user *u, int64_t now);
/* Whether a lockout is running at now, whatever else the account is
 * (roster_auth_state names a disabled or expired account first; a login
 * must answer a lockout first: pam_roster's rule 12). */
bool roster_auth_locked(const struct roster_user *u, int64_t now);
/* Loads name and decides its state.  An unknown or deleted user is not an
 * error: 0, *out NULL, *state ROSTER_AUTH_UNKNOWN.  The caller frees *out. */
int roster_auth_lookup(struct roster_db *db, const char *name, int64_t now,
		       struct roster_user **out, enum roster_auth_state *state) ROSTER_MUST_CHECK;

struct roster_auth_tally {
	uint32_t fail_count;  /* failures within fail_interval, this one included */
	int64_t locked_until; /* 0: not locked; INT64_MAX: until unlocked by hand */
	bool locked_now;      /* this failure started the lockout */
};
/* One failed login: counts it, and locks the account for unlock_time when
 * it is the deny-th within fail_interval ([lockout]; deny = 0 never locks,
 * unlock_time = 0 locks until roster user unlock).  Racing calls are all
 * counted.  A missing user is counted in meta/auth_unknown instead, at the
 * same cost, and gives -ENOENT. */
int roster_auth_fail(struct roster_db *db, const char *name, int64_t now,
		     struct roster_auth_tally *out) ROSTER_MUST_CHECK;
/* The last word on a login whose secret was verified: the record is read
 * again, since the verification took its time.  hash is what the secret
 * was verified against (the password hash, or with invite the invitation
 * code's; NULL: an API password).  0: the login stands and the failure
 * count is cleared (nothing is written when there is nothing to clear).
 * -EACCES: *state refuses it now (for a password, anything but OK and
 * MUST_CHANGE; for an invitation, anything but INVITED); when the account
 * is LOCKED the attempt is counted as a failure.  -ESTALE: the secret was
 * changed meanwhile.  -ENOENT: the user is gone. */
int roster_auth_success(struct roster_db *db, const char *name, int64_t now, const char *hash, bool invite,
			enum roster_auth_state *state) ROSTER_MUST_CHECK;
/* A successful login whose hash is below the configured cost: stores
 * new_hash (if the stored hash is still old_hash, else -ESTALE), in one
 * roster transaction with a "password.rehash" event.  The failure count is
 * roster_auth_success's to clear. */
int roster_auth_rehash(struct roster_db *db, const char *name, const char *old_hash,
		       const char *new_hash) ROSTER_MUST_CHECK;
/* Records the last login: time, service and remote host (may be NULL),
 * both cut to printable ASCII. */
int roster_auth_login(struct roster_db *db, const char *name, int64_t now, const char *service,
		      const char *host) ROSTER_MUST_CHECK;
/* Inside roster_txn_begin/commit: ends a lockout and clears the count, with
 * a "user.unlock" event; *before (may be NULL) gets what was there. */
int roster_auth_unlock(struct roster_db *db, const char *name,
		       struct roster_auth_tally *before) ROSTER_MUST_CHECK;
/* How many failed logins named no roster user. */
int roster_auth_unknown_failures(struct roster_db *db, uint64_t *n) ROSTER_MUST_CHECK;

/* Verifies pw against a random hash of the configured cost: what a login
 * as an unknown user, or one without a password, costs, slot included.
 * Always fails: -EACCES, or -E2BIG for a password over ROSTER_PASSWORD_MAX,
 * or -ETIMEDOUT when no argon2id slot came free (nothing computed). */
int roster_auth_verify_dummy(const struct roster_config *cfg, const char *pw) ROSTER_MUST_CHECK;
/* 1 when hash is an argon2id hash below the configured cost. */
int roster_auth_needs_rehash(const struct roster_config *cfg, const char *hash);
/* A password change by pam_roster: new_hash replaces the stored hash
 * (which must still be old_hash when that is not NULL, else -ESTALE),
 * clears must_change, and records "password.change" by actor. */
int roster_auth_change_password(struct roster_db *db, const char *name, const char *actor,
				const char *old_hash, const char *new_hash) ROSTER_MUST_CHECK;

enum roster_access {
	ROSTER_ACCESS_OPEN,            /* no role lists the service, none required */
	ROSTER_ACCESS_GRANTED,         /* the user holds a role that lists or is required */
	ROSTER_ACCESS_ADMIN,           /* the admin role passes every gate */
	ROSTER_ACCESS_DENIED_ROLE,     /* governed: roles list it, the user holds none */
	ROSTER_ACCESS_DENIED_REQUIRED, /* the user holds none of the required roles */
};
/* May u use PAM service?  A service is governed when any role lists it in
 * its services; then only holders of such a role, or of the admin role,
 * pass.  required (NULL-terminated, may be NULL) adds a gate of its own:
 * one of those roles, or the admin role. */
int roster_auth_service_access(struct roster_db *db, const struct roster_user *u, const char *service,
			       char *const *required, enum roster_access *out) ROSTER_MUST_CHECK;

#endif
