/* CSV as the department keeps it in spreadsheets (UTF-8, with or without a byte-order mark,
 * RFC 4180 quoting: commas, quotes and newlines inside quoted fields), parsed by libcsv. */
#ifndef MINGSHI_CORE_CSV_H
#define MINGSHI_CORE_CSV_H

#include <stddef.h>

#include "core/err.h"

#define CSV_MAX_ROWS 5000
#define CSV_MAX_COLS 64

struct csv_row {
	size_t line; /* the row number a spreadsheet shows: blank rows count, the header is 1 */
	size_t n;
	char **cells; /* NUL-terminated UTF-8, trimmed of surrounding spaces */
};

struct csv_table {
	size_t nrows; /* including the header row */
	struct csv_row *rows;
};

/* Parses data into *t (empty lines skipped). ERR_INVALID with a message naming the line for
 * malformed quoting, invalid UTF-8, more than CSV_MAX_ROWS rows or CSV_MAX_COLS columns; the
 * field is "csv". Free with csv_table_free() in every case. */
enum err csv_read(const char *data, size_t len, struct csv_table *t, struct error *e);

void csv_table_free(struct csv_table *t);

/* Index of the header cell equal to name (case-insensitive), or -1. */
int csv_column(const struct csv_table *t, const char *name);

/* Cell c of row r, or "" when the row is short. */
const char *csv_cell(const struct csv_table *t, size_t r, int c);

#endif
