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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ROSTER_MUST_CHECK __attribute__((warn_unused_result))

#define ROSTER_NAME_MAX 32        /* user and role names (Debian's limit) */
#define ROSTER_EMAIL_MAX 254      /* RFC 5321 path limit */
#define ROSTER_GECOS_PART_MAX 64  /* first or last name, in bytes */
#define ROSTER_TEXT_MAX 256       /* descriptions */
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
	/* [auth] lockout policy, used by pam_roster */
	unsigned deny;
	unsigned fail_interval; /* seconds */
	unsigned unlock_time;   /* seconds */
	/* [system] files consulted for collisions; overridable for tests */
	char *passwd_file, *group_file, *shells_file;
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

/* ---- validation (validate.c); each returns 0 or -EINVAL ---- */

int roster_valid_name(const char *name) ROSTER_MUST_CHECK;
int roster_valid_email(const char *email) ROSTER_MUST_CHECK;
int roster_valid_gecos_part(const char *s) ROSTER_MUST_CHECK;
int roster_valid_text(const char *s, size_t max) ROSTER_MUST_CHECK;
int roster_valid_service(const char *s) ROSTER_MUST_CHECK;
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

/* out must hold ROSTER_HASH_MAX bytes. */
#define ROSTER_HASH_MAX 128
int roster_password_hash(const struct roster_config *cfg, const char *pw,
			 char out[ROSTER_HASH_MAX]) ROSTER_MUST_CHECK;
/* 0 on match, -EACCES on mismatch, -EINVAL for a hash outside the bounds. */
int roster_password_verify(const struct roster_config *cfg, const char *hash,
			   const char *pw) ROSTER_MUST_CHECK;
/* A random password of 20 characters from an unambiguous alphabet. */
int roster_password_generate(char *out, size_t outlen) ROSTER_MUST_CHECK;
/* Wipes and frees a secret; accepts NULL. */
void roster_secret_free(char *s);
void roster_wipe(void *p, size_t n);

/* ---- the database (store.c) ---- */

struct roster_db;

enum {
	ROSTER_OPEN_CREATE = 1 << 0, /* create the directory and databases */
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

struct roster_user_filter {
	const char *role;       /* NULL: any */
	const char *supervisor; /* NULL: any */
	int status;             /* -1: any live user */
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

#endif
