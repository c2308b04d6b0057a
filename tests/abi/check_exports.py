#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The shared library exports exactly the functions egw.h declares (jansson's
check-exports idea): nothing internal leaks, nothing public is missing."""
import re
import subprocess
import sys

header, lib = sys.argv[1], sys.argv[2]
text = open(header).read()
declared = set(re.findall(r"EGW_EXTERN[^;]*?\b(egw_[a-z0-9_]+)\s*\(", text, re.S))
out = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True, check=True).stdout
exported = {l.split()[-1].split("@")[0] for l in out.splitlines() if " T " in l}
missing = sorted(declared - exported)
extra = sorted(exported - declared)
if missing:
    print("declared but not exported:", ", ".join(missing))
if extra:
    print("exported but not declared:", ", ".join(extra))
print(f"{len(declared)} public functions, {len(exported)} exported")
sys.exit(1 if missing or extra else 0)
