"""The ``pvz`` command line (Typer). Bad input exits with code 2 and one clear message."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import typer

from data.errors import PvzError

__all__ = [
    "ALLOW_OUTSIDE_OPT",
    "ENCODING_OPT",
    "SEP_OPT",
    "SHEET_OPT",
    "app",
    "command",
    "command_group",
    "main",
    "read_options",
]

# how input files are read (CSV dialect, encoding, Excel sheet, swapped-coordinate guard)
SEP_OPT = typer.Option(None, "--sep", help="CSV separator: ',', ';' or 'tab' (default: "
                       "detected from the header line).")  # fmt: skip
ENCODING_OPT = typer.Option(None, "--encoding", help="CSV encoding, e.g. utf-8 or cp1251 "
                            "(default: UTF-8 with or without BOM, else cp1251).")  # fmt: skip
SHEET_OPT = typer.Option(None, "--sheet", help="Excel (.xlsx) sheet name or 1-based number "
                         "(default: the first sheet).")  # fmt: skip
ALLOW_OUTSIDE_OPT = typer.Option(False, "--allow-outside", help="Accept points outside Russia "
                                 "(a network abroad): no swapped-coordinates stop, no "
                                 "warnings.")  # fmt: skip


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


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress.")) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _load_commands() -> None:
    # each module registers its commands with @command on import
    import api.commands.maps  # noqa: F401
    import api.commands.rewards  # noqa: F401
    import api.commands.scoring  # noqa: F401
    import api.commands.serve  # noqa: F401
    import api.commands.settlements  # noqa: F401
    from api.commands import protection  # noqa: F401


def main() -> None:
    """Entry point of the ``pvz`` console script."""
    _load_commands()
    app()
