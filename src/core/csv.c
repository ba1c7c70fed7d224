/* CSV reading on libcsv; see csv.h. */
#include "core/csv.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/json.h"

struct reader {
	struct csv_table *t;
	struct csv_row cur;
	size_t cap_rows, cap_cells;
	size_t records; /* every record seen, blank ones included */
	int failed;	/* 1: out of memory, 2: too many rows or columns */
};

static char *trimmed_copy(const char *s, size_t n)
{
	char *out;

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	out = malloc(n + 1);
	if (out) {
		memcpy(out, s, n);
		out[n] = '\0';
	}
	return out;
}

static void on_field(void *s, size_t n, void *data)
{
	struct reader *r = data;
	char *cell;

	if (r->failed)
		return;
	if (r->cur.n == CSV_MAX_COLS) {
		r->failed = 2;
		return;
	}
	if (r->cur.n == r->cap_cells) {
		size_t cap = r->cap_cells ? r->cap_cells * 2 : 16;
		char **grown = realloc(r->cur.cells, cap * sizeof(*grown));

		if (!grown) {
			r->failed = 1;
			return;
		}
		r->cur.cells = grown;
		r->cap_cells = cap;
	}
	cell = trimmed_copy(s ? s : "", s ? n : 0);
	if (!cell) {
		r->failed = 1;
		return;
	}
	r->cur.cells[r->cur.n++] = cell;
}

static void free_row(struct csv_row *row)
{
	for (size_t i = 0; i < row->n; i++)
		free(row->cells[i]);
	free(row->cells);
	row->cells = NULL;
	row->n = 0;
}

/* A row of only empty cells is a blank spreadsheet line: skip it. */
static int blank(const struct csv_row *row)
{
	for (size_t i = 0; i < row->n; i++) {
		if (row->cells[i][0])
			return 0;
	}
	return 1;
}

static void on_row(int c, void *data)
{
	struct reader *r = data;
	struct csv_table *t = r->t;

	(void)c;
	r->records++;
	if (r->failed || blank(&r->cur)) {
		free_row(&r->cur);
		r->cap_cells = 0;
		return;
	}
	if (t->nrows == CSV_MAX_ROWS + 1) {
		r->failed = 2;
		free_row(&r->cur);
		r->cap_cells = 0;
		return;
	}
	if (t->nrows == r->cap_rows) {
		size_t cap = r->cap_rows ? r->cap_rows * 2 : 64;
		struct csv_row *grown = realloc(t->rows, cap * sizeof(*grown));

		if (!grown) {
			r->failed = 1;
			free_row(&r->cur);
			return;
		}
		t->rows = grown;
		r->cap_rows = cap;
	}
	r->cur.line = r->records;
	t->rows[t->nrows++] = r->cur;
	r->cur.cells = NULL;
	r->cur.n = 0;
	r->cap_cells = 0;
}

enum err csv_read(const char *data, size_t len, struct csv_table *t, struct error *e)
{
	struct reader r = { .t = t };
	struct csv_parser p;
	size_t used;

	memset(t, 0, sizeof(*t));
	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
		data += 3;
		len -= 3;
	}
	if (!utf8_valid(data, len))
		return error_set(e, ERR_INVALID, "csv",
				 "the file is not UTF-8 (save it as CSV UTF-8)");
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		return error_set(e, ERR_NOMEM, "csv", NULL);
	used = csv_parse(&p, data, len, on_field, on_row, &r);
	if (used == len && csv_fini(&p, on_field, on_row, &r) == 0 && !r.failed) {
		csv_free(&p);
		free_row(&r.cur);
		if (t->nrows == 0)
			return error_set(e, ERR_INVALID, "csv", "the file is empty");
		return ERR_OK;
	}
	if (r.failed == 1)
		error_set(e, ERR_NOMEM, "csv", NULL);
	else if (r.failed == 2)
		error_set(e, ERR_INVALID, "csv", "at most %d rows of %d columns", CSV_MAX_ROWS,
			  CSV_MAX_COLS);
	else
		error_set(e, ERR_INVALID, "csv", "malformed CSV after row %zu: %s", t->nrows + 1,
			  csv_strerror(csv_error(&p)));
	csv_free(&p);
	free_row(&r.cur);
	return e->err;
}

void csv_table_free(struct csv_table *t)
{
	for (size_t i = 0; i < t->nrows; i++)
		free_row(&t->rows[i]);
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

int csv_column(const struct csv_table *t, const char *name)
{
	if (t->nrows == 0)
		return -1;
	for (size_t i = 0; i < t->rows[0].n; i++) {
		if (!strcasecmp(t->rows[0].cells[i], name))
			return (int)i;
	}
	return -1;
}

const char *csv_cell(const struct csv_table *t, size_t r, int c)
{
	if (r >= t->nrows || c < 0 || (size_t)c >= t->rows[r].n)
		return "";
	return t->rows[r].cells[c];
}
