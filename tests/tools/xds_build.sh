#!/bin/sh
# Builds the xds dev driver without meson (for when the tree's build is broken
# by in-progress work elsewhere).  Output: ${OUT:-/tmp/xdsdev}/xds_driver
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/xdsdev}
mkdir -p "$OUT/egw"
sed -e 's/@EGW_VERSION@/0.1.0/' -e 's/@EGW_VERSION_MAJOR@/0/' -e 's/@EGW_VERSION_MINOR@/1/' \
    -e 's/@EGW_VERSION_PATCH@/0/' "$ROOT/include/egw/version.h.in" > "$OUT/egw/version.h"
${CC:-gcc} -std=c11 -O1 -g -Wall -Wextra -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
  -I"$ROOT/src" -I"$ROOT/include" -I"$OUT" \
  "$ROOT"/src/util/*.c "$ROOT"/src/parse/*.c "$ROOT"/src/emit/text.c "$ROOT"/src/xds/*.c \
  "$ROOT/tests/tools/xds_driver.c" -o "$OUT/xds_driver" -lyaml -lm
