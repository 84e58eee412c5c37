"""The ``pvz`` command line (Typer). Bad input exits with code 2 and one clear message.

Messages are Russian by default, English with ``pvz --lang en`` or ``PVZ_LANGUAGE=en``
(:mod:`api.wording`): commands print with :func:`say`, :func:`warn` and :func:`error`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from api import wording
from data.errors import Message, PvzError

__all__ = [
    "ALLOW_OUTSIDE_OPT",
    "COMMANDS",
    "ENCODING_OPT",
    "HELP",
    "SEP_OPT",
    "SHEET_OPT",
    "app",
    "command",
    "command_group",
    "error",
    "main",
    "RAW_CSV_OPT",
    "read_options",
    "say",
    "warn",
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
    """Keyword arguments of :func:`data.io.read_points` from the file-reading options; rows
    are checked against the API's territory (``PVZ_TERRITORY_PATH``,
    ``PVZ_TERRITORY_BUFFER_M``) unless ``allow_outside``."""
    opts: dict[str, Any] = {"sep": sep, "encoding": encoding, "sheet": sheet,
                            "allow_outside": allow_outside}  # fmt: skip
    if not allow_outside:
        from api.settings import get_settings
        from data.territory import load_territory

        settings = get_settings()
        opts["territory"] = load_territory(settings.territory_path,
                                           buffer_m=settings.territory_buffer_m)  # fmt: skip
    return opts


#: the help of ``pvz`` (worded in the language of the messages by :func:`main`)
HELP = "pvz-planner: exact competition protection, scoring and rewards for pickup points."

app = typer.Typer(
    name="pvz",
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a :class:`PvzError` into ``ошибка: ...`` (``error: ...``) on stderr, worded in
    the language of the messages (:mod:`api.wording`), and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PvzError as exc:
            error(wording.error_text(exc))
            raise typer.Exit(2) from None

    return wrapper


class _WordedHelp:
    """``pvz CMD --help`` shows the command's summary (the first paragraph of its help, the
    catalogue key) in the language of the messages; the rest stays as written (English)."""

    help: str | None

    def format_help(self, ctx: Any, formatter: Any) -> None:
        original = self.help
        if original:
            first, sep, rest = original.partition("\n\n")
            self.help = wording.say(" ".join(first.split())) + sep + rest
        try:
            super().format_help(ctx, formatter)  # type: ignore[misc]
        finally:
            self.help = original


class _Command(_WordedHelp, TyperCommand):
    pass


class _Group(_WordedHelp, TyperGroup):
    pass


def command(
    name: str, *, group: typer.Typer | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``func`` as ``pvz NAME`` (or ``pvz GROUP NAME``) with the friendly error
    handling."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        (group or app).command(name, cls=_Command)(_friendly(func))
        return func

    return register


def command_group(name: str, help_text: str) -> typer.Typer:
    """A sub-command group ``pvz NAME ...`` (register its commands with ``command(group=)``)."""
    sub = typer.Typer(name=name, help=help_text, no_args_is_help=True, add_completion=False,
                      pretty_exceptions_enable=False, cls=_Group)  # fmt: skip
    app.add_typer(sub, name=name)
    return sub


def say(template: str, /, **params: Any) -> None:
    """Print the message ``template`` (:func:`api.wording.say`) on stdout."""
    typer.echo(wording.say(template, **params))


def warn(template: str | Message, /, **params: Any) -> None:
    """``предупреждение: MESSAGE`` (``warning: ...``) on stderr."""
    text = (wording.say_message(template) if isinstance(template, Message)
            else wording.say(template, **params))  # fmt: skip
    typer.echo(f"{wording.say('warning')}: {text}", err=True)


def error(text: str) -> None:
    """``ошибка: TEXT`` (``error: ...``) on stderr; ``text`` is worded already."""
    typer.echo(f"{wording.say('error')}: {text}", err=True)


class _EchoWarnings(logging.Handler):
    """``предупреждение: MESSAGE`` on the current stderr (also under a test runner); a
    :class:`data.errors.Message` argument is worded in the language of the messages."""

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        if record.msg == "%s" and len(args) == 1 and isinstance(args[0], Message):
            warn(args[0])
        else:
            warn(Message("{text}", text=record.getMessage()))


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress."),
    lang: str | None = typer.Option(None, "--lang", help="Language of the messages: ru "
                                    "(Russian, the default) or en; default: PVZ_LANGUAGE."),
) -> None:  # fmt: skip
    try:
        wording.set_language(lang)
    except PvzError as exc:  # worded in the language of the setting
        wording.set_language(None)
        error(wording.error_text(exc))
        raise typer.Exit(2) from None
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
    """Register every command as a stub with its help line (in the language of the
    messages): ``pvz --help`` imports nothing."""
    for name, (_, help_text) in COMMANDS.items():
        app.command(name, help=wording.say(help_text), add_help_option=False,
                    context_settings={"ignore_unknown_options": True,
                                      "allow_extra_args": True})(_stub)  # fmt: skip


def _command_in(argv: list[str]) -> str | None:
    """The command name in ``pvz [-v] [--lang L] COMMAND ...``, or None."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif not arg.startswith("-"):
            return arg
        elif arg in ("--help", "-h"):
            return None
        else:
            skip = arg == "--lang"
    return None


def _lang_in(argv: list[str]) -> str | None:
    """The value of the global ``--lang`` in ``pvz [-v] [--lang L] COMMAND ...``, or None."""
    for i, arg in enumerate(argv):
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
        if arg == "--lang":
            return argv[i + 1] if i + 1 < len(argv) else None
        if not arg.startswith("-"):
            return None
    return None


def main() -> None:
    """Entry point of the ``pvz`` console script."""
    # ``pvz --help`` words the command list before the root callback runs (which reports
    # a bad --lang)
    with contextlib.suppress(PvzError):
        wording.set_language(_lang_in(sys.argv[1:]))
    app.info.help = wording.say(HELP)
    name = _command_in(sys.argv[1:])
    if name in COMMANDS:
        _load_commands([name])
    else:
        _list_commands()
    app()
