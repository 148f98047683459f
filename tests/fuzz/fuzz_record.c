/* fuzz_record.c - libFuzzer target: the record decoders of accounts.tdb
 * (lib/codec.c).
 *
 * The first byte picks the decoder (modulo 5: user, role, event, API
 * password, string list); the rest is the record.  A record that decodes
 * must survive a round trip: encoded, it decodes again to an equal value,
 * and that value encodes to the same bytes.  A string list is also read
 * and changed in place (codec_strv_each, _splice, _merge), which must agree
 * with decoding it: the same elements, and after a change exactly the bytes
 * codec_strv_encode writes for the changed list.  Anything else aborts, so
 * the target finds wrong answers as well as crashes.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { REC_USER, REC_ROLE, REC_EVENT, REC_API, REC_STRV, REC_KINDS };

static const char *const kind_name[REC_KINDS] = { "user", "role", "event", "api", "strv" };

static void fail(unsigned kind, const char *what)
{
	fprintf(stderr, "fuzz_record: %s record: %s\n", kind_name[kind], what);
	abort();
}

static bool same_strv(char *const *a, char *const *b)
{
	size_t i;

	for (i = 0; a && b && a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return (!a || !a[i]) && (!b || !b[i]);
}

static bool same_bytes(const void *a, size_t an, const void *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* Each returns the name of the first field that differs, or NULL. */
#define STR(f) if (!str_eq(a->f, b->f)) return #f
#define VAL(f) if (a->f != b->f) return #f
#define STRV(f) if (!same_strv(a->f, b->f)) return #f
#define UNKNOWN() if (!same_bytes(a->unknown, a->unknown_len, b->unknown, b->unknown_len)) return "unknown"

static const char *user_diff(const struct roster_user *a, const struct roster_user *b)
{
	STR(name); VAL(uid); VAL(gid); STR(email); STR(first); STR(last); STR(supervisor);
	STR(shell); STR(home); VAL(status); STRV(roles); VAL(must_change); VAL(expires);
	VAL(created); VAL(updated); STR(created_by); STR(updated_by); STR(pwhash);
	VAL(fail_count); VAL(fail_first); VAL(locked_until); VAL(last_login);
	STR(last_service); STR(last_host); STR(invite_hash); VAL(invite_sent);
	VAL(invite_expires); STR(invited_by); VAL(api_enabled); STRV(api_labels); UNKNOWN();
	if (strcmp(a->uuid, b->uuid) != 0)
		return "uuid";
	return NULL;
}

static const char *role_diff(const struct roster_role *a, const struct roster_role *b)
{
	STR(name); VAL(gid); STR(description); STRV(services); VAL(created); VAL(updated);
	STR(created_by); STR(updated_by); UNKNOWN();
	return NULL;
}

static const char *api_diff(const struct roster_api *a, const struct roster_api *b)
{
	STR(label); STR(hash); STRV(services); VAL(created); VAL(expires); VAL(last_used);
	STR(last_service); STR(created_by); UNKNOWN();
	return NULL;
}

static const char *event_diff(const struct roster_event *a, const struct roster_event *b)
{
	VAL(seq); VAL(time); STR(actor); STR(action); STR(subject); VAL(nchanges);
	if (memcmp(a->prev_hash, b->prev_hash, sizeof(a->prev_hash)) != 0)
		return "prev_hash";
	for (size_t i = 0; i < a->nchanges; i++) {
		const struct roster_change *x = &a->changes[i], *y = &b->changes[i];

		if (!str_eq(x->field, y->field) || !str_eq(x->old_value, y->old_value) ||
		    !str_eq(x->new_value, y->new_value) || x->secret != y->secret)
			return "changes";
	}
	return NULL;
}

#undef STR
#undef VAL
#undef STRV
#undef UNKNOWN

/* One decoder behind one interface: decode into *obj, encode it, compare
 * two decoded values, free one. */
static int decode(unsigned kind, const void *p, size_t n, void **obj)
{
	switch (kind) {
	case REC_USER: return codec_user_decode(p, n, (struct roster_user **)obj);
	case REC_ROLE: return codec_role_decode(p, n, (struct roster_role **)obj);
	case REC_EVENT: return codec_event_decode(p, n, (struct roster_event **)obj);
	case REC_API: return codec_api_decode(p, n, (struct roster_api **)obj);
	default: return codec_strv_decode(p, n, (char ***)obj);
	}
}

static int encode(unsigned kind, const void *obj, struct buf *out)
{
	switch (kind) {
	case REC_USER: return codec_user_encode(obj, out);
	case REC_ROLE: return codec_role_encode(obj, out);
	case REC_EVENT: return codec_event_encode(obj, out);
	case REC_API: return codec_api_encode(obj, out);
	default: return codec_strv_encode(obj, out);
	}
}

static const char *diff(unsigned kind, const void *a, const void *b)
{
	switch (kind) {
	case REC_USER: return user_diff(a, b);
	case REC_ROLE: return role_diff(a, b);
	case REC_EVENT: return event_diff(a, b);
	case REC_API: return api_diff(a, b);
	default: return same_strv(a, b) ? NULL : "list";
	}
}

static void release(unsigned kind, void *obj)
{
	switch (kind) {
	case REC_USER: roster_user_free(obj); break;
	case REC_ROLE: roster_role_free(obj); break;
	case REC_EVENT: roster_event_free(obj); break;
	case REC_API: roster_api_free(obj); break;
	default: roster_strv_free(obj); break;
	}
}

/* ---- lists in place against the decoder ---- */

struct elems {
	char *const *want;
	size_t i;
	bool bad;
};

static int next_elem(const char *s, size_t len, void *priv)
{
	struct elems *e = priv;
	const char *w = e->want ? e->want[e->i] : NULL;

	if (!w || strlen(w) != len || memcmp(w, s, len) != 0)
		e->bad = true;
	e->i++;
	return 0;
}

/* out must be exactly the canonical encoding of the decoded list want. */
static void expect_canonical(const struct buf *out, char *const *want, const char *what)
{
	struct buf enc = { 0 };

	if (codec_strv_encode(want, &enc) < 0 || !same_bytes(out->p, out->len, enc.p, enc.len))
		fail(REC_STRV, what);
	buf_free(&enc);
}

/* The list data, which decoded (decoded) to list (NULL: empty). */
static void check_in_place(const void *data, size_t n, bool decoded, char **list)
{
	struct elems e = { list, 0, false };
	struct buf out = { 0 };
	char **want = NULL;
	const char *probe = list && list[0] ? list[0] : "fuzz";
	bool nonempty = list && list[0];
	char *batch[] = { (char *)"fuzz" };
	size_t count;
	bool changed;
	int r = codec_strv_each(data, n, &count, next_elem, &e);

	if (!decoded) { /* what the decoder refuses is never read in place */
		if (r >= 0 || codec_strv_splice(data, n, "x", true, &out, &changed) >= 0)
			fail(REC_STRV, "an undecodable list was read in place");
		buf_free(&out);
		return;
	}
	if (r == -EAGAIN) { /* not canonical: every in-place operation declines */
		if (codec_strv_splice(data, n, probe, true, &out, &changed) != -EAGAIN ||
		    (buf_free(&out), codec_strv_merge(data, n, batch, 1, &out)) != -EAGAIN)
			fail(REC_STRV, "a list codec_strv_each declined was changed in place");
		buf_free(&out);
		return;
	}
	if (r < 0 || e.bad || count != roster_strv_len(list) || e.i != count)
		fail(REC_STRV, "codec_strv_each disagrees with the decoder");
	/* remove the first element (or add one), then add "fuzz" by merging */
	want = strv_copy(list);
	if (nonempty)
		strv_remove(want, probe);
	else if (strv_add(&want, probe) < 0)
		abort();
	r = codec_strv_splice(data, n, probe, !nonempty, &out, &changed);
	if (r < 0 || (size_t)r != roster_strv_len(want) || !changed)
		fail(REC_STRV, "codec_strv_splice gave the wrong count");
	expect_canonical(&out, want, "codec_strv_splice is not the changed list");
	buf_free(&out);
	roster_strv_free(want);
	want = strv_copy(list);
	if (strv_add(&want, "fuzz") < 0 || codec_strv_merge(data, n, batch, 1, &out) < 0)
		fail(REC_STRV, "codec_strv_merge refused a canonical list");
	expect_canonical(&out, want, "codec_strv_merge is not the merged list");
	buf_free(&out);
	roster_strv_free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf once = { 0 }, twice = { 0 };
	void *a = NULL, *b = NULL;
	const char *d;
	unsigned kind;
	int r;

	if (size < 1)
		return 0;
	kind = data[0] % REC_KINDS;
	r = decode(kind, data + 1, size - 1, &a);
	if (kind == REC_STRV)
		check_in_place(data + 1, size - 1, r >= 0, r < 0 ? NULL : a);
	if (r < 0)
		return 0;
	/* Decoded: encoding cannot fail but for memory, and must give back
	 * a record that decodes to the same value and encodes the same. */
	if (encode(kind, a, &once) < 0)
		fail(kind, "a decoded record does not encode");
	r = decode(kind, once.p, once.len, &b);
	if (r < 0)
		fail(kind, "an encoded record does not decode");
	if ((d = diff(kind, a, b)) != NULL) {
		fprintf(stderr, "fuzz_record: field %s changed in the round trip\n", d);
		fail(kind, "the round trip is not the identity");
	}
	if (encode(kind, b, &twice) < 0)
		fail(kind, "a round-tripped record does not encode");
	if (!same_bytes(once.p, once.len, twice.p, twice.len))
		fail(kind, "encoding is not stable");
	release(kind, a);
	release(kind, b);
	buf_free(&once);
	buf_free(&twice);
	return 0;
}
