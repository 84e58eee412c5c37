"""Synthetic networks whose turnover does *not* come from the Huff model (tests, benchmarks).

A forecast is only tested honestly against data the model did not generate. Here a
network of points is scattered over a few towns of different sizes, with a demand
surface (people on a grid of cells), and each point's monthly turnover is drawn from a
process of its own (:func:`synthetic_network`)::

    T = k * town_population ** 0.25 * people_within_1500m ** 0.4
          * (area_m2 / 40) ** 0.6 * (1 + 0.35 waiting_zone) * (1 + fitting_rooms) ** 0.15
          * (rating / 5) ** 2.5 / (1 + points_within_800m) ** 0.6 * LogNormal(0, noise)

(settlement size, location, comfort and service features, local competition, noise:
what the partner programme says drives turnover, in a form the Huff model does not
share). :func:`orders_for_turnover` turns monthly turnover into order lines whose
issued items add up to it exactly, with returned and cancelled lines that must not count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from planning.demand import Demand
from planning.scoring import reach_pairs

__all__ = ["SyntheticNetwork", "orders_for_turnover", "synthetic_network", "synthetic_turnover"]

_M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class SyntheticNetwork:
    """Points (``id, lat, lon, area_m2, waiting_zone, fitting_rooms, rating,
    town_population``), the demand surface and each point's true monthly turnover, RUB."""

    points: pd.DataFrame
    demand: Demand
    turnover_rub: npt.NDArray[np.float64]


def synthetic_network(
    n_points: int,
    *,
    seed: int = 0,
    n_towns: int = 12,
    noise: float = 0.3,
    lat0: float = 55.0,
    lon0: float = 37.0,
    cells_per_town: int = 600,
) -> SyntheticNetwork:
    """A network of ``n_points`` over ``n_towns`` towns (populations 20,000 to 2,000,000).

    Towns lie 0.5 degrees apart on a grid from ``(lat0, lon0)``; each has
    ``cells_per_town`` demand cells (normal around its centre, spread growing with its
    population, weights summing to the population) and points placed likewise, more in
    bigger towns. ``noise`` is the sigma of the log-normal factor. Deterministic in ``seed``.
    """
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_towns)))
    t_lat = lat0 + 0.5 * (np.arange(n_towns) // side)
    t_lon = lon0 + 0.8 * (np.arange(n_towns) % side)
    pop = np.exp(rng.uniform(np.log(20_000), np.log(2_000_000), n_towns))
    spread_m = 1500.0 * (pop / 100_000) ** 0.4
    cos = np.cos(np.radians(t_lat))
    town_c = np.repeat(np.arange(n_towns), cells_per_town)
    c_lat = t_lat[town_c] + rng.normal(0, 1, town_c.size) * spread_m[town_c] / _M_PER_DEG
    c_lon = t_lon[town_c] + rng.normal(0, 1, town_c.size) * spread_m[town_c] / (
        _M_PER_DEG * cos[town_c]
    )
    w = rng.gamma(2.0, 1.0, town_c.size)
    w *= pop[town_c] / np.bincount(town_c, weights=w, minlength=n_towns)[town_c]
    demand = Demand(np.array([f"c{i}" for i in range(town_c.size)], dtype=object),
                    c_lat, c_lon, w)  # fmt: skip
    share = pop**0.8 / (pop**0.8).sum()
    town_p = rng.choice(n_towns, size=n_points, p=share)
    p_lat = t_lat[town_p] + rng.normal(0, 0.8, n_points) * spread_m[town_p] / _M_PER_DEG
    p_lon = t_lon[town_p] + rng.normal(0, 0.8, n_points) * spread_m[town_p] / (
        _M_PER_DEG * cos[town_p]
    )
    area = rng.lognormal(np.log(40), 0.45, n_points)
    waiting = rng.random(n_points) < 0.6
    rooms = rng.integers(0, 5, n_points)
    rating = rng.uniform(3.5, 5.0, n_points)
    turnover = synthetic_turnover(demand, p_lat, p_lon, area=area, waiting_zone=waiting,
                                  fitting_rooms=rooms, rating=rating,
                                  town_population=pop[town_p], noise=noise, rng=rng)  # fmt: skip
    points = pd.DataFrame({
        "id": [f"P{i:06d}" for i in range(n_points)], "lat": p_lat, "lon": p_lon,
        "area_m2": np.round(area, 1), "waiting_zone": waiting, "fitting_rooms": rooms,
        "rating": np.round(rating, 2), "town_population": np.round(pop[town_p]),
    })  # fmt: skip
    # the features as stored (rounded) are the ones the model sees
    return SyntheticNetwork(points, demand, turnover)


def synthetic_turnover(
    demand: Demand,
    lat: npt.ArrayLike,
    lon: npt.ArrayLike,
    *,
    area: npt.ArrayLike,
    waiting_zone: npt.ArrayLike,
    fitting_rooms: npt.ArrayLike,
    rating: npt.ArrayLike,
    town_population: npt.ArrayLike,
    noise: float,
    rng: np.random.Generator,
    median_rub: float = 300_000.0,
) -> npt.NDArray[np.float64]:
    """Monthly turnover of points by the module's process (not the Huff model), RUB.

    People within 1,500 m of each point come from ``demand``, rivals are the other points
    within 800 m; the result is scaled so that its median is ``median_rub``.
    """
    la = np.asarray(lat, dtype=np.float64)
    lo = np.asarray(lon, dtype=np.float64)
    n = la.size
    site, cell, _ = reach_pairs(demand, la, lo, 1500.0, distances=False)
    people = np.bincount(site, weights=demand.weight[cell], minlength=n)
    pts_as_demand = Demand(np.arange(n).astype(object), la, lo, np.ones(n))
    site2, _, _ = reach_pairs(pts_as_demand, la, lo, 800.0, distances=False)
    rivals = np.bincount(site2, minlength=n) - 1  # itself
    area_, rooms_ = np.asarray(area, np.float64), np.asarray(fitting_rooms, np.float64)
    waiting_, rating_ = np.asarray(waiting_zone, np.float64), np.asarray(rating, np.float64)
    pop = np.maximum(np.asarray(town_population, np.float64), 1000.0)
    raw = (pop ** 0.25 * (people + 100.0) ** 0.4 * (area_ / 40) ** 0.6
           * (1 + 0.35 * waiting_) * (1.0 + rooms_) ** 0.15 * (rating_ / 5) ** 2.5
           / (1.0 + rivals) ** 0.6 * rng.lognormal(0.0, noise, n))  # fmt: skip
    return np.asarray(raw * (median_rub / float(np.median(raw))), dtype=np.float64)


def orders_for_turnover(
    point_ids: npt.ArrayLike,
    turnover_kop: npt.ArrayLike,
    month: str,
    *,
    seed: int = 0,
    lines_per_point: int = 8,
    id_prefix: str = "",
) -> pd.DataFrame:
    """Order lines of one month whose issued items add up to each point's turnover exactly.

    Parameters
    ----------
    point_ids : the points
    turnover_kop : each point's turnover in the month, integer kopecks (>= 0)
    month : ``YYYY-MM``
    lines_per_point : issued lines per point (the turnover is split at random among them);
        each point also gets one ``returned`` and one ``cancelled`` line in the month, which
        are not turnover
    id_prefix : prefix of the order ids (to keep months apart)

    Returns
    -------
    A table of strings as an orders file holds it: ``order_id, point_id, issued_on,
    price_rub, status, returned_on, cancelled_on`` (prices ``1234.56``).
    """
    rng = np.random.default_rng(seed)
    ids = np.asarray(point_ids, dtype=object)
    tk = np.asarray(turnover_kop, dtype=np.int64)
    n, k = ids.size, int(lines_per_point)
    # split each turnover into k non-negative integer parts: sorted cut points
    cuts = np.sort(rng.integers(0, tk[:, None] + 1, size=(n, k - 1)), axis=1)
    edges = np.concatenate([np.zeros((n, 1), np.int64), cuts, tk[:, None]], axis=1)
    parts = np.diff(edges, axis=1)
    first = np.datetime64(f"{month}-01")
    nxt = (first + np.timedelta64(31, "D")).astype("datetime64[M]").astype("datetime64[D]")
    days = int((nxt - first) // np.timedelta64(1, "D"))
    day = rng.integers(0, days, size=(n, k + 2))
    issued = (first + day.astype("timedelta64[D]")).astype(str)
    price = np.concatenate([parts, rng.integers(100, 500_000, size=(n, 2))], axis=1)
    status = np.array(["issued"] * k + ["returned", "cancelled"], dtype=object)
    last = (first + np.timedelta64(days - 1, "D")).astype(str)
    rows = n * (k + 2)
    rub_text = [f"{v // 100}.{v % 100:02d}" for v in price.ravel().tolist()]
    st = np.tile(status, n)
    return pd.DataFrame({
        "order_id": [f"{id_prefix}O{i}" for i in range(rows)],
        "point_id": np.repeat(ids, k + 2),
        "issued_on": issued.ravel(),
        "price_rub": rub_text,
        "status": st,
        "returned_on": np.where(st == "returned", last, ""),
        "cancelled_on": np.where(st == "cancelled", last, ""),
    })  # fmt: skip
