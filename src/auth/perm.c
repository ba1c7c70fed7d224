/* Scope rules; see perm.h. */
#include "auth/perm.h"

bool perm_studio_create(const struct user *u, int64_t university_id)
{
	return u->role == ROLE_ADMIN ||
	       (u->role == ROLE_UNIVERSITY_ADMIN && u->university_id == university_id);
}

bool perm_studio_admin(const struct user *u, const struct studio_scope *s)
{
	return perm_studio_create(u, s->university_id);
}

bool perm_studio_manage(const struct user *u, const struct studio_scope *s)
{
	return perm_studio_admin(u, s) || (u->role == ROLE_MASTER && u->id == s->master_id);
}

bool perm_pii_whole(const struct user *u, int64_t subject_id)
{
	return u->role == ROLE_ADMIN || u->id == subject_id;
}

bool perm_member_apply(const struct user *u)
{
	return u->role == ROLE_TEACHER;
}
