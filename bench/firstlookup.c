/* firstlookup.c - the first getpwnam(3) of a fresh process, timed.
 *
 *   bench/firstlookup NAME cold|loaded
 *
 * Times one getpwnam(NAME), with whatever /etc/nsswitch.conf says (nssbench
 * runs it in a mount namespace with its own nsswitch.conf), or with
 * "passwd: $BENCH_NSS_SERVICES" set by __nss_configure_lookup() when that
 * is in the environment (BENCH_NSSWITCH=api).  cold: the first
 * NSS call of the process, so glibc loads the module too.  loaded: an
 * untimed getpwnam("") first, which makes glibc load the modules but which
 * libnss_roster answers without touching the view, so the timed call is
 * the module's own first lookup (set-up, open and map of one shard).
 * Prints "NS RSS_KB": the nanoseconds of that call, and how much the
 * process's peak RSS grew across everything NSS did.  nssbench runs it
 * many times; glibc only, no libroster.
 */
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A "Key:   N kB" line of /proc/self/status, or -1. */
static long status_kb(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	const char *services;
	struct passwd *pw;
	long long t0, t1;
	long rss0;

	if (argc != 3) {
		fprintf(stderr, "usage: firstlookup NAME cold|loaded\n");
		return 2;
	}
	services = getenv("BENCH_NSS_SERVICES");
	if (services && __nss_configure_lookup("passwd", services) != 0)
		return 1;
	rss0 = status_kb("VmRSS");
	if (strcmp(argv[2], "loaded") == 0)
		(void)getpwnam("");
	t0 = now_ns();
	pw = getpwnam(argv[1]);
	t1 = now_ns();
	if (!pw || strcmp(pw->pw_name, argv[1]) != 0)
		return 1;
	printf("%lld %ld\n", t1 - t0, status_kb("VmHWM") - rss0);
	return 0;
}
