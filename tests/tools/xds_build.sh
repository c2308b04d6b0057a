#!/bin/sh
# Builds the xds dev driver without meson, so the xds loop keeps running
# while other stages are mid-edit.  util, parse, emit and include come from
# a commit (XDS_BASE, default: the newest of the last 15 commits whose
# versions compile); src/xds and the driver come from the working tree.
# XDS_LIVE=1 builds everything from the working tree instead.
# Output: ${OUT:-/tmp/xdsdev}/xds_driver, replaced only on success.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/xdsdev}
mkdir -p "$OUT/egw"

build() { # $1: snapshot dir
  SNAP=$1
  sed -e 's/@EGW_VERSION@/0.1.0/' -e 's/@EGW_VERSION_MAJOR@/0/' -e 's/@EGW_VERSION_MINOR@/1/' \
      -e 's/@EGW_VERSION_PATCH@/0/' "$SNAP/include/egw/version.h.in" > "$OUT/egw/version.h"
  [ "$SNAP" = "$ROOT" ] || rm -rf "$SNAP/src/xds"
  [ "$SNAP" = "$ROOT" ] || cp -r "$ROOT/src/xds" "$SNAP/src/xds"
  XDS_SRC=$(grep -o "'[a-z_]*\.c'" "$SNAP/src/xds/meson.build" | tr -d "'" | sed "s|^|$SNAP/src/xds/|")
  ${CC:-gcc} -std=c11 -O1 -g -Wall -Wextra -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
    -I"$SNAP/src" -I"$SNAP/include" -I"$OUT" \
    "$SNAP"/src/util/*.c "$SNAP"/src/parse/*.c $(ls "$SNAP"/src/emit/text.c 2>/dev/null) $XDS_SRC \
    "$ROOT/tests/tools/xds_driver.c" -o "$OUT/xds_driver.new" -lyaml -lm
}

if [ "${XDS_LIVE:-0}" = 1 ]; then
  build "$ROOT" && mv "$OUT/xds_driver.new" "$OUT/xds_driver"
  exit $?
fi
REFS=${XDS_BASE:-$(cd "$ROOT" && git rev-list --max-count=15 HEAD)}
for ref in $REFS; do
  SNAP="$OUT/snap"
  rm -rf "$SNAP"; mkdir -p "$SNAP"
  (cd "$ROOT" && git archive "$ref" src/util src/parse include | tar -x -C "$SNAP") || continue
  (cd "$ROOT" && git archive "$ref" src/emit 2>/dev/null | tar -x -C "$SNAP" 2>/dev/null) || true
  if build "$SNAP" 2>"$OUT/build.log"; then
    cat "$OUT/build.log" >&2
    mv "$OUT/xds_driver.new" "$OUT/xds_driver"
    exit 0
  fi
  grep -q "src/xds/" "$OUT/build.log" && { cat "$OUT/build.log" >&2; exit 1; }
done
cat "$OUT/build.log" >&2
exit 1
