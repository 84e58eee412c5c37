"""A deterministic demo network: points around real settlements that obey the protection rule.

Points are drawn around the bundled GeoNames places in proportion to their
population (a 2-D Gaussian around each centre whose spread is the place's urban
radius, widened round by round where a city is full), then kept only where the
protection rule allows them, so the network is one that could exist. Planted
violations (for the audit demo) are extra live points placed inside another
point's radius, with ids ``V00001``...

This module sits above ``planning`` on purpose: it builds a network that obeys
the rule, so it uses the rule.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import numpy as np
import pandas as pd
from tqdm import tqdm

from data.places import load_places
from geo.geodesic import WGS84
from geo.index import PointIndex
from geo.settlements import SettlementLookup, urban_radius_m
from planning.protection import ProtectionPolicy

__all__ = ["demo_candidates", "demo_network"]

log = logging.getLogger(__name__)

_KINDS = np.array(["partner", "own", "postamat"])
_KIND_P = [0.70, 0.15, 0.15]
_STATUSES = np.array(["active", "paused", "closed"])
_STATUS_P = [0.86, 0.05, 0.09]
_FIRST_DAY = date(2019, 1, 1)
_LAST_DAY = date(2026, 10, 31)


def _scatter(
    rng: np.random.Generator, places: pd.DataFrame, n: int, spread: float
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` locations around places drawn by population, Gaussian with sigma = spread * R."""
    pop = places["population"].to_numpy(dtype=float)
    which = rng.choice(len(places), size=n, p=pop / pop.sum())
    sigma_m = spread * urban_radius_m(pop[which]) / 2.0
    dist = sigma_m * np.sqrt(rng.chisquare(2, size=n))  # Rayleigh: radial part of a 2-D Gaussian
    az = rng.uniform(-180.0, 180.0, size=n)
    lon, lat, _ = WGS84.fwd(
        places["lon"].to_numpy(dtype=float)[which],
        places["lat"].to_numpy(dtype=float)[which],
        az,
        dist,
    )
    return np.asarray(lat), np.asarray(lon)


def demo_network(
    n: int = 10_000,
    *,
    seed: int = 42,
    violations: int = 0,
    policy: ProtectionPolicy | None = None,
    settlements: SettlementLookup | None = None,
    verbose: bool = False,
    desc: str = "demo network",
    unit: str = "pt",
) -> pd.DataFrame:
    """Generate ``n`` pickup points (plus ``violations`` planted conflicts), deterministically.

    ``verbose`` shows a progress bar (tqdm, on stderr) described by ``desc`` and ``unit``
    (the caller words them in the user's language).

    Returns
    -------
    DataFrame with ``id, lat, lon, radius_m, kind, status, settlement, opened_on,
    area_m2, waiting_zone, fitting_rooms, rating``: WGS84 degrees, metres, m2,
    ISO dates, rating 1-5. Live points (protecting kind and status) never
    violate the rule, apart from the planted ones.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    policy = policy or ProtectionPolicy()
    places = load_places()
    settlements = settlements or SettlementLookup(places)
    rng = np.random.default_rng(seed)
    index = PointIndex(cell_m=policy.max_radius_m)
    lat_out: list[np.ndarray] = []
    lon_out: list[np.ndarray] = []
    kind_out: list[np.ndarray] = []
    status_out: list[np.ndarray] = []
    have = 0
    spread = 1.0
    bar = tqdm(total=n, desc=desc, unit=unit, disable=not verbose)
    for _round in range(200):
        if have >= n:
            break
        batch = max(2 * (n - have), 2000)
        lat, lon = _scatter(rng, places, batch, spread)
        kind = rng.choice(_KINDS, size=batch, p=_KIND_P)
        status = rng.choice(_STATUSES, size=batch, p=_STATUS_P)
        radius = policy.radius_for_population(settlements.locate(lat, lon).population)
        live = policy.protects(kind, status)
        blocked = policy.blocked(kind)
        # a live candidate must not conflict with the network; closed points and
        # postamats can stand anywhere
        test = live | (blocked & np.isin(status, policy.protecting_statuses))
        ok = np.ones(batch, dtype=bool)
        t = np.flatnonzero(test)
        hit = index.query(lat[t], lon[t], radius[t], distances=False)
        ok[t[np.unique(hit.query)]] = False
        # then among themselves, greedily in draw order
        cand = np.flatnonzero(ok & live)
        local = PointIndex.from_points(range(cand.size), lat[cand], lon[cand], radius[cand],
                                       cell_m=policy.max_radius_m)  # fmt: skip
        sp = local.self_pairs(distances=False)
        nbr_off = np.searchsorted(sp.query, np.arange(cand.size + 1))
        taken = np.ones(cand.size, dtype=bool)
        for i in range(cand.size):  # pairs (i, j) with i < j: drop later ones that conflict
            if taken[i]:
                taken[sp.slot[nbr_off[i] : nbr_off[i + 1]]] = False
        ok[cand[~taken]] = False
        keep = np.flatnonzero(ok)[: n - have]
        live_keep = keep[live[keep]]
        index.insert_many(
            range(have, have + live_keep.size),
            lat[live_keep], lon[live_keep], radius[live_keep],
        )  # fmt: skip
        index.merge()
        lat_out.append(lat[keep])
        lon_out.append(lon[keep])
        kind_out.append(kind[keep])
        status_out.append(status[keep])
        have += keep.size
        bar.update(keep.size)
        if keep.size < 0.25 * batch:
            spread *= 1.5  # the cities are full: spill into their surroundings
        log.info("demo round %d: kept %d of %d (spread %.2f)", _round, keep.size, batch, spread)
    bar.close()
    if have < n:
        raise RuntimeError(f"could not place {n} points (placed {have})")
    lat = np.concatenate(lat_out)
    lon = np.concatenate(lon_out)
    kind = np.concatenate(kind_out)
    status = np.concatenate(status_out)
    if violations:
        lat, lon, kind, status = _plant(rng, lat, lon, kind, status, violations, policy,
                                        settlements)  # fmt: skip
    return _features(rng, lat, lon, kind, status, n, policy, settlements)


def _plant(
    rng: np.random.Generator,
    lat: np.ndarray,
    lon: np.ndarray,
    kind: np.ndarray,
    status: np.ndarray,
    k: int,
    policy: ProtectionPolicy,
    settlements: SettlementLookup,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Add ``k`` live partner points, each inside the radius of a random live point."""
    live = np.flatnonzero(policy.protects(kind, status))
    host = rng.choice(live, size=k, replace=live.size < k)
    r = policy.radius_for_population(settlements.locate(lat[host], lon[host]).population)
    dist = r * rng.uniform(0.2, 0.9, size=k)
    plon, plat, _ = WGS84.fwd(lon[host], lat[host], rng.uniform(-180, 180, size=k), dist)
    return (
        np.concatenate([lat, plat]),
        np.concatenate([lon, plon]),
        np.concatenate([kind, np.full(k, "partner")]),
        np.concatenate([status, np.full(k, "active")]),
    )


def _features(
    rng: np.random.Generator,
    lat: np.ndarray,
    lon: np.ndarray,
    kind: np.ndarray,
    status: np.ndarray,
    n: int,
    policy: ProtectionPolicy,
    settlements: SettlementLookup,
) -> pd.DataFrame:
    total = lat.size
    loc = settlements.locate(lat, lon)
    days = (_LAST_DAY - _FIRST_DAY).days
    opened = [_FIRST_DAY + timedelta(days=int(d)) for d in rng.integers(0, days + 1, size=total)]
    ids = [f"P{i + 1:06d}" for i in range(n)] + [f"V{i + 1:05d}" for i in range(total - n)]
    is_postamat = kind == "postamat"
    return pd.DataFrame(
        {
            "id": ids,
            "lat": np.round(lat, 7),
            "lon": np.round(lon, 7),
            "radius_m": policy.radius_for_population(loc.population),
            "kind": kind,
            "status": status,
            "settlement": loc.name,
            "opened_on": [d.isoformat() for d in opened],
            "area_m2": np.where(is_postamat, 2.0,
                                np.round(rng.lognormal(np.log(40), 0.45, size=total), 1)),
            "waiting_zone": ~is_postamat & (rng.random(total) < 0.6),
            "fitting_rooms": np.where(is_postamat, 0, rng.integers(0, 5, size=total)),
            "rating": np.round(rng.uniform(3.5, 5.0, size=total), 1),
        }
    )  # fmt: skip


def demo_candidates(
    points: pd.DataFrame, n: int = 1000, *, seed: int = 7, near_share: float = 0.3
) -> pd.DataFrame:
    """Candidate locations: ``near_share`` of them within 1.5 km of a demo point, the rest
    scattered around settlements like the network. Columns ``id, lat, lon, kind``."""
    rng = np.random.default_rng(seed)
    k_near = int(round(n * near_share))
    host = rng.integers(0, len(points), size=k_near)
    nlon, nlat, _ = WGS84.fwd(
        points["lon"].to_numpy(dtype=float)[host],
        points["lat"].to_numpy(dtype=float)[host],
        rng.uniform(-180, 180, size=k_near),
        rng.uniform(50, 1500, size=k_near),
    )
    flat, flon = _scatter(rng, load_places(), n - k_near, 1.5)
    return pd.DataFrame(
        {
            "id": [f"C{i + 1:06d}" for i in range(n)],
            "lat": np.round(np.concatenate([np.asarray(nlat), flat]), 7),
            "lon": np.round(np.concatenate([np.asarray(nlon), flon]), 7),
            "kind": "partner",
        }
    )
