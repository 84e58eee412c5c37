"""Imports point downwards: api -> maps -> planning -> data -> geo.

An AST walk over every module of the packages (imports inside functions too): a module
may import its own package and the packages below it, never one above. Inside ``api``,
the application layer (``api/services``) does not import the adapters (routes, commands).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: top to bottom; each package may import itself and those after it
LAYERS = ["api", "maps", "planning", "data", "geo"]
RANK = {name: i for i, name in enumerate(LAYERS)}
#: the adapters of the api package, which the application layer never imports
ADAPTERS = ("api.routes", "api.commands", "api.cli", "api.app")


def _imports(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every absolute import in a file."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out += [(node.lineno, node.module)]
    return out


def _modules() -> list[Path]:
    return sorted(p for pkg in LAYERS for p in (ROOT / pkg).rglob("*.py"))


def _upward(path: Path, root: Path = ROOT) -> list[str]:
    rel = path.relative_to(root)
    own = rel.parts[0]
    dotted = ".".join(rel.with_suffix("").parts)
    bad = []
    for line, module in _imports(path):
        top = module.split(".")[0]
        if top in RANK and RANK[top] < RANK[own]:
            bad.append(f"{rel}:{line} imports {module} ({own} is below {top})")
        if dotted.startswith("api.services") and module.startswith(ADAPTERS):
            bad.append(f"{rel}:{line} imports the adapter {module}")
    return bad


def test_the_walk_sees_every_package() -> None:
    found = {p.relative_to(ROOT).parts[0] for p in _modules()}
    assert found == set(LAYERS)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down(path: Path) -> None:
    assert _upward(path) == []


def test_an_upward_import_is_caught(tmp_path: Path) -> None:
    probe = tmp_path / "data" / "probe.py"
    probe.parent.mkdir()
    probe.write_text("def f() -> None:\n    from planning.protection import decide\n")
    assert _upward(probe, tmp_path) == [
        "data/probe.py:2 imports planning.protection (data is below planning)"
    ]


#: adapters not yet moved onto the application layer (none)
REWORKED: set[str] = set()


def _adapters() -> list[Path]:
    files = [*(ROOT / "api" / "routes").glob("*.py"), *(ROOT / "api" / "commands").glob("*.py")]
    return sorted(p for p in files if str(p.relative_to(ROOT)) not in REWORKED)


def _reaches_in(path: Path) -> list[str]:
    """Where an adapter reaches past the application layer: ``service.store``, a private
    attribute of another object, or a private name imported from another module."""
    rel = path.relative_to(ROOT)
    bad = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner, attr = node.value.id, node.attr
            if owner == "service" and attr == "store":
                bad.append(f"{rel}:{node.lineno} service.store")
            elif (
                attr.startswith("_") and not attr.startswith("__") and owner not in ("self", "cls")
            ):
                bad.append(f"{rel}:{node.lineno} {owner}.{attr}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            bad += [f"{rel}:{node.lineno} imports {node.module}.{a.name}"
                    for a in node.names if a.name.startswith("_")]  # fmt: skip
    return bad


@pytest.mark.parametrize("path", _adapters(), ids=lambda p: str(p.relative_to(ROOT)))
def test_adapters_use_the_application_layer(path: Path) -> None:
    assert _reaches_in(path) == []
