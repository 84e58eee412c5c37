"""The PostgreSQL + PostGIS backend: geography column with a GiST index, advisory locks
on grid cells around each write, psycopg 3."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from data.store.base import LiveRule, SqlStore, _Cursor, search_box
from data.store.schema import POSTGIS_MIGRATIONS

__all__ = ["LOCK_CELL_DEG", "PostgisStore", "lock_keys"]

#: side of the lock grid cells, degrees of latitude and longitude
LOCK_CELL_DEG = 0.02
#: rows of cells poleward of this latitude are one cell each (few points, bounded lock count)
_POLAR_LAT = 80.0
_NAMESPACE = 0x5056_5A00_0000_0000  # "PVZ" in the high bits keeps our keys apart


def lock_keys(lat: float, lon: float, reach_m: float) -> list[int]:
    """Advisory-lock keys of the grid cells covering ``reach_m`` metres around a spot, sorted.

    Two writes whose candidates can conflict (``d < max(r1, r2)``) both lock
    the cell holding the candidate with the smaller reach, so they serialise.
    """
    lat_lo, lat_hi, ranges = search_box(lat, lon, reach_m)
    n_lon = round(360 / LOCK_CELL_DEG)
    keys: set[int] = set()
    for ilat in range(_cell(lat_lo + 90), _cell(lat_hi + 90) + 1):
        row_lat = ilat * LOCK_CELL_DEG - 90
        if row_lat + LOCK_CELL_DEG > _POLAR_LAT or row_lat < -_POLAR_LAT:
            keys.add(ilat * (n_lon + 1))
            continue
        for lo, hi in ranges:
            for ilon in range(_cell(lo + 180), min(_cell(hi + 180), n_lon) + 1):
                keys.add(ilat * (n_lon + 1) + ilon)
    return sorted(_NAMESPACE + k for k in keys)


def _cell(x: float) -> int:
    return math.floor(x / LOCK_CELL_DEG)


class PostgisStore(SqlStore):
    """A store in PostgreSQL with PostGIS.

    Parameters
    ----------
    url : ``postgresql://user:password@host:port/database``
    policy : the protection policy
    """

    backend = "postgis"
    paramstyle = "format"

    def __init__(self, url: str, policy: LiveRule) -> None:
        super().__init__(policy)
        self.url = url

    def _connect(self) -> Any:
        import psycopg  # the [postgis] extra

        return psycopg.connect(self.url, autocommit=True)

    def _schema(self) -> list[str]:
        return POSTGIS_MIGRATIONS

    def _execute_script(self, cur: _Cursor, script: str) -> None:
        cur.cur.execute(script)  # psycopg runs a multi-statement script without parameters

    def _begin_write(self, cur: _Cursor, lock_at: Sequence[tuple[float, float, float]]) -> None:
        cur.execute("BEGIN")
        if not lock_at:
            cur.execute("SELECT pg_advisory_xact_lock(?)", [_NAMESPACE - 1])  # schema, keys
            return
        keys = sorted({k for lat, lon, reach in lock_at for k in lock_keys(lat, lon, reach)})
        # in ascending order: two writers never wait on each other in a cycle
        cur.execute(
            "SELECT count(pg_advisory_xact_lock(k)) FROM "
            "(SELECT unnest(?::bigint[]) AS k ORDER BY 1) AS cells",
            [keys],
        )

    def _lock_name(self, cur: _Cursor, name: str) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", [f"pvz:{name}"])

    def _neighbour_rows(
        self, cur: _Cursor, lat: float, lon: float, reach_m: float, now: str
    ) -> list[tuple[Any, ...]]:
        live, live_params = self._live_sql()
        res, res_kinds = self._reservation_sql()
        here = "ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography"
        # ST_DWithin on the spheroid, 10 m slack: a prefilter; the exact geodesic decides
        sql = (
            f"SELECT id, lat, lon, radius_m FROM points WHERE ST_DWithin(geog, {here}, ?) "
            f"AND {live} UNION ALL SELECT id, lat, lon, radius_m FROM applications "
            f"WHERE ST_DWithin(geog, {here}, ?) AND {res}"
        )
        params = [lon, lat, reach_m + 10.0, *live_params,
                  lon, lat, reach_m + 10.0, True, now, *res_kinds]  # fmt: skip
        return cur.execute(sql, params).fetchall()
