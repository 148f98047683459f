/* nss_null.c - libnss_benchnull.so.2, the smallest NSS module there is:
 * getpwnam_r answers any name with a fixed entry, at once.  The benchmark
 * times the first lookup of a new process through it to show what glibc
 * itself spends loading a module (dlopen, and a dlsym per NSS function),
 * which libnss_roster pays as well. */
#include <errno.h>
#include <nss.h>
#include <pwd.h>
#include <string.h>

enum nss_status _nss_benchnull_getpwnam_r(const char *name, struct passwd *pw, char *buf,
					  size_t buflen, int *errnop)
	__attribute__((visibility("default")));

enum nss_status _nss_benchnull_getpwnam_r(const char *name, struct passwd *pw, char *buf,
					  size_t buflen, int *errnop)
{
	size_t n = strlen(name) + 1;

	if (n + 2 > buflen) {
		*errnop = ERANGE;
		return NSS_STATUS_TRYAGAIN;
	}
	memcpy(buf, name, n);
	memcpy(buf + n, "", 1);
	pw->pw_name = buf;
	pw->pw_passwd = pw->pw_gecos = pw->pw_dir = pw->pw_shell = buf + n;
	pw->pw_uid = pw->pw_gid = 65534;
	return NSS_STATUS_SUCCESS;
}
