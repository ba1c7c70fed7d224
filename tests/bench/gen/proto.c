/* Wire formats of the load generator; see proto.h. */
#include "proto.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- payload ------------------------------------------------------------------------------ */

size_t payload_make(char *buf, size_t size, const struct payload *p)
{
	char head[64];
	int n;

	n = snprintf(head, sizeof(head), "t%016" PRIx64 " p%" PRIu32 " s%" PRIu64 " ", p->t_ns,
		     p->pub, p->seq);
	if (n < 0 || size < PAYLOAD_MIN || (size_t)n > size)
		return 0;
	memcpy(buf, head, (size_t)n);
	memset(buf + n, 'x', size - (size_t)n);
	return size;
}

/* Reads an unsigned number in base at *s (bounded by end); advances *s. -1 if there is none. */
static int read_num(const char **s, const char *end, int base, uint64_t *out)
{
	uint64_t v = 0;
	const char *c = *s;
	int d;

	for (; c < end; c++) {
		if (*c >= '0' && *c <= '9')
			d = *c - '0';
		else if (base == 16 && *c >= 'a' && *c <= 'f')
			d = *c - 'a' + 10;
		else
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (c == *s)
		return -1;
	*s = c;
	*out = v;
	return 0;
}

/* Expects the literal lit at *s and advances past it; -1 if it is not there. */
static int expect(const char **s, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *s) < n || memcmp(*s, lit, n) != 0)
		return -1;
	*s += n;
	return 0;
}

int payload_parse(const char *s, size_t len, struct payload *out)
{
	const char *end = s + len;
	uint64_t pub;

	if (expect(&s, end, "t") || read_num(&s, end, 16, &out->t_ns) || expect(&s, end, " p") ||
	    read_num(&s, end, 10, &pub) || pub > UINT32_MAX || expect(&s, end, " s") ||
	    read_num(&s, end, 10, &out->seq) || expect(&s, end, " "))
		return -1;
	out->pub = (uint32_t)pub;
	return 0;
}

/* ---- mingshi.v1 --------------------------------------------------------------------------- */

/* snprintf into out that reports 0 instead of a truncated length. */
static size_t fitted(int n, size_t cap)
{
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

size_t mingshi_join(char *out, size_t cap, const char *room, uint64_t since)
{
	return fitted(snprintf(out, cap,
			       "{\"type\":\"join\",\"room\":\"%s\",\"since\":%" PRIu64 "}", room,
			       since),
		      cap);
}

size_t mingshi_send(char *out, size_t cap, const char *room, uint32_t run, uint32_t conn,
		    uint64_t seq, const char *text, size_t text_len)
{
	return fitted(snprintf(out, cap,
			       "{\"type\":\"send\",\"room\":\"%s\",\"client_id\":\"r%" PRIx32
			       "g%" PRIu32 "-%" PRIu64 "\",\"text\":\"%.*s\"}",
			       room, run, conn, seq, (int)text_len, text),
		      cap);
}

/* The first occurrence of the literal key within [f, f+len), or NULL. */
static const char *find(const char *f, size_t len, const char *key)
{
	return memmem(f, len, key, strlen(key));
}

static enum mframe classify_message(const char *f, size_t len, struct payload *p)
{
	static const char KEY[] = "\"text\":\"";
	const char *t = find(f, len, KEY);

	if (!t)
		return MF_OTHER;
	t += sizeof(KEY) - 1;
	return payload_parse(t, len - (size_t)(t - f), p) == 0 ? MF_MESSAGE : MF_OTHER;
}

static enum mframe classify_ack(const char *f, size_t len, uint32_t *conn, uint64_t *seq)
{
	static const char KEY[] = "\"client_id\":\"r";
	const char *t = find(f, len, KEY), *end = f + len;
	uint64_t run, c;

	if (!t)
		return MF_OTHER;
	t += sizeof(KEY) - 1;
	if (read_num(&t, end, 16, &run) || expect(&t, end, "g") || read_num(&t, end, 10, &c) ||
	    c > UINT32_MAX || expect(&t, end, "-") || read_num(&t, end, 10, seq) ||
	    expect(&t, end, "\""))
		return MF_OTHER;
	*conn = (uint32_t)c;
	return MF_ACK;
}

enum mframe mingshi_classify(const char *f, size_t len, struct payload *p, uint32_t *conn,
			     uint64_t *seq)
{
	static const struct {
		const char *prefix;
		enum mframe kind;
	} KINDS[] = {
		{ "{\"type\":\"message\"", MF_MESSAGE }, { "{\"type\":\"ack\"", MF_ACK },
		{ "{\"type\":\"joined\"", MF_JOINED },	 { "{\"type\":\"error\"", MF_ERROR },
		{ "{\"type\":\"pong\"", MF_PONG },
	};
	size_t i, n;

	for (i = 0; i < sizeof(KINDS) / sizeof(KINDS[0]); i++) {
		n = strlen(KINDS[i].prefix);
		if (len < n || memcmp(f, KINDS[i].prefix, n) != 0)
			continue;
		if (KINDS[i].kind == MF_MESSAGE)
			return classify_message(f, len, p);
		if (KINDS[i].kind == MF_ACK)
			return classify_ack(f, len, conn, seq);
		return KINDS[i].kind;
	}
	return MF_OTHER;
}

/* ---- MQTT 3.1.1 --------------------------------------------------------------------------- */

/* Writes the fixed header (type/flags byte and the variable-length remaining length). */
static size_t mqtt_fixed(uint8_t *out, unsigned type_flags, size_t remaining)
{
	size_t n = 0;

	out[n++] = (uint8_t)type_flags;
	do {
		uint8_t b = remaining % 128;

		remaining /= 128;
		out[n++] = (uint8_t)(remaining ? b | 0x80 : b);
	} while (remaining);
	return n;
}

static size_t put_str(uint8_t *out, const char *s, size_t len)
{
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	memcpy(out + 2, s, len);
	return len + 2;
}

size_t mqtt_connect(uint8_t *out, size_t cap, const char *client_id)
{
	static const uint8_t VAR[] = { 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02 /* clean session */,
				       0, 0 /* keep-alive off */ };
	size_t id_len = strlen(client_id), rem = sizeof(VAR) + 2 + id_len, n;

	if (id_len > 23 || rem + 5 > cap)
		return 0;
	n = mqtt_fixed(out, MQTT_CONNECT << 4, rem);
	memcpy(out + n, VAR, sizeof(VAR));
	n += sizeof(VAR);
	return n + put_str(out + n, client_id, id_len);
}

size_t mqtt_subscribe(uint8_t *out, size_t cap, uint16_t id, const char *topic)
{
	size_t t_len = strlen(topic), rem = 2 + 2 + t_len + 1, n;

	if (t_len > 0xffff || rem + 5 > cap)
		return 0;
	n = mqtt_fixed(out, MQTT_SUBSCRIBE << 4 | 0x2,
		       rem); /* SUBSCRIBE's reserved flags are 0010 */
	out[n++] = (uint8_t)(id >> 8);
	out[n++] = (uint8_t)id;
	n += put_str(out + n, topic, t_len);
	out[n++] = 0; /* QoS 0 */
	return n;
}

size_t mqtt_publish(uint8_t *out, size_t cap, const char *topic, const void *payload, size_t len)
{
	size_t t_len = strlen(topic), rem = 2 + t_len + len, n;

	if (t_len > 0xffff || rem > 268435455 || rem + 5 > cap)
		return 0;
	n = mqtt_fixed(out, MQTT_PUBLISH << 4, rem);
	n += put_str(out + n, topic, t_len);
	memcpy(out + n, payload, len);
	return n + len;
}

long mqtt_parse(const uint8_t *buf, size_t len, struct mqtt_packet *out)
{
	size_t rem = 0, i = 1, mult = 1;

	if (len < 2)
		return 0;
	for (;; i++) {
		if (i > 4)
			return -1; /* the remaining length has at most 4 bytes */
		if (i >= len)
			return 0;
		rem += (buf[i] & 0x7fu) * mult;
		mult *= 128;
		if (!(buf[i] & 0x80))
			break;
	}
	i++;
	if (len - i < rem)
		return 0;
	memset(out, 0, sizeof(*out));
	out->type = buf[0] >> 4;
	out->flags = buf[0] & 0xfu;
	out->body = buf + i;
	out->body_len = rem;
	if (out->type == MQTT_PUBLISH) {
		size_t t_len, skip;

		if (rem < 2)
			return -1;
		t_len = (size_t)buf[i] << 8 | buf[i + 1];
		skip = 2 + t_len + ((out->flags & 0x6) ? 2 : 0); /* QoS > 0 carries a packet id */
		if (skip > rem)
			return -1;
		out->topic = buf + i + 2;
		out->topic_len = t_len;
		out->payload = buf + i + skip;
		out->payload_len = rem - skip;
	}
	return (long)(i + rem);
}
