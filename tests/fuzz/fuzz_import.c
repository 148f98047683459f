/* fuzz_import.c - libFuzzer target: the parsers of roster db import
 * (lib/transfer.c: JSON Lines over jansson, CSV over libcsv).
 *
 * The first byte picks the format; the rest is the file, read through
 * roster_import_parse() as the CLI reads one (a FILE, line by line).  Each
 * rejection must come with a line inside the input and a reason; the
 * number of rejections can never exceed the number of records.  Anything
 * else (a crash, a leak, undefined behaviour) is a finding.
 */
#include "roster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	unsigned long lines, rejected;
};

static void rejected(unsigned long line, const char *reason, void *priv)
{
	struct seen *s = priv;

	if (line == 0 || line > s->lines + 1 || !reason || !*reason)
		abort();
	s->rejected++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { 1, 0 };
	unsigned long records = 0;
	FILE *f;

	if (size < 1)
		return 0;
	for (size_t i = 1; i < size; i++)
		s.lines += data[i] == '\n';
	f = fmemopen((void *)(data + 1), size - 1, "r");
	if (!f)
		return 0;
	if (roster_import_parse(f, data[0] & 1 ? ROSTER_FORMAT_CSV : ROSTER_FORMAT_JSON, rejected, &s,
				&records) == 0 &&
	    s.rejected > records)
		abort();
	fclose(f);
	return 0;
}
