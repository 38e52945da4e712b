"""Package promises: stdlib, pydantic, cryptography, orjson; small modules; no print."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "protocol"
# cryptography: devices verify signed member and coupon tokens offline (protocol/tokens.py).
# orjson: canonical encoding and the fast decode path of protocol/codec.py (issue 20).
ALLOWED_THIRD_PARTY = {"pydantic", "cryptography", "orjson"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_protocol_imports_only_stdlib_pydantic_and_itself() -> None:
    offenders = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ALLOWED_THIRD_PARTY | {
                    "protocol"
                }:
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_modules_are_small_and_never_print() -> None:
    for path in _modules():
        text = path.read_text("utf-8")
        assert len(text.splitlines()) < 400, path
        calls = [
            n for n in ast.walk(ast.parse(text))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
        ]
        assert calls == [], path
