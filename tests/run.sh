#!/usr/bin/env bash
# Runs every test suite and prints one closing line "N passed, N failed" (README: make test).
#   tests/run.sh UNIT_BIN...          unit (cmocka, ASan+UBSan), API (node:test), bench smoke
#   tests/run.sh --unit-only BIN...   only the unit binaries
#   tests/run.sh --api-only           only the black-box suites
# Exits non-zero if anything failed.
set -u
cd "$(dirname "$0")/.."

mode=all
case "${1:-}" in
--unit-only) mode=unit; shift ;;
--api-only) mode=api; shift ;;
esac

passed=0
failed=0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

run_unit() {
	local bin=$1 name ok bad rc
	name=$(basename "$bin")
	CMOCKA_MESSAGE_OUTPUT=tap "$bin" >"$out/$name.tap" 2>&1
	rc=$?
	ok=$(grep -c '^ok ' "$out/$name.tap")
	bad=$(grep -c '^not ok ' "$out/$name.tap")
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		bad=1 # crashed (sanitizer report) before reporting a failure
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
	if [ "$bad" -ne 0 ]; then
		echo "FAIL unit/$name"
		cat "$out/$name.tap"
	else
		echo "ok   unit/$name ($ok)"
	fi
}

run_api() {
	local files ok bad rc
	files=$(ls tests/api/*.test.mjs 2>/dev/null)
	[ -n "$files" ] || return 0
	MINGSHI_BIN=${MINGSHI_BIN:-build/asan/mingshi} node --test --test-concurrency=2 \
		--test-reporter=spec --test-reporter-destination=stdout \
		--test-reporter=tap --test-reporter-destination="$out/api.tap" $files
	rc=$?
	ok=$(grep -E '^# pass ' "$out/api.tap" | awk '{print $3}')
	bad=$(grep -E '^# fail ' "$out/api.tap" | awk '{print $3}')
	ok=${ok:-0}
	bad=${bad:-0}
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		bad=1
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
}

# mbedtls's own test suites for the code our patches touch (TLS, AES-GCM, AES), which
# mk/deps.sh builds against the patched library: one count per test case, skipped cases
# (those whose dependencies our configuration leaves out) counted as neither. The library
# changes only when .deps is rebuilt, so the result is kept per build, keyed by the recipe
# hash in .deps/.built-HASH: later runs report it (a changed patch rebuilds, and reruns).
run_mbedtls_suites() {
	local dir=.deps/build/mbedtls/tests built hash kept bin name summary rc ok bad skip whole=1
	built=$(ls .deps/.built-* 2>/dev/null | head -n 1)
	hash=${built##*.built-}
	kept=.deps/.mbedtls-suites-$hash.ok
	if [ -z "$built" ] || ! ls "$dir"/test_suite_* >/dev/null 2>&1; then
		echo "FAIL mbedtls suites: none built in $dir (make deps)"
		failed=$((failed + 1))
		return
	fi
	if [ ! -f "$kept" ]; then
		: >"$out/mbedtls-suites"
		for bin in "$dir"/test_suite_*; do
			case $bin in *.c | *.datax) continue ;; esac
			[ -x "$bin" ] || continue
			name=$(basename "$bin")
			(cd "$dir" && "./$name") >"$out/$name.log" 2>&1
			rc=$?
			summary=$(grep -E '^(PASSED|FAILED) \(' "$out/$name.log" | tail -n 1)
			# PASSED|FAILED (total - failed / total tests (skipped skipped))
			set -- $(printf '%s\n' "$summary" | tr -c '0-9\n' ' ')
			if [ $# -ne 3 ]; then
				set -- 0 1 0 # no summary: it crashed
				whole=0
			fi
			ok=$(($1 - $3))
			bad=$(($2 - $1))
			if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
				bad=1
			fi
			echo "$name $ok $bad $3" >>"$out/mbedtls-suites"
			[ "$bad" -eq 0 ] || grep -B1 -A3 'FAILED$' "$out/$name.log" | head -60
		done
		# kept only when every suite ran to its summary
		if [ "$whole" -eq 1 ] && [ -s "$out/mbedtls-suites" ]; then
			cp "$out/mbedtls-suites" "$kept"
		fi
	else
		cp "$kept" "$out/mbedtls-suites"
		echo "     mbedtls suites: the result kept for this build of .deps ($kept)"
	fi
	while read -r name ok bad skip; do
		passed=$((passed + ok))
		failed=$((failed + bad))
		if [ "$bad" -ne 0 ]; then
			echo "FAIL mbedtls/$name ($ok passed, $bad failed, $skip skipped)"
		else
			echo "ok   mbedtls/$name ($ok passed, $skip skipped)"
		fi
	done <"$out/mbedtls-suites"
}

# Every benchmark scenario for ~2 s against every peer: proves `make bench` still works.
run_bench_smoke() {
	local ok bad rc
	node tests/bench/bench.mjs --smoke >"$out/bench.tap" 2>"$out/bench.err"
	rc=$?
	ok=$(grep -c '^ok ' "$out/bench.tap")
	bad=$(grep -c '^not ok ' "$out/bench.tap")
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		bad=1
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
	if [ "$bad" -ne 0 ]; then
		echo "FAIL bench smoke"
		cat "$out/bench.tap"
		tail -40 "$out/bench.err"
	else
		echo "ok   bench smoke ($ok)"
	fi
}

# The layer rule of DESIGN §3 on includes and on the release build's symbols.
run_layers() {
	if mk/check-layers.sh >"$out/layers.txt" 2>&1; then
		passed=$((passed + 1))
		echo "ok   $(tail -1 "$out/layers.txt")"
	else
		failed=$((failed + 1))
		echo "FAIL layers"
		cat "$out/layers.txt"
	fi
}

if [ "$mode" = all ]; then
	run_layers
fi
if [ "$mode" != api ]; then
	for bin in "$@"; do
		run_unit "$bin"
	done
fi
if [ "$mode" != unit ]; then
	run_api
fi
if [ "$mode" = all ]; then
	run_mbedtls_suites
	run_bench_smoke
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
