"""Splitting polygons at the antimeridian: containment right on both sides of 180 degrees."""

from __future__ import annotations

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Point, Polygon

from geo.antimeridian import crosses_antimeridian, split_antimeridian, unwrap_longitudes

# a Chukotka town written three ways: jumping longitudes, 0..360 form, both directions
JUMP = Polygon([(179.9, 64.9), (-179.9, 64.9), (-179.9, 65.1), (179.9, 65.1)])
WIDE = Polygon([(179.9, 64.9), (180.1, 64.9), (180.1, 65.1), (179.9, 65.1)])
JUMP_CW = Polygon([(-179.9, 64.9), (179.9, 64.9), (179.9, 65.1), (-179.9, 65.1)])


def test_unwrap_longitudes() -> None:
    assert unwrap_longitudes([179.9, -179.9, -179.8, 179.95]).tolist() == pytest.approx(
        [179.9, 180.1, 180.2, 179.95]
    )
    assert unwrap_longitudes([10.0]).tolist() == [10.0]


@pytest.mark.parametrize("town", [JUMP, WIDE, JUMP_CW], ids=["jump", "0-360", "jump-cw"])
def test_town_across_180(town: Polygon) -> None:
    assert crosses_antimeridian(town)
    split = split_antimeridian(town)
    assert isinstance(split, MultiPolygon) and split.is_valid
    west, south, east, north = split.bounds
    assert (west, east) == (-180.0, 180.0) and (south, north) == pytest.approx((64.9, 65.1))
    assert split.area == pytest.approx(0.2 * 0.2)
    for lon in (179.95, -179.95, 179.999999, -179.999999):
        assert split.contains(Point(lon, 65.0)), lon
    for lon in (40.0, 0.0, 179.85, -179.85):  # the complement is not the town
        assert not split.contains(Point(lon, 65.0)), lon


def test_untouched_when_nothing_crosses() -> None:
    square = Polygon([(37.0, 55.0), (38.0, 55.0), (38.0, 56.0), (37.0, 56.0)])
    assert not crosses_antimeridian(square)
    assert split_antimeridian(square).equals(square)


def test_already_split_at_180_stays() -> None:
    east = Polygon([(179.9, 64.9), (180.0, 64.9), (180.0, 65.1), (179.9, 65.1)])
    west = Polygon([(-180.0, 64.9), (-179.9, 64.9), (-179.9, 65.1), (-180.0, 65.1)])
    both = MultiPolygon([east, west])
    assert not crosses_antimeridian(both)
    assert split_antimeridian(both).equals(both)


def test_hole_across_180_is_an_enclave() -> None:
    city = Polygon(
        [(179.0, 64.0), (-179.0, 64.0), (-179.0, 66.0), (179.0, 66.0)],
        [[(179.5, 64.5), (-179.5, 64.5), (-179.5, 65.5), (179.5, 65.5)]],
    )
    split = split_antimeridian(city)
    assert split.is_valid
    assert not split.contains(Point(179.9, 65.0)) and not split.contains(Point(-179.9, 65.0))
    assert split.contains(Point(179.2, 65.0)) and split.contains(Point(-179.2, 65.0))
    assert split.area == pytest.approx(2 * 2 - 1 * 1)


def test_wholly_east_of_180_is_shifted() -> None:
    island = Polygon([(190.0, 65.0), (191.0, 65.0), (191.0, 66.0), (190.0, 66.0)])
    split = split_antimeridian(island)
    assert split.bounds == pytest.approx((-170.0, 65.0, -169.0, 66.0))


def test_ring_round_a_pole_is_refused() -> None:
    # going east 170, 150, 20 and 20 degrees comes back to the start after one turn
    ring = Polygon([(0.0, 85.0), (170.0, 85.0), (-40.0, 85.0), (-20.0, 86.0)])
    with pytest.raises(ValueError, match="encircles a pole"):
        split_antimeridian(ring)


@settings(max_examples=200, deadline=None)
@given(
    west=st.floats(170.0, 179.99),
    width=st.floats(0.02, 15.0),
    south=st.floats(-80.0, 80.0),
    height=st.floats(0.01, 5.0),
    fx=st.floats(0.0, 1.0),
    fy=st.floats(0.0, 1.0),
    wide=st.booleans(),
)
def test_containment_matches_an_oracle(
    west: float, width: float, south: float, height: float, fx: float, fy: float, wide: bool
) -> None:
    """A box from ``west`` eastwards by ``width`` degrees: a point is inside the split
    polygon exactly when its unwrapped longitude is inside the box."""
    east = west + width
    e = east if wide else (east - 360.0 if east > 180.0 else east)
    top = south + height
    split = split_antimeridian(Polygon([(west, south), (e, south), (e, top), (west, top)]))
    assert split.is_valid
    assert split.bounds[0] >= -180.0 and split.bounds[2] <= 180.0
    lon_u = west - 1.0 + fx * (width + 2.0)  # around the box, unwrapped
    lat = south + 0.05 * height + fy * 0.9 * height
    lon = lon_u - 360.0 if lon_u > 180.0 else lon_u
    inside = west < lon_u < east
    margin = min(abs(lon_u - west), abs(lon_u - east))
    if margin > 1e-9:
        assert bool(split.contains(shapely.Point(lon, lat))) == inside
