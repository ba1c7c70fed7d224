/* jansson's json_loadb() with our lexer patch (mk/patches/jansson-2.14-load-plain-runs.patch)
 * against the byte-wise path it bypasses: json_loads() reads through the same lexer one byte
 * per call, so for any input without a NUL byte both must give the same value, or the same
 * error at the same line, column and byte position. */
#include "testutil.h"

#include <dirent.h>
#include <jansson.h>

/* Whether json_loadb(text) and json_loads(text) agree; says where they do not. */
static bool same_as_bytewise(const char *text, size_t flags)
{
	json_error_t eb, es;
	json_t *b = json_loadb(text, strlen(text), flags, &eb);
	json_t *s = json_loads(text, flags, &es);
	bool same;

	if (b && s)
		same = json_equal(b, s);
	else
		same = !b && !s && eb.line == es.line && eb.column == es.column &&
		       eb.position == es.position && strcmp(eb.text, es.text) == 0;
	if (!same)
		print_message("differ on <%s>: loadb %s (%d:%d@%d %s), loads %s (%d:%d@%d %s)\n",
			      text, b ? "ok" : "error", eb.line, eb.column, eb.position, eb.text,
			      s ? "ok" : "error", es.line, es.column, es.position, es.text);
	json_decref(b);
	json_decref(s);
	return same;
}

/* Chinese and ASCII text, escapes, and the errors a run can end on. */
static void plain_runs(void **state)
{
	static const char *const CASES[] = {
		"{\"type\":\"send\",\"room\":\"studio:1\",\"text\":\"混合式教学的课程思政设计\"}",
		"[\"abc\\\"def\\\\ghi\\u00e9\\ud83d\\ude00 end\"]",
		"[\"教学\\n名师\\t工作室\"]",
		"[\"emoji 😀 and 𠀀 (four bytes)\"]",
		"[\"run then a newline\nafter\"]",
		"[\"run then a tab\tafter\"]",
		"[\"\xe6\x95\x99\xe5\xad\"]", /* a sequence cut short by the quote */
		"[\"abc\xff\"]",	      /* an invalid byte after a run */
		"[\"abc\xc0\xaf\"]",	      /* an overlong form */
		"[\"abc\xed\xa0\x80\"]",      /* a UTF-16 surrogate in UTF-8 */
		"[\"abc\x80 def\"]",	      /* a lone continuation byte */
		"[\"unterminated run",	      /* the end of the input inside a run */
		"[\"unterminated \xe6\x95",   /* ... inside a sequence */
		"{\"a\":\"x\",\"a\":\"y\"}",  /* duplicate keys (with JSON_REJECT_DUPLICATES) */
		"{\"key with 中文\":\"\",\"\":\"empty key\"}",
		"[\"a\\u0000b\"]", /* NUL by escape: refused without JSON_ALLOW_NUL */
		"\n\n  [\"third line\", \"bad \\q escape\"]",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
		assert_true(same_as_bytewise(CASES[i], 0));
		assert_true(same_as_bytewise(CASES[i], JSON_REJECT_DUPLICATES));
	}
}

/* Random strings of pieces that start, end and break runs: 50 000 of them, one seed. */
static void random_inputs(void **state)
{
	static const char *const PIECES[] = {
		"a",
		"Z",
		" ",
		"\"",
		"\\",
		"\\\"",
		"\\n",
		"\\u4e2d",
		"\\ud83d",
		"\\ude00",
		"\\x",
		"教",
		"😀",
		"\xe6",
		"\x95",
		"\xff",
		"\xc3\xa9",
		"\t",
		"\n",
		":",
		",",
		"{",
		"}",
		"[",
		"]",
		"1",
		"null",
		"\xf0\x9f",
		"\xed\xa0\x80",
	};
	const size_t npieces = sizeof(PIECES) / sizeof(PIECES[0]);
	char text[512];
	unsigned seed = 20261128;

	(void)state;
	for (int n = 0; n < 50000; n++) {
		size_t len = 0;
		int k = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 24;

		len += (size_t)snprintf(text, sizeof(text), "%s", n % 2 ? "[\"" : "{\"k\":\"");
		for (int i = 0; i < k; i++) {
			const char *p =
				PIECES[((seed = seed * 1103515245u + 12345u) >> 16) % npieces];

			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s", p);
		}
		snprintf(text + len, sizeof(text) - len, "%s", n % 2 ? "\"]" : "\"}");
		assert_true(same_as_bytewise(text, n % 3 ? 0 : JSON_REJECT_DUPLICATES));
	}
}

/* jansson's own suites (valid, invalid and invalid-unicode inputs), as unpacked by make deps. */
static void jansson_suites(void **state)
{
	static const char *const SUITES[] = { ".deps/jansson-2.14/test/suites/valid",
					      ".deps/jansson-2.14/test/suites/invalid",
					      ".deps/jansson-2.14/test/suites/invalid-unicode" };
	int inputs = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(SUITES) / sizeof(SUITES[0]); i++) {
		DIR *d = opendir(SUITES[i]);
		struct dirent *ent;

		assert_non_null(d);
		while ((ent = readdir(d))) {
			char path[512], text[8192];
			size_t n;
			FILE *f;

			if (ent->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/input", SUITES[i], ent->d_name);
			if (!(f = fopen(path, "rb")))
				continue;
			n = fread(text, 1, sizeof(text) - 1, f);
			fclose(f);
			text[n] = '\0';
			if (strlen(text) != n)
				continue; /* a NUL byte: json_loads would stop at it */
			assert_true(same_as_bytewise(text, 0));
			inputs++;
		}
		closedir(d);
	}
	assert_int_equal(inputs, 100); /* 105 in 2.14, five of them with a NUL byte */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("json-load-1.1 runs of plain characters parse as byte by byte", plain_runs),
		TEST("json-load-1.2 50 000 random inputs: the same values and errors",
		     random_inputs),
		TEST("json-load-1.3 jansson's own suites: the same values and errors",
		     jansson_suites),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
