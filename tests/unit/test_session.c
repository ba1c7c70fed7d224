/* domain/session and domain/user: stored sessions, expiry, users (DESIGN §8). */
#include "testutil.h"

#include "domain/audit.h"
#include "domain/session.h"
#include "domain/user.h"

static const int64_t NOW = 1800000000;

static int64_t add_user(struct db *db, const char *username, enum role role, int64_t uni)
{
	struct user u = { 0 };
	struct error e;

	snprintf(u.username, sizeof(u.username), "%s", username);
	snprintf(u.name, sizeof(u.name), "测试 %s", username);
	snprintf(u.password_hash, sizeof(u.password_hash), "$pbkdf2-sha256$1000$x$y");
	u.role = role;
	u.university_id = uni;
	assert_int_equal(user_insert(db, &u, 0, &e), ERR_OK);
	return u.id;
}

static void new_session(struct db *db, int64_t user_id, uint8_t fill, int64_t at, struct session *s,
			uint8_t hash[32])
{
	memset(hash, fill, 32);
	memset(s, 0, sizeof(*s));
	s->user_id = user_id;
	s->created_at = at;
	snprintf(s->csrf, sizeof(s->csrf), "csrf-%u", fill);
	assert_int_equal(session_insert(db, hash, s), ERR_OK);
}

static void lookup_and_expiry(void **state)
{
	struct session s, got;
	uint8_t h[32];
	struct user u;
	struct db db;

	(void)state;
	test_db_open(&db);
	new_session(&db, add_user(&db, "alice", ROLE_TEACHER, 0), 1, NOW, &s, h);
	assert_int_equal(session_lookup(&db, h, NOW + 10, &got, &u), ERR_OK);
	assert_string_equal(u.username, "alice");
	assert_string_equal(got.csrf, "csrf-1");
	/* idle: 12 h without activity ends it; activity keeps it alive up to 7 days */
	assert_int_equal(session_lookup(&db, h, NOW + SESSION_IDLE_SECS, &got, &u), ERR_NOT_FOUND);
	for (int64_t t = NOW + 3600; t < NOW + SESSION_MAX_SECS; t += 6 * 3600) {
		assert_int_equal(session_touch(&db, s.id, t), ERR_OK);
		assert_int_equal(session_lookup(&db, h, t + 60, &got, &u), ERR_OK);
	}
	assert_int_equal(session_touch(&db, s.id, NOW + SESSION_MAX_SECS - 1), ERR_OK);
	assert_int_equal(session_lookup(&db, h, NOW + SESSION_MAX_SECS, &got, &u), ERR_NOT_FOUND);
	db_close(&db);
}

static void disabled_user(void **state)
{
	struct session s, got;
	uint8_t h[32];
	struct user u;
	struct db db;
	int64_t id;

	(void)state;
	test_db_open(&db);
	id = add_user(&db, "bob", ROLE_TEACHER, 0);
	new_session(&db, id, 2, NOW, &s, h);
	test_exec(&db, "UPDATE users SET disabled=1 WHERE username='bob'");
	assert_int_equal(session_lookup(&db, h, NOW + 1, &got, &u), ERR_NOT_FOUND);
	db_close(&db);
}

/* A password change ends every session but the one kept, and is audited. */
static void password_change(void **state)
{
	struct session s1, s2, s3, got;
	uint8_t h1[32], h2[32], h3[32];
	struct error e;
	struct user u;
	struct db db;
	int64_t id;

	(void)state;
	test_db_open(&db);
	id = add_user(&db, "carol", ROLE_MASTER, 0);
	new_session(&db, id, 3, NOW, &s1, h1);
	new_session(&db, id, 4, NOW, &s2, h2);
	assert_int_equal(
		user_set_password(&db, id, "$pbkdf2-sha256$1000$new$hash", false, 0, id, &e),
		ERR_OK);
	new_session(&db, id, 5, NOW, &s3, h3);
	assert_int_equal(session_lookup(&db, h1, NOW + 1, &got, &u), ERR_NOT_FOUND);
	assert_int_equal(session_lookup(&db, h2, NOW + 1, &got, &u), ERR_NOT_FOUND);
	assert_int_equal(session_lookup(&db, h3, NOW + 1, &got, &u), ERR_OK);
	assert_string_equal(u.password_hash, "$pbkdf2-sha256$1000$new$hash");
	assert_int_equal(
		test_int(&db, "SELECT count(*) FROM audit WHERE action='user.password_change'"), 1);
	assert_int_equal(user_set_password(&db, 999, "x", false, 0, 0, &e), ERR_NOT_FOUND);
	db_close(&db);
}

static void purge(void **state)
{
	struct session s;
	uint8_t h[32];
	struct db db;
	int64_t id;
	int n;

	(void)state;
	test_db_open(&db);
	id = add_user(&db, "dave", ROLE_TEACHER, 0);
	new_session(&db, id, 6, NOW - SESSION_IDLE_SECS - 1, &s, h);
	new_session(&db, id, 7, NOW, &s, h);
	assert_int_equal(session_purge(&db, NOW, &n), ERR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(test_int(&db, "SELECT count(*) FROM sessions"), 1);
	db_close(&db);
}

static void users(void **state)
{
	struct user u = { 0 };
	struct error e;
	struct db db;

	(void)state;
	test_db_open(&db);
	test_exec(&db, "INSERT INTO universities(id,name,code) VALUES(1,'郑州大学','10459')");
	add_user(&db, "erin", ROLE_UNIVERSITY_ADMIN, 1);
	assert_int_equal(user_by_username(&db, "ERIN", &u), ERR_OK);
	assert_int_equal(u.role, ROLE_UNIVERSITY_ADMIN);
	assert_int_equal(u.university_id, 1);
	/* taken username (any case), unknown university, admin of no university */
	snprintf(u.username, sizeof(u.username), "Erin"); /* usernames are lower case */
	assert_int_equal(user_insert(&db, &u, 0, &e), ERR_INVALID);
	assert_string_equal(e.field, "username");
	snprintf(u.username, sizeof(u.username), "erin");
	assert_int_equal(user_insert(&db, &u, 0, &e), ERR_CONFLICT);
	assert_string_equal(e.field, "username");
	snprintf(u.username, sizeof(u.username), "frank");
	u.university_id = 42;
	assert_int_equal(user_insert(&db, &u, 0, &e), ERR_INVALID);
	assert_string_equal(e.field, "university_id");
	u.university_id = 0;
	assert_int_equal(user_insert(&db, &u, 0, &e), ERR_INVALID);
	assert_string_equal(e.field, "university_id");
	assert_int_equal(test_int(&db, "SELECT count(*) FROM users"), 1);
	assert_int_equal(test_int(&db, "SELECT count(*) FROM audit WHERE action='user.create'"), 1);
	assert_int_equal(user_by_id(&db, 12345, &u), ERR_NOT_FOUND);
	db_close(&db);
}

/* The slim load for access checks: role, university and disabled as stored, nothing else. */
static void access_load(void **state)
{
	struct user u;
	struct db db;
	int64_t id;

	(void)state;
	test_db_open(&db);
	test_exec(&db, "INSERT INTO universities(id,name,code) VALUES(1,'郑州大学','10459')");
	id = add_user(&db, "gina", ROLE_UNIVERSITY_ADMIN, 1);
	memset(&u, 0x5a, sizeof(u));
	assert_int_equal(user_access_by_id(&db, id, &u), ERR_OK);
	assert_int_equal(u.id, id);
	assert_int_equal(u.role, ROLE_UNIVERSITY_ADMIN);
	assert_int_equal(u.university_id, 1);
	assert_false(u.disabled);
	assert_string_equal(u.username, ""); /* not loaded, and not left as it was */
	assert_string_equal(u.password_hash, "");
	test_exec(&db, "UPDATE users SET disabled=1, role='teacher' WHERE username='gina'");
	assert_int_equal(user_access_by_id(&db, id, &u), ERR_OK);
	assert_true(u.disabled);
	assert_int_equal(u.role, ROLE_TEACHER);
	assert_int_equal(user_access_by_id(&db, 12345, &u), ERR_NOT_FOUND);
	db_close(&db);
}

static void usernames(void **state)
{
	struct error e;

	(void)state;
	assert_int_equal(user_check_username("teacher_wang", &e), ERR_OK);
	assert_int_equal(user_check_username("ab", &e), ERR_INVALID);
	assert_int_equal(user_check_username("_lead", &e), ERR_INVALID);
	assert_int_equal(user_check_username("Upper", &e), ERR_INVALID);
	assert_int_equal(user_check_username("王老师", &e), ERR_INVALID);
	assert_int_equal(user_check_username("a234567890123456789012345678901x", &e), ERR_OK);
	assert_int_equal(user_check_username("a234567890123456789012345678901xy", &e), ERR_INVALID);
	assert_int_equal(role_parse("university_admin"), ROLE_UNIVERSITY_ADMIN);
	assert_int_equal(role_parse("root"), ROLE_NONE);
	assert_string_equal(role_name(ROLE_EXPERT), "expert");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("session-1.1 lookup, 12 h idle and 7 day limits", lookup_and_expiry),
		TEST("session-1.2 a disabled user's sessions stop working", disabled_user),
		TEST("session-1.3 a password change ends the other sessions", password_change),
		TEST("session-1.4 expired sessions are purged", purge),
		TEST("user-1.1 create: unique names, real universities, audit", users),
		TEST("user-1.2 usernames and roles", usernames),
		TEST("user-1.3 the access-check load: role, university, disabled only",
		     access_load),
	};
	return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
