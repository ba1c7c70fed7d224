#!/bin/sh
# The layer rule of DESIGN §3, checked on what the compiler saw and the linker will resolve,
# not on the text alone:
#   1. includes: a file of one layer includes headers of the layers it may use only;
#   2. symbols: every function or variable an object of the release build uses from another
#      of our objects is defined in a layer it may use (nm), and
#   3. libraries: sqlite3_* is used only from core/ and domain/, lws_* only from net/ and
#      main.c.
# Layers, top to bottom: main → net → api → domain → core, with auth beside api (api and net
# may use it; it may use domain and core). Prints one line per breach and exits 1 if any.
# Usage: mk/check-layers.sh [BUILD_DIR]   (default build/release, after `make`)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build/release}
cd "$top" || exit 2

# The layers a layer may use (itself included).
may_use() {
	case $1 in
	core) echo "core" ;;
	domain) echo "domain core" ;;
	auth) echo "auth domain core" ;;
	api) echo "api auth domain core" ;;
	net) echo "net api auth core" ;;
	main) echo "main net api auth domain core" ;;
	esac
}

# The layer of an object or source file: its directory under src/ (or build/…/), main for
# main.c; the generated objects belong to the layer their contents come from.
layer_of() {
	case $1 in
	*/gen/tables.o) echo api ;;
	*/gen/embedded.o) echo core ;;
	*/main.o | */main.c) echo main ;;
	*) basename "$(dirname "$1")" ;;
	esac
}

allowed() { # LAYER USED
	for l in $(may_use "$1"); do [ "$l" = "$2" ] && return 0; done
	return 1
}

bad=0
breach() {
	echo "layers: $*"
	bad=1
}

# 1. includes
for f in src/main.c src/*/*.c src/*/*.h; do
	from=$(layer_of "$f")
	for inc in $(sed -n 's/^#include "\([a-z]*\)\/.*/\1/p' "$f" | sort -u); do
		allowed "$from" "$inc" || breach "$f ($from) includes a $inc/ header"
	done
done

# 2. and 3. symbols, over the objects of today's sources (a stale object of a removed file
# does not count)
objs=""
for f in src/main.c src/*/*.c; do
	o="$build/${f#src/}"
	objs="$objs ${o%.c}.o"
done
objs="$objs $build/gen/embedded.o $build/gen/tables.o"
for o in $objs; do
	[ -f "$o" ] || { echo "layers: $o is missing (run make first)"; exit 2; }
done
tab=$(mktemp)
trap 'rm -f "$tab"' EXIT
# "D symbol layer" for each definition, "U symbol layer object" for each use
layers=$(for o in $objs; do echo "$o $(layer_of "$o")"; done)
{
	nm -A --defined-only -g $objs | awk '{ sub(/:[^:]*$/, "", $1); print "D", $NF, $1 }'
	nm -A -u $objs | awk '{ sub(/:$/, "", $1); print "U", $NF, $1 }'
} | awk -v layers="$layers" '
	BEGIN { n = split(layers, l, "\n"); for (i = 1; i <= n; i++) { split(l[i], p, " "); of[p[1]] = p[2] } }
	$1 == "D" { print "D", $2, of[$3]; next }
	{ print "U", $2, of[$3], $3 }' >"$tab"
awk -v top="$top/" '
	BEGIN {
		split("core:core domain:core,domain auth:core,domain,auth " \
		      "api:core,domain,auth,api net:core,auth,api,net " \
		      "main:core,domain,auth,api,net,main", rules, " ")
		for (i in rules) {
			split(rules[i], kv, ":")
			n = split(kv[2], to, ",")
			for (j = 1; j <= n; j++)
				may[kv[1] "|" to[j]] = 1
		}
	}
	FNR == NR { if ($1 == "D") def[$2] = $3; next }
	$1 == "U" {
		sym = $2; from = $3; obj = $4; sub(top, "", obj)
		if (sym ~ /^sqlite3_/ && from != "core" && from != "domain")
			bad[++nbad] = obj " (" from ") calls " sym
		else if (sym ~ /^lws_/ && from != "net" && from != "main")
			bad[++nbad] = obj " (" from ") calls " sym
		else if ((sym in def) && !((from "|" def[sym]) in may))
			bad[++nbad] = obj " (" from ") uses " sym " of " def[sym] "/"
	}
	END { for (i = 1; i <= nbad; i++) print "layers: " bad[i]; exit nbad > 0 }' "$tab" "$tab" || bad=1
[ "$bad" = 0 ] && echo "layers: ok ($(echo "$objs" | wc -w) objects)"
exit "$bad"
