/* core/csv: spreadsheet CSV (RFC 4180 quoting, BOM, UTF-8). */
#include "testutil.h"

#include "core/csv.h"

static void quoting(void **state)
{
	const char *data = "name,discipline,note\r\n"
			   "\"数学, 统计\",数学,\"他说\"\"好\"\"\"\r\n"
			   "\"两行\n简介\",物理,\r\n";
	struct csv_table t;
	struct error e;

	(void)state;
	assert_int_equal(csv_read(data, strlen(data), &t, &e), ERR_OK);
	assert_int_equal(t.nrows, 3);
	assert_string_equal(csv_cell(&t, 1, 0), "数学, 统计");
	assert_string_equal(csv_cell(&t, 1, 2), "他说\"好\"");
	assert_string_equal(csv_cell(&t, 2, 0), "两行\n简介");
	assert_string_equal(csv_cell(&t, 2, 2), "");
	assert_string_equal(csv_cell(&t, 2, 9), ""); /* past the row's end */
	assert_int_equal(csv_column(&t, "DISCIPLINE"), 1);
	assert_int_equal(csv_column(&t, "missing"), -1);
	csv_table_free(&t);
}

static void bom_blank_lines_spaces(void **state)
{
	const char *data = "\xEF\xBB\xBFusername , name\n\n  wang ,王晓雨\n,\n";
	struct csv_table t;
	struct error e;

	(void)state;
	assert_int_equal(csv_read(data, strlen(data), &t, &e), ERR_OK);
	assert_int_equal(t.nrows, 2); /* the blank and all-empty lines are skipped */
	assert_int_equal(csv_column(&t, "username"), 0);
	assert_string_equal(csv_cell(&t, 1, 0), "wang");
	assert_string_equal(csv_cell(&t, 1, 1), "王晓雨");
	csv_table_free(&t);
}

static void refused(void **state)
{
	struct csv_table t;
	struct error e;

	(void)state;
	assert_int_equal(csv_read("a,b\n\"open,x\n", 12, &t, &e), ERR_INVALID);
	assert_string_equal(e.field, "csv");
	csv_table_free(&t);
	assert_int_equal(csv_read("a,b\n\xb0\xa1,x\n", 9, &t, &e), ERR_INVALID); /* GBK */
	assert_non_null(strstr(e.message, "UTF-8"));
	csv_table_free(&t);
	assert_int_equal(csv_read("", 0, &t, &e), ERR_INVALID);
	csv_table_free(&t);
}

static void limits(void **state)
{
	size_t cap = (CSV_MAX_ROWS + 5) * 4, n = 0;
	char *big = malloc(cap), wide[CSV_MAX_COLS * 2 + 8];
	struct csv_table t;
	struct error e;

	(void)state;
	for (int i = 0; i < CSV_MAX_ROWS + 2; i++)
		n += (size_t)snprintf(big + n, cap - n, "x\n");
	assert_int_equal(csv_read(big, n, &t, &e), ERR_INVALID);
	csv_table_free(&t);
	n = 0;
	for (int i = 0; i <= CSV_MAX_COLS; i++)
		n += (size_t)snprintf(wide + n, sizeof(wide) - n, "a,");
	assert_int_equal(csv_read(wide, n, &t, &e), ERR_INVALID);
	csv_table_free(&t);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("csv-1.1 quoted commas, quotes and newlines", quoting),
		TEST("csv-1.2 byte-order mark, blank lines, spaces around cells",
		     bom_blank_lines_spaces),
		TEST("csv-1.3 bad quoting, non-UTF-8 and empty files are refused", refused),
		TEST("csv-1.4 row and column limits", limits),
	};
	return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
