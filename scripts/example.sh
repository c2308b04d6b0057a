#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's first command: set up, build, and translate the bundled
# example (a GatewayClass, a Gateway, an HTTPRoute and its Service), printing
# the objects with their statuses, then the xDS that Envoy would receive.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh >/dev/null
B=${EGW_BUILD_DIR:-build}
echo "# statuses (egw translate --to gateway-api)"
"$B/src/egw" translate --from gateway-api --to gateway-api -o yaml -f testdata/examples/quickstart.yaml
echo "# xDS (egw translate --to xds)"
"$B/src/egw" translate --from gateway-api --to xds -o yaml -f testdata/examples/quickstart.yaml
