/* Unit tests of the load generator's own arithmetic and wire formats (tests/bench/gen): if
 * these are wrong, every benchmark figure is. Run by `make test` under ASan+UBSan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "hist.h"
#include "proto.h"
#include "track.h"

#define TEST(name, fn)                     \
	{                                  \
		name, fn, NULL, NULL, NULL \
	}

static struct hist h, h2;

/* hist-1.1: an empty histogram reports zeros. */
static void hist_empty(void **state)
{
	(void)state;
	hist_reset(&h);
	assert_int_equal(hist_percentile(&h, 50), 0);
	assert_int_equal(hist_percentile(&h, 100), 0);
	assert_true(hist_mean(&h) == 0.0);
	assert_int_equal(h.total, 0);
}

/* hist-1.2: below 128 every value has its own bucket, so percentiles are exact. */
static void hist_small_exact(void **state)
{
	(void)state;
	hist_reset(&h);
	for (uint64_t v = 1; v <= 100; v++)
		hist_record(&h, v);
	assert_int_equal(h.total, 100);
	assert_int_equal(hist_percentile(&h, 50), 50);
	assert_int_equal(hist_percentile(&h, 99), 99);
	assert_int_equal(hist_percentile(&h, 99.9), 100);
	assert_int_equal(hist_percentile(&h, 100), 100);
	assert_int_equal(h.min, 1);
	assert_true(hist_mean(&h) == 50.5);
}

/* hist-1.3: large values are reported at most 1/128 above the true percentile, never below. */
static void hist_relative_error(void **state)
{
	uint64_t p50, p99;

	(void)state;
	hist_reset(&h);
	/* 1 000 000 ns .. 1 999 999 ns in steps of 100 ns: p50 is 1 499 900, p99 1 989 900 */
	for (uint64_t v = 1000000; v < 2000000; v += 100)
		hist_record(&h, v);
	p50 = hist_percentile(&h, 50);
	p99 = hist_percentile(&h, 99);
	assert_true(p50 >= 1499900 && p50 - 1499900 <= 1499900 / 128);
	assert_true(p99 >= 1989900 && p99 - 1989900 <= 1989900 / 128);
	assert_int_equal(hist_percentile(&h, 100), 1999900);
}

/* hist-1.4: every value lies in its bucket, buckets only grow, and the top one holds
 * UINT64_MAX without overflow. */
static void hist_buckets(void **state)
{
	uint64_t v = 1;
	unsigned last = 0;

	(void)state;
	for (int i = 0; i < 4000; i++) {
		unsigned ix = hist_index(v);
		uint64_t high = hist_bucket_high(ix);

		assert_true(ix >= last);
		assert_true(ix < HIST_BUCKETS);
		assert_true(high >= v);
		assert_true(high - v <= v / 128);
		last = ix;
		v += v / 97 + 1;
		if (v > UINT64_MAX / 2)
			break;
	}
	assert_int_equal(hist_index(UINT64_MAX), HIST_BUCKETS - 1);
	assert_true(hist_bucket_high(HIST_BUCKETS - 1) == UINT64_MAX);
	assert_int_equal(hist_index(127), 127);
	assert_int_equal(hist_index(128), 128);
	assert_int_equal(hist_index(255), 255);
	assert_int_equal(hist_index(256), 256);
	assert_int_equal(hist_index(257), 256); /* 256 and 257 share a bucket of width 2 */
	assert_int_equal(hist_bucket_high(256), 257);
}

/* hist-1.5: one outlier in a thousand moves p99.9 and max but not p99. */
static void hist_outlier(void **state)
{
	(void)state;
	hist_reset(&h);
	for (int i = 0; i < 999; i++)
		hist_record(&h, 1000000); /* 1 ms */
	hist_record(&h, 1000000000);	  /* 1 s */
	assert_true(hist_percentile(&h, 99) - 1000000 <= 1000000 / 128);
	assert_true(hist_percentile(&h, 99.9) - 1000000 <= 1000000 / 128);
	assert_int_equal(hist_percentile(&h, 99.95), 1000000000);
	assert_int_equal(h.max, 1000000000);
	assert_int_equal(h.min, 1000000);
}

/* hist-1.6: merging equals recording everything in one histogram. */
static void hist_merge_equal(void **state)
{
	struct hist *all = test_malloc(sizeof(*all));

	(void)state;
	hist_reset(&h);
	hist_reset(&h2);
	hist_reset(all);
	for (uint64_t v = 1; v < 100000; v += 7) {
		hist_record(v % 2 ? &h : &h2, v * 13);
		hist_record(all, v * 13);
	}
	hist_merge(&h, &h2);
	assert_memory_equal(h.counts, all->counts, sizeof(h.counts));
	assert_int_equal(h.total, all->total);
	assert_int_equal(h.max, all->max);
	assert_int_equal(h.min, all->min);
	assert_int_equal(hist_percentile(&h, 99), hist_percentile(all, 99));
	test_free(all);
}

/* payload-2.1: a payload is exactly the requested size and reads back. */
static void payload_roundtrip(void **state)
{
	char buf[200];
	struct payload in = { .t_ns = 0x1234abcdef, .pub = 49, .seq = 123456789 }, out;

	(void)state;
	assert_int_equal(payload_make(buf, 120, &in), 120);
	assert_memory_equal(buf, "t0000001234abcdef p49 s123456789 xxx", 36);
	assert_int_equal(buf[119], 'x');
	assert_int_equal(payload_parse(buf, 120, &out), 0);
	assert_true(out.t_ns == in.t_ns && out.pub == 49 && out.seq == 123456789);
	assert_int_equal(payload_make(buf, PAYLOAD_MIN - 1, &in), 0);
}

/* payload-2.2: anything else is refused. */
static void payload_malformed(void **state)
{
	struct payload out;

	(void)state;
	assert_int_equal(payload_parse("hello", 5, &out), -1);
	assert_int_equal(payload_parse("t12 p1 s2", 9, &out), -1);   /* no trailing space */
	assert_int_equal(payload_parse("t1g p1 s2 ", 10, &out), -1); /* not hex */
	assert_int_equal(payload_parse("t ff p1 s2 ", 11, &out), -1);
	assert_int_equal(payload_parse("tffffffffffffffffff p1 s2 ", 26, &out), -1); /* overflow */
	assert_int_equal(payload_parse("tff p1 s2 ", 10, &out), 0);
	assert_true(out.t_ns == 255 && out.pub == 1 && out.seq == 2);
}

/* mingshi-3.1: the frames the generator sends are exactly mingshi.v1's. */
static void mingshi_frames(void **state)
{
	char f[256];
	size_t n;

	(void)state;
	n = mingshi_join(f, sizeof(f), "studio:1", 42);
	assert_string_equal(f, "{\"type\":\"join\",\"room\":\"studio:1\",\"since\":42}");
	assert_int_equal(n, strlen(f));
	n = mingshi_send(f, sizeof(f), "studio:1", 0xbeef, 7, 99, "hi", 2);
	assert_string_equal(f, "{\"type\":\"send\",\"room\":\"studio:1\",\"client_id\":"
			       "\"rbeefg7-99\",\"text\":\"hi\"}");
	assert_int_equal(n, strlen(f));
	assert_int_equal(mingshi_send(f, 20, "studio:1", 1, 7, 99, "hi", 2), 0); /* does not fit */
}

/* mingshi-3.2: server frames, as mingshi writes them, are recognised. */
static void mingshi_classify_frames(void **state)
{
	static const char MSG[] =
		"{\"type\":\"message\",\"room\":\"studio:1\",\"message\":{\"id\":8,\"room\":\"studio:1\","
		"\"user\":{\"id\":4,\"name\":\"王晓雨\",\"role\":\"teacher\"},\"kind\":\"chat\","
		"\"text\":\"t00000000000003e8 p3 s17 xxxx\",\"reply_to\":null}}";
	static const char ACK[] = "{\"type\":\"ack\",\"client_id\":\"r1fg12-345\",\"id\":8}";
	static const char OTHER_TEXT[] =
		"{\"type\":\"message\",\"room\":\"studio:1\",\"message\":{\"text\":\"你好\"}}";
	struct payload p;
	uint32_t conn = 0;
	uint64_t seq = 0;

	(void)state;
	assert_int_equal(mingshi_classify(MSG, strlen(MSG), &p, &conn, &seq), MF_MESSAGE);
	assert_true(p.t_ns == 1000 && p.pub == 3 && p.seq == 17);
	assert_int_equal(mingshi_classify(ACK, strlen(ACK), &p, &conn, &seq), MF_ACK);
	assert_true(conn == 12 && seq == 345);
	assert_int_equal(mingshi_classify(OTHER_TEXT, strlen(OTHER_TEXT), &p, &conn, &seq),
			 MF_OTHER);
	assert_int_equal(mingshi_classify("{\"type\":\"joined\",\"room\":\"studio:1\"}", 35, &p,
					  &conn, &seq),
			 MF_JOINED);
	assert_int_equal(
		mingshi_classify("{\"type\":\"error\",\"code\":\"invalid\"}", 33, &p, &conn, &seq),
		MF_ERROR);
	assert_int_equal(mingshi_classify("{\"type\":\"pong\"}", 15, &p, &conn, &seq), MF_PONG);
	assert_int_equal(
		mingshi_classify("{\"type\":\"ack\",\"client_id\":\"x1\"}", 32, &p, &conn, &seq),
		MF_OTHER);
	assert_int_equal(
		mingshi_classify("{\"type\":\"ack\",\"client_id\":\"r1g2\"}", 34, &p, &conn, &seq),
		MF_OTHER); /* no sequence */
	assert_int_equal(mingshi_classify("{\"ty", 4, &p, &conn, &seq), MF_OTHER);
}

/* mqtt-4.1: CONNECT and SUBSCRIBE are byte-exact MQTT 3.1.1. */
static void mqtt_control(void **state)
{
	static const uint8_t CONNECT[] = { 0x10, 14, 0, 4, 'M', 'Q', 'T', 'T',
					   4,	 2,  0, 0, 0,	2,   'a', 'b' };
	static const uint8_t SUB[] = { 0x82, 8, 0, 1, 0, 3, 'a', '/', 'b', 0 };
	uint8_t buf[64];

	(void)state;
	assert_int_equal(mqtt_connect(buf, sizeof(buf), "ab"), sizeof(CONNECT));
	assert_memory_equal(buf, CONNECT, sizeof(CONNECT));
	assert_int_equal(mqtt_subscribe(buf, sizeof(buf), 1, "a/b"), sizeof(SUB));
	assert_memory_equal(buf, SUB, sizeof(SUB));
	assert_int_equal(mqtt_connect(buf, sizeof(buf), "a-client-id-longer-than-23"), 0);
}

/* mqtt-4.2: PUBLISH round-trips, with a two-byte remaining length past 127. */
static void mqtt_publish_parse(void **state)
{
	uint8_t buf[512], body[200];
	struct mqtt_packet pk;
	size_t n;

	(void)state;
	memset(body, 'x', sizeof(body));
	n = mqtt_publish(buf, sizeof(buf), "room", body, sizeof(body));
	assert_int_equal(n, 1 + 2 + 2 + 4 + 200);
	assert_int_equal(buf[0], 0x30);
	assert_int_equal(buf[1], (206 % 128) | 0x80);
	assert_int_equal(buf[2], 206 / 128);
	assert_int_equal(mqtt_parse(buf, n, &pk), (long)n);
	assert_int_equal(pk.type, MQTT_PUBLISH);
	assert_int_equal(pk.topic_len, 4);
	assert_memory_equal(pk.topic, "room", 4);
	assert_int_equal(pk.payload_len, 200);
	assert_memory_equal(pk.payload, body, 200);
	/* a packet cut anywhere needs more bytes */
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(mqtt_parse(buf, cut, &pk), 0);
}

/* mqtt-4.3: back-to-back packets parse one at a time; a bad length is refused. */
static void mqtt_stream(void **state)
{
	static const uint8_t TWO[] = { 0x90, 3, 0, 1, 0, 0x30, 5, 0, 1, 't', 'h', 'i' };
	static const uint8_t BAD[] = { 0x30, 0xff, 0xff, 0xff, 0xff, 0x01 };
	struct mqtt_packet pk;

	(void)state;
	assert_int_equal(mqtt_parse(TWO, sizeof(TWO), &pk), 5);
	assert_int_equal(pk.type, MQTT_SUBACK);
	assert_int_equal(mqtt_parse(TWO + 5, sizeof(TWO) - 5, &pk), 7);
	assert_int_equal(pk.type, MQTT_PUBLISH);
	assert_int_equal(pk.payload_len, 2);
	assert_memory_equal(pk.payload, "hi", 2);
	assert_int_equal(mqtt_parse(BAD, sizeof(BAD), &pk), -1);
}

/* track-5.1: in order, duplicate, gap and a stranger's publisher number. */
static void track_sequences(void **state)
{
	struct track t;

	(void)state;
	assert_int_equal(track_init(&t, 2), 0);
	assert_int_equal(track_see(&t, 0, 0), TRACK_OK);
	assert_int_equal(track_see(&t, 0, 1), TRACK_OK);
	assert_int_equal(track_see(&t, 1, 0), TRACK_OK);
	assert_int_equal(track_see(&t, 0, 1), TRACK_DUP);
	assert_int_equal(track_see(&t, 0, 5), TRACK_GAP);
	assert_int_equal(track_see(&t, 0, 3), TRACK_DUP); /* late: counted once, as a duplicate */
	assert_int_equal(track_see(&t, 0, 6), TRACK_OK);
	assert_int_equal(track_see(&t, 2, 0), TRACK_BAD);
	assert_int_equal(t.received, 5);
	assert_int_equal(t.dups, 2);
	assert_int_equal(t.gaps, 1);
	track_free(&t);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		TEST("hist-1.1", hist_empty),
		TEST("hist-1.2", hist_small_exact),
		TEST("hist-1.3", hist_relative_error),
		TEST("hist-1.4", hist_buckets),
		TEST("hist-1.5", hist_outlier),
		TEST("hist-1.6", hist_merge_equal),
		TEST("payload-2.1", payload_roundtrip),
		TEST("payload-2.2", payload_malformed),
		TEST("mingshi-3.1", mingshi_frames),
		TEST("mingshi-3.2", mingshi_classify_frames),
		TEST("mqtt-4.1", mqtt_control),
		TEST("mqtt-4.2", mqtt_publish_parse),
		TEST("mqtt-4.3", mqtt_stream),
		TEST("track-5.1", track_sequences),
	};

	return cmocka_run_group_tests_name("bench_gen", tests, NULL, NULL);
}
