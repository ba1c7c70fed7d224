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
# clocks, and a line says so. Full output of each binary: build/test-logs/unit/NAME.{tap,err}.
unit_logs=build/test-logs/unit
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
	rm -rf "$unit_logs"
	mkdir -p "$unit_logs"
	mono=$(node -p 'Number(process.hrtime.bigint() / 1000000000n)' 2>/dev/null)
	boot=$(cut -d. -f1 /proc/uptime)
	if [ -n "$mono" ] && [ "$boot" -gt "$mono" ]; then
		unit_slept=$((boot - mono))
	fi
	for how in "" -r; do
		unit_unshare=$how
		# the boot-time clock (/proc/uptime) reads under 10 s inside: the offsets took
		if up=$(unit_clocks cut -d. -f1 /proc/uptime 2>"$unit_logs/unshare.err") &&
			[ "${up:-99}" -lt 10 ]; then
			echo "note unit tests run in a time namespace: clocks from ~1 s (up ${boot} s)"
			return 0
		fi
	done
	unit_unshare=none
	why=$(head -1 "$unit_logs/unshare.err")
	echo "note unit tests run on this machine's clocks (up ${boot} s): no time namespace" \
		"(unshare --time: ${why:-not available})"
}

# Prints a cmocka TAP file's failing cases, each with the lines cmocka wrote under it (the
# failed check and its file:line), indented.
unit_failures() {
	awk '/^not ok / { on = 1; print "  " $0; next }
	     /^(ok |1\.\.)/ || /^# (not )?ok - / { on = 0; next }
	     on && /^#/ { print "    " $0 }' "$1"
}

# Shows FILE from line FROM on, indented, without the shell's own notes (a binary that
# aborted is "run.sh: line N: PID Aborted ...").
unit_show() {
	tail -n +"$(($2 > 1 ? $2 : 1))" "$1" | grep -v -E "^$0: line [0-9]+: " | sed 's/^/  | /'
}

# The first line of a sanitizer report in an stderr file, or nothing.
unit_report_start() {
	grep -n -m1 -E '^==[0-9]+==(ERROR|WARNING): [A-Za-z]+Sanitizer|runtime error:' "$1" |
		cut -d: -f1
}

# Where LeakSanitizer's direct leaks were allocated: for each, the first frame in our own
# source (src/ or tests/), counted; at most five lines.
unit_leak_sites() {
	awk '/^Direct leak/ { look = 1; next }
	     look && /^ +#[0-9]+ .* in .* (src|tests)\/[^ ]+:[0-9]+/ {
		sub(/^ +#[0-9]+ 0x[0-9a-f]+ in /, ""); n[$0]++; look = 0 }
	     /^$/ { look = 0 }
	     END { for (k in n) printf "%6d  %s\n", n[k], k }' "$1" | sort -rn | head -5 |
		sed -E 's/^ +([0-9]+)  /    leaked from (x\1) /'
}

# After failed cases: a sanitizer report that is only LeakSanitizer's (cmocka longjmps out of
# a failing case, leaking what it allocated) is summarised; any other is shown in full, as it
# may be the cause.
unit_report_after_failures() {
	local err=$1 from
	from=$(unit_report_start "$err")
	[ -n "$from" ] || return 0
	if grep -q -E 'ERROR: AddressSanitizer|runtime error:|UndefinedBehaviorSanitizer|ThreadSanitizer' "$err"; then
		echo "  sanitizer report ($err):"
		unit_show "$err" "$from"
		return 0
	fi
	echo "  LeakSanitizer at exit, as after any failed case (cmocka leaves it by longjmp):" \
		"$(grep -m1 '^SUMMARY: ' "$err" | sed -E 's/^SUMMARY: [A-Za-z]+Sanitizer: //')"
	unit_leak_sites "$err"
	echo "  full report: $err"
}

# Runs one cmocka binary, TAP on stdout and the rest (the code's log lines, sanitizer reports)
# on stderr, kept apart, and reports it. A failing binary's report leads with its failing
# cases and cmocka's messages; a binary whose cases all pass but whose sanitizer reports
# fails too, with the report in full.
run_unit() {
	local bin=$1 name ok bad rc total tap err from last
	name=$(basename "$bin")
	tap=$unit_logs/$name.tap
	err=$unit_logs/$name.err
	CMOCKA_MESSAGE_OUTPUT=tap unit_clocks "$bin" >"$tap" 2>"$err"
	rc=$?
	ok=$(grep -c '^ok ' "$tap")
	bad=$(grep -c '^not ok ' "$tap")
	total=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tap" | head -1)
	passed=$((passed + ok))
	if [ "$rc" -eq 0 ] && [ "$bad" -eq 0 ]; then
		echo "ok   unit/$name ($ok)"
		return
	fi
	if [ "$bad" -ne 0 ]; then
		failed=$((failed + bad))
		echo "FAIL unit/$name: $bad of ${total:-?} cases failed"
		unit_failures "$tap"
		unit_report_after_failures "$err"
		echo "  output: $tap, $err"
		return
	fi
	failed=$((failed + 1)) # every reported case passed, yet it failed
	from=$(unit_report_start "$err")
	if [ "$ok" -lt "${total:-0}" ]; then
		last=$(grep '^ok ' "$tap" | tail -1 | sed 's/^ok [0-9]* - //')
		echo "FAIL unit/$name: exit status $rc in case $((ok + 1)) of $total${last:+, after \"$last\"}"
	else
		echo "FAIL unit/$name: all $ok cases passed, then exit status $rc"
	fi
	if [ -n "$from" ]; then
		echo "  sanitizer report ($err):"
		unit_show "$err" "$from"
	else
		echo "  last lines of $err:"
		unit_show "$err" "$(($(wc -l <"$err") - 19))"
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
	unit_setup
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
