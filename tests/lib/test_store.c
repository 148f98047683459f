/* test_store.c - the accounts database through the public API: config,
 * opening, transactions, users, roles, history and db check
 * (lib/config.c, store.c, user.c, role.c, history.c, check.c).
 *
 * Each test has a real database in its own temp directory (see common.h):
 * ids 70000-70010, 70002 taken in passwd and 70003 in group, and the
 * admin role created by the first transaction takes 70000.
 */
#include <crypt.h>
#include <sys/wait.h>
#include <time.h>

#include "common.h"

#define ADMIN_GID 70000u

/* ---- helpers ---- */

/* History as text, one line per event:
 *   "action subject by actor: field:old>new field:* ..."
 * with "-" for an absent value and "*" for a secret field. */
struct hist {
	char text[16384];
	unsigned n;
};

static int hist_collect(const struct roster_event *e, void *priv)
{
	struct hist *h = priv;
	size_t len = strlen(h->text);

	h->n++;
	len += (size_t)snprintf(h->text + len, sizeof(h->text) - len, "%s %s by %s:", e->action,
				e->subject, e->actor);
	for (size_t i = 0; i < e->nchanges && len < sizeof(h->text); i++) {
		const struct roster_change *c = &e->changes[i];

		if (c->secret)
			len += (size_t)snprintf(h->text + len, sizeof(h->text) - len, " %s:*%s%s",
						c->field, c->old_value || c->new_value ? "LEAK:" : "",
						c->new_value ? c->new_value : "");
		else
			len += (size_t)snprintf(h->text + len, sizeof(h->text) - len, " %s:%s>%s", c->field,
						c->old_value ? c->old_value : "-",
						c->new_value ? c->new_value : "-");
	}
	if (len < sizeof(h->text))
		snprintf(h->text + len, sizeof(h->text) - len, "\n");
	return 0;
}

static void history_of(struct fx *fx, const char *subject, struct hist *h)
{
	memset(h, 0, sizeof(*h));
	assert_int_equal(roster_history_foreach(fx->db, subject, hist_collect, h), 0);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("expected to find \"%s\" in:\n%s", needle, hay);
}

static void assert_not_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("did not expect \"%s\" in:\n%s", needle, hay);
}

static struct roster_check_report check(struct fx *fx, bool repair, struct problems *p)
{
	struct roster_check_report rep;
	int r;

	memset(p, 0, sizeof(*p));
	r = roster_db_check(fx->db, repair, collect_problem, p, &rep);
	if (r < 0)
		fail_msg("roster_db_check: %s (%s)", strerror(-r), roster_db_error(fx->db));
	return rep;
}

static uint64_t next_id(struct fx *fx)
{
	uint64_t v = 0;

	assert_int_equal(db_get_u64(fx->db, "meta/next_id", &v), 0);
	return v;
}

static bool has_key(struct fx *fx, const char *key)
{
	return db_exists(fx->db, key);
}

static void accounts_path(struct fx *fx, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/accounts.tdb", fx->dbdir);
}

/* Expects a refusal of the user add with error r, naming want. */
static void add_refused(struct fx *fx, struct roster_user *u, int r, const char *want)
{
	int got;

	txn_begin(fx);
	got = roster_user_add(fx->db, u);
	if (got != r)
		fail_msg("adding %s (home %s) gave %d (%s), want %d", u->name ? u->name : "(null)", u->home ? u->home : "-", got,
			 roster_db_error(fx->db), r);
	if (want)
		assert_contains(roster_db_error(fx->db), want);
	roster_txn_abort(fx->db);
	roster_user_free(u);
}

static void strv_expect(char **v, const char *const *want, size_t n)
{
	assert_int_equal(roster_strv_len(v), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i], want[i]);
}

/* ---- configuration ---- */

static void test_config_values(void **state)
{
	struct fx *fx = *state;
	const struct roster_config *c = fx->cfg;
	char p[PATH_MAX];

	assert_string_equal(c->dbdir, fx->dbdir);
	assert_string_equal(c->path, fx->conf);
	assert_int_equal(c->hash_size, 1009);
	assert_int_equal(c->uid_min, 70000);
	assert_int_equal(c->uid_max, 70010);
	assert_int_equal(c->opslimit, 1);
	assert_int_equal(c->memlimit, 8192);
	fx_path(fx, p, sizeof(p), "etc/passwd");
	assert_string_equal(c->passwd_file, p);
	fx_path(fx, p, sizeof(p), "etc/shells");
	assert_string_equal(c->shells_file, p);
	/* what the file does not set keeps its default */
	assert_string_equal(c->default_shell, "/bin/bash");
	assert_string_equal(c->home_base, "/home");
	assert_string_equal(c->admin_role, "roster-admin");
	assert_int_equal(c->pg_policy, ROSTER_PG_PRIVATE);
}

static void test_config_unknown_key_names_line(void **state)
{
	struct fx *fx = *state;
	struct roster_config *c = NULL;
	char want[PATH_MAX + 16];

	/* the fixture's file has 13 lines; the typo is line 15 */
	fx_write_conf(fx, "[users]\nshel = /bin/sh\n");
	assert_int_equal(roster_config_load(fx->conf, &c), -EINVAL);
	assert_null(c);
	snprintf(want, sizeof(want), "%s:15:", fx->conf);
	assert_contains(roster_config_error(), want);
	assert_contains(roster_config_error(), "unknown key [users] shel");

	fx_write_conf(fx, "[databse]\ndir = /tmp\n");
	assert_int_equal(roster_config_load(fx->conf, &c), -EINVAL);
	assert_contains(roster_config_error(), "unknown key [databse] dir");

	/* a value the key cannot take names the line too */
	fx_write_conf(fx, "[database]\nhash_size = 7\n");
	assert_int_equal(roster_config_load(fx->conf, &c), -EINVAL);
	snprintf(want, sizeof(want), "%s:15:", fx->conf);
	assert_contains(roster_config_error(), want);
	assert_contains(roster_config_error(), "hash_size");

	/* and a line that is not ini at all */
	fx_write_conf(fx, "this is not a key\n");
	assert_int_equal(roster_config_load(fx->conf, &c), -EINVAL);
	snprintf(want, sizeof(want), "%s:14:", fx->conf);
	assert_contains(roster_config_error(), want);

	/* a missing file that was asked for by name is an error */
	assert_int_equal(roster_config_load("/nonexistent/roster.conf", &c), -ENOENT);
	assert_contains(roster_config_error(), "/nonexistent/roster.conf");
}

static void test_config_uid_range_checked(void **state)
{
	struct fx *fx = *state;
	struct roster_config *c = NULL;

	fx_write_conf(fx, "[ids]\nuid_min = 80000\nuid_max = 79999\n");
	assert_int_equal(roster_config_load(fx->conf, &c), -EINVAL);
	assert_null(c);
	assert_contains(roster_config_error(), "uid_min");

	fx_write_conf(fx, "[ids]\nuid_min = 999\n");
	assert_int_equal(roster_config_load(fx->conf, &c), -EINVAL);

	fx_write_conf(fx, "[ids]\nuid_min = -5\n");
	assert_int_equal(roster_config_load(fx->conf, &c), -EINVAL);

	/* a one-id range is a range */
	fx_write_conf(fx, "[ids]\nuid_min = 80000\nuid_max = 80000\n");
	assert_int_equal(roster_config_load(fx->conf, &c), 0);
	assert_int_equal(c->uid_min, 80000);
	assert_int_equal(c->uid_max, 80000);
	roster_config_free(c);
}

/* ---- opening ---- */

static void assert_mode(const char *path, mode_t want)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		fail_msg("%s: %s", path, strerror(errno));
	assert_true(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
	if ((st.st_mode & 07777) != want)
		fail_msg("%s has mode %04o, want %04o", path, (unsigned)(st.st_mode & 07777), (unsigned)want);
	assert_int_equal(st.st_uid, 0);
}

static void test_open_create_file_modes(void **state)
{
	struct fx *fx = *state;
	char p[PATH_MAX];
	unsigned shards = 0;
	mode_t old = umask(0); /* the modes must not depend on the umask */

	fx_open(fx, ROSTER_OPEN_CREATE);
	umask(old);
	accounts_path(fx, p, sizeof(p));
	assert_mode(p, 0600);
	assert_mode(fx->dbdir, 0755);
	snprintf(p, sizeof(p), "%s/roster.lock", fx->dbdir);
	assert_mode(p, 0600);
	snprintf(p, sizeof(p), "%s/view", fx->dbdir);
	assert_mode(p, 0755);

	old = umask(077);
	txn_begin(fx);
	txn_commit(fx);
	umask(old);
	snprintf(p, sizeof(p), "%s/view/generation", fx->dbdir);
	assert_mode(p, 0644);
	for (unsigned no = 0; no < VIEW_SHARDS; no++) {
		assert_int_equal(view_shard_path(p, sizeof(p), fx->dbdir, no), 0);
		if (access(p, F_OK) == 0) {
			assert_mode(p, 0644);
			shards++;
		}
	}
	assert_true(shards > 0);
}

static void test_open_missing_database(void **state)
{
	struct fx *fx = *state;
	struct roster_db *db = NULL;

	assert_int_equal(roster_db_open(fx->cfg, 0, &db), -ENOENT);
	roster_db_close(db);
	assert_int_equal(access(fx->dbdir, F_OK), -1); /* and nothing was created */

	/* the directory alone is not a database */
	assert_int_equal(mkdir(fx->dbdir, 0755), 0);
	assert_int_equal(roster_db_open(fx->cfg, 0, &db), -ENOENT);
	assert_contains(roster_db_error(db), "no roster database");
	roster_db_close(db);
}

static void test_open_refuses_readable_accounts(void **state)
{
	struct fx *fx = *state;
	struct roster_db *db = NULL;
	char p[PATH_MAX];

	fx_close(fx);
	accounts_path(fx, p, sizeof(p));
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(roster_db_open(fx->cfg, 0, &db), -EPERM);
	assert_contains(roster_db_error(db), "0644");
	roster_db_close(db);
	/* ROSTER_OPEN_CREATE does not "fix" it either */
	assert_int_equal(roster_db_open(fx->cfg, ROSTER_OPEN_CREATE, &db), -EPERM);
	roster_db_close(db);
	assert_int_equal(chmod(p, 0640), 0);
	assert_int_equal(roster_db_open(fx->cfg, 0, &db), -EPERM);
	roster_db_close(db);
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(roster_db_open(fx->cfg, 0, &db), 0);
	roster_db_close(db);
}

static void test_open_refuses_symlink(void **state)
{
	struct fx *fx = *state;
	struct roster_db *db = NULL;
	char p[PATH_MAX], real[PATH_MAX];

	fx_close(fx);
	accounts_path(fx, p, sizeof(p));
	fx_path(fx, real, sizeof(real), "elsewhere.tdb");
	assert_int_equal(rename(p, real), 0);
	assert_int_equal(symlink(real, p), 0);
	assert_int_equal(roster_db_open(fx->cfg, 0, &db), -ELOOP);
	assert_contains(roster_db_error(db), "symbolic link");
	roster_db_close(db);
	assert_int_equal(roster_db_open(fx->cfg, ROSTER_OPEN_CREATE, &db), -ELOOP);
	roster_db_close(db);
}

static void test_open_refuses_writable_dir(void **state)
{
	struct fx *fx = *state;
	struct roster_db *db = NULL;

	fx_close(fx);
	assert_int_equal(chmod(fx->dbdir, 0777), 0);
	assert_int_equal(roster_db_open(fx->cfg, 0, &db), -EPERM);
	roster_db_close(db);
	assert_int_equal(chmod(fx->dbdir, 0755), 0);
	assert_int_equal(roster_db_open(fx->cfg, 0, &db), 0);
	roster_db_close(db);
}

static void test_tdb_no_fsync_env_ignored(void **state)
{
	struct fx *fx = *state;

	fx_close(fx);
	assert_int_equal(setenv("TDB_NO_FSYNC", "1", 1), 0);
	fx_open(fx, 0);
	/* tdb honours the variable by setting TDB_NOSYNC; roster clears it */
	assert_int_equal(tdb_get_flags(fx->db->tdb) & TDB_NOSYNC, 0);
	assert_int_not_equal(add_user(fx, "alice", "alice@example.org", NULL, NULL), 0);
	fx_close(fx);
	assert_int_equal(unsetenv("TDB_NO_FSYNC"), 0);
	fx_open(fx, 0);
	assert_int_equal(tdb_get_flags(fx->db->tdb) & TDB_NOSYNC, 0);
	assert_healthy(fx);
}

static void test_admin_role_after_first_transaction(void **state)
{
	struct fx *fx = *state;
	struct roster_role *ro = NULL;
	char **names = NULL;
	struct hist h;

	fx_open(fx, ROSTER_OPEN_CREATE);
	assert_int_equal(roster_role_get(fx->db, "roster-admin", &ro), -ENOENT);
	txn_begin(fx);
	txn_commit(fx);
	assert_int_equal(roster_role_get(fx->db, "roster-admin", &ro), 0);
	assert_int_equal(ro->gid, ADMIN_GID);
	assert_string_equal(ro->created_by, TEST_ACTOR);
	roster_role_free(ro);
	assert_int_equal(roster_role_names(fx->db, &names), 0);
	strv_expect(names, (const char *const[]){ "roster-admin" }, 1);
	roster_strv_free(names);
	history_of(fx, NULL, &h);
	assert_int_equal(h.n, 1);
	assert_contains(h.text, "role.add roster-admin by tester: gid:->70000");

	/* it survives closing and opening again, and is not created twice */
	fx_close(fx);
	fx_open(fx, 0);
	txn_begin(fx);
	txn_commit(fx);
	history_of(fx, NULL, &h);
	assert_int_equal(h.n, 1);
}

/* ---- users ---- */

static void test_uid_allocation_skips_system_ids(void **state)
{
	struct fx *fx = *state;
	struct roster_user *u = NULL;
	uint32_t a, b, c;

	a = add_user(fx, "alice", "alice@example.org", "Alice", "Liddell");
	b = add_user(fx, "bob", "bob@example.org", NULL, NULL);
	c = add_user(fx, "carol", "carol@example.org", NULL, NULL);
	assert_int_equal(a, 70001);
	assert_int_equal(b, 70004); /* 70002 is in passwd, 70003 in group */
	assert_int_equal(c, 70005);
	assert_int_equal(add_role(fx, "devs", NULL), 70006);
	assert_int_equal(add_user(fx, "dave", "dave@example.org", NULL, NULL), 70007);

	assert_int_equal(roster_user_get(fx->db, "bob", &u), 0);
	assert_int_equal(u->uid, 70004);
	assert_int_equal(u->gid, 70004); /* a private group */
	assert_string_equal(u->shell, "/bin/bash");
	assert_string_equal(u->home, "/home/bob");
	assert_int_equal(strlen(u->uuid), ROSTER_UUID_LEN);
	assert_string_equal(u->created_by, TEST_ACTOR);
	assert_int_equal(u->status, ROSTER_ACTIVE);
	assert_true(u->expires == ROSTER_NO_DATE);
	roster_user_free(u);
	assert_healthy(fx);
}

static void test_ids_never_reused(void **state)
{
	struct fx *fx = *state;
	uint32_t tmp, seen[8];
	size_t n = 0;

	seen[n++] = add_user(fx, "alice", "alice@example.org", NULL, NULL);
	tmp = add_role(fx, "tmp", NULL);
	txn_begin(fx);
	assert_int_equal(roster_role_delete(fx->db, "tmp"), 0);
	txn_commit(fx);
	/* the deleted role's gid stays reserved */
	assert_true(has_key(fx, "gid/70004"));
	assert_int_equal(tmp, 70004);
	seen[n++] = add_user(fx, "bob", "bob@example.org", NULL, NULL);
	seen[n++] = add_user(fx, "carol", "carol@example.org", NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		assert_int_not_equal(seen[i], tmp);
		assert_int_not_equal(seen[i], ADMIN_GID);
		assert_true(i == 0 || seen[i] > seen[i - 1]);
	}
	assert_int_equal(seen[1], 70005);
	/* the deleted role's name may come back, but with a new gid */
	assert_int_equal(add_role(fx, "tmp", NULL), 70007);
}

static void test_duplicate_name_refused(void **state)
{
	struct fx *fx = *state;
	struct roster_role ro = { .name = (char *)"alice" };

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	add_refused(fx, user_new("alice", "other@example.org", NULL, NULL), -EEXIST, "already exists");
	/* a role is a group, and a user has a group of the same name */
	add_refused(fx, user_new("roster-admin", "admin@example.org", NULL, NULL), -EEXIST, "role");
	txn_begin(fx);
	assert_int_equal(roster_role_add(fx->db, &ro), -EEXIST);
	roster_txn_abort(fx->db);
	assert_int_equal(next_id(fx), 70002); /* nothing was allocated */
}

static void test_duplicate_email_refused_any_case(void **state)
{
	struct fx *fx = *state;
	struct roster_user *u = NULL;

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	add_refused(fx, user_new("bob", "alice@example.org", NULL, NULL), -EEXIST, "alice");
	add_refused(fx, user_new("bob", "ALICE@Example.ORG", NULL, NULL), -EEXIST, "alice");
	add_refused(fx, user_new("bob", "Alice@example.org", NULL, NULL), -EEXIST, "alice");
	assert_int_equal(roster_user_get(fx->db, "bob", &u), -ENOENT);
	/* an update onto someone else's address is refused the same way */
	add_user(fx, "bob", "bob@example.org", NULL, NULL);
	assert_int_equal(roster_user_get(fx->db, "bob", &u), 0);
	free(u->email);
	u->email = strdup("aLiCe@EXAMPLE.org");
	txn_begin(fx);
	assert_int_equal(roster_user_update(fx->db, u, "user.edit"), -EEXIST);
	roster_txn_abort(fx->db);
	roster_user_free(u);
	assert_healthy(fx);
}

/* A new address is reserved and the old one is free again. */
static void test_email_change_releases_old(void **state)
{
	struct fx *fx = *state;
	struct roster_user *u = NULL;

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	assert_int_equal(roster_user_get(fx->db, "alice", &u), 0);
	free(u->email);
	u->email = strdup("alice.liddell@example.org");
	txn_begin(fx);
	assert_int_equal(roster_user_update(fx->db, u, "user.edit"), 0);
	txn_commit(fx);
	roster_user_free(u);
	assert_false(has_key(fx, "email/alice@example.org"));
	assert_true(has_key(fx, "email/alice.liddell@example.org"));
	add_refused(fx, user_new("bob", "Alice.Liddell@example.org", NULL, NULL), -EEXIST, "alice");
	add_user(fx, "bob", "alice@example.org", NULL, NULL);
	assert_healthy(fx);
}

/* Changing only the case of one's own address must keep it reserved. */
static void test_email_case_change_keeps_it_reserved(void **state)
{
	struct fx *fx = *state;
	struct roster_user *u = NULL;
	struct problems p;
	struct roster_check_report rep;
	int r;

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	assert_int_equal(roster_user_get(fx->db, "alice", &u), 0);
	free(u->email);
	u->email = strdup("Alice@Example.org");
	txn_begin(fx);
	assert_int_equal(roster_user_update(fx->db, u, "user.edit"), 0);
	txn_commit(fx);
	roster_user_free(u);

	rep = check(fx, false, &p);
	assert_true(has_key(fx, "email/alice@example.org"));
	if (rep.problems)
		fail_msg("after a case-only email change db check finds:\n%s", p.text);
	u = user_new("mallory", "alice@example.org", NULL, NULL);
	txn_begin(fx);
	r = roster_user_add(fx->db, u);
	roster_txn_abort(fx->db);
	roster_user_free(u);
	assert_int_equal(r, -EEXIST);
}

static void test_system_names_refused(void **state)
{
	struct fx *fx = *state;
	struct roster_role ro = { .name = (char *)"sysgroup" };

	add_refused(fx, user_new("root", "root@example.org", NULL, NULL), -EEXIST, "passwd");
	add_refused(fx, user_new("daemon", "d@example.org", NULL, NULL), -EEXIST, NULL);
	add_refused(fx, user_new("sysuser", "s@example.org", NULL, NULL), -EEXIST, NULL);
	/* its private group would clash with a system group */
	add_refused(fx, user_new("sysgroup", "g@example.org", NULL, NULL), -EEXIST, NULL);
	txn_begin(fx);
	assert_int_equal(roster_role_add(fx->db, &ro), -EEXIST);
	roster_txn_abort(fx->db);
	assert_int_equal(next_id(fx), 70001);
}

static void test_invalid_fields_refused(void **state)
{
	struct fx *fx = *state;
	struct roster_user *u;

	u = user_new("alice", "alice@example.org", NULL, NULL);
	u->shell = strdup("/bin/zsh");
	add_refused(fx, u, -EINVAL, "shells");
	u = user_new("alice", "alice@example.org", NULL, NULL);
	u->shell = strdup("bash");
	add_refused(fx, u, -EINVAL, "shell");
	u = user_new("alice", "alice@example.org", NULL, NULL);
	u->home = strdup("/home/../etc");
	add_refused(fx, u, -EINVAL, "home");
	u = user_new("alice", "alice@example.org", NULL, NULL);
	u->home = strdup("srv/alice");
	add_refused(fx, u, -EINVAL, "home");
	u = user_new("alice", "alice@example.org", NULL, NULL);
	u->home = strdup("/srv/a:b");
	add_refused(fx, u, -EINVAL, "home");
	add_refused(fx, user_new("alice", "not-an-address", NULL, NULL), -EINVAL, "email");
	/* No email at all is not refused: users adopted from /etc/passwd have none. */
	add_refused(fx, user_new("Alice", "alice@example.org", NULL, NULL), -EINVAL, "user name");
	add_refused(fx, user_new(NULL, "alice@example.org", NULL, NULL), -EINVAL, "user name");
	add_refused(fx, user_new("alice", "alice@example.org", "Al:ice", NULL), -EINVAL, "first name");
	add_refused(fx, user_new("alice", "alice@example.org", NULL, "Lid,dell"), -EINVAL, "last name");
	u = user_new("alice", "alice@example.org", NULL, NULL);
	u->supervisor = strdup("nobody");
	add_refused(fx, u, -ENOENT, "supervisor");
	u = user_new("alice", "alice@example.org", NULL, NULL);
	u->supervisor = strdup("alice");
	add_refused(fx, u, -EINVAL, "supervisor");
	u = user_new("alice", "alice@example.org", NULL, NULL);
	assert_int_equal(strv_add(&u->roles, "nosuchrole"), 0);
	add_refused(fx, u, -ENOENT, "nosuchrole");
	assert_int_equal(next_id(fx), 70001);

	/* outside a transaction nothing is written */
	u = user_new("alice", "alice@example.org", NULL, NULL);
	assert_int_equal(roster_user_add(fx->db, u), -EINVAL);
	roster_user_free(u);
	assert_int_equal(roster_user_get(fx->db, "alice", &u), -ENOENT);
}

/* A home directory is stored normalised, whatever the caller wrote. */
/* Under a shared primary group no user has a group of their own, even
 * when their uid happens to equal the gid of some existing group. */
static void test_shared_primary_group(void **state)
{
	struct fx *fx = *state;
	struct roster_user *u = NULL;
	const char *const names[] = { "alice", "bob", "carol" };
	char path[PATH_MAX], key[VIEW_KEY_MAX];
	struct view_map m;
	const unsigned char *v;
	uint32_t vl;

	roster_config_free(fx->cfg);
	fx_write_conf(fx, "[users]\nprimary_group = sysgroup\n");
	assert_int_equal(roster_config_load(fx->conf, &fx->cfg), 0);
	assert_int_equal(fx->cfg->pg_policy, ROSTER_PG_SHARED);
	fx_open(fx, ROSTER_OPEN_CREATE);
	for (size_t i = 0; i < 3; i++) {
		char email[64];

		snprintf(email, sizeof(email), "%s@example.org", names[i]);
		add_user(fx, names[i], email, NULL, NULL);
		assert_int_equal(roster_user_get(fx->db, names[i], &u), 0);
		assert_int_equal(u->gid, SYS_GID_TAKEN); /* sysgroup, from the group file */
		assert_int_not_equal(u->uid, SYS_UID_TAKEN);
		roster_user_free(u);
		/* no group named after the user */
		assert_int_equal(view_shard_path(path, sizeof(path), fx->dbdir,
						 view_shard_of(view_hash(names[i], strlen(names[i])))), 0);
		assert_int_equal(view_map_open(path, &m), 0);
		if (view_map_find(&m, key, view_make_key(key, VIEW_GR_NAME, names[i]), &v, &vl) == 0)
			fail_msg("the view has a group %s under a shared primary group", names[i]);
		view_map_close(&m);
	}
	assert_healthy(fx);
}

static void test_home_normalised(void **state)
{
	struct fx *fx = *state;
	struct roster_user *u = user_new("alice", "alice@example.org", NULL, NULL), *got = NULL;

	u->home = strdup("//srv//people/./alice/");
	txn_begin(fx);
	assert_int_equal(roster_user_add(fx->db, u), 0);
	txn_commit(fx);
	assert_string_equal(u->home, "/srv/people/alice");
	assert_int_equal(roster_user_get(fx->db, "alice", &got), 0);
	assert_string_equal(got->home, "/srv/people/alice");
	free(got->home);
	got->home = strdup("/srv/people//alice2/");
	txn_begin(fx);
	assert_int_equal(roster_user_update(fx->db, got, "user.edit"), 0);
	txn_commit(fx);
	roster_user_free(got);
	assert_int_equal(roster_user_get(fx->db, "alice", &got), 0);
	assert_string_equal(got->home, "/srv/people/alice2");
	roster_user_free(got);
	roster_user_free(u);
	assert_healthy(fx);
}

static void test_failed_add_then_abort_leaves_nothing(void **state)
{
	struct fx *fx = *state;
	struct roster_user *u = NULL, *c, *d;
	uint64_t before;
	struct hist h;
	char key[64];
	uint32_t carol_uid;

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	before = next_id(fx);
	assert_int_equal(before, 70002);

	txn_begin(fx);
	c = user_new("carol", "carol@example.org", NULL, NULL);
	assert_int_equal(roster_user_add(fx->db, c), 0);
	carol_uid = c->uid;
	d = user_new("dave", "ALICE@example.org", NULL, NULL); /* fails late: the email */
	assert_int_equal(roster_user_add(fx->db, d), -EEXIST);
	roster_txn_abort(fx->db);

	/* neither the user nor any of its indexes or counters survive */
	assert_int_equal(roster_user_get(fx->db, "carol", &u), -ENOENT);
	assert_int_equal(roster_user_get(fx->db, "dave", &u), -ENOENT);
	assert_int_equal(next_id(fx), before);
	snprintf(key, sizeof(key), "uid/%u", (unsigned)carol_uid);
	assert_false(has_key(fx, key));
	snprintf(key, sizeof(key), "gid/%u", (unsigned)carol_uid);
	assert_false(has_key(fx, key));
	snprintf(key, sizeof(key), "uid/%u", (unsigned)d->uid);
	assert_false(has_key(fx, key));
	assert_false(has_key(fx, "email/carol@example.org"));
	assert_false(has_key(fx, "email/dave@example.org"));
	assert_false(has_key(fx, "user/carol"));
	history_of(fx, "carol", &h);
	assert_int_equal(h.n, 0);
	history_of(fx, NULL, &h);
	assert_int_equal(h.n, 2); /* the admin role and alice */
	roster_user_free(c);
	roster_user_free(d);

	/* the next add gets the ids as if nothing had happened */
	assert_int_equal(add_user(fx, "carol", "carol@example.org", NULL, NULL), carol_uid);
	assert_healthy(fx);
}

static void test_id_range_exhausted(void **state)
{
	struct fx *fx = *state;
	struct roster_user *u;
	char name[16], email[32];
	unsigned added = 0;
	int r;

	/* 70001-70010 less 70002 and 70003: eight users fit */
	for (unsigned i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "user%u", i);
		snprintf(email, sizeof(email), "user%u@example.org", i);
		add_user(fx, name, email, NULL, NULL);
		added++;
	}
	u = user_new("straw", "straw@example.org", NULL, NULL);
	txn_begin(fx);
	r = roster_user_add(fx->db, u);
	assert_int_equal(r, -ENOSPC);
	assert_contains(roster_db_error(fx->db), "70000-70010");
	assert_contains(roster_db_error(fx->db), "exhausted");
	assert_contains(roster_db_error(fx->db), fx->conf);
	roster_txn_abort(fx->db);
	roster_user_free(u);
	assert_int_equal(added, 8);
	assert_int_equal(next_id(fx), 70011);
	assert_healthy(fx);
}

static void test_update_records_history(void **state)
{
	struct fx *fx = *state;
	struct roster_user *u = NULL;
	char hash[ROSTER_HASH_MAX];
	int64_t exp;
	struct hist h;

	add_user(fx, "bob", "bob@example.org", NULL, NULL);
	add_user(fx, "alice", "alice@example.org", "Alice", "Liddell");
	assert_int_equal(roster_user_get(fx->db, "alice", &u), 0);
	free(u->last);
	u->last = strdup("Hargreaves");
	free(u->shell);
	u->shell = strdup("/bin/sh");
	u->supervisor = strdup("bob");
	assert_int_equal(roster_parse_date("2030-01-31", &exp), 0);
	u->expires = exp;
	u->must_change = true;
	assert_int_equal(roster_password_hash(fx->cfg, "correct horse battery", hash), 0);
	u->pwhash = strdup(hash);
	txn_begin(fx);
	assert_int_equal(roster_user_update(fx->db, u, "user.edit"), 0);
	txn_commit(fx);

	history_of(fx, "alice", &h);
	assert_int_equal(h.n, 2);
	assert_contains(h.text, "user.add alice by tester: email:->alice@example.org "
				"first_name:->Alice last_name:->Liddell");
	assert_contains(h.text, "user.edit alice by tester:");
	assert_contains(h.text, " last_name:Liddell>Hargreaves");
	assert_contains(h.text, " supervisor:->bob");
	assert_contains(h.text, " shell:/bin/bash>/bin/sh");
	assert_contains(h.text, " must_change_password:false>true");
	assert_contains(h.text, " expires:->2030-01-31");
	assert_contains(h.text, " password:*\n"); /* named, no values */
	assert_not_contains(h.text, "LEAK");
	assert_not_contains(h.text, "argon2");
	assert_not_contains(h.text, " first_name:Alice>"); /* unchanged fields are not listed */

	/* the stored user has the new values */
	roster_user_free(u);
	assert_int_equal(roster_user_get(fx->db, "alice", &u), 0);
	assert_string_equal(u->last, "Hargreaves");
	assert_string_equal(u->pwhash, hash);
	assert_string_equal(u->updated_by, TEST_ACTOR);
	assert_int_equal(roster_password_verify(fx->cfg, u->pwhash, "correct horse battery"), 0);

	/* writing the same user again changes nothing and records nothing */
	txn_begin(fx);
	assert_int_equal(roster_user_update(fx->db, u, "user.edit"), 0);
	txn_commit(fx);
	history_of(fx, "alice", &h);
	assert_int_equal(h.n, 2);

	/* a status change and clearing a field */
	u->status = ROSTER_DISABLED;
	free(u->supervisor);
	u->supervisor = NULL;
	txn_begin(fx);
	assert_int_equal(roster_user_update(fx->db, u, "user.disable"), 0);
	txn_commit(fx);
	history_of(fx, "alice", &h);
	assert_int_equal(h.n, 3);
	assert_contains(h.text, "user.disable alice by tester: supervisor:bob>- status:active>disabled\n");
	history_of(fx, "bob", &h);
	assert_int_equal(h.n, 1); /* only alice's events are alice's */
	roster_user_free(u);
	assert_healthy(fx);
}

static void test_update_cannot_change_ids(void **state)
{
	struct fx *fx = *state;
	struct roster_user *u = NULL;

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	assert_int_equal(roster_user_get(fx->db, "alice", &u), 0);
	txn_begin(fx);
	u->uid++;
	assert_int_equal(roster_user_update(fx->db, u, "user.edit"), -EINVAL);
	u->uid--;
	u->gid = ADMIN_GID;
	assert_int_equal(roster_user_update(fx->db, u, "user.edit"), -EINVAL);
	u->gid = u->uid;
	u->uuid[0] = u->uuid[0] == 'a' ? 'b' : 'a';
	assert_int_equal(roster_user_update(fx->db, u, "user.edit"), -EINVAL);
	roster_txn_abort(fx->db);
	roster_user_free(u);

	/* nor is a user deleted by writing the tombstone status */
	assert_int_equal(roster_user_get(fx->db, "alice", &u), 0);
	u->status = ROSTER_DELETED;
	txn_begin(fx);
	assert_int_equal(roster_user_update(fx->db, u, "user.edit"), -EINVAL);
	roster_txn_abort(fx->db);
	roster_user_free(u);
	assert_int_equal(roster_user_get(fx->db, "alice", &u), 0);
	assert_int_equal(u->status, ROSTER_ACTIVE);
	roster_user_free(u);
}

/* ---- roles ---- */

static void test_roles_assign_revoke_delete(void **state)
{
	struct fx *fx = *state;
	struct roster_role *ro = NULL;
	struct roster_user *u = NULL;
	char **v = NULL;
	struct hist h;
	uint32_t devs;

	devs = add_role(fx, "devs", "Developers");
	add_role(fx, "ops", NULL);
	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	add_user(fx, "bob", "bob@example.org", NULL, NULL);
	assign(fx, "devs", "bob");
	assign(fx, "devs", "alice");
	assign(fx, "ops", "alice");

	assert_int_equal(roster_role_members(fx->db, "devs", &v), 0);
	strv_expect(v, (const char *const[]){ "alice", "bob" }, 2);
	roster_strv_free(v);
	assert_int_equal(roster_user_get(fx->db, "alice", &u), 0);
	strv_expect(u->roles, (const char *const[]){ "devs", "ops" }, 2);
	roster_user_free(u);
	assert_int_equal(roster_role_names(fx->db, &v), 0);
	strv_expect(v, (const char *const[]){ "devs", "ops", "roster-admin" }, 3);
	roster_strv_free(v);

	txn_begin(fx);
	assert_int_equal(roster_role_assign(fx->db, "devs", "bob"), -EALREADY);
	assert_int_equal(roster_role_assign(fx->db, "nosuch", "bob"), -ENOENT);
	assert_int_equal(roster_role_assign(fx->db, "devs", "nobody"), -ENOENT);
	assert_int_equal(roster_role_revoke(fx->db, "devs", "bob"), 0);
	assert_int_equal(roster_role_revoke(fx->db, "devs", "bob"), -EALREADY);
	txn_commit(fx);
	assert_int_equal(roster_role_members(fx->db, "devs", &v), 0);
	strv_expect(v, (const char *const[]){ "alice" }, 1);
	roster_strv_free(v);
	history_of(fx, "bob", &h);
	assert_contains(h.text, "role.assign bob by tester: roles:->devs\n");
	assert_contains(h.text, "role.revoke bob by tester: roles:devs>-\n");

	/* an edit is recorded; the gid cannot change */
	assert_int_equal(roster_role_get(fx->db, "devs", &ro), 0);
	free(ro->description);
	ro->description = strdup("Developers and testers");
	assert_int_equal(roster_parse_services("sshd,login", &ro->services), 0);
	txn_begin(fx);
	assert_int_equal(roster_role_update(fx->db, ro), 0);
	ro->gid++;
	assert_int_equal(roster_role_update(fx->db, ro), -EINVAL);
	txn_commit(fx);
	roster_role_free(ro);
	history_of(fx, "devs", &h);
	assert_contains(h.text, "role.edit devs by tester: description:Developers>Developers and testers "
				"services:->login,sshd\n");

	/* deleting revokes it from every holder, each with its own event */
	txn_begin(fx);
	assert_int_equal(roster_role_delete(fx->db, "devs"), 0);
	txn_commit(fx);
	assert_int_equal(roster_role_get(fx->db, "devs", &ro), -ENOENT);
	assert_int_equal(roster_role_members(fx->db, "devs", &v), -ENOENT);
	assert_int_equal(roster_role_names(fx->db, &v), 0);
	strv_expect(v, (const char *const[]){ "ops", "roster-admin" }, 2);
	roster_strv_free(v);
	assert_int_equal(roster_user_get(fx->db, "alice", &u), 0);
	strv_expect(u->roles, (const char *const[]){ "ops" }, 1);
	roster_user_free(u);
	history_of(fx, "alice", &h);
	assert_contains(h.text, "role.revoke alice by tester: roles:devs,ops>ops\n");
	history_of(fx, "devs", &h);
	assert_contains(h.text, "role.delete devs by tester: role:devs>-\n");
	assert_false(has_key(fx, "members/devs"));
	assert_int_equal(devs, 70001);
	assert_true(has_key(fx, "gid/70001")); /* the gid stays reserved */

	/* the admin role stays */
	txn_begin(fx);
	assert_int_equal(roster_role_delete(fx->db, "roster-admin"), -EPERM);
	assert_int_equal(roster_role_delete(fx->db, "devs"), -ENOENT);
	roster_txn_abort(fx->db);
	assert_healthy(fx);
}

/* Roles given when the user is added are held from the start. */
static void test_roles_given_at_add(void **state)
{
	struct fx *fx = *state;
	struct roster_user *u = user_new("alice", "alice@example.org", NULL, NULL);
	char **m = NULL;
	struct hist h;

	add_role(fx, "devs", NULL);
	add_role(fx, "ops", NULL);
	assert_int_equal(strv_add(&u->roles, "ops"), 0);
	assert_int_equal(strv_add(&u->roles, "devs"), 0);
	txn_begin(fx);
	assert_int_equal(roster_user_add(fx->db, u), 0);
	txn_commit(fx);
	roster_user_free(u);
	assert_int_equal(roster_role_members(fx->db, "devs", &m), 0);
	strv_expect(m, (const char *const[]){ "alice" }, 1);
	roster_strv_free(m);
	assert_int_equal(roster_role_members(fx->db, "ops", &m), 0);
	strv_expect(m, (const char *const[]){ "alice" }, 1);
	roster_strv_free(m);
	history_of(fx, "alice", &h);
	assert_contains(h.text, " roles:->devs,ops");
	assert_healthy(fx);
}

static void test_role_fields_validated(void **state)
{
	struct fx *fx = *state;
	struct roster_role ro = { .name = (char *)"devs" };
	char *bad[] = { (char *)"sshd", (char *)"../x", NULL };

	txn_begin(fx);
	ro.description = (char *)"two\nlines";
	assert_int_equal(roster_role_add(fx->db, &ro), -EINVAL);
	ro.description = NULL;
	ro.services = bad;
	assert_int_equal(roster_role_add(fx->db, &ro), -EINVAL);
	assert_contains(roster_db_error(fx->db), "../x");
	ro.services = NULL;
	ro.name = (char *)"Devs";
	assert_int_equal(roster_role_add(fx->db, &ro), -EINVAL);
	roster_txn_abort(fx->db);
	assert_int_equal(next_id(fx), 70001);
}

static int count_user(const struct roster_user *u, void *priv)
{
	struct problems *p = priv; /* reused as a list of names */

	collect_problem(u->name, p);
	return 0;
}

static void test_user_foreach_filters(void **state)
{
	struct fx *fx = *state;
	struct roster_user_filter all = { .status = -1 }, devs = { .role = "devs", .status = -1 },
				  disabled = { .status = ROSTER_DISABLED };
	struct roster_user *u = NULL;
	struct problems p;

	add_role(fx, "devs", NULL);
	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	add_user(fx, "bob", "bob@example.org", NULL, NULL);
	add_user(fx, "carol", "carol@example.org", NULL, NULL);
	assign(fx, "devs", "bob");
	assert_int_equal(roster_user_get(fx->db, "carol", &u), 0);
	u->status = ROSTER_DISABLED;
	txn_begin(fx);
	assert_int_equal(roster_user_update(fx->db, u, "user.disable"), 0);
	txn_commit(fx);
	roster_user_free(u);

	memset(&p, 0, sizeof(p));
	assert_int_equal(roster_user_foreach(fx->db, &all, count_user, &p), 0);
	assert_int_equal(p.n, 3);
	memset(&p, 0, sizeof(p));
	assert_int_equal(roster_user_foreach(fx->db, &devs, count_user, &p), 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.text, "bob\n");
	memset(&p, 0, sizeof(p));
	assert_int_equal(roster_user_foreach(fx->db, &disabled, count_user, &p), 0);
	assert_string_equal(p.text, "carol\n");
}

/* ---- db check ---- */

static void test_check_healthy(void **state)
{
	struct fx *fx = *state;
	struct roster_check_report rep;
	struct problems p;
	struct hist h;

	add_role(fx, "devs", NULL);
	add_user(fx, "alice", "alice@example.org", "Alice", "Liddell");
	add_user(fx, "bob", "bob@example.org", NULL, NULL);
	assign(fx, "devs", "alice");
	history_of(fx, NULL, &h);

	rep = check(fx, false, &p);
	if (rep.problems)
		fail_msg("a healthy database has %u problems:\n%s", rep.problems, p.text);
	assert_int_equal(p.n, 0);
	assert_false(rep.view_stale);
	assert_int_equal(rep.users, 2);
	assert_int_equal(rep.roles, 2);
	assert_int_equal(rep.events, h.n);
	assert_int_equal(rep.events, 5);
	assert_int_equal(rep.repaired, 0);
}

/* The smallest database: one empty transaction. */
static void test_check_healthy_new_database(void **state)
{
	struct fx *fx = *state;
	struct roster_check_report rep;
	struct problems p;

	rep = check(fx, false, &p);
	if (rep.problems)
		fail_msg("a new database has %u problems:\n%.1000s", rep.problems, p.text);
	assert_false(rep.view_stale);
	assert_int_equal(rep.roles, 1);
	assert_int_equal(rep.events, 1);
}

/* accounts.tdb opened by hand, with roster's handle closed meanwhile. */
static struct tdb_context *raw_open(struct fx *fx)
{
	char path[PATH_MAX];
	struct tdb_context *t;

	fx_close(fx);
	accounts_path(fx, path, sizeof(path));
	t = tdb_open(path, 0, TDB_DEFAULT, O_RDWR, 0);
	assert_non_null(t);
	return t;
}

static void raw_close(struct fx *fx, struct tdb_context *t)
{
	assert_int_equal(tdb_close(t), 0);
	fx_open(fx, 0);
}

/* Rewrites one record of accounts.tdb behind roster's back. */
static void tamper(struct fx *fx, const char *key, const char *find, const char *repl)
{
	struct tdb_context *t;
	TDB_DATA k = { (unsigned char *)key, strlen(key) }, d;
	unsigned char *at;

	assert_int_equal(strlen(find), strlen(repl));
	t = raw_open(fx);
	d = tdb_fetch(t, k);
	assert_non_null(d.dptr);
	at = memmem(d.dptr, d.dsize, find, strlen(find));
	assert_non_null(at);
	memcpy(at, repl, strlen(repl));
	assert_int_equal(tdb_store(t, k, d, TDB_REPLACE), 0);
	free(d.dptr);
	raw_close(fx, t);
}

/* Another process's user add, with a handle of its own (tdb opens a file
 * once per process).  The child calls the library, never cmocka: a
 * failed assert would run the rest of the suite in the child. */
static void add_user_elsewhere(struct fx *fx, const char *name, const char *email)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct roster_user *u = user_new(name, email, NULL, NULL);
		struct roster_db *db = NULL;
		int r;

		roster_db_close(fx->db);
		r = roster_db_open(fx->cfg, 0, &db);
		r = r ?: roster_txn_begin(db, TEST_ACTOR);
		r = r ?: roster_user_add(db, u);
		r = r ?: roster_txn_commit(db);
		if (r < 0)
			fprintf(stderr, "adding %s elsewhere: %s (%s)\n", name, strerror(-r), roster_db_error(db));
		_exit(r < 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A transaction reads the head of the history once and stores it at its
 * commit (db->ev): two processes taking turns, one of them after an
 * abort, still make one chain, and a transaction lists its own events. */
static void test_history_head_per_transaction(void **state)
{
	struct fx *fx = *state;
	struct roster_check_report rep;
	struct roster_user *u;
	struct problems p;
	struct hist h;

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	add_user_elsewhere(fx, "bob", "bob@example.org");
	txn_begin(fx);
	u = user_new("carol", "carol@example.org", NULL, NULL);
	assert_int_equal(roster_user_add(fx->db, u), 0);
	roster_user_free(u);
	history_of(fx, NULL, &h);
	assert_contains(h.text, "user.add carol");
	assert_contains(h.text, "user.add bob");
	roster_txn_abort(fx->db);
	/* a login's transaction (no history of its own) after the abort */
	assert_int_equal(roster_auth_fail(fx->db, "alice", time(NULL), NULL), 0);
	add_user_elsewhere(fx, "dave", "dave@example.org");
	add_user(fx, "erin", "erin@example.org", NULL, NULL);
	add_user_elsewhere(fx, "frank", "frank@example.org");
	add_user(fx, "grace", "grace@example.org", NULL, NULL);

	history_of(fx, NULL, &h);
	assert_not_contains(h.text, "carol");
	assert_contains(h.text, "user.add alice");
	assert_contains(h.text, "user.add frank");
	assert_contains(h.text, "user.add grace");
	rep = check(fx, false, &p);
	if (rep.problems)
		fail_msg("taking turns broke the history:\n%s", p.text);
	assert_int_equal(rep.events, h.n);
	assert_int_equal(rep.events, 7); /* the admin role and six users */
}

static void test_check_detects_edited_event(void **state)
{
	struct fx *fx = *state;
	struct roster_check_report rep;
	struct problems p;

	add_user(fx, "alice", "alice@example.org", NULL, NULL); /* event 2 */
	add_user(fx, "bob", "bob@example.org", NULL, NULL);     /* event 3 */
	assert_healthy(fx);

	/* hide who made alice: the record still decodes, the chain breaks */
	tamper(fx, "ev/2", "tester", "nobody");
	rep = check(fx, false, &p);
	assert_true(rep.problems >= 1);
	assert_contains(p.text, "history event 3");
	assert_contains(p.text, "edited");
	assert_int_equal(rep.events, 3);
	/* and repair does not pretend to fix history */
	rep = check(fx, true, &p);
	assert_true(rep.problems >= 1);
	assert_contains(p.text, "edited");
}

static void test_check_detects_edited_last_event(void **state)
{
	struct fx *fx = *state;
	struct roster_check_report rep;
	struct problems p;

	add_user(fx, "alice", "alice@example.org", NULL, NULL); /* event 2, the last */
	tamper(fx, "ev/2", "alice@example.org", "alice@example.com");
	rep = check(fx, false, &p);
	assert_true(rep.problems >= 1);
	assert_contains(p.text, "the last history event (2) was edited");
}

/* An event past meta/ev_seq (a head rolled back, say by a partial
 * restore) stops every write: db check says so. */
static void test_check_detects_rolled_back_head(void **state)
{
	struct fx *fx = *state;
	struct roster_check_report rep;
	struct problems p;
	struct tdb_context *t;
	uint64_t two = 2;
	TDB_DATA k = { (unsigned char *)"meta/ev_seq", 11 }, d = { (unsigned char *)&two, sizeof(two) };
	struct roster_user *u;

	add_user(fx, "alice", "alice@example.org", NULL, NULL); /* event 2 */
	add_user(fx, "bob", "bob@example.org", NULL, NULL);     /* event 3 */
	t = raw_open(fx);
	assert_int_equal(tdb_store(t, k, d, TDB_REPLACE), 0);
	raw_close(fx, t);
	txn_begin(fx);
	u = user_new("carol", "carol@example.org", NULL, NULL);
	assert_int_equal(roster_user_add(fx->db, u), -EBADMSG);
	assert_contains(roster_db_error(fx->db), "history event 3 is already there");
	roster_user_free(u);
	roster_txn_abort(fx->db);
	rep = check(fx, false, &p);
	assert_true(rep.problems >= 1);
	assert_contains(p.text, "history event 3 is there, but the history ends at 2");
}

static void test_check_stale_view_repaired(void **state)
{
	struct fx *fx = *state;
	struct roster_check_report rep;
	struct problems p;
	char path[PATH_MAX], text[64];
	uint64_t gen = 0, stamp = 0;

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	assert_healthy(fx);
	assert_int_equal(db_get_u64(fx->db, "meta/generation", &gen), 0);
	snprintf(path, sizeof(path), "%s/view/generation", fx->dbdir);
	snprintf(text, sizeof(text), "%020llu\n", (unsigned long long)gen + 7);
	write_file(path, text);

	rep = check(fx, false, &p);
	assert_true(rep.view_stale);
	assert_true(rep.problems >= 1);
	assert_int_equal(rep.repaired, 0);
	assert_contains(p.text, "NSS view");

	rep = check(fx, true, &p);
	assert_true(rep.view_stale);
	assert_true(rep.repaired >= 1);
	assert_int_equal(view_read_stamp(fx->dbdir, &stamp), 0);
	assert_int_equal(stamp, gen);
	assert_healthy(fx);

	/* garbage in the stamp is stale too */
	write_file(path, "not a number\n");
	rep = check(fx, true, &p);
	assert_true(rep.view_stale);
	assert_healthy(fx);
}

static void test_check_detects_lost_view_entry(void **state)
{
	struct fx *fx = *state;
	struct roster_check_report rep;
	struct problems p;
	char path[PATH_MAX];

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	/* the shard holding alice's passwd entry goes missing */
	assert_int_equal(view_shard_path(path, sizeof(path), fx->dbdir,
					 view_shard_of(view_hash("alice", 5))), 0);
	assert_int_equal(unlink(path), 0);
	rep = check(fx, false, &p);
	assert_true(rep.view_stale);
	assert_true(rep.problems >= 1);
	rep = check(fx, true, &p);
	assert_true(rep.repaired >= 1);
	assert_int_equal(access(path, F_OK), 0);
	assert_healthy(fx);
}

/* Stores (value non-NULL) or deletes key in accounts.tdb behind roster's back. */
static void put_raw(struct fx *fx, const char *key, const char *value)
{
	struct tdb_context *t = raw_open(fx);
	TDB_DATA k = { (unsigned char *)key, strlen(key) };

	if (value)
		assert_int_equal(tdb_store(t, k, (TDB_DATA){ (unsigned char *)value, strlen(value) },
					   TDB_REPLACE), 0);
	else
		assert_int_equal(tdb_delete(t, k), 0);
	raw_close(fx, t);
}

static bool raw_exists(struct fx *fx, const char *key)
{
	struct tdb_context *t = raw_open(fx);
	bool r = tdb_exists(t, (TDB_DATA){ (unsigned char *)key, strlen(key) });

	raw_close(fx, t);
	return r;
}

/* Copies key's value to key2 (a record under a second name). */
static void copy_raw(struct fx *fx, const char *key, const char *key2)
{
	struct tdb_context *t = raw_open(fx);
	TDB_DATA d = tdb_fetch(t, (TDB_DATA){ (unsigned char *)key, strlen(key) });

	assert_non_null(d.dptr);
	assert_int_equal(tdb_store(t, (TDB_DATA){ (unsigned char *)key2, strlen(key2) }, d, TDB_REPLACE), 0);
	free(d.dptr);
	raw_close(fx, t);
}

/* Index entries left behind by a half-made or half-removed user are found:
 * every uid/, gid/ u:, email/, members/ and role/ key must lead back to a
 * record that agrees. */
static void test_check_detects_orphan_indexes(void **state)
{
	static const struct {
		const char *key, *value, *says;
	} cases[] = {
		{ "uid/70009", "ghost", "index uid/70009 names user ghost, who has no record" },
		{ "uid/70009", "alice", "index uid/70009 names alice, whose uid is 70001" },
		{ "gid/70009", "u:ghost", "index gid/70009 names user ghost, who has no record" },
		{ "gid/70009", "x:alice", "index gid/70009 points at 'x:alice'" },
		{ "email/ghost@example.org", "ghost", "names user ghost, who has no record" },
		{ "email/old@example.org", "alice", "index email/old@example.org names alice, whose email is alice@example.org" },
		{ "members/ghosts", "", "members/ghosts exists, but role ghosts is not in the role index" },
		{ "role/ghosts", "", "role/ghosts exists, but role ghosts is not in the role index" },
	};
	struct fx *fx = *state;
	struct roster_check_report rep;
	struct problems p;
	char key[32], says[128];
	uint32_t gid;

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	assert_healthy(fx);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put_raw(fx, cases[i].key, cases[i].value);
		rep = check(fx, true, &p);
		assert_true(rep.problems >= 1);
		assert_false(rep.view_stale);
		assert_contains(p.text, cases[i].says);
		/* a member list is derived: the repair removed it */
		assert_int_equal(raw_exists(fx, cases[i].key), strncmp(cases[i].key, "members/", 8) != 0);
		if (raw_exists(fx, cases[i].key))
			put_raw(fx, cases[i].key, NULL);
		assert_healthy(fx);
	}

	/* a record stored under another user's key */
	copy_raw(fx, "user/alice", "user/bob");
	rep = check(fx, false, &p);
	assert_contains(p.text, "the record user/bob holds user alice");
	put_raw(fx, "user/bob", NULL);
	assert_healthy(fx);

	/* a role whose gid is also a uid: ids are handed out once */
	gid = add_role(fx, "devs", NULL);
	snprintf(key, sizeof(key), "uid/%u", (unsigned)gid);
	put_raw(fx, key, "alice");
	rep = check(fx, false, &p);
	snprintf(says, sizeof(says), "role devs has gid %u, which is also a user's uid", (unsigned)gid);
	assert_contains(p.text, says);
}


/* Sets name's supervisor (NULL: none) in its own transaction. */
static void set_supervisor(struct fx *fx, const char *name, const char *supervisor)
{
	struct roster_user *u = NULL;

	assert_int_equal(roster_user_get(fx->db, name, &u), 0);
	free(u->supervisor);
	u->supervisor = supervisor ? strdup(supervisor) : NULL;
	txn_begin(fx);
	assert_int_equal(roster_user_update(fx->db, u, "user.edit"), 0);
	txn_commit(fx);
	roster_user_free(u);
}

/* "a,b" from roster_user_reports(), "" for none. */
static void reports_are(struct fx *fx, const char *name, const char *want)
{
	char **v = NULL, text[256] = "";

	assert_int_equal(roster_user_reports(fx->db, name, &v), 0);
	for (char **p = v; p && *p; p++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s%s", p == v ? "" : ",", *p);
	roster_strv_free(v);
	assert_string_equal(text, want);
}

/* reports/USER follows every change of a supervisor: add, edit, clearing,
 * and the delete of the supervisor, which leaves no list behind. */
static void test_reports_index(void **state)
{
	struct fx *fx = *state;
	struct roster_user *u = user_new("carol", "carol@example.org", NULL, NULL);
	struct roster_user_filter by_alice = { .supervisor = "alice", .status = -1 };
	struct problems p;

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	add_user(fx, "bob", "bob@example.org", NULL, NULL);
	u->supervisor = strdup("alice");
	txn_begin(fx);
	assert_int_equal(roster_user_add(fx->db, u), 0);
	txn_commit(fx);
	roster_user_free(u);
	set_supervisor(fx, "bob", "alice");
	reports_are(fx, "alice", "bob,carol");
	reports_are(fx, "bob", "");
	memset(&p, 0, sizeof(p));
	assert_int_equal(roster_user_foreach(fx->db, &by_alice, count_user, &p), 0);
	assert_int_equal(p.n, 2);
	assert_healthy(fx);

	set_supervisor(fx, "carol", "bob");
	reports_are(fx, "alice", "bob");
	reports_are(fx, "bob", "carol");
	set_supervisor(fx, "bob", NULL);
	reports_are(fx, "alice", "");
	assert_false(raw_exists(fx, "reports/alice"));
	assert_true(raw_exists(fx, "reports/bob"));
	assert_healthy(fx);

	txn_begin(fx);
	assert_int_equal(roster_user_delete(fx->db, "bob"), 0);
	txn_commit(fx);
	assert_int_equal(roster_user_get(fx->db, "carol", &u), 0);
	assert_null(u->supervisor);
	roster_user_free(u);
	assert_false(raw_exists(fx, "reports/bob"));
	assert_healthy(fx);
}

/* Invites name (role devs) and returns nothing: the code is not needed. */
static void invite_user(struct fx *fx, const char *name)
{
	struct roster_invite in = { .role = "devs", .username = name };
	char email[64], code[ROSTER_INVITE_CODE_MAX], hash[ROSTER_HASH_MAX];

	snprintf(email, sizeof(email), "%s@example.org", name);
	in.email = email;
	assert_int_equal(roster_invite_code_new(fx->cfg, code, hash), 0);
	txn_begin(fx);
	if (roster_invite_create(fx->db, &in, hash, NULL) < 0)
		fail_msg("invite %s: %s", name, roster_db_error(fx->db));
	txn_commit(fx);
}

/* The users f matches, "a\nb\n" in names; returns how many. */
static unsigned count_matching(struct fx *fx, struct roster_user_filter f, char *names, size_t len)
{
	struct problems p;

	memset(&p, 0, sizeof(p));
	assert_int_equal(roster_user_foreach(fx->db, &f, count_user, &p), 0);
	snprintf(names, len, "%s", p.text);
	return p.n;
}

static unsigned count_invited(struct fx *fx, char *names, size_t len)
{
	return count_matching(fx, (struct roster_user_filter){ .status = ROSTER_INVITED }, names, len);
}

/* status/invited holds the pending invitations ("invite list" reads it):
 * an invite adds, accepting, revoking and deleting remove. */
static void test_invited_index(void **state)
{
	struct fx *fx = *state;
	char names[256], hash[ROSTER_HASH_MAX];

	add_role(fx, "devs", NULL);
	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	assert_false(raw_exists(fx, "status/invited"));
	invite_user(fx, "dora");
	invite_user(fx, "eve");
	invite_user(fx, "fred");
	assert_int_equal(count_invited(fx, names, sizeof(names)), 3);
	assert_string_equal(names, "dora\neve\nfred\n");
	assert_healthy(fx);

	/* the invited filter reads the list, not every user */
	{
		struct roster_check_report rep;
		struct problems p;

		copy_raw(fx, "status/invited", "saved/invited");
		put_raw(fx, "status/invited", NULL);
		assert_int_equal(count_invited(fx, names, sizeof(names)), 0);
		rep = check(fx, false, &p);
		assert_int_equal(rep.problems, 3);
		assert_contains(p.text, "eve is invited but is not in status/invited");
		copy_raw(fx, "saved/invited", "status/invited");
		put_raw(fx, "saved/invited", NULL);
		assert_healthy(fx);
	}

	assert_int_equal(roster_password_hash(fx->cfg, "a new password", hash), 0);
	txn_begin(fx);
	assert_int_equal(roster_invite_accept(fx->db, "dora", NULL, hash), 0);
	assert_int_equal(roster_invite_revoke(fx->db, "eve"), 0);
	txn_commit(fx);
	assert_int_equal(count_invited(fx, names, sizeof(names)), 1);
	assert_string_equal(names, "fred\n");
	assert_healthy(fx);

	txn_begin(fx);
	assert_int_equal(roster_user_delete(fx->db, "fred"), 0);
	txn_commit(fx);
	assert_int_equal(count_invited(fx, names, sizeof(names)), 0);
	assert_false(raw_exists(fx, "status/invited"));
	assert_healthy(fx);
}

static unsigned count_api_users(struct fx *fx, char *names, size_t len)
{
	return count_matching(fx, (struct roster_user_filter){ .status = -1, .api = true }, names, len);
}

/* status/api holds the users with API passwords ("api list" reads it):
 * the first password adds, removing the last and deleting remove. */
static void test_api_users_index(void **state)
{
	struct fx *fx = *state;
	char names[64], hash[ROSTER_HASH_MAX];

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	add_user(fx, "bob", "bob@example.org", NULL, NULL);
	add_user(fx, "carol", "carol@example.org", NULL, NULL);
	assert_int_equal(roster_password_hash(fx->cfg, "an api password", hash), 0);
	txn_begin(fx);
	assert_int_equal(roster_api_reset(fx->db, "alice", "ci", hash, NULL, ROSTER_NO_DATE), 0);
	assert_int_equal(roster_api_reset(fx->db, "alice", "backup", hash, NULL, ROSTER_NO_DATE), 0);
	assert_int_equal(roster_api_reset(fx->db, "carol", "ci", hash, NULL, ROSTER_NO_DATE), 0);
	txn_commit(fx);
	assert_int_equal(count_api_users(fx, names, sizeof(names)), 2);
	assert_string_equal(names, "alice\ncarol\n");
	assert_healthy(fx);

	/* the filter reads the list, not every user */
	copy_raw(fx, KEY_API_USERS, "saved/api");
	put_raw(fx, KEY_API_USERS, NULL);
	assert_int_equal(count_api_users(fx, names, sizeof(names)), 0);
	copy_raw(fx, "saved/api", KEY_API_USERS);
	put_raw(fx, "saved/api", NULL);

	txn_begin(fx);
	assert_int_equal(roster_api_remove(fx->db, "alice", "ci"), 0);
	txn_commit(fx);
	assert_int_equal(count_api_users(fx, names, sizeof(names)), 2); /* one left */
	txn_begin(fx);
	assert_int_equal(roster_api_remove(fx->db, "alice", "backup"), 0);
	assert_int_equal(roster_user_delete(fx->db, "carol"), 0);
	txn_commit(fx);
	assert_int_equal(count_api_users(fx, names, sizeof(names)), 0);
	assert_false(raw_exists(fx, KEY_API_USERS));
	assert_healthy(fx);
}

/* A reports/ or status/ list that disagrees with the users is found,
 * each way. */
static void test_check_detects_wrong_reports(void **state)
{
	static const struct {
		const char *key, *says;
	} copies[] = {
		{ "reports/carol", "reports/carol lists bob, who does not report to carol" },
		{ "status/invited", "status/invited lists bob, who is not invited" },
		{ KEY_API_USERS, "status/api lists bob, who has none" },
	};
	struct fx *fx = *state;
	struct roster_check_report rep;
	struct problems p;

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	add_user(fx, "bob", "bob@example.org", NULL, NULL);
	add_user(fx, "carol", "carol@example.org", NULL, NULL);
	set_supervisor(fx, "bob", "alice");
	assert_healthy(fx);

	/* alice's list ["bob"] copied where bob does not belong */
	for (size_t i = 0; i < sizeof(copies) / sizeof(copies[0]); i++) {
		copy_raw(fx, "reports/alice", copies[i].key);
		rep = check(fx, false, &p);
		assert_int_equal(rep.problems, 1);
		assert_contains(p.text, copies[i].says);
		put_raw(fx, copies[i].key, NULL);
		assert_healthy(fx);
	}

	put_raw(fx, "reports/alice", NULL);
	rep = check(fx, false, &p);
	assert_int_equal(rep.problems, 1);
	assert_contains(p.text, "bob reports to alice but is not in reports/alice");
	/* and user show, which reads the index, would miss bob */
	reports_are(fx, "alice", "");

	/* a damaged list stops a write that needs it, and says which */
	put_raw(fx, "reports/alice", "RL");
	{
		struct roster_user *u = NULL;

		assert_int_equal(roster_user_get(fx->db, "carol", &u), 0);
		u->supervisor = strdup("alice");
		txn_begin(fx);
		assert_int_equal(roster_user_update(fx->db, u, "user.edit"), -EBADMSG);
		assert_contains(roster_db_error(fx->db), "the list reports/alice is damaged");
		roster_txn_abort(fx->db);
		roster_user_free(u);
	}
}

/* A version 1 database has no reports/ lists: readers walk the users
 * until the first write transaction builds them and moves it to 2. */
static void test_version_1_upgraded(void **state)
{
	struct fx *fx = *state;
	struct tdb_context *t;
	uint64_t v = 1;
	char names[64];
	TDB_DATA d;

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	add_user(fx, "bob", "bob@example.org", NULL, NULL);
	add_user(fx, "carol", "carol@example.org", NULL, NULL);
	set_supervisor(fx, "bob", "alice");
	set_supervisor(fx, "carol", "alice");
	add_role(fx, "devs", NULL);
	invite_user(fx, "dora");
	t = raw_open(fx);
	assert_int_equal(tdb_delete(t, (TDB_DATA){ (unsigned char *)"reports/alice", 13 }), 0);
	assert_int_equal(tdb_delete(t, (TDB_DATA){ (unsigned char *)"status/invited", 14 }), 0);
	assert_int_equal(tdb_store(t, (TDB_DATA){ (unsigned char *)"meta/version", 12 },
				   (TDB_DATA){ (unsigned char *)&v, sizeof(v) }, TDB_REPLACE), 0);
	raw_close(fx, t);

	reports_are(fx, "alice", "bob,carol"); /* by a walk */
	assert_int_equal(count_invited(fx, names, sizeof(names)), 1);
	assert_healthy(fx);
	txn_begin(fx);
	roster_txn_abort(fx->db); /* an aborted write leaves it at 1 */
	assert_false(raw_exists(fx, "reports/alice"));
	txn_begin(fx);
	txn_commit(fx);
	assert_true(raw_exists(fx, "reports/alice"));
	assert_true(raw_exists(fx, "status/invited"));
	t = raw_open(fx);
	d = tdb_fetch(t, (TDB_DATA){ (unsigned char *)"meta/version", 12 });
	assert_int_equal(d.dsize, sizeof(v));
	memcpy(&v, d.dptr, sizeof(v));
	free(d.dptr);
	raw_close(fx, t);
	assert_int_equal(v, 2);
	reports_are(fx, "alice", "bob,carol");
	assert_int_equal(count_invited(fx, names, sizeof(names)), 1);
	assert_string_equal(names, "dora\n");
	assert_healthy(fx);
}

/* db check --repair rebuilds the lists from the user records: a member
 * list, a reports list and an invitation list, each lost or wrong. */
static void test_check_repairs_lists(void **state)
{
	struct fx *fx = *state;
	struct roster_user_filter devs = { .role = "devs", .status = -1 };
	struct roster_check_report rep;
	struct problems p;
	char names[64];

	add_role(fx, "devs", NULL);
	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	add_user(fx, "bob", "bob@example.org", NULL, NULL);
	assign(fx, "devs", "alice");
	set_supervisor(fx, "bob", "alice");
	invite_user(fx, "dora");
	assert_healthy(fx);

	put_raw(fx, "members/devs", NULL);
	put_raw(fx, "reports/alice", NULL);
	copy_raw(fx, "status/invited", "reports/bob");
	put_raw(fx, "status/invited", NULL);
	rep = check(fx, true, &p);
	/* five in the lists, and the view's devs group (by name and gid),
	 * which db check compares with the lost member list */
	if (rep.problems != 7)
		fail_msg("%u problems:\n%s", rep.problems, p.text);
	assert_int_equal(rep.repaired, 7);
	assert_contains(p.text, "alice holds role devs but is not in its member list");
	assert_contains(p.text, "dora holds role devs but is not in its member list");
	assert_contains(p.text, "bob reports to alice but is not in reports/alice");
	assert_contains(p.text, "reports/bob lists dora, who does not report to bob");
	assert_contains(p.text, "dora is invited but is not in status/invited");
	assert_healthy(fx);
	reports_are(fx, "alice", "bob");
	reports_are(fx, "bob", "");
	assert_int_equal(count_invited(fx, names, sizeof(names)), 1);
	memset(&p, 0, sizeof(p));
	assert_int_equal(roster_user_foreach(fx->db, &devs, count_user, &p), 0);
	assert_string_equal(p.text, "alice\ndora\n");
}

/* One user record that does not decode does not stop the upgrade (which
 * runs in whatever write comes first, a login's included): it is skipped,
 * and db check names it. */
static void test_upgrade_skips_damaged_record(void **state)
{
	struct fx *fx = *state;
	struct tdb_context *t;
	uint64_t v = 1;
	TDB_DATA k = { (unsigned char *)"user/zed", 8 }, d;

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	add_user(fx, "bob", "bob@example.org", NULL, NULL);
	add_user(fx, "zed", "zed@example.org", NULL, NULL);
	set_supervisor(fx, "bob", "alice");
	t = raw_open(fx);
	assert_int_equal(tdb_delete(t, (TDB_DATA){ (unsigned char *)"reports/alice", 13 }), 0);
	assert_int_equal(tdb_store(t, (TDB_DATA){ (unsigned char *)"meta/version", 12 },
				   (TDB_DATA){ (unsigned char *)&v, sizeof(v) }, TDB_REPLACE), 0);
	d = tdb_fetch(t, k);
	assert_non_null(d.dptr);
	d.dptr[2] = 2; /* a record version this roster does not know */
	assert_int_equal(tdb_store(t, k, d, TDB_REPLACE), 0);
	free(d.dptr);
	raw_close(fx, t);

	txn_begin(fx);
	txn_commit(fx);
	assert_true(raw_exists(fx, "reports/alice"));
	reports_are(fx, "alice", "bob");
}

/* A writer that finds the stamp behind the accounts (a crash between
 * commit and stamp) rebuilds the view before doing anything else. */
static void test_begin_rebuilds_stale_view(void **state)
{
	struct fx *fx = *state;
	char path[PATH_MAX];

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	snprintf(path, sizeof(path), "%s/view/generation", fx->dbdir);
	write_file(path, "00000000000000000000\n");
	txn_begin(fx);
	roster_txn_abort(fx->db);
	assert_healthy(fx);
}

/* Opened with ROSTER_OPEN_MAP, db_parse and db_walk hand out records where
 * they lie in the mapping: the wipe they do on tdb's copies (unmapped, or
 * in a transaction) must never reach the database.  Reads, walks and a
 * transaction's reads and walk, mapped, leave every record as it was. */
static void test_mapped_reads_leave_records_alone(void **state)
{
	struct fx *fx = *state;
	struct roster_user_filter all = { .status = -1 };
	struct roster_user *u = NULL;
	char hash[ROSTER_HASH_MAX];
	struct problems p;

	add_user(fx, "alice", "alice@example.org", "Alice", NULL);
	add_user(fx, "bob", "bob@example.org", NULL, NULL);
	assert_int_equal(roster_password_hash(fx->cfg, "correct horse battery", hash), 0);
	assert_int_equal(roster_user_get(fx->db, "alice", &u), 0);
	u->pwhash = strdup(hash);
	txn_begin(fx);
	assert_int_equal(roster_user_update(fx->db, u, "user.password"), 0);
	txn_commit(fx);
	roster_user_free(u);

	fx_close(fx);
	fx_open(fx, ROSTER_OPEN_MAP);
	for (int inside = 0; inside < 2; inside++) {
		if (inside)
			txn_begin(fx);
		for (int k = 0; k < 2; k++) {
			assert_int_equal(roster_user_get(fx->db, "alice", &u), 0);
			assert_string_equal(u->pwhash, hash);
			assert_string_equal(u->first, "Alice");
			roster_user_free(u);
			memset(&p, 0, sizeof(p));
			assert_int_equal(roster_user_foreach(fx->db, &all, count_user, &p), 0);
			assert_int_equal(p.n, 2);
		}
		if (inside)
			roster_txn_abort(fx->db);
	}
	fx_close(fx);
	fx_open(fx, 0);
	assert_int_equal(roster_user_get(fx->db, "alice", &u), 0);
	assert_string_equal(u->pwhash, hash);
	roster_user_free(u);
	assert_healthy(fx);
}

/* ---- passwords ---- */

static void test_password_hash_and_verify(void **state)
{
	struct fx *fx = *state;
	char hash[ROSTER_HASH_MAX], pw[32];

	assert_int_equal(roster_password_hash(fx->cfg, "s3cret-enough", hash), 0);
	assert_int_equal(strncmp(hash, "$argon2id$v=19$m=8,t=1,p=1$", 27), 0);
	assert_int_equal(roster_password_verify(fx->cfg, hash, "s3cret-enough"), 0);
	assert_int_equal(roster_password_verify(fx->cfg, hash, "s3cret-enougH"), -EACCES);
	assert_int_equal(roster_password_verify(fx->cfg, hash, ""), -EACCES);
	assert_int_equal(roster_password_hash(fx->cfg, "", hash), -EINVAL);
	/* a planted hash that would make every login allocate 4 GiB */
	assert_int_equal(roster_password_verify(fx->cfg,
						"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
						"x"),
			 -EINVAL);
	/* crypt(3) hashes adopted from /etc/shadow: a well-formed strong one
	 * verifies, a malformed or weak one is refused unverified. */
	assert_int_equal(roster_password_verify(fx->cfg, "$6$salt$hash", "x"), -EINVAL);
	assert_int_equal(roster_password_verify(fx->cfg, crypt("s3cret", "$6$saltsalt"), "s3cret"), 0);
	assert_int_equal(roster_password_verify(fx->cfg, crypt("s3cret", "$6$saltsalt"), "s3creT"), -EACCES);
	assert_int_equal(roster_password_verify(fx->cfg, crypt("s3cret", "$1$saltsalt"), "s3cret"), -EINVAL);
	assert_int_equal(roster_password_verify(fx->cfg, NULL, "x"), -EINVAL);
	assert_int_equal(roster_password_generate(pw, sizeof(pw)), 0);
	assert_int_equal(strlen(pw), 20);
	assert_int_equal(strcspn(pw, "01lIO"), 20);
	assert_int_equal(roster_password_generate(pw, 20), -ENOSPC);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
#define TC(f) cmocka_unit_test_setup_teardown(f, fx_setup_config_only, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TC(test_config_values),
		TC(test_config_unknown_key_names_line),
		TC(test_config_uid_range_checked),
		TC(test_open_create_file_modes),
		TC(test_open_missing_database),
		T(test_open_refuses_readable_accounts),
		T(test_open_refuses_symlink),
		T(test_open_refuses_writable_dir),
		T(test_tdb_no_fsync_env_ignored),
		TC(test_admin_role_after_first_transaction),
		T(test_uid_allocation_skips_system_ids),
		T(test_ids_never_reused),
		T(test_duplicate_name_refused),
		T(test_duplicate_email_refused_any_case),
		T(test_email_change_releases_old),
		T(test_email_case_change_keeps_it_reserved),
		T(test_system_names_refused),
		T(test_invalid_fields_refused),
		TC(test_shared_primary_group),
		T(test_home_normalised),
		T(test_failed_add_then_abort_leaves_nothing),
		T(test_id_range_exhausted),
		T(test_update_records_history),
		T(test_update_cannot_change_ids),
		T(test_roles_assign_revoke_delete),
		T(test_roles_given_at_add),
		T(test_role_fields_validated),
		T(test_user_foreach_filters),
		T(test_reports_index),
		T(test_invited_index),
		T(test_api_users_index),
		T(test_check_healthy),
		T(test_check_healthy_new_database),
		T(test_history_head_per_transaction),
		T(test_check_detects_edited_event),
		T(test_check_detects_rolled_back_head),
		T(test_check_detects_edited_last_event),
		T(test_check_stale_view_repaired),
		T(test_check_detects_lost_view_entry),
		T(test_check_detects_orphan_indexes),
		T(test_check_detects_wrong_reports),
		T(test_version_1_upgraded),
		T(test_upgrade_skips_damaged_record),
		T(test_check_repairs_lists),
		T(test_begin_rebuilds_stale_view),
		T(test_mapped_reads_leave_records_alone),
		T(test_password_hash_and_verify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
