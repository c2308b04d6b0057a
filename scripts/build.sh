#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures (once) and builds libegw into build/ (or $EGW_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${EGW_BUILD_DIR:-build}
if [ ! -f "$B/build.ninja" ]; then
  meson setup "$B" ${EGW_MESON_ARGS:-} >/dev/null
elif [ -n "${EGW_MESON_ARGS:-}" ]; then
  meson configure "$B" ${EGW_MESON_ARGS} >/dev/null
fi
ninja -C "$B"
