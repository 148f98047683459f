/* config.c - /etc/roster/roster.conf, parsed with libinih.
 *
 * Every key is documented in conf/roster.conf.  An unknown section or key
 * is an error with its line number: a typo must not silently fall back to
 * a default on a machine's account policy.
 */
#include "internal.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CONFIG SYSCONFDIR "/roster/roster.conf"

const char *roster_config_default_path(void)
{
	const char *p = secure_getenv("ROSTER_CONFIG");

	return p && *p ? p : DEFAULT_CONFIG;
}

struct parse {
	struct roster_config *cfg;
	int err;
	int line;
	char msg[160];
};

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/* A path that ends up in accounts, and so in the passwd view: absolute,
 * UTF-8, no ':' and no "..", kept in its normal form. */
static int set_path(char **dst, const char *v)
{
	char norm[4096];

	return roster_normalize_path(v, norm, sizeof(norm)) ?: set_str(dst, norm);
}

static int parse_ulong(const char *v, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long x;

	if (!*v || *v == '-' || *v == '+')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

/* "900", "15m", "72h", "7d" -> seconds */
static int parse_duration(const char *v, unsigned *out)
{
	unsigned long long x, mul = 1;
	char num[32];
	size_t n = strlen(v);

	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, v, n + 1);
	switch (num[n - 1]) {
	case 's': mul = 1; num[--n] = '\0'; break;
	case 'm': mul = 60; num[--n] = '\0'; break;
	case 'h': mul = 3600; num[--n] = '\0'; break;
	case 'd': mul = 86400; num[--n] = '\0'; break;
	}
	if (parse_ulong(num, UINT_MAX / mul, &x) < 0)
		return -EINVAL;
	*out = (unsigned)(x * mul);
	return 0;
}

static int set_cost(struct roster_config *cfg, const char *v)
{
	if (strcmp(v, "interactive") == 0) {
		cfg->opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		cfg->memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	} else if (strcmp(v, "moderate") == 0) {
		cfg->opslimit = crypto_pwhash_OPSLIMIT_MODERATE;
		cfg->memlimit = crypto_pwhash_MEMLIMIT_MODERATE;
	} else if (strcmp(v, "sensitive") == 0) {
		cfg->opslimit = crypto_pwhash_OPSLIMIT_SENSITIVE;
		cfg->memlimit = crypto_pwhash_MEMLIMIT_SENSITIVE;
	} else
		return -EINVAL;
	return 0;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	struct roster_config *cfg = p->cfg;
	unsigned long long x;
	int r = -ENOENT;

	if (p->err)
		return 0;
#define IS(s, k) (strcmp(section, s) == 0 && strcmp(name, k) == 0)
	if (IS("database", "dir"))
		r = value[0] == '/' && strlen(value) < 1024 ? set_str(&cfg->dbdir, value) : -EINVAL;
	else if (IS("database", "hash_size"))
		r = parse_ulong(value, 100000007, &x) ?: (x < 31 ? -EINVAL : (cfg->hash_size = (unsigned)x, 0));
	else if (IS("ids", "uid_min"))
		r = parse_ulong(value, UINT32_MAX - 2, &x) ?: (cfg->uid_min = (uint32_t)x, 0);
	else if (IS("ids", "uid_max"))
		r = parse_ulong(value, UINT32_MAX - 2, &x) ?: (cfg->uid_max = (uint32_t)x, 0);
	else if (IS("users", "shell"))
		r = set_path(&cfg->default_shell, value);
	else if (IS("users", "home_base"))
		r = set_path(&cfg->home_base, value);
	else if (IS("users", "primary_group")) {
		if (strcmp(value, "private") == 0) {
			/* A later "private" overrides an earlier group name. */
			free(cfg->pg_name);
			cfg->pg_name = NULL;
			cfg->pg_policy = ROSTER_PG_PRIVATE, r = 0;
		}
		else if (roster_valid_name(value) == 0)
			cfg->pg_policy = ROSTER_PG_SHARED, r = set_str(&cfg->pg_name, value);
		else
			r = -EINVAL;
	} else if (IS("roles", "admin_role"))
		r = roster_valid_name(value) ?: set_str(&cfg->admin_role, value);
	else if (IS("passwords", "cost"))
		r = set_cost(cfg, value);
	else if (IS("passwords", "opslimit"))
		r = parse_ulong(value, crypto_pwhash_OPSLIMIT_MAX, &x) ?:
		    (x < crypto_pwhash_OPSLIMIT_MIN ? -EINVAL : (cfg->opslimit = x, 0));
	else if (IS("passwords", "memlimit"))
		r = parse_ulong(value, crypto_pwhash_MEMLIMIT_MAX, &x) ?:
		    (x < crypto_pwhash_MEMLIMIT_MIN ? -EINVAL : (cfg->memlimit = (size_t)x, 0));
	else if (IS("passwords", "min_length"))
		r = parse_ulong(value, ROSTER_PASSWORD_MAX, &x) ?: (x < 1 ? -EINVAL : (cfg->min_length = (unsigned)x, 0));
	else if (IS("passwords", "max_concurrent"))
		r = parse_ulong(value, ROSTER_HASH_SLOTS_MAX, &x) ?: (x < 1 ? -EINVAL : (cfg->max_concurrent = (unsigned)x, 0));
	else if (IS("passwords", "max_wait"))
		r = parse_duration(value, &cfg->max_wait) ?:
		    (cfg->max_wait < 1 || cfg->max_wait > ROSTER_HASH_WAIT_MAX ? -EINVAL : 0);
	else if (IS("lockout", "deny"))
		r = parse_ulong(value, 1000, &x) ?: (cfg->deny = (unsigned)x, 0);
	else if (IS("lockout", "fail_interval"))
		r = parse_duration(value, &cfg->fail_interval);
	else if (IS("lockout", "unlock_time"))
		r = parse_duration(value, &cfg->unlock_time);
	else if (IS("system", "passwd"))
		r = value[0] == '/' ? set_str(&cfg->passwd_file, value) : -EINVAL;
	else if (IS("system", "group"))
		r = value[0] == '/' ? set_str(&cfg->group_file, value) : -EINVAL;
	else if (IS("system", "shells"))
		r = value[0] == '/' ? set_str(&cfg->shells_file, value) : -EINVAL;
	else if (IS("system", "nsswitch"))
		r = value[0] == '/' ? set_str(&cfg->nsswitch_file, value) : -EINVAL;
	else if (IS("system", "pam_dir"))
		r = value[0] == '/' ? set_str(&cfg->pam_dir, value) : -EINVAL;
	else if (IS("system", "nscd_conf"))
		r = value[0] == '/' ? set_str(&cfg->nscd_conf, value) : -EINVAL;
	else if (IS("invite", "lifetime"))
		r = parse_duration(value, &cfg->invite_lifetime) ?: (cfg->invite_lifetime ? 0 : -EINVAL);
	else if (IS("invite", "mail_command"))
		r = value[0] == '/' ? set_str(&cfg->mail_command, value) : -EINVAL;
	else if (IS("invite", "template"))
		r = value[0] == '/' ? set_str(&cfg->invite_template, value) : -EINVAL;
	else if (IS("invite", "welcome_template"))
		r = value[0] == '/' ? set_str(&cfg->welcome_template, value) : -EINVAL;
	else if (IS("invite", "login_hint"))
		r = roster_valid_text(value, ROSTER_TEXT_MAX) ?: set_str(&cfg->login_hint, value);
#undef IS
	if (r < 0) {
		p->err = r == -ENOMEM ? r : -EINVAL;
		snprintf(p->msg, sizeof(p->msg), r == -ENOENT ? "unknown key [%s] %s" : "bad value for [%s] %s: '%s'",
			 section, name, value);
		return 0; /* ini_parse_file() then returns this line's number */
	}
	return 1;
}

static int set_defaults(struct roster_config *cfg)
{
	int r = 0;

	r = r ?: set_str(&cfg->dbdir, LOCALSTATEDIR "/lib/roster");
	r = r ?: set_str(&cfg->default_shell, "/bin/bash");
	r = r ?: set_str(&cfg->home_base, "/home");
	r = r ?: set_str(&cfg->admin_role, "roster-admin");
	r = r ?: set_str(&cfg->passwd_file, "/etc/passwd");
	r = r ?: set_str(&cfg->group_file, "/etc/group");
	r = r ?: set_str(&cfg->shells_file, "/etc/shells");
	r = r ?: set_str(&cfg->nsswitch_file, "/etc/nsswitch.conf");
	r = r ?: set_str(&cfg->pam_dir, "/etc/pam.d");
	r = r ?: set_str(&cfg->nscd_conf, "/etc/nscd.conf");
	r = r ?: set_str(&cfg->mail_command, "/usr/sbin/sendmail -t -i");
	r = r ?: set_str(&cfg->invite_template, SYSCONFDIR "/roster/invite.mail");
	r = r ?: set_str(&cfg->welcome_template, SYSCONFDIR "/roster/welcome.mail");
	r = r ?: set_str(&cfg->login_hint, "log in with ssh or at the console with your user name");
	cfg->invite_lifetime = 72 * 3600;
	/* Between systemd's reserved ranges (up to 65535) and the subordinate
	 * id range of useradd (from 100000); see conf/roster.conf. */
	cfg->uid_min = 65536;
	cfg->uid_max = 99999;
	cfg->hash_size = 100003;
	cfg->pg_policy = ROSTER_PG_PRIVATE;
	cfg->min_length = 12;
	/* 4 x 64 MiB at the interactive cost; see conf/roster.conf. */
	cfg->max_concurrent = 4;
	cfg->max_wait = 30;
	cfg->deny = 5;
	cfg->fail_interval = 900;
	cfg->unlock_time = 900;
	return r ?: set_cost(cfg, "interactive");
}

static __thread char config_error[256];

#define CONFIG_MAX (1 << 20)

/* The whole file, refused when inih would silently mangle it: a NUL byte
 * ends its line early, and a line longer than inih's buffer is split, its
 * tail read as a line of its own (a key smuggled in after a long value). */
static int config_read(const char *path, char **out)
{
	struct buf b;
	size_t line = 1, col = 0, nul_line = 0;
	int r = read_text_file(path, CONFIG_MAX, &b, &nul_line);

	if (r == -EILSEQ)
		snprintf(config_error, sizeof(config_error), "%s:%zu: a NUL byte", path, nul_line);
	else if (r == -EFBIG)
		snprintf(config_error, sizeof(config_error), "%s: larger than 1 MiB", path);
	if (r < 0)
		return r;
	for (size_t i = 0; i < b.len; i++) {
		col = b.p[i] == '\n' ? 0 : col + 1;
		line += b.p[i] == '\n';
		if (col > INI_MAX_LINE - 3) {
			snprintf(config_error, sizeof(config_error), "%s:%zu: a line longer than %d bytes", path,
				 line, INI_MAX_LINE - 3);
			buf_free(&b);
			return -EINVAL;
		}
	}
	*out = (char *)b.p;
	return 0;
}

const char *roster_config_error(void)
{
	return config_error;
}

int roster_config_load(const char *path, struct roster_config **out)
{
	struct roster_config *cfg = calloc(1, sizeof(*cfg));
	struct parse p = { .cfg = cfg };
	char *text = NULL;
	int r;

	config_error[0] = '\0';
	if (!cfg)
		return -ENOMEM;
	if (!path)
		path = roster_config_default_path();
	r = set_defaults(cfg) ?: set_str(&cfg->path, path);
	if (r < 0)
		goto out;
	r = config_read(path, &text);
	if (r < 0) {
		/* No config file at the default path means all defaults. */
		if (r == -ENOENT && strcmp(path, DEFAULT_CONFIG) == 0)
			r = 0;
		else if (!config_error[0])
			snprintf(config_error, sizeof(config_error), "%s: %s", path, strerror(-r));
		goto out;
	}
	r = ini_parse_string(text, handler, &p);
	p.line = r;
	if (r != 0 && !p.err) {
		p.err = -EINVAL;
		snprintf(p.msg, sizeof(p.msg), "syntax error");
	}
	r = p.err;
	if (r < 0) {
		snprintf(config_error, sizeof(config_error), "%s:%d: %s", path, p.line, p.msg);
		goto out;
	}
	if (cfg->uid_min < 1000 || cfg->uid_min > cfg->uid_max) {
		snprintf(config_error, sizeof(config_error), "%s: [ids] needs 1000 <= uid_min <= uid_max", path);
		r = -EINVAL;
	}
out:
	free(text);
	if (r < 0) {
		roster_config_free(cfg);
		return r;
	}
	*out = cfg;
	return 0;
}

void roster_config_free(struct roster_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->dbdir);
	free(cfg->default_shell);
	free(cfg->home_base);
	free(cfg->pg_name);
	free(cfg->admin_role);
	free(cfg->passwd_file);
	free(cfg->group_file);
	free(cfg->shells_file);
	free(cfg->nsswitch_file);
	free(cfg->pam_dir);
	free(cfg->nscd_conf);
	free(cfg->mail_command);
	free(cfg->invite_template);
	free(cfg->welcome_template);
	free(cfg->login_hint);
	free(cfg);
}
