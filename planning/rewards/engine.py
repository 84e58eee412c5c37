"""The reward engine: a month's rewards of a whole network, vectorised in int64 kopecks.

:func:`compute_rewards` takes the typed points and orders frames and returns a
:class:`RewardTable` (per-point totals and per-line rewards); :func:`statements_from_table`
materialises :class:`~planning.rewards.statements.Statement` objects from it, and
:func:`build_statements` does both for callers holding records (the API). Bonuses come from
the registry in :mod:`planning.rewards.bonuses`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from data.errors import InputError
from planning.rewards.bonuses import Bonus, BonusInputs, registered_bonuses
from planning.rewards.calendar import (
    as_days,
    day_number,
    double_rate_days,
    double_rate_end,
    month_bounds,
    pandemic_clamps,
)
from planning.rewards.money import (
    IntArray,
    fits_int64,
    format_rub,
    half_up_div,
    kop,
    percent_label,
    ratio,
)
from planning.rewards.orders import (
    ISSUED_CODE,
    NO_DAY,
    STATUSES,
    OrderRecord,
    event_days,
    orders_frame_from_records,
    status_codes,
    validate_inputs,
)
from planning.rewards.points import PointRecord, points_frame_from_records
from planning.rewards.policy import RewardPolicy
from planning.rewards.statements import Statement, StatementLine

__all__ = [
    "RewardTable",
    "build_point_statement",
    "build_statements",
    "compute_rewards",
    "statements_from_table",
]


@dataclass(frozen=True)
class RewardTable:
    """The vectorised result of one month: per-point totals and per-line rewards.

    ``totals`` has one row per point with orders or a reward in the month, sorted by
    ``point_id``, all money columns int64 kopecks: ``turnover_kop``, ``issued_count``,
    ``line_count``, ``item_reward_kop``, one column per bonus (``retro_bonus_kop``,
    ``quality_bonus_kop``), ``new_scheme_kop``, ``old_scheme_kop``, one column per top-up
    (``floor_kop``), ``reward_kop``, ``double_rate_days``, the tier of each tiered bonus
    (``retro_tier``, ``quality_tier``; ``-1`` for none), ``adjustment_kop`` (zero or
    negative), ``adjustment_count``; ``reward_kop`` includes the adjustments.
    ``lines`` has one row per order line issued in the month (input order): ``order_id``,
    ``point_idx`` (row of ``points``), ``issued_day`` (days since 1970-01-01),
    ``price_kop``, ``status_code`` (index in :data:`STATUSES`, as at the month's end: an
    item returned or cancelled in a later month is ``issued`` here), ``capped``,
    ``double_rate``, ``reward_kop``.
    ``adjustments`` has one row per item of an earlier month returned or cancelled in this
    one: the same columns plus ``event_day``; ``reward_kop`` is minus the item's reward.
    ``notes`` maps a row of ``points`` to its warnings (clamped pandemic counts).
    ``bonuses`` are the bonuses that were computed (the registry's by default).
    """

    month: str
    policy: RewardPolicy
    point_ids: pd.Index
    totals: pd.DataFrame
    lines: pd.DataFrame = field(repr=False)
    adjustments: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    notes: dict[int, tuple[str, ...]] = field(repr=False, default_factory=dict)
    bonuses: tuple[Bonus, ...] = field(repr=False, default_factory=registered_bonuses)


# ---------------------------------------------------------------------------------------
# the vectorised engine


def compute_rewards(
    points: pd.DataFrame,
    orders: pd.DataFrame,
    month: str,
    *,
    policy: RewardPolicy | None = None,
    validate: bool = True,
    bonuses: Sequence[Bonus] | None = None,
) -> RewardTable:
    """Compute every point's reward for ``month``, vectorised in int64 kopecks.

    Parameters
    ----------
    points : ``point_id``, ``opened_on`` (datetime64 or dates), optional
        ``closed_days_2020`` (int), ``rating`` and ``complaint_rate_pct`` (float, NaN when
        unknown)
    orders : ``order_id``, ``point_id``, ``issued_on``, ``price_kop`` (int64 kopecks),
        ``status`` (str or categorical over :data:`STATUSES`); orders outside ``month``
        are ignored
    month : ``YYYY-MM``
    policy : the programme's numbers; defaults to :class:`RewardPolicy()`
    validate : run :func:`validate_inputs` first (drop exact duplicates, reject bad rows);
        pass ``False`` only for frames that already went through it
    bonuses : the bonuses to pay, in order; defaults to the registry
        (:func:`~planning.rewards.bonuses.registered_bonuses`)

    Returns
    -------
    A :class:`RewardTable`; turn it into statements with :func:`statements_from_table`.
    """
    policy = policy or RewardPolicy()
    bonuses = registered_bonuses() if bonuses is None else tuple(bonuses)
    first, last = month_bounds(month)
    if validate:
        points, orders = validate_inputs(points, orders, policy=policy)
    pid = pd.Index(points["point_id"])
    n_points = len(pid)
    opened = as_days(points["opened_on"].to_numpy())
    closed = (
        points["closed_days_2020"].to_numpy(dtype=np.int64)
        if "closed_days_2020" in points.columns
        else np.zeros(n_points, dtype=np.int64)
    )
    dbl_end = double_rate_end(opened, closed, policy=policy)

    # the month's order lines, and earlier items returned or cancelled in the month
    ms, me = day_number(first), day_number(last)
    issued_all = as_days(orders["issued_on"].to_numpy())
    codes_all = status_codes(orders, None)
    events = event_days(orders)
    event_all: IntArray | None = None
    if events:
        event_all = np.full(len(orders), NO_DAY, dtype=np.int64)
        for days in events.values():
            event_all = np.where(days != NO_DAY, days, event_all)
    in_month = (issued_all >= ms) & (issued_all <= me)
    take = None if bool(in_month.all()) else np.flatnonzero(in_month)

    def pick(values: Any, rows: Any = take) -> Any:
        return values if rows is None else values[rows]

    issued = pick(issued_all)
    price = pick(orders["price_kop"].to_numpy(dtype=np.int64))
    codes = pick(codes_all)
    if event_all is not None:  # returned or cancelled after the month: issued as of its end
        later = pick(event_all) > me
        codes = np.where(later & (codes != ISSUED_CODE), np.int8(ISSUED_CODE), codes).astype(
            np.int8
        )
    order_ids = pick(orders["order_id"].to_numpy())
    point_col = orders["point_id"].to_numpy()
    pidx = _point_rows(pid, pick(point_col))

    issued_mask = codes == ISSUED_CODE
    reward, capped, double = _item_rewards(price, issued, pidx, opened, dbl_end, policy)
    capped &= issued_mask
    reward = np.where(issued_mask, reward, 0).astype(np.int64)

    # adjustments: items of earlier months whose return or cancellation falls in this month
    adj_rows = np.zeros(0, dtype=np.int64)
    if event_all is not None:
        adj_rows = np.flatnonzero(
            (codes_all != ISSUED_CODE) & (event_all >= ms) & (event_all <= me) & (issued_all < ms)
        )
    a_issued = issued_all[adj_rows]
    a_price = orders["price_kop"].to_numpy(dtype=np.int64)[adj_rows]
    a_pidx = _point_rows(pid, point_col[adj_rows])
    a_reward, a_capped, a_double = _item_rewards(a_price, a_issued, a_pidx, opened, dbl_end, policy)
    adjustments = pd.DataFrame(
        {
            "order_id": orders["order_id"].to_numpy()[adj_rows],
            "point_idx": a_pidx,
            "issued_day": a_issued,
            "event_day": event_all[adj_rows] if event_all is not None else a_issued,
            "price_kop": a_price,
            "status_code": codes_all[adj_rows],
            "capped": a_capped,
            "double_rate": a_double,
            "reward_kop": -a_reward,
        }
    )

    # per-point sums (np.add.at on int64: exact)
    turnover = np.zeros(n_points, dtype=np.int64)
    item_reward = np.zeros(n_points, dtype=np.int64)
    issued_count = np.zeros(n_points, dtype=np.int64)
    line_count = np.zeros(n_points, dtype=np.int64)
    np.add.at(turnover, pidx, np.where(issued_mask, price, 0))
    np.add.at(item_reward, pidx, reward)
    np.add.at(issued_count, pidx, issued_mask.astype(np.int64))
    np.add.at(line_count, pidx, 1)
    adjust = np.zeros(n_points, dtype=np.int64)
    adjust_count = np.zeros(n_points, dtype=np.int64)
    np.add.at(adjust, a_pidx, -a_reward)
    np.add.at(adjust_count, a_pidx, 1)

    old = issued_count * kop(policy.old_fee_per_parcel_rub)
    inputs = BonusInputs(
        points=points,
        turnover_kop=turnover,
        item_reward_kop=item_reward,
        issued_count=issued_count,
        old_scheme_kop=old,
        earned_kop=item_reward,
    )
    amounts, tiers = _bonus_columns(bonuses, inputs, policy)
    new = item_reward + sum(
        (amounts[b.column] for b in bonuses if not b.top_up), np.zeros(n_points, np.int64)
    )
    total = new + sum((amounts[b.column] for b in bonuses if b.top_up), adjust)
    dbl_days = double_rate_days(opened, dbl_end, first=ms, last=me)

    keep = np.flatnonzero((line_count > 0) | (adjust_count > 0) | (total != 0))
    keep = keep[np.argsort(pid.to_numpy()[keep], kind="stable")]
    columns: dict[str, Any] = {
        "point_id": pid.to_numpy(),
        "point_idx": np.arange(n_points),
        "turnover_kop": turnover,
        "issued_count": issued_count,
        "line_count": line_count,
        "item_reward_kop": item_reward,
        **{b.column: amounts[b.column] for b in bonuses if not b.top_up},
        "new_scheme_kop": new,
        "old_scheme_kop": old,
        **{b.column: amounts[b.column] for b in bonuses if b.top_up},
        "reward_kop": total,
        "double_rate_days": dbl_days,
        **tiers,
        "adjustment_kop": adjust,
        "adjustment_count": adjust_count,
    }
    totals = pd.DataFrame({name: values[keep] for name, values in columns.items()})
    lines = pd.DataFrame(
        {
            "order_id": order_ids,
            "point_idx": pidx,
            "issued_day": issued,
            "price_kop": price,
            "status_code": codes,
            "capped": capped,
            "double_rate": double & issued_mask,
            "reward_kop": reward,
        },
        copy=False,
    )
    return RewardTable(
        month=month,
        policy=policy,
        point_ids=pid,
        totals=totals,
        lines=lines,
        adjustments=adjustments,
        notes={i: (str(m),) for i, m in pandemic_clamps(points, policy=policy).items()},
        bonuses=bonuses,
    )


def _point_rows(pid: pd.Index, point_ids: Any) -> IntArray:
    """Rows of ``pid`` for ``point_ids``; an unknown point is an error."""
    rows = pid.get_indexer(point_ids)
    if (rows < 0).any():
        raise InputError("unknown point {id!r}", id=point_ids[int(np.argmax(rows < 0))])
    return rows.astype(np.int64)


def _bonus_columns(
    bonuses: Sequence[Bonus], inputs: BonusInputs, policy: RewardPolicy
) -> tuple[dict[str, IntArray], dict[str, IntArray]]:
    """Each bonus's amounts (by its column) and tiers (by its tier column), in order."""
    shape = inputs.item_reward_kop.shape
    amounts: dict[str, IntArray] = {}
    tiers: dict[str, IntArray] = {}
    for bonus in bonuses:
        amount = np.zeros(shape, dtype=np.int64)
        tier = np.full(shape, -1, dtype=np.int64)
        if bonus.active(policy):
            result = bonus.compute(inputs, policy)
            amount = np.asarray(result.amount_kop, dtype=np.int64)
            if result.tier is not None:
                tier = np.asarray(result.tier, dtype=np.int64)
        amounts[bonus.column] = amount
        if bonus.tier_column is not None:
            tiers[bonus.tier_column] = tier
        inputs = replace(inputs, earned_kop=inputs.earned_kop + amount)
    return amounts, tiers


def _item_rewards(
    price: IntArray,
    issued: IntArray,
    pidx: IntArray,
    opened: IntArray,
    dbl_end: IntArray,
    policy: RewardPolicy,
) -> tuple[IntArray, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Each line's reward as if issued, whether it is capped and whether it is doubled.

    ``round(base * factor / den)`` half-up, after doubling (int64 when it fits, exact Python
    integers otherwise).
    """
    rate_p, rate_q = ratio(policy.rate_percent)
    mult_p, mult_q = ratio(policy.double_multiplier)
    den = 100 * rate_q * mult_q
    cap_threshold_kop = kop(policy.cap_threshold_rub)
    cap_kop = kop(policy.cap_amount_rub)
    capped = price >= cap_threshold_kop
    double = (issued >= opened[pidx]) & (issued < dbl_end[pidx])
    max_price = int(price.max()) if price.size else 0
    big = max(mult_p, mult_q)
    if fits_int64(2 * max_price * rate_p * big + den, 2 * cap_kop * 100 * rate_q * big + den):
        base = np.where(capped, cap_kop * 100 * rate_q, price * rate_p)
        num = base * np.where(double, mult_p, mult_q)
        reward = half_up_div(num, den)
    else:  # exact Python integers; slow, only for absurd amounts
        base_o = np.where(capped, cap_kop * 100 * rate_q, price.astype(object) * rate_p)
        num_o = base_o * np.where(double, mult_p, mult_q).astype(object)
        reward = np.asarray(half_up_div(num_o, den), dtype=np.int64)
    return np.asarray(reward, dtype=np.int64), capped, double


# ---------------------------------------------------------------------------------------
# statements


def statements_from_table(
    table: RewardTable, *, point_ids: Iterable[Any] | None = None
) -> list[Statement]:
    """Materialise :class:`Statement` objects (with their lines) from a :class:`RewardTable`.

    Parameters
    ----------
    table : the month's result
    point_ids : only these points (for example one point for the API); default all

    Returns
    -------
    Statements sorted by ``point_id``; item lines sorted by issue day, then order id, then
    one line per bonus that applies (registry order); adjustments by event day, then
    order id.
    """
    totals = table.totals
    if point_ids is not None:
        totals = totals[totals["point_id"].isin(list(point_ids))]
    lines = table.lines
    if len(totals) < len(table.totals):
        lines = lines[lines["point_idx"].isin(totals["point_idx"])]
    ids = lines["order_id"].to_numpy()
    order_key = ids if ids.dtype.kind in "iu" else lines["order_id"].astype(str).to_numpy()
    perm = np.lexsort((order_key, lines["issued_day"].to_numpy(), lines["point_idx"].to_numpy()))
    lines = lines.iloc[perm]
    # small outputs only: one Python object per line
    keys: Any
    grouped: dict[int, pd.DataFrame] = {}
    for keys, group in lines.groupby("point_idx", sort=False):
        grouped[int(keys)] = group
    adjusted = _adjustments_by_point(table, totals)
    policy = table.policy
    rate_label = percent_label(policy.rate_percent)
    cap_label = f"fixed {format_rub(kop(policy.cap_amount_rub))}"
    out = []
    for row in cast(list[dict[str, Any]], totals.to_dict("records")):
        item_lines: list[StatementLine] = []
        g = grouped.get(int(row["point_idx"]))
        if g is not None:
            days = g["issued_day"].to_numpy().astype("datetime64[D]").tolist()
            for oid, day, price, code, cap, dbl, rew in zip(
                g["order_id"].tolist(),
                days,
                g["price_kop"].tolist(),
                g["status_code"].tolist(),
                g["capped"].tolist(),
                g["double_rate"].tolist(),
                g["reward_kop"].tolist(),
                strict=True,
            ):
                label = "none" if code != ISSUED_CODE else cap_label if cap else rate_label
                item_lines.append(
                    StatementLine(
                        kind="item",
                        reward_kop=int(rew),
                        rate=label,
                        order_id=oid,
                        issued_on=day,
                        status=STATUSES[code],
                        price_kop=int(price),
                        double_rate=bool(dbl),
                    )
                )
        extra = [line for b in table.bonuses if (line := b.line(row, policy)) is not None]
        all_lines = tuple(item_lines + extra)
        adjustments = adjusted.get(int(row["point_idx"]), ())
        assert sum(x.reward_kop for x in all_lines + adjustments) == row["reward_kop"]
        out.append(
            Statement(
                point_id=row["point_id"],
                month=table.month,
                turnover_kop=int(row["turnover_kop"]),
                reward_kop=int(row["reward_kop"]),
                double_rate_days=int(row["double_rate_days"]),
                lines=all_lines,
                old_scheme_kop=int(row["old_scheme_kop"]),
                new_scheme_kop=int(row["new_scheme_kop"]),
                adjustments=adjustments,
                notes=table.notes.get(int(row["point_idx"]), ()),
            )
        )
    return out


def _adjustments_by_point(
    table: RewardTable, totals: pd.DataFrame
) -> dict[int, tuple[StatementLine, ...]]:
    """Adjustment lines per point row, by event day, then order id."""
    adj = table.adjustments
    if not len(adj):
        return {}
    adj = adj[adj["point_idx"].isin(totals["point_idx"])]
    ids = adj["order_id"].to_numpy()
    key = ids if ids.dtype.kind in "iu" else adj["order_id"].astype(str).to_numpy()
    adj = adj.iloc[np.lexsort((key, adj["event_day"].to_numpy(), adj["point_idx"].to_numpy()))]
    out: dict[int, list[StatementLine]] = {}
    for oid, pidx, day, event, price, code, dbl, rew in zip(
        adj["order_id"].tolist(),
        adj["point_idx"].tolist(),
        adj["issued_day"].to_numpy().astype("datetime64[D]").tolist(),
        adj["event_day"].to_numpy().astype("datetime64[D]").tolist(),
        adj["price_kop"].tolist(),
        adj["status_code"].tolist(),
        adj["double_rate"].tolist(),
        adj["reward_kop"].tolist(),
        strict=True,
    ):
        out.setdefault(int(pidx), []).append(
            StatementLine(
                kind="adjustment",
                reward_kop=int(rew),
                rate=f"reversal of {day:%Y-%m}",
                order_id=oid,
                issued_on=day,
                status=STATUSES[int(code)],
                price_kop=int(price),
                double_rate=bool(dbl),
                event_on=event,
            )
        )
    return {k: tuple(v) for k, v in out.items()}


def build_statements(
    points: Iterable[PointRecord],
    orders: Iterable[OrderRecord],
    month: str,
    *,
    policy: RewardPolicy | None = None,
) -> list[Statement]:
    """Reward statements for ``month``: one per point with orders or a reward in it.

    The pure entry point for callers holding records (the API): validates, drops exact
    duplicate order lines (ingesting twice changes nothing) and runs the vectorised
    engine. The same inputs give the same statements whatever their order.

    Parameters
    ----------
    points : every point that may appear in ``orders``
    orders : order lines, any months (only ``month`` is used)
    month : ``YYYY-MM``
    policy : defaults to :class:`RewardPolicy()`

    Raises
    ------
    InputError
        naming the offending data row (1-based position in ``orders`` / ``points``).
    """
    policy = policy or RewardPolicy()
    pframe = points_frame_from_records(points, policy=policy)
    oframe = orders_frame_from_records(orders)
    table = compute_rewards(pframe, oframe, month, policy=policy)
    return statements_from_table(table)


def build_point_statement(
    point: PointRecord,
    orders: Iterable[OrderRecord],
    month: str,
    *,
    policy: RewardPolicy | None = None,
) -> Statement:
    """The statement of one point for ``month``, also when it has nothing in the month.

    :func:`build_statements` for one point; a point without orders, adjustments or a
    reward in the month gets a zero statement (no lines) with its double-rate days and
    notes (a clamped pandemic count), as the API answers for it.

    Raises
    ------
    InputError
        as :func:`build_statements`.
    """
    policy = policy or RewardPolicy()
    statements = build_statements([point], orders, month, policy=policy)
    if statements:
        return statements[0]
    first, last = month_bounds(month)
    frame = points_frame_from_records([point], policy=policy)
    opened = as_days(frame["opened_on"].to_numpy())
    end = double_rate_end(opened, frame["closed_days_2020"].to_numpy(), policy=policy)
    days = double_rate_days(opened, end, first=day_number(first), last=day_number(last))
    return Statement(
        point_id=point.point_id,
        month=month,
        turnover_kop=0,
        reward_kop=0,
        double_rate_days=int(days[0]),
        lines=(),
        old_scheme_kop=0,
        new_scheme_kop=0,
        notes=tuple(str(m) for m in pandemic_clamps(frame, policy=policy).values()),
    )
