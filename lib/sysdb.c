/* sysdb.c - the machine's own /etc/passwd, /etc/group and /etc/shells.
 *
 * They are read directly, never through getpwnam(3) and friends: NSS would
 * load libnss_roster and answer with roster's own accounts.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sysdb_scan(const char *path, int (*match)(const char *name, uint32_t id, void *priv), void *priv)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	int r = 0;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (r == 0 && getline(&line, &cap, f) > 0) {
		char *name = line, *c1, *c2, *end;
		unsigned long id;

		c1 = strchr(line, ':');
		if (!c1 || line[0] == '#' || line[0] == '+' || line[0] == '-')
			continue;
		*c1 = '\0';
		c2 = strchr(c1 + 1, ':');
		if (!c2)
			continue;
		errno = 0;
		id = strtoul(c2 + 1, &end, 10);
		if (errno || end == c2 + 1 || *end != ':' || id > UINT32_MAX)
			continue;
		r = match(name, (uint32_t)id, priv);
	}
	free(line);
	fclose(f);
	return r;
}

struct want {
	const char *name;
	uint32_t id;
	uint32_t found_id;
};

static int match_name_or_id(const char *name, uint32_t id, void *priv)
{
	struct want *w = priv;

	return (w->name && strcmp(name, w->name) == 0) || id == w->id;
}

static int match_name(const char *name, uint32_t id, void *priv)
{
	struct want *w = priv;

	if (strcmp(name, w->name) != 0)
		return 0;
	w->found_id = id;
	return 1;
}

int sysdb_has_user(const struct roster_config *cfg, const char *name, uint32_t uid)
{
	struct want w = { name, uid, 0 };

	return sysdb_scan(cfg->passwd_file, match_name_or_id, &w);
}

int sysdb_has_group(const struct roster_config *cfg, const char *name, uint32_t gid)
{
	struct want w = { name, gid, 0 };

	return sysdb_scan(cfg->group_file, match_name_or_id, &w);
}

int sysdb_group_gid(const struct roster_config *cfg, const char *name, uint32_t *gid)
{
	struct want w = { name, UINT32_MAX, 0 };
	int r = sysdb_scan(cfg->group_file, match_name, &w);

	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	*gid = w.found_id;
	return 0;
}

int sysdb_shell_ok(const struct roster_config *cfg, const char *shell)
{
	FILE *f = fopen(cfg->shells_file, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int found = 0;

	if (!f)
		return -errno;
	while (!found && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		found = line[0] == '/' && strcmp(line, shell) == 0;
	}
	free(line);
	fclose(f);
	return found ? 0 : -ENOENT;
}
