/* history.c - the audit log: who changed what, when, from what to what.
 *
 * Events are ev/SEQ with one global sequence.  Each stores the BLAKE2b
 * hash of the previous event's encoding, and meta/ev_hash holds the hash of
 * the last one, so an edited, removed or truncated event breaks the chain
 * and roster db check names it.  hix/SUBJECT lists the sequence numbers of
 * one user's or role's events, so "user history" is not a full scan.
 *
 * MUST: secret fields (password hashes, codes) are recorded by name only.
 */
#include "internal.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void changes_add(struct changes *c, const char *field, const char *old_value, const char *new_value)
{
	struct roster_change *ch;

	if (c->err)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct roster_change *v = realloc(c->v, cap * sizeof(*v));

		if (!v) {
			c->err = -ENOMEM;
			return;
		}
		c->v = v;
		c->cap = cap;
	}
	ch = &c->v[c->n];
	memset(ch, 0, sizeof(*ch));
	ch->field = strdup(field);
	ch->old_value = xstrdup_or_null(old_value);
	ch->new_value = xstrdup_or_null(new_value);
	c->n++;
	if (!ch->field || (old_value && !ch->old_value) || (new_value && !ch->new_value))
		c->err = -ENOMEM;
}

void changes_secret(struct changes *c, const char *field)
{
	changes_add(c, field, NULL, NULL);
	if (!c->err)
		c->v[c->n - 1].secret = true;
}

void changes_free(struct changes *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].field);
		free(c->v[i].old_value);
		free(c->v[i].new_value);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

static void key_event(char out[KEY_MAX], uint64_t seq)
{
	snprintf(out, KEY_MAX, "ev/%llu", (unsigned long long)seq);
}

static void key_hix(char out[KEY_MAX], const char *subject)
{
	snprintf(out, KEY_MAX, "hix/%s", subject);
}

/* The head of the chain, read once a transaction: the last sequence number
 * and the hash of that event (none yet: 0 and zeros). */
static int ev_head(struct roster_db *db)
{
	TDB_DATA d;
	int r;

	if (db->ev.loaded)
		return 0;
	db->ev.seq = 0;
	memset(db->ev.hash, 0, sizeof(db->ev.hash));
	r = db_get_u64(db, "meta/ev_seq", &db->ev.seq);
	if (r < 0 && r != -ENOENT)
		return r;
	r = db_fetch(db, "meta/ev_hash", &d);
	if (r == 0) {
		if (d.dsize == sizeof(db->ev.hash))
			memcpy(db->ev.hash, d.dptr, sizeof(db->ev.hash));
		free(d.dptr);
	} else if (r != -ENOENT)
		return r;
	db->ev.loaded = true;
	return 0;
}

int history_flush(struct roster_db *db)
{
	int r;

	if (!db->ev.dirty)
		return 0;
	r = db_put_u64(db, "meta/ev_seq", db->ev.seq) ?:
	    db_store(db, "meta/ev_hash", db->ev.hash, sizeof(db->ev.hash));
	if (r == 0)
		db->ev.dirty = false;
	return r;
}

/* The last sequence number, this transaction's appends included (the
 * head is loaded only inside a transaction). */
static int ev_last(struct roster_db *db, uint64_t *last)
{
	if (db->ev.loaded) {
		*last = db->ev.seq;
		return db->ev.seq ? 0 : -ENOENT;
	}
	return db_get_u64(db, "meta/ev_seq", last);
}

int history_append(struct roster_db *db, const char *action, const char *subject, struct changes *c)
{
	struct roster_event e = { 0 };
	struct buf b = { 0 };
	unsigned char h[32];
	char key[KEY_MAX];
	TDB_DATA idx;
	int r;

	if (c->err)
		return c->err;
	if (!db->in_txn)
		return db_fail(db, -EINVAL, "internal error: history outside a transaction");
	r = ev_head(db);
	if (r < 0)
		return r;
	e.seq = db->ev.seq + 1;
	e.time = db->now;
	e.actor = db->actor;
	e.action = (char *)action;
	e.subject = (char *)subject;
	e.changes = c->v;
	e.nchanges = c->n;
	memcpy(e.prev_hash, db->ev.hash, sizeof(e.prev_hash));
	r = codec_event_encode(&e, &b);
	if (r < 0)
		goto out;
	crypto_generichash(h, sizeof(h), b.p, b.len, NULL, 0);
	key_event(key, e.seq);
	r = db_insert(db, key, b.p, b.len);
	if (r == -EEXIST)
		r = db_fail(db, -EBADMSG, "history event %llu is already there: the history is damaged; "
			    "run roster db check", (unsigned long long)e.seq);
	if (r < 0)
		goto out;
	db->ev.seq = e.seq;
	memcpy(db->ev.hash, h, sizeof(h));
	db->ev.dirty = true;
	/* Append the sequence number to the subject's own list. */
	key_hix(key, subject);
	r = db_fetch(db, key, &idx);
	if (r == -ENOENT) {
		idx.dptr = NULL;
		idx.dsize = 0;
		r = 0;
	}
	if (r == 0) {
		struct buf nb = { 0 };

		buf_put(&nb, idx.dptr, idx.dsize);
		buf_put(&nb, &e.seq, sizeof(e.seq));
		r = nb.err ?: db_store(db, key, nb.p, nb.len);
		buf_free(&nb);
		free(idx.dptr);
	}
out:
	buf_free(&b);
	return r;
}

static int load_event(struct roster_db *db, uint64_t seq, struct roster_event **e, TDB_DATA *raw)
{
	char key[KEY_MAX];
	TDB_DATA d;
	int r;

	key_event(key, seq);
	r = db_fetch(db, key, &d);
	if (r < 0)
		return r;
	r = codec_event_decode(d.dptr, d.dsize, e);
	if (raw && r == 0)
		*raw = d;
	else
		free(d.dptr);
	return r;
}

int roster_history_foreach(struct roster_db *db, const char *subject, roster_event_fn fn, void *priv)
{
	uint64_t last = 0, *seqs = NULL;
	size_t n = 0;
	char key[KEY_MAX];
	TDB_DATA d = { 0 };
	int r = 0;

	if (subject) {
		key_hix(key, subject);
		r = db_fetch(db, key, &d);
		if (r == -ENOENT)
			return 0;
		if (r < 0)
			return r;
		n = d.dsize / sizeof(uint64_t);
		seqs = (uint64_t *)d.dptr; /* tdb_fetch memory is malloc-aligned */
	} else if ((r = ev_last(db, &last)) < 0)
		return r == -ENOENT ? 0 : r;
	for (uint64_t i = 0; r == 0 && i < (subject ? n : last); i++) {
		struct roster_event *e = NULL;
		uint64_t seq = subject ? seqs[i] : i + 1;

		r = load_event(db, seq, &e, NULL);
		if (r < 0)
			r = db_fail(db, r, "history event %llu is %s; run roster db check",
				    (unsigned long long)seq, r == -ENOENT ? "missing" : "damaged");
		else
			r = fn(e, priv);
		roster_event_free(e);
	}
	free(d.dptr);
	return r;
}

int history_verify(struct roster_db *db, roster_problem_fn fn, void *priv, unsigned *events,
		   unsigned *problems)
{
	unsigned char h[32] = { 0 }, want[32];
	uint64_t last = 0;
	char msg[200], key[KEY_MAX];
	TDB_DATA d;
	int r;

	/* What is stored, checked outside a transaction (inside one db->ev
	 * may be ahead of it, and meta/ev_hash with it). */
	r = db_get_u64(db, "meta/ev_seq", &last);
	if (r < 0 && r != -ENOENT)
		return r;
	/* An event past the last one blocks every write (history_append
	 * will not overwrite it): a cut-off or rolled-back head. */
	key_event(key, last + 1);
	if (db_exists(db, key)) {
		snprintf(msg, sizeof(msg), "history event %llu is there, but the history ends at %llu "
			 "(meta/ev_seq): its end was cut off or rolled back, and no write can go on",
			 (unsigned long long)last + 1, (unsigned long long)last);
		fn(msg, priv);
		(*problems)++;
	}
	if (r == -ENOENT)
		return 0;
	for (uint64_t seq = 1; seq <= last; seq++) {
		struct roster_event *e = NULL;
		TDB_DATA raw = { 0 };

		r = load_event(db, seq, &e, &raw);
		if (r < 0) {
			snprintf(msg, sizeof(msg), "history event %llu is %s", (unsigned long long)seq,
				 r == -ENOENT ? "missing (deleted)" : "damaged");
			fn(msg, priv);
			(*problems)++;
			memset(h, 0, sizeof(h));
			continue;
		}
		(*events)++;
		if (e->seq != seq || sodium_memcmp(e->prev_hash, h, sizeof(h)) != 0) {
			snprintf(msg, sizeof(msg),
				 "history event %llu (%s %s by %s) does not follow from event %llu: "
				 "one of them was edited",
				 (unsigned long long)seq, e->action, e->subject, e->actor,
				 (unsigned long long)seq - 1);
			fn(msg, priv);
			(*problems)++;
		}
		crypto_generichash(h, sizeof(h), raw.dptr, raw.dsize, NULL, 0);
		free(raw.dptr);
		roster_event_free(e);
	}
	if (db_fetch(db, "meta/ev_hash", &d) == 0) {
		bool ok = d.dsize == sizeof(want) && sodium_memcmp(d.dptr, h, sizeof(h)) == 0;

		free(d.dptr);
		if (!ok) {
			snprintf(msg, sizeof(msg), "the last history event (%llu) was edited",
				 (unsigned long long)last);
			fn(msg, priv);
			(*problems)++;
		}
	}
	return 0;
}
