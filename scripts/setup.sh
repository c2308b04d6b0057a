#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what a fresh Debian machine lacks to build and test libegw.
# Idempotent: it installs nothing that is already there.
set -euo pipefail

need_apt=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for p in meson ninja-build pkg-config gcc protobuf-c-compiler libprotobuf-c-dev \
         libprotobuf-dev libjansson-dev libyaml-dev libxxhash-dev check; do
  have_pkg "$p" || need_apt+=("$p")
done
if [ "${EGW_SETUP_VALGRIND:-1}" = 1 ] && ! have_pkg valgrind; then need_apt+=(valgrind); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Python side (conformance runner, bindings tests): the python3 on PATH.
PY=${PYTHON:-python3}
missing_py=()
$PY -c 'import yaml' 2>/dev/null || missing_py+=(pyyaml)
if [ "${EGW_SETUP_PYTHON_EXTRA:-1}" = 1 ]; then
  $PY -c 'import cffi' 2>/dev/null || missing_py+=(cffi)
  $PY -c 'import pytest' 2>/dev/null || missing_py+=(pytest)
  # Envoy's own message classes: the wire-compatibility tests decode our bytes with them
  $PY -c 'import envoy.config.listener.v3.listener_pb2' 2>/dev/null || missing_py+=(xds-protos==1.85.0)
fi
if [ ${#missing_py[@]} -gt 0 ]; then
  echo "setup: pip installing ${missing_py[*]}" >&2
  $PY -m pip install -q "${missing_py[@]}" 2>/dev/null ||
    $PY -m pip install -q --break-system-packages "${missing_py[@]}"
fi
