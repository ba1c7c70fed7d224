/* core/config: the serve command line and allowed origins (DESIGN §5). */
#include "testutil.h"

#include "core/config.h"

static enum err parse(struct config *c, const char *line, struct error *e)
{
	char buf[512], *argv[32], *save = NULL;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok_r(buf, " ", &save); t && argc < 32; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	config_defaults(c);
	return config_parse_serve(c, argc, argv, e);
}

static void defaults(void **state)
{
	struct config c;
	struct error e;

	(void)state;
	assert_int_equal(parse(&c, "", &e), ERR_OK);
	assert_string_equal(c.listen_host, "127.0.0.1");
	assert_int_equal(c.port, 8443);
	assert_string_equal(c.data_dir, "./var");
	assert_false(c.demo);
	assert_int_equal(c.ws_rate_per_sec, 5);
	assert_int_equal(c.ws_rate_burst, 20);
	assert_int_equal(c.ws_write_interval_ms, 100);
	assert_true(c.ws_write_adaptive);
	assert_true(c.answer_cache);
}

static void options(void **state)
{
	struct config c;
	struct error e;

	(void)state;
	assert_int_equal(
		parse(&c,
		      "--listen 0.0.0.0:9443 --data /srv/ms --demo --origin https://ms.example.edu.cn/",
		      &e),
		ERR_OK);
	assert_string_equal(c.listen_host, "0.0.0.0");
	assert_int_equal(c.port, 9443);
	assert_string_equal(c.data_dir, "/srv/ms");
	assert_true(c.demo);
	assert_string_equal(c.origins[0], "https://ms.example.edu.cn");
	assert_int_equal(parse(&c, "--listen [::1]:8443", &e), ERR_OK);
	assert_string_equal(c.listen_host, "::1");
}

static void bad(void **state)
{
	struct config c;
	struct error e;

	(void)state;
	assert_int_equal(parse(&c, "--listen 127.0.0.1", &e), ERR_INVALID);
	assert_int_equal(parse(&c, "--listen 127.0.0.1:70000", &e), ERR_INVALID);
	assert_int_equal(parse(&c, "--cert a.pem", &e), ERR_INVALID);
	assert_string_equal(e.message, "--cert and --key go together");
	assert_int_equal(parse(&c, "--frobnicate", &e), ERR_INVALID);
	assert_int_equal(parse(&c, "--data", &e), ERR_INVALID);
	assert_int_equal(parse(&c, "--origin ftp://x", &e), ERR_INVALID);
}

static void origins(void **state)
{
	struct config c;
	struct error e;

	(void)state;
	assert_int_equal(
		parse(&c, "--listen 127.0.0.1:18443 --origin https://ms.example.edu.cn", &e),
		ERR_OK);
	config_finish_origins(&c);
	assert_true(config_origin_allowed(&c, "https://127.0.0.1:18443"));
	assert_true(config_origin_allowed(&c, "https://localhost:18443"));
	assert_true(config_origin_allowed(&c, "https://ms.example.edu.cn"));
	assert_false(config_origin_allowed(&c, "https://127.0.0.1:8443"));
	assert_false(config_origin_allowed(&c, "http://127.0.0.1:18443"));
	assert_false(config_origin_allowed(&c, "https://evil.example"));
	assert_false(config_origin_allowed(&c, "null"));
	assert_int_equal(parse(&c, "--listen 10.0.0.5:443", &e), ERR_OK);
	config_finish_origins(&c);
	assert_true(config_origin_allowed(&c, "https://10.0.0.5:443"));
	assert_false(config_origin_allowed(&c, "https://localhost:443"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("config-1.1 defaults are DESIGN §5's", defaults),
		TEST("config-1.2 options override defaults", options),
		TEST("config-1.3 bad options are one clear error", bad),
		TEST("config-1.4 the listen address's own origin is allowed, others not", origins),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
