/* test_codec.c - the record encoding of accounts.tdb (lib/codec.c).
 *
 * What a record must do: survive a round trip with every field set and
 * with every optional field absent; keep fields it does not know verbatim;
 * refuse a newer version; and never trust a stored length.  Inputs that
 * the decoder must refuse are placed so that they end at a PROT_NONE page,
 * so reading even one byte too far crashes the test instead of passing by
 * luck.
 */
#include "common.h"

#include <sys/mman.h>

/* ---- helpers ---- */

static const char UUID1[] = "0f8fad5b-d9cb-469f-a165-70867728950e";

/* A copy of n bytes that ends exactly where an inaccessible page starts. */
struct guarded {
	unsigned char *map;
	size_t maplen;
	unsigned char *p;
};

static unsigned char *guard_copy(struct guarded *g, const void *src, size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = (n + page - 1) / page * page;

	g->maplen = body + page;
	g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->map != MAP_FAILED);
	assert_int_equal(mprotect(g->map + body, page, PROT_NONE), 0);
	g->p = g->map + body - n;
	if (n)
		memcpy(g->p, src, n);
	return g->p;
}

static void guard_free(struct guarded *g)
{
	munmap(g->map, g->maplen);
	memset(g, 0, sizeof(*g));
}

static void put_le(struct buf *b, uint64_t v, unsigned n)
{
	unsigned char x[8];

	for (unsigned i = 0; i < n; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	buf_put(b, x, n);
}

static void rec_header(struct buf *b, char type, unsigned char version)
{
	unsigned char h[4] = { 'R', (unsigned char)type, version, 0 };

	buf_put(b, h, 4);
}

/* One field: u16 tag, u32 length, bytes (little-endian). */
static void tlv(struct buf *b, uint16_t tag, const void *p, size_t n)
{
	put_le(b, tag, 2);
	put_le(b, n, 4);
	buf_put(b, p, n);
}

static void tlv_str(struct buf *b, uint16_t tag, const char *s)
{
	tlv(b, tag, s, strlen(s));
}

static void tlv_u32(struct buf *b, uint16_t tag, uint32_t v)
{
	put_le(b, tag, 2);
	put_le(b, 4, 4);
	put_le(b, v, 4);
}

static char **strv(const char *a, const char *b)
{
	char **v = NULL;

	if (a)
		assert_int_equal(strv_add(&v, a), 0);
	if (b)
		assert_int_equal(strv_add(&v, b), 0);
	return v;
}

static void assert_str_or_null(const char *want, const char *have)
{
	if (!want)
		assert_null(have);
	else {
		assert_non_null(have);
		assert_string_equal(want, have);
	}
}

static void assert_strv_equal(char *const *want, char *const *have)
{
	assert_int_equal(roster_strv_len(want), roster_strv_len(have));
	for (size_t i = 0; want && want[i]; i++)
		assert_string_equal(want[i], have[i]);
}

static struct roster_user *user_all_fields(void)
{
	struct roster_user *u = calloc(1, sizeof(*u));

	assert_non_null(u);
	u->name = strdup("alice");
	u->uid = 70001;
	u->gid = 70005;
	memcpy(u->uuid, UUID1, sizeof(UUID1));
	u->email = strdup("Alice@Example.org");
	u->first = strdup("José");
	u->last = strdup("O'Brien");
	u->supervisor = strdup("bob");
	u->shell = strdup("/bin/bash");
	u->home = strdup("/home/alice");
	u->status = ROSTER_DISABLED;
	u->roles = strv("admins", "devs");
	u->must_change = true;
	u->expires = 20000;
	u->created = 1700000000;
	u->updated = 1700000100;
	u->created_by = strdup("root");
	u->updated_by = strdup("carol");
	u->pwhash = strdup("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g");
	u->fail_count = 3;
	u->fail_first = -42; /* the sign must survive */
	u->locked_until = INT64_MAX;
	u->last_login = 1700000200;
	u->last_service = strdup("sshd");
	u->last_host = strdup("192.0.2.1");
	return u;
}

static struct roster_user *user_minimal(void)
{
	struct roster_user *u = calloc(1, sizeof(*u));

	assert_non_null(u);
	u->name = strdup("bob");
	memcpy(u->uuid, UUID1, sizeof(UUID1));
	u->expires = ROSTER_NO_DATE;
	u->fail_first = INT64_MIN;
	return u;
}

static void assert_user_equal(const struct roster_user *a, const struct roster_user *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->uid, b->uid);
	assert_int_equal(a->gid, b->gid);
	assert_string_equal(a->uuid, b->uuid);
	assert_str_or_null(a->email, b->email);
	assert_str_or_null(a->first, b->first);
	assert_str_or_null(a->last, b->last);
	assert_str_or_null(a->supervisor, b->supervisor);
	assert_str_or_null(a->shell, b->shell);
	assert_str_or_null(a->home, b->home);
	assert_int_equal(a->status, b->status);
	assert_strv_equal(a->roles, b->roles);
	assert_int_equal(a->must_change, b->must_change);
	assert_true(a->expires == b->expires);
	assert_true(a->created == b->created);
	assert_true(a->updated == b->updated);
	assert_str_or_null(a->created_by, b->created_by);
	assert_str_or_null(a->updated_by, b->updated_by);
	assert_str_or_null(a->pwhash, b->pwhash);
	assert_int_equal(a->fail_count, b->fail_count);
	assert_true(a->fail_first == b->fail_first);
	assert_true(a->locked_until == b->locked_until);
	assert_true(a->last_login == b->last_login);
	assert_str_or_null(a->last_service, b->last_service);
	assert_str_or_null(a->last_host, b->last_host);
}

static struct roster_role *role_all_fields(void)
{
	struct roster_role *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->name = strdup("devs");
	r->gid = 70004;
	r->description = strdup("Développeurs, all of them");
	r->services = strv("sshd", "login");
	r->created = 1600000000;
	r->updated = -1;
	r->created_by = strdup("root");
	r->updated_by = strdup("alice");
	return r;
}

static void assert_role_equal(const struct roster_role *a, const struct roster_role *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->gid, b->gid);
	assert_str_or_null(a->description, b->description);
	assert_strv_equal(a->services, b->services);
	assert_true(a->created == b->created);
	assert_true(a->updated == b->updated);
	assert_str_or_null(a->created_by, b->created_by);
	assert_str_or_null(a->updated_by, b->updated_by);
}

static struct roster_change event_changes[] = {
	{ (char *)"email", (char *)"a@example.org", (char *)"b@example.org", false },
	{ (char *)"password", NULL, NULL, true },
	{ (char *)"supervisor", NULL, (char *)"bob", false },
	{ (char *)"first_name", (char *)"Al", NULL, false },
	{ (char *)"last_name", (char *)"", NULL, false }, /* "" is not NULL */
};

static void event_all_fields(struct roster_event *e)
{
	memset(e, 0, sizeof(*e));
	e->seq = 42;
	e->time = 1700000300;
	e->actor = (char *)"root";
	e->action = (char *)"user.edit";
	e->subject = (char *)"alice";
	e->changes = event_changes;
	e->nchanges = sizeof(event_changes) / sizeof(event_changes[0]);
	for (int i = 0; i < 32; i++)
		e->prev_hash[i] = (unsigned char)(0xa0 + i);
}

static void assert_event_equal(const struct roster_event *a, const struct roster_event *b)
{
	assert_true(a->seq == b->seq);
	assert_true(a->time == b->time);
	assert_string_equal(a->actor, b->actor);
	assert_string_equal(a->action, b->action);
	assert_string_equal(a->subject, b->subject);
	assert_memory_equal(a->prev_hash, b->prev_hash, 32);
	assert_int_equal(a->nchanges, b->nchanges);
	for (size_t i = 0; i < a->nchanges; i++) {
		assert_string_equal(a->changes[i].field, b->changes[i].field);
		assert_str_or_null(a->changes[i].old_value, b->changes[i].old_value);
		assert_str_or_null(a->changes[i].new_value, b->changes[i].new_value);
		assert_int_equal(a->changes[i].secret, b->changes[i].secret);
	}
}

/* Uniform wrappers so the generic tests below can drive every decoder. */
typedef int (*decode_fn)(const void *p, size_t n);

static int dec_user(const void *p, size_t n)
{
	struct roster_user *u = NULL;
	int r = codec_user_decode(p, n, &u);

	assert_true(r == 0 ? u != NULL : u == NULL);
	roster_user_free(u);
	return r;
}

static int dec_role(const void *p, size_t n)
{
	struct roster_role *ro = NULL;
	int r = codec_role_decode(p, n, &ro);

	assert_true(r == 0 ? ro != NULL : ro == NULL);
	roster_role_free(ro);
	return r;
}

static int dec_event(const void *p, size_t n)
{
	struct roster_event *e = NULL;
	int r = codec_event_decode(p, n, &e);

	assert_true(r == 0 ? e != NULL : e == NULL);
	roster_event_free(e);
	return r;
}

static int dec_strv(const void *p, size_t n)
{
	char **v = (char **)1; /* must be replaced on success */
	int r = codec_strv_decode(p, n, &v);

	if (r == 0)
		roster_strv_free(v);
	return r;
}

/* Decodes a guarded copy of p[0..n). */
static int decode_guarded(decode_fn fn, const void *p, size_t n)
{
	struct guarded g;
	int r;

	guard_copy(&g, p, n);
	r = fn(g.p, n);
	guard_free(&g);
	return r;
}

/* ---- round trips ---- */

static void test_user_round_trip_all_fields(void **state)
{
	struct roster_user *u = user_all_fields(), *d = NULL;
	struct buf b = { 0 }, b2 = { 0 };

	(void)state;
	assert_int_equal(codec_user_encode(u, &b), 0);
	assert_int_equal(codec_user_decode(b.p, b.len, &d), 0);
	assert_user_equal(u, d);
	assert_int_equal(d->unknown_len, 0);
	/* The encoding is canonical: decoding and encoding again is identity. */
	assert_int_equal(codec_user_encode(d, &b2), 0);
	assert_int_equal(b2.len, b.len);
	assert_memory_equal(b2.p, b.p, b.len);
	buf_free(&b);
	buf_free(&b2);
	roster_user_free(u);
	roster_user_free(d);
}

static void test_user_round_trip_optional_null(void **state)
{
	struct roster_user *u = user_minimal(), *d = NULL;
	struct buf b = { 0 };

	(void)state;
	assert_int_equal(codec_user_encode(u, &b), 0);
	assert_int_equal(codec_user_decode(b.p, b.len, &d), 0);
	assert_user_equal(u, d);
	/* Absent stays absent: not "" */
	assert_null(d->email);
	assert_null(d->first);
	assert_null(d->last);
	assert_null(d->supervisor);
	assert_null(d->pwhash);
	assert_null(d->roles);
	assert_null(d->last_host);
	assert_true(d->expires == ROSTER_NO_DATE);
	assert_int_equal(d->status, ROSTER_ACTIVE);
	buf_free(&b);
	roster_user_free(u);
	roster_user_free(d);
}

static void test_role_round_trip(void **state)
{
	struct roster_role *ro = role_all_fields(), *d = NULL, min = { 0 };
	struct buf b = { 0 };

	(void)state;
	assert_int_equal(codec_role_encode(ro, &b), 0);
	assert_int_equal(codec_role_decode(b.p, b.len, &d), 0);
	assert_role_equal(ro, d);
	/* services come back sorted, as strv_add keeps them */
	assert_string_equal(d->services[0], "login");
	assert_string_equal(d->services[1], "sshd");
	roster_role_free(d);
	d = NULL;
	buf_free(&b);

	min.name = (char *)"ops";
	min.gid = 70009;
	assert_int_equal(codec_role_encode(&min, &b), 0);
	assert_int_equal(codec_role_decode(b.p, b.len, &d), 0);
	assert_role_equal(&min, d);
	assert_null(d->description);
	assert_null(d->services);
	assert_null(d->created_by);
	roster_role_free(d);
	buf_free(&b);
	roster_role_free(ro);
}

static void test_event_round_trip(void **state)
{
	struct roster_event e, *d = NULL;
	struct buf b = { 0 };

	(void)state;
	event_all_fields(&e);
	assert_int_equal(codec_event_encode(&e, &b), 0);
	assert_int_equal(codec_event_decode(b.p, b.len, &d), 0);
	assert_event_equal(&e, d);
	/* the secret change carries no values at all */
	assert_true(d->changes[1].secret);
	assert_null(d->changes[1].old_value);
	assert_null(d->changes[1].new_value);
	/* an empty old value is not an absent one */
	assert_non_null(d->changes[4].old_value);
	assert_string_equal(d->changes[4].old_value, "");
	assert_null(d->changes[4].new_value);
	roster_event_free(d);
	d = NULL;
	buf_free(&b);

	/* no changes, all-zero previous hash */
	memset(&e, 0, sizeof(e));
	e.seq = 1;
	e.actor = (char *)"root";
	e.action = (char *)"role.add";
	e.subject = (char *)"roster-admin";
	assert_int_equal(codec_event_encode(&e, &b), 0);
	assert_int_equal(codec_event_decode(b.p, b.len, &d), 0);
	assert_event_equal(&e, d);
	assert_null(d->changes);
	roster_event_free(d);
	buf_free(&b);
}

static void test_strv_round_trip(void **state)
{
	char **v = strv("gamma", "alpha"), **d = NULL;
	struct buf b = { 0 };

	(void)state;
	assert_int_equal(strv_add(&v, "beta"), 0);
	assert_int_equal(codec_strv_encode(v, &b), 0);
	assert_int_equal(codec_strv_decode(b.p, b.len, &d), 0);
	assert_strv_equal(v, d);
	assert_string_equal(d[0], "alpha");
	assert_string_equal(d[2], "gamma");
	roster_strv_free(d);
	d = (char **)1;
	buf_free(&b);

	/* the empty list */
	assert_int_equal(codec_strv_encode(NULL, &b), 0);
	assert_int_equal(b.len, 4);
	assert_int_equal(codec_strv_decode(b.p, b.len, &d), 0);
	assert_null(d);
	buf_free(&b);
	roster_strv_free(v);
}

static void test_strv_decode_sorts_and_dedups(void **state)
{
	struct buf b = { 0 };
	char **d = NULL;

	(void)state;
	rec_header(&b, 'L', 1);
	tlv_str(&b, 1, "bob");
	tlv_str(&b, 1, "alice");
	tlv_str(&b, 1, "bob");
	assert_int_equal(codec_strv_decode(b.p, b.len, &d), 0);
	assert_int_equal(roster_strv_len(d), 2);
	assert_string_equal(d[0], "alice");
	assert_string_equal(d[1], "bob");
	roster_strv_free(d);
	buf_free(&b);
}

/* ---- forward compatibility ---- */

static void append_unknown(struct buf *b)
{
	tlv_str(b, 900, "from a newer roster");
	tlv(b, 65535, "", 0);
	tlv(b, 901, "\0\1\2\377", 4); /* binary, NULs included: kept as bytes */
}

static void test_user_unknown_tags_preserved(void **state)
{
	struct roster_user *u = user_all_fields(), *d = NULL, *d2 = NULL;
	struct buf in = { 0 }, out = { 0 }, tail = { 0 };

	(void)state;
	assert_int_equal(codec_user_encode(u, &in), 0);
	append_unknown(&in);
	append_unknown(&tail);
	assert_int_equal(in.err, 0);

	assert_int_equal(codec_user_decode(in.p, in.len, &d), 0);
	assert_user_equal(u, d); /* the known fields are unaffected */
	assert_int_equal(d->unknown_len, tail.len);
	assert_memory_equal(d->unknown, tail.p, tail.len);

	/* Rewritten by this version, the record still carries them. */
	assert_int_equal(codec_user_encode(d, &out), 0);
	assert_int_equal(out.len, in.len);
	assert_memory_equal(out.p, in.p, in.len);
	assert_int_equal(codec_user_decode(out.p, out.len, &d2), 0);
	assert_int_equal(d2->unknown_len, tail.len);
	assert_memory_equal(d2->unknown, tail.p, tail.len);

	roster_user_free(u);
	roster_user_free(d);
	roster_user_free(d2);
	buf_free(&in);
	buf_free(&out);
	buf_free(&tail);
}

static void test_user_unknown_tag_between_known_fields(void **state)
{
	struct roster_user *d = NULL;
	struct buf in = { 0 }, out = { 0 }, want = { 0 };

	(void)state;
	rec_header(&in, 'U', 1);
	tlv_str(&in, 1, "carol");
	tlv_str(&in, 77, "unknown in the middle");
	tlv_str(&in, 4, UUID1);
	tlv_str(&in, 5, "carol@example.org");
	assert_int_equal(codec_user_decode(in.p, in.len, &d), 0);
	assert_string_equal(d->name, "carol");
	assert_string_equal(d->email, "carol@example.org");
	tlv_str(&want, 77, "unknown in the middle");
	assert_int_equal(d->unknown_len, want.len);
	assert_memory_equal(d->unknown, want.p, want.len);
	assert_int_equal(codec_user_encode(d, &out), 0);
	/* the unknown field is still in the re-encoded record */
	assert_non_null(memmem(out.p, out.len, want.p, want.len));
	roster_user_free(d);
	buf_free(&in);
	buf_free(&out);
	buf_free(&want);
}

static void test_role_unknown_tags_preserved(void **state)
{
	struct roster_role *ro = role_all_fields(), *d = NULL;
	struct buf in = { 0 }, out = { 0 }, tail = { 0 };

	(void)state;
	assert_int_equal(codec_role_encode(ro, &in), 0);
	append_unknown(&in);
	append_unknown(&tail);
	assert_int_equal(codec_role_decode(in.p, in.len, &d), 0);
	assert_role_equal(ro, d);
	assert_int_equal(d->unknown_len, tail.len);
	assert_memory_equal(d->unknown, tail.p, tail.len);
	assert_int_equal(codec_role_encode(d, &out), 0);
	assert_int_equal(out.len, in.len);
	assert_memory_equal(out.p, in.p, in.len);
	roster_role_free(ro);
	roster_role_free(d);
	buf_free(&in);
	buf_free(&out);
	buf_free(&tail);
}

static void test_event_and_strv_skip_unknown_tags(void **state)
{
	struct roster_event e, *d = NULL;
	struct buf b = { 0 };
	char **v = NULL;

	(void)state;
	event_all_fields(&e);
	assert_int_equal(codec_event_encode(&e, &b), 0);
	append_unknown(&b);
	assert_int_equal(codec_event_decode(b.p, b.len, &d), 0);
	assert_event_equal(&e, d);
	roster_event_free(d);
	buf_free(&b);

	rec_header(&b, 'L', 1);
	tlv_str(&b, 1, "alice");
	append_unknown(&b);
	assert_int_equal(codec_strv_decode(b.p, b.len, &v), 0);
	assert_int_equal(roster_strv_len(v), 1);
	assert_string_equal(v[0], "alice");
	roster_strv_free(v);
	buf_free(&b);
}

/* ---- lists in place ---- */

/* The canonical encoding of the names in "a,b,c" ("" for none). */
static void encode_csv(const char *csv, struct buf *out)
{
	char copy[256], **v = NULL;

	snprintf(copy, sizeof(copy), "%s", csv);
	for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		assert_int_equal(strv_add(&v, t), 0);
	assert_int_equal(codec_strv_encode(v, out), 0);
	roster_strv_free(v);
}

/* Splicing s into (or out of) list "from" gives exactly the bytes
 * codec_strv_encode writes for "want". */
static void splice_gives(const char *from, const char *s, bool add, const char *want, int count,
			 bool changed)
{
	struct buf in = { 0 }, out = { 0 }, expect = { 0 };
	bool ch = !changed;

	encode_csv(from, &in);
	encode_csv(want, &expect);
	assert_int_equal(codec_strv_splice(in.p, in.len, s, add, &out, &ch), count);
	assert_int_equal(ch, changed);
	assert_int_equal(out.len, expect.len);
	assert_memory_equal(out.p, expect.p, expect.len);
	buf_free(&in);
	buf_free(&out);
	buf_free(&expect);
}

static void test_strv_splice(void **state)
{
	(void)state;
	splice_gives("bob,dave", "carol", true, "bob,carol,dave", 3, true);
	splice_gives("bob,dave", "alice", true, "alice,bob,dave", 3, true);
	splice_gives("bob,dave", "erin", true, "bob,dave,erin", 3, true);
	splice_gives("bob,dave", "bo", true, "bo,bob,dave", 3, true);   /* a prefix sorts first */
	splice_gives("bob,dave", "bobby", true, "bob,bobby,dave", 3, true);
	splice_gives("", "alice", true, "alice", 1, true);
	splice_gives("bob,dave", "bob", true, "bob,dave", 2, false);    /* already there */
	splice_gives("bob,dave", "bob", false, "dave", 1, true);
	splice_gives("bob,dave", "dave", false, "bob", 1, true);
	splice_gives("bob", "bob", false, "", 0, true);
	splice_gives("bob,dave", "carol", false, "bob,dave", 2, false); /* already absent */
	splice_gives("bob,dave", "bobb", false, "bob,dave", 2, false);
}

/* Merging a sorted batch gives the bytes codec_strv_encode writes for the
 * union; an empty stored list is n == 0. */
static void test_strv_merge(void **state)
{
	char *batch[] = { "alice", "bob", "dave", "zed" }, *unsorted[] = { "bob", "alice" };
	struct buf in = { 0 }, out = { 0 }, expect = { 0 };

	(void)state;
	encode_csv("bo,bob,carol", &in);
	encode_csv("alice,bo,bob,carol,dave,zed", &expect);
	assert_int_equal(codec_strv_merge(in.p, in.len, batch, 4, &out), 0);
	assert_int_equal(out.len, expect.len);
	assert_memory_equal(out.p, expect.p, expect.len);
	buf_free(&out);
	buf_free(&expect);

	encode_csv("alice,bob,dave,zed", &expect);
	assert_int_equal(codec_strv_merge(NULL, 0, batch, 4, &out), 0);
	assert_int_equal(out.len, expect.len);
	assert_memory_equal(out.p, expect.p, expect.len);
	buf_free(&out);
	buf_free(&expect);

	assert_int_equal(codec_strv_merge(in.p, in.len, unsorted, 2, &out), -EINVAL);
	buf_free(&out);
	buf_free(&in);
	rec_header(&in, 'L', 1);
	tlv_str(&in, 1, "bob");
	tlv_str(&in, 1, "alice");
	assert_int_equal(codec_strv_merge(in.p, in.len, batch, 4, &out), -EAGAIN);
	buf_free(&out);
	buf_free(&in);
}

static int collect_elem(const char *s, size_t len, void *priv)
{
	char *text = priv;

	snprintf(text + strlen(text), 256 - strlen(text), "%.*s;", (int)len, s);
	return 0;
}

/* Only the canonical encoding is read in place; anything else is -EAGAIN
 * (the caller decodes it) or, damaged, -EBADMSG. */
static void test_strv_in_place_needs_canonical(void **state)
{
	static const char *const lists[][3] = {
		{ "bob", "alice", NULL },  /* unsorted */
		{ "bob", "bob", NULL },    /* a duplicate */
	};
	struct buf b = { 0 }, out = { 0 };
	char text[256] = "";
	size_t count;
	bool changed;

	(void)state;
	encode_csv("alice,bob,carol", &b);
	assert_int_equal(codec_strv_each(b.p, b.len, &count, collect_elem, text), 0);
	assert_int_equal(count, 3);
	assert_string_equal(text, "alice;bob;carol;");
	buf_free(&b);

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		rec_header(&b, 'L', 1);
		for (size_t j = 0; lists[i][j]; j++)
			tlv_str(&b, 1, lists[i][j]);
		assert_int_equal(codec_strv_splice(b.p, b.len, "x", true, &out, &changed), -EAGAIN);
		assert_int_equal(codec_strv_each(b.p, b.len, &count, collect_elem, text), -EAGAIN);
		buf_free(&b);
		buf_free(&out);
	}
	rec_header(&b, 'L', 1);
	tlv_str(&b, 1, "alice");
	append_unknown(&b); /* a newer roster's field */
	assert_int_equal(codec_strv_splice(b.p, b.len, "x", true, &out, &changed), -EAGAIN);
	buf_free(&out);
	buf_free(&b);
	encode_csv("alice,bob", &b);
	b.len -= 2; /* cut into the last field */
	assert_int_equal(codec_strv_splice(b.p, b.len, "x", true, &out, &changed), -EBADMSG);
	buf_free(&out);
	b.p[1] = 'U'; /* not a list */
	assert_int_equal(codec_strv_each(b.p, b.len, &count, collect_elem, text), -EBADMSG);
	buf_free(&b);
}

/* ---- versions and types ---- */

struct sample {
	const char *what;
	decode_fn decode;
	struct buf b;
	const uint16_t *required; /* tags without which the record is refused */
	size_t nrequired;
};

static const uint16_t user_required[] = { 1, 4 };
static const uint16_t role_required[] = { 1 };
static const uint16_t event_required[] = { 3, 4, 5 };

/* One fully populated encoding of each record type. */
static void samples_make(struct sample s[4])
{
	struct roster_user *u = user_all_fields();
	struct roster_role *ro = role_all_fields();
	struct roster_event e;
	char **v = strv("alice", "bob");

	memset(s, 0, 4 * sizeof(*s));
	event_all_fields(&e);
	s[0] = (struct sample){ "user", dec_user, { 0 }, user_required, 2 };
	s[1] = (struct sample){ "role", dec_role, { 0 }, role_required, 1 };
	s[2] = (struct sample){ "event", dec_event, { 0 }, event_required, 3 };
	s[3] = (struct sample){ "strv", dec_strv, { 0 }, NULL, 0 };
	assert_int_equal(codec_user_encode(u, &s[0].b), 0);
	assert_int_equal(codec_role_encode(ro, &s[1].b), 0);
	assert_int_equal(codec_event_encode(&e, &s[2].b), 0);
	assert_int_equal(codec_strv_encode(v, &s[3].b), 0);
	roster_user_free(u);
	roster_role_free(ro);
	roster_strv_free(v);
}

static void samples_free(struct sample s[4])
{
	for (int i = 0; i < 4; i++)
		buf_free(&s[i].b);
}

static void test_newer_version_refused(void **state)
{
	struct sample s[4];

	(void)state;
	samples_make(s);
	for (int i = 0; i < 4; i++) {
		unsigned char *p = s[i].b.p;

		assert_int_equal(s[i].decode(p, s[i].b.len), 0);
		p[2] = 2;
		assert_int_equal(s[i].decode(p, s[i].b.len), -EPROTONOSUPPORT);
		p[2] = 255;
		assert_int_equal(s[i].decode(p, s[i].b.len), -EPROTONOSUPPORT);
		p[2] = 0; /* there never was a version 0 */
		assert_int_equal(s[i].decode(p, s[i].b.len), -EBADMSG);
		p[2] = 1;
		p[0] = 'r';
		assert_int_equal(s[i].decode(p, s[i].b.len), -EBADMSG);
		p[0] = 'R';
		assert_int_equal(s[i].decode(p, s[i].b.len), 0);
	}
	samples_free(s);
}

static void test_wrong_record_type_refused(void **state)
{
	struct sample s[4];

	(void)state;
	samples_make(s);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			if (i != j)
				assert_int_equal(s[j].decode(s[i].b.p, s[i].b.len), -EBADMSG);
	samples_free(s);
}

/* ---- hostile input ---- */

static bool has_tags(const unsigned char *p, size_t n, const uint16_t *tags, size_t ntags)
{
	for (size_t t = 0; t < ntags; t++) {
		bool found = false;

		for (size_t off = 4; off + 6 <= n; off += 6 + (p[off + 2] | p[off + 3] << 8 |
							      (size_t)p[off + 4] << 16 |
							      (size_t)p[off + 5] << 24))
			if ((p[off] | p[off + 1] << 8) == tags[t])
				found = true;
		if (!found)
			return false;
	}
	return true;
}

/* Every prefix of a valid record: a cut inside the header or a field is
 * refused; a cut between fields is a shorter valid record when it still
 * holds the required fields.  Nothing reads past the cut. */
static void test_truncated_at_every_length(void **state)
{
	struct sample s[4];

	(void)state;
	samples_make(s);
	for (int i = 0; i < 4; i++) {
		const unsigned char *p = s[i].b.p;
		size_t n = s[i].b.len, next = 4; /* the next field boundary */
		unsigned valid = 0;

		for (size_t len = 0; len < n; len++) {
			int r = decode_guarded(s[i].decode, p, len);

			if (len == next && len >= 4) {
				int want = has_tags(p, len, s[i].required, s[i].nrequired) ? 0 : -EBADMSG;

				if (r != want)
					fail_msg("%s cut at field boundary %zu: %d, want %d", s[i].what, len, r,
						 want);
				valid += r == 0;
				next += 6 + (p[next + 2] | p[next + 3] << 8 | (size_t)p[next + 4] << 16 |
					     (size_t)p[next + 5] << 24);
			} else if (r != -EBADMSG)
				fail_msg("%s cut at %zu of %zu: %d, want -EBADMSG", s[i].what, len, n, r);
		}
		assert_int_equal(next, n); /* the walk above saw every field */
		assert_true(valid > 0);
		assert_int_equal(decode_guarded(s[i].decode, p, n), 0);
	}
	samples_free(s);
}

static void test_stored_length_beyond_buffer_refused(void **state)
{
	static const uint32_t lies[] = { 1, 2, 6, 1000, 0x7fffffff, 0xfffffff9, 0xffffffff };
	struct sample s[4];

	(void)state;
	samples_make(s);
	for (int i = 0; i < 4; i++) {
		unsigned char *p = s[i].b.p;
		size_t n = s[i].b.len;

		/* the first field (at 4) and the last field */
		size_t last = 4, off = 4;

		while (off < n) {
			last = off;
			off += 6 + (p[off + 2] | p[off + 3] << 8 | (size_t)p[off + 4] << 16 |
				    (size_t)p[off + 5] << 24);
		}
		for (size_t k = 0; k < sizeof(lies) / sizeof(lies[0]); k++) {
			size_t fields[2] = { 4, last };

			for (int f = 0; f < 2; f++) {
				unsigned char save[4];
				size_t at = fields[f];
				uint64_t len = (uint64_t)(n - at - 6) + lies[k];

				if (len > UINT32_MAX)
					len = UINT32_MAX;
				memcpy(save, p + at + 2, 4);
				for (int b = 0; b < 4; b++)
					p[at + 2 + b] = (unsigned char)(len >> (8 * b));
				if (decode_guarded(s[i].decode, p, n) != -EBADMSG)
					fail_msg("%s: field at %zu with length %llu of %zu left accepted",
						 s[i].what, at, (unsigned long long)len, n - at - 6);
				memcpy(p + at + 2, save, 4);
			}
		}
		assert_int_equal(decode_guarded(s[i].decode, p, n), 0);
	}
	samples_free(s);
}

static void test_event_change_lengths_checked(void **state)
{
	struct buf b = { 0 }, c = { 0 };
	unsigned char flags = 6; /* has old, has new */

	(void)state;
	/* a change whose inner "field" string claims more than the blob holds */
	buf_put(&c, &flags, 1);
	put_le(&c, 100, 4);
	buf_put(&c, "abc", 3);
	rec_header(&b, 'E', 1);
	tlv_str(&b, 3, "root");
	tlv_str(&b, 4, "user.edit");
	tlv_str(&b, 5, "alice");
	tlv(&b, 100, c.p, c.len);
	assert_int_equal(decode_guarded(dec_event, b.p, b.len), -EBADMSG);
	buf_free(&b);
	buf_free(&c);

	/* an empty change, and one that stops before its "new" string */
	rec_header(&b, 'E', 1);
	tlv_str(&b, 3, "root");
	tlv_str(&b, 4, "user.edit");
	tlv_str(&b, 5, "alice");
	tlv(&b, 100, "", 0);
	assert_int_equal(decode_guarded(dec_event, b.p, b.len), -EBADMSG);
	buf_free(&b);

	buf_put(&c, &flags, 1);
	put_le(&c, 5, 4);
	buf_put(&c, "email", 5);
	put_le(&c, 1, 4);
	buf_put(&c, "a", 1);
	rec_header(&b, 'E', 1);
	tlv_str(&b, 3, "root");
	tlv_str(&b, 4, "user.edit");
	tlv_str(&b, 5, "alice");
	tlv(&b, 100, c.p, c.len);
	assert_int_equal(decode_guarded(dec_event, b.p, b.len), -EBADMSG);
	/* completing it makes it valid: the refusal above was the truncation */
	buf_free(&b);
	put_le(&c, 1, 4);
	buf_put(&c, "b", 1);
	rec_header(&b, 'E', 1);
	tlv_str(&b, 3, "root");
	tlv_str(&b, 4, "user.edit");
	tlv_str(&b, 5, "alice");
	tlv(&b, 100, c.p, c.len);
	assert_int_equal(decode_guarded(dec_event, b.p, b.len), 0);
	buf_free(&b);
	buf_free(&c);
}

/* A user record with name, uuid and one extra string field. */
static void user_with(struct buf *b, uint16_t tag, const void *p, size_t n)
{
	rec_header(b, 'U', 1);
	if (tag != 1)
		tlv_str(b, 1, "alice");
	tlv_str(b, 4, UUID1);
	tlv(b, tag, p, n);
}

static void test_embedded_nul_refused(void **state)
{
	static const uint16_t user_str_tags[] = { 1, 5, 6, 7, 8, 9, 10, 12, 17, 18, 19, 24, 25 };
	struct buf b = { 0 }, c = { 0 };
	unsigned char flags = 6;

	(void)state;
	for (size_t i = 0; i < sizeof(user_str_tags) / sizeof(user_str_tags[0]); i++) {
		user_with(&b, user_str_tags[i], "al\0ce", 5);
		if (decode_guarded(dec_user, b.p, b.len) != -EBADMSG)
			fail_msg("user tag %u with an embedded NUL accepted", user_str_tags[i]);
		buf_free(&b);
		user_with(&b, user_str_tags[i], "alyce", 5);
		assert_int_equal(decode_guarded(dec_user, b.p, b.len), 0);
		buf_free(&b);
	}

	rec_header(&b, 'G', 1);
	tlv_str(&b, 1, "devs");
	tlv(&b, 3, "line\0two", 8);
	assert_int_equal(decode_guarded(dec_role, b.p, b.len), -EBADMSG);
	buf_free(&b);
	rec_header(&b, 'G', 1);
	tlv_str(&b, 1, "devs");
	tlv(&b, 4, "ss\0hd", 5);
	assert_int_equal(decode_guarded(dec_role, b.p, b.len), -EBADMSG);
	buf_free(&b);

	rec_header(&b, 'L', 1);
	tlv_str(&b, 1, "alice");
	tlv(&b, 1, "b\0b", 3);
	assert_int_equal(decode_guarded(dec_strv, b.p, b.len), -EBADMSG);
	buf_free(&b);

	rec_header(&b, 'E', 1);
	tlv(&b, 3, "ro\0t", 4);
	tlv_str(&b, 4, "user.edit");
	tlv_str(&b, 5, "alice");
	assert_int_equal(decode_guarded(dec_event, b.p, b.len), -EBADMSG);
	buf_free(&b);

	/* inside a change: the new value */
	buf_put(&c, &flags, 1);
	put_le(&c, 5, 4);
	buf_put(&c, "email", 5);
	put_le(&c, 1, 4);
	buf_put(&c, "a", 1);
	put_le(&c, 3, 4);
	buf_put(&c, "b\0c", 3);
	rec_header(&b, 'E', 1);
	tlv_str(&b, 3, "root");
	tlv_str(&b, 4, "user.edit");
	tlv_str(&b, 5, "alice");
	tlv(&b, 100, c.p, c.len);
	assert_int_equal(decode_guarded(dec_event, b.p, b.len), -EBADMSG);
	buf_free(&b);
	buf_free(&c);
}

/* The uuid is a string too: with a NUL inside, the decoded user would be
 * re-encoded with a shorter uuid that no decoder accepts any more. */
static void test_uuid_with_embedded_nul_refused(void **state)
{
	char bad[ROSTER_UUID_LEN];
	struct buf b = { 0 };

	(void)state;
	memcpy(bad, UUID1, sizeof(bad));
	bad[8] = '\0';
	rec_header(&b, 'U', 1);
	tlv_str(&b, 1, "alice");
	tlv(&b, 4, bad, sizeof(bad));
	assert_int_equal(decode_guarded(dec_user, b.p, b.len), -EBADMSG);
	buf_free(&b);
}

static void test_malformed_fields_refused(void **state)
{
	struct buf b = { 0 };
	unsigned char two = 2;

	(void)state;
#define EXPECT_BAD(build)                                                          \
	do {                                                                       \
		rec_header(&b, 'U', 1);                                            \
		build;                                                             \
		assert_int_equal(decode_guarded(dec_user, b.p, b.len), -EBADMSG);  \
		buf_free(&b);                                                      \
	} while (0)
	/* missing required fields */
	EXPECT_BAD(tlv_str(&b, 4, UUID1));
	EXPECT_BAD(tlv_str(&b, 1, "alice"));
	/* a string field given twice */
	EXPECT_BAD((tlv_str(&b, 1, "alice"), tlv_str(&b, 4, UUID1), tlv_str(&b, 5, "a@b.c"),
		    tlv_str(&b, 5, "x@y.z")));
	/* fixed-size fields with the wrong size */
	EXPECT_BAD((tlv_str(&b, 1, "alice"), tlv_str(&b, 4, UUID1), tlv(&b, 2, "abc", 3)));
	EXPECT_BAD((tlv_str(&b, 1, "alice"), tlv_str(&b, 4, UUID1), tlv(&b, 14, "abcd", 4)));
	EXPECT_BAD((tlv_str(&b, 1, "alice"), tlv(&b, 4, UUID1, sizeof(UUID1) - 2)));
	EXPECT_BAD((tlv_str(&b, 1, "alice"), tlv_str(&b, 4, UUID1), tlv(&b, 13, "\1\0", 2)));
	/* values outside their domain */
	EXPECT_BAD((tlv_str(&b, 1, "alice"), tlv_str(&b, 4, UUID1), tlv(&b, 13, &two, 1)));
	EXPECT_BAD((tlv_str(&b, 1, "alice"), tlv_str(&b, 4, UUID1), tlv_u32(&b, 11, 4)));
	/* a field header cut short */
	EXPECT_BAD((tlv_str(&b, 1, "alice"), tlv_str(&b, 4, UUID1), buf_put(&b, "\5\0\0", 3)));
#undef EXPECT_BAD
	/* the controls: the same shapes, well-formed, are accepted */
	rec_header(&b, 'U', 1);
	tlv_str(&b, 1, "alice");
	tlv_str(&b, 4, UUID1);
	tlv_u32(&b, 11, ROSTER_DELETED);
	tlv(&b, 13, "\1", 1);
	assert_int_equal(decode_guarded(dec_user, b.p, b.len), 0);
	buf_free(&b);

	rec_header(&b, 'E', 1);
	tlv_str(&b, 3, "root");
	tlv_str(&b, 4, "user.edit");
	tlv_str(&b, 5, "alice");
	tlv(&b, 6, "short hash", 10);
	assert_int_equal(decode_guarded(dec_event, b.p, b.len), -EBADMSG);
	buf_free(&b);
}

static void test_oversized_field_not_encoded(void **state)
{
	struct roster_role ro = { 0 };
	struct buf b = { 0 };
	size_t n = (1u << 20) + 1;
	char *big = malloc(n + 1);

	(void)state;
	assert_non_null(big);
	memset(big, 'x', n);
	big[n] = '\0';
	ro.name = (char *)"devs";
	ro.description = big;
	assert_int_equal(codec_role_encode(&ro, &b), -E2BIG);
	buf_free(&b);
	big[n - 1] = '\0'; /* exactly 1 MiB is allowed */
	assert_int_equal(codec_role_encode(&ro, &b), 0);
	buf_free(&b);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_round_trip_all_fields),
		cmocka_unit_test(test_user_round_trip_optional_null),
		cmocka_unit_test(test_role_round_trip),
		cmocka_unit_test(test_event_round_trip),
		cmocka_unit_test(test_strv_round_trip),
		cmocka_unit_test(test_strv_decode_sorts_and_dedups),
		cmocka_unit_test(test_strv_splice),
		cmocka_unit_test(test_strv_merge),
		cmocka_unit_test(test_strv_in_place_needs_canonical),
		cmocka_unit_test(test_user_unknown_tags_preserved),
		cmocka_unit_test(test_user_unknown_tag_between_known_fields),
		cmocka_unit_test(test_role_unknown_tags_preserved),
		cmocka_unit_test(test_event_and_strv_skip_unknown_tags),
		cmocka_unit_test(test_newer_version_refused),
		cmocka_unit_test(test_wrong_record_type_refused),
		cmocka_unit_test(test_truncated_at_every_length),
		cmocka_unit_test(test_stored_length_beyond_buffer_refused),
		cmocka_unit_test(test_event_change_lengths_checked),
		cmocka_unit_test(test_embedded_nul_refused),
		cmocka_unit_test(test_uuid_with_embedded_nul_refused),
		cmocka_unit_test(test_malformed_fields_refused),
		cmocka_unit_test(test_oversized_field_not_encoded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
