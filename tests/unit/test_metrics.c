/* core/metrics: the WebSocket histograms (frame waits and frames per write, by kind) as
 * GET /metrics renders them. */
#include "testutil.h"

#include "core/metrics.h"

/* Asserts that text holds line as one whole line. */
static void has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = strstr(text, line); p; p = strstr(p + 1, line)) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	}
	fail_msg("no line \"%s\" in:\n%s", line, text);
}

/* Each frame's wait lands in its kind's bucket (a negative one, a clock read out of order,
 * counts as 0); the buckets are cumulative, the sum in seconds. */
static void frame_waits_by_kind(void **state)
{
	struct metrics m;
	char *text;

	(void)state;
	metrics_init(&m);
	metrics_observe_ws_wait(&m, METRICS_WS_REPLY, 300000);	       /* 0.3 ms */
	metrics_observe_ws_wait(&m, METRICS_WS_REPLY, -5);	       /* 0 */
	metrics_observe_ws_wait(&m, METRICS_WS_BROADCAST, 700000000);  /* 0.7 s */
	metrics_observe_ws_wait(&m, METRICS_WS_BROADCAST, 1000000);    /* 1 ms: le="0.001" */
	metrics_observe_ws_wait(&m, METRICS_WS_BROADCAST, 3000000000); /* 3 s: +Inf only */
	text = metrics_render(&m);
	assert_non_null(text);
	has_line(text, "# TYPE mingshi_ws_frame_wait_seconds histogram");
	has_line(text, "mingshi_ws_frame_wait_seconds_bucket{kind=\"reply\",le=\"0.001\"} 2");
	has_line(text, "mingshi_ws_frame_wait_seconds_bucket{kind=\"reply\",le=\"+Inf\"} 2");
	has_line(text, "mingshi_ws_frame_wait_seconds_sum{kind=\"reply\"} 0.000300");
	has_line(text, "mingshi_ws_frame_wait_seconds_count{kind=\"reply\"} 2");
	has_line(text, "mingshi_ws_frame_wait_seconds_bucket{kind=\"broadcast\",le=\"0.001\"} 1");
	has_line(text, "mingshi_ws_frame_wait_seconds_bucket{kind=\"broadcast\",le=\"0.5\"} 1");
	has_line(text, "mingshi_ws_frame_wait_seconds_bucket{kind=\"broadcast\",le=\"1\"} 2");
	has_line(text, "mingshi_ws_frame_wait_seconds_bucket{kind=\"broadcast\",le=\"2\"} 2");
	has_line(text, "mingshi_ws_frame_wait_seconds_bucket{kind=\"broadcast\",le=\"+Inf\"} 3");
	has_line(text, "mingshi_ws_frame_wait_seconds_sum{kind=\"broadcast\"} 3.701000");
	has_line(text, "mingshi_ws_frame_wait_seconds_count{kind=\"broadcast\"} 3");
	free(text);
}

/* Writes by kind: buckets of 1, 2, 4 … 64 frames and +Inf. */
static void frames_per_write_by_kind(void **state)
{
	struct metrics m;
	char *text;

	(void)state;
	metrics_init(&m);
	metrics_observe_ws_write(&m, METRICS_WS_REPLY, 1);
	metrics_observe_ws_write(&m, METRICS_WS_REPLY, 2);
	metrics_observe_ws_write(&m, METRICS_WS_BROADCAST, 5);
	metrics_observe_ws_write(&m, METRICS_WS_BROADCAST, 100);
	text = metrics_render(&m);
	assert_non_null(text);
	has_line(text, "# TYPE mingshi_ws_write_frames histogram");
	has_line(text, "mingshi_ws_write_frames_bucket{kind=\"reply\",le=\"1\"} 1");
	has_line(text, "mingshi_ws_write_frames_bucket{kind=\"reply\",le=\"2\"} 2");
	has_line(text, "mingshi_ws_write_frames_sum{kind=\"reply\"} 3");
	has_line(text, "mingshi_ws_write_frames_count{kind=\"reply\"} 2");
	has_line(text, "mingshi_ws_write_frames_bucket{kind=\"broadcast\",le=\"4\"} 0");
	has_line(text, "mingshi_ws_write_frames_bucket{kind=\"broadcast\",le=\"8\"} 1");
	has_line(text, "mingshi_ws_write_frames_bucket{kind=\"broadcast\",le=\"64\"} 1");
	has_line(text, "mingshi_ws_write_frames_bucket{kind=\"broadcast\",le=\"+Inf\"} 2");
	has_line(text, "mingshi_ws_write_frames_sum{kind=\"broadcast\"} 105");
	has_line(text, "mingshi_ws_write_frames_count{kind=\"broadcast\"} 2");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("metrics-1.1 WebSocket frame waits: a histogram per kind, reply and broadcast",
		     frame_waits_by_kind),
		TEST("metrics-1.2 WebSocket frames per write: a histogram per kind",
		     frames_per_write_by_kind),
	};
	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
