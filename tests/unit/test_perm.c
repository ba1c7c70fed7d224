/* auth/perm: the scope rules of the permission matrix (DESIGN §1, §6). */
#include "testutil.h"

#include "auth/perm.h"

static struct user who(int64_t id, enum role role, int64_t uni)
{
	struct user u;

	memset(&u, 0, sizeof(u));
	u.id = id;
	u.role = role;
	u.university_id = uni;
	return u;
}

/* Studio 1 belongs to university 1 and master 3. */
static const struct studio_scope S1 = { 1, 3 };

static void create(void **state)
{
	struct user admin = who(1, ROLE_ADMIN, 0), zzu = who(2, ROLE_UNIVERSITY_ADMIN, 1),
		    henu = who(6, ROLE_UNIVERSITY_ADMIN, 2), master = who(3, ROLE_MASTER, 1);

	(void)state;
	assert_true(perm_studio_create(&admin, 1));
	assert_true(perm_studio_create(&zzu, 1));
	assert_false(perm_studio_create(&zzu, 2));
	assert_false(perm_studio_create(&henu, 1));
	assert_false(perm_studio_create(&master, 1));
}

static void admin_and_manage(void **state)
{
	struct user admin = who(1, ROLE_ADMIN, 0), zzu = who(2, ROLE_UNIVERSITY_ADMIN, 1),
		    henu = who(6, ROLE_UNIVERSITY_ADMIN, 2), li = who(3, ROLE_MASTER, 1),
		    liu = who(12, ROLE_MASTER, 2), wang = who(4, ROLE_TEACHER, 1),
		    zhao = who(5, ROLE_EXPERT, 0);

	(void)state;
	assert_true(perm_studio_admin(&admin, &S1));
	assert_true(perm_studio_admin(&zzu, &S1));
	assert_false(perm_studio_admin(&henu, &S1));
	assert_false(perm_studio_admin(&li, &S1)); /* a master runs, but does not administer */
	assert_true(perm_studio_manage(&li, &S1));
	assert_false(perm_studio_manage(&liu, &S1));
	assert_false(perm_studio_manage(&wang, &S1));
	assert_false(perm_studio_manage(&zhao, &S1));
	assert_true(perm_studio_manage(&zzu, &S1));
	assert_false(perm_studio_manage(&henu, &S1));
}

/* A master of university 1 whose id happens to equal another studio's master does not get
 * that studio: the rule is the master id, not the university. */
static void master_is_by_id(void **state)
{
	struct user other_master = who(10, ROLE_MASTER, 1);

	(void)state;
	assert_false(perm_studio_manage(&other_master, &S1));
}

static void pii(void **state)
{
	struct user admin = who(1, ROLE_ADMIN, 0), zzu = who(2, ROLE_UNIVERSITY_ADMIN, 1),
		    wang = who(4, ROLE_TEACHER, 1);

	(void)state;
	assert_true(perm_pii_whole(&admin, 4));
	assert_true(perm_pii_whole(&wang, 4));
	assert_false(perm_pii_whole(&wang, 23));
	assert_false(perm_pii_whole(&zzu, 4)); /* university admins see masked data only */
	assert_true(perm_member_apply(&wang));
	assert_false(perm_member_apply(&zzu));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("perm-1.1 studios are created by admins and their own university", create),
		TEST("perm-1.2 administer vs run a studio", admin_and_manage),
		TEST("perm-1.3 a master runs only the studio they are master of", master_is_by_id),
		TEST("perm-1.4 whole personal data: admins and the person", pii),
	};
	return cmocka_run_group_tests_name("perm", tests, NULL, NULL);
}
