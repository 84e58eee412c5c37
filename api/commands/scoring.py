"""``pvz score``, ``pvz whitespace``, ``pvz plan``: scoring and site selection on files."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import geopandas as gpd
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
    warn,
)
from api.commands.protection import BOUNDS_OPT, POLICY_OPT, load_network
from api.loaders import load_policy, load_settlements
from data.bbox import in_bbox
from data.bbox import parse_bbox as _parse_bbox
from data.errors import InputError
from data.io import atomic_path, read_points, read_table, write_table
from data.places import load_places
from planning.demand import DEFAULT_RESOLUTION, Demand, demand_from_frame, settlement_demand
from planning.forecast import MIN_POINTS, ForecastFit, NotEnoughData, fit_forecast, round_range
from planning.scoring import (
    HuffModel,
    HuffParams,
    calibrate,
    features_from_frame,
    served_points,
)
from planning.selection import CoverageProblem, select_sites
from planning.whitespace import find_whitespace

__all__ = ["parse_bbox", "plan", "read_demand", "score", "whitespace"]

log = logging.getLogger(__name__)

DEMAND_OPT = typer.Option(
    None, "--demand", help="Demand points: id, lat, lon, weight (.csv, .geojson, .gpkg). "
    "Default: the bundled settlements' population spread over H3 cells.",
)  # fmt: skip
TURNOVER_COLUMNS = ("turnover_rub", "monthly_turnover_rub", "turnover")


def read_demand(
    path: Path | None,
    *,
    bbox: tuple[float, float, float, float] | None,
    sep: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    **_: object,
) -> Demand:
    """A demand file, or the settlement surface (places inside ``bbox``) when no file is given.

    ``sep``, ``encoding`` and ``sheet`` are the file-reading options of the command (as
    for its points, :func:`api.cli.read_options`); other options are ignored.
    """
    if path is None:
        return settlement_demand(load_places(), bbox=bbox)
    table = read_table(path, sep=sep, encoding=encoding, sheet=sheet)
    return demand_from_frame(table, source=str(path))


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """The ``--bbox`` option: :func:`data.bbox.parse_bbox` (a box of no height is refused)."""
    return _parse_bbox(text, name="--bbox", empty_ok=False)


def _around(frames: list[pd.DataFrame], pad_m: float) -> tuple[float, float, float, float]:
    """A box around the rows of some frames, padded by ``pad_m`` plus the largest urban radius."""
    lat = np.concatenate([f["lat"].to_numpy(float) for f in frames])
    lon = np.concatenate([f["lon"].to_numpy(float) for f in frames])
    pad_deg = (pad_m + 25_000.0) / 111_000.0
    lat_pad = pad_deg
    lon_pad = pad_deg / max(math.cos(math.radians(min(abs(lat).max(), 85.0))), 0.05)
    if lon.max() - lon.min() > 180:  # data on both sides of the antimeridian: no lon cut
        return -180.0, max(lat.min() - lat_pad, -90), 180.0, min(lat.max() + lat_pad, 90)
    return (
        max(lon.min() - lon_pad, -180.0),
        max(lat.min() - lat_pad, -90.0),
        min(lon.max() + lon_pad, 180.0),
        min(lat.max() + lat_pad, 90.0),
    )


def _turnover(pts: pd.DataFrame, source: str) -> np.ndarray | None:
    col = next((c for c in TURNOVER_COLUMNS if c in pts.columns), None)
    if col is None:
        return None
    raw = pts[col].astype(str).str.strip()
    vals = pd.to_numeric(raw.where(raw.ne("") & raw.ne("None"), "nan"), errors="coerce")
    bad = vals.isna() & raw.ne("") & raw.str.lower().ne("nan") & raw.ne("None")
    bad |= vals < 0
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("must be a number >= 0, got {value!r}", value=pts[col].iloc[i],
                         source=source, row=i + 1, column=col)  # fmt: skip
    return vals.to_numpy(dtype=float)


def _opened(pts: pd.DataFrame, source: str) -> np.ndarray:
    """The points' ``opened_on`` days (NaT when the column or a cell is blank)."""
    if "opened_on" not in pts.columns:
        return np.full(len(pts), np.datetime64("NaT", "D"))
    raw = pts["opened_on"].astype(str).str.strip()
    blank = raw.isin(["", "None", "nan", "NaT"])
    days = pd.to_datetime(raw.where(~blank), format="%Y-%m-%d", errors="coerce")
    bad = days.isna() & ~blank
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("not a day (YYYY-MM-DD): {value!r}", value=pts["opened_on"].iloc[i],
                         source=source, row=i + 1, column="opened_on")  # fmt: skip
    return days.to_numpy().astype("datetime64[D]")


def orders_turnover(
    orders: Path,
    months: list[str],
    pts: pd.DataFrame,
    serving: pd.DataFrame,
    source: str,
    **read: str | None,
) -> np.ndarray:
    """Each serving point's observed mean monthly turnover (RUB) in ``months`` from an orders
    file, by the statements' rules (:mod:`planning.rewards.turnover`); NaN for a point open
    throughout none of the months. Orders of points not in the points file are an error.
    ``read`` (``sep``, ``encoding``, ``sheet``) is how the file is read, as every input."""
    from api.commands.rewards import read_csv_strings
    from planning.rewards import month_bounds, parse_orders_frame
    from planning.rewards.turnover import monthly_turnover, observed_turnover

    for m in months:
        try:
            month_bounds(m)
        except ValueError:
            raise InputError("--month must be YYYY-MM, got {month!r}", month=m) from None
    frame = parse_orders_frame(read_csv_strings(orders, **read), source=str(orders))
    ids = pts["id"].astype(str).tolist()
    opened = _opened(pts, source)
    monthly = monthly_turnover(ids, frame, sorted(set(months)), opened_on=opened,
                               source=str(orders))  # fmt: skip
    obs = pd.Series(observed_turnover(monthly, opened), index=ids)
    return obs.reindex(serving["id"].astype(str)).to_numpy(dtype=float)


def _ranges(
    fit: ForecastFit | None, turnover: np.ndarray, rate: float
) -> dict[str, list[int | None]]:
    """The 80 % range columns (whole RUB); empty cells when not calibrated."""
    cols: dict[str, list[int | None]] = {
        "turnover_low_rub": [], "turnover_high_rub": [], "reward_low_rub": [],
        "reward_high_rub": [],
    }  # fmt: skip
    if fit is None:
        return {k: [None] * turnover.size for k in cols}
    low, high = fit.interval(turnover)
    for lo, hi in zip(low.tolist(), high.tolist(), strict=True):
        t = round_range(lo, hi)
        r = round_range(lo * rate, hi * rate)
        for k, v in zip(cols, (*t, *r), strict=True):
            cols[k].append(v)
    return cols


def _features(df: pd.DataFrame, source: str) -> np.ndarray:
    try:
        return features_from_frame(df)
    except ValueError as exc:
        raise InputError(str(exc), source=source) from None


def _check_reach(name: str, value: float) -> None:
    if not (math.isfinite(value) and 0 < value <= 50_000):
        raise InputError("{name} must be in (0, 50000] metres, got {value:g}", name=name,
                         value=value)  # fmt: skip


def _check_out(out: Path, allowed: tuple[str, ...]) -> None:
    if out.suffix.lower() not in allowed:
        raise InputError("unsupported output type {ext!r}; use one of {allowed}",
                         ext=out.suffix or "(none)", allowed=", ".join(allowed),
                         source=str(out))  # fmt: skip


@command("score")
def score(
    points: Path = typer.Argument(..., help="Existing points: id, lat, lon [, radius_m, kind, "
                                  "status, area_m2, waiting_zone, fitting_rooms, rating, "
                                  "turnover_rub]."),
    candidates: Path = typer.Argument(..., help="Candidates: id, lat, lon [, radius_m, kind, "
                                      "features]."),
    out: Path = typer.Option(..., "-o", "--out", help="Output .csv, .geojson or .gpkg."),
    demand: Path | None = DEMAND_OPT,
    reach_m: float = typer.Option(3000.0, "--reach-m", help="Huff reach cutoff, metres."),
    decay_form: str = typer.Option("power", "--decay", help="Distance decay: power or "
                                   "exponential."),
    calibrate_fit: bool = typer.Option(True, "--calibrate/--no-calibrate", help="Fit the model "
                                       "to the points' turnover_rub (or --orders) when "
                                       "present."),
    orders: Path | None = typer.Option(None, "--orders", help="Orders CSV (as for pvz "
                                       "rewards): calibrate on the points' turnover in "
                                       "--month by the statements' rules."),
    months: list[str] | None = typer.Option(None, "--month", help="YYYY-MM month of --orders "
                                            "to calibrate on; repeat for several (the mean "
                                            "of the months each point was open throughout)."),
    reward_rate: float | None = typer.Option(None, "--reward-rate", help="Reward share of "
                                             "turnover (default: the reward policy, 5%)."),
    policy: Path | None = POLICY_OPT,
    boundaries: Path | None = BOUNDS_OPT,
    sep: str | None = SEP_OPT,
    encoding: str | None = ENCODING_OPT,
    sheet: str | None = SHEET_OPT,
    allow_outside: bool = ALLOW_OUTSIDE_OPT,
    raw_csv: bool = RAW_CSV_OPT,
) -> None:  # fmt: skip
    """Score candidate locations with a Huff model of the network.

    One row per candidate: protection decision (blocked candidates stay, with
    blocker_id and blocker_distance_m), attractiveness, demand in reach,
    captured demand, expected monthly turnover and reward (RUB), turnover won
    from outside the network, cannibalized turnover (and the largest losers),
    net gain, and the 80 % ranges turnover_low_rub, turnover_high_rub,
    reward_low_rub, reward_high_rub (whole RUB; empty when not calibrated).
    Calibration: on the points' turnover_rub, or on --orders in --month by the
    statements' rules; with 30 or more points of known turnover it is
    cross-validated over the points (the ranges come from held-out errors);
    with fewer the fit has no range. A JSON summary (calibrated, cross-validated
    mdape and coverage, parameters) goes to stdout.
    """
    _check_reach("--reach-m", reach_m)
    if decay_form not in ("power", "exponential"):
        raise InputError("--decay must be power or exponential, got {decay!r}",
                         decay=decay_form)  # fmt: skip
    if reward_rate is not None and not (math.isfinite(reward_rate) and 0 <= reward_rate <= 1):
        raise InputError("--reward-rate must be in [0, 1], got {rate:g}", rate=reward_rate)
    _check_out(out, (".csv", ".geojson", ".json", ".gpkg"))
    pol = load_policy(policy)
    read = read_options(sep, encoding, sheet, allow_outside)
    net, pts = load_network(points, pol, load_settlements(boundaries), **read)
    cand = read_points(candidates, kinds=pol.kinds, allow_status=False, **read)
    cand_feats = _features(cand, str(candidates))
    serving = served_points(pts, pol)
    if serving.empty:
        raise InputError("no open points to model (all closed)", source=str(points))
    point_feats = _features(serving, str(points))
    turnover = _turnover(serving, str(points))
    if orders is not None:
        if not months:
            raise InputError("--orders needs --month YYYY-MM (the months to calibrate on)")
        if turnover is not None:
            raise InputError("give the turnover either as a turnover_rub column or as "
                             "--orders, not both", source=str(points))  # fmt: skip
        turnover = orders_turnover(orders, months, pts, serving, str(points), sep=sep,
                                   encoding=encoding, sheet=sheet)  # fmt: skip
    elif months:
        raise InputError("--month needs --orders ORDERS.csv")
    dem = read_demand(demand, bbox=_around([serving, cand], reach_m), **read)
    params = HuffParams(decay=decay_form, reach_m=reach_m)  # type: ignore[arg-type]
    model = HuffModel(dem, serving["lat"], serving["lon"], features=point_feats,
                      point_ids=serving["id"].tolist(), params=params)  # fmt: skip
    summary: dict[str, object] = {"calibrated": False}
    fit = None
    n_known = 0 if turnover is None else int(np.isfinite(turnover).sum())
    note = wording.say("not calibrated: {n_known} with turnover, at least {n_min} needed",
                       n_known=wording.count(n_known, "point"), n_min=MIN_POINTS)  # fmt: skip
    if calibrate_fit and turnover is not None and n_known >= MIN_POINTS:
        try:
            fit = fit_forecast(model, turnover)
        except NotEnoughData as exc:  # e.g. every turnover is 0
            note = wording.say("not calibrated: {why}", why=wording.error_text(exc))
    if fit is not None:
        model = model.with_params(fit.params)
        summary = {
            "calibrated": True, "r2": round(fit.r2, 4), "n_points": fit.n_points,
            "mdape": round(fit.mdape, 4), "coverage": round(fit.coverage, 4),
            "interval": fit.level, "folds": fit.folds,
            "decays": {k: round(v, 4) for k, v in fit.decays.items()},
        }  # fmt: skip
    elif calibrate_fit and turnover is not None and n_known >= 3:
        # too few points to measure the error: fitted in-sample, no interval
        cal = calibrate(model, turnover)
        model = model.with_params(cal.params)
        summary = {
            "calibrated": True, "r2": round(cal.r2, 4), "rmse_rub": round(cal.rmse_rub, 2),
            "n_points": cal.n_points, "converged": cal.success, "interval": None,
            "note": note,
        }  # fmt: skip
    elif turnover is not None or orders is not None:
        summary["note"] = note
    res = model.score(
        cand["lat"], cand["lon"], features=cand_feats, network=net,
        kind=cand["kind"].fillna(pol.default_kind) if "kind" in cand else None,
        radius_m=cand["radius_m"], reward_rate=reward_rate,
    )  # fmt: skip
    table = res.to_frame(cand["id"].tolist())
    for name, values in _ranges(fit, res.turnover_rub, res.reward_rate).items():
        table[name] = pd.array(values, dtype="Int64")
    if out.suffix.lower() != ".csv":
        table["lat"], table["lon"] = cand["lat"], cand["lon"]
    write_table(table, out, raw_csv=raw_csv)
    p = model.params
    summary.update(
        {
            "candidates": len(table),
            "allowed": int(res.allowed.sum()),
            "blocked": int((~res.allowed).sum()),
            "demand_cells": len(dem),
            "params": {"decay": p.decay, "beta": round(p.beta, 4), "scale_m": round(p.scale_m, 2),
                       "reach_m": p.reach_m, "spend_rub": round(p.spend_rub, 4),
                       "weights": {k: round(v, 4) for k, v in p.weights.__dict__.items()}},
            "reward_rate": res.reward_rate,
            "out": str(out),
        }
    )  # fmt: skip
    typer.echo(json.dumps(summary, ensure_ascii=False))


@command("whitespace")
def whitespace(
    points: Path = typer.Argument(..., help="Existing points: id, lat, lon [, radius_m, kind, "
                                  "status]."),
    out: Path = typer.Option(..., "-o", "--out", help="Output .geojson or .gpkg of zones."),
    demand: Path | None = DEMAND_OPT,
    bbox: str | None = typer.Option(None, "--bbox", help="minlon,minlat,maxlon,maxlat degrees."),
    reach_m: float = typer.Option(1500.0, "--reach-m", help="A point serves demand closer than "
                                  "this, metres."),
    resolution: int = typer.Option(DEFAULT_RESOLUTION, "--resolution", min=5, max=10,
                                   help="H3 resolution of the zones' cells."),
    top: int | None = typer.Option(None, "--top", min=1, help="Keep only the best N zones."),
    policy: Path | None = POLICY_OPT,
    boundaries: Path | None = BOUNDS_OPT,
    sep: str | None = SEP_OPT,
    encoding: str | None = ENCODING_OPT,
    sheet: str | None = SHEET_OPT,
    allow_outside: bool = ALLOW_OUTSIDE_OPT,
) -> None:  # fmt: skip
    """White space: zones with demand, no point within reach, where a new point is allowed.

    Zones are merged H3 cells ranked by the demand inside them, with the best
    site of each zone (columns rank, demand, n_cells, area_km2, best_lat,
    best_lon, best_site_demand, cells).
    """
    _check_reach("--reach-m", reach_m)
    _check_out(out, (".geojson", ".json", ".gpkg"))
    box = parse_bbox(bbox)
    pol = load_policy(policy)
    read = read_options(sep, encoding, sheet, allow_outside)
    net, _ = load_network(points, pol, load_settlements(boundaries), **read)
    dem = read_demand(demand, bbox=box, **read)
    if box is not None and demand is not None:
        dem = dem.subset(in_bbox(dem.lat, dem.lon, box))
    zones = find_whitespace(dem, net, reach_m=reach_m, resolution=resolution)
    if top is not None:
        zones = zones.head(top)
    _write_zones(zones, out)
    typer.echo(json.dumps({
        "zones": len(zones), "white_demand": round(float(zones["demand"].sum()), 3),
        "total_demand": round(dem.total, 3), "out": str(out),
    }))  # fmt: skip


def _write_zones(zones: gpd.GeoDataFrame, out: Path) -> None:
    fmt = "GPKG" if out.suffix.lower() == ".gpkg" else "GeoJSON"
    with atomic_path(out) as tmp:
        zones.to_file(tmp, driver=fmt, layer=out.stem if fmt == "GPKG" else None)


@command("plan")
def plan(
    points: Path = typer.Argument(..., help="Existing points, read as by `pvz check`."),
    candidates: Path = typer.Argument(..., help="Candidates: id, lat, lon [, radius_m, kind]."),
    demand: Path = typer.Option(..., "--demand", help="Demand: id, lat, lon, weight."),
    k: int = typer.Option(..., "--k", help="Number of sites to choose (at most)."),
    service_radius_m: float = typer.Option(..., "--service-radius-m", help="A site covers "
                                           "demand closer than this, metres (WGS84)."),
    out: Path = typer.Option(..., "-o", "--out", help="Output .csv: id in the order chosen."),
    exact: str = typer.Option("auto", "--exact", help="Exact MIP (HiGHS): auto (small "
                              "instances), always or never."),
    time_limit_s: float = typer.Option(60.0, "--time-limit-s", help="Time limit of the exact "
                                       "solver, seconds."),
    ignore_existing: bool = typer.Option(False, "--ignore-existing", help="Plan as if no "
                                         "existing point served demand (greenfield)."),
    serving_kinds: str | None = typer.Option(None, "--serving-kinds", help="Kinds of existing "
                                             "points that serve demand, comma-separated "
                                             "(default: the policy's protecting kinds)."),
    serving_statuses: str | None = typer.Option(None, "--serving-statuses", help="Statuses of "
                                                "existing points that serve demand "
                                                "(default: the policy's protecting statuses)."),
    policy: Path | None = POLICY_OPT,
    boundaries: Path | None = BOUNDS_OPT,
    sep: str | None = SEP_OPT,
    encoding: str | None = ENCODING_OPT,
    sheet: str | None = SHEET_OPT,
    allow_outside: bool = ALLOW_OUTSIDE_OPT,
    raw_csv: bool = RAW_CSV_OPT,
) -> None:  # fmt: skip
    """Choose up to K new candidates that add the most demand to what the network serves.

    Demand within the service radius of an existing live point (by default the
    kinds and statuses that protect) is served already; the objective is the
    demand the new sites add (--ignore-existing: all demand, greenfield).
    Candidates blocked by existing points are never chosen, nor two candidates
    closer than the larger of their radii. OUT.csv: id, order, added_demand,
    cumulative_demand, lat, lon. A JSON summary (demand covered before, added
    and after, share, the exact model's status, bound and gap when it ran)
    goes to stdout. A failure of the exact model keeps the heuristic plan (a
    warning on stderr, exit code 0).
    """
    if k < 1:
        raise InputError("--k must be at least 1, got {k}", k=k)
    _check_reach("--service-radius-m", service_radius_m)
    if exact not in ("auto", "always", "never"):
        raise InputError("--exact must be auto, always or never, got {exact!r}", exact=exact)
    if not (math.isfinite(time_limit_s) and time_limit_s > 0):
        raise InputError("--time-limit-s must be positive, got {value:g}", value=time_limit_s)
    _check_out(out, (".csv",))
    pol = load_policy(policy)
    kinds_on = _names("--serving-kinds", serving_kinds, pol.protecting_kinds, pol.kinds)
    statuses_on = _names("--serving-statuses", serving_statuses, pol.protecting_statuses,
                         pol.statuses)  # fmt: skip
    read = read_options(sep, encoding, sheet, allow_outside)
    net, pts = load_network(points, pol, load_settlements(boundaries), **read)
    cand = read_points(candidates, kinds=pol.kinds, allow_status=False, **read)
    dem = read_demand(demand, bbox=None, **read)
    existing = None
    if not ignore_existing:
        kind_col = pts["kind"].fillna(pol.default_kind) if "kind" in pts else pol.default_kind
        status_col = (pts["status"].fillna(pol.default_status) if "status" in pts
                      else pol.default_status)  # fmt: skip
        on = (pd.Series(kind_col, index=pts.index).isin(kinds_on)
              & pd.Series(status_col, index=pts.index).isin(statuses_on))  # fmt: skip
        existing = (pts.loc[on, "lat"].to_numpy(float), pts.loc[on, "lon"].to_numpy(float))
    problem = CoverageProblem.from_points(
        dem, cand["lat"], cand["lon"], service_radius_m=service_radius_m,
        radius_m=cand["radius_m"], network=net,
        kind=cand["kind"].fillna(pol.default_kind) if "kind" in cand else None,
        ids=cand["id"].tolist(), existing=existing,
    )  # fmt: skip
    sites = select_sites(problem, k, exact=exact,  # type: ignore[arg-type]
                         time_limit_s=time_limit_s)  # fmt: skip
    best, heur, exact_sel = sites.best, sites.heuristic, sites.exact
    table = pd.DataFrame(
        {
            "id": best.ids,
            "order": np.arange(1, best.chosen.size + 1),
            "added_demand": np.round(best.gain, 6),
            "cumulative_demand": np.round(np.cumsum(best.gain), 6),
            "lat": cand["lat"].to_numpy(float)[best.chosen],
            "lon": cand["lon"].to_numpy(float)[best.chosen],
        }
    )
    write_table(table, out, raw_csv=raw_csv)
    total = problem.total_weight
    summary: dict[str, object] = {
        "k": k, "n_chosen": int(best.chosen.size), "method": best.method,
        "existing": "ignored" if ignore_existing else "counted",
        "n_existing": 0 if existing is None else int(existing[0].size),
        "covered_before": round(best.before, 6), "covered_added": round(best.covered, 6),
        "covered_after": round(best.after, 6),
        "covered_demand": round(best.after, 6), "total_demand": round(total, 6),
        "share_before": round(best.before / total, 6) if total > 0 else 0.0,
        "share": round(best.share, 6), "n_candidates": problem.n_candidates,
        "n_blocked": int((~problem.allowed).sum()),
        "heuristic_covered": round(heur.covered, 6),
        "exact_status": sites.exact_status, "exact_error": sites.exact_error,
        "exact_covered": None if exact_sel is None else round(exact_sel.covered, 6),
        "optimal": None if exact_sel is None else exact_sel.optimal,
        "bound": None if sites.bound is None else round(sites.bound, 6),
        # (bound - heuristic) / bound: the true gap when proven optimal, else an upper bound
        "gap": None if sites.gap is None else round(sites.gap, 6),
        "out": str(out),
    }  # fmt: skip
    if sites.exact_error is not None:
        warn("the exact model failed ({why}); the heuristic plan was written",
             why=sites.exact_error)  # fmt: skip
    elif sites.exact_status not in (None, "optimal"):
        warn("the exact model stopped ({status}); the gap is to its best bound",
             status=sites.exact_status)  # fmt: skip
    typer.echo(json.dumps(summary, ensure_ascii=False))


def _names(option: str, text: str | None, default: list[str], known: list[str]) -> list[str]:
    """A comma-separated list of kinds or statuses (``default`` when not given)."""
    if text is None:
        return list(default)
    names = [t.strip() for t in text.split(",") if t.strip()]
    bad = [n for n in names if n not in known]
    if bad or not names:
        raise InputError("{option} must be a comma-separated list of {known}; got {text!r}",
                         option=option, known=", ".join(known), text=text)  # fmt: skip
    return names
