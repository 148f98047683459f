/* dumprecords.c - the seed corpus of fuzz_record: every user, role, event,
 * API password and member list of a real accounts.tdb, each written to
 * OUTDIR as one fuzz_record input (the byte that picks the decoder, then
 * the record as the encoder stored it).  Run by mkcorpus.sh.
 *
 *   dumprecords ACCOUNTS.TDB OUTDIR
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <tdb.h>

/* Key prefixes, in the order of fuzz_record's selector byte. */
static const char *const prefixes[] = { "user/", "role/", "ev/", "api/", "members/" };

static int dump(struct tdb_context *tdb, TDB_DATA key, TDB_DATA val, void *priv)
{
	const char *outdir = priv;
	char name[256], path[4096];
	unsigned char sel;
	FILE *f;

	(void)tdb;
	for (sel = 0; sel < sizeof(prefixes) / sizeof(prefixes[0]); sel++) {
		size_t n = strlen(prefixes[sel]);

		if (key.dsize > n && key.dsize < sizeof(name) && memcmp(key.dptr, prefixes[sel], n) == 0)
			break;
	}
	if (sel == sizeof(prefixes) / sizeof(prefixes[0]))
		return 0; /* an index or a counter: not a record */
	memcpy(name, key.dptr, key.dsize);
	name[key.dsize] = '\0';
	for (char *p = name; *p; p++)
		if (*p == '/' || *p == '.' || (unsigned char)*p < 0x20)
			*p = '-';
	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	f = fopen(path, "we");
	if (!f || fwrite(&sel, 1, 1, f) != 1 || fwrite(val.dptr, 1, val.dsize, f) != val.dsize) {
		perror(path);
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct tdb_context *tdb;
	int n;

	if (argc != 3) {
		fprintf(stderr, "usage: %s ACCOUNTS.TDB OUTDIR\n", argv[0]);
		return 2;
	}
	tdb = tdb_open(argv[1], 0, TDB_DEFAULT, O_RDONLY, 0);
	if (!tdb) {
		perror(argv[1]);
		return 1;
	}
	n = tdb_traverse_read(tdb, dump, argv[2]);
	tdb_close(tdb);
	return n < 0 ? 1 : 0;
}
