#!/bin/sh
# Installs and builds what mingshi links against (DESIGN §2), idempotently:
#   1. Debian packages from bookworm (compiler, cmake, the sqlite3 tool, cmocka, …);
#   2. a deb-src entry for trixie, so `apt-get source` can fetch mbedtls 3.6, lws 4.3.5,
#      SQLite 3.46.1 and jansson 2.14;
#   3. those four source packages, verified against the sha256 in Debian's Sources index,
#      with Debian's own patches and then ours (mk/patches/) applied;
#   4. static builds of all four into .deps/prefix, and mbedtls's own test suites for the code
#      our patches touch, built against the same objects (tests/run.sh runs them).
# Called by `make deps`; every step checks whether it is already done.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
deps="$top/.deps"
prefix="$deps/prefix"
jobs=$(nproc 2>/dev/null || echo 2)

MBEDTLS_VER=3.6.6
LWS_VER=4.3.5
SQLITE_VER=3.46.1
JANSSON_VER=2.14
# tcl: SQLite's build generates its one-file amalgamation with tclsh.
# python3: mbedtls generates its test suites' C from their .function and .data files.
APT_PKGS="build-essential cmake pkg-config curl ca-certificates bzip2 xz-utils patch tcl
          sqlite3 libcmocka-dev libcsv-dev libev-dev openssl python3"

say() { printf 'deps: %s\n' "$*"; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }

# Root runs apt directly; anyone else goes through sudo.
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_update_once() {
	[ "$apt_updated" = 1 ] && return 0
	say "apt-get update"
	as_root apt-get update -qq || die "apt-get update failed"
	apt_updated=1
}

install_packages() {
	missing=""
	for p in $APT_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	apt_update_once
	say "installing:$missing"
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing ||
		die "apt-get install failed for:$missing"
}

# deb-src for trixie only: bookworm's binary packages stay as they are.
add_trixie_src() {
	list=/etc/apt/sources.list.d/mingshi-trixie-src.sources
	if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ ||
		! grep -rqs 'trixie' /etc/apt/sources.list.d/ /etc/apt/sources.list; then
		say "adding the trixie deb-src entry ($list)"
		printf '%s\n' 'Types: deb-src' 'URIs: http://deb.debian.org/debian' 'Suites: trixie' \
			'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' |
			as_root tee "$list" >/dev/null
		apt_updated=0
	fi
	if ! apt-cache showsrc "libwebsockets/trixie" >/dev/null 2>&1 ||
		! apt-cache showsrc libwebsockets 2>/dev/null | grep -q "^Version: $LWS_VER"; then
		apt_updated=0
		apt_update_once
	fi
}

# sha256 of FILE as the Sources index records it for source package PKG at upstream version VER.
indexed_sha256() { # PKG VER FILE
	apt-cache showsrc "$1" 2>/dev/null |
		awk -v ver="$2" -v f="$3" '
			/^Version: / { inver = index($2, ver) == 1 }
			/^Checksums-Sha256:/ { insum = 1; next }
			/^[A-Za-z-]+:/ { insum = 0 }
			insum && inver && $3 == f { print $1; exit }'
}

verified() { # PKG VER FILE
	want=$(indexed_sha256 "$1" "$2" "$3")
	[ -n "$want" ] || return 1
	[ -f "$deps/src/$3" ] || return 1
	got=$(sha256sum "$deps/src/$3" | cut -d' ' -f1)
	[ "$want" = "$got" ]
}

# Fetches the source package. `apt-get source` fetches each file on its own; when a mirror
# lacks Debian's packaging files (seen here for lws 4.3.5-1+deb13u3) we still get the
# upstream tarball, verified against the index, and say that Debian's patches are missing.
fetch_source() { # PKG VER
	mkdir -p "$deps/src"
	(cd "$deps/src" && apt-get source -qq --download-only "$1/trixie" >/dev/null 2>&1) ||
		say "apt-get source $1/trixie was incomplete; checking what arrived"
	orig=$(cd "$deps/src" && ls "$1_$2.orig.tar."* 2>/dev/null | head -n 1)
	[ -n "$orig" ] || die "could not fetch the $1 $2 source (apt-get source $1/trixie)"
	verified "$1" "$2" "$orig" || die "$orig does not match the sha256 in Debian's Sources index"
}

# Unpacks PKG into .deps/PKG-VER, applying Debian's patch series (when its debian.tar
# arrived and verifies) and then ours.
unpack() { # PKG VER PATCH...
	pkg=$1 ver=$2
	shift 2
	tree="$deps/$pkg-$ver"
	rm -rf "$tree" "$deps/unpack"
	mkdir -p "$deps/unpack"
	orig=$(cd "$deps/src" && ls "${pkg}_$ver.orig.tar."* | head -n 1)
	tar -xf "$deps/src/$orig" -C "$deps/unpack"
	mv "$deps/unpack"/* "$tree"
	rmdir "$deps/unpack"
	debtar=$(cd "$deps/src" && ls "${pkg}_$ver-"*.debian.tar.* 2>/dev/null | tail -n 1)
	if [ -n "$debtar" ] && verified "$pkg" "$ver" "$debtar"; then
		tar -xf "$deps/src/$debtar" -C "$tree"
		if [ -f "$tree/debian/patches/series" ]; then
			grep -v '^#' "$tree/debian/patches/series" | while read -r p _; do
				[ -n "$p" ] || continue
				say "$pkg: Debian patch $p"
				patch -s -d "$tree" -p1 <"$tree/debian/patches/$p" || die "Debian patch $p failed"
			done
		fi
	else
		say "WARNING: $pkg: Debian's packaging files could not be fetched; building the verified upstream tarball without Debian's patches"
	fi
	for p in "$@"; do
		say "$pkg: our patch $(basename "$p")"
		patch -s -d "$tree" -p1 <"$p" || die "patch $p failed"
	done
}

# mbedtls's test suites for what our patches change or rely on: TLS (test_suite_ssl), AES-GCM
# and AES (test_suite_gcm.*, test_suite_aes.*, test_suite_cipher.gcm). One per .data file.
mbedtls_suites() {
	for d in "$deps/mbedtls-$MBEDTLS_VER/tests/suites/"test_suite_ssl.data \
		"$deps/mbedtls-$MBEDTLS_VER/tests/suites/"test_suite_gcm.*.data \
		"$deps/mbedtls-$MBEDTLS_VER/tests/suites/"test_suite_aes.*.data \
		"$deps/mbedtls-$MBEDTLS_VER/tests/suites/"test_suite_cipher.gcm.data; do
		basename "$d" .data
	done
}

# The library is built with mbedtls's tests enabled but only the library targets by default;
# the suites above are then built in the same build directory, so they link the very objects
# installed into .deps/prefix. mbedtls-3.6-ssl-test-helpers.patch fits test_suite_ssl's
# handshake helper to our configuration.
build_mbedtls() {
	unpack mbedtls "$MBEDTLS_VER" "$top/mk/patches/mbedtls-3.6-config.patch" \
		"$top/mk/patches/mbedtls-3.6-idle-input-buffer.patch" \
		"$top/mk/patches/mbedtls-3.6-gcm-aesni-bulk.patch" \
		"$top/mk/patches/mbedtls-3.6-idle-output-buffer.patch" \
		"$top/mk/patches/mbedtls-3.6-ssl-test-helpers.patch"
	b="$deps/build/mbedtls"
	cmake -S "$deps/mbedtls-$MBEDTLS_VER" -B "$b" -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
		-DENABLE_TESTING=ON -DENABLE_PROGRAMS=OFF -DGEN_FILES=OFF \
		-DUSE_STATIC_MBEDTLS_LIBRARY=ON -DUSE_SHARED_MBEDTLS_LIBRARY=OFF >/dev/null
	cmake --build "$b" -j "$jobs" --target mbedcrypto mbedx509 mbedtls >/dev/null
	cmake --install "$b" >/dev/null
	say "building mbedtls's test suites: $(mbedtls_suites | tr '\n' ' ')"
	# shellcheck disable=SC2046
	cmake --build "$b" -j "$jobs" $(mbedtls_suites | sed 's/^/--target /') >/dev/null ||
		die "building mbedtls's test suites failed"
}

# lws's feature checks link test programs against MBEDTLS_LIBRARY & co., not against
# LWS_MBEDTLS_LIBRARIES: without them every check fails quietly (ALPN, SNI, …).
build_lws() {
	unpack libwebsockets "$LWS_VER" "$top/mk/patches/lws-4.3.5-mbedtls-tls13.patch" \
		"$top/mk/patches/lws-4.3.5-mbedtls-record-size.patch" \
		"$top/mk/patches/lws-4.3.5-sorted-insert-from-tail.patch" \
		"$top/mk/patches/lws-4.3.5-mbedtls-session-tickets.patch" \
		"$top/mk/patches/lws-4.3.5-validity-timer-lists.patch" \
		"$top/mk/patches/lws-4.3.5-mbedtls-msg-more.patch" \
		"$top/mk/patches/lws-4.3.5-client-rx-bulk-payload.patch" \
		"$top/mk/patches/lws-4.3.5-mbedtls-idle-output-buffer.patch" \
		"$top/mk/patches/lws-4.3.5-mbedtls-read-ahead.patch" \
		"$top/mk/patches/lws-4.3.5-mbedtls-groups.patch"
	lib="$prefix/lib"
	crypto="$lib/libmbedcrypto.a"
	for extra in p256m everest; do
		[ -f "$lib/lib$extra.a" ] && crypto="$crypto;$lib/lib$extra.a"
	done
	cmake -S "$deps/libwebsockets-$LWS_VER" -B "$deps/build/lws" -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_INSTALL_PREFIX="$prefix" -DLWS_STATIC_PIC=ON \
		-DLWS_WITH_SHARED=OFF -DLWS_WITH_STATIC=ON -DLWS_WITHOUT_TESTAPPS=ON \
		-DLWS_WITH_MINIMAL_EXAMPLES=OFF -DLWS_WITHOUT_EXTENSIONS=ON -DLWS_IPV6=ON \
		-DLWS_WITH_HTTP2=OFF -DLWS_WITH_CUSTOM_HEADERS=ON -DLWS_WITH_HTTP_UNCOMMON_HEADERS=ON \
		-DLWS_WITH_SSL=ON -DLWS_WITH_MBEDTLS=ON -DDISABLE_WERROR=ON \
		-DLWS_WITH_LIBEV=ON -DLWS_WITH_EVLIB_PLUGINS=OFF \
		-DLWS_MBEDTLS_INCLUDE_DIRS="$prefix/include" \
		-DLWS_MBEDTLS_LIBRARIES="$lib/libmbedtls.a;$lib/libmbedx509.a;$crypto" \
		-DMBEDTLS_LIBRARY="$lib/libmbedtls.a" -DMBEDX509_LIBRARY="$lib/libmbedx509.a" \
		-DMBEDCRYPTO_LIBRARY="$crypto" >/dev/null
	cfg="$deps/build/lws/lws_config.h"
	for feat in LWS_HAVE_mbedtls_ssl_conf_alpn_protocols LWS_HAVE_mbedtls_ssl_get_alpn_protocol \
		LWS_HAVE_mbedtls_ssl_conf_sni LWS_HAVE_mbedtls_x509_crt_parse_file LWS_HAVE_mbedtls_net_init; do
		grep -q "^#define $feat" "$cfg" || die "lws feature check $feat failed (see $deps/build/lws/CMakeFiles/CMakeError.log)"
	done
	cmake --build "$deps/build/lws" -j "$jobs" >/dev/null
	cmake --install "$deps/build/lws" >/dev/null
}

# SQLite as one static object, built for how mingshi uses it rather than Debian's shared
# library (docs/BENCHMARKS.md has what it bought on the durable-message path):
#   THREADSAFE=2          every connection belongs to one thread (db.c opens them NOMUTEX);
#   DEFAULT_MEMSTATUS=0   no process-wide mutex and counters around every allocation;
#   lookaside left on     Debian's bookworm build omits it: small allocations per connection;
#   DQS=0                 a double-quoted word is an identifier, never a string literal;
#   OMIT_LOAD_EXTENSION   no code is ever loaded into the server from a database or query;
#   FTS5, PREUPDATE_HOOK  search (DESIGN §8) and the writer's access epoch need them;
#   the rest              what SQLite's "recommended compile-time options" drop and we never
#                         use: deprecated interfaces, shared cache, LIKE over BLOBs.
# configure's sqlite_cfg.h carries what it found on this machine (fdatasync, usleep, …).
build_sqlite() {
	unpack sqlite3 "$SQLITE_VER"
	b="$deps/build/sqlite"
	mkdir -p "$b"
	(cd "$b" && "$deps/sqlite3-$SQLITE_VER/configure" --disable-tcl --enable-fts5 >/dev/null &&
		make sqlite3.c >/dev/null) || die "generating the SQLite amalgamation failed"
	"${CC:-cc}" -O2 -g -D_HAVE_SQLITE_CONFIG_H -DNDEBUG -I"$b" -DSQLITE_THREADSAFE=2 \
		-DSQLITE_DEFAULT_MEMSTATUS=0 -DSQLITE_DQS=0 -DSQLITE_OMIT_LOAD_EXTENSION \
		-DSQLITE_OMIT_DEPRECATED -DSQLITE_OMIT_SHARED_CACHE -DSQLITE_LIKE_DOESNT_MATCH_BLOBS \
		-DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_PREUPDATE_HOOK \
		-c "$b/sqlite3.c" -o "$b/sqlite3.o" || die "compiling SQLite failed"
	mkdir -p "$prefix/lib" "$prefix/include"
	ar rcs "$prefix/lib/libsqlite3.a" "$b/sqlite3.o"
	cp "$b/sqlite3.h" "$b/sqlite3ext.h" "$prefix/include/"
}

# jansson, the same version as bookworm's library, built here for one patch of ours: its lexer
# reads a json_loadb() buffer one byte per call (a function pointer, UTF-8 checks and a
# one-byte append each), ~3 µs for a 200-byte chat frame; the patch saves runs of plain
# string characters in one go (docs/ARCHITECTURE.md).
build_jansson() {
	unpack jansson "$JANSSON_VER" "$top/mk/patches/jansson-2.14-load-plain-runs.patch"
	cmake -S "$deps/jansson-$JANSSON_VER" -B "$deps/build/jansson" -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
		-DJANSSON_BUILD_SHARED_LIBS=OFF -DJANSSON_BUILD_DOCS=OFF -DJANSSON_EXAMPLES=OFF \
		-DJANSSON_WITHOUT_TESTS=ON >/dev/null
	cmake --build "$deps/build/jansson" -j "$jobs" >/dev/null
	cmake --install "$deps/build/jansson" >/dev/null
}

# The stamp names the recipe and patches that made .deps, so changing either rebuilds.
recipe_hash() {
	cat "$top/mk/deps.sh" "$top"/mk/patches/*.patch | sha256sum | cut -c1-16
}

main() {
	install_packages
	stamp="$deps/.built-$(recipe_hash)"
	if [ -f "$stamp" ] && [ -f "$prefix/lib/libwebsockets.a" ] &&
		[ -f "$prefix/lib/libsqlite3.a" ] && [ -f "$prefix/lib/libjansson.a" ]; then
		return 0
	fi
	add_trixie_src
	rm -rf "$deps/build" "$prefix" "$deps"/.built-* "$deps"/.mbedtls-suites-*
	fetch_source mbedtls "$MBEDTLS_VER"
	fetch_source libwebsockets "$LWS_VER"
	fetch_source sqlite3 "$SQLITE_VER"
	fetch_source jansson "$JANSSON_VER"
	say "building mbedtls $MBEDTLS_VER"
	build_mbedtls
	say "building libwebsockets $LWS_VER"
	build_lws
	say "building SQLite $SQLITE_VER"
	build_sqlite
	say "building jansson $JANSSON_VER"
	build_jansson
	touch "$stamp"
	say "done: static mbedtls $MBEDTLS_VER, libwebsockets $LWS_VER, SQLite $SQLITE_VER and jansson $JANSSON_VER in $prefix"
}

main "$@"
