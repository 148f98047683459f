/* store.c - accounts.tdb: opening it safely, transactions, and the commit
 * protocol that keeps the NSS view in step with it.
 *
 * MUST rules:
 *  1. accounts.tdb is opened O_NOFOLLOW|O_CLOEXEC and refused unless it is a
 *     regular file owned by us (root) with no group or other access.
 *  2. Writers serialize on an flock(2) of roster.lock held from begin until
 *     the view is updated, so "commit, then view, then stamp" is one critical
 *     section: two admins never interleave view writes.
 *  3. A change is committed as: build the new view shards in temp files and
 *     fsync them (a full disk fails here, before anything is committed);
 *     commit the tdb transaction; rename the shards into place; write the
 *     generation stamp.  A crash after the commit leaves stamp != generation,
 *     and the next writer (or db check --repair) rebuilds the whole view.
 */
#include "internal.h"
#include "view.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define ACCOUNTS "accounts.tdb"
#define LOCKFILE "roster.lock"

int db_fail(struct roster_db *db, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	roster_vformat(db->err, sizeof(db->err), fmt, ap);
	va_end(ap);
	return r;
}

const char *roster_db_error(const struct roster_db *db)
{
	return db->err;
}

const struct roster_config *roster_db_config(const struct roster_db *db)
{
	return db->cfg;
}

static TDB_DATA tkey(const char *key)
{
	return (TDB_DATA){ (unsigned char *)key, strlen(key) };
}

static int tdb_errno(struct roster_db *db)
{
	switch (tdb_error(db->tdb)) {
	case TDB_ERR_NOEXIST: return -ENOENT;
	case TDB_ERR_EXISTS: return -EEXIST;
	case TDB_ERR_OOM: return -ENOMEM;
	case TDB_ERR_CORRUPT: return -EBADMSG;
	case TDB_ERR_LOCK: return -ENOLCK;
	case TDB_ERR_RDONLY: return -EROFS;
	default: return errno ? -errno : -EIO;
	}
}

int db_fetch(struct roster_db *db, const char *key, TDB_DATA *out)
{
	*out = tdb_fetch(db->tdb, tkey(key));
	return out->dptr ? 0 : tdb_errno(db);
}

struct parse {
	struct roster_db *db;
	db_parse_fn fn;
	void *priv;
	int r;
};

static int parse_one(TDB_DATA k, TDB_DATA d, void *priv)
{
	struct parse *ps = priv;

	(void)k;
	ps->r = ps->fn(d.dptr, d.dsize, ps->priv);
	/* In a transaction, or with the file not mapped, tdb reads into a
	 * copy that it frees next.  (Mapped and outside a transaction, d is
	 * the database itself.) */
	if (ps->db->in_txn || !ps->db->mapped)
		roster_wipe(d.dptr, d.dsize);
	return 0;
}

int db_parse(struct roster_db *db, const char *key, db_parse_fn fn, void *priv)
{
	struct parse ps = { db, fn, priv, 0 };

	if (tdb_parse_record(db->tdb, tkey(key), parse_one, &ps) != 0)
		return tdb_errno(db);
	return ps.r;
}

struct walk_chain {
	tdb_traverse_func fn;
	void *priv;
	bool stopped, wipe;
};

static int walk_chain(struct tdb_context *tdb, TDB_DATA k, TDB_DATA d, void *priv)
{
	struct walk_chain *w = priv;

	w->stopped = w->fn(tdb, k, d, w->priv) != 0;
	if (w->wipe) /* tdb's own copy, freed next (tried: in a transaction,
		      * tdb_traverse_chain copies even from a mapped file) */
		roster_wipe(d.dptr, d.dsize);
	return w->stopped;
}

int db_walk(struct roster_db *db, tdb_traverse_func fn, void *priv)
{
	struct walk_chain w = { fn, priv, false, !db->mapped || db->in_txn };
	uint32_t chains = tdb_hash_size(db->tdb);

	for (uint32_t h = 0; h < chains && !w.stopped; h++)
		if (tdb_traverse_chain(db->tdb, h, walk_chain, &w) < 0)
			return db_fail(db, tdb_errno(db), "cannot read the database: %s",
				       tdb_errorstr(db->tdb));
	return 0;
}

int db_store(struct roster_db *db, const char *key, const void *p, size_t n)
{
	TDB_DATA d = { (unsigned char *)p, n };

	if (tdb_store(db->tdb, tkey(key), d, TDB_REPLACE) != 0)
		return db_fail(db, tdb_errno(db), "cannot write %s: %s", key, tdb_errorstr(db->tdb));
	return 0;
}

int db_insert(struct roster_db *db, const char *key, const void *p, size_t n)
{
	TDB_DATA d = { (unsigned char *)p, n };

	if (tdb_store(db->tdb, tkey(key), d, TDB_INSERT) == 0)
		return 0;
	if (tdb_error(db->tdb) == TDB_ERR_EXISTS)
		return -EEXIST;
	return db_fail(db, tdb_errno(db), "cannot write %s: %s", key, tdb_errorstr(db->tdb));
}

void db_txn_started(struct roster_db *db)
{
	db_txn_ended(db); /* nothing left from before */
	db->in_txn = true;
}

void db_txn_ended(struct roster_db *db)
{
	db->in_txn = false;
	db->ev.loaded = db->ev.dirty = false;
}

int db_delete(struct roster_db *db, const char *key)
{
	if (tdb_delete(db->tdb, tkey(key)) != 0 && tdb_error(db->tdb) != TDB_ERR_NOEXIST)
		return db_fail(db, tdb_errno(db), "cannot delete %s: %s", key, tdb_errorstr(db->tdb));
	return 0;
}

bool db_exists(struct roster_db *db, const char *key)
{
	return tdb_exists(db->tdb, tkey(key)) == 1;
}

int db_list_fail(struct roster_db *db, int r, const char *key)
{
	if (r == -EBADMSG || r == -EPROTONOSUPPORT)
		return db_fail(db, r, "the list %s is damaged; run roster db check", key);
	return r;
}

int db_get_list(struct roster_db *db, const char *key, char ***out)
{
	TDB_DATA d;
	int r;

	*out = NULL;
	r = db_fetch(db, key, &d);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = codec_strv_decode(d.dptr, d.dsize, out);
	free(d.dptr);
	return r < 0 ? db_list_fail(db, r, key) : 0;
}

int db_list_each(struct roster_db *db, const char *key, size_t *count, strv_elem_fn fn, void *priv)
{
	char **v = NULL;
	TDB_DATA d;
	int r;

	*count = 0;
	r = db_fetch(db, key, &d);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	/* In place: a role of a million members is not a million strings.
	 * -EAGAIN comes before fn is ever called. */
	r = codec_strv_each(d.dptr, d.dsize, count, fn, priv);
	free(d.dptr);
	if (r != -EAGAIN)
		return db_list_fail(db, r, key);
	/* Not in the form this roster writes: decoded, which normalizes. */
	r = db_get_list(db, key, &v);
	*count = roster_strv_len(v);
	for (char **p = v; r == 0 && p && *p; p++)
		r = fn(*p, strlen(*p), priv);
	roster_strv_free(v);
	return r;
}

int db_put_list(struct roster_db *db, const char *key, char *const *v)
{
	struct buf b = { 0 };
	int r;

	if (!v || !v[0])
		return db_delete(db, key);
	r = codec_strv_encode(v, &b);
	if (r == 0)
		r = db_store(db, key, b.p, b.len);
	buf_free(&b);
	return r;
}

int db_get_u64(struct roster_db *db, const char *key, uint64_t *v)
{
	TDB_DATA d;
	int r = db_fetch(db, key, &d);

	if (r < 0)
		return r;
	if (d.dsize != 8)
		r = -EBADMSG;
	else
		memcpy(v, d.dptr, 8);
	free(d.dptr);
	return r;
}

int db_put_u64(struct roster_db *db, const char *key, uint64_t v)
{
	return db_store(db, key, &v, sizeof(v));
}

int db_require_txn(struct roster_db *db)
{
	return db->in_txn ? 0 : db_fail(db, -EINVAL, "internal error: write outside a transaction");
}

void key_user(char out[KEY_MAX], const char *name) { snprintf(out, KEY_MAX, "user/%s", name); }
void key_role(char out[KEY_MAX], const char *name) { snprintf(out, KEY_MAX, "role/%s", name); }
void key_members(char out[KEY_MAX], const char *role) { snprintf(out, KEY_MAX, "members/%s", role); }
void key_reports(char out[KEY_MAX], const char *user) { snprintf(out, KEY_MAX, "reports/%s", user); }
void key_uid(char out[KEY_MAX], uint32_t uid) { snprintf(out, KEY_MAX, "uid/%u", (unsigned)uid); }
void key_gid(char out[KEY_MAX], uint32_t gid) { snprintf(out, KEY_MAX, "gid/%u", (unsigned)gid); }
void key_api(char out[KEY_MAX], const char *user, const char *label)
{
	snprintf(out, KEY_MAX, "api/%s/%s", user, label);
}

void key_email(char out[KEY_MAX], const char *email)
{
	/* Unique without regard to case: Alice@Example.org is alice@example.org
	 * to every mail system an administrator meets. */
	size_t i = 0;

	i = (size_t)snprintf(out, KEY_MAX, "email/");
	for (; *email && i + 1 < KEY_MAX; email++)
		out[i++] = (*email >= 'A' && *email <= 'Z') ? (char)(*email + 32) : *email;
	out[i] = '\0';
}

/* ---- touched view keys ---- */

static int touch_key(struct roster_db *db, char kind, const char *body)
{
	char k[VIEW_KEY_MAX + 1], *c;

	/* A bulk import rebuilds the whole view: only whether anything
	 * changed matters (no change, no commit), not four copies of each
	 * user's keys. */
	if (db->defer_view) {
		db->deferred_touches++;
		return 0;
	}
	snprintf(k, sizeof(k), "%c%s", kind, body);
	if (db->ntouched + 1 >= db->touched_cap) {
		size_t cap = db->touched_cap ? db->touched_cap * 2 : 64;
		char **v = realloc(db->touched, cap * sizeof(char *));

		if (!v)
			return -ENOMEM;
		db->touched = v;
		db->touched_cap = cap;
	}
	if (!(c = strdup(k)))
		return -ENOMEM;
	db->touched[db->ntouched++] = c;
	db->touched[db->ntouched] = NULL;
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void touched_seal(struct roster_db *db)
{
	size_t o = 0;

	if (!db->ntouched)
		return;
	qsort(db->touched, db->ntouched, sizeof(char *), cmp_key);
	for (size_t i = 0; i < db->ntouched; i++) {
		if (o > 0 && strcmp(db->touched[o - 1], db->touched[i]) == 0)
			free(db->touched[i]);
		else
			db->touched[o++] = db->touched[i];
	}
	db->ntouched = o;
	db->touched[o] = NULL;
}

static int touch_id(struct roster_db *db, char kind, uint32_t id)
{
	char num[16];

	snprintf(num, sizeof(num), "%u", (unsigned)id);
	return touch_key(db, kind, num);
}

int touch_user(struct roster_db *db, const struct roster_user *u)
{
	return touch_key(db, VIEW_PW_NAME, u->name) ?: touch_key(db, VIEW_GR_NAME, u->name) ?:
	       touch_id(db, VIEW_PW_UID, u->uid) ?: touch_id(db, VIEW_GR_GID, u->gid);
}

int touch_role(struct roster_db *db, const char *name, uint32_t gid)
{
	return touch_key(db, VIEW_GR_NAME, name) ?: touch_id(db, VIEW_GR_GID, gid);
}

static void touched_clear(struct roster_db *db)
{
	roster_strv_free(db->touched);
	db->touched = NULL;
	db->ntouched = db->touched_cap = db->deferred_touches = 0;
}

/* ---- opening ---- */

static int check_dir(struct roster_db *db, const char *dir, bool create)
{
	struct stat st;

	if (create && mkdir(dir, 0755) == 0)
		chmod(dir, 0755); /* whatever the umask: NSS readers need the view */
	else if (create && errno != EEXIST)
		return db_fail(db, -errno, "cannot create %s: %s", dir, strerror(errno));
	if (lstat(dir, &st) < 0 && errno == ENOENT)
		return db_fail(db, -ENOENT, "no roster database in %s (any write command creates it)", dir);
	if (lstat(dir, &st) < 0)
		return db_fail(db, -errno, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return db_fail(db, -ENOTDIR, "%s is not a directory", dir);
	if (st.st_uid != 0 || (st.st_mode & 022))
		return db_fail(db, -EPERM, "%s must be owned by root and writable by root only", dir);
	return 0;
}

static int check_accounts_file(struct roster_db *db, const char *path, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return db_fail(db, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return db_fail(db, -EPERM, "%s is not a regular file", path);
	if (st.st_uid != 0)
		return db_fail(db, -EPERM, "refusing %s: it is owned by uid %u, not root", path,
			       (unsigned)st.st_uid);
	if (st.st_mode & 077)
		return db_fail(db, -EPERM,
			       "refusing %s: mode %04o lets others read password hashes; run chmod 600 %s",
			       path, (unsigned)(st.st_mode & 07777), path);
	return 0;
}

/* Finishes tdb's crash recovery.  A commit writes a recovery record (the
 * old bytes of every block it will overwrite, and the file's old length),
 * arms it, grows the file if the transaction needs more room, writes the
 * new blocks, syncs, and disarms it.  Whoever next opens or locks the file
 * after a commit died armed runs tdb_transaction_recover(), which writes
 * the old bytes back - but libtdb 1.4.8 (and the upstream source, as far
 * as we read it) never shrinks the file to the old length.  The grown
 * tail keeps what the dead commit wrote there: records that no hash chain
 * and no free list lead to, which tdb_check() reports as "Corrupt
 * database" for ever after (nothing else reads them; the space is lost).
 *
 * tdb reports the recovery through the log function, as its last step,
 * with that old length, and with the locks still held that keep every
 * other writer off the file (the open lock, which a commit takes; at a
 * lock, also the all-record lock): the tail is cut off there.  tdb
 * re-reads the file's length before it grows the file, starts a
 * transaction or checks it, so a handle whose mapping is still longer is
 * fine: nothing points into the tail.  Not in our own commit, which runs
 * the recovery itself when a write fails and then disarms the record,
 * which may lie in that tail: there the tail stays, as without us. */
static void finish_recovery(struct tdb_context *tdb, unsigned old_len)
{
	struct stat st;
	int fd = tdb_fd(tdb);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || old_len == 0 ||
	    st.st_size <= (off_t)old_len)
		return;
	if (ftruncate(fd, (off_t)old_len) == 0)
		fsync(fd);
	/* On failure the tail stays, as without us: db check reports it. */
}

static void tdb_log(struct tdb_context *tdb, enum tdb_debug_level level, const char *fmt, ...)
{
	static const char recovered[] = "tdb_transaction_recover: recovered %u byte database";
	struct roster_db *db = tdb_get_logging_private(tdb);
	va_list ap;

	/* A library prints nothing; tdb's reasons reach the admin through
	 * tdb_errorstr() in our own messages. */
	(void)level;
	if (!db || db->committing || strncmp(fmt, recovered, sizeof(recovered) - 1) != 0)
		return;
	va_start(ap, fmt);
	finish_recovery(tdb, va_arg(ap, unsigned));
	va_end(ap);
}

/* Opens accounts.tdb into db->tdb, mapped or not, and checks the file. */
static int open_accounts(struct roster_db *db, bool create, bool map)
{
	const struct roster_config *cfg = db->cfg;
	struct tdb_logging_context log = { tdb_log, db };
	char path[4096];
	struct stat st;
	int r, oflags = O_RDWR | O_CLOEXEC | O_NOFOLLOW;

	snprintf(path, sizeof(path), "%s/" ACCOUNTS, cfg->dbdir);
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return db_fail(db, -ELOOP, "refusing %s: it is a symbolic link", path);
	if (create)
		oflags |= O_CREAT;
	db->mapped = map;
	db->tdb = tdb_open_ex(path, (int)cfg->hash_size,
			      TDB_DISALLOW_NESTING | TDB_INCOMPATIBLE_HASH | (map ? 0 : TDB_NOMMAP), oflags,
			      0600, &log, NULL);
	if (!db->tdb) {
		r = errno ? -errno : -EIO;
		if (r == -ENOENT)
			return db_fail(db, r, "no roster database in %s (any write command creates it)",
				       cfg->dbdir);
		if (r == -EIO || r == -EINVAL)
			return db_fail(db, -EBADMSG,
				       "cannot open %s: it is damaged or not a tdb database (%s); "
				       "restore it from a backup",
				       path, strerror(-r));
		return db_fail(db, r, "cannot open %s: %s%s", path, strerror(-r),
			       r == -EACCES ? " (run as root)" : "");
	}
	/* tdb turns fsync off when TDB_NO_FSYNC is in the environment; the
	 * accounts database is never written without it. */
	tdb_remove_flags(db->tdb, TDB_NOSYNC);
	return check_accounts_file(db, path, tdb_fd(db->tdb));
}

int roster_db_open(const struct roster_config *cfg, int flags, struct roster_db **out)
{
	struct roster_db *db = calloc(1, sizeof(*db));
	bool create = flags & ROSTER_OPEN_CREATE;
	char path[4096], vdir[4096];
	int r;

	if (!db)
		return -ENOMEM;
	db->cfg = cfg;
	db->lock_fd = -1;
	*out = db; /* the caller reads roster_db_error() and closes it on failure */

	r = check_dir(db, cfg->dbdir, create);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/" LOCKFILE, cfg->dbdir);
	db->lock_fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
	if (db->lock_fd < 0 && errno == ENOENT)
		return db_fail(db, -ENOENT, "no roster database in %s (any write command creates it)",
			       cfg->dbdir);
	if (db->lock_fd < 0)
		return db_fail(db, -errno, "%s: %s%s", path, strerror(errno),
			       errno == EACCES ? " (run as root)" : "");

	r = open_accounts(db, create, flags & ROSTER_OPEN_MAP);
	if (r < 0)
		return r;
	snprintf(vdir, sizeof(vdir), "%s/" VIEW_DIR, cfg->dbdir);
	if (create && (r = check_dir(db, vdir, true)) < 0)
		return r;
	return 0;
}

void roster_db_close(struct roster_db *db)
{
	if (!db)
		return;
	roster_txn_abort(db);
	if (db->tdb)
		tdb_close(db->tdb);
	if (db->lock_fd >= 0)
		close(db->lock_fd);
	free(db->actor);
	touched_clear(db);
	free(db);
}

/* ---- the actor ---- */

const char *roster_actor(void)
{
	static char name[64];
	const char *s = NULL;
	struct passwd *pw;

	if (getuid() == 0)
		s = getenv("SUDO_USER");
	if (!s || !*s || roster_valid_name(s) < 0)
		s = getlogin();
	if (!s || !*s) {
		/* No controlling terminal (cron, CI): the real uid's name. */
		pw = getpwuid(getuid());
		s = pw ? pw->pw_name : "root";
	}
	snprintf(name, sizeof(name), "%s", s);
	return name;
}

/* ---- transactions ---- */

int store_lock(struct roster_db *db)
{
	if (db->locked)
		return 0;
	while (flock(db->lock_fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return db_fail(db, -errno, "cannot lock the database: %s", strerror(errno));
	db->locked = true;
	return 0;
}

void store_unlock(struct roster_db *db)
{
	if (db->hold_lock)
		return; /* a bulk import keeps it across its transactions */
	if (db->locked)
		flock(db->lock_fd, LOCK_UN);
	db->locked = false;
}

/* First write to a new database: its version, counters and the admin role. */
static int initialize(struct roster_db *db)
{
	struct roster_role admin = { 0 };
	int r;

	r = db_put_u64(db, "meta/version", DB_VERSION) ?: db_put_u64(db, "meta/generation", 0) ?:
	    db_put_u64(db, "meta/next_id", db->cfg->uid_min);
	if (r < 0)
		return r;
	db->all_shards = true;
	admin.name = db->cfg->admin_role;
	admin.description = (char *)"roster administrators";
	r = roster_role_add(db, &admin);
	free(admin.created_by);
	free(admin.updated_by);
	return r;
}

int roster_txn_begin(struct roster_db *db, const char *actor)
{
	uint64_t version, gen, stamp;
	bool known;
	int r;

	if (db->in_txn)
		return db_fail(db, -EBUSY, "internal error: nested transaction");
	free(db->actor);
	db->actor = strdup(actor ? actor : roster_actor());
	if (!db->actor)
		return -ENOMEM;
	r = store_lock(db);
	if (r < 0)
		return r;
	/* A view left behind by a crash is rebuilt before anything else. */
	known = db_get_u64(db, "meta/version", &version) == 0;
	if (known && version > DB_VERSION) {
		r = db_fail(db, -EPROTONOSUPPORT, "the database has version %llu; this roster knows %d",
			    (unsigned long long)version, DB_VERSION);
		goto fail;
	}
	if (!db->defer_view && db_get_u64(db, "meta/generation", &gen) == 0 &&
	    (view_read_stamp(db->cfg->dbdir, &stamp) < 0 || stamp != gen)) {
		/* The rebuild reads every user: mapped, it took 6.7 s at a
		 * million against 93.5 s unmapped on a cache the other
		 * database had half filled (4.4 s against 13.7 s warm).  No
		 * tdb lock is held between transactions, so the file is simply
		 * opened again, mapped, for the rest of this command. */
		if (!db->mapped) {
			tdb_close(db->tdb);
			db->tdb = NULL;
			/* Should mapping fail, unmapped as before. */
			r = open_accounts(db, false, true);
			if (r < 0 && !db->tdb)
				r = open_accounts(db, false, false);
			if (r < 0)
				goto fail;
		}
		r = roster_view_rebuild(db);
		if (r < 0)
			goto fail;
	}
	if (tdb_transaction_start(db->tdb) != 0) {
		r = db_fail(db, tdb_errno(db), "cannot start a transaction: %s", tdb_errorstr(db->tdb));
		goto fail;
	}
	db_txn_started(db);
	db->all_shards = false;
	db->now = roster_now();
	touched_clear(db);
	if (!db_exists(db, "meta/version"))
		r = initialize(db);
	else if (known && version < DB_VERSION) /* the upgrade commits with the caller's change */
		r = lists_build(db, false) ?: db_put_u64(db, "meta/version", DB_VERSION);
	if (r < 0) {
		roster_txn_abort(db);
		return r;
	}
	return 0;
fail:
	store_unlock(db);
	return r;
}

void roster_txn_abort(struct roster_db *db)
{
	if (db->in_txn)
		tdb_transaction_cancel(db->tdb);
	db_txn_ended(db);
	touched_clear(db);
	store_unlock(db);
}

int roster_txn_commit(struct roster_db *db)
{
	uint64_t gen = 0;
	int r;

	if (!db->in_txn)
		return db_fail(db, -EINVAL, "internal error: commit without a transaction");
	r = db_get_u64(db, "meta/generation", &gen) ?: db_put_u64(db, "meta/generation", gen + 1);
	if (r < 0)
		goto fail;
	/* Builds and fsyncs the new shards, commits, renames, stamps; or,
	 * in a bulk import, only commits: the stamp now lags, which every
	 * writer and db check take as "rebuild the view" should we crash. */
	r = db->defer_view ? store_commit_tdb(db) : view_update_touched(db, gen + 1);
	if (r < 0)
		goto fail;
	touched_clear(db);
	store_unlock(db);
	return 0;
fail:
	roster_txn_abort(db);
	return r;
}

/* Why a commit failed.  A full disk reaches us as a bare TDB_ERR_IO: tdb
 * grows the file with posix_fallocate(), which returns ENOSPC rather than
 * setting errno.  tdb grows a file of up to 100 MiB by a quarter at a time
 * (beyond that by a tenth), so an I/O error with less free space than that
 * on the file system is a full disk, and the administrator is told so. */
static int commit_error(struct roster_db *db)
{
	int r = tdb_errno(db);
	struct statvfs sv;
	struct stat st;
	unsigned long long free_bytes, growth;

	if (tdb_error(db->tdb) == TDB_ERR_IO || tdb_error(db->tdb) == TDB_ERR_OOM || r == -ENOSPC) {
		if (fstat(tdb_fd(db->tdb), &st) == 0 && fstatvfs(tdb_fd(db->tdb), &sv) == 0) {
			free_bytes = (unsigned long long)sv.f_bfree * sv.f_frsize;
			growth = (unsigned long long)st.st_size / (st.st_size > 100 << 20 ? 10 : 4);
			if (r == -ENOSPC || free_bytes < growth + 65536)
				return db_fail(db, -ENOSPC,
					       "cannot commit: no space left on the file system holding %s "
					       "(%llu KiB free); nothing was changed",
					       db->cfg->dbdir, free_bytes / 1024);
		}
	}
	return db_fail(db, r, "cannot commit: %s", tdb_errorstr(db->tdb));
}

/* Commits the tdb transaction: roster_txn_commit (through
 * view_update_touched, between writing and renaming shards) and the
 * login writes, which have no view to update. */
int store_commit_tdb(struct roster_db *db)
{
	int r = history_flush(db);

	if (r < 0) { /* as a failed commit: the transaction is over */
		tdb_transaction_cancel(db->tdb);
		db_txn_ended(db);
		return r;
	}
	errno = 0;
	db->committing = true; /* see finish_recovery() */
	r = tdb_transaction_commit(db->tdb);
	db->committing = false;
	/* tdb cancels the transaction itself when commit fails. */
	db_txn_ended(db);
	return r != 0 ? commit_error(db) : 0;
}
