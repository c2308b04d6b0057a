#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Runs the Go binding's tests against a libegw build tree (meson's `go`
# suite calls this; it also works by hand):
#
#   bindings/go/run-tests.sh SOURCE_ROOT BUILD_ROOT [go test flags...]
#
# meson writes build/meson-private/libegw.pc for the *install* prefix, so
# this writes BUILD_ROOT/bindings-go/pkgconfig/libegw.pc for the build tree
# (headers from SOURCE_ROOT/include and BUILD_ROOT/include, the library from
# BUILD_ROOT/src, with an rpath) and points PKG_CONFIG_PATH at it.  Go
# modules come from the module proxy on first use (go.sum pins them).
# Exit 77 (meson's "skipped") when go is not installed.
set -eu

src=$(cd "${1:?source root}" && pwd)
build=$(cd "${2:?build root}" && pwd)
shift 2

if ! command -v go >/dev/null 2>&1; then
	echo "go not found: skipping the Go binding tests"
	exit 77
fi

# A libegw built with -Db_sanitize=address needs the ASan runtime loaded
# first, which a Go test binary does not do: the sanitizer jobs cover the C
# side, the plain build covers the binding.
lib="$build/src/libegw.so"
if command -v readelf >/dev/null 2>&1 && [ -e "$lib" ] &&
	readelf -d "$lib" 2>/dev/null | grep -q 'NEEDED.*lib[at]san'; then
	echo "libegw is built with a sanitizer: skipping the Go binding tests"
	exit 77
fi

pcdir="$build/bindings-go/pkgconfig"
mkdir -p "$pcdir"
version=$(sed -n 's/^Version: *//p' "$build/meson-private/libegw.pc" 2>/dev/null || true)
cat >"$pcdir/libegw.pc.tmp" <<PC
# Written by bindings/go/run-tests.sh for the uninstalled build tree.
Name: libegw
Description: libegw from the build tree $build
Version: ${version:-0}
Cflags: -I$src/include -I$build/include
Libs: -L$build/src -Wl,-rpath,$build/src -legw
PC
mv "$pcdir/libegw.pc.tmp" "$pcdir/libegw.pc"

PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
LD_LIBRARY_PATH="$build/src${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PKG_CONFIG_PATH LD_LIBRARY_PATH
export CGO_ENABLED=1
# Tests find the corpus and the ratchet through these.
export EGW_SOURCE_ROOT="$src"
export EGW_BUILD_ROOT="$build"
if [ -z "${HOME:-}" ] && [ -z "${GOPATH:-}" ]; then
	export GOPATH="$build/bindings-go/gopath"
	export GOCACHE="$build/bindings-go/gocache"
fi

here="$src/bindings/go"
rc=0
# Three modules, so that package egw's go.mod stays free of go-control-plane.
for mod in . egwxds examples/xds-server; do
	[ -f "$here/$mod/go.mod" ] || continue
	echo "== go test ./... in bindings/go/$mod"
	(cd "$here/$mod" && go vet ./... && go test "$@" ./...) || rc=1
done
exit $rc
