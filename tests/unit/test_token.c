/* auth/token: session tokens, the session cookie and CSRF comparison (DESIGN §6, §8). */
#include "testutil.h"

#include "auth/token.h"
#include "core/crypto.h"

static void new_tokens(void **state)
{
	char a[TOKEN_B64_MAX], b[TOKEN_B64_MAX];
	uint8_t ha[32], hb[32], again[32];

	(void)state;
	assert_int_equal(token_new_session(a, ha), 0);
	assert_int_equal(token_new_session(b, hb), 0);
	assert_int_equal(strlen(a), 43); /* 32 bytes, base64url without padding */
	assert_string_not_equal(a, b);
	for (const char *p = a; *p; p++)
		assert_non_null(strchr(
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
	token_hash(a, again);
	assert_memory_equal(ha, again, 32);
	assert_memory_not_equal(ha, hb, 32);
}

static void cookie_parse(void **state)
{
	const char *tok = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	char hdr[256], out[TOKEN_B64_MAX];

	(void)state;
	snprintf(hdr, sizeof(hdr), "__Host-mingshi_session=%s", tok);
	assert_int_equal(token_from_cookie(hdr, out), 0);
	assert_string_equal(out, tok);
	snprintf(hdr, sizeof(hdr), "theme=dark; __Host-mingshi_session=%s; lang=zh", tok);
	assert_int_equal(token_from_cookie(hdr, out), 0);
	assert_string_equal(out, tok);
	/* a look-alike name, a short value, a value with a bad character, nothing */
	snprintf(hdr, sizeof(hdr), "x__Host-mingshi_session=%s", tok);
	assert_int_equal(token_from_cookie(hdr, out), -1);
	assert_int_equal(token_from_cookie("__Host-mingshi_session=abc", out), -1);
	snprintf(hdr, sizeof(hdr), "__Host-mingshi_session=%.42s!", tok);
	assert_int_equal(token_from_cookie(hdr, out), -1);
	assert_int_equal(token_from_cookie("", out), -1);
	assert_int_equal(token_from_cookie(NULL, out), -1);
}

static void cookie_value(void **state)
{
	char v[256];

	(void)state;
	token_cookie_value("TOKEN", v, sizeof(v));
	assert_string_equal(v, "__Host-mingshi_session=TOKEN; Path=/; Max-Age=604800; Secure; "
			       "HttpOnly; SameSite=Strict");
	assert_null(strstr(v, "Domain"));
	token_cookie_value(NULL, v, sizeof(v));
	assert_non_null(strstr(v, "__Host-mingshi_session=; Path=/; Max-Age=0;"));
}

static void csrf_compare(void **state)
{
	char t[TOKEN_B64_MAX];

	(void)state;
	assert_int_equal(token_new_csrf(t), 0);
	assert_int_equal(strlen(t), 32);
	assert_true(token_csrf_ok(t, t));
	assert_false(token_csrf_ok(NULL, t));
	assert_false(token_csrf_ok("", t));
	assert_false(token_csrf_ok("short", t));
	t[5] ^= 1;
	{
		char u[TOKEN_B64_MAX];

		memcpy(u, t, sizeof(u));
		t[5] ^= 1;
		assert_false(token_csrf_ok(u, t));
	}
	assert_false(token_csrf_ok("anything", "")); /* a session without a token accepts none */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("token-1.1 session tokens are 43 base64url chars, unique, hashed", new_tokens),
		TEST("token-1.2 the session cookie is found among others, exactly", cookie_parse),
		TEST("token-1.3 cookie attributes: __Host-, Secure, HttpOnly, Strict",
		     cookie_value),
		TEST("token-1.4 CSRF tokens compare whole and exact", csrf_compare),
	};
	return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
