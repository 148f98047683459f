/* jsonfloor - what jansson alone takes to parse an import file.
 *
 *   jsonfloor FILE
 *
 * Parses each line of FILE (JSON lines, as `roster db import` reads them:
 * blank lines skipped, duplicate keys refused) with json_loadb and frees
 * it: no field is looked at, nothing is checked
 * or kept.  The floor under an import that parses with jansson, one thread.
 * It prints one line: lines, seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	unsigned long lines = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: jsonfloor FILE\n");
		return 2;
	}
	f = fopen(argv[1], "re");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((n = getline(&line, &cap, f)) > 0) {
		json_error_t e;
		json_t *j;

		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		if (n == 0)
			continue;
		j = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &e);

		if (!j) {
			fprintf(stderr, "jsonfloor: line %lu: %s\n", lines + 1, e.text);
			return 1;
		}
		json_decref(j);
		lines++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ferror(f)) {
		perror(argv[1]);
		return 1;
	}
	printf("%lu %.2f\n", lines, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(line);
	fclose(f);
	return 0;
}
