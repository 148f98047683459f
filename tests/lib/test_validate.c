/* test_validate.c - what a name, an email, a GECOS part, a service, a path
 * and a date are (lib/validate.c).  Tables of good and bad values; each bad
 * value says why it is bad.
 */
#include "common.h"

#include <time.h>

struct vcase {
	const char *s;
	const char *why; /* for the failure message */
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void check_table(const char *what, int (*fn)(const char *), const struct vcase *good,
			size_t ngood, const struct vcase *bad, size_t nbad)
{
	for (size_t i = 0; i < ngood; i++)
		if (fn(good[i].s) != 0)
			fail_msg("%s: refused good value '%s' (%s)", what, good[i].s, good[i].why);
	for (size_t i = 0; i < nbad; i++) {
		int r = fn(bad[i].s);

		if (r != -EINVAL)
			fail_msg("%s: bad value '%s' (%s) gave %d, want -EINVAL", what,
				 bad[i].s ? bad[i].s : "(null)", bad[i].why, r);
	}
}

/* ---- names ---- */

static void test_valid_name(void **state)
{
	static const struct vcase good[] = {
		{ "a", "one letter" },
		{ "alice", "plain" },
		{ "a-b_c9", "dash, underscore, digit" },
		{ "z0", "digit after the first letter" },
		{ "machine$", "Samba machine account" },
		{ "a-", "trailing dash" },
		{ "abcdefghijklmnopqrstuvwxyz012345", "32 characters" },
		{ "abcdefghijklmnopqrstuvwxyz01234$", "32 with the final $" },
	};
	static const struct vcase bad[] = {
		{ NULL, "NULL" },
		{ "", "empty" },
		{ "Alice", "uppercase first" },
		{ "aLice", "uppercase inside" },
		{ "1alice", "digit first" },
		{ "-alice", "dash first" },
		{ "_alice", "underscore first" },
		{ "$", "only $" },
		{ "a$b", "$ not last" },
		{ "a$$", "two $" },
		{ "al ice", "space" },
		{ "al.ice", "dot" },
		{ "al:ice", "colon" },
		{ "alice\n", "newline" },
		{ "al/ice", "slash" },
		{ "jos\xc3\xa9", "non-ASCII" },
		{ "abcdefghijklmnopqrstuvwxyz0123456", "33 characters" },
		{ "abcdefghijklmnopqrstuvwxyz012345$", "33 with the final $" },
	};

	(void)state;
	check_table("roster_valid_name", roster_valid_name, good, N(good), bad, N(bad));
}

/* ---- email ---- */

static void test_valid_email(void **state)
{
	static const struct vcase good[] = {
		{ "alice@example.org", "plain" },
		{ "Alice.Liddell@Example.ORG", "dots and case" },
		{ "a@b.c", "shortest" },
		{ "first.last+tag@mail.example.co.uk", "plus tag, many labels" },
		{ "o'brien@example.ie", "apostrophe" },
		{ "x!#$%&'*+-/=?^_`{|}~@example.org", "every atext special" },
		{ "a@xn--bcher-kva.example", "punycode label" },
		{ "a@a-b.example", "inner dash" },
		{ "a@1.2", "digit labels" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.org",
		  "64-character local part" },
		{ "a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org",
		  "63-character label" },
	};
	static const struct vcase bad[] = {
		{ NULL, "NULL" },
		{ "", "empty" },
		{ "alice", "no @" },
		{ "@example.org", "empty local part" },
		{ "alice@", "empty domain" },
		{ "alice@localhost", "single-label domain" },
		{ "alice@@example.org", "two @" },
		{ "a@b@example.org", "two @ apart" },
		{ ".alice@example.org", "leading dot" },
		{ "alice.@example.org", "trailing dot in local part" },
		{ "al..ice@example.org", "double dot in local part" },
		{ "al ice@example.org", "space" },
		{ "\"alice\"@example.org", "quoted local part" },
		{ "alice@[192.0.2.1]", "address literal" },
		{ "alice@.example.org", "leading dot in domain" },
		{ "alice@example..org", "empty label" },
		{ "alice@example.org.", "trailing dot in domain" },
		{ "alice@-example.org", "label starting with a dash" },
		{ "alice@example-.org", "label ending with a dash" },
		{ "alice@example.org-", "last label ending with a dash" },
		{ "alice@exa_mple.org", "underscore in domain" },
		{ "alice@ex\xc3\xa4mple.org", "non-ASCII domain" },
		{ "j\xc3\xb6rg@example.org", "non-ASCII local part" },
		{ "alice@example.org\n", "newline" },
		{ "alice:x@example.org", "colon" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.org",
		  "65-character local part" },
		{ "a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org",
		  "64-character label" },
	};
	char long_ok[ROSTER_EMAIL_MAX + 1], too_long[ROSTER_EMAIL_MAX + 2];
	size_t n;

	(void)state;
	check_table("roster_valid_email", roster_valid_email, good, N(good), bad, N(bad));

	/* 254 characters in all is the limit: a@ + labels of 9 + "." */
	strcpy(long_ok, "a@");
	while ((n = strlen(long_ok)) + 10 <= ROSTER_EMAIL_MAX)
		strcat(long_ok, "bbbbbbbbb.");
	while (strlen(long_ok) < ROSTER_EMAIL_MAX)
		strcat(long_ok, "c");
	assert_int_equal(strlen(long_ok), ROSTER_EMAIL_MAX);
	assert_int_equal(roster_valid_email(long_ok), 0);
	snprintf(too_long, sizeof(too_long), "%sc", long_ok);
	assert_int_equal(strlen(too_long), ROSTER_EMAIL_MAX + 1);
	assert_int_equal(roster_valid_email(too_long), -EINVAL);
}

/* ---- GECOS parts ---- */

static void test_valid_gecos_part(void **state)
{
	static const struct vcase good[] = {
		{ "Alice", "plain" },
		{ "Jos\xc3\xa9", "José: 2-byte UTF-8" },
		{ "O'Brien", "apostrophe" },
		{ "Mary Ann", "inner space" },
		{ "Smith-Jones", "dash" },
		{ "\xe5\xb1\xb1\xe7\x94\xb0", "山田: 3-byte UTF-8" },
		{ "\xf0\x9f\x98\x80", "U+1F600: 4-byte UTF-8" },
		{ "\xc2\xa0x", "U+00A0, the first non-control in C2" },
		{ "\xef\xbf\xbd", "U+FFFD" },
		{ "\xf4\x8f\xbf\xbf", "U+10FFFF, the last code point" },
		{ "Dr. J. R. R.", "dots" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "64 bytes" },
	};
	static const struct vcase bad[] = {
		{ NULL, "NULL" },
		{ "", "empty" },
		{ "Smith:x", "colon ends the GECOS field" },
		{ "Smith,Jr", "comma separates GECOS sub-fields" },
		{ "a=b", "equals" },
		{ "back\\slash", "backslash" },
		{ "two\nlines", "newline" },
		{ "tab\there", "tab" },
		{ "cr\r", "carriage return" },
		{ "esc\x1b[31m", "escape sequence" },
		{ "del\x7f", "DEL" },
		{ "c1\xc2\x85", "U+0085 NEL, a C1 control" },
		{ "c1\xc2\x9f", "U+009F, a C1 control" },
		{ " Alice", "leading space" },
		{ "Alice ", "trailing space" },
		{ "\x80", "lone continuation byte" },
		{ "caf\xc3", "truncated sequence at the end" },
		{ "caf\xc3x", "sequence cut by ASCII" },
		{ "\xc0\xaf", "overlong '/' (2 bytes)" },
		{ "\xc1\xbf", "overlong (C1 lead)" },
		{ "\xe0\x80\xaf", "overlong '/' (3 bytes)" },
		{ "\xe0\x9f\xbf", "overlong U+07FF (3 bytes)" },
		{ "\xf0\x80\x80\xaf", "overlong '/' (4 bytes)" },
		{ "\xf0\x8f\xbf\xbf", "overlong U+FFFF (4 bytes)" },
		{ "\xed\xa0\x80", "UTF-16 surrogate U+D800" },
		{ "\xed\xbf\xbf", "UTF-16 surrogate U+DFFF" },
		{ "\xf4\x90\x80\x80", "beyond U+10FFFF" },
		{ "\xf5\x80\x80\x80", "F5 lead byte" },
		{ "\xff", "FF byte" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "65 bytes" },
	};
	char buf[80] = "";

	(void)state;
	check_table("roster_valid_gecos_part", roster_valid_gecos_part, good, N(good), bad, N(bad));
	/* The limit is in bytes: 32 two-byte characters fit, 33 do not. */
	for (int i = 0; i < 32; i++)
		strcat(buf, "\xc3\xa9");
	assert_int_equal(roster_valid_gecos_part(buf), 0);
	strcat(buf, "\xc3\xa9");
	assert_int_equal(roster_valid_gecos_part(buf), -EINVAL);
	/* A multi-byte character must not straddle the limit either. */
	memset(buf, 'a', 63);
	strcpy(buf + 63, "\xc3\xa9");
	assert_int_equal(strlen(buf), 65);
	assert_int_equal(roster_valid_gecos_part(buf), -EINVAL);
}

/* ---- free text ---- */

static void test_valid_text(void **state)
{
	char buf[300];

	(void)state;
	assert_int_equal(roster_valid_text("Developers: build, test, deploy", ROSTER_TEXT_MAX), 0);
	assert_int_equal(roster_valid_text("a=b, c\\d", ROSTER_TEXT_MAX), 0); /* no GECOS rules */
	assert_int_equal(roster_valid_text("D\xc3\xa9veloppeurs", ROSTER_TEXT_MAX), 0);
	assert_int_equal(roster_valid_text("", ROSTER_TEXT_MAX), 0);
	assert_int_equal(roster_valid_text(NULL, ROSTER_TEXT_MAX), -EINVAL);
	assert_int_equal(roster_valid_text("two\nlines", ROSTER_TEXT_MAX), -EINVAL);
	assert_int_equal(roster_valid_text("bell\a", ROSTER_TEXT_MAX), -EINVAL);
	assert_int_equal(roster_valid_text("del\x7f", ROSTER_TEXT_MAX), -EINVAL);
	assert_int_equal(roster_valid_text("c1\xc2\x9b", ROSTER_TEXT_MAX), -EINVAL);
	assert_int_equal(roster_valid_text("bad\xc3(", ROSTER_TEXT_MAX), -EINVAL);
	assert_int_equal(roster_valid_text("\xe0\x80\x80", ROSTER_TEXT_MAX), -EINVAL);
	memset(buf, 'x', sizeof(buf));
	buf[ROSTER_TEXT_MAX] = '\0';
	assert_int_equal(roster_valid_text(buf, ROSTER_TEXT_MAX), 0);
	buf[ROSTER_TEXT_MAX] = 'x';
	buf[ROSTER_TEXT_MAX + 1] = '\0';
	assert_int_equal(roster_valid_text(buf, ROSTER_TEXT_MAX), -EINVAL);
	/* max is honoured as given */
	assert_int_equal(roster_valid_text("abcd", 4), 0);
	assert_int_equal(roster_valid_text("abcde", 4), -EINVAL);
}

/* ---- PAM services ---- */

static void test_valid_service(void **state)
{
	static const struct vcase good[] = {
		{ "sshd", "plain" },
		{ "login", "plain" },
		{ "systemd-user", "dash" },
		{ "common_auth", "underscore" },
		{ "vsftpd.local", "dot inside" },
		{ "OpenVPN2", "case and digits" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "64 characters" },
	};
	static const struct vcase bad[] = {
		{ NULL, "NULL" },
		{ "", "empty" },
		{ ".hidden", "leading dot" },
		{ "..", "dot-dot" },
		{ "-x", "leading dash: an option" },
		{ "pam.d/sshd", "slash" },
		{ "ss hd", "space" },
		{ "sshd,login", "comma" },
		{ "sshd\n", "newline" },
		{ "s\xc3\xa9", "non-ASCII" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "65 characters" },
	};

	(void)state;
	check_table("roster_valid_service", roster_valid_service, good, N(good), bad, N(bad));
}

static void test_parse_services(void **state)
{
	static const char *const bad[] = {
		"sshd,",           /* trailing comma */
		",sshd",           /* leading comma */
		"sshd,,login",     /* empty item */
		",",               /* only a comma */
		"sshd, login",     /* a space is part of the name */
		"sshd,.hidden",    /* one bad item spoils the list */
		"sshd,pam.d/login",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	char **v = NULL;

	(void)state;
	assert_int_equal(roster_parse_services("sshd", &v), 0);
	assert_int_equal(roster_strv_len(v), 1);
	assert_string_equal(v[0], "sshd");
	roster_strv_free(v);

	v = NULL;
	assert_int_equal(roster_parse_services("sshd,login,cron,login,sshd", &v), 0);
	assert_int_equal(roster_strv_len(v), 3); /* de-duplicated */
	assert_string_equal(v[0], "cron");         /* sorted */
	assert_string_equal(v[1], "login");
	assert_string_equal(v[2], "sshd");
	assert_null(v[3]);
	roster_strv_free(v);

	for (size_t i = 0; i < N(bad); i++) {
		v = (char **)&v; /* must stay untouched on failure */
		if (roster_parse_services(bad[i], &v) != -EINVAL)
			fail_msg("roster_parse_services accepted '%s'", bad[i]);
		assert_ptr_equal(v, (char **)&v);
	}
	assert_int_equal(roster_parse_services(NULL, &v), -EINVAL);
}

/* ---- paths ---- */

static void test_normalize_path(void **state)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "/", "/" },
		{ "//", "/" },
		{ "/home/alice", "/home/alice" },
		{ "/home//alice", "/home/alice" },
		{ "//home///alice//", "/home/alice" },
		{ "/home/./alice", "/home/alice" },
		{ "/./home/././alice/.", "/home/alice" },
		{ "/home/alice/", "/home/alice" },
		{ "/srv/.hidden/x", "/srv/.hidden/x" },
		{ "/srv/..x/...", "/srv/..x/..." }, /* only ".." itself is refused */
		{ "/home/jos\xc3\xa9", "/home/jos\xc3\xa9" },
		{ "/home/with space", "/home/with space" },
	};
	static const char *const bad[] = {
		"",
		"home/alice",       /* relative */
		"./home",
		"~alice",
		"/home/../etc",     /* .. */
		"/..",
		"/home/alice/..",
		"/home/a:b",        /* ':' ends a passwd field */
		"/home/a\nb",       /* newline ends a passwd line */
		"/home/a\tb",
		"/home/\xc3",        /* invalid UTF-8 */
	};
	char out[256];

	(void)state;
	for (size_t i = 0; i < N(good); i++) {
		memset(out, 'Z', sizeof(out));
		if (roster_normalize_path(good[i].in, out, sizeof(out)) != 0)
			fail_msg("roster_normalize_path refused '%s'", good[i].in);
		if (strcmp(out, good[i].out) != 0)
			fail_msg("roster_normalize_path('%s') = '%s', want '%s'", good[i].in, out,
				 good[i].out);
	}
	for (size_t i = 0; i < N(bad); i++)
		if (roster_normalize_path(bad[i], out, sizeof(out)) >= 0)
			fail_msg("roster_normalize_path accepted '%s'", bad[i]);
	assert_int_equal(roster_normalize_path(NULL, out, sizeof(out)), -EINVAL);

	/* the output buffer's size is respected: "/home/alice" needs 12 */
	assert_int_equal(roster_normalize_path("/home/alice", out, 12), 0);
	assert_string_equal(out, "/home/alice");
	assert_true(roster_normalize_path("/home/alice", out, 11) < 0);
	assert_true(roster_normalize_path("/home//alice/", out, 11) < 0);
}

/* user.c normalises a home directory in place (in == out). */
static void test_normalize_path_in_place(void **state)
{
	char buf[512];

	(void)state;
	snprintf(buf, sizeof(buf), "%s", "//home///./alice//");
	assert_int_equal(roster_normalize_path(buf, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/alice");

	snprintf(buf, sizeof(buf), "/srv//%s//%s/", "abcdefghijklmnopqrstuvwxyz0123456789abcdefghij",
		 "klmnopqrstuvwxyz0123456789");
	assert_int_equal(roster_normalize_path(buf, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/srv/abcdefghijklmnopqrstuvwxyz0123456789abcdefghij/"
				 "klmnopqrstuvwxyz0123456789");
}

/* ---- dates ---- */

static void test_parse_date(void **state)
{
	static const struct {
		const char *s;
		int64_t days;
	} good[] = {
		{ "1970-01-01", 0 },
		{ "1970-01-02", 1 },
		{ "1970-12-31", 364 },
		{ "1971-01-01", 365 },
		{ "1972-02-29", 789 },      /* the first leap day after the epoch */
		{ "2000-02-29", 11016 },    /* divisible by 400: leap */
		{ "2000-03-01", 11017 },
		{ "2024-02-29", 19782 },
		{ "2024-03-01", 19783 },
		{ "2026-11-23", 20780 },
		{ "2038-01-19", 24855 },    /* past the 32-bit time_t limit */
		{ "9999-12-31", 2932896 },
	};
	static const char *const bad[] = {
		"2023-02-29",  /* not a leap year */
		"2100-02-29",  /* divisible by 100, not by 400 */
		"1900-02-29",
		"2026-13-01",  /* month 13 */
		"2026-00-10",  /* month 0 */
		"2026-01-00",  /* day 0 */
		"2026-01-32",
		"2026-04-31",  /* April has 30 */
		"2024-02-30",
		"1969-12-31",  /* before the epoch */
		"0000-01-01",
		"2026-1-01",   /* not zero-padded */
		"2026-01-1",
		"26-01-01",
		"2026/01/01",
		"2026-01-01 ",
		" 2026-01-01",
		"2026-01-01T00:00:00Z",
		"2026-0a-01",
		"+026-01-01",
		"",
	};
	int64_t d;

	(void)state;
	for (size_t i = 0; i < N(good); i++) {
		d = -1;
		if (roster_parse_date(good[i].s, &d) != 0)
			fail_msg("roster_parse_date refused '%s'", good[i].s);
		if (d != good[i].days)
			fail_msg("roster_parse_date('%s') = %lld, want %lld", good[i].s, (long long)d,
				 (long long)good[i].days);
	}
	for (size_t i = 0; i < N(bad); i++) {
		d = 12345;
		if (roster_parse_date(bad[i], &d) != -EINVAL)
			fail_msg("roster_parse_date accepted '%s'", bad[i]);
		assert_int_equal(d, 12345); /* untouched */
	}
	assert_int_equal(roster_parse_date(NULL, &d), -EINVAL);
}

static void test_format_date(void **state)
{
	char out[11];

	(void)state;
	roster_format_date(0, out);
	assert_string_equal(out, "1970-01-01");
	roster_format_date(789, out);
	assert_string_equal(out, "1972-02-29");
	roster_format_date(19782, out);
	assert_string_equal(out, "2024-02-29");
	roster_format_date(47541, out); /* 2100 is not a leap year */
	assert_string_equal(out, "2100-03-01");
	roster_format_date(-1, out);
	assert_string_equal(out, "1969-12-31");
	roster_format_date(2932896, out);
	assert_string_equal(out, "9999-12-31");
}

/* format(parse(x)) == x and parse(format(d)) == d for every day from the
 * epoch to 9999-12-31, and the days count up one at a time. */
static void test_date_round_trip_every_day(void **state)
{
	char s[11], prev[11] = "";
	int64_t back;

	(void)state;
	for (int64_t d = 0; d <= 2932896; d++) {
		roster_format_date(d, s);
		if (roster_parse_date(s, &back) != 0 || back != d)
			fail_msg("day %lld formats as '%s', which parses back as %lld", (long long)d, s,
				 (long long)back);
		if (strcmp(prev, s) >= 0)
			fail_msg("day %lld ('%s') does not sort after '%s'", (long long)d, s, prev);
		memcpy(prev, s, sizeof(s));
	}
}

static void test_format_time(void **state)
{
	static const struct {
		int64_t t;
		const char *s;
	} known[] = {
		{ 0, "1970-01-01T00:00:00Z" },
		{ 1, "1970-01-01T00:00:01Z" },
		{ 59, "1970-01-01T00:00:59Z" },
		{ 86399, "1970-01-01T23:59:59Z" },
		{ 86400, "1970-01-02T00:00:00Z" },
		{ 951782400, "2000-02-29T00:00:00Z" },
		{ 1700000000, "2023-11-14T22:13:20Z" },
		{ 2147483647, "2038-01-19T03:14:07Z" },
		{ 2147483648LL, "2038-01-19T03:14:08Z" },
		{ -1, "1969-12-31T23:59:59Z" },
		{ -86400, "1969-12-31T00:00:00Z" },
		{ -86401, "1969-12-30T23:59:59Z" },
	};
	char out[21], want[32];
	struct tm tm;
	time_t t;

	(void)state;
	for (size_t i = 0; i < N(known); i++) {
		memset(out, 'Z', sizeof(out));
		roster_format_time(known[i].t, out);
		if (strcmp(out, known[i].s) != 0)
			fail_msg("roster_format_time(%lld) = '%s', want '%s'", (long long)known[i].t, out,
				 known[i].s);
	}
	/* against gmtime_r, over 1970-2106 in uneven steps */
	for (int64_t x = 0; x < 4294967296LL; x += 999983) {
		t = (time_t)x;
		assert_non_null(gmtime_r(&t, &tm));
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
		roster_format_time(x, out);
		if (strcmp(out, want) != 0)
			fail_msg("roster_format_time(%lld) = '%s', want '%s'", (long long)x, out, want);
	}
}

static void test_status_names(void **state)
{
	enum roster_status s;

	(void)state;
	for (int i = ROSTER_ACTIVE; i <= ROSTER_DELETED; i++) {
		assert_int_equal(roster_status_parse(roster_status_name((enum roster_status)i), &s), 0);
		assert_int_equal(s, i);
	}
	assert_string_equal(roster_status_name(ROSTER_INVITED), "invited");
	assert_int_equal(roster_status_parse("Active", &s), -EINVAL);
	assert_int_equal(roster_status_parse("", &s), -EINVAL);
	assert_string_equal(roster_status_name((enum roster_status)7), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_name),
		cmocka_unit_test(test_valid_email),
		cmocka_unit_test(test_valid_gecos_part),
		cmocka_unit_test(test_valid_text),
		cmocka_unit_test(test_valid_service),
		cmocka_unit_test(test_parse_services),
		cmocka_unit_test(test_normalize_path),
		cmocka_unit_test(test_normalize_path_in_place),
		cmocka_unit_test(test_parse_date),
		cmocka_unit_test(test_format_date),
		cmocka_unit_test(test_date_round_trip_every_day),
		cmocka_unit_test(test_format_time),
		cmocka_unit_test(test_status_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
