/* internal.h - what the files of lib/ share and nobody else sees. */
#ifndef ROSTER_INTERNAL_H
#define ROSTER_INTERNAL_H

#include "roster.h"

#include <stdarg.h>
#include <tdb.h>

#define MUST_CHECK ROSTER_MUST_CHECK

/* ---- a growable byte buffer; an allocation failure sticks in .err ---- */
struct buf {
	unsigned char *p;
	size_t len, cap;
	int err;
	bool secret; /* it holds a secret: grows by copy-and-wipe, not realloc
		      * (which leaves a copy behind), and is wiped when freed */
};
void buf_put(struct buf *b, const void *p, size_t n);
void buf_u32(struct buf *b, uint32_t v);
void buf_free(struct buf *b);
/* A small file, whole, NUL-terminated (the terminator not counted in
 * .len): -EFBIG when it has more than max bytes, -EILSEQ when it holds a
 * NUL byte (the 1-based line of the first one in *nul_line). */
int read_text_file(const char *path, size_t max, struct buf *out, size_t *nul_line) MUST_CHECK;

/* ---- strings ---- */
char *xstrdup_or_null(const char *s);
int strv_add(char ***v, const char *s) MUST_CHECK; /* keeps it sorted, no dups */
int strv_remove(char **v, const char *s);           /* 1 if removed */
/* Sorts the n strings of v and frees duplicates: a set, NULL-terminated at
 * its new length (v has room for n + 1). One sort, not n insertions. */
void strv_normalize(char **v, size_t n);
bool strv_contains(char *const *v, const char *s);
char **strv_copy(char *const *v);
bool str_eq(const char *a, const char *b); /* NULL-safe */
int64_t roster_now(void);

/* ---- record codec (codec.c) ---- */
int codec_user_encode(const struct roster_user *u, struct buf *out) MUST_CHECK;
int codec_user_decode(const void *p, size_t n, struct roster_user **out) MUST_CHECK;
int codec_role_encode(const struct roster_role *r, struct buf *out) MUST_CHECK;
int codec_role_decode(const void *p, size_t n, struct roster_role **out) MUST_CHECK;
int codec_event_encode(const struct roster_event *e, struct buf *out) MUST_CHECK;
int codec_event_decode(const void *p, size_t n, struct roster_event **out) MUST_CHECK;
int codec_api_encode(const struct roster_api *a, struct buf *out) MUST_CHECK;
int codec_api_decode(const void *p, size_t n, struct roster_api **out) MUST_CHECK;
int codec_strv_encode(char *const *v, struct buf *out) MUST_CHECK;
int codec_strv_decode(const void *p, size_t n, char ***out) MUST_CHECK;
/* The same lists in place, for member lists of a million names (codec.c
 * says which encodings qualify; -EAGAIN: decode instead).  _each calls fn
 * with every element (not NUL-terminated) after setting *count; _splice
 * writes to out the list with s added or removed, and returns how many
 * elements that has. */
typedef int (*strv_elem_fn)(const char *s, size_t len, void *priv);
int codec_strv_each(const void *p, size_t n, size_t *count, strv_elem_fn fn, void *priv) MUST_CHECK;
int codec_strv_splice(const void *p, size_t n, const char *s, bool add, struct buf *out,
		      bool *changed) MUST_CHECK;
/* _merge writes the list (p, n; n == 0: an empty list) with the nadd
 * names of add, which must be strictly ascending, merged in. */
int codec_strv_merge(const void *p, size_t n, char *const *add, size_t nadd, struct buf *out) MUST_CHECK;

/* ---- the system's own files, read directly, never through NSS (sysdb.c) ---- */
int sysdb_has_user(const struct roster_config *cfg, const char *name, uint32_t uid) MUST_CHECK;
int sysdb_has_group(const struct roster_config *cfg, const char *name, uint32_t gid) MUST_CHECK;
int sysdb_group_gid(const struct roster_config *cfg, const char *name, uint32_t *gid) MUST_CHECK;
int sysdb_shell_ok(const struct roster_config *cfg, const char *shell) MUST_CHECK;
/* Calls match(name, id) for each "name:x:id:..." line of path; stops at the
 * first non-zero return and returns it.  A missing file is empty. */
int sysdb_scan(const char *path, int (*match)(const char *name, uint32_t id, void *priv),
	       void *priv) MUST_CHECK;

/* ---- argon2id slots, machine-wide (hashslot.c) ---- */
/* A descriptor holding one of cfg->max_concurrent slots, or -errno
 * (-ETIMEDOUT after cfg->max_wait seconds); hashslot_give() frees it. */
int hashslot_take(const struct roster_config *cfg) MUST_CHECK;
void hashslot_give(int fd);

/* ---- the database handle (store.c) ---- */

/* meta/version.  2 added the lists reports/USER (the users whose
 * supervisor is USER), status/invited and status/api; the first write transaction on
 * a version 1 database builds them, and until then readers walk the users
 * instead. */
#define DB_VERSION 2
#define DB_VERSION_LISTS 2
#define KEY_INVITED "status/invited"
#define KEY_API_USERS "status/api" /* the users with API passwords */

struct roster_db {
	const struct roster_config *cfg;
	struct tdb_context *tdb;
	int lock_fd;
	bool in_txn;   /* a tdb transaction is open */
	bool mapped;   /* ROSTER_OPEN_MAP: else tdb reads every record into a
			* copy of its own, which it frees (and we wipe) */
	bool committing; /* in tdb_transaction_commit() (store_commit_tdb) */
	bool locked;   /* we hold the writers' flock */
	bool all_shards; /* write every view shard at commit (a new database) */
	bool hold_lock;  /* keep the writers' flock across transactions */
	bool defer_view; /* a bulk import: commits leave the view stale (its
			  * stamp behind), and one rebuild ends the import */
	char *actor;
	int64_t now;
	/* View keys (kind + body) to rewrite at commit: appended as changes
	 * are made, sorted and de-duplicated once at commit (touched_seal). */
	char **touched;
	size_t ntouched, touched_cap;
	size_t deferred_touches; /* what defer_view left out of touched */
	/* The head of the history chain (meta/ev_seq and meta/ev_hash), read
	 * at a transaction's first event and stored once, by its commit
	 * (store_commit_tdb): an import appends a million events, and each
	 * read and rewrite is a walk of a hash chain.  Forgotten when a
	 * transaction starts or ends (db_txn_started, db_txn_ended). */
	struct {
		bool loaded, dirty;
		uint64_t seq;
		unsigned char hash[32];
	} ev;
	char err[512];
};

int db_fail(struct roster_db *db, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int db_fetch(struct roster_db *db, const char *key, TDB_DATA *out) MUST_CHECK;
int db_store(struct roster_db *db, const char *key, const void *p, size_t n) MUST_CHECK;
/* db_store of a key that must be new: -EEXIST (with no message set) if it
 * is there.  One walk of the hash chain where db_store takes two. */
int db_insert(struct roster_db *db, const char *key, const void *p, size_t n) MUST_CHECK;
/* Every tdb transaction start calls the first, every end (commit or
 * cancel) the second: in_txn, and no history head left from before. */
void db_txn_started(struct roster_db *db);
void db_txn_ended(struct roster_db *db);
int db_delete(struct roster_db *db, const char *key) MUST_CHECK;
bool db_exists(struct roster_db *db, const char *key);
/* fn reads the record of key where it lies: in the file's mapping outside
 * a transaction (so fn must neither write to p nor keep it), in a heap
 * copy inside one, which is wiped before it is freed. fn's result is
 * returned; a missing key is -ENOENT. */
typedef int (*db_parse_fn)(const unsigned char *p, size_t n, void *priv);
int db_parse(struct roster_db *db, const char *key, db_parse_fn fn, void *priv) MUST_CHECK;
/* fn(tdb, key, data, priv) for every record, a hash chain at a time:
 * tdb_traverse_chain hands fn each record where it lies, where
 * tdb_traverse_read copies it. fn must not write to the database or to
 * data; a nonzero result stops the walk (fn keeps its reason: db_walk
 * returns 0, or -errno when tdb cannot read on).  Outside a
 * transaction the caller holds tdb_lockall_read, which also makes the
 * walk one consistent generation. */
int db_walk(struct roster_db *db, tdb_traverse_func fn, void *priv) MUST_CHECK;
/* A sorted list of names (members/ROLE, reports/USER); absent is empty,
 * and storing an empty list deletes the key. */
int db_get_list(struct roster_db *db, const char *key, char ***out) MUST_CHECK;
int db_put_list(struct roster_db *db, const char *key, char *const *v) MUST_CHECK;
/* Adds name to, or removes it from, the sorted list at key, in place: one
 * memmove, whatever the list's length (user.c). */
int db_list_change(struct roster_db *db, const char *key, const char *name, bool add) MUST_CHECK;
/* The same list in place where its encoding allows (codec_strv_each),
 * decoded where not: fn gets each name (not NUL-terminated), *count is
 * set before the first call. */
int db_list_each(struct roster_db *db, const char *key, size_t *count, strv_elem_fn fn,
		 void *priv) MUST_CHECK;
/* r, with the message that names key when r says the list is damaged. */
int db_list_fail(struct roster_db *db, int r, const char *key);
int db_get_u64(struct roster_db *db, const char *key, uint64_t *v) MUST_CHECK;
int db_put_u64(struct roster_db *db, const char *key, uint64_t v) MUST_CHECK;
int db_require_txn(struct roster_db *db) MUST_CHECK;
/* Marks every view key of a user (by name and uid, and its private group by
 * name and gid) or of a role (by name and gid) for rewriting at commit. */
int touch_user(struct roster_db *db, const struct roster_user *u) MUST_CHECK;
int touch_role(struct roster_db *db, const char *name, uint32_t gid) MUST_CHECK;
int store_commit_tdb(struct roster_db *db) MUST_CHECK;
/* A login event's transaction (auth.c, and api.c's record of a use):
 * tdb's own, without the writers' flock, the view or history.  wait_ms < 0
 * waits for any other transaction; otherwise at most wait_ms, then
 * -EBUSY.  Committed by store_commit_tdb(); cancel is safe when none is
 * open. */
int login_txn_start(struct roster_db *db, int wait_ms) MUST_CHECK;
void login_txn_cancel(struct roster_db *db);
void touched_seal(struct roster_db *db);
int store_lock(struct roster_db *db) MUST_CHECK; /* the writers' flock */
void store_unlock(struct roster_db *db);

/* key builders: "user/alice", "uid/70001", ... */
#define KEY_MAX (16 + ROSTER_EMAIL_MAX)
void key_user(char out[KEY_MAX], const char *name);
void key_role(char out[KEY_MAX], const char *name);
void key_members(char out[KEY_MAX], const char *role);
void key_reports(char out[KEY_MAX], const char *user);
void key_uid(char out[KEY_MAX], uint32_t uid);
void key_gid(char out[KEY_MAX], uint32_t gid);
void key_email(char out[KEY_MAX], const char *email);
void key_api(char out[KEY_MAX], const char *user, const char *label);
int api_store(struct roster_db *db, const char *user, const struct roster_api *a) MUST_CHECK;
/* Deletes every API password of u (for user delete); labels cleared. */
int api_remove_all(struct roster_db *db, struct roster_user *u) MUST_CHECK;

int user_load(struct roster_db *db, const char *name, struct roster_user **out) MUST_CHECK;
/* roster db import (transfer.c validated everything first): store u as it
 * is, ids, uuid and times included, with its uid/gid/email indexes, a
 * "user.import" event and its view keys; role membership, reports/ and
 * status/invited are the caller's (one store per list and batch). */
int user_import(struct roster_db *db, const struct roster_user *u) MUST_CHECK;
/* The same for a role; one that exists with the same gid is overwritten. */
int role_import(struct roster_db *db, const struct roster_role *r) MUST_CHECK;
int user_store(struct roster_db *db, const struct roster_user *u) MUST_CHECK;
int role_load(struct roster_db *db, const char *name, struct roster_role **out) MUST_CHECK;
int members_load(struct roster_db *db, const char *role, char ***out) MUST_CHECK;
int members_store(struct roster_db *db, const char *role, char *const *m) MUST_CHECK;
/* reports/USER and status/invited (user.c): whether this database keeps
 * them, and building them from the user records, for the upgrade to
 * DB_VERSION_LISTS or, with members (members/ROLE too), for db check
 * --repair.  What is stored under those prefixes is replaced. */
bool lists_indexed(struct roster_db *db);
/* The lists besides members/ that u belongs in - reports/SUPERVISOR,
 * status/invited, status/api - as keys; returns how many.  The one rule
 * that user_write, the import, the build and db check all follow. */
#define USER_LISTS_MAX 3
size_t user_list_keys(const struct roster_user *u, char keys[USER_LISTS_MAX][KEY_MAX]);
int lists_build(struct roster_db *db, bool members) MUST_CHECK;
/* Allocates the next never-used id in the configured range, free in the
 * system files both as a uid and as a gid. */
int ids_allocate(struct roster_db *db, uint32_t *id) MUST_CHECK;

/* ---- history (history.c) ---- */
struct changes {
	struct roster_change *v;
	size_t n, cap;
	int err;
};
void changes_add(struct changes *c, const char *field, const char *old_value,
		 const char *new_value);
void changes_secret(struct changes *c, const char *field);
void changes_free(struct changes *c);
int history_append(struct roster_db *db, const char *action, const char *subject,
		   struct changes *c) MUST_CHECK;
/* Stores the history head a transaction's events moved (db->ev). */
int history_flush(struct roster_db *db) MUST_CHECK;
int history_verify(struct roster_db *db, roster_problem_fn fn, void *priv,
		   unsigned *events, unsigned *problems) MUST_CHECK;

/* ---- the view, writer side (view_write.c) ---- */
int view_update_touched(struct roster_db *db, uint64_t generation) MUST_CHECK;
int view_read_stamp(const char *dbdir, uint64_t *gen) MUST_CHECK;
int view_compare(struct roster_db *db, roster_problem_fn fn, void *priv,
		 unsigned *problems) MUST_CHECK;

#endif
