# SPDX-License-Identifier: Apache-2.0
"""Failing calls raise egw.Error subclasses carrying libegw's code and its
egw_strerror message; problems in the input stay data."""
from __future__ import annotations

import pytest

from conftest import MANIFEST


def test_hierarchy(egw):
    assert issubclass(egw.OutOfMemoryError, MemoryError)
    assert issubclass(egw.InvalidArgumentError, ValueError)
    assert issubclass(egw.NotFoundError, LookupError)
    for cls in (egw.OutOfMemoryError, egw.InvalidArgumentError, egw.LimitError, egw.ParseError,
                egw.HookError, egw.NotFoundError, egw.VersionError, egw.ConfigError):
        assert issubclass(cls, egw.Error)
        e = cls()
        assert e.code == int(cls.code) < 0
        assert e.message == egw.strerror(e.code)
        assert egw.ErrorCode(e.code).name in str(e)


def test_strerror(egw):
    assert egw.strerror(0) == "success"
    assert egw.strerror(egw.ErrorCode.ENOMEM) == "out of memory"
    assert egw.strerror(12345) == "unknown error"


def test_parse_error(egw):
    with pytest.raises(egw.ParseError) as ei:
        egw.translate(("junk.yaml", "key: [unclosed\n"), ("junk2.yaml", "{ nope"))
    e = ei.value
    assert e.code == egw.ErrorCode.EPARSE == -5
    assert e.message == "no readable document in the input"
    # EPARSE comes with a result whose diagnostics say why
    assert e.result is not None
    assert e.diagnostics and all(d.code == egw.DiagCode.SYNTAX for d in e.diagnostics)
    assert {d.input_name for d in e.diagnostics} == {"junk.yaml", "junk2.yaml"}
    assert "junk.yaml" in str(e)


def test_limit_error(egw):
    with pytest.raises(egw.LimitError) as ei:
        egw.translate(("big.yaml", MANIFEST), limits={"max_input_bytes": 64})
    e = ei.value
    assert e.code == -4 and e.message == "input exceeds a limit"
    assert any(d.code == egw.DiagCode.LIMIT and d.input_name == "big.yaml" for d in e.diagnostics)


def test_limit_max_documents(egw):
    try:
        r = egw.translate(MANIFEST, limits=egw.Limits(max_documents=2))
    except egw.LimitError as e:
        assert e.code == -4
    else:  # a document limit may also be reported as a diagnostic only
        with r:
            assert any(d.code == egw.DiagCode.LIMIT for d in r.diagnostics)


def test_config_error(egw):
    with pytest.raises(egw.ConfigError) as ei:
        egw.translate(MANIFEST, config="apiVersion: v1\nkind: ConfigMap\n")
    e = ei.value
    assert e.code == egw.ErrorCode.ECONFIG == -9
    assert any("EnvoyGateway" in d.message for d in e.diagnostics)
    with pytest.raises(egw.ConfigError):
        egw.translate(MANIFEST, config="- just\n- a list\n")


def test_invalid_arguments_are_caught_in_python(egw):
    with pytest.raises(ValueError):
        egw.translate(MANIFEST, from_=7)
    with pytest.raises(TypeError):
        egw.translate(MANIFEST, hooks={"post_route": 3})
    with pytest.raises(ValueError):
        egw.translate(MANIFEST, hooks={"post_everything": lambda *a: None})


def test_c_level_einval(egw):
    """The C library's own EINVAL, reached through the raw API."""
    from egw._loader import ffi, lib

    out = ffi.new("egw_result **")
    opts = ffi.new("egw_options *")
    assert lib.egw_options_init(opts, 1) == 0
    setattr(opts, "from", 9)
    assert lib.egw_translate(out, ffi.NULL, 0, opts) == egw.ErrorCode.EINVAL
    assert out[0] == ffi.NULL
    assert lib.egw_options_init(opts, 99) == egw.ErrorCode.EVERSION


def test_input_problems_are_not_exceptions(egw):
    with egw.translate(MANIFEST, "apiVersion: v1\nkind: Nonsense\nmetadata: {name: n}\n") as r:
        assert r.diagnostics
        assert [f.name for f in r.fleets] == ["apps/gw"]
