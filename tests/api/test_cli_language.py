"""The ``pvz`` command line speaks Russian first, English with ``--lang en`` or
``PVZ_LANGUAGE=en``: errors, warnings and summaries, with Russian plurals and numbers.

The catalogue (:data:`api.messages_ru.MESSAGES`) is kept complete by an AST walk over
the modules the CLI reaches: every message template raised (``InputError``), built
(``Message``) or printed (``say``, ``warn``) is a plain string with a Russian entry
that has the same ``{fields}``.
"""

from __future__ import annotations

import ast
import os
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from api import cli, wording
from api.cli import app
from api.messages_ru import MESSAGES, NOUNS
from api.settings import get_settings
from data.errors import InputError, Message

cli._load_commands()
ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()

#: the modules whose messages reach a ``pvz`` user
CLI_MODULES = sorted(
    {
        *ROOT.glob("api/commands/*.py"),
        ROOT / "api/cli.py",
        ROOT / "api/loaders.py",
        *ROOT.glob("data/*.py"),
        *ROOT.glob("planning/**/*.py"),
        ROOT / "maps/planner.py",
    }
)
#: calls whose first argument is a message template
MESSAGE_CALLS = {"InputError", "Message", "say", "warn", "NotEnoughData"}


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _templates(path: Path) -> tuple[list[tuple[int, str]], list[int]]:
    """``(line, template)`` of every literal message, and the lines of computed ones
    (an f-string or concatenation where a template belongs)."""
    found: list[tuple[int, str]] = []
    computed: list[int] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and _name(node.func) in MESSAGE_CALLS and node.args):
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.append((node.lineno, first.value))
        elif isinstance(first, ast.JoinedStr | ast.BinOp):
            computed.append(node.lineno)
        elif isinstance(first, ast.IfExp):  # "a" if x else "b"
            for branch in (first.body, first.orelse):
                if isinstance(branch, ast.Constant) and isinstance(branch.value, str):
                    found.append((node.lineno, branch.value))
    return found, computed


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_every_cli_message_has_a_russian_wording() -> None:
    missing, computed, mismatched = [], [], []
    for path in CLI_MODULES:
        rel = path.relative_to(ROOT)
        found, lines = _templates(path)
        computed += [f"{rel}:{line}" for line in lines]
        for line, template in found:
            if template.strip() == "" or template == "{text}":
                continue
            if template not in MESSAGES:
                missing.append(f"{rel}:{line}: {template!r}")
            elif _fields(MESSAGES[template]) != _fields(template):
                mismatched.append(f"{rel}:{line}: {template!r}")
    assert computed == [], "an f-string where a message template belongs"
    assert missing == []
    assert mismatched == []


def test_catalogue_fields_match() -> None:
    bad = [k for k, v in MESSAGES.items() if _fields(k) != _fields(v)]
    assert bad == []
    # an InputError's source, row and column say where; a template's values are others
    where = {"source", "row", "column"}
    assert [k for k in MESSAGES if _fields(k) & where] == ["row {row}", "column {column!r}"]


def _summaries(group: Any, prefix: str = "") -> dict[str, str]:
    """``{"check": first paragraph of its help, "settlements build": ...}``."""
    out = {}
    for name, cmd in group.commands.items():
        out[prefix + name] = " ".join((cmd.help or "").split("\n\n")[0].split())
        if hasattr(cmd, "commands"):  # a group (typer's own click)
            out.update(_summaries(cmd, f"{prefix}{name} "))
    return out


def test_command_summaries_have_a_russian_wording() -> None:
    assert [n for n, (_, h) in cli.COMMANDS.items() if h not in MESSAGES] == []
    assert cli.HELP in MESSAGES
    real = _summaries(typer.main.get_command(app))
    assert "settlements build" in real
    assert {n: h for n, h in real.items() if h not in MESSAGES} == {}


def test_command_help_in_russian_and_english(env_language) -> None:  # type: ignore[no-untyped-def]
    env_language(None)
    res = runner.invoke(app, ["check", "--help"])
    text = " ".join(res.output.replace("│", " ").split())
    assert res.exit_code == 0 and MESSAGES[cli.COMMANDS["check"][1]] in text
    res = runner.invoke(app, ["--lang", "en", "check", "--help"])
    text = " ".join(res.output.replace("│", " ").split())
    assert res.exit_code == 0 and cli.COMMANDS["check"][1] in text


def test_the_shortcut_default_is_the_settings_default() -> None:
    from api.settings import Settings

    assert Settings.model_fields["language"].default == "ru"


@pytest.mark.parametrize(
    ("n", "noun", "want"),
    [(1, "point", "1 точка"), (2, "point", "2 точки"), (5, "point", "5 точек"),
     (21, "candidate", "21 кандидат"), (12, "row", "12 строк"), (3, "row", "3 строки"),
     (2_969, "live point", "2\u00a0969 действующих точек"),
     (1_000_002, "candidate", "1\u00a0000\u00a0002 кандидата")],
)  # fmt: skip
def test_russian_counts(n: int, noun: str, want: str) -> None:
    assert wording.count(n, noun, "ru") == want
    assert noun in NOUNS


def test_russian_numbers_and_quotes() -> None:
    assert wording.say("{n:,} of {m:,}", "ru", n=1234567, m=5) == "1\u00a0234\u00a0567 of 5"
    assert wording.say("{n:,} {x:.1f}", "ru", n=np.int64(1234), x=np.float32(2.25)) == (
        "1\u00a0234 2,2"
    )
    assert wording.say("{n}", "en", n=np.int64(7)) == "7"
    text = wording.say("must be in (0, 50000] metres, got {value:g}", "ru", value=60000.5)
    assert text == "должно быть в пределах (0, 50000] м, получено 60000,5"
    assert wording.say("not a number: {value!r}", "ru", value="abc") == "не число: «abc»"
    assert wording.say("not a number: {value!r}", "en", value="abc") == "not a number: 'abc'"
    assert wording.rub(123456789, "ru") == "1\u00a0234\u00a0567,89\u00a0₽"
    assert wording.rub(123456789, "en") == "1234567.89 RUB"


def test_input_error_words_its_place_and_nested_parts() -> None:
    exc = InputError("not a number: {value!r}", value="x", source="a.csv", row=3, column="lat")
    assert str(exc) == "a.csv, row 3, column 'lat': not a number: 'x'"
    assert wording.error_text(exc, "en") == str(exc)
    assert wording.error_text(exc, "ru") == "a.csv, строка 3, столбец «lat»: не число: «x»"
    nested = Message("{n:,} of them{more}", n=2000, more=Message(" and {k:,} more", k=1500))
    assert str(nested) == "2,000 of them and 1,500 more"


def test_unknown_language_is_refused() -> None:
    with pytest.raises(InputError, match="--lang must be ru or en"):
        wording.set_language("de")


# ---------------------------------------------------------------------------------------
# real commands on a Russian Excel-style CSV


@pytest.fixture
def excel_ru(tmp_path: Path) -> dict[str, Path]:
    """Points as Russian Excel saves them: cp1251, ``;``, decimal commas, Cyrillic
    headers; ``bad`` has a broken longitude in data row 2."""
    good = "код;широта;долгота;kind;status\nП-1;55,7558;37,6173;partner;active\n" \
           "П-2;55,7600;37,6500;partner;active\nП-3;55,7561;37,6180;partner;active\n"  # fmt: skip
    bad = "код;широта;долгота\nП-1;55,7558;37,6173\nП-2;55,76;37.65.1\n"
    paths = {"good": tmp_path / "точки.csv", "bad": tmp_path / "плохие.csv"}
    paths["good"].write_bytes(good.encode("cp1251"))
    paths["bad"].write_bytes(bad.encode("cp1251"))
    paths["out"] = tmp_path / "out.csv"
    return paths


@pytest.fixture
def env_language(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Set ``PVZ_LANGUAGE`` for one test (``None``: unset)."""

    def use(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv("PVZ_LANGUAGE", raising=False)
        else:
            monkeypatch.setenv("PVZ_LANGUAGE", value)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


def test_default_is_russian(excel_ru: dict[str, Path], env_language) -> None:  # type: ignore[no-untyped-def]
    env_language(None)
    res = runner.invoke(app, ["audit", str(excel_ru["bad"]), "-o", str(excel_ru["out"])])
    assert res.exit_code == 2
    assert res.output.strip() == (f"ошибка: {excel_ru['bad']}, строка 2, столбец «lon»: "
                                  "не число: «37.65.1»")  # fmt: skip
    assert not excel_ru["out"].exists()
    res = runner.invoke(app, ["audit", str(excel_ru["good"]), "-o", str(excel_ru["out"])])
    assert res.exit_code == 0, res.output
    # 1 violating pair: П-1 and П-3 are ~50 m apart
    assert res.output.strip() == (f"Аудит: 3 действующие точки; найдено: 1 пара с нарушением "
                                  f"-> {excel_ru['out']} (записано: 1 строка)")  # fmt: skip
    assert len(pd.read_csv(excel_ru["out"])) == 1


def test_lang_en_and_pvz_language_en(excel_ru: dict[str, Path], env_language) -> None:  # type: ignore[no-untyped-def]
    env_language(None)
    args = ["audit", str(excel_ru["bad"]), "-o", str(excel_ru["out"])]
    want = f"error: {excel_ru['bad']}, row 2, column 'lon': not a number: '37.65.1'"
    res = runner.invoke(app, ["--lang", "en", *args])
    assert (res.exit_code, res.output.strip()) == (2, want)
    env_language("en")
    res = runner.invoke(app, args)
    assert (res.exit_code, res.output.strip()) == (2, want)
    # the option wins over the setting
    res = runner.invoke(app, ["--lang", "ru", *args])
    assert res.exit_code == 2 and res.output.startswith("ошибка: ")
    res = runner.invoke(app, ["--lang", "en", "audit", str(excel_ru["good"]), "-o",
                              str(excel_ru["out"])])  # fmt: skip
    assert res.exit_code == 0
    assert res.output.strip() == (f"3 live points audited: 1 violating pair -> "
                                  f"{excel_ru['out']} (1 row written)")  # fmt: skip


def test_bad_lang_exits_2(excel_ru: dict[str, Path], env_language) -> None:  # type: ignore[no-untyped-def]
    env_language(None)
    res = runner.invoke(app, ["--lang", "de", "audit", str(excel_ru["good"]), "-o",
                              str(excel_ru["out"])])  # fmt: skip
    assert res.exit_code == 2 and "--lang" in res.output and "«de»" in res.output
    assert not excel_ru["out"].exists()


def test_warning_in_russian_with_numbers(tmp_path: Path, env_language) -> None:  # type: ignore[no-untyped-def]
    env_language(None)
    rows = [f"{i};{55 + i / 1000:.4f};{37 + i / 1000:.4f}".replace(".", ",")
            for i in range(1, 1201)]  # fmt: skip
    rows.append("PARIS;48,85;2,35")
    src = tmp_path / "pts.csv"
    src.write_bytes(("id;lat;lon\n" + "\n".join(rows) + "\n").encode("cp1251"))
    res = runner.invoke(app, ["demo-candidates", str(src), "-o", str(tmp_path / "c.csv"),
                              "--n", "1500"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (f"предупреждение: {src}: строк вне России — 1 из 1\u00a0201 (строки 1201)"
            in res.output)  # fmt: skip
    assert (
        f"Создано: 1\u00a0500 демо-кандидатов -> {tmp_path / 'c.csv'} (записано: 1\u00a0500 строк)"
    ) in res.output


def test_rewards_in_russian_roubles_and_warnings(tmp_path: Path, env_language) -> None:  # type: ignore[no-untyped-def]
    env_language(None)
    points, orders = tmp_path / "points.csv", tmp_path / "orders.csv"
    points.write_text("id,opened_on,closed_days_2020\nA,2020-01-01,0\nB,2020-05-20,30\n")
    orders.write_text("order_id,point_id,issued_on,price_rub,status\n1,A,2024-05-02,1234.50,"
                      "issued\n2,B,2024-05-03,100000.00,issued\n")  # fmt: skip
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["rewards", str(points), str(orders), "--month", "2024-05", "-o",
                              str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    # 5 % of 1234.50 (61.73 rounded half up) + 250.00 (capped)
    assert f"2 ведомости за 2024-05, вознаграждение всего 311,73\u00a0₽ (корректировки " \
           f"0,00\u00a0₽) -> {out}" in res.output  # fmt: skip
    assert (f"предупреждение: {points}, строка 2, столбец «closed_days_2020»: точка B: "
            "closed_days_2020 = 30 уменьшено до 12") in res.output  # fmt: skip
    res = runner.invoke(app, ["rewards", str(points), str(orders), "--month", "2024-13", "-o",
                              str(out)])  # fmt: skip
    assert res.exit_code == 2
    assert "ошибка: столбец «--month»: месяц должен быть в формате ГГГГ-ММ" in res.output


def test_main_lists_commands_in_russian() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PVZ_LANGUAGE"}
    run = [sys.executable, "-c", "from api.cli import main; main()"]
    audit_en = cli.COMMANDS["audit"][1]
    for args, want, unwanted in (
        (["--help"], MESSAGES[audit_en], audit_en),
        (["--lang", "en", "--help"], audit_en, MESSAGES[audit_en]),
    ):
        out = subprocess.run([*run, *args], capture_output=True, text=True, env=env, cwd=ROOT,
                             check=True).stdout  # fmt: skip
        text = " ".join(out.replace("│", " ").split())
        assert want[:30] in text and unwanted[:30] not in text
