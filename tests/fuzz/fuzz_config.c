/* fuzz_config.c - libFuzzer target: roster.conf (lib/config.c, over
 * libinih).
 *
 * The input is written to a scratch file and loaded with
 * roster_config_load(), as the CLI and pam_roster load the real one.  A
 * file that loads must give a configuration the rest of roster can rely
 * on; one that does not must say why.  Anything else aborts.
 */
#include "roster.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[4096];

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_config: %s\n", what);
	abort();
}

static void cleanup(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/roster-fuzz-config.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		perror("fuzz_config: mkstemp");
		exit(1);
	}
	close(fd);
	atexit(cleanup);
	return 0;
}

static bool absolute(const char *s)
{
	return s && s[0] == '/';
}

/* What a loaded configuration promises (see the handler in config.c). */
static void check(const struct roster_config *c)
{
	if (!c->path || strcmp(c->path, path) != 0)
		fail("path is not the file read");
	if (!absolute(c->dbdir) || strlen(c->dbdir) >= 1024)
		fail("[database] dir is not an absolute path under 1024 bytes");
	if (c->hash_size < 31 || c->hash_size > 100000007)
		fail("[database] hash_size out of range");
	if (c->uid_min < 1000 || c->uid_min > c->uid_max || c->uid_max > UINT32_MAX - 2)
		fail("[ids] out of range");
	if (!absolute(c->default_shell) || !absolute(c->home_base))
		fail("[users] shell or home_base is not absolute");
	if ((c->pg_policy == ROSTER_PG_SHARED) != (c->pg_name != NULL) ||
	    (c->pg_name && roster_valid_name(c->pg_name) != 0))
		fail("[users] primary_group is not private or a valid name");
	if (!c->admin_role || roster_valid_name(c->admin_role) != 0)
		fail("[roles] admin_role is not a valid name");
	if (c->opslimit < 1 || c->memlimit < 8192 || c->min_length < 1 ||
	    c->min_length > ROSTER_PASSWORD_MAX)
		fail("[passwords] out of range");
	if (c->deny > 1000)
		fail("[lockout] deny out of range");
	if (!absolute(c->passwd_file) || !absolute(c->group_file) || !absolute(c->shells_file) ||
	    !absolute(c->nsswitch_file) || !absolute(c->pam_dir) || !absolute(c->nscd_conf))
		fail("[system] a path is not absolute");
	if (c->invite_lifetime == 0 || !absolute(c->mail_command) || !absolute(c->invite_template) ||
	    !absolute(c->welcome_template) || !c->login_hint ||
	    roster_valid_text(c->login_hint, ROSTER_TEXT_MAX) != 0)
		fail("[invite] out of range");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roster_config *cfg = NULL;
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t w = 0;
	int r;

	if (fd < 0)
		fail("cannot open the scratch file");
	if (size)
		w = write(fd, data, size);
	close(fd);
	if (w < 0 || (size_t)w != size)
		fail("cannot write the scratch file");
	r = roster_config_load(path, &cfg);
	if (r == 0) {
		check(cfg);
		roster_config_free(cfg);
	} else if (!*roster_config_error() || (r != -EINVAL && r != -EILSEQ && r != -EFBIG)) {
		/* A bad file is -EINVAL (-EILSEQ for a NUL byte, -EFBIG over
		 * 1 MiB) with a reason; nothing else can fail here but memory,
		 * which libFuzzer reports itself. */
		fprintf(stderr, "fuzz_config: %d, '%s'\n", r, roster_config_error());
		fail("a refused file without -EINVAL/-EILSEQ/-EFBIG and a reason");
	}
	return 0;
}
