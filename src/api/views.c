/* JSON views and list parameters; see views.h. */
#include "api/views.h"

#include <stdlib.h>

/* Replaces the value of key in o by the masked text; false (o unusable) if that fails. */
static bool set_masked(json_t *o, const char *key, const char *masked)
{
	return json_object_set_new(o, key, json_string(masked)) == 0;
}

/* Masking stays this explicit step, not a field flag: it is two fields of one entity, each
 * with its own rule, and a view that fails to mask must show nothing at all. */
json_t *view_user(const struct user *u, bool whole_pii)
{
	json_t *o = fields_json(&USER_TABLE, u, V_BRIEF);
	char phone[sizeof(u->phone)], email[sizeof(u->email)];

	if (!o || whole_pii)
		return o;
	user_mask_phone(u->phone, phone, sizeof(phone));
	user_mask_email(u->email, email, sizeof(email));
	if (!set_masked(o, "phone", phone) || !set_masked(o, "email", email)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *view_university(const struct university *v)
{
	return fields_json(&UNIVERSITY_TABLE, v, V_BRIEF);
}

json_t *view_studio(const struct studio *s, bool full)
{
	return fields_json(&STUDIO_TABLE, s, full ? V_FULL : V_BRIEF);
}

json_t *view_member(const struct member *m, bool with_reason)
{
	return fields_json(&MEMBER_TABLE, m, with_reason ? V_FULL : V_BRIEF);
}

json_t *view_membership(const struct member *m)
{
	return fields_json(&MEMBER_TABLE, m, V_SIDE);
}

json_t *view_achievement(const struct achievement *a)
{
	return fields_json(&ACHIEVEMENT_TABLE, a, V_BRIEF);
}

json_t *view_audit_entry(const struct audit_entry *a)
{
	return fields_json(&AUDIT_TABLE, a, V_BRIEF);
}

json_t *view_message(const struct message *m)
{
	return fields_json(&MESSAGE_TABLE, m, V_BRIEF);
}

void view_studio_text(struct json_text *t, const struct studio *s)
{
	fields_text(t, &STUDIO_TABLE, s, V_BRIEF);
}

void view_message_text(struct json_text *t, const struct message *m)
{
	fields_text(t, &MESSAGE_TABLE, m, V_BRIEF);
}

void text_list_next(struct text_list *l)
{
	if (l->n++)
		json_text_raw(&l->t, ",");
}

json_t *view_list(json_t *items, int64_t total)
{
	return json_pack("{s:o, s:I}", "items", items, "total", (json_int_t)total);
}

/* A decimal in lo..hi, or def when absent; -1 when malformed. */
static int64_t query_int(struct req *r, const char *key, int64_t lo, int64_t hi, int64_t def,
			 bool *bad)
{
	const char *v = req_query(r, key);
	char *end;
	long long n;

	*bad = false;
	if (!v)
		return def;
	n = strtoll(v, &end, 10);
	if (!*v || *end || n < lo || n > hi) {
		*bad = true;
		return -1;
	}
	return n;
}

bool req_paging_or_reply(struct req *r, int64_t *limit, int64_t *offset)
{
	bool bad;

	*limit = query_int(r, "limit", 1, 200, 50, &bad);
	if (bad) {
		reply_err(r, ERR_INVALID, "limit", "limit must be 1 to 200");
		return false;
	}
	*offset = query_int(r, "offset", 0, (int64_t)1 << 40, 0, &bad);
	if (bad) {
		reply_err(r, ERR_INVALID, "offset", "offset must be 0 or more");
		return false;
	}
	return true;
}

bool req_query_id_or_reply(struct req *r, const char *key, int64_t *out)
{
	bool bad;

	*out = query_int(r, key, 1, (int64_t)1 << 53, 0, &bad);
	if (bad) {
		reply_err(r, ERR_INVALID, key, "%s must be a positive integer", key);
		return false;
	}
	return true;
}
