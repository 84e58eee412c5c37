"""Exact geodesic distances and ECEF coordinates on WGS84."""

from __future__ import annotations

import numpy as np
import pytest

from geo.geodesic import WGS84, chord_excess_bound_m, distance_m, ecef_m, validate_latlon


def test_distance_matches_karney_reference() -> None:
    # Moscow (Red Square) to Saint Petersburg (Palace Square): Karney via pyproj
    d = distance_m(55.7539, 37.6208, 59.9390, 30.3158)
    _, _, ref = WGS84.inv(37.6208, 55.7539, 30.3158, 59.9390)
    assert d == pytest.approx(ref, abs=1e-9)
    assert 630_000 < float(d) < 640_000


def test_distance_across_antimeridian_is_short() -> None:
    # Chukotka: 179.999 E to 179.999 W is about 2 * 0.001 deg of longitude at 65 N
    d = float(distance_m(65.0, 179.999, 65.0, -179.999))
    assert 90 < d < 100


def test_distance_broadcasts() -> None:
    d = distance_m(np.array([[0.0], [10.0]]), 0.0, 0.0, np.array([0.0, 1.0]))
    assert d.shape == (2, 2)
    assert d[0, 0] == 0.0


def test_ecef_radius_and_poles() -> None:
    xyz = ecef_m([0.0, 90.0, -90.0], [0.0, 0.0, 123.0])
    assert xyz[0] == pytest.approx([6378137.0, 0, 0])
    assert xyz[1, 2] == pytest.approx(6356752.314245, abs=1e-3)
    assert xyz[2, 2] == pytest.approx(-6356752.314245, abs=1e-3)


@pytest.mark.parametrize("r", [10.0, 500.0, 1000.0, 20_000.0])
def test_chord_never_exceeds_geodesic_and_bound_holds(r: float) -> None:
    rng = np.random.default_rng(1)
    lat = rng.uniform(-89.9, 89.9, 2000)
    lon = rng.uniform(-180, 180, 2000)
    az = rng.uniform(-180, 180, 2000)
    lon2, lat2, _ = WGS84.fwd(lon, lat, az, np.full(2000, r))
    chord = np.linalg.norm(ecef_m(lat, lon) - ecef_m(lat2, lon2), axis=1)
    geo = distance_m(lat, lon, lat2, lon2)
    excess = geo - chord
    assert (excess >= -1e-6).all()
    assert (excess <= chord_excess_bound_m(r) + 1e-6).all()


@pytest.mark.parametrize(
    ("lat", "lon", "msg"),
    [
        (91.0, 0.0, "latitude"),
        (-90.5, 0.0, "latitude"),
        (float("nan"), 0.0, "latitude"),
        (0.0, 181.0, "longitude"),
        (0.0, float("inf"), "longitude"),
    ],
)
def test_validate_latlon_rejects(lat: float, lon: float, msg: str) -> None:
    with pytest.raises(ValueError, match=msg):
        validate_latlon([lat], [lon])
