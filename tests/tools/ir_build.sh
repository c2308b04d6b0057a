#!/bin/sh
# Builds build-ir/ir_driver without meson, for while the tree's meson build
# is mid-change: util + parse + model + ir + emit/text, from a shadow copy
# that renames node.h's egw_str() constructor if it still collides with the
# public egw_str type.
set -e
cd "$(dirname "$0")/../.."
rm -rf build-ir/src && mkdir -p build-ir/egw build-ir/src
printf '#define EGW_VERSION "0.1.0"\n#define EGW_VERSION_MAJOR 0\n#define EGW_VERSION_MINOR 1\n#define EGW_VERSION_PATCH 0\n' > build-ir/egw/version.h
cp -r src/util src/parse src/model src/ir src/emit build-ir/src/
cp tests/tools/ir_driver.c build-ir/src/
if grep -q '^egw_node \*egw_str(' src/util/node.h; then
  find build-ir/src -name '*.[ch]' | xargs sed -i 's/\begw_str(/egw_node_str(/g'
fi
exec gcc -std=c11 -O1 -g -Wall -Wextra -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
  -Ibuild-ir/src -Iinclude -Ibuild-ir -o build-ir/ir_driver \
  build-ir/src/ir_driver.c build-ir/src/util/*.c build-ir/src/parse/yaml.c \
  build-ir/src/model/*.c $(grep -o "'[a-z_]*\.c'" src/ir/meson.build | tr -d "'" | sed 's|^|build-ir/src/ir/|') \
  $(test -f build-ir/src/emit/text.c && echo build-ir/src/emit/text.c) -lyaml -lm
