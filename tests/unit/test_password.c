/* auth/password: PBKDF2 hashing, verification and the password policy (DESIGN §6, §8). */
#include "testutil.h"

#include "auth/password.h"

/* Tests hash with few iterations; the format and the 600 000 of production are checked
 * separately (password-1.4) so the suite stays fast. */
#define FAST 1000

static void hash_roundtrip(void **state)
{
	char h[PASSWORD_HASH_MAX];

	(void)state;
	assert_int_equal(password_hash("correct horse", FAST, h, sizeof(h)), ERR_OK);
	assert_true(password_verify("correct horse", h));
	assert_false(password_verify("correct horsf", h));
	assert_false(password_verify("", h));
}

static void salts_differ(void **state)
{
	char a[PASSWORD_HASH_MAX], b[PASSWORD_HASH_MAX];

	(void)state;
	assert_int_equal(password_hash("same password", FAST, a, sizeof(a)), ERR_OK);
	assert_int_equal(password_hash("same password", FAST, b, sizeof(b)), ERR_OK);
	assert_string_not_equal(a, b);
}

/* The demo hashes were made by Python's hashlib.pbkdf2_hmac: an independent implementation
 * agreeing with ours is the known-answer test. */
static void python_interop(void **state)
{
	(void)state;
	assert_true(password_verify("mingshi-demo",
				    "$pbkdf2-sha256$600000$XVPo52lpfoTOLMfmGNbyyQ==$"
				    "C8D78Zf29ParjrLBAyVgeNxN5RMiSQkU/q5Xa0ZBnEw="));
	assert_false(password_verify("mingshi-dem0",
				     "$pbkdf2-sha256$600000$XVPo52lpfoTOLMfmGNbyyQ==$"
				     "C8D78Zf29ParjrLBAyVgeNxN5RMiSQkU/q5Xa0ZBnEw="));
}

static void production_format(void **state)
{
	char h[PASSWORD_HASH_MAX];

	(void)state;
	assert_int_equal(password_hash("format check", PASSWORD_ITERATIONS, h, sizeof(h)), ERR_OK);
	/* $pbkdf2-sha256$600000$<24 chars of base64 salt>$<44 chars of base64 hash> */
	assert_int_equal(strncmp(h, "$pbkdf2-sha256$600000$", 22), 0);
	assert_int_equal(strlen(h), 22 + 24 + 1 + 44);
	assert_true(password_verify("format check", h));
}

static void malformed(void **state)
{
	(void)state;
	assert_false(password_verify("x", ""));
	assert_false(password_verify("x", "$pbkdf2-sha256$"));
	assert_false(password_verify("x", "$pbkdf2-sha1$1000$c2FsdHNhbHQ=$AAAA"));
	assert_false(password_verify("x", "$pbkdf2-sha256$10$c2FsdHNhbHRzYWx0$AAAA"));
	assert_false(password_verify("x", "$pbkdf2-sha256$1000$!!!$AAAA"));
	assert_false(password_verify(NULL, "$pbkdf2-sha256$1000$c2FsdHNhbHQ=$AAAA"));
}

/* Unknown usernames are checked against the dummy: it must cost a full PBKDF2, i.e. parse. */
static void dummy_is_wellformed(void **state)
{
	const char *d = password_dummy_hash();

	(void)state;
	assert_int_equal(strncmp(d, "$pbkdf2-sha256$600000$", 22), 0);
	assert_int_equal(strlen(d), 22 + 24 + 1 + 44);
	assert_false(password_verify("mingshi-demo", d));
}

static void policy_length(void **state)
{
	struct error e;
	char long_pw[200];

	(void)state;
	assert_int_equal(password_check_policy("seven77", "password", &e), ERR_INVALID);
	assert_string_equal(e.field, "password");
	assert_int_equal(password_check_policy("eight888", "password", &e), ERR_OK);
	/* characters, not bytes: eight Chinese characters are 24 bytes and 8 characters */
	assert_int_equal(password_check_policy("春眠不觉晓处处", "pw", &e), ERR_INVALID);
	assert_int_equal(password_check_policy("春眠不觉晓处处闻", "pw", &e), ERR_OK);
	memset(long_pw, 'k', 128);
	long_pw[128] = '\0';
	assert_int_equal(password_check_policy(long_pw, "pw", &e), ERR_OK);
	long_pw[128] = 'k';
	long_pw[129] = '\0';
	assert_int_equal(password_check_policy(long_pw, "pw", &e), ERR_INVALID);
}

static void policy_common(void **state)
{
	struct error e;

	(void)state;
	assert_int_equal(password_check_policy("password123", "new_password", &e), ERR_INVALID);
	assert_string_equal(e.field, "new_password");
	assert_int_equal(password_check_policy("PassWord123", "new_password", &e), ERR_INVALID);
	assert_int_equal(password_check_policy("woaini1314", "new_password", &e), ERR_INVALID);
	assert_int_equal(password_check_policy("12345678", "new_password", &e), ERR_INVALID);
	assert_int_equal(password_check_policy("password1234x", "new_password", &e), ERR_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("password-1.1 hash then verify; one changed character fails", hash_roundtrip),
		TEST("password-1.2 each hash has its own salt", salts_differ),
		TEST("password-1.3 verifies hashes made by Python hashlib", python_interop),
		TEST("password-1.4 production hashes use 600000 iterations", production_format),
		TEST("password-1.5 malformed hashes never verify", malformed),
		TEST("password-1.6 the dummy hash costs a full PBKDF2", dummy_is_wellformed),
		TEST("password-2.1 8..128 characters, counted as characters", policy_length),
		TEST("password-2.2 common passwords refused, any case", policy_common),
	};
	return cmocka_run_group_tests_name("password", tests, NULL, NULL);
}
