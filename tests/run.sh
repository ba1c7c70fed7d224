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

# ---- unit tests --------------------------------------------------------------------------

# The unit binaries run in a time namespace (time_namespaces(7)) whose monotonic and boot-time
# clocks start at about one second, fresh for each binary: code or a test that takes a
# monotonic 0 for "long ago" (writer-1.9 did, on machines up for less than an hour) fails here
# on every machine, not only on one that booted minutes ago. Where no time namespace can be
# made (an old kernel; no privilege for it and no user namespaces) they run on the machine's
# clocks, and a line says so.
unit_unshare=none # how unit_clocks makes the namespace: "", "-r" (as mapped root), or none
unit_slept=0      # seconds CLOCK_MONOTONIC is behind CLOCK_BOOTTIME (time spent suspended)

# Runs "$@", in a fresh time namespace if one can be made.
unit_clocks() {
	local up mono
	if [ "$unit_unshare" = none ]; then
		"$@"
		return
	fi
	up=$(cut -d. -f1 /proc/uptime)
	mono=$((up - unit_slept))
	# shellcheck disable=SC2086 # "" or -r
	unshare $unit_unshare --time --monotonic=-$((mono - 1)) --boottime=-$((up - 1)) "$@"
}

unit_setup() {
	local how up boot mono why
	mono=$(node -p 'Number(process.hrtime.bigint() / 1000000000n)' 2>/dev/null)
	boot=$(cut -d. -f1 /proc/uptime)
	if [ -n "$mono" ] && [ "$boot" -gt "$mono" ]; then
		unit_slept=$((boot - mono))
	fi
	for how in "" -r; do
		unit_unshare=$how
		# the boot-time clock (/proc/uptime) reads under 10 s inside: the offsets took
		if up=$(unit_clocks cut -d. -f1 /proc/uptime 2>"$out/unshare.err") &&
			[ "${up:-99}" -lt 10 ]; then
			echo "note unit tests run in a time namespace: clocks from ~1 s (up ${boot} s)"
			return 0
		fi
	done
	unit_unshare=none
	why=$(head -1 "$out/unshare.err")
	echo "note unit tests run on this machine's clocks (up ${boot} s): no time namespace" \
		"(unshare --time: ${why:-not available})"
}

run_unit() {
	local bin=$1 name ok bad rc
	name=$(basename "$bin")
	CMOCKA_MESSAGE_OUTPUT=tap unit_clocks "$bin" >"$out/$name.tap" 2>&1
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

if [ "$mode" != api ]; then
	unit_setup
	for bin in "$@"; do
		run_unit "$bin"
	done
fi
if [ "$mode" != unit ]; then
	run_api
fi
if [ "$mode" = all ]; then
	run_bench_smoke
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
