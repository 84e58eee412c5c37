"""The repository interface of the store and the SQL shared by its backends.

The store holds points, partner applications (with their reservations), issued
orders (for reward statements), API keys (hashed) and an append-only audit log.
The store offers transactional primitives, not rules: :meth:`Store.transaction`
opens a write transaction after taking a lock that serialises writers near the
given spots (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: advisory locks on grid
cells); inside it, :meth:`Transaction.neighbours` reads the live points and
live reservations near a spot, and the caller decides the competition-protection
rule (``planning.protection.decide``, run by ``api/services/network.py``) before
it writes. So the invariant holds across threads, processes and workers.
"""

from __future__ import annotations

import contextlib
import json
import math
import secrets
import threading
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np

from data.errors import Conflict, ConflictError, InputError, NotFoundError
from data.vocabulary import check_order_line, format_rub

__all__ = [
    "ApiKey",
    "Application",
    "AuditEntry",
    "LiveRule",
    "ModelCalibration",
    "OrderIngest",
    "OrderLine",
    "Point",
    "SqlStore",
    "Store",
    "Transaction",
    "new_id",
    "now_utc",
    "search_box",
    "to_iso",
]

#: a degree of latitude is at least 110,574 m long (at the equator); 110 km is a safe bound
_M_PER_DEG_LAT_MIN = 110_000.0
#: a degree of longitude on the equator is 111,319 m; on a parallel, times cos(lat)
_M_PER_DEG_LON_EQ = 111_000.0


class LiveRule(Protocol):
    """What the store needs to know of the protection policy to select live rows.

    Which kinds and statuses protect (live points; pending reservations of a protecting
    kind), and the largest tier radius (how far around a spot to lock and read).
    ``planning.protection.ProtectionPolicy`` is one.
    """

    @property
    def protecting_kinds(self) -> list[str]: ...

    @property
    def protecting_statuses(self) -> list[str]: ...

    @property
    def max_radius_m(self) -> float: ...


def now_utc() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def to_iso(t: datetime) -> str:
    """Fixed-width ISO 8601 UTC text (sorts as time does), microseconds."""
    return t.astimezone(UTC).isoformat(timespec="microseconds")


def new_id(prefix: str) -> str:
    """A new random id such as ``A-3f9c0d1e2b7a``."""
    return f"{prefix}-{secrets.token_hex(6)}"


def search_box(
    lat: float, lon: float, reach_m: float
) -> tuple[float, float, list[tuple[float, float]]]:
    """A lat/lon box holding every point within ``reach_m`` metres of ``(lat, lon)``.

    Returns ``lat_lo, lat_hi, lon_ranges``: WGS84 degrees; the box is split in
    two longitude ranges where it crosses the antimeridian, and spans every
    longitude near the poles. Deliberately loose: the exact geodesic decides.
    """
    dlat = reach_m / _M_PER_DEG_LAT_MIN * 1.01 + 1e-6
    lat_lo, lat_hi = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    phi = max(abs(lat_lo), abs(lat_hi))
    if phi >= 89.0:
        return lat_lo, lat_hi, [(-180.0, 180.0)]
    dlon = reach_m / (_M_PER_DEG_LON_EQ * math.cos(math.radians(phi))) * 1.05 + 1e-6
    if dlon >= 180.0:
        return lat_lo, lat_hi, [(-180.0, 180.0)]
    lo, hi = lon - dlon, lon + dlon
    if lo < -180.0:
        return lat_lo, lat_hi, [(-180.0, hi), (lo + 360.0, 180.0)]
    if hi > 180.0:
        return lat_lo, lat_hi, [(lo, 180.0), (-180.0, hi - 360.0)]
    return lat_lo, lat_hi, [(lo, hi)]


@dataclass(frozen=True)
class Point:
    """A pickup point as stored: WGS84 degrees, metres, m2, ISO dates."""

    id: str
    lat: float
    lon: float
    radius_m: float
    kind: str = "partner"
    status: str = "active"
    partner_id: str | None = None
    settlement: str | None = None
    address: str | None = None
    opened_on: str | None = None
    area_m2: float | None = None
    waiting_zone: bool | None = None
    fitting_rooms: int | None = None
    rating: float | None = None
    created_at: str = ""
    updated_at: str = ""
    closed_days_2020: int | None = None
    """days closed in April-May 2020 (pandemic extension of the double reward rate)"""
    complaint_rate_pct: float | None = None
    """complaints, percent of issued items (service-quality bonus tiers)"""
    closed_dates_2020: str | None = None
    """the closed days themselves when given as days: ISO days joined by ``;`` (then
    ``closed_days_2020`` is their count)"""


@dataclass(frozen=True)
class Application:
    """A partner's application for a location, with the protection decision at submission.

    ``status`` as stored: ``pending`` (allowed at submission, under review), ``refused``
    (blocked at submission), ``approved``, ``rejected``, ``withdrawn`` or ``expired``. A
    pending application that was ``allowed`` reserves its spot until ``reserved_until``
    (ISO UTC); once that has passed it is expired whatever is stored (the lifecycle,
    ``api/services/onboarding.py``, reads it so). ``forecast`` is what scoring said at
    submission (JSON-able: ``score``, ``expected_turnover_rub``, ...), or None.
    """

    id: str
    partner_id: str
    lat: float
    lon: float
    radius_m: float
    kind: str = "partner"
    settlement: str | None = None
    address: str | None = None
    area_m2: float | None = None
    waiting_zone: bool | None = None
    fitting_rooms: int | None = None
    planned_opening: str | None = None
    status: str = "pending"
    allowed: bool = True
    conflicts: list[Conflict] = field(default_factory=list)
    reserved_until: str | None = None
    point_id: str | None = None
    created_at: str = ""
    decided_at: str | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    forecast: dict[str, Any] | None = None

    def reserves(self, at: datetime) -> bool:
        """Whether this application protects its spot at time ``at``."""
        return (
            self.status == "pending"
            and self.allowed
            and self.reserved_until is not None
            and self.reserved_until > to_iso(at)
        )


@dataclass(frozen=True)
class ApiKey:
    """A stored API key: only the SHA-256 of the token is kept."""

    key_hash: str
    key_id: str
    role: str
    partner_id: str | None
    created_at: str
    created_by: str
    #: when the key was revoked (ISO UTC; None: live); a revoked key is refused
    revoked_at: str | None = None
    #: when the key was last used, to the minute (ISO UTC; None: never)
    last_used_at: str | None = None


@dataclass(frozen=True)
class OrderLine:
    """One issued (returned, cancelled) item as stored, keyed by ``order_id``.

    Parameters
    ----------
    order_id : unique id of the line
    point_id : the point that issued it
    issued_on : day of issue, ISO ``YYYY-MM-DD``
    price_kop : item price, integer kopecks, ``>= 0``
    status : ``issued``, ``returned`` or ``cancelled``
    returned_on : day of the return, ISO, status ``returned`` only; ``None`` when unknown
    cancelled_on : day of the cancellation, ISO, status ``cancelled`` only
    """

    order_id: str
    point_id: str
    issued_on: str
    price_kop: int
    status: str
    returned_on: str | None = None
    cancelled_on: str | None = None


@dataclass(frozen=True)
class OrderIngest:
    """What an order upload did: counts of distinct order ids.

    ``received`` counts the lines sent; exact repeats of a line inside one upload count
    once in ``created + updated + unchanged``.
    """

    received: int
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only audit log: who, when, what, why."""

    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    reason: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class ModelCalibration:
    """A stored calibration of the scoring model: what was fitted, on what, how well.

    Parameters
    ----------
    id : the calibration's id
    created_at : when it was made (ISO UTC)
    created_by : who made it (an actor, ``schedule`` for the scheduled run)
    first_month, last_month : the months of turnover it rests on, ``YYYY-MM``
    n_points : points with known turnover it rests on
    params : the fitted model parameters (JSON object)
    fit : the fit: cross-validated error, interval quantiles and coverage (JSON object)
    basis : the data basis: months, points in the network, orders read (JSON object)
    """

    id: str
    created_at: str
    created_by: str
    first_month: str
    last_month: str
    n_points: int
    params: dict[str, Any]
    fit: dict[str, Any]
    basis: dict[str, Any]


_CAL_COLS = [f.name for f in fields(ModelCalibration)]
_POINT_COLS = [f.name for f in fields(Point)]
_APP_COLS = [f.name for f in fields(Application)]
_KEY_COLS = [f.name for f in fields(ApiKey)]
_ORDER_COLS = [f.name for f in fields(OrderLine)]
#: ids per ``IN (...)`` query (SQLite allows 999 parameters in old builds)
_IN_CHUNK = 500


def _insert_sql(table: str, cols: Sequence[str]) -> str:
    """``INSERT INTO table (cols) VALUES (?, ...)``: one row of ``cols``, in that order."""
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"


def _page_sql(table: str, cols: Sequence[str], where: Sequence[str]) -> str:
    """``SELECT cols FROM table [WHERE a AND b ...] ORDER BY id LIMIT ?``: a page by id."""
    sql = f"SELECT {', '.join(cols)} FROM {table}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return sql + " ORDER BY id LIMIT ?"


def _conflicts_json(conflicts: Sequence[Conflict]) -> str:
    return json.dumps([[str(c.point_id), c.distance_m, c.radius_m, c.kind, c.reserved_until]
                       for c in conflicts])  # fmt: skip


def _conflicts_from_json(text: str) -> list[Conflict]:
    # rows written before version 4 hold only (id, distance, radius)
    return [Conflict(str(c[0]), float(c[1]), float(c[2]),
                     str(c[3]) if len(c) > 3 and c[3] else "point",
                     str(c[4]) if len(c) > 4 and c[4] else None)
            for c in json.loads(text)]  # fmt: skip


class Store(ABC):
    """The repository interface: one implementation per database backend.

    Parameters
    ----------
    policy : which rows are live (the protection policy)
    """

    backend: str = "abstract"

    def __init__(self, policy: LiveRule) -> None:
        self.policy = policy

    # ------------------------------------------------------------ lifecycle
    @abstractmethod
    def migrate(self) -> int:
        """Apply pending schema migrations; returns the schema version."""

    @abstractmethod
    def close(self) -> None:
        """Close every connection."""

    # ------------------------------------------------------------ keys
    @abstractmethod
    def add_key(self, key: ApiKey, *, actor: str) -> bool:
        """Store a key; False (and no change) if its hash exists already."""

    @abstractmethod
    def get_key(self, key_hash: str) -> ApiKey | None:
        """The key with this SHA-256 hex digest (revoked ones too), or None."""

    @abstractmethod
    def list_keys(self) -> list[ApiKey]:
        """Every key, revoked ones too, oldest first."""

    @abstractmethod
    def revoke_key(self, key_id: str, *, actor: str) -> ApiKey:
        """Revoke the key with this short id (logged); :class:`NotFoundError` if unknown.
        Revoking a revoked key changes nothing."""

    @abstractmethod
    def touch_key(self, key_hash: str, at: str) -> None:
        """Record that the key was used at ``at`` (ISO UTC); not logged."""

    @abstractmethod
    def count_keys(self) -> int:
        """How many keys are stored (revoked ones too)."""

    # ------------------------------------------------------------ points
    @abstractmethod
    def get_point(self, point_id: str) -> Point:
        """One point; :class:`NotFoundError` if unknown."""

    @abstractmethod
    def list_points(
        self,
        *,
        bbox: tuple[float, float, float, float] | None = None,
        status: str | None = None,
        partner_id: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Point]:
        """Points ordered by id, ids greater than ``after``, inside ``bbox``
        (``minlon, minlat, maxlon, maxlat``; ``minlon > maxlon`` crosses the antimeridian)."""

    @abstractmethod
    def count_points(self, *, live_only: bool = False) -> int:
        """How many points (live: of a protecting kind and status) are stored."""

    @abstractmethod
    def live_points(self) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """Ids, lat, lon, radius_m and kind of every live point (for the in-memory index)."""

    @abstractmethod
    def seed_points(self, points: Sequence[Point], *, actor: str, reason: str) -> int:
        """Insert many points without a protection check (demo, import); one audit entry."""

    @abstractmethod
    def transaction(
        self, near: Sequence[tuple[float, float, float]] = ()
    ) -> contextlib.AbstractContextManager[Transaction]:
        """A write transaction, serialised against writers near each ``(lat, lon, radius_m)``
        of ``near``: nothing can be committed within reach of those spots until it ends.
        Commits when the block ends, rolls back when it raises."""

    # ------------------------------------------------------------ applications
    @abstractmethod
    def get_application(self, app_id: str) -> Application:
        """One application; :class:`NotFoundError` if unknown."""

    @abstractmethod
    def list_applications(
        self,
        *,
        partner_id: str | None = None,
        status: str | Sequence[str] | None = None,
        limit: int = 100,
        after: str | None = None,
        reserved_until_before: str | None = None,
        reserved_until_after: str | None = None,
    ) -> list[Application]:
        """Applications ordered by id, ids greater than ``after``; ``status`` one stored
        status or any of several; ``reserved_until_before`` / ``_after`` (ISO UTC): only
        those whose ``reserved_until`` is ``<=`` / ``>`` it (NULL matches neither)."""

    @abstractmethod
    def reservations(self) -> list[Application]:
        """Pending allowed applications whose reservation has not expired."""

    # ------------------------------------------------------------ orders
    @abstractmethod
    def upsert_orders(
        self, orders: Sequence[OrderLine], *, actor: str, source: str | None = None
    ) -> OrderIngest:
        """Store order lines idempotently by ``order_id``, all or nothing (one transaction).

        A new id is inserted; a known id with the same content is left alone; a known id
        whose status or event day (``returned_on``, ``cancelled_on``) changed is updated and
        the change is logged in the audit log (who, when, before, after). Nothing is written
        when any line is refused:

        - :class:`InputError` (naming the 1-based row in ``orders`` and the column) for an
          unknown point, a point without an opening date, an item issued before its point
          opened, a price below zero, an unknown status, an event day that is not a day, is
          before the issue day or does not match the status, or an order id repeated in
          ``orders`` with different content;
        - :class:`ConflictError` naming the order when a known order comes with another
          point, day or price (a stored order's money facts are never rewritten; only its
          status moves).

        Parameters
        ----------
        orders : the lines, in upload order
        actor : who uploads, for the audit log
        source : the upload's name for error messages (a file name, ``body``)
        """

    @abstractmethod
    def list_orders(self, point_id: str, *, issued_from: str, issued_to: str) -> list[OrderLine]:
        """A point's order lines issued in ``[issued_from, issued_to]`` (ISO days, inclusive),
        ordered by day, then order id."""

    @abstractmethod
    def list_statement_orders(self, point_id: str, *, first: str, last: str) -> list[OrderLine]:
        """What a point's statement for ``[first, last]`` (ISO days, inclusive) needs: the
        lines issued in it, and the lines returned or cancelled in it (adjustments of
        earlier months); ordered by issue day, then order id."""

    def orders_issued_between(self, first: str, last: str) -> list[OrderLine]:
        """Every point's order lines issued in ``[first, last]`` (ISO days, inclusive), as
        a month's turnover needs them (an item returned later still counts in its month)."""
        raise NotImplementedError

    def last_issue_day(self) -> str | None:
        """The latest issue day of any stored order (ISO), or None without orders."""
        raise NotImplementedError

    # ------------------------------------------------------------ model calibrations
    def save_calibration(self, cal: ModelCalibration, *, actor: str) -> None:
        """Store a calibration (one audit entry ``model.calibrated``, entity ``model``)."""
        raise NotImplementedError

    def latest_calibration(self) -> ModelCalibration | None:
        """The newest stored calibration, or None."""
        raise NotImplementedError

    # ------------------------------------------------------------ audit
    @abstractmethod
    def audit_entries(self, *, after_id: int = 0, limit: int = 1000) -> list[AuditEntry]:
        """Audit log entries with ids greater than ``after_id``, oldest first."""

    @abstractmethod
    def changes_since(self, after_id: int, *, limit: int = 5000) -> list[tuple[int, str, str]]:
        """``(audit id, entity, entity id)`` of the entries after ``after_id``, oldest first
        (the light form of :meth:`audit_entries` that workers poll)."""

    @abstractmethod
    def last_audit_id(self) -> int:
        """The id of the newest audit log entry (0 when empty)."""


class _Cursor:
    """A DB-API cursor that takes ``?`` placeholders on every backend."""

    def __init__(self, cur: Any, paramstyle: str) -> None:
        self.cur = cur
        self.pg = paramstyle == "format"

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Cursor:
        self.cur.execute(sql.replace("?", "%s") if self.pg else sql, tuple(params))
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.cur.executemany(sql.replace("?", "%s") if self.pg else sql, rows)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self.cur.fetchall())

    def fetchone(self) -> tuple[Any, ...] | None:
        row = self.cur.fetchone()
        return None if row is None else tuple(row)


class Transaction:
    """One open write transaction: the primitives a use case runs inside it.

    Reads see the committed rows plus this transaction's own writes; nothing is
    committed near the spots the transaction was opened for until it ends. It
    decides nothing: the protection rule is the caller's
    (``planning.protection.decide``).

    Attributes
    ----------
    at : the transaction's time, UTC; ``stamp`` the same as stored text
    """

    def __init__(self, store: SqlStore, cur: _Cursor, at: datetime) -> None:
        self._store = store
        self._cur = cur
        self.at = at
        self.stamp = to_iso(at)

    def neighbours(
        self, lat: float, lon: float, radius_m: float, *, exclude: Collection[str] = ()
    ) -> list[tuple[str, float, float, float]]:
        """``(id, lat, lon, radius_m)`` of the live points and live reservations that may
        lie within reach of a candidate of radius ``radius_m`` metres at ``(lat, lon)`` (a
        superset: the largest radius stored or in the policy decides the reach)."""
        store, cur = self._store, self._cur
        reach = max(store._reach_m(radius_m), store._stored_max_radius(cur))
        rows = store._neighbour_rows(cur, lat, lon, reach, self.stamp)
        return [(str(r[0]), float(r[1]), float(r[2]), float(r[3]))
                for r in rows if r[0] not in exclude]  # fmt: skip

    def has_point(self, point_id: str) -> bool:
        """Whether a point with this id is stored."""
        return bool(self._cur.execute("SELECT 1 FROM points WHERE id = ?", [point_id]).fetchone())

    def get_point(self, point_id: str) -> Point:
        """The stored point; :class:`NotFoundError` if none."""
        return self._store._point_in(self._cur, point_id)

    def insert_point(self, point: Point) -> None:
        """Insert a point as given."""
        self._store._insert_point(self._cur, point)

    def update_point(self, point_id: str, changes: dict[str, Any]) -> None:
        """Set the given columns of a point, and its ``updated_at`` to the transaction time."""
        if not changes:
            return
        cols = list(changes)
        self._cur.execute(
            f"UPDATE points SET {', '.join(f'{c} = ?' for c in cols)}, updated_at = ? WHERE id = ?",
            [*(changes[c] for c in cols), self.stamp, point_id],
        )

    def get_application(self, app_id: str) -> Application:
        """The stored application; :class:`NotFoundError` if none."""
        return self._store._app_in(self._cur, app_id)

    def insert_application(self, app: Application) -> None:
        """Insert an application as given."""
        self._store._insert_app(self._cur, app)

    def decide_application(
        self, app_id: str, *, status: str, actor: str, reason: str | None,
        point_id: str | None = None, expect_status: str | None = None,
    ) -> bool:  # fmt: skip
        """Record the decision on an application (status, who, why, when, its point);
        with ``expect_status`` only if it is stored with that status. Whether it changed."""
        sql = ("UPDATE applications SET status = ?, point_id = ?, decided_at = ?, "
               "decided_by = ?, decision_reason = ? WHERE id = ?")  # fmt: skip
        params: list[Any] = [status, point_id, self.stamp, actor, reason, app_id]
        if expect_status is not None:
            sql += " AND status = ?"
            params.append(expect_status)
        cur = self._cur.execute(sql, params)
        return bool(getattr(cur.cur, "rowcount", 1))

    def find_applications(
        self,
        *,
        partner_id: str | None = None,
        status: str | Sequence[str] | None = None,
        reserved_until_before: str | None = None,
        reserved_until_after: str | None = None,
        limit: int = 10_000,
    ) -> list[Application]:
        """Applications as :meth:`Store.list_applications` selects them, read inside this
        transaction."""
        return self._store._apps_in(self._cur, partner_id=partner_id, status=status,
                                    reserved_until_before=reserved_until_before,
                                    reserved_until_after=reserved_until_after,
                                    limit=limit, after=None)  # fmt: skip

    def reservation_ends(self, ids: Collection[str]) -> dict[str, str]:
        """``application id -> reserved_until`` of those of ``ids`` that are live
        reservations now (the others, e.g. point ids, are left out)."""
        if not ids:
            return {}
        sql, kinds = self._store._reservation_sql()
        chunk = sorted(ids)[:_IN_CHUNK]
        rows = self._cur.execute(
            f"SELECT id, reserved_until FROM applications WHERE {sql} "
            f"AND id IN ({', '.join('?' * len(chunk))})",
            [True, self.stamp, *kinds, *chunk],
        ).fetchall()
        return {str(r[0]): str(r[1]) for r in rows}

    def lock_name(self, name: str) -> None:
        """Serialise this transaction against every other that locks ``name`` (e.g. one
        partner's quota); held until it ends. Take it after the spot locks."""
        self._store._lock_name(self._cur, name)

    def audit(
        self,
        *,
        actor: str,
        action: str,
        entity: str,
        entity_id: str,
        reason: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append an entry to the audit log, stamped with the transaction time."""
        self._store._audit(self._cur, actor=actor, action=action, entity=entity,
                           entity_id=entity_id, reason=reason, detail=detail,
                           at=self.stamp)  # fmt: skip


class SqlStore(Store):
    """The store logic in portable SQL; backends supply connections, locks and the
    neighbour query."""

    paramstyle = "qmark"

    def __init__(self, policy: LiveRule) -> None:
        super().__init__(policy)
        self._local = threading.local()
        self._all_conns: list[Any] = []
        self._conns_lock = threading.Lock()

    # ------------------------------------------------------------ backend hooks
    @abstractmethod
    def _connect(self) -> Any:
        """A new DB-API connection in autocommit mode."""

    @abstractmethod
    def _begin_write(self, cur: _Cursor, lock_at: Sequence[tuple[float, float, float]]) -> None:
        """Start a write transaction, serialised against writers near each ``(lat, lon,
        reach_m)``."""

    @abstractmethod
    def _neighbour_rows(
        self, cur: _Cursor, lat: float, lon: float, reach_m: float, now: str
    ) -> list[tuple[Any, ...]]:
        """``(id, lat, lon, radius_m)`` of live points and live reservations that may lie
        within ``reach_m`` of ``(lat, lon)`` (a superset is fine)."""

    @abstractmethod
    def _schema(self) -> list[str]:
        """The backend's migration scripts, in order."""

    def _lock_name(self, cur: _Cursor, name: str) -> None:
        """Take a named lock till the transaction ends (default: none needed, the backend's
        write transactions are serialised already)."""

    def _execute_script(self, cur: _Cursor, script: str) -> None:
        for stmt in script.split(";\n"):
            if stmt.strip():
                cur.execute(stmt)

    # ------------------------------------------------------------ connections
    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is not None and getattr(conn, "closed", False):  # psycopg: server went away
            with self._conns_lock:
                if conn in self._all_conns:
                    self._all_conns.remove(conn)
            conn = None
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._conns_lock:
                self._all_conns.append(conn)
        return conn

    def close(self) -> None:
        with self._conns_lock:
            for conn in self._all_conns:
                with contextlib.suppress(Exception):  # a broken connection
                    conn.close()
            self._all_conns.clear()
        self._local = threading.local()

    @contextmanager
    def _read(self) -> Iterator[_Cursor]:
        conn = self._conn()
        cur = conn.cursor()
        try:
            yield _Cursor(cur, self.paramstyle)
        finally:
            cur.close()

    @contextmanager
    def _write(self, lock_at: Sequence[tuple[float, float, float]] = ()) -> Iterator[_Cursor]:
        conn = self._conn()
        raw = conn.cursor()
        cur = _Cursor(raw, self.paramstyle)
        self._begin_write(cur, lock_at)
        try:
            yield cur
        except BaseException as exc:
            with contextlib.suppress(Exception):  # a broken connection cannot roll back
                raw.execute("ROLLBACK")
                raw.close()
            if any(c.__name__ == "IntegrityError" for c in type(exc).__mro__):
                # e.g. two writers racing to insert the same id: the database refused one
                raise ConflictError(f"conflicts with the stored data: {exc}") from exc
            raise
        raw.execute("COMMIT")
        raw.close()

    # ------------------------------------------------------------ migrations
    def migrate(self) -> int:
        scripts = self._schema()
        with self._write() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = cur.execute("SELECT MAX(version) FROM schema_version").fetchone()
            have = int(row[0]) if row and row[0] is not None else 0
            for version, script in enumerate(scripts, start=1):
                if version > have:
                    self._execute_script(cur, script)
                    cur.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
        return len(scripts)

    # ------------------------------------------------------------ audit
    def _audit(
        self,
        cur: _Cursor,
        *,
        actor: str,
        action: str,
        entity: str,
        entity_id: str,
        reason: str | None = None,
        detail: dict[str, Any] | None = None,
        at: str | None = None,
    ) -> None:
        cur.execute(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, reason, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [at or to_iso(now_utc()), actor, action, entity, entity_id, reason,
             json.dumps(detail or {}, default=str)],
        )  # fmt: skip

    def audit_entries(self, *, after_id: int = 0, limit: int = 1000) -> list[AuditEntry]:
        with self._read() as cur:
            rows = cur.execute(
                "SELECT id, at, actor, action, entity, entity_id, reason, detail FROM audit_log "
                "WHERE id > ? ORDER BY id LIMIT ?",
                [after_id, limit],
            ).fetchall()
        return [AuditEntry(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]))
                for r in rows]  # fmt: skip

    def changes_since(self, after_id: int, *, limit: int = 5000) -> list[tuple[int, str, str]]:
        with self._read() as cur:
            rows = cur.execute(
                "SELECT id, entity, entity_id FROM audit_log WHERE id > ? ORDER BY id LIMIT ?",
                [after_id, limit],
            ).fetchall()
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def last_audit_id(self) -> int:
        with self._read() as cur:
            row = cur.execute("SELECT MAX(id) FROM audit_log").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    # ------------------------------------------------------------ keys
    def add_key(self, key: ApiKey, *, actor: str) -> bool:
        with self._write() as cur:
            if cur.execute("SELECT 1 FROM api_keys WHERE key_hash = ?", [key.key_hash]).fetchone():
                return False
            cur.execute(_insert_sql("api_keys", _KEY_COLS), [getattr(key, c) for c in _KEY_COLS])
            self._audit(cur, actor=actor, action="key.created", entity="key",
                        entity_id=key.key_id,
                        detail={"role": key.role, "partner_id": key.partner_id})  # fmt: skip
        return True

    def get_key(self, key_hash: str) -> ApiKey | None:
        with self._read() as cur:
            row = cur.execute(
                f"SELECT {', '.join(_KEY_COLS)} FROM api_keys WHERE key_hash = ?", [key_hash]
            ).fetchone()
        return None if row is None else ApiKey(*row)

    def list_keys(self) -> list[ApiKey]:
        with self._read() as cur:
            rows = cur.execute(
                f"SELECT {', '.join(_KEY_COLS)} FROM api_keys ORDER BY created_at, key_id"
            ).fetchall()
        return [ApiKey(*row) for row in rows]

    def revoke_key(self, key_id: str, *, actor: str) -> ApiKey:
        with self._write() as cur:
            row = cur.execute(
                f"SELECT {', '.join(_KEY_COLS)} FROM api_keys WHERE key_id = ?", [key_id]
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no key with id {key_id!r}")
            key = ApiKey(*row)
            if key.revoked_at is not None:
                return key
            at = to_iso(now_utc())
            cur.execute("UPDATE api_keys SET revoked_at = ? WHERE key_id = ?", [at, key_id])
            self._audit(cur, actor=actor, action="key.revoked", entity="key", entity_id=key_id,
                        detail={"role": key.role, "partner_id": key.partner_id})  # fmt: skip
        return replace(key, revoked_at=at)

    def touch_key(self, key_hash: str, at: str) -> None:
        with self._write() as cur:
            cur.execute("UPDATE api_keys SET last_used_at = ? WHERE key_hash = ?", [at, key_hash])

    def count_keys(self) -> int:
        with self._read() as cur:
            row = cur.execute("SELECT COUNT(*) FROM api_keys").fetchone()
        return int(row[0]) if row else 0

    # ------------------------------------------------------------ rows
    @staticmethod
    def _point(row: Sequence[Any]) -> Point:
        p = Point(*row)
        if p.waiting_zone is not None and not isinstance(p.waiting_zone, bool):
            p = replace(p, waiting_zone=bool(p.waiting_zone))
        return p

    @staticmethod
    def _app(row: Sequence[Any]) -> Application:
        d = dict(zip(_APP_COLS, row, strict=True))
        d["conflicts"] = _conflicts_from_json(d["conflicts"])
        d["forecast"] = None if d["forecast"] is None else json.loads(d["forecast"])
        d["allowed"] = bool(d["allowed"])
        if d["waiting_zone"] is not None:
            d["waiting_zone"] = bool(d["waiting_zone"])
        return Application(**d)

    def _insert_point(self, cur: _Cursor, p: Point) -> None:
        cur.execute(_insert_sql("points", _POINT_COLS), [getattr(p, c) for c in _POINT_COLS])

    def _insert_app(self, cur: _Cursor, a: Application) -> None:
        values = [getattr(a, c) for c in _APP_COLS]
        values[_APP_COLS.index("conflicts")] = _conflicts_json(a.conflicts)
        if a.forecast is not None:
            values[_APP_COLS.index("forecast")] = json.dumps(a.forecast, default=str)
        cur.execute(_insert_sql("applications", _APP_COLS), values)

    def _live_sql(self) -> tuple[str, list[str]]:
        kinds, statuses = self.policy.protecting_kinds, self.policy.protecting_statuses
        sql = (f"kind IN ({', '.join('?' * len(kinds))}) "
               f"AND status IN ({', '.join('?' * len(statuses))})")  # fmt: skip
        return sql, [*kinds, *statuses]

    def _reservation_sql(self) -> tuple[str, list[str]]:
        kinds = self.policy.protecting_kinds
        return (f"status = 'pending' AND allowed = ? AND reserved_until > ? "
                f"AND kind IN ({', '.join('?' * len(kinds))})", list(kinds))  # fmt: skip

    # ------------------------------------------------------------ the binding check
    def _reach_m(self, radius_m: float) -> float:
        """Search reach around a candidate: no point or reservation further than the
        largest radius in use can conflict with it."""
        return max(radius_m, self.policy.max_radius_m)

    def _stored_max_radius(self, cur: _Cursor) -> float:
        a = cur.execute("SELECT MAX(radius_m) FROM points").fetchone()
        b = cur.execute("SELECT MAX(radius_m) FROM applications").fetchone()
        return max(float(a[0]) if a and a[0] is not None else 0.0,
                   float(b[0]) if b and b[0] is not None else 0.0)  # fmt: skip

    def _lock_for(self, lat: float, lon: float, radius_m: float) -> tuple[float, float, float]:
        return (lat, lon, self._reach_m(radius_m))

    @contextmanager
    def transaction(self, near: Sequence[tuple[float, float, float]] = ()) -> Iterator[Transaction]:
        locks = [self._lock_for(lat, lon, r) for lat, lon, r in near]
        with self._write(locks) as cur:
            yield Transaction(self, cur, now_utc())

    # ------------------------------------------------------------ points
    @staticmethod
    def _row_by_id(cur: _Cursor, table: str, cols: Sequence[str], key: str,
                   noun: str) -> Sequence[Any]:  # fmt: skip
        """The row ``key`` of ``table`` (columns ``cols``) read through ``cur``;
        NotFoundError ``no {noun} with id ...`` if none."""
        row = cur.execute(f"SELECT {', '.join(cols)} FROM {table} WHERE id = ?", [key]).fetchone()
        if row is None:
            raise NotFoundError(f"no {noun} with id {key!r}")
        return row

    def _point_in(self, cur: _Cursor, point_id: str) -> Point:
        """The stored point ``point_id`` read through ``cur``; NotFoundError if none."""
        return self._point(self._row_by_id(cur, "points", _POINT_COLS, point_id, "point"))

    def get_point(self, point_id: str) -> Point:
        with self._read() as cur:
            return self._point_in(cur, point_id)

    def list_points(
        self,
        *,
        bbox: tuple[float, float, float, float] | None = None,
        status: str | None = None,
        partner_id: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Point]:
        where: list[str] = []
        params: list[Any] = []
        if bbox is not None:
            minlon, minlat, maxlon, maxlat = bbox
            where.append("lat BETWEEN ? AND ?")
            params += [minlat, maxlat]
            if minlon <= maxlon:
                where.append("lon BETWEEN ? AND ?")
                params += [minlon, maxlon]
            else:  # across the antimeridian
                where.append("(lon >= ? OR lon <= ?)")
                params += [minlon, maxlon]
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if partner_id is not None:
            where.append("partner_id = ?")
            params.append(partner_id)
        if after is not None:
            where.append("id > ?")
            params.append(after)
        with self._read() as cur:
            rows = cur.execute(_page_sql("points", _POINT_COLS, where),
                               [*params, int(limit)]).fetchall()  # fmt: skip
        return [self._point(r) for r in rows]

    def count_points(self, *, live_only: bool = False) -> int:
        sql = "SELECT COUNT(*) FROM points"
        params: list[str] = []
        if live_only:
            live, params = self._live_sql()
            sql += " WHERE " + live
        with self._read() as cur:
            row = cur.execute(sql, params).fetchone()
        return int(row[0]) if row else 0

    def live_points(self) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, list[str]]:
        live, params = self._live_sql()
        with self._read() as cur:
            rows = cur.execute(
                f"SELECT id, lat, lon, radius_m, kind FROM points WHERE {live} ORDER BY id", params
            ).fetchall()
        ids = [str(r[0]) for r in rows]
        lat = np.array([r[1] for r in rows], dtype=np.float64)
        lon = np.array([r[2] for r in rows], dtype=np.float64)
        rad = np.array([r[3] for r in rows], dtype=np.float64)
        return ids, lat, lon, rad, [str(r[4]) for r in rows]

    def seed_points(self, points: Sequence[Point], *, actor: str, reason: str) -> int:
        if not points:
            return 0
        stamp = to_iso(now_utc())
        points = [p if p.created_at else replace(p, created_at=stamp, updated_at=stamp)
                  for p in points]  # fmt: skip
        with self._write() as cur:
            cur.executemany(_insert_sql("points", _POINT_COLS),
                            [[getattr(p, c) for c in _POINT_COLS] for p in points])  # fmt: skip
            self._audit(cur, actor=actor, action="points.seeded", entity="point", entity_id="*",
                        reason=reason, detail={"count": len(points)})  # fmt: skip
        return len(points)

    def _app_in(self, cur: _Cursor, app_id: str) -> Application:
        """The stored application ``app_id`` read through ``cur``; NotFoundError if none."""
        return self._app(self._row_by_id(cur, "applications", _APP_COLS, app_id, "application"))

    def get_application(self, app_id: str) -> Application:
        with self._read() as cur:
            return self._app_in(cur, app_id)

    def list_applications(
        self,
        *,
        partner_id: str | None = None,
        status: str | Sequence[str] | None = None,
        limit: int = 100,
        after: str | None = None,
        reserved_until_before: str | None = None,
        reserved_until_after: str | None = None,
    ) -> list[Application]:
        with self._read() as cur:
            return self._apps_in(cur, partner_id=partner_id, status=status, limit=limit,
                                 after=after, reserved_until_before=reserved_until_before,
                                 reserved_until_after=reserved_until_after)  # fmt: skip

    def _apps_in(
        self,
        cur: _Cursor,
        *,
        partner_id: str | None,
        status: str | Sequence[str] | None,
        limit: int,
        after: str | None,
        reserved_until_before: str | None,
        reserved_until_after: str | None,
    ) -> list[Application]:
        where: list[str] = []
        params: list[Any] = []
        if partner_id is not None:
            where.append("partner_id = ?")
            params.append(partner_id)
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            params += statuses
        if reserved_until_before is not None:
            where.append("reserved_until <= ?")
            params.append(reserved_until_before)
        if reserved_until_after is not None:
            where.append("reserved_until > ?")
            params.append(reserved_until_after)
        if after is not None:
            where.append("id > ?")
            params.append(after)
        rows = cur.execute(_page_sql("applications", _APP_COLS, where),
                           [*params, int(limit)]).fetchall()  # fmt: skip
        return [self._app(r) for r in rows]

    def reservations(self) -> list[Application]:
        sql, kinds = self._reservation_sql()
        with self._read() as cur:
            rows = cur.execute(
                f"SELECT {', '.join(_APP_COLS)} FROM applications WHERE {sql} ORDER BY id",
                [True, to_iso(now_utc()), *kinds],
            ).fetchall()
        return [self._app(r) for r in rows]

    # ------------------------------------------------------------ orders
    def upsert_orders(
        self, orders: Sequence[OrderLine], *, actor: str, source: str | None = None
    ) -> OrderIngest:
        distinct = _distinct_orders(orders, source)
        if not distinct:
            return OrderIngest(received=len(orders), created=0, updated=0, unchanged=0)
        stamp = to_iso(now_utc())
        with self._write() as cur:
            opened = self._opening_days(cur, {o.point_id for _, o in distinct.values()})
            for row, o in distinct.values():
                _check_point(o, row, opened, source)
            stored = self._stored_orders(cur, list(distinct))
            new: list[OrderLine] = []
            changed: list[tuple[OrderLine, OrderLine]] = []
            for row, o in distinct.values():
                old = stored.get(o.order_id)
                if old is None:
                    new.append(o)
                elif old != o:
                    if (old.point_id, old.issued_on, old.price_kop) != (
                        o.point_id, o.issued_on, o.price_kop
                    ):  # fmt: skip
                        raise ConflictError(_order_clash(old, o, row, source))
                    changed.append((old, o))
            if new:
                cur.executemany(
                    _insert_sql("orders", [*_ORDER_COLS, "created_at", "updated_at"]),
                    [[*(getattr(o, c) for c in _ORDER_COLS), stamp, stamp] for o in new],
                )
            if changed:
                cur.executemany(
                    "UPDATE orders SET status = ?, returned_on = ?, cancelled_on = ?, "
                    "updated_at = ? WHERE order_id = ?",
                    [[o.status, o.returned_on, o.cancelled_on, stamp, o.order_id]
                     for _, o in changed],
                )  # fmt: skip
            for old, o in changed:
                self._audit(cur, actor=actor, action="order.status_changed", entity="order",
                            entity_id=o.order_id, at=stamp,
                            detail={"point_id": o.point_id, "before": old.status,
                                    "after": o.status, "source": source,
                                    "returned_on": [old.returned_on, o.returned_on],
                                    "cancelled_on": [old.cancelled_on,
                                                     o.cancelled_on]})  # fmt: skip
            if new or changed:
                self._audit(cur, actor=actor, action="orders.ingested", entity="order",
                            entity_id="*", at=stamp,
                            detail={"received": len(orders), "created": len(new),
                                    "updated": len(changed), "source": source})  # fmt: skip
        return OrderIngest(
            received=len(orders),
            created=len(new),
            updated=len(changed),
            unchanged=len(distinct) - len(new) - len(changed),
        )

    def list_orders(self, point_id: str, *, issued_from: str, issued_to: str) -> list[OrderLine]:
        with self._read() as cur:
            rows = cur.execute(
                f"SELECT {', '.join(_ORDER_COLS)} FROM orders WHERE point_id = ? "
                "AND issued_on >= ? AND issued_on <= ? ORDER BY issued_on, order_id",
                [point_id, issued_from, issued_to],
            ).fetchall()
        return [_order(r) for r in rows]

    def list_statement_orders(self, point_id: str, *, first: str, last: str) -> list[OrderLine]:
        with self._read() as cur:
            rows = cur.execute(
                f"SELECT {', '.join(_ORDER_COLS)} FROM orders WHERE point_id = ? AND "
                "((issued_on >= ? AND issued_on <= ?) OR (returned_on >= ? AND returned_on <= ?) "
                "OR (cancelled_on >= ? AND cancelled_on <= ?)) ORDER BY issued_on, order_id",
                [point_id, first, last, first, last, first, last],
            ).fetchall()
        return [_order(r) for r in rows]

    def _opening_days(self, cur: _Cursor, point_ids: set[str]) -> dict[str, str | None]:
        """``point id -> opened_on`` (ISO day or None) of the stored ones among ``point_ids``."""
        ids = sorted(point_ids)
        out: dict[str, str | None] = {}
        for i in range(0, len(ids), _IN_CHUNK):
            chunk = ids[i : i + _IN_CHUNK]
            rows = cur.execute(
                f"SELECT id, opened_on FROM points WHERE id IN ({', '.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            out.update({str(r[0]): None if r[1] is None else str(r[1]) for r in rows})
        return out

    def _stored_orders(self, cur: _Cursor, order_ids: list[str]) -> dict[str, OrderLine]:
        out: dict[str, OrderLine] = {}
        for i in range(0, len(order_ids), _IN_CHUNK):
            chunk = order_ids[i : i + _IN_CHUNK]
            rows = cur.execute(
                f"SELECT {', '.join(_ORDER_COLS)} FROM orders "
                f"WHERE order_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            out.update({str(r[0]): _order(r) for r in rows})
        return out

    def orders_issued_between(self, first: str, last: str) -> list[OrderLine]:
        with self._read() as cur:
            rows = cur.execute(
                f"SELECT {', '.join(_ORDER_COLS)} FROM orders WHERE issued_on >= ? "
                "AND issued_on <= ? ORDER BY point_id, issued_on, order_id",
                [first, last],
            ).fetchall()
        return [_order(r) for r in rows]

    def last_issue_day(self) -> str | None:
        with self._read() as cur:
            row = cur.execute("SELECT MAX(issued_on) FROM orders").fetchone()
        return None if row is None or row[0] is None else str(row[0])

    # ------------------------------------------------------------ model calibrations
    def save_calibration(self, cal: ModelCalibration, *, actor: str) -> None:
        values = [json.dumps(v, allow_nan=False) if isinstance(v, dict) else v
                  for v in (getattr(cal, c) for c in _CAL_COLS)]  # fmt: skip
        with self._write() as cur:
            cur.execute(_insert_sql("model_calibrations", _CAL_COLS), values)
            self._audit(cur, actor=actor, action="model.calibrated", entity="model",
                        entity_id=cal.id, at=cal.created_at,
                        detail={"first_month": cal.first_month, "last_month": cal.last_month,
                                "n_points": cal.n_points})  # fmt: skip

    def latest_calibration(self) -> ModelCalibration | None:
        with self._read() as cur:
            row = cur.execute(
                f"SELECT {', '.join(_CAL_COLS)} FROM model_calibrations "
                "ORDER BY created_at DESC, id DESC LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        d = dict(zip(_CAL_COLS, row, strict=True))
        for name in ("params", "fit", "basis"):
            d[name] = json.loads(d[name])
        d["n_points"] = int(d["n_points"])
        return ModelCalibration(**d)


def _order(row: Sequence[Any]) -> OrderLine:
    return OrderLine(str(row[0]), str(row[1]), str(row[2]), int(row[3]), str(row[4]),
                     None if row[5] is None else str(row[5]),
                     None if row[6] is None else str(row[6]))  # fmt: skip


def _distinct_orders(
    orders: Sequence[OrderLine], source: str | None
) -> dict[str, tuple[int, OrderLine]]:
    """``order id -> (first 1-based row, line)``; checks each line's own fields and refuses an
    id repeated with different content (exact repeats collapse)."""
    out: dict[str, tuple[int, OrderLine]] = {}
    for row, o in enumerate(orders, start=1):
        check_order_line(o, row=row, source=source)
        seen = out.get(o.order_id)
        if seen is None:
            out[o.order_id] = (row, o)
        elif seen[1] != o:
            raise InputError(f"order id {o.order_id!r} appears twice with different content "
                             f"(first at row {seen[0]})", source=source, row=row,
                             column="order_id")  # fmt: skip
    return out


def _check_point(o: OrderLine, row: int, opened: dict[str, str | None], source: str | None) -> None:
    if o.point_id not in opened:
        raise InputError(f"unknown point {o.point_id!r}", source=source, row=row,
                         column="point_id")  # fmt: skip
    day = opened[o.point_id]
    if day is None:
        raise InputError(f"point {o.point_id!r} has no opening date (opened_on); set it "
                         "before uploading its orders", source=source, row=row,
                         column="point_id")  # fmt: skip
    if o.issued_on < day:
        raise InputError(f"issued before point {o.point_id!r} opened ({day})", source=source,
                         row=row, column="issued_on")  # fmt: skip


def _order_clash(old: OrderLine, new: OrderLine, row: int, source: str | None) -> str:
    where = f"{source}, row {row}" if source else f"row {row}"
    return (f"{where}: order {new.order_id!r} is stored as point {old.point_id}, issued "
            f"{old.issued_on}, price {format_rub(old.price_kop)} RUB; got point "
            f"{new.point_id}, issued {new.issued_on}, price {format_rub(new.price_kop)} RUB. "
            "A stored order's point, day and price never change; only its status may")  # fmt: skip
