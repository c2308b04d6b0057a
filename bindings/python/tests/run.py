#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Runs the Python bindings' tests for meson (suite 'python').

Exit 77 (meson's "skipped") when cffi or pytest is missing, so a machine
without them still passes `meson test`; otherwise pytest's exit code.

A libegw built with -Db_sanitize=address can only be loaded into a process
that has the ASan runtime first: then the tests run again under
LD_PRELOAD of the compiler's libasan (leak checking off: CPython keeps its
objects at exit), so the sanitizer jobs check the bindings' use of the
library too.  Without a libasan to preload they are skipped.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path


def _library():
    env = os.environ.get("EGW_LIBRARY_PATH", "")
    for part in env.split(os.pathsep) if env else []:
        p = Path(part)
        for cand in ([p] if p.is_file() else [p / "libegw.so.0", p / "libegw.so"]):
            if cand.is_file():
                return cand
    return None


def _needs_asan(lib):
    if lib is None or not shutil.which("readelf"):
        return False
    out = subprocess.run(["readelf", "-d", str(lib)], capture_output=True, text=True)
    return "libasan" in out.stdout


def _asan_runtime():
    for cc in (os.environ.get("CC", ""), "cc", "gcc", "clang"):
        if not cc or not shutil.which(cc.split()[0]):
            continue
        out = subprocess.run(cc.split() + ["-print-file-name=libasan.so"],
                             capture_output=True, text=True)
        p = out.stdout.strip()
        if out.returncode == 0 and os.path.isabs(p) and os.path.exists(p):
            return p
    return None


def main():
    try:
        import cffi  # noqa: F401
        import pytest
    except ImportError as e:
        print(f"python bindings tests skipped: {e}", file=sys.stderr)
        return 77

    if _needs_asan(_library()) and "libasan" not in os.environ.get("LD_PRELOAD", ""):
        rt = _asan_runtime()
        if rt is None:
            print("libegw is built with ASan and no libasan.so to preload: skipped",
                  file=sys.stderr)
            return 77
        env = dict(os.environ)
        env["LD_PRELOAD"] = " ".join(x for x in (rt, env.get("LD_PRELOAD", "")) if x)
        opts = env.get("ASAN_OPTIONS", "")
        env["ASAN_OPTIONS"] = ":".join(x for x in (opts, "detect_leaks=0") if x)
        print(f"libegw is built with ASan: running under LD_PRELOAD={rt}", file=sys.stderr)
        return subprocess.run([sys.executable] + sys.argv, env=env).returncode

    here = os.path.dirname(os.path.abspath(__file__))
    args = ["-q", "-rs", "-p", "no:cacheprovider", here] + sys.argv[1:]
    return pytest.main(args)


if __name__ == "__main__":
    sys.exit(main())
