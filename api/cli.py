"""The ``pvz`` command line (Typer). Bad input exits with code 2 and one clear message."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any

import typer

from data.errors import PvzError

__all__ = [
    "ALLOW_OUTSIDE_OPT",
    "COMMANDS",
    "ENCODING_OPT",
    "SEP_OPT",
    "SHEET_OPT",
    "app",
    "command",
    "command_group",
    "main",
    "RAW_CSV_OPT",
    "read_options",
]

# how input files are read (CSV dialect, encoding, Excel sheet, swapped-coordinate guard)
SEP_OPT = typer.Option(None, "--sep", help="CSV separator of every input file: ',', ';' or "
                       "'tab' (default: detected from the header line).")  # fmt: skip
ENCODING_OPT = typer.Option(None, "--encoding", help="CSV encoding of every input file, e.g. "
                            "utf-8 or cp1251 (default: UTF-8 with or without BOM, else "
                            "cp1251).")  # fmt: skip
SHEET_OPT = typer.Option(None, "--sheet", help="Excel (.xlsx) sheet name or 1-based number "
                         "of every input workbook (default: the first sheet); one workbook's "
                         "own sheet: FILE.xlsx#SHEET.")  # fmt: skip
ALLOW_OUTSIDE_OPT = typer.Option(False, "--allow-outside", help="Accept points outside Russia "
                                 "(a network abroad): no swapped-coordinates stop, no "
                                 "warnings.")  # fmt: skip

# how CSV and Excel outputs are written (data.outputs)
RAW_CSV_OPT = typer.Option(False, "--raw-csv", help="Write text cells as they are: by default "
                           "a cell beginning with =, +, -, @, tab or CR gets a ' in front so "
                           "a spreadsheet shows it, not runs it.")  # fmt: skip


def read_options(
    sep: str | None, encoding: str | None, sheet: str | None, allow_outside: bool
) -> dict[str, Any]:
    """Keyword arguments of :func:`data.io.read_points` from the file-reading options."""
    return {"sep": sep, "encoding": encoding, "sheet": sheet, "allow_outside": allow_outside}


app = typer.Typer(
    name="pvz",
    help="pvz-planner: exact competition protection, scoring and rewards for pickup points.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a :class:`PvzError` into ``error: ...`` on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PvzError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None

    return wrapper


def command(
    name: str, *, group: typer.Typer | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``func`` as ``pvz NAME`` (or ``pvz GROUP NAME``) with the friendly error
    handling."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        (group or app).command(name)(_friendly(func))
        return func

    return register


def command_group(name: str, help_text: str) -> typer.Typer:
    """A sub-command group ``pvz NAME ...`` (register its commands with ``command(group=)``)."""
    sub = typer.Typer(name=name, help=help_text, no_args_is_help=True, add_completion=False,
                      pretty_exceptions_enable=False)  # fmt: skip
    app.add_typer(sub, name=name)
    return sub


class _EchoWarnings(logging.Handler):
    """``warning: MESSAGE`` on the current stderr (also under a test runner)."""

    def emit(self, record: logging.LogRecord) -> None:
        typer.echo(f"warning: {record.getMessage()}", err=True)


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress.")) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # the readers' warnings (rows outside Russia...) are for the user: plain, on stderr
    readers = logging.getLogger("data.io")
    if not any(isinstance(h, _EchoWarnings) for h in readers.handlers):
        readers.addHandler(_EchoWarnings(logging.WARNING))
        readers.propagate = False


#: command -> (the module that registers it, its one-line help for ``pvz --help``);
#: ``pvz CMD`` imports that module only, so a command pays for no other command's imports
#: (``pvz check`` loads no folium, no FastAPI, no store). A test keeps the help in step.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("api.commands.protection",
              "Check candidate locations against the competition-protection rule."),
    "audit": ("api.commands.protection",
              "List every pair of live points that violates the protection rule."),
    "demo": ("api.commands.protection",
             "Write a deterministic demo network that obeys the protection rule."),
    "demo-candidates": ("api.commands.protection", "Write candidate locations near and around "
                        "a network (for demos and benchmarks)."),
    "score": ("api.commands.scoring", "Score candidate locations with a Huff model of the "
              "network."),
    "whitespace": ("api.commands.scoring", "White space: zones with demand, no point within "
                   "reach, where a new point is allowed."),
    "plan": ("api.commands.scoring", "Choose up to K new candidates that add the most demand "
             "to what the network serves."),
    "map": ("api.commands.maps", "Write an HTML map: points by kind and status, geodesic "
            "protection circles (zoomed in), candidates by score with their decision, audit "
            "conflicts, white space, demand heat."),
    "rewards": ("api.commands.rewards", "Write the month's reward statement of every point "
                "with orders, adjustments or a reward."),
    "rewards-compare": ("api.commands.rewards", "Compare the old per-parcel fee with the new "
                        "percentage, per point and month."),
    "serve": ("api.commands.serve", "Serve the HTTP API (docs at /docs); "
              "PVZ_BOOTSTRAP_ADMIN_KEY creates that admin key."),
    "demo-db": ("api.commands.serve", "Seed the store with a demo network if it holds no "
                "point yet."),
    "settlements": ("api.commands.settlements", "Settlement boundary polygons: build them "
                    "from OpenStreetMap for --boundaries."),
}  # fmt: skip


def _load_commands(names: Iterable[str] | None = None) -> None:
    """Import the modules of the named commands (all when ``names`` is None); each module
    registers its commands with :func:`command` on import."""
    import importlib

    wanted = COMMANDS if names is None else [n for n in names if n in COMMANDS]
    for module in dict.fromkeys(COMMANDS[n][0] for n in wanted):
        importlib.import_module(module)


def _stub(ctx: typer.Context) -> None:  # pragma: no cover - never run: help listing only
    """A command listed in ``pvz --help`` whose module is not imported."""


def _list_commands() -> None:
    """Register every command as a stub with its help line: ``pvz --help`` imports nothing."""
    for name, (_, help_text) in COMMANDS.items():
        app.command(name, help=help_text, add_help_option=False,
                    context_settings={"ignore_unknown_options": True,
                                      "allow_extra_args": True})(_stub)  # fmt: skip


def _command_in(argv: list[str]) -> str | None:
    """The command name in ``pvz [-v] COMMAND ...``, or None."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg
        if arg in ("--help", "-h"):
            return None
    return None


def main() -> None:
    """Entry point of the ``pvz`` console script."""
    name = _command_in(sys.argv[1:])
    if name in COMMANDS:
        _load_commands([name])
    else:
        _list_commands()
    app()
