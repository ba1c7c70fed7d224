/* JSON representations of domain records (one place, so every endpoint shows a record the
 * same way), and the list conventions of DESIGN §6 (limit ≤ 200, default 50, offset). */
#ifndef MINGSHI_API_VIEWS_H
#define MINGSHI_API_VIEWS_H

#include <jansson.h>
#include <stdbool.h>

#include "api/req.h"
#include "core/json.h"
#include "domain/achievement.h"
#include "domain/audit.h"
#include "domain/discussion.h"
#include "domain/member.h"
#include "domain/studio.h"
#include "domain/university.h"
#include "domain/user.h"

/* A user; phone and email masked unless whole_pii. */
json_t *view_user(const struct user *u, bool whole_pii);

json_t *view_university(const struct university *v);

/* A studio; `full` adds the long profile texts. */
json_t *view_studio(const struct studio *s, bool full);

/* A membership as the studio sees it; with_reason adds the application reason. */
json_t *view_member(const struct member *m, bool with_reason);

/* A membership as the member sees it (GET /me). */
json_t *view_membership(const struct member *m);

json_t *view_achievement(const struct achievement *a);

/* An entry of the audit log, its detail as the JSON it holds. */
json_t *view_audit_entry(const struct audit_entry *a);

/* A room message as DESIGN §7 shows it (the `message` of message/update frames and history). */
json_t *view_message(const struct message *m);

/* view_studio(s, false) written straight as JSON text, for the studio list (test_views holds
 * the two together). */
void view_studio_text(struct json_text *t, const struct studio *s);

/* view_message() written straight as JSON text, for history pages: the same bytes as
 * json_dump() of view_message() (test_views holds the two together), without the tree. */
void view_message_text(struct json_text *t, const struct message *m);

/* The elements of a JSON array being written as text: call text_list_next() before each. */
struct text_list {
	struct json_text t;
	size_t n;
};

void text_list_next(struct text_list *l);

/* {"items": items, "total": total} (steals items). */
json_t *view_list(json_t *items, int64_t total);

/* limit and offset from the query; on a bad value replies 400 and returns false. */
bool req_paging_or_reply(struct req *r, int64_t *limit, int64_t *offset);

/* A positive integer query argument (0 when absent); false after replying 400. */
bool req_query_id_or_reply(struct req *r, const char *key, int64_t *out);

#endif
