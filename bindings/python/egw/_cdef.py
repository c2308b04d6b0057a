# SPDX-License-Identifier: Apache-2.0
"""Turns include/egw/egw.h into a cffi ``cdef``.

The bindings never carry a copy of the C declarations: this module runs over
the real header at build/install time (and at import time in ABI mode when
no generated copy was installed), so the Python side cannot drift from C.

What it does, and no more: drops comments, evaluates the header's
conditionals the way a C compiler would see them with no macros predefined
(the include guard is taken, ``__cplusplus`` and ``EGW_BUILDING`` are not),
drops ``#include`` lines, keeps ``#define NAME <integer>`` (cffi understands
those), drops every other macro, and removes the ``EGW_EXTERN`` marker.

Runnable as a script::

    python3 -m egw._cdef include/egw/egw.h > egw.cdef

It must stay importable without the rest of the package (setup.py and the
cffi build script load it by path), so it imports nothing from ``egw``.
"""
from __future__ import annotations

import re
import sys
from typing import Dict, List

__all__ = ["generate_cdef", "parse_enums", "strip_comments"]

_INT_RE = re.compile(r"^\(?\s*-?\s*(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\s*\)?$")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MARKERS = ("EGW_EXTERN",)


def strip_comments(text: str) -> str:
    """Removes /* */ and // comments, keeping line breaks inside block
    comments so line numbers of what is left stay meaningful."""
    out: List[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j) or " ")
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _eval_if(expr: str, defined: Dict[str, str]) -> bool:
    """Evaluates an #if expression: defined(X), integers, ! && || and ()."""
    expr = re.sub(r"defined\s*\(\s*(\w+)\s*\)|defined\s+(\w+)",
                  lambda m: "1" if (m.group(1) or m.group(2)) in defined else "0", expr)

    def ident(m: "re.Match[str]") -> str:
        v = defined.get(m.group(0), "0")
        return v if _INT_RE.match(v or "") else "0"

    expr = _IDENT.sub(ident, expr)
    expr = expr.replace("&&", " and ").replace("||", " or ")
    expr = re.sub(r"!(?!=)", " not ", expr)
    if not re.fullmatch(r"[\s0-9xXa-fA-F()<>=!+\-*/%andotr]*", expr):
        raise ValueError(f"unsupported #if expression: {expr!r}")
    return bool(eval(expr, {"__builtins__": {}}, {}))  # noqa: S307 (digits and operators only)


def generate_cdef(header: str) -> str:
    """Returns the cffi cdef for the text of egw.h."""
    text = strip_comments(header).replace("\\\n", " ")
    defined: Dict[str, str] = {}
    stack: List[List[bool]] = []  # [this branch active, some branch taken]
    out: List[str] = []

    def active() -> bool:
        return all(frame[0] for frame in stack)

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#"):
            d = line[1:].strip()
            word, _, rest = d.partition(" ")
            rest = rest.strip()
            if word in ("ifdef", "ifndef"):
                take = (rest in defined) == (word == "ifdef")
                stack.append([take, take])
            elif word == "if":
                take = _eval_if(rest, defined)
                stack.append([take, take])
            elif word == "elif":
                frame = stack[-1]
                take = not frame[1] and _eval_if(rest, defined)
                frame[0] = take
                frame[1] = frame[1] or take
            elif word == "else":
                frame = stack[-1]
                frame[0] = not frame[1]
                frame[1] = True
            elif word == "endif":
                stack.pop()
            elif word == "define" and active():
                m = re.match(r"(\w+)(\([^)]*\))?\s*(.*)$", rest)
                if not m:
                    continue
                name, params, value = m.group(1), m.group(2), m.group(3).strip()
                defined[name] = value
                if not params and _INT_RE.match(value) and name not in _MARKERS:
                    out.append(f"#define {name} {value.strip('()')}")
            elif word == "undef" and active():
                defined.pop(rest, None)
            # include, pragma, error: nothing for cffi
            continue
        if not active():
            continue
        for marker in _MARKERS:
            line = re.sub(r"\b%s\b" % marker, "", line).strip()
        if line:
            out.append(line)
    if stack:
        raise ValueError("unbalanced #if/#endif in header")
    return "\n".join(out) + "\n"


def parse_enums(header: str) -> Dict[str, int]:
    """Every enumerator of the header with its value, parsed from the text
    independently of cffi (the enum test compares the two)."""
    text = strip_comments(header)
    values: Dict[str, int] = {}
    for body in re.findall(r"\benum\b[^{;]*\{([^}]*)\}", text):
        nxt = 0
        for item in body.split(","):
            item = item.strip()
            if not item:
                continue
            name, eq, val = item.partition("=")
            name = name.strip()
            if eq:
                nxt = int(eval(val.strip(), {"__builtins__": {}}, dict(values)))  # noqa: S307
            values[name] = nxt
            nxt += 1
    return values


def main(argv: List[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python3 -m egw._cdef path/to/egw.h\n")
        return 2
    with open(argv[1], encoding="utf-8") as f:
        sys.stdout.write(generate_cdef(f.read()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
