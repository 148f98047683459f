/* util.c - byte buffers, small files, sorted string vectors, time and
 * status names. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void buf_put(struct buf *b, const void *p, size_t n)
{
	if (b->err)
		return;
	if (n > SIZE_MAX / 2 - b->len) {
		b->err = -EOVERFLOW;
		return;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		unsigned char *q;

		while (cap < b->len + n)
			cap *= 2;
		if (!b->secret)
			q = realloc(b->p, cap);
		else if ((q = malloc(cap)) != NULL) {
			if (b->len)
				memcpy(q, b->p, b->len);
			if (b->p)
				roster_wipe(b->p, b->cap);
			free(b->p);
		}
		if (!q) {
			b->err = -ENOMEM;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

void buf_u32(struct buf *b, uint32_t v)
{
	buf_put(b, &v, sizeof(v));
}

void buf_free(struct buf *b)
{
	bool secret = b->secret;

	if (secret && b->p)
		roster_wipe(b->p, b->cap);
	free(b->p);
	memset(b, 0, sizeof(*b));
	b->secret = secret;
}

int read_text_file(const char *path, size_t max, struct buf *out, size_t *nul_line)
{
	struct buf b = { 0 };
	char chunk[4096];
	const unsigned char *nul;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	while (b.len <= max && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		buf_put(&b, chunk, (size_t)n);
	}
	close(fd);
	r = r ?: b.err;
	if (r == 0 && b.len && (nul = memchr(b.p, '\0', b.len))) {
		*nul_line = 1;
		for (const unsigned char *p = b.p; p < nul; p++)
			*nul_line += *p == '\n';
		r = -EILSEQ;
	}
	if (r == 0 && b.len > max)
		r = -EFBIG;
	buf_put(&b, "", 1);
	r = r ?: b.err;
	if (r < 0) {
		buf_free(&b);
		return r;
	}
	b.len--;
	*out = b;
	return 0;
}

void roster_vformat(char *out, size_t outlen, const char *fmt, va_list ap)
{
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	size_t half = (outlen - 6) / 2;

	if (n < 0)
		snprintf(out, outlen, "%s", fmt); /* out of memory: the words, at least */
	else if ((size_t)n < outlen)
		memcpy(out, s, (size_t)n + 1);
	else
		snprintf(out, outlen, "%.*s ... %s", (int)half, s, s + n - half);
	free(s);
}

char *xstrdup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

size_t roster_strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

void roster_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

bool strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

int strv_add(char ***v, const char *s)
{
	size_t n = roster_strv_len(*v), i;
	char **nv, *c;

	if (strv_contains(*v, s))
		return 0;
	c = strdup(s);
	nv = c ? realloc(*v, (n + 2) * sizeof(char *)) : NULL;
	if (!nv) {
		free(c);
		return -ENOMEM;
	}
	for (i = n; i > 0 && strcmp(nv[i - 1], s) > 0; i--)
		nv[i] = nv[i - 1];
	nv[i] = c;
	nv[n + 1] = NULL;
	*v = nv;
	return 0;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_normalize(char **v, size_t n)
{
	size_t o = 0;

	if (n > 1)
		qsort(v, n, sizeof(char *), cmp_strp);
	for (size_t i = 0; i < n; i++) {
		if (o > 0 && strcmp(v[o - 1], v[i]) == 0)
			free(v[i]);
		else
			v[o++] = v[i];
	}
	v[o] = NULL;
}

int strv_remove(char **v, const char *s)
{
	size_t n = roster_strv_len(v);

	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i], s) != 0)
			continue;
		free(v[i]);
		memmove(v + i, v + i + 1, (n - i) * sizeof(char *));
		return 1;
	}
	return 0;
}

char **strv_copy(char *const *v)
{
	size_t n = roster_strv_len(v);
	char **c = calloc(n + 1, sizeof(char *));

	for (size_t i = 0; c && i < n; i++) {
		c[i] = strdup(v[i]);
		if (!c[i]) {
			roster_strv_free(c);
			return NULL;
		}
	}
	return c;
}

int64_t roster_now(void)
{
	return (int64_t)time(NULL);
}

static const char *const status_names[] = {
	[ROSTER_ACTIVE] = "active",
	[ROSTER_DISABLED] = "disabled",
	[ROSTER_INVITED] = "invited",
	[ROSTER_DELETED] = "deleted",
};

const char *roster_status_name(enum roster_status s)
{
	return (unsigned)s < sizeof(status_names) / sizeof(status_names[0]) ? status_names[s] : "unknown";
}

int roster_status_parse(const char *s, enum roster_status *out)
{
	for (unsigned i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (strcmp(s, status_names[i]) == 0) {
			*out = (enum roster_status)i;
			return 0;
		}
	return -EINVAL;
}

void roster_user_free(struct roster_user *u)
{
	if (!u)
		return;
	free(u->name);
	free(u->email);
	free(u->first);
	free(u->last);
	free(u->supervisor);
	free(u->shell);
	free(u->home);
	roster_strv_free(u->roles);
	free(u->created_by);
	free(u->updated_by);
	roster_secret_free(u->pwhash);
	free(u->last_service);
	free(u->last_host);
	roster_secret_free(u->invite_hash);
	free(u->invited_by);
	roster_strv_free(u->api_labels);
	free(u->unknown);
	free(u);
}

void roster_role_free(struct roster_role *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->description);
	roster_strv_free(r->services);
	free(r->created_by);
	free(r->updated_by);
	free(r->unknown);
	free(r);
}

void roster_event_free(struct roster_event *e)
{
	if (!e)
		return;
	free(e->actor);
	free(e->action);
	free(e->subject);
	for (size_t i = 0; i < e->nchanges; i++) {
		free(e->changes[i].field);
		free(e->changes[i].old_value);
		free(e->changes[i].new_value);
	}
	free(e->changes);
	free(e);
}

int roster_strv_add(char ***v, const char *s)
{
	return strv_add(v, s);
}

char **roster_strv_copy(char *const *v)
{
	return strv_copy(v);
}

void roster_api_free(struct roster_api *a)
{
	if (!a)
		return;
	free(a->label);
	roster_secret_free(a->hash);
	roster_strv_free(a->services);
	free(a->last_service);
	free(a->created_by);
	free(a->unknown);
	free(a);
}
