/* GET /rooms/{room}/messages (history pages) and GET /search/messages (full text over the
 * rooms the caller may read), DESIGN §6–§7. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/router.h"
#include "api/cache.h"
#include "api/views.h"
#include "core/json.h"
#include "domain/discussion.h"

#define SEARCH_MAX 100

static bool readable_or_reply(struct req *r, struct room_ref *ref)
{
	if (!room_parse(r->room, ref) || !ref->kind->exists(&r->app->rdb, ref->id)) {
		reply_err(r, ERR_NOT_FOUND, NULL, "no room %s", r->room);
		return false;
	}
	if (!ref->kind->may_read(&r->app->rdb, &r->user, ref->id)) {
		reply_err(r, ERR_FORBIDDEN, NULL, "you may not read %s", ref->name);
		return false;
	}
	return true;
}

/* A history page is written straight as JSON text: as a jansson tree, its 50 messages cost
 * ~1 500 allocations and more time than the query (docs/BENCHMARKS.md, scenario c). */
static void add(const struct message *m, void *ctx)
{
	struct text_list *page = ctx;

	text_list_next(page);
	view_message_text(&page->t, m);
}

/* after/before are message ids; without after the page is the newest one (before `before`),
 * so a client scrolls back with before = the oldest id it holds. */
/* A non-negative integer query argument; *present tells whether it was given. */
static bool query_nonneg_or_reply(struct req *r, const char *key, int64_t *out, bool *present)
{
	const char *v = req_query(r, key);
	char *end;
	long long n;

	*out = 0;
	*present = v != NULL;
	if (!v)
		return true;
	n = strtoll(v, &end, 10);
	if (!*v || *end || n < 0 || n > ((long long)1 << 53)) {
		reply_err(r, ERR_INVALID, key, "%s is a message id (0 or more)", key);
		return false;
	}
	*out = n;
	return true;
}

/* With `after` (0 = from the first message) the page is the oldest messages after it
 * (resume); without, the newest page before `before` (or of all), so a client scrolls back
 * with before = the oldest id it holds. */
static bool history_query_or_reply(struct req *r, struct history_query *q)
{
	const char *kind = req_query(r, "kind"), *sort = req_query(r, "sort");
	int64_t limit, offset;
	bool has_after, has_before;

	if (!req_paging_or_reply(r, &limit, &offset) ||
	    !query_nonneg_or_reply(r, "after", &q->after, &has_after) ||
	    !query_nonneg_or_reply(r, "before", &q->before, &has_before))
		return false;
	if (kind && strcmp(kind, "question") && strcmp(kind, "chat")) {
		reply_err(r, ERR_INVALID, "kind", "kind is question or chat");
		return false;
	}
	if (sort && strcmp(sort, "upvotes") && strcmp(sort, "id")) {
		reply_err(r, ERR_INVALID, "sort", "sort is upvotes or id");
		return false;
	}
	q->limit = (int)limit;
	q->kind = kind;
	q->by_upvotes = sort && !strcmp(sort, "upvotes");
	q->newest = !has_after;
	return true;
}

/* A page is the same for everyone who may read the room, so it is kept (api/cache.h): the
 * newest page of a busy room is what every client opening it asks for. */
static void api_rooms_messages(struct req *r)
{
	struct history_query q = { 0 };
	struct text_list page = { 0 };
	struct room_ref ref;
	char key[ANSWER_KEY_MAX];
	bool more;
	enum err e;

	if (!history_query_or_reply(r, &q) || !readable_or_reply(r, &ref))
		return;
	answer_key(key, "messages|%s|%d|%s|%lld|%lld|%d|%s", ref.name, q.limit,
		   q.newest ? "newest" : "after", (long long)q.after, (long long)q.before,
		   q.by_upvotes, q.kind ? q.kind : "");
	if (answer_cache_reply(r, key))
		return;
	q.room = ref.name;
	json_text_raw(&page.t, "{\"room\":");
	json_text_string(&page.t, ref.name);
	json_text_raw(&page.t, ",\"items\":[");
	e = discussion_history(&r->app->rdb, &q, add, &page, &more);
	json_text_raw(&page.t, "],\"more\":");
	json_text_bool(&page.t, more);
	json_text_raw(&page.t, "}");
	reply_json_text(r, e, &page.t);
	answer_cache_store(r, key);
}

static void add_hit(const struct search_hit *h, void *ctx)
{
	json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)h->id,
					     "room", h->room, "user_name", h->user_name, "snippet",
					     h->snippet, "created_at", h->created_at));
}

static void api_search_messages(struct req *r)
{
	const char *q = req_query(r, "q"), *room = req_query(r, "room");
	json_t *names, *all, *items;
	struct room_ref ref;
	int64_t limit, offset, total;
	enum err e;

	if (!req_paging_or_reply(r, &limit, &offset))
		return;
	if (!q || !*q || utf8_chars(q) > SEARCH_MAX || !utf8_valid(q, strlen(q))) {
		reply_err(r, ERR_INVALID, "q", "q is 1 to %d characters", SEARCH_MAX);
		return;
	}
	if (room && !room_parse(room, &ref)) {
		reply_err(r, ERR_INVALID, "room", "room is a name like studio:3");
		return;
	}
	room_readable(&r->app->rdb, &r->user, &names, &all);
	items = json_array();
	e = discussion_search(&r->app->rdb, q, room ? ref.name : NULL, names, all, (int)limit,
			      offset, add_hit, items, &total);
	json_decref(names);
	json_decref(all);
	if (e != ERR_OK) {
		json_decref(items);
		reply_err(r, e, NULL, NULL);
		return;
	}
	reply_json(r, 200, view_list(items, total));
}

API_ROUTES(rooms) = {
	{ HTTP_GET, V1 "/rooms/{room}/messages", api_rooms_messages, ANY, 0 },
	{ HTTP_GET, V1 "/search/messages", api_search_messages, ANY, 0 },
	ROUTES_END,
};
