/* Kept GET answers; see cache.h. A handful of slots searched in full: a lookup compares at
 * most 64 hashes, which is nothing beside the request it saves. */
#include "api/cache.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/app.h"
#include "core/db.h"

struct answer {
	uint64_t hash; /* 0: empty slot */
	uint64_t used; /* recency stamp */
	unsigned version;
	char key[ANSWER_KEY_MAX];
	char *body;
	size_t len;
};

struct answer_cache {
	struct answer slot[ANSWER_CACHE_SLOTS];
	size_t bytes;
	uint64_t clock;
};

/* FNV-1a, never 0 (0 marks an empty slot). */
static uint64_t key_hash(const char *key)
{
	uint64_t h = 14695981039346656037ULL;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h ? h : 1;
}

bool answer_key(char *key, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(key, ANSWER_KEY_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= ANSWER_KEY_MAX) {
		key[0] = '\0';
		return false;
	}
	return true;
}

struct answer_cache *answer_cache_new(void)
{
	return calloc(1, sizeof(struct answer_cache));
}

static void drop(struct answer_cache *c, struct answer *a)
{
	c->bytes -= a->len;
	free(a->body);
	*a = (struct answer){ 0 };
}

void answer_cache_free(struct answer_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < ANSWER_CACHE_SLOTS; i++)
		free(c->slot[i].body);
	free(c);
}

static struct answer *find(struct answer_cache *c, const char *key, uint64_t h)
{
	for (size_t i = 0; i < ANSWER_CACHE_SLOTS; i++) {
		struct answer *a = &c->slot[i];

		if (a->hash == h && !strcmp(a->key, key))
			return a;
	}
	return NULL;
}

/* The snapshot's data version; false when the request has none open. */
static bool current_version(struct req *r, unsigned *v)
{
	bool ok;

	*v = db_data_version(&r->app->rdb, &ok);
	return ok;
}

bool answer_cache_reply(struct req *r, const char *key)
{
	struct answer_cache *c = r->app->answers;
	struct answer *a;
	unsigned v;

	if (!c || !key[0] || strlen(key) >= ANSWER_KEY_MAX || !current_version(r, &v))
		return false;
	a = find(c, key, key_hash(key));
	if (!a || a->version != v) {
		r->app->metrics.answer_cache_misses++;
		return false;
	}
	a->used = ++c->clock;
	r->app->metrics.answer_cache_hits++;
	reply_text(r, 200, "application/json; charset=utf-8", a->body, a->len);
	return true;
}

/* The slot for a new answer: an empty one, else the least recently used. */
static struct answer *victim(struct answer_cache *c)
{
	struct answer *oldest = &c->slot[0];

	for (size_t i = 0; i < ANSWER_CACHE_SLOTS; i++) {
		if (!c->slot[i].hash)
			return &c->slot[i];
		if (c->slot[i].used < oldest->used)
			oldest = &c->slot[i];
	}
	return oldest;
}

/* The least recently used answer other than keep, or NULL when there is none. */
static struct answer *lru_other(struct answer_cache *c, const struct answer *keep)
{
	struct answer *oldest = NULL;

	for (size_t i = 0; i < ANSWER_CACHE_SLOTS; i++) {
		struct answer *a = &c->slot[i];

		if (a->hash && a != keep && (!oldest || a->used < oldest->used))
			oldest = a;
	}
	return oldest;
}

void answer_cache_store(struct req *r, const char *key)
{
	struct answer_cache *c = r->app->answers;
	uint64_t h = key_hash(key);
	struct answer *a, *old;
	unsigned v;
	char *body;

	if (!c || !key[0] || r->status != 200 || !r->out || r->out_len > ANSWER_BODY_MAX ||
	    strlen(key) >= ANSWER_KEY_MAX || !current_version(r, &v))
		return;
	body = malloc(r->out_len + 1);
	if (!body)
		return;
	memcpy(body, r->out, r->out_len);
	body[r->out_len] = '\0';
	a = find(c, key, h);
	if (a)
		drop(c, a);
	else
		a = victim(c);
	if (a->hash)
		drop(c, a);
	while (c->bytes + r->out_len > ANSWER_CACHE_BYTES && (old = lru_other(c, a)))
		drop(c, old);
	a->hash = h;
	a->used = ++c->clock;
	a->version = v;
	strcpy(a->key, key);
	a->body = body;
	a->len = r->out_len;
	c->bytes += a->len;
}
