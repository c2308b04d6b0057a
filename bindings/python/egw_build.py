# SPDX-License-Identifier: Apache-2.0
"""cffi build script for API mode: compiles ``egw._native`` against libegw.

Used by setup.py (``cffi_modules``) and runnable by hand::

    python3 egw_build.py            # builds egw/_native*.so in place

The cdef is generated from the header that the extension is compiled
against, so the C compiler checks every declaration the bindings use.

Where the header and the library are taken from, first hit wins:

* ``EGW_INCLUDE_DIR`` / ``EGW_LIBRARY_PATH`` (a directory, or the library file);
* ``pkg-config libegw`` (an installed libegw);
* this source tree: ``include/`` and ``<build>/include`` for the header,
  ``<build>/src`` for the library, where ``<build>`` is ``EGW_BUILD_DIR``
  or ``build`` at the repository root.
"""
from __future__ import annotations

import importlib.util
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any, Dict, List

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

# The callbacks the package hands to libegw (see egw/_loader.py).
EXTERN_PYTHON = """
extern "Python" int egw_py_hook(void *, egw_hook_point, egw_str, egw_str, egw_str *);
extern "Python" int egw_py_fetch(void *, egw_str, egw_fetch_response *);
"""


def load_cdef_module() -> Any:
    spec = importlib.util.spec_from_file_location("_egw_cdef", HERE / "egw" / "_cdef.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _pkgconfig(*args: str) -> List[str]:
    try:
        out = subprocess.run(["pkg-config", *args, "libegw"], capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    return shlex.split(out.stdout) if out.returncode == 0 else []


def locate() -> Dict[str, Any]:
    """The include dirs, library dirs and header path to build against."""
    build = Path(os.environ.get("EGW_BUILD_DIR", REPO / "build")).resolve()
    inc: List[str] = []
    libdirs: List[str] = []
    if os.environ.get("EGW_INCLUDE_DIR"):
        inc += [str(Path(p).resolve()) for p in os.environ["EGW_INCLUDE_DIR"].split(os.pathsep)]
    if os.environ.get("EGW_LIBRARY_PATH"):
        for p in os.environ["EGW_LIBRARY_PATH"].split(os.pathsep):
            q = Path(p).resolve()
            libdirs.append(str(q.parent if q.is_file() else q))
    tree_header = REPO / "include" / "egw" / "egw.h"
    if not inc and not tree_header.is_file():
        inc += [f[2:] for f in _pkgconfig("--cflags-only-I") if f.startswith("-I")]
        if not inc:
            d = _pkgconfig("--variable=includedir")
            inc += d
    if tree_header.is_file() and not os.environ.get("EGW_INCLUDE_DIR"):
        inc += [str(REPO / "include"), str(build / "include")]
    if not libdirs:
        if (build / "src").is_dir() and tree_header.is_file():
            libdirs.append(str(build / "src"))
        else:
            libdirs += [f[2:] for f in _pkgconfig("--libs-only-L") if f.startswith("-L")]
            libdirs += _pkgconfig("--variable=libdir")
    header = next((Path(d) / "egw" / "egw.h" for d in inc if (Path(d) / "egw" / "egw.h").is_file()),
                  None)
    if header is None:
        raise SystemExit("egw_build: egw.h not found; set EGW_INCLUDE_DIR "
                         "(and EGW_LIBRARY_PATH), or install libegw for pkg-config")
    return {"include_dirs": inc, "library_dirs": libdirs, "header": header}


def make_ffibuilder() -> Any:
    import cffi

    where = locate()
    cdef = load_cdef_module().generate_cdef(where["header"].read_text(encoding="utf-8"))
    fb = cffi.FFI()
    fb.cdef(cdef + EXTERN_PYTHON)
    fb.set_source(
        "egw._native",
        '#include "egw/egw.h"\n',
        include_dirs=where["include_dirs"],
        library_dirs=where["library_dirs"],
        runtime_library_dirs=where["library_dirs"],
        libraries=["egw"],
    )
    return fb


ffibuilder = make_ffibuilder()

if __name__ == "__main__":
    os.chdir(HERE)
    ffibuilder.compile(verbose=True)
