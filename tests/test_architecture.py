"""Which part may import which (docs/conventions.md): enforced on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("protocol", "rules", "hardware", "models", "edge_agent", "kiosk", "hub", "demo")
ALLOWED: dict[str, set[str]] = {
    "protocol": set(),
    "rules": set(),
    "hardware": set(),
    "models": set(),
    "edge_agent": {"protocol", "rules"},
    "kiosk": {"edge_agent", "hardware", "models", "rules", "protocol"},
    "hub": {"protocol", "rules", "models"},
    "demo": set(PARTS),
}


def project_imports(path: Path) -> set[str]:
    """Top-level project packages a module imports (absolute imports only)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & set(PARTS)


@pytest.mark.parametrize("part", PARTS)
def test_part_imports_only_what_it_may(part: str) -> None:
    bad = []
    for path in sorted((ROOT / part).rglob("*.py")):
        extra = project_imports(path) - ALLOWED[part] - {part}
        if extra:
            bad.append(f"{path.relative_to(ROOT)} imports {sorted(extra)}")
    assert not bad, "\n".join(bad)


def test_the_rule_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import hub.models\nfrom kiosk import app\nimport json\n")
    assert project_imports(module) == {"hub", "kiosk"}
