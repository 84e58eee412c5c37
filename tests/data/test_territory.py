"""The service territory (``data/territory.py``): one outline for the CLI readers and the API."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from data.errors import InputError
from data.territory import Territory, in_territory, load_territory

#: (name, lat, lon) inside: the edges of Russia the coarse boxes used to stand for, and a
#: spot at sea 6 km off the simplified coast (a pier): the 10 km buffer takes it in
INSIDE = [
    ("Kaliningrad", 54.71, 20.51),
    ("Baltiysk", 54.65, 19.9),
    ("Sevastopol", 44.6, 33.5),
    ("Simferopol", 44.95, 34.1),
    ("Kerch", 45.36, 36.47),
    ("Anadyr, east of 180", 64.73, 177.51),
    ("Egvekinot, west of 180", 66.32, -179.12),
    ("Uelen, west of 180", 66.16, -169.8),
    ("Wrangel Island", 71.2, -179.5),
    ("Vladivostok, on the coast", 43.1, 131.9),
    ("Sochi, a pier 5 km out", 43.548, 39.671),
    ("Taimyr", 73.5, 80.5),
    ("Moscow", 55.7558, 37.6176),
]
#: outside: neighbours inside the old coarse boxes too, and the open sea
OUTSIDE = [
    ("Tehran", 35.7, 51.4),
    ("Canada", 60.0, -100.0),
    ("Almaty", 43.25, 76.9),
    ("Harbin", 45.75, 126.6),
    ("Ulaanbaatar", 47.9, 106.9),
    ("Helsinki", 60.17, 24.94),
    ("Minsk", 53.9, 27.56),
    ("Black Sea, 45 km out of Sochi", 43.33, 39.35),
    ("Bering Sea south of Chukotka", 65.0, -170.0),
]


@pytest.mark.parametrize(("name", "lat", "lon"), INSIDE, ids=[c[0] for c in INSIDE])
def test_inside(name: str, lat: float, lon: float) -> None:
    t = load_territory()
    assert t.contains(lat, lon)
    assert in_territory([lat], [lon]).tolist() == [True]
    t.require(lat, lon)


@pytest.mark.parametrize(("name", "lat", "lon"), OUTSIDE, ids=[c[0] for c in OUTSIDE])
def test_outside(name: str, lat: float, lon: float) -> None:
    t = load_territory()
    assert not t.contains(lat, lon)
    assert in_territory([lat], [lon]).tolist() == [False]
    with pytest.raises(InputError, match="вне территории"):
        t.require(lat, lon)


def test_the_pier_needs_the_buffer() -> None:
    # the simplified coast misses the pier; without the buffer it would be outside
    assert not load_territory(buffer_m=0).contains(43.548, 39.671)


def test_many_agrees_with_one_point_at_a_time() -> None:
    """The grid's shortcut gives the outline's answer: random points over the territory's
    bounds, points on the grid's lines and corners, NaN and infinities."""
    t = load_territory()
    rng = np.random.default_rng(7)
    lat = np.concatenate([rng.uniform(40, 83, 20_000), np.repeat(np.arange(41.0, 83.0), 20),
                          [math.nan, 55.0, math.inf, -math.inf]])  # fmt: skip
    lon = np.concatenate([rng.uniform(-180, 180, 20_000), np.tile(np.arange(20.0, 180.0, 8.0), 42),
                          [37.0, math.nan, 37.0, 0.0]])  # fmt: skip
    got = t.contains_many(lat, lon)
    want = shapely.contains_xy(t.area, lon, lat)
    assert got.dtype == bool and got.shape == lat.shape
    assert (got == want).all()
    assert got.any() and not got.all()
    assert not got[-4:].any()


def test_many_keeps_the_shape() -> None:
    assert in_territory(55.0, 37.0).shape == ()
    assert bool(in_territory(55.0, 37.0))
    lat, lon = np.array([[55.0, 0.0], [54.71, 35.7]]), np.array([[37.0, 0.0], [20.51, 51.4]])
    assert in_territory(lat, lon).tolist() == [[True, False], [True, False]]


def test_swapped_is_named() -> None:
    with pytest.raises(InputError, match="перепутаны"):
        load_territory().require(37.62, 55.76)
    with pytest.raises(InputError, match="swapped"):
        load_territory().require(37.62, 55.76, language="en")


def test_a_configured_outline(tmp_path: object) -> None:
    from pathlib import Path

    p = Path(str(tmp_path)) / "island.geojson"
    p.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                 '"properties": {}, "geometry": {"type": "Polygon", "coordinates": '
                 '[[[179, 10], [-179, 10], [-179, 11], [179, 11], [179, 10]]]}}]}')  # fmt: skip
    t = load_territory(p, buffer_m=0)
    assert isinstance(t, Territory) and t.name == "island"
    assert t.contains(10.5, 179.5) and t.contains(10.5, -179.5)
    assert not t.contains(10.5, 0.0)
    assert t.contains_many([10.5, 10.5, 10.5], [179.5, -179.5, 0.0]).tolist() == [True, True, False]
