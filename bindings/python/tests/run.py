#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Runs the Python bindings' tests for meson (suite 'python').

Exit 77 (meson's "skipped") when cffi or pytest is missing, so a machine
without them still passes `meson test`; otherwise pytest's exit code.
"""
import os
import sys

try:
    import cffi  # noqa: F401
    import pytest
except ImportError as e:
    print(f"python bindings tests skipped: {e}", file=sys.stderr)
    sys.exit(77)

here = os.path.dirname(os.path.abspath(__file__))
args = ["-q", "-rs", "-p", "no:cacheprovider", here] + sys.argv[1:]
sys.exit(pytest.main(args))
