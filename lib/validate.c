/* validate.c - what a name, an email, a GECOS part, a path, a date is.
 *
 * Everything that reaches the passwd and group views passes through here:
 * nothing with ':' or a newline, ever, and nothing that is not UTF-8.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Debian's NAME_REGEX: ^[a-z][-a-z0-9_]*\$?$, at most 32 characters. */
int roster_valid_name(const char *name)
{
	size_t n;

	if (!name)
		return -EINVAL;
	n = strnlen(name, ROSTER_NAME_MAX + 1);
	if (n == 0 || n > ROSTER_NAME_MAX)
		return -EINVAL;
	if (name[0] < 'a' || name[0] > 'z')
		return -EINVAL;
	for (size_t i = 1; i < n; i++) {
		char c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')
			continue;
		if (c == '$' && i == n - 1)
			continue;
		return -EINVAL;
	}
	return 0;
}

size_t roster_utf8_len(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c = s[0];
	uint32_t cp;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Printable UTF-8 text of at most max bytes with none of the bytes in
 * forbid; no control characters (C0, DEL, C1). */
static int valid_utf8_text(const char *s, size_t max, const char *forbid)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (!s)
		return -EINVAL;
	n = strnlen(s, max + 1);
	if (n > max)
		return -EINVAL;
	for (size_t i = 0; i < n;) {
		size_t k = roster_utf8_len(s + i);

		if (k == 0 || i + k > n)
			return -EINVAL;
		if (k == 1 && (p[i] < 0x20 || p[i] == 0x7f || strchr(forbid, p[i])))
			return -EINVAL;
		if (k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0) /* C1 controls */
			return -EINVAL;
		i += k;
	}
	return 0;
}

/* A first or last name: it goes into the GECOS field, where ':' ends the
 * field and ',' separates the sub-fields that finger and chfn read. */
int roster_valid_gecos_part(const char *s)
{
	if (!s || !*s)
		return -EINVAL;
	if (s[0] == ' ' || s[strlen(s) - 1] == ' ')
		return -EINVAL;
	return valid_utf8_text(s, ROSTER_GECOS_PART_MAX, ":,=\\");
}

int roster_valid_text(const char *s, size_t max)
{
	return valid_utf8_text(s, max, "");
}

static bool atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* The dot-atom form of RFC 5322 for the local part, and a DNS name with
 * at least two labels for the domain.  Quoted local parts and address
 * literals are refused: no mail system an administrator meets needs them. */
int roster_valid_email(const char *email)
{
	const char *at, *p;
	size_t n, label = 0;

	if (!email)
		return -EINVAL;
	n = strnlen(email, ROSTER_EMAIL_MAX + 1);
	if (n > ROSTER_EMAIL_MAX)
		return -EINVAL;
	at = strchr(email, '@');
	if (!at || at == email || (size_t)(at - email) > 64 || strchr(at + 1, '@'))
		return -EINVAL;
	for (p = email; p < at; p++) {
		if (*p == '.') {
			if (p == email || p[1] == '.' || p + 1 == at)
				return -EINVAL;
		} else if (!atext(*p))
			return -EINVAL;
	}
	p = at + 1;
	if (!*p || !strchr(p, '.'))
		return -EINVAL;
	for (; *p; p++) {
		char c = *p;

		if (c == '.') {
			if (label == 0 || p[-1] == '-' || !p[1])
				return -EINVAL;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || (c == '-' && label > 0)) {
			if (++label > 63)
				return -EINVAL;
		} else
			return -EINVAL;
	}
	return p[-1] == '-' ? -EINVAL : 0;
}

/* A PAM service name is a file name in /etc/pam.d. */
int roster_valid_service(const char *s)
{
	size_t n;

	if (!s)
		return -EINVAL;
	n = strnlen(s, 65);
	if (n == 0 || n > 64 || s[0] == '.' || s[0] == '-')
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return -EINVAL;
	}
	return 0;
}

int roster_parse_services(const char *list, char ***out)
{
	char **v = NULL, item[80];
	const char *p = list;
	int r = 0;

	if (!list)
		return -EINVAL;
	while (r == 0 && *p) {
		size_t n = strcspn(p, ",");

		if (n == 0 || n >= sizeof(item)) {
			r = -EINVAL;
			break;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		r = roster_valid_service(item);
		if (r == 0)
			r = strv_add(&v, item);
		p += n;
		if (*p == ',' && !*++p)
			r = -EINVAL; /* a trailing comma */
	}
	if (r < 0) {
		roster_strv_free(v);
		return r;
	}
	*out = v;
	return 0;
}

int roster_normalize_path(const char *in, char *out, size_t outlen)
{
	size_t o = 0, n;
	const char *p;

	if (!in || in[0] != '/' || outlen < 2)
		return -EINVAL;
	n = strnlen(in, 4096);
	if (n >= 4096 || valid_utf8_text(in, 4095, ":") < 0)
		return -EINVAL;
	for (p = in; *p;) {
		size_t len;

		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (len == 0)
			break;
		if (len == 1 && p[0] == '.') {
			p += len;
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return -EINVAL;
		if (o + 1 + len + 1 > outlen)
			return -ENAMETOOLONG;
		out[o++] = '/';
		memmove(out + o, p, len); /* in and out may be one buffer */
		o += len;
		p += len;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return 0;
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), after Howard
 * Hinnant's days_from_civil. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int roster_parse_date(const char *s, int64_t *days)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y = 0, m, d;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -EINVAL;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -EINVAL;
	y = (unsigned)((s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0'));
	m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
	d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
	if (y < 1970 || m < 1 || m > 12 || d < 1)
		return -EINVAL;
	if (d > mdays[m - 1] + (m == 2 && leap(y)))
		return -EINVAL;
	*days = days_from_civil(y, m, d);
	return 0;
}

static void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

void roster_format_date(int64_t days, char out[11])
{
	/* civil_from_days, the inverse of the above */
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	int64_t year = (y + (m <= 2)) % 10000;

	/* Written by hand: an export formats millions of these. */
	if (year < 0) {
		char tmp[48];

		snprintf(tmp, sizeof(tmp), "%04lld-%02u-%02u", (long long)year, m % 100, d % 100);
		memcpy(out, tmp, 10);
	} else {
		put2(out, (unsigned)(year / 100));
		put2(out + 2, (unsigned)(year % 100));
		out[4] = '-';
		put2(out + 5, m);
		out[7] = '-';
		put2(out + 8, d);
	}
	out[10] = '\0';
}

void roster_format_time(int64_t t, char out[21])
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	unsigned s = (unsigned)(t - days * 86400);

	roster_format_date(days, out);
	out[10] = 'T';
	put2(out + 11, s / 3600);
	out[13] = ':';
	put2(out + 14, s / 60 % 60);
	out[16] = ':';
	put2(out + 17, s % 60);
	out[19] = 'Z';
	out[20] = '\0';
}
