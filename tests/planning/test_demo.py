"""The demo network: deterministic, realistic columns, obeys the rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.testing import assert_frame_equal

from geo.index import PointIndex
from planning.demo import demo_candidates, demo_network
from planning.protection import ProtectionPolicy


def test_deterministic() -> None:
    a = demo_network(500, seed=3)
    b = demo_network(500, seed=3)
    assert_frame_equal(a, b)
    assert not demo_network(500, seed=4)[["lat", "lon"]].equals(a[["lat", "lon"]])


def test_columns_and_values(demo_small: pd.DataFrame) -> None:
    df = demo_small
    assert len(df) == 3007
    assert list(df.columns) == ["id", "lat", "lon", "radius_m", "kind", "status", "settlement",
                                "opened_on", "area_m2", "waiting_zone", "fitting_rooms",
                                "rating"]  # fmt: skip
    assert df["id"].is_unique
    assert set(df["kind"]) == {"partner", "own", "postamat"}
    assert set(df["status"]) == {"active", "paused", "closed"}
    assert set(df["radius_m"]) == {500.0, 700.0, 1000.0}
    assert df["lat"].between(41, 82).all()
    assert df["rating"].between(1, 5).all()
    assert (df["area_m2"] > 0).all()
    # clustered by population: Moscow holds a large share
    assert (df["settlement"] == "Москва").mean() > 0.05


def test_obeys_rule_without_plants() -> None:
    df = demo_network(4000, seed=9)
    live = df[ProtectionPolicy().protects(df["kind"], df["status"])]
    idx = PointIndex.from_points(live["id"], live["lat"], live["lon"], live["radius_m"])
    assert len(idx.self_pairs()) == 0


def test_candidates() -> None:
    pts = demo_network(300, seed=1)
    c = demo_candidates(pts, 50, seed=2)
    assert len(c) == 50 and c["id"].is_unique
    assert np.isfinite(c[["lat", "lon"]].to_numpy()).all()
