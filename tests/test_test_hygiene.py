"""Rules the test suite keeps so that its results can be trusted (read from the sources)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
CLOCKS = {"perf_counter", "monotonic", "time", "perf_counter_ns", "monotonic_ns"}


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(), str(p))) for p in sorted(TESTS.rglob("*.py"))]


def test_no_test_module_imports_another() -> None:
    offenders = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                "tests."
            ) and node.module.rsplit(".", 1)[-1].startswith("test_"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.module}")
    assert not offenders, "shared helpers belong in conftest.py or tests/support/: " + \
        ", ".join(offenders)


def test_only_the_refresh_command_writes_the_documented_screenshots() -> None:
    allowed = TESTS / "support" / "screenshots.py"
    writers = [str(p.relative_to(ROOT)) for p in TESTS.rglob("*.py")
               if p not in (allowed, Path(__file__)) and '"screenshots"' in p.read_text()]
    assert not writers, f"tests that name docs/screenshots directly: {writers}"


def test_no_test_asserts_a_wall_clock_budget() -> None:
    offenders = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Assert):
                continue
            for inner in ast.walk(node.test):
                if isinstance(inner, ast.Attribute) and inner.attr in CLOCKS and isinstance(
                    inner.value, ast.Name
                ) and inner.value.id == "time":
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, f"speed belongs in bench/, not in assertions: {offenders}"


def test_no_long_fixed_sleep_stands_in_for_a_condition() -> None:
    offenders = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "sleep" and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, int | float)
                    and node.args[0].value >= 3):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, f"wait on the condition (tests/support/waiting.py): {offenders}"


def test_the_test_client_runs_on_the_http_client_starlette_asks_for() -> None:
    # httpx2 looks unused (nothing of ours imports it), but starlette.testclient imports it
    # first and warns that plain httpx is deprecated: it stays in the test extra for that.
    import starlette.testclient

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["test"]
    assert any(d.startswith("httpx2") for d in extras)
    assert starlette.testclient.httpx.__name__ == "httpx2"
