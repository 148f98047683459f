/* invite.c - invitations: an invited account, a one-time code, the mail.
 *
 * MUST rules:
 *  1. The code has 140 bits from libsodium's generator; only its argon2id
 *     hash is stored, and the plaintext is wiped after use.
 *  2. The code never reaches argv, a log or history: the mail command gets
 *     the message on standard input, history names the code as a secret.
 *  3. A code works once (accepting burns it), and not after its expiry or
 *     after the invite is revoked or renewed.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Crockford's base 32: no I, L, O or U, so nothing reads as 1, 0 or V. */
static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
#define CODE_SYMBOLS 28 /* 28 * 5 = 140 bits */
#define CODE_GROUP 4

int roster_invite_code_new(const struct roster_config *cfg, char code[ROSTER_INVITE_CODE_MAX],
			   char hash[ROSTER_HASH_MAX])
{
	char norm[CODE_SYMBOLS + 1];
	size_t o = 0;
	int r;

	if (sodium_init() < 0)
		return -EIO;
	for (size_t i = 0; i < CODE_SYMBOLS; i++) {
		norm[i] = alphabet[randombytes_uniform(32)];
		if (i && i % CODE_GROUP == 0)
			code[o++] = '-';
		code[o++] = norm[i];
	}
	code[o] = '\0';
	norm[CODE_SYMBOLS] = '\0';
	r = roster_password_hash(cfg, norm, hash);
	roster_wipe(norm, sizeof(norm));
	if (r < 0)
		roster_wipe(code, ROSTER_INVITE_CODE_MAX);
	return r;
}

/* What people type: any case, with or without dashes and spaces, and the
 * letters Crockford maps to digits.  -EINVAL when it cannot be a code. */
static int code_normalize(const char *in, char out[CODE_SYMBOLS + 1])
{
	size_t o = 0;

	for (const char *p = in; *p; p++) {
		char c = *p;

		if (c == '-' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if (c == 'O')
			c = '0';
		else if (c == 'I' || c == 'L')
			c = '1';
		if (!strchr(alphabet, c) || c == '\0' || o >= CODE_SYMBOLS) {
			roster_wipe(out, CODE_SYMBOLS + 1);
			return -EINVAL;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return o == CODE_SYMBOLS ? 0 : -EINVAL;
}

int roster_invite_verify(const struct roster_config *cfg, const struct roster_user *u, const char *code,
			 int64_t now)
{
	char norm[CODE_SYMBOLS + 1];
	int r;

	if (!u || u->status != ROSTER_INVITED || !u->invite_hash)
		return -ENOENT;
	/* Hash even a malformed entry: the answer takes the same time. */
	if (code_normalize(code, norm) < 0)
		memset(norm, 'x', CODE_SYMBOLS), norm[CODE_SYMBOLS] = '\0';
	r = roster_password_verify(cfg, u->invite_hash, norm);
	roster_wipe(norm, sizeof(norm));
	if (r == 0 && now >= u->invite_expires)
		return -ETIME;
	return r;
}

/* ---- the invited account ---- */

/* A user name from an email's local part: lowercase letters, digits, '-'
 * and '_', a letter first, unique among users, roles and the system. */
static int name_from_email(struct roster_db *db, const char *email, char out[ROSTER_NAME_MAX + 1])
{
	char base[ROSTER_NAME_MAX + 1];
	size_t n = 0;

	for (const char *p = email; *p && *p != '@' && n < ROSTER_NAME_MAX - 3; p++) {
		char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')
			base[n++] = c;
		else if ((c == '.' || c == '+') && n > 0 && base[n - 1] != '-')
			base[n++] = '-';
	}
	while (n > 0 && base[n - 1] == '-')
		n--;
	base[n] = '\0';
	if (n == 0 || base[0] < 'a' || base[0] > 'z') {
		memmove(base + 1, base, n + 1);
		base[0] = 'u';
	}
	for (unsigned k = 1; k < 1000; k++) {
		char key[KEY_MAX];
		int r;

		if (k == 1)
			snprintf(out, ROSTER_NAME_MAX + 1, "%s", base);
		else
			snprintf(out, ROSTER_NAME_MAX + 1, "%s%u", base, k);
		if (roster_valid_name(out) < 0)
			return db_fail(db, -EINVAL, "cannot make a user name from '%s': give --username", email);
		key_user(key, out);
		if (db_exists(db, key))
			continue;
		key_role(key, out);
		if (db_exists(db, key))
			continue;
		r = sysdb_has_user(db->cfg, out, UINT32_MAX);
		if (r == 0)
			r = sysdb_has_group(db->cfg, out, UINT32_MAX);
		if (r < 0)
			return db_fail(db, r, "cannot read the system account files");
		if (r == 0)
			return 0;
	}
	return db_fail(db, -EEXIST, "no free user name for '%s': give --username", email);
}

int roster_invite_create(struct roster_db *db, const struct roster_invite *in, const char *code_hash,
			 struct roster_user **out)
{
	struct roster_user *u = calloc(1, sizeof(*u));
	char name[ROSTER_NAME_MAX + 1];
	int r = 0;

	if (!u)
		return -ENOMEM;
	if ((r = db_require_txn(db)) < 0)
		goto out;
	if (!in->role) {
		r = db_fail(db, -EINVAL, "an invitation needs a role");
		goto out;
	}
	if (in->username)
		snprintf(name, sizeof(name), "%s", in->username);
	else if (roster_valid_email(in->email) < 0)
		r = db_fail(db, -EINVAL, "invalid email address: '%s'", in->email ? in->email : "");
	else
		r = name_from_email(db, in->email, name);
	if (r < 0)
		goto out;
	u->expires = ROSTER_NO_DATE;
	u->status = ROSTER_INVITED;
	u->name = strdup(in->username ? in->username : name);
	u->email = xstrdup_or_null(in->email);
	u->first = xstrdup_or_null(in->first);
	u->last = xstrdup_or_null(in->last);
	u->supervisor = xstrdup_or_null(in->supervisor);
	u->invite_hash = strdup(code_hash);
	u->invited_by = strdup(db->actor);
	u->invite_sent = db->now;
	u->invite_expires = db->now + (in->lifetime ? in->lifetime : db->cfg->invite_lifetime);
	if (!u->name || !u->invite_hash || !u->invited_by || (in->email && !u->email) ||
	    (in->first && !u->first) || (in->last && !u->last) || (in->supervisor && !u->supervisor) ||
	    strv_add(&u->roles, in->role) < 0) {
		r = -ENOMEM;
		goto out;
	}
	r = roster_user_add(db, u);
	if (r == 0 && out) {
		*out = u;
		u = NULL;
	}
out:
	roster_user_free(u);
	return r;
}

static int load_invited(struct roster_db *db, const char *name, struct roster_user **u)
{
	int r = roster_user_get(db, name, u);

	if (r == 0 && (*u)->status != ROSTER_INVITED) {
		roster_user_free(*u);
		*u = NULL;
		return db_fail(db, -EINVAL, "%s has no pending invitation", name);
	}
	return r;
}

int roster_invite_renew(struct roster_db *db, const char *name, unsigned lifetime, const char *code_hash,
			struct roster_user **out)
{
	struct roster_user *u = NULL;
	int r = db_require_txn(db) ?: load_invited(db, name, &u);

	if (r < 0)
		return r;
	roster_secret_free(u->invite_hash);
	free(u->invited_by);
	u->invite_hash = strdup(code_hash);
	u->invited_by = strdup(db->actor);
	u->invite_sent = db->now;
	u->invite_expires = db->now + (lifetime ? lifetime : db->cfg->invite_lifetime);
	r = u->invite_hash && u->invited_by ? roster_user_update(db, u, "invite.resend") : -ENOMEM;
	if (r == 0 && out) {
		*out = u;
		u = NULL;
	}
	roster_user_free(u);
	return r;
}

int roster_invite_revoke(struct roster_db *db, const char *name)
{
	struct roster_user *u = NULL;
	int r = db_require_txn(db) ?: load_invited(db, name, &u);

	roster_user_free(u);
	return r ?: roster_user_delete(db, name);
}

int roster_invite_accept(struct roster_db *db, const char *name, const char *code_hash, const char *new_hash)
{
	struct roster_user *u = NULL;
	int r = db_require_txn(db) ?: load_invited(db, name, &u);

	if (r < 0)
		return r;
	/* A resend while the new password was being hashed replaced the code
	 * that was verified: that one must not redeem. */
	if (code_hash && !str_eq(u->invite_hash, code_hash)) {
		roster_user_free(u);
		return db_fail(db, -ESTALE, "the invitation code of %s was renewed meanwhile", name);
	}
	/* The code is burned; the password is the user's own from now on. */
	roster_secret_free(u->invite_hash);
	roster_secret_free(u->pwhash);
	u->invite_hash = NULL;
	u->pwhash = strdup(new_hash);
	u->status = ROSTER_ACTIVE;
	u->must_change = false;
	u->fail_count = 0;
	u->locked_until = 0;
	r = u->pwhash ? roster_user_update(db, u, "invite.accept") : -ENOMEM;
	roster_user_free(u);
	return r;
}

/* ---- mail ---- */

struct subst {
	const char *key, *value;
};

/* Copies the template with {key} replaced; unknown {words} stay as they
 * are.  Values were validated (no newlines), so they cannot add headers. */
static int render(const char *tpl, const struct subst *s, size_t ns, struct buf *out)
{
	for (const char *p = tpl; *p;) {
		const char *close;
		size_t i = ns;

		if (*p == '{' && (close = strchr(p, '}')) && close - p < 32)
			for (i = 0; i < ns; i++)
				if ((size_t)(close - p - 1) == strlen(s[i].key) &&
				    memcmp(p + 1, s[i].key, (size_t)(close - p - 1)) == 0)
					break;
		if (i < ns) {
			buf_put(out, s[i].value, strlen(s[i].value));
			p = close + 1;
		} else
			buf_put(out, p++, 1);
	}
	return out->err;
}

#define TEMPLATE_MAX (1 << 20)

/* The template, whole: a NUL byte would end the message early, silently. */
static int read_template(const char *path, char **out, char *err, size_t errlen)
{
	struct buf b;
	size_t line = 0;
	int r = read_text_file(path, TEMPLATE_MAX, &b, &line);

	if (r == -EILSEQ)
		snprintf(err, errlen, "the template %s has a NUL byte (line %zu)", path, line);
	else if (r == -EFBIG)
		snprintf(err, errlen, "the template %s is larger than 1 MiB", path);
	else if (r < 0)
		snprintf(err, errlen, "cannot read the template %s: %s", path, strerror(-r));
	else
		*out = (char *)b.p;
	return r;
}

/* Runs cmd (split on blanks, no shell) with msg on its standard input. */
static int run_mailer(const char *cmd, const struct buf *msg, char *err, size_t errlen)
{
	char *copy = strdup(cmd), *argv[16], *save = NULL;
	int in[2] = { -1, -1 }, status = 0, argc = 0, r = 0;
	pid_t pid;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, " \t", &save); t && argc < 15; t = strtok_r(NULL, " \t", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	if (argc == 0 || pipe2(in, O_CLOEXEC) < 0) {
		free(copy);
		snprintf(err, errlen, "no mail command");
		return -EINVAL;
	}
	pid = fork();
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	if (pid < 0) {
		r = -errno;
		close(in[1]);
		free(copy);
		snprintf(err, errlen, "cannot start %s: %s", argv[0], strerror(-r));
		return r;
	}
	for (size_t off = 0; off < msg->len;) {
		ssize_t w = write(in[1], msg->p + off, msg->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break; /* the mailer's exit status tells */
		off += (size_t)w;
	}
	close(in[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		r = -EIO;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			snprintf(err, errlen, "cannot run %s", argv[0]);
		else if (WIFEXITED(status))
			snprintf(err, errlen, "%s exited with status %d", argv[0], WEXITSTATUS(status));
		else
			snprintf(err, errlen, "%s was killed by signal %d", argv[0], WTERMSIG(status));
	}
	free(copy);
	return r;
}

int roster_mail_send(const struct roster_config *cfg, const char *template_path, const struct roster_user *u,
		     const char *code, char *err, size_t errlen)
{
	char host[256] = "localhost", expires[21] = "", *tpl = NULL;
	struct buf msg = { .secret = true };
	int r;

	err[0] = '\0';
	if (!u->email) {
		snprintf(err, errlen, "%s has no email address", u->name);
		return -EINVAL;
	}
	r = read_template(template_path, &tpl, err, errlen);
	if (r < 0)
		return r;
	gethostname(host, sizeof(host) - 1);
	if (u->invite_expires)
		roster_format_time(u->invite_expires, expires);
	{
		const struct subst s[] = {
			{ "host", host },
			{ "user", u->name },
			{ "email", u->email },
			{ "first", u->first ? u->first : u->name },
			{ "last", u->last ? u->last : "" },
			{ "code", code ? code : "" },
			{ "expires", expires },
			{ "inviter", u->invited_by ? u->invited_by : "" },
			{ "login", cfg->login_hint },
		};

		r = render(tpl, s, sizeof(s) / sizeof(s[0]), &msg);
	}
	free(tpl);
	if (r == 0)
		r = run_mailer(cfg->mail_command, &msg, err, errlen);
	buf_free(&msg);
	return r;
}

int roster_mail_check(const struct roster_config *cfg, const char *template_path, char *err, size_t errlen)
{
	char *tpl = NULL, prog[1024];
	int r = read_template(template_path, &tpl, err, errlen);

	free(tpl);
	if (r < 0)
		return r;
	snprintf(prog, sizeof(prog), "%.*s", (int)strcspn(cfg->mail_command, " \t"), cfg->mail_command);
	if (access(prog, X_OK) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot run the mail command %s: %s", prog, strerror(-r));
	}
	return r;
}

int roster_invite_redeem(struct roster_db *db, const char *name, const char *code_hash, const char *new_hash)
{
	/* The invitee acts for themselves: history says they accepted. */
	int r = roster_txn_begin(db, name);

	if (r < 0)
		return r;
	r = roster_invite_accept(db, name, code_hash, new_hash);
	if (r < 0) {
		roster_txn_abort(db);
		return r;
	}
	return roster_txn_commit(db);
}
