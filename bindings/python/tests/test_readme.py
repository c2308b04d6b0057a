# SPDX-License-Identifier: Apache-2.0
"""The README's example runs as written (on this suite's manifest)."""
from __future__ import annotations

import contextlib
import io
import os
import re

import pytest

from conftest import MANIFEST, PKG_DIR


def test_readme_example(egw, tmp_path):
    pytest.importorskip("envoy.config.listener.v3.listener_pb2",
                        reason="the example decodes with xds-protos")
    text = (PKG_DIR / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert len(code.strip().splitlines()) <= 12
    (tmp_path / "gateway.yaml").write_text(MANIFEST)
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    lines = out.getvalue().splitlines()
    assert "apps/gw apps/gw/http 80" in lines or "apps/gw apps/gw/http 10080" in lines, lines
    assert any(line.startswith("HTTPRoute web") for line in lines)
