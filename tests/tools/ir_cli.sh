#!/bin/sh
# Driver adaptor for ir_compare.py: runs the public CLI the way the
# conformance contract does.  Usage: ir_cli.sh IN.yaml CONFIG.yaml CONTROLLER_NS
exec "$(dirname "$0")/../../build/src/egw" translate --from gateway-api --to gateway-api,ir \
  --config "$2" -o json -f "$1" --controller-namespace "$3"
