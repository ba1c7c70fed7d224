/* Scope rules of the permission matrix (DESIGN §1, §6) beyond the route's role set: a
 * university_admin acts only for their own university's studios, a master only for their own
 * studio, personal data is whole only for admins and the person. Pure functions of the actor
 * and the target (unit-tested); api/ handlers call them after loading the target. */
#ifndef MINGSHI_AUTH_PERM_H
#define MINGSHI_AUTH_PERM_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/user.h"

/* Who a studio belongs to, as the rules need it. */
struct studio_scope {
	int64_t university_id;
	int64_t master_id;
};

/* Create a studio at university_id: admin, or that university's admin. */
bool perm_studio_create(const struct user *u, int64_t university_id);

/* Change anything of the studio (status, master, capacity…): admin or its university admin. */
bool perm_studio_admin(const struct user *u, const struct studio_scope *s);

/* Run the studio (profile texts, members, achievements): the above, or its master. */
bool perm_studio_manage(const struct user *u, const struct studio_scope *s);

/* See a person's whole phone and email: admins and the person. */
bool perm_pii_whole(const struct user *u, int64_t subject_id);

/* Apply to join a studio: teachers. */
bool perm_member_apply(const struct user *u);

#endif
