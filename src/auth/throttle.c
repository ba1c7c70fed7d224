/* Login throttling; see throttle.h. */
#include "auth/throttle.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 4096
#define KEY_MAX 320

struct entry {
	struct entry *next;
	char *key;
	int64_t fails[THROTTLE_ADDR_LIMIT]; /* ring of failure times */
	int nfails, head;
	int64_t blocked_until;
};

struct throttle {
	struct entry *buckets[NBUCKETS];
	size_t size;
};

struct throttle *throttle_new(void)
{
	return calloc(1, sizeof(struct throttle));
}

static void entry_free(struct entry *e)
{
	free(e->key);
	free(e);
}

void throttle_free(struct throttle *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < NBUCKETS; i++) {
		struct entry *e = t->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			entry_free(e);
		}
	}
	free(t);
}

size_t throttle_size(const struct throttle *t)
{
	return t->size;
}

/* FNV-1a */
static size_t bucket_of(const char *key)
{
	uint32_t h = 2166136261u;

	for (; *key; key++)
		h = (h ^ (uint8_t)*key) * 16777619u;
	return h % NBUCKETS;
}

/* "addr" or "addr\nusername-lowercased" */
static void make_key(char out[KEY_MAX], const char *addr, const char *username)
{
	size_t n;

	snprintf(out, KEY_MAX, "%s", addr);
	if (!username)
		return;
	n = strlen(out);
	snprintf(out + n, KEY_MAX - n, "\n%s", username);
	for (char *p = out + n; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

static struct entry *find(struct throttle *t, const char *key, struct entry ***link)
{
	struct entry **pp = &t->buckets[bucket_of(key)];

	for (; *pp; pp = &(*pp)->next) {
		if (!strcmp((*pp)->key, key))
			break;
	}
	if (link)
		*link = pp;
	return *pp;
}

static int64_t last_fail(const struct entry *e)
{
	return e->nfails ? e->fails[(e->head + THROTTLE_ADDR_LIMIT - 1) % THROTTLE_ADDR_LIMIT] : 0;
}

/* Drops entries that neither block nor hold a failure inside the window. */
static void purge(struct throttle *t, int64_t now)
{
	for (size_t i = 0; i < NBUCKETS; i++) {
		struct entry **pp = &t->buckets[i];

		while (*pp) {
			struct entry *e = *pp;

			if (e->blocked_until <= now && last_fail(e) <= now - THROTTLE_WINDOW_SECS) {
				*pp = e->next;
				entry_free(e);
				t->size--;
			} else {
				pp = &e->next;
			}
		}
	}
}

static int64_t blocked_for(struct throttle *t, const char *key, int64_t now)
{
	struct entry *e = find(t, key, NULL);

	return e && e->blocked_until > now ? e->blocked_until - now : 0;
}

int64_t throttle_blocked(struct throttle *t, const char *addr, const char *username, int64_t now)
{
	char key[KEY_MAX];
	int64_t a, p;

	make_key(key, addr, NULL);
	a = blocked_for(t, key, now);
	make_key(key, addr, username);
	p = blocked_for(t, key, now);
	return a > p ? a : p;
}

/* Failures of e within the window ending at now. */
static int recent(const struct entry *e, int64_t now)
{
	int n = 0;

	for (int i = 0; i < e->nfails; i++) {
		if (e->fails[i] > now - THROTTLE_WINDOW_SECS)
			n++;
	}
	return n;
}

static void record(struct throttle *t, const char *key, int limit, int64_t now)
{
	struct entry **link, *e = find(t, key, &link);

	if (!e) {
		if (t->size >= THROTTLE_MAX_ENTRIES) {
			purge(t, now);
			find(t, key, &link); /* the purge may have freed what link pointed into */
		}
		if (t->size >= THROTTLE_MAX_ENTRIES || !(e = calloc(1, sizeof(*e))))
			return;
		if (!(e->key = strdup(key))) {
			free(e);
			return;
		}
		*link = e;
		t->size++;
	}
	e->fails[e->head] = now;
	e->head = (e->head + 1) % THROTTLE_ADDR_LIMIT;
	if (e->nfails < THROTTLE_ADDR_LIMIT)
		e->nfails++;
	if (recent(e, now) >= limit)
		e->blocked_until = now + THROTTLE_BLOCK_SECS;
}

void throttle_fail(struct throttle *t, const char *addr, const char *username, int64_t now)
{
	char key[KEY_MAX];

	make_key(key, addr, NULL);
	record(t, key, THROTTLE_ADDR_LIMIT, now);
	make_key(key, addr, username);
	record(t, key, THROTTLE_PAIR_LIMIT, now);
}

void throttle_success(struct throttle *t, const char *addr, const char *username)
{
	char key[KEY_MAX];
	struct entry **link, *e;

	make_key(key, addr, username);
	e = find(t, key, &link);
	if (e) {
		*link = e->next;
		entry_free(e);
		t->size--;
	}
}
