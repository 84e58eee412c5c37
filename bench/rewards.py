"""Benchmark: one month of reward statements for 250,000 points and 30 million order lines.

Run ``.venv/bin/python bench/rewards.py`` (``--points``/``--orders`` for a smaller run).
The data is generated in memory, deterministically (numpy, fixed seed); generation is not
timed. Timed phases:

* ``validate``: :func:`planning.rewards.validate_inputs` (statuses, prices, unknown points,
  orders before opening, return/cancellation days, duplicate order ids);
* ``compute``: :func:`planning.rewards.compute_rewards` with ``validate=False``: every
  line's reward in int64 kopecks, every point's totals, double-rate days, bonuses, and the
  adjustments for September items returned in October;
* ``statements``: materialising :class:`~planning.rewards.Statement` objects with their
  lines and their JSON dicts for a sample of points (Python objects per line, the API's
  one-point path), extrapolated rate reported per statement.

Peak memory is the process's peak resident set size (``ru_maxrss``), data included.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._env import require_project_venv, versions  # noqa: E402
from planning.rewards import (  # noqa: E402
    STATUSES,
    compute_rewards,
    format_rub,
    statement_to_dict,
    statements_from_table,
    validate_inputs,
)
from planning.rewards.policy import QualityTier, RetroBonusTier, RewardPolicy  # noqa: E402

__all__ = ["generate", "main"]

MONTH = "2020-10"


def generate(
    n_points: int, n_orders: int, *, seed: int = 20201001
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Deterministic synthetic network and one month of order lines.

    Points open between 2019-01-01 and 2020-10-31 (so every cohort and the double period
    occur in October 2020); April-May 2020 openings get random pandemic closed days.
    Prices are log-normal around 1,500 RUB, in kopecks (some above the 5,000 RUB cap).
    3 % of the lines are September items returned in October (late returns: adjustments
    in October's statements); the rest are October lines, 90 % issued, 7 % returned, 3 %
    cancelled; two thirds of the returns carry a ``returned_on`` 0-30 days after the issue
    (in October: not counted; in November: counted in October), the rest none.
    """
    rng = np.random.default_rng(seed)
    first_open = np.datetime64("2019-01-01")
    opened = first_open + rng.integers(
        0, (np.datetime64("2020-10-31") - first_open).astype(int) + 1, n_points
    )
    opened_i = opened.astype(np.int64)
    apr1 = np.datetime64("2020-04-01").astype(np.int64)
    may31 = np.datetime64("2020-05-31").astype(np.int64)
    window = np.where((opened_i >= apr1) & (opened_i <= may31), may31 - opened_i + 1, 0)
    closed = (rng.random(n_points) * (window + 1)).astype(np.int64)
    points = pd.DataFrame(
        {
            "point_id": np.arange(1, n_points + 1, dtype=np.int64),
            "opened_on": opened.astype("datetime64[s]"),
            "closed_days_2020": closed,
            "rating": np.round(rng.uniform(3.5, 5.0, n_points), 1),
            "complaint_rate_pct": np.round(rng.uniform(0.0, 2.0, n_points), 2),
        }
    )
    # busier points get more lines (Zipf-like weights), every line in October 2020
    weights = 1.0 / np.arange(1, n_points + 1) ** 0.3
    pidx = rng.choice(n_points, size=n_orders, p=weights / weights.sum()).astype(np.int64)
    month_start = np.datetime64("2020-10-01").astype(np.int64)
    day = month_start + rng.integers(0, 31, n_orders)
    late = rng.random(n_orders) < 0.03  # September items returned in October
    day = np.where(late, day - 30, day)
    day = np.maximum(day, opened_i[pidx])  # nothing issued before opening
    price = np.rint(np.exp(rng.normal(np.log(1500.0), 1.0, n_orders)) * 100).astype(np.int64)
    status = rng.choice(3, size=n_orders, p=[0.90, 0.07, 0.03]).astype(np.int8)
    status[late] = 1
    returned = day + rng.integers(0, 31, n_orders)
    in_october = np.maximum(day, month_start + rng.integers(0, 31, n_orders))
    returned = np.where(late, in_october, returned)
    dated = (status == 1) & (late | (rng.random(n_orders) < 2 / 3))
    returned_on = np.where(dated, returned, np.iinfo(np.int64).min).view("datetime64[D]")
    orders = pd.DataFrame(
        {
            "order_id": np.arange(1, n_orders + 1, dtype=np.int64),
            "point_id": pidx + 1,
            "issued_on": day.astype("datetime64[D]").astype("datetime64[s]"),
            "price_kop": price,
            "status": pd.Categorical.from_codes(status, categories=pd.Index(list(STATUSES))),
            "returned_on": returned_on.astype("datetime64[s]"),
        },
        copy=False,
    )
    return points, orders


BONUS_POLICY = RewardPolicy(
    transition_floor=True,
    retro_bonus_tiers=(
        RetroBonusTier(min_turnover_rub=Decimal("300000"), extra_percent=Decimal("0.25")),
        RetroBonusTier(min_turnover_rub=Decimal("1000000"), extra_percent=Decimal("0.5")),
    ),
    quality_tiers=(
        QualityTier(
            min_rating=Decimal("4.8"),
            max_complaint_rate_pct=Decimal("0.5"),
            multiplier=Decimal("1.1"),
        ),
    ),
)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=250_000)
    parser.add_argument("--orders", type=int, default=30_000_000)
    parser.add_argument("--sample", type=int, default=1_000, help="statements to materialise")
    args = parser.parse_args(argv)
    require_project_venv()
    print(f"versions: {versions('numpy', 'pandas')}", flush=True)

    t0 = time.perf_counter()
    points, orders = generate(args.points, args.orders)
    gen_s = time.perf_counter() - t0
    print(
        f"generated {len(points):,} points and {len(orders):,} order lines for {MONTH} "
        f"in {gen_s:.1f} s (not timed below); peak RSS {_peak_mib():,.0f} MiB"
    )

    rows = []
    for label, policy in (("default policy", RewardPolicy()), ("bonuses + floor", BONUS_POLICY)):
        t = time.perf_counter()
        pts, ords = validate_inputs(points, orders, policy=policy)
        validate_s = time.perf_counter() - t
        t = time.perf_counter()
        table = compute_rewards(pts, ords, MONTH, policy=policy, validate=False)
        compute_s = time.perf_counter() - t
        sample_ids = table.totals["point_id"].to_numpy()[
            :: max(1, len(table.totals) // args.sample)
        ]
        t = time.perf_counter()
        sample = [statement_to_dict(s) for s in statements_from_table(table, point_ids=sample_ids)]
        stmt_s = time.perf_counter() - t
        total_s = validate_s + compute_s
        n_lines = len(table.lines)  # issued in October; the September lines are adjustments
        t = table.totals
        parts = ["item_reward_kop", "retro_bonus_kop", "quality_bonus_kop", "floor_kop"]
        assert int(t["reward_kop"].sum()) == int(t[parts].to_numpy().sum()) + int(
            t["adjustment_kop"].sum()
        )
        assert int(t["adjustment_kop"].sum()) == int(table.adjustments["reward_kop"].sum())
        rows.append(
            (
                label,
                len(table.totals),
                n_lines,
                validate_s,
                compute_s,
                total_s,
                len(ords) / total_s,
                len(sample),
                sum(len(s["lines"]) + len(s["adjustments"]) for s in sample),
                stmt_s,
                _peak_mib(),
                format_rub(int(table.totals["reward_kop"].sum())),
                len(table.adjustments),
                format_rub(int(t["adjustment_kop"].sum())),
            )
        )

    print()
    print(
        "| policy | statements | October lines | late returns | validate s | compute s "
        "| total s | lines/s | sample statements (lines) | sample s | peak RSS MiB "
        "| adjustments RUB | network reward RUB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r[0]} | {r[1]:,} | {r[2]:,} | {r[12]:,} | {r[3]:.1f} | {r[4]:.1f} | {r[5]:.1f} "
            f"| {r[6] / 1e6:.1f} M | {r[7]:,} ({r[8]:,}) | {r[9]:.2f} | {r[10]:,.0f} | {r[13]} "
            f"| {r[11]} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
