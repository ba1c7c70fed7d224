# mingshi — build, run and test (README: `make run`, `make test`).
#
#   make            build/mingshi (release: -O2, warnings are errors)
#   make deps       Debian packages, mbedtls + lws from trixie sources (.deps/), npm packages
#   make run        deps + build, then serve the demo on https://127.0.0.1:8443
#   make test       deps + builds, then every suite; ends with "N passed, N failed"
#   make bench      the benchmarks against the Node.js and mosquitto peers (long; docs/BENCHMARKS.md)
#   make bench-smoke every benchmark scenario for ~2 s at small scale (part of make test)
#   make check      layer rules on includes and symbols (DESIGN §3), and clang-format
#   make clean      remove build outputs (not .deps/)

DEPS      := .deps
PREFIX    := $(DEPS)/prefix
DEPS_OK   := $(DEPS)/.ok
NODE_OK   := tests/node_modules/.ok
BENCH_OK  := tests/bench/node_modules/.ok

CC        ?= cc
# `make V=1` shows the commands.
Q         := $(if $(V),,@)
WARN      := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wformat=2 -Wno-format-nonliteral -Werror
BASEFLAGS := -std=c11 -D_GNU_SOURCE -Isrc -I$(PREFIX)/include -MMD -MP -g
LIBS      := $(PREFIX)/lib/libwebsockets.a $(PREFIX)/lib/libmbedtls.a \
             $(PREFIX)/lib/libmbedx509.a $(PREFIX)/lib/libmbedcrypto.a \
             $(PREFIX)/lib/libsqlite3.a $(PREFIX)/lib/libjansson.a -lcsv -lev -lpthread -lm

# User CFLAGS append, never replace (STYLE 9).
RELEASE_CFLAGS := $(BASEFLAGS) $(WARN) -O2 -DNDEBUG $(CFLAGS)
SANITIZE       ?= address,undefined
ASAN_CFLAGS    := $(BASEFLAGS) $(WARN) -O1 -fno-omit-frame-pointer -fsanitize=$(SANITIZE) \
                  -fno-sanitize-recover=undefined $(CFLAGS)

SRC        := $(sort $(wildcard src/core/*.c src/auth/*.c src/domain/*.c src/api/*.c src/net/*.c))
MIGRATIONS := $(sort $(wildcard db/migrations/*.sql))
EMBED_SRC  := build/gen/embedded.c
TABLES_SRC := build/gen/tables.c
API_SRC    := $(sort $(wildcard src/api/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))

GEN_OBJ  = build/$(1)/gen/embedded.o build/$(1)/gen/tables.o
REL_OBJ  := $(patsubst src/%.c,build/release/%.o,$(SRC)) $(call GEN_OBJ,release)
ASAN_OBJ := $(patsubst src/%.c,build/asan/%.o,$(SRC)) $(call GEN_OBJ,asan)
UNIT_BIN := $(patsubst tests/unit/%.c,build/asan/tests/%,$(UNIT_SRC)) \
            build/asan/tests/test_bench_gen

# The benchmark load generator (tests/bench/gen) and its unit tests.
GEN_SRC  := tests/bench/gen/hist.c tests/bench/gen/proto.c tests/bench/gen/track.c
GEN_HDR  := $(GEN_SRC:.c=.h)

.PHONY: all deps run test test-unit test-api check clean install bench bench-smoke bench-deps
all: build/mingshi

# ---- dependencies ------------------------------------------------------------------------

deps: $(DEPS_OK) $(NODE_OK)

$(DEPS_OK): mk/deps.sh $(wildcard mk/patches/*.patch)
	mk/deps.sh
	@touch $@

$(NODE_OK): tests/package.json tests/package-lock.json
	cd tests && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

bench-deps: $(BENCH_OK)

# After $(DEPS_OK): both call apt-get, which refuses to run twice at once (make -j).
$(BENCH_OK): mk/bench-deps.sh tests/bench/package.json tests/bench/package-lock.json | $(DEPS_OK)
	mk/bench-deps.sh
	@touch $@

# Every object needs the headers of .deps: build them first.
$(REL_OBJ) $(ASAN_OBJ): | $(DEPS_OK)

# ---- the binary --------------------------------------------------------------------------

$(EMBED_SRC): mk/embed.sh $(MIGRATIONS) db/demo.sql db/common-passwords.txt
	@mkdir -p $(dir $@)
	mk/embed.sh $@ $(MIGRATIONS) -- db/demo.sql db/common-passwords.txt

build/release/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(RELEASE_CFLAGS) -c $< -o $@

# The route and frame tables of src/api (API_ROUTES, API_FRAMES), listed for the router and
# the frame dispatcher: a new api file is picked up without a central list to edit. The file
# is replaced only when its text changes, so editing a handler does not recompile it.
$(TABLES_SRC): mk/tables.sh $(API_SRC)
	@mkdir -p $(dir $@)
	$(Q)mk/tables.sh $@.new $(API_SRC) && \
		if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

build/release/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(RELEASE_CFLAGS) -c $< -o $@

build/release/main.o: src/main.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(RELEASE_CFLAGS) -c $< -o $@

build/mingshi: build/release/main.o $(REL_OBJ) $(DEPS_OK)
	@echo "  LD      $@"
	$(Q)$(CC) $(RELEASE_CFLAGS) -o $@ $(filter %.o,$^) $(LIBS) $(LDFLAGS)

# ---- sanitizer build for the tests -------------------------------------------------------

build/asan/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -c $< -o $@

build/asan/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -c $< -o $@

build/asan/main.o: src/main.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -c $< -o $@

build/asan/mingshi: build/asan/main.o $(ASAN_OBJ) $(DEPS_OK)
	@echo "  LD      $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -o $@ $(filter %.o,$^) $(LIBS) $(LDFLAGS)

build/asan/tests/%: tests/unit/%.c tests/unit/testutil.h $(ASAN_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -Itests/unit -o $@ $< $(ASAN_OBJ) $(LIBS) -lcmocka $(UNIT_LDFLAGS) $(LDFLAGS)

# test_writer gives the writer a clock of its own (see the test).
build/asan/tests/test_writer: UNIT_LDFLAGS := -Wl,--wrap=clock_mono_us

build/asan/tests/test_bench_gen: tests/bench/test_gen.c $(GEN_SRC) $(GEN_HDR)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -Itests/bench/gen -o $@ $< $(GEN_SRC) -lcmocka -lm $(LDFLAGS)

build/bench/msgen: tests/bench/gen/msgen.c $(GEN_SRC) $(GEN_HDR) $(DEPS_OK)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(RELEASE_CFLAGS) -Itests/bench/gen -o $@ $< $(GEN_SRC) $(LIBS) $(LDFLAGS)

# ---- run and test ------------------------------------------------------------------------

run: deps build/mingshi
	build/mingshi serve --data var --demo

test: deps build/mingshi build/asan/mingshi $(UNIT_BIN) $(BENCH_OK) build/bench/msgen
	@tests/run.sh $(UNIT_BIN)

test-unit: deps $(UNIT_BIN)
	@tests/run.sh --unit-only $(UNIT_BIN)

test-api: deps build/mingshi build/asan/mingshi
	@tests/run.sh --api-only

# Pins the servers to core 0 and the load to core 1: run on an otherwise idle machine.
bench: deps $(BENCH_OK) build/mingshi build/bench/msgen
	node tests/bench/bench.mjs

bench-smoke: deps $(BENCH_OK) build/mingshi build/bench/msgen
	node tests/bench/bench.mjs --smoke

# The layer rule (DESIGN §3) on includes and on the release objects' symbols, then the format.
check: build/mingshi
	@mk/check-layers.sh
	@clang-format --dry-run --Werror $(SRC) src/main.c $(wildcard src/*/*.h) $(UNIT_SRC) \
		tests/bench/gen/*.[ch] tests/bench/test_gen.c
	@echo "check: ok"

install: build/mingshi
	install -D -m 0755 build/mingshi $(DESTDIR)/usr/local/bin/mingshi

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
