"""The embedded SQLite backend: one file, WAL mode, writers serialised by ``BEGIN IMMEDIATE``."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from data.store.base import LiveRule, SqlStore, _Cursor, search_box
from data.store.schema import SQLITE_MIGRATIONS

__all__ = ["SqliteStore"]


class SqliteStore(SqlStore):
    """A store in a SQLite file (created with its folder on first use).

    Parameters
    ----------
    path : the database file
    policy : the protection policy
    busy_timeout_s : how long a writer waits for the write lock, seconds
    """

    backend = "sqlite"

    def __init__(self, path: str | Path, policy: LiveRule, *, busy_timeout_s: float = 60.0) -> None:
        super().__init__(policy)
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
        return conn

    def _schema(self) -> list[str]:
        return SQLITE_MIGRATIONS

    def _begin_write(self, cur: _Cursor, lock_at: Sequence[tuple[float, float, float]]) -> None:
        # the database-wide write lock, taken before the first read: no other
        # connection (thread, process, worker) can commit until we end
        cur.execute("BEGIN IMMEDIATE")

    def _execute_script(self, cur: _Cursor, script: str) -> None:
        # triggers contain ';' inside BEGIN ... END: split on statement ends only
        buf: list[str] = []
        for line in script.splitlines():
            buf.append(line)
            text = "\n".join(buf).strip()
            if text.endswith(";") and sqlite3.complete_statement(text):
                cur.execute(text)
                buf = []
        if "\n".join(buf).strip():
            cur.execute("\n".join(buf))

    def _neighbour_rows(
        self, cur: _Cursor, lat: float, lon: float, reach_m: float, now: str
    ) -> list[tuple[Any, ...]]:
        lat_lo, lat_hi, ranges = search_box(lat, lon, reach_m)
        lon_sql = " OR ".join("lon BETWEEN ? AND ?" for _ in ranges)
        lon_params = [x for r in ranges for x in r]
        live, live_params = self._live_sql()
        res, res_kinds = self._reservation_sql()
        sql = (
            f"SELECT id, lat, lon, radius_m FROM points WHERE lat BETWEEN ? AND ? "
            f"AND ({lon_sql}) AND {live} "
            f"UNION ALL SELECT id, lat, lon, radius_m FROM applications "
            f"WHERE lat BETWEEN ? AND ? AND ({lon_sql}) AND {res}"
        )
        params = [lat_lo, lat_hi, *lon_params, *live_params,
                  lat_lo, lat_hi, *lon_params, True, now, *res_kinds]  # fmt: skip
        return cur.execute(sql, params).fetchall()
