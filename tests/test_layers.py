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


#: adapters not yet moved onto the application layer (none); the adapters are the routes, the
#: CLI commands and the HTTP edge (the app, its key check, the fast lane)
REWORKED: set[str] = set()


def _adapters() -> list[Path]:
    files = [*(ROOT / "api" / "routes").glob("*.py"), *(ROOT / "api" / "commands").glob("*.py")]
    files += [ROOT / "api" / name for name in ("cli.py", "app.py", "auth.py", "fast_check.py")]
    return sorted(p for p in files if str(p.relative_to(ROOT)) not in REWORKED)


def _reaches_in(path: Path, root: Path = ROOT) -> list[str]:
    """Where an adapter reaches past the application layer: the store (``.store`` on any
    object: ``service.store``, ``svc.store``, ``request.app.state.service.store``), a
    private attribute of another object, a private name imported from another module, or
    a private module (``planning._milp``)."""
    rel = path.relative_to(root)
    bad = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else ast.unparse(node.value)
            if node.attr == "store":
                bad.append(f"{rel}:{node.lineno} {owner}.store")
            elif _private(node.attr) and owner not in ("self", "cls"):
                bad.append(f"{rel}:{node.lineno} {owner}.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if any(_private(part) for part in node.module.split(".")):
                bad.append(f"{rel}:{node.lineno} imports the private module {node.module}")
            bad += [f"{rel}:{node.lineno} imports {node.module}.{a.name}"
                    for a in node.names if _private(a.name)]  # fmt: skip
        elif isinstance(node, ast.Import):
            bad += [f"{rel}:{node.lineno} imports the private module {a.name}"
                    for a in node.names if any(_private(p) for p in a.name.split("."))]  # fmt: skip
    return bad


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


@pytest.mark.parametrize("path", _adapters(), ids=lambda p: str(p.relative_to(ROOT)))
def test_adapters_use_the_application_layer(path: Path) -> None:
    assert _reaches_in(path) == []


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("def f(service):\n    return service.store.get_point('P1')\n", "service.store"),
        ("def f(svc):\n    return svc.store\n", "svc.store"),
        (
            "def f(request):\n    return request.app.state.service.store\n",
            "request.app.state.service.store",
        ),
        ("def f(service):\n    with service._lock:\n        pass\n", "service._lock"),
        ("def f(service):\n    return service.network._index\n", "service.network._index"),
        ("from data.io import _atomic_path\n", "imports data.io._atomic_path"),
        ("from planning._milp import solve\n", "imports the private module planning._milp"),
        ("import planning._milp\n", "imports the private module planning._milp"),
    ],
)
def test_a_route_reaching_past_the_service_is_caught(
    tmp_path: Path, source: str, found: str
) -> None:
    probe = tmp_path / "api" / "routes" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text(source)
    got = _reaches_in(probe, tmp_path)
    assert len(got) == 1 and got[0].startswith("api/routes/probe.py:")
    assert got[0].split(" ", 1)[1] == found


def test_own_private_names_and_self_are_fine(tmp_path: Path) -> None:
    probe = tmp_path / "api" / "commands" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text("_CACHE = {}\nclass A:\n    def f(self):\n        return self._x, _CACHE\n")
    assert _reaches_in(probe, tmp_path) == []
