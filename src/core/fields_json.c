/* Field tables: the JSON views of a record; see fields.h.
 *
 * A view's *plan* is made once per table and view: the fields it shows, in table order, and
 * for each the literal text that goes before its value — closing the groups the previous field
 * was in, a comma, opening the groups this one is in, its key: `,"user":{"id":` — so that
 * fields_text() only appends (it is the history page's and the studio list's writer, and must
 * cost no more than the hand-written code it replaced). fields_json() follows the same plan
 * with jansson, which keeps the two byte for byte alike (test_views holds them so). */
#include "core/fields.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

struct field_step {
	const struct field *f;
	const char *pre; /* the text before the value */
	size_t pre_len;
	unsigned close, open;		    /* groups left, then entered, before the value */
	const char *group[FIELD_DEPTH_MAX]; /* the keys of the groups entered */
	size_t group_len[FIELD_DEPTH_MAX];  /* (not NUL-terminated: parts of f's key) */
	const char *leaf;		    /* the last part of f's key */
};

struct field_plan {
	char *arena; /* the pre and end texts */
	const char *end;
	size_t end_len;
	size_t n;
	struct field_step step[];
};

/* ---- plans --------------------------------------------------------------------------- */

static const char *key_of(const struct field *f)
{
	return f->json ? f->json : f->name;
}

static bool shown(const struct field *f, unsigned view)
{
	return !(f->flags & F_HIDDEN) && ((f->views ? f->views : V_MAIN) & view);
}

/* The parts of a dotted key: their starts and lengths; returns how many. Keys are written
 * into the text as they are, so they must need no escaping. */
static size_t split_key(const char *key, const char **part, size_t *len)
{
	size_t n = 0;

	for (const char *p = key;; p += len[n++] + 1) {
		assert(n <= FIELD_DEPTH_MAX);
		part[n] = p;
		len[n] = strcspn(p, ".");
		assert(len[n] > 0 && strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_") >= len[n]);
		if (!p[len[n]])
			return n + 1;
	}
}

#ifndef NDEBUG
/* A JSON object's keys must be unique, and a group must be one run of consecutive fields:
 * a table breaking that is a programming error, caught the first time its view is made (in
 * the ASan build; release builds define NDEBUG). */
static void check_key(const struct field_plan *p, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < p->n; i++) {
		const char *other = key_of(p->step[i].f);
		size_t m = strlen(other);

		assert(strcmp(other, key) != 0);
		assert(!(m < n && !strncmp(other, key, m) && key[m] == '.'));
		assert(!(n < m && !strncmp(other, key, n) && other[n] == '.'));
	}
}

/* Whether a step before the last is in the group named by key's first prefix bytes: opening it
 * again would split it in two. */
static bool reopens(const struct field_plan *p, const char *key, size_t prefix)
{
	for (size_t i = 0; i + 1 < p->n; i++) {
		const char *other = key_of(p->step[i].f);

		if (!strncmp(other, key, prefix) && other[prefix] == '.')
			return true;
	}
	return false;
}
#endif

/* A plan being made: the groups open after its last step, and where each step's text starts
 * in the arena (the arena may move while it grows). */
struct plan_maker {
	struct field_plan *p;
	struct json_text arena;
	size_t depth;
	const char *group[FIELD_DEPTH_MAX];
	size_t group_len[FIELD_DEPTH_MAX];
	size_t pre_at[64];
};

/* The text before f's value: close the open groups f is not in, a comma (the object has a
 * member already) or the opening brace, open f's groups, f's key. */
static void put_pre(struct plan_maker *m, struct field_step *s, const char *key, const char **part,
		    const size_t *len, size_t common, size_t groups)
{
	for (size_t k = common; k < m->depth; k++)
		json_text_raw(&m->arena, "}");
	json_text_raw(&m->arena, m->p->n == 1 ? "{" : ",");
	(void)key; /* read by the assert only */
	for (size_t k = common; k < groups; k++) {
		assert(!reopens(m->p, key, (size_t)(part[k] + len[k] - key)));
		s->group[k - common] = part[k];
		s->group_len[k - common] = len[k];
		json_text_raw(&m->arena, "\"");
		json_text_append(&m->arena, part[k], len[k]);
		json_text_raw(&m->arena, "\":{");
	}
	json_text_raw(&m->arena, "\"");
	json_text_raw(&m->arena, s->leaf);
	json_text_raw(&m->arena, "\":");
}

/* Adds f as the plan's next step. */
static void plan_step(struct plan_maker *m, const struct field *f)
{
	const char *key = key_of(f), *part[FIELD_DEPTH_MAX + 1];
	size_t len[FIELD_DEPTH_MAX + 1], groups = split_key(key, part, len) - 1, common = 0;
	struct field_step *s = &m->p->step[m->p->n];

#ifndef NDEBUG
	check_key(m->p, key);
#endif
	while (common < m->depth && common < groups && len[common] == m->group_len[common] &&
	       !memcmp(part[common], m->group[common], len[common]))
		common++;
	*s = (struct field_step){ .f = f,
				  .close = (unsigned)(m->depth - common),
				  .open = (unsigned)(groups - common),
				  .leaf = part[groups] };
	m->pre_at[m->p->n++] = m->arena.len;
	put_pre(m, s, key, part, len, common, groups);
	for (size_t k = 0; k < groups; k++) {
		m->group[k] = part[k];
		m->group_len[k] = len[k];
	}
	m->depth = groups;
}

static struct field_plan *plan_build(const struct field_table *t, unsigned view)
{
	struct plan_maker m = { 0 };
	size_t n = 0, end_at;
	struct field_plan *p;

	while (t->fields[n].name)
		n++;
	assert(n <= 64);
	p = m.p = calloc(1, sizeof(*p) + n * sizeof(p->step[0]));
	if (!p)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (shown(&t->fields[i], view))
			plan_step(&m, &t->fields[i]);
	}
	end_at = m.arena.len;
	while (m.depth--)
		json_text_raw(&m.arena, "}");
	json_text_raw(&m.arena, p->n ? "}" : "{}");
	p->arena = json_text_finish(&m.arena, NULL);
	if (!p->arena) {
		free(p);
		return NULL;
	}
	for (size_t i = 0; i < p->n; i++) {
		p->step[i].pre = p->arena + m.pre_at[i];
		p->step[i].pre_len = (i + 1 < p->n ? m.pre_at[i + 1] : end_at) - m.pre_at[i];
	}
	p->end = p->arena + end_at;
	p->end_len = strlen(p->end);
	return p;
}

/* The plan of view for t, made on first use and published as fields_sql() publishes a
 * statement: one plan per table and view for the life of the process. */
static const struct field_plan *plan_of(const struct field_table *t, unsigned view)
{
	size_t i = view == V_BRIEF ? 0 : view == V_FULL ? 1 : 2;
	struct field_plan *p, *none = NULL;

	assert(view == V_BRIEF || view == V_FULL || view == V_SIDE);
	p = atomic_load_explicit(&t->cache->plan[i], memory_order_acquire);
	if (p)
		return p;
	p = plan_build(t, view);
	if (!p) {
		log_error("fields: no memory for a JSON view");
		return NULL;
	}
	if (!atomic_compare_exchange_strong_explicit(&t->cache->plan[i], &none, p,
						     memory_order_acq_rel, memory_order_acquire)) {
		free(p->arena);
		free(p);
		p = none;
	}
	return p;
}

/* ---- values -------------------------------------------------------------------------- */

static int64_t int_of(const struct field *f, const void *rec)
{
	return *(const int64_t *)(const void *)((const char *)rec + f->offset);
}

static const char *code_of(const struct field *f, const void *rec)
{
	int code;

	memcpy(&code, (const char *)rec + f->offset, sizeof(code));
	return fields_code_text(f->options, code);
}

/* F_JSON: the value its text encodes, or the text itself if it is not JSON. */
static json_t *json_of(const struct field *f, const void *rec)
{
	const char *s = *(const char *const *)(const void *)((const char *)rec + f->offset);
	json_t *v = json_loads(s ? s : "{}", 0, NULL);

	return v ? v : json_string(s ? s : "");
}

json_t *fields_value(const struct field *f, const void *rec)
{
	const char *v = (const char *)rec + f->offset;

	switch (f->type) {
	case F_INT:
	case F_ID:
		if ((f->flags & F_ZERO_NULL) && int_of(f, rec) == 0)
			return json_null();
		return json_integer(int_of(f, rec));
	case F_BOOL:
		return json_boolean(*(const bool *)(const void *)v);
	case F_CODE:
		return json_string(code_of(f, rec));
	case F_JSON:
		return json_of(f, rec);
	default:
		return (f->flags & F_ZERO_NULL) && !v[0] ? json_null() : json_string(v);
	}
}

/* fields_value() written as text. */
static void text_value(struct json_text *out, const struct field *f, const void *rec)
{
	const char *v = (const char *)rec + f->offset;
	json_t *j;

	switch (f->type) {
	case F_INT:
	case F_ID:
		if ((f->flags & F_ZERO_NULL) && int_of(f, rec) == 0)
			json_text_append(out, "null", 4);
		else
			json_text_int(out, int_of(f, rec));
		return;
	case F_BOOL:
		if (*(const bool *)(const void *)v)
			json_text_append(out, "true", 4);
		else
			json_text_append(out, "false", 5);
		return;
	case F_CODE:
		json_text_string(out, code_of(f, rec));
		return;
	case F_JSON:
		j = json_of(f, rec);
		json_text_value(out, j);
		json_decref(j);
		return;
	default:
		if ((f->flags & F_ZERO_NULL) && !v[0])
			json_text_append(out, "null", 4);
		else
			json_text_string(out, v);
	}
}

/* ---- views --------------------------------------------------------------------------- */

json_t *fields_json(const struct field_table *t, const void *rec, unsigned view)
{
	const struct field_plan *p = plan_of(t, view);
	json_t *stack[FIELD_DEPTH_MAX + 1], *v;
	size_t depth = 0;

	if (!p || !(stack[0] = json_object()))
		return NULL;
	for (size_t i = 0; i < p->n; i++) {
		const struct field_step *s = &p->step[i];

		depth -= s->close;
		for (size_t k = 0; k < s->open; k++) {
			v = json_object();
			if (json_object_setn_new(stack[depth], s->group[k], s->group_len[k], v))
				goto fail;
			stack[++depth] = v;
		}
		if (json_object_set_new(stack[depth], s->leaf, fields_value(s->f, rec)))
			goto fail;
	}
	return stack[0];
fail:
	json_decref(stack[0]);
	return NULL;
}

void fields_text(struct json_text *out, const struct field_table *t, const void *rec, unsigned view)
{
	const struct field_plan *p = plan_of(t, view);

	if (!p) {
		out->failed = true;
		return;
	}
	for (size_t i = 0; i < p->n; i++) {
		json_text_append(out, p->step[i].pre, p->step[i].pre_len);
		text_value(out, p->step[i].f, rec);
	}
	json_text_append(out, p->end, p->end_len);
}
