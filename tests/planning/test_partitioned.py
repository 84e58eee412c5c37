"""Partitioned (dask) scoring and white space equal the single-process results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data.places import load_places
from geo.settlements import SettlementLookup
from planning.demand import Demand, settlement_demand
from planning.protection import ProtectionNetwork, ProtectionPolicy
from planning.scoring import HuffModel, HuffParams
from planning.whitespace import find_white_cells, zones_from_cells

pytest.importorskip("dask")

from planning.partitioned import (  # noqa: E402
    halo_rings,
    score_partitioned,
    white_cells_partitioned,
)

# a spread of coarse cells: Moscow region, St Petersburg, and Chukotka across the antimeridian
CENTRES = [(55.75, 37.62, 1.5, 2.5), (59.94, 30.31, 0.6, 1.0), (65.0, 179.95, 0.3, 0.6)]


def _scatter(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    which = rng.integers(0, len(CENTRES), n)
    c = np.array(CENTRES)[which]
    lat = c[:, 0] + rng.uniform(-1, 1, n) * c[:, 2]
    lon = c[:, 1] + rng.uniform(-1, 1, n) * c[:, 3]
    return lat, (lon + 180.0) % 360.0 - 180.0


def _setup(seed: int = 0) -> tuple[HuffModel, ProtectionNetwork, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    dlat, dlon = _scatter(rng, 3000)
    dem = Demand(np.arange(3000).astype(object), dlat, dlon, rng.uniform(1, 50, 3000))
    plat, plon = _scatter(rng, 1500)
    ids = [f"P{i}" for i in range(1500)]
    feats = np.column_stack([rng.uniform(10, 90, 1500), rng.random(1500) < 0.5,
                             rng.integers(0, 4, 1500), rng.uniform(3.5, 5, 1500)])  # fmt: skip
    net = ProtectionNetwork(ProtectionPolicy(), SettlementLookup(load_places()))
    net.add_points(ids, plat, plon)
    model = HuffModel(dem, plat, plon, features=feats, point_ids=ids,
                      params=HuffParams(reach_m=5000.0))  # fmt: skip
    clat, clon = _scatter(rng, 1000)
    return model, net, clat, clon


def _assert_same(a: object, b: object) -> None:
    for name in ("attractiveness", "demand_in_reach", "captured_demand", "turnover_rub",
                 "new_demand_rub", "cannibalized_rub", "net_gain_rub", "reward_rub",
                 "blocker_distance_m", "radius_m"):  # fmt: skip
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-9, atol=1e-6,
                                   err_msg=name)  # fmt: skip
    assert (a.allowed == b.allowed).all()  # type: ignore[attr-defined]
    assert list(a.blocker_id) == list(b.blocker_id)  # type: ignore[attr-defined]
    ca = a.cannibalization.sort_values(["candidate", "point_id"]).reset_index(drop=True)  # type: ignore[attr-defined]
    cb = b.cannibalization.sort_values(["candidate", "point_id"]).reset_index(drop=True)  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(ca, cb, check_exact=False, rtol=1e-9, atol=1e-6)


def test_halo_rings_cover_the_distance() -> None:
    assert halo_rings(1000.0, resolution=3) == 2
    assert halo_rings(200_000.0, resolution=3) > 3


def test_partitioned_scoring_equals_single_process() -> None:
    model, net, clat, clon = _setup()
    one = model.score(clat, clon, network=net)
    assert (~one.allowed).any() and one.allowed.any()
    many = score_partitioned(model, clat, clon, network=net, scheduler="synchronous", task_size=1)
    _assert_same(one, many)
    threads = score_partitioned(model, clat, clon, network=net, scheduler="threads")
    _assert_same(one, threads)


def test_partitioned_white_space_equals_single_process() -> None:
    places = load_places()
    dem = settlement_demand(places, bbox=(36.0, 55.0, 39.5, 56.5))
    net = ProtectionNetwork(ProtectionPolicy(), SettlementLookup(places))
    rng = np.random.default_rng(1)
    net.add_points([f"P{i}" for i in range(800)], 55.75 + rng.uniform(-0.5, 0.5, 800),
                   37.6 + rng.uniform(-1, 1, 800))  # fmt: skip
    one = find_white_cells(dem, net, reach_m=1500.0)
    many = white_cells_partitioned(dem, net, reach_m=1500.0, scheduler="synchronous",
                                   partition_resolution=4, task_size=50)  # fmt: skip
    assert (one.cells == many.cells).all()
    assert (one.served == many.served).all() and (one.allowed == many.allowed).all()
    za = zones_from_cells(one)
    zb = zones_from_cells(many)
    pd.testing.assert_frame_equal(za.drop(columns="geometry"), zb.drop(columns="geometry"))


@pytest.mark.slow
def test_partitioned_scoring_on_local_cluster() -> None:
    distributed = pytest.importorskip("distributed")
    model, net, clat, clon = _setup(2)
    one = model.score(clat, clon, network=net)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,  # fmt: skip
        distributed.Client(cluster) as client,
    ):
        many = score_partitioned(model, clat, clon, network=net, client=client, task_size=200)
    _assert_same(one, many)
