/* fixture.c - see fixture.h. */
#include "fixture.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -EIO;
}

int fx_create(struct fixture *fx, unsigned uid_min, unsigned uid_max)
{
	const char *tmp = getenv("TMPDIR");
	char conf[1024];
	int r;

	memset(fx, 0, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "%s/roster-nss.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fx->dir) || chmod(fx->dir, 0755) < 0)
		return -errno;
	snprintf(fx->dbdir, sizeof(fx->dbdir), "%s/db", fx->dir);
	snprintf(conf, sizeof(conf),
		 "[database]\ndir = %s\nhash_size = 1009\n"
		 "[ids]\nuid_min = %u\nuid_max = %u\n"
		 "[passwords]\nopslimit = 1\nmemlimit = 8192\n"
		 "[system]\npasswd = %s/passwd\ngroup = %s/group\nshells = %s/shells\n",
		 fx->dbdir, uid_min, uid_max, fx->dir, fx->dir, fx->dir);
	r = write_file(fx->dir, "passwd", "root:x:0:0:root:/root:/bin/bash\n") ?:
	    write_file(fx->dir, "group", "root:x:0:\n") ?:
	    write_file(fx->dir, "shells", "/bin/sh\n/bin/bash\n") ?:
	    write_file(fx->dir, "roster.conf", conf);
	if (r < 0)
		return r;
	snprintf(conf, sizeof(conf), "%s/roster.conf", fx->dir);
	r = roster_config_load(conf, &fx->cfg);
	if (r < 0) {
		fprintf(stderr, "config: %s\n", roster_config_error());
		return r;
	}
	return fx_reopen(fx);
}

int fx_reopen(struct fixture *fx)
{
	int r = roster_db_open(fx->cfg, ROSTER_OPEN_CREATE, &fx->db);

	if (r < 0) {
		fprintf(stderr, "open: %s\n", roster_db_error(fx->db));
		roster_db_close(fx->db);
		fx->db = NULL;
	}
	return r;
}

void fx_close_db(struct fixture *fx)
{
	roster_db_close(fx->db);
	fx->db = NULL;
}

void fx_destroy(struct fixture *fx)
{
	char cmd[128];

	fx_close_db(fx);
	roster_config_free(fx->cfg);
	fx->cfg = NULL;
	if (fx->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", fx->dir);
	}
}

static int fail(struct fixture *fx, int r, const char *what)
{
	fprintf(stderr, "%s: %s\n", what, roster_db_error(fx->db));
	return r;
}

int fx_add_role(struct fixture *fx, const char *name, uint32_t *gid)
{
	struct roster_role *ro = calloc(1, sizeof(*ro));
	int r;

	if (!ro || !(ro->name = strdup(name))) {
		roster_role_free(ro);
		return -ENOMEM;
	}
	r = roster_role_add(fx->db, ro);
	if (r == 0 && gid)
		*gid = ro->gid;
	roster_role_free(ro);
	return r < 0 ? fail(fx, r, "role add") : 0;
}

int fx_add_user(struct fixture *fx, const char *name, const char *first, const char *last,
		const char *const *roles, uint32_t *uid)
{
	struct roster_user *u = calloc(1, sizeof(*u));
	char email[128];
	size_t n = 0;
	int r = -ENOMEM;

	if (!u)
		return r;
	u->expires = ROSTER_NO_DATE;
	snprintf(email, sizeof(email), "%s@example.org", name);
	while (roles && roles[n])
		n++;
	u->name = strdup(name);
	u->email = strdup(email);
	u->first = first ? strdup(first) : NULL;
	u->last = last ? strdup(last) : NULL;
	u->roles = n ? calloc(n + 1, sizeof(char *)) : NULL;
	if (!u->name || !u->email || (first && !u->first) || (last && !u->last) || (n && !u->roles))
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!(u->roles[i] = strdup(roles[i])))
			goto out;
	r = roster_user_add(fx->db, u);
	if (r == 0 && uid)
		*uid = u->uid;
	if (r < 0)
		r = fail(fx, r, "user add");
out:
	roster_user_free(u);
	return r;
}

int fx_set_first(struct fixture *fx, const char *name, const char *first)
{
	struct roster_user *u = NULL;
	int r = roster_user_get(fx->db, name, &u);

	if (r == 0) {
		free(u->first);
		u->first = first ? strdup(first) : NULL;
		r = !first || u->first ? roster_user_update(fx->db, u, "user.edit") : -ENOMEM;
	}
	roster_user_free(u);
	return r < 0 ? fail(fx, r, "user update") : 0;
}

int fx_load_module(struct nss_fns *f, const char *dbdir)
{
	memset(f, 0, sizeof(*f));
	if (setenv("ROSTER_NSS_DIR", dbdir, 1) < 0)
		return -1;
	f->handle = dlopen("./" NSS_SO_PATH, RTLD_NOW | RTLD_LOCAL);
	if (!f->handle)
		return -1;
#define SYM(field, name) \
	if (!(*(void **)&f->field = dlsym(f->handle, "_nss_roster_" name))) \
		return -1;
	SYM(getpwnam_r, "getpwnam_r");
	SYM(getpwuid_r, "getpwuid_r");
	SYM(setpwent, "setpwent");
	SYM(getpwent_r, "getpwent_r");
	SYM(endpwent, "endpwent");
	SYM(getgrnam_r, "getgrnam_r");
	SYM(getgrgid_r, "getgrgid_r");
	SYM(setgrent, "setgrent");
	SYM(getgrent_r, "getgrent_r");
	SYM(endgrent, "endgrent");
	SYM(initgroups_dyn, "initgroups_dyn");
#undef SYM
	return 0;
}
