/* harness.c - see harness.h. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <security/pam_ext.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* ---- the log: the module's pam_syslog() calls land here ---- */

static char logbuf[1 << 16];
static size_t loglen;
static pthread_mutex_t logmutex = PTHREAD_MUTEX_INITIALIZER; /* tests run logins in threads */

/* Exported (the build hides symbols by default): libpam and the module
 * must bind to these, not to libpam's own. */
#define INTERPOSE __attribute__((visibility("default")))
INTERPOSE void pam_vsyslog(const pam_handle_t *pamh, int priority, const char *fmt, va_list args);
INTERPOSE void pam_syslog(const pam_handle_t *pamh, int priority, const char *fmt, ...);

void pam_vsyslog(const pam_handle_t *pamh, int priority, const char *fmt, va_list args)
{
	int n;

	(void)pamh;
	pthread_mutex_lock(&logmutex);
	if (loglen + 2 >= sizeof(logbuf))
		goto out;
	n = snprintf(logbuf + loglen, sizeof(logbuf) - loglen, "<%d> ", priority & LOG_PRIMASK);
	if (n < 0 || loglen + (size_t)n + 2 >= sizeof(logbuf))
		goto out;
	loglen += (size_t)n;
	n = vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen - 1, fmt, args);
	if (n > 0)
		loglen += (size_t)n < sizeof(logbuf) - loglen - 1 ? (size_t)n : sizeof(logbuf) - loglen - 2;
	logbuf[loglen++] = '\n';
	logbuf[loglen] = '\0';
	if (getenv("PT_VERBOSE"))
		fprintf(stderr, "syslog: %.*s", 300, logbuf + loglen - (size_t)(n > 0 ? n : 0) - 1);
out:
	pthread_mutex_unlock(&logmutex);
}

void pam_syslog(const pam_handle_t *pamh, int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pam_vsyslog(pamh, priority, fmt, ap);
	va_end(ap);
}

void pt_log_clear(void)
{
	loglen = 0;
	logbuf[0] = '\0';
}

const char *pt_log(void)
{
	return logbuf;
}

bool pt_log_has(const char *needle)
{
	return strstr(logbuf, needle) != NULL;
}

double pt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- files ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void path_of(char *out, const char *dir, const char *rel)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, rel);

	assert_true(n > 0 && n < PATH_MAX);
}

void pt_write_conf(struct pt *pt, const char *extra)
{
	char text[8192];
	int n = snprintf(text, sizeof(text),
			 "[database]\n"
			 "dir = %s\n"
			 "hash_size = 1009\n"
			 "[ids]\n"
			 "uid_min = 70000\n"
			 "uid_max = 70999\n"
			 "[passwords]\n"
			 "opslimit = 1\n"
			 "memlimit = 8192\n"
			 "[system]\n"
			 "passwd = %s/etc/passwd\n"
			 "group = %s/etc/group\n"
			 "shells = %s/etc/shells\n"
			 "%s",
			 pt->dbdir, pt->dir, pt->dir, pt->dir, extra ? extra : "");

	assert_true(n > 0 && (size_t)n < sizeof(text));
	write_file(pt->conf, text);
}

static struct roster_config *load_cfg(struct pt *pt)
{
	struct roster_config *cfg = NULL;
	int r = roster_config_load(pt->conf, &cfg);

	if (r < 0)
		fail_msg("roster_config_load: %s", roster_config_error());
	return cfg;
}

/* The database, opened for one helper. */
struct open_db {
	struct roster_config *cfg;
	struct roster_db *db;
};

static void db_open(struct pt *pt, struct open_db *o, bool create)
{
	int r;

	o->cfg = load_cfg(pt);
	r = roster_db_open(o->cfg, create ? ROSTER_OPEN_CREATE : 0, &o->db);
	if (r < 0)
		fail_msg("roster_db_open: %s", roster_db_error(o->db));
}

static void db_close(struct open_db *o)
{
	roster_db_close(o->db);
	roster_config_free(o->cfg);
}

static void txn(struct open_db *o)
{
	int r = roster_txn_begin(o->db, "tester");

	if (r < 0)
		fail_msg("roster_txn_begin: %s", roster_db_error(o->db));
}

static void commit(struct open_db *o)
{
	int r = roster_txn_commit(o->db);

	if (r < 0)
		fail_msg("roster_txn_commit: %s", roster_db_error(o->db));
}

struct pt *pt_new(const char *extra_conf)
{
	struct pt *pt = calloc(1, sizeof(*pt));
	struct open_db o;
	char p[PATH_MAX];

	assert_non_null(pt);
	snprintf(pt->dir, sizeof(pt->dir), "/tmp/roster-pamtest.XXXXXX");
	assert_non_null(mkdtemp(pt->dir));
	assert_int_equal(chmod(pt->dir, 0755), 0);
	path_of(pt->conf, pt->dir, "roster.conf");
	path_of(pt->dbdir, pt->dir, "db");
	path_of(pt->pamd, pt->dir, "pam.d");
	assert_int_equal(mkdir(pt->pamd, 0755), 0);
	path_of(p, pt->dir, "etc");
	assert_int_equal(mkdir(p, 0755), 0);
	path_of(p, pt->dir, "etc/passwd");
	write_file(p, "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/usr/sbin/nologin\n");
	path_of(p, pt->dir, "etc/group");
	write_file(p, "root:x:0:\nnogroup:x:65534:\n");
	path_of(p, pt->dir, "etc/shells");
	write_file(p, "/bin/sh\n/bin/bash\n");
	if (!realpath(PT_MODULE, pt->so))
		fail_msg("%s: %s (run from the top of the tree, after make)", PT_MODULE, strerror(errno));
	if (!realpath(PT_SETTOK, pt->settok))
		fail_msg("%s: %s", PT_SETTOK, strerror(errno));
	pt_write_conf(pt, extra_conf);
	db_open(pt, &o, true);
	txn(&o);
	commit(&o);
	db_close(&o);
	pt_log_clear();
	return pt;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

void pt_free(struct pt *pt)
{
	if (!pt)
		return;
	if (pt->dir[0])
		nftw(pt->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(pt);
}

void pt_service(struct pt *pt, const char *name, const char *args)
{
	char text[4096];
	const char *a = args ? args : "";
	int n = snprintf(text, sizeof(text),
			 "auth     required %s config=%s %s\n"
			 "account  required %s config=%s %s\n"
			 "password required %s config=%s %s\n"
			 "session  required %s config=%s %s\n",
			 pt->so, pt->conf, a, pt->so, pt->conf, a, pt->so, pt->conf, a, pt->so, pt->conf, a);
	char p[PATH_MAX];

	assert_true(n > 0 && (size_t)n < sizeof(text));
	path_of(p, pt->pamd, name);
	write_file(p, text);
}

static void replace_all(char *out, size_t n, const char *in, const char *key, const char *val)
{
	size_t o = 0, kl = strlen(key), vl = strlen(val);

	while (*in) {
		if (strncmp(in, key, kl) == 0) {
			assert_true(o + vl < n);
			memcpy(out + o, val, vl);
			o += vl;
			in += kl;
		} else {
			assert_true(o + 1 < n);
			out[o++] = *in++;
		}
	}
	out[o] = '\0';
}

void pt_service_text(struct pt *pt, const char *name, const char *text)
{
	char a[8192], b[8192], c[8192], p[PATH_MAX];

	replace_all(a, sizeof(a), text, "@SO@", pt->so);
	replace_all(b, sizeof(b), a, "@SETTOK@", pt->settok);
	replace_all(c, sizeof(c), b, "@CONF@", pt->conf);
	path_of(p, pt->pamd, name);
	write_file(p, c);
}

/* ---- accounts ---- */

void pt_add_role(struct pt *pt, const char *name, const char *services)
{
	struct roster_role ro = { 0 };
	struct open_db o;
	int r;

	ro.name = (char *)name;
	if (services)
		assert_int_equal(roster_parse_services(services, &ro.services), 0);
	db_open(pt, &o, false);
	txn(&o);
	r = roster_role_add(o.db, &ro);
	if (r < 0)
		fail_msg("roster_role_add(%s): %s", name, roster_db_error(o.db));
	commit(&o);
	db_close(&o);
	roster_strv_free(ro.services);
	free(ro.created_by);
	free(ro.updated_by);
}

void pt_add_user(struct pt *pt, const struct pt_user *spec)
{
	struct roster_user *u = calloc(1, sizeof(*u));
	struct open_db o;
	char email[128], hash[ROSTER_HASH_MAX];
	int r;

	assert_non_null(u);
	snprintf(email, sizeof(email), "%s@example.org", spec->name);
	u->name = strdup(spec->name);
	u->email = strdup(spec->email ? spec->email : email);
	u->status = spec->status;
	u->must_change = spec->must_change;
	u->expires = spec->expires ? spec->expires : ROSTER_NO_DATE;
	if (spec->roles) {
		char *copy = strdup(spec->roles), *save = NULL;

		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			assert_int_equal(roster_strv_add(&u->roles, t), 0);
		free(copy);
	}
	db_open(pt, &o, false);
	if (spec->hash)
		u->pwhash = strdup(spec->hash);
	else if (spec->password) {
		assert_int_equal(roster_password_hash(o.cfg, spec->password, hash), 0);
		u->pwhash = strdup(hash);
	}
	txn(&o);
	r = roster_user_add(o.db, u);
	if (r < 0)
		fail_msg("roster_user_add(%s): %s", spec->name, roster_db_error(o.db));
	commit(&o);
	db_close(&o);
	roster_user_free(u);
}

void pt_add(struct pt *pt, const char *name)
{
	struct pt_user u = { .name = name, .password = PT_PASSWORD };

	pt_add_user(pt, &u);
}

struct roster_user *pt_get(struct pt *pt, const char *name)
{
	struct roster_user *u = NULL;
	struct open_db o;
	int r;

	db_open(pt, &o, false);
	r = roster_user_get(o.db, name, &u);
	if (r < 0)
		fail_msg("roster_user_get(%s): %s", name, roster_db_error(o.db));
	db_close(&o);
	return u;
}

void pt_edit(struct pt *pt, const char *name, void (*fn)(struct roster_user *u, void *priv), void *priv)
{
	struct roster_user *u = NULL;
	struct open_db o;
	int r;

	db_open(pt, &o, false);
	txn(&o);
	r = roster_user_get(o.db, name, &u);
	if (r == 0) {
		fn(u, priv);
		r = roster_user_update(o.db, u, "test.edit");
	}
	if (r < 0)
		fail_msg("edit %s: %s", name, roster_db_error(o.db));
	commit(&o);
	db_close(&o);
	roster_user_free(u);
}

struct hist {
	char *out;
	size_t n;
};

static int hist_one(const struct roster_event *e, void *priv)
{
	struct hist *h = priv;
	size_t len = strlen(h->out);

	snprintf(h->out + len, h->n - len, "%s by %s:", e->action, e->actor);
	for (size_t i = 0; i < e->nchanges; i++) {
		len = strlen(h->out);
		snprintf(h->out + len, h->n - len, " %s%s", e->changes[i].field,
			 e->changes[i].secret ? "(secret)" : "");
		/* A secret change never carries a value. */
		if (e->changes[i].secret)
			assert_true(!e->changes[i].old_value && !e->changes[i].new_value);
	}
	len = strlen(h->out);
	snprintf(h->out + len, h->n - len, "\n");
	return 0;
}

void pt_history(struct pt *pt, const char *name, char *out, size_t n)
{
	struct hist h = { out, n };
	struct open_db o;

	out[0] = '\0';
	db_open(pt, &o, false);
	assert_int_equal(roster_history_foreach(o.db, name, hist_one, &h), 0);
	db_close(&o);
}

uint32_t pt_fails(struct pt *pt, const char *name)
{
	struct roster_user *u = pt_get(pt, name);
	uint32_t n = u->fail_count;

	roster_user_free(u);
	return n;
}

void pt_fail(struct pt *pt, const char *name, unsigned n)
{
	struct open_db o;

	db_open(pt, &o, false);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(roster_auth_fail(o.db, name, (int64_t)time(NULL), NULL), 0);
	db_close(&o);
}

static int api_hash_of(const struct roster_user *u, const struct roster_api *a, void *priv)
{
	char **out = priv;

	(void)u;
	if (strcmp(a->label, out[0]) == 0)
		out[1] = strdup(a->hash);
	return 0;
}

void pt_api_rehash(struct pt *pt, const char *name, const char *label, const char *password)
{
	struct open_db o;
	char hash[ROSTER_HASH_MAX], *found[2] = { (char *)label, NULL };
	int r;

	db_open(pt, &o, false);
	assert_int_equal(roster_api_foreach(o.db, name, api_hash_of, found), 0);
	assert_non_null(found[1]);
	assert_int_equal(roster_password_hash(o.cfg, password, hash), 0);
	r = roster_api_rehash(o.db, name, label, found[1], hash);
	if (r < 0)
		fail_msg("roster_api_rehash: %s", roster_db_error(o.db));
	free(found[1]);
	db_close(&o);
}

uint64_t pt_unknown_failures(struct pt *pt)
{
	struct open_db o;
	uint64_t n = 0;

	db_open(pt, &o, false);
	assert_int_equal(roster_auth_unknown_failures(o.db, &n), 0);
	db_close(&o);
	return n;
}

/* ---- the conversation ---- */

void pt_conv_init(struct pt_conv *cv, ...)
{
	va_list ap;
	const char *a;

	memset(cv, 0, sizeof(*cv));
	va_start(ap, cv);
	while ((a = va_arg(ap, const char *)) && cv->nanswers < 8)
		cv->answers[cv->nanswers++] = a;
	va_end(ap);
}

static void append(char *buf, size_t n, const char *s)
{
	size_t len = strlen(buf);

	snprintf(buf + len, n - len, "%s\n", s ? s : "");
}

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *priv)
{
	struct pt_conv *cv = priv;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			append(cv->prompts, sizeof(cv->prompts), msg[i]->msg);
			if (cv->on_prompt)
				cv->on_prompt(cv->on_prompt_arg);
			if (cv->next >= cv->nanswers) {
				for (int j = 0; j < i; j++)
					free(r[j].resp);
				free(r);
				return PAM_CONV_ERR;
			}
			r[i].resp = strdup(cv->answers[cv->next++]);
			break;
		case PAM_ERROR_MSG:
			append(cv->errors, sizeof(cv->errors), msg[i]->msg);
			cv->nmsgs++;
			break;
		case PAM_TEXT_INFO:
			append(cv->infos, sizeof(cv->infos), msg[i]->msg);
			cv->nmsgs++;
			break;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

pam_handle_t *pt_start(struct pt *pt, const char *service, const char *user, struct pt_conv *cv,
		       const char *rhost)
{
	struct pam_conv c = { conv, cv };
	pam_handle_t *h = NULL;
	int r = pam_start_confdir(service, user, &c, pt->pamd, &h);

	if (r != PAM_SUCCESS)
		fail_msg("pam_start_confdir(%s): %s", service, pam_strerror(h, r));
	if (rhost)
		assert_int_equal(pam_set_item(h, PAM_RHOST, rhost), PAM_SUCCESS);
	return h;
}

void pt_end(pam_handle_t *h, int status)
{
	pam_end(h, status);
}

int pt_auth_while(struct pt *pt, const char *service, const char *user, const char *password,
		  void (*fn)(void *pt), struct pt_conv *cv)
{
	pam_handle_t *h;
	int r;

	pt_conv_init(cv, password, NULL);
	cv->on_prompt = fn;
	cv->on_prompt_arg = pt;
	h = pt_start(pt, service, user, cv, NULL);
	r = pam_authenticate(h, 0);
	pt_end(h, r);
	return r;
}

int pt_auth(struct pt *pt, const char *service, const char *user, const char *password)
{
	struct pt_conv cv;
	pam_handle_t *h;
	int r;

	pt_conv_init(&cv, password, NULL);
	h = pt_start(pt, service, user, &cv, NULL);
	r = pam_authenticate(h, 0);
	pt_end(h, r);
	return r;
}

int pt_login(struct pt *pt, const char *service, const char *user, const char *password)
{
	struct pt_conv cv;
	pam_handle_t *h;
	int r;

	pt_conv_init(&cv, password, NULL);
	h = pt_start(pt, service, user, &cv, NULL);
	r = pam_authenticate(h, 0);
	if (r == PAM_SUCCESS)
		r = pam_acct_mgmt(h, 0);
	pt_end(h, r);
	return r;
}

int pt_account(struct pt *pt, const char *service, const char *user, struct pt_conv *cv)
{
	struct pt_conv own;
	pam_handle_t *h;
	int r;

	if (!cv) {
		pt_conv_init(&own, NULL);
		cv = &own;
	}
	h = pt_start(pt, service, user, cv, NULL);
	r = pam_acct_mgmt(h, 0);
	pt_end(h, r);
	return r;
}

/* ---- the CLI ---- */

int pt_cli(struct pt *pt, char *out, size_t n, const char *fmt, ...)
{
	char args[1024], cmd[2048];
	va_list ap;
	FILE *p;
	size_t got = 0;
	int status;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s --config %s %s 2>&1 </dev/null", PT_CLI, pt->conf, args);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (out && n) {
		got = fread(out, 1, n - 1, p);
		out[got] = '\0';
	} else {
		char sink[4096];

		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	}
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
