"""Where a benchmark runs: the project's own venv (``make venv``) and the versions in it.

A table measured with packages the project does not install says nothing about a fresh
install (issue 18: the published API table had uvloop and httptools, ``make venv`` did
not). So the benchmarks refuse any interpreter but ``.venv/bin/python`` of this checkout,
built by ``make venv`` from the current ``pyproject.toml``, and print the versions they
ran on. ``PVZ_BENCH_ANY_PYTHON=1`` runs them anyway, and says so in the versions line.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

__all__ = ["ROOT", "require_project_venv", "versions"]

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"


def _problem() -> str | None:
    """Why this interpreter is not the project's venv built by ``make venv``, or None."""
    if Path(sys.prefix).resolve() != VENV.resolve():
        return f"running on {sys.executable}, not {VENV}/bin/python"
    stamp = VENV / ".installed"
    if not stamp.exists():
        return f"{VENV} was not built by `make venv` (no .installed stamp)"
    if stamp.stat().st_mtime < (ROOT / "pyproject.toml").stat().st_mtime:
        return "pyproject.toml changed since `make venv` last ran"
    return None


def require_project_venv() -> None:
    """Exit with a message unless running in this checkout's ``make venv`` environment."""
    problem = _problem()
    if problem is None:
        return
    if os.environ.get("PVZ_BENCH_ANY_PYTHON") == "1":
        print(f"warning: {problem} (PVZ_BENCH_ANY_PYTHON=1)", file=sys.stderr)
        return
    raise SystemExit(
        f"bench: {problem}.\nRun `make venv`, then `.venv/bin/python {Path(sys.argv[0]).name}` "
        "(or set PVZ_BENCH_ANY_PYTHON=1 to measure another environment)."
    )


def versions(*packages: str) -> str:
    """``"name version, ..."`` of installed distributions (``-`` when missing), and where."""
    parts = []
    for name in packages:
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name} -")
    where = (
        "project venv (make venv)" if _problem() is None else f"NOT the project venv: {_problem()}"
    )
    return ", ".join(parts) + f"; {where}"
