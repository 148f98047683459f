/* output.c - aligned tables for people, JSON (jansson) for programs. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct table {
	int ncols;
	size_t nrows, cap;
	char **cells; /* nrows * ncols, row 0 is the header */
};

static int utf8_width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80; /* count code points */
	return w;
}

static void table_push(struct table *t, va_list ap)
{
	if (!t)
		return;
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, cap * (size_t)t->ncols * sizeof(char *));

		if (!c)
			abort();
		t->cells = c;
		t->cap = cap;
	}
	for (int i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);

		t->cells[t->nrows * (size_t)t->ncols + (size_t)i] = strdup(s ? s : "-");
	}
	t->nrows++;
}

struct table *table_new(int ncols, ...)
{
	struct table *t = calloc(1, sizeof(*t));
	va_list ap;

	if (!t)
		abort();
	t->ncols = ncols;
	va_start(ap, ncols);
	table_push(t, ap);
	va_end(ap);
	return t;
}

void table_row(struct table *t, ...)
{
	va_list ap;

	va_start(ap, t);
	table_push(t, ap);
	va_end(ap);
}

void table_widths(int *w, int ncols, const char *const *cells)
{
	for (int c = 0; c < ncols; c++) {
		int n = utf8_width(cells[c] ? cells[c] : "-");

		if (n > w[c])
			w[c] = n;
	}
}

void table_line(const int *w, int ncols, const char *const *cells, FILE *f)
{
	for (int c = 0; c < ncols; c++) {
		const char *s = cells[c] ? cells[c] : "-";

		fputs(s, f);
		if (c + 1 < ncols)
			fprintf(f, "%*s", w[c] - utf8_width(s) + 2, "");
		else
			fputc('\n', f);
	}
}

void table_print(struct table *t, FILE *f)
{
	int *w = calloc((size_t)t->ncols, sizeof(int));

	for (size_t r = 0; r < t->nrows; r++)
		table_widths(w, t->ncols, (const char *const *)&t->cells[r * (size_t)t->ncols]);
	for (size_t r = 0; r < t->nrows; r++)
		table_line(w, t->ncols, (const char *const *)&t->cells[r * (size_t)t->ncols], f);
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
	free(w);
}

void json_print(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(j);
}

json_t *json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *json_time(int64_t t)
{
	char buf[21];

	if (t == 0)
		return json_null();
	roster_format_time(t, buf);
	return json_string(buf);
}

json_t *json_date(int64_t days)
{
	char buf[11];

	if (days == ROSTER_NO_DATE)
		return json_null();
	roster_format_date(days, buf);
	return json_string(buf);
}

json_t *json_strv(char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

void print_field(const char *label, const char *value)
{
	printf("%-22s %s\n", label, value && *value ? value : "-");
}
