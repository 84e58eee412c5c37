"""``pvz rewards`` and ``pvz rewards-compare``: reward statements and scheme comparison on files."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
import typer

from api import wording
from api.cli import ENCODING_OPT, RAW_CSV_OPT, SEP_OPT, SHEET_OPT, command, say, warn
from data.errors import InputError, Message
from data.io import read_table
from data.sheets import table_format, write_sheets, write_text_atomic
from planning.rewards import (
    STATUSES,
    ComparisonSummary,
    compare_schemes,
    compute_rewards,
    format_rub,
    month_bounds,
    pandemic_clamps,
    parse_orders_frame,
    parse_points_frame,
    statement_lines_frame,
    statement_to_dict,
    statements_frame_from_table,
    statements_from_table,
    summarize_comparison,
    validate_inputs,
)
from planning.rewards.policy import RewardPolicy, policy_from_toml

__all__ = [
    "STATEMENT_FORMATS",
    "comparison_to_frame",
    "load_inputs",
    "load_policy",
    "read_csv_strings",
    "rewards",
    "rewards_compare",
    "statements_json",
    "warn_clamps",
]

#: ``pvz rewards -o``: extension -> format
STATEMENT_FORMATS = {".json": "json", ".csv": "csv", ".xlsx": "xlsx"}

log = logging.getLogger(__name__)

POINTS_ARG = typer.Argument(
    ...,
    help="Points (.csv or .xlsx): id, opened_on (YYYY-MM-DD) [, closed_days_2020, rating, "
    "complaint_rate_pct].",
)
ORDERS_ARG = typer.Argument(
    ...,
    help="Orders (.csv or .xlsx): order_id, point_id, issued_on (YYYY-MM-DD), price_rub "
    "(1234.50, 1234,5 or 1 234,50), "
    f"status ({', '.join(STATUSES)}) [, returned_on, cancelled_on (YYYY-MM-DD)].",
)
POLICY_OPT = typer.Option(
    None, "--policy", help="Reward policy TOML (see examples/rewards_policy_example.toml)."
)


# ---------------------------------------------------------------------------------------
# the edges: reading and writing files


def read_csv_strings(
    path: Path, *, sep: str | None = None, encoding: str | None = None, sheet: str | None = None
) -> pd.DataFrame:
    """A points or orders file as a table of strings, read by :func:`data.io.read_table`
    like every other input: CSV in any dialect (``,``/``;``/tab, UTF-8 with or without
    BOM or cp1251, decimal commas) or ``.xlsx`` (``sheet``, or ``FILE.xlsx#SHEET``);
    errors name the file and row."""
    return read_table(path, sep=sep, encoding=encoding, sheet=sheet)


def load_policy(path: Path | None) -> RewardPolicy:
    """The policy in ``path`` (TOML), or the defaults when ``path`` is ``None``."""
    if path is None:
        return RewardPolicy()
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError) as exc:
        raise InputError("cannot read policy: {why}", why=exc, source=str(path)) from None
    return policy_from_toml(text, source=str(path))


def load_inputs(
    points_path: Path, orders_path: Path, policy: RewardPolicy, **read: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read, parse and validate both files; errors name the file, data row and column.

    ``read`` (``sep``, ``encoding``, ``sheet``) goes to :func:`read_csv_strings`."""
    points = parse_points_frame(
        read_csv_strings(points_path, **read), source=str(points_path), policy=policy
    )
    orders = parse_orders_frame(read_csv_strings(orders_path, **read), source=str(orders_path))
    points, orders = validate_inputs(
        points,
        orders,
        policy=policy,
        points_source=str(points_path),
        orders_source=str(orders_path),
    )
    warn_clamps(points, policy=policy, source=str(points_path))
    return points, orders


def warn_clamps(points: pd.DataFrame, *, policy: RewardPolicy, source: str) -> None:
    """Report each clamped pandemic count once per point on stderr (never an error)."""
    for i, message in pandemic_clamps(points, policy=policy).items():
        where = wording.place(source, int(points.index[i]) + 1, "closed_days_2020")
        warn("{where}: point {id}: {message}", where=where, id=points["point_id"].iloc[i],
             message=message)  # fmt: skip


def _month(value: str, option: str) -> str:
    try:
        month_bounds(value)
    except InputError as exc:
        raise InputError(Message(exc.template, **exc.params), column=option) from None
    return value.strip()


# ---------------------------------------------------------------------------------------
# pvz rewards


def statements_json(statements: list[dict[str, Any]]) -> str:
    """The exact text ``pvz rewards`` writes: a JSON list of statements, 2-space indent."""
    return json.dumps(statements, ensure_ascii=False, indent=2) + "\n"


@command("rewards")
def rewards(
    points: Path = POINTS_ARG,
    orders: Path = ORDERS_ARG,
    month: str = typer.Option(..., "--month", help="Statement month, YYYY-MM."),
    out: Path = typer.Option(
        ...,
        "-o",
        "--out",
        help="Output by extension: .json (the statements with their lines), .csv (one row "
        "per point, UTF-8 with BOM) or .xlsx (a statements sheet and a lines sheet).",
    ),
    lines_out: Path | None = typer.Option(
        None, "--lines-out", help="Also write every line of every statement (.csv or .xlsx)."
    ),
    policy: Path | None = POLICY_OPT,
    sep: str | None = SEP_OPT,
    encoding: str | None = ENCODING_OPT,
    sheet: str | None = SHEET_OPT,
    raw_csv: bool = RAW_CSV_OPT,
) -> None:
    """Write the month's reward statement of every point with orders, adjustments or a reward.

    Each statement: point_id, month, turnover_rub, reward_rub (the total), double_rate_days,
    lines, adjustments, old_scheme_rub, notes; money as decimal strings with two decimals.
    The total is the sum of the lines, one per order line issued in the month (issued
    items earn a percent of the price or the capped amount, doubled in the first months
    after opening; items returned or cancelled within the month earn 0.00), then any
    retro-bonus, quality bonus and transition-floor lines, and of the adjustments: minus
    the reward of each item of an earlier month returned (returned_on) or cancelled
    (cancelled_on) in this month. A pandemic count larger than the days possible is
    clamped, with a warning. CSV: point_id, month, turnover_rub, item_reward_rub,
    double_rate_days, old_scheme_rub, bonuses_rub, adjustments_rub, total_rub, notes.
    """
    fmt = table_format(out, allowed=STATEMENT_FORMATS)
    if lines_out is not None:
        table_format(lines_out)
    month = _month(month, "--month")
    pol = load_policy(policy)
    pts, ords = load_inputs(points, orders, pol, sep=sep, encoding=encoding, sheet=sheet)
    table = compute_rewards(pts, ords, month, policy=pol, validate=False)
    # one Python object per line only when lines are written
    need_lines = fmt != "csv" or lines_out is not None
    statements = statements_from_table(table) if need_lines else []
    if fmt == "json":
        write_text_atomic(out, statements_json([statement_to_dict(s) for s in statements]))
    else:
        sheets = {"statements": statements_frame_from_table(table)}
        if fmt == "xlsx":
            sheets["lines"] = statement_lines_frame(statements)
        write_sheets(out, sheets, raw_csv=raw_csv)
    if lines_out is not None:
        write_sheets(lines_out, {"lines": statement_lines_frame(statements)}, raw_csv=raw_csv)
    n_statements = len(table.totals)
    total = int(table.totals["reward_kop"].sum())
    adjusted = int(table.totals["adjustment_kop"].sum())
    say(
        "{statements} for {month}, total reward {total} (adjustments {adjusted}) -> {out}{lines}",
        statements=wording.count(n_statements, "statement"),
        month=month,
        total=wording.rub(total),
        adjusted=wording.rub(adjusted),
        out=out,
        lines=wording.say(", lines -> {out}", out=lines_out) if lines_out is not None else "",
    )


# ---------------------------------------------------------------------------------------
# pvz rewards-compare


def comparison_to_frame(comparison: pd.DataFrame) -> pd.DataFrame:
    """Kopeck columns of :func:`~planning.rewards.compare_schemes` as rouble strings.

    Columns: point_id, month, issued_count, turnover_rub, old_scheme_rub, new_scheme_rub,
    difference_rub (new - old), adjustments_rub, paid_rub (max(new, old) with the
    transition floor, plus adjustments).
    """
    out = comparison[["point_id", "month", "issued_count"]].copy()
    for name in ("turnover", "old_scheme", "new_scheme", "difference", "adjustments", "paid"):
        out[f"{name}_rub"] = [format_rub(v) for v in comparison[f"{name}_kop"].tolist()]
    return out


def _summary_lines(summary: ComparisonSummary, *, floor: bool) -> list[str]:
    say = wording.say

    def share(n: int) -> str:
        pct = (100 * n / summary.points) if summary.points else 0.0
        return say("{n:,} ({pct:.1f} %)", n=n, pct=pct)

    lines = [
        say("network {first}..{last}: {points} with orders, new scheme vs old per-parcel fee, "
            "per point over the period", first=summary.first_month, last=summary.last_month,
            points=wording.count(summary.points, "point")),
        say("  earn more under the new scheme: {share}", share=share(summary.more)),
        say("  earn the same:                  {share}", share=share(summary.same)),
        say("  earn less:                      {share}", share=share(summary.less)),
        say("  totals: old {old}, new {new}, paid {paid} (transition floor {floor})",
            old=wording.rub(summary.old_total_kop), new=wording.rub(summary.new_total_kop),
            paid=wording.rub(summary.paid_total_kop), floor=say("on" if floor else "off")),
    ]  # fmt: skip
    half = summary.more * 2 >= summary.points
    lines.append(say("  promise 'every second agent earns more': {kept}",
                     kept=say("kept" if half else "NOT kept")))  # fmt: skip
    if summary.less:
        shown = ", ".join(str(p) for p in summary.less_ids[:10])
        more = say(" and {n:,} more", n=summary.less - 10) if summary.less > 10 else ""
        kept = say("paid at least the old amount thanks to the floor" if floor else "NOT kept")
        lines.append(say("  promise 'the rest no less': {kept}; earning less: {shown}{more}",
                         kept=kept, shown=shown, more=more))  # fmt: skip
    else:
        lines.append(say("  promise 'the rest no less': {kept}", kept=say("kept")))
    return lines


@command("rewards-compare")
def rewards_compare(
    points: Path = POINTS_ARG,
    orders: Path = ORDERS_ARG,
    from_month: str = typer.Option(..., "--from", help="First month, YYYY-MM."),
    to_month: str = typer.Option(..., "--to", help="Last month, YYYY-MM (inclusive)."),
    out: Path | None = typer.Option(
        None, "-o", "--out", help="Also write the table: .csv (UTF-8 with BOM) or .xlsx."
    ),
    policy: Path | None = POLICY_OPT,
    sep: str | None = SEP_OPT,
    encoding: str | None = ENCODING_OPT,
    sheet: str | None = SHEET_OPT,
    raw_csv: bool = RAW_CSV_OPT,
) -> None:
    """Compare the old per-parcel fee with the new percentage, per point and month.

    Prints the table (point_id, month, issued_count, turnover_rub, old_scheme_rub,
    new_scheme_rub, difference_rub, adjustments_rub, paid_rub) and the network summary:
    the share of points earning more under the new scheme and whether any earns less.
    """
    if out is not None:
        table_format(out)
    from_month = _month(from_month, "--from")
    to_month = _month(to_month, "--to")
    if month_bounds(to_month)[0] < month_bounds(from_month)[0]:
        raise InputError("--to {to} is before --from {first}", to=to_month, first=from_month,
                         column="--to")  # fmt: skip
    pol = load_policy(policy)
    pts, ords = load_inputs(points, orders, pol, sep=sep, encoding=encoding, sheet=sheet)
    comparison = compare_schemes(pts, ords, from_month, to_month, policy=pol, validate=False)
    table = comparison_to_frame(comparison)
    if out is not None:
        write_sheets(out, {"comparison": comparison}, raw_csv=raw_csv)
    if len(table):
        typer.echo(table.to_string(index=False))
    else:
        say("(no orders in the period)")
    summary = summarize_comparison(comparison, first_month=from_month, last_month=to_month)
    typer.echo("")
    for line in _summary_lines(summary, floor=pol.transition_floor):
        typer.echo(line)
    if out is not None:
        typer.echo(f"-> {out}")
