/* getent_via_glibc.c - getent(1) for the roster service only, through
 * glibc's NSS: glibc finds libnss_roster.so.2 by name (LD_LIBRARY_PATH in
 * the tests) and calls it as it would for any program.
 *
 *   getent_via_glibc passwd [NAME|UID]
 *   getent_via_glibc group [NAME|GID]
 *   getent_via_glibc groups USER      getgrouplist(3), one gid per line
 *
 * Exit status: 0, 2 when a key is not found, 1 on a usage error.
 */
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_pw(const struct passwd *pw)
{
	printf("%s:%s:%u:%u:%s:%s:%s\n", pw->pw_name, pw->pw_passwd, (unsigned)pw->pw_uid,
	       (unsigned)pw->pw_gid, pw->pw_gecos, pw->pw_dir, pw->pw_shell);
}

static void print_gr(const struct group *gr)
{
	printf("%s:%s:%u:", gr->gr_name, gr->gr_passwd, (unsigned)gr->gr_gid);
	for (char **m = gr->gr_mem; *m; m++)
		printf("%s%s", m == gr->gr_mem ? "" : ",", *m);
	putchar('\n');
}

static int is_number(const char *s, unsigned long *v)
{
	char *end;

	if (!*s || *s < '0' || *s > '9')
		return 0;
	*v = strtoul(s, &end, 10);
	return *end == '\0';
}

int main(int argc, char **argv)
{
	unsigned long id;

	if (__nss_configure_lookup("passwd", "roster") < 0 ||
	    __nss_configure_lookup("group", "roster") < 0 ||
	    __nss_configure_lookup("initgroups", "roster") < 0) {
		perror("__nss_configure_lookup");
		return 1;
	}
	if (argc == 2 && strcmp(argv[1], "passwd") == 0) {
		struct passwd *pw;

		setpwent();
		while ((pw = getpwent()))
			print_pw(pw);
		endpwent();
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "group") == 0) {
		struct group *gr;

		setgrent();
		while ((gr = getgrent()))
			print_gr(gr);
		endgrent();
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "passwd") == 0) {
		struct passwd *pw;

		errno = 0;
		pw = is_number(argv[2], &id) ? getpwuid((uid_t)id) : getpwnam(argv[2]);
		if (!pw)
			return 2;
		print_pw(pw);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "group") == 0) {
		struct group *gr;

		gr = is_number(argv[2], &id) ? getgrgid((gid_t)id) : getgrnam(argv[2]);
		if (!gr)
			return 2;
		print_gr(gr);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "groups") == 0) {
		struct passwd *pw = getpwnam(argv[2]);
		gid_t *groups = NULL;
		int n = 4;

		if (!pw)
			return 2;
		for (;;) {
			int want = n;
			gid_t *g = realloc(groups, (size_t)n * sizeof(gid_t));

			if (!g)
				return 1;
			groups = g;
			if (getgrouplist(argv[2], pw->pw_gid, groups, &n) >= 0)
				break;
			if (n <= want)
				n = want * 2;
		}
		for (int i = 0; i < n; i++)
			printf("%u\n", (unsigned)groups[i]);
		free(groups);
		return 0;
	}
	fprintf(stderr, "usage: %s passwd|group [KEY] | groups USER\n", argv[0]);
	return 1;
}
