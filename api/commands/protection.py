"""``pvz check``, ``pvz audit``, ``pvz demo``: the protection rule on files."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import typer

from api import wording
from api.cli import (
    ALLOW_OUTSIDE_OPT,
    ENCODING_OPT,
    RAW_CSV_OPT,
    SEP_OPT,
    SHEET_OPT,
    command,
    read_options,
    say,
)
from api.loaders import load_policy, load_settlements
from api.wording import count
from data.io import read_points, write_table
from geo.settlements import SettlementLookup
from planning.demo import demo_candidates, demo_network
from planning.protection import ProtectionNetwork, ProtectionPolicy

__all__ = ["audit", "check", "demo", "demo_candidates_cmd", "load_network"]

log = logging.getLogger(__name__)

POLICY_OPT = typer.Option(None, "--policy", help="Protection policy TOML (tiers, kinds, statuses).")
BOUNDS_OPT = typer.Option(
    None, "--boundaries", help="Settlement boundary polygons (GeoPackage/GeoJSON with name, "
    "population); containment in them takes precedence over the GeoNames radius rule.",
)  # fmt: skip


def load_network(
    points_path: Path,
    policy: ProtectionPolicy,
    settlements: SettlementLookup,
    **read: Any,
) -> tuple[ProtectionNetwork, pd.DataFrame]:
    """Read a points file and index its live points; returns the network and the table.

    ``read`` goes to :func:`data.io.read_points` (``sep``, ``encoding``, ``sheet``,
    ``allow_outside``)."""
    pts = read_points(points_path, kinds=policy.kinds, statuses=policy.statuses, **read)
    net = ProtectionNetwork(policy, settlements)
    pts["radius_m"] = net.add_points(
        pts["id"].tolist(), pts["lat"], pts["lon"],
        radius_m=pts["radius_m"],
        kind=pts["kind"].fillna(policy.default_kind) if "kind" in pts else None,
        status=pts["status"].fillna(policy.default_status) if "status" in pts else None,
    )  # fmt: skip
    return net, pts


@command("check")
def check(
    points: Path = typer.Argument(..., help="Existing points: id, lat, lon [, radius_m, kind, "
                                  "status] (.csv, .geojson, .gpkg)."),
    candidates: Path = typer.Argument(..., help="Candidates: id, lat, lon [, radius_m, kind]."),
    out: Path = typer.Option(..., "-o", "--out", help="Output .csv or .geojson, one row per "
                             "candidate."),
    policy: Path | None = POLICY_OPT,
    boundaries: Path | None = BOUNDS_OPT,
    sep: str | None = SEP_OPT,
    encoding: str | None = ENCODING_OPT,
    sheet: str | None = SHEET_OPT,
    allow_outside: bool = ALLOW_OUTSIDE_OPT,
    raw_csv: bool = RAW_CSV_OPT,
) -> None:  # fmt: skip
    """Check candidate locations against the competition-protection rule.

    A candidate conflicts with a live point when the WGS84 geodesic distance is
    below max(point radius, candidate radius). Missing radii come from the
    settlement tiers. Output columns: id, allowed, radius_m, settlement,
    settlement_population (the candidate's settlement and its population; empty
    and 0 in open country), n_conflicts, nearest_id, nearest_distance_m,
    conflict_ids (';'-joined, nearest first).
    """
    pol = load_policy(policy)
    read = read_options(sep, encoding, sheet, allow_outside)
    net, _ = load_network(points, pol, load_settlements(boundaries), **read)
    cand = read_points(candidates, kinds=pol.kinds, allow_status=False, **read)
    res = net.check_batch(
        cand["lat"], cand["lon"],
        kind=cand["kind"].fillna(pol.default_kind) if "kind" in cand else None,
        radius_m=cand["radius_m"], all_distances=False,
    )  # fmt: skip
    table = res.to_frame(cand["id"].tolist())
    if out.suffix.lower() != ".csv":
        table["lat"], table["lon"] = cand["lat"], cand["lon"]
    write_table(table, out, raw_csv=raw_csv)
    n_ok = int(res.allowed.sum())
    say("{candidates} checked against {points}: {allowed:,} allowed, {blocked:,} blocked "
        "-> {out} ({rows} written)", candidates=count(len(table), "candidate"),
        points=count(len(net.index), "live point"), allowed=n_ok, blocked=len(table) - n_ok,
        out=out, rows=count(len(table), "row"))  # fmt: skip


@command("audit")
def audit(
    points: Path = typer.Argument(..., help="Points: id, lat, lon [, radius_m, kind, status]."),
    out: Path = typer.Option(..., "-o", "--out", help="Output .csv of violating pairs."),
    policy: Path | None = POLICY_OPT,
    boundaries: Path | None = BOUNDS_OPT,
    sep: str | None = SEP_OPT,
    encoding: str | None = ENCODING_OPT,
    sheet: str | None = SHEET_OPT,
    allow_outside: bool = ALLOW_OUTSIDE_OPT,
    raw_csv: bool = RAW_CSV_OPT,
) -> None:
    """List every pair of live points that violates the protection rule.

    Output columns: a_id, b_id, distance_m (WGS84 geodesic), radius_m (max of
    the two radii), nearest pairs first.
    """
    read = read_options(sep, encoding, sheet, allow_outside)
    net, _ = load_network(points, load_policy(policy), load_settlements(boundaries), **read)
    res = net.audit()
    write_table(res.to_frame(), out, raw_csv=raw_csv)
    say("{points} audited: {pairs} -> {out} ({rows} written)",
        points=count(len(net.index), "live point"), pairs=count(len(res), "violating pair"),
        out=out, rows=count(len(res), "row"))  # fmt: skip


@command("demo")
def demo(
    out: Path = typer.Option(..., "-o", "--out", help="Output .csv, .geojson or .gpkg."),
    n: int = typer.Option(10_000, "--n", min=1, max=2_000_000, help="Number of points."),
    seed: int = typer.Option(42, "--seed", help="Random seed (same seed, same network)."),
    violations: int = typer.Option(0, "--violations", min=0, help="Planted rule violations."),
    verbose: bool = typer.Option(False, "--progress", help="Show a progress bar."),
) -> None:
    """Write a deterministic demo network that obeys the protection rule."""
    df = demo_network(n, seed=seed, violations=violations, verbose=verbose,
                      desc=wording.say("demo network"), unit=wording.say("pt"))  # fmt: skip
    write_table(df, out)
    live = int(np.isin(df["status"], ["active", "paused"]).sum())
    say("{points} ({live:,} active or paused) -> {out} ({rows} written)",
        points=count(len(df), "demo point"), live=live, out=out,
        rows=count(len(df), "row"))  # fmt: skip


@command("demo-candidates")
def demo_candidates_cmd(
    points: Path = typer.Argument(..., help="A demo network written by `pvz demo`."),
    out: Path = typer.Option(..., "-o", "--out", help="Output .csv, .geojson or .gpkg."),
    n: int = typer.Option(1000, "--n", min=1, max=10_000_000, help="Number of candidates."),
    seed: int = typer.Option(7, "--seed", help="Random seed."),
    sep: str | None = SEP_OPT,
    encoding: str | None = ENCODING_OPT,
    sheet: str | None = SHEET_OPT,
    allow_outside: bool = ALLOW_OUTSIDE_OPT,
) -> None:
    """Write candidate locations near and around a network (for demos and benchmarks)."""
    pts = read_points(points, **read_options(sep, encoding, sheet, allow_outside))
    df = demo_candidates(pts, n, seed=seed)
    write_table(df, out)
    say("{candidates} -> {out} ({rows} written)", candidates=count(len(df), "demo candidate"),
        out=out, rows=count(len(df), "row"))  # fmt: skip
