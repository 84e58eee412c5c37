"""The point index against a brute-force exact WGS84 oracle."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.geodesic import WGS84, distance_m
from geo.index import PointIndex


def oracle(qlat, qlon, qr, plat, plon, pr) -> set[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """All (query, point) with geodesic d < max(r_q, r_p), by brute force."""
    d = distance_m(
        np.asarray(qlat)[:, None], np.asarray(qlon)[:, None],
        np.asarray(plat)[None, :], np.asarray(plon)[None, :],
    )  # fmt: skip
    r = np.maximum(np.asarray(qr)[:, None], np.asarray(pr)[None, :])
    q, p = np.nonzero(d < r)
    return set(zip(q.tolist(), p.tolist(), strict=True))


def cluster(
    rng: np.random.Generator, lat0: float, lon0: float, n: int, radius_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points around a centre: half at radius +- 0.5 m (the hard band), half scattered."""
    az = rng.uniform(-180, 180, n)
    dist = np.where(
        rng.random(n) < 0.5,
        radius_m + rng.choice([-0.5, 0.5, -0.01, 0.01], n),
        rng.uniform(0, 3 * radius_m, n),
    )
    lon, lat, _ = WGS84.fwd(np.full(n, lon0), np.full(n, lat0), az, dist)
    return np.asarray(lat), np.asarray(lon)


CENTRES = {
    "moscow": (55.75, 37.62),
    "chukotka_antimeridian": (66.0, 179.9995),
    "chukotka_west": (65.6, -170.99),
    "norilsk": (69.35, 88.2),
    "dikson": (73.5, 80.53),
    "kaliningrad": (54.71, 20.51),
    "north_pole": (89.9995, 0.0),
    "south_pole": (-89.9999, 45.0),
    "equator": (0.0, 0.0),
}


@pytest.mark.parametrize("where", sorted(CENTRES))
def test_clusters_against_oracle(where: str) -> None:
    rng = np.random.default_rng(zlib.crc32(where.encode()))
    lat0, lon0 = CENTRES[where]
    plat, plon = cluster(rng, lat0, lon0, 300, 500.0)
    pr = rng.choice([500.0, 700.0, 1000.0], plat.size)
    qlat, qlon = cluster(rng, lat0, lon0, 200, 500.0)
    qr = rng.choice([0.0, 500.0, 1000.0], qlat.size)
    idx = PointIndex.from_points(range(plat.size), plat, plon, pr)
    got = idx.query(qlat, qlon, qr)
    assert set(zip(got.query.tolist(), got.slot.tolist(), strict=True)) == oracle(
        qlat, qlon, qr, plat, plon, pr
    )
    # reported distances are the geodesic, and each query's pairs are nearest first
    ref = distance_m(qlat[got.query], qlon[got.query], plat[got.slot], plon[got.slot])
    assert np.array_equal(got.distance_m, ref)
    for q in np.unique(got.query):
        assert np.all(np.diff(got.distance_m[got.query == q]) >= 0)


latitudes = st.floats(-90, 90, allow_nan=False)
longitudes = st.floats(-180, 180, allow_nan=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lat0=latitudes,
    lon0=longitudes,
    seed=st.integers(0, 2**31),
    radius=st.sampled_from([100.0, 500.0, 700.0, 1000.0]),
)
def test_property_random_places_against_oracle(
    lat0: float, lon0: float, seed: int, radius: float
) -> None:
    rng = np.random.default_rng(seed)
    plat, plon = cluster(rng, lat0, lon0, 80, radius)
    qlat, qlon = cluster(rng, lat0, lon0, 40, radius)
    pr = rng.choice([radius, radius / 2], plat.size)
    qr = rng.choice([0.0, radius], qlat.size)
    idx = PointIndex.from_points(range(plat.size), plat, plon, pr)
    got = idx.query(qlat, qlon, qr, distances=False)
    assert set(zip(got.query.tolist(), got.slot.tolist(), strict=True)) == oracle(
        qlat, qlon, qr, plat, plon, pr
    )


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_property_russia_wide(seed: int) -> None:
    # Kaliningrad to Chukotka, across the antimeridian: longitudes 19 E .. 191 E (= -169)
    rng = np.random.default_rng(seed)
    n = 400
    lat = rng.uniform(41, 82, n)
    lon = (rng.uniform(19, 191, n) + 180) % 360 - 180
    # half the points land right at 1 km +- 0.5 m of another point
    k = n // 2
    lon2, lat2, _ = WGS84.fwd(lon[:k], lat[:k], rng.uniform(-180, 180, k),
                              1000.0 + rng.choice([-0.5, 0.5], k))  # fmt: skip
    lat = np.concatenate([lat, lat2])
    lon = np.concatenate([lon, lon2])
    idx = PointIndex.from_points(range(lat.size), lat, lon, 1000.0)
    pairs = idx.self_pairs(distances=False)
    got = set(zip(pairs.query.tolist(), pairs.slot.tolist(), strict=True))
    want = {(a, b) for a, b in oracle(lat, lon, np.zeros(lat.size), lat, lon,
                                      np.full(lat.size, 1000.0)) if a < b}  # fmt: skip
    assert got == want


def test_equality_is_allowed() -> None:
    lon2, lat2, _ = WGS84.fwd(37.6, 55.75, 33.0, 500.0)
    d = float(distance_m(55.75, 37.6, lat2, lon2))
    idx = PointIndex.from_points(["a"], [55.75], [37.6], [d])
    assert len(idx.query([lat2], [lon2], 0.0)) == 0  # d == r: allowed
    assert len(idx.query([lat2], [lon2], np.nextafter(d, np.inf))) == 1


def test_insert_delete_while_querying() -> None:
    rng = np.random.default_rng(5)
    lat0, lon0 = 55.75, 37.62
    plat, plon = cluster(rng, lat0, lon0, 2000, 500.0)
    idx = PointIndex.from_points(range(1000), plat[:1000], plon[:1000], 500.0)
    live = dict.fromkeys(range(1000), True)
    qlat, qlon = cluster(rng, lat0, lon0, 50, 500.0)
    for step in range(1000, 2000):
        if step % 3 == 0:
            victim = int(rng.choice(list(live)))
            idx.delete(victim)
            del live[victim]
        idx.insert(step, plat[step], plon[step], 500.0)
        live[step] = True
        if step % 97 == 0:
            ids = np.array(sorted(live))
            got = idx.query(qlat, qlon, 0.0)
            got_ids = idx.ids_of(got.slot)
            want = oracle(qlat, qlon, np.zeros(qlat.size), plat[ids], plon[ids],
                          np.full(ids.size, 500.0))  # fmt: skip
            assert set(zip(got.query.tolist(), got_ids.tolist(), strict=True)) == {
                (q, int(ids[p])) for q, p in want
            }
    assert len(idx) == len(live)


def test_rejects_bad_input() -> None:
    idx = PointIndex.from_points(["a"], [55.0], [37.0], [500.0])
    with pytest.raises(ValueError, match="duplicate"):
        idx.insert("a", 55.0, 37.0, 500.0)
    with pytest.raises(ValueError, match="latitude"):
        idx.insert("b", 91.0, 37.0, 500.0)
    with pytest.raises(ValueError, match="radius"):
        idx.insert("c", 55.0, 37.0, -1.0)
    with pytest.raises(ValueError, match="longitude"):
        idx.query([55.0], [181.0], 0.0)
    with pytest.raises(KeyError):
        idx.delete("zzz")
    assert len(idx) == 1


def test_empty_index_and_empty_query() -> None:
    idx = PointIndex()
    idx.merge()
    assert len(idx.query([55.0], [37.0], 500.0)) == 0
    idx.insert("a", 55.0, 37.0, 500.0)
    assert len(idx.query(np.empty(0), np.empty(0), 0.0)) == 0
    assert idx.query([55.0], [37.0], 0.0).slot.tolist() == [0]


def test_single_query_equals_batch_with_pending_inserts() -> None:
    rng = np.random.default_rng(8)
    plat, plon = cluster(rng, 55.75, 37.62, 600, 500.0)
    idx = PointIndex.from_points(range(500), plat[:500], plon[:500], 500.0)
    for k in range(500, 600):  # 100 inserts stay in the pending buffer
        idx.insert(k, plat[k], plon[k], 700.0)
    assert idx._pending
    qlat, qlon = cluster(rng, 55.75, 37.62, 40, 500.0)
    batch = idx._query_batch(qlat, qlon, 300.0, distances=True)
    for i in range(qlat.size):
        one = idx.query_point(qlat[i], qlon[i], 300.0)
        sel = batch.query == i
        assert one.slot.tolist() == batch.slot[sel].tolist()
        assert one.distance_m.tolist() == batch.distance_m[sel].tolist()
        assert one.radius_m.tolist() == batch.radius_m[sel].tolist()
    with pytest.raises(ValueError, match="radius_m"):
        idx.query_point(55.0, 37.0, float("nan"))
    with pytest.raises(ValueError, match="latitude"):
        idx.query_point(91.0, 37.0)


@pytest.mark.parametrize("distances", [False, "chord"])
def test_single_query_decides_the_band_as_the_batch(distances: bool | str) -> None:
    """Half the points lie within 0.5 m of the radius: the single query's own band path
    (the geodesic for band pairs only) keeps and drops the same pairs, with the same values
    and order, as the batch query and as the per-pair rows."""
    rng = np.random.default_rng(21)
    plat, plon = cluster(rng, 55.75, 37.62, 400, 500.0)
    idx = PointIndex.from_points(range(400), plat, plon, 500.0)
    qlat, qlon = cluster(rng, 55.75, 37.62, 60, 500.0)
    batch = idx._query_batch(qlat, qlon, 300.0, distances=distances)  # type: ignore[arg-type]
    bands = 0
    for i in range(qlat.size):
        with idx._lock:
            bands += idx._scan_point(float(qlat[i]), float(qlon[i]), 300.0)[1]
        one = idx.query_point(qlat[i], qlon[i], 300.0, distances=distances)  # type: ignore[arg-type]
        rows = idx.query_point_rows(qlat[i], qlon[i], 300.0, distances=distances)  # type: ignore[arg-type]
        sel = batch.query == i
        assert one.query.tolist() == [0] * int(sel.sum())
        assert one.slot.tolist() == batch.slot[sel].tolist() == [r[1] for r in rows]
        assert np.array_equal(one.distance_m, batch.distance_m[sel], equal_nan=True)
        assert np.array_equal(one.distance_m, [r[0] for r in rows], equal_nan=True)
        assert one.radius_m.tolist() == batch.radius_m[sel].tolist() == [r[2] for r in rows]
        assert one.point_radius_m.tolist() == batch.point_radius_m[sel].tolist()
    assert bands > 20  # the band was in play


@pytest.mark.parametrize("pending", [False, True])
def test_chord_distances_same_pairs_near_geodesic(pending: bool) -> None:
    rng = np.random.default_rng(12)
    plat, plon = cluster(rng, 66.0, 179.9995, 350, 3000.0)  # across the antimeridian
    idx = PointIndex.from_points(range(300), plat[:300], plon[:300], 0.0, cell_m=3000.0)
    for k in range(300, 350 if pending else 300):  # 50 stay pending (merge only past 64)
        idx.insert(k, plat[k], plon[k], 0.0)
    qlat, qlon = cluster(rng, 66.0, 179.9995, 100, 3000.0)
    assert bool(idx._pending) is pending
    exact = idx.query(qlat, qlon, 3000.0, distances=True)
    chord = idx.query(qlat, qlon, 3000.0, distances="chord")
    assert set(zip(exact.query.tolist(), exact.slot.tolist(), strict=True)) == set(
        zip(chord.query.tolist(), chord.slot.tolist(), strict=True)
    )
    key = np.lexsort((exact.slot, exact.query))
    key_c = np.lexsort((chord.slot, chord.query))
    diff = exact.distance_m[key] - chord.distance_m[key_c]
    assert np.isfinite(chord.distance_m).all()
    assert (diff >= -1e-6).all() and (diff < 1e-4).all()  # chord <= geodesic, 3e-5 m at 3 km
