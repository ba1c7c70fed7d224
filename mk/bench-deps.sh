#!/bin/sh
# Installs what the benchmarks need beyond `make deps` (docs/BENCHMARKS.md), idempotently:
# Debian's mosquitto (the C broker peer) and wrk (the REST load), util-linux's taskset and
# prlimit (pinning, descriptor limits), and the Node.js peer's npm packages (ws, better-sqlite3
# 12 — 13 crashes on Node 20). Called by `make bench`, `make bench-smoke` and so `make test`.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
PKGS="mosquitto wrk util-linux sqlite3 openssl"

say() { printf 'bench-deps: %s\n' "$*"; }
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	say "apt-get install$missing"
	as_root apt-get update -qq
	# The package would start a system broker on 1883; the benchmarks start their own.
	as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq \
		--no-install-recommends $missing >/dev/null
fi

# Debian's mosquitto must have its websockets listener (the peer is reached over wss).
[ -x /usr/sbin/mosquitto ] || { echo "bench-deps: /usr/sbin/mosquitto missing" >&2; exit 1; }

say "npm ci (tests/bench)"
cd "$top/tests/bench" && npm ci --no-audit --no-fund --loglevel=error
