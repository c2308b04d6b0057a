# SPDX-License-Identifier: Apache-2.0
"""Both ways the package reaches libegw: the API-mode extension compiled
against the header and library (what `pip install` builds), and ABI mode
from the cdef that setup.py generates.  Each runs in a subprocess, since a
process loads one libegw binding."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import HEADER, PKG_DIR

SMOKE = textwrap.dedent("""
    import sys, egw
    from conftest import MANIFEST
    with egw.translate(MANIFEST) as r:
        names = [f.name for f in r.fleets]
        n = sum(1 for f in r.fleets for _ in f.resources())
    calls = []
    with egw.translate(MANIFEST, hooks=lambda p, a, b: calls.append(p)) as r:
        pass
    print(egw.MODE, egw.__file__, names, n, egw.library_version())
""")

pytestmark = pytest.mark.skipif(os.environ.get("EGW_PY_TEST_INSTALLED") == "1",
                                reason="tests the source tree's build scripts")


def _run(tmp_path: Path, mode: str) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(Path(__file__).parent)])
    env["EGW_PY_MODE"] = mode
    env["EGW_PY_TEST_INSTALLED"] = "1"  # conftest must not put the tree first
    out = subprocess.run([sys.executable, "-c", SMOKE], env=env, capture_output=True,
                         text=True, timeout=120, cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    return out.stdout


def _copy_package(dst: Path) -> None:
    shutil.copytree(PKG_DIR / "egw", dst / "egw",
                    ignore=shutil.ignore_patterns("_native*", "_generated.py", "__pycache__"))


@pytest.fixture(scope="module")
def have_header():
    if not HEADER.is_file():
        pytest.skip("egw.h not in this tree")


def test_api_mode_extension(tmp_path, have_header):
    pytest.importorskip("cffi")
    if not shutil.which(os.environ.get("CC", "cc")) and not shutil.which("gcc"):
        pytest.skip("no C compiler")
    import sysconfig

    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").is_file():
        pytest.skip("no Python.h (python3-dev) to compile the extension against")
    sys.path.insert(0, str(PKG_DIR))
    try:
        import egw_build
    finally:
        sys.path.remove(str(PKG_DIR))
    _copy_package(tmp_path)
    fb = egw_build.make_ffibuilder()
    so = fb.compile(tmpdir=str(tmp_path), verbose=False)
    assert Path(so).is_file() and Path(so).parent == tmp_path / "egw"
    out = _run(tmp_path, "api")
    assert out.startswith("api " + str(tmp_path)), out
    assert "['apps/gw']" in out


def test_abi_mode_from_generated_cdef(tmp_path, have_header):
    """setup.py's build_py writes egw/_generated.py (the cdef and the
    library directory); ABI mode then needs no header at run time."""
    _copy_package(tmp_path / "src")
    lib = tmp_path / "lib"
    out = subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(lib)],
                         cwd=str(PKG_DIR), capture_output=True, text=True, timeout=120)
    if out.returncode != 0 and "setuptools" in out.stderr:
        pytest.skip("setuptools unavailable: " + out.stderr.splitlines()[-1])
    assert out.returncode == 0, out.stderr
    gen = (lib / "egw" / "_generated.py").read_text()
    ns: dict = {}
    exec(gen, ns)
    sys.path.insert(0, str(PKG_DIR / "egw"))
    try:
        import _cdef
    finally:
        sys.path.remove(str(PKG_DIR / "egw"))
    assert ns["CDEF"] == _cdef.generate_cdef(HEADER.read_text())
    assert ns["LIBRARY_DIR"]
    # no header reachable: point the include search at nothing
    env_out = _run_without_header(lib)
    assert env_out.startswith("abi " + str(lib)), env_out


def _run_without_header(lib: Path) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(lib), str(Path(__file__).parent)])
    env["EGW_PY_MODE"] = "abi"
    env["EGW_PY_TEST_INSTALLED"] = "1"
    env["EGW_INCLUDE_DIR"] = "/nonexistent"
    out = subprocess.run([sys.executable, "-c", SMOKE], env=env, capture_output=True,
                         text=True, timeout=120, cwd=str(lib))
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_abi_mode_from_header(tmp_path, have_header):
    """The source tree used as is: the cdef is generated at import time."""
    _copy_package(tmp_path)
    os.environ["EGW_INCLUDE_DIR"] = str(HEADER.parent.parent)
    try:
        out = _run(tmp_path, "abi")
    finally:
        del os.environ["EGW_INCLUDE_DIR"]
    assert out.startswith("abi "), out


def test_bad_mode(tmp_path):
    _copy_package(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(tmp_path), EGW_PY_MODE="jit")
    out = subprocess.run([sys.executable, "-c", "import egw"], env=env, capture_output=True,
                         text=True, timeout=60, cwd=str(tmp_path))
    assert out.returncode != 0 and "EGW_PY_MODE" in out.stderr


def test_missing_library_message(tmp_path):
    _copy_package(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(tmp_path), EGW_PY_MODE="abi",
               EGW_LIBRARY_PATH=str(tmp_path / "nowhere"),
               EGW_INCLUDE_DIR=str(HEADER.parent.parent))
    out = subprocess.run([sys.executable, "-c", "import egw"], env=env, capture_output=True,
                         text=True, timeout=60, cwd=str(tmp_path))
    assert out.returncode != 0 and "EGW_LIBRARY_PATH" in out.stderr
